/*
 * store_internal.h - for files in src/store/ only.
 *
 * Borrow a connection with sdb_acquire() and give it back with sdb_release()
 * on every path. Prepared statements are cached per connection by SQL text
 * (sdb_prepare), so hot queries are compiled once; do not finalize them,
 * just let sdb_release() reset them.
 */
#ifndef MAESTRO_STORE_INTERNAL_H
#define MAESTRO_STORE_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "store/db.h"
#include "store/store.h"

sqlite3 *sdb_acquire(store_t *st);
void sdb_release(store_t *st, sqlite3 *db);
/* Returns a cached, reset statement for sql, or NULL (logged). Owned by the connection. */
sqlite3_stmt *sdb_prepare(sqlite3 *db, const char *sql);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; return 0 on success. */
int sdb_begin(sqlite3 *db);
int sdb_commit(sqlite3 *db);
void sdb_rollback(sqlite3 *db);
/* Runs sql without results; 0 on success. */
int sdb_exec(sqlite3 *db, const char *sql);

/* Binding helpers: NULL strings bind as SQL NULL. */
void sdb_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Column text as a malloc'd copy (NULL for SQL NULL). */
char *sdb_col_text(sqlite3_stmt *s, int i);
/* Column JSON text parsed (NULL for SQL NULL / invalid). New reference. */
json_t *sdb_col_json(sqlite3_stmt *s, int i);

/* PostgreSQL: the conninfo the pool connected with (NULL on SQLite), for a
 * connection outside the pool (the event follower). */
const char *store_pg_conninfo(const store_t *st);

/* The pooled connection behind a SQLite handle from sdb_acquire(), for a
 * module half-way to db.h that calls a converted module's db_* function. */
db_conn_t *sdb_conn(sqlite3 *db);

/* Appends an event inside the caller's write transaction (store/events.c),
 * so a state change and its event commit together. db_event_append is the
 * same on a db.h connection (either backend). */
int db_event_append(db_conn_t *c, const char *channel, const char *event, json_t *data, int64_t *seq, int64_t *ts);
int sdb_event_append(sqlite3 *db, const char *channel, const char *event, json_t *data, int64_t *seq,
                     int64_t *ts);

/* After a change to a document's chunks' text (a new title) inside the
 * caller's transaction: PostgreSQL's full-text postings and lengths of
 * those chunks are written again (store/chunks.c); SQLite's FTS5 follows by
 * trigger, nothing to do. */
int db_chunks_reindex(db_conn_t *c, const char *document_id);

/* Logs the connection's last error with context. */
void sdb_log_error(sqlite3 *db, const char *what);

#endif
