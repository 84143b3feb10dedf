/*
 * test_cite.c - the citation formatter (src/report/cite.c) against entries
 * written out by hand from the style manuals: the APA 7 manual's journal
 * article example (Grady et al., 2019) in all four styles, a book, a web
 * page without author or date, in-text citations, the rendering of [@N]
 * markers with the reference list (alphabetical, or by first citation for
 * IEEE), page-range abbreviation, more than 20 / 6 authors, Korean names,
 * BibTeX and RIS.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "report/cite.h"

static json_t *grady(void) {
  return json_pack(
      "{s:s, s:[s,s,s,s,s], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "type", "article", "authors", "Jessica S. Grady",
      "Malena Her", "Geena Moreno", "Catherine Perez", "Jillian Yelinek", "year", "2019", "title",
      "Emotions in storybooks: A comparison of storybooks that represent ethnic and racial groups in the United States",
      "venue", "Psychology of Popular Media Culture", "volume", "8", "issue", "3", "pages", "207-217", "doi",
      "10.1037/ppm0000185", "n", 2);
}

static json_t *kahneman(void) {
  return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "type", "book", "authors", "Daniel Kahneman", "title",
                   "Thinking, fast and slow", "publisher", "Farrar, Straus and Giroux", "year", 2011, "n", 1);
}

static json_t *who(void) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "type", "web", "title", "Climate change", "venue",
                   "World Health Organization", "url", "https://www.who.int/health-topics/climate-change", "accessed",
                   "2026-06-05", "n", 3);
}

static void expect(json_t *ref, cite_style_t st, const char *want) {
  char *got = cite_reference(ref, st);
  cr_expect_str_eq(got, want, "%s:\n got: %s\nwant: %s", cite_style_name(st), got, want);
  free(got);
}

#define GRADY_TITLE \
  "Emotions in storybooks: A comparison of storybooks that represent ethnic and racial groups in the United States"

Test(cite, journal_article_in_the_four_styles) {
  json_t *r = grady();
  expect(r, CITE_APA,
         "Grady, J. S., Her, M., Moreno, G., Perez, C., & Yelinek, J. (2019). " GRADY_TITLE
         ". *Psychology of Popular Media Culture*, *8*(3), 207–217. https://doi.org/10.1037/ppm0000185");
  expect(r, CITE_MLA,
         "Grady, Jessica S., et al. \"" GRADY_TITLE
         ".\" *Psychology of Popular Media Culture*, vol. 8, no. 3, 2019, pp. 207–17, "
         "https://doi.org/10.1037/ppm0000185.");
  expect(r, CITE_CHICAGO,
         "Grady, Jessica S., Malena Her, Geena Moreno, Catherine Perez, and Jillian Yelinek. 2019. \"" GRADY_TITLE
         ".\" *Psychology of Popular Media Culture* 8 (3): 207–17. https://doi.org/10.1037/ppm0000185.");
  expect(r, CITE_IEEE,
         "J. S. Grady, M. Her, G. Moreno, C. Perez, and J. Yelinek, \"" GRADY_TITLE
         ",\" *Psychology of Popular Media Culture*, vol. 8, no. 3, pp. 207–217, 2019, doi: 10.1037/ppm0000185.");
  json_decref(r);
}

Test(cite, book_in_the_four_styles) {
  json_t *r = kahneman();
  expect(r, CITE_APA, "Kahneman, D. (2011). *Thinking, fast and slow*. Farrar, Straus and Giroux.");
  expect(r, CITE_MLA, "Kahneman, Daniel. *Thinking, fast and slow*. Farrar, Straus and Giroux, 2011.");
  expect(r, CITE_CHICAGO, "Kahneman, Daniel. 2011. *Thinking, fast and slow*. Farrar, Straus and Giroux.");
  expect(r, CITE_IEEE, "D. Kahneman, *Thinking, fast and slow*. Farrar, Straus and Giroux, 2011.");
  json_object_set_new(r, "authors", json_string("Daniel Kahneman and Amos Tversky"));
  expect(r, CITE_CHICAGO,
         "Kahneman, Daniel, and Amos Tversky. 2011. *Thinking, fast and slow*. Farrar, Straus and Giroux.");
  expect(r, CITE_MLA,
         "Kahneman, Daniel, and Amos Tversky. *Thinking, fast and slow*. Farrar, Straus and Giroux, 2011.");
  expect(r, CITE_APA, "Kahneman, D., & Tversky, A. (2011). *Thinking, fast and slow*. Farrar, Straus and Giroux.");
  expect(r, CITE_IEEE, "D. Kahneman and A. Tversky, *Thinking, fast and slow*. Farrar, Straus and Giroux, 2011.");
  json_decref(r);
}

Test(cite, web_page_without_author_or_date) {
  json_t *r = who();
  expect(r, CITE_APA,
         "*Climate change*. (n.d.). World Health Organization. https://www.who.int/health-topics/climate-change");
  expect(r, CITE_MLA,
         "\"Climate change.\" *World Health Organization*, https://www.who.int/health-topics/climate-change. "
         "Accessed 5 June 2026.");
  expect(r, CITE_CHICAGO,
         "\"Climate change.\" n.d. World Health Organization. Accessed June 5, 2026. "
         "https://www.who.int/health-topics/climate-change.");
  expect(r, CITE_IEEE,
         "\"Climate change,\" World Health Organization. Accessed: Jun. 5, 2026. [Online]. Available: "
         "https://www.who.int/health-topics/climate-change");
  json_decref(r);
}

Test(cite, in_text_citations) {
  json_t *one = json_pack("[o]", grady()), *two = json_pack("[o,o]", kahneman(), grady());
  json_t *pair = json_pack("[{s:s, s:s}]", "authors", "Ann Lee and Bo Kim", "year", "2020");
  json_t *three = json_pack("[{s:s, s:s}]", "authors", "Ann Lee, Bo Kim, and Cy Park", "year", "2021");
  struct {
    json_t *refs;
    cite_style_t st;
    const char *want;
  } cases[] = {
      {one, CITE_APA, "(Grady et al., 2019)"},    {one, CITE_MLA, "(Grady et al.)"},
      {one, CITE_CHICAGO, "(Grady et al. 2019)"}, {two, CITE_APA, "(Kahneman, 2011; Grady et al., 2019)"},
      {pair, CITE_APA, "(Lee & Kim, 2020)"},      {pair, CITE_MLA, "(Lee and Kim)"},
      {pair, CITE_CHICAGO, "(Lee and Kim 2020)"}, {three, CITE_CHICAGO, "(Lee, Kim, and Park 2021)"},
      {three, CITE_APA, "(Lee et al., 2021)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *t = cite_in_text(cases[i].refs, NULL, cases[i].st);
    cr_expect_str_eq(t, cases[i].want, "case %zu: %s", i, t);
    free(t);
  }
  int nums[] = {2, 1};
  char *t = cite_in_text(two, nums, CITE_IEEE);
  cr_expect_str_eq(t, "[2], [1]");
  free(t);
  json_decref(one);
  json_decref(two);
  json_decref(pair);
  json_decref(three);
}

Test(cite, render_markers_and_the_list) {
  json_t *refs = json_pack("[o,o,o]", kahneman(), grady(), who());
  const char *md = "Storybooks differ [@2]. Fast and slow [@1][@2]. Unknown [@9] stays.\n";
  json_t *labels = NULL;
  char *apa = cite_render(md, refs, CITE_APA, "en", 1, &labels);
  cr_expect(strstr(apa, "Storybooks differ (Grady et al., 2019). Fast and slow (Kahneman, 2011; Grady et al., 2019)."),
            "%s", apa);
  cr_expect(strstr(apa, "Unknown [@9] stays."), "%s", apa);
  /* the list: cited references only, alphabetical (Grady before Kahneman) */
  const char *h = strstr(apa, "## References\n\n");
  cr_assert(h, "%s", apa);
  const char *g = strstr(h, "Grady, J. S."), *k = strstr(h, "Kahneman, D.");
  cr_expect(g && k && g < k, "%s", h);
  cr_expect_null(strstr(h, "Climate change"), "an uncited reference is not listed");
  cr_expect_str_eq(json_string_value(json_object_get(labels, "3")), "(*Climate change*, n.d.)");
  json_decref(labels);
  free(apa);

  char *ieee = cite_render(md, refs, CITE_IEEE, "en", 1, NULL);
  cr_expect(strstr(ieee, "Storybooks differ [1]. Fast and slow [2], [1]."), "%s", ieee);
  cr_expect(strstr(ieee, "[1] J. S. Grady"), "%s", ieee);
  cr_expect(strstr(ieee, "[2] D. Kahneman"), "%s", ieee);
  free(ieee);

  char *mla = cite_render(md, refs, CITE_MLA, "ko", 1, NULL);
  cr_expect(strstr(mla, "## 참고 문헌"), "%s", mla);
  free(mla);
  char *mla_en = cite_render(md, refs, CITE_MLA, "en", 1, NULL);
  cr_expect(strstr(mla_en, "## Works Cited"), "%s", mla_en);
  free(mla_en);
  json_decref(refs);
}

