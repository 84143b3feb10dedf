/* test_web_search.c - providers, fallback, merge, cache, per-user settings,
 * against the fake search server (SearXNG/Tavily/Brave shapes) on loopback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/util.h"
#include "llm/llm.h"
#include "llm_support.h"
#include "store/users.h"
#include "web/web.h"
#include "web_support.h"

static websup_fake_t fakes[2];

static void stop_all(void) {
  for (int i = 0; i < 2; i++) websup_fake_stop(&fakes[i]);
}
TestSuite(web_search, .fini = stop_all, .timeout = 60);

static int start(int i, const char *mode) {
  const char *args[] = {"--mode", mode, "--delay", "3", NULL};
  cr_assert_eq(websup_fake_start(&fakes[i], "fake_searxng.py", args), 0);
  return fakes[i].port;
}

static int search1(web_t *w, const char *q, web_results_t *r, char *err, size_t n) {
  const char *qs[] = {q};
  return web_search(w, NULL, qs, 1, NULL, r, err, n);
}

Test(web_search, searxng_results_have_every_field) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "normal"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "okapi bm25", &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.n, 3);
  cr_assert_str_eq(r.provider, "searxng");
  cr_assert_str_eq(r.items[0].url, "https://example.org/okapi-bm25/1");
  cr_assert_str_eq(r.items[0].title, "First result for okapi bm25");
  cr_assert_str_eq(r.items[0].snippet, "About okapi bm25, first.");
  cr_assert_str_eq(r.items[0].engine, "searxng:duckduckgo");
  cr_assert_str_eq(r.items[0].published, "2021-03-04T00:00:00");
  cr_assert_null(r.items[1].published);
  cr_assert(r.items[0].score > r.items[1].score);
  cr_assert(r.warnings && strstr(r.warnings, "google (timeout)"), "unresponsive engine reported: %s", r.warnings);
  json_t *j = web_results_json(&r);
  cr_assert_eq(json_array_size(j), 3);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "published_date")), "2021-03-04T00:00:00");
  json_decref(j);
  web_results_free(&r);
  websup_web_free(w);
}

Test(web_search, searxng_403_explains_settings_yml) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "forbidden"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "x", &r, err, sizeof err), -1);
  cr_assert(strstr(err, "403") && strstr(err, "JSON output format is disabled") && strstr(err, "settings.yml") &&
                strstr(err, "formats: [html, json]"),
            "%s", err);
  websup_web_free(w);
}

Test(web_search, empty_results_name_failed_engines) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "empty"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "x", &r, err, sizeof err), -1);
  cr_assert(strstr(err, "engines failed") && strstr(err, "google (timeout)") && strstr(err, "bing (CAPTCHA)"), "%s",
            err);
  websup_web_free(w);
}

Test(web_search, slow_provider_times_out) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "slow"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=0", "FETCH_TIMEOUT_SECONDS=1", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "x", &r, err, sizeof err), -1);
  cr_assert(strstr(err, "timed out"), "%s", err);
  websup_web_free(w);
}

Test(web_search, failing_provider_falls_back) {
  char sx[128], tv[128], err[1024];
  snprintf(sx, sizeof sx, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "error"));
  snprintf(tv, sizeof tv, "TAVILY_URL=http://127.0.0.1:%d", start(1, "normal"));
  const char *env[] = {sx,  tv, "TAVILY_API_KEY=tvly-test", "SEARCH_PROVIDERS=searxng,tavily", "WEB_CACHE_TTL_HOURS=0",
                       NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "tidal power", &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.provider, "tavily");
  cr_assert_eq(r.n, 3);
  cr_assert_str_eq(r.items[0].engine, "tavily");
  cr_assert(r.warnings && strstr(r.warnings, "HTTP 500") && strstr(r.warnings, "answered by tavily"), "%s", r.warnings);
  web_results_free(&r);
  websup_web_free(w);
}

Test(web_search, rate_limited_provider_is_skipped_for_a_while) {
  char sx[128], br[128], err[1024];
  snprintf(sx, sizeof sx, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "ratelimit"));
  snprintf(br, sizeof br, "BRAVE_URL=http://127.0.0.1:%d", start(1, "normal"));
  const char *env[] = {sx, br, "BRAVE_API_KEY=brave-test", "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "one", &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.provider, "brave");
  cr_assert_str_eq(r.items[0].snippet, "About one, first.");
  web_results_free(&r);
  cr_assert_eq(search1(w, "two", &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.provider, "brave");
  cr_assert(r.warnings && strstr(r.warnings, "rate-limited"), "%s", r.warnings);
  web_results_free(&r);
  cr_assert_eq(websup_fake_count(&fakes[0], "/search"), 1, "Retry-After honoured: searxng asked once");
  websup_web_free(w);
}

Test(web_search, bad_keys_are_reported) {
  char br[128], err[1024];
  snprintf(br, sizeof br, "BRAVE_URL=http://127.0.0.1:%d", start(0, "normal"));
  const char *env[] = {br, "BRAVE_API_KEY=wrong", "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "x", &r, err, sizeof err), -1);
  cr_assert(strstr(err, "Brave answered HTTP 401") && strstr(err, "check the Brave Search API key"), "%s", err);
  cr_assert_null(strstr(err, "wrong"), "the key is not echoed");
  websup_web_free(w);
}

Test(web_search, nothing_configured) {
  char err[1024];
  const char *env[] = {"WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_results_t r;
  cr_assert_eq(search1(w, "x", &r, err, sizeof err), -1);
  cr_assert(strstr(err, "no search provider is configured"), "%s", err);
  websup_web_free(w);
}

Test(web_search, queries_merged_and_deduplicated) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "normal"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  const char *qs[] = {"alpha", "beta", "gamma"};
  web_results_t r;
  cr_assert_eq(web_search(w, NULL, qs, 3, NULL, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.n, 7, "3 queries x 3 results, the shared page once: %zu", r.n);
  cr_assert_str_eq(r.items[0].url, "https://en.wikipedia.org/wiki/Shared_Page", "found by all three: first");
  cr_assert_float_eq(r.items[0].score, 1.5, 1e-9);
  int shared = 0;
  for (size_t i = 0; i < r.n; i++) shared += strstr(r.items[i].url, "Shared_Page") != NULL;
  cr_assert_eq(shared, 1);
  web_results_free(&r);
  websup_web_free(w);
}

static store_t *temp_store(void) {
  char dir[] = "/tmp/maestro-websearch-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256], err[256];
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert(st, "%s", err);
  return st;
}

Test(web_search, cached_within_ttl) {
  char url[128], err[1024];
  snprintf(url, sizeof url, "SEARXNG_URL=http://127.0.0.1:%d", start(0, "normal"));
  const char *env[] = {url, "WEB_CACHE_TTL_HOURS=48", NULL};
  store_t *st = temp_store();
  web_t *w = websup_web(env, st);
  web_results_t r;
  cr_assert_eq(search1(w, "cache me", &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.from_cache, 0);
  web_results_free(&r);
  cr_assert_eq(search1(w, "cache me", &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.from_cache, 1);
  cr_assert_eq(r.n, 3);
  cr_assert_str_eq(r.items[0].title, "First result for cache me");
  cr_assert_str_eq(r.provider, "searxng");
  web_results_free(&r);
  cr_assert_eq(websup_fake_count(&fakes[0], "/search"), 1);
  websup_web_free(w);
  store_close(st);
}

Test(web_search, per_user_settings_choose_provider) {
  char br[128], err[1024];
  snprintf(br, sizeof br, "http://127.0.0.1:%d", start(0, "normal"));
  /* the fake on loopback stands in for a public provider a researcher names */
  const char *env[] = {"WEB_CACHE_TTL_HOURS=0", "OUTBOUND_ALLOW_HOSTS=127.0.0.1", NULL};
  store_t *st = temp_store();
  store_user_t u = {.username = "alice", .password_hash = "x", .role = "researcher", .active = 1};
  cr_assert_eq(store_user_insert(st, &u), STORE_OK);
  json_t *doc = json_pack("{s:[s], s:s, s:s}", "providers", "brave", "brave_url", br, "brave_api_key", "brave-test");
  cr_assert_eq(store_setting_put(st, u.id, "search", doc), STORE_OK);
  json_decref(doc);
  web_t *w = websup_web(env, st);
  web_results_t r;
  const char *qs[] = {"user scoped"};
  cr_assert_eq(web_search(w, NULL, qs, 1, NULL, &r, err, sizeof err), -1, "no env provider");
  cr_assert_eq(web_search(w, u.id, qs, 1, NULL, &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.provider, "brave");
  web_results_free(&r);

  /* the settings check: saved settings, then an override that breaks them */
  json_t *res = NULL;
  cr_assert_eq(web_test_search(w, u.id, NULL, &res), 0);
  cr_assert(json_is_true(json_object_get(res, "ok")), "%s", json_dumps(res, 0));
  cr_assert_str_eq(json_string_value(json_object_get(res, "provider")), "brave");
  cr_assert_eq(json_integer_value(json_object_get(res, "results")), 3);
  json_decref(res);
  json_t *req = json_pack("{s:s}", "brave_api_key", "bad-key");
  cr_assert_eq(web_test_search(w, u.id, req, &res), 0);
  cr_assert(json_is_false(json_object_get(res, "ok")));
  cr_assert(strstr(json_string_value(json_object_get(res, "error")), "401"));
  json_decref(res);
  json_decref(req);
  req = json_pack("{s:s, s:{s:s}}", "kind", "search", "settings", "brave_api_key", "bad-key");
  cr_assert_eq(web_test_search(w, u.id, req, &res), 0);
  cr_assert(json_is_false(json_object_get(res, "ok")), "nested settings are read too");
  json_decref(res);
  json_decref(req);
  req = json_pack("{s:s}", "provider", "nope");
  cr_assert_eq(web_test_search(w, u.id, req, &res), -1);
  json_decref(res);
  json_decref(req);
  websup_web_free(w);
  store_close(st);
}

