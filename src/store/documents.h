/*
 * store/documents.h - documents, groups, chunks, the full-text index and
 * embeddings.
 *
 * Ownership and scope: every function that reads or changes a user's data
 * takes that user's id and touches only that user's rows; a row of another
 * user is reported as STORE_NOT_FOUND (the API turns it into 404). Returned
 * structs and JSON are owned by the caller (store_doc_free, json_decref, ...).
 *
 * Ingestion states: queued -> processing -> ready | failed. Searches only see
 * chunks of 'ready' documents. store_doc_begin_processing() clears whatever a
 * previous (crashed) run left; store_doc_mark_ready() flips the document to
 * 'ready' in one transaction at the very end.
 *
 * Thread-safe (each call borrows a pooled connection).
 */
#ifndef MAESTRO_STORE_DOCUMENTS_H
#define MAESTRO_STORE_DOCUMENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/biblio.h"
#include "store/events.h"
#include "store/store.h"

typedef struct {
  char id[17];
  char user_id[17];
  char *filename;
  char *stored_path;
  char *mime;
  int64_t size_bytes;
  char *content_hash;
  char status[16];
  char *error;
  doc_biblio_t bib;
  json_t *meta_sources; /* object {field: "xmp" | "pdf-info" | "first-page" | ... | "user"} */
  json_t *metadata;     /* object */
  int pages, chunk_count, chunk_size, chunk_overlap;
  int64_t text_chars;
  int64_t created_at, updated_at;
} store_doc_t;

void store_doc_free(store_doc_t *d);
/* Inserts a queued document (id generated into d->id when empty). When the
 * user already has a document with the same content hash, returns
 * STORE_CONFLICT and writes the existing id into existing_id (>= 17 bytes). */
int store_doc_insert(store_t *st, store_doc_t *d, char *existing_id);
/* Reads a document of user_id (user_id NULL: any owner, for job workers). */
int store_doc_get(store_t *st, const char *user_id, const char *id, store_doc_t **out);
/* The document as API JSON (with its group ids). New reference. */
json_t *store_doc_json(store_t *st, const store_doc_t *d);
/* Lists documents of user_id filtered by group, status, and a filename/title
 * substring; {"documents":[...],"total":N}. New reference or NULL on error. */
json_t *store_doc_list_json(store_t *st, const char *user_id, const char *group_id, const char *status, const char *q,
                            int limit, int offset);

/* Which of a user's documents a library view or a bulk action is about.
 * Every member is optional (NULL / 0: no condition); values are matched as
 * given (the API validates them). */
typedef struct {
  const char *group_id; /* member of this group of the user */
  const char *status;   /* queued | processing | ready | failed */
  const char *q;        /* substring of the title, file name, authors or DOI */
  const char *author;   /* substring of the authors (case-insensitive for ASCII) */
  const char *venue;    /* substring of the venue */
  const char *mime;     /* exact MIME type (the API maps "pdf", "docx", ...) */
  const char *language; /* "en" matches "en" and "en-US" */
  int year_from, year_to;
} store_doc_filter_t;

typedef enum { STORE_DOC_SORT_ADDED = 0, STORE_DOC_SORT_TITLE, STORE_DOC_SORT_YEAR } store_doc_sort_t;

/* One page of a user's documents matching f, sorted (desc: newest, Z..A,
 * latest year first; documents without a year last either way), with the
 * number of all matches: {"documents":[...],"total":N}. limit <= 500. New
 * reference or NULL on error. */
json_t *store_doc_query_json(store_t *st, const char *user_id, const store_doc_filter_t *f, store_doc_sort_t sort,
                             int desc, int limit, int offset);
/* Ids of a user's documents matching f (at most max, by date added): *ids
 * malloc'd array of *n ids (free it). */
int store_doc_filter_ids(store_t *st, const char *user_id, const store_doc_filter_t *f, size_t max, char (**ids)[17],
                         size_t *n);
/* Keeps only the ids (of n) that are documents of user_id, in their order:
 * returns the number kept (ids is compacted), or -1 on a store error. */
long store_doc_owned_ids(store_t *st, const char *user_id, char (*ids)[17], size_t n);
/* Deletes every vector of a document (so the embed job computes them again). */
int store_embeddings_drop_doc(store_t *st, const char *document_id);
/* Bibliographic fields for an update or an ingestion. On updates NULL
 * leaves a field unchanged and "" clears it; on ingestion NULL means "not
 * found". Values are stored as given: validate them first
 * (rag_meta_edit_from_json). */
