/* test_llm_client.c - the model layer against the fake model server: both
 * providers, streaming or not, every fault, structured output, cancellation,
 * concurrency, accounting, cache and replay. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "llm/llm.h"
#include "llm_support.h"
#include "store/llm_calls.h"
#include "store/users.h"

static llmsup_fake_t fake;
static llmsup_app_t *A;

/* Starts the fake with rules and an app whose chat endpoint is the fake:
 * provider "openai" (base .../v1) or "ollama" (base = root). */
static void setup_with(const char *rules, const char *provider, const char *const *extra_env) {
  cr_assert(llmsup_fake_start(&fake, rules) == 0, "fake did not start");
  char url[128], e1[200];
  llmsup_url(&fake, strcmp(provider, "ollama") == 0 ? "" : "/v1", url, sizeof url);
  snprintf(e1, sizeof e1, "LOCAL_MODEL_URL=%s", url);
  const char *env[24] = {e1, "MODEL_NAME=fake-model", "LLM_MAX_RETRIES=3", NULL};
  int n = 3;
  for (const char *const *e = extra_env; e && *e && n < 23; e++) env[n++] = *e;
  env[n] = NULL;
  A = llmsup_app(env);
}

static void teardown_all(void) {
  llmsup_app_free(A);
  A = NULL;
  llmsup_fake_stop(&fake);
}

static int ask(const char *content, const llm_request_t *base, llm_response_t *resp, char *err, size_t errlen) {
  llm_message_t msgs[2] = {{"system", "You are a test."}, {"user", content}};
  llm_request_t req = base ? *base : (llm_request_t){0};
  if (!base) req.temperature = -1;
  req.messages = msgs;
  req.nmessages = 2;
  if (!req.user_id) req.user_id = A->user_id;
  return llm_chat(A->app->llm, &req, resp, err, errlen);
}

static json_t *fake_calls(void) {
  json_t *c = llmsup_fake_calls(&fake);
  cr_assert(c);
  return c;
}

static long rule_count(const char *rule) {
  json_t *c = fake_calls();
  long n = (long)json_integer_value(json_object_get(json_object_get(c, "by_rule"), rule));
  json_decref(c);
  return n;
}

static int collect(void *ud, const char *t, size_t n) {
  if (!t)
    buf_reset(ud);
  else
    buf_append(ud, t, n);
  return 0;
}

static void chat_roundtrip(const char *provider, int stream) {
  setup_with("{\"rules\":[{\"name\":\"hi\",\"match\":{\"content\":\"hello\"},\"text\":\"Hello there, friend!\"}]}",
             provider, NULL);
  buf_t toks;
  buf_init(&toks);
  llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1};
  if (stream) {
    req.on_token = collect;
    req.token_ud = &toks;
  }
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("hello model", &req, &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.text, "Hello there, friend!");
  cr_assert_str_eq(r.provider, provider);
  cr_assert_str_eq(r.model, "fake-model");
  cr_assert(r.prompt_tokens > 0 && r.completion_tokens > 0);
  cr_assert(!r.tokens_estimated, "usage from the server expected");
  if (stream) cr_assert_str_eq(toks.data, "Hello there, friend!");
  json_t *c = fake_calls();
  json_t *call = json_array_get(json_object_get(c, "calls"), 0);
  cr_assert_eq(json_integer_value(json_object_get(c, "total")), 1);
  cr_assert_eq(json_is_true(json_object_get(call, "stream")), stream);
  if (strcmp(provider, "ollama") == 0)
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(call, "options"), "num_ctx")), 8192,
                 "num_ctx must always be sent to Ollama");
  json_decref(c);
  llm_response_free(&r);
  buf_free(&toks);
}

TestSuite(llm, .fini = teardown_all, .timeout = 60);
TestSuite(json, .fini = teardown_all, .timeout = 60);
TestSuite(record, .fini = teardown_all, .timeout = 60);
TestSuite(embed, .fini = teardown_all, .timeout = 60);
TestSuite(rerank, .fini = teardown_all, .timeout = 60);
TestSuite(models, .fini = teardown_all, .timeout = 60);
TestSuite(secrets, .fini = teardown_all, .timeout = 60);