Test(web_search, provider_rate_limit_spaces_requests) {
  char br[128], err[1024];
  snprintf(br, sizeof br, "BRAVE_URL=http://127.0.0.1:%d", start(0, "normal"));
  const char *env[] = {br, "BRAVE_API_KEY=brave-test", "WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  const char *qs[] = {"q one", "q two", "q three"};
  web_results_t r;
  int64_t t0 = util_mono_ms();
  cr_assert_eq(web_search(w, NULL, qs, 3, NULL, &r, err, sizeof err), 0, "%s", err);
  int64_t ms = util_mono_ms() - t0;
  /* Brave allows one request per second: three queries on parallel threads
   * still start at least 1 s apart */
  cr_assert_geq(ms, 2000, "three Brave requests took only %lld ms", (long long)ms);
  cr_assert_eq(websup_fake_count(&fakes[0], "/res/v1/web/search"), 3);
  cr_assert_eq(r.n, 7);
  web_results_free(&r);
  websup_web_free(w);
}

Test(web_search, sealed_api_keys_in_user_settings) {
  char br[128], err[1024];
  snprintf(br, sizeof br, "http://127.0.0.1:%d", start(0, "normal"));
  /* the fake on loopback stands in for a public provider a researcher names */
  const char *env[] = {"WEB_CACHE_TTL_HOURS=0", "OUTBOUND_ALLOW_HOSTS=127.0.0.1", NULL};
  llmsup_app_t *a = llmsup_app(env);
  json_t *doc = json_pack("{s:[s], s:s, s:s}", "providers", "brave", "brave_url", br, "brave_api_key", "brave-test");
  json_t *sealed = secrets_seal_doc(a->app->secrets, doc, NULL);
  char *text = json_dumps(sealed, 0);
  cr_assert_null(strstr(text, "brave-test"), "the key is stored encrypted: %s", text);
  free(text);
  cr_assert_eq(store_setting_put(a->app->store, a->user_id, "search", sealed), STORE_OK);
  json_decref(sealed);
  json_decref(doc);
  web_t *w = web_new(a->app->cfg, a->app->store, err, sizeof err);
  cr_assert(w, "%s", err);
  web_set_llm(w, a->app->llm);
  const char *qs[] = {"sealed"};
  web_results_t r;
  cr_assert_eq(web_search(w, a->user_id, qs, 1, NULL, &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.provider, "brave");
  web_results_free(&r);
  web_free(w);
  llmsup_app_free(a);
}
