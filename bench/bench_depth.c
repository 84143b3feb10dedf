/*
 * bench/bench_depth.c - what a report costs and contains at each depth.
 *
 * One library of DOCS generated documents (energy topics x regions: each a
 * report with capacity, cost, risk, policy and jobs paragraphs whose
 * sentences carry their own figures), one fake model
 * (tests/fakes/fake_llm.py) whose rules answer each agent from the prompt
 * it gets: the planner proposes ten sections with search queries, the
 * researcher quotes a sentence of every passage verbatim (so notes verify),
 * the reflector asks two follow-up questions per section, the writer writes
 * every note it is given as cited sentences (under the ### headings of
 * subsections), the reviewer and the verifier accept. A mission per depth
 * runs in this process (agents_mission_run, as `maestro research` does).
 *
 * Printed per depth: searches made, distinct passages read, notes,
 * sections and subsections, distinct sources cited, words in the report
 * (body, introduction and conclusion; no references or run record), model
 * calls, prompt and completion tokens, the largest prompt of one call.
 * The model is a fake: words and tokens measure how much evidence reaches
 * the report and what the prompts cost, not prose quality.
 *
 * Usage: bench_depth [context_window]   (default 8192; BENCH_VERBOSE=1 lists
 * every call with its prompt and completion tokens on stderr)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/agents.h"
#include "app.h"
#include "auth/accounts.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "mission_bench.h"
#include "store/llm_calls.h"
#include "store/missions.h"

#define DOCS 220
#define TOPICS 10

static const char *TOPIC[TOPICS] = {"solar power",    "wind energy",      "battery storage", "grid reliability",
                                    "green hydrogen", "nuclear power",    "heat pumps",      "electric vehicles",
                                    "carbon pricing", "geothermal energy"};
static const char *REGION[] = {"Portugal", "Chile",  "Kenya",  "Vietnam", "Canada", "Poland",
                               "Morocco",  "Norway", "Mexico", "India",   "Japan"};
static const char *ORG[] = {"the national energy agency", "an independent research institute", "the grid operator",
                            "a university consortium",    "the ministry of industry",          "a trade association",
                            "the statistics office"};
static const char *RISK[] = {"slow permitting",       "supply chain delays", "grid connection queues",
                             "rising interest rates", "local opposition",    "a shortage of skilled workers"};
static const char *POLICY[] = {"a feed-in tariff", "a tax credit", "an auction scheme", "a loan guarantee programme",
                               "a procurement mandate"};

static unsigned rnd(unsigned *s, unsigned n) {
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xFFFFFF) % n;
}

/* One document: a report on a topic in a region, five themed paragraphs. */
static void document(buf_t *b, int d) {
  const char *t = TOPIC[d % TOPICS], *r = REGION[(d / TOPICS) % 11];
  unsigned s = (unsigned)d * 2654435761u + 17u;
  int year = 2015 + (int)rnd(&s, 9);
  buf_printf(b, "# %c%s in %s: field report %d\n\n", t[0] - 32, t + 1, r, d + 1);
  buf_printf(b, "## Capacity\n\nIn %d, %s capacity in %s reached %u.%u gigawatts, according to %s. ", year, t, r,
             1 + rnd(&s, 40), rnd(&s, 10), ORG[rnd(&s, 7)]);
  buf_printf(b,
             "Installations in %s grew by %u percent a year between %d and %d, faster than the previous plan "
             "expected. ",
             r, 3 + rnd(&s, 30), year - 5, year);
  buf_printf(b, "The largest %s site in %s produces about %u megawatts and serves %u thousand homes.\n\n", t, r,
             50 + rnd(&s, 900), 10 + rnd(&s, 400));
  buf_printf(b, "## Costs\n\nAnalysts at %s found that %s costs in %s fell by %u percent between %d and %d. ",
             ORG[rnd(&s, 7)], t, r, 5 + rnd(&s, 60), year - 6, year);
  buf_printf(b, "Financing accounts for about %u percent of the lifetime cost of a %s project in %s. ",
             20 + rnd(&s, 40), t, r);
  buf_printf(b, "Operating costs of %s in %s were estimated at %u euros per megawatt hour in %d.\n\n", t, r,
             8 + rnd(&s, 90), year);
  buf_printf(b, "## Risks\n\nThe main risk for %s projects in %s is %s, which delayed %u projects in %d. ", t, r,
             RISK[rnd(&s, 6)], 2 + rnd(&s, 60), year);
  buf_printf(b, "A review of %u %s sites in %s showed that output varies by %u percent across seasons. ",
             10 + rnd(&s, 300), t, r, 5 + rnd(&s, 40));
  buf_printf(b, "Insurers in %s now price %s assets with a risk premium of %u.%u percent.\n\n", r, t, rnd(&s, 4),
             rnd(&s, 10));
  buf_printf(b, "## Policy\n\nPolicy makers in %s adopted %s to support %s, with a budget of %u million euros. ", r,
             POLICY[rnd(&s, 5)], t, 20 + rnd(&s, 2000));
  buf_printf(b, "The %s target of %s for %d is %u gigawatts of %s, set in the national energy plan. ", r, r, year + 10,
             2 + rnd(&s, 80), t);
  buf_printf(b, "Local governments in %s must approve new %s projects within %u months under the %d reform.\n\n", r, t,
             3 + rnd(&s, 30), year - 1);
  buf_printf(b, "## Jobs\n\nEmployment in the %s sector of %s grew to %u thousand jobs by %d. ", t, r, 1 + rnd(&s, 120),
             year);
  buf_printf(b, "Training centres in %s certified %u %s technicians in %d, %u percent of them women.\n", r,
             100 + rnd(&s, 5000), t, year, 5 + rnd(&s, 40));
}

