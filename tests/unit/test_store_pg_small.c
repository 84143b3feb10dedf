/*
 * users, jobs and llm_calls on both backends (SQLite and PostgreSQL):
 * accounts and their sessions epoch, revoked tokens, settings documents,
 * the job queue with its leases across several processes, and the record
 * of model calls. PostgreSQL runs in a throwaway cluster started once for
 * this binary (tests/support/pg.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends.h"
#include "base/log.h"
#include "base/util.h"
#include "jobs/jobs.h"
#include "pg.h"
#include "store/db.h"
#include "store/events.h"
#include "store/jobs.h"
#include "store/llm_calls.h"
#include "store/store.h"
#include "store/users.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgsmall, .init = quiet);

/* ---- users ---- */

static void add_user(store_t *st, const char *name, const char *role, store_user_t *u) {
  memset(u, 0, sizeof *u);
  u->username = (char *)name;
  u->password_hash = "hash";
  snprintf(u->role, sizeof u->role, "%s", role);
  u->active = 1;
  cr_assert_eq(store_user_insert(st, u), STORE_OK, "insert %s", name);
}

BOTH_BACKENDS(pgsmall, users_accounts_and_roles) {
  store_user_t a, b;
  add_user(st, "Alice", "admin", &a);
  add_user(st, "bob", "researcher", &b);
  store_user_t dup = {.username = "ALICE", .password_hash = "x", .role = "viewer", .active = 1};
  cr_expect_eq(store_user_insert(st, &dup), STORE_CONFLICT, "names are unique whatever their case");
  cr_expect_eq(store_user_count(st), 2);
  cr_expect_eq(store_admin_count(st), 1);

  store_user_t *got = NULL;
  cr_assert_eq(store_user_get_by_name(st, "alice", &got), STORE_OK, "names match without case");
  cr_expect_str_eq(got->id, a.id);
  cr_expect_str_eq(got->username, "Alice");
  cr_expect_str_eq(got->role, "admin");
  cr_expect_eq(got->active, 1);
  cr_expect_eq(got->tokens_valid_after, 0);
  store_user_free(got);
  got = NULL;
  cr_expect_eq(store_user_get(st, "nosuchuser000000", &got), STORE_NOT_FOUND);
  cr_expect_null(got);
  cr_expect_eq(store_user_is_admin(st, a.id), 1);
  cr_expect_eq(store_user_is_admin(st, b.id), 0);

  json_t *list = store_user_list_json(st);
  cr_assert_eq(json_array_size(list), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "username")), "Alice");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "username")), "bob");
  cr_expect(json_is_true(json_object_get(json_array_get(list, 1), "active")));
  json_decref(list);

  /* Role and active change alone: the sessions epoch stays. */
  cr_expect_eq(store_user_update(st, b.id, "viewer", 0, NULL), STORE_OK);
  cr_assert_eq(store_user_get(st, b.id, &got), STORE_OK);
  cr_expect_str_eq(got->role, "viewer");
  cr_expect_eq(got->active, 0);
  cr_expect_str_eq(got->password_hash, "hash");
  cr_expect_eq(got->tokens_valid_after, 0);
  store_user_free(got);
  /* A new password ends older sessions; active -1 leaves it as it is. */
  int64_t before = util_now_ms();
  cr_expect_eq(store_user_update(st, b.id, NULL, -1, "newhash"), STORE_OK);
  cr_assert_eq(store_user_get(st, b.id, &got), STORE_OK);
  cr_expect_str_eq(got->password_hash, "newhash");
  cr_expect_str_eq(got->role, "viewer");
  cr_expect_eq(got->active, 0);
  cr_expect_geq(got->tokens_valid_after, before);
  store_user_free(got);
  cr_expect_eq(store_user_update(st, "nosuchuser000000", "admin", 1, NULL), STORE_NOT_FOUND);

  cr_expect_eq(store_user_delete(st, b.id), STORE_OK);
  cr_expect_eq(store_user_delete(st, b.id), STORE_NOT_FOUND);
  cr_expect_eq(store_user_count(st), 1);
}

