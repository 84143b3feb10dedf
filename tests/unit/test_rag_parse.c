/*
 * Parsers and type detection on fixtures written by the test itself: PDFs
 * (multi-page, Korean, encrypted, truncated, image-only), DOCX (headings,
 * tables, lists, footnotes, external entity, zip bomb), HTML with scripts
 * and bad markup, Markdown, Latin-1 text, binary garbage, an empty file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/util.h"
#include "rag/parse.h"
#include "rag_support.h"

static char dir[256];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/maestro-rag-parse-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  rag_parse_init();
}

TestSuite(rag_parse, .init = setup, .timeout = 120);

/* Parses a file; returns rc, fills doc and err. */
static int parse_file(const char *name, rag_doc_t *doc, rag_type_t *type, char *err, size_t errlen) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len = 0;
  char *data = util_read_file(path, &len);
  cr_assert_not_null(data, "fixture %s", name);
  rag_doc_init(doc);
  err[0] = '\0';
  int rc = rag_parse(data, len, name, type, doc, err, errlen);
  free(data);
  return rc;
}

static char *path_of(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

Test(rag_parse, multi_page_pdf_keeps_pages_and_title) {
  const char *pages[] = {"Chapter one talks about turbines.\nThe blades spin fast.",
                         "Page two is about boundary layers.", "The third page mentions supersonic flow."};
  cr_assert_eq(rs_write_pdf(path_of("multi.pdf"), pages, 3, "DejaVu Sans", "Flow Studies"), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("multi.pdf", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_eq(t, RAG_TYPE_PDF);
  cr_expect_eq(doc.npages, 3);
  cr_expect_str_eq(doc.bib.title, "Flow Studies");
  int found2 = 0, found3 = 0;
  for (size_t i = 0; i < doc.nblocks; i++) {
    const char *b = doc.text.data + doc.blocks[i].off;
    if (strstr(b, "boundary layers") && strstr(b, "boundary layers") < b + doc.blocks[i].len)
      found2 = doc.blocks[i].page;
    if (strstr(b, "supersonic") && strstr(b, "supersonic") < b + doc.blocks[i].len) found3 = doc.blocks[i].page;
  }
  cr_expect_eq(found2, 2, "text of page 2 is on page 2");
  cr_expect_eq(found3, 3);
  cr_expect(strstr(doc.text.data, "The blades spin fast.") != NULL, "%s", doc.text.data);
  rag_doc_free(&doc);
}

Test(rag_parse, korean_pdf) {
  const char *pages[] = {"데비안은 자유 운영체제입니다.\n이름은 데비안 프로젝트에서 왔습니다."};
  cr_assert_eq(rs_write_pdf(path_of("ko.pdf"), pages, 1, "Noto Sans CJK KR", NULL), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("ko.pdf", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(doc.text.data, "데비안은 자유 운영체제입니다.") != NULL, "got: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "이름은") != NULL);
  rag_doc_free(&doc);
}

Test(rag_parse, encrypted_pdf_fails_with_reason) {
  cr_assert_eq(rs_write_encrypted_pdf(path_of("enc.pdf")), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("enc.pdf", &doc, &t, err, sizeof err), -1);
  cr_expect_eq(t, RAG_TYPE_PDF);
  cr_expect(strstr(err, "encrypted") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, truncated_pdf_fails_as_damaged) {
  const char *pages[] = {"Some text that will be cut away."};
  cr_assert_eq(rs_write_pdf(path_of("full.pdf"), pages, 1, NULL, NULL), 0);
  size_t len = 0;
  char *data = util_read_file(path_of("full.pdf"), &len);
  cr_assert_not_null(data);
  cr_assert_eq(rs_write_file(path_of("trunc.pdf"), data, 300 < len ? 300 : len / 2), 0);
  free(data);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("trunc.pdf", &doc, &t, err, sizeof err), -1);
  cr_expect(strstr(err, "damaged PDF") != NULL || strstr(err, "no extractable text") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, image_only_pdf_has_no_extractable_text) {
  cr_assert_eq(rs_write_image_pdf(path_of("img.pdf")), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("img.pdf", &doc, &t, err, sizeof err), -1);
  cr_expect(strstr(err, "no extractable text") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, docx_headings_tables_lists_footnotes) {
  const char *body =
      "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Results</w:t></w:r></w:p>"
      "<w:p><w:r><w:t xml:space=\"preserve\">The pump </w:t></w:r><w:r><w:t>works.</w:t></w:r>"
      "<w:r><w:footnoteReference w:id=\"1\"/></w:r></w:p>"
      "<w:p><w:pPr><w:pStyle w:val=\"Heading2\"/></w:pPr><w:r><w:t>Measurements</w:t></w:r></w:p>"
      "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Speed</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Pressure</w:t>"
      "</w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>12</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r>"
      "<w:t>3.4</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
      "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr><w:r><w:t>first "
      "item</w:t></w:r></w:p>"
      "<w:p><w:pPr><w:pStyle w:val=\"Kop3\"/></w:pPr><w:r><w:t>Detail</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>Closing words.</w:t></w:r></w:p>";
  const char *notes =
      "<w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:r><w:separator/></w:r></w:p>"
      "</w:footnote><w:footnote w:id=\"1\"><w:p><w:r><w:t>Measured in 2020.</w:t></w:r></w:p>"
      "</w:footnote>";
  cr_assert_eq(rs_write_docx(path_of("a.docx"), body, notes, "Pump Report", NULL), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("a.docx", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_eq(t, RAG_TYPE_DOCX);
  cr_expect_str_eq(doc.bib.title, "Pump Report");
  cr_expect_str_eq(doc.bib.authors, "Test Author");
  cr_expect_str_eq(doc.bib.year, "2021");
  const char *x = doc.text.data;
  cr_expect(strstr(x, "Results\n\nThe pump works.[1]") != NULL, "got: %s", x);
  cr_expect(strstr(x, "Speed | Pressure\n\n12 | 3.4") != NULL, "table rows: %s", x);
  cr_expect(strstr(x, "- first item") != NULL);
  cr_expect(strstr(x, "[1] Measured in 2020.") != NULL, "footnote: %s", x);
  /* heading levels and paths */
  int saw = 0;
  for (size_t i = 0; i < doc.nblocks; i++) {
    const char *b = x + doc.blocks[i].off;
    if (!strncmp(b, "Results", 7)) cr_expect_eq(doc.blocks[i].level, 1);
    if (!strncmp(b, "Measurements", 12)) cr_expect_eq(doc.blocks[i].level, 2);
    if (!strncmp(b, "Detail", 6)) {
      cr_expect_eq(doc.blocks[i].level, 3, "outline level from styles.xml");
      cr_expect_str_eq(doc.headings[doc.blocks[i].heading], "Results > Measurements > Detail");
      saw = 1;
    }
  }
  cr_expect(saw);
  rag_doc_free(&doc);
}

Test(rag_parse, docx_external_entity_is_not_expanded) {
  const char *doctype =
      "<!DOCTYPE w:document [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">"
      "<!ENTITY net SYSTEM \"http://127.0.0.1:9/x\">]>";
  const char *body = "<w:p><w:r><w:t>before &xxe; &net; after</w:t></w:r></w:p>";
  cr_assert_eq(rs_write_docx(path_of("xxe.docx"), body, NULL, NULL, doctype), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("xxe.docx", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(doc.text.data, "root:") == NULL, "passwd must not leak: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "before") != NULL && strstr(doc.text.data, "after") != NULL);
  rag_doc_free(&doc);
}

Test(rag_parse, docx_zip_bomb_is_rejected) {
  cr_assert_eq(rs_write_docx_bomb(path_of("bomb.docx"), (size_t)80 << 20), 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("bomb.docx", &doc, &t, err, sizeof err), -1);
  cr_expect(strstr(err, "zip bomb") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, zip_that_is_not_docx_is_binary) {
  cr_assert_eq(rs_write_docx(path_of("ok.docx"), "<w:p/>", NULL, NULL, NULL), 0);
  size_t len = 0;
  char *data = util_read_file(path_of("ok.docx"), &len);
  cr_expect_eq(rag_detect(data, len, "x.docx"), RAG_TYPE_DOCX);
  free(data);
  /* a zip without word/document.xml */
  int zerr = 0;
  zip_t *z = zip_open(path_of("other.zip"), ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  cr_assert_not_null(z);
  zip_source_t *src = zip_source_buffer(z, "hello", 5, 0);
  cr_assert(zip_file_add(z, "hello.txt", src, 0) >= 0);
  cr_assert_eq(zip_close(z), 0);
  data = util_read_file(path_of("other.zip"), &len);
  cr_expect_eq(rag_detect(data, len, "x.docx"), RAG_TYPE_BINARY);
  free(data);
  cr_expect_eq(rag_detect("\x89PNG\r\n\x1a\n....", 12, "a.txt"), RAG_TYPE_BINARY);
}

Test(rag_parse, html_drops_scripts_keeps_headings_and_decodes) {
  const char *html =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Caf&eacute; guide</title>"
      "<meta name=\"author\" content=\"Ann Smith\"><style>body{color:red}</style>"
      "<script>var secret = 'SCRIPTTEXT';</script></head><body><nav>Home | About NAVTEXT</nav>"
      "<h1>Coffee &amp; Tea</h1><p>Brewing <b>hot</b> water &lt;100&deg;C<p>Unclosed paragraph"
      "<div><h2>Sub topic</h2><ul><li>one<li>two</ul><table><tr><td>a</td><td>b</td></tr></table>"
      "<script>document.write('MORESCRIPT')</script></div><footer>FOOTERTEXT</footer></body></html>";
  rs_write_file(path_of("p.html"), html, strlen(html));
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("p.html", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_eq(t, RAG_TYPE_HTML);
  const char *x = doc.text.data;
  cr_expect_str_eq(doc.bib.title, "Café guide");
  cr_expect_str_eq(doc.bib.authors, "Ann Smith");
  cr_expect(strstr(x, "SCRIPTTEXT") == NULL && strstr(x, "MORESCRIPT") == NULL && strstr(x, "color:red") == NULL);
  cr_expect(strstr(x, "NAVTEXT") == NULL && strstr(x, "FOOTERTEXT") == NULL);
  cr_expect(strstr(x, "Coffee & Tea") != NULL, "%s", x);
  cr_expect(strstr(x, "Brewing hot water <100°C") != NULL, "%s", x);
  cr_expect(strstr(x, "Unclosed paragraph") != NULL);
  cr_expect(strstr(x, "- one") != NULL && strstr(x, "- two") != NULL);
  cr_expect(strstr(x, "a | b") != NULL);
  int h2 = 0;
  for (size_t i = 0; i < doc.nblocks; i++)
    if (doc.blocks[i].level == 2) h2 = !strcmp(doc.headings[doc.blocks[i].heading], "Coffee & Tea > Sub topic");
  cr_expect(h2, "heading path of h2");
  rag_doc_free(&doc);
}

Test(rag_parse, html_latin1_charset_is_honoured) {
  const char *html =
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
      "</head><body><p>Caf\xe9 cr\xe8me</p></body></html>";
  rs_write_file(path_of("l1.html"), html, strlen(html));
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("l1.html", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect(strstr(doc.text.data, "Café crème") != NULL, "%s", doc.text.data);
  rag_doc_free(&doc);
}

Test(rag_parse, markdown_structure) {
  const char *md =
      "# Guide\n\nIntro text with *emphasis* and `code`.\n\n## Install\n\n- step one\n- step two\n\n"
      "| a | b |\n|---|---|\n| 1 | 2 |\n\n<div>raw html</div>\n\nAT&amp;T &#233;t&eacute;\n";
  rs_write_file(path_of("g.md"), md, strlen(md));
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("g.md", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_eq(t, RAG_TYPE_MARKDOWN);
  cr_expect_str_eq(doc.bib.title, "Guide");
  const char *x = doc.text.data;
  cr_expect(strstr(x, "Intro text with emphasis and code.") != NULL, "%s", x);
  cr_expect(strstr(x, "- step one\n\n- step two") != NULL, "%s", x);
  cr_expect(strstr(x, "1 | 2") != NULL, "%s", x);
  cr_expect(strstr(x, "AT&T é") != NULL, "%s", x);
  int install = 0;
  for (size_t i = 0; i < doc.nblocks; i++)
    if (doc.blocks[i].level == 2) install = !strcmp(doc.headings[doc.blocks[i].heading], "Guide > Install");
  cr_expect(install);
  rag_doc_free(&doc);
}

Test(rag_parse, latin1_text_is_converted) {
  const char *txt = "Na\xefve caf\xe9 \xe0 la cr\xe8me.\n\nSecond paragraph \xa3 5.\n";
  rs_write_file(path_of("l1.txt"), txt, strlen(txt));
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("l1.txt", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_eq(t, RAG_TYPE_TEXT);
  cr_expect(util_utf8_valid(doc.text.data, doc.text.len));
  cr_expect(strstr(doc.text.data, "Naïve café à la crème.") != NULL, "%s", doc.text.data);
  cr_expect(strstr(doc.text.data, "£ 5.") != NULL);
  cr_expect_eq(doc.nblocks, 2);
  rag_doc_free(&doc);
}

Test(rag_parse, binary_garbage_named_txt_fails) {
  unsigned char g[4096];
  unsigned x = 12345;
  for (size_t i = 0; i < sizeof g; i++) {
    x = x * 1103515245u + 12345u;
    g[i] = (unsigned char)(x >> 16);
  }
  rs_write_file(path_of("garbage.txt"), g, sizeof g);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("garbage.txt", &doc, &t, err, sizeof err), -1);
  cr_expect_eq(t, RAG_TYPE_BINARY);
  cr_expect(strstr(err, "binary") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, empty_and_blank_files_fail) {
  rs_write_file(path_of("empty.txt"), "", 0);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_expect_eq(parse_file("empty.txt", &doc, &t, err, sizeof err), -1);
  cr_expect_str_eq(err, "empty file");
  rag_doc_free(&doc);
  rs_write_file(path_of("blank.txt"), "  \n\n\t \n", 7);
  cr_expect_eq(parse_file("blank.txt", &doc, &t, err, sizeof err), -1);
  cr_expect(strstr(err, "no extractable text") != NULL, "reason: %s", err);
  rag_doc_free(&doc);
}

Test(rag_parse, utf16_text_with_bom) {
  const char u16[] = "\xFF\xFEH\0i\0 \0\xE9\0";
  rs_write_file(path_of("u16.txt"), u16, sizeof u16 - 1);
  rag_doc_t doc;
  rag_type_t t;
  char err[256];
  cr_assert_eq(parse_file("u16.txt", &doc, &t, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(doc.text.data, "Hi é");
  rag_doc_free(&doc);
}

/* Found by fuzz_chunk (tests/fuzz/corpus/fuzz_chunk/utf8-out-of-range): a
 * well-formed sequence of an invalid code point (overlong form, surrogate,
 * past U+10FFFF) was copied into the text as is, so the stored text was not
 * UTF-8 (jansson refuses such strings when the text is served). */
Test(rag_parse, invalid_code_points_become_replacement_characters) {
  const char *bad[] = {"a\xC1\x81z", "a\xE0\x80\xAFz", "a\xED\xA0\x80z", "a\xF4\x90\x80\x80z", "a\xF6\xB6\xB6\x99z",
                       "a\xF0\x80\x80\xAFz"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    rag_doc_t doc;
    rag_doc_init(&doc);
    rag_doc_para(&doc, bad[i], strlen(bad[i]));
    rag_doc_heading(&doc, 1, bad[i], strlen(bad[i]));
    cr_expect(util_utf8_valid(doc.text.data, doc.text.len), "case %zu", i);
    cr_expect(strstr(doc.text.data, "a\xEF\xBF\xBD") == doc.text.data, "case %zu: %s", i, doc.text.data);
    cr_expect(util_utf8_valid(doc.headings[0], strlen(doc.headings[0])), "case %zu heading", i);
    rag_doc_free(&doc);
  }
  rag_doc_t doc;
  rag_doc_init(&doc);
  rag_doc_para(&doc, "ok \xC3\xA9 \xED\x9F\xBF \xF4\x8F\xBF\xBF", 14); /* é, U+D7FF, U+10FFFF stay */
  cr_expect_str_eq(doc.text.data, "ok \xC3\xA9 \xED\x9F\xBF \xF4\x8F\xBF\xBF");
  rag_doc_free(&doc);
}

/* The names a document's format shows as, the MIME type stored with it and
 * the --format words the CLI accepts. */
Test(rag_parse, type_names_mimes_and_format_words) {
  cr_expect_str_eq(rag_type_name(RAG_TYPE_MARKDOWN), "md");
  cr_expect_str_eq(rag_type_name(RAG_TYPE_EMPTY), "empty");
  cr_expect_str_eq(rag_type_name(RAG_TYPE_BINARY), "binary");
  cr_expect_str_eq(rag_type_name(RAG_TYPE_UNKNOWN), "unknown");
  cr_expect_str_eq(rag_type_mime(RAG_TYPE_DOCX),
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  cr_expect_str_eq(rag_type_mime(RAG_TYPE_TEXT), "text/plain");
  cr_expect_str_eq(rag_type_mime(RAG_TYPE_BINARY), "application/octet-stream");
  cr_expect_str_eq(rag_type_mime(RAG_TYPE_UNKNOWN), "application/octet-stream");
  cr_expect_eq(rag_type_parse("PDF"), RAG_TYPE_PDF);
  cr_expect_eq(rag_type_parse("htm"), RAG_TYPE_HTML);
  cr_expect_eq(rag_type_parse("Markdown"), RAG_TYPE_MARKDOWN);
  cr_expect_eq(rag_type_parse("text"), RAG_TYPE_TEXT);
  cr_expect_eq(rag_type_parse("binary"), RAG_TYPE_UNKNOWN); /* a detection outcome, not a format */
  cr_expect_eq(rag_type_parse("empty"), RAG_TYPE_UNKNOWN);
  cr_expect_eq(rag_type_parse("doc"), RAG_TYPE_UNKNOWN);
  cr_expect_eq(rag_type_parse(NULL), RAG_TYPE_UNKNOWN);
}
