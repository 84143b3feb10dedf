/* Configuration: defaults, .env parsing, environment precedence, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
  unsetenv("DATA_DIR");
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

Test(config, the_database_lives_in_data_dir_unless_named) {
  char err[256];
  const struct {
    const char *dir, *path;
  } cases[] = {{"/srv/maestro", "/srv/maestro/maestro.db"}, {"state", "./state/maestro.db"}, {"../m", "../m/maestro.db"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setenv("DATA_DIR", cases[i].dir, 1);
    config_t *c = config_load("/dev/null", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(config_sqlite_path(c), cases[i].path, "DATA_DIR=%s", cases[i].dir);
    cr_expect_eq(config_is_set(c, "DATABASE_URL"), 0);
    config_free(c);
  }
  setenv("DATABASE_URL", "sqlite:////var/lib/other.db", 1);
  config_t *c = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  cr_expect_str_eq(config_sqlite_path(c), "/var/lib/other.db", "a named database stays where it is named");
  config_free(c);
}

Test(config, an_installation_with_its_database_in_data_keeps_it_there) {
  /* made before the database followed DATA_DIR: ./data/maestro.db exists,
   * DATA_DIR names another directory without a database */
  char dir[] = "/tmp/maestro-cfg-legacy-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  cr_assert_eq(chdir(dir), 0);
  cr_assert_eq(mkdir("data", 0700), 0);
  FILE *f = fopen("data/maestro.db", "w");
  cr_assert_not_null(f);
  fclose(f);
  setenv("DATA_DIR", "/srv/elsewhere", 1);
  char err[256];
  config_t *c = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(c, "%s", err);
  cr_expect_str_eq(config_sqlite_path(c), "./data/maestro.db", "the existing database is not left behind");
  config_free(c);
  unlink("data/maestro.db");
  rmdir("data");
  rmdir(dir);
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
