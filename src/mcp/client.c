/*
 * client.c - MCP client over stdio and Streamable HTTP (client.h).
 *
 * Both transports share the request path: a numbered JSON-RPC request goes
 * out, messages come in until the response with that id arrives or the
 * deadline passes. Messages that are not our response (notifications, log
 * messages, a request from the server) are skipped; a server request gets a
 * "method not found" error so the server does not wait on us, since this
 * client offers no capabilities (no sampling, no roots).
 */
#include "mcp/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "mcp/protocol.h"
#include "store/users.h"
#include "web/web.h"

#define MAX_MESSAGE (16u << 20)
#define MAX_HEADERS 32
#define CLOSE_GRACE_MS 1000
#define MCP_STARTUP_MS 30000 /* least time a server has to answer initialize */

struct mcp_client {
  web_t *web;
  char name[64];
  int timeout_ms;
  long next_id;
  /* stdio */
  int is_stdio;
  pid_t pid;
  int to_child, from_child;
  buf_t rbuf;
  /* http */
  char *url;
  char *headers[MAX_HEADERS + 5];
  int nheaders;
  int untrusted;
  char session[160];
  char version[32];
};

static int64_t now_ms(void) {
  return util_mono_ms();
}

/* "fmt" formatted into a new string. */
static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...) {
  buf_t b = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return b.data ? buf_detach(&b, NULL) : util_strdup("");
}

/* ---------- stdio ---------- */

static void kill_child(mcp_client_t *c) {
  if (c->pid <= 0) return;
  kill(-c->pid, SIGKILL);
  kill(c->pid, SIGKILL);
  waitpid(c->pid, NULL, 0);
  c->pid = 0;
}

static int spawn_child(mcp_client_t *c, json_t *cfg, char *err, size_t errlen) {
  const char *cmd = json_string_value(json_object_get(cfg, "command"));
  json_t *args = json_object_get(cfg, "args"), *env = json_object_get(cfg, "env");
  size_t na = json_array_size(args), ne = json_object_size(env);
  char **argv = calloc(na + 2, sizeof *argv);
  char **envp = calloc(ne + 4, sizeof *envp);
  if (!argv || !envp) abort();
  argv[0] = util_strdup(cmd);
  for (size_t i = 0; i < na; i++) argv[i + 1] = util_strdup(json_string_value(json_array_get(args, i)));
  size_t k = 0;
  static const char *const keep[] = {"PATH", "HOME", "LANG"};
  for (size_t i = 0; i < 3; i++) {
    const char *v = getenv(keep[i]);
    if (v) envp[k++] = dup_printf("%s=%s", keep[i], v);
  }
  const char *key;
  json_t *v;
  json_object_foreach(env, key, v) envp[k++] = dup_printf("%s=%s", key, json_string_value(v) ?: "");
  int in[2], out[2];
  int rc = -1;
  if (pipe2(in, O_CLOEXEC) != 0) {
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    goto done;
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    goto done;
  }
  /* a server that dies makes our next write fail with EPIPE, not kill us
   * (`maestro serve` ignores SIGPIPE already; the CLI commands may not) */
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "cannot start %s: %s", cmd, strerror(errno));
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    goto done;
  }
  if (pid == 0) { /* child: async-signal-safe calls only */
    setpgid(0, 0);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (devnull >= 0) dup2(devnull, 2);
    /* nothing of ours (listening sockets, the database) reaches the server */
    if (close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < 4096; fd++) close(fd);
    execvpe(argv[0], argv, envp);
    _exit(127);
  }
  setpgid(pid, pid);
  close(in[0]);
  close(out[1]);
  c->pid = pid;
  c->to_child = in[1];
  c->from_child = out[0];
  rc = 0;
done:
  for (size_t i = 0; argv[i]; i++) free(argv[i]);
  for (size_t i = 0; envp[i]; i++) free(envp[i]);
  free(argv);
  free(envp);
  return rc;
}