Test(llm, openai_nonstream) {
  chat_roundtrip("openai", 0);
}
Test(llm, openai_stream) {
  chat_roundtrip("openai", 1);
}
Test(llm, ollama_nonstream) {
  chat_roundtrip("ollama", 0);
}
Test(llm, ollama_stream) {
  chat_roundtrip("ollama", 1);
}

/* Every fault either ends in the right answer after retries or a clear error. */
static void fault_recovers(const char *provider, const char *fault, int stream, long want_calls) {
  char rules[512];
  snprintf(rules, sizeof rules, "{\"rules\":[{\"name\":\"f\",\"text\":\"Recovered answer.\",\"fail_times\":2,%s}]}",
           fault);
  setup_with(rules, provider, NULL);
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .stream = stream};
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", &req, &r, err, sizeof err), 0, "%s: %s", fault, err);
  cr_assert_str_eq(r.text, "Recovered answer.");
  cr_assert_eq(r.attempts, 3, "%s: attempts %d", fault, r.attempts);
  cr_assert_eq(rule_count("f"), want_calls);
  llm_response_free(&r);
}

Test(llm, retry_500) {
  fault_recovers("openai", "\"status\":500", 0, 3);
}
Test(llm, retry_503_ollama_stream) {
  fault_recovers("ollama", "\"status\":503", 1, 3);
}
Test(llm, retry_drop_mid_stream) {
  fault_recovers("openai", "\"drop\":2", 1, 3);
}
Test(llm, retry_drop_mid_stream_ollama) {
  fault_recovers("ollama", "\"drop\":1", 1, 3);
}
Test(llm, retry_drop_nonstream) {
  fault_recovers("openai", "\"drop\":0", 0, 3);
}
Test(llm, retry_garbage_body) {
  fault_recovers("openai", "\"garbage\":true", 0, 3);
}
Test(llm, retry_garbage_stream) {
  fault_recovers("ollama", "\"garbage\":true", 1, 3);
}

Test(llm, retry_429_honours_retry_after) {
  setup_with("{\"rules\":[{\"name\":\"f\",\"text\":\"ok\",\"fail_times\":1,\"status\":429,\"retry_after\":1}]}",
             "openai", NULL);
  int64_t t0 = util_mono_ms();
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", NULL, &r, err, sizeof err), 0, "%s", err);
  int64_t took = util_mono_ms() - t0;
  cr_assert(took >= 950, "Retry-After: 1 not honoured (%lld ms)", (long long)took);
  cr_assert_eq(rule_count("f"), 2);
  llm_response_free(&r);
}

Test(llm, no_retry_on_400_and_clear_error) {
  setup_with("{\"rules\":[{\"name\":\"f\",\"status\":400,\"error\":\"context length exceeded\"}]}", "openai", NULL);
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", NULL, &r, err, sizeof err), LLM_ERR);
  cr_assert_eq(rule_count("f"), 1, "a 400 must not be retried");
  char url[128];
  llmsup_url(&fake, "/v1", url, sizeof url);
  cr_assert(strstr(err, url), "endpoint missing: %s", err);
  cr_assert(strstr(err, "fake-model"), "model missing: %s", err);
  cr_assert(strstr(err, "HTTP 400"), "status missing: %s", err);
  cr_assert(strstr(err, "context length exceeded"), "server message missing: %s", err);
}

Test(llm, gives_up_after_max_retries) {
  setup_with("{\"rules\":[{\"name\":\"f\",\"status\":502,\"error\":\"bad gateway upstream\"}]}", "ollama", NULL);
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", NULL, &r, err, sizeof err), LLM_ERR);
  cr_assert_eq(rule_count("f"), 4, "1 try + LLM_MAX_RETRIES=3");
  cr_assert(strstr(err, "HTTP 502") && strstr(err, "bad gateway upstream") && strstr(err, "4 attempts"), "%s", err);
}

