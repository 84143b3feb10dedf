/*
 * ws.c - WebSocket hub; the design is described in ws.h.
 *
 * Threads: civetweb gives each socket a reader thread (connect/data/close
 * callbacks). Publishers (any thread) only append to client queues under the
 * client's lock. SENDERS threads take clients from a ready list and write
 * their queued frames; a client is on the ready list at most once and served
 * by one sender at a time, so its frames go out in order.
 *
 * Lifetime: a client is reference-counted (hub list, ready list, sender in
 * progress); close_cb marks it closed under its write lock, after which no
 * frame is written to the (soon invalid) civetweb connection.
 */
#include "http/ws.h"

#include <dirent.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/util.h"
#include "events/events.h"
#include "http/authn.h"
#include "store/events.h"

#define SENDERS 4
#define MAX_SUBS 32
#define QUEUE_SOFT_MSGS 256  /* past this, events are coalesced into a catch-up */
#define QUEUE_MAX_MSGS 4096  /* past this (a client flooding us without reading), drop it */
#define QUEUE_MAX_BYTES (8u << 20)
#define MAX_AUTHZ 8
#define HEARTBEAT_MS 20000

typedef enum { MSG_TEXT, MSG_EVENT, MSG_CATCHUP, MSG_PING } msg_kind_t;

typedef struct msg {
  struct msg *next;
  msg_kind_t kind;
  char channel[128];
  int64_t seq; /* MSG_EVENT */
  size_t len;
  char *text; /* MSG_TEXT / MSG_EVENT payload */
} msg_t;

typedef struct {
  char channel[128];
  int64_t last_seq;
  int active;
  int catchup_pending; /* a MSG_CATCHUP for this channel is queued */
} sub_t;

typedef struct client {
  struct client *next_ready;
  ws_hub_t *hub;
  struct mg_connection *conn;
  int fd;                     /* the connection's socket, to cut it after a close frame; -1 if unknown */
  char addr[48];              /* client address (per-address limit) */
  int refused;                /* over a limit: closed with close_reason as soon as it is open, not counted */
  http_user_t user;           /* c->lock: rechecked (role refreshed) before every subscribe */
  pthread_mutex_t lock;       /* queue, subs, flags */
  pthread_mutex_t write_lock; /* conn writes vs close */
  msg_t *head, *tail;
  size_t qmsgs, qbytes;
  sub_t subs[MAX_SUBS];
  int closed, dropped; /* dropped: 1 = close frame to send, 2 = sent */
  int close_code;      /* of the close frame of a dropped client (0: 1000) */
  char close_reason[100];
  int scheduled; /* on the ready list or being served by a sender (c->lock) */
  atomic_int refs;
} client_t;

struct ws_hub {
  app_t *app;
  pthread_mutex_t lock; /* clients list, ready list */
  pthread_cond_t cond;
  client_t **clients;
  int nclients, cap;
  client_t *ready_head, *ready_tail;
  int stopping;
  pthread_t senders[SENDERS];
  pthread_t heartbeat;
  int nsenders, heartbeat_started; /* threads running, joined at shutdown */
  int max_per_user, max_per_addr, max_total; /* socket limits (config) */
  struct {
    char prefix[32];
    ws_authorize_fn fn;
  } authz[MAX_AUTHZ];
  int nauthz;
};

static void client_unref(client_t *c) {
  if (atomic_fetch_sub(&c->refs, 1) != 1) return;
  msg_t *m = c->head;
  while (m) {
    msg_t *n = m->next;
    free(m->text);
    free(m);
    m = n;
  }
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->write_lock);
  free(c);
}

/* Puts the client on the ready list. The caller has just set c->scheduled
 * (under c->lock), so a client is listed at most once and served by one
 * sender at a time: its frames go out in order. */
static void mark_ready(ws_hub_t *hub, client_t *c) {
  pthread_mutex_lock(&hub->lock);
  if (hub->stopping) {
    pthread_mutex_unlock(&hub->lock);
    return;
  }
  atomic_fetch_add(&c->refs, 1);
  c->next_ready = NULL;
  if (hub->ready_tail)
    hub->ready_tail->next_ready = c;
  else
    hub->ready_head = c;
  hub->ready_tail = c;
  pthread_cond_signal(&hub->cond);
  pthread_mutex_unlock(&hub->lock);
}

