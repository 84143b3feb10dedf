/*
 * web.h - web search and safe page fetching, the public API.
 *
 * Two things the research pipeline needs from the web:
 *
 *   web_search()      a list of queries -> one merged, de-duplicated list of
 *                     results (url, title, snippet, engine, published date,
 *                     score), asked of the user's configured search providers
 *                     (SearXNG, Tavily, Brave) with fallback from one to the
 *                     next when a provider fails or is rate-limited.
 *   web_fetch_page()  a URL -> title, main text and published date of the
 *                     page (HTML/XHTML/plain text; PDF when the document
 *                     parser offers it), or a clear refusal reason.
 *
 * Fetching is SSRF-safe: http/https only, every resolved address is checked
 * against loopback/private/link-local/unique-local/multicast/CGNAT/metadata
 * ranges (IPv4, IPv6 and IPv4-mapped IPv6) unless the host is in
 * FETCH_ALLOW_HOSTS, the connection is pinned to the checked address, every
 * redirect is checked again, and size, time, redirect-count and
 * decompressed-size limits apply. See docs/web.md.
 *
 * Both calls cache their answers in the store (schema 004) for
 * WEB_CACHE_TTL_HOURS (0 disables the cache).
 *
 * Threads: a web_t is created once (app->web) and shared; web_search() and
 * web_fetch_page() are thread-safe and may run concurrently. Per-provider
 * rate limits and concurrency caps are enforced across all callers of one
 * web_t. Calls block (network I/O); never call them inside a store
 * transaction.
 *
 * Memory: every result struct is filled by the library and freed by the
 * caller with the matching *_free() function (which accepts NULL / zeroed
 * structs). Strings inside are UTF-8, malloc'd, owned by the struct.
 */
#ifndef MAESTRO_WEB_H
#define MAESTRO_WEB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/config.h"
#include "store/store.h"

typedef struct web web_t;

/* Creates the web context. `st` may be NULL (no cache, no per-user
 * settings). Both cfg and st must outlive the web_t. Returns NULL with a
 * message in err when a setting is invalid (e.g. a bad FETCH_ALLOW_HOSTS). */
web_t *web_new(const config_t *cfg, store_t *st, char *err, size_t errlen);
/* Lets the web module read the user's "search" settings with their API keys
 * opened (llm_settings_layers, auth/secrets.h). Optional; call once after
 * web_new, before use. */
struct llm;
void web_set_llm(web_t *w, struct llm *llm);
void web_free(web_t *w);

/*
 * One POST (an MCP server's Streamable HTTP endpoint) with extra headers
 * ("Name: value", NULL-terminated). untrusted: the URL was named by a
 * non-admin user, so the outbound address policy (OUTBOUND_ALLOW_HOSTS,
 * web/ssrf.h) checks and pins it. On any HTTP answer: 0, *status, the body
 * appended to body_out and the raw header lines to headers_out (may be
 * NULL); the caller frees both. -1 with err on a transport failure
 * (refused, timeout, network). Thread-safe.
 */
int web_post(web_t *w, int untrusted, const char *url, const char *const *headers, const char *body, int timeout_ms,
             long *status, buf_t *body_out, buf_t *headers_out, char *err, size_t errlen);

/* ---- search ---------------------------------------------------------- */

typedef struct {
  char *url;       /* as given by the provider */
  char *title;     /* may be "" */
  char *snippet;   /* may be "" */
  char *engine;    /* provider name, or "searxng:<engine>" for SearXNG */
  char *published; /* ISO-8601-ish date string, or NULL */
  double score;    /* fused relevance (higher is better); see docs/web.md */
} web_result_t;

typedef struct {
  web_result_t *items;
  size_t n;
  /* Problems that did not stop the search (a provider that failed before a
   * fallback answered, engines that did not respond), one per line; NULL
   * when there were none. */
  char *warnings;
  /* The provider that answered (of the first query that got an answer). */
  char provider[16];
  int from_cache; /* 1 when every query was answered from the cache */
} web_results_t;

/* Options for one search; a zeroed struct (or NULL) means defaults. Strings
 * are optional (NULL = provider default). */
