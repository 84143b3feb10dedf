/*
 * test_report_export.c - PDF and DOCX export of a Markdown report
 * (report_pdf, report_docx): an English and a Korean report with headings,
 * paragraphs, lists, citations, a table and a reference list.
 *
 * DOCX: the package is opened with libzip, every part parsed with libxml2,
 * and the structure checked with XPath (styles, numbering, escaping,
 * hyperlinks); Maestro's own DOCX parser reads it back. PDF: poppler opens
 * it, and the title, headings, citation markers and the Korean sentence come
 * back out as text; the Korean one is drawn with a CJK font; a long report
 * breaks over pages without losing a line and numbers its pages. A chart
 * (an SVG data image) becomes a PNG in the DOCX that cairo reads back.
 */
#include <cairo.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"
#include "rag/parse.h"
#include "fixture_support.h"
#include "report/footnotes.h"
#include "report/report.h"
#include "xml_support.h"

static const char EN_TITLE[] = "Heat pumps in cold climates";
static const char EN_MD[] =
    "# Heat pumps in cold climates\n\n"
    "> **Offline report**: made without a language model, from verbatim quotes of the sources.\n\n"
    "## Introduction\n\n"
    "Air-source heat pumps keep working well below freezing [1]. Their efficiency *drops* as the\n"
    "outdoor air gets colder, measured as `COP` [2]; compare A < B & \"C\".\n\n"
    "## Field results\n\n"
    "- Nordic trials showed savings of 30 percent [1]\n"
    "- Defrost cycles cost energy [2]\n"
    "  - nested detail of the defrost cycle\n\n"
    "| Site | COP |\n|---|---|\n| Oslo | 2.9 |\n| Bergen | 3.2 |\n\n"
    "```\nconfig: heat_pump=true\n```\n\n"
    "### Installation notes\n\n"
    "Ducts matter less than sizing [2][1].\n\n"
    "## References\n\n"
    "1. Cold climate heat pump study, <https://example.org/hp?a=1&b=2> (accessed 2025-01-01)\n"
    "2. Defrost handbook, page 4 (accessed 2025-01-01)\n";

static const char KO_TITLE[] = "한국의 재생 에너지 전환";
static const char KO_SENTENCE[] = "태양광 발전은 지난 10년 동안 빠르게 늘었다";
static const char KO_MD[] =
    "# 한국의 재생 에너지 전환\n\n"
    "## 서론\n\n"
    "태양광 발전은 지난 10년 동안 빠르게 늘었다 [1]. 풍력 발전도 꾸준히 증가했다 [2].\n\n"
    "## 주요 결과\n\n"
    "- 해상 풍력 단지가 확대되었다 [2]\n"
    "- 전력망 보강이 필요하다 [1]\n\n"
    "## 참고 문헌\n\n"
    "1. 에너지 통계 연보, 쪽 12 (접근 2025-01-01)\n"
    "2. 풍력 보고서, <https://example.kr/wind> (접근 2025-01-01)\n";

/* cairo 1.16 (Debian 12) leaks about 1.5 KB per PDF that embeds a CFF font
 * subset (the Noto CJK fonts), inside cairo_surface_finish(), and
 * fontconfig keeps part of its configuration past exit: neither is memory
 * Maestro allocates, so LeakSanitizer is told about them. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libcairo.so\nleak:libfontconfig.so\n";
}

/* Text without any whitespace (PDF text comes back with line breaks). */
static char *squeeze(const char *s) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (; *s; s++)
    if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r') buf_putc(&b, *s);
  return buf_detach(&b, NULL);
}

/* ---- DOCX ---- */

static char *zip_part(const char *zipdata, size_t ziplen, const char *name, size_t *len) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(zipdata, ziplen, 0, &ze);
  cr_assert(src);
  zip_t *z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
  cr_assert(z, "not a zip archive: %s", zip_error_strerror(&ze));
  zip_stat_t zs;
  char *data = NULL;
  if (zip_stat(z, name, 0, &zs) == 0) {
    zip_file_t *f = zip_fopen(z, name, 0);
    cr_assert(f);
    data = malloc(zs.size + 1);
    cr_assert_eq(zip_fread(f, data, zs.size), (zip_int64_t)zs.size);
    data[zs.size] = 0;
    *len = zs.size;
    zip_fclose(f);
  }
  zip_close(z);
  zip_error_fini(&ze);
  return data;
}

static xmlDocPtr part_xml(const char *zipdata, size_t ziplen, const char *name) {
  size_t len = 0;
  char *data = zip_part(zipdata, ziplen, name, &len);
  cr_assert(data, "part %s missing", name);
  xmlDocPtr d = xmlReadMemory(data, (int)len, name, "UTF-8", XML_PARSE_NONET);
  cr_assert(d, "part %s is not well-formed XML:\n%s", name, data);
  free(data);
  return d;
}

