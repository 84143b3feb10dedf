/*
 * The command line on a PostgreSQL store: `maestro doctor` checks the
 * connection, the schema version and a LISTEN/NOTIFY round trip;
 * `maestro backup` dumps with pg_dump and `maestro restore` puts it back
 * with pg_restore, refused over data without --force and while a server
 * is connected. Real maestro processes on a throwaway PostgreSQL cluster.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "server_support.h"

#include "pg_cluster_hooks.h"

TestSuite(cli_pg, .timeout = 180);

static void url_of(const char *conninfo, char *url, size_t n) {
  char u[700];
  cr_assert_eq(pg_conninfo_url(conninfo, u, sizeof u), 0, "%s", conninfo);
  snprintf(url, n, "DATABASE_URL=%s", u);
}

Test(cli_pg, doctor_backup_and_restore_on_postgresql) {
  char conninfo[512], url[800], dir[256], bdir[300], *out = NULL;
  pg_test_new_db(conninfo, sizeof conninfo);
  url_of(conninfo, url, sizeof url);
  ts_tmpdir(dir, sizeof dir);
  const char *env[] = {url, "LOG_LEVEL=warning", NULL};

  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "doctor", NULL), 0, "%s", out);
  cr_expect_not_null(strstr(out, "OK   database postgresql"), "%s", out);
  cr_expect_not_null(strstr(out, "LISTEN/NOTIFY"), "%s", out);
  cr_expect_null(strstr(out, "password"), "no secret in the output");
  free(out);

  /* a server writes something: a user */
  ts_server_t s;
  cr_assert_eq(ts_server_start_role(&s, dir, env, NULL), 0);
  char *tok = ts_login(&s, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  json_t *body = json_pack("{s:s, s:s, s:s}", "username", "carol", "password", "pass-word-123", "role", "viewer");
  long st = 0;
  json_t *r = ts_json(&s, "POST", "/api/admin/users", tok, body, &st);
  cr_assert(st == 201 || st == 200, "create user: %ld", st);
  json_decref(r);
  json_decref(body);
  free(tok);

  snprintf(bdir, sizeof bdir, "%s/backup", dir);
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "backup", bdir, NULL), 0, "%s", out);
  free(out);
  char path[400];
  snprintf(path, sizeof path, "%s/manifest.json", bdir);
  json_t *m = json_load_file(path, 0, NULL);
  cr_assert_not_null(m);
  cr_expect_str_eq(json_string_value(json_object_get(m, "database")), "postgresql");
  json_decref(m);

  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "restore", "--force", bdir, NULL), 1, "refused while a server runs");
  free(out);
  cr_expect_eq(ts_server_stop(&s), 0);
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "restore", bdir, NULL), 1, "refused over data without --force");
  free(out);
  /* carol is removed after the backup; the restore brings her back */
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "user", "disable", "carol", NULL), 0);
  free(out);
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "restore", "--force", bdir, NULL), 0, "%s", out);
  free(out);
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "user", "list", NULL), 0);
  cr_expect_not_null(strstr(out, "carol"), "%s", out);
  free(out);
  cr_assert_eq(ts_server_start_role(&s, dir, env, NULL), 0, "a server starts on the restored database");
  tok = ts_login(&s, "carol", "pass-word-123");
  cr_expect_not_null(tok, "carol is active again, as at the backup");
  free(tok);
  ts_server_stop(&s);
}
