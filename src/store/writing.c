/*
 * store/writing.c - writing sessions (schema 016), on either backend through
 * db.h; see writing.h.
 *
 * Rows become API JSON in the row builders below (timestamps ISO 8601 like
 * the rest of the API). Writes that read before they write (a save checks
 * the latest version, a new reference looks for the same source first) run
 * in one transaction that starts by checking the owner; on PostgreSQL that
 * check also locks the session row, so two saves of one session go one
 * after the other as SQLite's write transactions do.
 */
#include "store/writing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "store/chats.h"
#include "store/db.h"

#define SESSION_COLS                                                                                            \
  "w.id, w.title, w.group_id, w.style, w.web, w.chat_id, w.mission_id, w.created_at, w.updated_at, v.version, " \
  "v.author"

/* A session row (SESSION_COLS) as API JSON. */
static json_t *session_from_row(db_stmt_t *s) {
  static const char *keys[] = {"id", "title", "group_id", "style"};
  json_t *o = json_object();
  for (int i = 0; i < 4; i++) json_object_set_new(o, keys[i], db_col_json_text(s, i));
  json_object_set_new(o, "web", json_boolean(db_col_int64(s, 4)));
  json_object_set_new(o, "chat_id", db_col_json_text(s, 5));
  json_object_set_new(o, "mission_id", db_col_json_text(s, 6));
  json_object_set_new(o, "created_at", db_col_json_time(s, 7));
  json_object_set_new(o, "updated_at", db_col_json_time(s, 8));
  json_object_set_new(o, "version", json_integer(db_col_int64(s, 9)));
  json_object_set_new(o, "author", db_col_json_text(s, 10));
  return o;
}

static json_t *session_with_content(db_stmt_t *s) {
  json_t *o = session_from_row(s);
  json_object_set_new(o, "content", db_col_json_text(s, 11));
  return o;
}

static json_t *session_with_chars(db_stmt_t *s) {
  json_t *o = session_from_row(s);
  json_object_set_new(o, "chars", json_integer(db_col_int64(s, 11)));
  return o;
}

static int read_session(db_stmt_t *row, void *ctx) {
  store_writing_t *out = ctx;
  db_col_copy(row, 0, out->id, sizeof out->id);
  db_col_copy(row, 1, out->chat_id, sizeof out->chat_id);
  db_col_copy(row, 2, out->group_id, sizeof out->group_id);
  db_col_copy(row, 3, out->style, sizeof out->style);
  db_col_copy(row, 4, out->title, sizeof out->title);
  out->web = db_col_int64(row, 5) != 0;
  return 1;
}

int store_writing_get(store_t *st, const char *user_id, const char *id, store_writing_t *out) {
  memset(out, 0, sizeof *out);
  int n = db_query(st, "get writing session",
                   "SELECT id, COALESCE(chat_id, ''), COALESCE(group_id, ''), style, title, web FROM writing_sessions "
                   "WHERE id = ? AND user_id = ?",
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), read_session, out);
  return db_found(n);
}

/* Session id owned by user_id? Locks its row on PostgreSQL inside a transaction. */
static int owned(db_conn_t *c, const char *user_id, const char *id) {
  int n = db_conn_query(c, "writing session owner",
                        db_sql(c, "SELECT 1 FROM writing_sessions WHERE id = ? AND user_id = ?",
                               "SELECT 1 FROM writing_sessions WHERE id = ? AND user_id = ? FOR UPDATE"),
                        DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), NULL, NULL);
  return db_found(n);
}

/* fn's JSON of sql's rows when session id is user_id's; NULL when not. */
static json_t *owned_rows(store_t *st, const char *user_id, const char *id, const char *what, const char *sql,
                          const db_param_t *p, int n, db_row_json_fn fn) {
  db_conn_t *c = db_acquire(st);
  json_t *arr = owned(c, user_id, id) == STORE_OK ? db_conn_query_array(c, what, sql, p, n, fn) : NULL;
  db_release(st, c);
  return arr;
}

static int touch(db_conn_t *c, const char *id) {
  return db_conn_run(c, "touch writing session", "UPDATE writing_sessions SET updated_at = ? WHERE id = ?",
                     DB_ARGS(DB_INT(util_now_ms()), DB_TEXT(id)), NULL);
}

