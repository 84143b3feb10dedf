/*
 * rag.h - the document library and retrieval: the public face of src/rag/.
 *
 * Pipeline (see docs/documents.md): file -> type by content -> parse (pages,
 * headings) -> chunk -> chunks + FTS index (one store transaction per few
 * hundred rows, document still 'processing') -> embeddings when an embedding
 * endpoint is configured -> 'ready'. Searches only see 'ready' documents, so
 * a crash never exposes a half-indexed one; the durable "ingest" job starts
 * the document over when it runs again after a restart.
 *
 * Retrieval: BM25F over FTS5 (title and heading weighted above the body,
 * stop words dropped, user text quoted so FTS syntax cannot break a query)
 * and, when the user has an embedding model, cosine similarity over an
 * in-memory float32 matrix (OpenBLAS), fused with reciprocal-rank fusion and
 * optionally reranked by a /v1/rerank endpoint. Every search is scoped to one
 * user and optionally one of that user's groups.
 *
 * Ownership: results are owned by the caller (rag_results_free,
 * rag_hit_clear). Threads: one rag_t is shared by all threads; every
 * function is thread-safe.
 */
#ifndef MAESTRO_RAG_H
#define MAESTRO_RAG_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/jobs.h"
#include "rag/parse.h"
#include "store/documents.h"

#include "base/config.h"
#include "events/events.h"
#include "llm/llm.h"
#include "store/store.h"

typedef struct rag rag_t;

/* What the rag_* calls that look up something of a user's return: the user
 * owns no such document, chunk or group is RAG_NOT_FOUND (the API answers 404);
 * a document whose state leaves nothing to do (re-embedding one that is not
 * ready, cancelling one that already started) is RAG_WRONG_STATE. */
enum { RAG_OK = 0, RAG_ERROR = -1, RAG_NOT_FOUND = -2, RAG_WRONG_STATE = -3 };

/* Creates the context over its parts, all borrowed (they outlive it): cfg
 * (may be NULL: defaults), store, events, jobs and llm (these three may be
 * NULL), and registers the "ingest" job kind when jobs is set (call before
 * app_start_workers). Documents left queued without a job are queued again.
 * NULL with err on failure. */
rag_t *rag_new(const config_t *cfg, store_t *store, events_t *events, jobs_t *jobs, llm_t *llm, char *err,
               size_t errlen);
void rag_free(rag_t *rag); /* accepts NULL */
/* Called on the ingestion job's thread after a document became ready (the
 * "ready" event is out), to complete its record from outside sources
 * (Crossref by DOI, a model; src/web/docmeta.c). Returns > 0 when it changed
 * the record: a second "ready" event with stage "metadata" tells the
 * documents channel. Failures are the hook's to log; the document stays
 * ready. Set once by app_open before workers start. */
typedef int (*rag_ready_hook_fn)(void *ud, const char *user_id, const char *doc_id);
void rag_set_ready_hook(rag_t *rag, rag_ready_hook_fn fn, void *ud);

/* ---- Adding documents ---- */

typedef struct {
  const char *user_id;
  const char *filename; /* original name (shown, and Markdown vs text) */
  const char *src_path; /* the file to take in */
  int move;             /* 1: rename src_path into the library (uploads), 0: copy */
  const char *group_id; /* optional: add to this group of the user */
  int chunk_size;       /* 0: default 1000 */
  int chunk_overlap;    /* < 0: default 200 */
  int no_job;           /* 1: do not queue an ingest job (the caller ingests) */
} rag_add_t;

/*
 * Stores the file under DATA_DIR/documents/, records a 'queued' document and
 * queues its ingestion. Content-hash deduplication per user: when the user
 * already has the same content, no new document is made, *duplicate is set
 * and id_out holds the existing document (still added to group_id).
 * id_out >= 17 bytes. 0 on success, -1 with err.
 */
int rag_document_add(rag_t *rag, const rag_add_t *req, char *id_out, int *duplicate, char *err, size_t errlen);

/* Type of a file by content (reads the head, or the whole file for ZIPs). */
rag_type_t rag_detect_file(const char *path, const char *filename);

/* Progress of one ingestion: stage "parsing" | "indexing" | "embedding" |
 * "ready" | "failed", fraction in [0,1]. */
