/*
 * custom.h - user-defined agents (issue 16 §2; docs/extending.md "Custom
 * agents").
 *
 * A custom agent is a definition an admin writes (REST /api/agents, or a
 * JSON file in AGENTS_DIR read at start):
 *
 *   {"name": "fact-checker",                       slug: [a-z][a-z0-9_-]{0,39}
 *    "description": "Checks the figures",          at most 500 bytes
 *    "prompt": "You are ... (role: fact-checker)",  its system prompt (template:
 *                                                   {{language}}, {{tone}}, {{length}})
 *    "tools": ["srv.lookup", "data.describe"],     MCP tools (server.tool of a
 *                                                   configured server) and plugin
 *                                                   tools (plugin.tool)
 *    "sources": ["local_documents", "web_search",  what it may read; [] = every
 *                "scholarly", "plugin:sql/sql"],   source of the mission
 *    "position": "after_research"}                  or "before_writing"
 *
 * Every change is a new version (store/custom_agents.h). A mission names the
 * agents it uses in settings.custom_agents; the controller runs each at its
 * position with the version current when the run started, and records what
 * it did (store_cagent_run_put), skipped runs with their reason included.
 *
 * Thread-safe (the store is; the definitions are read per call).
 */
#ifndef MAESTRO_AGENTS_CUSTOM_H
#define MAESTRO_AGENTS_CUSTOM_H

#include <jansson.h>
#include <stddef.h>

#include "agents/agents.h"

#define CUSTOM_AGENTS_MAX_PER_MISSION 8

/*
 * Validates a definition (body of POST/PUT /api/agents, or a file). name
 * (may be NULL) is the agent's name when it is not in body (PUT: the path's
 * name; a file: its stem); body's "name", when present, must then equal it.
 * user_id (may be NULL: server-wide only) is whose MCP servers count for
 * the tools. Returns 0 with *def (new reference: the normalised definition
 * without the name) and name_out (>= 41 bytes), or -1 with field (the
 * member at fault, >= 32 bytes) and err.
 */
int custom_agent_validate(agents_t *ag, const char *name, json_t *body, const char *user_id, json_t **def,
                          char *name_out, char *field, char *err, size_t errlen);

/* 1 when s is a valid agent name (slug). */
int custom_agent_name_ok(const char *s);

/*
 * Reads AGENTS_DIR (nothing when unset): each *.json file is one agent,
 * named by its "name" or else the file's stem, stored as a new version when
 * it differs from the current one. A file that is not valid is skipped with
 * a warning naming the file, the field and why; the server still starts.
 * Returns the number of agents read.
 */
int custom_agents_load_dir(agents_t *ag);

/* settings.custom_agents in the mission settings table (msettings.c): a
 * list of at most CUSTOM_AGENTS_MAX_PER_MISSION distinct names. 0 or -1 with err. */
int custom_agents_check_setting(json_t *v, char *err, size_t errlen);
/* Each name of settings.custom_agents is an enabled agent: 0, or -1 with err. */
int custom_agents_check_exist(agents_t *ag, json_t *names, char *err, size_t errlen);

#endif