Test(llm, stalled_stream_times_out_and_retries) {
  const char *env[] = {"LLM_STALL_SECONDS=1", NULL};
  setup_with(
      "{\"rules\":[{\"name\":\"f\",\"text\":\"a slow but complete answer\",\"stall\":4,\"fail_times\":1,"
      "\"times\":1},{\"name\":\"g\",\"text\":\"second try\"}]}",
      "openai", env);
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .stream = 1};
  llm_response_t r;
  char err[512];
  int64_t t0 = util_mono_ms();
  cr_assert_eq(ask("q", &req, &r, err, sizeof err), 0, "%s", err);
  cr_assert(util_mono_ms() - t0 < 3900, "the stall was not cut short");
  cr_assert_str_eq(r.text, "second try");
  llm_response_free(&r);
}

Test(llm, think_stripped_from_text) {
  setup_with("{\"rules\":[{\"text\":\"The answer.\",\"think\":\"secret reasoning\"}]}", "ollama", NULL);
  buf_t toks;
  buf_init(&toks);
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .on_token = collect, .token_ud = &toks};
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", &req, &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.text, "The answer.");
  cr_assert_null(strstr(toks.data, "secret"), "streamed: %s", toks.data);
  llm_response_free(&r);
  buf_free(&toks);
}

/* ---- structured output ---- */

static const char *SCHEMA =
    "{\"type\":\"object\",\"required\":[\"title\",\"queries\"],\"properties\":{\"title\":{\"type\":\"string\"},"
    "\"queries\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}";

static json_t *structured(const char *rules, const char *provider, int *rc, char *err, size_t errlen) {
  setup_with(rules, provider, NULL);
  json_t *schema = json_loads(SCHEMA, 0, NULL);
  llm_request_t req = {.tier = LLM_TIER_INTELLIGENT, .temperature = -1, .json_schema = schema};
  llm_response_t r;
  *rc = ask("plan it", &req, &r, err, errlen);
  json_t *out = r.json ? json_incref(r.json) : NULL;
  llm_response_free(&r);
  json_decref(schema);
  return out;
}

static void extracts_from(const char *fault) {
  char rules[400];
  snprintf(rules, sizeof rules,
           "{\"rules\":[{\"name\":\"p\",\"json\":{\"title\":\"T\",\"queries\":[\"a\",\"b\"]},%s}]}", fault);
  int rc;
  char err[512];
  json_t *j = structured(rules, "openai", &rc, err, sizeof err);
  cr_assert_eq(rc, 0, "%s: %s", fault, err);
  cr_assert_str_eq(json_string_value(json_object_get(j, "title")), "T");
  cr_assert_eq(json_array_size(json_object_get(j, "queries")), 2);
  cr_assert_eq(rule_count("p"), 1, "%s: extraction should not need a re-ask", fault);
  json_decref(j);
}

Test(json, from_fence) {
  extracts_from("\"fence\":true");
}
Test(json, from_think) {
  extracts_from("\"think\":true");
}
Test(json, from_prose) {
  extracts_from("\"prose\":true");
}
Test(json, from_trailing_comma) {
  extracts_from("\"trailing_comma\":true");
}
Test(json, from_everything_at_once) {
  extracts_from("\"think\":true,\"prose\":true,\"fence\":true,\"trailing_comma\":true");
}

Test(json, reask_once_then_valid) {
  int rc;
  char err[512];
  json_t *j = structured(
      "{\"rules\":[{\"name\":\"p\",\"json\":{\"title\":\"T\",\"queries\":[]},"
      "\"malformed\":true,\"fail_times\":1}]}",
      "ollama", &rc, err, sizeof err);
  cr_assert_eq(rc, 0, "%s", err);
  cr_assert_str_eq(json_string_value(json_object_get(j, "title")), "T");
  json_t *c = fake_calls();
  json_t *second = json_array_get(json_object_get(c, "calls"), 1);
  cr_assert_eq(json_integer_value(json_object_get(c, "total")), 2);
  cr_assert_eq(json_integer_value(json_object_get(second, "messages")), 5, "re-ask carries the answer and the error");
  cr_assert(strstr(json_string_value(json_object_get(second, "last_user")), "could not be used"));
  json_decref(c);
  json_decref(j);
}

