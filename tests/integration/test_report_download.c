/*
 * test_report_download.c - GET /api/missions/{id}/report?format=pdf|docx
 * over real HTTP (the server in the test process): Content-Type,
 * Content-Disposition with a safe file name, the file itself, versions,
 * the formats list, 422 for an unknown format and 404 for another user.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inproc.h"
#include "server_support.h"
#include "store/missions.h"

/* cairo 1.16 leaks about 1.5 KB per PDF with a CFF (CJK) font subset and
 * fontconfig keeps part of its configuration past exit (see
 * test_report_export.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libcairo.so\nleak:libfontconfig.so\n";
}

static inproc_t env;
static ts_server_t ts; /* only .port, for ts_http */
static char *tok_a, *tok_b;
static char alice[17], bob[17];

static void start(void) {
  inproc_open(&env, NULL);
  inproc_user(&env, "alice", "researcher", alice, &tok_a);
  inproc_user(&env, "bob", "researcher", bob, &tok_b);
  inproc_serve(&env);
  ts.port = env.port;
}

static void stop(void) {
  inproc_close(&env);
  free(tok_a);
  free(tok_b);
}

static void mission_with_reports(const char *title, const char *const *mds, size_t n, char *id) {
  store_mission_new_t m = {.user_id = alice, .title = title, .description = ""};
  cr_assert_eq(store_mission_insert(env.app->store, &m, id, NULL), STORE_OK);
  for (size_t i = 0; i < n; i++) {
    int v = 0;
    cr_assert_eq(store_mission_add_report(env.app->store, id, mds[i], NULL, NULL, &v, NULL), STORE_OK);
    cr_assert_eq(v, (int)i + 1);
  }
}

/* The value of a response header (malloc'd) or NULL. */
static char *header(const ts_response_t *r, const char *name) {
  size_t n = strlen(name);
  for (const char *h = r->headers; h && *h;) {
    const char *e = strstr(h, "\r\n");
    size_t l = e ? (size_t)(e - h) : strlen(h);
    if (l > n && !strncasecmp(h, name, n) && h[n] == ':') {
      const char *v = h + n + 1;
      while (*v == ' ') v++;
      return strndup(v, l - (size_t)(v - h));
    }
    h += l + (e ? 2 : 0);
  }
  return NULL;
}

static ts_response_t get(const char *id, const char *query, const char *token) {
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/report%s", id, query);
  return ts_http(&ts, "GET", p, token, NULL, NULL, 0);
}

static void expect_header(const ts_response_t *r, const char *name, const char *want) {
  char *v = header(r, name);
  cr_expect(v && !strcmp(v, want), "%s: got \"%s\", want \"%s\"", name, v ? v : "(none)", want);
  free(v);
}

