/*
 * web_internal.h - for files in src/web/ (and their unit tests) only.
 *
 * Pieces:
 *   ssrf.c     address policy: which IPs a fetch may reach, the allow-list
 *   fetch.c    safe HTTP GET of one page (manual redirects, limits)
 *   extract.c  charset -> UTF-8, main-text extraction from HTML
 *   httpc.c    small JSON-over-HTTP client for the search providers
 *   searxng.c, tavily.c, brave.c   the providers
 *   search.c   settings, rate limits, fallback, merge, URL normalisation
 *   web.c      the context, caching, the public entry points
 */
#ifndef MAESTRO_WEB_INTERNAL_H
#define MAESTRO_WEB_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "web/ssrf.h"
#include "web/web.h"

/* ---- errors ---------------------------------------------------------- */

typedef enum {
  WEB_E_NONE = 0,
  WEB_E_CONFIG,    /* provider not configured / bad settings */
  WEB_E_NET,       /* connection failed */
  WEB_E_TIMEOUT,   /* too slow */
  WEB_E_RATE,      /* rate-limited (429 or local limiter) */
  WEB_E_AUTH,      /* 401/403 */
  WEB_E_HTTP,      /* other non-2xx */
  WEB_E_PARSE,     /* answer not in the documented shape */
  WEB_E_NORESULTS, /* empty because the upstream engines failed */
  WEB_E_REFUSED,   /* SSRF policy or content policy */
  WEB_E_LIMIT,     /* size / redirect limits */
} web_err_kind_t;

typedef struct {
  web_err_kind_t kind;
  char msg[768];
  int64_t retry_after_ms; /* WEB_E_RATE: how long to leave the provider alone */
} web_error_t;

