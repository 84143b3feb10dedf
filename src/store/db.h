/*
 * db.h - the statement layer under every store module (src/store/ only).
 *
 * One API over two backends: SQLite (db_sqlite.c, the embedded default) and
 * PostgreSQL over libpq (db_pg.c). A store module writes its SQL once with
 * `?` placeholders (translated to $1, $2... for PostgreSQL) and picks a
 * dialect-specific text with db_sql() only where the two disagree.
 *
 * Connections come from the store's pool: db_acquire() borrows one (waiting
 * when all are out), db_release() gives it back on every path; release
 * resets the connection's statements and rolls back a transaction a failed
 * path left open. A connection is used by one thread at a time.
 *
 * Statements: db_prepare() returns a statement cached per connection by SQL
 * text (compiled once: sqlite3_prepare_v3 / PQprepare), reset and with its
 * bindings cleared. It is owned by the connection: never freed by the
 * caller. Parameters are 1-based, as in SQLite. db_step() runs it (on
 * PostgreSQL the first step executes and buffers the whole result) and
 * returns DB_ROW for each row, then DB_DONE; DB_CONFLICT for a unique or
 * primary-key violation, DB_ERROR for anything else (db_errmsg()).
 *
 * Values: integers are int64, reals double, text UTF-8, blobs bytes
 * (PostgreSQL bytea, bound in binary). Column getters read the current row;
 * booleans from PostgreSQL ('t'/'f') read as 1/0 through db_col_int64.
 *
 * For the common shapes, the helpers below run a whole acquire → prepare →
 * bind → step → release (db_run, db_query) or a transaction around a
 * callback (db_tx), with parameters given inline:
 *
 *   int64_t n;
 *   db_run(st, "UPDATE t SET a = ? WHERE id = ?", DB_ARGS(DB_TEXT(a), DB_TEXT(id)), &n);
 */
#ifndef MAESTRO_STORE_DB_H
#define MAESTRO_STORE_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef enum { DB_SQLITE = 1, DB_PG = 2 } db_backend_t;
typedef struct db_conn db_conn_t;
typedef struct db_stmt db_stmt_t;

/* db_step results. */
enum { DB_DONE = 0, DB_ROW = 1, DB_ERROR = -1, DB_CONFLICT = -3 };

/* ---- connections and transactions ---- */

db_conn_t *db_acquire(store_t *st);
void db_release(store_t *st, db_conn_t *c); /* accepts NULL */
db_backend_t db_backend(const db_conn_t *c);
db_backend_t store_backend(const store_t *st);
/* The identity of the connection's store (store_identity in store.h). */
const char *db_origin(const db_conn_t *c);
/* Write transaction: BEGIN IMMEDIATE on SQLite, BEGIN on PostgreSQL. 0 on success. */
int db_begin(db_conn_t *c);
int db_commit(db_conn_t *c);
void db_rollback(db_conn_t *c); /* no-op outside a transaction */
/* Runs parameterless SQL (several statements allowed, no results); 0 on success. */
int db_exec(db_conn_t *c, const char *sql);
/* The connection's last error, owned by the connection. */
const char *db_errmsg(db_conn_t *c);
/* sqlite_sql or pg_sql, by the connection's backend. */
const char *db_sql(const db_conn_t *c, const char *sqlite_sql, const char *pg_sql);

/* ---- statements ---- */

db_stmt_t *db_prepare(db_conn_t *c, const char *sql);  /* NULL (logged) on error */
void db_bind_text(db_stmt_t *s, int i, const char *v); /* NULL binds SQL NULL */
void db_bind_int64(db_stmt_t *s, int i, int64_t v);
void db_bind_double(db_stmt_t *s, int i, double v);
void db_bind_blob(db_stmt_t *s, int i, const void *p, size_t n); /* NULL p binds SQL NULL */
void db_bind_null(db_stmt_t *s, int i);
int db_step(db_stmt_t *s);
/* Ends a statement before its DB_DONE (after reading the one row wanted):
 * SQLite refuses to commit while a statement is in progress. */
void db_reset(db_stmt_t *s);
/* Rows changed by the statement's last DB_DONE (INSERT/UPDATE/DELETE). */
int64_t db_changes(db_stmt_t *s);

int db_col_is_null(db_stmt_t *s, int i);
/* Column text, owned by the statement until the next step (NULL for SQL NULL). */
const char *db_col_text_ref(db_stmt_t *s, int i);
/* Column text as a malloc'd copy the caller frees (NULL for SQL NULL). */
char *db_col_text(db_stmt_t *s, int i);
int64_t db_col_int64(db_stmt_t *s, int i);
double db_col_double(db_stmt_t *s, int i);
/* Column bytes, owned by the statement until the next step; *n its length. */
const void *db_col_blob(db_stmt_t *s, int i, size_t *n);
/* Column JSON text parsed; new reference (NULL for SQL NULL / invalid). */
json_t *db_col_json(db_stmt_t *s, int i);
/* Column JSON text parsed as an object, or {} when it is not one; new reference. */
json_t *db_col_object(db_stmt_t *s, int i);

