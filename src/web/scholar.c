/*
 * scholar.c - scholarly search: settings, the five providers' requests,
 * per-provider rate limits, 429 handling, merging. See scholar.h.
 *
 * Every query goes to every enabled provider (they cover different
 * literatures, so unlike web search this is not first-answer-wins); one
 * thread per provider walks the queries in order, so a provider's own
 * limiter (web_limiter_t, shared by all callers of one web_t) is what spaces
 * its requests: arXiv asks for one request every 3 s on one connection.
 *
 * A 429 is retried once after its Retry-After when that is short
 * (SCHOLAR_MAX_RETRY_WAIT_MS); otherwise, or when the retry is refused too,
 * the provider is left alone for the Retry-After time (30 s when none) and
 * the mission goes on with the answers of the others (a warning says so).
 *
 * Provider calls use the same HTTP helper and policy as the web search
 * providers (web_http_call): their base URLs come from the administrator or
 * the user, never from search results. Full texts found through the results
 * (PDF links) are read with web_fetch_page, under the fetch address policy.
 */
#include "web/scholar.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/stopwords.h"
#include "base/util.h"
#include "llm/llm.h"
#include "store/users.h"
#include "store/webcache.h"
#include "web/web_internal.h"

#define RATE_COOLDOWN_MS 30000

typedef struct {
  int enabled[SCHOLAR_NPROV];
  char *base[SCHOLAR_NPROV];
  char *arxiv_pdf;
  char *email;
  char *openalex_key, *s2_key, *pubmed_key;
  int timeout_ms;
} scholar_settings_t;

typedef struct {
  const char *name;
  const char *url_setting; /* config name of the base URL */
  int max_concurrency;
  int min_interval_ms; /* the service's documented limit */
} scholar_provider_t;

static const scholar_provider_t PROVIDERS[SCHOLAR_NPROV] = {
    {"arxiv", "ARXIV_URL", 1, 3000},      {"openalex", "OPENALEX_URL", 4, 100},
    {"crossref", "CROSSREF_URL", 3, 100}, {"semantic_scholar", "SEMANTIC_SCHOLAR_URL", 1, 1000},
    {"pubmed", "PUBMED_URL", 1, 334},
};

const char *scholar_provider_name(int id) {
  return id >= 0 && id < SCHOLAR_NPROV ? PROVIDERS[id].name : NULL;
}

int scholar_provider_id(const char *name) {
  for (int i = 0; name && i < SCHOLAR_NPROV; i++)
    if (strcasecmp(PROVIDERS[i].name, name) == 0) return i;
  return -1;
}

/* ---- papers --------------------------------------------------------------------- */

#define PAPER_FIELDS(X) \
  X(provider) X(title) X(authors) X(year) X(venue) X(doi) X(arxiv_id) X(pmid) X(abstract) X(pdf_url) X(url)

static void paper_free(scholar_paper_t *p) {
#define FREE_FIELD(f) free(p->f);
  PAPER_FIELDS(FREE_FIELD)
#undef FREE_FIELD
  memset(p, 0, sizeof *p);
}

void scholar_papers_free(scholar_papers_t *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) paper_free(&p->v[i]);
  free(p->v);
  free(p->warnings);
  memset(p, 0, sizeof *p);
}

scholar_paper_t *scholar_papers_add(scholar_papers_t *p) {
  if (p->n % 16 == 0) {
    p->v = realloc(p->v, (p->n + 16) * sizeof *p->v);
    if (!p->v) abort();
  }
  scholar_paper_t *x = &p->v[p->n++];
  memset(x, 0, sizeof *x);
  return x;
}

static void papers_warn(scholar_papers_t *p, const char *msg) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (p->warnings) buf_printf(&b, "%s\n", p->warnings);
  buf_puts(&b, msg);
  free(p->warnings);
  p->warnings = buf_detach(&b, NULL);
}

