/*
 * store/writing.c - writing sessions (schema 016); see writing.h.
 *
 * Queries that answer JSON build it in SQL (json_object), so each row is
 * one text column parsed here; timestamps are ISO 8601 like the rest of
 * the API.
 */
#include "store/writing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/chats.h"
#include "store/store_internal.h"

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000, 'unixepoch')"

/* Rows of one JSON text column: the first (many 0) or all of them as an
 * array (many 1). NULL on error, or when many is 0 and there is no row. */
static json_t *json_rows(sqlite3 *db, sqlite3_stmt *s, int many, const char *what) {
  json_t *arr = many ? json_array() : NULL;
  int r;
  while ((r = sqlite3_step(s)) == SQLITE_ROW) {
    json_t *v = sdb_col_json(s, 0);
    if (!v) continue;
    if (!many) return v;
    json_array_append_new(arr, v);
  }
  if (r != SQLITE_DONE) {
    sdb_log_error(db, what);
    json_decref(arr);
    return NULL;
  }
  return arr;
}

static int step_done(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  if (sqlite3_step(s) == SQLITE_DONE) return 0;
  sdb_log_error(db, what);
  return -1;
}

/* Session id owned by user_id? */
static int owned(sqlite3 *db, const char *user_id, const char *id) {
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM writing_sessions WHERE id = ? AND user_id = ?");
  if (!s) return STORE_ERROR;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, user_id);
  int r = sqlite3_step(s);
  return r == SQLITE_ROW ? STORE_OK : r == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

static int touch(sqlite3 *db, const char *id) {
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE writing_sessions SET updated_at = ? WHERE id = ?");
  if (!s) return -1;
  sqlite3_bind_int64(s, 1, util_now_ms());
  sdb_bind_text(s, 2, id);
  return step_done(db, s, "touch writing session");
}

/* Inserts the next version inside the caller's transaction. */
static int insert_version(sqlite3 *db, const char *id, const char *content, const char *author, int *version) {
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO writing_versions (session_id, version, content, author, created_at) "
                                "VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM writing_versions WHERE "
                                "session_id = ?1), ?2, ?3, ?4) RETURNING version");
  if (!s) return -1;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, content);
  sdb_bind_text(s, 3, author);
  sqlite3_bind_int64(s, 4, util_now_ms());
  if (sqlite3_step(s) != SQLITE_ROW) {
    sdb_log_error(db, "insert writing version");
    return -1;
  }
  if (version) *version = sqlite3_column_int(s, 0);
  sqlite3_reset(s);
  return touch(db, id);
}

int store_writing_create(store_t *st, const char *user_id, const char *title, const char *group_id, const char *style,
                         const char *mission_id, const char *content, const char *author, char *id_out) {
  char chat[17];
  if (store_chat_create(st, user_id, title, group_id, chat) != STORE_OK) return STORE_ERROR;
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "INSERT INTO writing_sessions (id, user_id, title, group_id, style, chat_id, "
                                  "mission_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (s) {
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, user_id);
      sdb_bind_text(s, 3, title);
      sdb_bind_text(s, 4, group_id && group_id[0] ? group_id : NULL);
      sdb_bind_text(s, 5, style ? style : "apa");
      sdb_bind_text(s, 6, chat);
      sdb_bind_text(s, 7, mission_id);
      sqlite3_bind_int64(s, 8, now);
      sqlite3_bind_int64(s, 9, now);
      if (step_done(db, s, "insert writing session") == 0 &&
          (!content || insert_version(db, id, content, author ? author : "user", NULL) == 0))
        ret = STORE_OK;
    }
    if (ret == STORE_OK && sdb_commit(db) == 0)
      snprintf(id_out, 17, "%s", id);
    else {
      sdb_rollback(db);
      ret = STORE_ERROR;
    }
  }
  sdb_release(st, db);
  if (ret != STORE_OK) store_chat_delete(st, user_id, chat);
  return ret;
}

