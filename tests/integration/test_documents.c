/*
 * The document library through the real server over real HTTP: multipart
 * upload of PDFs (English, Korean), DOCX, HTML and text; failures with their
 * reasons (encrypted, image-only, binary garbage named .txt, empty); 413 and
 * 415; search in English and Korean; FTS syntax in queries; groups;
 * content-hash deduplication; delete; and user isolation on every endpoint.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "rag_support.h"
#include "server_support.h"

static ts_server_t srv;
static char *admin, *tok_a, *tok_b;
static char fx[256];

static char *fx_path(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", fx, name);
  return p[k];
}

static char *make_user(const char *name) {
  long st;
  json_t *body = json_pack("{s:s, s:s, s:s}", "username", name, "password", "pass-word-123", "role", "researcher");
  json_t *j = ts_json(&srv, "POST", "/api/admin/users", admin, body, &st);
  cr_assert_eq(st, 201, "create %s", name);
  json_decref(j);
  json_decref(body);
  return ts_login(&srv, name, "pass-word-123");
}

/* Multipart upload of files (NULL-terminated paths); returns the JSON reply and status. */
static json_t *upload(const char *token, const char *const *paths, const char *group_id, long *status) {
  return ts_upload(&srv, token, paths, group_id, status);
}

/* Uploads one file and returns its document id (malloc'd). */
static char *upload_one(const char *token, const char *path) {
  const char *paths[] = {path, NULL};
  long st;
  json_t *j = upload(token, paths, NULL, &st);
  cr_assert_eq(st, 202, "upload %s", path);
  const char *id = json_string_value(json_object_get(json_array_get(json_object_get(j, "documents"), 0), "id"));
  cr_assert_not_null(id);
  char *r = util_strdup(id);
  json_decref(j);
  return r;
}

/* Polls until the document leaves queued/processing; returns its JSON. */
static json_t *wait_done(const char *token, const char *id) {
  json_t *j = ts_wait_document(&srv, token, id, 90);
  cr_assert_not_null(j, "document %s never finished", id);
  return j;
}

static json_t *search(const char *token, const char *query, const char *group, int k, long *st) {
  json_t *b = json_pack("{s:s, s:i}", "query", query, "k", k);
  if (group) json_object_set_new(b, "group_id", json_string(group));
  json_t *j = ts_json(&srv, "POST", "/api/search", token, b, st);
  json_decref(b);
  return j;
}

static char *pdf_en, *pdf_ko, *docx_id, *html_id;

static void start(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", NULL};
  cr_assert_eq(ts_server_start(&srv, env), 0, "server did not start");
  admin = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(admin);
  tok_a = make_user("alice");
  tok_b = make_user("bob");
  cr_assert(tok_a && tok_b);
  ts_tmpdir(fx, sizeof fx);
  const char *en[] = {"Aerodynamics report.\nThe propeller slipstream changes the lift of the wing.",
                      "Boundary layers separate at high angles of attack.\nTransition happens early.",
                      "Supersonic flow produces shock waves near the leading edge."};
  cr_assert_eq(rs_write_pdf(fx_path("aero.pdf"), en, 3, "DejaVu Sans", "Aero Report"), 0);
  const char *ko[] = {"데비안은 자유 운영체제입니다.\n데비안이라는 이름은 창시자의 이름에서 왔습니다."};
  cr_assert_eq(rs_write_pdf(fx_path("debian-ko.pdf"), ko, 1, "Noto Sans CJK KR", NULL), 0);
  cr_assert_eq(rs_write_docx(fx_path("pump.docx"),
                             "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Centrifugal pumps</w:t>"
                             "</w:r></w:p><w:p><w:r><w:t>Impellers move water efficiently.</w:t></w:r></w:p>"
                             "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>flowrate</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r>"
                             "<w:t>42</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
                             NULL, "Pump Handbook", NULL),
               0);
  const char *html =
      "<html><head><title>Kitchen</title><script>var hidden='zzzscript';</script></head>"
      "<body><h1>Sourdough</h1><p>Bread needs a starter<p>and patience.</body></html>";
  rs_write_file(fx_path("bread.html"), html, strlen(html));
  pdf_en = upload_one(tok_a, fx_path("aero.pdf"));
  pdf_ko = upload_one(tok_a, fx_path("debian-ko.pdf"));
  docx_id = upload_one(tok_a, fx_path("pump.docx"));
  html_id = upload_one(tok_a, fx_path("bread.html"));
  const char *ids[] = {pdf_en, pdf_ko, docx_id, html_id};
  for (int i = 0; i < 4; i++) {
    json_t *d = wait_done(tok_a, ids[i]);
    cr_assert_str_eq(json_string_value(json_object_get(d, "status")), "ready", "%s: %s", ids[i],
                     json_string_value(json_object_get(d, "error")));
    json_decref(d);
  }
}