/* Inserts the next version inside the caller's transaction. */
static int insert_version(db_conn_t *c, const char *id, const char *content, const char *author, int *version) {
  int64_t v = 0;
  if (db_conn_query(c, "insert writing version",
                    "INSERT INTO writing_versions (session_id, version, content, author, created_at) VALUES (?, "
                    "(SELECT COALESCE(MAX(version), 0) + 1 FROM writing_versions WHERE session_id = ?), ?, ?, ?) "
                    "RETURNING version",
                    DB_ARGS(DB_TEXT(id), DB_TEXT(id), DB_TEXT(content), DB_TEXT(author), DB_INT(util_now_ms())),
                    db_row_int64, &v) != 1)
    return STORE_ERROR;
  if (version) *version = (int)v;
  return touch(c, id);
}

typedef struct {
  const char *id, *user_id, *title, *group_id, *style, *chat, *mission_id, *content, *author;
} create_t;

static int create_tx(db_conn_t *c, void *ctx) {
  create_t *w = ctx;
  int64_t now = util_now_ms();
  int rc = db_conn_run(c, "insert writing session",
                       "INSERT INTO writing_sessions (id, user_id, title, group_id, style, chat_id, mission_id, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       DB_ARGS(DB_TEXT(w->id), DB_TEXT(w->user_id), DB_TEXT(w->title), DB_TEXT(w->group_id),
                               DB_TEXT(w->style), DB_TEXT(w->chat), DB_TEXT(w->mission_id), DB_INT(now), DB_INT(now)),
                       NULL);
  if (rc == STORE_OK && w->content) rc = insert_version(c, w->id, w->content, w->author, NULL);
  return rc;
}

int store_writing_create(store_t *st, const char *user_id, const char *title, const char *group_id, const char *style,
                         const char *mission_id, const char *content, const char *author, char *id_out) {
  char chat[17];
  if (store_chat_create(st, user_id, title, group_id, chat) != STORE_OK) return STORE_ERROR;
  char id[17];
  util_new_id(id);
  create_t w = {id,
                user_id,
                title,
                group_id && group_id[0] ? group_id : NULL,
                style ? style : "apa",
                chat,
                mission_id,
                content,
                author ? author : "user"};
  if (db_tx(st, "create writing session", create_tx, &w) != STORE_OK) {
    store_chat_delete(st, user_id, chat);
    return STORE_ERROR;
  }
  snprintf(id_out, 17, "%s", id);
  return STORE_OK;
}

json_t *store_writing_json(store_t *st, const char *user_id, const char *id) {
  return db_query_first(st, "writing session",
                        "SELECT " SESSION_COLS
                        ", v.content FROM writing_sessions w JOIN writing_versions v ON "
                        "v.session_id = w.id WHERE w.id = ? AND w.user_id = ? ORDER BY v.version DESC LIMIT 1",
                        DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), session_with_content);
}

json_t *store_writing_list_json(store_t *st, const char *user_id) {
  json_t *arr = db_query_array(st, "writing sessions",
                               "SELECT " SESSION_COLS
                               ", length(v.content) FROM writing_sessions w JOIN "
                               "writing_versions v ON v.session_id = w.id AND v.version = (SELECT MAX(version) FROM "
                               "writing_versions WHERE session_id = w.id) WHERE w.user_id = ? "
                               "ORDER BY w.updated_at DESC, w.id",
                               DB_ARGS(DB_TEXT(user_id)), session_with_chars);
  return arr ? json_pack("{s:o}", "sessions", arr) : NULL;
}

typedef struct {
  const char *user_id, *id;
  json_t *fields;
} update_t;

/* A string member as a bound value, "" as NULL. */
static db_param_t text_or_null(json_t *v) {
  const char *s = json_string_value(v);
  return DB_TEXT(s && s[0] ? s : NULL);
}

