/*
 * test_outbound_policy.c - endpoints named in a non-admin user's settings go
 * through the outbound address policy (issue 11, finding 2).
 *
 * The fake model and the fake SearXNG listen on 127.0.0.1. The environment
 * names them as "localhost" (trusted: the environment may name internal
 * endpoints); a researcher who puts "127.0.0.1" into their own settings is
 * refused before anything is sent - by chat calls, test-connection, the model
 * list and web search - with an error naming the policy; an admin with the
 * same settings is not; OUTBOUND_ALLOW_HOSTS lets a researcher reach a listed
 * host. Error bodies come back as a short, clean excerpt only.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inproc.h"
#include "llm/llm.h"
#include "llm_support.h"
#include "server_support.h"
#include "store/users.h"
#include "web/web.h"
#include "web_support.h"

static inproc_t env;
static ts_server_t ts;
static llmsup_fake_t fake;
static websup_fake_t sx;
static char alice[17], root[17];
static char *tok_alice, *tok_root;

#define LONG_ERROR                                                                                               \
  "internal secret line one\\u0001\\u001b[31m "                                                                  \
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
  " the tail that must not be echoed"

static void start_with(const char *allow) {
  cr_assert_eq(
      llmsup_fake_start(&fake, "{\"rules\":[{\"match\":{\"content\":\"fail\"},\"status\":400,\"error\":\"" LONG_ERROR
                               "\"},{\"text\":\"fine\"}],\"models\":[\"fake-model\",\"internal-model\"]}"),
      0);
  const char *sargs[] = {"--mode", "normal", NULL};
  cr_assert_eq(websup_fake_start(&sx, "fake_searxng.py", sargs), 0);
  char e_url[200], e_sx[200], e_allow[200];
  snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=http://localhost:%d/v1", fake.port);
  snprintf(e_sx, sizeof e_sx, "SEARXNG_URL=http://localhost:%d", sx.port);
  snprintf(e_allow, sizeof e_allow, "OUTBOUND_ALLOW_HOSTS=%s", allow ? allow : "");
  const char *extra[] = {
      e_url,   e_sx, "MODEL_NAME=fake-model", "LLM_MAX_RETRIES=0", "WEB_CACHE_TTL_HOURS=0", "SEARCH_PROVIDERS=searxng",
      e_allow, NULL};
  llmsup_clear_env();
  inproc_open(&env, extra);
  inproc_user(&env, "alice", "researcher", alice, &tok_alice);
  inproc_user(&env, "root2", "admin", root, &tok_root);
  inproc_serve(&env);
  ts.port = env.port;
}

static void start_plain(void) {
  start_with(NULL);
}
static void start_allow(void) {
  start_with("127.0.0.1");
}

static void stop(void) {
  inproc_close(&env);
  free(tok_alice);
  free(tok_root);
  llmsup_fake_stop(&fake);
  websup_fake_stop(&sx);
}

TestSuite(outbound, .init = start_plain, .fini = stop, .timeout = 90);
TestSuite(outbound_allow, .init = start_allow, .fini = stop, .timeout = 90);

/* The user's own settings point at the fakes by IP (not as the environment does). */
static void own_settings(const char *user) {
  char url[128], surl[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", fake.port);
  snprintf(surl, sizeof surl, "http://127.0.0.1:%d", sx.port);
  json_t *models = json_pack("{s:{s:s, s:s, s:{s:s}}}", "default", "base_url", url, "provider", "openai", "headers",
                             "Metadata-Flavor", "Google");
  cr_assert_eq(store_setting_put(env.app->store, user, "models", models), STORE_OK);
  json_decref(models);
  json_t *search = json_pack("{s:s, s:[s]}", "searxng_url", surl, "providers", "searxng");
  cr_assert_eq(store_setting_put(env.app->store, user, "search", search), STORE_OK);
  json_decref(search);
}

static int chat(const char *user, const char *content, char *err, size_t errlen) {
  llm_message_t m[1] = {{"user", content}};
  llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1, .messages = m, .nmessages = 1, .user_id = user};
  llm_response_t r;
  int rc = llm_chat(env.app->llm, &req, &r, err, errlen);
  llm_response_free(&r);
  return rc;
}

static int search(const char *user, char *err, size_t errlen) {
  const char *q[] = {"tidal power"};
  web_results_t out = {0};
  web_search_opts_t o = {.max_results = 3, .no_cache = 1};
  int rc = web_search(env.app->web, user, q, 1, &o, &out, err, errlen);
  web_results_free(&out);
  return rc;
}

static void expect_policy_error(const char *what, const char *msg) {
  cr_assert(msg && strstr(msg, "refused") && strstr(msg, "127.0.0.1") && strstr(msg, "loopback") &&
                strstr(msg, "OUTBOUND_ALLOW_HOSTS"),
            "%s: the error names the policy: %s", what, msg ? msg : "(none)");
}

