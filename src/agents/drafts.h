/*
 * drafts.h - the research chat: a mission shaped by conversation before it
 * starts (docs/missions.md, "Research chat").
 *
 * A draft's card (the proposal) is
 *   {"title", "questions": [3..8], "sources": {"documents", "group_id",
 *    "web", "scholarly"}, "depth": "quick"|"standard"|"deep", "language",
 *    "tone", "audience", "origin": "model"|"offline"|"fallback"|"edit",
 *    "matched_documents": [{"id", "title"}]}
 * Every card, from the model or from the user's edit, passes
 * drafts_proposal_check (the settings through the mission settings table,
 * msettings.c). Each turn asks the planner for a new card in ONE structured
 * call; an answer that fails the check is asked again once with what was
 * wrong, and a second failure falls back to the offline proposal, recorded
 * in the answer's meta {"mode": "fallback", "reason"}. Without a model the
 * offline proposal is made from the user's text and the library (questions
 * from the request's clauses, sources from matching documents), labelled
 * {"mode": "offline"}.
 *
 * A turn posted through the API runs on a "draft_turn" job worker; its
 * events go to channel "draft:ID": "message" (the user's turn), the
 * planner's reply as "token" events {text} while the model writes it
 * ("reset" {} when it starts over), then "message" (the answer with its
 * proposal) or "error" {message}. Once started, the draft's
 * conversation continues as a chat with documents (src/chat/).
 *
 * Threads: every function is thread-safe; drafts_propose blocks for the
 * model call. Strings are borrowed.
 */
#ifndef MAESTRO_AGENTS_DRAFTS_H
#define MAESTRO_AGENTS_DRAFTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agents/agents.h"

#define DRAFT_MAX_CONTENT 8000
#define DRAFT_MIN_QUESTIONS 3
#define DRAFT_MAX_QUESTIONS 8

enum {
  DRAFT_OK = 0,
  DRAFT_ERR = -1,
  DRAFT_ERR_NOT_FOUND = -2,
  DRAFT_ERR_BUSY = -3,    /* a turn is being answered, or the draft is starting */
  DRAFT_ERR_STARTED = -4, /* the draft already started its mission */
  DRAFT_ERR_MODEL = -5
};

/* Registers the "draft" WebSocket authoriser and the "draft_turn" job kind
 * (call from app_open, before app_start_workers). */
void drafts_register(agents_t *ag);

/*
 * Checks a card (a PUT body or a model answer) and writes the normalised card
 * (new reference) to *out: strings trimmed, empty questions dropped, the
 * settings checked by the mission settings table. -1 with the offending
 * field name in field ("title", "questions", "sources.web", "depth", ...)
 * and a message in err. Keys other than the card's are refused.
 */
int drafts_proposal_check(json_t *in, json_t **out, char *field, size_t fieldlen, char *err, size_t errlen);

/* The offline proposal for text (see the top): a new card. current (may be
 * NULL) is the card being refined: its questions are kept and changed by
 * the text ("drop the 3rd question", "shorter", "for executives"). */
json_t *drafts_offline_proposal(agents_t *ag, const char *user_id, const char *text, json_t *current);

/*
 * One planner turn: a new card for the conversation history (the draft's
 * messages, oldest first, the latest user turn included) and the current
 * card (NULL for the first turn). *proposal (new reference), *reply
 * (malloc'd) and *meta ({"mode", "model"?, "reason"?}, new reference) are
 * set on DRAFT_OK. With a model that fails (endpoint down after its
 * retries): DRAFT_ERR_MODEL with err. channel (NULL: none): the model's
 * reply is streamed there as it is written, as the chat's "token" events
 * (chat_stream_*; "reset" when an answer is replaced by another).
 */
int drafts_propose(agents_t *ag, const char *user_id, json_t *history, json_t *current, json_t **proposal, char **reply,
                   json_t **meta, const char *channel, char *err, size_t errlen);

/* Creates a draft from the user's first message and answers it now: *draft
 * (new reference) is the draft with its messages. */
int drafts_create(agents_t *ag, const char *user_id, const char *content, json_t **draft, char *err, size_t errlen);

/* Stores the user's turn, publishes it, and queues the answer (the job
 * publishes it on "draft:ID"). *qmsg (new reference) the stored turn, *seq
 * its event's sequence number. */
int drafts_submit_turn(agents_t *ag, const char *user_id, const char *draft_id, const char *content, json_t **qmsg,
                       int64_t *seq, char *err, size_t errlen);

/*
 * Creates the mission of the draft's card through agents_mission_create
 * (the same checks as POST /api/missions) and a chat to continue the
 * conversation next to it. DRAFT_OK with mission_id (>= 17 bytes). On a
 * refusal: DRAFT_ERR* with *why (agents_err_t, as agents_mission_create) and err, and
 * *preflight (new reference) when the sources are empty.
 */
int drafts_start(agents_t *ag, const char *user_id, const char *draft_id, char *mission_id, agents_err_t *why,
                 char *err, size_t errlen, json_t **preflight);

/* The mission request (the body of POST /api/missions) a card makes. New reference. */
json_t *drafts_mission_request(json_t *proposal, const char *request_text);

#endif
