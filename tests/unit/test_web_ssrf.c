/* test_web_ssrf.c - address policy, allow-list, URL refusals, URL normalisation. */
#include <criterion/criterion.h>
#include <string.h>

#include "web/web_internal.h"

static void expect_refused(const char *host, const char *why) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, "", err, sizeof err), 0);
  web_resolved_t r;
  web_error_t e = {0};
  int rc = web_resolve_checked(&a, host, 80, &r, &e);
  cr_assert_eq(rc, -1, "%s should be refused", host);
  cr_assert_eq(e.kind, WEB_E_REFUSED, "%s: %s", host, e.msg);
  cr_assert(strstr(e.msg, why), "%s: message '%s' lacks '%s'", host, e.msg, why);
  cr_assert(strstr(e.msg, "FETCH_ALLOW_HOSTS"), "the message says how to allow it: %s", e.msg);
  web_allow_free(&a);
}

Test(web_ssrf, loopback_in_every_spelling) {
  expect_refused("127.0.0.1", "loopback");
  expect_refused("localhost", "loopback");
  expect_refused("2130706433", "loopback"); /* decimal */
  expect_refused("0x7f.1", "loopback");     /* hex, short form */
  expect_refused("0177.0.0.1", "loopback"); /* octal */
  expect_refused("127.1", "loopback");
  expect_refused("::1", "loopback");
  expect_refused("[::1]", "loopback");
  expect_refused("[::ffff:127.0.0.1]", "loopback"); /* IPv4-mapped */
  expect_refused("::ffff:7f00:1", "loopback");
  expect_refused("64:ff9b::7f00:1", "loopback"); /* NAT64 */
  expect_refused("2002:7f00:1::1", "loopback");  /* 6to4 */
}

Test(web_ssrf, metadata_private_and_special_ranges) {
  expect_refused("169.254.169.254", "cloud metadata");
  expect_refused("0xa9fea9fe", "cloud metadata");
  expect_refused("[::ffff:169.254.169.254]", "cloud metadata");
  expect_refused("fd00:ec2::254", "cloud metadata");
  expect_refused("169.254.1.1", "link-local");
  expect_refused("10.1.2.3", "private");
  expect_refused("172.16.5.4", "private");
  expect_refused("192.168.0.1", "private");
  expect_refused("100.64.0.1", "carrier-grade NAT");
  expect_refused("224.0.0.1", "multicast");
  expect_refused("ff02::1", "multicast");
  expect_refused("0.0.0.0", "this network");
  expect_refused("fe80::1", "link-local");
  expect_refused("fc00::1", "unique-local");
  expect_refused("255.255.255.255", "broadcast");
}

/* Issue 11, finding 6: every IPv6 form that carries an IPv4 address is
 * judged by that address, and the forms never routed on the internet are
 * refused whatever they carry. One test per range. */
Test(web_ssrf, ipv4_translated_ffff_0_0_96) {
  expect_refused("::ffff:0:7f00:1", "loopback");
  expect_refused("[::ffff:0:127.0.0.1]", "loopback");
  expect_refused("::ffff:0:a00:1", "private");
  expect_refused("::ffff:0:c0a8:101", "private");
  expect_refused("::ffff:0:a9fe:a9fe", "cloud metadata");
  expect_refused("::ffff:0:808:808", "IPv4-translated");
}

Test(web_ssrf, nat64_local_use_64_ff9b_1_48) {
  expect_refused("64:ff9b:1::7f00:1", "loopback");
  expect_refused("64:ff9b:1::a00:1", "private");
  expect_refused("64:ff9b:1::a9fe:a9fe", "cloud metadata");
  expect_refused("64:ff9b:1::808:808", "local-use NAT64");
  expect_refused("64:ff9b:1:ffff::1", "local-use NAT64");
}

Test(web_ssrf, nat64_well_known_64_ff9b_96) {
  expect_refused("64:ff9b::7f00:1", "loopback");
  expect_refused("64:ff9b::10.1.2.3", "private");
  expect_refused("64:ff9b::ac10:1", "private");
  expect_refused("64:ff9b::a9fe:a9fe", "cloud metadata");
  expect_refused("64:ff9b::6440:1", "carrier-grade NAT");
}

Test(web_ssrf, sixtofour_2002_16) {
  expect_refused("2002:7f00:1::1", "loopback");
  expect_refused("2002:a00:1::1", "private");
  expect_refused("2002:c0a8:101::1", "private");
  expect_refused("2002:a9fe:a9fe::1", "cloud metadata");
}

Test(web_ssrf, teredo_2001_0_32) {
  expect_refused("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo");
  expect_refused("2001:0:7f00:1::1", "Teredo");           /* server 127.0.0.1 */
  expect_refused("2001:0:a00:1:0:0:f5ff:fffe", "Teredo"); /* client 10.0.0.1 (obfuscated) */
}

Test(web_ssrf, ipv4_compatible_0_96) {
  expect_refused("::127.0.0.1", "loopback");
  expect_refused("::a00:1", "private");
  expect_refused("::c0a8:101", "private");
  expect_refused("::808:808", "IPv4-compatible");
}

