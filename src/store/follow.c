/*
 * follow.c - hearing other processes (PostgreSQL LISTEN/NOTIFY): the events
 * they append (see store/events.h) and the jobs they queue (store/jobs.h).
 *
 * A listener is one thread and one connection outside the pool: it waits on
 * the socket with poll() (a 200 ms tick to notice a stop), consumes input,
 * and hands each notification's payload to the callback. A dropped
 * connection is re-opened with a growing delay; the callback then hears NULL.
 */
#include <errno.h>
#include <stdio.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db.h"
#include "store/events.h"
#include "store/store_internal.h"

/* ---- one LISTEN connection and its thread, for any notification channel ---- */

struct store_listener {
  char *conninfo;
  char channel[64];
  store_notify_fn fn;
  void *ud;
  pthread_t thread;
  atomic_int stop;
  PGconn *conn;
};

/* A connection LISTENing to channel, or NULL with the reason in err. */
static PGconn *listen_conn(const char *conninfo, const char *channel, char *err, size_t errlen) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(err, errlen, "cannot connect: %s", PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  char sql[96];
  snprintf(sql, sizeof sql, "LISTEN %s", channel);
  PGresult *r = PQexec(c, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    snprintf(err, errlen, "cannot LISTEN %s: %s", channel, PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  return c;
}

static PGconn *listener_conn(const store_listener_t *l) {
  char err[512];
  PGconn *c = listen_conn(l->conninfo, l->channel, err, sizeof err);
  if (!c) log_warn("store", "listener for %s: %s", l->channel, err);
  return c;
}

static void *listen_main(void *arg) {
  store_listener_t *l = arg;
  int delay_ms = 100;
  while (!atomic_load(&l->stop)) {
    if (!l->conn) {
      usleep((useconds_t)delay_ms * 1000);
      if (atomic_load(&l->stop)) break;
      l->conn = listener_conn(l);
      if (!l->conn) {
        delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
        continue;
      }
      delay_ms = 100;
      log_info("store", "listener for %s reconnected", l->channel);
      l->fn(l->ud, NULL);
    }
    struct pollfd p = {.fd = PQsocket(l->conn), .events = POLLIN};
    int n = poll(&p, 1, 200);
    if (n < 0 && errno != EINTR) n = 1; /* let PQconsumeInput report it */
    if (n > 0 && !PQconsumeInput(l->conn)) {
      log_warn("store", "listener for %s lost its connection: %s", l->channel, PQerrorMessage(l->conn));
      PQfinish(l->conn);
      l->conn = NULL;
      continue;
    }
    PGnotify *nt;
    while ((nt = PQnotifies(l->conn)) != NULL) {
      l->fn(l->ud, nt->extra);
      PQfreemem(nt);
    }
  }
  return NULL;
}

store_listener_t *store_listen(store_t *st, const char *channel, store_notify_fn fn, void *ud) {
  const char *conninfo = store_pg_conninfo(st);
  if (!conninfo || strlen(channel) >= sizeof ((store_listener_t *)0)->channel) return NULL;
  store_listener_t *l = calloc(1, sizeof *l);
  if (!l) abort();
  l->conninfo = util_strdup(conninfo);
  snprintf(l->channel, sizeof l->channel, "%s", channel);
  l->fn = fn;
  l->ud = ud;
  l->conn = listener_conn(l);
  if (!l->conn || pthread_create(&l->thread, NULL, listen_main, l) != 0) {
    if (l->conn) log_error("store", "cannot start the listener thread for %s", channel);
    PQfinish(l->conn);
    free(l->conninfo);
    free(l);
    return NULL;
  }
  return l;
}

void store_unlisten(store_listener_t *l) {
  if (!l) return;
  atomic_store(&l->stop, 1);
  pthread_join(l->thread, NULL);
  if (l->conn) PQfinish(l->conn);
  free(l->conninfo);
  free(l);
}

/* ---- the event log's follower: notifications "ORIGIN SEQ CHANNEL" ---- */

struct store_follower {
  char origin[128];
  store_follow_fn fn;
  void *ud;
  store_listener_t *listener;
};

static void deliver(void *ud, const char *payload) {
  store_follower_t *f = ud;
  if (!payload) { /* reconnected: readers catch up from the log */
    f->fn(f->ud, NULL, 0);
    return;
  }
  const char *sp = strchr(payload, ' ');
  if (!sp) return;
  size_t olen = (size_t)(sp - payload);
  if (olen == strlen(f->origin) && memcmp(payload, f->origin, olen) == 0) return; /* our own */
  char *end = NULL;
  long long seq = strtoll(sp + 1, &end, 10);
  if (*end != ' ' || seq < 1 || !end[1]) return;
  f->fn(f->ud, end + 1, (int64_t)seq);
}

store_follower_t *store_events_follow(store_t *st, store_follow_fn fn, void *ud) {
  if (!store_pg_conninfo(st)) return NULL;
  store_follower_t *f = calloc(1, sizeof *f);
  if (!f) abort();
  snprintf(f->origin, sizeof f->origin, "%s", store_identity(st));
  f->fn = fn;
  f->ud = ud;
  f->listener = store_listen(st, STORE_EVENTS_NOTIFY, deliver, f);
  if (!f->listener) {
    free(f);
    return NULL;
  }
  return f;
}

void store_events_unfollow(store_follower_t *f) {
  if (!f) return;
  store_unlisten(f->listener);
  free(f);
}

int store_events_check(store_t *st, int timeout_ms, char *err, size_t errlen) {
  const char *conninfo = store_pg_conninfo(st);
  if (!conninfo) return 0; /* SQLite: one process, nothing to carry */
  PGconn *l = listen_conn(conninfo, "maestro_doctor", err, errlen);
  if (!l) return -1;
  char token[17];
  util_new_id(token);
  if (db_query(st, "notify check", "SELECT pg_notify('maestro_doctor', ?)", DB_ARGS(DB_TEXT(token)), NULL, NULL) != 1) {
    snprintf(err, errlen, "cannot NOTIFY");
    PQfinish(l);
    return -1;
  }
  int64_t end = util_now_ms() + timeout_ms;
  int heard = 0;
  while (!heard && util_now_ms() < end) {
    struct pollfd p = {.fd = PQsocket(l), .events = POLLIN};
    if (poll(&p, 1, 100) > 0 && !PQconsumeInput(l)) break;
    PGnotify *nt;
    while ((nt = PQnotifies(l)) != NULL) {
      if (strcmp(nt->extra, token) == 0) heard = 1;
      PQfreemem(nt);
    }
  }
  PQfinish(l);
  if (!heard) snprintf(err, errlen, "a NOTIFY did not arrive within %d ms", timeout_ms);
  return heard ? 0 : -1;
}
