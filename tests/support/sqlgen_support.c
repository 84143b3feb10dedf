/* sqlgen_support.c - see sqlgen_support.h. */
#include "sqlgen_support.h"

#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "store/llm_calls.h"

void sqlgen_open(sqlgen_t *t, json_t *cfg, const char *rules) {
  memset(t, 0, sizeof *t);
  snprintf(t->dir, sizeof t->dir, "/tmp/maestro-sqlgen-XXXXXX");
  cr_assert(mkdtemp(t->dir));
  char *bin = util_strdup(MAESTRO_BINARY);
  char from[1024], to[1024];
  snprintf(from, sizeof from, "%s/plugins/sql.so", dirname(bin));
  free(bin);
  snprintf(to, sizeof to, "%s/sql.so", t->dir);
  cr_assert_eq(symlink(from, to), 0, "symlink %s", from);
  snprintf(to, sizeof to, "%s/sql.json", t->dir);
  cr_assert_eq(json_dump_file(cfg, to, 0), 0);
  json_decref(cfg);
  char e_dir[400], url[128], e_url[200];
  snprintf(e_dir, sizeof e_dir, "PLUGINS_DIR=%s", t->dir);
  const char *env[] = {e_dir, "LLM_MAX_RETRIES=1", NULL, NULL, NULL};
  if (rules) {
    cr_assert_eq(llmsup_fake_start(&t->fake, rules), 0, "the fake model did not start");
    t->have_fake = 1;
    snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=%s", llmsup_url(&t->fake, "", url, sizeof url));
    env[2] = e_url;
    env[3] = "MODEL_NAME=fake-model";
  }
  t->a = llmsup_app(env);
  t->pl = plugins_load(t->a->app->cfg);
  plugins_attach_llm(t->pl, t->a->app->llm);
}

int sqlgen_search(sqlgen_t *t, const char *q, json_t **ps, json_t **warns, char *err, size_t errlen) {
  plugins_caller_t who = {.user_id = t->a->user_id, .mission_id = SQLGEN_MISSION};
  return plugins_search_as(t->pl, &who, "plugin:sql/sql", q, 5, ps, warns, err, errlen);
}

json_t *sqlgen_calls(sqlgen_t *t) {
  return store_llm_calls_list_mission(t->a->app->store, SQLGEN_MISSION, 0, 0);
}

void sqlgen_close(sqlgen_t *t) {
  plugins_free(t->pl);
  llmsup_app_free(t->a);
  if (t->have_fake) llmsup_fake_stop(&t->fake);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", t->dir);
}

char *sqlgen_rules(const char *first, const char *again) {
  json_t *r = json_pack("{s:[{s:s, s:{s:s}, s:s}, {s:s, s:{s:s}, s:s}]}", "rules", "name", "reask", "match", "content",
                        "That query was refused", "text", again, "name", "question", "match", "content",
                        "Question:", "text", first);
  cr_assert(r);
  char *s = json_dumps(r, JSON_COMPACT);
  json_decref(r);
  return s;
}
