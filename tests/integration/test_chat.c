/*
 * Chat with documents through a real server (in this process, so documents
 * are ingested with the rag library and the event log is read directly),
 * over real HTTP and WebSocket, against the fake model server: grounded
 * answers citing the right document, citations that resolve to real
 * passages, invented citations dropped, tokens streamed in order on chat:ID,
 * history in the prompt, a failing model, one question at a time, user
 * isolation (404 and refused subscription), viewers, group scope, delete,
 * and the extractive answer when no model is configured.
 */
#include <civetweb.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "auth/accounts.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/util.h"
#include "chat_support.h"
#include "events/events.h"
#include "http/server.h"
#include "inproc.h"
#include "llm_support.h"
#include "rag/rag.h"
#include "rag_support.h"
#include "server_support.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/events.h"
#include "ws_client.h"

static inproc_t env;
static app_t *app;
static http_server_t *srv;
static ts_server_t ts; /* only .port, for ts_json */
static llmsup_fake_t fake;
static int have_fake;
static char alice[17], bob[17], vera[17];
static char *tok_a, *tok_b, *tok_v;
static char doc_volcano[17], doc_coffee[17], doc_bees[17], doc_bob[17], coffee_group[17];

#define VOLCANO_TEXT                                                                                           \
  "# Volcanoes of Italy\n\nMount Etna is an active stratovolcano on the east coast of Sicily. Its eruptions "  \
  "are frequent and mostly effusive. The summit is about 3,300 metres high.\n\nVesuvius destroyed Pompeii in " \
  "the year 79.\n"
#define COFFEE_TEXT                                                                                           \
  "# Coffee roasting\n\nLight roasts keep more of the bean's acidity and floral aroma. Dark roasts taste of " \
  "caramel and smoke because the sugars burn.\n"
#define BEES_TEXT                                                                                         \
  "Honeybees tell their sisters where flowers are with a waggle dance. The angle of the dance shows the " \
  "direction relative to the sun.\n"
#define BOB_TEXT "Bob's private notes: Mount Etna is secretly made of chocolate.\n"

#define ETNA_ANSWER "Mount Etna stands on the east coast of Sicily [1]. It is unrelated to coffee [9]."

#define STREAM_ANSWER "Etna lies on Sicily [1], says the passage."

static const char *RULES =
    "{\"rules\":["
    "{\"name\":\"history\",\"match\":{\"any\":\"It is unrelated to coffee\",\"content\":\"Question: How often\"},"
    " \"text\":\"Often, according to the same passage [1].\"},"
    "{\"name\":\"etna\",\"match\":{\"content\":\"Question: Where is Mount Etna\"},\"text\":\"" ETNA_ANSWER
    "\"},"
    "{\"name\":\"slow\",\"match\":{\"content\":\"Question: Slowly\"},\"delay\":1.5,\"text\":\"Slow [1].\"},"
    "{\"name\":\"stream\",\"match\":{\"content\":\"Question: Stream\"},\"slow\":0.06,"
    " \"text\":\"" STREAM_ANSWER
    "\"},"
    "{\"name\":\"dropped\",\"match\":{\"content\":\"Question: Dropped\"},\"drop\":3,\"fail_times\":1,"
    " \"text\":\"After a restart, the answer is complete [1].\"},"
    "{\"name\":\"long\",\"match\":{\"content\":\"Question: Long\"},\"text\":\"word \",\"repeat\":40000,"
    " \"chunk\":16},"
    "{\"name\":\"broken\",\"match\":{\"content\":\"Question: Broken\"},\"status\":500}"
    "],\"default\":{\"text\":\"Default answer [2][1].\"}}";

