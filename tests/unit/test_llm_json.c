/* test_llm_json.c - the pure helpers: <think> stripping, JSON extraction from
 * each messy form models produce, schema validation, token estimates, PII
 * masking. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"

static void assert_extracts(const char *text, const char *want_json) {
  json_t *got = llm_extract_json(text);
  json_t *want = json_loads(want_json, 0, NULL);
  cr_assert(want);
  cr_assert(got, "nothing extracted from: %s", text);
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
  cr_assert(json_equal(got, want), "from %s got %s", text, g);
  free(g);
  json_decref(got);
  json_decref(want);
}

Test(extract, plain) {
  assert_extracts("{\"a\": 1}", "{\"a\":1}");
}
Test(extract, code_fence) {
  assert_extracts("Sure:\n```json\n{\"a\": [1, 2]}\n```\nDone.", "{\"a\":[1,2]}");
}
Test(extract, bare_fence) {
  assert_extracts("```\n{\"a\": true}\n```", "{\"a\":true}");
}
Test(extract, think_block_with_braces) {
  assert_extracts("<think>maybe {\"a\": 0} or {\"b\": 1}?</think>\n{\"a\": 2}", "{\"a\":2}");
}
Test(extract, prose_around) {
  assert_extracts("The plan is {\"title\": \"x {not} y\", \"n\": 3} as you asked.",
                  "{\"title\":\"x {not} y\",\"n\":3}");
}
Test(extract, trailing_commas) {
  assert_extracts("{\"a\": [1, 2, ], \"b\": {\"c\": \"d,]\",},}", "{\"a\":[1,2],\"b\":{\"c\":\"d,]\"}}");
}
Test(extract, array_top_level) {
  assert_extracts("Queries: [\"a\", \"b\"]", "[\"a\",\"b\"]");
}
Test(extract, unterminated_fence) {
  assert_extracts("```json\n{\"a\": 1}\n", "{\"a\":1}");
}
Test(extract, skips_broken_candidate) {
  assert_extracts("{oops} then {\"ok\": 1}", "{\"ok\":1}");
}

Test(extract, nothing_usable) {
  cr_assert_null(llm_extract_json("I cannot answer that."));
  cr_assert_null(llm_extract_json("{\"a\": 1"));
  cr_assert_null(llm_extract_json(""));
  cr_assert_null(llm_extract_json(NULL));
}

Test(think, strip_forms) {
  struct {
    const char *in, *out;
  } cases[] = {
      {"<think>hmm</think>Answer", "Answer"},         {"  <think>\na\n</think>\n\nAnswer\n", "Answer"},
      {"A<think>x</think>B<think>y</think>C", "ABC"}, {"reasoning without opening</think>Answer", "Answer"},
      {"Answer<think>never closed", "Answer"},        {"<THINK>upper</THINK>ok", "ok"},
      {"<thinking>long</thinking>ok", "ok"},          {"no tags at all", "no tags at all"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *s = llm_strip_think(cases[i].in);
    cr_assert_str_eq(s, cases[i].out, "case %zu", i);
    free(s);
  }
}

Test(validate, required_types_nested) {
  json_t *schema = json_loads(
      "{\"type\":\"object\",\"required\":[\"title\",\"sections\"],\"properties\":{\"title\":{\"type\":\"string\"},"
      "\"sections\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"object\",\"required\":[\"name\"],"
      "\"properties\":{\"name\":{\"type\":\"string\"},\"kind\":{\"enum\":[\"a\",\"b\"]},\"n\":{\"type\":\"integer\"}}}}"
      "}}",
      0, NULL);
  cr_assert(schema);
  char err[256];
  json_t *ok = json_loads("{\"title\":\"T\",\"sections\":[{\"name\":\"x\",\"kind\":\"a\",\"n\":2}]}", 0, NULL);
  cr_assert_eq(llm_validate_json(ok, schema, err, sizeof err), 0, "%s", err);
  struct {
    const char *doc, *msg;
  } bad[] = {
      {"{\"title\":\"T\"}", "missing required field \"sections\""},
      {"{\"title\":5,\"sections\":[{\"name\":\"x\"}]}", "$.title: expected string"},
      {"{\"title\":\"T\",\"sections\":[]}", "at least 1"},
      {"{\"title\":\"T\",\"sections\":[{\"name\":\"x\"},{}]}", "$.sections[1]: missing required field \"name\""},
      {"{\"title\":\"T\",\"sections\":[{\"name\":\"x\",\"kind\":\"c\"}]}", "$.sections[0].kind"},
      {"{\"title\":\"T\",\"sections\":[{\"name\":\"x\",\"n\":1.5}]}", "expected integer"},
      {"[1]", "expected object"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *d = json_loads(bad[i].doc, 0, NULL);
    cr_assert(d);
    cr_assert_neq(llm_validate_json(d, schema, err, sizeof err), 0, "case %zu accepted", i);
    cr_assert(strstr(err, bad[i].msg), "case %zu: %s", i, err);
    json_decref(d);
  }
  json_decref(ok);
  json_decref(schema);
}

Test(tokens, cjk_aware) {
  cr_assert_eq(llm_estimate_tokens(""), 0);
  int en = llm_estimate_tokens("The quick brown fox jumps over the lazy dog.");
  cr_assert(en >= 8 && en <= 14, "%d", en);
  /* 10 Korean syllables and 10 Chinese characters: about one token each,
   * far more than their byte length / 4 would suggest per character. */
  cr_assert_eq(llm_estimate_tokens("안녕하세요반갑습니다"), 10);
  cr_assert_eq(llm_estimate_tokens("我们今天去公园散步吧"), 10);
}

Test(pii, emails_and_phones) {
  char *m = llm_mask_pii(
      "Write to jane.doe+x@example.co.uk or call +1 (555) 123-4567 / 030 1234 5678. "
      "Year 2021, 150 000 people, id 12345.");
  cr_assert(strstr(m, "[email]"), "%s", m);
  cr_assert_null(strstr(m, "jane"), "%s", m);
  cr_assert_null(strstr(m, "4567"), "%s", m);
  cr_assert_null(strstr(m, "5678"), "%s", m);
  cr_assert(strstr(m, "Year 2021, 150 000 people, id 12345."), "%s", m);
  free(m);
}
