/*
 * httpc.c - the small HTTP client the search providers use.
 *
 * Provider endpoints configured by the administrator (environment, server
 * defaults, an admin's own settings) are trusted: a self-hosted SearXNG on
 * localhost is the common case. A URL a non-admin user names goes through
 * the same address policy as page fetching (web/ssrf.h, with the
 * OUTBOUND_ALLOW_HOSTS allow-list), so settings cannot reach internal
 * services. Answers are capped at 8 MB; redirects are not followed (an API
 * that redirects is misconfigured, and we say so).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "web/outbound.h"
#include "web/web_internal.h"

#define HTTPC_MAX_BODY (8u << 20)

typedef struct {
  web_http_resp_t *resp;
  int overflow;
} call_t;

static size_t on_body(char *data, size_t sz, size_t nm, void *ud) {
  call_t *c = ud;
  size_t n = sz * nm;
  if (c->resp->body.len + n > HTTPC_MAX_BODY) {
    c->overflow = 1;
    return 0;
  }
  buf_append(&c->resp->body, data, n);
  return n;
}

int web_http_call(const char *method, const char *url, const char *const *headers, const char *body, int timeout_ms,
                  const web_allow_t *policy, web_http_resp_t *resp, web_error_t *e) {
  memset(resp, 0, sizeof *resp);
  buf_init(&resp->body);
  buf_init(&resp->headers);
  CURL *h = curl_easy_init();
  if (!h) abort();
  web_pin_t pin = {0};
  if (policy && web_pin_url_e(h, policy, url, &pin, e) != 0) {
    curl_easy_cleanup(h);
    return -1;
  }
  struct curl_slist *hl = NULL;
  for (const char *const *p = headers; p && *p; p++) hl = curl_slist_append(hl, *p);
  call_t c = {.resp = resp};
  char errbuf[CURL_ERROR_SIZE] = "";
  web_outbound_headers_t hd;
  web_outbound_setup(h, url, "Maestro/" MAESTRO_VERSION, timeout_ms, &hd);
  hd.raw = &resp->headers;
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
  }
  CURLcode cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  resp->retry_after_ms = hd.retry_after_ms > 0 ? hd.retry_after_ms : 0;
  int rc = 0;
  if (pin.refused[0]) {
    web_error_set(e, WEB_E_REFUSED, "refused: connection to unchecked address %s", pin.refused);
    rc = -1;
  } else if (c.overflow) {
    web_error_set(e, WEB_E_PARSE, "answer larger than %u bytes", HTTPC_MAX_BODY);
    rc = -1;
  } else if (cc == CURLE_OPERATION_TIMEDOUT) {
    web_error_set(e, WEB_E_TIMEOUT, "timed out after %d ms", timeout_ms);
    rc = -1;
  } else if (cc != CURLE_OK) {
    web_error_set(e, WEB_E_NET, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    rc = -1;
  }
  curl_slist_free_all(hl);
  curl_easy_cleanup(h);
  web_pin_free(&pin);
  return rc;
}

void web_http_resp_free(web_http_resp_t *r) {
  if (!r) return;
  buf_free(&r->body);
  buf_free(&r->headers);
  memset(r, 0, sizeof *r);
}

void web_http_error(web_error_t *e, const char *provider, const web_http_resp_t *r, int rate_limited,
                    const char *key_name) {
  char *detail = web_json_error_text(r->body.data);
  web_err_kind_t k = rate_limited ? WEB_E_RATE : r->status == 401 || r->status == 403 ? WEB_E_AUTH : WEB_E_HTTP;
  int auth = k == WEB_E_AUTH;
  web_error_set(e, k, "%s answered HTTP %ld%s%s%s%s%s", provider, r->status, detail ? ": " : "", detail ? detail : "",
                auth ? " (check the " : "", auth ? key_name : "", auth ? ")" : "");
  e->retry_after_ms = r->retry_after_ms;
  free(detail);
}

void web_base_url(buf_t *b, const char *base) {
  buf_puts(b, base);
  while (b->len && b->data[b->len - 1] == '/') buf_truncate(b, b->len - 1);
}

void web_url_param(buf_t *b, const char *name, const char *value) {
  if (!value || !*value) return;
  char *v = web_url_escape(value);
  buf_printf(b, "&%s=%s", name, v);
  free(v);
}

int web_provider_json(const char *who, const char *method, const char *url, const char *const *headers,
                      const char *body, int timeout_ms, const web_allow_t *policy, const char *key_name,
                      const long *rate, json_t **root, web_error_t *e) {
  web_http_resp_t r;
  *root = NULL;
  if (web_http_call(method, url, headers, body, timeout_ms, policy, &r, e) != 0) {
    web_error_prefix(e, who);
    web_http_resp_free(&r);
    return -1;
  }
  int rc = 0;
  if (r.status != 200) {
    int limited = r.status == 429;
    for (const long *x = rate; x && *x && !limited; x++) limited = r.status == *x;
    web_http_error(e, who, &r, limited, key_name);
    rc = -1;
  } else
    *root = json_loadb(r.body.data, r.body.len, 0, NULL);
  web_http_resp_free(&r);
  return rc;
}

int web_post(web_t *w, int untrusted, const char *url, const char *const *headers, const char *body, int timeout_ms,
             long *status, buf_t *body_out, buf_t *headers_out, char *err, size_t errlen) {
  web_http_resp_t r;
  web_error_t e = {0};
  int rc = web_http_call("POST", url, headers, body, timeout_ms, untrusted ? &w->outbound : NULL, &r, &e);
  if (rc != 0) {
    snprintf(err, errlen, "%s", e.msg);
  } else {
    *status = r.status;
    buf_append(body_out, r.body.data ? r.body.data : "", r.body.len);
    if (headers_out) buf_append(headers_out, r.headers.data ? r.headers.data : "", r.headers.len);
  }
  web_http_resp_free(&r);
  return rc;
}
