/* authn.c - token extraction and verification; see authn.h. */
#include "http/authn.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "store/users.h"

int http_token_from_request(struct mg_connection *conn, int allow_query, char *out, size_t outlen) {
  const char *h = mg_get_header(conn, "Authorization");
  if (h && strncasecmp(h, "Bearer ", 7) == 0) {
    snprintf(out, outlen, "%s", h + 7);
    return out[0] != '\0';
  }
  const char *cookie = mg_get_header(conn, "Cookie");
  if (cookie && mg_get_cookie(cookie, "maestro_token", out, outlen) > 0) return 1;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  if (allow_query && ri->query_string && mg_get_var(ri->query_string, strlen(ri->query_string), "token", out, outlen) > 0)
    return 1;
  return 0;
}

int http_user_recheck(app_t *app, http_user_t *user, const char **why) {
  if ((long long)time(NULL) >= user->exp) {
    *why = "token expired";
    return -1;
  }
  int revoked = store_token_is_revoked(app->store, user->jti);
  if (revoked != 0) {
    *why = revoked > 0 ? "token revoked (logged out)" : "cannot check token";
    return -1;
  }
  store_user_t *u = NULL;
  if (store_user_get(app->store, user->id, &u) != STORE_OK) {
    *why = "user no longer exists";
    return -1;
  }
  int rc = -1;
  if (!u->active) {
    *why = "account disabled";
  } else if (user->iat_ms < u->tokens_valid_after) {
    *why = "password changed; log in again";
  } else {
    snprintf(user->username, sizeof user->username, "%s", u->username);
    user->role = role_parse(u->role); /* the current role, not the one in the token */
    rc = 0;
  }
  store_user_free(u);
  return rc;
}

int http_authenticate(app_t *app, const char *token, http_user_t *user, const char **why) {
  auth_claims_t c;
  if (auth_token_verify(app->auth, token, (int64_t)time(NULL), &c, why) != 0) return -1;
  http_user_t cand;
  memset(&cand, 0, sizeof cand);
  size_t idlen = strlen(c.sub);
  if (idlen == 0 || idlen >= sizeof cand.id) {
    *why = "user no longer exists";
    return -1;
  }
  memcpy(cand.id, c.sub, idlen + 1);
  snprintf(cand.jti, sizeof cand.jti, "%s", c.jti);
  cand.exp = c.exp;
  cand.iat_ms = c.iat_ms;
  if (http_user_recheck(app, &cand, why) != 0) return -1;
  *user = cand;
  return 0;
}
