/* pg_newdb.c - pg_test_new_db (see pg.h): pg_cluster_new_db that fails the
 * current Criterion test with the reason (pg.c itself needs no Criterion, so
 * the benchmarks link it too). */
#include <criterion/criterion.h>

#include "pg.h"

void pg_test_new_db(char *out, size_t outlen) {
  char err[768];
  cr_assert_eq(pg_cluster_new_db(out, outlen, err, sizeof err), 0, "%s", err);
}
