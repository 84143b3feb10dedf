/* accounts.c - user account rules shared by the API and the CLI. */
#include "auth/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/role.h"
#include "base/util.h"
#include "store/users.h"

const char *accounts_username_invalid(const char *u) {
  size_t n = u ? strlen(u) : 0;
  if (n == 0 || n > 64) return "username must be 1 to 64 characters long";
  for (size_t i = 0; i < n; i++) {
    char c = u[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-' || c == '@'))
      return "username may contain only letters, digits and . _ - @";
  }
  return NULL;
}

/* The hash of a new password, once the checks before it passed (why is
 * their complaint, NULL when none) and the password keeps the password rules.
 * 0, or -1 with err: the first complaint. */
static int password_hash(auth_t *auth, const char *why, const char *password, char *hash, size_t hashlen, char *err,
                         size_t errlen) {
  if (!why && !password) why = "password is required";
  if (!why) why = auth_password_weak(password);
  if (why) {
    snprintf(err, errlen, "%s", why);
    return -1;
  }
  if (auth_password_hash(auth, password, hash, hashlen) != 0) {
    snprintf(err, errlen, "cannot hash the password (out of memory?)");
    return -1;
  }
  return 0;
}

int accounts_create(store_t *store, auth_t *auth, const char *username, const char *password, const char *role, char *id_out,
                    char *err, size_t errlen) {
  char hash[256];
  if (password_hash(auth, accounts_username_invalid(username), password, hash, sizeof hash, err, errlen) != 0)
    return -1;
  if (role_parse(role) == ROLE_NONE) {
    snprintf(err, errlen, "role must be admin, researcher or viewer");
    return -1;
  }
  store_user_t u;
  memset(&u, 0, sizeof u);
  u.username = (char *)username;
  u.password_hash = hash;
  snprintf(u.role, sizeof u.role, "%s", role);
  u.active = 1;
  int rc = store_user_insert(store, &u);
  if (rc == STORE_CONFLICT) {
    snprintf(err, errlen, "user %s already exists", username);
    return STORE_CONFLICT;
  }
  if (rc != STORE_OK) {
    snprintf(err, errlen, "cannot store the user");
    return -1;
  }
  if (id_out) memcpy(id_out, u.id, sizeof u.id);
  return 0;
}

int accounts_set_password(store_t *store, auth_t *auth, const char *user_id, const char *password, char *err, size_t errlen) {
  char hash[256];
  if (password_hash(auth, NULL, password, hash, sizeof hash, err, errlen) != 0) return -1;
  int rc = store_user_update(store, user_id, NULL, -1, hash);
  if (rc == STORE_NOT_FOUND) snprintf(err, errlen, "user %s not found", user_id);
  if (rc == STORE_ERROR) snprintf(err, errlen, "cannot store the password");
  return rc;
}

int accounts_ensure_admin(const config_t *cfg, store_t *store, auth_t *auth, char **generated, char *err, size_t errlen) {
  *generated = NULL;
  int n = store_user_count(store);
  if (n < 0) {
    snprintf(err, errlen, "cannot count users");
    return -1;
  }
  if (n > 0) return 0;
  const char *name = config_get(cfg, "ADMIN_USERNAME");
  const char *pw = config_get(cfg, "ADMIN_PASSWORD");
  char fresh[25];
  if (!pw[0]) {
    util_random_hex(fresh, 12);
    pw = fresh;
  }
  if (accounts_create(store, auth, name, pw, "admin", NULL, err, errlen) != 0) {
    /* another process on the same database created the first user meanwhile */
    if (store_user_count(store) > 0) return 0;
    return -1;
  }
  if (pw == fresh) *generated = util_strdup(fresh);
  return 1;
}
