/*
 * llm.c - the model layer's context and llm_chat().
 *
 * Design: one llm_t per process holds configuration views, the secrets key,
 * the price table and three small tables under one mutex: concurrency slots
 * (global and per mission), the structured-output level that works per
 * endpoint, and replay counters. A call never holds the mutex across I/O.
 *
 * A logical chat call (llm_chat) is one or two "exchanges" (the second is the
 * re-ask after invalid structured output). Each exchange is answered from the
 * replay record, the mission cache, or a live HTTP call with retries, and is
 * recorded as one row of llm_calls. The request hash covers what the caller
 * asked (tier, messages, options, schema), never the endpoint, so a replay
 * works with no endpoint configured at all.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm_internal.h"
#include "store/llm_calls.h"
#include "store/users.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (sodium_init() < 0) abort();
}

static const char *TIER_NAMES[LLM_TIER_COUNT] = {"fast", "mid", "intelligent", "verifier", "embedding", "rerank"};
static const char *TIER_ENV[4] = {"FAST_MODEL", "MID_MODEL", "INTELLIGENT_MODEL", "VERIFIER_MODEL"};

const char *llm_tier_name(llm_tier_t t) {
  return (unsigned)t < LLM_TIER_COUNT ? TIER_NAMES[t] : "unknown";
}

int llm_tier_parse(const char *s) {
  for (int i = 0; s && i < LLM_TIER_COUNT; i++)
    if (strcmp(s, TIER_NAMES[i]) == 0) return i;
  return -1;
}

const char *llm_provider_name(llm_provider_t p) {
  return p == LLM_PROVIDER_OLLAMA ? "ollama" : "openai";
}

/* ---- prices ---- */

/* USD per 1M tokens (input, output), public list prices; local endpoints are
 * never priced. LLM_PRICES_FILE entries override and extend this table. */
static const struct {
  const char *model;
  double in, out;
} BUILTIN_PRICES[] = {
    {"gpt-4o-mini", 0.15, 0.60},
    {"gpt-4o", 2.50, 10.00},
    {"gpt-4.1-nano", 0.10, 0.40},
    {"gpt-4.1-mini", 0.40, 1.60},
    {"gpt-4.1", 2.00, 8.00},
    {"gpt-5-nano", 0.05, 0.40},
    {"gpt-5-mini", 0.25, 2.00},
    {"gpt-5", 1.25, 10.00},
    {"o4-mini", 1.10, 4.40},
    {"o3-mini", 1.10, 4.40},
    {"o3", 2.00, 8.00},
    {"o1-mini", 1.10, 4.40},
    {"o1", 15.00, 60.00},
    {"gpt-3.5-turbo", 0.50, 1.50},
    {"text-embedding-3-small", 0.02, 0},
    {"text-embedding-3-large", 0.13, 0},
    {"claude-3.5-sonnet", 3.00, 15.00},
    {"claude-3.5-haiku", 0.80, 4.00},
    {"claude-sonnet-4", 3.00, 15.00},
    {"deepseek-chat", 0.27, 1.10},
    {"deepseek-r1", 0.55, 2.19},
};

static int load_prices(llm_t *llm, char *err, size_t errlen) {
  llm->prices = json_object();
  for (size_t i = 0; i < sizeof BUILTIN_PRICES / sizeof BUILTIN_PRICES[0]; i++)
    json_object_set_new(llm->prices, BUILTIN_PRICES[i].model,
                        json_pack("{s:f, s:f}", "input", BUILTIN_PRICES[i].in, "output", BUILTIN_PRICES[i].out));
  const char *path = config_get(llm->cfg, "LLM_PRICES_FILE");
  if (!path[0]) return 0;
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (!json_is_object(j)) {
    snprintf(err, errlen, "LLM_PRICES_FILE %s: %s (line %d)", path, j ? "expected an object" : je.text, je.line);
    json_decref(j);
    return -1;
  }
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    if (!json_is_object(v) || !json_is_number(json_object_get(v, "input"))) {
      snprintf(err, errlen, "LLM_PRICES_FILE %s: \"%s\" needs {\"input\": n, \"output\": n} (USD per 1M tokens)", path,
               k);
      json_decref(j);
      return -1;
    }
    json_object_set(llm->prices, k, v);
  }
  json_decref(j);
  return 0;
}

double llm_price(llm_t *llm, const char *model, int prompt_tokens, int completion_tokens) {
  if (!model || !*model) return 0;
  json_t *p = json_object_get(llm->prices, model);
  if (!p) {
    /* "openai/gpt-4o-mini" (OpenRouter) and dated names ("gpt-4o-2024-08-06"):
     * strip a vendor prefix, then take the longest table key that prefixes it. */
    const char *m = strrchr(model, '/');
    m = m ? m + 1 : model;
    size_t best = 0;
    const char *k;
    json_t *v;
    json_object_foreach(llm->prices, k, v) {
      size_t kl = strlen(k);
      if (kl > best && strncmp(m, k, kl) == 0 && (m[kl] == '\0' || m[kl] == '-' || m[kl] == ':')) {
        best = kl;
        p = v;
      }
    }
  }
  if (!p) return 0;
  return (prompt_tokens * json_number_value(json_object_get(p, "input")) +
          completion_tokens * json_number_value(json_object_get(p, "output"))) /
         1e6;
}

/* ---- lifetime ---- */

