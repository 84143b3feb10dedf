/*
 * Ingestion progress over the WebSocket: a document uploaded through the API
 * is reported on the uploader's `documents` channel as queued, processing
 * (with stages), then ready, in order — and another user sees none of it.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server_support.h"
#include "ws_client.h"

static ts_server_t srv;

static long upload_text(const char *token, const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  cr_assert_eq(util_write_file(path, text, strlen(text), 0644), 0);
  CURL *c = curl_easy_init();
  char url[128], auth[1200];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/documents", srv.port);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  curl_mime *m = curl_mime_init(c);
  curl_mimepart *part = curl_mime_addpart(m);
  curl_mime_name(part, "files");
  curl_mime_filedata(part, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
  FILE *devnull = fopen("/dev/null", "w");
  curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  fclose(devnull);
  curl_mime_free(m);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return status;
}

static int status_rank(const char *s) {
  return !strcmp(s, "queued") ? 0 : !strcmp(s, "processing") ? 1 : !strcmp(s, "ready") ? 2 : -1;
}

Test(documents_live, ingestion_progress_arrives_in_order_on_the_owners_channel, .timeout = 120) {
  cr_assert_eq(ts_server_start(&srv, NULL), 0);
  char *admin = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(admin);
  long st;
  json_t *body = json_pack("{s:s, s:s, s:s}", "username", "other", "password", "password-123", "role", "researcher");
  json_decref(ts_json(&srv, "POST", "/api/admin/users", admin, body, &st));
  json_decref(body);
  char *other = ts_login(&srv, "other", "password-123");
  cr_assert_not_null(other);

  ws_client_t *mine = wsc_connect(srv.port, admin);
  ws_client_t *theirs = wsc_connect(srv.port, other);
  cr_assert(mine && theirs);
  wsc_send(mine, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  wsc_send(theirs, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  cr_assert_eq(wsc_wait(mine, "subscribed", NULL, 1, 5000), 1);
  cr_assert_eq(wsc_wait(theirs, "subscribed", NULL, 1, 5000), 1);

  cr_assert_eq(upload_text(admin, srv.dir, "notes.md", "# Notes\n\nAlpha particles are helium nuclei.\n"), 202);

  /* wait for the ready event */
  int64_t deadline = util_mono_ms() + 30000;
  json_t *ready = NULL;
  while (!ready && util_mono_ms() < deadline) {
    json_t *all = wsc_messages(mine);
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) {
      const char *s = json_string_value(json_object_get(json_object_get(m, "data"), "status"));
      if (s && !strcmp(s, "ready")) ready = json_incref(m);
    }
    json_decref(all);
    if (!ready) util_sleep_ms(20);
  }
  cr_assert_not_null(ready, "no ready event");
  json_decref(ready);

  json_t *all = wsc_messages(mine);
  size_t i;
  json_t *m;
  int last_rank = -1, saw_processing = 0;
  json_int_t last_seq = 0;
  const char *doc = NULL;
  json_array_foreach(all, i, m) {
    if (strcmp(json_string_value(json_object_get(m, "type")), "event") != 0) continue;
    json_t *d = json_object_get(m, "data");
    json_int_t seq = json_integer_value(json_object_get(m, "seq"));
    cr_expect_eq(seq, last_seq + 1, "events in order without gaps");
    last_seq = seq;
    const char *id = json_string_value(json_object_get(d, "id"));
    if (!doc) doc = id;
    cr_expect_str_eq(id, doc, "one document");
    int rank = status_rank(json_string_value(json_object_get(d, "status")));
    cr_expect(rank >= last_rank, "status went backwards at seq %lld", (long long)seq);
    if (rank == 1) saw_processing = 1;
    last_rank = rank;
  }
  cr_expect_eq(last_rank, 2, "ends ready");
  cr_expect(saw_processing, "processing stages are reported");
  json_decref(all);
  cr_expect_eq(wsc_count(theirs, "event", NULL), 0, "another user sees nothing of it");
  wsc_close(mine);
  wsc_close(theirs);
  free(admin);
  free(other);
  cr_expect_eq(ts_server_stop(&srv), 0);
}
