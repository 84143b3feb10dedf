/*
 * bench/bench_scaleout.c - throughput of several maestro processes on one
 * PostgreSQL against one process on SQLite, in one run.
 *
 * Configurations, each on a fresh database and a fresh shared DATA_DIR:
 *   - SQLite: one `maestro serve` (role all): the baseline;
 *   - PostgreSQL (a throwaway cluster, tests/support/pg.c): one
 *     `--role api` process plus 1, 2 and 3 `--role worker` processes.
 * In each, through the API process:
 *   - ingestion: PDFS generated PDFs of PAGES pages uploaded in one request;
 *     pages per second from the upload to every document ready;
 *   - missions: MISSIONS quick missions (3 sections) over that library with
 *     tests/fakes/fake_llm.py answering as tests/fakes/research_team.json
 *     after a fixed latency per call; missions per minute from the first
 *     POST to every mission completed.
 * Prints a table with ratios against the SQLite process.
 *
 * Usage: bench_scaleout [--pdfs N] [--missions N] [--latency-ms N]
 *        (defaults 60, 24, 100; --no-pg: the SQLite row alone)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mission_bench.h"
#include "pg.h"
#include "rag_bench.h"
#include "server_support.h"

#define PAGES 4
#define MAX_WORKERS 3

typedef struct {
  const char *name;
  int workers; /* 0: SQLite, one process with role all */
  double pages_per_s, missions_per_min;
  int pages;
  double calls_per_mission; /* chat calls the fake model answered, per mission */
  int max_inflight;         /* the most chat calls the fake had in flight at once */
} scale_config_t;

/* The fake model's rules: research_team.json with a 3-section planner, every
 * rule answering after latency_ms. */
static void write_rules(const char *path, int latency_ms) {
  json_t *secs = json_array();
  for (int i = 0; i < 3; i++) {
    char t[64], q[128];
    snprintf(t, sizeof t, "Topic %d", i + 1);
    snprintf(q, sizeof q, "What does the library say about topic %d?", i + 1);
    json_array_append_new(secs, json_pack("{s:s, s:[s], s:i}", "title", t, "questions", q, "priority", 1));
  }
  char *text = mb_team_rules(secs);
  json_t *r = json_loads(text, 0, NULL);
  free(text);
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(r, "rules"), i, rule)
      json_object_set_new(rule, "delay", json_real(latency_ms / 1000.0));
  if (json_dump_file(r, path, JSON_COMPACT) != 0) mb_die("rules", path);
  json_decref(r);
}

/* GET /api/documents?status=S&limit=1 -> total (-1 on error). */
static long count_docs(ts_server_t *s, const char *tok, const char *status) {
  char p[96];
  snprintf(p, sizeof p, "/api/documents?status=%s&limit=1", status);
  long st;
  json_t *r = ts_json(s, "GET", p, tok, NULL, &st);
  long n = st == 200 ? (long)json_integer_value(json_object_get(r, "total")) : -1;
  json_decref(r);
  return n;
}

static int sum_pages(ts_server_t *s, const char *tok) {
  long st;
  json_t *r = ts_json(s, "GET", "/api/documents?limit=500", tok, NULL, &st);
  int pages = 0;
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(r, "documents"), i, d) pages +=
      (int)json_integer_value(json_object_get(d, "pages"));
  json_decref(r);
  return pages;
}

/* The fake model's chat calls since its last reset (and the most in flight
 * at once); resets it. Chat calls only: ingestion makes none. */
static int fake_calls(int port, int *max_inflight) {
  ts_server_t f = {.port = port};
  long st;
  json_t *r = ts_json(&f, "GET", "/_calls", NULL, NULL, &st);
  int n = 0;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(r, "calls"), i, c) {
    const char *kind = json_string_value(json_object_get(c, "kind"));
    n += kind && !strcmp(kind, "chat");
  }
  *max_inflight = (int)json_integer_value(json_object_get(r, "max_inflight"));
  json_decref(r);
  ts_response_t z = ts_http(&f, "POST", "/_reset", NULL, NULL, "{}", 2);
  ts_response_free(&z);
  return n;
}

