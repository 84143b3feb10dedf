/*
 * sqlgen_support.h - the shipped sql plugin in process with the fake model:
 * a PLUGINS_DIR holding sql.so and the sql.json a test gives, an app with
 * the model layer (tests/support/llm_support.h) pointed at the fake model
 * (or at none, offline), and searches made on behalf of the app's user
 * under a mission id, so the plugin's model calls are recorded like an
 * agent's.
 */
#ifndef MAESTRO_TEST_SQLGEN_SUPPORT_H
#define MAESTRO_TEST_SQLGEN_SUPPORT_H

#include <jansson.h>

#include "llm_support.h"
#include "plugins/plugins.h"

#define SQLGEN_MISSION "sqlgen-mission-1"

typedef struct {
  llmsup_fake_t fake;
  int have_fake;
  llmsup_app_t *a;
  plugins_t *pl;
  char dir[256]; /* the PLUGINS_DIR */
} sqlgen_t;

/* A PLUGINS_DIR with sql.so and sql.json (cfg is stolen), the fake model
 * started with rules (NULL: no model configured), the app and the plugins.
 * Aborts the test on failure. */
void sqlgen_open(sqlgen_t *t, json_t *cfg, const char *rules);
/* Searches plugin:sql/sql for q on behalf of the app's user in
 * SQLGEN_MISSION: plugins_search_as's result; *ps and *warns are new
 * references (NULL on failure). */
int sqlgen_search(sqlgen_t *t, const char *q, json_t **ps, json_t **warns, char *err, size_t errlen);
/* The model calls recorded for SQLGEN_MISSION (new reference). */
json_t *sqlgen_calls(sqlgen_t *t);
void sqlgen_close(sqlgen_t *t);
/* Fake model rules: a question gets `first`, the re-ask after a refused
 * query gets `again` (malloc'd JSON text). */
char *sqlgen_rules(const char *first, const char *again);

#endif
