/*
 * test_report_math.c - TeX math in report exports (src/report/math.c):
 * MathML in the HTML export, Office Math in the DOCX, Pango text in the
 * PDF; the preview's rule for finding math ($5 and $10 stays text, code
 * stays code); a formula outside the subset shown as its source; hostile
 * text escaped in every writer.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <pango/pango.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"
#include "fixture_support.h"
#include "report/math.h"
#include "report/report.h"
#include "xml_support.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libcairo.so\nleak:libfontconfig.so\n";
}

#define HALF_LIFE "$t_{1/2} = \\frac{\\ln 2}{\\lambda}$"
#define POISSON "$$ P(k) = \\frac{\\lambda^k e^{-\\lambda}}{k!} $$"
static const char DOC[] =
    "# Decay\n\nThe half-life " HALF_LIFE " of a nucleus.\n\n" POISSON "\n\nIt costs $5 and $10. Code: `$x^2$`.\n";

static char *mathml(const char *src) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  int rc = rm_mathml(&b, src);
  if (rc < 0) {
    buf_free(&b);
    return NULL;
  }
  return buf_detach(&b, NULL);
}

/* ---- finding math ---- */

static char *marked_sources(const char *md) {
  rm_marks_t m;
  rm_mark(md, &m);
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; i < m.n; i++) buf_printf(&b, "[%s]", m.src[i]);
  rm_marks_free(&m);
  return buf_detach(&b, NULL);
}

/* The cases the preview's test reads too (web/src/lib/writing.test.ts). */
Test(report_math, finds_math_with_the_preview_rule) {
  json_t *f, *c;
  json_t *cases = fixture_cases("math_find.json", 11, &f);
  size_t i;
  json_array_foreach(cases, i, c) {
    buf_t want = BUF_INIT;
    buf_init(&want);
    size_t k;
    json_t *m;
    json_array_foreach(json_object_get(c, "math"), k, m) buf_printf(&want, "[%s]", json_string_value(m));
    const char *md = json_string_value(json_object_get(c, "markdown"));
    char *got = marked_sources(md);
    cr_expect_str_eq(got, want.data, "%s", md);
    free(got);
    buf_free(&want);
  }
  json_decref(f);
}

/* ---- MathML ---- */

Test(report_math, mathml_of_the_examples) {
  char *m = mathml(HALF_LIFE);
  cr_assert(m);
  cr_expect_str_eq(
      m,
      "<math><msub><mi>t</mi><mrow><mn>1</mn><mo stretchy=\"false\" lspace=\"0em\" "
      "rspace=\"0em\">/</mo><mn>2</mn></mrow></msub><mo>=</mo>"
      "<mfrac><mrow><mi>ln</mi><mspace width=\"0.1667em\"></mspace><mn>2</mn></mrow><mi>λ</mi></mfrac></math>");
  free(m);
  m = mathml(POISSON);
  cr_assert(m);
  cr_expect_str_eq(
      m,
      "<math display=\"block\"><mi>P</mi><mo stretchy=\"false\" lspace=\"0em\" rspace=\"0em\">(</mo><mi>k</mi><mo "
      "stretchy=\"false\" lspace=\"0em\" rspace=\"0em\">)</mo><mo>=</mo><mfrac><mrow>"
      "<msup><mi>λ</mi><mi>k</mi></msup><msup><mi>e</mi><mrow><mo>−</mo><mi>λ</mi></mrow></msup></mrow>"
      "<mrow><mi>k</mi><mo stretchy=\"false\" lspace=\"0em\" rspace=\"0em\">!</mo></mrow></mfrac></math>");
  free(m);
  /* formula -> parts its MathML must hold */
  static const char *const PARTS[][5] = {
      {"$\\sqrt{x^2+1} + \\sqrt[3]{y}$", "<msqrt><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mn>1</mn></msqrt>",
       "<mroot><mi>y</mi><mn>3</mn></mroot>", NULL},
      {"$a \\leq \\sum_{i=1}^{n} x_i^2$", "<mo>≤</mo>",
       "<munderover><mo largeop=\"true\">∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover>",
       "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>", NULL},
      {"$x \\text{ if } \\Gamma$", "<mtext> if </mtext>", "<mi mathvariant=\"normal\">Γ</mi>", NULL},
      {"$\\left( \\frac{a}{b} \\right)$",
       "<mo fence=\"true\" form=\"prefix\">(</mo><mfrac><mi>a</mi><mi>b</mi></mfrac><mo fence=\"true\" "
       "form=\"postfix\">)</mo>",
       NULL},
      {"$\\hat{x}\\,\\mathbf{v} \\to \\infty$", "<mover accent=\"true\"><mi>x</mi>", "<mi>𝐯</mi>",
       "<mo>→</mo><mi mathvariant=\"normal\">∞</mi>", NULL},
  };
  for (size_t i = 0; i < sizeof PARTS / sizeof *PARTS; i++) {
    m = mathml(PARTS[i][0]);
    cr_assert(m, "%s", PARTS[i][0]);
    for (int k = 1; PARTS[i][k]; k++) cr_expect(strstr(m, PARTS[i][k]), "%s: no %s in %s", PARTS[i][0], PARTS[i][k], m);
    free(m);
  }
}

