/*
 * retrieve.c - search: BM25F over FTS5, vectors, reciprocal-rank fusion,
 * optional rerank; see rag.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "rag/rag_internal.h"
#include "store/documents.h"
#include "store/fts.h"

#define RRF_K 60.0
#define MAX_QUERY_TERMS 64
#define RERANK_MAX 50

int rag_mode_parse(const char *s) {
  if (!s || !strcmp(s, "hybrid")) return RAG_MODE_HYBRID;
  if (!strcmp(s, "lexical")) return RAG_MODE_LEXICAL;
  if (!strcmp(s, "vector")) return RAG_MODE_VECTOR;
  return -1;
}

const char *rag_mode_name(rag_mode_t m) {
  return m == RAG_MODE_LEXICAL ? "lexical" : m == RAG_MODE_VECTOR ? "vector" : "hybrid";
}

void rag_query_init(rag_query_t *q) {
  memset(q, 0, sizeof *q);
  q->k = 5;
  q->mode = RAG_MODE_HYBRID;
  q->rerank = 1;
}

void rag_hit_clear(rag_hit_t *h) {
  if (!h) return;
  free(h->title);
  free(h->filename);
  free(h->heading);
  free(h->text);
  memset(h, 0, sizeof *h);
}

void rag_results_free(rag_results_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) rag_hit_clear(&r->hits[i]);
  free(r->hits);
  memset(r, 0, sizeof *r);
}

int rag_chunk_fetch(rag_t *rag, const char *user_id, int64_t chunk_id, rag_hit_t *out) {
  memset(out, 0, sizeof *out);
  store_chunk_t *c = NULL;
  int rc = store_chunk_get(rag->store, user_id, chunk_id, &c);
  if (rc != STORE_OK) return rc == STORE_NOT_FOUND ? RAG_NOT_FOUND : RAG_ERROR;
  out->chunk_id = c->id;
  memcpy(out->document_id, c->document_id, 17);
  out->title = c->title;
  out->filename = c->filename;
  out->heading = c->heading ? c->heading : util_strdup("");
  out->text = c->body;
  out->page = c->page;
  out->char_start = c->char_start;
  out->char_end = c->char_end;
  c->title = c->filename = c->heading = c->body = NULL;
  store_chunk_free(c);
  return 0;
}

int rag_lexical(rag_t *rag, const char *user_id, const char *group_id, const char *query, int limit, store_hit_t **hits,
                size_t *n) {
  *hits = NULL;
  *n = 0;
  size_t nw = 0;
  char **words = rag_fts_words(query, MAX_QUERY_TERMS, &nw);
  if (!words) return 0;
  rag_rank_params_t p;
  rag_get_rank_params(rag, &p);
  store_rank_t r = {p.k1, p.b, p.w_title, p.w_heading, p.w_body};
  int rc = store_chunks_search(rag->store, user_id, group_id, words, nw, &r, limit, hits, n, NULL);
  rag_fts_words_free(words);
  return rc == STORE_OK ? 0 : -1;
}

typedef struct {
  int64_t chunk_id;
  char document_id[17];
  double score;
} cand_t;

/* Room for n candidates (*cap set); aborts when out of memory. */
static cand_t *cands_new(size_t n, size_t *cap) {
  *cap = n ? n : 1;
  cand_t *cv = malloc(*cap * sizeof *cv);
  if (!cv) abort();
  return cv;
}

static void cand_set(cand_t *c, int64_t chunk_id, const char *document_id, double score) {
  c->chunk_id = chunk_id;
  memcpy(c->document_id, document_id, 17);
  c->score = score;
}

static int cmp_cand(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return x->chunk_id < y->chunk_id ? -1 : x->chunk_id > y->chunk_id;
}

