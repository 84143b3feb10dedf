/*
 * The library below the API: ingestion into the store, what a search can
 * see (only 'ready' documents of the user), delete removing chunks, index
 * entries and vectors, the vector path and hybrid fusion against the fake
 * model server's deterministic /v1/embeddings and /v1/rerank, lexical-only
 * fallback, an embedding failure that still leaves a searchable document,
 * and the pruned (MaxScore) lexical top equal to the full ranking, also
 * beside another user's library.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "llm_support.h"
#include "rag/rag.h"
#include "rag_support.h"
#include "store/db.h"
#include "store/documents.h"
#include "store/fts.h"

static llmsup_fake_t fake;
static llmsup_app_t *A;
static rag_t *rag;

static void start_with(const char *const *env) {
  A = llmsup_app(env);
  char err[256];
  rag = rag_new(A->app->cfg, A->app->store, A->app->events, A->app->jobs, A->app->llm, err, sizeof err);
  cr_assert_not_null(rag, "%s", err);
}

static void setup_vectors(void) {
  cr_assert_eq(llmsup_fake_start(&fake, NULL), 0);
  char base[128], e1[200], e3[200];
  llmsup_url(&fake, "/v1", base, sizeof base);
  snprintf(e1, sizeof e1, "EMBEDDING_BASE_URL=%s", base);
  snprintf(e3, sizeof e3, "RERANK_URL=%s", base);
  const char *env[] = {e1, "EMBEDDING_MODEL=fake-embed", e3, "RERANK_MODEL=fake-rerank", NULL};
  start_with(env);
}

static void setup_plain(void) {
  fake.pid = 0;
  start_with(NULL);
}

static void teardown(void) {
  rag_free(rag);
  llmsup_app_free(A);
  if (fake.pid) llmsup_fake_stop(&fake);
}

/* Writes text to a file in the app dir and ingests it for the test user. */
static void add_text(const char *name, const char *text, char *id) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", A->dir, name);
  cr_assert_eq(rs_write_file(path, text, strlen(text)), 0);
  rag_add_t req = {.user_id = A->user_id, .filename = name, .src_path = path, .chunk_overlap = -1, .no_job = 1};
  char err[256];
  int dup = 0;
  cr_assert_eq(rag_document_add(rag, &req, id, &dup, err, sizeof err), 0, "%s", err);
  cr_assert_eq(rag_ingest_document(rag, id, NULL, NULL, err, sizeof err), 0, "%s", err);
}

static long long count(const char *sql, const char *arg) {
  sqlite3 *db;
  cr_assert_eq(sqlite3_open(store_path(A->app->store), &db), SQLITE_OK);
  cr_assert_eq(rag_fts_register(db), 0);
  sqlite3_stmt *s;
  cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
  if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
  cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
  long long n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

static int search(const char *q, rag_mode_t mode, const char *group, rag_results_t *res) {
  rag_query_t rq;
  rag_query_init(&rq);
  rq.user_id = A->user_id;
  rq.query = q;
  rq.mode = mode;
  rq.group_id = group;
  rq.k = 5;
  char err[256];
  return rag_search(rag, &rq, res, err, sizeof err);
}

Test(rag_store, delete_removes_chunks_index_and_vectors, .init = setup_vectors, .fini = teardown, .timeout = 60) {
  char id[17], other[17];
  add_text("wind.txt", "Wind turbines convert kinetic energy into electricity.\n\nTurbine blades are long.", id);
  add_text("bread.txt", "Sourdough bread rises slowly with a wild yeast starter.", other);
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(A->app->store, A->user_id, id, &d), STORE_OK);
  cr_expect_str_eq(d->status, "ready");
  store_doc_free(d);
  cr_expect(
      count("SELECT COUNT(*) FROM embeddings e JOIN chunks c ON c.id = e.chunk_id WHERE c.document_id = ?", id) > 0,
      "vectors stored");
  cr_expect(count("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'turbin'", NULL) > 0);
  rag_results_t r;
  cr_assert_eq(search("wind turbines electricity", RAG_MODE_VECTOR, NULL, &r), 0);
  cr_assert(r.n >= 1);
  cr_expect_str_eq(r.hits[0].document_id, id, "vector search finds the turbine text");
  rag_results_free(&r);
  cr_assert_eq(search("sourdough starter", RAG_MODE_HYBRID, NULL, &r), 0);
  cr_expect_eq(r.mode_used, RAG_MODE_HYBRID);
  cr_expect_str_eq(r.hits[0].document_id, other);
  cr_expect(r.reranked, "rerank endpoint used");
  rag_results_free(&r);
  cr_assert_eq(rag_document_delete(rag, A->user_id, id), 0);
  cr_expect_eq(count("SELECT COUNT(*) FROM chunks WHERE document_id = ?", id), 0);
  cr_expect_eq(count("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'turbin'", NULL), 0, "index entries gone");
  cr_expect_eq(count("SELECT COUNT(*) FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = "
                     "e.chunk_id) OR e.chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)",
                     id),
               0, "vectors gone");
  cr_assert_eq(search("wind turbines electricity", RAG_MODE_VECTOR, NULL, &r), 0);
  for (size_t i = 0; i < r.n; i++) cr_expect_str_neq(r.hits[i].document_id, id);
  rag_results_free(&r);
  cr_expect_eq(rag_document_delete(rag, A->user_id, id), -2, "second delete: not found");
}

