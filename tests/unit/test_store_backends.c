/*
 * The store on both backends: the statement layer (db.h), migrations from
 * the one numbered list (same tables and columns on SQLite and PostgreSQL,
 * a newer schema refused), PostgreSQL's full-text index statistics, and
 * the store modules converted to db.h (webcache, embedcache, events). PostgreSQL runs in a
 * throwaway cluster started once for this binary (tests/support/pg.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "base/config.h"
#include "base/embedded.h"
#include "base/log.h"
#include "base/util.h"
#include "pg.h"
#include "store/db.h"
#include "store/embedcache.h"
#include "store/store_internal.h"
#include "store/events.h"
#include "store/store.h"
#include "store/webcache.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(backends, .init = quiet);

/* ---- the statement layer ---- */

static int collect_text(db_stmt_t *row, void *ctx) {
  json_t *arr = ctx;
  const char *t = db_col_text_ref(row, 0);
  json_array_append_new(arr, t ? json_string(t) : json_null());
  return 0;
}

static void make_table(store_t *st) {
  db_conn_t *c = db_acquire(st);
  cr_assert_eq(db_exec(c, db_sql(c,
                                 "CREATE TABLE t (k TEXT PRIMARY KEY, i "
                                 "BIGINT, d DOUBLE PRECISION, b BLOB, "
                                 "note TEXT)",
                                 "CREATE TABLE t (k TEXT PRIMARY KEY, i "
                                 "BIGINT, d DOUBLE PRECISION, b BYTEA, "
                                 "note TEXT)")),
               0, "%s", db_errmsg(c));
  db_release(st, c);
}

BOTH_BACKENDS(backends, values_round_trip_with_their_types) {
  make_table(st);
  static const unsigned char blob[] = {0, 1, 2, 0xff, 0, '\\', 'x'};
  cr_assert_eq(db_run(st, "insert", "INSERT INTO t (k, i, d, b, note) VALUES (?, ?, ?, ?, ?)",
                      DB_ARGS(DB_TEXT("ключ 키"), DB_INT(INT64_C(9007199254740993)), DB_REAL(0.1 + 0.2),
                              DB_BLOB(blob, sizeof blob), DB_NULL),
                      NULL),
               STORE_OK);
  db_conn_t *c = db_acquire(st);
  db_stmt_t *s = db_prepare(c, "SELECT k, i, d, b, note FROM t WHERE k = ?");
  cr_assert_not_null(s, "%s", db_errmsg(c));
  db_bind_text(s, 1, "ключ 키");
  cr_assert_eq(db_step(s), DB_ROW, "%s", db_errmsg(c));
  char *k = db_col_text(s, 0);
  cr_expect_str_eq(k, "ключ 키");
  free(k);
  cr_expect_eq(db_col_int64(s, 1), INT64_C(9007199254740993));
  cr_expect_eq(db_col_double(s, 2), 0.1 + 0.2, "doubles keep every bit");
  size_t n = 0;
  const void *b = db_col_blob(s, 3, &n);
  cr_assert_eq(n, sizeof blob);
  cr_expect_eq(memcmp(b, blob, n), 0);
  cr_expect(db_col_is_null(s, 4));
  cr_expect_null(db_col_text(s, 4));
  cr_expect_eq(db_step(s), DB_DONE);
  db_release(st, c);
}

BOTH_BACKENDS(backends, question_marks_inside_quotes_are_not_parameters) {
  make_table(st);
  cr_assert_eq(db_run(st, "insert",
                      "INSERT INTO t (k, note) VALUES (?, 'why? -- because') "
                      "-- a comment?\n",
                      DB_ARGS(DB_TEXT("a")), NULL),
               STORE_OK);
  json_t *got = json_array();
  cr_assert_eq(
      db_query(st, "read", "SELECT note FROM t WHERE k = ? AND note <> '?'", DB_ARGS(DB_TEXT("a")), collect_text, got),
      1);
  cr_expect_str_eq(json_string_value(json_array_get(got, 0)), "why? -- because");
  json_decref(got);
}

