/*
 * store/jobs.h - the durable job table (ingestion, missions, ...).
 * A job is claimed atomically (queued -> running); after a crash, jobs left
 * running are put back to queued by store_job_requeue_running() at start.
 * Thread-safe.
 */
#ifndef MAESTRO_STORE_JOBS_H
#define MAESTRO_STORE_JOBS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

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
/* Claims the oldest runnable queued job of `kind`: STORE_OK with *out, or STORE_NOT_FOUND. */
int store_job_claim(store_t *st, const char *kind, store_job_t **out);
/* Marks a job done / failed (error message kept) / cancelled. */
int store_job_finish(store_t *st, const char *id, const char *status, const char *error);
/* Puts a job back in the queue to run after delay_ms (retry, or paused work). */
int store_job_requeue(store_t *st, const char *id, int64_t delay_ms);
/* At start: every job left 'running' by a previous process goes back to 'queued'. Returns how many. */
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