static void stop(void) {
  free(admin);
  free(tok_a);
  free(tok_b);
  free(pdf_en);
  free(pdf_ko);
  free(docx_id);
  free(html_id);
  cr_expect_eq(ts_server_stop(&srv), 0);
}

TestSuite(documents, .init = start, .fini = stop, .timeout = 240);

static const char *first_doc(json_t *res) {
  return json_string_value(json_object_get(json_array_get(json_object_get(res, "results"), 0), "document_id"));
}

Test(documents, metadata_pages_and_text) {
  long st;
  char path[128];
  snprintf(path, sizeof path, "/api/documents/%s", pdf_en);
  json_t *d = ts_json(&srv, "GET", path, tok_a, NULL, &st);
  cr_expect_eq(json_integer_value(json_object_get(d, "pages")), 3);
  cr_expect_str_eq(json_string_value(json_object_get(d, "title")), "Aero Report");
  cr_expect(json_integer_value(json_object_get(d, "chunk_count")) >= 1);
  json_decref(d);
  snprintf(path, sizeof path, "/api/documents/%s/text", html_id);
  d = ts_json(&srv, "GET", path, tok_a, NULL, &st);
  cr_expect_eq(st, 200);
  const char *text = json_string_value(json_object_get(d, "text"));
  cr_expect(text && strstr(text, "Bread needs a starter") && !strstr(text, "zzzscript"), "text: %s", text);
  json_decref(d);
  /* PATCH metadata */
  snprintf(path, sizeof path, "/api/documents/%s", docx_id);
  json_t *b = json_pack("{s:s, s:i}", "title", "Pumps, revised", "year", 2024);
  d = ts_json(&srv, "PATCH", path, tok_a, b, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(d, "title")), "Pumps, revised");
  cr_expect_str_eq(json_string_value(json_object_get(d, "year")), "2024");
  json_decref(d);
  json_decref(b);
  d = search(tok_a, "revised", NULL, 3, &st);
  cr_expect_str_eq(first_doc(d), docx_id, "the new title is indexed");
  json_decref(d);
}

Test(documents, search_english_korean_and_pages) {
  long st;
  json_t *r = search(tok_a, "boundary layers separate", NULL, 3, &st);
  cr_assert_eq(st, 200);
  cr_expect_str_eq(first_doc(r), pdf_en);
  json_t *hit = json_array_get(json_object_get(r, "results"), 0);
  cr_expect_eq(json_integer_value(json_object_get(hit, "page")), 2, "page of the hit");
  cr_expect(json_string_value(json_object_get(hit, "chunk_id")) != NULL);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "filename")), "aero.pdf");
  json_decref(r);
  r = search(tok_a, "데비안", NULL, 3, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(first_doc(r), pdf_ko, "Korean word inside 데비안은");
  json_decref(r);
  r = search(tok_a, "이름", NULL, 3, &st);
  cr_expect_str_eq(first_doc(r), pdf_ko, "two-syllable Korean word");
  json_decref(r);
  r = search(tok_a, "impeller flowrate", NULL, 3, &st);
  cr_expect_str_eq(first_doc(r), docx_id);
  json_decref(r);
}

Test(documents, fts_syntax_in_queries_never_errors) {
  const char *qs[] = {"\"unbalanced quote",
                      "AND OR NOT",
                      "wing*",
                      "title:lift",
                      "(((",
                      "NEAR(lift wing)",
                      "^start",
                      "-minus +plus",
                      "'; DROP TABLE chunks; --",
                      "*",
                      "\"\"",
                      "lift\" OR \"x",
                      "데비안\" AND",
                      "{col}: x",
                      NULL};
  for (int i = 0; qs[i]; i++) {
    long st;
    json_t *r = search(tok_a, qs[i], NULL, 5, &st);
    cr_expect_eq(st, 200, "query %s", qs[i]);
    cr_expect(json_is_array(json_object_get(r, "results")), "query %s", qs[i]);
    json_decref(r);
  }
  long st;
  json_t *r = search(tok_a, "lift\" OR \"x", NULL, 5, &st);
  cr_expect_str_eq(first_doc(r), pdf_en, "quotes are just text");
  json_decref(r);
}

