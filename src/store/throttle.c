/* throttle.c - failed sign-ins by key and time, on either backend through
 * db.h; see throttle.h. */
#include "store/throttle.h"

#include "store/db.h"

int64_t store_login_failures_purge(store_t *st, int64_t before) {
  int64_t n = 0;
  if (db_run(st, "purge login failures", "DELETE FROM login_failures WHERE at <= ?", DB_ARGS(DB_INT(before)), &n) !=
      STORE_OK)
    return STORE_ERROR;
  return n;
}

int store_login_failure_add(store_t *st, const char *key, int64_t now, int window_s) {
  if (db_run(st, "record login failure", "INSERT INTO login_failures (throttle_key, at) VALUES (?, ?)",
             DB_ARGS(DB_TEXT(key), DB_INT(now)), NULL) != STORE_OK)
    return STORE_ERROR;
  return store_login_failures_purge(st, now - window_s) < 0 ? STORE_ERROR : STORE_OK;
}

int store_login_wait(store_t *st, const char *key, int64_t now, int max_failures, int window_s) {
  if (max_failures < 1) max_failures = 1;
  /* the max-th most recent failure within the window: while there is one,
   * the key is refused until it leaves the window */
  int64_t at = -1;
  int n = db_query(st, "count login failures",
                   "SELECT at FROM login_failures WHERE throttle_key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                   DB_ARGS(DB_TEXT(key), DB_INT(now - window_s), DB_INT(max_failures - 1)), db_row_int64, &at);
  if (n <= 0) return 0;
  int64_t wait = at + window_s - now;
  return wait < 1 ? 1 : (int)wait;
}

int store_login_failures_clear(store_t *st, const char *key) {
  return db_run(st, "clear login failures", "DELETE FROM login_failures WHERE throttle_key = ?",
                DB_ARGS(DB_TEXT(key)), NULL);
}
