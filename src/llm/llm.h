/*
 * llm.h - the model layer: the only way Maestro talks to language models.
 *
 * One context (llm_t, created once per app) serves every caller. A call names
 * a role tier (fast / mid / intelligent / verifier); the tier resolves to an
 * endpoint (provider, base URL, API key, model, temperature, token limits,
 * context window) from three layers, each over the one before: the
 * environment, the server defaults an admin sets (GET|PUT
 * /api/admin/settings), and the user's own "models" settings document (see
 * docs/models.md). Two providers sit behind the same
 * call: OpenAI-compatible (/chat/completions, /embeddings, /models under the
 * base URL, which includes /v1) and Ollama native (/api/chat, /api/embed,
 * /api/tags; num_ctx is always sent).
 *
 * What llm_chat() does for every call, in order:
 *   1. request hash (of what the caller asked: tier, messages, options,
 *      schema - not of the endpoint, so a replay needs no endpoint at all);
 *   2. replay mode: answer from the recorded call or fail (never a live call);
 *   3. cache (default on when mission_id is set): reuse a stored answer of the
 *      same hash within the same mission;
 *   4. concurrency slots: global LLM_MAX_CONCURRENCY and per mission
 *      LLM_MISSION_CONCURRENCY (waiting honours the cancel flag);
 *   5. the HTTP call with retries (429 honouring Retry-After, 5xx, timeouts,
 *      resets; exponential backoff with jitter; never other 4xx), a stall
 *      timeout, cancellation through the cancel flag, and size limits: a
 *      streamed line over LLM_MAX_LINE_KB or an answer over LLM_MAX_ANSWER_KB
 *      (or req->max_answer_bytes) fails the call at once, without retry;
 *   6. <think> blocks stripped; structured output extracted and validated
 *      (json_schema -> json_object -> instructions, remembered per endpoint;
 *      one re-ask with the validation error);
 *   7. the call recorded in the store (tokens, cost, latency, status, hash).
 *
 * Memory: llm_response_t fields are owned by the response; llm_response_free()
 * releases them (not the struct itself). Strings passed in are borrowed for
 * the duration of the call.
 *
 * Threads: every function taking an llm_t is thread-safe; one llm_t is shared
 * by all threads. Calls run on the caller's thread (blocking).
 *
 * Secrets: API keys are never logged, never stored in call records and never
 * part of an error message.
 */
#ifndef MAESTRO_LLM_H
#define MAESTRO_LLM_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auth/secrets.h"
#include "base/config.h"
#include "store/store.h"

typedef struct llm llm_t;

/* ---- Return codes ---- */
enum {
  LLM_OK = 0,
  LLM_ERR = -1,                /* endpoint failed after retries, bad answer, ... */
  LLM_ERR_CANCELLED = -2,      /* *req->cancel became non-zero */
  LLM_ERR_NOT_CONFIGURED = -3, /* no endpoint/model for this tier (offline mode) */
  LLM_ERR_REPLAY_MISS = -4,    /* replay mode and the call is not in the record */
  LLM_ERR_INVALID_JSON = -5    /* structured output still invalid after the re-ask */
};

/* ---- Tiers and endpoints ---- */
typedef enum {
  LLM_TIER_FAST = 0,
  LLM_TIER_MID,
  LLM_TIER_INTELLIGENT,
  LLM_TIER_VERIFIER,
  LLM_TIER_EMBEDDING,
  LLM_TIER_RERANK,
  LLM_TIER_COUNT
} llm_tier_t;

/* "fast", "mid", "intelligent", "verifier", "embedding", "rerank". */
const char *llm_tier_name(llm_tier_t t);
/* Parses a tier name; -1 when unknown. */
int llm_tier_parse(const char *s);

typedef enum { LLM_PROVIDER_OPENAI = 0, LLM_PROVIDER_OLLAMA = 1 } llm_provider_t;
const char *llm_provider_name(llm_provider_t p); /* "openai" | "ollama" */

#define LLM_MAX_HEADERS 8

/* A resolved endpoint. Plain data (no pointers): copy it freely, but it holds
 * the API key in clear - keep it on the stack and never log it. */
typedef struct {
  llm_provider_t provider;
  char base_url[512]; /* no trailing slash; OpenAI-compatible includes /v1 */
  char api_key[512];  /* "" when none */
  char model[256];    /* "" when not configured */
  double temperature;
  int max_tokens;
  int context_window;
  int external; /* 1: leaves this machine (costs apply, PII masking applies) */
  int nheaders;
  char headers[LLM_MAX_HEADERS][256]; /* "Name: value" */
  char source[8]; /* layer that last set the URL or model: "env", "server", "user"; "" when none did */
  /* 1: the base URL was named by a non-admin user (their own settings or an
   * unsaved test): every request to it goes through the outbound address
   * policy (web/ssrf.h, OUTBOUND_ALLOW_HOSTS). The environment's and admins'
   * endpoints are trusted (a local Ollama is reached that way). */
  int untrusted;
} llm_endpoint_t;

