/*
 * router.c - method + path pattern matching, request/response helpers.
 *
 * Routes are kept in registration order and matched segment by segment;
 * "{name}" captures one non-empty segment. The table is small (tens of
 * routes), so a linear scan beats anything cleverer.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/util.h"
#include "http/http.h"

#define MAX_ROUTES 256

typedef struct {
  char method[8];
  char *pattern;
  role_t min_role;
  http_handler_fn fn;
} route_t;

struct http_router {
  route_t routes[MAX_ROUTES];
  int n;
};

http_router_t *http_router_new(void) {
  http_router_t *rt = calloc(1, sizeof *rt);
  if (!rt) abort();
  return rt;
}

void http_router_free(http_router_t *rt) {
  if (!rt) return;
  for (int i = 0; i < rt->n; i++) free(rt->routes[i].pattern);
  free(rt);
}

int http_route(http_router_t *rt, const char *method, const char *pattern, role_t min_role, http_handler_fn fn) {
  if (rt->n >= MAX_ROUTES) return -1;
  route_t *r = &rt->routes[rt->n++];
  snprintf(r->method, sizeof r->method, "%s", method);
  r->pattern = util_strdup(pattern);
  r->min_role = min_role;
  r->fn = fn;
  return 0;
}

int http_router_route(const http_router_t *rt, int i, const char **method, const char **pattern, role_t *min_role) {
  if (i < 0 || i >= rt->n) return -1;
  *method = rt->routes[i].method;
  *pattern = rt->routes[i].pattern;
  *min_role = rt->routes[i].min_role;
  return 0;
}

/* Matches path against pattern; on success fills params (values malloc'd). */
static int match(const char *pattern, const char *path, http_req_t *r) {
  const char *p = pattern, *s = path;
  int n = 0;
  const char *names[HTTP_MAX_PARAMS];
  char *values[HTTP_MAX_PARAMS];
  while (*p && *s) {
    if (*p == '{') {
      const char *close = strchr(p, '}');
      if (!close || n >= HTTP_MAX_PARAMS) goto fail;
      const char *end = strchr(s, '/');
      size_t len = end ? (size_t)(end - s) : strlen(s);
      if (len == 0) goto fail;
      names[n] = p + 1; /* name runs to '}' */
      values[n] = util_strndup(s, len);
      n++;
      p = close + 1;
      s += len;
      continue;
    }
    if (*p != *s) goto fail;
    p++;
    s++;
  }
  /* a single trailing slash on the path is tolerated */
  if (*s == '/' && s[1] == '\0') s++;
  if (*p || *s) goto fail;
  for (int i = 0; i < n; i++) {
    r->param_names[i] = names[i];
    r->param_values[i] = values[i];
  }
  r->nparams = n;
  return 1;
fail:
  for (int i = 0; i < n; i++) free(values[i]);
  return 0;
}

int http_router_match(http_router_t *rt, const char *method, const char *path, http_req_t *r, http_handler_fn *fn,
                      role_t *min_role) {
  int path_matched = 0;
  for (int i = 0; i < rt->n; i++) {
    route_t *rte = &rt->routes[i];
    http_req_t tmp;
    memset(&tmp, 0, sizeof tmp);
    if (!match(rte->pattern, path, &tmp)) continue;
    if (strcmp(rte->method, method) != 0 && !(strcmp(method, "HEAD") == 0 && strcmp(rte->method, "GET") == 0)) {
      path_matched = 1;
      http_req_clear(&tmp);
      continue;
    }
    for (int k = 0; k < tmp.nparams; k++) {
      r->param_names[k] = tmp.param_names[k];
      r->param_values[k] = tmp.param_values[k];
    }
    r->nparams = tmp.nparams;
    *fn = rte->fn;
    *min_role = rte->min_role;
    return 1;
  }
  return path_matched ? 2 : 0;
}

void http_req_clear(http_req_t *r) {
  for (int i = 0; i < r->nparams; i++) free(r->param_values[i]);
  r->nparams = 0;
}

const char *http_param(const http_req_t *r, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < r->nparams; i++)
    if (strncmp(r->param_names[i], name, n) == 0 && r->param_names[i][n] == '}') return r->param_values[i];
  return NULL;
}