static int update_tx(db_conn_t *c, void *ctx) {
  update_t *u = ctx;
  static const struct {
    const char *key, *sql;
  } COLS[] = {{"title", "UPDATE writing_sessions SET title = ? WHERE id = ?"},
              {"group_id", "UPDATE writing_sessions SET group_id = ? WHERE id = ?"},
              {"style", "UPDATE writing_sessions SET style = ? WHERE id = ?"},
              {"web", "UPDATE writing_sessions SET web = ? WHERE id = ?"}};
  int rc = owned(c, u->user_id, u->id);
  for (size_t i = 0; rc == STORE_OK && i < sizeof COLS / sizeof COLS[0]; i++) {
    json_t *v = json_object_get(u->fields, COLS[i].key);
    if (!v) continue;
    db_param_t val = json_is_boolean(v) ? DB_INT(json_is_true(v)) : text_or_null(v);
    rc = db_conn_run(c, "update writing session", COLS[i].sql, DB_ARGS(val, DB_TEXT(u->id)), NULL);
  }
  /* the assistant's chat follows the session's group */
  json_t *g = json_object_get(u->fields, "group_id");
  if (rc == STORE_OK && g)
    rc = db_conn_run(c, "writing chat scope",
                     "UPDATE chats SET group_id = ? WHERE user_id = ? AND id = (SELECT chat_id FROM writing_sessions "
                     "WHERE id = ?)",
                     DB_ARGS(text_or_null(g), DB_TEXT(u->user_id), DB_TEXT(u->id)), NULL);
  return rc == STORE_OK ? touch(c, u->id) : rc;
}

int store_writing_update(store_t *st, const char *user_id, const char *id, json_t *fields) {
  update_t u = {user_id, id, fields};
  int rc = db_tx(st, "update writing session", update_tx, &u);
  return rc == STORE_CONFLICT ? STORE_ERROR : rc;
}

int store_writing_delete(store_t *st, const char *user_id, const char *id) {
  char *chat = NULL;
  int n = db_query(st, "delete writing session",
                   "DELETE FROM writing_sessions WHERE id = ? AND user_id = ? RETURNING COALESCE(chat_id, '')",
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), db_row_text, &chat);
  if (n > 0 && chat && chat[0]) store_chat_delete(st, user_id, chat);
  free(chat);
  return db_found(n);
}

typedef struct {
  const char *user_id, *id, *content, *author;
  int base, latest, same, saved;
} save_t;

static int read_latest(db_stmt_t *row, void *ctx) {
  save_t *s = ctx;
  s->latest = (int)db_col_int64(row, 0);
  s->same = (int)db_col_int64(row, 1);
  return 1;
}

static int save_tx(db_conn_t *c, void *ctx) {
  save_t *s = ctx;
  int rc = owned(c, s->user_id, s->id);
  if (rc != STORE_OK) return rc;
  if (db_conn_query(c, "latest writing version",
                    "SELECT version, content = ? FROM writing_versions WHERE session_id = ? ORDER BY version DESC "
                    "LIMIT 1",
                    DB_ARGS(DB_TEXT(s->content), DB_TEXT(s->id)), read_latest, s) < 0)
    return STORE_ERROR;
  if (s->base > 0 && s->base != s->latest) return STORE_CONFLICT;
  if (s->same) {
    s->saved = s->latest; /* the same text again: nothing new */
    return STORE_OK;
  }
  return insert_version(c, s->id, s->content, s->author, &s->saved);
}

int store_writing_save(store_t *st, const char *user_id, const char *id, const char *content, const char *author,
                       int base_version, int *version) {
  save_t s = {user_id, id, content, author, base_version, 0, 0, 0};
  int rc = db_tx(st, "save writing version", save_tx, &s);
  if (version && rc == STORE_OK) *version = s.saved;
  if (version && rc == STORE_CONFLICT) *version = s.latest;
  return rc;
}

static json_t *version_summary(db_stmt_t *s) {
  return json_pack("{s:I, s:o, s:o, s:I}", "version", (json_int_t)db_col_int64(s, 0), "author", db_col_json_text(s, 1),
                   "created_at", db_col_json_time(s, 2), "chars", (json_int_t)db_col_int64(s, 3));
}

