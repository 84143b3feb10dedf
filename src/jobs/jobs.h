/*
 * jobs.h - worker threads that run durable jobs from the store's job table.
 *
 * Each job kind ("ingest", "mission", ...) is registered with a handler and
 * its own number of worker threads. A worker claims the oldest queued job of
 * its kind, runs the handler, and records the outcome the handler returns.
 * Jobs survive restarts and dead processes: a claimed job is leased to this
 * process (store/jobs.h), a keeper thread extends the leases every lease / 3
 * and re-queues jobs whose lease expired (any process's); at start, jobs left
 * running by this process's previous run are queued again at once. Handlers
 * must be able to resume (they read their committed state from the store and
 * continue from there).
 *
 * jobs_wake() after enqueueing makes a worker look at once; otherwise workers
 * poll every second. jobs_stop() asks handlers to stop (jobs_should_stop())
 * and joins the threads; a job interrupted that way stays queued for the next
 * start. Thread-safe.
 */
#ifndef MAESTRO_JOBS_H
#define MAESTRO_JOBS_H

#include "store/jobs.h"
#include "store/store.h"

typedef struct jobs jobs_t;

typedef enum {
  JOB_DONE = 0,     /* finished; recorded as done */
  JOB_FAILED = 1,   /* finished with an error (message in err); recorded as failed */
  JOB_REQUEUE = 2,  /* not finished (stopping, paused, or retry later); stays queued */
  JOB_CANCELLED = 3 /* given up on purpose */
} job_result_t;

typedef job_result_t (*job_handler_fn)(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen);

jobs_t *jobs_new(store_t *st);
/* Registers a kind before jobs_start(). */
int jobs_register(jobs_t *jobs, const char *kind, int nworkers, job_handler_fn fn, void *ud);
/* Lease of the jobs this runner claims (default STORE_JOB_LEASE_MS); before jobs_start(). */
void jobs_set_lease_ms(jobs_t *jobs, int64_t lease_ms);
/* Requeues jobs left running by a previous process, then starts the workers and the lease keeper. */
int jobs_start(jobs_t *jobs);
/* Stops and joins the workers, then frees; accepts NULL. */
void jobs_free(jobs_t *jobs);
/* Enqueues and wakes a worker. id_out (>= 17 bytes) may be NULL. */
int jobs_submit(jobs_t *jobs, const char *kind, const char *ref_id, const char *user_id, json_t *payload,
                char *id_out);
void jobs_wake(jobs_t *jobs);
/* True once jobs_free() has begun: long handlers check it between steps. */
int jobs_should_stop(jobs_t *jobs);
/* Waits until no job of `kind` is queued or running, or timeout_ms passes; 0 when idle. */
int jobs_wait_idle(jobs_t *jobs, const char *kind, int timeout_ms);
store_t *jobs_store(jobs_t *jobs);

#endif
