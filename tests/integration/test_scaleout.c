/*
 * Scale-out on PostgreSQL (issue 15): several `maestro serve` processes on
 * one database and one shared DATA_DIR. A process that dies mid-job loses
 * nothing: another one takes the job over once its lease (JOB_LEASE_SECONDS)
 * expires and finishes it, without duplicated notes, events, model calls or
 * chunks, and a WebSocket client on a third process sees every event once,
 * in order.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mission_support.h"
#include "pg_cluster_hooks.h"
#include "server_support.h"
#include "ws_client.h"

TestSuite(scaleout, .timeout = 150);

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* A fresh database of the binary's cluster: its conninfo and the
 * DATABASE_URL naming it. */
static void new_db(char *conninfo, size_t cn, char *url_env, size_t un) {
  pg_test_new_db(conninfo, cn);
  char host[300] = "", user[64] = "", db[64] = "";
  cr_assert_eq(sscanf(conninfo, "host=%299s user=%63s dbname=%63s", host, user, db), 3, "%s", conninfo);
  snprintf(url_env, un, "DATABASE_URL=postgresql://%s@/%s?host=%s", user, db, host);
}

/* One integer from SQL (-1 when there is none). */
static long sql_long(const char *conninfo, const char *fmt, const char *arg) {
  char sql[1024];
  snprintf(sql, sizeof sql, fmt, arg);
  char *v = pg_test_scalar(conninfo, sql);
  long n = v ? strtol(v, NULL, 10) : -1;
  free(v);
  return n;
}

/* The pid in a job owner "HOST:PID:RANDOM.N" (0 when none). */
static pid_t job_owner_pid(const char *conninfo, const char *kind, const char *ref) {
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT owner FROM jobs WHERE kind = '%s' AND ref_id = '%s' AND status = 'running'", kind,
           ref);
  char *o = pg_test_scalar(conninfo, sql);
  pid_t pid = 0;
  const char *c = o ? strchr(o, ':') : NULL;
  if (c) pid = (pid_t)strtol(c + 1, NULL, 10);
  free(o);
  return pid;
}

/* The researcher's latency: the mission takes several seconds. */
#define RESEARCH_DELAY 1.5
#define OTHER_DELAY 0.5

