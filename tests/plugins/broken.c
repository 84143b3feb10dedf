/*
 * broken.c - plugins the loader must refuse (one per BROKEN_* define,
 * built by CMakeLists.txt as test fixtures), and `slow`, which answers its
 * route after 3 s to exercise PLUGIN_TIMEOUT_SECONDS, and `oldabi`, a
 * plugin that declares ABI version 1 (it must still load).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maestro/plugin.h"

static int init_ok(const maestro_host_t *host, const char *config, char *err, size_t errlen) {
#if defined(FIXTURE_OLDABI)
  (void)config, (void)err, (void)errlen;
  return host->register_tool(host->ctx, "hello", "answers {\"v1\": true}", "{\"type\":\"object\"}");
#elif defined(BROKEN_INIT)
  snprintf(err, errlen, "the database is not reachable");
  return -1;
#else
  return host->register_route(host->ctx, "GET", "wait", MAESTRO_ROLE_VIEWER);
#endif
}

static char *execute(const char *request) {
  (void)request;
#ifdef FIXTURE_OLDABI
  return strdup("{\"v1\":true}");
#else
  sleep(3);
  return strdup("{\"status\":200,\"body\":{\"late\":true}}");
#endif
}

#if defined(BROKEN_ABI)
#define ABI (MAESTRO_PLUGIN_ABI_VERSION + 1)
#define NAME "wrongabi"
#elif defined(BROKEN_INIT)
#define ABI MAESTRO_PLUGIN_ABI_VERSION
#define NAME "failinit"
#elif defined(FIXTURE_OLDABI)
#define ABI 1
#define NAME "oldabi"
#else
#define ABI MAESTRO_PLUGIN_ABI_VERSION
#define NAME "slow"
#endif

static const maestro_plugin_t PLUGIN = {ABI, NAME, "0.0.1", "test fixture", init_ok, execute, NULL};

#ifndef BROKEN_NOENTRY
MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entry(void) {
  return &PLUGIN;
}
#else
MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entrypoint(void) {
  return &PLUGIN;
}
#endif
