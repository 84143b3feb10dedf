/* The CLI front door: help, version, usage errors, the configuration reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server_support.h"

static char dir[256];
static void setup(void) { ts_tmpdir(dir, sizeof dir); }
TestSuite(cli, .init = setup, .timeout = 60);

Test(cli, help_lists_commands_and_every_command_answers_help) {
  char *out = NULL;
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "help", NULL), 0);
  const char *cmds[] = {"serve", "user", "doctor", "version", "backup", "restore", "config"};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    cr_expect(strstr(out, cmds[i]) != NULL, "help does not list %s", cmds[i]);
    char *o2 = NULL;
    cr_expect_eq(ts_run_cli(dir, NULL, NULL, &o2, cmds[i], "--help", NULL), 0, "%s --help", cmds[i]);
    cr_expect(strstr(o2, "usage: maestro") != NULL || strstr(o2, "maestro ") != NULL, "%s --help: %s", cmds[i], o2);
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