BOTH_BACKENDS(pgsmall, users_revoked_tokens_and_settings) {
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 0);
  cr_expect_eq(store_token_revoke(st, "jti-1", 1000), STORE_OK);
  cr_expect_eq(store_token_revoke(st, "jti-1", 1000), STORE_OK, "revoking twice is fine");
  cr_expect_eq(store_token_revoke(st, "jti-2", 5000), STORE_OK);
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 1);
  cr_expect_eq(store_token_purge(st, 2000), STORE_OK);
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 0, "an expired token's revocation is dropped");
  cr_expect_eq(store_token_is_revoked(st, "jti-2"), 1);

  store_user_t a, b;
  add_user(st, "carol", "researcher", &a);
  add_user(st, "dave", "researcher", &b);
  json_t *v = NULL;
  cr_expect_eq(store_setting_get(st, a.id, "models", &v), STORE_NOT_FOUND);
  json_t *doc = json_pack("{s:s, s:i}", "chat", "gpt-x", "n", 3);
  cr_expect_eq(store_setting_put(st, a.id, "models", doc), STORE_OK);
  json_decref(doc);
  doc = json_pack("{s:s}", "chat", "other");
  cr_expect_eq(store_setting_put(st, a.id, "models", doc), STORE_OK, "a second put replaces the first");
  json_decref(doc);
  cr_assert_eq(store_setting_get(st, a.id, "models", &v), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(v, "chat")), "other");
  cr_expect_null(json_object_get(v, "n"));
  json_decref(v);
  cr_expect_eq(store_setting_get(st, b.id, "models", &v), STORE_NOT_FOUND, "settings are per user");

  json_t *on = json_true();
  cr_expect_eq(store_server_setting_put(st, "registration", on), STORE_OK);
  json_decref(on);
  cr_assert_eq(store_server_setting_get(st, "registration", &v), STORE_OK);
  cr_expect(json_is_true(v));
  json_decref(v);
  cr_expect_eq(store_server_setting_get(st, "nothing", &v), STORE_NOT_FOUND);
  /* Deleting a user deletes their settings. */
  cr_expect_eq(store_user_delete(st, a.id), STORE_OK);
  cr_expect_eq(store_setting_get(st, a.id, "models", &v), STORE_NOT_FOUND);
}

/* ---- llm_calls ---- */

static void record_call(store_t *st, const char *user_id, const char *mission, const char *chat, const char *hash,
                        const char *response, const char *status, const char *source, int tokens, double cost,
                        const char *finish, char *id_out) {
  json_t *req = json_pack("{s:[], s:{}}", "messages", "options");
  if (finish) json_object_set_new(json_object_get(req, "options"), "finish_reason", json_string(finish));
  store_llm_call_t c = {.user_id = user_id,
                        .mission_id = mission,
                        .chat_id = chat,
                        .agent = "planner",
                        .role = "smart",
                        .provider = "openai",
                        .endpoint = "http://fake",
                        .model = "m1",
                        .request = req,
                        .response = response,
                        .prompt_tokens = tokens,
                        .completion_tokens = tokens / 2,
                        .cost_usd = cost,
                        .latency_ms = 12,
                        .status = status,
                        .source = source,
                        .request_hash = hash,
                        .attempts = 1};
  cr_assert_eq(store_llm_call_insert(st, &c), STORE_OK);
  cr_expect_gt(c.created_at, 0);
  if (id_out) memcpy(id_out, c.id, sizeof c.id);
  json_decref(req);
}