typedef struct {
  const char *title, *authors, *year, *venue, *doi, *arxiv_id, *abstract, *keywords, *language;
} store_doc_meta_t;
/* Names of the fields of store_doc_meta_t, in order, NULL-terminated (the
 * same as doc_biblio_t's). */
#define STORE_DOC_META_FIELDS DOC_BIBLIO_FIELDS
/* The field of m called name (one of STORE_DOC_META_FIELDS), or NULL. */
const char **store_doc_meta_field(store_doc_meta_t *m, const char *name);

/* Updates title/authors/year/metadata (NULL leaves a field unchanged); the
 * title is also re-indexed in the chunks. */
int store_doc_update_meta(store_t *st, const char *user_id, const char *id, const char *title, const char *authors,
                          const char *year, json_t *metadata);
/* Updates the bibliographic fields of a user's document (NULL unchanged,
 * "" cleared; the title cannot be cleared) and metadata when not NULL. Each
 * field set is marked as the user's in meta_sources, so a later ingestion
 * keeps it. The title is re-indexed in the chunks. STORE_NOT_FOUND when the
 * document is not the user's. */
int store_doc_update_fields(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            json_t *metadata);
/* Completes a user's document from an outside record (src/web/docmeta.c
 * passes the fields it may take, with source "crossref" or "model"):
 * fields the user edited are kept,
 * any other non-NULL field of m replaces the stored value, and its source
 * is recorded. The title is re-indexed in the chunks. STORE_NOT_FOUND when
 * not the user's document. */
int store_doc_complete_meta(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            const char *source);
/* The fields a reference to a user's document names: {title, authors,
 * year, venue, doi, arxiv_id} (absent when unknown; title falls back to the
 * filename). New reference, or NULL when not the user's document. */
json_t *store_doc_cite_json(store_t *st, const char *user_id, const char *id);
/* Deletes the document with its chunks, index entries, vectors and group
 * links. The stored file path is written into path_out (malloc'd) when not
 * NULL, so the caller can remove the file. */
int store_doc_delete(store_t *st, const char *user_id, const char *id, char **path_out);
/* Sets status 'queued' (reprocess) with chunk size/overlap; clears error. */
int store_doc_requeue(store_t *st, const char *user_id, const char *id, int chunk_size, int chunk_overlap);

/* Ingestion steps. */
int store_doc_begin_processing(store_t *st, const char *id);
/* Sets 'failed' with the reason and drops the chunks; the event `failed`
 * (may be NULL) is appended in the same transaction. */
int store_doc_mark_failed(store_t *st, const char *id, const char *error, store_event_t *failed);
int store_doc_mark_ready(store_t *st, const char *id, const char *text, int pages, int chunk_count, int64_t text_chars,
                         const char *title, const char *authors, const char *year, json_t *metadata);
/* Like store_doc_mark_ready with every extracted field (m may be NULL) and
 * where each came from (sources {field: source}, may be NULL): a field the
 * user edited keeps its value, any other takes the extracted value when one
 * was found and keeps its old one otherwise. The event `ready` (may be
 * NULL) is appended in the same transaction: a document is never ready
 * without its announcement. */
int store_doc_mark_ready_meta(store_t *st, const char *id, const char *text, int pages, int chunk_count,
                              int64_t text_chars, const store_doc_meta_t *m, json_t *sources, json_t *metadata,
                              store_event_t *ready);
/* Where the pages and headings of a user's document start in its text:
 * [{page, heading, char_start}] in order (a new entry when either changes;
 * from the chunks, so empty until the document is indexed). New reference. */
json_t *store_doc_sections_json(store_t *st, const char *user_id, const char *id);
/* Extracted text of a document of user_id (malloc'd). */
int store_doc_get_text(store_t *st, const char *user_id, const char *id, char **text);
/* A cheap version of a user's library: number of ready documents and the
 * latest update among them (changes whenever one is added, re-indexed or
 * deleted). */
int store_doc_version(store_t *st, const char *user_id, int64_t *count, int64_t *latest);
/* The documents a mission of user_id reads: all of the user's documents, or
 * those in group_id when it is not NULL/"" (a group of another user counts
 * nothing). *total counts every state, *ready the searchable ones. */
int store_doc_scope_counts(store_t *st, const char *user_id, const char *group_id, int64_t *total, int64_t *ready);
/* Bumps updated_at of a ready document (its vectors changed). */
int store_doc_touch(store_t *st, const char *id);
/* Ids of documents in 'queued' or 'processing' state without an active job (for recovery). */
json_t *store_doc_orphans(store_t *st);

