/* embedcache.c - computed embeddings by model and text hash. */
#include "store/embedcache.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_internal.h"

int store_embed_cache_get(store_t *st, const char *model, const unsigned char hash[32], float **vec, int *dim) {
  *vec = NULL;
  *dim = 0;
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT dim, vec FROM embedding_cache WHERE model = ? AND hash = ?");
  int rc = STORE_ERROR;
  if (s) {
    sdb_bind_text(s, 1, model);
    sqlite3_bind_blob(s, 2, hash, 32, SQLITE_TRANSIENT);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      int d = sqlite3_column_int(s, 0);
      int bytes = sqlite3_column_bytes(s, 1);
      if (d > 0 && bytes == d * (int)sizeof(float)) {
        *vec = malloc((size_t)bytes);
        if (!*vec) abort();
        memcpy(*vec, sqlite3_column_blob(s, 1), (size_t)bytes);
        *dim = d;
        rc = STORE_OK;
      } else {
        rc = STORE_NOT_FOUND; /* a damaged row counts as missing */
      }
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  return rc;
}

int store_embed_cache_put(store_t *st, const char *model, const unsigned char (*hashes)[32], const float *vecs,
                          size_t n, int dim) {
  if (n == 0) return STORE_OK;
  sqlite3 *db = sdb_acquire(st);
  int rc = STORE_ERROR;
  if (sdb_begin(db) == 0) {
    sqlite3_stmt *s = sdb_prepare(db,
                                  "INSERT OR REPLACE INTO embedding_cache (model, hash, dim, vec, created_at) "
                                  "VALUES (?, ?, ?, ?, ?)");
    int64_t now = util_now_ms();
    rc = s ? STORE_OK : STORE_ERROR;
    for (size_t i = 0; s && i < n && rc == STORE_OK; i++) {
      sqlite3_reset(s);
      sdb_bind_text(s, 1, model);
      sqlite3_bind_blob(s, 2, hashes[i], 32, SQLITE_TRANSIENT);
      sqlite3_bind_int(s, 3, dim);
      sqlite3_bind_blob(s, 4, vecs + i * (size_t)dim, dim * (int)sizeof(float), SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 5, now);
      if (sqlite3_step(s) != SQLITE_DONE) rc = STORE_ERROR;
    }
    if (rc == STORE_OK && sdb_commit(db) != 0) rc = STORE_ERROR;
    if (rc != STORE_OK) sdb_log_error(db, "cache embeddings");
  }
  sdb_release(st, db);
  return rc;
}
