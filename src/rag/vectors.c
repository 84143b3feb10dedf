/* vectors.c - per-user in-memory vector indexes with OpenBLAS; see vectors.h. */
#include "rag/vectors.h"
#include "base/blas.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/documents.h"

typedef struct vindex {
  char user_id[17];
  char model[256];
  int dim;
  size_t n, cap;
  float *m;
  int64_t *ids;
  char (*docs)[17];
  int64_t ver_count, ver_latest;
  int refs;
  int stale;
  struct vindex *next;
} vindex_t;

struct rag_vectors {
  store_t *st;
  pthread_mutex_t lock;
  vindex_t *list;
};

rag_vectors_t *rag_vectors_new(store_t *st) {
  rag_vectors_t *v = calloc(1, sizeof *v);
  if (!v) abort();
  v->st = st;
  pthread_mutex_init(&v->lock, NULL);
  return v;
}

static void vindex_free(vindex_t *x) {
  if (!x) return;
  free(x->m);
  free(x->ids);
  free(x->docs);
  free(x);
}

void rag_vectors_free(rag_vectors_t *v) {
  if (!v) return;
  for (vindex_t *x = v->list, *nx; x; x = nx) {
    nx = x->next;
    vindex_free(x);
  }
  pthread_mutex_destroy(&v->lock);
  free(v);
}

/* Unlinks stale entries nobody uses. Caller holds the lock. */
static void sweep(rag_vectors_t *v) {
  vindex_t **pp = &v->list;
  while (*pp) {
    vindex_t *x = *pp;
    if (x->stale && x->refs == 0) {
      *pp = x->next;
      vindex_free(x);
    } else {
      pp = &x->next;
    }
  }
}

void rag_vectors_forget(rag_vectors_t *v, const char *user_id) {
  if (!v) return;
  pthread_mutex_lock(&v->lock);
  for (vindex_t *x = v->list; x; x = x->next)
    if (strcmp(x->user_id, user_id) == 0) x->stale = 1;
  sweep(v);
  pthread_mutex_unlock(&v->lock);
}

static void add_row(void *ud, int64_t chunk_id, const char *doc_id, const float *vec, int dim) {
  vindex_t *x = ud;
  if (x->dim == 0) x->dim = dim;
  if (dim != x->dim) return; /* mixed dimensions under one model name: keep the first */
  if (x->n == x->cap) {
    x->cap = x->cap ? x->cap * 2 : 256;
    x->m = realloc(x->m, x->cap * (size_t)dim * sizeof(float));
    x->ids = realloc(x->ids, x->cap * sizeof *x->ids);
    x->docs = realloc(x->docs, x->cap * sizeof *x->docs);
    if (!x->m || !x->ids || !x->docs) abort();
  }
  memcpy(x->m + x->n * (size_t)dim, vec, (size_t)dim * sizeof(float));
  x->ids[x->n] = chunk_id;
  snprintf(x->docs[x->n], 17, "%s", doc_id);
  x->n++;
}

/* Returns a referenced, current index for (user, model). */
static vindex_t *acquire(rag_vectors_t *v, const char *user_id, const char *model) {
  int64_t cnt = 0, latest = 0;
  store_doc_version(v->st, user_id, &cnt, &latest);
  pthread_mutex_lock(&v->lock);
  for (vindex_t *x = v->list; x; x = x->next) {
    if (x->stale || strcmp(x->user_id, user_id) != 0 || strcmp(x->model, model) != 0) continue;
    if (x->ver_count == cnt && x->ver_latest == latest) {
      x->refs++;
      pthread_mutex_unlock(&v->lock);
      return x;
    }
    x->stale = 1;
  }
  sweep(v);
  pthread_mutex_unlock(&v->lock);
  /* build outside the lock (it reads the store) */
  vindex_t *x = calloc(1, sizeof *x);
  if (!x) abort();
  snprintf(x->user_id, sizeof x->user_id, "%s", user_id);
  snprintf(x->model, sizeof x->model, "%s", model);
  x->ver_count = cnt;
  x->ver_latest = latest;
  if (store_embeddings_scan(v->st, user_id, model, add_row, x) != STORE_OK) {
    vindex_free(x);
    return NULL;
  }
  x->refs = 1;
  pthread_mutex_lock(&v->lock);
  x->next = v->list;
  v->list = x;
  pthread_mutex_unlock(&v->lock);
  return x;
}

