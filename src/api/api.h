/*
 * api.h - the REST handlers, one file per resource. Each file exposes
 * api_<resource>_routes() which registers its routes; api_register_all()
 * calls them all (src/api/routes.c).
 */
#ifndef MAESTRO_API_H
#define MAESTRO_API_H

#include "http/http.h"

void api_register_all(http_router_t *rt);

void api_system_routes(http_router_t *rt);  /* /health, /metrics, /api/stats */
void api_auth_routes(http_router_t *rt);    /* /api/auth/... */
void api_admin_routes(http_router_t *rt);   /* /api/admin/... */
void api_documents_routes(http_router_t *rt); /* /api/documents, /api/groups, /api/search */
void api_missions_routes(http_router_t *rt);  /* /api/missions/..., /api/stats */
void api_settings_routes(http_router_t *rt);  /* /api/settings, test-connection, models */
void api_chats_routes(http_router_t *rt);     /* /api/chats (chat with documents) */
/* Whether self-registration is open (server setting, else ALLOW_REGISTRATION). */
int api_registration_open(struct app *app);

#endif
