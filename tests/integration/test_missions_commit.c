/*
 * test_missions_commit.c - a mission step whose write fails does not move
 * the mission on: the verifier's corrected drafts that cannot be saved fail
 * the mission (with the phase named) instead of assembling a report from the
 * drafts the verifier had rejected.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mission_support.h"

/* Makes every insert of a verified draft fail, as a full disk would. */
static void refuse_verified_drafts(void) {
  char path[400];
  snprintf(path, sizeof path, "%s/data/maestro.db", ms_srv.dir);
  sqlite3 *db = NULL;
  cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK, "%s", path);
  sqlite3_busy_timeout(db, 5000);
  char *e = NULL;
  int rc = sqlite3_exec(db,
                        "CREATE TRIGGER test_refuse_verified BEFORE INSERT ON mission_drafts "
                        "WHEN NEW.kind = 'verified' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                        NULL, NULL, &e);
  cr_assert_eq(rc, SQLITE_OK, "%s", e ? e : "");
  sqlite3_close(db);
}

Test(missions_commit, failed_verified_draft_write_fails_the_mission, .timeout = 120) {
  ms_start(0, NULL, NULL);
  refuse_verified_drafts();
  char *id = ms_create("How Debian keeps systems secure", 0, NULL);
  cr_assert(ms_wait_for(id, "failed", NULL, 60), "a mission whose verified drafts were not saved did not fail");
  json_t *row = ms_get(id, ms_token);
  const char *err = json_string_value(json_object_get(row, "error"));
  cr_assert(err && strstr(err, "verify"), "the error names the step: %s", err ? err : "(none)");
  cr_assert_str_neq(json_string_value(json_object_get(row, "phase")), "assemble", "the next phase was committed");
  json_decref(row);
  free(id);
  ms_stop_all();
}
