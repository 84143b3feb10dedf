/*
 * ssrf.c - which addresses a fetch may reach.
 *
 * The rule: a fetched host must resolve only to public unicast addresses.
 * Every address a name resolves to is checked (a name with one public and
 * one private record is refused: it is either a mistake or an attack), and
 * the fetcher then pins the connection to exactly these addresses so a
 * second DNS answer cannot differ from the checked one (DNS rebinding).
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
 * IPv4-translated ::ffff:0:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address inside, so
 * [::ffff:127.0.0.1] is loopback. The forms that are never routed on the
 * internet (IPv4-compatible, IPv4-translated, local-use NAT64 64:ff9b:1::/48,
 * Teredo 2001::/32, whose client address is obfuscated) are refused whatever
 * they carry.
 *
 * The pinning functions at the end apply the policy to a curl handle; page
 * fetching (fetch.c) and the model and search clients use them.
 *
 * FETCH_ALLOW_HOSTS (and OUTBOUND_ALLOW_HOSTS for endpoints named in user
 * settings) lists exceptions for intranet use: host names (exact,
 * case-insensitive; every address of an allowed name is accepted), IP
 * addresses and CIDR ranges (an address inside is accepted).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/util.h"
#include "web/web_internal.h"

void web_error_set(web_error_t *e, web_err_kind_t kind, const char *fmt, ...) {
  if (!e) return;
  e->kind = kind;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

void web_error_prefix(web_error_t *e, const char *prefix) {
  if (!e) return;
  size_t pl = strlen(prefix), ml = strlen(e->msg);
  if (pl + 2 >= sizeof e->msg) return;
  if (pl + 2 + ml >= sizeof e->msg) ml = sizeof e->msg - pl - 3;
  memmove(e->msg + pl + 2, e->msg, ml);
  memcpy(e->msg, prefix, pl);
  e->msg[pl] = ':';
  e->msg[pl + 1] = ' ';
  e->msg[pl + 2 + ml] = '\0';
}

static int parse_ip(const char *s, int *family, uint8_t addr[16]) {
  struct in_addr a4;
  struct in6_addr a6;
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, s, &a4) == 1) {
    *family = AF_INET;
    memcpy(addr, &a4, 4);
    return 0;
  }
  if (inet_pton(AF_INET6, s, &a6) == 1) {
    *family = AF_INET6;
    memcpy(addr, &a6, 16);
    return 0;
  }
  return -1;
}

int web_allow_parse(web_allow_t *a, const char *spec, char *err, size_t errlen) {
  return web_allow_parse_named(a, "FETCH_ALLOW_HOSTS", spec, err, errlen);
}

int web_allow_parse_named(web_allow_t *a, const char *setting, const char *spec, char *err, size_t errlen) {
  memset(a, 0, sizeof *a);
  snprintf(a->setting, sizeof a->setting, "%s", setting);
  if (!spec) return 0;
  char *copy = util_strdup(spec);
  char *save = NULL;
  int rc = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    util_trim(tok);
    if (!*tok) continue;
    /* "[::1]" -> "::1" */
    size_t tl = strlen(tok);
    if (tok[0] == '[' && tl > 2 && tok[tl - 1] == ']') {
      tok[tl - 1] = '\0';
      tok++;
    }
    char *slash = strchr(tok, '/');
    int family;
    uint8_t addr[16];
    if (slash) *slash = '\0';
    if (parse_ip(tok, &family, addr) == 0) {
      long long prefix = family == AF_INET ? 32 : 128;
      if (slash && util_parse_int(slash + 1, 0, prefix, &prefix) != 0) {
        snprintf(err, errlen, "%s: bad prefix length in '%s/%s'", setting, tok, slash + 1);
        rc = -1;
        break;
      }
      if (a->ncidrs >= WEB_MAX_ALLOW) {
        snprintf(err, errlen, "%s: more than %d address entries", setting, WEB_MAX_ALLOW);
        rc = -1;
        break;
      }
      web_cidr_t *c = &a->cidrs[a->ncidrs++];
      c->family = family;
      memcpy(c->addr, addr, 16);
      c->prefix = (int)prefix;
    } else {
      if (slash) {
        snprintf(err, errlen, "%s: '%s' is not an IP address, so it cannot have a prefix", setting, tok);
        rc = -1;
        break;
      }
      for (char *p = tok; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_')) {
          snprintf(err, errlen, "%s: '%s' is neither a host name, an IP address nor a CIDR", setting, tok);
          rc = -1;
          break;
        }
        *p = (char)tolower((unsigned char)*p);
      }
      if (rc) break;
      if (a->nhosts >= WEB_MAX_ALLOW) {
        snprintf(err, errlen, "%s: more than %d host names", setting, WEB_MAX_ALLOW);
        rc = -1;
        break;
      }
      size_t l = strlen(tok);
      if (l && tok[l - 1] == '.') tok[l - 1] = '\0';
      a->hosts[a->nhosts++] = util_strdup(tok);
    }
  }
  free(copy);
  if (rc) web_allow_free(a);
  return rc;
}

