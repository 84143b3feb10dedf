/*
 * bench/bench_retrieval.c - retrieval quality and latency on the three
 * development collections of ../shared/eval (Cranfield, CISI, CACM; see its
 * README for the conventions), all in one run.
 *
 * Each SMART record becomes a document of the project's own pipeline: the
 * title (.T) as the document title, the text (.W) as its body (CACM is
 * Latin-1, converted to UTF-8), chunked with the default chunker (1000/200
 * unless --chunk-size/--overlap), indexed by the "maestro" FTS5 tokenizer and
 * ranked by rag_lexical() as every search ranks passages.
 *
 * Each collection gets a database of its own (one user; lexical statistics
 * are each user's own, so the figures are those of a user with just that
 * collection). Beside it, in the same run: plain SQLite FTS5 over the same title + text
 * (porter unicode61, bm25(), the query's words ORed), and the README's
 * reference rows. Maestro is scored twice: the passages as search returns
 * them (a document met again adds nothing, see ir_eval.h) and one result per
 * document (its best passage: what `group_by: document` returns).
 *
 * Metrics (ir_eval.h): nDCG@10 (linear graded gains; Cranfield gain =
 * 5 - code, the -1 source-document pair not relevant; CISI and CACM binary),
 * MAP over the top 1000, R@100, and per-query latency p50/p95 (single
 * thread). Only judged queries are scored.
 *
 * PostgreSQL: when a throwaway cluster starts (tests/support/pg.c: Debian's
 * postgresql-15), every collection is also copied, chunk for chunk, into a
 * PostgreSQL store (indexed there by store_chunks_add from the same
 * tokenizer) and every query runs on both; the run prints both nDCG@10
 * figures and fails (exit 1) when they differ by more than 0.005. Without
 * PostgreSQL the run says so and goes on with SQLite; --no-pg skips it.
 *
 * Usage: bench_retrieval [--eval DIR] [--k1 X] [--b X] [--wt X] [--wh X] [--wb X]
 *                        [--chunk-size N] [--overlap N] [--only cranfield|cisi|cacm]
 *                        [--strict]  (exit 1 when a collection is below its best reference)
 *                        [--no-pg]   (SQLite only)
 */
#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "ir_eval.h"
#include "pg.h"
#include "rag/rag.h"
#include "rag_bench.h"
#include "store/db.h"
#include "store/documents.h"
#include "store/fts.h"
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

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Latin-1 (CACM) to UTF-8; text that is valid UTF-8 already is kept. */
static char *to_utf8(char *s) {
  if (!s || util_utf8_valid(s, strlen(s))) return s;
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x80) {
      buf_putc(&b, (char)*p);
    } else {
      buf_putc(&b, (char)(0xC0 | (*p >> 6)));
      buf_putc(&b, (char)(0x80 | (*p & 0x3F)));
    }
  }
  free(s);
  return buf_detach(&b, NULL);
}

/* Plain SQLite FTS5 over the same title + text: the in-run baseline (porter
 * unicode61, bm25() with its defaults k1 = 1.2, b = 0.75, the query's words
 * ORed, no stop words). */
typedef struct {
  sqlite3 *db;
  sqlite3_stmt *ins, *q;
} fts_ref_t;

static void fts_ref_open(fts_ref_t *r) {
  if (sqlite3_open(":memory:", &r->db) != SQLITE_OK ||
      sqlite3_exec(r->db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = 'porter unicode61')", NULL, NULL,
                   NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(r->db, "INSERT INTO t (rowid, title, body) VALUES (?, ?, ?)", -1, &r->ins, NULL) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(r->db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY bm25(t) LIMIT ?2", -1, &r->q, NULL) !=
          SQLITE_OK) {
    fprintf(stderr, "fts5 reference: %s\n", sqlite3_errmsg(r->db));
    exit(1);
  }
}

static void fts_ref_close(fts_ref_t *r) {
  sqlite3_finalize(r->ins);
  sqlite3_finalize(r->q);
  sqlite3_close(r->db);
}

/* The FTS5 ranking of text's words (letters and digits, each quoted, ORed). */
static size_t fts_ref_search(fts_ref_t *r, const char *text, int *out, int limit) {
  buf_t q = BUF_INIT;
  buf_init(&q);
  for (const char *p = text; *p;) {
    if (!isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) {
      p++;
      continue;
    }
    const char *s = p;
    while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)) p++;
    buf_printf(&q, "%s\"%.*s\"", q.len ? " OR " : "", (int)(p - s), s);
  }
  size_t n = 0;
  if (q.len) {
    sqlite3_reset(r->q);
    sqlite3_bind_text(r->q, 1, q.data, -1, SQLITE_STATIC);
    sqlite3_bind_int(r->q, 2, limit);
    while (sqlite3_step(r->q) == SQLITE_ROW && n < (size_t)limit) out[n++] = sqlite3_column_int(r->q, 0);
    sqlite3_reset(r->q);
  }
  buf_free(&q);
  return n;
}