/* The fake model's rules: the planner is scripted, the other agents answer
 * from their prompt (tests/fakes/research_team.json). */
static char *rules_json(void) {
  json_t *secs = json_array();
  for (int i = 0; i < TOPICS; i++) {
    const char *t = TOPIC[i];
    char title[64], q1[160], q2[160], q3[160], k1[96], k2[96], k3[96], k4[96];
    snprintf(title, sizeof title, "%c%s", t[0] - 32, t + 1);
    snprintf(q1, sizeof q1, "How much %s capacity has been installed and how fast is it growing?", t);
    snprintf(q2, sizeof q2, "What do %s projects cost and how have their costs changed?", t);
    snprintf(q3, sizeof q3, "Which risks, policies and jobs shape %s?", t);
    snprintf(k1, sizeof k1, "%s capacity gigawatts installations", t);
    snprintf(k2, sizeof k2, "%s costs financing euros", t);
    snprintf(k3, sizeof k3, "%s risk delayed projects insurers", t);
    snprintf(k4, sizeof k4, "%s policy budget target employment training", t);
    json_array_append_new(secs, json_pack("{s:s, s:[s,s,s], s:[s,s,s,s], s:i}", "title", title, "questions", q1, q2, q3,
                                          "queries", k1, k2, k3, k4, "priority", i + 1));
  }
  return mb_team_rules(secs);
}

typedef struct {
  const char *depth;
  long long searches, passages, notes, sections, subsections, sources, words, calls, ptok, ctok, max_prompt;
  double secs;
} row_t;

static long long words_of(const char *md) {
  const char *end = strstr(md, "\n## References");
  if (!end) end = strstr(md, "\n## Run record");
  if (!end) end = md + strlen(md);
  long long n = 0;
  int in = 0;
  for (const char *p = md; p < end; p++) {
    int w = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
    if (w && !in) n++;
    in = w;
  }
  return n;
}

