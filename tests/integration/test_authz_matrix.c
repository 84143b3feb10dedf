/*
 * The authorization matrix: every route of the live router table and every
 * WebSocket channel kind of the hub, tried with the owner's ids by another
 * researcher, a viewer and no one.
 *
 * The tables are walked, not copied: http_router_route() enumerates what
 * the server serves and ws_hub_channel_prefix() the channel kinds, so a route
 * or channel added later is checked without touching this file. A route with
 * a path parameter is owner-scoped: another user gets 404 (the resource is
 * not theirs, and its existence is not revealed), a viewer 403 when the
 * route needs a researcher, no one 401. A route without one must be listed
 * below as public, caller-scoped (acts on the caller's own data) or be an
 * admin route, with the reason; a new unlisted route fails the test until
 * someone decides which it is. Afterwards the owner's resources are
 * checked to be untouched.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "http/http.h"
#include "http/ws.h"
#include "inproc.h"
#include "server_support.h"
#include "ws_client.h"

/* Routes any caller may reach without a token. */
static const struct {
  const char *method, *pattern, *why;
} PUBLIC[] = {
    {"GET", "/health", "liveness probe for load balancers and the container healthcheck"},
    {"GET", "/metrics", "Prometheus scrape; its own policy (METRICS_TOKEN / loopback), no user data"},
    {"POST", "/api/auth/login", "how a caller gets a token"},
    {"POST", "/api/auth/register", "self-registration when enabled by the admin"},
};

/* Routes without an id that act on the caller's own data only (lists and
 * creations are scoped to the caller by the handler). `probe` marks the ones
 * safe to call as the other users (reads); their answers must not hold any
 * of the owner's ids. */
static const struct {
  const char *method, *pattern, *why;
  int probe;
} CALLER[] = {
    {"GET", "/api/auth/me", "the caller's own account", 1},
    {"POST", "/api/auth/logout", "revokes the caller's own token", 0},
    {"POST", "/api/auth/change-password", "the caller's own password (needs the current one)", 0},
    {"GET", "/api/settings", "the caller's own settings", 1},
    {"PUT", "/api/settings", "the caller's own settings", 0},
    {"POST", "/api/settings/test-connection", "tests endpoints given in the body", 0},
    {"GET", "/api/settings/models", "models of the caller's own endpoint", 0},
    {"GET", "/api/missions", "lists the caller's missions", 1},
    {"POST", "/api/missions", "creates a mission owned by the caller", 0},
    {"GET", "/api/documents", "lists the caller's documents", 1},
    {"POST", "/api/documents", "uploads documents owned by the caller", 0},
    {"POST", "/api/documents/bulk", "acts on the caller's documents only (test_library: another user's id is 404)", 0},
    {"GET", "/api/groups", "lists the caller's groups", 1},
    {"POST", "/api/groups", "creates a group owned by the caller", 0},
    {"GET", "/api/chats", "lists the caller's chats", 1},
    {"POST", "/api/chats", "creates a chat owned by the caller", 0},
    {"GET", "/api/missions/drafts", "lists the caller's research chat drafts", 1},
    {"POST", "/api/missions/drafts", "creates a research chat draft owned by the caller", 0},
    {"POST", "/api/search", "searches the caller's documents", 1},
    {"POST", "/api/missions/preflight", "what a mission of the caller's would have (their documents, settings)", 0},
    {"GET", "/api/stats", "the caller's own counts", 1},
    {"POST", "/mcp", "MCP session of the caller; every tool checks the owner (tests/mcp/server.test.mjs)", 0},
    {"GET", "/mcp", "answers 405 (no server-initiated stream)", 0},
    {"DELETE", "/mcp", "ends the caller's own MCP session", 0},
    {"GET", "/api/mcp/servers", "the MCP servers of the caller's (and the server's) settings", 1},
    {"GET", "/api/plugins", "what the server's plugins provide; no user data", 1},
    {"GET", "/api/agents", "the server's custom agents (defined by admins for every user); no user data", 1},
    {"GET", "/api/writing/sessions", "lists the caller's writing sessions", 1},
    {"POST", "/api/writing/sessions", "creates a writing session owned by the caller", 0},
};

static inproc_t env;
static ts_server_t srv;
static char owner_id[17], other_id[17], viewer_id[17];
static char *owner_tok, *other_tok, *viewer_tok;
static char mission[17], document[17], group[17], chat[17], draft[17], writing[17];

