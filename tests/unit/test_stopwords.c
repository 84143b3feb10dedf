/* base/stopwords: one list per language, chosen by script when no language
 * is given, and the separate request words of questions. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/stopwords.h"

static int stop(const char *lang, const char *w) {
  return stopword_is(lang, w, strlen(w));
}

Test(stopwords, tables_are_sorted_for_binary_search) {
  cr_assert(stopword_tables_sorted());
}

Test(stopwords, english_function_words_any_case) {
  const char *yes[] = {"a", "The", "WHICH", "yourselves", "about", "because", "whether", "within", "without", "much"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) cr_expect(stop(NULL, yes[i]), "%s", yes[i]);
  const char *no[] = {"wing", "boundary", "layer", "retrieval", "library", "theory", "flow", "2024"};
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) cr_expect(!stop(NULL, no[i]), "%s", no[i]);
  cr_expect(stop("en", "the"));
  cr_expect(stop("en-GB", "of"));
}

Test(stopwords, length_bounds_the_word_not_the_nul) {
  cr_expect(stop(NULL, "them") && stopword_is(NULL, "them", 3)); /* "the" */
  cr_expect(!stopword_is(NULL, "the", 0));
  cr_expect(!stopword_is(NULL, NULL, 3));
}

Test(stopwords, korean_by_script_or_language) {
  cr_expect(stop(NULL, "그리고"));
  cr_expect(stop(NULL, "대한"));
  cr_expect(stop(NULL, "어떻게"));
  cr_expect(stop("ko", "및"));
  cr_expect(!stop(NULL, "데비안"));
  cr_expect(!stop(NULL, "검색"));
  /* a Korean stop word is not an English one, nor the reverse */
  cr_expect(!stop("en", "그리고"));
  cr_expect(!stop("ko", "the"));
}

Test(stopwords, unknown_language_has_none) {
  cr_expect(!stop("xx", "the"));
  cr_expect(!stop("de", "der"));
}

Test(stopwords, request_words_are_a_separate_list) {
  cr_expect(stopword_is_request("Please", 6));
  cr_expect(stopword_is_request("interested", 10));
  cr_expect(stopword_is_request("Tell", 4));
  cr_expect(!stop(NULL, "interested"));
  cr_expect(!stopword_is_request("articles", 8)); /* content in library science */
  cr_expect(!stopword_is_request("the", 3));
  cr_expect(!stopword_is_request("aerodynamic", 11));
}
