/* chats.c - chats and chat messages (schema 006), on either backend through
 * db.h; see chats.h. */
#include "store/chats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

#define DEFAULT_TITLE "New chat"

int store_chat_create(store_t *st, const char *user_id, const char *title, const char *group_id, char *id_out) {
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  int auto_title = !title || !title[0];
  int rc =
      db_run(st, "insert chat",
             "INSERT INTO chats (id, user_id, title, title_auto, group_id, created_at, updated_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)",
             DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_TEXT(auto_title ? DEFAULT_TITLE : title), DB_INT(auto_title),
                     DB_TEXT(group_id && group_id[0] ? group_id : NULL), DB_INT(now), DB_INT(now)),
             NULL);
  if (rc != STORE_OK) return STORE_ERROR;
  snprintf(id_out, 17, "%s", id);
  return STORE_OK;
}

static int read_chat(db_stmt_t *row, void *ctx) {
  store_chat_t *out = ctx;
  out->title_auto = (int)db_col_int64(row, 3);
  db_col_copy(row, 0, out->id, sizeof out->id);
  db_col_copy(row, 1, out->user_id, sizeof out->user_id);
  db_col_copy(row, 2, out->group_id, sizeof out->group_id);
  return 1;
}

int store_chat_get(store_t *st, const char *user_id, const char *id, store_chat_t *out) {
  memset(out, 0, sizeof *out);
  int n = db_query(st, "get chat",
                   "SELECT id, user_id, COALESCE(group_id, ''), title_auto FROM chats WHERE id = ? AND user_id = ?",
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), read_chat, out);
  return db_found(n);
}

#define MSG_COLS "id, chat_id, role, content, citations, meta, created_at"

/* A message row (MSG_COLS) as API JSON: the id as a string, the meta's
 * members (mode, model, ...) beside the columns, never over them. */
static json_t *message_from_row(db_stmt_t *s) {
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", (long long)db_col_int64(s, 0));
  json_t *m = json_object();
  json_object_set_new(m, "id", json_string(idbuf));
  json_object_set_new(m, "chat_id", db_col_json_text(s, 1));
  json_object_set_new(m, "role", db_col_json_text(s, 2));
  json_object_set_new(m, "content", db_col_json_text(s, 3));
  json_t *cit = db_col_json(s, 4);
  json_object_set_new(m, "citations", json_is_array(cit) ? cit : json_array());
  if (!json_is_array(cit)) json_decref(cit);
  json_t *meta = db_col_json(s, 5);
  if (json_is_object(meta)) json_object_update_missing(m, meta);
  json_decref(meta);
  json_object_set_new(m, "created_at", db_col_json_time(s, 6));
  return m;
}

#define CHAT_COLS                                           \
  "c.id, c.title, c.group_id, c.created_at, c.updated_at, " \
  "(SELECT COUNT(*) FROM chat_messages m WHERE m.chat_id = c.id), c.answering_since"

static json_t *chat_from_row(db_stmt_t *s) {
  json_t *c = json_object();
  json_object_set_new(c, "id", db_col_json_text(s, 0));
  json_object_set_new(c, "title", db_col_json_text(s, 1));
  json_object_set_new(c, "group_id", db_col_json_text(s, 2));
  json_object_set_new(c, "created_at", db_col_json_time(s, 3));
  json_object_set_new(c, "updated_at", db_col_json_time(s, 4));
  json_object_set_new(c, "message_count", json_integer(db_col_int64(s, 5)));
  json_object_set_new(c, "answering", json_boolean(!db_col_is_null(s, 6)));
  return c;
}

json_t *store_chat_json(store_t *st, const char *user_id, const char *id, int with_messages) {
  json_t *c = db_query_first(st, "get chat", "SELECT " CHAT_COLS " FROM chats c WHERE c.id = ? AND c.user_id = ?",
                             DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), chat_from_row);
  if (!c || !with_messages) return c;
  json_t *arr =
      db_query_array(st, "chat messages", "SELECT " MSG_COLS " FROM chat_messages WHERE chat_id = ? ORDER BY id",
                     DB_ARGS(DB_TEXT(id)), message_from_row);
  if (!arr) {
    json_decref(c);
    return NULL;
  }
  json_object_set_new(c, "messages", arr);
  return c;
}

