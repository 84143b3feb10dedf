/*
 * The missions store (store/missions.c) on both backends: missions with
 * their owner checks and paging, status transitions with their numbered
 * events, warnings kept once, the outline, notes kept once per section,
 * source and quote, drafts and report versions, statistics, and schedules
 * (the next run of a scheduled mission created once, even by two stores on
 * one database at the same time).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "base/log.h"
#include "base/util.h"
#include "pg.h"
#include "store/db.h"
#include "store/events.h"
#include "store/missions.h"
#include "store/store.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgmissions, .init = quiet);

static void add_user(store_t *st, const char *id) {
  cr_assert_eq(db_run(st, "user",
                      "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                      "VALUES (?, ?, 'x', 'researcher', 0, 0)",
                      DB_ARGS(DB_TEXT(id), DB_TEXT(id)), NULL),
               STORE_OK);
}

/* A queued mission of user with one "status" event; its id into id. */
static void new_mission(store_t *st, const char *user, const char *title, const char *schedule, json_t *settings,
                        char id[17]) {
  json_t *q = json_pack("[s]", "What is it?");
  store_mission_new_t m = {.user_id = user, .title = title, .schedule = schedule, .questions = q, .settings = settings};
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "status", json_pack("{s:s}", "status", "queued"));
  cr_assert_eq(store_mission_insert(st, &m, id, &evs), STORE_OK);
  cr_expect_eq(evs.v[0].seq, 1, "the first event of a mission is number 1");
  store_mevs_clear(&evs);
  json_decref(q);
}

static const char *jstr(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static json_int_t jnum(json_t *o, const char *k) {
  return json_integer_value(json_object_get(o, k));
}

static int64_t last_seq(store_t *st, const char *id) {
  char ch[64];
  snprintf(ch, sizeof ch, "mission:%s", id);
  return store_event_last_seq(st, ch);
}

BOTH_BACKENDS(pgmissions, missions_are_listed_newest_first_and_only_to_their_owner) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[3][17], b[17];
  for (int i = 0; i < 3; i++) {
    char title[16];
    snprintf(title, sizeof title, "Alice %d", i);
    new_mission(st, "alice", title, NULL, NULL, a[i]);
    usleep(3000); /* distinct created_at */
  }
  new_mission(st, "bob", "Bob's", NULL, NULL, b);

  json_t *m = NULL;
  cr_assert_eq(store_mission_get(st, "alice", a[1], &m), STORE_OK);
  cr_expect_str_eq(jstr(m, "title"), "Alice 1");
  cr_expect_str_eq(jstr(m, "status"), "queued");
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(m, "questions"), 0)), "What is it?",
                   "JSON columns come back parsed");
  cr_expect(json_is_object(json_object_get(m, "settings")));
  cr_expect(json_is_string(json_object_get(m, "created_at")), "times are ISO strings");
  cr_expect(json_is_null(json_object_get(m, "started_at")));
  cr_expect_eq(jnum(m, "last_seq"), 1);
  cr_expect_eq(jnum(m, "notes_count"), 0);
  json_decref(m);

  cr_expect_eq(store_mission_get(st, "bob", a[1], &m), STORE_NOT_FOUND, "another user's mission is not found");
  cr_expect_null(m);
  cr_expect_eq(store_mission_get(st, NULL, a[1], &m), STORE_OK, "NULL user: any mission (workers)");
  json_decref(m);
  cr_expect_eq(store_mission_get(st, "alice", "0000000000000000", &m), STORE_NOT_FOUND);

  json_t *page = store_mission_list(st, "alice", 2, 0);
  cr_assert_eq(json_array_size(page), 2);
  cr_expect_str_eq(jstr(json_array_get(page, 0), "id"), a[2], "newest first");
  cr_expect_str_eq(jstr(json_array_get(page, 1), "id"), a[1]);
  json_decref(page);
  page = store_mission_list(st, "alice", 2, 2);
  cr_assert_eq(json_array_size(page), 1);
  cr_expect_str_eq(jstr(json_array_get(page, 0), "id"), a[0]);
  json_decref(page);
  page = store_mission_list(st, "alice", -1, 0);
  cr_expect_eq(json_array_size(page), 3, "no limit");
  json_decref(page);
  page = store_mission_list(st, NULL, 10, 0);
  cr_expect_eq(json_array_size(page), 4, "every user's");
  json_decref(page);

  char owner[17];
  cr_expect_eq(store_mission_owner(st, b, owner), STORE_OK);
  cr_expect_str_eq(owner, "bob");
  cr_expect_eq(store_mission_owner(st, "0000000000000000", owner), STORE_NOT_FOUND);

  cr_expect_eq(store_mission_delete(st, "bob", a[0]), STORE_NOT_FOUND, "bob cannot delete alice's mission");
  cr_expect_eq(store_mission_get(st, NULL, a[0], &m), STORE_OK);
  json_decref(m);
  cr_expect_eq(store_mission_delete(st, "alice", a[0]), STORE_OK);
  cr_expect_eq(store_mission_get(st, NULL, a[0], &m), STORE_NOT_FOUND);
  cr_expect_eq(last_seq(st, a[0]), 0, "its events went with it");
  cr_expect_eq(last_seq(st, a[1]), 1, "the others' stay");
}

