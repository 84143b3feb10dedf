/*
 * webcache.h - the web module's cache of search answers and fetched pages
 * (schema 004). Entries carry an absolute expiry (epoch ms); a get ignores
 * expired rows and store_webcache_purge() deletes them.
 *
 * Search entries are scoped to a user (user_id may be NULL for CLI use with
 * environment settings only); page entries are shared. Thread-safe.
 * Returned JSON values are new references owned by the caller.
 */
#ifndef MAESTRO_STORE_WEBCACHE_H
#define MAESTRO_STORE_WEBCACHE_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* STORE_OK with *results (array) and *warnings (malloc'd or NULL) and
 * provider (copied into provider[16]); STORE_NOT_FOUND when absent/expired. */
int store_webcache_search_get(store_t *st, const char *key, int64_t now_ms, json_t **results, char **warnings,
                              char provider[16]);
int store_webcache_search_put(store_t *st, const char *key, const char *user_id, const char *query,
                              const char *provider, json_t *results, const char *warnings, int64_t now_ms,
                              int64_t expires_ms);
/* STORE_OK with *page (object) or STORE_NOT_FOUND. */
int store_webcache_page_get(store_t *st, const char *url, int64_t now_ms, json_t **page);
int store_webcache_page_put(store_t *st, const char *url, json_t *page, int64_t now_ms, int64_t expires_ms);
/* Deletes expired entries; returns how many, or -1. */
int store_webcache_purge(store_t *st, int64_t now_ms);

#endif
