/*
 * What the mission page relies on (issue 10, section 5): a failed mission
 * resumes and loses its old error; an outline saved while paused keeps the
 * mission paused; progress moves during research and reads the same through
 * REST and the live events; calls in flight are announced with their
 * context and listed; completed calls keep their response; the reflector's
 * assessment is kept; document references carry their file name.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mission_support.h"

static json_t *events_of(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *evs = json_incref(json_object_get(r, "events"));
  json_decref(r);
  return evs;
}

static const char *status_of(const char *id) {
  static char s[32];
  json_t *m = ms_get(id, ms_token);
  snprintf(s, sizeof s, "%s", json_string_value(json_object_get(m, "status")));
  json_decref(m);
  return s;
}

Test(missions_page, failed_mission_resumes_and_loses_its_error, .timeout = 180) {
  ms_start(0, "\"status\":429,\"fail_times\":100,", NULL); /* the researcher is throttled until the rules change */
  char *id = ms_create("Fails then resumes", 0, NULL);
  cr_assert(ms_wait_for(id, "failed", NULL, 120), "the mission did not fail");
  json_t *m = ms_get(id, ms_token);
  cr_assert(json_string_value(json_object_get(m, "error")), "a failed mission says why");
  json_decref(m);
  char rules[8192];
  ms_rules(rules, sizeof rules, NULL);
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  ms_post(id, "resume", 200);
  m = ms_get(id, ms_token);
  cr_expect(json_is_null(json_object_get(m, "error")), "the old error is gone once the mission runs again");
  json_decref(m);
  cr_expect(ms_wait_for(id, "completed", NULL, 120), "the resumed mission did not complete");
  m = ms_get(id, ms_token);
  cr_expect(json_is_null(json_object_get(m, "error")));
  cr_expect_eq(json_real_value(json_object_get(m, "progress")), 1.0);
  json_decref(m);
  /* a local document is referenced by its file name, without an access date */
  char *md = ms_report(id, "md");
  const char *refs = strstr(md, "## References");
  cr_assert(refs, "%s", md);
  cr_expect(strstr(refs, "(debian.md)"), "the reference names the file: %s", refs);
  cr_expect_null(strstr(refs, "accessed"), "a local document has no access date: %s", refs);
  free(md);
  free(id);
  ms_stop_all();
}

Test(missions_page, outline_saved_while_paused_stays_paused, .timeout = 180) {
  ms_start(0, "\"delay\":1.0,", NULL);
  char *id = ms_create("Edit while paused", 0, NULL);
  cr_assert(ms_wait_for(id, "running", "research", 60), "mission did not reach research");
  ms_post(id, "pause", 200);
  cr_assert(ms_wait_for(id, "paused", NULL, 10));
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/plan", id);
  json_t *plan = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:[s]}]}", "sections", "id", "s1", "title", "Security support",
                           "questions", "How long is Debian stable supported?", "title", "Mirrors and archives",
                           "questions", "Where do packages come from?");
  long st;
  json_t *r = ts_json(&ms_srv, "PUT", p, ms_token, plan, &st);
  json_decref(plan);
  json_decref(r);
  cr_assert_eq(st, 200);
  cr_expect_str_eq(status_of(id), "paused", "saving the outline does not restart the mission");
  /* give a worker every chance to pick it up: it must not */
  time_t end = time(NULL) + 3;
  while (time(NULL) < end) {
    cr_assert_str_eq(status_of(id), "paused", "the mission restarted on its own after the outline was saved");
    usleep(100000);
  }
  ms_post(id, "resume", 200);
  cr_expect(ms_wait_for(id, "completed", NULL, 120), "the resumed mission did not complete");
  char *md = ms_report(id, "md");
  cr_expect(strstr(md, "## Mirrors and archives"), "the report follows the edited outline: %s", md);
  free(md);
  free(id);
  ms_stop_all();
}

