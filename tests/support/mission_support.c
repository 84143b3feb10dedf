/*
 * mission_support.c - see mission_support.h.
 */
#include "mission_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char MS_DOC[] =
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

llmsup_fake_t ms_fake;
ts_server_t ms_srv;
char *ms_token;

void ms_rules(char *out, size_t n, const char *researcher_extra) {
  snprintf(out, n, RULES, researcher_extra ? researcher_extra : "");
}

/* Starts ms_fake (unless offline) + server, ingests the fixture as admin. */
static char cli_url[200];
static const char *cli_env[16];

const char *const *ms_cli_env(void) {
  return cli_env;
}

/* Starts the fake with rules (unless NULL: offline) and the server, has
 * docs(dir) write the library into DIR/docs, ingests it, logs in as admin. */
static void start_with(const char *rules, const char *const *extra_env, void (*docs)(const char *dir)) {
  char url[128];
  const char *env[16] = {"LLM_MAX_RETRIES=1", "LLM_RETRY_BASE_MS=20", "MODEL_NAME=fake-model", NULL};
  int n = 3;
  if (rules) {
    cr_assert(llmsup_fake_start(&ms_fake, rules) == 0);
    llmsup_url(&ms_fake, "/v1", url, sizeof url);
    snprintf(cli_url, sizeof cli_url, "OPENAI_BASE_URL=%s", url);
    env[n++] = cli_url;
    env[n++] = "OPENAI_API_KEY=test";
  } else
    env[--n] = NULL;
  for (const char *const *e = extra_env; e && *e && n < 15; e++) env[n++] = *e;
  env[n] = NULL;
  memcpy(cli_env, env, sizeof env);
  cr_assert(ts_server_start(&ms_srv, env) == 0, "server did not start");
  char dir[400];
  snprintf(dir, sizeof dir, "%s/docs", ms_srv.dir);
  mkdir(dir, 0755);
  docs(dir);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(ms_srv.dir, env, NULL, &out, "ingest", "--directory", "docs", NULL), 0);
  free(out);
  ms_token = ts_login(&ms_srv, "admin", "admin-pass-123");
  cr_assert(ms_token);
}

static void write_fixture(const char *dir) {
  char path[500];
  snprintf(path, sizeof path, "%s/debian.md", dir);
  FILE *f = fopen(path, "w");
  fputs(MS_DOC, f);
  fclose(f);
}

void ms_start(int offline, const char *researcher_extra, const char *const *extra_env) {
  char r[8192];
  ms_rules(r, sizeof r, researcher_extra);
  start_with(offline ? NULL : r, extra_env, write_fixture);
}

void ms_start_team(json_t *sections, void (*docs)(const char *dir)) {
  ms_start_team_env(sections, docs, NULL);
}

void ms_start_team_env(json_t *sections, void (*docs)(const char *dir), const char *const *extra_env) {
  ms_start_team_rules(sections, docs, extra_env, NULL);
}

void ms_start_team_rules(json_t *sections, void (*docs)(const char *dir), const char *const *extra_env,
                         json_t *first_rules) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fakes/research_team.json", MAESTRO_SOURCE_DIR);
  json_t *r = json_load_file(path, 0, NULL);
  cr_assert(r, "cannot read %s", path);
  json_array_insert_new(json_object_get(r, "rules"), 0,
                        json_pack("{s:s, s:{s:s}, s:{s:{s:s}, s:o}}", "name", "planner", "match", "system",
                                  "role: planner", "json", "analysis", "type", "report", "sections", sections));
  size_t i;
  json_t *fr;
  json_array_foreach(first_rules, i, fr) json_array_insert(json_object_get(r, "rules"), i, fr);
  json_decref(first_rules);
  char *rules = json_dumps(r, JSON_COMPACT);
  json_decref(r);
  start_with(rules, extra_env, docs);
  free(rules);
}

void ms_stop_all(void) {
  ts_server_stop(&ms_srv);
  llmsup_fake_stop(&ms_fake);
  free(ms_token);
  ms_token = NULL;
}

char *ms_create_with(const char *title, json_t *settings, const char *schedule) {
  json_t *body = json_pack("{s:s, s:[s], s:[s]}", "title", title, "research_questions",
                           "How does Debian keep systems secure?", "sources", "local_documents");
  if (settings) json_object_set_new(body, "settings", settings);
  if (schedule) json_object_set_new(body, "schedule", json_string(schedule));
  long st = 0;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld", st);
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  return id;
}

char *ms_create(const char *title, int offline, const char *schedule) {
  return ms_create_with(title, offline ? json_pack("{s:b}", "offline", 1) : NULL, schedule);
}

json_t *ms_get(const char *id, const char *tok) {
  char p[128];
  snprintf(p, sizeof p, "/api/missions/%s", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, tok, NULL, &st);
  return st == 200 ? r : (json_decref(r), NULL);
}

/* Polls until status (or phase when not NULL) matches; returns 1 on time. */
int ms_wait_for(const char *id, const char *status, const char *phase, int seconds) {
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    json_t *m = ms_get(id, ms_token);
    const char *s = json_string_value(json_object_get(m, "status"));
    const char *ph = json_string_value(json_object_get(m, "phase"));
    int ok = s && (status ? !strcmp(s, status) : 1) && (!phase || (ph && !strcmp(ph, phase)));
    json_decref(m);
    if (ok) return 1;
    usleep(50000);
  }
  return 0;
}

char *ms_report(const char *id, const char *fmt) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/report?format=%s", id, fmt);
  ts_response_t r = ts_http(&ms_srv, "GET", p, ms_token, NULL, NULL, 0);
  cr_assert_eq(r.status, 200, "report: %ld %s", r.status, r.body);
  char *b = strdup(r.body);
  ts_response_free(&r);
  return b;
}

void ms_post(const char *id, const char *action, long want) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/%s", id, action);
  long st;
  json_t *body = json_object();
  json_t *r = ts_json(&ms_srv, "POST", p, ms_token, body, &st);
  json_decref(body);
  json_decref(r);
  cr_assert_eq(st, want, "%s: %ld", action, st);
}

/* Every [n] of the body has a reference line "n. ". */
void ms_check_citations(const char *md) {
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

void ms_check_events(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
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

json_t *ms_notes(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/notes", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  json_t *n = json_incref(json_object_get(r, "notes"));
  json_decref(r);
  return n;
}

void ms_check_notes(const char *id) {
  json_t *notes = ms_notes(id);
  cr_assert_gt(json_array_size(notes), 0);
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *q = json_string_value(json_object_get(n, "quote"));
    char *flat = strdup(q);
    cr_assert(strstr(MS_DOC, flat), "quote not in its source: %s", q);
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
