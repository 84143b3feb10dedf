/*
 * test_custom_agents.c - custom agents end to end (docs/extending.md
 * "Custom agents"): definitions from AGENTS_DIR (an invalid file is logged
 * and skipped, the server starts), the REST API (422 naming each field,
 * viewers and researchers cannot write, an admin's every change is a new
 * version), and missions against the fake model running one after_research
 * and one before_writing agent: their calls are counted by the fake, appear
 * in the events under the agents' names, their notes and critiques in the
 * report, and an offline mission reports them skipped with the reason.
 * Agents with plugin tools: the data plugin's list, and a plugin that asks
 * the model, answered by the mission owner's model.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "mission_support.h"

static char adir[300];

static void write_file(const char *name, const char *text) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", adir, name);
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fputs(text, f);
  fclose(f);
}

/* AGENTS_DIR: the editor (valid, named by its file), a file with a bad
 * position and one that is not JSON. */
static void agents_dir(void) {
  ts_tmpdir(adir, sizeof adir);
  write_file("editor.json",
             "{\"description\": \"Reads every note before writing\","
             " \"prompt\": \"You are the editor of a research team (role: editor). Judge the notes.\","
             " \"sources\": [\"local_documents\"], \"position\": \"before_writing\"}");
  write_file("broken.json", "{\"name\": \"broken\", \"prompt\": \"x\", \"position\": \"sometime\"}");
  write_file("garbage.json", "{not json");
}

/* The fake's rules: the mission rules plus the two custom agents'. */
static void set_rules(void) {
  char r[8192];
  ms_rules(r, sizeof r, NULL);
  json_t *rules = json_loads(r, 0, NULL);
  cr_assert(rules);
  json_t *list = json_object_get(rules, "rules");
  json_array_insert_new(
      list, 0,
      json_pack("{s:s, s:{s:s}, s:{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}}", "name", "checker", "match", "system",
                "role: checker", "json", "critique", "Checker: the section rests on one document.", "notes", "passage",
                "P1", "quote", "the Long Term Support project extends security support to five years in total",
                "summary", "LTS adds two years", "passage", "P1", "quote", "Debian runs on the moon.", "summary",
                "fabricated"));
  json_array_insert_new(list, 0,
                        json_pack("{s:s, s:{s:s}, s:{s:s}}", "name", "editor", "match", "system", "role: editor",
                                  "json", "critique", "Editor: the notes are consistent; cite the security team."));
  char *text = json_dumps(rules, JSON_COMPACT);
  cr_assert_eq(llmsup_fake_rules(&ms_fake, text), 0);
  free(text);
  json_decref(rules);
}

static char *user_token(const char *name, const char *role) {
  long st = 0;
  json_t *u = json_pack("{s:s, s:s, s:s}", "username", name, "password", "secret-pass-123", "role", role);
  json_decref(ts_json(&ms_srv, "POST", "/api/admin/users", ms_token, u, &st));
  json_decref(u);
  cr_assert(st == 200 || st == 201, "user %s created (%ld)", name, st);
  return ts_login(&ms_srv, name, "secret-pass-123");
}

static void expect_422(const char *method, const char *path, json_t *body, const char *field) {
  long st = 0;
  json_t *r = ts_json(&ms_srv, method, path, ms_token, body, &st);
  cr_expect_eq(st, 422, "%s %s: %ld", method, path, st);
  const char *f = json_string_value(json_object_get(json_object_get(r, "error"), "field"));
  cr_expect(f && !strcmp(f, field), "the error names %s, not %s (%s)", field, f ? f : "(none)",
            json_string_value(json_object_get(json_object_get(r, "error"), "message")));
  json_decref(r);
  json_decref(body);
}

static json_t *checker(const char *prompt) {
  return json_pack("{s:s, s:s, s:s, s:[s], s:[], s:s}", "name", "checker", "description", "Checks each section",
                   "prompt", prompt, "sources", "local_documents", "tools", "position", "after_research");
}

/* Waits for the mission to complete; says how it ended when it did not. */
static void wait_completed(const char *id) {
  json_t *r = NULL;
  for (int i = 0; i < 1500; i++) {
    r = ms_get(id, ms_token);
    const char *s = json_string_value(json_object_get(r, "status"));
    if (s && !strcmp(s, "completed")) {
      json_decref(r);
      return;
    }
    if (s && (!strcmp(s, "failed") || !strcmp(s, "stopped"))) break;
    json_decref(r);
    r = NULL;
    usleep(100000);
  }
  char *t = r ? json_dumps(r, JSON_COMPACT) : util_read_file(ms_srv.log, NULL); /* NULL: the server is gone */
  json_decref(r);
  size_t n = t ? strlen(t) : 0;
  cr_assert_fail("mission %s did not complete: %s", id, t ? t + (n > 3000 ? n - 3000 : 0) : "?");
}

