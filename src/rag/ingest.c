/*
 * ingest.c - one document from file to searchable chunks; the "ingest" job.
 *
 * Steps: begin (status 'processing', leftovers of an interrupted run
 * deleted) -> parse -> chunk -> store chunks + FTS (batched transactions) ->
 * embeddings (network calls outside any transaction, batches of 32) ->
 * mark ready (one transaction, with the extracted text). Until the last step
 * the document is invisible to searches. A job interrupted by shutdown stays
 * queued and starts the document over next time; a crash leaves the job
 * 'running', which the job system requeues at the next start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "rag/chunk.h"
#include "rag/rag_internal.h"
#include "store/documents.h"

#define EMBED_BATCH 32

int rag_index_parsed(rag_t *rag, const char *doc_id, const char *user_id, const char *title, const rag_doc_t *doc,
                     int chunk_size, int chunk_overlap, char *err, size_t errlen) {
  rag_chunk_t *cv = NULL;
  size_t n = 0;
  if (rag_chunk_check(chunk_size, chunk_overlap, err, errlen) != 0) return -1;
  if (rag_chunk_doc(doc, chunk_size, chunk_overlap, &cv, &n) != 0) {
    snprintf(err, errlen, "cannot chunk the document");
    return -1;
  }
  store_chunk_t *sc = calloc(n ? n : 1, sizeof *sc);
  if (!sc) abort();
  for (size_t i = 0; i < n; i++) {
    sc[i].seq = (int)i;
    sc[i].page = cv[i].page;
    sc[i].char_start = cv[i].char_start;
    sc[i].char_end = cv[i].char_end;
    sc[i].heading = (char *)cv[i].heading;
    sc[i].body = util_strndup(doc->text.data + cv[i].byte_start, cv[i].byte_end - cv[i].byte_start);
  }
  int rc = store_chunks_add(rag->store, doc_id, user_id, title, sc, n);
  for (size_t i = 0; i < n; i++) free(sc[i].body);
  free(sc);
  free(cv);
  if (rc != STORE_OK) {
    snprintf(err, errlen,
             rc == STORE_NOT_FOUND ? "document was deleted or reset during indexing" : "cannot store the chunks");
    return -1;
  }
  return (int)n;
}

/* Embeds the chunks of doc lacking a vector for the user's model. 0 done (or
 * nothing to do), 1 interrupted, -1 failed with err. */
static int embed_document(rag_t *rag, const char *doc_id, const char *user_id, rag_progress_fn progress, void *ud,
                          char *err, size_t errlen) {
  char model[256];
  if (rag_embedding_model(rag, user_id, model, sizeof model) != 0) return 0; /* lexical only */
  int64_t *ids = NULL;
  char **bodies = NULL;
  size_t n = 0;
  if (store_embeddings_missing(rag->store, doc_id, model, &ids, &bodies, &n) != STORE_OK) {
    snprintf(err, errlen, "cannot read chunks to embed");
    return -1;
  }
  int ret = 0;
  for (size_t at = 0; at < n; at += EMBED_BATCH) {
    if (rag->jobs && jobs_should_stop(rag->jobs)) {
      ret = 1;
      break;
    }
    size_t cnt = n - at < EMBED_BATCH ? n - at : EMBED_BATCH;
    float *vecs = NULL;
    int dim = 0;
    int rc = llm_embed(rag->llm, user_id, (const char *const *)(bodies + at), cnt, &vecs, &dim, NULL, err, errlen);
    if (rc == LLM_ERR_NOT_CONFIGURED) break;
    if (rc != LLM_OK || dim <= 0) {
      if (!err[0]) snprintf(err, errlen, "embedding failed");
      free(vecs);
      ret = -1;
      break;
    }
    if (store_embeddings_put(rag->store, model, ids + at, vecs, cnt, dim) != STORE_OK) {
      snprintf(err, errlen, "cannot store embeddings");
      free(vecs);
      ret = -1;
      break;
    }
    free(vecs);
    if (progress) progress(ud, doc_id, "embedding", (double)(at + cnt) / (double)n);
    rag_publish(rag, user_id, doc_id, "processing", "embedding", 0.6 + 0.35 * (double)(at + cnt) / (double)n, NULL,
                NULL);
  }
  for (size_t i = 0; i < n; i++) free(bodies[i]);
  free(bodies);
  free(ids);
  return ret;
}