/* Uploads the PDFs, waits until all are ready; pages per second. */
static double ingest(ts_server_t *api, const char *tok, const char *const *paths, int n, int *pages) {
  double t0 = bench_now_ms();
  long st;
  json_t *r = ts_upload(api, tok, paths, NULL, &st);
  if (st != 202) {
    char *t = json_dumps(r, 0);
    fprintf(stderr, "bench_scaleout: upload answered %ld: %s\n", st, t ? t : "");
    exit(1);
  }
  json_decref(r);
  for (;;) {
    long failed = count_docs(api, tok, "failed");
    if (failed != 0) mb_die("ingestion", failed < 0 ? "the document list failed" : "a document failed");
    if (count_docs(api, tok, "ready") >= n) break;
    if (bench_now_ms() - t0 > 300e3) mb_die("ingestion", "not done after 300 s");
    usleep(20000);
  }
  double secs = (bench_now_ms() - t0) / 1e3;
  *pages = sum_pages(api, tok);
  return *pages / secs;
}

/* Creates n quick missions, waits until all are completed; missions per minute. */
static double missions(ts_server_t *api, const char *tok, int n) {
  char **ids = calloc((size_t)n, sizeof *ids);
  double t0 = bench_now_ms();
  for (int i = 0; i < n; i++) {
    char title[64];
    snprintf(title, sizeof title, "Scale-out mission %d", i + 1);
    json_t *body = json_pack("{s:s, s:[s], s:[s], s:{s:s}}", "title", title, "research_questions",
                             "What does the library say about these topics?", "sources", "local_documents", "settings",
                             "depth", "quick");
    long st;
    json_t *r = ts_json(api, "POST", "/api/missions", tok, body, &st);
    json_decref(body);
    if (st != 201) mb_die("create mission", "not 201");
    ids[i] = strdup(json_string_value(json_object_get(r, "id")));
    json_decref(r);
  }
  for (int done = 0; done < n;) {
    done = 0;
    for (int i = 0; i < n; i++) {
      char p[96];
      snprintf(p, sizeof p, "/api/missions/%s", ids[i]);
      long st;
      json_t *m = ts_json(api, "GET", p, tok, NULL, &st);
      const char *s = json_string_value(json_object_get(m, "status"));
      if (s && !strcmp(s, "completed")) done++;
      int bad = !s || !strcmp(s, "failed") || !strcmp(s, "cancelled");
      json_decref(m);
      if (bad) mb_die("mission", s ? s : "cannot be read");
    }
    if (bench_now_ms() - t0 > 300e3) mb_die("missions", "not done after 300 s");
    if (done < n) usleep(50000);
  }
  double mins = (bench_now_ms() - t0) / 60e3;
  for (int i = 0; i < n; i++) free(ids[i]);
  free(ids);
  return n / mins;
}

static void run_config(scale_config_t *c, int fake_port, const char *fake_url, const char *const *paths, int npdfs,
                       int nmissions) {
  char dir[256], url[600] = "DATABASE_URL=";
  ts_tmpdir(dir, sizeof dir);
  if (c->workers) {
    char conninfo[512], err[768], host[256], db[128];
    if (pg_cluster_new_db(conninfo, sizeof conninfo, err, sizeof err) != 0) mb_die("PostgreSQL", err);
    if (sscanf(conninfo, "host=%255s user=postgres dbname=%127s", host, db) != 2) mb_die("conninfo", conninfo);
    snprintf(url, sizeof url, "DATABASE_URL=postgresql://postgres@/%s?host=%s", db, host);
  }
  char base_url[200];
  snprintf(base_url, sizeof base_url, "OPENAI_BASE_URL=%s", fake_url);
  /* the fake model; on PostgreSQL also the database (the SQLite process keeps its default file) */
  const char *env[] = {base_url, "OPENAI_API_KEY=bench", "MODEL_NAME=fake-model", "LLM_MAX_RETRIES=1", NULL, NULL};
  if (c->workers) env[4] = url;
  ts_server_t api, workers[MAX_WORKERS];
  if (ts_server_start_role(&api, dir, env, c->workers ? "api" : "all") != 0) mb_die(c->name, "server did not start");
  for (int w = 0; w < c->workers; w++)
    if (ts_server_start_role(&workers[w], dir, env, "worker") != 0) mb_die(c->name, "worker did not start");
  char *tok = ts_login(&api, "admin", "admin-pass-123");
  if (!tok) mb_die(c->name, "login failed");
  c->pages_per_s = ingest(&api, tok, paths, npdfs, &c->pages);
  c->missions_per_min = missions(&api, tok, nmissions);
  c->calls_per_mission = (double)fake_calls(fake_port, &c->max_inflight) / nmissions;
  /* a mission that completed without the model (offline fallback) would be no measure */
  if (c->calls_per_mission < 5) mb_die(c->name, "the missions made fewer than 5 model calls each");
  free(tok);
  for (int w = 0; w < c->workers; w++) ts_server_stop(&workers[w]);
  ts_server_stop(&api);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  fprintf(stderr, "bench_scaleout: %s: %d pages in %.1f s, %d missions in %.1f s\n", c->name, c->pages,
          c->pages / c->pages_per_s, nmissions, nmissions * 60.0 / c->missions_per_min);
}

