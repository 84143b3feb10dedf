/*
 * web.c - the web context and the public entry points: cached search over
 * several queries, cached fetch + extract, the settings check.
 *
 * Cache keys: a search answer is cached per user, provider order, options
 * and query (a BLAKE2b hash of those, so keys have a fixed size); a page is
 * cached by the URL asked for. Only successes are cached. Nothing is held
 * locked across a network call: the store is read, the network used, the
 * store written.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "rag/parse.h"
#include "store/webcache.h"
#include "web/web_internal.h"

#define WEB_MAX_REDIRECTS 5
#define WEB_SEARCH_THREADS 4

web_t *web_new(const config_t *cfg, store_t *st, char *err, size_t errlen) {
  web_t *w = calloc(1, sizeof *w);
  if (!w) abort();
  w->cfg = cfg;
  w->st = st;
  if (web_allow_parse(&w->allow, config_get(cfg, "FETCH_ALLOW_HOSTS"), err, errlen) != 0) {
    free(w);
    return NULL;
  }
  if (web_allow_parse_named(&w->outbound, "OUTBOUND_ALLOW_HOSTS", config_get(cfg, "OUTBOUND_ALLOW_HOSTS"), err,
                            errlen) != 0) {
    web_allow_free(&w->allow);
    web_allow_free(&w->outbound);
    free(w);
    return NULL;
  }
  w->max_bytes = (size_t)config_int(cfg, "FETCH_MAX_BYTES");
  w->timeout_ms = (int)config_int(cfg, "FETCH_TIMEOUT_SECONDS") * 1000;
  w->cache_ttl_ms = config_int(cfg, "WEB_CACHE_TTL_HOURS") * 3600 * 1000;
  pthread_mutex_init(&w->probe_mu, NULL);
  for (int i = 0; i < WEB_NPROV; i++) {
    const web_provider_t *p = web_provider_get(i);
    web_limiter_init(&w->lim[i], p->max_concurrency, p->min_interval_ms);
  }
  scholar_limiters_init(w);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rag_parse_init();
  if (st) {
    int n = store_webcache_purge(st, util_now_ms());
    if (n > 0) log_info("web", "dropped %d expired web cache entries", n);
  }
  return w;
}

void web_set_llm(web_t *w, struct llm *llm) {
  if (w) w->llm = llm;
}

void web_free(web_t *w) {
  if (!w) return;
  for (int i = 0; i < WEB_NPROV; i++) web_limiter_destroy(&w->lim[i]);
  scholar_limiters_destroy(w);
  web_allow_free(&w->allow);
  pthread_mutex_destroy(&w->probe_mu);
  free(w);
}

/* ---- search --------------------------------------------------------------------- */

static void cache_key(const char *user_id, const web_settings_t *s, const web_search_opts_t *o, const char *query,
                      char out[65]) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_printf(&b, "%s\n", user_id ? user_id : "");
  for (int i = 0; i < s->norder; i++) buf_printf(&b, "%d,", s->order[i]);
  buf_printf(&b, "\n%d|%s|%s|%s|%s|%d|%d\n%s", o->max_results, o->language ? o->language : "",
             o->time_range ? o->time_range : "", o->categories ? o->categories : "", o->engines ? o->engines : "",
             o->safesearch, o->page, query);
  unsigned char h[32];
  crypto_generichash(h, sizeof h, (const unsigned char *)b.data, b.len, NULL, 0);
  sodium_bin2hex(out, 65, h, sizeof h);
  buf_free(&b);
}

static void results_from_json(json_t *a, web_results_t *r) {
  size_t i;
  json_t *it;
  json_array_foreach(a, i, it) {
    web_results_add(r, json_string_value(json_object_get(it, "url")), json_string_value(json_object_get(it, "title")),
                    json_string_value(json_object_get(it, "snippet")), json_string_value(json_object_get(it, "engine")),
                    json_string_value(json_object_get(it, "published_date")),
                    json_number_value(json_object_get(it, "score")));
  }
}

typedef struct {
  web_t *w;
  const char *user_id;
  const web_settings_t *s;
  const web_search_opts_t *o;
  const char *const *queries;
  size_t nq;
  web_results_t *res; /* per query */
  int *ok;            /* per query: 1 answered */
  int *cached;
  char **errs; /* per query */
  size_t next;
  pthread_mutex_t mu;
} search_job_t;

