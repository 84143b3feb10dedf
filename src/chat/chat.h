/*
 * chat.h - chat with documents: answers grounded in passages of the user's
 * library, with [n] citations (docs/chat.md).
 *
 * One question, in order (chat_ask):
 *   1. the chat is the user's (else CHAT_ERR_NOT_FOUND) and, when it is
 *      limited to a group, that group still exists (else CHAT_ERR_GROUP);
 *   2. the chat is claimed: one question at a time (else CHAT_ERR_BUSY);
 *   3. the question is stored and published as a "message" event;
 *   4. the top passages are retrieved (rag_search scoped to the user and the
 *      chat's group) and published as a "passages" event;
 *   5. with a model: a prompt of numbered passages, the last few turns of the
 *      chat and the question goes to the mid tier; the answer's text is
 *      streamed as "token" events {text} ("reset" {} when the model's stream
 *      restarts). Without a model: an extractive answer (the most relevant
 *      sentences of the best passages, quoted verbatim with their [n]),
 *      clearly labelled, sent as one "token" event;
 *   6. [n] markers are checked against the passages given: markers of
 *      passages that were not given are dropped, the rest renumbered by first
 *      appearance (1..k) and listed as citations {n, document_id, title,
 *      filename, page, chunk_id, text};
 *   7. the answer is stored and published as a "message" event, and the chat
 *      released. On a model failure an "error" event {message} is published
 *      instead and CHAT_ERR_MODEL returned (the question stays stored).
 * Events go to channel "chat:ID" (events_publish: stored, then pushed live).
 *
 * Options of one question (chat_opts_t, chat_submit_with):
 *   - web: after step 4, the user's web search providers (web_search) are
 *     asked the question and up to CHAT_WEB_SOURCES result pages are read
 *     (web_fetch_page: the outbound address policy, web/ssrf.h, applies to
 *     every page and redirect; a page that cannot be read counts with its
 *     search snippet). Web passages follow the library's, are numbered and
 *     cited like them and carry {type: "web", url} instead of a document.
 *     A "web" event {status, message, sources} says what happened before the
 *     "passages" event: status "ok", "no_results", "no_provider" (no search
 *     endpoint configured) or "failed" (the providers failed); the same
 *     object is kept in the answer's meta.web, so a web search asked for is
 *     never silently skipped.
 *   - mission_id: the chat continues a mission (the research chat after
 *     "Start research"): the passages are the mission's notes that match
 *     the question (each note with its quote, cited through the note's own
 *     source: the library document or the web page), then the mission's
 *     documents (the chat's group) fill the remaining places.
 *
 * Threads: chat_ask blocks the calling thread for the model call; any number
 * of threads may call it for different chats. The API does not use it: a
 * request thread must not wait for a model (it is one of the server's
 * HTTP_THREADS), so POST /api/chats/{id}/messages runs steps 1-3 and hands
 * the rest to a pool of CHAT_WORKERS threads (chat_submit), and the answer
 * reaches the client on the chat's channel. Strings are borrowed.
 */
#ifndef MAESTRO_CHAT_H
#define MAESTRO_CHAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/config.h"
#include "events/events.h"
#include "llm/llm.h"
#include "rag/rag.h"
#include "store/store.h"
#include "web/web.h"

enum {
  CHAT_OK = 0,
  CHAT_ERR = -1,           /* store error */
  CHAT_ERR_NOT_FOUND = -2, /* no such chat for this user */
  CHAT_ERR_BUSY = -3,      /* another question of this chat is being answered */
  CHAT_ERR_GROUP = -4,     /* the chat's group no longer exists */
  CHAT_ERR_MODEL = -5,     /* the model failed (after the model layer's retries) */
  CHAT_ERR_FULL = -6       /* too many questions waiting for a worker */
};

typedef struct chat_task chat_task_t;
typedef struct chat_pool chat_pool_t;

/* Options of one question (see the top); a zeroed struct is the default. */
typedef struct {
  int web;                /* 1: also search the web */
  const char *mission_id; /* NULL, or the caller's mission whose notes answer */
} chat_opts_t;

/* Web pages read for one question. */
#define CHAT_WEB_SOURCES 3

