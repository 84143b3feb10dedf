/*
 * app.c - assembling the application from its parts, and taking it apart.
 *
 * Order matters: store (migrated) -> events -> jobs -> secrets -> llm -> web
 * -> rag -> auth -> plugins -> hub -> router -> agents. Each part gets the
 * parts it uses here and nowhere else. Closing runs in reverse, after the
 * HTTP server has stopped, so no handler can see a half-freed app.
 */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agents/agents.h"
#include "agents/drafts.h"
#include "api/api.h"
#include "auth/auth.h"
#include "auth/secrets.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "chat/chat.h"
#include "http/http.h"
#include "http/ws.h"
#include "llm/llm.h"
#include "mcp/mcp.h"
#include "plugins/plugins.h"
#include "rag/rag.h"
#include "store/chats.h"
#include "store/drafts.h"
#include "store/missions.h"
#include "web/scholar.h"
#include "web/web.h"

/* The JWT key: JWT_SECRET_KEY, or DATA_DIR/jwt_secret (created 0600 with 32
 * random bytes on first start) so tokens survive restarts. */
static char *load_jwt_key(const config_t *cfg, char *err, size_t errlen) {
  const char *k = config_get(cfg, "JWT_SECRET_KEY");
  if (k[0]) return util_strdup(k);
  buf_t path = BUF_INIT;
  buf_printf(&path, "%s/jwt_secret", config_get(cfg, "DATA_DIR"));
  size_t len = 0;
  char *key = util_read_file(path.data, &len);
  if (key && len >= 32) {
    buf_free(&path);
    util_trim(key);
    return key;
  }
  free(key);
  char fresh[65];
  util_random_hex(fresh, 32);
  if (util_mkdirs(config_get(cfg, "DATA_DIR"), 0750) != 0 || util_write_file(path.data, fresh, 64, 0600) != 0) {
    snprintf(err, errlen, "cannot write %s: %s (set JWT_SECRET_KEY instead)", path.data, strerror(errno));
    buf_free(&path);
    return NULL;
  }
  log_info("app", "generated a JWT signing key in %s", path.data);
  buf_free(&path);
  return util_strdup(fresh);
}

/* A user may subscribe to "chat:ID" only for their own chats. */
static int authorize_chat(app_t *app, const http_user_t *user, const char *id) {
  store_chat_t c;
  return store_chat_get(app->store, user->id, id, &c) == STORE_OK;
}

/* "draft:ID": the user's own mission drafts. */
static int authorize_draft(app_t *app, const http_user_t *user, const char *id) {
  json_t *d = store_draft_json(app->store, user->id, id, 0);
  json_decref(d);
  return d != NULL;
}

/* "mission:ID": the owner's, or any for an admin. */
static int authorize_mission(app_t *app, const http_user_t *user, const char *id) {
  char owner[17];
  if (store_mission_owner(app->store, id, owner) != STORE_OK) return 0;
  return user->role == ROLE_ADMIN || !strcmp(owner, user->id);
}

