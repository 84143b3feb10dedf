/*
 * client.h - the Model Context Protocol, client side (docs/mcp.md, "MCP
 * client"): Maestro connects to an MCP server named in Settings, lists its
 * tools and resources, calls a tool, reads a resource.
 *
 * Two transports:
 *   stdio  - the server's command is started as a child process in its own
 *            process group, with a minimal environment (PATH, HOME, LANG
 *            and the configured env: never Maestro's own secrets), stdin and
 *            stdout as the message pipes (one JSON message a line), stderr
 *            discarded, no other descriptor of ours inherited; SIGPIPE is
 *            ignored from the first start on. Every exchange has a deadline (the server's
 *            timeout); past it the whole group is killed (SIGKILL).
 *            Closing ends stdin, waits briefly, then kills.
 *   http   - Streamable HTTP: each message is a POST to the URL with the
 *            configured headers, answered as application/json or as a
 *            text/event-stream whose events carry the response. The session
 *            id of the initialize answer is sent back. A URL a non-admin
 *            user named goes through the outbound address policy
 *            (web_post, OUTBOUND_ALLOW_HOSTS).
 *
 * A client is used by one thread at a time; create one per task.
 */
#ifndef MAESTRO_MCP_CLIENT_H
#define MAESTRO_MCP_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "llm/llm.h"
#include "store/store.h"
#include "web/web.h"

typedef struct mcp_client mcp_client_t;

/*
 * Connects to the server described by cfg (one member of the "mcp"
 * settings' servers, opened: secrets in clear):
 *   {"command": "node", "args": ["server.mjs"], "env": {"K": "v"}} or
 *   {"url": "https://...", "headers": {"Authorization": "Bearer ..."}},
 *   either with "timeout_s" (1-300, default 30).
 * name is used in messages. untrusted: the URL comes from a non-admin
 * user's settings (address policy applies; a command is refused). Sends
 * initialize and the initialized notification. web (borrowed, outlives the
 * client) carries an HTTP server's requests. NULL with err on failure.
 */
mcp_client_t *mcp_client_connect(web_t *web, const char *name, json_t *cfg, int untrusted, char *err,
                                 size_t errlen);
/* One request; on success 0 and *result (new reference) the response's
 * result. A JSON-RPC error, a timeout or a dead server: -1 with err. */
int mcp_client_request(mcp_client_t *c, const char *method, json_t *params, json_t **result, char *err, size_t errlen);
/* The text of a tools/call result (its text content items joined); NULL
 * when it has none. *is_error from the result's isError. malloc'd. */
char *mcp_client_result_text(json_t *result, int *is_error);
/* Ends the session (stdio: the process is gone when this returns). Accepts
 * NULL. */
void mcp_client_close(mcp_client_t *c);

/*
 * The MCP servers that apply to user_id, opened: the server-wide ones
 * (admin settings, section "mcp") then the user's own, a user's server of
 * the same name replacing the server's. Returns an object name ->
 * {config..., "scope": "server"|"user", "untrusted": bool}. New reference.
 */
json_t *mcp_servers_for_user(llm_t *llm, store_t *store, const char *user_id);

/*
 * Checks and normalises a "mcp" settings section before it is sealed:
 * {"servers": {NAME: {command, args, env, url, headers, timeout_s}}}. Header
 * and env values are secrets: each string value v becomes {"api_key": v}
 * so the settings layer seals it (and masks it on reading). allow_command:
 * 0 for a user's own settings (only an admin may name a command to run).
 * 0, or -1 with msg.
 */
int mcp_settings_check(json_t *section, int allow_command, char *msg, size_t n);

#endif
