/*
 * search.c - settings, per-provider limits, fallback and merging.
 *
 * One query goes to the user's providers in order; the first that answers
 * wins, and the failures before it become warnings. A provider that reports
 * a rate limit (429, or Tavily's plan limits) is left alone for its
 * Retry-After time (30 s when it gives none), so concurrent queries go
 * straight to the fallback instead of hammering it.
 *
 * Each provider has a limiter shared by all threads of one web_t: at most
 * max_concurrency requests in flight and at least min_interval_ms between
 * request starts (Brave's free plan allows one request per second).
 *
 * Merging several queries: results are keyed by a normalised URL (scheme
 * dropped, host lowercased without "www.", default port, fragment, trailing
 * slash and tracking parameters removed, remaining parameters sorted); a
 * result's score is the sum over queries of 1/rank (1 for a first place, 0.5
 * for a second, ...), so a page that several queries find comes first.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "store/users.h"
#include "web/web_internal.h"

/* ---- results helpers --------------------------------------------------------- */

void web_results_add(web_results_t *r, const char *url, const char *title, const char *snippet, const char *engine,
                     const char *published, double score) {
  if (r->n % 16 == 0) {
    r->items = realloc(r->items, (r->n + 16) * sizeof *r->items);
    if (!r->items) abort();
  }
  web_result_t *it = &r->items[r->n++];
  it->url = util_strdup(url ? url : "");
  it->title = util_strdup(title ? title : "");
  it->snippet = util_strdup(snippet ? snippet : "");
  it->engine = util_strdup(engine ? engine : "");
  it->published = published && *published ? util_strdup(published) : NULL;
  it->score = score;
  util_trim(it->title);
  util_trim(it->snippet);
}

void web_results_add_json(web_results_t *r, json_t *items, const char *engine, const char *engine_key,
                          const char *snippet_key, const char *date_key) {
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    const char *u = json_string_value(json_object_get(it, "url"));
    if (!u || !*u) continue;
    char eng[96];
    const char *sub = engine_key ? json_string_value(json_object_get(it, engine_key)) : NULL;
    snprintf(eng, sizeof eng, "%s%s%s", engine, engine_key ? ":" : "", engine_key ? (sub ? sub : "?") : "");
    json_t *sc = json_object_get(it, "score");
    char *snippet = web_strip_tags(json_string_value(json_object_get(it, snippet_key)));
    web_results_add(r, u, json_string_value(json_object_get(it, "title")), snippet, eng,
                    json_string_value(json_object_get(it, date_key)), json_is_number(sc) ? json_number_value(sc) : 0);
    free(snippet);
  }
}

char *web_strip_tags(const char *s) {
  if (!s) return NULL;
  buf_t b = BUF_INIT;
  buf_init(&b);
  int in_tag = 0;
  for (const char *p = s; *p; p++) {
    if (*p == '<' && (isalpha((unsigned char)p[1]) || p[1] == '/'))
      in_tag = 1;
    else if (in_tag && *p == '>')
      in_tag = 0;
    else if (!in_tag)
      buf_putc(&b, *p);
  }
  return buf_detach(&b, NULL);
}

void web_results_warn(web_results_t *r, const char *fmt, ...) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (r->warnings) {
    buf_puts(&b, r->warnings);
    buf_putc(&b, '\n');
    free(r->warnings);
  }
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  r->warnings = buf_detach(&b, NULL);
}

void web_results_free(web_results_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) {
    free(r->items[i].url);
    free(r->items[i].title);
    free(r->items[i].snippet);
    free(r->items[i].engine);
    free(r->items[i].published);
  }
  free(r->items);
  free(r->warnings);
  memset(r, 0, sizeof *r);
}

json_t *web_results_json(const web_results_t *r) {
  json_t *a = json_array();
  for (size_t i = 0; r && i < r->n; i++) {
    const web_result_t *it = &r->items[i];
    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:f}", "url", it->url, "title", it->title, "snippet",
                                       it->snippet, "engine", it->engine, "published_date",
                                       it->published ? json_string(it->published) : json_null(), "score", it->score));
  }
  return a;
}

