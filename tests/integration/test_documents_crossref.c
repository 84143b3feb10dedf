/*
 * test_documents_crossref.c - completing a document's record after
 * ingestion (issue 14 §2): a DOI found in an uploaded document is resolved
 * through Crossref (tests/fakes/fake_scholar.py answers
 * /crossref/works?filter=doi:X with the captured items of that DOI) when
 * Crossref is among the owner's scholarly providers, and not when it is
 * not; a field the document declared (front matter) or the user edited is
 * never replaced; Crossref being down leaves the document ready and as
 * extracted. With a model configured (tests/fakes/fake_llm.py), it fills a
 * missing title, authors and year from the first page, marked "model", and
 * an answer the text does not support is ignored.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "mission_support.h"
#include "ws_client.h"
#include "web_support.h"

static websup_fake_t fake;

static void start(void) {
  cr_assert_eq(websup_fake_start(&fake, "fake_scholar.py", NULL), 0);
  const char *extra[] = {"SCHOLARLY_MIN_INTERVAL_MS=0", "SCHOLARLY_CONTACT_EMAIL=research@example.org", NULL};
  ms_start(1, NULL, websup_scholar_env_plus(&fake, extra));
}

static void stop_fake(void) {
  websup_fake_stop(&fake);
}
TestSuite(documents_crossref, .fini = stop_fake, .timeout = 180);

static const char *str(json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "(null)";
}

static const char *source(json_t *d, const char *field) {
  return str(json_object_get(d, "meta_sources"), field);
}

/* Writes name into the server's directory, uploads it, waits until it is
 * ready; returns its id (malloc'd). */
static char *upload(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", ms_srv.dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  const char *paths[] = {path, NULL};
  long st;
  json_t *up = ts_upload(&ms_srv, ms_token, paths, NULL, &st);
  cr_assert_eq(st, 202);
  char *id = strdup(str(json_array_get(json_object_get(up, "documents"), 0), "id"));
  json_decref(up);
  json_t *d = ts_wait_document(&ms_srv, ms_token, id, 90);
  cr_assert_not_null(d, "document %s never finished", id);
  cr_assert_str_eq(str(d, "status"), "ready", "%s", str(d, "error"));
  json_decref(d);
  return id;
}

static json_t *get_doc(const char *id) {
  char p[128];
  snprintf(p, sizeof p, "/api/documents/%s", id);
  long st;
  json_t *d = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  return d;
}

/* The document once `field` has source src (the completion runs after the
 * "ready" event), or as it is after `seconds` otherwise. */
static json_t *doc_when(const char *id, const char *field, const char *src, int seconds) {
  for (int i = 0;; i++) {
    json_t *d = get_doc(id);
    if (!strcmp(source(d, field), src) || i >= seconds * 10) return d;
    json_decref(d);
    util_sleep_ms(100);
  }
}

/* ts_json with a body it does not take: body is freed here. */
static json_t *call(const char *method, const char *path, json_t *body, long *st) {
  json_t *r = ts_json(&ms_srv, method, path, ms_token, body, st);
  json_decref(body);
  return r;
}

static void set_providers(json_t *names) {
  long st;
  json_decref(call("PUT", "/api/settings", json_pack("{s:{s:o}}", "search", "scholarly_providers", names), &st));
  cr_assert_eq(st, 200, "settings: %ld", st);
}

static const char PAPER_TXT[] =
    "Notes on ecological forecasting\n\n"
    "DOI: 10.1111/ele.14024\n\n"
    "Forecasts of ecological systems are judged by their skill, but a forecast that is accurate\n"
    "may still lead managers to a poor decision. These notes summarise the argument.\n";

static const char PAPER_MD[] =
    "---\n"
    "title: My reading of the noise paper\n"
    "doi: 10.1111/ele.13085\n"
    "---\n\n"
    "Randomness generates novel phenomena and reveals information about ecological systems.\n";

