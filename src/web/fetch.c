/*
 * fetch.c - SSRF-safe HTTP GET of one page.
 *
 * Each hop (the first request and every redirect) goes through the same
 * steps: parse the URL with libcurl's URL parser (http/https only, no
 * credentials), resolve the host ourselves and check every address
 * (ssrf.c, web_pin_host_e), then hand libcurl the checked addresses with CURLOPT_RESOLVE so it
 * connects to exactly those, and check again in CURLOPT_OPENSOCKETFUNCTION
 * that the address being connected to is one we checked (so a host name that
 * libcurl spells differently from us can never reach an unchecked address).
 * Proxies are disabled: a proxy would resolve names itself.
 *
 * Redirects are followed by hand (libcurl's FOLLOWLOCATION would skip our
 * checks), at most max_redirects times, all within one overall deadline.
 *
 * Limits while receiving (write callback): the content type is checked on
 * the first body bytes (HTML, XHTML, plain text, PDF; a missing type is
 * sniffed); the decoded body may not exceed max_bytes. When it does, a plain
 * (identity-encoded) HTML/text page is cut at the limit and marked truncated;
 * a compressed body (gzip/deflate/br/zstd) is refused as a possible
 * decompression bomb, and so is an over-long PDF (a cut PDF is useless).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/util.h"
#include "web/outbound.h"
#include "web/web_internal.h"

typedef enum { ABORT_NONE = 0, ABORT_TYPE, ABORT_BOMB, ABORT_PDF_SIZE, ABORT_CUT } abort_t;

typedef struct {
  const web_fetch_opts_t *o;
  web_fetch_result_t *out;
  const char *host;
  CURL *h;
  web_outbound_headers_t hd; /* hd.encoded: a compressed body */
  int started;
  int ok_status;
  abort_t abort;
  char detail[160];
} hop_t;

static void set_type(web_fetch_result_t *out, const char *ct) {
  free(out->content_type);
  free(out->charset);
  out->content_type = NULL;
  out->charset = NULL;
  if (!ct) return;
  const char *semi = strchr(ct, ';');
  size_t l = semi ? (size_t)(semi - ct) : strlen(ct);
  while (l && isspace((unsigned char)ct[l - 1])) l--;
  out->content_type = util_strndup(ct, l);
  for (char *p = out->content_type; *p; p++) *p = (char)tolower((unsigned char)*p);
  const char *cs = semi ? strcasestr(semi, "charset=") : NULL;
  if (cs) {
    cs += 8;
    while (*cs == ' ' || *cs == '"' || *cs == '\'') cs++;
    size_t n = strcspn(cs, "\"'; \t");
    if (n > 0 && n < 40) out->charset = util_strndup(cs, n);
  }
}

static int type_allowed(const char *t) {
  return t && (strcmp(t, "text/html") == 0 || strcmp(t, "application/xhtml+xml") == 0 || strcmp(t, "text/plain") == 0 ||
               strcmp(t, "application/pdf") == 0);
}

/* Decides the content type on the first body bytes. 0 ok, -1 refuse. */
static int check_type(hop_t *hp, const char *data, size_t n) {
  char *ct = NULL;
  curl_easy_getinfo(hp->h, CURLINFO_CONTENT_TYPE, &ct);
  set_type(hp->out, ct);
  const char *t = hp->out->content_type;
  if (!t || !*t || strcmp(t, "application/octet-stream") == 0) {
    if (n >= 5 && memcmp(data, "%PDF-", 5) == 0) {
      set_type(hp->out, "application/pdf");
    } else if (!t || !*t) {
      size_t look = n < 512 ? n : 512;
      if (memchr(data, '\0', look)) {
        snprintf(hp->detail, sizeof hp->detail, "binary data without a content type");
        return -1;
      }
      int html = 0;
      for (size_t i = 0; i + 5 <= look; i++)
        if (strncasecmp(data + i, "<html", 5) == 0 || strncasecmp(data + i, "<!doc", 5) == 0) html = 1;
      set_type(hp->out, html ? "text/html" : "text/plain");
    }
  }
  if (!type_allowed(hp->out->content_type)) {
    snprintf(hp->detail, sizeof hp->detail, "%s", hp->out->content_type ? hp->out->content_type : "unknown");
    return -1;
  }
  return 0;
}

static size_t on_body(char *data, size_t sz, size_t nm, void *ud) {
  hop_t *hp = ud;
  size_t n = sz * nm;
  if (!hp->started) {
    hp->started = 1;
    long code = 0;
    curl_easy_getinfo(hp->h, CURLINFO_RESPONSE_CODE, &code);
    hp->ok_status = code >= 200 && code < 300;
    if (hp->ok_status && check_type(hp, data, n) != 0) {
      hp->abort = ABORT_TYPE;
      return 0;
    }
  }
  if (!hp->ok_status) return n; /* redirect or error body: discard */
  buf_t *b = &hp->out->body;
  if (b->len + n > hp->o->max_bytes) {
    if (hp->hd.encoded) {
      hp->abort = ABORT_BOMB;
      return 0;
    }
    if (hp->out->content_type && strcmp(hp->out->content_type, "application/pdf") == 0) {
      hp->abort = ABORT_PDF_SIZE;
      return 0;
    }
    buf_append(b, data, hp->o->max_bytes - b->len);
    hp->out->truncated = 1;
    hp->abort = ABORT_CUT;
    return 0;
  }
  buf_append(b, data, n);
  return n;
}

