/*
 * test_missions_guard.c - a model that does not follow the script still
 * gives a complete, cited report.
 *
 * The fake model misbehaves (tests/fakes/fake_llm.py "misbehave": JSON where
 * prose is asked, JSON without prose, the instructions echoed, its own
 * citation forms, <think> blocks, answers cut off by the token limit, empty
 * answers, another language, section ids and questions that do not exist)
 * for one role at a time, at random for all roles, and once only. Every
 * mission must complete with outcome "ok", every section that has notes
 * must carry a cited sentence the verifier supported, the report holds no
 * JSON, no instruction text and no foreign language, and where the agent
 * could not recover by a re-ask the warnings and the report's run record
 * say the extractive agent took over.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mission_support.h"

static const char *const ROLES[] = {"planner", "researcher", "reflector", "writer", "reviewer", "verifier"};
#define NROLES (sizeof ROLES / sizeof *ROLES)

/* The standard rules with `fields` (e.g. "\"misbehave\":[\"echo\"],")
 * added to role's rule, or to every rule when role is NULL. */
static void rules_for(char *out, size_t n, const char *role, const char *fields) {
  char base[8192];
  ms_rules(base, sizeof base, NULL);
  out[0] = 0;
  const char *p = base;
  for (;;) {
    const char *m = strstr(p, "\"match\":{\"system\":\"role: ");
    if (!m) break;
    const char *end = strstr(m, "},");
    cr_assert(end);
    end += 2;
    const char *name = m + strlen("\"match\":{\"system\":\"role: ");
    strncat(out, p, (size_t)(end - p));
    if (!role || !strncmp(name, role, strlen(role))) strncat(out, fields, n - strlen(out) - 1);
    p = end;
  }
  strncat(out, p, n - strlen(out) - 1);
}

static char *warning_codes(json_t *row) {
  char buf[2048] = "";
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(row, "warnings"), i, w) {
    strncat(buf, json_string_value(json_object_get(w, "code")), sizeof buf - strlen(buf) - 2);
    strncat(buf, ",", sizeof buf - strlen(buf) - 1);
  }
  return strdup(buf);
}

/* The body of section `title` in the Markdown report (malloc'd). */
static char *section_body(const char *md, const char *title) {
  char h[600];
  snprintf(h, sizeof h, "\n## %s\n", title);
  const char *s = strstr(md, h);
  if (!s) return NULL;
  s += strlen(h);
  const char *e = strstr(s, "\n## ");
  return strndup(s, e ? (size_t)(e - s) : strlen(s));
}

/* 1 when body has a citation [n] whose sentence the verifier supported (no
 * "(unverified)" mark after it). */
static int has_verified_citation(const char *body) {
  for (const char *p = body; (p = strchr(p, '[')) != NULL; p++) {
    char *end;
    strtol(p + 1, &end, 10);
    if (end == p + 1 || *end != ']') continue;
    const char *q = end + 1;
    while (*q == '[' || *q == '.' || *q == ' ' || (*q >= '0' && *q <= '9') || *q == ']') {
      if (*q == ' ' && q[1] == '*') break;
      q++;
    }
    if (strncmp(q, " *(unverified)*", 15) != 0) return 1;
  }
  return 0;
}

/* The number of agent_log events of the mission by the extractive agent
 * standing in for a model (fallback: true). */
static int fallback_log_entries(const char *id) {
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  int n = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(r, "events"), i, e) {
    json_t *d = json_object_get(e, "data");
    if (!strcmp(json_string_value(json_object_get(e, "event")), "agent_log") &&
        json_is_true(json_object_get(d, "fallback")))
      n++;
  }
  json_decref(r);
  return n;
}

/* Runs one mission with the fake's current rules and checks what a reader
 * would notice; returns the comma-joined warning codes (malloc'd). */