json_t *scholar_paper_json(const scholar_paper_t *p) {
  json_t *o = json_object();
#define SET_FIELD(f) \
  if (p->f && p->f[0]) json_object_set_new(o, #f, json_string(p->f));
  PAPER_FIELDS(SET_FIELD)
#undef SET_FIELD
  return o;
}

/* The inverse of scholar_paper_json (cache entries). */
static void paper_from_json(json_t *o, scholar_paper_t *p) {
#define GET_FIELD(f)                                           \
  {                                                            \
    const char *v = json_string_value(json_object_get(o, #f)); \
    p->f = v && *v ? util_strdup(v) : NULL;                    \
  }
  PAPER_FIELDS(GET_FIELD)
#undef GET_FIELD
}

char *scholar_norm_title(const char *title) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  int space = 0;
  for (const unsigned char *p = (const unsigned char *)(title ? title : ""); *p; p++) {
    if (isalnum(*p) || *p >= 0x80) {
      if (space && b.len) buf_putc(&b, ' ');
      space = 0;
      buf_putc(&b, (char)tolower(*p));
    } else {
      space = 1;
    }
  }
  return buf_detach(&b, NULL);
}

static int higher_score(const void *a, const void *b) {
  return ((const scholar_paper_t *)a)->score > ((const scholar_paper_t *)b)->score;
}

static int same_paper(const scholar_paper_t *a, const scholar_paper_t *b, const char *ta, const char *tb) {
  if (a->doi && b->doi) return strcmp(a->doi, b->doi) == 0;
  if (a->arxiv_id && b->arxiv_id) return strcasecmp(a->arxiv_id, b->arxiv_id) == 0;
  return strlen(ta) >= 12 && strcmp(ta, tb) == 0;
}

static void take_missing(scholar_paper_t *have, scholar_paper_t *dup) {
#define TAKE(f)             \
  if (!have->f && dup->f) { \
    have->f = dup->f;       \
    dup->f = NULL;          \
  }
  PAPER_FIELDS(TAKE)
#undef TAKE
  /* an abstract beats no abstract, a longer one a truncated one */
  if (dup->abstract && have->abstract && strlen(dup->abstract) > strlen(have->abstract) * 2) {
    free(have->abstract);
    have->abstract = dup->abstract;
    dup->abstract = NULL;
  }
  if (dup->provider && have->provider && !strstr(have->provider, dup->provider)) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    buf_printf(&b, "%s+%s", have->provider, dup->provider);
    free(have->provider);
    have->provider = buf_detach(&b, NULL);
  }
}

void scholar_merge(scholar_papers_t *in, scholar_papers_t *out) {
  char **titles = calloc(in->n + out->n + 1, sizeof *titles);
  if (!titles) abort();
  for (size_t i = 0; i < out->n; i++) titles[i] = scholar_norm_title(out->v[i].title);
  for (size_t i = 0; i < in->n; i++) {
    scholar_paper_t *p = &in->v[i];
    char *t = scholar_norm_title(p->title);
    size_t found = out->n;
    for (size_t k = 0; k < out->n && found == out->n; k++)
      if (same_paper(&out->v[k], p, titles[k], t)) found = k;
    if (found < out->n) {
      out->v[found].score += p->score;
      take_missing(&out->v[found], p);
      paper_free(p);
      free(t);
      continue;
    }
    scholar_paper_t *dst = scholar_papers_add(out);
    *dst = *p;
    memset(p, 0, sizeof *p);
    titles[out->n - 1] = t;
  }
  for (size_t i = 0; i < out->n; i++) free(titles[i]);
  free(titles);
  if (in->warnings) papers_warn(out, in->warnings);
  scholar_papers_free(in);
  /* stable by score, descending */
  util_sort_stable(out->v, out->n, sizeof out->v[0], higher_score);
}

/* ---- settings -------------------------------------------------------------------- */

static void settings_free(scholar_settings_t *s) {
  for (int i = 0; i < SCHOLAR_NPROV; i++) free(s->base[i]);
  free(s->arxiv_pdf);
  free(s->email);
  free(s->openalex_key);
  free(s->s2_key);
  free(s->pubmed_key);
  memset(s, 0, sizeof *s);
}

/* Enables the providers named in list (JSON array or comma string). */
static int set_enabled(scholar_settings_t *s, json_t *list, char *err, size_t errlen) {
  char *joined = NULL;
  if (web_names_list(list, "scholarly providers", &joined, err, errlen)) return -1;
  if (!joined) return 0;
  int on[SCHOLAR_NPROV] = {0};
  char *save = NULL;
  int rc = 0;
  for (char *t = strtok_r(joined, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
    int id = scholar_provider_id(t);
    if (id < 0) {
      snprintf(err, errlen,
               "unknown scholarly provider '%.40s' (known: arxiv, openalex, crossref, semantic_scholar, pubmed)", t);
      rc = -1;
      break;
    }
    on[id] = 1;
  }
  free(joined);
  if (rc == 0) memcpy(s->enabled, on, sizeof on);
  return rc;
}

static int apply_doc(scholar_settings_t *s, json_t *doc, char *err, size_t errlen) {
  if (!json_is_object(doc)) return 0;
  web_take_key(&s->email, doc, "contact_email");
  web_take_key(&s->openalex_key, doc, "openalex_api_key");
  web_take_key(&s->s2_key, doc, "semantic_scholar_api_key");
  web_take_key(&s->pubmed_key, doc, "pubmed_api_key");
  if (s->email &&
      (strlen(s->email) > 200 || strpbrk(s->email, " \t\r\n&?#") || (*s->email && !strchr(s->email, '@')))) {
    snprintf(err, errlen, "search settings: contact_email must be an e-mail address");
    return -1;
  }
  return set_enabled(s, json_object_get(doc, "scholarly_providers"), err, errlen);
}

int scholar_check_settings(json_t *doc, char *err, size_t errlen) {
  scholar_settings_t s;
  memset(&s, 0, sizeof s);
  json_t *p = json_object_get(doc, "scholarly_providers");
  int rc = 0;
  if (p && !json_is_null(p) && !json_is_string(p) && !json_is_array(p)) {
    snprintf(err, errlen, "search settings: scholarly_providers must be a list of provider names");
    rc = -1;
  }
  const char *const strs[] = {"contact_email", "openalex_api_key", "semantic_scholar_api_key", "pubmed_api_key", NULL};
  for (const char *const *k = strs; rc == 0 && *k; k++) {
    json_t *v = json_object_get(doc, *k);
    if (v && !json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 500)) {
      snprintf(err, errlen, "search settings: %s must be a string (at most 500 characters)", *k);
      rc = -1;
    }
  }
  if (rc == 0) rc = apply_doc(&s, doc, err, errlen);
  settings_free(&s);
  return rc;
}

static int settings_load(web_t *w, const char *user_id, json_t *providers, scholar_settings_t *s, char *err,
                         size_t errlen) {
  memset(s, 0, sizeof *s);
  const config_t *cfg = w->cfg;
  for (int i = 0; i < SCHOLAR_NPROV; i++) s->base[i] = util_strdup(config_get(cfg, PROVIDERS[i].url_setting));
  s->arxiv_pdf = util_strdup(config_get(cfg, "ARXIV_PDF_URL"));
  s->email = util_strdup(config_get(cfg, "SCHOLARLY_CONTACT_EMAIL"));
  s->openalex_key = util_strdup(config_get(cfg, "OPENALEX_API_KEY"));
  s->s2_key = util_strdup(config_get(cfg, "SEMANTIC_SCHOLAR_API_KEY"));
  s->pubmed_key = util_strdup(config_get(cfg, "PUBMED_API_KEY"));
  s->timeout_ms = w->timeout_ms;
  json_t *env = json_string(config_get(cfg, "SCHOLARLY_PROVIDERS"));
  int rc = set_enabled(s, env, err, errlen);
  json_decref(env);
  json_t *layers[LLM_LAYERS];
  web_search_layers(w, user_id, layers);
  for (int l = 0; l < LLM_LAYERS; l++) {
    if (rc == 0) rc = apply_doc(s, layers[l], err, errlen);
    json_decref(layers[l]);
  }
  if (rc == 0 && json_array_size(providers)) rc = set_enabled(s, providers, err, errlen);
  if (rc != 0) settings_free(s);
  return rc;
}

void scholar_status(web_t *w, const char *user_id, json_t *providers, json_t **out) {
  scholar_settings_t s;
  char err[300] = "";
  json_t *names = json_array();
  if (settings_load(w, user_id, providers, &s, err, sizeof err) != 0) {
    *out = json_pack("{s:o, s:b, s:s}", "providers", names, "contact_email", 0, "error", err);
    return;
  }
  for (int i = 0; i < SCHOLAR_NPROV; i++)
    if (s.enabled[i]) json_array_append_new(names, json_string(PROVIDERS[i].name));
  *out = json_pack("{s:o, s:b}", "providers", names, "contact_email", s.email && s.email[0]);
  settings_free(&s);
}

/* ---- limiters ------------------------------------------------------------------- */

void scholar_limiters_init(web_t *w) {
  long long over = config_int(w->cfg, "SCHOLARLY_MIN_INTERVAL_MS");
  for (int i = 0; i < SCHOLAR_NPROV; i++)
    web_limiter_init(&w->scholar_lim[i], PROVIDERS[i].max_concurrency,
                     over >= 0 ? (int)over : PROVIDERS[i].min_interval_ms);
}

void scholar_limiters_destroy(web_t *w) {
  for (int i = 0; i < SCHOLAR_NPROV; i++) web_limiter_destroy(&w->scholar_lim[i]);
}

/* One GET under the provider's limiter; a 429 with a short Retry-After is
 * retried once. 0 with resp filled (any status but a final 429), -1 with e. */
static int limited_get(web_t *w, int id, const scholar_settings_t *s, const char *url, const char *const *headers,
                       web_http_resp_t *resp, web_error_t *e) {
  web_limiter_t *lim = &w->scholar_lim[id];
  const char *name = PROVIDERS[id].name;
  for (int attempt = 0;; attempt++) {
    if (web_limiter_acquire(lim, name, util_mono_ms() + s->timeout_ms, e) != 0) return -1;
    int rc = web_http_call("GET", url, headers, NULL, s->timeout_ms, NULL /* base URLs come from the environment only */, resp,
                           e);
    int limited = rc == 0 && resp->status == 429;
    int64_t wait = limited ? resp->retry_after_ms : 0;
    if (limited && attempt == 0 && wait <= SCHOLAR_MAX_RETRY_WAIT_MS) {
      web_limiter_release(lim, 0);
      log_info("web", "%s answered 429; retrying once in %lld ms", name, (long long)wait);
      web_http_resp_free(resp);
      util_sleep_ms(wait > 0 ? wait : 1000);
      continue;
    }
    if (limited) {
      char *detail = web_json_error_text(resp->body.data);
      web_error_set(e, WEB_E_RATE, "%s is rate-limiting us (HTTP 429%s%.200s)", name, detail ? ": " : "",
                    detail ? detail : "");
      free(detail);
      e->retry_after_ms = wait > 0 ? wait : RATE_COOLDOWN_MS;
      web_limiter_release(lim, e->retry_after_ms);
      web_http_resp_free(resp);
      return -1;
    }
    web_limiter_release(lim, 0);
    if (rc != 0) {
      web_error_prefix(e, name);
      web_http_resp_free(resp);
    }
    return rc;
  }
}

/* ---- the providers ------------------------------------------------------------------ */

/* arXiv's query language ANDs fielded terms; a natural-language question
 * would match nothing as one phrase, so its content words are ANDed. */
static char *arxiv_query(const char *q) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  char *copy = util_strdup(q);
  char *save = NULL;
  int n = 0;
  for (char *t = strtok_r(copy, " \t\n,.;:?!()\"'", &save); t && n < 5; t = strtok_r(NULL, " \t\n,.;:?!()\"'", &save)) {
    if (strlen(t) < 3) continue;
    if (stopword_is(NULL, t, strlen(t)) || stopword_is_request(t, strlen(t))) continue;
    buf_printf(&b, "%sall:%s", n ? " AND " : "", t);
    n++;
  }
  free(copy);
  if (!n) buf_printf(&b, "all:%s", q);
  return buf_detach(&b, NULL);
}

