/*
 * Bibliographic metadata end to end (issue 14 §2): a paper-like PDF whose
 * information dictionary says "Microsoft Word - draft_v3.docx" is uploaded
 * and shows its real title, authors, year and DOI; PATCH validates every
 * field and names the bad one; an edited field survives reprocessing;
 * `maestro documents edit` edits through the same rules; and an offline
 * mission over that document lists it in the references by title,
 * authors and year instead of a file name or a section heading.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "mission_support.h"
#include "rag_support.h"

static const rs_pdf_line_t PAPER[] = {
    {"Security Support in Debian", 20},
    {"Stable Releases", 20},
    {"Alice Martin, Bob Chen and Carol Diaz", 12},
    {"Department of Computing, University of Somewhere", 10},
    {"doi: 10.5555/debsec.2019.42", 10},
    {"\xC2\xA9 2019 Journal of Free Software", 10},
    {"Abstract", 11},
    {"We describe how the Debian security team supports stable releases.", 10},
    {"1 Introduction", 11},
    {"Debian stable releases are supported for about three years by the security team.", 10},
    {"The Long Term Support project extends security support to five years in total.", 10},
    {"Packages are signed, and apt verifies the signatures before installing anything.", 10},
};

static json_t *wait_ready(const char *id) {
  json_t *j = ts_wait_document(&ms_srv, ms_token, id, 90);
  cr_assert_not_null(j, "document %s never finished", id);
  return j;
}

static const char *str(json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "(null)";
}

/* PATCH body on the document; returns the reply, status in *st. */
static json_t *patch(const char *id, json_t *body, long *st) {
  char path[128];
  snprintf(path, sizeof path, "/api/documents/%s", id);
  json_t *r = ts_json(&ms_srv, "PATCH", path, ms_token, body, st);
  json_decref(body);
  return r;
}

static void expect_422(const char *id, json_t *body, const char *field) {
  long st;
  json_t *r = patch(id, body, &st);
  cr_expect_eq(st, 422, "%s: status %ld", field, st);
  json_t *e = json_object_get(r, "error");
  cr_expect_str_eq(str(e, "field"), field);
  cr_expect(strstr(str(e, "message"), field) != NULL, "the message names %s: %s", field, str(e, "message"));
  json_decref(r);
}

