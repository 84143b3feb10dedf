/* server_support.c - see server_support.h. */
#include "server_support.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"

#ifndef MAESTRO_BINARY
#define MAESTRO_BINARY "maestro"
#endif

void ts_tmpdir(char *out, size_t n) {
  snprintf(out, n, "/tmp/maestro-test-XXXXXX");
  if (!mkdtemp(out)) abort();
}

int ts_link_build_file(const char *dir, const char *rel) {
  char bin[1024], from[2048], to[1024];
  snprintf(bin, sizeof bin, "%s", MAESTRO_BINARY);
  char *slash = strrchr(bin, '/');
  if (slash) *slash = '\0';
  snprintf(from, sizeof from, "%s/%s", slash ? bin : ".", rel);
  const char *base = strrchr(rel, '/');
  snprintf(to, sizeof to, "%s/%s", dir, base ? base + 1 : rel);
  return symlink(from, to);
}

static void child_env(const char *db_env, const char *const *env) {
  setenv("BACKEND_PORT", "0", 1);
  setenv("FRONTEND_PORT", "0", 1);
  setenv("BIND_ADDRESS", "127.0.0.1", 1);
  setenv("ADMIN_PASSWORD", "admin-pass-123", 1);
  setenv("LOG_FORMAT", "json", 1);
  setenv("HASH_CONCURRENCY", "2", 1);
  unsetenv("DATABASE_URL");
  unsetenv("JWT_SECRET_KEY");
  if (*db_env) putenv((char *)db_env);
  for (const char *const *e = env; e && *e; e++) putenv(strdup(*e));
}

int ts_server_spawn_role(ts_server_t *s, const char *dir, const char *const *env, const char *role) {
  char d[256];
  snprintf(d, sizeof d, "%s", dir); /* dir may point into *s */
  memset(s, 0, sizeof *s);
  s->ready_fd = -1;
  snprintf(s->dir, sizeof s->dir, "%s", d);
  snprintf(s->log, sizeof s->log, "%s/server.log", dir);
  char db_env[900];
  if (ts_database_env(d, db_env, sizeof db_env) != 0) return -1;
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(127);
    dup2(pipefd[1], STDOUT_FILENO);
    int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, STDERR_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    child_env(db_env, env);
    if (role)
      execl(MAESTRO_BINARY, "maestro", "serve", "--role", role, (char *)NULL);
    else
      execl(MAESTRO_BINARY, "maestro", "serve", (char *)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  s->pid = pid;
  s->ready_fd = pipefd[0];
  return 0;
}

int ts_server_ready(ts_server_t *s) {
  if (s->ready_fd < 0) return -1;
  FILE *f = fdopen(s->ready_fd, "r");
  s->ready_fd = -1;
  if (!f) return -1;
  char line[256];
  int port = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "maestro: listening on port %d", &port) == 1) break;
    if (strncmp(line, "maestro: worker running", 23) == 0) {
      port = 0; /* a worker has no HTTP */
      break;
    }
  }
  fclose(f); /* the server's later stdout writes go nowhere (SIGPIPE is ignored there) */
  if (port < 0) {
    int st;
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return -1;
  }
  s->port = port;
  return 0;
}

int ts_server_start_role(ts_server_t *s, const char *dir, const char *const *env, const char *role) {
  if (ts_server_spawn_role(s, dir, env, role) != 0) return -1;
  return ts_server_ready(s);
}

int ts_server_start_in(ts_server_t *s, const char *dir, const char *const *env) {
  return ts_server_start_role(s, dir, env, NULL);
}

int ts_server_start(ts_server_t *s, const char *const *env) {
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  return ts_server_start_in(s, dir, env);
}

int ts_server_stop(ts_server_t *s) {
  if (s->pid <= 0) return -1;
  kill(s->pid, SIGTERM);
  int st = 0;
  waitpid(s->pid, &st, 0);
  s->pid = 0;
  if (WIFSIGNALED(st)) fprintf(stderr, "server in %s ended by signal %d\n", s->dir, WTERMSIG(st));
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void ts_server_kill(ts_server_t *s) {
  if (s->pid <= 0) return;
  kill(s->pid, SIGKILL);
  int st;
  waitpid(s->pid, &st, 0);
  s->pid = 0;
}

static size_t collect(char *p, size_t size, size_t n, void *ud) {
  buf_append((buf_t *)ud, p, size * n);
  return size * n;
}

ts_response_t ts_http(ts_server_t *s, const char *method, const char *path, const char *token, const char *content_type,
                      const char *body, size_t body_len) {
  ts_response_t r = {0};
  CURL *c = curl_easy_init();
  buf_t url = BUF_INIT, out = BUF_INIT, hdrs = BUF_INIT;
  buf_printf(&url, "http://127.0.0.1:%d%s", s->port, path);
  curl_easy_setopt(c, CURLOPT_URL, url.data);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
  struct curl_slist *h = NULL;
  char line[4300];
  if (token) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, line);
  }
  if (body) {
    snprintf(line, sizeof line, "Content-Type: %s", content_type ? content_type : "application/json");
    h = curl_slist_append(h, line);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  buf_free(&url);
  r.body = buf_detach(&out, &r.len);
  r.headers = buf_detach(&hdrs, NULL);
  return r;
}

