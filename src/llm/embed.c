/*
 * embed.c - embeddings, rerank, model lists, endpoint checks and doctor.
 *
 * These are plain request/answer calls (no streaming) sharing one retry loop
 * with the same policy as chat: 429 (Retry-After), 5xx, timeouts and resets
 * are retried with backoff; other 4xx fail at once with the server's message.
 * Embeddings go out in batches of EMBED_BATCH texts and come back as one
 * contiguous float32 matrix, each row L2-normalised so that a dot product is
 * the cosine similarity.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm_internal.h"
#include "store/embedcache.h"

#define EMBED_BATCH 32

/* POST (body != NULL) or GET with retries. On success returns 0 and the 2xx
 * body in res (caller frees with xfer_result_free). */
static int request_json(llm_t *llm, const llm_endpoint_t *ep, const char *url, const char *body, atomic_int *cancel,
                        xfer_result_t *res, long timeout_s, char *err, size_t errlen) {
  for (int tries = 1;; tries++) {
    xfer_t xf = {.method = body ? "POST" : "GET",
                 .url = url,
                 .ep = ep,
                 .body = body,
                 .cancel = cancel,
                 .timeout_s = timeout_s,
                 .outbound = &llm->outbound};
    xfer_result_init(res);
    xfer_perform(&xf, res);
    if (cancel && atomic_load(cancel)) {
      snprintf(err, errlen, "call to %s cancelled", ep->base_url);
      xfer_result_free(res);
      return LLM_ERR_CANCELLED;
    }
    if (res->cc == CURLE_OK && res->status >= 200 && res->status < 300) return 0;
    char what[600];
    if (res->refused) {
      snprintf(what, sizeof what, "%s (outbound address policy for endpoints in user settings, docs/security.md)",
               res->curl_err);
    } else if (res->cc != CURLE_OK) {
      snprintf(what, sizeof what, "connection failed: %s", res->curl_err);
    } else {
      char msg[400];
      xfer_server_message(res, msg, sizeof msg);
      snprintf(what, sizeof what, "HTTP %ld: %s", res->status, msg[0] ? msg : "(empty body)");
    }
    int retry = xfer_retryable(res);
    long ra = res->retry_after_ms;
    xfer_result_free(res);
    if (!retry || tries > llm->max_retries) {
      snprintf(err, errlen, "endpoint %s, model %s: %s (after %d attempt%s)", ep->base_url,
               ep->model[0] ? ep->model : "-", what, tries, tries == 1 ? "" : "s");
      return LLM_ERR;
    }
    long wait = llm_backoff_ms(llm, tries, ra);
    log_warn("llm", "endpoint %s: %s; retry %d/%d in %ld ms", ep->base_url, what, tries, llm->max_retries, wait);
    if (llm_sleep_cancellable(wait, cancel) != 0) {
      snprintf(err, errlen, "call to %s cancelled", ep->base_url);
      return LLM_ERR_CANCELLED;
    }
  }
}

