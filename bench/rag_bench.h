/*
 * rag_bench.h - shared setup of the benchmarks: a fresh temp data
 * directory, configuration, store and rag context (no server, no jobs), a
 * user, a deterministic word generator, and latency percentiles.
 * Header-only (each bench is one translation unit).
 */
#ifndef MAESTRO_RAG_BENCH_H
#define MAESTRO_RAG_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "rag/rag.h"
#include "store/users.h"

typedef struct {
  char dir[96];
  int keep; /* 1: dir was given (bench_open_at): left in place at close */
  config_t *cfg;
  app_t app;
  rag_t *rag;
  char user_id[17];
} bench_env_t;

/* Opens the bench environment in dir (created when missing, kept at close),
 * or in a fresh temp directory when dir is NULL, with its database at
 * database_url (an empty PostgreSQL database, say) or, when that is NULL,
 * SQLite in dir. Returns 1 when dir already held a SQLite database (with its
 * user "bench"), else 0. */
static inline int bench_open_url(bench_env_t *b, const char *dir, const char *database_url) {
  log_setup(LOG_WARNING, 0);
  int existed = 0;
  b->keep = dir != NULL;
  if (dir) {
    snprintf(b->dir, sizeof b->dir, "%s", dir);
    mkdir(dir, 0700);
    char db[300];
    snprintf(db, sizeof db, "%s/bench.db", dir);
    existed = access(db, F_OK) == 0;
  } else {
    snprintf(b->dir, sizeof b->dir, "/tmp/maestro-bench-XXXXXX");
    if (!mkdtemp(b->dir)) exit(1);
  }
  char url[320];
  snprintf(url, sizeof url, "sqlite:///%s/bench.db", b->dir);
  if (database_url) existed = 0;
  setenv("DATABASE_URL", database_url ? database_url : url, 1);
  setenv("DATA_DIR", b->dir, 1);
  char err[512];
  b->cfg = config_load("/dev/null", err, sizeof err);
  if (!b->cfg) {
    fprintf(stderr, "config: %s\n", err);
    exit(1);
  }
  memset(&b->app, 0, sizeof b->app);
  b->app.cfg = b->cfg;
  b->app.store = store_open(b->cfg, err, sizeof err);
  if (!b->app.store) {
    fprintf(stderr, "store: %s\n", err);
    exit(1);
  }
  b->rag = rag_new(b->app.cfg, b->app.store, b->app.events, b->app.jobs, b->app.llm, err, sizeof err);
  if (!b->rag) {
    fprintf(stderr, "rag: %s\n", err);
    exit(1);
  }
  if (existed) {
    store_user_t *u = NULL;
    if (store_user_get_by_name(b->app.store, "bench", &u) != STORE_OK) exit(1);
    memcpy(b->user_id, u->id, 17);
    store_user_free(u);
    return 1;
  }
  store_user_t u = {0};
  u.username = (char *)"bench";
  u.password_hash = (char *)"x";
  snprintf(u.role, sizeof u.role, "researcher");
  if (store_user_insert(b->app.store, &u) != STORE_OK) exit(1);
  memcpy(b->user_id, u.id, 17);
  return 0;
}

static inline int bench_open_at(bench_env_t *b, const char *dir) {
  return bench_open_url(b, dir, NULL);
}

static inline void bench_open(bench_env_t *b) {
  bench_open_at(b, NULL);
}

static inline void bench_close(bench_env_t *b) {
  rag_free(b->rag);
  store_close(b->app.store);
  config_free(b->cfg);
  if (b->keep) return;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", b->dir);
}

static inline double bench_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static inline long bench_peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

static inline unsigned bench_rand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return (*s >> 8) & 0xFFFFFF;
}

/* A pseudo-word of a 5000-word vocabulary with a Zipf-like distribution. */
static inline void bench_word(unsigned *s, buf_t *out) {
  static const char *syl[] = {"ka", "lo",  "mi",  "ne",  "tor", "ven", "sa", "ri",  "pul", "dan",
                              "ex", "ium", "gra", "phe", "ost", "bel", "cy", "dro", "fla", "quin"};
  unsigned r = bench_rand(s);
  unsigned id = (unsigned)((double)5000 * ((double)(r % 10000) / 10000.0) * ((double)(r % 10000) / 10000.0));
  unsigned x = id * 2654435761u;
  int n = 2 + (int)(id % 3);
  for (int i = 0; i < n; i++) {
    buf_puts(out, syl[x % 20]);
    x /= 20;
    if (!x) x = id + 7;
  }
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static inline void bench_percentiles(double *v, size_t n, double *p50, double *p95) {
  qsort(v, n, sizeof *v, bench_cmp_double);
  *p50 = n ? v[n / 2] : 0;
  *p95 = n ? v[(size_t)((double)n * 0.95)] : 0;
}

/* Writes a plain text PDF of `pages` pages of generated words (seeded): one
 * Helvetica line per text operator, uncompressed. */
static inline void bench_write_pdf(const char *path, unsigned seed, int pages) {
  buf_t pdf = BUF_INIT, line = BUF_INIT;
  buf_init(&pdf);
  buf_init(&line);
  int nobj = 3 + 2 * pages;
  long *off = calloc((size_t)nobj + 1, sizeof *off);
  buf_puts(&pdf, "%PDF-1.4\n");
  off[1] = (long)pdf.len;
  buf_puts(&pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
  off[2] = (long)pdf.len;
  buf_puts(&pdf, "2 0 obj\n<< /Type /Pages /Kids [");
  for (int p = 0; p < pages; p++) buf_printf(&pdf, "%d 0 R ", 4 + 2 * p);
  buf_printf(&pdf, "] /Count %d >>\nendobj\n", pages);
  off[3] = (long)pdf.len;
  buf_puts(&pdf, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
  for (int p = 0; p < pages; p++) {
    buf_t content = BUF_INIT;
    buf_init(&content);
    buf_puts(&content, "BT /F1 10 Tf 14 TL 40 800 Td\n");
    for (int l = 0; l < 50; l++) {
      buf_reset(&line);
      for (int w = 0; w < 11; w++) {
        bench_word(&seed, &line);
        buf_putc(&line, ' ');
      }
      if (l % 6 == 5) buf_puts(&line, "end.");
      buf_printf(&content, "(%s) Tj T*\n", line.data);
    }
    buf_puts(&content, "ET\n");
    off[4 + 2 * p] = (long)pdf.len;
    buf_printf(&pdf,
               "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
               ">> /Contents %d 0 R >>\nendobj\n",
               4 + 2 * p, 5 + 2 * p);
    off[5 + 2 * p] = (long)pdf.len;
    buf_printf(&pdf, "%d 0 obj\n<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n", 5 + 2 * p, content.len,
               content.data);
    buf_free(&content);
  }
  long xref = (long)pdf.len;
  buf_printf(&pdf, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
  for (int i = 1; i <= nobj; i++) buf_printf(&pdf, "%010ld 00000 n \n", off[i]);
  buf_printf(&pdf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", nobj + 1, xref);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(pdf.data, 1, pdf.len, f);
    fclose(f);
  }
  free(off);
  buf_free(&pdf);
  buf_free(&line);
}

#endif
