/*
 * store/drafts.h - research chat drafts: a mission shaped by conversation
 * before it starts (schema 015, docs/missions.md "Research chat").
 *
 * Scope: every function takes the owner's user id and touches only that
 * user's drafts; another user's draft is STORE_NOT_FOUND (the API answers
 * 404 exactly as for a missing one).
 *
 * A draft holds the current proposal (the card) and its history: the user's
 * turns, the planner's answers (each with the proposal it made) and the
 * user's card edits. One turn at a time: store_draft_claim() marks the draft
 * as answering (STORE_CONFLICT while another turn runs, a mark older than
 * stale_ms is taken over), store_draft_release() clears it. Once started
 * (store_draft_set_started) the draft names its mission and the chat that
 * continues the conversation.
 *
 * Ownership: returned JSON is a new reference owned by the caller.
 * Thread-safe (each call borrows a pooled connection).
 */
#ifndef MAESTRO_STORE_DRAFTS_H
#define MAESTRO_STORE_DRAFTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Creates a draft with its first proposal (title taken from it). id_out >= 17 bytes. */
int store_draft_create(store_t *st, const char *user_id, json_t *proposal, char *id_out);
/* {"id","title","proposal","mission_id","chat_id","answering","created_at",
 * "updated_at","message_count"} plus "messages":[...] (oldest first) when
 * with_messages. NULL when not found. */
json_t *store_draft_json(store_t *st, const char *user_id, const char *id, int with_messages);
/* {"drafts":[...newest activity first],"total":N}; NULL on a store error. */
json_t *store_draft_list_json(store_t *st, const char *user_id, int limit, int offset);
/*
 * Appends a message (role "user" | "assistant" | "edit"); proposal and meta
 * may be NULL. A proposal also becomes the draft's current one (and its
 * title), in the same transaction. *msg_out (may be NULL) receives the
 * stored message {"id","role","content","proposal","meta","created_at"}.
 * STORE_NOT_FOUND when the draft is not the user's.
 */
int store_draft_add_message(store_t *st, const char *user_id, const char *draft_id, const char *role,
                            const char *content, json_t *proposal, json_t *meta, json_t **msg_out);
/* The last `max` messages of the draft, oldest first; NULL on a store error. */
json_t *store_draft_recent(store_t *st, const char *user_id, const char *draft_id, int max);

int store_draft_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms);
int store_draft_release(store_t *st, const char *id);

/* Records the mission created from the draft and the chat that continues
 * it. STORE_CONFLICT when the draft was already started. */
int store_draft_set_started(store_t *st, const char *user_id, const char *id, const char *mission_id,
                            const char *chat_id);
/* The id of the user's draft that started mission_id into id_out (>= 17
 * bytes); STORE_NOT_FOUND when the mission did not come from a draft. */
int store_draft_of_mission(store_t *st, const char *user_id, const char *mission_id, char *id_out);

#endif
