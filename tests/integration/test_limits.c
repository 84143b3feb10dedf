/*
 * Limits that keep the server answering (docs/security.md, "Limits"):
 * WebSockets per user and in all (a reserve of HTTP threads stays for plain
 * requests), a socket over a limit closed at once with its reason even when
 * the client ignores the close frame, and a client that sends its request
 * head slowly cut off after HTTP_HEADER_TIMEOUT_MS.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "base/util.h"
#include "http/ws.h"
#include "inproc.h"
#include "server_support.h"
#include "ws_client.h"

static inproc_t env;
static ts_server_t ts;
static char alice_id[17], bob_id[17];
static char *alice_tok, *bob_tok;

static void start(const char *const *extra) {
  inproc_open(&env, extra);
  inproc_user(&env, "alice", "researcher", alice_id, &alice_tok);
  inproc_user(&env, "bob", "researcher", bob_id, &bob_tok);
  inproc_serve(&env);
  memset(&ts, 0, sizeof ts);
  ts.port = env.port;
}

static void start_per_user(void) {
  static const char *const extra[] = {"WS_MAX_PER_USER=3", NULL};
  start(extra);
}

/* 32 threads, 8 of them kept from WebSockets; one user may take them all */
static void start_total(void) {
  static const char *const extra[] = {"HTTP_THREADS=32", "HTTP_RESERVED_THREADS=8", "WS_MAX_PER_USER=1000",
                                      "WS_MAX_PER_ADDRESS=1000", NULL};
  start(extra);
}

static void stop(void) {
  inproc_close(&env);
  free(alice_tok);
  free(bob_tok);
}

TestSuite(limits_user, .init = start_per_user, .fini = stop, .timeout = 60);
TestSuite(limits_total, .init = start_total, .fini = stop, .timeout = 90);

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

/* Milliseconds until the peer ends the connection (EOF or reset) while we
 * only read, or -1 if it is still open after timeout_ms. */
static int64_t ms_until_eof(int fd, int timeout_ms, char *seen, size_t seen_len) {
  int64_t t0 = util_mono_ms();
  size_t got = 0;
  while (util_mono_ms() - t0 < timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    char b[512];
    ssize_t n = read(fd, b, sizeof b);
    if (n <= 0) return util_mono_ms() - t0;
    if (seen && got + (size_t)n < seen_len) {
      memcpy(seen + got, b, (size_t)n);
      got += (size_t)n;
      seen[got] = '\0';
    }
  }
  return -1;
}

Test(limits_user, the_socket_over_the_per_user_limit_is_closed_with_the_reason) {
  ws_client_t *c[3];
  for (int i = 0; i < 3; i++) {
    c[i] = wsc_connect(env.port, alice_tok);
    cr_assert_not_null(c[i]);
  }
  ws_client_t *extra = wsc_connect(env.port, alice_tok);
  cr_assert_not_null(extra, "opened, then closed with a reason a browser can show");
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(extra, 3000, reason, sizeof reason), WS_CLOSE_LIMIT);
  cr_expect_str_eq(reason, "too many WebSockets for this user (limit 3)");
  wsc_close(extra);

  ws_client_t *b = wsc_connect(env.port, bob_tok);
  cr_assert_not_null(b);
  wsc_send(b, json_pack("{s:s, s:s}", "type", "subscribe", "channel", "documents"));
  cr_expect_eq(wsc_wait(b, "subscribed", NULL, 1, 5000), 1, "another user is not affected");
  cr_expect_eq(wsc_wait_closed(b, 200, NULL, 0), 0);
  for (int i = 0; i < 3; i++) cr_expect_eq(wsc_wait_closed(c[i], 10, NULL, 0), 0, "the first three stay open");

  wsc_close(c[0]);
  int64_t deadline = util_mono_ms() + 5000;
  while (ws_hub_clients(env.app->hub) > 3 && util_mono_ms() < deadline) util_sleep_ms(20);
  c[0] = wsc_connect(env.port, alice_tok);
  cr_assert_not_null(c[0]);
  wsc_send(c[0], json_pack("{s:s, s:s}", "type", "subscribe", "channel", "documents"));
  cr_expect_eq(wsc_wait(c[0], "subscribed", NULL, 1, 5000), 1, "a freed place can be taken again");
  for (int i = 0; i < 3; i++) wsc_close(c[i]);
  wsc_close(b);
}

