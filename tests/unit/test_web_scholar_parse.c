/* test_web_scholar_parse.c - the scholarly wire formats, parsed from the real
 * captured answers in tests/fixtures/payloads/academic/ (see its README for
 * where each comes from and the traps each one holds). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "web/scholar.h"

static char *fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fixtures/payloads/academic/%s", MAESTRO_SOURCE_DIR, name);
  char *s = util_read_file(path, len);
  cr_assert_not_null(s, "cannot read %s", path);
  return s;
}

typedef int (*parse_fn)(const char *, size_t, long, scholar_papers_t *, char *, size_t);

static void parse_ok(parse_fn f, const char *name, scholar_papers_t *out) {
  size_t len;
  char *b = fixture(name, &len);
  char err[600] = "";
  memset(out, 0, sizeof *out);
  cr_assert_eq(f(b, len, 200, out, err, sizeof err), 0, "%s: %s", name, err);
  free(b);
}

static void parse_fails(parse_fn f, const char *name, long status, const char *want) {
  size_t len;
  char *b = fixture(name, &len);
  char err[600] = "";
  scholar_papers_t out = {0};
  cr_assert_eq(f(b, len, status, &out, err, sizeof err), -1, "%s was taken for results", name);
  cr_assert_eq(out.n, 0, "%s: an error became %zu results", name, out.n);
  cr_assert(strstr(err, want), "%s: error '%s' does not say '%s'", name, err, want);
  scholar_papers_free(&out);
  free(b);
}

Test(scholar_parse, arxiv_current_feed) {
  scholar_papers_t r;
  parse_ok(scholar_parse_arxiv, "arxiv_query.atom.xml", &r);
  cr_assert_eq(r.n, 10);
  scholar_paper_t *p = &r.v[0];
  cr_assert_str_eq(p->arxiv_id, "2202.12139");
  cr_assert_str_eq(p->title, "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques");
  cr_assert_str_eq(p->doi, "10.1109/icstw55395.2022.00035");
  cr_assert_str_eq(p->year, "2022");
  cr_assert_str_eq(p->pdf_url, "https://arxiv.org/pdf/2202.12139v1");
  cr_assert(p->authors && strchr(p->authors, ','), "several authors: %s", p->authors);
  cr_assert(p->abstract && strlen(p->abstract) > 100);
  /* v2/v3 ids lose their version, papers without a DOI have none */
  int v3 = 0, nodoi = 0;
  for (size_t i = 0; i < r.n; i++) {
    v3 |= strcmp(r.v[i].arxiv_id, "2204.08348") == 0;
    nodoi += r.v[i].doi == NULL;
    cr_assert_str_eq(r.v[i].provider, "arxiv");
  }
  cr_assert(v3, "2204.08348v3 kept its version");
  cr_assert_geq(nodoi, 1);
  scholar_papers_free(&r);
}

Test(scholar_parse, arxiv_legacy_2016_and_old_style_ids) {
  scholar_papers_t r;
  parse_ok(scholar_parse_arxiv, "arxiv_query_legacy_2016.atom.xml", &r);
  cr_assert_geq(r.n, 1);
  for (size_t i = 0; i < r.n; i++) {
    cr_assert(r.v[i].title && !strchr(r.v[i].title, '\n'), "hard-wrapped title kept its newline");
    cr_assert(r.v[i].abstract && r.v[i].abstract[0] != ' ', "summary not trimmed");
    cr_assert(!strstr(r.v[i].abstract, "  "), "summary whitespace not collapsed");
    cr_assert_not_null(r.v[i].authors);
  }
  scholar_papers_free(&r);
  parse_ok(scholar_parse_arxiv, "arxiv_id_list_oldstyle_id.atom.xml", &r);
  cr_assert_eq(r.n, 1);
  cr_assert_str_eq(r.v[0].arxiv_id, "astro-ph/0601001");
  cr_assert(r.v[0].abstract[0] != ' ');
  scholar_papers_free(&r);
  parse_ok(scholar_parse_arxiv, "arxiv_empty_result.atom.xml", &r);
  cr_assert_eq(r.n, 0);
  scholar_papers_free(&r);
}

Test(scholar_parse, arxiv_error_feed_is_an_error) {
  parse_fails(scholar_parse_arxiv, "arxiv_error_invalid_id.atom.xml", 400, "HTTP 400");
  /* even when a proxy hid the status, the error entry is not a paper */
  parse_fails(scholar_parse_arxiv, "arxiv_error_invalid_id.atom.xml", 200, "incorrect id format");
  char err[200];
  scholar_papers_t out = {0};
  cr_assert_eq(scholar_parse_arxiv("<html>oops</html>", 17, 502, &out, err, sizeof err), -1);
  cr_assert_eq(scholar_parse_arxiv("", 0, 200, &out, err, sizeof err), -1);
}

