/*
 * export_pdf.c - a report as a PDF (report_pdf in report.h).
 *
 * The Markdown goes through blocks.c; every block becomes a PangoLayout
 * (styled runs as Pango attributes: bold, italic, monospace, links) wrapped
 * to the text width, and is drawn line by line onto a cairo PDF surface so
 * a page break can fall between any two lines; headings move to the next
 * page when fewer than three body lines would follow them. A4, 2 cm
 * margins, 1 pt = 1 user unit (Pango resolution 72 dpi). The footer has the
 * title (shortened to fit) and the page number. TeX math (math.h) is laid
 * out inline from its Pango markup (Unicode symbols, <sup>/<sub> scripts);
 * a paragraph of display math is centred; a formula outside the subset
 * shows its source in monospace.
 *
 * Fonts come from fontconfig through Pango's fallback ("Sans", "Monospace"),
 * so Hangul and other CJK text is drawn with an installed CJK font (Debian:
 * fonts-noto-cjk); the context language is "ko" when the text has Hangul,
 * which makes fontconfig prefer the Korean face. Each call has its own font
 * map, so calls on several threads do not share Pango state.
 */
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "report/blocks.h"
#include "report/math.h"
#include "report/report.h"

#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN 56.693 /* 2 cm */
#define TOP MARGIN
#define BOTTOM (PAGE_H - MARGIN)
#define TEXT_W (PAGE_W - 2 * MARGIN)
#define LIST_INDENT 18.0
#define QUOTE_INDENT 14.0
#define LINE_FACTOR 1.12 /* line advance / the font's line height */
#define BODY_FONT "Sans 10.5"
#define BODY_LINE 15.0 /* about one body line, for keep-with-next */

typedef struct {
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoFontMap *fm;
  PangoContext *ctx;
  const char *title;
  double y;
  int page;
} pdf_t;

static void footer(pdf_t *p) {
  cairo_t *cr = p->cr;
  PangoLayout *l = pango_layout_new(p->ctx);
  PangoFontDescription *fd = pango_font_description_from_string("Sans 8");
  pango_layout_set_font_description(l, fd);
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  char num[32];
  snprintf(num, sizeof num, "%d", p->page);
  pango_layout_set_text(l, num, -1);
  int w, h;
  pango_layout_get_size(l, &w, &h);
  double y = PAGE_H - MARGIN / 2 - (double)h / PANGO_SCALE;
  cairo_move_to(cr, PAGE_W - MARGIN - (double)w / PANGO_SCALE, y);
  pango_cairo_show_layout(cr, l);
  if (p->title && p->title[0]) {
    pango_layout_set_text(l, p->title, -1);
    pango_layout_set_width(l, (int)(TEXT_W * 0.8 * PANGO_SCALE));
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    cairo_move_to(cr, MARGIN, y);
    pango_cairo_show_layout(cr, l);
  }
  cairo_set_line_width(cr, 0.4);
  cairo_move_to(cr, MARGIN, y - 4);
  cairo_line_to(cr, PAGE_W - MARGIN, y - 4);
  cairo_stroke(cr);
  pango_font_description_free(fd);
  g_object_unref(l);
}

static void new_page(pdf_t *p) {
  footer(p);
  cairo_show_page(p->cr);
  p->page++;
  p->y = TOP;
}

static void add_attr(PangoAttrList *al, PangoAttribute *a, guint start, guint end) {
  a->start_index = start;
  a->end_index = end;
  pango_attr_list_insert(al, a);
}

/* Appends a formula's text to t and its attributes (from its Pango markup)
 * to al. -1 (nothing appended) when the formula is outside the subset. */
static int put_math(buf_t *t, PangoAttrList *al, const char *src) {
  buf_t m = BUF_INIT;
  buf_init(&m);
  PangoAttrList *ml = NULL;
  char *text = NULL;
  if (rm_pango(&m, src) < 0 || !pango_parse_markup(m.data, (int)m.len, 0, &ml, &text, NULL, NULL)) {
    buf_free(&m);
    return -1;
  }
  buf_free(&m);
  guint s = (guint)t->len;
  buf_puts(t, text);
  GSList *list = pango_attr_list_get_attributes(ml);
  for (GSList *i = list; i; i = i->next) {
    PangoAttribute *a = i->data;
    guint e = a->end_index > strlen(text) ? (guint)strlen(text) : a->end_index;
    add_attr(al, a, s + a->start_index, s + e);
  }
  g_slist_free(list);
  pango_attr_list_unref(ml);
  g_free(text);
  return 0;
}

