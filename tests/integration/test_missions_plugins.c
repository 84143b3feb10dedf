/*
 * test_missions_plugins.c - a mission whose sources are the shipped
 * plugins: the sql source (a sales database through its allowed query) and
 * the data agent's source (figures computed from a CSV of the data
 * directory), against the fake model (tests/fakes/research_team.json: notes
 * quoted from the passages shown, text written from the notes). The report
 * cites the rows and the computed figures, names the query and the file as
 * the references' locators, and shows the data plugin's SVG charts, in
 * Markdown, in HTML, drawn in the PDF and as PNG pictures in the DOCX.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libgen.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "mission_support.h"

static char pdir[300];

static void docs(const char *dir) {
  char path[500];
  snprintf(path, sizeof path, "%s/notes.md", dir);
  FILE *f = fopen(path, "w");
  fputs("# Sales notes\n\nThe regional sales team reports revenue every month.\n", f);
  fclose(f);
}

static void plugins_dir(void) {
  char tmpl[] = "/tmp/maestro-plugins-XXXXXX";
  cr_assert(mkdtemp(tmpl));
  snprintf(pdir, sizeof pdir, "%s", tmpl);
  char *bin = strdup(MAESTRO_BINARY);
  const char *build = dirname(bin);
  char from[1024], to[1024], cmd[2048];
  const char *const names[] = {"sql.so", "data.so"};
  for (int i = 0; i < 2; i++) {
    snprintf(from, sizeof from, "%s/plugins/%s", build, names[i]);
    snprintf(to, sizeof to, "%s/%s", pdir, names[i]);
    cr_assert_eq(symlink(from, to), 0);
  }
  free(bin);
  snprintf(cmd, sizeof cmd,
           "sqlite3 %s/sales.db \"CREATE TABLE sales(region TEXT, year INT, revenue REAL);"
           "INSERT INTO sales VALUES('North',2023,1200),('South',2023,900),('North',2024,1500),('South',2024,700);\"",
           pdir);
  cr_assert_eq(system(cmd), 0);
  snprintf(to, sizeof to, "%s/sql.json", pdir);
  /* two allowed queries whose text shares a long prefix: two sources */
  json_t *cfg = json_pack("{s:{s:s+}, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "databases", "sales", pdir, "/sales.db",
                          "queries", "name", "revenue_by_region", "description", "Revenue by region and year", "sql",
                          "SELECT region, year, revenue FROM sales ORDER BY year, region", "name", "revenue_first",
                          "description", "Revenue by region, first rows", "sql",
                          "SELECT region, year, revenue FROM sales ORDER BY year, region LIMIT 2");
  cr_assert_eq(json_dump_file(cfg, to, 0), 0);
  json_decref(cfg);
  snprintf(to, sizeof to, "%s/monthly.csv", pdir);
  FILE *f = fopen(to, "w");
  fputs(
      "month,revenue,orders\n2024-01-01,100,10\n2024-02-01,120,12\n2024-03-01,140,15\n2024-04-01,90,9\n"
      "2024-05-01,400,20\n",
      f);
  fclose(f);
}

static char *pdf_text(const char *data, size_t len) {
  GBytes *bytes = g_bytes_new(data, len);
  GError *e = NULL;
  PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &e);
  cr_assert(doc, "poppler cannot open the PDF");
  GString *s = g_string_new("");
  for (int i = 0; i < poppler_document_get_n_pages(doc); i++) {
    PopplerPage *p = poppler_document_get_page(doc, i);
    char *t = poppler_page_get_text(p);
    g_string_append(s, t ? t : "");
    g_free(t);
    g_object_unref(p);
  }
  g_object_unref(doc);
  g_bytes_unref(bytes);
  return g_string_free(s, FALSE);
}

