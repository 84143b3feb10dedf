/* ws_client.c - see ws_client.h. */
#include "ws_client.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

struct ws_client {
  pthread_mutex_t lock;
  json_t *msgs;
  int closed;
  int close_code; /* of the server's close frame, 0 until one arrives */
  char close_reason[128];
  struct mg_connection *conn;
};

static int on_data(struct mg_connection *conn, int flags, char *data, size_t len, void *ud) {
  (void)conn;
  ws_client_t *c = ud;
  if ((flags & 0xf) == MG_WEBSOCKET_OPCODE_TEXT) {
    json_t *j = json_loadb(data, len, 0, NULL);
    pthread_mutex_lock(&c->lock);
    if (j) json_array_append_new(c->msgs, j);
    pthread_mutex_unlock(&c->lock);
  } else if ((flags & 0xf) == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) {
    pthread_mutex_lock(&c->lock);
    if (len >= 2 && !c->close_code) {
      c->close_code = ((unsigned char)data[0] << 8) | (unsigned char)data[1];
      size_t rl = len - 2 < sizeof c->close_reason - 1 ? len - 2 : sizeof c->close_reason - 1;
      memcpy(c->close_reason, data + 2, rl);
      c->close_reason[rl] = '\0';
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
  }
  return 1;
}

static void on_close(const struct mg_connection *conn, void *ud) {
  (void)conn;
  ws_client_t *c = ud;
  pthread_mutex_lock(&c->lock);
  c->closed = 1;
  pthread_mutex_unlock(&c->lock);
}

ws_client_t *wsc_connect(int port, const char *token) {
  ws_client_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  pthread_mutex_init(&c->lock, NULL);
  c->msgs = json_array();
  char path[1200], err[256];
  if (token)
    snprintf(path, sizeof path, "/api/ws?token=%s", token);
  else
    snprintf(path, sizeof path, "/api/ws");
  c->conn = mg_connect_websocket_client("127.0.0.1", port, 0, err, sizeof err, path, NULL, on_data, on_close, c);
  if (!c->conn) {
    json_decref(c->msgs);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return NULL;
  }
  return c;
}

void wsc_send(ws_client_t *c, json_t *msg) {
  char *t = json_dumps(msg, JSON_COMPACT);
  mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, t, strlen(t));
  free(t);
  json_decref(msg);
}

int wsc_count(ws_client_t *c, const char *type, const char *channel) {
  int n = 0;
  pthread_mutex_lock(&c->lock);
  size_t i;
  json_t *m;
  json_array_foreach(c->msgs, i, m) {
    const char *t = json_string_value(json_object_get(m, "type"));
    const char *ch = json_string_value(json_object_get(m, "channel"));
    if (t && !strcmp(t, type) && (!channel || (ch && !strcmp(ch, channel)))) n++;
  }
  pthread_mutex_unlock(&c->lock);
  return n;
}

int wsc_wait(ws_client_t *c, const char *type, const char *channel, int count, int timeout_ms) {
  int64_t deadline = util_mono_ms() + timeout_ms;
  for (;;) {
    int n = wsc_count(c, type, channel);
    if (n >= count || util_mono_ms() >= deadline) return n;
    util_sleep_ms(10);
  }
}

json_t *wsc_messages(ws_client_t *c) {
  pthread_mutex_lock(&c->lock);
  json_t *copy = json_deep_copy(c->msgs);
  pthread_mutex_unlock(&c->lock);
  return copy;
}

int wsc_closed(ws_client_t *c) {
  pthread_mutex_lock(&c->lock);
  int closed = c->closed;
  pthread_mutex_unlock(&c->lock);
  return closed;
}

int wsc_wait_closed(ws_client_t *c, int timeout_ms, char *reason, size_t n) {
  int64_t deadline = util_mono_ms() + timeout_ms;
  for (;;) {
    pthread_mutex_lock(&c->lock);
    int closed = c->closed, code = c->close_code;
    if (reason && n) snprintf(reason, n, "%s", c->close_reason);
    pthread_mutex_unlock(&c->lock);
    if (closed) return code ? code : 1006;
    if (util_mono_ms() >= deadline) return 0;
    util_sleep_ms(10);
  }
}

void wsc_close(ws_client_t *c) {
  if (!c) return;
  /* A close handshake ends the client's reader thread at once; without it
   * mg_close_connection waits for the reader's next poll timeout. */
  if (!wsc_closed(c)) {
    mg_websocket_client_write(c->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8", 2);
    wsc_wait_closed(c, 1000, NULL, 0);
  }
  mg_close_connection(c->conn);
  json_decref(c->msgs);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

int wsc_raw_upgrade(int port, const char *token, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  char req[1400];
  int n = snprintf(req, sizeof req,
                   "GET /api/ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   token);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || n <= 0 || (size_t)n >= sizeof req ||
      write(fd, req, (size_t)n) != n) {
    close(fd);
    return -1;
  }
  return fd;
}
