/*
 * fuzz_search_answer.c - answers of the web search providers (SearXNG,
 * Tavily, Brave) through each provider's real search function, with the
 * HTTP call answered by the input (fuzz_support.c wraps web_http_call). The
 * first byte picks the provider, the second the HTTP status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "web/web_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  static const long statuses[] = {200, 200, 200, 200, 200, 200, 400, 401, 403, 422, 429, 500, 502, 201, 0, 200};
  if (len < 2) return 0;
  const web_provider_t *p = web_provider_get(data[0] % WEB_NPROV);
  FZ_ASSERT(p != NULL);
  fz_answer(data + 2, len - 2, statuses[data[1] % 16]);
  web_settings_t s;
  memset(&s, 0, sizeof s);
  s.searxng_url = "http://127.0.0.1:9";
  s.tavily_url = "http://127.0.0.1:9";
  s.tavily_key = "tvly-fuzz";
  s.brave_url = "http://127.0.0.1:9";
  s.brave_key = "brave-fuzz";
  s.timeout_ms = 1000;
  web_search_opts_t o = {0};
  o.page = 1 + (data[1] >> 7);
  o.language = "en";
  web_results_t r;
  memset(&r, 0, sizeof r);
  web_error_t e;
  memset(&e, 0, sizeof e);
  if (p->search(&s, "what is fuzzing", &o, &r, &e) == 0) {
    json_t *j = web_results_json(&r);
    FZ_ASSERT(j != NULL);
    json_decref(j);
    for (size_t i = 0; i < r.n; i++) FZ_ASSERT(r.items[i].url && r.items[i].title && r.items[i].snippet);
  } else {
    FZ_ASSERT(e.kind != WEB_E_NONE && e.msg[0]);
  }
  web_results_free(&r);
  char *body = fz_strndup(data + 2, len - 2);
  free(web_json_error_text(body));
  free(body);
  return 0;
}
