/* maestro backup while the server runs; maestro restore into a fresh place. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_support.h"

Test(backup, backup_of_a_running_server_restores_elsewhere, .timeout = 120) {
  ts_server_t s;
  cr_assert_eq(ts_server_start(&s, NULL), 0);
  char *admin = ts_login(&s, "admin", "admin-pass-123");
  cr_assert_not_null(admin);
  long st;
  json_t *body = json_pack("{s:s, s:s, s:s}", "username", "kept", "password", "password-123", "role", "viewer");
  json_decref(ts_json(&s, "POST", "/api/admin/users", admin, body, &st));
  json_decref(body);
  cr_assert_eq(st, 201);

  char bdir[300];
  snprintf(bdir, sizeof bdir, "%s/backup1", s.dir);
  char *out = NULL;
  cr_expect_eq(ts_run_cli(s.dir, NULL, NULL, &out, "backup", bdir, NULL), 0, "backup while running");
  free(out);
  cr_expect_eq(ts_run_cli(s.dir, NULL, NULL, &out, "backup", bdir, NULL), 1, "refuses to overwrite a backup");
  free(out);
  cr_expect_eq(ts_run_cli(s.dir, NULL, NULL, &out, "restore", "--force", bdir, NULL), 1,
               "restore refuses while the server holds the database");
  free(out);
  cr_expect_eq(ts_server_stop(&s), 0);

  char fresh[256];
  ts_tmpdir(fresh, sizeof fresh);
  cr_expect_eq(ts_run_cli(fresh, NULL, NULL, &out, "restore", bdir, NULL), 0);
  cr_expect(strstr(out, "restored") != NULL, "%s", out);
  free(out);
  ts_server_t s2;
  cr_assert_eq(ts_server_start_in(&s2, fresh, NULL), 0);
  char *t = ts_login(&s2, "kept", "password-123");
  cr_expect_not_null(t, "the user from the backup can log in");
  /* the JWT key came along: the old admin token still verifies */
  json_t *me = ts_json(&s2, "GET", "/api/auth/me", admin, NULL, &st);
  cr_expect_eq(st, 200);
  json_decref(me);
  free(t);
  free(admin);
  cr_expect_eq(ts_server_stop(&s2), 0);
  cr_expect_eq(ts_run_cli(fresh, NULL, NULL, &out, "restore", "/nonexistent", NULL), 1);
  free(out);
}
