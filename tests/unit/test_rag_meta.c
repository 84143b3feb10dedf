/*
 * Bibliographic metadata extraction (src/rag/meta.c and the parsers): a
 * paper-like PDF whose information dictionary holds a junk title, XMP
 * packets, DOCX core properties, HTML citation_* / Dublin Core / OpenGraph
 * tags, Markdown front matter, DOI and arXiv patterns, and the validation
 * of user edits.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "rag/parse.h"
#include "rag/rag.h"
#include "rag_support.h"

static char dir[256];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/maestro-rag-meta-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  rag_parse_init();
}

TestSuite(rag_meta, .init = setup, .timeout = 120);

static const char *path_of(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

static void parse_path(const char *name, rag_doc_t *doc) {
  size_t len = 0;
  char *data = util_read_file(path_of(name), &len);
  cr_assert_not_null(data, "fixture %s", name);
  rag_doc_init(doc);
  char err[256] = "";
  cr_assert_eq(rag_parse(data, len, name, NULL, doc, err, sizeof err), 0, "%s", err);
  free(data);
}

static const char *src_of(const rag_doc_t *d, const char *field) {
  return json_string_value(json_object_get(d->meta_sources, field));
}

static const rs_pdf_line_t PAPER[] = {
    {"Turbulent Mixing in Stratified", 20},
    {"Shear Flows", 20},
    {"Alice Martin*, Bob Chen2 and Carol Díaz", 12},
    {"Department of Physics, University of Somewhere", 10},
    {"doi: 10.1234/jfm.2019.567", 10},
    {"\xC2\xA9 2019 Journal of Fluid Mechanics", 10},
    {"Abstract", 11},
    {"We study how stratification suppresses the mixing of a shear layer and", 10},
    {"measure the flux Richardson number in a tilted tank for a wide range.", 10},
    {"Keywords: turbulence, mixing, stratification", 10},
    {"1 Introduction", 11},
    {"Mixing in the ocean interior is driven by breaking internal waves and shear", 10},
    {"instabilities; measurements since 1975 show a wide range of efficiencies.", 10},
};

Test(rag_meta, pdf_junk_info_title_falls_back_to_the_first_page) {
  cr_assert_eq(rs_write_paper_pdf(path_of("paper.pdf"), PAPER, sizeof PAPER / sizeof PAPER[0],
                                  "Microsoft Word - draft_v3.docx", NULL),
               0);
  rag_doc_t doc;
  parse_path("paper.pdf", &doc);
  cr_expect_str_eq(doc.bib.title, "Turbulent Mixing in Stratified Shear Flows");
  cr_expect_str_eq(src_of(&doc, "title"), "first-page");
  cr_expect_str_eq(doc.bib.authors, "Alice Martin; Bob Chen; Carol Díaz");
  cr_expect_str_eq(doc.bib.doi, "10.1234/jfm.2019.567");
  cr_expect_str_eq(doc.bib.year, "2019", "year from the copyright line, not the file date");
  cr_expect_str_eq(doc.bib.keywords, "turbulence; mixing; stratification");
  cr_assert_not_null(doc.bib.abstract);
  cr_expect(!strncmp(doc.bib.abstract, "We study how stratification", 27), "abstract: %s", doc.bib.abstract);
  cr_expect(strstr(doc.bib.abstract, "Keywords") == NULL);
  rag_doc_free(&doc);
}

Test(rag_meta, pdf_declared_title_and_author_win_when_they_are_real) {
  cr_assert_eq(rs_write_paper_pdf(path_of("decl.pdf"), PAPER, sizeof PAPER / sizeof PAPER[0],
                                  "Mixing in Stratified Shear Flows", "A. Martin, B. Chen"),
               0);
  rag_doc_t doc;
  parse_path("decl.pdf", &doc);
  cr_expect_str_eq(doc.bib.title, "Mixing in Stratified Shear Flows");
  cr_expect_str_eq(src_of(&doc, "title"), "pdf-info");
  cr_expect_str_eq(doc.bib.authors, "A. Martin; B. Chen");
  rag_doc_free(&doc);
}

Test(rag_meta, pdf_untitled_and_file_name_titles_are_rejected_arxiv_found) {
  const rs_pdf_line_t lines[] = {
      {"arXiv:2101.01234v2 [cs.CL] 5 Jan 2021", 8},
      {"Sparse Attention for Long Documents", 18},
      {"Dana Lee and Erik Svensson", 11},
      {"In Proceedings of the 2021 Conference on Long Texts", 9},
      {"Abstract", 10},
      {"Transformers scale quadratically with the input length, which we avoid here.", 10},
      {"Body text continues here with more words about attention and memory use.", 10},
  };
  cr_assert_eq(rs_write_paper_pdf(path_of("arxiv.pdf"), lines, 7, "untitled", "dlee"), 0);
  rag_doc_t doc;
  parse_path("arxiv.pdf", &doc);
  cr_expect_str_eq(doc.bib.title, "Sparse Attention for Long Documents");
  cr_expect_str_eq(doc.bib.arxiv_id, "2101.01234v2");
  cr_expect_str_eq(doc.bib.year, "2021");
  /* "dlee" is a user name, not an author list; the author line is */
  cr_expect_str_eq(doc.bib.authors, "Dana Lee; Erik Svensson");
  cr_expect_str_eq(doc.bib.venue, "Proceedings of the 2021 Conference on Long Texts");
  rag_doc_free(&doc);

  cr_assert_eq(rs_write_paper_pdf(path_of("fname.pdf"), lines + 1, 6, "paper_final_v2", NULL), 0);
  parse_path("fname.pdf", &doc);
  cr_expect_str_eq(doc.bib.title, "Sparse Attention for Long Documents");
  rag_doc_free(&doc);
}