Test(json, missing_field_reask_then_clear_failure) {
  int rc;
  char err[512];
  json_t *j = structured("{\"rules\":[{\"name\":\"p\",\"json\":{\"title\":\"T\"}}]}", "openai", &rc, err, sizeof err);
  cr_assert_null(j);
  cr_assert_eq(rc, LLM_ERR_INVALID_JSON);
  cr_assert(strstr(err, "missing required field \"queries\""), "%s", err);
  cr_assert_eq(rule_count("p"), 2, "exactly one re-ask");
}

Test(json, schema_fallback_remembered_per_endpoint) {
  setup_with(
      "{\"reject_response_format\":[\"json_schema\",\"json_object\"],\"rules\":[{\"name\":\"p\","
      "\"json\":{\"title\":\"T\",\"queries\":[\"q\"]}}]}",
      "openai", NULL);
  json_t *schema = json_loads(SCHEMA, 0, NULL);
  for (int round = 0; round < 2; round++) {
    llm_request_t req = {.tier = LLM_TIER_INTELLIGENT, .temperature = -1, .json_schema = schema};
    llm_response_t r;
    char err[512];
    char q[32];
    snprintf(q, sizeof q, "plan %d", round);
    cr_assert_eq(ask(q, &req, &r, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "title")), "T");
    llm_response_free(&r);
  }
  json_t *c = fake_calls();
  json_t *calls = json_object_get(c, "calls");
  /* round 1: json_schema (400), json_object (400), instructions (ok); round 2: instructions straight away */
  cr_assert_eq(json_array_size(calls), 4);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(calls, 0), "json_kind")), "json_schema");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(calls, 1), "json_kind")), "json_object");
  cr_assert(json_is_null(json_object_get(json_array_get(calls, 2), "json_kind")));
  cr_assert(json_is_null(json_object_get(json_array_get(calls, 3), "json_kind")));
  json_decref(c);
  json_decref(schema);
}

/* ---- cancellation and concurrency ---- */

typedef struct {
  atomic_int *flag;
  int after_ms;
} canceller_t;

static void *cancel_later(void *ud) {
  canceller_t *c = ud;
  util_sleep_ms(c->after_ms);
  atomic_store(c->flag, 1);
  return NULL;
}

Test(llm, cancellation_aborts_in_flight_call) {
  setup_with("{\"rules\":[{\"text\":\"too late\",\"delay\":10}]}", "openai", NULL);
  atomic_int flag = 0;
  canceller_t c = {&flag, 300};
  pthread_t th;
  pthread_create(&th, NULL, cancel_later, &c);
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .cancel = &flag, .mission_id = "m-cancel"};
  llm_response_t r;
  char err[512];
  int64_t t0 = util_mono_ms();
  cr_assert_eq(ask("q", &req, &r, err, sizeof err), LLM_ERR_CANCELLED, "%s", err);
  int64_t took = util_mono_ms() - t0;
  pthread_join(th, NULL);
  cr_assert(took < 2500, "cancel took %lld ms", (long long)took);
  store_llm_totals_t t;
  cr_assert_eq(store_llm_calls_totals(A->app->store, "m-cancel", &t), 0);
  cr_assert_eq(t.calls, 1);
  cr_assert_eq(t.failed, 1);
}

typedef struct {
  const char *mission;
  int rc;
  char q[32];
} worker_t;

static void *worker(void *ud) {
  worker_t *w = ud;
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .mission_id = w->mission};
  llm_response_t r;
  char err[512];
  w->rc = ask(w->q, &req, &r, err, sizeof err);
  llm_response_free(&r);
  return NULL;
}

