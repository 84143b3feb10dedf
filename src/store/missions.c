/*
 * missions.c - missions, outline, notes, drafts and reports (schema 005), on
 * either backend through db.h.
 *
 * Every write runs in one transaction (mission_tx) that also appends the
 * caller's events to "mission:ID" (db_event_append), so the log of events
 * never disagrees with the rows. On PostgreSQL the transaction first takes
 * the mission's advisory lock (the one its event channel uses), so the writes
 * of one mission queue up across processes as SQLite's BEGIN IMMEDIATE
 * makes them queue: versions numbered MAX + 1 and the warnings list read and
 * written back stay consistent. Column updates use one fixed statement per
 * column (a whitelist), never SQL assembled from input.
 */
#include "store/missions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/store_internal.h"

/* ---- event lists ---- */

void store_mevs_add(store_mevs_t *l, const char *name, json_t *data) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (!l->v) abort();
  }
  l->v[l->n++] = (store_mev_t){util_strdup(name), data ? data : json_object(), 0, 0};
}

void store_mevs_clear(store_mevs_t *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].name);
    json_decref(l->v[i].data);
  }
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* ---- the write transaction ---- */

static void channel_of(const char *mid, char channel[64]) {
  snprintf(channel, 64, "mission:%s", mid);
}

typedef struct {
  const char *id;
  store_mevs_t *evs;
  int (*body)(db_conn_t *c, void *ctx);
  void *ctx;
} mtx_t;

static int mtx_run(db_conn_t *c, void *p) {
  mtx_t *t = p;
  char channel[64];
  channel_of(t->id, channel);
  int rc = STORE_OK;
  if (db_backend(c) == DB_PG && db_conn_query(c, "lock mission", "SELECT pg_advisory_xact_lock(hashtext(?))",
                                              DB_ARGS(DB_TEXT(channel)), NULL, NULL) != 1)
    rc = STORE_ERROR;
  if (rc == STORE_OK && t->body) rc = t->body(c, t->ctx);
  for (size_t i = 0; rc == STORE_OK && t->evs && i < t->evs->n; i++) {
    store_mev_t *e = &t->evs->v[i];
    if (!e->seq) rc = db_event_append(c, channel, e->name, e->data, &e->seq, &e->ts);
  }
  return rc;
}

/* Runs body (may be NULL) and appends the events in one transaction; on
 * failure nothing is kept and the events' numbers are cleared. */
static int mission_tx(store_t *st, const char *what, const char *id, store_mevs_t *evs,
                      int (*body)(db_conn_t *c, void *ctx), void *ctx) {
  mtx_t t = {id, evs, body, ctx};
  int rc = db_tx(st, what, mtx_run, &t);
  if (rc != STORE_OK && evs)
    for (size_t i = 0; i < evs->n; i++) evs->v[i].seq = 0;
  return rc;
}

static char *dump(const json_t *j, const char *dflt) {
  return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : util_strdup(dflt);
}

static const char *dialect(store_t *st, const char *sqlite_sql, const char *pg_sql) {
  return store_backend(st) == DB_PG ? pg_sql : sqlite_sql;
}

/* ---- rows as JSON: *_at integers become ISO strings, JSON columns are parsed ---- */

static int is_json_col(const char *name) {
  static const char *const cols[] = {"questions", "sources", "settings", "analysis",
                                     "review",    "meta",    "warnings", NULL};
  for (int i = 0; cols[i]; i++)
    if (!strcmp(cols[i], name)) return 1;
  return 0;
}

static json_t *col_json(db_stmt_t *s, int i) {
  const char *name = db_col_name(s, i);
  db_param_kind_t kind = db_col_kind(s, i);
  if (kind == DB_P_NULL) return json_null();
  if (kind == DB_P_INT && util_ends_with(name, "_at")) {
    char ts[40];
    util_iso_time(db_col_int64(s, i), ts, sizeof ts);
    return json_string(ts);
  }
  if (is_json_col(name)) return db_col_json(s, i);
  if (kind == DB_P_INT) return json_integer(db_col_int64(s, i));
  if (kind == DB_P_REAL) return json_real(db_col_double(s, i));
  return json_string(db_col_text_ref(s, i));
}

static json_t *row_json(db_stmt_t *s) {
  json_t *o = json_object();
  for (int i = 0, n = db_col_count(s); i < n; i++) {
    json_t *v = col_json(s, i);
    json_object_set_new(o, db_col_name(s, i), v ? v : json_null());
  }
  return o;
}

static int row_append(db_stmt_t *s, void *arr) {
  json_array_append_new(arr, row_json(s));
  return 0;
}