Test(outbound, researcher_settings_cannot_reach_internal_addresses) {
  own_settings(alice);
  llmsup_fake_reset(&fake);
  long sx0 = websup_fake_count(&sx, "/search");
  char err[1024];

  cr_assert_eq(chat(alice, "hello", err, sizeof err), LLM_ERR);
  expect_policy_error("chat", err);

  cr_assert_eq(search(alice, err, sizeof err), -1);
  expect_policy_error("search", err);

  long st;
  json_t *body = json_pack("{s:s}", "kind", "llm");
  json_t *rep = ts_json(&ts, "POST", "/api/settings/test-connection", tok_alice, body, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_false(json_object_get(rep, "ok")));
  expect_policy_error("test-connection", json_string_value(json_object_get(rep, "error")));
  char *dump = json_dumps(rep, 0);
  cr_assert_null(strstr(dump, "internal-model"), "no model id of the internal service is echoed");
  free(dump);
  json_decref(rep);
  json_decref(body);

  /* an unsaved URL in the test request: the cloud metadata service */
  body = json_pack("{s:s, s:{s:s, s:{s:s}}}", "kind", "llm", "endpoint", "base_url",
                   "http://169.254.169.254/computeMetadata/v1", "headers", "Metadata-Flavor", "Google");
  rep = ts_json(&ts, "POST", "/api/settings/test-connection", tok_alice, body, &st);
  cr_assert_eq(st, 200);
  const char *e = json_string_value(json_object_get(rep, "error"));
  cr_assert(e && strstr(e, "refused") && strstr(e, "cloud metadata"), "%s", e ? e : "(none)");
  json_decref(rep);
  json_decref(body);

  body = json_pack("{s:s}", "kind", "search");
  rep = ts_json(&ts, "POST", "/api/settings/test-connection", tok_alice, body, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_false(json_object_get(rep, "ok")));
  expect_policy_error("search test-connection", json_string_value(json_object_get(rep, "error")));
  json_decref(rep);
  json_decref(body);

  ts_response_t r = ts_http(&ts, "GET", "/api/settings/models?endpoint=mid", tok_alice, NULL, NULL, 0);
  cr_assert_eq(r.status, 503, "%ld %s", r.status, r.body);
  expect_policy_error("model list", r.body);
  cr_assert_null(strstr(r.body, "internal-model"));
  ts_response_free(&r);

  cr_assert_eq(llmsup_fake_total(&fake), 0, "nothing reached the internal model server");
  cr_assert_eq(websup_fake_count(&sx, "/search"), sx0, "nothing reached the internal SearXNG");
}

Test(outbound, admin_settings_and_environment_may_name_internal_endpoints) {
  char err[1024];
  /* the environment's endpoints (alice has no settings of her own) */
  cr_assert_eq(chat(alice, "hello", err, sizeof err), LLM_OK, "%s", err);
  cr_assert_eq(search(alice, err, sizeof err), 0, "%s", err);
  /* an admin's own settings */
  own_settings(root);
  llmsup_fake_reset(&fake);
  cr_assert_eq(chat(root, "hello", err, sizeof err), LLM_OK, "%s", err);
  cr_assert_eq(llmsup_fake_total(&fake), 1);
  cr_assert_eq(search(root, err, sizeof err), 0, "%s", err);
  long st;
  json_t *body = json_pack("{s:s}", "kind", "llm");
  json_t *rep = ts_json(&ts, "POST", "/api/settings/test-connection", tok_root, body, &st);
  cr_assert(json_is_true(json_object_get(rep, "ok")), "%s", json_string_value(json_object_get(rep, "error")));
  json_decref(rep);
  json_decref(body);
}

Test(outbound, error_bodies_are_short_clean_excerpts) {
  char err[1024];
  cr_assert_eq(chat(alice, "fail please", err, sizeof err), LLM_ERR);
  cr_assert(strstr(err, "internal secret line one"), "the start of the message is shown: %s", err);
  cr_assert_null(strstr(err, "the tail that must not be echoed"), "%s", err);
  for (const char *p = err; *p; p++) cr_assert((unsigned char)*p >= 0x20, "control character in %s", err);
  cr_assert_lt(strlen(err), 400, "%s", err);
}

Test(outbound_allow, allow_listed_host_is_reachable_for_a_researcher) {
  own_settings(alice);
  llmsup_fake_reset(&fake);
  char err[1024];
  cr_assert_eq(chat(alice, "hello", err, sizeof err), LLM_OK, "%s", err);
  cr_assert_eq(llmsup_fake_total(&fake), 1);
  cr_assert_eq(search(alice, err, sizeof err), 0, "%s", err);
  /* the list opens only what it names */
  long st;
  json_t *body = json_pack("{s:s, s:{s:s}}", "kind", "llm", "endpoint", "base_url", "http://10.0.0.1:9/v1");
  json_t *rep = ts_json(&ts, "POST", "/api/settings/test-connection", tok_alice, body, &st);
  const char *e = json_string_value(json_object_get(rep, "error"));
  cr_assert(e && strstr(e, "refused") && strstr(e, "private"), "%s", e ? e : "(none)");
  json_decref(rep);
  json_decref(body);
}
