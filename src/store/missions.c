/*
 * missions.c - missions, outline, notes, drafts and reports (schema 005).
 *
 * Every write runs in one BEGIN IMMEDIATE transaction that also appends the
 * caller's events to "mission:ID" (sdb_event_append), so the log of events
 * never disagrees with the rows. Column updates use one fixed statement per
 * column (a whitelist), never SQL assembled from input.
 */
#include "store/missions.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
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

static int append_events(sqlite3 *db, const char *mid, store_mevs_t *evs) {
  if (!evs) return STORE_OK;
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", mid);
  for (size_t i = 0; i < evs->n; i++)
    if (!evs->v[i].seq &&
        sdb_event_append(db, channel, evs->v[i].name, evs->v[i].data, &evs->v[i].seq, &evs->v[i].ts) != STORE_OK)
      return STORE_ERROR;
  return STORE_OK;
}

/* Appends the events and commits, or rolls back; returns rc. */
static int finish(sqlite3 *db, const char *mid, store_mevs_t *evs, int rc) {
  if (rc == STORE_OK) rc = append_events(db, mid, evs);
  if (rc == STORE_OK && sdb_commit(db) != 0) rc = STORE_ERROR;
  if (rc != STORE_OK) {
    sdb_rollback(db);
    if (evs)
      for (size_t i = 0; i < evs->n; i++) evs->v[i].seq = 0;
  }
  return rc;
}

static char *dump(const json_t *j, const char *dflt) {
  return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : util_strdup(dflt);
}

static int step_done(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  int r = sqlite3_step(s);
  if (r != SQLITE_DONE && r != SQLITE_ROW) {
    sdb_log_error(db, what);
    return STORE_ERROR;
  }
  return STORE_OK;
}

/* A row as JSON: *_at columns become ISO strings, JSON columns are parsed. */
static int is_json_col(const char *name) {
  static const char *const cols[] = {"questions", "sources", "settings", "analysis",
                                     "review",    "meta",    "warnings", NULL};
  for (int i = 0; cols[i]; i++)
    if (!strcmp(cols[i], name)) return 1;
  return 0;
}

static json_t *row_json(sqlite3_stmt *s) {
  json_t *o = json_object();
  int n = sqlite3_column_count(s);
  for (int i = 0; i < n; i++) {
    const char *name = sqlite3_column_name(s, i);
    int t = sqlite3_column_type(s, i);
    json_t *v;
    if (t == SQLITE_NULL)
      v = json_null();
    else if (util_ends_with(name, "_at") && t == SQLITE_INTEGER) {
      char ts[40];
      util_iso_time(sqlite3_column_int64(s, i), ts, sizeof ts);
      v = json_string(ts);
    } else if (is_json_col(name)) {
      v = sdb_col_json(s, i);
      if (!v) v = json_null();
    } else if (t == SQLITE_INTEGER)
      v = json_integer(sqlite3_column_int64(s, i));
    else if (t == SQLITE_FLOAT)
      v = json_real(sqlite3_column_double(s, i));
    else
      v = json_string((const char *)sqlite3_column_text(s, i));
    json_object_set_new(o, name, v ? v : json_null());
  }
  return o;
}

static json_t *rows_json(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  json_t *arr = json_array();
  int r;
  while ((r = sqlite3_step(s)) == SQLITE_ROW) json_array_append_new(arr, row_json(s));
  if (r != SQLITE_DONE) {
    sdb_log_error(db, what);
    json_decref(arr);
    return NULL;
  }
  return arr;
}

/* ---- missions ---- */