/* ---- inline parameters ---- */

typedef enum { DB_P_NULL, DB_P_TEXT, DB_P_INT, DB_P_REAL, DB_P_BLOB } db_param_kind_t;
typedef struct {
  db_param_kind_t kind;
  const char *text;
  int64_t i;
  double d;
  const void *blob;
  size_t len;
} db_param_t;

#define DB_TEXT(v) ((db_param_t){.kind = DB_P_TEXT, .text = (v)})
#define DB_INT(v) ((db_param_t){.kind = DB_P_INT, .i = (int64_t)(v)})
#define DB_REAL(v) ((db_param_t){.kind = DB_P_REAL, .d = (double)(v)})
#define DB_BLOB(p, n) ((db_param_t){.kind = DB_P_BLOB, .blob = (p), .len = (n)})
#define DB_NULL ((db_param_t){.kind = DB_P_NULL})
/* Expands to the (params, count) pair the helpers take. */
#define DB_ARGS(...) (const db_param_t[]){__VA_ARGS__}, (int)(sizeof((db_param_t[]){__VA_ARGS__}) / sizeof(db_param_t))
#define DB_NOARGS NULL, 0
/* No limit, for `LIMIT ?` (SQLite's -1 is an error on PostgreSQL). */
#define DB_NO_LIMIT INT64_MAX

/* Binds params 1..n in order. */
void db_bind_params(db_stmt_t *s, const db_param_t *p, int n);

/* Called for each result row; return 0 to go on, anything else to stop. */
typedef int (*db_row_fn)(db_stmt_t *row, void *ctx);

/* Ready-made row callbacks for a single value: column 0 of the first row
 * into *(int64_t *)ctx, or as a malloc'd copy into *(char **)ctx (the
 * caller frees it; NULL for SQL NULL); both stop after that row. */
int db_row_int64(db_stmt_t *row, void *ctx);
int db_row_text(db_stmt_t *row, void *ctx);

/* On a borrowed connection: runs one statement to completion.
 * STORE_OK (changes in *changes when not NULL), STORE_CONFLICT, STORE_ERROR (logged with `what`). */
int db_conn_run(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n, int64_t *changes);
/* Runs a query and calls fn per row (fn may be NULL). Returns the number of
 * rows seen (>= 0) or STORE_ERROR (logged). */
int db_conn_query(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n, db_row_fn fn, void *ctx);

/* The same on a connection borrowed for the call; a single statement is its
 * own transaction on both backends. */
int db_run(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, int64_t *changes);
int db_query(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_fn fn, void *ctx);

/* Borrows a connection, begins a write transaction, calls fn, commits when
 * fn returns >= 0 and rolls back otherwise; returns fn's result, or
 * STORE_ERROR when begin or commit fails. */
int db_tx(store_t *st, const char *what, int (*fn)(db_conn_t *c, void *ctx), void *ctx);

/* The current row's shape, for a module that maps rows generically (a
 * column's name and the kind of its value: DB_P_NULL, DB_P_INT (PostgreSQL
 * booleans too), DB_P_REAL (also numeric), DB_P_TEXT or DB_P_BLOB). */
int db_col_count(db_stmt_t *s);
const char *db_col_name(db_stmt_t *s, int i);
db_param_kind_t db_col_kind(db_stmt_t *s, int i);
/* The full-text document-frequency cache of a SQLite connection (store/fts.h
 * rag_fts_df_get/put: emptied when the database changes): 1 and *df on a
 * hit. On PostgreSQL there is none (get answers 0, put does nothing). */
int db_fts_df_get(db_conn_t *c, const char *term, double *df);
void db_fts_df_put(db_conn_t *c, const char *term, double df);
/* The same cache for n (<= 5) figures under the caller's key (rag_fts_figs_get/put). */
int db_fts_figs_get(db_conn_t *c, const char *key, double *v, int n);
void db_fts_figs_put(db_conn_t *c, const char *key, const double *v, int n);
/* ---- rows as JSON, statements that must find their row, short batches ----
 *
 * For the modules whose functions answer API JSON (chats, drafts, writing):
 * a row builder turns the current row into JSON, and these run the common
 * shapes around it. */

/* Builds the JSON of the current row; new reference (NULL leaves the row out). */
typedef json_t *(*db_row_json_fn)(db_stmt_t *row);

