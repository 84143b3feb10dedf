/*
 * Login throttling in the store (store/throttle.h, through auth.h's
 * auth_throttle_*) on both backends: failures counted per key in a sliding
 * window, the wait until the window lets the key in again, a success
 * clearing the count, old rows purged; and two stores on one database (two
 * processes) counting the same failures.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "backends.h"
#include "pg.h"
#include "store/db.h"
#include "store/store.h"
#include "store/throttle.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

#define KEY "an-hmac-secret-of-at-least-32-bytes!"

/* 3 failures within 60 s lock a key out */
static auth_t *new_auth(void) {
  auth_t *a = auth_new(KEY, strlen(KEY), 3600, 1, 3, 60);
  cr_assert_not_null(a);
  return a;
}

static int64_t rows(store_t *st) {
  int64_t n = -1;
  cr_assert_geq(db_query(st, "count", "SELECT COUNT(*) FROM login_failures", DB_NOARGS, db_row_int64, &n), 0);
  return n;
}

BOTH_BACKENDS(throttle, blocks_after_max_failures_then_the_window_passes) {
  auth_t *a = new_auth();
  int64_t t = 1000;
  for (int i = 0; i < 3; i++) {
    cr_expect_eq(auth_throttle_check(a, st, "u:bob", t), 0, "failure %d is still allowed", i);
    auth_throttle_fail(a, st, "u:bob", t);
  }
  cr_expect_eq(auth_throttle_check(a, st, "u:bob", t + 1), 59, "waits until the first failure leaves the window");
  cr_expect_eq(auth_throttle_check(a, st, "u:carol", t + 1), 0, "other users are not affected");
  cr_expect_eq(auth_throttle_check(a, st, "u:bob", t + 59), 1);
  cr_expect_eq(auth_throttle_check(a, st, "u:bob", t + 60), 0, "the window passes: not locked out forever");
  auth_free(a);
}

BOTH_BACKENDS(throttle, the_window_slides) {
  auth_t *a = new_auth();
  /* failures at 0, 30, 50: locked out until the one at 0 is 60 s old */
  auth_throttle_fail(a, st, "ip:10.0.0.1", 0);
  auth_throttle_fail(a, st, "ip:10.0.0.1", 30);
  cr_expect_eq(auth_throttle_check(a, st, "ip:10.0.0.1", 40), 0, "two failures are not enough");
  auth_throttle_fail(a, st, "ip:10.0.0.1", 50);
  cr_expect_eq(auth_throttle_check(a, st, "ip:10.0.0.1", 50), 10);
  cr_expect_eq(auth_throttle_check(a, st, "ip:10.0.0.1", 60), 0, "the oldest failure left the window");
  /* one more failure at 61 makes three within the window again (30, 50, 61) */
  auth_throttle_fail(a, st, "ip:10.0.0.1", 61);
  cr_expect_eq(auth_throttle_check(a, st, "ip:10.0.0.1", 62), 28, "locked until the failure at 30 expires");
  auth_free(a);
}

BOTH_BACKENDS(throttle, a_success_clears_only_its_key) {
  auth_t *a = new_auth();
  for (int i = 0; i < 3; i++) {
    auth_throttle_fail(a, st, "u:dana", 100);
    auth_throttle_fail(a, st, "ip:10.0.0.2", 100);
  }
  cr_expect_gt(auth_throttle_check(a, st, "u:dana", 101), 0);
  auth_throttle_clear(a, st, "u:dana");
  cr_expect_eq(auth_throttle_check(a, st, "u:dana", 101), 0, "the user's count is cleared");
  cr_expect_gt(auth_throttle_check(a, st, "ip:10.0.0.2", 101), 0, "the address keeps its count");
  auth_free(a);
}

BOTH_BACKENDS(throttle, old_failures_are_purged) {
  auth_t *a = new_auth();
  auth_throttle_fail(a, st, "u:erin", 0);
  auth_throttle_fail(a, st, "u:frank", 10);
  cr_expect_eq(rows(st), 2);
  /* a failure at 65 deletes the rows out of its window (at <= 5) */
  auth_throttle_fail(a, st, "u:gus", 65);
  cr_expect_eq(rows(st), 2, "the failure at 0 is gone");
  cr_expect_eq(store_login_failures_purge(st, 65), 2);
  cr_expect_eq(rows(st), 0);
  auth_free(a);
}

/* Two stores on one database stand for two processes (two maestro serve on
 * one database): failures recorded through one lock the key out on the
 * other, and a success on the other clears it for both. */
static void two_processes(store_t *p1, store_t *p2) {
  auth_t *a1 = new_auth(), *a2 = new_auth();
  int64_t t = 5000;
  auth_throttle_fail(a1, p1, "u:hana", t);
  auth_throttle_fail(a2, p2, "u:hana", t);
  cr_expect_eq(auth_throttle_check(a1, p1, "u:hana", t), 0, "two failures in all: still allowed");
  auth_throttle_fail(a1, p1, "u:hana", t + 1);
  cr_expect_eq(auth_throttle_check(a2, p2, "u:hana", t + 2), 58, "the second process sees all three");
  cr_expect_eq(auth_throttle_check(a1, p1, "u:hana", t + 2), 58, "and so does the first");
  auth_throttle_clear(a2, p2, "u:hana");
  cr_expect_eq(auth_throttle_check(a1, p1, "u:hana", t + 2), 0, "a success on one clears it on both");
  auth_free(a1);
  auth_free(a2);
}

Test(throttle, two_processes_count_the_same_failures_sqlite) {
  char dir[] = "/tmp/maestro-thr-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[96], err[512];
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *p1 = store_open_path(path, err, sizeof err);
  cr_assert_not_null(p1, "%s", err);
  store_t *p2 = store_open_path(path, err, sizeof err);
  cr_assert_not_null(p2, "%s", err);
  two_processes(p1, p2);
  store_close(p2);
  store_close(p1);
}

Test(throttle, two_processes_count_the_same_failures_pg) {
  char conninfo[512], err[512];
  pg_test_new_db(conninfo, sizeof conninfo);
  store_t *p1 = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(p1, "%s", err);
  store_t *p2 = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(p2, "%s", err);
  two_processes(p1, p2);
  store_close(p2);
  store_close(p1);
}