static sub_t *find_sub(client_t *c, const char *channel);

/*
 * Appends a message. Takes m. A client that falls behind never loses events:
 * past QUEUE_SOFT_MSGS, live events are not queued but folded into one
 * catch-up per channel that the sender reads from the store, so the queue
 * stays bounded. Only a client whose queue overflows anyway (it floods us
 * with requests and never reads) or whose socket stops taking data (a write
 * times out) is dropped.
 */
static void enqueue(client_t *c, msg_t *m) {
  pthread_mutex_lock(&c->lock);
  if (c->closed || c->dropped) {
    pthread_mutex_unlock(&c->lock);
    free(m->text);
    free(m);
    return;
  }
  if (m->kind == MSG_EVENT && c->qmsgs >= QUEUE_SOFT_MSGS) {
    sub_t *s = find_sub(c, m->channel);
    if (!s || s->catchup_pending) {
      pthread_mutex_unlock(&c->lock);
      free(m->text);
      free(m);
      return;
    }
    s->catchup_pending = 1;
    free(m->text);
    m->text = NULL;
    m->len = 0;
    m->kind = MSG_CATCHUP;
  } else if (m->kind == MSG_CATCHUP) {
    sub_t *s = find_sub(c, m->channel);
    if (s) s->catchup_pending = 1;
  }
  if (c->qmsgs >= QUEUE_MAX_MSGS || c->qbytes + m->len > QUEUE_MAX_BYTES) {
    c->dropped = 1;
    snprintf(c->close_reason, sizeof c->close_reason, "too far behind; reconnect");
    log_warn("ws", "dropping WebSocket client of user %s: %zu messages queued", c->user.id, c->qmsgs);
    free(m->text);
    free(m);
  } else {
    m->next = NULL;
    if (c->tail)
      c->tail->next = m;
    else
      c->head = m;
    c->tail = m;
    c->qmsgs++;
    c->qbytes += m->len;
  }
  int schedule = !c->scheduled;
  c->scheduled = 1;
  pthread_mutex_unlock(&c->lock);
  if (schedule) mark_ready(c->hub, c);
}

static msg_t *msg_new(msg_kind_t kind, const char *channel, char *text) {
  msg_t *m = calloc(1, sizeof *m);
  if (!m) abort();
  m->kind = kind;
  if (channel) snprintf(m->channel, sizeof m->channel, "%s", channel);
  m->text = text;
  m->len = text ? strlen(text) : 0;
  return m;
}

static void send_json(client_t *c, json_t *j) {
  char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
  json_decref(j);
  if (text) enqueue(c, msg_new(MSG_TEXT, NULL, text));
}

static void send_error(client_t *c, const char *channel, const char *message) {
  send_json(c, json_pack("{s:s, s:s?, s:s}", "type", "error", "channel", channel, "message", message));
}

/* Writes one frame; returns -1 when the socket is gone. Once a client is
 * dropped only its close frame goes out: nothing queued before the drop (an
 * event of a channel it may no longer read) reaches it. */
static int write_frame(client_t *c, int opcode, const char *data, size_t len) {
  pthread_mutex_lock(&c->write_lock);
  pthread_mutex_lock(&c->lock);
  int stop = c->closed || (c->dropped && opcode != MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE);
  pthread_mutex_unlock(&c->lock);
  int rc = -1;
  if (!stop) rc = mg_websocket_write(c->conn, opcode, data, len) > 0 ? 0 : -1;
  pthread_mutex_unlock(&c->write_lock);
  return rc;
}

/*
 * Sends the close frame (code, reason) of a dropped client, then shuts its
 * socket down: civetweb's reader thread sees the end of the stream at once
 * and releases its HTTP thread, whether or not the client answers the close.
 * The socket is only shut down (never closed) here, and only while close_cb
 * has not run, so the descriptor is still this connection's.
 */
static void send_close(client_t *c, int code, const char *reason) {
  unsigned char frame[2 + sizeof c->close_reason];
  size_t rl = strlen(reason);
  if (rl > sizeof c->close_reason - 1) rl = sizeof c->close_reason - 1;
  frame[0] = (unsigned char)(code >> 8);
  frame[1] = (unsigned char)(code & 0xff);
  memcpy(frame + 2, reason, rl);
  write_frame(c, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, (const char *)frame, 2 + rl);
  pthread_mutex_lock(&c->write_lock);
  if (!c->closed && c->fd >= 0) shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_unlock(&c->write_lock);
}