Test(cite, page_ranges_and_many_authors) {
  json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "article", "title", "T", "venue", "J", "year", "2000",
                        "pages", "101-108");
  expect(r, CITE_CHICAGO, "\"T.\" 2000. *J*: 101–8.");
  json_object_set_new(r, "pages", json_string("321-328"));
  expect(r, CITE_MLA, "\"T.\" *J*, 2000, pp. 321–28.");
  /* 21 authors: APA lists 19, an ellipsis and the last */
  json_t *au = json_array();
  for (int i = 1; i <= 21; i++) {
    char n[32];
    snprintf(n, sizeof n, "Ann Author%d", i);
    json_array_append_new(au, json_string(n));
  }
  json_object_set_new(r, "authors", au);
  char *apa = cite_reference(r, CITE_APA);
  cr_expect(strstr(apa, "Author19, A., . . . Author21, A. (2000)."), "%s", apa);
  cr_expect_null(strstr(apa, "Author20"), "%s", apa);
  free(apa);
  char *ieee = cite_reference(r, CITE_IEEE);
  cr_expect(!strncmp(ieee, "A. Author1 *et al.*, \"T,\"", 25), "%s", ieee);
  free(ieee);
  json_decref(r);
}

Test(cite, names) {
  json_t *r = json_pack("{s:[s,s,s], s:s, s:s}", "authors", "Grady, Jessica S.", "Jean-Paul Sartre", "김철수", "title",
                        "Essais", "year", "1943");
  json_t *au = cite_authors(r);
  cr_assert_eq(json_array_size(au), 3);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(au, 0), "family")), "Grady");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(au, 1), "given")), "Jean-Paul");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(au, 2), "family")), "김철수");
  json_decref(au);
  expect(r, CITE_APA, "Grady, J. S., Sartre, J.-P., & 김철수. (1943). *Essais*.");
  json_decref(r);
}

