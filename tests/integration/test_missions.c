/*
 * test_missions.c - research missions end to end: the real server, the fake
 * model server (tests/fakes/fake_llm.py scripted per agent role) and
 * fixture documents ingested with `maestro ingest`.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llm_support.h"
#include "server_support.h"

static const char DOC[] =
    "# Debian release process\n\n"
    "Debian stable releases are supported for about three years by the security team. After that, the Long Term "
    "Support project extends security support to five years in total.\n\n"
    "# Package management\n\n"
    "The apt tool resolves dependencies and downloads packages from the configured mirrors. Packages are signed, "
    "and apt verifies the signatures with the keys of the archive before installing anything.\n";

/* One rule per agent role; the researcher also proposes a fabricated quote
 * and the writer an unsupported sentence. */
static const char RULES[] =
    "{\"rules\":["
    "{\"name\":\"planner\",\"match\":{\"system\":\"role: planner\"},\"json\":{\"analysis\":{\"type\":\"report\","
    "\"language\":\"en\"},\"sections\":[{\"title\":\"Security support\",\"questions\":[\"How long is Debian stable "
    "supported by the security team?\"],\"priority\":1},{\"title\":\"Package verification\",\"questions\":[\"How "
    "does apt verify package signatures?\"],\"priority\":2}]}},"
    "{\"name\":\"researcher\",\"match\":{\"system\":\"role: researcher\"},%s\"json\":{\"notes\":["
    "{\"passage\":\"P1\",\"quote\":\"Debian stable releases are supported for about three years by the security "
    "team.\",\"summary\":\"three years\",\"credibility\":8},"
    "{\"passage\":\"P1\",\"quote\":\"apt verifies the signatures with the keys of the archive before installing "
    "anything\",\"summary\":\"signatures\",\"credibility\":8},"
    "{\"passage\":\"P1\",\"quote\":\"Debian is maintained by a secret council of wizards.\",\"summary\":\"x\","
    "\"credibility\":9}]}},"
    "{\"name\":\"reflector\",\"match\":{\"system\":\"role: reflector\"},\"json\":{\"sections\":[{\"id\":\"s1\","
    "\"quality\":0.9},{\"id\":\"s2\",\"quality\":0.85}]}},"
    "{\"name\":\"writer\",\"match\":{\"system\":\"role: writer\"},\"text\":\"Debian stable releases are supported "
    "for about three years by the security team [1]. Before installing anything, apt verifies the signatures with "
    "the keys of the archive [2]. The moon is made of green cheese and orbits Jupiter [1].\"},"
    "{\"name\":\"reviewer\",\"match\":{\"system\":\"role: reviewer\"},\"json\":{\"introduction\":\"This report looks "
    "at how Debian keeps systems secure.\",\"conclusion\":\"Debian combines long support with signed packages.\","
    "\"sections\":[{\"id\":\"s1\",\"needs_revision\":false,\"suggestions\":[]}]}},"
    "{\"name\":\"verifier\",\"match\":{\"system\":\"role: verifier\"},\"json\":{\"verdicts\":[{\"id\":1,"
    "\"supported\":true},{\"id\":2,\"supported\":true},{\"id\":3,\"supported\":true}]}}]}";

static llmsup_fake_t fake;
static ts_server_t srv;
static char *token;

static void rules(char *out, size_t n, const char *researcher_extra) {
  snprintf(out, n, RULES, researcher_extra ? researcher_extra : "");
}

/* Starts fake (unless offline) + server, ingests the fixture as admin. */
static void start(int offline, const char *researcher_extra) {
  char url[128], e1[200], r[8192];
  const char *env[8] = {"LLM_MAX_RETRIES=1", "LLM_RETRY_BASE_MS=20", "MODEL_NAME=fake-model", NULL};
  if (!offline) {
    rules(r, sizeof r, researcher_extra);
    cr_assert(llmsup_fake_start(&fake, r) == 0);
    llmsup_url(&fake, "/v1", url, sizeof url);
    snprintf(e1, sizeof e1, "OPENAI_BASE_URL=%s", url);
    env[3] = e1;
    env[4] = "OPENAI_API_KEY=test";
  } else
    env[2] = NULL;
  cr_assert(ts_server_start(&srv, env) == 0, "server did not start");
  char docs[400];
  snprintf(docs, sizeof docs, "%s/docs", srv.dir);
  mkdir(docs, 0755);
  char path[500];
  snprintf(path, sizeof path, "%s/debian.md", docs);
  FILE *f = fopen(path, "w");
  fputs(DOC, f);
  fclose(f);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(srv.dir, env, NULL, &out, "ingest", "--directory", "docs", NULL), 0);
  free(out);
  token = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert(token);
}

