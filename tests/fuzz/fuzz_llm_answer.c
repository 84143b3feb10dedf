/*
 * fuzz_llm_answer.c - answers of model endpoints, through the real calls
 * (llm_chat, llm_embed, llm_list_models, llm_rerank) with the HTTP transfer
 * answered by the input (fuzz_support.c wraps xfer_perform). The first
 * byte picks the call and provider, the second the HTTP status; the rest is
 * the answer body (a JSON document, an SSE or an NDJSON stream).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "fuzz_support.h"
#include "llm/llm_internal.h"

static llm_t *openai, *ollama;
static json_t *schema;

static llm_t *make(const char *const *env) {
  static const char *vars[] = {
      "OPENAI_API_KEY", "OPENAI_BASE_URL", "LOCAL_MODEL_URL", "MODEL_NAME", "EMBEDDING_MODEL", "RERANK_URL", NULL};
  for (const char *const *v = vars; *v; v++) unsetenv(*v);
  for (const char *const *e = env; *e; e++) fz_setenv(*e);
  char err[512];
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  if (!cfg) abort();
  llm_t *l = llm_new(cfg, NULL, NULL, err, sizeof err); /* no store: no call records */
  if (!l) {
    fprintf(stderr, "fuzz: llm_new: %s\n", err);
    abort();
  }
  l->max_retries = 0;
  l->retry_base_ms = 1;
  return l;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  char dir[300];
  fz_tmpdir(dir, sizeof dir);
  setenv("DATA_DIR", dir, 1);
  setenv("LOG_LEVEL", "error", 1);
  const char *o[] = {"OPENAI_API_KEY=sk-fuzz", "OPENAI_BASE_URL=http://127.0.0.1:9/v1",   "MODEL_NAME=m",
                     "EMBEDDING_MODEL=e",      "RERANK_URL=http://127.0.0.1:9/v1/rerank", NULL};
  openai = make(o);
  const char *l[] = {"LOCAL_MODEL_URL=http://127.0.0.1:9", "MODEL_NAME=m", "EMBEDDING_MODEL=e", NULL};
  ollama = make(l);
  schema = json_loads("{\"type\":\"object\",\"required\":[\"title\"],\"properties\":{\"title\":{\"type\":\"string\"}}}",
                      0, NULL);
  return 0;
}

static int on_token(void *ud, const char *text, size_t len) {
  (void)ud, (void)text, (void)len;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  static const long statuses[] = {200, 200, 200, 200, 200, 200, 400, 401, 404, 422, 429, 500, 503, 201, 302, 0};
  if (len < 2) return 0;
  int what = data[0] % 12;
  llm_t *l = what & 1 ? ollama : openai;
  fz_answer(data + 2, len - 2, statuses[data[1] % 16]);
  char err[1024];
  switch (what / 2) {
    case 0:   /* chat, whole answer, structured */
    case 1: { /* chat, streamed */
      llm_message_t msgs[] = {{"system", "You plan."}, {"user", "Plan a report."}};
      llm_request_t req = {0};
      req.tier = LLM_TIER_FAST;
      req.messages = msgs;
      req.nmessages = 2;
      req.temperature = -1;
      req.cache = LLM_CACHE_OFF;
      if (what / 2 == 0)
        req.json_schema = schema;
      else
        req.on_token = on_token;
      llm_response_t resp;
      if (llm_chat(l, &req, &resp, err, sizeof err) == 0) {
        FZ_ASSERT(resp.text != NULL);
        llm_response_free(&resp);
      }
      break;
    }
    case 2:
    case 3: { /* embeddings (one text, three texts) */
      const char *texts[] = {"alpha", "beta", "gamma"};
      float *vec = NULL;
      int dim = 0;
      size_t n = what / 2 == 2 ? 1 : 3;
      if (llm_embed(l, NULL, texts, n, &vec, &dim, NULL, err, sizeof err) == 0) FZ_ASSERT(vec && dim > 0);
      free(vec);
      break;
    }
    case 4: { /* model list */
      llm_endpoint_t ep;
      if (llm_resolve(l, NULL, LLM_TIER_FAST, &ep, err, sizeof err) != 0) abort();
      json_t *names = NULL;
      if (llm_list_models(l, &ep, &names, err, sizeof err) == 0) FZ_ASSERT(json_is_array(names));
      json_decref(names);
      break;
    }
    case 5: { /* rerank (OpenAI-side settings only) */
      const char *docs[] = {"one", "two", "three"};
      double scores[3];
      llm_rerank(openai, NULL, "query", docs, 3, scores, err, sizeof err);
      break;
    }
  }
  return 0;
}
