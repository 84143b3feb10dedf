/*
 * pg.h - throwaway PostgreSQL 15 clusters for the tests.
 *
 * One cluster per test binary: `#include "pg_cluster_hooks.h"` in one test
 * file of the binary starts it before the first test (Criterion's PRE_ALL
 * hook, in the runner process) and stops it after the last. The cluster lives in a fresh temp directory
 * (initdb --no-sync, fsync off), listens only on a unix socket in that
 * directory (no TCP port to clash with) and runs as user `postgres` through
 * `runuser` when the tests run as root. A small guardian process owns it:
 * it removes the cluster and its directory when the test binary ends, even
 * when the binary is killed, so nothing is left behind.
 *
 * Binaries are taken from /usr/lib/postgresql/15/bin (Debian's
 * postgresql-15, installed by scripts/install-deps.sh --test), or from
 * $MAESTRO_TEST_PG_BIN. When they
 * are missing, or the cluster does not start, every PostgreSQL test FAILS
 * with the reason (never skipped: CI installs PostgreSQL).
 *
 * Each test case takes its own empty database with pg_test_new_db(), so
 * test cases stay independent while paying for only one cluster.
 */
#ifndef MAESTRO_TEST_PG_H
#define MAESTRO_TEST_PG_H

#include <stddef.h>

/* Starts the binary's cluster (once); puts its base conninfo in the
 * environment (MAESTRO_TEST_PG, inherited by the test workers) or the
 * reason it failed (MAESTRO_TEST_PG_ERROR). */
void pg_test_cluster_up(void);
/* Stops the cluster and removes its directory. */
void pg_test_cluster_down(void);

/* Creates a fresh empty database in the binary's cluster and writes its
 * conninfo ("host=DIR user=postgres dbname=NAME") into out. Fails the
 * current test (cr_assert) with the reason when there is no cluster. */
void pg_test_new_db(char *out, size_t outlen);

/* The same without Criterion (pg.c, which the benchmarks link too): 0, or
 * -1 with the reason in err. */
int pg_cluster_new_db(char *out, size_t outlen, char *err, size_t errlen);

/* The conninfo "host=DIR user=U dbname=D" as the URL maestro takes in
 * DATABASE_URL (postgresql://U@/D?host=DIR); 0, or -1 when it is not of
 * that form. */
int pg_conninfo_url(const char *conninfo, char *url, size_t n);

/* Runs one SQL command without parameters on conninfo; 0 on success, else
 * -1 with the server's message in err. For test set-up only. */
int pg_test_exec(const char *conninfo, const char *sql, char *err, size_t errlen);
/* The first column of the first row of sql as a malloc'd string (NULL for
 * no row, SQL NULL or an error). */
char *pg_test_scalar(const char *conninfo, const char *sql);

#endif
