/*
 * users.h - accounts, revoked tokens and settings documents.
 * Thread-safe. Returned structs are owned by the caller (store_user_free).
 */
#ifndef MAESTRO_STORE_USERS_H
#define MAESTRO_STORE_USERS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
  char id[17];
  char *username;
  char *password_hash;
  char role[16]; /* "admin" | "researcher" | "viewer" */
  int active;
  int64_t created_at, updated_at;
  int64_t tokens_valid_after; /* epoch ms: tokens issued before it are refused (0: none) */
} store_user_t;

void store_user_free(store_user_t *u);
/* Inserts a user; id is generated into u->id. STORE_CONFLICT when the name is taken. */
int store_user_insert(store_t *st, store_user_t *u);
int store_user_get(store_t *st, const char *id, store_user_t **out);
int store_user_get_by_name(store_t *st, const char *username, store_user_t **out);
/* 1 when the user exists, is active and is an admin; 0 otherwise (NULL id too). */
int store_user_is_admin(store_t *st, const char *id);
/* Users as a JSON array of {id, username, role, active, created_at}. New reference. */
json_t *store_user_list_json(store_t *st);
int store_user_count(store_t *st);
/* Updates any of role/active/password_hash that is non-NULL / >= 0. A new
 * password_hash also sets tokens_valid_after to now (older tokens die). */
int store_user_update(store_t *st, const char *id, const char *role, int active, const char *password_hash);
int store_user_delete(store_t *st, const char *id);
/* Number of active admins (to refuse removing the last one). */
int store_admin_count(store_t *st);

int store_token_revoke(store_t *st, const char *jti, int64_t expires_at);
/* 1 revoked, 0 not, -1 error. */
int store_token_is_revoked(store_t *st, const char *jti);
/* Deletes revocations whose tokens have expired anyway. */
int store_token_purge(store_t *st, int64_t now);

/* Settings: a JSON document per (user, key). *out is a new reference or NULL. */
int store_setting_get(store_t *st, const char *user_id, const char *key, json_t **out);
int store_setting_put(store_t *st, const char *user_id, const char *key, json_t *value);
/* Server-wide settings (user_id NULL in the API, a separate table here). */
int store_server_setting_get(store_t *st, const char *key, json_t **out);
int store_server_setting_put(store_t *st, const char *key, json_t *value);

#endif
