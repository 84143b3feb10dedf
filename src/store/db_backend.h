/*
 * db_backend.h - what db.c, db_sqlite.c, db_pg.c and store.c share: the
 * connection and statement structures and each backend's operations.
 * Nothing else includes it.
 *
 * A connection keeps up to DB_STMT_CACHE statements keyed by SQL text (the
 * pointer first: SQL is nearly always a literal); the oldest is evicted when
 * the cache is full.
 */
#ifndef MAESTRO_STORE_DB_BACKEND_H
#define MAESTRO_STORE_DB_BACKEND_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/db.h"

#define DB_STMT_CACHE 96

struct db_stmt {
  db_conn_t *conn;
  char *sql;       /* its text (owned) */
  int64_t changes;
  /* SQLite */
  sqlite3_stmt *sq;
  /* PostgreSQL: a server-side prepared statement and the bound values (text,
   * or binary for blobs), the buffered result and the current row. */
  char name[24];
  int nparams;
  char **vals;
  int *lens;
  int *fmts;
  PGresult *res;
  int row, nrows;
  void **scratch; /* decoded bytea of the current row, freed on step/reset */
  int nscratch;
};

struct db_conn {
  db_backend_t backend;
  int busy;
  sqlite3 *sq;
  PGconn *pg;
  db_stmt_t *stmts[DB_STMT_CACHE];
  int nstmts;
  unsigned next_name;
  const char *origin; /* the store's identity (store_identity), for notifications */
  char err[512];
};

/* SQLite (db_sqlite.c). */
/* Opens and sets up the database at path (the caller wraps it in a
 * db_conn_t and closes it with sqlite3_close_v2); 0, or -1 with err filled. */
int dbsq_open(const char *path, sqlite3 **out, char *err, size_t errlen);
int dbsq_compile(db_stmt_t *s);
void dbsq_reset(db_stmt_t *s);
void dbsq_finalize(db_stmt_t *s);
int dbsq_step(db_stmt_t *s);

/* PostgreSQL (db_pg.c). */
/* Connects and sets up the session (the caller wraps it in a db_conn_t and
 * closes it with PQfinish); 0, or -1 with err filled. */
int dbpg_open(const char *conninfo, PGconn **out, char *err, size_t errlen);
int dbpg_compile(db_stmt_t *s);
void dbpg_reset(db_stmt_t *s);
void dbpg_finalize(db_stmt_t *s);
int dbpg_step(db_stmt_t *s);
int dbpg_exec(db_conn_t *c, const char *sql);
void dbpg_bind(db_stmt_t *s, int i, const char *v, size_t len, int binary);
const void *dbpg_col_blob(db_stmt_t *s, int i, size_t *n);
/* After a release: back to a clean idle connection (rollback; reconnect
 * when the server went away, which drops the statement cache). */
void dbpg_clean(db_conn_t *c);
/* "?" placeholders to "$1".. outside quotes; malloc'd; *nparams counted. */
char *dbpg_translate(const char *sql, int *nparams);

/* store.c */
void db_stmts_free(db_conn_t *c);

#endif
