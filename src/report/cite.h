/*
 * cite.h - the one citation formatter: reference entries and in-text
 * citations in APA 7, MLA 9, Chicago (author-date, 17th ed.) and IEEE, the
 * numbered line of a mission report, and BibTeX and RIS export.
 *
 * A reference is a JSON object (the Writing workspace stores these, a
 * mission report's notes are mapped onto them):
 *   type       "article" | "book" | "web" | "document" (inferred when absent:
 *              a venue with a volume, issue or DOI is an article, a URL
 *              without DOI a web page, anything else a book-like document)
 *   title, venue (journal or site), publisher, volume, issue, pages
 *              ("207-217"), year, doi, url, accessed ("YYYY-MM-DD")  strings
 *   authors    array of names ("Jessica S. Grady", "Grady, Jessica S.",
 *              "김철수") or one string "A, B and C" / "A; B"
 * Every field may be missing; titles are printed as entered (no case
 * changes). Output is Markdown: italics as *...*.
 *
 * Citation markers in a draft are [@N], N the reference's number in its
 * session; adjacent markers ([@1][@2] or [@1; @2]) make one citation.
 *
 * Pure functions: thread-safe. Returned strings are malloc'd, owned by the
 * caller.
 */
#ifndef MAESTRO_CITE_H
#define MAESTRO_CITE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"

typedef enum { CITE_APA = 0, CITE_MLA, CITE_CHICAGO, CITE_IEEE } cite_style_t;

/* "apa" | "mla" | "chicago" | "ieee" (case-insensitive) -> style; -1 for
 * anything else (NULL too). */
int cite_style_parse(const char *name);
const char *cite_style_name(cite_style_t style);

/* The reference entry of ref in style, without any list number (IEEE's
 * "[n] " is the caller's, see cite_reference_list). malloc'd. */
char *cite_reference(json_t *ref, cite_style_t style);

/* The in-text citation of the references refs (array, in the order cited);
 * nums their IEEE numbers (may be NULL for the author styles).
 * APA "(Grady et al., 2019; Lee, 2020)", MLA "(Grady et al.)", Chicago
 * "(Grady et al. 2019)", IEEE "[1], [2]". malloc'd. */
char *cite_in_text(json_t *refs, const int *nums, cite_style_t style);

/*
 * Renders a draft for reading or export: every [@N] marker becomes its
 * in-text citation (markers of unknown numbers are left as they are), and
 * the reference list of the cited references is appended under a
 * "References" heading ("참고 문헌" when lang is "ko"; "Works Cited" for MLA
 * in English), unless with_list is 0. refs: array of references, each with
 * an integer "n". APA, MLA and Chicago list alphabetically by the first
 * author's family name (then year); IEEE numbers by first citation. When
 * *labels is not NULL it receives {"N": in-text citation of N alone}.
 * malloc'd.
 */
char *cite_render(const char *markdown, json_t *refs, cite_style_t style, const char *lang, int with_list,
                  json_t **labels);

/* The reference list alone (one Markdown paragraph per entry, in the order
 * cite_render uses when every reference is cited in n order). malloc'd. */
char *cite_reference_list(json_t *refs, cite_style_t style);

/* BibTeX (@article/@book/@misc entries, keys familyYEARword, LaTeX
 * specials escaped) and RIS (TY JOUR/BOOK/ELEC/GEN ... ER) of refs.
 * malloc'd. */
char *cite_bibtex(json_t *refs);
char *cite_ris(json_t *refs);

/* The authors of ref as [{family, given}] (new reference). */
json_t *cite_authors(json_t *ref);

/*
 * A mission report's numbered reference line (the report's own style, see
 * report.h), appended to md with its newline:
 *   a paper found by scholarly search (note has year or doi, no document):
 *     "k. A, B, C, et al. (Year). Title. *Venue*. <https://doi.org/DOI>
 *     (accessed DATE)"  -- returns 2;
 *   a web page: "k. Title, Authors, <URL> (accessed DATE)"  -- returns 1;
 *   a library document: "k. Title (file), Authors, Venue, Year, doi:DOI,
 *     p. P"  -- returns 1.
 * note: the mission note (source_title, authors, url, year, venue, doi,
 * document_id, page); doc: {filename, year} of its document (may be NULL).
 */
int cite_report_line(buf_t *md, size_t k, json_t *note, json_t *doc, const char *lang, const char *date);

/* A reference object (see the top) from a mission report's reference entry
 * or note: title, authors, year, venue, doi, url, page, document_id. New
 * reference. */
json_t *cite_from_note(json_t *note);

#endif
