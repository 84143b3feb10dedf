/*
 * brave.c - the Brave Search API provider.
 *
 * Request (api-dashboard.search.brave.com, Web Search API): GET
 * {BRAVE_URL}/res/v1/web/search?q=...&count=N(<=20)&offset=page-1
 * [&search_lang=xx&safesearch=off|moderate|strict&freshness=pd|pw|pm|py]
 * with headers `Accept: application/json` and `X-Subscription-Token: KEY`.
 * Answer: {type:"search", query:{original}, web:{type:"search", results:
 * [{title, url, description, page_age?, age?, profile:{name}}]}}. 429 when
 * over the plan's rate (the free plan allows 1 request per second).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "web/web_internal.h"

static int brave_configured(const web_settings_t *s) {
  return s->brave_key && s->brave_key[0] && s->brave_url && s->brave_url[0];
}

static int brave_search(const web_settings_t *s, const char *query, const web_search_opts_t *o, web_results_t *out,
                        web_error_t *e) {
  buf_t url = BUF_INIT, auth = BUF_INIT;
  buf_init(&url);
  buf_init(&auth);
  web_base_url(&url, s->brave_url);
  char *q = web_url_escape(query);
  buf_printf(&url, "/res/v1/web/search?q=%s&count=%d", q, o->max_results > 20 ? 20 : o->max_results);
  free(q);
  if (o->page > 1) buf_printf(&url, "&offset=%d", o->page - 1 > 9 ? 9 : o->page - 1);
  if (o->language && strlen(o->language) >= 2) {
    char lang[3] = {o->language[0], o->language[1], 0};
    char *l = web_url_escape(lang);
    buf_printf(&url, "&search_lang=%s", l);
    free(l);
  }
  static const char *const safe[] = {"off", "moderate", "strict"};
  if (o->safesearch >= 0 && o->safesearch <= 2) buf_printf(&url, "&safesearch=%s", safe[o->safesearch]);
  if (o->time_range && *o->time_range) {
    const char *f = strcmp(o->time_range, "day") == 0     ? "pd"
                    : strcmp(o->time_range, "week") == 0  ? "pw"
                    : strcmp(o->time_range, "month") == 0 ? "pm"
                    : strcmp(o->time_range, "year") == 0  ? "py"
                                                          : NULL;
    if (f) buf_printf(&url, "&freshness=%s", f);
  }
  buf_printf(&auth, "X-Subscription-Token: %s", s->brave_key);
  const char *headers[] = {"Accept: application/json", auth.data, NULL};
  json_t *root;
  int rc = web_provider_json("Brave", "GET", url.data, headers, NULL, s->timeout_ms,
                             web_settings_policy(s, WEB_PROV_BRAVE), "Brave Search API key", NULL, &root, e);
  buf_free(&url);
  buf_free(&auth);
  if (rc != 0) return -1;
  if (!json_is_object(root)) {
    web_error_set(e, WEB_E_PARSE, "Brave's answer is not JSON");
    json_decref(root);
    return -1;
  }
  /* no "web" section means no web results (e.g. a query with none) */
  web_results_add_json(out, json_object_get(json_object_get(root, "web"), "results"), "brave", NULL, "description",
                       "page_age");
  json_decref(root);
  return 0;
}

const web_provider_t web_provider_brave = {
    .name = "brave",
    .configured = brave_configured,
    .search = brave_search,
    .max_concurrency = 1,
    .min_interval_ms = 1000,
};