Test(scholar_parse, openalex_inverted_abstract_doi_url_and_nulls) {
  scholar_papers_t r;
  parse_ok(scholar_parse_openalex, "openalex_works_title_search.json", &r);
  cr_assert_eq(r.n, 1);
  scholar_paper_t *p = &r.v[0];
  cr_assert_str_eq(p->title, "PaperQA: Retrieval-Augmented Generative Agent for Scientific Research");
  cr_assert_str_eq(p->doi, "10.48550/arxiv.2312.07559");
  cr_assert_str_eq(p->arxiv_id, "2312.07559");
  cr_assert_str_eq(p->year, "2023");
  cr_assert(util_starts_with(p->authors, "Jakub Lála, Odhran O’Donoghue"), "%s", p->authors);
  cr_assert(util_starts_with(p->abstract, "Large Language Models (LLMs) generalize well across language tasks"), "%s",
            p->abstract);
  cr_assert_null(p->pdf_url, "the landing page oa_url was taken for a PDF: %s", p->pdf_url);
  scholar_papers_free(&r);

  parse_ok(scholar_parse_openalex, "openalex_works_search.json", &r);
  cr_assert_eq(r.n, 4);
  cr_assert_str_eq(r.v[0].venue, "International Affairs");
  cr_assert_str_eq(r.v[0].authors, "Michael C. Rubino");
  cr_assert(util_starts_with(r.v[0].abstract, "The 1992 Convention on Biological Diversity (CBD)"));
  cr_assert_null(r.v[2].abstract, "a null inverted index gave an abstract");
  cr_assert_null(r.v[3].doi, "a null doi gave one");
  cr_assert_not_null(r.v[3].url);
  cr_assert_str_eq(
      r.v[1].pdf_url,
      "https://publications.iadb.org/publications/english/document/Financing-Biodiversity-Conservation.pdf");
  scholar_papers_free(&r);
}

Test(scholar_parse, openalex_error) {
  parse_fails(scholar_parse_openalex, "openalex_error_invalid_filter.json", 400, "HTTP 400");
}

Test(scholar_parse, openalex_inverted_index_order) {
  json_t *inv = json_pack("{s:[i,i], s:[i], s:[i]}", "the", 0, 2, "cat", 1, "mat", 3);
  char *t = scholar_openalex_abstract(inv);
  cr_assert_str_eq(t, "the cat the mat");
  free(t);
  json_decref(inv);
  cr_assert_null(scholar_openalex_abstract(json_null()));
}

Test(scholar_parse, crossref_arrays_jats_and_missing_fields) {
  scholar_papers_t r;
  parse_ok(scholar_parse_crossref, "crossref_works_query_author.json", &r);
  cr_assert_geq(r.n, 4);
  scholar_paper_t *p = &r.v[0];
  cr_assert_str_eq(p->doi, "10.1111/ele.14024");
  cr_assert_str_eq(p->title, "The forecast trap");
  cr_assert_str_eq(p->venue, "Ecology Letters");
  cr_assert_str_eq(p->year, "2022");
  cr_assert(util_starts_with(p->authors, "Carl Boettiger"), "%s", p->authors);
  cr_assert(p->abstract && util_starts_with(p->abstract, "Encouraged by decision makers"), "%s", p->abstract);
  cr_assert(!strchr(p->abstract, '<'), "JATS tags left: %s", p->abstract);
  cr_assert_null(r.v[3].venue, "posted content has no container title");
  cr_assert_str_eq(r.v[3].year, "2016");
  scholar_papers_free(&r);
  parse_ok(scholar_parse_crossref, "crossref_works_query.json", &r);
  cr_assert_geq(r.n, 2);
  cr_assert_str_eq(r.v[0].title, "Communicating Ecology");
  cr_assert_null(r.v[0].authors, "a reference entry without authors got some");
  scholar_papers_free(&r);
}

Test(scholar_parse, crossref_errors) {
  parse_fails(scholar_parse_crossref, "crossref_error_invalid_cursor.json", 400, "HTTP 400");
  char err[300];
  scholar_papers_t out = {0};
  cr_assert_eq(scholar_parse_crossref("Resource not found.", 19, 404, &out, err, sizeof err), -1);
  cr_assert(strstr(err, "Resource not found."), "%s", err);
}

Test(scholar_parse, semantic_scholar_ids_and_empty_pdf) {
  scholar_papers_t r;
  parse_ok(scholar_parse_semantic_scholar, "semanticscholar_paper_search.json", &r);
  cr_assert_eq(r.n, 5);
  cr_assert_str_eq(r.v[0].arxiv_id, "2503.23674");
  cr_assert_null(r.v[0].pdf_url, "an empty openAccessPdf.url became a link");
  cr_assert_str_eq(r.v[1].doi, "10.1073/pnas.2313925121");
  cr_assert_str_eq(r.v[1].pmid, "38386710");
  cr_assert_str_eq(r.v[1].pdf_url, "https://www.pnas.org/doi/pdf/10.1073/pnas.2313925121");
  cr_assert_str_eq(r.v[1].year, "2024");
  cr_assert_null(r.v[2].abstract, "an elided abstract came back");
  scholar_papers_free(&r);
  parse_ok(scholar_parse_semantic_scholar, "semanticscholar_paper_search_match.json", &r);
  cr_assert_eq(r.n, 1);
  cr_assert_str_eq(r.v[0].doi, "10.48550/arxiv.2312.07559");
  cr_assert_str_eq(r.v[0].arxiv_id, "2312.07559");
  scholar_papers_free(&r);
}

