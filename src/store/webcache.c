/* webcache.c - cache of web search answers and fetched pages (schema 004). */
#include "store/webcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

int store_webcache_search_get(store_t *st, const char *key, int64_t now_ms, json_t **results, char **warnings,
                              char provider[16]) {
  *results = NULL;
  *warnings = NULL;
  provider[0] = '\0';
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s =
      sdb_prepare(db, "SELECT results, warnings, provider FROM web_search_cache WHERE key = ? AND expires_at > ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, key);
    sqlite3_bind_int64(s, 2, now_ms);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *results = sdb_col_json(s, 0);
      *warnings = sdb_col_text(s, 1);
      const char *p = (const char *)sqlite3_column_text(s, 2);
      snprintf(provider, 16, "%s", p ? p : "");
      rc = *results ? STORE_OK : STORE_NOT_FOUND;
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get web search cache");
    }
  }
  sdb_release(st, db);
  return rc;
}

int store_webcache_search_put(store_t *st, const char *key, const char *user_id, const char *query,
                              const char *provider, json_t *results, const char *warnings, int64_t now_ms,
                              int64_t expires_ms) {
  char *text = json_dumps(results, JSON_COMPACT);
  if (!text) return STORE_ERROR;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO web_search_cache (key, user_id, query, provider, results, warnings, "
                                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET provider = excluded.provider, results = "
                                "excluded.results, warnings = excluded.warnings, created_at = excluded.created_at, "
                                "expires_at = excluded.expires_at");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, key);
    sdb_bind_text(s, 2, user_id);
    sdb_bind_text(s, 3, query);
    sdb_bind_text(s, 4, provider);
    sdb_bind_text(s, 5, text);
    sdb_bind_text(s, 6, warnings);
    sqlite3_bind_int64(s, 7, now_ms);
    sqlite3_bind_int64(s, 8, expires_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = STORE_OK;
    else
      sdb_log_error(db, "put web search cache");
  }
  sdb_release(st, db);
  free(text);
  return rc;
}

int store_webcache_page_get(store_t *st, const char *url, int64_t now_ms, json_t **page) {
  *page = NULL;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT page FROM web_page_cache WHERE url = ? AND expires_at > ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, url);
    sqlite3_bind_int64(s, 2, now_ms);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      *page = sdb_col_json(s, 0);
      rc = *page ? STORE_OK : STORE_NOT_FOUND;
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get web page cache");
    }
  }
  sdb_release(st, db);
  return rc;
}

int store_webcache_page_put(store_t *st, const char *url, json_t *page, int64_t now_ms, int64_t expires_ms) {
  char *text = json_dumps(page, JSON_COMPACT);
  if (!text) return STORE_ERROR;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO web_page_cache (url, page, fetched_at, expires_at) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT (url) DO UPDATE SET page = excluded.page, fetched_at = "
                                "excluded.fetched_at, expires_at = excluded.expires_at");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, url);
    sdb_bind_text(s, 2, text);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int64(s, 4, expires_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = STORE_OK;
    else
      sdb_log_error(db, "put web page cache");
  }
  sdb_release(st, db);
  free(text);
  return rc;
}

int store_webcache_purge(store_t *st, int64_t now_ms) {
  sqlite3 *db = sdb_acquire(st);
  int n = -1;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *a = sdb_prepare(db, "DELETE FROM web_search_cache WHERE expires_at <= ?");
    int ok = a != NULL;
    if (ok) {
      sqlite3_bind_int64(a, 1, now_ms);
      ok = sqlite3_step(a) == SQLITE_DONE;
      n = sqlite3_changes(db);
    }
    sqlite3_stmt *b = ok ? sdb_prepare(db, "DELETE FROM web_page_cache WHERE expires_at <= ?") : NULL;
    if (b) {
      sqlite3_bind_int64(b, 1, now_ms);
      ok = sqlite3_step(b) == SQLITE_DONE;
      n += sqlite3_changes(db);
    } else {
      ok = 0;
    }
    if (ok && sdb_commit(db) == 0) {
      sdb_release(st, db);
      return n;
    }
    sdb_log_error(db, "purge web cache");
    sdb_rollback(db);
  }
  sdb_release(st, db);
  return -1;
}
