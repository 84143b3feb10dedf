/*
 * plugins.c - loading plugins and calling them off the request threads.
 *
 * Loading: each *.so of PLUGINS_DIR is dlopen()ed with RTLD_NOW|RTLD_LOCAL so
 * a missing symbol fails at load, not at first call; the entry point's
 * descriptor is checked field by field and init() is given a host whose
 * register_* functions append to the plugin's tables (JSON arrays). What a
 * plugin registered before its init failed is dropped with it.
 *
 * Calling: a call is a small refcounted record (request, answer, done flag)
 * shared by the caller and a detached worker thread. The caller waits on the
 * record's condition until the deadline; whoever lets go last frees it, so
 * a caller that gave up never touches an answer that arrives later. The
 * per-plugin in-flight counter bounds the workers a slow plugin can pile up
 * and tells plugins_free when cleanup() is safe.
 *
 * The model: a worker sets a thread-local to its call record before
 * execute, so host->complete (called by the plugin on that thread) knows
 * the user, the mission and the cancel flag of the call without the ABI
 * carrying them. The user is the one the server gave the call (the
 * authenticated request of a route, the mission's owner of a search or a
 * tool): a request to complete that names a user or a mission is refused,
 * so a plugin cannot spend another user's model. The record owns copies of those strings and outlives
 * execute (it is refcounted), so a caller that gave up leaves nothing
 * dangling; giving up also sets the record's cancel flag, which aborts a
 * model call in progress.
 */
#include "plugins/plugins.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "maestro/plugin.h"

typedef struct {
  char *file, *name;
  void *handle;
  const maestro_plugin_t *desc;
  json_t *sources, *tools, *routes;
  atomic_int inflight;
  maestro_host_t host; /* what init got; stays valid while the plugin is loaded */
  plugins_t *owner;
} plugin_t;

struct plugins {
  plugin_t **v; /* heap records: host.ctx points at them, so they never move */
  size_t n;
  json_t *refused; /* [{file, reason}] */
  int timeout_s;
  llm_t *llm; /* borrowed; NULL: complete() answers offline */
};

/* ---- registration (during init) ---- */

static int valid_name(const char *s) {
  if (!s || !s[0] || strlen(s) > 32) return 0;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')) return 0;
  return 1;
}

static int has_named(json_t *arr, const char *key, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (!strcmp(json_string_value(json_object_get(v, key)), name)) return 1;
  return 0;
}

static int host_source(void *ctx, const char *name, const char *description) {
  plugin_t *p = ctx;
  if (!valid_name(name) || has_named(p->sources, "name", name)) return -1;
  char id[80];
  snprintf(id, sizeof id, "plugin:%s/%s", p->name, name);
  json_array_append_new(
      p->sources, json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "description", description ? description : ""));
  return 0;
}

static int host_tool(void *ctx, const char *name, const char *description, const char *schema) {
  plugin_t *p = ctx;
  if (!valid_name(name) || has_named(p->tools, "name", name) || !schema) return -1;
  json_t *js = json_loads(schema, 0, NULL);
  if (!json_is_object(js)) {
    json_decref(js);
    return -1;
  }
  json_array_append_new(p->tools, json_pack("{s:s, s:s, s:o}", "name", name, "description",
                                            description ? description : "", "input_schema", js));
  return 0;
}

static int host_route(void *ctx, const char *method, const char *path, int min_role) {
  plugin_t *p = ctx;
  if (!method || (strcmp(method, "GET") && strcmp(method, "POST")) || !valid_name(path) ||
      min_role < MAESTRO_ROLE_VIEWER || min_role > MAESTRO_ROLE_ADMIN)
    return -1;
  size_t i;
  json_t *v;
  json_array_foreach(p->routes, i, v) {
    if (!strcmp(json_string_value(json_object_get(v, "method")), method) &&
        !strcmp(json_string_value(json_object_get(v, "path")), path))
      return -1;
  }
  static const char *const ROLES[] = {"", "viewer", "researcher", "admin"};
  json_array_append_new(p->routes, json_pack("{s:s, s:s, s:s, s:i}", "method", method, "path", path, "role",
                                             ROLES[min_role], "min_role", min_role));
  return 0;
}

static void host_log(void *ctx, int level, const char *message) {
  plugin_t *p = ctx;
  log_level_t l = level <= 0 ? LOG_DEBUG : level == 1 ? LOG_INFO : level == 2 ? LOG_WARNING : LOG_ERROR;
  LOG_AT(l, "plugins", "plugin %s: %s", p->name, message ? message : "");
}