Test(report_math, binomials_script_letters_and_escaped_relations) {
  char *m = mathml("$\\binom{n}{k} \\lt \\mathcal{L} \\colon \\mathbb{R}$");
  cr_assert(m);
  cr_expect_str_eq(m,
                   "<math><mrow><mo>(</mo><mfrac "
                   "linethickness=\"0\"><mi>n</mi><mi>k</mi></mfrac><mo>)</mo></mrow>"
                   "<mo>&lt;</mo><mi>ℒ</mi><mo>:</mo><mi>ℝ</mi></math>");
  free(m);
  buf_t b = BUF_INIT;
  buf_init(&b);
  cr_assert_eq(rm_omml(&b, "$\\binom{n}{2}$"), 0);
  cr_expect(strstr(b.data,
                   "<m:d><m:dPr><m:begChr m:val=\"(\"/><m:endChr m:val=\")\"/></m:dPr><m:e><m:f><m:fPr>"
                   "<m:type m:val=\"noBar\"/></m:fPr><m:num><m:r><m:t xml:space=\"preserve\">n</m:t></m:r>"),
            "%s", b.data);
  buf_free(&b);
}

Test(report_math, unknown_input_is_not_converted) {
  const char *bad[] = {"$\\foo{x}$", "$\\frac{a}{b$", "$a}$", "$x^$", "$\\left( x$", "$a & b$", "$x^a^b$"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *m = mathml(bad[i]);
    cr_expect_null(m, "%s -> %s", bad[i], m);
    free(m);
    buf_t b = BUF_INIT;
    cr_expect_eq(rm_pango(&b, bad[i]), -1);
    cr_expect_eq(rm_omml(&b, bad[i]), -1);
    cr_expect_eq(b.len, 0);
    buf_free(&b);
  }
  /* deep nesting is refused, not a stack overflow */
  buf_t deep = BUF_INIT;
  buf_puts(&deep, "$");
  for (int i = 0; i < 5000; i++) buf_puts(&deep, "{");
  buf_puts(&deep, "x");
  for (int i = 0; i < 5000; i++) buf_puts(&deep, "}");
  buf_puts(&deep, "$");
  char *m = mathml(deep.data);
  cr_expect_null(m);
  free(m);
  buf_free(&deep);
}

/* ---- HTML export ---- */