static int stdio_write(mcp_client_t *c, const char *data, size_t len, int64_t deadline, char *err, size_t errlen) {
  size_t off = 0;
  while (off < len) {
    int left = (int)(deadline - now_ms());
    struct pollfd p = {c->to_child, POLLOUT, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      snprintf(err, errlen, "MCP server %s did not read its input within %d s: stopped", c->name, c->timeout_ms / 1000);
      kill_child(c);
      return -1;
    }
    ssize_t w = write(c->to_child, data + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      snprintf(err, errlen, "MCP server %s closed its input (the command exited?)", c->name);
      return -1;
    }
    off += (size_t)w;
  }
  return 0;
}

/* The next complete line from the child (malloc'd), or NULL with err. */
static char *stdio_read_line(mcp_client_t *c, int64_t deadline, char *err, size_t errlen) {
  for (;;) {
    char *nl = c->rbuf.data ? memchr(c->rbuf.data, '\n', c->rbuf.len) : NULL;
    if (nl) {
      size_t n = (size_t)(nl - c->rbuf.data);
      char *line = util_strndup(c->rbuf.data, n);
      memmove(c->rbuf.data, nl + 1, c->rbuf.len - n - 1);
      buf_truncate(&c->rbuf, c->rbuf.len - n - 1);
      return line;
    }
    if (c->rbuf.len > MAX_MESSAGE) {
      snprintf(err, errlen, "MCP server %s sent a message over %u bytes: stopped", c->name, MAX_MESSAGE);
      kill_child(c);
      return NULL;
    }
    int left = (int)(deadline - now_ms());
    struct pollfd p = {c->from_child, POLLIN, 0};
    int pr = left > 0 ? poll(&p, 1, left) : 0;
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      snprintf(err, errlen, "MCP server %s did not answer within %d s: stopped", c->name, c->timeout_ms / 1000);
      kill_child(c);
      return NULL;
    }
    char chunk[8192];
    ssize_t r = read(c->from_child, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int status = 0;
      if (c->pid > 0 && waitpid(c->pid, &status, WNOHANG) == c->pid) c->pid = 0;
      snprintf(err, errlen, "MCP server %s ended before answering%s", c->name,
               WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (its command was not found)" : "");
      return NULL;
    }
    buf_append(&c->rbuf, chunk, (size_t)r);
  }
}

/* ---------- messages ---------- */

static int is_our_response(json_t *m, long id) {
  json_t *jid = json_object_get(m, "id");
  return json_is_integer(jid) && json_integer_value(jid) == id && !json_object_get(m, "method");
}

/* A response to id inside msg (an object or a batch), or NULL. Borrowed. */
static json_t *find_response(json_t *msg, long id) {
  if (json_is_object(msg)) return is_our_response(msg, id) ? msg : NULL;
  size_t i;
  json_t *m;
  json_array_foreach(msg, i, m) if (is_our_response(m, id)) return m;
  return NULL;
}

/* Turns a response into *result or err. Consumes nothing. */
static int take_result(mcp_client_t *c, json_t *resp, json_t **result, char *err, size_t errlen) {
  json_t *e = json_object_get(resp, "error");
  if (e) {
    snprintf(err, errlen, "MCP server %s refused: %s (%lld)", c->name,
             json_string_value(json_object_get(e, "message")) ?: "error",
             (long long)json_integer_value(json_object_get(e, "code")));
    return -1;
  }
  json_t *r = json_object_get(resp, "result");
  if (!r) {
    snprintf(err, errlen, "MCP server %s answered without a result", c->name);
    return -1;
  }
  if (result) *result = json_incref(r);
  return 0;
}

