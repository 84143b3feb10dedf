/*
 * math.h - TeX math in report exports (internal to src/report): one parser,
 * one tree, three writers (MathML for HTML, Pango markup for the PDF,
 * Office Math for the DOCX).
 *
 * Finding the math: rm_mark() applies the Writing preview's rule
 * (web/src/lib/writing.ts, renderDraft) to the raw Markdown: code spans
 * (`...`) and fenced blocks (```...```) are left alone; elsewhere
 * $$...$$ and \[...\] are display math, and $...$ is inline math when the
 * opening $ follows no backslash, $ or word character and is followed by no
 * space, and the closing $ has no space before it and no word character or
 * $ after it (so "costs $5 and $10" stays text). Every formula is replaced
 * by a marker (private-use characters around its number) that Markdown
 * leaves alone; the exporters put the formula back after md4c has run
 * (rm_html_fill, rm_blocks_expand).
 *
 * The subset understood: groups, ^ and _, \frac \dfrac \tfrac \binom, \sqrt and
 * \sqrt[n], Greek letters, the common operators, relations and arrows,
 * functions (\sin, \log, \lim, ...), \text \mathrm \mathbf \mathit
 * \mathbb \mathcal \operatorname, \left...\right, spacing, accents (\hat \bar \vec
 * \tilde \dot \ddot \overline), and the environments matrix, pmatrix, bmatrix,
 * Bmatrix, vmatrix, Vmatrix, smallmatrix, cases, dcases, aligned, align(*),
 * split, gathered, gather(*) (cells split by &, lines by \\; MathML
 * <mtable>, Office Math m:m / m:eqArr, and in the PDF a matrix as
 * "(a b; c d)" with the lines of cases and aligned equations one under the
 * other in display math). A formula with anything else (an unknown
 * command, unbalanced braces) is not converted: the writers return -1 and
 * the exporter shows its TeX source as code, so no text is ever lost.
 *
 * A formula's "source" is the text as written, delimiters included
 * ("$x^2$", "$$...$$", "\[...\]"). Every writer escapes all text for its
 * target. Pure code: thread-safe.
 */
#ifndef MAESTRO_REPORT_MATH_H
#define MAESTRO_REPORT_MATH_H

#include <stddef.h>

#include "base/buf.h"
#include "report/blocks.h"

typedef struct {
  char *md;   /* the Markdown with every formula replaced by a marker */
  char **src; /* src[i]: the source of formula i */
  size_t n;
} rm_marks_t;

/* Finds the math of markdown (the preview's rule, above) into *m (zeroed
 * by the call; release with rm_marks_free). A text that already holds the
 * marker character is left as it is (no formula found). */
void rm_mark(const char *markdown, rm_marks_t *m);
void rm_marks_free(rm_marks_t *m);

/* The next marker in s[0..n): its offset (or n when none), *len its
 * length and *idx the formula's number (only indices below nmarks count). */
size_t rm_find_mark(const char *s, size_t n, size_t nmarks, size_t *idx, size_t *len);

/* 1 when the source is display math ($$...$$ or \[...\]). */
int rm_is_display(const char *src);

/* The writers: append the formula of src to out and return 0, or return
 * -1 (out unchanged) when the formula is outside the subset. */
int rm_mathml(buf_t *out, const char *src);
int rm_pango(buf_t *out, const char *src);
int rm_omml(buf_t *out, const char *src); /* m: prefix; the caller declares the namespace */

/* Appends s[0..n) with & < > " ' as character references. */
void rm_escape(buf_t *out, const char *s, size_t n);

/* Puts the formulas back into md4c's HTML of m->md: MathML in text, the
 * escaped source inside <code>/<pre> and inside tags, the source as
 * <code class="math-tex"> when the formula is outside the subset. */
void rm_html_fill(buf_t *html, const rm_marks_t *m);

/* Puts the formulas back into the runs of a document parsed from m->md:
 * a formula becomes a run of its own with RB_MATH (and RB_DISPLAY) whose
 * text is its source; inside code, and in link targets, the source is put
 * back as text. A paragraph holding display math and other text is split so
 * that the display math is a paragraph of its own. */
void rm_blocks_expand(rb_doc_t *doc, const rm_marks_t *m);

#define RM_NS "http://schemas.openxmlformats.org/officeDocument/2006/math"

#endif
