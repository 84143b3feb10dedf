/* system.c - /health, /metrics. */
#include <stdlib.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/metrics.h"
#include "base/util.h"
#include "http/ws.h"

static int health(http_req_t *r) {
  int db_ok = store_ping(r->app->store) == 0;
  json_t *body = json_pack("{s:s, s:s, s:s}", "status", db_ok ? "ok" : "degraded", "version", MAESTRO_VERSION,
                           "database", db_ok ? "ok" : "unavailable");
  return http_reply_json(r, db_ok ? 200 : 503, body);
}

static int metrics(http_req_t *r) {
  metrics_gauge_set("maestro_websocket_clients", "Connected WebSocket clients", ws_hub_clients(r->app->hub));
  metrics_gauge_set("maestro_uptime_seconds", "Seconds since the server started",
                    (double)(util_now_ms() - r->app->started_at_ms) / 1000.0);
  buf_t out = BUF_INIT;
  metrics_render(&out);
  int rc = http_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len, NULL);
  buf_free(&out);
  return rc;
}

void api_system_routes(http_router_t *rt) {
  http_route(rt, "GET", "/health", ROLE_NONE, health);
  http_route(rt, "GET", "/metrics", ROLE_NONE, metrics);
}
