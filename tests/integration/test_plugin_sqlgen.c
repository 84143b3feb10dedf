/*
 * The sql plugin turning a question into a SELECT (a SQLite database with
 * "generate" on), in process against the fake model: a question no allowed
 * query answers gets one model-written query, checked against the schema
 * and run with the row limit; its rows become a passage whose locator is
 * the SQL that ran and whose metadata says the model wrote it; the model's
 * call is recorded under the agent "plugin:sql" with the mission. Answers
 * that write, drop, hold two statements or read an unknown or internal
 * table are refused (re-asked once, then given up with the reason) and the
 * database is unchanged; prose and code fences around the SQL are dropped;
 * the row limit holds whatever LIMIT the model wrote; no rows, offline and
 * "generate" off each say so rather than answer nothing.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "sqlgen_support.h"

static char db_path[300];

/* sales (4 rows) and numbers (1..30) in a fresh SQLite file. */
static void make_db(void) {
  snprintf(db_path, sizeof db_path, "/tmp/maestro-sqlgen-db-XXXXXX");
  int fd = mkstemp(db_path);
  cr_assert(fd >= 0);
  close(fd);
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db,
                            "CREATE TABLE sales(region TEXT, year INT, revenue REAL);"
                            "INSERT INTO sales VALUES('North',2023,1200),('South',2023,900),('North',2024,1500),"
                            "('South',2024,700);"
                            "CREATE TABLE numbers(n INT);"
                            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 30) "
                            "INSERT INTO numbers SELECT n FROM g;",
                            NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_close(db);
}

/* The sum of sales.revenue, or -1 when the table is gone. */
static double total_revenue(void) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  double v = -1;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT sum(revenue) FROM sales", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* sql.json: the sales database with generate on (unless off), one allowed
 * query, row_limit. */
static json_t *config(int generate, int row_limit) {
  return json_pack("{s:{s:{s:s, s:b}}, s:[{s:s, s:s, s:s}], s:i}", "databases", "sales", "path", db_path, "generate",
                   generate, "queries", "name", "revenue_by_region", "description", "Revenue by region and year", "sql",
                   "SELECT region, year, revenue FROM sales ORDER BY year, region", "row_limit", row_limit);
}

/* The plugin over the sales database (config) and the fake answering first, then again. */
static void start(sqlgen_t *t, const char *first, const char *again, int generate, int row_limit) {
  char *r = sqlgen_rules(first, again);
  sqlgen_open(t, config(generate, row_limit), r);
  free(r);
}

static json_t *chat_calls(sqlgen_t *t) {
  json_t *all = llmsup_fake_calls(&t->fake), *out = json_array(), *c;
  size_t i;
  json_array_foreach(json_object_get(all, "calls"), i, c) {
    const char *kind = json_string_value(json_object_get(c, "kind"));
    if (kind && !strcmp(kind, "chat")) json_array_append(out, c);
  }
  json_decref(all);
  return out;
}

static size_t nchats(sqlgen_t *t) {
  json_t *c = chat_calls(t);
  size_t n = json_array_size(c);
  json_decref(c);
  return n;
}

static const char *meta_str(json_t *p, const char *k) {
  return json_string_value(json_object_get(json_object_get(p, "metadata"), k));
}