static int embed_batch(llm_t *llm, const llm_endpoint_t *ep, const char *const *texts, size_t n, float **mat, int *dim,
                       size_t row0, size_t total, atomic_int *cancel, char *err, size_t errlen) {
  json_t *input = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(input, json_string(texts[i] ? texts[i] : ""));
  json_t *body = json_pack("{s:s, s:o}", "model", ep->model, "input", input);
  char url[700];
  if (ep->provider == LLM_PROVIDER_OLLAMA) {
    json_object_set_new(body, "truncate", json_true());
    json_object_set_new(body, "options", json_pack("{s:i}", "num_ctx", ep->context_window));
    llm_url_join(ep->base_url, "/api/embed", url, sizeof url);
  } else {
    llm_url_join(ep->base_url, "/embeddings", url, sizeof url);
  }
  char *bodys = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (llm_slot_acquire(llm, NULL, cancel) != 0) {
    free(bodys);
    snprintf(err, errlen, "embedding call cancelled");
    return LLM_ERR_CANCELLED;
  }
  xfer_result_t res;
  int rc = request_json(llm, ep, url, bodys, cancel, &res, llm->timeout_s, err, errlen);
  llm_slot_release(llm, NULL);
  free(bodys);
  if (rc != 0) return rc;
  json_t *j = json_loadb(res.body.data, res.body.len, 0, NULL);
  xfer_result_free(&res);
  json_t *vecs = json_array();
  if (ep->provider == LLM_PROVIDER_OLLAMA) {
    json_t *e = json_object_get(j, "embeddings");
    if (!json_is_array(e) && json_is_array(json_object_get(j, "embedding"))) /* legacy /api/embeddings */
      json_array_append(vecs, json_object_get(j, "embedding"));
    else
      json_array_extend(vecs, e);
  } else {
    json_t *data = json_object_get(j, "data");
    size_t i;
    json_t *d;
    for (i = 0; i < json_array_size(data); i++) json_array_append_new(vecs, json_null());
    json_array_foreach(data, i, d) {
      json_t *idx = json_object_get(d, "index");
      size_t at = json_is_integer(idx) ? (size_t)json_integer_value(idx) : i;
      if (at < json_array_size(vecs)) json_array_set(vecs, at, json_object_get(d, "embedding"));
    }
  }
  rc = 0;
  if (json_array_size(vecs) != n) {
    snprintf(err, errlen, "endpoint %s, model %s: expected %zu embeddings, got %zu", ep->base_url, ep->model, n,
             json_array_size(vecs));
    rc = LLM_ERR;
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    json_t *v = json_array_get(vecs, i);
    size_t d = json_array_size(v);
    if (!json_is_array(v) || d == 0 || d > 65536) {
      snprintf(err, errlen, "endpoint %s, model %s: embedding %zu is missing or malformed", ep->base_url, ep->model, i);
      rc = LLM_ERR;
      break;
    }
    if (!*mat) {
      *dim = (int)d;
      *mat = calloc(total * d, sizeof **mat);
      if (!*mat) abort();
    } else if ((int)d != *dim) {
      snprintf(err, errlen, "endpoint %s, model %s: embeddings of different sizes (%d and %zu)", ep->base_url,
               ep->model, *dim, d);
      rc = LLM_ERR;
      break;
    }
    float *row = *mat + (row0 + i) * d;
    double norm = 0;
    for (size_t k = 0; k < d; k++) {
      double x = json_number_value(json_array_get(v, k));
      if (!isfinite(x)) x = 0;
      row[k] = (float)x;
      norm += x * x;
    }
    norm = sqrt(norm);
    if (norm > 0)
      for (size_t k = 0; k < d; k++) row[k] = (float)(row[k] / norm);
  }
  json_decref(vecs);
  json_decref(j);
  return rc;
}

/* Embeds texts[idx[0..m)] in batches into a new m x dim matrix. */
static int embed_some(llm_t *llm, const llm_endpoint_t *ep, const char *const *texts, const size_t *idx, size_t m,
                      float **mat, int *dim, atomic_int *cancel, char *err, size_t errlen) {
  const char **sub = malloc(m * sizeof *sub);
  if (!sub) abort();
  for (size_t k = 0; k < m; k++) sub[k] = texts[idx[k]];
  int rc = 0;
  for (size_t i = 0; i < m && rc == 0; i += EMBED_BATCH) {
    size_t b = m - i < EMBED_BATCH ? m - i : EMBED_BATCH;
    rc = embed_batch(llm, ep, sub + i, b, mat, dim, i, m, cancel, err, errlen);
  }
  free(sub);
  if (rc != 0) {
    free(*mat);
    *mat = NULL;
  }
  return rc;
}

/*
 * Embeddings are cached in the store by (model, SHA-256 of the text): a text
 * embedded once is never sent again (re-ingestion, repeated queries), and a
 * replayed mission (llm_set_replay) answers its embedding calls from the
 * cache alone — a text that is not there is an error, never a live call.
 */
