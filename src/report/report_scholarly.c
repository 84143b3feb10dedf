/*
 * report_scholarly.c - the reference line of a scholarly paper.
 *
 * A note read from a scholarly search result carries the paper's year,
 * venue and DOI next to its title and authors (schema 013); its reference
 * follows the common author-year shape, with at most three authors before
 * "et al.":
 *
 *   3. Jakub Lála, Odhran O’Donoghue, Aleksandar Shtedritski, et al. (2023).
 *      PaperQA: Retrieval-Augmented Generative Agent for Scientific Research.
 *      *arXiv (Cornell University)*. https://doi.org/10.48550/arxiv.2312.07559
 *      (accessed 2026-12-05)
 *
 * (one line in the report). Documents and web pages keep report.c's line.
 */
#include <string.h>

#include "report/report.h"

#define MAX_AUTHORS 3

static const char *str(json_t *note, const char *k) {
  const char *s = json_string_value(json_object_get(note, k));
  return s && s[0] ? s : NULL;
}

/* "A, B, C, et al." from "A, B, C, D, E". */
static void put_authors(buf_t *b, const char *authors) {
  const char *p = authors;
  for (int n = 0; p && *p; n++) {
    const char *comma = strstr(p, ", ");
    if (n == MAX_AUTHORS) {
      buf_puts(b, ", et al.");
      return;
    }
    if (n) buf_puts(b, ", ");
    buf_append(b, p, comma ? (size_t)(comma - p) : strlen(p));
    p = comma ? comma + 2 : NULL;
  }
}

int report_ref_scholarly(buf_t *md, json_t *refs, size_t k, json_t *note, const char *lang, const char *date) {
  const char *year = str(note, "year"), *doi = str(note, "doi");
  /* papers found by scholarly search; a library document has its own line (the file it came from, pages) */
  if (!json_is_object(note) || (!year && !doi) || str(note, "document_id")) return 0;
  const char *title = str(note, "source_title"), *authors = str(note, "authors"), *venue = str(note, "venue");
  const char *url = str(note, "url");
  int ko = lang && strcmp(lang, "ko") == 0;
  buf_printf(md, "%zu. ", k);
  if (authors) {
    put_authors(md, authors);
    buf_putc(md, ' ');
  }
  buf_printf(md, "(%s). %s", year ? year : "n.d.", title ? title : ko ? "제목 없음" : "Untitled");
  if (md->len && md->data[md->len - 1] != '.' && md->data[md->len - 1] != '?') buf_putc(md, '.');
  if (venue) buf_printf(md, " *%s*.", venue);
  if (doi)
    buf_printf(md, " <https://doi.org/%s>", doi);
  else if (url)
    buf_printf(md, " <%s>", url);
  buf_printf(md, " (%s %s)\n", ko ? "접근" : "accessed", date);
  json_array_append_new(
      refs, json_pack("{s:I, s:O?, s:s, s:O?, s:s?, s:s?, s:s?, s:s?}", "n", (json_int_t)k, "note_id",
                      json_object_get(note, "id"), "title", title ? title : "", "url", json_object_get(note, "url"),
                      "authors", authors, "year", year, "venue", venue, "doi", doi));
  return 1;
}
