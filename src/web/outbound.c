/* outbound.c - see outbound.h. */
#include "web/outbound.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

int64_t web_retry_after_ms(const char *v, time_t now) {
  if (!v) return -1;
  while (isspace((unsigned char)*v)) v++;
  char tmp[64];
  size_t n = strlen(v);
  while (n && isspace((unsigned char)v[n - 1])) n--;
  if (!n || n >= sizeof tmp) return -1;
  memcpy(tmp, v, n);
  tmp[n] = '\0';
  if (isdigit((unsigned char)tmp[0])) {
    long long s;
    return util_parse_int(tmp, 0, 86400, &s) == 0 ? (int64_t)s * 1000 : -1;
  }
  /* IMF-fixdate, the form RFC 9110 requires senders to use */
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return -1;
  time_t t = timegm(&tm);
  if (t == (time_t)-1) return -1;
  return t > now ? (int64_t)(t - now) * 1000 : 0;
}

size_t web_outbound_header(char *data, size_t size, size_t nmemb, void *ud) {
  web_outbound_headers_t *hd = ud;
  size_t n = size * nmemb;
  if (n >= 5 && strncasecmp(data, "HTTP/", 5) == 0) {
    /* a new response (after a 1xx or a redirect): its own headers count */
    hd->encoded = 0;
    hd->retry_after_ms = -1;
    if (hd->raw) buf_reset(hd->raw);
  }
  if (hd->raw && hd->raw->len + n <= 16384) buf_append(hd->raw, data, n);
  if (n >= 5 && strncasecmp(data, "HTTP/", 5) == 0) return n;
  const char *colon = memchr(data, ':', n);
  if (!colon) return n;
  size_t nl = (size_t)(colon - data);
  const char *v = colon + 1;
  size_t vl = (size_t)(data + n - v);
  while (vl && isspace((unsigned char)*v)) v++, vl--;
  while (vl && isspace((unsigned char)v[vl - 1])) vl--;
  if (nl == 11 && strncasecmp(data, "retry-after", 11) == 0) {
    char tmp[64];
    if (vl >= sizeof tmp) return n;
    memcpy(tmp, v, vl);
    tmp[vl] = '\0';
    hd->retry_after_ms = web_retry_after_ms(tmp, time(NULL));
  } else if (nl == 16 && strncasecmp(data, "content-encoding", 16) == 0) {
    hd->encoded = vl && !(vl == 8 && strncasecmp(v, "identity", 8) == 0);
  }
  return n;
}

void web_outbound_setup(CURL *h, const char *url, const char *user_agent, long timeout_ms,
                        web_outbound_headers_t *hd) {
  hd->retry_after_ms = -1;
  hd->encoded = 0;
  hd->raw = NULL;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 && timeout_ms < 10000 ? timeout_ms : 10000L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, web_outbound_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, hd);
}
