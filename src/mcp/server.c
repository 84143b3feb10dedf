/*
 * server.c - the MCP server's methods, tools and resources (mcp.h).
 *
 * The protocol is JSON-RPC 2.0: initialize (version negotiation and
 * capabilities), ping, tools/list, tools/call, resources/list,
 * resources/templates/list, resources/read. The transport (stdio or HTTP)
 * parses the message, authenticates the user and sends back what
 * mcp_server_handle returns; nothing here knows which one it is.
 *
 * Tools are one table: name, description, input schema (JSON text parsed
 * when listed or checked), least role, and a function that gets validated
 * arguments and returns the result object or NULL with a message. A tool
 * never reaches the store by another path than the REST handler for the same
 * action would (api_search_json, store_doc_list_json, agents_mission_create,
 * api_mission_view, store_mission_report, chat_ask).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents.h"
#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "chat/chat.h"
#include "mcp/mcp.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/missions.h"

static json_t *result(json_t *id, json_t *res) {
  return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", res);
}

/* ---------- tool results ---------- */

/* A successful tool result: text for the model, structured for programs
 * (stolen, may be NULL). */
static json_t *tool_ok(const char *text, json_t *structured) {
  json_t *r = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", text, "isError", 0);
  if (structured) json_object_set_new(r, "structuredContent", structured);
  return r;
}