static void plugin_release(plugin_t *p) {
  json_decref(p->sources);
  json_decref(p->tools);
  json_decref(p->routes);
  free(p->file);
  free(p->name);
  free(p);
}

static int host_complete(void *ctx, const char *request_json, char **answer, char *err, size_t errlen);

/* ---- configuration ---- */

/* PLUGINS_DIR/<name>.json, then PLUGIN_<NAME>_<KEY> variables over it. */
static char *plugin_config(const char *dir, const char *name, char *err, size_t errlen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", dir, name);
  json_t *cfg = NULL;
  size_t len = 0;
  char *text = util_read_file(path, &len);
  if (text) {
    json_error_t je;
    cfg = json_loadb(text, len, 0, &je);
    free(text);
    if (!json_is_object(cfg)) {
      json_decref(cfg);
      snprintf(err, errlen, "%s.json is not a JSON object (line %d: %s)", name, je.line, je.text);
      return NULL;
    }
  } else
    cfg = json_object();
  char prefix[64];
  int pl = snprintf(prefix, sizeof prefix, "PLUGIN_");
  for (const char *c = name; *c && pl < (int)sizeof prefix - 2; c++)
    prefix[pl++] = *c == '-' ? '_' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
  prefix[pl++] = '_';
  prefix[pl] = 0;
  extern char **environ;
  for (char **e = environ; e && *e; e++) {
    if (strncmp(*e, prefix, (size_t)pl)) continue;
    const char *eq = strchr(*e, '=');
    if (!eq || eq == *e + pl) continue;
    char key[128];
    size_t kl = (size_t)(eq - *e) - (size_t)pl;
    if (kl >= sizeof key) continue;
    for (size_t i = 0; i < kl; i++) {
      char c = (*e)[pl + i];
      key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    key[kl] = 0;
    json_object_set_new(cfg, key, json_string(eq + 1));
  }
  char *out = json_dumps(cfg, JSON_COMPACT);
  json_decref(cfg);
  return out;
}

/* ---- loading ---- */

static void refuse(plugins_t *pl, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(plugins_t *pl, const char *file, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  log_error("plugins", "plugin %s refused: %s", file, reason);
  json_array_append_new(pl->refused, json_pack("{s:s, s:s}", "file", file, "reason", reason));
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_one(plugins_t *pl, const char *dir, const char *file, int abi_host) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    refuse(pl, file, "cannot load: %s", dlerror());
    return;
  }
  maestro_plugin_entry_fn entry;
  *(void **)&entry = dlsym(h, MAESTRO_PLUGIN_ENTRY);
  if (!entry) {
    refuse(pl, file, "missing symbol %s", MAESTRO_PLUGIN_ENTRY);
    dlclose(h);
    return;
  }
  const maestro_plugin_t *d = entry();
  if (!d) {
    refuse(pl, file, "%s returned no descriptor", MAESTRO_PLUGIN_ENTRY);
  } else if (d->abi_version < MAESTRO_PLUGIN_ABI_MIN || d->abi_version > abi_host) {
    refuse(pl, file, "ABI version %d, this server speaks %d to %d", d->abi_version, MAESTRO_PLUGIN_ABI_MIN, abi_host);
  } else if (!valid_name(d->name)) {
    refuse(pl, file, "invalid name (want [a-z0-9_-]{1,32})");
  } else if (!d->init || !d->execute) {
    refuse(pl, file, "descriptor without %s", !d->init ? "init" : "execute");
  } else {
    for (size_t i = 0; i < pl->n; i++)
      if (!strcmp(pl->v[i]->name, d->name)) {
        refuse(pl, file, "a plugin named %s is already loaded (%s)", d->name, pl->v[i]->file);
        dlclose(h);
        return;
      }
    plugin_t *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->file = util_strdup(file);
    p->name = util_strdup(d->name);
    p->handle = h;
    p->desc = d;
    p->sources = json_array();
    p->tools = json_array();
    p->routes = json_array();
    p->owner = pl;
    atomic_init(&p->inflight, 0);
    p->host = (maestro_host_t){.abi_version = abi_host,
                               .ctx = p,
                               .register_source = host_source,
                               .register_tool = host_tool,
                               .register_route = host_route,
                               .log = host_log,
                               .complete = host_complete};
    char e[512] = "", ce[512] = "";
    char *cfg = plugin_config(dir, d->name, ce, sizeof ce);
    int rc = cfg ? d->init(&p->host, cfg, e, sizeof e) : -1;
    free(cfg);
    if (rc != 0) {
      refuse(pl, file, "init failed: %s", ce[0] ? ce : e[0] ? e : "(no message)");
      if (cfg && d->cleanup) d->cleanup();
      plugin_release(p);
      dlclose(h);
      return;
    }
    pl->v = realloc(pl->v, (pl->n + 1) * sizeof *pl->v);
    if (!pl->v) abort();
    pl->v[pl->n++] = p;
    log_info("plugins", "plugin %s %s (ABI %d) loaded from %s: %zu sources, %zu tools, %zu routes", d->name,
             d->version ? d->version : "", d->abi_version, file, json_array_size(p->sources), json_array_size(p->tools),
             json_array_size(p->routes));
    return;
  }
  dlclose(h);
}

static plugins_t *load_dir(const char *dir, int timeout_s, int abi_host) {
  plugins_t *pl = calloc(1, sizeof *pl);
  if (!pl) abort();
  pl->refused = json_array();
  pl->timeout_s = timeout_s;
  if (!dir || !dir[0]) return pl;
  DIR *d = opendir(dir);
  if (!d) {
    log_error("plugins", "PLUGINS_DIR %s: %s; no plugin loaded", dir, strerror(errno));
    return pl;
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || !util_ends_with(de->d_name, ".so")) continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (!names) abort();
    names[n++] = util_strdup(de->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    load_one(pl, dir, names[i], abi_host);
    free(names[i]);
  }
  free(names);
  return pl;
}

void plugins_attach_llm(plugins_t *pl, llm_t *llm) {
  if (pl) pl->llm = llm;
}

plugins_t *plugins_load(const config_t *cfg) {
  return load_dir(config_get(cfg, "PLUGINS_DIR"), (int)config_int(cfg, "PLUGIN_TIMEOUT_SECONDS"),
                  MAESTRO_PLUGIN_ABI_VERSION);
}

void plugins_free(plugins_t *pl) {
  if (!pl) return;
  for (size_t i = 0; i < pl->n; i++) {
    plugin_t *p = pl->v[i];
    int64_t until = util_mono_ms() + 5000;
    while (atomic_load(&p->inflight) > 0 && util_mono_ms() < until) util_sleep_ms(20);
    if (atomic_load(&p->inflight) > 0) {
      log_warn("plugins", "plugin %s still busy at shutdown: not cleaned up", p->name);
    } else {
      if (p->desc->cleanup) p->desc->cleanup();
      dlclose(p->handle);
      plugin_release(p);
    }
    /* a plugin still busy keeps its record: its worker may still read it */
  }
  free(pl->v);
  json_decref(pl->refused);
  free(pl);
}

/* ---- describing ---- */

json_t *plugins_describe(const plugins_t *pl) {
  json_t *arr = json_array();
  for (size_t i = 0; pl && i < pl->n; i++) {
    const plugin_t *p = pl->v[i];
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "name", p->name, "version",
                                         p->desc->version ? p->desc->version : "", "description",
                                         p->desc->description ? p->desc->description : "", "file", p->file, "sources",
                                         p->sources, "tools", p->tools, "routes", p->routes));
  }
  return json_pack("{s:o, s:O}", "plugins", arr, "refused", pl ? pl->refused : json_null());
}