BOTH_BACKENDS(backends, changes_conflicts_and_limits) {
  make_table(st);
  for (int i = 0; i < 5; i++) {
    char k[8];
    snprintf(k, sizeof k, "k%d", i);
    cr_assert_eq(db_run(st, "insert", "INSERT INTO t (k, i) VALUES (?, ?)", DB_ARGS(DB_TEXT(k), DB_INT(i)), NULL),
                 STORE_OK);
  }
  cr_expect_eq(db_run(st, "dup", "INSERT INTO t (k, i) VALUES (?, ?)", DB_ARGS(DB_TEXT("k1"), DB_INT(9)), NULL),
               STORE_CONFLICT, "a duplicate key is a conflict, not an error");
  int64_t changed = -1;
  cr_assert_eq(db_run(st, "update", "UPDATE t SET note = ? WHERE i >= ?", DB_ARGS(DB_TEXT("big"), DB_INT(3)), &changed),
               STORE_OK);
  cr_expect_eq(changed, 2);
  json_t *got = json_array();
  cr_expect_eq(db_query(st, "list", "SELECT k FROM t ORDER BY i LIMIT ? OFFSET ?",
                        DB_ARGS(DB_INT(DB_NO_LIMIT), DB_INT(1)), collect_text, got),
               4, "no limit, offset 1");
  cr_expect_str_eq(json_string_value(json_array_get(got, 0)), "k1");
  json_decref(got);
  /* a statement that fails is an error with the server's message */
  db_conn_t *c = db_acquire(st);
  cr_expect_eq(db_conn_run(c, "bad", "INSERT INTO missing_table (x) VALUES (?)", DB_ARGS(DB_INT(1)), NULL),
               STORE_ERROR);
  cr_expect(strstr(db_errmsg(c), "missing_table") != NULL, "message: %s", db_errmsg(c));
  db_release(st, c);
  /* the connection is usable again after the failure */
  cr_expect_eq(db_query(st, "count", "SELECT k FROM t", DB_NOARGS, NULL, NULL), 5);
}

typedef struct {
  int fail;
} tx_ctx_t;

static int two_inserts(db_conn_t *c, void *p) {
  tx_ctx_t *ctx = p;
  if (db_conn_run(c, "one", "INSERT INTO t (k) VALUES (?)", DB_ARGS(DB_TEXT("one")), NULL) != STORE_OK)
    return STORE_ERROR;
  if (ctx->fail) return STORE_ERROR;
  return db_conn_run(c, "two", "INSERT INTO t (k) VALUES (?)", DB_ARGS(DB_TEXT("two")), NULL);
}

BOTH_BACKENDS(backends, a_transaction_commits_all_or_nothing) {
  make_table(st);
  tx_ctx_t ctx = {1};
  cr_expect_eq(db_tx(st, "failing", two_inserts, &ctx), STORE_ERROR);
  cr_expect_eq(db_query(st, "count", "SELECT k FROM t", DB_NOARGS, NULL, NULL), 0, "rolled back");
  ctx.fail = 0;
  cr_expect_eq(db_tx(st, "ok", two_inserts, &ctx), STORE_OK);
  cr_expect_eq(db_query(st, "count", "SELECT k FROM t", DB_NOARGS, NULL, NULL), 2, "committed");
  /* a transaction left open by a failed path is rolled back at release */
  db_conn_t *c = db_acquire(st);
  cr_assert_eq(db_begin(c), 0);
  cr_assert_eq(db_conn_run(c, "three", "INSERT INTO t (k) VALUES (?)", DB_ARGS(DB_TEXT("three")), NULL), STORE_OK);
  db_release(st, c);
  cr_expect_eq(db_query(st, "count", "SELECT k FROM t", DB_NOARGS, NULL, NULL), 2);
}

BOTH_BACKENDS(backends, statements_are_cached_per_connection_and_survive_eviction) {
  make_table(st);
  /* more distinct statements than the cache holds, then the first again */
  char sql[130][64];
  for (int i = 0; i < 130; i++) {
    snprintf(sql[i], sizeof sql[i], "SELECT %d + ?", i);
    db_conn_t *c = db_acquire(st);
    db_stmt_t *s = db_prepare(c, sql[i]);
    cr_assert_not_null(s, "%s", db_errmsg(c));
    db_bind_int64(s, 1, 1);
    cr_assert_eq(db_step(s), DB_ROW, "%s", db_errmsg(c));
    cr_expect_eq(db_col_int64(s, 0), i + 1);
    db_release(st, c);
  }
  db_conn_t *c = db_acquire(st);
  db_stmt_t *a = db_prepare(c, sql[129]);
  db_stmt_t *b = db_prepare(c, sql[129]);
  cr_expect_eq(a, b, "the same SQL is prepared once per connection");
  db_release(st, c);
}

