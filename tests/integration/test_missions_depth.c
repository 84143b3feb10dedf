/*
 * test_missions_depth.c - a user who asks for a deep report gets one.
 *
 * A library of several documents per topic, a fake model that answers each
 * agent from its prompt (quotes taken verbatim from the passages it is
 * shown, text written from the notes it is given: docs/models.md,
 * "derive"). What a user notices: a deep mission makes more searches,
 * reads more distinct passages, cites more distinct sources and writes a
 * longer report with ### subsections than a quick one; with a small
 * context window the prompts shrink to fit it and the mission says so
 * (warning "context_trimmed"); an unknown depth is refused with 422.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mission_support.h"

TestSuite(missions_depth, .fini = ms_stop_all);

static const char *TOPICS[3] = {"tidal power", "peat restoration", "rail freight"};
static const char *PLACES[12] = {"Brittany", "Scotland", "Quebec", "Korea",  "Wales",   "Normandy",
                                 "Oregon",   "Chile",    "Norway", "Taiwan", "Ireland", "Iceland"};

static void write_library(const char *dir) {
  for (int t = 0; t < 3; t++)
    for (int k = 0; k < 12; k++) {
      char path[600];
      snprintf(path, sizeof path, "%s/%d-%d.md", dir, t, k);
      FILE *f = fopen(path, "w");
      cr_assert(f);
      const char *x = TOPICS[t], *p = PLACES[k];
      fprintf(f, "# The state of %s in %s\n\n", x, p);
      fprintf(f, "A survey in %s counted %d active %s projects in %d, up from %d five years earlier. ", p, 12 + k * 3,
              x, 2015 + k, 4 + k);
      fprintf(f, "Local engineers in %s expect %s output to grow by %d percent before %d.\n\n", p, x, 10 + 2 * k,
              2030 + k % 5);
      fprintf(f,
              "## Costs in %s\n\nThe average %s project in %s cost %d million euros, of which %d percent was "
              "financing. ",
              p, x, p, 30 + 7 * k, 20 + k);
      fprintf(f, "Operators in %s report maintenance costs of %d euros per unit for %s.\n\n", p, 40 + 5 * k, x);
      fprintf(f, "## Risks in %s\n\nPermitting delays held back %d %s projects in %s during %d. ", p, k + 2, x, p,
              2018 + k % 6);
      fprintf(f, "Researchers in %s warn that storms can cut %s availability by %d percent in winter.\n", p, x, 5 + k);
      fclose(f);
    }
}

static json_t *sections(void) {
  json_t *secs = json_array();
  for (int t = 0; t < 3; t++) {
    char title[64], q1[160], q2[160], k1[96], k2[96];
    snprintf(title, sizeof title, "%c%s", TOPICS[t][0] - 32, TOPICS[t] + 1);
    snprintf(q1, sizeof q1, "How many %s projects are active and how fast is %s growing?", TOPICS[t], TOPICS[t]);
    snprintf(q2, sizeof q2, "What do %s projects cost and which risks delay them?", TOPICS[t]);
    snprintf(k1, sizeof k1, "%s projects survey output", TOPICS[t]);
    snprintf(k2, sizeof k2, "%s costs financing permitting storms", TOPICS[t]);
    json_array_append_new(secs, json_pack("{s:s, s:[s,s], s:[s,s], s:i}", "title", title, "questions", q1, q2,
                                          "queries", k1, k2, "priority", t + 1));
  }
  return secs;
}

static void start(void) {
  ms_start_team(sections(), write_library);
}

static char *create(const char *title, json_t *settings, long want) {
  json_t *body =
      json_pack("{s:s, s:[s], s:[s], s:o}", "title", title, "research_questions",
                "How are three low-carbon activities doing?", "sources", "local_documents", "settings", settings);
  long st = 0;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, want, "create %s: %ld", title, st);
  char *id = want == 201 ? strdup(json_string_value(json_object_get(r, "id"))) : NULL;
  json_decref(r);
  return id;
}

typedef struct {
  long searches, passages, sources, words, subsections;
  int trimmed;
} seen_t;

/* What the mission's events, report and warnings show. */
static seen_t observe(const char *id) {
  seen_t s = {0};
  char p[160];
  snprintf(p, sizeof p, "/api/missions/%s/events?after=0&limit=10000", id);
  long st;
  json_t *r = ts_json(&ms_srv, "GET", p, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *evs = json_is_array(r) ? r : json_object_get(r, "events"), *read = json_object();
  size_t i, k;
  json_t *e, *key;
  json_array_foreach(evs, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "event")), "sources_read")) continue;
    json_t *d = json_object_get(e, "data");
    s.searches += (long)json_integer_value(json_object_get(d, "searches"));
    json_array_foreach(json_object_get(d, "passages"), k, key) json_object_set(read, json_string_value(key), key);
  }
  s.passages = (long)json_object_size(read);
  json_decref(read);
  json_decref(r);
  char *md = ms_report(id, "md");
  char *refs = strstr(md, "\n## References");
  cr_assert(refs, "no references");
  for (char *c = refs; (c = strstr(c, "\n")) != NULL; c++)
    if (c[1] >= '1' && c[1] <= '9' && strchr(c + 1, '.') && strchr(c + 1, '.') < strchr(c + 1, ' ')) s.sources++;
  int in = 0;
  for (char *c = md; c < refs; c++) {
    int w = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
    if (w && !in) s.words++;
    in = w;
  }
  for (char *c = md; (c = strstr(c, "\n### ")) != NULL && c < refs; c++) s.subsections++;
  free(md);
  json_t *m = ms_get(id, ms_token);
  json_array_foreach(json_object_get(m, "warnings"), i,
                     e) if (!strcmp(json_string_value(json_object_get(e, "code")), "context_trimmed")) s.trimmed = 1;
  json_decref(m);
  return s;
}

