/*
 * bulk.c - one action over many documents of a user (the library's bulk
 * actions: API POST /api/documents/bulk, `maestro documents delete|
 * reprocess|reembed`).
 *
 * The caller chooses the documents (a selection or "all matching a
 * filter", see store_doc_filter_ids) and has checked that they are the
 * user's; each document is checked again as it is handled, so a document
 * deleted meanwhile is skipped, never an error for the others. Progress is
 * published on the user's documents channel as "bulk" events
 * {action, done, total} every BULK_TICK documents and at the end, besides
 * each document's own "document" event (deleted, queued, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"
#include "rag/rag_internal.h"
#include "store/documents.h"
#include "store/jobs.h"

#define BULK_TICK 50

static const char *const NAMES[] = {"delete", "reprocess", "reembed", "cancel", "add_to_group", "remove_from_group"};

int rag_bulk_action_parse(const char *name) {
  for (int i = 0; name && i < (int)(sizeof NAMES / sizeof NAMES[0]); i++)
    if (!strcmp(name, NAMES[i])) return i;
  return -1;
}

const char *rag_bulk_action_name(rag_bulk_action_t a) {
  return (int)a >= 0 && (size_t)a < sizeof NAMES / sizeof NAMES[0] ? NAMES[a] : "unknown";
}

int rag_document_reembed(rag_t *rag, const char *user_id, const char *doc_id) {
  store_doc_t *d = NULL;
  if (store_doc_get(rag->store, user_id, doc_id, &d) != STORE_OK) return -2;
  int ready = !strcmp(d->status, "ready");
  store_doc_free(d);
  if (!ready) return -3; /* its ingestion embeds it */
  if (store_embeddings_drop_doc(rag->store, doc_id) != STORE_OK) return -1;
  rag_vectors_forget(rag->vectors, user_id);
  if (store_job_active_for(rag->store, "embed", doc_id) == 1) return 0;
  if (rag->jobs) return jobs_submit(rag->jobs, "embed", doc_id, user_id, NULL, NULL) == 0 ? 0 : -1;
  return store_job_enqueue(rag->store, "embed", doc_id, user_id, NULL, NULL) == STORE_OK ? 0 : -1;
}

int rag_document_cancel(rag_t *rag, const char *user_id, const char *doc_id) {
  store_doc_t *d = NULL;
  if (store_doc_get(rag->store, user_id, doc_id, &d) != STORE_OK) return -2;
  int queued = !strcmp(d->status, "queued");
  store_doc_free(d);
  if (!queued || store_job_cancel_ref(rag->store, "ingest", doc_id) <= 0) return -3; /* already started or done */
  if (store_doc_mark_failed(rag->store, doc_id, "processing cancelled by the user (reprocess to start it again)") !=
      STORE_OK)
    return -1;
  rag_publish(rag, user_id, doc_id, "failed", "failed", 1.0, "processing cancelled by the user", NULL);
  return 0;
}

static void publish_progress(rag_t *rag, const char *user_id, rag_bulk_action_t a, size_t done, size_t total) {
  if (!rag->events) return;
  char channel[64];
  snprintf(channel, sizeof channel, "documents:%s", user_id);
  json_t *d = json_pack("{s:s, s:I, s:I}", "action", rag_bulk_action_name(a), "done", (json_int_t)done, "total",
                        (json_int_t)total);
  events_publish(rag->events, channel, "bulk", d, NULL);
  json_decref(d);
}

json_t *rag_bulk(rag_t *rag, const char *user_id, rag_bulk_action_t a, const char *group_id, char (*ids)[17],
                 size_t n) {
  json_t *failed = json_array(), *skipped = json_array();
  size_t done = 0;
  if (a == RAG_BULK_GROUP_ADD || a == RAG_BULK_GROUP_REMOVE) {
    const char **p = calloc(n ? n : 1, sizeof *p);
    if (!p) abort();
    for (size_t i = 0; i < n; i++) p[i] = ids[i];
    int rc = a == RAG_BULK_GROUP_ADD ? store_group_add_docs(rag->store, user_id, group_id, p, n)
                                     : store_group_remove_docs(rag->store, user_id, group_id, p, n);
    free(p);
    if (rc == STORE_OK) done = n;
    else
      for (size_t i = 0; i < n; i++)
        json_array_append_new(failed, json_pack("{s:s, s:s}", "id", ids[i], "error", "cannot change the group"));
    if (rc == STORE_OK) rag_vectors_forget(rag->vectors, user_id);
  } else {
    for (size_t i = 0; i < n; i++) {
      int rc = a == RAG_BULK_DELETE      ? rag_document_delete(rag, user_id, ids[i])
               : a == RAG_BULK_REPROCESS ? rag_document_reprocess(rag, user_id, ids[i], 0, -1)
               : a == RAG_BULK_REEMBED   ? rag_document_reembed(rag, user_id, ids[i])
                                         : rag_document_cancel(rag, user_id, ids[i]);
      if (rc == 0)
        done++;
      else if (rc == -2 || rc == -3)
        json_array_append_new(skipped, json_string(ids[i])); /* gone meanwhile, or nothing to do */
      else
        json_array_append_new(failed, json_pack("{s:s, s:s}", "id", ids[i], "error", "store error"));
      if ((i + 1) % BULK_TICK == 0 && i + 1 < n) publish_progress(rag, user_id, a, i + 1, n);
    }
  }
  publish_progress(rag, user_id, a, n, n);
  return json_pack("{s:s, s:I, s:I, s:o, s:o}", "action", rag_bulk_action_name(a), "matched", (json_int_t)n, "done",
                   (json_int_t)done, "skipped", skipped, "failed", failed);
}