static plugin_t *find(const plugins_t *pl, const char *name) {
  for (size_t i = 0; pl && name && i < pl->n; i++)
    if (!strcmp(pl->v[i]->name, name)) return pl->v[i];
  return NULL;
}

/* "plugin:<plugin>/<source>" -> the plugin and the source's name. */
static plugin_t *find_source(const plugins_t *pl, const char *id, const char **source) {
  if (!id || strncmp(id, "plugin:", 7)) return NULL;
  const char *slash = strchr(id + 7, '/');
  if (!slash || slash - (id + 7) > 32) return NULL;
  char name[33];
  snprintf(name, sizeof name, "%.*s", (int)(slash - (id + 7)), id + 7);
  plugin_t *p = find(pl, name);
  if (!p || !has_named(p->sources, "name", slash + 1)) return NULL;
  *source = slash + 1;
  return p;
}

int plugins_has_source(const plugins_t *pl, const char *id) {
  const char *s;
  return find_source(pl, id, &s) != NULL;
}

/* ---- calling ---- */

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int refs, done;
  char *request, *answer;
  plugin_t *p;
  char *user_id, *mission_id; /* owned copies, NULL when the caller gave none */
  int offline;                /* the caller runs without a model */
  atomic_int cancel;          /* set when the caller stops waiting */
} pcall_t;

