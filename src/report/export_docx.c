/*
 * export_docx.c - a report as a DOCX package (report_docx in report.h).
 *
 * The Markdown goes through blocks.c; the parts that carry report text
 * (document.xml, core.xml, the hyperlink relationships) are written with
 * libxml2's xmlTextWriter, which escapes text and attributes; the fixed
 * parts (content types, styles, footer) are constants and numbering.xml
 * holds numbers only. libzip assembles the package in memory.
 *
 * Mapping: "#" -> Title, "##" -> Heading1, "###" -> Heading2, deeper ->
 * Heading3; list items -> ListParagraph with numbering (numId 1: bullets;
 * every ordered list gets its own numId so it restarts at its first number);
 * block quotes -> Quote; code blocks -> Code; tables -> w:tbl; a chart
 * (an SVG image paragraph, blocks.h) -> a PNG drawn by rb_svg_png
 * (svg_draw.c, the PDF's renderer) in word/media/chartN.png, placed inline
 * and followed by its title as a Caption; one that cannot be drawn keeps
 * its title with a note. TeX math (math.h) becomes Office Math (m:oMath
 * inline, m:oMathPara for display math), written by rm_omml and inserted
 * as raw XML (it escapes its text); a formula outside the subset keeps its
 * source as a Courier New run.
 */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"
#include "report/blocks.h"
#include "report/math.h"
#include "report/report.h"

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_WP "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
#define NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define NS_PIC "http://schemas.openxmlformats.org/drawingml/2006/picture"
#define CHART_PT 360.0  /* a chart's width, as in the PDF */
#define CHART_SCALE 2.0 /* PNG pixels per point */
#define EMU_PER_PT 12700
#define TEXT_WIDTH 9638 /* A4 (11906 twips) less two 2 cm margins (1134 each) */

/* ---- an xmlTextWriter into memory, errors latched ---- */

typedef struct {
  xmlBufferPtr buf;
  xmlTextWriterPtr w;
  int bad;
} xw_t;

static void xw_open(xw_t *x) {
  x->bad = 0;
  x->buf = xmlBufferCreate();
  x->w = x->buf ? xmlNewTextWriterMemory(x->buf, 0) : NULL;
  if (!x->w || xmlTextWriterStartDocument(x->w, NULL, "UTF-8", "yes") < 0) x->bad = 1;
}

static void S(xw_t *x, const char *name) {
  if (!x->bad && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0) x->bad = 1;
}

static void E(xw_t *x) {
  if (!x->bad && xmlTextWriterEndElement(x->w) < 0) x->bad = 1;
}

static void A(xw_t *x, const char *name, const char *value) {
  if (!x->bad && xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0) x->bad = 1;
}

static void AI(xw_t *x, const char *name, long v) {
  char n[32];
  snprintf(n, sizeof n, "%ld", v);
  A(x, name, n);
}

static void T(xw_t *x, const char *text) {
  if (!x->bad && xmlTextWriterWriteString(x->w, BAD_CAST text) < 0) x->bad = 1;
}

/* <name w:val="value"/> */
static void V(xw_t *x, const char *name, const char *value) {
  S(x, name);
  A(x, "w:val", value);
  E(x);
}

/* <name cx="cx" cy="cy"/>: a drawing's size in EMU. */
static void XY(xw_t *x, const char *name, long cx, long cy) {
  S(x, name);
  AI(x, "cx", cx);
  AI(x, "cy", cy);
  E(x);
}

/* Starts <name id="id" name="n">: a drawing object's properties. */
static void S_ID(xw_t *x, const char *name, long id, const char *n) {
  S(x, name);
  AI(x, "id", id);
  A(x, "name", n);
}

/* Ends the document; the XML (malloc'd) or NULL on a writer error. */
static char *xw_close(xw_t *x, size_t *len) {
  if (x->w && !x->bad && xmlTextWriterEndDocument(x->w) < 0) x->bad = 1;
  if (x->w) xmlFreeTextWriter(x->w); /* flushes into buf */
  char *out = NULL;
  if (!x->bad && x->buf) {
    *len = (size_t)xmlBufferLength(x->buf);
    out = malloc(*len + 1);
    if (out) {
      memcpy(out, xmlBufferContent(x->buf), *len);
      out[*len] = 0;
    }
  }
  if (x->buf) xmlBufferFree(x->buf);
  return out;
}

