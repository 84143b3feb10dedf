/*
 * custom_agents.h - user-defined agents and what they did in missions
 * (schema 019; docs/extending.md "Custom agents"), on either backend
 * through db.h.
 *
 * An agent is a slug with numbered versions (1, 2, ...): every change of
 * its definition is a new version, the agent row points at the current
 * one. A definition is a JSON object validated by the caller
 * (src/agents/custom.c): the store keeps it as given. Runs record, per
 * mission, which version of which agent ran where and with what result.
 *
 * Thread-safe. Returned JSON values are new references owned by the caller.
 */
#ifndef MAESTRO_STORE_CUSTOM_AGENTS_H
#define MAESTRO_STORE_CUSTOM_AGENTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/*
 * Stores def (borrowed) as the new current version of agent name, creating
 * the agent at version 1. A definition equal to the current one is not a
 * change: no version is added (*changed 0). origin is "ui" or "file";
 * author (may be NULL) the admin's id or "file:<name>". A disabled agent
 * stays disabled. STORE_OK with *version (may be NULL) the current version
 * afterwards, or STORE_ERROR.
 */
int store_cagent_put(store_t *st, const char *name, json_t *def, const char *origin, const char *author,
                     int64_t *version, int *changed);
/* Every agent, by name: [{name, version, disabled, origin, created_at,
 * updated_at, definition}] (definition the current version's). */
json_t *store_cagent_list(store_t *st);
/* One agent as in the list, at version (0: the current one; the agent's
 * own version then names the one returned). STORE_OK with *out,
 * STORE_NOT_FOUND, STORE_ERROR. */
int store_cagent_get(store_t *st, const char *name, int64_t version, json_t **out);
/* Every version of name, newest first: [{version, author, created_at,
 * definition}] (empty array for an unknown name; NULL on a store error). */
json_t *store_cagent_versions(store_t *st, const char *name);
/* Enables or disables name. STORE_OK, STORE_NOT_FOUND, STORE_ERROR. */
int store_cagent_set_disabled(store_t *st, const char *name, int disabled);

/*
 * Records a run (replaces the run of the same mission, agent, position,
 * section and round): run is {agent, version, position, section_id?
 * (absent: ""), round?, status "ran"|"skipped", reason?, output? (object)}.
 * STORE_OK or STORE_ERROR.
 */
int store_cagent_run_put(store_t *st, const char *mission_id, json_t *run);
/* The runs of a mission in the order they were recorded, in the shape
 * store_cagent_run_put takes (section_id "" dropped) plus created_at. */
json_t *store_cagent_runs(store_t *st, const char *mission_id);

#endif
