/*
 * The research chat through a real server (in this process) over real HTTP
 * and WebSocket: a draft from the user's words with the offline proposal
 * (questions from the request's clauses, sources from matching documents)
 * or the planner's (the fake model), a misbehaving planner answer asked
 * again then replaced by the offline proposal with the reason recorded, a
 * refinement turn answered on draft:ID, card edits validated field by field,
 * the start creating the mission through POST /api/missions' rules, the
 * conversation continuing as a chat with documents, owner checks (404, also
 * on the live channel) and bad input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/buf.h"
#include "base/util.h"
#include "chat_support.h"
#include "inproc.h"
#include "llm_support.h"
#include "rag/rag.h"
#include "rag_support.h"
#include "server_support.h"
#include "store/documents.h"
#include "store/events.h"
#include "store/missions.h"
#include "ws_client.h"

static inproc_t env;
static app_t *app;
static ts_server_t ts;
static llmsup_fake_t fake;
static int have_fake;
static char alice[17], bob[17], vera[17], doc_volcano[17], doc_bob[17];
static char *tok_a, *tok_b, *tok_v;

#define VOLCANO_TEXT                                                                                          \
  "# Volcanoes of Italy\n\nMount Etna is an active stratovolcano on the east coast of Sicily. Its eruptions " \
  "are frequent. Vesuvius destroyed Pompeii in the year 79 and threatens Naples today.\n"
#define BOB_TEXT "Bob's private notes on volcanoes: Etna is secretly made of chocolate.\n"

/* A reply long enough to stream in several pieces, with characters JSON escapes. */
#define STREAMED_REPLY_JSON                                                                                     \
  "I kept the \\\"solar\\\" questions, dropped policies and wrote for executives: \\u00e9tape by \\u00e9tape, " \
  "each answer short.\\nStart when the card suits you."
#define STREAMED_REPLY                                                                                         \
  "I kept the \"solar\" questions, dropped policies and wrote for executives: \u00e9tape by \u00e9tape, each " \
  "answer short.\nStart when the card suits you."

static const char *RULES =
    "{\"rules\":["
    "{\"name\":\"solar\",\"match\":{\"system\":\"role: mission_draft\",\"content\":\"The user's latest message: I "
    "need a report on solar power\"},"
    " \"json\":{\"reply\":\"Here is a mission on solar power in Korea.\",\"title\":\"Solar power in Korea\","
    " \"questions\":[\"How much solar capacity does Korea have?\",\"What does solar power cost in Korea?\","
    " \"Which policies support solar power in Korea?\",\"What limits its growth?\"],"
    " \"sources\":{\"documents\":true,\"web\":false,\"scholarly\":false},\"depth\":\"standard\",\"language\":\"en\","
    " \"tone\":\"formal\",\"audience\":\"policy analysts\"}},"
    "{\"name\":\"refine\",\"match\":{\"system\":\"role: mission_draft\",\"content\":\"latest message: drop the "
    "third question\"},"
    " \"json\":{\"reply\":\"I dropped the question on policies.\",\"title\":\"Solar power in Korea\","
    " \"questions\":[\"How much solar capacity does Korea have?\",\"What does solar power cost in Korea?\","
    " \"What limits its growth?\"],"
    " \"sources\":{\"documents\":true,\"web\":false,\"scholarly\":false},\"depth\":\"quick\",\"language\":\"en\","
    " \"tone\":\"concise\",\"audience\":\"executives\"}},"
    "{\"name\":\"streamed\",\"match\":{\"system\":\"role: mission_draft\",\"content\":\"latest message: write "
    "as you think\"},\"chunk\":4,\"slow\":0.03,"
    " \"json\":{\"reply\":\"" STREAMED_REPLY_JSON
    "\",\"title\":\"Solar power in Korea\","
    " \"questions\":[\"How much solar capacity does Korea have?\",\"What does solar power cost in Korea?\","
    " \"What limits its growth?\"],"
    " \"sources\":{\"documents\":true,\"web\":false,\"scholarly\":false},\"depth\":\"quick\",\"language\":\"en\","
    " \"tone\":\"concise\",\"audience\":\"executives\"}},"
    "{\"name\":\"broken\",\"match\":{\"system\":\"role: mission_draft\",\"any\":\"latest message: Volcano "
    "risks\"},"
    " \"json\":{\"reply\":\"ok\",\"title\":\"Volcano risks\",\"questions\":[\"volcanoes\"],"
    " \"sources\":{\"documents\":true},\"depth\":\"standard\",\"language\":\"en\",\"tone\":\"formal\","
    "\"audience\":\"\"}}"
    "],\"default\":{\"text\":\"Default answer [1].\"}}";