Test(plugin_sqlgen, question_becomes_a_checked_select, .timeout = 60) {
  make_db();
  sqlgen_t t;
  start(&t, "SELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY region", "unused", 1, 50);
  char err[1024];
  json_t *ps = NULL, *warns = NULL;

  /* a question the allowed query answers: no model call */
  cr_assert_eq(sqlgen_search(&t, "revenue by region", &ps, &warns, err, sizeof err), 0, "%s", err);
  cr_expect_eq(json_array_size(ps), 1);
  cr_expect_str_eq(meta_str(json_array_get(ps, 0), "query"), "revenue_by_region");
  cr_expect_eq(nchats(&t), 0, "the allow-list answered: the model was not asked");
  json_decref(ps);
  json_decref(warns);

  /* one it does not: the model writes the query, and it comes first */
  cr_assert_eq(sqlgen_search(&t, "Which territory earned the most overall?", &ps, &warns, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(json_array_size(ps), 2, "the generated passage and the allowed one: %s",
               json_string_value(json_array_get(warns, 0)));
  json_t *p = json_array_get(ps, 0);
  cr_expect_str_eq(json_string_value(json_object_get(p, "locator")),
                   "SELECT * FROM (SELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY "
                   "region) AS q LIMIT 50",
                   "the locator is the SQL that ran");
  cr_expect(
      strstr(json_string_value(json_object_get(p, "text")), "region: North; total: 2700.\nregion: South; total: 1600."),
      "%s", json_string_value(json_object_get(p, "text")));
  json_t *meta = json_object_get(p, "metadata");
  cr_expect(json_is_true(json_object_get(meta, "model_written")) && json_is_true(json_object_get(meta, "generated")));
  cr_expect_str_eq(meta_str(p, "database"), "sales");
  cr_expect_str_eq(meta_str(p, "question"), "Which territory earned the most overall?");
  cr_expect(strstr(json_string_value(json_object_get(p, "title")), "Model-written query"));
  cr_expect_eq(json_array_size(warns), 0);
  json_decref(ps);
  json_decref(warns);

  /* the prompt held the schema read from the database and the question */
  json_t *calls = chat_calls(&t);
  cr_assert_eq(json_array_size(calls), 1);
  const char *last_user = json_string_value(json_object_get(json_array_get(calls, 0), "last_user"));
  cr_expect(strstr(last_user, "sales(region TEXT, year INT, revenue REAL)") && strstr(last_user, "numbers(n INT)"),
            "%s", last_user);
  json_decref(calls);
  /* recorded like an agent's call, under the mission */
  json_t *rec = sqlgen_calls(&t);
  cr_assert_eq(json_array_size(rec), 1);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rec, 0), "agent")), "plugin:sql");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rec, 0), "status")), "ok");
  json_decref(rec);
  sqlgen_close(&t);
  unlink(db_path);
}

