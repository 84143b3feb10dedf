/*
 * ws_client.h - a WebSocket test client (civetweb's client) that collects
 * every JSON text frame the server sends, for the integration tests.
 */
#ifndef MAESTRO_TEST_WS_CLIENT_H
#define MAESTRO_TEST_WS_CLIENT_H

#include <jansson.h>
#include <stddef.h>

typedef struct ws_client ws_client_t;

/* Connects to ws://127.0.0.1:port/api/ws?token=TOKEN (no token when NULL).
 * NULL when the server refuses the upgrade. */
ws_client_t *wsc_connect(int port, const char *token);
/* Sends msg as a text frame; takes the reference. */
void wsc_send(ws_client_t *c, json_t *msg);
/* Messages of `type` (and `channel` when not NULL) received so far. */
int wsc_count(ws_client_t *c, const char *type, const char *channel);
/* Waits up to timeout_ms until `count` such messages have arrived; returns
 * how many have (polls, no fixed sleep). */
int wsc_wait(ws_client_t *c, const char *type, const char *channel, int count, int timeout_ms);
/* A copy of every message received so far, in order (new reference). */
json_t *wsc_messages(ws_client_t *c);
/* 1 once the server has closed the socket. */
int wsc_closed(ws_client_t *c);
/* Waits up to timeout_ms for the server to close the socket. Returns the
 * close code of its close frame (1006 when closed without one), 0 if still
 * open; the close reason is copied into reason (n bytes) when not NULL. */
int wsc_wait_closed(ws_client_t *c, int timeout_ms, char *reason, size_t n);
void wsc_close(ws_client_t *c);
/* A raw TCP socket to 127.0.0.1:port that has sent the upgrade request for
 * /api/ws?token=TOKEN and read nothing yet (for clients that misbehave).
 * rcvbuf > 0 sets SO_RCVBUF first. The caller closes the fd; -1 on failure. */
int wsc_raw_upgrade(int port, const char *token, int rcvbuf);

#endif