Test(rag_store, vector_search_respects_groups, .init = setup_vectors, .fini = teardown, .timeout = 60) {
  char a[17], b[17], gid[17];
  add_text("a.txt", "Glaciers carve valleys over thousands of years.", a);
  add_text("b.txt", "Glaciers melt faster in warm summers.", b);
  cr_assert_eq(store_group_create(A->app->store, A->user_id, "ice", NULL, gid), STORE_OK);
  const char *ids[] = {b};
  cr_assert_eq(store_group_add_docs(A->app->store, A->user_id, gid, ids, 1), STORE_OK);
  rag_results_t r;
  cr_assert_eq(search("glaciers valleys", RAG_MODE_VECTOR, gid, &r), 0);
  cr_assert_eq(r.n, 1);
  cr_expect_str_eq(r.hits[0].document_id, b);
  rag_results_free(&r);
  cr_assert_eq(search("glaciers valleys", RAG_MODE_VECTOR, NULL, &r), 0);
  cr_expect_eq(r.n, 2);
  cr_expect_str_eq(r.hits[0].document_id, a);
  rag_results_free(&r);
}

Test(rag_store, processing_documents_are_invisible, .init = setup_plain, .fini = teardown, .timeout = 60) {
  store_doc_t d = {0};
  snprintf(d.user_id, sizeof d.user_id, "%s", A->user_id);
  d.filename = "half.txt";
  d.stored_path = "half.txt";
  d.content_hash = "h1";
  cr_assert_eq(store_doc_insert(A->app->store, &d, NULL), STORE_OK);
  cr_assert_eq(store_doc_begin_processing(A->app->store, d.id), STORE_OK);
  rag_doc_t doc;
  rag_doc_init(&doc);
  rag_doc_para(&doc, "Zeppelins float on hydrogen.", 28);
  char err[256];
  cr_assert_eq(rag_index_parsed(rag, d.id, A->user_id, "half", &doc, 1000, 200, err, sizeof err), 1);
  rag_results_t r;
  cr_assert_eq(search("zeppelins hydrogen", RAG_MODE_LEXICAL, NULL, &r), 0);
  cr_expect_eq(r.n, 0, "a processing document is not searchable");
  rag_results_free(&r);
  /* a crash here, then the resumed job starts over: leftovers are removed */
  cr_assert_eq(store_doc_begin_processing(A->app->store, d.id), STORE_OK);
  cr_expect_eq(count("SELECT COUNT(*) FROM chunks WHERE document_id = ?", d.id), 0);
  cr_expect_eq(count("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH 'zeppelin'", NULL), 0);
  cr_assert_eq(rag_index_parsed(rag, d.id, A->user_id, "half", &doc, 1000, 200, err, sizeof err), 1);
  cr_assert_eq(store_doc_mark_ready(A->app->store, d.id, doc.text.data, 0, 1, 28, NULL, NULL, NULL, NULL), STORE_OK);
  cr_assert_eq(search("zeppelins hydrogen", RAG_MODE_HYBRID, NULL, &r), 0);
  cr_expect_eq(r.n, 1);
  cr_expect_eq(r.mode_used, RAG_MODE_LEXICAL, "no embedding endpoint: lexical only");
  cr_expect_str_eq(r.hits[0].text, "Zeppelins float on hydrogen.");
  cr_expect_str_eq(r.hits[0].title, "half.txt", "no parsed title: the filename");
  rag_hit_t h;
  cr_expect_eq(rag_chunk_fetch(rag, A->user_id, r.hits[0].chunk_id, &h), 0);
  cr_expect_str_eq(h.text, "Zeppelins float on hydrogen.");
  rag_hit_clear(&h);
  cr_expect_eq(rag_chunk_fetch(rag, "0000000000000000", r.hits[0].chunk_id, &h), -2, "another user: not found");
  rag_results_free(&r);
  cr_expect_eq(search("zeppelins", RAG_MODE_VECTOR, NULL, &r), -1, "vector mode needs an embedding model");
  rag_doc_free(&doc);
}

