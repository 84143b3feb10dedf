/*
 * store/events.h - the append-only event log, one sequence per channel.
 * Thread-safe. Sequence numbers start at 1 and grow by one per channel.
 */
#ifndef MAESTRO_STORE_EVENTS_H
#define MAESTRO_STORE_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

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

#endif