static char *run_and_check(const char *label) {
  char *id = ms_create(label, 0, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 90), "%s: the mission did not complete", label);
  json_t *row = ms_get(id, ms_token);
  const char *outcome = json_string_value(json_object_get(row, "outcome"));
  char *md = ms_report(id, "md");
  cr_assert(outcome && !strcmp(outcome, "ok"), "%s: outcome %s\n%s", label, outcome ? outcome : "(none)", md);
  cr_assert_null(strstr(md, "{\""), "%s: JSON in the report:\n%s", label, md);
  cr_assert_null(strstr(md, "research team (role:"), "%s: the instructions were echoed:\n%s", label, md);
  cr_assert_null(strstr(md, "Answer with JSON"), "%s: the instructions were echoed:\n%s", label, md);
  cr_assert_null(strstr(md, "\xeb\x8d\xb0\xeb\xb9\x84\xec\x95\x88"), "%s: Korean text in an English report:\n%s", label,
                 md); /* "데비안" */
  cr_assert_null(strstr(md, "<think>"), "%s: a reasoning block in the report", label);
  ms_check_citations(md);
  /* every section with notes carries a verified citation */
  json_t *notes = ms_notes(id);
  char path[160];
  snprintf(path, sizeof path, "/api/missions/%s/plan", id);
  long st;
  json_t *plan = ts_json(&ms_srv, "GET", path, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  size_t i, k;
  json_t *s, *n;
  int with_notes = 0;
  json_array_foreach(json_object_get(plan, "sections"), i, s) {
    const char *sid = json_string_value(json_object_get(s, "id"));
    int has = 0;
    json_array_foreach(notes, k, n) if (!strcmp(json_string_value(json_object_get(n, "section_id")), sid)) has = 1;
    if (!has) continue;
    with_notes++;
    char *body = section_body(md, json_string_value(json_object_get(s, "title")));
    cr_assert(body, "%s: section %s missing from the report:\n%s", label, sid, md);
    cr_assert(has_verified_citation(body), "%s: section %s has no verified citation:\n%s", label, sid, md);
    free(body);
  }
  cr_assert_gt(with_notes, 0, "%s: no section has notes", label);
  char *codes = warning_codes(row);
  /* GUARD_DEBUG=<label part> prints the report of the matching missions */
  if (getenv("GUARD_DEBUG") && strstr(label, getenv("GUARD_DEBUG"))) fprintf(stderr, "%s\n", md);
  if (strstr(codes, "fallback")) {
    cr_assert(strstr(md, "extractive agent"), "%s: the run record does not say the extractive agent took over:\n%s",
              label, md);
    cr_assert_gt(fallback_log_entries(id), 0, "%s: the activity log does not say the extractive agent took over",
                 label);
  } else
    cr_assert_eq(fallback_log_entries(id), 0, "%s: a fallback in the activity log without a warning", label);
  json_decref(plan);
  json_decref(notes);
  json_decref(row);
  free(md);
  free(id);
  return codes;
}

/* Runs one mission per role with mode; fallback_roles lists the roles
 * ("planner,writer,...") whose misbehaviour cannot be repaired and must end
 * in a fallback; the others must not. */
static void each_role(const char *mode, const char *fallback_roles) {
  ms_start(0, NULL, NULL);
  for (size_t r = 0; r < NROLES; r++) {
    char fields[200], rules[12000], label[120];
    snprintf(fields, sizeof fields, "\"misbehave\":[\"%s\"],", mode);
    rules_for(rules, sizeof rules, ROLES[r], fields);
    cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
    snprintf(label, sizeof label, "%s by the %s", mode, ROLES[r]);
    char *codes = run_and_check(label);
    int want = strstr(fallback_roles, ROLES[r]) != NULL;
    if (want)
      cr_expect(strstr(codes, "fallback"), "%s: no fallback warning (%s)", label, codes);
    else
      cr_expect_null(strstr(codes, "fallback"), "%s: an unexpected fallback (%s)", label, codes);
    free(codes);
  }
  ms_stop_all();
}

Test(missions_guard, json_instead_of_prose, .timeout = 300) {
  /* prose wrapped in {"answer": ...} is unwrapped; a structured step
   * answered in prose fails twice and falls back */
  each_role("json_prose", "planner,researcher,reflector,reviewer,verifier");
}

Test(missions_guard, json_without_prose, .timeout = 300) {
  each_role("json_only", "planner,researcher,reflector,writer,reviewer,verifier");
}

Test(missions_guard, instructions_echoed, .timeout = 300) {
  /* the reflector's and verifier's answers hold no long strings to echo */
  each_role("echo", "planner,researcher,writer,reviewer");
}

Test(missions_guard, truncated_and_empty_answers, .timeout = 400) {
  each_role("truncate", "planner,researcher,reflector,writer,reviewer,verifier");
  each_role("empty", "planner,researcher,reflector,writer,reviewer,verifier");
}

Test(missions_guard, other_language_and_bad_ids, .timeout = 400) {
  each_role("other_language", "writer,reviewer");
  /* the verifier's unknown claim numbers leave the lexical score alone */
  each_role("bad_ids", "planner,reflector,reviewer");
}

Test(missions_guard, foreign_citations_and_think_are_repaired, .timeout = 400) {
  ms_start(0, NULL, NULL);
  char rules[12000];
  rules_for(rules, sizeof rules, NULL, "\"misbehave\":[\"foreign_citations\"],");
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  char *codes = run_and_check("foreign citations");
  cr_expect_null(strstr(codes, "fallback"), "normalised citations need no fallback (%s)", codes);
  cr_expect(strstr(codes, "citations_dropped"), "the citation of a note that does not exist was not counted (%s)",
            codes);
  free(codes);
  rules_for(rules, sizeof rules, NULL, "\"misbehave\":[\"think\"],");
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  codes = run_and_check("think blocks");
  cr_expect_null(strstr(codes, "fallback"), "think blocks need no fallback (%s)", codes);
  free(codes);
  ms_stop_all();
}

