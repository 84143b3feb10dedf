/*
 * bench/bench_retrieval.c - retrieval quality and latency on the Cranfield and
 * CISI test collections (../shared/eval, see its README for the conventions).
 *
 * Each SMART record becomes a document of the project's own pipeline: the
 * title (.T) as the document title, the text (.W) as its body, chunked with
 * the default chunker (1000/200 unless --chunk-size/--overlap), indexed by
 * the "maestro" FTS5 tokenizer and ranked by rag_lexical() (BM25F over the
 * chunks, stop words, safe OR query). A document's score is its best chunk.
 *
 * Metrics: nDCG@10 (linear graded gains; Cranfield gain = 5 - code, the -1
 * source-document pair not relevant; CISI binary), MAP over the top 1000,
 * R@100, and per-query latency p50/p95 (single thread). The reference rows
 * of the README are printed beside ours.
 *
 * Usage: retrieval [--eval DIR] [--k1 X] [--b X] [--wt X] [--wh X]
 *                  [--chunk-size N] [--overlap N] [--only cranfield|cisi]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/users.h"

typedef struct {
  int id;
  char *title, *text;
} rec_t;

typedef struct {
  rec_t *v;
  int n, cap;
} recs_t;

/* Parses a SMART file: records start with ".I n"; fields .T/.W are kept. */
static void parse_smart(const char *path, recs_t *out) {
  size_t len = 0;
  char *data = util_read_file(path, &len);
  if (!data) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  char field = 0;
  buf_t t = BUF_INIT, w = BUF_INIT;
  buf_init(&t);
  buf_init(&w);
  rec_t *cur = NULL;
  char *save = NULL;
  for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '.' && line[1] && (line[2] == '\0' || line[2] == ' ')) {
      if (line[1] == 'I') {
        if (cur) {
          cur->title = buf_detach(&t, NULL);
          cur->text = buf_detach(&w, NULL);
        }
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 256;
          out->v = realloc(out->v, (size_t)out->cap * sizeof *out->v);
        }
        cur = &out->v[out->n++];
        cur->id = atoi(line + 3);
        field = 0;
        continue;
      }
      field = line[1];
      continue;
    }
    if (!cur) continue;
    if (field == 'T')
      buf_printf(&t, "%s\n", line);
    else if (field == 'W')
      buf_printf(&w, "%s\n", line);
  }
  if (cur) {
    cur->title = buf_detach(&t, NULL);
    cur->text = buf_detach(&w, NULL);
  }
  buf_free(&t);
  buf_free(&w);
  free(data);
}

typedef struct {
  int q, d, gain;
} qrel_t;

static int cmp_double_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  int doc;
  double score;
} ranked_t;

static int cmp_ranked(const void *a, const void *b) {
  const ranked_t *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return x->doc - y->doc;
}

typedef struct {
  const char *name;
  double ndcg, map, r100, p50, p95;
  int nq;
} result_t;