BOTH_BACKENDS(pgsmall, llm_calls_cache_lookup_lists_and_totals) {
  store_user_t u;
  add_user(st, "erin", "researcher", &u);
  char first[17], second[17], bad[17];
  record_call(st, u.id, "M1", NULL, "h1", "answer one", "ok", "live", 100, 0.5, "stop", first);
  record_call(st, u.id, "M1", NULL, "h2", NULL, "error", "live", 10, 0.0, NULL, bad);
  record_call(st, u.id, "M1", NULL, "h1", "answer two", "ok", "live", 200, 1.0, NULL, second);
  record_call(st, u.id, "M1", NULL, "h1", "answer one", "ok", "cache", 100, 0.5, NULL, NULL);
  record_call(st, u.id, NULL, "C1", "h3", "chat answer", "ok", "live", 5, 0.01, NULL, NULL);

  json_t *hit = NULL;
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 0, &hit), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), first);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "response")), "answer one");
  cr_expect_str_eq(json_string_value(json_object_get(hit, "finish_reason")), "stop");
  cr_expect_eq(json_integer_value(json_object_get(hit, "prompt_tokens")), 100);
  cr_expect_eq(json_real_value(json_object_get(hit, "cost_usd")), 0.5);
  json_decref(hit);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 1, &hit), STORE_OK, "the second occurrence in order");
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), second);
  cr_expect_null(json_string_value(json_object_get(hit, "finish_reason")), "no finish reason recorded");
  json_decref(hit);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", -1, &hit), STORE_OK, "the latest");
  cr_expect_str_neq(json_string_value(json_object_get(hit, "id")), first);
  json_decref(hit);
  cr_expect_eq(store_llm_call_find(st, "M1", "h1", 5, &hit), STORE_NOT_FOUND);
  cr_expect_eq(store_llm_call_find(st, "M1", "h2", 0, &hit), STORE_NOT_FOUND, "failed calls are not reused");
  cr_expect_eq(store_llm_call_find(st, "M2", "h1", 0, &hit), STORE_NOT_FOUND, "per mission");

  json_t *all = store_llm_calls_list_mission(st, "M1", 0, 0);
  cr_assert_eq(json_array_size(all), 4, "limit 0: every call");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "id")), first, "insertion order");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 1), "id")), bad);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 2), "id")), second);
  cr_expect(json_is_array(json_object_get(json_object_get(json_array_get(all, 0), "request"), "messages")));
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(all, 0), "latency_ms")), 12);
  json_decref(all);
  json_t *page = store_llm_calls_list_mission(st, "M1", 2, 1);
  cr_assert_eq(json_array_size(page), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 0), "id")), bad);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 1), "id")), second);
  json_decref(page);
  json_t *chat = store_llm_calls_list_chat(st, "C1", 10, 0);
  cr_assert_eq(json_array_size(chat), 1);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(chat, 0), "response")), "chat answer");
  json_decref(chat);

  store_llm_totals_t t;
  cr_assert_eq(store_llm_calls_totals(st, "M1", &t), STORE_OK);
  cr_expect_eq(t.calls, 3);
  cr_expect_eq(t.cached, 1);
  cr_expect_eq(t.failed, 1);
  cr_expect_eq(t.prompt_tokens, 310, "cached answers cost nothing");
  cr_expect_eq(t.completion_tokens, 155);
  cr_expect_eq(t.cost_usd, 1.5);
  cr_assert_eq(store_llm_calls_totals(st, "none", &t), STORE_OK);
  cr_expect_eq(t.calls, 0);

  /* An answer that failed validation leaves the cache. */
  cr_expect_eq(store_llm_call_set_status(st, first, "error"), STORE_OK);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 0, &hit), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), second);
  json_decref(hit);
  cr_expect_eq(store_llm_call_set_status(st, "nosuchcall000000", "error"), STORE_NOT_FOUND);

  cr_expect_eq(store_llm_calls_delete_mission(st, "M1"), STORE_OK);
  all = store_llm_calls_list_mission(st, "M1", 0, 0);
  cr_expect_eq(json_array_size(all), 0);
  json_decref(all);
  chat = store_llm_calls_list_chat(st, "C1", 0, 0);
  cr_expect_eq(json_array_size(chat), 1, "other records stay");
  json_decref(chat);
}

/* ---- jobs ---- */