Test(scaleout, a_mission_survives_the_death_of_its_worker) {
  curl_global_init(CURL_GLOBAL_ALL);
  char conninfo[512], dburl[800], fake_url[200], furl[256];
  new_db(conninfo, sizeof conninfo, dburl, sizeof dburl);
  char rules[8192];
  ms_rules(rules, sizeof rules, "\"delay\":1.5,");
  /* every other agent answers after OTHER_DELAY */
  json_t *rj = json_loads(rules, 0, NULL);
  cr_assert_not_null(rj);
  size_t ri;
  json_t *rule;
  json_array_foreach(json_object_get(rj, "rules"), ri, rule) {
    if (!json_object_get(rule, "delay")) json_object_set_new(rule, "delay", json_real(OTHER_DELAY));
  }
  char *rtext = json_dumps(rj, JSON_COMPACT);
  json_decref(rj);
  cr_assert_eq(llmsup_fake_start(&ms_fake, rtext), 0, "the fake model starts");
  free(rtext);
  llmsup_url(&ms_fake, "/v1", fake_url, sizeof fake_url);
  snprintf(furl, sizeof furl, "OPENAI_BASE_URL=%s", fake_url);
  const char *env[] = {dburl,
                       furl,
                       "OPENAI_API_KEY=test",
                       "MODEL_NAME=fake-model",
                       "LLM_MAX_RETRIES=1",
                       "LLM_RETRY_BASE_MS=20",
                       "JOB_LEASE_SECONDS=3",
                       "LOG_LEVEL=info",
                       NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);

  /* A: API only; B: the only worker at first, so B claims the mission. */
  ts_server_t b, c;
  cr_assert_eq(ts_server_start_role(&ms_srv, dir, env, "api"), 0, "A starts");
  cr_assert_eq(ts_server_start_role(&b, dir, env, "worker"), 0, "B starts");
  ms_token = ts_login(&ms_srv, "admin", "admin-pass-123");
  cr_assert_not_null(ms_token);

  char path[400];
  snprintf(path, sizeof path, "%s/debian.md", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(MS_DOC, f);
  fclose(f);
  const char *paths[] = {path, NULL};
  long st = 0;
  json_t *up = ts_upload(&ms_srv, ms_token, paths, NULL, &st);
  cr_assert(st == 201 || st == 202, "upload answered %ld", st);
  const char *doc_id = json_string_value(json_object_get(json_array_get(json_object_get(up, "documents"), 0), "id"));
  cr_assert_not_null(doc_id);
  json_t *d = ts_wait_document(&ms_srv, ms_token, doc_id, 60);
  cr_assert_not_null(d, "B ingested the document");
  cr_assert_str_eq(json_string_value(json_object_get(d, "status")), "ready");
  json_decref(d);
  json_decref(up);

  char *id = ms_create("Scale out", 0, NULL);
  cr_assert(ms_wait_for(id, "running", "research", 60), "the mission did not reach research");
  cr_assert_eq(job_owner_pid(conninfo, "mission", id), b.pid, "B runs the mission");

  /* C: API and workers, started while B holds the lease; the WebSocket
   * client on C follows the mission from its first event. */
  cr_assert_eq(ts_server_start_role(&c, dir, env, "all"), 0, "C starts");
  cr_assert_gt(c.port, 0);
  char *ctok = ts_login(&c, "admin", "admin-pass-123");
  cr_assert_not_null(ctok, "a login on C (shared JWT key and users)");
  ws_client_t *ws = wsc_connect(c.port, ctok);
  cr_assert_not_null(ws, "the WebSocket on C opens");
  char channel[80];
  snprintf(channel, sizeof channel, "mission:%s", id);
  wsc_send(ws, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  cr_assert_eq(wsc_wait(ws, "subscribed", channel, 1, 5000), 1, "C accepts the subscription");

  /* Kill B once a research step has committed notes, mid-mission. */
  time_t end = time(NULL) + 60;
  while (time(NULL) < end && sql_long(conninfo, "SELECT count(*) FROM mission_notes WHERE mission_id = '%s'", id) < 1)
    usleep(50000);
  cr_assert_gt(sql_long(conninfo, "SELECT count(*) FROM mission_notes WHERE mission_id = '%s'", id), 0,
               "no notes before the kill");
  cr_assert_eq(job_owner_pid(conninfo, "mission", id), b.pid, "B still runs the mission");
  json_t *m = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "running", "the mission is still running");
  json_decref(m);
  pid_t bpid = b.pid;
  double kill_ts = now_s();
  ts_server_kill(&b);

  cr_assert(ms_wait_for(id, "completed", NULL, 90), "the mission did not complete after B died");
  cr_expect_eq(sql_long(conninfo, "SELECT count(*) FROM jobs WHERE kind = 'mission' AND ref_id = '%s'", id), 1,
               "one mission job");
  cr_expect_geq(sql_long(conninfo, "SELECT max(attempts) FROM jobs WHERE kind = 'mission' AND ref_id = '%s'", id), 2,
                "the job was claimed again after B died");
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT owner FROM jobs WHERE kind = 'mission' AND ref_id = '%s'", id);
  char *owner = pg_test_scalar(conninfo, sql);
  cr_expect(owner && strtol(strchr(owner, ':') + 1, NULL, 10) == c.pid, "C finished the job (owner %s)",
            owner ? owner : "-");
  free(owner);

  /* Events: the store's sequence is gap-free and has every kind; the
   * WebSocket client on C saw each of 1..N exactly once, in order. */
  ms_check_events(id);
  char p[200];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  json_t *evs = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  size_t n_events = json_array_size(json_object_get(evs, "events"));
  json_int_t last =
      json_integer_value(json_object_get(json_array_get(json_object_get(evs, "events"), n_events - 1), "seq"));
  json_decref(evs);
  cr_assert_eq((json_int_t)n_events, last);
  cr_expect_eq(wsc_wait(ws, "event", channel, (int)n_events, 15000), (int)n_events, "the client on C missed events");
  usleep(500000); /* a duplicate would arrive late */
  json_t *msgs = wsc_messages(ws);
  size_t i;
  json_t *e;
  json_int_t want = 1;
  json_array_foreach(msgs, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "type")), "event") ||
        strcmp(json_string_value(json_object_get(e, "channel")), channel))
      continue;
    json_int_t seq = json_integer_value(json_object_get(e, "seq"));
    cr_expect_eq(seq, want, "the client on C got seq %lld where %lld was due", (long long)seq, (long long)want);
    want = seq + 1;
  }
  cr_expect_eq(want, last + 1, "the client on C saw up to seq %lld of %lld", (long long)want - 1, (long long)last);
  json_decref(msgs);
  wsc_close(ws);

  /* Notes: none duplicated, every quote from the document. */
  ms_check_notes(id);
  long notes = sql_long(conninfo, "SELECT count(*) FROM mission_notes WHERE mission_id = '%s'", id);
  long distinct = sql_long(conninfo,
                           "SELECT count(*) FROM (SELECT DISTINCT section_id, source_key, quote FROM mission_notes "
                           "WHERE mission_id = '%s') x",
                           id);
  cr_expect_gt(notes, 0);
  cr_expect_eq(notes, distinct, "duplicated notes: %ld notes, %ld distinct", notes, distinct);

  /* Model calls: the plan was paid once, and no prompt was sent twice
   * unless its first answer was still in flight when B died (B never got
   * it, so the call cache could not keep it). */
  json_t *calls = llmsup_fake_calls(&ms_fake);
  cr_assert_not_null(calls);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "planner")), 1,
               "the planner was called again after the takeover");
  json_t *seen = json_object();
  int repaid = 0, in_flight_repeats = 0;
  json_array_foreach(json_object_get(calls, "calls"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "kind")), "chat")) continue;
    char key[700];
    snprintf(key, sizeof key, "%s|%lld|%s|%s", json_string_value(json_object_get(e, "rule")),
             (long long)json_integer_value(json_object_get(e, "chars")),
             json_string_value(json_object_get(e, "system")), json_string_value(json_object_get(e, "last_user")));
    double ts = json_real_value(json_object_get(e, "ts"));
    json_t *prev = json_object_get(seen, key);
    if (prev) {
      double first = json_real_value(prev);
      /* the first call was answered (arrival + latency) before B died */
      if (first + RESEARCH_DELAY + 0.5 < kill_ts || first > kill_ts) {
        repaid++;
        cr_log_error("prompt paid twice (first at %.2f, again at %.2f, B killed at %.2f): %s", first, ts, kill_ts, key);
      } else
        in_flight_repeats++;
    } else
      json_object_set_new(seen, key, json_real(ts));
  }
  cr_log_info("B (pid %d) killed at %.2f; %zu distinct prompts, %d re-sent because in flight at the kill", (int)bpid,
              kill_ts, json_object_size(seen), in_flight_repeats);
  cr_expect_eq(repaid, 0, "%d model calls were paid twice", repaid);
  json_decref(seen);
  json_decref(calls);

  free(ctok);
  free(id);
  cr_expect_eq(ts_server_stop(&c), 0, "C stops cleanly");
  ms_stop_all();
}

