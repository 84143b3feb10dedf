/*
 * auth.h - passwords (argon2id) and access tokens (JWT HS256).
 *
 * Password hashing is deliberately slow and memory-hungry (argon2id,
 * libsodium's interactive limits: 64 MiB, ~0.1 s), so at most
 * HASH_CONCURRENCY hashes run at once; other callers wait their turn. This
 * bounds memory under a login flood.
 *
 * Tokens: header {"alg":"HS256","typ":"JWT"}, claims sub (user id), name,
 * role, iat, iat_ms, exp, jti. iat_ms lets a password change (which refuses
 * tokens issued before it, to the millisecond) keep a token issued right
 * after it in the same second. Verification accepts only HS256 (the header's alg must
 * be exactly "HS256"; "none" and every other value are refused), checks the
 * signature in constant time, then exp. Revocation (logout) is the caller's
 * check of jti against the store.
 *
 * Login throttling: failures are counted per username and per client address
 * in a sliding window (LOGIN_THROTTLE_SECONDS); past LOGIN_MAX_FAILURES the
 * key is refused until the window has passed, so the real user is never
 * locked out for longer than one window after the attack stops. The
 * failures live in the store (store/throttle.h): every process sharing the
 * database counts the same ones.
 *
 * All functions are thread-safe.
 */
#ifndef MAESTRO_AUTH_H
#define MAESTRO_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct auth auth_t;

typedef struct {
  char sub[64];
  char name[128];
  char role[16];
  char jti[40];
  int64_t iat, exp; /* epoch seconds */
  int64_t iat_ms;   /* issue time in ms (claim iat_ms; iat * 1000 for tokens without it) */
} auth_claims_t;

/* key: the HMAC secret (>= 32 bytes). ttl_s: token lifetime. */
auth_t *auth_new(const char *key, size_t keylen, int64_t ttl_s, int hash_concurrency, int max_failures,
                 int window_s);
void auth_free(auth_t *a);
int64_t auth_token_ttl(const auth_t *a);

/* Hashes a password (argon2id) into out (>= 128 bytes). 0 on success. */
int auth_password_hash(auth_t *a, const char *password, char *out, size_t outlen);
/* 1 if password matches hash, 0 if not. */
int auth_password_verify(auth_t *a, const char *hash, const char *password);
/* Checks a new password's strength; returns NULL if fine, else a reason. */
const char *auth_password_weak(const char *password);

/* Signs a token for the user; returns malloc'd token (caller frees). claims_out may be NULL. */
char *auth_token_issue(auth_t *a, const char *user_id, const char *username, const char *role,
                       auth_claims_t *claims_out);
/* Verifies signature, algorithm and expiry at time `now` (epoch s). 0 when valid. */
int auth_token_verify(auth_t *a, const char *token, int64_t now, auth_claims_t *out, const char **why);

/* Throttling. key is "u:<name>" or "ip:<addr>". Returns seconds to wait (0 = allowed). */
int auth_throttle_check(auth_t *a, store_t *st, const char *key, int64_t now);
void auth_throttle_fail(auth_t *a, store_t *st, const char *key, int64_t now);
void auth_throttle_clear(auth_t *a, store_t *st, const char *key);

#endif