static void stop_all(void) {
  ts_server_stop(&srv);
  llmsup_fake_stop(&fake);
  free(token);
  token = NULL;
}

static char *create(const char *title, int offline) {
  json_t *body = json_pack("{s:s, s:[s], s:[s]}", "title", title, "research_questions",
                           "How does Debian keep systems secure?", "sources", "local_documents");
  if (offline) json_object_set_new(body, "settings", json_pack("{s:b}", "offline", 1));
  long st = 0;
  json_t *r = ts_json(&srv, "POST", "/api/missions", token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld", st);
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  return id;
}

static json_t *get_mission(const char *id, const char *tok) {
  char p[128];
  snprintf(p, sizeof p, "/api/missions/%s", id);
  long st;
  json_t *r = ts_json(&srv, "GET", p, tok, NULL, &st);
  return st == 200 ? r : (json_decref(r), NULL);
}

/* Polls until status (or phase when not NULL) matches; returns 1 on time. */
static int wait_for(const char *id, const char *status, const char *phase, int seconds) {
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    json_t *m = get_mission(id, token);
    const char *s = json_string_value(json_object_get(m, "status"));
    const char *ph = json_string_value(json_object_get(m, "phase"));
    int ok = s && (status ? !strcmp(s, status) : 1) && (!phase || (ph && !strcmp(ph, phase)));
    json_decref(m);
    if (ok) return 1;
    usleep(50000);
  }
  return 0;
}

static char *report(const char *id, const char *fmt) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/report?format=%s", id, fmt);
  ts_response_t r = ts_http(&srv, "GET", p, token, NULL, NULL, 0);
  cr_assert_eq(r.status, 200, "report: %ld %s", r.status, r.body);
  char *b = strdup(r.body);
  ts_response_free(&r);
  return b;
}

static void post(const char *id, const char *action, long want) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/%s", id, action);
  long st;
  json_t *r = ts_json(&srv, "POST", p, token, json_object(), &st);
  cr_assert_eq(st, want, "%s: %ld", action, st);
  json_decref(r);
}

/* Every [n] of the body has a reference line "n. ". */
static void check_citations(const char *md) {
  const char *refs = strstr(md, "## References");
  cr_assert(refs, "no reference list");
  int cited = 0;
  for (const char *p = md; p < refs; p++) {
    if (*p != '[') continue;
    char *end;
    long n = strtol(p + 1, &end, 10);
    if (end == p + 1 || *end != ']') continue;
    char line[32];
    snprintf(line, sizeof line, "\n%ld. ", n);
    cr_assert(strstr(refs, line), "citation [%ld] has no reference", n);
    cited++;
  }
  cr_assert_gt(cited, 0);
}

static void check_events(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  long st;
  json_t *r = ts_json(&srv, "GET", p, token, NULL, &st);
  json_t *evs = json_object_get(r, "events");
  cr_assert_gt(json_array_size(evs), 5);
  const char *need[] = {"status", "phase", "plan_updated", "note_added", "draft_updated", "stats", "report_ready"};
  int seen[7] = {0};
  size_t i;
  json_t *e;
  json_array_foreach(evs, i, e) {
    cr_assert_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1, "gap in the event sequence");
    for (int k = 0; k < 7; k++)
      if (!strcmp(json_string_value(json_object_get(e, "event")), need[k])) seen[k] = 1;
  }
  for (int k = 0; k < 7; k++) cr_assert(seen[k], "no %s event", need[k]);
  json_decref(r);
}

static json_t *notes_of(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/notes", id);
  long st;
  json_t *r = ts_json(&srv, "GET", p, token, NULL, &st);
  json_t *n = json_incref(json_object_get(r, "notes"));
  json_decref(r);
  return n;
}

