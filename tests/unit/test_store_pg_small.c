/*
 * users and llm_calls on both backends (SQLite and PostgreSQL):
 * accounts and their sessions epoch, revoked tokens, settings documents,
 * and the record of model calls. PostgreSQL runs in a throwaway cluster started once for
 * this binary (tests/support/pg.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "base/log.h"
#include "base/util.h"
#include "pg.h"
#include "store/jobs.h"
#include "store/llm_calls.h"
#include "store/store.h"
#include "store/users.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgsmall, .init = quiet);

/* ---- users ---- */

static void add_user(store_t *st, const char *name, const char *role, store_user_t *u) {
  memset(u, 0, sizeof *u);
  u->username = (char *)name;
  u->password_hash = "hash";
  snprintf(u->role, sizeof u->role, "%s", role);
  u->active = 1;
  cr_assert_eq(store_user_insert(st, u), STORE_OK, "insert %s", name);
}

BOTH_BACKENDS(pgsmall, users_accounts_and_roles) {
  store_user_t a, b;
  add_user(st, "Alice", "admin", &a);
  add_user(st, "bob", "researcher", &b);
  store_user_t dup = {.username = "ALICE", .password_hash = "x", .role = "viewer", .active = 1};
  cr_expect_eq(store_user_insert(st, &dup), STORE_CONFLICT, "names are unique whatever their case");
  cr_expect_eq(store_user_count(st), 2);
  cr_expect_eq(store_admin_count(st), 1);

  store_user_t *got = NULL;
  cr_assert_eq(store_user_get_by_name(st, "alice", &got), STORE_OK, "names match without case");
  cr_expect_str_eq(got->id, a.id);
  cr_expect_str_eq(got->username, "Alice");
  cr_expect_str_eq(got->role, "admin");
  cr_expect_eq(got->active, 1);
  cr_expect_eq(got->tokens_valid_after, 0);
  store_user_free(got);
  got = NULL;
  cr_expect_eq(store_user_get(st, "nosuchuser000000", &got), STORE_NOT_FOUND);
  cr_expect_null(got);
  cr_expect_eq(store_user_is_admin(st, a.id), 1);
  cr_expect_eq(store_user_is_admin(st, b.id), 0);

  json_t *list = store_user_list_json(st);
  cr_assert_eq(json_array_size(list), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "username")), "Alice");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "username")), "bob");
  cr_expect(json_is_true(json_object_get(json_array_get(list, 1), "active")));
  json_decref(list);

  /* Role and active change alone: the sessions epoch stays. */
  cr_expect_eq(store_user_update(st, b.id, "viewer", 0, NULL), STORE_OK);
  cr_assert_eq(store_user_get(st, b.id, &got), STORE_OK);
  cr_expect_str_eq(got->role, "viewer");
  cr_expect_eq(got->active, 0);
  cr_expect_str_eq(got->password_hash, "hash");
  cr_expect_eq(got->tokens_valid_after, 0);
  store_user_free(got);
  /* A new password ends older sessions; active -1 leaves it as it is. */
  int64_t before = util_now_ms();
  cr_expect_eq(store_user_update(st, b.id, NULL, -1, "newhash"), STORE_OK);
  cr_assert_eq(store_user_get(st, b.id, &got), STORE_OK);
  cr_expect_str_eq(got->password_hash, "newhash");
  cr_expect_str_eq(got->role, "viewer");
  cr_expect_eq(got->active, 0);
  cr_expect_geq(got->tokens_valid_after, before);
  store_user_free(got);
  cr_expect_eq(store_user_update(st, "nosuchuser000000", "admin", 1, NULL), STORE_NOT_FOUND);

  cr_expect_eq(store_user_delete(st, b.id), STORE_OK);
  cr_expect_eq(store_user_delete(st, b.id), STORE_NOT_FOUND);
  cr_expect_eq(store_user_count(st), 1);
}