/* SQL built in one buffer, rewritten between two statements (the library's
 * filters are): the cache goes by the text, so the second text gets its own
 * statement, not the first one's from the same address. */
BOTH_BACKENDS(backends, the_statement_cache_goes_by_text_not_by_address) {
  make_table(st);
  char sql[64];
  db_conn_t *c = db_acquire(st);
  for (int i = 0; i < 3; i++) {
    snprintf(sql, sizeof sql, "SELECT %d + ?", 10 * (i + 1));
    db_stmt_t *s = db_prepare(c, sql);
    cr_assert_not_null(s, "%s", db_errmsg(c));
    db_bind_int64(s, 1, 1);
    cr_assert_eq(db_step(s), DB_ROW, "%s", db_errmsg(c));
    cr_expect_eq(db_col_int64(s, 0), 10 * (i + 1) + 1, "%s answered by another statement", sql);
  }
  db_release(st, c);
}

/* ---- migrations ---- */

static int collect_pair(db_stmt_t *row, void *ctx) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s.%s", db_col_text_ref(row, 0), db_col_text_ref(row, 1));
  json_array_append_new(ctx, json_string(buf));
  return 0;
}

/* "table.column" of every table and view, sorted, minus what only this
 * backend has (FTS5's tables on SQLite; the plain-table index and the
 * insertion-order column on PostgreSQL). */
static json_t *schema_columns(store_t *st) {
  json_t *arr = json_array();
  int n;
  if (store_backend(st) == DB_SQLITE)
    n = db_query(st, "columns",
                 "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) "
                 "p "
                 "WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'chunks_fts%' "
                 "AND m.name NOT IN ('sqlite_sequence') ORDER BY 1, 2",
                 DB_NOARGS, collect_pair, arr);
  else
    n = db_query(st, "columns",
                 "SELECT table_name::text, column_name::text FROM "
                 "information_schema.columns "
                 "WHERE table_schema = 'public' AND table_name NOT IN "
                 "('chunk_postings', 'chunk_lengths', "
                 "'chunk_index_stats', 'chunks_fts_vocab') "
                 "AND column_name <> 'rowid' "
                 "ORDER BY 1, 2",
                 DB_NOARGS, collect_pair, arr);
  cr_assert(n > 0);
  return arr;
}

Test(backends, both_backends_migrate_to_the_same_version_tables_and_columns) {
  store_t *lite = backend_open_sqlite();
  store_t *pg = backend_open_pg();
  cr_expect_eq(store_schema_version(lite), store_schema_latest());
  cr_expect_eq(store_schema_version(pg), store_schema_latest());
  json_t *a = schema_columns(lite), *b = schema_columns(pg);
  char *sa = json_dumps(a, 0), *sb = json_dumps(b, 0);
  cr_expect(json_equal(a, b), "SQLite and PostgreSQL schemas differ:\nsqlite: %s\npg:     %s", sa, sb);
  cr_expect(strstr(sa, "\"users.tokens_valid_after\"") && strstr(sa, "\"documents.meta_sources\""));
  free(sa);
  free(sb);
  json_decref(a);
  json_decref(b);
  /* The same vocabulary query answers on both (fts5vocab / view). */
  cr_expect_eq(
      db_query(lite, "vocab", "SELECT doc FROM chunks_fts_vocab WHERE term = ?", DB_ARGS(DB_TEXT("x")), NULL, NULL), 0);
  cr_expect_eq(
      db_query(pg, "vocab", "SELECT doc FROM chunks_fts_vocab WHERE term = ?", DB_ARGS(DB_TEXT("x")), NULL, NULL), 0);
  store_close(lite);
  store_close(pg);
}

