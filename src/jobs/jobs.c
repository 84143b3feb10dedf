/*
 * jobs.c - worker threads over the durable job table.
 *
 * One condition variable wakes idle workers when a job is submitted; on
 * PostgreSQL a listener wakes them when another process queues one
 * (STORE_JOBS_NOTIFY); a one-second timed wait covers jobs requeued with a
 * delay and a listener that is reconnecting.
 *
 * Leases (store/jobs.h): a job is claimed for lease_ms; the keeper thread
 * extends the leases of this process's running jobs every lease_ms / 3 and,
 * in the same round, re-queues the jobs of any process whose lease passed,
 * so a job of a process that died is taken over within about a lease.
 */
#include "jobs/jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "store/events.h"

#define MAX_KINDS 8
#define MAX_WORKERS 64

typedef struct {
  char kind[32];
  int nworkers;
  job_handler_fn fn;
  void *ud;
} kind_t;

typedef struct {
  jobs_t *jobs;
  kind_t *kind;
  pthread_t thread;
} worker_t;

struct jobs {
  store_t *st;
  kind_t kinds[MAX_KINDS];
  int nkinds;
  worker_t workers[MAX_WORKERS];
  int nworkers;
  atomic_int stopping;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  unsigned long wake_gen;
  int64_t lease_ms;
  pthread_t keeper;
  int keeper_started;
  atomic_int keeper_stop;
  store_listener_t *listener; /* PostgreSQL: jobs queued by other processes */
};

jobs_t *jobs_new(store_t *st) {
  jobs_t *j = calloc(1, sizeof *j);
  if (!j) abort();
  j->st = st;
  j->lease_ms = STORE_JOB_LEASE_MS;
  pthread_mutex_init(&j->lock, NULL);
  util_cond_init_monotonic(&j->cond);
  return j;
}

store_t *jobs_store(jobs_t *jobs) { return jobs->st; }

int jobs_register(jobs_t *jobs, const char *kind, int nworkers, job_handler_fn fn, void *ud) {
  if (jobs->nkinds >= MAX_KINDS || strlen(kind) >= sizeof jobs->kinds[0].kind) return -1;
  kind_t *k = &jobs->kinds[jobs->nkinds++];
  snprintf(k->kind, sizeof k->kind, "%s", kind);
  k->nworkers = nworkers < 1 ? 1 : nworkers;
  k->fn = fn;
  k->ud = ud;
  return 0;
}

void jobs_set_lease_ms(jobs_t *jobs, int64_t lease_ms) {
  if (lease_ms >= 300) jobs->lease_ms = lease_ms;
}

int jobs_should_stop(jobs_t *jobs) { return atomic_load(&jobs->stopping); }

void jobs_wake(jobs_t *jobs) {
  pthread_mutex_lock(&jobs->lock);
  jobs->wake_gen++;
  pthread_cond_broadcast(&jobs->cond);
  pthread_mutex_unlock(&jobs->lock);
}