llm_t *llm_new(const config_t *cfg, store_t *store, const secrets_t *secrets, char *err, size_t errlen) {
  pthread_once(&curl_once, curl_init_once);
  llm_t *llm = calloc(1, sizeof *llm);
  if (!llm) abort();
  llm->cfg = cfg;
  llm->store = store;
  llm->secrets = secrets;
  pthread_mutex_init(&llm->lock, NULL);
  util_cond_init_monotonic(&llm->slot_cond);
  llm->max_global = (int)config_int(cfg, "LLM_MAX_CONCURRENCY");
  llm->max_mission = (int)config_int(cfg, "LLM_MISSION_CONCURRENCY");
  llm->timeout_s = (long)config_int(cfg, "LLM_TIMEOUT_SECONDS");
  llm->stall_s = (long)config_int(cfg, "LLM_STALL_SECONDS");
  llm->max_line = (size_t)config_int(cfg, "LLM_MAX_LINE_KB") * 1024;
  llm->max_answer = (size_t)config_int(cfg, "LLM_MAX_ANSWER_KB") * 1024;
  llm->max_retries = (int)config_int(cfg, "LLM_MAX_RETRIES");
  llm->retry_base_ms = (long)config_int(cfg, "LLM_RETRY_BASE_MS");
  llm->mask_pii = config_bool(cfg, "LLM_MASK_PII");
  if (load_prices(llm, err, errlen) != 0 ||
      web_allow_parse_named(&llm->outbound, "OUTBOUND_ALLOW_HOSTS", config_get(cfg, "OUTBOUND_ALLOW_HOSTS"), err,
                            errlen) != 0) {
    llm_free(llm);
    return NULL;
  }
  return llm;
}

void llm_free(llm_t *llm) {
  if (!llm) return;
  json_decref(llm->prices);
  web_allow_free(&llm->outbound);
  free(llm->mslots);
  free(llm->levels);
  free(llm->rcounters);
  free(llm->replay_mission);
  pthread_cond_destroy(&llm->slot_cond);
  pthread_mutex_destroy(&llm->lock);
  free(llm);
}

void llm_set_replay(llm_t *llm, const char *mission_id) {
  pthread_mutex_lock(&llm->lock);
  free(llm->replay_mission);
  llm->replay_mission = mission_id ? util_strdup(mission_id) : NULL;
  llm->nrcounters = 0;
  pthread_mutex_unlock(&llm->lock);
}

/* ---- endpoint resolution ---- */

int llm_is_local_url(const char *url) {
  const char *h = strstr(url, "://");
  h = h ? h + 3 : url;
  char host[256];
  size_t n = 0;
  if (*h == '[') { /* IPv6 literal */
    h++;
    while (h[n] && h[n] != ']' && n < sizeof host - 1) host[n] = h[n], n++;
  } else {
    while (h[n] && h[n] != ':' && h[n] != '/' && n < sizeof host - 1) host[n] = h[n], n++;
  }
  host[n] = '\0';
  if (!n) return 0;
  if (strcasecmp(host, "localhost") == 0 || util_ends_with(host, ".localhost") || util_ends_with(host, ".local") ||
      util_ends_with(host, ".internal") || strcmp(host, "::1") == 0)
    return 1;
  if (!strchr(host, '.') && !strchr(host, ':')) return 1; /* docker service names: "ollama" */
  unsigned a, b, c, d;
  if (sscanf(host, "%u.%u.%u.%u", &a, &b, &c, &d) == 4)
    return a == 127 || a == 10 || (a == 192 && b == 168) || (a == 172 && b >= 16 && b <= 31) || (a == 169 && b == 254);
  return 0;
}

static void ep_set_url(llm_endpoint_t *ep, const char *url) {
  snprintf(ep->base_url, sizeof ep->base_url, "%s", url);
  size_t l = strlen(ep->base_url);
  while (l && ep->base_url[l - 1] == '/') ep->base_url[--l] = '\0';
  ep->external = !llm_is_local_url(ep->base_url);
  ep->api_key[0] = '\0';
  ep->nheaders = 0;
}

/* Which wire format a bare URL speaks: ".../v1" is OpenAI-compatible. */
static llm_provider_t guess_provider(const char *url) {
  size_t l = strlen(url);
  while (l && url[l - 1] == '/') l--;
  return (l >= 3 && strncmp(url + l - 3, "/v1", 3) == 0) || strstr(url, "/v1/") || strstr(url, "api.openai.com")
             ? LLM_PROVIDER_OPENAI
             : LLM_PROVIDER_OLLAMA;
}

static void env_layer(const config_t *cfg, llm_tier_t tier, llm_endpoint_t *ep) {
  memset(ep, 0, sizeof *ep);
  ep->temperature = atof(config_get(cfg, "LLM_TEMPERATURE"));
  ep->max_tokens = (int)config_int(cfg, "LLM_MAX_TOKENS");
  ep->context_window = (int)config_int(cfg, "LLM_CONTEXT_WINDOW");
  const char *local = config_get(cfg, "LOCAL_MODEL_URL");
  const char *okey = config_get(cfg, "OPENAI_API_KEY");
  const char *obase = config_get(cfg, "OPENAI_BASE_URL");
  int openai_set = okey[0] || config_is_set(cfg, "OPENAI_BASE_URL");
  if (local[0]) {
    ep_set_url(ep, local);
    ep->provider = guess_provider(local);
  } else if (openai_set) {
    ep_set_url(ep, obase);
    ep->provider = LLM_PROVIDER_OPENAI;
    snprintf(ep->api_key, sizeof ep->api_key, "%s", okey);
  }
  if (tier <= LLM_TIER_VERIFIER) {
    const char *m = config_get(cfg, TIER_ENV[tier]);
    if (!m[0]) m = config_get(cfg, "MODEL_NAME");
    if (!m[0] && !local[0] && okey[0] && strstr(obase, "api.openai.com")) m = "gpt-4o-mini";
    snprintf(ep->model, sizeof ep->model, "%s", m);
  } else if (tier == LLM_TIER_EMBEDDING) {
    const char *eb = config_get(cfg, "EMBEDDING_BASE_URL");
    if (eb[0]) {
      ep_set_url(ep, eb);
      ep->provider = guess_provider(eb);
      if (strcmp(ep->base_url, obase) == 0) snprintf(ep->api_key, sizeof ep->api_key, "%s", okey);
    }
    snprintf(ep->model, sizeof ep->model, "%s", config_get(cfg, "EMBEDDING_MODEL"));
  } else if (tier == LLM_TIER_RERANK) {
    ep_set_url(ep, config_get(cfg, "RERANK_URL"));
    ep->provider = LLM_PROVIDER_OPENAI;
    snprintf(ep->model, sizeof ep->model, "%s", config_get(cfg, "RERANK_MODEL"));
  }
}