Test(rag_store, embedding_failure_keeps_document_searchable, .init = setup_vectors, .fini = teardown, .timeout = 60) {
  cr_assert_eq(llmsup_fake_rules(&fake, "{\"embedding\":{\"status\":400,\"error\":\"bad input\"}}"), 0);
  char id[17];
  add_text("c.txt", "Volcanoes erupt molten rock called lava.", id);
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(A->app->store, A->user_id, id, &d), STORE_OK);
  cr_expect_str_eq(d->status, "ready");
  cr_expect_not_null(json_object_get(d->metadata, "embedding_error"), "the reason is kept");
  store_doc_free(d);
  rag_results_t r;
  cr_assert_eq(search("volcanoes lava", RAG_MODE_LEXICAL, NULL, &r), 0);
  cr_expect_eq(r.n, 1);
  rag_results_free(&r);
}

/* The MaxScore search ranks only rows holding a selective word yet returns
 * exactly the top of ranking every matching row (which a limit above the
 * number of matches forces). */
static void expect_pruned_top_equals_full_ranking(void) {
  buf_t text = BUF_INIT;
  buf_init(&text);
  for (int p = 0; p < 200; p++) {
    buf_printf(&text, "alpha filler%d alpha ", p % 17);
    if (p % 3 == 0) buf_puts(&text, "beta ");
    if (p % 10 == 0) buf_puts(&text, "gamma ");
    if (p % 37 == 0) buf_puts(&text, "delta ");
    while (text.len % 1000 < 900) buf_printf(&text, "word%d ", (int)(text.len % 97));
    buf_puts(&text, ".\n\n");
  }
  char id[17];
  add_text("many.txt", text.data, id);
  buf_free(&text);
  rag_rank_params_t p;
  rag_get_rank_params(rag, &p);
  store_rank_t r = {p.k1, p.b, p.w_title, p.w_heading, p.w_body};
  const char *queries[] = {"alpha beta gamma delta", "alpha beta", "delta alpha", "gamma beta alpha"};
  for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
    size_t nw = 0;
    char **w = rag_fts_words(queries[qi], 64, &nw);
    cr_assert_not_null(w);
    store_hit_t *full = NULL, *top = NULL;
    size_t nfull = 0, ntop = 0;
    store_search_stats_t sf, st;
    cr_assert_eq(store_chunks_search(A->app->store, A->user_id, NULL, w, nw, &r, 1000, &full, &nfull, &sf), STORE_OK);
    cr_assert_eq(store_chunks_search(A->app->store, A->user_id, NULL, w, nw, &r, 5, &top, &ntop, &st), STORE_OK);
    cr_assert_eq(sf.essential, sf.terms, "a limit above the matches ranks every matching row");
    cr_assert_geq(nfull, 5);
    cr_assert_eq(ntop, 5);
    for (size_t i = 0; i < ntop; i++)
      cr_expect(top[i].score > full[i].score - 1e-9 && top[i].score < full[i].score + 1e-9, "%s: rank %zu: %f vs %f",
                queries[qi], i, top[i].score, full[i].score);
    if (qi == 0) cr_expect_lt(st.essential, st.terms, "the common words did not select rows");
    free(full);
    free(top);
    rag_fts_words_free(w);
  }
}

