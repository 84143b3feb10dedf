/*
 * tools.c - the tool registry of the research agents (tools.h), and its
 * built-in provider: the tools of the MCP servers a user may use.
 *
 * A set is built when a mission step needs it: each provider adds its tools;
 * the MCP provider connects to each server (stdio: starts its command),
 * lists its tools and keeps the connection open in the set, so a call goes
 * to the same process; freeing the set closes them (and kills a stdio
 * server that does not exit). A server that fails is reported in problems
 * and skipped.
 */
#include "agents/tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "mcp/client.h"
#include "mcp/protocol.h"
#include "plugins/plugins.h"

#define MAX_PROVIDERS 8
#define MAX_TOOLS_PER_SERVER 64

int agent_tools_register(agents_t *ag, agent_tools_provider_fn fn, void *ctx) {
  if (ag->ntool_providers >= MAX_PROVIDERS) return -1;
  ag->tool_providers[ag->ntool_providers] = fn;
  ag->tool_provider_ctx[ag->ntool_providers] = ctx;
  ag->ntool_providers++;
  return 0;
}

agent_tools_t *agent_tools_for_user(agents_t *ag, const char *user_id) {
  agent_tools_t *set = calloc(1, sizeof *set);
  if (!set) abort();
  set->problems = json_array();
  for (int i = 0; ag && i < ag->ntool_providers; i++)
    ag->tool_providers[i](&ag->deps, user_id, set, ag->tool_provider_ctx[i]);
  return set;
}

const agent_tool_t *agent_tools_find(const agent_tools_t *set, const char *name) {
  for (size_t i = 0; set && name && i < set->n; i++)
    if (!strcmp(set->v[i].name, name)) return &set->v[i];
  return NULL;
}

int agent_tools_add(agent_tools_t *set, const char *name, const char *description, json_t *schema, const char *locator,
                    agent_tool_call_fn call, void *ud, void (*ud_free)(void *)) {
  if (agent_tools_find(set, name)) {
    if (ud_free) ud_free(ud);
    return -1;
  }
  set->v = realloc(set->v, (set->n + 1) * sizeof *set->v);
  if (!set->v) abort();
  agent_tool_t *t = &set->v[set->n++];
  t->name = util_strdup(name);
  t->description = util_strdup(description ? description : "");
  t->schema = json_is_object(schema) ? json_incref(schema) : json_pack("{s:s}", "type", "object");
  t->locator = util_strdup(locator);
  t->call = call;
  t->ud = ud;
  t->ud_free = ud_free;
  return 0;
}

void agent_tools_keep(agent_tools_t *set, void *r, void (*fr)(void *)) {
  set->keep = realloc(set->keep, (set->nkeep + 1) * sizeof *set->keep);
  set->keep_free = realloc(set->keep_free, (set->nkeep + 1) * sizeof *set->keep_free);
  if (!set->keep || !set->keep_free) abort();
  set->keep[set->nkeep] = r;
  set->keep_free[set->nkeep] = fr;
  set->nkeep++;
}

int agent_tools_call(const agent_tools_t *set, const char *name, json_t *args, char **text, char **locator, char *err,
                     size_t errlen) {
  *text = NULL;
  *locator = NULL;
  const agent_tool_t *t = agent_tools_find(set, name);
  if (!t) {
    snprintf(err, errlen, "no tool named %s", name ? name : "(none)");
    return -1;
  }
  if (mcp_schema_check(t->schema, args, "arguments", err, errlen) != 0) return -1;
  if (t->call(t, args, text, err, errlen) != 0) return -1;
  char *a = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
  buf_t b = BUF_INIT;
  buf_printf(&b, "%s?%s", t->locator, a ? a : "{}");
  free(a);
  *locator = buf_detach(&b, NULL);
  return 0;
}

json_t *agent_tools_json(const agent_tools_t *set) {
  json_t *arr = json_array();
  for (size_t i = 0; set && i < set->n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:s, s:O}", "name", set->v[i].name, "description",
                                         set->v[i].description, "input_schema", set->v[i].schema));
  return arr;
}

static void tool_clear(agent_tool_t *t) {
  free(t->name);
  free(t->description);
  free(t->locator);
  json_decref(t->schema);
  if (t->ud_free) t->ud_free(t->ud);
}

void agent_tools_free(agent_tools_t *set) {
  if (!set) return;
  for (size_t i = 0; i < set->n; i++) tool_clear(&set->v[i]);
  free(set->v);
  for (size_t i = 0; i < set->nkeep; i++) set->keep_free[i](set->keep[i]);
  free(set->keep);
  free(set->keep_free);
  json_decref(set->problems);
  free(set);
}

/* ---------- the MCP provider ---------- */

typedef struct {
  mcp_client_t *client; /* borrowed: kept by the set */
  char *tool;           /* the server's own name of the tool */
} mcp_tool_ud_t;

static void mcp_tool_ud_free(void *p) {
  mcp_tool_ud_t *u = p;
  if (!u) return;
  free(u->tool);
  free(u);
}

static void client_close(void *c) {
  mcp_client_close(c);
}