static long run_parallel(int n, const char *mission) {
  pthread_t th[8];
  worker_t w[8];
  for (int i = 0; i < n; i++) {
    w[i].mission = mission;
    snprintf(w[i].q, sizeof w[i].q, "question %d", i);
    pthread_create(&th[i], NULL, worker, &w[i]);
  }
  for (int i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(w[i].rc, 0);
  }
  json_t *c = fake_calls();
  long m = (long)json_integer_value(json_object_get(c, "max_inflight"));
  cr_assert_eq(json_integer_value(json_object_get(c, "total")), n);
  json_decref(c);
  return m;
}

Test(llm, global_concurrency_limit) {
  const char *env[] = {"LLM_MAX_CONCURRENCY=2", NULL};
  setup_with("{\"rules\":[{\"text\":\"ok\",\"delay\":0.4}]}", "openai", env);
  long m = run_parallel(6, NULL);
  cr_assert_eq(m, 2, "max in flight %ld", m);
}

Test(llm, mission_concurrency_limit) {
  const char *env[] = {"LLM_MAX_CONCURRENCY=8", "LLM_MISSION_CONCURRENCY=3", NULL};
  setup_with("{\"rules\":[{\"text\":\"ok\",\"delay\":0.4}]}", "ollama", env);
  long m = run_parallel(7, "m-limit");
  cr_assert_eq(m, 3, "max in flight %ld", m);
}

/* ---- accounting, cache, replay ---- */

Test(record, cost_tokens_and_request_stored) {
  char prices[300];
  snprintf(prices, sizeof prices, "/tmp/maestro-prices-%d.json", (int)getpid());
  FILE *pf = fopen(prices, "w");
  fputs("{\"fake-model\": {\"input\": 1000000, \"output\": 2000000}}", pf);
  fclose(pf);
  char pe[400];
  snprintf(pe, sizeof pe, "LLM_PRICES_FILE=%s", prices);
  const char *env[] = {pe, NULL};
  setup_with("{\"rules\":[{\"text\":\"one two three\"}]}", "openai", env);
  /* The fake is on loopback (free); mark it external in the user's settings so
   * the price applies, as it would for a hosted endpoint. */
  char url[128];
  json_t *models =
      json_pack("{s:{s:s, s:b}}", "default", "base_url", llmsup_url(&fake, "/v1", url, sizeof url), "external", 1);
  cr_assert_eq(store_setting_put(A->app->store, A->user_id, "models", models), 0);
  json_decref(models);
  llm_request_t req = {.tier = LLM_TIER_VERIFIER, .temperature = -1, .mission_id = "m-cost", .agent = "verifier"};
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("count me", &req, &r, err, sizeof err), 0, "%s", err);
  /* fake usage: prompt = words in all messages, completion = 3 */
  cr_assert_eq(r.completion_tokens, 3);
  cr_assert(r.prompt_tokens > 0);
  double want = r.prompt_tokens * 1.0 + 3 * 2.0;
  cr_assert_float_eq(r.cost_usd, want, 1e-9);
  json_t *logs = store_llm_calls_list_mission(A->app->store, "m-cost", 0, 0);
  cr_assert_eq(json_array_size(logs), 1);
  json_t *row = json_array_get(logs, 0);
  cr_assert_str_eq(json_string_value(json_object_get(row, "response")), "one two three");
  cr_assert_str_eq(json_string_value(json_object_get(row, "role")), "verifier");
  cr_assert_str_eq(json_string_value(json_object_get(row, "agent")), "verifier");
  cr_assert_str_eq(json_string_value(json_object_get(row, "model")), "fake-model");
  cr_assert_str_eq(json_string_value(json_object_get(row, "status")), "ok");
  cr_assert_float_eq(json_real_value(json_object_get(row, "cost_usd")), want, 1e-9);
  json_t *m1 = json_array_get(json_object_get(json_object_get(row, "request"), "messages"), 1);
  cr_assert_str_eq(json_string_value(json_object_get(m1, "content")), "count me");
  store_llm_totals_t t;
  store_llm_calls_totals(A->app->store, "m-cost", &t);
  cr_assert_eq(t.calls, 1);
  cr_assert_eq(t.completion_tokens, 3);
  cr_assert_float_eq(t.cost_usd, want, 1e-9);
  json_decref(logs);
  llm_response_free(&r);
  unlink(prices);
}

