/*
 * server.c - civetweb setup and the single request dispatcher.
 *
 * civetweb's defaults are unsafe for this use (few threads, directory
 * listing on, CGI on, permissive CORS), so every option that matters is set
 * explicitly here. One request handler sees every request and sends it to
 * the router (API), or to the static UI; WebSocket upgrades at /api/ws go to
 * the hub.
 */
#include "http/server.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "http/authn.h"
#include "http/http.h"
#include "http/ws.h"

/*
 * Debian's libcivetweb is built to give its worker threads 100 KiB stacks:
 * enough for civetweb, not for handlers that go through SQLite, libxml2 or
 * jansson, and far too little under AddressSanitizer (civetweb's own
 * mg_printf overflows it there). civetweb sets the size with
 * pthread_attr_setstacksize(); defining that function here interposes it
 * (the dynamic linker binds libcivetweb's call to the executable's symbol),
 * and every stack request below THREAD_STACK_MIN_BYTES is raised to it.
 * Requests above the floor pass through unchanged.
 */
#define THREAD_STACK_MIN_BYTES (2u << 20)

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size) {
  static int (*real)(pthread_attr_t *, size_t);
  if (!real) real = (int (*)(pthread_attr_t *, size_t))dlsym(RTLD_NEXT, "pthread_attr_setstacksize");
  if (!real) return 22; /* EINVAL: cannot happen with glibc */
  return real(attr, size < THREAD_STACK_MIN_BYTES ? THREAD_STACK_MIN_BYTES : size);
}

struct http_server {
  app_t *app;
  struct mg_context *ctx;
  char *web_root; /* realpath of WEB_DIST, or NULL when absent */
  int ports[2];
};

static const char PLACEHOLDER[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Maestro</title></head>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>Maestro</h1>"
    "<p>The server is running. The web UI has not been built yet: run <code>make ui</code> "
    "(or <code>make run</code>) to build it into <code>web/dist</code>.</p>"
    "<p>API health: <a href=\"/health\">/health</a></p></body></html>";

/* CORS: only origins listed in CORS_ORIGINS get the headers. */
static void cors_headers(http_req_t *r, buf_t *out) {
  const char *origin = http_header(r, "Origin");
  const char *allowed = config_get(r->app->cfg, "CORS_ORIGINS");
  if (!origin || !allowed[0]) return;
  size_t ol = strlen(origin);
  const char *p = allowed;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    const char *end = p;
    while (*end && *end != ',') end++;
    const char *e2 = end;
    while (e2 > p && e2[-1] == ' ') e2--;
    if ((size_t)(e2 - p) == ol && strncmp(p, origin, ol) == 0) {
      buf_printf(out,
                 "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n"
                 "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\n"
                 "Access-Control-Allow-Headers: Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version\r\n"
                 "Access-Control-Expose-Headers: Mcp-Session-Id\r\nAccess-Control-Max-Age: 600\r\n",
                 origin);
      return;
    }
    p = end;
  }
}

static int has_dot_segment(const char *path) {
  const char *p = path;
  while (*p) {
    if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0') && (p == path || p[-1] == '/')) return 1;
    p++;
  }
  return 0;
}