char *web_url_escape(const char *s) {
  char *e = curl_easy_escape(NULL, s, 0);
  if (!e) abort();
  char *r = util_strdup(e);
  curl_free(e);
  return r;
}

char *web_json_error_text(const char *body) {
  json_t *j = json_loads(body ? body : "", 0, NULL);
  if (!j) return NULL;
  const char *msg = NULL;
  json_t *d = json_object_get(j, "detail");
  if (json_is_string(d)) msg = json_string_value(d);
  if (!msg && json_is_object(d)) msg = json_string_value(json_object_get(d, "error"));
  json_t *err = json_object_get(j, "error");
  if (!msg && json_is_string(err)) msg = json_string_value(err);
  if (!msg && json_is_object(err)) {
    msg = json_string_value(json_object_get(err, "detail"));
    if (!msg) msg = json_string_value(json_object_get(err, "message"));
  }
  if (!msg) msg = json_string_value(json_object_get(j, "message"));
  char *r = NULL;
  if (msg) { /* a short, clean excerpt: never a remote service's answer word for word */
    char ex[256];
    util_excerpt(msg, strlen(msg), 200, ex, sizeof ex);
    r = util_strdup(ex);
  }
  json_decref(j);
  return r;
}

/* ---- URL normalisation --------------------------------------------------------- */

static int tracking_param(const char *p, size_t n) {
  static const char *const names[] = {"fbclid", "gclid",   "dclid",  "msclkid", "mc_cid", "mc_eid",
                                      "_ga",    "ref_src", "igshid", "yclid",   NULL};
  if (n >= 4 && strncasecmp(p, "utm_", 4) == 0) return 1;
  for (const char *const *q = names; *q; q++)
    if (strlen(*q) == n && strncasecmp(p, *q, n) == 0) return 1;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char *web_url_normalise(const char *url) {
  CURLU *u = curl_url();
  if (!u) abort();
  char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    buf_puts(&b, url);
    for (size_t i = 0; i < b.len; i++) b.data[i] = (char)tolower((unsigned char)b.data[i]);
    goto done;
  }
  for (char *p = host; *p; p++) *p = (char)tolower((unsigned char)*p);
  buf_puts(&b, util_starts_with(host, "www.") ? host + 4 : host);
  if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port) { /* only a non-default port is returned */
    char *scheme = NULL;
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    int dflt = scheme && ((strcasecmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
                          (strcasecmp(scheme, "https") == 0 && strcmp(port, "443") == 0));
    if (!dflt) buf_printf(&b, ":%s", port);
    curl_free(scheme);
  }
  if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path) {
    size_t l = strlen(path);
    while (l > 1 && path[l - 1] == '/') l--;
    if (!(l == 1 && path[0] == '/')) buf_append(&b, path, l);
  }
  if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query && *query) {
    char *params[64];
    int np = 0;
    char *save = NULL;
    for (char *t = strtok_r(query, "&", &save); t && np < 64; t = strtok_r(NULL, "&", &save)) {
      size_t nl = strcspn(t, "=");
      if (!*t || tracking_param(t, nl)) continue;
      params[np++] = t;
    }
    qsort(params, (size_t)np, sizeof params[0], cmp_str);
    for (int i = 0; i < np; i++) buf_printf(&b, "%c%s", i ? '&' : '?', params[i]);
  }
done:
  curl_free(host);
  curl_free(port);
  curl_free(path);
  curl_free(query);
  curl_url_cleanup(u);
  return buf_detach(&b, NULL);
}

/* ---- settings -------------------------------------------------------------------- */

int web_names_list(json_t *v, const char *what, char **out, char *err, size_t errlen) {
  *out = NULL;
  if (json_is_string(v)) {
    *out = util_strdup(json_string_value(v));
    return 0;
  }
  if (!json_is_array(v)) return 0;
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t i;
  json_t *name;
  json_array_foreach(v, i, name) {
    if (!json_is_string(name)) {
      snprintf(err, errlen, "%s must be a list of names", what);
      buf_free(&b);
      return -1;
    }
    buf_printf(&b, "%s,", json_string_value(name));
  }
  *out = buf_detach(&b, NULL);
  return 0;
}

