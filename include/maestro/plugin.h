/*
 * maestro/plugin.h - the plugin ABI of Maestro (version 2; version 1 plugins
 * still load).
 *
 * A plugin is a shared library (.so) in PLUGINS_DIR that exports one symbol,
 *
 *     const maestro_plugin_t *maestro_plugin_entry(void);
 *
 * returning a descriptor that lives as long as the library is loaded. The
 * server refuses a plugin (one log line naming the file and the reason, and
 * goes on starting) when the symbol is missing, when abi_version is neither
 * MAESTRO_PLUGIN_ABI_VERSION nor MAESTRO_PLUGIN_ABI_MIN (1), when name is not [a-z0-9_-]{1,32}, when
 * init/execute is NULL, or when init returns non-zero.
 *
 * Only C types cross the boundary: strings are UTF-8, JSON travels as text.
 *
 * Lifetime, in this order:
 *   init(host, config_json, err, errlen)  once, on the server's main thread,
 *       before any request. config_json is a JSON object: the members of
 *       PLUGINS_DIR/<name>.json, then every PLUGIN_<NAME>_<KEY> environment
 *       variable as "<key>" (lower case) over it. Through host the plugin
 *       registers what it provides (sources, tools, routes); those calls are
 *       valid only during init. The host pointer itself stays valid until
 *       cleanup() returns, so a plugin may keep it (for complete, below).
 *       Return 0, or non-zero with a message in err.
 *   execute(request_json)  any number of times, from the server's plugin
 *       workers (never from an HTTP request thread), possibly from several
 *       threads at once: execute must be thread-safe. Each call has a time
 *       limit (PLUGIN_TIMEOUT_SECONDS); past it the caller gets a timeout
 *       error and the call's result, when it comes, is thrown away. The call
 *       itself is not interrupted, so a plugin should bound its own work.
 *       Returns a malloc()'d JSON text the server free()s, or NULL on
 *       failure. A failure may be reported as {"error": "message"}.
 *   cleanup()  once, at shutdown, after the last execute returned. May be
 *       NULL.
 *
 * Versions: version 2 appended `complete` to maestro_host_t and changed
 * nothing else. The server passes every plugin the same (version 2) host,
 * with host->abi_version == 2, and accepts descriptors of version 1 or 2:
 * a version-1 plugin never reads past `log`. A plugin that wants to load on
 * version-1 servers too declares MAESTRO_PLUGIN_ABI_MIN in its descriptor
 * and uses complete only when host->abi_version >= 2 (MAESTRO_HOST_HAS_COMPLETE
 * says so); one that declares version 2 is refused by a version-1 server.
 *
 * Requests (the "kind" member says which):
 *   {"kind":"search", "source":S, "query":Q, "limit":N}
 *       -> {"passages":[{"title":T, "text":X, "locator":L, "metadata":{...}}]}
 *       a source S registered by this plugin; locator says where the text
 *       comes from (a query, a file and row...), shown as the reference.
 *   {"kind":"tool", "tool":T, "input":{...}}
 *       -> any JSON value: the tool's answer (input matches its schema).
 *   {"kind":"route", "method":M, "path":P, "body":{...}|null,
 *    "user":{"id":I, "role":R}}
 *       -> {"status":200, "body":{...}}; P is the part after
 *       /api/plugins/<name>/. The server has authenticated the caller and
 *       checked the role the route declared.
 */
#ifndef MAESTRO_PLUGIN_H
#define MAESTRO_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAESTRO_PLUGIN_ABI_VERSION 2
#define MAESTRO_PLUGIN_ABI_MIN 1 /* the oldest descriptor version the server loads */
#define MAESTRO_PLUGIN_ENTRY "maestro_plugin_entry"

/* The least role a route needs (same order as the server's roles). */
enum { MAESTRO_ROLE_VIEWER = 1, MAESTRO_ROLE_RESEARCHER = 2, MAESTRO_ROLE_ADMIN = 3 };

