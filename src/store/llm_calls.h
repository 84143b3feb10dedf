/*
 * llm_calls.h - the record of model calls: accounting, cache and replay.
 *
 * Every llm_chat() outcome is one row (src/llm/ writes them; nothing else
 * should). Rows are ordered by insertion (rowid), which is the order replay
 * follows. API keys are never part of a row.
 * Thread-safe. JSON results are new references owned by the caller.
 */
#ifndef MAESTRO_STORE_LLM_CALLS_H
#define MAESTRO_STORE_LLM_CALLS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
  char id[17];            /* filled by insert */
  const char *user_id;    /* may be NULL */
  const char *mission_id; /* may be NULL */
  const char *chat_id;    /* may be NULL */
  const char *agent;      /* may be NULL */
  const char *role;       /* tier name */
  const char *provider;
  const char *endpoint; /* base URL, no credentials */
  const char *model;
  const json_t *request; /* {"messages":[...], "options":{...}} */
  const char *response;  /* may be NULL (errors) */
  int prompt_tokens, completion_tokens, tokens_estimated;
  double cost_usd;
  int64_t latency_ms;
  const char *status; /* "ok" | "error" (failed, or answered unusably) | "cancelled" */
  const char *source; /* "live" | "cache" | "replay" */
  const char *error;  /* may be NULL */
  const char *request_hash;
  int attempts;
  int64_t created_at; /* filled by insert */
} store_llm_call_t;

int store_llm_call_insert(store_t *st, store_llm_call_t *c);

/*
 * The occurrence-th (0-based, insertion order) successful call of mission_id
 * with this request hash, or with occurrence < 0 the latest one. *out is an
 * object {id, provider, model, response, prompt_tokens, completion_tokens,
 * tokens_estimated, cost_usd, finish_reason (request.options.finish_reason,
 * absent in calls recorded before it was kept)}. STORE_NOT_FOUND when there
 * is none.
 */
int store_llm_call_find(store_t *st, const char *mission_id, const char *hash, int occurrence, json_t **out);

/* Calls of a mission in order, for /api/missions/{id}/logs: array of
 * {id, agent, role, provider, model, request, response, prompt_tokens,
 * completion_tokens, tokens_estimated, cost_usd, latency_ms, status, source,
 * error, attempts, created_at}. limit <= 0: all. NULL on error. */
json_t *store_llm_calls_list_mission(store_t *st, const char *mission_id, int limit, int offset);
/* Same for a chat. */
json_t *store_llm_calls_list_chat(store_t *st, const char *chat_id, int limit, int offset);
/* Same for the calls made for a user (missions, chats, plugins' routes and
 * tools alike). */
json_t *store_llm_calls_list_user(store_t *st, const char *user_id, int limit, int offset);

typedef struct {
  int64_t calls;  /* live calls (ok or not) */
  int64_t cached; /* answers from cache or replay */
  int64_t failed; /* live calls that failed */
  int64_t prompt_tokens, completion_tokens;
  double cost_usd;
} store_llm_totals_t;

/* Totals of a mission (live calls only count tokens and cost). */
int store_llm_calls_totals(store_t *st, const char *mission_id, store_llm_totals_t *out);
/* Deletes a mission's calls (when the mission is deleted). */
int store_llm_calls_delete_mission(store_t *st, const char *mission_id);
/* Changes a recorded call's status; "error" keeps an answer that failed
 * validation out of the cache (only "ok" calls are reused). */
int store_llm_call_set_status(store_t *st, const char *id, const char *status);

#endif