/* Adds 1/(RRF_K + rank) for chunk to the candidate list. */
static void rrf_add(cand_t **v, size_t *n, size_t *cap, int64_t id, const char *doc, size_t rank) {
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].chunk_id == id) {
      (*v)[i].score += 1.0 / (RRF_K + (double)rank + 1.0);
      return;
    }
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 64;
    *v = realloc(*v, *cap * sizeof **v);
    if (!*v) abort();
  }
  cand_t *c = &(*v)[(*n)++];
  c->chunk_id = id;
  snprintf(c->document_id, sizeof c->document_id, "%s", doc);
  c->score = 1.0 / (RRF_K + (double)rank + 1.0);
}

/* Vector candidates; 0 ok (maybe none), -1 error with err, -3 not configured. */
static int vector_candidates(rag_t *rag, const rag_query_t *q, int limit, rag_vec_hit_t **hits, size_t *n, char *err,
                             size_t errlen) {
  *hits = NULL;
  *n = 0;
  char model[256];
  if (rag_embedding_model(rag, q->user_id, model, sizeof model) != 0) return -3;
  const char *texts[1] = {q->query};
  float *qv = NULL;
  int dim = 0;
  int rc = llm_embed(rag->llm, q->user_id, texts, 1, &qv, &dim, NULL, err, errlen);
  if (rc == LLM_ERR_NOT_CONFIGURED) return -3;
  if (rc != LLM_OK || !qv) {
    free(qv);
    return -1;
  }
  char(*allow)[17] = NULL;
  size_t nallow = 0;
  if (q->group_id && store_group_doc_ids(rag->store, q->user_id, q->group_id, &allow, &nallow) != STORE_OK) {
    free(qv);
    snprintf(err, errlen, "cannot read the group");
    return -1;
  }
  rc = rag_vectors_search(rag->vectors, q->user_id, model, qv, dim, q->group_id ? allow : NULL, nallow, limit, hits, n);
  free(allow);
  free(qv);
  if (rc != 0) {
    snprintf(err, errlen, "stored vectors do not match the embedding model %s (reprocess the documents)", model);
    return -1;
  }
  return 0;
}

/* 1 when this search may be reranked: asked for, and an endpoint is set. */
static int rerank_configured(rag_t *rag, const rag_query_t *q) {
  if (!q->rerank || !rag->llm) return 0;
  llm_endpoint_t ep;
  char e[128];
  int ok = llm_resolve(rag->llm, q->user_id, LLM_TIER_RERANK, &ep, e, sizeof e) == LLM_OK && ep.model[0];
  memset(&ep, 0, sizeof ep); /* holds the key */
  return ok;
}