Test(web_ssrf, embedded_public_ipv4_still_passes) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, "", err, sizeof err), 0);
  web_resolved_t r;
  web_error_t e = {0};
  cr_assert_eq(web_resolve_checked(&a, "64:ff9b::808:808", 443, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "2002:808:808::1", 443, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "::ffff:8.8.8.8", 443, &r, &e), 0, "%s", e.msg);
  web_allow_free(&a);
}

Test(web_ssrf, public_addresses_pass_and_are_pinned) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, NULL, err, sizeof err), 0);
  web_resolved_t r;
  web_error_t e = {0};
  cr_assert_eq(web_resolve_checked(&a, "93.184.216.34", 443, &r, &e), 0, "%s", e.msg);
  cr_assert_str_eq(r.pinned, "93.184.216.34");
  cr_assert_eq(web_resolve_checked(&a, "2606:4700::1111", 443, &r, &e), 0, "%s", e.msg);
  cr_assert_str_eq(r.pinned, "[2606:4700::1111]");
  cr_assert_eq(web_resolve_checked(&a, "[2606:4700::1111]", 443, &r, &e), 0, "%s", e.msg);
}

Test(web_ssrf, allow_list_by_address_cidr_and_name) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, "127.0.0.1, 10.0.0.0/8 ,intranet.example, [::1]", err, sizeof err), 0, "%s", err);
  web_resolved_t r;
  web_error_t e = {0};
  cr_assert_eq(web_resolve_checked(&a, "127.0.0.1", 80, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "2130706433", 80, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "10.200.3.4", 80, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "::1", 80, &r, &e), 0, "%s", e.msg);
  cr_assert_eq(web_resolve_checked(&a, "[::ffff:127.0.0.1]", 80, &r, &e), 0, "mapped form of an allowed v4");
  cr_assert_eq(web_resolve_checked(&a, "127.0.0.2", 80, &r, &e), -1);
  cr_assert_eq(web_resolve_checked(&a, "11.0.0.1", 80, &r, &e), 0, "public anyway");
  cr_assert_eq(web_resolve_checked(&a, "169.254.169.254", 80, &r, &e), -1);
  cr_assert(web_allow_host(&a, "INTRANET.example."));
  cr_assert_not(web_allow_host(&a, "other.example"));
  web_allow_free(&a);
}

Test(web_ssrf, allow_list_errors) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, "10.0.0.0/33", err, sizeof err), -1);
  cr_assert(strstr(err, "prefix"), "%s", err);
  cr_assert_eq(web_allow_parse(&a, "bad host!", err, sizeof err), -1);
  cr_assert(strstr(err, "FETCH_ALLOW_HOSTS"), "%s", err);
  cr_assert_eq(web_allow_parse(&a, "example.com/8", err, sizeof err), -1);
}

static void expect_fetch_refused(const char *url, const char *why) {
  web_allow_t a;
  char err[256];
  cr_assert_eq(web_allow_parse(&a, "", err, sizeof err), 0);
  web_fetch_opts_t o = {.allow = &a, .max_bytes = 1 << 20, .timeout_ms = 3000, .max_redirects = 3};
  web_fetch_result_t r;
  web_error_t e = {0};
  cr_assert_eq(web_fetch_raw(url, &o, &r, &e), -1, "%s must be refused", url);
  cr_assert(strstr(e.msg, "refused"), "%s: %s", url, e.msg);
  cr_assert(strstr(e.msg, why), "%s: '%s' lacks '%s'", url, e.msg, why);
  web_allow_free(&a);
}

Test(web_ssrf, fetch_refuses_before_connecting) {
  expect_fetch_refused("ftp://example.com/file", "only http and https");
  expect_fetch_refused("file:///etc/passwd", "only http and https");
  expect_fetch_refused("gopher://127.0.0.1:70/", "only http and https");
  expect_fetch_refused("http://2130706433/", "loopback");
  expect_fetch_refused("http://0x7f.1/", "loopback");
  expect_fetch_refused("http://0177.0.0.1:8080/x", "loopback");
  expect_fetch_refused("http://[::ffff:127.0.0.1]/", "loopback");
  expect_fetch_refused("http://[::1]:9/", "loopback");
  expect_fetch_refused("http://localhost:9/", "loopback");
  expect_fetch_refused("http://169.254.169.254/latest/meta-data/", "cloud metadata");
  expect_fetch_refused("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata");
  expect_fetch_refused("http://user:secret@example.com/", "credentials");
  expect_fetch_refused("not a url", "not a valid URL");
}

Test(web_ssrf, url_normalisation_for_dedup) {
  char *a = web_url_normalise("https://WWW.Example.org:443/path/?utm_source=x&b=2&a=1#frag");
  char *b = web_url_normalise("http://example.org/path?a=1&b=2");
  cr_assert_str_eq(a, b);
  cr_assert_str_eq(a, "example.org/path?a=1&b=2");
  free(a);
  free(b);
  a = web_url_normalise("https://example.org:8443/");
  cr_assert_str_eq(a, "example.org:8443");
  free(a);
  a = web_url_normalise("https://example.org/x?fbclid=1");
  cr_assert_str_eq(a, "example.org/x");
  free(a);
}
