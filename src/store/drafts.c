/* drafts.c - research chat drafts and their history (schema 015), on either
 * backend through db.h; see drafts.h. */
#include "store/drafts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

#define DRAFT_COLS                                                                        \
  "d.id, d.title, d.proposal, d.mission_id, d.chat_id, d.answering_since, d.created_at, " \
  "d.updated_at, (SELECT COUNT(*) FROM research_draft_messages m WHERE m.draft_id = d.id)"
#define DMSG_COLS "id, role, content, proposal, meta, created_at"

static json_t *draft_from_row(db_stmt_t *s) {
  json_t *d = json_object();
  json_object_set_new(d, "id", db_col_json_text(s, 0));
  json_object_set_new(d, "title", db_col_json_text(s, 1));
  json_object_set_new(d, "proposal", db_col_object(s, 2));
  json_object_set_new(d, "mission_id", db_col_json_text(s, 3));
  json_object_set_new(d, "chat_id", db_col_json_text(s, 4));
  json_object_set_new(d, "answering", json_boolean(!db_col_is_null(s, 5)));
  json_object_set_new(d, "created_at", db_col_json_time(s, 6));
  json_object_set_new(d, "updated_at", db_col_json_time(s, 7));
  json_object_set_new(d, "message_count", json_integer(db_col_int64(s, 8)));
  return d;
}

static json_t *message_from_row(db_stmt_t *s) {
  json_t *m = json_object();
  json_object_set_new(m, "id", json_integer(db_col_int64(s, 0)));
  json_object_set_new(m, "role", db_col_json_text(s, 1));
  json_object_set_new(m, "content", db_col_json_text(s, 2));
  json_t *p = db_col_json(s, 3);
  json_object_set_new(m, "proposal", p ? p : json_null());
  json_object_set_new(m, "meta", db_col_object(s, 4));
  json_object_set_new(m, "created_at", db_col_json_time(s, 5));
  return m;
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
  int rc = p ? db_run(st, "insert draft",
                      "INSERT INTO research_drafts (id, user_id, title, proposal, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_TEXT(title_of(proposal)), DB_TEXT(p), DB_INT(now),
                              DB_INT(now)),
                      NULL)
             : STORE_ERROR;
  free(p);
  if (rc != STORE_OK) return STORE_ERROR;
  snprintf(id_out, 17, "%s", id);
  return STORE_OK;
}

json_t *store_draft_json(store_t *st, const char *user_id, const char *id, int with_messages) {
  json_t *d =
      db_query_first(st, "get draft", "SELECT " DRAFT_COLS " FROM research_drafts d WHERE d.id = ? AND d.user_id = ?",
                     DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), draft_from_row);
  if (!d || !with_messages) return d;
  json_t *arr = db_query_array(st, "draft messages",
                               "SELECT " DMSG_COLS " FROM research_draft_messages WHERE draft_id = ? ORDER BY id",
                               DB_ARGS(DB_TEXT(id)), message_from_row);
  if (!arr) {
    json_decref(d);
    return NULL;
  }
  json_object_set_new(d, "messages", arr);
  return d;
}

json_t *store_draft_list_json(store_t *st, const char *user_id, int limit, int offset) {
  return db_query_page(st, "list drafts", "drafts", "SELECT COUNT(*) FROM research_drafts WHERE user_id = ?",
                       "SELECT " DRAFT_COLS
                       " FROM research_drafts d WHERE d.user_id = ? ORDER BY d.updated_at DESC, d.id LIMIT ? OFFSET ?",
                       DB_ARGS(DB_TEXT(user_id)), limit, offset, draft_from_row);
}

int store_draft_add_message(store_t *st, const char *user_id, const char *draft_id, const char *role,
                            const char *content, json_t *proposal, json_t *meta, json_t **msg_out) {
  char *p = proposal ? json_dumps(proposal, JSON_COMPACT) : NULL;
  char *mt = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
  int64_t now = util_now_ms();
  /* a proposal becomes the draft's card (and title) with its message */
  db_batch_t b[] = {
      {"UPDATE research_drafts SET updated_at = ?, title = COALESCE(?, title), "
       "proposal = COALESCE(?, proposal) WHERE id = ? AND user_id = ?",
       DB_ARGS(DB_INT(now), DB_TEXT(proposal ? title_of(proposal) : NULL), DB_TEXT(p), DB_TEXT(draft_id),
               DB_TEXT(user_id)),
       .required = 1},
      {"INSERT INTO research_draft_messages (draft_id, role, content, proposal, meta, created_at) "
       "VALUES (?, ?, ?, ?, ?, ?) RETURNING " DMSG_COLS,
       DB_ARGS(DB_TEXT(draft_id), DB_TEXT(role), DB_TEXT(content), DB_TEXT(p), DB_TEXT(mt ? mt : "{}"), DB_INT(now)),
       .required = 1, .fn = message_from_row, .out = msg_out}};
  int rc = db_tx_batch(st, "add draft message", b, 2);
  free(p);
  free(mt);
  return rc == STORE_CONFLICT ? STORE_ERROR : rc;
}

json_t *store_draft_recent(store_t *st, const char *user_id, const char *draft_id, int max) {
  return db_query_array(st, "recent draft messages",
                        DB_RECENT_SQL(DMSG_COLS, "research_draft_messages", "research_drafts", "draft_id"),
                        DB_ARGS(DB_TEXT(draft_id), DB_TEXT(user_id), DB_INT(max)), message_from_row);
}

int store_draft_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms) {
  return DB_CLAIM(st, "claim draft", "research_drafts", user_id, id, stale_ms);
}

int store_draft_release(store_t *st, const char *id) {
  return DB_RELEASE(st, "release draft", "research_drafts", id);
}

int store_draft_set_started(store_t *st, const char *user_id, const char *id, const char *mission_id,
                            const char *chat_id) {
  int rc =
      db_run_one(st, "start draft",
                 "UPDATE research_drafts SET mission_id = ?, chat_id = ?, updated_at = ? "
                 "WHERE id = ? AND user_id = ? AND mission_id IS NULL",
                 DB_ARGS(DB_TEXT(mission_id), DB_TEXT(chat_id), DB_INT(util_now_ms()), DB_TEXT(id), DB_TEXT(user_id)),
                 NULL, DB_NOARGS);
  return rc == STORE_NOT_FOUND ? STORE_CONFLICT : rc;
}

/* Column 0 into the caller's 17-byte id buffer. */
static int read_id(db_stmt_t *row, void *id_out) {
  db_col_copy(row, 0, id_out, 17);
  return 1;
}

int store_draft_of_mission(store_t *st, const char *user_id, const char *mission_id, char *id_out) {
  return db_found(db_query(st, "draft of mission",
                           "SELECT id FROM research_drafts WHERE mission_id = ? AND user_id = ?",
                           DB_ARGS(DB_TEXT(mission_id), DB_TEXT(user_id)), read_id, id_out));
}
