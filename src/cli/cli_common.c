/* cli_common.c - what every subcommand needs. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli.h"

int cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

app_t *cli_open_app(void) {
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "maestro: configuration error: %s\n", err);
    return NULL;
  }
  log_level_t level = LOG_INFO;
  log_level_parse(config_get(cfg, "LOG_LEVEL"), &level);
  const char *fmt = config_get(cfg, "LOG_FORMAT");
  log_setup(level, strcmp(fmt, "json") == 0 ? 1 : strcmp(fmt, "text") == 0 ? 0 : -1);
  app_t *app = app_open(cfg, err, sizeof err);
  if (!app) fprintf(stderr, "maestro: %s\n", err);
  return app;
}