static int stdio_exchange(mcp_client_t *c, json_t *msg, long id, json_t **result, char *err, size_t errlen) {
  int64_t deadline = now_ms() + c->timeout_ms;
  char *text = json_dumps(msg, JSON_COMPACT);
  buf_t line = BUF_INIT;
  buf_puts(&line, text);
  buf_putc(&line, '\n');
  free(text);
  int rc = stdio_write(c, line.data, line.len, deadline, err, errlen);
  buf_free(&line);
  if (rc != 0 || id < 0) return rc;
  for (;;) {
    char *l = stdio_read_line(c, deadline, err, errlen);
    if (!l) return -1;
    json_t *m = json_loads(l, 0, NULL);
    free(l);
    if (!m) continue; /* a stray line from the server's own logging */
    json_t *resp = find_response(m, id);
    if (resp) {
      rc = take_result(c, resp, result, err, errlen);
      json_decref(m);
      return rc;
    }
    /* a request from the server: we offer nothing */
    if (json_is_object(m) && json_object_get(m, "method") && json_object_get(m, "id")) {
      json_t *no = mcp_error(json_object_get(m, "id"), MCP_METHOD_NOT_FOUND, "this client offers no %s",
                             json_string_value(json_object_get(m, "method")) ?: "method");
      char *t = json_dumps(no, JSON_COMPACT);
      json_decref(no);
      buf_t b = BUF_INIT;
      buf_printf(&b, "%s\n", t ? t : "{}");
      free(t);
      int w = stdio_write(c, b.data, b.len, deadline, err, errlen);
      buf_free(&b);
      if (w != 0) {
        json_decref(m);
        return -1;
      }
    }
    json_decref(m);
  }
}

/* ---------- Streamable HTTP ---------- */

/* The value of header name in raw header lines (malloc'd) or NULL. */
static char *header_value(const char *raw, const char *name) {
  size_t nl = strlen(name);
  for (const char *p = raw; p && *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
      char *v = util_strndup(p + nl + 1, len - nl - 1);
      util_trim(v);
      return v;
    }
    p = eol ? eol + 1 : NULL;
  }
  return NULL;
}

/* The response to id in a text/event-stream body (new reference) or NULL. */
static json_t *sse_response(const char *body, long id) {
  buf_t data = BUF_INIT;
  json_t *found = NULL;
  for (const char *p = body; p && *p && !found;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len && p[len - 1] == '\r') len--;
    if (len >= 5 && !strncmp(p, "data:", 5)) {
      size_t skip = len > 5 && p[5] == ' ' ? 6 : 5;
      if (data.len) buf_putc(&data, '\n');
      buf_append(&data, p + skip, len - skip);
    } else if (len == 0 || !eol) {
      if (data.len) {
        json_t *m = json_loadb(data.data, data.len, 0, NULL);
        json_t *r = m ? find_response(m, id) : NULL;
        if (r) found = json_incref(r);
        json_decref(m);
        buf_reset(&data);
      }
    }
    p = eol ? eol + 1 : NULL;
  }
  if (!found && data.len) {
    json_t *m = json_loadb(data.data, data.len, 0, NULL);
    json_t *r = m ? find_response(m, id) : NULL;
    if (r) found = json_incref(r);
    json_decref(m);
  }
  buf_free(&data);
  return found;
}

static int http_exchange(mcp_client_t *c, json_t *msg, long id, json_t **result, char *err, size_t errlen) {
  const char *hdrs[MAX_HEADERS + 8];
  int n = 0;
  hdrs[n++] = "Content-Type: application/json";
  hdrs[n++] = "Accept: application/json, text/event-stream";
  for (int i = 0; i < c->nheaders; i++) hdrs[n++] = c->headers[i];
  char sess[200], ver[64];
  if (c->session[0]) {
    snprintf(sess, sizeof sess, "Mcp-Session-Id: %s", c->session);
    hdrs[n++] = sess;
  }
  if (c->version[0]) {
    snprintf(ver, sizeof ver, "MCP-Protocol-Version: %s", c->version);
    hdrs[n++] = ver;
  }
  hdrs[n] = NULL;
  char *text = json_dumps(msg, JSON_COMPACT);
  long status = 0;
  buf_t body = BUF_INIT, headers = BUF_INIT;
  char why[800] = "";
  int rc =
      web_post(c->web, c->untrusted, c->url, hdrs, text, c->timeout_ms, &status, &body, &headers, why, sizeof why);
  free(text);
  if (rc != 0) {
    snprintf(err, errlen, "MCP server %s: %s", c->name, why);
    goto out;
  }
  rc = -1;
  if (status == 202 && id < 0) {
    rc = 0;
    goto out;
  }
  if (status != 200) {
    snprintf(err, errlen, "MCP server %s answered HTTP %ld%s", c->name, status,
             status == 401 || status == 403   ? " (check its headers in Settings)"
             : status == 404 && c->session[0] ? " (the session ended)"
                                              : "");
    goto out;
  }
  char *sid = header_value(headers.data, "Mcp-Session-Id");
  if (sid && !c->session[0] && strlen(sid) < sizeof c->session) snprintf(c->session, sizeof c->session, "%s", sid);
  free(sid);
  if (id < 0) {
    rc = 0;
    goto out;
  }
  char *ct = header_value(headers.data, "Content-Type");
  json_t *resp = NULL;
  if (ct && strstr(ct, "text/event-stream")) {
    resp = sse_response(body.data ? body.data : "", id);
  } else {
    json_t *m = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
    json_t *r = m ? find_response(m, id) : NULL;
    resp = r ? json_incref(r) : NULL;
    json_decref(m);
  }
  free(ct);
  if (!resp) {
    snprintf(err, errlen, "MCP server %s gave no response to request %ld", c->name, id);
    goto out;
  }
  rc = take_result(c, resp, result, err, errlen);
  json_decref(resp);
out:
  buf_free(&body);
  buf_free(&headers);
  return rc;
}

