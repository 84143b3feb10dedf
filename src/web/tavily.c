/*
 * tavily.c - the Tavily search provider.
 *
 * Request (docs.tavily.com, "Tavily Search"): POST {TAVILY_URL}/search with
 * `Authorization: Bearer tvly-...` and a JSON body {query, max_results,
 * search_depth: "basic", topic, time_range, include_answer: false}.
 * Answer: {query, answer, images, results: [{title, url, content, score,
 * published_date?}], response_time}. Errors: 401 bad key, 429 rate limit,
 * 432/433 plan or pay-as-you-go limits, with {"detail": {"error": "..."}}.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "web/web_internal.h"

static int tavily_configured(const web_settings_t *s) {
  return s->tavily_key && s->tavily_key[0] && s->tavily_url && s->tavily_url[0];
}

static int tavily_search(const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                         web_error_t *e) {
  json_t *req = json_pack("{s:s, s:i, s:s, s:b}", "query", query, "max_results",
                          o->max_results > 20 ? 20 : o->max_results, "search_depth", "basic", "include_answer", 0);
  const char *topic = "general";
  if (o->categories && strstr(o->categories, "news")) topic = "news";
  json_object_set_new(req, "topic", json_string(topic));
  if (o->time_range && *o->time_range) json_object_set_new(req, "time_range", json_string(o->time_range));
  char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  buf_t url = BUF_INIT, auth = BUF_INIT;
  buf_init(&url);
  buf_init(&auth);
  web_base_url(&url, s->tavily_url);
  buf_puts(&url, "/search");
  buf_printf(&auth, "Authorization: Bearer %s", s->tavily_key);
  const char *headers[] = {"Content-Type: application/json", "Accept: application/json", auth.data, NULL};
  static const long plan_limits[] = {432, 433, 0}; /* the plan's or pay-as-you-go limits */
  json_t *root;
  int rc = web_provider_json("Tavily", "POST", url.data, headers, body, s->timeout_ms,
                             web_settings_policy(s, WEB_PROV_TAVILY), "Tavily API key", plan_limits, &root, e);
  buf_free(&url);
  buf_free(&auth);
  free(body);
  if (rc != 0) return -1;
  json_t *results = json_object_get(root, "results");
  if (!json_is_array(results)) {
    web_error_set(e, WEB_E_PARSE, "Tavily's answer has no results list");
    json_decref(root);
    return -1;
  }
  web_results_add_json(out, results, "tavily", NULL, "content", "published_date");
  json_decref(root);
  return 0;
}

const web_provider_t web_provider_tavily = {
    .name = "tavily",
    .configured = tavily_configured,
    .search = tavily_search,
    .max_concurrency = 2,
    .min_interval_ms = 250,
};
