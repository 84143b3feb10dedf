/* test_agents_errors.c - the agents say why they refuse in their own terms
 * (agents_err_t); the API turns each into its HTTP status. */
#include <criterion/criterion.h>
#include <string.h>

#include "agents/agents.h"
#include "inproc.h"

Test(agents_errors, refusals_carry_the_agents_reason) {
  inproc_t p;
  inproc_open(&p, NULL);
  char uid[17], other[17], mid[17], err[512] = "";
  char *tok = NULL, *tok2 = NULL;
  inproc_user(&p, "alice", "researcher", uid, &tok);
  inproc_user(&p, "mallory", "researcher", other, &tok2);
  agents_err_t why = AGENTS_OK;
  json_t *bad = json_pack("{s:i, s:[s]}", "title", 5, "research_questions", "why?");
  cr_assert_eq(agents_mission_create(p.app->agents, uid, bad, 0, mid, &why, err, sizeof err, NULL), -1);
  cr_assert_eq(why, AGENTS_E_INVALID);
  cr_assert(strstr(err, "title"), "%s", err);
  json_decref(bad);
  json_t *req = json_pack("{s:s, s:[s], s:[s], s:b}", "title", "Tides", "research_questions", "What limits tidal power?",
                          "sources", "local_documents", "allow_empty", 1);
  cr_assert_eq(agents_mission_create(p.app->agents, uid, req, 0, mid, &why, err, sizeof err, NULL), 0, "%s", err);
  json_decref(req);
  why = AGENTS_OK;
  cr_assert_eq(agents_mission_pause(p.app->agents, other, mid, &why, err, sizeof err), -1);
  cr_assert_eq(why, AGENTS_E_NOT_FOUND, "another user's mission is not found");
  cr_assert_eq(agents_mission_stop(p.app->agents, uid, mid, &why, err, sizeof err), 0, "%s", err);
  why = AGENTS_OK;
  cr_assert_eq(agents_mission_pause(p.app->agents, uid, mid, &why, err, sizeof err), -1);
  cr_assert_eq(why, AGENTS_E_CONFLICT, "a stopped mission cannot be paused: %s", err);
  free(tok);
  free(tok2);
  inproc_close(&p);
}
