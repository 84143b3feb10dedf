/* Passwords (argon2id) and tokens (HS256): sign, verify, expiry, tampering, alg:none. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "base/buf.h"

static auth_t *a;
static const char KEY[] = "0123456789abcdef0123456789abcdef-test-key";

static void setup(void) { a = auth_new(KEY, strlen(KEY), 3600, 2, 3, 60); }
static void teardown(void) { auth_free(a); }

TestSuite(auth, .init = setup, .fini = teardown);

Test(auth, password_hash_verifies_only_the_right_password) {
  char hash[256];
  cr_assert_eq(auth_password_hash(a, "correct horse", hash, sizeof hash), 0);
  cr_expect(strncmp(hash, "$argon2id$", 10) == 0, "not argon2id: %s", hash);
  cr_expect(auth_password_verify(a, hash, "correct horse"));
  cr_expect_not(auth_password_verify(a, hash, "correct horsE"));
  cr_expect_not(auth_password_verify(a, hash, ""));
  char hash2[256];
  auth_password_hash(a, "correct horse", hash2, sizeof hash2);
  cr_expect_str_neq(hash, hash2, "salt must differ");
}

Test(auth, weak_passwords_are_refused) {
  cr_expect_not_null(auth_password_weak("short"));
  cr_expect_null(auth_password_weak("long enough"));
}

Test(auth, token_roundtrip_carries_the_claims) {
  auth_claims_t issued, got;
  char *tok = auth_token_issue(a, "u1", "alice", "researcher", &issued);
  const char *why = NULL;
  cr_assert_eq(auth_token_verify(a, tok, time(NULL), &got, &why), 0, "%s", why);
  cr_expect_str_eq(got.sub, "u1");
  cr_expect_str_eq(got.name, "alice");
  cr_expect_str_eq(got.role, "researcher");
  cr_expect_str_eq(got.jti, issued.jti);
  cr_expect_eq(got.exp, issued.iat + 3600);
  free(tok);
}

Test(auth, expired_token_is_refused) {
  auth_claims_t c;
  char *tok = auth_token_issue(a, "u1", "alice", "admin", &c);
  const char *why = NULL;
  cr_expect_neq(auth_token_verify(a, tok, c.exp, NULL, &why), 0);
  cr_expect_str_eq(why, "token expired");
  cr_expect_eq(auth_token_verify(a, tok, c.exp - 1, NULL, &why), 0);
  free(tok);
}

Test(auth, tampered_payload_or_signature_is_refused) {
  char *tok = auth_token_issue(a, "u1", "alice", "viewer", NULL);
  /* swap the payload for one claiming admin, keep the signature */
  char *d1 = strchr(tok, '.');
  char *d2 = strchr(d1 + 1, '.');
  const char *payload = "{\"exp\":9999999999,\"iat\":1,\"jti\":\"x\",\"name\":\"alice\",\"role\":\"admin\",\"sub\":\"u1\"}";
  char b64[512];
  sodium_bin2base64(b64, sizeof b64, (const unsigned char *)payload, strlen(payload),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  buf_t forged = BUF_INIT;
  buf_append(&forged, tok, (size_t)(d1 - tok) + 1);
  buf_puts(&forged, b64);
  buf_puts(&forged, d2);
  const char *why = NULL;
  cr_expect_neq(auth_token_verify(a, forged.data, time(NULL), NULL, &why), 0);
  cr_expect_str_eq(why, "invalid token signature");
  /* flip one signature character */
  size_t n = strlen(tok);
  tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
  cr_expect_neq(auth_token_verify(a, tok, time(NULL), NULL, NULL), 0);
  buf_free(&forged);
  free(tok);
}

Test(auth, alg_none_and_other_algorithms_are_refused) {
  const char *headers[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
                           "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"};
  const char *payload = "{\"exp\":9999999999,\"iat\":1,\"jti\":\"x\",\"name\":\"alice\",\"role\":\"admin\",\"sub\":\"u1\"}";
  for (int i = 0; i < 3; i++) {
    char h[256], p[512];
    sodium_bin2base64(h, sizeof h, (const unsigned char *)headers[i], strlen(headers[i]),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(p, sizeof p, (const unsigned char *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    buf_t t = BUF_INIT;
    buf_printf(&t, "%s.%s.", h, p);
    const char *why = NULL;
    cr_expect_neq(auth_token_verify(a, t.data, time(NULL), NULL, &why), 0, "accepted %s", headers[i]);
    cr_expect_str_eq(why, "unsupported token algorithm");
    buf_free(&t);
  }
}

Test(auth, token_from_another_key_is_refused) {
  auth_t *other = auth_new("another-secret-another-secret-xx", 32, 3600, 1, 3, 60);
  char *tok = auth_token_issue(other, "u1", "alice", "admin", NULL);
  cr_expect_neq(auth_token_verify(a, tok, time(NULL), NULL, NULL), 0);
  free(tok);
  auth_free(other);
}

Test(auth, garbage_tokens_are_refused) {
  const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "....", "eyJ.eyJ.sig"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect_neq(auth_token_verify(a, bad[i], time(NULL), NULL, NULL), 0, "accepted '%s'", bad[i]);
}
