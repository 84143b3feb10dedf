/* backends.c - fresh stores on each backend for the tests (see backends.h). */
#include "backends.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

store_t *backend_open_sqlite(void) {
  char dir[] = "/tmp/maestro-bk-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[96], err[512];
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st, "SQLite store: %s", err);
  return st;
}

store_t *backend_open_pg(void) {
  char conninfo[512], err[512];
  pg_test_new_db(conninfo, sizeof conninfo);
  store_t *st = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(st, "PostgreSQL store: %s", err);
  return st;
}