static int fail(rag_t *rag, const store_doc_t *d, const char *reason, rag_progress_fn progress, void *ud) {
  log_info("rag", "document %s failed: %s", d->id, reason);
  if (rag_mark_failed(rag, d->user_id, d->id, reason) != STORE_OK) return -1;
  if (progress) progress(ud, d->id, "failed", 1.0);
  return 0;
}

int rag_ingest_document(rag_t *rag, const char *doc_id, rag_progress_fn progress, void *ud, char *err, size_t errlen) {
  err[0] = '\0';
  store_doc_t *d = NULL;
  int rc = store_doc_get(rag->store, NULL, doc_id, &d);
  if (rc == STORE_NOT_FOUND) return 0; /* deleted meanwhile */
  if (rc != STORE_OK) {
    snprintf(err, errlen, "cannot read document %s", doc_id);
    return -1;
  }
  int ret = -1;
  rag_doc_t doc;
  rag_doc_init(&doc);
  char *data = NULL;
  int64_t t0 = util_mono_ms();
  if (store_doc_begin_processing(rag->store, d->id) != STORE_OK) {
    snprintf(err, errlen, "cannot start processing %s", doc_id);
    goto out;
  }
  rag_vectors_forget(rag->vectors, d->user_id);
  if (progress) progress(ud, d->id, "parsing", 0.0);
  rag_publish(rag, d->user_id, d->id, "processing", "parsing", 0.05, NULL,
              json_pack("{s:s}", "filename", d->filename ? d->filename : ""));
  size_t len = 0;
  data = util_read_file(d->stored_path, &len);
  if (!data) {
    ret = fail(rag, d, "the stored file is missing or unreadable", progress, ud);
    goto out;
  }
  char perr[512] = "";
  rag_type_t type;
  if (rag_parse(data, len, d->filename, &type, &doc, perr, sizeof perr) != 0) {
    ret = fail(rag, d, perr, progress, ud);
    goto out;
  }
  free(data);
  data = NULL;
  if (rag->jobs && jobs_should_stop(rag->jobs)) {
    ret = 1;
    goto out;
  }
  const char *title = d->bib.title ? d->bib.title : doc.bib.title ? doc.bib.title : d->filename;
  if (progress) progress(ud, d->id, "indexing", 0.3);
  rag_publish(rag, d->user_id, d->id, "processing", "indexing", 0.3, NULL, json_pack("{s:i}", "pages", doc.npages));
  int nchunks =
      rag_index_parsed(rag, d->id, d->user_id, title, &doc, d->chunk_size, d->chunk_overlap, perr, sizeof perr);
  if (nchunks < 0) {
    store_doc_t *chk = NULL;
    int gone = store_doc_get(rag->store, NULL, doc_id, &chk) == STORE_NOT_FOUND;
    store_doc_free(chk);
    if (gone) {
      ret = 0;
    } else {
      ret = fail(rag, d, perr, progress, ud);
    }
    goto out;
  }
  json_t *meta = json_object();
  json_object_set_new(meta, "format", json_string(rag_type_name(type)));
  char eerr[512] = "";
  int er = embed_document(rag, d->id, d->user_id, progress, ud, eerr, sizeof eerr);
  if (er == 1) {
    json_decref(meta);
    ret = 1;
    goto out;
  }
  if (er < 0) {
    /* still searchable lexically; the reason is kept for the user */
    log_warn("rag", "document %s: embeddings failed: %s", d->id, eerr);
    json_object_set_new(meta, "embedding_error", json_string(eerr));
  }
  int64_t chars = (int64_t)rag_doc_chars(&doc);
  store_doc_meta_t fields = {.title = doc.bib.title,
                             .authors = doc.bib.authors,
                             .year = doc.bib.year,
                             .venue = doc.bib.venue,
                             .doi = doc.bib.doi,
                             .arxiv_id = doc.bib.arxiv_id,
                             .abstract = doc.bib.abstract,
                             .keywords = doc.bib.keywords,
                             .language = doc.bib.language};
  /* The DOI is stored as found; the ready hook completes the record from
   * Crossref (when the owner's scholarly search has it) and a model. */
  /* ready and its announcement commit together: a worker killed in between
   * leaves neither, and a reader never sees a ready document unannounced */
  char channel[64];
  rag_channel(d->user_id, channel);
  json_t *ann = rag_event_data(d->id, "ready", "ready", 1.0, NULL,
                               json_pack("{s:i, s:i, s:I, s:I}", "chunks", nchunks, "pages", doc.npages, "chars",
                                         (json_int_t)chars, "ms", (json_int_t)(util_mono_ms() - t0)));
  store_event_t ready = {channel, "document", ann, 0, 0};
  rc = store_doc_mark_ready_meta(rag->store, d->id, doc.text.data, doc.npages, nchunks, chars, &fields,
                                 doc.meta_sources, meta, rag->events ? &ready : NULL);
  json_decref(meta);
  if (rc == STORE_NOT_FOUND) { /* deleted or reset meanwhile */
    json_decref(ann);
    ret = 0;
    goto out;
  }
  if (rc != STORE_OK) {
    json_decref(ann);
    snprintf(err, errlen, "cannot mark %s ready", doc_id);
    goto out;
  }
  rag_vectors_forget(rag->vectors, d->user_id);
  if (progress) progress(ud, d->id, "ready", 1.0);
  rag_announce(rag, &ready);
  json_decref(ann);
  log_info("rag", "document %s ready: %d chunks, %d pages, %lld ms", d->id, nchunks, doc.npages,
           (long long)(util_mono_ms() - t0));
  if (rag->ready_hook && rag->ready_hook(rag->ready_ud, d->user_id, d->id) > 0) {
    /* the completed record rides along, so an open library shows it */
    store_doc_t *now = NULL;
    json_t *rec = NULL;
    if (store_doc_get(rag->store, d->user_id, d->id, &now) == STORE_OK) rec = store_doc_json(rag->store, now);
    store_doc_free(now);
    if (rec) json_object_del(rec, "status");
    rag_publish(rag, d->user_id, d->id, "ready", "metadata", 1.0, NULL, rec);
  }
  ret = 0;
out:
  free(data);
  rag_doc_free(&doc);
  store_doc_free(d);
  return ret;
}