Test(backends, every_postgresql_migration_overrides_a_numbered_shared_one) {
  int n = 0;
  for (const embedded_file_t *f = embedded_schema_pg; f->name; f++, n++)
    cr_expect_not_null(embedded_find(embedded_schema, f->name),
                       "schema/pg/%s has no schema/%s: PostgreSQL files only "
                       "replace shared ones",
                       f->name, f->name);
  cr_expect(n >= 1);
}

Test(backends, a_postgresql_database_newer_than_the_binary_is_refused) {
  char conninfo[512], err[512], sql[160];
  pg_test_new_db(conninfo, sizeof conninfo);
  store_t *st = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  store_close(st);
  /* reopening applies nothing */
  st = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  cr_expect_eq(store_schema_version(st), store_schema_latest());
  store_close(st);
  snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, '999_future.sql', 0)",
           store_schema_latest() + 1);
  cr_assert_eq(pg_test_exec(conninfo, sql, err, sizeof err), 0, "%s", err);
  err[0] = '\0';
  cr_expect_null(store_open_postgres(conninfo, err, sizeof err));
  cr_expect(strstr(err, "schema version") && strstr(err, "upgrade maestro"), "message: %s", err);
  cr_expect(strstr(err, "password") == NULL);
}

Test(backends, a_postgresql_url_opens_a_working_store) {
  char conninfo[512], err[512] = "", url[700];
  pg_test_new_db(conninfo, sizeof conninfo);
  cr_assert_eq(pg_conninfo_url(conninfo, url, sizeof url), 0, "%s", conninfo);
  setenv("DATABASE_URL", url, 1);
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(cfg, "%s", err);
  store_t *st = store_open(cfg, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  cr_expect_eq(store_schema_version(st), store_schema_latest());
  cr_expect_not_null(strstr(store_path(st), "postgresql"), "%s", store_path(st));
  cr_expect_eq(store_event_append(st, "mission:x", "phase", NULL, NULL, NULL), STORE_OK);
  store_close(st);
  config_free(cfg);
  unsetenv("DATABASE_URL");
}

Test(backends, a_missing_postgresql_server_is_a_clear_error) {
  char err[512] = "";
  cr_expect_null(store_open_postgres("host=/nonexistent-maestro dbname=x connect_timeout=2", err, sizeof err));
  cr_expect(strstr(err, "cannot connect to PostgreSQL") != NULL, "message: %s", err);
}

/* A user row straight in SQL (the users module is not on db.h yet). */
static int add_user(store_t *st, const char *id, const char *name) {
  return db_run(st, "add user",
                "INSERT INTO users (id, username, password_hash, role, "
                "created_at, updated_at) "
                "VALUES (?, ?, 'h', 'admin', 0, 0)",
                DB_ARGS(DB_TEXT(id), DB_TEXT(name)), NULL);
}

Test(backends, usernames_are_unique_regardless_of_case_on_postgresql) {
  store_t *st = backend_open_pg();
  cr_expect_eq(add_user(st, "a", "Alice"), STORE_OK);
  cr_expect_eq(add_user(st, "b", "aLICE"), STORE_CONFLICT, "COLLATE nocase as on SQLite");
  cr_expect_eq(db_query(st, "find", "SELECT id FROM users WHERE username = ?", DB_ARGS(DB_TEXT("ALICE")), NULL, NULL),
               1);
  cr_expect_eq(db_run(st, "bad json",
                      "INSERT INTO server_settings (key, value, updated_at) "
                      "VALUES ('k', ?, 0)",
                      DB_ARGS(DB_TEXT("{not json")), NULL),
               STORE_ERROR, "json_valid checks hold on PostgreSQL too");
  store_close(st);
}

static int read_stats(db_stmt_t *row, void *ctx) {
  int64_t *v = ctx;
  for (int i = 0; i < 4; i++) v[i] = db_col_int64(row, i);
  return 0;
}

Test(backends, postgresql_index_statistics_follow_inserts_and_cascaded_deletes) {
  store_t *st = backend_open_pg();
  cr_assert_eq(add_user(st, "u", "u"), STORE_OK);
  cr_assert_eq(db_run(st, "doc",
                      "INSERT INTO documents (id, user_id, filename, "
                      "stored_path, content_hash, created_at, "
                      "updated_at) VALUES ('d', 'u', 'f', 'p', 'h', 0, 0)",
                      DB_NOARGS, NULL),
               STORE_OK);
  for (int i = 1; i <= 3; i++) {
    cr_assert_eq(db_run(st, "chunk",
                        "INSERT INTO chunks (id, document_id, user_id, seq, "
                        "char_start, char_end, body) "
                        "VALUES (?, 'd', 'u', ?, 0, 1, 'x')",
                        DB_ARGS(DB_INT(i), DB_INT(i)), NULL),
                 STORE_OK);
    cr_assert_eq(db_run(st, "lengths", "INSERT INTO chunk_lengths VALUES (?, 'u', ?, 2, 10, 1)",
                        DB_ARGS(DB_INT(i), DB_INT(i)), NULL),
                 STORE_OK);
    cr_assert_eq(db_run(st, "posting",
                        "INSERT INTO chunk_postings VALUES ('word', 'u', ?, "
                        "NULL, NULL, '{0,4}')",
                        DB_ARGS(DB_INT(i)), NULL),
                 STORE_OK);
  }
  const char *stats =
      "SELECT sum(chunks), sum(len_title), sum(len_heading), "
      "sum(len_body) FROM chunk_index_stats";
  int64_t v[4] = {0};
  cr_assert_eq(db_query(st, "stats", stats, DB_NOARGS, read_stats, v), 1);
  cr_expect(v[0] == 3 && v[1] == 6 && v[2] == 6 && v[3] == 30, "N=%lld title=%lld heading=%lld body=%lld",
            (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3]);
  json_t *doc = json_array();
  db_query(st, "vocab", "SELECT doc::text, cnt::text FROM chunks_fts_vocab WHERE term = ?", DB_ARGS(DB_TEXT("word")),
           collect_pair, doc);
  cr_expect_str_eq(json_string_value(json_array_get(doc, 0)), "3.6", "3 chunks, 6 occurrences");
  json_decref(doc);
  /* deleting the user cascades to chunks, postings and lengths: totals back to
   * 0 */
  cr_assert_eq(db_run(st, "del", "DELETE FROM users WHERE id = 'u'", DB_NOARGS, NULL), STORE_OK);
  cr_assert_eq(db_query(st, "stats", stats, DB_NOARGS, read_stats, v), 1);
  cr_expect(v[0] == 0 && v[1] == 0 && v[3] == 0, "N=%lld after the delete", (long long)v[0]);
  cr_expect_eq(db_query(st, "postings", "SELECT term FROM chunk_postings", DB_NOARGS, NULL, NULL), 0);
  store_close(st);
}

/* ---- webcache (src/store/webcache.c, converted to db.h) ---- */

BOTH_BACKENDS(backends, web_search_cache_answers_until_expiry_and_is_replaced) {
  json_t *results = json_pack("[{s:s, s:s}]", "url", "https://example.org/a", "title", "검색 결과");
  cr_assert_eq(store_webcache_search_put(st, "k1", NULL, "query", "searxng", results, "slow provider", 1000, 5000),
               STORE_OK);
  json_t *got = NULL;
  char *warnings = NULL;
  char provider[16];
  cr_assert_eq(store_webcache_search_get(st, "k1", 4999, &got, &warnings, provider), STORE_OK);
  cr_expect(json_equal(got, results));
  cr_expect_str_eq(warnings, "slow provider");
  cr_expect_str_eq(provider, "searxng");
  json_decref(got);
  free(warnings);
  cr_expect_eq(store_webcache_search_get(st, "k1", 5000, &got, &warnings, provider), STORE_NOT_FOUND, "expired");
  cr_expect_null(got);
  cr_expect_eq(store_webcache_search_get(st, "other", 0, &got, &warnings, provider), STORE_NOT_FOUND);
  /* the same key again replaces the answer */
  json_t *fresh = json_pack("[]");
  cr_assert_eq(store_webcache_search_put(st, "k1", NULL, "query", "brave", fresh, NULL, 6000, 9000), STORE_OK);
  cr_assert_eq(store_webcache_search_get(st, "k1", 7000, &got, &warnings, provider), STORE_OK);
  cr_expect(json_equal(got, fresh));
  cr_expect_null(warnings);
  cr_expect_str_eq(provider, "brave");
  json_decref(got);
  json_decref(fresh);
  json_decref(results);
}

BOTH_BACKENDS(backends, web_page_cache_and_purge) {
  json_t *page = json_pack("{s:s, s:s, s:i}", "final_url", "https://example.org/", "text", "본문 text", "status", 200);
  cr_assert_eq(store_webcache_page_put(st, "https://example.org/", page, 0, 100), STORE_OK);
  cr_assert_eq(store_webcache_page_put(st, "https://example.org/later", page, 0, 300), STORE_OK);
  json_t *r = json_pack("[]");
  cr_assert_eq(store_webcache_search_put(st, "s", NULL, "q", "searxng", r, NULL, 0, 100), STORE_OK);
  json_t *got = NULL;
  cr_assert_eq(store_webcache_page_get(st, "https://example.org/", 50, &got), STORE_OK);
  cr_expect(json_equal(got, page));
  json_decref(got);
  cr_expect_eq(store_webcache_purge(st, 200), 2, "one page and one search expired by 200");
  cr_expect_eq(store_webcache_page_get(st, "https://example.org/", 50, &got), STORE_NOT_FOUND, "purged");
  cr_expect_eq(store_webcache_page_get(st, "https://example.org/later", 250, &got), STORE_OK);
  json_decref(got);
  cr_expect_eq(store_webcache_purge(st, 200), 0);
  json_decref(page);
  json_decref(r);
}

/* ---- embedcache (src/store/embedcache.c, converted to db.h) ---- */

BOTH_BACKENDS(backends, embedding_cache_keeps_vectors_by_model_and_hash) {
  unsigned char hashes[2][32];
  memset(hashes, 0, sizeof hashes);
  hashes[0][0] = 1;
  hashes[1][0] = 2;
  hashes[1][31] = 0xff;
  float vecs[6] = {0.25f, -0.5f, 1e-7f, 0.0f, 3.5f, -0.0f};
  cr_assert_eq(store_embed_cache_put(st, "model-a", (const unsigned char(*)[32])hashes, vecs, 2, 3), STORE_OK);
  float *v = NULL;
  int dim = 0;
  cr_assert_eq(store_embed_cache_get(st, "model-a", hashes[1], &v, &dim), STORE_OK);
  cr_expect_eq(dim, 3);
  cr_expect_eq(memcmp(v, vecs + 3, sizeof(float) * 3), 0, "the bytes come back as stored");
  free(v);
  cr_expect_eq(store_embed_cache_get(st, "model-b", hashes[1], &v, &dim), STORE_NOT_FOUND, "per model");
  cr_expect_null(v);
  /* storing the same hash again replaces the vector */
  float again[3] = {9, 8, 7};
  cr_assert_eq(store_embed_cache_put(st, "model-a", (const unsigned char(*)[32])hashes, again, 1, 3), STORE_OK);
  cr_assert_eq(store_embed_cache_get(st, "model-a", hashes[0], &v, &dim), STORE_OK);
  cr_expect_eq(v[0], 9.0f);
  free(v);
}

/* ---- events (src/store/events.c, converted to db.h) ---- */

typedef struct {
  store_t *st;
  int failures;
} appender_t;

static void *append_many(void *arg) {
  appender_t *a = arg;
  for (int i = 0; i < 40; i++) {
    json_t *d = json_pack("{s:i}", "i", i);
    int64_t seq = 0;
    if (store_event_append(a->st, "mission:shared", "note", d, &seq, NULL) != STORE_OK || seq < 1) a->failures++;
    json_decref(d);
  }
  return NULL;
}

/* Four writers on one channel (on PostgreSQL: four pooled connections, as
 * four processes would be): every event gets its own number, 1..160 with
 * no gap and no repeat, and a reader resumes after any of them. */
BOTH_BACKENDS(backends, event_numbers_stay_gap_free_with_concurrent_writers) {
  appender_t a[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    a[i] = (appender_t){st, 0};
    cr_assert_eq(pthread_create(&th[i], NULL, append_many, &a[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    cr_expect_eq(a[i].failures, 0, "writer %d had failed appends", i);
  }
  cr_expect_eq(store_event_last_seq(st, "mission:shared"), 160);
  cr_expect_eq(store_event_last_seq(st, "mission:other"), 0, "channels are numbered apart");
  json_t *all = store_event_list(st, "mission:shared", 0, 1000);
  cr_assert_not_null(all);
  cr_assert_eq(json_array_size(all), 160);
  for (size_t i = 0; i < 160; i++) {
    json_t *e = json_array_get(all, i);
    cr_expect_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1);
    cr_expect_str_eq(json_string_value(json_object_get(e, "event")), "note");
    cr_expect_not_null(json_object_get(json_object_get(e, "data"), "i"));
  }
  json_decref(all);
  json_t *tail = store_event_list(st, "mission:shared", 155, 10);
  cr_assert_eq(json_array_size(tail), 5, "catch-up after seq 155");
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(tail, 0), "seq")), 156);
  json_decref(tail);
}