BOTH_BACKENDS(pgmissions, status_changes_commit_with_their_numbered_events) {
  add_user(st, "alice");
  char id[17];
  new_mission(st, "alice", "T", NULL, NULL, id);
  cr_expect_eq(store_mission_count_active(st), 1);

  static const char *const queued[] = {"queued", NULL};
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "status", json_pack("{s:s}", "status", "running"));
  store_mevs_add(&evs, "phase", json_pack("{s:s}", "phase", "research"));
  json_t *f = json_pack("{s:s, s:s, s:i, s:I, s:{s:[s]}}", "status", "running", "phase", "research", "round", 1,
                        "started_at", (json_int_t)1700000000000, "analysis", "topics", "debian");
  cr_assert_eq(store_mission_update(st, id, queued, f, &evs), STORE_OK);
  cr_expect_eq(evs.v[0].seq, 2);
  cr_expect_eq(evs.v[1].seq, 3);
  cr_expect(evs.v[1].ts > 0);
  store_mevs_clear(&evs);

  /* a transition from a status the mission is no longer in changes nothing */
  store_mevs_add(&evs, "status", json_pack("{s:s}", "status", "running"));
  json_t *g = json_pack("{s:s}", "status", "failed");
  cr_expect_eq(store_mission_update(st, id, queued, g, &evs), STORE_CONFLICT);
  cr_expect_eq(evs.v[0].seq, 0, "no event for a refused change");
  cr_expect_eq(store_mission_update(st, "0000000000000000", NULL, g, &evs), STORE_NOT_FOUND);
  json_t *bad = json_pack("{s:s}", "user_id", "bob");
  cr_expect_eq(store_mission_update(st, id, NULL, bad, &evs), STORE_ERROR, "only whitelisted columns");
  cr_expect_eq(evs.v[0].seq, 0);
  store_mevs_clear(&evs);
  cr_expect_eq(last_seq(st, id), 3, "refused changes appended nothing");

  json_t *m = NULL;
  cr_assert_eq(store_mission_get(st, "alice", id, &m), STORE_OK);
  cr_expect_str_eq(jstr(m, "status"), "running");
  cr_expect_str_eq(jstr(m, "phase"), "research");
  cr_expect_eq(jnum(m, "round"), 1);
  cr_expect_str_eq(jstr(m, "started_at"), "2023-11-14T22:13:20.000Z");
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(m, "analysis"), "topics"), 0)),
                   "debian");
  json_decref(m);

  /* JSON null clears a column; events alone get the next numbers */
  json_t *clear = json_pack("{s:n}", "analysis");
  cr_expect_eq(store_mission_update(st, id, NULL, clear, NULL), STORE_OK);
  store_mevs_add(&evs, "progress", json_pack("{s:i}", "pct", 50));
  cr_expect_eq(store_mission_events(st, id, &evs), STORE_OK);
  cr_expect_eq(evs.v[0].seq, 4);
  store_mevs_clear(&evs);
  cr_assert_eq(store_mission_get(st, "alice", id, &m), STORE_OK);
  cr_expect(json_is_null(json_object_get(m, "analysis")));
  cr_expect_eq(jnum(m, "last_seq"), 4);
  json_decref(m);

  char ch[64];
  snprintf(ch, sizeof ch, "mission:%s", id);
  json_t *log = store_event_list(st, ch, 0, 10);
  cr_assert_eq(json_array_size(log), 4);
  static const char *const names[] = {"status", "status", "phase", "progress"};
  for (size_t i = 0; i < 4; i++) {
    cr_expect_eq(jnum(json_array_get(log, i), "seq"), (json_int_t)i + 1);
    cr_expect_str_eq(jstr(json_array_get(log, i), "event"), names[i]);
  }
  json_decref(log);
  json_decref(f);
  json_decref(g);
  json_decref(bad);
  json_decref(clear);
}