static int row_first(db_stmt_t *s, void *out) {
  *(json_t **)out = row_json(s);
  return 1;
}

/* Every row as an array (NULL on error). */
static json_t *query_rows(store_t *st, const char *what, const char *sql, const db_param_t *p, int n) {
  json_t *arr = json_array();
  if (db_query(st, what, sql, p, n, row_append, arr) < 0) {
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* The first row into *out: STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int query_row(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, json_t **out) {
  *out = NULL;
  if (db_query(st, what, sql, p, n, row_first, out) < 0) return STORE_ERROR;
  return *out ? STORE_OK : STORE_NOT_FOUND;
}

/* ---- missions ---- */

/* settings.previous_run of a missions row, per dialect (a scheduled run names
 * the run it follows; schema/pg/005 keeps it unique among scheduled missions). */
#define PREV_RUN_SQLITE(t) "json_extract(" t "settings, '$.previous_run')"
#define PREV_RUN_PG(t) "(" t "settings::json ->> 'previous_run')"
#define NEXT_RUN_EXISTS(prev) "SELECT COUNT(*) FROM missions WHERE schedule IS NOT NULL AND " prev " = ?"

typedef struct {
  const store_mission_new_t *m;
  const char *id, *questions, *sources, *settings;
} insert_t;

static int insert_body(db_conn_t *c, void *p) {
  insert_t *a = p;
  const store_mission_new_t *m = a->m;
  const char *prev = json_string_value(json_object_get(m->settings, "previous_run"));
  if (m->schedule && prev) { /* the next run of a scheduled mission is created once */
    int64_t runs = 0;
    if (db_conn_query(c, "next run exists",
                      db_sql(c, NEXT_RUN_EXISTS(PREV_RUN_SQLITE("")), NEXT_RUN_EXISTS(PREV_RUN_PG(""))),
                      DB_ARGS(DB_TEXT(prev)), db_row_int64, &runs) < 0)
      return STORE_ERROR;
    if (runs > 0) return STORE_CONFLICT;
  }
  int64_t now = util_now_ms();
  return db_conn_run(
      c, "insert mission",
      "INSERT INTO missions (id, user_id, title, description, questions, sources, group_id, "
      "settings, schedule, offline, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
      DB_ARGS(DB_TEXT(a->id), DB_TEXT(m->user_id), DB_TEXT(m->title), DB_TEXT(m->description ? m->description : ""),
              DB_TEXT(a->questions), DB_TEXT(a->sources), DB_TEXT(m->group_id), DB_TEXT(a->settings),
              DB_TEXT(m->schedule), DB_INT(m->offline), DB_INT(now), DB_INT(now)),
      NULL);
}

int store_mission_insert(store_t *st, const store_mission_new_t *m, char *id_out, store_mevs_t *evs) {
  char id[17];
  util_new_id(id);
  char *q = dump(m->questions, "[]"), *src = dump(m->sources, "[]"), *set = dump(m->settings, "{}");
  insert_t a = {m, id, q, src, set};
  int rc = mission_tx(st, "insert mission", id, evs, insert_body, &a);
  free(q);
  free(src);
  free(set);
  if (rc == STORE_OK && id_out) memcpy(id_out, id, 17);
  return rc;
}

#define MISSION_COLS                                                                              \
  "SELECT m.*, (SELECT COUNT(*) FROM mission_notes n WHERE n.mission_id = m.id) AS notes_count, " \
  "(SELECT COUNT(*) FROM mission_sections x WHERE x.mission_id = m.id) AS sections_count, "       \
  "(SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.channel = 'mission:' || m.id) AS last_seq FROM missions m "
/* col = ?, or any when the value is NULL (user_id NULL: any user's) */
#define ANY_OR(col) "(CAST(? AS TEXT) IS NULL OR " col " = ?)"

int store_mission_get(store_t *st, const char *user_id, const char *id, json_t **out) {
  return query_row(st, "get mission", MISSION_COLS "WHERE m.id = ? AND " ANY_OR("m.user_id"),
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_TEXT(user_id)), out);
}

json_t *store_mission_list(store_t *st, const char *user_id, int limit, int offset) {
  return query_rows(
      st, "list missions",
      MISSION_COLS "WHERE " ANY_OR("m.user_id") " ORDER BY m.created_at DESC, m.id LIMIT ? OFFSET ?",
      DB_ARGS(DB_TEXT(user_id), DB_TEXT(user_id), DB_INT(limit < 0 ? DB_NO_LIMIT : limit), DB_INT(offset)));
}

int store_mission_owner(store_t *st, const char *id, char *owner) {
  char *u = NULL;
  if (db_query(st, "mission owner", "SELECT user_id FROM missions WHERE id = ?", DB_ARGS(DB_TEXT(id)), db_row_text,
               &u) < 0)
    return STORE_ERROR;
  if (!u) return STORE_NOT_FOUND;
  snprintf(owner, 17, "%s", u);
  free(u);
  return STORE_OK;
}

typedef struct {
  const char *user_id, *id;
} delete_t;

static int delete_body(db_conn_t *c, void *p) {
  delete_t *d = p;
  int64_t n = 0;
  char channel[64];
  channel_of(d->id, channel);
  if (db_conn_run(c, "delete mission", "DELETE FROM missions WHERE id = ? AND " ANY_OR("user_id"),
                  DB_ARGS(DB_TEXT(d->id), DB_TEXT(d->user_id), DB_TEXT(d->user_id)), &n) != STORE_OK)
    return STORE_ERROR;
  if (n == 0) return STORE_NOT_FOUND;
  return db_conn_run(c, "delete mission events", "DELETE FROM events WHERE channel = ?", DB_ARGS(DB_TEXT(channel)),
                     NULL);
}

int store_mission_delete(store_t *st, const char *user_id, const char *id) {
  delete_t d = {user_id, id};
  return mission_tx(st, "delete mission", id, NULL, delete_body, &d);
}

/* Applies the whitelisted fields to the mission row inside a transaction. */
static int apply_fields(db_conn_t *c, const char *id, json_t *fields) {
  static const struct {
    const char *key, *sql;
    int kind; /* 0 text, 1 int, 2 json */
  } cols[] = {
      {"status", "UPDATE missions SET status = ? WHERE id = ?", 0},
      {"phase", "UPDATE missions SET phase = ? WHERE id = ?", 0},
      {"error", "UPDATE missions SET error = ? WHERE id = ?", 0},
      {"outcome", "UPDATE missions SET outcome = ? WHERE id = ?", 0},
      {"round", "UPDATE missions SET round = ? WHERE id = ?", 1},
      {"pass", "UPDATE missions SET pass = ? WHERE id = ?", 1},
      {"offline", "UPDATE missions SET offline = ? WHERE id = ?", 1},
      {"budget_hit", "UPDATE missions SET budget_hit = ? WHERE id = ?", 1},
      {"checked", "UPDATE missions SET checked = ? WHERE id = ?", 1},
      {"supported", "UPDATE missions SET supported = ? WHERE id = ?", 1},
      {"started_at", "UPDATE missions SET started_at = ? WHERE id = ?", 1},
      {"finished_at", "UPDATE missions SET finished_at = ? WHERE id = ?", 1},
      {"analysis", "UPDATE missions SET analysis = ? WHERE id = ?", 2},
      {"review", "UPDATE missions SET review = ? WHERE id = ?", 2},
      {"settings", "UPDATE missions SET settings = ? WHERE id = ?", 2},
  };
  if (!fields) return STORE_OK;
  const char *key;
  json_t *v;
  json_object_foreach(fields, key, v) {
    size_t i = 0;
    while (i < sizeof cols / sizeof cols[0] && strcmp(cols[i].key, key)) i++;
    if (i == sizeof cols / sizeof cols[0]) return STORE_ERROR;
    char *text = NULL;
    db_param_t val = json_is_null(v)     ? DB_NULL
                     : cols[i].kind == 0 ? DB_TEXT(json_string_value(v))
                     : cols[i].kind == 1 ? DB_INT(json_integer_value(v))
                                         : DB_TEXT(text = dump(v, NULL));
    int rc = db_conn_run(c, "update mission", cols[i].sql, DB_ARGS(val, DB_TEXT(id)), NULL);
    free(text);
    if (rc != STORE_OK) return STORE_ERROR;
  }
  return db_conn_run(c, "touch mission", "UPDATE missions SET updated_at = ? WHERE id = ?",
                     DB_ARGS(DB_INT(util_now_ms()), DB_TEXT(id)), NULL);
}

typedef struct {
  const char *id;
  const char *const *expect;
  json_t *fields;
} update_t;

static int update_body(db_conn_t *c, void *p) {
  update_t *u = p;
  char *cur = NULL;
  int n = db_conn_query(c, "mission status", "SELECT status FROM missions WHERE id = ?", DB_ARGS(DB_TEXT(u->id)),
                        db_row_text, &cur);
  int rc = n < 0 ? STORE_ERROR : n == 0 ? STORE_NOT_FOUND : u->expect ? STORE_CONFLICT : STORE_OK;
  for (int i = 0; rc == STORE_CONFLICT && cur && u->expect[i]; i++)
    if (!strcmp(u->expect[i], cur)) rc = STORE_OK;
  free(cur);
  return rc == STORE_OK ? apply_fields(c, u->id, u->fields) : rc;
}

int store_mission_update(store_t *st, const char *id, const char *const *expect, json_t *fields, store_mevs_t *evs) {
  update_t u = {id, expect, fields};
  return mission_tx(st, "update mission", id, evs, update_body, &u);
}

int store_mission_events(store_t *st, const char *id, store_mevs_t *evs) {
  return store_mission_update(st, id, NULL, NULL, evs);
}

typedef struct {
  const char *id;
  json_t *warning;
  store_mevs_t *evs;
} warning_t;

static int same_warning(json_t *a, json_t *b) {
  static const char *const keys[] = {"code", "message", "section_id"};
  for (int i = 0; i < 3; i++) {
    const char *x = json_string_value(json_object_get(a, keys[i]));
    const char *y = json_string_value(json_object_get(b, keys[i]));
    if (strcmp(x ? x : "", y ? y : "")) return 0;
  }
  return 1;
}

/* Reads the list, appends the warning unless recorded, writes it back (the
 * transaction holds the mission: see the header). */
static int warning_body(db_conn_t *c, void *p) {
  warning_t *w = p;
  char *cur = NULL;
  int n = db_conn_query(c, "mission warnings", "SELECT warnings FROM missions WHERE id = ?", DB_ARGS(DB_TEXT(w->id)),
                        db_row_text, &cur);
  json_t *list = cur ? json_loads(cur, 0, NULL) : NULL;
  free(cur);
  int rc = n < 0 ? STORE_ERROR : n == 0 ? STORE_NOT_FOUND : STORE_OK;
  if (rc == STORE_OK && !json_is_array(list)) {
    json_decref(list);
    list = json_array();
  }
  size_t i;
  json_t *old;
  json_array_foreach(list, i, old) if (rc == STORE_OK && same_warning(old, w->warning)) rc = STORE_CONFLICT;
  char *text = NULL;
  if (rc == STORE_OK) {
    json_array_append(list, w->warning);
    text = dump(list, NULL);
    rc = db_conn_run(c, "add mission warning", "UPDATE missions SET warnings = ? WHERE id = ?",
                     DB_ARGS(DB_TEXT(text), DB_TEXT(w->id)), NULL);
  }
  if (rc == STORE_OK && w->evs) store_mevs_add(w->evs, "warning", json_incref(w->warning));
  free(text);
  json_decref(list);
  return rc;
}

int store_mission_add_warning(store_t *st, const char *id, json_t *warning, store_mevs_t *evs) {
  if (!json_string_value(json_object_get(warning, "code")) || !json_string_value(json_object_get(warning, "message")))
    return STORE_ERROR;
  warning_t w = {id, warning, evs};
  return mission_tx(st, "add mission warning", id, evs, warning_body, &w);
}

/* ---- outline ---- */

json_t *store_mission_sections(store_t *st, const char *id) {
  return query_rows(st, "list sections",
                    "SELECT id, parent_id, position, title, questions, priority, quality, reflections, "
                    "researched_round FROM mission_sections WHERE mission_id = ? ORDER BY position, id",
                    DB_ARGS(DB_TEXT(id)));
}

static json_int_t jint(json_t *o, const char *k, json_int_t d) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? json_integer_value(v) : json_is_real(v) ? (json_int_t)json_real_value(v) : d;
}