int store_writing_get(store_t *st, const char *user_id, const char *id, store_writing_t *out) {
  memset(out, 0, sizeof *out);
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT id, COALESCE(chat_id, ''), COALESCE(group_id, ''), style, title, web FROM "
                                "writing_sessions WHERE id = ? AND user_id = ?");
  int ret = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      snprintf(out->id, sizeof out->id, "%s", sqlite3_column_text(s, 0));
      snprintf(out->chat_id, sizeof out->chat_id, "%s", sqlite3_column_text(s, 1));
      snprintf(out->group_id, sizeof out->group_id, "%s", sqlite3_column_text(s, 2));
      snprintf(out->style, sizeof out->style, "%s", sqlite3_column_text(s, 3));
      snprintf(out->title, sizeof out->title, "%s", sqlite3_column_text(s, 4));
      out->web = sqlite3_column_int(s, 5) != 0;
      ret = STORE_OK;
    } else
      ret = r == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
  }
  sdb_release(st, db);
  return ret;
}

#define SESSION_JSON                                                                                            \
  "json_object('id', w.id, 'title', w.title, 'group_id', w.group_id, 'style', w.style, 'web', json(CASE w.web " \
  "WHEN 1 THEN 'true' ELSE 'false' END), 'chat_id', w.chat_id, 'mission_id', w.mission_id, 'created_at', " ISO( \
      "w.created_at") ", 'updated_at', " ISO("w.updated_at") ", 'version', v.version, 'author', v.author"

json_t *store_writing_json(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " SESSION_JSON
                                    ", 'content', v.content) FROM writing_sessions w JOIN writing_versions v ON "
                                    "v.session_id = w.id WHERE w.id = ? AND w.user_id = ? ORDER BY v.version DESC "
                                    "LIMIT 1");
  json_t *o = NULL;
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    o = json_rows(db, s, 0, "writing session");
  }
  sdb_release(st, db);
  return o;
}

json_t *store_writing_list_json(store_t *st, const char *user_id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT " SESSION_JSON
                                    ", 'chars', length(v.content)) FROM writing_sessions w JOIN writing_versions v ON "
                                    "v.session_id = w.id AND v.version = (SELECT MAX(version) FROM writing_versions "
                                    "WHERE session_id = w.id) WHERE w.user_id = ? ORDER BY w.updated_at DESC, w.id");
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, user_id);
    arr = json_rows(db, s, 1, "writing sessions");
  }
  sdb_release(st, db);
  return arr ? json_pack("{s:o}", "sessions", arr) : NULL;
}

int store_writing_update(store_t *st, const char *user_id, const char *id, json_t *fields) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  ret = owned(db, user_id, id);
  static const struct {
    const char *key, *sql; /* literal SQL: statements are cached by their text's address */
  } COLS[] = {{"title", "UPDATE writing_sessions SET title = ? WHERE id = ?"},
              {"group_id", "UPDATE writing_sessions SET group_id = ? WHERE id = ?"},
              {"style", "UPDATE writing_sessions SET style = ? WHERE id = ?"},
              {"web", "UPDATE writing_sessions SET web = ? WHERE id = ?"}};
  for (size_t i = 0; ret == STORE_OK && i < sizeof COLS / sizeof COLS[0]; i++) {
    json_t *v = json_object_get(fields, COLS[i].key);
    if (!v) continue;
    sqlite3_stmt *s = sdb_prepare(db, COLS[i].sql);
    if (!s) {
      ret = STORE_ERROR;
      break;
    }
    if (json_is_boolean(v))
      sqlite3_bind_int(s, 1, json_is_true(v));
    else
      sdb_bind_text(s, 1, json_string_value(v) && json_string_value(v)[0] ? json_string_value(v) : NULL);
    sdb_bind_text(s, 2, id);
    if (step_done(db, s, "update writing session") != 0) ret = STORE_ERROR;
  }
  /* the assistant's chat follows the session's group */
  json_t *g = json_object_get(fields, "group_id");
  if (ret == STORE_OK && g) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "UPDATE chats SET group_id = ? WHERE user_id = ? AND id = (SELECT chat_id FROM "
                                  "writing_sessions WHERE id = ?)");
    if (!s)
      ret = STORE_ERROR;
    else {
      sdb_bind_text(s, 1, json_string_value(g) && json_string_value(g)[0] ? json_string_value(g) : NULL);
      sdb_bind_text(s, 2, user_id);
      sdb_bind_text(s, 3, id);
      if (step_done(db, s, "writing chat scope") != 0) ret = STORE_ERROR;
    }
  }
  if (ret == STORE_OK && touch(db, id) != 0) ret = STORE_ERROR;
  if (ret == STORE_OK && sdb_commit(db) == 0) goto out;
  sdb_rollback(db);
  if (ret == STORE_OK) ret = STORE_ERROR;
