/*
 * The plugin ABI end to end: the shipped sql and data plugins loaded from
 * PLUGINS_DIR by the real server next to three broken ones (wrong ABI,
 * missing entry point, failing init) that are refused with a log line
 * while the server starts; GET /api/plugins; the data plugin's route
 * (the guide's analyze-data endpoint) with figures checked against a known
 * CSV; role checks; a slow plugin cut off by PLUGIN_TIMEOUT_SECONDS;
 * `maestro plugins list`; the sql plugin's read-only enforcement
 * through the loader in process; and a route whose plugin asks the model
 * (host->complete) answered with the signed-in user's model.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "llm_support.h"
#include "plugins/plugins.h"
#include "server_support.h"
#include "web_support.h"

static char build_dir[512];

/* A PLUGINS_DIR with the shipped plugins, the fixtures and sql.json over
 * a small sales database. */
static void make_plugins_dir(char *dir, size_t n) {
  ts_tmpdir(dir, n);
  char *bin = util_strdup(MAESTRO_BINARY);
  snprintf(build_dir, sizeof build_dir, "%s", dirname(bin));
  free(bin);
  const char *const files[] = {"plugins/sql.so",          "plugins/data.so",          "test-plugins/wrongabi.so",
                               "test-plugins/noentry.so", "test-plugins/failinit.so", "test-plugins/slow.so"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char from[1024], to[1024];
    snprintf(from, sizeof from, "%s/%s", build_dir, files[i]);
    snprintf(to, sizeof to, "%s/%s", dir, strrchr(files[i], '/') + 1);
    cr_assert_eq(symlink(from, to), 0, "symlink %s", from);
  }
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "sqlite3 %s/sales.db \"CREATE TABLE sales(region TEXT, year INT, revenue REAL);"
           "INSERT INTO sales VALUES('North',2023,1200),('South',2023,900),('North',2024,1500),('South',2024,700);\"",
           dir);
  cr_assert_eq(system(cmd), 0, "sqlite3 CLI");
  char path[1024];
  snprintf(path, sizeof path, "%s/sql.json", dir);
  json_t *cfg = json_pack("{s:{s:s+}, s:[{s:s, s:s, s:s}]}", "databases", "sales", dir, "/sales.db", "queries", "name",
                          "revenue_by_region", "description", "Revenue by region and year", "sql",
                          "SELECT region, year, revenue FROM sales ORDER BY year, region");
  cr_assert_eq(json_dump_file(cfg, path, 0), 0);
  json_decref(cfg);
}

/* x: 1..9 and 100 (one outlier), y = 2x except the last, a text column. */
static const char CSV[] = "x,y,group\n1,2,a\n2,4,b\n3,6,a\n4,8,a\n5,10,b\n6,12,a\n7,14,\n8,16,a\n9,18,b\n100,20,a\n";

static double stat(json_t *analysis, const char *col, const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(analysis, "columns"), i, c) {
    if (!strcmp(json_string_value(json_object_get(c, "name")), col))
      return json_number_value(json_object_get(json_object_get(c, "stats"), name));
  }
  return NAN;
}

