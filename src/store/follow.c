/*
 * follow.c - hearing the events other processes append (PostgreSQL
 * LISTEN/NOTIFY); see store/events.h.
 *
 * One thread, one connection outside the pool: it waits on the socket with
 * poll() (a 200 ms tick to notice a stop), consumes input, and hands each
 * notification from another origin to the callback. A dropped connection is
 * re-opened with a growing delay; the callback then hears (NULL, 0).
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

struct store_follower {
  char *conninfo;
  char origin[128];
  store_follow_fn fn;
  void *ud;
  pthread_t thread;
  atomic_int stop;
  PGconn *conn;
};

static PGconn *listen_conn(const char *conninfo) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    log_warn("store", "event follower cannot connect: %s", PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  PGresult *r = PQexec(c, "LISTEN " STORE_EVENTS_NOTIFY);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    log_warn("store", "event follower cannot LISTEN: %s", PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  return c;
}

static void deliver(store_follower_t *f, const char *payload) {
  /* "ORIGIN SEQ CHANNEL" */
  const char *sp = strchr(payload, ' ');
  if (!sp) return;
  size_t olen = (size_t)(sp - payload);
  if (olen == strlen(f->origin) && memcmp(payload, f->origin, olen) == 0) return; /* our own */
  char *end = NULL;
  long long seq = strtoll(sp + 1, &end, 10);
  if (*end != ' ' || seq < 1 || !end[1]) return;
  f->fn(f->ud, end + 1, (int64_t)seq);
}

static void *follow_main(void *arg) {
  store_follower_t *f = arg;
  int delay_ms = 100;
  while (!atomic_load(&f->stop)) {
    if (!f->conn) {
      usleep((useconds_t)delay_ms * 1000);
      if (atomic_load(&f->stop)) break;
      f->conn = listen_conn(f->conninfo);
      if (!f->conn) {
        delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
        continue;
      }
      delay_ms = 100;
      log_info("store", "event follower reconnected; readers catch up from the log");
      f->fn(f->ud, NULL, 0);
    }
    struct pollfd p = {.fd = PQsocket(f->conn), .events = POLLIN};
    int n = poll(&p, 1, 200);
    if (n < 0 && errno != EINTR) n = 1; /* let PQconsumeInput report it */
    if (n > 0 && !PQconsumeInput(f->conn)) {
      log_warn("store", "event follower lost its connection: %s", PQerrorMessage(f->conn));
      PQfinish(f->conn);
      f->conn = NULL;
      continue;
    }
    PGnotify *nt;
    while ((nt = PQnotifies(f->conn)) != NULL) {
      deliver(f, nt->extra);
      PQfreemem(nt);
    }
  }
  return NULL;
}

store_follower_t *store_events_follow(store_t *st, store_follow_fn fn, void *ud) {
  const char *conninfo = store_pg_conninfo(st);
  if (!conninfo) return NULL;
  PGconn *c = listen_conn(conninfo);
  if (!c) return NULL;
  store_follower_t *f = calloc(1, sizeof *f);
  if (!f) abort();
  f->conninfo = util_strdup(conninfo);
  snprintf(f->origin, sizeof f->origin, "%s", store_identity(st));
  f->fn = fn;
  f->ud = ud;
  f->conn = c;
  if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
    log_error("store", "cannot start the event follower thread");
    PQfinish(c);
    free(f->conninfo);
    free(f);
    return NULL;
  }
  return f;
}

void store_events_unfollow(store_follower_t *f) {
  if (!f) return;
  atomic_store(&f->stop, 1);
  pthread_join(f->thread, NULL);
  if (f->conn) PQfinish(f->conn);
  free(f->conninfo);
  free(f);
}

int store_events_check(store_t *st, int timeout_ms, char *err, size_t errlen) {
  const char *conninfo = store_pg_conninfo(st);
  if (!conninfo) return 0; /* SQLite: one process, nothing to carry */
  PGconn *l = PQconnectdb(conninfo);
  int ok = PQstatus(l) == CONNECTION_OK;
  if (ok) {
    PGresult *r = PQexec(l, "LISTEN maestro_doctor");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  if (!ok) {
    snprintf(err, errlen, "cannot LISTEN: %s", PQerrorMessage(l));
    PQfinish(l);
    return -1;
  }
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
