/*
 * rag_internal.h - the rag_t context, shared by the files of src/rag/ only.
 */
#ifndef MAESTRO_RAG_INTERNAL_H
#define MAESTRO_RAG_INTERNAL_H

#include <pthread.h>

#include "events/events.h"
#include "jobs/jobs.h"
#include "rag/rag.h"
#include "rag/vectors.h"
#include "store/events.h"

struct llm;

struct rag {
  const config_t *cfg;
  store_t *store;
  events_t *events; /* may be NULL (benchmarks) */
  jobs_t *jobs;     /* may be NULL (CLI ingests inline) */
  struct llm *llm;  /* may be NULL: lexical only */
  char docs_dir[1024];
  rag_vectors_t *vectors;
  pthread_mutex_t lock;
  rag_rank_params_t rank;
  rag_ready_hook_fn ready_hook; /* may be NULL */
  void *ready_ud;
};

/* A "document" event's data: {id, status, stage?, progress, error?} and
 * the fields of extra (stolen, may be NULL). New reference. */
json_t *rag_event_data(const char *doc_id, const char *status, const char *stage, double progress, const char *error,
                       json_t *extra);
/* A user's document channel: "documents:USERID". */
void rag_channel(const char *user_id, char channel[64]);
/* Pushes an event a store write committed (seq set) to this process's
 * listeners; nothing when it was not committed (seq 0). */
void rag_announce(rag_t *rag, const store_event_t *ev);
/* Marks a document failed with the reason and announces it on the owner's
 * channel in the same transaction (store_doc_mark_failed). A store code. */
int rag_mark_failed(rag_t *rag, const char *user_id, const char *doc_id, const char *reason);
/* Publishes a "document" event on documents:USERID (no-op without events). */
void rag_publish(rag_t *rag, const char *user_id, const char *doc_id, const char *status, const char *stage,
                 double progress, const char *error, json_t *extra);

/* Queues a document job ("ingest" or "embed") on the job system, or in the
 * store when there is none (the CLI: the next server start runs it).
 * RAG_OK or RAG_ERROR. */
int rag_queue(rag_t *rag, const char *kind, const char *doc_id, const char *user_id);

/* Job handlers of kinds "ingest" and "embed" (vectors for a ready document
 * whose chunks lack them for the current model: a model change). */
job_result_t rag_ingest_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen);
job_result_t rag_embed_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen);

#endif