app_t *app_open(config_t *cfg, char *err, size_t errlen) {
  app_t *app = calloc(1, sizeof *app);
  if (!app) abort();
  app->cfg = cfg;
  app->started_at_ms = util_now_ms();
  if (util_mkdirs(config_get(cfg, "DATA_DIR"), 0750) != 0) {
    snprintf(err, errlen, "DATA_DIR: cannot create %s: %s", config_get(cfg, "DATA_DIR"), strerror(errno));
    app_close(app);
    return NULL;
  }
  app->store = store_open(cfg, err, errlen);
  if (!app->store) {
    app_close(app);
    return NULL;
  }
  app->events = events_new(app->store);
  app->jobs = jobs_new(app->store);
  jobs_set_lease_ms(app->jobs, config_int(cfg, "JOB_LEASE_SECONDS") * 1000);
  if (!(app->secrets = secrets_new(cfg, err, errlen))) {
    app_close(app);
    return NULL;
  }
  if (!(app->llm = llm_new(cfg, app->store, app->secrets, err, errlen))) {
    app_close(app);
    return NULL;
  }
  if (!(app->web = web_new(cfg, app->store, err, errlen))) {
    app_close(app);
    return NULL;
  }
  web_set_llm(app->web, app->llm);
  if (!(app->rag = rag_new(cfg, app->store, app->events, app->jobs, app->llm, err, errlen))) {
    app_close(app);
    return NULL;
  }
  rag_set_ready_hook(app->rag, scholar_doc_complete, app->web);
  char *key = load_jwt_key(cfg, err, errlen);
  if (!key) {
    app_close(app);
    return NULL;
  }
  app->auth = auth_new(key, strlen(key), config_int(cfg, "JWT_EXPIRE_MINUTES") * 60,
                       (int)config_int(cfg, "HASH_CONCURRENCY"), (int)config_int(cfg, "LOGIN_MAX_FAILURES"),
                       (int)config_int(cfg, "LOGIN_THROTTLE_SECONDS"));
  free(key);
  if (!app->auth) {
    snprintf(err, errlen, "cannot initialise libsodium");
    app_close(app);
    return NULL;
  }
  app->plugins = plugins_load(cfg);
  plugins_attach_llm(app->plugins, app->llm);
  if (!(app->hub = ws_hub_new(app))) {
    snprintf(err, errlen, "cannot start the WebSocket threads");
    app_close(app);
    return NULL;
  }
  ws_hub_authorize(app->hub, "chat", authorize_chat); /* the "chat:ID" channel */
  app->chat_deps = (chat_deps_t){.cfg = cfg, .store = app->store, .events = app->events, .llm = app->llm,
                                 .rag = app->rag, .web = app->web};
  ws_hub_authorize(app->hub, "draft", authorize_draft);
  ws_hub_authorize(app->hub, "mission", authorize_mission);
  app->router = http_router_new();
  api_register_all(app->router);
  app->mcp_sessions = mcp_sessions_new();
  agents_deps_t deps = {.cfg = cfg,
                        .store = app->store,
                        .events = app->events,
                        .jobs = app->jobs,
                        .llm = app->llm,
                        .rag = app->rag,
                        .web = app->web,
                        .plugins = app->plugins};
  if (!(app->agents = agents_new(&deps, err, errlen))) return app_close(app), NULL;
  drafts_register(app->agents); /* the "draft_turn" job kind */
  return app;
}

static const char *const role_names[] = {"all", "api", "worker"};

int app_role_parse(const char *s) {
  for (int i = 0; i < 3; i++)
    if (s && strcmp(s, role_names[i]) == 0) return i;
  return -1;
}

const char *app_role_name(app_role_t role) {
  return role_names[role];
}

int app_start_workers(app_t *app, app_role_t role) {
  if (role != APP_ROLE_API && jobs_start(app->jobs) != 0) return -1;
  if (role != APP_ROLE_WORKER && !app->chat && !(app->chat = chat_pool_start(&app->chat_deps))) return -1;
  return role == APP_ROLE_API ? 0 : agents_scheduler_start(app->agents);
}

void app_close(app_t *app) {
  if (!app) return;
  chat_pool_stop(app->chat); /* answers publish events and use the store */
  app->chat = NULL;
  agents_scheduler_stop(app->agents); /* it submits jobs */
  jobs_free(app->jobs);
  agents_free(app->agents);
  ws_hub_free(app->hub);
  http_router_free(app->router);
  mcp_sessions_free(app->mcp_sessions);
  auth_free(app->auth);
  events_free(app->events);
  web_free(app->web);
  rag_free(app->rag);
  plugins_free(app->plugins); /* its calls in flight may use the model layer */
  llm_free(app->llm);
  secrets_free(app->secrets);
  store_close(app->store);
  config_free(app->cfg);
  free(app);
}
