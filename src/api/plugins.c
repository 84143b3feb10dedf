/*
 * plugins.c - GET /api/plugins (what is loaded, for Settings and the
 * New-mission page) and the plugins' own routes,
 * /api/plugins/{name}/{path}: the router authenticates (viewer at least),
 * this handler checks the role the plugin declared for the route, and the
 * plugin answers on a plugin worker (src/plugins/plugins.h), not on this
 * request thread, within PLUGIN_TIMEOUT_SECONDS.
 */
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "plugins/plugins.h"

static int list(http_req_t *r) {
  json_t *d = plugins_describe(r->app->plugins);
  /* which files were refused, and why, is for admins (paths, loader errors) */
  if (r->user.role < ROLE_ADMIN) json_object_del(d, "refused");
  return http_reply_json(r, 200, d);
}

static int route(http_req_t *r) {
  const char *name = http_param(r, "name"), *path = http_param(r, "path");
  int need = plugins_route_role(r->app->plugins, name, r->method, path);
  if (!need) return http_reply_error(r, 404, "not_found", "plugin route %s %s/%s not found", r->method, name, path);
  if ((int)r->user.role < need)
    return http_reply_error(r, 403, "forbidden", "this needs the %s role; you are %s", role_name((role_t)need),
                            role_name(r->user.role));
  json_t *body = NULL;
  if (!strcmp(r->method, "POST") && !(body = http_read_json(r))) return r->status;
  int status = 0;
  json_t *out = NULL;
  char err[512];
  int rc = plugins_call_route(r->app->plugins, name, r->method, path, body, r->user.id, role_name(r->user.role),
                              &status, &out, err, sizeof err);
  json_decref(body);
  if (rc) return http_reply_error(r, 502, "plugin_failed", "%s", err);
  return http_reply_json(r, status, out);
}

void api_plugins_routes(http_router_t *rt) {
  http_route(rt, "GET", "/api/plugins", ROLE_VIEWER, list);
  http_route(rt, "GET", "/api/plugins/{name}/{path}", ROLE_VIEWER, route);
  http_route(rt, "POST", "/api/plugins/{name}/{path}", ROLE_VIEWER, route);
}