job_result_t rag_ingest_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen) {
  (void)jobs;
  rag_t *rag = ud;
  if (!job->ref_id) {
    snprintf(err, errlen, "ingest job without a document id");
    return JOB_FAILED;
  }
  if (job->attempts > 1) {
    /* A process that died between marking the document ready and finishing
     * this job left it running; a reprocess sets 'queued' before it queues a
     * job, so 'ready' here means the earlier attempt completed it: starting
     * over would hide it from searches and pay its embeddings again. */
    store_doc_t *d = NULL;
    int done = store_doc_get(rag->store, NULL, job->ref_id, &d) == STORE_OK && !strcmp(d->status, "ready");
    store_doc_free(d);
    if (done) {
      log_info("rag", "document %s: already ingested by attempt %d", job->ref_id, job->attempts - 1);
      return JOB_DONE;
    }
  }
  int rc = rag_ingest_document(rag, job->ref_id, NULL, NULL, err, errlen);
  if (rc == 1) return JOB_REQUEUE;
  if (rc < 0) {
    /* a store error: the document must not stay 'processing' forever */
    if (job->attempts >= 3) {
      rag_mark_failed(rag, job->user_id, job->ref_id, err[0] ? err : "ingestion failed");
      return JOB_FAILED;
    }
    return JOB_REQUEUE;
  }
  return JOB_DONE;
}

job_result_t rag_embed_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen) {
  (void)jobs;
  rag_t *rag = ud;
  if (!job->ref_id || !job->user_id) {
    snprintf(err, errlen, "embed job without a document or user");
    return JOB_FAILED;
  }
  store_doc_t *d = NULL;
  if (store_doc_get(rag->store, job->user_id, job->ref_id, &d) != STORE_OK) return JOB_DONE; /* deleted */
  int ready = !strcmp(d->status, "ready");
  store_doc_free(d);
  if (!ready) return JOB_DONE; /* an ingestion will embed it */
  int rc = embed_document(rag, job->ref_id, job->user_id, NULL, NULL, err, errlen);
  if (rc == 1) return JOB_REQUEUE;
  if (rc < 0) return job->attempts >= 3 ? JOB_FAILED : JOB_REQUEUE;
  store_doc_touch(rag->store, job->ref_id);
  rag_vectors_forget(rag->vectors, job->user_id);
  return JOB_DONE;
}