/* ---------- public ---------- */

static int exchange(mcp_client_t *c, const char *method, json_t *params, int notify, json_t **result, char *err,
                    size_t errlen) {
  long id = notify ? -1 : ++c->next_id;
  json_t *msg = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
  if (!notify) json_object_set_new(msg, "id", json_integer(id));
  if (params) json_object_set(msg, "params", params);
  int rc =
      c->is_stdio ? stdio_exchange(c, msg, id, result, err, errlen) : http_exchange(c, msg, id, result, err, errlen);
  json_decref(msg);
  return rc;
}

int mcp_client_request(mcp_client_t *c, const char *method, json_t *params, json_t **result, char *err, size_t errlen) {
  if (result) *result = NULL;
  if (c->is_stdio && c->pid <= 0) {
    snprintf(err, errlen, "MCP server %s is not running", c->name);
    return -1;
  }
  return exchange(c, method, params, 0, result, err, errlen);
}

mcp_client_t *mcp_client_connect(web_t *web, const char *name, json_t *cfg, int untrusted, char *err, size_t errlen) {
  mcp_client_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->web = web;
  c->to_child = c->from_child = -1;
  snprintf(c->name, sizeof c->name, "%s", name);
  json_t *jt = json_object_get(cfg, "timeout_s");
  c->timeout_ms = json_is_integer(jt) ? (int)json_integer_value(jt) * 1000 : 30000;
  const char *cmd = json_string_value(json_object_get(cfg, "command"));
  const char *url = json_string_value(json_object_get(cfg, "url"));
  if (cmd && cmd[0]) {
    if (untrusted) {
      snprintf(err, errlen, "MCP server %s: only an admin may configure a command to run", name);
      goto fail;
    }
    c->is_stdio = 1;
    if (spawn_child(c, cfg, err, errlen) != 0) goto fail;
  } else if (url && url[0]) {
    c->url = util_strdup(url);
    c->untrusted = untrusted;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(cfg, "headers"), k, v) {
      if (c->nheaders >= MAX_HEADERS || !json_is_string(v)) continue;
      c->headers[c->nheaders++] = dup_printf("%s: %s", k, json_string_value(v));
    }
  } else {
    snprintf(err, errlen, "MCP server %s has neither a command nor a url", name);
    goto fail;
  }
  json_t *init = json_pack("{s:s, s:{}, s:{s:s, s:s}}", "protocolVersion", MCP_PROTOCOL_LATEST, "capabilities",
                           "clientInfo", "name", "maestro", "version", MAESTRO_VERSION);
  json_t *res = NULL;
  /* starting a command (node, npx, python) can take longer than a call may */
  int call_ms = c->timeout_ms;
  if (c->timeout_ms < MCP_STARTUP_MS) c->timeout_ms = MCP_STARTUP_MS;
  int rc = exchange(c, "initialize", init, 0, &res, err, errlen);
  c->timeout_ms = call_ms;
  json_decref(init);
  if (rc != 0) goto fail;
  const char *v = json_string_value(json_object_get(res, "protocolVersion"));
  if (!mcp_version_supported(v)) {
    snprintf(err, errlen, "MCP server %s speaks protocol %s, which Maestro does not", name, v ? v : "(none)");
    json_decref(res);
    goto fail;
  }
  snprintf(c->version, sizeof c->version, "%s", v);
  json_decref(res);
  if (exchange(c, "notifications/initialized", NULL, 1, NULL, err, errlen) != 0) goto fail;
  return c;
