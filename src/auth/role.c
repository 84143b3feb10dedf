/* role.c - account roles; see role.h. */
#include "auth/role.h"

#include <string.h>

/* Each role's name, by its value: the one table both directions read. */
static const char *const NAMES[] = {
    [ROLE_NONE] = "none", [ROLE_VIEWER] = "viewer", [ROLE_RESEARCHER] = "researcher", [ROLE_ADMIN] = "admin"};

role_t role_parse(const char *s) {
  for (int r = ROLE_VIEWER; s && r <= ROLE_ADMIN; r++)
    if (strcmp(s, NAMES[r]) == 0) return (role_t)r;
  return ROLE_NONE;
}

const char *role_name(role_t r) {
  return r >= ROLE_VIEWER && r <= ROLE_ADMIN ? NAMES[r] : NAMES[ROLE_NONE];
}