void llm_endpoint_apply(llm_endpoint_t *ep, const json_t *o) {
  if (!json_is_object(o)) return;
  const char *url = json_string_value(json_object_get(o, "base_url"));
  const char *prov = json_string_value(json_object_get(o, "provider"));
  if (url && *url && strcmp(url, ep->base_url) != 0) {
    /* A different host never inherits the previous layer's key. */
    ep_set_url(ep, url);
    ep->provider = guess_provider(url);
  }
  if (prov && strcmp(prov, "ollama") == 0) ep->provider = LLM_PROVIDER_OLLAMA;
  if (prov && (strcmp(prov, "openai") == 0 || strcmp(prov, "openai-compatible") == 0))
    ep->provider = LLM_PROVIDER_OPENAI;
  const char *key = json_string_value(json_object_get(o, "api_key"));
  if (key && *key) snprintf(ep->api_key, sizeof ep->api_key, "%s", key);
  const char *model = json_string_value(json_object_get(o, "model"));
  if (model && *model) snprintf(ep->model, sizeof ep->model, "%s", model);
  json_t *v;
  if (json_is_number(v = json_object_get(o, "temperature"))) ep->temperature = json_number_value(v);
  if (json_is_integer(v = json_object_get(o, "max_tokens")) && json_integer_value(v) > 0)
    ep->max_tokens = (int)json_integer_value(v);
  if (json_is_integer(v = json_object_get(o, "context_window")) && json_integer_value(v) >= 512)
    ep->context_window = (int)json_integer_value(v);
  if (json_is_boolean(v = json_object_get(o, "external"))) ep->external = json_is_true(v);
  json_t *h = json_object_get(o, "headers");
  if (json_is_object(h)) {
    const char *hk;
    json_t *hv;
    ep->nheaders = 0;
    json_object_foreach(h, hk, hv) {
      if (ep->nheaders >= LLM_MAX_HEADERS || !json_is_string(hv)) continue;
      /* Header injection: no CR/LF/colon in names, no CR/LF in values. */
      if (strpbrk(hk, "\r\n:") || strpbrk(json_string_value(hv), "\r\n")) continue;
      snprintf(ep->headers[ep->nheaders++], sizeof ep->headers[0], "%s: %s", hk, json_string_value(hv));
    }
  }
}

/* Copies the URL and model before a layer, to tell whether it changed them. */
typedef struct {
  char url[sizeof(((llm_endpoint_t *)0)->base_url)];
  char model[sizeof(((llm_endpoint_t *)0)->model)];
} ep_mark_t;

static void mark_take(ep_mark_t *m, const llm_endpoint_t *ep) {
  memcpy(m->url, ep->base_url, sizeof m->url);
  memcpy(m->model, ep->model, sizeof m->model);
}

static void mark_source(const ep_mark_t *m, llm_endpoint_t *ep, const char *layer) {
  if (strcmp(m->url, ep->base_url) != 0 || strcmp(m->model, ep->model) != 0)
    snprintf(ep->source, sizeof ep->source, "%s", layer);
}

/* An explicit embedding URL somewhere (environment or any layer's
 * "embedding" endpoint) keeps embeddings off the chat endpoint. */
static int embedding_has_own_url(const config_t *cfg, json_t *const *layers) {
  if (config_get(cfg, "EMBEDDING_BASE_URL")[0]) return 1;
  for (int l = 0; l < LLM_LAYERS; l++) {
    const char *u = json_string_value(json_object_get(json_object_get(layers[l], "embedding"), "base_url"));
    if (u && *u) return 1;
  }
  return 0;
}

void llm_endpoint_mark_user(llm_t *llm, const char *user_id, const char *before_url, llm_endpoint_t *ep) {
  if (strcmp(before_url, ep->base_url) != 0 && !store_user_is_admin(llm->store, user_id)) ep->untrusted = 1;
}

int llm_resolve(llm_t *llm, const char *user_id, llm_tier_t tier, llm_endpoint_t *out, char *err, size_t errlen) {
  env_layer(llm->cfg, tier, out);
  if (out->base_url[0] || out->model[0]) snprintf(out->source, sizeof out->source, "env");
  json_t *layers[LLM_LAYERS];
  llm_settings_layers(llm, user_id, "models", layers);
  int own_embedding_url = tier == LLM_TIER_EMBEDDING && embedding_has_own_url(llm->cfg, layers);
  for (int l = 0; l < LLM_LAYERS; l++) {
    json_t *doc = layers[l];
    if (!doc) continue;
    ep_mark_t before;
    mark_take(&before, out);
    char before_url[sizeof out->base_url];
    memcpy(before_url, out->base_url, sizeof before_url);
    json_t *def = json_object_get(doc, "default");
    json_t *own = json_object_get(doc, TIER_NAMES[tier]);
    if (tier <= LLM_TIER_VERIFIER) {
      llm_endpoint_apply(out, def);
    } else if (tier == LLM_TIER_EMBEDDING && json_is_object(def) && !own_embedding_url) {
      /* Embeddings follow the chat endpoint unless they have their own. */
      json_t *ep_only =
          json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "base_url", json_object_get(def, "base_url"), "provider",
                    json_object_get(def, "provider"), "api_key", json_object_get(def, "api_key"), "headers",
                    json_object_get(def, "headers"), "external", json_object_get(def, "external"));
      llm_endpoint_apply(out, ep_only);
      json_decref(ep_only);
    }
    llm_endpoint_apply(out, own);
    mark_source(&before, out, LLM_LAYER_NAMES[l]);
    /* a URL a non-admin user named is checked by the outbound policy; the
     * environment's and the server defaults' (set by admins) are trusted */
    if (l == LLM_LAYER_USER) llm_endpoint_mark_user(llm, user_id, before_url, out);
    json_decref(doc);
  }
  if (!out->base_url[0]) {
    snprintf(err, errlen,
             "no %s endpoint configured (set LOCAL_MODEL_URL or OPENAI_API_KEY, or the %s endpoint in settings)",
             llm_tier_name(tier), llm_tier_name(tier));
    return LLM_ERR_NOT_CONFIGURED;
  }
  if (!out->model[0] && tier != LLM_TIER_RERANK) {
    snprintf(err, errlen, "no %s model configured (set %s or MODEL_NAME, or the model in settings)",
             llm_tier_name(tier), tier <= LLM_TIER_VERIFIER ? TIER_ENV[tier] : "EMBEDDING_MODEL");
    return LLM_ERR_NOT_CONFIGURED;
  }
  return 0;
}

