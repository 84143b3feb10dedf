/* users.c - accounts, revoked tokens and settings documents, on either
 * backend through db.h. */
#include "store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

void store_user_free(store_user_t *u) {
  if (!u) return;
  free(u->username);
  free(u->password_hash);
  free(u);
}

int store_user_insert(store_t *st, store_user_t *u) {
  util_new_id(u->id);
  u->created_at = u->updated_at = util_now_ms();
  int rc = db_run(st, "insert user",
                  "INSERT INTO users (id, username, password_hash, role, active, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                  DB_ARGS(DB_TEXT(u->id), DB_TEXT(u->username), DB_TEXT(u->password_hash), DB_TEXT(u->role),
                          DB_INT(u->active), DB_INT(u->created_at), DB_INT(u->updated_at)),
                  NULL);
  return rc == STORE_OK || rc == STORE_CONFLICT ? rc : STORE_ERROR;
}

static int user_from_row(db_stmt_t *s, void *ctx) {
  store_user_t *u = calloc(1, sizeof *u);
  if (!u) abort();
  snprintf(u->id, sizeof u->id, "%s", db_col_text_ref(s, 0));
  u->username = db_col_text(s, 1);
  u->password_hash = db_col_text(s, 2);
  snprintf(u->role, sizeof u->role, "%s", db_col_text_ref(s, 3));
  u->active = (int)db_col_int64(s, 4);
  u->created_at = db_col_int64(s, 5);
  u->updated_at = db_col_int64(s, 6);
  u->tokens_valid_after = db_col_int64(s, 7);
  *(store_user_t **)ctx = u;
  return 1;
}

#define USER_COLS "id, username, password_hash, role, active, created_at, updated_at, tokens_valid_after"

static int user_get_by(store_t *st, const char *sql, const char *key, store_user_t **out) {
  *out = NULL;
  int n = db_query(st, "get user", sql, DB_ARGS(DB_TEXT(key)), user_from_row, out);
  if (n < 0) return STORE_ERROR;
  return *out ? STORE_OK : STORE_NOT_FOUND;
}

int store_user_get(store_t *st, const char *id, store_user_t **out) {
  return user_get_by(st, "SELECT " USER_COLS " FROM users WHERE id = ?", id, out);
}

int store_user_is_admin(store_t *st, const char *id) {
  store_user_t *u = NULL;
  if (!st || !id || !*id || store_user_get(st, id, &u) != STORE_OK || !u) return 0;
  int admin = u->active && strcmp(u->role, "admin") == 0;
  store_user_free(u);
  return admin;
}

int store_user_get_by_name(store_t *st, const char *username, store_user_t **out) {
  return user_get_by(st, "SELECT " USER_COLS " FROM users WHERE username = ?", username, out);
}

static int list_row(db_stmt_t *s, void *ctx) {
  char ts[40];
  util_iso_time(db_col_int64(s, 4), ts, sizeof ts);
  json_array_append_new(
      ctx, json_pack("{s:s, s:s, s:s, s:b, s:s}", "id", db_col_text_ref(s, 0), "username", db_col_text_ref(s, 1),
                     "role", db_col_text_ref(s, 2), "active", (int)db_col_int64(s, 3), "created_at", ts));
  return 0;
}

json_t *store_user_list_json(store_t *st) {
  json_t *arr = json_array();
  db_query(st, "list users", "SELECT id, username, role, active, created_at FROM users ORDER BY username", DB_NOARGS,
           list_row, arr);
  return arr;
}

static int count_query(store_t *st, const char *sql) {
  int64_t n = -1;
  if (db_query(st, "count users", sql, DB_NOARGS, db_row_int64, &n) < 0) return -1;
  return (int)n;
}

int store_user_count(store_t *st) {
  return count_query(st, "SELECT COUNT(*) FROM users");
}

