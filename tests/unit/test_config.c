/* Configuration: defaults, .env parsing, environment precedence, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"

static char envfile[64];

static void write_env(const char *text) {
  snprintf(envfile, sizeof envfile, "/tmp/maestro-cfg-XXXXXX");
  int fd = mkstemp(envfile);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

static void clear_env(void) {
  unsetenv("BACKEND_PORT");
  unsetenv("DATABASE_URL");
  unsetenv("JWT_SECRET_KEY");
  unsetenv("ALLOW_REGISTRATION");
  unsetenv("SEARXNG_URL");
}

TestSuite(config, .init = clear_env);

Test(config, defaults_match_the_documented_values) {
  char err[256];
  config_t *c = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  cr_expect_eq(config_int(c, "BACKEND_PORT"), 8000);
  cr_expect_eq(config_int(c, "FRONTEND_PORT"), 3030);
  cr_expect_str_eq(config_get(c, "DATABASE_URL"), "sqlite:///./data/maestro.db");
  cr_expect_str_eq(config_sqlite_path(c), "./data/maestro.db");
  cr_expect_eq(config_bool(c, "ALLOW_REGISTRATION"), 0);
  cr_expect_eq(config_is_set(c, "BACKEND_PORT"), 0);
  config_free(c);
}

Test(config, env_file_is_read_and_environment_wins) {
  write_env("# comment\nBACKEND_PORT=9001\nexport SEARXNG_URL=\"http://search.local:8080\"\n\nALLOW_REGISTRATION=yes # inline\n");
  setenv("BACKEND_PORT", "9002", 1);
  char err[256];
  config_t *c = config_load(envfile, err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  cr_expect_eq(config_int(c, "BACKEND_PORT"), 9002);
  cr_expect_str_eq(config_get(c, "SEARXNG_URL"), "http://search.local:8080");
  cr_expect_eq(config_bool(c, "ALLOW_REGISTRATION"), 1);
  cr_expect_eq(config_is_set(c, "SEARXNG_URL"), 1);
  config_free(c);
  unlink(envfile);
}

Test(config, malformed_port_names_the_variable) {
  setenv("BACKEND_PORT", "80a", 1);
  char err[256] = "";
  config_t *c = config_load("/dev/null", err, sizeof err);
  cr_assert_null(c);
  cr_expect(strstr(err, "BACKEND_PORT") != NULL, "error was: %s", err);
}

Test(config, unknown_setting_in_env_file_is_an_error) {
  write_env("BACKEND_PROT=8000\n");
  char err[256] = "";
  config_t *c = config_load(envfile, err, sizeof err);
  cr_assert_null(c);
  cr_expect(strstr(err, "BACKEND_PROT") != NULL, "error was: %s", err);
  cr_expect(strstr(err, ":1:") != NULL, "line number missing: %s", err);
  unlink(envfile);
}

Test(config, malformed_line_is_an_error) {
  write_env("JUST SOME TEXT\n");
  char err[256] = "";
  cr_assert_null(config_load(envfile, err, sizeof err));
  cr_expect(strstr(err, "malformed") != NULL, "error was: %s", err);
  unlink(envfile);
}

Test(config, bad_url_bool_and_short_secret_are_rejected) {
  char err[256];
  setenv("SEARXNG_URL", "ftp://x", 1);
  cr_expect_null(config_load("/dev/null", err, sizeof err));
  cr_expect(strstr(err, "SEARXNG_URL") != NULL);
  unsetenv("SEARXNG_URL");
  setenv("ALLOW_REGISTRATION", "maybe", 1);
  cr_expect_null(config_load("/dev/null", err, sizeof err));
  cr_expect(strstr(err, "ALLOW_REGISTRATION") != NULL);
  unsetenv("ALLOW_REGISTRATION");
  setenv("JWT_SECRET_KEY", "short", 1);
  cr_expect_null(config_load("/dev/null", err, sizeof err));
  cr_expect(strstr(err, "JWT_SECRET_KEY") != NULL);
  unsetenv("JWT_SECRET_KEY");
  setenv("DATABASE_URL", "mysql://x", 1);
  cr_expect_null(config_load("/dev/null", err, sizeof err));
  cr_expect(strstr(err, "DATABASE_URL") != NULL);
}

Test(config, missing_explicit_env_file_is_an_error) {
  char err[256];
  cr_expect_null(config_load("/nonexistent/.env", err, sizeof err));
  cr_expect(strstr(err, "/nonexistent/.env") != NULL);
}