int llm_available(llm_t *llm, const char *user_id) {
  llm_endpoint_t ep;
  char err[256];
  for (int t = LLM_TIER_FAST; t <= LLM_TIER_VERIFIER; t++)
    if (llm_resolve(llm, user_id, (llm_tier_t)t, &ep, err, sizeof err) != 0) return 0;
  sodium_memzero(&ep, sizeof ep);
  return 1;
}

/* ---- concurrency slots ---- */

static mission_slot_t *mission_slot(llm_t *llm, const char *mission) {
  for (size_t i = 0; i < llm->nmslots; i++)
    if (strcmp(llm->mslots[i].mission, mission) == 0) return &llm->mslots[i];
  if (llm->nmslots == llm->capmslots) {
    llm->capmslots = llm->capmslots ? 2 * llm->capmslots : 16;
    llm->mslots = realloc(llm->mslots, llm->capmslots * sizeof *llm->mslots);
    if (!llm->mslots) abort();
  }
  mission_slot_t *s = &llm->mslots[llm->nmslots++];
  snprintf(s->mission, sizeof s->mission, "%s", mission);
  s->in_use = 0;
  return s;
}

int llm_slot_acquire(llm_t *llm, const char *mission, atomic_int *cancel) {
  pthread_mutex_lock(&llm->lock);
  for (;;) {
    if (cancel && atomic_load(cancel)) {
      pthread_mutex_unlock(&llm->lock);
      return -1;
    }
    mission_slot_t *ms = mission && *mission ? mission_slot(llm, mission) : NULL;
    if (llm->in_use < llm->max_global && (!ms || ms->in_use < llm->max_mission)) {
      llm->in_use++;
      if (ms) ms->in_use++;
      pthread_mutex_unlock(&llm->lock);
      return 0;
    }
    struct timespec ts = util_mono_deadline(100); /* wake up to look at the cancel flag */
    pthread_cond_timedwait(&llm->slot_cond, &llm->lock, &ts);
  }
}

void llm_slot_release(llm_t *llm, const char *mission) {
  pthread_mutex_lock(&llm->lock);
  llm->in_use--;
  if (mission && *mission) {
    for (size_t i = 0; i < llm->nmslots; i++) {
      if (strcmp(llm->mslots[i].mission, mission) != 0) continue;
      if (--llm->mslots[i].in_use <= 0) llm->mslots[i] = llm->mslots[--llm->nmslots];
      break;
    }
  }
  pthread_cond_broadcast(&llm->slot_cond);
  pthread_mutex_unlock(&llm->lock);
}

/* ---- structured-output level memory ---- */

static void level_key(const llm_endpoint_t *ep, char *out, size_t n) {
  snprintf(out, n, "%s|%s", ep->base_url, ep->model);
}

static int level_get(llm_t *llm, const llm_endpoint_t *ep) {
  char key[800];
  level_key(ep, key, sizeof key);
  int lvl = JSON_LEVEL_SCHEMA;
  pthread_mutex_lock(&llm->lock);
  for (size_t i = 0; i < llm->nlevels; i++)
    if (strcmp(llm->levels[i].key, key) == 0) lvl = llm->levels[i].level;
  pthread_mutex_unlock(&llm->lock);
  return lvl;
}

static void level_set(llm_t *llm, const llm_endpoint_t *ep, int level) {
  char key[800];
  level_key(ep, key, sizeof key);
  pthread_mutex_lock(&llm->lock);
  size_t i;
  for (i = 0; i < llm->nlevels; i++)
    if (strcmp(llm->levels[i].key, key) == 0) break;
  int fresh = i == llm->nlevels;
  if (fresh) {
    if (llm->nlevels == llm->caplevels) {
      llm->caplevels = llm->caplevels ? 2 * llm->caplevels : 8;
      llm->levels = realloc(llm->levels, llm->caplevels * sizeof *llm->levels);
      if (!llm->levels) abort();
    }
    snprintf(llm->levels[i].key, sizeof llm->levels[i].key, "%s", key);
    llm->nlevels++;
  }
  if (fresh || level > llm->levels[i].level) llm->levels[i].level = level;
  pthread_mutex_unlock(&llm->lock);
  log_info("llm", "endpoint %s model %s: structured output falls back to %s", ep->base_url, ep->model,
           level == JSON_LEVEL_OBJECT ? "json_object" : "instructions only");
}