typedef int (*parse_fn)(const char *, size_t, long, scholar_papers_t *, char *, size_t);

static int get_and_parse(web_t *w, int id, const scholar_settings_t *s, const char *url, const char *const *headers,
                         parse_fn parse, scholar_papers_t *out, web_error_t *e) {
  web_http_resp_t r = {0};
  if (limited_get(w, id, s, url, headers, &r, e) != 0) return -1;
  char msg[512] = "";
  int rc = parse(r.body.data ? r.body.data : "", r.body.len, r.status, out, msg, sizeof msg);
  if (rc != 0) {
    web_error_set(e, r.status == 401 || r.status == 403 ? WEB_E_AUTH : WEB_E_HTTP, "%s", msg);
    log_warn("web", "%s: %s", PROVIDERS[id].name, msg);
  }
  web_http_resp_free(&r);
  return rc;
}

static int search_provider(web_t *w, int id, const scholar_settings_t *s, const char *q, int n, scholar_papers_t *out,
                           web_error_t *e) {
  buf_t url = BUF_INIT;
  buf_init(&url);
  web_base_url(&url, s->base[id]);
  char *eq = web_url_escape(q);
  const char *json_hdr[] = {"Accept: application/json", NULL, NULL};
  char keyhdr[600];
  int rc = -1;
  switch (id) {
    case SCHOLAR_ARXIV: {
      char *aq = arxiv_query(q);
      char *eaq = web_url_escape(aq);
      buf_printf(&url, "/api/query?search_query=%s&start=0&max_results=%d&sortBy=relevance&sortOrder=descending", eaq,
                 n);
      free(aq);
      free(eaq);
      const char *hdr[] = {"Accept: application/atom+xml", NULL};
      rc = get_and_parse(w, id, s, url.data, hdr, scholar_parse_arxiv, out, e);
      break;
    }
    case SCHOLAR_OPENALEX:
      buf_printf(&url, "/works?search=%s&per_page=%d", eq, n);
      web_url_param(&url, "mailto", s->email);
      web_url_param(&url, "api_key", s->openalex_key);
      rc = get_and_parse(w, id, s, url.data, json_hdr, scholar_parse_openalex, out, e);
      break;
    case SCHOLAR_CROSSREF:
      buf_printf(&url, "/works?query=%s&rows=%d", eq, n);
      web_url_param(&url, "mailto", s->email);
      rc = get_and_parse(w, id, s, url.data, json_hdr, scholar_parse_crossref, out, e);
      break;
    case SCHOLAR_SEMANTIC_SCHOLAR:
      buf_printf(&url,
                 "/graph/v1/paper/search?query=%s&limit=%d&fields=title,abstract,authors,year,venue,journal,"
                 "externalIds,openAccessPdf,url,publicationDate",
                 eq, n);
      if (s->s2_key && *s->s2_key && !strpbrk(s->s2_key, "\r\n")) {
        snprintf(keyhdr, sizeof keyhdr, "x-api-key: %.500s", s->s2_key);
        json_hdr[1] = keyhdr;
      }
      rc = get_and_parse(w, id, s, url.data, json_hdr, scholar_parse_semantic_scholar, out, e);
      break;
    case SCHOLAR_PUBMED: {
      buf_t common = BUF_INIT;
      buf_init(&common);
      buf_puts(&common, "&tool=maestro");
      web_url_param(&common, "email", s->email);
      web_url_param(&common, "api_key", s->pubmed_key);
      buf_printf(&url, "/entrez/eutils/esearch.fcgi?db=pubmed&retmode=json&retmax=%d&term=%s%s", n, eq, common.data);
      web_http_resp_t r = {0};
      if (limited_get(w, id, s, url.data, json_hdr, &r, e) != 0) {
        buf_free(&common);
        break;
      }
      json_t *ids = NULL;
      char msg[512];
      if (scholar_parse_pubmed_esearch(r.body.data ? r.body.data : "", r.body.len, r.status, &ids, msg, sizeof msg) !=
          0) {
        web_error_set(e, WEB_E_HTTP, "%s", msg);
        web_http_resp_free(&r);
        buf_free(&common);
        break;
      }
      web_http_resp_free(&r);
      if (!json_array_size(ids)) {
        rc = 0;
      } else {
        buf_t list = BUF_INIT;
        buf_init(&list);
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v) {
          const char *pm = json_string_value(v);
          if (strspn(pm, "0123456789") == strlen(pm)) buf_printf(&list, "%s%s", list.len ? "," : "", pm);
        }
        buf_truncate(&url, 0);
        web_base_url(&url, s->base[id]);
        buf_printf(&url, "/entrez/eutils/efetch.fcgi?db=pubmed&retmode=xml&id=%s%s", list.data ? list.data : "",
                   common.data);
        buf_free(&list);
        const char *xml_hdr[] = {"Accept: application/xml", NULL};
        rc = get_and_parse(w, id, s, url.data, xml_hdr, scholar_parse_pubmed_efetch, out, e);
      }
      json_decref(ids);
      buf_free(&common);
      break;
    }
    default:
      web_error_set(e, WEB_E_CONFIG, "unknown scholarly provider %d", id);
  }
  free(eq);
  buf_free(&url);
  return rc;
}

