/*
 * The WebSocket hub in a real server (in this process, so the test can
 * publish events directly): auth, subscribe with catch-up, live events,
 * refused channels, reconnect without gaps, concurrent publishers, and a
 * slow client that must not hold anyone up.
 */
#include <arpa/inet.h>
#include <civetweb.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "auth/accounts.h"
#include "auth/auth.h"
#include "base/util.h"
#include "events/events.h"
#include "store/events.h"
#include "http/server.h"
#include "http/ws.h"
#include "inproc.h"
#include "server_support.h"
#include "ws_client.h"

static inproc_t env;
static app_t *app;
static int port;
static char alice_id[17], bob_id[17];
static char *alice_tok, *bob_tok;

static void setup(void) {
  inproc_open(&env, NULL);
  app = env.app;
  inproc_user(&env, "alice", "researcher", alice_id, &alice_tok);
  inproc_user(&env, "bob", "researcher", bob_id, &bob_tok);
  inproc_serve(&env);
  port = env.port;
}

static void teardown(void) {
  inproc_close(&env);
  free(alice_tok);
  free(bob_tok);
}

TestSuite(ws, .init = setup, .fini = teardown, .timeout = 60);

/* The sequence numbers received for a channel, in arrival order. */
static int seqs_of(ws_client_t *c, const char *channel, int64_t *out, int max) {
  int n = 0;
  json_t *msgs = wsc_messages(c);
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    const char *t = json_string_value(json_object_get(m, "type"));
    const char *ch = json_string_value(json_object_get(m, "channel"));
    if (t && !strcmp(t, "event") && ch && !strcmp(ch, channel) && n < max)
      out[n++] = json_integer_value(json_object_get(m, "seq"));
  }
  json_decref(msgs);
  return n;
}

/* The first event of a channel (new reference) or NULL. */
static json_t *first_event(ws_client_t *c, const char *channel) {
  json_t *msgs = wsc_messages(c), *first = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    const char *t = json_string_value(json_object_get(m, "type"));
    const char *ch = json_string_value(json_object_get(m, "channel"));
    if (!first && t && !strcmp(t, "event") && ch && !strcmp(ch, channel)) first = json_incref(m);
  }
  json_decref(msgs);
  return first;
}

static void publish(const char *channel, int i) {
  json_t *d = json_pack("{s:i}", "i", i);
  cr_assert_eq(events_publish(app->events, channel, "progress", d, NULL), 0);
  json_decref(d);
}

Test(ws, refuses_connections_without_a_valid_token) {
  cr_expect_null(wsc_connect(port, NULL));
  cr_expect_null(wsc_connect(port, "forged.token.value"));
  ws_client_t *c = wsc_connect(port, alice_tok);
  cr_assert_not_null(c);
  wsc_close(c);
}

Test(ws, subscribe_catches_up_from_after_then_goes_live) {
  char ch[64];
  snprintf(ch, sizeof ch, "documents:%s", alice_id);
  for (int i = 1; i <= 3; i++) publish(ch, i);
  ws_client_t *c = wsc_connect(port, alice_tok);
  cr_assert_not_null(c);
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 1));
  cr_expect_eq(wsc_wait(c, "event", ch, 2, 5000), 2);
  publish(ch, 4);
  cr_expect_eq(wsc_wait(c, "event", ch, 3, 5000), 3);
  int64_t seqs[16];
  int n = seqs_of(c, ch, seqs, 16);
  cr_assert_eq(n, 3, "no duplicates");
  cr_expect_eq(seqs[0], 2);
  cr_expect_eq(seqs[1], 3);
  cr_expect_eq(seqs[2], 4);
  json_t *first = first_event(c, ch);
  cr_expect_str_eq(json_string_value(json_object_get(first, "event")), "progress");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(first, "data"), "i")), 2);
  cr_expect_not_null(json_string_value(json_object_get(first, "ts")));
  json_decref(first);
  wsc_close(c);
}

