/* web_support.c - fake servers and config for the web tests. */
#include "web_support.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/store.h"
#include "web/web.h"

int websup_fake_start(websup_fake_t *f, const char *script, const char *const *args) {
  f->pid = 0;
  f->port = 0;
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fakes/%s", MAESTRO_SOURCE_DIR, script);
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    const char *argv[32] = {"python3", path};
    int n = 2;
    for (const char *const *a = args; a && *a && n < 31; a++) argv[n++] = *a;
    argv[n] = NULL;
    execvp("python3", (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  f->pid = pid;
  char line[32] = "";
  size_t got = 0;
  while (got < sizeof line - 1) {
    ssize_t r = read(fds[0], line + got, 1);
    if (r <= 0) break;
    if (line[got] == '\n') break;
    got++;
  }
  line[got] = '\0';
  close(fds[0]);
  f->port = atoi(line);
  if (f->port <= 0) {
    websup_fake_stop(f);
    return -1;
  }
  return 0;
}

void websup_fake_stop(websup_fake_t *f) {
  if (f->pid > 0) {
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
  }
  f->pid = 0;
}

static size_t collect(char *d, size_t s, size_t n, void *ud) {
  buf_append(ud, d, s * n);
  return s * n;
}

long websup_fake_count(const websup_fake_t *f, const char *path) {
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/_stats", f->port);
  CURL *h = curl_easy_init();
  buf_t b = BUF_INIT;
  buf_init(&b);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  long n = -1;
  if (curl_easy_perform(h) == CURLE_OK) {
    json_t *j = json_loads(b.data, 0, NULL);
    json_t *v = json_object_get(json_object_get(j, "paths"), path);
    n = v ? (long)json_integer_value(v) : 0;
    json_decref(j);
  }
  curl_easy_cleanup(h);
  buf_free(&b);
  return n;
}

config_t *websup_config(const char *const *env) {
  static const char *const clear[] = {"SEARXNG_URL",
                                      "TAVILY_API_KEY",
                                      "BRAVE_API_KEY",
                                      "TAVILY_URL",
                                      "BRAVE_URL",
                                      "SEARCH_PROVIDERS",
                                      "FETCH_ALLOW_HOSTS",
                                      "OUTBOUND_ALLOW_HOSTS",
                                      "FETCH_MAX_BYTES",
                                      "FETCH_TIMEOUT_SECONDS",
                                      "WEB_CACHE_TTL_HOURS",
                                      NULL};
  for (const char *const *c = clear; *c; c++) unsetenv(*c);
  for (const char *const *e = env; e && *e; e++) {
    char name[128];
    const char *eq = strchr(*e, '=');
    cr_assert(eq && (size_t)(eq - *e) < sizeof name);
    memcpy(name, *e, (size_t)(eq - *e));
    name[eq - *e] = '\0';
    setenv(name, eq + 1, 1);
  }
  char err[512];
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  cr_assert(cfg, "config: %s", err);
  return cfg;
}

static config_t *web_cfg;

struct web *websup_web(const char *const *env, struct store *st) {
  web_cfg = websup_config(env);
  char err[256];
  web_t *w = web_new(web_cfg, st, err, sizeof err);
  cr_assert(w, "%s", err);
  return w;
}

void websup_web_free(struct web *w) {
  web_free(w);
  config_free(web_cfg);
  web_cfg = NULL;
}

const char *const *websup_scholar_env(const websup_fake_t *f) {
  static char buf[6][160];
  static const char *env[7];
  static const char *const names[6][2] = {{"ARXIV_URL", "arxiv"},         {"ARXIV_PDF_URL", "pdf"},
                                          {"OPENALEX_URL", "openalex"},   {"CROSSREF_URL", "crossref"},
                                          {"SEMANTIC_SCHOLAR_URL", "s2"}, {"PUBMED_URL", "pubmed"}};
  for (int i = 0; i < 6; i++) {
    snprintf(buf[i], sizeof buf[i], "%s=http://127.0.0.1:%d/%s", names[i][0], f->port, names[i][1]);
    env[i] = buf[i];
  }
  env[6] = NULL;
  return env;
}

struct store *websup_temp_store(void) {
  char dir[] = "/tmp/maestro-web-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256], err[256];
  snprintf(path, sizeof path, "%s/m.db", dir);
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert(st, "%s", err);
  return st;
}

const char *const *websup_scholar_env_plus(const websup_fake_t *f, const char *const *extra) {
  static const char *env[17];
  const char *const *urls = websup_scholar_env(f);
  size_t n = 0;
  for (; urls[n]; n++) env[n] = urls[n];
  for (size_t i = 0; extra && extra[i] && n < 16; i++) env[n++] = extra[i];
  env[n] = NULL;
  return env;
}