/* Drops a client: nothing more is sent but a close frame with code and
 * reason, written by a sender thread (see sender_main). Any thread. */
static void client_kill(client_t *c, int code, const char *reason) {
  pthread_mutex_lock(&c->lock);
  if (c->closed || c->dropped) {
    pthread_mutex_unlock(&c->lock);
    return;
  }
  c->dropped = 1;
  c->close_code = code;
  snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
  int schedule = !c->scheduled;
  c->scheduled = 1;
  pthread_mutex_unlock(&c->lock);
  log_info("ws", "closing a WebSocket of user %s: %d %s", c->user.id, code, reason);
  if (schedule) mark_ready(c->hub, c);
}

static sub_t *find_sub(client_t *c, const char *channel) {
  for (int i = 0; i < MAX_SUBS; i++)
    if (c->subs[i].active && strcmp(c->subs[i].channel, channel) == 0) return &c->subs[i];
  return NULL;
}

/* Sends stored events of channel in (from, to] (to < 0: all); updates last_seq. */
static int send_stored(client_t *c, const char *channel, int64_t to) {
  store_t *st = c->hub->app->store;
  for (;;) {
    pthread_mutex_lock(&c->lock);
    sub_t *s = find_sub(c, channel);
    int64_t from = s ? s->last_seq : -1;
    pthread_mutex_unlock(&c->lock);
    if (from < 0 || (to >= 0 && from >= to)) return 0;
    json_t *evs = store_event_list(st, channel, from, 500);
    if (!evs) return -1;
    size_t n = json_array_size(evs);
    size_t i;
    json_t *e;
    int64_t last = from;
    json_array_foreach(evs, i, e) {
      int64_t seq = json_integer_value(json_object_get(e, "seq"));
      if (to >= 0 && seq > to) break;
      json_object_set_new(e, "type", json_string("event"));
      char *text = json_dumps(e, JSON_COMPACT | JSON_REAL_PRECISION(9));
      int rc = text ? write_frame(c, MG_WEBSOCKET_OPCODE_TEXT, text, strlen(text)) : -1;
      free(text);
      if (rc != 0) {
        json_decref(evs);
        return -1;
      }
      last = seq;
    }
    json_decref(evs);
    pthread_mutex_lock(&c->lock);
    s = find_sub(c, channel);
    if (s && last > s->last_seq) s->last_seq = last;
    pthread_mutex_unlock(&c->lock);
    if (n < 500 || (to >= 0 && last >= to) || last == from) return 0;
  }
}

static int deliver(client_t *c, msg_t *m) {
  switch (m->kind) {
    case MSG_TEXT:
      return write_frame(c, MG_WEBSOCKET_OPCODE_TEXT, m->text, m->len);
    case MSG_PING:
      return write_frame(c, MG_WEBSOCKET_OPCODE_PING, "hb", 2);
    case MSG_CATCHUP: {
      /* Clear the flag before reading: an event committed after this point
       * is either queued normally or schedules a new catch-up. */
      pthread_mutex_lock(&c->lock);
      sub_t *s = find_sub(c, m->channel);
      if (s) s->catchup_pending = 0;
      pthread_mutex_unlock(&c->lock);
      return send_stored(c, m->channel, -1);
    }
    case MSG_EVENT: {
      pthread_mutex_lock(&c->lock);
      sub_t *s = find_sub(c, m->channel);
      int64_t last = s ? s->last_seq : -1;
      pthread_mutex_unlock(&c->lock);
      if (!s || m->seq <= last) return 0; /* unsubscribed, or already sent */
      if (m->seq > last + 1 && send_stored(c, m->channel, m->seq - 1) != 0) return -1;
      pthread_mutex_lock(&c->lock);
      s = find_sub(c, m->channel);
      last = s ? s->last_seq : -1;
      pthread_mutex_unlock(&c->lock);
      if (!s || m->seq <= last) return 0;
      if (write_frame(c, MG_WEBSOCKET_OPCODE_TEXT, m->text, m->len) != 0) return -1;
      pthread_mutex_lock(&c->lock);
      s = find_sub(c, m->channel);
      if (s && m->seq > s->last_seq) s->last_seq = m->seq;
      pthread_mutex_unlock(&c->lock);
      return 0;
    }
  }
  return 0;
}