Test(documents, failures_have_reasons) {
  cr_assert_eq(rs_write_encrypted_pdf(fx_path("locked.pdf")), 0);
  cr_assert_eq(rs_write_image_pdf(fx_path("scan.pdf")), 0);
  unsigned char g[4096];
  for (size_t i = 0; i < sizeof g; i++) g[i] = (unsigned char)((i * 7919u) ^ (i >> 3) ^ 0x5a);
  rs_write_file(fx_path("garbage.txt"), g, sizeof g);
  rs_write_file(fx_path("empty.txt"), "", 0);
  struct {
    const char *name, *reason;
  } cases[] = {{"locked.pdf", "encrypted"},
               {"scan.pdf", "no extractable text"},
               {"garbage.txt", "binary"},
               {"empty.txt", "empty file"}};
  for (size_t i = 0; i < 4; i++) {
    char *id = upload_one(tok_a, fx_path(cases[i].name));
    json_t *d = wait_done(tok_a, id);
    cr_expect_str_eq(json_string_value(json_object_get(d, "status")), "failed", "%s", cases[i].name);
    const char *err = json_string_value(json_object_get(d, "error"));
    cr_expect(err && strstr(err, cases[i].reason), "%s: reason %s", cases[i].name, err ? err : "(none)");
    json_decref(d);
    free(id);
  }
}

Test(documents, too_large_413_and_unsupported_415) {
  /* a PNG named .png: 415, nothing stored */
  rs_write_file(fx_path("pic.png"), "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  const char *paths[] = {fx_path("pic.png"), NULL};
  long st;
  json_t *j = upload(tok_a, paths, NULL, &st);
  cr_expect_eq(st, 415);
  cr_expect_str_eq(ts_error_code(j), "unsupported_media_type");
  json_decref(j);
  /* one byte over the 50 MB default limit: 413 */
  FILE *f = fopen(fx_path("big.txt"), "wb");
  cr_assert_not_null(f);
  char line[1024];
  memset(line, 'a', sizeof line - 1);
  line[sizeof line - 1] = '\n';
  for (int i = 0; i < 50 * 1024; i++) fwrite(line, 1, sizeof line, f);
  fputc('x', f);
  fclose(f);
  const char *big[] = {fx_path("big.txt"), NULL};
  j = upload(tok_a, big, NULL, &st);
  cr_expect_eq(st, 413);
  cr_expect_str_eq(ts_error_code(j), "payload_too_large");
  json_decref(j);
  unlink(fx_path("big.txt"));
  /* no multipart at all */
  ts_response_t r = ts_http(&srv, "POST", "/api/documents", tok_a, "application/json", "{}", 2);
  cr_expect_eq(r.status, 415);
  ts_response_free(&r);
}

Test(documents, dedup_groups_and_delete) {
  long st;
  /* the same content again: the existing document */
  const char *paths[] = {fx_path("aero.pdf"), NULL};
  json_t *j = upload(tok_a, paths, NULL, &st);
  cr_expect_eq(st, 202);
  json_t *d0 = json_array_get(json_object_get(j, "documents"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(d0, "id")), pdf_en);
  cr_expect(json_is_true(json_object_get(d0, "duplicate")));
  json_decref(j);
  /* groups */
  json_t *b = json_pack("{s:s}", "name", "fluids");
  json_t *g = ts_json(&srv, "POST", "/api/groups", tok_a, b, &st);
  cr_assert_eq(st, 201);
  char gid[64];
  snprintf(gid, sizeof gid, "%s", json_string_value(json_object_get(g, "id")));
  json_decref(g);
  g = ts_json(&srv, "POST", "/api/groups", tok_a, b, &st);
  cr_expect_eq(st, 409, "same name twice");
  json_decref(g);
  json_decref(b);
  char path[160];
  snprintf(path, sizeof path, "/api/groups/%s/documents", gid);
  b = json_pack("{s:[s]}", "document_ids", docx_id);
  g = ts_json(&srv, "POST", path, tok_a, b, &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_array_size(json_object_get(g, "document_ids")), 1);
  json_decref(g);
  json_decref(b);
  /* group scope: the aero PDF is outside the group */
  json_t *r = search(tok_a, "boundary layers", gid, 5, &st);
  cr_expect_eq(st, 200);
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(r, "results"), i, h)
      cr_expect_str_eq(json_string_value(json_object_get(h, "document_id")), docx_id);
  json_decref(r);
  r = search(tok_a, "impellers", gid, 5, &st);
  cr_expect_str_eq(first_doc(r), docx_id);
  json_decref(r);
  char lpath[160];
  snprintf(lpath, sizeof lpath, "/api/documents?group_id=%s", gid);
  r = ts_json(&srv, "GET", lpath, tok_a, NULL, &st);
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), 1);
  json_decref(r);
  /* delete: gone from search and from the API */
  char *tmp = upload_one(tok_a, fx_path("bread.html"));
  cr_expect_str_eq(tmp, html_id, "dedup by content");
  free(tmp);
  const char *en2[] = {"Gliders use thermals to climb without an engine."};
  rs_write_pdf(fx_path("glider.pdf"), en2, 1, NULL, NULL);
  char *gl = upload_one(tok_a, fx_path("glider.pdf"));
  json_decref(wait_done(tok_a, gl));
  r = search(tok_a, "thermals gliders", NULL, 3, &st);
  cr_expect_str_eq(first_doc(r), gl);
  json_decref(r);
  snprintf(path, sizeof path, "/api/documents/%s", gl);
  r = ts_json(&srv, "DELETE", path, tok_a, NULL, &st);
  cr_expect_eq(st, 200);
  json_decref(r);
  r = ts_json(&srv, "GET", path, tok_a, NULL, &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  r = search(tok_a, "thermals gliders", NULL, 3, &st);
  cr_expect_eq(json_array_size(json_object_get(r, "results")), 0, "deleted document is not found");
  json_decref(r);
  free(gl);
}

