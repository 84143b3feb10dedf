/*
 * db_sqlite.c - the SQLite backend of the statement layer (db.h).
 *
 * Each connection: WAL, synchronous=NORMAL, foreign keys on, 5 s busy
 * timeout, and the project's FTS5 tokenizer registered (chunks_fts needs it
 * on every connection). Statements are compiled with
 * SQLITE_PREPARE_PERSISTENT since the connection keeps them.
 */
#include <stdio.h>

#include "store/db_backend.h"
#include "store/fts.h"

int dbsq_open(const char *path, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  const char *pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000;";
  char *msg = NULL;
  if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(err, errlen, "cannot configure database %s: %s", path, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    return -1;
  }
  if (rag_fts_register(db) != 0) {
    snprintf(err, errlen, "cannot register the full-text tokenizer on %s", path);
    sqlite3_close(db);
    return -1;
  }
  *out = db;
  return 0;
}

int dbsq_compile(db_stmt_t *s) {
  return sqlite3_prepare_v3(s->conn->sq, s->sql, -1, SQLITE_PREPARE_PERSISTENT, &s->sq, NULL) == SQLITE_OK ? 0 : -1;
}

void dbsq_reset(db_stmt_t *s) {
  sqlite3_reset(s->sq);
  sqlite3_clear_bindings(s->sq);
}

void dbsq_finalize(db_stmt_t *s) {
  sqlite3_finalize(s->sq);
}

int dbsq_step(db_stmt_t *s) {
  int r = sqlite3_step(s->sq);
  if (r == SQLITE_ROW) return DB_ROW;
  if (r == SQLITE_DONE) {
    s->changes = sqlite3_changes64(s->conn->sq);
    return DB_DONE;
  }
  if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY) return DB_CONFLICT;
  return DB_ERROR;
}

int db_fts_df_get(db_conn_t *c, const char *term, double *df) {
  return c->backend == DB_SQLITE ? rag_fts_df_get(c->sq, term, df) : 0;
}

void db_fts_df_put(db_conn_t *c, const char *term, double df) {
  if (c->backend == DB_SQLITE) rag_fts_df_put(c->sq, term, df);
}

int db_fts_figs_get(db_conn_t *c, const char *key, double *v, int n) {
  return c->backend == DB_SQLITE ? rag_fts_figs_get(c->sq, key, v, n) : 0;
}

void db_fts_figs_put(db_conn_t *c, const char *key, const double *v, int n) {
  if (c->backend == DB_SQLITE) rag_fts_figs_put(c->sq, key, v, n);
}
