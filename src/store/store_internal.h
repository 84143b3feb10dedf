/*
 * store_internal.h - for files in src/store/ only: what store modules share
 * beyond the statement layer (db.h).
 */
#ifndef MAESTRO_STORE_INTERNAL_H
#define MAESTRO_STORE_INTERNAL_H

#include <jansson.h>

#include "store/db.h"
#include "store/store.h"

/* PostgreSQL: the conninfo the pool connected with (NULL on SQLite), for a
 * connection outside the pool (the event follower). */
const char *store_pg_conninfo(const store_t *st);

/* Appends an event inside the caller's write transaction (store/events.c),
 * so a state change and its event commit together (either backend). */
int db_event_append(db_conn_t *c, const char *channel, const char *event, json_t *data, int64_t *seq, int64_t *ts);

/* After a change to a document's chunks' text (a new title) inside the
 * caller's transaction: PostgreSQL's full-text postings and lengths of
 * those chunks are written again (store/chunks.c); SQLite's FTS5 follows by
 * trigger, nothing to do. */
int db_chunks_reindex(db_conn_t *c, const char *document_id);

#endif