void web_allow_free(web_allow_t *a) {
  if (!a) return;
  for (int i = 0; i < a->nhosts; i++) free(a->hosts[i]);
  char setting[sizeof a->setting];
  memcpy(setting, a->setting, sizeof setting);
  memset(a, 0, sizeof *a);
  memcpy(a->setting, setting, sizeof setting);
}

static int v4_in(const uint8_t *ip, uint32_t net, int prefix) {
  uint32_t v = ((uint32_t)ip[0] << 24) | ((uint32_t)ip[1] << 16) | ((uint32_t)ip[2] << 8) | ip[3];
  uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  return (v & mask) == (net & mask);
}

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static const char *v4_forbidden(const uint8_t *ip) {
  if (v4_in(ip, V4(169, 254, 169, 254), 32)) return "the cloud metadata address";
  if (v4_in(ip, V4(100, 100, 100, 200), 32)) return "a cloud metadata address";
  if (v4_in(ip, V4(127, 0, 0, 0), 8)) return "a loopback address";
  if (v4_in(ip, V4(0, 0, 0, 0), 8)) return "a 'this network' address";
  if (v4_in(ip, V4(10, 0, 0, 0), 8)) return "a private address";
  if (v4_in(ip, V4(172, 16, 0, 0), 12)) return "a private address";
  if (v4_in(ip, V4(192, 168, 0, 0), 16)) return "a private address";
  if (v4_in(ip, V4(100, 64, 0, 0), 10)) return "a carrier-grade NAT (shared) address";
  if (v4_in(ip, V4(169, 254, 0, 0), 16)) return "a link-local address";
  if (v4_in(ip, V4(192, 0, 0, 0), 24)) return "an IETF protocol address";
  if (v4_in(ip, V4(192, 0, 2, 0), 24) || v4_in(ip, V4(198, 51, 100, 0), 24) || v4_in(ip, V4(203, 0, 113, 0), 24))
    return "a documentation address";
  if (v4_in(ip, V4(198, 18, 0, 0), 15)) return "a benchmarking address";
  if (v4_in(ip, V4(224, 0, 0, 0), 4)) return "a multicast address";
  if (v4_in(ip, V4(240, 0, 0, 0), 4)) return "a reserved or broadcast address";
  return NULL;
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, int bits) {
  int bytes = bits / 8, rest = bits % 8;
  if (memcmp(a, b, (size_t)bytes) != 0) return 0;
  if (rest == 0) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

static const char *v6_forbidden(const uint8_t *ip) {
  static const uint8_t zero[16] = {0};
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t metadata[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  static const uint8_t translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
  static const uint8_t nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 0x01};
  static const uint8_t p6to4[2] = {0x20, 0x02};
  static const uint8_t teredo[4] = {0x20, 0x01, 0, 0};
  static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};
  static const uint8_t discard[8] = {0x01, 0, 0, 0, 0, 0, 0, 0};
  if (memcmp(ip, zero, 15) == 0 && ip[15] == 0) return "the unspecified address";
  if (memcmp(ip, zero, 15) == 0 && ip[15] == 1) return "a loopback address";
  if (memcmp(ip, mapped, 12) == 0 || memcmp(ip, nat64, 12) == 0 || memcmp(ip, zero, 12) == 0) {
    const char *why = v4_forbidden(ip + 12);
    if (why) return why;
    /* ::a.b.c.d (IPv4-compatible) is deprecated and never routed. */
    if (memcmp(ip, zero, 12) == 0) return "an IPv4-compatible IPv6 address";
    return NULL;
  }
  /* ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765 SIIT) carries an IPv4
   * address like the mapped form but is never routed on the internet. */
  if (memcmp(ip, translated, 12) == 0) {
    const char *why = v4_forbidden(ip + 12);
    return why ? why : "an IPv4-translated IPv6 address";
  }
  /* 64:ff9b:1::/48 is NAT64 for local use (RFC 8215): whatever IPv4 address
   * it carries, a private translator reaches it. */
  if (memcmp(ip, nat64_local, 6) == 0) {
    const char *why = memcmp(ip + 6, zero, 6) == 0 ? v4_forbidden(ip + 12) : NULL; /* /96 layout */
    return why ? why : "a local-use NAT64 address";
  }
  if (memcmp(ip, p6to4, 2) == 0) return v4_forbidden(ip + 2);
  if (memcmp(ip, metadata, 16) == 0) return "the cloud metadata address";
  if ((ip[0] & 0xfe) == 0xfc) return "a unique-local address";
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) return "a link-local address";
  if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0xc0) return "a site-local address";
  if (ip[0] == 0xff) return "a multicast address";
  if (memcmp(ip, teredo, 4) == 0) return "a Teredo address";
  if (memcmp(ip, doc, 4) == 0) return "a documentation address";
  if (memcmp(ip, discard, 8) == 0) return "a discard-only address";
  return NULL;
}