int llm_embed(llm_t *llm, const char *user_id, const char *const *texts, size_t n, float **out, int *dim,
              atomic_int *cancel, char *err, size_t errlen) {
  *out = NULL;
  *dim = 0;
  llm_endpoint_t ep;
  int rc = llm_resolve(llm, user_id, LLM_TIER_EMBEDDING, &ep, err, errlen);
  if (rc != 0) return rc;
  if (n == 0) {
    sodium_memzero(&ep, sizeof ep);
    return 0;
  }
  unsigned char(*hashes)[32] = malloc(n * sizeof *hashes);
  float **cached = calloc(n, sizeof *cached);
  size_t *miss = malloc(n * sizeof *miss);
  if (!hashes || !cached || !miss) abort();
  size_t nmiss = 0;
  int cdim = 0;
  for (size_t i = 0; i < n; i++) {
    const char *t = texts[i] ? texts[i] : "";
    crypto_hash_sha256(hashes[i], (const unsigned char *)t, strlen(t));
    int d = 0;
    if (llm->store && store_embed_cache_get(llm->store, ep.model, hashes[i], &cached[i], &d) == STORE_OK &&
        (cdim == 0 || d == cdim)) {
      cdim = d;
    } else {
      free(cached[i]);
      cached[i] = NULL;
      miss[nmiss++] = i;
    }
  }
  float *fresh = NULL;
  int fdim = 0;
  if (nmiss > 0 && llm->replay_mission) {
    snprintf(err, errlen, "replay: %zu embedding(s) of model %s are not in the record", nmiss, ep.model);
    rc = LLM_ERR_REPLAY_MISS;
  } else if (nmiss > 0) {
    rc = embed_some(llm, &ep, texts, miss, nmiss, &fresh, &fdim, cancel, err, errlen);
    if (rc == 0 && cdim && fdim != cdim) {
      /* The model's dimension changed since the cache was filled: the cached
       * rows are stale, embed everything again. */
      free(fresh);
      fresh = NULL;
      for (size_t i = 0; i < n; i++) miss[i] = i;
      nmiss = n;
      cdim = 0;
      rc = embed_some(llm, &ep, texts, miss, nmiss, &fresh, &fdim, cancel, err, errlen);
    }
    if (rc == 0 && llm->store) {
      unsigned char(*mh)[32] = malloc(nmiss * sizeof *mh);
      if (!mh) abort();
      for (size_t k = 0; k < nmiss; k++) memcpy(mh[k], hashes[miss[k]], 32);
      store_embed_cache_put(llm->store, ep.model, (const unsigned char(*)[32])mh, fresh, nmiss, fdim);
      free(mh);
    }
  }
  sodium_memzero(&ep, sizeof ep);
  float *mat = NULL;
  if (rc == 0) {
    int d = fdim ? fdim : cdim;
    mat = malloc(n * (size_t)d * sizeof *mat);
    if (!mat) abort();
    for (size_t i = 0; i < n; i++)
      if (cached[i] && cdim == d) memcpy(mat + i * (size_t)d, cached[i], (size_t)d * sizeof *mat);
    for (size_t k = 0; k < nmiss; k++)
      memcpy(mat + miss[k] * (size_t)d, fresh + k * (size_t)d, (size_t)d * sizeof *mat);
    *dim = d;
  }
  for (size_t i = 0; i < n; i++) free(cached[i]);
  free(cached);
  free(hashes);
  free(miss);
  free(fresh);
  *out = mat;
  return rc;
}