/* Progress during research, one section at a time; calls in flight. */
Test(missions_page, progress_moves_during_research_and_calls_are_announced, .timeout = 180) {
  ms_start(0, "\"delay\":1.2,", NULL);
  char *id = ms_create_with("Progress", json_pack("{s:i, s:i}", "concurrency", 1, "max_rounds", 1), NULL);
  cr_assert(ms_wait_for(id, "running", "research", 60), "mission did not reach research");
  /* while the first researcher call waits, it is listed as in flight */
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/logs", id);
  int seen_in_flight = 0;
  double last = 0, mid = 0;
  time_t end = time(NULL) + 30;
  while (time(NULL) < end) {
    long st;
    json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(r, "logs"), i, l) if (json_is_true(json_object_get(l, "in_flight"))) {
      cr_expect_str_eq(json_string_value(json_object_get(l, "agent")), "researcher");
      cr_expect(json_string_value(json_object_get(l, "section_title")), "an in-flight call names its section");
      seen_in_flight = 1;
    }
    json_decref(r);
    json_t *m = ms_get(id, ms_token);
    double pr = json_real_value(json_object_get(m, "progress"));
    const char *ph = json_string_value(json_object_get(m, "phase"));
    cr_assert_geq(pr, last, "progress went back from %f to %f", last, pr);
    last = pr;
    if (!strcmp(ph, "research") && pr > 0.1 && pr < 0.6) mid = pr;
    int researched = mid > 0;
    json_decref(m);
    if (researched && seen_in_flight) break;
    usleep(50000);
  }
  cr_expect(seen_in_flight, "no call in flight was listed");
  cr_assert_gt(mid, 0.1, "progress did not move during research");
  /* paused between sections: REST and the last live progress agree */
  ms_post(id, "pause", 200);
  cr_assert(ms_wait_for(id, "paused", NULL, 10));
  json_t *m = ms_get(id, ms_token);
  double rest = json_real_value(json_object_get(m, "progress"));
  json_decref(m);
  json_t *evs = events_of(id);
  double live = -1, prev = 0;
  size_t i;
  json_t *e;
  json_array_foreach(evs, i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *pv = json_object_get(json_object_get(e, "data"), "progress");
    if (strcmp(name, "stats") && strcmp(name, "phase")) continue;
    if (!json_is_number(pv)) continue;
    live = json_number_value(pv);
    cr_expect_geq(live, prev, "live progress went back from %f to %f", prev, live);
    prev = live;
  }
  cr_expect_float_eq(rest, live, 1e-9, "REST says %f, the last event %f", rest, live);
  json_decref(evs);
  ms_post(id, "resume", 200);
  cr_expect(ms_wait_for(id, "completed", NULL, 120), "the resumed mission did not complete");
  /* calls announced with their context; answers kept; the reflection kept */
  evs = events_of(id);
  int started = 0, logged = 0, reflection = 0;
  json_array_foreach(evs, i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *d = json_object_get(e, "data");
    const char *agent = json_string_value(json_object_get(d, "agent"));
    if (!strcmp(name, "call_started") && agent && !strcmp(agent, "researcher")) {
      cr_expect(json_string_value(json_object_get(d, "call_key")));
      cr_expect(json_string_value(json_object_get(d, "section_title")));
      cr_expect_eq(json_integer_value(json_object_get(d, "round")), 1);
      cr_expect_gt(json_integer_value(json_object_get(d, "passages")), 0);
      started++;
    }
    if (!strcmp(name, "agent_log") && agent && !strcmp(agent, "researcher")) {
      const char *resp = json_string_value(json_object_get(d, "response"));
      cr_expect(resp && strstr(resp, "notes"), "a researcher call keeps its response");
      cr_expect(json_string_value(json_object_get(d, "section_title")));
      logged++;
    }
    if (!strcmp(name, "reflection")) reflection++;
  }
  /* the call record, read back, keeps the context and the answer */
  long lst;
  json_t *lr = ts_json(&ms_srv, "GET", p, ms_token, NULL, &lst);
  int listed = 0;
  json_array_foreach(json_object_get(lr, "logs"), i, e) {
    cr_expect(!json_is_true(json_object_get(e, "in_flight")), "a finished mission has no call in flight");
    /* (the call cancelled by the pause has no answer) */
    if (strcmp(json_string_value(json_object_get(e, "agent")), "researcher") ||
        strcmp(json_string_value(json_object_get(e, "status")), "ok"))
      continue;
    cr_expect(json_string_value(json_object_get(e, "section_title")), "a listed call names its section");
    cr_expect(json_string_length(json_object_get(e, "response")) > 0, "a listed call keeps its response");
    listed++;
  }
  cr_expect_geq(listed, 2);
  json_decref(lr);
  cr_expect_geq(started, 2);
  cr_expect_geq(logged, 2);
  cr_expect_eq(reflection, 1);
  json_decref(evs);
  m = ms_get(id, ms_token);
  json_t *refl = json_object_get(json_object_get(m, "analysis"), "reflections");
  cr_assert_eq(json_array_size(refl), 1, "the reflector's assessment is kept per round");
  json_t *r1 = json_array_get(refl, 0);
  cr_expect_eq(json_integer_value(json_object_get(r1, "round")), 1);
  json_t *s1 = json_array_get(json_object_get(r1, "sections"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(s1, "title")), "Security support");
  cr_expect_float_eq(json_number_value(json_object_get(s1, "quality")), 0.9, 1e-9);
  cr_expect(json_is_array(json_object_get(s1, "gaps")));
  json_decref(m);
  free(id);
  ms_stop_all();
}
