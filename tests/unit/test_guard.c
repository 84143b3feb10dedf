/* test_guard.c - the answer guards: each normaliser and each check. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"

static void cites(const char *in, size_t nnotes, const char *want, int want_valid, int want_dropped) {
  int valid = -1, dropped = -1;
  char *out = guard_citations(in, nnotes, &valid, &dropped);
  cr_expect_str_eq(out, want, "%s -> %s", in, out);
  cr_expect_eq(valid, want_valid, "%s: valid %d", in, valid);
  cr_expect_eq(dropped, want_dropped, "%s: dropped %d", in, dropped);
  free(out);
}

Test(guard, citation_forms_become_local_numbers) {
  cites("Claim [1].", 3, "Claim [1].", 1, 0);
  cites("Claim [note 3].", 3, "Claim [3].", 1, 0);
  cites("Claim [Notes 1, 2].", 3, "Claim [1][2].", 2, 0);
  cites("Claim [P2].", 3, "Claim [2].", 1, 0);
  cites("Claim [^1].", 3, "Claim [1].", 1, 0);
  cites("Claim [1, 3].", 3, "Claim [1][3].", 2, 0);
  cites("Claim [1-3].", 3, "Claim [1][2][3].", 3, 0);
  cites(
      "Claim \xe3\x80\x90"
      "2\xe3\x80\x91.",
      3, "Claim [2].", 1, 0);
  cites("Claim (1).", 3, "Claim [1].", 1, 0);
  cites("Claim (note 2).", 3, "Claim [2].", 1, 0);
  cites("Claim^2.", 3, "Claim[2].", 1, 0);
}

Test(guard, out_of_range_numbers_are_dropped_and_counted) {
  cites("Claim [7].", 3, "Claim .", 0, 1);
  cites("Claim [1][9] and [note 12].", 3, "Claim [1] and .", 1, 2);
  cites("Claim (note 5).", 3, "Claim.", 0, 1);
  cites("Claim [0].", 3, "Claim .", 0, 1);
}

Test(guard, what_is_not_a_citation_stays) {
  cites("Released in (2019) and (1) first.", 3, "Released in (2019) and [1] first.", 1, 0);
  cites("(1) a list item", 3, "(1) a list item", 0, 0);
  cites("10^6 packages", 3, "10^6 packages", 0, 0);
  cites("see [the manual](http://x) and [#0123456789abcdef]", 3, "see [the manual](http://x) and [#0123456789abcdef]",
        0, 0);
  cites("[a] note", 3, "[a] note", 0, 0);
  cites("as the manual says (p. 12).", 3, "as the manual says (p. 12).", 0, 0);
  cites("steps (1) and (2) of [P 1].", 3, "steps [1] and [2] of [P 1].", 2, 0);
}

Test(guard, json_answer_is_unwrapped_or_rejected) {
  int was = 0;
  char *t = guard_unwrap_json("{\"answer\": \"Debian is supported for three years [1].\"}", &was);
  cr_assert_str_eq(t, "Debian is supported for three years [1].");
  cr_expect_eq(was, 1);
  free(t);
  t = guard_unwrap_json("```json\n{\"section\": {\"body\": \"A long enough paragraph of prose [2].\"}}\n```", &was);
  cr_assert_str_eq(t, "A long enough paragraph of prose [2].");
  free(t);
  t = guard_unwrap_json("{\"score\": 3, \"ok\": true}", &was);
  cr_expect_null(t, "JSON without prose is rejected");
  cr_expect_eq(was, 1);
  t = guard_unwrap_json("[1] shows that apt checks signatures.", &was);
  cr_expect_str_eq(t, "[1] shows that apt checks signatures.");
  cr_expect_eq(was, 0);
  free(t);
}

/* Expects got == want, then frees got. */
static void eq_free(char *got, const char *want) {
  cr_expect_str_eq(got, want);
  free(got);
}

Test(guard, fences_are_stripped) {
  eq_free(guard_strip_fences("```markdown\nSome prose [1].\n```\n"), "Some prose [1].");
  eq_free(guard_strip_fences("Plain prose."), "Plain prose.");
}

static const char INSTR[] =
    "You are the writing agent of a research team (role: writer). Write the body of one section of a research "
    "report from the numbered notes you are given. Every factual sentence cites the notes it relies on with their "
    "numbers in square brackets.";

Test(guard, echo_of_the_instructions_is_detected) {
  cr_expect(
      guard_echo("Write the body of one section of a research report from the numbered notes you are given.", INSTR));
  cr_expect(guard_echo("INTRODUCTION: you are the writing agent of a research team (role: writer). write the body of "
                       "one section",
                       INSTR),
            "case and punctuation do not hide an echo");
  cr_expect_not(
      guard_echo("Debian stable releases are supported for about three years by the security team [1].", INSTR));
  cr_expect_not(guard_echo("The report cites the notes it relies on [1].", INSTR), "a short overlap is fine");
}

Test(guard, language_by_script) {
  cr_expect(guard_language_ok("Debian stable releases are supported for about three years [1].", "en"));
  cr_expect(guard_language_ok("Debian-Versionen werden etwa drei Jahre lang unterstützt.", "de"));
  cr_expect_not(
      guard_language_ok("데비안 안정판은 보안 팀이 약 3년 동안 지원합니다. 그 후에는 장기 지원이 있습니다.", "en"));
  cr_expect(
      guard_language_ok("데비안 안정판은 보안 팀이 약 3년 동안 지원합니다. 그 후에는 장기 지원이 있습니다.", "ko"));
  cr_expect_not(guard_language_ok("Debian stable releases are supported for about three years by the team.", "ko"));
  cr_expect(guard_language_ok("OK [1].", "ko"), "too short to judge");
  cr_expect(guard_language_ok("Debian の安定版は約三年間サポートされます。", "ja"));
}

