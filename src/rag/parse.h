/*
 * parse.h - turning uploaded files into structured plain text.
 *
 * A parsed document (rag_doc_t) is one UTF-8 text made of blocks (paragraphs
 * and headings) separated by blank lines ("\n\n"). Each block remembers its
 * page (1-based; 0 when the format has no pages) and its heading path
 * ("Chapter 2 > Results"), which the chunker hands on to every chunk.
 *
 * Parsers never trust their input: they work from a memory buffer, return -1
 * with a human-readable reason in err (e.g. "encrypted PDF (password
 * required)", "no extractable text", "not a DOCX: word/document.xml missing")
 * and never touch the network (XML_PARSE_NONET; entities are not expanded).
 *
 * The type is detected from the content (rag_detect), not from the file
 * name; the name only separates Markdown from plain text.
 *
 * Thread-safety: every function works on its own rag_doc_t; parsers may run
 * on several threads at once (rag_parse_init() must have run once first).
 */
#ifndef MAESTRO_RAG_PARSE_H
#define MAESTRO_RAG_PARSE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"

typedef enum {
  RAG_TYPE_UNKNOWN = 0,
  RAG_TYPE_PDF,
  RAG_TYPE_DOCX,
  RAG_TYPE_HTML,
  RAG_TYPE_MARKDOWN,
  RAG_TYPE_TEXT,
  RAG_TYPE_EMPTY,  /* zero bytes */
  RAG_TYPE_BINARY, /* not a format we read (images, archives, executables, garbage) */
} rag_type_t;

/* "pdf", "docx", "html", "md", "txt", "empty", "binary", "unknown". */
const char *rag_type_name(rag_type_t t);
/* The MIME type stored for a detected type. */
const char *rag_type_mime(rag_type_t t);
/* Parses a --format word ("pdf", "docx", "html", "md", "markdown", "txt", "text"). */
rag_type_t rag_type_parse(const char *name);

/* Detects the type of data by content; filename (may be NULL) only decides
 * Markdown vs plain text. */
rag_type_t rag_detect(const char *data, size_t len, const char *filename);

typedef struct {
  size_t off, len; /* byte range in text */
  int page;        /* 1-based, 0 = no pages */
  int heading;     /* index into headings, -1 = none */
  int level;       /* heading level 1..6 for heading blocks, 0 for paragraphs */
} rag_block_t;

typedef struct {
  buf_t text;
  rag_block_t *blocks;
  size_t nblocks, bcap;
  char **headings; /* heading paths */
  size_t nheadings, hcap;
  char *stack[6]; /* current heading text per level */
  int page;       /* current page for new blocks */
  int npages;
  char *title, *authors, *year; /* metadata when the format has it (malloc'd or NULL) */
} rag_doc_t;

void rag_doc_init(rag_doc_t *d);
void rag_doc_free(rag_doc_t *d);
/* Starts page n (1-based) for the following blocks. */
void rag_doc_set_page(rag_doc_t *d, int n);
/* Appends a paragraph: whitespace runs collapse to one space, control
 * characters are dropped, invalid UTF-8 becomes U+FFFD; empty text adds nothing. */
void rag_doc_para(rag_doc_t *d, const char *s, size_t len);
/* Appends a heading of level 1..6 and makes it the current heading path. */
void rag_doc_heading(rag_doc_t *d, int level, const char *s, size_t len);
/* Sets a metadata field if still empty (copies, normalised). */
void rag_doc_meta(char **field, const char *s);
/* Number of code points of text (excluding separators): 0 means nothing to index. */
size_t rag_doc_chars(const rag_doc_t *d);

/* One-time library setup (libxml2). Safe to call more than once. */
void rag_parse_init(void);

int rag_parse_pdf(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);
int rag_parse_docx(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);
int rag_parse_html(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);
int rag_parse_markdown(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);
int rag_parse_text(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen);

/*
 * Converts data to UTF-8: UTF-8 (BOM stripped) as is, UTF-16 with a BOM, and
 * otherwise text in Windows-1252/Latin-1 via iconv. Binary data is rejected
 * ("binary content, not text"). Returns malloc'd NUL-terminated text or NULL
 * with err.
 */
char *rag_text_to_utf8(const char *data, size_t len, size_t *outlen, char *err, size_t errlen);

/* 1 when data looks binary (NUL bytes, more than 1 % control characters). */
int rag_looks_binary(const char *data, size_t len);

/* Detects and parses; fails with a reason for empty, binary or unreadable
 * input, and with "no extractable text" when nothing readable remains. */
int rag_parse(const char *data, size_t len, const char *filename, rag_type_t *type_out, rag_doc_t *doc, char *err,
              size_t errlen);

#endif