Test(missions_depth, deep_reads_cites_and_writes_more_than_quick, .timeout = 240) {
  start();
  char *quick = create("Low-carbon activities (quick)", json_pack("{s:s}", "depth", "quick"), 201);
  cr_assert(ms_wait_for(quick, "completed", NULL, 90), "quick did not complete");
  char *deep = create("Low-carbon activities (deep)", json_pack("{s:s}", "depth", "deep"), 201);
  cr_assert(ms_wait_for(deep, "completed", NULL, 150), "deep did not complete");
  json_t *m = ms_get(deep, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "depth")), "deep");
  json_decref(m);
  seen_t q = observe(quick), d = observe(deep);
  cr_log_info("quick: %ld searches, %ld passages, %ld sources, %ld words, %ld subsections", q.searches, q.passages,
              q.sources, q.words, q.subsections);
  cr_log_info("deep: %ld searches, %ld passages, %ld sources, %ld words, %ld subsections", d.searches, d.passages,
              d.sources, d.words, d.subsections);
  json_t *notes = ms_notes(deep);
  cr_log_info("deep: %zu notes", json_array_size(notes));
  json_decref(notes);
  cr_assert_gt(q.searches, 0);
  cr_assert_gt(d.searches, 2 * q.searches, "deep searched %ld times, quick %ld", d.searches, q.searches);
  cr_assert_gt(d.passages, q.passages, "deep read %ld passages, quick %ld", d.passages, q.passages);
  cr_assert_gt(d.sources, q.sources, "deep cites %ld sources, quick %ld", d.sources, q.sources);
  cr_assert_gt(d.words, 2 * q.words, "deep has %ld words, quick %ld", d.words, q.words);
  cr_assert_gt(d.subsections, 0, "deep has no subsections");
  cr_assert_eq(q.subsections, 0);
  free(quick);
  free(deep);
}

/* The largest prompt the fake saw since its last reset, in its tokens. */
static long largest_prompt(void) {
  json_t *c = llmsup_fake_calls(&ms_fake);
  long best = 0;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(c, "calls"), i, v) {
    long t = (long)json_integer_value(json_object_get(v, "prompt_tokens"));
    if (!strcmp(json_string_value(json_object_get(v, "kind")), "chat") && t > best) best = t;
  }
  json_decref(c);
  return best;
}

Test(missions_depth, prompts_fit_a_small_context_window, .timeout = 240) {
  start();
  char *a = create("Low-carbon activities (8k)", json_pack("{s:s}", "depth", "standard"), 201);
  cr_assert(ms_wait_for(a, "completed", NULL, 120));
  long big = largest_prompt();
  seen_t sa = observe(a);
  cr_assert_not(sa.trimmed, "a default window needed trimming");
  /* the user's models get a 1024-token window */
  json_t *put = json_pack("{s:{s:{s:i}}}", "models", "default", "context_window", 1024);
  long st = 0;
  json_decref(ts_json(&ms_srv, "PUT", "/api/settings", ms_token, put, &st));
  json_decref(put);
  cr_assert_eq(st, 200, "settings: %ld", st);
  llmsup_fake_reset(&ms_fake);
  char *b = create("Low-carbon activities (1k)", json_pack("{s:s}", "depth", "standard"), 201);
  cr_assert(ms_wait_for(b, "completed", NULL, 120));
  long small = largest_prompt();
  seen_t sb = observe(b);
  cr_log_info("largest prompt: %ld tokens with 8192, %ld with 1024", big, small);
  cr_assert_lt(small, big, "prompts did not shrink (%ld vs %ld)", small, big);
  cr_assert_leq(small, 1024, "a prompt of %ld tokens does not fit a 1024-token window", small);
  cr_assert(sb.trimmed, "no context_trimmed warning");
  free(a);
  free(b);
}

Test(missions_depth, depth_is_validated_and_shown, .timeout = 120) {
  start();
  free(create("Bad depth", json_pack("{s:s}", "depth", "extreme"), 422));
  free(create("Bad depth type", json_pack("{s:i}", "depth", 3), 422));
  char *id = create("Default depth", json_pack("{s:b}", "offline", 1), 201);
  json_t *m = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(m, "depth")), "standard");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "settings"), "depth")), "standard");
  json_decref(m);
  free(id);
  char *out = NULL;
  cr_assert_eq(ts_run_cli(ms_srv.dir, ms_cli_env(), NULL, &out, "research", "--depth", "bottomless", "Why?", NULL), 2);
  free(out);
}
