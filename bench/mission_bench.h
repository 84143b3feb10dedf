/*
 * mission_bench.h - what the mission benchmarks share: the fake model
 * server (tests/fakes/fake_llm.py) started from a rules file, document
 * ingestion without jobs, and a fatal error helper. Header-only (each
 * bench is one translation unit).
 */
#ifndef MAESTRO_MISSION_BENCH_H
#define MAESTRO_MISSION_BENCH_H

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "auth/accounts.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/rag.h"

static inline void mb_die(const char *what, const char *err) {
  fprintf(stderr, "bench: %s: %s\n", what, err);
  exit(1);
}

typedef struct {
  pid_t pid;
  int port;
} mb_fake_t;

/* Starts the fake model with the rules in rules_path; f->port is its port. */
static inline void mb_fake_start(mb_fake_t *f, const char *rules_path) {
  char script[512];
  snprintf(script, sizeof script, "%s/tests/fakes/fake_llm.py", MAESTRO_SOURCE_DIR);
  int fds[2];
  if (pipe(fds) != 0) mb_die("pipe", "failed");
  f->pid = fork();
  if (f->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execlp("python3", "python3", script, "--rules", rules_path, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char line[32] = "";
  size_t got = 0;
  while (got < sizeof line - 1 && read(fds[0], line + got, 1) == 1 && line[got] != '\n') got++;
  line[got] = '\0';
  close(fds[0]);
  f->port = atoi(line);
  if (f->port <= 0) mb_die("fake model", "did not start (python3 and tests/fakes/fake_llm.py needed)");
}

static inline void mb_fake_stop(mb_fake_t *f) {
  if (f->pid > 0) {
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
  }
}

/* Adds and ingests one file for uid, in this thread. */
static inline void mb_ingest(app_t *app, const char *uid, const char *path, const char *name) {
  rag_add_t req = {.user_id = uid, .filename = name, .src_path = path, .no_job = 1};
  char id[17], err[512];
  int dup = 0;
  if (rag_document_add(app->rag, &req, id, &dup, err, sizeof err) != 0) mb_die("add document", err);
  if (!dup && rag_ingest_document(app->rag, id, NULL, NULL, err, sizeof err) < 0) mb_die("ingest", err);
}

/* The rules of tests/fakes/research_team.json (agents answering from their
 * prompts) with a planner proposing sections (JSON array, stolen) first.
 * malloc'd JSON text. */
static inline char *mb_team_rules(json_t *sections) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fakes/research_team.json", MAESTRO_SOURCE_DIR);
  json_t *r = json_load_file(path, 0, NULL);
  if (!r) mb_die("rules", path);
  json_array_insert_new(json_object_get(r, "rules"), 0,
                        json_pack("{s:s, s:{s:s}, s:{s:{s:s}, s:o}}", "name", "planner", "match", "system",
                                  "role: planner", "json", "analysis", "type", "report", "sections", sections));
  char *s = json_dumps(r, JSON_COMPACT);
  json_decref(r);
  return s;
}

/* A mission bench's world: a temp directory, the fake model answering with
 * the given rules, the app configured to use it, and a user "bench". */
typedef struct {
  char dir[64];
  mb_fake_t fake;
  config_t *cfg;
  app_t *app;
  char uid[17];
} mb_env_t;

static inline void mb_open(mb_env_t *e, const char *name, const char *rules) {
  snprintf(e->dir, sizeof e->dir, "/tmp/maestro-bench-%s-XXXXXX", name);
  if (!mkdtemp(e->dir)) mb_die("mkdtemp", "failed");
  char path[300];
  snprintf(path, sizeof path, "%s/rules.json", e->dir);
  if (util_write_file(path, rules, strlen(rules), 0600) != 0) mb_die("rules", path);
  mb_fake_start(&e->fake, path);
  char url[128], db[300];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", e->fake.port);
  snprintf(db, sizeof db, "sqlite:///%s/bench.db", e->dir);
  setenv("DATABASE_URL", db, 1);
  setenv("DATA_DIR", e->dir, 1);
  setenv("OPENAI_BASE_URL", url, 1);
  setenv("OPENAI_API_KEY", "bench", 1);
  setenv("MODEL_NAME", "fake-model", 1);
  setenv("LOG_LEVEL", "error", 1);
  log_setup(LOG_ERROR, 0);
  char err[512];
  e->cfg = config_load("/dev/null", err, sizeof err);
  if (!e->cfg) mb_die("config", err);
  e->app = app_open(e->cfg, err, sizeof err);
  if (!e->app) mb_die("app", err);
  if (accounts_create(e->app->store, e->app->auth, "bench", "bench-pass-123", "researcher", e->uid, err, sizeof err) != 0)
    mb_die("user", err);
}

/* Writes text to DIR/name and ingests it. */
static inline void mb_add_text(mb_env_t *e, const char *name, const char *text, size_t len) {
  char path[300];
  snprintf(path, sizeof path, "%s/%s", e->dir, name);
  if (util_write_file(path, text, len, 0644) != 0) mb_die("write", path);
  mb_ingest(e->app, e->uid, path, name);
}

static inline void mb_close(mb_env_t *e) {
  app_close(e->app);
  mb_fake_stop(&e->fake);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", e->dir);
}

#endif
