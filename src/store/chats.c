/* chats.c - chats and chat messages; see chats.h. */
#include "store/chats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "store/store_internal.h"

#define DEFAULT_TITLE "New chat"

static json_t *iso_json(int64_t ms) {
  char ts[40];
  util_iso_time(ms, ts, sizeof ts);
  return json_string(ts);
}

static int step_ok(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sdb_log_error(db, what);
    return -1;
  }
  return 0;
}

int store_chat_create(store_t *st, const char *user_id, const char *title, const char *group_id, char *id_out) {
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  int auto_title = !title || !title[0];
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO chats (id, user_id, title, title_auto, group_id, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (s) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, auto_title ? DEFAULT_TITLE : title, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, auto_title);
    sdb_bind_text(s, 5, group_id && group_id[0] ? group_id : NULL);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now);
    if (step_ok(db, s, "insert chat") == 0) {
      ret = STORE_OK;
      snprintf(id_out, 17, "%s", id);
    }
  }
  sdb_release(st, db);
  return ret;
}

int store_chat_get(store_t *st, const char *user_id, const char *id, store_chat_t *out) {
  memset(out, 0, sizeof *out);
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db, "SELECT id, user_id, COALESCE(group_id, ''), title_auto FROM chats WHERE id = ? AND user_id = ?");
  if (s) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
      snprintf(out->user_id, sizeof out->user_id, "%s", (const char *)sqlite3_column_text(s, 1));
      snprintf(out->group_id, sizeof out->group_id, "%s", (const char *)sqlite3_column_text(s, 2));
      out->title_auto = sqlite3_column_int(s, 3);
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get chat");
    }
  }
  sdb_release(st, db);
  return ret;
}

/* Message row (id, chat_id, role, content, citations, meta, created_at) as API JSON. */
static json_t *message_from_row(sqlite3_stmt *s) {
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", (long long)sqlite3_column_int64(s, 0));
  json_t *m = json_object();
  json_object_set_new(m, "id", json_string(idbuf));
  json_object_set_new(m, "chat_id", json_string((const char *)sqlite3_column_text(s, 1)));
  json_object_set_new(m, "role", json_string((const char *)sqlite3_column_text(s, 2)));
  json_object_set_new(m, "content", json_string((const char *)sqlite3_column_text(s, 3)));
  json_t *cit = sdb_col_json(s, 4);
  json_object_set_new(m, "citations", json_is_array(cit) ? cit : json_array());
  if (!json_is_array(cit)) json_decref(cit);
  json_t *meta = sdb_col_json(s, 5);
  if (json_is_object(meta)) json_object_update_missing(m, meta); /* mode, model, ... never overwrite the above */
  json_decref(meta);
  json_object_set_new(m, "created_at", iso_json(sqlite3_column_int64(s, 6)));
  return m;
}

#define MSG_COLS "id, chat_id, role, content, citations, meta, created_at"

static json_t *chat_from_row(sqlite3_stmt *s) {
  json_t *c = json_object();
  json_object_set_new(c, "id", json_string((const char *)sqlite3_column_text(s, 0)));
  json_object_set_new(c, "title", json_string((const char *)sqlite3_column_text(s, 1)));
  json_object_set_new(
      c, "group_id",
      sqlite3_column_type(s, 2) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(s, 2)));
  json_object_set_new(c, "created_at", iso_json(sqlite3_column_int64(s, 3)));
  json_object_set_new(c, "updated_at", iso_json(sqlite3_column_int64(s, 4)));
  json_object_set_new(c, "message_count", json_integer(sqlite3_column_int64(s, 5)));
  json_object_set_new(c, "answering", json_boolean(sqlite3_column_type(s, 6) != SQLITE_NULL));
  return c;
}

#define CHAT_COLS                                           \
  "c.id, c.title, c.group_id, c.created_at, c.updated_at, " \
  "(SELECT COUNT(*) FROM chat_messages m WHERE m.chat_id = c.id), c.answering_since"

json_t *store_chat_json(store_t *st, const char *user_id, const char *id, int with_messages) {
  sqlite3 *db = sdb_acquire(st);
  json_t *c = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " CHAT_COLS " FROM chats c WHERE c.id = ? AND c.user_id = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_ROW) goto out;
  c = chat_from_row(s);
  sqlite3_reset(s);
  if (with_messages) {
    json_t *arr = json_array();
    s = sdb_prepare(db, "SELECT " MSG_COLS " FROM chat_messages WHERE chat_id = ? ORDER BY id");
    if (!s) {
      json_decref(arr);
      json_decref(c);
      c = NULL;
      goto out;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) json_array_append_new(arr, message_from_row(s));
    json_object_set_new(c, "messages", arr);
  }
out:
  sdb_release(st, db);
  return c;
}