/* ---- search ----------------------------------------------------------------------- */

typedef struct {
  web_t *w;
  const scholar_settings_t *s;
  int id;
  const char *const *queries;
  size_t nq;
  int per_query;
  scholar_papers_t got;
  int answered;
  int cached; /* answers taken from the cache */
  char err[600];
} prov_job_t;

/* Cache of one provider's answer to one query: public data, shared by all
 * users (user_id NULL), keyed by provider, base URL, size and query, kept
 * WEB_CACHE_TTL_HOURS like web search answers. Mission rounds ask the same
 * questions again; arXiv would make each repeat cost 3 s. */
static void answer_key(const prov_job_t *j, const char *q, char out[65]) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_printf(&b, "scholar\n%s\n%s\n%d\n%s", PROVIDERS[j->id].name, j->s->base[j->id], j->per_query, q);
  unsigned char h[32];
  crypto_generichash(h, sizeof h, (const unsigned char *)b.data, b.len, NULL, 0);
  sodium_bin2hex(out, 65, h, sizeof h);
  buf_free(&b);
}

static int answer_cached(const prov_job_t *j, const char *key, scholar_papers_t *out) {
  web_t *w = j->w;
  if (!w->st || w->cache_ttl_ms <= 0) return 0;
  json_t *a = NULL;
  char *warn = NULL;
  char prov[16];
  int hit = store_webcache_search_get(w->st, key, util_now_ms(), &a, &warn, prov) == STORE_OK && json_is_array(a);
  size_t i;
  json_t *o;
  if (hit) json_array_foreach(a, i, o) paper_from_json(o, scholar_papers_add(out));
  json_decref(a);
  free(warn);
  return hit;
}