const char *web_addr_forbidden(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) return v4_forbidden((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
  if (sa->sa_family == AF_INET6) return v6_forbidden((const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
  return "not an internet address";
}

int web_allow_addr(const web_allow_t *a, const struct sockaddr *sa) {
  uint8_t ip[16] = {0};
  int family = sa->sa_family;
  if (family == AF_INET) {
    memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  } else if (family == AF_INET6) {
    memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(ip, mapped, 12) == 0) { /* judge ::ffff:a.b.c.d as a.b.c.d */
      memmove(ip, ip + 12, 4);
      family = AF_INET;
    }
  } else {
    return 0;
  }
  for (int i = 0; i < a->ncidrs; i++)
    if (a->cidrs[i].family == family && prefix_eq(ip, a->cidrs[i].addr, a->cidrs[i].prefix)) return 1;
  return 0;
}

int web_allow_host(const web_allow_t *a, const char *host) {
  if (!host) return 0;
  size_t l = strlen(host);
  if (l && host[l - 1] == '.') l--;
  for (int i = 0; i < a->nhosts; i++)
    if (strlen(a->hosts[i]) == l && strncasecmp(a->hosts[i], host, l) == 0) return 1;
  return 0;
}

void web_addr_text(const struct sockaddr *sa, char *out, size_t n) {
  if (n == 0) return;
  out[0] = '\0';
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

int web_resolve_checked(const web_allow_t *allow, const char *host, int port, web_resolved_t *out, web_error_t *e) {
  memset(out, 0, sizeof *out);
  char h[256];
  size_t hl = strlen(host);
  if (hl >= sizeof h || hl == 0) {
    web_error_set(e, WEB_E_REFUSED, "refused: the host name is empty or too long");
    return -1;
  }
  memcpy(h, host, hl + 1);
  if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') { /* [v6] */
    h[hl - 1] = '\0';
    memmove(h, h + 1, hl - 1);
  }
  if (strchr(h, '%')) {
    web_error_set(e, WEB_E_REFUSED, "refused: IPv6 zone identifiers are not allowed");
    return -1;
  }
  int by_name = web_allow_host(allow, h);
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  int gr = getaddrinfo(h, portstr, &hints, &res);
  if (gr != 0) {
    web_error_set(e, WEB_E_NET, "cannot resolve host %s: %s", h, gai_strerror(gr));
    return -1;
  }
  int rc = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    const char *why = web_addr_forbidden(ai->ai_addr);
    if (why && !by_name && !web_allow_addr(allow, ai->ai_addr)) {
      char txt[64];
      web_addr_text(ai->ai_addr, txt, sizeof txt);
      const char *setting = allow->setting[0] ? allow->setting : "FETCH_ALLOW_HOSTS";
      if (strcmp(txt, h) == 0)
        web_error_set(e, WEB_E_REFUSED, "refused: %s is %s; add it to %s to allow it", txt, why, setting);
      else
        web_error_set(e, WEB_E_REFUSED, "refused: %s resolves to %s, which is %s; add the host to %s to allow it", h,
                      txt, why, setting);
      rc = -1;
      break;
    }
    /* skip duplicates (getaddrinfo repeats addresses per socktype) */
    int dup = 0;
    for (int i = 0; i < out->naddrs; i++) {
      if (out->addrs[i].ss_family == ai->ai_family && memcmp(&out->addrs[i], ai->ai_addr, ai->ai_addrlen) == 0) dup = 1;
    }
    if (!dup && out->naddrs < WEB_MAX_ADDRS) memcpy(&out->addrs[out->naddrs++], ai->ai_addr, ai->ai_addrlen);
  }
  freeaddrinfo(res);
  if (rc == 0 && out->naddrs == 0) {
    web_error_set(e, WEB_E_NET, "cannot resolve host %s: no internet address", h);
    rc = -1;
  }
  if (rc == 0) {
    /* pinned list "a1,a2" in CURLOPT_RESOLVE syntax (IPv6 in brackets) */
    buf_t b = BUF_INIT;
    buf_init(&b);
    for (int i = 0; i < out->naddrs; i++) {
      char txt[64];
      web_addr_text((struct sockaddr *)&out->addrs[i], txt, sizeof txt);
      if (b.len + strlen(txt) + 4 >= sizeof out->pinned) break;
      if (i) buf_putc(&b, ',');
      if (out->addrs[i].ss_family == AF_INET6)
        buf_printf(&b, "[%s]", txt);
      else
        buf_puts(&b, txt);
    }
    snprintf(out->pinned, sizeof out->pinned, "%s", b.data);
    buf_free(&b);
  }
  return rc;
}

/* ---- pinning a curl handle ---------------------------------------------------- */

static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b) {
  if (a->sa_family != b->ss_family) return 0;
  if (a->sa_family == AF_INET)
    return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
  if (a->sa_family == AF_INET6)
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
  return 0;
}