static void start(int with_model) {
  have_fake = with_model;
  chatsup_open(&env, with_model ? &fake : NULL, RULES, NULL);
  app = env.app;
  inproc_user(&env, "alice", "researcher", alice, &tok_a);
  inproc_user(&env, "bob", "researcher", bob, &tok_b);
  inproc_user(&env, "vera", "viewer", vera, &tok_v);
  inproc_serve(&env);
  srv = env.srv;
  ts.port = env.port;
  chatsup_add_doc(&env, alice, "volcanoes.md", VOLCANO_TEXT, doc_volcano);
  chatsup_add_doc(&env, alice, "coffee.md", COFFEE_TEXT, doc_coffee);
  chatsup_add_doc(&env, alice, "bees.txt", BEES_TEXT, doc_bees);
  chatsup_add_doc(&env, bob, "bob.txt", BOB_TEXT, doc_bob);
  cr_assert_eq(store_group_create(app->store, alice, "coffee", "", coffee_group), STORE_OK);
  const char *ids[] = {doc_coffee};
  cr_assert_eq(store_group_add_docs(app->store, alice, coffee_group, ids, 1), STORE_OK);
}

static void start_model(void) {
  start(1);
}
static void start_offline(void) {
  start(0);
}

static void stop(void) {
  inproc_close(&env);
  free(tok_a);
  free(tok_b);
  free(tok_v);
  if (have_fake) llmsup_fake_stop(&fake);
}

TestSuite(chat, .init = start_model, .fini = stop, .timeout = 90);
TestSuite(chat_offline, .init = start_offline, .fini = stop, .timeout = 90);

/* ---------- helpers ---------- */

static char *new_chat(const char *tok, const char *title, const char *group) {
  json_t *b = json_object();
  if (title) json_object_set_new(b, "title", json_string(title));
  if (group) json_object_set_new(b, "group_id", json_string(group));
  long st;
  json_t *j = ts_json(&ts, "POST", "/api/chats", tok, b, &st);
  json_decref(b);
  cr_assert_eq(st, 201, "create chat: %ld", st);
  char *id = util_strdup(json_string_value(json_object_get(j, "id")));
  cr_assert_not_null(id);
  json_decref(j);
  return id;
}

static json_t *post_question(const char *tok, const char *chat, const char *q, long *st) {
  char path[128];
  snprintf(path, sizeof path, "/api/chats/%s/messages", chat);
  json_t *b = json_pack("{s:s}", "content", q);
  json_t *j = ts_json(&ts, "POST", path, tok, b, st);
  json_decref(b);
  return j;
}

static json_t *events_of(const char *chat) {
  char ch[40];
  snprintf(ch, sizeof ch, "chat:%s", chat);
  json_t *ev = store_event_list(app->store, ch, 0, 10000);
  cr_assert_not_null(ev);
  return ev;
}

/*
 * Asks and waits for the answer, as a client does: the POST answers 202 with
 * the question's event seq, the answer ends on the chat's channel. Returns
 * the assistant message with *st = 200, or the error event's data with
 * *st = 503; any other POST status and body as they came.
 */
static json_t *ask(const char *tok, const char *chat, const char *q, long *st) {
  json_t *j = post_question(tok, chat, q, st);
  if (*st != 202) return j;
  json_int_t seq = json_integer_value(json_object_get(j, "seq"));
  cr_assert_gt(seq, 0, "the 202 names the question's event");
  json_decref(j);
  char ch[40];
  snprintf(ch, sizeof ch, "chat:%s", chat);
  json_t *end = chatsup_end_of_answer(&env, ch, seq);
  *st = strcmp(json_string_value(json_object_get(end, "event")), "error") ? 200 : 503;
  json_t *data = json_incref(json_object_get(end, "data"));
  json_decref(end);
  return data;
}

/* Every citation names a passage of the user's library whose text it carries. */
static void check_citations_resolve(const char *user, json_t *msg) {
  json_t *cits = json_object_get(msg, "citations");
  cr_assert(json_is_array(cits));
  size_t i;
  json_t *c;
  json_array_foreach(cits, i, c) {
    cr_assert_eq(json_integer_value(json_object_get(c, "n")), (json_int_t)i + 1, "citations numbered 1..k");
    long long cid = 0;
    cr_assert_eq(util_parse_int(json_string_value(json_object_get(c, "chunk_id")), 1, 1LL << 60, &cid), 0);
    rag_hit_t h;
    cr_assert_eq(rag_chunk_fetch(app->rag, user, cid, &h), 0, "chunk %lld must exist for the user", cid);
    cr_assert_str_eq(h.document_id, json_string_value(json_object_get(c, "document_id")));
    cr_assert_str_eq(h.text, json_string_value(json_object_get(c, "text")));
    rag_hit_clear(&h);
    char marker[32];
    snprintf(marker, sizeof marker, "[%zu]", i + 1);
    cr_assert_not_null(strstr(json_string_value(json_object_get(msg, "content")), marker), "%s in the answer", marker);
  }
}