static xmlXPathContextPtr xpath_ctx(xmlDocPtr d) {
  xmlXPathContextPtr x = xmlXPathNewContext(d);
  xmlXPathRegisterNs(x, BAD_CAST "w", BAD_CAST "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
  xmlXPathRegisterNs(x, BAD_CAST "r", BAD_CAST "http://schemas.openxmlformats.org/officeDocument/2006/relationships");
  xmlXPathRegisterNs(x, BAD_CAST "rel", BAD_CAST "http://schemas.openxmlformats.org/package/2006/relationships");
  xmlXPathRegisterNs(x, BAD_CAST "ct", BAD_CAST "http://schemas.openxmlformats.org/package/2006/content-types");
  xmlXPathRegisterNs(x, BAD_CAST "dc", BAD_CAST "http://purl.org/dc/elements/1.1/");
  xmlXPathRegisterNs(x, BAD_CAST "wp",
                     BAD_CAST "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing");
  xmlXPathRegisterNs(x, BAD_CAST "a", BAD_CAST "http://schemas.openxmlformats.org/drawingml/2006/main");
  xmlXPathRegisterNs(x, BAD_CAST "pic", BAD_CAST "http://schemas.openxmlformats.org/drawingml/2006/picture");
  return x;
}

static void expect_str(xmlXPathContextPtr x, const char *expr, const char *want) {
  char *s = xs_str(x, expr);
  cr_expect_str_eq(s, want, "%s", expr);
  free(s);
}

static void check_docx_common(const char *z, size_t zl, const char *title) {
  cr_assert(zl > 4 && !memcmp(z, "PK\x03\x04", 4), "not a zip");
  const char *parts[] = {
      "[Content_Types].xml", "_rels/.rels",        "word/document.xml", "word/_rels/document.xml.rels",
      "word/styles.xml",     "word/numbering.xml", "word/footer1.xml",  "docProps/core.xml"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) xmlFreeDoc(part_xml(z, zl, parts[i]));

  xmlDocPtr ct = part_xml(z, zl, "[Content_Types].xml");
  xmlXPathContextPtr x = xpath_ctx(ct);
  cr_expect_eq(xs_num(x,
                      "count(//ct:Override[@PartName='/word/document.xml' and @ContentType='application/"
                      "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'])"),
               1);
  xmlXPathFreeContext(x);
  xmlFreeDoc(ct);

  xmlDocPtr rels = part_xml(z, zl, "_rels/.rels");
  x = xpath_ctx(rels);
  expect_str(x, "string(//rel:Relationship[contains(@Type,'officeDocument')]/@Target)", "word/document.xml");
  xmlXPathFreeContext(x);
  xmlFreeDoc(rels);

  xmlDocPtr st = part_xml(z, zl, "word/styles.xml");
  x = xpath_ctx(st);
  const char *styles[] = {"Title", "Heading1", "Heading2", "Heading3", "ListParagraph", "Quote", "Code"};
  for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++) {
    char q[200];
    snprintf(q, sizeof q, "count(//w:style[@w:styleId='%s'])", styles[i]);
    cr_expect_eq(xs_num(x, q), 1, "style %s", styles[i]);
  }
  xmlXPathFreeContext(x);
  xmlFreeDoc(st);

  xmlDocPtr core = part_xml(z, zl, "docProps/core.xml");
  x = xpath_ctx(core);
  expect_str(x, "string(//dc:title)", title);
  xmlXPathFreeContext(x);
  xmlFreeDoc(core);
}

/* Every numId used by a list paragraph is defined in numbering.xml, and the
 * ones of ordered lists are decimal. Returns the count of list paragraphs. */
static int check_numbering(const char *z, size_t zl, xmlXPathContextPtr dx) {
  xmlDocPtr nd = part_xml(z, zl, "word/numbering.xml");
  xmlXPathContextPtr nx = xpath_ctx(nd);
  xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "//w:p/w:pPr/w:numPr/w:numId/@w:val", dx);
  int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
  for (int i = 0; i < n; i++) {
    xmlChar *id = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
    char q[300];
    snprintf(q, sizeof q, "count(//w:num[@w:numId='%s'])", (const char *)id);
    cr_expect_eq(xs_num(nx, q), 1, "numId %s is not defined", (const char *)id);
    if (strcmp((const char *)id, "1")) {
      snprintf(q, sizeof q,
               "string(//w:abstractNum[@w:abstractNumId=//w:num[@w:numId='%s']/w:abstractNumId/@w:val]"
               "/w:lvl[@w:ilvl='0']/w:numFmt/@w:val)",
               (const char *)id);
      expect_str(nx, q, "decimal");
    }
    xmlFree(id);
  }
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(nx);
  xmlFreeDoc(nd);
  return n;
}