json_t *store_writing_versions(store_t *st, const char *user_id, const char *id) {
  return owned_rows(st, user_id, id, "writing versions",
                    "SELECT version, author, created_at, length(content) FROM writing_versions WHERE session_id = ? "
                    "ORDER BY version DESC",
                    DB_ARGS(DB_TEXT(id)), version_summary);
}

static json_t *version_full(db_stmt_t *s) {
  return json_pack("{s:I, s:o, s:o, s:o}", "version", (json_int_t)db_col_int64(s, 0), "content", db_col_json_text(s, 1),
                   "author", db_col_json_text(s, 2), "created_at", db_col_json_time(s, 3));
}

json_t *store_writing_version(store_t *st, const char *user_id, const char *id, int version) {
  json_t *arr = owned_rows(st, user_id, id, "writing version",
                           "SELECT version, content, author, created_at FROM writing_versions WHERE session_id = ? "
                           "AND version = ?",
                           DB_ARGS(DB_TEXT(id), DB_INT(version)), version_full);
  json_t *v = json_incref(json_array_get(arr, 0));
  json_decref(arr);
  return v;
}

/* A reference row (n, data) as {...data, "n"}. */
static json_t *ref_from_row(db_stmt_t *s) {
  json_t *o = db_col_json(s, 1);
  if (!json_is_object(o)) {
    json_decref(o);
    o = json_object();
  }
  json_object_set_new(o, "n", json_integer(db_col_int64(s, 0)));
  return o;
}

json_t *store_writing_refs(store_t *st, const char *user_id, const char *id) {
  return owned_rows(st, user_id, id, "writing references",
                    "SELECT n, data FROM writing_references WHERE session_id = ? ORDER BY n", DB_ARGS(DB_TEXT(id)),
                    ref_from_row);
}

typedef struct {
  const char *user_id, *id;
  json_t *data;
  const char *text;
  int n, added;
} ref_add_t;

static double page_of(json_t *ref) {
  json_t *p = json_object_get(ref, "page");
  return json_is_number(p) ? json_number_value(p) : 0;
}

/* Do two references name the same source: the same library document (and
 * page), the same DOI (in any case), or, for a reference outside the
 * library, the same URL? */
static int same_source(json_t *a, json_t *b) {
  const char *doc = json_string_value(json_object_get(a, "document_id"));
  const char *other = json_string_value(json_object_get(b, "document_id"));
  if (doc && other && strcmp(doc, other) == 0 && page_of(a) == page_of(b)) return 1;
  const char *doi = json_string_value(json_object_get(a, "doi"));
  other = json_string_value(json_object_get(b, "doi"));
  if (doi && other && strcasecmp(doi, other) == 0) return 1;
  const char *url = json_string_value(json_object_get(a, "url"));
  other = json_string_value(json_object_get(b, "url"));
  return !doc && url && other && strcmp(url, other) == 0;
}

/* Stops at the first existing reference (in n order) to the new one's source. */
static int find_same(db_stmt_t *row, void *ctx) {
  ref_add_t *r = ctx;
  json_t *data = db_col_json(row, 1);
  if (same_source(r->data, data)) r->n = (int)db_col_int64(row, 0);
  json_decref(data);
  return r->n != 0;
}

static int ref_add_tx(db_conn_t *c, void *ctx) {
  ref_add_t *r = ctx;
  int rc = owned(c, r->user_id, r->id);
  if (rc != STORE_OK) return rc;
  if (db_conn_query(c, "writing references", "SELECT n, data FROM writing_references WHERE session_id = ? ORDER BY n",
                    DB_ARGS(DB_TEXT(r->id)), find_same, r) < 0)
    return STORE_ERROR;
  if (r->n) return STORE_OK;
  int64_t num = 0;
  if (db_conn_query(c, "number writing reference",
                    "UPDATE writing_sessions SET next_ref = next_ref + 1 WHERE id = ? RETURNING next_ref - 1",
                    DB_ARGS(DB_TEXT(r->id)), db_row_int64, &num) != 1)
    return STORE_ERROR;
  int64_t now = util_now_ms();
  rc =
      db_conn_run(c, "insert writing reference",
                  "INSERT INTO writing_references (session_id, n, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                  DB_ARGS(DB_TEXT(r->id), DB_INT(num), DB_TEXT(r->text), DB_INT(now), DB_INT(now)), NULL);
  if (rc == STORE_OK) rc = touch(c, r->id);
  if (rc != STORE_OK) return STORE_ERROR;
  r->n = (int)num;
  r->added = 1;
  return STORE_OK;
}

/* The reference's data as stored: without its number. Caller frees. */
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
  ref_add_t r = {user_id, id, data, d, 0, 0};
  int rc = d ? db_tx(st, "add writing reference", ref_add_tx, &r) : STORE_ERROR;
  free(d);
  if (rc != STORE_OK) return rc == STORE_NOT_FOUND ? rc : STORE_ERROR;
  *n = r.n;
  if (added) *added = r.added;
  return STORE_OK;
}