void ts_response_free(ts_response_t *r) {
  free(r->body);
  free(r->headers);
  r->body = r->headers = NULL;
}

json_t *ts_json(ts_server_t *s, const char *method, const char *path, const char *token, json_t *body, long *status) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  ts_response_t r = ts_http(s, method, path, token, NULL, text, text ? strlen(text) : 0);
  free(text);
  if (status) *status = r.status;
  json_t *j = json_loadb(r.body, r.len, 0, NULL);
  ts_response_free(&r);
  return j;
}

char *ts_login(ts_server_t *s, const char *user, const char *password) {
  json_t *body = json_pack("{s:s, s:s}", "username", user, "password", password);
  long st;
  json_t *j = ts_json(s, "POST", "/api/auth/login", NULL, body, &st);
  json_decref(body);
  char *tok = st == 200 ? util_strdup(json_string_value(json_object_get(j, "access_token"))) : NULL;
  json_decref(j);
  return tok;
}

const char *ts_error_code(json_t *reply) {
  const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
  return c ? c : "";
}

int ts_run_cli(const char *dir, const char *const *env, const char *input, char **out, const char *arg0, ...) {
  const char *argv[32];
  int argc = 0;
  argv[argc++] = "maestro";
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a && argc < 31; a = va_arg(ap, const char *)) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  char db_env[900];
  if (ts_database_env(dir, db_env, sizeof db_env) != 0) return -1;
  int inpipe[2], outpipe[2];
  if (pipe(inpipe) != 0 || pipe(outpipe) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(127);
    dup2(inpipe[0], STDIN_FILENO);
    dup2(outpipe[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    char logpath[300];
    snprintf(logpath, sizeof logpath, "%s/cli.log", dir);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd >= 0 ? fd : devnull, STDERR_FILENO);
    close(inpipe[1]);
    close(outpipe[0]);
    child_env(db_env, env);
    execv(MAESTRO_BINARY, (char *const *)argv);
    _exit(127);
  }
  close(inpipe[0]);
  close(outpipe[1]);
  if (input) {
    ssize_t w = write(inpipe[1], input, strlen(input));
    (void)w;
  }
  close(inpipe[1]);
  buf_t b = BUF_INIT;
  char chunk[4096];
  ssize_t n;
  while ((n = read(outpipe[0], chunk, sizeof chunk)) > 0) buf_append(&b, chunk, (size_t)n);
  close(outpipe[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (out)
    *out = buf_detach(&b, NULL);
  else
    buf_free(&b);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

json_t *ts_upload(ts_server_t *s, const char *token, const char *const *paths, const char *group_id, long *status) {
  CURL *c = curl_easy_init();
  curl_mime *m = curl_mime_init(c);
  for (const char *const *p = paths; *p; p++) {
    curl_mimepart *part = curl_mime_addpart(m);
    curl_mime_name(part, "files");
    curl_mime_filedata(part, *p);
  }
  if (group_id) {
    curl_mimepart *part = curl_mime_addpart(m);
    curl_mime_name(part, "group_id");
    curl_mime_data(part, group_id, CURL_ZERO_TERMINATED);
  }
  char url[128], auth[1024];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/documents", s->port);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  buf_t out = BUF_INIT;
  buf_init(&out);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  CURLcode rc = curl_easy_perform(c);
  *status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all(h);
  curl_mime_free(m);
  curl_easy_cleanup(c);
  json_t *j = out.data ? json_loads(out.data, 0, NULL) : NULL;
  buf_free(&out);
  return j;
}

json_t *ts_wait_document(ts_server_t *s, const char *token, const char *id, int seconds) {
  char path[128];
  snprintf(path, sizeof path, "/api/documents/%s", id);
  int64_t deadline = util_mono_ms() + (int64_t)seconds * 1000;
  while (util_mono_ms() < deadline) {
    long st;
    json_t *j = ts_json(s, "GET", path, token, NULL, &st);
    const char *v = st == 200 ? json_string_value(json_object_get(j, "status")) : NULL;
    if (v && (!strcmp(v, "ready") || !strcmp(v, "failed"))) return j;
    json_decref(j);
    util_sleep_ms(50);
  }
  return NULL;
}
