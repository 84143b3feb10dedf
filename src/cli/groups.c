/*
 * groups.c - `maestro groups`: list a user's document groups, add one,
 * remove one (its documents stay in the library). The same rules as
 * /api/groups: a name of 1..200 bytes, unique per user, a description up to
 * 4000 bytes. Works in this process on the database (the server may run).
 * Exit 0 on success, 1 when the group is missing, exists already or the
 * store fails, 2 on usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/documents.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro groups list [--user NAME]\n"
          "       maestro groups add NAME [--description TEXT] [--user NAME]\n"
          "       maestro groups remove NAME|ID [--user NAME]\n"
          "Lists, adds or removes document groups of the user's library (default user:\n"
          "ADMIN_USERNAME). Removing a group keeps its documents.\n");
}

int cmd_groups(int argc, char **argv) {
  if (argc < 2 || cli_wants_help(argc, argv)) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1], *name = NULL, *user = NULL, *desc = NULL;
  int list = !strcmp(sub, "list"), add = !strcmp(sub, "add"), del = !strcmp(sub, "remove");
  if (!list && !add && !del) {
    fprintf(stderr, "maestro groups: unknown subcommand %s\n", sub);
    usage(stderr);
    return 2;
  }
  int first = cli_target(argc, argv,
                         list  ? NULL
                         : del ? "which group? (a name or an ID from `maestro groups list`)"
                               : "which group? (a name)",
                         &name);
  if (first < 0) return 2;
  for (int i = first; i < argc; i += 2) {
    const char *a = argv[i], *v = cli_value(argc, argv, i, "groups");
    if (!v) return 2;
    if (!strcmp(a, "--user"))
      user = v;
    else if (!strcmp(a, "--description") && add)
      desc = v;
    else {
      fprintf(stderr, "maestro groups %s: unknown option %s\n", sub, a);
      usage(stderr);
      return 2;
    }
  }
  if (add && strlen(name) > 200) {
    fprintf(stderr, "maestro groups add: a group name is at most 200 bytes\n");
    return 2;
  }
  if (desc && strlen(desc) > 4000) {
    fprintf(stderr, "maestro groups add: a description is at most 4000 bytes\n");
    return 2;
  }
  store_user_t *u;
  app_t *app = cli_open_as(user, "groups", &u);
  if (!app) return 1;
  int rc = 1;
  if (list) {
    json_t *groups = store_group_list_json(app->store, u->id);
    if (!groups) {
      fprintf(stderr, "maestro groups: cannot read the groups\n");
      goto out;
    }
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      const char *d = json_string_value(json_object_get(g, "description"));
      printf("%s  %s  (%lld documents)%s%s\n", json_string_value(json_object_get(g, "id")),
             json_string_value(json_object_get(g, "name")),
             (long long)json_integer_value(json_object_get(g, "document_count")), d && d[0] ? "  " : "", d ? d : "");
    }
    if (!json_array_size(groups)) fprintf(stderr, "no groups (add one with: maestro groups add NAME)\n");
    json_decref(groups);
    rc = 0;
  } else if (add) {
    char id[17];
    int src = store_group_create(app->store, u->id, name, desc, id);
    if (src == STORE_CONFLICT)
      fprintf(stderr, "maestro groups add: a group named \"%s\" already exists\n", name);
    else if (src != STORE_OK)
      fprintf(stderr, "maestro groups add: cannot create the group\n");
    else {
      printf("%s\n", id);
      fprintf(stderr, "added group %s\n", name);
      rc = 0;
    }
  } else {
    char id[17] = "";
    json_t *g = strlen(name) == 16 ? store_group_get_json(app->store, u->id, name) : NULL;
    if (g)
      snprintf(id, sizeof id, "%s", name);
    else if (store_group_find(app->store, u->id, name, id) != STORE_OK)
      id[0] = 0;
    json_decref(g);
    int src = id[0] ? store_group_delete(app->store, u->id, id) : STORE_NOT_FOUND;
    if (src == STORE_NOT_FOUND)
      fprintf(stderr, "maestro groups remove: no group %s\n", name);
    else if (src != STORE_OK)
      fprintf(stderr, "maestro groups remove: cannot remove the group\n");
    else {
      fprintf(stderr, "removed group %s (its documents stay in the library)\n", name);
      rc = 0;
    }
  }
out:
  store_user_free(u);
  app_close(app);
  return rc;
}
