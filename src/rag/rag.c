/* rag.c - the library context: adding, reprocessing and deleting documents; see rag.h. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "rag/rag_internal.h"
#include "store/documents.h"

rag_t *rag_new(const config_t *cfg, store_t *store, events_t *events, jobs_t *jobs, llm_t *llm, char *err,
               size_t errlen) {
  rag_parse_init();
  rag_t *rag = calloc(1, sizeof *rag);
  if (!rag) abort();
  rag->cfg = cfg;
  rag->store = store;
  rag->events = events;
  rag->jobs = jobs;
  rag->llm = llm;
  pthread_mutex_init(&rag->lock, NULL);
  rag->rank = (rag_rank_params_t){.k1 = 1.5, .b = 0.75, .w_title = 2.0, .w_heading = 1.5, .w_body = 1.0};
  const char *data = cfg ? config_get(cfg, "DATA_DIR") : "./data";
  snprintf(rag->docs_dir, sizeof rag->docs_dir, "%s/documents", data);
  if (util_mkdirs(rag->docs_dir, 0750) != 0) {
    snprintf(err, errlen, "cannot create %s: %s", rag->docs_dir, strerror(errno));
    rag_free(rag);
    return NULL;
  }
  rag->vectors = rag_vectors_new(rag->store);
  if (rag->jobs) {
    int workers = cfg ? (int)config_int(cfg, "INGEST_WORKERS") : 1;
    if (jobs_register(rag->jobs, "ingest", workers, rag_ingest_job, rag) != 0) {
      snprintf(err, errlen, "cannot register the ingest job kind");
      rag_free(rag);
      return NULL;
    }
    /* documents left queued/processing without a job (a crash between the
     * upload and the job insert, or an interrupted CLI ingest) */
    json_t *orphans = store_doc_orphans(rag->store);
    size_t i;
    json_t *o;
    json_array_foreach(orphans, i, o) {
      const char *id = json_string_value(json_object_get(o, "id"));
      const char *uid = json_string_value(json_object_get(o, "user_id"));
      if (store_job_enqueue(rag->store, "ingest", id, uid, NULL, NULL) == STORE_OK)
        log_info("rag", "requeued ingestion of document %s", id);
    }
    json_decref(orphans);
    if (jobs_register(rag->jobs, "embed", 1, rag_embed_job, rag) != 0) {
      snprintf(err, errlen, "cannot register the embed job kind");
      rag_free(rag);
      return NULL;
    }
    /* re-embedding after a change of the embedding model (environment setting) */
    const char *model = cfg ? config_get(cfg, "EMBEDDING_MODEL") : "";
    if (rag->llm && model[0]) {
      json_t *stale = store_embeddings_stale_docs(rag->store, model);
      json_array_foreach(stale, i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        if (store_job_active_for(rag->store, "embed", id) == 1) continue;
        store_job_enqueue(rag->store, "embed", id, json_string_value(json_object_get(o, "user_id")), NULL, NULL);
      }
      if (json_array_size(stale))
        log_info("rag", "%zu documents need vectors for embedding model %s", json_array_size(stale), model);
      json_decref(stale);
    }
  }
  return rag;
}

void rag_free(rag_t *rag) {
  if (!rag) return;
  rag_vectors_free(rag->vectors);
  pthread_mutex_destroy(&rag->lock);
  free(rag);
}

void rag_set_rank_params(rag_t *rag, const rag_rank_params_t *p) {
  pthread_mutex_lock(&rag->lock);
  rag->rank = *p;
  pthread_mutex_unlock(&rag->lock);
}

void rag_get_rank_params(rag_t *rag, rag_rank_params_t *p) {
  pthread_mutex_lock(&rag->lock);
  *p = rag->rank;
  pthread_mutex_unlock(&rag->lock);
}

void rag_set_ready_hook(rag_t *rag, rag_ready_hook_fn fn, void *ud) {
  rag->ready_hook = fn;
  rag->ready_ud = ud;
}

json_t *rag_event_data(const char *doc_id, const char *status, const char *stage, double progress, const char *error,
                       json_t *extra) {
  json_t *d = json_object();
  json_object_set_new(d, "id", json_string(doc_id));
  json_object_set_new(d, "status", json_string(status));
  if (stage) json_object_set_new(d, "stage", json_string(stage));
  json_object_set_new(d, "progress", json_real(progress));
  if (error) json_object_set_new(d, "error", json_string(error));
  if (extra) json_object_update(d, extra);
  json_decref(extra);
  return d;
}

