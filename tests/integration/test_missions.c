/*
 * test_missions.c - research missions end to end: the real server, the ms_fake
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

#include "mission_support.h"

Test(missions, full_mission_via_api, .timeout = 120) {
  ms_start(0, NULL, NULL);
  char *id = ms_create("How Debian keeps systems secure", 0, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 60), "mission did not complete");
  char *md = ms_report(id, "md");
  cr_assert(strstr(md, "## Security support") && strstr(md, "## Package verification"), "%s", md);
  ms_check_citations(md);
  cr_assert(strstr(md, "*(unverified)*"), "unsupported sentence not caught:\n%s", md);
  cr_assert(strstr(md, "4 / 6"), "verification figures missing:\n%s", md);
  cr_assert_null(strstr(md, "No verified evidence"), "a cited report was flagged as without evidence:\n%s", md);
  json_t *row = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "ok");
  json_decref(row);
  ms_check_notes(id);
  ms_check_events(id);
  char *html = ms_report(id, "html");
  cr_assert(strstr(html, "<h2>Security support</h2>"));
  free(html);
  json_t *calls = llmsup_fake_calls(&ms_fake);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  cr_assert_leq(json_integer_value(json_object_get(calls, "total")), 10, "too many model calls");
  json_decref(calls);

  /* user B sees nothing of it */
  long st;
  json_t *nb = json_pack("{s:s, s:s, s:s}", "username", "bob", "password", "bob-pass-123", "role", "researcher");
  json_decref(ts_json(&ms_srv, "POST", "/api/admin/users", ms_token, nb, &st));
  json_decref(nb);
  char *tb = ts_login(&ms_srv, "bob", "bob-pass-123");
  cr_assert(tb);
  cr_assert_null(ms_get(id, tb));
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/pause", id);
  json_t *empty = json_object();
  json_decref(ts_json(&ms_srv, "POST", p, tb, empty, &st));
  json_decref(empty);
  cr_assert_eq(st, 404);
  snprintf(p, sizeof p, "/api/missions/%s/report", id);
  ts_response_t rr = ts_http(&ms_srv, "GET", p, tb, NULL, NULL, 0);
  cr_assert_eq(rr.status, 404);
  ts_response_free(&rr);
  json_t *list = ts_json(&ms_srv, "GET", "/api/missions", tb, NULL, &st);
  cr_assert_eq(json_array_size(json_object_get(list, "missions")), 0);
  json_decref(list);
  free(tb);

  /* replay with the ms_fake stopped gives the same report body */
  llmsup_fake_stop(&ms_fake);
  char *out = NULL;
  const char *env[] = {"MODEL_NAME=fake-model", "OPENAI_BASE_URL=http://127.0.0.1:9/v1", "OPENAI_API_KEY=x", NULL};
  cr_assert_eq(ts_run_cli(ms_srv.dir, env, NULL, &out, "research", "--replay", id, NULL), 0, "replay failed");
  const char *a = strstr(md, "## Introduction"), *b = strstr(out, "## Introduction");
  cr_assert(a && b);
  size_t la = (size_t)(strstr(a, "## Run record") - a), lb = (size_t)(strstr(b, "## Run record") - b);
  /* access dates are the same day; everything before the run record matches */
  cr_assert(la == lb && !memcmp(a, b, la), "replayed report differs:\n%s\n---\n%s", a, b);
  free(out);
  free(md);
  free(id);
  ms_stop_all();
}

Test(missions, offline_mode_without_model, .timeout = 90) {
  ms_start(1, NULL, NULL);
  char *id = ms_create("Debian security offline", 1, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 30));
  char *md = ms_report(id, "md");
  cr_assert(strstr(md, "Offline report"), "%s", md);
  ms_check_citations(md);
  ms_check_notes(id);
  ms_check_events(id);
  free(md);
  free(id);
  ms_stop_all();
}