/* ---- events between processes (PostgreSQL LISTEN/NOTIFY, store/follow.c) ---- */

typedef struct {
  pthread_mutex_t lock;
  char channels[64][64];
  int64_t seqs[64];
  int n, resyncs;
} heard_t;

static void hear(void *ud, const char *channel, int64_t seq) {
  heard_t *h = ud;
  pthread_mutex_lock(&h->lock);
  if (!channel) {
    h->resyncs++;
  } else if (h->n < 64) {
    snprintf(h->channels[h->n], sizeof h->channels[0], "%s", channel);
    h->seqs[h->n++] = seq;
  }
  pthread_mutex_unlock(&h->lock);
}

static int heard_count(heard_t *h, int want) {
  for (int i = 0; i < 100; i++) { /* up to 5 s */
    pthread_mutex_lock(&h->lock);
    int n = h->n;
    pthread_mutex_unlock(&h->lock);
    if (n >= want) return n;
    usleep(50 * 1000);
  }
  return h->n;
}

/* Two stores on one database stand for two processes: what B appends, A
 * hears (channel and number, in order, after the commit); what A appends
 * itself, A does not hear back; a rolled-back append is never heard. */
Test(backends, other_processes_hear_each_event_once_in_order_pg) {
  char conninfo[512], err[512];
  pg_test_new_db(conninfo, sizeof conninfo);
  store_t *a = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(a, "%s", err);
  store_t *b = store_open_postgres(conninfo, err, sizeof err);
  cr_assert_not_null(b, "%s", err);
  cr_expect_str_neq(store_identity(a), store_identity(b));
  heard_t h = {.lock = PTHREAD_MUTEX_INITIALIZER};
  store_follower_t *f = store_events_follow(a, hear, &h);
  cr_assert_not_null(f, "the follower connects and LISTENs");

  cr_assert_eq(store_event_append(a, "mission:m1", "phase", NULL, NULL, NULL), STORE_OK);
  for (int i = 0; i < 5; i++)
    cr_assert_eq(store_event_append(b, "mission:m1", "note", NULL, NULL, NULL), STORE_OK);
  cr_assert_eq(store_event_append(b, "chat:c1", "token", NULL, NULL, NULL), STORE_OK);
  /* a change that rolls back takes its event and its notification with it */
  db_conn_t *c = db_acquire(b);
  cr_assert_eq(db_begin(c), 0);
  cr_assert_eq(db_event_append(c, "mission:m1", "lost", NULL, NULL, NULL), STORE_OK);
  db_rollback(c);
  db_release(b, c);

  cr_assert_eq(heard_count(&h, 6), 6);
  usleep(300 * 1000); /* nothing more arrives */
  cr_expect_eq(h.n, 6, "A's own event and the rolled-back one are not heard");
  for (int i = 0; i < 5; i++) {
    cr_expect_str_eq(h.channels[i], "mission:m1");
    cr_expect_eq(h.seqs[i], i + 2, "B's notes are numbers 2..6 after A's phase, heard in order");
  }
  cr_expect_str_eq(h.channels[5], "chat:c1");
  cr_expect_eq(h.seqs[5], 1);
  cr_expect_eq(store_event_last_seq(a, "mission:m1"), 6);

  /* the follower's connection is cut by the server: it reconnects and says
   * that readers must catch up, then hears again */
  char *killed = pg_test_scalar(conninfo,
                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE "
                                "'LISTEN%' AND pid <> pg_backend_pid()");
  cr_expect_str_eq(killed, "1");
  free(killed);
  for (int i = 0; i < 100; i++) {
    pthread_mutex_lock(&h.lock);
    int r = h.resyncs;
    pthread_mutex_unlock(&h.lock);
    if (r) break;
    usleep(50 * 1000);
  }
  cr_expect_eq(h.resyncs, 1, "a lost connection is reported as a catch-up");
  cr_assert_eq(store_event_append(b, "mission:m1", "note", NULL, NULL, NULL), STORE_OK);
  cr_expect_eq(heard_count(&h, 7), 7);
  cr_expect_eq(h.seqs[6], 7);

  store_events_unfollow(f);
  store_close(b);
  store_close(a);
}

