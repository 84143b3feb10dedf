/*
 * http.h - the HTTP server: routing, JSON replies, auth, static files.
 *
 * Built on civetweb, configured safely (>= 256 threads, keep-alive,
 * tcp_nodelay, no directory listing, no CGI, explicit CORS). One request
 * handler receives every request: /api/ws goes to the WebSocket hub, /api/...,
 * /health and /metrics to the router, everything else to the static UI
 * (web/dist with SPA fallback).
 *
 * Handlers are plain functions `int fn(http_req_t *r)` registered with
 * http_route(). They run on civetweb's threads (many at once) and must reply
 * exactly once through one of the http_reply_* functions, which return the
 * status sent. Errors always have the API.md shape
 *   {"error": {"code": "not_found", "message": "mission 42 not found"}}.
 *
 * Auth: a route declares the least role it needs; the router checks the
 * bearer token (or the `maestro_token` cookie) before calling the handler and
 * fills r->user. Owner checks are the handler's job (every query is scoped to
 * r->user.id unless the user is an admin where the API says so).
 */
#ifndef MAESTRO_HTTP_H
#define MAESTRO_HTTP_H

#include <civetweb.h>
#include <jansson.h>
#include <stddef.h>

#include "auth/role.h"
#include "base/buf.h"

struct app;

typedef struct {
  char id[17];
  char username[128];
  role_t role;
  char jti[40];
  long long exp;    /* token expiry, epoch seconds */
  long long iat_ms; /* token issue time, epoch ms */
} http_user_t;

#define HTTP_MAX_PARAMS 4

typedef struct http_req {
  struct mg_connection *conn;
  const struct mg_request_info *ri;
  struct app *app;
  const char *method;
  const char *path;  /* decoded path, no query */
  const char *query; /* raw query string or NULL */
  const char *param_names[HTTP_MAX_PARAMS];
  char *param_values[HTTP_MAX_PARAMS];
  int nparams;
  http_user_t user; /* filled when the route requires a role */
  char client_ip[64];
  int status;       /* status sent, 0 until a reply */
  const char *cors; /* CORS header lines added to every reply, or NULL */
} http_req_t;

typedef int (*http_handler_fn)(http_req_t *r);

typedef struct http_router http_router_t;

http_router_t *http_router_new(void);
void http_router_free(http_router_t *rt);
/* pattern: "/api/missions/{id}/report"; "{name}" matches one path segment. */
int http_route(http_router_t *rt, const char *method, const char *pattern, role_t min_role, http_handler_fn fn);
/* Finds the route for method+path. Returns 1 and fills r's params (malloc'd,
 * freed by http_req_clear), 0 if no pattern matches the path, 2 if the path
 * matches but not the method (405). */
int http_router_match(http_router_t *rt, const char *method, const char *path, http_req_t *r, http_handler_fn *fn,
                      role_t *min_role);
void http_req_clear(http_req_t *r);
/* The i-th registered route (0-based, in registration order): its method,
 * pattern (owned by the router) and least role. Returns 0, or -1 past the
 * end. For tests that walk the whole table (the authorization matrix). */
int http_router_route(const http_router_t *rt, int i, const char **method, const char **pattern, role_t *min_role);

/* Path parameter by name (NULL if absent). */
const char *http_param(const http_req_t *r, const char *name);
/* Query parameter, URL-decoded into out. Returns 1 if present, 0 if not. */
int http_query(const http_req_t *r, const char *name, char *out, size_t outlen);
/* Query parameter as an integer in [min,max] with a default; on a malformed
 * value replies 400 and returns -1 (the handler then returns r->status). */
int http_query_int(http_req_t *r, const char *name, long long def, long long min, long long max, long long *out);
/* Request header value or NULL. */
const char *http_header(const http_req_t *r, const char *name);

/*
 * Reads and parses a JSON request body. Checks Content-Type (415), size
 * against MAX_BODY_KB (413) and syntax (400); on any failure it has already
 * replied and returns NULL. The result is a new reference (an object).
 */
json_t *http_read_json(http_req_t *r);
/* Reads the raw request body into out (appended; the caller frees it),
 * checking its size against MAX_BODY_KB. 0, or -1 after replying 413. */
int http_read_body(http_req_t *r, buf_t *out);

/* Replies with body (reference stolen; NULL -> {}). Returns status. */
int http_reply_json(http_req_t *r, int status, json_t *body);
/* Replies with the standard error shape. Returns status. */
int http_reply_error(http_req_t *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Raw reply; extra_headers are complete "Name: value\r\n" lines or NULL. */
int http_reply_raw(http_req_t *r, int status, const char *content_type, const void *data, size_t len,
                   const char *extra_headers);

/* Convenience errors. */
int http_reply_not_found(http_req_t *r, const char *what, const char *id);

#endif
