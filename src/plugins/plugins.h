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
 * A plugin reaches the model through host->complete (ABI 2) during execute:
 * the worker thread knows the call it runs (a thread-local), so complete
 * answers with the model settings of the call's user, records the model
 * call for that user under the agent "plugin:<name>" (with the mission when
 * a mission searched or called a tool), and is cancelled when the caller
 * stops waiting. The user always comes from the server: a route call runs
 * for the authenticated user of the request (plugins_call_route), a search
 * or tool call for the plugins_caller_t the caller gives (a mission's
 * owner); a complete request that names a user or mission is refused
 * (MAESTRO_COMPLETE_FAILED), so a plugin cannot act as another user. Calls
 * the server makes itself (plugins_search, plugins_call_tool, or a NULL
 * caller) have no user: complete answers MAESTRO_COMPLETE_OFFLINE and its
 * err says so.
 *
 * A loaded plugins_t is read-only after plugins_load (and
 * plugins_attach_llm): every function here is thread-safe.
 */
#ifndef MAESTRO_PLUGINS_H
#define MAESTRO_PLUGINS_H

#include <jansson.h>
#include <stddef.h>

#include "base/config.h"
#include "llm/llm.h"

#define PLUGIN_MAX_INFLIGHT 8

typedef struct plugins plugins_t;

/* Loads the plugins of PLUGINS_DIR (none when it is empty). Never NULL.
 * The caller owns the result: plugins_free(). */
plugins_t *plugins_load(const config_t *cfg);
/* Gives the plugins' complete() the model layer (borrowed: it must outlive
 * pl; call before any search). Without it complete answers offline. */
void plugins_attach_llm(plugins_t *pl, llm_t *llm);
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

/* On whose behalf a call runs (strings borrowed for the call). */
typedef struct {
  const char *user_id;    /* whose model settings complete() uses; NULL: none */
  const char *mission_id; /* the mission the model calls are recorded under, or NULL */
  int offline;            /* 1: the caller runs without a model (complete answers offline) */
} plugins_caller_t;

/*
 * plugins_search for a caller (may be NULL: as plugins_search). A plugin's
 * answer may carry "warnings": [text] next to its passages (a generated
 * query refused, a search that found nothing on one database); *warnings
 * (when not NULL) gets them as a new array of strings, empty when none.
 */
int plugins_search_as(plugins_t *pl, const plugins_caller_t *caller, const char *id, const char *query, int limit,
                      json_t **passages, json_t **warnings, char *err, size_t errlen);

/* Calls tool `tool` of plugin `plugin` with input (borrowed): *out is the
 * answer (new reference). 0 or -1 with err, as plugins_search. The server's
 * own call: no user (complete answers offline). */
int plugins_call_tool(plugins_t *pl, const char *plugin, const char *tool, json_t *input, json_t **out, char *err,
                      size_t errlen);
/* plugins_call_tool on behalf of caller (a mission's owner, a user's agent;
 * NULL: as plugins_call_tool): the plugin's complete() uses caller's user. */
int plugins_call_tool_as(plugins_t *pl, const plugins_caller_t *caller, const char *plugin, const char *tool,
                         json_t *input, json_t **out, char *err, size_t errlen);

/*
 * A route of plugin `plugin`: *min_role is the role it declared (1 viewer
 * .. 3 admin), or 0 when the plugin has no such method+path. Used by the
 * HTTP handler before plugins_call_route.
 */
int plugins_route_role(const plugins_t *pl, const char *plugin, const char *method, const char *path);
/* Runs the route for user_id (the authenticated user of the request, never
 * one the request names; it is also the user the plugin's complete() runs
 * as, NULL: none): *status and *body (new reference) are the plugin's
 * answer. 0, or -1 with err (timeout, busy, a malformed answer). */
int plugins_call_route(plugins_t *pl, const char *plugin, const char *method, const char *path, json_t *body,
                       const char *user_id, const char *role, int *status, json_t **out, char *err, size_t errlen);

#endif
