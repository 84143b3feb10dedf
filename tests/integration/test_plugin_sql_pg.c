/*
 * The shipped sql plugin on a PostgreSQL database (a throwaway cluster,
 * tests/support/pg.h): loaded from PLUGINS_DIR with sql.json naming the
 * database by conninfo and by postgresql:// URL; the allow-listed queries
 * become passages with their SQL as locator (:q bound to the question); the
 * query tool runs a SELECT, holds row_limit and refuses writes, DDL and a
 * second statement with a reason, leaving the table as it was; the schema
 * tool lists the table; a bad allow-listed query refuses the plugin.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "pg_cluster_hooks.h"
#include "plugins/plugins.h"
#include "server_support.h"
#include "sqlgen_support.h"
#include "web_support.h"

static const char SALES_SQL[] = "SELECT region, year, revenue FROM sales ORDER BY year, region";
static const char REGION_SQL[] = "SELECT region, year, revenue FROM sales WHERE region = :q ORDER BY year";

/* A database with the sales table and 30 numbers. */
static void make_db(char *ci, size_t n) {
  pg_test_new_db(ci, n);
  char err[512];
  cr_assert_eq(pg_test_exec(ci,
                            "CREATE TABLE sales(region TEXT, year INT, revenue NUMERIC);"
                            "INSERT INTO sales VALUES('North',2023,1200),('South',2023,900),('North',2024,1500),"
                            "('South',2024,700);"
                            "CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 30) AS g",
                            err, sizeof err),
               0, "%s", err);
}

/* A PLUGINS_DIR with the shipped sql plugin and sql.json (cfg is stolen). */
static void make_plugins_dir(char *dir, size_t n, json_t *cfg) {
  ts_tmpdir(dir, n);
  char *bin = util_strdup(MAESTRO_BINARY);
  char from[1024], to[1024];
  snprintf(from, sizeof from, "%s/plugins/sql.so", dirname(bin));
  free(bin);
  snprintf(to, sizeof to, "%s/sql.so", dir);
  cr_assert_eq(symlink(from, to), 0, "symlink %s", from);
  snprintf(to, sizeof to, "%s/sql.json", dir);
  cr_assert_eq(json_dump_file(cfg, to, 0), 0);
  json_decref(cfg);
}

static plugins_t *load(const char *dir, config_t **cfg) {
  char env1[400];
  snprintf(env1, sizeof env1, "PLUGINS_DIR=%s", dir);
  const char *env[] = {env1, NULL};
  *cfg = websup_config(env);
  return plugins_load(*cfg);
}

/* The query tool's answer, or NULL with err. */
static json_t *run_query(plugins_t *pl, const char *db, const char *sql, char *err, size_t errlen) {
  json_t *in = json_pack("{s:s, s:s}", "database", db, "sql", sql), *out = NULL;
  err[0] = 0;
  int rc = plugins_call_tool(pl, "sql", "query", in, &out, err, errlen);
  json_decref(in);
  if (rc) {
    json_decref(out);
    return NULL;
  }
  return out;
}

