/* role.c - account roles; see role.h. */
#include "auth/role.h"

#include <string.h>

role_t role_parse(const char *s) {
  if (!s) return ROLE_NONE;
  if (strcmp(s, "admin") == 0) return ROLE_ADMIN;
  if (strcmp(s, "researcher") == 0) return ROLE_RESEARCHER;
  if (strcmp(s, "viewer") == 0) return ROLE_VIEWER;
  return ROLE_NONE;
}

const char *role_name(role_t r) {
  switch (r) {
    case ROLE_ADMIN:
      return "admin";
    case ROLE_RESEARCHER:
      return "researcher";
    case ROLE_VIEWER:
      return "viewer";
    default:
      return "none";
  }
}
