/* detect.c - file type detection by content, and the parse dispatcher; see parse.h. */
#include <ctype.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "base/util.h"
#include "rag/parse.h"

/* Each detected type's name, the MIME type stored for it, the --format
 * words that name it and its parser; EMPTY and BINARY are outcomes of
 * detection, not formats: no MIME of their own, no word, no parser. */
typedef int (*parse_fn_t)(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);
static const struct {
  rag_type_t type;
  const char *name, *mime, *alias;
  parse_fn_t parse;
} TYPES[] = {
    {RAG_TYPE_PDF, "pdf", "application/pdf", NULL, rag_parse_pdf},
    {RAG_TYPE_DOCX, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", NULL,
     rag_parse_docx},
    {RAG_TYPE_HTML, "html", "text/html", "htm", rag_parse_html},
    {RAG_TYPE_MARKDOWN, "md", "text/markdown", "markdown", rag_parse_markdown},
    {RAG_TYPE_TEXT, "txt", "text/plain", "text", rag_parse_text},
    {RAG_TYPE_EMPTY, "empty", NULL, NULL, NULL},
    {RAG_TYPE_BINARY, "binary", NULL, NULL, NULL},
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

const char *rag_type_name(rag_type_t t) {
  for (size_t i = 0; i < NTYPES; i++)
    if (TYPES[i].type == t) return TYPES[i].name;
  return "unknown";
}

const char *rag_type_mime(rag_type_t t) {
  for (size_t i = 0; i < NTYPES; i++)
    if (TYPES[i].type == t && TYPES[i].mime) return TYPES[i].mime;
  return "application/octet-stream";
}

rag_type_t rag_type_parse(const char *name) {
  if (!name) return RAG_TYPE_UNKNOWN;
  for (size_t i = 0; i < NTYPES; i++)
    if (TYPES[i].mime && (!strcasecmp(name, TYPES[i].name) || (TYPES[i].alias && !strcasecmp(name, TYPES[i].alias))))
      return TYPES[i].type;
  return RAG_TYPE_UNKNOWN;
}

static int has_prefix(const char *d, size_t n, const char *p, size_t pn) {
  return n >= pn && memcmp(d, p, pn) == 0;
}

/* Case-insensitive search for needle in the first n bytes of hay. */
static int contains_ci(const char *hay, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (strncasecmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

static int zip_is_docx(const char *data, size_t len) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
  if (!src) return 0;
  zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
  if (!z) {
    zip_source_free(src);
    zip_error_fini(&ze);
    return 0;
  }
  int ok = zip_name_locate(z, "word/document.xml", 0) >= 0;
  zip_discard(z);
  zip_error_fini(&ze);
  return ok;
}

int rag_looks_binary(const char *data, size_t len) {
  size_t n = len < 65536 ? len : 65536, ctl = 0;
  /* UTF-16 with a BOM is text even though it is full of NULs */
  if (has_prefix(data, len, "\xFF\xFE", 2) || has_prefix(data, len, "\xFE\xFF", 2)) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c == 0) return 1;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1B) ctl++;
    if (c == 0x7F) ctl++;
  }
  return n > 0 && ctl * 100 > n; /* more than 1 % control characters */
}

rag_type_t rag_detect(const char *data, size_t len, const char *filename) {
  if (len == 0) return RAG_TYPE_EMPTY;
  size_t head = len < 1024 ? len : 1024;
  /* PDF: the header may be preceded by junk within the first KB */
  for (size_t i = 0; i + 5 <= head; i++)
    if (memcmp(data + i, "%PDF-", 5) == 0) return RAG_TYPE_PDF;
  if (has_prefix(data, len, "PK\x03\x04", 4)) return zip_is_docx(data, len) ? RAG_TYPE_DOCX : RAG_TYPE_BINARY;
  static const char *const magic[] = {"\x89PNG",
                                      "\xFF\xD8\xFF",
                                      "GIF8",
                                      "\x7F"
                                      "ELF",
                                      "MZ",
                                      "\x1F\x8B",
                                      "BZh",
                                      "\xFD"
                                      "7zXZ",
                                      "Rar!",
                                      "OggS",
                                      "ID3",
                                      "\xD0\xCF\x11\xE0",
                                      NULL};
  for (int i = 0; magic[i]; i++)
    if (has_prefix(data, len, magic[i], strlen(magic[i]))) return RAG_TYPE_BINARY;
  if (rag_looks_binary(data, len)) return RAG_TYPE_BINARY;
  /* HTML: a doctype or an html/head/body tag near the start */
  size_t i = 0;
  if (has_prefix(data, len, "\xEF\xBB\xBF", 3)) i = 3;
  while (i < head && isspace((unsigned char)data[i])) i++;
  if (i < head && data[i] == '<') {
    if (contains_ci(data + i, head - i, "<!doctype html") || contains_ci(data + i, head - i, "<html") ||
        contains_ci(data + i, head - i, "<head") || contains_ci(data + i, head - i, "<body"))
      return RAG_TYPE_HTML;
  }
  if (filename &&
      (util_ends_with(filename, ".md") || util_ends_with(filename, ".markdown") || util_ends_with(filename, ".MD")))
    return RAG_TYPE_MARKDOWN;
  return RAG_TYPE_TEXT;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void do_init(void) {
  xmlInitParser();
}
void rag_parse_init(void) {
  pthread_once(&g_once, do_init);
}

int rag_parse(const char *data, size_t len, const char *filename, rag_type_t *type_out, rag_doc_t *doc, char *err,
              size_t errlen) {
  rag_parse_init();
  rag_type_t t = rag_detect(data, len, filename);
  if (type_out) *type_out = t;
  if (t == RAG_TYPE_EMPTY) {
    snprintf(err, errlen, "empty file");
    return -1;
  }
  if (t == RAG_TYPE_BINARY) {
    snprintf(err, errlen, "unsupported file type: binary content, not a PDF, DOCX, HTML, Markdown or text file");
    return -1;
  }
  parse_fn_t parse = rag_parse_text;
  for (size_t i = 0; i < NTYPES; i++)
    if (TYPES[i].type == t && TYPES[i].parse) parse = TYPES[i].parse;
  if (parse(data, len, doc, err, errlen) != 0) return -1;
  rag_doc_drop_furniture(doc);
  if (rag_doc_chars(doc) == 0) {
    snprintf(err, errlen,
             t == RAG_TYPE_PDF ? "no extractable text (image-only or scanned PDF?)" : "no extractable text");
    return -1;
  }
  rag_meta_finish(doc);
  return 0;
}
