/*
 * mcp.c - /mcp, the Model Context Protocol over Streamable HTTP
 * (docs/mcp.md); the protocol itself is src/mcp/server.c.
 *
 * POST /mcp carries one JSON-RPC message (or a batch) from a client that
 * holds a user's bearer token, exactly like the REST API (the router checks
 * the token; every tool checks ownership). An initialize opens a session
 * whose id is returned in Mcp-Session-Id; every later request must name it
 * (400 without, 404 when it is unknown, ended, or another user's) and may
 * name the negotiated MCP-Protocol-Version (400 when it is not one we
 * speak). Requests get 200 with an application/json response; notifications
 * and responses get 202 with no body. Malformed messages get a JSON-RPC
 * error (parse error, invalid request) with status 400.
 *
 * GET /mcp would open a stream of server-initiated messages; this server
 * sends none, so it answers 405 as the transport allows. DELETE /mcp ends
 * the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "mcp/mcp.h"

static int reply_rpc(http_req_t *r, int status, json_t *msg, const char *session) {
  char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(9));
  json_decref(msg);
  buf_t h = BUF_INIT;
  buf_puts(&h, "Cache-Control: no-store\r\n");
  if (session) buf_printf(&h, "Mcp-Session-Id: %s\r\n", session);
  int st = http_reply_raw(r, status, "application/json", text ? text : "{}", text ? strlen(text) : 2, h.data);
  buf_free(&h);
  free(text);
  return st;
}

static int is_request(json_t *m) {
  return json_is_object(m) && json_is_string(json_object_get(m, "method")) && json_object_get(m, "id") != NULL;
}

static int is_initialize(json_t *m) {
  const char *meth = json_string_value(json_object_get(m, "method"));
  return meth && !strcmp(meth, "initialize");
}

static int h_post(http_req_t *r) {
  const char *ct = http_header(r, "Content-Type");
  if (!ct || strncasecmp(ct, "application/json", 16) != 0)
    return reply_rpc(r, 415, mcp_error(NULL, MCP_INVALID_REQUEST, "expected Content-Type: application/json"), NULL);
  const char *accept = http_header(r, "Accept");
  if (accept && !strstr(accept, "application/json") && !strstr(accept, "*/*"))
    return reply_rpc(r, 406,
                     mcp_error(NULL, MCP_INVALID_REQUEST,
                               "this server answers application/json: the Accept header must allow it"),
                     NULL);
  buf_t body = BUF_INIT;
  if (http_read_body(r, &body) != 0) return r->status;
  json_error_t jerr;
  json_t *msg = json_loadb(body.data ? body.data : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
  buf_free(&body);
  if (!msg)
    return reply_rpc(r, 400,
                     mcp_error(NULL, MCP_PARSE_ERROR, "parse error: %s (line %d, column %d)", jerr.text, jerr.line,
                               jerr.column),
                     NULL);
  if (!json_is_object(msg) && !(json_is_array(msg) && json_array_size(msg) > 0)) {
    json_decref(msg);
    return reply_rpc(r, 400, mcp_error(NULL, MCP_INVALID_REQUEST, "a JSON-RPC message must be an object"), NULL);
  }
  app_t *app = r->app;
  int st;
  /* initialize: no session yet; it must come alone */
  if (json_is_object(msg) && is_initialize(msg) && is_request(msg)) {
    json_t *resp = mcp_server_handle(app, &r->user, msg);
    json_decref(msg);
    char sid[33];
    json_t *res = json_object_get(resp, "result");
    if (!res) return reply_rpc(r, 400, resp, NULL);
    if (mcp_session_create(app->mcp_sessions, r->user.id,
                           json_string_value(json_object_get(res, "protocolVersion")), sid) != 0) {
      json_t *e = mcp_error(json_object_get(resp, "id"), MCP_INTERNAL_ERROR, "too many open sessions; try later");
      json_decref(resp);
      return reply_rpc(r, 503, e, NULL);
    }
    log_info("mcp", "user %s opened an MCP session over HTTP (protocol %s)", r->user.username,
             json_string_value(json_object_get(res, "protocolVersion")));
    return reply_rpc(r, 200, resp, sid);
  }
  const char *sid = http_header(r, "Mcp-Session-Id");
  const char *pver = http_header(r, "MCP-Protocol-Version");
  if (!sid || !sid[0]) {
    st = reply_rpc(r, 400,
                   mcp_error(NULL, MCP_INVALID_REQUEST,
                             "missing Mcp-Session-Id header: send initialize first and use the session id it returns"),
                   NULL);
  } else if (mcp_session_check(app->mcp_sessions, sid, r->user.id, NULL) != 0) {
    st = reply_rpc(r, 404, mcp_error(NULL, MCP_INVALID_REQUEST, "session not found: initialize a new one"), NULL);
  } else if (pver && !mcp_version_supported(pver)) {
    st = reply_rpc(r, 400,
                   mcp_error(NULL, MCP_INVALID_REQUEST, "unsupported MCP-Protocol-Version %s (this server speaks %s)",
                             pver, MCP_PROTOCOL_LATEST),
                   NULL);
  } else if (json_is_object(msg)) {
    json_t *resp = mcp_server_handle(app, &r->user, msg);
    st = resp ? reply_rpc(r, json_object_get(resp, "error") && !is_request(msg) ? 400 : 200, resp, NULL)
              : http_reply_raw(r, 202, "application/json", "", 0, NULL);
  } else {
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(msg, i, m) {
      json_t *resp = is_initialize(m) ? mcp_error(json_object_get(m, "id"), MCP_INVALID_REQUEST,
                                                  "initialize cannot be part of a batch")
                                      : mcp_server_handle(app, &r->user, m);
      if (resp) json_array_append_new(out, resp);
    }
    if (json_array_size(out))
      st = reply_rpc(r, 200, out, NULL);
    else {
      json_decref(out);
      st = http_reply_raw(r, 202, "application/json", "", 0, NULL);
    }
  }
  json_decref(msg);
  return st;
}

static int h_get(http_req_t *r) {
  static const char body[] = "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"this server sends no "
                             "server-initiated messages: POST JSON-RPC requests to /mcp\"}}";
  return http_reply_raw(r, 405, "application/json", body, sizeof body - 1, "Allow: POST, DELETE\r\n");
}

static int h_delete(http_req_t *r) {
  const char *sid = http_header(r, "Mcp-Session-Id");
  if (!sid || !sid[0]) return http_reply_error(r, 400, "bad_request", "missing Mcp-Session-Id header");
  if (mcp_session_delete(r->app->mcp_sessions, sid, r->user.id) != 0) return http_reply_not_found(r, "session", sid);
  return http_reply_json(r, 200, json_pack("{s:b}", "deleted", 1));
}

void api_mcp_routes(http_router_t *rt) {
  http_route(rt, "POST", "/mcp", ROLE_VIEWER, h_post);
  http_route(rt, "GET", "/mcp", ROLE_VIEWER, h_get);
  http_route(rt, "DELETE", "/mcp", ROLE_VIEWER, h_delete);
}
