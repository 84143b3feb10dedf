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
  buf_puts(&url, s->tavily_url);
  while (url.len && url.data[url.len - 1] == '/') buf_truncate(&url, url.len - 1);
  buf_puts(&url, "/search");
  buf_printf(&auth, "Authorization: Bearer %s", s->tavily_key);
  const char *headers[] = {"Content-Type: application/json", "Accept: application/json", auth.data, NULL};
  web_http_resp_t r;
  int rc = -1;
  if (web_http_call("POST", url.data, headers, body, s->timeout_ms, web_settings_policy(s, WEB_PROV_TAVILY), &r, e) !=
      0) {
    web_error_prefix(e, "Tavily");
    goto done;
  }
  if (r.status != 200) {
    web_http_error(e, "Tavily", &r, r.status == 429 || r.status == 432 || r.status == 433, "Tavily API key");
    goto done;
  }
  json_t *root = json_loadb(r.body.data, r.body.len, 0, NULL);
  json_t *results = json_object_get(root, "results");
  if (!json_is_array(results)) {
    web_error_set(e, WEB_E_PARSE, "Tavily's answer has no results list");
    json_decref(root);
    goto done;
  }
  web_results_add_json(out, results, "tavily", NULL, "content", "published_date");
  json_decref(root);
  rc = 0;
done:
  web_http_resp_free(&r);
  buf_free(&url);
  buf_free(&auth);
  free(body);
  return rc;
}

const web_provider_t web_provider_tavily = {
    .name = "tavily",
    .configured = tavily_configured,
    .search = tavily_search,
    .max_concurrency = 2,
    .min_interval_ms = 250,
};
