/*
 * settings.c - GET|PUT /api/settings, POST /api/settings/test-connection,
 * GET /api/settings/models.
 *
 * The caller's settings are JSON documents per section ("models", "search",
 * "research") in the settings table. Secrets (members named api_key or
 * *_api_key) are sealed with libsodium secretbox on the way in
 * (secrets_seal_doc, auth/secrets.h) and come back as "********" plus "<name>_set": true;
 * sending the mask back keeps the stored secret, "" or null clears it.
 * GET also returns "effective": the endpoint each model tier resolves to
 * (environment < server defaults < the user's settings) and the search
 * provider, each with the layer it came from, without keys, and the research
 * defaults (server's, then the user's over them).
 *
 * The same sections, validation and sealing serve the server defaults that
 * admins set through /api/admin/settings (admin.c): scope user_id NULL.
 */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "auth/secrets.h"
#include "base/util.h"
#include "llm/llm.h"
#include "mcp/client.h"
#include "store/users.h"
#include "web/scholar.h"
#include "web/web.h"

static const char *SECTIONS[] = {"models", "search", "research", "mcp", NULL};
static const char *MODEL_KEYS[] = {"default", "fast", "mid", "intelligent", "verifier", "embedding", "rerank", NULL};

static int in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0) return 1;
  return 0;
}

static int section_get(app_t *app, const char *user_id, const char *section, json_t **out) {
  if (user_id) return store_setting_get(app->store, user_id, section, out);
  char key[64];
  llm_server_settings_key(section, key, sizeof key);
  return store_server_setting_get(app->store, key, out);
}

static int section_put(app_t *app, const char *user_id, const char *section, json_t *value) {
  if (user_id) return store_setting_put(app->store, user_id, section, value);
  char key[64];
  llm_server_settings_key(section, key, sizeof key);
  return store_server_setting_put(app->store, key, value);
}

static json_t *effective(app_t *app, const char *user_id) {
  json_t *out = json_object();
  for (int t = 0; t < LLM_TIER_COUNT; t++) {
    llm_endpoint_t ep;
    char err[300];
    int rc = llm_resolve(app->llm, user_id, (llm_tier_t)t, &ep, err, sizeof err);
    json_t *o =
        json_pack("{s:b, s:s, s:s, s:s, s:f, s:i, s:i, s:b, s:b, s:s}", "configured", rc == 0, "provider",
                  llm_provider_name(ep.provider), "base_url", ep.base_url, "model", ep.model, "temperature",
                  ep.temperature, "max_tokens", ep.max_tokens, "context_window", ep.context_window, "external",
                  ep.external, "api_key_set", ep.api_key[0] != '\0', "source", ep.source[0] ? ep.source : "none");
    if (rc != 0) json_object_set_new(o, "reason", json_string(err));
    json_object_set_new(out, llm_tier_name((llm_tier_t)t), o);
    sodium_memzero(&ep, sizeof ep);
  }
  /* research defaults (form prefill): the server's, then the user's own over
   * them; masked like the sections themselves, should one hold a key */
  json_t *research = json_object();
  const char *scopes[LLM_LAYERS] = {NULL, user_id};
  for (int l = 0; l < LLM_LAYERS; l++) {
    json_t *stored = NULL;
    if (section_get(app, scopes[l], "research", &stored) == STORE_OK && json_is_object(stored)) {
      json_t *masked = secrets_mask_doc(stored);
      json_object_update(research, masked);
      json_decref(masked);
    }
    json_decref(stored);
  }
  json_object_set_new(out, "research", research);
  json_t *web = NULL;
  if (app->web) {
    web_search_status(app->web, user_id, 0, &web);
    json_object_del(web, "reachable");
    json_object_set_new(out, "search", web);
  }
  return out;
}

