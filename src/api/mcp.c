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
 *
 * The client side: GET /api/mcp/servers connects to every MCP server of the
 * caller's settings (and the server-wide ones) and lists their tools and
 * resources; POST /api/mcp/servers/{name}/import adds a resource's text to
 * the caller's library. A server not in the caller's settings is 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "mcp/client.h"
#include "mcp/mcp.h"
#include "rag/rag.h"
#include "store/documents.h"

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
    return reply_rpc(
        r, 406,
        mcp_error(NULL, MCP_INVALID_REQUEST, "this server answers application/json: the Accept header must allow it"),
        NULL);
  buf_t body = BUF_INIT;
  if (http_read_body(r, &body) != 0) return r->status;
  json_error_t jerr;
  json_t *msg = json_loadb(body.data ? body.data : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
  buf_free(&body);
  if (!msg)
    return reply_rpc(
        r, 400,
        mcp_error(NULL, MCP_PARSE_ERROR, "parse error: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column),
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
    if (mcp_session_create(app->mcp_sessions, r->user.id, json_string_value(json_object_get(res, "protocolVersion")),
                           sid) != 0) {
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
  static const char body[] =
      "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"this server sends no "
      "server-initiated messages: POST JSON-RPC requests to /mcp\"}}";
  return http_reply_raw(r, 405, "application/json", body, sizeof body - 1, "Allow: POST, DELETE\r\n");
}

static int h_delete(http_req_t *r) {
  const char *sid = http_header(r, "Mcp-Session-Id");
  if (!sid || !sid[0]) return http_reply_error(r, 400, "bad_request", "missing Mcp-Session-Id header");
  if (mcp_session_delete(r->app->mcp_sessions, sid, r->user.id) != 0) return http_reply_not_found(r, "session", sid);
  return http_reply_json(r, 200, json_pack("{s:b}", "deleted", 1));
}

/* ---------- MCP servers of the caller (the client side) ---------- */

/* GET /api/mcp/servers: every server that applies to the caller, connected
 * now, with its tools and resources (or the error that stopped it).
 * ?connect=0: the servers' names only, without connecting (the New mission
 * form asks whether there is any). */
static int h_servers(http_req_t *r) {
  json_t *servers = mcp_servers_for_user(r->app->llm, r->app->store, r->user.id);
  json_t *out = json_array();
  char q[8] = "";
  int connect = !(http_query(r, "connect", q, sizeof q) && !strcmp(q, "0"));
  const char *name;
  json_t *cfg;
  json_object_foreach(servers, name, cfg) {
    json_t *o = json_pack("{s:s, s:O, s:s}", "name", name, "scope", json_object_get(cfg, "scope"), "transport",
                          json_object_get(cfg, "command") ? "stdio" : "http");
    if (!connect) {
      json_array_append_new(out, o);
      continue;
    }
    char err[600];
    mcp_client_t *c =
        mcp_client_connect(r->app->web, name, cfg, json_is_true(json_object_get(cfg, "untrusted")), err, sizeof err);
    json_t *tools = NULL, *res = NULL;
    if (c && mcp_client_request(c, "tools/list", NULL, &tools, err, sizeof err) == 0) {
      json_t *list = json_array();
      size_t i;
      json_t *t;
      json_array_foreach(json_object_get(tools, "tools"), i, t) json_array_append_new(
          list, json_pack("{s:O, s:O?, s:O?}", "name", json_object_get(t, "name"), "description",
                          json_object_get(t, "description"), "input_schema", json_object_get(t, "inputSchema")));
      json_object_set_new(o, "tools", list);
      /* resources are optional for a server */
      char rerr[300];
      json_t *list2 = json_array();
      if (mcp_client_request(c, "resources/list", NULL, &res, rerr, sizeof rerr) == 0)
        json_array_foreach(json_object_get(res, "resources"), i, t) json_array_append_new(
            list2, json_pack("{s:O, s:O?, s:O?}", "uri", json_object_get(t, "uri"), "name", json_object_get(t, "name"),
                             "mime_type", json_object_get(t, "mimeType")));
      json_object_set_new(o, "resources", list2);
    } else {
      json_object_set_new(o, "error", json_string(err));
    }
    json_decref(tools);
    json_decref(res);
    mcp_client_close(c);
    json_array_append_new(out, o);
  }
  json_decref(servers);
  return http_reply_json(r, 200, json_pack("{s:o}", "servers", out));
}

/* The file name a resource is imported as: its name (or the URI's last
 * segment) made safe, with an extension for its type. */
static void import_filename(const char *name, const char *uri, const char *mime, char *out, size_t n) {
  const char *base = name && name[0] ? name : strrchr(uri, '/') ? strrchr(uri, '/') + 1 : uri;
  size_t k = 0;
  for (const char *p = base; *p && k + 6 < n && k < 80; p++)
    out[k++] = (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
  out[k] = '\0';
  if (!k) snprintf(out, n, "resource");
  const char *ext = mime && strstr(mime, "markdown") ? ".md" : mime && strstr(mime, "html") ? ".html" : ".txt";
  if (!util_ends_with(out, ext)) snprintf(out + strlen(out), n - strlen(out), "%s", ext);
}

/* POST /api/mcp/servers/{name}/import {"uri", "group_id"?}: reads the
 * resource and adds its text to the caller's library (202, like an upload). */
static int h_import(http_req_t *r) {
  const char *name = http_param(r, "name");
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int st;
  const char *uri = json_string_value(json_object_get(b, "uri"));
  json_t *jg = json_object_get(b, "group_id");
  const char *group = json_string_value(jg);
  json_t *servers = mcp_servers_for_user(r->app->llm, r->app->store, r->user.id);
  json_t *cfg = json_object_get(servers, name);
  mcp_client_t *c = NULL;
  json_t *res = NULL;
  char err[600], path[1200] = "";
  if (!cfg) {
    st = http_reply_not_found(r, "MCP server", name);
    goto out;
  }
  if (!uri || !uri[0] || json_string_length(json_object_get(b, "uri")) > 2000 || (jg && !json_is_null(jg) && !group)) {
    st = http_reply_error(r, 422, "invalid_field", "uri must be a resource URI of the server; group_id a string");
    goto out;
  }
  if (group && group[0] && !store_group_owned(r->app->store, r->user.id, group)) {
    st = http_reply_not_found(r, "group", group);
    goto out;
  }
  c = mcp_client_connect(r->app->web, name, cfg, json_is_true(json_object_get(cfg, "untrusted")), err, sizeof err);
  json_t *params = json_pack("{s:s}", "uri", uri);
  if (!c || mcp_client_request(c, "resources/read", params, &res, err, sizeof err) != 0) {
    json_decref(params);
    st = http_reply_error(r, 502, "mcp_server_error", "%s", err);
    goto out;
  }
  json_decref(params);
  json_t *item = json_array_get(json_object_get(res, "contents"), 0);
  const char *text = json_string_value(json_object_get(item, "text"));
  if (!text) {
    st = http_reply_error(r, 422, "unsupported_media_type", "resource %s has no text content to import", uri);
    goto out;
  }
  char fname[128];
  const char *mime = json_string_value(json_object_get(item, "mimeType"));
  json_t *listed = NULL; /* the resource's name from resources/list, when it is listed */
  char lerr[300];
  const char *rname = NULL;
  if (mcp_client_request(c, "resources/list", NULL, &listed, lerr, sizeof lerr) == 0) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(listed, "resources"), i,
                       v) if (!strcmp(json_string_value(json_object_get(v, "uri")) ?: "", uri)) rname =
        json_string_value(json_object_get(v, "name"));
  }
  import_filename(rname, uri, mime, fname, sizeof fname);
  json_decref(listed);
  snprintf(path, sizeof path, "%s/documents/tmp", config_get(r->app->cfg, "DATA_DIR"));
  util_mkdirs(path, 0750);
  snprintf(path + strlen(path), sizeof path - strlen(path), "/mcp-XXXXXX");
  int fd = mkstemp(path);
  size_t len = strlen(text);
  if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
    if (fd >= 0) close(fd);
    st = http_reply_error(r, 500, "internal", "cannot store the resource");
    goto out;
  }
  close(fd);
  rag_add_t req = {.user_id = r->user.id,
                   .filename = fname,
                   .src_path = path,
                   .move = 1,
                   .group_id = group && group[0] ? group : NULL};
  char id[17], aerr[256];
  int dup = 0;
  if (rag_document_add(r->app->rag, &req, id, &dup, aerr, sizeof aerr) != 0) {
    st = http_reply_error(r, 422, "invalid_document", "%s", aerr);
    goto out;
  }
  path[0] = '\0'; /* moved into the library */
  log_info("mcp", "user %s imported %s from MCP server %s as document %s", r->user.username, uri, name, id);
  st = http_reply_json(
      r, 202,
      json_pack("{s:{s:s, s:s, s:s, s:b}}", "document", "id", id, "filename", fname, "source", uri, "duplicate", dup));
out:
  if (path[0] && !util_ends_with(path, "/documents/tmp")) unlink(path);
  json_decref(res);
  mcp_client_close(c);
  json_decref(servers);
  json_decref(b);
  return st;
}

void api_mcp_routes(http_router_t *rt) {
  http_route(rt, "POST", "/mcp", ROLE_VIEWER, h_post);
  http_route(rt, "GET", "/mcp", ROLE_VIEWER, h_get);
  http_route(rt, "DELETE", "/mcp", ROLE_VIEWER, h_delete);
  http_route(rt, "GET", "/api/mcp/servers", ROLE_VIEWER, h_servers);
  http_route(rt, "POST", "/api/mcp/servers/{name}/import", ROLE_RESEARCHER, h_import);
}