static json_t *req(const char *method, const char *path, const char *tok, json_t *body, long *st) {
  return ts_json(&srv, method, path, tok, body, st);
}

static void take_id(json_t *j, char *out) {
  const char *id = json_string_value(json_object_get(j, "id"));
  cr_assert_not_null(id, "no id in %s", json_dumps(j, JSON_COMPACT));
  snprintf(out, 17, "%s", id);
}

/* POSTs body (taken) as the owner; the new resource's id goes to out. */
static void create(const char *path, json_t *body, char *out) {
  long st;
  json_t *j = req("POST", path, owner_tok, body, &st);
  cr_assert_eq(st, 201, "POST %s: %ld", path, st);
  take_id(j, out);
  json_decref(j);
  json_decref(body);
}

static void create_owner_resources(void) {
  create("/api/missions",
         json_pack("{s:s, s:[s], s:[s], s:{s:b}, s:b}", "title", "Owner's mission", "research_questions",
                   "How do glaciers move?", "sources", "local_documents", "settings", "offline", 1, "allow_empty", 1),
         mission);
  long st;
  json_t *b, *j;

  const char *mp =
      "--authz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"glaciers.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\nGlaciers carve valleys over thousands of years.\r\n--authz--\r\n";
  ts_response_t r =
      ts_http(&srv, "POST", "/api/documents", owner_tok, "multipart/form-data; boundary=authz", mp, strlen(mp));
  cr_assert(r.status == 201 || r.status == 202, "upload: %ld %s", r.status, r.body);
  j = json_loads(r.body, 0, NULL);
  take_id(json_array_get(json_object_get(j, "documents"), 0), document);
  json_decref(j);
  ts_response_free(&r);

  /* ready, so that the search probe below could find it */
  char p[128];
  snprintf(p, sizeof p, "/api/documents/%s", document);
  int64_t deadline = util_mono_ms() + 60000;
  const char *status = "";
  while (util_mono_ms() < deadline) {
    j = req("GET", p, owner_tok, NULL, &st);
    const char *now = json_string_value(json_object_get(j, "status"));
    int ready = now && !strcmp(now, "ready");
    json_decref(j);
    if (ready) {
      status = "ready";
      break;
    }
    util_sleep_ms(50);
  }
  cr_assert_str_eq(status, "ready", "the owner's document is indexed");
  b = json_pack("{s:s, s:s}", "query", "glaciers valleys", "mode", "lexical");
  j = req("POST", "/api/search", owner_tok, b, &st);
  char *text = json_dumps(j, JSON_COMPACT);
  cr_assert(st == 200 && text && strstr(text, document), "the owner's search finds the document: %ld %s", st, text);
  free(text);
  json_decref(j);
  json_decref(b);

  create("/api/groups", json_pack("{s:s}", "name", "owner-group"), group);
  create("/api/chats", json_pack("{s:s}", "title", "owner-chat"), chat);
  create("/api/missions/drafts", json_pack("{s:s}", "content", "A report on glaciers and valleys"), draft);
  create("/api/writing/sessions", json_pack("{s:s, s:s}", "title", "owner-draft", "content", "Owner's words."),
         writing);
  /* a reference 1 under the owner's session */
  char rp[96];
  snprintf(rp, sizeof rp, "/api/writing/sessions/%s/references", writing);
  b = json_pack("{s:s}", "title", "Owner's source");
  j = req("POST", rp, owner_tok, b, &st);
  cr_assert_eq(st, 201, "the owner's reference: %ld", st);
  json_decref(j);
  json_decref(b);
}

static void start(void) {
  inproc_open(&env, NULL);
  inproc_user(&env, "owner", "researcher", owner_id, &owner_tok);
  inproc_user(&env, "other", "researcher", other_id, &other_tok);
  inproc_user(&env, "viewer", "viewer", viewer_id, &viewer_tok);
  inproc_serve(&env);
  memset(&srv, 0, sizeof srv);
  srv.port = env.port;
  create_owner_resources();
}

static void stop(void) {
  inproc_close(&env);
  free(owner_tok);
  free(other_tok);
  free(viewer_tok);
}

TestSuite(authz, .init = start, .fini = stop, .timeout = 180);

