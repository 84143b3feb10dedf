/*
 * agents.h - research missions: the controller and its agents.
 *
 * A mission is a persisted state machine (src/store/missions.h). The
 * controller (mission.c) runs one committed step at a time:
 *   analyse -> plan -> research(round r) -> reflect -> ... (rounds)
 *   -> write -> review -> revise (passes) -> verify -> assemble -> completed
 * and before each step re-reads the mission's status, so pause, stop,
 * resume, resume-from-round and outline edits are plain state transitions.
 * Missions run as durable jobs of kind "mission" (MAX_CONCURRENT_MISSIONS
 * workers); a crashed mission continues from its last committed step.
 *
 * With a model configured the agents (planner.c, researcher.c, reflector.c,
 * writer.c, verifier.c) make few, batched, structured calls; without one, or
 * with "offline": true, extractive agents (offline.c) run the same phases.
 *
 * Threads: one agents_t per app, shared; every function is thread-safe.
 */
#ifndef MAESTRO_AGENTS_H
#define MAESTRO_AGENTS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/config.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "llm/llm.h"
#include "plugins/plugins.h"
#include "rag/rag.h"
#include "store/store.h"
#include "web/web.h"

typedef struct agents agents_t;

/* What the agents use, all borrowed (created before agents_new, freed after
 * agents_free, by app.c). jobs may be NULL: no "mission" job kind is
 * registered. */
typedef struct {
  const config_t *cfg;
  store_t *store;
  events_t *events;
  jobs_t *jobs;
  llm_t *llm;
  rag_t *rag;
  web_t *web;
  plugins_t *plugins;
} agents_deps_t;

/* Creates the context over a copy of deps and registers the "mission" job
 * kind (call before app_start_workers). */
agents_t *agents_new(const agents_deps_t *deps, char *err, size_t errlen);
void agents_free(agents_t *ag); /* accepts NULL */

/*
 * Preflight (preflight.c): what a mission of this request (the body of POST
 * /api/missions) will have, for user_id, before it starts. Returns a new
 * object:
 *   {"ok": no problems, "empty": the sources can give nothing,
 *    "mode": "model"|"offline", "offline_requested": bool,
 *    "models": {"fast"|"mid"|"intelligent"|"verifier": ENDPOINT},
 *    "embedding": ENDPOINT (only when documents can be searched),
 *    "documents": {"requested", "group_id", "in_scope", "ready"},
 *    "web": {"requested", "provider", "configured", "source", "reachable", "error"?},
 *    "problems": [{"code", "message", "fix"}], "warnings": [same]}
 * with ENDPOINT = {"configured", "provider", "model", "base_url", "source":
 * "env"|"server"|"user"|"none", "external", "reachable": bool|null,
 * "reason"?, "error"?} (never a key). Problem codes: no_model,
 * model_unreachable, group_not_found, no_documents, documents_not_ready,
 * no_web_provider, web_settings_invalid, web_unreachable, no_sources.
 * flags: AGENTS_PREFLIGHT_PROBE checks that the model and search endpoints
 * answer (one bounded, cached GET each); AGENTS_PREFLIGHT_PROBE_WEB_IF_NEEDED
 * checks only the search provider, and only when the documents give
 * nothing (what creating a mission needs). Thread-safe.
 */
enum { AGENTS_PREFLIGHT_PROBE = 1, AGENTS_PREFLIGHT_PROBE_WEB_IF_NEEDED = 2 };
json_t *agents_preflight(agents_t *ag, const char *user_id, json_t *req, int flags);

/* Why an agents_mission_* call refused. The agents know nothing of HTTP:
 * the API maps these to statuses (api/missions.c), the CLI to messages. */
typedef enum {
  AGENTS_OK = 0,
  AGENTS_E_NOT_FOUND, /* no such mission (or group) of this user */
  AGENTS_E_CONFLICT,  /* not possible in the mission's current state */
  AGENTS_E_INVALID,   /* a field of the request is wrong; err names it */
  AGENTS_E_INTERNAL   /* the store failed */
} agents_err_t;

/*
 * Validates a POST /api/missions body and stores a queued mission for
 * user_id. submit=1 queues its job. Returns 0 with id_out (>= 17 bytes), or
 * -1 with *why and err. A mission whose sources can give
 * nothing (agents_preflight's "empty") is refused (AGENTS_E_INVALID) unless the
 * request has "allow_empty": true; then *preflight_out (may be NULL) gets
 * the preflight (new reference) for the caller to show.
 */