/* ---------- with a model ---------- */

Test(chat, answer_cites_the_right_document_and_streams_in_order) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  json_t *m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200, "status %ld", st);
  cr_assert_str_eq(json_string_value(json_object_get(m, "role")), "assistant");
  cr_assert_str_eq(json_string_value(json_object_get(m, "mode")), "model");
  /* [9] was never given: dropped with its space; [1] kept */
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")),
                   "Mount Etna stands on the east coast of Sicily [1]. It is unrelated to coffee.");
  json_t *cits = json_object_get(m, "citations");
  cr_assert_eq(json_array_size(cits), 1);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(cits, 0), "document_id")), doc_volcano);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(cits, 0), "filename")), "volcanoes.md");
  cr_assert_not_null(
      strstr(json_string_value(json_object_get(json_array_get(cits, 0), "text")), "east coast of Sicily"));
  check_citations_resolve(alice, m);

  /* the prompt: numbered passages from Alice's library only (Bob's chocolate never) */
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *last = json_array_get(json_object_get(calls, "calls"), json_array_size(json_object_get(calls, "calls")) - 1);
  const char *lu = json_string_value(json_object_get(last, "last_user"));
  cr_assert_not_null(strstr(lu, "[1] Volcanoes of Italy"), "prompt starts with passage 1: %s", lu);
  cr_assert_null(strstr(lu, "chocolate"));
  cr_assert(json_is_true(json_object_get(last, "stream")));
  json_decref(calls);

  /* the event log: message(user), passages, token..., message(assistant), gap-free */
  json_t *ev = events_of(chat);
  size_t n = json_array_size(ev);
  cr_assert_geq(n, 4);
  buf_t toks = BUF_INIT;
  buf_init(&toks);
  size_t i;
  json_t *e;
  json_array_foreach(ev, i, e) {
    cr_assert_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1, "gap-free sequence");
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *d = json_object_get(e, "data");
    if (i == 0) {
      cr_assert_str_eq(name, "message");
      cr_assert_str_eq(json_string_value(json_object_get(d, "role")), "user");
      cr_assert_str_eq(json_string_value(json_object_get(d, "content")), "Where is Mount Etna?");
    } else if (i == 1) {
      cr_assert_str_eq(name, "passages");
      cr_assert_str_eq(
          json_string_value(json_object_get(json_array_get(json_object_get(d, "passages"), 0), "document_id")),
          doc_volcano);
    } else if (i == n - 1) {
      cr_assert_str_eq(name, "message");
      cr_assert_str_eq(json_string_value(json_object_get(d, "role")), "assistant");
      cr_assert_str_eq(json_string_value(json_object_get(d, "content")),
                       json_string_value(json_object_get(m, "content")));
    } else {
      cr_assert_str_eq(name, "token");
      buf_puts(&toks, json_string_value(json_object_get(d, "text")));
    }
  }
  cr_assert_str_eq(toks.data, ETNA_ANSWER, "the streamed tokens are the model's answer");
  buf_free(&toks);
  json_decref(ev);

  /* stored: GET shows both messages, the title came from the question */
  char path[128];
  snprintf(path, sizeof path, "/api/chats/%s", chat);
  json_t *c = ts_json(&ts, "GET", path, tok_a, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(c, "title")), "Where is Mount Etna?");
  cr_assert_eq(json_array_size(json_object_get(c, "messages")), 2);
  cr_assert_eq(json_integer_value(json_object_get(c, "last_seq")), (json_int_t)n);
  json_t *stored = json_array_get(json_object_get(c, "messages"), 1);
  cr_assert(json_equal(json_object_get(stored, "citations"), cits));
  json_decref(c);
  json_decref(m);
  free(chat);
}