Test(missions_plugins, sql_source_and_data_agent_in_the_report, .timeout = 200) {
  plugins_dir();
  char e1[400], e2[400];
  snprintf(e1, sizeof e1, "PLUGINS_DIR=%s", pdir);
  snprintf(e2, sizeof e2, "PLUGIN_DATA_PATH=%s", pdir);
  const char *env[] = {e1, e2, NULL};
  json_t *sections = json_pack("[{s:s, s:[s]}]", "title", "Revenue by region", "questions",
                               "What was the revenue by region and year, and how did monthly revenue vary?");
  ms_start_team_env(sections, docs, env);

  /* a source no plugin provides: 422, nothing created */
  long st = 0;
  json_t *bad = json_pack("{s:s, s:[s], s:[s]}", "title", "t", "research_questions", "q?", "sources", "plugin:nope/x");
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, bad, &st);
  cr_expect_eq(st, 422);
  json_decref(r);
  json_decref(bad);

  json_t *body =
      json_pack("{s:s, s:[s], s:[s, s]}", "title", "Regional revenue", "research_questions",
                "What was the revenue by region and year?", "sources", "plugin:sql/sql", "plugin:data/tables");
  r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld", st);
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  cr_assert(ms_wait_for(id, "completed", NULL, 150), "mission did not finish");
  char *md = ms_report(id, "md");

  if (getenv("SHOW_REPORT")) fprintf(stderr, "%s\n", md);
  const char *refs = strstr(md, "## References");
  cr_assert(refs, "no references:\n%s", md);
  /* the rows of the allowed query, cited, with the query as the locator */
  cr_expect(strstr(refs,
                   "Revenue by region and year (sales) (sql/sql): `SELECT region, year, revenue FROM sales "
                   "ORDER BY year, region`"),
            "sql reference:\n%s", refs);
  cr_expect(strstr(refs,
                   "Revenue by region, first rows (sales) (sql/sql): `SELECT region, year, revenue FROM sales "
                   "ORDER BY year, region LIMIT 2`"),
            "the second query is a source of its own:\n%s", refs);
  cr_expect(strstr(refs, "Data analysis of monthly.csv (data/tables): `monthly.csv`"), "data reference:\n%s", refs);
  /* computed figures, cited in the text: mean of revenue = 170, median 120 */
  const char *fig = strstr(md, "Column revenue: mean 170, median 120");
  cr_expect(fig && fig < refs, "the computed figures are in the text:\n%s", md);
  const char *cite = fig ? strchr(fig, '[') : NULL;
  cr_expect(cite && cite < refs, "and cited");
  cr_expect(strstr(md, "region: North; year: 2024; revenue: 1500") != NULL, "the rows are quoted:\n%s", md);
  /* charts */
  const char *charts = strstr(md, "## Charts");
  cr_assert(charts, "no charts section:\n%s", md);
  cr_expect(strstr(charts, "![Histogram of revenue](data:image/svg+xml;base64,PHN2Zy"), "an SVG chart");
  cr_expect(strstr(charts, "![revenue over time]"), "a time series of the dated column");
  ms_check_citations(md);

  char *html = ms_report(id, "html");
  cr_expect(strstr(html, "<img src=\"data:image/svg+xml;base64,PHN2Zy"), "the HTML shows the chart");
  free(html);

  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/report?format=pdf", id);
  ts_response_t pdf = ts_http(&ms_srv, "GET", p, ms_token, NULL, NULL, 0);
  cr_assert_eq(pdf.status, 200);
  char *text = pdf_text(pdf.body, pdf.len);
  /* the time series axis labels (in no text of the report) come out of the PDF: the chart was drawn */
  cr_expect(strstr(text, "2024-01-01") && strstr(text, "2024-05-01"), "PDF text:\n%s", text);
  g_free(text);
  ts_response_free(&pdf);

  /* the DOCX embeds both charts as PNG pictures, drawn (none fell back to its title) */
  snprintf(p, sizeof p, "/api/missions/%s/report?format=docx", id);
  ts_response_t docx = ts_http(&ms_srv, "GET", p, ms_token, NULL, NULL, 0);
  cr_assert_eq(docx.status, 200);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *zs = zip_source_buffer_create(docx.body, docx.len, 0, &ze);
  zip_t *z = zs ? zip_open_from_source(zs, ZIP_RDONLY, &ze) : NULL;
  cr_assert(z, "not a zip: %s", zip_error_strerror(&ze));
  int pngs = 0;
  for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); i++) {
    zip_stat_t st;
    char sig[8];
    if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) || strncmp(st.name, "word/media/chart", 16)) continue;
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
    cr_assert(f);
    cr_expect(st.size > 1000 && zip_fread(f, sig, 8) == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "%s is a PNG",
              st.name);
    zip_fclose(f);
    pngs++;
  }
  int svgs = 0;
  for (const char *c = charts; (c = strstr(c, "](data:image/svg+xml;base64,")); c++) svgs++;
  cr_expect(svgs >= 2 && pngs == svgs, "one picture per chart of the report: %d of %d", pngs, svgs);
  zip_close(z);
  zip_error_fini(&ze);
  ts_response_free(&docx);
  free(md);
  free(id);
  ms_stop_all();
}

