/* events.c - store-then-push event publishing; see events.h. */
#include "events/events.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/util.h"
#include "store/events.h"

#define MAX_LISTENERS 8

struct events {
  store_t *st;
  store_follower_t *follower; /* PostgreSQL: other processes' events */
  pthread_rwlock_t lock;
  struct {
    events_listener_fn fn;
    void *ud;
  } listeners[MAX_LISTENERS];
  int nlisteners;
};

/* Another process stored an event (or, channel NULL, some may have been
 * missed): listeners read it from the log themselves, only if they care. */
static void on_remote(void *ud, const char *channel, int64_t seq) {
  event_t e = {channel, seq, NULL, NULL, 0};
  events_notify(ud, &e);
}

events_t *events_new(store_t *st) {
  events_t *ev = calloc(1, sizeof *ev);
  if (!ev) abort();
  ev->st = st;
  pthread_rwlock_init(&ev->lock, NULL);
  ev->follower = store_events_follow(st, on_remote, ev);
  return ev;
}

void events_free(events_t *ev) {
  if (!ev) return;
  store_events_unfollow(ev->follower);
  pthread_rwlock_destroy(&ev->lock);
  free(ev);
}

store_t *events_store(events_t *ev) { return ev->st; }

int events_listen(events_t *ev, events_listener_fn fn, void *ud) {
  pthread_rwlock_wrlock(&ev->lock);
  int rc = -1;
  if (ev->nlisteners < MAX_LISTENERS) {
    ev->listeners[ev->nlisteners].fn = fn;
    ev->listeners[ev->nlisteners].ud = ud;
    ev->nlisteners++;
    rc = 0;
  }
  pthread_rwlock_unlock(&ev->lock);
  return rc;
}

void events_unlisten(events_t *ev, events_listener_fn fn, void *ud) {
  pthread_rwlock_wrlock(&ev->lock);
  for (int i = 0; i < ev->nlisteners; i++) {
    if (ev->listeners[i].fn == fn && ev->listeners[i].ud == ud) {
      ev->listeners[i] = ev->listeners[ev->nlisteners - 1];
      ev->nlisteners--;
      break;
    }
  }
  pthread_rwlock_unlock(&ev->lock);
}

void events_notify(events_t *ev, const event_t *e) {
  pthread_rwlock_rdlock(&ev->lock);
  for (int i = 0; i < ev->nlisteners; i++) ev->listeners[i].fn(ev->listeners[i].ud, e);
  pthread_rwlock_unlock(&ev->lock);
}

int events_publish(events_t *ev, const char *channel, const char *event, json_t *data, int64_t *seq_out) {
  int64_t seq = 0, ts = 0;
  if (store_event_append(ev->st, channel, event, data, &seq, &ts) != STORE_OK) return -1;
  json_t *empty = data ? NULL : json_object();
  event_t e = {channel, seq, event, data ? data : empty, ts};
  events_notify(ev, &e);
  json_decref(empty);
  if (seq_out) *seq_out = seq;
  return 0;
}

json_t *events_to_json(const event_t *e) {
  char ts[40];
  util_iso_time(e->ts, ts, sizeof ts);
  return json_pack("{s:s, s:s, s:I, s:s, s:O, s:s}", "type", "event", "channel", e->channel, "seq",
                   (json_int_t)e->seq, "event", e->event, "data", e->data, "ts", ts);
}
