/*
 * bench/bench_mission.c - orchestration overhead of a research mission.
 *
 * A full mission (6 planned sections, 1 round, write + review, verify) runs
 * in this process (agents_mission_run, as `maestro research` does) against
 * tests/fakes/fake_llm.py with zero latency, on a library of 40 generated
 * documents plus one fixture document the fake researcher quotes from.
 * Research runs with concurrency 1 so that "time outside model calls" (wall
 * time minus the sum of the model calls' latencies) is not blurred by
 * overlapping calls. Reported: wall time, time outside model calls, RSS
 * growth and peak, model calls and prompt tokens per report by agent.
 *
 * Baseline, same run: the very requests the mission made (messages as
 * recorded in llm_calls), sent again one after the other with bare llm_chat
 * (cache off, no mission). mission / baseline is the cost of orchestration
 * (search, prompt building, quote checks, store commits, events, report).
 *
 * Usage: bench_mission [missions]   (default 3; the median run is reported)
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/agents.h"
#include "app.h"
#include "auth/accounts.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "mission_bench.h"
#include "rag/rag.h"
#include "store/llm_calls.h"
#include "store/missions.h"

#define SECTIONS 6
#define FILLER_DOCS 40

static const char DOC[] =
    "# Debian release process\n\n"
    "Debian stable releases are supported for about three years by the security team. After that, the Long Term "
    "Support project extends security support to five years in total.\n\n"
    "# Package management\n\n"
    "The apt tool resolves dependencies and downloads packages from the configured mirrors. Packages are signed, "
    "and apt verifies the signatures with the keys of the archive before installing anything.\n";

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

/* The fake's rules: SECTIONS sections, 3 quotes found in DOC per section. */
static char *rules_json(void) {
  json_t *secs = json_array();
  for (int i = 0; i < SECTIONS; i++) {
    char t[64], q[160];
    snprintf(t, sizeof t, "Debian topic %d", i + 1);
    snprintf(q, sizeof q, "How do Debian security support and apt signatures work (aspect %d)?", i + 1);
    json_array_append_new(secs, json_pack("{s:s, s:[s], s:i}", "title", t, "questions", q, "priority", 1));
  }
  json_t *refl = json_array();
  for (int i = 0; i < SECTIONS; i++) {
    char id[8];
    snprintf(id, sizeof id, "s%d", i + 1);
    json_array_append_new(refl, json_pack("{s:s, s:f}", "id", id, "quality", 0.9));
  }
  json_t *verdicts = json_array();
  for (int i = 1; i <= 3 * SECTIONS; i++)
    json_array_append_new(verdicts, json_pack("{s:i, s:b}", "id", i, "supported", 1));
  json_t *r = json_pack(
      "{s:[{s:s, s:{s:s}, s:{s:{s:s, s:s}, s:o}},"
      "{s:s, s:{s:s}, s:{s:[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:i}]}},"
      "{s:s, s:{s:s}, s:{s:o}},"
      "{s:s, s:{s:s}, s:s},"
      "{s:s, s:{s:s}, s:{s:s, s:s, s:[]}},"
      "{s:s, s:{s:s}, s:{s:o}}]}",
      "rules", "name", "planner", "match", "system", "role: planner", "json", "analysis", "type", "report", "language",
      "en", "sections", secs,
      /* researcher */
      "name", "researcher", "match", "system", "role: researcher", "json", "notes", "passage", "P1", "quote",
      "Debian stable releases are supported for about three years by the security team.", "summary", "three years",
      "credibility", 8, "passage", "P1", "quote",
      "apt verifies the signatures with the keys of the archive before installing anything", "summary", "signatures",
      "credibility", 8, "passage", "P1", "quote",
      "the Long Term Support project extends security support to five years in total", "summary", "LTS", "credibility",
      7,
      /* reflector */
      "name", "reflector", "match", "system", "role: reflector", "json", "sections", refl,
      /* writer */
      "name", "writer", "match", "system", "role: writer", "text",
      "Debian stable releases are supported for about three years by the security team [1]. Before installing "
      "anything, apt verifies the signatures with the keys of the archive [2]. Long Term Support extends security "
      "support to five years in total [3].",
      /* reviewer */
      "name", "reviewer", "match", "system", "role: reviewer", "json", "introduction",
      "This report looks at how Debian keeps systems secure.", "conclusion",
      "Debian combines long support with signed packages.", "sections",
      /* verifier */
      "name", "verifier", "match", "system", "role: verifier", "json", "verdicts", verdicts);
  char *s = json_dumps(r, JSON_COMPACT);
  json_decref(r);
  return s;
}