int store_writing_ref_put(store_t *st, const char *user_id, const char *id, int n, json_t *data) {
  char *d = dump_data(data);
  int rc = d ? db_run_one(st, "update writing reference",
                          "UPDATE writing_references SET data = ?, updated_at = ? WHERE session_id = (SELECT id FROM "
                          "writing_sessions WHERE id = ? AND user_id = ?) AND n = ?",
                          DB_ARGS(DB_TEXT(d), DB_INT(util_now_ms()), DB_TEXT(id), DB_TEXT(user_id), DB_INT(n)), NULL,
                          DB_NOARGS)
             : STORE_ERROR;
  free(d);
  return rc;
}

int store_writing_ref_delete(store_t *st, const char *user_id, const char *id, int n) {
  return db_run_one(st, "delete writing reference",
                    "DELETE FROM writing_references WHERE session_id = (SELECT id FROM writing_sessions WHERE id = ? "
                    "AND user_id = ?) AND n = ?",
                    DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_INT(n)), NULL, DB_NOARGS);
}

static json_t *stats_from_row(db_stmt_t *s) {
  return json_pack("{s:I, s:I, s:f, s:I, s:I}", "model_calls", (json_int_t)db_col_int64(s, 0), "tokens",
                   (json_int_t)db_col_int64(s, 1), "cost_usd", db_col_double(s, 2), "searches",
                   (json_int_t)db_col_int64(s, 3), "web_searches", (json_int_t)0);
}

/* An answer's web search (meta.web, chat.c) that was sent to a provider:
 * answered with results, without, or failed; not "no_provider". */
static int count_web_search(db_stmt_t *s, void *ctx) {
  json_t *meta = db_col_json(s, 0);
  const char *st = json_string_value(json_object_get(json_object_get(meta, "web"), "status"));
  if (st && (!strcmp(st, "ok") || !strcmp(st, "no_results") || !strcmp(st, "failed"))) (*(int64_t *)ctx)++;
  json_decref(meta);
  return 0;
}

json_t *store_writing_stats(store_t *st, const char *user_id, const char *id) {
  /* searches: one library search per question, plus the web searches made */
  json_t *stats = db_query_first(
      st, "writing stats",
      "SELECT (SELECT COUNT(*) FROM llm_calls WHERE chat_id = w.chat_id), (SELECT COALESCE(SUM(prompt_tokens + "
      "completion_tokens), 0) FROM llm_calls WHERE chat_id = w.chat_id), (SELECT COALESCE(SUM(cost_usd), 0.0) FROM "
      "llm_calls WHERE chat_id = w.chat_id), (SELECT COUNT(*) FROM chat_messages WHERE chat_id = w.chat_id AND "
      "role = 'user') FROM writing_sessions w WHERE w.id = ? AND w.user_id = ?",
      DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), stats_from_row);
  int64_t web = 0;
  if (stats && db_query(st, "writing web searches",
                        "SELECT m.meta FROM chat_messages m JOIN writing_sessions w ON w.chat_id = m.chat_id WHERE "
                        "w.id = ? AND w.user_id = ? AND m.role = 'assistant'",
                        DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), count_web_search, &web) >= 0) {
    json_object_set_new(stats, "web_searches", json_integer(web));
    json_object_set_new(stats, "searches", json_integer(json_integer_value(json_object_get(stats, "searches")) + web));
  }
  return stats;
}
