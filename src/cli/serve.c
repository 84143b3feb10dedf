/*
 * serve.c - `maestro serve`: the server, until SIGINT/SIGTERM.
 *
 * Signals are blocked in every thread and taken synchronously with sigwait()
 * in the main thread, so shutdown runs in ordinary code: stop accepting and
 * finish in-flight requests (mg_stop), stop the workers (their jobs stay
 * queued for the next start), then close the database cleanly.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "auth/accounts.h"
#include "base/log.h"
#include "cli/cli.h"
#include "http/server.h"

int cmd_serve(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro serve\n\nRuns the API, WebSocket and web UI server on BACKEND_PORT (and FRONTEND_PORT),\n"
           "plus the background workers. Configuration comes from the environment and .env\n"
           "(see docs/configuration.md). Stops cleanly on Ctrl-C or SIGTERM.\n");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "maestro serve: unexpected argument %s (see maestro serve --help)\n", argv[1]);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  app_t *app = cli_open_app();
  if (!app) return 1;
  char err[512];
  if (cli_first_admin(app) != 0) {
    app_close(app);
    return 1;
  }
  if (app_start_workers(app) != 0) {
    fprintf(stderr, "maestro: cannot start background workers\n");
    app_close(app);
    return 1;
  }
  http_server_t *srv = http_server_start(app, err, sizeof err);
  if (!srv) {
    fprintf(stderr, "maestro: %s\n", err);
    app_close(app);
    return 1;
  }
  /* A line tests and scripts can wait for. */
  printf("maestro: listening on port %d\n", http_server_port(srv, 0));
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  log_info("serve", "received %s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  http_server_stop(srv);
  app_close(app);
  log_info("serve", "stopped cleanly");
  return 0;
}