static void wait_for_work(jobs_t *jobs, unsigned long seen) {
  struct timespec ts = util_mono_deadline(1000);
  pthread_mutex_lock(&jobs->lock);
  while (!atomic_load(&jobs->stopping) && jobs->wake_gen == seen) {
    if (pthread_cond_timedwait(&jobs->cond, &jobs->lock, &ts) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&jobs->lock);
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  jobs_t *jobs = w->jobs;
  while (!atomic_load(&jobs->stopping)) {
    pthread_mutex_lock(&jobs->lock);
    unsigned long seen = jobs->wake_gen;
    pthread_mutex_unlock(&jobs->lock);
    store_job_t *job = NULL;
    int rc = store_job_claim_leased(jobs->st, w->kind->kind, jobs->lease_ms, &job);
    if (rc != STORE_OK) {
      wait_for_work(jobs, seen);
      continue;
    }
    char err[1024] = "";
    log_debug("jobs", "running %s job %s (%s)", job->kind, job->id, job->ref_id ? job->ref_id : "-");
    job_result_t res = w->kind->fn(w->kind->ud, jobs, job, err, sizeof err);
    int out = STORE_OK;
    switch (res) {
      case JOB_DONE:
        out = store_job_finish(jobs->st, job->id, "done", NULL);
        break;
      case JOB_FAILED:
        log_warn("jobs", "%s job %s failed: %s", job->kind, job->id, err);
        out = store_job_finish(jobs->st, job->id, "failed", err);
        break;
      case JOB_CANCELLED:
        out = store_job_finish(jobs->st, job->id, "cancelled", err[0] ? err : NULL);
        break;
      case JOB_REQUEUE:
        out = store_job_requeue(jobs->st, job->id, atomic_load(&jobs->stopping) ? 0 : 1000);
        break;
    }
    if (out == STORE_NOT_FOUND)
      log_warn("jobs", "%s job %s: lease lost (another process took it over); this outcome is dropped", job->kind,
               job->id);
    store_job_free(job);
  }
  return NULL;
}

/* Extends this process's leases and re-queues expired ones, every lease / 3. */
static void *keeper_main(void *arg) {
  jobs_t *jobs = arg;
  int64_t next = util_mono_ms() + jobs->lease_ms / 3;
  while (!atomic_load(&jobs->keeper_stop)) {
    if (util_mono_ms() < next) {
      util_sleep_ms(50);
      continue;
    }
    next = util_mono_ms() + jobs->lease_ms / 3;
    if (store_job_heartbeat(jobs->st, jobs->lease_ms) < 0) log_warn("jobs", "could not extend job leases");
    int n = store_job_requeue_expired(jobs->st);
    if (n > 0) {
      log_info("jobs", "requeued %d job(s) whose lease expired", n);
      jobs_wake(jobs);
    }
  }
  return NULL;
}

static void on_queued_elsewhere(void *ud, const char *kind) {
  (void)kind; /* NULL after a reconnection: look anyway */
  jobs_wake(ud);
}

int jobs_start(jobs_t *jobs) {
  int n = store_job_requeue_running(jobs->st);
  if (n > 0) log_info("jobs", "requeued %d job(s) interrupted by the last shutdown or whose lease expired", n);
  log_info("jobs", "job worker %s (lease %lld ms)", store_identity(jobs->st), (long long)jobs->lease_ms);
  if (pthread_create(&jobs->keeper, NULL, keeper_main, jobs) != 0) return -1;
  jobs->keeper_started = 1;
  jobs->listener = store_listen(jobs->st, STORE_JOBS_NOTIFY, on_queued_elsewhere, jobs);
  for (int k = 0; k < jobs->nkinds; k++) {
    for (int i = 0; i < jobs->kinds[k].nworkers && jobs->nworkers < MAX_WORKERS; i++) {
      worker_t *w = &jobs->workers[jobs->nworkers];
      w->jobs = jobs;
      w->kind = &jobs->kinds[k];
      if (pthread_create(&w->thread, NULL, worker_main, w) != 0) return -1;
      jobs->nworkers++;
    }
  }
  return 0;
}

void jobs_free(jobs_t *jobs) {
  if (!jobs) return;
  store_unlisten(jobs->listener);
  atomic_store(&jobs->stopping, 1);
  jobs_wake(jobs);
  for (int i = 0; i < jobs->nworkers; i++) pthread_join(jobs->workers[i].thread, NULL);
  /* The keeper holds the leases until the workers have recorded their outcomes. */
  atomic_store(&jobs->keeper_stop, 1);
  if (jobs->keeper_started) pthread_join(jobs->keeper, NULL);
  pthread_mutex_destroy(&jobs->lock);
  pthread_cond_destroy(&jobs->cond);
  free(jobs);
}

int jobs_submit(jobs_t *jobs, const char *kind, const char *ref_id, const char *user_id, json_t *payload,
                char *id_out) {
  if (store_job_enqueue(jobs->st, kind, ref_id, user_id, payload, id_out) != STORE_OK) return -1;
  jobs_wake(jobs);
  return 0;
}

int jobs_wait_idle(jobs_t *jobs, const char *kind, int timeout_ms) {
  int64_t deadline = util_mono_ms() + timeout_ms;
  for (;;) {
    int n = store_job_count_active(jobs->st, kind);
    if (n == 0) return 0;
    if (util_mono_ms() >= deadline) return -1;
    util_sleep_ms(20);
  }
}
