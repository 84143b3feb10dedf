/*
 * `maestro serve --role api|worker|all`: an API process runs no background
 * jobs, a worker process serves no HTTP, and the two together on one
 * database make the product work (a document uploaded through the API node
 * is ingested by the worker node). Two real processes on one SQLite file
 * here (WAL allows it); the PostgreSQL topology is tested in test_scaleout.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_support.h"

TestSuite(roles, .timeout = 120);

Test(roles, an_api_node_queues_and_a_worker_node_ingests) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  ts_server_t api, worker;
  cr_assert_eq(ts_server_start_role(&api, dir, env, "api"), 0, "the API node starts");
  cr_assert_gt(api.port, 0, "the API node listens");
  char *tok = ts_login(&api, "admin", "admin-pass-123");
  cr_assert_not_null(tok);

  char path[300];
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("Glaciers retreat when summer melt exceeds winter accumulation.\n", f);
  fclose(f);
  const char *paths[] = {path, NULL};
  long st = 0;
  json_t *up = ts_upload(&api, tok, paths, NULL, &st);
  cr_assert(st == 201 || st == 202, "upload answered %ld", st);
  const char *id = json_string_value(json_object_get(json_array_get(json_object_get(up, "documents"), 0), "id"));
  cr_assert_not_null(id, "upload reply names the document");
  char doc_path[128];
  snprintf(doc_path, sizeof doc_path, "/api/documents/%s", id);

  sleep(3); /* an API node has no job workers: nothing picks the job up */
  json_t *d = ts_json(&api, "GET", doc_path, tok, NULL, &st);
  cr_assert_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(d, "status")), "queued", "the API node ran the job itself");
  json_decref(d);

  cr_assert_eq(ts_server_start_role(&worker, dir, env, "worker"), 0, "the worker node starts");
  cr_expect_eq(worker.port, 0, "a worker serves no HTTP");
  d = ts_wait_document(&api, tok, id, 60);
  cr_assert_not_null(d, "the worker ingested the document");
  cr_expect_str_eq(json_string_value(json_object_get(d, "status")), "ready");
  json_decref(d);
  /* and the API node answers searches over what the worker indexed */
  json_t *q = json_pack("{s:s, s:i}", "query", "glaciers", "k", 3);
  json_t *r = ts_json(&api, "POST", "/api/search", tok, q, &st);
  json_decref(q);
  cr_expect_eq(st, 200);
  cr_expect_gt(json_array_size(json_object_get(r, "results")), 0, "search on the API node finds it");
  json_decref(r);
  json_decref(up);
  free(tok);
  cr_expect_eq(ts_server_stop(&worker), 0, "the worker stops cleanly");
  cr_expect_eq(ts_server_stop(&api), 0, "the API node stops cleanly");
}

/* Nodes started at the same moment on an empty database: one of them
 * creates the first admin, the others find it there and start too (they
 * used to stop with "user admin already exists"). */
Test(roles, nodes_started_together_on_an_empty_database_all_come_up) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  enum { N = 4 };
  ts_server_t node[N];
  for (int i = 0; i < N; i++)
    cr_assert_eq(ts_server_spawn_role(&node[i], dir, env, i == 0 ? "api" : "worker"), 0, "node %d forks", i);
  for (int i = 0; i < N; i++) cr_expect_eq(ts_server_ready(&node[i]), 0, "node %d did not come up", i);
  char *tok = node[0].pid ? ts_login(&node[0], "admin", "admin-pass-123") : NULL;
  cr_expect_not_null(tok, "the first admin logs in on the API node");
  free(tok);
  for (int i = 0; i < N; i++)
    if (node[i].pid) cr_expect_eq(ts_server_stop(&node[i]), 0, "node %d stops cleanly", i);
}

Test(roles, an_unknown_role_is_refused) {
  char dir[256], *out = NULL;
  ts_tmpdir(dir, sizeof dir);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "serve", "--role", "boss", NULL), 2);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "serve", "--help", NULL), 0);
  cr_expect_not_null(strstr(out, "--role"), "--help documents the roles");
  free(out);
}