Test(limits_user, a_client_that_ignores_the_close_frame_does_not_keep_its_thread) {
  ws_client_t *c[3];
  for (int i = 0; i < 3; i++) cr_assert_not_null(c[i] = wsc_connect(env.port, alice_tok));
  int fd = wsc_raw_upgrade(env.port, alice_tok, 0);
  cr_assert(fd >= 0);
  char seen[2048] = "";
  int64_t ms = ms_until_eof(fd, 5000, seen, sizeof seen);
  cr_expect(ms >= 0 && ms < 2000, "the server ends the connection without waiting for our close (%lld ms)",
            (long long)ms);
  cr_expect(strstr(seen, " 101 ") != NULL, "upgraded first");
  cr_expect(memmem(seen, sizeof seen, "too many WebSockets", 19) != NULL, "the close frame carries the reason");
  close(fd);
  for (int i = 0; i < 3; i++) wsc_close(c[i]);
}

Test(limits_total, health_answers_within_a_second_while_one_user_tries_to_take_every_thread) {
  enum { N = 40 };
  ws_client_t *c[N];
  int open = 0;
  for (int i = 0; i < N; i++) {
    c[i] = wsc_connect(env.port, alice_tok);
    cr_assert_not_null(c[i], "socket %d", i);
  }
  util_sleep_ms(300);
  for (int i = 0; i < N; i++) open += wsc_wait_closed(c[i], 0, NULL, 0) == 0;
  cr_expect_eq(open, 24, "HTTP_THREADS - HTTP_RESERVED_THREADS sockets stay open, not %d", open);
  char reason[128] = "";
  wsc_wait_closed(c[N - 1], 2000, reason, sizeof reason);
  cr_expect(strstr(reason, "server busy") != NULL, "reason: %s", reason);

  for (int k = 0; k < 5; k++) {
    int64_t t0 = util_mono_ms();
    ts_response_t r = ts_http(&ts, "GET", "/health", NULL, NULL, NULL, 0);
    int64_t took = util_mono_ms() - t0;
    cr_expect_eq(r.status, 200);
    cr_expect(took < 1000, "/health took %lld ms", (long long)took);
    ts_response_free(&r);
    long st;
    json_decref(ts_json(&ts, "GET", "/api/auth/me", bob_tok, NULL, &st));
    cr_expect_eq(st, 200, "the API answers too");
  }
  for (int i = 0; i < N; i++) wsc_close(c[i]);
}

/* ---- slow request heads: a subprocess server with a short header timeout ---- */

static ts_server_t srv;

static void start_process(void) {
  static const char *const env_[] = {"HTTP_HEADER_TIMEOUT_MS=1500", "HTTP_KEEPALIVE_MS=1000", NULL};
  cr_assert_eq(ts_server_start(&srv, env_), 0);
}
static void stop_process(void) {
  ts_server_stop(&srv);
}

TestSuite(limits_head, .init = start_process, .fini = stop_process, .timeout = 60);

Test(limits_head, a_client_sending_one_header_line_every_half_second_is_cut_off) {
  int fd = raw_connect(srv.port);
  int64_t t0 = util_mono_ms(), ended = -1;
  const char *first = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  cr_assert_eq(write(fd, first, strlen(first)), (ssize_t)strlen(first));
  while (util_mono_ms() - t0 < 8000) {
    int64_t e = ms_until_eof(fd, 500, NULL, 0);
    if (e >= 0) {
      ended = util_mono_ms() - t0;
      break;
    }
    if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) != 11) {
      ended = util_mono_ms() - t0;
      break;
    }
  }
  close(fd);
  cr_expect(ended >= 0, "the connection was still open after 8 s");
  cr_expect(ended < 3500, "cut off after %lld ms (HTTP_HEADER_TIMEOUT_MS=1500)", (long long)ended);
}

Test(limits_head, an_idle_kept_alive_connection_is_closed_after_the_keepalive_time) {
  int fd = raw_connect(srv.port);
  const char *req = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
  char seen[2048] = "";
  int64_t ms = ms_until_eof(fd, 8000, seen, sizeof seen);
  cr_expect(strstr(seen, "200") != NULL, "the request was answered: %s", seen);
  cr_expect(ms >= 0 && ms < 2500, "idle connection closed after %lld ms (HTTP_KEEPALIVE_MS=1000)", (long long)ms);
  close(fd);
}