static void check_notes(const char *id) {
  json_t *notes = notes_of(id);
  cr_assert_gt(json_array_size(notes), 0);
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *q = json_string_value(json_object_get(n, "quote"));
    char *flat = strdup(q);
    cr_assert(strstr(DOC, flat), "quote not in its source: %s", q);
    cr_assert_null(strstr(q, "wizards"), "a fabricated quote was kept");
    free(flat);
    for (size_t k = i + 1; k < json_array_size(notes); k++) {
      json_t *o = json_array_get(notes, k);
      cr_assert(strcmp(json_string_value(json_object_get(o, "quote")), q) ||
                    strcmp(json_string_value(json_object_get(o, "section_id")),
                           json_string_value(json_object_get(n, "section_id"))),
                "duplicate note");
    }
  }
  json_decref(notes);
}

Test(missions, full_mission_via_api, .timeout = 120) {
  start(0, NULL);
  char *id = create("How Debian keeps systems secure", 0);
  cr_assert(wait_for(id, "completed", NULL, 60), "mission did not complete");
  char *md = report(id, "md");
  cr_assert(strstr(md, "## Security support") && strstr(md, "## Package verification"), "%s", md);
  check_citations(md);
  cr_assert(strstr(md, "*(unverified)*"), "unsupported sentence not caught:\n%s", md);
  cr_assert(strstr(md, "4 / 6"), "verification figures missing:\n%s", md);
  check_notes(id);
  check_events(id);
  char *html = report(id, "html");
  cr_assert(strstr(html, "<h2>Security support</h2>"));
  free(html);
  json_t *calls = llmsup_fake_calls(&fake);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  cr_assert_leq(json_integer_value(json_object_get(calls, "total")), 10, "too many model calls");
  json_decref(calls);

  /* user B sees nothing of it */
  long st;
  json_t *u =
      ts_json(&srv, "POST", "/api/admin/users", token,
              json_pack("{s:s, s:s, s:s}", "username", "bob", "password", "bob-pass-123", "role", "researcher"), &st);
  json_decref(u);
  char *tb = ts_login(&srv, "bob", "bob-pass-123");
  cr_assert(tb);
  cr_assert_null(get_mission(id, tb));
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/pause", id);
  json_decref(ts_json(&srv, "POST", p, tb, json_object(), &st));
  cr_assert_eq(st, 404);
  snprintf(p, sizeof p, "/api/missions/%s/report", id);
  ts_response_t rr = ts_http(&srv, "GET", p, tb, NULL, NULL, 0);
  cr_assert_eq(rr.status, 404);
  ts_response_free(&rr);
  json_t *list = ts_json(&srv, "GET", "/api/missions", tb, NULL, &st);
  cr_assert_eq(json_array_size(json_object_get(list, "missions")), 0);
  json_decref(list);
  free(tb);

  /* replay with the fake stopped gives the same report body */
  llmsup_fake_stop(&fake);
  char *out = NULL;
  const char *env[] = {"MODEL_NAME=fake-model", "OPENAI_BASE_URL=http://127.0.0.1:9/v1", "OPENAI_API_KEY=x", NULL};
  cr_assert_eq(ts_run_cli(srv.dir, env, NULL, &out, "research", "--replay", id, NULL), 0, "replay failed");
  const char *a = strstr(md, "## Introduction"), *b = strstr(out, "## Introduction");
  cr_assert(a && b);
  size_t la = (size_t)(strstr(a, "## Run record") - a), lb = (size_t)(strstr(b, "## Run record") - b);
  /* access dates are the same day; everything before the run record matches */
  cr_assert(la == lb && !memcmp(a, b, la), "replayed report differs:\n%s\n---\n%s", a, b);
  free(out);
  free(md);
  free(id);
  stop_all();
}

Test(missions, offline_mode_without_model, .timeout = 90) {
  start(1, NULL);
  char *id = create("Debian security offline", 1);
  cr_assert(wait_for(id, "completed", NULL, 30));
  char *md = report(id, "md");
  cr_assert(strstr(md, "Offline report"), "%s", md);
  check_citations(md);
  check_notes(id);
  check_events(id);
  free(md);
  free(id);
  stop_all();
}