Test(report_math, html_export_has_mathml_and_keeps_the_rest) {
  char *h = report_html("Decay", DOC);
  cr_assert(h);
  cr_expect(strstr(h, "<p>The half-life <math><msub>"), "%s", h);
  cr_expect(strstr(h, "<math display=\"block\">"), "%s", h);
  cr_expect(strstr(h, "<mfrac>"), "%s", h);
  cr_expect(!strstr(h, "\\frac"), "%s", h);
  cr_expect(strstr(h, "It costs $5 and $10."), "%s", h);
  cr_expect(strstr(h, "<code>$x^2$</code>"), "%s", h);
  free(h);
  /* outside the subset: the source as code, the rest of the page as before */
  h = report_html("x", "Before $\\unknown{x}$ after $y^2$ and *more*.\n");
  cr_assert(h);
  cr_expect(strstr(h, "<p>Before <code class=\"math-tex\">$\\unknown{x}$</code> after <math><msup>"), "%s", h);
  cr_expect(strstr(h, "and <em>more</em>.</p>"), "%s", h);
  free(h);
  /* a formula in a link or image target is put back as it was written */
  h = report_html("x", "[see $a$](https://x.org/$a$/p?q=1&r=2) ![$b$](https://x.org/$b$.png)\n");
  cr_assert(h);
  cr_expect(strstr(h, "<a href=\"https://x.org/$a$/p?q=1&amp;r=2\">see <math><mi>a</mi></math></a>"), "%s", h);
  cr_expect(strstr(h, "<img src=\"https://x.org/$b$.png\" alt=\"$b$\""), "%s", h);
  free(h);
  /* md4c's code the preview does not split out (indented, ~~~): still code, in every export */
  static const char CODE[] = "Text $a$.\n\n    indented $x^2$\n\n~~~\n$$y$$\n~~~\n";
  h = report_html("x", CODE);
  cr_assert(h);
  cr_expect(strstr(h, "<pre><code>indented $x^2$\n</code></pre>"), "%s", h);
  cr_expect(strstr(h, "<pre><code>$$y$$\n</code></pre>"), "%s", h);
  cr_expect(strstr(h, "Text <math><mi>a</mi></math>."), "%s", h);
  free(h);
}

Test(report_math, html_escapes_hostile_math) {
  char *h = report_html("x", "a $<script>$ b $\\text{</mtext><script>alert(1)</script>}$ c $\\foo<b>$\n");
  cr_assert(h);
  cr_expect(!strstr(h, "<script"), "%s", h);
  cr_expect(!strstr(h, "<b>"), "%s", h);
  cr_expect(strstr(h, "<mo>&lt;</mo><mi>s</mi>"), "%s", h);
  cr_expect(strstr(h, "<mtext>&lt;/mtext&gt;&lt;script&gt;alert(1)&lt;/script&gt;</mtext>"), "%s", h);
  cr_expect(strstr(h, "<code class=\"math-tex\">$\\foo&lt;b&gt;$</code>"), "%s", h);
  free(h);
  /* a marker character typed by the user is text, not a formula */
  h = report_html("x",
                  "odd \xEE\x80\x80"
                  "0\xEE\x80\x81 and $x$\n");
  cr_assert(h);
  cr_expect(strstr(h,
                   "odd \xEE\x80\x80"
                   "0\xEE\x80\x81 and $x$"),
            "%s", h);
  free(h);
}

/* ---- DOCX ---- */

static char *document_xml(const char *md) {
  char *z = NULL, err[256] = "";
  size_t zl = 0;
  cr_assert_eq(report_docx("Decay", md, &z, &zl, err, sizeof err), 0, "%s", err);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(z, zl, 0, &ze);
  zip_t *zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
  cr_assert(zip);
  zip_stat_t st;
  cr_assert_eq(zip_stat(zip, "word/document.xml", 0, &st), 0);
  zip_file_t *f = zip_fopen(zip, "word/document.xml", 0);
  char *x = malloc(st.size + 1);
  cr_assert_eq(zip_fread(f, x, st.size), (zip_int64_t)st.size);
  x[st.size] = 0;
  zip_fclose(f);
  zip_close(zip);
  zip_error_fini(&ze);
  free(z);
  return x;
}

