/*
 * authn.h - who is calling: token extraction and verification for HTTP and
 * WebSocket requests. Thread-safe.
 */
#ifndef MAESTRO_HTTP_AUTHN_H
#define MAESTRO_HTTP_AUTHN_H

#include <civetweb.h>

#include "app.h"
#include "http/http.h"

/* Copies the bearer token (Authorization header, then the maestro_token
 * cookie, then ?token= when allow_query) into out. 1 if found. */
int http_token_from_request(struct mg_connection *conn, int allow_query, char *out, size_t outlen);
/* Verifies the token, its revocation and the user's current state (active,
 * role from the database, token not older than the last password change).
 * 0 and *user filled on success; -1 with why. */
int http_authenticate(app_t *app, const char *token, http_user_t *user, const char **why);
/* Checks again a session authenticated earlier (a WebSocket, before each
 * subscribe): the token's expiry and revocation, the account's existence,
 * active flag and password epoch. Updates user->role (and the username) to
 * the current ones. 0 when still valid; -1 with why. */
int http_user_recheck(app_t *app, http_user_t *user, const char **why);

#endif