/* What one ranking scored over a collection's judged queries. */
typedef struct {
  double ndcg, map, r100;
  double *lat;
  int nlat;
} score_t;

static void score_add(score_t *s, const int *ranked, size_t n, const double *gain, int maxdoc, double ms) {
  s->lat[s->nlat++] = ms;
  ir_measures_t m;
  if (ir_measure(ranked, n, gain, maxdoc, 10, 1000, 100, &m) != 0) return; /* unjudged query */
  s->ndcg += m.ndcg10;
  s->map += m.ap;
  s->r100 += m.r100;
}

typedef struct {
  const char *name;
  int nq;
  score_t fts, passages, documents;
  int pg;                            /* ran on PostgreSQL too */
  score_t pg_passages, pg_documents; /* the same search on PostgreSQL */
  int ndocs;
  int64_t index_ms, pg_index_ms; /* indexing on SQLite (pipeline), the copy into PostgreSQL */
} result_t;

static double ms_since(const struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* ---- the same collection on PostgreSQL ----
 * The chunks the pipeline wrote into the SQLite store are copied, document by
 * document in the same order, into a PostgreSQL store (a database of the
 * throwaway cluster of tests/support/pg.c) through store_chunks_add, which
 * indexes them there from the same tokenizer; the queries then run on both
 * and the figures are compared. */

typedef struct {
  store_chunk_t *v;
  size_t n, cap;
  char *title;
} chunk_copy_t;

static int copy_chunk_row(db_stmt_t *s, void *ctx) {
  chunk_copy_t *c = ctx;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 16;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
    if (!c->v) abort();
  }
  store_chunk_t *ch = &c->v[c->n++];
  memset(ch, 0, sizeof *ch);
  ch->seq = (int)db_col_int64(s, 0);
  ch->page = (int)db_col_int64(s, 1);
  ch->char_start = db_col_int64(s, 2);
  ch->char_end = db_col_int64(s, 3);
  if (!c->title) c->title = db_col_text(s, 4);
  ch->heading = db_col_text(s, 5);
  ch->body = db_col_text(s, 6);
  return 0;
}

static void pg_copy_doc(store_t *from, store_t *pg, const char *doc_id, const char *user_id) {
  chunk_copy_t c = {0};
  if (db_query(from, "read chunks",
               "SELECT seq, page, char_start, char_end, title, heading, body FROM chunks WHERE document_id = ? "
               "ORDER BY id",
               DB_ARGS(DB_TEXT(doc_id)), copy_chunk_row, &c) < 0 ||
      db_run(pg, "document",
             "INSERT INTO documents (id, user_id, filename, stored_path, content_hash, status, created_at, "
             "updated_at) VALUES (?, ?, ?, ?, ?, 'processing', 0, 0)",
             DB_ARGS(DB_TEXT(doc_id), DB_TEXT(user_id), DB_TEXT(doc_id), DB_TEXT(doc_id), DB_TEXT(doc_id)),
             NULL) != STORE_OK ||
      (c.n && store_chunks_add(pg, doc_id, user_id, c.title, c.v, c.n) != STORE_OK) ||
      db_run(pg, "ready", "UPDATE documents SET status = 'ready' WHERE id = ?", DB_ARGS(DB_TEXT(doc_id)), NULL) !=
          STORE_OK) {
    fprintf(stderr, "PostgreSQL: cannot copy document %s\n", doc_id);
    exit(1);
  }
  for (size_t i = 0; i < c.n; i++) {
    free(c.v[i].heading);
    free(c.v[i].body);
  }
  free(c.v);
  free(c.title);
}