/* A layout of a cell's runs, wrapped to width points; extra: flags for all runs. */
static PangoLayout *make_layout(pdf_t *p, const rb_cell_t *c, const char *font, double width, int extra) {
  PangoLayout *l = pango_layout_new(p->ctx);
  PangoFontDescription *fd = pango_font_description_from_string(font);
  pango_layout_set_font_description(l, fd);
  pango_font_description_free(fd);
  pango_layout_set_width(l, (int)(width * PANGO_SCALE));
  pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
  buf_t t = BUF_INIT;
  buf_init(&t);
  PangoAttrList *al = pango_attr_list_new();
  for (size_t i = 0; c && i < c->nruns; i++) {
    const rb_run_t *r = &c->runs[i];
    int f = r->flags | extra;
    if ((f & RB_DISPLAY) && i) buf_putc(&t, '\n'); /* display math on its own line */
    guint s = (guint)t.len;
    if (!(f & RB_MATH) || put_math(&t, al, r->text) < 0) {
      buf_puts(&t, r->text);
      if (f & RB_MATH) f |= RB_CODE;
    }
    guint e = (guint)t.len;
    if ((f & RB_DISPLAY) && i + 1 < c->nruns) buf_putc(&t, '\n');
    if (f & RB_BOLD) add_attr(al, pango_attr_weight_new(PANGO_WEIGHT_BOLD), s, e);
    if (f & RB_ITALIC) add_attr(al, pango_attr_style_new(PANGO_STYLE_ITALIC), s, e);
    if (f & RB_CODE) add_attr(al, pango_attr_family_new("Monospace"), s, e);
    if (f & RB_STRIKE) add_attr(al, pango_attr_strikethrough_new(TRUE), s, e);
    if (f & RB_LINK) {
      add_attr(al, pango_attr_foreground_new(0x0505, 0x6363, 0xC1C1), s, e);
      add_attr(al, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), s, e);
    }
  }
  pango_layout_set_text(l, t.data, (int)t.len);
  pango_layout_set_attributes(l, al);
  pango_attr_list_unref(al);
  buf_free(&t);
  return l;
}

typedef struct {
  int quote;           /* bars to draw left of each line */
  PangoLayout *marker; /* list marker drawn left of the first line */
  double marker_x;     /* its x */
  double bg_x, bg_w;   /* code background (bg_w > 0) */
  double r, g, b;      /* text colour */
} deco_t;