Test(scholar_parse, semantic_scholar_429) {
  parse_fails(scholar_parse_semantic_scholar, "semanticscholar_error_429.json", 429, "Too Many Requests");
}

Test(scholar_parse, pubmed_esearch_json_and_xml) {
  size_t len;
  char err[400];
  json_t *ids = NULL;
  char *b = fixture("pubmed_esearch.json", &len);
  cr_assert_eq(scholar_parse_pubmed_esearch(b, len, 200, &ids, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(ids), 20);
  cr_assert(json_is_string(json_array_get(ids, 0)));
  json_decref(ids);
  free(b);
  b = fixture("pubmed_esearch.xml", &len);
  cr_assert_eq(scholar_parse_pubmed_esearch(b, len, 200, &ids, err, sizeof err), 0, "%s", err);
  cr_assert_geq(json_array_size(ids), 1);
  json_decref(ids);
  free(b);
  const char *e = "{\"esearchresult\": {\"ERROR\": \"Invalid query\"}}";
  cr_assert_eq(scholar_parse_pubmed_esearch(e, strlen(e), 200, &ids, err, sizeof err), -1);
  cr_assert(strstr(err, "Invalid query"), "%s", err);
}

Test(scholar_parse, pubmed_efetch_structured_abstract_and_own_doi) {
  scholar_papers_t r;
  parse_ok(scholar_parse_pubmed_efetch, "pubmed_efetch.xml", &r);
  cr_assert_eq(r.n, 1);
  scholar_paper_t *p = &r.v[0];
  cr_assert_str_eq(p->pmid, "22351513");
  cr_assert(p->abstract && strstr(p->abstract, "BACKGROUND: ") && strstr(p->abstract, "\n\n"),
            "labelled sections not joined: %s", p->abstract);
  cr_assert_not_null(p->authors);
  cr_assert_not_null(p->year);
  cr_assert_not_null(p->venue);
  scholar_papers_free(&r);
  parse_ok(scholar_parse_pubmed_efetch, "pubmed_efetch_unstructured_abstract.xml", &r);
  cr_assert_eq(r.n, 1);
  p = &r.v[0];
  cr_assert_str_eq(p->pmid, "29915538");
  cr_assert(p->abstract && strstr(p->abstract, "Background:"), "inline markup lost its text: %.200s", p->abstract);
  cr_assert_not_null(p->doi);
  scholar_papers_free(&r);
}

Test(scholar_parse, pubmed_esummary) {
  scholar_papers_t r;
  parse_ok(scholar_parse_pubmed_esummary, "pubmed_esummary.json", &r);
  cr_assert_eq(r.n, 1);
  cr_assert_str_eq(r.v[0].pmid, "23220880");
  cr_assert_str_eq(r.v[0].year, "2013");
  cr_assert(util_starts_with(r.v[0].authors, "Bose R"), "%s", r.v[0].authors);
  cr_assert_not_null(r.v[0].doi);
  scholar_papers_free(&r);
}

Test(scholar_parse, merge_by_doi_arxiv_and_title) {
  scholar_papers_t a = {0}, out = {0};
  parse_ok(scholar_parse_openalex, "openalex_works_title_search.json", &a);
  scholar_merge(&a, &out);
  parse_ok(scholar_parse_semantic_scholar, "semanticscholar_paper_search_match.json", &a);
  scholar_merge(&a, &out);
  cr_assert_eq(out.n, 1, "the same paper from two providers appears %zu times", out.n);
  cr_assert_str_eq(out.v[0].provider, "openalex+semantic_scholar");
  cr_assert_str_eq(out.v[0].venue, "arXiv (Cornell University)");
  /* title-only match */
  scholar_paper_t *x = scholar_papers_add(&a);
  x->title = util_strdup("PaperQA:  retrieval-augmented generative agent for scientific research!");
  x->provider = util_strdup("crossref");
  scholar_merge(&a, &out);
  cr_assert_eq(out.n, 1);
  scholar_papers_free(&out);
}

Test(scholar_parse, helpers) {
  char *s = scholar_strip_markup("<jats:p>Big Data &amp; Society &#x207b;&#xb9; <scp>AI</scp></jats:p>");
  cr_assert_str_eq(s, "Big Data & Society \u207b\u00b9 AI");
  free(s);
  s = scholar_arxiv_canonical("http://arxiv.org/abs/astro-ph/0601001v1");
  cr_assert_str_eq(s, "astro-ph/0601001");
  free(s);
  s = scholar_doi_canonical("https://doi.org/10.1111/ELE.14024");
  cr_assert_str_eq(s, "10.1111/ele.14024");
  free(s);
  cr_assert_null(scholar_doi_canonical("https://example.org/x"));
}