static json_t *tool_ok_json(json_t *structured) {
  char *text = json_dumps(structured, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
  json_t *r = tool_ok(text ? text : "{}", structured);
  free(text);
  return r;
}

/* ---------- the tools ---------- */

typedef struct {
  app_t *app;
  const http_user_t *user;
  char *err;
  size_t errlen;
} call_t;

/* Admins see any mission, like the REST API. */
static const char *scope(const call_t *c) {
  return c->user->role == ROLE_ADMIN ? NULL : c->user->id;
}

static json_t *fail(call_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail(call_t *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
  return NULL;
}

/* A group id argument names one of the caller's groups. */
static int group_ok(call_t *c, json_t *args) {
  const char *g = json_string_value(json_object_get(args, "group_id"));
  if (g && g[0] && !store_group_owned(c->app->store, c->user->id, g)) {
    fail(c, "group %s not found", g);
    return 0;
  }
  return 1;
}

static json_t *t_search_library(call_t *c, json_t *args) {
  if (!group_ok(c, args)) return NULL;
  int status;
  json_t *res = api_search_json(c->app, c->user->id, args, &status, c->err, c->errlen);
  if (!res) return NULL;
  buf_t b = BUF_INIT;
  json_t *hits = json_object_get(res, "results");
  size_t i;
  json_t *h;
  if (!json_array_size(hits)) buf_puts(&b, "No passage of your library matches this query.");
  json_array_foreach(hits, i, h) {
    const char *title = json_string_value(json_object_get(h, "title"));
    const char *file = json_string_value(json_object_get(h, "filename"));
    buf_printf(&b, "%s[%zu] %s (%s", i ? "\n\n" : "", i + 1, title && title[0] ? title : file, file);
    if (json_is_integer(json_object_get(h, "page")))
      buf_printf(&b, ", p. %lld", (long long)json_integer_value(json_object_get(h, "page")));
    buf_printf(&b, "; document %s)\n%s", json_string_value(json_object_get(h, "document_id")),
               json_string_value(json_object_get(h, "text")));
  }
  json_t *r = tool_ok(b.data, res);
  buf_free(&b);
  return r;
}

static json_t *t_list_documents(call_t *c, json_t *args) {
  if (!group_ok(c, args)) return NULL;
  json_t *jl = json_object_get(args, "limit"), *jo = json_object_get(args, "offset");
  const char *g = json_string_value(json_object_get(args, "group_id"));
  const char *q = json_string_value(json_object_get(args, "query"));
  json_t *res = store_doc_list_json(c->app->store, c->user->id, g && g[0] ? g : NULL,
                                    json_string_value(json_object_get(args, "status")), q && q[0] ? q : NULL,
                                    jl ? (int)json_integer_value(jl) : 50, jo ? (int)json_integer_value(jo) : 0);
  if (!res) return fail(c, "cannot list documents");
  return tool_ok_json(res);
}

static json_t *t_start_research(call_t *c, json_t *args) {
  if (!group_ok(c, args)) return NULL;
  json_t *body = json_pack("{s:[O]}", "research_questions", json_object_get(args, "question"));
  static const char *const pass[] = {"title", "sources", "group_id", "offline", "language", NULL};
  for (int i = 0; pass[i]; i++)
    if (json_object_get(args, pass[i])) json_object_set(body, pass[i], json_object_get(args, pass[i]));
  if (json_object_get(args, "depth"))
    json_object_set_new(body, "settings", json_pack("{s:O}", "depth", json_object_get(args, "depth")));
  char id[17];
  agents_err_t why = AGENTS_E_INTERNAL;
  json_t *pf = NULL;
  int rc = agents_mission_create(c->app->agents, c->user->id, body, 1, id, &why, c->err, c->errlen, &pf);
  json_decref(body);
  json_decref(pf);
  if (rc != 0) return NULL;
  log_info("mcp", "user %s started mission %s", c->user->username, id);
  json_t *s = json_pack("{s:s, s:s, s:s}", "id", id, "status", "queued", "report_uri", "");
  json_object_set_new(s, "report_uri", json_sprintf("maestro://reports/%s", id));
  char text[256];
  snprintf(text, sizeof text,
           "Mission %s is queued. Follow it with mission_status {\"mission_id\": \"%s\"}; when it is completed, "
           "get_report gives the report.",
           id, id);
  return tool_ok(text, s);
}

static json_t *load_mission(call_t *c, json_t *args) {
  const char *id = json_string_value(json_object_get(args, "mission_id"));
  json_t *row = NULL;
  if (store_mission_get(c->app->store, scope(c), id, &row) != STORE_OK) return fail(c, "mission %s not found", id);
  return row;
}

static json_t *t_mission_status(call_t *c, json_t *args) {
  json_t *row = load_mission(c, args);
  if (!row) return NULL;
  json_t *v = api_mission_view(c->app, row);
  json_decref(row);
  static const char *const keys[] = {"id",       "title", "status",  "phase",      "progress",   "error",
                                     "counters", "depth", "offline", "created_at", "updated_at", NULL};
  json_t *s = json_object();
  for (int i = 0; keys[i]; i++)
    if (json_object_get(v, keys[i])) json_object_set(s, keys[i], json_object_get(v, keys[i]));
  json_decref(v);
  return tool_ok_json(s);
}

static json_t *t_get_report(call_t *c, json_t *args) {
  json_t *row = load_mission(c, args);
  if (!row) return NULL;
  const char *id = json_string_value(json_object_get(row, "id"));
  json_t *jv = json_object_get(args, "version");
  json_t *rep = NULL, *out = NULL;
  if (store_mission_report(c->app->store, id, jv ? (int)json_integer_value(jv) : 0, &rep) != STORE_OK) {
    if (jv)
      fail(c, "report version %lld of mission %s not found", (long long)json_integer_value(jv), id);
    else
      fail(c, "mission %s has no report yet (status: %s)", id, json_string_value(json_object_get(row, "status")));
  } else
    out = tool_ok(json_string_value(json_object_get(rep, "markdown")),
                  json_pack("{s:s, s:O, s:O}", "mission_id", id, "version", json_object_get(rep, "version"), "markdown",
                            json_object_get(rep, "markdown")));
  json_decref(rep);
  json_decref(row);
  return out;
}

static json_t *t_ask_library(call_t *c, json_t *args) {
  if (!group_ok(c, args)) return NULL;
  const char *q = json_string_value(json_object_get(args, "question"));
  const char *g = json_string_value(json_object_get(args, "group_id"));
  int blank = 1;
  for (const char *p = q; *p && blank; p++) blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
  if (blank) return fail(c, "question must not be blank");
  char title[128], chat_id[17];
  size_t qn = util_utf8_floor(q, strlen(q) < 100 ? strlen(q) : 100);
  snprintf(title, sizeof title, "MCP: %.*s", (int)qn, q);
  if (store_chat_create(c->app->store, c->user->id, title, g && g[0] ? g : NULL, chat_id) != STORE_OK)
    return fail(c, "cannot create the chat");
  json_t *ans = NULL;
  if (chat_ask(&c->app->chat_deps, c->user->id, chat_id, q, &ans, c->err, c->errlen) != CHAT_OK) return NULL;
  buf_t b = BUF_INIT;
  buf_puts(&b, json_string_value(json_object_get(ans, "content")));
  json_t *cits = json_object_get(ans, "citations");
  size_t i;
  json_t *ct;
  if (json_array_size(cits)) buf_puts(&b, "\n\nSources:");
  json_array_foreach(cits, i, ct) {
    const char *t = json_string_value(json_object_get(ct, "title"));
    const char *f = json_string_value(json_object_get(ct, "filename"));
    buf_printf(&b, "\n[%lld] %s (%s", (long long)json_integer_value(json_object_get(ct, "n")), t && t[0] ? t : f,
               f ? f : "");
    if (json_integer_value(json_object_get(ct, "page")) > 0)
      buf_printf(&b, ", p. %lld", (long long)json_integer_value(json_object_get(ct, "page")));
    buf_printf(&b, "; document %s)", json_string_value(json_object_get(ct, "document_id")));
  }
  json_t *r = tool_ok(b.data, json_pack("{s:s, s:O, s:O}", "chat_id", chat_id, "answer",
                                        json_object_get(ans, "content"), "citations", cits ? cits : json_null()));
  buf_free(&b);
  json_decref(ans);
  return r;
}

typedef struct {
  const char *name;
  const char *description;
  const char *schema; /* JSON text */
  role_t role;
  json_t *(*fn)(call_t *c, json_t *args);
} tool_t;

#define ID_SCHEMA "{\"type\":\"string\",\"minLength\":1,\"maxLength\":64"

static const tool_t TOOLS[] = {
    {"search_library",
     "Search the user's document library (hybrid full-text and vector search). Returns the best passages with "
     "their document, page and text.",
     "{\"type\":\"object\",\"properties\":{"
     "\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":4000,\"description\":\"what to look for\"},"
     "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,\"description\":\"how many passages (default 8)\"},"
     "\"group_id\":" ID_SCHEMA ",\"description\":\"only documents of this group\"},"
     "\"mode\":{\"type\":\"string\",\"enum\":[\"hybrid\",\"lexical\",\"vector\"]}},"
     "\"required\":[\"query\"],\"additionalProperties\":false}",
     ROLE_VIEWER, t_search_library},
    {"list_documents", "List the documents of the user's library (id, title, filename, status, pages, groups).",
     "{\"type\":\"object\",\"properties\":{"
     "\"query\":{\"type\":\"string\",\"maxLength\":256,\"description\":\"part of a title or filename\"},"
     "\"status\":{\"type\":\"string\",\"enum\":[\"queued\",\"processing\",\"ready\",\"failed\"]},"
     "\"group_id\":" ID_SCHEMA "},"
     "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":500},"
     "\"offset\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":1000000000}},"
     "\"additionalProperties\":false}",
     ROLE_VIEWER, t_list_documents},
    {"start_research",
     "Start a research mission on a question: Maestro plans sections, researches the library (and the web or "
     "scholarly indexes when asked), verifies quotes and writes a cited report. Returns the mission id at once; "
     "the mission runs in the background.",
     "{\"type\":\"object\",\"properties\":{"
     "\"question\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":2000},"
     "\"title\":{\"type\":\"string\",\"maxLength\":500},"
     "\"sources\":{\"type\":\"array\",\"maxItems\":3,\"items\":{\"type\":\"string\",\"enum\":[\"local_documents\","
     "\"web_search\",\"scholarly\"]},\"description\":\"default: local_documents\"},"
     "\"group_id\":" ID_SCHEMA "},"
     "\"depth\":{\"type\":\"string\",\"enum\":[\"quick\",\"standard\",\"deep\"]},"
     "\"language\":{\"type\":\"string\",\"maxLength\":32},"
     "\"offline\":{\"type\":\"boolean\",\"description\":\"research without a model (extractive)\"}},"
     "\"required\":[\"question\"],\"additionalProperties\":false}",
     ROLE_RESEARCHER, t_start_research},
    {"mission_status", "The status, phase, progress and counters of one of the user's research missions.",
     "{\"type\":\"object\",\"properties\":{\"mission_id\":" ID_SCHEMA "}},"
     "\"required\":[\"mission_id\"],\"additionalProperties\":false}",
     ROLE_VIEWER, t_mission_status},
    {"get_report", "The report of a completed mission, in Markdown with its numbered references.",
     "{\"type\":\"object\",\"properties\":{\"mission_id\":" ID_SCHEMA "},"
     "\"version\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000000,\"description\":\"default: the latest\"}},"
     "\"required\":[\"mission_id\"],\"additionalProperties\":false}",
     ROLE_VIEWER, t_get_report},
    {"ask_library",
     "Ask a question of the user's documents: an answer grounded in passages of the library with [n] citations "
     "(the same answer as Maestro's chat with documents; the conversation is kept in the user's chats).",
     "{\"type\":\"object\",\"properties\":{"
     "\"question\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":8000},"
     "\"group_id\":" ID_SCHEMA ",\"description\":\"only documents of this group\"}},"
     "\"required\":[\"question\"],\"additionalProperties\":false}",
     ROLE_RESEARCHER, t_ask_library},
};
#define NTOOLS (sizeof TOOLS / sizeof TOOLS[0])

