/*
 * embedcache.h - computed embeddings by (model, SHA-256 of the text).
 * Thread-safe.
 */
#ifndef MAESTRO_STORE_EMBEDCACHE_H
#define MAESTRO_STORE_EMBEDCACHE_H

#include <stddef.h>

#include "store/store.h"

/* Looks up one vector: STORE_OK and *vec (malloc'd, *dim floats) or STORE_NOT_FOUND. */
int store_embed_cache_get(store_t *st, const char *model, const unsigned char hash[32], float **vec, int *dim);
/* Stores n vectors of dim floats (rows of vecs) for the given hashes, in one transaction. */
int store_embed_cache_put(store_t *st, const char *model, const unsigned char (*hashes)[32], const float *vecs,
                          size_t n, int dim);

#endif
