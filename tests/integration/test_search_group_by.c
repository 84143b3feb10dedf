/*
 * Search results collapsed to one per document: `"group_by": "document"` in
 * POST /api/search and `maestro search --by-document`. A long document with
 * many matching passages fills a passage search; grouped, every matching
 * document appears once (with its best passage) and the others get a place.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "server_support.h"

/* Writes the library: a long survey whose every paragraph is about glacier
 * moraines, a short note that mentions them once, and an unrelated recipe. */
static void write_library(const char *dir) {
  char docs[400], path[500];
  snprintf(docs, sizeof docs, "%s/docs", dir);
  util_mkdirs(docs, 0755);
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_puts(&b, "# Long Glacier Survey\n\n");
  for (int i = 0; i < 12; i++)
    buf_printf(&b,
               "Section %d. The glacier left a moraine of boulders at its snout; this moraine records how far the "
               "glacier advanced in year %d, and the moraine ridges were mapped by the survey team with care, one "
               "glacier valley after another, measuring each moraine crest and its boulders.\n\n",
               i + 1, 1900 + i);
  snprintf(path, sizeof path, "%s/long.md", docs);
  util_write_file(path, b.data, b.len, 0644);
  buf_free(&b);
  const char *shrt = "# Short Field Note\n\nA single moraine was seen below the glacier on the last day.\n";
  snprintf(path, sizeof path, "%s/short.md", docs);
  util_write_file(path, shrt, strlen(shrt), 0644);
  const char *other = "# Bread\n\nSourdough needs a starter, flour, water and patience.\n";
  snprintf(path, sizeof path, "%s/bread.md", docs);
  util_write_file(path, other, strlen(other), 0644);
}

static size_t count_title(json_t *results, const char *title) {
  size_t n = 0, i;
  json_t *h;
  json_array_foreach(results, i, h) n += !strcmp(json_string_value(json_object_get(h, "title")), title);
  return n;
}

static json_t *search(ts_server_t *s, const char *token, json_t *group_by, long *st) {
  json_t *b = json_pack("{s:s, s:i, s:s}", "query", "glacier moraine", "k", 5, "mode", "lexical");
  if (group_by) json_object_set_new(b, "group_by", group_by);
  json_t *j = ts_json(s, "POST", "/api/search", token, b, st);
  json_decref(b);
  return j;
}

Test(search_group_by, api_returns_one_result_per_document, .timeout = 180) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", NULL};
  ts_server_t s;
  cr_assert_eq(ts_server_start(&s, env), 0);
  char *tok = ts_login(&s, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  write_library(s.dir);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(s.dir, NULL, NULL, &out, "ingest", "--directory", "docs", NULL), 0, "%s", out);
  free(out);
  long st;
  /* the default: passages, several of the long survey */
  json_t *j = search(&s, tok, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *res = json_object_get(j, "results");
  cr_expect_eq(json_array_size(res), 5);
  cr_expect_geq(count_title(res, "Long Glacier Survey"), 2, "passage search shows the survey's passages");
  cr_expect_str_eq(json_string_value(json_object_get(j, "group_by")), "passage");
  json_decref(j);
  /* grouped: each matching document once, the short note included */
  j = search(&s, tok, json_string("document"), &st);
  cr_assert_eq(st, 200);
  res = json_object_get(j, "results");
  cr_expect_eq(json_array_size(res), 2, "two documents match");
  cr_expect_eq(count_title(res, "Long Glacier Survey"), 1);
  cr_expect_eq(count_title(res, "Short Field Note"), 1);
  cr_expect_eq(count_title(res, "Bread"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(j, "group_by")), "document");
  /* the document's result is its best passage: it carries the query words */
  const char *text = json_string_value(json_object_get(json_array_get(res, 0), "text"));
  cr_expect(text && strstr(text, "moraine"), "%s", text);
  json_decref(j);
  /* "passage" by name is the default */
  j = search(&s, tok, json_string("passage"), &st);
  cr_expect_eq(st, 200);
  cr_expect_geq(count_title(json_object_get(j, "results"), "Long Glacier Survey"), 2);
  json_decref(j);
  /* anything else is refused with the reason */
  json_t *bad[] = {json_string("page"), json_integer(1), json_true()};
  for (int i = 0; i < 3; i++) {
    j = search(&s, tok, bad[i], &st);
    cr_expect_eq(st, 422, "bad group_by %d", i);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (!msg) msg = json_string_value(json_object_get(j, "message"));
    cr_expect(msg && strstr(msg, "group_by"), "message names the field: %s", msg ? msg : "(none)");
    json_decref(j);
  }
  free(tok);
  cr_expect_eq(ts_server_stop(&s), 0);
}

static size_t count_str(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

Test(search_group_by, cli_by_document, .timeout = 120) {
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  write_library(dir);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "ingest", "--directory", "docs", NULL), 0, "%s", out);
  free(out);
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "search", "glacier moraine", "--mode", "lexical", "-k", "5", NULL), 0,
               "%s", out);
  cr_expect_geq(count_str(out, "Long Glacier Survey (long.md)"), 2, "passages by default: %s", out);
  free(out);
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "search", "glacier moraine", "--mode", "lexical", "-k", "5",
                          "--by-document", NULL),
               0, "%s", out);
  cr_expect_eq(count_str(out, "Long Glacier Survey (long.md)"), 1, "%s", out);
  cr_expect_eq(count_str(out, "Short Field Note (short.md)"), 1, "%s", out);
  cr_expect_eq(count_str(out, "bread.md"), 0, "%s", out);
  cr_expect(strstr(out, "1. ") && strstr(out, "2. ") && !strstr(out, "3. "), "two results: %s", out);
  free(out);
  cr_assert_eq(ts_run_cli(dir, NULL, NULL, &out, "search", "--help", NULL), 0);
  cr_expect(strstr(out, "--by-document") != NULL, "%s", out);
  free(out);
}
