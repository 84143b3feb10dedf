/*
 * Pause and resume at once, while a model call is still in flight: the old
 * run must wind down and the resumed mission must run to completion (it used
 * to stay queued forever, since the still-running job hid the need for a new
 * one).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mission_support.h"

Test(missions_resume, resume_right_after_pause_completes, .timeout = 180) {
  ms_start(0, "\"delay\":1.5,", NULL);
  char *id = ms_create("Resume at once", 0, NULL);
  cr_assert(ms_wait_for(id, "running", "research", 60), "mission did not reach research");
  ms_post(id, "pause", 200);
  ms_post(id, "resume", 200);
  cr_expect(ms_wait_for(id, "completed", NULL, 120), "the resumed mission did not complete");
  ms_check_notes(id);
  char *md = ms_report(id, "md");
  cr_expect(strstr(md, "- Models: fake-model\n") != NULL, "the run record names the model plainly");
  free(md);
  free(id);
  ms_stop_all();
}

/* A model that answers malformed JSON once: the agent re-asks and the
 * mission completes with its notes. */
Test(missions_resume, one_malformed_answer_is_recovered_by_a_re_ask, .timeout = 180) {
  ms_start(0, "\"malformed\":true,\"fail_times\":1,", NULL);
  char *id = ms_create("Malformed once", 0, NULL);
  cr_expect(ms_wait_for(id, "completed", NULL, 120), "the mission did not recover from one malformed answer");
  ms_check_notes(id);
  free(id);
  ms_stop_all();
}

/* A model that only ever answers malformed JSON: after the model layer's
 * re-ask the research agent gives up on it and the extractive agent takes
 * the notes from the passages; the mission completes and says so. */
Test(missions_resume, always_malformed_falls_back_to_extractive_notes, .timeout = 180) {
  ms_start(0, "\"malformed\":true,", NULL);
  char *id = ms_create("Malformed always", 0, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 120), "the mission did not complete");
  json_t *m = ms_get(id, ms_token);
  cr_expect_str_eq(json_string_value(json_object_get(m, "outcome")), "ok");
  int fallback = 0;
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(m, "warnings"), i, w) {
    const char *msg = json_string_value(json_object_get(w, "message"));
    if (!strcmp(json_string_value(json_object_get(w, "code")), "fallback") && strstr(msg, "researcher") &&
        strstr(msg, "invalid structured output"))
      fallback = 1;
  }
  cr_expect(fallback, "no fallback warning naming the researcher and the JSON problem");
  json_decref(m);
  ms_check_notes(id);
  free(id);
  ms_stop_all();
}