static void *sender_main(void *arg) {
  ws_hub_t *hub = arg;
  for (;;) {
    pthread_mutex_lock(&hub->lock);
    while (!hub->stopping && !hub->ready_head) pthread_cond_wait(&hub->cond, &hub->lock);
    if (hub->stopping) {
      pthread_mutex_unlock(&hub->lock);
      return NULL;
    }
    client_t *c = hub->ready_head;
    hub->ready_head = c->next_ready;
    if (!hub->ready_head) hub->ready_tail = NULL;
    pthread_mutex_unlock(&hub->lock);

    for (;;) {
      pthread_mutex_lock(&c->lock);
      if (c->dropped == 1 && !c->closed) {
        /* close the socket of a dropped client; its reader sees the close */
        c->dropped = 2;
        int code = c->close_code ? c->close_code : WS_CLOSE_NORMAL;
        char reason[sizeof c->close_reason];
        memcpy(reason, c->close_reason, sizeof reason);
        pthread_mutex_unlock(&c->lock);
        send_close(c, code, reason);
        continue;
      }
      msg_t *m = c->head;
      if (!m || c->closed || c->dropped) {
        c->scheduled = 0;
        pthread_mutex_unlock(&c->lock);
        break;
      }
      c->head = m->next;
      if (!c->head) c->tail = NULL;
      c->qmsgs--;
      c->qbytes -= m->len;
      pthread_mutex_unlock(&c->lock);
      int rc = deliver(c, m);
      free(m->text);
      free(m);
      if (rc != 0) {
        pthread_mutex_lock(&c->lock);
        if (!c->dropped) c->dropped = 1;
        pthread_mutex_unlock(&c->lock);
      }
    }
    client_unref(c);
  }
}

/*
 * Checks a client's session again (token revoked or expired, account
 * disabled or deleted, password changed, role lowered) and closes the socket
 * when it no longer holds. The database is the truth, so a change made by
 * another process (`maestro user disable`) is seen too. Returns 0 when the
 * session is still valid (c->user.role then is the current role).
 */
