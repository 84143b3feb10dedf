/*
 * A server killed (SIGKILL) in the middle of ingesting a large document:
 * while it is half-indexed the document is not searchable; after a restart
 * the durable job resumes it from the start and the document ends 'ready'
 * with every chunk exactly once.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "server_support.h"

static char *upload(ts_server_t *srv, const char *token, const char *path) {
  const char *paths[] = {path, NULL};
  long st = 0;
  json_t *j = ts_upload(srv, token, paths, NULL, &st);
  cr_assert_eq(st, 202, "upload of %s: %ld", path, st);
  char *id = util_strdup(json_string_value(json_object_get(json_array_get(json_object_get(j, "documents"), 0), "id")));
  json_decref(j);
  return id;
}

static const char *status_of(ts_server_t *srv, const char *token, const char *id, char *out, size_t n) {
  char path[128];
  snprintf(path, sizeof path, "/api/documents/%s", id);
  long st;
  json_t *j = ts_json(srv, "GET", path, token, NULL, &st);
  snprintf(out, n, "%s", st == 200 ? json_string_value(json_object_get(j, "status")) : "?");
  json_decref(j);
  return out;
}

static size_t hits(ts_server_t *srv, const char *token, const char *q) {
  json_t *b = json_pack("{s:s, s:i}", "query", q, "k", 20);
  long st;
  json_t *j = ts_json(srv, "POST", "/api/search", token, b, &st);
  cr_assert_eq(st, 200);
  size_t n = json_array_size(json_object_get(j, "results"));
  json_decref(j);
  json_decref(b);
  return n;
}

Test(documents_restart, kill_during_ingestion_then_resume, .timeout = 280) {
  curl_global_init(CURL_GLOBAL_ALL);
  ts_server_t srv;
  const char *env[] = {"LOG_LEVEL=warning", NULL};
  cr_assert_eq(ts_server_start(&srv, env), 0);
  char *tok = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  /* ~18 MB of text: long enough to be caught while it is being indexed */
  char path[512];
  snprintf(path, sizeof path, "%s/big.txt", srv.dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("Xylophonequartz opens this document.\n\n", f);
  static const char *words[] = {"river",   "mountain", "engine",  "signal", "harbor", "lantern", "copper",  "meadow",
                                "circuit", "falcon",   "granite", "orbit",  "velvet", "timber",  "quantum", "saddle"};
  unsigned x = 7;
  for (int p = 0; p < 40000; p++) {
    for (int w = 0; w < 60; w++) {
      x = x * 1103515245u + 12345u;
      fprintf(f, "%s %u ", words[(x >> 16) % 16], (x >> 8) % 1000);
    }
    fputs(".\n\n", f);
  }
  fclose(f);
  char *id = upload(&srv, tok, path);
  char st[32];
  int64_t deadline = util_mono_ms() + 60000;
  while (strcmp(status_of(&srv, tok, id, st, sizeof st), "processing") != 0 && util_mono_ms() < deadline)
    util_sleep_ms(10);
  cr_assert_str_eq(st, "processing", "the document should be caught while processing");
  util_sleep_ms(300); /* let it write some chunks */
  cr_expect_eq(hits(&srv, tok, "xylophonequartz"), 0, "a half-indexed document is not searchable");
  ts_server_kill(&srv);
  char dir[256];
  snprintf(dir, sizeof dir, "%s", srv.dir);
  cr_assert_eq(ts_server_start_in(&srv, dir, env), 0, "restart");
  free(tok);
  tok = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  deadline = util_mono_ms() + 240000;
  while (util_mono_ms() < deadline) {
    status_of(&srv, tok, id, st, sizeof st);
    if (!strcmp(st, "ready") || !strcmp(st, "failed")) break;
    util_sleep_ms(100);
  }
  cr_assert_str_eq(st, "ready", "the resumed job finishes the document");
  cr_expect_eq(hits(&srv, tok, "xylophonequartz"), 1, "the first chunk exists exactly once");
  cr_expect(hits(&srv, tok, "falcon granite") > 0);
  free(id);
  free(tok);
  cr_expect_eq(ts_server_stop(&srv), 0);
}
