/*
 * events.h - publish events: write the row, then push it to listeners.
 *
 * Every live update in Maestro (mission progress, ingestion progress, chat
 * tokens) goes through events_publish(): the event is appended to the
 * channel's log in the store (getting the next sequence number) and then
 * handed to every registered listener (the WebSocket hub is one). Listeners
 * run on the publisher's thread and must not block: they copy and queue.
 *
 * Channels: "mission:ID", "chat:ID", "documents:USERID" (the WebSocket
 * channel "documents" maps to the caller's own "documents:USERID").
 * Thread-safe.
 */
#ifndef MAESTRO_EVENTS_H
#define MAESTRO_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct events events_t;

/*
 * An event for listeners. With several processes on one PostgreSQL store,
 * events stored by another process arrive with event == NULL and data NULL
 * (channel and seq set): the listener reads them from the log if it follows
 * that channel (store_event_list). channel == NULL as well means events may
 * have been missed (the notification connection was lost): catch up every
 * followed channel from the log.
 */
typedef struct {
  const char *channel;
  int64_t seq;
  const char *event;
  json_t *data; /* borrowed */
  int64_t ts;   /* epoch ms */
} event_t;

typedef void (*events_listener_fn)(void *ud, const event_t *ev);

/* On PostgreSQL, events_new() also starts following the events other
 * processes store (store_events_follow), delivered as described above. */

events_t *events_new(store_t *st);
void events_free(events_t *ev);
/* Adds a listener: 0, or -1 when 8 listeners are registered already (the
 * listener is then not called). */
int events_listen(events_t *ev, events_listener_fn fn, void *ud);
void events_unlisten(events_t *ev, events_listener_fn fn, void *ud);
/* Stores and pushes an event. data is borrowed (may be NULL = {}). seq_out may be NULL.
 * 0, or -1 when the store refused the row (nothing was pushed then). */
int events_publish(events_t *ev, const char *channel, const char *event, json_t *data, int64_t *seq_out);
/* Pushes an event already stored (by a store transaction) to the listeners. */
void events_notify(events_t *ev, const event_t *e);
/* The event as the JSON sent to WebSocket clients:
 * {"type":"event","channel","seq","event","data","ts"}. New reference. */
json_t *events_to_json(const event_t *e);
store_t *events_store(events_t *ev);

#endif
