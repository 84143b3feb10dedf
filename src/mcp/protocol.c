/* protocol.c - what the MCP server and client share of the protocol; see protocol.h. */
#include "mcp/protocol.h"

#include <stdarg.h>
#include <string.h>

#include "base/buf.h"

static const char *const VERSIONS[] = {MCP_PROTOCOL_LATEST, "2025-06-18", "2025-03-26", "2024-11-05", NULL};

int mcp_version_supported(const char *v) {
  for (int i = 0; v && VERSIONS[i]; i++)
    if (!strcmp(v, VERSIONS[i])) return 1;
  return 0;
}

const char *mcp_version_negotiate(const char *requested) {
  for (int i = 0; requested && VERSIONS[i]; i++)
    if (!strcmp(requested, VERSIONS[i])) return VERSIONS[i];
  return MCP_PROTOCOL_LATEST;
}

json_t *mcp_error(json_t *id, int code, const char *fmt, ...) {
  buf_t msg = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  json_t *e = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", "code",
                        code, "message", msg.data ? msg.data : "");
  buf_free(&msg);
  return e;
}