static json_t *tool_schema(const tool_t *t) {
  json_error_t e;
  json_t *s = json_loads(t->schema, 0, &e);
  assert(s); /* the table's text; tests list every tool */
  if (!s) log_error("mcp", "tool %s: bad schema: %s", t->name, e.text);
  return s ? s : json_object();
}

static json_t *m_tools_list(const http_user_t *user) {
  json_t *arr = json_array();
  for (size_t i = 0; i < NTOOLS; i++) {
    if (user->role < TOOLS[i].role) continue;
    json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "name", TOOLS[i].name, "description", TOOLS[i].description,
                                         "inputSchema", tool_schema(&TOOLS[i])));
  }
  return json_pack("{s:o}", "tools", arr);
}

static json_t *m_tools_call(app_t *app, const http_user_t *user, json_t *id, json_t *params) {
  const char *name = json_string_value(json_object_get(params, "name"));
  json_t *args = json_object_get(params, "arguments");
  if (!name) return mcp_error(id, MCP_INVALID_PARAMS, "tools/call needs params.name (the tool's name)");
  const tool_t *t = NULL;
  for (size_t i = 0; i < NTOOLS; i++)
    if (!strcmp(TOOLS[i].name, name)) t = &TOOLS[i];
  if (!t) return mcp_error(id, MCP_INVALID_PARAMS, "unknown tool: %s", name);
  char err[1200] = "";
  json_t *out;
  json_t *empty = NULL;
  if (!args || json_is_null(args)) args = empty = json_object();
  json_t *schema = tool_schema(t);
  if (user->role < t->role) {
    snprintf(err, sizeof err, "%s needs the %s role; you are %s", name, role_name(t->role), role_name(user->role));
    out = NULL;
  } else if (mcp_schema_check(schema, args, "arguments", err, sizeof err) != 0) {
    out = NULL;
  } else {
    call_t c = {app, user, err, sizeof err};
    out = t->fn(&c, args);
    if (!out && !err[0]) snprintf(err, sizeof err, "%s failed", name);
  }
  json_decref(schema);
  json_decref(empty);
  if (!out) {
    log_info("mcp", "tool %s refused for %s: %s", name, user->username, err);
    out = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", err, "isError", 1);
  }
  return result(id, out);
}