static row_t run_depth(app_t *app, const char *uid, const char *depth) {
  row_t r = {.depth = depth};
  char mid[17], err[1024];
  json_t *req =
      json_pack("{s:s, s:[s], s:[s], s:{s:s, s:i}}", "title", "The energy transition, technology by technology",
                "research_questions", "How is the energy transition progressing across technologies?", "sources",
                "local_documents", "settings", "depth", depth, "concurrency", 2);
  agents_err_t why = AGENTS_OK;
  if (agents_mission_create(app->agents, uid, req, 0, mid, &why, err, sizeof err, NULL) != 0) mb_die("create", err);
  json_decref(req);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (agents_mission_run(app->agents, mid, NULL, err, sizeof err) != MISSION_RUN_DONE) mb_die("mission", err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  r.secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  json_t *rep = NULL;
  if (store_mission_report(app->store, mid, 0, &rep) != STORE_OK) mb_die("report", mid);
  json_t *meta = json_object_get(rep, "meta"), *rec = json_object_get(meta, "record");
  r.searches = json_integer_value(json_object_get(rec, "searches"));
  r.passages = json_integer_value(json_object_get(rec, "passages_read"));
  r.words = words_of(json_string_value(json_object_get(rep, "markdown")));
  json_t *docs = json_object();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(meta, "references"), i, v) {
    const char *k = json_string_value(json_object_get(v, "document_id"));
    if (!k) k = json_string_value(json_object_get(v, "url"));
    if (!k) k = json_string_value(json_object_get(v, "title"));
    if (k) json_object_set_new(docs, k, json_true());
  }
  r.sources = (long long)json_object_size(docs);
  json_decref(docs);
  json_decref(rep);
  json_t *notes = store_mission_notes(app->store, mid, NULL);
  r.notes = (long long)json_array_size(notes);
  json_decref(notes);
  json_t *secs = store_mission_sections(app->store, mid);
  json_array_foreach(secs, i, v) {
    if (json_is_string(json_object_get(v, "parent_id")))
      r.subsections++;
    else
      r.sections++;
  }
  json_decref(secs);
  store_llm_totals_t t = {0};
  store_llm_calls_totals(app->store, mid, &t);
  r.calls = t.calls;
  r.ptok = t.prompt_tokens;
  r.ctok = t.completion_tokens;
  json_t *calls = store_llm_calls_list_mission(app->store, mid, 0, 0);
  json_array_foreach(calls, i, v) {
    long long p = json_integer_value(json_object_get(v, "prompt_tokens"));
    if (p > r.max_prompt) r.max_prompt = p;
    if (getenv("BENCH_VERBOSE"))
      fprintf(stderr, "%s %s prompt %lld completion %lld\n", depth, json_string_value(json_object_get(v, "agent")), p,
              (long long)json_integer_value(json_object_get(v, "completion_tokens")));
  }
  json_decref(calls);
  return r;
}

int main(int argc, char **argv) {
  int window = argc > 1 ? atoi(argv[1]) : 8192;
  if (window < 512) window = 8192;
  char win[32];
  snprintf(win, sizeof win, "%d", window);
  setenv("LLM_CONTEXT_WINDOW", win, 1);
  char *rules = rules_json();
  mb_env_t env;
  mb_open(&env, "depth", rules);
  free(rules);
  app_t *app = env.app;
  for (int d = 0; d < DOCS; d++) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    document(&b, d);
    char name[64];
    snprintf(name, sizeof name, "report-%03d.md", d + 1);
    mb_add_text(&env, name, b.data, b.len);
    buf_free(&b);
  }
  static const char *depths[] = {"quick", "standard", "deep"};
  row_t rows[3];
  for (int k = 0; k < 3; k++) rows[k] = run_depth(app, env.uid, depths[k]);

  printf("Report depth (%d documents, fake model answering from its prompts, context window %d tokens)\n", DOCS,
         window);
  printf("%-34s %12s %12s %12s\n", "metric", depths[0], depths[1], depths[2]);
#define ROW(label, field) printf("%-34s %12lld %12lld %12lld\n", label, rows[0].field, rows[1].field, rows[2].field)
  ROW("searches made", searches);
  ROW("distinct passages read", passages);
  ROW("notes", notes);
  ROW("sections", sections);
  ROW("subsections", subsections);
  ROW("distinct sources cited", sources);
  ROW("words in the report", words);
  ROW("model calls", calls);
  ROW("prompt tokens", ptok);
  ROW("completion tokens", ctok);
  ROW("largest prompt of one call", max_prompt);
  printf("%-34s %12.1f %12.1f %12.1f\n", "wall time (s)", rows[0].secs, rows[1].secs, rows[2].secs);
  printf("%-34s %12.1f %12.1f %12.1f\n", "model calls per section", (double)rows[0].calls / (double)rows[0].sections,
         (double)rows[1].calls / (double)rows[1].sections, (double)rows[2].calls / (double)rows[2].sections);
  printf("%-34s %12.0f %12.0f %12.0f\n", "tokens per section",
         (double)(rows[0].ptok + rows[0].ctok) / (double)rows[0].sections,
         (double)(rows[1].ptok + rows[1].ctok) / (double)rows[1].sections,
         (double)(rows[2].ptok + rows[2].ctok) / (double)rows[2].sections);
  mb_close(&env);
  return 0;
}
