/*
 * Embeddings are cached by model and text: the same text is not sent twice,
 * a replay is answered from the cache with the endpoint gone, and a text that
 * is not cached is a clear replay error rather than a live call.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "llm_support.h"

static llmsup_fake_t fake;
static llmsup_app_t *A;

static void setup(void) {
  cr_assert(llmsup_fake_start(&fake, "{\"embedding_dim\":24}") == 0, "fake did not start");
  char url[128], e1[200];
  llmsup_url(&fake, "", url, sizeof url);
  snprintf(e1, sizeof e1, "LOCAL_MODEL_URL=%s", url);
  const char *env[] = {e1, "MODEL_NAME=fake-model", "EMBEDDING_MODEL=fake-embed", "LLM_MAX_RETRIES=0", NULL};
  A = llmsup_app(env);
}

static void teardown(void) {
  llmsup_app_free(A);
  llmsup_fake_stop(&fake);
}

TestSuite(embed_cache, .init = setup, .fini = teardown, .timeout = 60);

static long embed_calls(void) {
  json_t *c = llmsup_fake_calls(&fake);
  long n = 0;
  json_t *by = json_object_get(c, "by_path");
  const char *k;
  json_t *v;
  json_object_foreach(by, k, v) if (strstr(k, "embed")) n += (long)json_integer_value(v);
  json_decref(c);
  return n;
}

Test(embed_cache, same_text_is_embedded_once_and_replay_needs_no_endpoint) {
  const char *texts[] = {"Debian is a free operating system.", "Alpha particles are helium nuclei."};
  float *v1 = NULL, *v2 = NULL;
  int d1 = 0, d2 = 0;
  char err[512];
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, texts, 2, &v1, &d1, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_eq(d1, 24);
  long after_first = embed_calls();
  cr_expect(after_first >= 1);
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, texts, 2, &v2, &d2, NULL, err, sizeof err), 0, "%s", err);
  cr_expect_eq(embed_calls(), after_first, "the second request was answered from the cache");
  cr_assert_eq(d2, d1);
  for (int i = 0; i < 2 * d1; i++) cr_expect(fabsf(v1[i] - v2[i]) < 1e-6f, "same vectors");
  free(v2);
  v2 = NULL;

  /* a mix: one cached text and one new one; only the new one goes out */
  const char *mix[] = {texts[1], "Beta decay emits electrons."};
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, mix, 2, &v2, &d2, NULL, err, sizeof err), 0, "%s", err);
  cr_expect_eq(embed_calls(), after_first + 1);
  for (int i = 0; i < d1; i++) cr_expect(fabsf(v2[i] - v1[d1 + i]) < 1e-6f, "cached row kept its place");
  free(v2);
  v2 = NULL;

  /* replay with the endpoint gone */
  llmsup_fake_stop(&fake);
  llm_set_replay(A->app->llm, "some-mission");
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, texts, 2, &v2, &d2, NULL, err, sizeof err), 0, "%s", err);
  free(v2);
  v2 = NULL;
  const char *unknown[] = {"Never seen before."};
  int rc = llm_embed(A->app->llm, A->user_id, unknown, 1, &v2, &d2, NULL, err, sizeof err);
  cr_expect_eq(rc, LLM_ERR_REPLAY_MISS, "a text outside the record is an error, not a live call");
  cr_expect(strstr(err, "not in the record") != NULL, "%s", err);
  cr_expect_null(v2);
  llm_set_replay(A->app->llm, NULL);
  free(v1);
}