Test(report_math, docx_has_office_math) {
  char *x = document_xml(DOC);
  xmlDocPtr d = xmlReadMemory(x, (int)strlen(x), "document.xml", "UTF-8", XML_PARSE_NONET);
  cr_assert(d, "not well-formed:\n%s", x);
  xmlXPathContextPtr c = xmlXPathNewContext(d);
  xmlXPathRegisterNs(c, BAD_CAST "w", BAD_CAST "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
  xmlXPathRegisterNs(c, BAD_CAST "m", BAD_CAST RM_NS);
  /* inline: in the paragraph with its text */
  cr_expect_eq(xs_num(c, "count(//w:p[contains(., 'The half-life')]/m:oMath)"), 1, "%s", x);
  cr_expect_eq(xs_num(c, "count(//w:p/m:oMath/m:sSub[m:e/m:r/m:t='t']/m:sub/m:r)"), 3, "%s", x);
  cr_expect_eq(xs_num(c,
                      "count(//w:p/m:oMath/m:f[m:num/m:func[m:fName/m:r/m:t='ln'][m:e/m:r/m:t='2']]"
                      "[m:den/m:r/m:t='λ'])"),
               1, "%s", x);
  /* display: an m:oMathPara paragraph of its own */
  cr_expect_eq(xs_num(c, "count(//w:p[m:oMathPara][not(w:r)])"), 1, "%s", x);
  cr_expect_eq(xs_num(c, "count(//m:oMathPara/m:oMath/m:f/m:num/m:sSup[m:e/m:r/m:t='λ'][m:sup/m:r/m:t='k'])"), 1, "%s",
               x);
  cr_expect_eq(xs_num(c, "count(//m:oMathPara/m:oMath/m:f/m:den/m:r)"), 2, "%s", x);
  char *rest = xs_str(c, "//w:p[contains(., 'It costs')]");
  cr_expect_str_eq(rest, "It costs $5 and $10. Code: $x^2$.");
  free(rest);
  cr_expect(!strstr(x, "\\frac"), "%s", x);
  xmlXPathFreeContext(c);
  xmlFreeDoc(d);
  free(x);

  /* sums, roots, fences; hostile text; a formula outside the subset */
  x = document_xml("S $\\sum_{i=1}^{n} x_i = \\sqrt{\\left(a\\right)}$ T $\\text{</m:t><w:r>}$ U $\\nope$ V\n");
  d = xmlReadMemory(x, (int)strlen(x), "document.xml", "UTF-8", XML_PARSE_NONET);
  cr_assert(d, "not well-formed:\n%s", x);
  c = xmlXPathNewContext(d);
  xmlXPathRegisterNs(c, BAD_CAST "w", BAD_CAST "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
  xmlXPathRegisterNs(c, BAD_CAST "m", BAD_CAST RM_NS);
  cr_expect_eq(xs_num(c, "count(//m:nary[m:naryPr/m:chr/@m:val='∑'][m:e/m:sSub])"), 1, "%s", x);
  cr_expect_eq(xs_num(c, "count(//m:rad[m:e/m:d[m:dPr/m:begChr/@m:val='(']])"), 1, "%s", x);
  char *t = xs_str(c, "//m:r[m:rPr/m:nor]/m:t");
  cr_expect_str_eq(t, "</m:t><w:r>");
  free(t);
  t = xs_str(c, "//w:r[w:rPr/w:rFonts/@w:ascii='Courier New']/w:t");
  cr_expect_str_eq(t, "$\\nope$");
  free(t);
  t = xs_str(c, "//w:p");
  cr_expect(strstr(t, " V"), "%s", t);
  free(t);
  xmlXPathFreeContext(c);
  xmlFreeDoc(d);
  free(x);
}

Test(report_math, display_math_inside_a_paragraph_gets_its_own) {
  char *x = document_xml("The distribution is\n$$ P(k) = k^2 $$\nwhere $k$ counts.\n");
  xmlDocPtr d = xmlReadMemory(x, (int)strlen(x), "document.xml", "UTF-8", XML_PARSE_NONET);
  cr_assert(d, "not well-formed:\n%s", x);
  xmlXPathContextPtr c = xmlXPathNewContext(d);
  xmlXPathRegisterNs(c, BAD_CAST "w", BAD_CAST "http://schemas.openxmlformats.org/wordprocessingml/2006/main");
  xmlXPathRegisterNs(c, BAD_CAST "m", BAD_CAST RM_NS);
  char *t = xs_str(c, "//w:body/w:p[1]");
  cr_expect_str_eq(t, "The distribution is");
  free(t);
  cr_expect_eq(xs_num(c, "count(//w:body/w:p[2]/m:oMathPara/m:oMath/m:sSup)"), 1, "%s", x);
  t = xs_str(c, "//w:body/w:p[3]/w:r[1]");
  cr_expect_str_eq(t, "where ");
  free(t);
  cr_expect_eq(xs_num(c, "count(//w:body/w:p[3]/m:oMath)"), 1, "%s", x);
  xmlXPathFreeContext(c);
  xmlFreeDoc(d);
  free(x);
}

/* ---- PDF ---- */

static char *pdf_text(const char *md) {
  char *pdf = NULL, err[256] = "";
  size_t len = 0;
  cr_assert_eq(report_pdf("Decay", md, &pdf, &len, err, sizeof err), 0, "%s", err);
  GBytes *bytes = g_bytes_new(pdf, len);
  GError *e = NULL;
  PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &e);
  cr_assert(doc, "%s", e ? e->message : "?");
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (int i = 0; i < poppler_document_get_n_pages(doc); i++) {
    PopplerPage *p = poppler_document_get_page(doc, i);
    char *s = poppler_page_get_text(p);
    buf_puts(&b, s ? s : "");
    g_free(s);
    g_object_unref(p);
  }
  g_object_unref(doc);
  g_bytes_unref(bytes);
  free(pdf);
  return buf_detach(&b, NULL);
}

Test(report_math, pdf_lays_out_math_as_text) {
  char *t = pdf_text(DOC);
  cr_expect(strstr(t, "λ"), "%s", t);
  cr_expect(strstr(t, "ln 2"), "%s", t);
  cr_expect(!strstr(t, "\\frac") && !strstr(t, "\\lambda"), "%s", t);
  cr_expect(strstr(t, "P(k) = "), "%s", t);
  cr_expect(strstr(t, "It costs $5 and $10."), "%s", t);
  cr_expect(strstr(t, "$x^2$"), "code keeps its source: %s", t);
  free(t);
  t = pdf_text("Text $a$.\n\n    indented $x^2$\n\n~~~\n$$y$$\n~~~\n");
  cr_expect(strstr(t, "indented $x^2$") && strstr(t, "$$y$$"), "%s", t);
  free(t);
  t = pdf_text("A $\\nope{x}$ and $<b>$ B\n");
  cr_expect(strstr(t, "$\\nope{x}$"), "%s", t);
  cr_expect(strstr(t, "< b >"), "%s", t);
  cr_expect(strstr(t, " B"), "%s", t);
  free(t);
}

Test(report_math, pango_markup_of_the_examples) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  cr_assert_eq(rm_pango(&b, HALF_LIFE), 0);
  cr_expect_str_eq(b.data,
                   "<i>t</i><sub>1/2</sub> = (ln\xE2\x80\x89"
                   "2)/<i>λ</i>");
  buf_reset(&b);
  cr_assert_eq(rm_pango(&b, "$\\frac{1}{2} + \\sqrt{x+1}$"), 0);
  cr_expect_str_eq(b.data, "1⁄2 + √(<i>x</i> + 1)");
  buf_free(&b);
}

