/* user.c - `maestro user add|list|passwd|role|disable|enable`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "cli/cli.h"
#include "http/http.h"
#include "store/users.h"

static const char USAGE[] =
    "usage: maestro user COMMAND ...\n\n"
    "  add NAME [--role admin|researcher|viewer] [--password-stdin]\n"
    "  list\n"
    "  passwd NAME [--password-stdin]\n"
    "  role NAME admin|researcher|viewer\n"
    "  disable NAME\n"
    "  enable NAME\n\n"
    "Without --password-stdin the password is asked on the terminal (twice).\n";

/* Reads a password from stdin (one line) or, on a terminal, without echo. */
static int read_password(int from_stdin, char *out, size_t n) {
  if (!from_stdin && isatty(STDIN_FILENO)) {
    struct termios old, quiet;
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    char again[1024];
    fprintf(stderr, "Password: ");
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    int ok = fgets(out, (int)n, stdin) != NULL;
    fprintf(stderr, "\nAgain: ");
    ok = ok && fgets(again, sizeof again, stdin) != NULL;
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fprintf(stderr, "\n");
    if (!ok) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    again[strcspn(again, "\r\n")] = '\0';
    if (strcmp(out, again) != 0) {
      fprintf(stderr, "maestro user: the passwords differ\n");
      return -1;
    }
    return 0;
  }
  if (!fgets(out, (int)n, stdin)) return -1;
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

static int find_user(app_t *app, const char *name, store_user_t **u) {
  if (store_user_get_by_name(app->store, name, u) != STORE_OK) {
    fprintf(stderr, "maestro user: no user named %s\n", name);
    return -1;
  }
  return 0;
}

int cmd_user(int argc, char **argv) {
  if (argc < 2 || cli_wants_help(argc, argv)) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1];
  const char *name = argc > 2 ? argv[2] : NULL;
  const char *role = "researcher";
  int pw_stdin = 0;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
      role = argv[++i];
    else if (strcmp(argv[i], "--password-stdin") == 0)
      pw_stdin = 1;
    else if (strcmp(sub, "role") == 0 && i == 3)
      role = argv[i];
    else {
      fprintf(stderr, "maestro user: unexpected argument %s\n%s", argv[i], USAGE);
      return 2;
    }
  }
  int needs_name = strcmp(sub, "list") != 0;
  if ((needs_name && !name) || (strcmp(sub, "role") == 0 && argc < 4)) {
    fputs(USAGE, stderr);
    return 2;
  }
  if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "passwd") && strcmp(sub, "role") &&
      strcmp(sub, "disable") && strcmp(sub, "enable")) {
    fprintf(stderr, "maestro user: unknown command %s\n%s", sub, USAGE);
    return 2;
  }
  app_t *app = cli_open_app();
  if (!app) return 1;
  int rc = 1;
  char err[256];
  char pw[1024];
  store_user_t *u = NULL;
  if (strcmp(sub, "list") == 0) {
    json_t *users = store_user_list_json(app->store);
    size_t i;
    json_t *x;
    printf("%-24s %-11s %-8s %s\n", "USERNAME", "ROLE", "ACTIVE", "CREATED");
    json_array_foreach(users, i, x) {
      printf("%-24s %-11s %-8s %s\n", json_string_value(json_object_get(x, "username")),
             json_string_value(json_object_get(x, "role")), json_is_true(json_object_get(x, "active")) ? "yes" : "no",
             json_string_value(json_object_get(x, "created_at")));
    }
    json_decref(users);
    rc = 0;
  } else if (strcmp(sub, "add") == 0) {
    if (read_password(pw_stdin, pw, sizeof pw) != 0) {
      fprintf(stderr, "maestro user: no password given\n");
    } else if (accounts_create(app->store, app->auth, name, pw, role, NULL, err, sizeof err) != 0) {
      fprintf(stderr, "maestro user add: %s\n", err);
    } else {
      printf("created user %s (%s)\n", name, role);
      rc = 0;
    }
  } else if (find_user(app, name, &u) == 0) {
    if (strcmp(sub, "passwd") == 0) {
      if (read_password(pw_stdin, pw, sizeof pw) != 0)
        fprintf(stderr, "maestro user: no password given\n");
      else if (accounts_set_password(app->store, app->auth, u->id, pw, err, sizeof err) != 0)
        fprintf(stderr, "maestro user passwd: %s\n", err);
      else {
        printf("password of %s changed\n", name);
        rc = 0;
      }
    } else {
      int to_active = strcmp(sub, "enable") == 0 ? 1 : strcmp(sub, "disable") == 0 ? 0 : -1;
      const char *new_role = strcmp(sub, "role") == 0 ? role : NULL;
      if (new_role && role_parse(new_role) == ROLE_NONE) {
        fprintf(stderr, "maestro user role: role must be admin, researcher or viewer\n");
        rc = 2;
      } else if (strcmp(u->role, "admin") == 0 && u->active &&
                 (to_active == 0 || (new_role && strcmp(new_role, "admin") != 0)) &&
                 store_admin_count(app->store) <= 1) {
        fprintf(stderr, "maestro user: %s is the last active admin\n", name);
      } else if (store_user_update(app->store, u->id, new_role, to_active, NULL) != STORE_OK) {
        fprintf(stderr, "maestro user: cannot update %s\n", name);
      } else {
        printf("%s: %s\n", name, new_role ? new_role : to_active ? "enabled" : "disabled");
        rc = 0;
      }
    }
  }
  memset(pw, 0, sizeof pw);
  store_user_free(u);
  app_close(app);
  return rc;
}
