/*
 * tools.h - the tools research agents may call (docs/mcp.md, "MCP client").
 *
 * A tool is a name, a description, a JSON Schema of its input and a call
 * that turns validated arguments into text. The set a mission may use is
 * built per user from providers: the MCP servers named in Settings are the
 * built-in provider (mcp_tools.c); other modules (plugins) register theirs
 * with agent_tools_register at start, before missions run.
 *
 * Invariants: names are unique in a set (a later tool with a taken name is
 * skipped); every call is checked against the tool's schema first
 * (mcp_schema_check), so a call function only sees arguments its schema
 * accepts. A set belongs to one thread (one mission step).
 */
#ifndef MAESTRO_AGENTS_TOOLS_H
#define MAESTRO_AGENTS_TOOLS_H

#include <jansson.h>
#include <stddef.h>

#include "agents/agents.h"

typedef struct agent_tool agent_tool_t;

/* Calls the tool: 0 with *text (malloc'd, the result for the model to
 * quote), or -1 with err (the tool failed or refused). */
typedef int (*agent_tool_call_fn)(const agent_tool_t *t, json_t *args, char **text, char *err, size_t errlen);

struct agent_tool {
  char *name;        /* unique in the set: "server.tool" for MCP tools */
  char *description; /* for the model */
  json_t *schema;    /* JSON Schema of the arguments (owned) */
  char *locator;     /* where a result comes from, before its arguments: "mcp://server/tool" */
  agent_tool_call_fn call;
  void *ud; /* the provider's, freed by ud_free (may be NULL) */
  void (*ud_free)(void *ud);
};

typedef struct agent_tools {
  agent_tool_t *v;
  size_t n;
  json_t *problems; /* ["server x: why", ...]: providers that could not give their tools */
  /* resources a provider keeps open while the set lives (connections) */
  void **keep;
  void (**keep_free)(void *);
  size_t nkeep;
} agent_tools_t;

/* A provider adds the tools user_id may use to set; problems go to
 * set->problems (a provider failing does not stop the others). */
typedef void (*agent_tools_provider_fn)(const agents_deps_t *deps, const char *user_id, agent_tools_t *set, void *ctx);

/* Registers a provider (at most 8). 0, or -1 when full. Not thread-safe:
 * call at start, before missions run. */
int agent_tools_register(struct agents *ag, agent_tools_provider_fn fn, void *ctx);

/* The tools user_id may use now (every provider asked). New set; free with
 * agent_tools_free. */
agent_tools_t *agent_tools_for_user(agents_t *ag, const char *user_id);
/* Adds a tool (strings copied, schema referenced); -1 when the name is
 * taken (ud is then freed with ud_free). */
int agent_tools_add(agent_tools_t *set, const char *name, const char *description, json_t *schema, const char *locator,
                    agent_tool_call_fn call, void *ud, void (*ud_free)(void *));
/* Keeps r open while the set lives (closed with fr by agent_tools_free). */
void agent_tools_keep(agent_tools_t *set, void *r, void (*fr)(void *));
const agent_tool_t *agent_tools_find(const agent_tools_t *set, const char *name);
/* Checks args against the tool's schema, then calls it. 0 with *text and
 * *locator ("mcp://server/tool?{args}", malloc'd), or -1 with err. */
int agent_tools_call(const agent_tools_t *set, const char *name, json_t *args, char **text, char **locator, char *err,
                     size_t errlen);
/* The tools as the model sees them: [{name, description, input_schema}].
 * New reference. */
json_t *agent_tools_json(const agent_tools_t *set);
void agent_tools_free(agent_tools_t *set); /* accepts NULL */

/* The built-in provider: the MCP servers of mcp_servers_for_user (one
 * connection per server, kept while the set lives). */
void agent_tools_mcp_provider(const agents_deps_t *deps, const char *user_id, agent_tools_t *set, void *ctx);

/* The tools of the loaded plugins, as "plugin.tool" (locator
 * "plugin://plugin/tool"); the answer's JSON is the text. Not registered
 * by default: custom agents ask for it (custom.c). Each call runs on behalf
 * of user_id (the plugin's host->complete uses that user's model); ctx may
 * be a plugins_caller_t (borrowed, copied) giving the mission the model
 * calls are recorded under and whether it runs offline (its user_id is not
 * read: user_id is the set's), or NULL. */
void agent_tools_plugin_provider(const agents_deps_t *deps, const char *user_id, agent_tools_t *set, void *ctx);
/* Drops from set every tool whose name is not in names (JSON strings). */
void agent_tools_only(agent_tools_t *set, json_t *names);

#endif