static void answer_store(const prov_job_t *j, const char *key, const char *q, const scholar_papers_t *papers) {
  web_t *w = j->w;
  if (!w->st || w->cache_ttl_ms <= 0) return;
  json_t *a = json_array();
  for (size_t i = 0; i < papers->n; i++) json_array_append_new(a, scholar_paper_json(&papers->v[i]));
  int64_t now = util_now_ms();
  store_webcache_search_put(w->st, key, NULL, q, "scholar", a, NULL, now, now + w->cache_ttl_ms);
  json_decref(a);
}

static void *prov_worker(void *arg) {
  prov_job_t *j = arg;
  for (size_t q = 0; q < j->nq; q++) {
    scholar_papers_t one = {0};
    web_error_t e = {0};
    char key[65];
    answer_key(j, j->queries[q], key);
    int from_cache = answer_cached(j, key, &one);
    if (!from_cache && search_provider(j->w, j->id, j->s, j->queries[q], j->per_query, &one, &e) != 0) {
      scholar_papers_free(&one);
      snprintf(j->err, sizeof j->err, "%.590s", e.msg);
      if (e.kind == WEB_E_RATE || e.kind == WEB_E_AUTH || e.kind == WEB_E_NET || e.kind == WEB_E_TIMEOUT) break;
      continue;
    }
    j->answered++;
    j->cached += from_cache;
    while (one.n > (size_t)j->per_query) paper_free(&one.v[--one.n]);
    if (!from_cache) answer_store(j, key, j->queries[q], &one);
    for (size_t i = 0; i < one.n; i++) one.v[i].score = 1.0 / (double)(i + 1);
    scholar_merge(&one, &j->got);
  }
  return NULL;
}