Test(chat, history_goes_into_the_prompt) {
  char *chat = new_chat(tok_a, "Etna", NULL);
  long st;
  json_decref(ask(tok_a, chat, "Where is Mount Etna?", &st));
  cr_assert_eq(st, 200);
  json_t *m = ask(tok_a, chat, "How often does Mount Etna erupt?", &st);
  cr_assert_eq(st, 200);
  /* only the "history" rule answers this, and it needs the first answer in the prompt */
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")), "Often, according to the same passage [1].");
  check_citations_resolve(alice, m);
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *arr = json_object_get(calls, "calls");
  json_t *last = json_array_get(arr, json_array_size(arr) - 1);
  cr_assert_str_eq(json_string_value(json_object_get(last, "rule")), "history");
  cr_assert_eq(json_integer_value(json_object_get(last, "messages")), 4, "system, user, assistant, user");
  json_decref(calls);
  char path[128];
  snprintf(path, sizeof path, "/api/chats/%s", chat);
  json_t *c = ts_json(&ts, "GET", path, tok_a, NULL, &st);
  cr_assert_eq(json_array_size(json_object_get(c, "messages")), 4);
  cr_assert_str_eq(json_string_value(json_object_get(c, "title")), "Etna", "a given title is kept");
  json_decref(c);
  json_decref(m);
  free(chat);
}

Test(chat, renumbers_citations_by_first_appearance) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  /* matches two documents (volcano and coffee); the default rule cites [2] then [1] */
  json_t *m = ask(tok_a, chat, "Etna eruptions and coffee roasts", &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")), "Default answer [1][2].");
  json_t *cits = json_object_get(m, "citations");
  cr_assert_eq(json_array_size(cits), 2);
  check_citations_resolve(alice, m);
  /* the first citation is the passage the prompt numbered 2 */
  json_t *ev = events_of(chat);
  json_t *passages = json_object_get(json_object_get(json_array_get(ev, 1), "data"), "passages");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(passages, 1), "chunk_id")),
                   json_string_value(json_object_get(json_array_get(cits, 0), "chunk_id")));
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(passages, 0), "chunk_id")),
                   json_string_value(json_object_get(json_array_get(cits, 1), "chunk_id")));
  json_decref(ev);
  json_decref(m);
  free(chat);
}

Test(chat, model_failure_ends_the_answer_with_an_error_event) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  json_t *m = ask(tok_a, chat, "Broken: where is Mount Etna?", &st);
  cr_assert_eq(st, 503);
  cr_assert_not_null(strstr(json_string_value(json_object_get(m, "message")), "the model could not answer"));
  json_decref(m);
  json_t *ev = events_of(chat);
  json_t *lastev = json_array_get(ev, json_array_size(ev) - 1);
  cr_assert_str_eq(json_string_value(json_object_get(lastev, "event")), "error");
  json_decref(ev);
  /* the chat is usable again, and the unanswered question stays out of the prompt */
  m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200);
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *arr = json_object_get(calls, "calls");
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "messages")), 2);
  json_decref(calls);
  json_decref(m);
  free(chat);
}

Test(chat, a_restarted_stream_sends_reset) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  json_t *m = ask(tok_a, chat, "Dropped: where is Mount Etna?", &st);
  cr_assert_eq(st, 200, "status %ld", st);
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")), "After a restart, the answer is complete [1].");
  /* the tokens after the last reset are exactly the answer */
  json_t *ev = events_of(chat);
  buf_t toks = BUF_INIT;
  buf_init(&toks);
  int resets = 0;
  size_t i;
  json_t *e;
  json_array_foreach(ev, i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    if (!strcmp(name, "reset")) {
      resets++;
      buf_reset(&toks);
    } else if (!strcmp(name, "token")) {
      buf_puts(&toks, json_string_value(json_object_get(json_object_get(e, "data"), "text")));
    }
  }
  cr_assert_eq(resets, 1);
  cr_assert_str_eq(toks.data, "After a restart, the answer is complete [1].");
  buf_free(&toks);
  json_decref(ev);
  json_decref(m);
  free(chat);
}

