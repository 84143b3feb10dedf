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
#include <string.h>

#include "auth/accounts.h"
#include "base/log.h"
#include "cli/cli.h"
#include "http/server.h"

int cmd_serve(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro serve [--role all|api|worker]\n\nRuns the API, WebSocket and web UI server on BACKEND_PORT (and FRONTEND_PORT),\n"
           "plus the background workers. Configuration comes from the environment and .env\n"
           "(see docs/configuration.md). Stops cleanly on Ctrl-C or SIGTERM.\n\n"
           "  --role all     everything (default)\n"
           "  --role api     the API, WebSocket, UI and chat answers; no background jobs\n"
           "  --role worker  the background jobs (documents, missions) and the scheduler; no HTTP\n"
           "Several processes can share one PostgreSQL DATABASE_URL, each with its role\n"
           "(docs/operations.md).\n");
    return 0;
  }
  app_role_t role = APP_ROLE_ALL;
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
      v = argv[++i];
    else if (strncmp(argv[i], "--role=", 7) == 0)
      v = argv[i] + 7;
    int r = v ? app_role_parse(v) : -1;
    if (r < 0) {
      if (v)
        fprintf(stderr, "maestro serve: --role must be all, api or worker (got %s)\n", v);
      else
        fprintf(stderr, "maestro serve: unexpected argument %s (see maestro serve --help)\n", argv[i]);
      return 2;
    }
    role = (app_role_t)r;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  app_t *app = cli_open_server();
  if (!app) return 1;
  char err[512];
  if (cli_first_admin(app) != 0) {
    app_close(app);
    return 1;
  }
  if (app_start_workers(app, role) != 0) {
    fprintf(stderr, "maestro: cannot start background workers\n");
    app_close(app);
    return 1;
  }
  http_server_t *srv = NULL;
  if (role != APP_ROLE_WORKER) {
    srv = http_server_start(app, err, sizeof err);
    if (!srv) {
      fprintf(stderr, "maestro: %s\n", err);
      app_close(app);
      return 1;
    }
    /* A line tests and scripts can wait for. */
    printf("maestro: listening on port %d\n", http_server_port(srv, 0));
  } else {
    printf("maestro: worker running (no HTTP)\n");
  }
  log_info("serve", "role %s on %s", app_role_name(role), store_path(app->store));
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  log_info("serve", "received %s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (srv) http_server_stop(srv);
  app_close(app);
  log_info("serve", "stopped cleanly");
  return 0;
}
