/* custom_agents.c - custom agents, their versions and their runs (schema
 * 019), on either backend through db.h. A put is one transaction: read the
 * current version, compare, insert the next version and move the pointer,
 * so two admins saving at once get two versions, never one lost. */
#include "store/custom_agents.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

typedef struct {
  const char *name, *origin, *author;
  json_t *def;
  int64_t version;
  int changed;
} put_t;

static int read_current(db_stmt_t *row, void *ctx) {
  json_t **out = ctx;
  *out = json_pack("{s:I, s:o}", "version", (json_int_t)db_col_int64(row, 0), "definition",
                   db_col_is_null(row, 1) ? json_null() : db_col_json(row, 1));
  return 1;
}

static int put_tx(db_conn_t *c, void *ctx) {
  put_t *p = ctx;
  json_t *cur = NULL;
  if (db_conn_query(c, "read custom agent",
                    "SELECT a.version, v.definition FROM custom_agents a LEFT JOIN custom_agent_versions v "
                    "ON v.name = a.name AND v.version = a.version WHERE a.name = ?",
                    DB_ARGS(DB_TEXT(p->name)), read_current, &cur) < 0)
    return STORE_ERROR;
  int64_t now = util_now_ms();
  if (cur && json_equal(json_object_get(cur, "definition"), p->def)) {
    p->version = json_integer_value(json_object_get(cur, "version"));
    json_decref(cur);
    return STORE_OK;
  }
  p->version = cur ? json_integer_value(json_object_get(cur, "version")) + 1 : 1;
  json_decref(cur);
  char *text = json_dumps(p->def, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text) return STORE_ERROR;
  int rc =
      db_conn_run(c, "upsert custom agent",
                  "INSERT INTO custom_agents (name, version, disabled, origin, created_at, updated_at) "
                  "VALUES (?, ?, 0, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
                  "origin = excluded.origin, updated_at = excluded.updated_at",
                  DB_ARGS(DB_TEXT(p->name), DB_INT(p->version), DB_TEXT(p->origin), DB_INT(now), DB_INT(now)), NULL);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "add custom agent version",
                     "INSERT INTO custom_agent_versions (name, version, definition, author, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     DB_ARGS(DB_TEXT(p->name), DB_INT(p->version), DB_TEXT(text), DB_TEXT(p->author), DB_INT(now)),
                     NULL);
  free(text);
  if (rc != STORE_OK) return STORE_ERROR;
  p->changed = 1;
  return STORE_OK;
}

