/* config_cmd.c - `maestro config`: the effective settings (secrets masked), or the reference table. */
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "cli/cli.h"

int cmd_config(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro config [--markdown]\n\nPrints every setting with its effective value and where it came from\n"
           "(environment/.env or default); secrets are masked. --markdown prints the reference table\n"
           "of docs/configuration.md instead.\n");
    return 0;
  }
  int markdown = argc > 1 && strcmp(argv[1], "--markdown") == 0;
  if (argc > 1 && !markdown) {
    fprintf(stderr, "usage: maestro config [--markdown]\n");
    return 2;
  }
  const char *name, *type, *def, *doc;
  if (markdown) {
    printf("| Variable | Type | Default | Meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; config_describe(i, &name, &type, &def, &doc); i++)
      printf("| `%s` | %s | %s%s%s | %s |\n", name, type, def[0] ? "`" : "", def[0] ? def : "(empty)", def[0] ? "`" : "",
             doc);
    return 0;
  }
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "maestro config: %s\n", err);
    return 1;
  }
  for (size_t i = 0; config_describe(i, &name, &type, &def, &doc); i++) {
    const char *v = config_get(cfg, name);
    int set = config_is_set(cfg, name);
    printf("%-26s %-40s %s\n", name, config_is_secret(name) && v[0] ? "********" : v, set ? "(set)" : "(default)");
  }
  config_free(cfg);
  return 0;
}
