/* parse_text.c - plain text (encoding detection, iconv) and Markdown (md4c); see parse.h. */
#include <errno.h>
#include <iconv.h>
#include <md4c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "base/util.h"
#include "rag/parse.h"

static char *convert(const char *from, const char *data, size_t len, size_t *outlen) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == (iconv_t)-1) return NULL;
  size_t cap = len * 4 + 16;
  char *out = malloc(cap);
  if (!out) abort();
  char *in = (char *)data, *o = out;
  size_t inleft = len, oleft = cap - 1;
  size_t r = iconv(cd, &in, &inleft, &o, &oleft);
  iconv_close(cd);
  if (r == (size_t)-1) {
    free(out);
    return NULL;
  }
  *o = '\0';
  *outlen = (size_t)(o - out);
  return out;
}

char *rag_text_to_utf8(const char *data, size_t len, size_t *outlen, char *err, size_t errlen) {
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
  }
  if (len >= 2 && (memcmp(data, "\xFF\xFE", 2) == 0 || memcmp(data, "\xFE\xFF", 2) == 0)) {
    char *o = convert(data[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE", data + 2, len - 2, outlen);
    if (!o) snprintf(err, errlen, "invalid UTF-16 text");
    return o;
  }
  if (rag_looks_binary(data, len)) {
    snprintf(err, errlen, "binary content, not text");
    return NULL;
  }
  if (util_utf8_valid(data, len)) {
    *outlen = len;
    return util_strndup(data, len);
  }
  /* Not UTF-8: Windows-1252 covers Latin-1 text and its common extensions. */
  char *o = convert("WINDOWS-1252", data, len, outlen);
  if (!o) o = convert("ISO-8859-1", data, len, outlen);
  if (!o) snprintf(err, errlen, "text is neither UTF-8 nor Latin-1/Windows-1252; convert it to UTF-8");
  return o;
}

/* Splits text into paragraphs at blank lines. */
static void text_paragraphs(rag_doc_t *doc, const char *s, size_t n) {
  size_t start = 0, i = 0;
  while (i < n) {
    if (s[i] == '\n') {
      size_t j = i + 1;
      while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
      if (j < n && s[j] == '\n') {
        rag_doc_para(doc, s + start, i - start);
        while (j < n && (s[j] == '\n' || s[j] == '\r' || s[j] == ' ' || s[j] == '\t')) j++;
        start = i = j;
        continue;
      }
    } else if (s[i] == '\f') { /* form feed: a page break in text exports */
      rag_doc_para(doc, s + start, i - start);
      rag_doc_set_page(doc, doc->page + 1);
      start = i + 1;
    }
    i++;
  }
  rag_doc_para(doc, s + start, n - start);
}

int rag_parse_text(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen) {
  size_t n = 0;
  char *t = rag_text_to_utf8(data, len, &n, err, errlen);
  if (!t) return -1;
  text_paragraphs(doc, t, n);
  free(t);
  return 0;
}

/* ---------- Markdown ---------- */

typedef struct {
  rag_doc_t *doc;
  buf_t cur;     /* text of the block being collected */
  int heading;   /* level while inside a heading */
  int in_html;   /* raw HTML block: skipped */
  int cells;     /* cells in the current table row */
  int list_item; /* pending list bullet */
} md_state_t;

static void md_flush(md_state_t *m) {
  if (m->cur.len) rag_doc_para(m->doc, m->cur.data, m->cur.len);
  buf_reset(&m->cur);
}

static int md_enter_block(MD_BLOCKTYPE type, void *detail, void *ud) {
  md_state_t *m = ud;
  switch (type) {
    case MD_BLOCK_H:
      md_flush(m);
      m->heading = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
      break;
    case MD_BLOCK_LI:
      md_flush(m);
      buf_puts(&m->cur, "- ");
      break;
    case MD_BLOCK_P:
    case MD_BLOCK_CODE:
    case MD_BLOCK_QUOTE:
      if (!(type == MD_BLOCK_P && m->cur.len == 2 && memcmp(m->cur.data, "- ", 2) == 0)) md_flush(m);
      break;
    case MD_BLOCK_HTML:
      md_flush(m);
      m->in_html = 1;
      break;
    case MD_BLOCK_TR:
      md_flush(m);
      m->cells = 0;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (m->cells++) buf_puts(&m->cur, " | ");
      break;
    default:
      break;
  }
  return 0;
}

static int md_leave_block(MD_BLOCKTYPE type, void *detail, void *ud) {
  (void)detail;
  md_state_t *m = ud;
  switch (type) {
    case MD_BLOCK_H:
      if (m->cur.len) rag_doc_heading(m->doc, m->heading, m->cur.data, m->cur.len);
      if (m->heading == 1 && m->cur.len) rag_doc_set_meta(m->doc, "title", m->cur.data, "heading");
      buf_reset(&m->cur);
      m->heading = 0;
      break;
    case MD_BLOCK_HTML:
      m->in_html = 0;
      buf_reset(&m->cur);
      break;
    case MD_BLOCK_P:
    case MD_BLOCK_CODE:
    case MD_BLOCK_LI:
    case MD_BLOCK_TR:
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_DOC:
      md_flush(m);
      break;
    default:
      break;
  }
  return 0;
}

static int md_span(MD_SPANTYPE type, void *detail, void *ud) {
  (void)type;
  (void)detail;
  (void)ud;
  return 0;
}

/* Decodes an HTML entity ("&amp;", "&#233;", "&#x20AC;") into out; one
 * not known stays as written. */
static void put_entity(buf_t *out, const char *s, size_t n) {
  char u[8];
  if (text_entity_decode(s, n, 1, u) == n)
    buf_puts(out, u);
  else
    buf_append(out, s, n);
}

static int md_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud) {
  md_state_t *m = ud;
  if (m->in_html || type == MD_TEXT_HTML) return 0;
  switch (type) {
    case MD_TEXT_BR:
    case MD_TEXT_SOFTBR:
      buf_putc(&m->cur, ' ');
      break;
    case MD_TEXT_NULLCHAR:
      buf_puts(&m->cur, "\xEF\xBF\xBD");
      break;
    case MD_TEXT_ENTITY:
      put_entity(&m->cur, text, size);
      break;
    default:
      buf_append(&m->cur, text, size);
      break;
  }
  return 0;
}

int rag_parse_markdown(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen) {
  size_t n = 0;
  char *t = rag_text_to_utf8(data, len, &n, err, errlen);
  if (!t) return -1;
  md_state_t m = {.doc = doc};
  buf_init(&m.cur);
  MD_PARSER p = {0};
  p.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | MD_FLAG_PERMISSIVEATXHEADERS;
  p.enter_block = md_enter_block;
  p.leave_block = md_leave_block;
  p.enter_span = md_span;
  p.leave_span = md_span;
  p.text = md_text;
  /* YAML front matter is metadata, not text (and would read as a rule and a paragraph) */
  size_t skip = rag_meta_front_matter(doc, t, n);
  int rc = md_parse(t + skip, (MD_SIZE)(n - skip), &p, &m);
  md_flush(&m);
  buf_free(&m.cur);
  free(t);
  if (rc != 0) {
    snprintf(err, errlen, "cannot parse Markdown");
    return -1;
  }
  return 0;
}