static int serve_static(http_server_t *srv, http_req_t *r) {
  if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
    return http_reply_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
  const char *path = r->path;
  /* Refuse anything that could step outside the UI directory. The raw URI is
   * checked too, since civetweb normalises ".." segments away. */
  const char *raw = r->ri->request_uri ? r->ri->request_uri : path;
  if (has_dot_segment(path) || strchr(path, '\\') || strstr(raw, "..") || strcasestr(raw, "%2e%2e") ||
      strcasestr(raw, "%2e.") || strcasestr(raw, ".%2e") || strcasestr(raw, "%5c") || strcasestr(raw, "%00"))
    return http_reply_error(r, 400, "bad_path", "invalid path");
  if (!srv->web_root)
    return http_reply_raw(r, 200, "text/html; charset=utf-8", PLACEHOLDER, sizeof PLACEHOLDER - 1,
                          "Cache-Control: no-cache\r\n");
  buf_t file = BUF_INIT;
  buf_printf(&file, "%s%s", srv->web_root, path);
  if (util_ends_with(file.data, "/")) buf_puts(&file, "index.html");
  struct stat sb;
  char real[PATH_MAX];
  int found = stat(file.data, &sb) == 0 && S_ISREG(sb.st_mode) && realpath(file.data, real) &&
              util_starts_with(real, srv->web_root) && real[strlen(srv->web_root)] == '/';
  if (!found) {
    /* SPA fallback: routes without a file extension get index.html. */
    const char *last = strrchr(path, '/');
    if (last && strchr(last, '.')) {
      buf_free(&file);
      return http_reply_error(r, 404, "not_found", "file not found");
    }
    buf_reset(&file);
    buf_printf(&file, "%s/index.html", srv->web_root);
    if (stat(file.data, &sb) != 0 || !realpath(file.data, real)) {
      buf_free(&file);
      return http_reply_raw(r, 200, "text/html; charset=utf-8", PLACEHOLDER, sizeof PLACEHOLDER - 1,
                            "Cache-Control: no-cache\r\n");
    }
  }
  const char *mime = mg_get_builtin_mime_type(real);
  /* Vite puts content-hashed files under /assets/: cache them for good. */
  int hashed = util_starts_with(path, "/assets/");
  const char *headers = hashed ? "Cache-Control: public, max-age=31536000, immutable\r\nX-Content-Type-Options: nosniff"
                               : "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff";
  r->status = 200;
  mg_send_mime_file2(r->conn, real, mime, headers);
  buf_free(&file);
  return 200;
}

/* The API part of a request: route, authenticate, authorise, handle. */
static void handle_api(http_req_t *rp) {
  app_t *app = rp->app;
  struct mg_connection *conn = rp->conn;
  http_handler_fn fn = NULL;
  role_t need = ROLE_NONE;
  int m = http_router_match(app->router, rp->method, rp->path, rp, &fn, &need);
  if (m == 0) {
    http_reply_error(rp, 404, "not_found", "no such endpoint: %s", rp->path);
  } else if (m == 2) {
    http_reply_error(rp, 405, "method_not_allowed", "%s is not allowed on %s", rp->method, rp->path);
  } else {
    int ok = 1;
    if (need != ROLE_NONE) {
      char token[4200];
      const char *why = "missing bearer token";
      if (!http_token_from_request(conn, 0, token, sizeof token) || http_authenticate(app, token, &rp->user, &why) != 0) {
        http_reply_error(rp, 401, "unauthorized", "%s", why);
        ok = 0;
      } else if (rp->user.role < need) {
        http_reply_error(rp, 403, "forbidden", "this needs the %s role; you are %s", role_name(need),
                         role_name(rp->user.role));
        ok = 0;
      }
    }
    if (ok) {
      fn(rp);
      if (rp->status == 0) http_reply_error(rp, 500, "internal", "handler sent no response");
    }
  }
}

static int dispatch(struct mg_connection *conn, void *ud) {
  http_server_t *srv = ud;
  app_t *app = srv->app;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  http_req_t r;
  memset(&r, 0, sizeof r);
  r.conn = conn;
  r.ri = ri;
  r.app = app;
  r.method = ri->request_method;
  r.path = ri->local_uri ? ri->local_uri : "/";
  r.query = ri->query_string;
  snprintf(r.client_ip, sizeof r.client_ip, "%s", ri->remote_addr);
  int64_t t0 = util_mono_ms();

  buf_t cors = BUF_INIT;
  cors_headers(&r, &cors);
  int is_api = util_starts_with(r.path, "/api/") || strcmp(r.path, "/health") == 0 || strcmp(r.path, "/metrics") == 0 ||
               strcmp(r.path, "/mcp") == 0;
  if (strcmp(r.method, "OPTIONS") == 0 && is_api) {
    http_reply_raw(&r, 204, "text/plain", "", 0, cors.data);
    buf_free(&cors);
    return 204;
  }
  if (!is_api) {
    serve_static(srv, &r);
    buf_free(&cors);
    return r.status;
  }
  r.cors = cors.data;
  handle_api(&r);
  http_req_clear(&r);
  buf_free(&cors);
  log_debug("http", "%s %s -> %d (%lld ms)", r.method, r.path, r.status, (long long)(util_mono_ms() - t0));
  return r.status ? r.status : 500;
}