/* The call the current worker thread runs (complete() reads it). */
static _Thread_local pcall_t *tl_call;

static void pcall_release(pcall_t *c) {
  pthread_mutex_lock(&c->lock);
  int last = --c->refs == 0;
  pthread_mutex_unlock(&c->lock);
  if (!last) return;
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->cond);
  free(c->request);
  free(c->answer);
  free(c->user_id);
  free(c->mission_id);
  free(c);
}

static void *pcall_worker(void *arg) {
  pcall_t *c = arg;
  tl_call = c;
  char *answer = c->p->desc->execute(c->request);
  tl_call = NULL;
  pthread_mutex_lock(&c->lock);
  c->answer = answer;
  c->done = 1;
  pthread_cond_signal(&c->cond);
  pthread_mutex_unlock(&c->lock);
  atomic_fetch_sub(&c->p->inflight, 1);
  pcall_release(c);
  return NULL;
}

/* Runs execute(req) on a worker with the deadline: *out is the parsed
 * answer. 0, or -1 with err. */
static int plugin_execute(plugins_t *pl, plugin_t *p, const plugins_caller_t *caller, json_t *req, json_t **out,
                          char *err, size_t errlen) {
  *out = NULL;
  if (atomic_fetch_add(&p->inflight, 1) >= PLUGIN_MAX_INFLIGHT) {
    atomic_fetch_sub(&p->inflight, 1);
    snprintf(err, errlen, "plugin %s is busy (%d calls in flight)", p->name, PLUGIN_MAX_INFLIGHT);
    return -1;
  }
  pcall_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  pthread_mutex_init(&c->lock, NULL);
  util_cond_init_monotonic(&c->cond);
  c->refs = 2;
  c->p = p;
  atomic_init(&c->cancel, 0);
  if (caller && caller->user_id) c->user_id = util_strdup(caller->user_id);
  if (caller && caller->mission_id) c->mission_id = util_strdup(caller->mission_id);
  c->offline = caller && caller->offline;
  c->request = json_dumps(req, JSON_COMPACT);
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&th, &at, pcall_worker, c) != 0) {
    pthread_attr_destroy(&at);
    atomic_fetch_sub(&p->inflight, 1);
    c->refs = 1;
    pcall_release(c);
    snprintf(err, errlen, "plugin %s: cannot start a worker", p->name);
    return -1;
  }
  pthread_attr_destroy(&at);
  struct timespec dl = util_mono_deadline((int64_t)pl->timeout_s * 1000);
  pthread_mutex_lock(&c->lock);
  while (!c->done)
    if (pthread_cond_timedwait(&c->cond, &c->lock, &dl) == ETIMEDOUT) break;
  int done = c->done;
  char *answer = c->answer;
  c->answer = NULL;
  if (!done) atomic_store(&c->cancel, 1); /* a model call in progress stops */
  pthread_mutex_unlock(&c->lock);
  pcall_release(c);
  if (!done) {
    log_warn("plugins", "plugin %s: call timed out after %d s (its answer will be discarded)", p->name, pl->timeout_s);
    snprintf(err, errlen, "plugin %s did not answer within %d s", p->name, pl->timeout_s);
    return -1;
  }
  if (!answer) {
    snprintf(err, errlen, "plugin %s failed (no answer)", p->name);
    return -1;
  }
  json_error_t je;
  json_t *v = json_loads(answer, JSON_DECODE_ANY, &je);
  free(answer);
  if (!v) {
    snprintf(err, errlen, "plugin %s answered invalid JSON: %s", p->name, je.text);
    return -1;
  }
  const char *perr = json_string_value(json_object_get(v, "error"));
  if (perr) {
    snprintf(err, errlen, "%s", perr);
    json_decref(v);
    return -1;
  }
  *out = v;
  return 0;
}

int plugins_search(plugins_t *pl, const char *id, const char *query, int limit, json_t **passages, char *err,
                   size_t errlen) {
  return plugins_search_as(pl, NULL, id, query, limit, passages, NULL, err, errlen);
}