BOTH_BACKENDS(pgsmall, users_revoked_tokens_and_settings) {
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 0);
  cr_expect_eq(store_token_revoke(st, "jti-1", 1000), STORE_OK);
  cr_expect_eq(store_token_revoke(st, "jti-1", 1000), STORE_OK, "revoking twice is fine");
  cr_expect_eq(store_token_revoke(st, "jti-2", 5000), STORE_OK);
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 1);
  cr_expect_eq(store_token_purge(st, 2000), STORE_OK);
  cr_expect_eq(store_token_is_revoked(st, "jti-1"), 0, "an expired token's revocation is dropped");
  cr_expect_eq(store_token_is_revoked(st, "jti-2"), 1);

  store_user_t a, b;
  add_user(st, "carol", "researcher", &a);
  add_user(st, "dave", "researcher", &b);
  json_t *v = NULL;
  cr_expect_eq(store_setting_get(st, a.id, "models", &v), STORE_NOT_FOUND);
  json_t *doc = json_pack("{s:s, s:i}", "chat", "gpt-x", "n", 3);
  cr_expect_eq(store_setting_put(st, a.id, "models", doc), STORE_OK);
  json_decref(doc);
  doc = json_pack("{s:s}", "chat", "other");
  cr_expect_eq(store_setting_put(st, a.id, "models", doc), STORE_OK, "a second put replaces the first");
  json_decref(doc);
  cr_assert_eq(store_setting_get(st, a.id, "models", &v), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(v, "chat")), "other");
  cr_expect_null(json_object_get(v, "n"));
  json_decref(v);
  cr_expect_eq(store_setting_get(st, b.id, "models", &v), STORE_NOT_FOUND, "settings are per user");

  json_t *on = json_true();
  cr_expect_eq(store_server_setting_put(st, "registration", on), STORE_OK);
  json_decref(on);
  cr_assert_eq(store_server_setting_get(st, "registration", &v), STORE_OK);
  cr_expect(json_is_true(v));
  json_decref(v);
  cr_expect_eq(store_server_setting_get(st, "nothing", &v), STORE_NOT_FOUND);
  /* Deleting a user deletes their settings. */
  cr_expect_eq(store_user_delete(st, a.id), STORE_OK);
  cr_expect_eq(store_setting_get(st, a.id, "models", &v), STORE_NOT_FOUND);
}

/* ---- llm_calls ---- */

static void record_call(store_t *st, const char *user_id, const char *mission, const char *chat, const char *hash,
                        const char *response, const char *status, const char *source, int tokens, double cost,
                        const char *finish, char *id_out) {
  json_t *req = json_pack("{s:[], s:{}}", "messages", "options");
  if (finish) json_object_set_new(json_object_get(req, "options"), "finish_reason", json_string(finish));
  store_llm_call_t c = {.user_id = user_id,
                        .mission_id = mission,
                        .chat_id = chat,
                        .agent = "planner",
                        .role = "smart",
                        .provider = "openai",
                        .endpoint = "http://fake",
                        .model = "m1",
                        .request = req,
                        .response = response,
                        .prompt_tokens = tokens,
                        .completion_tokens = tokens / 2,
                        .cost_usd = cost,
                        .latency_ms = 12,
                        .status = status,
                        .source = source,
                        .request_hash = hash,
                        .attempts = 1};
  cr_assert_eq(store_llm_call_insert(st, &c), STORE_OK);
  cr_expect_gt(c.created_at, 0);
  if (id_out) memcpy(id_out, c.id, sizeof c.id);
  json_decref(req);
}