/* curl is about to connect: only to an address we checked. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a) {
  web_pin_t *pin = ud;
  (void)purpose;
  for (int i = 0; i < pin->res.naddrs; i++)
    if (same_addr(&a->addr, &pin->res.addrs[i])) return socket(a->family, a->socktype, a->protocol);
  web_addr_text(&a->addr, pin->refused, sizeof pin->refused);
  if (!pin->refused[0]) snprintf(pin->refused, sizeof pin->refused, "an unchecked address");
  return CURL_SOCKET_BAD;
}

static int is_ip_literal(const char *host) {
  unsigned char tmp[16];
  return host[0] == '[' || inet_pton(AF_INET, host, tmp) == 1;
}

int web_pin_host_e(CURL *h, const web_allow_t *allow, const char *host, long port, web_pin_t *pin, web_error_t *e) {
  memset(pin, 0, sizeof *pin);
  if (web_resolve_checked(allow, host, (int)port, &pin->res, e) != 0) return -1;
  if (!is_ip_literal(host)) {
    buf_t entry = BUF_INIT;
    buf_init(&entry);
    buf_printf(&entry, "%s:%ld:%s", host, port, pin->res.pinned);
    pin->resolve = curl_slist_append(NULL, entry.data);
    buf_free(&entry);
  }
  curl_easy_setopt(h, CURLOPT_RESOLVE, pin->resolve);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, pin);
  curl_easy_setopt(h, CURLOPT_PROXY, ""); /* a proxy would resolve the name itself */
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  return 0;
}

