/*
 * Full-text search and embeddings (store/chunks.c) on both backends: the
 * same corpus indexed on SQLite (FTS5) and PostgreSQL (postings from the same
 * tokenizer) ranks the same chunks with the same BM25F scores; owners (whose
 * scores come from their own chunks only), groups and deletions; vectors
 * round-trip. PostgreSQL runs in a throwaway cluster
 * started once for this binary (tests/support/pg.h).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "base/log.h"
#include "pg.h"
#include "store/db.h"
#include "store/documents.h"
#include "store/store.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgfts, .init = quiet);

#define ALICE "a11ce00000000001"
#define BOB "b0b0000000000002"

static void add_user(store_t *st, const char *id, const char *name) {
  cr_assert_eq(db_run(st, "user",
                      "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                      "VALUES (?, ?, 'x', 'researcher', 1, 1)",
                      DB_ARGS(DB_TEXT(id), DB_TEXT(name)), NULL),
               STORE_OK);
}

/* A ready document of user with the given chunk bodies (headings "h<seq>"). */
static void add_doc(store_t *st, const char *user, const char *doc, const char *title, const char *const *bodies,
                    int n) {
  cr_assert_eq(db_run(st, "doc",
                      "INSERT INTO documents (id, user_id, filename, stored_path, content_hash, status, created_at, "
                      "updated_at) VALUES (?, ?, ?, '/dev/null', ?, 'processing', 1, 1)",
                      DB_ARGS(DB_TEXT(doc), DB_TEXT(user), DB_TEXT(title), DB_TEXT(doc)), NULL),
               STORE_OK);
  store_chunk_t ch[8];
  char heads[8][16];
  memset(ch, 0, sizeof ch);
  for (int i = 0; i < n; i++) {
    snprintf(heads[i], sizeof heads[i], i ? "Part %d" : "", i);
    ch[i].seq = i;
    ch[i].heading = heads[i];
    ch[i].body = (char *)bodies[i];
    ch[i].char_end = (int64_t)strlen(bodies[i]);
  }
  cr_assert_eq(store_chunks_add(st, doc, user, title, ch, (size_t)n), STORE_OK);
  for (int i = 0; i < n; i++) cr_assert_gt(ch[i].id, 0);
  cr_assert_eq(db_run(st, "ready", "UPDATE documents SET status = 'ready', title = ? WHERE id = ?",
                      DB_ARGS(DB_TEXT(title), DB_TEXT(doc)), NULL),
               STORE_OK);
}

static void corpus(store_t *st) {
  add_user(st, ALICE, "alice");
  static const char *d1[] = {"The jet engine runs hot. Engines running at high speed need cooling.",
                             "Compressor blades and turbine blades in jet engines wear at high temperature."};
  static const char *d2[] = {"Laminar boundary layer flow over a flat plate at high speed.",
                             "Turbulent flow and transition in the boundary layer of a swept wing.",
                             "The layer of boundary flow thickens downstream."};
  static const char *d3[] = {"한국어 문서에서 데이터베이스 검색을 합니다. 검색 엔진은 빠릅니다.",
                             "데이터 분석과 베이스 캠프 이야기."};
  static const char *d4[] = {"Heat transfer in hypersonic flow; the engine wall heat flux is high."};
  static const char *d5[] = {"Cooling of turbine blades by film cooling at high temperature and heat load."};
  add_doc(st, ALICE, "d100000000000001", "Jet engines", d1, 2);
  add_doc(st, ALICE, "d200000000000002", "Boundary layers", d2, 3);
  add_doc(st, ALICE, "d300000000000003", "데이터베이스 검색", d3, 2);
  add_doc(st, ALICE, "d400000000000004", "Heat transfer", d4, 1);
  add_doc(st, ALICE, "d500000000000005", "Turbine cooling", d5, 1);
}

static const store_rank_t RANK = {1.5, 0.75, 2.0, 1.5, 1.0};

typedef struct {
  store_hit_t *h;
  size_t n;
} res_t;