void rag_channel(const char *user_id, char channel[64]) {
  snprintf(channel, 64, "documents:%s", user_id);
}

void rag_announce(rag_t *rag, const store_event_t *ev) {
  if (ev->seq) events_notify(rag->events, &(event_t){ev->channel, ev->seq, ev->event, ev->data, ev->ts});
}

int rag_mark_failed(rag_t *rag, const char *user_id, const char *doc_id, const char *reason) {
  char channel[64];
  rag_channel(user_id ? user_id : "", channel);
  json_t *data = rag_event_data(doc_id, "failed", "failed", 1.0, reason, NULL);
  store_event_t ev = {channel, "document", data, 0, 0};
  int rc = store_doc_mark_failed(rag->store, doc_id, reason, rag->events && user_id ? &ev : NULL);
  rag_announce(rag, &ev);
  json_decref(data);
  return rc;
}

void rag_publish(rag_t *rag, const char *user_id, const char *doc_id, const char *status, const char *stage,
                 double progress, const char *error, json_t *extra) {
  if (!rag->events || !user_id) {
    json_decref(extra);
    return;
  }
  json_t *d = rag_event_data(doc_id, status, stage, progress, error, extra);
  char channel[64];
  rag_channel(user_id, channel);
  events_publish(rag->events, channel, "document", d, NULL);
  json_decref(d);
}

int rag_embedding_model(rag_t *rag, const char *user_id, char *model, size_t n) {
  model[0] = '\0';
  if (!rag->llm) return -1;
  llm_endpoint_t ep;
  char err[256];
  int rc = llm_resolve(rag->llm, user_id, LLM_TIER_EMBEDDING, &ep, err, sizeof err);
  memset(ep.api_key, 0, sizeof ep.api_key);
  if (rc != 0 || !ep.model[0]) return -1;
  snprintf(model, n, "%s", ep.model);
  return 0;
}

rag_type_t rag_detect_file(const char *path, const char *filename) {
  FILE *f = fopen(path, "rb");
  if (!f) return RAG_TYPE_UNKNOWN;
  char *head = malloc(65536);
  if (!head) abort();
  size_t n = fread(head, 1, 65536, f);
  fclose(f);
  rag_type_t t;
  if (n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0) {
    /* a ZIP (DOCX or not) can only be judged with its central directory, at the end */
    size_t len = 0;
    char *all = util_read_file(path, &len);
    t = all ? rag_detect(all, len, filename) : RAG_TYPE_BINARY;
    free(all);
  } else {
    t = rag_detect(head, n, filename);
  }
  free(head);
  return t;
}

/* SHA-256 of a file as hex (65 bytes). */
static int hash_file(const char *path, char *hex, int64_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  crypto_hash_sha256_state stt;
  crypto_hash_sha256_init(&stt);
  unsigned char buf[65536];
  ssize_t k;
  int64_t total = 0;
  while ((k = read(fd, buf, sizeof buf)) > 0) {
    crypto_hash_sha256_update(&stt, buf, (unsigned long long)k);
    total += k;
  }
  close(fd);
  if (k < 0) return -1;
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&stt, out);
  sodium_bin2hex(hex, 65, out, sizeof out);
  *size = total;
  return 0;
}

/* Keeps a short safe extension of the original name for the stored file. */
static const char *safe_ext(const char *filename) {
  const char *dot = filename ? strrchr(filename, '.') : NULL;
  if (!dot || strlen(dot) > 10) return "";
  for (const char *p = dot + 1; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) return "";
  return dot;
}

