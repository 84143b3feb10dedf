/*
 * test_missions_more.c - more research-mission tests against the real server
 * and the fake model (helpers and rules in tests/support/mission_support.c):
 * WebSocket isolation of mission:ID, `maestro research` in-process with
 * --out, Ctrl-C (SIGINT) pausing a CLI mission then --resume, and the
 * mission metrics on GET /metrics.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "mission_support.h"
#include "ws_client.h"

static char *user_b_token(void) {
  long st;
  json_t *nb = json_pack("{s:s, s:s, s:s}", "username", "bob", "password", "bob-pass-123", "role", "researcher");
  json_decref(ts_json(&ms_srv, "POST", "/api/admin/users", ms_token, nb, &st));
  json_decref(nb);
  cr_assert_eq(st, 201, "create bob: %ld", st);
  char *tb = ts_login(&ms_srv, "bob", "bob-pass-123");
  cr_assert(tb);
  return tb;
}

Test(missions_more, ws_subscribe_to_another_users_mission_is_refused, .timeout = 90) {
  ms_start(0, NULL, NULL);
  char *id = ms_create("Websocket isolation", 0, NULL);
  char ch[64];
  snprintf(ch, sizeof ch, "mission:%s", id);
  char *tb = user_b_token();

  ws_client_t *b = wsc_connect(ms_srv.port, tb);
  cr_assert_not_null(b);
  wsc_send(b, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", ch, "after", 0));
  cr_assert_eq(wsc_wait(b, "error", ch, 1, 5000), 1, "user B's subscription was not refused");
  wsc_send(b, json_pack("{s:s}", "type", "ping"));
  cr_assert_eq(wsc_wait(b, "pong", NULL, 1, 5000), 1, "socket closed after the refusal");

  /* the owner is accepted on the same channel and receives the events */
  ws_client_t *a = wsc_connect(ms_srv.port, ms_token);
  cr_assert_not_null(a);
  wsc_send(a, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", ch, "after", 0));
  cr_assert_eq(wsc_wait(a, "subscribed", ch, 1, 5000), 1);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  cr_assert_geq(wsc_wait(a, "event", ch, 5, 5000), 5, "the owner got no events");
  /* B never received any of them and is still connected */
  cr_assert_eq(wsc_wait(b, "event", ch, 1, 200), 0, "user B received user A's mission events");
  wsc_send(b, json_pack("{s:s}", "type", "ping"));
  cr_assert_eq(wsc_wait(b, "pong", NULL, 2, 5000), 2);
  wsc_close(a);
  wsc_close(b);
  free(tb);
  free(id);
  ms_stop_all();
}

/* Reads a file of the server directory (malloc'd, NULL if missing). */
static char *read_in_dir(const char *name) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", ms_srv.dir, name);
  size_t len = 0;
  return util_read_file(path, &len);
}

static void check_report_file(const char *md) {
  cr_assert(strstr(md, "## Security support") && strstr(md, "## Package verification"), "planned sections: %s", md);
  ms_check_citations(md);
  cr_assert(strstr(md, "*(unverified)*"), "unsupported sentence not caught:\n%s", md);
}

Test(missions_more, cli_research_with_out_file, .timeout = 90) {
  ms_start(0, NULL, NULL);
  char *out = NULL;
  int rc = ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "research", "How does Debian keep systems secure?",
                      "--title", "How Debian keeps systems secure", "--out", "report.md", NULL);
  char *log = read_in_dir("cli.log");
  cr_assert_eq(rc, 0, "maestro research failed:\n%s", log ? log : "");
  cr_assert(log && strstr(log, "report written to report.md"), "%s", log ? log : "");
  cr_assert(strstr(log, "completed: "), "%s", log);
  cr_assert_eq(strlen(out), 0, "the report went to stdout despite --out");
  char *md = read_in_dir("report.md");
  cr_assert(md, "no report.md");
  check_report_file(md);
  /* the mission is stored and completed like one made through the API */
  long st;
  json_t *list = ts_json(&ms_srv, "GET", "/api/missions", ms_token, NULL, &st);
  json_t *m = json_array_get(json_object_get(list, "missions"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "completed");
  ms_check_notes(json_string_value(json_object_get(m, "id")));
  json_decref(list);
  free(md);
  free(log);
  free(out);
  ms_stop_all();
}

/* Starts `maestro research` in the server's directory with stderr to
 * cli.log; returns the pid. */