/* ---- document.xml ---- */

typedef struct {
  xw_t x;
  char **links; /* hyperlink targets; relationship id rIdL<index+1> */
  size_t nlinks;
  char **pngs; /* charts as PNG: word/media/chart<index+1>.png, relationship id rIdImg<index+1> */
  size_t *png_lens, npngs;
} docx_t;

static size_t link_rel(docx_t *d, const char *href) {
  for (size_t i = 0; i < d->nlinks; i++)
    if (!strcmp(d->links[i], href)) return i + 1;
  char **l = realloc(d->links, (d->nlinks + 1) * sizeof *l);
  if (!l) abort();
  d->links = l;
  d->links[d->nlinks++] = strdup(href);
  return d->nlinks;
}

/* Text with '\n' as <w:br/> and '\t' as <w:tab/>. */
static void run_text(xw_t *x, const char *s) {
  while (*s) {
    size_t n = strcspn(s, "\n\t");
    if (n) {
      char *seg = strndup(s, n);
      S(x, "w:t");
      A(x, "xml:space", "preserve");
      T(x, seg);
      E(x);
      free(seg);
      s += n;
    }
    if (*s == '\n' || *s == '\t') {
      S(x, *s == '\n' ? "w:br" : "w:tab");
      E(x);
      s++;
    }
  }
}

static void cell_runs(docx_t *d, const rb_cell_t *c, int extra) {
  xw_t *x = &d->x;
  for (size_t i = 0; i < c->nruns; i++) {
    const rb_run_t *r = &c->runs[i];
    int f = r->flags | extra;
    if (f & RB_MATH) {
      buf_t m = BUF_INIT;
      buf_init(&m);
      int ok = rm_omml(&m, r->text) == 0;
      if (ok && !x->bad && xmlTextWriterWriteRaw(x->w, BAD_CAST m.data) < 0) x->bad = 1;
      buf_free(&m);
      if (ok) continue;
      f |= RB_CODE;
    }
    int link = (f & RB_LINK) && r->href && r->href[0];
    if (link) {
      char rid[32];
      snprintf(rid, sizeof rid, "rIdL%zu", link_rel(d, r->href));
      S(x, "w:hyperlink");
      A(x, "r:id", rid);
    }
    S(x, "w:r");
    if (f & (RB_BOLD | RB_ITALIC | RB_CODE | RB_STRIKE | RB_LINK)) {
      S(x, "w:rPr");
      if (link) V(x, "w:rStyle", "Hyperlink");
      if (f & RB_CODE) {
        S(x, "w:rFonts");
        A(x, "w:ascii", "Courier New");
        A(x, "w:hAnsi", "Courier New");
        A(x, "w:cs", "Courier New");
        E(x);
      }
      if (f & RB_BOLD) S(x, "w:b"), E(x);
      if (f & RB_ITALIC) S(x, "w:i"), E(x);
      if (f & RB_STRIKE) S(x, "w:strike"), E(x);
      E(x);
    }
    run_text(x, r->text);
    E(x);
    if (link) E(x);
  }
}

static void para_start(xw_t *x, const char *style, int indent_twips) {
  S(x, "w:p");
  if (style || indent_twips) {
    S(x, "w:pPr");
    if (style) V(x, "w:pStyle", style);
    if (indent_twips) {
      S(x, "w:ind");
      AI(x, "w:left", indent_twips);
      E(x);
    }
    E(x);
  }
}

