/* test_thread_start.c - a thread that cannot be started (pthread_create
 * failing, as under a process limit) is an error the caller sees, never a
 * join of a thread that does not exist. pthread_create is interposed here:
 * the test executable's definition is the one the library's calls bind to. */

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "chat/chat.h"
#include "http/ws.h"
#include "inproc.h"
#include "server_support.h"

/* -1: every call succeeds; n >= 0: the call after n more successful ones fails. */
static atomic_int fail_after = -1;

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
  static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
  int n = atomic_load(&fail_after);
  if (n == 0) {
    atomic_store(&fail_after, -1);
    return EAGAIN;
  }
  if (n > 0) atomic_fetch_sub(&fail_after, 1);
  return real(t, a, fn, arg);
}

Test(thread_start, websocket_hub_reports_a_thread_it_cannot_start) {
  inproc_t p;
  inproc_open(&p, NULL);
  for (int n = 0; n < 3; n++) { /* the first sender, a later sender, the heartbeat */
    atomic_store(&fail_after, n == 2 ? 4 : n);
    ws_hub_t *hub = ws_hub_new(p.app);
    cr_assert_null(hub, "a hub whose thread %d could not start must not be returned", n);
    cr_assert_eq(atomic_load(&fail_after), -1, "the failing call was made");
  }
  ws_hub_t *hub = ws_hub_new(p.app);
  cr_assert_not_null(hub, "with threads available the hub starts");
  ws_hub_free(hub);
  inproc_close(&p);
}

Test(thread_start, chat_pool_reports_a_worker_it_cannot_start) {
  inproc_t p;
  inproc_open(&p, (const char *const[]){"CHAT_WORKERS=3", NULL});
  atomic_store(&fail_after, 1);
  cr_assert_null(chat_pool_start(&p.app->chat_deps), "a pool missing a worker is an error");
  cr_assert_eq(atomic_load(&fail_after), -1);
  atomic_store(&fail_after, 0);
  cr_assert_neq(app_start_workers(p.app, APP_ROLE_ALL), 0, "the server does not start without its chat workers");
  inproc_close(&p);
}

Test(thread_start, app_open_fails_with_a_message_without_hub_threads) {
  char dir[256], db[300], data[300], err[512] = "";
  ts_tmpdir(dir, sizeof dir);
  snprintf(db, sizeof db, "sqlite:///%s/m.db", dir);
  snprintf(data, sizeof data, "%s/data", dir);
  setenv("DATABASE_URL", db, 1);
  setenv("DATA_DIR", data, 1);
  setenv("LOG_LEVEL", "error", 1);
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  cr_assert_not_null(cfg, "%s", err);
  atomic_store(&fail_after, 0);
  app_t *app = app_open(cfg, err, sizeof err);
  cr_assert_null(app);
  cr_assert(strstr(err, "WebSocket"), "the error names what failed: %s", err);
}