static res_t search_limit(store_t *st, const char *user, const char *group, const char *q, int limit) {
  char *words[16];
  size_t nw = 0;
  char *copy = strdup(q);
  for (char *tok = strtok(copy, " "); tok && nw < 16; tok = strtok(NULL, " ")) words[nw++] = tok;
  res_t r = {0};
  store_search_stats_t stats;
  cr_assert_eq(store_chunks_search(st, user, group, words, nw, &RANK, limit, &r.h, &r.n, &stats), STORE_OK, "%s", q);
  free(copy);
  return r;
}

static res_t search(store_t *st, const char *user, const char *group, const char *q) {
  return search_limit(st, user, group, q, 10);
}

static const char *QUERIES[] = {
    "engine cooling",           /* English words */
    "running",                  /* a stemmed form: run, runs, running */
    "검색",                     /* a CJK bigram */
    "데이터베이스",             /* a CJK word of several bigrams: a phrase */
    "boundary layer flow",      /* several words, one of them in many chunks */
    "turbine zzyzxunknownword", /* an unknown word adds nothing */
    "high heat blades speed temperature flow jet",
};
#define NQUERIES (sizeof QUERIES / sizeof *QUERIES)

static int has_doc(res_t r, const char *doc) {
  for (size_t i = 0; i < r.n; i++)
    if (strcmp(r.h[i].document_id, doc) == 0) return 1;
  return 0;
}

Test(pgfts, both_backends_rank_the_same_chunks_with_the_same_scores) {
  store_t *sq = backend_open_sqlite(), *pg = backend_open_pg();
  corpus(sq);
  corpus(pg);
  for (size_t q = 0; q < NQUERIES; q++) {
    res_t a = search(sq, ALICE, NULL, QUERIES[q]), b = search(pg, ALICE, NULL, QUERIES[q]);
    cr_assert_gt(a.n, 0, "no hit for %s", QUERIES[q]);
    cr_assert_eq(a.n, b.n, "%s: %zu hits on SQLite, %zu on PostgreSQL", QUERIES[q], a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
      cr_assert_eq(a.h[i].chunk_id, b.h[i].chunk_id, "%s: rank %zu: chunk %lld vs %lld", QUERIES[q], i,
                   (long long)a.h[i].chunk_id, (long long)b.h[i].chunk_id);
      cr_assert_str_eq(a.h[i].document_id, b.h[i].document_id);
      cr_assert(fabs(a.h[i].score - b.h[i].score) < 1e-9, "%s: rank %zu: score %.12f vs %.12f", QUERIES[q], i,
                a.h[i].score, b.h[i].score);
      cr_assert_gt(a.h[i].score, 0);
    }
    free(a.h);
    free(b.h);
  }
  /* what a reader expects of the rankings */
  res_t r = search(pg, ALICE, NULL, "running");
  cr_assert_eq(r.n, 1);
  cr_assert_str_eq(r.h[0].document_id, "d100000000000001");
  free(r.h);
  /* the phrase is in both chunks' title and in the first one's body, not in
   * the second body's "데이터 ... 베이스" */
  r = search(pg, ALICE, NULL, "데이터베이스");
  cr_assert_eq(r.n, 2);
  cr_assert_str_eq(r.h[0].document_id, "d300000000000003");
  cr_assert_str_eq(r.h[1].document_id, "d300000000000003");
  cr_assert_lt(r.h[0].chunk_id, r.h[1].chunk_id);
  cr_assert_gt(r.h[0].score, r.h[1].score);
  free(r.h);
  r = search(pg, ALICE, NULL, "zzyzxunknownword");
  cr_assert_eq(r.n, 0);
  free(r.h);
  store_close(sq);
  store_close(pg);
}

/* A document of n chunks (several of store_chunks_add's batches): chunk i
 * holds "uniq<i>", a word every chunk has and text that array literals must
 * escape (quotes, backslashes, braces, commas, "NULL"). */
