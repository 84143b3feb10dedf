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