/* Inserts or updates one section; kept sections keep their counters unless
 * sec sets researched_round. */
static int upsert_section(db_conn_t *c, const char *id, json_t *sec, size_t i) {
  json_t *jq = json_object_get(sec, "questions"), *jqual = json_object_get(sec, "quality");
  const char *title = json_string_value(json_object_get(sec, "title"));
  int counters = json_object_get(sec, "researched_round") != NULL;
  char *q = dump(json_is_array(jq) ? jq : NULL, "[]");
  int rc = db_conn_run(
      c, "upsert section",
      "INSERT INTO mission_sections (mission_id, id, parent_id, position, title, questions, priority, quality, "
      "reflections, researched_round) VALUES (?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT (mission_id, id) DO UPDATE SET parent_id = excluded.parent_id, position = excluded.position, "
      "title = excluded.title, questions = excluded.questions, priority = excluded.priority, "
      "quality = CASE WHEN ? = 1 THEN excluded.quality ELSE mission_sections.quality END, "
      "reflections = CASE WHEN ? = 1 THEN excluded.reflections ELSE mission_sections.reflections END, "
      "researched_round = CASE WHEN ? = 1 THEN excluded.researched_round ELSE mission_sections.researched_round END",
      DB_ARGS(DB_TEXT(id), DB_TEXT(json_string_value(json_object_get(sec, "id"))),
              DB_TEXT(json_string_value(json_object_get(sec, "parent_id"))),
              DB_INT(jint(sec, "position", (json_int_t)i)), DB_TEXT(title ? title : ""), DB_TEXT(q),
              DB_INT(jint(sec, "priority", 1)), DB_REAL(json_is_number(jqual) ? json_number_value(jqual) : 0),
              DB_INT(jint(sec, "reflections", 0)), DB_INT(jint(sec, "researched_round", 0)), DB_INT(counters),
              DB_INT(counters), DB_INT(counters)),
      NULL);
  free(q);
  return rc;
}