/* Chunks. */
typedef struct {
  int64_t id;
  char document_id[17];
  int seq, page;
  int64_t char_start, char_end;
  char *heading;
  char *body;
  char *title;    /* document title (on reads) */
  char *filename; /* document filename (on reads) */
} store_chunk_t;

void store_chunk_free(store_chunk_t *c);
/* Inserts n chunks of a document (in transactions of a few hundred rows;
 * on PostgreSQL one statement each), indexing title/heading/body; ids are
 * written into chunks[i].id, ascending with i. STORE_NOT_FOUND when the
 * document is gone or no longer 'processing'. */
int store_chunks_add(store_t *st, const char *document_id, const char *user_id, const char *title,
                     store_chunk_t *chunks, size_t n);
/* One chunk of a user's ready document, with document title and filename. */
int store_chunk_get(store_t *st, const char *user_id, int64_t chunk_id, store_chunk_t **out);

typedef struct {
  int64_t chunk_id;
  char document_id[17];
  double score; /* larger is better */
} store_hit_t;

/* Ranking parameters of the BM25F function. */
typedef struct {
  double k1, b;
  double w_title, w_heading, w_body;
} store_rank_t;

/* What a lexical search did (for benchmarks and logs). */
typedef struct {
  int terms;     /* query words found in the index */
  int essential; /* words that selected the ranked rows (last pass) */
  int passes;    /* 1, or 2 when the first pass could not prove its top */
  int clauses;   /* word sets, one of which a ranked row held (last pass) */
  double rows;   /* sum over the clauses of their rarest word's document frequency */
} store_search_stats_t;

/* Full-text search over the ready documents of user_id (optionally one group)
 * for any of words (plain words, see rag_fts_words; at most 64 are used).
 * Up to limit hits, best first, into *hits (malloc'd); the same top as
 * ranking every matching row (MaxScore: rows holding only very common words
 * are proven unable to enter it and are never ranked). stats may be NULL. */
int store_chunks_search(store_t *st, const char *user_id, const char *group_id, char *const *words, size_t nwords,
                        const store_rank_t *rank, int limit, store_hit_t **hits, size_t *nhits,
                        store_search_stats_t *stats);

/* Embeddings. */
/* Stores vectors (dim floats each) for chunk ids under model, replacing
 * any; a chunk that no longer exists takes none, a chunk given twice keeps
 * its last vector. */
int store_embeddings_put(store_t *st, const char *model, const int64_t *chunk_ids, const float *vecs, size_t n,
                         int dim);
/* Chunks of a document lacking a vector for model: ids and bodies (malloc'd
 * arrays; free each body, then both arrays). */
int store_embeddings_missing(store_t *st, const char *document_id, const char *model, int64_t **ids, char ***bodies,
                             size_t *n);
/* Calls fn for every vector of model over the ready documents of user_id. */
typedef void (*store_vec_fn)(void *ud, int64_t chunk_id, const char *document_id, const float *vec, int dim);
int store_embeddings_scan(store_t *st, const char *user_id, const char *model, store_vec_fn fn, void *ud);
/* Ready documents of any user with chunks lacking a vector for model (JSON array of ids). */
json_t *store_embeddings_stale_docs(store_t *st, const char *model);

/* Groups (all scoped to user_id). */
int store_group_create(store_t *st, const char *user_id, const char *name, const char *description, char *id_out);
json_t *store_group_get_json(store_t *st, const char *user_id, const char *id);
json_t *store_group_list_json(store_t *st, const char *user_id);
int store_group_update(store_t *st, const char *user_id, const char *id, const char *name, const char *description);
int store_group_delete(store_t *st, const char *user_id, const char *id);
/* Finds a group by name; id into id_out. */
int store_group_find(store_t *st, const char *user_id, const char *name, char *id_out);
/* Adds / removes documents (all must belong to user_id, else STORE_NOT_FOUND
 * and nothing changes). */
int store_group_add_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids, size_t n);
int store_group_remove_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids,
                            size_t n);
/* Sorted ids of the documents in a user's group: *ids malloc'd array of n. */
int store_group_doc_ids(store_t *st, const char *user_id, const char *group_id, char (**ids)[17], size_t *n);
/* 1 if the group exists and belongs to user_id. */
int store_group_owned(store_t *st, const char *user_id, const char *group_id);

#endif
