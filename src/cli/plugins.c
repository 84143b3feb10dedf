/*
 * plugins.c - `maestro plugins list [--json]`: loads PLUGINS_DIR the way
 * the server does (same checks, same init) and prints what each plugin
 * provides and which files were refused and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "plugins/plugins.h"

static void print_names(const char *what, json_t *arr, const char *key) {
  if (!json_array_size(arr)) return;
  printf("    %s:", what);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) printf("%s %s", i ? "," : "", json_string_value(json_object_get(v, key)));
  printf("\n");
}

int cmd_plugins(int argc, char **argv) {
  if (cli_wants_help(argc, argv) || argc < 2 || strcmp(argv[1], "list")) {
    printf(
        "usage: maestro plugins list [--json]\n\nLoads the plugins of PLUGINS_DIR as the server does and lists\n"
        "each with its version and the sources, tools and routes it provides, then the\n"
        "files that were refused and why.\n");
    return cli_wants_help(argc, argv) ? 0 : 2;
  }
  int as_json = argc > 2 && !strcmp(argv[2], "--json");
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "maestro: %s\n", err);
    return 1;
  }
  log_setup(LOG_OFF, 0);
  plugins_t *pl = plugins_load(cfg);
  json_t *d = plugins_describe(pl);
  if (as_json) {
    char *s = json_dumps(d, JSON_INDENT(2));
    printf("%s\n", s);
    free(s);
  } else {
    json_t *ps = json_object_get(d, "plugins"), *v;
    size_t i;
    if (!json_array_size(ps))
      printf("no plugin loaded%s\n", config_get(cfg, "PLUGINS_DIR")[0] ? "" : " (PLUGINS_DIR is not set)");
    json_array_foreach(ps, i, v) {
      printf("%s %s  (%s)\n", json_string_value(json_object_get(v, "name")),
             json_string_value(json_object_get(v, "version")), json_string_value(json_object_get(v, "file")));
      const char *desc = json_string_value(json_object_get(v, "description"));
      if (desc && desc[0]) printf("    %s\n", desc);
      print_names("sources", json_object_get(v, "sources"), "id");
      print_names("tools", json_object_get(v, "tools"), "name");
      print_names("routes", json_object_get(v, "routes"), "path");
    }
    json_array_foreach(json_object_get(d, "refused"), i, v)
        printf("refused %s: %s\n", json_string_value(json_object_get(v, "file")),
               json_string_value(json_object_get(v, "reason")));
  }
  json_decref(d);
  plugins_free(pl);
  config_free(cfg);
  return 0;
}