#define LONG_DOC 600
static void long_doc(store_t *st, store_chunk_t *ch, char (*bodies)[160], char (*heads)[48]) {
  add_user(st, ALICE, "alice");
  cr_assert_eq(db_run(st, "doc",
                      "INSERT INTO documents (id, user_id, filename, stored_path, content_hash, status, created_at, "
                      "updated_at) VALUES ('d600000000000006', ?, 'long', '/dev/null', 'h', 'processing', 1, 1)",
                      DB_ARGS(DB_TEXT(ALICE)), NULL),
               STORE_OK);
  memset(ch, 0, LONG_DOC * sizeof *ch);
  for (int i = 0; i < LONG_DOC; i++) {
    snprintf(bodies[i], 160, "uniq%d wing %s \"quoted\" back\\slash {brace} a,b NULL 'single' 날개 %s", i,
             i % 3 ? "flutter" : "", i % 7 ? "" : "flutter flutter");
    snprintf(heads[i], 48, i % 2 ? "Part {%d}, \"h\"" : "", i);
    ch[i].seq = i;
    ch[i].page = i / 10;
    ch[i].char_start = i * 100;
    ch[i].char_end = i * 100 + 99;
    ch[i].heading = heads[i];
    ch[i].body = bodies[i];
  }
  cr_assert_eq(store_chunks_add(st, "d600000000000006", ALICE, "A \"long\" one", ch, LONG_DOC), STORE_OK);
  cr_assert_eq(
      db_run(st, "ready", "UPDATE documents SET status = 'ready' WHERE id = 'd600000000000006'", DB_NOARGS, NULL),
      STORE_OK);
}

Test(pgfts, a_long_document_is_stored_and_ranked_the_same_on_both) {
  store_t *sq = backend_open_sqlite(), *pg = backend_open_pg();
  static store_chunk_t a[LONG_DOC], b[LONG_DOC];
  static char bodies[LONG_DOC][160], heads[LONG_DOC][48];
  long_doc(sq, a, bodies, heads);
  long_doc(pg, b, bodies, heads);
  for (int i = 0; i < LONG_DOC; i++) {
    /* ids in the order of the chunks, the same on both */
    cr_assert_eq(a[i].id, b[i].id, "chunk %d: %lld vs %lld", i, (long long)a[i].id, (long long)b[i].id);
    if (i) cr_assert_gt(b[i].id, b[i - 1].id);
    cr_assert_str_eq(b[i].document_id, "d600000000000006");
  }
  for (int i = 0; i < LONG_DOC; i += 37) {
    store_chunk_t *c = NULL;
    cr_assert_eq(store_chunk_get(pg, ALICE, b[i].id, &c), STORE_OK);
    cr_assert_str_eq(c->body, bodies[i]);
    cr_assert_str_eq(c->heading, heads[i]);
    char *title = NULL;
    cr_assert_eq(
        db_query(pg, "title", "SELECT title FROM chunks WHERE id = ?", DB_ARGS(DB_INT(b[i].id)), db_row_text, &title),
        1);
    cr_assert_str_eq(title, "A \"long\" one");
    free(title);
    cr_assert_eq(c->seq, i);
    cr_assert_eq(c->page, i / 10);
    cr_assert_eq(c->char_start, i * 100);
    cr_assert_eq(c->char_end, i * 100 + 99);
    store_chunk_free(c);
  }
  static const char *queries[] = {"uniq537", "flutter", "wing flutter", "brace quoted", "날개", "long"};
  for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
    res_t x = search_limit(sq, ALICE, NULL, queries[q], 50), y = search_limit(pg, ALICE, NULL, queries[q], 50);
    cr_assert_gt(x.n, 0, "no hit for %s", queries[q]);
    cr_assert_eq(x.n, y.n, "%s: %zu hits on SQLite, %zu on PostgreSQL", queries[q], x.n, y.n);
    for (size_t i = 0; i < x.n; i++) {
      cr_assert_eq(x.h[i].chunk_id, y.h[i].chunk_id, "%s: rank %zu", queries[q], i);
      cr_assert(fabs(x.h[i].score - y.h[i].score) < 1e-9, "%s: rank %zu: score %.12f vs %.12f", queries[q], i,
                x.h[i].score, y.h[i].score);
    }
    free(x.h);
    free(y.h);
  }
  res_t r = search(pg, ALICE, NULL, "uniq537");
  cr_assert_eq(r.n, 1);
  cr_assert_eq(r.h[0].chunk_id, b[537].id);
  free(r.h);
  int64_t n = -1;
  cr_assert_geq(db_query(pg, "stats", "SELECT SUM(chunks) FROM chunk_index_stats WHERE user_id = ?",
                         DB_ARGS(DB_TEXT(ALICE)), db_row_int64, &n),
                0);
  cr_assert_eq(n, LONG_DOC);
  store_close(sq);
  store_close(pg);
}