/* ---- random formulas: every writer converts all or nothing, and what it
 * writes is well-formed ---- */

static int well_formed_xml(const char *frag, const char *ns) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_printf(&b, "<root %s>%s</root>", ns, frag);
  xmlDocPtr d = xmlReadMemory(b.data, (int)b.len, "f.xml", "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR);
  buf_free(&b);
  xmlFreeDoc(d);
  return d != NULL;
}

Test(report_math, random_formulas_convert_whole_or_not_at_all) {
  static const char *TOK[] = {
      "\\frac",   "{",     "}", "^",       "_",           "\\sqrt",   "[",     "]",        "\\left(",
      "\\right)", "x",     "2", "\\alpha", "\\text{a<&}", "\\hat",    "+",     "=",        "\\sum",
      "\\int",    "\\",    "&", "<",       ">",           "\"",       "'",     "\\mathbf", "\\,",
      "\\quad",   "\\lim", " ", "\\left.", "\\right|",    "\\mathbb", "\\foo", "\xCE\xBB", "%"};
  unsigned seed = 12345;
  int converted = 0;
  for (int n = 0; n < 3000; n++) {
    buf_t f = BUF_INIT;
    buf_init(&f);
    buf_puts(&f, n % 2 ? "$$" : "$");
    int len = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 12;
    for (int k = 0; k < len; k++)
      buf_puts(&f, TOK[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof TOK / sizeof *TOK)]);
    buf_puts(&f, n % 2 ? "$$" : "$");
    buf_t a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
    buf_init(&a), buf_init(&b), buf_init(&c);
    int ra = rm_mathml(&a, f.data), rb = rm_pango(&b, f.data), rc = rm_omml(&c, f.data);
    cr_assert(ra == rb && rb == rc, "%s: %d %d %d", f.data, ra, rb, rc);
    if (ra == 0) {
      converted++;
      cr_assert(well_formed_xml(a.data, ""), "%s -> %s", f.data, a.data);
      cr_assert(well_formed_xml(c.data, "xmlns:m=\"" RM_NS "\""), "%s -> %s", f.data, c.data);
      cr_assert(pango_parse_markup(b.data, -1, 0, NULL, NULL, NULL, NULL), "%s -> %s", f.data, b.data);
    } else
      cr_assert(a.len == 0 && b.len == 0 && c.len == 0);
    buf_free(&a), buf_free(&b), buf_free(&c), buf_free(&f);
  }
  cr_expect(converted > 100 && converted < 2900, "%d of 3000 converted", converted);
}