out:
  sdb_release(st, db);
  return ret;
}

int store_writing_delete(store_t *st, const char *user_id, const char *id) {
  store_writing_t w;
  int rc = store_writing_get(st, user_id, id, &w);
  if (rc != STORE_OK) return rc;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM writing_sessions WHERE id = ? AND user_id = ?");
  int ret = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    if (step_done(db, s, "delete writing session") == 0) ret = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
  }
  sdb_release(st, db);
  if (ret == STORE_OK && w.chat_id[0]) store_chat_delete(st, user_id, w.chat_id);
  return ret;
}

int store_writing_save(store_t *st, const char *user_id, const char *id, const char *content, const char *author,
                       int base_version, int *version) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  ret = owned(db, user_id, id);
  int latest = 0, same = 0;
  if (ret == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "SELECT version, content = ? FROM writing_versions WHERE session_id = ? ORDER BY "
                                  "version DESC LIMIT 1");
    if (!s)
      ret = STORE_ERROR;
    else {
      sdb_bind_text(s, 1, content);
      sdb_bind_text(s, 2, id);
      if (sqlite3_step(s) == SQLITE_ROW) {
        latest = sqlite3_column_int(s, 0);
        same = sqlite3_column_int(s, 1);
      }
      sqlite3_reset(s);
    }
  }
  if (ret == STORE_OK && base_version > 0 && base_version != latest) ret = STORE_CONFLICT;
  if (ret == STORE_OK && same) {
    if (version) *version = latest;
  } else if (ret == STORE_OK && insert_version(db, id, content, author, version) != 0)
    ret = STORE_ERROR;
  if (ret == STORE_OK && sdb_commit(db) == 0) goto out;
  sdb_rollback(db);
  if (ret == STORE_OK) ret = STORE_ERROR;
  if (ret == STORE_CONFLICT && version) *version = latest;
out:
  sdb_release(st, db);
  return ret;
}

json_t *store_writing_versions(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = NULL;
  if (owned(db, user_id, id) == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db, "SELECT json_object('version', version, 'author', author, 'created_at', " ISO(
                                          "created_at") ", 'chars', length(content)) FROM writing_versions WHERE "
                                                        "session_id = ? ORDER BY version DESC");
    if (s) {
      sdb_bind_text(s, 1, id);
      arr = json_rows(db, s, 1, "writing versions");
    }
  }
  sdb_release(st, db);
  return arr;
}

json_t *store_writing_version(store_t *st, const char *user_id, const char *id, int version) {
  sqlite3 *db = sdb_acquire(st);
  json_t *o = NULL;
  if (owned(db, user_id, id) == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db, "SELECT json_object('version', version, 'content', content, 'author', author, "
                                      "'created_at', " ISO("created_at") ") FROM writing_versions WHERE session_id = "
                                                                         "? AND version = ?");
    if (s) {
      sdb_bind_text(s, 1, id);
      sqlite3_bind_int(s, 2, version);
      o = json_rows(db, s, 0, "writing version");
    }
  }
  sdb_release(st, db);
  return o;
}

json_t *store_writing_refs(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = NULL;
  if (owned(db, user_id, id) == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "SELECT json_patch(data, json_object('n', n)) FROM writing_references WHERE "
                                  "session_id = ? ORDER BY n");
    if (s) {
      sdb_bind_text(s, 1, id);
      arr = json_rows(db, s, 1, "writing references");
    }
  }
  sdb_release(st, db);
  return arr;
}

/* The number of an existing reference to the same source, or 0. */
static int same_source(sqlite3 *db, const char *id, json_t *data) {
  sqlite3_stmt *s = sdb_prepare(
      db,
      "SELECT n FROM writing_references WHERE session_id = ?1 AND ((?2 IS NOT NULL AND json_extract(data, "
      "'$.document_id') = ?2 AND COALESCE(json_extract(data, '$.page'), 0) = ?3) OR (?4 IS NOT NULL AND "
      "lower(json_extract(data, '$.doi')) = lower(?4)) OR (?2 IS NULL AND ?5 IS NOT NULL AND json_extract(data, "
      "'$.url') = ?5)) ORDER BY n LIMIT 1");
  if (!s) return 0;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, json_string_value(json_object_get(data, "document_id")));
  sqlite3_bind_int64(s, 3, json_integer_value(json_object_get(data, "page")));
  sdb_bind_text(s, 4, json_string_value(json_object_get(data, "doi")));
  sdb_bind_text(s, 5, json_string_value(json_object_get(data, "url")));
  int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  sqlite3_reset(s);
  return n;
}

