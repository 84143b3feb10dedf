/* test_llm_limits.c - a model server that sends one endless line or an
 * endless answer: the call fails at once with an error naming the limit, is
 * not retried, and the process's memory stays bounded (issue 11, finding 4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "llm/llm.h"
#include "llm_support.h"

static llmsup_fake_t fake;
static llmsup_app_t *A;

static const char *RULES =
    "{\"rules\":["
    "{\"name\":\"line\",\"match\":{\"content\":\"endless line\"},\"huge_line\":268435456},"
    "{\"name\":\"long\",\"match\":{\"content\":\"endless answer\"},\"text\":\"abcdefgh\",\"repeat\":1048576,"
    " \"chunk\":4096},"
    "{\"name\":\"short\",\"match\":{\"content\":\"short\"},\"text\":\"a short answer\"}"
    "]}";

static void setup_provider(const char *provider) {
  cr_assert(llmsup_fake_start(&fake, RULES) == 0, "fake did not start");
  char url[128], e1[200];
  llmsup_url(&fake, strcmp(provider, "ollama") == 0 ? "" : "/v1", url, sizeof url);
  snprintf(e1, sizeof e1, "LOCAL_MODEL_URL=%s", url);
  const char *env[] = {e1,
                       "MODEL_NAME=fake-model",
                       "LLM_MAX_RETRIES=3",
                       "LLM_RETRY_BASE_MS=1",
                       "LLM_MAX_LINE_KB=64",
                       "LLM_MAX_ANSWER_KB=256",
                       NULL};
  A = llmsup_app(env);
}

static void teardown(void) {
  llmsup_app_free(A);
  A = NULL;
  llmsup_fake_stop(&fake);
}

TestSuite(llm_limits, .fini = teardown, .timeout = 120);

/* kB of a "VmRSS:"/"VmHWM:" line of /proc/self/status. */
static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  cr_assert_not_null(f);
  char line[256];
  long kb = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0) kb = atol(line + fl);
  fclose(f);
  return kb;
}

static int count_tokens(void *ud, const char *t, size_t n) {
  (void)t;
  *(size_t *)ud += n;
  return 0;
}

static int ask(const char *content, int stream, size_t max_answer, char *err, size_t errlen) {
  llm_message_t msgs[1] = {{"user", content}};
  size_t streamed = 0;
  llm_request_t req = {.tier = LLM_TIER_MID, .temperature = -1, .messages = msgs, .nmessages = 1};
  req.user_id = A->user_id;
  req.max_answer_bytes = max_answer;
  if (stream) {
    req.on_token = count_tokens;
    req.token_ud = &streamed;
  }
  llm_response_t r;
  int rc = llm_chat(A->app->llm, &req, &r, err, errlen);
  llm_response_free(&r);
  return rc;
}

static void endless_line(const char *provider) {
  setup_provider(provider);
  char err[1024];
  cr_assert_eq(ask("short", 1, 0, err, sizeof err), LLM_OK, "%s", err); /* warm up allocators and curl */
  llmsup_fake_reset(&fake);
  long rss0 = status_kb("VmRSS:");
  int rc = ask("an endless line please", 1, 0, err, sizeof err);
  long hwm = status_kb("VmHWM:");
  cr_assert_eq(rc, LLM_ERR, "a 256 MB line must fail the call (rc %d: %s)", rc, err);
  cr_assert(strstr(err, "LLM_MAX_LINE_KB") && strstr(err, "64 KB"), "the error names the limit: %s", err);
  cr_assert(strstr(err, "after 1 attempt"), "not retried: %s", err);
  cr_assert_eq(llmsup_fake_total(&fake), 1, "one request only");
  cr_assert_lt(hwm - rss0, 48 * 1024, "memory grew by %ld kB reading one endless line", hwm - rss0);
  /* the endpoint still works for the next call */
  cr_assert_eq(ask("short", 1, 0, err, sizeof err), LLM_OK, "%s", err);
}

Test(llm_limits, endless_line_openai) {
  endless_line("openai");
}
Test(llm_limits, endless_line_ollama) {
  endless_line("ollama");
}

static void endless_answer(const char *provider) {
  setup_provider(provider);
  char err[1024];
  cr_assert_eq(ask("short", 1, 0, err, sizeof err), LLM_OK, "%s", err);
  for (int stream = 1; stream >= 0; stream--) {
    llmsup_fake_reset(&fake);
    long rss0 = status_kb("VmRSS:");
    int rc = ask("an endless answer please", stream, 0, err, sizeof err);
    long hwm = status_kb("VmHWM:");
    cr_assert_eq(rc, LLM_ERR, "an 8 MB answer must fail (stream %d, rc %d: %s)", stream, rc, err);
    cr_assert(strstr(err, "LLM_MAX_ANSWER_KB") && strstr(err, "256 KB"), "stream %d: %s", stream, err);
    cr_assert(strstr(err, "after 1 attempt"), "not retried: %s", err);
    cr_assert_eq(llmsup_fake_total(&fake), 1);
    cr_assert_lt(hwm - rss0, 48 * 1024, "memory grew by %ld kB", hwm - rss0);
  }
  /* a caller's own, smaller limit */
  cr_assert_eq(ask("short", 1, 4, err, sizeof err), LLM_ERR);
  cr_assert(strstr(err, "set by the caller"), "%s", err);
  cr_assert_eq(ask("short", 0, 64, err, sizeof err), LLM_OK, "%s", err);
}

Test(llm_limits, endless_answer_openai) {
  endless_answer("openai");
}
Test(llm_limits, endless_answer_ollama) {
  endless_answer("ollama");
}
