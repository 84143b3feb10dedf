/*
 * outbound.h - what every outbound HTTP request shares, for the three
 * libcurl clients (model endpoints in llm/transport.c, search and scholarly
 * providers in web/httpc.c, page fetching in web/fetch.c): the common curl
 * options, one header callback, and one Retry-After parser.
 *
 * The address policy (web/ssrf.h) stays with each caller: it decides per
 * request whether and how a host is pinned. Thread-safe; nothing global.
 */
#ifndef MAESTRO_WEB_OUTBOUND_H
#define MAESTRO_WEB_OUTBOUND_H

#include <curl/curl.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"

/* What the header callback reads from a response's headers. */
typedef struct {
  int64_t retry_after_ms; /* Retry-After as milliseconds from now; -1 when absent or unreadable */
  int encoded;            /* the last response has a Content-Encoding other than identity */
  buf_t *raw;             /* when the caller sets it (after web_outbound_setup): the last response's
                             header lines as received, at most 16 KiB */
} web_outbound_headers_t;

/* Sets the options every request shares on h: the URL, http and https only,
 * no signals, any content encoding, the user agent, the total and connect
 * timeouts (ms; connect at most 10 s, 0 means no total limit) and the
 * header callback writing into hd (reset here, raw to NULL; hd outlives the
 * transfer).
 * The caller adds its body, write callback, headers and address policy. */
void web_outbound_setup(CURL *h, const char *url, const char *user_agent, long timeout_ms,
                        web_outbound_headers_t *hd);

/* The header callback web_outbound_setup installs (ud: web_outbound_headers_t). */
size_t web_outbound_header(char *data, size_t size, size_t nmemb, void *ud);

/* A Retry-After value (RFC 9110: delta-seconds or an HTTP-date) as
 * milliseconds after now: seconds up to a day, a date in the past as 0;
 * -1 for anything else. */
int64_t web_retry_after_ms(const char *value, time_t now);

#endif