Test(plugins, server_loads_shipped_refuses_broken, .timeout = 120) {
  char dir[256];
  make_plugins_dir(dir, sizeof dir);
  char env1[400], env2[400];
  snprintf(env1, sizeof env1, "PLUGINS_DIR=%s", dir);
  snprintf(env2, sizeof env2, "PLUGIN_DATA_PATH=%s", dir);
  const char *env[] = {env1, env2, "PLUGIN_TIMEOUT_SECONDS=1", NULL};
  ts_server_t srv;
  cr_assert_eq(ts_server_start(&srv, env), 0, "the server starts despite the broken plugins");
  char *admin = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(admin);

  long st;
  json_t *list = ts_json(&srv, "GET", "/api/plugins", admin, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *ps = json_object_get(list, "plugins");
  cr_expect_eq(json_array_size(ps), 3, "data, slow and sql load");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(ps, 0), "name")), "data");
  json_t *sqlp = json_array_get(ps, 2);
  cr_expect_str_eq(json_string_value(json_object_get(sqlp, "name")), "sql");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(sqlp, "sources"), 0), "id")),
                   "plugin:sql/sql");
  json_t *refused = json_object_get(list, "refused");
  cr_expect_eq(json_array_size(refused), 3);
  char *r = json_dumps(refused, 0);
  cr_expect(strstr(r, "failinit.so") && strstr(r, "the database is not reachable"), "%s", r);
  cr_expect(strstr(r, "noentry.so") && strstr(r, "missing symbol maestro_plugin_entry"), "%s", r);
  cr_expect(strstr(r, "wrongabi.so") && strstr(r, "ABI version 3, this server speaks 1 to 2"), "%s", r);
  free(r);
  json_decref(list);
  size_t loglen = 0;
  char *log = util_read_file(srv.log, &loglen);
  cr_expect(log && strstr(log, "plugin wrongabi.so refused"), "one log line per refused plugin");
  free(log);

  /* the guide's analyze-data endpoint, through the data plugin */
  json_t *body = json_pack("{s:s, s:s}", "csv", CSV, "name", "known.csv");
  json_t *a = ts_json(&srv, "POST", "/api/plugins/data/analyze", admin, body, &st);
  cr_assert_eq(st, 200, "analyze answers 200");
  cr_expect_eq(json_integer_value(json_object_get(a, "rows")), 10);
  cr_expect_float_eq(stat(a, "x", "mean"), 14.5, 1e-9);
  cr_expect_float_eq(stat(a, "x", "median"), 5.5, 1e-9);
  cr_expect_float_eq(stat(a, "x", "q1"), 3.25, 1e-9);
  cr_expect_float_eq(stat(a, "x", "q3"), 7.75, 1e-9);
  cr_expect_float_eq(stat(a, "x", "sd"), 30.152391, 1e-5); /* statistics.stdev */
  json_t *x = json_array_get(json_object_get(a, "columns"), 0);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(x, "outliers"), "iqr")), 1, "100 is outside");
  json_t *g = json_array_get(json_object_get(a, "columns"), 2);
  cr_expect_str_eq(json_string_value(json_object_get(g, "type")), "text");
  cr_expect_eq(json_integer_value(json_object_get(g, "missing")), 1);
  json_t *corr = json_array_get(json_object_get(a, "correlations"), 0);
  cr_expect_float_eq(json_number_value(json_object_get(corr, "r")), 0.5933, 1e-4, "pearson r of x and y");
  json_t *charts = json_object_get(a, "charts");
  cr_expect_geq(json_array_size(charts), 3, "histograms, bar, scatter");
  cr_expect(util_starts_with(json_string_value(json_object_get(json_array_get(charts, 0), "svg")), "<svg "));
  json_decref(a);
  json_decref(body);

  /* bad input: a clear 422 from the plugin */
  body = json_pack("{s:s}", "csv", "only-a-header\n");
  a = ts_json(&srv, "POST", "/api/plugins/data/analyze", admin, body, &st);
  cr_expect_eq(st, 422);
  cr_expect_str_eq(ts_error_code(a), "invalid_data");
  json_decref(a);
  json_decref(body);
  /* a configured file may not escape the data directory */
  body = json_pack("{s:s}", "file", "../etc/passwd");
  a = ts_json(&srv, "POST", "/api/plugins/data/analyze", admin, body, &st);
  cr_expect_eq(st, 422);
  json_decref(a);
  json_decref(body);

  /* the role the plugin declared (researcher) is enforced; no token: 401 */
  json_t *u = json_pack("{s:s, s:s, s:s}", "username", "vera", "password", "viewer-pass-123", "role", "viewer");
  json_decref(ts_json(&srv, "POST", "/api/admin/users", admin, u, &st));
  json_decref(u);
  cr_assert(st == 200 || st == 201, "viewer created (%ld)", st);
  char *viewer = ts_login(&srv, "vera", "viewer-pass-123");
  body = json_pack("{s:s}", "csv", CSV);
  a = ts_json(&srv, "POST", "/api/plugins/data/analyze", viewer, body, &st);
  cr_expect_eq(st, 403);
  json_decref(a);
  a = ts_json(&srv, "POST", "/api/plugins/data/analyze", NULL, body, &st);
  cr_expect_eq(st, 401);
  json_decref(a);
  json_decref(body);
  a = ts_json(&srv, "GET", "/api/plugins", viewer, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_null(json_object_get(a, "refused"), "loader errors are for admins");
  json_decref(a);
  a = ts_json(&srv, "GET", "/api/plugins/data/nothing", admin, NULL, &st);
  cr_expect_eq(st, 404);
  json_decref(a);
  free(viewer);

  /* a plugin slower than PLUGIN_TIMEOUT_SECONDS: an error, and the server answers on */
  int64_t t0 = util_mono_ms();
  a = ts_json(&srv, "GET", "/api/plugins/slow/wait", admin, NULL, &st);
  cr_expect_eq(st, 502);
  cr_expect(strstr(json_string_value(json_object_get(json_object_get(a, "error"), "message")), "within 1 s"));
  cr_expect_lt(util_mono_ms() - t0, 2800, "the caller is not held until the plugin returns");
  json_decref(a);
  a = ts_json(&srv, "GET", "/health", NULL, NULL, &st);
  cr_expect_eq(st, 200);
  json_decref(a);

  free(admin);
  cr_expect_eq(ts_server_stop(&srv), 0);

  /* the CLI lists the same */
  char *out = NULL;
  cr_expect_eq(ts_run_cli(dir, env, NULL, &out, "plugins", "list", NULL), 0);
  cr_expect(out && strstr(out, "sql 1.0.0") && strstr(out, "sources: plugin:sql/sql") &&
                strstr(out, "tools: analyze, list") && strstr(out, "refused failinit.so: init failed"),
            "%s", out ? out : "");
  free(out);
}