Test(documents_crossref, doi_completes_the_record_from_crossref) {
  start();
  char *id = upload("forecast.txt", PAPER_TXT);
  json_t *d = doc_when(id, "title", "crossref", 20);
  cr_expect_str_eq(str(d, "title"), "The forecast trap");
  cr_expect_str_eq(str(d, "authors"), "Carl Boettiger");
  cr_expect_str_eq(str(d, "year"), "2022");
  cr_expect_str_eq(str(d, "venue"), "Ecology Letters");
  cr_expect_str_eq(str(d, "doi"), "10.1111/ele.14024");
  const char *completed[] = {"title", "authors", "year", "venue"};
  for (int i = 0; i < 4; i++) cr_expect_str_eq(source(d, completed[i]), "crossref", "%s", completed[i]);
  json_decref(d);
  /* the documents channel told an open library, with the new record */
  ws_client_t *ws = wsc_connect(ms_srv.port, ms_token);
  cr_assert_not_null(ws);
  wsc_send(ws, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  json_t *told = NULL;
  for (int64_t until = util_mono_ms() + 10000; !told && util_mono_ms() < until;) {
    json_t *all = wsc_messages(ws);
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) {
      json_t *ev = json_object_get(m, "data");
      if (!strcmp(str(ev, "id"), id) && !strcmp(str(ev, "stage"), "metadata")) told = json_incref(ev);
    }
    json_decref(all);
    if (!told) util_sleep_ms(50);
  }
  cr_assert_not_null(told, "no metadata event");
  cr_expect_str_eq(str(told, "status"), "ready");
  cr_expect_str_eq(str(told, "title"), "The forecast trap");
  json_decref(told);
  wsc_close(ws);
  /* the documented query, with the polite contact address */
  cr_expect_geq(websup_fake_count(&fake, "/crossref/works"), 1);
  cr_expect_geq(websup_fake_count(&fake, "/_mailto/crossref/works/research@example.org"), 1);

  /* a title the document declares (front matter) is kept; the gaps are filled */
  char *md = upload("noise.md", PAPER_MD);
  d = doc_when(md, "authors", "crossref", 20);
  cr_expect_str_eq(str(d, "title"), "My reading of the noise paper");
  cr_expect_str_eq(source(d, "title"), "front-matter");
  cr_expect_str_eq(str(d, "authors"), "Carl Boettiger");
  cr_expect_str_eq(str(d, "year"), "2018");
  json_decref(d);

  /* the search index knows the completed title */
  long st;
  json_t *r = ts_json(&ms_srv, "GET", "/api/documents?q=forecast%20trap", ms_token, NULL, &st);
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), 1);
  json_decref(r);
  free(md);
  free(id);
  cr_expect_eq(ts_server_stop(&ms_srv), 0, "the server exits cleanly (and without leaks under ASan)");
  ms_stop_all();
}

Test(documents_crossref, disabled_then_user_edits_are_never_overwritten) {
  start();
  /* Crossref not among the owner's providers: nothing is asked */
  set_providers(json_pack("[s]", "arxiv"));
  char *id = upload("forecast.txt", PAPER_TXT);
  util_sleep_ms(1500);
  json_t *d = get_doc(id);
  cr_expect_str_neq(str(d, "title"), "The forecast trap");
  cr_expect_str_eq(str(d, "authors"), "(null)");
  cr_expect_str_eq(str(d, "year"), "(null)");
  cr_expect_eq(websup_fake_count(&fake, "/crossref/works"), 0, "Crossref was asked although disabled");
  json_decref(d);

  /* the user names the title and year, then enables Crossref and reprocesses */
  char p[128];
  snprintf(p, sizeof p, "/api/documents/%s", id);
  long st;
  d = call("PATCH", p, json_pack("{s:s, s:i}", "title", "Forecast trap notes", "year", 2023), &st);
  cr_expect_eq(st, 200);
  json_decref(d);
  set_providers(json_pack("[s, s]", "arxiv", "crossref"));
  snprintf(p, sizeof p, "/api/documents/%s/reprocess", id);
  d = call("POST", p, json_object(), &st);
  cr_expect(st == 200 || st == 202, "reprocess: %ld", st);
  json_decref(d);
  d = doc_when(id, "authors", "crossref", 30);
  cr_expect_str_eq(str(d, "authors"), "Carl Boettiger", "the gap is completed");
  cr_expect_str_eq(str(d, "venue"), "Ecology Letters");
  cr_expect_str_eq(str(d, "title"), "Forecast trap notes", "the user's title is kept");
  cr_expect_str_eq(str(d, "year"), "2023", "the user's year is kept");
  cr_expect_str_eq(source(d, "title"), "user");
  cr_expect_str_eq(source(d, "year"), "user");
  json_decref(d);
  free(id);
  cr_expect_eq(ts_server_stop(&ms_srv), 0);
  ms_stop_all();
}

