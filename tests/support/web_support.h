/*
 * web_support.h - test helpers for the web module: start a Python fake
 * server from tests/fakes/ on a loopback port, read its request counters,
 * and build a config from environment variables.
 */
#ifndef MAESTRO_TEST_WEB_SUPPORT_H
#define MAESTRO_TEST_WEB_SUPPORT_H

#include <sys/types.h>

#include "base/config.h"

typedef struct {
  pid_t pid;
  int port;
} websup_fake_t;

/* Starts python3 tests/fakes/<script> with extra args (NULL-terminated, may
 * be NULL); waits for the port line. 0 on success. */
int websup_fake_start(websup_fake_t *f, const char *script, const char *const *args);
/* Kills and reaps the fake (accepts a never-started one). */
void websup_fake_stop(websup_fake_t *f);
/* Requests the fake has seen for path (from /_stats), -1 on error. */
long websup_fake_count(const websup_fake_t *f, const char *path);
/* Sets the given "NAME=value" variables, clears the other web settings, and
 * loads the config (aborts the test on failure). */
config_t *websup_config(const char *const *env);

/* "NAME=value" strings pointing ARXIV_URL, ARXIV_PDF_URL, OPENALEX_URL,
 * CROSSREF_URL, SEMANTIC_SCHOLAR_URL and PUBMED_URL at a running
 * fake_scholar.py (its path prefixes); 6 entries then NULL, static storage
 * overwritten by the next call. */
const char *const *websup_scholar_env(const websup_fake_t *f);
/* websup_scholar_env followed by extra ("NAME=value", NULL-ended, at most
 * 10), NULL-ended; static storage overwritten by the next call. */
const char *const *websup_scholar_env_plus(const websup_fake_t *f, const char *const *extra);

struct web;
struct store;
/* websup_config(env) + web_new(cfg, st); aborts the test on failure. */
struct web *websup_web(const char *const *env, struct store *st);
/* A new store in a fresh /tmp/maestro-web-XXXXXX directory (aborts the
 * test on failure); close with store_close. */
struct store *websup_temp_store(void);
/* Frees the web context and the config websup_web() loaded. */
void websup_web_free(struct web *w);

#endif
