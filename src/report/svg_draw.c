/*
 * svg_draw.c - the charts of a report drawn with cairo: into the PDF, and
 * as PNG images for the DOCX (rb_svg_png).
 *
 * No SVG library is linked (librsvg is not a dependency): the charts come
 * from plugins (plugins/data writes them) and use a small subset - rect,
 * line, circle, polyline and text, colours as #rrggbb - which is drawn here
 * element by element. libxml2 parses the text without network access or
 * entity expansion; anything outside the subset is skipped, so a chart
 * from another plugin degrades to what it shares with the subset.
 */
#include <cairo.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "report/blocks.h"

cairo_status_t rb_cairo_write_buf(void *closure, const unsigned char *data, unsigned int length) {
  buf_append((buf_t *)closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static double num(xmlNode *n, const char *name, double def) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  double d = v ? strtod((const char *)v, NULL) : def;
  xmlFree(v);
  return d;
}

/* Sets the source to a #rrggbb attribute; 0 when absent or "none". */
static int paint(cairo_t *cr, xmlNode *n, const char *name, const char *def) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  const char *c = v ? (const char *)v : def;
  int ok = 0;
  unsigned rgb;
  if (c && c[0] == '#' && strlen(c) == 7 && sscanf(c + 1, "%6x", &rgb) == 1) {
    cairo_set_source_rgb(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0, (rgb & 255) / 255.0);
    ok = 1;
  }
  xmlFree(v);
  return ok;
}

static void element(cairo_t *cr, PangoContext *ctx, xmlNode *n) {
  const char *name = (const char *)n->name;
  cairo_set_line_width(cr, num(n, "stroke-width", 1));
  if (!strcmp(name, "rect")) {
    cairo_rectangle(cr, num(n, "x", 0), num(n, "y", 0), num(n, "width", 0), num(n, "height", 0));
    if (paint(cr, n, "fill", "#000000")) cairo_fill(cr);
    cairo_new_path(cr);
  } else if (!strcmp(name, "line")) {
    cairo_move_to(cr, num(n, "x1", 0), num(n, "y1", 0));
    cairo_line_to(cr, num(n, "x2", 0), num(n, "y2", 0));
    if (paint(cr, n, "stroke", NULL)) cairo_stroke(cr);
    cairo_new_path(cr);
  } else if (!strcmp(name, "circle")) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, num(n, "cx", 0), num(n, "cy", 0), num(n, "r", 0), 0, 6.283185307);
    if (paint(cr, n, "fill", "#000000")) cairo_fill(cr);
    cairo_new_path(cr);
  } else if (!strcmp(name, "polyline")) {
    xmlChar *pts = xmlGetProp(n, (const xmlChar *)"points");
    const char *s = (const char *)pts;
    int first = 1;
    while (s && *s) {
      char *e;
      double x = strtod(s, &e);
      if (e == s) break;
      s = e + strspn(e, ", ");
      double y = strtod(s, &e);
      if (e == s) break;
      s = e + strspn(e, ", ");
      if (first)
        cairo_move_to(cr, x, y);
      else
        cairo_line_to(cr, x, y);
      first = 0;
    }
    xmlFree(pts);
    if (paint(cr, n, "stroke", NULL)) cairo_stroke(cr);
    cairo_new_path(cr);
  } else if (!strcmp(name, "text") && ctx) {
    /* through the caller's Pango context: no global font state (cairo's toy
     * text API would keep fontconfig's for the process) */
    xmlChar *t = xmlNodeGetContent(n), *anchor = xmlGetProp(n, (const xmlChar *)"text-anchor");
    PangoLayout *l = pango_layout_new(ctx);
    /* the context draws at 72 dpi: points are the SVG's pixels */
    char font[32];
    snprintf(font, sizeof font, "Sans %.1f", num(n, "font-size", 10));
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, t ? (const char *)t : "", -1);
    int w = 0, h = 0;
    pango_layout_get_size(l, &w, &h);
    double x = num(n, "x", 0), adv = (double)w / PANGO_SCALE;
    if (anchor && !strcmp((const char *)anchor, "middle")) x -= adv / 2;
    if (anchor && !strcmp((const char *)anchor, "end")) x -= adv;
    if (!paint(cr, n, "fill", "#000000")) cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x, num(n, "y", 0) - (double)pango_layout_get_baseline(l) / PANGO_SCALE);
    pango_cairo_show_layout(cr, l);
    cairo_new_path(cr);
    g_object_unref(l);
    xmlFree(t);
    xmlFree(anchor);
  }
}

int rb_svg_draw(cairo_t *cr, void *pango_context, const char *svg, double x, double y, double width, double *height) {
  *height = 0;
  xmlDoc *doc = xmlReadMemory(svg, (int)strlen(svg), "chart.svg", NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
  double w = root ? num(root, "width", 0) : 0, h = root ? num(root, "height", 0) : 0;
  if (!root || strcmp((const char *)root->name, "svg") || w <= 0 || h <= 0 || w > 10000 || h > 10000) {
    xmlFreeDoc(doc);
    return -1;
  }
  double k = width / w;
  *height = h * k;
  if (!cr) {
    xmlFreeDoc(doc);
    return 0;
  }
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, k, k);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_clip(cr);
  for (xmlNode *n = root->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE) element(cr, pango_context, n);
  cairo_restore(cr);
  xmlFreeDoc(doc);
  return 0;
}

int rb_svg_png(const char *svg, double width, double scale, char **png, size_t *len, double *height) {
  *png = NULL;
  *len = 0;
  if (rb_svg_draw(NULL, NULL, svg, 0, 0, width, height) != 0) return -1;
  int pw = (int)(width * scale + 0.5), ph = (int)(*height * scale + 0.5);
  if (pw < 1 || ph < 1 || pw > 8000 || ph > 8000) return -1;
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
  cairo_t *cr = cairo_create(s);
  PangoFontMap *fm = pango_cairo_font_map_new();
  PangoContext *ctx = pango_font_map_create_context(fm);
  pango_cairo_context_set_resolution(ctx, 72); /* points are the SVG's pixels, as in the PDF */
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_scale(cr, scale, scale);
  pango_cairo_update_context(cr, ctx);
  double h = 0;
  rb_svg_draw(cr, ctx, svg, 0, 0, width, &h);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_write_to_png_stream(s, rb_cairo_write_buf, &b);
  cairo_surface_destroy(s);
  g_object_unref(ctx);
  g_object_unref(fm);
  if (st != CAIRO_STATUS_SUCCESS || !b.len) {
    buf_free(&b);
    return -1;
  }
  *png = buf_detach(&b, len);
  return 0;
}