typedef struct {
  const char *id;
  json_t *sections, *fields;
} outline_t;

static int outline_body(db_conn_t *c, void *p) {
  outline_t *o = p;
  /* Mark all, upsert the given ones, then drop the rest with their notes. */
  int rc = apply_fields(c, o->id, o->fields);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "mark sections", "UPDATE mission_sections SET position = -1 - position WHERE mission_id = ?",
                     DB_ARGS(DB_TEXT(o->id)), NULL);
  size_t i;
  json_t *sec;
  json_array_foreach(o->sections, i, sec) if (rc == STORE_OK) rc = upsert_section(c, o->id, sec, i);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "drop notes of sections",
                     "DELETE FROM mission_notes WHERE mission_id = ? AND section_id IN "
                     "(SELECT id FROM mission_sections WHERE mission_id = ? AND position < 0)",
                     DB_ARGS(DB_TEXT(o->id), DB_TEXT(o->id)), NULL);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "drop drafts of sections",
                     "DELETE FROM mission_drafts WHERE mission_id = ? AND section_id IN "
                     "(SELECT id FROM mission_sections WHERE mission_id = ? AND position < 0)",
                     DB_ARGS(DB_TEXT(o->id), DB_TEXT(o->id)), NULL);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "drop sections", "DELETE FROM mission_sections WHERE mission_id = ? AND position < 0",
                     DB_ARGS(DB_TEXT(o->id)), NULL);
  return rc;
}