/* ---------- resources ---------- */

#define DOC_URI "maestro://documents/"
#define REPORT_URI "maestro://reports/"

static json_t *m_resources_list(app_t *app, const http_user_t *user) {
  json_t *arr = json_array();
  json_t *docs = store_doc_list_json(app->store, user->id, NULL, "ready", NULL, 500, 0);
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(docs, "documents"), i, d) {
    const char *t = json_string_value(json_object_get(d, "title"));
    const char *f = json_string_value(json_object_get(d, "filename"));
    json_t *r = json_pack("{s:s, s:s, s:s}", "name",
                          t && t[0] ? t
                          : f       ? f
                                    : "document",
                          "mimeType", "text/plain", "description", "");
    json_object_set_new(r, "uri", json_sprintf(DOC_URI "%s", json_string_value(json_object_get(d, "id"))));
    json_object_set_new(r, "description", json_sprintf("Document %s (text)", f ? f : ""));
    json_array_append_new(arr, r);
  }
  json_decref(docs);
  json_t *ms = store_mission_list(app->store, user->id, 200, 0);
  json_array_foreach(ms, i, d) {
    const char *mid = json_string_value(json_object_get(d, "id"));
    json_t *rep = NULL;
    if (store_mission_report(app->store, mid, 0, &rep) != STORE_OK) continue;
    json_decref(rep);
    json_t *r = json_pack("{s:s, s:s}", "name", json_string_value(json_object_get(d, "title")) ?: "report", "mimeType",
                          "text/markdown");
    json_object_set_new(r, "uri", json_sprintf(REPORT_URI "%s", mid));
    json_object_set_new(r, "description", json_string("Research report (Markdown with references)"));
    json_array_append_new(arr, r);
  }
  json_decref(ms);
  return json_pack("{s:o}", "resources", arr);
}

