/* drafts.c - research chat drafts and their history; see drafts.h. */
#include "store/drafts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_internal.h"

#define DRAFT_COLS                                                                        \
  "d.id, d.title, d.proposal, d.mission_id, d.chat_id, d.answering_since, d.created_at, " \
  "d.updated_at, (SELECT COUNT(*) FROM research_draft_messages m WHERE m.draft_id = d.id)"
#define DMSG_COLS "id, role, content, proposal, meta, created_at"

static void set_time(json_t *o, const char *key, int64_t ms) {
  char ts[40];
  util_iso_time(ms, ts, sizeof ts);
  json_object_set_new(o, key, json_string(ts));
}

static json_t *text_or_null(sqlite3_stmt *s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(s, i));
}

static json_t *draft_from_row(sqlite3_stmt *s) {
  json_t *d = json_object();
  json_object_set_new(d, "id", json_string((const char *)sqlite3_column_text(s, 0)));
  json_object_set_new(d, "title", json_string((const char *)sqlite3_column_text(s, 1)));
  json_t *p = sdb_col_json(s, 2);
  json_object_set_new(d, "proposal", json_is_object(p) ? p : json_object());
  if (!json_is_object(p)) json_decref(p);
  json_object_set_new(d, "mission_id", text_or_null(s, 3));
  json_object_set_new(d, "chat_id", text_or_null(s, 4));
  json_object_set_new(d, "answering", json_boolean(sqlite3_column_type(s, 5) != SQLITE_NULL));
  set_time(d, "created_at", sqlite3_column_int64(s, 6));
  set_time(d, "updated_at", sqlite3_column_int64(s, 7));
  json_object_set_new(d, "message_count", json_integer(sqlite3_column_int64(s, 8)));
  return d;
}

static json_t *message_from_row(sqlite3_stmt *s) {
  json_t *m = json_object();
  json_object_set_new(m, "id", json_integer(sqlite3_column_int64(s, 0)));
  json_object_set_new(m, "role", json_string((const char *)sqlite3_column_text(s, 1)));
  json_object_set_new(m, "content", json_string((const char *)sqlite3_column_text(s, 2)));
  json_t *p = sdb_col_json(s, 3);
  json_object_set_new(m, "proposal", p ? p : json_null());
  json_t *meta = sdb_col_json(s, 4);
  json_object_set_new(m, "meta", json_is_object(meta) ? meta : json_object());
  if (!json_is_object(meta)) json_decref(meta);
  set_time(m, "created_at", sqlite3_column_int64(s, 5));
  return m;
}

/* Steps a statement that returns no row; 0 on success. */
static int run(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  if (sqlite3_step(s) == SQLITE_DONE) return 0;
  sdb_log_error(db, what);
  return -1;
}

static const char *title_of(json_t *proposal) {
  const char *t = json_string_value(json_object_get(proposal, "title"));
  return t && t[0] ? t : "New mission";
}

int store_draft_create(store_t *st, const char *user_id, json_t *proposal, char *id_out) {
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  char *p = json_dumps(proposal, JSON_COMPACT);
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO research_drafts (id, user_id, title, proposal, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)");
  if (s && p) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, title_of(proposal), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, p, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    if (run(db, s, "insert draft") == 0) {
      ret = STORE_OK;
      snprintf(id_out, 17, "%s", id);
    }
  }
  sdb_release(st, db);
  free(p);
  return ret;
}

json_t *store_draft_json(store_t *st, const char *user_id, const char *id, int with_messages) {
  sqlite3 *db = sdb_acquire(st);
  json_t *d = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " DRAFT_COLS " FROM research_drafts d WHERE d.id = ? AND d.user_id = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_ROW) goto out;
  d = draft_from_row(s);
  sqlite3_reset(s);
  if (with_messages) {
    s = sdb_prepare(db, "SELECT " DMSG_COLS " FROM research_draft_messages WHERE draft_id = ? ORDER BY id");
    if (!s) {
      json_decref(d);
      d = NULL;
      goto out;
    }
    json_t *arr = json_array();
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) json_array_append_new(arr, message_from_row(s));
    json_object_set_new(d, "messages", arr);
  }
out:
  sdb_release(st, db);
  return d;
}

json_t *store_draft_list_json(store_t *st, const char *user_id, int limit, int offset) {
  sqlite3 *db = sdb_acquire(st);
  json_t *res = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COUNT(*) FROM research_drafts WHERE user_id = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_ROW) {
    sdb_log_error(db, "count drafts");
    goto out;
  }
  json_int_t total = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  s = sdb_prepare(db, "SELECT " DRAFT_COLS
                      " FROM research_drafts d WHERE d.user_id = ? ORDER BY d.updated_at DESC, d.id LIMIT ? OFFSET ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 2, limit);
  sqlite3_bind_int(s, 3, offset);
  json_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, draft_from_row(s));
  if (rc != SQLITE_DONE) {
    sdb_log_error(db, "list drafts");
    json_decref(arr);
    goto out;
  }
  res = json_pack("{s:o, s:I}", "drafts", arr, "total", total);