Test(rag_store, pruned_lexical_top_equals_full_ranking, .init = setup_plain, .fini = teardown, .timeout = 60) {
  expect_pruned_top_equals_full_ranking();
}

/* The same with another user's chunks in the index, where the user's own
 * figures (rows, lengths, df) rank and bound the search: the other user's
 * many "delta" rows must not make the rare word look common. */
Test(rag_store, pruned_top_equals_full_ranking_beside_another_library, .init = setup_plain, .fini = teardown,
     .timeout = 60) {
  store_t *st = A->app->store;
  const char *other = "b0b0000000000002", *doc = "e000000000000001";
  cr_assert_eq(db_run(st, "user",
                      "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                      "VALUES (?, 'bob', 'x', 'researcher', 1, 1)",
                      DB_ARGS(DB_TEXT(other)), NULL),
               STORE_OK);
  cr_assert_eq(db_run(st, "doc",
                      "INSERT INTO documents (id, user_id, filename, stored_path, content_hash, status, created_at, "
                      "updated_at) VALUES (?, ?, 'b.txt', '/dev/null', 'b', 'processing', 1, 1)",
                      DB_ARGS(DB_TEXT(doc), DB_TEXT(other)), NULL),
               STORE_OK);
  store_chunk_t ch[300];
  memset(ch, 0, sizeof ch);
  for (int i = 0; i < 300; i++) {
    ch[i].seq = i;
    ch[i].body = "delta delta gamma delta";
    ch[i].char_end = 23;
  }
  cr_assert_eq(store_chunks_add(st, doc, other, "delta", ch, 300), STORE_OK);
  expect_pruned_top_equals_full_ranking();
}

/* The score of document doc's hit among hits, or -1. */
static double score_of(const store_hit_t *h, size_t n, const char *doc) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(h[i].document_id, doc)) return h[i].score;
  return -1;
}

static store_hit_t *zeta_hits(size_t *n) {
  char *w[] = {"zeta", NULL};
  rag_rank_params_t p;
  rag_get_rank_params(rag, &p);
  store_rank_t r = {p.k1, p.b, p.w_title, p.w_heading, p.w_body};
  store_hit_t *h = NULL;
  cr_assert_eq(store_chunks_search(A->app->store, A->user_id, NULL, w, 1, &r, 10, &h, n, NULL), STORE_OK);
  return h;
}

/* The connection keeps column lengths and document frequencies between
 * searches: a change by another connection, and a deleted row's id reused on
 * the same connection, must not leave stale lengths behind. */
Test(rag_store, cached_lengths_follow_changes, .init = setup_plain, .fini = teardown, .timeout = 60) {
  buf_t lng = BUF_INIT;
  buf_init(&lng);
  buf_puts(&lng, "zeta");
  for (int i = 0; i < 60; i++) buf_printf(&lng, " filler%d", i);
  buf_puts(&lng, ".");
  char s1[17], l1[17], s2[17], s3[17];
  add_text("short1.txt", "zeta quick cat.", s1);
  add_text("long1.txt", lng.data, l1);
  size_t n = 0;
  store_hit_t *h = zeta_hits(&n);
  cr_assert_eq(n, 2);
  cr_expect_gt(score_of(h, n, s1), score_of(h, n, l1) + 0.01, "a short chunk outscores a long one");
  free(h);
  /* another connection makes the short chunk as long as the other */
  sqlite3 *db;
  cr_assert_eq(sqlite3_open(store_path(A->app->store), &db), SQLITE_OK);
  cr_assert_eq(rag_fts_register(db), 0);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt *s;
  cr_assert_eq(sqlite3_prepare_v2(db, "UPDATE chunks SET body = ?1 WHERE document_id = ?2", -1, &s, NULL), SQLITE_OK);
  sqlite3_bind_text(s, 1, lng.data, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, s1, -1, SQLITE_STATIC);
  cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(s);
  sqlite3_close(db);
  h = zeta_hits(&n);
  cr_assert_eq(n, 2);
  double a = score_of(h, n, s1), b = score_of(h, n, l1);
  cr_expect(a > b - 1e-9 && a < b + 1e-9, "same text, same score after another connection's update: %f vs %f", a, b);
  free(h);
  /* the long document (the highest chunk ids) goes; a new short document
   * takes its ids on the same connection */
  cr_assert_eq(rag_document_delete(rag, A->user_id, l1), 0);
  add_text("short2.txt", "zeta quick dog.", s2);
  add_text("short3.txt", "zeta quick fox.", s3);
  h = zeta_hits(&n);
  cr_assert_eq(n, 3);
  a = score_of(h, n, s2);
  b = score_of(h, n, s3);
  cr_expect(a > b - 1e-9 && a < b + 1e-9, "same length, same score after an id was reused: %f vs %f", a, b);
  cr_expect_gt(a, score_of(h, n, s1) + 0.01);
  free(h);
  buf_free(&lng);
}