static int client_recheck(client_t *c) {
  pthread_mutex_lock(&c->lock);
  int gone = c->closed || c->dropped || c->refused;
  http_user_t u = c->user;
  pthread_mutex_unlock(&c->lock);
  if (gone) return -1;
  const char *why = "session ended";
  role_t before = u.role;
  if (http_user_recheck(c->hub->app, &u, &why) != 0) {
    client_kill(c, WS_CLOSE_SESSION_ENDED, why);
    return -1;
  }
  if (u.role < before) {
    client_kill(c, WS_CLOSE_ROLE_CHANGED, "role changed; reconnect");
    return -1;
  }
  pthread_mutex_lock(&c->lock);
  c->user.role = u.role;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

/* The listed clients of user_id (NULL: all), each with a reference; *n set. */
static client_t **clients_of(ws_hub_t *hub, const char *user_id, int *n) {
  pthread_mutex_lock(&hub->lock);
  client_t **list = calloc((size_t)hub->nclients + 1, sizeof *list);
  if (!list) abort();
  *n = 0;
  for (int i = 0; i < hub->nclients; i++) {
    client_t *c = hub->clients[i];
    if (user_id && strcmp(c->user.id, user_id) != 0) continue; /* id never changes */
    atomic_fetch_add(&c->refs, 1);
    list[(*n)++] = c;
  }
  pthread_mutex_unlock(&hub->lock);
  return list;
}

void ws_hub_recheck_user(ws_hub_t *hub, const char *user_id) {
  if (!hub) return;
  int n;
  client_t **list = clients_of(hub, user_id, &n);
  for (int i = 0; i < n; i++) {
    client_recheck(list[i]);
    client_unref(list[i]);
  }
  free(list);
}

static void *heartbeat_main(void *arg) {
  ws_hub_t *hub = arg;
  for (;;) {
    int64_t until = util_mono_ms() + HEARTBEAT_MS;
    pthread_mutex_lock(&hub->lock);
    while (!hub->stopping && util_mono_ms() < until) {
      pthread_mutex_unlock(&hub->lock);
      util_sleep_ms(200);
      pthread_mutex_lock(&hub->lock);
    }
    if (hub->stopping) {
      pthread_mutex_unlock(&hub->lock);
      return NULL;
    }
    pthread_mutex_unlock(&hub->lock);
    int n;
    client_t **copy = clients_of(hub, NULL, &n);
    for (int i = 0; i < n; i++) {
      /* catches what another process changed (the CLI writes the database only) */
      if (client_recheck(copy[i]) == 0) enqueue(copy[i], msg_new(MSG_PING, NULL, NULL));
      client_unref(copy[i]);
    }
    free(copy);
  }
}

/* Event listener: runs on the publisher's thread; only queues. The
 * subscribed clients are collected under the hub lock and queued after it is
 * released (queueing takes the hub lock to mark a client ready). */
/* An event another process stored (see events.h): each client following the
 * channel (every channel when channel is NULL) reads the log from its last
 * sequence number, coalesced with a catch-up already queued. */
static void on_remote_event(ws_hub_t *hub, const event_t *ev) {
  pthread_mutex_lock(&hub->lock);
  int n = hub->nclients;
  client_t **all = n ? calloc((size_t)n, sizeof *all) : NULL;
  if (n && !all) abort();
  for (int i = 0; i < n; i++) {
    all[i] = hub->clients[i];
    atomic_fetch_add(&all[i]->refs, 1);
  }
  pthread_mutex_unlock(&hub->lock);
  for (int i = 0; i < n; i++) {
    client_t *c = all[i];
    int idx[MAX_SUBS], m = 0;
    pthread_mutex_lock(&c->lock);
    for (int k = 0; k < MAX_SUBS; k++) {
      sub_t *s = &c->subs[k];
      if (!s->active || s->catchup_pending) continue;
      if (ev->channel && (strcmp(s->channel, ev->channel) != 0 || ev->seq <= s->last_seq)) continue;
      idx[m++] = k;
    }
    msg_t *msgs[MAX_SUBS];
    for (int k = 0; k < m; k++) {
      msgs[k] = calloc(1, sizeof *msgs[k]);
      if (!msgs[k]) abort();
      msgs[k]->kind = MSG_CATCHUP;
      memcpy(msgs[k]->channel, c->subs[idx[k]].channel, sizeof msgs[k]->channel);
    }
    pthread_mutex_unlock(&c->lock);
    for (int k = 0; k < m; k++) enqueue(c, msgs[k]);
    client_unref(c);
  }
  free(all);
}

static void on_event(void *ud, const event_t *ev) {
  ws_hub_t *hub = ud;
  if (!ev->event) {
    on_remote_event(hub, ev);
    return;
  }
  pthread_mutex_lock(&hub->lock);
  client_t **targets = NULL;
  int n = 0;
  for (int i = 0; i < hub->nclients; i++) {
    client_t *c = hub->clients[i];
    pthread_mutex_lock(&c->lock);
    int subscribed = find_sub(c, ev->channel) != NULL;
    pthread_mutex_unlock(&c->lock);
    if (!subscribed) continue;
    if (!targets) targets = calloc((size_t)hub->nclients, sizeof *targets);
    if (!targets) abort();
    atomic_fetch_add(&c->refs, 1);
    targets[n++] = c;
  }
  pthread_mutex_unlock(&hub->lock);
  if (n == 0) return;
  json_t *j = events_to_json(ev);
  char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
  json_decref(j);
  for (int i = 0; i < n; i++) {
    if (text) {
      msg_t *m = msg_new(MSG_EVENT, ev->channel, util_strdup(text));
      m->seq = ev->seq;
      enqueue(targets[i], m);
    }
    client_unref(targets[i]);
  }
  free(text);
  free(targets);
}

/* Maps the requested channel to the stored one and checks access. */
static int resolve_channel(ws_hub_t *hub, const http_user_t *user, const char *req, char *out, size_t outlen,
                           const char **why) {
  if (strcmp(req, "documents") == 0 || (util_starts_with(req, "documents:") && strcmp(req + 10, user->id) == 0)) {
    snprintf(out, outlen, "documents:%s", user->id);
    return 0;
  }
  const char *colon = strchr(req, ':');
  if (!colon || colon == req || !colon[1] || strlen(req) >= outlen) {
    *why = "unknown channel";
    return -1;
  }
  for (int i = 0; i < hub->nauthz; i++) {
    size_t pl = strlen(hub->authz[i].prefix);
    if ((size_t)(colon - req) == pl && strncmp(req, hub->authz[i].prefix, pl) == 0) {
      if (hub->authz[i].fn(hub->app, user, colon + 1)) {
        snprintf(out, outlen, "%s", req);
        return 0;
      }
      *why = "channel not found or not yours";
      return -1;
    }
  }
  *why = "channel not found or not yours";
  return -1;
}

static void handle_message(client_t *c, const char *data, size_t len) {
  json_t *j = json_loadb(data, len, 0, NULL);
  const char *type = json_string_value(json_object_get(j, "type"));
  if (!j || !type) {
    send_error(c, NULL, "messages must be JSON objects with a \"type\"");
    json_decref(j);
    return;
  }
  if (strcmp(type, "ping") == 0) {
    send_json(c, json_pack("{s:s}", "type", "pong"));
  } else if (strcmp(type, "subscribe") == 0 || strcmp(type, "unsubscribe") == 0) {
    const char *req = json_string_value(json_object_get(j, "channel"));
    char channel[128];
    const char *why = "channel is required";
    /* the session as it is now, not as it was at the upgrade */
    if (type[0] == 's' && client_recheck(c) != 0) {
      json_decref(j);
      return;
    }
    pthread_mutex_lock(&c->lock);
    http_user_t user = c->user;
    pthread_mutex_unlock(&c->lock);
    if (!req || resolve_channel(c->hub, &user, req, channel, sizeof channel, &why) != 0) {
      send_error(c, req, why);
    } else if (type[0] == 's') {
      json_t *after = json_object_get(j, "after");
      int64_t from = json_is_integer(after) && json_integer_value(after) > 0 ? json_integer_value(after) : 0;
      pthread_mutex_lock(&c->lock);
      sub_t *s = find_sub(c, channel);
      for (int i = 0; !s && i < MAX_SUBS; i++) {
        if (!c->subs[i].active) {
          s = &c->subs[i];
          s->active = 1;
          snprintf(s->channel, sizeof s->channel, "%s", channel);
        }
      }
      if (s) {
        s->last_seq = from;
        s->catchup_pending = 0;
      }
      pthread_mutex_unlock(&c->lock);
      if (!s) {
        send_error(c, req, "too many subscriptions on one socket");
      } else {
        send_json(c, json_pack("{s:s, s:s, s:I}", "type", "subscribed", "channel", req, "after", (json_int_t)from));
        enqueue(c, msg_new(MSG_CATCHUP, channel, NULL));
      }
    } else {
      pthread_mutex_lock(&c->lock);
      sub_t *s = find_sub(c, channel);
      if (s) s->active = 0;
      pthread_mutex_unlock(&c->lock);
      send_json(c, json_pack("{s:s, s:s}", "type", "unsubscribed", "channel", req));
    }
  } else {
    send_error(c, NULL, "unknown message type");
  }
  json_decref(j);
}

/* The port of a socket address (either family), or -1. */
static int sa_port(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  if (sa->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return -1;
}

/*
 * The descriptor of the connection's socket: civetweb does not expose it, so
 * it is the one socket of this process whose local port is the listening
 * port and whose peer port is the client's (a pair only one accepted TCP
 * connection can have). -1 when not found; the client is then closed by a
 * close frame alone.
 */
static int find_conn_fd(const struct mg_request_info *ri) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1, self = dirfd(d);
  struct dirent *e;
  while (found < 0 && (e = readdir(d)) != NULL) {
    long long fd;
    if (util_parse_int(e->d_name, 0, 1 << 30, &fd) != 0 || fd == self) continue;
    struct sockaddr_storage local, peer;
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname((int)fd, (struct sockaddr *)&local, &ll) != 0 || sa_port(&local) != ri->server_port) continue;
    if (getpeername((int)fd, (struct sockaddr *)&peer, &pl) != 0 || sa_port(&peer) != ri->remote_port) continue;
    found = (int)fd;
  }
  closedir(d);
  return found;
}