BOTH_BACKENDS(pgsmall, jobs_queue_claim_finish_cancel) {
  char a[17], b[17], c[17];
  json_t *payload = json_pack("{s:s}", "path", "/x");
  cr_assert_eq(store_job_enqueue(st, "ingest", "doc1", "u1", payload, a), STORE_OK);
  json_decref(payload);
  util_sleep_ms(2);
  cr_assert_eq(store_job_enqueue(st, "ingest", "doc2", "u1", NULL, b), STORE_OK);
  util_sleep_ms(2);
  cr_assert_eq(store_job_enqueue(st, "mission", "m1", "u1", NULL, c), STORE_OK);
  cr_expect_eq(store_job_count_active(st, "ingest"), 2);
  cr_expect_eq(store_job_active_for(st, "ingest", "doc1"), 1);
  cr_expect_eq(store_job_queued_for(st, "ingest", "doc1"), 1);
  cr_expect_eq(store_job_active_for(st, "ingest", "nodoc"), 0);

  store_job_t *j = NULL;
  cr_assert_eq(store_job_claim(st, "ingest", &j), STORE_OK);
  cr_expect_str_eq(j->id, a, "oldest first");
  cr_expect_str_eq(j->kind, "ingest");
  cr_expect_str_eq(j->ref_id, "doc1");
  cr_expect_str_eq(j->user_id, "u1");
  cr_expect_str_eq(json_string_value(json_object_get(j->payload, "path")), "/x");
  cr_expect_eq(j->attempts, 1);
  cr_expect_eq(store_job_queued_for(st, "ingest", "doc1"), 0, "running, not queued");
  cr_expect_eq(store_job_active_for(st, "ingest", "doc1"), 1);
  cr_expect_eq(store_job_finish(st, j->id, "failed", "bad pdf"), STORE_OK);
  store_job_free(j);
  cr_expect_eq(store_job_active_for(st, "ingest", "doc1"), 0);

  cr_assert_eq(store_job_claim(st, "ingest", &j), STORE_OK);
  cr_expect_str_eq(j->id, b);
  cr_expect(json_is_object(j->payload) && json_object_size(j->payload) == 0);
  /* Requeued with a delay: not runnable before it. */
  cr_expect_eq(store_job_requeue(st, j->id, 60000), STORE_OK);
  store_job_free(j);
  j = NULL;
  cr_expect_eq(store_job_claim(st, "ingest", &j), STORE_NOT_FOUND);
  cr_expect_eq(store_job_queued_for(st, "ingest", "doc2"), 1);
  cr_expect_eq(store_job_cancel_ref(st, "ingest", "doc2"), 1);
  cr_expect_eq(store_job_count_active(st, "ingest"), 0);
  cr_expect_eq(store_job_finish(st, "nosuchjob0000000", "done", NULL), STORE_NOT_FOUND);

  cr_assert_eq(store_job_claim(st, "mission", &j), STORE_OK);
  cr_expect_str_eq(j->id, c);
  cr_expect_eq(store_job_finish(st, j->id, "done", NULL), STORE_OK);
  cr_expect_eq(store_job_finish(st, j->id, "done", NULL), STORE_NOT_FOUND, "a finished job is no longer held");
  store_job_free(j);
  cr_expect_eq(store_job_count_active(st, "mission"), 0);
}

/* ---- jobs across processes: leases ---- */

/* A second store on the same database: another process, as far as the job
 * table can tell (its own store_identity()). */
static store_t *second_store(store_t *st) {
  char err[512];
  const char *where = store_path(st);
  store_t *other = store_backend(st) == DB_PG ? store_open_postgres(where + strlen("postgresql "), err, sizeof err)
                                              : store_open_path(where, err, sizeof err);
  cr_assert_not_null(other, "second store: %s", err);
  cr_assert_str_neq(store_identity(other), store_identity(st));
  return other;
}

typedef struct {
  store_t *st;
  json_t *got; /* ids claimed, shared */
  pthread_mutex_t *lock;
  int errors;
} claimer_t;

static void *claim_all(void *arg) {
  claimer_t *cl = arg;
  for (;;) {
    store_job_t *j = NULL;
    int rc = store_job_claim(cl->st, "ingest", &j);
    if (rc == STORE_NOT_FOUND) break;
    if (rc != STORE_OK) {
      cl->errors++;
      break;
    }
    if (store_job_finish(cl->st, j->id, "done", NULL) != STORE_OK) cl->errors++;
    pthread_mutex_lock(cl->lock);
    json_array_append_new(cl->got, json_string(j->id));
    pthread_mutex_unlock(cl->lock);
    store_job_free(j);
  }
  return NULL;
}

