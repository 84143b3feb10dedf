/*
 * transport.c - one HTTP attempt against a model endpoint, with libcurl.
 *
 * The body of a 2xx streaming answer goes straight into the caller's stream
 * parser as it arrives; any other body (non-streaming answers, error bodies)
 * is collected. Cancellation is checked in the progress callback, which curl
 * calls at least once a second even when no bytes move, and a stalled stream
 * (less than 1 byte/s for stall_s seconds) fails with a timeout. Retry policy
 * lives in the callers; this file only classifies outcomes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/util.h"
#include "llm/llm_internal.h"
#include "web/outbound.h"

typedef struct {
  const xfer_t *x;
  xfer_result_t *r;
  CURL *curl;
  web_outbound_headers_t hd;
  int64_t last_rx_ms; /* monotonic time of the last byte received */
} xfer_ctx_t;

void xfer_result_init(xfer_result_t *r) {
  memset(r, 0, sizeof *r);
  buf_init(&r->body);
  r->retry_after_ms = -1;
}

void xfer_result_free(xfer_result_t *r) {
  if (r) buf_free(&r->body);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
  xfer_ctx_t *c = ud;
  size_t n = size * nmemb;
  c->last_rx_ms = util_mono_ms();
  long status = 0;
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  if (c->x->parser && status >= 200 && status < 300) {
    c->r->streamed += n;
    if (stream_feed(c->x->parser, ptr, n) != 0) {
      c->r->parser_stopped = 1;
      return 0; /* aborts the transfer */
    }
    return n;
  }
  size_t max = c->x->max_body ? c->x->max_body : (size_t)64 << 20;
  if (c->r->body.len + n > max) {
    c->r->body_too_long = 1;
    return 0;
  }
  buf_append(&c->r->body, ptr, n);
  return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  xfer_ctx_t *c = ud;
  if (c->x->cancel && atomic_load(c->x->cancel)) return 1;
  /* Stall: curl's low-speed limit averages over a window, so a stream that
   * sent a burst and then went silent would survive for many seconds; we
   * measure silence directly instead. */
  if (c->x->stall_s > 0 && util_mono_ms() - c->last_rx_ms > c->x->stall_s * 1000) {
    c->r->stalled = 1;
    return 1;
  }
  return 0;
}

int xfer_perform(const xfer_t *x, xfer_result_t *r) {
  CURL *curl = curl_easy_init();
  if (!curl) {
    r->cc = CURLE_FAILED_INIT;
    snprintf(r->curl_err, sizeof r->curl_err, "cannot create a curl handle");
    return -1;
  }
  xfer_ctx_t c = {.x = x, .r = r, .curl = curl, .last_rx_ms = util_mono_ms()};
  struct curl_slist *hdrs = NULL;
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  hdrs = curl_slist_append(hdrs, x->parser ? "Accept: text/event-stream, application/x-ndjson, application/json"
                                           : "Accept: application/json");
  if (x->ep && x->ep->api_key[0]) {
    buf_t a;
    buf_init(&a);
    buf_printf(&a, "Authorization: Bearer %s", x->ep->api_key);
    hdrs = curl_slist_append(hdrs, a.data);
    sodium_memzero(a.data, a.len);
    buf_free(&a);
  }
  if (x->ep)
    for (int i = 0; i < x->ep->nheaders && i < LLM_MAX_HEADERS; i++) hdrs = curl_slist_append(hdrs, x->ep->headers[i]);
  web_pin_t pin = {0};
  if (x->ep && x->ep->untrusted) {
    /* A URL a user chose: the same address policy as page fetching. */
    if (!x->outbound || web_pin_url(curl, x->outbound, x->url, &pin, r->curl_err, sizeof r->curl_err) != 0) {
      if (!x->outbound) snprintf(r->curl_err, sizeof r->curl_err, "refused: no outbound address policy");
      r->refused = 1;
      r->cc = CURLE_COULDNT_CONNECT;
      curl_slist_free_all(hdrs);
      curl_easy_cleanup(curl);
      return -1;
    }
  }
  web_outbound_setup(curl, x->url, "maestro/" MAESTRO_VERSION, (x->timeout_s > 0 ? x->timeout_s : 300L) * 1000L, &c.hd);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L); /* a loaded local model accepts slowly */
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &c);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, r->curl_err);
  if (x->body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  r->curl_err[0] = '\0';
  r->cc = curl_easy_perform(curl);
  if (pin.refused[0]) {
    snprintf(r->curl_err, sizeof r->curl_err, "refused: connection to unchecked address %s", pin.refused);
    r->refused = 1;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
  r->retry_after_ms = (long)c.hd.retry_after_ms;
  if (r->stalled) snprintf(r->curl_err, sizeof r->curl_err, "no data for %ld s", x->stall_s);
  if (r->cc != CURLE_OK && !r->curl_err[0]) snprintf(r->curl_err, sizeof r->curl_err, "%s", curl_easy_strerror(r->cc));
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(curl);
  web_pin_free(&pin);
  return r->cc == CURLE_OK ? 0 : -1;
}

int xfer_retryable(const xfer_result_t *r) {
  if (r->refused) return 0;
  if (r->cc == CURLE_ABORTED_BY_CALLBACK) return r->stalled; /* stalled, or cancelled */
  if (r->cc == CURLE_WRITE_ERROR && (r->parser_stopped || r->body_too_long)) return 0;
  if (r->cc != CURLE_OK) {
    switch (r->cc) {
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_COULDNT_CONNECT:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_COULDNT_RESOLVE_HOST:
        return 1;
      default:
        return 0;
    }
  }
  return r->status == 429 || r->status == 408 || r->status >= 500;
}

void xfer_server_message(const xfer_result_t *r, char *out, size_t n) {
  out[0] = '\0';
  if (!r->body.len) return;
  json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
  const char *msg = NULL;
  if (j) {
    json_t *e = json_object_get(j, "error");
    if (json_is_string(e))
      msg = json_string_value(e);
    else if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
      msg = json_string_value(json_object_get(e, "message"));
    else if (json_is_string(json_object_get(j, "message")))
      msg = json_string_value(json_object_get(j, "message"));
    else if (json_is_string(json_object_get(j, "detail")))
      msg = json_string_value(json_object_get(j, "detail"));
  }
  if (msg)
    util_excerpt(msg, strlen(msg), 200, out, n);
  else
    util_excerpt(r->body.data, r->body.len, 200, out, n);
  json_decref(j);
}

void llm_url_join(const char *base, const char *path, char *out, size_t n) {
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  snprintf(out, n, "%.*s%s", (int)bl, base, path);
}

int llm_sleep_cancellable(long ms, atomic_int *cancel) {
  int64_t end = util_mono_ms() + ms;
  for (;;) {
    if (cancel && atomic_load(cancel)) return -1;
    int64_t left = end - util_mono_ms();
    if (left <= 0) return 0;
    util_sleep_ms(left < 50 ? left : 50);
  }
}

long llm_backoff_ms(const llm_t *llm, int attempt, long retry_after_ms) {
  long base = llm->retry_base_ms > 0 ? llm->retry_base_ms : 500;
  long d = base;
  for (int i = 1; i < attempt && d < 30000; i++) d *= 2;
  if (d > 30000) d = 30000;
  /* "equal jitter": half fixed, half random, so retries of many callers spread */
  long jitter = (long)randombytes_uniform((uint32_t)(d / 2 + 1));
  d = d / 2 + jitter;
  if (retry_after_ms >= 0) {
    if (retry_after_ms > 120000) retry_after_ms = 120000;
    if (retry_after_ms > d) d = retry_after_ms;
  }
  return d;
}