Test(rag_meta, abstract_needs_an_abstract_heading) {
  const char *page = "Libtasn1\nAbstract Syntax Notation One (ASN.1) library for the GNU system\nversion 4.19\n";
  rag_doc_t doc;
  rag_doc_init(&doc);
  rag_meta_from_first_page(&doc, page, strlen(page));
  cr_expect_null(doc.bib.abstract, "\"Abstract Syntax Notation\" is not an abstract: %s", doc.bib.abstract);
  rag_doc_free(&doc);
  const char *ieee =
      "Title\nAbstract—We measure the drag of small drones in gusty wind.\nIndex "
      "Terms—drones, drag\nI. INTRODUCTION\n";
  rag_doc_init(&doc);
  rag_meta_from_first_page(&doc, ieee, strlen(ieee));
  cr_expect_str_eq(doc.bib.abstract, "We measure the drag of small drones in gusty wind.");
  cr_expect_str_eq(doc.bib.keywords, "drones; drag");
  rag_doc_free(&doc);
}

Test(rag_meta, junk_titles) {
  const char *junk[] = {"Microsoft Word - draft.docx",
                        "untitled",
                        "Untitled-1",
                        "Document1",
                        "draft_v3.pdf",
                        "C:\\papers\\x.doc",
                        "13.1. Introduction",
                        "1 Introduction",
                        "Introduction",
                        "Abstract",
                        "report.tex",
                        "PowerPoint Presentation",
                        "Slide 1",
                        "---",
                        "12",
                        NULL};
  for (int i = 0; junk[i]; i++) cr_expect(rag_meta_title_is_junk(junk[i]), "junk: %s", junk[i]);
  const char *real[] = {"Attention Is All You Need",
                        "Flow Studies",
                        "BERT: Pre-training of Deep Bidirectional",
                        "데비안 운영체제의 역사",
                        "2001: A Space Odyssey Revisited",
                        "Café guide",
                        NULL};
  for (int i = 0; real[i]; i++) cr_expect(!rag_meta_title_is_junk(real[i]), "real: %s", real[i]);
}