static result_t run_collection(app_t *app, rag_t *rag, const char *name, const char *docs_path, const char *qry_path,
                               const char *rel_path, int cranfield, int chunk_size, int overlap) {
  result_t res = {.name = name};
  int base = cranfield ? 0 : 100000; /* document ids unique across collections */
  recs_t docs = {0}, qs = {0};
  parse_smart(docs_path, &docs);
  parse_smart(qry_path, &qs);
  /* a user per collection: the search is scoped like any other */
  store_user_t u = {0};
  u.username = (char *)name;
  u.password_hash = (char *)"x";
  snprintf(u.role, sizeof u.role, "researcher");
  if (store_user_insert(app->store, &u) != STORE_OK) {
    fprintf(stderr, "cannot create user\n");
    exit(1);
  }
  int64_t t0 = util_mono_ms();
  int maxdoc = 0;
  size_t bytes = 0;
  for (int i = 0; i < docs.n; i++) {
    rec_t *r = &docs.v[i];
    if (r->id > maxdoc) maxdoc = r->id;
    store_doc_t d = {0};
    snprintf(d.id, sizeof d.id, "%016d", base + r->id);
    snprintf(d.user_id, sizeof d.user_id, "%s", u.id);
    snprintf(d.status, sizeof d.status, "processing");
    char fname[64], hash[64];
    snprintf(fname, sizeof fname, "%s-%d.txt", name, r->id);
    snprintf(hash, sizeof hash, "%s-%d", name, r->id);
    d.filename = fname;
    d.stored_path = fname;
    d.content_hash = hash;
    d.chunk_size = chunk_size;
    d.chunk_overlap = overlap;
    if (store_doc_insert(app->store, &d, NULL) != STORE_OK) {
      fprintf(stderr, "insert failed\n");
      exit(1);
    }
    rag_doc_t doc;
    rag_doc_init(&doc);
    rag_doc_meta(&doc.title, r->title);
    rag_doc_para(&doc, r->text, strlen(r->text));
    bytes += strlen(r->text);
    char err[256];
    const char *title = doc.title ? doc.title : "";
    int nch = rag_index_parsed(rag, d.id, u.id, title, &doc, chunk_size, overlap, err, sizeof err);
    if (nch < 0) {
      /* CISI has a few records without .W: index the title only */
      rag_doc_para(&doc, title, strlen(title));
      nch = rag_index_parsed(rag, d.id, u.id, title, &doc, chunk_size, overlap, err, sizeof err);
    }
    store_doc_mark_ready(app->store, d.id, doc.text.data, 0, nch > 0 ? nch : 0, 0, doc.title, NULL, NULL, NULL);
    rag_doc_free(&doc);
  }
  int64_t t_index = util_mono_ms() - t0;
  /* judgments */
  size_t cap = 4096, nrel = 0;
  qrel_t *rels = malloc(cap * sizeof *rels);
  FILE *f = fopen(rel_path, "r");
  if (!f) {
    fprintf(stderr, "cannot read %s\n", rel_path);
    exit(1);
  }
  char line[256];
  while (fgets(line, sizeof line, f)) {
    int q, d, code = 0;
    double x;
    int k = cranfield ? sscanf(line, "%d %d %d", &q, &d, &code) : sscanf(line, "%d %d %d %lf", &q, &d, &code, &x);
    if (k < 2) continue;
    int gain = cranfield ? (code >= 1 && code <= 4 ? 5 - code : 0) : 1;
    if (nrel == cap) rels = realloc(rels, (cap *= 2) * sizeof *rels);
    rels[nrel++] = (qrel_t){q, d, gain};
  }
  fclose(f);
  double *lat = calloc((size_t)qs.n, sizeof *lat);
  double *gain_of = calloc((size_t)maxdoc + 1, sizeof *gain_of);
  ranked_t *best = malloc(((size_t)maxdoc + 1) * sizeof *best);
  int *seen = calloc((size_t)maxdoc + 1, sizeof *seen);
  double sum_ndcg = 0, sum_ap = 0, sum_r = 0;
  int nq = 0, nlat = 0;
  for (int qi = 0; qi < qs.n; qi++) {
    int qid = cranfield ? qi + 1 : qs.v[qi].id;
    /* judged relevant documents of this query */
    memset(gain_of, 0, ((size_t)maxdoc + 1) * sizeof *gain_of);
    int nrelevant = 0;
    double ideal[4096];
    int nideal = 0;
    for (size_t i = 0; i < nrel; i++)
      if (rels[i].q == qid && rels[i].gain > 0 && rels[i].d <= maxdoc && gain_of[rels[i].d] == 0) {
        gain_of[rels[i].d] = rels[i].gain;
        if (nideal < 4096) ideal[nideal++] = rels[i].gain;
        nrelevant++;
      }
    buf_t qtext = BUF_INIT;
    buf_init(&qtext);
    buf_printf(&qtext, "%s %s", qs.v[qi].title ? qs.v[qi].title : "", qs.v[qi].text ? qs.v[qi].text : "");
    int64_t q0 = util_mono_ms();
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    store_hit_t *hits = NULL;
    size_t nh = 0;
    rag_lexical(rag, u.id, NULL, qtext.data, 4000, &hits, &nh);
    /* best chunk per document */
    int nranked = 0;
    for (size_t i = 0; i < nh; i++) {
      int d = atoi(hits[i].document_id) - base;
      if (d < 0 || d > maxdoc || seen[d] == qi + 1) continue; /* hits come best first */
      seen[d] = qi + 1;
      best[nranked++] = (ranked_t){d, hits[i].score};
    }
    qsort(best, (size_t)nranked, sizeof *best, cmp_ranked);
    clock_gettime(CLOCK_MONOTONIC, &b);
    (void)q0;
    free(hits);
    buf_free(&qtext);
    if (nlat < qs.n) lat[nlat++] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    if (nrelevant == 0) continue; /* unjudged query (CISI) */
    nq++;
    double dcg = 0, idcg = 0;
    qsort(ideal, (size_t)nideal, sizeof(double), cmp_double_desc);
    for (int i = 0; i < 10 && i < nideal; i++) idcg += ideal[i] / log2((double)i + 2.0);
    for (int i = 0; i < 10 && i < nranked; i++) dcg += gain_of[best[i].doc] / log2((double)i + 2.0);
    sum_ndcg += idcg > 0 ? dcg / idcg : 0;
    double ap = 0;
    int found = 0, found100 = 0;
    for (int i = 0; i < nranked && i < 1000; i++) {
      if (gain_of[best[i].doc] > 0) {
        found++;
        ap += (double)found / (double)(i + 1);
        if (i < 100) found100++;
      }
    }
    sum_ap += ap / nrelevant;
    sum_r += (double)found100 / nrelevant;
  }
  qsort(lat, (size_t)nlat, sizeof *lat, cmp_double);
  res.nq = nq;
  res.ndcg = sum_ndcg / nq;
  res.map = sum_ap / nq;
  res.r100 = sum_r / nq;
  res.p50 = nlat ? lat[nlat / 2] : 0;
  res.p95 = nlat ? lat[(int)(nlat * 0.95)] : 0;
  fprintf(stderr, "%s: %d documents (%.1f MB of text) indexed in %lld ms; %d queries, %d judged\n", name, docs.n,
          bytes / 1e6, (long long)t_index, qs.n, nq);
  for (int i = 0; i < docs.n; i++) {
    free(docs.v[i].title);
    free(docs.v[i].text);
  }
  for (int i = 0; i < qs.n; i++) {
    free(qs.v[i].title);
    free(qs.v[i].text);
  }
  free(docs.v);
  free(qs.v);
  free(rels);
  free(lat);
  free(gain_of);
  free(best);
  free(seen);
  return res;
}