BOTH_BACKENDS(pgmissions, a_warning_is_kept_once_with_one_event) {
  add_user(st, "alice");
  char id[17];
  new_mission(st, "alice", "T", NULL, NULL, id);
  json_t *w = json_pack("{s:s, s:s, s:s, s:i}", "code", "web_failed", "message", "search is down", "section_id", "s1",
                        "round", 1);
  store_mevs_t evs = {0};
  cr_expect_eq(store_mission_add_warning(st, id, w, &evs), STORE_OK);
  cr_assert_eq(evs.n, 1);
  cr_expect_str_eq(evs.v[0].name, "warning");
  cr_expect_eq(evs.v[0].seq, 2);
  store_mevs_clear(&evs);
  cr_expect_eq(store_mission_add_warning(st, id, w, &evs), STORE_CONFLICT, "the same warning again");
  cr_expect_eq(evs.n, 0, "and no second event");
  json_t *w2 = json_pack("{s:s, s:s}", "code", "web_failed", "message", "search is down");
  cr_expect_eq(store_mission_add_warning(st, id, w2, &evs), STORE_OK, "another section: another warning");
  cr_expect_eq(evs.v[0].seq, 3);
  store_mevs_clear(&evs);
  json_t *nocode = json_pack("{s:s}", "message", "x");
  cr_expect_eq(store_mission_add_warning(st, id, nocode, &evs), STORE_ERROR);
  store_mevs_clear(&evs);
  json_t *m = NULL;
  cr_assert_eq(store_mission_get(st, NULL, id, &m), STORE_OK);
  json_t *ws = json_object_get(m, "warnings");
  cr_assert_eq(json_array_size(ws), 2);
  cr_expect_str_eq(jstr(json_array_get(ws, 0), "section_id"), "s1", "in the order they happened");
  cr_expect_eq(jnum(json_array_get(ws, 0), "round"), 1);
  cr_expect_null(json_object_get(json_array_get(ws, 1), "section_id"));
  json_decref(m);
  json_decref(w);
  json_decref(w2);
  json_decref(nocode);
}

static json_t *note(const char *id, const char *key, const char *quote) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", id, "quote", quote, "content", "c", "source_type",
                   "document", "source_key", key, "document_id", key, "page", 3, "source_title", "Doc");
}

static json_t *ids_of(json_t *rows) {
  json_t *out = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) json_array_append(out, json_object_get(r, "id"));
  return out;
}