Test(record, local_endpoint_costs_nothing_and_estimates_tokens) {
  setup_with("{\"rules\":[{\"text\":\"短い答え\",\"usage\":false}]}", "ollama", NULL);
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1};
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("q", &req, &r, err, sizeof err), 0, "%s", err);
  cr_assert(r.tokens_estimated);
  cr_assert_eq(r.completion_tokens, 4);
  cr_assert_float_eq(r.cost_usd, 0.0, 1e-12);
  llm_response_free(&r);
}

Test(record, cache_hit_on_repeat_within_mission) {
  setup_with("{\"rules\":[{\"name\":\"a\",\"texts\":[\"first\",\"second\"]}]}", "openai", NULL);
  llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1, .mission_id = "m-cache"};
  llm_response_t r1, r2, r3;
  char err[512];
  cr_assert_eq(ask("same question", &req, &r1, err, sizeof err), 0, "%s", err);
  cr_assert_eq(ask("same question", &req, &r2, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r2.text, "first");
  cr_assert(r2.cached);
  cr_assert_eq(rule_count("a"), 1, "the repeat must not reach the model");
  req.cache = LLM_CACHE_OFF;
  cr_assert_eq(ask("same question", &req, &r3, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r3.text, "second");
  store_llm_totals_t t;
  store_llm_calls_totals(A->app->store, "m-cache", &t);
  cr_assert_eq(t.calls, 2);
  cr_assert_eq(t.cached, 1);
  llm_response_free(&r1);
  llm_response_free(&r2);
  llm_response_free(&r3);
}

/* An answer cut off by the token limit says so in both wire formats,
 * streamed or not, and still says so when it comes from the cache. */
static void truncated_answer(const char *provider) {
  setup_with("{\"rules\":[{\"name\":\"a\",\"text\":\"a long answer cut short\",\"misbehave\":[\"truncate\"]}]}",
             provider, NULL);
  char err[512];
  for (int stream = 0; stream < 2; stream++) {
    char mission[32];
    snprintf(mission, sizeof mission, "m-cut-%s-%d", provider, stream);
    llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1, .mission_id = mission, .stream = stream};
    llm_response_t r1, r2;
    cr_assert_eq(ask("cut me", &req, &r1, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(r1.finish_reason, "length", "%s stream=%d", provider, stream);
    cr_expect_str_eq(r1.text, "a long answ");
    cr_assert_eq(ask("cut me", &req, &r2, err, sizeof err), 0, "%s", err);
    cr_assert(r2.cached);
    cr_expect_str_eq(r2.finish_reason, "length", "the cache forgot the finish reason");
    llm_response_free(&r1);
    llm_response_free(&r2);
  }
}

Test(record, finish_reason_length_openai) {
  truncated_answer("openai");
}

Test(record, finish_reason_length_ollama) {
  truncated_answer("ollama");
}

Test(record, replay_with_fake_stopped) {
  setup_with("{\"rules\":[{\"name\":\"a\",\"texts\":[\"one\",\"two\",\"three\"]}]}", "openai", NULL);
  const char *qs[] = {"step A", "step B", "step A"};
  llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1, .mission_id = "m-orig", .cache = LLM_CACHE_OFF};
  char err[512];
  for (int i = 0; i < 3; i++) {
    llm_response_t r;
    cr_assert_eq(ask(qs[i], &req, &r, err, sizeof err), 0, "%s", err);
    llm_response_free(&r);
  }
  llmsup_fake_stop(&fake);
  llm_set_replay(A->app->llm, "m-orig");
  const char *want[] = {"one", "two", "three"};
  req.mission_id = "m-replay";
  for (int i = 0; i < 3; i++) {
    llm_response_t r;
    cr_assert_eq(ask(qs[i], &req, &r, err, sizeof err), 0, "replay %d: %s", i, err);
    cr_assert_str_eq(r.text, want[i]);
    cr_assert(r.replayed);
    llm_response_free(&r);
  }
  llm_response_t r;
  cr_assert_eq(ask("step C", &req, &r, err, sizeof err), LLM_ERR_REPLAY_MISS);
  cr_assert(strstr(err, "not in the record"), "%s", err);
  /* A fourth "step A" is not in the record either (only two were made). */
  cr_assert_eq(ask("step A", &req, &r, err, sizeof err), LLM_ERR_REPLAY_MISS);
  llm_set_replay(A->app->llm, NULL);
}

/* ---- embeddings, rerank, models ---- */

static void embeddings_for(const char *provider) {
  const char *env[] = {"EMBEDDING_MODEL=fake-embed", NULL};
  setup_with("{\"embedding_dim\":48}", provider, env);
  const char *texts[40];
  char bufs[40][64];
  for (int i = 0; i < 40; i++) {
    snprintf(bufs[i], sizeof bufs[i], i % 2 ? "cats purr on warm sofas %d" : "rockets launch into orbit %d", i);
    texts[i] = bufs[i];
  }
  float *v = NULL;
  int dim = 0;
  char err[512];
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, texts, 40, &v, &dim, NULL, err, sizeof err), 0, "%s", err);
  cr_assert_eq(dim, 48);
  double n0 = 0, same = 0, diff = 0;
  for (int k = 0; k < dim; k++) {
    n0 += v[k] * v[k];
    same += v[0 * dim + k] * v[2 * dim + k];
    diff += v[0 * dim + k] * v[1 * dim + k];
  }
  cr_assert_float_eq(n0, 1.0, 1e-5);
  cr_assert(same > diff + 0.3, "similar texts must be closer (same %f diff %f)", same, diff);
  free(v);
  json_t *c = fake_calls();
  cr_assert_eq(json_integer_value(json_object_get(c, "total")), 2, "40 texts in batches of 32");
  json_decref(c);
}