int main(int argc, char **argv) {
#ifdef MAESTRO_SOURCE_DIR
  const char *eval = MAESTRO_SOURCE_DIR "/../shared/eval";
#else
  const char *eval = "../shared/eval";
#endif
  if (getenv("EVAL_DIR")) eval = getenv("EVAL_DIR");
  const char *only = NULL;
  int chunk_size = 1000, overlap = 200;
  rag_rank_params_t p = {0};
  int have_p[5] = {0};
  double pv[5] = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: %s [--eval DIR] [--k1 X] [--b X] [--wt X] [--wh X] [--chunk-size N] [--overlap N] "
          "[--only cranfield|cisi]\n",
          argv[0]);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "%s needs a value\n", a);
      return 2;
    }
    if (!strcmp(a, "--eval"))
      eval = v;
    else if (!strcmp(a, "--only"))
      only = v;
    else if (!strcmp(a, "--chunk-size"))
      chunk_size = atoi(v);
    else if (!strcmp(a, "--overlap"))
      overlap = atoi(v);
    else if (!strcmp(a, "--k1"))
      have_p[0] = 1, pv[0] = atof(v);
    else if (!strcmp(a, "--b"))
      have_p[1] = 1, pv[1] = atof(v);
    else if (!strcmp(a, "--wt"))
      have_p[2] = 1, pv[2] = atof(v);
    else if (!strcmp(a, "--wh"))
      have_p[3] = 1, pv[3] = atof(v);
    else if (!strcmp(a, "--wb"))
      have_p[4] = 1, pv[4] = atof(v);
    else {
      fprintf(stderr, "unknown option %s\n", a);
      return 2;
    }
    i++;
  }
  log_setup(LOG_WARNING, 0);
  char dir[] = "/tmp/maestro-bench-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  buf_t url = BUF_INIT;
  buf_init(&url);
  buf_printf(&url, "sqlite:///%s/bench.db", dir);
  setenv("DATABASE_URL", url.data, 1);
  setenv("DATA_DIR", dir, 1);
  buf_free(&url);
  char err[512];
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "config: %s\n", err);
    return 1;
  }
  app_t app = {0};
  app.cfg = cfg;
  app.store = store_open(cfg, err, sizeof err);
  if (!app.store) {
    fprintf(stderr, "store: %s\n", err);
    return 1;
  }
  rag_t *rag = rag_new(&app, err, sizeof err);
  if (!rag) {
    fprintf(stderr, "rag: %s\n", err);
    return 1;
  }
  rag_get_rank_params(rag, &p);
  if (have_p[0]) p.k1 = pv[0];
  if (have_p[1]) p.b = pv[1];
  if (have_p[2]) p.w_title = pv[2];
  if (have_p[3]) p.w_heading = pv[3];
  if (have_p[4]) p.w_body = pv[4];
  rag_set_rank_params(rag, &p);
  result_t r[2];
  int nr = 0;
  char a[1024], b[1024], c[1024];
  if (!only || !strcmp(only, "cranfield")) {
    snprintf(a, sizeof a, "%s/cranfield/cran.all.1400", eval);
    snprintf(b, sizeof b, "%s/cranfield/cran.qry", eval);
    snprintf(c, sizeof c, "%s/cranfield/cranqrel", eval);
    r[nr++] = run_collection(&app, rag, "cranfield", a, b, c, 1, chunk_size, overlap);
  }
  if (!only || !strcmp(only, "cisi")) {
    snprintf(a, sizeof a, "%s/cisi/CISI.ALL", eval);
    snprintf(b, sizeof b, "%s/cisi/CISI.QRY", eval);
    snprintf(c, sizeof c, "%s/cisi/CISI.REL", eval);
    r[nr++] = run_collection(&app, rag, "cisi", a, b, c, 0, chunk_size, overlap);
  }
  static const struct {
    const char *coll, *engine;
    double ndcg, map, r100, p50;
  } ref[] = {
      {"cranfield", "SQLite FTS5 (porter unicode61)", 0.361, 0.301, 0.728, 7.9},
      {"cranfield", "Xapian 1.4", 0.364, 0.301, 0.736, 5.3},
      {"cranfield", "Lucene 4.10 (EnglishAnalyzer)", 0.363, 0.301, 0.736, 5.2},
      {"cranfield", "wink-bm25 (npm)", 0.373, 0.314, 0.751, 1.5},
      {"cisi", "SQLite FTS5", 0.314, 0.173, 0.397, 17.4},
      {"cisi", "Xapian 1.4", 0.351, 0.203, 0.424, 13.7},
      {"cisi", "Lucene 4.10", 0.367, 0.210, 0.440, 10.7},
      {"cisi", "wink-bm25 (npm)", 0.397, 0.217, 0.451, 4.0},
  };
  printf(
      "Retrieval benchmark (lexical: BM25F k1=%.2f b=%.2f, weights title %.2f heading %.2f body %.2f; "
      "chunks %d/%d)\n\n",
      p.k1, p.b, p.w_title, p.w_heading, p.w_body, chunk_size, overlap);
  printf("| collection | engine | nDCG@10 | MAP | R@100 | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|\n");
  int ok = 1;
  for (int i = 0; i < nr; i++) {
    double best = 0;
    for (size_t k = 0; k < sizeof ref / sizeof ref[0]; k++) {
      if (strcmp(ref[k].coll, r[i].name) != 0) continue;
      printf("| %s | %s (reference) | %.3f | %.3f | %.3f | %.1f | |\n", ref[k].coll, ref[k].engine, ref[k].ndcg,
             ref[k].map, ref[k].r100, ref[k].p50);
      if (ref[k].ndcg > best) best = ref[k].ndcg;
    }
    printf("| %s | **maestro** | **%.3f** | %.3f | %.3f | %.1f | %.1f |\n", r[i].name, r[i].ndcg, r[i].map, r[i].r100,
           r[i].p50, r[i].p95);
    printf("%s: nDCG@10 %.3f vs best reference %.3f -> %s\n\n", r[i].name, r[i].ndcg, best,
           r[i].ndcg > best ? "ABOVE" : "BELOW");
    if (r[i].ndcg <= best) ok = 0;
  }
  rag_free(rag);
  store_close(app.store);
  config_free(cfg);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return ok ? 0 : 1;
}
