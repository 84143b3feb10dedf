/*
 * blocks.h - a report's Markdown as a flat list of blocks with styled text
 * runs: the common input of the PDF and DOCX exporters (internal to
 * src/report).
 *
 * md4c parses the Markdown (tables on, raw HTML shown as text). Every block
 * is a heading, a paragraph, a list item, a code block, a horizontal rule or
 * a table row; nesting survives as numbers: `depth` (list nesting) and
 * `quote` (block-quote nesting). Inline bold, italic, code, strike-through
 * and links become run flags; citations such as [3] are plain text.
 *
 * All text is valid UTF-8 without C0 control characters other than '\n'
 * (a hard line break, or a line of a code block) and '\t': invalid bytes
 * of the input become U+FFFD, other control characters are dropped, so the
 * text is safe for XML and for Pango.
 *
 * The document owns everything in it; rb_free() releases it. Pure code:
 * thread-safe.
 */
#ifndef MAESTRO_REPORT_BLOCKS_H
#define MAESTRO_REPORT_BLOCKS_H

#include <cairo.h>
#include <stddef.h>

/* RB_MATH: the run is a TeX formula, its text the source with delimiters
 * (math.h); RB_DISPLAY: display math. */
enum { RB_BOLD = 1, RB_ITALIC = 2, RB_CODE = 4, RB_LINK = 8, RB_STRIKE = 16, RB_MATH = 32, RB_DISPLAY = 64 };

typedef struct {
  char *text; /* NUL-terminated, never empty */
  int flags;  /* RB_BOLD | ... */
  char *href; /* RB_LINK: the target (may be NULL) */
} rb_run_t;

typedef struct {
  rb_run_t *runs;
  size_t nruns, cap;
} rb_cell_t;

typedef enum { RB_HEADING, RB_PARA, RB_ITEM, RB_CODEBLOCK, RB_RULE, RB_ROW } rb_kind_t;

typedef struct {
  rb_kind_t kind;
  int level;        /* RB_HEADING: 1..6 */
  int depth;        /* list nesting (0: not in a list); RB_ITEM: >= 1 */
  int quote;        /* block-quote nesting */
  int ordered;      /* RB_ITEM: of an ordered list */
  int number;       /* RB_ITEM: its number in an ordered list */
  int list_id;      /* RB_ITEM: the list it belongs to (1, 2, ... in order) */
  int list_start;   /* RB_ITEM: the first number of that list */
  int header;       /* RB_ROW: a header row */
  int table_id;     /* RB_ROW: the table it belongs to (1, 2, ...) */
  char *svg;        /* RB_PARA: an SVG image (data:image/svg+xml;base64 in the Markdown)
                       the paragraph shows, decoded, or NULL; its text is the alt text */
  rb_cell_t *cells; /* RB_ROW: one per column; others: exactly one */
  size_t ncells;
} rb_block_t;

typedef struct {
  rb_block_t *blocks;
  size_t n, cap;
  int lists, tables; /* counts of list and table instances */
} rb_doc_t;

/* Parses Markdown into *doc (zeroed by the call). 0, or -1 when md4c fails
 * (doc is then empty). */
int rb_parse(const char *markdown, rb_doc_t *doc);
void rb_free(rb_doc_t *doc);

/* Code as the Writing preview splits it (web/src/lib/writing.ts): at s[i]
 * a fenced block ```...``` (closed anywhere later) or a code span `...` on
 * one line. The offset just past it, or 0 when no code starts at i. */
size_t rb_code_end(const char *s, size_t n, size_t i);

/* s as valid UTF-8 without control characters other than '\n' and '\t'
 * (the rule for all block text). malloc'd; NULL is taken as "". */
char *rb_clean(const char *s);

/* The plain text of a cell (runs concatenated). malloc'd. */
char *rb_cell_text(const rb_cell_t *c);

/* Draws the subset of SVG the shipped plugins write (svg with width and
 * height; rect, line, circle, polyline, text with fill, stroke,
 * stroke-width, font-size, text-anchor) at (x, y), scaled to width. Other
 * elements are skipped; text is laid out with pango_context (a
 * PangoContext for cr). *height gets the drawn height; cr NULL only
 * measures. 0, or -1 when svg is not such an SVG (nothing drawn).
 * (svg_draw.c) */
struct _cairo;
int rb_svg_draw(struct _cairo *cr, void *pango_context, const char *svg, double x, double y, double width,
                double *height);

/* The chart svg drawn by rb_svg_draw onto a white image width * scale
 * pixels wide, as PNG: *png (malloc'd, *len bytes) and *height (the height
 * at width, in the same units). 0, or -1 when svg cannot be drawn. */
int rb_svg_png(const char *svg, double width, double scale, char **png, size_t *len, double *height);

/* A cairo write function appending to a buf_t (closure). */
cairo_status_t rb_cairo_write_buf(void *closure, const unsigned char *data, unsigned int length);

#endif