/* The rows [from, to) of one table. */
static void table(docx_t *d, const rb_block_t *rows, size_t n) {
  xw_t *x = &d->x;
  size_t cols = 1;
  for (size_t i = 0; i < n; i++)
    if (rows[i].ncells > cols) cols = rows[i].ncells;
  long cw = TEXT_WIDTH / (long)cols;
  S(x, "w:tbl");
  S(x, "w:tblPr");
  V(x, "w:tblStyle", "TableGrid");
  S(x, "w:tblW");
  AI(x, "w:w", cw * (long)cols);
  A(x, "w:type", "dxa");
  E(x);
  E(x);
  S(x, "w:tblGrid");
  for (size_t c = 0; c < cols; c++) {
    S(x, "w:gridCol");
    AI(x, "w:w", cw);
    E(x);
  }
  E(x);
  for (size_t i = 0; i < n; i++) {
    S(x, "w:tr");
    if (rows[i].header) {
      S(x, "w:trPr");
      S(x, "w:tblHeader");
      E(x);
      E(x);
    }
    for (size_t c = 0; c < cols; c++) {
      S(x, "w:tc");
      S(x, "w:tcPr");
      S(x, "w:tcW");
      AI(x, "w:w", cw);
      A(x, "w:type", "dxa");
      E(x);
      E(x);
      para_start(x, "TableText", 0);
      if (c < rows[i].ncells) cell_runs(d, &rows[i].cells[c], rows[i].header ? RB_BOLD : 0);
      E(x); /* w:p */
      E(x); /* w:tc */
    }
    E(x);
  }
  E(x);
  para_start(x, NULL, 0); /* keeps adjacent tables apart */
  E(x);
}

/* A chart paragraph: the drawing, then its title as a caption; the title
 * and a note when the SVG cannot be drawn. */
static void chart(docx_t *d, const rb_block_t *b) {
  xw_t *x = &d->x;
  char *png = NULL;
  size_t plen = 0;
  double h = 0;
  if (rb_svg_png(b->svg, CHART_PT, CHART_SCALE, &png, &plen, &h) != 0) {
    para_start(x, "Caption", 0);
    cell_runs(d, &b->cells[0], 0);
    S(x, "w:r");
    T(x, " (chart not shown: it could not be drawn)");
    E(x);
    E(x);
    return;
  }
  char **p = realloc(d->pngs, (d->npngs + 1) * sizeof *p);
  if (!p) abort();
  d->pngs = p;
  size_t *pl = realloc(d->png_lens, (d->npngs + 1) * sizeof *pl);
  if (!pl) abort();
  d->png_lens = pl;
  d->pngs[d->npngs] = png;
  d->png_lens[d->npngs++] = plen;
  long n = (long)d->npngs, cx = (long)(CHART_PT * EMU_PER_PT), cy = (long)(h * EMU_PER_PT);
  char rid[32], name[32];
  snprintf(rid, sizeof rid, "rIdImg%ld", n);
  snprintf(name, sizeof name, "chart%ld.png", n);
  char *alt = rb_cell_text(&b->cells[0]);
  S(x, "w:p");
  S(x, "w:pPr");
  S(x, "w:keepNext");
  E(x);
  V(x, "w:jc", "center");
  E(x);
  S(x, "w:r");
  S(x, "w:drawing");
  S(x, "wp:inline");
  XY(x, "wp:extent", cx, cy);
  S_ID(x, "wp:docPr", n, name);
  A(x, "descr", alt);
  E(x);
  S(x, "a:graphic");
  S(x, "a:graphicData");
  A(x, "uri", NS_PIC);
  S(x, "pic:pic");
  S(x, "pic:nvPicPr");
  S_ID(x, "pic:cNvPr", n, name);
  E(x);
  S(x, "pic:cNvPicPr");
  E(x);
  E(x); /* nvPicPr */
  S(x, "pic:blipFill");
  S(x, "a:blip");
  A(x, "r:embed", rid);
  E(x);
  S(x, "a:stretch");
  S(x, "a:fillRect");
  E(x);
  E(x);
  E(x); /* blipFill */
  S(x, "pic:spPr");
  S(x, "a:xfrm");
  S(x, "a:off");
  A(x, "x", "0");
  A(x, "y", "0");
  E(x);
  XY(x, "a:ext", cx, cy);
  E(x); /* xfrm */
  S(x, "a:prstGeom");
  A(x, "prst", "rect");
  S(x, "a:avLst");
  E(x);
  E(x);
  E(x); /* spPr */
  E(x); /* pic */
  E(x); /* graphicData */
  E(x); /* graphic */
  E(x); /* inline */
  E(x); /* drawing */
  E(x); /* r */
  E(x); /* p */
  free(alt);
  para_start(x, "Caption", 0);
  cell_runs(d, &b->cells[0], 0);
  E(x);
}

