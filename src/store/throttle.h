/*
 * throttle.h - failed sign-ins in the store, so that every process sharing
 * the database counts the same failures (login throttling, auth.h).
 *
 * A failure is a row (key, epoch second): key is "u:<name>" or "ip:<addr>".
 * A key is refused while it has max failures or more in the last window
 * seconds (a sliding window): it is allowed again when the max-th most
 * recent of them leaves the window. Thread-safe.
 */
#ifndef MAESTRO_STORE_THROTTLE_H
#define MAESTRO_STORE_THROTTLE_H

#include <stdint.h>

#include "store/store.h"

/* Records one failure of key at `now` (epoch s) and deletes the failures
 * of every key older than the window (they no longer count). STORE_OK or
 * STORE_ERROR. */
int store_login_failure_add(store_t *st, const char *key, int64_t now, int window_s);
/* Seconds key must wait at `now` (0: allowed; >= 1 when it has max
 * failures within the window). A store error answers 0 (logged): a broken
 * store refuses the login later anyway. */
int store_login_wait(store_t *st, const char *key, int64_t now, int max_failures, int window_s);
/* Forgets key's failures (a successful sign-in). STORE_OK or STORE_ERROR. */
int store_login_failures_clear(store_t *st, const char *key);
/* Deletes every failure at or before `before` (epoch s); the count deleted, or STORE_ERROR. */
int64_t store_login_failures_purge(store_t *st, int64_t before);

#endif