static char *dump_data(json_t *data) {
  json_t *copy = json_deep_copy(data);
  json_object_del(copy, "n");
  char *d = json_dumps(copy, JSON_COMPACT);
  json_decref(copy);
  return d;
}

int store_writing_ref_add(store_t *st, const char *user_id, const char *id, json_t *data, int *n, int *added) {
  *n = 0;
  if (added) *added = 0;
  char *d = dump_data(data);
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (!d || sdb_begin(db) != 0) goto out;
  ret = owned(db, user_id, id);
  int existing = ret == STORE_OK ? same_source(db, id, data) : 0;
  if (existing)
    *n = existing;
  else if (ret == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "UPDATE writing_sessions SET next_ref = next_ref + 1 WHERE id = ? RETURNING "
                                  "next_ref - 1");
    int num = 0;
    if (s) {
      sdb_bind_text(s, 1, id);
      if (sqlite3_step(s) == SQLITE_ROW) num = sqlite3_column_int(s, 0);
      sqlite3_reset(s);
    }
    s = num ? sdb_prepare(db,
                          "INSERT INTO writing_references (session_id, n, data, created_at, updated_at) VALUES (?, ?, "
                          "?, ?, ?)")
            : NULL;
    if (!s)
      ret = STORE_ERROR;
    else {
      int64_t now = util_now_ms();
      sdb_bind_text(s, 1, id);
      sqlite3_bind_int(s, 2, num);
      sdb_bind_text(s, 3, d);
      sqlite3_bind_int64(s, 4, now);
      sqlite3_bind_int64(s, 5, now);
      if (step_done(db, s, "insert writing reference") != 0 || touch(db, id) != 0)
        ret = STORE_ERROR;
      else {
        *n = num;
        if (added) *added = 1;
      }
    }
  }
  if (ret == STORE_OK && sdb_commit(db) == 0) goto out;
  sdb_rollback(db);
  if (ret == STORE_OK) ret = STORE_ERROR;
out:
  sdb_release(st, db);
  free(d);
  return ret;
}

int store_writing_ref_put(store_t *st, const char *user_id, const char *id, int n, json_t *data) {
  char *d = dump_data(data);
  sqlite3 *db = sdb_acquire(st);
  int ret = owned(db, user_id, id);
  if (ret == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "UPDATE writing_references SET data = ?, updated_at = ? WHERE session_id = ? AND "
                                  "n = ?");
    ret = STORE_ERROR;
    if (s && d) {
      sdb_bind_text(s, 1, d);
      sqlite3_bind_int64(s, 2, util_now_ms());
      sdb_bind_text(s, 3, id);
      sqlite3_bind_int(s, 4, n);
      if (step_done(db, s, "update writing reference") == 0) ret = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  free(d);
  return ret;
}

int store_writing_ref_delete(store_t *st, const char *user_id, const char *id, int n) {
  sqlite3 *db = sdb_acquire(st);
  int ret = owned(db, user_id, id);
  if (ret == STORE_OK) {
    sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM writing_references WHERE session_id = ? AND n = ?");
    ret = STORE_ERROR;
    if (s) {
      sdb_bind_text(s, 1, id);
      sqlite3_bind_int(s, 2, n);
      if (step_done(db, s, "delete writing reference") == 0) ret = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  return ret;
}

json_t *store_writing_stats(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *o = NULL;
  sqlite3_stmt *s = sdb_prepare(
      db,
      "SELECT json_object('model_calls', (SELECT COUNT(*) FROM llm_calls WHERE chat_id = w.chat_id), 'tokens', "
      "(SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM llm_calls WHERE chat_id = w.chat_id), "
      "'cost_usd', (SELECT COALESCE(SUM(cost_usd), 0.0) FROM llm_calls WHERE chat_id = w.chat_id), 'searches', "
      "(SELECT COUNT(*) FROM chat_messages WHERE chat_id = w.chat_id AND role = 'user')) FROM writing_sessions w "
      "WHERE w.id = ? AND w.user_id = ?");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    o = json_rows(db, s, 0, "writing stats");
  }
  sdb_release(st, db);
  return o;
}