static long count_rule(const char *rule) {
  json_t *calls = llmsup_fake_calls(&ms_fake);
  long n = (long)json_integer_value(json_object_get(json_object_get(calls, "by_rule"), rule));
  json_decref(calls);
  return n;
}

Test(custom_agents, definitions_api_and_missions, .timeout = 240) {
  agents_dir();
  char env0[400];
  snprintf(env0, sizeof env0, "AGENTS_DIR=%s", adir);
  const char *env[] = {env0, NULL};
  ms_start(0, NULL, env);

  /* the server started; the invalid files were named in the log and skipped */
  char *log = util_read_file(ms_srv.log, NULL);
  cr_assert(log);
  cr_expect(strstr(log, "broken.json refused: position"), "a clear line for the bad file:\n%s", log);
  cr_expect(strstr(log, "garbage.json refused: not JSON"), "and for the file that is not JSON");
  free(log);
  long st = 0;
  json_t *r = ts_json(&ms_srv, "GET", "/api/agents", ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *agents = json_object_get(r, "agents");
  cr_assert_eq(json_array_size(agents), 1, "only the valid file: %s", json_dumps(r, 0));
  json_t *ed = json_array_get(agents, 0);
  cr_expect_str_eq(json_string_value(json_object_get(ed, "name")), "editor");
  cr_expect_str_eq(json_string_value(json_object_get(ed, "origin")), "file");
  cr_expect_str_eq(json_string_value(json_object_get(ed, "position")), "before_writing");
  cr_expect_eq(json_integer_value(json_object_get(ed, "version")), 1);
  json_decref(r);

  /* 422 naming the field, nothing stored */
  expect_422("POST", "/api/agents", checker(""), "prompt");
  expect_422("POST", "/api/agents", checker("   \n"), "prompt");
  json_t *b = checker("p (role: checker)");
  json_object_set_new(b, "position", json_string("after_writing"));
  expect_422("POST", "/api/agents", b, "position");
  b = checker("p (role: checker)");
  json_object_set_new(b, "tools", json_pack("[s]", "nosuchserver.search"));
  expect_422("POST", "/api/agents", b, "tools");
  b = checker("p (role: checker)");
  json_object_set_new(b, "sources", json_pack("[s]", "plugin:nope/x"));
  expect_422("POST", "/api/agents", b, "sources");
  b = checker("p (role: checker)");
  json_object_set_new(b, "name", json_string("Bad Name"));
  expect_422("POST", "/api/agents", b, "name");
  b = checker("p (role: checker)");
  json_object_set_new(b, "name", json_string("writer"));
  expect_422("POST", "/api/agents", b, "name");
  b = checker("p (role: checker)");
  json_object_set_new(b, "colour", json_string("red"));
  expect_422("POST", "/api/agents", b, "colour");
  r = ts_json(&ms_srv, "GET", "/api/agents/checker", ms_token, NULL, &st);
  cr_expect_eq(st, 404, "nothing was stored");
  json_decref(r);

  /* viewers and researchers read, never write */
  char *viewer = user_token("vera", "viewer"), *researcher = user_token("rita", "researcher");
  const char *const readers[] = {viewer, researcher};
  for (int i = 0; i < 2; i++) {
    json_t *body = checker("You check (role: checker).");
    json_decref(ts_json(&ms_srv, "POST", "/api/agents", readers[i], body, &st));
    cr_expect_eq(st, 403, "POST by a %s", i ? "researcher" : "viewer");
    json_decref(ts_json(&ms_srv, "PUT", "/api/agents/editor", readers[i], body, &st));
    cr_expect_eq(st, 403);
    json_decref(body);
    json_decref(ts_json(&ms_srv, "DELETE", "/api/agents/editor", readers[i], NULL, &st));
    cr_expect_eq(st, 403);
    r = ts_json(&ms_srv, "GET", "/api/agents", readers[i], NULL, &st);
    cr_expect_eq(st, 200);
    cr_expect_eq(json_array_size(json_object_get(r, "agents")), 1);
    json_decref(r);
  }

  /* the admin creates, changes (a new version), and the history has both */
  json_t *body = checker("You check notes (role: checker).");
  r = ts_json(&ms_srv, "POST", "/api/agents", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld %s", st, json_dumps(r, 0));
  cr_expect_eq(json_integer_value(json_object_get(r, "version")), 1);
  json_decref(r);
  body = checker("again (role: checker)");
  json_decref(ts_json(&ms_srv, "POST", "/api/agents", ms_token, body, &st));
  json_decref(body);
  cr_expect_eq(st, 409, "the name is taken");
  json_t *change = json_pack("{s:s}", "prompt", "You check the notes of a section (role: checker). Be strict.");
  r = ts_json(&ms_srv, "PUT", "/api/agents/checker", ms_token, change, &st);
  json_decref(change);
  cr_assert_eq(st, 200);
  cr_expect_eq(json_integer_value(json_object_get(r, "version")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(r, "position")), "after_research", "members not given stay");
  json_decref(r);
  expect_422("PUT", "/api/agents/checker", json_pack("{s:s}", "position", "never"), "position");
  r = ts_json(&ms_srv, "GET", "/api/agents/checker", viewer, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_array_size(json_object_get(r, "versions")), 2, "a failed change adds no version");
  json_decref(r);

  /* a mission naming an unknown agent, or a malformed list: 422 */
  json_t *mb = json_pack("{s:s, s:[s], s:[s], s:{s:[s]}}", "title", "t", "research_questions", "q?", "sources",
                         "local_documents", "settings", "custom_agents", "nobody");
  r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, mb, &st);
  cr_expect_eq(st, 422);
  cr_expect(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")), "nobody"));
  json_decref(r);
  json_object_set_new(json_object_get(mb, "settings"), "custom_agents", json_string("checker"));
  json_decref(ts_json(&ms_srv, "POST", "/api/missions", ms_token, mb, &st));
  cr_expect_eq(st, 422);
  json_decref(mb);

  /* a mission with both agents */
  set_rules();
  llmsup_fake_reset(&ms_fake);
  char *id = ms_create_with("Custom agents", json_pack("{s:[s, s]}", "custom_agents", "checker", "editor"), NULL);
  wait_completed(id);
  const long nsections = 2; /* the planner rule's two sections */
  cr_expect_eq(count_rule("checker"), nsections, "after_research: once per section (%ld)", count_rule("checker"));
  cr_expect_eq(count_rule("editor"), 1, "before_writing: once");

  /* the activity log shows their calls under their names */
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  int logs_checker = 0, logs_editor = 0, runs = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r, "events"), i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *d = json_object_get(e, "data");
    const char *agent = json_string_value(json_object_get(d, "agent"));
    if (!strcmp(name, "agent_log") && agent && !strcmp(agent, "checker")) logs_checker++;
    if (!strcmp(name, "agent_log") && agent && !strcmp(agent, "editor")) logs_editor++;
    if (!strcmp(name, "custom_agent")) runs++;
  }
  json_decref(r);
  cr_expect_eq(logs_checker, nsections, "checker calls in the activity log");
  cr_expect_eq(logs_editor, 1, "editor call in the activity log");
  cr_expect_eq(runs, nsections + 1, "one custom_agent event per run");

  /* the checker's verified note is a note of the mission; its fabricated one is not */
  json_t *notes = ms_notes(id);
  int lts = 0, moon = 0;
  json_array_foreach(notes, i, e) {
    const char *q = json_string_value(json_object_get(e, "quote"));
    if (q && strstr(q, "five years in total")) lts++;
    if (q && strstr(q, "moon")) moon++;
  }
  json_decref(notes);
  cr_expect_gt(lts, 0, "the checker's note was added");
  cr_expect_eq(moon, 0, "a quote not in the passage is refused");

  /* the report's trail: which version ran, the critiques */
  char *md = ms_report(id, "md");
  cr_expect(strstr(md, "Custom agents"), "a custom agents trail:\n%s", md);
  cr_expect(strstr(md, "checker v2 (after research"), "the version that ran:\n%s", md);
  cr_expect(strstr(md, "Checker: the section rests on one document."));
  cr_expect(strstr(md, "editor v1 (before writing): Editor: the notes are consistent"), "%s", md);
  free(md);
  free(id);

  /* offline: the agents are skipped, with the reason, never "ran" */
  llmsup_fake_reset(&ms_fake);
  id = ms_create_with("Offline agents",
                      json_pack("{s:b, s:[s, s]}", "offline", 1, "custom_agents", "checker", "editor"), NULL);
  wait_completed(id);
  cr_expect_eq(count_rule("checker") + count_rule("editor"), 0, "no model call offline");
  md = ms_report(id, "md");
  cr_expect(strstr(md, "editor v1 (before writing): skipped: the mission runs without a model"), "%s", md);
  cr_expect(strstr(md, "checker v2 (after research"), "%s", md);
  free(md);
  r = ms_get(id, ms_token);
  int skipped = 0;
  json_array_foreach(json_object_get(r, "warnings"), i, e) skipped +=
      !strcmp(json_string_value(json_object_get(e, "code")), "custom_agent_skipped");
  cr_expect_geq(skipped, 2, "skips are warnings too");
  json_decref(r);
  free(id);

  /* disabled: listed for admins only, and refused by new missions */
  json_decref(ts_json(&ms_srv, "DELETE", "/api/agents/checker", ms_token, NULL, &st));
  cr_expect_eq(st, 200);
  r = ts_json(&ms_srv, "GET", "/api/agents", viewer, NULL, &st);
  cr_expect_eq(json_array_size(json_object_get(r, "agents")), 1, "a viewer sees only the enabled ones");
  json_decref(r);
  mb = json_pack("{s:s, s:[s], s:[s], s:{s:[s]}}", "title", "t", "research_questions", "q?", "sources",
                 "local_documents", "settings", "custom_agents", "checker");
  r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, mb, &st);
  cr_expect_eq(st, 422, "a disabled agent");
  json_decref(r);
  json_decref(mb);
  free(viewer);
  free(researcher);
  /* a clean exit: under ASan a leak or an error in the server fails here */
  char logpath[sizeof ms_srv.log];
  snprintf(logpath, sizeof logpath, "%s", ms_srv.log);
  int rc = ts_server_stop(&ms_srv);
  if (rc != 0) {
    char *tail = util_read_file(logpath, NULL);
    size_t n = tail ? strlen(tail) : 0;
    cr_expect_eq(rc, 0, "the server did not exit cleanly: %s", tail ? tail + (n > 4000 ? n - 4000 : 0) : "");
    free(tail);
  }
  ms_stop_all();
}