Test(cite, bibtex_and_ris) {
  json_t *refs = json_pack("[o,o,o]", grady(), kahneman(), who());
  json_object_set_new(json_array_get(refs, 1), "title", json_string("Thinking & speed_50%"));
  char *bib = cite_bibtex(refs);
  cr_expect(strstr(bib, "@article{grady2019emotions,\n"), "%s", bib);
  cr_expect(strstr(bib,
                   "author = {Grady, Jessica S. and Her, Malena and Moreno, Geena and Perez, Catherine and "
                   "Yelinek, Jillian}"),
            "%s", bib);
  cr_expect(strstr(bib, "journal = {Psychology of Popular Media Culture}"), "%s", bib);
  cr_expect(strstr(bib, "pages = {207--217}"), "%s", bib);
  cr_expect(strstr(bib, "doi = {10.1037/ppm0000185}"), "%s", bib);
  cr_expect(strstr(bib, "@book{kahneman2011thinking,"), "%s", bib);
  cr_expect(strstr(bib, "title = {Thinking \\& speed\\_50\\%}"), "%s", bib);
  cr_expect(strstr(bib, "@misc{ref"), "%s", bib);
  free(bib);
  char *ris = cite_ris(refs);
  cr_expect(strstr(ris, "TY  - JOUR\r\nAU  - Grady, Jessica S.\r\nAU  - Her, Malena\r\n"), "%s", ris);
  cr_expect(strstr(ris, "SP  - 207\r\nEP  - 217\r\n"), "%s", ris);
  cr_expect(strstr(ris, "DO  - 10.1037/ppm0000185\r\n"), "%s", ris);
  cr_expect(strstr(ris, "TY  - BOOK\r\n"), "%s", ris);
  cr_expect(strstr(ris, "TY  - ELEC\r\n"), "%s", ris);
  cr_expect(strstr(ris, "UR  - https://www.who.int/health-topics/climate-change\r\n"), "%s", ris);
  /* three records, each closed */
  int n = 0;
  for (const char *p = ris; (p = strstr(p, "ER  - ")); p++) n++;
  cr_expect_eq(n, 3);
  free(ris);
  json_decref(refs);
}

Test(cite, styles_by_name) {
  cr_expect_eq(cite_style_parse("APA"), CITE_APA);
  cr_expect_eq(cite_style_parse("chicago"), CITE_CHICAGO);
  cr_expect_eq(cite_style_parse("ieee"), CITE_IEEE);
  cr_expect_eq(cite_style_parse("harvard"), -1);
  cr_expect_eq(cite_style_parse(NULL), -1);
}
