/*
 * plugins.h - the server side of the plugin ABI (include/maestro/plugin.h).
 *
 * plugins_load() opens every *.so in PLUGINS_DIR (in name order), checks
 * the descriptor and runs init; a plugin that fails any check is refused
 * with one log line and listed under "refused", and the others still load.
 * What the loaded ones registered (sources, tools, routes) is kept here.
 *
 * Every call into a plugin (search, tool, route) runs on a thread of its
 * own, never on the caller's: the caller waits at most
 * PLUGIN_TIMEOUT_SECONDS and then returns a timeout error; the worker keeps
 * running until the plugin returns and its answer is thrown away (C cannot
 * stop a thread safely). At most PLUGIN_MAX_INFLIGHT calls per plugin run
 * at once; more are refused as busy. plugins_free() waits for the calls in
 * flight (a few seconds) before cleanup() and dlclose(); a plugin still
 * busy then is neither cleaned up nor unloaded.
 *
 * A loaded plugins_t is read-only after plugins_load: every function here
 * is thread-safe.
 */
#ifndef MAESTRO_PLUGINS_H
#define MAESTRO_PLUGINS_H

#include <jansson.h>
#include <stddef.h>

#include "base/config.h"

#define PLUGIN_MAX_INFLIGHT 8

typedef struct plugins plugins_t;

/* Loads the plugins of PLUGINS_DIR (none when it is empty). Never NULL.
 * The caller owns the result: plugins_free(). */
plugins_t *plugins_load(const config_t *cfg);
/* Waits for calls in flight, runs cleanup(), unloads. Accepts NULL. */
void plugins_free(plugins_t *pl);

/* {"plugins":[{name, version, description, file, sources:[{id, name,
 * description}], tools:[{name, description, input_schema}], routes:[{method,
 * path, role}]}], "refused":[{file, reason}]}; new reference. A source's id
 * is "plugin:<plugin>/<source>", the form missions name it in "sources". */
json_t *plugins_describe(const plugins_t *pl);

/* 1 when id ("plugin:<plugin>/<source>") names a loaded plugin's source. */
int plugins_has_source(const plugins_t *pl, const char *id);

/*
 * Searches source id with query: *passages (new reference) is the array of
 * {title, text, locator, metadata} the plugin answered (entries without
 * text are dropped). Returns 0, or -1 with err (unknown source, timeout,
 * busy, the plugin's error, an answer that is not JSON).
 */
int plugins_search(plugins_t *pl, const char *id, const char *query, int limit, json_t **passages, char *err,
                   size_t errlen);

/* Calls tool `tool` of plugin `plugin` with input (borrowed): *out is the
 * answer (new reference). 0 or -1 with err, as plugins_search. */
int plugins_call_tool(plugins_t *pl, const char *plugin, const char *tool, json_t *input, json_t **out, char *err,
                      size_t errlen);

/*
 * A route of plugin `plugin`: *min_role is the role it declared (1 viewer
 * .. 3 admin), or 0 when the plugin has no such method+path. Used by the
 * HTTP handler before plugins_call_route.
 */
int plugins_route_role(const plugins_t *pl, const char *plugin, const char *method, const char *path);
/* Runs the route: *status and *body (new reference) are the plugin's
 * answer. 0, or -1 with err (timeout, busy, a malformed answer). */
int plugins_call_route(plugins_t *pl, const char *plugin, const char *method, const char *path, json_t *body,
                       const char *user_id, const char *role, int *status, json_t **out, char *err, size_t errlen);

#endif