Test(embed, openai_batched_normalised) {
  embeddings_for("openai");
}
Test(embed, ollama_batched_normalised) {
  embeddings_for("ollama");
}

Test(embed, not_configured_is_distinct) {
  setup_with(NULL, "openai", NULL);
  const char *t[1] = {"x"};
  float *v;
  int dim;
  char err[512];
  cr_assert_eq(llm_embed(A->app->llm, A->user_id, t, 1, &v, &dim, NULL, err, sizeof err), LLM_ERR_NOT_CONFIGURED);
  cr_assert_null(v);
}

Test(rerank, orders_by_relevance) {
  char url[160], e[200];
  cr_assert(llmsup_fake_start(&fake, NULL) == 0);
  snprintf(e, sizeof e, "RERANK_URL=%s", llmsup_url(&fake, "", url, sizeof url));
  const char *env[] = {e, "RERANK_MODEL=fake-rerank", NULL};
  A = llmsup_app(env);
  const char *docs[3] = {"bananas are yellow fruit", "the sky is blue today", "blue sky at noon"};
  double s[3];
  char err[512];
  cr_assert_eq(llm_rerank(A->app->llm, NULL, "why is the sky blue", docs, 3, s, err, sizeof err), 0, "%s", err);
  cr_assert(s[1] > s[0] && s[2] > s[0], "%f %f %f", s[0], s[1], s[2]);
}