Test(rag_meta, doi_and_arxiv_patterns) {
  char out[320];
  const char *s = "see https://doi.org/10.1000/xyz-123.abc). Next";
  cr_assert(rag_meta_find_doi(s, strlen(s), out, sizeof out));
  cr_expect_str_eq(out, "10.1000/xyz-123.abc");
  s = "(doi:10.1103/PhysRevLett.116.061102)";
  cr_assert(rag_meta_find_doi(s, strlen(s), out, sizeof out));
  cr_expect_str_eq(out, "10.1103/PhysRevLett.116.061102");
  /* in running text only a DOI labelled as one is the document's */
  rag_doc_t doc;
  rag_doc_init(&doc);
  const char *both = "As shown by Smith (10.1000/cited.1), kelp grows. Our data: doi:10.1000/ours.2";
  rag_doc_para(&doc, both, strlen(both));
  rag_meta_finish(&doc);
  cr_expect_str_eq(doc.bib.doi, "10.1000/ours.2");
  rag_doc_free(&doc);
  rag_doc_init(&doc);
  rag_doc_para(&doc, both, 48);
  rag_meta_finish(&doc);
  cr_expect_null(doc.bib.doi, "a cited DOI is not the document's");
  rag_doc_free(&doc);
  s = "version 10.2 of the code, 110.12345/x";
  cr_expect(!rag_meta_find_doi(s, strlen(s), out, sizeof out));
  s = "preprint arXiv: hep-th/9901001v1 and more";
  cr_assert(rag_meta_find_arxiv(s, strlen(s), 0, out, sizeof out));
  cr_expect_str_eq(out, "hep-th/9901001v1");
  s = "https://arxiv.org/abs/1706.03762";
  cr_assert(rag_meta_find_arxiv(s, strlen(s), 0, out, sizeof out));
  cr_expect_str_eq(out, "1706.03762");
  s = "table 2021.12345 shows";
  cr_expect(!rag_meta_find_arxiv(s, strlen(s), 0, out, sizeof out), "bare numbers need the arXiv prefix");
}

Test(rag_meta, xmp_packet) {
  const char *xmp =
      "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
      "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:prism=\"http://prismstandard.org/namespaces/basic/2.0/\" prism:doi=\"10.5555/abc.2020.1\" "
      "prism:publicationName=\"Journal of Tests\">"
      "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Deep Tests of XMP</rdf:li></rdf:Alt></dc:title>"
      "<dc:creator><rdf:Seq><rdf:li>Ann Smith</rdf:li><rdf:li>Bo Kim</rdf:li></rdf:Seq></dc:creator>"
      "<dc:subject><rdf:Bag><rdf:li>xmp</rdf:li><rdf:li>metadata</rdf:li></rdf:Bag></dc:subject>"
      "<prism:coverDate>2020-03-01</prism:coverDate>"
      "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
  rag_doc_t doc;
  rag_doc_init(&doc);
  rag_meta_from_xmp(&doc, xmp, strlen(xmp));
  cr_expect_str_eq(doc.bib.title, "Deep Tests of XMP");
  cr_expect_str_eq(doc.bib.authors, "Ann Smith; Bo Kim");
  cr_expect_str_eq(doc.bib.doi, "10.5555/abc.2020.1");
  cr_expect_str_eq(doc.bib.venue, "Journal of Tests");
  cr_expect_str_eq(doc.bib.keywords, "xmp; metadata");
  cr_expect_str_eq(doc.bib.year, "2020");
  cr_expect_str_eq(src_of(&doc, "doi"), "xmp");
  rag_doc_free(&doc);
}

