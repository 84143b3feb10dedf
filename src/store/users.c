/* users.c - accounts, revoked tokens and settings documents. */
#include "store/users.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_internal.h"

void store_user_free(store_user_t *u) {
  if (!u) return;
  free(u->username);
  free(u->password_hash);
  free(u);
}

int store_user_insert(store_t *st, store_user_t *u) {
  util_new_id(u->id);
  u->created_at = u->updated_at = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO users (id, username, password_hash, role, active, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, u->id);
    sdb_bind_text(s, 2, u->username);
    sdb_bind_text(s, 3, u->password_hash);
    sdb_bind_text(s, 4, u->role);
    sqlite3_bind_int(s, 5, u->active);
    sqlite3_bind_int64(s, 6, u->created_at);
    sqlite3_bind_int64(s, 7, u->updated_at);
    int r = sqlite3_step(s);
    if (r == SQLITE_DONE)
      rc = STORE_OK;
    else if (r == SQLITE_CONSTRAINT_UNIQUE || r == SQLITE_CONSTRAINT_PRIMARYKEY)
      rc = STORE_CONFLICT;
    else
      sdb_log_error(db, "insert user");
  }
  sdb_release(st, db);
  return rc;
}

static store_user_t *user_from_row(sqlite3_stmt *s) {
  store_user_t *u = calloc(1, sizeof *u);
  if (!u) abort();
  snprintf(u->id, sizeof u->id, "%s", (const char *)sqlite3_column_text(s, 0));
  u->username = sdb_col_text(s, 1);
  u->password_hash = sdb_col_text(s, 2);
  snprintf(u->role, sizeof u->role, "%s", (const char *)sqlite3_column_text(s, 3));
  u->active = sqlite3_column_int(s, 4);
  u->created_at = sqlite3_column_int64(s, 5);
  u->updated_at = sqlite3_column_int64(s, 6);
  u->tokens_valid_after = sqlite3_column_int64(s, 7);
  return u;
}

#define USER_COLS "id, username, password_hash, role, active, created_at, updated_at, tokens_valid_after"

static int user_get_by(store_t *st, const char *sql, const char *key, store_user_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, key);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *out = user_from_row(s);
      rc = STORE_OK;
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get user");
    }
  }
  sdb_release(st, db);
  return rc;
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

json_t *store_user_list_json(store_t *st) {
  json_t *arr = json_array();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT id, username, role, active, created_at FROM users ORDER BY username");
  while (s && sqlite3_step(s) == SQLITE_ROW) {
    char ts[40];
    util_iso_time(sqlite3_column_int64(s, 4), ts, sizeof ts);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:s}", "id", sqlite3_column_text(s, 0), "username",
                                         sqlite3_column_text(s, 1), "role", sqlite3_column_text(s, 2), "active",
                                         sqlite3_column_int(s, 3), "created_at", ts));
  }
  sdb_release(st, db);
  return arr;
}

static int count_query(store_t *st, const char *sql) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int n = -1;
  if (s && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
  sdb_release(st, db);
  return n;
}

int store_user_count(store_t *st) {
  return count_query(st, "SELECT COUNT(*) FROM users");
}

int store_admin_count(store_t *st) {
  return count_query(st, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1");
}

int store_user_update(store_t *st, const char *id, const char *role, int active, const char *password_hash) {
  sqlite3 *db = sdb_acquire(st);
  /* A new password also ends every session opened with the old one. */
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE users SET role = COALESCE(?1, role), active = COALESCE(?2, active), "
                                "password_hash = COALESCE(?3, password_hash), updated_at = ?4, "
                                "tokens_valid_after = CASE WHEN ?3 IS NULL THEN tokens_valid_after ELSE ?4 END "
                                "WHERE id = ?5");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, role);
    if (active >= 0)
      sqlite3_bind_int(s, 2, active);
    else
      sqlite3_bind_null(s, 2);
    sdb_bind_text(s, 3, password_hash);
    sqlite3_bind_int64(s, 4, util_now_ms());
    sdb_bind_text(s, 5, id);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = sqlite3_changes(db) > 0 ? STORE_OK : STORE_NOT_FOUND;
    else
      sdb_log_error(db, "update user");
  }
  sdb_release(st, db);
  return rc;
}

int store_user_delete(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM users WHERE id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = sqlite3_changes(db) > 0 ? STORE_OK : STORE_NOT_FOUND;
    else
      sdb_log_error(db, "delete user");
  }
  sdb_release(st, db);
  return rc;
}

int store_token_revoke(store_t *st, const char *jti, int64_t expires_at) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, ?)");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, jti);
    sqlite3_bind_int64(s, 2, expires_at);
    rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK : STORE_ERROR;
  }
  sdb_release(st, db);
  return rc;
}

int store_token_is_revoked(store_t *st, const char *jti) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM revoked_tokens WHERE jti = ?");
  int rc = -1;
  if (s) {
    sdb_bind_text(s, 1, jti);
    int r = sqlite3_step(s);
    rc = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
  }
  sdb_release(st, db);
  return rc;
}

int store_token_purge(store_t *st, int64_t now) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM revoked_tokens WHERE expires_at < ?");
  int rc = STORE_ERROR;
  if (s) {
    sqlite3_bind_int64(s, 1, now);
    rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK : STORE_ERROR;
  }
  sdb_release(st, db);
  return rc;
}

static int json_get(store_t *st, const char *sql, const char *a, const char *b, json_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, a);
    if (b) sdb_bind_text(s, 2, b);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *out = sdb_col_json(s, 0);
      rc = *out ? STORE_OK : STORE_ERROR;
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  return rc;
}

static int json_put(store_t *st, const char *sql, const char *a, const char *b, json_t *value) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) return STORE_ERROR;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int rc = STORE_ERROR;
  if (s) {
    int i = 1;
    sdb_bind_text(s, i++, a);
    if (b) sdb_bind_text(s, i++, b);
    sdb_bind_text(s, i++, text);
    sqlite3_bind_int64(s, i, util_now_ms());
    rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK : STORE_ERROR;
    if (rc) sdb_log_error(db, "put setting");
  }
  sdb_release(st, db);
  free(text);
  return rc;
}

int store_setting_get(store_t *st, const char *user_id, const char *key, json_t **out) {
  return json_get(st, "SELECT value FROM settings WHERE user_id = ? AND key = ?", user_id, key, out);
}

int store_setting_put(store_t *st, const char *user_id, const char *key, json_t *value) {
  return json_put(st,
                  "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  user_id, key, value);
}

int store_server_setting_get(store_t *st, const char *key, json_t **out) {
  return json_get(st, "SELECT value FROM server_settings WHERE key = ?", key, NULL, out);
}

int store_server_setting_put(store_t *st, const char *key, json_t *value) {
  return json_put(st,
                  "INSERT INTO server_settings (key, value, updated_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  key, NULL, value);
}