/* ---- environments: matrices, cases, aligned equations ---- */

#define MATRIX "$$ A = \\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix} $$"
#define CASES "$$ |x| = \\begin{cases} x & \\text{if } x \\geq 0 \\\\ -x & \\text{otherwise} \\end{cases} $$"
#define ALIGNED "$$\\begin{aligned} a &= b + c \\\\[2pt] &= d \\\\ \\end{aligned}$$"

static int count(const char *s, const char *what) {
  int n = 0;
  for (const char *q = s; (q = strstr(q, what)); q += strlen(what)) n++;
  return n;
}

/* Written in Writing, shown by KaTeX in the preview, they were exported as
 * their TeX source. */
Test(report_math, environments_become_tables_in_mathml) {
  char *m = mathml(MATRIX);
  cr_assert(m);
  cr_expect(strstr(m, "<mo fence=\"true\" form=\"prefix\">(</mo><mtable><mtr><mtd"), "%s", m);
  cr_expect_eq(count(m, "<mtr>"), 2, "%s", m);
  cr_expect_eq(count(m, "<mtd"), 4, "%s", m);
  cr_expect(strstr(m, "</mtable><mo fence=\"true\" form=\"postfix\">)</mo>"), "%s", m);
  free(m);
  m = mathml(CASES);
  cr_assert(m);
  cr_expect(strstr(m, "form=\"prefix\">{</mo><mtable>") && !strstr(m, "postfix"), "a brace on the left only: %s", m);
  cr_expect(strstr(m, "<mtext>otherwise</mtext>") && strstr(m, "text-align:left"), "%s", m);
  free(m);
  m = mathml(ALIGNED);
  cr_assert(m);
  cr_expect_eq(count(m, "<mtr>"), 2, "a trailing \\\\ adds no line: %s", m);
  cr_expect(strstr(m, "text-align:right;padding-right:0\"><mi>a</mi></mtd><mtd columnalign=\"left\""), "%s", m);
  free(m);
  /* every writer refuses what it cannot show whole: the source is kept */
  const char *bad[] = {"$\\begin{pmatrix} 1 & 2 \\end{bmatrix}$", "$\\begin{array}{cc} 1 \\end{array}$",
                       "$\\begin{pmatrix} 1 & 2$", "$\\begin{pmatrix} {1 & 2} \\end{pmatrix}$", "$a \\\\ b$"};
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_expect_eq(rm_mathml(&b, bad[i]), -1, "%s", bad[i]);
    cr_expect_eq(rm_pango(&b, bad[i]), -1, "%s", bad[i]);
    cr_expect_eq(rm_omml(&b, bad[i]), -1, "%s", bad[i]);
  }
  cr_expect_eq(b.len, 0);
  buf_free(&b);
}