/* Deterministic filler text about package management words. */
static void filler(buf_t *b, unsigned seed) {
  static const char *words[] = {"package",   "mirror",  "security", "release", "archive", "kernel",  "update",
                                "signature", "key",     "support",  "stable",  "testing", "network", "server",
                                "debian",    "install", "upgrade",  "policy",  "team",    "years"};
  for (int p = 0; p < 12; p++) {
    buf_printf(b, "# Part %d\n\n", p + 1);
    for (int s = 0; s < 8; s++) {
      for (int w = 0; w < 14; w++) {
        seed = seed * 1103515245u + 12345u;
        buf_printf(b, "%s%s", w ? " " : "", words[(seed >> 8) % 20]);
      }
      buf_puts(b, ". ");
    }
    buf_puts(b, "\n\n");
  }
}

typedef struct {
  double wall_ms, model_ms, outside_ms, baseline_ms;
  long rss_growth_kb;
  json_t *by_agent; /* {agent: {calls, prompt_tokens, completion_tokens, ms}} */
  long calls, prompt_tokens, completion_tokens;
} run_t;

/* Sends the mission's recorded requests again with bare llm_chat. */
static double baseline(app_t *app, const char *uid, json_t *calls) {
  double t0 = now_ms();
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) {
    json_t *msgs = json_object_get(json_object_get(c, "request"), "messages");
    size_t n = json_array_size(msgs);
    llm_message_t *m = calloc(n ? n : 1, sizeof *m);
    for (size_t k = 0; k < n; k++) {
      m[k].role = json_string_value(json_object_get(json_array_get(msgs, k), "role"));
      m[k].content = json_string_value(json_object_get(json_array_get(msgs, k), "content"));
    }
    const char *resp = json_string_value(json_object_get(c, "response"));
    int tier = llm_tier_parse(json_string_value(json_object_get(c, "role")) ?: "mid");
    llm_request_t req = {.tier = tier < 0 ? LLM_TIER_MID : (llm_tier_t)tier,
                         .messages = m,
                         .nmessages = n,
                         .temperature = -1,
                         .json_mode = resp && resp[0] == '{',
                         .user_id = uid,
                         .agent = "baseline",
                         .cache = LLM_CACHE_OFF};
    llm_response_t r;
    char err[512];
    if (llm_chat(app->llm, &req, &r, err, sizeof err) != 0) mb_die("baseline call", err);
    llm_response_free(&r);
    free(m);
  }
  return now_ms() - t0;
}

static run_t run_mission(app_t *app, const char *uid, int k) {
  run_t r = {0};
  char title[64], mid[17], err[1024];
  snprintf(title, sizeof title, "How Debian keeps systems secure (run %d)", k);
  json_t *req =
      json_pack("{s:s, s:[s], s:[s], s:{s:i}}", "title", title, "research_questions",
                "How does Debian keep systems secure?", "sources", "local_documents", "settings", "concurrency", 1);
  agents_err_t why = AGENTS_OK;
  if (agents_mission_create(app->agents, uid, req, 0, mid, &why, err, sizeof err, NULL) != 0) mb_die("create", err);
  json_decref(req);
  long rss0 = rss_kb();
  double t0 = now_ms();
  int rc = agents_mission_run(app->agents, mid, NULL, err, sizeof err);
  r.wall_ms = now_ms() - t0;
  r.rss_growth_kb = rss_kb() - rss0;
  if (rc != MISSION_RUN_DONE) mb_die("mission", err);
  json_t *calls = store_llm_calls_list_mission(app->store, mid, 0, 0);
  r.by_agent = json_object();
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) {
    const char *agent = json_string_value(json_object_get(c, "agent"));
    json_t *a = json_object_get(r.by_agent, agent ? agent : "?");
    if (!a) {
      a = json_pack("{s:i, s:i, s:i, s:i}", "calls", 0, "prompt_tokens", 0, "completion_tokens", 0, "ms", 0);
      json_object_set_new(r.by_agent, agent ? agent : "?", a);
    }
    long pt = (long)json_integer_value(json_object_get(c, "prompt_tokens"));
    long ct = (long)json_integer_value(json_object_get(c, "completion_tokens"));
    long ms = (long)json_integer_value(json_object_get(c, "latency_ms"));
    json_object_set_new(a, "calls", json_integer(json_integer_value(json_object_get(a, "calls")) + 1));
    json_object_set_new(a, "prompt_tokens", json_integer(json_integer_value(json_object_get(a, "prompt_tokens")) + pt));
    json_object_set_new(a, "completion_tokens",
                        json_integer(json_integer_value(json_object_get(a, "completion_tokens")) + ct));
    json_object_set_new(a, "ms", json_integer(json_integer_value(json_object_get(a, "ms")) + ms));
    r.calls++;
    r.prompt_tokens += pt;
    r.completion_tokens += ct;
    r.model_ms += (double)ms;
  }
  r.outside_ms = r.wall_ms - r.model_ms;
  r.baseline_ms = baseline(app, uid, calls);
  json_decref(calls);
  return r;
}