static int connect_cb(const struct mg_connection *conn, void *ud) {
  ws_hub_t *hub = ud;
  struct mg_connection *mc = (struct mg_connection *)conn;
  char token[4200];
  const char *why = "missing token";
  http_user_t user;
  if (!http_token_from_request(mc, 1, token, sizeof token) || http_authenticate(hub->app, token, &user, &why) != 0) {
    log_info("ws", "refused WebSocket: %s", why);
    return 1; /* civetweb answers the upgrade with an error */
  }
  client_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->hub = hub;
  c->conn = mc;
  c->user = user;
  const struct mg_request_info *ri = mg_get_request_info(mc);
  snprintf(c->addr, sizeof c->addr, "%s", ri->remote_addr);
  c->fd = find_conn_fd(ri);
  atomic_init(&c->refs, 1);
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->write_lock, NULL);
  pthread_mutex_lock(&hub->lock);
  if (hub->stopping) {
    pthread_mutex_unlock(&hub->lock);
    client_unref(c);
    return 1;
  }
  if (hub->nclients == hub->cap) {
    hub->cap = hub->cap ? hub->cap * 2 : 64;
    hub->clients = realloc(hub->clients, sizeof *hub->clients * (size_t)hub->cap);
    if (!hub->clients) abort();
  }
  /* Limits: each socket holds an HTTP thread for as long as it is open. An
   * upgrade over a limit is accepted and closed at once with the reason, so
   * a browser can tell it apart from a network error. */
  int per_user = 0, per_addr = 0, total = 0;
  for (int i = 0; i < hub->nclients; i++) {
    const client_t *o = hub->clients[i];
    if (o->refused) continue;
    total++;
    per_user += strcmp(o->user.id, c->user.id) == 0;
    per_addr += strcmp(o->addr, c->addr) == 0;
  }
  if (total >= hub->max_total)
    snprintf(c->close_reason, sizeof c->close_reason, "server busy: too many WebSockets open (%d)", total);
  else if (per_user >= hub->max_per_user)
    snprintf(c->close_reason, sizeof c->close_reason, "too many WebSockets for this user (limit %d)",
             hub->max_per_user);
  else if (per_addr >= hub->max_per_addr)
    snprintf(c->close_reason, sizeof c->close_reason, "too many WebSockets from this address (limit %d)",
             hub->max_per_addr);
  c->refused = c->close_reason[0] != '\0';
  hub->clients[hub->nclients++] = c;
  pthread_mutex_unlock(&hub->lock);
  if (c->refused) log_warn("ws", "refusing a WebSocket of user %s from %s: %s", c->user.id, c->addr, c->close_reason);
  mg_set_user_connection_data(mc, c);
  return 0;
}