int store_mission_insert(store_t *st, const store_mission_new_t *m, char *id_out, store_mevs_t *evs) {
  char id[17];
  util_new_id(id);
  char *q = dump(m->questions, "[]"), *src = dump(m->sources, "[]"), *set = dump(m->settings, "{}");
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s =
        sdb_prepare(db,
                    "INSERT INTO missions (id, user_id, title, description, questions, sources, group_id, "
                    "settings, schedule, offline, created_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (s) {
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, m->user_id);
      sdb_bind_text(s, 3, m->title);
      sdb_bind_text(s, 4, m->description ? m->description : "");
      sdb_bind_text(s, 5, q);
      sdb_bind_text(s, 6, src);
      sdb_bind_text(s, 7, m->group_id);
      sdb_bind_text(s, 8, set);
      sdb_bind_text(s, 9, m->schedule);
      sqlite3_bind_int(s, 10, m->offline);
      sqlite3_bind_int64(s, 11, now);
      sqlite3_bind_int64(s, 12, now);
      rc = step_done(db, s, "insert mission");
    }
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
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

int store_mission_get(store_t *st, const char *user_id, const char *id, json_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, MISSION_COLS "WHERE m.id = ?1 AND (?2 IS NULL OR m.user_id = ?2)");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *out = row_json(s);
      rc = STORE_OK;
    } else if (r == SQLITE_DONE)
      rc = STORE_NOT_FOUND;
    else
      sdb_log_error(db, "get mission");
  }
  sdb_release(st, db);
  return rc;
}

json_t *store_mission_list(store_t *st, const char *user_id, int limit, int offset) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(
      db, MISSION_COLS "WHERE (?1 IS NULL OR m.user_id = ?1) ORDER BY m.created_at DESC, m.id LIMIT ?2 OFFSET ?3");
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, user_id);
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int(s, 3, offset);
    arr = rows_json(db, s, "list missions");
  }
  sdb_release(st, db);
  return arr;
}

int store_mission_owner(store_t *st, const char *id, char *owner) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT user_id FROM missions WHERE id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      snprintf(owner, 17, "%s", (const char *)sqlite3_column_text(s, 0));
      rc = STORE_OK;
    } else
      rc = r == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
  }
  sdb_release(st, db);
  return rc;
}

int store_mission_delete(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM missions WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)");
    if (s) {
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, user_id);
      rc = step_done(db, s, "delete mission");
      if (rc == STORE_OK && sqlite3_changes(db) == 0) rc = STORE_NOT_FOUND;
    }
    if (rc == STORE_OK) {
      char channel[64];
      snprintf(channel, sizeof channel, "mission:%s", id);
      sqlite3_stmt *e = sdb_prepare(db, "DELETE FROM events WHERE channel = ?");
      if (e) {
        sdb_bind_text(e, 1, channel);
        rc = step_done(db, e, "delete mission events");
      }
    }
    if (rc == STORE_OK && sdb_commit(db) == 0)
      ;
    else {
      sdb_rollback(db);
      if (rc == STORE_OK) rc = STORE_ERROR;
    }
  }
  sdb_release(st, db);
  return rc;
}

/* Applies the whitelisted fields to the mission row inside a transaction. */
static int apply_fields(sqlite3 *db, const char *id, json_t *fields) {
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
    size_t i;
    for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
      if (!strcmp(cols[i].key, key)) break;
    if (i == sizeof cols / sizeof cols[0]) return STORE_ERROR;
    sqlite3_stmt *s = sdb_prepare(db, cols[i].sql);
    if (!s) return STORE_ERROR;
    if (json_is_null(v))
      sqlite3_bind_null(s, 1);
    else if (cols[i].kind == 0)
      sdb_bind_text(s, 1, json_string_value(v));
    else if (cols[i].kind == 1)
      sqlite3_bind_int64(s, 1, json_integer_value(v));
    else {
      char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      sqlite3_bind_text(s, 1, t, -1, free);
    }
    sdb_bind_text(s, 2, id);
    if (step_done(db, s, "update mission") != STORE_OK) return STORE_ERROR;
  }
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE missions SET updated_at = ? WHERE id = ?");
  if (!s) return STORE_ERROR;
  sqlite3_bind_int64(s, 1, util_now_ms());
  sdb_bind_text(s, 2, id);
  return step_done(db, s, "touch mission");
}