Test(plugins, sql_is_read_only, .timeout = 60) {
  char dir[256];
  make_plugins_dir(dir, sizeof dir);
  char env1[400];
  snprintf(env1, sizeof env1, "PLUGINS_DIR=%s", dir);
  const char *env[] = {env1, NULL};
  config_t *cfg = websup_config(env);
  plugins_t *pl = plugins_load(cfg);
  char err[512];
  json_t *out = NULL;

  json_t *in =
      json_pack("{s:s, s:s}", "database", "sales", "sql", "SELECT region, revenue FROM sales WHERE year = 2024");
  cr_assert_eq(plugins_call_tool(pl, "sql", "query", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_array_size(json_object_get(out, "rows")), 2);
  json_decref(out);
  json_decref(in);

  const char *const refused[] = {
      "UPDATE sales SET revenue = 0",
      "ATTACH DATABASE '/tmp/x.db' AS x",
      "PRAGMA writable_schema = 1",
      "SELECT 1; DELETE FROM sales",
      "WITH t AS (SELECT 1) DELETE FROM sales",
      "SELECT * FROM pragma_table_info('sales') WHERE 0 = (SELECT count(*) FROM sqlite_schema)",
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    in = json_pack("{s:s, s:s}", "database", "sales", "sql", refused[i]);
    out = NULL;
    err[0] = 0;
    int rc = plugins_call_tool(pl, "sql", "query", in, &out, err, sizeof err);
    cr_expect_eq(rc, -1, "refused: %s", refused[i]);
    cr_expect(err[0], "with a reason: %s", refused[i]);
    json_decref(out);
    json_decref(in);
  }
  /* the table is untouched */
  in = json_pack("{s:s, s:s}", "database", "sales", "sql", "SELECT sum(revenue) AS total FROM sales");
  cr_assert_eq(plugins_call_tool(pl, "sql", "query", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_float_eq(json_number_value(json_array_get(json_array_get(json_object_get(out, "rows"), 0), 0)), 4300, 1e-9);
  json_decref(out);
  json_decref(in);

  /* the source: the allowed query's rows, with the query as locator */
  json_t *ps = NULL;
  cr_assert_eq(plugins_search(pl, "plugin:sql/sql", "revenue by region", 5, &ps, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(ps), 1);
  json_t *p = json_array_get(ps, 0);
  cr_expect_str_eq(json_string_value(json_object_get(p, "locator")),
                   "SELECT region, year, revenue FROM sales ORDER BY year, region");
  cr_expect(strstr(json_string_value(json_object_get(p, "text")), "region: North; year: 2024; revenue: 1500."));
  json_decref(ps);
  cr_expect_eq(plugins_search(pl, "plugin:nope/sql", "x", 5, &ps, err, sizeof err), -1);
  plugins_free(pl);
  config_free(cfg);
}

/* docs/extending.md's minimal plugin compiles as printed and loads. */
Test(plugins, doc_minimal_plugin_compiles_and_loads, .timeout = 60) {
  char path[512];
  snprintf(path, sizeof path, "%s/docs/extending.md", MAESTRO_SOURCE_DIR);
  char *doc = util_read_file(path, NULL);
  cr_assert(doc, "docs/extending.md is missing");
  const char *mark = strstr(doc, "<!-- minimal-plugin -->\n```c\n");
  cr_assert(mark, "the minimal plugin block is missing from docs/extending.md");
  const char *code = strchr(mark, '\n') + 1;
  code = strchr(code, '\n') + 1;
  const char *end = strstr(code, "\n```");
  cr_assert(end);
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  char src[400], cmd[2048];
  snprintf(src, sizeof src, "%s/hello.c", dir);
  cr_assert_eq(util_write_file(src, code, (size_t)(end - code) + 1, 0644), 0);
  free(doc);
  snprintf(cmd, sizeof cmd, "cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I%s/include -o %s/hello.so %s",
           MAESTRO_SOURCE_DIR, dir, src);
  cr_assert_eq(system(cmd), 0, "the documented plugin does not compile: %s", cmd);

  char env1[400];
  snprintf(env1, sizeof env1, "PLUGINS_DIR=%s", dir);
  const char *env[] = {env1, "PLUGIN_HELLO_GREETING=Hi", NULL};
  config_t *cfg = websup_config(env);
  setenv("PLUGIN_HELLO_GREETING", "Hi", 1);
  plugins_t *pl = plugins_load(cfg);
  json_t *d = plugins_describe(pl);
  cr_expect_eq(json_array_size(json_object_get(d, "plugins")), 1, "hello loads");
  cr_expect_eq(json_array_size(json_object_get(d, "refused")), 0);
  json_decref(d);
  char err[512];
  json_t *out = NULL, *in = json_object();
  cr_assert_eq(plugins_call_tool(pl, "hello", "greet", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(json_string_value(json_object_get(out, "message")), "Hi from a plugin",
                   "the configuration came from PLUGIN_HELLO_GREETING");
  json_decref(out);
  json_decref(in);
  int status = 0;
  cr_expect_eq(plugins_route_role(pl, "hello", "GET", "greet"), 1);
  cr_assert_eq(plugins_call_route(pl, "hello", "GET", "greet", NULL, "u1", "viewer", &status, &out, err, sizeof err), 0,
               "%s", err);
  cr_expect_eq(status, 200);
  json_decref(out);
  unsetenv("PLUGIN_HELLO_GREETING");
  plugins_free(pl);
  config_free(cfg);
}

/* A plugin built for ABI version 1 (before host->complete) still loads and
 * answers: the server accepts descriptors of versions 1 and 2. */
Test(plugins, abi_1_plugin_still_loads, .timeout = 60) {
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  cr_assert_eq(ts_link_build_file(dir, "test-plugins/oldabi.so"), 0, "oldabi.so");
  char env1[400];
  snprintf(env1, sizeof env1, "PLUGINS_DIR=%s", dir);
  const char *env[] = {env1, NULL};
  config_t *cfg = websup_config(env);
  plugins_t *pl = plugins_load(cfg);
  json_t *d = plugins_describe(pl);
  cr_expect_eq(json_array_size(json_object_get(d, "refused")), 0);
  cr_assert_eq(json_array_size(json_object_get(d, "plugins")), 1, "the ABI-1 plugin loads");
  json_decref(d);
  char err[512];
  json_t *out = NULL, *in = json_object();
  cr_assert_eq(plugins_call_tool(pl, "oldabi", "hello", in, &out, err, sizeof err), 0, "%s", err);
  cr_expect(json_is_true(json_object_get(out, "v1")));
  json_decref(out);
  json_decref(in);
  plugins_free(pl);
  config_free(cfg);
}

/* A researcher's account and model (PUT /api/settings: the default model
 * of their own settings is `model`): *token (malloc'd) and *id. */
static void researcher_with_model(ts_server_t *srv, const char *admin, const char *name, const char *model,
                                  char **token, char id[17]) {
  long st = 0;
  json_t *u = json_pack("{s:s, s:s, s:s}", "username", name, "password", "secret-pass-123", "role", "researcher");
  json_t *r = ts_json(srv, "POST", "/api/admin/users", admin, u, &st);
  json_decref(u);
  cr_assert(st == 200 || st == 201, "user %s created (%ld)", name, st);
  snprintf(id, 17, "%s", json_string_value(json_object_get(r, "id")));
  json_decref(r);
  *token = ts_login(srv, name, "secret-pass-123");
  cr_assert(*token);
  json_t *put = json_pack("{s:{s:{s:s}}}", "models", "default", "model", model);
  json_decref(ts_json(srv, "PUT", "/api/settings", *token, put, &st));
  json_decref(put);
  cr_assert_eq(st, 200, "%s's model saved", name);
}

/* POST /api/plugins/asker/ask as token with body (stolen): the 200 body. */
static json_t *ask_route(ts_server_t *srv, const char *token, json_t *body) {
  long st = 0;
  json_t *r = ts_json(srv, "POST", "/api/plugins/asker/ask", token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 200, "the route answers (%ld)", st);
  return r;
}

/* Through HTTP: a plugin's route that asks the model (tests/plugins/
 * asker.c) gets the model of the signed-in user, whoever the request body
 * names; the fake answers by model name, and the model of the user the
 * body named is never asked. */
Test(plugins, route_complete_answers_for_the_signed_in_user, .timeout = 120) {
  llmsup_fake_t fake;
  cr_assert_eq(llmsup_fake_start(&fake,
                                 "{\"rules\": ["
                                 "{\"name\": \"a\", \"match\": {\"model\": \"model-a\"}, \"text\": \"Alice's model\"},"
                                 "{\"name\": \"b\", \"match\": {\"model\": \"model-b\"}, \"text\": \"Bob's model\"}]}"),
               0);
  char dir[256], url[128], e_url[200], e_dir[400];
  ts_tmpdir(dir, sizeof dir);
  cr_assert_eq(ts_link_build_file(dir, "test-plugins/asker.so"), 0, "asker.so");
  snprintf(e_dir, sizeof e_dir, "PLUGINS_DIR=%s", dir);
  snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=%s", llmsup_url(&fake, "", url, sizeof url));
  const char *env[] = {e_dir, e_url, "MODEL_NAME=fake-model", "LLM_MAX_RETRIES=0", NULL};
  ts_server_t srv;
  cr_assert_eq(ts_server_start(&srv, env), 0);
  char *admin = ts_login(&srv, "admin", "admin-pass-123");
  char *alice, *bob, alice_id[17], bob_id[17];
  researcher_with_model(&srv, admin, "alice", "model-a", &alice, alice_id);
  researcher_with_model(&srv, admin, "bob", "model-b", &bob, bob_id);

  json_t *r = ask_route(&srv, alice, json_object());
  cr_expect_eq(json_integer_value(json_object_get(r, "rc")), 0, "%s", json_string_value(json_object_get(r, "err")));
  cr_expect_str_eq(json_string_value(json_object_get(r, "answer")), "Alice's model");
  json_decref(r);
  r = ask_route(&srv, bob, json_object());
  cr_expect_str_eq(json_string_value(json_object_get(r, "answer")), "Bob's model");
  json_decref(r);

  /* Alice's request names Bob: the plugin passes the id on, and is refused */
  r = ask_route(&srv, alice, json_pack("{s:s}", "as", bob_id));
  cr_expect_eq(json_integer_value(json_object_get(r, "rc")), -1);
  const char *why = json_string_value(json_object_get(r, "err"));
  cr_expect(why && strstr(why, "cannot name \"user_id\""), "%s", why ? why : "(none)");
  json_decref(r);
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *by = json_object_get(calls, "by_rule");
  cr_expect_eq(json_integer_value(json_object_get(by, "a")), 1, "Alice's model answered once");
  cr_expect_eq(json_integer_value(json_object_get(by, "b")), 1, "Bob's model answered only Bob");
  cr_expect_eq(json_integer_value(json_object_get(calls, "total")), 2);
  json_decref(calls);
  free(alice);
  free(bob);
  free(admin);
  cr_expect_eq(ts_server_stop(&srv), 0);
  llmsup_fake_stop(&fake);
}