Test(missions, pause_resume_stop_round_and_plan, .timeout = 120) {
  start(0, "\"delay\":0.4,");
  char *id = create("Pause me", 0);
  cr_assert(wait_for(id, "running", "research", 30));
  post(id, "pause", 200);
  cr_assert(wait_for(id, "paused", NULL, 5));
  json_t *calls = llmsup_fake_calls(&fake);
  json_int_t before = json_integer_value(json_object_get(calls, "total"));
  json_decref(calls);
  usleep(1200000);
  json_t *m = get_mission(id, token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "paused");
  json_decref(m);
  calls = llmsup_fake_calls(&fake);
  cr_assert_leq(json_integer_value(json_object_get(calls, "total")), before + 1, "calls went on while paused");
  json_decref(calls);
  post(id, "resume", 200);
  cr_assert(wait_for(id, "completed", NULL, 60));
  post(id, "pause", 409);

  /* resume from round 1: a second report version */
  post(id, "resume-round/1", 200);
  cr_assert(wait_for(id, "completed", NULL, 60));
  ts_response_t v = ts_http(&srv, "GET", "/api/missions/x/report/versions", token, NULL, NULL, 0);
  cr_assert_eq(v.status, 404);
  ts_response_free(&v);
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/report/versions", id);
  long st;
  json_t *vs = ts_json(&srv, "GET", p, token, NULL, &st);
  cr_assert_eq(json_array_size(json_object_get(vs, "versions")), 2);
  json_decref(vs);
  check_notes(id);

  /* edit the outline, then continue: the new section is researched and written */
  json_t *plan = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:[s]}]}", "sections", "id", "s1", "title", "Security support",
                           "questions", "How long is Debian supported?", "title", "Mirrors and downloads", "questions",
                           "Where does apt download packages from?");
  snprintf(p, sizeof p, "/api/missions/%s/plan", id);
  json_t *r = ts_json(&srv, "PUT", p, token, plan, &st);
  cr_assert_eq(st, 200);
  json_decref(r);
  json_decref(plan);
  cr_assert(wait_for(id, "completed", NULL, 60));
  char *md = report(id, "md");
  cr_assert(strstr(md, "## Mirrors and downloads") && !strstr(md, "## Package verification"), "%s", md);
  free(md);

  /* stop */
  char *id2 = create("Stop me", 0);
  cr_assert(wait_for(id2, "running", "research", 30));
  post(id2, "stop", 200);
  cr_assert(wait_for(id2, "stopped", NULL, 5));
  post(id2, "resume", 409);
  free(id2);
  free(id);
  stop_all();
}

Test(missions, sigkill_mid_research_then_restart, .timeout = 120) {
  start(0, "\"delay\":0.6,");
  char *id = create("Crash me", 0);
  cr_assert(wait_for(id, "running", "research", 30));
  usleep(800000); /* one researcher call is in flight */
  ts_server_kill(&srv);
  json_t *calls = llmsup_fake_calls(&fake);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  json_decref(calls);
  char dir[256];
  snprintf(dir, sizeof dir, "%s", srv.dir);
  char url[128], e1[200];
  llmsup_url(&fake, "/v1", url, sizeof url);
  snprintf(e1, sizeof e1, "OPENAI_BASE_URL=%s", url);
  const char *env[] = {"LLM_MAX_RETRIES=1", "MODEL_NAME=fake-model", e1, "OPENAI_API_KEY=test", NULL};
  cr_assert(ts_server_start_in(&srv, dir, env) == 0);
  free(token);
  token = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert(wait_for(id, "completed", NULL, 60), "mission did not continue after restart");
  check_notes(id);
  check_events(id);
  calls = llmsup_fake_calls(&fake);
  /* the plan was committed before the crash: never asked again */
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  cr_assert_leq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "researcher")), 3);
  json_decref(calls);
  char *md = report(id, "md");
  check_citations(md);
  free(md);
  free(id);
  stop_all();
}

Test(missions, dead_endpoint_fails_then_resumes, .timeout = 120) {
  start(0, "\"status\":429,\"fail_times\":100,");
  char *id = create("Throttled", 0);
  cr_assert(wait_for(id, "failed", NULL, 60), "mission did not fail on 429s");
  json_t *m = get_mission(id, token);
  cr_assert(strstr(json_string_value(json_object_get(m, "error")), "research"), "%s",
            json_string_value(json_object_get(m, "error")));
  json_decref(m);
  char r[8192];
  rules(r, sizeof r, NULL);
  cr_assert(llmsup_fake_rules(&fake, r) == 0);
  post(id, "resume", 200);
  cr_assert(wait_for(id, "completed", NULL, 60));
  free(id);
  stop_all();
}