static pid_t spawn_research(const char *question) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    if (chdir(ms_srv.dir) != 0) _exit(127);
    int fd = open("cli.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    unsetenv("DATABASE_URL");
    unsetenv("JWT_SECRET_KEY");
    setenv("ADMIN_PASSWORD", "admin-pass-123", 1);
    setenv("LOG_FORMAT", "json", 1);
    for (const char *const *e = ms_cli_env(); *e; e++) putenv(strdup(*e));
    execl(MAESTRO_BINARY, "maestro", "research", question, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* The id of the admin's only mission once it is running in `phase`. */
static char *wait_cli_mission(const char *phase, int seconds) {
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    long st;
    json_t *list = ts_json(&ms_srv, "GET", "/api/missions", ms_token, NULL, &st);
    json_t *m = json_array_get(json_object_get(list, "missions"), 0);
    const char *s = json_string_value(json_object_get(m, "status"));
    const char *ph = json_string_value(json_object_get(m, "phase"));
    char *id = NULL;
    if (s && ph && !strcmp(s, "running") && !strcmp(ph, phase))
      id = strdup(json_string_value(json_object_get(m, "id")));
    json_decref(list);
    if (id) return id;
    usleep(50000);
  }
  return NULL;
}

Test(missions_more, sigint_pauses_cli_mission_then_resume_completes, .timeout = 120) {
  ms_start(0, "\"delay\":0.6,", NULL);
  pid_t pid = spawn_research("How does Debian keep systems secure?");
  char *id = wait_cli_mission("research", 30);
  cr_assert(id, "the CLI mission never reached research");
  usleep(200000); /* a researcher call is in flight */
  cr_assert_eq(kill(pid, SIGINT), 0);
  int wst = 0;
  int64_t deadline = util_mono_ms() + 20000;
  pid_t w;
  while ((w = waitpid(pid, &wst, WNOHANG)) == 0 && util_mono_ms() < deadline) usleep(20000);
  cr_assert_eq(w, pid, "maestro research did not exit after SIGINT");
  char *log = read_in_dir("cli.log");
  cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 130, "exit status %d, want 130:\n%s", wst, log ? log : "");
  char hint[128];
  snprintf(hint, sizeof hint, "maestro research --resume %s", id);
  cr_assert(log && strstr(log, hint), "no resume hint:\n%s", log ? log : "");
  free(log);
  json_t *m = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "paused");
  json_decref(m);

  char *out = NULL;
  int rc = ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "research", "--resume", id, "--out", "resumed.md", NULL);
  cr_assert_eq(rc, 0, "resume failed");
  char *md = read_in_dir("resumed.md");
  cr_assert(md);
  check_report_file(md);
  ms_check_notes(id);
  ms_check_events(id);
  json_t *calls = llmsup_fake_calls(&ms_fake);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1,
               "the committed plan was asked again");
  json_decref(calls);
  free(md);
  free(out);
  free(id);
  ms_stop_all();
}

/* The value of the first exposition line starting with `prefix`, -1 if none. */
static double metric(const char *text, const char *prefix) {
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (!strncmp(p, prefix, strlen(prefix))) return strtod(strchr(p, ' ') + 1, NULL);
  return -1;
}

Test(missions_more, metrics_after_a_completed_mission, .timeout = 90) {
  ms_start(0, NULL, NULL);
  char *id = ms_create("Metrics", 0, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 60));
  ts_response_t r = ts_http(&ms_srv, "GET", "/metrics", NULL, NULL, NULL, 0);
  cr_assert_eq(r.status, 200);
  cr_assert_geq(metric(r.body, "maestro_research_missions_total{status=\"completed\"}"), 1, "%s", r.body);
  cr_assert_geq(metric(r.body, "maestro_agent_execution_duration_seconds_count{agent_type=\"planner\"}"), 1, "%s",
                r.body);
  cr_assert_geq(metric(r.body, "maestro_agent_execution_duration_seconds_count{agent_type=\"researcher\"}"), 2, "%s",
                r.body);
  ts_response_free(&r);
  free(id);
  ms_stop_all();
}

static const char MIRRORS[] =
    "# Mirrors\n\nDebian mirrors copy the archive several times a day, and apt downloads "
    "packages from the mirror closest to the user.\n";

/* The rules of the second run: the outline drops "Package verification" and
 * adds "Mirrors and downloads", the researcher also quotes the mirrors
 * document, the writer writes something else. */