static void search_query(search_job_t *j, size_t qi) {
  web_t *w = j->w;
  const char *q = j->queries[qi];
  char key[65];
  cache_key(j->user_id, j->s, j->o, q, key);
  int64_t now = util_now_ms();
  if (w->st && w->cache_ttl_ms > 0 && !j->o->no_cache) {
    json_t *a = NULL;
    char *warn = NULL;
    char prov[16];
    if (store_webcache_search_get(w->st, key, now, &a, &warn, prov) == STORE_OK) {
      results_from_json(a, &j->res[qi]);
      j->res[qi].warnings = warn;
      snprintf(j->res[qi].provider, sizeof j->res[qi].provider, "%s", prov);
      j->ok[qi] = 1;
      j->cached[qi] = 1;
      json_decref(a);
      return;
    }
    json_decref(a);
    free(warn);
  }
  char err[1024];
  if (web_search_one(w, j->s, q, j->o, &j->res[qi], -1, err, sizeof err) != 0) {
    j->errs[qi] = util_strdup(err);
    return;
  }
  j->ok[qi] = 1;
  /* keep at most max_results per query */
  web_results_t *r = &j->res[qi];
  while (r->n > (size_t)j->o->max_results) {
    web_result_t *it = &r->items[--r->n];
    free(it->url);
    free(it->title);
    free(it->snippet);
    free(it->engine);
    free(it->published);
  }
  if (w->st && w->cache_ttl_ms > 0) {
    json_t *a = web_results_json(r);
    store_webcache_search_put(w->st, key, j->user_id, q, r->provider, a, r->warnings, now, now + w->cache_ttl_ms);
    json_decref(a);
  }
}

static void *search_worker(void *arg) {
  search_job_t *j = arg;
  for (;;) {
    pthread_mutex_lock(&j->mu);
    size_t qi = j->next++;
    pthread_mutex_unlock(&j->mu);
    if (qi >= j->nq) break;
    search_query(j, qi);
  }
  return NULL;
}

/* Merges per-query answers by normalised URL with reciprocal-rank scores. */
static int higher_score(const void *a, const void *b) {
  return ((const web_result_t *)a)->score > ((const web_result_t *)b)->score;
}

static void merge(web_results_t *per, size_t nq, const int *ok, web_results_t *out) {
  char **keys = NULL;
  size_t nkeys = 0;
  for (size_t q = 0; q < nq; q++) {
    if (!ok[q]) continue;
    for (size_t i = 0; i < per[q].n; i++) {
      web_result_t *it = &per[q].items[i];
      char *k = web_url_normalise(it->url);
      double s = 1.0 / (double)(i + 1);
      size_t found = nkeys;
      for (size_t m = 0; m < nkeys; m++)
        if (strcmp(keys[m], k) == 0) {
          found = m;
          break;
        }
      if (found < nkeys) {
        web_result_t *have = &out->items[found];
        have->score += s;
        if (!have->snippet[0] && it->snippet[0]) {
          free(have->snippet);
          have->snippet = util_strdup(it->snippet);
        }
        if (!have->published && it->published) have->published = util_strdup(it->published);
        free(k);
        continue;
      }
      keys = realloc(keys, (nkeys + 1) * sizeof *keys);
      if (!keys) abort();
      keys[nkeys++] = k;
      web_results_add(out, it->url, it->title, it->snippet, it->engine, it->published, s);
    }
  }
  for (size_t m = 0; m < nkeys; m++) free(keys[m]);
  free(keys);
  /* by score, descending (stable: first-seen order on ties) */
  util_sort_stable(out->items, out->n, sizeof out->items[0], higher_score);
}