int llm_rerank(llm_t *llm, const char *user_id, const char *query, const char *const *docs, size_t n, double *scores,
               char *err, size_t errlen) {
  llm_endpoint_t ep;
  int rc = llm_resolve(llm, user_id, LLM_TIER_RERANK, &ep, err, errlen);
  if (rc != 0) return rc;
  char url[700];
  if (util_ends_with(ep.base_url, "/rerank"))
    snprintf(url, sizeof url, "%s", ep.base_url);
  else if (util_ends_with(ep.base_url, "/v1"))
    llm_url_join(ep.base_url, "/rerank", url, sizeof url);
  else
    llm_url_join(ep.base_url, "/v1/rerank", url, sizeof url);
  json_t *d = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(d, json_string(docs[i] ? docs[i] : ""));
  json_t *body = json_pack("{s:s, s:o, s:i}", "query", query ? query : "", "documents", d, "top_n", (int)n);
  if (ep.model[0]) json_object_set_new(body, "model", json_string(ep.model));
  char *bodys = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  xfer_result_t res;
  rc = request_json(llm, &ep, url, bodys, NULL, &res, llm->timeout_s, err, errlen);
  free(bodys);
  if (rc != 0) {
    sodium_memzero(&ep, sizeof ep);
    return rc;
  }
  json_t *j = json_loadb(res.body.data, res.body.len, 0, NULL);
  xfer_result_free(&res);
  /* Jina/llama.cpp: {"results":[{"index","relevance_score"}]}; TEI: [{"index","score"}]. */
  json_t *arr = json_is_array(j) ? j : json_object_get(j, "results");
  for (size_t i = 0; i < n; i++) scores[i] = -INFINITY;
  size_t i, seen = 0;
  json_t *r;
  json_array_foreach(arr, i, r) {
    json_t *idx = json_object_get(r, "index");
    json_t *sc = json_object_get(r, "relevance_score");
    if (!sc) sc = json_object_get(r, "score");
    if (!json_is_integer(idx) || !json_is_number(sc)) continue;
    json_int_t k = json_integer_value(idx);
    if (k < 0 || (size_t)k >= n) continue;
    scores[k] = json_number_value(sc);
    seen++;
  }
  rc = 0;
  if (!arr || seen == 0) {
    snprintf(err, errlen, "rerank endpoint %s: answer has no results", ep.base_url);
    rc = LLM_ERR;
  }
  json_decref(j);
  sodium_memzero(&ep, sizeof ep);
  return rc;
}

int llm_list_models(llm_t *llm, const llm_endpoint_t *ep, json_t **out, char *err, size_t errlen) {
  *out = NULL;
  char url[700];
  llm_url_join(ep->base_url, ep->provider == LLM_PROVIDER_OLLAMA ? "/api/tags" : "/models", url, sizeof url);
  xfer_result_t res;
  int rc = request_json(llm, ep, url, NULL, NULL, &res, 20, err, errlen);
  if (rc != 0) return rc;
  json_t *j = json_loadb(res.body.data, res.body.len, 0, NULL);
  xfer_result_free(&res);
  json_t *list = json_object_get(j, ep->provider == LLM_PROVIDER_OLLAMA ? "models" : "data");
  if (!json_is_array(list)) {
    snprintf(err, errlen, "endpoint %s: the model list has an unexpected shape", ep->base_url);
    json_decref(j);
    return LLM_ERR;
  }
  json_t *names = json_array();
  size_t i;
  json_t *m;
  json_array_foreach(list, i, m) {
    json_t *n = json_object_get(m, ep->provider == LLM_PROVIDER_OLLAMA ? "name" : "id");
    if (!json_is_string(n) && ep->provider == LLM_PROVIDER_OLLAMA) n = json_object_get(m, "model");
    if (json_is_string(n)) json_array_append(names, n);
  }
  json_decref(j);
  *out = names;
  return 0;
}

static void probe_key(const llm_endpoint_t *ep, unsigned char key[16]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 16);
  crypto_generichash_update(&st, (const unsigned char *)llm_provider_name(ep->provider),
                            strlen(llm_provider_name(ep->provider)) + 1);
  crypto_generichash_update(&st, (const unsigned char *)ep->base_url, strlen(ep->base_url) + 1);
  crypto_generichash_update(&st, (const unsigned char *)ep->api_key, strlen(ep->api_key));
  crypto_generichash_final(&st, key, 16);
}

