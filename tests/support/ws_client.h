/*
 * ws_client.h - a WebSocket test client (civetweb's client) that collects
 * every JSON text frame the server sends, for the integration tests.
 */
#ifndef MAESTRO_TEST_WS_CLIENT_H
#define MAESTRO_TEST_WS_CLIENT_H

#include <jansson.h>

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
void wsc_close(ws_client_t *c);

#endif