int web_search(web_t *w, const char *user_id, const char *const *queries, size_t nqueries,
               const web_search_opts_t *opts, web_results_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  web_search_opts_t o = {0};
  if (opts) o = *opts;
  if (o.max_results <= 0) o.max_results = 10;
  if (o.max_results > 50) o.max_results = 50;
  if (o.page <= 0) o.page = 1;
  if (o.safesearch < 0 || o.safesearch > 2) o.safesearch = 0;
  if (web_queries_check(queries, nqueries, err, errlen) != 0) return -1;
  web_settings_t s;
  if (web_settings_load(w, user_id, NULL, &s, err, errlen) != 0) return -1;
  search_job_t j = {.w = w, .user_id = user_id, .s = &s, .o = &o, .queries = queries, .nq = nqueries};
  j.res = calloc(nqueries, sizeof *j.res);
  j.ok = calloc(nqueries, sizeof *j.ok);
  j.cached = calloc(nqueries, sizeof *j.cached);
  j.errs = calloc(nqueries, sizeof *j.errs);
  if (!j.res || !j.ok || !j.cached || !j.errs) abort();
  pthread_mutex_init(&j.mu, NULL);
  size_t nthreads = nqueries < WEB_SEARCH_THREADS ? nqueries : WEB_SEARCH_THREADS;
  pthread_t th[WEB_SEARCH_THREADS];
  size_t started = 0;
  for (size_t i = 1; i < nthreads; i++)
    if (pthread_create(&th[started], NULL, search_worker, &j) == 0) started++;
  search_worker(&j);
  for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&j.mu);

  int answered = 0, all_cached = 1;
  buf_t warn = BUF_INIT;
  buf_init(&warn);
  for (size_t i = 0; i < nqueries; i++) {
    if (j.ok[i]) {
      answered++;
      if (!out->provider[0]) snprintf(out->provider, sizeof out->provider, "%s", j.res[i].provider);
      if (j.res[i].warnings) buf_printf(&warn, "%s%s", warn.len ? "\n" : "", j.res[i].warnings);
    } else {
      all_cached = 0;
    }
    if (!j.cached[i]) all_cached = 0;
  }
  int rc = 0;
  if (!answered) {
    snprintf(err, errlen, "web search failed: %s", j.errs[0] ? j.errs[0] : "no provider answered");
    rc = -1;
  } else {
    merge(j.res, nqueries, j.ok, out);
    for (size_t i = 0; i < nqueries; i++)
      if (!j.ok[i] && j.errs[i]) buf_printf(&warn, "%squery %zu failed: %s", warn.len ? "\n" : "", i + 1, j.errs[i]);
    if (warn.len) out->warnings = util_strdup(warn.data);
    out->from_cache = all_cached;
  }
  buf_free(&warn);
  for (size_t i = 0; i < nqueries; i++) {
    web_results_free(&j.res[i]);
    free(j.errs[i]);
  }
  free(j.res);
  free(j.ok);
  free(j.cached);
  free(j.errs);
  web_settings_free(&s);
  return rc;
}

/* ---- fetch + extract ----------------------------------------------------------------- */

void web_page_free(web_page_t *p) {
  if (!p) return;
  free(p->url);
  free(p->final_url);
  free(p->content_type);
  free(p->title);
  free(p->text);
  free(p->published);
  memset(p, 0, sizeof *p);
}

json_t *web_page_json(const web_page_t *p) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:b, s:b}", "url", p->url ? p->url : "", "final_url",
                   p->final_url ? p->final_url : "", "content_type", p->content_type ? p->content_type : "", "title",
                   p->title ? p->title : "", "text", p->text ? p->text : "", "published_date",
                   p->published ? json_string(p->published) : json_null(), "status", p->status, "truncated",
                   p->truncated, "from_cache", p->from_cache);
}

static void page_from_json(json_t *j, const char *url, web_page_t *p) {
  const char *pub = json_string_value(json_object_get(j, "published_date"));
  p->url = util_strdup(url);
  p->final_url = util_strdup(json_string_value(json_object_get(j, "final_url")));
  p->content_type = util_strdup(json_string_value(json_object_get(j, "content_type")));
  p->title = util_strdup(json_string_value(json_object_get(j, "title")));
  p->text = util_strdup(json_string_value(json_object_get(j, "text")));
  p->published = pub ? util_strdup(pub) : NULL;
  p->status = (int)json_integer_value(json_object_get(j, "status"));
  p->truncated = json_is_true(json_object_get(j, "truncated"));
  if (!p->title) p->title = util_strdup("");
  if (!p->text) p->text = util_strdup("");
}

static int pdf_to_text(const web_fetch_result_t *r, web_page_t *p, char *err, size_t errlen) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  char perr[256] = "";
  if (rag_parse_pdf(r->body.data, r->body.len, &doc, perr, sizeof perr) != 0) {
    snprintf(err, errlen, "cannot read the PDF at %.200s: %s", r->final_url, perr);
    rag_doc_free(&doc);
    return -1;
  }
  p->text = util_strdup(doc.text.data);
  p->title = util_strdup(doc.bib.title ? doc.bib.title : "");
  p->published = doc.bib.year ? util_strdup(doc.bib.year) : NULL;
  rag_doc_free(&doc);
  return 0;
}