BOTH_BACKENDS(pgmissions, the_outline_notes_and_drafts_of_a_mission) {
  add_user(st, "alice");
  char id[17];
  new_mission(st, "alice", "T", NULL, NULL, id);
  json_t *secs =
      json_pack("[{s:s, s:s, s:[s]}, {s:s, s:s, s:s}, {s:s, s:s}]", "id", "s1", "title", "Intro", "questions", "why?",
                "id", "s2", "parent_id", "s1", "title", "Detail", "id", "s3", "title", "Gone later");
  json_t *ph = json_pack("{s:s}", "phase", "outline");
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "outline", NULL);
  cr_assert_eq(store_mission_set_sections(st, id, secs, ph, &evs), STORE_OK);
  cr_expect_eq(evs.v[0].seq, 2);
  store_mevs_clear(&evs);
  json_t *got = store_mission_sections(st, id);
  cr_assert_eq(json_array_size(got), 3);
  cr_expect_str_eq(jstr(json_array_get(got, 1), "parent_id"), "s1");
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(json_array_get(got, 0), "questions"), 0)), "why?");
  json_decref(got);

  json_t *sf = json_pack("{s:f, s:i, s:s}", "quality", 0.75, "reflections", 2, "title", "Introduction");
  cr_expect_eq(store_mission_section_update(st, id, "s1", sf, NULL), STORE_OK);
  json_t *badf = json_pack("{s:s}", "mission_id", "x");
  cr_expect_eq(store_mission_section_update(st, id, "s1", badf, NULL), STORE_ERROR);

  /* notes: the same source and quote twice is one note; ids in insertion order */
  json_t *batch = json_pack("[o, o, o, o]", note("n9", "docA", "Alpha."), note("n1", "docA", "Alpha."),
                            note("n5", "docB", "Alpha."), note("n3", "docA", "Beta."));
  json_object_set_new(json_array_get(batch, 3), "year", json_string("2023"));
  json_object_set_new(json_array_get(batch, 3), "doi", json_string("10.1/x"));
  json_object_set_new(json_array_get(batch, 3), "chunk_id", json_integer(42));
  int inserted = -1;
  cr_assert_eq(store_mission_add_notes(st, id, "s1", 1, batch, &inserted, &evs), STORE_OK);
  cr_expect_eq(inserted, 3);
  cr_assert_eq(evs.n, 3);
  cr_expect_str_eq(evs.v[0].name, "note_added");
  cr_expect_str_eq(jstr(json_object_get(evs.v[0].data, "note"), "id"), "n9");
  cr_expect_str_eq(jstr(json_object_get(json_object_get(evs.v[0].data, "note"), "source"), "title"), "Doc");
  cr_expect_eq(evs.v[2].seq, 5);
  store_mevs_clear(&evs);
  cr_expect_eq(store_mission_add_notes(st, id, "s1", 1, batch, &inserted, &evs), STORE_OK);
  cr_expect_eq(inserted, 0, "already there");
  cr_expect_eq(evs.n, 0);
  /* a quote longer than an index entry is kept once too */
  char *lng = malloc(6001);
  for (int i = 0; i < 6000; i++) lng[i] = (char)('a' + i % 26);
  lng[6000] = 0;
  json_t *longs = json_pack("[o, o, o]", note("L1", "docC", lng), note("L2", "docC", lng), note("L3", "docA", "Beta."));
  json_object_set_new(json_array_get(longs, 2), "source_type", json_string("carrier pigeon"));
  cr_expect_eq(store_mission_add_notes(st, id, "s2", 2, longs, &inserted, NULL), STORE_OK);
  cr_expect_eq(inserted, 1, "one long note; the note of an unknown source type is skipped");
  free(lng);

  json_t *all = store_mission_notes(st, id, NULL), *ids = ids_of(all);
  json_t *want = json_pack("[s, s, s, s]", "n9", "n5", "n3", "L1");
  cr_expect(json_equal(ids, want), "notes in insertion order");
  json_t *n3 = json_array_get(all, 2);
  cr_expect_str_eq(jstr(n3, "year"), "2023");
  cr_expect_str_eq(jstr(n3, "doi"), "10.1/x");
  cr_expect_eq(jnum(n3, "chunk_id"), 42);
  cr_expect_eq(jnum(n3, "page"), 3);
  cr_expect_eq(jnum(n3, "credibility"), 5, "default credibility");
  cr_expect(json_is_string(json_object_get(n3, "created_at")));
  json_decref(all);
  json_decref(ids);
  json_decref(want);
  json_t *s2 = store_mission_notes(st, id, "s2");
  cr_expect_eq(json_array_size(s2), 1);
  json_decref(s2);

  got = store_mission_sections(st, id);
  json_t *s1 = json_array_get(got, 0);
  cr_expect_str_eq(jstr(s1, "title"), "Introduction");
  cr_expect_eq(json_real_value(json_object_get(s1, "quality")), 0.75);
  cr_expect_eq(jnum(s1, "reflections"), 2);
  cr_expect_eq(jnum(s1, "researched_round"), 1, "notes mark the section researched");
  cr_expect_eq(jnum(json_array_get(got, 1), "researched_round"), 2);
  json_decref(got);

  /* drafts: versions per section, the latest is current */
  int v = 0;
  cr_expect_eq(store_mission_put_draft(st, id, "s1", "write", "first", &v, &evs), STORE_OK);
  cr_expect_eq(v, 1);
  cr_expect_eq(store_mission_put_draft(st, id, "s1", "revise", "second", &v, &evs), STORE_OK);
  cr_expect_eq(v, 2);
  cr_expect_eq(store_mission_put_draft(st, id, "s3", "write", "doomed", &v, &evs), STORE_OK);
  cr_expect_eq(v, 1);
  cr_assert_eq(evs.n, 3);
  cr_expect_str_eq(evs.v[1].name, "draft_updated");
  cr_expect_eq(jnum(evs.v[1].data, "version"), 2);
  store_mevs_clear(&evs);
  json_t *d = store_mission_drafts(st, id);
  cr_expect_str_eq(jstr(json_object_get(d, "s1"), "content"), "second");
  cr_expect_str_eq(jstr(json_object_get(d, "s1"), "kind"), "revise");
  cr_expect_eq(jnum(json_object_get(d, "s1"), "version"), 2);
  json_decref(d);

  /* a new outline without s3 drops its notes and drafts; s1 keeps its counters */
  json_t *secs2 = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:i}]", "id", "s2", "title", "Detail first", "id",
                            "s1", "title", "Intro", "id", "s4", "title", "New", "researched_round", 0);
  json_t *more = json_pack("[o]", note("n7", "docD", "Gamma."));
  cr_assert_eq(store_mission_add_notes(st, id, "s3", 1, more, &inserted, NULL), STORE_OK);
  cr_assert_eq(store_mission_set_sections(st, id, secs2, NULL, NULL), STORE_OK);
  got = store_mission_sections(st, id);
  cr_assert_eq(json_array_size(got), 3);
  cr_expect_str_eq(jstr(json_array_get(got, 0), "id"), "s2", "in the new order");
  s1 = json_array_get(got, 1);
  cr_expect_eq(json_real_value(json_object_get(s1, "quality")), 0.75, "kept");
  cr_expect_eq(jnum(s1, "researched_round"), 1, "kept");
  json_decref(got);
  json_t *s3 = store_mission_notes(st, id, "s3");
  cr_expect_eq(json_array_size(s3), 0, "the dropped section's notes are gone");
  json_decref(s3);
  d = store_mission_drafts(st, id);
  cr_expect_null(json_object_get(d, "s3"));
  cr_expect_not_null(json_object_get(d, "s1"));
  json_decref(d);

  /* rewind to round 2: its notes, the drafts and the counters go */
  json_t *rf = json_pack("{s:i}", "round", 1);
  cr_assert_eq(store_mission_rewind(st, id, 2, rf, NULL), STORE_OK);
  all = store_mission_notes(st, id, NULL);
  cr_expect_eq(json_array_size(all), 3, "round 1's notes stay");
  json_decref(all);
  got = store_mission_sections(st, id);
  cr_expect_eq(jnum(json_array_get(got, 0), "researched_round"), 1, "s2 researched in round 2 is back to 1");
  cr_expect_eq(json_real_value(json_object_get(json_array_get(got, 1), "quality")), 0.0);
  json_decref(got);
  d = store_mission_drafts(st, id);
  cr_expect_eq(json_object_size(d), 0);
  json_decref(d);
  cr_expect_eq(store_mission_put_draft(st, id, "s1", "write", "again", &v, NULL), STORE_OK);
  cr_expect_eq(store_mission_delete_drafts(st, id), STORE_OK);
  d = store_mission_drafts(st, id);
  cr_expect_eq(json_object_size(d), 0);
  json_decref(d);
  json_t *m = NULL;
  cr_assert_eq(store_mission_get(st, NULL, id, &m), STORE_OK);
  cr_expect_eq(jnum(m, "notes_count"), 3);
  cr_expect_eq(jnum(m, "sections_count"), 3);
  cr_expect_str_eq(jstr(m, "phase"), "outline");
  json_decref(m);

  json_decref(secs);
  json_decref(ph);
  json_decref(sf);
  json_decref(badf);
  json_decref(batch);
  json_decref(longs);
  json_decref(secs2);
  json_decref(more);
  json_decref(rf);
}

