/*
 * Login throttling across processes: two `maestro serve --role api` on one
 * SQLite file (one directory) count the same failed sign-ins, so failures
 * through process A lock the user out on process B too (429 with
 * Retry-After), and the right password waits out the window on both.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_support.h"

TestSuite(throttle_processes, .timeout = 120);

static const char BAD[] = "{\"username\":\"admin\",\"password\":\"wrong-password\"}";
static const char GOOD[] = "{\"username\":\"admin\",\"password\":\"admin-pass-123\"}";

static long login(ts_server_t *s, const char *body, int *retry_after) {
  ts_response_t r = ts_http(s, "POST", "/api/auth/login", NULL, NULL, body, strlen(body));
  long st = r.status;
  *retry_after = -1;
  const char *h = r.headers ? strcasestr(r.headers, "\nRetry-After:") : NULL;
  if (h) *retry_after = atoi(h + strlen("\nRetry-After:"));
  if (st == 429) {
    json_t *j = json_loads(r.body, 0, NULL);
    cr_expect_str_eq(ts_error_code(j), "too_many_attempts");
    json_decref(j);
  }
  ts_response_free(&r);
  return st;
}

Test(throttle_processes, failures_on_one_process_lock_the_user_out_on_another) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", "LOGIN_MAX_FAILURES=3", "LOGIN_THROTTLE_SECONDS=60", NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  ts_server_t a, b;
  cr_assert_eq(ts_server_start_role(&a, dir, env, "api"), 0, "process A starts");
  cr_assert_eq(ts_server_start_role(&b, dir, env, "api"), 0, "process B starts on the same directory");
  cr_assert_neq(a.port, b.port);

  int retry = 0;
  /* the right password works on B before anything fails */
  cr_expect_eq(login(&b, GOOD, &retry), 200);
  /* two failures through A, one through B: three in all */
  cr_expect_eq(login(&a, BAD, &retry), 401);
  cr_expect_eq(login(&a, BAD, &retry), 401);
  cr_expect_eq(login(&b, BAD, &retry), 401, "B counts A's failures without locking out early");
  /* a process alone would have seen at most two: both now refuse */
  cr_expect_eq(login(&b, GOOD, &retry), 429, "B locks out after failures made mostly through A");
  cr_expect(retry >= 1 && retry <= 60, "B's Retry-After is %d", retry);
  cr_expect_eq(login(&a, GOOD, &retry), 429, "A locks out too");
  cr_expect(retry >= 1 && retry <= 60, "A's Retry-After is %d", retry);

  cr_expect_eq(ts_server_stop(&b), 0, "B stops cleanly");
  cr_expect_eq(ts_server_stop(&a), 0, "A stops cleanly");
}

Test(throttle_processes, failures_through_a_alone_lock_out_b) {
  curl_global_init(CURL_GLOBAL_ALL);
  const char *env[] = {"LOG_LEVEL=warning", "LOGIN_MAX_FAILURES=3", NULL};
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  ts_server_t a, b;
  cr_assert_eq(ts_server_start_role(&a, dir, env, "api"), 0);
  cr_assert_eq(ts_server_start_role(&b, dir, env, "api"), 0);
  int retry = 0;
  for (int i = 0; i < 3; i++) cr_expect_eq(login(&a, BAD, &retry), 401, "failure %d on A", i + 1);
  cr_expect_eq(login(&b, GOOD, &retry), 429, "B refuses the right password: A's failures count");
  cr_expect(retry >= 1 && retry <= 60, "Retry-After is %d", retry);
  cr_expect_eq(ts_server_stop(&b), 0);
  cr_expect_eq(ts_server_stop(&a), 0);
}
