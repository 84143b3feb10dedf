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

int http_authenticate(app_t *app, const char *token, http_user_t *user, const char **why) {
  auth_claims_t c;
  if (auth_token_verify(app->auth, token, (int64_t)time(NULL), &c, why) != 0) return -1;
  int revoked = store_token_is_revoked(app->store, c.jti);
  if (revoked != 0) {
    *why = revoked > 0 ? "token revoked" : "cannot check token";
    return -1;
  }
  store_user_t *u = NULL;
  if (store_user_get(app->store, c.sub, &u) != STORE_OK) {
    *why = "user no longer exists";
    return -1;
  }
  if (!u->active) {
    store_user_free(u);
    *why = "account disabled";
    return -1;
  }
  memset(user, 0, sizeof *user);
  snprintf(user->id, sizeof user->id, "%s", u->id);
  snprintf(user->username, sizeof user->username, "%s", u->username);
  user->role = role_parse(u->role); /* the current role, not the one in the token */
  snprintf(user->jti, sizeof user->jti, "%s", c.jti);
  user->exp = c.exp;
  store_user_free(u);
  return 0;
}
