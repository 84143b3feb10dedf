/* admin.c - /api/admin/...: user management and server switches (admin only). */
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "auth/accounts.h"
#include "http/ws.h"
#include "store/users.h"

static json_t *user_out(store_user_t *u) {
  return json_pack("{s:s, s:s, s:s, s:b}", "id", u->id, "username", u->username, "role", u->role, "active", u->active);
}

static int list_users(http_req_t *r) {
  json_t *users = store_user_list_json(r->app->store);
  return http_reply_json(r, 200,
                         json_pack("{s:o, s:b}", "users", users, "registration_open", api_registration_open(r->app)));
}

static int create_user(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *username = json_string_value(json_object_get(body, "username"));
  const char *password = json_string_value(json_object_get(body, "password"));
  const char *role = json_string_value(json_object_get(body, "role"));
  if (!role) role = "researcher";
  char err[256], id[17];
  int rc = accounts_create(r->app->store, r->app->auth, username, password, role, id, err, sizeof err);
  int status;
  if (rc == STORE_CONFLICT) {
    status = http_reply_error(r, 409, "conflict", "%s", err);
  } else if (rc != 0) {
    status = http_reply_error(r, 422, "invalid_field", "%s", err);
  } else {
    store_user_t *u = NULL;
    store_user_get(r->app->store, id, &u);
    status = u ? http_reply_json(r, 201, user_out(u)) : http_reply_error(r, 500, "internal", "user vanished");
    store_user_free(u);
  }
  json_decref(body);
  return status;
}

static int update_user(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  store_user_t *u = NULL;
  int status;
  if (store_user_get(r->app->store, id, &u) != STORE_OK) {
    json_decref(body);
    return http_reply_not_found(r, "user", id);
  }
  json_t *jrole = json_object_get(body, "role");
  json_t *jactive = json_object_get(body, "active");
  json_t *jpw = json_object_get(body, "password");
  const char *role = json_string_value(jrole);
  if ((jrole && role_parse(role) == ROLE_NONE) || (jactive && !json_is_boolean(jactive)) ||
      (jpw && !json_is_string(jpw))) {
    status = http_reply_error(r, 422, "invalid_field",
                              "role must be admin, researcher or viewer; active a boolean; password a string");
    goto done;
  }
  int demote = strcmp(u->role, "admin") == 0 && u->active &&
               ((role && strcmp(role, "admin") != 0) || (jactive && json_is_false(jactive)));
  if (demote && store_admin_count(r->app->store) <= 1) {
    status = http_reply_error(r, 409, "last_admin", "cannot demote or disable the last active admin");
    goto done;
  }
  if (jpw) {
    char err[256];
    if (accounts_set_password(r->app->store, r->app->auth, id, json_string_value(jpw), err, sizeof err) != 0) {
      status = http_reply_error(r, 422, "invalid_field", "%s", err);
      goto done;
    }
    ws_hub_recheck_user(r->app->hub, id); /* older tokens now fail: close their sockets */
  }
  if (store_user_update(r->app->store, id, role, jactive ? json_is_true(jactive) : -1, NULL) != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot update user %s", id);
    goto done;
  }
  ws_hub_recheck_user(r->app->hub, id); /* disabled or demoted: close the sockets now */
  store_user_free(u);
  u = NULL;
  store_user_get(r->app->store, id, &u);
  status = u ? http_reply_json(r, 200, user_out(u)) : http_reply_not_found(r, "user", id);
done:
  store_user_free(u);
  json_decref(body);
  return status;
}

static int delete_user(http_req_t *r) {
  const char *id = http_param(r, "id");
  store_user_t *u = NULL;
  if (store_user_get(r->app->store, id, &u) != STORE_OK) return http_reply_not_found(r, "user", id);
  int last_admin = strcmp(u->role, "admin") == 0 && u->active && store_admin_count(r->app->store) <= 1;
  store_user_free(u);
  if (last_admin) return http_reply_error(r, 409, "last_admin", "cannot delete the last active admin");
  if (strcmp(id, r->user.id) == 0) return http_reply_error(r, 409, "conflict", "you cannot delete yourself");
  if (store_user_delete(r->app->store, id) != STORE_OK) return http_reply_error(r, 500, "internal", "delete failed");
  ws_hub_recheck_user(r->app->hub, id);
  return http_reply_json(r, 200, json_pack("{s:s}", "status", "deleted"));
}

/* Registration and the server defaults of the settings sections (see
 * api_settings_save): what every user without settings of their own gets. */
static int get_server_settings(http_req_t *r) {
  json_t *out = api_settings_sections(r->app, NULL);
  json_object_set_new(out, "registration_open", json_boolean(api_registration_open(r->app)));
  return http_reply_json(r, 200, out);
}

static int put_server_settings(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  json_t *reg = json_object_get(body, "registration_open");
  static const char *const ALSO[] = {"registration_open", NULL};
  int status;
  if (reg && !json_is_boolean(reg)) {
    status = http_reply_error(r, 422, "invalid_field", "registration_open must be a boolean");
  } else if (api_settings_save(r, body, NULL, ALSO) != 0) {
    status = r->status;
  } else {
    if (reg) store_server_setting_put(r->app->store, "registration", reg);
    status = get_server_settings(r);
  }
  json_decref(body);
  return status;
}

void api_admin_routes(http_router_t *rt) {
  http_route(rt, "GET", "/api/admin/users", ROLE_ADMIN, list_users);
  http_route(rt, "POST", "/api/admin/users", ROLE_ADMIN, create_user);
  http_route(rt, "PATCH", "/api/admin/users/{id}", ROLE_ADMIN, update_user);
  http_route(rt, "DELETE", "/api/admin/users/{id}", ROLE_ADMIN, delete_user);
  http_route(rt, "GET", "/api/admin/settings", ROLE_ADMIN, get_server_settings);
  http_route(rt, "PUT", "/api/admin/settings", ROLE_ADMIN, put_server_settings);
}