typedef struct {
  int max_results;        /* per query; 0 -> 10 (max 50) */
  const char *language;   /* "en", "de-DE", ... */
  const char *time_range; /* "day" | "week" | "month" | "year" */
  const char *categories; /* SearXNG categories, e.g. "general,news" */
  const char *engines;    /* SearXNG engines, e.g. "wikipedia,duckduckgo" */
  int safesearch;         /* 0 off, 1 moderate, 2 strict */
  int page;               /* 1-based; 0 -> 1 */
  int no_cache;           /* 1: do not read the cache (still writes it) */
} web_search_opts_t;

/*
 * Searches every query (concurrently, bounded) with the user's providers in
 * order, falling back to the next provider when one fails, times out or is
 * rate-limited, then merges the answers and removes duplicates by normalised
 * URL (scheme/host case, default port, fragment, trailing slash, tracking
 * parameters such as utm_*). `user_id` selects the per-user "search"
 * settings (NULL: only the environment). Returns 0 when at least one query
 * was answered (out filled, possibly with 0 items), -1 when none could be
 * (err says why, naming each provider's failure).
 */
int web_search(web_t *w, const char *user_id, const char *const *queries, size_t nqueries,
               const web_search_opts_t *opts, web_results_t *out, char *err, size_t errlen);
void web_results_free(web_results_t *r);
/* The results as a JSON array of objects {url,title,snippet,engine,
 * published_date,score}. New reference. */
json_t *web_results_json(const web_results_t *r);

/* ---- fetch + extract ------------------------------------------------- */

typedef struct {
  char *url;          /* the URL asked for */
  char *final_url;    /* after redirects */
  char *content_type; /* "text/html", "application/pdf", ... (no parameters) */
  char *title;        /* "" when none */
  char *text;         /* main text, UTF-8, paragraphs separated by blank lines */
  char *published;    /* published date when the page says, else NULL */
  int status;         /* HTTP status of the final response */
  int truncated;      /* 1 when the body was cut at FETCH_MAX_BYTES */
  int from_cache;     /* 1 when served from the cache */
} web_page_t;

/*
 * Fetches url safely and extracts its main text. Returns 0 with `out` filled,
 * or -1 with a refusal/failure reason in err ("refused: 127.0.0.1 is a
 * loopback address ...", "content type image/png is not supported", ...).
 */
int web_fetch_page(web_t *w, const char *url, web_page_t *out, char *err, size_t errlen);
void web_page_free(web_page_t *p);
/* {url, final_url, content_type, title, text, published_date, status,
 * truncated, from_cache}. New reference. */
json_t *web_page_json(const web_page_t *p);

/* ---- settings check ---------------------------------------------------- */

/*
 * Tests a search configuration for POST /api/settings/test-connection with
 * kind "search". `req` (may be NULL) carries "search" settings fields, flat
 * or nested under "search" or "settings", that override the user's saved
 * ones (so unsaved settings can be tried), plus optional "query" (default
 * "test") and "provider" (test only that provider). Always sets *result
 * (new reference) to {"ok":bool, "provider":..., "results":N,
 * "latency_ms":N, "error":"...", "sample":[...]}; returns 0, or -1 when the
 * request itself is malformed (then result has ok=false and the error).
 */
int web_test_search(web_t *w, const char *user_id, json_t *req, json_t **result);

/* ---- preflight -------------------------------------------------------- */

/*
 * What web search a user has, for the mission preflight: the first provider
 * in the user's order that has what it needs (URL/key), where the settings
 * came from, and - when probe_timeout_ms > 0 - whether that provider's URL
 * answers at all (one GET without a query or key, so it costs no search
 * quota; any answer below 500 counts; remembered for WEB_PROBE_CACHE_MS).
 * *out is a new object {"provider": name|null, "configured": bool,
 * "source": "env"|"server"|"user", "reachable": bool|null, "error"?: "..."}
 * (reachable null: not probed). Returns 0, or -1 when the settings are
 * invalid (out still set, with the error).
 */
#define WEB_PROBE_CACHE_MS 30000
int web_search_status(web_t *w, const char *user_id, int probe_timeout_ms, json_t **out);

#endif