BOTH_BACKENDS(pgmissions, report_versions_say_who_wrote_them) {
  add_user(st, "alice");
  char id[17];
  new_mission(st, "alice", "T", NULL, NULL, id);
  json_t *meta1 = json_pack("{s:i}", "citations", 3);
  store_mevs_t evs = {0};
  int v = 0;
  cr_assert_eq(store_mission_add_report(st, id, "# Report\n", meta1, NULL, &v, &evs), STORE_OK);
  cr_expect_eq(v, 1);
  cr_expect_str_eq(evs.v[0].name, "report_ready");
  cr_expect_eq(evs.v[0].seq, 2);
  store_mevs_clear(&evs);
  json_t *meta2 = json_pack("{s:s, s:s}", "author", "user", "username", "alice");
  json_t *done =
      json_pack("{s:s, s:I, s:s}", "status", "completed", "finished_at", (json_int_t)1700000000000, "outcome", "ok");
  cr_assert_eq(store_mission_add_report(st, id, "# Report, édité\n", meta2, done, &v, NULL), STORE_OK);
  cr_expect_eq(v, 2);

  json_t *r = NULL;
  cr_assert_eq(store_mission_report(st, id, 0, &r), STORE_OK);
  cr_expect_eq(jnum(r, "version"), 2, "0 is the latest");
  cr_expect_str_eq(jstr(r, "markdown"), "# Report, édité\n");
  cr_expect_str_eq(jstr(json_object_get(r, "meta"), "username"), "alice");
  json_decref(r);
  cr_assert_eq(store_mission_report(st, id, 1, &r), STORE_OK);
  cr_expect_eq(jnum(json_object_get(r, "meta"), "citations"), 3);
  json_decref(r);
  cr_expect_eq(store_mission_report(st, id, 9, &r), STORE_NOT_FOUND);

  json_t *vs = store_mission_report_versions(st, id);
  cr_assert_eq(json_array_size(vs), 2);
  json_t *a = json_array_get(vs, 0), *b = json_array_get(vs, 1);
  cr_expect_eq(jnum(a, "version"), 2, "newest first");
  cr_expect_str_eq(jstr(a, "author"), "user");
  cr_expect_str_eq(jstr(a, "edited_by"), "alice");
  cr_expect_eq(jnum(a, "chars"), 16, "characters, not bytes");
  cr_expect_str_eq(jstr(b, "author"), "agent");
  cr_expect(json_is_null(json_object_get(b, "edited_by")));
  cr_expect(json_is_string(json_object_get(b, "created_at")));
  json_decref(vs);
  json_t *m = NULL;
  cr_assert_eq(store_mission_get(st, NULL, id, &m), STORE_OK);
  cr_expect_str_eq(jstr(m, "status"), "completed", "the report and the status change together");
  cr_expect_str_eq(jstr(m, "outcome"), "ok");
  json_decref(m);
  json_decref(meta1);
  json_decref(meta2);
  json_decref(done);
}

