/* The CLI front door: help, version, usage errors, the configuration reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "server_support.h"

static char dir[256];
static void setup(void) { ts_tmpdir(dir, sizeof dir); }
TestSuite(cli, .init = setup, .timeout = 60);

/* The command names of main.c's command table ({"name", cmd_...}), so a
 * command added there is checked here without a list to keep in step. */
static size_t table_commands(char names[][32], size_t max) {
  char *src = util_read_file(MAESTRO_SOURCE_DIR "/src/main.c", NULL);
  cr_assert_not_null(src, "cannot read src/main.c");
  const char *p = strstr(src, "COMMANDS[] = {"), *end = p ? strstr(p, "};") : NULL;
  cr_assert(p && end, "main.c has no COMMANDS table");
  size_t n = 0;
  while ((p = strstr(p, "{\"")) && p < end && n < max) {
    const char *q = strchr(p + 2, '"');
    if (q && strncmp(q, "\", cmd_", 7) == 0 && (size_t)(q - p - 2) < 32) {
      memcpy(names[n], p + 2, (size_t)(q - p - 2));
      names[n++][q - p - 2] = 0;
    }
    p += 2;
  }
  free(src);
  return n;
}

Test(cli, help_lists_commands_and_every_command_answers_help) {
  char *out = NULL;
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "help", NULL), 0);
  char cmds[64][32];
  size_t ncmds = table_commands(cmds, 64);
  cr_assert_geq(ncmds, 15, "only %zu commands read from main.c", ncmds);
  for (size_t i = 0; i < ncmds; i++) {
    cr_expect(strstr(out, cmds[i]) != NULL, "help does not list %s", cmds[i]);
    char *o2 = NULL, want[64];
    cr_expect_eq(ts_run_cli(dir, NULL, NULL, &o2, cmds[i], "--help", NULL), 0, "%s --help", cmds[i]);
    snprintf(want, sizeof want, "usage: maestro %s", cmds[i]);
    cr_expect(o2 && strstr(o2, want) != NULL, "%s --help does not print its usage: %s", cmds[i], o2 ? o2 : "");
    free(o2);
  }
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "version", NULL), 0);
  cr_expect(util_starts_with(out, "maestro "), "%s", out);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "no-such-command", NULL), 2);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "serve", "extra-arg", NULL), 2);
  free(out);
}

Test(cli, configuration_doc_matches_the_settings_table) {
  char *table = NULL;
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &table, "config", "--markdown", NULL), 0);
  char path[512];
  snprintf(path, sizeof path, "%s/docs/configuration.md", MAESTRO_SOURCE_DIR);
  char *doc = util_read_file(path, NULL);
  cr_assert_not_null(doc, "docs/configuration.md is missing");
  cr_expect(strstr(doc, table) != NULL,
            "docs/configuration.md is out of date: paste the output of 'maestro config --markdown' into it");
  free(doc);
  free(table);
}

Test(cli, config_masks_secrets) {
  const char *env[] = {"OPENAI_API_KEY=sk-very-secret-value", "JWT_SECRET_KEY=0123456789abcdef0123456789abcdef", NULL};
  char *out = NULL;
  cr_assert_eq(ts_run_cli(dir, env, NULL, &out, "config", NULL), 0);
  cr_expect(strstr(out, "sk-very-secret-value") == NULL, "secret printed");
  cr_expect(strstr(out, "0123456789abcdef0123") == NULL, "secret printed");
  cr_expect(strstr(out, "OPENAI_API_KEY") != NULL);
  free(out);
}

/* A command's stderr carries its own lines; the server's log lines (the
 * migrations of a first start, the first admin) only when LOG_LEVEL asks. */
Test(cli, a_command_is_quiet_unless_log_level_is_set) {
  char *out = NULL, path[400];
  snprintf(path, sizeof path, "%s/cli.log", dir);
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "groups", "list", NULL), 0);
  free(out);
  char *log = util_read_file(path, NULL);
  cr_expect(!log || !strstr(log, "applied migration"), "a first start logged its migrations: %s", log);
  cr_expect(!log || !strstr(log, "INFO"), "info lines without LOG_LEVEL: %s", log);
  free(log);
  unlink(path);
  char fresh[256];
  ts_tmpdir(fresh, sizeof fresh);
  snprintf(path, sizeof path, "%s/cli.log", fresh);
  const char *env[] = {"LOG_LEVEL=info", NULL};
  cr_assert_eq(ts_run_cli(fresh, env, NULL, &out, "groups", "list", NULL), 0);
  free(out);
  log = util_read_file(path, NULL);
  cr_expect(log && strstr(log, "created admin user"), "LOG_LEVEL=info logs the first start: %s", log ? log : "");
  free(log);
}