int llm_probe_endpoint(llm_t *llm, const llm_endpoint_t *ep, long timeout_s, char *err, size_t errlen) {
  unsigned char key[16];
  probe_key(ep, key);
  int64_t now = util_mono_ms();
  pthread_mutex_lock(&llm->lock);
  for (int i = 0; i < LLM_PROBE_SLOTS; i++) {
    probe_entry_t *p = &llm->probes[i];
    if (p->at_ms && now - p->at_ms < LLM_PROBE_CACHE_MS && memcmp(p->key, key, sizeof key) == 0) {
      int ok = p->ok;
      snprintf(err, errlen, "%s", p->err);
      pthread_mutex_unlock(&llm->lock);
      return ok ? 0 : LLM_ERR;
    }
  }
  pthread_mutex_unlock(&llm->lock);
  char url[700];
  llm_url_join(ep->base_url, ep->provider == LLM_PROVIDER_OLLAMA ? "/api/tags" : "/models", url, sizeof url);
  xfer_t xf = {.method = "GET", .url = url, .ep = ep, .timeout_s = timeout_s, .max_body = 1 << 20,
               .outbound = &llm->outbound};
  xfer_result_t res;
  xfer_result_init(&res);
  xfer_perform(&xf, &res);
  int ok = res.cc == CURLE_OK && res.status >= 200 && res.status < 300;
  char msg[300] = "";
  if (res.cc != CURLE_OK)
    snprintf(msg, sizeof msg, "%.200s did not answer: %.80s", ep->base_url, res.curl_err);
  else if (!ok)
    snprintf(msg, sizeof msg, "%.200s answered HTTP %ld", ep->base_url, res.status);
  xfer_result_free(&res);
  pthread_mutex_lock(&llm->lock);
  probe_entry_t *slot = &llm->probes[0];
  for (int i = 0; i < LLM_PROBE_SLOTS; i++) { /* the same key, else the oldest */
    probe_entry_t *p = &llm->probes[i];
    if (memcmp(p->key, key, sizeof key) == 0) {
      slot = p;
      break;
    }
    if (p->at_ms < slot->at_ms) slot = p;
  }
  memcpy(slot->key, key, sizeof key);
  slot->at_ms = util_mono_ms();
  slot->ok = ok;
  snprintf(slot->err, sizeof slot->err, "%s", msg);
  pthread_mutex_unlock(&llm->lock);
  snprintf(err, errlen, "%s", msg);
  return ok ? 0 : LLM_ERR;
}

static int model_in(const json_t *names, const char *model) {
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    const char *s = json_string_value(n);
    if (strcmp(s, model) == 0) return 1;
    /* Ollama lists "llama3.2:latest" for "llama3.2". */
    size_t ml = strlen(model);
    if (strncmp(s, model, ml) == 0 && strcmp(s + ml, ":latest") == 0) return 1;
  }
  return 0;
}