BOTH_BACKENDS(pgsmall, llm_calls_cache_lookup_lists_and_totals) {
  store_user_t u;
  add_user(st, "erin", "researcher", &u);
  char first[17], second[17], bad[17];
  record_call(st, u.id, "M1", NULL, "h1", "answer one", "ok", "live", 100, 0.5, "stop", first);
  record_call(st, u.id, "M1", NULL, "h2", NULL, "error", "live", 10, 0.0, NULL, bad);
  record_call(st, u.id, "M1", NULL, "h1", "answer two", "ok", "live", 200, 1.0, NULL, second);
  record_call(st, u.id, "M1", NULL, "h1", "answer one", "ok", "cache", 100, 0.5, NULL, NULL);
  record_call(st, u.id, NULL, "C1", "h3", "chat answer", "ok", "live", 5, 0.01, NULL, NULL);

  json_t *hit = NULL;
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 0, &hit), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), first);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "response")), "answer one");
  cr_expect_str_eq(json_string_value(json_object_get(hit, "finish_reason")), "stop");
  cr_expect_eq(json_integer_value(json_object_get(hit, "prompt_tokens")), 100);
  cr_expect_eq(json_real_value(json_object_get(hit, "cost_usd")), 0.5);
  json_decref(hit);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 1, &hit), STORE_OK, "the second occurrence in order");
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), second);
  cr_expect_null(json_string_value(json_object_get(hit, "finish_reason")), "no finish reason recorded");
  json_decref(hit);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", -1, &hit), STORE_OK, "the latest");
  cr_expect_str_neq(json_string_value(json_object_get(hit, "id")), first);
  json_decref(hit);
  cr_expect_eq(store_llm_call_find(st, "M1", "h1", 5, &hit), STORE_NOT_FOUND);
  cr_expect_eq(store_llm_call_find(st, "M1", "h2", 0, &hit), STORE_NOT_FOUND, "failed calls are not reused");
  cr_expect_eq(store_llm_call_find(st, "M2", "h1", 0, &hit), STORE_NOT_FOUND, "per mission");

  json_t *all = store_llm_calls_list_mission(st, "M1", 0, 0);
  cr_assert_eq(json_array_size(all), 4, "limit 0: every call");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "id")), first, "insertion order");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 1), "id")), bad);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(all, 2), "id")), second);
  cr_expect(json_is_array(json_object_get(json_object_get(json_array_get(all, 0), "request"), "messages")));
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(all, 0), "latency_ms")), 12);
  json_decref(all);
  json_t *page = store_llm_calls_list_mission(st, "M1", 2, 1);
  cr_assert_eq(json_array_size(page), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 0), "id")), bad);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(page, 1), "id")), second);
  json_decref(page);
  json_t *chat = store_llm_calls_list_chat(st, "C1", 10, 0);
  cr_assert_eq(json_array_size(chat), 1);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(chat, 0), "response")), "chat answer");
  json_decref(chat);

  store_llm_totals_t t;
  cr_assert_eq(store_llm_calls_totals(st, "M1", &t), STORE_OK);
  cr_expect_eq(t.calls, 3);
  cr_expect_eq(t.cached, 1);
  cr_expect_eq(t.failed, 1);
  cr_expect_eq(t.prompt_tokens, 310, "cached answers cost nothing");
  cr_expect_eq(t.completion_tokens, 155);
  cr_expect_eq(t.cost_usd, 1.5);
  cr_assert_eq(store_llm_calls_totals(st, "none", &t), STORE_OK);
  cr_expect_eq(t.calls, 0);

  /* An answer that failed validation leaves the cache. */
  cr_expect_eq(store_llm_call_set_status(st, first, "error"), STORE_OK);
  cr_assert_eq(store_llm_call_find(st, "M1", "h1", 0, &hit), STORE_OK);
  cr_expect_str_eq(json_string_value(json_object_get(hit, "id")), second);
  json_decref(hit);
  cr_expect_eq(store_llm_call_set_status(st, "nosuchcall000000", "error"), STORE_NOT_FOUND);

  cr_expect_eq(store_llm_calls_delete_mission(st, "M1"), STORE_OK);
  all = store_llm_calls_list_mission(st, "M1", 0, 0);
  cr_expect_eq(json_array_size(all), 0);
  json_decref(all);
  chat = store_llm_calls_list_chat(st, "C1", 0, 0);
  cr_expect_eq(json_array_size(chat), 1, "other records stay");
  json_decref(chat);
}
