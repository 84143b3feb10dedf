/* test_base_text.c - the shared text rules (base/text.h): one decoder, one
 * set of CJK ranges, one sentence splitter, one entity table. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/text.h"

static unsigned first_cp(const char *s, size_t *adv) {
  size_t i = 0;
  unsigned cp = text_utf8_next(s, strlen(s), &i);
  *adv = i;
  return cp;
}

Test(base_text, utf8_decodes_well_formed_sequences) {
  size_t adv;
  cr_assert_eq(first_cp("A", &adv), 'A');
  cr_assert_eq(adv, 1);
  cr_assert_eq(first_cp("\xC3\xA9", &adv), 0xE9);
  cr_assert_eq(adv, 2);
  cr_assert_eq(first_cp("\xED\x95\x9C", &adv), 0xD55C); /* 한 */
  cr_assert_eq(adv, 3);
  cr_assert_eq(first_cp("\xF0\x9F\x98\x80", &adv), 0x1F600);
  cr_assert_eq(adv, 4);
}

Test(base_text, utf8_bad_bytes_are_replacement_characters_one_byte_each) {
  const char *bad[] = {"\x80", "\xC3", "\xE2\x82", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xC3("};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    size_t adv;
    cr_assert_eq(first_cp(bad[k], &adv), 0xFFFD, "case %zu", k);
    cr_assert_eq(adv, 1, "case %zu makes progress by one byte", k);
  }
  /* a truncated sequence at the end of the given length, though the string goes on */
  size_t i = 0;
  cr_assert_eq(text_utf8_next("\xED\x95\x9C", 2, &i), 0xFFFD);
  cr_assert_eq(i, 1);
}

Test(base_text, utf8_encode_round_trips_and_refuses_what_is_not_a_character) {
  unsigned long cps[] = {0x41, 0xE9, 0x20AC, 0xD55C, 0x1F600, 0x10FFFF};
  for (size_t k = 0; k < sizeof cps / sizeof cps[0]; k++) {
    char u[5] = {0};
    size_t l = text_utf8_encode(cps[k], u), i = 0;
    cr_assert_eq(text_utf8_next(u, l, &i), cps[k]);
    cr_assert_eq(i, l);
  }
  char u[4];
  cr_assert_eq(text_utf8_encode(0xD800, u), 3);
  cr_assert_eq(memcmp(u, "\xEF\xBF\xBD", 3), 0, "a surrogate is written as U+FFFD");
  cr_assert_eq(text_utf8_encode(0x110000, u), 3);
  cr_assert_eq(text_utf8_encode(0, u), 3, "NUL would cut a C string");
}

Test(base_text, cjk_covers_hangul_han_kana_and_nothing_else) {
  unsigned yes[] = {0xAC00, 0xD7A3, 0x1100, 0x3131, 0x4E00, 0x3400, 0x20000, 0xF900, 0x3042, 0x30A2, 0xFF71};
  unsigned no[] = {'a', 0xE9, 0x3002 /* 。 */, 0xFF01 /* ！ */, 0xFF21 /* Ａ */, 0x0410, 0x05D0, 0x1F600};
  for (size_t k = 0; k < sizeof yes / sizeof yes[0]; k++) cr_assert(text_is_cjk(yes[k]), "U+%04X", yes[k]);
  for (size_t k = 0; k < sizeof no / sizeof no[0]; k++) cr_assert_not(text_is_cjk(no[k]), "U+%04X", no[k]);
}

Test(base_text, sentences_end_at_stops_followed_by_space_and_at_cjk_stops) {
  const char *s = "Version 1.2 ships. Does it? 한국어 문장입니다。다음 문장";
  size_t n = strlen(s);
  size_t e1 = text_sentence_end(s, n, 0, 0);
  cr_assert_eq(e1, strlen("Version 1.2 ships."), "a decimal point does not end a sentence");
  size_t e2 = text_sentence_end(s, n, e1 + 1, 0);
  cr_assert_eq(e2, strlen("Version 1.2 ships. Does it?"));
  size_t e3 = text_sentence_end(s, n, e2 + 1, 0);
  cr_assert_eq(memcmp(s + e3 - 3, "\xE3\x80\x82", 3), 0, "the ideographic full stop ends it");
  cr_assert_eq(text_sentence_end(s, n, e3, 0), n, "the last sentence runs to the end");
}

Test(base_text, line_breaks_end_sentences_as_asked) {
  const char *s = "a heading\nits text\n\nnext paragraph";
  size_t n = strlen(s);
  cr_assert_eq(text_sentence_end(s, n, 0, TEXT_SENTENCE_LINES), strlen("a heading\n"));
  cr_assert_eq(text_sentence_end(s, n, 0, 0), strlen("a heading\nits text\n"), "only a blank line ends it");
}

Test(base_text, a_finished_sentence_is_told_from_a_heading_or_a_cut_off_piece) {
  cr_assert(text_ends_sentence("Circulation counts measure use."));
  cr_assert(text_ends_sentence("Does it? "));
  cr_assert(text_ends_sentence("He called it \"the stack problem.\""), "a closing quote after the stop");
  cr_assert(text_ends_sentence("Loans fell by a third (Smith, 1970).) [3][4]"), "markers and brackets after the stop");
  cr_assert(text_ends_sentence("\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4\xE3\x80\x82"), "an ideographic full stop");
  cr_assert_not(text_ends_sentence("A Quantitative Measure of User Circulation Requirements"), "a title line");
  cr_assert_not(text_ends_sentence("the library's holdings at a reasonable level and, in"), "a piece cut mid-sentence");
  cr_assert_not(text_ends_sentence("[3]"));
  cr_assert_not(text_ends_sentence(""));
  cr_assert_not(text_ends_sentence(NULL));
}

static const char *entity(const char *s, int nbsp_space, size_t *took) {
  static char out[8];
  *took = text_entity_decode(s, strlen(s), nbsp_space, out);
  return out;
}

Test(base_text, entities_named_and_numeric) {
  size_t took;
  cr_assert_str_eq(entity("&amp;rest", 0, &took), "&");
  cr_assert_eq(took, 5);
  cr_assert_str_eq(entity("&mdash;", 0, &took), "\xE2\x80\x94");
  cr_assert_str_eq(entity("&#233;", 0, &took), "\xC3\xA9");
  cr_assert_eq(took, 6);
  cr_assert_str_eq(entity("&#x20AC;", 0, &took), "\xE2\x82\xAC");
  cr_assert_str_eq(entity("&#X1F600;", 0, &took), "\xF0\x9F\x98\x80");
  cr_assert_str_eq(entity("&nbsp;", 0, &took), "\xC2\xA0", "shown text keeps the no-break space");
  cr_assert_str_eq(entity("&nbsp;", 1, &took), " ", "searched text gets a plain space");
}

Test(base_text, entities_unknown_or_malformed_are_left_to_the_caller) {
  size_t took;
  entity("&bogus;", 0, &took);
  cr_assert_eq(took, 0);
  entity("&#;", 0, &took);
  cr_assert_eq(took, 0);
  entity("&#12a;", 0, &took);
  cr_assert_eq(took, 0, "a decimal reference with a hex digit");
  entity("&#233", 0, &took);
  cr_assert_eq(took, 0, "no closing semicolon");
  entity("& x", 0, &took);
  cr_assert_eq(took, 0);
  cr_assert_str_eq(entity("&#xD800;", 0, &took), "\xEF\xBF\xBD", "a surrogate");
  cr_assert_str_eq(entity("&#1;", 0, &took), "\xEF\xBF\xBD", "a control character would break DOCX XML");
  cr_assert_str_eq(entity("&#9;", 0, &took), "\t");
}