static int replay_next(llm_t *llm, const char *mission, const char *hash) {
  pthread_mutex_lock(&llm->lock);
  size_t i;
  for (i = 0; i < llm->nrcounters; i++)
    if (strcmp(llm->rcounters[i].mission, mission) == 0 && strcmp(llm->rcounters[i].hash, hash) == 0) break;
  if (i == llm->nrcounters) {
    if (llm->nrcounters == llm->caprcounters) {
      llm->caprcounters = llm->caprcounters ? 2 * llm->caprcounters : 64;
      llm->rcounters = realloc(llm->rcounters, llm->caprcounters * sizeof *llm->rcounters);
      if (!llm->rcounters) abort();
    }
    snprintf(llm->rcounters[i].mission, sizeof llm->rcounters[i].mission, "%s", mission);
    snprintf(llm->rcounters[i].hash, sizeof llm->rcounters[i].hash, "%s", hash);
    llm->rcounters[i].next = 0;
    llm->nrcounters++;
  }
  int n = llm->rcounters[i].next++;
  pthread_mutex_unlock(&llm->lock);
  return n;
}

/* ---- one exchange ---- */

typedef struct {
  const llm_request_t *req;
  const llm_message_t *msgs;
  size_t nmsgs;
  int structured;
} exchange_t;

static void request_hash(const exchange_t *x, char out[65]) {
  const llm_request_t *req = x->req;
  json_t *msgs = json_array();
  for (size_t i = 0; i < x->nmsgs; i++)
    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", x->msgs[i].role ? x->msgs[i].role : "user", "content",
                                          x->msgs[i].content ? x->msgs[i].content : ""));
  json_t *h = json_pack("{s:s, s:o}", "tier", llm_tier_name(req->tier), "messages", msgs);
  if (req->temperature >= 0) json_object_set_new(h, "temperature", json_real(req->temperature));
  if (req->max_tokens > 0) json_object_set_new(h, "max_tokens", json_integer(req->max_tokens));
  if (req->json_schema) json_object_set(h, "schema", (json_t *)req->json_schema);
  if (req->json_mode) json_object_set_new(h, "json_mode", json_true());
  char *s = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)s, strlen(s));
  sodium_bin2hex(out, 65, d, sizeof d);
  free(s);
  json_decref(h);
}

static const char *last_user_text(const exchange_t *x) {
  for (size_t i = x->nmsgs; i > 0; i--)
    if (x->msgs[i - 1].role && strcmp(x->msgs[i - 1].role, "user") == 0) return x->msgs[i - 1].content;
  return "";
}

/* Messages as sent: masked for external endpoints when configured, plus the
 * JSON instructions for structured calls. */
static json_t *wire_messages(llm_t *llm, const exchange_t *x, const llm_endpoint_t *ep) {
  json_t *arr = json_array();
  int mask = llm->mask_pii && ep->external;
  if (x->structured) {
    buf_t ins;
    buf_init(&ins);
    buf_puts(&ins, "Answer with a single JSON value and nothing else: no prose, no code fences.");
    if (x->req->json_schema) {
      char *sch = json_dumps(x->req->json_schema, JSON_COMPACT);
      buf_printf(&ins, " It must conform to this JSON schema: %s", sch);
      free(sch);
    }
    json_array_append_new(arr, json_pack("{s:s, s:s}", "role", "system", "content", ins.data));
    buf_free(&ins);
  }
  for (size_t i = 0; i < x->nmsgs; i++) {
    const char *c = x->msgs[i].content ? x->msgs[i].content : "";
    char *masked = mask ? llm_mask_pii(c) : NULL;
    json_array_append_new(arr, json_pack("{s:s, s:s}", "role", x->msgs[i].role ? x->msgs[i].role : "user", "content",
                                         masked ? masked : c));
    free(masked);
  }
  return arr;
}

static int estimate_prompt(json_t *msgs) {
  size_t i;
  json_t *m;
  int n = 0;
  json_array_foreach(msgs, i, m) n += 4 + llm_estimate_tokens(json_string_value(json_object_get(m, "content")));
  return n;
}

static void record(llm_t *llm, const exchange_t *x, const llm_endpoint_t *ep, json_t *wire, json_t *opts,
                   const char *hash, llm_response_t *resp, const char *text, const char *status, const char *source,
                   const char *error) {
  if (!llm->store) return;
  json_t *request = json_pack("{s:o, s:o}", "messages", wire ? json_incref(wire) : json_array(), "options",
                              opts ? json_incref(opts) : json_object());
  store_llm_call_t c = {0};
  c.user_id = x->req->user_id;
  c.mission_id = x->req->mission_id;
  c.chat_id = x->req->chat_id;
  c.agent = x->req->agent;
  c.role = llm_tier_name(x->req->tier);
  c.provider = resp->provider[0] ? resp->provider : llm_provider_name(ep->provider);
  c.endpoint = ep->base_url;
  c.model = resp->model[0] ? resp->model : ep->model;
  c.request = request;
  c.response = text;
  c.prompt_tokens = resp->prompt_tokens;
  c.completion_tokens = resp->completion_tokens;
  c.tokens_estimated = resp->tokens_estimated;
  c.cost_usd = resp->cost_usd;
  c.latency_ms = resp->latency_ms;
  c.status = status;
  c.source = source;
  c.error = error;
  c.request_hash = hash;
  c.attempts = resp->attempts;
  if (store_llm_call_insert(llm->store, &c) == STORE_OK) snprintf(resp->call_id, sizeof resp->call_id, "%s", c.id);
  json_decref(request);
}

static const char *str_or(const json_t *v) {
  return json_is_string(v) ? json_string_value(v) : "";
}

