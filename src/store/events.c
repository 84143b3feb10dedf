/* events.c - the append-only event log. */
#include "store/events.h"

#include <stdlib.h>

#include "base/util.h"
#include "store/store_internal.h"

/* Inside a caller's write transaction: appends and returns seq/ts. */
int sdb_event_append(sqlite3 *db, const char *channel, const char *event, json_t *data, int64_t *seq,
                     int64_t *ts) {
  char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : util_strdup("{}");
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO events (channel, seq, event, data, created_at) "
                                "VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE channel = ?1), ?2, ?3, ?4) "
                                "RETURNING seq");
  int rc = STORE_ERROR;
  int64_t now = util_now_ms();
  if (s && text) {
    sdb_bind_text(s, 1, channel);
    sdb_bind_text(s, 2, event);
    sdb_bind_text(s, 3, text);
    sqlite3_bind_int64(s, 4, now);
    if (sqlite3_step(s) == SQLITE_ROW) {
      if (seq) *seq = sqlite3_column_int64(s, 0);
      if (ts) *ts = now;
      rc = STORE_OK;
    } else {
      sdb_log_error(db, "append event");
    }
    sqlite3_reset(s);
  }
  free(text);
  return rc;
}

int store_event_append(store_t *st, const char *channel, const char *event, json_t *data, int64_t *seq,
                       int64_t *ts) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = sdb_event_append(db, channel, event, data, seq, ts);
    if (rc == STORE_OK && sdb_commit(db) != 0) rc = STORE_ERROR;
  }
  sdb_release(st, db);
  return rc;
}

json_t *store_event_list(store_t *st, const char *channel, int64_t after, int limit) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT seq, event, data, created_at FROM events WHERE channel = ? AND seq > ? "
                                "ORDER BY seq LIMIT ?");
  json_t *arr = NULL;
  if (s) {
    arr = json_array();
    sdb_bind_text(s, 1, channel);
    sqlite3_bind_int64(s, 2, after);
    sqlite3_bind_int(s, 3, limit);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
      char ts[40];
      util_iso_time(sqlite3_column_int64(s, 3), ts, sizeof ts);
      json_t *data = sdb_col_json(s, 2);
      json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:o, s:s}", "channel", channel, "seq",
                                           (json_int_t)sqlite3_column_int64(s, 0), "event", sqlite3_column_text(s, 1),
                                           "data", data ? data : json_object(), "ts", ts));
    }
    if (r != SQLITE_DONE) {
      sdb_log_error(db, "list events");
      json_decref(arr);
      arr = NULL;
    }
  }
  sdb_release(st, db);
  return arr;
}

int64_t store_event_last_seq(store_t *st, const char *channel) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE channel = ?");
  int64_t v = -1;
  if (s) {
    sdb_bind_text(s, 1, channel);
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  }
  sdb_release(st, db);
  return v;
}
