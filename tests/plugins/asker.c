/*
 * asker.c - a test plugin that asks the model through host->complete: a
 * tool `ask` and a route `POST ask` (viewer) both take {"question"?, "as"?}
 * and answer {"rc": complete's return, "answer": the model's text or null,
 * "err": complete's err}. With "as", the plugin names that user id in its
 * complete request: the host must refuse it (a plugin cannot act as another
 * user). Built by CMakeLists.txt into build/test-plugins/asker.so.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "maestro/plugin.h"

static const maestro_host_t *H;

static int init(const maestro_host_t *host, const char *config, char *err, size_t errlen) {
  (void)config, (void)err, (void)errlen;
  H = host;
  const char *schema =
      "{\"type\":\"object\",\"properties\":{\"question\":{\"type\":\"string\"},\"as\":{\"type\":\"string\"}}}";
  if (host->register_tool(host->ctx, "ask", "asks the model a question", schema)) return -1;
  return host->register_route(host->ctx, "POST", "ask", MAESTRO_ROLE_VIEWER);
}

static char *execute(const char *request) {
  json_t *req = json_loads(request, 0, NULL);
  const char *kind = json_string_value(json_object_get(req, "kind"));
  int route = kind && !strcmp(kind, "route");
  json_t *in = json_object_get(req, route ? "body" : "input");
  const char *q = json_string_value(json_object_get(in, "question"));
  const char *as = json_string_value(json_object_get(in, "as"));
  json_t *creq = json_pack("{s:[{s:s, s:s}], s:s}", "messages", "role", "user", "content",
                           q ? q : "Plugin question: who answers?", "tier", "fast");
  if (as) json_object_set_new(creq, "user_id", json_string(as));
  char *cs = json_dumps(creq, JSON_COMPACT);
  char *answer = NULL, err[512] = "";
  int rc = MAESTRO_HOST_HAS_COMPLETE(H) ? H->complete(H->ctx, cs, &answer, err, sizeof err) : -99;
  json_t *out = json_pack("{s:i, s:s?, s:s}", "rc", rc, "answer", answer, "err", err);
  free(answer);
  free(cs);
  json_decref(creq);
  json_decref(req);
  if (route) out = json_pack("{s:i, s:o}", "status", 200, "body", out);
  char *s = json_dumps(out, JSON_COMPACT);
  json_decref(out);
  return s;
}

static const maestro_plugin_t PLUGIN = {
    MAESTRO_PLUGIN_ABI_VERSION, "asker", "0.0.1", "test fixture: asks the model", init, execute, NULL};

MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entry(void) {
  return &PLUGIN;
}