int web_queries_check(const char *const *queries, size_t nqueries, char *err, size_t errlen) {
  if (nqueries == 0) {
    snprintf(err, errlen, "no search query given");
    return -1;
  }
  for (size_t i = 0; i < nqueries; i++) {
    if (!queries[i] || !queries[i][0] || strlen(queries[i]) > 1000 ||
        !util_utf8_valid(queries[i], strlen(queries[i]))) {
      snprintf(err, errlen, "search query %zu is empty, longer than 1000 bytes or not UTF-8", i + 1);
      return -1;
    }
  }
  return 0;
}

void web_settings_free(web_settings_t *s) {
  if (!s) return;
  free(s->searxng_url);
  free(s->tavily_url);
  free(s->tavily_key);
  free(s->brave_url);
  free(s->brave_key);
  memset(s, 0, sizeof *s);
}

static const web_provider_t *const PROVIDERS[WEB_NPROV] = {&web_provider_searxng, &web_provider_tavily,
                                                           &web_provider_brave};

const web_provider_t *web_provider_get(int id) {
  return id >= 0 && id < WEB_NPROV ? PROVIDERS[id] : NULL;
}

int web_provider_id(const char *name) {
  for (int i = 0; i < WEB_NPROV; i++)
    if (strcasecmp(PROVIDERS[i]->name, name) == 0) return i;
  return -1;
}

static int set_order(web_settings_t *s, const char *list, char *err, size_t errlen) {
  char *copy = util_strdup(list);
  char *save = NULL;
  s->norder = 0;
  int rc = 0;
  for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
    int id = web_provider_id(t);
    if (id < 0) {
      snprintf(err, errlen, "unknown search provider '%.40s' (known: searxng, tavily, brave)", t);
      rc = -1;
      break;
    }
    int dup = 0;
    for (int i = 0; i < s->norder; i++) dup |= s->order[i] == id;
    if (!dup) s->order[s->norder++] = id;
  }
  free(copy);
  return rc;
}

static int take_url(char **field, json_t *doc, const char *name, char *err, size_t errlen) {
  json_t *v = json_object_get(doc, name);
  if (!v || json_is_null(v)) return 0;
  const char *s = json_string_value(v);
  if (!s) {
    snprintf(err, errlen, "search settings: %s must be a string", name);
    return -1;
  }
  if (*s && !util_starts_with(s, "http://") && !util_starts_with(s, "https://")) {
    snprintf(err, errlen, "search settings: %s must be an http:// or https:// URL", name);
    return -1;
  }
  free(*field);
  *field = util_strdup(s);
  return 0;
}

void web_take_key(char **field, json_t *doc, const char *name) {
  const char *s = json_string_value(json_object_get(doc, name));
  if (!s || strcmp(s, "********") == 0) return; /* absent or a mask: keep what we have */
  free(*field);
  *field = util_strdup(s);
}

void web_search_layers(web_t *w, const char *user_id, json_t *layers[]) {
  for (int l = 0; l < LLM_LAYERS; l++) layers[l] = NULL;
  if (w->llm)
    llm_settings_layers(w->llm, user_id, "search", layers);
  else if (user_id && w->st)
    store_setting_get(w->st, user_id, "search", &layers[LLM_LAYER_USER]);
}

/* Applies one settings document (user's stored one, or a test override). */
static int apply_doc(web_settings_t *s, json_t *doc, char *err, size_t errlen) {
  if (!json_is_object(doc)) return 0;
  if (take_url(&s->searxng_url, doc, "searxng_url", err, errlen) ||
      take_url(&s->tavily_url, doc, "tavily_url", err, errlen) ||
      take_url(&s->brave_url, doc, "brave_url", err, errlen))
    return -1;
  web_take_key(&s->tavily_key, doc, "tavily_api_key");
  web_take_key(&s->brave_key, doc, "brave_api_key");
  json_t *t = json_object_get(doc, "timeout_seconds");
  if (json_is_integer(t) && json_integer_value(t) >= 1 && json_integer_value(t) <= 300)
    s->timeout_ms = (int)json_integer_value(t) * 1000;
  json_t *p = json_object_get(doc, "providers");
  char *names = NULL;
  if (web_names_list(p, "search settings: providers", &names, err, errlen)) return -1;
  int rc = names ? set_order(s, names, err, errlen) : 0;
  free(names);
  return rc;
}