typedef struct {
  const char *chat;
  long status;
} bg_ask_t;

static void *bg_ask(void *p) {
  bg_ask_t *a = p;
  json_decref(ask(tok_a, a->chat, "Slowly: where is Mount Etna?", &a->status));
  return NULL;
}

Test(chat, one_question_at_a_time) {
  char *chat = new_chat(tok_a, NULL, NULL);
  bg_ask_t a = {chat, 0};
  pthread_t t;
  pthread_create(&t, NULL, bg_ask, &a);
  /* wait until the slow question is being answered (its passages are out) */
  int64_t deadline = util_mono_ms() + 20000;
  for (;;) {
    json_t *ev = events_of(chat);
    size_t n = json_array_size(ev);
    json_decref(ev);
    if (n >= 2) break;
    cr_assert_lt(util_mono_ms(), deadline, "the slow question never started");
    util_sleep_ms(10);
  }
  long st;
  json_t *m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 409, "a second question while the first runs: %ld", st);
  json_decref(m);
  pthread_join(t, NULL);
  cr_assert_eq(a.status, 200);
  m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200);
  json_decref(m);
  free(chat);
}

Test(chat, a_question_is_handed_off_and_no_request_thread_waits_for_the_model) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  int64_t t0 = util_mono_ms();
  json_t *j = post_question(tok_a, chat, "Slowly: where is Mount Etna?", &st);
  int64_t took = util_mono_ms() - t0;
  cr_assert_eq(st, 202, "status %ld", st);
  cr_expect_lt(took, 1000, "the POST returned after %lld ms, before the model's 1.5 s", (long long)took);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "message"), "role")), "user");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "message"), "content")),
                   "Slowly: where is Mount Etna?");
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", chat);
  cr_expect_str_eq(json_string_value(json_object_get(j, "channel")), channel);
  json_int_t seq = json_integer_value(json_object_get(j, "seq"));
  json_decref(j);
  /* while the model thinks, the server answers at once */
  ts_response_t h = ts_http(&ts, "GET", "/health", NULL, NULL, NULL, 0);
  cr_expect_eq(h.status, 200);
  ts_response_free(&h);
  char ch[40];
  snprintf(ch, sizeof ch, "chat:%s", chat);
  json_t *end = chatsup_end_of_answer(&env, ch, seq);
  cr_assert_str_eq(json_string_value(json_object_get(end, "event")), "message");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(end, "data"), "content")), "Slow [1].");
  json_decref(end);
  free(chat);
}

/* ---------- WebSocket ---------- */

static ws_client_t *ws_open(const char *tok, const char *channel) {
  ws_client_t *c = wsc_connect(ts.port, tok);
  cr_assert_not_null(c, "WebSocket refused");
  wsc_send(c, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  return c;
}

/* 1 when the assistant's final `message` event has arrived. */
static int has_assistant_message(ws_client_t *c) {
  json_t *all = wsc_messages(c);
  size_t i;
  json_t *m;
  int found = 0;
  json_array_foreach(all, i, m) {
    const char *ev = json_string_value(json_object_get(m, "event"));
    const char *role = json_string_value(json_object_get(json_object_get(m, "data"), "role"));
    if (ev && !strcmp(ev, "message") && role && !strcmp(role, "assistant")) found = 1;
  }
  json_decref(all);
  return found;
}

/* Issue 11, finding 4: a long answer streamed in small pieces becomes a few
 * token events (batched by size and time), not one row per piece. */
Test(chat, long_stream_is_batched_into_few_token_events) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  int64_t t0 = util_mono_ms();
  json_t *m = ask(tok_a, chat, "Long: tell me everything about Etna", &st);
  int64_t ms = util_mono_ms() - t0;
  cr_assert_eq(st, 200, "status %ld", st);
  json_decref(m);
  json_t *ev = events_of(chat);
  size_t i, ntok = 0, bytes = 0;
  json_t *e;
  json_array_foreach(ev, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "event")), "token")) continue;
    ntok++;
    bytes += strlen(json_string_value(json_object_get(json_object_get(e, "data"), "text")));
  }
  json_decref(ev);
  cr_assert_eq(bytes, 200000, "every streamed byte arrives (%zu)", bytes);
  size_t bound = 200000 / 4096 + (size_t)(ms / 100) + 5;
  cr_assert_leq(ntok, bound, "%zu token events for 12500 pieces in %lld ms (at most %zu)", ntok, (long long)ms, bound);
  free(chat);
}

