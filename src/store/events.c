/* events.c - the append-only event log. */
#include "store/events.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db.h"
#include "store/store_internal.h"

/* Inside a caller's write transaction: appends and returns seq/ts.
 *
 * The next number of a channel is MAX(seq) + 1 read in the same statement.
 * On SQLite the write transaction (BEGIN IMMEDIATE) already serialises
 * writers; on PostgreSQL two transactions could read the same MAX, so the
 * channel's advisory lock is taken first (held to the end of the caller's
 * transaction): numbers stay gap-free and unique across processes, and
 * the NOTIFY that tells the other processes (store_events_follow) is sent in
 * the same transaction: delivered at commit, so a listener never hears of
 * an event it cannot read yet, and never of one that was rolled back. */
int db_event_append(db_conn_t *c, const char *channel, const char *event, json_t *data, int64_t *seq, int64_t *ts) {
  char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : util_strdup("{}");
  if (!text) return STORE_ERROR;
  int64_t myseq = 0;
  if (!seq) seq = &myseq;
  int rc = STORE_OK;
  if (db_backend(c) == DB_PG)
    rc = db_conn_query(c, "lock event channel", "SELECT pg_advisory_xact_lock(hashtext(?))",
                       DB_ARGS(DB_TEXT(channel)), NULL, NULL) == 1
             ? STORE_OK
             : STORE_ERROR;
  int64_t now = util_now_ms();
  if (rc == STORE_OK) {
    db_stmt_t *s = db_prepare(c,
                              "INSERT INTO events (channel, seq, event, data, created_at) "
                              "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE channel = ?), ?, ?, ?) "
                              "RETURNING seq");
    rc = STORE_ERROR;
    if (s) {
      db_bind_params(s, DB_ARGS(DB_TEXT(channel), DB_TEXT(channel), DB_TEXT(event), DB_TEXT(text), DB_INT(now)));
      if (db_step(s) == DB_ROW) {
        if (seq) *seq = db_col_int64(s, 0);
        if (ts) *ts = now;
        rc = STORE_OK;
        db_reset(s);
      } else {
        log_error("store", "append event: %s", db_errmsg(c));
      }
    }
  }
  if (rc == STORE_OK && db_backend(c) == DB_PG) {
    /* "IDENTITY SEQ CHANNEL": short, far below NOTIFY's 8000 bytes */
    char payload[400];
    snprintf(payload, sizeof payload, "%s %lld %s", db_origin(c), (long long)*seq, channel);
    if (db_conn_query(c, "notify event", "SELECT pg_notify('" STORE_EVENTS_NOTIFY "', ?)", DB_ARGS(DB_TEXT(payload)),
                      NULL, NULL) != 1)
      rc = STORE_ERROR;
  }
  free(text);
  return rc;
}

typedef struct {
  const char *channel, *event;
  json_t *data;
  int64_t *seq, *ts;
} append_t;

static int append_tx(db_conn_t *c, void *ctx) {
  append_t *a = ctx;
  return db_event_append(c, a->channel, a->event, a->data, a->seq, a->ts);
}

int store_event_append(store_t *st, const char *channel, const char *event, json_t *data, int64_t *seq,
                       int64_t *ts) {
  append_t a = {channel, event, data, seq, ts};
  return db_tx(st, "append event", append_tx, &a);
}

typedef struct {
  const char *channel;
  json_t *arr;
} list_t;

static int list_row(db_stmt_t *s, void *ctx) {
  list_t *l = ctx;
  char ts[40];
  util_iso_time(db_col_int64(s, 3), ts, sizeof ts);
  json_t *data = db_col_json(s, 2);
  json_array_append_new(l->arr, json_pack("{s:s, s:I, s:s, s:o, s:s}", "channel", l->channel, "seq",
                                          (json_int_t)db_col_int64(s, 0), "event", db_col_text_ref(s, 1), "data",
                                          data ? data : json_object(), "ts", ts));
  return 0;
}

json_t *store_event_list(store_t *st, const char *channel, int64_t after, int limit) {
  list_t l = {channel, json_array()};
  if (db_query(st, "list events",
               "SELECT seq, event, data, created_at FROM events WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?",
               DB_ARGS(DB_TEXT(channel), DB_INT(after), DB_INT(limit)), list_row, &l) < 0) {
    json_decref(l.arr);
    return NULL;
  }
  return l.arr;
}

int64_t store_event_last_seq(store_t *st, const char *channel) {
  int64_t v = -1;
  if (db_query(st, "last event seq", "SELECT COALESCE(MAX(seq), 0) FROM events WHERE channel = ?",
               DB_ARGS(DB_TEXT(channel)), db_row_int64, &v) < 0)
    return -1;
  return v;
}
