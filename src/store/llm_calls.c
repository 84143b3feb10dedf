/* llm_calls.c - the record of model calls (see llm_calls.h), on either
 * backend through db.h. */
#include "store/llm_calls.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

int store_llm_call_insert(store_t *st, store_llm_call_t *c) {
  util_new_id(c->id);
  c->created_at = util_now_ms();
  char *req = json_dumps(c->request ? c->request : json_object(), JSON_COMPACT);
  int rc =
      db_run(st, "insert llm call",
             "INSERT INTO llm_calls (id, user_id, mission_id, chat_id, agent, role, provider, "
             "endpoint, model, request, response, prompt_tokens, completion_tokens, "
             "tokens_estimated, cost_usd, latency_ms, status, source, error, request_hash, "
             "attempts, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
             DB_ARGS(DB_TEXT(c->id), DB_TEXT(c->user_id && *c->user_id ? c->user_id : NULL), DB_TEXT(c->mission_id),
                     DB_TEXT(c->chat_id), DB_TEXT(c->agent), DB_TEXT(c->role ? c->role : ""),
                     DB_TEXT(c->provider ? c->provider : ""), DB_TEXT(c->endpoint ? c->endpoint : ""),
                     DB_TEXT(c->model ? c->model : ""), DB_TEXT(req ? req : "{}"), DB_TEXT(c->response),
                     DB_INT(c->prompt_tokens), DB_INT(c->completion_tokens), DB_INT(c->tokens_estimated),
                     DB_REAL(c->cost_usd), DB_INT(c->latency_ms), DB_TEXT(c->status ? c->status : "ok"),
                     DB_TEXT(c->source ? c->source : "live"), DB_TEXT(c->error),
                     DB_TEXT(c->request_hash ? c->request_hash : ""), DB_INT(c->attempts), DB_INT(c->created_at)),
             NULL);
  free(req);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int found_row(db_stmt_t *s, void *ctx) {
  *(json_t **)ctx = json_pack("{s:s?, s:s?, s:s?, s:s?, s:i, s:i, s:b, s:f, s:s?}", "id", db_col_text_ref(s, 0),
                              "provider", db_col_text_ref(s, 1), "model", db_col_text_ref(s, 2), "response",
                              db_col_text_ref(s, 3), "prompt_tokens", (int)db_col_int64(s, 4), "completion_tokens",
                              (int)db_col_int64(s, 5), "tokens_estimated", (int)db_col_int64(s, 6), "cost_usd",
                              db_col_double(s, 7), "finish_reason", db_col_text_ref(s, 8));
  return 1;
}

#define FIND_SQL(finish_reason, order)                                                                                 \
  "SELECT id, provider, model, response, prompt_tokens, completion_tokens, tokens_estimated, cost_usd, " finish_reason \
  " FROM llm_calls WHERE mission_id = ? AND request_hash = ? AND status = 'ok' "                                       \
  "AND response IS NOT NULL ORDER BY rowid " order " LIMIT 1 OFFSET ?"
#define FINISH_SQLITE "json_extract(request, '$.options.finish_reason')"
#define FINISH_PG "request::json #>> '{options,finish_reason}'"

int store_llm_call_find(store_t *st, const char *mission_id, const char *hash, int occurrence, json_t **out) {
  *out = NULL;
  db_conn_t *c = db_acquire(st);
  /* The latest (occurrence < 0) or the occurrence-th in insertion order. */
  const char *sql = occurrence < 0 ? db_sql(c, FIND_SQL(FINISH_SQLITE, "DESC"), FIND_SQL(FINISH_PG, "DESC"))
                                   : db_sql(c, FIND_SQL(FINISH_SQLITE, ""), FIND_SQL(FINISH_PG, ""));
  int n = db_conn_query(c, "find llm call", sql,
                        DB_ARGS(DB_TEXT(mission_id), DB_TEXT(hash), DB_INT(occurrence < 0 ? 0 : occurrence)), found_row,
                        out);
  db_release(st, c);
  if (n < 0) return STORE_ERROR;
  if (n == 0) return STORE_NOT_FOUND;
  return *out ? STORE_OK : STORE_ERROR;
}

#define CALL_COLS                                                                                             \
  "id, agent, role, provider, model, request, response, prompt_tokens, completion_tokens, tokens_estimated, " \
  "cost_usd, latency_ms, status, source, error, attempts, created_at"

static int list_row(db_stmt_t *s, void *ctx) {
  json_t *req = db_col_json(s, 5);
  json_t *o = json_pack(
      "{s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:i, s:i, s:b, s:f, s:I, s:s?, s:s?, s:s?, s:i, s:I}", "id",
      db_col_text_ref(s, 0), "agent", db_col_text_ref(s, 1), "role", db_col_text_ref(s, 2), "provider",
      db_col_text_ref(s, 3), "model", db_col_text_ref(s, 4), "request", req ? req : json_object(), "response",
      db_col_text_ref(s, 6), "prompt_tokens", (int)db_col_int64(s, 7), "completion_tokens", (int)db_col_int64(s, 8),
      "tokens_estimated", (int)db_col_int64(s, 9), "cost_usd", db_col_double(s, 10), "latency_ms",
      (json_int_t)db_col_int64(s, 11), "status", db_col_text_ref(s, 12), "source", db_col_text_ref(s, 13), "error",
      db_col_text_ref(s, 14), "attempts", (int)db_col_int64(s, 15), "created_at", (json_int_t)db_col_int64(s, 16));
  if (o) json_array_append_new(ctx, o);
  return 0;
}

static json_t *list_by(store_t *st, const char *sql, const char *key, int limit, int offset) {
  json_t *arr = json_array();
  if (db_query(st, "list llm calls", sql,
               DB_ARGS(DB_TEXT(key), DB_INT(limit > 0 ? limit : DB_NO_LIMIT), DB_INT(offset > 0 ? offset : 0)),
               list_row, arr) < 0) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

json_t *store_llm_calls_list_mission(store_t *st, const char *mission_id, int limit, int offset) {
  return list_by(st, "SELECT " CALL_COLS " FROM llm_calls WHERE mission_id = ? ORDER BY rowid LIMIT ? OFFSET ?",
                 mission_id, limit, offset);
}

json_t *store_llm_calls_list_chat(store_t *st, const char *chat_id, int limit, int offset) {
  return list_by(st, "SELECT " CALL_COLS " FROM llm_calls WHERE chat_id = ? ORDER BY rowid LIMIT ? OFFSET ?", chat_id,
                 limit, offset);
}

json_t *store_llm_calls_list_user(store_t *st, const char *user_id, int limit, int offset) {
  return list_by(st, "SELECT " CALL_COLS " FROM llm_calls WHERE user_id = ? ORDER BY rowid LIMIT ? OFFSET ?", user_id,
                 limit, offset);
}

static int totals_row(db_stmt_t *s, void *ctx) {
  store_llm_totals_t *out = ctx;
  out->calls = db_col_int64(s, 0);
  out->cached = db_col_int64(s, 1);
  out->failed = db_col_int64(s, 2);
  out->prompt_tokens = db_col_int64(s, 3);
  out->completion_tokens = db_col_int64(s, 4);
  out->cost_usd = db_col_double(s, 5);
  return 1;
}

int store_llm_calls_totals(store_t *st, const char *mission_id, store_llm_totals_t *out) {
  memset(out, 0, sizeof *out);
  int n = db_query(st, "llm totals",
                   "SELECT "
                   "COALESCE(SUM(CASE WHEN source = 'live' THEN 1 ELSE 0 END), 0), "
                   "COALESCE(SUM(CASE WHEN source <> 'live' THEN 1 ELSE 0 END), 0), "
                   "COALESCE(SUM(CASE WHEN source = 'live' AND status <> 'ok' THEN 1 ELSE 0 END), 0), "
                   "COALESCE(SUM(CASE WHEN source = 'live' THEN prompt_tokens END), 0), "
                   "COALESCE(SUM(CASE WHEN source = 'live' THEN completion_tokens END), 0), "
                   "COALESCE(SUM(CASE WHEN source = 'live' THEN cost_usd END), 0) "
                   "FROM llm_calls WHERE mission_id = ?",
                   DB_ARGS(DB_TEXT(mission_id)), totals_row, out);
  return n == 1 ? STORE_OK : STORE_ERROR;
}

int store_llm_calls_delete_mission(store_t *st, const char *mission_id) {
  int rc =
      db_run(st, "delete llm calls", "DELETE FROM llm_calls WHERE mission_id = ?", DB_ARGS(DB_TEXT(mission_id)), NULL);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_llm_call_set_status(store_t *st, const char *id, const char *status) {
  int64_t n = 0;
  if (db_run(st, "set llm call status", "UPDATE llm_calls SET status = ? WHERE id = ?",
             DB_ARGS(DB_TEXT(status), DB_TEXT(id)), &n) != STORE_OK)
    return STORE_ERROR;
  return n ? STORE_OK : STORE_NOT_FOUND;
}