void web_error_set(web_error_t *e, web_err_kind_t kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to e->msg (cutting the end if needed). */
void web_error_prefix(web_error_t *e, const char *prefix);

/* ---- address policy (ssrf.c; the public part is in web/ssrf.h) ---------- */

/* Resolves host (a name or an IP literal in any form getaddrinfo accepts,
 * including "2130706433" and "0x7f.1") and checks every address. Returns 0
 * with out filled, or -1 with a WEB_E_REFUSED/WEB_E_NET error. */
int web_resolve_checked(const web_allow_t *allow, const char *host, int port, web_resolved_t *out, web_error_t *e);
/* Formats a sockaddr's address (no port) into out. */
void web_addr_text(const struct sockaddr *sa, char *out, size_t n);
/* Checks url (http/https only, no credentials) and fills the normalised
 * URL, its host and port (malloc'd). 0, or -1 with a WEB_E_REFUSED error. */
int web_url_check(const char *url, char **norm, char **host, long *port, web_error_t *e);
/* web_pin_host() with the error kind kept (WEB_E_REFUSED / WEB_E_NET). */
int web_pin_host_e(CURL *h, const web_allow_t *allow, const char *host, long port, web_pin_t *pin, web_error_t *e);
int web_pin_url_e(CURL *h, const web_allow_t *allow, const char *url, web_pin_t *pin, web_error_t *e);

/* ---- fetch (fetch.c) ---------------------------------------------------- */

typedef struct {
  const web_allow_t *allow;
  size_t max_bytes;  /* decoded body limit */
  int timeout_ms;    /* whole fetch, redirects included */
  int max_redirects; /* 0 = do not follow */
  const char *user_agent;
} web_fetch_opts_t;

typedef struct {
  char *final_url;
  char *content_type; /* lowercase, no parameters */
  char *charset;      /* from the Content-Type header, or NULL */
  int status;
  int truncated;
  buf_t body;
} web_fetch_result_t;

/* Fetches url under the SSRF policy and limits; allowed content types are
 * HTML, XHTML, plain text and PDF. 0 on success (2xx), -1 with e set. */
int web_fetch_raw(const char *url, const web_fetch_opts_t *o, web_fetch_result_t *out, web_error_t *e);
void web_fetch_result_free(web_fetch_result_t *r);

/* ---- extraction (extract.c) ----------------------------------------------- */

typedef struct {
  char *title;
  char *text;
  char *published;
} web_extracted_t;

/* Converts data in `charset` (NULL/"" = detect: BOM, <meta charset>, valid
 * UTF-8, else windows-1252) to UTF-8. Invalid sequences become U+FFFD.
 * Returns a malloc'd NUL-terminated string, or NULL for an unknown charset. */
char *web_to_utf8(const char *data, size_t len, const char *charset, int is_html, size_t *outlen);
/* Extracts title, main text and published date from UTF-8 HTML. 0 on
 * success; the fields are malloc'd (published may be NULL). */
int web_extract_html(const char *html, size_t len, web_extracted_t *out);
void web_extracted_free(web_extracted_t *x);

/* ---- provider HTTP (httpc.c) ------------------------------------------------ */

typedef struct {
  long status;
  buf_t body;
  int64_t retry_after_ms;
  buf_t headers; /* the raw response header lines (at most 16 KiB kept) */
} web_http_resp_t;

/* One request (method "GET" or "POST"; body may be NULL) with extra headers
 * (NULL-terminated array of "Name: value"). With a policy (a URL from a
 * non-admin user's settings: web_settings_policy()), the address is checked
 * and pinned first (web/ssrf.h). Fills resp on any HTTP answer and returns
 * 0; -1 with e set on a transport failure (timeout, refused). */
int web_http_call(const char *method, const char *url, const char *const *headers, const char *body, int timeout_ms,
                  const web_allow_t *policy, web_http_resp_t *resp, web_error_t *e);
void web_http_resp_free(web_http_resp_t *r);
/* Sets e for a provider's non-200 answer: "<provider> answered HTTP 401:
 * <detail from the JSON body> (check the <key_name>)". WEB_E_RATE when
 * rate_limited, WEB_E_AUTH for 401/403, else WEB_E_HTTP. */
void web_http_error(web_error_t *e, const char *provider, const web_http_resp_t *r, int rate_limited,
                    const char *key_name);

/* A provider's base URL into b without its trailing slashes. */
void web_base_url(buf_t *b, const char *base);
/* Appends "&name=<value escaped>" to b; nothing for a NULL or empty value. */
void web_url_param(buf_t *b, const char *name, const char *value);
/* A search provider's JSON request (web_http_call with policy): who names
 * it in errors. A transport failure, or an answer other than 200
 * (web_http_error; WEB_E_RATE for 429 and for the statuses in rate, a
 * 0-terminated list or NULL), is -1 with e set; else 0 with *root the parsed
 * answer (new reference; NULL when it is not JSON). */
int web_provider_json(const char *who, const char *method, const char *url, const char *const *headers,
                      const char *body, int timeout_ms, const web_allow_t *policy, const char *key_name,
                      const long *rate, json_t **root, web_error_t *e);

/* ---- providers --------------------------------------------------------- */

enum { WEB_PROV_SEARXNG = 0, WEB_PROV_TAVILY, WEB_PROV_BRAVE, WEB_NPROV };

/* Effective search settings of one user: environment defaults overlaid by
 * the server defaults' and then the user's "search" settings documents. */
typedef struct {
  int order[WEB_NPROV]; /* provider ids in the order to try */
  int norder;
  char *searxng_url;
  char *tavily_url;
  char *tavily_key;
  char *brave_url;
  char *brave_key;
  int timeout_ms;
  char source[8]; /* the last layer that said anything: "env", "server" or "user" */
  unsigned untrusted;          /* bit (1 << provider id): its URL came from a non-admin user */
  const web_allow_t *outbound; /* OUTBOUND_ALLOW_HOSTS, for those URLs */
} web_settings_t;

/* The address policy for provider `id`'s URL: NULL when the URL is trusted
 * (environment, admin), else the OUTBOUND_ALLOW_HOSTS allow-list. */
const web_allow_t *web_settings_policy(const web_settings_t *s, int id);

void web_settings_free(web_settings_t *s);
/* A settings' list of names, given as a JSON array of strings or as a comma
 * string, as one comma-separated string into *out (malloc'd; NULL when v is
 * neither). Returns 0, or -1 with err "<what> must be a list of names" when
 * an element is not a string. */
int web_names_list(json_t *v, const char *what, char **out, char *err, size_t errlen);
/* The search queries of one call, web or scholarly: at least one, each
 * non-empty UTF-8 of at most 1000 bytes. Returns 0, or -1 with err naming
 * the first bad one. */
int web_queries_check(const char *const *queries, size_t nqueries, char *err, size_t errlen);
/* The stored "search" settings layers, server defaults then the user's own
 * (layers has LLM_LAYERS entries, each a new reference or NULL): through the
 * model layer, which opens sealed keys, or without one the user's as stored. */
void web_search_layers(web_t *w, const char *user_id, json_t *layers[]);
/* Replaces *field with doc's string member name, unless it is absent or the
 * mask "********" that a masked read gave back (the key stays as it is). */
void web_take_key(char **field, json_t *doc, const char *name);

typedef struct {
  const char *name;
  /* 1 when the settings have what the provider needs (url/key). */
  int (*configured)(const web_settings_t *s);
  /* Searches one query; appends results to out (score = provider's own
   * score if any, else 0). 0 on success, -1 with e set. */
  int (*search)(const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                web_error_t *e);
  int max_concurrency; /* requests in flight at once */
  int min_interval_ms; /* between request starts */
} web_provider_t;

extern const web_provider_t web_provider_searxng;
extern const web_provider_t web_provider_tavily;
extern const web_provider_t web_provider_brave;
const web_provider_t *web_provider_get(int id);
/* Provider id by name, -1 when unknown. */
int web_provider_id(const char *name);

/* Appends one result (copies the strings; NULLs become ""; published stays NULL). */
void web_results_add(web_results_t *r, const char *url, const char *title, const char *snippet, const char *engine,
                     const char *published, double score);

/* Appends the provider result objects in `items` (members "url", "title",
 * snippet_key, date_key, optional "score"). The engine is `engine`, or
 * "engine:<item[engine_key]>" when engine_key is given. Snippets lose HTML
 * tags (Brave marks matches with <strong>). */
void web_results_add_json(web_results_t *r, json_t *items, const char *engine, const char *engine_key,
                          const char *snippet_key, const char *date_key);
/* Copy of s without HTML tags (malloc'd; NULL stays NULL). */
char *web_strip_tags(const char *s);
/* Appends one line to r->warnings. */
void web_results_warn(web_results_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Query-string escaping (malloc'd). */
char *web_url_escape(const char *s);
/* The error message of a provider's JSON error body ("detail", "error",
 * "message"), or NULL. malloc'd. */
char *web_json_error_text(const char *body);

/* Normalised form of a URL for de-duplication (malloc'd). */
char *web_url_normalise(const char *url);

/* ---- limiter (search.c) ----------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int inflight;
  int max_inflight;
  int64_t min_interval_ms;
  int64_t next_start_ms;  /* monotonic */
  int64_t cooldown_until; /* monotonic; provider skipped until then */
} web_limiter_t;

void web_limiter_init(web_limiter_t *l, int max_inflight, int min_interval_ms);
void web_limiter_destroy(web_limiter_t *l);
/* Waits for a slot and the provider's interval (until deadline, monotonic
 * ms); -1 with e set when the provider is cooling down after a rate limit or
 * stays busy. Every 0 is paired with one web_limiter_release, which starts a
 * cooldown of cooldown_ms when > 0. */
int web_limiter_acquire(web_limiter_t *l, const char *name, int64_t deadline, web_error_t *e);
void web_limiter_release(web_limiter_t *l, int64_t cooldown_ms);

/* The scholarly providers' limiters (scholar.c), in struct web. */
#define WEB_NSCHOLAR 5
void scholar_limiters_init(web_t *w);
void scholar_limiters_destroy(web_t *w);

struct llm;

struct web {
  const config_t *cfg;
  store_t *st;
  struct llm *llm;      /* optional: opens sealed API keys in user settings */
  web_allow_t allow;    /* FETCH_ALLOW_HOSTS: pages */
  web_allow_t outbound; /* OUTBOUND_ALLOW_HOSTS: provider URLs named by non-admin users */
  size_t max_bytes;
  int timeout_ms;
  int64_t cache_ttl_ms;
  web_limiter_t lim[WEB_NPROV];
  web_limiter_t scholar_lim[WEB_NSCHOLAR]; /* scholar.h providers */
  pthread_mutex_t probe_mu; /* the probes below */
  struct {
    char url[512];
    int64_t at_ms; /* 0: empty */
    int ok;
    char err[256];
  } probes[8];
};

/* Reads the effective settings of user_id (NULL: environment only), then
 * applies the overrides in `override` (may be NULL). The one place that
 * knows the "search" settings document and its (possibly encrypted) keys. */
int web_settings_load(web_t *w, const char *user_id, json_t *override, web_settings_t *out, char *err, size_t errlen);
/* Searches one query with fallback across the configured providers. */
int web_search_one(web_t *w, const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                   int only_provider, char *err, size_t errlen);

#endif