Test(plugin_sqlgen, writes_and_strangers_are_refused, .timeout = 90) {
  make_db();
  sqlgen_t t;
  sqlgen_open(&t, config(1, 50), "{\"rules\":[]}");
  const struct {
    const char *answer, *reason;
  } bad[] = {
      {"UPDATE sales SET revenue = 0", "only a SELECT"},
      {"DROP TABLE sales", "only a SELECT"},
      {"SELECT region FROM sales; DELETE FROM sales", "single statement"},
      {"WITH t AS (SELECT 1) DELETE FROM sales", "refused"},
      {"SELECT name FROM customers", "no such table: customers"},
      {"SELECT region, profit FROM sales", "no such column: profit"},
      {"SELECT name, sql FROM sqlite_schema", "prohibited"},
      {"SELECT region FROM sales -- the regions", "comments (--) are not allowed"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *r = sqlgen_rules(bad[i].answer, bad[i].answer);
    cr_assert_eq(llmsup_fake_rules(&t.fake, r), 0);
    free(r);
    llmsup_fake_reset(&t.fake);
    char q[128], err[1024] = "";
    /* a question per case: the mission's model cache answers a repeated one */
    snprintf(q, sizeof q, "Which territory earned the most overall, case %zu?", i);
    json_t *ps = NULL, *warns = NULL;
    cr_assert_eq(sqlgen_search(&t, q, &ps, &warns, err, sizeof err), 0, "%s", err);
    cr_expect_eq(json_array_size(ps), 1, "%s: only the allowed query's passage", bad[i].answer);
    cr_expect(!json_is_true(json_object_get(json_object_get(json_array_get(ps, 0), "metadata"), "model_written")));
    const char *w = json_string_value(json_array_get(warns, 0));
    cr_expect(w && strstr(w, "gave up") && strstr(w, "refused twice") && strstr(w, bad[i].reason),
              "%s: the warning says why: %s", bad[i].answer, w ? w : "(none)");
    cr_expect_eq(nchats(&t), 2, "%s: asked, then re-asked once", bad[i].answer);
    json_decref(ps);
    json_decref(warns);
    cr_expect_float_eq(total_revenue(), 4300, 1e-9, "%s: the database is unchanged", bad[i].answer);
  }
  sqlgen_close(&t);
  unlink(db_path);
}

Test(plugin_sqlgen, prose_and_fences_are_dropped, .timeout = 60) {
  make_db();
  sqlgen_t t;
  sqlgen_open(&t, config(1, 50), "{\"rules\":[]}");
  const char *const answers[] = {
      "Here is the query you asked for:\n\n```sql\nSELECT region, revenue FROM sales WHERE year = 2024 ORDER BY "
      "region;\n```\n\nIt lists the 2024 revenue of each region.",
      "Sure.\nSELECT region, revenue FROM sales WHERE year = 2024 ORDER BY region;\nThis returns one row per region.",
  };
  for (size_t i = 0; i < 2; i++) {
    char *r = sqlgen_rules(answers[i], "unused");
    cr_assert_eq(llmsup_fake_rules(&t.fake, r), 0);
    free(r);
    llmsup_fake_reset(&t.fake);
    char q[128], err[1024];
    snprintf(q, sizeof q, "What did each territory earn most recently (%zu)?", i);
    json_t *ps = NULL, *warns = NULL;
    cr_assert_eq(sqlgen_search(&t, q, &ps, &warns, err, sizeof err), 0, "%s", err);
    json_t *p = json_array_get(ps, 0);
    cr_expect_str_eq(json_string_value(json_object_get(p, "locator")),
                     "SELECT * FROM (SELECT region, revenue FROM sales WHERE year = 2024 ORDER BY region) AS q "
                     "LIMIT 50");
    cr_expect(strstr(json_string_value(json_object_get(p, "text")), "region: North; revenue: 1500."));
    cr_expect_eq(nchats(&t), 1, "no re-ask was needed");
    json_decref(ps);
    json_decref(warns);
  }
  sqlgen_close(&t);
  unlink(db_path);
}

Test(plugin_sqlgen, reask_says_what_was_wrong, .timeout = 60) {
  make_db();
  sqlgen_t t;
  start(&t, "SELECT region, profit FROM sales", "SELECT region, revenue FROM sales WHERE year = 2023", 1, 50);
  char err[1024];
  json_t *ps = NULL, *warns = NULL;
  cr_assert_eq(sqlgen_search(&t, "What did each territory earn first?", &ps, &warns, err, sizeof err), 0, "%s", err);
  json_t *p = json_array_get(ps, 0);
  cr_expect(json_is_true(json_object_get(json_object_get(p, "metadata"), "model_written")));
  cr_expect(strstr(json_string_value(json_object_get(p, "locator")), "WHERE year = 2023"));
  cr_expect(strstr(json_string_value(json_object_get(p, "text")), "region: South; revenue: 900."));
  json_t *calls = chat_calls(&t);
  cr_assert_eq(json_array_size(calls), 2);
  const char *again = json_string_value(json_object_get(json_array_get(calls, 1), "last_user"));
  cr_expect(strstr(again, "That query was refused") && strstr(again, "no such column: profit"), "%s", again);
  json_decref(calls);
  json_decref(ps);
  json_decref(warns);
  sqlgen_close(&t);
  unlink(db_path);
}

Test(plugin_sqlgen, row_limit_holds, .timeout = 60) {
  make_db();
  sqlgen_t t;
  start(&t, "SELECT n FROM numbers ORDER BY n LIMIT 1000", "unused", 1, 3);
  char err[1024];
  json_t *ps = NULL, *warns = NULL;
  cr_assert_eq(sqlgen_search(&t, "List every counted value", &ps, &warns, err, sizeof err), 0, "%s", err);
  json_t *p = json_array_get(ps, 0);
  cr_expect_str_eq(json_string_value(json_object_get(p, "locator")),
                   "SELECT * FROM (SELECT n FROM numbers ORDER BY n LIMIT 1000) AS q LIMIT 3");
  cr_expect_str_eq(json_string_value(json_object_get(p, "text")), "n: 1.\nn: 2.\nn: 3.\n");
  json_t *meta = json_object_get(p, "metadata");
  cr_expect_eq(json_integer_value(json_object_get(meta, "rows")), 3);
  cr_expect(json_is_true(json_object_get(meta, "truncated")));
  json_decref(ps);
  json_decref(warns);
  sqlgen_close(&t);
  unlink(db_path);
}

/* No rows, no model, generation off: each says so; nothing is an empty success. */
Test(plugin_sqlgen, nothing_is_never_success, .timeout = 60) {
  make_db();
  /* only the generated query could answer, and it finds no row: an error */
  json_t *cfg = json_pack("{s:{s:{s:s, s:b}}}", "databases", "sales", "path", db_path, "generate", 1);
  sqlgen_t t;
  char *r = sqlgen_rules("SELECT region FROM sales WHERE year = 1990", "unused");
  sqlgen_open(&t, cfg, r);
  free(r);
  char err[1024] = "";
  json_t *ps = NULL, *warns = NULL;
  cr_expect_eq(sqlgen_search(&t, "Who sold in 1990?", &ps, &warns, err, sizeof err), -1);
  cr_expect(strstr(err, "found no rows") && strstr(err, "year = 1990"), "%s", err);
  json_decref(ps);
  json_decref(warns);
  sqlgen_close(&t);

  /* offline: skipped, with the reason (PLUGIN_SQL_GENERATE names the database) */
  cfg = json_pack("{s:{s:s}}", "databases", "sales", db_path);
  setenv("PLUGIN_SQL_GENERATE", "sales", 1);
  sqlgen_open(&t, cfg, NULL);
  unsetenv("PLUGIN_SQL_GENERATE");
  err[0] = 0;
  cr_expect_eq(sqlgen_search(&t, "Who sold the most?", &ps, &warns, err, sizeof err), -1);
  cr_expect(strstr(err, "SQL generation on sales skipped") && strstr(err, "no model"), "%s", err);
  json_decref(ps);
  json_decref(warns);
  sqlgen_close(&t);

  /* generation off (the default): the allow-list only, the model never asked */
  r = sqlgen_rules("SELECT region FROM sales", "unused");
  sqlgen_open(&t, config(0, 50), r);
  free(r);
  cr_assert_eq(sqlgen_search(&t, "Which territory earned the most overall?", &ps, &warns, err, sizeof err), 0, "%s",
               err);
  cr_expect_eq(json_array_size(ps), 1);
  cr_expect_eq(json_array_size(warns), 0);
  cr_expect_eq(nchats(&t), 0);
  json_decref(ps);
  json_decref(warns);
  sqlgen_close(&t);

  /* a database "generate" names that is not configured refuses the plugin */
  cfg = json_pack("{s:{s:s}, s:s}", "databases", "sales", db_path, "generate", "sales,crm");
  sqlgen_open(&t, cfg, NULL);
  json_t *d = plugins_describe(t.pl);
  const char *why = json_string_value(json_object_get(json_array_get(json_object_get(d, "refused"), 0), "reason"));
  cr_expect(why && strstr(why, "crm"), "%s", why ? why : "(loaded)");
  json_decref(d);
  sqlgen_close(&t);
  unlink(db_path);
}

/* A model slower than PLUGIN_TIMEOUT_SECONDS: the search fails with the
 * timeout, and the plugin's model call is cancelled (recorded so) rather
 * than left running. */
Test(plugin_sqlgen, slow_model_is_cut_off, .timeout = 60) {
  make_db();
  setenv("PLUGIN_TIMEOUT_SECONDS", "1", 1);
  sqlgen_t t;
  sqlgen_open(&t, config(1, 50),
              "{\"rules\":[{\"name\":\"slow\",\"match\":{\"content\":\"Question:\"},\"delay\":4,\"text\":\"SELECT "
              "region FROM sales\"}]}");
  unsetenv("PLUGIN_TIMEOUT_SECONDS");
  char err[1024] = "";
  json_t *ps = NULL, *warns = NULL;
  cr_expect_eq(sqlgen_search(&t, "Which territory earned the most overall?", &ps, &warns, err, sizeof err), -1);
  cr_expect(strstr(err, "did not answer within 1 s"), "%s", err);
  json_decref(ps);
  json_decref(warns);
  /* the worker's model call stops on the caller's cancel, well before the fake answers */
  int64_t until = util_mono_ms() + 2500;
  const char *status = NULL;
  json_t *rec = NULL;
  while (util_mono_ms() < until) {
    json_decref(rec);
    rec = sqlgen_calls(&t);
    status = json_string_value(json_object_get(json_array_get(rec, 0), "status"));
    if (status) break;
    util_sleep_ms(50);
  }
  cr_expect(status && !strcmp(status, "cancelled"), "the call was %s", status ? status : "not recorded");
  json_decref(rec);
  sqlgen_close(&t);
  unlink(db_path);
}