json_t *api_settings_sections(app_t *app, const char *user_id) {
  json_t *out = json_object();
  for (int i = 0; SECTIONS[i]; i++) {
    json_t *stored = NULL;
    section_get(app, user_id, SECTIONS[i], &stored);
    json_object_set_new(out, SECTIONS[i], stored ? secrets_mask_doc(stored) : json_object());
    json_decref(stored);
  }
  return out;
}

static int get_settings(http_req_t *r) {
  json_t *out = api_settings_sections(r->app, r->user.id);
  json_object_set_new(out, "effective", effective(r->app, r->user.id));
  return http_reply_json(r, 200, out);
}

static int valid_url(const char *s) {
  return (util_starts_with(s, "http://") || util_starts_with(s, "https://")) && strlen(s) > 8 && strlen(s) < 500 &&
         !strpbrk(s, " \t\r\n");
}

/* 0 when v is a whole number in lo..hi; else -1 with msg naming
 * models.<name>.<k>. */
static int whole_number(json_t *v, json_int_t lo, json_int_t hi, const char *name, const char *k, char *msg, size_t n) {
  if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) return 0;
  snprintf(msg, n, "models.%s.%s must be a whole number between %lld and %lld", name, k, (long long)lo, (long long)hi);
  return -1;
}

/* Checks one endpoint object of the "models" section; 0 or -1 with msg. */
static int check_endpoint(const char *name, json_t *o, char *msg, size_t n) {
  if (!json_is_object(o)) {
    snprintf(msg, n, "models.%s must be an object", name);
    return -1;
  }
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    if (strcmp(k, "provider") == 0) {
      const char *p = json_string_value(v);
      if (!p || !(strcmp(p, "openai") == 0 || strcmp(p, "ollama") == 0 || strcmp(p, "openai-compatible") == 0)) {
        snprintf(msg, n, "models.%s.provider must be \"openai\" or \"ollama\"", name);
        return -1;
      }
    } else if (strcmp(k, "base_url") == 0) {
      if (!json_is_string(v) || (json_string_length(v) && !valid_url(json_string_value(v)))) {
        snprintf(msg, n, "models.%s.base_url must be an http:// or https:// URL", name);
        return -1;
      }
    } else if (strcmp(k, "model") == 0) {
      if (!json_is_string(v) || json_string_length(v) > 250) {
        snprintf(msg, n, "models.%s.model must be a string (at most 250 characters)", name);
        return -1;
      }
    } else if (strcmp(k, "api_key") == 0) {
      if (!json_is_string(v) && !json_is_null(v)) {
        snprintf(msg, n, "models.%s.api_key must be a string", name);
        return -1;
      }
      if (json_is_string(v) && json_string_length(v) > 500) {
        snprintf(msg, n, "models.%s.api_key is too long", name);
        return -1;
      }
    } else if (strcmp(k, "temperature") == 0) {
      if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2) {
        snprintf(msg, n, "models.%s.temperature must be a number between 0 and 2", name);
        return -1;
      }
    } else if (strcmp(k, "max_tokens") == 0) {
      if (whole_number(v, 1, 1000000, name, k, msg, n)) return -1;
    } else if (strcmp(k, "context_window") == 0) {
      if (whole_number(v, 512, 2000000, name, k, msg, n)) return -1;
    } else if (strcmp(k, "external") == 0) {
      if (!json_is_boolean(v)) {
        snprintf(msg, n, "models.%s.external must be true or false", name);
        return -1;
      }
    } else if (strcmp(k, "headers") == 0) {
      const char *hk;
      json_t *hv;
      if (!json_is_object(v) || json_object_size(v) > 8) {
        snprintf(msg, n, "models.%s.headers must be an object of at most 8 strings", name);
        return -1;
      }
      json_object_foreach(v, hk, hv) {
        if (!json_is_string(hv) || strpbrk(hk, "\r\n: ") || strpbrk(json_string_value(hv), "\r\n") || !*hk) {
          snprintf(msg, n, "models.%s.headers: invalid header %s", name, hk);
          return -1;
        }
      }
    } else if (strcmp(k, "api_key_set") == 0) {
      /* echoed back from GET; ignored */
    } else {
      snprintf(msg, n, "models.%s: unknown field \"%s\"", name, k);
      return -1;
    }
  }
  return 0;
}