/* What complete() returns. */
enum {
  MAESTRO_COMPLETE_OK = 0,
  MAESTRO_COMPLETE_FAILED = -1,  /* the model call failed; err says why */
  MAESTRO_COMPLETE_OFFLINE = -2, /* no model is configured for the user (or no user) */
};

/* What the server offers a plugin. The register_* functions are valid
 * during init only and return 0, or -1 when the argument is invalid (a name
 * not [a-z0-9_-]{1,32}, a schema that is not a JSON object, a duplicate).
 * Strings are copied. */
typedef struct maestro_host {
  int abi_version; /* MAESTRO_PLUGIN_ABI_VERSION of the server */
  void *ctx;       /* pass back unchanged */
  /* A research source missions and chat can search. */
  int (*register_source)(void *ctx, const char *name, const char *description);
  /* A tool agents can call: input_schema is a JSON Schema (object) text. */
  int (*register_tool)(void *ctx, const char *name, const char *description, const char *input_schema);
  /* An HTTP route /api/plugins/<plugin>/<path> (path: one segment). */
  int (*register_route)(void *ctx, const char *method, const char *path, int min_role);
  /* One log line under the plugin's name; level 0 debug .. 3 error. */
  void (*log)(void *ctx, int level, const char *message);

  /* ---- ABI version 2 (check MAESTRO_HOST_HAS_COMPLETE(host) first) ---- */

  /*
   * One answer of the server's model, valid only inside execute (on the
   * thread the server called execute on), on behalf of the user the call is
   * for (the signed-in user of a route, the owner of the mission that
   * searched or called a tool): that user's model settings, recorded for
   * that user in the model-call log (and in the mission's activity when a
   * mission made the call) with the agent "plugin:<name>". request_json is
   *     {"messages":[{"role":"system"|"user"|"assistant","content":"..."}],
   *      "tier":"fast"|"mid"|"intelligent" (default "mid"),
   *      "max_tokens":N (optional)}
   * and cannot choose the user: a request naming "user", "user_id",
   * "mission" or "mission_id" is refused (MAESTRO_COMPLETE_FAILED).
   * On MAESTRO_COMPLETE_OK, *answer is the model's text, malloc()'d: the
   * plugin free()s it. Otherwise *answer is NULL and err says why:
   * MAESTRO_COMPLETE_OFFLINE when no model is configured for the user (or
   * the call has no user, e.g. a tool called by the server itself, or its
   * mission runs offline), MAESTRO_COMPLETE_FAILED for anything else
   * (outside execute, a bad request, the model failed, the caller stopped
   * waiting). Thread-safe; blocks the calling thread, and
   * counts against the execute's time limit (PLUGIN_TIMEOUT_SECONDS).
   */
  int (*complete)(void *ctx, const char *request_json, char **answer, char *err, size_t errlen);
} maestro_host_t;

/* 1 when host offers complete (a server of ABI version 2 or later). */
#define MAESTRO_HOST_HAS_COMPLETE(host) ((host)->abi_version >= 2 && (host)->complete != NULL)

typedef struct maestro_plugin {
  int abi_version;         /* MAESTRO_PLUGIN_ABI_VERSION (or MAESTRO_PLUGIN_ABI_MIN) */
  const char *name;        /* [a-z0-9_-]{1,32} */
  const char *version;     /* the plugin's own version, free text */
  const char *description; /* one line, may be NULL */
  int (*init)(const maestro_host_t *host, const char *config_json, char *err, size_t errlen);
  char *(*execute)(const char *request_json);
  void (*cleanup)(void);
} maestro_plugin_t;

typedef const maestro_plugin_t *(*maestro_plugin_entry_fn)(void);

/* Marks the entry point exported even when the plugin is built with
 * -fvisibility=hidden:  MAESTRO_PLUGIN_EXPORT const maestro_plugin_t
 * *maestro_plugin_entry(void) { ... } */
#define MAESTRO_PLUGIN_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
}
#endif

#endif
