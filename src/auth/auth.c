/*
 * auth.c - argon2id passwords, HS256 tokens, login throttling; see auth.h.
 *
 * JWT is implemented here (base64url + libsodium's HMAC-SHA256) rather than
 * with libjwt, whose Debian version accepts alg "none" with a NULL key and
 * ignores exp. The header is compared byte for byte with the one we emit, so
 * no other algorithm can ever be selected by a token.
 *
 * Login throttling keeps its failures in the store (store/throttle.h), so
 * every process sharing the database counts the same ones.
 */
#include "auth/auth.h"

#include <jansson.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/util.h"
#include "store/throttle.h"

struct auth {
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  int64_t ttl_s;
  sem_t hash_slots;
  int max_failures;
  int window_s;
};

static const char JWT_HEADER[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

auth_t *auth_new(const char *key, size_t keylen, int64_t ttl_s, int hash_concurrency, int max_failures,
                 int window_s) {
  if (sodium_init() < 0) return NULL;
  auth_t *a = calloc(1, sizeof *a);
  if (!a) abort();
  /* Derive a fixed-size HMAC key from the secret, whatever its length. */
  crypto_generichash(a->key, sizeof a->key, (const unsigned char *)key, keylen, NULL, 0);
  a->ttl_s = ttl_s;
  sem_init(&a->hash_slots, 0, (unsigned)(hash_concurrency > 0 ? hash_concurrency : 1));
  a->max_failures = max_failures;
  a->window_s = window_s;
  return a;
}

void auth_free(auth_t *a) {
  if (!a) return;
  sodium_memzero(a->key, sizeof a->key);
  sem_destroy(&a->hash_slots);
  free(a);
}

int64_t auth_token_ttl(const auth_t *a) { return a->ttl_s; }

int auth_password_hash(auth_t *a, const char *password, char *out, size_t outlen) {
  if (outlen < crypto_pwhash_STRBYTES) return -1;
  sem_wait(&a->hash_slots);
  int rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
  sem_post(&a->hash_slots);
  return rc == 0 ? 0 : -1;
}

int auth_password_verify(auth_t *a, const char *hash, const char *password) {
  if (!hash || !password) return 0;
  sem_wait(&a->hash_slots);
  int rc = crypto_pwhash_str_verify(hash, password, strlen(password));
  sem_post(&a->hash_slots);
  return rc == 0;
}

const char *auth_password_weak(const char *password) {
  size_t n = strlen(password);
  if (n < 8) return "password must be at least 8 characters long";
  if (n > 1024) return "password must be at most 1024 characters long";
  return NULL;
}

static void b64url(buf_t *out, const void *data, size_t len) {
  size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  buf_grow(out, cap);
  sodium_bin2base64(out->data + out->len, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out->len += strlen(out->data + out->len);
}

static char *b64url_decode(const char *s, size_t slen, size_t *outlen) {
  char *out = malloc(slen + 1);
  if (!out) abort();
  if (sodium_base642bin((unsigned char *)out, slen, s, slen, NULL, outlen, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    free(out);
    return NULL;
  }
  out[*outlen] = '\0';
  return out;
}

char *auth_token_issue(auth_t *a, const char *user_id, const char *username, const char *role,
                       auth_claims_t *claims_out) {
  int64_t now_ms = util_now_ms();
  int64_t now = now_ms / 1000;
  char jti[33];
  util_random_hex(jti, 16);
  json_t *claims =
      json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "sub", user_id, "name", username, "role", role, "iat",
                (json_int_t)now, "iat_ms", (json_int_t)now_ms, "exp", (json_int_t)(now + a->ttl_s), "jti", jti);
  char *payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(claims);
  buf_t tok = BUF_INIT;
  b64url(&tok, JWT_HEADER, strlen(JWT_HEADER));
  buf_putc(&tok, '.');
  b64url(&tok, payload, strlen(payload));
  free(payload);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, (const unsigned char *)tok.data, tok.len, a->key);
  buf_putc(&tok, '.');
  b64url(&tok, mac, sizeof mac);
  if (claims_out) {
    memset(claims_out, 0, sizeof *claims_out);
    snprintf(claims_out->sub, sizeof claims_out->sub, "%s", user_id);
    snprintf(claims_out->name, sizeof claims_out->name, "%s", username);
    snprintf(claims_out->role, sizeof claims_out->role, "%s", role);
    snprintf(claims_out->jti, sizeof claims_out->jti, "%s", jti);
    claims_out->iat = now;
    claims_out->iat_ms = now_ms;
    claims_out->exp = now + a->ttl_s;
  }
  return buf_detach(&tok, NULL);
}

static int copy_claim(json_t *claims, const char *name, char *out, size_t n) {
  const char *v = json_string_value(json_object_get(claims, name));
  if (!v || strlen(v) >= n) return -1;
  memcpy(out, v, strlen(v) + 1);
  return 0;
}

int auth_token_verify(auth_t *a, const char *token, int64_t now, auth_claims_t *out, const char **why) {
  const char *dummy;
  if (!why) why = &dummy;
  if (!token || strlen(token) > 4096) {
    *why = "malformed token";
    return -1;
  }
  const char *d1 = strchr(token, '.');
  const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!d1 || !d2 || strchr(d2 + 1, '.')) {
    *why = "malformed token";
    return -1;
  }
  size_t hlen;
  char *header = b64url_decode(token, (size_t)(d1 - token), &hlen);
  /* Only the exact header this server issues is accepted: this pins alg=HS256. */
  int header_ok = header && hlen == strlen(JWT_HEADER) && memcmp(header, JWT_HEADER, hlen) == 0;
  free(header);
  if (!header_ok) {
    *why = "unsupported token algorithm";
    return -1;
  }
  size_t slen;
  char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &slen);
  if (!sig || slen != crypto_auth_hmacsha256_BYTES ||
      crypto_auth_hmacsha256_verify((const unsigned char *)sig, (const unsigned char *)token, (size_t)(d2 - token),
                                    a->key) != 0) {
    free(sig);
    *why = "invalid token signature";
    return -1;
  }
  free(sig);
  size_t plen;
  char *payload = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &plen);
  json_t *claims = payload ? json_loadb(payload, plen, 0, NULL) : NULL;
  free(payload);
  auth_claims_t c;
  memset(&c, 0, sizeof c);
  json_t *exp = json_object_get(claims, "exp");
  if (!claims || !json_is_integer(exp) || copy_claim(claims, "sub", c.sub, sizeof c.sub) ||
      copy_claim(claims, "name", c.name, sizeof c.name) || copy_claim(claims, "role", c.role, sizeof c.role) ||
      copy_claim(claims, "jti", c.jti, sizeof c.jti)) {
    json_decref(claims);
    *why = "malformed token claims";
    return -1;
  }
  c.exp = json_integer_value(exp);
  c.iat = json_integer_value(json_object_get(claims, "iat"));
  json_t *iat_ms = json_object_get(claims, "iat_ms");
  c.iat_ms = json_is_integer(iat_ms) ? json_integer_value(iat_ms) : c.iat * 1000;
  json_decref(claims);
  if (now >= c.exp) {
    *why = "token expired";
    return -1;
  }
  if (out) *out = c;
  return 0;
}

int auth_throttle_check(auth_t *a, store_t *st, const char *key, int64_t now) {
  return store_login_wait(st, key, now, a->max_failures, a->window_s);
}

void auth_throttle_fail(auth_t *a, store_t *st, const char *key, int64_t now) {
  store_login_failure_add(st, key, now, a->window_s);
}

void auth_throttle_clear(auth_t *a, store_t *st, const char *key) {
  (void)a;
  store_login_failures_clear(st, key);
}