static int check_section(const char *section, json_t *v, char *msg, size_t n) {
  if (!json_is_object(v)) {
    snprintf(msg, n, "%s must be an object", section);
    return -1;
  }
  char *s = json_dumps(v, JSON_COMPACT);
  size_t len = s ? strlen(s) : 0;
  free(s);
  if (len > 64 * 1024) {
    snprintf(msg, n, "%s is too large", section);
    return -1;
  }
  if (strcmp(section, "search") == 0 && scholar_check_settings(v, msg, n) != 0) return -1;
  if (strcmp(section, "models") != 0) return 0;
  const char *k;
  json_t *o;
  json_object_foreach(v, k, o) {
    if (!in_list(MODEL_KEYS, k)) {
      snprintf(msg, n, "models: unknown section \"%s\" (default, fast, mid, intelligent, verifier, embedding, rerank)",
               k);
      return -1;
    }
    if (check_endpoint(k, o, msg, n) != 0) return -1;
  }
  return 0;
}

/* Drops the "<name>_set" flags GET adds, so a document read and sent back
 * unchanged round-trips. */
static void drop_set_flags(json_t *o) {
  if (!json_is_object(o)) return;
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(o, tmp, k, v) {
    if (util_ends_with(k, "api_key_set"))
      json_object_del(o, k);
    else
      drop_set_flags(v);
  }
}

int api_settings_save(http_req_t *r, json_t *body, const char *user_id, const char *const *also) {
  const char *k;
  json_t *v;
  char msg[300];
  json_object_foreach(body, k, v) {
    if (strcmp(k, "effective") == 0 || (also && in_list(also, k))) continue; /* read-only or the caller's */
    if (!in_list(SECTIONS, k)) {
      http_reply_error(r, 422, "invalid_field", "unknown settings section \"%.40s\" (models, search, research, mcp)",
                       k);
      return -1;
    }
    drop_set_flags(v);
    /* MCP servers: a command to run only in the server settings (admins) */
    if ((strcmp(k, "mcp") == 0 && mcp_settings_check(v, user_id == NULL, msg, sizeof msg) != 0) ||
        check_section(k, v, msg, sizeof msg) != 0) {
      http_reply_error(r, 422, "invalid_field", "%s", msg);
      return -1;
    }
  }
  for (int i = 0; SECTIONS[i]; i++) {
    json_t *doc = json_object_get(body, SECTIONS[i]);
    if (!doc) continue;
    json_t *old = NULL;
    section_get(r->app, user_id, SECTIONS[i], &old);
    json_t *sealed = secrets_seal_doc(r->app->secrets, doc, old);
    int rc = section_put(r->app, user_id, SECTIONS[i], sealed);
    json_decref(sealed);
    json_decref(old);
    if (rc != STORE_OK) {
      http_reply_error(r, 500, "internal", "could not save the %s settings", SECTIONS[i]);
      return -1;
    }
  }
  return 0;
}

static int put_settings(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  int rc = api_settings_save(r, body, r->user.id, NULL);
  json_decref(body);
  return rc == 0 ? get_settings(r) : r->status;
}

/* The endpoint to test: the user's tier, with unsaved fields from the request
 * applied over it. */
