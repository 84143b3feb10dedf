/*
 * role.h - what an account may do: viewer < researcher < admin, ordered so
 * that a comparison says whether a role suffices. Stored by name in the
 * users table; the router compares a route's least role with the caller's.
 */
#ifndef MAESTRO_ROLE_H
#define MAESTRO_ROLE_H

typedef enum { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_RESEARCHER = 2, ROLE_ADMIN = 3 } role_t;

/* Parses "admin"/"researcher"/"viewer"; ROLE_NONE when unknown. */
role_t role_parse(const char *s);
/* "admin", "researcher", "viewer" or "none"; static storage. */
const char *role_name(role_t r);

#endif
