/*
 * documents.c - `maestro documents`: list a user's documents, show one, and
 * edit its bibliographic fields (the same validation as PATCH
 * /api/documents/{id}: rag_meta_edit_from_json). Works in this process on
 * the database (the server may run). Exit 0 on success, 1 when the document
 * is missing or the store fails, 2 on usage or validation errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "cli/cli.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro documents list [--query TEXT] [--user NAME]\n"
          "       maestro documents show ID [--user NAME]\n"
          "       maestro documents edit ID [--title T] [--author NAME]... [--year YYYY] [--venue V]\n"
          "                              [--doi 10.x/y] [--arxiv ID] [--abstract TEXT] [--keyword K]...\n"
          "                              [--language TAG] [--user NAME]\n"
          "Lists, shows or edits documents of the user's library (default user: ADMIN_USERNAME).\n"
          "edit sets only the fields given; --author and --keyword repeat (or take \"A; B\");\n"
          "an empty value clears a field (not the title). Edited fields are kept when the\n"
          "document is processed again.\n");
}

/* "--author" values accumulate into an array; other flags set one string. */
static int add_flag(json_t *edit, const char *flag, const char *v) {
  static const struct {
    const char *flag, *field;
    int list;
  } FLAGS[] = {{"--title", "title", 0},       {"--author", "authors", 1},    {"--authors", "authors", 0},
               {"--year", "year", 0},         {"--venue", "venue", 0},       {"--doi", "doi", 0},
               {"--arxiv", "arxiv_id", 0},    {"--abstract", "abstract", 0}, {"--keyword", "keywords", 1},
               {"--keywords", "keywords", 0}, {"--language", "language", 0}, {NULL, NULL, 0}};
  for (int i = 0; FLAGS[i].flag; i++) {
    if (strcmp(flag, FLAGS[i].flag)) continue;
    if (!FLAGS[i].list) {
      json_object_set_new(edit, FLAGS[i].field, json_string(v));
      return 0;
    }
    json_t *a = json_object_get(edit, FLAGS[i].field);
    if (!json_is_array(a)) {
      a = json_array();
      json_object_set_new(edit, FLAGS[i].field, a);
    }
    json_array_append_new(a, json_string(v));
    return 0;
  }
  return -1;
}

static void print_doc(const store_doc_t *d) {
  printf("%s  %s\n", d->id, d->title ? d->title : d->filename);
  const char *names[] = {"file", "status", "authors", "year", "venue", "doi", "arxiv", "keywords", "language"};
  const char *vals[] = {d->filename, d->status,   d->authors,  d->year,    d->venue,
                        d->doi,      d->arxiv_id, d->keywords, d->language};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (vals[i] && vals[i][0]) printf("  %-9s %s\n", names[i], vals[i]);
  if (d->abstract) printf("  abstract  %.300s%s\n", d->abstract, strlen(d->abstract) > 300 ? "..." : "");
  const char *key;
  json_t *v;
  buf_t src = BUF_INIT;
  buf_init(&src);
  json_object_foreach(d->meta_sources, key, v)
      buf_printf(&src, "%s%s=%s", src.len ? ", " : "", key, json_string_value(v) ? json_string_value(v) : "?");
  if (src.len) printf("  sources   %s\n", src.data);
  buf_free(&src);
}

int cmd_documents(int argc, char **argv) {
  if (argc < 2 || cli_wants_help(argc, argv)) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1], *id = NULL, *user = NULL, *query = NULL;
  int first = 2;
  if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "edit")) {
    fprintf(stderr, "maestro documents: unknown subcommand %s\n", sub);
    usage(stderr);
    return 2;
  }
  if (strcmp(sub, "list")) {
    if (argc < 3 || argv[2][0] == '-') {
      fprintf(stderr, "maestro documents %s: which document? (an ID from `maestro documents list`)\n", sub);
      return 2;
    }
    id = argv[2];
    first = 3;
  }
  json_t *edit = json_object();
  int rc = 2;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "maestro documents: %s needs a value\n", a);
      goto done;
    }
    if (!strcmp(a, "--user"))
      user = v;
    else if (!strcmp(a, "--query") && !strcmp(sub, "list"))
      query = v;
    else if (strcmp(sub, "edit") || add_flag(edit, a, v) != 0) {
      fprintf(stderr, "maestro documents %s: unknown option %s\n", sub, a);
      usage(stderr);
      goto done;
    }
    i++;
  }
  rag_meta_edit_t e = {0};
  char field[32], err[256];
  if (!strcmp(sub, "edit")) {
    if (json_object_size(edit) == 0) {
      fprintf(stderr, "maestro documents edit: nothing to change (give --title, --author, --year, ...)\n");
      goto done;
    }
    if (rag_meta_edit_from_json(edit, &e, field, sizeof field, err, sizeof err) != 0) {
      fprintf(stderr, "maestro documents edit: %s\n", err);
      goto done;
    }
  }
  rc = 1;
  app_t *app = cli_open_app();
  if (!app) {
    rag_meta_edit_free(&e);
    goto done;
  }
  store_user_t *u = NULL;
  store_doc_t *d = NULL;
  if (cli_user(app, user, "documents", &u) != 0) goto out;
  if (!strcmp(sub, "list")) {
    json_t *res = store_doc_list_json(app->store, u->id, NULL, NULL, query, 500, 0);
    if (!res) goto out;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(res, "documents"), i, o) {
      const char *t = json_string_value(json_object_get(o, "title"));
      const char *y = json_string_value(json_object_get(o, "year"));
      printf("%s  %-9s %s%s%s%s\n", json_string_value(json_object_get(o, "id")),
             json_string_value(json_object_get(o, "status")), t ? t : json_string_value(json_object_get(o, "filename")),
             y ? " (" : "", y ? y : "", y ? ")" : "");
    }
    json_decref(res);
    rc = 0;
    goto out;
  }
  if (!strcmp(sub, "edit")) {
    int s = store_doc_update_fields(app->store, u->id, id, &e.m, NULL);
    if (s == STORE_NOT_FOUND) {
      fprintf(stderr, "maestro documents edit: no document %s in %s's library\n", id, u->username);
      goto out;
    }
    if (s != STORE_OK) {
      fprintf(stderr, "maestro documents edit: cannot update %s\n", id);
      goto out;
    }
  }
  if (store_doc_get(app->store, u->id, id, &d) != STORE_OK) {
    fprintf(stderr, "maestro documents %s: no document %s in %s's library\n", sub, id, u->username);
    goto out;
  }
  print_doc(d);
  rc = 0;
out:
  rag_meta_edit_free(&e);
  store_doc_free(d);
  store_user_free(u);
  app_close(app);
done:
  json_decref(edit);
  return rc;
}