#define NDOCS 200
#define BATCH 20

/* A word only document i contains ("zork" + i in letters: the tokenizer
 * keeps it whole). */
static void unique_word(int i, char *out, size_t n) {
  snprintf(out, n, "zork%c%c%c", 'a' + i / 100, 'a' + (i / 10) % 10, 'a' + i % 10);
}

Test(scaleout, two_hundred_documents_survive_the_death_of_a_worker) {
  curl_global_init(CURL_GLOBAL_ALL);
  char conninfo[512], dburl[800], fake_url[200], furl[256];
  new_db(conninfo, sizeof conninfo, dburl, sizeof dburl);
  /* embeddings with some latency: a worker is killed inside a job */
  cr_assert_eq(llmsup_fake_start(&ms_fake, "{\"rules\":[],\"embedding\":{\"delay\":0.05}}"), 0,
               "the fake model starts");
  llmsup_url(&ms_fake, "/v1", fake_url, sizeof fake_url);
  snprintf(furl, sizeof furl, "OPENAI_BASE_URL=%s", fake_url);
  const char *env[] = {dburl,
                       furl,
                       "OPENAI_API_KEY=test",
                       "MODEL_NAME=fake-model",
                       "EMBEDDING_MODEL=fake-model",
                       "JOB_LEASE_SECONDS=3",
                       "LOG_LEVEL=warning",
                       NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  ts_server_t w[3];
  cr_assert_eq(ts_server_start_role(&ms_srv, dir, env, "api"), 0, "A starts");
  for (int k = 0; k < 3; k++) cr_assert_eq(ts_server_start_role(&w[k], dir, env, "worker"), 0, "worker %d starts", k);
  ms_token = ts_login(&ms_srv, "admin", "admin-pass-123");
  cr_assert_not_null(ms_token);

  char docs[300];
  snprintf(docs, sizeof docs, "%s/docs", dir);
  mkdir(docs, 0755);
  static char paths[NDOCS][400];
  for (int i = 0; i < NDOCS; i++) {
    char word[16];
    unique_word(i, word, sizeof word);
    snprintf(paths[i], sizeof paths[i], "%s/note-%03d.txt", docs, i);
    FILE *f = fopen(paths[i], "w");
    cr_assert_not_null(f);
    fprintf(f,
            "Field note %d. The marker word of this note is %s. Rivers carry sediment to the sea, and deltas "
            "grow where the current slows.\n",
            i, word);
    fclose(f);
  }
  /* Upload in batches; halfway, kill the worker that holds an ingestion job. */
  double t0 = now_s();
  int victim = -1;
  long ready_at_kill = -1;
  char *held = NULL; /* the job the killed worker was running */
  for (int b = 0; b < NDOCS / BATCH; b++) {
    const char *batch[BATCH + 1];
    for (int k = 0; k < BATCH; k++) batch[k] = paths[b * BATCH + k];
    batch[BATCH] = NULL;
    long st = 0;
    json_t *up = ts_upload(&ms_srv, ms_token, batch, NULL, &st);
    cr_assert(st == 201 || st == 202, "upload of batch %d answered %ld", b, st);
    cr_assert_eq(json_array_size(json_object_get(up, "documents")), BATCH);
    json_decref(up);
    if (b != NDOCS / BATCH / 2) continue;
    time_t end = time(NULL) + 30;
    while (victim < 0 && time(NULL) < end) {
      char *o = pg_test_scalar(conninfo,
                               "SELECT string_agg(owner, ' ') FROM jobs WHERE kind = 'ingest' AND "
                               "status = 'running'");
      for (int k = 0; k < 3 && o && victim < 0; k++) {
        char needle[32];
        snprintf(needle, sizeof needle, ":%d:", (int)w[k].pid);
        if (strstr(o, needle)) victim = k;
      }
      free(o);
      if (victim < 0) usleep(5000);
    }
    cr_assert_geq(victim, 0, "no worker was caught mid-ingestion");
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT id FROM jobs WHERE kind = 'ingest' AND status = 'running' AND owner LIKE '%%:%d:%%'",
             (int)w[victim].pid);
    ts_server_kill(&w[victim]);
    held = pg_test_scalar(conninfo, sql); /* the dead process can no longer change it */
    cr_assert_not_null(held, "the killed worker held no ingestion job");
    ready_at_kill = sql_long(conninfo, "SELECT count(*) FROM documents WHERE status = '%s'", "ready");
  }
  cr_log_info("worker %d killed with %ld of %d documents ready", victim, ready_at_kill, NDOCS);
  cr_expect_lt(ready_at_kill, NDOCS / 2 + BATCH, "the kill came late");

  time_t end = time(NULL) + 90;
  while (time(NULL) < end &&
         sql_long(conninfo, "SELECT count(*) FROM documents WHERE status IN ('ready', 'failed') AND %s", "true") <
             NDOCS)
    usleep(100000);
  double took = now_s() - t0;
  cr_log_info("%d documents ingested in %.1f s by three workers, one killed", NDOCS, took);
  cr_assert_eq(sql_long(conninfo, "SELECT count(*) FROM documents WHERE status = '%s'", "ready"), NDOCS,
               "not every document is ready");
  cr_expect_eq(sql_long(conninfo, "SELECT count(*) FROM documents WHERE %s", "true"), NDOCS, "documents duplicated");

  /* Each ingested once: one chunk each (they are short), chunk_count true,
   * no chunk written twice, one vector per chunk, one "ready" event each. */
  cr_expect_eq(sql_long(conninfo, "SELECT count(*) FROM chunks WHERE %s", "true"), NDOCS, "chunks duplicated");
  cr_expect_eq(sql_long(conninfo, "SELECT count(DISTINCT document_id) FROM chunks WHERE %s", "true"), NDOCS);
  cr_expect_eq(sql_long(conninfo,
                        "SELECT count(*) FROM documents d WHERE chunk_count <> (SELECT count(*) FROM chunks c WHERE "
                        "c.document_id = d.id) OR chunk_count <> %s",
                        "1"),
               0, "a document's chunk_count is wrong");
  char *bad =
      pg_test_scalar(conninfo,
                     "SELECT string_agg(id || ' x' || n, ', ') FROM (SELECT data::json->>'id' AS id, count(*) AS n "
                     "FROM events WHERE channel LIKE 'documents:%' AND data::json->>'stage' = 'ready' GROUP BY 1 "
                     "HAVING count(*) <> 1) x");
  cr_expect_null(bad, "documents ingested to ready more than once: %s", bad ? bad : "");
  free(bad);
  cr_expect_eq(sql_long(conninfo,
                        "SELECT count(DISTINCT data::json->>'id') FROM events WHERE channel LIKE 'documents:%%' AND "
                        "data::json->>'status' = '%s'",
                        "ready"),
               NDOCS, "a document was never announced ready");
  cr_expect_eq(sql_long(conninfo, "SELECT count(*) FROM jobs WHERE kind = 'ingest' AND status <> '%s'", "done"), 0,
               "ingestion jobs left over");
  cr_expect_eq(sql_long(conninfo, "SELECT attempts FROM jobs WHERE id = '%s' AND status = 'done'", held), 2,
               "the killed worker's job was not taken over once");
  free(held);
  cr_expect_eq(sql_long(conninfo, "SELECT count(*) FROM embeddings WHERE %s", "true"), NDOCS, "a vector per chunk");

  /* The full-text index holds each document once: its marker word finds it alone. */
  for (int i = 0; i < NDOCS; i++) {
    char word[16];
    unique_word(i, word, sizeof word);
    json_t *q = json_pack("{s:s, s:i, s:s}", "query", word, "k", 10, "mode", "lexical");
    long st = 0;
    json_t *r = ts_json(&ms_srv, "POST", "/api/search", ms_token, q, &st);
    json_decref(q);
    cr_expect_eq(st, 200);
    json_t *res = json_object_get(r, "results");
    cr_expect_eq(json_array_size(res), 1, "%s: %zu hits", word, json_array_size(res));
    json_decref(r);
  }
  cr_expect_lt(took, 120.0, "ingestion took %.1f s", took);

  for (int k = 0; k < 3; k++)
    if (k != victim) cr_expect_eq(ts_server_stop(&w[k]), 0, "worker %d stops cleanly", k);
  ms_stop_all();
}