BOTH_BACKENDS(pgfts, chunks_of_a_document_no_longer_processing_are_refused) {
  corpus(st);
  store_chunk_t ch[2];
  memset(ch, 0, sizeof ch);
  ch[0].body = (char *)"late words arrive";
  ch[1].seq = 1;
  ch[1].body = (char *)"more late words";
  /* ready (corpus) and missing documents take no chunk, and nothing is indexed */
  cr_assert_eq(store_chunks_add(st, "d100000000000001", ALICE, "Jet engines", ch, 2), STORE_NOT_FOUND);
  cr_assert_eq(store_chunks_add(st, "dffffffffffffff9", ALICE, "Gone", ch, 2), STORE_NOT_FOUND);
  cr_assert_eq(ch[0].id, 0);
  int64_t n = -1;
  cr_assert_eq(db_query(st, "chunks", "SELECT count(*) FROM chunks", DB_NOARGS, db_row_int64, &n), 1);
  cr_assert_eq(n, 9);
  res_t r = search(st, ALICE, NULL, "late");
  cr_assert_eq(r.n, 0);
  free(r.h);
  if (store_backend(st) == DB_PG) {
    cr_assert_eq(db_query(st, "stats", "SELECT SUM(chunks) FROM chunk_index_stats", DB_NOARGS, db_row_int64, &n), 1);
    cr_assert_eq(n, 9);
    cr_assert_eq(db_query(st, "postings", "SELECT count(*) FROM chunk_postings WHERE term = 'late'", DB_NOARGS,
                          db_row_int64, &n),
                 1);
    cr_assert_eq(n, 0);
  }
}

BOTH_BACKENDS(pgfts, another_owner_never_comes_back) {
  corpus(st);
  res_t before[NQUERIES];
  for (size_t q = 0; q < NQUERIES; q++) before[q] = search(st, ALICE, NULL, QUERIES[q]);
  add_user(st, BOB, "bob");
  static const char *b1[] = {"Engine cooling of a jet engine: boundary layer flow and heat, 검색 데이터베이스.",
                             "running running running turbine blades"};
  add_doc(st, BOB, "e100000000000001", "Bob's jet engine", b1, 2);
  for (size_t q = 0; q < NQUERIES; q++) {
    res_t a = search(st, ALICE, NULL, QUERIES[q]);
    cr_assert(!has_doc(a, "e100000000000001"), "%s: another user's chunk came back", QUERIES[q]);
    /* statistics are per owner on both backends: nothing moves */
    cr_assert_eq(a.n, before[q].n);
    for (size_t i = 0; i < a.n; i++) {
      cr_assert_eq(a.h[i].chunk_id, before[q].h[i].chunk_id);
      cr_assert_eq(a.h[i].score, before[q].h[i].score, "%s: %.12f became %.12f", QUERIES[q], before[q].h[i].score,
                   a.h[i].score);
    }
    free(a.h);
    res_t b = search(st, BOB, NULL, QUERIES[q]);
    for (size_t i = 0; i < b.n; i++) cr_assert_str_eq(b.h[i].document_id, "e100000000000001");
    free(b.h);
    free(before[q].h);
  }
  res_t b = search(st, BOB, NULL, "running");
  cr_assert_eq(b.n, 1);
  free(b.h);
}

/* Alice's rankings of these queries at these limits: every match, and a
 * cut the pruned search has to reach exactly. */
static const char *TQ[] = {"engine cooling", "boundary layer flow", "high heat blades speed temperature flow jet",
                           "데이터베이스 검색", "running turbine"};