/* Passages and one-per-document rankings of hits (document ids are base + record id). */
static void score_hits(score_t *passages, score_t *documents, const store_hit_t *hits, size_t nh, int base, int maxdoc,
                       const double *gain_of, int *ranked, int *bydoc, unsigned char *seen, double lat) {
  size_t np = 0, nd = 0;
  memset(seen, 0, (size_t)maxdoc + 1);
  for (size_t i = 0; i < nh; i++) {
    int d = atoi(hits[i].document_id) - base;
    if (np < 4000) ranked[np++] = d;
    if (d < 0 || d > maxdoc || seen[d]) continue; /* hits come best first */
    seen[d] = 1;
    bydoc[nd++] = d;
  }
  score_add(passages, ranked, np, gain_of, maxdoc, lat);
  score_add(documents, bydoc, nd, gain_of, maxdoc, lat);
}

static result_t run_collection(app_t *app, rag_t *rag, store_t *pg, const char *name, int base, const char *docs_path,
                               const char *qry_path, const char *rel_path, int cranfield, int chunk_size, int overlap) {
  result_t res = {.name = name, .pg = pg != NULL};
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
  if (pg && db_run(pg, "user",
                   "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                   "VALUES (?, ?, 'x', 'researcher', 0, 0)",
                   DB_ARGS(DB_TEXT(u.id), DB_TEXT(name)), NULL) != STORE_OK) {
    fprintf(stderr, "PostgreSQL: cannot create user\n");
    exit(1);
  }
  fts_ref_t ref;
  fts_ref_open(&ref);
  int64_t t0 = util_mono_ms();
  int maxdoc = 0;
  size_t bytes = 0;
  for (int i = 0; i < docs.n; i++) {
    rec_t *r = &docs.v[i];
    r->title = to_utf8(r->title);
    r->text = to_utf8(r->text);
    if (r->id > maxdoc) maxdoc = r->id;
    sqlite3_reset(ref.ins);
    sqlite3_bind_int(ref.ins, 1, r->id);
    sqlite3_bind_text(ref.ins, 2, r->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(ref.ins, 3, r->text, -1, SQLITE_STATIC);
    if (sqlite3_step(ref.ins) != SQLITE_DONE) {
      fprintf(stderr, "fts5 reference insert: %s\n", sqlite3_errmsg(ref.db));
      exit(1);
    }
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
    rag_doc_meta(&doc.bib.title, r->title);
    rag_doc_para(&doc, r->text, strlen(r->text));
    bytes += strlen(r->text);
    char err[256];
    const char *title = doc.bib.title ? doc.bib.title : "";
    int nch = rag_index_parsed(rag, d.id, u.id, title, &doc, chunk_size, overlap, err, sizeof err);
    if (nch < 0) {
      /* records without .W (CISI, CACM): index the title only */
      rag_doc_para(&doc, title, strlen(title));
      nch = rag_index_parsed(rag, d.id, u.id, title, &doc, chunk_size, overlap, err, sizeof err);
    }
    store_doc_mark_ready(app->store, d.id, doc.text.data, 0, nch > 0 ? nch : 0, 0, doc.bib.title, NULL, NULL, NULL);
    rag_doc_free(&doc);
    if (pg) {
      int64_t p0 = util_mono_ms();
      pg_copy_doc(app->store, pg, d.id, u.id);
      res.pg_index_ms += util_mono_ms() - p0;
    }
  }
  int64_t t_index = util_mono_ms() - t0;
  res.ndocs = docs.n;
  res.index_ms = t_index - res.pg_index_ms;
  /* judgments: "query doc code" (Cranfield), "query doc x y" (CISI, CACM) */
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
    if (sscanf(line, "%d %d %d", &q, &d, &code) < 2) continue;
    int gain = cranfield ? (code >= 1 && code <= 4 ? 5 - code : 0) : 1;
    if (nrel == cap) rels = realloc(rels, (cap *= 2) * sizeof *rels);
    rels[nrel++] = (qrel_t){q, d, gain};
  }
  fclose(f);
  score_t *sc[5] = {&res.fts, &res.passages, &res.documents, &res.pg_passages, &res.pg_documents};
  int nsc = pg ? 5 : 3;
  for (int i = 0; i < nsc; i++) sc[i]->lat = calloc((size_t)qs.n + 1, sizeof(double));
  double *gain_of = calloc((size_t)maxdoc + 1, sizeof *gain_of);
  int *ranked = malloc(4000 * sizeof *ranked), *bydoc = malloc(4000 * sizeof *bydoc);
  unsigned char *seen = calloc((size_t)maxdoc + 1, 1);
  for (int qi = 0; qi < qs.n; qi++) {
    int qid = cranfield ? qi + 1 : qs.v[qi].id; /* Cranfield: numbered by position */
    memset(gain_of, 0, ((size_t)maxdoc + 1) * sizeof *gain_of);
    int judged = 0;
    for (size_t i = 0; i < nrel; i++)
      if (rels[i].q == qid && rels[i].gain > 0 && rels[i].d >= 0 && rels[i].d <= maxdoc) {
        if (gain_of[rels[i].d] < rels[i].gain) gain_of[rels[i].d] = rels[i].gain;
        judged = 1;
      }
    res.nq += judged;
    buf_t qtext = BUF_INIT;
    buf_init(&qtext);
    buf_printf(&qtext, "%s %s", qs.v[qi].title ? qs.v[qi].title : "", qs.v[qi].text ? qs.v[qi].text : "");
    char *qs_utf8 = to_utf8(buf_detach(&qtext, NULL));
    struct timespec a;
    /* plain FTS5 */
    clock_gettime(CLOCK_MONOTONIC, &a);
    size_t nf = fts_ref_search(&ref, qs_utf8, ranked, 1000);
    score_add(&res.fts, ranked, nf, gain_of, maxdoc, ms_since(&a));
    /* maestro: passages as search returns them, then one per document */
    clock_gettime(CLOCK_MONOTONIC, &a);
    store_hit_t *hits = NULL;
    size_t nh = 0;
    rag_lexical(rag, u.id, NULL, qs_utf8, 4000, &hits, &nh);
    double lat = ms_since(&a);
    score_hits(&res.passages, &res.documents, hits, nh, base, maxdoc, gain_of, ranked, bydoc, seen, lat);
    free(hits);
    if (pg) {
      /* rag_lexical's search, on the PostgreSQL store */
      rag_rank_params_t p;
      rag_get_rank_params(rag, &p);
      store_rank_t rank = {p.k1, p.b, p.w_title, p.w_heading, p.w_body};
      size_t nw = 0;
      char **words = rag_fts_words(qs_utf8, 64, &nw);
      hits = NULL;
      nh = 0;
      clock_gettime(CLOCK_MONOTONIC, &a);
      if (words && store_chunks_search(pg, u.id, NULL, words, nw, &rank, 4000, &hits, &nh, NULL) != STORE_OK) {
        fprintf(stderr, "PostgreSQL search failed\n");
        exit(1);
      }
      lat = ms_since(&a);
      rag_fts_words_free(words);
      score_hits(&res.pg_passages, &res.pg_documents, hits, nh, base, maxdoc, gain_of, ranked, bydoc, seen, lat);
      free(hits);
    }
    free(qs_utf8);
  }
  for (int i = 0; i < nsc; i++) {
    if (res.nq) {
      sc[i]->ndcg /= res.nq;
      sc[i]->map /= res.nq;
      sc[i]->r100 /= res.nq;
    }
    qsort(sc[i]->lat, (size_t)sc[i]->nlat, sizeof(double), cmp_double);
  }
  fprintf(stderr,
          "%s: %d documents (%.1f MB of text) indexed in %lld ms (PostgreSQL copy %lld ms); %d queries, %d judged\n",
          name, docs.n, bytes / 1e6, (long long)t_index, (long long)res.pg_index_ms, qs.n, res.nq);
  fts_ref_close(&ref);
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
  free(gain_of);
  free(ranked);
  free(bydoc);
  free(seen);
  return res;
}