int main(int argc, char **argv) {
  int npdfs = 60, nmissions = 24, latency_ms = 100, use_pg = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pdfs") && i + 1 < argc)
      npdfs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--missions") && i + 1 < argc)
      nmissions = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--latency-ms") && i + 1 < argc)
      latency_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--no-pg"))
      use_pg = 0;
    else {
      fprintf(stderr, "usage: bench_scaleout [--pdfs N] [--missions N] [--latency-ms N] [--no-pg]\n");
      return 2;
    }
  }
  if (npdfs < 1 || npdfs > 500 || nmissions < 1 || latency_ms < 0) {
    fprintf(stderr, "bench_scaleout: --pdfs 1-500, --missions >= 1, --latency-ms >= 0\n");
    return 2;
  }
  if (use_pg) {
    pg_test_cluster_up();
    if (!getenv("MAESTRO_TEST_PG")) {
      fprintf(stderr, "PostgreSQL rows skipped: %s\n", getenv("MAESTRO_TEST_PG_ERROR"));
      use_pg = 0;
    }
  }
  char src[] = "/tmp/maestro-bench-scale-XXXXXX";
  if (!mkdtemp(src)) mb_die("mkdtemp", "failed");
  char rules[300];
  snprintf(rules, sizeof rules, "%s/rules.json", src);
  write_rules(rules, latency_ms);
  mb_fake_t fake;
  mb_fake_start(&fake, rules);
  char fake_url[64];
  snprintf(fake_url, sizeof fake_url, "http://127.0.0.1:%d/v1", fake.port);
  char **paths = calloc((size_t)npdfs + 1, sizeof *paths);
  for (int i = 0; i < npdfs; i++) {
    char p[320];
    snprintf(p, sizeof p, "%s/report-%03d.pdf", src, i);
    bench_write_pdf(p, 7000u + (unsigned)i, PAGES);
    paths[i] = strdup(p);
  }

  scale_config_t cfgs[] = {{.name = "SQLite, 1 process (all)", .workers = 0},
                           {.name = "PostgreSQL, api + 1 worker", .workers = 1},
                           {.name = "PostgreSQL, api + 2 workers", .workers = 2},
                           {.name = "PostgreSQL, api + 3 workers", .workers = 3}};
  int ncfg = use_pg ? 4 : 1;
  for (int i = 0; i < ncfg; i++)
    run_config(&cfgs[i], fake.port, fake_url, (const char *const *)paths, npdfs, nmissions);

  printf("\n== scale-out: processes on PostgreSQL vs one process on SQLite (same run) ==\n");
  printf("(%d PDFs x %d pages uploaded at once; %d quick missions, fake model %d ms per call)\n", npdfs, PAGES,
         nmissions, latency_ms);
  printf("%-30s %10s %7s %13s %7s %11s %10s\n", "configuration", "pages/s", "ratio", "missions/min", "ratio",
         "calls/msn", "in flight");
  for (int i = 0; i < ncfg; i++)
    printf("%-30s %10.1f %7.2f %13.1f %7.2f %11.1f %10d\n", cfgs[i].name, cfgs[i].pages_per_s,
           cfgs[i].pages_per_s / cfgs[0].pages_per_s, cfgs[i].missions_per_min,
           cfgs[i].missions_per_min / cfgs[0].missions_per_min, cfgs[i].calls_per_mission, cfgs[i].max_inflight);
  printf("(calls/msn: model calls per mission; in flight: the most model calls at once)\n");
  for (int i = 0; i < ncfg; i++)
    if (cfgs[i].pages != npdfs * PAGES)
      fprintf(stderr, "bench_scaleout: %s counted %d pages\n", cfgs[i].name, cfgs[i].pages);

  mb_fake_stop(&fake);
  for (int i = 0; i < npdfs; i++) free(paths[i]);
  free(paths);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", src);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", src);
  if (use_pg) pg_test_cluster_down();
  return 0;
}