int store_mission_set_sections(store_t *st, const char *id, json_t *sections, json_t *fields, store_mevs_t *evs) {
  outline_t o = {id, sections, fields};
  return mission_tx(st, "set sections", id, evs, outline_body, &o);
}

typedef struct {
  const char *id, *section_id;
  json_t *fields;
} section_t;

static int section_body(db_conn_t *c, void *p) {
  static const struct {
    const char *key, *sql;
  } cols[] = {
      {"quality", "UPDATE mission_sections SET quality = ? WHERE mission_id = ? AND id = ?"},
      {"reflections", "UPDATE mission_sections SET reflections = ? WHERE mission_id = ? AND id = ?"},
      {"researched_round", "UPDATE mission_sections SET researched_round = ? WHERE mission_id = ? AND id = ?"},
      {"title", "UPDATE mission_sections SET title = ? WHERE mission_id = ? AND id = ?"},
      {"questions", "UPDATE mission_sections SET questions = ? WHERE mission_id = ? AND id = ?"},
  };
  section_t *s = p;
  const char *key;
  json_t *v;
  json_object_foreach(s->fields, key, v) {
    size_t i = 0;
    while (i < sizeof cols / sizeof cols[0] && strcmp(cols[i].key, key)) i++;
    if (i == sizeof cols / sizeof cols[0]) return STORE_ERROR;
    char *text = NULL;
    db_param_t val = json_is_string(v)    ? DB_TEXT(json_string_value(v))
                     : json_is_integer(v) ? DB_INT(json_integer_value(v))
                     : json_is_real(v)    ? DB_REAL(json_real_value(v))
                                          : DB_TEXT(text = dump(v, NULL));
    int rc = db_conn_run(c, "update section", cols[i].sql, DB_ARGS(val, DB_TEXT(s->id), DB_TEXT(s->section_id)), NULL);
    free(text);
    if (rc != STORE_OK) return STORE_ERROR;
  }
  return STORE_OK;
}

int store_mission_section_update(store_t *st, const char *id, const char *section_id, json_t *fields,
                                 store_mevs_t *evs) {
  section_t s = {id, section_id, fields};
  return mission_tx(st, "update section", id, evs, section_body, &s);
}

/* ---- notes ---- */

#define NOTE_COLS                                                                                                      \
  "SELECT id, section_id, round, quote, content, context, source_type, source_key, document_id, chunk_id, page, url, " \
  "source_title, authors, credibility, created_at, year, venue, doi FROM mission_notes "

