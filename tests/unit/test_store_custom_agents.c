/*
 * The custom agents store (store/custom_agents.h) on both backends: every
 * change of a definition is a new version and the old ones stay readable;
 * saving the same definition again adds none (a restart re-reading
 * AGENTS_DIR); disabling keeps the history; a mission's runs record which
 * version ran, a re-run step replaces its row, and they go with the mission.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "base/log.h"
#include "pg.h"
#include "store/custom_agents.h"
#include "store/db.h"
#include "store/store.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(custom_agents_store, .init = quiet);

static json_t *def(const char *prompt, const char *position) {
  return json_pack("{s:s, s:s, s:[s], s:[], s:s}", "description", "checks figures", "prompt", prompt, "sources",
                   "local_documents", "tools", "position", position);
}

BOTH_BACKENDS(custom_agents_store, every_change_is_a_new_version) {
  json_t *d1 = def("You check figures (role: checker).", "after_research");
  int64_t v = 0;
  int changed = 0;
  cr_assert_eq(store_cagent_put(st, "checker", d1, "ui", "admin1", &v, &changed), STORE_OK);
  cr_expect_eq(v, 1);
  cr_expect(changed);
  /* the same definition again (a restart re-reading the file): no new version */
  cr_assert_eq(store_cagent_put(st, "checker", d1, "file", "file:checker.json", &v, &changed), STORE_OK);
  cr_expect_eq(v, 1);
  cr_expect_not(changed);
  json_t *d2 = def("You check figures twice (role: checker).", "before_writing");
  cr_assert_eq(store_cagent_put(st, "checker", d2, "file", "file:checker.json", &v, &changed), STORE_OK);
  cr_expect_eq(v, 2);
  cr_expect(changed);

  json_t *a = NULL;
  cr_assert_eq(store_cagent_get(st, "checker", 0, &a), STORE_OK);
  cr_expect_eq(json_integer_value(json_object_get(a, "version")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(a, "origin")), "file");
  cr_expect(json_equal(json_object_get(a, "definition"), d2), "the current definition as saved");
  json_decref(a);
  cr_assert_eq(store_cagent_get(st, "checker", 1, &a), STORE_OK, "an old version stays readable");
  cr_expect(json_equal(json_object_get(a, "definition"), d1));
  cr_expect_eq(json_integer_value(json_object_get(a, "version")), 1);
  json_decref(a);
  cr_expect_eq(store_cagent_get(st, "checker", 9, &a), STORE_NOT_FOUND);
  cr_expect_eq(store_cagent_get(st, "nobody", 0, &a), STORE_NOT_FOUND);

  json_t *vs = store_cagent_versions(st, "checker");
  cr_assert_eq(json_array_size(vs), 2);
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(vs, 0), "version")), 2, "newest first");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(vs, 0), "author")), "file:checker.json");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(vs, 1), "author")), "admin1");
  json_decref(vs);

  /* disabled: listed as such, history kept; a new version keeps it disabled */
  cr_assert_eq(store_cagent_set_disabled(st, "checker", 1), STORE_OK);
  cr_expect_eq(store_cagent_set_disabled(st, "nobody", 1), STORE_NOT_FOUND);
  cr_assert_eq(store_cagent_put(st, "checker", d1, "ui", "admin1", &v, &changed), STORE_OK);
  cr_expect_eq(v, 3, "going back to an old text is a change too");
  json_t *list = store_cagent_list(st);
  cr_assert_eq(json_array_size(list), 1);
  json_t *one = json_array_get(list, 0);
  cr_expect_str_eq(json_string_value(json_object_get(one, "name")), "checker");
  cr_expect(json_is_true(json_object_get(one, "disabled")));
  cr_expect_eq(json_integer_value(json_object_get(one, "version")), 3);
  json_decref(list);
  cr_assert_eq(store_cagent_set_disabled(st, "checker", 0), STORE_OK);
  list = store_cagent_list(st);
  cr_expect(json_is_false(json_object_get(json_array_get(list, 0), "disabled")));
  json_decref(list);
  json_decref(d1);
  json_decref(d2);
}

static void a_mission(store_t *st, const char *id) {
  cr_assert_eq(db_run(st, "user",
                      "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                      "VALUES ('u1', 'u1', 'x', 'researcher', 1, 1) ON CONFLICT (id) DO NOTHING",
                      DB_NOARGS, NULL),
               STORE_OK);
  cr_assert_eq(db_run(st, "mission",
                      "INSERT INTO missions (id, user_id, title, created_at, updated_at) VALUES (?, 'u1', 't', 1, 1)",
                      DB_ARGS(DB_TEXT(id)), NULL),
               STORE_OK);
}

BOTH_BACKENDS(custom_agents_store, runs_record_the_version_that_ran) {
  a_mission(st, "m1");
  a_mission(st, "m2");
  json_t *r1 = json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:{s:s, s:i}}", "agent", "checker", "version", 2, "position",
                         "after_research", "section_id", "s1", "round", 1, "status", "ran", "output", "critique",
                         "The figures agree.", "notes_added", 1);
  json_t *r2 = json_pack("{s:s, s:i, s:s, s:s, s:s}", "agent", "editor", "version", 1, "position", "before_writing",
                         "status", "skipped", "reason", "no model is configured");
  cr_assert_eq(store_cagent_run_put(st, "m1", r1), STORE_OK);
  cr_assert_eq(store_cagent_run_put(st, "m1", r2), STORE_OK);
  /* the same step again (a crash and a re-run): replaced, not doubled */
  json_object_set_new(json_object_get(r1, "output"), "critique", json_string("The figures still agree."));
  cr_assert_eq(store_cagent_run_put(st, "m1", r1), STORE_OK);
  json_t *runs = store_cagent_runs(st, "m1");
  cr_assert_eq(json_array_size(runs), 2, "%s", json_dumps(runs, 0));
  json_t *a = NULL, *b = NULL;
  for (size_t i = 0; i < 2; i++) {
    json_t *r = json_array_get(runs, i);
    if (!strcmp(json_string_value(json_object_get(r, "agent")), "checker"))
      a = r;
    else
      b = r;
  }
  cr_assert(a && b);
  cr_expect_eq(json_integer_value(json_object_get(a, "version")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(a, "section_id")), "s1");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(a, "output"), "critique")),
                   "The figures still agree.");
  cr_expect_str_eq(json_string_value(json_object_get(b, "status")), "skipped");
  cr_expect_str_eq(json_string_value(json_object_get(b, "reason")), "no model is configured");
  cr_expect_null(json_object_get(b, "section_id"));
  json_decref(runs);
  runs = store_cagent_runs(st, "m2");
  cr_expect_eq(json_array_size(runs), 0, "another mission's runs are its own");
  json_decref(runs);
  /* deleting the mission deletes its runs */
  cr_assert_eq(db_run(st, "delete", "DELETE FROM missions WHERE id = 'm1'", DB_NOARGS, NULL), STORE_OK);
  runs = store_cagent_runs(st, "m1");
  cr_expect_eq(json_array_size(runs), 0);
  json_decref(runs);
  json_decref(r1);
  json_decref(r2);
}
