/*
 * Accounts and sessions on a real server (docs/security.md): a WebSocket
 * follows its account after the upgrade (demotion, logout, disabling,
 * password change close it or refuse its next subscribe), a password change
 * retires every earlier token (REST and WebSocket, through the API and
 * through `maestro user passwd` in another process), and an idle socket of a
 * user disabled from the CLI closes at the next heartbeat.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "auth/auth.h"
#include "base/util.h"
#include "http/ws.h"
#include "inproc.h"
#include "server_support.h"
#include "store/missions.h"
#include "store/users.h"
#include "ws_client.h"

static inproc_t env;
static ts_server_t ts; /* ts_http against the in-process server */
static char alice_id[17], root_id[17], root2_id[17];
static char *alice_tok, *root_tok, *root2_tok;
static char mission_id[17];

static void setup(void) {
  inproc_open(&env, NULL);
  inproc_user(&env, "alice", "researcher", alice_id, &alice_tok);
  inproc_user(&env, "root", "admin", root_id, &root_tok);
  inproc_user(&env, "root2", "admin", root2_id, &root2_tok);
  store_mission_new_t m = {.user_id = alice_id, .title = "alice's mission", .description = ""};
  cr_assert_eq(store_mission_insert(env.app->store, &m, mission_id, NULL), STORE_OK);
  inproc_serve(&env);
  memset(&ts, 0, sizeof ts);
  ts.port = env.port;
}

static void teardown(void) {
  inproc_close(&env);
  free(alice_tok);
  free(root_tok);
  free(root2_tok);
}

TestSuite(sessions, .init = setup, .fini = teardown, .timeout = 60);

static void subscribe(ws_client_t *c, const char *channel) {
  wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", channel));
}

static long rest_status(const char *method, const char *path, const char *token, json_t *body) {
  long st = 0;
  json_decref(ts_json(&ts, method, path, token, body, &st));
  json_decref(body);
  return st;
}

static void mission_channel(char *out, size_t n) {
  snprintf(out, n, "mission:%s", mission_id);
}

Test(sessions, a_demoted_admin_socket_is_closed_and_cannot_subscribe_to_another_users_mission) {
  char ch[64];
  mission_channel(ch, sizeof ch);
  ws_client_t *c = wsc_connect(env.port, root_tok);
  cr_assert_not_null(c);
  subscribe(c, ch);
  cr_assert_eq(wsc_wait(c, "subscribed", ch, 1, 5000), 1, "an admin may read alice's mission");

  char path[64];
  snprintf(path, sizeof path, "/api/admin/users/%s", root_id);
  cr_assert_eq(rest_status("PATCH", path, root2_tok, json_pack("{s:s}", "role", "researcher")), 200);
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_ROLE_CHANGED,
               "the demoted admin's socket is closed at once (reason '%s')", reason);
  cr_expect(strstr(reason, "role") != NULL, "reason: %s", reason);
  wsc_close(c);

  /* the token still works, with the current role: alice's mission is refused */
  c = wsc_connect(env.port, root_tok);
  cr_assert_not_null(c);
  subscribe(c, ch);
  cr_expect_eq(wsc_wait(c, "error", ch, 1, 5000), 1);
  cr_expect_eq(wsc_count(c, "subscribed", ch), 0);
  wsc_close(c);
}

Test(sessions, a_role_lowered_by_another_process_is_seen_at_the_next_subscribe) {
  char ch[64];
  mission_channel(ch, sizeof ch);
  ws_client_t *c = wsc_connect(env.port, root2_tok);
  cr_assert_not_null(c);
  subscribe(c, "documents");
  cr_assert_eq(wsc_wait(c, "subscribed", NULL, 1, 5000), 1);
  /* what `maestro user role root2 viewer` does: the database only, no push */
  cr_assert_eq(store_user_update(env.app->store, root2_id, "viewer", -1, NULL), STORE_OK);
  subscribe(c, ch);
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_ROLE_CHANGED, "reason '%s'", reason);
  cr_expect_eq(wsc_count(c, "subscribed", ch), 0, "no subscription to alice's mission");
  wsc_close(c);
}