typedef void (*rag_progress_fn)(void *ud, const char *doc_id, const char *stage, double fraction);

/*
 * Ingests one document now, on this thread: parse, chunk, index, embed, mark
 * ready, publishing progress events on "documents:USERID". A document that
 * cannot be read ends 'failed' with the reason; that still returns 0. Returns
 * 1 when interrupted by jobs_should_stop() (document left for the resumed
 * job), -1 on a store error.
 */
int rag_ingest_document(rag_t *rag, const char *doc_id, rag_progress_fn progress, void *ud, char *err, size_t errlen);

/* Marks a user's document for re-parsing (new chunk size/overlap when > 0 /
 * >= 0) and queues it: RAG_OK, RAG_NOT_FOUND when not the user's, else RAG_ERROR. */
int rag_document_reprocess(rag_t *rag, const char *user_id, const char *doc_id, int chunk_size, int chunk_overlap);
/* Deletes a user's document: row, chunks, index entries, vectors, file.
 * RAG_OK, RAG_NOT_FOUND when not the user's, else RAG_ERROR. */
int rag_document_delete(rag_t *rag, const char *user_id, const char *doc_id);

/* The user's embedding model name into model (""/-1 when none configured). */
int rag_embedding_model(rag_t *rag, const char *user_id, char *model, size_t n);
/* Drops a user's ready document's vectors and queues computing them again
 * (the embed job). RAG_NOT_FOUND not the user's, RAG_WRONG_STATE not ready
 * (its ingestion embeds it), RAG_ERROR store error. */
int rag_document_reembed(rag_t *rag, const char *user_id, const char *doc_id);
/* Cancels the queued (not yet started) ingestion of a user's document: it
 * ends 'failed' with "processing cancelled by the user". RAG_NOT_FOUND not
 * the user's, RAG_WRONG_STATE not queued any more, RAG_ERROR store error. */
int rag_document_cancel(rag_t *rag, const char *user_id, const char *doc_id);

/* ---- Library filters and bulk actions (bulk.c) ---- */

/* A validated library filter: f points into own strings (rag_filter_free). */
typedef struct {
  store_doc_filter_t f;
  char *own[7];
} rag_filter_t;
/* The filter names, NULL-terminated: group_id, status, q, author, venue,
 * type, language, year_from, year_to. */
extern const char *const RAG_FILTER_FIELDS[];
/*
 * Reads the library filters of obj (a JSON object; absent, null or ""
 * values mean no condition): status queued|processing|ready|failed; type
 * pdf|docx|html|md|txt (mapped to the MIME type); language a tag like "en";
 * year_from / year_to 1000..2100 (integers or digit strings), from <= to;
 * the others strings of at most 500 bytes. Does not check the group's
 * owner. 0 with f filled, or -1 with the offending field and the reason.
 * Thread-safe.
 */
int rag_filter_from_json(json_t *obj, rag_filter_t *f, char *field, size_t fieldlen, char *err, size_t errlen);
void rag_filter_free(rag_filter_t *f); /* accepts NULL */

typedef enum {
  RAG_BULK_DELETE = 0,
  RAG_BULK_REPROCESS,
  RAG_BULK_REEMBED,
  RAG_BULK_CANCEL,
  RAG_BULK_GROUP_ADD,
  RAG_BULK_GROUP_REMOVE
} rag_bulk_action_t;
/* "delete" | "reprocess" | "reembed" | "cancel" | "add_to_group" |
 * "remove_from_group"; -1 when unknown. */
int rag_bulk_action_parse(const char *name);
const char *rag_bulk_action_name(rag_bulk_action_t a);
/* Applies a to the n documents ids of user_id (checked by the caller to be
 * the user's; group_id, one of the user's groups, for the group actions),
 * publishing "bulk" progress events {action, done, total} on the user's
 * documents channel. Returns {action, matched, done, skipped: [ids gone or
 * with nothing to do], failed: [{id, error}]}; new reference. */
json_t *rag_bulk(rag_t *rag, const char *user_id, rag_bulk_action_t a, const char *group_id, char (*ids)[17],
                 size_t n);

/* ---- Editing bibliographic fields (meta.c) ---- */

/* A validated edit: m points into own[] (NULL fields unchanged, "" cleared). */
typedef struct {
  store_doc_meta_t m;
  char *own[9];
  int count; /* fields present */
} rag_meta_edit_t;