static void start(int with_model) {
  have_fake = with_model;
  chatsup_open(&env, with_model ? &fake : NULL, RULES, NULL);
  app = env.app;
  inproc_user(&env, "alice", "researcher", alice, &tok_a);
  inproc_user(&env, "bob", "researcher", bob, &tok_b);
  inproc_user(&env, "vera", "viewer", vera, &tok_v);
  inproc_serve(&env);
  ts.port = env.port;
  chatsup_add_doc(&env, alice, "volcanoes.md", VOLCANO_TEXT, doc_volcano);
  chatsup_add_doc(&env, bob, "bob.txt", BOB_TEXT, doc_bob);
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

TestSuite(drafts, .init = start_model, .fini = stop, .timeout = 90);
TestSuite(drafts_offline, .init = start_offline, .fini = stop, .timeout = 90);

/* ---------- helpers ---------- */

static json_t *create(const char *tok, const char *content, long *st) {
  json_t *b = json_pack("{s:s}", "content", content);
  json_t *j = ts_json(&ts, "POST", "/api/missions/drafts", tok, b, st);
  json_decref(b);
  return j;
}

static json_t *call(const char *tok, const char *method, const char *id, const char *suffix, json_t *body, long *st) {
  char path[160];
  snprintf(path, sizeof path, "/api/missions/drafts/%s%s", id, suffix);
  json_t *j = ts_json(&ts, method, path, tok, body, st);
  json_decref(body);
  return j;
}

static const char *str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* Posts a turn and returns the answer's event data (the assistant message). */
static json_t *turn(const char *tok, const char *id, const char *content) {
  long st;
  json_t *j = call(tok, "POST", id, "/messages", json_pack("{s:s}", "content", content), &st);
  cr_assert_eq(st, 202, "turn: %ld %s", st, j ? json_dumps(j, 0) : "");
  json_t *end = chatsup_end_of_answer(&env, str(j, "channel"), json_integer_value(json_object_get(j, "seq")));
  json_decref(j);
  cr_assert_str_eq(str(end, "event"), "message", "the turn failed: %s", json_dumps(end, 0));
  json_t *data = json_incref(json_object_get(end, "data"));
  json_decref(end);
  return data;
}

static int all_questions(json_t *qs) {
  size_t i;
  json_t *q;
  json_array_foreach(qs, i, q) {
    const char *s = json_string_value(q);
    if (!s || !s[0] || s[strlen(s) - 1] != '?') return 0;
  }
  return 1;
}

/* ---------- offline ---------- */

Test(drafts_offline, proposal_from_the_request_and_the_library) {
  long st;
  json_t *d =
      create(tok_a, "I need a report on volcanoes of Italy; their eruption history, and the risk for Naples.", &st);
  cr_assert_eq(st, 201, "create: %ld", st);
  json_t *p = json_object_get(d, "proposal");
  cr_assert_str_eq(str(p, "origin"), "offline");
  cr_assert_str_eq(str(p, "title"), "Volcanoes of Italy");
  json_t *qs = json_object_get(p, "questions");
  cr_assert(json_array_size(qs) >= 3 && json_array_size(qs) <= 8, "%zu questions", json_array_size(qs));
  cr_assert(all_questions(qs));
  /* one question per clause of the request */
  cr_assert_str_eq(json_string_value(json_array_get(qs, 0)), "What is the current state of volcanoes of Italy?");
  cr_assert_str_eq(json_string_value(json_array_get(qs, 1)),
                   "What does the evidence say about their eruption history?");
  cr_assert_str_eq(json_string_value(json_array_get(qs, 2)), "What does the evidence say about the risk for Naples?");
  /* sources: Alice's matching document, never Bob's */
  json_t *md = json_object_get(p, "matched_documents");
  cr_assert_eq(json_array_size(md), 1);
  cr_assert_str_eq(str(json_array_get(md, 0), "id"), doc_volcano);
  cr_assert(json_is_true(json_object_get(json_object_get(p, "sources"), "documents")));
  cr_assert(json_is_false(json_object_get(json_object_get(p, "sources"), "web")));
  /* the history: the user's words, then the labelled offline answer */
  json_t *msgs = json_object_get(d, "messages");
  cr_assert_eq(json_array_size(msgs), 2);
  cr_assert_str_eq(str(json_array_get(msgs, 0), "role"), "user");
  json_t *a = json_array_get(msgs, 1);
  cr_assert_str_eq(str(json_object_get(a, "meta"), "mode"), "offline");
  cr_assert_not_null(strstr(str(a, "content"), "Offline proposal"), "%s", str(a, "content"));
  /* the list and GET show it */
  json_t *l = ts_json(&ts, "GET", "/api/missions/drafts", tok_a, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_integer_value(json_object_get(l, "total")), 1);
  cr_assert_str_eq(str(json_array_get(json_object_get(l, "drafts"), 0), "title"), "Volcanoes of Italy");
  json_decref(l);
  json_decref(d);
}

/* A request phrased as people write it: the lead-in ("I need a short
 * report on") is not the topic, the audience is not a question, and two
 * wh-clauses are two questions. */
Test(drafts_offline, a_natural_request_gives_its_own_questions_and_audience) {
  long st;
  json_t *d = create(tok_a,
                     "I need a short report on why alpine glaciers are retreating and what landforms they leave "
                     "behind, for high-school teachers.",
                     &st);
  cr_assert_eq(st, 201, "create: %ld", st);
  json_t *p = json_object_get(d, "proposal");
  cr_assert_str_eq(str(p, "title"), "Why alpine glaciers are retreating and what landforms they leave behind");
  json_t *qs = json_object_get(p, "questions");
  cr_assert(all_questions(qs));
  cr_assert_str_eq(json_string_value(json_array_get(qs, 0)), "Why are alpine glaciers retreating?");
  cr_assert_str_eq(json_string_value(json_array_get(qs, 1)), "What is known about what landforms they leave behind?");
  size_t i;
  json_t *q;
  json_array_foreach(qs, i, q) {
    cr_assert_null(strcasestr(json_string_value(q), "report"), "the lead-in in a question: %s", json_string_value(q));
    cr_assert_null(strcasestr(json_string_value(q), "teachers"), "the audience as a question: %s",
                   json_string_value(q));
  }
  cr_assert_str_eq(str(p, "audience"), "high-school teachers");
  cr_assert_str_eq(str(p, "depth"), "quick", "a short report is a quick mission");
  json_t *a = json_array_get(json_object_get(d, "messages"), 1);
  cr_assert_null(strstr(str(a, "content"), "in of"), "%s", str(a, "content"));
  json_decref(d);
}

/* "I want to understand how ..." is a wish, not the topic: the title and
 * the questions start at what the person wants to understand. */
Test(drafts_offline, a_wish_to_understand_is_not_the_topic) {
  long st;
  json_t *d = create(tok_a,
                     "I want to understand how libraries evaluate the value of their reference services, for "
                     "library managers.",
                     &st);
  cr_assert_eq(st, 201, "create: %ld", st);
  json_t *p = json_object_get(d, "proposal");
  cr_assert_str_eq(str(p, "title"), "How libraries evaluate the value of their reference services");
  cr_assert_str_eq(str(p, "audience"), "library managers");
  json_t *qs = json_object_get(p, "questions");
  cr_assert(all_questions(qs));
  size_t i;
  json_t *q;
  json_array_foreach(qs, i, q) {
    cr_assert_null(strcasestr(json_string_value(q), "understand"), "the wish in a question: %s", json_string_value(q));
    cr_assert_null(strstr(json_string_value(q), " of to "), "%s", json_string_value(q));
  }
  json_decref(d);
  d = create(tok_a, "Can you help me learn about the history of Italian volcanoes?", &st);
  cr_assert_eq(st, 201);
  p = json_object_get(d, "proposal");
  cr_assert_null(strcasestr(str(p, "title"), "help me"), "%s", str(p, "title"));
  json_decref(d);
}

Test(drafts_offline, refinement_turn_and_card_edit) {
  long st;
  json_t *d = create(tok_a, "A report on volcanoes of Italy", &st);
  cr_assert_eq(st, 201);
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  json_t *before = json_deep_copy(json_object_get(json_object_get(d, "proposal"), "questions"));
  json_decref(d);
  cr_assert_eq(json_array_size(before), 3);

  /* a turn: answered on draft:ID by the worker; the card follows it */
  json_t *a = turn(tok_a, id, "Drop the second question, shorter, for executives");
  cr_assert_str_eq(str(a, "role"), "assistant");
  json_t *p = json_object_get(a, "proposal");
  cr_assert_str_eq(str(p, "depth"), "quick");
  cr_assert_str_eq(str(p, "audience"), "executives");
  json_t *qs = json_object_get(p, "questions");
  cr_assert_str_eq(json_string_value(json_array_get(qs, 0)), json_string_value(json_array_get(before, 0)));
  size_t i;
  json_t *q;
  json_array_foreach(qs, i, q) cr_assert_str_neq(json_string_value(q), json_string_value(json_array_get(before, 1)),
                                                 "the second question was dropped");
  json_decref(a);

  /* an edit: the card changes and the edit is in the history */
  json_t *e =
      call(tok_a, "PUT", id, "",
           json_pack("{s:s, s:[s,s,s], s:s}", "title", "Italian volcanoes for the board", "questions",
                     "Which volcanoes are active?", "How often do they erupt?", "Who is at risk?", "tone", "concise"),
           &st);
  cr_assert_eq(st, 200, "edit: %ld %s", st, json_dumps(e, 0));
  cr_assert_str_eq(str(e, "title"), "Italian volcanoes for the board");
  cr_assert_str_eq(str(json_object_get(e, "proposal"), "origin"), "edit");
  cr_assert_str_eq(str(json_object_get(e, "proposal"), "depth"), "quick", "members not given stay");
  json_t *msgs = json_object_get(e, "messages");
  cr_assert_eq(json_array_size(msgs), 5); /* user, assistant, user, assistant, edit */
  cr_assert_str_eq(str(json_array_get(msgs, 4), "role"), "edit");
  json_decref(e);
  json_decref(before);
}

Test(drafts_offline, edits_are_checked_field_by_field) {
  long st;
  json_t *d = create(tok_a, "Volcanoes of Italy", &st);
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  json_t *good = json_deep_copy(json_object_get(d, "proposal"));
  json_decref(d);
  struct {
    const char *body, *field;
  } cases[] = {
      {"{\"questions\":[\"Only one?\"]}", "questions"},
      {"{\"questions\":[\"1?\",\"2?\",\"3?\",\"4?\",\"5?\",\"6?\",\"7?\",\"8?\",\"9?\"]}", "questions"},
      {"{\"questions\":\"why?\"}", "questions"},
      {"{\"title\":\"  \"}", "title"},
      {"{\"depth\":\"huge\"}", "depth"},
      {"{\"tone\":\"\"}", "tone"},
      {"{\"language\":7}", "language"},
      {"{\"sources\":{\"documents\":false,\"web\":false}}", "sources"},
      {"{\"sources\":{\"web\":\"yes\"}}", "sources.web"},
      {"{\"sources\":{\"group_id\":\"nosuchgroup00000\"}}", "sources.group_id"},
      {"{\"colour\":\"blue\"}", "colour"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    json_t *b = json_loads(cases[i].body, 0, NULL);
    cr_assert_not_null(b, "%s", cases[i].body);
    json_t *e = call(tok_a, "PUT", id, "", b, &st);
    cr_assert_eq(st, 422, "%s: %ld", cases[i].body, st);
    json_t *err = json_object_get(e, "error");
    cr_assert_str_eq(str(err, "field"), cases[i].field, "%s: %s", cases[i].body, str(err, "message"));
    cr_assert(strlen(str(err, "message")) > 10);
    json_decref(e);
  }
  /* nothing was lost */
  json_t *now = call(tok_a, "GET", id, "", NULL, &st);
  cr_assert(
      json_equal(json_object_get(json_object_get(now, "proposal"), "questions"), json_object_get(good, "questions")));
  json_decref(now);
  json_decref(good);
  /* not JSON at all */
  char path[80];
  snprintf(path, sizeof path, "/api/missions/drafts/%s", id);
  ts_response_t r = ts_http(&ts, "PUT", path, tok_a, NULL, "{nope", 5);
  cr_assert_eq(r.status, 400);
  ts_response_free(&r);
}

Test(drafts_offline, bad_input_is_refused_with_a_message) {
  long st;
  json_t *empty = json_object();
  json_t *j = ts_json(&ts, "POST", "/api/missions/drafts", tok_a, empty, &st);
  json_decref(empty);
  cr_assert_eq(st, 422);
  cr_assert_not_null(strstr(str(json_object_get(j, "error"), "message"), "content"));
  json_decref(j);
  j = create(tok_a, " \n\t ", &st);
  cr_assert_eq(st, 422);
  json_decref(j);
  char *big = malloc(9001);
  memset(big, 'a', 9000);
  big[9000] = 0;
  j = create(tok_a, big, &st);
  free(big);
  cr_assert_eq(st, 422);
  cr_assert_not_null(strstr(str(json_object_get(j, "error"), "message"), "at most 8000"));
  json_decref(j);
  ts_response_t r = ts_http(&ts, "POST", "/api/missions/drafts", tok_a, NULL, "not json", 8);
  cr_assert_eq(r.status, 400);
  ts_response_free(&r);
  /* a viewer cannot start one */
  j = create(tok_v, "Volcanoes", &st);
  cr_assert_eq(st, 403);
  json_decref(j);
  /* nothing was stored */
  j = ts_json(&ts, "GET", "/api/missions/drafts", tok_a, NULL, &st);
  cr_assert_eq(json_integer_value(json_object_get(j, "total")), 0);
  json_decref(j);
}

Test(drafts_offline, another_users_draft_is_not_found) {
  long st;
  json_t *d = create(tok_a, "Volcanoes of Italy", &st);
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  json_decref(d);
  json_t *j = call(tok_b, "GET", id, "", NULL, &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = call(tok_b, "PUT", id, "", json_pack("{s:s}", "title", "Bob's now"), &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = call(tok_b, "POST", id, "/messages", json_pack("{s:s}", "content", "drop the first question"), &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = call(tok_b, "POST", id, "/start", NULL, &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = ts_json(&ts, "GET", "/api/missions/drafts", tok_b, NULL, &st);
  cr_assert_eq(json_integer_value(json_object_get(j, "total")), 0);
  json_decref(j);
  j = call(tok_a, "GET", "0000000000000000", "", NULL, &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  /* the live channel refuses Bob too */
  char channel[40];
  snprintf(channel, sizeof channel, "draft:%s", id);
  ws_client_t *b = wsc_connect(ts.port, tok_b);
  cr_assert_not_null(b);
  wsc_send(b, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  cr_assert_eq(wsc_wait(b, "error", NULL, 1, 20000), 1, "bob's subscription was not refused");
  cr_assert_eq(wsc_count(b, "subscribed", NULL), 0);
  ws_client_t *a = wsc_connect(ts.port, tok_a);
  wsc_send(a, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  cr_assert_eq(wsc_wait(a, "subscribed", NULL, 1, 20000), 1);
  wsc_close(a);
  wsc_close(b);
  /* and Alice's card is unchanged */
  j = call(tok_a, "GET", id, "", NULL, &st);
  cr_assert_str_eq(str(j, "title"), "Volcanoes of Italy");
  json_decref(j);
}

Test(drafts_offline, start_creates_the_mission_and_the_chat_continues) {
  long st;
  json_t *d = create(tok_a, "I need a report on volcanoes of Italy", &st);
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  json_t *card = json_deep_copy(json_object_get(d, "proposal"));
  json_decref(d);
  json_t *s = call(tok_a, "POST", id, "/start", NULL, &st);
  cr_assert_eq(st, 201, "start: %ld %s", st, json_dumps(s, 0));
  char mid[17];
  snprintf(mid, sizeof mid, "%s", str(s, "mission_id"));
  json_decref(s);
  /* the mission is the card */
  char path[80];
  snprintf(path, sizeof path, "/api/missions/%s", mid);
  json_t *m = ts_json(&ts, "GET", path, tok_a, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(str(m, "title"), str(card, "title"));
  cr_assert(json_equal(json_object_get(m, "research_questions"), json_object_get(card, "questions")));
  cr_assert_str_eq(str(m, "draft_id"), id, "the mission links back to its conversation");
  json_decref(m);
  /* Bob does not see the link */
  m = ts_json(&ts, "GET", path, tok_b, NULL, &st);
  cr_assert_eq(st, 404);
  json_decref(m);
  /* the draft names its mission; a second start is refused, the card frozen */
  json_t *g = call(tok_a, "GET", id, "", NULL, &st);
  cr_assert_str_eq(str(g, "mission_id"), mid);
  cr_assert(json_is_string(json_object_get(g, "chat_id")));
  json_decref(g);
  s = call(tok_a, "POST", id, "/start", NULL, &st);
  cr_assert_eq(st, 409);
  json_decref(s);
  s = call(tok_a, "PUT", id, "", json_pack("{s:s}", "title", "Changed"), &st);
  cr_assert_eq(st, 409);
  json_decref(s);
  /* a later question goes to the chat with documents */
  json_t *j =
      call(tok_a, "POST", id, "/messages", json_pack("{s:s}", "content", "Which city did Vesuvius destroy?"), &st);
  cr_assert_eq(st, 202);
  cr_assert_eq(strncmp(str(j, "channel"), "chat:", 5), 0, "%s", str(j, "channel"));
  json_t *end = chatsup_end_of_answer(&env, str(j, "channel"), json_integer_value(json_object_get(j, "seq")));
  json_decref(j);
  json_t *ans = json_object_get(end, "data");
  cr_assert_str_eq(str(ans, "mode"), "extractive");
  cr_assert_not_null(strstr(str(ans, "content"), "Pompeii"), "%s", str(ans, "content"));
  json_decref(end);
  /* the conversation answers over the mission's notes: what the researchers
   * recorded, cited through the note's own source */
  json_t *notes = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]", "id", "note-obsidian-1", "quote",
                            "Obsidian from Lipari travelled across the Mediterranean.", "content",
                            "Obsidian blades from the Aeolian islands were traded as far as France.", "source_type",
                            "web", "source_key", "https://archaeology.example/obsidian", "url",
                            "https://archaeology.example/obsidian", "source_title", "Obsidian trade routes");
  cr_assert_eq(store_mission_add_notes(app->store, mid, "s-notes", 1, notes, NULL, NULL), STORE_OK);
  json_decref(notes);
  j = call(tok_a, "POST", id, "/messages", json_pack("{s:s}", "content", "Where were obsidian blades traded?"), &st);
  cr_assert_eq(st, 202);
  end = chatsup_end_of_answer(&env, str(j, "channel"), json_integer_value(json_object_get(j, "seq")));
  json_decref(j);
  ans = json_object_get(end, "data");
  cr_assert_str_eq(str(end, "event"), "message");
  cr_assert_not_null(strstr(str(ans, "content"), "traded as far as France"), "the note answers: %s",
                     str(ans, "content"));
  cr_assert_eq(json_integer_value(json_object_get(ans, "notes")), 1, "one note was given");
  cr_assert_str_eq(str(ans, "mission_id"), mid);
  json_t *c1 = json_array_get(json_object_get(ans, "citations"), 0);
  cr_assert_str_eq(str(c1, "url"), "https://archaeology.example/obsidian", "cited through the note's source");
  cr_assert_str_eq(str(c1, "title"), "Obsidian trade routes");
  json_decref(end);
  /* Bob cannot reach the mission's notes through the conversation */
  j = call(tok_b, "POST", id, "/messages", json_pack("{s:s}", "content", "Where were obsidian blades traded?"), &st);
  cr_assert_eq(st, 404);
  json_decref(j);
  json_decref(card);
}

Test(drafts_offline, start_with_empty_sources_is_refused_like_post_missions) {
  long st;
  json_t *d = create(tok_a, "A report on quantum gravity", &st); /* nothing in the library */
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(d, "proposal"), "sources"), "web")));
  json_decref(d);
  json_t *s = call(tok_a, "POST", id, "/start", NULL, &st);
  cr_assert_eq(st, 422, "%ld %s", st, json_dumps(s, 0));
  cr_assert_str_eq(ts_error_code(s), "empty_sources");
  json_decref(s);
  json_t *g = call(tok_a, "GET", id, "", NULL, &st);
  cr_assert(json_is_null(json_object_get(g, "mission_id")), "no mission was linked");
  json_decref(g);
}

/* ---------- with a model ---------- */

Test(drafts, the_planner_proposes_and_refines) {
  long st;
  json_t *d = create(tok_a, "I need a report on solar power", &st);
  cr_assert_eq(st, 201, "%ld", st);
  json_t *p = json_object_get(d, "proposal");
  cr_assert_str_eq(str(p, "origin"), "model");
  cr_assert_str_eq(str(p, "title"), "Solar power in Korea");
  cr_assert_eq(json_array_size(json_object_get(p, "questions")), 4);
  cr_assert_str_eq(str(p, "audience"), "policy analysts");
  json_t *a = json_array_get(json_object_get(d, "messages"), 1);
  cr_assert_str_eq(str(a, "content"), "Here is a mission on solar power in Korea.");
  cr_assert_str_eq(str(json_object_get(a, "meta"), "mode"), "model");
  char id[17];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  json_decref(d);

  /* the prompt: the user's words and Alice's library, never Bob's */
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *arr = json_object_get(calls, "calls");
  json_t *last = json_array_get(arr, json_array_size(arr) - 1);
  cr_assert_not_null(strstr(str(last, "last_user"), "I need a report on solar power"));
  cr_assert_null(strstr(str(last, "last_user"), "chocolate"));
  json_decref(calls);

  json_t *t = turn(tok_a, id, "drop the third question");
  cr_assert_str_eq(str(t, "content"), "I dropped the question on policies.");
  json_t *q = json_object_get(json_object_get(t, "proposal"), "questions");
  cr_assert_eq(json_array_size(q), 3);
  cr_assert_str_eq(json_string_value(json_array_get(q, 2)), "What limits its growth?");
  json_decref(t);
  /* the turn saw the conversation and the current card */
  calls = llmsup_fake_calls(&fake);
  arr = json_object_get(calls, "calls");
  last = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(arr, i, c) if (str(c, "rule") && !strcmp(str(c, "rule"), "refine")) last = c;
  cr_assert_not_null(last, "the turn asked the model");
  cr_assert_not_null(strstr(str(last, "last_user"), "The current proposal: {\"title\":\"Solar power in Korea\""), "%s",
                     str(last, "last_user"));
  cr_assert_not_null(strstr(str(last, "last_user"), "User: I need a report on solar power"));
  json_decref(calls);
  json_t *g = call(tok_a, "GET", id, "", NULL, &st);
  cr_assert_str_eq(str(json_object_get(g, "proposal"), "depth"), "quick");
  json_decref(g);
}

Test(drafts, a_misbehaving_answer_is_asked_again_then_falls_back) {
  llmsup_fake_reset(&fake);
  long st;
  json_t *d = create(tok_a, "Volcano risks", &st);
  cr_assert_eq(st, 201, "%ld", st);
  json_t *p = json_object_get(d, "proposal");
  cr_assert_str_eq(str(p, "origin"), "fallback");
  cr_assert(json_array_size(json_object_get(p, "questions")) >= 3);
  cr_assert(all_questions(json_object_get(p, "questions")));
  json_t *a = json_array_get(json_object_get(d, "messages"), 1);
  json_t *meta = json_object_get(a, "meta");
  cr_assert_str_eq(str(meta, "mode"), "fallback");
  cr_assert_not_null(strstr(str(meta, "reason"), "questions"), "%s", str(meta, "reason"));
  cr_assert_not_null(strstr(str(a, "content"), "could not be used"), "%s", str(a, "content"));
  json_decref(d);
  /* asked twice: the second time with what was wrong */
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *arr = json_object_get(calls, "calls");
  int drafts_calls = 0;
  size_t i;
  json_t *c;
  json_array_foreach(arr, i, c) if (!strcmp(str(c, "rule") ? str(c, "rule") : "", "broken")) drafts_calls++;
  cr_assert_eq(drafts_calls, 2, "%s", json_dumps(calls, 0));
  json_t *lastc = json_array_get(arr, json_array_size(arr) - 1);
  cr_assert_not_null(strstr(str(lastc, "last_user"), "could not be used"));
  json_decref(calls);
}

/* The planner's reply arrives as the chat's "token" events on draft:ID while
 * the model writes it (the fake streams it in small slow pieces), decoded
 * from the JSON answer, before the answer's "message". */
Test(drafts, a_turn_streams_the_reply_token_by_token) {
  long st;
  json_t *d = create(tok_a, "I need a report on solar power", &st);
  cr_assert_eq(st, 201);
  char id[17], channel[40];
  snprintf(id, sizeof id, "%s", str(d, "id"));
  snprintf(channel, sizeof channel, "draft:%s", id);
  json_decref(d);
  ws_client_t *a = wsc_connect(ts.port, tok_a);
  wsc_send(a, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  cr_assert_eq(wsc_wait(a, "subscribed", NULL, 1, 20000), 1);
  json_t *t = turn(tok_a, id, "write as you think");
  cr_assert_str_eq(str(t, "content"), STREAMED_REPLY);
  json_decref(t);
  /* live: tokens, then the message; their text is the reply */
  int64_t deadline = util_mono_ms() + 10000;
  int ntok = 0, after_final = 0, final = 0;
  buf_t toks = BUF_INIT;
  buf_init(&toks);
  while (!final && util_mono_ms() < deadline) {
    util_sleep_ms(20);
    json_t *all = wsc_messages(a);
    size_t i;
    json_t *e;
    ntok = 0;
    buf_reset(&toks);
    json_array_foreach(all, i, e) {
      const char *ev = str(e, "event");
      if (!ev) continue;
      if (!strcmp(ev, "token")) {
        ntok++;
        after_final |= final;
        buf_puts(&toks, str(json_object_get(e, "data"), "text"));
      } else if (!strcmp(ev, "reset"))
        buf_reset(&toks);
      else if (!strcmp(ev, "message") && !strcmp(str(json_object_get(e, "data"), "role"), "assistant"))
        final = 1;
    }
    json_decref(all);
  }
  cr_assert(final, "the answer's message arrived");
  cr_assert_geq(ntok, 3, "the reply arrives in pieces as the model writes it (%d token events)", ntok);
  cr_assert_not(after_final, "every token comes before the answer's message");
  cr_assert_str_eq(toks.data, STREAMED_REPLY, "the tokens are the reply, decoded");
  buf_free(&toks);
  wsc_close(a);
}