/* Starts the team with the sql plugin over the sales database configured
 * by sqlcfg (stolen) and the fake model answering sql_answer to the
 * plugin's request for a SELECT (a rule before the team's); runs a mission
 * on question with the sql source to its end. The mission's id (free it).
 * Call plugins_dir() first (sqlcfg names pdir's database). settings (the
 * mission's, stolen) may be NULL. */
static char *run_sql_mission(json_t *sqlcfg, const char *sql_answer, const char *question, json_t *settings) {
  char path[400];
  snprintf(path, sizeof path, "%s/sql.json", pdir);
  cr_assert_eq(json_dump_file(sqlcfg, path, 0), 0);
  json_decref(sqlcfg);
  char e1[400];
  snprintf(e1, sizeof e1, "PLUGINS_DIR=%s", pdir);
  const char *env[] = {e1, NULL};
  json_t *sections = json_pack("[{s:s, s:[s]}]", "title", "Regional totals", "questions", question);
  json_t *sqlrule = json_pack("[{s:s, s:{s:s}, s:s}]", "name", "sqlgen", "match", "system",
                              "SELECT statement that answers", "text", sql_answer);
  ms_start_team_rules(sections, docs, env, sqlrule);
  long st = 0;
  json_t *body = json_pack("{s:s, s:[s], s:[s]}", "title", "Regional totals", "research_questions", question, "sources",
                           "plugin:sql/sql");
  if (settings) json_object_set_new(body, "settings", settings);
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld", st);
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  cr_assert(ms_wait_for(id, "completed", NULL, 150), "mission did not finish");
  return id;
}

/* The sql source answering through a query the model wrote: sql.json names
 * the sales database with "generate" on and no allowed query; the fake
 * model writes the SELECT, the rows are quoted and cited, the reference's
 * locator is the SQL that ran, and the plugin's model call is in the
 * mission's log under the agent "plugin:sql". */
Test(missions_plugins, sql_source_answers_through_a_generated_query, .timeout = 200) {
  plugins_dir();
  char *id = run_sql_mission(
      json_pack("{s:{s:{s:s+, s:b}}}", "databases", "sales", "path", pdir, "/sales.db", "generate", 1),
      "```sql\nSELECT region, SUM(revenue) AS total_revenue, COUNT(*) AS years_reported\nFROM sales GROUP BY region "
      "ORDER BY total_revenue DESC;\n```",
      "Which region earned the most in total?", NULL);
  char *md = ms_report(id, "md");
  if (getenv("SHOW_REPORT")) fprintf(stderr, "%s\n", md);
  const char *refs = strstr(md, "## References");
  cr_assert(refs, "no references:\n%s", md);
  cr_expect(strstr(refs, "1. Model-written query: ") &&
                strstr(refs,
                       "(sales) (sql/sql): `SELECT * FROM (SELECT region, SUM(revenue) AS total_revenue, COUNT(*) "
                       "AS years_reported FROM sales GROUP BY region ORDER BY total_revenue DESC) AS q LIMIT 50`"),
            "the reference names the SQL that ran:\n%s", refs);
  const char *row = strstr(md, "region: North; total_revenue: 2700; years_reported: 2 [1]");
  cr_expect(row && row < refs, "the generated query's rows are quoted in the text:\n%s", md);
  ms_check_citations(md);

  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/logs", id);
  ts_response_t logs = ts_http(&ms_srv, "GET", p, ms_token, NULL, NULL, 0);
  cr_assert_eq(logs.status, 200);
  cr_expect(strstr(logs.body, "\"plugin:sql\""), "the plugin's model call is in the mission's log");
  ts_response_free(&logs);
  free(md);
  free(id);
  ms_stop_all();
}