static int check_status(sqlite3 *db, const char *id, const char *const *expect) {
  sqlite3_stmt *s = sdb_prepare(db, "SELECT status FROM missions WHERE id = ?");
  if (!s) return STORE_ERROR;
  sdb_bind_text(s, 1, id);
  int r = sqlite3_step(s);
  if (r == SQLITE_DONE) return STORE_NOT_FOUND;
  if (r != SQLITE_ROW) return STORE_ERROR;
  if (!expect) return STORE_OK;
  const char *cur = (const char *)sqlite3_column_text(s, 0);
  for (int i = 0; expect[i]; i++)
    if (!strcmp(expect[i], cur)) return STORE_OK;
  return STORE_CONFLICT;
}

int store_mission_update(store_t *st, const char *id, const char *const *expect, json_t *fields, store_mevs_t *evs) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = check_status(db, id, expect);
    if (rc == STORE_OK) rc = apply_fields(db, id, fields);
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  return rc;
}

int store_mission_events(store_t *st, const char *id, store_mevs_t *evs) {
  return store_mission_update(st, id, NULL, NULL, evs);
}

int store_mission_add_warning(store_t *st, const char *id, json_t *warning, store_mevs_t *evs) {
  const char *code = json_string_value(json_object_get(warning, "code"));
  const char *msg = json_string_value(json_object_get(warning, "message"));
  const char *sec = json_string_value(json_object_get(warning, "section_id"));
  if (!code || !msg) return STORE_ERROR;
  char *w = json_dumps(warning, JSON_COMPACT);
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "UPDATE missions SET warnings = json_insert(warnings, '$[#]', json(?)) "
                                  "WHERE id = ? AND NOT EXISTS (SELECT 1 FROM json_each(missions.warnings) "
                                  "WHERE json_extract(value, '$.code') = ? AND json_extract(value, '$.message') = ? "
                                  "AND COALESCE(json_extract(value, '$.section_id'), '') = ?)");
    if (s) {
      sdb_bind_text(s, 1, w);
      sdb_bind_text(s, 2, id);
      sdb_bind_text(s, 3, code);
      sdb_bind_text(s, 4, msg);
      sdb_bind_text(s, 5, sec ? sec : "");
      rc = step_done(db, s, "add mission warning");
    }
    if (rc == STORE_OK && sqlite3_changes(db) == 0) {
      rc = STORE_CONFLICT; /* already recorded: no second event */
      sdb_rollback(db);
    } else {
      if (rc == STORE_OK) store_mevs_add(evs, "warning", json_incref(warning));
      rc = finish(db, id, evs, rc);
    }
  }
  sdb_release(st, db);
  free(w);
  return rc;
}

/* ---- outline ---- */

json_t *store_mission_sections(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT id, parent_id, position, title, questions, priority, quality, reflections, "
                                "researched_round FROM mission_sections WHERE mission_id = ? ORDER BY position, id");
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, id);
    arr = rows_json(db, s, "list sections");
  }
  sdb_release(st, db);
  return arr;
}

static json_int_t jint(json_t *o, const char *k, json_int_t d) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? json_integer_value(v) : json_is_real(v) ? (json_int_t)json_real_value(v) : d;
}