json_t *store_mission_note_json(json_t *row) {
  json_t *n = json_deep_copy(row);
  json_object_del(n, "context");
  json_object_set_new(n, "source",
                      json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "type", json_object_get(row, "source_type"), "title",
                                json_object_get(row, "source_title"), "document_id",
                                json_object_get(row, "document_id"), "url", json_object_get(row, "url"), "page",
                                json_object_get(row, "page"), "credibility", json_object_get(row, "credibility")));
  return n;
}

typedef struct {
  const char *id, *section_id;
  int round, count;
  json_t *notes;
  store_mevs_t *evs;
} notes_t;

static int note_added(db_stmt_t *s, void *evs) {
  json_t *row = row_json(s);
  store_mevs_add(evs, "note_added", json_pack("{s:o}", "note", store_mission_note_json(row)));
  json_decref(row);
  return 1;
}

/* A note the table accepts: id, quote and source key, a known source type
 * (others are skipped, as the duplicates are). */
static int note_valid(json_t *n) {
  const char *type = json_string_value(json_object_get(n, "source_type"));
  return json_is_string(json_object_get(n, "id")) && json_is_string(json_object_get(n, "quote")) &&
         json_is_string(json_object_get(n, "source_key")) && type &&
         (!strcmp(type, "document") || !strcmp(type, "web"));
}

/* Inserts n unless the same note (section, source, quote) exists. */
static int insert_note(db_conn_t *c, notes_t *a, json_t *n, int64_t now) {
#define NS(k) json_string_value(json_object_get(n, k))
#define NS_OR(k, d) (NS(k) ? NS(k) : (d))
  json_t *chunk = json_object_get(n, "chunk_id");
  int64_t added = 0;
  int rc = db_conn_run(
      c, "insert note",
      "INSERT INTO mission_notes (id, mission_id, section_id, round, quote, content, context, source_type, "
      "source_key, document_id, chunk_id, page, url, source_title, authors, credibility, created_at, year, venue, "
      "doi) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
      DB_ARGS(DB_TEXT(NS("id")), DB_TEXT(a->id), DB_TEXT(a->section_id), DB_INT(a->round), DB_TEXT(NS("quote")),
              DB_TEXT(NS_OR("content", "")), DB_TEXT(NS_OR("context", "")), DB_TEXT(NS("source_type")),
              DB_TEXT(NS("source_key")), DB_TEXT(NS("document_id")),
              json_is_integer(chunk) ? DB_INT(json_integer_value(chunk)) : DB_NULL, DB_INT(jint(n, "page", 0)),
              DB_TEXT(NS("url")), DB_TEXT(NS_OR("source_title", "")), DB_TEXT(NS_OR("authors", "")),
              DB_INT(jint(n, "credibility", 5)), DB_INT(now), DB_TEXT(NS("year")), /* scholarly notes (013) */
              DB_TEXT(NS("venue")), DB_TEXT(NS("doi"))),
      &added);
  if (rc != STORE_OK || added != 1) return rc;
  a->count++;
  if (a->evs &&
      db_conn_query(c, "read note", NOTE_COLS "WHERE id = ?", DB_ARGS(DB_TEXT(NS("id"))), note_added, a->evs) < 0)
    return STORE_ERROR;
  return STORE_OK;
#undef NS_OR
#undef NS
}

static int notes_body(db_conn_t *c, void *p) {
  notes_t *a = p;
  int64_t now = util_now_ms();
  int rc = STORE_OK;
  size_t i;
  json_t *n;
  json_array_foreach(a->notes, i, n) if (rc == STORE_OK && note_valid(n)) rc = insert_note(c, a, n, now);
  if (rc != STORE_OK) return rc;
  return db_conn_run(c, "section researched",
                     "UPDATE mission_sections SET researched_round = CASE WHEN researched_round > ? THEN "
                     "researched_round ELSE ? END WHERE mission_id = ? AND id = ?",
                     DB_ARGS(DB_INT(a->round), DB_INT(a->round), DB_TEXT(a->id), DB_TEXT(a->section_id)), NULL);
}

int store_mission_add_notes(store_t *st, const char *id, const char *section_id, int round, json_t *notes,
                            int *inserted, store_mevs_t *evs) {
  notes_t a = {id, section_id, round, 0, notes, evs};
  int rc = mission_tx(st, "add notes", id, evs, notes_body, &a);
  if (inserted) *inserted = rc == STORE_OK ? a.count : 0;
  return rc;
}

json_t *store_mission_notes(store_t *st, const char *id, const char *section_id) {
  return query_rows(st, "list notes",
                    NOTE_COLS "WHERE mission_id = ? AND " ANY_OR("section_id") " ORDER BY created_at, rowid",
                    DB_ARGS(DB_TEXT(id), DB_TEXT(section_id), DB_TEXT(section_id)));
}