Test(chat, tokens_arrive_live_on_the_websocket_and_strangers_are_refused) {
  char *chat = new_chat(tok_a, NULL, NULL);
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", chat);
  ws_client_t *c = ws_open(tok_a, channel);
  cr_assert_eq(wsc_wait(c, "subscribed", NULL, 1, 20000), 1);
  ws_client_t *b = ws_open(tok_b, channel);
  cr_assert_eq(wsc_wait(b, "error", NULL, 1, 20000), 1, "bob's subscription was not refused");

  long st;
  json_t *m = ask(tok_a, chat, "Stream: where is Mount Etna?", &st);
  cr_assert_eq(st, 200);
  int64_t deadline = util_mono_ms() + 20000;
  while (!has_assistant_message(c) && util_mono_ms() < deadline) util_sleep_ms(10);
  json_t *all = wsc_messages(c);
  buf_t toks = BUF_INIT;
  buf_init(&toks);
  json_int_t prev = 0;
  size_t i;
  json_t *e;
  int ntok = 0;
  json_array_foreach(all, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "type")), "event")) continue;
    json_int_t seq = json_integer_value(json_object_get(e, "seq"));
    cr_assert_eq(seq, prev + 1, "in order, no gaps, no duplicates");
    prev = seq;
    if (!strcmp(json_string_value(json_object_get(e, "event")), "token")) {
      buf_puts(&toks, json_string_value(json_object_get(json_object_get(e, "data"), "text")));
      ntok++;
    }
  }
  cr_assert_geq(ntok, 3, "the answer arrives in pieces as the model writes it (%d token events)", ntok);
  cr_assert_str_eq(toks.data, STREAM_ANSWER);
  buf_free(&toks);
  json_decref(all);

  /* Bob got nothing but the refusal */
  cr_assert_eq(wsc_count(b, "event", NULL), 0);
  wsc_close(b);
  wsc_close(c);
  json_decref(m);
  free(chat);
}

/* ---------- isolation, roles, groups, delete ---------- */

