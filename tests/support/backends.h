/*
 * backends.h - run one store test case on both backends.
 *
 *   BOTH_BACKENDS(suite, name) { ...uses st... }
 *
 * defines Test(suite, name_sqlite) on a fresh SQLite file and
 * Test(suite, name_pg) on a fresh database of the binary's PostgreSQL test
 * cluster (the binary must include pg_cluster_hooks.h, see pg.h). The body
 * gets an open, migrated store_t *st, closed after it.
 */
#ifndef MAESTRO_TEST_BACKENDS_H
#define MAESTRO_TEST_BACKENDS_H

#include "pg.h"
#include "store/store.h"

/* A fresh migrated store: SQLite in a new temp directory, or a new
 * PostgreSQL database (fails the test with the reason when it cannot). */
store_t *backend_open_sqlite(void);
store_t *backend_open_pg(void);

#define BOTH_BACKENDS(suite, name)       \
  static void name##_body(store_t *st);  \
  Test(suite, name##_sqlite) {           \
    store_t *st = backend_open_sqlite(); \
    name##_body(st);                     \
    store_close(st);                     \
  }                                      \
  Test(suite, name##_pg) {               \
    store_t *st = backend_open_pg();     \
    name##_body(st);                     \
    store_close(st);                     \
  }                                      \
  static void name##_body(store_t *st)

#endif