/*
 * Validates the bibliographic fields present in body (a PATCH body, or the
 * CLI's flags as JSON): title a non-empty string (at most 500 bytes);
 * authors and keywords a string ("A; B", "A, B and C") or an array of
 * strings; year an integer (or digit string) 1000..2100; venue a string;
 * doi "10.NNNN/..." (a doi.org URL or "doi:" prefix is removed); arxiv_id
 * "2101.00001v2" or "hep-th/9901001" ("arXiv:" removed); abstract at most
 * 20000 bytes; language a tag like "en" or "pt-BR". null or "" clears a
 * field (except title). Other keys are ignored. 0 with e filled (free with
 * rag_meta_edit_free), or -1 with the offending field's name in field and
 * the reason in err. Thread-safe.
 */
int rag_meta_edit_from_json(json_t *body, rag_meta_edit_t *e, char *field, size_t fieldlen, char *err, size_t errlen);
void rag_meta_edit_free(rag_meta_edit_t *e); /* accepts NULL */

/* ---- Search ---- */

typedef enum { RAG_MODE_HYBRID = 0, RAG_MODE_LEXICAL, RAG_MODE_VECTOR } rag_mode_t;
/* "hybrid" | "lexical" | "vector"; -1 when unknown. */
int rag_mode_parse(const char *s);
const char *rag_mode_name(rag_mode_t m);

typedef struct {
  int64_t chunk_id;
  char document_id[17];
  char *title; /* document title (or filename) */
  char *filename;
  char *heading; /* heading path, "" when none */
  char *text;    /* the chunk text */
  int page;      /* 1-based; 0 when the format has no pages */
  int64_t char_start, char_end;
  double score; /* larger is better; comparable within one result list only */
} rag_hit_t;

typedef struct {
  rag_hit_t *hits;
  size_t n;
  rag_mode_t mode_used; /* hybrid asked without vectors -> lexical */
  int reranked;
} rag_results_t;

typedef struct {
  const char *user_id;  /* required: whose documents */
  const char *group_id; /* optional: only this group of the user */
  const char *query;
  int k; /* results wanted (1..100) */
  rag_mode_t mode;
  int rerank;       /* 1: use the rerank endpoint when configured (default 1 via rag_query_init) */
  int per_document; /* max hits per document (0: no limit) */
} rag_query_t;

void rag_query_init(rag_query_t *q);

/* Searches: RAG_OK with results (possibly none); RAG_NOT_FOUND with err when
 * the group is not the user's; RAG_ERROR with err otherwise. */
int rag_search(rag_t *rag, const rag_query_t *q, rag_results_t *out, char *err, size_t errlen);
void rag_results_free(rag_results_t *r);

/* Fetches one chunk of a user's ready document (for citations): RAG_OK,
 * RAG_NOT_FOUND when missing / not the user's, else RAG_ERROR. Free with rag_hit_clear. */
int rag_chunk_fetch(rag_t *rag, const char *user_id, int64_t chunk_id, rag_hit_t *out);
void rag_hit_clear(rag_hit_t *h);

/* ---- Lower level (CLI, benchmarks) ---- */

/* Lexical ranking parameters in use (BM25F k1, b and field weights). */
typedef struct {
  double k1, b, w_title, w_heading, w_body;
} rag_rank_params_t;
void rag_set_rank_params(rag_t *rag, const rag_rank_params_t *p);
void rag_get_rank_params(rag_t *rag, rag_rank_params_t *p);

/* Lexical retrieval alone: chunk-level hits (best first, up to limit, malloc'd
 * *hits) for a natural-language query over a user's ready documents. 0 or -1. */
int rag_lexical(rag_t *rag, const char *user_id, const char *group_id, const char *query, int limit, store_hit_t **hits,
                size_t *n);

/*
 * Indexes an already parsed document into a 'processing' document row:
 * chunks it and stores the chunks (FTS follows). Does not mark it ready.
 * Returns the number of chunks, or -1 with err.
 */
int rag_index_parsed(rag_t *rag, const char *doc_id, const char *user_id, const char *title, const rag_doc_t *doc,
                     int chunk_size, int chunk_overlap, char *err, size_t errlen);

#endif
