/* chunk.c - paragraph/sentence/word-aware chunking; see chunk.h. */
#include "rag/chunk.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/text.h"
#include "store/fts.h"

int rag_chunk_check(int size, int overlap, char *err, size_t errlen) {
  if (size < RAG_CHUNK_SIZE_MIN || size > RAG_CHUNK_SIZE_MAX) {
    snprintf(err, errlen, "chunk size must be between %d and %d characters", RAG_CHUNK_SIZE_MIN, RAG_CHUNK_SIZE_MAX);
    return -1;
  }
  if (overlap < 0 || overlap > size / 2) {
    snprintf(err, errlen, "overlap must be between 0 and half the chunk size (%d)", size / 2);
    return -1;
  }
  return 0;
}

static int is_space(unsigned cp) {
  return cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r' || cp == 0x3000;
}

static int is_sentence_end(unsigned cp) {
  return cp == '.' || cp == '!' || cp == '?' || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == 0xFF0E;
}

static int is_cjk_punct(unsigned cp) {
  return cp == 0x3001 || cp == 0xFF0C || cp == 0xFF1B || cp == 0xFF1A;
}

static size_t prev_boundary(const char *s, size_t i) {
  if (i == 0) return 0;
  i--;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  return i;
}

static int64_t count_cp(const char *s, size_t a, size_t b) {
  int64_t n = 0;
  for (size_t i = a; i < b; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
  return n;
}

/* The offset of the first non-space character at or after byte j, counting
 * the characters skipped into *cp. */
static size_t skip_spaces(const char *s, size_t n, size_t j, int64_t *cp) {
  while (j < n) {
    size_t k = j;
    if (!is_space(text_utf8_next(s, n, &k))) break;
    j = k;
    (*cp)++;
  }
  return j;
}

/* The index of the last block that starts at or before byte off (0 when
 * none does); doc has blocks. */
static size_t block_index(const rag_doc_t *doc, size_t off) {
  size_t lo = 0, hi = doc->nblocks;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (doc->blocks[mid].off <= off)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* The block containing byte offset off (or the next one after a separator). */
static const rag_block_t *block_at(const rag_doc_t *doc, size_t off) {
  if (doc->nblocks == 0) return NULL;
  size_t lo = block_index(doc, off);
  const rag_block_t *b = &doc->blocks[lo];
  if (off >= b->off + b->len && lo + 1 < doc->nblocks) b = &doc->blocks[lo + 1];
  return b;
}

/* End of the page that holds byte pos (the whole text when pages are unknown). */
static size_t page_limit(const rag_doc_t *doc, size_t pos) {
  size_t n = doc->text.len;
  if (doc->nblocks == 0) return n;
  size_t lo = block_index(doc, pos);
  int page = doc->blocks[lo].page;
  if (page <= 0) return n;
  size_t k = lo;
  while (k + 1 < doc->nblocks && doc->blocks[k + 1].page == page) k++;
  if (k + 1 >= doc->nblocks) return n;
  return doc->blocks[k].off + doc->blocks[k].len;
}

int rag_chunk_doc(const rag_doc_t *doc, int size, int overlap, rag_chunk_t **out, size_t *nout) {
  *out = NULL;
  *nout = 0;
  if (size < 1 || overlap < 0 || overlap >= size) return -1;
  const char *s = doc->text.data;
  size_t n = doc->text.len;
  size_t cap = 16, count = 0;
  rag_chunk_t *v = malloc(cap * sizeof *v);
  if (!v) abort();
  size_t pos = 0;
  int64_t cpos = 0;
  /* skip leading whitespace */
  while (pos < n) {
    size_t k = pos;
    if (!is_space(text_utf8_next(s, n, &k))) break;
    pos = k;
    cpos++;
  }
  int half = size / 2;
  while (pos < n) {
    size_t i = pos, cut_para = 0, cut_sent = 0, cut_word = 0, cut_cjk = 0;
    int chars = 0;
    unsigned prev = 0;
    /* a chunk never crosses a page boundary, so its page number is exact */
    size_t lim = page_limit(doc, pos);
    while (i < lim && chars < size) {
      unsigned cp = text_utf8_next(s, n, &i);
      chars++;
      if (chars >= half && i < n) {
        size_t k = i;
        unsigned next = text_utf8_next(s, n, &k);
        if (cp == '\n' && next == '\n') {
          /* before the blank line, unless the block ending here is a heading
           * (a heading belongs with the text after it) */
          const rag_block_t *b = i >= 2 ? block_at(doc, i - 2) : NULL;
          if (!b || b->level == 0) cut_para = i - 1;
        } else if ((is_sentence_end(cp) && is_space(next)) || (cp >= 0x3000 && is_sentence_end(cp)) || (cp == '\n'))
          cut_sent = i;
        else if (is_space(next) || is_cjk_punct(cp))
          cut_word = i;
        else if (text_is_cjk(cp) || text_is_cjk(next))
          cut_cjk = i;
      }
      prev = cp;
    }
    (void)prev;
    size_t end;
    if (i >= lim)
      end = lim;
    else if (cut_para)
      end = cut_para;
    else if (cut_sent)
      end = cut_sent;
    else if (cut_word)
      end = cut_word;
    else if (cut_cjk)
      end = cut_cjk;
    else
      end = i; /* no boundary at all: cut at a code point boundary */
    /* trim trailing whitespace */
    size_t tend = end;
    while (tend > pos) {
      size_t p = prev_boundary(s, tend);
      size_t k = p;
      if (!is_space(text_utf8_next(s, n, &k))) break;
      tend = p;
    }
    int64_t clen = count_cp(s, pos, tend);
    if (tend > pos) {
      if (count == cap) {
        cap *= 2;
        v = realloc(v, cap * sizeof *v);
        if (!v) abort();
      }
      const rag_block_t *b = block_at(doc, pos);
      rag_chunk_t *c = &v[count++];
      c->byte_start = pos;
      c->byte_end = tend;
      c->char_start = cpos;
      c->char_end = cpos + clen;
      c->page = b ? b->page : 0;
      c->heading = b && b->heading >= 0 ? doc->headings[b->heading] : "";
    }
    if (end >= n) break;
    if (end == lim) { /* next page: start fresh, no overlap across pages */
      cpos += count_cp(s, pos, end);
      pos = skip_spaces(s, n, end, &cpos);
      continue;
    }
    int64_t cend = cpos + count_cp(s, pos, end);
    /* the next chunk starts `overlap` characters before the end ... */
    size_t j = end;
    for (int back = 0; back < overlap && j > pos; back++) j = prev_boundary(s, j);
    /* ... moved forward to the start of a sentence inside the overlap, so
     * that a passage (and a quote taken from it) does not begin mid-sentence;
     * without one there, to the start of a word when a space is near */
    size_t sent = 0;
    for (size_t k = j; j > pos && k < end && !sent;) {
      unsigned cp = text_utf8_next(s, n, &k);
      size_t at = k;
      unsigned next = k < end ? text_utf8_next(s, n, &at) : 0;
      if (cp == '\n' || (cp >= 0x3000 && is_sentence_end(cp)) || (is_sentence_end(cp) && is_space(next))) {
        int64_t ignored = 0;
        size_t start = skip_spaces(s, n, k, &ignored);
        if (start < end) sent = start;
      }
    }
    if (sent)
      j = sent;
    else if (j > pos && j < end) {
      size_t k = j, ws = 0;
      while (k < end) {
        size_t at = k;
        if (is_space(text_utf8_next(s, n, &k))) {
          ws = at;
          break;
        }
      }
      size_t kk = j;
      int cjk_here = text_is_cjk(text_utf8_next(s, n, &kk));
      if (ws && !cjk_here && (ws - j) < (size_t)overlap * 2) j = ws;
    }
    if (j <= pos) j = end; /* always make progress */
    cpos = cend - count_cp(s, j, end);
    pos = skip_spaces(s, n, j, &cpos);
  }
  *out = v;
  *nout = count;
  return 0;
}