json_t *store_chat_list_json(store_t *st, const char *user_id, int limit, int offset) {
  sqlite3 *db = sdb_acquire(st);
  json_t *res = NULL;
  sqlite3_stmt *s = sdb_prepare(
      db,
      "SELECT COUNT(*) FROM chats WHERE user_id = ? AND id NOT IN (SELECT chat_id FROM writing_sessions WHERE "
      "chat_id IS NOT NULL)");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_ROW) {
    sdb_log_error(db, "count chats");
    goto out;
  }
  json_int_t total = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  s = sdb_prepare(db, "SELECT " CHAT_COLS
                      " FROM chats c WHERE c.user_id = ? AND c.id NOT IN (SELECT chat_id FROM "
                      "writing_sessions WHERE chat_id IS NOT NULL) ORDER BY c.updated_at DESC, c.id LIMIT ? OFFSET ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 2, limit);
  sqlite3_bind_int(s, 3, offset);
  json_t *arr = json_array();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, chat_from_row(s));
  if (rc != SQLITE_DONE) {
    sdb_log_error(db, "list chats");
    json_decref(arr);
    goto out;
  }
  res = json_pack("{s:o, s:I}", "chats", arr, "total", total);
out:
  sdb_release(st, db);
  return res;
}

int store_chat_delete(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM chats WHERE id = ? AND user_id = ?");
  if (!s) goto fail;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  if (step_ok(db, s, "delete chat") != 0) goto fail;
  if (sqlite3_changes(db) == 0) {
    sdb_rollback(db);
    ret = STORE_NOT_FOUND;
    goto out;
  }
  /* messages go by cascade; the event log is keyed by channel name */
  s = sdb_prepare(db, "DELETE FROM events WHERE channel = 'chat:' || ?");
  if (!s) goto fail;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  if (step_ok(db, s, "delete chat events") != 0) goto fail;
  if (sdb_commit(db) != 0) goto fail;
  ret = STORE_OK;
  goto out;
fail:
  sdb_rollback(db);
out:
  sdb_release(st, db);
  return ret;
}

int store_chat_rename(store_t *st, const char *user_id, const char *id, const char *title) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db, "UPDATE chats SET title = ?, title_auto = 0, updated_at = ? WHERE id = ? AND user_id = ?");
  if (s) {
    sqlite3_bind_text(s, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, util_now_ms());
    sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, user_id, -1, SQLITE_STATIC);
    if (step_ok(db, s, "rename chat") == 0) ret = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
  }
  sdb_release(st, db);
  return ret;
}

int store_chat_autotitle(store_t *st, const char *user_id, const char *id, const char *title) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db, "UPDATE chats SET title = ?, title_auto = 0 WHERE id = ? AND user_id = ? AND title_auto = 1");
  if (s) {
    sqlite3_bind_text(s, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, user_id, -1, SQLITE_STATIC);
    if (step_ok(db, s, "chat title") == 0) ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_chat_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms) {
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE chats SET answering_since = ?1 WHERE id = ?2 AND user_id = ?3 "
                                "AND (answering_since IS NULL OR answering_since < ?4)");
  if (!s) goto out;
  sqlite3_bind_int64(s, 1, now);
  sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, now - stale_ms);
  if (step_ok(db, s, "claim chat") != 0) goto out;
  if (sqlite3_changes(db) == 1) {
    ret = STORE_OK;
    goto out;
  }
  s = sdb_prepare(db, "SELECT 1 FROM chats WHERE id = ? AND user_id = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  ret = sqlite3_step(s) == SQLITE_ROW ? STORE_CONFLICT : STORE_NOT_FOUND;
out:
  sdb_release(st, db);
  return ret;
}

int store_chat_release(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE chats SET answering_since = NULL WHERE id = ?");
  if (s) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (step_ok(db, s, "release chat") == 0) ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_chat_add_message(store_t *st, const char *user_id, const char *chat_id, const char *role, const char *content,
                           json_t *citations, json_t *meta, json_t **msg_out) {
  if (msg_out) *msg_out = NULL;
  char *cit = citations ? json_dumps(citations, JSON_COMPACT) : NULL;
  char *mt = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE chats SET updated_at = ? WHERE id = ? AND user_id = ?");
  if (!s) goto fail;
  sqlite3_bind_int64(s, 1, now);
  sqlite3_bind_text(s, 2, chat_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, user_id, -1, SQLITE_STATIC);
  if (step_ok(db, s, "touch chat") != 0) goto fail;
  if (sqlite3_changes(db) == 0) {
    sdb_rollback(db);
    ret = STORE_NOT_FOUND;
    goto out;
  }
  s = sdb_prepare(db,
                  "INSERT INTO chat_messages (chat_id, role, content, citations, meta, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?) RETURNING " MSG_COLS);
  if (!s) goto fail;
  sqlite3_bind_text(s, 1, chat_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, content, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, cit ? cit : "[]", -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 5, mt ? mt : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 6, now);
  if (sqlite3_step(s) != SQLITE_ROW) {
    sdb_log_error(db, "insert chat message");
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
  free(cit);
  free(mt);
  return ret;
}

json_t *store_chat_recent(store_t *st, const char *user_id, const char *chat_id, int max) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " MSG_COLS
                                    " FROM (SELECT m.* FROM chat_messages m JOIN chats c ON c.id = "
                                    "m.chat_id WHERE m.chat_id = ? AND c.user_id = ? ORDER BY m.id DESC LIMIT ?) "
                                    "ORDER BY id");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, chat_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 3, max);
  arr = json_array();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, message_from_row(s));
  if (rc != SQLITE_DONE) {
    sdb_log_error(db, "recent chat messages");
    json_decref(arr);
    arr = NULL;
  }
out:
  sdb_release(st, db);
  return arr;
}
