/* routes.c - the one place that lists every API resource. */
#include "api/api.h"

void api_register_all(http_router_t *rt) {
  api_system_routes(rt);
  api_auth_routes(rt);
  api_admin_routes(rt);
  api_documents_routes(rt);
  api_drafts_routes(rt); /* before /api/missions/{id} */
  api_missions_routes(rt);
  api_mission_sources_routes(rt);
  api_settings_routes(rt);
  api_chats_routes(rt);
  api_writing_routes(rt);
  api_mcp_routes(rt);
  api_plugins_routes(rt);
  api_agents_routes(rt);
}