static char *second_run_rules(void) {
  char r[8192];
  ms_rules(r, sizeof r, NULL);
  json_t *j = json_loads(r, 0, NULL);
  cr_assert(j);
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(j, "rules"), i, rule) {
    const char *name = json_string_value(json_object_get(rule, "name"));
    json_t *ans = json_object_get(rule, "json");
    if (!strcmp(name, "planner")) {
      json_t *secs = json_object_get(ans, "sections");
      json_array_remove(secs, 1);
      json_array_append_new(secs, json_pack("{s:s, s:[s], s:i}", "title", "Mirrors and downloads", "questions",
                                            "Where does apt download packages from?", "priority", 2));
    } else if (!strcmp(name, "researcher")) {
      json_array_append_new(json_object_get(ans, "notes"),
                            json_pack("{s:s, s:s, s:s, s:i}", "passage", "P1", "quote",
                                      "apt downloads packages from the mirror closest to the user", "summary",
                                      "mirrors", "credibility", 7));
    } else if (!strcmp(name, "writer")) {
      json_object_set_new(rule, "text",
                          json_string("Debian mirrors copy the archive several times a day [3]. Debian stable "
                                      "releases are supported for about three years by the security team [1]."));
    }
  }
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return s;
}

/* Missions of the admin whose settings.previous_run is prev. */
static json_t *runs_after(const char *prev) {
  long st;
  json_t *list = ts_json(&ms_srv, "GET", "/api/missions", ms_token, NULL, &st);
  json_t *out = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(list, "missions"), i, m) {
    json_t *full = ms_get(json_string_value(json_object_get(m, "id")), ms_token);
    const char *p = json_string_value(json_object_get(json_object_get(full, "settings"), "previous_run"));
    if (p && !strcmp(p, prev)) json_array_append(out, full);
    json_decref(full);
  }
  json_decref(list);
  return out;
}

Test(missions_more, scheduled_mission_next_run_says_what_changed, .timeout = 150) {
  const char *env[] = {"SCHEDULE_CHECK_SECONDS=1", "SCHEDULE_PERIOD_SECONDS=3", NULL};
  ms_start(0, NULL, env);
  char path[400];
  snprintf(path, sizeof path, "%s/docs2", ms_srv.dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/docs2/mirrors.md", ms_srv.dir);
  cr_assert_eq(util_write_file(path, MIRRORS, strlen(MIRRORS), 0644), 0);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "ingest", "--directory", "docs2", NULL), 0);
  free(out);

  /* previous_run must be one of the user's missions */
  long st;
  json_t *bad = json_pack("{s:s, s:[s], s:{s:s}}", "title", "x", "research_questions", "y?", "settings", "previous_run",
                          "0000000000000000");
  json_decref(ts_json(&ms_srv, "POST", "/api/missions", ms_token, bad, &st));
  json_decref(bad);
  cr_assert_eq(st, 422);

  char *id1 = ms_create("Weekly Debian watch", 0, "weekly");
  cr_assert(ms_wait_for(id1, "completed", NULL, 60));
  char *md1 = ms_report(id1, "md");
  cr_assert_null(strstr(md1, "What changed"), "a first run has nothing to compare with");
  char *rules2 = second_run_rules();
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules2), 0);
  free(rules2);

  /* the next run appears (due 3 s after the first completed) and completes */
  char *id2 = NULL;
  int64_t deadline = util_mono_ms() + 60000;
  while (!id2 && util_mono_ms() < deadline) {
    json_t *runs = runs_after(id1);
    json_t *r = json_array_get(runs, 0);
    if (r && !strcmp(json_string_value(json_object_get(r, "status")), "completed"))
      id2 = strdup(json_string_value(json_object_get(r, "id")));
    json_decref(runs);
    if (!id2) usleep(100000);
  }
  cr_assert(id2, "no completed next run of the scheduled mission");
  json_t *m2 = ms_get(id2, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m2, "schedule")), "weekly");
  cr_assert_str_eq(json_string_value(json_object_get(m2, "title")), "Weekly Debian watch");
  json_decref(m2);
  json_t *runs = runs_after(id1);
  cr_assert_eq(json_array_size(runs), 1, "the run was created more than once");
  json_decref(runs);

  char *md2 = ms_report(id2, "md");
  const char *ch = strstr(md2, "## What changed since the last run");
  cr_assert(ch, "no change section:\n%s", md2);
  const char *end = strstr(ch + 3, "\n## ");
  cr_assert(end);
  char *sec = strndup(ch, (size_t)(end - ch));
  cr_assert(strstr(sec, "Weekly Debian watch"), "%s", sec);
  cr_assert(strstr(sec, "- New sections: Mirrors and downloads"), "%s", sec);
  cr_assert(strstr(sec, "- Removed sections: Package verification"), "%s", sec);
  cr_assert(strstr(sec, "- Sections whose content changed: Security support"), "%s", sec);
  cr_assert(strstr(sec, "- New sources: ") && strstr(sec, "irrors"), "%s", sec);
  cr_assert_null(strstr(sec, "Sources no longer used"), "%s", sec);
  ms_check_citations(md2);
  free(sec);
  free(md2);
  free(md1);
  free(id2);
  free(id1);
  ms_stop_all();
}