Test(report_export, docx_english) {
  char *z = NULL, err[256] = "";
  size_t zl = 0;
  cr_assert_eq(report_docx(EN_TITLE, EN_MD, &z, &zl, err, sizeof err), 0, "%s", err);
  check_docx_common(z, zl, EN_TITLE);

  xmlDocPtr d = part_xml(z, zl, "word/document.xml");
  xmlXPathContextPtr x = xpath_ctx(d);
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Title'])", EN_TITLE);
  cr_expect_eq(xs_num(x, "count(//w:p[w:pPr/w:pStyle/@w:val='Heading1'])"), 3); /* Introduction, Field, References */
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Heading1'][1])", "Introduction");
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Heading2'])", "Installation notes");
  /* the quote keeps its bold run */
  cr_expect_eq(xs_num(x, "count(//w:p[w:pPr/w:pStyle/@w:val='Quote']//w:r[w:rPr/w:b][.='Offline report'])"), 1);
  /* escaping: the text comes back exactly */
  char *body = xs_str(x, "string(//w:body)");
  cr_expect(strstr(body, "compare A < B & \"C\"."), "%s", body);
  cr_expect(strstr(body, "freezing [1]."), "citation lost: %s", body);
  cr_expect(strstr(body, "sizing [2][1]."), "%s", body);
  free(body);
  cr_expect_eq(xs_num(x, "count(//w:r[w:rPr/w:i][.='drops'])"), 1);
  cr_expect_eq(xs_num(x, "count(//w:r[w:rPr/w:rFonts/@w:ascii='Courier New'][.='COP'])"), 1);
  /* lists: 3 bullets (one nested at level 1) and 2 numbered references */
  cr_expect_eq(xs_num(x, "count(//w:p[w:pPr/w:pStyle/@w:val='ListParagraph'][w:pPr/w:numPr/w:numId/@w:val='1'])"), 3);
  cr_expect_eq(xs_num(x, "count(//w:p[w:pPr/w:numPr/w:ilvl/@w:val='1'])"), 1);
  cr_expect_eq(xs_num(x, "count(//w:p[w:pPr/w:pStyle/@w:val='ListParagraph'][w:pPr/w:numPr/w:numId/@w:val!='1'])"), 2);
  expect_str(x, "string(//w:p[w:pPr/w:numPr/w:numId/@w:val!='1'][2])",
             "Defrost handbook, page 4 (accessed 2025-01-01)");
  cr_expect_eq(check_numbering(z, zl, x), 5);
  /* table: header + 2 rows of 2 cells, header bold */
  cr_expect_eq(xs_num(x, "count(//w:tbl)"), 1);
  cr_expect_eq(xs_num(x, "count(//w:tbl/w:tr)"), 3);
  cr_expect_eq(xs_num(x, "count(//w:tbl/w:tr[1]/w:tc[w:p/w:r/w:rPr/w:b])"), 2);
  expect_str(x, "string(//w:tbl/w:tr[3]/w:tc[1])", "Bergen");
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Code'])", "config: heat_pump=true");
  /* the reference URL is a hyperlink with an external relationship */
  char *rid = xs_str(x, "string(//w:hyperlink/@r:id)");
  cr_assert(rid[0], "no hyperlink");
  expect_str(x, "string(//w:hyperlink)", "https://example.org/hp?a=1&b=2");
  xmlXPathFreeContext(x);
  xmlFreeDoc(d);

  xmlDocPtr rels = part_xml(z, zl, "word/_rels/document.xml.rels");
  x = xpath_ctx(rels);
  char q[200];
  snprintf(q, sizeof q, "string(//rel:Relationship[@Id='%s']/@Target)", rid);
  expect_str(x, q, "https://example.org/hp?a=1&b=2");
  snprintf(q, sizeof q, "string(//rel:Relationship[@Id='%s']/@TargetMode)", rid);
  expect_str(x, q, "External");
  xmlXPathFreeContext(x);
  xmlFreeDoc(rels);
  free(rid);

  /* Maestro's own DOCX reader gets the text and the heading structure back */
  rag_parse_init();
  rag_doc_t doc;
  rag_doc_init(&doc);
  cr_assert_eq(rag_parse_docx(z, zl, &doc, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(doc.text.data, "Air-source heat pumps keep working well below freezing [1]."), "%s", doc.text.data);
  int introduction = 0;
  for (size_t i = 0; i < doc.nblocks; i++)
    if (doc.blocks[i].level > 0 && !strncmp(doc.text.data + doc.blocks[i].off, "Introduction", 12)) introduction = 1;
  cr_expect(introduction, "the Introduction heading was not read as a heading");
  rag_doc_free(&doc);
  free(z);
}

Test(report_export, docx_korean) {
  char *z = NULL, err[256] = "";
  size_t zl = 0;
  cr_assert_eq(report_docx(KO_TITLE, KO_MD, &z, &zl, err, sizeof err), 0, "%s", err);
  check_docx_common(z, zl, KO_TITLE);
  xmlDocPtr d = part_xml(z, zl, "word/document.xml");
  xmlXPathContextPtr x = xpath_ctx(d);
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Title'])", KO_TITLE);
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Heading1'][1])", "서론");
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Heading1'][3])", "참고 문헌");
  char *body = xs_str(x, "string(//w:body)");
  cr_expect(strstr(body, KO_SENTENCE) && strstr(body, "늘었다 [1]."), "%s", body);
  free(body);
  cr_expect_eq(check_numbering(z, zl, x), 4);
  xmlXPathFreeContext(x);
  xmlFreeDoc(d);
  free(z);
}

/* ---- PDF ---- */

static PopplerDocument *open_pdf(const char *data, size_t len, GBytes **keep) {
  cr_assert(len > 5 && !memcmp(data, "%PDF-", 5), "not a PDF");
  GError *e = NULL;
  *keep = g_bytes_new(data, len);
  PopplerDocument *doc = poppler_document_new_from_bytes(*keep, NULL, &e);
  cr_assert(doc, "poppler cannot open the PDF: %s", e ? e->message : "?");
  return doc;
}

/* All pages' text, whitespace removed. */
static char *pdf_text(PopplerDocument *doc) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (int i = 0; i < poppler_document_get_n_pages(doc); i++) {
    PopplerPage *p = poppler_document_get_page(doc, i);
    char *t = poppler_page_get_text(p);
    char *s = squeeze(t ? t : "");
    buf_puts(&b, s);
    free(s);
    g_free(t);
    g_object_unref(p);
  }
  return buf_detach(&b, NULL);
}