int web_pin_host(CURL *h, const web_allow_t *allow, const char *host, long port, web_pin_t *pin, char *err,
                 size_t errlen) {
  web_error_t e = {0};
  if (web_pin_host_e(h, allow, host, port, pin, &e) == 0) return 0;
  snprintf(err, errlen, "%s", e.msg);
  return -1;
}

int web_pin_url_e(CURL *h, const web_allow_t *allow, const char *url, web_pin_t *pin, web_error_t *e) {
  char *norm = NULL, *host = NULL;
  long port = 0;
  memset(pin, 0, sizeof *pin);
  int rc = web_url_check(url, &norm, &host, &port, e) == 0 ? web_pin_host_e(h, allow, host, port, pin, e) : -1;
  free(norm);
  free(host);
  return rc;
}

int web_pin_url(CURL *h, const web_allow_t *allow, const char *url, web_pin_t *pin, char *err, size_t errlen) {
  web_error_t e = {0};
  if (web_pin_url_e(h, allow, url, pin, &e) == 0) return 0;
  snprintf(err, errlen, "%s", e.msg);
  return -1;
}

void web_pin_free(web_pin_t *pin) {
  if (!pin) return;
  curl_slist_free_all(pin->resolve);
  pin->resolve = NULL;
}

int web_url_check(const char *url, char **norm, char **host, long *port, web_error_t *e) {
  CURLU *u = curl_url();
  char *scheme = NULL, *user = NULL, *h = NULL, *p = NULL, *full = NULL;
  int rc = -1;
  if (!u) abort();
  CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  if (uc != CURLUE_OK) {
    web_error_set(e, WEB_E_REFUSED, "refused: '%.200s' is not a valid URL (%s)", url, curl_url_strerror(uc));
    goto done;
  }
  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (!scheme || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
    web_error_set(e, WEB_E_REFUSED, "refused: only http and https URLs can be fetched (got %s)",
                  scheme ? scheme : "no scheme");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user) {
    web_error_set(e, WEB_E_REFUSED, "refused: URLs with credentials (user@host) are not fetched");
    goto done;
  }
#ifdef CURLU_PUNYCODE
  const unsigned int host_flags = CURLU_PUNYCODE; /* resolve IDN hosts by their ASCII name */
#else
  const unsigned int host_flags = 0;
#endif
  if (curl_url_get(u, CURLUPART_HOST, &h, host_flags) != CURLUE_OK || !h || !*h) {
    web_error_set(e, WEB_E_REFUSED, "refused: the URL has no host");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK || !p) {
    web_error_set(e, WEB_E_REFUSED, "refused: the URL has no usable port");
    goto done;
  }
  if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK || !full) {
    web_error_set(e, WEB_E_REFUSED, "refused: cannot normalise the URL");
    goto done;
  }
  *port = atol(p);
  *host = util_strdup(h);
  *norm = util_strdup(full);
  rc = 0;
done:
  curl_free(scheme);
  curl_free(user);
  curl_free(h);
  curl_free(p);
  curl_free(full);
  curl_url_cleanup(u);
  return rc;
}