#define NTQ (sizeof TQ / sizeof *TQ)
static const int TL[2] = {1000, 3};

static void rank_all(store_t *st, res_t out[NTQ][2]) {
  for (size_t q = 0; q < NTQ; q++)
    for (int l = 0; l < 2; l++) {
      out[q][l] = search_limit(st, ALICE, NULL, TQ[q], TL[l]);
      cr_assert_gt(out[q][l].n, 0, "%s", TQ[q]);
    }
}

/* Ranks again and expects exactly ref (the same chunks, the same scores);
 * frees ref. */
static void expect_all_same(store_t *st, res_t ref[NTQ][2], const char *what) {
  res_t now[NTQ][2];
  rank_all(st, now);
  for (size_t q = 0; q < NTQ; q++)
    for (int l = 0; l < 2; l++) {
      res_t a = ref[q][l], b = now[q][l];
      cr_assert_eq(a.n, b.n, "%s: %s (limit %d): %zu hits, then %zu", what, TQ[q], TL[l], a.n, b.n);
      for (size_t i = 0; i < a.n; i++) {
        cr_assert_eq(a.h[i].chunk_id, b.h[i].chunk_id, "%s: %s (limit %d): rank %zu: chunk %lld, then %lld", what,
                     TQ[q], TL[l], i, (long long)a.h[i].chunk_id, (long long)b.h[i].chunk_id);
        cr_assert_eq(a.h[i].score, b.h[i].score, "%s: %s (limit %d): rank %zu: score %.12f, then %.12f", what, TQ[q],
                     TL[l], i, a.h[i].score, b.h[i].score);
      }
      free(a.h);
      free(b.h);
    }
}

/* A user's scores and ranking depend on their own library only: another
 * user's many chunks full of the query words (which would lower every idf
 * and move the average lengths) change nothing. */
BOTH_BACKENDS(pgfts, another_users_library_moves_no_score) {
  corpus(st);
  /* more of Alice's chunks, of distinct lengths (no ties at a cut) */
  static const char *words[] = {"engine", "cooling", "flow", "heat", "boundary", "layer", "blades", "high"};
  char bodies[32][400];
  const char *ptr[8];
  for (int d = 0; d < 4; d++) {
    for (int i = 0; i < 8; i++) {
      int k = d * 8 + i, at = 0;
      at += snprintf(bodies[k] + at, sizeof bodies[k] - (size_t)at, "%s", words[k % 8]);
      for (int j = 0; j < k % 5; j++)
        at += snprintf(bodies[k] + at, sizeof bodies[k] - (size_t)at, " %s", words[(k + j * 3) % 8]);
      for (int j = 0; j < k; j++) at += snprintf(bodies[k] + at, sizeof bodies[k] - (size_t)at, " filler%d", j);
      ptr[i] = bodies[k];
    }
    char doc[17];
    snprintf(doc, sizeof doc, "d6000000000000%02d", d);
    add_doc(st, ALICE, doc, "Notes", ptr, 8);
  }
  res_t ref[NTQ][2];
  rank_all(st, ref);
  /* Bob: 200 short chunks full of the query words (in every field) */
  add_user(st, BOB, "bob");
  static const char *full[] = {
      "engine cooling boundary layer flow heat high blades speed temperature jet running turbine 데이터베이스 검색"};
  for (int d = 0; d < 200; d++) {
    char doc[17];
    snprintf(doc, sizeof doc, "e2%014d", d);
    add_doc(st, BOB, doc, "engine cooling flow", full, 1);
  }
  expect_all_same(st, ref, "with Bob's library");
  /* Alice's own new chunk moves her figures (none kept from before it) to
   * what they are once she is alone in the index again */
  static const char *late[] = {"engine cooling flow 검색 running, late notes on heat and jet blades"};
  add_doc(st, ALICE, "d700000000000001", "Late", late, 1);
  rank_all(st, ref);
  cr_assert_eq(db_run(st, "delete", "DELETE FROM documents WHERE user_id = ?", DB_ARGS(DB_TEXT(BOB)), NULL), STORE_OK);
  expect_all_same(st, ref, "Bob's library deleted");
}