static void ready_cb(struct mg_connection *conn, void *ud) {
  (void)ud;
  client_t *c = mg_get_user_connection_data(conn);
  if (!c || !c->refused) return; /* c->refused and close_reason are set once, before this */
  char reason[sizeof c->close_reason];
  memcpy(reason, c->close_reason, sizeof reason);
  client_kill(c, WS_CLOSE_LIMIT, reason);
}

static int data_cb(struct mg_connection *conn, int bits, char *data, size_t len, void *ud) {
  (void)ud;
  client_t *c = mg_get_user_connection_data(conn);
  if (!c) return 0;
  int opcode = bits & 0x0f;
  pthread_mutex_lock(&c->lock);
  int dropped = c->dropped;
  pthread_mutex_unlock(&c->lock);
  if (dropped) return 0;
  switch (opcode) {
    case MG_WEBSOCKET_OPCODE_TEXT:
      handle_message(c, data, len);
      return 1;
    case MG_WEBSOCKET_OPCODE_PING:
      write_frame(c, MG_WEBSOCKET_OPCODE_PONG, data, len);
      return 1;
    case MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE:
      return 0;
    default:
      return 1;
  }
}

static void close_cb(const struct mg_connection *conn, void *ud) {
  ws_hub_t *hub = ud;
  client_t *c = mg_get_user_connection_data(conn);
  if (!c) return;
  pthread_mutex_lock(&c->write_lock);
  pthread_mutex_lock(&c->lock);
  c->closed = 1;
  pthread_mutex_unlock(&c->lock);
  pthread_mutex_unlock(&c->write_lock);
  pthread_mutex_lock(&hub->lock);
  for (int i = 0; i < hub->nclients; i++) {
    if (hub->clients[i] == c) {
      hub->clients[i] = hub->clients[--hub->nclients];
      break;
    }
  }
  pthread_mutex_unlock(&hub->lock);
  client_unref(c);
}