int store_mission_set_sections(store_t *st, const char *id, json_t *sections, json_t *fields, store_mevs_t *evs) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = apply_fields(db, id, fields);
    /* Mark all, upsert the given ones, then drop the rest with their notes. */
    sqlite3_stmt *s = rc == STORE_OK ? sdb_prepare(db,
                                                   "UPDATE mission_sections SET position = -1 - position "
                                                   "WHERE mission_id = ?")
                                     : NULL;
    if (s) {
      sdb_bind_text(s, 1, id);
      rc = step_done(db, s, "mark sections");
    } else
      rc = STORE_ERROR;
    size_t i;
    json_t *sec;
    json_array_foreach(sections, i, sec) {
      if (rc != STORE_OK) break;
      json_t *jq = json_object_get(sec, "questions");
      char *q = dump(json_is_array(jq) ? jq : NULL, "[]");
      s = sdb_prepare(db,
                      "INSERT INTO mission_sections (mission_id, id, parent_id, position, title, questions, priority, "
                      "quality, reflections, researched_round) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) "
                      "ON CONFLICT (mission_id, id) DO UPDATE SET parent_id = excluded.parent_id, position = "
                      "excluded.position, title = excluded.title, questions = excluded.questions, priority = "
                      "excluded.priority, quality = CASE WHEN ?11 THEN excluded.quality ELSE quality END, "
                      "reflections = CASE WHEN ?11 THEN excluded.reflections ELSE reflections END, "
                      "researched_round = CASE WHEN ?11 THEN excluded.researched_round ELSE researched_round END");
      if (!s) {
        free(q);
        rc = STORE_ERROR;
        break;
      }
      json_t *jp = json_object_get(sec, "parent_id");
      json_t *jqual = json_object_get(sec, "quality");
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, json_string_value(json_object_get(sec, "id")));
      sdb_bind_text(s, 3, json_is_string(jp) ? json_string_value(jp) : NULL);
      sqlite3_bind_int64(s, 4, jint(sec, "position", (json_int_t)i));
      sdb_bind_text(
          s, 5,
          json_string_value(json_object_get(sec, "title")) ? json_string_value(json_object_get(sec, "title")) : "");
      sdb_bind_text(s, 6, q);
      sqlite3_bind_int64(s, 7, jint(sec, "priority", 1));
      sqlite3_bind_double(s, 8, json_is_number(jqual) ? json_number_value(jqual) : 0);
      sqlite3_bind_int64(s, 9, jint(sec, "reflections", 0));
      sqlite3_bind_int64(s, 10, jint(sec, "researched_round", 0));
      sqlite3_bind_int(s, 11, json_object_get(sec, "researched_round") != NULL);
      rc = step_done(db, s, "upsert section");
      free(q);
    }
    static const char *const drops[] = {
        "DELETE FROM mission_notes WHERE mission_id = ?1 AND section_id IN "
        "(SELECT id FROM mission_sections WHERE mission_id = ?1 AND position < 0)",
        "DELETE FROM mission_drafts WHERE mission_id = ?1 AND section_id IN "
        "(SELECT id FROM mission_sections WHERE mission_id = ?1 AND position < 0)",
        "DELETE FROM mission_sections WHERE mission_id = ?1 AND position < 0"};
    for (int k = 0; k < 3 && rc == STORE_OK; k++) {
      s = sdb_prepare(db, drops[k]);
      if (!s) {
        rc = STORE_ERROR;
        break;
      }
      sdb_bind_text(s, 1, id);
      rc = step_done(db, s, "drop sections");
    }
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  return rc;
}

int store_mission_section_update(store_t *st, const char *id, const char *section_id, json_t *fields,
                                 store_mevs_t *evs) {
  static const struct {
    const char *key, *sql;
  } cols[] = {
      {"quality", "UPDATE mission_sections SET quality = ?1 WHERE mission_id = ?2 AND id = ?3"},
      {"reflections", "UPDATE mission_sections SET reflections = ?1 WHERE mission_id = ?2 AND id = ?3"},
      {"researched_round", "UPDATE mission_sections SET researched_round = ?1 WHERE mission_id = ?2 AND id = ?3"},
      {"title", "UPDATE mission_sections SET title = ?1 WHERE mission_id = ?2 AND id = ?3"},
      {"questions", "UPDATE mission_sections SET questions = ?1 WHERE mission_id = ?2 AND id = ?3"},
  };
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = STORE_OK;
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v) {
      size_t i;
      for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (!strcmp(cols[i].key, key)) break;
      sqlite3_stmt *s = i < sizeof cols / sizeof cols[0] ? sdb_prepare(db, cols[i].sql) : NULL;
      if (!s) {
        rc = STORE_ERROR;
        break;
      }
      if (json_is_string(v))
        sdb_bind_text(s, 1, json_string_value(v));
      else if (json_is_integer(v))
        sqlite3_bind_int64(s, 1, json_integer_value(v));
      else if (json_is_real(v))
        sqlite3_bind_double(s, 1, json_real_value(v));
      else {
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        sqlite3_bind_text(s, 1, t, -1, free);
      }
      sdb_bind_text(s, 2, id);
      sdb_bind_text(s, 3, section_id);
      if ((rc = step_done(db, s, "update section")) != STORE_OK) break;
    }
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  return rc;
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