/* Longest accepted question, in bytes. */
#define CHAT_MAX_QUESTION 8000

/* What answering needs, all borrowed (they outlive every call and pool);
 * web may be NULL (no web search in this process). Filled by app_open. */
typedef struct {
  const config_t *cfg;
  store_t *store;
  events_t *events;
  llm_t *llm;
  rag_t *rag;
  web_t *web;
} chat_deps_t;

/* Answers question in the user's chat (see the top of this file). On success
 * *answer is the stored assistant message (new reference). On failure a
 * CHAT_ERR_* code with a message for the user in err. */
int chat_ask(const chat_deps_t *deps, const char *user_id, const char *chat_id, const char *question, json_t **answer,
             char *err, size_t errlen);

/* Starts CHAT_WORKERS answering threads (app_start_workers); NULL when a
 * thread cannot be started (those already started are stopped). */
chat_pool_t *chat_pool_start(const chat_deps_t *deps); /* deps is copied */
/* Stops the pool after the answers in progress; questions still waiting get
 * an "error" event and their chats are released. Accepts NULL. */
void chat_pool_stop(chat_pool_t *p);
/*
 * Steps 1-3 of chat_ask now (so their errors are the caller's, with the same
 * codes), the rest on a worker: on CHAT_OK *qmsg is the stored question (new
 * reference) and *seq the sequence number of its "message" event on
 * "chat:ID"; the answer's events follow it there, ending with the assistant's
 * "message" or an "error". CHAT_ERR_FULL when CHAT_QUEUE_MAX questions wait.
 * Thread-safe.
 */
int chat_submit(chat_pool_t *p, const char *user_id, const char *chat_id, const char *question, json_t **qmsg,
                int64_t *seq, char *err, size_t errlen);
/* chat_submit with options (opts may be NULL; strings are copied). */
int chat_submit_with(chat_pool_t *p, const char *user_id, const char *chat_id, const char *question,
                     const chat_opts_t *opts, json_t **qmsg, int64_t *seq, char *err, size_t errlen);

/* ---- Streaming a model's answer as "token" events ---- */

/*
 * The one way an answer is streamed to a channel (the chat's and the
 * research chat's): pieces of text coalesce into "token" events {text} of
 * up to 4 KiB or 100 ms, cut on UTF-8 boundaries; a restart of the model's
 * stream (text NULL) drops what is pending and publishes "reset" {}.
 * chat_stream_init, then chat_stream_token as the llm_request_t on_token
 * (token_ud: the chat_stream_t), then chat_stream_finish, which publishes
 * what is left and frees the buffer. One stream per thread.
 */
typedef struct {
  events_t *events;
  char channel[48];
  buf_t pending;
  int64_t last_ms;
} chat_stream_t;

void chat_stream_init(chat_stream_t *s, events_t *events, const char *channel);
int chat_stream_token(void *ud, const char *text, size_t len);
void chat_stream_finish(chat_stream_t *s);

/* ---- Pure helpers (exposed for tests) ---- */

/*
 * Rewrites the [n] citation markers of text for npassages given passages:
 * "[2]", "[1, 3]", "[1-3]", "[Passage 2]", "[source 2]" are recognised;
 * numbers outside 1..npassages are dropped (a marker left empty disappears
 * with the space before it); the rest are renumbered by first appearance and
 * written as "[1][2]". cited (room for npassages) receives, for each new
 * number k (index k-1), the original passage number; *ncited their count.
 * Returns a malloc'd string.
 */
char *chat_cite_renumber(const char *text, size_t npassages, int *cited, size_t *ncited);

/* The extractive answer (no model): a labelled Markdown text quoting the most
 * relevant sentences of up to 3 of the n passages, each followed by its
 * passage number [i] (1-based index into hits). malloc'd. */
char *chat_extractive_answer(const char *question, const rag_hit_t *hits, size_t n);

/* The numbered passages block of the prompt ("[1] Title (file, p. 3)\ntext"),
 * each passage cut to max_chars bytes (on a UTF-8 boundary). malloc'd. */
char *chat_format_passages(const rag_hit_t *hits, size_t n, size_t max_chars);

#endif