Test(chat, other_users_get_404_and_viewers_cannot_post) {
  char *chat = new_chat(tok_a, "mine", NULL);
  long st;
  json_decref(ask(tok_a, chat, "Where is Mount Etna?", &st));
  cr_assert_eq(st, 200);
  char path[128], mpath[160];
  snprintf(path, sizeof path, "/api/chats/%s", chat);
  snprintf(mpath, sizeof mpath, "/api/chats/%s/messages", chat);
  json_t *j = ts_json(&ts, "GET", path, tok_b, NULL, &st);
  cr_assert_eq(st, 404);
  cr_assert_str_eq(ts_error_code(j), "not_found");
  json_decref(j);
  json_decref(ask(tok_b, chat, "Where is Mount Etna?", &st));
  cr_assert_eq(st, 404);
  json_decref(ts_json(&ts, "DELETE", path, tok_b, NULL, &st));
  cr_assert_eq(st, 404);
  j = ts_json(&ts, "GET", "/api/chats", tok_b, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_array_size(json_object_get(j, "chats")), 0);
  json_decref(j);
  j = ts_json(&ts, "GET", "/api/chats", tok_a, NULL, &st);
  cr_assert_eq(json_integer_value(json_object_get(j, "total")), 1);
  json_decref(j);
  /* Bob's own chat searches Bob's library only */
  char *bchat = new_chat(tok_b, NULL, NULL);
  j = ask(tok_b, bchat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(
      json_string_value(json_object_get(json_array_get(json_object_get(j, "citations"), 0), "document_id")), doc_bob);
  json_decref(j);
  /* viewers read, but neither create nor ask */
  json_t *b = json_object();
  json_decref(ts_json(&ts, "POST", "/api/chats", tok_v, b, &st));
  cr_assert_eq(st, 403);
  json_decref(b);
  json_decref(ask(tok_v, chat, "hello", &st));
  cr_assert_eq(st, 403);
  json_decref(ts_json(&ts, "GET", "/api/chats", tok_v, NULL, &st));
  cr_assert_eq(st, 200);
  /* bad input */
  b = json_pack("{s:i}", "content", 3);
  json_decref(ts_json(&ts, "POST", mpath, tok_a, b, &st));
  cr_assert_eq(st, 422);
  json_decref(b);
  b = json_pack("{s:s}", "content", "   ");
  json_decref(ts_json(&ts, "POST", mpath, tok_a, b, &st));
  cr_assert_eq(st, 422);
  json_decref(b);
  b = json_pack("{s:s}", "group_id", "nope");
  json_decref(ts_json(&ts, "POST", "/api/chats", tok_a, b, &st));
  cr_assert_eq(st, 404);
  json_decref(b);
  free(chat);
  free(bchat);
}

Test(chat, delete_removes_messages_and_events) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  json_decref(ask(tok_a, chat, "Where is Mount Etna?", &st));
  cr_assert_eq(st, 200);
  char path[128];
  snprintf(path, sizeof path, "/api/chats/%s", chat);
  json_decref(ts_json(&ts, "DELETE", path, tok_a, NULL, &st));
  cr_assert_eq(st, 200);
  json_decref(ts_json(&ts, "GET", path, tok_a, NULL, &st));
  cr_assert_eq(st, 404);
  json_t *ev = events_of(chat);
  cr_assert_eq(json_array_size(ev), 0);
  json_decref(ev);
  free(chat);
}

Test(chat, group_scope) {
  char *chat = new_chat(tok_a, NULL, coffee_group);
  long st;
  /* Etna is not in the coffee group: nothing to answer from, no model call */
  long before = llmsup_fake_total(&fake);
  json_t *m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(m, "mode")), "no_passages");
  cr_assert_eq(json_array_size(json_object_get(m, "citations")), 0);
  cr_assert_eq(llmsup_fake_total(&fake), before);
  json_decref(m);
  m = ask(tok_a, chat, "Which roasts keep acidity?", &st);
  cr_assert_eq(st, 200);
  json_t *cits = json_object_get(m, "citations");
  cr_assert_geq(json_array_size(cits), 1);
  size_t i;
  json_t *c;
  json_array_foreach(cits, i, c) cr_assert_str_eq(json_string_value(json_object_get(c, "document_id")), doc_coffee);
  json_decref(m);
  /* the group goes away: the chat says so instead of searching everything */
  cr_assert_eq(store_group_delete(app->store, alice, coffee_group), STORE_OK);
  m = ask(tok_a, chat, "Which roasts keep acidity?", &st);
  cr_assert_eq(st, 409);
  json_decref(m);
  free(chat);
}

/* ---------- without a model ---------- */

Test(chat_offline, extractive_answer_quotes_passages_with_citations) {
  char *chat = new_chat(tok_a, NULL, NULL);
  long st;
  json_t *m = ask(tok_a, chat, "Where is Mount Etna?", &st);
  cr_assert_eq(st, 200, "status %ld", st);
  cr_assert_str_eq(json_string_value(json_object_get(m, "mode")), "extractive");
  const char *content = json_string_value(json_object_get(m, "content"));
  cr_assert(util_starts_with(content, "*Extractive answer"), "labelled: %s", content);
  cr_assert_not_null(strstr(content, "> Mount Etna is an active stratovolcano on the east coast of Sicily."), "%s",
                     content);
  json_t *cits = json_object_get(m, "citations");
  cr_assert_geq(json_array_size(cits), 1);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(cits, 0), "document_id")), doc_volcano);
  check_citations_resolve(alice, m);
  /* every quoted line is verbatim text of the passage it cites */
  json_t *ev = events_of(chat);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, json_array_size(ev) - 1), "event")), "message");
  json_decref(ev);
  json_decref(m);

  m = ask(tok_a, chat, "quantum chromodynamics lattice", &st);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_array_size(json_object_get(m, "citations")), 0);
  cr_assert_not_null(strstr(json_string_value(json_object_get(m, "content")), "No passage"));
  json_decref(m);
  free(chat);
}