Test(documents_meta, paper_pdf_shows_its_real_record_and_reports_cite_it, .timeout = 240) {
  ms_start(1, NULL, NULL);
  char pdf[512];
  snprintf(pdf, sizeof pdf, "%s/draft_v3.pdf", ms_srv.dir);
  cr_assert_eq(rs_write_paper_pdf(pdf, PAPER, sizeof PAPER / sizeof PAPER[0], "Microsoft Word - draft_v3.docx", NULL),
               0);
  long st;
  json_t *gb = json_pack("{s:s}", "name", "papers");
  json_t *g = ts_json(&ms_srv, "POST", "/api/groups", ms_token, gb, &st);
  json_decref(gb);
  cr_assert(st == 200 || st == 201, "group: %ld", st);
  char *gid = strdup(str(g, "id"));
  json_decref(g);
  const char *paths[] = {pdf, NULL};
  json_t *up = ts_upload(&ms_srv, ms_token, paths, gid, &st);
  cr_assert_eq(st, 202);
  char *id = strdup(str(json_array_get(json_object_get(up, "documents"), 0), "id"));
  json_decref(up);

  /* the document shows its real title, authors, year and DOI */
  json_t *d = wait_ready(id);
  cr_assert_str_eq(str(d, "status"), "ready", "%s", str(d, "error"));
  cr_expect_str_eq(str(d, "title"), "Security Support in Debian Stable Releases");
  cr_expect_str_eq(str(d, "authors"), "Alice Martin; Bob Chen; Carol Diaz");
  cr_expect_eq(json_array_size(json_object_get(d, "author_list")), 3);
  cr_expect_str_eq(str(d, "year"), "2019");
  cr_expect_str_eq(str(d, "doi"), "10.5555/debsec.2019.42");
  cr_expect(strstr(str(d, "abstract"), "Debian security team") != NULL, "abstract: %s", str(d, "abstract"));
  cr_expect_str_eq(str(json_object_get(d, "meta_sources"), "title"), "first-page");
  json_decref(d);
  /* the list carries the fields too, and finds the document by author */
  json_t *l = ts_json(&ms_srv, "GET", "/api/documents?q=Chen", ms_token, NULL, &st);
  cr_expect_eq(json_integer_value(json_object_get(l, "total")), 1);
  cr_expect_str_eq(str(json_array_get(json_object_get(l, "documents"), 0), "doi"), "10.5555/debsec.2019.42");
  json_decref(l);

  /* PATCH validation names the field */
  expect_422(id, json_pack("{s:[i,i]}", "authors", 1, 2), "authors");
  expect_422(id, json_pack("{s:s}", "year", "last spring"), "year");
  expect_422(id, json_pack("{s:i}", "year", 30000), "year");
  expect_422(id, json_pack("{s:s}", "doi", "doi is 42"), "doi");
  expect_422(id, json_pack("{s:s}", "arxiv_id", "1234"), "arxiv_id");
  expect_422(id, json_pack("{s:s}", "title", ""), "title");
  expect_422(id, json_pack("{s:i}", "venue", 5), "venue");
  expect_422(id, json_pack("{s:s}", "language", "not a language"), "language");
  d = patch("0000000000000000", json_pack("{s:s}", "title", "Nope"), &st);
  cr_expect_eq(st, 404);
  json_decref(d);

  /* a valid edit; the edited field survives reprocessing, the others are extracted again */
  d = patch(id,
            json_pack("{s:s, s:s, s:s}", "venue", "Journal of Free Software", "doi",
                      "https://doi.org/10.5555/DEBSEC.2019.42", "keywords", "debian, security"),
            &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(str(d, "venue"), "Journal of Free Software");
  cr_expect_str_eq(str(d, "doi"), "10.5555/DEBSEC.2019.42");
  cr_expect_eq(json_array_size(json_object_get(d, "keywords")), 2);
  cr_expect_str_eq(str(json_object_get(d, "meta_sources"), "doi"), "user");
  json_decref(d);
  char rp[128];
  snprintf(rp, sizeof rp, "/api/documents/%s/reprocess", id);
  json_t *empty = json_object();
  d = ts_json(&ms_srv, "POST", rp, ms_token, empty, &st);
  json_decref(empty);
  cr_expect(st == 200 || st == 202, "reprocess: %ld", st);
  json_decref(d);
  util_sleep_ms(100);
  d = wait_ready(id);
  cr_expect_str_eq(str(d, "doi"), "10.5555/DEBSEC.2019.42", "the user's DOI is kept");
  cr_expect_str_eq(str(d, "title"), "Security Support in Debian Stable Releases");
  json_decref(d);

  /* the CLI edits with the same rules */
  char *out = NULL;
  int rc = ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "documents", "edit", id, "--year", "1999x", NULL);
  cr_expect_eq(rc, 2, "a bad year is a usage error");
  free(out);
  out = NULL;
  rc = ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "documents", "edit", id, "--author", "Alice Martin", "--author",
                  "Bob Chen", "--author", "Carol Diaz", "--year", "2019", NULL);
  cr_expect_eq(rc, 0, "%s", out);
  cr_expect(out && strstr(out, "Security Support in Debian Stable Releases"), "%s", out);
  cr_expect(out && strstr(out, "authors   Alice Martin; Bob Chen; Carol Diaz"), "%s", out);
  free(out);
  out = NULL;
  rc = ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "documents", "show", "ffffffffffffffff", NULL);
  cr_expect_eq(rc, 1);
  free(out);

  /* an offline mission over the group cites the paper by its record */
  json_t *body = json_pack("{s:s, s:[s], s:[s], s:s, s:{s:b}}", "title", "Debian security support",
                           "research_questions", "How long does the Debian security team support stable releases?",
                           "sources", "local_documents", "group_id", gid, "settings", "offline", 1);
  json_t *m = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld (%s)", st, str(json_object_get(m, "error"), "message"));
  char *mid = strdup(str(m, "id"));
  json_decref(m);
  cr_assert(ms_wait_for(mid, "completed", NULL, 60));
  char *md = ms_report(mid, "md");
  /* the work's record first; the file name (what the user uploaded) beside the title */
  cr_expect(strstr(md, "Security Support in Debian Stable Releases (draft_v3.pdf), Alice Martin; Bob Chen; Carol "
                       "Diaz, Journal of Free Software, 2019, doi:10.5555/DEBSEC.2019.42, p. 1"),
            "reference line: %s", md);
  cr_expect(strstr(md, "Microsoft Word") == NULL, "the junk PDF title reached the report: %s", md);
  free(md);
  free(mid);
  free(id);
  free(gid);
  cr_expect_eq(ts_server_stop(&ms_srv), 0, "the server exits cleanly (and without leaks under ASan)");
  ms_stop_all();
}