/* Fills resp from a stored row (cache or replay). */
static void from_row(llm_response_t *resp, json_t *row, const char *text) {
  resp->text = util_strdup(text);
  snprintf(resp->provider, sizeof resp->provider, "%s", str_or(json_object_get(row, "provider")));
  snprintf(resp->model, sizeof resp->model, "%s", str_or(json_object_get(row, "model")));
  resp->prompt_tokens = (int)json_integer_value(json_object_get(row, "prompt_tokens"));
  resp->completion_tokens = (int)json_integer_value(json_object_get(row, "completion_tokens"));
  resp->tokens_estimated = json_is_true(json_object_get(row, "tokens_estimated"));
  /* calls recorded before finish reasons were stored say nothing: "stop" */
  const char *fr = json_string_value(json_object_get(row, "finish_reason"));
  snprintf(resp->finish_reason, sizeof resp->finish_reason, "%s", fr && fr[0] ? fr : "stop");
}

static int is_cancelled(const llm_request_t *req) {
  return req->cancel && atomic_load(req->cancel);
}

/* The live HTTP part of an exchange: retries, schema fallback, streaming. */
static int live_call(llm_t *llm, const exchange_t *x, const llm_endpoint_t *ep, json_t *wire, json_t *opts,
                     chat_acc_t *acc, int *attempts, char *err, size_t errlen) {
  const llm_request_t *req = x->req;
  int stream = req->stream || req->on_token;
  double temp = req->temperature >= 0 ? req->temperature : ep->temperature;
  int max_tokens = req->max_tokens > 0 ? req->max_tokens : ep->max_tokens;
  int level = -1;
  if (x->structured) {
    level = level_get(llm, ep);
    if (!req->json_schema && level < JSON_LEVEL_OBJECT) level = JSON_LEVEL_OBJECT;
  }
  char url[700];
  llm_url_join(ep->base_url, ep->provider == LLM_PROVIDER_OLLAMA ? "/api/chat" : "/chat/completions", url, sizeof url);
  int tries = 0, fallbacks = 0;
  for (;;) {
    tries++;
    *attempts = tries + fallbacks;
    json_t *body = chat_body(ep, wire, temp, max_tokens, stream, req->json_schema, req->schema_name, level);
    char *bodys = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    stream_parser_t parser;
    if (ep->provider == LLM_PROVIDER_OLLAMA)
      ndjson_init(&parser, ollama_stream_record, acc);
    else
      sse_init(&parser, openai_stream_record, acc);
    parser.max_line = llm->max_line;
    /* A whole (non-streamed) answer body: the text, JSON-escaped (at most
     * twice as long for anything but control characters), plus one line. */
    xfer_t xf = {.method = "POST",
                 .url = url,
                 .ep = ep,
                 .body = bodys,
                 .parser = stream ? &parser : NULL,
                 .cancel = req->cancel,
                 .timeout_s = llm->timeout_s,
                 .stall_s = stream ? llm->stall_s : 0,
                 .max_body = 2 * acc->max_text + llm->max_line,
                 .outbound = &llm->outbound};
    xfer_result_t r;
    xfer_result_init(&r);
    xfer_perform(&xf, &r);
    if (stream && r.cc == CURLE_OK && r.status >= 200 && r.status < 300) stream_finish(&parser);
    stream_free(&parser);
    free(bodys);

    int ok = 0, retry = 0, fallback = 0;
    char what[600] = "";
    if (is_cancelled(req) || acc->cb_abort) {
      xfer_result_free(&r);
      snprintf(err, errlen, "call to %s (model %s) cancelled", ep->base_url, ep->model);
      return LLM_ERR_CANCELLED;
    }
    if (r.refused) {
      snprintf(what, sizeof what, "%s (outbound address policy for endpoints in user settings, docs/security.md)",
               r.curl_err);
    } else if (parser.stopped == STREAM_LINE_TOO_LONG) {
      snprintf(what, sizeof what,
               "a line of the streamed answer is longer than the limit of %zu KB (LLM_MAX_LINE_KB); stopped reading",
               llm->max_line / 1024);
    } else if (acc->too_long || r.body_too_long) {
      snprintf(what, sizeof what, "the answer is longer than the limit of %zu KB (%s); stopped reading",
               acc->max_text / 1024, req->max_answer_bytes ? "set by the caller" : "LLM_MAX_ANSWER_KB");
    } else if (r.cc != CURLE_OK && !(r.cc == CURLE_WRITE_ERROR && r.parser_stopped)) {
      retry = xfer_retryable(&r);
      snprintf(what, sizeof what, "%s%s",
               r.stalled                          ? "stream stalled: "
               : r.cc == CURLE_OPERATION_TIMEDOUT ? "timed out: "
                                                  : "connection failed: ",
               r.curl_err);
    } else if (r.status < 200 || r.status >= 300) {
      char msg[400];
      xfer_server_message(&r, msg, sizeof msg);
      snprintf(what, sizeof what, "HTTP %ld: %s", r.status, msg[0] ? msg : "(empty body)");
      if ((r.status == 400 || r.status == 422) && level >= 0 && level < JSON_LEVEL_PROMPT && fallbacks < 2)
        fallback = 1;
      else
        retry = xfer_retryable(&r);
    } else if (stream) {
      if (acc->error[0]) {
        snprintf(what, sizeof what, "error in the stream: %s", acc->error);
        retry = 1;
      } else if (acc->malformed) {
        snprintf(what, sizeof what, "malformed chunk in the stream");
        retry = 1;
      } else if (!acc->done && !(acc->openai && acc->finish_reason[0])) {
        snprintf(what, sizeof what, "the stream ended before the answer was complete");
        retry = 1;
      } else {
        ok = 1;
      }
    } else {
      int pr = ep->provider == LLM_PROVIDER_OLLAMA ? ollama_parse_body(acc, r.body.data, r.body.len)
                                                   : openai_parse_body(acc, r.body.data, r.body.len);
      if (pr == 0)
        ok = 1;
      else if (acc->too_long)
        snprintf(what, sizeof what, "the answer is longer than the limit of %zu KB (%s)", acc->max_text / 1024,
                 req->max_answer_bytes ? "set by the caller" : "LLM_MAX_ANSWER_KB");
      else {
        snprintf(what, sizeof what, "%s", acc->error[0] ? acc->error : "malformed answer body");
        retry = !acc->error[0] || strncmp(acc->error, "the model refused", 17) != 0;
      }
    }
    long retry_after = r.retry_after_ms;
    xfer_result_free(&r);
    if (ok) {
      chat_acc_flush(acc);
      json_object_set_new(opts, "json_level", json_integer(level));
      return LLM_OK;
    }
    int had_output = acc->text.len > 0;
    chat_acc_reset(acc);
    if (had_output && req->on_token && req->on_token(req->token_ud, NULL, 0) != 0) acc->cb_abort = 1;
    if (fallback) {
      fallbacks++;
      tries--;
      level++;
      level_set(llm, ep, level);
      continue;
    }
    if (!retry || tries > llm->max_retries) {
      snprintf(err, errlen, "model call failed: endpoint %s, model %s: %s (after %d attempt%s)", ep->base_url,
               ep->model, what, tries, tries == 1 ? "" : "s");
      return LLM_ERR;
    }
    long wait = llm_backoff_ms(llm, tries, retry_after);
    log_warn("llm", "endpoint %s model %s: %s; retry %d/%d in %ld ms", ep->base_url, ep->model, what, tries,
             llm->max_retries, wait);
    if (llm_sleep_cancellable(wait, req->cancel) != 0) {
      snprintf(err, errlen, "call to %s (model %s) cancelled", ep->base_url, ep->model);
      return LLM_ERR_CANCELLED;
    }
  }
}

