/*
 * store/chats.h - chats with documents and their messages (schema 006).
 *
 * Scope: every function takes the owner's user id and touches only that
 * user's chats; a chat of another user is reported as STORE_NOT_FOUND (the
 * API answers 404 exactly as for a missing chat).
 *
 * One question at a time per chat: store_chat_claim() marks the chat as
 * answering (STORE_CONFLICT while another answer runs), store_chat_release()
 * clears the mark. A mark older than stale_ms (a crashed server) is taken
 * over, so a chat can never stay locked.
 *
 * Ownership: returned JSON is a new reference owned by the caller.
 * Thread-safe (each call borrows a pooled connection).
 */
#ifndef MAESTRO_STORE_CHATS_H
#define MAESTRO_STORE_CHATS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
  char id[17];
  char user_id[17];
  char group_id[17]; /* "" when the chat searches the whole library */
  int title_auto;    /* 1 while the title is the default (set from the first question) */
} store_chat_t;

/* Creates a chat; title NULL or "" means "New chat" until the first question
 * names it. group_id may be NULL. id_out >= 17 bytes. */
int store_chat_create(store_t *st, const char *user_id, const char *title, const char *group_id, char *id_out);
/* Reads the fields needed to answer in a chat. */
int store_chat_get(store_t *st, const char *user_id, const char *id, store_chat_t *out);
/* {"id","title","group_id","created_at","updated_at","message_count"} plus
 * "messages":[...] (oldest first) when with_messages. NULL when not found. */
json_t *store_chat_json(store_t *st, const char *user_id, const char *id, int with_messages);
/* {"chats":[...newest activity first],"total":N}; NULL on a store error. */
json_t *store_chat_list_json(store_t *st, const char *user_id, int limit, int offset);
/* Deletes the chat, its messages and its event log. */
int store_chat_delete(store_t *st, const char *user_id, const char *id);
/* Renames the chat (the title is the user's from then on). STORE_NOT_FOUND
 * when the chat is not the user's. */
int store_chat_rename(store_t *st, const char *user_id, const char *id, const char *title);
/* Sets the title when it is still the default one. */
int store_chat_autotitle(store_t *st, const char *user_id, const char *id, const char *title);

int store_chat_claim(store_t *st, const char *user_id, const char *id, int64_t stale_ms);
int store_chat_release(store_t *st, const char *id);

/* Appends a message ("user" | "assistant"); citations (array) and meta
 * (object) may be NULL. *msg_out (may be NULL) receives the stored message as
 * API JSON {"id","chat_id","role","content","citations","meta"...,"created_at"}. */
int store_chat_add_message(store_t *st, const char *user_id, const char *chat_id, const char *role, const char *content,
                           json_t *citations, json_t *meta, json_t **msg_out);
/* The last `max` messages of the chat, oldest first, as an array of message
 * JSON (empty when the chat is not the user's); NULL on a store error. */
json_t *store_chat_recent(store_t *st, const char *user_id, const char *chat_id, int max);

#endif
