/*
 * test_missions_evidence.c - a mission never calls nothing a success.
 *
 * What a user without a model, with a library that does not cover the
 * question and with web search ticked but no provider gets: the mission
 * completes with outcome "no_evidence" (not a plain "ok"), every skipped
 * step is a warning (in the mission row, as a live "warning" event, in the
 * report's run record), the report opens with a "No verified evidence"
 * banner, and `maestro research` exits with status 3.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "mission_support.h"

/* The codes of the mission's warnings, comma-joined (malloc'd). */
static char *warning_codes(json_t *row) {
  char buf[1024] = "";
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(row, "warnings"), i, w) {
    cr_assert(json_string_length(json_object_get(w, "message")) > 10, "a warning without words");
    strncat(buf, json_string_value(json_object_get(w, "code")), sizeof buf - strlen(buf) - 2);
    strncat(buf, ",", sizeof buf - strlen(buf) - 1);
  }
  return strdup(buf);
}

static int count_events(const char *id, const char *name) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=1000", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *evs = json_is_array(r) ? r : json_object_get(r, "events");
  int n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(evs, i, e) {
    const char *en = json_string_value(json_object_get(e, "event"));
    if (!en) en = json_string_value(json_object_get(e, "name"));
    if (en && !strcmp(en, name)) n++;
  }
  json_decref(r);
  return n;
}

Test(missions_evidence, nothing_to_read_is_no_evidence_with_warnings, .timeout = 90) {
  ms_start(1, NULL, NULL); /* no model, no search provider; the fixture is about Debian */
  json_t *body = json_pack("{s:s, s:[s], s:[s,s], s:b}", "title", "Pollination of alpine orchids", "research_questions",
                           "Which moths pollinate alpine orchids?", "sources", "local_documents", "web_search",
                           "allow_empty", 1);
  long st = 0;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld", st);
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  cr_assert(ms_wait_for(id, "completed", NULL, 60), "mission did not finish");

  json_t *row = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "no_evidence",
                   "a report without any verified citation ended as a plain success");
  char *codes = warning_codes(row);
  cr_assert(strstr(codes, "offline_no_model"), "no warning about the missing model: %s", codes);
  cr_assert(strstr(codes, "web_no_provider"), "no warning about web search without provider: %s", codes);
  cr_assert(strstr(codes, "no_passages"), "no warning about sections without passages: %s", codes);
  /* web_no_provider is said once, however many sections searched */
  cr_assert_null(strstr(strstr(codes, "web_no_provider") + 1, "web_no_provider"), "repeated: %s", codes);
  cr_assert_geq(count_events(id, "warning"), 3, "warnings were not sent as live events");

  char *md = ms_report(id, "md");
  cr_assert(strstr(md, "No verified evidence"), "the report does not say it has no evidence:\n%s", md);
  cr_assert(strstr(md, "Skipped or missing"), "the run record does not list what was skipped:\n%s", md);
  cr_assert(strstr(md, "no search provider is configured"), "%s", md);
  cr_assert(strstr(md, "No verified source covered this section."), "an empty section is left blank:\n%s", md);
  free(md);
  free(codes);
  json_decref(row);
  free(id);
  ms_stop_all();
}

Test(missions_evidence, cli_exits_3_on_a_report_without_evidence, .timeout = 90) {
  ms_start(1, NULL, NULL); /* the library holds a document, but nothing on the question */
  char *out = NULL;
  const char *env[] = {"MODEL_NAME=", "OPENAI_API_KEY=", "LOCAL_MODEL_URL=", NULL};
  int rc = ts_run_cli(ms_srv.dir, env, NULL, &out, "research", "Which moths pollinate alpine orchids?", "--offline",
                      "--out", "report.md", NULL);
  char path[400];
  snprintf(path, sizeof path, "%s/cli.log", ms_srv.dir);
  size_t len = 0;
  char *log = util_read_file(path, &len);
  cr_assert_eq(rc, 3, "exit status %d, want 3 (no evidence):\n%s", rc, log ? log : "");
  cr_assert(log && strstr(log, "no verified evidence"), "%s", log ? log : "");
  snprintf(path, sizeof path, "%s/report.md", ms_srv.dir);
  char *md = util_read_file(path, &len);
  cr_assert(md && strstr(md, "No verified evidence"), "the report was not written");
  free(md);
  free(log);
  free(out);
  ms_stop_all();
}

/* POST /api/missions with each bad field: 422 naming it, nothing created. */
static void refused(json_t *body, const char *field) {
  long st = 0;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
  cr_expect_eq(st, 422, "%s: status %ld", field, st);
  cr_expect(msg && strstr(msg, field), "the error does not name %s: %s", field, msg ? msg : "(none)");
  json_decref(r);
}

Test(missions_evidence, every_field_is_validated_and_named, .timeout = 90) {
  ms_start(1, NULL, NULL);
  refused(json_pack("{s:i, s:[s]}", "title", 5, "research_questions", "Q?"), "title");
  refused(json_pack("{s:s, s:[]}", "title", "No questions", "research_questions"), "research_questions");
  char *big = malloc(200 * 1024 + 1);
  memset(big, 'q', 200 * 1024);
  big[200 * 1024] = 0;
  refused(json_pack("{s:s, s:[s]}", "title", "Huge", "research_questions", big), "research_questions");
  free(big);
  refused(json_pack("{s:s, s:[s], s:{s:f}}", "title", "T", "research_questions", "Q?", "settings", "quality_target",
                    1e308),
          "settings.quality_target");
  refused(json_pack("{s:s, s:[s], s:{s:i}}", "title", "T", "research_questions", "Q?", "settings", "max_passes", 0),
          "settings.max_passes");
  refused(json_pack("{s:s, s:[s], s:{s:s}}", "title", "T", "research_questions", "Q?", "settings", "max_rounds", "3"),
          "settings.max_rounds");
  refused(json_pack("{s:s, s:[s], s:{s:b}}", "title", "T", "research_questions", "Q?", "settings", "turbo", 1),
          "settings.turbo");
  refused(json_pack("{s:s, s:[s], s:{s:s}}", "title", "T", "research_questions", "Q?", "settings", "depth", "abyss"),
          "settings.depth");
  long st;
  json_t *list = ts_json(&ms_srv, "GET", "/api/missions", ms_token, NULL, &st);
  cr_expect_eq(json_array_size(json_object_get(list, "missions")), 0, "a refused mission was stored");
  json_decref(list);

  /* a report version that does not exist is named as such */
  char *id = ms_create("Versions", 1, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/report?version=999", id);
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
  cr_expect_eq(st, 404);
  cr_expect(msg && strstr(msg, "version 999"), "%s", msg ? msg : "(none)");
  json_decref(r);
  free(id);
  ms_stop_all();
}