int plugins_search_as(plugins_t *pl, const plugins_caller_t *caller, const char *id, const char *query, int limit,
                      json_t **passages, json_t **warnings, char *err, size_t errlen) {
  *passages = NULL;
  if (warnings) *warnings = json_array();
  const char *source = NULL;
  plugin_t *p = find_source(pl, id, &source);
  if (!p) {
    snprintf(err, errlen, "no plugin source %s", id ? id : "");
    return -1;
  }
  json_t *req = json_pack("{s:s, s:s, s:s, s:i}", "kind", "search", "source", source, "query", query ? query : "",
                          "limit", limit);
  json_t *ans = NULL;
  int rc = plugin_execute(pl, p, caller, req, &ans, err, errlen);
  json_decref(req);
  if (rc) return -1;
  json_t *in = json_object_get(ans, "passages");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(ans, "warnings"), i, v) {
    const char *w = json_string_value(v);
    if (warnings && w && w[0] && util_utf8_valid(w, strlen(w))) json_array_append(*warnings, v);
  }
  if (!json_is_array(in)) {
    json_decref(ans);
    snprintf(err, errlen, "plugin %s: a search answer needs \"passages\": [...]", p->name);
    return -1;
  }
  json_t *outv = json_array();
  json_array_foreach(in, i, v) {
    const char *text = json_string_value(json_object_get(v, "text"));
    if (!text || !text[0] || !util_utf8_valid(text, strlen(text))) continue;
    const char *title = json_string_value(json_object_get(v, "title"));
    const char *loc = json_string_value(json_object_get(v, "locator"));
    json_t *meta = json_object_get(v, "metadata");
    json_array_append_new(outv,
                          json_pack("{s:s, s:s, s:s, s:O}", "title", title ? title : p->name, "text", text, "locator",
                                    loc ? loc : "", "metadata", json_is_object(meta) ? meta : json_object()));
    if (limit > 0 && json_array_size(outv) >= (size_t)limit) break;
  }
  json_decref(ans);
  *passages = outv;
  return 0;
}

int plugins_call_tool(plugins_t *pl, const char *plugin, const char *tool, json_t *input, json_t **out, char *err,
                      size_t errlen) {
  return plugins_call_tool_as(pl, NULL, plugin, tool, input, out, err, errlen);
}

int plugins_call_tool_as(plugins_t *pl, const plugins_caller_t *caller, const char *plugin, const char *tool,
                         json_t *input, json_t **out, char *err, size_t errlen) {
  *out = NULL;
  plugin_t *p = find(pl, plugin);
  if (!p || !tool || !has_named(p->tools, "name", tool)) {
    snprintf(err, errlen, "no plugin tool %s/%s", plugin ? plugin : "", tool ? tool : "");
    return -1;
  }
  json_t *req = json_pack("{s:s, s:s, s:O}", "kind", "tool", "tool", tool, "input", input ? input : json_null());
  int rc = plugin_execute(pl, p, caller, req, out, err, errlen);
  json_decref(req);
  return rc;
}

int plugins_route_role(const plugins_t *pl, const char *plugin, const char *method, const char *path) {
  plugin_t *p = find(pl, plugin);
  size_t i;
  json_t *v;
  if (p) json_array_foreach(p->routes, i, v) {
      if (!strcmp(json_string_value(json_object_get(v, "method")), method) &&
          !strcmp(json_string_value(json_object_get(v, "path")), path))
        return (int)json_integer_value(json_object_get(v, "min_role"));
    }
  return 0;
}

int plugins_call_route(plugins_t *pl, const char *plugin, const char *method, const char *path, json_t *body,
                       const char *user_id, const char *role, int *status, json_t **out, char *err, size_t errlen) {
  *out = NULL;
  *status = 0;
  plugin_t *p = find(pl, plugin);
  if (!p) {
    snprintf(err, errlen, "no plugin %s", plugin ? plugin : "");
    return -1;
  }
  json_t *req = json_pack("{s:s, s:s, s:s, s:O?, s:{s:s, s:s}}", "kind", "route", "method", method, "path", path,
                          "body", body, "user", "id", user_id, "role", role);
  json_t *ans = NULL;
  /* the route runs for the signed-in user the HTTP handler authenticated */
  plugins_caller_t who = {.user_id = user_id};
  int rc = plugin_execute(pl, p, &who, req, &ans, err, errlen);
  json_decref(req);
  if (rc) return -1;
  json_int_t st = json_integer_value(json_object_get(ans, "status"));
  json_t *b = json_object_get(ans, "body");
  if (st < 200 || st > 599 || !b) {
    json_decref(ans);
    snprintf(err, errlen, "plugin %s: a route answer needs {\"status\": 200..599, \"body\": ...}", p->name);
    return -1;
  }
  *status = (int)st;
  *out = json_incref(b);
  json_decref(ans);
  return 0;
}