/* arXiv papers read their PDF from ARXIV_PDF_URL (a mirror, or a test fake). */
static void arxiv_pdf_links(const scholar_settings_t *s, scholar_papers_t *out) {
  for (size_t i = 0; i < out->n; i++) {
    scholar_paper_t *p = &out->v[i];
    if (!p->arxiv_id || !s->arxiv_pdf || !*s->arxiv_pdf) continue;
    if (p->pdf_url && !strstr(p->pdf_url, "arxiv.org/pdf/")) continue;
    buf_t b = BUF_INIT;
    buf_init(&b);
    web_base_url(&b, s->arxiv_pdf);
    buf_printf(&b, "/%s", p->arxiv_id);
    free(p->pdf_url);
    p->pdf_url = buf_detach(&b, NULL);
  }
}

int scholar_crossref_doi(web_t *w, const char *user_id, const char *doi, scholar_papers_t *out, char *err,
                         size_t errlen) {
  memset(out, 0, sizeof *out);
  char *bare = scholar_doi_canonical(doi);
  if (!bare) {
    snprintf(err, errlen, "not a DOI: %.80s", doi ? doi : "");
    return -1;
  }
  scholar_settings_t s;
  if (settings_load(w, user_id, NULL, &s, err, errlen) != 0) {
    free(bare);
    return -1;
  }
  const int id = SCHOLAR_CROSSREF;
  int rc = 0;
  if (!s.enabled[id] || !s.base[id] || !s.base[id][0]) goto out;
  /* per_query 0 keys DOI look-ups apart from searches (those ask >= 1) */
  prov_job_t j = {.w = w, .s = &s, .id = id, .per_query = 0};
  buf_t q = BUF_INIT;
  buf_init(&q);
  buf_printf(&q, "doi:%s", bare);
  char key[65];
  answer_key(&j, q.data, key);
  scholar_papers_t got = {0};
  if (!answer_cached(&j, key, &got)) {
    buf_t url = BUF_INIT;
    buf_init(&url);
    web_base_url(&url, s.base[id]);
    char *ed = web_url_escape(bare);
    buf_printf(&url, "/works?filter=doi:%s&rows=1", ed);
    free(ed);
    web_url_param(&url, "mailto", s.email);
    const char *hdr[] = {"Accept: application/json", NULL};
    web_error_t e = {0};
    if (get_and_parse(w, id, &s, url.data, hdr, scholar_parse_crossref, &got, &e) != 0) {
      snprintf(err, errlen, "%s", e.msg[0] ? e.msg : "Crossref did not answer");
      rc = -1;
    } else {
      answer_store(&j, key, q.data, &got);
    }
    buf_free(&url);
  }
  buf_free(&q);
  if (rc == 0) {
    rc = 1;
    /* the filter answers that DOI only; anything else is not its record */
    for (size_t i = 0; i < got.n; i++) {
      scholar_paper_t *p = &got.v[i];
      if (out->n || !p->doi || strcmp(p->doi, bare) != 0) continue;
      *scholar_papers_add(out) = *p;
      memset(p, 0, sizeof *p);
    }
  }
  scholar_papers_free(&got);
out:
  settings_free(&s);
  free(bare);
  return rc;
}

