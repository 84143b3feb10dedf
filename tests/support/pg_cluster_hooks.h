/*
 * pg_cluster_hooks.h - include in exactly one test file of a binary that
 * runs PostgreSQL tests: starts the binary's throwaway cluster before the
 * first test and removes it after the last (see pg.h). Criterion names its
 * hooks by line, hence a file rather than a macro.
 */
#ifndef MAESTRO_TEST_PG_CLUSTER_HOOKS_H
#define MAESTRO_TEST_PG_CLUSTER_HOOKS_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "pg.h"

ReportHook(PRE_ALL)(struct criterion_test_set *pg_set_) {
  (void)pg_set_;
  pg_test_cluster_up();
}

ReportHook(POST_ALL)(struct criterion_global_stats *pg_stats_) {
  (void)pg_stats_;
  pg_test_cluster_down();
}

#endif
