/*
 * maestro/plugin.h - the plugin ABI of Maestro (version 1).
 *
 * A plugin is a shared library (.so) in PLUGINS_DIR that exports one symbol,
 *
 *     const maestro_plugin_t *maestro_plugin_entry(void);
 *
 * returning a descriptor that lives as long as the library is loaded. The
 * server refuses a plugin (one log line naming the file and the reason, and
 * goes on starting) when the symbol is missing, when abi_version is not
 * MAESTRO_PLUGIN_ABI_VERSION, when name is not [a-z0-9_-]{1,32}, when
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
 *       valid only during init. Return 0, or non-zero with a message in err.
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

#define MAESTRO_PLUGIN_ABI_VERSION 1
#define MAESTRO_PLUGIN_ENTRY "maestro_plugin_entry"

/* The least role a route needs (same order as the server's roles). */
enum { MAESTRO_ROLE_VIEWER = 1, MAESTRO_ROLE_RESEARCHER = 2, MAESTRO_ROLE_ADMIN = 3 };

/* What the server offers a plugin during init. Every function returns 0, or
 * -1 when the argument is invalid (a name not [a-z0-9_-]{1,32}, a schema
 * that is not a JSON object, a duplicate). Strings are copied. */
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
} maestro_host_t;

typedef struct maestro_plugin {
  int abi_version;         /* MAESTRO_PLUGIN_ABI_VERSION */
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
