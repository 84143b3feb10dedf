/* llm_support.c - the fake model server and a bare app for model tests. */
#include "llm_support.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "llm/llm.h"
#include "store/users.h"
#include "web_support.h"

int llmsup_fake_start(llmsup_fake_t *f, const char *rules_json) {
  memset(f, 0, sizeof *f);
  char tmpl[] = "/tmp/maestro-fake-llm-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  const char *r = rules_json ? rules_json : "{}";
  if (write(fd, r, strlen(r)) != (ssize_t)strlen(r)) {
    close(fd);
    return -1;
  }
  close(fd);
  snprintf(f->rules_path, sizeof f->rules_path, "%s", tmpl);
  /* The process part is the web helper's generic fake launcher. */
  websup_fake_t w;
  const char *args[] = {"--rules", f->rules_path, NULL};
  if (websup_fake_start(&w, "fake_llm.py", args) != 0) {
    unlink(f->rules_path);
    f->rules_path[0] = '\0';
    return -1;
  }
  f->pid = w.pid;
  f->port = w.port;
  return 0;
}

void llmsup_fake_stop(llmsup_fake_t *f) {
  if (f->pid > 0) {
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
  }
  f->pid = 0;
  if (f->rules_path[0]) unlink(f->rules_path);
  f->rules_path[0] = '\0';
}

const char *llmsup_url(const llmsup_fake_t *f, const char *suffix, char *out, size_t n) {
  snprintf(out, n, "http://127.0.0.1:%d%s", f->port, suffix ? suffix : "");
  return out;
}

static size_t collect(char *d, size_t s, size_t n, void *ud) {
  buf_append(ud, d, s * n);
  return s * n;
}

static json_t *fake_request(const llmsup_fake_t *f, const char *path, const char *body) {
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->port, path);
  CURL *h = curl_easy_init();
  buf_t b;
  buf_init(&b);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  json_t *j = NULL;
  if (curl_easy_perform(h) == CURLE_OK) j = json_loads(b.data, 0, NULL);
  curl_easy_cleanup(h);
  buf_free(&b);
  return j;
}

json_t *llmsup_fake_calls(const llmsup_fake_t *f) {
  return fake_request(f, "/_calls", NULL);
}

long llmsup_fake_total(const llmsup_fake_t *f) {
  json_t *j = llmsup_fake_calls(f);
  long n = j ? (long)json_integer_value(json_object_get(j, "total")) : -1;
  json_decref(j);
  return n;
}

int llmsup_fake_rules(const llmsup_fake_t *f, const char *rules_json) {
  json_t *j = fake_request(f, "/_rules", rules_json);
  int ok = json_is_true(json_object_get(j, "ok"));
  json_decref(j);
  return ok ? 0 : -1;
}

int llmsup_fake_reset(const llmsup_fake_t *f) {
  json_t *j = fake_request(f, "/_reset", "{}");
  int ok = json_is_true(json_object_get(j, "ok"));
  json_decref(j);
  return ok ? 0 : -1;
}

void llmsup_clear_env(void) {
  static const char *const clear[] = {"OPENAI_API_KEY",
                                      "OPENAI_BASE_URL",
                                      "LOCAL_MODEL_URL",
                                      "MODEL_NAME",
                                      "FAST_MODEL",
                                      "MID_MODEL",
                                      "INTELLIGENT_MODEL",
                                      "VERIFIER_MODEL",
                                      "EMBEDDING_MODEL",
                                      "EMBEDDING_BASE_URL",
                                      "RERANK_URL",
                                      "RERANK_MODEL",
                                      "LLM_CONTEXT_WINDOW",
                                      "LLM_MAX_TOKENS",
                                      "LLM_TEMPERATURE",
                                      "LLM_TIMEOUT_SECONDS",
                                      "LLM_MAX_RETRIES",
                                      "LLM_STALL_SECONDS",
                                      "LLM_RETRY_BASE_MS",
                                      "LLM_MAX_CONCURRENCY",
                                      "LLM_MISSION_CONCURRENCY",
                                      "LLM_MASK_PII",
                                      "LLM_PRICES_FILE",
                                      "LLM_MAX_LINE_KB",
                                      "LLM_MAX_ANSWER_KB",
                                      "OUTBOUND_ALLOW_HOSTS",
                                      "SECRETS_KEY",
                                      "DATA_DIR",
                                      "DATABASE_URL",
                                      NULL};
  for (const char *const *c = clear; *c; c++) unsetenv(*c);
}

llmsup_app_t *llmsup_app(const char *const *env) {
  llmsup_clear_env();
  llmsup_app_t *a = calloc(1, sizeof *a);
  cr_assert(a);
  snprintf(a->dir, sizeof a->dir, "/tmp/maestro-llm-test-XXXXXX");
  cr_assert(mkdtemp(a->dir));
  char v[400];
  snprintf(v, sizeof v, "%s/data", a->dir);
  setenv("DATA_DIR", v, 1);
  snprintf(v, sizeof v, "sqlite:///%s/data/maestro.db", a->dir);
  setenv("DATABASE_URL", v, 1);
  setenv("LLM_RETRY_BASE_MS", "50", 1); /* fast retries unless the test says otherwise */
  for (const char *const *e = env; e && *e; e++) {
    char name[128];
    const char *eq = strchr(*e, '=');
    cr_assert(eq && (size_t)(eq - *e) < sizeof name);
    memcpy(name, *e, (size_t)(eq - *e));
    name[eq - *e] = '\0';
    setenv(name, eq + 1, 1);
  }
  char err[512];
  a->app = calloc(1, sizeof *a->app);
  cr_assert(a->app);
  a->app->cfg = config_load("/dev/null", err, sizeof err);
  cr_assert(a->app->cfg, "config: %s", err);
  snprintf(v, sizeof v, "%s/data", a->dir);
  util_mkdirs(v, 0700);
  a->app->store = store_open(a->app->cfg, err, sizeof err);
  cr_assert(a->app->store, "store: %s", err);
  a->app->secrets = secrets_new(a->app->cfg, err, sizeof err);
  cr_assert(a->app->secrets, "secrets: %s", err);
  a->app->llm = llm_new(a->app->cfg, a->app->store, a->app->secrets, err, sizeof err);
  cr_assert(a->app->llm, "llm: %s", err);
  store_user_t u = {0};
  u.username = "tester";
  u.password_hash = "x";
  snprintf(u.role, sizeof u.role, "researcher");
  u.active = 1;
  cr_assert(store_user_insert(a->app->store, &u) == STORE_OK);
  snprintf(a->user_id, sizeof a->user_id, "%s", u.id);
  return a;
}

void llmsup_app_free(llmsup_app_t *a) {
  if (!a) return;
  llm_free(a->app->llm);
  secrets_free(a->app->secrets);
  store_close(a->app->store);
  config_free(a->app->cfg);
  free(a->app);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", a->dir);
  if (system(cmd) != 0) { /* best effort */
  }
  free(a);
}