/* A client that hears the end of an answer may ask again at once: the chat
 * is free before the answer's event goes out (it once was freed just after,
 * and a quick client got 409 "still answering"). Listeners run on the
 * publisher's thread, so this one sees the chat as the client would. */
static char heard_chat[17];
static int heard_end = 0, heard_free = 0;
static void on_event(void *ud, const event_t *e) {
  (void)ud;
  char ch[40];
  snprintf(ch, sizeof ch, "chat:%s", heard_chat);
  if (strcmp(e->channel, ch) || strcmp(e->event, "message")) return;
  const char *role = json_string_value(json_object_get(e->data, "role"));
  if (!role || strcmp(role, "assistant")) return;
  heard_end++;
  if (store_chat_claim(app->store, alice, heard_chat, 60000) == STORE_OK) {
    heard_free++;
    store_chat_release(app->store, heard_chat);
  }
}

Test(chat_offline, the_next_question_can_be_asked_as_soon_as_the_answer_is_heard) {
  char *chat = new_chat(tok_a, NULL, NULL);
  snprintf(heard_chat, sizeof heard_chat, "%s", chat);
  cr_assert_eq(events_listen(app->events, on_event, NULL), 0);
  for (int i = 0; i < 3; i++) {
    long st;
    json_t *m = ask(tok_a, chat, i % 2 ? "Where is Mount Etna?" : "Which roasts keep acidity?", &st);
    cr_assert_eq(st, 200, "question %d: status %ld", i + 1, st);
    json_decref(m);
  }
  events_unlisten(app->events, on_event, NULL);
  cr_assert_eq(heard_end, 3);
  cr_assert_eq(heard_free, 3, "the chat was still answering when its answer went out (%d of 3 free)", heard_free);
  free(chat);
}

Test(chat, rename_is_the_owners_and_checked) {
  char *chat = new_chat(tok_a, NULL, NULL);
  char path[80];
  snprintf(path, sizeof path, "/api/chats/%s", chat);
  long st;
  json_t *b = json_pack("{s:s}", "title", "  Etna questions ");
  json_t *j = ts_json(&ts, "PATCH", path, tok_a, b, &st);
  json_decref(b);
  cr_assert_eq(st, 200, "%ld", st);
  cr_assert_str_eq(json_string_value(json_object_get(j, "title")), "Etna questions");
  json_decref(j);
  b = json_pack("{s:s}", "title", "Bob's");
  j = ts_json(&ts, "PATCH", path, tok_b, b, &st);
  json_decref(b);
  cr_assert_eq(st, 404);
  json_decref(j);
  b = json_pack("{s:s}", "title", " ");
  j = ts_json(&ts, "PATCH", path, tok_a, b, &st);
  json_decref(b);
  cr_assert_eq(st, 422);
  json_decref(j);
  b = json_pack("{s:i}", "title", 3);
  j = ts_json(&ts, "PATCH", path, tok_a, b, &st);
  json_decref(b);
  cr_assert_eq(st, 422);
  json_decref(j);
  /* the first question no longer renames it */
  long st2;
  json_decref(ask(tok_a, chat, "Where is Mount Etna?", &st2));
  j = ts_json(&ts, "GET", path, tok_a, NULL, &st);
  cr_assert_str_eq(json_string_value(json_object_get(j, "title")), "Etna questions");
  json_decref(j);
  free(chat);
}
