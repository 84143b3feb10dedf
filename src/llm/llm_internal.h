/*
 * llm_internal.h - shared between the files of src/llm/ only.
 *
 * transport.c  one HTTP attempt with libcurl (streaming sink, cancel, stall)
 * providers.c  request bodies and answer parsing for OpenAI-compatible/Ollama
 * settings.c   the layers of a settings section, opened with auth/secrets.h
 * llm.c        the context, endpoint resolution, llm_chat orchestration
 * embed.c      embeddings, rerank, model lists, endpoint tests, doctor
 */
#ifndef MAESTRO_LLM_INTERNAL_H
#define MAESTRO_LLM_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>

#include "auth/secrets.h"
#include "base/buf.h"
#include "base/config.h"
#include "llm/llm.h"
#include "llm/stream.h"
#include "store/store.h"
#include "web/ssrf.h"

/* Structured-output levels, tried in this order per endpoint. */
enum { JSON_LEVEL_SCHEMA = 0, JSON_LEVEL_OBJECT = 1, JSON_LEVEL_PROMPT = 2 };

typedef struct {
  char key[800]; /* base_url|model */
  int level;
} json_level_t;

typedef struct {
  char mission[64];
  int in_use;
} mission_slot_t;

typedef struct {
  char mission[64];
  char hash[65];
  int next;
} replay_counter_t;

/* A remembered llm_probe_endpoint answer. */
#define LLM_PROBE_SLOTS 16
typedef struct {
  unsigned char key[16]; /* hash of provider, URL and API key */
  int64_t at_ms;         /* 0: empty slot */
  int ok;
  char err[300];
} probe_entry_t;

struct llm {
  const config_t *cfg;
  store_t *store;
  const secrets_t *secrets; /* may be NULL: stored secrets are not opened */
  json_t *prices; /* {"model": {"input": usd/1M, "output": usd/1M}} */

  pthread_mutex_t lock; /* everything below */
  pthread_cond_t slot_cond;
  int max_global, max_mission, in_use;
  mission_slot_t *mslots;
  size_t nmslots, capmslots;
  json_level_t *levels;
  size_t nlevels, caplevels;
  char *replay_mission;
  replay_counter_t *rcounters;
  size_t nrcounters, caprcounters;
  probe_entry_t probes[LLM_PROBE_SLOTS];

  long timeout_s, stall_s;
  size_t max_line, max_answer; /* bytes: LLM_MAX_LINE_KB, LLM_MAX_ANSWER_KB */
  int max_retries;
  long retry_base_ms;
  int mask_pii;
  web_allow_t outbound; /* OUTBOUND_ALLOW_HOSTS: for untrusted endpoints */
};

/* ---- transport.c ---- */
typedef struct {
  const char *method; /* "GET" | "POST" */
  const char *url;
  const llm_endpoint_t *ep; /* auth header and extra headers */
  const char *body;         /* POST body (JSON) */
  stream_parser_t *parser;  /* non-NULL: 2xx body bytes go to the parser */
  atomic_int *cancel;
  long timeout_s, stall_s;
  size_t max_body;             /* collected (non-streamed or error) body limit; 0: 64 MB */
  const web_allow_t *outbound; /* allow-list for an untrusted ep (required then) */
} xfer_t;

typedef struct {
  long status; /* HTTP status, 0 when none */
  CURLcode cc;
  buf_t body;          /* whole body (non-streaming or error answers) */
  long retry_after_ms; /* -1 when absent */
  size_t streamed;     /* bytes handed to the parser */
  int parser_stopped;  /* the parser callback returned non-zero */
  int stalled;         /* no byte for stall_s seconds */
  int body_too_long;   /* the collected body passed max_body (transfer aborted) */
  int refused;         /* the address policy refused the endpoint (curl_err says why) */
  char curl_err[CURL_ERROR_SIZE];
} xfer_result_t;

void xfer_result_init(xfer_result_t *r);
void xfer_result_free(xfer_result_t *r);
/* One attempt. Returns 0 when the transfer completed (any status). */
int xfer_perform(const xfer_t *x, xfer_result_t *r);
/* 1 when an attempt that failed this way is worth retrying. */
int xfer_retryable(const xfer_result_t *r);
/* Extracts the server's error message from an error body into out: a
 * short excerpt (at most 200 bytes, control characters blanked), never the
 * whole body. */
void xfer_server_message(const xfer_result_t *r, char *out, size_t n);
/* Joins a base URL and a path ("/chat/completions") into out. */
void llm_url_join(const char *base, const char *path, char *out, size_t n);
/* Sleeps ms in small slices; returns -1 early when *cancel is set. */
int llm_sleep_cancellable(long ms, atomic_int *cancel);
/* Backoff before retry `attempt` (1-based), honouring Retry-After. */
long llm_backoff_ms(const llm_t *llm, int attempt, long retry_after_ms);

/* ---- providers.c ---- */
typedef struct {
  buf_t text; /* answer text so far */
  char finish_reason[32];
  int prompt_tokens, completion_tokens, have_usage;
  int done;        /* saw [DONE] / done:true / finish_reason */
  size_t max_text; /* answer text limit in bytes; 0: unlimited */
  int too_long;    /* the answer passed max_text: the record callbacks stop */
  int malformed;   /* unparseable chunk */
  char error[512]; /* error object inside a 200 stream */
  /* streaming fan-out with <think> filtering */
  llm_token_fn on_token;
  void *token_ud;
  int cb_abort;
  int in_think;
  buf_t pending;
  int openai;
} chat_acc_t;

void chat_acc_init(chat_acc_t *a, int openai, llm_token_fn fn, void *ud);
void chat_acc_reset(chat_acc_t *a);
void chat_acc_free(chat_acc_t *a);
/* Stream record callbacks (stream_record_fn) for each provider. */
int openai_stream_record(void *ud, const char *data, size_t len);
int ollama_stream_record(void *ud, const char *data, size_t len);
/* Parses a complete non-streaming body into a. Returns 0 when understood. */
int openai_parse_body(chat_acc_t *a, const char *body, size_t len);
int ollama_parse_body(chat_acc_t *a, const char *body, size_t len);
/* Flushes the think filter at the end of a stream. */
void chat_acc_flush(chat_acc_t *a);

/* Request body for a chat call (new reference). json_level < 0: no JSON ask. */
json_t *chat_body(const llm_endpoint_t *ep, json_t *messages, double temperature, int max_tokens, int stream,
                  const json_t *schema, const char *schema_name, int json_level);

/* ---- llm.c ---- */
int llm_is_local_url(const char *url);
/* Concurrency slots: global, plus per mission when mission is non-empty.
 * Acquire waits (checking *cancel) and returns -1 when cancelled. */
int llm_slot_acquire(llm_t *llm, const char *mission, atomic_int *cancel);
void llm_slot_release(llm_t *llm, const char *mission);
double llm_price(llm_t *llm, const char *model, int prompt_tokens, int completion_tokens);

#endif
