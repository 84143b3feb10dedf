/*
 * accounts.h - user accounts as the API and the CLI both manage them:
 * validation, hashing and storing in one place. Thread-safe.
 */
#ifndef MAESTRO_ACCOUNTS_H
#define MAESTRO_ACCOUNTS_H

#include <stddef.h>

#include "auth/auth.h"
#include "base/config.h"
#include "store/store.h"

/* Username rules: 1-64 chars of letters, digits, '.', '_', '-', '@'. NULL if fine, else why. */
const char *accounts_username_invalid(const char *username);
/* Creates a user. Returns 0, or STORE_CONFLICT (name taken) / -1 with err. id_out (>= 17) may be NULL. */
int accounts_create(store_t *store, auth_t *auth, const char *username, const char *password, const char *role, char *id_out,
                    char *err, size_t errlen);
/* Sets a new password (validated, hashed). Every token issued before it
 * stops working; the caller closes the user's open sockets
 * (ws_hub_recheck_user). 0 or -1/STORE_NOT_FOUND with err. */
int accounts_set_password(store_t *store, auth_t *auth, const char *user_id, const char *password, char *err, size_t errlen);
/*
 * First start: when there is no user at all, creates the admin from
 * ADMIN_USERNAME / ADMIN_PASSWORD. When ADMIN_PASSWORD is empty a password is
 * generated and written to *generated (malloc'd; the caller prints it once and
 * frees it). Returns 1 if an admin was created, 0 if users existed (or another
 * process sharing the database created them meanwhile), -1 on error.
 */
int accounts_ensure_admin(const config_t *cfg, store_t *store, auth_t *auth, char **generated, char *err, size_t errlen);

#endif