static double pct(const score_t *s, double p) {
  return s->nlat ? s->lat[(int)(s->nlat * p)] : 0;
}

static void print_row(const char *coll, const char *engine, const score_t *s, int bold) {
  const char *b = bold ? "**" : "";
  printf("| %s | %s | %s%.3f%s | %.3f | %.3f | %.1f | %.1f |\n", coll, engine, b, s->ndcg, b, s->map, s->r100,
         pct(s, 0.5), pct(s, 0.95));
}

int main(int argc, char **argv) {
#ifdef MAESTRO_SOURCE_DIR
  const char *eval = MAESTRO_SOURCE_DIR "/../shared/eval";
#else
  const char *eval = "../shared/eval";
#endif
#ifdef MAESTRO_SOURCE_DIR
  /* from a git worktree in a folder beside the main checkout */
  if (access(eval, F_OK) != 0) eval = MAESTRO_SOURCE_DIR "/../../shared/eval";
#endif
  if (getenv("EVAL_DIR")) eval = getenv("EVAL_DIR");
  const char *only = NULL;
  int strict = 0, no_pg = 0;
  int chunk_size = 1000, overlap = 200;
  rag_rank_params_t p = {0};
  int have_p[5] = {0};
  double pv[5] = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--strict")) {
      strict = 1;
      continue;
    }
    if (!strcmp(a, "--no-pg")) {
      no_pg = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      printf(
          "usage: %s [--eval DIR] [--k1 X] [--b X] [--wt X] [--wh X] [--chunk-size N] [--overlap N] "
          "[--only cranfield|cisi|cacm] [--strict] [--no-pg]\n",
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
  result_t r[3];
  int nr = 0;
  /* PostgreSQL beside SQLite when a throwaway cluster starts (--no-pg: SQLite only) */
  int use_pg = !no_pg;
  if (use_pg) {
    pg_test_cluster_up();
    if (!getenv("MAESTRO_TEST_PG")) {
      fprintf(stderr, "PostgreSQL run skipped: %s\n", getenv("MAESTRO_TEST_PG_ERROR"));
      use_pg = 0;
    }
  }
  char a[1024], b[1024], c[1024];
  static const struct {
    const char *name, *dir, *docs, *qry, *rel;
    int base, cranfield;
  } colls[] = {
      {"cranfield", "cranfield", "cran.all.1400", "cran.qry", "cranqrel", 0, 1},
      {"cisi", "cisi", "CISI.ALL", "CISI.QRY", "CISI.REL", 100000, 0},
      {"cacm", "cacm", "cacm.all", "query.text", "qrels.text", 200000, 0},
  };
  for (size_t i = 0; i < sizeof colls / sizeof colls[0]; i++) {
    if (only && strcmp(only, colls[i].name) != 0) continue;
    snprintf(a, sizeof a, "%s/%s/%s", eval, colls[i].dir, colls[i].docs);
    snprintf(b, sizeof b, "%s/%s/%s", eval, colls[i].dir, colls[i].qry);
    snprintf(c, sizeof c, "%s/%s/%s", eval, colls[i].dir, colls[i].rel);
    /* each collection in a database of its own: the statistics of one
     * (document frequencies, average lengths) never mix with another's */
    bench_env_t env;
    bench_open(&env);
    rag_get_rank_params(env.rag, &p);
    if (have_p[0]) p.k1 = pv[0];
    if (have_p[1]) p.b = pv[1];
    if (have_p[2]) p.w_title = pv[2];
    if (have_p[3]) p.w_heading = pv[3];
    if (have_p[4]) p.w_body = pv[4];
    rag_set_rank_params(env.rag, &p);
    store_t *pg = NULL;
    if (use_pg) {
      char conninfo[512], err[768];
      if (pg_cluster_new_db(conninfo, sizeof conninfo, err, sizeof err) != 0 ||
          !(pg = store_open_postgres(conninfo, err, sizeof err))) {
        fprintf(stderr, "PostgreSQL: %s\n", err);
        return 1;
      }
    }
    r[nr++] = run_collection(&env.app, env.rag, pg, colls[i].name, colls[i].base, a, b, c, colls[i].cranfield,
                             chunk_size, overlap);
    store_close(pg);
    bench_close(&env);
  }
  /* the README's reference rows (measured elsewhere, same conventions) */
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
      {"cacm", "SQLite FTS5 (porter unicode61, .T + .W)", 0.484, 0.340, 0.649, -1},
  };
  printf(
      "Retrieval benchmark (lexical: BM25F k1=%.2f b=%.2f, weights title %.2f heading %.2f body %.2f; "
      "chunks %d/%d)\n\n",
      p.k1, p.b, p.w_title, p.w_heading, p.w_body, chunk_size, overlap);
  printf("| collection | engine | nDCG@10 | MAP | R@100 | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|\n");
  int ok = 1;
  for (int i = 0; i < nr; i++) {
    double best = r[i].fts.ndcg;
    const char *best_name = "SQLite FTS5 bm25(), this run";
    for (size_t k = 0; k < sizeof ref / sizeof ref[0]; k++) {
      if (strcmp(ref[k].coll, r[i].name) != 0) continue;
      printf("| %s | %s (reference) | %.3f | %.3f | %.3f | ", ref[k].coll, ref[k].engine, ref[k].ndcg, ref[k].map,
             ref[k].r100);
      if (ref[k].p50 >= 0)
        printf("%.1f | |\n", ref[k].p50);
      else
        printf("– | |\n");
      if (ref[k].ndcg > best) best = ref[k].ndcg, best_name = ref[k].engine;
    }
    print_row(r[i].name, "SQLite FTS5 bm25() (this run, same title + text)", &r[i].fts, 0);
    print_row(r[i].name, "maestro, passages (as search returns them)", &r[i].passages, 0);
    print_row(r[i].name, "maestro, one result per document", &r[i].documents, 1);
    printf("\n%s (%d judged queries): nDCG@10 %.3f per document, %.3f per passage; best reference %.3f (%s) -> %s\n\n",
           r[i].name, r[i].nq, r[i].documents.ndcg, r[i].passages.ndcg, best, best_name,
           r[i].documents.ndcg >= best ? "AT OR ABOVE" : "BELOW");
    if (r[i].documents.ndcg < best) ok = 0;
    free(r[i].fts.lat);
    free(r[i].passages.lat);
    free(r[i].documents.lat);
  }
  /* the same search on PostgreSQL (postings from the same tokenizer, the
   * same BM25F): within 0.005 nDCG@10 of SQLite or the run fails */
  int same = 1, any_pg = 0;
  for (int i = 0; i < nr; i++) {
    if (!r[i].pg) continue;
    if (!any_pg)
      printf(
          "\n| collection | nDCG@10 SQLite | nDCG@10 PostgreSQL | diff | p50 ms PostgreSQL | p95 ms PostgreSQL |\n"
          "|---|---|---|---|---|---|\n");
    any_pg = 1;
    const score_t *v[2][2] = {{&r[i].passages, &r[i].pg_passages}, {&r[i].documents, &r[i].pg_documents}};
    const char *what[2] = {"passages", "one per document"};
    for (int k = 0; k < 2; k++) {
      double diff = v[k][1]->ndcg - v[k][0]->ndcg;
      printf("| %s, %s | %.4f | %.4f | %+.4f | %.1f | %.1f |\n", r[i].name, what[k], v[k][0]->ndcg, v[k][1]->ndcg, diff,
             pct(v[k][1], 0.5), pct(v[k][1], 0.95));
      if (fabs(diff) > 0.005) same = 0;
    }
    free(r[i].pg_passages.lat);
    free(r[i].pg_documents.lat);
  }
  if (any_pg)
    printf("\n%s\n", same ? "PostgreSQL within 0.005 nDCG@10 of SQLite on every collection"
                          : "PostgreSQL DIFFERS from SQLite by more than 0.005 nDCG@10");
  /* indexing time per document: SQLite through the whole pipeline (chunk,
   * index), PostgreSQL the store step alone (store_chunks_add of the same
   * chunks, with the document row and its status) */
  for (int i = 0; i < nr && any_pg; i++) {
    if (!r[i].pg) continue;
    if (i == 0 || !r[i - 1].pg)
      printf("\n| collection | documents | SQLite indexing ms/doc | PostgreSQL store ms/doc |\n|---|---|---|---|\n");
    printf("| %s | %d | %.2f | %.2f |\n", r[i].name, r[i].ndocs, (double)r[i].index_ms / (r[i].ndocs ? r[i].ndocs : 1),
           (double)r[i].pg_index_ms / (r[i].ndocs ? r[i].ndocs : 1));
  }
  if (use_pg) pg_test_cluster_down();
  if (!same) return 1;
  printf("%s\n", ok ? "every collection at or above its best reference row"
                    : "not every collection reaches its best reference row");
  /* a figure below a reference is a finding, not a failure of make bench */
  return strict && !ok ? 1 : 0;
}