BOTH_BACKENDS(pgfts, a_group_search_keeps_to_the_group) {
  corpus(st);
  cr_assert_eq(
      db_run(st, "group", "INSERT INTO doc_groups (id, user_id, name, created_at, updated_at) VALUES (?, ?, 'g', 1, 1)",
             DB_ARGS(DB_TEXT("9000000000000001"), DB_TEXT(ALICE)), NULL),
      STORE_OK);
  cr_assert_eq(db_run(st, "member", "INSERT INTO doc_group_members (group_id, document_id, added_at) VALUES (?, ?, 1)",
                      DB_ARGS(DB_TEXT("9000000000000001"), DB_TEXT("d500000000000005")), NULL),
               STORE_OK);
  res_t all = search(st, ALICE, NULL, "turbine cooling heat");
  cr_assert_gt(all.n, 1);
  res_t g = search(st, ALICE, "9000000000000001", "turbine cooling heat");
  cr_assert_eq(g.n, 1);
  cr_assert_str_eq(g.h[0].document_id, "d500000000000005");
  /* the same score as in the whole library */
  int found = 0;
  for (size_t i = 0; i < all.n; i++)
    if (all.h[i].chunk_id == g.h[0].chunk_id) {
      cr_assert_float_eq(all.h[i].score, g.h[0].score, 1e-12);
      found = 1;
    }
  cr_assert(found);
  free(all.h);
  free(g.h);
  /* another user's group id finds nothing */
  add_user(st, BOB, "bob");
  res_t none = search(st, BOB, "9000000000000001", "turbine");
  cr_assert_eq(none.n, 0);
  free(none.h);
}

BOTH_BACKENDS(pgfts, deleting_a_document_removes_its_hits) {
  corpus(st);
  res_t r = search(st, ALICE, NULL, "engine");
  cr_assert(has_doc(r, "d100000000000001"));
  free(r.h);
  cr_assert_eq(db_run(st, "delete", "DELETE FROM documents WHERE id = ?", DB_ARGS(DB_TEXT("d100000000000001")), NULL),
               STORE_OK);
  r = search(st, ALICE, NULL, "engine");
  cr_assert(!has_doc(r, "d100000000000001"));
  cr_assert_gt(r.n, 0); /* the heat transfer chunk still has it */
  free(r.h);
  r = search(st, ALICE, NULL, "running");
  cr_assert_eq(r.n, 0);
  free(r.h);
  if (store_backend(st) == DB_PG) {
    int64_t n = -1;
    cr_assert_geq(
        db_query(st, "left", "SELECT count(*) FROM chunk_postings WHERE chunk_id NOT IN (SELECT id FROM chunks)",
                 DB_NOARGS, db_row_int64, &n),
        0);
    cr_assert_eq(n, 0);
    int64_t chunks = -1;
    cr_assert_geq(db_query(st, "stats", "SELECT SUM(chunks) FROM chunk_index_stats WHERE user_id = ?",
                           DB_ARGS(DB_TEXT(ALICE)), db_row_int64, &chunks),
                  0);
    cr_assert_eq(chunks, 7);
  }
}

BOTH_BACKENDS(pgfts, chunks_come_back_to_their_owner_only) {
  corpus(st);
  add_user(st, BOB, "bob");
  res_t r = search(st, ALICE, NULL, "compressor");
  cr_assert_eq(r.n, 1);
  store_chunk_t *c = NULL;
  cr_assert_eq(store_chunk_get(st, ALICE, r.h[0].chunk_id, &c), STORE_OK);
  cr_assert_str_eq(c->title, "Jet engines");
  cr_assert_str_eq(c->heading, "Part 1");
  cr_assert(strstr(c->body, "Compressor blades") != NULL);
  cr_assert_eq(c->seq, 1);
  store_chunk_free(c);
  cr_assert_eq(store_chunk_get(st, BOB, r.h[0].chunk_id, &c), STORE_NOT_FOUND);
  cr_assert_eq(store_chunk_get(st, ALICE, 999999, &c), STORE_NOT_FOUND);
  free(r.h);
}