/* A model-written query refused twice, next to an allowed query's rows:
 * the mission goes on with the allowed rows and records a
 * plugin_search_failed warning saying why; the database is unchanged. */
Test(missions_plugins, refused_generated_query_is_a_warning, .timeout = 200) {
  plugins_dir();
  char *id = run_sql_mission(
      json_pack("{s:{s:{s:s+, s:b}}, s:[{s:s, s:s, s:s}]}", "databases", "sales", "path", pdir, "/sales.db", "generate",
                1, "queries", "name", "revenue_by_region", "description", "Revenue by region and year", "sql",
                "SELECT region, year, revenue FROM sales ORDER BY year, region"),
      "DROP TABLE sales", "Which territory earned the most overall?", NULL);
  json_t *m = ms_get(id, ms_token);
  size_t i;
  json_t *w;
  int found = 0;
  json_array_foreach(json_object_get(m, "warnings"), i, w) {
    const char *code = json_string_value(json_object_get(w, "code"));
    const char *msg = json_string_value(json_object_get(w, "message"));
    if (code && !strcmp(code, "plugin_search_failed") && msg && strstr(msg, "gave up") && strstr(msg, "only a SELECT"))
      found = 1;
  }
  char *ws = json_dumps(json_object_get(m, "warnings"), 0);
  cr_expect(found, "the refusal is a warning of the mission: %s", ws);
  free(ws);
  json_decref(m);
  char *md = ms_report(id, "md");
  cr_expect(strstr(md, "Revenue by region and year (sales) (sql/sql)"), "the allowed query still answers:\n%s", md);
  cr_expect(!strstr(md, "Model-written query"), "nothing model-written is cited");
  char cmd[600];
  snprintf(cmd, sizeof cmd,
           "sqlite3 %s/sales.db 'SELECT count(*) || \" \" || sum(revenue) FROM sales' | grep -qx '4 4300.0'", pdir);
  cr_expect_eq(system(cmd), 0, "the table is unchanged");
  free(md);
  free(id);
  ms_stop_all();
}

/* A mission run offline never lets the plugin reach the model, even when
 * the user has one: the generation is skipped with that reason (a
 * warning), and no model call is logged for the plugin. */
Test(missions_plugins, offline_mission_skips_generation, .timeout = 200) {
  plugins_dir();
  char *id = run_sql_mission(
      json_pack("{s:{s:{s:s+, s:b}}, s:[{s:s, s:s, s:s}]}", "databases", "sales", "path", pdir, "/sales.db", "generate",
                1, "queries", "name", "revenue_by_region", "description", "Revenue by region and year", "sql",
                "SELECT region, year, revenue FROM sales ORDER BY year, region"),
      "SELECT region FROM sales", "Which territory earned the most overall?", json_pack("{s:b}", "offline", 1));
  json_t *m = ms_get(id, ms_token);
  char *ws = json_dumps(json_object_get(m, "warnings"), 0);
  cr_expect(
      strstr(ws, "plugin_search_failed") && strstr(ws, "SQL generation on sales skipped") && strstr(ws, "runs offline"),
      "%s", ws);
  free(ws);
  json_decref(m);
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/logs", id);
  ts_response_t logs = ts_http(&ms_srv, "GET", p, ms_token, NULL, NULL, 0);
  cr_assert_eq(logs.status, 200);
  cr_expect(!strstr(logs.body, "plugin:sql"), "no model call for the plugin");
  ts_response_free(&logs);
  free(id);
  ms_stop_all();
}
