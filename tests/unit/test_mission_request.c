/* test_mission_request.c - the request a scheduled run or a CLI replay
 * makes from a stored mission: the same question, sources and settings. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "agents/agents.h"

static json_t *row_with(const char *group) {
  json_t *row = json_pack("{s:s, s:s, s:s, s:[s,s], s:[s], s:{s:s, s:i}, s:s, s:s}", "id", "0123456789abcdef", "title",
                          "Tidal power", "description", "What limits it?", "questions", "cost", "grid", "sources",
                          "local_documents", "settings", "depth", "deep", "max_rounds", 3, "schedule", "weekly",
                          "user_id", "fedcba9876543210");
  json_object_set_new(row, "group_id", group ? json_string(group) : json_null());
  return row;
}

Test(mission_request, same_request_as_the_stored_mission) {
  json_t *row = row_with("aaaaaaaaaaaaaaaa");
  json_t *req = agents_mission_request_from_row(row);
  cr_assert_str_eq(json_string_value(json_object_get(req, "title")), "Tidal power");
  cr_assert_str_eq(json_string_value(json_object_get(req, "description")), "What limits it?");
  cr_assert(json_equal(json_object_get(req, "research_questions"), json_object_get(row, "questions")));
  cr_assert(json_equal(json_object_get(req, "sources"), json_object_get(row, "sources")));
  cr_assert(json_equal(json_object_get(req, "settings"), json_object_get(row, "settings")));
  cr_assert_str_eq(json_string_value(json_object_get(req, "group_id")), "aaaaaaaaaaaaaaaa");
  cr_assert(json_is_true(json_object_get(req, "allow_empty")), "the owner accepted these sources before");
  cr_assert_null(json_object_get(req, "schedule"), "a replay is not scheduled: the scheduler adds it itself");
  cr_assert_null(json_object_get(req, "id"));
  /* the request is the caller's to change */
  json_object_set_new(json_object_get(req, "settings"), "previous_run", json_string("0123456789abcdef"));
  cr_assert_null(json_object_get(json_object_get(row, "settings"), "previous_run"), "the row was changed");
  json_decref(req);
  json_decref(row);
}

Test(mission_request, no_group_and_no_settings) {
  json_t *row = row_with(NULL);
  json_object_del(row, "settings");
  json_t *req = agents_mission_request_from_row(row);
  cr_assert_null(json_object_get(req, "group_id"), "a null group is no group");
  cr_assert(json_is_object(json_object_get(req, "settings")) && !json_object_size(json_object_get(req, "settings")));
  json_decref(req);
  json_decref(row);
}