BOTH_BACKENDS(pgsmall, jobs_two_processes_never_claim_the_same_job) {
  store_t *other = second_store(st);
  enum { NJOBS = 60, NTHREADS = 6 };
  json_t *queued = json_object();
  for (int i = 0; i < NJOBS; i++) {
    char id[17];
    cr_assert_eq(store_job_enqueue(i % 2 ? st : other, "ingest", "doc", NULL, NULL, id), STORE_OK, "enqueue %d", i);
    json_object_set_new(queued, id, json_true());
  }
  json_t *got = json_array();
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  claimer_t cl[NTHREADS];
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    cl[i] = (claimer_t){i % 2 ? st : other, got, &lock, 0};
    cr_assert_eq(pthread_create(&th[i], NULL, claim_all, &cl[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    cr_expect_eq(cl[i].errors, 0, "claimer %d: every claim and finish succeeded", i);
  }
  cr_expect_eq(json_array_size(got), NJOBS, "every job claimed once: %zu claims", json_array_size(got));
  json_t *seen = json_object();
  size_t i;
  json_t *v;
  json_array_foreach(got, i, v) {
    const char *id = json_string_value(v);
    cr_expect_null(json_object_get(seen, id), "job %s claimed twice", id);
    cr_expect_not_null(json_object_get(queued, id));
    json_object_set_new(seen, id, json_true());
  }
  cr_expect_eq(store_job_count_active(st, "ingest"), 0);
  json_decref(seen);
  json_decref(got);
  json_decref(queued);
  store_close(other);
}

BOTH_BACKENDS(pgsmall, jobs_expired_lease_is_taken_over_and_the_old_owner_loses_it) {
  store_t *b = second_store(st);
  char id[17];
  cr_assert_eq(store_job_enqueue(st, "mission", "m1", "u1", NULL, id), STORE_OK);
  store_job_t *ja = NULL, *jb = NULL;
  cr_assert_eq(store_job_claim_leased(st, "mission", 800, &ja), STORE_OK);
  cr_expect_eq(store_job_requeue_expired(b), 0, "a live lease stays");
  cr_expect_eq(store_job_claim(b, "mission", &jb), STORE_NOT_FOUND);
  util_sleep_ms(900); /* A stops heartbeating: it hung or died */
  cr_expect_eq(store_job_requeue_expired(b), 1, "the expired lease goes back to the queue");
  cr_assert_eq(store_job_claim(b, "mission", &jb), STORE_OK, "and another process takes the job over");
  cr_expect_str_eq(jb->id, id);
  cr_expect_eq(jb->attempts, 2);
  /* A comes back: it no longer owns the job and changes nothing. */
  cr_expect_eq(store_job_heartbeat(st, 60000), 0, "A's heartbeat does not extend B's lease");
  cr_expect_eq(store_job_finish(st, ja->id, "failed", "late"), STORE_NOT_FOUND);
  cr_expect_eq(store_job_requeue(st, ja->id, 0), STORE_NOT_FOUND);
  cr_expect_eq(store_job_active_for(b, "mission", "m1"), 1, "still running under B");
  cr_expect_eq(store_job_queued_for(b, "mission", "m1"), 0);
  cr_expect_eq(store_job_finish(b, jb->id, "done", NULL), STORE_OK);
  cr_expect_eq(store_job_active_for(st, "mission", "m1"), 0);
  store_job_free(ja);
  store_job_free(jb);
  store_close(b);
}

BOTH_BACKENDS(pgsmall, jobs_heartbeat_keeps_a_live_job) {
  store_t *b = second_store(st);
  cr_assert_eq(store_job_enqueue(st, "ingest", "d1", NULL, NULL, NULL), STORE_OK);
  cr_assert_eq(store_job_enqueue(st, "ingest", "d2", NULL, NULL, NULL), STORE_OK);
  store_job_t *j1 = NULL, *j2 = NULL;
  cr_assert_eq(store_job_claim_leased(st, "ingest", 1000, &j1), STORE_OK);
  cr_assert_eq(store_job_claim_leased(st, "ingest", 1000, &j2), STORE_OK);
  for (int i = 0; i < 8; i++) { /* 1.6 s: past the first lease */
    util_sleep_ms(200);
    cr_expect_eq(store_job_heartbeat(st, 1000), 2, "both running jobs extended");
    cr_expect_eq(store_job_heartbeat(b, 1000), 0, "B holds nothing");
    cr_expect_eq(store_job_requeue_expired(b), 0, "round %d: nothing expired", i);
  }
  store_job_t *jb = NULL;
  cr_expect_eq(store_job_claim(b, "ingest", &jb), STORE_NOT_FOUND);
  cr_expect_eq(store_job_finish(st, j1->id, "done", NULL), STORE_OK);
  cr_expect_eq(store_job_requeue(st, j2->id, 0), STORE_OK);
  cr_assert_eq(store_job_claim(b, "ingest", &jb), STORE_OK, "a job given back is anyone's");
  cr_expect_str_eq(jb->id, j2->id);
  cr_expect_eq(store_job_finish(b, jb->id, "done", NULL), STORE_OK);
  store_job_free(j1);
  store_job_free(j2);
  store_job_free(jb);
  store_close(b);
}

/* A process restarted: its previous run's running jobs resume at once,
 * without waiting for their lease; other live processes keep theirs. */
BOTH_BACKENDS(pgsmall, jobs_restart_resumes_the_previous_runs_jobs_at_once) {
  char host[64] = "";
  gethostname(host, sizeof host - 1);
  pid_t dead = fork();
  cr_assert_geq(dead, 0);
  if (dead == 0) _exit(0);
  waitpid(dead, NULL, 0);
  char owner_dead[160], owner_samepid[160], owner_live[160];
  snprintf(owner_dead, sizeof owner_dead, "%s:%ld:0123456789abcdef.1", host, (long)dead);
  snprintf(owner_samepid, sizeof owner_samepid, "%s:%ld:fedcba9876543210.1", host, (long)getpid());
  snprintf(owner_live, sizeof owner_live, "%s:%ld:0123456789abcdef.1", host, (long)getppid());
  const char *owners[] = {owner_dead, owner_samepid, owner_live, "otherhost:1:0123456789abcdef.1"};
  char ids[4][17];
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(store_job_enqueue(st, "mission", "m", NULL, NULL, ids[i]), STORE_OK);
    /* Running under a far lease, as its owner would have left it. */
    cr_assert_eq(db_run(st, "test", "UPDATE jobs SET status = 'running', owner = ?, lease_until = ? WHERE id = ?",
                        DB_ARGS(DB_TEXT(owners[i]), DB_INT(util_now_ms() + 3600000), DB_TEXT(ids[i])), NULL),
                 STORE_OK);
  }
  store_t *b = second_store(st); /* the restarted process */
  int n = store_job_requeue_running(b);
  if (store_backend(st) == DB_SQLITE) {
    cr_expect_eq(n, 4, "SQLite has one process: every running job was its previous run's");
  } else {
    cr_expect_eq(n, 2, "the dead pid's and the previous same-pid process's jobs, not the live ones");
    cr_expect_eq(store_job_count_active(b, "mission"), 4);
    int queued = 0;
    store_job_t *j = NULL;
    while (store_job_claim(b, "mission", &j) == STORE_OK) {
      cr_expect(strcmp(j->id, ids[0]) == 0 || strcmp(j->id, ids[1]) == 0, "claimed %s", j->id);
      queued++;
      store_job_free(j);
    }
    cr_expect_eq(queued, 2);
  }
  store_close(b);
}

/* ---- the job runner keeps its leases ---- */

static job_result_t slow_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen) {
  (void)ud;
  (void)jobs;
  (void)job;
  (void)err;
  (void)errlen;
  util_sleep_ms(3000);
  return JOB_DONE;
}