/* Bibliographic fields: the user's edits survive a re-ingestion and an
 * outside record (the Crossref seam); other fields follow the newest source. */
Test(rag_store, user_edits_win_over_extraction_and_outside_records, .init = setup_plain, .fini = teardown,
     .timeout = 60) {
  char id[17];
  add_text("paper.md", "---\ntitle: Draft Title\nauthors: [Ann Lee]\ndoi: 10.1000/one\n---\nKelp grows fast.\n", id);
  store_t *st = A->app->store;
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(st, A->user_id, id, &d), STORE_OK);
  cr_expect_str_eq(d->bib.title, "Draft Title");
  cr_expect_str_eq(d->bib.doi, "10.1000/one");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "title")), "front-matter");
  store_doc_free(d);
  store_doc_meta_t edit = {.title = "Kelp Forests", .venue = ""};
  cr_assert_eq(store_doc_update_fields(st, A->user_id, id, &edit, NULL), STORE_OK);
  cr_expect_eq(store_doc_update_fields(st, "0000000000000000", id, &edit, NULL), STORE_NOT_FOUND);
  /* an outside record completes the rest but not the user's title */
  store_doc_meta_t cr = {.title = "Crossref Title", .authors = "Ann Lee; Bo Park", .year = "2020", .venue = "Ecology"};
  cr_assert_eq(store_doc_complete_meta(st, A->user_id, id, &cr, "crossref"), STORE_OK);
  cr_expect_eq(store_doc_complete_meta(st, "0000000000000000", id, &cr, "crossref"), STORE_NOT_FOUND);
  cr_assert_eq(store_doc_get(st, A->user_id, id, &d), STORE_OK);
  cr_expect_str_eq(d->bib.title, "Kelp Forests");
  cr_expect_null(d->bib.venue, "the user cleared the venue");
  cr_expect_str_eq(d->bib.authors, "Ann Lee; Bo Park");
  cr_expect_str_eq(d->bib.year, "2020");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "authors")), "crossref");
  store_doc_free(d);
  /* ingested again: the title stays the user's, the DOI is extracted again */
  cr_assert_eq(rag_document_reprocess(rag, A->user_id, id, 0, -1), 0);
  char err[256];
  cr_assert_eq(rag_ingest_document(rag, id, NULL, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_eq(store_doc_get(st, A->user_id, id, &d), STORE_OK);
  cr_expect_str_eq(d->status, "ready");
  cr_expect_str_eq(d->bib.title, "Kelp Forests");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "title")), "user");
  cr_expect_str_eq(d->bib.doi, "10.1000/one");
  json_t *cite = store_doc_cite_json(st, A->user_id, id);
  cr_expect_str_eq(json_string_value(json_object_get(cite, "title")), "Kelp Forests");
  cr_expect_str_eq(json_string_value(json_object_get(cite, "doi")), "10.1000/one");
  json_decref(cite);
  cr_expect_null(store_doc_cite_json(st, "0000000000000000", id), "another user's document has no record for you");
  store_doc_free(d);
  rag_results_t r;
  cr_assert_eq(search("kelp forests", RAG_MODE_LEXICAL, NULL, &r), 0);
  cr_expect_eq(r.n, 1);
  if (r.n) cr_expect_str_eq(r.hits[0].title, "Kelp Forests", "the chunks carry the user's title");
  rag_results_free(&r);
}