int store_admin_count(store_t *st) {
  return count_query(st, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1");
}

int store_user_update(store_t *st, const char *id, const char *role, int active, const char *password_hash) {
  int64_t now = util_now_ms(), n = 0;
  /* A new password also ends every session opened with the old one. */
  int rc = db_run(st, "update user",
                  "UPDATE users SET role = COALESCE(?, role), active = COALESCE(?, active), "
                  "password_hash = COALESCE(?, password_hash), updated_at = ?, "
                  "tokens_valid_after = CASE WHEN CAST(? AS TEXT) IS NULL THEN tokens_valid_after ELSE ? END "
                  "WHERE id = ?",
                  DB_ARGS(DB_TEXT(role), active >= 0 ? DB_INT(active) : DB_NULL, DB_TEXT(password_hash), DB_INT(now),
                          DB_TEXT(password_hash), DB_INT(now), DB_TEXT(id)),
                  &n);
  if (rc != STORE_OK) return STORE_ERROR;
  return n > 0 ? STORE_OK : STORE_NOT_FOUND;
}

/* One statement by key: STORE_OK when it changed a row, else STORE_NOT_FOUND. */
static int run_changed(store_t *st, const char *what, const char *sql, const char *key) {
  int64_t n = 0;
  if (db_run(st, what, sql, DB_ARGS(DB_TEXT(key)), &n) != STORE_OK) return STORE_ERROR;
  return n > 0 ? STORE_OK : STORE_NOT_FOUND;
}

int store_user_delete(store_t *st, const char *id) {
  return run_changed(st, "delete user", "DELETE FROM users WHERE id = ?", id);
}

int store_token_revoke(store_t *st, const char *jti, int64_t expires_at) {
  int rc =
      db_run(st, "revoke token", "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
             DB_ARGS(DB_TEXT(jti), DB_INT(expires_at)), NULL);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_token_is_revoked(store_t *st, const char *jti) {
  int n = db_query(st, "check revoked token", "SELECT 1 FROM revoked_tokens WHERE jti = ?", DB_ARGS(DB_TEXT(jti)), NULL,
                   NULL);
  return n < 0 ? -1 : n > 0;
}

int store_token_purge(store_t *st, int64_t now) {
  int rc =
      db_run(st, "purge revoked tokens", "DELETE FROM revoked_tokens WHERE expires_at < ?", DB_ARGS(DB_INT(now)), NULL);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int json_row(db_stmt_t *s, void *ctx) {
  json_t **out = ctx;
  *out = db_col_json(s, 0);
  return 1;
}

static int json_get(store_t *st, const char *sql, const db_param_t *p, int n, json_t **out) {
  *out = NULL;
  int rows = db_query(st, "get setting", sql, p, n, json_row, out);
  if (rows < 0) return STORE_ERROR;
  if (rows == 0) return STORE_NOT_FOUND;
  return *out ? STORE_OK : STORE_ERROR;
}

/* Upserts value under (a, b) or, with b NULL, under a; sql takes the keys, the JSON text and the time. */
static int json_put(store_t *st, const char *sql, const char *a, const char *b, json_t *value) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) return STORE_ERROR;
  int64_t now = util_now_ms();
  int rc = b ? db_run(st, "put setting", sql, DB_ARGS(DB_TEXT(a), DB_TEXT(b), DB_TEXT(text), DB_INT(now)), NULL)
             : db_run(st, "put setting", sql, DB_ARGS(DB_TEXT(a), DB_TEXT(text), DB_INT(now)), NULL);
  free(text);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_setting_get(store_t *st, const char *user_id, const char *key, json_t **out) {
  return json_get(st, "SELECT value FROM settings WHERE user_id = ? AND key = ?",
                  DB_ARGS(DB_TEXT(user_id), DB_TEXT(key)), out);
}

int store_setting_put(store_t *st, const char *user_id, const char *key, json_t *value) {
  return json_put(st,
                  "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  user_id, key, value);
}

int store_server_setting_get(store_t *st, const char *key, json_t **out) {
  return json_get(st, "SELECT value FROM server_settings WHERE key = ?", DB_ARGS(DB_TEXT(key)), out);
}

int store_server_setting_put(store_t *st, const char *key, json_t *value) {
  return json_put(st,
                  "INSERT INTO server_settings (key, value, updated_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  key, NULL, value);
}
