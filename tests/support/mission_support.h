/*
 * mission_support.h - shared helpers of the mission integration tests
 * (tests/integration/test_missions*.c): the fixture document, the fake model
 * rules (one per agent role, matched on "role: <name>" in the system
 * prompt), a server + fake model started together with the fixture
 * ingested, and HTTP helpers on missions. One environment per test process
 * (the globals below); aborts the test on failure.
 */
#ifndef MAESTRO_TEST_MISSION_SUPPORT_H
#define MAESTRO_TEST_MISSION_SUPPORT_H

#include <jansson.h>
#include <stddef.h>

#include "llm_support.h"
#include "server_support.h"

/* The fixture document (docs/debian.md) every quote must come from. */
extern const char MS_DOC[];

extern llmsup_fake_t ms_fake;
extern ts_server_t ms_srv;
extern char *ms_token; /* the admin's access token */

/* The fake's rules; researcher_extra (may be NULL) is inserted into the
 * researcher rule (e.g. "\"delay\":0.4,"). */
void ms_rules(char *out, size_t n, const char *researcher_extra);
/* Starts the fake (unless offline) and the server (with extra_env,
 * "NAME=value" strings NULL-ended, or NULL, added to its environment),
 * ingests the fixture. */
void ms_start(int offline, const char *researcher_extra, const char *const *extra_env);
/* Starts the fake answering as tests/fakes/research_team.json (agents that
 * answer from their prompts) with a planner proposing sections (JSON array,
 * stolen), and the server; docs(dir) writes the library into dir, which is
 * ingested. */
void ms_start_team(json_t *sections, void (*docs)(const char *dir));
/* ms_start_team with extra_env ("NAME=value", NULL-ended, may be NULL). */
void ms_start_team_env(json_t *sections, void (*docs)(const char *dir), const char *const *extra_env);
/* ms_start_team_env with first_rules (a JSON array of fake rules, stolen,
 * may be NULL) tried before the team's. */
void ms_start_team_rules(json_t *sections, void (*docs)(const char *dir), const char *const *extra_env,
                         json_t *first_rules);
void ms_stop_all(void);
/* Environment for a CLI run against the fake ("NAME=value", NULL-ended,
 * static storage). */
const char *const *ms_cli_env(void);

/* POST /api/missions {title, one question, local_documents} (+ offline, +
 * schedule when not NULL); returns the malloc'd id. */
char *ms_create(const char *title, int offline, const char *schedule);
/* ms_create with settings (stolen, may be NULL). */
char *ms_create_with(const char *title, json_t *settings, const char *schedule);
json_t *ms_get(const char *id, const char *token);
/* Polls until status (NULL = any) and phase (NULL = any) match; 1 on time. */
int ms_wait_for(const char *id, const char *status, const char *phase, int seconds);
char *ms_report(const char *id, const char *fmt);
void ms_post(const char *id, const char *action, long want);
/* Every [n] before "## References" has a reference line "n. ". */
void ms_check_citations(const char *md);
/* The event sequence has no gap and every kind of event. */
void ms_check_events(const char *id);
json_t *ms_notes(const char *id);
/* Every quote is in MS_DOC, none fabricated, no duplicates. */
void ms_check_notes(const char *id);

#endif