out:
  sdb_release(st, db);
  return res;
}

int store_draft_add_message(store_t *st, const char *user_id, const char *draft_id, const char *role,
                            const char *content, json_t *proposal, json_t *meta, json_t **msg_out) {
  if (msg_out) *msg_out = NULL;
  char *p = proposal ? json_dumps(proposal, JSON_COMPACT) : NULL;
  char *mt = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE research_drafts SET updated_at = ?1, title = COALESCE(?2, title), "
                                "proposal = COALESCE(?3, proposal) WHERE id = ?4 AND user_id = ?5");
  if (!s) goto fail;
  sqlite3_bind_int64(s, 1, now);
  sdb_bind_text(s, 2, proposal ? title_of(proposal) : NULL);
  sdb_bind_text(s, 3, p);
  sqlite3_bind_text(s, 4, draft_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, user_id, -1, SQLITE_STATIC);
  if (run(db, s, "touch draft") != 0) goto fail;
  if (sqlite3_changes(db) == 0) {
    sdb_rollback(db);
    ret = STORE_NOT_FOUND;
    goto out;
  }
  s = sdb_prepare(db,
                  "INSERT INTO research_draft_messages (draft_id, role, content, proposal, meta, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?) RETURNING " DMSG_COLS);
  if (!s) goto fail;
  sqlite3_bind_text(s, 1, draft_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, content, -1, SQLITE_STATIC);
  sdb_bind_text(s, 4, p);
  sqlite3_bind_text(s, 5, mt ? mt : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 6, now);
  if (sqlite3_step(s) != SQLITE_ROW) {
    sdb_log_error(db, "insert draft message");
    goto fail;
  }
  json_t *m = message_from_row(s);
  sqlite3_reset(s);
  if (sdb_commit(db) != 0) {
    json_decref(m);
    goto fail;
  }
  if (msg_out)
    *msg_out = m;
  else
    json_decref(m);
  ret = STORE_OK;
  goto out;
fail:
  sdb_rollback(db);
out:
  sdb_release(st, db);
  free(p);
  free(mt);
  return ret;
}

json_t *store_draft_recent(store_t *st, const char *user_id, const char *draft_id, int max) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " DMSG_COLS
                                    " FROM (SELECT m.* FROM research_draft_messages m JOIN research_drafts d ON d.id = "
                                    "m.draft_id WHERE m.draft_id = ? AND d.user_id = ? ORDER BY m.id DESC LIMIT ?) "
                                    "ORDER BY id");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, draft_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 3, max);
  arr = json_array();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, message_from_row(s));
  if (rc != SQLITE_DONE) {
    sdb_log_error(db, "recent draft messages");
    json_decref(arr);
    arr = NULL;
  }
out:
  sdb_release(st, db);
  return arr;
}

int store_draft_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms) {
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE research_drafts SET answering_since = ?1 WHERE id = ?2 AND user_id = ?3 "
                                "AND (answering_since IS NULL OR answering_since < ?4)");
  if (!s) goto out;
  sqlite3_bind_int64(s, 1, now);
  sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, now - stale_ms);
  if (run(db, s, "claim draft") != 0) goto out;
  if (sqlite3_changes(db) == 1) {
    ret = STORE_OK;
    goto out;
  }
  s = sdb_prepare(db, "SELECT 1 FROM research_drafts WHERE id = ? AND user_id = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  ret = sqlite3_step(s) == SQLITE_ROW ? STORE_CONFLICT : STORE_NOT_FOUND;
out:
  sdb_release(st, db);
  return ret;
}

int store_draft_release(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE research_drafts SET answering_since = NULL WHERE id = ?");
  if (s) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (run(db, s, "release draft") == 0) ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_draft_set_started(store_t *st, const char *user_id, const char *id, const char *mission_id,
                            const char *chat_id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE research_drafts SET mission_id = ?, chat_id = ?, updated_at = ? "
                                "WHERE id = ? AND user_id = ? AND mission_id IS NULL");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, mission_id, -1, SQLITE_STATIC);
  sdb_bind_text(s, 2, chat_id);
  sqlite3_bind_int64(s, 3, util_now_ms());
  sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, user_id, -1, SQLITE_STATIC);
  if (run(db, s, "start draft") != 0) goto out;
  ret = sqlite3_changes(db) == 1 ? STORE_OK : STORE_CONFLICT;
out:
  sdb_release(st, db);
  return ret;
}

int store_draft_of_mission(store_t *st, const char *user_id, const char *mission_id, char *id_out) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT id FROM research_drafts WHERE mission_id = ? AND user_id = ?");
  if (s) {
    sqlite3_bind_text(s, 1, mission_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      snprintf(id_out, 17, "%s", (const char *)sqlite3_column_text(s, 0));
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "draft of mission");
    }
  }
  sdb_release(st, db);
  return ret;
}
