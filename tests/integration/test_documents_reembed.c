/*
 * Changing EMBEDDING_MODEL re-embeds the library: documents ingested with
 * model A get vectors from model B after a restart, and vector search works
 * with B (it finds nothing for a model that has no vectors).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "llm_support.h"
#include "server_support.h"

static long vector_hits(ts_server_t *s, const char *token, const char *query, long *status) {
  json_t *body = json_pack("{s:s, s:i, s:s}", "query", query, "k", 3, "mode", "vector");
  json_t *r = ts_json(s, "POST", "/api/search", token, body, status);
  json_decref(body);
  long n = (long)json_array_size(json_object_get(r, "results"));
  json_decref(r);
  return n;
}

static long embed_calls_for(llmsup_fake_t *f, const char *model) {
  json_t *c = llmsup_fake_calls(f);
  long n = 0;
  size_t i;
  json_t *call;
  json_array_foreach(json_object_get(c, "calls"), i, call) {
    const char *path = json_string_value(json_object_get(call, "path"));
    const char *m = json_string_value(json_object_get(call, "model"));
    if (path && strstr(path, "embed") && m && !strcmp(m, model)) n++;
  }
  json_decref(c);
  return n;
}

Test(reembed, a_new_embedding_model_recomputes_the_vectors, .timeout = 180) {
  llmsup_fake_t fake;
  cr_assert_eq(llmsup_fake_start(&fake, "{\"embedding_dim\":32}"), 0);
  char url[128], e_url[200];
  llmsup_url(&fake, "", url, sizeof url);
  snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=%s", url);
  const char *env_a[] = {e_url, "MODEL_NAME=fake-model", "EMBEDDING_MODEL=embed-a", NULL};
  ts_server_t s;
  cr_assert_eq(ts_server_start(&s, env_a), 0);
  char *tok = ts_login(&s, "admin", "admin-pass-123");
  cr_assert_not_null(tok);
  char docs[300];
  snprintf(docs, sizeof docs, "%s/docs", s.dir);
  util_mkdirs(docs, 0755);
  char path[400];
  snprintf(path, sizeof path, "%s/alpha.md", docs);
  const char *text = "# Alpha\n\nAlpha particles are helium nuclei made of two protons and two neutrons.\n";
  util_write_file(path, text, strlen(text), 0644);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(s.dir, env_a, NULL, &out, "ingest", "--directory", "docs", NULL), 0, "%s", out);
  free(out);
  long st;
  cr_expect_geq(vector_hits(&s, tok, "helium nuclei", &st), 1, "vectors of model A are searchable (%ld)", st);
  cr_expect_geq(embed_calls_for(&fake, "embed-a"), 1);
  cr_assert_eq(embed_calls_for(&fake, "embed-b"), 0);
  cr_expect_eq(ts_server_stop(&s), 0);

  const char *env_b[] = {e_url, "MODEL_NAME=fake-model", "EMBEDDING_MODEL=embed-b", NULL};
  cr_assert_eq(ts_server_start_in(&s, s.dir, env_b), 0);
  int64_t deadline = util_mono_ms() + 60000;
  long hits = 0;
  while ((hits = vector_hits(&s, tok, "helium nuclei", &st)) < 1 && util_mono_ms() < deadline) util_sleep_ms(100);
  cr_expect_geq(hits, 1, "vector search with model B finds the document after re-embedding");
  cr_expect_geq(embed_calls_for(&fake, "embed-b"), 1, "the library was embedded again with model B");
  cr_expect_eq(ts_server_stop(&s), 0);
  free(tok);
  llmsup_fake_stop(&fake);
}