static void release(rag_vectors_t *v, vindex_t *x) {
  pthread_mutex_lock(&v->lock);
  x->refs--;
  sweep(v);
  pthread_mutex_unlock(&v->lock);
}

/* Min-heap of (score, row) of size k: the root is the weakest kept. */
static void heap_down(float *hs, size_t *hi, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && hs[l] < hs[m]) m = l;
    if (r < n && hs[r] < hs[m]) m = r;
    if (m == i) return;
    float ts = hs[i];
    hs[i] = hs[m];
    hs[m] = ts;
    size_t ti = hi[i];
    hi[i] = hi[m];
    hi[m] = ti;
    i = m;
  }
}

/* Selects the best k of scores[0..rows) (optionally filtered) into idx/out, best first. */
static size_t select_topk(const float *scores, size_t rows, size_t k, const unsigned char *keep, size_t *idx,
                          float *out) {
  if (k == 0) return 0;
  float *hs = malloc(k * sizeof *hs);
  size_t *hi = malloc(k * sizeof *hi);
  if (!hs || !hi) abort();
  size_t n = 0;
  for (size_t r = 0; r < rows; r++) {
    if (keep && !keep[r]) continue;
    if (n < k) {
      hs[n] = scores[r];
      hi[n] = r;
      n++;
      if (n == k)
        for (size_t i = k / 2 + 1; i-- > 0;) heap_down(hs, hi, n, i);
    } else if (scores[r] > hs[0]) {
      hs[0] = scores[r];
      hi[0] = r;
      heap_down(hs, hi, n, 0);
    }
  }
  if (n < k)
    for (size_t i = n / 2 + 1; i-- > 0;) heap_down(hs, hi, n, i);
  /* pop weakest first into the back */
  size_t m = n;
  while (m > 0) {
    idx[m - 1] = hi[0];
    out[m - 1] = hs[0];
    m--;
    hs[0] = hs[m];
    hi[0] = hi[m];
    heap_down(hs, hi, m, 0);
  }
  free(hs);
  free(hi);
  return n;
}

size_t rag_vectors_topk(const float *m, size_t rows, int dim, const float *q, size_t k, size_t *idx, float *scores) {
  if (rows == 0 || k == 0) return 0;
  float *s = malloc(rows * sizeof *s);
  if (!s) abort();
  blas_sgemv(rows, (size_t)dim, m, q, s);
  size_t n = select_topk(s, rows, k < rows ? k : rows, NULL, idx, scores);
  free(s);
  return n;
}

static int cmp_id(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

int rag_vectors_search(rag_vectors_t *v, const char *user_id, const char *model, const float *q, int dim,
                       char (*allow_docs)[17], size_t nallow, int limit, rag_vec_hit_t **hits, size_t *nhits) {
  *hits = NULL;
  *nhits = 0;
  vindex_t *x = acquire(v, user_id, model);
  if (!x) return -1;
  int ret = 0;
  if (x->n == 0 || limit <= 0) goto out;
  if (x->dim != dim) {
    ret = -1;
    goto out;
  }
  float *s = malloc(x->n * sizeof *s);
  unsigned char *keep = NULL;
  if (!s) abort();
  blas_sgemv(x->n, (size_t)dim, x->m, q, s);
  if (allow_docs) {
    keep = calloc(x->n, 1);
    if (!keep) abort();
    for (size_t r = 0; r < x->n; r++) keep[r] = bsearch(x->docs[r], allow_docs, nallow, 17, cmp_id) != NULL;
  }
  size_t k = (size_t)limit < x->n ? (size_t)limit : x->n;
  size_t *idx = malloc(k * sizeof *idx);
  float *sc = malloc(k * sizeof *sc);
  if (!idx || !sc) abort();
  size_t n = select_topk(s, x->n, k, keep, idx, sc);
  rag_vec_hit_t *h = malloc((n ? n : 1) * sizeof *h);
  if (!h) abort();
  for (size_t i = 0; i < n; i++) {
    h[i].chunk_id = x->ids[idx[i]];
    memcpy(h[i].document_id, x->docs[idx[i]], 17);
    h[i].score = sc[i];
  }
  *hits = h;
  *nhits = n;
  free(idx);
  free(sc);
  free(keep);
  free(s);
out:
  release(v, x);
  return ret;
}