static void snapshot_urls(const web_settings_t *s, char *before[WEB_NPROV]) {
  before[WEB_PROV_SEARXNG] = util_strdup(s->searxng_url);
  before[WEB_PROV_TAVILY] = util_strdup(s->tavily_url);
  before[WEB_PROV_BRAVE] = util_strdup(s->brave_url);
}

int web_settings_load(web_t *w, const char *user_id, json_t *override, web_settings_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const config_t *cfg = w->cfg;
  char *before[WEB_NPROV] = {NULL};
  out->searxng_url = util_strdup(config_get(cfg, "SEARXNG_URL"));
  out->tavily_url = util_strdup(config_get(cfg, "TAVILY_URL"));
  out->tavily_key = util_strdup(config_get(cfg, "TAVILY_API_KEY"));
  out->brave_url = util_strdup(config_get(cfg, "BRAVE_URL"));
  out->brave_key = util_strdup(config_get(cfg, "BRAVE_API_KEY"));
  out->timeout_ms = w->timeout_ms;
  const char *env_order = config_get(cfg, "SEARCH_PROVIDERS");
  if (env_order[0]) {
    if (set_order(out, env_order, err, errlen) != 0) goto fail;
  } else {
    for (int i = 0; i < WEB_NPROV; i++) out->order[out->norder++] = i;
  }
  out->outbound = &w->outbound;
  snprintf(out->source, sizeof out->source, "env");
  /* Server defaults, then the user's own; API keys in stored settings are
   * sealed by the model layer, which opens them. */
  json_t *layers[LLM_LAYERS];
  web_search_layers(w, user_id, layers);
  int rc = 0;
  for (int l = 0; l < LLM_LAYERS; l++) {
    /* The URLs before the user's own settings (and an unsaved test) apply:
     * a URL the user changes is theirs, and checked unless they are an
     * admin; the environment's and the server defaults' are trusted. */
    if (l == LLM_LAYER_USER) snapshot_urls(out, before);
    if (rc == 0 && json_object_size(layers[l])) {
      rc = apply_doc(out, layers[l], err, errlen);
      snprintf(out->source, sizeof out->source, "%s", LLM_LAYER_NAMES[l]);
    }
    json_decref(layers[l]);
  }
  if (rc != 0) goto fail;
  if (override && apply_doc(out, override, err, errlen) != 0) goto fail;
  const char *after[WEB_NPROV] = {out->searxng_url, out->tavily_url, out->brave_url};
  int admin = -1; /* asked only when a URL changed */
  for (int i = 0; i < WEB_NPROV; i++) {
    if (strcmp(before[i], after[i]) == 0) continue;
    if (admin < 0) admin = store_user_is_admin(w->st, user_id);
    if (!admin) out->untrusted |= 1u << i;
  }
  for (int i = 0; i < WEB_NPROV; i++) free(before[i]);
  return 0;
fail:
  for (int i = 0; i < WEB_NPROV; i++) free(before[i]);
  web_settings_free(out);
  return -1;
}

const web_allow_t *web_settings_policy(const web_settings_t *s, int id) {
  return s->untrusted & (1u << id) ? s->outbound : NULL;
}

/* ---- limiter ---------------------------------------------------------------------- */

void web_limiter_init(web_limiter_t *l, int max_inflight, int min_interval_ms) {
  pthread_mutex_init(&l->mu, NULL);
  util_cond_init_monotonic(&l->cv);
  l->max_inflight = max_inflight;
  l->min_interval_ms = min_interval_ms;
  l->inflight = 0;
  l->next_start_ms = 0;
  l->cooldown_until = 0;
}

void web_limiter_destroy(web_limiter_t *l) {
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
}