static char *document_xml(docx_t *d, const rb_doc_t *doc, size_t *len) {
  xw_t *x = &d->x;
  xw_open(x);
  S(x, "w:document");
  A(x, "xmlns:w", NS_W);
  A(x, "xmlns:r", NS_R);
  A(x, "xmlns:wp", NS_WP);
  A(x, "xmlns:a", NS_A);
  A(x, "xmlns:pic", NS_PIC);
  A(x, "xmlns:m", RM_NS);
  S(x, "w:body");
  for (size_t i = 0; i < doc->n; i++) {
    const rb_block_t *b = &doc->blocks[i];
    int qind = b->quote > 1 ? 720 * b->quote : 0; /* Quote style indents one level */
    switch (b->kind) {
      case RB_HEADING: {
        static const char *H[] = {"Title", "Heading1", "Heading2", "Heading3"};
        para_start(x, H[b->level < 1 ? 0 : b->level > 4 ? 3 : b->level - 1], 0);
        cell_runs(d, &b->cells[0], 0);
        E(x);
        break;
      }
      case RB_PARA:
        if (b->svg) {
          chart(d, b);
          break;
        }
        para_start(x, b->quote ? "Quote" : NULL, b->quote ? qind + 720 * b->depth : 720 * b->depth);
        cell_runs(d, &b->cells[0], 0);
        E(x);
        break;
      case RB_CODEBLOCK:
        para_start(x, "Code", 720 * (b->depth + b->quote));
        cell_runs(d, &b->cells[0], 0);
        E(x);
        break;
      case RB_ITEM: {
        int lvl = b->depth > 9 ? 8 : b->depth - 1;
        S(x, "w:p");
        S(x, "w:pPr");
        V(x, "w:pStyle", "ListParagraph");
        S(x, "w:numPr");
        S(x, "w:ilvl");
        AI(x, "w:val", lvl < 0 ? 0 : lvl);
        E(x);
        S(x, "w:numId");
        AI(x, "w:val", b->ordered ? 1 + b->list_id : 1);
        E(x);
        E(x);
        E(x);
        cell_runs(d, &b->cells[0], b->quote ? RB_ITALIC : 0);
        E(x);
        break;
      }
      case RB_RULE:
        S(x, "w:p");
        S(x, "w:pPr");
        S(x, "w:pBdr");
        S(x, "w:bottom");
        A(x, "w:val", "single");
        A(x, "w:sz", "6");
        A(x, "w:space", "1");
        A(x, "w:color", "999999");
        E(x);
        E(x);
        E(x);
        E(x);
        break;
      case RB_ROW: {
        size_t j = i;
        while (j < doc->n && doc->blocks[j].kind == RB_ROW && doc->blocks[j].table_id == b->table_id) j++;
        table(d, b, j - i);
        i = j - 1;
        break;
      }
    }
  }
  S(x, "w:sectPr");
  S(x, "w:footerReference");
  A(x, "w:type", "default");
  A(x, "r:id", "rIdFooter");
  E(x);
  S(x, "w:pgSz");
  A(x, "w:w", "11906");
  A(x, "w:h", "16838");
  E(x);
  S(x, "w:pgMar");
  A(x, "w:top", "1134");
  A(x, "w:right", "1134");
  A(x, "w:bottom", "1134");
  A(x, "w:left", "1134");
  A(x, "w:header", "567");
  A(x, "w:footer", "567");
  A(x, "w:gutter", "0");
  E(x);
  E(x); /* sectPr */
  E(x); /* body */
  E(x); /* document */
  return xw_close(x, len);
}

