/*
 * doctor.c - `maestro doctor`: checks the configuration, the database and
 * (as their modules register checks) the model and search endpoints, one
 * OK/FAIL line each with the reason.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "llm/llm.h"
#include "store/events.h"
#include "store/store.h"
#include "web/web.h"

int cmd_doctor(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro doctor\n\nChecks the configuration, the database, the web UI build, and the model and\n"
           "search endpoints; prints OK or FAIL with the reason for each. Exit code 1 if any check fails.\n");
    return 0;
  }
  int failed = 0;
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    printf("FAIL configuration: %s\n", err);
    return 1;
  }
  printf("OK   configuration (.env and environment)\n");
  log_setup(LOG_WARNING, 0);
  app_t *app = app_open(cfg, err, sizeof err);
  if (!app) {
    printf("FAIL database: %s\n", err);
    return 1;
  }
  if (store_ping(app->store) == 0) {
    printf("OK   database %s (schema version %d of %d)\n", store_path(app->store), store_schema_version(app->store),
           store_schema_latest());
    if (!config_sqlite_path(app->cfg)) {
      /* several processes hear each other's events through LISTEN/NOTIFY */
      if (store_events_check(app->store, 3000, err, sizeof err) == 0)
        printf("OK   events between processes (LISTEN/NOTIFY round trip)\n");
      else {
        printf("FAIL events between processes: %s\n", err);
        failed = 1;
      }
    }
  } else {
    printf("FAIL database %s: does not answer\n", store_path(app->store));
    failed = 1;
  }
  struct stat sb;
  char index[1024];
  snprintf(index, sizeof index, "%s/index.html", config_get(app->cfg, "WEB_DIST"));
  if (stat(index, &sb) == 0)
    printf("OK   web UI at %s\n", config_get(app->cfg, "WEB_DIST"));
  else
    printf("WARN web UI not built (%s missing): run make ui\n", index);
  /* Model endpoints (each configured tier, embeddings, rerank). */
  fflush(stdout);
  if (llm_doctor(app->llm, stdout) != 0) failed = 1;
  /* Search: only when a provider is configured in the environment. */
  if (config_get(app->cfg, "SEARXNG_URL")[0] || config_get(app->cfg, "TAVILY_API_KEY")[0] ||
      config_get(app->cfg, "BRAVE_API_KEY")[0]) {
    json_t *res = NULL;
    web_test_search(app->web, NULL, NULL, &res);
    if (json_is_true(json_object_get(res, "ok")))
      printf("OK   web search (%s, %lld results in %lld ms)\n", json_string_value(json_object_get(res, "provider")),
             (long long)json_integer_value(json_object_get(res, "results")),
             (long long)json_integer_value(json_object_get(res, "latency_ms")));
    else {
      printf("FAIL web search: %s\n", json_string_value(json_object_get(res, "error")) ?: "unknown error");
      failed = 1;
    }
    json_decref(res);
  } else {
    printf("SKIP web search: no provider configured (SEARXNG_URL, TAVILY_API_KEY or BRAVE_API_KEY)\n");
  }
  app_close(app);
  return failed;
}

int cmd_version(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro version\nPrints the version of this binary.\n");
    return 0;
  }
  printf("maestro %s\n", MAESTRO_VERSION);
  return 0;
}
