/* test_mission_text.c - quote checks, support scores, sentences, citation numbering. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "report/report.h"

Test(mission_text, quote_found_after_normalisation) {
  const char *src = "Debian\u00a0stable releases are\n  supported for \u201cabout three years\u201d by the team.";
  cr_assert(agent_quote_in("Debian stable releases are supported for \"about three years\" by the team.", src));
  cr_assert(agent_quote_in("DEBIAN STABLE RELEASES ARE SUPPORTED", src));
  cr_assert_not(agent_quote_in("Debian stable releases are supported for five years", src), "a changed quote");
  cr_assert_not(agent_quote_in("Debian", src), "too short to prove anything");
  cr_assert(agent_quote_in("데비안 안정판은 보안 팀이", "데비안 안정판은  보안 팀이 약 3년 동안 지원합니다."));
}

Test(mission_text, support_score) {
  cr_assert_gt(text_support("Debian stable is supported for three years",
                             "Debian stable releases are supported for about three years"),
               0.7);
  cr_assert_lt(text_support("The moon is made of green cheese", "Debian stable releases are supported"), 0.2);
  cr_assert_gt(
      text_support("데비안 안정판은 3년 동안 지원됩니다", "데비안 안정판은 보안 팀이 약 3년 동안 지원합니다."), 0.5);
}

Test(mission_text, sentences_keep_markers) {
  json_t *s = agent_sentences("One claim. [#0123456789abcdef] Two claims [#0123456789abcdef]. 세 번째。 Last");
  cr_assert_eq(json_array_size(s), 4);
  cr_assert_str_eq(json_string_value(json_array_get(s, 0)), "One claim. [#0123456789abcdef]");
  json_decref(s);
  cr_assert_str_eq(agent_detect_language("데비안은 무엇인가요?"), "ko");
  cr_assert_str_eq(agent_detect_language("What is Debian?"), "en");
}

Test(mission_text, local_citations_and_numbering) {
  json_t *notes = json_pack("[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:i}, {s:s, s:s, s:s}]", "id", "aaaaaaaaaaaaaaaa",
                            "document_id", "d1", "source_title", "Doc", "page", 2, "id", "bbbbbbbbbbbbbbbb",
                            "document_id", "d1", "source_title", "Doc", "page", 2, "id", "cccccccccccccccc", "url",
                            "https://example.org/x", "source_title", "Web");
  char *t = agent_localize_citations("A [3]. B [1, 2]. C [9]. D [x].", notes);
  cr_assert_str_eq(t, "A [#cccccccccccccccc]. B [#aaaaaaaaaaaaaaaa][#bbbbbbbbbbbbbbbb]. C . D [x].");
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "One");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content", t);
  report_input_t in = {.title = "T", .language = "en", .sections = secs, .drafts = drafts, .notes = notes};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  /* numbered by first appearance; two notes of one page share a number */
  cr_assert(strstr(md, "A [1]. B [2]. C ."), "%s", md);
  cr_assert(strstr(md, "1. Web, <https://example.org/x>"), "%s", md);
  cr_assert(strstr(md, "2. Doc, p. 2\n"), "%s", md);
  cr_assert_eq(json_integer_value(json_object_get(meta, "citations")), 2);
  char *html = report_html("T", md);
  cr_assert(strstr(html, "<h1>T</h1>"));
  free(html);
  free(md);
  free(t);
  json_decref(meta);
  json_decref(secs);
  json_decref(drafts);
  json_decref(notes);
}

/* References as a reader cites them: a document by title, file name,
 * authors, year and page, with no access date; a web page with its URL and
 * access date. Each [n] says which of its source's notes it cites. */