/* Draws a layout line by line from p->y at x, breaking pages as needed. */
static void flow(pdf_t *p, PangoLayout *l, double x, const deco_t *d) {
  cairo_t *cr = p->cr;
  PangoLayoutIter *it = pango_layout_get_iter(l);
  int first = 1;
  do {
    PangoRectangle lr;
    pango_layout_iter_get_line_extents(it, NULL, &lr);
    double h = (double)lr.height / PANGO_SCALE;
    double base = (double)(pango_layout_iter_get_baseline(it) - lr.y) / PANGO_SCALE;
    double adv = h * LINE_FACTOR;
    if (p->y + h > BOTTOM && p->y > TOP) new_page(p);
    if (d->bg_w > 0) {
      cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
      cairo_rectangle(cr, d->bg_x, p->y, d->bg_w, adv);
      cairo_fill(cr);
    }
    for (int q = 0; q < d->quote; q++) {
      cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
      cairo_set_line_width(cr, 2);
      cairo_move_to(cr, MARGIN + q * QUOTE_INDENT + 3, p->y);
      cairo_line_to(cr, MARGIN + q * QUOTE_INDENT + 3, p->y + adv);
      cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, d->r, d->g, d->b);
    if (first && d->marker) {
      int mb = pango_layout_get_baseline(d->marker);
      cairo_move_to(cr, d->marker_x, p->y + base - (double)mb / PANGO_SCALE);
      pango_cairo_show_layout(cr, d->marker);
    }
    cairo_move_to(cr, x + (double)lr.x / PANGO_SCALE, p->y + base);
    pango_cairo_show_layout_line(cr, pango_layout_iter_get_line_readonly(it));
    p->y += adv;
    first = 0;
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
}

static void space(pdf_t *p, double pts) {
  if (p->y > TOP) p->y += pts;
}

/* A chart (blocks.h, rb_svg_draw) at most 360 pt wide, kept on one page. */
static void chart(pdf_t *p, const char *svg) {
  double w = TEXT_W < 360 ? TEXT_W : 360, h = 0;
  if (rb_svg_draw(NULL, NULL, svg, 0, 0, w, &h) != 0) return;
  if (p->y + h > BOTTOM && p->y > TOP) new_page(p);
  rb_svg_draw(p->cr, p->ctx, svg, MARGIN, p->y, w, &h);
  p->y += h + 6;
}

static void heading(pdf_t *p, const rb_block_t *b) {
  static const struct {
    const char *font;
    double before, after;
  } H[] = {{"Sans Bold 20", 18, 12}, {"Sans Bold 15", 16, 6}, {"Sans Bold 12.5", 12, 4}, {"Sans Bold 11", 10, 3}};
  int k = b->level < 1 ? 0 : b->level > 4 ? 3 : b->level - 1;
  PangoLayout *l = make_layout(p, &b->cells[0], H[k].font, TEXT_W, 0);
  int w, h;
  pango_layout_get_size(l, &w, &h);
  space(p, H[k].before);
  if (p->y + (double)h / PANGO_SCALE * LINE_FACTOR + 3 * BODY_LINE > BOTTOM && p->y > TOP) new_page(p);
  deco_t d = {.r = 0.08, .g = 0.12, .b = 0.2};
  flow(p, l, MARGIN, &d);
  p->y += H[k].after;
  g_object_unref(l);
}

static const char *bullet(int depth) {
  static const char *B[] = {"\xE2\x80\xA2", "\xE2\x97\xA6", "\xE2\x96\xAA"};
  return B[(depth > 0 ? depth - 1 : 0) % 3];
}

static void text_block(pdf_t *p, const rb_block_t *b) {
  double indent = b->quote * QUOTE_INDENT + (b->kind == RB_ITEM ? (b->depth - 1) : b->depth) * LIST_INDENT;
  if (indent < 0) indent = 0;
  deco_t d = {.quote = b->quote};
  if (b->quote) d.r = d.g = d.b = 0.3;
  double x = MARGIN + indent;
  PangoLayout *marker = NULL;
  if (b->kind == RB_ITEM) {
    marker = pango_layout_new(p->ctx);
    PangoFontDescription *fd = pango_font_description_from_string(BODY_FONT);
    pango_layout_set_font_description(marker, fd);
    pango_font_description_free(fd);
    char num[32];
    if (b->ordered) snprintf(num, sizeof num, "%d.", b->number);
    pango_layout_set_text(marker, b->ordered ? num : bullet(b->depth), -1);
    int mw, mh;
    pango_layout_get_size(marker, &mw, &mh);
    d.marker = marker;
    d.marker_x = x;
    double step = (double)mw / PANGO_SCALE + 6;
    x += step > LIST_INDENT ? step : LIST_INDENT;
  }
  int extra = b->quote ? RB_ITALIC : 0;
  PangoLayout *l;
  if (b->kind == RB_CODEBLOCK) {
    l = make_layout(p, &b->cells[0], "Monospace 8.5", TEXT_W - indent - 12, 0);
    pango_layout_set_wrap(l, PANGO_WRAP_CHAR);
    d.bg_x = x;
    d.bg_w = TEXT_W - indent;
    x += 6;
    space(p, 2);
  } else {
    l = make_layout(p, &b->cells[0], BODY_FONT, MARGIN + TEXT_W - x, extra);
    if (b->kind == RB_PARA && b->cells[0].nruns == 1 && (b->cells[0].runs[0].flags & RB_DISPLAY))
      pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
  }
  flow(p, l, x, &d);
  p->y += b->kind == RB_ITEM ? 2 : 6;
  g_object_unref(l);
  if (marker) g_object_unref(marker);
}

static void rule(pdf_t *p) {
  if (p->y + 12 > BOTTOM) new_page(p);
  cairo_set_source_rgb(p->cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(p->cr, 0.6);
  cairo_move_to(p->cr, MARGIN, p->y + 6);
  cairo_line_to(p->cr, PAGE_W - MARGIN, p->y + 6);
  cairo_stroke(p->cr);
  p->y += 12;
}

/* The rows of one table: equal columns, a grid, a shaded header row. */
static void table(pdf_t *p, const rb_block_t *rows, size_t n) {
  cairo_t *cr = p->cr;
  size_t cols = 1;
  for (size_t i = 0; i < n; i++)
    if (rows[i].ncells > cols) cols = rows[i].ncells;
  double x0 = MARGIN + rows[0].quote * QUOTE_INDENT, cw = (MARGIN + TEXT_W - x0) / (double)cols, pad = 4;
  PangoLayout **cl = calloc(cols, sizeof *cl);
  if (!cl) abort();
  space(p, 4);
  for (size_t i = 0; i < n; i++) {
    double rh = 0;
    for (size_t c = 0; c < cols; c++) {
      cl[c] = make_layout(p, c < rows[i].ncells ? &rows[i].cells[c] : NULL, "Sans 9.5", cw - 2 * pad,
                          rows[i].header ? RB_BOLD : 0);
      int w, h;
      pango_layout_get_size(cl[c], &w, &h);
      if ((double)h / PANGO_SCALE > rh) rh = (double)h / PANGO_SCALE;
    }
    rh += 2 * pad;
    if (p->y + rh > BOTTOM && p->y > TOP) new_page(p);
    for (size_t c = 0; c < cols; c++) {
      double cx = x0 + (double)c * cw;
      if (rows[i].header) {
        cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
        cairo_rectangle(cr, cx, p->y, cw, rh);
        cairo_fill(cr);
      }
      cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
      cairo_set_line_width(cr, 0.5);
      cairo_rectangle(cr, cx, p->y, cw, rh);
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      cairo_move_to(cr, cx + pad, p->y + pad);
      pango_cairo_show_layout(cr, cl[c]);
      g_object_unref(cl[c]);
    }
    p->y += rh;
  }
  free(cl);
  p->y += 8;
}

static int has_hangul(const char *s) {
  for (const char *q = s; *q; q = g_utf8_next_char(q)) {
    gunichar u = g_utf8_get_char(q);
    if ((u >= 0xAC00 && u <= 0xD7A3) || (u >= 0x1100 && u <= 0x11FF) || (u >= 0x3130 && u <= 0x318F)) return 1;
  }
  return 0;
}

int report_pdf(const char *title, const char *markdown, char **out, size_t *len, char *err, size_t errlen) {
  *out = NULL;
  *len = 0;
  rb_doc_t doc;
  if (rb_parse(markdown, &doc) != 0) {
    snprintf(err, errlen, "cannot parse the report's Markdown");
    return -1;
  }
  buf_t b = BUF_INIT;
  buf_init(&b);
  char *vtitle = rb_clean(title);
  pdf_t p = {.title = vtitle, .y = TOP, .page = 1};
  p.surface = cairo_pdf_surface_create_for_stream(rb_cairo_write_buf, &b, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_TITLE, vtitle);
  cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_CREATOR, "Maestro");
  p.cr = cairo_create(p.surface);
  p.fm = pango_cairo_font_map_new();
  p.ctx = pango_font_map_create_context(p.fm);
  pango_cairo_context_set_resolution(p.ctx, 72);
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(p.ctx, fo);
  cairo_font_options_destroy(fo);
  pango_context_set_language(p.ctx, pango_language_from_string(has_hangul(markdown ? markdown : "") ? "ko" : "en"));
  pango_cairo_update_context(p.cr, p.ctx);

  for (size_t i = 0; i < doc.n; i++) {
    const rb_block_t *bl = &doc.blocks[i];
    if (i && doc.blocks[i - 1].kind == RB_ITEM && bl->kind != RB_ITEM) space(&p, 4); /* after a list */
    switch (bl->kind) {
      case RB_HEADING:
        heading(&p, bl);
        break;
      case RB_PARA:
        if (bl->svg) chart(&p, bl->svg);
        text_block(&p, bl);
        break;
      case RB_ITEM:
      case RB_CODEBLOCK:
        text_block(&p, bl);
        break;
      case RB_RULE:
        rule(&p);
        break;
      case RB_ROW: {
        size_t j = i;
        while (j < doc.n && doc.blocks[j].kind == RB_ROW && doc.blocks[j].table_id == bl->table_id) j++;
        table(&p, bl, j - i);
        i = j - 1;
        break;
      }
    }
  }
  footer(&p);
  cairo_show_page(p.cr);
  cairo_status_t st = cairo_status(p.cr);
  cairo_destroy(p.cr);
  cairo_surface_finish(p.surface);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(p.surface);
  cairo_surface_destroy(p.surface);
  g_object_unref(p.ctx);
  g_object_unref(p.fm);
  free(vtitle);
  rb_free(&doc);
  if (st != CAIRO_STATUS_SUCCESS || b.len == 0) {
    snprintf(err, errlen, "cannot render the PDF: %s", cairo_status_to_string(st));
    buf_free(&b);
    return -1;
  }
  *out = buf_detach(&b, len);
  return 0;
}