Test(plugin_sql_pg, reads_postgresql_read_only, .timeout = 120) {
  char ci[512], url[600], dir[256];
  make_db(ci, sizeof ci);
  cr_assert_eq(pg_conninfo_url(ci, url, sizeof url), 0, "%s", ci);
  make_plugins_dir(
      dir, sizeof dir,
      json_pack("{s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}], s:i}", "databases", "sales", ci,
                "salesurl", url, "queries", "name", "revenue_by_region", "database", "sales", "description",
                "Revenue by region and year", "sql", SALES_SQL, "name", "one_region", "database", "salesurl",
                "description", "Revenue of one region", "sql", REGION_SQL, "row_limit", 10));
  config_t *cfg;
  plugins_t *pl = load(dir, &cfg);
  cr_assert(plugins_has_source(pl, "plugin:sql/sql"), "the sql plugin loads with PostgreSQL databases");
  char err[512];

  /* a SELECT: rows with their values, numbers as numbers */
  json_t *out =
      run_query(pl, "sales", "SELECT region, revenue FROM sales WHERE year = 2024 ORDER BY region", err, sizeof err);
  cr_assert(out, "%s", err);
  json_t *rows = json_object_get(out, "rows");
  cr_expect_eq(json_array_size(rows), 2);
  cr_expect_str_eq(json_string_value(json_array_get(json_array_get(rows, 0), 0)), "North");
  cr_expect_float_eq(json_number_value(json_array_get(json_array_get(rows, 0), 1)), 1500, 1e-9);
  cr_expect_str_eq(json_string_value(json_array_get(json_object_get(out, "columns"), 1)), "revenue");
  cr_expect(json_is_false(json_object_get(out, "truncated")));
  json_decref(out);

  /* the row limit holds, and says so */
  out = run_query(pl, "salesurl", "SELECT n FROM numbers ORDER BY n;", err, sizeof err);
  cr_assert(out, "%s", err);
  cr_expect_eq(json_array_size(json_object_get(out, "rows")), 10, "row_limit 10");
  cr_expect_eq(json_integer_value(json_array_get(json_array_get(json_object_get(out, "rows"), 9), 0)), 10);
  cr_expect(json_is_true(json_object_get(out, "truncated")));
  json_decref(out);

  /* a ';' in a literal or a comment is no second statement; ::casts stay */
  out = run_query(pl, "sales", "SELECT ';' AS a, 2::text AS b /* ; */ -- trailing; comment", err, sizeof err);
  cr_assert(out, "%s", err);
  cr_expect_str_eq(json_string_value(json_array_get(json_array_get(json_object_get(out, "rows"), 0), 0)), ";");
  cr_expect_str_eq(json_string_value(json_array_get(json_array_get(json_object_get(out, "rows"), 0), 1)), "2");
  json_decref(out);

  /* writes, DDL, a second statement: refused with a reason */
  const struct {
    const char *sql, *reason;
  } refused[] = {
      {"INSERT INTO sales VALUES('East', 2024, 1)", "only a SELECT"},
      {"UPDATE sales SET revenue = 0", "only a SELECT"},
      {"DELETE FROM sales", "only a SELECT"},
      {"DROP TABLE sales", "only a SELECT"},
      {"CREATE TABLE t(x INT)", "only a SELECT"},
      {"SELECT 1; DELETE FROM sales", "single statement"},
      {"SELECT 1; DROP TABLE sales;", "single statement"},
      {"SELECT ';' AS a /* ; */; SELECT 2", "single statement"},
      {"WITH t AS (SELECT 1) DELETE FROM sales", "refused"},
      {"WITH d AS (DELETE FROM sales RETURNING *) SELECT * FROM d", "refused"},
      {"SELECT * FROM sales FOR UPDATE", "read-only"},
      {"SELECT * INTO copy FROM sales", "refused"},
      {"SELECT nosuchcolumn FROM sales", "nosuchcolumn"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    out = run_query(pl, "sales", refused[i].sql, err, sizeof err);
    cr_expect_null(out, "refused: %s", refused[i].sql);
    cr_expect(strstr(err, refused[i].reason), "%s: the reason \"%s\" in \"%s\"", refused[i].sql, refused[i].reason,
              err);
    json_decref(out);
  }
  /* the table is as it was (read outside the plugin) */
  char *v = pg_test_scalar(ci, "SELECT count(*) || ' ' || sum(revenue) FROM sales");
  cr_expect_str_eq(v ? v : "", "4 4300");
  free(v);
  v = pg_test_scalar(ci, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'");
  cr_expect_str_eq(v ? v : "", "2", "no table created or dropped");
  free(v);
  /* an unknown database */
  cr_expect_null(run_query(pl, "nope", "SELECT 1", err, sizeof err));
  cr_expect(strstr(err, "unknown database"), "%s", err);

  /* the schema tool */
  json_t *in = json_pack("{s:s}", "database", "sales");
  out = NULL;
  cr_assert_eq(plugins_call_tool(pl, "sql", "schema", in, &out, err, sizeof err), 0, "%s", err);
  json_decref(in);
  json_t *cols = json_object_get(json_object_get(out, "tables"), "sales");
  cr_assert_eq(json_array_size(cols), 3, "sales has three columns");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 0), "name")), "region");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 1), "name")), "year");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 1), "type")), "integer");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 2), "name")), "revenue");
  cr_expect(json_object_get(json_object_get(out, "tables"), "numbers"));
  json_decref(out);

  /* the source: each allowed query's rows as a passage, its SQL as locator;
   * :q is the question */
  json_t *ps = NULL;
  cr_assert_eq(plugins_search(pl, "plugin:sql/sql", "South", 5, &ps, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(ps), 2, "both allowed queries have rows");
  json_t *p = json_array_get(ps, 0);
  if (strcmp(json_string_value(json_object_get(p, "locator")), REGION_SQL)) p = json_array_get(ps, 1);
  cr_assert_str_eq(json_string_value(json_object_get(p, "locator")), REGION_SQL);
  const char *text = json_string_value(json_object_get(p, "text"));
  cr_expect(strstr(text, "region: South; year: 2023; revenue: 900.\nregion: South; year: 2024; revenue: 700."), "%s",
            text);
  cr_expect_null(strstr(text, "North"));
  json_decref(ps);
  cr_assert_eq(plugins_search(pl, "plugin:sql/sql", "revenue by region", 5, &ps, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(ps), 1, "one_region has no rows for this question");
  p = json_array_get(ps, 0);
  cr_expect_str_eq(json_string_value(json_object_get(p, "locator")), SALES_SQL);
  cr_expect(strstr(json_string_value(json_object_get(p, "text")), "region: North; year: 2024; revenue: 1500."));
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(p, "metadata"), "rows")), 4);
  json_decref(ps);
  plugins_free(pl);
  config_free(cfg);
}

