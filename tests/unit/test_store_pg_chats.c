/*
 * Chats, research drafts and writing sessions on both backends (store
 * modules chats.c, drafts.c and writing.c on db.h): each case runs on a
 * fresh SQLite file and on a fresh database of this binary's throwaway
 * PostgreSQL cluster (tests/support/backends.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "base/log.h"
#include "pg.h"
#include "store/chats.h"
#include "store/db.h"
#include "store/drafts.h"
#include "store/events.h"
#include "store/store.h"
#include "store/writing.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgchats, .init = quiet);

/* Users straight in SQL (the users module is not on db.h yet). */
static void add_users(store_t *st) {
  static const char *names[] = {"alice", "bob"};
  for (int i = 0; i < 2; i++)
    cr_assert_eq(db_run(st, "add user",
                        "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                        "VALUES (?, ?, 'h', 'researcher', 0, 0)",
                        DB_ARGS(DB_TEXT(names[i]), DB_TEXT(names[i])), NULL),
                 STORE_OK);
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static json_int_t num(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}

/* Sets a row's updated_at, so the newest-first order does not hang on the clock. */
static void set_updated(store_t *st, const char *table_sql, const char *id, int64_t ms) {
  cr_assert_eq(db_run(st, "set updated_at", table_sql, DB_ARGS(DB_INT(ms), DB_TEXT(id)), NULL), STORE_OK);
}

/* ---- chats ---- */

BOTH_BACKENDS(pgchats, chats_are_created_listed_renamed_and_deleted_per_user) {
  add_users(st);
  char a1[17], a2[17], a3[17], b1[17];
  cr_assert_eq(store_chat_create(st, "alice", NULL, NULL, a1), STORE_OK);
  cr_assert_eq(store_chat_create(st, "alice", "논문 정리", "g1", a2), STORE_OK);
  cr_assert_eq(store_chat_create(st, "alice", "", "", a3), STORE_OK);
  cr_assert_eq(store_chat_create(st, "bob", "Bob's", NULL, b1), STORE_OK);
  cr_expect_str_neq(a1, a2);
  set_updated(st, "UPDATE chats SET updated_at = ? WHERE id = ?", a1, 3000);
  set_updated(st, "UPDATE chats SET updated_at = ? WHERE id = ?", a2, 1000);
  set_updated(st, "UPDATE chats SET updated_at = ? WHERE id = ?", a3, 2000);

  store_chat_t c;
  cr_assert_eq(store_chat_get(st, "alice", a2, &c), STORE_OK);
  cr_expect_str_eq(c.id, a2);
  cr_expect_str_eq(c.group_id, "g1");
  cr_expect_eq(c.title_auto, 0);
  cr_assert_eq(store_chat_get(st, "alice", a1, &c), STORE_OK);
  cr_expect_str_eq(c.group_id, "", "no group: the whole library");
  cr_expect_eq(c.title_auto, 1, "no title given: named by the first question");

  /* newest activity first, paged, with the user's total */
  json_t *page = store_chat_list_json(st, "alice", 2, 0);
  cr_assert_not_null(page);
  cr_expect_eq(num(page, "total"), 3);
  json_t *chats = json_object_get(page, "chats");
  cr_assert_eq(json_array_size(chats), 2);
  cr_expect_str_eq(str(json_array_get(chats, 0), "id"), a1);
  cr_expect_str_eq(str(json_array_get(chats, 0), "title"), "New chat");
  cr_expect(json_is_null(json_object_get(json_array_get(chats, 0), "group_id")));
  cr_expect_str_eq(str(json_array_get(chats, 0), "updated_at"), "1970-01-01T00:00:03.000Z");
  cr_expect_str_eq(str(json_array_get(chats, 1), "id"), a3);
  json_decref(page);
  page = store_chat_list_json(st, "alice", 2, 2);
  cr_assert_not_null(page);
  chats = json_object_get(page, "chats");
  cr_assert_eq(json_array_size(chats), 1);
  cr_expect_str_eq(str(json_array_get(chats, 0), "id"), a2);
  cr_expect_str_eq(str(json_array_get(chats, 0), "title"), "논문 정리");
  cr_expect_str_eq(str(json_array_get(chats, 0), "group_id"), "g1");
  json_decref(page);

  /* the first question names an untitled chat once; a rename is the user's */
  cr_assert_eq(store_chat_autotitle(st, "alice", a1, "First question"), STORE_OK);
  cr_assert_eq(store_chat_autotitle(st, "alice", a1, "Second question"), STORE_OK);
  json_t *j = store_chat_json(st, "alice", a1, 0);
  cr_assert_not_null(j);
  cr_expect_str_eq(str(j, "title"), "First question");
  cr_expect_null(json_object_get(j, "messages"));
  json_decref(j);
  cr_assert_eq(store_chat_rename(st, "alice", a3, "Renamed"), STORE_OK);
  cr_assert_eq(store_chat_autotitle(st, "alice", a3, "Auto"), STORE_OK);
  j = store_chat_json(st, "alice", a3, 1);
  cr_assert_not_null(j);
  cr_expect_str_eq(str(j, "title"), "Renamed");
  cr_expect_eq(json_array_size(json_object_get(j, "messages")), 0);
  json_decref(j);

  /* another user's chat is missing to bob, and untouched by him */
  cr_expect_eq(store_chat_get(st, "bob", a1, &c), STORE_NOT_FOUND);
  cr_expect_null(store_chat_json(st, "bob", a1, 1));
  cr_expect_eq(store_chat_rename(st, "bob", a1, "Mine now"), STORE_NOT_FOUND);
  cr_expect_eq(store_chat_delete(st, "bob", a1), STORE_NOT_FOUND);
  cr_expect_eq(store_chat_rename(st, "alice", "nosuchchat", "x"), STORE_NOT_FOUND);
  page = store_chat_list_json(st, "bob", 10, 0);
  cr_expect_eq(num(page, "total"), 1);
  cr_expect_str_eq(str(json_array_get(json_object_get(page, "chats"), 0), "id"), b1);
  json_decref(page);

  cr_assert_eq(store_chat_delete(st, "alice", a1), STORE_OK);
  cr_expect_eq(store_chat_get(st, "alice", a1, &c), STORE_NOT_FOUND);
  cr_expect_eq(store_chat_delete(st, "alice", a1), STORE_NOT_FOUND, "already gone");
  page = store_chat_list_json(st, "alice", 10, 0);
  cr_expect_eq(num(page, "total"), 2);
  json_decref(page);
}

BOTH_BACKENDS(pgchats, chat_messages_keep_their_order_citations_and_meta) {
  add_users(st);
  char id[17];
  cr_assert_eq(store_chat_create(st, "alice", "Chat", NULL, id), STORE_OK);
  json_t *cit = json_pack("[{s:i, s:s, s:s}]", "n", 1, "document_id", "d1", "text", "인용문");
  json_t *meta = json_pack("{s:s, s:s, s:s}", "mode", "model", "model", "m-1", "role", "must not win");
  json_t *m1 = NULL, *m2 = NULL;
  cr_assert_eq(store_chat_add_message(st, "alice", id, "user", "What is BM25?", NULL, NULL, &m1), STORE_OK);
  cr_assert_eq(store_chat_add_message(st, "alice", id, "assistant", "A ranking function [1].", cit, meta, &m2),
               STORE_OK);
  cr_assert_not_null(m1);
  cr_assert_not_null(m2);
  cr_expect_str_eq(str(m2, "role"), "assistant", "meta never overwrites a column");
  cr_expect_str_eq(str(m2, "mode"), "model");
  cr_expect_str_eq(str(m2, "chat_id"), id);
  cr_expect(json_equal(json_object_get(m2, "citations"), cit));
  cr_expect(json_is_array(json_object_get(m1, "citations")) && json_array_size(json_object_get(m1, "citations")) == 0);
  cr_expect_lt(atoll(str(m1, "id")), atoll(str(m2, "id")), "ids grow");
  for (int i = 0; i < 3; i++)
    cr_assert_eq(store_chat_add_message(st, "alice", id, i % 2 ? "assistant" : "user", i == 2 ? "last" : "more", NULL,
                                        NULL, NULL),
                 STORE_OK);

  json_t *j = store_chat_json(st, "alice", id, 1);
  cr_assert_not_null(j);
  cr_expect_eq(num(j, "message_count"), 5);
  json_t *msgs = json_object_get(j, "messages");
  cr_assert_eq(json_array_size(msgs), 5);
  cr_expect_str_eq(str(json_array_get(msgs, 0), "content"), "What is BM25?", "oldest first");
  cr_expect_str_eq(str(json_array_get(msgs, 1), "id"), str(m2, "id"));
  cr_expect_str_eq(str(json_array_get(msgs, 1), "model"), "m-1");
  cr_expect_str_eq(str(json_array_get(msgs, 4), "content"), "last");
  json_decref(j);

  json_t *recent = store_chat_recent(st, "alice", id, 2);
  cr_assert_eq(json_array_size(recent), 2);
  cr_expect_str_eq(str(json_array_get(recent, 0), "content"), "more");
  cr_expect_str_eq(str(json_array_get(recent, 1), "content"), "last", "the last ones, oldest first");
  json_decref(recent);
  recent = store_chat_recent(st, "bob", id, 10);
  cr_assert_not_null(recent);
  cr_expect_eq(json_array_size(recent), 0, "another user's chat has no messages for bob");
  json_decref(recent);

  /* bob cannot write into it; a refused message leaves nothing behind */
  json_t *none = json_true(); /* a singleton: overwriting it leaks nothing */
  cr_expect_eq(store_chat_add_message(st, "bob", id, "user", "hi", NULL, NULL, &none), STORE_NOT_FOUND);
  cr_expect_null(none);
  set_updated(st, "UPDATE chats SET updated_at = ? WHERE id = ?", id, 5000);
  cr_expect_eq(store_chat_add_message(st, "alice", id, "system", "bad role", NULL, NULL, NULL), STORE_ERROR);
  j = store_chat_json(st, "alice", id, 0);
  cr_expect_eq(num(j, "message_count"), 5);
  cr_expect_str_eq(str(j, "updated_at"), "1970-01-01T00:00:05.000Z", "the touch was rolled back with the insert");
  json_decref(j);

  json_decref(m1);
  json_decref(m2);
  json_decref(cit);
  json_decref(meta);
}

BOTH_BACKENDS(pgchats, one_answer_at_a_time_per_chat) {
  add_users(st);
  char id[17];
  cr_assert_eq(store_chat_create(st, "alice", "Chat", NULL, id), STORE_OK);
  cr_expect_eq(store_chat_claim(st, "alice", id, 60000), STORE_OK);
  json_t *j = store_chat_json(st, "alice", id, 0);
  cr_expect(json_is_true(json_object_get(j, "answering")));
  json_decref(j);
  cr_expect_eq(store_chat_claim(st, "alice", id, 60000), STORE_CONFLICT, "a second question waits");
  cr_expect_eq(store_chat_claim(st, "bob", id, 60000), STORE_NOT_FOUND);
  cr_expect_eq(store_chat_claim(st, "alice", "nosuchchat", 60000), STORE_NOT_FOUND);
  cr_assert_eq(store_chat_release(st, id), STORE_OK);
  j = store_chat_json(st, "alice", id, 0);
  cr_expect(json_is_false(json_object_get(j, "answering")));
  json_decref(j);
  cr_expect_eq(store_chat_claim(st, "alice", id, 60000), STORE_OK);
  /* a mark left by a crashed server is taken over once stale */
  cr_assert_eq(db_run(st, "crash", "UPDATE chats SET answering_since = 1 WHERE id = ?", DB_ARGS(DB_TEXT(id)), NULL),
               STORE_OK);
  cr_expect_eq(store_chat_claim(st, "alice", id, 60000), STORE_OK);
}

BOTH_BACKENDS(pgchats, deleting_a_chat_removes_its_messages_and_events) {
  add_users(st);
  char a[17], b[17];
  cr_assert_eq(store_chat_create(st, "alice", "A", NULL, a), STORE_OK);
  cr_assert_eq(store_chat_create(st, "alice", "B", NULL, b), STORE_OK);
  char cha[32], chb[32];
  snprintf(cha, sizeof cha, "chat:%s", a);
  snprintf(chb, sizeof chb, "chat:%s", b);
  for (int i = 0; i < 3; i++) {
    int64_t seq = 0;
    cr_assert_eq(store_event_append(st, cha, "token", NULL, &seq, NULL), STORE_OK);
    cr_expect_eq(seq, i + 1, "numbered per chat");
    cr_assert_eq(store_event_append(st, chb, "token", NULL, &seq, NULL), STORE_OK);
  }
  cr_assert_eq(store_chat_add_message(st, "alice", a, "user", "q", NULL, NULL, NULL), STORE_OK);
  cr_expect_eq(store_chat_delete(st, "bob", a), STORE_NOT_FOUND);
  cr_expect_eq(store_event_last_seq(st, cha), 3, "bob's attempt removed nothing");
  cr_assert_eq(store_chat_delete(st, "alice", a), STORE_OK);
  cr_expect_eq(store_event_last_seq(st, cha), 0);
  cr_expect_eq(store_event_last_seq(st, chb), 3, "the other chat keeps its events");
  cr_expect_eq(
      db_query(st, "messages", "SELECT id FROM chat_messages WHERE chat_id = ?", DB_ARGS(DB_TEXT(a)), NULL, NULL), 0);
}

/* ---- research drafts ---- */

BOTH_BACKENDS(pgchats, a_draft_keeps_its_card_and_history_of_turns_and_edits) {
  add_users(st);
  json_t *card = json_pack("{s:s, s:[s]}", "title", "Solid-state batteries", "questions", "How close to market?");
  char id[17], other[17];
  cr_assert_eq(store_draft_create(st, "alice", card, id), STORE_OK);
  json_t *untitled = json_pack("{s:[]}", "questions");
  cr_assert_eq(store_draft_create(st, "alice", untitled, other), STORE_OK);
  set_updated(st, "UPDATE research_drafts SET updated_at = ? WHERE id = ?", id, 2000);
  set_updated(st, "UPDATE research_drafts SET updated_at = ? WHERE id = ?", other, 1000);

  json_t *d = store_draft_json(st, "alice", id, 1);
  cr_assert_not_null(d);
  cr_expect_str_eq(str(d, "title"), "Solid-state batteries");
  cr_expect(json_equal(json_object_get(d, "proposal"), card));
  cr_expect(json_is_null(json_object_get(d, "mission_id")));
  cr_expect(json_is_null(json_object_get(d, "chat_id")));
  cr_expect(json_is_false(json_object_get(d, "answering")));
  cr_expect_eq(num(d, "message_count"), 0);
  cr_expect_eq(json_array_size(json_object_get(d, "messages")), 0);
  json_decref(d);

  json_t *page = store_draft_list_json(st, "alice", 10, 0);
  cr_assert_not_null(page);
  cr_expect_eq(num(page, "total"), 2);
  json_t *drafts = json_object_get(page, "drafts");
  cr_assert_eq(json_array_size(drafts), 2);
  cr_expect_str_eq(str(json_array_get(drafts, 0), "id"), id, "newest activity first");
  cr_expect_str_eq(str(json_array_get(drafts, 1), "title"), "New mission", "a card without a title");
  json_decref(page);
  page = store_draft_list_json(st, "alice", 1, 1);
  cr_expect_eq(num(page, "total"), 2);
  cr_assert_eq(json_array_size(json_object_get(page, "drafts")), 1);
  cr_expect_str_eq(str(json_array_get(json_object_get(page, "drafts"), 0), "id"), other);
  json_decref(page);

  /* a turn without a proposal leaves the card; an answer's proposal replaces it */
  json_t *m = NULL;
  cr_assert_eq(store_draft_add_message(st, "alice", id, "user", "Focus on Korea", NULL, NULL, &m), STORE_OK);
  cr_expect(json_is_null(json_object_get(m, "proposal")));
  cr_expect(json_is_object(json_object_get(m, "meta")));
  json_int_t first = num(m, "id");
  json_decref(m);
  json_t *card2 = json_pack("{s:s, s:[s]}", "title", "한국의 전고체 배터리", "questions", "Who leads?");
  json_t *meta = json_pack("{s:s, s:s}", "mode", "model", "model", "m-1");
  cr_assert_eq(store_draft_add_message(st, "alice", id, "assistant", "Narrowed it.", card2, meta, &m), STORE_OK);
  cr_expect_gt(num(m, "id"), first, "ids grow");
  cr_expect(json_equal(json_object_get(m, "proposal"), card2));
  cr_expect(json_equal(json_object_get(m, "meta"), meta));
  json_decref(m);
  json_t *edited = json_pack("{s:s}", "title", "Edited by hand");
  cr_assert_eq(store_draft_add_message(st, "alice", id, "edit", "", edited, NULL, NULL), STORE_OK);

  d = store_draft_json(st, "alice", id, 1);
  cr_assert_not_null(d);
  cr_expect_str_eq(str(d, "title"), "Edited by hand");
  cr_expect(json_equal(json_object_get(d, "proposal"), edited));
  cr_expect_eq(num(d, "message_count"), 3);
  json_t *msgs = json_object_get(d, "messages");
  cr_assert_eq(json_array_size(msgs), 3);
  cr_expect_str_eq(str(json_array_get(msgs, 0), "role"), "user", "oldest first");
  cr_expect_str_eq(str(json_array_get(msgs, 1), "role"), "assistant");
  cr_expect_str_eq(str(json_array_get(msgs, 2), "role"), "edit");
  json_decref(d);
  json_t *recent = store_draft_recent(st, "alice", id, 2);
  cr_assert_eq(json_array_size(recent), 2);
  cr_expect_str_eq(str(json_array_get(recent, 0), "role"), "assistant");
  cr_expect_str_eq(str(json_array_get(recent, 1), "role"), "edit");
  json_decref(recent);

  /* a refused message changes neither the history nor the card */
  cr_expect_eq(store_draft_add_message(st, "alice", id, "system", "x", card, NULL, NULL), STORE_ERROR);
  d = store_draft_json(st, "alice", id, 0);
  cr_expect_str_eq(str(d, "title"), "Edited by hand");
  cr_expect_eq(num(d, "message_count"), 3);
  json_decref(d);

  /* bob sees and changes none of it */
  cr_expect_null(store_draft_json(st, "bob", id, 1));
  m = json_true();
  cr_expect_eq(store_draft_add_message(st, "bob", id, "user", "hi", card, NULL, &m), STORE_NOT_FOUND);
  cr_expect_null(m);
  recent = store_draft_recent(st, "bob", id, 10);
  cr_assert_not_null(recent);
  cr_expect_eq(json_array_size(recent), 0);
  json_decref(recent);
  page = store_draft_list_json(st, "bob", 10, 0);
  cr_expect_eq(num(page, "total"), 0);
  cr_expect_eq(json_array_size(json_object_get(page, "drafts")), 0);
  json_decref(page);

  json_decref(card);
  json_decref(card2);
  json_decref(untitled);
  json_decref(edited);
  json_decref(meta);
}

BOTH_BACKENDS(pgchats, a_draft_answers_one_turn_at_a_time_and_starts_once) {
  add_users(st);
  json_t *card = json_pack("{s:s}", "title", "T");
  char id[17];
  cr_assert_eq(store_draft_create(st, "alice", card, id), STORE_OK);
  json_decref(card);

  cr_expect_eq(store_draft_claim(st, "alice", id, 60000), STORE_OK);
  cr_expect_eq(store_draft_claim(st, "alice", id, 60000), STORE_CONFLICT);
  cr_expect_eq(store_draft_claim(st, "bob", id, 60000), STORE_NOT_FOUND);
  json_t *d = store_draft_json(st, "alice", id, 0);
  cr_expect(json_is_true(json_object_get(d, "answering")));
  json_decref(d);
  cr_assert_eq(store_draft_release(st, id), STORE_OK);
  cr_expect_eq(store_draft_claim(st, "alice", id, 60000), STORE_OK);
  cr_assert_eq(
      db_run(st, "crash", "UPDATE research_drafts SET answering_since = 1 WHERE id = ?", DB_ARGS(DB_TEXT(id)), NULL),
      STORE_OK);
  cr_expect_eq(store_draft_claim(st, "alice", id, 60000), STORE_OK, "a stale mark is taken over");

  char found[17];
  cr_expect_eq(store_draft_of_mission(st, "alice", "m1", found), STORE_NOT_FOUND);
  cr_expect_eq(store_draft_set_started(st, "bob", id, "m0", NULL), STORE_CONFLICT, "not bob's to start");
  cr_assert_eq(store_draft_set_started(st, "alice", id, "m1", "c1"), STORE_OK);
  cr_expect_eq(store_draft_set_started(st, "alice", id, "m2", "c2"), STORE_CONFLICT, "started once");
  d = store_draft_json(st, "alice", id, 0);
  cr_expect_str_eq(str(d, "mission_id"), "m1");
  cr_expect_str_eq(str(d, "chat_id"), "c1");
  json_decref(d);
  cr_assert_eq(store_draft_of_mission(st, "alice", "m1", found), STORE_OK);
  cr_expect_str_eq(found, id);
  cr_expect_eq(store_draft_of_mission(st, "bob", "m1", found), STORE_NOT_FOUND);
  cr_expect_eq(store_draft_of_mission(st, "alice", "m2", found), STORE_NOT_FOUND);
}

/* ---- writing sessions ---- */

BOTH_BACKENDS(pgchats, writing_sessions_are_listed_updated_and_deleted_with_their_chat) {
  add_users(st);
  char first[17], empty[17], second[17];
  cr_assert_eq(store_writing_create(st, "alice", "Essay", NULL, NULL, NULL, "# Draft", NULL, first), STORE_OK);
  cr_assert_eq(store_writing_create(st, "alice", "Not yet", "g1", "ieee", "m1", NULL, NULL, empty), STORE_OK);
  cr_assert_eq(store_writing_create(st, "alice", "보고서", "g2", "mla", "m2", "From a report", "report", second),
               STORE_OK);
  set_updated(st, "UPDATE writing_sessions SET updated_at = ? WHERE id = ?", first, 2000);
  set_updated(st, "UPDATE writing_sessions SET updated_at = ? WHERE id = ?", second, 1000);

  json_t *j = store_writing_json(st, "alice", first);
  cr_assert_not_null(j);
  cr_expect_str_eq(str(j, "title"), "Essay");
  cr_expect_str_eq(str(j, "content"), "# Draft");
  cr_expect_str_eq(str(j, "author"), "user");
  cr_expect_str_eq(str(j, "style"), "apa", "the default style");
  cr_expect(json_is_false(json_object_get(j, "web")));
  cr_expect(json_is_null(json_object_get(j, "group_id")));
  cr_expect(json_is_null(json_object_get(j, "mission_id")));
  cr_expect_eq(num(j, "version"), 1);
  cr_expect_str_eq(str(j, "updated_at"), "1970-01-01T00:00:02.000Z");
  json_decref(j);
  cr_expect_null(store_writing_json(st, "alice", empty), "no version yet: not read");

  json_t *list = store_writing_list_json(st, "alice");
  cr_assert_not_null(list);
  json_t *sessions = json_object_get(list, "sessions");
  cr_assert_eq(json_array_size(sessions), 2, "a session without a version is not listed");
  cr_expect_str_eq(str(json_array_get(sessions, 0), "id"), first, "newest first");
  cr_expect_eq(num(json_array_get(sessions, 0), "chars"), 7);
  cr_expect_str_eq(str(json_array_get(sessions, 1), "author"), "report");
  cr_expect_str_eq(str(json_array_get(sessions, 1), "mission_id"), "m2");
  cr_expect_str_eq(str(json_array_get(sessions, 1), "style"), "mla");
  cr_expect_null(json_object_get(json_array_get(sessions, 1), "content"), "the list has no drafts' text");
  json_decref(list);

  /* the assistant's chat exists but is not one of the user's chats */
  store_writing_t w;
  cr_assert_eq(store_writing_get(st, "alice", second, &w), STORE_OK);
  cr_expect_str_eq(w.title, "보고서");
  cr_expect_str_eq(w.group_id, "g2");
  cr_expect_str_eq(w.style, "mla");
  cr_expect_eq(w.web, 0);
  store_chat_t chat;
  cr_assert_eq(store_chat_get(st, "alice", w.chat_id, &chat), STORE_OK);
  cr_expect_str_eq(chat.group_id, "g2", "the assistant reads the session's group");
  char own[17];
  cr_assert_eq(store_chat_create(st, "alice", "My chat", NULL, own), STORE_OK);
  json_t *chats = store_chat_list_json(st, "alice", 10, 0);
  cr_expect_eq(num(chats, "total"), 1);
  cr_expect_str_eq(str(json_array_get(json_object_get(chats, "chats"), 0), "id"), own);
  json_decref(chats);

  json_t *fields = json_pack("{s:s, s:n, s:s, s:b}", "title", "Renamed", "group_id", "style", "chicago", "web", 1);
  cr_assert_eq(store_writing_update(st, "alice", second, fields), STORE_OK);
  j = store_writing_json(st, "alice", second);
  cr_expect_str_eq(str(j, "title"), "Renamed");
  cr_expect(json_is_null(json_object_get(j, "group_id")));
  cr_expect_str_eq(str(j, "style"), "chicago");
  cr_expect(json_is_true(json_object_get(j, "web")));
  cr_expect_str_eq(str(j, "content"), "From a report", "the draft is untouched");
  json_decref(j);
  cr_assert_eq(store_chat_get(st, "alice", w.chat_id, &chat), STORE_OK);
  cr_expect_str_eq(chat.group_id, "", "the chat follows to the whole library");
  cr_assert_eq(store_writing_get(st, "alice", second, &w), STORE_OK);
  cr_expect_eq(w.web, 1, "the assistant also searches the web");
  json_t *bad = json_pack("{s:s}", "style", "harvard");
  cr_expect_eq(store_writing_update(st, "alice", second, bad), STORE_ERROR, "the schema refuses an unknown style");
  j = store_writing_json(st, "alice", second);
  cr_expect_str_eq(str(j, "style"), "chicago");
  json_decref(j);
  json_decref(bad);

  /* bob: not found, and nothing changes */
  cr_expect_eq(store_writing_get(st, "bob", second, &w), STORE_NOT_FOUND);
  cr_expect_null(store_writing_json(st, "bob", second));
  cr_expect_eq(store_writing_update(st, "bob", second, fields), STORE_NOT_FOUND);
  cr_expect_eq(store_writing_delete(st, "bob", second), STORE_NOT_FOUND);
  list = store_writing_list_json(st, "bob");
  cr_expect_eq(json_array_size(json_object_get(list, "sessions")), 0);
  json_decref(list);
  json_decref(fields);

  cr_assert_eq(store_writing_get(st, "alice", second, &w), STORE_OK);
  cr_assert_eq(store_writing_delete(st, "alice", second), STORE_OK);
  cr_expect_eq(store_writing_get(st, "alice", second, &w), STORE_NOT_FOUND);
  cr_expect_eq(store_chat_get(st, "alice", w.chat_id, &chat), STORE_NOT_FOUND, "its chat goes with it");
  cr_expect_eq(store_writing_delete(st, "alice", second), STORE_NOT_FOUND);
}

BOTH_BACKENDS(pgchats, every_changed_save_is_a_version_and_stale_saves_conflict) {
  add_users(st);
  char id[17];
  cr_assert_eq(store_writing_create(st, "alice", "Essay", NULL, NULL, NULL, NULL, NULL, id), STORE_OK);
  int v = -1;
  cr_assert_eq(store_writing_save(st, "alice", id, "첫 문장.", "user", 0, &v), STORE_OK);
  cr_expect_eq(v, 1);
  cr_assert_eq(store_writing_save(st, "alice", id, "첫 문장. Second.", "assistant", 1, &v), STORE_OK);
  cr_expect_eq(v, 2);
  cr_assert_eq(store_writing_save(st, "alice", id, "첫 문장. Second.", "user", 2, &v), STORE_OK);
  cr_expect_eq(v, 2, "the same text again is no new version");
  v = -1;
  cr_expect_eq(store_writing_save(st, "alice", id, "an old tab", "user", 1, &v), STORE_CONFLICT);
  cr_expect_eq(v, 2, "the conflict names the latest version");
  cr_expect_eq(store_writing_save(st, "bob", id, "x", "user", 0, &v), STORE_NOT_FOUND);

  json_t *vs = store_writing_versions(st, "alice", id);
  cr_assert_eq(json_array_size(vs), 2);
  cr_expect_eq(num(json_array_get(vs, 0), "version"), 2, "newest first");
  cr_expect_str_eq(str(json_array_get(vs, 0), "author"), "assistant");
  cr_expect_eq(num(json_array_get(vs, 0), "chars"), 13, "characters, not bytes");
  cr_expect_eq(num(json_array_get(vs, 1), "chars"), 5);
  cr_expect_not_null(str(json_array_get(vs, 1), "created_at"));
  json_decref(vs);

  /* the two sides of a diff */
  json_t *a = store_writing_version(st, "alice", id, 1), *b = store_writing_version(st, "alice", id, 2);
  cr_assert_not_null(a);
  cr_assert_not_null(b);
  cr_expect_str_eq(str(a, "content"), "첫 문장.");
  cr_expect_str_eq(str(b, "content"), "첫 문장. Second.");
  cr_expect_str_eq(str(a, "author"), "user");
  json_decref(a);
  json_decref(b);
  cr_expect_null(store_writing_version(st, "alice", id, 3));
  cr_expect_null(store_writing_version(st, "bob", id, 1));
  cr_expect_null(store_writing_versions(st, "bob", id));

  json_t *j = store_writing_json(st, "alice", id);
  cr_expect_eq(num(j, "version"), 2);
  cr_expect_str_eq(str(j, "content"), "첫 문장. Second.");
  json_decref(j);
}

static json_t *ref(const char *doc, int page, const char *doi, const char *url, const char *title) {
  json_t *r = json_pack("{s:s}", "title", title);
  if (doc) json_object_set_new(r, "document_id", json_string(doc));
  if (page) json_object_set_new(r, "page", json_integer(page));
  if (doi) json_object_set_new(r, "doi", json_string(doi));
  if (url) json_object_set_new(r, "url", json_string(url));
  return r;
}

static int add_ref(store_t *st, const char *user, const char *id, json_t *r, int *added) {
  int n = 0;
  int rc = store_writing_ref_add(st, user, id, r, &n, added);
  json_decref(r);
  return rc == STORE_OK ? n : rc;
}

BOTH_BACKENDS(pgchats, references_are_numbered_once_per_source_and_never_reused) {
  add_users(st);
  char id[17];
  cr_assert_eq(store_writing_create(st, "alice", "Essay", NULL, NULL, NULL, "", NULL, id), STORE_OK);
  int added = -1;
  cr_expect_eq(add_ref(st, "alice", id, ref("d1", 3, NULL, NULL, "Doc p3"), &added), 1);
  cr_expect_eq(added, 1);
  cr_expect_eq(add_ref(st, "alice", id, ref("d1", 3, NULL, NULL, "again"), &added), 1, "the same page of a document");
  cr_expect_eq(added, 0);
  cr_expect_eq(add_ref(st, "alice", id, ref("d1", 4, NULL, NULL, "Doc p4"), &added), 2, "another page");
  cr_expect_eq(add_ref(st, "alice", id, ref(NULL, 0, "10.1000/ABC", NULL, "Paper"), &added), 3);
  cr_expect_eq(add_ref(st, "alice", id, ref(NULL, 0, "10.1000/abc", "https://x.org/a", "Same DOI"), &added), 3,
               "a DOI in another case");
  cr_expect_eq(added, 0);
  cr_expect_eq(add_ref(st, "alice", id, ref(NULL, 0, NULL, "https://example.org/page", "Web"), &added), 4);
  cr_expect_eq(add_ref(st, "alice", id, ref(NULL, 0, NULL, "https://example.org/page", "Web again"), &added), 4);
  cr_expect_eq(add_ref(st, "alice", id, ref("d2", 0, NULL, "https://example.org/page", "Doc with URL"), &added), 5,
               "a library document is matched by document, not URL");
  cr_expect_eq(add_ref(st, "bob", id, ref("d9", 0, NULL, NULL, "Bob's"), &added), STORE_NOT_FOUND);

  json_t *refs = store_writing_refs(st, "alice", id);
  cr_assert_eq(json_array_size(refs), 5);
  for (size_t i = 0; i < 5; i++) cr_expect_eq(num(json_array_get(refs, i), "n"), (json_int_t)i + 1, "in n order");
  cr_expect_str_eq(str(json_array_get(refs, 0), "title"), "Doc p3", "the first one kept");
  cr_expect_eq(num(json_array_get(refs, 1), "page"), 4);
  json_decref(refs);

  json_t *fixed = json_pack("{s:s, s:s, s:i}", "title", "Fixed title", "doi", "10.1000/xyz", "n", 99);
  cr_expect_eq(store_writing_ref_put(st, "alice", id, 3, fixed), STORE_OK);
  cr_expect_eq(store_writing_ref_put(st, "alice", id, 42, fixed), STORE_NOT_FOUND);
  cr_expect_eq(store_writing_ref_put(st, "bob", id, 3, fixed), STORE_NOT_FOUND);
  json_decref(fixed);
  cr_expect_eq(store_writing_ref_delete(st, "bob", id, 1), STORE_NOT_FOUND);
  cr_expect_eq(store_writing_ref_delete(st, "alice", id, 5), STORE_OK);
  cr_expect_eq(store_writing_ref_delete(st, "alice", id, 5), STORE_NOT_FOUND);
  cr_expect_eq(add_ref(st, "alice", id, ref("d3", 0, NULL, NULL, "New"), &added), 6, "5 is not reused");

  refs = store_writing_refs(st, "alice", id);
  cr_assert_eq(json_array_size(refs), 5);
  json_t *third = json_array_get(refs, 2);
  cr_expect_eq(num(third, "n"), 3, "the number is the row's, not the data's");
  cr_expect_str_eq(str(third, "title"), "Fixed title");
  cr_expect_eq(num(json_array_get(refs, 4), "n"), 6);
  json_decref(refs);
  cr_expect_null(store_writing_refs(st, "bob", id));
}

BOTH_BACKENDS(pgchats, writing_stats_count_the_assistants_calls_and_questions) {
  add_users(st);
  char id[17];
  cr_assert_eq(store_writing_create(st, "alice", "Essay", NULL, NULL, NULL, "", NULL, id), STORE_OK);
  store_writing_t w;
  cr_assert_eq(store_writing_get(st, "alice", id, &w), STORE_OK);
  json_t *s = store_writing_stats(st, "alice", id);
  cr_assert_not_null(s);
  cr_expect_eq(num(s, "model_calls"), 0);
  cr_expect_eq(json_real_value(json_object_get(s, "cost_usd")), 0.0);
  json_decref(s);
  static const char *ids[] = {"c1", "c2", "c3"};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(db_run(st, "llm call",
                        "INSERT INTO llm_calls (id, user_id, chat_id, role, provider, endpoint, model, request, "
                        "prompt_tokens, completion_tokens, cost_usd, status, request_hash, created_at) VALUES (?, "
                        "'alice', ?, 'chat', 'fake', 'chat', 'm', '{}', ?, ?, ?, 'ok', 'h', 0)",
                        DB_ARGS(DB_TEXT(ids[i]), DB_TEXT(i < 2 ? w.chat_id : "elsewhere"), DB_INT(100 * (i + 1)),
                                DB_INT(10), DB_REAL(0.25)),
                        NULL),
                 STORE_OK);
  cr_assert_eq(store_chat_add_message(st, "alice", w.chat_id, "user", "Suggest a title", NULL, NULL, NULL), STORE_OK);
  cr_assert_eq(store_chat_add_message(st, "alice", w.chat_id, "assistant", "Try this", NULL, NULL, NULL), STORE_OK);
  s = store_writing_stats(st, "alice", id);
  cr_assert_not_null(s);
  cr_expect_eq(num(s, "model_calls"), 2);
  cr_expect_eq(num(s, "tokens"), 320);
  cr_expect_eq(json_real_value(json_object_get(s, "cost_usd")), 0.5);
  cr_expect_eq(num(s, "searches"), 1, "one question asked");
  json_decref(s);
  cr_expect_null(store_writing_stats(st, "bob", id));
}