/* Answers one exchange; resp->text is the <think>-stripped answer. */
static int exchange(llm_t *llm, const exchange_t *x, llm_response_t *resp, char *err, size_t errlen) {
  const llm_request_t *req = x->req;
  char hash[65];
  request_hash(x, hash);

  /* Replay: the record or nothing. */
  char *replay_src = NULL;
  pthread_mutex_lock(&llm->lock);
  if (req->replay_from && *req->replay_from)
    replay_src = util_strdup(req->replay_from);
  else if (llm->replay_mission)
    replay_src = util_strdup(llm->replay_mission);
  pthread_mutex_unlock(&llm->lock);
  if (replay_src) {
    int occ = replay_next(llm, replay_src, hash);
    json_t *row = NULL;
    int rc = llm->store ? store_llm_call_find(llm->store, replay_src, hash, occ, &row) : STORE_ERROR;
    if (rc != STORE_OK) {
      snprintf(err, errlen,
               "replay of mission %s: %s call #%d is not in the record (last user message starts \"%.60s\"); "
               "no live call is made in replay mode",
               replay_src, llm_tier_name(req->tier), occ + 1, last_user_text(x));
      free(replay_src);
      return LLM_ERR_REPLAY_MISS;
    }
    from_row(resp, row, json_string_value(json_object_get(row, "response")));
    resp->replayed = 1;
    if (req->on_token && resp->text[0]) req->on_token(req->token_ud, resp->text, strlen(resp->text));
    if (req->mission_id && strcmp(req->mission_id, replay_src) != 0) {
      llm_endpoint_t none = {0};
      snprintf(none.base_url, sizeof none.base_url, "replay:%s", replay_src);
      json_t *opts = json_pack("{s:s, s:s}", "replay_of", json_string_value(json_object_get(row, "id")),
                               "finish_reason", resp->finish_reason);
      record(llm, x, &none, NULL, opts, hash, resp, resp->text, "ok", "replay", NULL);
      json_decref(opts);
    }
    json_decref(row);
    free(replay_src);
    return LLM_OK;
  }

  llm_endpoint_t ep;
  int rc = llm_resolve(llm, req->user_id, req->tier, &ep, err, errlen);
  if (rc != 0) return rc;
  if (req->tier > LLM_TIER_VERIFIER) {
    snprintf(err, errlen, "llm_chat needs a chat tier (fast, mid, intelligent, verifier)");
    sodium_memzero(&ep, sizeof ep);
    return LLM_ERR;
  }

  /* Cache within the mission. */
  int use_cache = req->cache == LLM_CACHE_ON || (req->cache == LLM_CACHE_DEFAULT && req->mission_id);
  if (use_cache && req->mission_id && llm->store) {
    json_t *row = NULL;
    if (store_llm_call_find(llm->store, req->mission_id, hash, -1, &row) == STORE_OK) {
      from_row(resp, row, json_string_value(json_object_get(row, "response")));
      resp->cached = 1;
      if (req->on_token && resp->text[0]) req->on_token(req->token_ud, resp->text, strlen(resp->text));
      json_t *opts = json_pack("{s:s, s:s}", "cache_of", json_string_value(json_object_get(row, "id")), "finish_reason",
                               resp->finish_reason);
      record(llm, x, &ep, NULL, opts, hash, resp, resp->text, "ok", "cache", NULL);
      json_decref(opts);
      json_decref(row);
      sodium_memzero(&ep, sizeof ep);
      return LLM_OK;
    }
  }

  json_t *wire = wire_messages(llm, x, &ep);
  double temp = req->temperature >= 0 ? req->temperature : ep.temperature;
  int max_tokens = req->max_tokens > 0 ? req->max_tokens : ep.max_tokens;
  json_t *opts = json_pack("{s:f, s:i, s:b}", "temperature", temp, "max_tokens", max_tokens, "stream",
                           req->stream || req->on_token);
  if (ep.provider == LLM_PROVIDER_OLLAMA) json_object_set_new(opts, "num_ctx", json_integer(ep.context_window));

  if (llm_slot_acquire(llm, req->mission_id, req->cancel) != 0) {
    snprintf(err, errlen, "call to %s (model %s) cancelled while waiting for a free slot", ep.base_url, ep.model);
    json_decref(wire);
    json_decref(opts);
    sodium_memzero(&ep, sizeof ep);
    return LLM_ERR_CANCELLED;
  }
  int64_t t0 = util_mono_ms();
  chat_acc_t acc;
  chat_acc_init(&acc, ep.provider == LLM_PROVIDER_OPENAI, req->on_token, req->token_ud);
  acc.max_text =
      req->max_answer_bytes && req->max_answer_bytes < llm->max_answer ? req->max_answer_bytes : llm->max_answer;
  rc = live_call(llm, x, &ep, wire, opts, &acc, &resp->attempts, err, errlen);
  llm_slot_release(llm, req->mission_id);
  resp->latency_ms = util_mono_ms() - t0;
  snprintf(resp->provider, sizeof resp->provider, "%s", llm_provider_name(ep.provider));
  snprintf(resp->model, sizeof resp->model, "%s", ep.model);
  if (rc == LLM_OK) {
    resp->text = llm_strip_think(acc.text.data);
    snprintf(resp->finish_reason, sizeof resp->finish_reason, "%s", acc.finish_reason[0] ? acc.finish_reason : "stop");
    json_object_set_new(opts, "finish_reason", json_string(resp->finish_reason));
    if (acc.have_usage && (acc.prompt_tokens > 0 || acc.completion_tokens > 0)) {
      resp->prompt_tokens = acc.prompt_tokens;
      resp->completion_tokens = acc.completion_tokens;
    } else {
      resp->prompt_tokens = estimate_prompt(wire);
      resp->completion_tokens = llm_estimate_tokens(acc.text.data);
      resp->tokens_estimated = 1;
    }
    resp->cost_usd = ep.external ? llm_price(llm, ep.model, resp->prompt_tokens, resp->completion_tokens) : 0;
    record(llm, x, &ep, wire, opts, hash, resp, resp->text, "ok", "live", NULL);
  } else {
    resp->prompt_tokens = estimate_prompt(wire);
    record(llm, x, &ep, wire, opts, hash, resp, NULL, rc == LLM_ERR_CANCELLED ? "cancelled" : "error", "live", err);
  }
  chat_acc_free(&acc);
  json_decref(wire);
  json_decref(opts);
  sodium_memzero(&ep, sizeof ep);
  return rc;
}