int store_mission_add_notes(store_t *st, const char *id, const char *section_id, int round, json_t *notes,
                            int *inserted, store_mevs_t *evs) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR, count = 0;
  int64_t now = util_now_ms();
  if (sdb_begin(db) == 0) {
    rc = STORE_OK;
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n) {
      sqlite3_stmt *s = sdb_prepare(db,
                                    "INSERT OR IGNORE INTO mission_notes (id, mission_id, section_id, round, quote, "
                                    "content, context, source_type, source_key, document_id, chunk_id, page, url, "
                                    "source_title, authors, credibility, created_at, year, venue, doi) "
                                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      if (!s) {
        rc = STORE_ERROR;
        break;
      }
#define NS(k) json_string_value(json_object_get(n, k))
      sdb_bind_text(s, 1, NS("id"));
      sdb_bind_text(s, 2, id);
      sdb_bind_text(s, 3, section_id);
      sqlite3_bind_int(s, 4, round);
      sdb_bind_text(s, 5, NS("quote"));
      sdb_bind_text(s, 6, NS("content") ? NS("content") : "");
      sdb_bind_text(s, 7, NS("context") ? NS("context") : "");
      sdb_bind_text(s, 8, NS("source_type"));
      sdb_bind_text(s, 9, NS("source_key"));
      sdb_bind_text(s, 10, NS("document_id"));
      if (json_is_integer(json_object_get(n, "chunk_id")))
        sqlite3_bind_int64(s, 11, json_integer_value(json_object_get(n, "chunk_id")));
      else
        sqlite3_bind_null(s, 11);
      sqlite3_bind_int64(s, 12, jint(n, "page", 0));
      sdb_bind_text(s, 13, NS("url"));
      sdb_bind_text(s, 14, NS("source_title") ? NS("source_title") : "");
      sdb_bind_text(s, 15, NS("authors") ? NS("authors") : "");
      sqlite3_bind_int64(s, 16, jint(n, "credibility", 5));
      sqlite3_bind_int64(s, 17, now);
      sdb_bind_text(s, 18, NS("year")); /* scholarly notes only (schema 013) */
      sdb_bind_text(s, 19, NS("venue"));
      sdb_bind_text(s, 20, NS("doi"));
#undef NS
      if ((rc = step_done(db, s, "insert note")) != STORE_OK) break;
      if (sqlite3_changes(db) == 1) {
        count++;
        if (evs) {
          sqlite3_stmt *g = sdb_prepare(db, NOTE_COLS "WHERE id = ?");
          if (g) {
            sdb_bind_text(g, 1, json_string_value(json_object_get(n, "id")));
            if (sqlite3_step(g) == SQLITE_ROW) {
              json_t *row = row_json(g);
              store_mevs_add(evs, "note_added", json_pack("{s:o}", "note", store_mission_note_json(row)));
              json_decref(row);
            }
            sqlite3_reset(g);
          }
        }
      }
    }
    if (rc == STORE_OK) {
      sqlite3_stmt *s = sdb_prepare(db,
                                    "UPDATE mission_sections SET researched_round = MAX(researched_round, ?1) "
                                    "WHERE mission_id = ?2 AND id = ?3");
      if (s) {
        sqlite3_bind_int(s, 1, round);
        sdb_bind_text(s, 2, id);
        sdb_bind_text(s, 3, section_id);
        rc = step_done(db, s, "section researched");
      } else
        rc = STORE_ERROR;
    }
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  if (inserted) *inserted = rc == STORE_OK ? count : 0;
  return rc;
}

json_t *store_mission_notes(store_t *st, const char *id, const char *section_id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, NOTE_COLS
                                "WHERE mission_id = ?1 AND (?2 IS NULL OR section_id = ?2) "
                                "ORDER BY created_at, rowid");
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, section_id);
    arr = rows_json(db, s, "list notes");
  }
  sdb_release(st, db);
  return arr;
}