/* The fake's rules for an agent `name` with one tool: the tool choice picks
 * tool, the agent's answer is `saw` (rule "<name>_saw") when heard is in
 * its messages, else "<name> saw nothing." (rule name); extra (stolen, may
 * be NULL) is tried first. Counters reset. */
static void tool_rules(const char *name, const char *tool, const char *heard, const char *saw, json_t *extra) {
  char rt[8192], role[80], seen[80];
  snprintf(role, sizeof role, "role: %s", name);
  snprintf(seen, sizeof seen, "%s_saw", name);
  ms_rules(rt, sizeof rt, NULL);
  json_t *rules = json_loads(rt, 0, NULL);
  json_t *list = json_object_get(rules, "rules");
  json_array_insert_new(list, 0,
                        json_pack("{s:s, s:{s:s}, s:{s:s+}}", "name", name, "match", "system", role, "json", "critique",
                                  name, " saw nothing."));
  json_array_insert_new(list, 0,
                        json_pack("{s:s, s:{s:s, s:s}, s:{s:s}}", "name", seen, "match", "system", role, "any", heard,
                                  "json", "critique", saw));
  json_array_insert_new(list, 0,
                        json_pack("{s:s, s:{s:s}, s:{s:s, s:{}}}", "name", "tool_user", "match", "system",
                                  "role: tool_user", "json", "tool", tool, "arguments"));
  if (extra) json_array_insert_new(list, 0, extra);
  char *text = json_dumps(rules, JSON_COMPACT);
  cr_assert_eq(llmsup_fake_rules(&ms_fake, text), 0);
  free(text);
  json_decref(rules);
  llmsup_fake_reset(&ms_fake);
}

