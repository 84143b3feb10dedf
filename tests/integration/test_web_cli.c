/* test_web_cli.c - `maestro websearch` and `maestro fetch` (the real binary)
 * against the fake search server and the fake site on loopback. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server_support.h"
#include "web_support.h"

static websup_fake_t search, site;

static void stop_all(void) {
  websup_fake_stop(&search);
  websup_fake_stop(&site);
}
TestSuite(web_cli, .fini = stop_all, .timeout = 90);

static char *cli_log(const char *dir) {
  char path[300];
  snprintf(path, sizeof path, "%s/cli.log", dir);
  char *s = util_read_file(path, NULL);
  return s ? s : util_strdup("");
}

Test(web_cli, websearch_prints_results_and_explains_failures) {
  const char *normal[] = {"--mode", "normal", NULL};
  cr_assert_eq(websup_fake_start(&search, "fake_searxng.py", normal), 0);
  char dir[256], env1[128];
  ts_tmpdir(dir, sizeof dir);
  snprintf(env1, sizeof env1, "SEARXNG_URL=http://127.0.0.1:%d", search.port);
  const char *env[] = {env1, NULL};
  char *out = NULL;
  int st = ts_run_cli(dir, env, NULL, &out, "websearch", "-n", "2", "tidal power", NULL);
  cr_assert_eq(st, 0, "exit %d, log: %s", st, cli_log(dir));
  cr_assert(strstr(out, "1. First result for tidal power"), "%s", out);
  cr_assert(strstr(out, "https://example.org/tidal-power/1"), "%s", out);
  cr_assert(strstr(out, "2 results from searxng"), "%s", out);
  free(out);
  st = ts_run_cli(dir, env, NULL, &out, "websearch", "--json", "alpha", "beta", NULL);
  cr_assert_eq(st, 0);
  json_t *j = json_loads(out, 0, NULL);
  cr_assert(j, "JSON output: %s", out);
  cr_assert_eq(json_array_size(json_object_get(j, "results")), 5, "merged, shared page once");
  json_decref(j);
  free(out);
  st = ts_run_cli(dir, env, NULL, &out, "websearch", NULL);
  cr_assert_eq(st, 2, "no query is a usage error");
  free(out);
  st = ts_run_cli(dir, env, NULL, &out, "websearch", "--help", NULL);
  cr_assert_eq(st, 0);
  cr_assert(strstr(out, "usage: maestro websearch"));
  free(out);
  websup_fake_stop(&search);

  const char *forbidden[] = {"--mode", "forbidden", NULL};
  cr_assert_eq(websup_fake_start(&search, "fake_searxng.py", forbidden), 0);
  snprintf(env1, sizeof env1, "SEARXNG_URL=http://127.0.0.1:%d", search.port);
  st = ts_run_cli(dir, env, NULL, &out, "websearch", "--no-cache", "x", NULL);
  cr_assert_eq(st, 1);
  char *log = cli_log(dir);
  cr_assert(strstr(log, "settings.yml") && strstr(log, "formats: [html, json]"), "%s", log);
  free(log);
  free(out);
}

Test(web_cli, fetch_prints_text_caches_and_refuses_loopback) {
  cr_assert_eq(websup_fake_start(&site, "fake_site.py", NULL), 0);
  char dir[256], url[128];
  ts_tmpdir(dir, sizeof dir);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/article", site.port);
  const char *deny[] = {NULL};
  char *out = NULL;
  int st = ts_run_cli(dir, deny, NULL, &out, "fetch", url, NULL);
  cr_assert_eq(st, 1, "loopback refused without the allow-list");
  char *log = cli_log(dir);
  cr_assert(strstr(log, "loopback") && strstr(log, "FETCH_ALLOW_HOSTS"), "%s", log);
  free(log);
  free(out);
  cr_assert_eq(websup_fake_count(&site, "/article"), 0);

  const char *allow[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", NULL};
  st = ts_run_cli(dir, allow, NULL, &out, "fetch", url, NULL);
  cr_assert_eq(st, 0, "log: %s", cli_log(dir));
  cr_assert(strstr(out, "Title: Tidal power plant opens in Brittany"), "%s", out);
  cr_assert(strstr(out, "Published: 2024-05-17T08:30:00Z"), "%s", out);
  cr_assert(strstr(out, "ARTICLE-BODY-MARKER"), "%s", out);
  cr_assert_null(strstr(out, "MENU-ITEM"), "%s", out);
  cr_assert_null(strstr(out, "(cached)"));
  free(out);
  st = ts_run_cli(dir, allow, NULL, &out, "fetch", url, NULL);
  cr_assert_eq(st, 0);
  cr_assert(strstr(out, "(cached)"), "%s", out);
  cr_assert(strstr(out, "ARTICLE-BODY-MARKER"));
  free(out);
  cr_assert_eq(websup_fake_count(&site, "/article"), 1, "second fetch within the TTL came from the cache");

  char redirect[256];
  snprintf(redirect, sizeof redirect, "http://127.0.0.1:%d/redirect?to=http://169.254.169.254/latest/meta-data/",
           site.port);
  st = ts_run_cli(dir, allow, NULL, &out, "fetch", redirect, NULL);
  cr_assert_eq(st, 1);
  log = cli_log(dir);
  cr_assert(strstr(log, "cloud metadata"), "%s", log);
  free(log);
  free(out);
}