Test(sessions, logout_closes_the_sockets_of_that_token_and_a_revoked_token_cannot_subscribe) {
  char *other = auth_token_issue(env.app->auth, alice_id, "alice", "researcher", NULL);
  ws_client_t *c = wsc_connect(env.port, alice_tok);
  ws_client_t *keep = wsc_connect(env.port, other);
  cr_assert_not_null(c);
  cr_assert_not_null(keep);
  subscribe(c, "documents");
  cr_assert_eq(wsc_wait(c, "subscribed", NULL, 1, 5000), 1);

  cr_assert_eq(rest_status("POST", "/api/auth/logout", alice_tok, NULL), 200);
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED);
  cr_expect(strstr(reason, "logged out") != NULL, "reason: %s", reason);
  cr_expect_null(wsc_connect(env.port, alice_tok), "a logged-out token cannot open a socket");
  wsc_close(c);

  /* the other session of alice is not affected by this logout */
  subscribe(keep, "documents");
  cr_expect_eq(wsc_wait(keep, "subscribed", NULL, 1, 5000), 1);
  /* revoked without a push (another server process on the same database) */
  auth_claims_t cl;
  cr_assert_eq(auth_token_verify(env.app->auth, other, (int64_t)time(NULL), &cl, NULL), 0);
  cr_assert_eq(store_token_revoke(env.app->store, cl.jti, cl.exp * 1000), STORE_OK);
  subscribe(keep, "documents");
  cr_expect_eq(wsc_wait_closed(keep, 3000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED);
  cr_expect_eq(wsc_count(keep, "subscribed", NULL), 1, "the subscribe after the revocation was refused");
  wsc_close(keep);
  free(other);
}

Test(sessions, a_disabled_user_is_refused_on_subscribe_and_closed_when_an_admin_disables_it) {
  ws_client_t *c = wsc_connect(env.port, alice_tok);
  cr_assert_not_null(c);
  /* `maestro user disable alice`: another process, the database only */
  cr_assert_eq(store_user_update(env.app->store, alice_id, NULL, 0, NULL), STORE_OK);
  subscribe(c, "documents");
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED);
  cr_expect(strstr(reason, "disabled") != NULL, "reason: %s", reason);
  cr_expect_eq(wsc_count(c, "subscribed", NULL), 0);
  wsc_close(c);

  cr_assert_eq(store_user_update(env.app->store, alice_id, NULL, 1, NULL), STORE_OK);
  c = wsc_connect(env.port, alice_tok);
  cr_assert_not_null(c, "enabled again: the same token works");
  char path[64];
  snprintf(path, sizeof path, "/api/admin/users/%s", alice_id);
  cr_assert_eq(rest_status("PATCH", path, root_tok, json_pack("{s:b}", "active", 0)), 200);
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED,
               "disabling through the API closes the socket at once");
  wsc_close(c);
}

Test(sessions, a_password_change_retires_older_tokens_on_rest_and_websocket) {
  char *second = auth_token_issue(env.app->auth, alice_id, "alice", "researcher", NULL);
  ws_client_t *c = wsc_connect(env.port, second);
  cr_assert_not_null(c);
  subscribe(c, "documents");
  cr_assert_eq(wsc_wait(c, "subscribed", NULL, 1, 5000), 1);

  long st;
  json_t *body = json_pack("{s:s, s:s}", "current_password", "password-123", "new_password", "a-new-password-456");
  json_t *j = ts_json(&ts, "POST", "/api/auth/change-password", alice_tok, body, &st);
  json_decref(body);
  cr_assert_eq(st, 200);
  const char *fresh = json_string_value(json_object_get(j, "access_token"));
  cr_assert_not_null(fresh, "the caller gets a new token");

  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 3000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED);
  cr_expect(strstr(reason, "password") != NULL, "reason: %s", reason);
  wsc_close(c);
  cr_expect_eq(rest_status("GET", "/api/auth/me", alice_tok, NULL), 401, "the token used for the change");
  cr_expect_eq(rest_status("GET", "/api/auth/me", second, NULL), 401, "another earlier token");
  cr_expect_null(wsc_connect(env.port, second));
  cr_expect_eq(rest_status("GET", "/api/auth/me", fresh, NULL), 200);
  c = wsc_connect(env.port, fresh);
  cr_assert_not_null(c);
  subscribe(c, "documents");
  cr_expect_eq(wsc_wait(c, "subscribed", NULL, 1, 5000), 1);
  wsc_close(c);
  char *login = ts_login(&ts, "alice", "a-new-password-456");
  cr_expect_not_null(login, "logging in right after the change works");
  cr_expect_eq(rest_status("GET", "/api/auth/me", login, NULL), 200);
  free(login);

  /* an admin's reset does the same */
  char path[64];
  snprintf(path, sizeof path, "/api/admin/users/%s", alice_id);
  cr_assert_eq(rest_status("PATCH", path, root_tok, json_pack("{s:s}", "password", "reset-by-admin-789")), 200);
  cr_expect_eq(rest_status("GET", "/api/auth/me", fresh, NULL), 401);
  json_decref(j);
  free(second);
}

