/*
 * backend_db.c - which store the integration tests' servers use (see
 * ts_database_env in server_support.h); no Criterion here, so that the
 * benchmarks that drive servers (bench_scaleout) link it too.
 *
 * MAESTRO_TEST_BACKEND=pg: each server directory gets its own database in
 * the binary's throwaway PostgreSQL cluster (pg.c; started by the hooks of
 * backend_env.c), created on first use and recorded in
 * DIR/.test-database-url, so a restart in the same directory (or a CLI run
 * there) finds the same data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "server_support.h"

int ts_backend_is_pg(void) {
  const char *b = getenv("MAESTRO_TEST_BACKEND");
  return b && strcmp(b, "pg") == 0;
}

int ts_database_env(const char *dir, char *out, size_t n) {
  out[0] = '\0';
  if (!ts_backend_is_pg()) return 0;
  char path[300], url[800];
  snprintf(path, sizeof path, "%s/.test-database-url", dir);
  FILE *f = fopen(path, "r");
  if (f) {
    int ok = fgets(url, sizeof url, f) != NULL;
    fclose(f);
    url[strcspn(url, "\n")] = '\0';
    if (!ok || !*url) return -1;
  } else {
    char conninfo[512], err[768];
    if (pg_cluster_new_db(conninfo, sizeof conninfo, err, sizeof err) != 0 ||
        pg_conninfo_url(conninfo, url, sizeof url) != 0) {
      fprintf(stderr, "MAESTRO_TEST_BACKEND=pg: %s\n", err);
      return -1;
    }
    f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "%s\n", url);
    fclose(f);
  }
  snprintf(out, n, "DATABASE_URL=%s", url);
  return 0;
}
