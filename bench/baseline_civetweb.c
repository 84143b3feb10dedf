/*
 * baseline_civetweb.c - the yardstick for bench_server: a bare civetweb
 * server with the same thread settings, answering /health with a fixed JSON
 * body and accepting WebSockets at /api/ws (no auth, no store). Maestro's
 * figures are reported as ratios to this one, measured in the same run.
 */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int health(struct mg_connection *c, void *ud) {
  (void)ud;
  static const char body[] = "{\"status\":\"ok\",\"version\":\"baseline\",\"database\":\"ok\"}";
  mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", sizeof body - 1,
            body);
  return 200;
}

static int ws_connect(const struct mg_connection *c, void *ud) { return (void)c, (void)ud, 0; }
static void ws_ready(struct mg_connection *c, void *ud) { (void)c, (void)ud; }
static int ws_data(struct mg_connection *c, int bits, char *d, size_t n, void *ud) {
  (void)c, (void)bits, (void)d, (void)n, (void)ud;
  return 1;
}
static void ws_close(const struct mg_connection *c, void *ud) { (void)c, (void)ud; }

int main(int argc, char **argv) {
  const char *threads = argc > 1 ? argv[1] : "256";
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  const char *opts[] = {"listening_ports", "127.0.0.1:0", "num_threads", threads, "tcp_nodelay", "1",
                        "enable_keep_alive", "yes", "enable_directory_listing", "no", NULL};
  struct mg_context *ctx = mg_start(NULL, NULL, opts);
  if (!ctx) return 1;
  mg_set_request_handler(ctx, "/health", health, NULL);
  mg_set_websocket_handler(ctx, "/api/ws", ws_connect, ws_ready, ws_data, ws_close, NULL);
  struct mg_server_port p;
  mg_get_server_ports(ctx, 1, &p);
  printf("maestro: listening on port %d\n", p.port);
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  mg_stop(ctx);
  return 0;
}