/* ---- Lifetime ---- */

/* Creates the context over cfg, store and secrets (all borrowed: they outlive
 * the context; store may be NULL, then no call is recorded; secrets may be
 * NULL, then the API keys stored in settings are not opened). Loads the price
 * table. NULL with err on failure. */
llm_t *llm_new(const config_t *cfg, store_t *store, const secrets_t *secrets, char *err, size_t errlen);
void llm_free(llm_t *llm); /* accepts NULL */

/*
 * Resolves the endpoint of a tier for a user: environment < server defaults <
 * the user's own settings (user_id may be NULL: environment and server
 * defaults). Every caller (chat, missions, embeddings, rerank, the settings
 * API) resolves through here. Returns 0 when the tier has an endpoint and a
 * model, otherwise LLM_ERR_NOT_CONFIGURED with a reason in err. out is filled
 * either way (out->source says which layer set it).
 */
int llm_resolve(llm_t *llm, const char *user_id, llm_tier_t tier, llm_endpoint_t *out, char *err, size_t errlen);
/* Marks ep untrusted when its base URL is not before_url (the URL before a
 * layer of settings was applied) and user_id is not an admin. */
void llm_endpoint_mark_user(llm_t *llm, const char *user_id, const char *before_url, llm_endpoint_t *ep);
/* Applies settings fields (provider, base_url, api_key, model, temperature,
 * max_tokens, context_window, headers, external) over ep. A base_url that
 * differs from ep's drops ep's API key and headers (a key is never sent to a
 * host it was not configured for). */
void llm_endpoint_apply(llm_endpoint_t *ep, const json_t *fields);
/* 1 when chat tiers are configured for the user (else missions run offline). */
int llm_available(llm_t *llm, const char *user_id);

/* ---- Chat ---- */

typedef struct {
  const char *role;    /* "system" | "user" | "assistant" */
  const char *content; /* UTF-8 */
} llm_message_t;

/*
 * Streaming callback: called with each piece of answer text as it arrives
 * (<think> blocks already filtered out). text == NULL, len == 0 means "the
 * answer restarts" (a retry after a dropped stream): discard what you got.
 * Return non-zero to abort the call (it then fails with LLM_ERR_CANCELLED).
 */
typedef int (*llm_token_fn)(void *ud, const char *text, size_t len);

enum { LLM_CACHE_DEFAULT = 0, LLM_CACHE_ON = 1, LLM_CACHE_OFF = 2 };

typedef struct {
  llm_tier_t tier;
  const llm_message_t *messages;
  size_t nmessages;
  double temperature;        /* < 0: the endpoint's default */
  int max_tokens;            /* 0: the endpoint's default */
  const json_t *json_schema; /* non-NULL: structured output (resp->json) */
  int json_mode;             /* 1 without schema: any JSON object */
  const char *schema_name;   /* name sent with json_schema (default "answer") */
  int stream;                /* 1: stream from the server (implied by on_token) */
  llm_token_fn on_token;
  void *token_ud;
  atomic_int *cancel;      /* optional; non-zero aborts promptly */
  const char *user_id;     /* whose settings and whose record */
  const char *mission_id;  /* accounting, cache, per-mission limit */
  const char *chat_id;     /* accounting */
  const char *agent;       /* label in the record, e.g. "planner" */
  int cache;               /* LLM_CACHE_* (DEFAULT: on inside a mission) */
  const char *replay_from; /* answer only from this mission's record */
  size_t max_answer_bytes; /* 0: LLM_MAX_ANSWER_KB; a longer answer fails the call (never more than the setting) */
} llm_request_t;

typedef struct {
  char *text;   /* the answer, <think> stripped (malloc'd, never NULL on success) */
  json_t *json; /* structured answer (new reference) when asked for */
  char call_id[17];
  char provider[16];
  char model[256];
  char finish_reason[32]; /* "stop", "length" (cut off by the token limit), ...;
                             kept in the call record (request.options), so
                             the cache and replays give it back */
  int prompt_tokens, completion_tokens;
  int tokens_estimated; /* 1 when the server gave no usage */
  double cost_usd;
  int64_t latency_ms;
  int attempts;
  int cached;   /* answered from the cache */
  int replayed; /* answered from a replay record */
} llm_response_t;

/* Runs one chat call (see the top of this file). resp is zeroed first; on
 * success returns 0 and the caller frees with llm_response_free(). On failure
 * returns an LLM_ERR_* code with a message naming endpoint, model, status and
 * the server's message in err. */