static int by_wall(const void *a, const void *b) {
  double x = ((const run_t *)a)->wall_ms, y = ((const run_t *)b)->wall_ms;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 3;
  if (runs < 1 || runs > 50) runs = 3;
  char *rules = rules_json();
  mb_env_t env;
  mb_open(&env, "mission", rules);
  free(rules);
  app_t *app = env.app;
  const char *uid = env.uid;
  /* the library: the fixture + generated documents */
  mb_add_text(&env, "debian.md", DOC, strlen(DOC));
  for (int d = 0; d < FILLER_DOCS; d++) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    filler(&b, (unsigned)d * 7919u + 1);
    char name[64];
    snprintf(name, sizeof name, "filler-%02d.md", d);
    mb_add_text(&env, name, b.data, b.len);
    buf_free(&b);
  }

  run_t *rs = calloc((size_t)runs, sizeof *rs);
  for (int k = 0; k < runs; k++) rs[k] = run_mission(app, uid, k + 1);
  qsort(rs, (size_t)runs, sizeof *rs, by_wall);
  run_t *m = &rs[runs / 2];
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);

  printf("Mission orchestration (%d sections, %d documents, fake model with zero latency, median of %d runs)\n",
         SECTIONS, FILLER_DOCS + 1, runs);
  printf("%-36s %12s\n", "metric", "value");
  printf("%-36s %12.1f\n", "mission wall time (ms)", m->wall_ms);
  printf("%-36s %12.1f\n", "  of which in model calls (ms)", m->model_ms);
  printf("%-36s %12.1f\n", "  outside model calls (ms)", m->outside_ms);
  printf("%-36s %12.1f\n", "baseline: same calls, bare (ms)", m->baseline_ms);
  printf("%-36s %12.2f\n", "ratio mission / baseline", m->baseline_ms > 0 ? m->wall_ms / m->baseline_ms : 0);
  printf("%-36s %12ld\n", "RSS growth during the mission (KiB)", m->rss_growth_kb);
  printf("%-36s %12ld\n", "peak RSS of the process (MiB)", ru.ru_maxrss / 1024);
  printf("%-36s %12ld\n", "model calls per report", m->calls);
  printf("%-36s %12ld\n", "prompt tokens per report", m->prompt_tokens);
  printf("%-36s %12ld\n", "completion tokens per report", m->completion_tokens);
  printf("\n%-12s %6s %14s %18s %10s\n", "agent", "calls", "prompt tokens", "completion tokens", "model ms");
  const char *agent;
  json_t *a;
  json_object_foreach(m->by_agent, agent, a) {
    printf("%-12s %6lld %14lld %18lld %10lld\n", agent, (long long)json_integer_value(json_object_get(a, "calls")),
           (long long)json_integer_value(json_object_get(a, "prompt_tokens")),
           (long long)json_integer_value(json_object_get(a, "completion_tokens")),
           (long long)json_integer_value(json_object_get(a, "ms")));
  }
  for (int k = 0; k < runs; k++) json_decref(rs[k].by_agent);
  free(rs);
  mb_close(&env);
  return 0;
}