static char *document_rels(const docx_t *d, size_t *len) {
  xw_t x;
  xw_open(&x);
  S(&x, "Relationships");
  A(&x, "xmlns", NS_REL);
  static const char *fixed[][3] = {
      {"rIdStyles", NS_R "/styles", "styles.xml"},
      {"rIdNumbering", NS_R "/numbering", "numbering.xml"},
      {"rIdFooter", NS_R "/footer", "footer1.xml"},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    S(&x, "Relationship");
    A(&x, "Id", fixed[i][0]);
    A(&x, "Type", fixed[i][1]);
    A(&x, "Target", fixed[i][2]);
    E(&x);
  }
  for (size_t i = 0; i < d->nlinks; i++) {
    char rid[32];
    snprintf(rid, sizeof rid, "rIdL%zu", i + 1);
    S(&x, "Relationship");
    A(&x, "Id", rid);
    A(&x, "Type", NS_R "/hyperlink");
    A(&x, "Target", d->links[i]);
    A(&x, "TargetMode", "External");
    E(&x);
  }
  for (size_t i = 0; i < d->npngs; i++) {
    char rid[32], target[48];
    snprintf(rid, sizeof rid, "rIdImg%zu", i + 1);
    snprintf(target, sizeof target, "media/chart%zu.png", i + 1);
    S(&x, "Relationship");
    A(&x, "Id", rid);
    A(&x, "Type", NS_R "/image");
    A(&x, "Target", target);
    E(&x);
  }
  E(&x);
  return xw_close(&x, len);
}