/* ---- `maestro user passwd` and `disable`: another process on the same database ---- */

static ts_server_t srv;

static void start_process(void) {
  cr_assert_eq(ts_server_start(&srv, NULL), 0);
}
static void stop_process(void) {
  ts_server_stop(&srv);
}

TestSuite(sessions_cli, .init = start_process, .fini = stop_process, .timeout = 90);

Test(sessions_cli, user_passwd_refuses_older_tokens_and_user_disable_refuses_the_next_subscribe) {
  char *tok = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  ws_client_t *c = wsc_connect(srv.port, tok);
  cr_assert_not_null(c);
  long st;
  json_decref(ts_json(&srv, "GET", "/api/auth/me", tok, NULL, &st));
  cr_assert_eq(st, 200);
  char *out = NULL;
  cr_assert_eq(
      ts_run_cli(srv.dir, NULL, "changed-pass-456\n", &out, "user", "passwd", "admin", "--password-stdin", NULL), 0);
  free(out);
  json_decref(ts_json(&srv, "GET", "/api/auth/me", tok, NULL, &st));
  cr_expect_eq(st, 401, "a token issued before `maestro user passwd` is refused");
  subscribe(c, "documents");
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 5000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED, "reason '%s'", reason);
  cr_expect_eq(wsc_count(c, "subscribed", NULL), 0);
  wsc_close(c);
  free(tok);

  /* a researcher disabled from the CLI */
  cr_assert_eq(ts_run_cli(srv.dir, NULL, "researcher-pw-1\n", NULL, "user", "add", "eve", "--password-stdin", NULL), 0);
  tok = ts_login(&srv, "eve", "researcher-pw-1");
  cr_assert_not_null(tok);
  c = wsc_connect(srv.port, tok);
  cr_assert_not_null(c);
  cr_assert_eq(ts_run_cli(srv.dir, NULL, NULL, NULL, "user", "disable", "eve", NULL), 0);
  subscribe(c, "documents");
  cr_expect_eq(wsc_wait_closed(c, 5000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED, "reason '%s'", reason);
  cr_expect(strstr(reason, "disabled") != NULL, "reason: %s", reason);
  cr_expect_eq(wsc_count(c, "subscribed", NULL), 0);
  wsc_close(c);
  free(tok);
}

Test(sessions_cli, an_idle_socket_of_a_user_disabled_from_the_cli_closes_at_the_next_heartbeat) {
  cr_assert_eq(ts_run_cli(srv.dir, NULL, "researcher-pw-2\n", NULL, "user", "add", "mallory", "--password-stdin", NULL),
               0);
  char *tok = ts_login(&srv, "mallory", "researcher-pw-2");
  cr_assert_not_null(tok);
  ws_client_t *c = wsc_connect(srv.port, tok);
  cr_assert_not_null(c);
  subscribe(c, "documents");
  cr_assert_eq(wsc_wait(c, "subscribed", NULL, 1, 5000), 1);
  cr_assert_eq(ts_run_cli(srv.dir, NULL, NULL, NULL, "user", "disable", "mallory", NULL), 0);
  /* the socket sends nothing: only the server's heartbeat (every 20 s) can see it */
  char reason[128] = "";
  cr_expect_eq(wsc_wait_closed(c, 25000, reason, sizeof reason), WS_CLOSE_SESSION_ENDED, "reason '%s'", reason);
  cr_expect(strstr(reason, "disabled") != NULL, "reason: %s", reason);
  wsc_close(c);
  free(tok);
}
