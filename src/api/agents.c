/*
 * agents.c - custom agents (docs/api.md "Custom agents"; src/agents/custom.h):
 *
 *   GET    /api/agents                  every user: the enabled agents (admins: all)
 *   GET    /api/agents/{name}           one, with its version history
 *   POST   /api/agents                  admin: a new agent (version 1)
 *   PUT    /api/agents/{name}           admin: a change (members given replace the
 *                                       current ones); a new version when the
 *                                       definition changes; "disabled" enables/disables
 *   DELETE /api/agents/{name}           admin: disables (the history stays: missions
 *                                       name the versions that ran)
 *
 * A definition that does not validate is a 422 naming the field.
 */
#include <string.h>

#include "agents/custom.h"
#include "api/api.h"
#include "app.h"
#include "store/custom_agents.h"

/* The agent row as the API shows it: the definition's members at the top. */
static json_t *view(json_t *row) {
  json_t *v = json_deep_copy(row);
  json_t *def = json_object_get(v, "definition");
  if (json_is_object(def)) json_object_update(v, def);
  json_object_del(v, "definition");
  return v;
}

/* Replies with agent name as it is now. */
static int reply_agent(http_req_t *r, const char *name, int status) {
  json_t *a = NULL;
  if (store_cagent_get(r->app->store, name, 0, &a) != STORE_OK)
    return http_reply_error(r, 500, "internal", "cannot read the agent back");
  json_t *v = view(a);
  json_decref(a);
  return http_reply_json(r, status, v);
}

static int list(http_req_t *r) {
  json_t *rows = store_cagent_list(r->app->store);
  if (!rows) return http_reply_error(r, 500, "internal", "cannot list the agents");
  json_t *out = json_array();
  size_t i;
  json_t *a;
  json_array_foreach(rows, i, a) if (r->user.role >= ROLE_ADMIN || !json_is_true(json_object_get(a, "disabled")))
      json_array_append_new(out, view(a));
  json_decref(rows);
  return http_reply_json(r, 200, json_pack("{s:o}", "agents", out));
}

static int get_one(http_req_t *r) {
  const char *name = http_param(r, "name");
  json_t *a = NULL;
  int rc = store_cagent_get(r->app->store, name, 0, &a);
  if (rc == STORE_OK && r->user.role < ROLE_ADMIN && json_is_true(json_object_get(a, "disabled"))) rc = STORE_NOT_FOUND;
  if (rc == STORE_NOT_FOUND) {
    json_decref(a);
    return http_reply_not_found(r, "agent", name);
  }
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot read the agent");
  json_t *v = view(a);
  json_decref(a);
  json_t *versions = store_cagent_versions(r->app->store, name);
  json_object_set_new(v, "versions", versions ? versions : json_array());
  return http_reply_json(r, 200, v);
}

/* Validates def and stores it; replies. status: 201 for a new agent. */
static int save(http_req_t *r, const char *name, json_t *body, int status) {
  json_t *def = NULL;
  char n[41], field[32] = "", err[600] = "";
  if (custom_agent_validate(r->app->agents, name, body, r->user.id, &def, n, field, err, sizeof err) != 0)
    return api_reply_invalid(r, field, err);
  json_t *dis = json_object_get(body, "disabled");
  if (dis && !json_is_boolean(dis)) {
    json_decref(def);
    return api_reply_invalid(r, "disabled", "disabled must be true or false");
  }
  int64_t version = 0;
  int rc = store_cagent_put(r->app->store, n, def, "ui", r->user.id, &version, NULL);
  json_decref(def);
  if (rc == STORE_OK && dis) rc = store_cagent_set_disabled(r->app->store, n, json_is_true(dis));
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot store the agent");
  return reply_agent(r, n, status);
}

static int create(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *name = json_string_value(json_object_get(body, "name"));
  json_t *old = NULL;
  int status;
  if (name && store_cagent_get(r->app->store, name, 0, &old) == STORE_OK)
    status =
        http_reply_error(r, 409, "conflict", "an agent named %s exists: change it with PUT /api/agents/%s", name, name);
  else
    status = save(r, NULL, body, 201);
  json_decref(old);
  json_decref(body);
  return status;
}

static int update(http_req_t *r) {
  const char *name = http_param(r, "name");
  json_t *a = NULL;
  if (store_cagent_get(r->app->store, name, 0, &a) != STORE_OK) return http_reply_not_found(r, "agent", name);
  json_t *body = http_read_json(r);
  if (!body) {
    json_decref(a);
    return r->status;
  }
  /* members not given keep their current value */
  json_t *merged = json_deep_copy(json_object_get(a, "definition"));
  json_object_update(merged, body);
  json_decref(a);
  int status = save(r, name, merged, 200);
  json_decref(merged);
  json_decref(body);
  return status;
}

static int disable(http_req_t *r) {
  const char *name = http_param(r, "name");
  int rc = store_cagent_set_disabled(r->app->store, name, 1);
  if (rc == STORE_NOT_FOUND) return http_reply_not_found(r, "agent", name);
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot disable the agent");
  return reply_agent(r, name, 200);
}

void api_agents_routes(http_router_t *rt) {
  http_route(rt, "GET", "/api/agents", ROLE_VIEWER, list);
  http_route(rt, "POST", "/api/agents", ROLE_ADMIN, create);
  http_route(rt, "GET", "/api/agents/{name}", ROLE_VIEWER, get_one);
  http_route(rt, "PUT", "/api/agents/{name}", ROLE_ADMIN, update);
  http_route(rt, "DELETE", "/api/agents/{name}", ROLE_ADMIN, disable);
}