int rag_document_add(rag_t *rag, const rag_add_t *req, char *id_out, int *duplicate, char *err, size_t errlen) {
  *duplicate = 0;
  id_out[0] = '\0';
  int size = req->chunk_size > 0 ? req->chunk_size : 1000;
  int overlap = req->chunk_overlap >= 0 ? req->chunk_overlap : 200;
  if (req->chunk_size > 0 && req->chunk_overlap < 0 && overlap > size / 2) overlap = size / 5;
  if (size < 100 || size > 20000 || overlap < 0 || overlap > size / 2) {
    snprintf(err, errlen, "chunk size must be 100..20000 and overlap 0..size/2");
    return -1;
  }
  if (req->group_id && !store_group_owned(rag->store, req->user_id, req->group_id)) {
    snprintf(err, errlen, "group %s not found", req->group_id);
    return -1;
  }
  char hex[65];
  int64_t fsize = 0;
  if (hash_file(req->src_path, hex, &fsize) != 0) {
    snprintf(err, errlen, "cannot read %s: %s", req->filename, strerror(errno));
    return -1;
  }
  rag_type_t type = rag_detect_file(req->src_path, req->filename);
  store_doc_t d = {0};
  util_new_id(d.id);
  snprintf(d.user_id, sizeof d.user_id, "%s", req->user_id);
  d.filename = (char *)req->filename;
  buf_t path = BUF_INIT;
  buf_init(&path);
  buf_printf(&path, "%s/%s%s", rag->docs_dir, d.id, safe_ext(req->filename));
  d.stored_path = path.data;
  d.mime = (char *)rag_type_mime(type);
  d.size_bytes = fsize;
  d.content_hash = hex;
  d.chunk_size = size;
  d.chunk_overlap = overlap;
  char existing[17] = "";
  int rc = store_doc_insert(rag->store, &d, existing);
  if (rc == STORE_CONFLICT) {
    buf_free(&path);
    if (!existing[0]) {
      snprintf(err, errlen, "the same file is being uploaded at the same time; try again");
      return -1;
    }
    *duplicate = 1;
    memcpy(id_out, existing, 17);
    if (req->move) unlink(req->src_path);
    if (req->group_id) {
      const char *ids[1] = {existing};
      store_group_add_docs(rag->store, req->user_id, req->group_id, ids, 1);
    }
    return 0;
  }
  if (rc != STORE_OK) {
    buf_free(&path);
    snprintf(err, errlen, "cannot record the document");
    return -1;
  }
  int moved = req->move && rename(req->src_path, path.data) == 0;
  if (!moved && util_copy_file(req->src_path, path.data, UTIL_COPY_EXCL) != 0) {
    snprintf(err, errlen, "cannot store %s: %s", req->filename, strerror(errno));
    store_doc_delete(rag->store, req->user_id, d.id, NULL);
    buf_free(&path);
    return -1;
  }
  if (req->move && !moved) unlink(req->src_path);
  buf_free(&path);
  if (req->group_id) {
    const char *ids[1] = {d.id};
    store_group_add_docs(rag->store, req->user_id, req->group_id, ids, 1);
  }
  memcpy(id_out, d.id, 17);
  rag_publish(rag, req->user_id, d.id, "queued", NULL, 0.0, NULL, json_pack("{s:s}", "filename", req->filename));
  if (!req->no_job && rag_queue(rag, "ingest", d.id, req->user_id) != RAG_OK)
    log_warn("rag", "cannot queue ingestion of %s; it will be requeued at the next start", d.id);
  return 0;
}

int rag_queue(rag_t *rag, const char *kind, const char *doc_id, const char *user_id) {
  if (rag->jobs) return jobs_submit(rag->jobs, kind, doc_id, user_id, NULL, NULL) == 0 ? RAG_OK : RAG_ERROR;
  return store_job_enqueue(rag->store, kind, doc_id, user_id, NULL, NULL) == STORE_OK ? RAG_OK : RAG_ERROR;
}

int rag_document_reprocess(rag_t *rag, const char *user_id, const char *doc_id, int chunk_size, int chunk_overlap) {
  if (store_job_active_for(rag->store, "ingest", doc_id) == 1) {
    /* already queued or running: the running job picks up the new settings only if queued */
    store_job_cancel_ref(rag->store, "ingest", doc_id);
  }
  int rc = store_doc_requeue(rag->store, user_id, doc_id, chunk_size, chunk_overlap);
  if (rc != STORE_OK) return rc == STORE_NOT_FOUND ? RAG_NOT_FOUND : RAG_ERROR;
  rag_vectors_forget(rag->vectors, user_id);
  rag_publish(rag, user_id, doc_id, "queued", NULL, 0.0, NULL, NULL);
  return rag_queue(rag, "ingest", doc_id, user_id);
}

int rag_document_delete(rag_t *rag, const char *user_id, const char *doc_id) {
  char *path = NULL;
  int rc = store_doc_delete(rag->store, user_id, doc_id, &path);
  if (rc != STORE_OK) return rc == STORE_NOT_FOUND ? RAG_NOT_FOUND : RAG_ERROR;
  store_job_cancel_ref(rag->store, "ingest", doc_id);
  if (path) {
    /* only files inside the library directory are ever removed */
    if (util_starts_with(path, rag->docs_dir) && !strstr(path, "..")) unlink(path);
    free(path);
  }
  rag_vectors_forget(rag->vectors, user_id);
  rag_publish(rag, user_id, doc_id, "deleted", NULL, 1.0, NULL, NULL);
  return 0;
}