static int endpoint_for(http_req_t *r, json_t *body, llm_tier_t tier, llm_endpoint_t *ep) {
  char err[300];
  llm_resolve(r->app->llm, r->user.id, tier, ep, err, sizeof err);
  json_t *over = json_object_get(body, "endpoint");
  if (!over) over = json_object_get(body, "settings");
  if (json_is_object(over)) {
    json_t *copy = json_deep_copy(over);
    json_t *key = json_object_get(copy, "api_key");
    if (json_is_string(key) && util_starts_with(json_string_value(key), "********")) json_object_del(copy, "api_key");
    char msg[300];
    if (check_endpoint("endpoint", copy, msg, sizeof msg) != 0) {
      json_decref(copy);
      return http_reply_error(r, 422, "invalid_field", "%s", msg);
    }
    char before[sizeof ep->base_url];
    memcpy(before, ep->base_url, sizeof before);
    llm_endpoint_apply(ep, copy);
    llm_endpoint_mark_user(r->app->llm, r->user.id, before, ep); /* a URL a researcher types is checked */
    json_decref(copy);
  }
  if (!ep->base_url[0])
    return http_reply_error(r, 422, "invalid_field", "no %s endpoint configured or given", llm_tier_name(tier));
  return 0;
}

static int test_connection(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  const char *kind = json_string_value(json_object_get(body, "kind"));
  if (!kind) kind = "llm";
  if (strcmp(kind, "search") == 0) {
    json_t *result = NULL;
    web_test_search(r->app->web, r->user.id, body, &result);
    json_decref(body);
    return http_reply_json(r, 200, result);
  }
  int embedding = strcmp(kind, "embedding") == 0;
  if (!embedding && strcmp(kind, "llm") != 0) {
    json_decref(body);
    return http_reply_error(r, 422, "invalid_field", "kind must be \"llm\", \"embedding\" or \"search\"");
  }
  llm_tier_t tier = embedding ? LLM_TIER_EMBEDDING : LLM_TIER_MID;
  const char *tname = json_string_value(json_object_get(body, "tier"));
  if (tname && !embedding) {
    int t = llm_tier_parse(tname);
    if (t < 0 || t > LLM_TIER_VERIFIER) {
      json_decref(body);
      return http_reply_error(r, 422, "invalid_field", "tier must be fast, mid, intelligent or verifier");
    }
    tier = (llm_tier_t)t;
  }
  llm_endpoint_t ep;
  if (endpoint_for(r, body, tier, &ep) != 0) {
    sodium_memzero(&ep, sizeof ep);
    json_decref(body);
    return r->status;
  }
  json_t *report = NULL;
  llm_test_endpoint(r->app->llm, &ep, embedding, &report);
  sodium_memzero(&ep, sizeof ep);
  json_object_set_new(report, "kind", json_string(kind));
  json_object_set_new(report, "tier", json_string(llm_tier_name(tier)));
  json_decref(body);
  return http_reply_json(r, 200, report);
}

static int list_models(http_req_t *r) {
  char which[64] = "mid";
  http_query(r, "endpoint", which, sizeof which);
  int t = llm_tier_parse(which);
  if (t < 0)
    return http_reply_error(r, 400, "bad_request",
                            "endpoint must be a tier name: fast, mid, intelligent, verifier, embedding, rerank");
  llm_endpoint_t ep;
  char err[600];
  llm_resolve(r->app->llm, r->user.id, (llm_tier_t)t, &ep, err, sizeof err);
  if (!ep.base_url[0]) return http_reply_error(r, 404, "not_found", "no %s endpoint configured", which);
  json_t *names = NULL;
  int rc = llm_list_models(r->app->llm, &ep, &names, err, sizeof err);
  json_t *out = NULL;
  if (rc == 0)
    out = json_pack("{s:s, s:s, s:s, s:o}", "endpoint", which, "base_url", ep.base_url, "provider",
                    llm_provider_name(ep.provider), "models", names);
  sodium_memzero(&ep, sizeof ep);
  if (rc != 0) return http_reply_error(r, 503, "unavailable", "%s", err);
  return http_reply_json(r, 200, out);
}

void api_settings_routes(http_router_t *rt) {
  http_route(rt, "GET", "/api/settings", ROLE_VIEWER, get_settings);
  http_route(rt, "PUT", "/api/settings", ROLE_RESEARCHER, put_settings);
  http_route(rt, "POST", "/api/settings/test-connection", ROLE_RESEARCHER, test_connection);
  http_route(rt, "GET", "/api/settings/models", ROLE_RESEARCHER, list_models);
}