Test(ws, foreign_and_unknown_channels_are_refused_and_the_socket_stays_open) {
  ws_client_t *c = wsc_connect(port, bob_tok);
  cr_assert_not_null(c);
  char foreign[64];
  snprintf(foreign, sizeof foreign, "documents:%s", alice_id);
  wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", foreign));
  wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", "mission:nope"));
  cr_expect_eq(wsc_wait(c, "error", NULL, 2, 5000), 2);
  publish(foreign, 1);
  wsc_send(c, json_pack("{s:s}", "type", "ping"));
  cr_expect_eq(wsc_wait(c, "pong", NULL, 1, 5000), 1, "socket still open after refusals");
  cr_expect_eq(wsc_wait(c, "event", foreign, 1, 300), 0, "bob never sees alice's events");
  wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", "documents"));
  wsc_send(c, json_pack("{s:s}", "type", "bogus"));
  cr_expect_eq(wsc_wait(c, "error", NULL, 3, 5000), 3, "unknown message type answered with an error");
  wsc_close(c);
}

Test(ws, reconnect_with_last_seq_has_no_gap_and_no_duplicate) {
  char ch[64];
  snprintf(ch, sizeof ch, "documents:%s", alice_id);
  ws_client_t *c = wsc_connect(port, alice_tok);
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  for (int i = 1; i <= 5; i++) publish(ch, i);
  cr_assert_eq(wsc_wait(c, "event", ch, 5, 5000), 5);
  wsc_close(c);
  for (int i = 6; i <= 9; i++) publish(ch, i); /* while disconnected */
  c = wsc_connect(port, alice_tok);
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 5));
  cr_assert_eq(wsc_wait(c, "event", ch, 4, 5000), 4);
  publish(ch, 10);
  cr_assert_eq(wsc_wait(c, "event", ch, 5, 5000), 5);
  int64_t seqs[16];
  int n = seqs_of(c, ch, seqs, 16);
  cr_expect_eq(n, 5);
  for (int i = 0; i < n; i++) cr_expect_eq(seqs[i], 6 + i);
  wsc_close(c);
}

/* Another process stored the events (PostgreSQL): this process only hears
 * "channel, seq" (events.h: event NULL). A client following the channel
 * reads them from the log, in order, once; a client following something
 * else gets nothing; a "may have missed" notice (channel NULL) makes every
 * client catch up. */
Test(ws, events_stored_by_another_process_reach_followers_from_the_log) {
  char ch[64];
  snprintf(ch, sizeof ch, "documents:%s", alice_id);
  ws_client_t *c = wsc_connect(port, alice_tok);
  ws_client_t *b = wsc_connect(port, bob_tok);
  cr_assert(c && b);
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  wsc_send(b, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  wsc_send(c, json_pack("{s:s}", "type", "ping"));
  cr_assert_eq(wsc_wait(c, "pong", NULL, 1, 5000), 1);
  int64_t seq = 0;
  for (int i = 1; i <= 3; i++) {
    json_t *d = json_pack("{s:i}", "i", i);
    cr_assert_eq(store_event_append(app->store, ch, "progress", d, &seq, NULL), STORE_OK); /* not pushed */
    json_decref(d);
  }
  cr_expect_eq(wsc_wait(c, "event", ch, 1, 300), 0, "stored, not yet heard of");
  events_notify(app->events, &(event_t){.channel = ch, .seq = 2}); /* notifications may coalesce */
  events_notify(app->events, &(event_t){.channel = ch, .seq = 3});
  cr_assert_eq(wsc_wait(c, "event", ch, 3, 5000), 3);
  json_t *first = first_event(c, ch);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(first, "data"), "i")), 1, "read from the log");
  json_decref(first);
  json_t *d = json_pack("{s:i}", "i", 4);
  cr_assert_eq(store_event_append(app->store, ch, "progress", d, NULL, NULL), STORE_OK);
  json_decref(d);
  events_notify(app->events, &(event_t){.channel = NULL}); /* the follower reconnected */
  cr_assert_eq(wsc_wait(c, "event", ch, 4, 5000), 4);
  publish(ch, 5); /* and this process's own events still go live */
  cr_assert_eq(wsc_wait(c, "event", ch, 5, 5000), 5);
  int64_t seqs[16];
  int n = seqs_of(c, ch, seqs, 16);
  cr_expect_eq(n, 5, "each number exactly once");
  for (int i = 0; i < n; i++) cr_expect_eq(seqs[i], i + 1);
  char bch[64];
  snprintf(bch, sizeof bch, "documents:%s", alice_id);
  cr_expect_eq(wsc_wait(b, "event", bch, 1, 200), 0, "bob follows his own documents, not alice's");
  wsc_close(b);
  wsc_close(c);
}