ws_hub_t *ws_hub_new(app_t *app) {
  ws_hub_t *hub = calloc(1, sizeof *hub);
  if (!hub) abort();
  hub->app = app;
  hub->max_per_user = (int)config_int(app->cfg, "WS_MAX_PER_USER");
  hub->max_per_addr = (int)config_int(app->cfg, "WS_MAX_PER_ADDRESS");
  hub->max_total = ws_max_total(app->cfg);
  pthread_mutex_init(&hub->lock, NULL);
  pthread_cond_init(&hub->cond, NULL);
  while (hub->nsenders < SENDERS && pthread_create(&hub->senders[hub->nsenders], NULL, sender_main, hub) == 0)
    hub->nsenders++;
  if (hub->nsenders == SENDERS && pthread_create(&hub->heartbeat, NULL, heartbeat_main, hub) == 0)
    hub->heartbeat_started = 1;
  if (!hub->heartbeat_started) {
    log_error("ws", "cannot start the WebSocket threads");
    ws_hub_free(hub);
    return NULL;
  }
  if (events_listen(app->events, on_event, hub) != 0) {
    log_error("ws", "cannot listen to events: too many listeners");
    ws_hub_free(hub);
    return NULL;
  }
  return hub;
}

int ws_hub_authorize(ws_hub_t *hub, const char *prefix, ws_authorize_fn fn) {
  if (hub->nauthz >= MAX_AUTHZ) return -1;
  snprintf(hub->authz[hub->nauthz].prefix, sizeof hub->authz[0].prefix, "%s", prefix);
  hub->authz[hub->nauthz].fn = fn;
  hub->nauthz++;
  return 0;
}

const char *ws_hub_channel_prefix(const ws_hub_t *hub, int i) {
  return i >= 0 && i < hub->nauthz ? hub->authz[i].prefix : NULL;
}

void ws_hub_attach(ws_hub_t *hub, struct mg_context *ctx) {
  mg_set_websocket_handler(ctx, "/api/ws", connect_cb, ready_cb, data_cb, close_cb, hub);
}

int ws_max_total(const config_t *cfg) {
  long long threads = config_int(cfg, "HTTP_THREADS");
  long long reserve = config_int(cfg, "HTTP_RESERVED_THREADS");
  if (reserve > threads / 2) reserve = threads / 2;
  return (int)(threads - reserve);
}

int ws_hub_clients(ws_hub_t *hub) {
  pthread_mutex_lock(&hub->lock);
  int n = 0;
  for (int i = 0; i < hub->nclients; i++) n += !hub->clients[i]->refused;
  pthread_mutex_unlock(&hub->lock);
  return n;
}

void ws_hub_shutdown(ws_hub_t *hub) {
  if (!hub) return;
  events_unlisten(hub->app->events, on_event, hub);
  pthread_mutex_lock(&hub->lock);
  if (hub->stopping) {
    pthread_mutex_unlock(&hub->lock);
    return;
  }
  hub->stopping = 1;
  pthread_cond_broadcast(&hub->cond);
  pthread_mutex_unlock(&hub->lock);
  for (int i = 0; i < hub->nsenders; i++) pthread_join(hub->senders[i], NULL);
  if (hub->heartbeat_started) pthread_join(hub->heartbeat, NULL);
  /* drop what is still on the ready list */
  client_t *c = hub->ready_head;
  while (c) {
    client_t *n = c->next_ready;
    client_unref(c);
    c = n;
  }
  hub->ready_head = hub->ready_tail = NULL;
}

void ws_hub_free(ws_hub_t *hub) {
  if (!hub) return;
  ws_hub_shutdown(hub);
  /* clients still listed were never closed by civetweb (server not started) */
  for (int i = 0; i < hub->nclients; i++) client_unref(hub->clients[i]);
  free(hub->clients);
  pthread_mutex_destroy(&hub->lock);
  pthread_cond_destroy(&hub->cond);
  free(hub);
}
