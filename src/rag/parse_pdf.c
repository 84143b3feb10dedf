/* parse_pdf.c - PDF text extraction with poppler-glib, page by page; see parse.h. */
#include <glib.h>
#include <poppler.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/text.h"
#include "rag/parse.h"
#include "store/fts.h"

#define PDF_MAX_PAGES 20000

/* Code point just before byte offset `end` of s (0 if none). */
static unsigned last_cp(const char *s, size_t end) {
  if (end == 0) return 0;
  size_t i = end - 1;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  size_t k = i;
  return text_utf8_next(s, end, &k);
}

/*
 * Poppler gives one line per text line. Lines are joined into paragraphs; a
 * paragraph ends at a blank line, or after a line that ends a sentence and
 * is clearly shorter than the page's typical line. A hyphen at the end of a
 * line joins the word; CJK lines join without a space.
 */
static void page_paragraphs(rag_doc_t *doc, const char *text) {
  size_t n = strlen(text);
  size_t maxlen = 0;
  for (size_t i = 0, st = 0; i <= n; i++) {
    if (i == n || text[i] == '\n') {
      if (i - st > maxlen) maxlen = i - st;
      st = i + 1;
    }
  }
  buf_t para = BUF_INIT;
  buf_init(&para);
  size_t st = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && text[i] != '\n') continue;
    size_t a = st, b = i;
    st = i + 1;
    while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) b--;
    if (a == b) { /* blank line: paragraph break */
      rag_doc_para(doc, para.data, para.len);
      buf_reset(&para);
      continue;
    }
    if (para.len > 0) {
      unsigned prev = last_cp(para.data, para.len);
      size_t k = a;
      unsigned next = text_utf8_next(text, b, &k);
      if (prev == '-' && para.len > 1 && next >= 'a' && next <= 'z') {
        buf_truncate(&para, para.len - 1); /* re-join a hyphenated word */
      } else if (!(text_is_cjk(prev) && text_is_cjk(next))) {
        buf_putc(&para, ' ');
      }
    }
    buf_append(&para, text + a, b - a);
    unsigned end = last_cp(text, b);
    int sentence_end =
        end == '.' || end == '!' || end == '?' || end == ':' || end == 0x3002 || end == 0xFF01 || end == 0xFF1F;
    if (sentence_end && (b - a) * 10 < maxlen * 8) {
      rag_doc_para(doc, para.data, para.len);
      buf_reset(&para);
    }
  }
  rag_doc_para(doc, para.data, para.len);
  buf_free(&para);
}

/* XMP first (publishers fill it properly), then the information dictionary;
 * junk values ("Microsoft Word - x.docx") are refused by rag_doc_set_meta. */
static void pdf_declared_meta(PopplerDocument *pd, rag_doc_t *doc) {
  char *s = poppler_document_get_metadata(pd);
  if (s) rag_meta_from_xmp(doc, s, strlen(s));
  g_free(s);
  s = poppler_document_get_title(pd);
  rag_doc_set_meta(doc, "title", s, "pdf-info");
  g_free(s);
  s = poppler_document_get_author(pd);
  rag_doc_set_meta(doc, "authors", s, "pdf-info");
  g_free(s);
  s = poppler_document_get_keywords(pd);
  rag_doc_set_meta(doc, "keywords", s, "pdf-info");
  g_free(s);
  s = poppler_document_get_subject(pd);
  /* Subject holds anything from a journal name to the abstract: only a long one is taken, as the abstract */
  if (s && strlen(s) >= 120) rag_doc_set_meta(doc, "abstract", s, "pdf-info");
  g_free(s);
}

/* First-page heuristics: lines with their font sizes for the title and the
 * author line, then patterns (DOI, arXiv id, year, abstract, keywords). */
static void first_page_meta(PopplerPage *page, const char *text, rag_doc_t *doc) {
  GList *attrs = poppler_page_get_text_attributes(page);
  rag_meta_line_t lines[120];
  size_t n = 0, len = strlen(text), st = 0;
  long cp = 0, line_cp = 0; /* attribute ranges count characters, not bytes */
  for (size_t i = 0; i <= len && n < 120;) {
    if (i < len && text[i] != '\n') {
      size_t k = i;
      text_utf8_next(text, len, &k);
      i = k;
      cp++;
      continue;
    }
    size_t a = st, b = i;
    long acp = line_cp;
    while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) a++, acp++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) b--;
    if (b > a) {
      double size = 0;
      for (GList *l = attrs; l; l = l->next) {
        PopplerTextAttributes *t = l->data;
        if (t->start_index <= acp && acp <= t->end_index) {
          size = t->font_size;
          break;
        }
      }
      lines[n++] = (rag_meta_line_t){text + a, b - a, size};
    }
    i++;
    cp++;
    st = i;
    line_cp = cp;
  }
  if (attrs) poppler_page_free_text_attributes(attrs);
  rag_meta_from_layout(doc, lines, n);
  rag_meta_from_first_page(doc, text, len);
}

int rag_parse_pdf(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen) {
  GError *gerr = NULL;
  GBytes *bytes = g_bytes_new(data, len);
  PopplerDocument *pd = poppler_document_new_from_bytes(bytes, NULL, &gerr);
  g_bytes_unref(bytes);
  if (!pd) {
    if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
      snprintf(err, errlen, "encrypted PDF (password required)");
    else
      snprintf(err, errlen, "damaged PDF: %s", gerr && gerr->message ? gerr->message : "cannot be opened");
    if (gerr) g_error_free(gerr);
    return -1;
  }
  int npages = poppler_document_get_n_pages(pd);
  if (npages <= 0) {
    snprintf(err, errlen, "damaged PDF: no pages");
    g_object_unref(pd);
    return -1;
  }
  if (npages > PDF_MAX_PAGES) {
    snprintf(err, errlen, "PDF has %d pages; the limit is %d", npages, PDF_MAX_PAGES);
    g_object_unref(pd);
    return -1;
  }
  pdf_declared_meta(pd, doc);
  for (int i = 0; i < npages; i++) {
    PopplerPage *page = poppler_document_get_page(pd, i);
    rag_doc_set_page(doc, i + 1);
    if (!page) continue;
    char *text = poppler_page_get_text(page);
    if (text && i == 0) first_page_meta(page, text, doc);
    if (text) page_paragraphs(doc, text);
    g_free(text);
    g_object_unref(page);
  }
  /* the file's creation date is the last resort for the year */
  GDateTime *dt = poppler_document_get_creation_date_time(pd);
  if (dt) {
    char y[16];
    snprintf(y, sizeof y, "%d", g_date_time_get_year(dt));
    rag_doc_set_meta(doc, "year", y, "pdf-info");
    g_date_time_unref(dt);
  }
  g_object_unref(pd);
  return 0;
}
