/*
 * server.h - starting and stopping the HTTP/WebSocket server.
 *
 * http_server_start() listens on BIND_ADDRESS:BACKEND_PORT (and FRONTEND_PORT
 * when non-zero; port 0 picks a free port, see http_server_port()). Requests
 * run on civetweb's worker threads. http_server_stop() stops accepting, lets
 * in-flight requests finish, and closes every WebSocket.
 */
#ifndef MAESTRO_HTTP_SERVER_H
#define MAESTRO_HTTP_SERVER_H

#include <stddef.h>

#include "app.h"

typedef struct http_server http_server_t;

http_server_t *http_server_start(app_t *app, char *err, size_t errlen);
/* The actual port of listener idx (0 = backend, 1 = frontend), or -1. */
int http_server_port(http_server_t *srv, int idx);
void http_server_stop(http_server_t *srv);

#endif