fail:
  mcp_client_close(c);
  return NULL;
}

char *mcp_client_result_text(json_t *result, int *is_error) {
  if (is_error) *is_error = json_is_true(json_object_get(result, "isError"));
  buf_t b = BUF_INIT;
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(result, "content"), i, item) {
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *t = json_string_value(json_object_get(item, "text"));
    if (!type || strcmp(type, "text") || !t) continue;
    if (b.len) buf_puts(&b, "\n\n");
    buf_puts(&b, t);
  }
  if (!b.len && json_object_get(result, "structuredContent")) {
    char *s = json_dumps(json_object_get(result, "structuredContent"), JSON_INDENT(1));
    if (s) buf_puts(&b, s);
    free(s);
  }
  return b.len ? buf_detach(&b, NULL) : (buf_free(&b), NULL);
}

void mcp_client_close(mcp_client_t *c) {
  if (!c) return;
  if (c->to_child >= 0) close(c->to_child);
  if (c->pid > 0) {
    int64_t end = now_ms() + CLOSE_GRACE_MS;
    while (now_ms() < end && waitpid(c->pid, NULL, WNOHANG) == 0) usleep(10000);
    if (waitpid(c->pid, NULL, WNOHANG) == 0) kill_child(c);
    kill(-c->pid, SIGKILL); /* anything the server left behind in its group */
    c->pid = 0;
  }
  if (c->from_child >= 0) close(c->from_child);
  buf_free(&c->rbuf);
  free(c->url);
  for (int i = 0; i < c->nheaders; i++) free(c->headers[i]);
  free(c);
}

/* ---------- settings ---------- */

/* {"api_key": v} -> v, for header and env maps read from the settings. */
static json_t *unwrap_secrets(json_t *map) {
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(map, k, v) {
    json_t *s = json_is_object(v) ? json_object_get(v, "api_key") : v;
    if (json_is_string(s)) json_object_set(out, k, s);
  }
  return out;
}

json_t *mcp_servers_for_user(llm_t *llm, store_t *store, const char *user_id) {
  json_t *layers[LLM_LAYERS] = {NULL, NULL};
  llm_settings_layers(llm, user_id, "mcp", layers);
  json_t *out = json_object();
  int admin = user_id ? store_user_is_admin(store, user_id) : 1;
  for (int l = 0; l < LLM_LAYERS; l++) {
    const char *name;
    json_t *s;
    json_object_foreach(json_object_get(layers[l], "servers"), name, s) {
      if (!json_is_object(s) || json_is_true(json_object_get(s, "disabled"))) continue;
      json_t *o = json_deep_copy(s);
      json_object_set_new(o, "headers", unwrap_secrets(json_object_get(s, "headers")));
      json_object_set_new(o, "env", unwrap_secrets(json_object_get(s, "env")));
      json_object_set_new(o, "scope", json_string(LLM_LAYER_NAMES[l]));
      json_object_set_new(o, "untrusted", json_boolean(l == LLM_LAYER_USER && !admin));
      json_object_set_new(out, name, o);
    }
    json_decref(layers[l]);
  }
  return out;
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 40) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
          s[i] == '-'))
      return 0;
  return 1;
}