typedef struct {
  int n;
  int64_t ids[16];
  float first[16];
  int dim;
} seen_t;

static void on_vec(void *ud, int64_t chunk_id, const char *document_id, const float *vec, int dim) {
  seen_t *s = ud;
  cr_assert_not_null(document_id);
  s->ids[s->n] = chunk_id;
  s->first[s->n] = vec[dim - 1];
  s->dim = dim;
  s->n++;
}

BOTH_BACKENDS(pgfts, vectors_round_trip) {
  corpus(st);
  json_t *stale = store_embeddings_stale_docs(st, "m1");
  cr_assert_eq(json_array_size(stale), 5);
  json_decref(stale);
  int64_t *ids = NULL;
  char **bodies = NULL;
  size_t n = 0;
  cr_assert_eq(store_embeddings_missing(st, "d100000000000001", "m1", &ids, &bodies, &n), STORE_OK);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(bodies[0], "Jet engines\nThe jet engine runs hot. Engines running at high speed need cooling.");
  cr_assert(strncmp(bodies[1], "Jet engines\nPart 1\n", 19) == 0);
  int64_t put_ids[3] = {ids[0], ids[1], 999999};
  float vecs3[3 * 3] = {0.5f, -0.25f, 1e-7f, 1.0f, 0.0f, -3.5f, 9, 9, 9};
  cr_assert_eq(store_embeddings_put(st, "m1", put_ids, vecs3, 3, 3), STORE_OK);
  seen_t s = {0};
  cr_assert_eq(store_embeddings_scan(st, ALICE, "m1", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 2); /* the vanished chunk took none */
  cr_assert_eq(s.dim, 3);
  cr_assert_eq(s.ids[0], ids[0]);
  cr_assert_eq(s.first[0], 1e-7f);
  cr_assert_eq(s.first[1], -3.5f);
  /* a second put replaces */
  float again[3] = {2, 2, 2};
  cr_assert_eq(store_embeddings_put(st, "m1", ids, again, 1, 3), STORE_OK);
  s = (seen_t){0};
  cr_assert_eq(store_embeddings_scan(st, ALICE, "m1", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 2);
  cr_assert_eq(s.first[0], 2.0f);
  /* a chunk given twice in one put keeps the last vector, as one put after another */
  int64_t twice[2] = {ids[0], ids[0]};
  float two[2 * 3] = {7, 7, 7, 4, 4, 4};
  cr_assert_eq(store_embeddings_put(st, "m1", twice, two, 2, 3), STORE_OK);
  s = (seen_t){0};
  cr_assert_eq(store_embeddings_scan(st, ALICE, "m1", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 2);
  cr_assert_eq(s.ids[0], ids[0]);
  cr_assert_eq(s.first[0], 4.0f);
  cr_assert_eq(s.first[1], -3.5f);
  /* other owners and models see nothing */
  s = (seen_t){0};
  cr_assert_eq(store_embeddings_scan(st, BOB, "m1", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 0);
  cr_assert_eq(store_embeddings_scan(st, ALICE, "m2", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 0);
  for (size_t i = 0; i < n; i++) free(bodies[i]);
  free(ids);
  free(bodies);
  stale = store_embeddings_stale_docs(st, "m1");
  cr_assert_eq(json_array_size(stale), 4);
  json_decref(stale);
  cr_assert_eq(store_embeddings_missing(st, "d100000000000001", "m1", &ids, &bodies, &n), STORE_OK);
  cr_assert_eq(n, 0);
  free(ids);
  free(bodies);
  cr_assert_eq(store_embeddings_drop_doc(st, "d100000000000001"), STORE_OK);
  s = (seen_t){0};
  cr_assert_eq(store_embeddings_scan(st, ALICE, "m1", on_vec, &s), STORE_OK);
  cr_assert_eq(s.n, 0);
  stale = store_embeddings_stale_docs(st, "m1");
  cr_assert_eq(json_array_size(stale), 5);
  json_decref(stale);
}
