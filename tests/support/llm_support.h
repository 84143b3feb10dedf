/*
 * llm_support.h - test helpers for anything that needs a model: the fake
 * model server (tests/fakes/fake_llm.py) driven from C, and a minimal app_t
 * (config from the environment, a fresh SQLite store, the llm context)
 * without the HTTP server.
 *
 * Typical use:
 *   llmsup_fake_t f;
 *   cr_assert(llmsup_fake_start(&f, "{\"rules\":[{\"match\":{\"content\":\"plan\"},\"json\":{...}}]}") == 0);
 *   const char *env[] = {"LOCAL_MODEL_URL=...", NULL};   // llmsup_url(&f, "/v1") builds it
 *   llmsup_app_t *a = llmsup_app(env);
 *   ... llm_chat(a->app->llm, ...) ...
 *   json_t *calls = llmsup_fake_calls(&f);   // {"total", "by_rule", "max_inflight", "calls": [...]}
 */
#ifndef MAESTRO_TEST_LLM_SUPPORT_H
#define MAESTRO_TEST_LLM_SUPPORT_H

#include <jansson.h>
#include <sys/types.h>

#include "app.h"

typedef struct {
  pid_t pid;
  int port;
  char rules_path[300];
} llmsup_fake_t;

/* Starts the fake with the given rules (a JSON text; NULL = defaults only).
 * 0 on success. */
int llmsup_fake_start(llmsup_fake_t *f, const char *rules_json);
/* Kills and reaps it; accepts a stopped one. */
void llmsup_fake_stop(llmsup_fake_t *f);
/* "http://127.0.0.1:PORT" + suffix, in a static-per-call buffer owned by f's caller: out (>= 128 bytes). */
const char *llmsup_url(const llmsup_fake_t *f, const char *suffix, char *out, size_t n);
/* GET /_calls (new reference, NULL on error). */
json_t *llmsup_fake_calls(const llmsup_fake_t *f);
/* Number of calls the fake has seen (all kinds), -1 on error. */
long llmsup_fake_total(const llmsup_fake_t *f);
/* Replaces the rules (POST /_rules); 0 on success. */
int llmsup_fake_rules(const llmsup_fake_t *f, const char *rules_json);
/* Clears counters (POST /_reset). */
int llmsup_fake_reset(const llmsup_fake_t *f);

/* Unsets every model-related variable (and DATA_DIR/DATABASE_URL), so a test
 * starts from the defaults whatever the environment holds. */
void llmsup_clear_env(void);

typedef struct {
  app_t *app; /* cfg, store and llm set; no HTTP, no jobs started */
  char dir[256];
  char user_id[17]; /* a researcher created in the store */
} llmsup_app_t;

/* Clears every model-related variable, sets env ("NAME=value", NULL-ended),
 * sets DATA_DIR/DATABASE_URL to a fresh temp dir, and builds the app. Aborts
 * the test on failure. */
llmsup_app_t *llmsup_app(const char *const *env);
void llmsup_app_free(llmsup_app_t *a);

#endif