Test(backends, sqlite_has_no_other_processes_to_follow) {
  store_t *st = backend_open_sqlite();
  heard_t h = {.lock = PTHREAD_MUTEX_INITIALIZER};
  cr_expect_null(store_events_follow(st, hear, &h));
  store_close(st);
}

/* ---- backup and restore of a PostgreSQL store (store/pgdump.c) ---- */

Test(backends, a_postgres_store_dumps_and_restores_through_the_client_programs_pg) {
  char src[512], dst[512], err[512];
  pg_test_new_db(src, sizeof src);
  pg_test_new_db(dst, sizeof dst);
  store_t *st = store_open_postgres(src, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  for (int i = 0; i < 3; i++) cr_assert_eq(store_event_append(st, "mission:kept", "note", NULL, NULL, NULL), STORE_OK);
  char dir[] = "/tmp/maestro-pgdump-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char file[600];
  snprintf(file, sizeof file, "%s/maestro.pgdump", dir);
  cr_assert_eq(store_pg_dump(st, file, err, sizeof err), 0, "%s", err);
  int schema = -1;
  cr_expect_eq(store_pg_other_sessions(dst, &schema, err, sizeof err), 0, "nobody uses the target yet");
  cr_expect_eq(schema, 0, "and it is empty");
  cr_expect_gt(store_pg_other_sessions(src, &schema, err, sizeof err), 0, "the open store is seen as a running maestro");
  cr_expect_eq(schema, 1);
  store_close(st);

  /* into another (empty) database: the same schema version and rows */
  cr_assert_eq(store_pg_restore(dst, file, err, sizeof err), 0, "%s", err);
  store_t *back = store_open_postgres(dst, err, sizeof err);
  cr_assert_not_null(back, "%s", err);
  cr_expect_eq(store_schema_version(back), store_schema_latest());
  cr_expect_eq(store_event_last_seq(back, "mission:kept"), 3);
  cr_assert_eq(store_event_append(back, "mission:kept", "note", NULL, NULL, NULL), STORE_OK);
  store_close(back);
  /* again over a database that has rows: replaced, not merged */
  cr_assert_eq(store_pg_restore(dst, file, err, sizeof err), 0, "%s", err);
  back = store_open_postgres(dst, err, sizeof err);
  cr_assert_not_null(back, "%s", err);
  cr_expect_eq(store_event_last_seq(back, "mission:kept"), 3, "the restore replaced the newer rows");
  store_close(back);

  /* a file that is not a dump: a clear error, the database untouched */
  snprintf(file, sizeof file, "%s/garbage", dir);
  FILE *f = fopen(file, "w");
  fputs("not a dump", f);
  fclose(f);
  cr_expect_eq(store_pg_restore(dst, file, err, sizeof err), -1);
  cr_expect_not_null(strstr(err, "pg_restore failed"), "%s", err);
  back = store_open_postgres(dst, err, sizeof err);
  cr_assert_not_null(back, "%s", err);
  cr_expect_eq(store_event_last_seq(back, "mission:kept"), 3);
  store_close(back);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_expect_eq(system(cmd), 0);
}
