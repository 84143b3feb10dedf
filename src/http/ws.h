/*
 * ws.h - the WebSocket hub behind GET /api/ws.
 *
 * Protocol (API.md): the client sends {"type":"subscribe","channel","after"},
 * {"type":"unsubscribe","channel"} and {"type":"ping"}; the server sends
 * {"type":"event",...}, {"type":"pong"}, {"type":"subscribed","channel","after"},
 * {"type":"unsubscribed","channel"} and {"type":"error","message"} (the socket
 * stays open).
 *
 * Delivery: each client has a bounded queue drained by a small pool of
 * sender threads, so publishers never block on a socket. For every channel
 * a client tracks the last sequence number it was sent; an event at or below
 * it is skipped (no duplicates) and a gap is filled from the store before the
 * event is sent (no gaps). A subscribe queues a catch-up from `after`; live
 * events that race with it are reconciled the same way. A client that falls
 * behind stops getting copies: its events are folded into one catch-up per
 * channel read from the store when it is ready, so its queue stays bounded
 * and it loses nothing. A client whose socket stops taking data, or that
 * floods the server without reading, is dropped (socket closed); the events
 * stay in the store for its reconnect.
 *
 * Channel access: "documents" is the caller's own ingestion channel; other
 * prefixes ("mission", "chat") are checked by authorisers registered by their
 * modules. Unknown or foreign channels are refused with an error message.
 *
 * Sessions: the token is checked at the upgrade and the session again before
 * every subscribe and on every heartbeat (token revoked or expired, account
 * disabled or deleted, password changed since the token was issued, role):
 * the role used to authorise a channel is always the current one. Code that
 * changes an account calls ws_hub_recheck_user() so that its sockets close at
 * once. A socket whose session ended is closed with WS_CLOSE_SESSION_ENDED,
 * one whose role was lowered with WS_CLOSE_ROLE_CHANGED (its token still
 * works: reconnect), the reason being a short text for the user.
 *
 * Limits: every socket holds one of civetweb's HTTP_THREADS for its life, so
 * sockets are limited per user (WS_MAX_PER_USER), per client address
 * (WS_MAX_PER_ADDRESS) and in all (ws_max_total(): HTTP_RESERVED_THREADS stay
 * for plain requests). A socket over a limit is opened and closed at once
 * with WS_CLOSE_LIMIT and the reason. Closing sends the close frame, then
 * shuts the socket down, so a client that ignores the close frame cannot
 * keep the thread.
 */
#ifndef MAESTRO_WS_H
#define MAESTRO_WS_H

#include <civetweb.h>

#include "app.h"
#include "http/http.h"

typedef struct ws_hub ws_hub_t;

/* WebSocket close codes (API.md). */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_SESSION_ENDED 4401 /* logged out, password changed, account disabled or deleted */
#define WS_CLOSE_ROLE_CHANGED 4403  /* role lowered: reconnect with the same token */
#define WS_CLOSE_LIMIT 4429         /* too many sockets (user, address or server) */

/* Returns 1 if `user` may read channel id `id` under this prefix. */
typedef int (*ws_authorize_fn)(app_t *app, const http_user_t *user, const char *id);

/* A hub with its sender and heartbeat threads, listening to app->events;
 * NULL when a thread cannot be started or the event listeners are full. Free with ws_hub_free. */
ws_hub_t *ws_hub_new(app_t *app);
/* Registers an authoriser for "prefix:ID" channels (before clients connect). */
int ws_hub_authorize(ws_hub_t *hub, const char *prefix, ws_authorize_fn fn);
/* The prefix of the i-th registered authoriser ("mission", "chat"), or NULL
 * past the end. For tests that walk every channel kind. */
const char *ws_hub_channel_prefix(const ws_hub_t *hub, int i);
/* Hooks the hub to a civetweb context at /api/ws. */
void ws_hub_attach(ws_hub_t *hub, struct mg_context *ctx);
/* Closes every client and stops the sender threads. */
void ws_hub_shutdown(ws_hub_t *hub);
void ws_hub_free(ws_hub_t *hub);
/* Number of connected clients, not counting those refused over a limit
 * (metrics, tests). */
int ws_hub_clients(ws_hub_t *hub);
/* Checks again the session of every socket of user_id (NULL: every socket)
 * and closes those that no longer hold (see above). Call it after changing an
 * account or revoking a token. Blocks for one database read per socket;
 * never for a socket write. Accepts a NULL hub. Thread-safe. */
void ws_hub_recheck_user(ws_hub_t *hub, const char *user_id);
/* The most WebSockets open at once: HTTP_THREADS minus HTTP_RESERVED_THREADS
 * (the reserve being at most half of the threads). */
int ws_max_total(const config_t *cfg);

#endif
