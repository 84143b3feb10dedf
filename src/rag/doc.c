/* doc.c - the parsed-document model shared by the parsers; see parse.h. */
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "base/util.h"
#include "rag/parse.h"
#include "store/fts.h"

void rag_doc_init(rag_doc_t *d) {
  memset(d, 0, sizeof *d);
  buf_init(&d->text);
}

void rag_doc_free(rag_doc_t *d) {
  if (!d) return;
  buf_free(&d->text);
  free(d->blocks);
  for (size_t i = 0; i < d->nheadings; i++) free(d->headings[i]);
  free(d->headings);
  for (int i = 0; i < 6; i++) free(d->stack[i]);
  doc_biblio_clear(&d->bib);
  json_decref(d->meta_sources);
  memset(d, 0, sizeof *d);
}

void rag_doc_set_page(rag_doc_t *d, int n) {
  d->page = n;
  if (n > d->npages) d->npages = n;
}

/* Normalises s into out: whitespace runs -> one space, controls dropped,
 * invalid UTF-8 -> U+FFFD, trimmed. */
static void normalise(buf_t *out, const char *s, size_t len) {
  size_t i = 0;
  int space = 0;
  while (i < len) {
    size_t at = i;
    unsigned cp = text_utf8_next(s, len, &i);
    size_t n = i - at;
    /* text_utf8_next decodes any well-formed sequence; overlong forms,
     * surrogates and code points past U+10FFFF are invalid UTF-8 too. */
    int bad = (n == 1 && cp >= 0x80) || (n == 2 && cp < 0x80) || (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
              (n == 4 && (cp < 0x10000 || cp > 0x10FFFF));
    if (bad) {
      cp = 0xFFFD;
      i = at + 1;
    }
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 || cp == 0x3000 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029) {
      space = 1;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFEFF || cp == 0x200B) continue;
    if (space && out->len > 0) buf_putc(out, ' ');
    space = 0;
    if (bad)
      buf_append(out, "\xEF\xBF\xBD", 3);
    else
      buf_append(out, s + at, i - at);
  }
}

static void add_block(rag_doc_t *d, const char *s, size_t len, int level) {
  buf_t norm = BUF_INIT;
  buf_init(&norm);
  normalise(&norm, s, len);
  if (norm.len == 0) {
    buf_free(&norm);
    return;
  }
  if (d->nblocks == d->bcap) {
    d->bcap = d->bcap ? d->bcap * 2 : 64;
    d->blocks = realloc(d->blocks, d->bcap * sizeof *d->blocks);
    if (!d->blocks) abort();
  }
  if (d->text.len > 0) buf_append(&d->text, "\n\n", 2);
  rag_block_t *b = &d->blocks[d->nblocks++];
  b->off = d->text.len;
  b->len = norm.len;
  b->page = d->page;
  b->level = level;
  b->heading = d->nheadings > 0 ? (int)d->nheadings - 1 : -1;
  buf_append(&d->text, norm.data, norm.len);
  if (level > 0) {
    int lv = level > 6 ? 6 : level;
    free(d->stack[lv - 1]);
    d->stack[lv - 1] = util_strndup(norm.data, norm.len > 200 ? util_utf8_floor(norm.data, 200) : norm.len);
    for (int k = lv; k < 6; k++) {
      free(d->stack[k]);
      d->stack[k] = NULL;
    }
    buf_t path = BUF_INIT;
    buf_init(&path);
    for (int k = 0; k < lv; k++) {
      if (!d->stack[k]) continue;
      if (path.len) buf_puts(&path, " > ");
      buf_puts(&path, d->stack[k]);
    }
    if (d->nheadings == d->hcap) {
      d->hcap = d->hcap ? d->hcap * 2 : 16;
      d->headings = realloc(d->headings, d->hcap * sizeof *d->headings);
      if (!d->headings) abort();
    }
    d->headings[d->nheadings++] = buf_detach(&path, NULL);
    b->heading = (int)d->nheadings - 1;
  }
  buf_free(&norm);
}

void rag_doc_para(rag_doc_t *d, const char *s, size_t len) {
  add_block(d, s, len, 0);
}

void rag_doc_heading(rag_doc_t *d, int level, const char *s, size_t len) {
  add_block(d, s, len, level < 1 ? 1 : level > 6 ? 6 : level);
}

char *rag_meta_normalise(const char *s, size_t max) {
  if (!s) return NULL;
  buf_t b = BUF_INIT;
  buf_init(&b);
  normalise(&b, s, strlen(s));
  if (b.len == 0 || b.len > max) {
    buf_free(&b);
    return NULL;
  }
  return buf_detach(&b, NULL);
}

void rag_doc_meta(char **field, const char *s) {
  if (*field || !s) return;
  *field = rag_meta_normalise(s, 1000);
}

size_t rag_doc_chars(const rag_doc_t *d) {
  size_t n = 0;
  for (size_t i = 0; i < d->nblocks; i++) {
    const char *s = d->text.data + d->blocks[i].off;
    for (size_t k = 0; k < d->blocks[i].len; k++)
      if (((unsigned char)s[k] & 0xC0) != 0x80) n++;
  }
  return n;
}