typedef struct {
  const char *id;
  int round;
  json_t *fields;
} rewind_t;

static int rewind_body(db_conn_t *c, void *p) {
  rewind_t *r = p;
  int64_t before = r->round - 1;
  int rc = apply_fields(c, r->id, r->fields);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "rewind notes", "DELETE FROM mission_notes WHERE mission_id = ? AND round >= ?",
                     DB_ARGS(DB_TEXT(r->id), DB_INT(r->round)), NULL);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "rewind sections",
                     "UPDATE mission_sections SET researched_round = CASE WHEN researched_round < ? THEN "
                     "researched_round ELSE ? END, quality = 0, reflections = 0 WHERE mission_id = ?",
                     DB_ARGS(DB_INT(before), DB_INT(before), DB_TEXT(r->id)), NULL);
  if (rc == STORE_OK)
    rc = db_conn_run(c, "rewind drafts", "DELETE FROM mission_drafts WHERE mission_id = ?", DB_ARGS(DB_TEXT(r->id)),
                     NULL);
  return rc;
}

int store_mission_rewind(store_t *st, const char *id, int round, json_t *fields, store_mevs_t *evs) {
  rewind_t r = {id, round, fields};
  return mission_tx(st, "rewind mission", id, evs, rewind_body, &r);
}

/* ---- drafts ---- */

typedef struct {
  const char *id, *section_id, *kind, *content, *markdown, *meta;
  json_t *fields;
  int64_t version;
  store_mevs_t *evs;
} version_t;

static int draft_body(db_conn_t *c, void *p) {
  version_t *d = p;
  if (db_conn_query(c, "insert draft",
                    "INSERT INTO mission_drafts (mission_id, section_id, version, kind, content, created_at) "
                    "VALUES (?, ?, (SELECT COALESCE(MAX(version), 0) + 1 FROM mission_drafts WHERE mission_id = ? "
                    "AND section_id = ?), ?, ?, ?) RETURNING version",
                    DB_ARGS(DB_TEXT(d->id), DB_TEXT(d->section_id), DB_TEXT(d->id), DB_TEXT(d->section_id),
                            DB_TEXT(d->kind), DB_TEXT(d->content), DB_INT(util_now_ms())),
                    db_row_int64, &d->version) != 1)
    return STORE_ERROR;
  if (d->evs)
    store_mevs_add(
        d->evs, "draft_updated",
        json_pack("{s:s, s:I, s:s}", "section_id", d->section_id, "version", (json_int_t)d->version, "kind", d->kind));
  return STORE_OK;
}

int store_mission_put_draft(store_t *st, const char *id, const char *section_id, const char *kind, const char *content,
                            int *version, store_mevs_t *evs) {
  version_t d = {.id = id, .section_id = section_id, .kind = kind, .content = content, .evs = evs};
  int rc = mission_tx(st, "put draft", id, evs, draft_body, &d);
  if (version) *version = rc == STORE_OK ? (int)d.version : 0;
  return rc;
}

json_t *store_mission_drafts(store_t *st, const char *id) {
  json_t *rows = query_rows(st, "drafts",
                            "SELECT section_id, version, kind, content FROM mission_drafts d WHERE mission_id = ? "
                            "AND version = (SELECT MAX(version) FROM mission_drafts x WHERE x.mission_id = ? AND "
                            "x.section_id = d.section_id)",
                            DB_ARGS(DB_TEXT(id), DB_TEXT(id)));
  if (!rows) return NULL;
  json_t *o = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) json_object_set(o, json_string_value(json_object_get(r, "section_id")), r);
  json_decref(rows);
  return o;
}

static int drop_drafts_body(db_conn_t *c, void *id) {
  return db_conn_run(c, "delete drafts", "DELETE FROM mission_drafts WHERE mission_id = ?", DB_ARGS(DB_TEXT(id)), NULL);
}

int store_mission_delete_drafts(store_t *st, const char *id) {
  return mission_tx(st, "delete drafts", id, NULL, drop_drafts_body, (void *)id);
}

/* ---- reports ---- */

static int report_body(db_conn_t *c, void *p) {
  version_t *r = p;
  int rc = apply_fields(c, r->id, r->fields);
  if (rc != STORE_OK) return rc;
  if (db_conn_query(
          c, "insert report",
          "INSERT INTO mission_reports (mission_id, version, markdown, meta, created_at) VALUES (?, "
          "(SELECT COALESCE(MAX(version), 0) + 1 FROM mission_reports WHERE mission_id = ?), ?, ?, ?) "
          "RETURNING version",
          DB_ARGS(DB_TEXT(r->id), DB_TEXT(r->id), DB_TEXT(r->markdown), DB_TEXT(r->meta), DB_INT(util_now_ms())),
          db_row_int64, &r->version) != 1)
    return STORE_ERROR;
  if (r->evs) store_mevs_add(r->evs, "report_ready", json_pack("{s:I}", "version", (json_int_t)r->version));
  return STORE_OK;
}

