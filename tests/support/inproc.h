/*
 * inproc.h - the real server inside the test process, for tests that need
 * to reach into the app (publish events, create users directly): a fresh
 * data directory, loopback on a free port, LOG_LEVEL=warning.
 */
#ifndef MAESTRO_TEST_INPROC_H
#define MAESTRO_TEST_INPROC_H

#include "app.h"
#include "http/server.h"

typedef struct {
  app_t *app;
  http_server_t *srv;
  int port;
  char dir[256];
} inproc_t;

/* Points the configuration at a fresh temp directory and loopback, applies
 * extra ("NAME=value", NULL-ended, may be NULL), and opens the app (no
 * threads yet: create users and the like, then inproc_serve). */
void inproc_open(inproc_t *p, const char *const *extra);
/* Starts the workers and the HTTP server; fills p->port. */
void inproc_serve(inproc_t *p);
/* A user with a fresh token (malloc'd into *token); id_out >= 17 bytes. */
void inproc_user(inproc_t *p, const char *name, const char *role, char *id_out, char **token);
void inproc_close(inproc_t *p);

#endif
