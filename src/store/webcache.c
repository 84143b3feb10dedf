/* webcache.c - cache of web search answers and fetched pages (schema 004),
 * on either backend through db.h. */
#include "store/webcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

typedef struct {
  json_t **results;
  char **warnings;
  char *provider;
} search_hit_t;

static int read_search(db_stmt_t *row, void *p) {
  search_hit_t *h = p;
  *h->results = db_col_json(row, 0);
  *h->warnings = db_col_text(row, 1);
  const char *prov = db_col_text_ref(row, 2);
  snprintf(h->provider, 16, "%s", prov ? prov : "");
  return 1;
}

int store_webcache_search_get(store_t *st, const char *key, int64_t now_ms, json_t **results, char **warnings,
                              char provider[16]) {
  *results = NULL;
  *warnings = NULL;
  provider[0] = '\0';
  search_hit_t h = {results, warnings, provider};
  int n = db_query(st, "get web search cache",
                   "SELECT results, warnings, provider FROM web_search_cache WHERE key = ? AND expires_at > ?",
                   DB_ARGS(DB_TEXT(key), DB_INT(now_ms)), read_search, &h);
  if (n < 0) return STORE_ERROR;
  return *results ? STORE_OK : STORE_NOT_FOUND;
}

int store_webcache_search_put(store_t *st, const char *key, const char *user_id, const char *query,
                              const char *provider, json_t *results, const char *warnings, int64_t now_ms,
                              int64_t expires_ms) {
  char *text = json_dumps(results, JSON_COMPACT);
  if (!text) return STORE_ERROR;
  int rc = db_run(st, "put web search cache",
                  "INSERT INTO web_search_cache (key, user_id, query, provider, results, warnings, created_at, "
                  "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (key) DO UPDATE SET provider = excluded.provider, results = excluded.results, "
                  "warnings = excluded.warnings, created_at = excluded.created_at, expires_at = excluded.expires_at",
                  DB_ARGS(DB_TEXT(key), DB_TEXT(user_id), DB_TEXT(query), DB_TEXT(provider), DB_TEXT(text),
                          DB_TEXT(warnings), DB_INT(now_ms), DB_INT(expires_ms)),
                  NULL);
  free(text);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

static int read_page(db_stmt_t *row, void *p) {
  *(json_t **)p = db_col_json(row, 0);
  return 1;
}

int store_webcache_page_get(store_t *st, const char *url, int64_t now_ms, json_t **page) {
  *page = NULL;
  int n = db_query(st, "get web page cache", "SELECT page FROM web_page_cache WHERE url = ? AND expires_at > ?",
                   DB_ARGS(DB_TEXT(url), DB_INT(now_ms)), read_page, page);
  if (n < 0) return STORE_ERROR;
  return *page ? STORE_OK : STORE_NOT_FOUND;
}

int store_webcache_page_put(store_t *st, const char *url, json_t *page, int64_t now_ms, int64_t expires_ms) {
  char *text = json_dumps(page, JSON_COMPACT);
  if (!text) return STORE_ERROR;
  int rc = db_run(st, "put web page cache",
                  "INSERT INTO web_page_cache (url, page, fetched_at, expires_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (url) DO UPDATE SET page = excluded.page, fetched_at = excluded.fetched_at, "
                  "expires_at = excluded.expires_at",
                  DB_ARGS(DB_TEXT(url), DB_TEXT(text), DB_INT(now_ms), DB_INT(expires_ms)), NULL);
  free(text);
  return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

typedef struct {
  int64_t now_ms;
  int64_t removed;
} purge_t;

static int purge_both(db_conn_t *c, void *p) {
  purge_t *pg = p;
  int64_t a = 0, b = 0;
  if (db_conn_run(c, "purge web search cache", "DELETE FROM web_search_cache WHERE expires_at <= ?",
                  DB_ARGS(DB_INT(pg->now_ms)), &a) != STORE_OK ||
      db_conn_run(c, "purge web page cache", "DELETE FROM web_page_cache WHERE expires_at <= ?",
                  DB_ARGS(DB_INT(pg->now_ms)), &b) != STORE_OK)
    return STORE_ERROR;
  pg->removed = a + b;
  return STORE_OK;
}

int store_webcache_purge(store_t *st, int64_t now_ms) {
  purge_t p = {now_ms, 0};
  if (db_tx(st, "purge web cache", purge_both, &p) != STORE_OK) return -1;
  return (int)p.removed;
}