int llm_chat(llm_t *llm, const llm_request_t *req, llm_response_t *resp, char *err, size_t errlen);
void llm_response_free(llm_response_t *resp);

/* Replay mode for the whole context: every llm_chat() is answered from the
 * record of mission_id (in order for identical requests); NULL turns it off. */
void llm_set_replay(llm_t *llm, const char *mission_id);

/* ---- Embeddings and rerank ---- */

/*
 * Embeds n texts with the user's embedding endpoint, in batches. On success
 * *out is a malloc'd array of n * (*dim) floats (row i = text i), each row
 * L2-normalised; the caller frees it. Returns LLM_ERR_NOT_CONFIGURED when no
 * embedding model is set (lexical search only). cancel may be NULL.
 */
int llm_embed(llm_t *llm, const char *user_id, const char *const *texts, size_t n, float **out, int *dim,
              atomic_int *cancel, char *err, size_t errlen);

/* Scores docs against query with the rerank endpoint (/v1/rerank shape:
 * TEI, Jina, llama.cpp). scores[i] belongs to docs[i] (caller-provided array
 * of n). LLM_ERR_NOT_CONFIGURED when RERANK_URL/model are not set. */
int llm_rerank(llm_t *llm, const char *user_id, const char *query, const char *const *docs, size_t n, double *scores,
               char *err, size_t errlen);

/* ---- Endpoint tools (settings API, doctor) ---- */

/* Model names the endpoint offers (/models or /api/tags): *out is a new JSON
 * array of strings. */
int llm_list_models(llm_t *llm, const llm_endpoint_t *ep, json_t **out, char *err, size_t errlen);
/* Checks an endpoint: lists models and sends a tiny chat (or embedding when
 * embedding != 0). *report is a new object {"ok","models_ok","model_found",
 * "chat_ok"/"embedding_ok","dimension","latency_ms","error"}. Returns 0 when
 * everything worked. */
int llm_test_endpoint(llm_t *llm, const llm_endpoint_t *ep, int embedding, json_t **report);
/* Whether an endpoint answers: one GET of its model list with a timeout of
 * timeout_s seconds and no retry. The answer is remembered per endpoint (URL
 * and key) for LLM_PROBE_CACHE_MS, so a form that asks often costs one
 * request. Returns 0 when it answered with 2xx, else LLM_ERR with err. */
#define LLM_PROBE_CACHE_MS 30000
int llm_probe_endpoint(llm_t *llm, const llm_endpoint_t *ep, long timeout_s, char *err, size_t errlen);
/* Prints one "OK"/"FAIL" line per configured endpoint (environment config)
 * to out; returns 0 when all configured endpoints answer. */
int llm_doctor(llm_t *llm, FILE *out);

/* ---- Per-user settings with secrets ---- */

/* Secrets in settings documents are sealed, masked and opened by
 * src/auth/secrets.h; the layers below are opened with the context's
 * secrets (the search providers and MCP servers read their keys here). */

/* The layers of settings section `section` ("models", "search", ...) that
 * apply to user_id, opened (secrets in clear), lowest first:
 * layers[LLM_LAYER_SERVER] the server defaults (store key "defaults.<section>"
 * in server_settings), layers[LLM_LAYER_USER] the user's own (NULL when
 * user_id is NULL). Either may be NULL; the caller decrefs both. The
 * environment is the layer below both and is read by each module itself. */
enum { LLM_LAYER_SERVER = 0, LLM_LAYER_USER = 1, LLM_LAYERS = 2 };
extern const char *const LLM_LAYER_NAMES[LLM_LAYERS]; /* "server", "user" */
void llm_settings_layers(llm_t *llm, const char *user_id, const char *section, json_t *layers[LLM_LAYERS]);
/* The server_settings key of a section's server defaults: "defaults.<section>"
 * written into out. */
void llm_server_settings_key(const char *section, char *out, size_t n);

/* ---- Helpers exposed for tests and other modules (pure functions) ---- */

/* Removes reasoning blocks - <think>, <thinking>, <reasoning> - (and a
 * trailing unterminated one, and everything before a lone closing tag);
 * returns a malloc'd string. */
char *llm_strip_think(const char *s);
/* Extracts the JSON value from a model answer: code fences, <think>, prose
 * around it, trailing commas. Returns a new reference or NULL. */
json_t *llm_extract_json(const char *text);
/* Checks value against a JSON schema subset (type, required, properties,
 * items, enum). Returns 0 when valid, else -1 with a message in err. */
int llm_validate_json(const json_t *value, const json_t *schema, char *err, size_t errlen);
/* Token estimate of a text (CJK-aware). */
int llm_estimate_tokens(const char *text);
/* Masks e-mail addresses and phone numbers; malloc'd result. */
char *llm_mask_pii(const char *text);

#endif