int rag_search(rag_t *rag, const rag_query_t *q, rag_results_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!q->user_id || !q->query) {
    snprintf(err, errlen, "query and user are required");
    return -1;
  }
  int k = q->k < 1 ? 1 : q->k > 100 ? 100 : q->k;
  if (q->group_id && !store_group_owned(rag->store, q->user_id, q->group_id)) {
    snprintf(err, errlen, "group %s not found", q->group_id);
    return RAG_NOT_FOUND;
  }
  int cand = k * 4 < 40 ? 40 : k * 4;
  if (cand > 400) cand = 400;
  store_hit_t *lex = NULL;
  size_t nlex = 0;
  rag_vec_hit_t *vec = NULL;
  size_t nvec = 0;
  int have_vec = 0;
  out->mode_used = q->mode;
  if (q->mode != RAG_MODE_LEXICAL) {
    int rc = vector_candidates(rag, q, cand, &vec, &nvec, err, errlen);
    if (rc == 0) {
      have_vec = 1;
    } else if (q->mode == RAG_MODE_VECTOR) {
      if (rc == -3) snprintf(err, errlen, "vector search needs an embedding model (EMBEDDING_MODEL)");
      return -1;
    } else {
      if (rc == -1) log_warn("rag", "vector search failed, lexical only: %s", err);
      err[0] = '\0';
      out->mode_used = RAG_MODE_LEXICAL;
    }
  }
  if (q->mode != RAG_MODE_VECTOR) {
    /* Lexical alone needs only k rows unless a fusion, a per-document cap or
     * a reranker uses more; a smaller top lets the MaxScore search skip more
     * rows (see store_chunks_search). */
    int lex_limit = cand;
    if (!have_vec && q->per_document <= 0 && !rerank_configured(rag, q)) lex_limit = k;
    /* a cap per document discards a document's further passages: rank
     * enough of them that k documents remain */
    if (q->per_document > 0 && lex_limit < k * 10 / q->per_document) lex_limit = k * 10 / q->per_document;
    if (rag_lexical(rag, q->user_id, q->group_id, q->query, lex_limit, &lex, &nlex) != 0) {
      free(vec);
      snprintf(err, errlen, "full-text search failed");
      return -1;
    }
  }
  cand_t *cv = NULL;
  size_t ncv = 0, cap = 0;
  if (have_vec && q->mode == RAG_MODE_HYBRID) {
    for (size_t i = 0; i < nlex; i++) rrf_add(&cv, &ncv, &cap, lex[i].chunk_id, lex[i].document_id, i);
    for (size_t i = 0; i < nvec; i++) rrf_add(&cv, &ncv, &cap, vec[i].chunk_id, vec[i].document_id, i);
  } else if (have_vec) {
    cv = cands_new(nvec, &cap);
    for (size_t i = 0; i < nvec; i++) cand_set(&cv[ncv++], vec[i].chunk_id, vec[i].document_id, vec[i].score);
  } else {
    cv = cands_new(nlex, &cap);
    for (size_t i = 0; i < nlex; i++) cand_set(&cv[ncv++], lex[i].chunk_id, lex[i].document_id, lex[i].score);
  }
  free(lex);
  free(vec);
  if (ncv > 1) qsort(cv, ncv, sizeof *cv, cmp_cand);
  /* at most per_document hits of one document */
  if (q->per_document > 0) {
    size_t w = 0;
    for (size_t i = 0; i < ncv; i++) {
      int same = 0;
      for (size_t j = 0; j < w; j++)
        if (!strcmp(cv[j].document_id, cv[i].document_id)) same++;
      if (same < q->per_document) cv[w++] = cv[i];
    }
    ncv = w;
  }
  /* fetch the passages of the best candidates (more when reranking) */
  size_t want = (size_t)k;
  int can_rerank = q->rerank && rag->llm && ncv > 1;
  if (can_rerank) want = ncv < RERANK_MAX ? ncv : RERANK_MAX;
  if (want > ncv) want = ncv;
  rag_hit_t *hits = calloc(want ? want : 1, sizeof *hits);
  if (!hits) abort();
  size_t nh = 0;
  for (size_t i = 0; i < ncv && nh < want; i++) {
    if (rag_chunk_fetch(rag, q->user_id, cv[i].chunk_id, &hits[nh]) != 0) continue; /* deleted meanwhile */
    hits[nh++].score = cv[i].score;
  }
  free(cv);
  if (can_rerank && nh > 1) {
    const char **texts = malloc(nh * sizeof *texts);
    double *scores = calloc(nh, sizeof *scores);
    if (!texts || !scores) abort();
    for (size_t i = 0; i < nh; i++) texts[i] = hits[i].text;
    char rerr[256] = "";
    int rc = llm_rerank(rag->llm, q->user_id, q->query, texts, nh, scores, rerr, sizeof rerr);
    if (rc == LLM_OK) {
      for (size_t i = 0; i < nh; i++) hits[i].score = scores[i];
      /* stable sort by the new score (insertion sort: nh <= RERANK_MAX) */
      for (size_t i = 1; i < nh; i++) {
        rag_hit_t h = hits[i];
        size_t j = i;
        while (j > 0 && hits[j - 1].score < h.score) {
          hits[j] = hits[j - 1];
          j--;
        }
        hits[j] = h;
      }
      out->reranked = 1;
    } else if (rc != LLM_ERR_NOT_CONFIGURED) {
      log_warn("rag", "rerank failed, keeping the fused order: %s", rerr);
    }
    free(texts);
    free(scores);
  }
  while (nh > (size_t)k) rag_hit_clear(&hits[--nh]);
  out->hits = hits;
  out->n = nh;
  return 0;
}