Test(plugin_sql_pg, bad_allowed_query_refuses_plugin, .timeout = 60) {
  char ci[512], dir[256];
  make_db(ci, sizeof ci);
  make_plugins_dir(dir, sizeof dir,
                   json_pack("{s:{s:s}, s:[{s:s, s:s}]}", "databases", "sales", ci, "queries", "name", "broken", "sql",
                             "SELECT nosuchcolumn FROM sales"));
  config_t *cfg;
  plugins_t *pl = load(dir, &cfg);
  cr_expect_not(plugins_has_source(pl, "plugin:sql/sql"));
  json_t *d = plugins_describe(pl);
  json_t *refused = json_array_get(json_object_get(d, "refused"), 0);
  const char *reason = json_string_value(json_object_get(refused, "reason"));
  cr_expect(reason && strstr(reason, "query broken") && strstr(reason, "nosuchcolumn"), "%s",
            reason ? reason : "(not refused)");
  json_decref(d);
  plugins_free(pl);
  config_free(cfg);
}

/* A question turned into a SELECT by the (fake) model on PostgreSQL: the
 * schema comes from information_schema, the query is prepared in a READ
 * ONLY transaction (what PREPARE rejects is refused, re-asked once, then
 * given up) and runs with the row limit; the table is unchanged. */
Test(plugin_sql_pg, model_written_select, .timeout = 180) {
  char ci[512];
  make_db(ci, sizeof ci);
  sqlgen_t t;
  char *r = sqlgen_rules(
      "Here you go:\n```sql\nSELECT region, SUM(revenue) AS total\n  FROM sales\n  GROUP BY region ORDER "
      "BY region;\n```",
      "unused");
  sqlgen_open(&t, json_pack("{s:{s:{s:s, s:b}}, s:i}", "databases", "crm", "url", ci, "generate", 1, "row_limit", 3),
              r);
  free(r);
  char err[1024];
  json_t *ps = NULL, *warns = NULL;
  cr_assert_eq(sqlgen_search(&t, "Which territory earned the most overall?", &ps, &warns, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(json_array_size(ps), 1);
  json_t *p = json_array_get(ps, 0);
  cr_expect_str_eq(json_string_value(json_object_get(p, "locator")),
                   "SELECT * FROM (SELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY "
                   "region) AS q LIMIT 3");
  cr_expect(
      strstr(json_string_value(json_object_get(p, "text")), "region: North; total: 2700.\nregion: South; total: 1600."),
      "%s", json_string_value(json_object_get(p, "text")));
  cr_expect(json_is_true(json_object_get(json_object_get(p, "metadata"), "model_written")));
  json_decref(ps);
  json_decref(warns);

  /* the row limit holds whatever the model wrote */
  r = sqlgen_rules("SELECT n FROM numbers ORDER BY n LIMIT 100", "unused");
  cr_assert_eq(llmsup_fake_rules(&t.fake, r), 0);
  free(r);
  cr_assert_eq(sqlgen_search(&t, "List every counted value", &ps, &warns, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(ps, 0), "text")), "n: 1.\nn: 2.\nn: 3.\n");
  json_decref(ps);
  json_decref(warns);

  const struct {
    const char *answer, *reason;
  } bad[] = {
      {"UPDATE sales SET revenue = 0", "only a SELECT"},
      {"SELECT 1; DROP TABLE sales", "single statement"},
      {"SELECT name FROM customers", "does not exist"},
      {"WITH d AS (DELETE FROM sales RETURNING *) SELECT * FROM d", "refused"},
      {"SELECT tablename FROM pg_catalog.pg_tables", "not a table of the schema"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = sqlgen_rules(bad[i].answer, bad[i].answer);
    cr_assert_eq(llmsup_fake_rules(&t.fake, r), 0);
    free(r);
    char q[128];
    snprintf(q, sizeof q, "Which territory earned the most overall, case %zu?", i);
    err[0] = 0;
    cr_expect_eq(sqlgen_search(&t, q, &ps, &warns, err, sizeof err), -1, "%s", bad[i].answer);
    cr_expect(strstr(err, "refused twice") && strstr(err, bad[i].reason), "%s: %s", bad[i].answer, err);
    json_decref(ps);
    json_decref(warns);
    char *total = pg_test_scalar(ci, "SELECT sum(revenue) FROM sales");
    cr_expect(total && !strcmp(total, "4300"), "%s: the table is unchanged (%s)", bad[i].answer,
              total ? total : "gone");
    free(total);
  }
  sqlgen_close(&t);
}
