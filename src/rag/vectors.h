/*
 * vectors.h - in-memory vector indexes searched with OpenBLAS.
 *
 * One index per (user, embedding model): a row-major float32 matrix of the
 * L2-normalised chunk vectors of the user's ready documents, with the chunk
 * and document id of every row. A query is one sgemv (cosine similarity, as
 * rows and query are normalised) followed by a top-k heap. Indexes are built
 * lazily from the store and rebuilt when the user's library version changes
 * (count and latest update of ready documents) or after rag_vectors_forget().
 *
 * Thread-safe: a mutex guards the cache; searches hold a reference to the
 * index they use, so a rebuild never frees a matrix in use.
 */
#ifndef MAESTRO_RAG_VECTORS_H
#define MAESTRO_RAG_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct rag_vectors rag_vectors_t;

typedef struct {
  int64_t chunk_id;
  char document_id[17];
  float score;
} rag_vec_hit_t;

rag_vectors_t *rag_vectors_new(store_t *st);
void rag_vectors_free(rag_vectors_t *v);
/* Drops the cached index of a user (after a delete or a new ready document). */
void rag_vectors_forget(rag_vectors_t *v, const char *user_id);

/*
 * Top `limit` chunks by cosine similarity to q (dim floats, normalised)
 * among the user's vectors of `model`; when allow_docs is non-NULL only
 * documents whose id is in it (sorted array of nallow ids) count.
 * *hits malloc'd, *n set. Returns 0, or -1 when the dimension differs from
 * the stored vectors (the model changed).
 */
int rag_vectors_search(rag_vectors_t *v, const char *user_id, const char *model, const float *q, int dim,
                       char (*allow_docs)[17], size_t nallow, int limit, rag_vec_hit_t **hits, size_t *n);

/* Pure top-k over a matrix (exposed for the benchmark and tests): rows x dim,
 * returns the indexes of the best `k` rows by dot product, best first. */
size_t rag_vectors_topk(const float *m, size_t rows, int dim, const float *q, size_t k, size_t *idx, float *scores);

#endif