static int exec_mid(sqlite3 *db, const char *sql, const char *id, int round) {
  sqlite3_stmt *s = sdb_prepare(db, sql);
  if (!s) return STORE_ERROR;
  sdb_bind_text(s, 1, id);
  if (sqlite3_bind_parameter_count(s) >= 2) sqlite3_bind_int(s, 2, round);
  return step_done(db, s, sql);
}

int store_mission_rewind(store_t *st, const char *id, int round, json_t *fields, store_mevs_t *evs) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = apply_fields(db, id, fields);
    if (rc == STORE_OK) rc = exec_mid(db, "DELETE FROM mission_notes WHERE mission_id = ?1 AND round >= ?2", id, round);
    if (rc == STORE_OK)
      rc = exec_mid(db,
                    "UPDATE mission_sections SET researched_round = MIN(researched_round, ?2 - 1), quality = 0, "
                    "reflections = 0 WHERE mission_id = ?1",
                    id, round);
    if (rc == STORE_OK) rc = exec_mid(db, "DELETE FROM mission_drafts WHERE mission_id = ?1", id, 0);
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  return rc;
}

/* ---- drafts ---- */

int store_mission_put_draft(store_t *st, const char *id, const char *section_id, const char *kind, const char *content,
                            int *version, store_mevs_t *evs) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR, v = 0;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s =
        sdb_prepare(db,
                    "INSERT INTO mission_drafts (mission_id, section_id, version, kind, content, created_at) "
                    "VALUES (?1, ?2, (SELECT COALESCE(MAX(version), 0) + 1 FROM mission_drafts WHERE "
                    "mission_id = ?1 AND section_id = ?2), ?3, ?4, ?5) RETURNING version");
    if (s) {
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, section_id);
      sdb_bind_text(s, 3, kind);
      sdb_bind_text(s, 4, content);
      sqlite3_bind_int64(s, 5, util_now_ms());
      if (sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int(s, 0);
        rc = STORE_OK;
      } else
        sdb_log_error(db, "insert draft");
      sqlite3_reset(s);
    }
    if (rc == STORE_OK && evs)
      store_mevs_add(evs, "draft_updated",
                     json_pack("{s:s, s:i, s:s}", "section_id", section_id, "version", v, "kind", kind));
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  if (version) *version = v;
  return rc;
}

json_t *store_mission_drafts(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT section_id, version, kind, content FROM mission_drafts d WHERE mission_id = ?1 "
                                "AND version = (SELECT MAX(version) FROM mission_drafts x WHERE x.mission_id = ?1 AND "
                                "x.section_id = d.section_id)");
  json_t *o = NULL;
  if (s) {
    sdb_bind_text(s, 1, id);
    json_t *rows = rows_json(db, s, "drafts");
    if (rows) {
      o = json_object();
      size_t i;
      json_t *r;
      json_array_foreach(rows, i, r) json_object_set(o, json_string_value(json_object_get(r, "section_id")), r);
      json_decref(rows);
    }
  }
  sdb_release(st, db);
  return o;
}

int store_mission_delete_drafts(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    rc = exec_mid(db, "DELETE FROM mission_drafts WHERE mission_id = ?1", id, 0);
    rc = finish(db, id, NULL, rc);
  }
  sdb_release(st, db);
  return rc;
}

/* ---- reports ---- */

