/* The pure parts of chat answering: citation markers, the passages block of
 * the prompt, and the extractive answer. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chat/chat.h"

static char *renum(const char *text, size_t np, int *cited, size_t *n) {
  return chat_cite_renumber(text, np, cited, n);
}

Test(chat_cite, renumbers_by_first_appearance) {
  int cited[5];
  size_t n;
  char *s = renum("B is true [3]. A too [1][3]. Both [1, 3].", 5, cited, &n);
  cr_assert_str_eq(s, "B is true [1]. A too [2][1]. Both [2][1].");
  cr_assert_eq(n, 2);
  cr_assert_eq(cited[0], 3);
  cr_assert_eq(cited[1], 1);
  free(s);
}

Test(chat_cite, drops_passages_not_given) {
  int cited[2];
  size_t n;
  char *s = renum("Fact [7]. Other [2]. Mixed [2, 9]. End [12]", 2, cited, &n);
  cr_assert_str_eq(s, "Fact. Other [1]. Mixed [1]. End");
  cr_assert_eq(n, 1);
  cr_assert_eq(cited[0], 2);
  free(s);
  s = renum("Zero [0] and none [5].", 0, cited, &n);
  cr_assert_str_eq(s, "Zero and none.");
  cr_assert_eq(n, 0);
  free(s);
}

Test(chat_cite, ranges_words_and_non_markers) {
  int cited[6];
  size_t n;
  char *s = renum("See [2-4] and [Passage 6]; [source 1]. Not [a], not [1a], not [2,], x[ 5 ].", 6, cited, &n);
  cr_assert_str_eq(s, "See [1][2][3] and [4]; [5]. Not [a], not [1a], not [2,], x[6].");
  cr_assert_eq(n, 6);
  int want[] = {2, 3, 4, 6, 1, 5};
  for (int i = 0; i < 6; i++) cr_assert_eq(cited[i], want[i]);
  free(s);
  s = renum("Korean 한국어 문장 [1]입니다.", 1, cited, &n);
  cr_assert_str_eq(s, "Korean 한국어 문장 [1]입니다.");
  free(s);
}

static rag_hit_t hit(const char *title, const char *file, int page, const char *text) {
  rag_hit_t h = {0};
  h.title = (char *)title;
  h.filename = (char *)file;
  h.heading = (char *)"";
  h.page = page;
  h.text = (char *)text;
  return h;
}

Test(chat_prompt, numbered_passages) {
  rag_hit_t h[2] = {hit("Volcanoes", "v.pdf", 3, "Etna is in Sicily."), hit("notes.txt", "notes.txt", 0, "0123456789")};
  char *s = chat_format_passages(h, 2, 5);
  cr_assert_str_eq(s, "[1] Volcanoes (v.pdf, p. 3)\nEtna  ...\n\n[2] notes.txt\n01234 ...");
  free(s);
}

Test(chat_extractive, quotes_the_best_sentences_verbatim) {
  rag_hit_t h[2] = {
      hit("V", "v.md", 0,
          "Vesuvius is near Naples. Mount Etna is an active volcano\non Sicily. Its summit is high. Etna erupts "
          "often."),
      hit("C", "c.md", 0, "Coffee is roasted. Nothing about volcanoes here."),
  };
  char *s = chat_extractive_answer("Where is Mount Etna?", h, 2);
  cr_assert(strstr(s, "*Extractive answer") == s, "%s", s);
  cr_assert_not_null(strstr(s, "> Mount Etna is an active volcano on Sicily. ... Etna erupts often. [1]\n"), "%s", s);
  /* a passage without any query word: its first sentence */
  cr_assert_not_null(strstr(s, "> Coffee is roasted. [2]\n"), "%s", s);
  free(s);
  s = chat_extractive_answer("anything", NULL, 0);
  cr_assert_not_null(strstr(s, "No passage"));
  free(s);
}
