/*
 * bench_library.c - GET /api/documents at 10,000 documents: the store's
 * filtered, sorted page (store_doc_query_json, what the handler runs) with
 * migration 017's indexes, against the same database with those indexes
 * dropped (the baseline). Prints milliseconds per page and the ratio.
 * Behaviour is checked by tests/integration/test_library.c; this only
 * measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/documents.h"
#include "store/db.h"

#define NDOCS 10000
#define ROUNDS 50

static const char *const AUTHORS[] = {"Marie Curie", "Alan Turing", "Grace Hopper", "Ada Lovelace", "Claude Shannon"};

static double run(store_t *st, const char *user, const store_doc_filter_t *f, store_doc_sort_t sort, int offset) {
  int64_t t0 = util_mono_ms();
  for (int i = 0; i < ROUNDS; i++) json_decref(store_doc_query_json(st, user, f, sort, 1, 50, offset));
  return (double)(util_mono_ms() - t0) / ROUNDS;
}

int main(void) {
  char dir[] = "/tmp/maestro-bench-library-XXXXXX", path[512], err[256];
  if (!mkdtemp(dir)) return 1;
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *st = store_open_path(path, err, sizeof err);
  if (!st) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  const char *user = "u000000000000001", *other = "u000000000000002";
  db_conn_t *db = db_acquire(st);
  db_exec(db,
          "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES "
          "('u000000000000001','a','x','researcher',0,0), ('u000000000000002','b','x','researcher',0,0)");
  db_release(st, db);
  for (int u = 0; u < 2; u++)
    for (int i = 0; i < NDOCS; i++) {
      store_doc_t d = {0};
      snprintf(d.user_id, sizeof d.user_id, "%s", u ? other : user);
      char fn[32], title[64], hash[32], year[8];
      snprintf(fn, sizeof fn, "p%05d.pdf", i);
      snprintf(title, sizeof title, "Paper %05d", (i * 7919) % NDOCS);
      snprintf(hash, sizeof hash, "%d-%d", u, i);
      snprintf(year, sizeof year, "%d", 1950 + i % 70);
      d.filename = d.stored_path = fn;
      d.content_hash = hash;
      d.bib.title = title;
      d.bib.authors = (char *)AUTHORS[i % 5];
      d.bib.year = year;
      snprintf(d.status, sizeof d.status, "ready");
      if (store_doc_insert(st, &d, NULL) != STORE_OK) return 1;
    }
  store_doc_filter_t none = {0}, turing = {.author = "turing", .year_from = 1990, .year_to = 1999};
  const char *names[] = {"newest first, page 1", "newest first, page 100 (offset 4950)", "title A..Z, page 1",
                         "year, latest first, page 1", "author + year range, page 1"};
  double with[5], without[5];
  for (int pass = 0; pass < 2; pass++) {
    double *t = pass ? without : with;
    t[0] = run(st, user, &none, STORE_DOC_SORT_ADDED, 0);
    t[1] = run(st, user, &none, STORE_DOC_SORT_ADDED, 4950);
    t[2] = run(st, user, &none, STORE_DOC_SORT_TITLE, 0);
    t[3] = run(st, user, &none, STORE_DOC_SORT_YEAR, 0);
    t[4] = run(st, user, &turing, STORE_DOC_SORT_YEAR, 0);
    if (!pass) {
      db = db_acquire(st);
      db_exec(db, "DROP INDEX documents_user_added; DROP INDEX documents_user_title; DROP INDEX documents_user_year");
      db_release(st, db);
    }
  }
  printf("library list, %d documents of one user (+%d of another), 50 per page, ms per request\n", NDOCS, NDOCS);
  printf("| query | with 017 indexes | baseline (without) | ratio |\n|---|---:|---:|---:|\n");
  for (int i = 0; i < 5; i++)
    printf("| %s | %.2f | %.2f | %.2f |\n", names[i], with[i], without[i], without[i] > 0 ? with[i] / without[i] : 0);
  store_close(st);
  return 0;
}