Test(guard, questions) {
  cr_expect(guard_is_question("How long is Debian supported?", "en"));
  cr_expect(guard_is_question("How apt verifies signatures", "en"));
  cr_expect(guard_is_question("데비안은 얼마나 오래 지원되나요", "ko"));
  cr_expect_not(guard_is_question("Debian security support.", "en"));
  cr_expect_not(guard_is_question("", "en"));
}

static int prose(const char *answer, size_t nnotes, const char *lang, const char *finish, char **out, char *why) {
  guard_prose_t g = {
      .instructions = INSTR, .language = lang, .nnotes = nnotes, .need_citation = nnotes > 0, .finish_reason = finish};
  int dropped = 0;
  return guard_prose(answer, &g, out, &dropped, why, 300);
}

Test(guard, prose_checks) {
  char *out = NULL, why[300];
  cr_assert_eq(
      prose("<think>plan {\"a\":1}</think>\nDebian is supported for three years [note 1].", 2, "en", "stop", &out, why),
      0, "%s", why);
  cr_expect_str_eq(out, "Debian is supported for three years [1].");
  free(out);
  cr_expect_eq(prose("<think>still thinking", 2, "en", "stop", &out, why), -1);
  cr_expect(strstr(why, "empty"), "%s", why);
  cr_expect_eq(prose("", 2, "en", "stop", &out, why), -1);
  cr_expect_eq(prose("Debian is supported for three", 2, "en", "length", &out, why), -1);
  cr_expect(strstr(why, "token limit"), "%s", why);
  cr_expect_eq(prose("{\"quality\": 0.5}", 2, "en", "stop", &out, why), -1);
  cr_expect(strstr(why, "JSON"), "%s", why);
  cr_expect_eq(prose("Debian is supported for three years.", 2, "en", "stop", &out, why), -1);
  cr_expect(strstr(why, "cites none"), "%s", why);
  cr_expect_eq(prose("Nothing to cite here, the sources were silent.", 0, "en", "stop", &out, why), 0);
  free(out);
  cr_expect_eq(prose("데비안 안정판은 보안 팀이 약 3년 동안 지원합니다 [1]. 그 후에는 장기 지원이 있습니다.", 2, "en",
                     "stop", &out, why),
               -1);
  cr_expect(strstr(why, "language"), "%s", why);
  cr_expect_eq(prose("Write the body of one section of a research report from the numbered notes you are given [1].", 2,
                     "en", "stop", &out, why),
               -1);
  cr_expect(strstr(why, "instructions"), "%s", why);
}

Test(guard, reasoning_tags_are_stripped_by_the_model_layer) {
  eq_free(llm_strip_think("<reasoning>hmm</reasoning>Answer"), "Answer");
  eq_free(llm_strip_think("<thinking>a</thinking>B<think>c</think>D"), "BD");
  eq_free(llm_strip_think("Answer<reasoning>never closed"), "Answer");
}

Test(guard, a_sentence_said_twice_is_kept_once_with_both_citations) {
  int removed = 0, considered = 0;
  char *t = guard_repeats(
      "Debian is supported for three years [1]. Apt checks the archive signatures [2]. "
      "Debian is supported for three years [1].",
      &removed, &considered);
  cr_expect_str_eq(t, "Debian is supported for three years [1]. Apt checks the archive signatures [2].");
  cr_expect_eq(removed, 1);
  free(t);
  /* the repeat's other source moves to the first */
  t = guard_repeats("Debian is supported for three years [1]. It is stable. debian is supported, for three years [3].",
                    &removed, &considered);
  cr_expect_str_eq(t, "Debian is supported for three years [1][3]. It is stable.");
  free(t);
  /* paragraphs stay paragraphs */
  t = guard_repeats(
      "First paragraph opens with this claim [1]. Then a second claim follows it [2].\n\n"
      "Then a second claim follows it [2]. A new point of the next paragraph [3].",
      &removed, &considered);
  cr_expect_str_eq(t,
                   "First paragraph opens with this claim [1]. Then a second claim follows it [2].\n\n"
                   "A new point of the next paragraph [3].");
  free(t);
  /* short sentences, headings and table rows may repeat */
  const char *same =
      "### Results\n\nYes. Yes. It was so [1].\n\n### Results\n\n| a | b c d e f g |\n| a | b c d e f g |\n";
  t = guard_repeats(same, &removed, &considered);
  cr_expect_str_eq(t, same);
  cr_expect_eq(removed, 0);
  free(t);
}

Test(guard, a_model_stuck_in_a_loop_is_rejected) {
  char *out = NULL, why[300];
  const char *once =
      "Debian stable releases are supported for about three years [1]. Apt verifies the signatures "
      "with the keys of the archive [2]. Security updates reach every stable user [1].";
  char loop[1000];
  snprintf(loop, sizeof loop, "%s %s %s", once, once, once);
  cr_expect_eq(prose(loop, 2, "en", "stop", &out, why), -1);
  cr_expect(strstr(why, "over and over"), "%s", why);
  /* one repeat is repaired, not rejected */
  char twice[1000];
  snprintf(twice, sizeof twice, "%s Apt verifies the signatures with the keys of the archive [2].", once);
  cr_assert_eq(prose(twice, 2, "en", "stop", &out, why), 0, "%s", why);
  cr_expect_str_eq(out, once);
  free(out);
}