BOTH_BACKENDS(pgmissions, statistics_count_each_users_missions) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a1[17], a2[17], a3[17], b1[17];
  new_mission(st, "alice", "1", NULL, NULL, a1);
  new_mission(st, "alice", "2", NULL, NULL, a2);
  new_mission(st, "alice", "3", NULL, NULL, a3);
  new_mission(st, "bob", "4", NULL, NULL, b1);
  json_t *f1 = json_pack("{s:s, s:I, s:I}", "status", "completed", "started_at", (json_int_t)1000000, "finished_at",
                         (json_int_t)1010000);
  json_t *f2 = json_pack("{s:s, s:I, s:I}", "status", "completed", "started_at", (json_int_t)1000000, "finished_at",
                         (json_int_t)1030000);
  json_t *f3 = json_pack("{s:s}", "status", "failed");
  cr_assert_eq(store_mission_update(st, a1, NULL, f1, NULL), STORE_OK);
  cr_assert_eq(store_mission_update(st, a2, NULL, f2, NULL), STORE_OK);
  cr_assert_eq(store_mission_update(st, b1, NULL, f3, NULL), STORE_OK);
  json_t *s = store_mission_stats(st, "alice");
  cr_assert_not_null(s);
  cr_expect_eq(jnum(s, "total_missions"), 3);
  cr_expect_eq(jnum(s, "active_missions"), 1);
  cr_expect_eq(jnum(s, "completed_missions"), 2);
  cr_expect_eq(json_real_value(json_object_get(s, "avg_completion_time")), 20.0);
  json_decref(s);
  s = store_mission_stats(st, NULL);
  cr_expect_eq(jnum(s, "total_missions"), 4);
  json_decref(s);
  s = store_mission_stats(st, "nobody");
  cr_expect_eq(jnum(s, "total_missions"), 0);
  cr_expect_eq(jnum(s, "active_missions"), 0);
  cr_expect_eq(json_real_value(json_object_get(s, "avg_completion_time")), 0.0);
  json_decref(s);
  cr_expect_eq(store_mission_count_active(st), 1);
  json_decref(f1);
  json_decref(f2);
  json_decref(f3);
}

/* ---- schedules ---- */

