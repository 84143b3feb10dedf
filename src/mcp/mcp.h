/*
 * mcp.h - the Model Context Protocol (docs/mcp.md), server side: one
 * JSON-RPC 2.0 message in, its answer out, for a user already authenticated
 * by the transport (stdio: `maestro mcp`, src/cli/mcp.c; Streamable HTTP:
 * POST /mcp, src/api/mcp.c).
 *
 * The server offers tools (search_library, list_documents, start_research,
 * mission_status, get_report, ask_library) and resources (the user's
 * documents as maestro://documents/ID, reports as maestro://reports/ID).
 * Every tool does what the REST API does for the same action, through the
 * same functions (api_search_json, store_*, agents_mission_create,
 * chat_ask), with the same owner checks: another user's id is "not found".
 *
 * Errors follow the protocol: a malformed message, an unknown method or a
 * bad parameter of a protocol method is a JSON-RPC error; a tool called with
 * arguments its inputSchema refuses, or whose action fails, answers a result
 * with "isError": true and a message saying what to change.
 *
 * Threads: mcp_server_handle is thread-safe (it keeps no state; ask_library
 * blocks the calling thread for the model call).
 */
#ifndef MAESTRO_MCP_H
#define MAESTRO_MCP_H

#include <jansson.h>
#include <stddef.h>

#include "http/http.h"
#include "mcp/protocol.h"

struct app;

/*
 * Answers one message from a client as user. Returns the response (new
 * reference), or NULL when nothing is to be sent back (a notification, or a
 * response to a request of ours). A message that is not a JSON-RPC request
 * gets an MCP_INVALID_REQUEST error.
 */
json_t *mcp_server_handle(struct app *app, const http_user_t *user, json_t *msg);

/*
 * Sessions of the Streamable HTTP transport: an initialize creates one (its
 * id goes back in the Mcp-Session-Id header) bound to the user and the
 * negotiated version; later requests name it. Kept in memory (a restart
 * ends them: the client gets 404 and initializes again), at most
 * MCP_MAX_SESSIONS, idle ones dropped after MCP_SESSION_IDLE_MS.
 * Thread-safe.
 */
#define MCP_MAX_SESSIONS 4096
#define MCP_SESSION_IDLE_MS (24LL * 3600 * 1000)
typedef struct mcp_sessions mcp_sessions_t;
mcp_sessions_t *mcp_sessions_new(void);
void mcp_sessions_free(mcp_sessions_t *s); /* accepts NULL */
/* A new session for user_id; id_out >= 33 bytes. 0, or -1 when full. */
int mcp_session_create(mcp_sessions_t *s, const char *user_id, const char *version, char *id_out);
/* 0 when session id exists and belongs to user_id (its version copied into
 * version_out, >= 16 bytes, may be NULL); -1 otherwise. */
int mcp_session_check(mcp_sessions_t *s, const char *id, const char *user_id, char *version_out);
/* Ends a session of user_id. 0, or -1 when there is none. */
int mcp_session_delete(mcp_sessions_t *s, const char *id, const char *user_id);

#endif
