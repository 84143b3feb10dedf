/*
 * auth.c - /api/auth/...: login, logout, me, change-password, register.
 *
 * Login is throttled per username and per client address; a wrong username
 * and a wrong password get the same answer and take the same time (a dummy
 * hash is verified when the user does not exist).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "app.h"
#include "auth/accounts.h"
#include "auth/auth.h"
#include "base/log.h"
#include "http/ws.h"
#include "store/users.h"

static json_t *user_json(const char *id, const char *username, const char *role) {
  return json_pack("{s:s, s:s, s:s}", "id", id, "username", username, "role", role);
}

static int login(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *username = json_string_value(json_object_get(body, "username"));
  const char *password = json_string_value(json_object_get(body, "password"));
  if (!username || !password || !username[0]) {
    json_decref(body);
    return http_reply_error(r, 422, "invalid_field", "username and password are required");
  }
  int64_t now = (int64_t)time(NULL);
  char ukey[160], ipkey[80];
  snprintf(ukey, sizeof ukey, "u:%s", username);
  snprintf(ipkey, sizeof ipkey, "ip:%s", r->client_ip);
  int wait_u = auth_throttle_check(r->app->auth, r->app->store, ukey, now);
  int wait_ip = auth_throttle_check(r->app->auth, r->app->store, ipkey, now);
  int wait = wait_u > wait_ip ? wait_u : wait_ip;
  if (wait > 0) {
    json_decref(body);
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Retry-After: %d\r\n", wait);
    json_t *err = json_pack("{s:{s:s, s:s}}", "error", "code", "too_many_attempts", "message",
                            "too many failed logins; try again later");
    char *text = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    int rc = http_reply_raw(r, 429, "application/json", text, strlen(text), hdr);
    free(text);
    return rc;
  }
  store_user_t *u = NULL;
  store_user_get_by_name(r->app->store, username, &u);
  /* Verify against a fixed dummy hash when the user is unknown, so both cases cost the same. */
  static const char dummy[] =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0lS9wPjUm4pTt9GDX2g4fJ5qN6p0bH3x8i2GZ4o6Yfk";
  int ok = auth_password_verify(r->app->auth, u ? u->password_hash : dummy, password);
  json_decref(body);
  if (!u || !ok || !u->active) {
    auth_throttle_fail(r->app->auth, r->app->store, ukey, now);
    auth_throttle_fail(r->app->auth, r->app->store, ipkey, now);
    log_info("auth", "failed login for a user from %s", r->client_ip);
    store_user_free(u);
    return http_reply_error(r, 401, "invalid_credentials",
                            u && ok && !u->active ? "account disabled" : "wrong username or password");
  }
  auth_throttle_clear(r->app->auth, r->app->store, ukey);
  auth_claims_t claims;
  char *token = auth_token_issue(r->app->auth, u->id, u->username, u->role, &claims);
  json_t *resp = json_pack("{s:s, s:s, s:I, s:o}", "access_token", token, "token_type", "bearer", "expires_in",
                           (json_int_t)auth_token_ttl(r->app->auth), "user", user_json(u->id, u->username, u->role));
  free(token);
  store_user_free(u);
  return http_reply_json(r, 200, resp);
}

static int logout(http_req_t *r) {
  if (store_token_revoke(r->app->store, r->user.jti, r->user.exp * 1000) != STORE_OK)
    return http_reply_error(r, 500, "internal", "cannot revoke the token");
  store_token_purge(r->app->store, time(NULL) * 1000);
  ws_hub_recheck_user(r->app->hub, r->user.id); /* closes the sockets opened with this token */
  return http_reply_json(r, 200, json_pack("{s:s}", "status", "logged_out"));
}

static int me(http_req_t *r) {
  return http_reply_json(r, 200, user_json(r->user.id, r->user.username, role_name(r->user.role)));
}

static int change_password(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *cur = json_string_value(json_object_get(body, "current_password"));
  const char *next = json_string_value(json_object_get(body, "new_password"));
  int rc;
  store_user_t *u = NULL;
  if (!cur || !next) {
    rc = http_reply_error(r, 422, "invalid_field", "current_password and new_password are required");
  } else if (store_user_get(r->app->store, r->user.id, &u) != STORE_OK) {
    rc = http_reply_error(r, 404, "not_found", "user not found");
  } else if (!auth_password_verify(r->app->auth, u->password_hash, cur)) {
    rc = http_reply_error(r, 403, "wrong_password", "current password is wrong");
  } else {
    char err[256];
    if (accounts_set_password(r->app->store, r->app->auth, r->user.id, next, err, sizeof err) != 0) {
      rc = http_reply_error(r, 422, "invalid_field", "%s", err);
    } else {
      ws_hub_recheck_user(r->app->hub, r->user.id); /* older tokens now fail: close their sockets */
      /* every earlier token (this one too) is refused from now on: the
       * caller continues with a fresh one */
      char *token = auth_token_issue(r->app->auth, u->id, u->username, u->role, NULL);
      rc = http_reply_json(r, 200,
                           json_pack("{s:s, s:s, s:s, s:I}", "status", "password_changed", "access_token", token,
                                     "token_type", "bearer", "expires_in", (json_int_t)auth_token_ttl(r->app->auth)));
      free(token);
    }
  }
  store_user_free(u);
  json_decref(body);
  return rc;
}

/* Registration is open when the server setting says so (admin API), else
 * when ALLOW_REGISTRATION is true. */
int api_registration_open(app_t *app) {
  json_t *v = NULL;
  if (store_server_setting_get(app->store, "registration", &v) == STORE_OK && json_is_boolean(v)) {
    int open = json_is_true(v);
    json_decref(v);
    return open;
  }
  json_decref(v);
  return config_bool(app->cfg, "ALLOW_REGISTRATION");
}

static int do_register(http_req_t *r) {
  if (!api_registration_open(r->app)) return http_reply_error(r, 403, "registration_closed", "registration is off");
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *username = json_string_value(json_object_get(body, "username"));
  const char *password = json_string_value(json_object_get(body, "password"));
  char err[256], id[17];
  int rc = accounts_create(r->app->store, r->app->auth, username, password, "researcher", id, err, sizeof err);
  int status;
  if (rc == STORE_CONFLICT)
    status = http_reply_error(r, 409, "conflict", "%s", err);
  else if (rc != 0)
    status = http_reply_error(r, 422, "invalid_field", "%s", err);
  else
    status = http_reply_json(r, 201, user_json(id, username, "researcher"));
  json_decref(body);
  return status;
}

void api_auth_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/auth/login", ROLE_NONE, login);
  http_route(rt, "POST", "/api/auth/logout", ROLE_VIEWER, logout);
  http_route(rt, "GET", "/api/auth/me", ROLE_VIEWER, me);
  http_route(rt, "POST", "/api/auth/change-password", ROLE_VIEWER, change_password);
  http_route(rt, "POST", "/api/auth/register", ROLE_NONE, do_register);
}