Test(documents, user_b_never_sees_user_a) {
  long st;
  json_t *r = ts_json(&srv, "GET", "/api/documents", tok_b, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_array_size(json_object_get(r, "documents")), 0);
  json_decref(r);
  const char *ids[] = {pdf_en, pdf_ko, docx_id};
  for (int i = 0; i < 3; i++) {
    char path[160];
    snprintf(path, sizeof path, "/api/documents/%s", ids[i]);
    r = ts_json(&srv, "GET", path, tok_b, NULL, &st);
    cr_expect_eq(st, 404);
    json_decref(r);
    snprintf(path, sizeof path, "/api/documents/%s/text", ids[i]);
    r = ts_json(&srv, "GET", path, tok_b, NULL, &st);
    cr_expect_eq(st, 404);
    json_decref(r);
    snprintf(path, sizeof path, "/api/documents/%s", ids[i]);
    json_t *b = json_pack("{s:s}", "title", "stolen");
    r = ts_json(&srv, "PATCH", path, tok_b, b, &st);
    cr_expect_eq(st, 404);
    json_decref(r);
    json_decref(b);
    snprintf(path, sizeof path, "/api/documents/%s/reprocess", ids[i]);
    r = ts_json(&srv, "POST", path, tok_b, NULL, &st);
    cr_expect_eq(st, 404);
    json_decref(r);
  }
  /* search: nothing of A's, whatever the query */
  const char *qs[] = {"boundary layers", "데비안", "impellers", "sourdough", NULL};
  for (int i = 0; qs[i]; i++) {
    r = search(tok_b, qs[i], NULL, 10, &st);
    cr_expect_eq(st, 200);
    cr_expect_eq(json_array_size(json_object_get(r, "results")), 0, "B finds nothing for %s", qs[i]);
    json_decref(r);
  }
  /* A's group is invisible to B */
  json_t *b = json_pack("{s:s}", "name", "private");
  json_t *g = ts_json(&srv, "POST", "/api/groups", tok_a, b, &st);
  json_decref(b);
  char gid[64], path[160];
  snprintf(gid, sizeof gid, "%s", json_string_value(json_object_get(g, "id")));
  json_decref(g);
  snprintf(path, sizeof path, "/api/groups/%s", gid);
  r = ts_json(&srv, "GET", path, tok_b, NULL, &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  r = ts_json(&srv, "DELETE", path, tok_b, NULL, &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  r = search(tok_b, "boundary", gid, 5, &st);
  cr_expect_eq(st, 404, "searching another user's group");
  json_decref(r);
  /* B cannot put A's document into B's own group */
  b = json_pack("{s:s}", "name", "mine");
  g = ts_json(&srv, "POST", "/api/groups", tok_b, b, &st);
  json_decref(b);
  snprintf(path, sizeof path, "/api/groups/%s/documents", json_string_value(json_object_get(g, "id")));
  json_decref(g);
  b = json_pack("{s:[s]}", "document_ids", pdf_en);
  r = ts_json(&srv, "POST", path, tok_b, b, &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  json_decref(b);
  /* the same file uploaded by B is B's own copy */
  char *mine = upload_one(tok_b, fx_path("aero.pdf"));
  cr_expect_str_neq(mine, pdf_en);
  json_decref(wait_done(tok_b, mine));
  r = search(tok_b, "boundary layers", NULL, 5, &st);
  cr_expect_str_eq(first_doc(r), mine);
  json_decref(r);
  snprintf(path, sizeof path, "/api/documents/%s", mine);
  r = ts_json(&srv, "DELETE", path, tok_a, NULL, &st);
  cr_expect_eq(st, 404, "A cannot delete B's document");
  json_decref(r);
  free(mine);
}