BOTH_BACKENDS(pgsmall, jobs_runner_renews_the_lease_of_a_long_job) {
  store_t *b = second_store(st);
  jobs_t *jobs = jobs_new(st);
  jobs_set_lease_ms(jobs, 900);
  cr_assert_eq(jobs_register(jobs, "slow", 1, slow_job, NULL), 0);
  cr_assert_eq(jobs_start(jobs), 0);
  cr_assert_eq(jobs_submit(jobs, "slow", "r1", NULL, NULL, NULL), 0);
  int64_t until = util_mono_ms() + 2700;
  int expired = 0;
  while (util_mono_ms() < until) {
    util_sleep_ms(50);
    expired += store_job_requeue_expired(b);
  }
  cr_expect_eq(expired, 0, "a job running three leases long keeps its lease");
  cr_expect_eq(jobs_wait_idle(jobs, "slow", 5000), 0, "and finishes as done");
  jobs_free(jobs);
  store_job_t *j = NULL;
  cr_expect_eq(store_job_claim(b, "slow", &j), STORE_NOT_FOUND, "ran once");
  store_close(b);
}

/* ---- jobs across processes: the announcement that wakes idle workers ---- */

typedef struct {
  pthread_mutex_t lock;
  char heard[64];
} heard_t;

static void on_job_announced(void *ud, const char *kind) {
  heard_t *h = ud;
  pthread_mutex_lock(&h->lock);
  if (kind) snprintf(h->heard, sizeof h->heard, "%s", kind);
  pthread_mutex_unlock(&h->lock);
}

BOTH_BACKENDS(pgsmall, jobs_queued_by_another_process_are_announced) {
  heard_t h = {.lock = PTHREAD_MUTEX_INITIALIZER};
  store_listener_t *l = store_listen(st, STORE_JOBS_NOTIFY, on_job_announced, &h);
  if (store_backend(st) != DB_PG) {
    cr_expect_null(l, "SQLite: one process wakes its own workers, nothing to listen to");
    return;
  }
  cr_assert_not_null(l);
  store_t *b = second_store(st);
  cr_assert_eq(store_job_enqueue(b, "embed", "doc1", NULL, NULL, NULL), STORE_OK);
  int64_t until = util_mono_ms() + 5000;
  int got = 0;
  while (!got && util_mono_ms() < until) {
    util_sleep_ms(20);
    pthread_mutex_lock(&h.lock);
    got = !strcmp(h.heard, "embed");
    pthread_mutex_unlock(&h.lock);
  }
  cr_expect(got, "the listener heard the other process queue an embed job");
  store_unlisten(l);
  store_close(b);
}