/* The text at the bottom of a page (the footer: title and number). */
static char *footer_text(PopplerDocument *doc, int i) {
  PopplerPage *p = poppler_document_get_page(doc, i);
  double w, h;
  poppler_page_get_size(p, &w, &h);
  PopplerRectangle r = {0, h - 40, w, h};
  char *t = poppler_page_get_selected_text(p, POPPLER_SELECTION_GLYPH, &r);
  char *s = strdup(t ? t : "");
  g_free(t);
  g_object_unref(p);
  return s;
}

static int has_font(PopplerDocument *doc, const char *part) {
  PopplerFontInfo *fi = poppler_font_info_new(doc);
  PopplerFontsIter *it = NULL;
  int found = 0;
  if (poppler_font_info_scan(fi, poppler_document_get_n_pages(doc), &it) && it) {
    do {
      const char *name = poppler_fonts_iter_get_name(it);
      if (name && strstr(name, part)) found = 1;
    } while (poppler_fonts_iter_next(it));
    poppler_fonts_iter_free(it);
  }
  g_object_unref(fi);
  return found;
}

Test(report_export, pdf_english) {
  char *data = NULL, err[256] = "";
  size_t len = 0;
  cr_assert_eq(report_pdf(EN_TITLE, EN_MD, &data, &len, err, sizeof err), 0, "%s", err);
  GBytes *keep;
  PopplerDocument *doc = open_pdf(data, len, &keep);
  char *title = poppler_document_get_title(doc);
  cr_expect_str_eq(title ? title : "", EN_TITLE);
  g_free(title);
  double w, h;
  PopplerPage *p0 = poppler_document_get_page(doc, 0);
  poppler_page_get_size(p0, &w, &h);
  g_object_unref(p0);
  cr_expect(w > 594 && w < 596 && h > 841 && h < 843, "not A4: %g x %g", w, h);
  char *text = pdf_text(doc);
  const char *want[] = {"Heatpumpsincoldclimates",
                        "Introduction",
                        "Fieldresults",
                        "Installationnotes",
                        "References",
                        "freezing[1].",
                        "sizing[2][1].",
                        "compareA<B&\"C\".",
                        "Oslo",
                        "2.9",
                        "config:heat_pump=true",
                        "https://example.org/hp?a=1&b=2",
                        "Defrosthandbook,page4"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_expect(strstr(text, want[i]), "%s missing", want[i]);
  free(text);
  char *f = footer_text(doc, 0);
  cr_expect(strstr(f, "1") && strstr(f, "Heat pumps"), "footer: %s", f);
  free(f);
  g_object_unref(doc);
  g_bytes_unref(keep);
  free(data);
}

Test(report_export, pdf_korean) {
  char *data = NULL, err[256] = "";
  size_t len = 0;
  cr_assert_eq(report_pdf(KO_TITLE, KO_MD, &data, &len, err, sizeof err), 0, "%s", err);
  GBytes *keep;
  PopplerDocument *doc = open_pdf(data, len, &keep);
  char *text = pdf_text(doc);
  char *sentence = squeeze(KO_SENTENCE), *title = squeeze(KO_TITLE);
  cr_expect(strstr(text, title), "title missing: %s", text);
  cr_expect(strstr(text, sentence), "Korean sentence missing: %s", text);
  cr_expect(strstr(text, "서론") && strstr(text, "참고문헌"), "headings missing: %s", text);
  cr_expect(strstr(text, "늘었다[1].") && strstr(text, "증가했다[2]."), "citations missing: %s", text);
  cr_expect(has_font(doc, "CJK"), "Hangul not drawn with a CJK font (is fonts-noto-cjk installed?)");
  free(sentence);
  free(title);
  free(text);
  g_object_unref(doc);
  g_bytes_unref(keep);
  free(data);
}

Test(report_export, pdf_long_report_breaks_pages_without_losing_lines) {
  buf_t md = BUF_INIT;
  buf_init(&md);
  buf_puts(&md, "# A long report\n\n");
  for (int i = 1; i <= 90; i++) {
    if (i % 15 == 1) buf_printf(&md, "## Section %d\n\n", i / 15 + 1);
    buf_printf(&md,
               "Marker%03d opens a paragraph that is long enough to wrap over more than one line of the page, "
               "so that lines and not only whole paragraphs meet the bottom margin [%d].\n\n",
               i, i % 7 + 1);
  }
  char *data = NULL, err[256] = "";
  size_t len = 0;
  cr_assert_eq(report_pdf("A long report", md.data, &data, &len, err, sizeof err), 0, "%s", err);
  buf_free(&md);
  GBytes *keep;
  PopplerDocument *doc = open_pdf(data, len, &keep);
  int pages = poppler_document_get_n_pages(doc);
  cr_expect_geq(pages, 4, "%d pages", pages);
  char *text = pdf_text(doc);
  for (int i = 1; i <= 90; i++) {
    char m[32];
    snprintf(m, sizeof m, "Marker%03d", i);
    char *at = strstr(text, m);
    cr_expect(at && !strstr(at + 1, m), "%s missing or repeated", m);
  }
  cr_expect(strstr(text, "meetthebottommargin[6].") != NULL);
  free(text);
  for (int i = 0; i < pages; i++) {
    char *f = footer_text(doc, i), num[16];
    snprintf(num, sizeof num, "%d", i + 1);
    cr_expect(strstr(f, num) && strstr(f, "A long report"), "page %d footer: %s", i + 1, f);
    free(f);
  }
  g_object_unref(doc);
  g_bytes_unref(keep);
  free(data);
}

Test(report_export, hostile_text_stays_valid) {
  /* invalid UTF-8, control characters, markup-like text, an empty report */
  const char *md = "# T\xff<w:p>&amp;\x01\x02 ok\n\nText with ]]> and <script>x</script> and \"quotes\" & 'apos'.\n";
  char *d = NULL, err[256] = "";
  size_t l = 0;
  cr_assert_eq(report_docx("T\x01<>&\"", md, &d, &l, err, sizeof err), 0, "%s", err);
  check_docx_common(d, l, "T<>&\"");
  xmlDocPtr doc = part_xml(d, l, "word/document.xml");
  xmlXPathContextPtr x = xpath_ctx(doc);
  char *body = xs_str(x, "string(//w:body)");
  cr_expect(strstr(body, "<w:p>& ok") && strstr(body, "]]> and <script>x</script>"), "%s", body);
  free(body);
  xmlXPathFreeContext(x);
  xmlFreeDoc(doc);
  free(d);
  cr_assert_eq(report_pdf("T\xff", md, &d, &l, err, sizeof err), 0, "%s", err);
  GBytes *keep;
  PopplerDocument *pd = open_pdf(d, l, &keep);
  char *text = pdf_text(pd);
  cr_expect(strstr(text, "<script>x</script>"), "%s", text);
  free(text);
  g_object_unref(pd);
  g_bytes_unref(keep);
  free(d);
  for (int k = 0; k < 2; k++) {
    cr_assert_eq(k ? report_pdf(NULL, "", &d, &l, err, sizeof err) : report_docx(NULL, "", &d, &l, err, sizeof err), 0,
                 "%s", err);
    cr_expect_gt(l, 100);
    free(d);
  }
}

/* ---- issue 11, finding 7: links from model text ---- */

Test(report_links, url_policy) {
  const char *ok[] = {"https://example.org/a?b=1&c=2",
                      "http://x.org",
                      "HTTPS://X.ORG",
                      "mailto:a@example.org",
                      "#section",
                      "other/page.html",
                      "/abs/path",
                      "?q=1",
                      "//example.org/x",
                      " https://x.org ",
                      "java%73cript:alert(1)" /* '%' cannot be in a scheme: a relative path */,
                      "page:1.html" + 5,
                      ""};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    cr_expect(report_url_allowed(ok[i], strlen(ok[i])), "'%s' should be allowed", ok[i]);
  const char *bad[] = {"javascript:alert(1)",
                       "JaVaScRiPt:alert(1)",
                       " javascript:alert(1)",
                       "\x01\x02javascript:alert(1)",
                       "java\tscript:alert(1)",
                       "java\nscript:alert(1)",
                       "java\rscript:alert(1)",
                       "jav&#x61;script:alert(1)",
                       "jav&#97;script:alert(1)",
                       "jav&#x0061script:alert(1)",
                       "&#106;avascript:alert(1)",
                       "javascript&colon;alert(1)",
                       "java&Tab;script:alert(1)",
                       "java&#9;script:alert(1)",
                       "&#x20;javascript:alert(1)",
                       "vbscript:msgbox(1)",
                       "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                       "DATA:image/svg+xml,<svg onload=alert(1)>",
                       "file:///etc/passwd",
                       "ftp://example.org/",
                       "https://example.org/\x01x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect_not(report_url_allowed(bad[i], strlen(bad[i])), "'%s' should be refused", bad[i]);
}

/* Every href/src value in html is http(s), mailto, a fragment, relative or empty. */
static void expect_safe_targets(const char *html) {
  const char *attrs[] = {"href=\"", "src=\""};
  for (int k = 0; k < 2; k++) {
    for (const char *p = strstr(html, attrs[k]); p; p = strstr(p + 1, attrs[k])) {
      const char *v = p + strlen(attrs[k]);
      size_t n = strcspn(v, "\"");
      /* a scheme is a letter and letters/digits/+-. up to ':' (WHATWG URL) */
      size_t sl = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
      int has_scheme = sl < n && v[sl] == ':' && sl > 0 && strchr("abcdefghijklmnopqrstuvwxyz", v[0] | 0x20);
      int safe = !has_scheme || !strncmp(v, "https:", 6) || !strncmp(v, "http:", 5) || !strncmp(v, "mailto:", 7);
      cr_expect(safe, "unsafe target %.*s in %s", (int)n, v, html);
    }
  }
}

static const char HOSTILE_LINKS_MD[] =
    "# Links\n\n"
    "[a](javascript:alert(1)) [b](jav&#x61;script:alert(2)) [c](JaVaScRiPt:alert(3)) "
    "![d](javascript:alert(4)) [e](data:text/html;base64,PHNjcmlwdD4=) [f](vbscript:msgbox(6)) "
    "<javascript:alert(7)> [g](java&#9;script:alert(8)) [h](javascript&colon;alert(9)) "
    "[i](<&#x20;javascript:alert(10)>) [j](&#106;avascript:alert(11)) ![k](data:image/svg+xml,x)\n\n"
    "[ok](https://example.org/a?b=1&c=2) [mail](mailto:x@example.org) [frag](#top) [rel](other/page.html) "
    "![img](https://example.org/i.png)\n";

Test(report_links, html_keeps_only_safe_targets) {
  char *html = report_html("Links", HOSTILE_LINKS_MD);
  cr_assert_not_null(html);
  expect_safe_targets(html);
  cr_expect(strstr(html, "href=\"https://example.org/a?b=1&amp;c=2\""), "%s", html);
  cr_expect(strstr(html, "href=\"mailto:x@example.org\""), "%s", html);
  cr_expect(strstr(html, "href=\"#top\""), "%s", html);
  cr_expect(strstr(html, "href=\"other/page.html\""), "%s", html);
  cr_expect(strstr(html, "src=\"https://example.org/i.png\""), "%s", html);
  cr_expect(strstr(html, ">a</a>"), "the link text stays: %s", html);
  free(html);
}

Test(report_links, docx_hyperlinks_only_for_safe_targets) {
  char *z = NULL, err[256] = "";
  size_t zl = 0;
  cr_assert_eq(report_docx("Links", HOSTILE_LINKS_MD, &z, &zl, err, sizeof err), 0, "%s", err);
  xmlDocPtr rels = part_xml(z, zl, "word/_rels/document.xml.rels");
  xmlXPathContextPtr x = xpath_ctx(rels);
  cr_expect_eq(xs_num(x, "count(//rel:Relationship[@TargetMode='External'])"), 4, "https, mailto, #top, relative: %g",
               xs_num(x, "count(//rel:Relationship[@TargetMode='External'])"));
  char *targets = xs_str(x, "string(//rel:Relationship[@TargetMode='External'][1]/@Target)");
  cr_expect_str_eq(targets, "https://example.org/a?b=1&c=2");
  free(targets);
  cr_expect_eq(xs_num(x,
                      "count(//rel:Relationship[contains(translate(@Target,'SCRIPTAV','scriptav'),'script') or "
                      "starts-with(translate(@Target,'DATA','data'),'data:')])"),
               0);
  xmlXPathFreeContext(x);
  xmlFreeDoc(rels);
  xmlDocPtr d = part_xml(z, zl, "word/document.xml");
  x = xpath_ctx(d);
  char *body = xs_str(x, "string(//w:body)");
  cr_expect(strstr(body, "a b c"), "link texts stay: %s", body);
  free(body);
  xmlXPathFreeContext(x);
  xmlFreeDoc(d);
  free(z);
}

/* Two charts as report.c writes them: a drawable one, 400x200 with a white
 * background, two bars and a "Revenue" label, and one without a size. */
static const char CHART_MD[] =
    "## Charts\n\n"
    "![Revenue by year](data:image/svg+xml;base64,"
    "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSI0MDAiIGhlaWdodD0iMjAwIj48cmVjdCB4PSIwIiB5PSIwIiB3"
    "aWR0aD0iNDAwIiBoZWlnaHQ9IjIwMCIgZmlsbD0iI2ZmZmZmZiIvPjxyZWN0IHg9IjQwIiB5PSI1MCIgd2lkdGg9IjYwIiBoZWlnaHQ9IjEzMCIg"
    "ZmlsbD0iIzMzNjZjYyIvPjxyZWN0IHg9IjE0MCIgeT0iOTAiIHdpZHRoPSI2MCIgaGVpZ2h0PSI5MCIgZmlsbD0iI2RjMzkxMiIvPjx0ZXh0IHg9"
    "IjIwMCIgeT0iMjAiIGZvbnQtc2l6ZT0iMTQiIHRleHQtYW5jaG9yPSJtaWRkbGUiPlJldmVudWU8L3RleHQ+PC9zdmc+)\n\n"
    "![Broken chart](data:image/svg+xml;base64,"
    "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxyZWN0IHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPjwvc3ZnPg==)\n\n"
    "After the charts.\n";

typedef struct {
  const unsigned char *p;
  size_t left;
} png_in_t;

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int length) {
  png_in_t *in = closure;
  if (length > in->left) return CAIRO_STATUS_READ_ERROR;
  memcpy(data, in->p, length);
  in->p += length;
  in->left -= length;
  return CAIRO_STATUS_SUCCESS;
}

Test(report_export, docx_chart_is_a_png_drawing) {
  char *z = NULL, err[256] = "";
  size_t zl = 0;
  cr_assert_eq(report_docx("Charts", CHART_MD, &z, &zl, err, sizeof err), 0, "%s", err);
  check_docx_common(z, zl, "Charts");

  /* the drawing: a PNG that cairo decodes, 2x the 360 pt width, not blank */
  size_t plen = 0;
  char *png = zip_part(z, zl, "word/media/chart1.png", &plen);
  cr_assert(png, "word/media/chart1.png missing");
  cr_assert(plen > 8 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8), "not a PNG signature");
  png_in_t in = {(const unsigned char *)png, plen};
  cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &in);
  cr_assert_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS, "cairo cannot read the PNG: %s",
               cairo_status_to_string(cairo_surface_status(s)));
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  cr_expect_eq(w, 720, "width %d", w);
  cr_expect_eq(h, 360, "height %d (the chart's 2:1 aspect)", h);
  cairo_surface_flush(s);
  const unsigned char *px = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  uint32_t bg = *(const uint32_t *)px & 0xffffff;
  /* the blue bar (x 40..100, y 50..180 at 400x200) is at (140, 240) */
  uint32_t bar = *(const uint32_t *)(px + 240 * stride + 140 * 4) & 0xffffff;
  cr_expect_eq(bg, 0xffffff, "white background: %06x", bg);
  cr_expect_eq(bar, 0x3366cc, "the blue bar: %06x", bar);
  long differ = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if ((*(const uint32_t *)(px + y * stride + x * 4) & 0xffffff) != bg) differ++;
  cr_expect(differ > 1000, "not a blank image: %ld pixels differ", differ);
  cairo_surface_destroy(s);
  free(png);
  cr_expect_null(zip_part(z, zl, "word/media/chart2.png", &plen), "the broken chart has no image");

  /* the document places it inline, sized in EMU, with its title as the caption */
  xmlDocPtr d = part_xml(z, zl, "word/document.xml");
  xmlXPathContextPtr x = xpath_ctx(d);
  cr_expect_eq(xs_num(x, "count(//w:drawing/wp:inline/a:graphic/a:graphicData/pic:pic/pic:blipFill/a:blip)"), 1);
  cr_expect_eq(xs_num(x, "number(//wp:inline/wp:extent/@cx)"), 360 * 12700);
  cr_expect_eq(xs_num(x, "number(//wp:inline/wp:extent/@cy)"), 180 * 12700);
  char *rid = xs_str(x, "string(//a:blip/@r:embed)");
  cr_expect(rid[0], "an r:embed id");
  expect_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Caption'][1])", "Revenue by year");
  char *broken = xs_str(x, "string(//w:p[w:pPr/w:pStyle/@w:val='Caption'][2])");
  cr_expect(strstr(broken, "Broken chart") && strstr(broken, "could not be drawn"), "fallback: %s", broken);
  free(broken);
  char *body = xs_str(x, "string(//w:body)");
  cr_expect(strstr(body, "After the charts."), "%s", body);
  free(body);
  xmlXPathFreeContext(x);
  xmlFreeDoc(d);

  /* the relationship of that id points at the PNG; the content types list png */
  xmlDocPtr rels = part_xml(z, zl, "word/_rels/document.xml.rels");
  x = xpath_ctx(rels);
  char q[200];
  snprintf(q, sizeof q, "string(//rel:Relationship[@Id='%s' and contains(@Type,'/image')]/@Target)", rid);
  expect_str(x, q, "media/chart1.png");
  xmlXPathFreeContext(x);
  xmlFreeDoc(rels);
  free(rid);
  xmlDocPtr ct = part_xml(z, zl, "[Content_Types].xml");
  x = xpath_ctx(ct);
  cr_expect_eq(xs_num(x, "count(//ct:Default[@Extension='png' and @ContentType='image/png'])"), 1);
  xmlXPathFreeContext(x);
  xmlFreeDoc(ct);

  /* Maestro's own DOCX reader still gets the text, caption included */
  rag_parse_init();
  rag_doc_t rd;
  rag_doc_init(&rd);
  cr_assert_eq(rag_parse_docx(z, zl, &rd, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(rd.text.data, "Revenue by year") && strstr(rd.text.data, "After the charts."), "%s", rd.text.data);
  rag_doc_free(&rd);
  free(z);
}

