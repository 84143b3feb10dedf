/* inproc.c - see inproc.h. */
#include "inproc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/auth.h"
#include "server_support.h"

void inproc_open(inproc_t *p, const char *const *extra) {
  memset(p, 0, sizeof *p);
  ts_tmpdir(p->dir, sizeof p->dir);
  char db[900], data[300];
  cr_assert_eq(ts_database_env(p->dir, db, sizeof db), 0, "no PostgreSQL database for the test");
  if (*db)
    setenv("DATABASE_URL", db + strlen("DATABASE_URL="), 1);
  else {
    snprintf(db, sizeof db, "sqlite:///%s/m.db", p->dir);
    setenv("DATABASE_URL", db, 1);
  }
  snprintf(data, sizeof data, "%s/data", p->dir);
  setenv("DATA_DIR", data, 1);
  setenv("BACKEND_PORT", "0", 1);
  setenv("FRONTEND_PORT", "0", 1);
  setenv("BIND_ADDRESS", "127.0.0.1", 1);
  setenv("LOG_LEVEL", "warning", 1);
  setenv("HTTP_THREADS", "32", 1);
  for (const char *const *e = extra; e && *e; e++) putenv(strdup(*e));
  char err[512];
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(cfg, "%s", err);
  p->app = app_open(cfg, err, sizeof err);
  cr_assert_not_null(p->app, "%s", err);
}

void inproc_serve(inproc_t *p) {
  char err[512];
  cr_assert_eq(app_start_workers(p->app, APP_ROLE_ALL), 0);
  p->srv = http_server_start(p->app, err, sizeof err);
  cr_assert_not_null(p->srv, "%s", err);
  p->port = http_server_port(p->srv, 0);
}

void inproc_user(inproc_t *p, const char *name, const char *role, char *id_out, char **token) {
  char err[256];
  cr_assert_eq(accounts_create(p->app->store, p->app->auth, name, "password-123", role, id_out, err, sizeof err), 0, "%s", err);
  *token = auth_token_issue(p->app->auth, id_out, name, role, NULL);
}

void inproc_close(inproc_t *p) {
  http_server_stop(p->srv);
  app_close(p->app);
  p->srv = NULL;
  p->app = NULL;
}