int web_fetch_page(web_t *w, const char *url, web_page_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!url || !*url || strlen(url) > 4096) {
    snprintf(err, errlen, "refused: the URL is empty or longer than 4096 bytes");
    return -1;
  }
  int64_t now = util_now_ms();
  if (w->st && w->cache_ttl_ms > 0) {
    json_t *j = NULL;
    if (store_webcache_page_get(w->st, url, now, &j) == STORE_OK) {
      page_from_json(j, url, out);
      out->from_cache = 1;
      json_decref(j);
      return 0;
    }
    json_decref(j);
  }
  web_fetch_opts_t fo = {
      .allow = &w->allow, .max_bytes = w->max_bytes, .timeout_ms = w->timeout_ms, .max_redirects = WEB_MAX_REDIRECTS};
  web_fetch_result_t r;
  web_error_t e = {0};
  if (web_fetch_raw(url, &fo, &r, &e) != 0) {
    snprintf(err, errlen, "%s", e.msg);
    log_info("web", "fetch refused or failed: %s", e.msg);
    return -1;
  }
  out->url = util_strdup(url);
  out->final_url = util_strdup(r.final_url);
  out->content_type = util_strdup(r.content_type);
  out->status = r.status;
  out->truncated = r.truncated;
  int rc = 0;
  if (strcmp(r.content_type, "application/pdf") == 0) {
    rc = pdf_to_text(&r, out, err, errlen);
  } else {
    int html = strcmp(r.content_type, "text/plain") != 0;
    size_t ulen = 0;
    char *utf8 = web_to_utf8(r.body.data, r.body.len, r.charset, html, &ulen);
    if (html) {
      web_extracted_t x;
      web_extract_html(utf8, ulen, &x);
      out->title = x.title;
      out->text = x.text;
      out->published = x.published;
      free(utf8);
    } else {
      out->title = util_strdup("");
      out->text = utf8;
    }
  }
  web_fetch_result_free(&r);
  if (rc != 0) {
    web_page_free(out);
    return -1;
  }
  if (w->st && w->cache_ttl_ms > 0) {
    json_t *j = web_page_json(out);
    json_object_del(j, "url");
    json_object_del(j, "from_cache");
    store_webcache_page_put(w->st, url, j, now, now + w->cache_ttl_ms);
    json_decref(j);
  }
  return 0;
}

/* ---- settings check -------------------------------------------------------------------- */

int web_test_search(web_t *w, const char *user_id, json_t *req, json_t **result) {
  char err[1024] = "";
  *result = NULL;
  if (!w) {
    *result = json_pack("{s:b, s:s}", "ok", 0, "error", "web search is not available in this process");
    return 0;
  }
  if (req && !json_is_object(req)) {
    *result = json_pack("{s:b, s:s}", "ok", 0, "error", "the request must be a JSON object");
    return -1;
  }
  const char *query = json_string_value(json_object_get(req, "query"));
  if (!query || !*query) query = "test";
  int only = -1;
  const char *pname = json_string_value(json_object_get(req, "provider"));
  if (pname && (only = web_provider_id(pname)) < 0) {
    *result = json_pack("{s:b, s:s}", "ok", 0, "error", "unknown provider (known: searxng, tavily, brave)");
    return -1;
  }
  /* the settings may come flat or nested under "search" / "settings" */
  json_t *override = req;
  if (json_is_object(json_object_get(req, "search")))
    override = json_object_get(req, "search");
  else if (json_is_object(json_object_get(req, "settings")))
    override = json_object_get(req, "settings");
  web_settings_t s;
  if (web_settings_load(w, user_id, override, &s, err, sizeof err) != 0) {
    *result = json_pack("{s:b, s:s}", "ok", 0, "error", err);
    return -1;
  }
  web_search_opts_t o = {.max_results = 5, .page = 1};
  web_results_t r = {0};
  int64_t t0 = util_mono_ms();
  int rc = web_search_one(w, &s, query, &o, &r, only, err, sizeof err);
  int64_t ms = util_mono_ms() - t0;
  if (rc == 0) {
    json_t *sample = web_results_json(&r);
    while (json_array_size(sample) > 3) json_array_remove(sample, json_array_size(sample) - 1);
    *result = json_pack("{s:b, s:s, s:i, s:I, s:o}", "ok", 1, "provider", r.provider, "results", (int)r.n, "latency_ms",
                        (json_int_t)ms, "sample", sample);
    if (r.warnings) json_object_set_new(*result, "warnings", json_string(r.warnings));
  } else {
    *result = json_pack("{s:b, s:s, s:I}", "ok", 0, "error", err, "latency_ms", (json_int_t)ms);
  }
  web_results_free(&r);
  web_settings_free(&s);
  return 0;
}

