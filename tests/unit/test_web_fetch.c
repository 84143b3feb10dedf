/* test_web_fetch.c - fetch + extract against the fake site on loopback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "web/web.h"
#include "web_support.h"

static websup_fake_t site;
static char base[64];

static void start_site(void) {
  const char *args[] = {"--delay", "4", NULL};
  cr_assert_eq(websup_fake_start(&site, "fake_site.py", args), 0, "fake site did not start");
  snprintf(base, sizeof base, "http://127.0.0.1:%d", site.port);
}
static void stop_site(void) {
  websup_fake_stop(&site);
}

TestSuite(web_fetch, .init = start_site, .fini = stop_site, .timeout = 60);

static const char *ALLOW[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=0", NULL};

static int fetch(web_t *w, const char *path, web_page_t *p, char *err, size_t n) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", base, path);
  return web_fetch_page(w, url, p, err, n);
}

Test(web_fetch, article_body_without_menus) {
  web_t *w = websup_web(ALLOW, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/article", &p, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(p.title, "Tidal power plant opens in Brittany");
  cr_assert_str_eq(p.published, "2024-05-17T08:30:00Z");
  cr_assert_str_eq(p.content_type, "text/html");
  cr_assert(strstr(p.text, "ARTICLE-BODY-MARKER"), "body missing:\n%s", p.text);
  if (getenv("WEB_TEST_SHOW")) fprintf(stderr, "---\n%s\n---\n", p.text);
  cr_assert(strstr(p.text, "Rance estuary"), "%s", p.text);
  cr_assert(strstr(p.text, "## Why tides, and why here"), "%s", p.text);
  const char *absent[] = {"MENU-ITEM",       "COOKIE-BANNER",    "EXAMPLE-NEWS-LOGO", "SHARE-ON",  "SIDEBAR-TRENDING",
                          "RELATED-HEADING", "FOOTER-COPYRIGHT", "TRACKING_SCRIPT",   "Celebrity", NULL};
  for (const char **a = absent; *a; a++) cr_assert_null(strstr(p.text, *a), "%s leaked:\n%s", *a, p.text);
  web_page_free(&p);
  websup_web_free(w);
}

Test(web_fetch, latin1_pages_become_utf8) {
  web_t *w = websup_web(ALLOW, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/latin1", &p, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(p.title, "Caf\xc3\xa9 cr\xc3\xa8me");
  cr_assert(strstr(p.text,
                   "Stra\xc3\x9f"
                   "enverkehr in Z\xc3\xbcrich"),
            "%s", p.text);
  cr_assert(strstr(p.text,
                   "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
                   "e"),
            "%s", p.text);
  web_page_free(&p);
  cr_assert_eq(fetch(w, "/latin1-meta", &p, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(p.text, "Z\xc3\xbcrich"), "meta charset honoured: %s", p.text);
  web_page_free(&p);
  cr_assert_eq(fetch(w, "/plain", &p, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(p.content_type, "text/plain");
  cr_assert(strstr(p.text,
                   "Gr\xc3\xbc\xc3\x9f"
                   "e"),
            "%s", p.text);
  web_page_free(&p);
  websup_web_free(w);
}

Test(web_fetch, pdf_goes_through_the_document_parser) {
  web_t *w = websup_web(ALLOW, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/doc.pdf", &p, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(p.content_type, "application/pdf");
  cr_assert(strstr(p.text, "Quarterly PDF report about tidal energy"), "%s", p.text);
  web_page_free(&p);
  websup_web_free(w);
}

Test(web_fetch, unsupported_type_refused) {
  web_t *w = websup_web(ALLOW, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/image.png", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "content type image/png is not supported"), "%s", err);
  cr_assert_eq(fetch(w, "/missing", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "HTTP 404"), "%s", err);
  websup_web_free(w);
}

Test(web_fetch, loopback_refused_without_allow_list) {
  const char *env[] = {"WEB_CACHE_TTL_HOURS=0", NULL};
  web_t *w = websup_web(env, NULL);
  web_page_t p;
  char err[512], url[256];
  cr_assert_eq(fetch(w, "/article", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "refused") && strstr(err, "loopback"), "%s", err);
  snprintf(url, sizeof url, "http://localhost:%d/article", site.port);
  cr_assert_eq(web_fetch_page(w, url, &p, err, sizeof err), -1);
  cr_assert(strstr(err, "localhost resolves to") && strstr(err, "loopback"), "%s", err);
  snprintf(url, sizeof url, "http://2130706433:%d/article", site.port);
  cr_assert_eq(web_fetch_page(w, url, &p, err, sizeof err), -1);
  cr_assert(strstr(err, "loopback"), "%s", err);
  snprintf(url, sizeof url, "http://0x7f.1:%d/article", site.port);
  cr_assert_eq(web_fetch_page(w, url, &p, err, sizeof err), -1);
  cr_assert(strstr(err, "loopback"), "%s", err);
  snprintf(url, sizeof url, "http://[::ffff:127.0.0.1]:%d/article", site.port);
  cr_assert_eq(web_fetch_page(w, url, &p, err, sizeof err), -1);
  cr_assert(strstr(err, "loopback"), "%s", err);
  cr_assert_eq(websup_fake_count(&site, "/article"), 0, "no request reached the site");
  websup_web_free(w);
}

Test(web_fetch, redirects_rechecked) {
  web_t *w = websup_web(ALLOW, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/redirect-ok", &p, err, sizeof err), 0, "%s", err);
  cr_assert(strstr(p.final_url, "/article"), "%s", p.final_url);
  cr_assert(strstr(p.text, "ARTICLE-BODY-MARKER"));
  web_page_free(&p);
  cr_assert_eq(fetch(w, "/redirect?to=http://169.254.169.254/latest/meta-data/", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "refused: redirect to http://169.254.169.254/") && strstr(err, "cloud metadata"), "%s", err);
  cr_assert_eq(fetch(w, "/redirect?to=http://[::1]:1/", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "redirect") && strstr(err, "loopback"), "%s", err);
  cr_assert_eq(fetch(w, "/redirect?to=file:///etc/passwd", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "redirect") && strstr(err, "only http and https"), "%s", err);
  cr_assert_eq(fetch(w, "/redirect-loop", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "more than 5 redirects"), "%s", err);
  websup_web_free(w);
}

Test(web_fetch, oversized_page_is_cut) {
  const char *env[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=0", "FETCH_MAX_BYTES=1048576", NULL};
  web_t *w = websup_web(env, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/big", &p, err, sizeof err), 0, "%s", err);
  cr_assert_eq(p.truncated, 1);
  cr_assert(strstr(p.text, "Paragraph 0 of a very long page"), "start kept");
  cr_assert_null(strstr(p.text, "Paragraph 49999 "), "end cut");
  cr_assert(strlen(p.text) <= 1048576);
  web_page_free(&p);
  websup_web_free(w);
}

Test(web_fetch, gzip_bomb_refused) {
  const char *env[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=0", "FETCH_MAX_BYTES=1048576", NULL};
  web_t *w = websup_web(env, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/bomb", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "decompression bomb"), "%s", err);
  websup_web_free(w);
}

Test(web_fetch, slow_page_times_out) {
  const char *env[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=0", "FETCH_TIMEOUT_SECONDS=1", NULL};
  web_t *w = websup_web(env, NULL);
  web_page_t p;
  char err[512];
  cr_assert_eq(fetch(w, "/slow", &p, err, sizeof err), -1);
  cr_assert(strstr(err, "timed out"), "%s", err);
  websup_web_free(w);
}

Test(web_fetch, second_fetch_within_ttl_served_from_cache) {
  char dir[] = "/tmp/maestro-webtest-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256], err[512];
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert(st, "%s", err);
  const char *env[] = {"FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=48", NULL};
  web_t *w = websup_web(env, st);
  web_page_t p;
  cr_assert_eq(fetch(w, "/article", &p, err, sizeof err), 0, "%s", err);
  cr_assert_eq(p.from_cache, 0);
  web_page_free(&p);
  cr_assert_eq(fetch(w, "/article", &p, err, sizeof err), 0, "%s", err);
  cr_assert_eq(p.from_cache, 1);
  cr_assert_str_eq(p.title, "Tidal power plant opens in Brittany");
  cr_assert(strstr(p.text, "ARTICLE-BODY-MARKER"));
  cr_assert_str_eq(p.published, "2024-05-17T08:30:00Z");
  web_page_free(&p);
  cr_assert_eq(websup_fake_count(&site, "/article"), 1, "the site saw one request");
  websup_web_free(w);
  store_close(st);
}