Test(mission_text, references_and_cited_notes) {
  json_t *notes =
      json_pack("[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s}]", "id", "aaaaaaaaaaaaaaaa",
                "document_id", "d1", "source_title", "Grid Storage", "authors", "Kim, Lee", "page", 4, "id",
                "bbbbbbbbbbbbbbbb", "document_id", "d1", "source_title", "Grid Storage", "authors", "Kim, Lee", "page",
                4, "id", "cccccccccccccccc", "url", "https://example.org/x", "source_title", "Web page");
  json_t *docs = json_pack("{s:{s:s, s:s}}", "d1", "filename", "grid-storage.pdf", "year", "2021");
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "One");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content",
                             "A [#aaaaaaaaaaaaaaaa]. B [#cccccccccccccccc]. C [#bbbbbbbbbbbbbbbb]. "
                             "D [#aaaaaaaaaaaaaaaa][#bbbbbbbbbbbbbbbb].");
  report_input_t in = {.title = "T",
                       .language = "en",
                       .sections = secs,
                       .drafts = drafts,
                       .notes = notes,
                       .documents = docs,
                       .access_ms = 1764892800000LL};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  cr_assert(strstr(md, "A [1]. B [2]. C [1]. D [1]."), "%s", md);
  cr_assert(strstr(md, "1. Grid Storage (grid-storage.pdf), Kim, Lee, 2021, p. 4\n"), "%s", md);
  cr_assert(strstr(md, "2. Web page, <https://example.org/x> (accessed 2025-12-05)\n"), "%s", md);
  cr_assert_eq(strstr(strstr(md, "1. Grid"), "accessed"), strstr(md, "accessed"), "a document has no access date");
  json_t *r1 = json_array_get(json_object_get(meta, "references"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(r1, "kind")), "document");
  cr_assert_str_eq(json_string_value(json_object_get(r1, "filename")), "grid-storage.pdf");
  char *cites = json_dumps(json_object_get(r1, "cites"), JSON_COMPACT);
  cr_assert_str_eq(cites,
                   "[[\"aaaaaaaaaaaaaaaa\"],[\"bbbbbbbbbbbbbbbb\"],[\"aaaaaaaaaaaaaaaa\",\"bbbbbbbbbbbbbbbb\"]]");
  free(cites);
  cr_assert_eq(json_array_size(json_object_get(r1, "notes")), 2);
  free(md);
  json_decref(meta);
  json_decref(secs);
  json_decref(drafts);
  json_decref(notes);
  json_decref(docs);
}

/* An unverified sentence carries a footnote with the verifier's reason. */
Test(mission_text, unverified_footnote) {
  json_t *notes =
      json_pack("[{s:s, s:s, s:s}]", "id", "aaaaaaaaaaaaaaaa", "url", "https://example.org/x", "source_title", "Web");
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "One");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content",
                             "Good [#aaaaaaaaaaaaaaaa]. Bad claim [#aaaaaaaaaaaaaaaa]. *(unverified)* Next.");
  json_t *ver = json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b, s:s}]", "section_id", "s1", "sentence",
                          "Good [#aaaaaaaaaaaaaaaa].", "supported", 1, "section_id", "s1", "sentence",
                          "Bad claim [#aaaaaaaaaaaaaaaa].", "supported", 0, "reason", "the source says nothing of it");
  report_input_t in = {
      .title = "T", .language = "en", .sections = secs, .drafts = drafts, .notes = notes, .verification = ver};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  cr_assert(strstr(md, "Bad claim [1]. *(unverified)*[^v1] Next."), "%s", md);
  cr_assert(strstr(md, "## Unverified statements\n\n[^v1]: Unverified: the source says nothing of it\n"), "%s", md);
  cr_assert_lt(strstr(md, "## Unverified"), strstr(md, "## References"));
  json_t *u = json_array_get(json_object_get(meta, "unverified"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(u, "label")), "v1");
  cr_assert_str_eq(json_string_value(json_object_get(u, "reason")), "the source says nothing of it");
  free(md);
  json_decref(meta);
  json_decref(secs);
  json_decref(drafts);
  json_decref(notes);
  json_decref(ver);
}

/* A document's reference names the work from its record: title, authors,
 * venue, year, DOI and page, with no access date. */