/* ---- preflight ------------------------------------------------------------------------ */

static const char *provider_url(const web_settings_t *s, int id) {
  return id == WEB_PROV_SEARXNG ? s->searxng_url : id == WEB_PROV_TAVILY ? s->tavily_url : s->brave_url;
}

/* One GET of url, remembered for WEB_PROBE_CACHE_MS. 1 when it answered.
 * policy: the outbound address policy for a URL a non-admin user named
 * (NULL: trusted); such probes are never answered from the cache, so a
 * trusted probe's result does not tell about an internal host. */
static int probe_url(web_t *w, const char *url, const web_allow_t *policy, int timeout_ms, char *err,
                     size_t errlen) {
  int64_t now = util_mono_ms();
  pthread_mutex_lock(&w->probe_mu);
  for (size_t i = 0; !policy && i < sizeof w->probes / sizeof w->probes[0]; i++) {
    if (w->probes[i].at_ms && now - w->probes[i].at_ms < WEB_PROBE_CACHE_MS && strcmp(w->probes[i].url, url) == 0) {
      int ok = w->probes[i].ok;
      snprintf(err, errlen, "%s", w->probes[i].err);
      pthread_mutex_unlock(&w->probe_mu);
      return ok;
    }
  }
  pthread_mutex_unlock(&w->probe_mu);
  web_http_resp_t r = {0};
  web_error_t e = {0};
  int ok = 0;
  char msg[256] = "";
  if (web_http_call("GET", url, NULL, NULL, timeout_ms, policy, &r, &e) != 0)
    snprintf(msg, sizeof msg, "%.250s", e.msg);
  else if (r.status >= 500)
    snprintf(msg, sizeof msg, "%.200s answered HTTP %ld", url, r.status);
  else
    ok = 1;
  web_http_resp_free(&r);
  pthread_mutex_lock(&w->probe_mu);
  size_t slot = 0;
  for (size_t i = 0; i < sizeof w->probes / sizeof w->probes[0]; i++) {
    if (strcmp(w->probes[i].url, url) == 0) {
      slot = i;
      break;
    }
    if (w->probes[i].at_ms < w->probes[slot].at_ms) slot = i;
  }
  snprintf(w->probes[slot].url, sizeof w->probes[slot].url, "%s", url);
  w->probes[slot].at_ms = util_mono_ms();
  w->probes[slot].ok = ok;
  snprintf(w->probes[slot].err, sizeof w->probes[slot].err, "%s", msg);
  pthread_mutex_unlock(&w->probe_mu);
  snprintf(err, errlen, "%s", msg);
  return ok;
}

int web_search_status(web_t *w, const char *user_id, int probe_timeout_ms, json_t **out) {
  web_settings_t s;
  char err[512] = "";
  if (web_settings_load(w, user_id, NULL, &s, err, sizeof err) != 0) {
    *out = json_pack("{s:n, s:b, s:n, s:s}", "provider", "configured", 0, "reachable", "error", err);
    return -1;
  }
  int id = -1;
  for (int i = 0; i < s.norder && id < 0; i++)
    if (web_provider_get(s.order[i])->configured(&s)) id = s.order[i];
  *out = json_pack("{s:s?, s:b, s:s}", "provider", id >= 0 ? web_provider_get(id)->name : NULL, "configured", id >= 0,
                   "source", s.source);
  if (id >= 0 && probe_timeout_ms > 0) {
    int ok = probe_url(w, provider_url(&s, id), web_settings_policy(&s, id), probe_timeout_ms, err, sizeof err);
    json_object_set_new(*out, "reachable", json_boolean(ok));
    if (!ok) json_object_set_new(*out, "error", json_string(err));
  } else {
    json_object_set_new(*out, "reachable", json_null());
  }
  web_settings_free(&s);
  return 0;
}