int store_cagent_put(store_t *st, const char *name, json_t *def, const char *origin, const char *author,
                     int64_t *version, int *changed) {
  put_t p = {.name = name, .origin = origin, .author = author, .def = def};
  int rc = db_tx(st, "put custom agent", put_tx, &p);
  if (version) *version = rc == STORE_OK ? p.version : 0;
  if (changed) *changed = rc == STORE_OK && p.changed;
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

#define AGENT_COLS                                                                                                 \
  "SELECT a.name, v.version, a.disabled, a.origin, a.created_at, a.updated_at, v.definition FROM custom_agents a " \
  "JOIN custom_agent_versions v ON v.name = a.name "

static int read_agent(db_stmt_t *row, void *ctx) {
  json_t *def = db_col_json(row, 6);
  json_array_append_new(ctx,
                        json_pack("{s:s, s:I, s:b, s:s, s:I, s:I, s:o}", "name", db_col_text_ref(row, 0), "version",
                                  (json_int_t)db_col_int64(row, 1), "disabled", db_col_int64(row, 2) != 0, "origin",
                                  db_col_text_ref(row, 3), "created_at", (json_int_t)db_col_int64(row, 4), "updated_at",
                                  (json_int_t)db_col_int64(row, 5), "definition", def ? def : json_object()));
  return 0;
}

json_t *store_cagent_list(store_t *st) {
  json_t *out = json_array();
  if (db_query(st, "list custom agents", AGENT_COLS "AND v.version = a.version ORDER BY a.name", DB_NOARGS, read_agent,
               out) < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

int store_cagent_get(store_t *st, const char *name, int64_t version, json_t **out) {
  *out = NULL;
  json_t *arr = json_array();
  int n = version > 0 ? db_query(st, "get custom agent version", AGENT_COLS "AND v.version = ? WHERE a.name = ?",
                                 DB_ARGS(DB_INT(version), DB_TEXT(name)), read_agent, arr)
                      : db_query(st, "get custom agent", AGENT_COLS "AND v.version = a.version WHERE a.name = ?",
                                 DB_ARGS(DB_TEXT(name)), read_agent, arr);
  if (n < 0) {
    json_decref(arr);
    return STORE_ERROR;
  }
  if (!json_array_size(arr)) {
    json_decref(arr);
    return STORE_NOT_FOUND;
  }
  *out = json_incref(json_array_get(arr, 0));
  json_decref(arr);
  return STORE_OK;
}

static json_t *version_from_row(db_stmt_t *row) {
  json_t *def = db_col_json(row, 1);
  const char *author = db_col_text_ref(row, 2);
  return json_pack("{s:I, s:o, s:s?, s:I}", "version", (json_int_t)db_col_int64(row, 0), "definition",
                   def ? def : json_object(), "author", author, "created_at", (json_int_t)db_col_int64(row, 3));
}

json_t *store_cagent_versions(store_t *st, const char *name) {
  return db_query_array(st, "list custom agent versions",
                        "SELECT version, definition, author, created_at FROM custom_agent_versions WHERE name = ? "
                        "ORDER BY version DESC",
                        DB_ARGS(DB_TEXT(name)), version_from_row);
}

int store_cagent_set_disabled(store_t *st, const char *name, int disabled) {
  int64_t n = 0;
  if (db_run(st, "disable custom agent", "UPDATE custom_agents SET disabled = ?, updated_at = ? WHERE name = ?",
             DB_ARGS(DB_INT(disabled ? 1 : 0), DB_INT(util_now_ms()), DB_TEXT(name)), &n) != STORE_OK)
    return STORE_ERROR;
  return n ? STORE_OK : STORE_NOT_FOUND;
}

int store_cagent_run_put(store_t *st, const char *mission_id, json_t *run) {
  const char *sid = json_string_value(json_object_get(run, "section_id"));
  json_t *out = json_object_get(run, "output");
  char *text = json_is_object(out) ? json_dumps(out, JSON_COMPACT) : NULL;
  int rc = db_run(
      st, "record custom agent run",
      "INSERT INTO custom_agent_runs (mission_id, agent, version, position, section_id, round, status, reason, output, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mission_id, agent, position, section_id, round) "
      "DO UPDATE SET version = excluded.version, status = excluded.status, reason = excluded.reason, "
      "output = excluded.output, created_at = excluded.created_at",
      DB_ARGS(DB_TEXT(mission_id), DB_TEXT(json_string_value(json_object_get(run, "agent"))),
              DB_INT(json_integer_value(json_object_get(run, "version"))),
              DB_TEXT(json_string_value(json_object_get(run, "position"))), DB_TEXT(sid ? sid : ""),
              DB_INT(json_integer_value(json_object_get(run, "round"))),
              DB_TEXT(json_string_value(json_object_get(run, "status"))),
              DB_TEXT(json_string_value(json_object_get(run, "reason"))), DB_TEXT(text), DB_INT(util_now_ms())),
      NULL);
  free(text);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static json_t *run_from_row(db_stmt_t *row) {
  json_t *r = json_pack("{s:s, s:I, s:s, s:I, s:s, s:I}", "agent", db_col_text_ref(row, 0), "version",
                        (json_int_t)db_col_int64(row, 1), "position", db_col_text_ref(row, 2), "round",
                        (json_int_t)db_col_int64(row, 4), "status", db_col_text_ref(row, 5), "created_at",
                        (json_int_t)db_col_int64(row, 8));
  const char *sid = db_col_text_ref(row, 3);
  if (sid && sid[0]) json_object_set_new(r, "section_id", json_string(sid));
  if (!db_col_is_null(row, 6)) json_object_set_new(r, "reason", json_string(db_col_text_ref(row, 6)));
  json_t *out = db_col_json(row, 7);
  if (out) json_object_set_new(r, "output", out);
  return r;
}

json_t *store_cagent_runs(store_t *st, const char *mission_id) {
  return db_query_array(st, "list custom agent runs",
                        "SELECT agent, version, position, section_id, round, status, reason, output, created_at "
                        "FROM custom_agent_runs WHERE mission_id = ? ORDER BY created_at, round, section_id, agent",
                        DB_ARGS(DB_TEXT(mission_id)), run_from_row);
}
