/* test_mcp.c - the MCP pieces that need no server: argument schemas, version
 * negotiation, JSON-RPC framing errors, sessions, the "mcp" settings check. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/client.h"
#include "mcp/mcp.h"

static const char *SCHEMA =
    "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":5},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50},\"mode\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
    "\"tags\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\"}}},"
    "\"required\":[\"query\"],\"additionalProperties\":false}";

static void check(const char *args, const char *want) {
  json_t *s = json_loads(SCHEMA, 0, NULL), *a = json_loads(args, 0, NULL);
  cr_assert(s && a, "bad test JSON %s", args);
  char err[300] = "";
  int rc = mcp_schema_check(s, a, "arguments", err, sizeof err);
  if (!want)
    cr_expect_eq(rc, 0, "%s refused: %s", args, err);
  else {
    cr_expect_eq(rc, -1, "%s accepted", args);
    cr_expect_str_eq(err, want, "%s", args);
  }
  json_decref(s);
  json_decref(a);
}

Test(mcp, schema_check_names_the_argument_and_the_rule) {
  check("{\"query\":\"abc\",\"k\":3,\"mode\":\"a\",\"tags\":[\"x\"]}", NULL);
  check("{}", "arguments.query is required");
  check("{\"query\":\"\"}", "arguments.query must not be empty");
  check("{\"query\":\"abcdef\"}", "arguments.query is 6 characters long; at most 5 are accepted");
  check("{\"query\":\"\xea\xb0\x80\xea\xb0\x80\xea\xb0\x80\"}", NULL); /* 3 characters, 9 bytes */
  check("{\"query\":7}", "arguments.query must be a string, not an integer");
  check("{\"query\":\"a\",\"k\":0}", "arguments.k must be between 1 and 50");
  check("{\"query\":\"a\",\"k\":2.5}", "arguments.k must be an integer, not a number");
  check("{\"query\":\"a\",\"mode\":\"c\"}", "arguments.mode must be one of [\"a\",\"b\"]");
  check("{\"query\":\"a\",\"tags\":[\"x\",1]}", "arguments.tags[1] must be a string, not an integer");
  check("{\"query\":\"a\",\"tags\":[\"x\",\"y\",\"z\"]}", "arguments.tags has 3 items; at most 2 are accepted");
  check("{\"query\":\"a\",\"extra\":1}", "arguments.extra is not a known argument");
}

Test(mcp, version_negotiation) {
  cr_expect_str_eq(mcp_version_negotiate("2025-06-18"), "2025-06-18");
  cr_expect_str_eq(mcp_version_negotiate("2024-11-05"), "2024-11-05");
  cr_expect_str_eq(mcp_version_negotiate("1999-01-01"), MCP_PROTOCOL_LATEST);
  cr_expect_str_eq(mcp_version_negotiate(NULL), MCP_PROTOCOL_LATEST);
  cr_expect(mcp_version_supported(MCP_PROTOCOL_LATEST));
  cr_expect(!mcp_version_supported("2025-13-01"));
}

static int error_code(json_t *resp) {
  return (int)json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

Test(mcp, framing_errors_and_notifications) {
  http_user_t u = {.id = "u1", .username = "u", .role = ROLE_VIEWER};
  json_t *m = json_loads("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", 0, NULL);
  json_t *r = mcp_server_handle(NULL, &u, m);
  cr_expect_eq(error_code(r), MCP_INVALID_REQUEST);
  cr_expect_eq(json_integer_value(json_object_get(r, "id")), 1);
  json_decref(r);
  json_decref(m);
  m = json_loads("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}", 0, NULL);
  r = mcp_server_handle(NULL, &u, m);
  cr_expect_eq(error_code(r), MCP_METHOD_NOT_FOUND);
  json_decref(r);
  json_decref(m);
  m = json_loads("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", 0, NULL);
  cr_expect_null(mcp_server_handle(NULL, &u, m), "a notification gets no answer");
  json_decref(m);
  m = json_loads("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{}}", 0, NULL);
  r = mcp_server_handle(NULL, &u, m);
  cr_expect_eq(error_code(r), MCP_INVALID_PARAMS, "initialize without protocolVersion");
  json_decref(r);
  json_decref(m);
  m = json_loads("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}", 0, NULL);
  r = mcp_server_handle(NULL, &u, m);
  json_t *tools = json_object_get(json_object_get(r, "result"), "tools");
  /* a viewer sees the four reading tools, each with an object schema */
  cr_expect_eq(json_array_size(tools), 4);
  size_t i;
  json_t *t;
  json_array_foreach(tools, i, t)
      cr_expect_str_eq(json_string_value(json_object_get(json_object_get(t, "inputSchema"), "type")), "object");
  json_decref(r);
  json_decref(m);
}

Test(mcp, sessions_belong_to_their_user) {
  mcp_sessions_t *s = mcp_sessions_new();
  char id[33], v[16];
  cr_assert_eq(mcp_session_create(s, "alice", "2025-06-18", id), 0);
  cr_expect_eq(strlen(id), 32);
  cr_expect_eq(mcp_session_check(s, id, "alice", v), 0);
  cr_expect_str_eq(v, "2025-06-18");
  cr_expect_eq(mcp_session_check(s, id, "bob", NULL), -1);
  cr_expect_eq(mcp_session_delete(s, id, "bob"), -1);
  cr_expect_eq(mcp_session_delete(s, id, "alice"), 0);
  cr_expect_eq(mcp_session_check(s, id, "alice", NULL), -1);
  mcp_sessions_free(s);
}

static int settings(const char *doc, int admin, char *msg, json_t **out) {
  json_t *j = json_loads(doc, 0, NULL);
  cr_assert(j, "bad test JSON");
  int rc = mcp_settings_check(j, admin, msg, 300);
  if (out)
    *out = j;
  else
    json_decref(j);
  return rc;
}

Test(mcp, settings_check_refuses_commands_for_users_and_wraps_secrets) {
  char msg[300];
  json_t *j = NULL;
  cr_expect_eq(
      settings("{\"servers\":{\"w\":{\"url\":\"https://x/mcp\",\"headers\":{\"Authorization\":\"Bearer s\"}}}}", 0, msg,
               &j),
      0, "%s", msg);
  cr_expect_str_eq(json_string_value(json_object_get(
                       json_object_get(json_object_get(json_object_get(json_object_get(j, "servers"), "w"), "headers"),
                                       "Authorization"),
                       "api_key")),
                   "Bearer s");
  json_decref(j);
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"command\":\"node\"}}}", 0, msg, NULL), -1);
  cr_expect(strstr(msg, "only an admin"), "%s", msg);
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"command\":\"node\",\"args\":[\"a\"]}}}", 1, msg, NULL), 0, "%s", msg);
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"command\":\"node\",\"url\":\"https://x\"}}}", 1, msg, NULL), -1);
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"url\":\"file:///etc/passwd\"}}}", 1, msg, NULL), -1);
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"url\":\"https://x\",\"headers\":{\"X\":\"a\\r\\nInjected: 1\"}}}}", 1,
                        msg, NULL),
               -1, "a header value cannot break the header line");
  cr_expect_eq(settings("{\"servers\":{\"c\":{\"url\":\"https://x\",\"colour\":1}}}", 1, msg, NULL), -1);
  cr_expect_eq(settings("{\"other\":1}", 1, msg, NULL), -1);
}