static char *core_xml(const char *title, size_t *len) {
  xw_t x;
  xw_open(&x);
  S(&x, "cp:coreProperties");
  A(&x, "xmlns:cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties");
  A(&x, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
  A(&x, "xmlns:dcterms", "http://purl.org/dc/terms/");
  A(&x, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
  S(&x, "dc:title");
  T(&x, title);
  E(&x);
  S(&x, "dc:creator");
  T(&x, "Maestro");
  E(&x);
  E(&x);
  return xw_close(&x, len);
}

/* Bullets (abstractNum 1, numId 1) and one decimal numbering per ordered
 * list (abstractNum 2, numId 1 + list_id, restarting at its first number). */
static char *numbering_xml(const rb_doc_t *doc, size_t *len) {
  static const char *bullets[] = {"\xE2\x80\xA2", "\xE2\x97\xA6", "\xE2\x96\xAA"};
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:numbering xmlns:w=\"" NS_W "\">");
  for (int a = 1; a <= 2; a++) {
    buf_printf(&b, "<w:abstractNum w:abstractNumId=\"%d\"><w:multiLevelType w:val=\"hybridMultilevel\"/>", a);
    for (int l = 0; l < 9; l++) {
      buf_printf(&b, "<w:lvl w:ilvl=\"%d\"><w:start w:val=\"1\"/><w:numFmt w:val=\"%s\"/>", l,
                 a == 1 ? "bullet" : "decimal");
      if (a == 1)
        buf_printf(&b, "<w:lvlText w:val=\"%s\"/>", bullets[l % 3]);
      else
        buf_printf(&b, "<w:lvlText w:val=\"%%%d.\"/>", l + 1);
      buf_printf(&b, "<w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"%d\" w:hanging=\"360\"/></w:pPr></w:lvl>",
                 720 * (l + 1));
    }
    buf_puts(&b, "</w:abstractNum>");
  }
  buf_puts(&b, "<w:num w:numId=\"1\"><w:abstractNumId w:val=\"1\"/></w:num>");
  int *start = calloc((size_t)doc->lists + 1, sizeof *start), *level = calloc((size_t)doc->lists + 1, sizeof *level);
  if (!start || !level) abort();
  for (size_t i = 0; i < doc->n; i++) {
    const rb_block_t *bl = &doc->blocks[i];
    if (bl->kind == RB_ITEM && bl->ordered && bl->list_id > 0 && bl->list_id <= doc->lists) {
      start[bl->list_id] = bl->list_start;
      level[bl->list_id] = bl->depth > 9 ? 8 : bl->depth - 1;
    }
  }
  for (int id = 1; id <= doc->lists; id++)
    buf_printf(&b,
               "<w:num w:numId=\"%d\"><w:abstractNumId w:val=\"2\"/><w:lvlOverride w:ilvl=\"%d\">"
               "<w:startOverride w:val=\"%d\"/></w:lvlOverride></w:num>",
               1 + id, level[id] < 0 ? 0 : level[id], start[id] > 0 ? start[id] : 1);
  free(start);
  free(level);
  buf_puts(&b, "</w:numbering>");
  return buf_detach(&b, len);
}

static const char CONTENT_TYPES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Default Extension=\"png\" ContentType=\"image/png\"/>"
    "<Override PartName=\"/word/document.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "<Override PartName=\"/word/numbering.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>"
    "<Override PartName=\"/word/footer1.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" "
    "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
    "</Types>";

static const char PACKAGE_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"" NS_REL
    "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_R
    "/officeDocument\" Target=\"word/document.xml\"/>"
    "<Relationship Id=\"rId2\" "
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" "
    "Target=\"docProps/core.xml\"/>"
    "</Relationships>";

static const char FOOTER[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:ftr xmlns:w=\"" NS_W
    "\"><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>"
    "<w:fldSimple w:instr=\"PAGE\"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>";

#define HEADING_STYLE(id, name, size, before, outline)                                                    \
  "<w:style w:type=\"paragraph\" w:styleId=\"" id "\"><w:name w:val=\"" name                              \
  "\"/><w:basedOn w:val=\"Normal\"/>"                                                                     \
  "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"" before \
  "\" w:after=\"120\"/><w:outlineLvl w:val=\"" outline "\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"" size     \
  "\"/><w:szCs w:val=\"" size "\"/></w:rPr></w:style>"

static const char STYLES[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:styles xmlns:w=\"" NS_W "\">"
    "<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" "
    "w:eastAsia=\"Malgun Gothic\" w:cs=\"Arial\"/><w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/>"
    "<w:lang w:val=\"en-US\" w:eastAsia=\"ko-KR\"/></w:rPr></w:rPrDefault>"
    "<w:pPrDefault><w:pPr><w:spacing w:after=\"120\" w:line=\"276\" w:lineRule=\"auto\"/></w:pPr>"
    "</w:pPrDefault></w:docDefaults>"
    "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>"
    "</w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:after=\"240\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>" HEADING_STYLE(
        "Heading1", "heading 1", "32", "360", "0") HEADING_STYLE("Heading2", "heading 2", "26", "240", "1")
        HEADING_STYLE("Heading3", "heading 3", "23", "200", "2")
    "<w:style w:type=\"paragraph\" w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing w:after=\"60\"/><w:ind w:left=\"720\"/>"
    "<w:contextualSpacing/></w:pPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Quote\"><w:name w:val=\"Quote\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:qFormat/><w:pPr><w:pBdr><w:left w:val=\"single\" w:sz=\"12\" w:space=\"8\" w:color=\"BBBBBB\"/></w:pBdr>"
    "<w:ind w:left=\"720\"/></w:pPr><w:rPr><w:i/><w:color w:val=\"555555\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Code\"><w:name w:val=\"Code\"/><w:basedOn w:val=\"Normal\"/>"
    "<w:pPr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F2F2F2\"/><w:spacing w:after=\"120\" w:line=\"240\" "
    "w:lineRule=\"auto\"/></w:pPr><w:rPr><w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" "
    "w:cs=\"Courier New\"/><w:sz w:val=\"19\"/><w:szCs w:val=\"19\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table Text\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:before=\"40\" w:after=\"40\"/></w:pPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:jc w:val=\"center\"/>"
    "<w:spacing w:after=\"240\"/></w:pPr><w:rPr><w:i/><w:sz w:val=\"20\"/><w:szCs w:val=\"20\"/></w:rPr></w:style>"
    "<w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/>"
    "<w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>"
    "<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:tblPr><w:tblBorders>"
    "<w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "<w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "<w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "<w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "<w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "<w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"999999\"/>"
    "</w:tblBorders><w:tblCellMar><w:left w:w=\"100\" w:type=\"dxa\"/><w:right w:w=\"100\" w:type=\"dxa\"/>"
    "</w:tblCellMar></w:tblPr></w:style>"
    "</w:styles>";

/* Adds a copy of data as a part; 0 or -1. */
static int add_part(zip_t *z, const char *name, const char *data, size_t len) {
  void *copy = malloc(len ? len : 1);
  if (!copy) return -1;
  memcpy(copy, data, len);
  zip_source_t *s = zip_source_buffer(z, copy, len, 1);
  if (!s) {
    free(copy);
    return -1;
  }
  if (zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
    zip_source_free(s);
    return -1;
  }
  return 0;
}

/* The bytes of a closed in-memory archive. */
static int read_source(zip_source_t *src, char **out, size_t *len) {
  if (zip_source_open(src) < 0) return -1;
  int rc = -1;
  if (zip_source_seek(src, 0, SEEK_END) == 0) {
    zip_int64_t n = zip_source_tell(src);
    if (n > 0 && zip_source_seek(src, 0, SEEK_SET) == 0) {
      char *data = malloc((size_t)n);
      if (data && zip_source_read(src, data, (zip_uint64_t)n) == n) {
        *out = data;
        *len = (size_t)n;
        rc = 0;
      } else
        free(data);
    }
  }
  zip_source_close(src);
  return rc;
}

int report_docx(const char *title, const char *markdown, char **out, size_t *len, char *err, size_t errlen) {
  *out = NULL;
  *len = 0;
  rb_doc_t doc;
  if (rb_parse(markdown, &doc) != 0) {
    snprintf(err, errlen, "cannot parse the report's Markdown");
    return -1;
  }
  docx_t d = {0};
  size_t ldoc = 0, lrels = 0, lcore = 0, lnum = 0;
  char *xdoc = document_xml(&d, &doc, &ldoc);
  char *xrels = document_rels(&d, &lrels);
  char *ctitle = rb_clean(title);
  char *xcore = core_xml(ctitle, &lcore);
  free(ctitle);
  char *xnum = numbering_xml(&doc, &lnum);
  rb_free(&doc);
  for (size_t i = 0; i < d.nlinks; i++) free(d.links[i]);
  free(d.links);

  int rc = -1;
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = NULL;
  zip_t *z = NULL;
  if (!xdoc || !xrels || !xcore) {
    snprintf(err, errlen, "cannot write the document XML");
    goto done;
  }
  src = zip_source_buffer_create(NULL, 0, 0, &ze);
  z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
  if (!z) {
    snprintf(err, errlen, "cannot create the package: %s", zip_error_strerror(&ze));
    goto done;
  }
  zip_source_keep(src);
  if (add_part(z, "[Content_Types].xml", CONTENT_TYPES, sizeof CONTENT_TYPES - 1) ||
      add_part(z, "_rels/.rels", PACKAGE_RELS, sizeof PACKAGE_RELS - 1) ||
      add_part(z, "docProps/core.xml", xcore, lcore) || add_part(z, "word/document.xml", xdoc, ldoc) ||
      add_part(z, "word/_rels/document.xml.rels", xrels, lrels) ||
      add_part(z, "word/styles.xml", STYLES, sizeof STYLES - 1) || add_part(z, "word/numbering.xml", xnum, lnum) ||
      add_part(z, "word/footer1.xml", FOOTER, sizeof FOOTER - 1)) {
    snprintf(err, errlen, "cannot add a part to the package: %s", zip_strerror(z));
    zip_discard(z);
    goto done;
  }
  for (size_t i = 0; i < d.npngs; i++) {
    char name[48];
    snprintf(name, sizeof name, "word/media/chart%zu.png", i + 1);
    if (add_part(z, name, d.pngs[i], d.png_lens[i])) {
      snprintf(err, errlen, "cannot add a chart to the package: %s", zip_strerror(z));
      zip_discard(z);
      goto done;
    }
  }
  if (zip_close(z) != 0) {
    snprintf(err, errlen, "cannot write the package: %s", zip_strerror(z));
    zip_discard(z);
    goto done;
  }
  if (read_source(src, out, len) != 0) {
    snprintf(err, errlen, "cannot read the package back");
    goto done;
  }
  rc = 0;
done:
  if (src) zip_source_free(src);
  zip_error_fini(&ze);
  free(xdoc);
  free(xrels);
  free(xcore);
  free(xnum);
  for (size_t i = 0; i < d.npngs; i++) free(d.pngs[i]);
  free(d.pngs);
  free(d.png_lens);
  return rc;
}