Test(missions, pause_resume_stop_round_and_plan, .timeout = 120) {
  ms_start(0, "\"delay\":0.4,", NULL);
  char *id = ms_create("Pause me", 0, NULL);
  cr_assert(ms_wait_for(id, "running", "research", 30));
  ms_post(id, "pause", 200);
  cr_assert(ms_wait_for(id, "paused", NULL, 5));
  json_t *calls = llmsup_fake_calls(&ms_fake);
  json_int_t before = json_integer_value(json_object_get(calls, "total"));
  json_decref(calls);
  usleep(1200000);
  json_t *m = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "paused");
  json_decref(m);
  calls = llmsup_fake_calls(&ms_fake);
  cr_assert_leq(json_integer_value(json_object_get(calls, "total")), before + 1, "calls went on while paused");
  json_decref(calls);
  ms_post(id, "resume", 200);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  ms_post(id, "pause", 409);

  /* resume from round 1: a second report version */
  ms_post(id, "resume-round/1", 200);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  ts_response_t v = ts_http(&ms_srv, "GET", "/api/missions/x/report/versions", ms_token, NULL, NULL, 0);
  cr_assert_eq(v.status, 404);
  ts_response_free(&v);
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/report/versions", id);
  long st;
  json_t *vs = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(json_array_size(json_object_get(vs, "versions")), 2);
  json_decref(vs);
  ms_check_notes(id);

  /* edit the outline, then continue: the new section is researched and written */
  json_t *plan = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:[s]}]}", "sections", "id", "s1", "title", "Security support",
                           "questions", "How long is Debian supported?", "title", "Mirrors and downloads", "questions",
                           "Where does apt download packages from?");
  snprintf(p, sizeof p, "/api/missions/%s/plan", id);
  json_t *r = ts_json(&ms_srv, "PUT", p, ms_token, plan, &st);
  cr_assert_eq(st, 200);
  json_decref(r);
  json_decref(plan);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  char *md = ms_report(id, "md");
  cr_assert(strstr(md, "## Mirrors and downloads") && !strstr(md, "## Package verification"), "%s", md);
  free(md);

  /* stop */
  char *id2 = ms_create("Stop me", 0, NULL);
  cr_assert(ms_wait_for(id2, "running", "research", 30));
  ms_post(id2, "stop", 200);
  cr_assert(ms_wait_for(id2, "stopped", NULL, 5));
  ms_post(id2, "resume", 409);
  free(id2);
  free(id);
  ms_stop_all();
}

Test(missions, sigkill_mid_research_then_restart, .timeout = 120) {
  ms_start(0, "\"delay\":0.6,", NULL);
  char *id = ms_create("Crash me", 0, NULL);
  cr_assert(ms_wait_for(id, "running", "research", 30));
  usleep(800000); /* one researcher call is in flight */
  ts_server_kill(&ms_srv);
  json_t *calls = llmsup_fake_calls(&ms_fake);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  json_decref(calls);
  char dir[256];
  snprintf(dir, sizeof dir, "%s", ms_srv.dir);
  char url[128], e1[200];
  llmsup_url(&ms_fake, "/v1", url, sizeof url);
  snprintf(e1, sizeof e1, "OPENAI_BASE_URL=%s", url);
  const char *env[] = {"LLM_MAX_RETRIES=1", "MODEL_NAME=fake-model", e1, "OPENAI_API_KEY=test", NULL};
  cr_assert(ts_server_start_in(&ms_srv, dir, env) == 0);
  free(ms_token);
  ms_token = ts_login(&ms_srv, "admin", "admin-pass-123");
  cr_assert(ms_wait_for(id, "completed", NULL, 60), "mission did not continue after restart");
  ms_check_notes(id);
  ms_check_events(id);
  calls = llmsup_fake_calls(&ms_fake);
  /* the plan was committed before the crash: never asked again */
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1);
  cr_assert_leq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "researcher")), 3);
  json_decref(calls);
  char *md = ms_report(id, "md");
  ms_check_citations(md);
  free(md);
  free(id);
  ms_stop_all();
}

Test(missions, dead_endpoint_fails_then_resumes, .timeout = 120) {
  ms_start(0, "\"status\":429,\"fail_times\":100,", NULL);
  char *id = ms_create("Throttled", 0, NULL);
  cr_assert(ms_wait_for(id, "failed", NULL, 60), "mission did not fail on 429s");
  json_t *m = ms_get(id, ms_token);
  cr_assert(strstr(json_string_value(json_object_get(m, "error")), "research"), "%s",
            json_string_value(json_object_get(m, "error")));
  json_decref(m);
  char r[8192];
  ms_rules(r, sizeof r, NULL);
  cr_assert(llmsup_fake_rules(&ms_fake, r) == 0);
  ms_post(id, "resume", 200);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  free(id);
  ms_stop_all();
}