/* An agent with a tool: the data plugin's "list" (the files of its data
 * directory). The tool choice and the agent's answer are both calls in the
 * agent's name, and the tool's result reaches the agent: the fake answers
 * "saw monthly.csv" only when the file name is in the agent's message. */
Test(custom_agents, an_agent_calls_its_plugin_tool, .timeout = 200) {
  ts_tmpdir(adir, sizeof adir);
  cr_assert_eq(ts_link_build_file(adir, "plugins/data.so"), 0);
  write_file("monthly.csv", "month,revenue\n2024-01-01,100\n2024-02-01,120\n");
  char e1[400], e2[400];
  snprintf(e1, sizeof e1, "PLUGINS_DIR=%s", adir);
  snprintf(e2, sizeof e2, "PLUGIN_DATA_PATH=%s", adir);
  const char *env[] = {e1, e2, NULL};
  ms_start(0, NULL, env);
  long st = 0;
  json_t *body =
      json_pack("{s:s, s:s, s:[s], s:s}", "name", "tooler", "prompt", "You look at the data files (role: tooler).",
                "tools", "data.list", "position", "after_research");
  json_t *r = ts_json(&ms_srv, "POST", "/api/agents", ms_token, body, &st);
  cr_assert_eq(st, 201, "a plugin's tool is a known tool: %ld %s", st,
               json_string_value(json_object_get(json_object_get(r, "error"), "message")));
  json_decref(r);
  json_decref(body);

  tool_rules("tooler", "data.list", "monthly.csv", "Tooler saw monthly.csv.", NULL);

  char *id = ms_create_with("Agent with a tool", json_pack("{s:[s]}", "custom_agents", "tooler"), NULL);
  wait_completed(id);
  cr_expect_eq(count_rule("tool_user"), 2, "one tool choice per section");
  cr_expect_eq(count_rule("tooler_saw"), 2, "the tool's result reached the agent in both sections");
  cr_expect_eq(count_rule("tooler"), 0);
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  int logs = 0, called = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r, "events"), i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *d = json_object_get(e, "data");
    const char *agent = json_string_value(json_object_get(d, "agent"));
    if (!strcmp(name, "agent_log") && agent && !strcmp(agent, "tooler")) logs++;
    if (!strcmp(name, "custom_agent"))
      called += (int)json_integer_value(json_object_get(json_object_get(d, "output"), "tools_called"));
  }
  json_decref(r);
  cr_expect_eq(logs, 4, "the tool choice and the answer, per section, in the agent's name (%d)", logs);
  cr_expect_eq(called, 2, "one tool result per section");
  char *md = ms_report(id, "md");
  cr_expect(strstr(md, "tooler v1 (after research") && strstr(md, "Tooler saw monthly.csv."), "%s", md);
  free(md);
  free(id);
  ms_stop_all();
}