/* The chats of writing sessions are the sessions' assistants: not listed. */
#define LISTED "c.user_id = ? AND c.id NOT IN (SELECT chat_id FROM writing_sessions WHERE chat_id IS NOT NULL)"

json_t *store_chat_list_json(store_t *st, const char *user_id, int limit, int offset) {
  return db_query_page(st, "list chats", "chats", "SELECT COUNT(*) FROM chats c WHERE " LISTED,
                       "SELECT " CHAT_COLS " FROM chats c WHERE " LISTED
                       " ORDER BY c.updated_at DESC, c.id LIMIT ? OFFSET ?",
                       DB_ARGS(DB_TEXT(user_id)), limit, offset, chat_from_row);
}

int store_chat_delete(store_t *st, const char *user_id, const char *id) {
  /* messages go by cascade; the event log is keyed by channel name */
  char channel[64];
  snprintf(channel, sizeof channel, "chat:%s", id);
  db_batch_t b[] = {
      {"DELETE FROM chats WHERE id = ? AND user_id = ?", DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), .required = 1},
      {"DELETE FROM events WHERE channel = ?", DB_ARGS(DB_TEXT(channel)), .required = 0}};
  return db_tx_batch(st, "delete chat", b, 2);
}

int store_chat_rename(store_t *st, const char *user_id, const char *id, const char *title) {
  return db_run_one(st, "rename chat",
                    "UPDATE chats SET title = ?, title_auto = 0, updated_at = ? WHERE id = ? AND user_id = ?",
                    DB_ARGS(DB_TEXT(title), DB_INT(util_now_ms()), DB_TEXT(id), DB_TEXT(user_id)), NULL, DB_NOARGS);
}

int store_chat_autotitle(store_t *st, const char *user_id, const char *id, const char *title) {
  return db_run(st, "chat title",
                "UPDATE chats SET title = ?, title_auto = 0 WHERE id = ? AND user_id = ? AND title_auto = 1",
                DB_ARGS(DB_TEXT(title), DB_TEXT(id), DB_TEXT(user_id)), NULL) == STORE_OK
             ? STORE_OK
             : STORE_ERROR;
}

int store_chat_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms) {
  return DB_CLAIM(st, "claim chat", "chats", user_id, id, stale_ms);
}

int store_chat_release(store_t *st, const char *id) {
  return DB_RELEASE(st, "release chat", "chats", id);
}

int store_chat_add_message(store_t *st, const char *user_id, const char *chat_id, const char *role, const char *content,
                           json_t *citations, json_t *meta, json_t **msg_out) {
  char *cit = citations ? json_dumps(citations, JSON_COMPACT) : NULL;
  char *mt = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
  int64_t now = util_now_ms();
  db_batch_t b[] = {{"UPDATE chats SET updated_at = ? WHERE id = ? AND user_id = ?",
                     DB_ARGS(DB_INT(now), DB_TEXT(chat_id), DB_TEXT(user_id)), .required = 1},
                    {"INSERT INTO chat_messages (chat_id, role, content, citations, meta, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?) RETURNING " MSG_COLS,
                     DB_ARGS(DB_TEXT(chat_id), DB_TEXT(role), DB_TEXT(content), DB_TEXT(cit ? cit : "[]"),
                             DB_TEXT(mt ? mt : "{}"), DB_INT(now)),
                     .required = 1, .fn = message_from_row, .out = msg_out}};
  int rc = db_tx_batch(st, "add chat message", b, 2);
  free(cit);
  free(mt);
  return rc == STORE_CONFLICT ? STORE_ERROR : rc;
}

json_t *store_chat_recent(store_t *st, const char *user_id, const char *chat_id, int max) {
  return db_query_array(st, "recent chat messages", DB_RECENT_SQL(MSG_COLS, "chat_messages", "chats", "chat_id"),
                        DB_ARGS(DB_TEXT(chat_id), DB_TEXT(user_id), DB_INT(max)), message_from_row);
}
