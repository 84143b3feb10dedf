/*
 * report.h - the research report: Markdown assembly with numbered citations
 * and a reference list, the run record, and HTML export (md4c).
 *
 * Drafts carry citations as [#NOTEID] markers (16 hex chars). Assembly
 * walks the sections in outline order and numbers the cited notes by first
 * appearance: the first note cited becomes [1], and so on; every reference
 * entry names its source (document title + authors + page, or page title +
 * URL) and the access date. Markers of unknown notes are dropped.
 *
 * Pure functions (no store access): thread-safe. Returned strings and JSON
 * are owned by the caller.
 */
#ifndef MAESTRO_REPORT_H
#define MAESTRO_REPORT_H

#include <jansson.h>

#include "base/buf.h"

typedef struct {
  const char *title;
  const char *language;                  /* "en", "ko": headings of the fixed parts */
  json_t *sections;                      /* [{id,title,parent_id}] in order (borrowed) */
  json_t *drafts;                        /* {section_id: {content}} (borrowed) */
  json_t *notes;                         /* mission notes (borrowed) */
  const char *introduction, *conclusion; /* may be NULL */
  const char *changes;                   /* "What changed since the last run" body (may be NULL) */
  json_t *record;                        /* run record object (borrowed, may be NULL):
                                            models, calls, cached_calls, tokens, cost,
                                            duration_s, checked, supported, offline,
                                            budget_hit */
  long long access_ms;                   /* access date of the sources */
} report_input_t;

/* Assembles the Markdown report. *meta (may be NULL) gets {references:[{n,
 * note_id,title,url,document_id,page}], citations, sections}. malloc'd. */
char *report_markdown(const report_input_t *in, json_t **meta);

/* Renders [#ID] markers of one text as [n] using (and extending) the number
 * map {note_id: n}. malloc'd. */
char *report_number_citations(const char *text, json_t *numbers);

/* The reference line of reference k when its note comes from a scholarly
 * paper (has "year" or "doi"): "k. Authors (Year). Title. *Venue*.
 * https://doi.org/DOI (accessed date)" appended to md, and its
 * entry (with authors, year, venue, doi) to refs. Returns 1 when it wrote
 * the reference, 0 when the note is not a paper (report_scholarly.c). */
int report_ref_scholarly(buf_t *md, json_t *refs, size_t k, json_t *note, const char *lang, const char *date);

/* A complete HTML document (UTF-8) of Markdown text, rendered with md4c.
 * malloc'd, or NULL when rendering fails. */
char *report_html(const char *title, const char *markdown);

/* A PDF (A4, 2 cm margins, page numbers in the footer) of Markdown text:
 * headings, paragraphs, lists, block quotes, code, tables; text laid out
 * by Pango with font fallback, so Korean and other CJK text renders when a
 * CJK font (fonts-noto-cjk) is installed. title (may be NULL) goes to the
 * document information and the footer. On success 0 and *out (malloc'd,
 * *len bytes); -1 with a message in err. Thread-safe (own font map). */
int report_pdf(const char *title, const char *markdown, char **out, size_t *len, char *err, size_t errlen);

/* A DOCX (Office Open XML word-processing package) of Markdown text, with
 * styles Title (# heading), Heading1..3 (##, ###, ####+), ListParagraph with
 * real list numbering, Quote, Code, hyperlinks, tables and page numbers.
 * Same contract as report_pdf(). */
int report_docx(const char *title, const char *markdown, char **out, size_t *len, char *err, size_t errlen);

#endif