/* Header names are tokens; values must not break the header line. */
static int wrap_secret_map(json_t *s, const char *member, const char *server, char *msg, size_t n) {
  json_t *map = json_object_get(s, member);
  if (!map || json_is_null(map)) return 0;
  if (!json_is_object(map)) {
    snprintf(msg, n, "mcp.servers.%s.%s must be an object of strings", server, member);
    return -1;
  }
  const char *k;
  json_t *v;
  json_object_foreach(map, k, v) {
    if (!valid_name(k)) {
      snprintf(msg, n, "mcp.servers.%s.%s: \"%.40s\" is not a valid name", server, member, k);
      return -1;
    }
    json_t *val = json_is_object(v) ? json_object_get(v, "api_key") : v;
    if (!json_is_string(val) || strpbrk(json_string_value(val), "\r\n") || json_string_length(val) > 4096) {
      snprintf(msg, n, "mcp.servers.%s.%s.%s must be a one-line string", server, member, k);
      return -1;
    }
    if (!json_is_object(v)) json_object_set_new(map, k, json_pack("{s:O}", "api_key", val));
  }
  return 0;
}

int mcp_settings_check(json_t *section, int allow_command, char *msg, size_t n) {
  json_t *servers = json_object_get(section, "servers");
  const char *k;
  json_t *v;
  json_object_foreach(section, k, v) if (strcmp(k, "servers")) {
    snprintf(msg, n, "mcp: unknown member \"%.40s\" (servers)", k);
    return -1;
  }
  if (!servers || json_is_null(servers)) return 0;
  if (!json_is_object(servers) || json_object_size(servers) > 20) {
    snprintf(msg, n, "mcp.servers must be an object of at most 20 servers, by name");
    return -1;
  }
  const char *name;
  json_t *s;
  json_object_foreach(servers, name, s) {
    if (!valid_name(name)) {
      snprintf(msg, n, "mcp.servers: \"%.40s\" is not a valid name (letters, digits, - and _)", name);
      return -1;
    }
    if (!json_is_object(s)) {
      snprintf(msg, n, "mcp.servers.%s must be an object", name);
      return -1;
    }
    json_object_foreach(s, k, v) {
      static const char *const ok[] = {"command", "args", "env", "url", "headers", "timeout_s", "disabled", NULL};
      int known = 0;
      for (int i = 0; ok[i]; i++) known |= !strcmp(k, ok[i]);
      if (!known) {
        snprintf(msg, n,
                 "mcp.servers.%s: unknown member \"%.40s\" (command, args, env, url, headers, timeout_s, "
                 "disabled)",
                 name, k);
        return -1;
      }
    }
    json_t *cmd = json_object_get(s, "command"), *url = json_object_get(s, "url");
    json_t *args = json_object_get(s, "args"), *t = json_object_get(s, "timeout_s");
    if (!!json_string_length(cmd) == !!json_string_length(url) || (cmd && !json_is_string(cmd)) ||
        (url && !json_is_string(url))) {
      snprintf(msg, n, "mcp.servers.%s needs either a command (stdio) or a url (Streamable HTTP)", name);
      return -1;
    }
    if (cmd && !allow_command) {
      snprintf(msg, n, "mcp.servers.%s: only an admin can name a command to run, in the server settings; use a url",
               name);
      return -1;
    }
    if (url && strncmp(json_string_value(url), "http://", 7) && strncmp(json_string_value(url), "https://", 8)) {
      snprintf(msg, n, "mcp.servers.%s.url must be an http:// or https:// URL", name);
      return -1;
    }
    if (args && !json_is_null(args)) {
      size_t i;
      json_t *a;
      int bad = !json_is_array(args) || json_array_size(args) > 64;
      json_array_foreach(args, i, a) bad |= !json_is_string(a);
      if (bad) {
        snprintf(msg, n, "mcp.servers.%s.args must be an array of strings", name);
        return -1;
      }
    }
    if (t && !json_is_null(t) && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > 300)) {
      snprintf(msg, n, "mcp.servers.%s.timeout_s must be a whole number of seconds, 1 to 300", name);
      return -1;
    }
    if (wrap_secret_map(s, "headers", name, msg, n) != 0 || wrap_secret_map(s, "env", name, msg, n) != 0) return -1;
  }
  return 0;
}