/* ---- the model (host->complete, ABI 2) ---- */

static int host_complete(void *ctx, const char *request_json, char **answer, char *err, size_t errlen) {
  plugin_t *p = ctx;
  pcall_t *c = tl_call;
  if (answer) *answer = NULL;
  if (!answer || !c || c->p != p) {
    snprintf(err, errlen, "complete is only available inside execute, on the thread that runs it");
    return MAESTRO_COMPLETE_FAILED;
  }
  json_t *req = request_json ? json_loads(request_json, 0, NULL) : NULL;
  /* whose model answers is the call's, never the plugin's choice */
  static const char *const WHO[] = {"user", "user_id", "mission", "mission_id", NULL};
  for (const char *const *k = WHO; *k; k++)
    if (json_object_get(req, *k)) {
      json_decref(req);
      snprintf(err, errlen,
               "complete: the request cannot name \"%s\": the model answers for the user of the call the plugin runs",
               *k);
      return MAESTRO_COMPLETE_FAILED;
    }
  if (!p->owner->llm || !c->user_id || c->offline) {
    json_decref(req);
    snprintf(err, errlen, "no model is available for this call (%s)",
             !p->owner->llm ? "the server has no model layer here"
             : c->offline   ? "it runs offline"
                            : "it has no user: the server called the plugin itself, not on a user's behalf");
    return MAESTRO_COMPLETE_OFFLINE;
  }
  json_t *msgs = json_object_get(req, "messages");
  size_t n = json_array_size(msgs), i;
  const char *tname = json_string_value(json_object_get(req, "tier"));
  int tier = tname ? llm_tier_parse(tname) : LLM_TIER_MID;
  if (!n || n > 32 || tier < 0 || tier > LLM_TIER_VERIFIER) {
    json_decref(req);
    snprintf(err, errlen, "complete: the request needs \"messages\" (1 to 32) and a chat tier");
    return MAESTRO_COMPLETE_FAILED;
  }
  llm_message_t m[32];
  json_t *v;
  json_array_foreach(msgs, i, v) {
    m[i].role = json_string_value(json_object_get(v, "role"));
    m[i].content = json_string_value(json_object_get(v, "content"));
    if (!m[i].role || !m[i].content ||
        (strcmp(m[i].role, "system") && strcmp(m[i].role, "user") && strcmp(m[i].role, "assistant"))) {
      json_decref(req);
      snprintf(err, errlen, "complete: messages[%zu] needs a role (system, user, assistant) and a content", i);
      return MAESTRO_COMPLETE_FAILED;
    }
  }
  json_int_t mt = json_integer_value(json_object_get(req, "max_tokens"));
  int max_tokens = mt > 0 && mt <= 1000000 ? (int)mt : 0;
  char agent[48];
  snprintf(agent, sizeof agent, "plugin:%s", p->name);
  llm_request_t lr = {.tier = (llm_tier_t)tier,
                      .messages = m,
                      .nmessages = n,
                      .temperature = -1,
                      .max_tokens = max_tokens,
                      .cancel = &c->cancel,
                      .user_id = c->user_id,
                      .mission_id = c->mission_id,
                      .agent = agent};
  llm_response_t resp;
  char e[512] = "";
  int rc = llm_chat(p->owner->llm, &lr, &resp, e, sizeof e);
  json_decref(req);
  if (rc == LLM_ERR_NOT_CONFIGURED) {
    snprintf(err, errlen, "no model is configured: %s", e);
    return MAESTRO_COMPLETE_OFFLINE;
  }
  if (rc != LLM_OK) {
    snprintf(err, errlen, "the model call failed: %s", e[0] ? e : "no answer");
    return MAESTRO_COMPLETE_FAILED;
  }
  *answer = resp.text;
  resp.text = NULL;
  llm_response_free(&resp);
  return MAESTRO_COMPLETE_OK;
}
