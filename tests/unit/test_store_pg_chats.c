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
  json_t *none = json_string("x");
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
  m = json_string("x");
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
