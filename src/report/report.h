/*
 * report.h - the research report: Markdown assembly with numbered citations
 * and a reference list, the run record, and HTML export (md4c).
 *
 * Drafts carry citations as [#NOTEID] markers (16 hex chars). Assembly
 * walks the sections in outline order and numbers the cited notes by first
 * appearance: the first note cited becomes [1], and so on (notes of one
 * document page or one URL share their number); every reference entry names
 * its source: a document by title, file name, authors, year and page, a web
 * page by title, URL and access date. Markers of unknown notes are dropped.
 * A sentence the verifier marked " *(unverified)*" gets a footnote [^vK]
 * whose definition (the verifier's reason) is listed under "Unverified
 * statements" before the references.
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
  json_t *notes;                         /* mission notes (borrowed); a document note may carry
                                            year, venue, doi, arxiv_id for its reference line */
  const char *introduction, *conclusion; /* may be NULL */
  const char *changes;                   /* "What changed since the last run" body (may be NULL) */
  json_t *record;                        /* run record object (borrowed, may be NULL):
                                            models, calls, cached_calls, tokens, cost,
                                            duration_s, checked, supported, offline,
                                            budget_hit */
  long long access_ms;                   /* access date of the web sources */
  json_t *documents;                     /* {document_id: {filename, title, authors, year}} of the
                                            cited documents (borrowed, may be NULL) */
  json_t *verification;                  /* the verifier's details [{section_id, sentence,
                                            supported, reason}] (borrowed, may be NULL) */
  json_t *charts;                        /* [{title, svg}] drawn by plugins for the cited
                                            plugin sources (borrowed, may be NULL): a
                                            "Charts" section of data:image/svg+xml images */
} report_input_t;

/* Assembles the Markdown report. *meta (may be NULL) gets {references:[{n,
 * note_id, title, url, document_id, page, kind ("document"|"web"), filename,
 * authors, year, venue?, doi?, arxiv_id?, notes: [every cited note id of the
 * source], cites: [per occurrence of [n] in the text, in order, the note ids
 * cited there]}], citations, sections, unverified: [{label, section_id,
 * sentence, reason}]}. A document's reference line reads "N. Title (file),
 * Authors, Venue, Year, doi:DOI, p. P"; a web page's "N. Title, Authors,
 * <URL> (accessed DATE)"; parts left out when unknown.
 * malloc'd. */
char *report_markdown(const report_input_t *in, json_t **meta);

/* Renders [#ID] markers of one text as [n] using (and extending) the number
 * map (an object the caller creates empty and frees; its "_keys", "_occ",
 * "_all" members hold the numbering so far). malloc'd. */
char *report_number_citations(const char *text, json_t *numbers);

/* A complete HTML document (UTF-8) of Markdown text, rendered with md4c.
 * Raw HTML in the Markdown is escaped, and link and image targets that
 * report_url_allowed() refuses become "#" (links) and "" (images), so model
 * text cannot put a script into the report. Serve it with
 * REPORT_HTML_CSP as well. malloc'd, or NULL when rendering fails. */
char *report_html(const char *title, const char *markdown);

/* Content-Security-Policy for served HTML reports: no script, no plugin, no
 * form, no framing by other sites; inline styles (the report's own) and
 * http(s) images only. */
#define REPORT_HTML_CSP                                                                                        \
  "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; " \
  "frame-ancestors 'self'"

/* 1 when a link target from model text may become a live link: http, https
 * and mailto URLs, and relative ones (no scheme). Judged the way a browser
 * reads an attribute: HTML character references decoded (jav&#x61;script:),
 * tabs and line breaks anywhere and leading/trailing spaces and controls
 * ignored, scheme case-insensitive. Any other control character, and every
 * other scheme (javascript:, vbscript:, data:, file:, ...), is refused. */
int report_url_allowed(const char *url, size_t len);

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