http_server_t *http_server_start(app_t *app, char *err, size_t errlen) {
  http_server_t *srv = calloc(1, sizeof *srv);
  if (!srv) abort();
  srv->app = app;
  char real[PATH_MAX];
  if (realpath(config_get(app->cfg, "WEB_DIST"), real)) srv->web_root = util_strdup(real);

  const char *bind = config_get(app->cfg, "BIND_ADDRESS");
  long long bport = config_int(app->cfg, "BACKEND_PORT");
  long long fport = config_int(app->cfg, "FRONTEND_PORT");
  buf_t ports = BUF_INIT;
  int v6 = strchr(bind, ':') != NULL;
  buf_printf(&ports, v6 ? "[%s]:%lld" : "%s:%lld", bind, bport);
  if (fport > 0 && fport != bport) buf_printf(&ports, v6 ? ",[%s]:%lld" : ",%s:%lld", bind, fport);
  char threads[16], head_ms[16], idle_ms[16];
  snprintf(threads, sizeof threads, "%lld", config_int(app->cfg, "HTTP_THREADS"));
  snprintf(head_ms, sizeof head_ms, "%lld", config_int(app->cfg, "HTTP_HEADER_TIMEOUT_MS"));
  snprintf(idle_ms, sizeof idle_ms, "%lld", config_int(app->cfg, "HTTP_KEEPALIVE_MS"));
  /* Every connection holds a thread while civetweb reads its request head:
   * request_timeout_ms bounds the whole head (a client sending one header
   * line every few seconds is cut off), keep_alive_timeout_ms the wait for
   * the next request on a kept-alive connection. */
  // clang-format off
  const char *options[] = {"listening_ports", ports.data,
                           "num_threads", threads,
                           "tcp_nodelay", "1",
                           "enable_keep_alive", "yes",
                           "keep_alive_timeout_ms", idle_ms,
                           /* also bounds a WebSocket write to a client that stopped reading */
                           "request_timeout_ms", head_ms,
                           "websocket_timeout_ms", "60000",
                           "enable_websocket_ping_pong", "no",
                           "enable_directory_listing", "no",
                           "cgi_pattern", "",
                           "ssi_pattern", "",
                           "access_control_allow_origin", "",
                           "decode_url", "yes",
                           "max_request_size", "65536",
                           NULL};
  // clang-format on
  struct mg_callbacks cb;
  memset(&cb, 0, sizeof cb);
  struct mg_init_data init = {&cb, srv, options};
  struct mg_error_data edata;
  char ebuf[256] = "";
  memset(&edata, 0, sizeof edata);
  edata.text = ebuf;
  edata.text_buffer_size = sizeof ebuf;
  srv->ctx = mg_start2(&init, &edata);
  buf_free(&ports);
  if (!srv->ctx) {
    snprintf(err, errlen, "cannot start the HTTP server on %s port %lld: %s", bind, bport,
             ebuf[0] ? ebuf : "address in use?");
    free(srv->web_root);
    free(srv);
    return NULL;
  }
  mg_set_request_handler(srv->ctx, "/", dispatch, srv);
  ws_hub_attach(app->hub, srv->ctx);
  struct mg_server_port sp[4];
  int n = mg_get_server_ports(srv->ctx, 4, sp);
  srv->ports[0] = n > 0 ? sp[0].port : -1;
  srv->ports[1] = n > 1 ? sp[1].port : -1;
  log_info("http", "listening on %s port %d%s%s", bind, srv->ports[0], srv->ports[1] > 0 ? " and " : "",
           srv->ports[1] > 0 ? "the frontend port" : "");
  if (!srv->web_root) log_warn("http", "no web UI at %s: serving a placeholder page", config_get(app->cfg, "WEB_DIST"));
  return srv;
}

int http_server_port(http_server_t *srv, int idx) { return idx >= 0 && idx < 2 ? srv->ports[idx] : -1; }

void http_server_stop(http_server_t *srv) {
  if (!srv) return;
  ws_hub_shutdown(srv->app->hub);
  mg_stop(srv->ctx); /* waits for in-flight requests; closes WebSockets */
  free(srv->web_root);
  free(srv);
}
