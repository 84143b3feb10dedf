/*
 * store/events.h - the append-only event log, one sequence per channel.
 * Thread-safe. Sequence numbers start at 1 and grow by one per channel.
 */
#ifndef MAESTRO_STORE_EVENTS_H
#define MAESTRO_STORE_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* An event written in the same transaction as the change it announces, so
 * the two commit together or not at all (a process killed in between leaves
 * neither). seq and ts are filled at commit (seq stays 0 on failure); the
 * caller then pushes it to live listeners (events_notify). */
typedef struct {
  const char *channel, *event;
  json_t *data; /* borrowed */
  int64_t seq, ts;
} store_event_t;

/* Appends an event in its own transaction; fills *seq and *ts (epoch ms). */
int store_event_append(store_t *st, const char *channel, const char *event, json_t *data, int64_t *seq,
                       int64_t *ts);
/*
 * Events of `channel` with seq > after, oldest first, at most `limit`:
 * a JSON array of {"channel","seq","event","data","ts"} (ts ISO-8601).
 * New reference, or NULL on error.
 */
json_t *store_event_list(store_t *st, const char *channel, int64_t after, int limit);
/* Highest seq of the channel (0 when empty). */
int64_t store_event_last_seq(store_t *st, const char *channel);

/*
 * Events appended by other processes (PostgreSQL). Every append sends
 * NOTIFY STORE_EVENTS_NOTIFY "ORIGIN SEQ CHANNEL" in its transaction;
 * store_events_follow() starts a thread that holds one connection outside
 * the pool, LISTENs, and calls fn(ud, channel, seq) for each event whose
 * origin is another store (on that thread: fn must not block long). After a
 * lost connection it reconnects (backing off up to 5 s) and calls
 * fn(ud, NULL, 0): events may have been missed, readers should catch up
 * from the log. On SQLite (one process) there is nothing to follow: NULL.
 * NULL also when the first connection fails (logged).
 */
#define STORE_EVENTS_NOTIFY "maestro_events"

/* The listener under it, for any notification channel: a thread holding one
 * connection outside the pool that LISTENs to `channel` and calls fn(ud,
 * payload) for each notification (on that thread: fn must not block long),
 * fn(ud, NULL) after a lost connection came back (notifications may have
 * been missed). NULL on SQLite or when the first connection fails (logged).
 * store_unlisten stops it and accepts NULL. */
typedef void (*store_notify_fn)(void *ud, const char *payload);
typedef struct store_listener store_listener_t;
store_listener_t *store_listen(store_t *st, const char *channel, store_notify_fn fn, void *ud);
void store_unlisten(store_listener_t *l);

typedef void (*store_follow_fn)(void *ud, const char *channel, int64_t seq);
typedef struct store_follower store_follower_t;
store_follower_t *store_events_follow(store_t *st, store_follow_fn fn, void *ud);
/* Stops the thread and closes its connection; accepts NULL. */
void store_events_unfollow(store_follower_t *f);
/* PostgreSQL: a LISTEN/NOTIFY round trip through the server (maestro
 * doctor); 0 when the notification arrived within timeout_ms, else -1 with
 * the reason. 0 on SQLite (nothing to carry). */
int store_events_check(store_t *st, int timeout_ms, char *err, size_t errlen);

#endif