int scholar_search(web_t *w, const char *user_id, const char *const *queries, size_t nqueries, json_t *providers,
                   int per_query, scholar_papers_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (per_query <= 0) per_query = 5;
  if (per_query > 50) per_query = 50;
  if (web_queries_check(queries, nqueries, err, errlen) != 0) return -1;
  scholar_settings_t s;
  if (settings_load(w, user_id, providers, &s, err, errlen) != 0) return -1;
  prov_job_t jobs[SCHOLAR_NPROV];
  pthread_t th[SCHOLAR_NPROV];
  int started[SCHOLAR_NPROV] = {0}, njobs = 0;
  for (int i = 0; i < SCHOLAR_NPROV; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i] = (prov_job_t){.w = w, .s = &s, .id = i, .queries = queries, .nq = nqueries, .per_query = per_query};
    if (!s.enabled[i] || !s.base[i] || !s.base[i][0]) continue;
    njobs++;
    started[i] = pthread_create(&th[i], NULL, prov_worker, &jobs[i]) == 0;
    if (!started[i]) prov_worker(&jobs[i]);
  }
  for (int i = 0; i < SCHOLAR_NPROV; i++)
    if (started[i]) pthread_join(th[i], NULL);
  int answered = 0;
  buf_t errs = BUF_INIT;
  buf_init(&errs);
  for (int i = 0; i < SCHOLAR_NPROV; i++) {
    if (!s.enabled[i]) continue;
    if (jobs[i].err[0]) {
      if (errs.len) buf_puts(&errs, "; ");
      buf_puts(&errs, jobs[i].err);
    }
    if (jobs[i].answered) {
      answered++;
      out->from_cache += jobs[i].cached;
      scholar_merge(&jobs[i].got, out);
    } else {
      scholar_papers_free(&jobs[i].got);
    }
  }
  int rc = 0;
  if (!njobs) {
    snprintf(err, errlen,
             "no scholarly provider is enabled: set SCHOLARLY_PROVIDERS or the search settings' scholarly_providers "
             "(arxiv, openalex, crossref, semantic_scholar, pubmed)");
    rc = -1;
  } else if (!answered) {
    snprintf(err, errlen, "scholarly search failed: %s", errs.len ? errs.data : "no provider answered");
    scholar_papers_free(out);
    rc = -1;
  } else {
    if (errs.len) papers_warn(out, errs.data);
    arxiv_pdf_links(&s, out);
  }
  buf_free(&errs);
  settings_free(&s);
  return rc;
}
