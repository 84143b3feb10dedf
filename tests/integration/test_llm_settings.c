/* test_llm_settings.c - the settings API on the real server: model endpoints
 * per user, API keys sealed at rest and never returned, test-connection and
 * the model list against the fake model server. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "llm_support.h"
#include "server_support.h"

#define KEY "sk-live-SECRET-abcdef0123456789"

static ts_server_t srv;
static llmsup_fake_t fake;
static char *admin;

static void start(void) {
  cr_assert_eq(llmsup_fake_start(&fake, "{\"require_api_key\":\"" KEY "\",\"models\":[\"fake-model\",\"fake-embed\"]}"), 0);
  /* The environment points at the fake without a key: only the user's
   * settings make calls work, which shows the sealed key is used. */
  char url[128], e1[200];
  snprintf(e1, sizeof e1, "LOCAL_MODEL_URL=%s", llmsup_url(&fake, "/v1", url, sizeof url));
  const char *env[] = {e1, "MODEL_NAME=fake-model", "EMBEDDING_MODEL=fake-embed", "LLM_MAX_RETRIES=0", NULL};
  cr_assert_eq(ts_server_start(&srv, env), 0, "server did not start");
  admin = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(admin);
}

static void stop(void) {
  free(admin);
  ts_server_stop(&srv);
  llmsup_fake_stop(&fake);
}

TestSuite(settings, .init = start, .fini = stop, .timeout = 120);

static int file_contains(const char *path, const char *needle) {
  size_t len = 0;
  char *d = util_read_file(path, &len);
  if (!d) return 0;
  int found = memmem(d, len, needle, strlen(needle)) != NULL;
  free(d);
  return found;
}

Test(settings, keys_sealed_masked_and_used) {
  long st;
  char url[128];
  json_t *test = json_pack("{s:s}", "kind", "llm");
  json_t *rep = ts_json(&srv, "POST", "/api/settings/test-connection", admin, test, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_false(json_object_get(rep, "ok")), "no key yet: the fake must refuse");
  cr_assert(strstr(json_string_value(json_object_get(rep, "error")), "401"), "%s",
            json_string_value(json_object_get(rep, "error")));
  json_decref(rep);

  json_t *put = json_pack("{s:{s:{s:s, s:s, s:s}, s:{s:s}}}", "models", "default", "provider", "openai", "base_url",
                          llmsup_url(&fake, "/v1", url, sizeof url), "api_key", KEY, "fast", "model", "fake-model");
  json_t *j = ts_json(&srv, "PUT", "/api/settings", admin, put, &st);
  cr_assert_eq(st, 200);
  char *s = json_dumps(j, 0);
  cr_assert_null(strstr(s, "SECRET"), "PUT echoed the key: %s", s);
  json_t *def = json_object_get(json_object_get(j, "models"), "default");
  cr_assert_str_eq(json_string_value(json_object_get(def, "api_key")), "********");
  cr_assert(json_is_true(json_object_get(def, "api_key_set")));
  cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(j, "effective"), "fast"), "api_key_set")));
  free(s);
  json_decref(j);

  j = ts_json(&srv, "GET", "/api/settings", admin, NULL, &st);
  cr_assert_eq(st, 200);
  s = json_dumps(j, 0);
  cr_assert_null(strstr(s, "SECRET"), "GET returned the key: %s", s);
  cr_assert_null(strstr(s, "api_key_enc"), "GET returned the ciphertext: %s", s);
  free(s);

  /* Sending the masked document back keeps the key. */
  json_t *back = json_pack("{s:O}", "models", json_object_get(j, "models"));
  json_decref(j);
  j = ts_json(&srv, "PUT", "/api/settings", admin, back, &st);
  cr_assert_eq(st, 200);
  json_decref(j);
  json_decref(back);

  rep = ts_json(&srv, "POST", "/api/settings/test-connection", admin, test, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(rep, "ok")), "%s", json_string_value(json_object_get(rep, "error")));
  cr_assert(json_is_true(json_object_get(rep, "model_found")));
  json_decref(rep);

  json_t *emb = json_pack("{s:s}", "kind", "embedding");
  rep = ts_json(&srv, "POST", "/api/settings/test-connection", admin, emb, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(rep, "ok")), "%s", json_string_value(json_object_get(rep, "error")));
  cr_assert_eq(json_integer_value(json_object_get(rep, "dimension")), 64);
  json_decref(rep);
  json_decref(emb);

  j = ts_json(&srv, "GET", "/api/settings/models?endpoint=fast", admin, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_array_size(json_object_get(j, "models")), 2);
  json_decref(j);

  /* Nowhere on disk or in the log in clear. */
  char path[400];
  snprintf(path, sizeof path, "%s/data/maestro.db", srv.dir);
  cr_assert_not(file_contains(path, "SECRET"));
  snprintf(path, sizeof path, "%s/data/maestro.db-wal", srv.dir);
  cr_assert_not(file_contains(path, "SECRET"));
  cr_assert_not(file_contains(srv.log, "SECRET"));
  json_decref(put);
  json_decref(test);
}

Test(settings, unsaved_endpoint_can_be_tested) {
  long st;
  char url[128];
  json_t *test = json_pack("{s:s, s:{s:s, s:s, s:s}}", "kind", "llm", "endpoint", "base_url",
                           llmsup_url(&fake, "", url, sizeof url), "provider", "ollama", "api_key", KEY);
  json_t *rep = ts_json(&srv, "POST", "/api/settings/test-connection", admin, test, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(rep, "ok")), "%s", json_string_value(json_object_get(rep, "error")));
  cr_assert_str_eq(json_string_value(json_object_get(rep, "provider")), "ollama");
  json_decref(rep);
  json_decref(test);
}

Test(settings, invalid_input_is_refused) {
  long st;
  const char *bad[] = {
      "{\"models\":{\"default\":{\"base_url\":\"ftp://x\"}}}",
      "{\"models\":{\"default\":{\"temperature\":7}}}",
      "{\"models\":{\"cheap\":{}}}",
      "{\"models\":{\"default\":{\"headers\":{\"X-A\":\"a\\r\\nInjected: 1\"}}}}",
      "{\"colour\":{}}",
      "{\"models\":[]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *b = json_loads(bad[i], 0, NULL);
    cr_assert(b);
    json_t *j = ts_json(&srv, "PUT", "/api/settings", admin, b, &st);
    cr_assert_eq(st, 422, "case %zu: %ld", i, st);
    json_decref(j);
    json_decref(b);
  }
  json_t *j = ts_json(&srv, "GET", "/api/settings/models?endpoint=nope", admin, NULL, &st);
  cr_assert_eq(st, 400);
  json_decref(j);
  j = ts_json(&srv, "GET", "/api/settings", NULL, NULL, &st);
  cr_assert_eq(st, 401);
  json_decref(j);
}
