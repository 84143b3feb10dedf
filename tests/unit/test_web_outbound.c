/* test_web_outbound.c - the header callback and the Retry-After parser the
 * three HTTP clients share: a provider asking to wait by date is honoured
 * like one asking by seconds. */
#include <criterion/criterion.h>
#include <string.h>

#include "web/outbound.h"

/* Wed, 21 Oct 2026 07:28:00 GMT */
#define NOW ((time_t)1792567680)

Test(web_outbound, retry_after_in_seconds) {
  cr_assert_eq(web_retry_after_ms("120", NOW), 120000);
  cr_assert_eq(web_retry_after_ms("  7 \r\n", NOW), 7000);
  cr_assert_eq(web_retry_after_ms("0", NOW), 0);
  cr_assert_eq(web_retry_after_ms("86401", NOW), -1, "more than a day is not a wait we keep");
  cr_assert_eq(web_retry_after_ms("12abc", NOW), -1);
  cr_assert_eq(web_retry_after_ms("-5", NOW), -1);
}

Test(web_outbound, retry_after_as_an_http_date) {
  cr_assert_eq(web_retry_after_ms("Wed, 21 Oct 2026 07:29:30 GMT", NOW), 90000);
  cr_assert_eq(web_retry_after_ms("Wed, 21 Oct 2026 07:00:00 GMT", NOW), 0, "a date past is no wait");
  cr_assert_eq(web_retry_after_ms("Wed, 21 Oct 2026 07:29:30 GMT trailing", NOW), -1);
  cr_assert_eq(web_retry_after_ms("tomorrow", NOW), -1);
  cr_assert_eq(web_retry_after_ms("", NOW), -1);
  cr_assert_eq(web_retry_after_ms(NULL, NOW), -1);
}

static void feed(web_outbound_headers_t *hd, const char *line) {
  char copy[256];
  size_t n = strlen(line);
  memcpy(copy, line, n); /* curl's header lines are not NUL-terminated */
  copy[n] = 'X';
  cr_assert_eq(web_outbound_header(copy, 1, n, hd), n, "the callback takes every byte");
}

Test(web_outbound, header_callback_reads_each_response_headers) {
  web_outbound_headers_t hd = {.retry_after_ms = -1};
  feed(&hd, "HTTP/1.1 429 Too Many Requests\r\n");
  feed(&hd, "retry-AFTER: 30\r\n");
  feed(&hd, "Content-Encoding: gzip\r\n");
  cr_assert_eq(hd.retry_after_ms, 30000);
  cr_assert_eq(hd.encoded, 1);
  feed(&hd, "HTTP/1.1 200 OK\r\n");
  cr_assert_eq(hd.retry_after_ms, -1, "a new response starts afresh");
  cr_assert_eq(hd.encoded, 0);
  feed(&hd, "Content-Encoding: identity\r\n");
  cr_assert_eq(hd.encoded, 0, "identity is no encoding");
  feed(&hd, "Retry-After-Extra: 5\r\n");
  cr_assert_eq(hd.retry_after_ms, -1, "only the Retry-After header itself");
  feed(&hd, "Retry-After: Thu, 01 Jan 2099 00:00:00 GMT\r\n");
  cr_assert_gt(hd.retry_after_ms, 0, "a date in the future is a wait");
  feed(&hd, "\r\n");
}
