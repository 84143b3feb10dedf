/* llm_calls.c - the record of model calls (see llm_calls.h). */
#include "store/llm_calls.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_internal.h"

int store_llm_call_insert(store_t *st, store_llm_call_t *c) {
  util_new_id(c->id);
  c->created_at = util_now_ms();
  char *req = json_dumps(c->request ? c->request : json_object(), JSON_COMPACT);
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO llm_calls (id, user_id, mission_id, chat_id, agent, role, provider, "
                                "endpoint, model, request, response, prompt_tokens, completion_tokens, "
                                "tokens_estimated, cost_usd, latency_ms, status, source, error, request_hash, "
                                "attempts, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, c->id);
    sdb_bind_text(s, 2, c->user_id && *c->user_id ? c->user_id : NULL);
    sdb_bind_text(s, 3, c->mission_id);
    sdb_bind_text(s, 4, c->chat_id);
    sdb_bind_text(s, 5, c->agent);
    sdb_bind_text(s, 6, c->role ? c->role : "");
    sdb_bind_text(s, 7, c->provider ? c->provider : "");
    sdb_bind_text(s, 8, c->endpoint ? c->endpoint : "");
    sdb_bind_text(s, 9, c->model ? c->model : "");
    sdb_bind_text(s, 10, req ? req : "{}");
    sdb_bind_text(s, 11, c->response);
    sqlite3_bind_int(s, 12, c->prompt_tokens);
    sqlite3_bind_int(s, 13, c->completion_tokens);
    sqlite3_bind_int(s, 14, c->tokens_estimated);
    sqlite3_bind_double(s, 15, c->cost_usd);
    sqlite3_bind_int64(s, 16, c->latency_ms);
    sdb_bind_text(s, 17, c->status ? c->status : "ok");
    sdb_bind_text(s, 18, c->source ? c->source : "live");
    sdb_bind_text(s, 19, c->error);
    sdb_bind_text(s, 20, c->request_hash ? c->request_hash : "");
    sqlite3_bind_int(s, 21, c->attempts);
    sqlite3_bind_int64(s, 22, c->created_at);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = STORE_OK;
    else
      sdb_log_error(db, "insert llm call");
  }
  sdb_release(st, db);
  free(req);
  return rc;
}

int store_llm_call_find(store_t *st, const char *mission_id, const char *hash, int occurrence, json_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  const char *sql = occurrence < 0
                        ? "SELECT id, provider, model, response, prompt_tokens, completion_tokens, tokens_estimated, "
                          "cost_usd, json_extract(request, '$.options.finish_reason') FROM llm_calls "
                          "WHERE mission_id = ? AND request_hash = ? AND status = 'ok' "
                          "AND response IS NOT NULL ORDER BY rowid DESC LIMIT 1"
                        : "SELECT id, provider, model, response, prompt_tokens, completion_tokens, tokens_estimated, "
                          "cost_usd, json_extract(request, '$.options.finish_reason') FROM llm_calls "
                          "WHERE mission_id = ? AND request_hash = ? AND status = 'ok' "
                          "AND response IS NOT NULL ORDER BY rowid LIMIT 1 OFFSET ?";
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, mission_id);
    sdb_bind_text(s, 2, hash);
    if (occurrence >= 0) sqlite3_bind_int(s, 3, occurrence);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *out = json_pack(
          "{s:s?, s:s?, s:s?, s:s?, s:i, s:i, s:b, s:f, s:s?}", "id", (const char *)sqlite3_column_text(s, 0),
          "provider", (const char *)sqlite3_column_text(s, 1), "model", (const char *)sqlite3_column_text(s, 2),
          "response", (const char *)sqlite3_column_text(s, 3), "prompt_tokens", sqlite3_column_int(s, 4),
          "completion_tokens", sqlite3_column_int(s, 5), "tokens_estimated", sqlite3_column_int(s, 6), "cost_usd",
          sqlite3_column_double(s, 7), "finish_reason", (const char *)sqlite3_column_text(s, 8));
      rc = *out ? STORE_OK : STORE_ERROR;
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "find llm call");
    }
  }
  sdb_release(st, db);
  return rc;
}

