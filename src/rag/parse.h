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

#include "base/biblio.h"
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
  doc_biblio_t bib;     /* what the document says of itself, set through rag_doc_set_meta */
  json_t *meta_sources; /* {field: where it came from}, e.g. {"title":"first-page"}; NULL until set */
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
/* Drops page furniture (running headers and footers repeated across pages,
 * navigation lines such as "Prev | Up | Next", table-of-contents and index
 * paragraphs of dot leaders) from d's paragraphs, keeping headings and
 * never emptying a document; rag_parse calls it. Returns how many blocks
 * were dropped. See furniture.c for the rules. */
size_t rag_doc_drop_furniture(rag_doc_t *d);
/* Sets a metadata field if still empty (copies, normalised). */
void rag_doc_meta(char **field, const char *s);
/* ---- Bibliographic metadata (meta.c) ----
 *
 * Fields: "title", "authors", "year", "venue", "doi", "arxiv_id",
 * "abstract", "keywords", "language". Extractors try the most trusted
 * source first (declared metadata, then first-page heuristics, then
 * patterns in the text); the first accepted value of a field wins. */

/* Sets a field if still empty, from value normalised for that field
 * (authors/keywords split and joined with "; ", year reduced to four digits,
 * DOI and arXiv id cut out of URLs and prefixes, junk titles such as
 * "Microsoft Word - draft.docx" or "untitled" rejected), and records source
 * in d->meta_sources. 1 when set, 0 when kept or rejected. */
int rag_doc_set_meta(rag_doc_t *d, const char *field, const char *value, const char *source);
/* 1 when a title is the kind of placeholder tools write ("untitled",
 * "Microsoft Word - x.docx", a file name, a bare section heading like
 * "13.1. Introduction"), not the document's real title. */
int rag_meta_title_is_junk(const char *title);
/* Finds the first DOI (10.NNNN/...) in s, trailing punctuation dropped.
 * 1 and the DOI in out, or 0. */
int rag_meta_find_doi(const char *s, size_t len, char *out, size_t outlen);
/* Finds an arXiv id: "arXiv:2101.00001v2" (new style needs the arXiv
 * prefix unless bare is 1) or an old-style "hep-th/9901001". 1 and the id
 * (without "arXiv:") in out, or 0. */
int rag_meta_find_arxiv(const char *s, size_t len, int bare, char *out, size_t outlen);
/* Reads XMP packet fields (dc:title, dc:creator, dc:description, dc:subject,
 * dc:language, dc:date, prism:doi, prism:publicationName, prism:coverDate,
 * pdfx:doi) into d, source "xmp". */
void rag_meta_from_xmp(rag_doc_t *d, const char *xml, size_t len);
/* First-page heuristics on plain text lines: DOI, arXiv id, year from a
 * copyright / publication line, abstract, keywords (source "first-page"). */
void rag_meta_from_first_page(rag_doc_t *d, const char *text, size_t len);
/* One text line of a page with its font size (points). */
typedef struct {
  const char *s;
  size_t len;
  double size;
} rag_meta_line_t;
/* Title and authors of a paper's first page from its lines in reading
 * order: the largest-font line(s) near the top (when they stand out from
 * the body text) are the title, the lines right below it that read as
 * person names are the authors (source "first-page"). */
void rag_meta_from_layout(rag_doc_t *d, const rag_meta_line_t *lines, size_t n);
/* Fills what is still missing from the parsed text: DOI and arXiv id from
 * its start, language from its script (source "text"). rag_parse calls it. */
void rag_meta_finish(rag_doc_t *d);
/* Splits a Markdown file's YAML front matter (a leading "---" block) off
 * data: reads title, author(s), date/year, venue/journal, doi, arxiv,
 * abstract, keywords/tags, lang/language into d (source "front-matter") and
 * returns the length of the block to skip (0 when there is none). */
size_t rag_meta_front_matter(rag_doc_t *d, const char *data, size_t len);

/* A copy of s normalised like rag_doc_meta (whitespace runs collapsed,
 * controls dropped, trimmed), malloc'd; NULL when empty or over max bytes. */
char *rag_meta_normalise(const char *s, size_t max);

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
