/*
 * store/jobs.h - the durable job table (ingestion, missions, ...), shared by
 * every process on the database.
 *
 * A job is claimed atomically (queued -> running) by one store, which
 * becomes its owner (store_identity()) for a lease: the owner extends the
 * leases of all its running jobs with store_job_heartbeat() while it lives;
 * any process puts a running job whose lease has passed back in the queue
 * (store_job_requeue_expired()), where another process claims it and the
 * handler resumes from its last commit. Finish and requeue change a job only
 * while its caller still owns it, so a process that lost its lease (hung,
 * cut off) cannot overwrite the new owner's work.
 * On PostgreSQL, a job queued (enqueue, requeue without delay,
 * requeue_expired) is
 * announced on the notification channel STORE_JOBS_NOTIFY (payload: its
 * kind), so idle workers of every process wake at once (jobs/jobs.c listens
 * with store_listen, store/events.h) instead of at their next poll.
 * Thread-safe.
 */
#ifndef MAESTRO_STORE_JOBS_H
#define MAESTRO_STORE_JOBS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_JOBS_NOTIFY "maestro_jobs"

typedef struct {
  char id[17];
  char *kind;
  char *ref_id;  /* what the job works on (document id, mission id) */
  char *user_id;
  json_t *payload;
  int attempts;
} store_job_t;

void store_job_free(store_job_t *j);
/* Queues a job; writes its id into id_out (>= 17 bytes) when not NULL. payload may be NULL. */
int store_job_enqueue(store_t *st, const char *kind, const char *ref_id, const char *user_id, json_t *payload,
                      char *id_out);
/* Lease of store_job_claim() (the job runner takes JOB_LEASE_SECONDS). */
#define STORE_JOB_LEASE_MS 30000

/* Claims the oldest runnable queued job of `kind` for this store, leased for
 * lease_ms: STORE_OK with *out, or STORE_NOT_FOUND. */
int store_job_claim_leased(store_t *st, const char *kind, int64_t lease_ms, store_job_t **out);
int store_job_claim(store_t *st, const char *kind, store_job_t **out); /* lease STORE_JOB_LEASE_MS */
/* Marks a job this store holds done / failed (error message kept) /
 * cancelled. STORE_NOT_FOUND when it is not running under this store (its
 * lease expired and it was re-queued or taken by another process). */
int store_job_finish(store_t *st, const char *id, const char *status, const char *error);
/* Puts a job this store holds back in the queue to run after delay_ms
 * (retry, or paused work); STORE_NOT_FOUND as store_job_finish. */
int store_job_requeue(store_t *st, const char *id, int64_t delay_ms);
/* Extends to now + lease_ms the lease of every job running under this
 * store. Returns how many, or -1. */
int store_job_heartbeat(store_t *st, int64_t lease_ms);
/* Puts back in the queue every running job whose lease has passed, whoever
 * held it. Returns how many, or -1. */
int store_job_requeue_expired(store_t *st);
/* At a process's start: re-queues the expired leases, and the jobs whose
 * owner is known to be gone without waiting for their lease: on SQLite
 * (one process per database) every running job; on PostgreSQL those of a
 * process of this host whose pid is no longer alive, or that had our pid
 * (a restarted container). Returns how many, or -1. */
int store_job_requeue_running(store_t *st);
/* Cancels queued jobs of kind for ref_id. Returns how many. */
int store_job_cancel_ref(store_t *st, const char *kind, const char *ref_id);
/* 1 if a queued or running job of kind exists for ref_id. */
int store_job_active_for(store_t *st, const char *kind, const char *ref_id);
/* 1 if a queued (not yet running) job of kind exists for ref_id. */
int store_job_queued_for(store_t *st, const char *kind, const char *ref_id);

/* Number of queued or running jobs of kind. */
int store_job_count_active(store_t *st, const char *kind);

#endif