/* An agent whose tool is a plugin's that asks the model (tests/plugins/
 * asker.c): the tool call runs for the mission's owner, so the plugin's
 * model call uses the owner's model (their settings name "owner-model"; the
 * fake answers the plugin only from that model), is in the mission's log
 * under "plugin:asker", and its answer reaches the agent. */
Test(custom_agents, a_plugin_tool_asks_the_owners_model, .timeout = 200) {
  ts_tmpdir(adir, sizeof adir);
  cr_assert_eq(ts_link_build_file(adir, "test-plugins/asker.so"), 0);
  char e1[400];
  snprintf(e1, sizeof e1, "PLUGINS_DIR=%s", adir);
  const char *env[] = {e1, NULL};
  ms_start(0, NULL, env);
  long st = 0;
  json_t *put = json_pack("{s:{s:{s:s}}}", "models", "default", "model", "owner-model");
  json_decref(ts_json(&ms_srv, "PUT", "/api/settings", ms_token, put, &st));
  json_decref(put);
  cr_assert_eq(st, 200, "the owner's model is saved");
  json_t *body = json_pack("{s:s, s:s, s:[s], s:s}", "name", "listener", "prompt",
                           "You ask the plugin (role: listener).", "tools", "asker.ask", "position", "after_research");
  json_decref(ts_json(&ms_srv, "POST", "/api/agents", ms_token, body, &st));
  json_decref(body);
  cr_assert_eq(st, 201);

  /* the fake answers the plugin only from the owner's model */
  tool_rules("listener", "asker.ask", "the owner's model answered", "Listener heard the owner's model.",
             json_pack("{s:s, s:{s:s, s:s}, s:s}", "name", "plugin_asked", "match", "content", "Plugin question",
                       "model", "owner-model", "text", "the owner's model answered"));

  char *id = ms_create_with("Agent with a plugin that asks", json_pack("{s:[s]}", "custom_agents", "listener"), NULL);
  wait_completed(id);
  /* one question per section; the second may be the mission's cached answer */
  long asked = count_rule("plugin_asked");
  cr_expect(asked == 1 || asked == 2, "the plugin asked the owner's model (%ld)", asked);
  cr_expect_eq(count_rule("listener_saw"), 2, "the plugin's answer reached the agent in both sections");
  /* the plugin's model calls, one per section, in the mission's log with the owner's model */
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/logs", id);
  json_t *logs = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  buf_t models = BUF_INIT;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(logs, "logs"), i, c) {
    const char *agent = json_string_value(json_object_get(c, "agent"));
    if (agent && !strcmp(agent, "plugin:asker"))
      buf_printf(&models, "%s;", json_string_value(json_object_get(c, "model")));
  }
  json_decref(logs);
  char *got = buf_detach(&models, NULL);
  cr_expect_str_eq(got, "owner-model;owner-model;");
  free(got);
  free(id);
  ms_stop_all();
}
