/*
 * ssrf.h - the one address policy for outbound requests (see ssrf.c).
 *
 * Every request whose address a user can choose goes through it: pages the
 * research fetches (web_fetch_page), and the model and search endpoints a
 * non-admin user names in their own settings (docs/security.md). A host must
 * resolve only to public unicast addresses unless an allow-list names it;
 * the connection is then pinned to the checked addresses (CURLOPT_RESOLVE
 * plus a check of every socket curl opens), so a second DNS answer cannot
 * lead elsewhere. Redirects are not followed by a pinned handle; a caller
 * that follows them pins every hop again.
 *
 * Allow-lists (FETCH_ALLOW_HOSTS for fetching, OUTBOUND_ALLOW_HOSTS for
 * endpoints in user settings) hold host names (exact, case-insensitive),
 * IP addresses and CIDR ranges. Refusals name the allow-list's setting.
 *
 * Threads: a parsed web_allow_t is read-only and may be shared; a web_pin_t
 * belongs to one curl handle.
 */
#ifndef MAESTRO_WEB_SSRF_H
#define MAESTRO_WEB_SSRF_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WEB_MAX_ALLOW 32

typedef struct {
  int family; /* AF_INET / AF_INET6 */
  uint8_t addr[16];
  int prefix;
} web_cidr_t;

typedef struct {
  char *hosts[WEB_MAX_ALLOW]; /* lowercase host names */
  int nhosts;
  web_cidr_t cidrs[WEB_MAX_ALLOW];
  int ncidrs;
  char setting[32]; /* the setting the list came from, named in refusals */
} web_allow_t;

/* Parses a comma-separated list of host names, IPs and CIDRs read from the
 * setting FETCH_ALLOW_HOSTS (web_allow_parse) or `setting`. A zeroed or
 * parsed list is freed with web_allow_free(). */
int web_allow_parse(web_allow_t *a, const char *spec, char *err, size_t errlen);
int web_allow_parse_named(web_allow_t *a, const char *setting, const char *spec, char *err, size_t errlen);
void web_allow_free(web_allow_t *a);

/* Returns NULL when the address is a public unicast address, otherwise a
 * static description of the forbidden range ("a loopback address", ...).
 * IPv6 forms that embed an IPv4 address are judged by it. */
const char *web_addr_forbidden(const struct sockaddr *sa);
/* 1 when the address lies in one of the allow-list CIDRs. */
int web_allow_addr(const web_allow_t *a, const struct sockaddr *sa);
/* 1 when the host name is in the allow-list (case-insensitive). */
int web_allow_host(const web_allow_t *a, const char *host);

#define WEB_MAX_ADDRS 8

/* Result of resolving and checking a host. */
typedef struct {
  struct sockaddr_storage addrs[WEB_MAX_ADDRS];
  int naddrs;
  char pinned[512]; /* the address text the connection is pinned to */
} web_resolved_t;

/* A curl handle pinned to checked addresses. */
typedef struct {
  web_resolved_t res;
  struct curl_slist *resolve; /* CURLOPT_RESOLVE entry; NULL for IP literals */
  char refused[64];           /* set when curl tried to connect elsewhere */
} web_pin_t;

/* Resolves host, checks every address against the policy and allow, and
 * sets on h: CURLOPT_RESOLVE to the checked addresses, a socket callback
 * refusing any other address, no proxy, no redirects. 0, or -1 with a
 * refusal ("refused: 127.0.0.1 is a loopback address; add it to
 * OUTBOUND_ALLOW_HOSTS to allow it") or resolution error in err. pin must
 * outlive the transfer; free it with web_pin_free() after curl_easy_cleanup
 * or before reusing h. */
int web_pin_host(CURL *h, const web_allow_t *allow, const char *host, long port, web_pin_t *pin, char *err,
                 size_t errlen);
/* The same for the host of url, which must be http(s) without credentials. */
int web_pin_url(CURL *h, const web_allow_t *allow, const char *url, web_pin_t *pin, char *err, size_t errlen);
void web_pin_free(web_pin_t *pin); /* accepts a zeroed pin */

#endif