Test(rag_meta, docx_core_properties) {
  const char *body =
      "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>Pump Results</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>The pump works, see doi 10.4321/pump.7 for details.</w:t></w:r></w:p>";
  cr_assert_eq(rs_write_docx_core(path_of("core.docx"), body,
                                  "<dc:title>Pump Performance Study</dc:title><dc:creator>Ann Lee; Bo Park"
                                  "</dc:creator><cp:keywords>pumps, hydraulics</cp:keywords>"
                                  "<dc:description>A study of how small pumps perform under load.</dc:description>"
                                  "<dc:language>en-GB</dc:language>"
                                  "<dcterms:created>2018-02-03T00:00:00Z</dcterms:created>"),
               0);
  rag_doc_t doc;
  parse_path("core.docx", &doc);
  cr_expect_str_eq(doc.bib.title, "Pump Performance Study");
  cr_expect_str_eq(doc.bib.authors, "Ann Lee; Bo Park");
  cr_expect_str_eq(doc.bib.keywords, "pumps; hydraulics");
  cr_expect_str_eq(doc.bib.abstract, "A study of how small pumps perform under load.");
  cr_expect_str_eq(doc.bib.language, "en-GB");
  cr_expect_str_eq(doc.bib.year, "2018");
  cr_expect_str_eq(doc.bib.doi, "10.4321/pump.7", "DOI found in the text");
  rag_doc_free(&doc);

  /* a placeholder core title gives way to the first heading */
  cr_assert_eq(rs_write_docx_core(path_of("doc1.docx"), body, "<dc:title>Document1</dc:title>"), 0);
  parse_path("doc1.docx", &doc);
  cr_expect_str_eq(doc.bib.title, "Pump Results");
  cr_expect_str_eq(src_of(&doc, "title"), "heading");
  rag_doc_free(&doc);
}

Test(rag_meta, html_citation_dc_and_opengraph) {
  const char *html =
      "<!DOCTYPE html><html lang=\"en\"><head><title>Site | Article page</title>"
      "<meta property=\"og:title\" content=\"OG title\">"
      "<meta name=\"DC.title\" content=\"DC title\">"
      "<meta name=\"citation_title\" content=\"Grain Boundaries in Copper\">"
      "<meta name=\"citation_author\" content=\"Lee, Ann\">"
      "<meta name=\"citation_author\" content=\"Park, Bo\">"
      "<meta name=\"DC.creator\" content=\"Someone Else\">"
      "<meta name=\"citation_publication_date\" content=\"2017/06/01\">"
      "<meta name=\"citation_journal_title\" content=\"Acta Materialia\">"
      "<meta name=\"citation_doi\" content=\"doi:10.1016/j.actamat.2017.01.001\">"
      "<meta name=\"citation_keywords\" content=\"copper; grain boundaries\">"
      "</head><body><p>Grain boundaries move under stress.</p></body></html>";
  rs_write_file(path_of("c.html"), html, strlen(html));
  rag_doc_t doc;
  parse_path("c.html", &doc);
  cr_expect_str_eq(doc.bib.title, "Grain Boundaries in Copper");
  cr_expect_str_eq(doc.bib.authors, "Lee, Ann; Park, Bo", "repeated citation_author tags, comma names kept whole");
  cr_expect_str_eq(doc.bib.year, "2017");
  cr_expect_str_eq(doc.bib.venue, "Acta Materialia");
  cr_expect_str_eq(doc.bib.doi, "10.1016/j.actamat.2017.01.001");
  cr_expect_str_eq(doc.bib.keywords, "copper; grain boundaries");
  cr_expect_str_eq(doc.bib.language, "en");
  cr_expect_str_eq(src_of(&doc, "title"), "html-citation");
  rag_doc_free(&doc);

  const char *dc =
      "<html><head><title>Fallback</title><meta property=\"og:title\" content=\"OG title\">"
      "<meta name=\"DC.title\" content=\"The Dublin Core Title\"><meta name=\"DC.creator\" content=\"Mia Wong\">"
      "</head><body><p>Text.</p></body></html>";
  rs_write_file(path_of("dc.html"), dc, strlen(dc));
  parse_path("dc.html", &doc);
  cr_expect_str_eq(doc.bib.title, "The Dublin Core Title");
  cr_expect_str_eq(doc.bib.authors, "Mia Wong");
  rag_doc_free(&doc);

  const char *og =
      "<html><head><title>Fallback page</title><meta property=\"og:title\" content=\"Open Graph Title\">"
      "</head><body><p>Text.</p></body></html>";
  rs_write_file(path_of("og.html"), og, strlen(og));
  parse_path("og.html", &doc);
  cr_expect_str_eq(doc.bib.title, "Open Graph Title");
  rag_doc_free(&doc);
}