int llm_chat(llm_t *llm, const llm_request_t *req, llm_response_t *resp, char *err, size_t errlen) {
  memset(resp, 0, sizeof *resp);
  if (errlen) err[0] = '\0';
  if (!req || !req->messages || req->nmessages == 0) {
    snprintf(err, errlen, "llm_chat: no messages");
    return LLM_ERR;
  }
  if (is_cancelled(req)) {
    snprintf(err, errlen, "call cancelled before it started");
    return LLM_ERR_CANCELLED;
  }
  exchange_t x = {req, req->messages, req->nmessages, req->json_schema != NULL || req->json_mode};
  int rc = exchange(llm, &x, resp, err, errlen);
  if (rc != LLM_OK || !x.structured) return rc;

  char verr[400];
  json_t *v = llm_extract_json(resp->text);
  if (v && (!req->json_schema || llm_validate_json(v, req->json_schema, verr, sizeof verr) == 0)) {
    resp->json = v;
    return LLM_OK;
  }
  if (!v) snprintf(verr, sizeof verr, "no JSON value could be found in the answer");
  json_decref(v);
  log_info("llm", "structured answer of %s invalid (%s); asking again", resp->model, verr);

  /* One re-ask with the validation error. */
  size_t n = req->nmessages + 2;
  llm_message_t *msgs = calloc(n, sizeof *msgs);
  if (!msgs) abort();
  memcpy(msgs, req->messages, req->nmessages * sizeof *msgs);
  buf_t fix;
  buf_init(&fix);
  buf_printf(&fix,
             "Your previous answer could not be used: %s. Reply again with only the corrected JSON value, "
             "no explanations and no code fences.",
             verr);
  msgs[req->nmessages].role = "assistant";
  msgs[req->nmessages].content = resp->text;
  msgs[req->nmessages + 1].role = "user";
  msgs[req->nmessages + 1].content = fix.data;
  exchange_t x2 = {req, msgs, n, 1};
  llm_response_t r2;
  memset(&r2, 0, sizeof r2);
  rc = exchange(llm, &x2, &r2, err, errlen);
  if (rc == LLM_OK) {
    v = llm_extract_json(r2.text);
    if (v && (!req->json_schema || llm_validate_json(v, req->json_schema, verr, sizeof verr) == 0)) {
      r2.json = v;
      r2.prompt_tokens += resp->prompt_tokens;
      r2.completion_tokens += resp->completion_tokens;
      r2.cost_usd += resp->cost_usd;
      r2.latency_ms += resp->latency_ms;
      r2.attempts += resp->attempts;
      llm_response_free(resp);
      *resp = r2;
      free(msgs);
      buf_free(&fix);
      return LLM_OK;
    }
    if (!v) snprintf(verr, sizeof verr, "no JSON value could be found in the answer");
    json_decref(v);
    snprintf(err, errlen, "model %s returned invalid structured output twice: %s", r2.model, verr);
    rc = LLM_ERR_INVALID_JSON;
    /* Neither answer may come back from the cache: a resumed step must ask
     * the model again rather than replay the same unusable answers. */
    if (llm->store) {
      if (resp->call_id[0]) store_llm_call_set_status(llm->store, resp->call_id, "error");
      if (r2.call_id[0]) store_llm_call_set_status(llm->store, r2.call_id, "error");
    }
  }
  llm_response_free(&r2);
  llm_response_free(resp);
  free(msgs);
  buf_free(&fix);
  return rc;
}

void llm_response_free(llm_response_t *resp) {
  if (!resp) return;
  free(resp->text);
  json_decref(resp->json);
  resp->text = NULL;
  resp->json = NULL;
}