/* The owner's resource a path parameter names, by the path before it. */
static const char *param_value(const char *pattern, const char *brace) {
  static const struct {
    const char *prefix;
    const char *value;
  } map[] = {
      {"/api/missions/", mission}, {"/api/documents/", document},   {"/api/groups/", group},
      {"/api/chats/", chat},       {"/api/admin/users/", owner_id}, {"/api/missions/drafts/", draft},
      {"/api/writing/sessions/", writing},
  };
  if (strncmp(brace, "{id}", 4) == 0) {
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
      size_t n = strlen(map[i].prefix);
      if ((size_t)(brace - pattern) == n && strncmp(pattern, map[i].prefix, n) == 0) return map[i].value;
    }
    return NULL;
  }
  /* a plugin's own route: the plugin gets the caller's id and role
   * (test_plugins checks the declared role); none is loaded here */
  if (strncmp(pattern, "/api/plugins/", 13) == 0) return "absent";
  /* custom agents are server-wide, defined by admins: none has this name
   * (writes are admin routes; test_custom_agents checks the roles) */
  if (strncmp(pattern, "/api/agents/", 12) == 0) return "absent";
  if (strncmp(brace, "{log}", 5) == 0 || strncmp(brace, "{n}", 3) == 0 || strncmp(brace, "{v}", 3) == 0)
    return "1"; /* under the owner's mission or writing session */
  if (strncmp(brace, "{name}", 6) == 0 && !strncmp(pattern, "/api/mcp/servers/", 17))
    return "owners"; /* an MCP server of the owner's settings: others do not have it */
  return NULL;
}

/* pattern with the owner's ids; NULL when a parameter is unknown here. */
static char *fill(const char *pattern) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (const char *p = pattern; *p;) {
    if (*p == '{') {
      const char *v = param_value(pattern, p);
      const char *close = strchr(p, '}');
      if (!v || !close) {
        buf_free(&b);
        return NULL;
      }
      buf_puts(&b, v);
      p = close + 1;
    } else {
      buf_putc(&b, *p++);
    }
  }
  return buf_detach(&b, NULL);
}

/* A body the owner could send (so a handler that validates before looking
 * the resource up still reaches its owner check); NULL for GET/DELETE. */
static json_t *body_for(const char *method, const char *pattern) {
  if (strstr(pattern, "/documents") && strstr(pattern, "/api/groups/"))
    return json_pack("{s:[s]}", "document_ids", document);
  if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) return NULL;
  if (strstr(pattern, "/plan")) return json_pack("{s:[{s:s, s:[s]}]}", "sections", "title", "Taken", "questions", "q?");
  if (!strcmp(pattern, "/api/search")) return json_pack("{s:s, s:s}", "query", "glaciers valleys", "mode", "lexical");
  if (strstr(pattern, "/messages")) return json_pack("{s:s}", "content", "hello");
  if (strncmp(pattern, "/api/groups/", 12) == 0) return json_pack("{s:s}", "name", "stolen");
  if (strncmp(pattern, "/api/documents/", 15) == 0 && strcmp(method, "PATCH") == 0)
    return json_pack("{s:s}", "title", "stolen");
  if (strncmp(pattern, "/api/admin/users/", 17) == 0) return json_pack("{s:s}", "role", "viewer");
  return json_object();
}

static int listed_public(const char *m, const char *p) {
  for (size_t i = 0; i < sizeof PUBLIC / sizeof *PUBLIC; i++)
    if (!strcmp(PUBLIC[i].method, m) && !strcmp(PUBLIC[i].pattern, p)) return 1;
  return 0;
}

static int listed_caller(const char *m, const char *p, int *probe) {
  for (size_t i = 0; i < sizeof CALLER / sizeof *CALLER; i++)
    if (!strcmp(CALLER[i].method, m) && !strcmp(CALLER[i].pattern, p)) {
      *probe = CALLER[i].probe;
      return 1;
    }
  return 0;
}

/* The answer must not hold any of the owner's ids. */
static void expect_no_owner_ids(const char *who, const char *m, const char *path, const ts_response_t *r) {
  const char *ids[] = {mission, document, group, chat, draft, writing};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
    cr_expect(!r->body || !strstr(r->body, ids[i]), "%s %s as %s shows the owner's id %s: %s", m, path, who, ids[i],
              r->body);
}