void web_fetch_result_free(web_fetch_result_t *r) {
  if (!r) return;
  free(r->final_url);
  free(r->content_type);
  free(r->charset);
  buf_free(&r->body);
  memset(r, 0, sizeof *r);
}

/* One request. Returns 0 with *redirect set (malloc'd) or NULL for a final
 * 2xx answer; -1 with e set. */
static int fetch_hop(const char *url, const web_fetch_opts_t *o, int64_t deadline, web_fetch_result_t *out,
                     char **redirect, web_error_t *e) {
  *redirect = NULL;
  char *norm = NULL, *host = NULL;
  long port = 0;
  if (web_url_check(url, &norm, &host, &port, e) != 0) return -1;
  CURL *h = curl_easy_init();
  if (!h) abort();
  web_pin_t pin;
  if (web_pin_host_e(h, o->allow, host, port, &pin, e) != 0) {
    curl_easy_cleanup(h);
    free(norm);
    free(host);
    return -1;
  }
  int64_t left = deadline - util_mono_ms();
  if (left <= 0) {
    web_error_set(e, WEB_E_TIMEOUT, "timed out after %d s fetching %.200s", o->timeout_ms / 1000, url);
    curl_easy_cleanup(h);
    web_pin_free(&pin);
    free(norm);
    free(host);
    return -1;
  }
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(
      headers, "Accept: text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8,*/*;q=0.1");
  buf_reset(&out->body);
  out->truncated = 0;
  hop_t hp = {.o = o, .out = out, .host = host, .h = h};
  char errbuf[CURL_ERROR_SIZE] = "";
  web_outbound_setup(h, norm, o->user_agent ? o->user_agent : "Maestro/" MAESTRO_VERSION, (long)left, &hp.hd);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &hp);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 0L);
  CURLcode cc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  int rc = 0;
  if (pin.refused[0]) {
    web_error_set(e, WEB_E_REFUSED, "refused: connection to unchecked address %s", pin.refused);
    rc = -1;
  } else if (hp.abort == ABORT_TYPE) {
    web_error_set(e, WEB_E_REFUSED, "refused: content type %s is not supported (HTML, XHTML, plain text and PDF are)",
                  hp.detail);
    rc = -1;
  } else if (hp.abort == ABORT_BOMB) {
    web_error_set(e, WEB_E_LIMIT,
                  "refused: the compressed body expands beyond the limit of %zu bytes (FETCH_MAX_BYTES); "
                  "possible decompression bomb",
                  o->max_bytes);
    rc = -1;
  } else if (hp.abort == ABORT_PDF_SIZE) {
    web_error_set(e, WEB_E_LIMIT, "refused: the PDF is larger than the limit of %zu bytes (FETCH_MAX_BYTES)",
                  o->max_bytes);
    rc = -1;
  } else if (cc == CURLE_OPERATION_TIMEDOUT) {
    web_error_set(e, WEB_E_TIMEOUT, "timed out after %d s fetching %.200s", o->timeout_ms / 1000, url);
    rc = -1;
  } else if (cc != CURLE_OK && hp.abort != ABORT_CUT) {
    web_error_set(e, WEB_E_NET, "fetching %.200s failed: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    rc = -1;
  } else if (code >= 300 && code < 400) {
    char *loc = NULL;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
    if (!loc) {
      web_error_set(e, WEB_E_HTTP, "HTTP %ld without a usable Location from %.200s", code, url);
      rc = -1;
    } else {
      *redirect = util_strdup(loc);
    }
  } else if (code < 200 || code >= 300) {
    web_error_set(e, code == 429 ? WEB_E_RATE : WEB_E_HTTP, "HTTP %ld from %.200s", code, url);
    rc = -1;
  } else if (!hp.started) {
    /* empty body: still check the declared type */
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    set_type(out, ct ? ct : "text/plain");
    if (!type_allowed(out->content_type)) {
      web_error_set(e, WEB_E_REFUSED, "refused: content type %s is not supported (HTML, XHTML, plain text and PDF are)",
                    out->content_type);
      rc = -1;
    }
  }
  out->status = (int)code;
  if (rc == 0 && !*redirect) {
    free(out->final_url);
    out->final_url = util_strdup(norm);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  web_pin_free(&pin);
  free(norm);
  free(host);
  return rc;
}

int web_fetch_raw(const char *url, const web_fetch_opts_t *o, web_fetch_result_t *out, web_error_t *e) {
  memset(out, 0, sizeof *out);
  buf_init(&out->body);
  int64_t deadline = util_mono_ms() + o->timeout_ms;
  char *cur = util_strdup(url);
  int rc = -1;
  for (int hop = 0;; hop++) {
    char *next = NULL;
    web_error_t he = {0};
    if (fetch_hop(cur, o, deadline, out, &next, &he) != 0) {
      if (hop > 0 && he.kind == WEB_E_REFUSED && util_starts_with(he.msg, "refused: ")) {
        web_error_set(e, he.kind, "refused: redirect to %.200s: %s", cur, he.msg + 9);
      } else {
        *e = he;
      }
      break;
    }
    if (!next) {
      rc = 0;
      break;
    }
    if (hop >= o->max_redirects) {
      web_error_set(e, WEB_E_LIMIT, "refused: more than %d redirects (last to %.200s)", o->max_redirects, next);
      free(next);
      break;
    }
    free(cur);
    cur = next;
  }
  free(cur);
  if (rc != 0) web_fetch_result_free(out);
  return rc;
}