Test(missions_guard, random_misbehaviour_of_every_role, .timeout = 300) {
  ms_start(0, NULL, NULL);
  char rules[12000];
  for (int seed = 1; seed <= 3; seed++) {
    char fields[200], label[64];
    snprintf(fields, sizeof fields, "\"misbehave\":[\"random\"],\"misbehave_rate\":0.5,\"seed\":%d,", seed);
    rules_for(rules, sizeof rules, NULL, fields);
    cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
    snprintf(label, sizeof label, "random misbehaviour, seed %d", seed);
    free(run_and_check(label));
  }
  ms_stop_all();
}

Test(missions_guard, one_bad_answer_is_recovered_by_the_re_ask, .timeout = 300) {
  ms_start(0, NULL, NULL);
  static const char *const CASES[][2] = {{"writer", "json_only"}, {"reviewer", "echo"}, {"reflector", "bad_ids"}};
  for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
    char fields[200], rules[12000], label[120];
    snprintf(fields, sizeof fields, "\"misbehave\":[\"%s\"],\"fail_times\":1,", CASES[c][1]);
    rules_for(rules, sizeof rules, CASES[c][0], fields);
    cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
    snprintf(label, sizeof label, "one %s answer by the %s", CASES[c][1], CASES[c][0]);
    char *codes = run_and_check(label);
    cr_expect_null(strstr(codes, "fallback"), "%s: the re-ask did not recover (%s)", label, codes);
    free(codes);
    /* the re-ask carried the rejected answer and the reason */
    json_t *calls = llmsup_fake_calls(&ms_fake);
    int reasked = 0;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(calls, "calls"), i, k) {
      const char *u = json_string_value(json_object_get(k, "last_user"));
      if (u && strstr(u, "Your previous answer was rejected because")) reasked++;
    }
    cr_expect_geq(reasked, 1, "%s: no re-ask", label);
    json_decref(calls);
    llmsup_fake_reset(&ms_fake);
  }
  ms_stop_all();
}

/* A reviewer that asks for a revision and a reviser that only answers
 * "This is a fake answer to: ..." (the fake's default, no citation): the
 * reviser is asked again, then the extractive agent rewrites the section. */
Test(missions_guard, reviser_without_citations_falls_back, .timeout = 300) {
  ms_start(0, NULL, NULL);
  char base[8192], rules[8192];
  ms_rules(base, sizeof base, NULL);
  const char *flag = "\"needs_revision\":false,\"suggestions\":[]";
  char *at = strstr(base, flag);
  cr_assert(at);
  snprintf(rules, sizeof rules, "%.*s\"needs_revision\":true,\"suggestions\":[\"Be clearer.\"]%s", (int)(at - base),
           base, at + strlen(flag));
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  char *codes = run_and_check("reviser without citations");
  cr_expect(strstr(codes, "fallback"), "no fallback warning (%s)", codes);
  free(codes);
  json_t *calls = llmsup_fake_calls(&ms_fake);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "default")), 2,
               "the reviser was not asked exactly twice");
  json_decref(calls);
  ms_stop_all();
}

/* A writer that cites the notes for claims they do not make: no cited
 * sentence of the section is supported, so the extractive agent rewrites
 * it from the verified quotes after verification. */
Test(missions_guard, unsupported_sections_are_rewritten_from_the_notes, .timeout = 300) {
  ms_start(0, NULL, NULL);
  char base[8192], rules[8192];
  ms_rules(base, sizeof base, NULL);
  const char *w = strstr(base, "\"name\":\"writer\"");
  cr_assert(w);
  const char *t = strstr(w, "\"text\":\"");
  const char *e = strstr(t, "\"},");
  cr_assert(t && e);
  snprintf(rules, sizeof rules,
           "%.*s\"text\":\"The moon is made of green cheese [1]. Mars is a blue planet full "
           "of whales [2].%s",
           (int)(t - base), base, e);
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  char *codes = run_and_check("unsupported claims");
  cr_expect(strstr(codes, "fallback"), "no fallback warning (%s)", codes);
  free(codes);
  ms_stop_all();
}

/* A small model stuck in a loop writes its sentences over and over: the
 * guard rejects the loop, the re-ask loops again, and the extractive agent
 * writes the sections; no sentence of the report's sections is said twice. */
Test(missions_guard, a_writer_stuck_in_a_loop_falls_back, .timeout = 300) {
  ms_start(0, NULL, NULL);
  char rules[12000];
  rules_for(rules, sizeof rules, "writer", "\"misbehave\":[\"loop\"],");
  cr_assert_eq(llmsup_fake_rules(&ms_fake, rules), 0);
  char *codes = run_and_check("looping writer");
  cr_expect(strstr(codes, "fallback"), "a looping writer was not replaced by the extractive agent (%s)", codes);
  free(codes);
  char *id = ms_create("looping writer, the report", 0, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 90));
  char *md = ms_report(id, "md");
  const char *loop = "security team [1]. Before installing anything";
  const char *first = strstr(md, loop);
  cr_expect(first == NULL || strstr(first + 1, loop) == NULL, "the looping writer's text reached the report:\n%s", md);
  free(md);
  free(id);
  ms_stop_all();
}