#define CALL_COLS                                                                                             \
  "id, agent, role, provider, model, request, response, prompt_tokens, completion_tokens, tokens_estimated, " \
  "cost_usd, latency_ms, status, source, error, attempts, created_at"

static json_t *list_by(store_t *st, const char *sql, const char *key, int limit, int offset) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, key);
    sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int(s, 3, offset > 0 ? offset : 0);
    arr = json_array();
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
      json_t *req = sdb_col_json(s, 5);
      json_t *o = json_pack(
          "{s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:i, s:i, s:b, s:f, s:I, s:s?, s:s?, s:s?, s:i, s:I}", "id",
          (const char *)sqlite3_column_text(s, 0), "agent", (const char *)sqlite3_column_text(s, 1), "role",
          (const char *)sqlite3_column_text(s, 2), "provider", (const char *)sqlite3_column_text(s, 3), "model",
          (const char *)sqlite3_column_text(s, 4), "request", req ? req : json_object(), "response",
          (const char *)sqlite3_column_text(s, 6), "prompt_tokens", sqlite3_column_int(s, 7), "completion_tokens",
          sqlite3_column_int(s, 8), "tokens_estimated", sqlite3_column_int(s, 9), "cost_usd",
          sqlite3_column_double(s, 10), "latency_ms", (json_int_t)sqlite3_column_int64(s, 11), "status",
          (const char *)sqlite3_column_text(s, 12), "source", (const char *)sqlite3_column_text(s, 13), "error",
          (const char *)sqlite3_column_text(s, 14), "attempts", sqlite3_column_int(s, 15), "created_at",
          (json_int_t)sqlite3_column_int64(s, 16));
      if (o) json_array_append_new(arr, o);
    }
    if (r != SQLITE_DONE) {
      sdb_log_error(db, "list llm calls");
      json_decref(arr);
      arr = NULL;
    }
  }
  sdb_release(st, db);
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

int store_llm_calls_totals(store_t *st, const char *mission_id, store_llm_totals_t *out) {
  memset(out, 0, sizeof *out);
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT "
                                "COALESCE(SUM(source = 'live'), 0), "
                                "COALESCE(SUM(source <> 'live'), 0), "
                                "COALESCE(SUM(source = 'live' AND status <> 'ok'), 0), "
                                "COALESCE(SUM(CASE WHEN source = 'live' THEN prompt_tokens END), 0), "
                                "COALESCE(SUM(CASE WHEN source = 'live' THEN completion_tokens END), 0), "
                                "COALESCE(SUM(CASE WHEN source = 'live' THEN cost_usd END), 0) "
                                "FROM llm_calls WHERE mission_id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, mission_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      out->calls = sqlite3_column_int64(s, 0);
      out->cached = sqlite3_column_int64(s, 1);
      out->failed = sqlite3_column_int64(s, 2);
      out->prompt_tokens = sqlite3_column_int64(s, 3);
      out->completion_tokens = sqlite3_column_int64(s, 4);
      out->cost_usd = sqlite3_column_double(s, 5);
      rc = STORE_OK;
    } else {
      sdb_log_error(db, "llm totals");
    }
  }
  sdb_release(st, db);
  return rc;
}

int store_llm_calls_delete_mission(store_t *st, const char *mission_id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM llm_calls WHERE mission_id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, mission_id);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = STORE_OK;
    else
      sdb_log_error(db, "delete llm calls");
  }
  sdb_release(st, db);
  return rc;
}

int store_llm_call_set_status(store_t *st, const char *id, const char *status) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE llm_calls SET status = ? WHERE id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, status);
    sdb_bind_text(s, 2, id);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
    else
      sdb_log_error(db, "set llm call status");
  }
  sdb_release(st, db);
  return rc;
}