Test(rag_meta, markdown_front_matter) {
  const char *md =
      "---\n"
      "title: \"Notes on Kelp Forests\"\n"
      "authors:\n"
      "  - Ann Lee\n"
      "  - 'Bo Park'\n"
      "date: 2022-04-05\n"
      "tags: [ecology, kelp]\n"
      "doi: https://doi.org/10.7777/kelp.1\n"
      "abstract: >\n"
      "  Kelp forests grow along cold coasts\n"
      "  and shelter many fish.\n"
      "lang: en\n"
      "---\n"
      "# A heading that is not the title\n\n"
      "Kelp grows fast.\n";
  rs_write_file(path_of("k.md"), md, strlen(md));
  rag_doc_t doc;
  parse_path("k.md", &doc);
  cr_expect_str_eq(doc.bib.title, "Notes on Kelp Forests");
  cr_expect_str_eq(doc.bib.authors, "Ann Lee; Bo Park");
  cr_expect_str_eq(doc.bib.year, "2022");
  cr_expect_str_eq(doc.bib.keywords, "ecology; kelp");
  cr_expect_str_eq(doc.bib.doi, "10.7777/kelp.1");
  cr_expect_str_eq(doc.bib.abstract, "Kelp forests grow along cold coasts and shelter many fish.");
  cr_expect_str_eq(doc.bib.language, "en");
  cr_expect(strstr(doc.text.data, "title:") == NULL, "front matter is not text: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "Kelp grows fast.") != NULL);
  rag_doc_free(&doc);

  const char *plain = "# Only a Heading\n\nBody.\n";
  rs_write_file(path_of("h.md"), plain, strlen(plain));
  parse_path("h.md", &doc);
  cr_expect_str_eq(doc.bib.title, "Only a Heading");
  rag_doc_free(&doc);
}

Test(rag_meta, edits_are_validated_and_name_the_field) {
  char field[32], err[256];
  rag_meta_edit_t e;
  json_t *b = json_pack("{s:[i,i]}", "authors", 1, 2);
  cr_expect_eq(rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err), -1);
  cr_expect_str_eq(field, "authors");
  json_decref(b);
  b = json_pack("{s:i}", "year", 99999);
  cr_expect_eq(rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err), -1);
  cr_expect_str_eq(field, "year");
  json_decref(b);
  b = json_pack("{s:s}", "doi", "not a doi");
  cr_expect_eq(rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err), -1);
  cr_expect_str_eq(field, "doi");
  json_decref(b);
  b = json_pack("{s:s}", "title", "");
  cr_expect_eq(rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err), -1);
  cr_expect_str_eq(field, "title");
  json_decref(b);
  b = json_pack("{s:[s,s], s:s, s:s, s:s, s:n, s:s}", "authors", "Ann Lee", "Bo Park", "year", "2019", "doi",
                "https://doi.org/10.1234/ABC.5", "arxiv_id", "arXiv:2101.00001v3", "venue", "keywords", "a, b;c");
  cr_assert_eq(rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err), 0, "%s", err);
  cr_expect_str_eq(e.m.authors, "Ann Lee; Bo Park");
  cr_expect_str_eq(e.m.year, "2019");
  cr_expect_str_eq(e.m.doi, "10.1234/ABC.5");
  cr_expect_str_eq(e.m.arxiv_id, "2101.00001v3");
  cr_expect_str_eq(e.m.venue, "", "null clears");
  cr_expect_str_eq(e.m.keywords, "a; b; c");
  cr_expect_null(e.m.title, "absent fields stay unchanged");
  rag_meta_edit_free(&e);
  json_decref(b);
}