static json_t *m_resources_read(app_t *app, const http_user_t *user, json_t *id, json_t *params) {
  const char *uri = json_string_value(json_object_get(params, "uri"));
  if (!uri) return mcp_error(id, MCP_INVALID_PARAMS, "resources/read needs params.uri");
  if (util_starts_with(uri, DOC_URI)) {
    char *text = NULL;
    if (store_doc_get_text(app->store, user->id, uri + strlen(DOC_URI), &text) != STORE_OK)
      return mcp_error(id, MCP_RESOURCE_NOT_FOUND, "resource not found: %s", uri);
    json_t *r = json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", "text/plain", "text", text);
    free(text);
    return result(id, r);
  }
  if (util_starts_with(uri, REPORT_URI)) {
    json_t *row = NULL, *rep = NULL;
    const char *mid = uri + strlen(REPORT_URI);
    if (store_mission_get(app->store, user->role == ROLE_ADMIN ? NULL : user->id, mid, &row) != STORE_OK ||
        store_mission_report(app->store, mid, 0, &rep) != STORE_OK) {
      json_decref(row);
      return mcp_error(id, MCP_RESOURCE_NOT_FOUND, "resource not found: %s", uri);
    }
    json_t *r = json_pack("{s:[{s:s, s:s, s:O}]}", "contents", "uri", uri, "mimeType", "text/markdown", "text",
                          json_object_get(rep, "markdown"));
    json_decref(rep);
    json_decref(row);
    return result(id, r);
  }
  return mcp_error(id, MCP_RESOURCE_NOT_FOUND,
                   "resource not found: %s (maestro://documents/ID or maestro://reports/ID)", uri);
}

static json_t *m_templates(void) {
  return json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "resourceTemplates", "uriTemplate",
                   DOC_URI "{id}", "name", "document", "mimeType", "text/plain", "description",
                   "The text of one of your documents", "uriTemplate", REPORT_URI "{mission_id}", "name", "report",
                   "mimeType", "text/markdown", "description", "The latest report of one of your missions");
}

/* ---------- dispatch ---------- */

static json_t *m_initialize(json_t *id, json_t *params) {
  const char *v = json_string_value(json_object_get(params, "protocolVersion"));
  if (!v) return mcp_error(id, MCP_INVALID_PARAMS, "initialize needs params.protocolVersion");
  return result(id, json_pack("{s:s, s:{s:{s:b}, s:{s:b, s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion",
                              mcp_version_negotiate(v), "capabilities", "tools", "listChanged", 0, "resources",
                              "subscribe", 0, "listChanged", 0, "serverInfo", "name", "maestro", "title",
                              "Maestro research library", "version", MAESTRO_VERSION, "instructions",
                              "Maestro is a research platform over the user's document library. search_library and "
                              "ask_library answer from the documents with citations; start_research runs a full "
                              "research mission whose cited report get_report returns when mission_status says it "
                              "is completed."));
}

json_t *mcp_server_handle(app_t *app, const http_user_t *user, json_t *msg) {
  if (!json_is_object(msg)) return mcp_error(NULL, MCP_INVALID_REQUEST, "a JSON-RPC message must be an object");
  json_t *id = json_object_get(msg, "id");
  json_t *jm = json_object_get(msg, "method");
  const char *ver = json_string_value(json_object_get(msg, "jsonrpc"));
  if (!jm && (json_object_get(msg, "result") || json_object_get(msg, "error"))) return NULL; /* a response */
  if (!ver || strcmp(ver, "2.0") || !json_is_string(jm) || (id && !json_is_string(id) && !json_is_integer(id)))
    return mcp_error(id && (json_is_string(id) || json_is_integer(id)) ? id : NULL, MCP_INVALID_REQUEST,
                     "not a JSON-RPC 2.0 request (jsonrpc \"2.0\", a string method, a string or integer id)");
  if (!id) return NULL; /* notifications (initialized, cancelled...) need no answer */
  const char *m = json_string_value(jm);
  json_t *params = json_object_get(msg, "params");
  if (params && !json_is_object(params)) return mcp_error(id, MCP_INVALID_PARAMS, "params must be an object");
  if (!strcmp(m, "initialize")) return m_initialize(id, params);
  if (!strcmp(m, "ping")) return result(id, json_object());
  if (!strcmp(m, "tools/list")) return result(id, m_tools_list(user));
  if (!strcmp(m, "tools/call")) return m_tools_call(app, user, id, params);
  if (!strcmp(m, "resources/list")) return result(id, m_resources_list(app, user));
  if (!strcmp(m, "resources/templates/list")) return result(id, m_templates());
  if (!strcmp(m, "resources/read")) return m_resources_read(app, user, id, params);
  if (!strcmp(m, "prompts/list")) return result(id, json_pack("{s:[]}", "prompts"));
  return mcp_error(id, MCP_METHOD_NOT_FOUND, "method not found: %s", m);
}