Test(report_download, pdf_and_docx, .init = start, .fini = stop, .timeout = 60) {
  const char *mds[] = {"# Heat pumps: a review (2025)\n\n## Introduction\n\nFirst version [1].\n",
                       "# Heat pumps: a review (2025)\n\n## Introduction\n\nSecond version [1].\n\n"
                       "## References\n\n1. A study, <https://example.org/a> (accessed 2025-01-01)\n"};
  char id[17];
  mission_with_reports("Heat pumps: a review (2025)", mds, 2, id);

  ts_response_t r = get(id, "?format=pdf", tok_a);
  cr_assert_eq(r.status, 200, "%s", r.body);
  expect_header(&r, "Content-Type", "application/pdf");
  expect_header(&r, "Content-Disposition", "attachment; filename=\"heat-pumps-a-review-2025-v2.pdf\"");
  expect_header(&r, "X-Report-Version", "2");
  cr_expect(r.len > 1000 && !memcmp(r.body, "%PDF-", 5));
  ts_response_free(&r);

  r = get(id, "?format=docx&version=1", tok_a);
  cr_assert_eq(r.status, 200, "%s", r.body);
  expect_header(&r, "Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  expect_header(&r, "Content-Disposition", "attachment; filename=\"heat-pumps-a-review-2025-v1.docx\"");
  expect_header(&r, "X-Report-Version", "1");
  cr_expect(r.len > 1000 && !memcmp(r.body, "PK\x03\x04", 4));
  ts_response_free(&r);

  /* the formats the UI offers come from the server */
  long st;
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/report/versions", id);
  json_t *v = ts_json(&ts, "GET", p, tok_a, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *want = json_pack("[s,s,s,s]", "md", "html", "pdf", "docx");
  cr_expect(json_equal(json_object_get(v, "formats"), want));
  cr_expect_eq(json_array_size(json_object_get(v, "versions")), 2);
  json_decref(v);
  snprintf(p, sizeof p, "/api/missions/%s/report?format=json", id);
  v = ts_json(&ts, "GET", p, tok_a, NULL, &st);
  cr_assert_eq(st, 200);
  cr_expect(json_equal(json_object_get(v, "formats"), want));
  json_decref(v);
  json_decref(want);

  r = get(id, "?format=xlsx", tok_a);
  cr_expect_eq(r.status, 422, "%s", r.body);
  ts_response_free(&r);
  r = get(id, "?format=pdf&version=9", tok_a);
  cr_expect_eq(r.status, 404, "%s", r.body);
  ts_response_free(&r);
  r = get(id, "?format=pdf", tok_b); /* not bob's */
  cr_expect_eq(r.status, 404, "%s", r.body);
  ts_response_free(&r);
}

Test(report_download, korean_title_file_name, .init = start, .fini = stop, .timeout = 60) {
  const char *mds[] = {"# 재생 에너지\n\n## 서론\n\n태양광 발전은 빠르게 늘었다 [1].\n"};
  char id[17];
  mission_with_reports("재생 에너지 \"전환\"\r\nX-Evil: 1", mds, 1, id);
  for (int k = 0; k < 2; k++) {
    ts_response_t r = get(id, k ? "?format=docx" : "?format=pdf", tok_a);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *cd = header(&r, "Content-Disposition"), want[300];
    snprintf(want, sizeof want,
             "attachment; filename=\"x-evil-1-v1.%s\"; filename*=UTF-8''"
             "%%EC%%9E%%AC%%EC%%83%%9D%%20%%EC%%97%%90%%EB%%84%%88%%EC%%A7%%80%%20%%22%%EC%%A0%%84%%ED%%99%%98%%22"
             "%%0D%%0AX-Evil%%3A%%201-v1.%s",
             k ? "docx" : "pdf", k ? "docx" : "pdf");
    cr_expect(cd && !strcmp(cd, want), "got %s", cd ? cd : "(none)");
    free(cd);
    char *evil = header(&r, "X-Evil");
    cr_expect_null(evil, "header injection");
    free(evil);
    ts_response_free(&r);
  }
}

/* Issue 11, finding 7: model text with script links is served as HTML whose
 * links are dead, under a CSP that forbids scripts, and never sniffed. */
Test(report_download, html_links_are_safe_and_csp_is_set, .init = start, .fini = stop, .timeout = 60) {
  const char *mds[] = {"# Links\n\n[click](javascript:alert(document.cookie)) and [ok](https://example.org/x).\n"};
  char id[17];
  mission_with_reports("Links", mds, 1, id);
  ts_response_t r = get(id, "?format=html", tok_a);
  cr_assert_eq(r.status, 200, "%s", r.body);
  expect_header(&r, "Content-Type", "text/html; charset=utf-8");
  expect_header(&r, "X-Content-Type-Options", "nosniff");
  char *csp = header(&r, "Content-Security-Policy");
  cr_assert_not_null(csp, "no Content-Security-Policy on the HTML report");
  cr_expect(strstr(csp, "default-src 'none'"), "%s", csp);
  cr_expect_null(strstr(csp, "script-src"), "no script source is allowed: %s", csp);
  free(csp);
  cr_expect_null(strstr(r.body, "javascript:"), "%s", r.body);
  cr_expect(strstr(r.body, "<a href=\"#\">click</a>"), "%s", r.body);
  cr_expect(strstr(r.body, "<a href=\"https://example.org/x\">ok</a>"), "%s", r.body);
  ts_response_free(&r);
}