int store_mission_add_report(store_t *st, const char *id, const char *markdown, json_t *meta, json_t *fields,
                             int *version, store_mevs_t *evs) {
  char *m = dump(meta, "{}");
  version_t r = {.id = id, .markdown = markdown, .meta = m, .fields = fields, .evs = evs};
  int rc = mission_tx(st, "add report", id, evs, report_body, &r);
  free(m);
  if (version) *version = rc == STORE_OK ? (int)r.version : 0;
  return rc;
}

int store_mission_report(store_t *st, const char *id, int version, json_t **out) {
  return query_row(st, "get report",
                   "SELECT version, markdown, meta, created_at FROM mission_reports WHERE mission_id = ? AND "
                   "(? = 0 OR version = ?) ORDER BY version DESC LIMIT 1",
                   DB_ARGS(DB_TEXT(id), DB_INT(version), DB_INT(version)), out);
}

#define REPORT_VERSIONS(author, username)                                                                     \
  "SELECT version, created_at, length(markdown) AS chars, COALESCE(" author ", 'agent') AS author, " username \
  " AS edited_by FROM mission_reports WHERE mission_id = ? ORDER BY version DESC"

json_t *store_mission_report_versions(store_t *st, const char *id) {
  return query_rows(st, "report versions",
                    dialect(st, REPORT_VERSIONS("json_extract(meta, '$.author')", "json_extract(meta, '$.username')"),
                            REPORT_VERSIONS("meta::json ->> 'author'", "meta::json ->> 'username'")),
                    DB_ARGS(DB_TEXT(id)));
}

/* ---- statistics ---- */

static int stats_row(db_stmt_t *s, void *out) {
  *(json_t **)out = json_pack("{s:I, s:I, s:I, s:f}", "total_missions", (json_int_t)db_col_int64(s, 0),
                              "active_missions", (json_int_t)db_col_int64(s, 1), "completed_missions",
                              (json_int_t)db_col_int64(s, 2), "avg_completion_time", db_col_double(s, 3));
  return 1;
}

json_t *store_mission_stats(store_t *st, const char *user_id) {
  json_t *o = NULL;
  db_query(st, "mission stats",
           "SELECT COUNT(*), SUM(CASE WHEN status IN ('queued', 'running') THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), AVG(CASE WHEN status = 'completed' AND started_at "
           "IS NOT NULL AND finished_at IS NOT NULL THEN (finished_at - started_at) / 1000.0 END) FROM missions "
           "WHERE " ANY_OR("user_id"),
           DB_ARGS(DB_TEXT(user_id), DB_TEXT(user_id)), stats_row, &o);
  return o;
}

int store_mission_count_active(store_t *st) {
  int64_t n = -1;
  if (db_query(st, "count active missions", "SELECT COUNT(*) FROM missions WHERE status IN ('queued', 'running')",
               DB_NOARGS, db_row_int64, &n) < 0)
    return -1;
  return (int)n;
}

/* ---- schedules ---- */

static int id_append(db_stmt_t *s, void *arr) {
  json_array_append_new(arr, json_string(db_col_text_ref(s, 0)));
  return 0;
}

#define MISSIONS_DUE(prev)                                                                                        \
  "SELECT m.id FROM missions m WHERE m.schedule IS NOT NULL AND m.status = 'completed' AND m.finished_at IS NOT " \
  "NULL AND m.finished_at + CASE WHEN CAST(? AS BIGINT) > 0 THEN CAST(? AS BIGINT) WHEN m.schedule = 'weekly' "   \
  "THEN 604800000 WHEN m.schedule = 'monthly' THEN 2592000000 ELSE 7862400000 END <= ? AND NOT EXISTS (SELECT 1 " \
  "FROM missions n WHERE n.user_id = m.user_id AND " prev " = m.id) ORDER BY m.finished_at LIMIT ?"

json_t *store_missions_due(store_t *st, int64_t now_ms, int64_t period_ms, int limit) {
  json_t *out = json_array();
  if (db_query(st, "missions due", dialect(st, MISSIONS_DUE(PREV_RUN_SQLITE("n.")), MISSIONS_DUE(PREV_RUN_PG("n."))),
               DB_ARGS(DB_INT(period_ms), DB_INT(period_ms), DB_INT(now_ms), DB_INT(limit)), id_append, out) < 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}