int store_mission_add_report(store_t *st, const char *id, const char *markdown, json_t *meta, json_t *fields,
                             int *version, store_mevs_t *evs) {
  char *m = dump(meta, "{}");
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR, v = 0;
  if (sdb_begin(db) == 0) {
    rc = apply_fields(db, id, fields);
    sqlite3_stmt *s = rc == STORE_OK ? sdb_prepare(db,
                                                   "INSERT INTO mission_reports (mission_id, version, markdown, "
                                                   "meta, created_at) VALUES (?1, (SELECT COALESCE(MAX(version), "
                                                   "0) + 1 FROM mission_reports WHERE mission_id = ?1), ?2, ?3, ?4) "
                                                   "RETURNING version")
                                     : NULL;
    rc = STORE_ERROR;
    if (s) {
      sdb_bind_text(s, 1, id);
      sdb_bind_text(s, 2, markdown);
      sdb_bind_text(s, 3, m);
      sqlite3_bind_int64(s, 4, util_now_ms());
      if (sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int(s, 0);
        rc = STORE_OK;
      } else
        sdb_log_error(db, "insert report");
      sqlite3_reset(s);
    }
    if (rc == STORE_OK && evs) store_mevs_add(evs, "report_ready", json_pack("{s:i}", "version", v));
    rc = finish(db, id, evs, rc);
  }
  sdb_release(st, db);
  free(m);
  if (version) *version = v;
  return rc;
}

int store_mission_report(store_t *st, const char *id, int version, json_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT version, markdown, meta, created_at FROM mission_reports WHERE mission_id "
                                "= ?1 AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, id);
    sqlite3_bind_int(s, 2, version);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *out = row_json(s);
      rc = STORE_OK;
    } else
      rc = r == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
  }
  sdb_release(st, db);
  return rc;
}

json_t *store_mission_report_versions(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT version, created_at, length(markdown) AS chars, COALESCE(json_extract(meta, "
                                "'$.author'), 'agent') AS author, json_extract(meta, '$.username') AS edited_by "
                                "FROM mission_reports WHERE mission_id = ? ORDER BY version DESC");
  json_t *arr = NULL;
  if (s) {
    sdb_bind_text(s, 1, id);
    arr = rows_json(db, s, "report versions");
  }
  sdb_release(st, db);
  return arr;
}

/* ---- statistics ---- */

json_t *store_mission_stats(store_t *st, const char *user_id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT COUNT(*), SUM(status IN ('queued','running')), SUM(status = 'completed'), "
                                "AVG(CASE WHEN status = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT "
                                "NULL THEN (finished_at - started_at) / 1000.0 END) FROM missions WHERE ?1 IS NULL OR "
                                "user_id = ?1");
  json_t *o = NULL;
  if (s) {
    sdb_bind_text(s, 1, user_id);
    if (sqlite3_step(s) == SQLITE_ROW)
      o = json_pack("{s:I, s:I, s:I, s:f}", "total_missions", (json_int_t)sqlite3_column_int64(s, 0), "active_missions",
                    (json_int_t)sqlite3_column_int64(s, 1), "completed_missions",
                    (json_int_t)sqlite3_column_int64(s, 2), "avg_completion_time", sqlite3_column_double(s, 3));
    else
      sdb_log_error(db, "mission stats");
  }
  sdb_release(st, db);
  return o;
}

int store_mission_count_active(store_t *st) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COUNT(*) FROM missions WHERE status IN ('queued', 'running')");
  int n = -1;
  if (s && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
  sdb_release(st, db);
  return n;
}

json_t *store_missions_due(store_t *st, int64_t now_ms, int64_t period_ms, int limit) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(
      db,
      "SELECT m.id FROM missions m WHERE m.schedule IS NOT NULL AND m.status = 'completed' AND m.finished_at IS NOT "
      "NULL AND m.finished_at + CASE WHEN ?2 > 0 THEN ?2 WHEN m.schedule = 'weekly' THEN 604800000 WHEN m.schedule "
      "= 'monthly' THEN 2592000000 ELSE 7862400000 END <= ?1 AND NOT EXISTS (SELECT 1 FROM missions n WHERE "
      "n.user_id = m.user_id AND json_extract(n.settings, '$.previous_run') = m.id) ORDER BY m.finished_at LIMIT ?3");
  json_t *out = NULL;
  if (s) {
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int64(s, 2, period_ms);
    sqlite3_bind_int(s, 3, limit);
    out = json_array();
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
      json_array_append_new(out, json_string((const char *)sqlite3_column_text(s, 0)));
    if (r != SQLITE_DONE) {
      json_decref(out);
      out = NULL;
    }
  }
  sdb_release(st, db);
  return out;
}