Test(mission_text, document_reference_names_the_work) {
  json_t *notes = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}]", "id", "aaaaaaaaaaaaaaaa", "document_id",
                            "d1", "source_title", "Turbulent Mixing in Stratified Shear Flows", "authors",
                            "Alice Martin; Bob Chen", "year", "2019", "venue", "Journal of Fluid Mechanics", "doi",
                            "10.1234/jfm.2019.567", "page", 3);
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "One");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content", "Mixing is weak [#aaaaaaaaaaaaaaaa].");
  report_input_t in = {.title = "T", .language = "en", .sections = secs, .drafts = drafts, .notes = notes};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  cr_expect(strstr(md, "1. Turbulent Mixing in Stratified Shear Flows, Alice Martin; Bob Chen, Journal of Fluid "
                       "Mechanics, 2019, doi:10.1234/jfm.2019.567, p. 3\n"),
            "%s", md);
  cr_expect_null(strstr(md, "accessed"), "%s", md);
  json_t *ref = json_array_get(json_object_get(meta, "references"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(ref, "year")), "2019");
  cr_expect_str_eq(json_string_value(json_object_get(ref, "doi")), "10.1234/jfm.2019.567");
  free(md);
  json_decref(meta);
  json_decref(secs);
  json_decref(drafts);
  json_decref(notes);
}

/* The run record counts in words a reader expects: "1 search, 1 distinct
 * passage read", "3 searches, 2 distinct passages read". */
Test(mission_text, run_record_counts_agree_with_their_nouns) {
  json_t *notes =
      json_pack("[{s:s, s:s, s:s}]", "id", "aaaaaaaaaaaaaaaa", "url", "https://example.org/x", "source_title", "Web");
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "One");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content", "Claim [#aaaaaaaaaaaaaaaa].");
  const int counts[2][2] = {{1, 1}, {3, 2}};
  const char *want[2] = {"(1 search, 1 distinct passage read)", "(3 searches, 2 distinct passages read)"};
  for (int i = 0; i < 2; i++) {
    json_t *rec = json_pack("{s:s, s:i, s:i}", "depth", "quick", "searches", counts[i][0], "passages_read",
                            counts[i][1]);
    report_input_t in = {
        .title = "T", .language = "en", .sections = secs, .drafts = drafts, .notes = notes, .record = rec};
    char *md = report_markdown(&in, NULL);
    cr_expect(strstr(md, want[i]), "wanted %s in:\n%s", want[i], md);
    free(md);
    json_decref(rec);
  }
  json_decref(secs);
  json_decref(drafts);
  json_decref(notes);
}

/* Two web pages whose addresses share a long prefix are two sources: notes
 * are unique per source and the "what changed" diff compares sources. */
Test(mission_text, web_source_key_covers_whole_url) {
  const char *base = "https://example.org/reports/2026/annual-review-of-the-research-programme/section-";
  char u1[256], u2[256];
  snprintf(u1, sizeof u1, "%sone", base);
  snprintf(u2, sizeof u2, "%stwo", base);
  passage_t a = {.web = 1, .url = u1, .text = "text", .title = "A"};
  passage_t b = {.web = 1, .url = u2, .text = "text", .title = "B"};
  passage_t c = {.web = 1, .url = u1, .text = "other", .title = "A again"};
  json_t *na = research_note(&a, "q", "", 5), *nb = research_note(&b, "q", "", 5), *nc = research_note(&c, "q", "", 5);
  const char *ka = json_string_value(json_object_get(na, "source_key"));
  const char *kb = json_string_value(json_object_get(nb, "source_key"));
  const char *kc = json_string_value(json_object_get(nc, "source_key"));
  cr_assert_str_neq(ka, kb, "pages sharing %zu leading characters must be different sources", strlen(base));
  cr_assert_str_eq(ka, kc, "the same page is one source");
  cr_assert_str_eq(json_string_value(json_object_get(nb, "url")), u2, "the note keeps the whole address");
  json_decref(na);
  json_decref(nb);
  json_decref(nc);
}