static long call(const char *m, const char *pattern, const char *path, const char *tok, ts_response_t *out) {
  json_t *b = body_for(m, pattern);
  char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;
  json_decref(b);
  *out = ts_http(&srv, m, path, tok, NULL, text, text ? strlen(text) : 0);
  free(text);
  return out->status;
}

Test(authz, every_route_checks_role_and_owner) {
  http_router_t *rt = env.app->router;
  const char *m, *pattern;
  role_t role;
  int n = 0, owner_scoped = 0;
  for (int i = 0; http_router_route(rt, i, &m, &pattern, &role) == 0; i++, n++) {
    int probe = 0;
    int has_param = strchr(pattern, '{') != NULL;
    int pub = listed_public(m, pattern), caller = listed_caller(m, pattern, &probe);
    if (role == ROLE_NONE) {
      cr_expect(pub, "%s %s needs no token but is not in PUBLIC with a reason", m, pattern);
      continue;
    }
    cr_expect(!pub, "%s %s is listed as public but needs the %s role", m, pattern, role_name(role));
    char *path = fill(pattern);
    cr_expect_not_null(path, "%s %s: a path parameter the matrix does not know; add the owner's resource for it", m,
                       pattern);
    if (!path) continue;
    ts_response_t r;
    /* no one */
    cr_expect_eq(call(m, pattern, path, NULL, &r), 401, "%s %s without a token: %ld", m, path, r.status);
    ts_response_free(&r);
    if (role == ROLE_ADMIN) {
      cr_expect_eq(call(m, pattern, path, other_tok, &r), 403, "%s %s as a researcher: %ld", m, path, r.status);
      ts_response_free(&r);
      cr_expect_eq(call(m, pattern, path, viewer_tok, &r), 403, "%s %s as a viewer: %ld", m, path, r.status);
      ts_response_free(&r);
    } else if (has_param) {
      owner_scoped++;
      cr_expect(!caller, "%s %s has an id: it is owner-scoped, not caller-scoped", m, pattern);
      long st = call(m, pattern, path, other_tok, &r);
      cr_expect_eq(st, 404, "%s %s as another researcher: %ld %s", m, path, st, r.body);
      cr_expect(r.body && strstr(r.body, "\"error\""), "%s %s as another researcher: an error, not data", m, path);
      ts_response_free(&r);
      st = call(m, pattern, path, viewer_tok, &r);
      cr_expect_eq(st, role > ROLE_VIEWER ? 403 : 404, "%s %s as a viewer: %ld %s", m, path, st, r.body);
      cr_expect(r.body && strstr(r.body, "\"error\""), "%s %s as a viewer: an error, not data", m, path);
      ts_response_free(&r);
    } else {
      cr_expect(caller, "%s %s has no id and is not listed in CALLER (or PUBLIC) with a reason: decide", m, pattern);
      if (role > ROLE_VIEWER) {
        cr_expect_eq(call(m, pattern, path, viewer_tok, &r), 403, "%s %s as a viewer: %ld", m, path, r.status);
        ts_response_free(&r);
      }
      if (probe) {
        const char *toks[] = {other_tok, viewer_tok}, *who[] = {"another researcher", "a viewer"};
        for (int k = 0; k < 2; k++) {
          if (role > ROLE_VIEWER && k == 1) continue;
          long st = call(m, pattern, path, toks[k], &r);
          cr_expect(st == 200, "%s %s as %s: %ld %s", m, path, who[k], st, r.body);
          expect_no_owner_ids(who[k], m, path, &r);
          ts_response_free(&r);
        }
      }
    }
    free(path);
  }
  cr_expect_gt(n, 40, "the router table was walked (%d routes)", n);
  cr_expect_gt(owner_scoped, 20, "%d owner-scoped routes", owner_scoped);
  /* every listed route still exists (a stale list hides nothing) */
  for (size_t i = 0; i < sizeof PUBLIC / sizeof *PUBLIC + sizeof CALLER / sizeof *CALLER; i++) {
    const char *lm =
        i < sizeof PUBLIC / sizeof *PUBLIC ? PUBLIC[i].method : CALLER[i - sizeof PUBLIC / sizeof *PUBLIC].method;
    const char *lp =
        i < sizeof PUBLIC / sizeof *PUBLIC ? PUBLIC[i].pattern : CALLER[i - sizeof PUBLIC / sizeof *PUBLIC].pattern;
    int found = 0;
    for (int k = 0; http_router_route(rt, k, &m, &pattern, &role) == 0; k++)
      if (!strcmp(m, lm) && !strcmp(pattern, lp)) found = 1;
    cr_expect(found, "%s %s is listed but no longer routed", lm, lp);
  }

  /* nothing of the owner's changed hands or vanished */
  const struct {
    const char *path, *field, *value;
  } keep[] = {{"/api/missions/%s", "id", mission},
              {"/api/documents/%s", "filename", "glaciers.txt"},
              {"/api/groups/%s", "name", "owner-group"},
              {"/api/chats/%s", "title", "owner-chat"},
              {"/api/writing/sessions/%s", "content", "Owner's words."}};
  const char *ids[] = {mission, document, group, chat, writing};
  for (size_t i = 0; i < 5; i++) {
    char p[128];
    snprintf(p, sizeof p, keep[i].path, ids[i]);
    long st;
    json_t *j = req("GET", p, owner_tok, NULL, &st);
    cr_expect_eq(st, 200, "the owner still reads %s: %ld", p, st);
    const char *v = json_string_value(json_object_get(j, keep[i].field));
    if (!v && json_is_object(json_object_get(j, "group")))
      v = json_string_value(json_object_get(json_object_get(j, "group"), keep[i].field));
    if (!v && json_is_object(json_object_get(j, "chat")))
      v = json_string_value(json_object_get(json_object_get(j, "chat"), keep[i].field));
    cr_expect(v && !strcmp(v, keep[i].value), "%s %s is still %s: %s", p, keep[i].field, keep[i].value,
              v ? v : "(missing)");
    json_decref(j);
  }
  json_t *me = req("GET", "/api/auth/me", owner_tok, NULL, NULL);
  cr_expect_str_eq(json_string_value(json_object_get(me, "role")), "researcher", "the owner's role is unchanged");
  json_decref(me);
}