Test(report_math, environments_in_the_docx_are_word_matrices_and_equation_arrays) {
  char *x = document_xml("Matrix:\n\n" MATRIX "\n\nCases:\n\n" CASES "\n\nAligned:\n\n" ALIGNED "\n");
  xmlDocPtr d = xmlReadMemory(x, (int)strlen(x), "document.xml", "UTF-8", XML_PARSE_NONET);
  cr_assert(d, "not well-formed:\n%s", x);
  xmlXPathContextPtr c = xmlXPathNewContext(d);
  xmlXPathRegisterNs(c, BAD_CAST "m", BAD_CAST RM_NS);
  cr_expect_eq(xs_num(c, "count(//m:d[m:dPr/m:begChr/@m:val='('][m:dPr/m:endChr/@m:val=')']/m:e/m:m/m:mr)"), 2,
               "%s", x);
  cr_expect_eq(xs_num(c, "count(//m:m/m:mr[1]/m:e)"), 4, "two columns in each matrix: %s", x);
  cr_expect_eq(xs_num(c, "count(//m:d[m:dPr/m:begChr/@m:val='{'][m:dPr/m:endChr/@m:val='']//m:mcJc[@m:val='left'])"), 1,
               "%s", x);
  cr_expect_eq(xs_num(c, "count(//m:eqArr/m:e)"), 2, "%s", x);
  cr_expect(!strstr(x, "\\begin"), "%s", x);
  xmlXPathFreeContext(c);
  xmlFreeDoc(d);
  free(x);
}

Test(report_math, environments_in_the_pdf_read_line_by_line) {
  char *t = pdf_text("Matrix:\n\n" MATRIX "\n\nCases:\n\n" CASES "\n\nAligned:\n\n" ALIGNED "\n\nInline $\\begin{bmatrix} a & b \\end{bmatrix}$.\n");
  cr_expect(strstr(t, "A = (1 0; 0 1)") || strstr(t, "A = (1\xE2\x80\x83" "0; 0\xE2\x80\x83" "1)"), "%s", t);
  cr_expect(strstr(t, "otherwise"), "%s", t);
  char *sq = strdup(t), *w = sq; /* poppler spaces the operators as it likes */
  for (const char *r = t; *r; r++)
    if (*r != ' ') *w++ = *r;
  *w = 0;
  cr_expect(strstr(sq, "a=b+c\n=d"), "each equation on its line: %s", t);
  free(sq);
  cr_expect(strstr(t, "Inline [a") && !strstr(t, "\\begin"), "%s", t);
  free(t);
}