/* A completed weekly mission of alice that finished `ago` ms before now. */
static void completed_weekly(store_t *st, int64_t now, int64_t ago, char id[17]) {
  new_mission(st, "alice", "Weekly", "weekly", NULL, id);
  json_t *f = json_pack("{s:s, s:I}", "status", "completed", "finished_at", (json_int_t)(now - ago));
  cr_assert_eq(store_mission_update(st, id, NULL, f, NULL), STORE_OK);
  json_decref(f);
}

typedef struct {
  store_t *st;
  pthread_barrier_t *go;
  int64_t now;
  int created, conflicts;
} tick_t;

/* The scheduler's store calls: the due missions, then their next runs
 * (agents_schedule_tick). */
static void *tick(void *p) {
  tick_t *t = p;
  pthread_barrier_wait(t->go);
  json_t *due = store_missions_due(t->st, t->now, 0, 10);
  pthread_barrier_wait(t->go); /* both saw it due before either creates it */
  size_t i;
  json_t *v;
  json_array_foreach(due, i, v) {
    json_t *set = json_pack("{s:O}", "previous_run", v);
    store_mission_new_t m = {.user_id = "alice", .title = "Weekly", .schedule = "weekly", .settings = set};
    char nid[17];
    int rc = store_mission_insert(t->st, &m, nid, NULL);
    if (rc == STORE_OK) t->created++;
    if (rc == STORE_CONFLICT) t->conflicts++;
    json_decref(set);
  }
  json_decref(due);
  return NULL;
}

static store_t *second_store(store_t *st) {
  char err[512];
  const char *where = store_path(st);
  store_t *other = store_backend(st) == DB_PG ? store_open_postgres(where + strlen("postgresql "), err, sizeof err)
                                              : store_open_path(where, err, sizeof err);
  cr_assert_not_null(other, "%s", err);
  return other;
}

BOTH_BACKENDS(pgmissions, a_scheduled_mission_is_due_once_and_its_next_run_created_once) {
  add_user(st, "alice");
  int64_t now = util_now_ms(), day = 86400000;
  char old[17], fresh[17], plain[17];
  completed_weekly(st, now, 8 * day, old);
  completed_weekly(st, now, 2 * day, fresh);
  new_mission(st, "alice", "Once", NULL, NULL, plain);
  json_t *due = store_missions_due(st, now, 0, 10);
  cr_assert_eq(json_array_size(due), 1, "only the one that finished more than a week ago");
  cr_expect_str_eq(json_string_value(json_array_get(due, 0)), old);
  json_decref(due);
  due = store_missions_due(st, now, day, 10);
  cr_expect_eq(json_array_size(due), 2, "a shorter period makes both due");
  cr_expect_str_eq(json_string_value(json_array_get(due, 0)), old, "oldest first");
  json_decref(due);
  due = store_missions_due(st, now, day, 1);
  cr_expect_eq(json_array_size(due), 1, "at most limit");
  json_decref(due);

  /* two schedulers on two stores of one database, at the same moment */
  store_t *other = second_store(st);
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, 2);
  tick_t a = {st, &go, now, 0, 0}, b = {other, &go, now, 0, 0};
  pthread_t ta, tb;
  pthread_create(&ta, NULL, tick, &a);
  pthread_create(&tb, NULL, tick, &b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  pthread_barrier_destroy(&go);
  store_close(other);
  cr_expect_eq(a.created + b.created, 1, "the next run is created once (created %d + %d)", a.created, b.created);
  cr_expect_eq(a.created + a.conflicts + b.created + b.conflicts, 2, "the other scheduler is told it exists");

  int64_t runs = -1;
  cr_assert_eq(db_query(st, "runs", "SELECT COUNT(*) FROM missions WHERE schedule IS NOT NULL AND settings LIKE ?",
                        DB_ARGS(DB_TEXT("%previous_run%")), db_row_int64, &runs),
               1);
  cr_expect_eq(runs, 1);
  due = store_missions_due(st, now, 0, 10);
  cr_expect_eq(json_array_size(due), 0, "no longer due once its next run exists");
  json_decref(due);

  /* a mission that is not scheduled may name a previous run freely */
  json_t *set = json_pack("{s:s}", "previous_run", old);
  store_mission_new_t m = {.user_id = "alice", .title = "Compare", .settings = set};
  char nid[17];
  cr_expect_eq(store_mission_insert(st, &m, nid, NULL), STORE_OK);
  json_decref(set);
}
