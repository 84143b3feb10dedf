/*
 * test_plugins_user.c - a plugin's host->complete answers for the user the
 * server gave the call, in process: the asker test plugin
 * (tests/plugins/asker.c) asks the fake model from its route and its tool;
 * users A and B have each their own model in their settings ("model-a",
 * "model-b"), and the fake answers by model name. A route call by A and a
 * tool call in A's mission get A's model's answer and are recorded in A's
 * model calls (not B's); a tool call the server makes itself has no user
 * and answers MAESTRO_COMPLETE_OFFLINE with the reason; a plugin naming
 * another user in its complete request is refused, and that user's model
 * is never called. (test_plugins.c checks the same route through HTTP.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/tools.h"
#include "base/buf.h"
#include "base/util.h"
#include "llm_support.h"
#include "maestro/plugin.h"
#include "plugins/plugins.h"
#include "server_support.h"
#include "store/llm_calls.h"
#include "store/users.h"

#define A_ANSWER "Answer from the model A configured"
#define B_ANSWER "Answer from the model B configured"

static llmsup_fake_t fake;
static llmsup_app_t *a;
static plugins_t *pl;
static char pdir[256], user_b[17];

static void settings_model(const char *user_id, const char *model) {
  json_t *doc = json_pack("{s:{s:s}}", "default", "model", model);
  cr_assert_eq(store_setting_put(a->app->store, user_id, "models", doc), STORE_OK);
  json_decref(doc);
}

static void open_all(void) {
  json_t *rj = json_pack("{s:[{s:s, s:{s:s}, s:s}, {s:s, s:{s:s}, s:s}], s:{s:s}}", "rules", "name", "a", "match",
                         "model", "model-a", "text", A_ANSWER, "name", "b", "match", "model", "model-b", "text",
                         B_ANSWER, "default", "text", "Answer from the server's model");
  char *rules = json_dumps(rj, JSON_COMPACT);
  json_decref(rj);
  cr_assert_eq(llmsup_fake_start(&fake, rules), 0, "the fake model did not start");
  free(rules);
  ts_tmpdir(pdir, sizeof pdir);
  cr_assert_eq(ts_link_build_file(pdir, "test-plugins/asker.so"), 0, "asker.so");
  char e_dir[400], url[128], e_url[200];
  snprintf(e_dir, sizeof e_dir, "PLUGINS_DIR=%s", pdir);
  snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=%s", llmsup_url(&fake, "", url, sizeof url));
  const char *env[] = {e_dir, e_url, "MODEL_NAME=fake-model", "LLM_MAX_RETRIES=1", NULL};
  a = llmsup_app(env);
  store_user_t u = {0};
  u.username = "bob";
  u.password_hash = "x";
  snprintf(u.role, sizeof u.role, "researcher");
  u.active = 1;
  cr_assert_eq(store_user_insert(a->app->store, &u), STORE_OK);
  snprintf(user_b, sizeof user_b, "%s", u.id);
  settings_model(a->user_id, "model-a");
  settings_model(user_b, "model-b");
  pl = plugins_load(a->app->cfg);
  plugins_attach_llm(pl, a->app->llm);
  json_t *d = plugins_describe(pl);
  cr_assert_eq(json_array_size(json_object_get(d, "plugins")), 1, "asker loads");
  json_decref(d);
}

static void close_all(void) {
  plugins_free(pl);
  llmsup_app_free(a);
  llmsup_fake_stop(&fake);
}

TestSuite(plugins_user, .init = open_all, .fini = close_all, .timeout = 60);

/* The model calls recorded for user_id as "agent/model" lines. */
static char *calls_of(const char *user_id) {
  json_t *calls = store_llm_calls_list_user(a->app->store, user_id, 0, 0);
  cr_assert(calls);
  buf_t b = BUF_INIT;
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) buf_printf(&b, "%s/%s\n", json_string_value(json_object_get(c, "agent")),
                                             json_string_value(json_object_get(c, "model")));
  json_decref(calls);
  return buf_detach(&b, NULL);
}

/* A's and B's model calls are want_a and want_b (calls_of lines). */
static void expect_usage(const char *want_a, const char *want_b) {
  char *ca = calls_of(a->user_id), *cb = calls_of(user_b);
  cr_expect_str_eq(ca, want_a, "A's model calls");
  cr_expect_str_eq(cb, want_b, "B's model calls");
  free(ca);
  free(cb);
}

static long fake_calls(const char *rule) {
  json_t *calls = llmsup_fake_calls(&fake);
  long n = rule ? (long)json_integer_value(json_object_get(json_object_get(calls, "by_rule"), rule))
                : (long)json_integer_value(json_object_get(calls, "total"));
  json_decref(calls);
  return n;
}

/* POST /api/plugins/asker/ask as user_id with body (stolen): the route's
 * body (new reference). */
static json_t *route_as(const char *user_id, json_t *body) {
  int status = 0;
  json_t *out = NULL;
  char err[512] = "";
  cr_assert_eq(
      plugins_call_route(pl, "asker", "POST", "ask", body, user_id, "researcher", &status, &out, err, sizeof err), 0,
      "%s", err);
  json_decref(body);
  cr_assert_eq(status, 200);
  return out;
}

