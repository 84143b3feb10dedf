/*
 * store/writing.h - writing sessions, their draft versions and references
 * (schema 016, docs/writing.md).
 *
 * Scope: every function takes the owner's user id and touches only that
 * user's sessions; another user's session is STORE_NOT_FOUND (the API
 * answers 404 exactly as for a missing one).
 *
 * Versions: every save of a draft that changes it is a new version
 * (1, 2, ...); saving the same text again returns the latest version. A
 * save naming the version it was based on (base_version > 0) is refused
 * with STORE_CONFLICT when a newer version exists, so two tabs never
 * silently overwrite each other.
 *
 * References are JSON objects (cite.h); each has a number n, unique in its
 * session and never reused, which the draft's [@n] markers name.
 *
 * Ownership: returned JSON is a new reference owned by the caller.
 * Thread-safe (each call borrows a pooled connection).
 */
#ifndef MAESTRO_STORE_WRITING_H
#define MAESTRO_STORE_WRITING_H

#include <jansson.h>

#include "store/store.h"

typedef struct {
  char id[17];
  char chat_id[17];  /* the assistant's chat ("" when none) */
  char group_id[17]; /* "" when the assistant reads the whole library */
  char style[16];
  char title[256];
  int web; /* 1: the assistant also searches the web */
} store_writing_t;

/* Creates a session with its first version (content may be "", author
 * "user" or "report") and the chat its assistant answers in. mission_id
 * and group_id may be NULL. content NULL: no version yet (the session is
 * not listed or read until its first save). id_out >= 17 bytes. */
int store_writing_create(store_t *st, const char *user_id, const char *title, const char *group_id, const char *style,
                         const char *mission_id, const char *content, const char *author, char *id_out);
int store_writing_get(store_t *st, const char *user_id, const char *id, store_writing_t *out);
/* {id, title, group_id, style, web, chat_id, mission_id, created_at,
 * updated_at, version, content, author} (the latest version); NULL when
 * not found. */
json_t *store_writing_json(store_t *st, const char *user_id, const char *id);
/* {"sessions": [{id, title, style, version, words, updated_at...}] newest first}. */
json_t *store_writing_list_json(store_t *st, const char *user_id);
/* Changes the members of fields present: title (string), group_id (string
 * or null; also the chat's scope), style (apa|mla|chicago|ieee), web
 * (bool). The caller validates them. */
int store_writing_update(store_t *st, const char *user_id, const char *id, json_t *fields);
/* Deletes the session, its versions, references and its chat. */
int store_writing_delete(store_t *st, const char *user_id, const char *id);

/* Saves content as a new version (see the top); *version gets it. */
int store_writing_save(store_t *st, const char *user_id, const char *id, const char *content, const char *author,
                       int base_version, int *version);
/* [{version, author, created_at, chars}] newest first; NULL when not found. */
json_t *store_writing_versions(store_t *st, const char *user_id, const char *id);
/* {version, content, author, created_at}; NULL when not found. */
json_t *store_writing_version(store_t *st, const char *user_id, const char *id, int version);

/* The references, [{n, ...data}] in n order; NULL when not found. */
json_t *store_writing_refs(store_t *st, const char *user_id, const char *id);
/* Adds a reference; when one with the same document_id (and page), DOI or
 * URL exists, *n is that one's number and nothing is added (*added 0). */
int store_writing_ref_add(store_t *st, const char *user_id, const char *id, json_t *data, int *n, int *added);
/* Replaces reference n's data. */
int store_writing_ref_put(store_t *st, const char *user_id, const char *id, int n, json_t *data);
int store_writing_ref_delete(store_t *st, const char *user_id, const char *id, int n);

/* {model_calls, tokens, cost_usd, searches} of the session's assistant. */
json_t *store_writing_stats(store_t *st, const char *user_id, const char *id);

#endif
