/*
 * bench/bench_search_scale.c - search latency over 100,000 generated chunks.
 *   lexical: rag_search (mode lexical, k = 10, passages fetched) for 300
 *            generated 2-6 word queries;
 *   vector:  768-d float32 matrix of 100,000 normalised rows, one OpenBLAS
 *            sgemv + top-10 heap per query (the in-memory path of vector
 *            search once the user's matrix is loaded), 300 queries.
 * Prints p50/p95 per query and the time to build the index.
 * Lexical searches also report how many query words selected the ranked
 * rows and how many queries needed the second (exact) pass, and the latency
 * after a write elsewhere (the index unchanged: caches kept), alone and
 * beside another user's library, where the owner's own statistics rank
 * (counted again when the index changed: after that user's new chunk).
 * Usage: search_scale [--chunks N] [--db DIR]  (DIR: reuse/keep the index)
 */
#include <math.h>

#include "rag/vectors.h"
#include "rag_bench.h"
#include "store/db.h"
#include "store/documents.h"
#include "store/fts.h"

/* Query q: 2-6 generated words. */
static void gen_query(unsigned *seed, int q, buf_t *out) {
  buf_reset(out);
  int words = 2 + q % 5;
  for (int w = 0; w < words; w++) {
    bench_word(seed, out);
    buf_putc(out, ' ');
  }
}

/* Document d of user: per_doc generated chunks of ~900 characters, indexed
 * and ready. Returns its chunks, -1 on error. */
static int add_gen_doc(bench_env_t *b, const char *user, int d, int per_doc, unsigned *seed, buf_t *para) {
  store_doc_t doc = {0};
  snprintf(doc.user_id, sizeof doc.user_id, "%s", user);
  char fname[64], hash[64];
  snprintf(fname, sizeof fname, "gen%05d.txt", d);
  snprintf(hash, sizeof hash, "gen-%s-%d", user, d);
  doc.filename = fname;
  doc.stored_path = fname;
  doc.content_hash = hash;
  snprintf(doc.status, sizeof doc.status, "processing");
  if (store_doc_insert(b->app.store, &doc, NULL) != STORE_OK) return -1;
  rag_doc_t pd;
  rag_doc_init(&pd);
  for (int c = 0; c < per_doc; c++) {
    buf_reset(para);
    while (para->len < 900) {
      bench_word(seed, para);
      buf_putc(para, ' ');
    }
    buf_putc(para, '.');
    rag_doc_para(&pd, para->data, para->len);
  }
  char err[256];
  int n = rag_index_parsed(b->rag, doc.id, user, fname, &pd, 1000, 0, err, sizeof err);
  if (n < 0)
    fprintf(stderr, "index: %s\n", err);
  else
    store_doc_mark_ready(b->app.store, doc.id, "", 0, n, 0, NULL, NULL, NULL, NULL);
  rag_doc_free(&pd);
  return n;
}

/* Lexical latency (rag_search, k = 10) of nq generated queries from *seed.
 * Before each query, with writer: a write elsewhere in the database (a
 * user's row: the index unchanged), or with index_writer also a new
 * one-chunk document of that user (the index changed). */
static void lexical_run(bench_env_t *b, unsigned *seed, int nq, const char *writer, int index_writer, buf_t *para,
                        double *p50, double *p95, size_t *nonempty) {
  double lat[300];
  unsigned wseed = 7;
  for (int q = 0; q < nq && q < 300; q++) {
    if (writer)
      db_run(b->app.store, "touch", "UPDATE users SET updated_at = updated_at + 1 WHERE id = ?",
             DB_ARGS(DB_TEXT(writer)), NULL);
    if (writer && index_writer && add_gen_doc(b, writer, 100000 + q, 1, &wseed, para) < 0) exit(1);
    gen_query(seed, q, para);
    rag_query_t rq;
    rag_query_init(&rq);
    rq.user_id = b->user_id;
    rq.query = para->data;
    rq.k = 10;
    rq.mode = RAG_MODE_LEXICAL;
    rag_results_t res;
    char err[256];
    double t0 = bench_now_ms();
    if (rag_search(b->rag, &rq, &res, err, sizeof err) != 0) exit(1);
    lat[q] = bench_now_ms() - t0;
    if (nonempty && res.n) (*nonempty)++;
    rag_results_free(&res);
  }
  bench_percentiles(lat, (size_t)(nq < 300 ? nq : 300), p50, p95);
}

