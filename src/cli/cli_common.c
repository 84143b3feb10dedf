/* cli_common.c - what every subcommand needs. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "auth/accounts.h"
#include "base/log.h"
#include "cli/cli.h"

int cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

int cli_target(int argc, char **argv, const char *question, const char **target) {
  *target = NULL;
  if (!question) return 2;
  if (argc < 3 || argv[2][0] == '-' || !argv[2][0]) {
    fprintf(stderr, "maestro %s %s: %s\n", argv[0], argv[1], question);
    return -1;
  }
  *target = argv[2];
  return 3;
}

const char *cli_value(int argc, char **argv, int i, const char *cmd) {
  if (i + 1 < argc) return argv[i + 1];
  fprintf(stderr, "maestro %s: %s needs a value\n", cmd, argv[i]);
  return NULL;
}

int cli_set_opt(const cli_opt_t *opts, const char *a, const char *v) {
  for (; opts->name; opts++)
    if (!strcmp(a, opts->name)) {
      *opts->value = v;
      return 1;
    }
  return 0;
}

/* The app with its logs at LOG_LEVEL, or at `level` when it is not set. */
static app_t *open_app(log_level_t level) {
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "maestro: configuration error: %s\n", err);
    return NULL;
  }
  if (config_is_set(cfg, "LOG_LEVEL")) log_level_parse(config_get(cfg, "LOG_LEVEL"), &level);
  const char *fmt = config_get(cfg, "LOG_FORMAT");
  log_setup(level, strcmp(fmt, "json") == 0 ? 1 : strcmp(fmt, "text") == 0 ? 0 : -1);
  app_t *app = app_open(cfg, err, sizeof err);
  if (!app) fprintf(stderr, "maestro: %s\n", err);
  return app;
}

app_t *cli_open_app(void) {
  return open_app(LOG_WARNING); /* a command's own lines, not the log's */
}

app_t *cli_open_server(void) {
  return open_app(LOG_INFO);
}

int cli_first_admin(app_t *app) {
  char err[256];
  char *generated = NULL;
  int created = accounts_ensure_admin(app->cfg, app->store, app->auth, &generated, err, sizeof err);
  if (created < 0) {
    fprintf(stderr, "maestro: cannot create the first admin: %s\n", err);
    return -1;
  }
  if (created > 0) {
    log_info("cli", "created admin user %s", config_get(app->cfg, "ADMIN_USERNAME"));
    if (generated) {
      /* Printed once, on the terminal only, never into the log stream. */
      fprintf(stderr,
              "\n  First start: created admin user '%s' with the generated password:\n\n      %s\n\n"
              "  Change it after logging in (it is not shown again).\n\n",
              config_get(app->cfg, "ADMIN_USERNAME"), generated);
      free(generated);
    }
  }
  return 0;
}

int cli_user(app_t *app, const char *name, const char *cmd, store_user_t **out) {
  *out = NULL;
  if (!name && cli_first_admin(app) != 0) return -1;
  const char *uname = name ? name : config_get(app->cfg, "ADMIN_USERNAME");
  if (store_user_get_by_name(app->store, uname, out) != STORE_OK) {
    fprintf(stderr, "maestro %s: no user named %s (create it with `maestro user add`)\n", cmd, uname);
    return -1;
  }
  return 0;
}

app_t *cli_open_as(const char *name, const char *cmd, store_user_t **out) {
  *out = NULL;
  app_t *app = cli_open_app();
  if (app && cli_user(app, name, cmd, out) != 0) {
    app_close(app);
    app = NULL;
  }
  return app;
}
