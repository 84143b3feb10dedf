/*
 * app.h - the running application: every long-lived part, created once by
 * app_open() and shared (read-only pointers) by handlers and workers.
 *
 * Each module gets the parts it needs from app_open (src/app.c), the only
 * place that wires them; no module below the API layer includes this header.
 * Nothing else is global.
 */
#ifndef MAESTRO_APP_H
#define MAESTRO_APP_H

#include <stddef.h>

#include "auth/secrets.h"
#include "base/config.h"
#include "chat/chat.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "llm/llm.h"
#include "plugins/plugins.h"
#include "rag/rag.h"
#include "store/store.h"
#include "web/web.h"

struct http_router;
struct ws_hub;
struct auth;
struct agents;

typedef struct app {
  config_t *cfg;
  store_t *store;
  events_t *events;
  jobs_t *jobs;
  struct auth *auth;
  secrets_t *secrets; /* the API keys in settings, sealed at rest */
  struct http_router *router;
  struct ws_hub *hub;
  /* Module contexts, owned by the app (created in app_open, freed in app_close). */
  llm_t *llm;
  rag_t *rag;
  web_t *web;
  struct agents *agents;
  plugins_t *plugins; /* loaded from PLUGINS_DIR */
  chat_deps_t chat_deps; /* what chat_ask and the chat pool use */
  chat_pool_t *chat; /* chat answering workers (app_start_workers), or NULL */
  struct mcp_sessions *mcp_sessions; /* Streamable HTTP sessions of POST /mcp (src/mcp/sessions.c) */
  int64_t started_at_ms;
} app_t;

/* Opens the store (migrating it) and creates every part; starts no threads.
 * NULL with err filled on failure. */
app_t *app_open(config_t *cfg, char *err, size_t errlen);
/*
 * What a process runs (`maestro serve --role`). Several processes share one
 * PostgreSQL store; each runs one role:
 *   APP_ROLE_ALL    - everything below (the default, and the only sensible
 *                     role on SQLite);
 *   APP_ROLE_API    - the HTTP API, WebSocket and UI, and the chat answering
 *                     threads (a chat question is answered by the process
 *                     that took it); no durable jobs, no scheduler;
 *   APP_ROLE_WORKER - the durable job workers (ingestion, embedding,
 *                     missions, draft turns) and the scheduler; no HTTP.
 */
typedef enum { APP_ROLE_ALL = 0, APP_ROLE_API, APP_ROLE_WORKER } app_role_t;
/* "all" | "api" | "worker" → role; -1 for anything else. */
int app_role_parse(const char *s);
const char *app_role_name(app_role_t role);
/* Starts the background threads of role. */
int app_start_workers(app_t *app, app_role_t role);
/* Stops workers and frees everything (cfg too). Accepts NULL. */
void app_close(app_t *app);

#endif