/* ---- footnotes (footnotes.h) ---- */

/* The cases the preview's test reads too (web/src/lib/writing.test.ts). */
Test(report_footnotes, resolved_by_the_preview_rule) {
  json_t *f, *c;
  json_t *cases = fixture_cases("footnotes.json", 9, &f);
  size_t i;
  json_array_foreach(cases, i, c) {
    char *got = rf_resolve(json_string_value(json_object_get(c, "markdown")));
    cr_expect_str_eq(got, json_string_value(json_object_get(c, "resolved")), "%s",
                     json_string_value(json_object_get(c, "name")));
    free(got);
  }
  json_decref(f);
}

/* A report's unverified marks reached the reader as "[^v1]" and a
 * paragraph "[^v1]: Unverified: ...": every export shows a number and the
 * note under a rule. */
#define NOTES_MD                                                                                            \
  "# Trial\n\nThe drug halved deaths *(unverified)*[^v1] in two trials[^t].\n\n## Sources\n\n[1] A paper.\n\n" \
  "[^v1]: Unverified: no source states a figure\n[^t]: Both from 2019.\n"

Test(report_footnotes, every_export_shows_numbers_and_the_notes) {
  char *html = report_html("Trial", NOTES_MD);
  cr_assert(strstr(html, "deaths <em>(unverified)</em>\u2060\u00b9 in two trials\u00b2."), "%s", html);
  cr_assert(strstr(html, "<hr"), "%s", html);
  cr_assert(strstr(html, "<li>Unverified: no source states a figure</li>"), "%s", html);
  cr_assert(strstr(html, "<li>Both from 2019.</li>"), "%s", html);
  cr_assert(!strstr(html, "[^"), "%s", html);
  free(html);

  char *data = NULL, err[256] = "";
  size_t len = 0;
  cr_assert_eq(report_pdf("Trial", NOTES_MD, &data, &len, err, sizeof err), 0, "%s", err);
  GBytes *keep;
  PopplerDocument *doc = open_pdf(data, len, &keep);
  char *text = pdf_text(doc);
  cr_expect(strstr(text, "(unverified)\u00b9intwotrials\u00b2."), "%s", text);
  cr_expect(strstr(text, "Unverified:nosourcestatesafigure"), "%s", text);
  cr_expect(strstr(text, "Bothfrom2019."), "%s", text);
  cr_expect(!strstr(text, "[^"), "%s", text);
  free(text);
  g_object_unref(doc);
  g_bytes_unref(keep);
  free(data);

  char *z = NULL;
  size_t zl = 0;
  cr_assert_eq(report_docx("Trial", NOTES_MD, &z, &zl, err, sizeof err), 0, "%s", err);
  rag_parse_init();
  rag_doc_t back;
  rag_doc_init(&back);
  cr_assert_eq(rag_parse_docx(z, zl, &back, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(back.text.data, "\u00b9 in two trials\u00b2."), "%s", back.text.data);
  cr_expect(strstr(back.text.data, "Unverified: no source states a figure"), "%s", back.text.data);
  cr_expect(!strstr(back.text.data, "[^"), "%s", back.text.data);
  rag_doc_free(&back);
  free(z);
}