static void *publisher(void *arg) {
  const char *ch = arg;
  for (int i = 0; i < 50; i++) publish(ch, i);
  return NULL;
}

Test(ws, concurrent_publishers_during_catch_up_give_a_gapless_stream) {
  char ch[64];
  snprintf(ch, sizeof ch, "documents:%s", alice_id);
  for (int i = 0; i < 20; i++) publish(ch, i);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, publisher, ch);
  ws_client_t *c = wsc_connect(port, alice_tok);
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  cr_assert_eq(wsc_wait(c, "event", ch, 170, 15000), 170);
  int64_t seqs[200];
  int n = seqs_of(c, ch, seqs, 200);
  cr_expect_eq(n, 170);
  for (int i = 0; i < n; i++) cr_expect_eq(seqs[i], i + 1, "position %d has seq %lld", i, (long long)seqs[i]);
  wsc_close(c);
}

/* A raw socket that upgrades, subscribes, and then never reads. */
static int stalled_client(const char *token) {
  int fd = wsc_raw_upgrade(port, token, 4096);
  cr_assert(fd >= 0);
  char resp[512];
  ssize_t r = read(fd, resp, sizeof resp - 1);
  cr_assert(r > 0);
  resp[r] = '\0';
  cr_assert(strstr(resp, " 101 ") != NULL, "%s", resp);
  const char *msg = "{\"type\":\"subscribe\",\"channel\":\"documents\"}";
  size_t len = strlen(msg);
  unsigned char frame[128] = {0x81, (unsigned char)(0x80 | len), 1, 2, 3, 4};
  for (size_t i = 0; i < len; i++) frame[6 + i] = (unsigned char)msg[i] ^ frame[2 + i % 4];
  cr_assert_eq(write(fd, frame, 6 + len), (ssize_t)(6 + len));
  return fd;
}

Test(ws, a_stalled_client_is_dropped_without_blocking_publishers_or_others) {
  char ch[64];
  snprintf(ch, sizeof ch, "documents:%s", alice_id);
  int fd = stalled_client(alice_tok);
  ws_client_t *good = wsc_connect(port, alice_tok);
  wsc_send(good, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", "documents", "after", 0));
  util_sleep_ms(200);
  char *blob = malloc(8192);
  memset(blob, 'x', 8191);
  blob[8191] = '\0';
  int64_t t0 = util_mono_ms();
  for (int i = 0; i < 3000; i++) {
    json_t *d = json_pack("{s:i, s:s}", "i", i, "pad", blob);
    cr_assert_eq(events_publish(app->events, ch, "progress", d, NULL), 0);
    json_decref(d);
  }
  int64_t took = util_mono_ms() - t0;
  free(blob);
  cr_expect(took < 30000, "publishing 3000 events took %lld ms", (long long)took);
  int got = wsc_wait(good, "event", ch, 3000, 30000);
  cr_expect_eq(got, 3000, "the healthy client got everything (%d, publish took %lld ms)", got, (long long)took);
  close(fd);
  int64_t deadline = util_mono_ms() + 10000;
  while (ws_hub_clients(app->hub) > 1 && util_mono_ms() < deadline) util_sleep_ms(20);
  cr_expect_eq(ws_hub_clients(app->hub), 1, "the stalled client is gone");
  wsc_close(good);
}