Test(documents_crossref, crossref_down_leaves_the_document_ready_and_unchanged) {
  start();
  websup_fake_stop(&fake); /* nothing answers at CROSSREF_URL any more */
  char *id = upload("forecast.txt", PAPER_TXT);
  util_sleep_ms(1500);
  json_t *d = get_doc(id);
  cr_expect_str_eq(str(d, "status"), "ready");
  cr_expect_str_eq(str(d, "doi"), "10.1111/ele.14024");
  cr_expect_str_eq(str(d, "authors"), "(null)");
  cr_expect_str_eq(str(d, "venue"), "(null)");
  cr_expect_str_neq(source(d, "title"), "crossref");
  json_decref(d);
  free(id);
  cr_expect_eq(ts_server_stop(&ms_srv), 0);
  ms_stop_all();
}

static const char NOTES_TXT[] =
    "Notes on ecological forecasting\n"
    "Jane Doe and John Roe\n"
    "Field station report, 2021\n\n"
    "Forecasts of ecological systems are judged by their skill. These notes summarise a season of work.\n";

static const char DRAFT_TXT[] =
    "hallucinated draft without a heading\n\n"
    "Some words about a field season, with no title, no authors and no year.\n";

/* The model's reading of a first page: it fills a missing title, authors
 * and year (marked "model"), an answer the text does not support is
 * ignored, and a record Crossref completed is not touched. */
Test(documents_crossref, model_fills_gaps_from_the_first_page) {
  cr_assert_eq(websup_fake_start(&fake, "fake_scholar.py", NULL), 0);
  const char *extra[] = {"SCHOLARLY_MIN_INTERVAL_MS=0", NULL};
  ms_start(0, NULL, websup_scholar_env_plus(&fake, extra));
  cr_assert_eq(llmsup_fake_rules(&ms_fake,
                                 "{\"rules\":["
                                 "{\"name\":\"meta-bad\",\"match\":{\"system\":\"role: document metadata\","
                                 "\"content\":\"hallucinated\"},\"json\":{\"title\":\"A Study Nobody Wrote\","
                                 "\"authors\":[\"Nobody Here\"],\"year\":\"1999\"}},"
                                 "{\"name\":\"meta\",\"match\":{\"system\":\"role: document metadata\"},"
                                 "\"json\":{\"title\":\"Notes on ecological forecasting\","
                                 "\"authors\":[\"Jane Doe\",\"John Roe\"],\"year\":\"2021\"}}]}"),
               0);
  char *id = upload("notes.txt", NOTES_TXT);
  json_t *d = doc_when(id, "title", "model", 20);
  cr_expect_str_eq(str(d, "title"), "Notes on ecological forecasting");
  cr_expect_str_eq(str(d, "authors"), "Jane Doe; John Roe");
  cr_expect_str_eq(str(d, "year"), "2021");
  cr_expect_str_eq(source(d, "title"), "model");
  cr_expect_str_eq(source(d, "authors"), "model");
  json_decref(d);

  /* an answer the text does not support is ignored */
  char *bad = upload("draft.txt", DRAFT_TXT);
  json_t *calls = NULL;
  for (int i = 0; i < 100; i++) {
    json_decref(calls);
    calls = llmsup_fake_calls(&ms_fake);
    if (json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "meta-bad")) >= 1) break;
    util_sleep_ms(100);
  }
  cr_expect_geq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "meta-bad")), 1,
                "the model was asked about the draft");
  json_decref(calls);
  util_sleep_ms(500);
  d = get_doc(bad);
  cr_expect_str_neq(str(d, "title"), "A Study Nobody Wrote");
  cr_expect_str_eq(str(d, "authors"), "(null)");
  cr_expect_str_eq(str(d, "year"), "(null)");
  cr_expect_str_neq(source(d, "title"), "model");
  json_decref(d);

  /* Crossref's record stays Crossref's */
  char *cr = upload("forecast.txt", PAPER_TXT);
  d = doc_when(cr, "title", "crossref", 20);
  util_sleep_ms(500);
  json_decref(d);
  d = get_doc(cr);
  cr_expect_str_eq(str(d, "title"), "The forecast trap");
  cr_expect_str_eq(source(d, "title"), "crossref");
  cr_expect_str_eq(source(d, "year"), "crossref");
  json_decref(d);
  free(cr);
  free(bad);
  free(id);
  cr_expect_eq(ts_server_stop(&ms_srv), 0);
  ms_stop_all();
}
