/*
 * protocol.h - the Model Context Protocol as both sides speak it: JSON-RPC
 * 2.0 error codes, the protocol versions, the error message, the check of
 * tool arguments against their inputSchema. Used by the
 * server (mcp.h) and the client (client.h); knows nothing of HTTP.
 */
#ifndef MAESTRO_MCP_PROTOCOL_H
#define MAESTRO_MCP_PROTOCOL_H

#include <jansson.h>
#include <stddef.h>

/* JSON-RPC 2.0 error codes (and MCP's resource-not-found). */
enum {
  MCP_PARSE_ERROR = -32700,
  MCP_INVALID_REQUEST = -32600,
  MCP_METHOD_NOT_FOUND = -32601,
  MCP_INVALID_PARAMS = -32602,
  MCP_INTERNAL_ERROR = -32603,
  MCP_RESOURCE_NOT_FOUND = -32002
};

/* The newest protocol version this implementation speaks. */
#define MCP_PROTOCOL_LATEST "2025-11-25"

/* 1 when v is a protocol version this server speaks. */
int mcp_version_supported(const char *v);
/* The version to answer an initialize that asked for `requested` (may be
 * NULL): the same when supported, else the latest. Static storage. */
const char *mcp_version_negotiate(const char *requested);

/* {"jsonrpc":"2.0","id":id,"error":{"code","message"}}; id borrowed (NULL
 * gives null). New reference. */
json_t *mcp_error(json_t *id, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Checks value against a JSON Schema of the subset the tools use: "type"
 * (object, string, integer, number, boolean, array), "properties",
 * "required", "additionalProperties": false, "enum", "minLength",
 * "maxLength", "minimum", "maximum", "items", "maxItems". 0, or -1 with a
 * message naming the argument (e.g. "k must be an integer between 1 and
 * 50"). path is the name shown for value ("arguments" at the top).
 */
int mcp_schema_check(json_t *schema, json_t *value, const char *path, char *err, size_t errlen);

#endif