Test(plugins_user, route_call_answers_with_the_callers_model) {
  json_t *out = route_as(a->user_id, json_object());
  cr_assert_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_OK, "%s",
               json_string_value(json_object_get(out, "err")));
  cr_expect_str_eq(json_string_value(json_object_get(out, "answer")), A_ANSWER);
  json_decref(out);
  expect_usage("plugin:asker/model-a\n", ""); /* A's usage has the plugin's call, B's nothing */

  out = route_as(user_b, json_object());
  cr_expect_str_eq(json_string_value(json_object_get(out, "answer")), B_ANSWER, "B gets B's model");
  json_decref(out);
  expect_usage("plugin:asker/model-a\n", "plugin:asker/model-b\n");
}

Test(plugins_user, tool_call_in_a_mission_answers_with_the_owners_model) {
  agents_deps_t deps = {.cfg = a->app->cfg, .store = a->app->store, .llm = a->app->llm, .plugins = pl};
  plugins_caller_t mission = {.user_id = a->user_id, .mission_id = "mission-of-a"};
  agent_tools_t *set = agent_tools_for_user(NULL, a->user_id); /* no agents: an empty set */
  agent_tools_plugin_provider(&deps, a->user_id, set, &mission);
  cr_assert(agent_tools_find(set, "asker.ask"), "the plugin's tool is in the set");
  json_t *args = json_object();
  char *text = NULL, *loc = NULL, err[512] = "";
  cr_assert_eq(agent_tools_call(set, "asker.ask", args, &text, &loc, err, sizeof err), 0, "%s", err);
  json_t *out = json_loads(text, 0, NULL);
  cr_assert(out, "%s", text);
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_OK, "%s", text);
  cr_expect_str_eq(json_string_value(json_object_get(out, "answer")), A_ANSWER);
  json_decref(out);
  free(text);
  free(loc);
  json_decref(args);
  agent_tools_free(set);
  expect_usage("plugin:asker/model-a\n", ""); /* A's usage has the tool's model call */
  json_t *mc = store_llm_calls_list_mission(a->app->store, "mission-of-a", 0, 0);
  cr_expect_eq(json_array_size(mc), 1, "the call is in the mission's log");
  json_decref(mc);
  cr_expect_eq(fake_calls("b"), 0, "B's model was never asked");
}

Test(plugins_user, offline_mission_tool_call_does_not_ask) {
  plugins_caller_t who = {.user_id = a->user_id, .mission_id = "offline-mission", .offline = 1};
  json_t *out = NULL, *in = json_object();
  char err[512] = "";
  cr_assert_eq(plugins_call_tool_as(pl, &who, "asker", "ask", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_OFFLINE);
  cr_expect(strstr(json_string_value(json_object_get(out, "err")), "runs offline"), "%s",
            json_string_value(json_object_get(out, "err")));
  json_decref(out);
  json_decref(in);
  cr_expect_eq(fake_calls(NULL), 0, "no model was asked");
}

Test(plugins_user, servers_own_call_has_no_user_and_answers_offline) {
  json_t *out = NULL, *in = json_object();
  char err[512] = "";
  cr_assert_eq(plugins_call_tool(pl, "asker", "ask", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_OFFLINE);
  cr_expect(json_is_null(json_object_get(out, "answer")) || !json_object_get(out, "answer"));
  const char *why = json_string_value(json_object_get(out, "err"));
  cr_expect(why && strstr(why, "has no user") && strstr(why, "the server called the plugin itself"), "%s", why);
  json_decref(out);
  json_decref(in);
  cr_expect_eq(fake_calls(NULL), 0, "no model was asked");
  expect_usage("", "");
}

/* The plugin names B in its complete request while it runs A's route (the
 * id came in A's request body) and A's tool call: refused both times, and
 * neither model is asked nor anything recorded for B. */
Test(plugins_user, a_plugin_cannot_complete_as_another_user) {
  json_t *out = route_as(a->user_id, json_pack("{s:s}", "as", user_b));
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_FAILED);
  const char *why = json_string_value(json_object_get(out, "err"));
  cr_expect(why && strstr(why, "cannot name \"user_id\""), "%s", why);
  cr_expect(!json_is_string(json_object_get(out, "answer")));
  json_decref(out);

  plugins_caller_t who = {.user_id = a->user_id, .mission_id = "mission-of-a-2"};
  json_t *in = json_pack("{s:s}", "as", user_b);
  char err[512] = "";
  cr_assert_eq(plugins_call_tool_as(pl, &who, "asker", "ask", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_FAILED);
  json_decref(out);
  json_decref(in);

  /* nor can the server's own call borrow a user that way */
  in = json_pack("{s:s}", "as", user_b);
  cr_assert_eq(plugins_call_tool(pl, "asker", "ask", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_integer_value(json_object_get(out, "rc")), MAESTRO_COMPLETE_FAILED);
  json_decref(out);
  json_decref(in);

  cr_expect_eq(fake_calls(NULL), 0, "no model was asked");
  expect_usage("", ""); /* nothing is recorded for B (nor A) */
}