static int lim_acquire(web_limiter_t *l, const char *name, int64_t deadline, web_error_t *e) {
  pthread_mutex_lock(&l->mu);
  int64_t now = util_mono_ms();
  if (l->cooldown_until > now) {
    web_error_set(e, WEB_E_RATE, "%s is rate-limited for %lld more seconds", name,
                  (long long)((l->cooldown_until - now + 999) / 1000));
    pthread_mutex_unlock(&l->mu);
    return -1;
  }
  while (l->inflight >= l->max_inflight) {
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) != 0 && util_mono_ms() >= deadline) {
      web_error_set(e, WEB_E_RATE, "%s is busy (too many requests in flight)", name);
      pthread_mutex_unlock(&l->mu);
      return -1;
    }
  }
  l->inflight++;
  now = util_mono_ms();
  int64_t start = l->next_start_ms > now ? l->next_start_ms : now;
  l->next_start_ms = start + l->min_interval_ms;
  pthread_mutex_unlock(&l->mu);
  if (start > now) util_sleep_ms(start - now);
  return 0;
}

static void lim_release(web_limiter_t *l, int64_t cooldown_ms) {
  pthread_mutex_lock(&l->mu);
  l->inflight--;
  if (cooldown_ms > 0) l->cooldown_until = util_mono_ms() + cooldown_ms;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

int web_limiter_acquire(web_limiter_t *l, const char *name, int64_t deadline, web_error_t *e) {
  return lim_acquire(l, name, deadline, e);
}

void web_limiter_release(web_limiter_t *l, int64_t cooldown_ms) {
  lim_release(l, cooldown_ms);
}

/* ---- one query with fallback ------------------------------------------------------ */

int web_search_one(web_t *w, const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                   int only_provider, char *err, size_t errlen) {
  buf_t errs = BUF_INIT;
  buf_init(&errs);
  int tried = 0;
  /* testing one provider tries it even when it is not in the order */
  int single[1] = {only_provider};
  const int *order = only_provider >= 0 ? single : s->order;
  int norder = only_provider >= 0 ? 1 : s->norder;
  for (int i = 0; i < norder; i++) {
    int id = order[i];
    const web_provider_t *p = PROVIDERS[id];
    if (!p->configured(s)) {
      if (only_provider >= 0) buf_printf(&errs, "%s is not configured; ", p->name);
      continue;
    }
    tried++;
    web_error_t e = {0};
    web_results_t tmp = {0};
    int64_t t0 = util_mono_ms();
    if (lim_acquire(&w->lim[id], p->name, t0 + s->timeout_ms, &e) != 0) {
      buf_printf(&errs, "%s; ", e.msg);
      continue;
    }
    int rc = p->search(s, query, o, &tmp, &e);
    int64_t cooldown = 0;
    if (rc != 0 && e.kind == WEB_E_RATE) cooldown = e.retry_after_ms > 0 ? e.retry_after_ms : 30000;
    lim_release(&w->lim[id], cooldown);
    if (rc == 0) {
      log_debug("web", "%s answered '%.60s' with %zu results in %lld ms", p->name, query, tmp.n,
                (long long)(util_mono_ms() - t0));
      if (errs.len) {
        buf_truncate(&errs, errs.len - 2);
        web_results_warn(&tmp, "%s (answered by %s instead)", errs.data, p->name);
      }
      snprintf(tmp.provider, sizeof tmp.provider, "%s", p->name);
      *out = tmp;
      buf_free(&errs);
      return 0;
    }
    log_warn("web", "search provider %s failed: %s", p->name, e.msg);
    web_results_free(&tmp);
    buf_printf(&errs, "%s; ", e.msg);
  }
  if (!tried && !errs.len) {
    snprintf(err, errlen,
             "no search provider is configured: set SEARXNG_URL, TAVILY_API_KEY or BRAVE_API_KEY, or the search "
             "settings (providers, searxng_url, tavily_api_key, brave_api_key)");
  } else {
    if (errs.len >= 2) buf_truncate(&errs, errs.len - 2);
    snprintf(err, errlen, "%s", errs.data);
  }
  buf_free(&errs);
  return -1;
}
