/*
 * searxng.c - the SearXNG provider.
 *
 * Request: GET {SEARXNG_URL}/search?q=...&format=json[&pageno&language
 * &time_range&categories&engines&safesearch]. Answer (searx/webutils.py
 * get_json_response): {query, number_of_results, results: [{url, title,
 * content, engine, engines, score, publishedDate, ...}], answers,
 * corrections, infoboxes, suggestions, unresponsive_engines: [[engine,
 * error], ...]}.
 *
 * Two SearXNG behaviours get their own messages because users hit them:
 * 403 means the JSON format is not enabled in settings.yml, and a 200 with
 * no results but unresponsive_engines means every engine failed upstream.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "web/web_internal.h"

static int searxng_configured(const web_settings_t *s) {
  return s->searxng_url && s->searxng_url[0];
}

static void engines_text(json_t *unresp, buf_t *b) {
  size_t i;
  json_t *pair;
  json_array_foreach(unresp, i, pair) {
    const char *eng = json_string_value(json_array_get(pair, 0));
    const char *why = json_string_value(json_array_get(pair, 1));
    if (i) buf_puts(b, ", ");
    buf_printf(b, "%s (%s)", eng ? eng : "?", why && *why ? why : "no answer");
  }
}

static int searxng_search(const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                          web_error_t *e) {
  buf_t url = BUF_INIT;
  buf_init(&url);
  web_base_url(&url, s->searxng_url);
  char *q = web_url_escape(query);
  buf_printf(&url, "/search?q=%s&format=json", q);
  free(q);
  if (o->page > 1) buf_printf(&url, "&pageno=%d", o->page);
  web_url_param(&url, "language", o->language);
  web_url_param(&url, "time_range", o->time_range);
  web_url_param(&url, "categories", o->categories);
  web_url_param(&url, "engines", o->engines);
  if (o->safesearch >= 0 && o->safesearch <= 2) buf_printf(&url, "&safesearch=%d", o->safesearch);
  const char *headers[] = {"Accept: application/json", NULL};
  web_http_resp_t r;
  int rc = -1;
  if (web_http_call("GET", url.data, headers, NULL, s->timeout_ms, web_settings_policy(s, WEB_PROV_SEARXNG), &r, e) !=
      0) {
    char pre[300];
    snprintf(pre, sizeof pre, "SearXNG at %.200s", s->searxng_url);
    web_error_prefix(e, pre);
    goto done;
  }
  if (r.status == 403) {
    web_error_set(e, WEB_E_AUTH,
                  "SearXNG at %s answered 403 Forbidden: its JSON output format is disabled. Enable it in "
                  "SearXNG's settings.yml with `search: formats: [html, json]` and restart SearXNG",
                  s->searxng_url);
    goto done;
  }
  if (r.status == 429) {
    web_error_set(e, WEB_E_RATE, "SearXNG at %s is rate-limiting us (429 Too Many Requests)", s->searxng_url);
    e->retry_after_ms = r.retry_after_ms;
    goto done;
  }
  if (r.status != 200) {
    web_error_set(e, WEB_E_HTTP, "SearXNG at %s answered HTTP %ld", s->searxng_url, r.status);
    goto done;
  }
  json_error_t je;
  json_t *root = json_loadb(r.body.data, r.body.len, 0, &je);
  json_t *results = json_object_get(root, "results");
  if (!json_is_array(results)) {
    web_error_set(e, WEB_E_PARSE, "SearXNG at %s did not answer with its JSON search format", s->searxng_url);
    json_decref(root);
    goto done;
  }
  json_t *unresp = json_object_get(root, "unresponsive_engines");
  size_t nunresp = json_is_array(unresp) ? json_array_size(unresp) : 0;
  if (json_array_size(results) == 0 && nunresp > 0) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    engines_text(unresp, &b);
    web_error_set(e, WEB_E_NORESULTS, "SearXNG returned no results because engines failed: %s", b.data);
    buf_free(&b);
    json_decref(root);
    goto done;
  }
  if (nunresp > 0) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    engines_text(unresp, &b);
    web_results_warn(out, "SearXNG engines that did not answer: %s", b.data);
    buf_free(&b);
  }
  web_results_add_json(out, results, "searxng", "engine", "content", "publishedDate");
  json_decref(root);
  rc = 0;
done:
  web_http_resp_free(&r);
  buf_free(&url);
  return rc;
}

const web_provider_t web_provider_searxng = {
    .name = "searxng",
    .configured = searxng_configured,
    .search = searxng_search,
    .max_concurrency = 4,
    .min_interval_ms = 100,
};
