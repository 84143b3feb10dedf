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

#include "base/util.h"
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

const char *const RAG_FILTER_FIELDS[] = {"group_id", "status", "q",         "author",  "venue",
                                         "type",     "language", "year_from", "year_to", NULL};

void rag_filter_free(rag_filter_t *f) {
  if (!f) return;
  for (size_t i = 0; i < sizeof f->own / sizeof f->own[0]; i++) free(f->own[i]);
  memset(f, 0, sizeof *f);
}

/* The MIME type of a --format word ("pdf", "md", "markdown", ...), NULL when none. */
static const char *type_mime(const char *type) {
  rag_type_t t = rag_type_parse(type);
  return t == RAG_TYPE_UNKNOWN ? NULL : rag_type_mime(t);
}

/* A year bound of obj: 0 none, else 1000..2100; -1 malformed. */
static int year_of(json_t *v, int *out) {
  long long y = 0;
  *out = 0;
  if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v))) return 0;
  if (json_is_integer(v))
    y = json_integer_value(v);
  else if (!json_is_string(v) || util_parse_int(json_string_value(v), 1000, 2100, &y) != 0)
    return -1;
  if (y < 1000 || y > 2100) return -1;
  *out = (int)y;
  return 0;
}

#define REFUSE(fl, ...)                         \
  do {                                          \
    snprintf(field, fieldlen, "%s", fl);        \
    snprintf(err, errlen, __VA_ARGS__);         \
    rag_filter_free(f);                         \
    return -1;                                  \
  } while (0)

int rag_filter_from_json(json_t *obj, rag_filter_t *f, char *field, size_t fieldlen, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  const char **dst[] = {&f->f.group_id, &f->f.status, &f->f.q, &f->f.author, &f->f.venue, NULL, &f->f.language};
  for (int i = 0; i < 7; i++) {
    json_t *v = json_object_get(obj, RAG_FILTER_FIELDS[i]);
    if (!v || json_is_null(v)) continue;
    if (!json_is_string(v) || json_string_length(v) > 500)
      REFUSE(RAG_FILTER_FIELDS[i], "%s must be a string of at most 500 bytes", RAG_FILTER_FIELDS[i]);
    if (!json_string_length(v)) continue;
    f->own[i] = util_strdup(json_string_value(v));
    if (dst[i]) *dst[i] = f->own[i];
  }
  if (year_of(json_object_get(obj, "year_from"), &f->f.year_from) != 0)
    REFUSE("year_from", "year_from must be a year 1000..2100");
  if (year_of(json_object_get(obj, "year_to"), &f->f.year_to) != 0)
    REFUSE("year_to", "year_to must be a year 1000..2100");
  if (f->f.year_from && f->f.year_to && f->f.year_from > f->f.year_to)
    REFUSE("year_from", "year_from must not be after year_to");
  const char *st = f->f.status;
  if (st && strcmp(st, "queued") && strcmp(st, "processing") && strcmp(st, "ready") && strcmp(st, "failed"))
    REFUSE("status", "status must be queued, processing, ready or failed");
  if (f->own[5] && !(f->f.mime = type_mime(f->own[5]))) REFUSE("type", "type must be pdf, docx, html, md or txt");
  for (const char *p = f->f.language; p && *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
      REFUSE("language", "language must be a language tag such as en or pt-BR");
  return 0;
}

int rag_document_reembed(rag_t *rag, const char *user_id, const char *doc_id) {
  store_doc_t *d = NULL;
  if (store_doc_get(rag->store, user_id, doc_id, &d) != STORE_OK) return RAG_NOT_FOUND;
  int ready = !strcmp(d->status, "ready");
  store_doc_free(d);
  if (!ready) return RAG_WRONG_STATE; /* its ingestion embeds it */
  if (store_embeddings_drop_doc(rag->store, doc_id) != STORE_OK) return RAG_ERROR;
  rag_vectors_forget(rag->vectors, user_id);
  if (store_job_active_for(rag->store, "embed", doc_id) == 1) return RAG_OK;
  return rag_queue(rag, "embed", doc_id, user_id);
}

int rag_document_cancel(rag_t *rag, const char *user_id, const char *doc_id) {
  store_doc_t *d = NULL;
  if (store_doc_get(rag->store, user_id, doc_id, &d) != STORE_OK) return RAG_NOT_FOUND;
  int queued = !strcmp(d->status, "queued");
  store_doc_free(d);
  if (!queued || store_job_cancel_ref(rag->store, "ingest", doc_id) <= 0)
    return RAG_WRONG_STATE; /* already started or done */
  if (rag_mark_failed(rag, user_id, doc_id, "processing cancelled by the user (reprocess to start it again)") !=
      STORE_OK)
    return RAG_ERROR;
  return RAG_OK;
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
      if (rc == RAG_OK)
        done++;
      else if (rc == RAG_NOT_FOUND || rc == RAG_WRONG_STATE)
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