Test(models, list_both_providers) {
  setup_with("{\"models\":[\"m-one\",\"m-two\"]}", "ollama", NULL);
  llm_endpoint_t ep;
  char err[512];
  cr_assert_eq(llm_resolve(A->app->llm, NULL, LLM_TIER_FAST, &ep, err, sizeof err), 0, "%s", err);
  json_t *names;
  cr_assert_eq(llm_list_models(A->app->llm, &ep, &names, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(names), 2);
  cr_assert_str_eq(json_string_value(json_array_get(names, 1)), "m-two");
  json_decref(names);
  char url[128];
  snprintf(ep.base_url, sizeof ep.base_url, "%s", llmsup_url(&fake, "/v1", url, sizeof url));
  ep.provider = LLM_PROVIDER_OPENAI;
  cr_assert_eq(llm_list_models(A->app->llm, &ep, &names, err, sizeof err), 0, "%s", err);
  cr_assert_eq(json_array_size(names), 2);
  json_decref(names);
}

/* ---- secrets ---- */

Test(secrets, api_key_sent_but_never_stored_logged_or_returned) {
  /* Capture this process's stderr (the log) into a file. */
  char logpath[128];
  snprintf(logpath, sizeof logpath, "/tmp/maestro-llm-log-%d.txt", (int)getpid());
  cr_assert(freopen(logpath, "w", stderr));
  const char *KEY = "sk-test-SECRET-0123456789abcdef";
  setup_with(
      "{\"require_api_key\":\"sk-test-SECRET-0123456789abcdef\",\"rules\":[{\"match\":{\"content\":\"fail\"},"
      "\"status\":500,\"error\":\"boom\"},{\"text\":\"fine\"}]}",
      "openai", NULL);
  char url[128];
  json_t *doc = json_pack("{s:{s:s, s:s, s:s}}", "default", "base_url", llmsup_url(&fake, "/v1", url, sizeof url),
                          "api_key", KEY, "provider", "openai");
  json_t *sealed = secrets_seal_doc(A->app->secrets, doc, NULL);
  char *sealed_s = json_dumps(sealed, 0);
  cr_assert_null(strstr(sealed_s, "SECRET"), "stored form leaks the key: %s", sealed_s);
  cr_assert_eq(store_setting_put(A->app->store, A->user_id, "models", sealed), 0);
  json_t *masked = secrets_mask_doc(sealed);
  char *masked_s = json_dumps(masked, 0);
  cr_assert_null(strstr(masked_s, "SECRET"), "%s", masked_s);
  cr_assert(strstr(masked_s, "\"api_key_set\": true"), "%s", masked_s);
  /* The key is used for the call (the fake answers 401 without it)... */
  llm_request_t req = {.tier = LLM_TIER_FAST, .temperature = -1, .mission_id = "m-key"};
  llm_response_t r;
  char err[512];
  cr_assert_eq(ask("hello", &req, &r, err, sizeof err), 0, "%s", err);
  cr_assert_str_eq(r.text, "fine");
  llm_response_free(&r);
  /* ...and a failing call's error, the log and the record do not contain it. */
  cr_assert_eq(ask("fail please", &req, &r, err, sizeof err), LLM_ERR);
  cr_assert_null(strstr(err, "SECRET"));
  json_t *logs = store_llm_calls_list_mission(A->app->store, "m-key", 0, 0);
  char *logs_s = json_dumps(logs, 0);
  cr_assert_null(strstr(logs_s, "SECRET"));
  fflush(stderr);
  char *logged = util_read_file(logpath, NULL);
  cr_assert(logged);
  cr_assert(strstr(logged, "retry"), "the failing call should have logged its retries: %s", logged);
  cr_assert_null(strstr(logged, "SECRET"));
  /* A masked value sent back keeps the stored key. */
  json_t *again = secrets_seal_doc(A->app->secrets, masked, sealed);
  json_t *opened = secrets_open_doc(A->app->secrets, again);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(opened, "default"), "api_key")), KEY);
  free(logged);
  free(logs_s);
  free(sealed_s);
  free(masked_s);
  json_decref(logs);
  json_decref(opened);
  json_decref(again);
  json_decref(masked);
  json_decref(sealed);
  json_decref(doc);
  unlink(logpath);
}
