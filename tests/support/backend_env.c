/*
 * backend_env.c - the Criterion hooks behind MAESTRO_TEST_BACKEND=pg (the
 * databases themselves: backend_db.c, which the benchmarks link too).
 * CMake compiles this file into every test binary (an archive member that
 * nothing refers to would not be linked, and the hooks with it).
 *
 * MAESTRO_TEST_BACKEND=pg: the binary's throwaway PostgreSQL cluster
 * (pg.c) is started once, in Criterion's runner before the first test, and
 * removed after the last (or by its guardian when the binary dies); each
 * server directory gets its own database, created on first use and
 * recorded in DIR/.test-database-url, so a restart in the same directory
 * (or a CLI run there) finds the same data.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "pg.h"
#include "server_support.h"

/* Criterion names hooks by line (hook_l<LINE>_impl, global): these lines
 * must differ from those of pg_cluster_hooks.h (15, 20), which a binary may
 * include too; pg_test_cluster_up and _down are idempotent. */
ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  if (ts_backend_is_pg()) pg_test_cluster_up();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  (void)stats;
  pg_test_cluster_down();
}