static int mcp_tool_call(const agent_tool_t *t, json_t *args, char **text, char *err, size_t errlen) {
  mcp_tool_ud_t *u = t->ud;
  json_t *params = json_pack("{s:s, s:O}", "name", u->tool, "arguments", args);
  json_t *res = NULL;
  int rc = mcp_client_request(u->client, "tools/call", params, &res, err, errlen);
  json_decref(params);
  if (rc != 0) return -1;
  int is_error = 0;
  char *s = mcp_client_result_text(res, &is_error);
  json_decref(res);
  if (is_error || !s || !s[0]) {
    snprintf(err, errlen, "tool %s %s%.300s", t->name, is_error ? "answered an error: " : "gave no text",
             is_error && s ? s : "");
    free(s);
    return -1;
  }
  *text = s;
  return 0;
}

void agent_tools_mcp_provider(const agents_deps_t *deps, const char *user_id, agent_tools_t *set, void *ctx) {
  (void)ctx;
  json_t *servers = mcp_servers_for_user(deps->llm, deps->store, user_id);
  const char *name;
  json_t *cfg;
  json_object_foreach(servers, name, cfg) {
    char err[600];
    mcp_client_t *c =
        mcp_client_connect(deps->web, name, cfg, json_is_true(json_object_get(cfg, "untrusted")), err, sizeof err);
    json_t *res = NULL;
    if (c && mcp_client_request(c, "tools/list", NULL, &res, err, sizeof err) != 0) {
      mcp_client_close(c);
      c = NULL;
    }
    if (!c) {
      log_info("agents", "MCP server %s: %s", name, err);
      json_array_append_new(set->problems, json_string(err));
      continue;
    }
    agent_tools_keep(set, c, client_close);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(res, "tools"), i, t) {
      const char *tn = json_string_value(json_object_get(t, "name"));
      if (!tn || i >= MAX_TOOLS_PER_SERVER) continue;
      char full[200], loc[240];
      snprintf(full, sizeof full, "%s.%s", name, tn);
      snprintf(loc, sizeof loc, "mcp://%s/%s", name, tn);
      mcp_tool_ud_t *u = calloc(1, sizeof *u);
      if (!u) abort();
      u->client = c;
      u->tool = util_strdup(tn);
      agent_tools_add(set, full, json_string_value(json_object_get(t, "description")),
                      json_object_get(t, "inputSchema"), loc, mcp_tool_call, u, mcp_tool_ud_free);
    }
    json_decref(res);
  }
  json_decref(servers);
}

/* ---------- plugin tools ---------- */

typedef struct {
  plugins_t *pl; /* borrowed: the app's */
  char *plugin, *tool;
  char user_id[64], mission_id[64]; /* on whose behalf the tool runs (the set's user; "" none) */
  int offline;
} plugin_tool_ud_t;

static void plugin_tool_ud_free(void *p) {
  plugin_tool_ud_t *u = p;
  if (!u) return;
  free(u->plugin);
  free(u->tool);
  free(u);
}

static int plugin_tool_call(const agent_tool_t *t, json_t *args, char **text, char *err, size_t errlen) {
  plugin_tool_ud_t *u = t->ud;
  json_t *out = NULL;
  plugins_caller_t who = {.user_id = u->user_id[0] ? u->user_id : NULL,
                          .mission_id = u->mission_id[0] ? u->mission_id : NULL,
                          .offline = u->offline};
  if (plugins_call_tool_as(u->pl, &who, u->plugin, u->tool, args, &out, err, errlen) != 0) return -1;
  *text = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
  json_decref(out);
  if (!*text) {
    snprintf(err, errlen, "tool %s gave no answer", t->name);
    return -1;
  }
  return 0;
}

void agent_tools_plugin_provider(const agents_deps_t *deps, const char *user_id, agent_tools_t *set, void *ctx) {
  const plugins_caller_t *mission = ctx;
  json_t *d = plugins_describe(deps->plugins), *p, *t;
  size_t i, k;
  json_array_foreach(json_object_get(d, "plugins"), i, p) {
    const char *pn = json_string_value(json_object_get(p, "name"));
    json_array_foreach(json_object_get(p, "tools"), k, t) {
      const char *tn = json_string_value(json_object_get(t, "name"));
      if (!pn || !tn) continue;
      char full[200], loc[240];
      snprintf(full, sizeof full, "%s.%s", pn, tn);
      snprintf(loc, sizeof loc, "plugin://%s/%s", pn, tn);
      plugin_tool_ud_t *u = calloc(1, sizeof *u);
      if (!u) abort();
      u->pl = deps->plugins;
      u->plugin = util_strdup(pn);
      u->tool = util_strdup(tn);
      if (user_id) snprintf(u->user_id, sizeof u->user_id, "%s", user_id);
      if (mission && mission->mission_id) snprintf(u->mission_id, sizeof u->mission_id, "%s", mission->mission_id);
      u->offline = mission && mission->offline;
      agent_tools_add(set, full, json_string_value(json_object_get(t, "description")),
                      json_object_get(t, "input_schema"), loc, plugin_tool_call, u, plugin_tool_ud_free);
    }
  }
  json_decref(d);
}

void agent_tools_only(agent_tools_t *set, json_t *names) {
  size_t kept = 0;
  for (size_t i = 0; i < set->n; i++) {
    int want = 0;
    size_t k;
    json_t *n;
    json_array_foreach(names, k, n) want |= json_is_string(n) && !strcmp(json_string_value(n), set->v[i].name);
    if (want) {
      set->v[kept++] = set->v[i];
      continue;
    }
    tool_clear(&set->v[i]);
  }
  set->n = kept;
}
