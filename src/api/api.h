/*
 * api.h - the REST handlers, one file per resource. Each file exposes
 * api_<resource>_routes() which registers its routes; api_register_all()
 * calls them all (src/api/routes.c).
 */
#ifndef MAESTRO_API_H
#define MAESTRO_API_H

#include "agents/agents.h"
#include "http/http.h"

void api_register_all(http_router_t *rt);

void api_system_routes(http_router_t *rt);    /* /health, /metrics, /api/stats */
void api_auth_routes(http_router_t *rt);      /* /api/auth/... */
void api_admin_routes(http_router_t *rt);     /* /api/admin/... */
void api_documents_routes(http_router_t *rt); /* /api/documents, /api/groups, /api/search */
void api_missions_routes(http_router_t *rt);
void api_mission_sources_routes(http_router_t *rt); /* POST /api/missions/{id}/save-sources */
void api_settings_routes(http_router_t *rt);        /* /api/settings, test-connection, models */
void api_chats_routes(http_router_t *rt);           /* /api/chats (chat with documents) */
void api_writing_routes(http_router_t *rt); /* /api/writing/..., PUT /api/missions/{id}/report, POST /api/missions/{id}/writing */
void api_mcp_routes(http_router_t *rt);     /* /mcp (Model Context Protocol, Streamable HTTP) */
void api_plugins_routes(http_router_t *rt); /* /api/plugins, /api/plugins/{name}/{path} */
void api_drafts_routes(http_router_t *rt);  /* /api/missions/drafts (research chat) */
void api_agents_routes(http_router_t *rt);  /* /api/agents (custom agents, src/agents/custom.h) */
/*
 * Shared request and reply pieces (src/api/common.c).
 *
 * api_content: the "content" member of body: a non-blank string without NUL
 * bytes of at most max bytes (what names it in the error). NULL after
 * replying 422. The string is borrowed from body.
 * api_read_content: the request body (*body, new reference, NULL on failure)
 * and its api_content; NULL after replying 400/422.
 * api_page: the ?limit= (1..500, 50) and ?offset= (0.., 0) of a list; 0, or
 * -1 after replying 422.
 * api_reply_list: 200 with list (taken), or 500 "cannot list <what>" when
 * list is NULL. Returns the status.
 * api_reply_page: a page (api_page) of the user's own list from
 * list(store, user_id, limit, offset), answered as api_reply_list.
 * api_reply_invalid: 422 invalid_field naming field, with message. Returns 422.
 * api_reply_deleted: the answer to a DELETE of <what> {id} (the path's id)
 * given the store's (or rag's) code rc: STORE_NOT_FOUND 404, another failure
 * 500, STORE_OK 200 {"id","deleted":true}. Returns the status.
 */
const char *api_content(http_req_t *r, json_t *body, size_t max, const char *what);
const char *api_read_content(http_req_t *r, json_t **body, size_t max, const char *what);
int api_page(http_req_t *r, long long *limit, long long *offset);
int api_reply_list(http_req_t *r, json_t *list, const char *what);
int api_reply_page(http_req_t *r, json_t *(*list)(store_t *, const char *, int, int), const char *what);
int api_reply_invalid(http_req_t *r, const char *field, const char *message);
int api_reply_deleted(http_req_t *r, int rc, const char *what);
/* Whether self-registration is open (server setting, else ALLOW_REGISTRATION). */
int api_registration_open(struct app *app);

/*
 * Settings sections ("models", "search", "research", "mcp") of one scope: a user's
 * own (user_id) or the server defaults (user_id NULL, admins only), which
 * apply to every user below their own (see llm_settings_layers).
 * api_settings_sections returns them masked (secrets as "********"), a new
 * object. api_settings_save validates every member of body (members named
 * in `also`, NULL-terminated or NULL, and "effective" are skipped; anything
 * else is a 422) and stores the sections given, sealing secrets; returns 0,
 * or replies 422/500 and returns -1.
 */
/* Replies to a refused agents_mission_* call: the agents' reason as its HTTP
 * status (not found 404, conflict 409, invalid 422, else 500) with err as
 * the message. Returns the status. */
int api_agents_error(http_req_t *r, agents_err_t why, const char *err);
/* Replies to a refused mission creation (POST /api/missions, a research
 * chat's start): with pf (the preflight, taken) 422 empty_sources listing
 * its problems, else api_agents_error. Returns the status. */
int api_mission_refused(http_req_t *r, agents_err_t why, const char *err, json_t *pf);

json_t *api_settings_sections(struct app *app, const char *user_id);
int api_settings_save(http_req_t *r, json_t *body, const char *user_id, const char *const *also);

/*
 * The actions the REST API and the MCP server (src/mcp/) share, so both give
 * the same answers and the same refusals.
 *
 * api_search_json runs a POST /api/search body for user_id: the result
 * object {results, mode, reranked} (new reference), or NULL with *status
 * (422 bad field, 404 group not found, 500) and err.
 * api_mission_view is a mission row as the API shows it (counters, progress;
 * new reference).
 */
json_t *api_search_json(struct app *app, const char *user_id, json_t *body, int *status, char *err, size_t errlen);
json_t *api_mission_view(struct app *app, json_t *row);

#endif
