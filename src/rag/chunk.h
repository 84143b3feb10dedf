/*
 * chunk.h - cutting a parsed document into overlapping passages.
 *
 * Sizes are in characters (Unicode code points), defaults 1000 / 200. A
 * chunk ends, in order of preference, at a paragraph break, the end of a
 * sentence (. ! ? and the CJK 。！？), a space, a CJK character boundary, or
 * (text without any of these) a plain code point boundary, looking for a cut
 * in the second half of the window. A UTF-8 sequence is never split. The
 * next chunk starts `overlap` characters before the end of the previous one,
 * moved forward to the first sentence start (after . ! ? and a space, a CJK
 * full stop, or a line break) in that overlap, else to a word start when
 * one is near: a passage begins with a whole sentence whenever the overlap
 * holds one. Every chunk records its
 * byte range and character offsets in the document text, its page and its
 * heading path (of the block where it starts).
 *
 * Pure functions, thread-safe.
 */
#ifndef MAESTRO_RAG_CHUNK_H
#define MAESTRO_RAG_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "rag/parse.h"

#define RAG_CHUNK_SIZE_DEFAULT 1000
#define RAG_CHUNK_OVERLAP_DEFAULT 200
#define RAG_CHUNK_SIZE_MIN 100
#define RAG_CHUNK_SIZE_MAX 20000

typedef struct {
  size_t byte_start, byte_end;  /* text[byte_start, byte_end) */
  int64_t char_start, char_end; /* the same range in code points */
  int page;                     /* 0 when the format has no pages */
  const char *heading;          /* heading path, borrowed from the doc ("" when none) */
} rag_chunk_t;

/* Checks size/overlap (size in [MIN, MAX], 0 <= overlap <= size/2); 0 when valid, else -1 with err. */
int rag_chunk_check(int size, int overlap, char *err, size_t errlen);

/* Cuts doc into chunks; *out is malloc'd (free()), *n its length. 0 on success. */
int rag_chunk_doc(const rag_doc_t *doc, int size, int overlap, rag_chunk_t **out, size_t *n);

#endif
