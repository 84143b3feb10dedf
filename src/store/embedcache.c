/* embedcache.c - computed embeddings by model and text hash, on either
 * backend through db.h. */
#include "store/embedcache.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/db.h"

typedef struct {
  float **vec;
  int *dim;
  int found;
} embed_hit_t;

static int read_vec(db_stmt_t *row, void *p) {
  embed_hit_t *h = p;
  int64_t d = db_col_int64(row, 0);
  size_t bytes = 0;
  const void *blob = db_col_blob(row, 1, &bytes);
  /* a damaged row counts as missing */
  if (d > 0 && d <= 1 << 20 && blob && bytes == (size_t)d * sizeof(float)) {
    *h->vec = malloc(bytes);
    if (!*h->vec) abort();
    memcpy(*h->vec, blob, bytes);
    *h->dim = (int)d;
    h->found = 1;
  }
  return 1;
}

int store_embed_cache_get(store_t *st, const char *model, const unsigned char hash[32], float **vec, int *dim) {
  *vec = NULL;
  *dim = 0;
  embed_hit_t h = {vec, dim, 0};
  int n = db_query(st, "get cached embedding", "SELECT dim, vec FROM embedding_cache WHERE model = ? AND hash = ?",
                   DB_ARGS(DB_TEXT(model), DB_BLOB(hash, 32)), read_vec, &h);
  if (n < 0) return STORE_ERROR;
  return h.found ? STORE_OK : STORE_NOT_FOUND;
}

typedef struct {
  const char *model;
  const unsigned char (*hashes)[32];
  const float *vecs;
  size_t n;
  int dim;
} embed_put_t;

static int put_all(db_conn_t *c, void *p) {
  embed_put_t *e = p;
  int64_t now = util_now_ms();
  for (size_t i = 0; i < e->n; i++) {
    int rc = db_conn_run(c, "cache embeddings",
                         "INSERT INTO embedding_cache (model, hash, dim, vec, created_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (model, hash) DO UPDATE SET dim = excluded.dim, vec = excluded.vec, "
                         "created_at = excluded.created_at",
                         DB_ARGS(DB_TEXT(e->model), DB_BLOB(e->hashes[i], 32), DB_INT(e->dim),
                                 DB_BLOB(e->vecs + i * (size_t)e->dim, (size_t)e->dim * sizeof(float)), DB_INT(now)),
                         NULL);
    if (rc != STORE_OK) return STORE_ERROR;
  }
  return STORE_OK;
}

int store_embed_cache_put(store_t *st, const char *model, const unsigned char (*hashes)[32], const float *vecs,
                          size_t n, int dim) {
  if (n == 0) return STORE_OK;
  embed_put_t e = {model, hashes, vecs, n, dim};
  return db_tx(st, "cache embeddings", put_all, &e) == STORE_OK ? STORE_OK : STORE_ERROR;
}