int http_query(const http_req_t *r, const char *name, char *out, size_t outlen) {
  if (!r->query || !outlen) return 0;
  /* mg_get_var empties its buffer when the name is absent: read into a
   * copy so the caller's default stays ("?version=2" keeps format "md") */
  char *tmp = malloc(outlen);
  if (!tmp) return 0;
  int n = mg_get_var(r->query, strlen(r->query), name, tmp, outlen);
  if (n >= 0) memcpy(out, tmp, strlen(tmp) + 1);
  free(tmp);
  return n >= 0;
}

int http_query_int(http_req_t *r, const char *name, long long def, long long min, long long max, long long *out) {
  char v[32];
  if (!http_query(r, name, v, sizeof v) || v[0] == '\0') {
    *out = def;
    return 0;
  }
  if (util_parse_int(v, min, max, out) != 0) {
    http_reply_error(r, 400, "bad_request", "query parameter %s must be a whole number between %lld and %lld", name, min,
                     max);
    return -1;
  }
  return 0;
}

const char *http_header(const http_req_t *r, const char *name) { return mg_get_header(r->conn, name); }

int http_reply_raw(http_req_t *r, int status, const char *content_type, const void *data, size_t len,
                   const char *extra_headers) {
  r->status = status;
  /* Counted before the reply is written, so a client that has its answer
   * already sees it counted. */
  static const char *classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  int cls = status / 100;
  metrics_counter_add("maestro_http_requests_total", "API requests answered, by status class", "code",
                      cls >= 1 && cls <= 5 ? classes[cls - 1] : "5xx", 1);
  mg_printf(r->conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nX-Content-Type-Options: nosniff\r\n%s%s\r\n",
            status, mg_get_response_code_text(r->conn, status), content_type, len, extra_headers ? extra_headers : "",
            r->cors ? r->cors : "");
  if (len && strcmp(r->method, "HEAD") != 0) mg_write(r->conn, data, len);
  return status;
}

int http_reply_json(http_req_t *r, int status, json_t *body) {
  if (!body) body = json_object();
  char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
  json_decref(body);
  if (!text) return http_reply_raw(r, 500, "application/json", "{\"error\":{\"code\":\"internal\",\"message\":\"encoding failed\"}}", 57, "Cache-Control: no-store\r\n");
  int rc = http_reply_raw(r, status, "application/json", text, strlen(text), "Cache-Control: no-store\r\n");
  free(text);
  return rc;
}

int http_reply_error(http_req_t *r, int status, const char *code, const char *fmt, ...) {
  buf_t msg = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg.data);
  buf_free(&msg);
  return http_reply_json(r, status, body);
}

int http_reply_not_found(http_req_t *r, const char *what, const char *id) {
  return http_reply_error(r, 404, "not_found", "%s %s not found", what, id ? id : "");
}

int http_read_body(http_req_t *r, buf_t *out) {
  long long limit = config_int(r->app->cfg, "MAX_BODY_KB") * 1024;
  long long clen = r->ri->content_length;
  if (clen > limit) {
    http_reply_error(r, 413, "payload_too_large", "request body of %lld bytes exceeds the limit of %lld bytes", clen,
                     limit);
    return -1;
  }
  char chunk[8192];
  int n;
  while ((n = mg_read(r->conn, chunk, sizeof chunk)) > 0) {
    buf_append(out, chunk, (size_t)n);
    if ((long long)out->len > limit) {
      buf_free(out);
      http_reply_error(r, 413, "payload_too_large", "request body exceeds the limit of %lld bytes", limit);
      return -1;
    }
  }
  return 0;
}

json_t *http_read_json(http_req_t *r) {
  const char *ct = http_header(r, "Content-Type");
  if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
    http_reply_error(r, 415, "unsupported_media_type", "expected Content-Type: application/json");
    return NULL;
  }
  buf_t body = BUF_INIT;
  if (http_read_body(r, &body) != 0) return NULL;
  json_error_t jerr;
  json_t *j = json_loadb(body.data ? body.data : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
  buf_free(&body);
  if (!j) {
    http_reply_error(r, 400, "invalid_json", "request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                     jerr.line, jerr.column);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    http_reply_error(r, 400, "invalid_json", "request body must be a JSON object");
    return NULL;
  }
  return j;
}