int main(int argc, char **argv) {
  int target = 100000;
  const char *dir = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--chunks")) target = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--db")) dir = argv[i + 1];
  }
  bench_env_t b;
  int reuse = bench_open_at(&b, dir);
  /* 1000 documents of ~100 chunks (chunk size 1000, no overlap) */
  int per_doc = 100, ndocs = (target + per_doc - 1) / per_doc, total = 0;
  unsigned seed = 99;
  double i0 = bench_now_ms();
  buf_t para = BUF_INIT;
  buf_init(&para);
  if (reuse) {
    total = target;
    ndocs = 0;
  }
  for (int d = 0; d < ndocs; d++) {
    int n = add_gen_doc(&b, b.user_id, d, per_doc, &seed, &para);
    if (n < 0) return 1;
    total += n;
  }
  double build = bench_now_ms() - i0;
  enum { NQ = 300 };
  size_t nonempty = 0;
  int two_pass = 0;
  double sum_terms = 0, sum_ess = 0, sum_clauses = 0;
  unsigned qseed = seed;
  double l50, l95;
  lexical_run(&b, &seed, NQ, NULL, 0, &para, &l50, &l95, &nonempty);
  /* the same queries again, straight to the store, for the pruning figures */
  seed = qseed;
  for (int q = 0; q < NQ; q++) {
    gen_query(&seed, q, &para);
    size_t nw = 0;
    char **wv = rag_fts_words(para.data, 64, &nw);
    rag_rank_params_t p;
    rag_get_rank_params(b.rag, &p);
    store_rank_t r = {p.k1, p.b, p.w_title, p.w_heading, p.w_body};
    store_hit_t *h = NULL;
    size_t nh = 0;
    store_search_stats_t st;
    double t0 = bench_now_ms();
    store_chunks_search(b.app.store, b.user_id, NULL, wv, nw, &r, 10, &h, &nh, &st);
    if (getenv("BENCH_VERBOSE"))
      fprintf(stderr, "%6.2f ms  %d/%d words  %d clauses  %d passes  %.0f rows\n", bench_now_ms() - t0, st.essential,
              st.terms, st.clauses, st.passes, st.rows);
    free(h);
    rag_fts_words_free(wv);
    two_pass += st.passes > 1;
    sum_terms += st.terms;
    sum_ess += st.essential;
    sum_clauses += st.clauses;
  }
  /* per-user statistics: alone in the index, each query after a write
   * elsewhere; then beside another user's library (where the owner's own
   * figures rank): cached, after a write elsewhere, and after that user's
   * new chunk (the index changed: the owner's figures are counted again) */
  enum { NCOLD = 30 };
  double c50, c95, o50, o95, oc50, oc95, oi50, oi95;
  unsigned vseed = seed;
  seed = qseed;
  lexical_run(&b, &seed, NCOLD, b.user_id, 0, &para, &c50, &c95, NULL);
  store_user_t other = {0};
  other.username = (char *)"bench-other";
  other.password_hash = (char *)"x";
  snprintf(other.role, sizeof other.role, "researcher");
  if (store_user_insert(b.app.store, &other) != STORE_OK || add_gen_doc(&b, other.id, 0, per_doc, &seed, &para) < 0)
    return 1;
  seed = qseed;
  lexical_run(&b, &seed, NQ, NULL, 0, &para, &o50, &o95, NULL);
  seed = qseed;
  lexical_run(&b, &seed, NCOLD, other.id, 0, &para, &oc50, &oc95, NULL);
  seed = qseed;
  lexical_run(&b, &seed, NCOLD, other.id, 1, &para, &oi50, &oi95, NULL);
  /* a reused index stays one user's */
  if (db_run(b.app.store, "bench", "DELETE FROM documents WHERE user_id = ?", DB_ARGS(DB_TEXT(other.id)), NULL) !=
          STORE_OK ||
      db_run(b.app.store, "bench", "DELETE FROM users WHERE id = ?", DB_ARGS(DB_TEXT(other.id)), NULL) != STORE_OK)
    return 1;
  buf_free(&para);
  seed = vseed;
  /* vectors: 768-d normalised rows */
  const int dim = 768;
  size_t rows = (size_t)total;
  float *m = malloc(rows * dim * sizeof(float));
  if (!m) return 1;
  for (size_t r = 0; r < rows; r++) {
    double norm = 0;
    for (int k = 0; k < dim; k++) {
      float v = (float)((int)(bench_rand(&seed) % 2001) - 1000) / 1000.0f;
      m[r * dim + k] = v;
      norm += (double)v * v;
    }
    float inv = (float)(1.0 / sqrt(norm));
    for (int k = 0; k < dim; k++) m[r * dim + k] *= inv;
  }
  double vl[NQ];
  float *qv = malloc(dim * sizeof(float));
  size_t idx[10];
  float sc[10];
  for (int q = 0; q < NQ; q++) {
    memcpy(qv, m + (size_t)(bench_rand(&seed) % rows) * dim, dim * sizeof(float));
    double t0 = bench_now_ms();
    rag_vectors_topk(m, rows, dim, qv, 10, idx, sc);
    vl[q] = bench_now_ms() - t0;
  }
  double v50, v95;
  bench_percentiles(vl, NQ, &v50, &v95);
  if (reuse)
    printf("%d chunks: index reused from %s\n", total, dir);
  else
    printf("%d chunks in %d documents indexed in %.1f s (%.0f chunks/s)\n", total, ndocs, build / 1000,
           total / (build / 1000));
  printf("| search (k=10, %d queries) | p50 ms | p95 ms |\n|---|---|---|\n", NQ);
  printf("| lexical (BM25F over FTS5, passages fetched; %zu/%d queries with hits) | %.2f | %.2f |\n", nonempty, NQ, l50,
         l95);
  printf(
      "| (lexical pruning: %.1f of %.1f query words, in %.1f word sets, select the ranked rows on average; %d/%d "
      "queries took a second pass) | | |\n",
      sum_ess / NQ, sum_terms / NQ, sum_clauses / NQ, two_pass, NQ);
  printf("| lexical, each query after a write elsewhere (the index unchanged; %d queries) | %.2f | %.2f |\n", NCOLD,
         c50, c95);
  printf("| lexical beside another user's %d chunks (the owner's own statistics, cached) | %.2f | %.2f |\n", per_doc,
         o50, o95);
  printf("| lexical beside another user, each query after a write elsewhere | %.2f | %.2f |\n", oc50, oc95);
  printf(
      "| lexical beside another user, each query after their new chunk (the owner's statistics counted again) | "
      "%.2f | %.2f |\n",
      oi50, oi95);
  printf("| vector 768-d (OpenBLAS sgemv + top-k over %zu rows) | %.2f | %.2f |\n", rows, v50, v95);
  printf("peak RSS: %ld MB\n", bench_peak_rss_mb());
  free(m);
  free(qv);
  bench_close(&b);
  return 0;
}