/* The owner's id for a channel kind; NULL when the matrix does not know it. */
static const char *channel_id(const char *prefix) {
  if (!strcmp(prefix, "mission")) return mission;
  if (!strcmp(prefix, "chat")) return chat;
  if (!strcmp(prefix, "draft")) return draft;
  return NULL;
}

static int refused(ws_client_t *c, const char *channel) {
  wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", channel));
  int errors = wsc_wait(c, "error", channel, 1, 5000);
  return errors == 1 && wsc_count(c, "subscribed", channel) == 0;
}

Test(authz, every_websocket_channel_checks_the_owner) {
  char channels[16][64];
  int n = 0;
  const char *prefix;
  for (int i = 0; (prefix = ws_hub_channel_prefix(env.app->hub, i)) != NULL && n < 15; i++) {
    const char *id = channel_id(prefix);
    cr_expect_not_null(id, "channel kind %s: the matrix does not know the owner's id for it", prefix);
    if (id) snprintf(channels[n++], sizeof channels[0], "%s:%s", prefix, id);
  }
  cr_expect_geq(n, 2, "mission and chat channels are registered");
  snprintf(channels[n++], sizeof channels[0], "documents:%s", owner_id);

  cr_expect_null(wsc_connect(env.port, NULL), "no token: the upgrade is refused");
  cr_expect_null(wsc_connect(env.port, "not.a.token"), "a bad token: the upgrade is refused");

  ws_client_t *own = wsc_connect(env.port, owner_tok);
  cr_assert_not_null(own);
  for (int i = 0; i < n; i++) {
    wsc_send(own, json_pack("{s:s, s:s}", "type", "subscribe", "channel", channels[i]));
    cr_expect_eq(wsc_wait(own, "subscribed", channels[i], 1, 5000), 1, "the owner subscribes to %s", channels[i]);
  }
  wsc_close(own);

  const char *toks[] = {other_tok, viewer_tok}, *who[] = {"another researcher", "a viewer"};
  for (int k = 0; k < 2; k++) {
    ws_client_t *c = wsc_connect(env.port, toks[k]);
    cr_assert_not_null(c);
    for (int i = 0; i < n; i++) cr_expect(refused(c, channels[i]), "%s subscribed to %s", who[k], channels[i]);
    /* "documents" is always the caller's own */
    wsc_send(c, json_pack("{s:s, s:s}", "type", "subscribe", "channel", "documents"));
    cr_expect_eq(wsc_wait(c, "subscribed", "documents", 1, 5000), 1);
    wsc_close(c);
  }
}