int agents_mission_create(agents_t *ag, const char *user_id, json_t *req, int submit, char *id_out, agents_err_t *why,
                          char *err, size_t errlen, json_t **preflight_out);

/*
 * The POST /api/missions body that asks again for the mission of row (as
 * store_mission_get gives it): title, description, research_questions,
 * sources, group_id (when set) and a copy of settings (an object), with
 * "allow_empty": true (the owner accepted these sources before; a run is
 * not dropped because they are empty now). The scheduler's next run and the
 * CLI's --replay both start from it. New reference.
 */
json_t *agents_mission_request_from_row(json_t *row);

enum { MISSION_RUN_DONE = 0, MISSION_RUN_HALTED = 1, MISSION_RUN_FAILED = -1, MISSION_RUN_REQUEUE = 2 };

/*
 * Runs a mission on this thread from its last committed step until it
 * completes (MISSION_RUN_DONE), is paused/stopped/cancelled
 * (MISSION_RUN_HALTED), fails (MISSION_RUN_FAILED, err set, mission marked
 * failed) or the process is stopping (MISSION_RUN_REQUEUE). cancel (may be
 * NULL) is an extra flag the caller can raise (the CLI's Ctrl-C).
 */
int agents_mission_run(agents_t *ag, const char *mission_id, atomic_int *cancel, char *err, size_t errlen);

/* Controls (state transitions with events). user_id NULL = any owner
 * (admin). Return 0, or -1 with *why and err. */
int agents_mission_pause(agents_t *ag, const char *user_id, const char *id, agents_err_t *why, char *err, size_t errlen);
int agents_mission_resume(agents_t *ag, const char *user_id, const char *id, int submit, agents_err_t *why, char *err,
                          size_t errlen);
int agents_mission_stop(agents_t *ag, const char *user_id, const char *id, agents_err_t *why, char *err, size_t errlen);
int agents_mission_resume_round(agents_t *ag, const char *user_id, const char *id, int round, int submit, agents_err_t *why,
                                char *err, size_t errlen);
/* Replaces the outline ({"sections":[{id?,title,questions,subsections}]})
 * and continues research from it: a paused mission stays paused (resume
 * runs it from the new outline), a failed or completed one is queued.
 * *plan_out (may be NULL) gets the new plan. */
int agents_mission_set_plan(agents_t *ag, const char *user_id, const char *id, json_t *plan, int submit,
                            json_t **plan_out, agents_err_t *why, char *err, size_t errlen);

/*
 * Scheduled missions (schedule.c). A completed mission with a schedule
 * (weekly, monthly, quarterly) gets a next run when due: a new mission with
 * the same request and settings, settings.previous_run = its id, queued as a
 * job; its report has a "What changed since the last run" section.
 * agents_schedule_tick creates the runs due now and returns how many;
 * agents_scheduler_start runs it every SCHEDULE_CHECK_SECONDS on a thread
 * (called by app_start_workers), agents_scheduler_stop joins it (before the
 * jobs are freed; idempotent, also done by agents_free).
 */
int agents_schedule_tick(agents_t *ag);
int agents_scheduler_start(agents_t *ag);
void agents_scheduler_stop(agents_t *ag);

/*
 * Progress 0..1, the one computation behind the API's "progress" and the
 * progress of live events: each phase has its share; research moves with
 * the top sections researched in the round (sections the round does not
 * need count as done), write with the sections drafted. settings gives
 * max_rounds, quality_target, max_reflections; flat the sections (may be
 * NULL), drafts {section_id: draft} (may be NULL); pending (may be NULL) a
 * section counted as done though its notes or draft are not committed yet.
 * Pure, thread-safe.
 */
double agents_progress(const char *status, const char *phase, int round, json_t *settings, json_t *flat, json_t *drafts,
                       const char *pending);
/* agents_progress() of a mission row, reading its sections and drafts. */
double agents_mission_progress(agents_t *ag, json_t *row);
/* The model calls of mission id in flight now, oldest first, as the
 * call_started events gave them plus "in_flight": true. New reference. */
json_t *agents_inflight_json(agents_t *ag, const char *id);

/* The outline as {"sections":[{id,title,questions,priority,quality,subsections}]}. */
json_t *agents_plan_json(agents_t *ag, const char *id);
/* Current drafts as {"sections":[{id,title,content,version}],"markdown"} with
 * [n] citations. */
json_t *agents_draft_json(agents_t *ag, const char *id);

#endif