/* Column helpers for row builders: text as a JSON string (SQL NULL as JSON
 * null); epoch milliseconds as an ISO 8601 string ("2026-01-02T03:04:05.678Z",
 * util_iso_time). New references. */
json_t *db_col_json_text(db_stmt_t *s, int i);
json_t *db_col_json_time(db_stmt_t *s, int i);
/* Copies column i's text into buf of size bytes (cut to fit; "" for SQL NULL). */
void db_col_copy(db_stmt_t *s, int i, char *buf, size_t size);
/* A db_query / db_conn_query result as a status: STORE_OK when it saw a
 * row, STORE_NOT_FOUND when none, STORE_ERROR on an error. */
int db_found(int rows);

/* Runs a query and returns fn's JSON of every row as a new array, in row
 * order (owned by the caller); NULL on a store error (logged). */
json_t *db_conn_query_array(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n,
                            db_row_json_fn fn);
json_t *db_query_array(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_json_fn fn);
/* fn's JSON of the first row (owned by the caller); NULL when there is no
 * row or on a store error. */
json_t *db_query_first(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_json_fn fn);
/* One page of a listing as {key: [fn's JSON of each row], "total": N}
 * (owned by the caller): count_sql counts every row with the params p;
 * list_sql takes the same params followed by the LIMIT and OFFSET values
 * (n at most 8). NULL on a store error. */
json_t *db_query_page(store_t *st, const char *what, const char *key, const char *count_sql, const char *list_sql,
                      const db_param_t *p, int n, int64_t limit, int64_t offset, db_row_json_fn fn);

/* Runs an UPDATE or DELETE meant to change one of the caller's rows (its
 * WHERE holds the owner check): STORE_OK when it changed a row. When it
 * changed none: STORE_NOT_FOUND, or with why_sql (params wp/wn) given,
 * STORE_CONFLICT when why_sql finds the row (it is there, in a state the
 * statement refused: already claimed...) and STORE_NOT_FOUND when not. */
int db_run_one(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, const char *why_sql,
               const db_param_t *wp, int wn);

/*
 * One answer at a time for a conversation (a chat, a research draft): its
 * row's answering_since marks the answer in progress. db_claim marks it for
 * the owner unless a mark younger than stale_ms stands: STORE_OK, else
 * STORE_CONFLICT (claimed) or STORE_NOT_FOUND (not the user's).
 * db_release clears it: STORE_OK or STORE_ERROR. Use them through
 * DB_CLAIM / DB_RELEASE with the table's name as a string literal.
 */
int db_claim(store_t *st, const char *what, const char *claim_sql, const char *owned_sql, const char *user_id,
             const char *id, int64_t stale_ms);
int db_release_claim(store_t *st, const char *what, const char *release_sql, const char *id);
#define DB_CLAIM(st, what, table, user_id, id, stale_ms)            \
  db_claim(st, what,                                                \
           "UPDATE " table                                          \
           " SET answering_since = ? WHERE id = ? AND user_id = ? " \
           "AND (answering_since IS NULL OR answering_since < ?)",  \
           "SELECT 1 FROM " table " WHERE id = ? AND user_id = ?", user_id, id, stale_ms)
#define DB_RELEASE(st, what, table, id) \
  db_release_claim(st, what, "UPDATE " table " SET answering_since = NULL WHERE id = ?", id)
/* The SQL of a conversation's last messages, oldest first: cols of the
 * messages table msgs whose column fk names a row of parents; parameters
 * (conversation id, owner, how many). */
#define DB_RECENT_SQL(cols, msgs, parents, fk)                                                         \
  "SELECT " cols " FROM (SELECT m.* FROM " msgs " m JOIN " parents " p ON p.id = m." fk " WHERE m." fk \
  " = ? AND p.user_id = ? ORDER BY m.id DESC LIMIT ?) AS r ORDER BY id"

/* One statement of db_tx_batch. With `required`, a statement that changes
 * and returns no row ends the batch as STORE_NOT_FOUND (all rolled back):
 * the owner check of a parent row, say. With out, *out receives fn's JSON of
 * the statement's first row (an INSERT ... RETURNING). */
typedef struct {
  const char *sql;
  const db_param_t *p;
  int n;
  int required;
  db_row_json_fn fn;
  json_t **out;
} db_batch_t;

/* Runs the statements in order in one write transaction: STORE_OK when all
 * ran and committed; otherwise STORE_NOT_FOUND / STORE_CONFLICT /
 * STORE_ERROR with nothing kept and every *out set to NULL. */
int db_tx_batch(store_t *st, const char *what, const db_batch_t *b, int count);

#endif