int llm_test_endpoint(llm_t *llm, const llm_endpoint_t *ep, int embedding, json_t **report) {
  json_t *rep = json_object();
  char err[1024] = "";
  int64_t t0 = util_mono_ms();
  json_t *names = NULL;
  int ok = 1;
  json_object_set_new(rep, "endpoint", json_string(ep->base_url));
  json_object_set_new(rep, "provider", json_string(llm_provider_name(ep->provider)));
  json_object_set_new(rep, "model", json_string(ep->model));
  if (llm_list_models(llm, ep, &names, err, sizeof err) == 0) {
    json_object_set_new(rep, "models_ok", json_true());
    json_object_set_new(rep, "models_count", json_integer((json_int_t)json_array_size(names)));
    json_object_set_new(rep, "model_found", json_boolean(ep->model[0] && model_in(names, ep->model)));
  } else {
    json_object_set_new(rep, "models_ok", json_false());
    json_object_set_new(rep, "models_error", json_string(err));
  }
  json_decref(names);
  err[0] = '\0';
  if (!ep->model[0]) {
    ok = 0;
    snprintf(err, sizeof err, "no model set");
  } else if (embedding) {
    /* A one-text embedding through the same batch path. */
    const char *texts[1] = {"connection test"};
    float *mat = NULL;
    int dim = 0;
    int rc = embed_batch(llm, ep, texts, 1, &mat, &dim, 0, 1, NULL, err, sizeof err);
    json_object_set_new(rep, "embedding_ok", json_boolean(rc == 0));
    if (rc == 0) json_object_set_new(rep, "dimension", json_integer(dim));
    free(mat);
    ok = rc == 0;
  } else {
    json_t *msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", "Reply with the single word OK.");
    json_t *body = chat_body(ep, msgs, 0, 16, 0, NULL, NULL, -1);
    char *bodys = json_dumps(body, JSON_COMPACT);
    char url[700];
    llm_url_join(ep->base_url, ep->provider == LLM_PROVIDER_OLLAMA ? "/api/chat" : "/chat/completions", url,
                 sizeof url);
    xfer_result_t res;
    int rc = request_json(llm, ep, url, bodys, NULL, &res, 60, err, sizeof err);
    if (rc == 0) {
      chat_acc_t acc;
      chat_acc_init(&acc, ep->provider == LLM_PROVIDER_OPENAI, NULL, NULL);
      int pr = ep->provider == LLM_PROVIDER_OLLAMA ? ollama_parse_body(&acc, res.body.data, res.body.len)
                                                   : openai_parse_body(&acc, res.body.data, res.body.len);
      if (pr != 0) {
        rc = -1;
        snprintf(err, sizeof err, "chat answer not understood: %s", acc.error[0] ? acc.error : "malformed body");
      } else {
        char *t = llm_strip_think(acc.text.data);
        json_object_set_new(rep, "reply", json_string(t));
        free(t);
      }
      chat_acc_free(&acc);
      xfer_result_free(&res);
    }
    json_object_set_new(rep, "chat_ok", json_boolean(rc == 0));
    ok = rc == 0;
    free(bodys);
    json_decref(body);
    json_decref(msgs);
  }
  json_object_set_new(rep, "ok", json_boolean(ok));
  json_object_set_new(rep, "latency_ms", json_integer(util_mono_ms() - t0));
  if (!ok) json_object_set_new(rep, "error", json_string(err));
  *report = rep;
  return ok ? 0 : -1;
}

int llm_doctor(llm_t *llm, FILE *out) {
  char err[512];
  int failures = 0, configured = 0;
  for (int t = 0; t < LLM_TIER_COUNT; t++) {
    llm_endpoint_t ep;
    if (llm_resolve(llm, NULL, (llm_tier_t)t, &ep, err, sizeof err) != 0) {
      if (t <= LLM_TIER_VERIFIER)
        fprintf(out, "SKIP  model %-11s not configured (%s); missions run in offline mode\n", llm_tier_name(t), err);
      else
        fprintf(out, "SKIP  model %-11s not configured\n", llm_tier_name(t));
      continue;
    }
    configured++;
    if (t == LLM_TIER_RERANK) {
      const char *docs[2] = {"the sky is blue", "bananas are yellow"};
      double sc[2];
      int rc = llm_rerank(llm, NULL, "what colour is the sky", docs, 2, sc, err, sizeof err);
      fprintf(out, "%s  model %-11s %s %s%s%s\n", rc == 0 ? "OK  " : "FAIL", llm_tier_name(t), ep.base_url, ep.model,
              rc == 0 ? "" : ": ", rc == 0 ? "" : err);
      failures += rc != 0;
      continue;
    }
    json_t *rep = NULL;
    int rc = llm_test_endpoint(llm, &ep, t == LLM_TIER_EMBEDDING, &rep);
    const char *e = json_string_value(json_object_get(rep, "error"));
    fprintf(out, "%s  model %-11s %s (%s) %s: %s\n", rc == 0 ? "OK  " : "FAIL", llm_tier_name(t), ep.base_url,
            llm_provider_name(ep.provider), ep.model,
            rc == 0
                ? (json_is_false(json_object_get(rep, "model_found")) ? "answers (model not in the list)" : "answers")
                : (e ? e : "failed"));
    failures += rc != 0;
    json_decref(rep);
    sodium_memzero(&ep, sizeof ep);
  }
  return failures ? 1 : 0;
}
