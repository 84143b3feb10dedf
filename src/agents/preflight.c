/*
 * preflight.c - what a mission will have, said before it starts.
 *
 * A mission request (the body of POST /api/missions) is read the way
 * agents_mission_create reads it, and each thing the run depends on is
 * looked up where the run will look it up: the model tiers and the
 * embedding model through llm_resolve (environment < server defaults <
 * the user's own), the documents in scope through the store (the owner's
 * rows only; the group only when it is the owner's), and web search through
 * web_search_status. Problems come out in plain words with what to do about
 * them, because the reader is the person filling in the form, not an
 * operator reading logs.
 *
 * The one decision taken here rather than shown is "empty": no documents
 * that can be searched and no web search that works. Such a mission would
 * "complete" at once with a report holding only its title, so creating one
 * is refused unless the request says "allow_empty": true.
 *
 * Probes (is the endpoint up?) are one bounded GET each and cached by the
 * model and web layers, so a form asking on every keystroke costs little.
 */
#include <string.h>

#include <sodium.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/util.h"
#include "llm/llm.h"
#include "store/documents.h"
#include "web/scholar.h"
#include "web/web.h"

#define PROBE_TIMEOUT_S 3

static void add_item(json_t *list, const char *code, const char *message, const char *fix) {
  json_t *o = json_pack("{s:s, s:s}", "code", code, "message", message);
  if (fix) json_object_set_new(o, "fix", json_string(fix));
  json_array_append_new(list, o);
}

/* Formats and adds an item; the message is cut at 600 bytes. */
__attribute__((format(printf, 4, 5))) static void add_itemf(json_t *list, const char *code, const char *fix,
                                                            const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  add_item(list, code, msg, fix);
}

/* The endpoint of a tier as the preflight shows it (no key, no headers). */
static json_t *endpoint_json(llm_t *llm, const char *user_id, llm_tier_t tier, int probe) {
  llm_endpoint_t ep;
  char err[300] = "";
  int configured = llm_resolve(llm, user_id, tier, &ep, err, sizeof err) == 0;
  json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:b}", "configured", configured, "provider",
                        llm_provider_name(ep.provider), "model", ep.model, "base_url", ep.base_url, "source",
                        ep.source[0] ? ep.source : "none", "external", ep.external);
  if (!configured) {
    json_object_set_new(o, "reason", json_string(err));
    json_object_set_new(o, "reachable", json_null());
  } else if (probe) {
    int up = llm_probe_endpoint(llm, &ep, PROBE_TIMEOUT_S, err, sizeof err) == 0;
    json_object_set_new(o, "reachable", json_boolean(up));
    if (!up) json_object_set_new(o, "error", json_string(err));
  } else {
    json_object_set_new(o, "reachable", json_null());
  }
  sodium_memzero(&ep, sizeof ep);
  return o;
}

static int has_source(json_t *sources, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(sources, i, v) if (json_is_string(v) && strcmp(json_string_value(v), name) == 0) return 1;
  return 0;
}

/* The models part: mode, the four chat tiers, problems about them. */
static void check_models(const agents_deps_t *deps, const char *user_id, json_t *req, int probe, json_t *out,
                         json_t *problems) {
  json_t *settings = json_object_get(req, "settings");
  int offline_asked =
      json_is_true(json_object_get(req, "offline")) || json_is_true(json_object_get(settings, "offline"));
  json_t *models = json_object();
  int all = 1;
  for (int t = LLM_TIER_FAST; t <= LLM_TIER_VERIFIER; t++) {
    json_t *o = endpoint_json(deps->llm, user_id, (llm_tier_t)t, probe && !offline_asked);
    all &= json_is_true(json_object_get(o, "configured"));
    json_object_set_new(models, llm_tier_name((llm_tier_t)t), o);
  }
  json_object_set_new(out, "models", models);
  json_object_set_new(out, "mode", json_string(offline_asked || !all ? "offline" : "model"));
  json_object_set_new(out, "offline_requested", json_boolean(offline_asked));
  if (offline_asked) return;
  if (!all) {
    add_item(problems, "no_model",
             "No model is configured for you, so the mission would run offline: it would copy passages from your "
             "sources without any written analysis.",
             "Ask an admin to set a server default model, or set your own in Settings > Models.");
    return;
  }
  /* One line per endpoint that does not answer (tiers often share one). */
  const char *seen[LLM_TIER_VERIFIER + 1];
  int nseen = 0;
  for (int t = LLM_TIER_FAST; t <= LLM_TIER_VERIFIER; t++) {
    json_t *o = json_object_get(models, llm_tier_name((llm_tier_t)t));
    if (!json_is_false(json_object_get(o, "reachable"))) continue;
    const char *url = json_string_value(json_object_get(o, "base_url"));
    int dup = 0;
    for (int i = 0; i < nseen; i++) dup |= strcmp(seen[i], url) == 0;
    if (dup) continue;
    seen[nseen++] = url;
    add_itemf(problems, "model_unreachable",
              "Check that the model server is running, or change the endpoint in Settings > Models (or ask an admin).",
              "The model endpoint %s (%s, model %s) does not answer: %s.", url, llm_tier_name((llm_tier_t)t),
              json_string_value(json_object_get(o, "model")), json_string_value(json_object_get(o, "error")));
  }
}

/* The documents part; returns 1 when documents can give something. */
static int check_documents(const agents_deps_t *deps, const char *user_id, json_t *req, int wanted, int probe,
                           json_t *out, json_t *problems, json_t *warnings) {
  const char *group = json_string_value(json_object_get(req, "group_id"));
  if (group && !group[0]) group = NULL;
  int64_t total = 0, ready = 0;
  int group_ok = !group || store_group_owned(deps->store, user_id, group) == 1;
  if (wanted && group_ok) store_doc_scope_counts(deps->store, user_id, group, &total, &ready);
  json_t *d = json_pack("{s:b, s:s?, s:I, s:I}", "requested", wanted, "group_id", group, "in_scope", (json_int_t)total,
                        "ready", (json_int_t)ready);
  json_object_set_new(out, "documents", d);
  if (!wanted) return 0;
  if (!group_ok) {
    add_item(problems, "group_not_found", "The document group chosen for this mission is not one of yours.",
             "Choose one of your groups, or all documents.");
    return 0;
  }
  if (total == 0) {
    add_item(problems, "no_documents",
             group ? "The chosen document group is empty, so there is nothing of yours to research."
                   : "Your library is empty, so there is nothing of yours to research.",
             group ? "Add documents to the group on the Documents page, or choose all documents."
                   : "Upload documents on the Documents page (or use web search).");
    return 0;
  }
  if (ready == 0) {
    add_itemf(problems, "documents_not_ready",
              "Wait until they show as ready on the Documents page (or re-process "
              "the failed ones).",
              "None of the %lld document%s in scope is ready to be searched yet (still being processed, or failed).",
              (long long)total, total == 1 ? "" : "s");
    return 0;
  }
  if (ready < total)
    add_itemf(warnings, "documents_not_all_ready", "Wait for processing to finish if they matter.",
              "%lld of %lld documents in scope are not ready yet; the mission reads only the ready ones.",
              (long long)(total - ready), (long long)total);
  json_t *emb = endpoint_json(deps->llm, user_id, LLM_TIER_EMBEDDING, probe);
  if (!json_is_true(json_object_get(emb, "configured")))
    add_item(warnings, "no_embedding", "No embedding model is configured: documents are searched by their words only.",
             "Set an embedding model in Settings > Models (or ask an admin) for search by meaning.");
  json_object_set_new(out, "embedding", emb);
  return 1;
}

/* The web part; returns 1 when web search can give something. */
static int check_web(const agents_deps_t *deps, const char *user_id, int wanted, int probe, json_t *out,
                     json_t *problems) {
  json_t *w = NULL;
  if (deps->web)
    web_search_status(deps->web, user_id, wanted && probe ? PROBE_TIMEOUT_S * 1000 : 0, &w);
  else
    w = json_pack("{s:n, s:b, s:n}", "provider", "configured", 0, "reachable");
  json_object_set_new(w, "requested", json_boolean(wanted));
  json_object_set_new(out, "web", w);
  if (!wanted) return 0;
  const char *err = json_string_value(json_object_get(w, "error"));
  if (!json_is_true(json_object_get(w, "configured"))) {
    if (err)
      add_itemf(problems, "web_settings_invalid", "Correct the search settings in Settings > Web search.",
                "Web search is ticked but the search settings are invalid: %s.", err);
    else
      add_item(problems, "no_web_provider", "Web search is ticked but no search provider is configured.",
               "Ask an admin to set a search provider (SearXNG, Tavily or Brave), or set one in Settings > Web "
               "search.");
    return 0;
  }
  if (json_is_false(json_object_get(w, "reachable"))) {
    add_itemf(problems, "web_unreachable", "Check the provider's address in Settings > Web search, or ask an admin.",
              "The search provider %s does not answer: %s.", json_string_value(json_object_get(w, "provider")),
              err ? err : "no answer");
    return 0;
  }
  return 1;
}

/* The scholarly part; returns 1 when at least one provider will be asked.
 * The services are public: no probe, but no provider enabled (or invalid
 * settings) means nothing to read. */
static int check_scholarly(const agents_deps_t *deps, const char *user_id, json_t *req, int wanted, json_t *out,
                           json_t *problems, json_t *warnings) {
  json_t *sc = NULL;
  if (deps->web)
    scholar_status(deps->web, user_id, json_object_get(json_object_get(req, "settings"), "scholarly_providers"), &sc);
  else
    sc = json_pack("{s:[], s:b}", "providers", "contact_email", 0);
  json_object_set_new(sc, "requested", json_boolean(wanted));
  json_object_set_new(out, "scholarly", sc);
  if (!wanted) return 0;
  const char *err = json_string_value(json_object_get(sc, "error"));
  if (err) {
    add_itemf(problems, "scholarly_settings_invalid", "Correct the scholarly settings in Settings > Web search.",
              "Scholarly sources are ticked but the settings are invalid: %s.", err);
    return 0;
  }
  if (!json_array_size(json_object_get(sc, "providers"))) {
    add_item(problems, "no_scholarly_provider", "Scholarly sources are ticked but no scholarly service is enabled.",
             "Enable arXiv, OpenAlex, Crossref, Semantic Scholar or PubMed in Settings > Web search (or ask an "
             "admin to set SCHOLARLY_PROVIDERS).");
    return 0;
  }
  if (!json_is_true(json_object_get(sc, "contact_email")))
    add_item(warnings, "no_contact_email",
             "No contact e-mail is set for the scholarly services: OpenAlex, Crossref and PubMed ask polite clients "
             "for one and serve those without it more slowly.",
             "Set a contact e-mail in Settings > Web search (or ask an admin to set SCHOLARLY_CONTACT_EMAIL).");
  return 1;
}

json_t *agents_preflight(agents_t *ag, const char *user_id, json_t *req, int flags) {
  const agents_deps_t *deps = &ag->deps;
  json_t *out = json_object(), *problems = json_array(), *warnings = json_array();
  json_t *sources = json_object_get(req, "sources");
  int docs_wanted = !json_is_array(sources) || has_source(sources, "local_documents");
  int web_wanted = json_is_array(sources) && has_source(sources, "web_search");
  int probe = flags & AGENTS_PREFLIGHT_PROBE;
  check_models(deps, user_id, req, probe, out, problems);
  int docs_ok = check_documents(deps, user_id, req, docs_wanted, probe, out, problems, warnings);
  /* Creating a mission probes the web only when the documents give nothing. */
  int web_probe = probe || ((flags & AGENTS_PREFLIGHT_PROBE_WEB_IF_NEEDED) && !docs_ok);
  int web_ok = check_web(deps, user_id, web_wanted, web_probe, out, problems);
  int scholarly_ok = check_scholarly(deps, user_id, req, json_is_array(sources) && has_source(sources, "scholarly"),
                                     out, problems, warnings);
  /* a plugin source (plugin:<name>/<source>) is something to read too */
  int plugin = 0;
  size_t pi;
  json_t *pv;
  json_array_foreach(json_is_array(sources) ? sources : NULL, pi,
                     pv) if (util_starts_with(json_string_value(pv), "plugin:")) plugin = 1;
  int empty = !docs_ok && !web_ok && !scholarly_ok && !plugin;
  if (empty) {
    /* say what happened to each source: not ticked is not the same as broken */
    char why[512];
    snprintf(why, sizeof why,
             "This mission has nothing to research: %s, %s and %s. It would finish at once with a report that holds "
             "only its title.",
             docs_wanted ? "no documents it can search" : "documents are not among its sources",
             web_wanted ? "no working web search" : "web search is not ticked",
             json_is_array(sources) && has_source(sources, "scholarly") ? "no scholarly service enabled"
                                                                        : "scholarly sources are not ticked");
    add_item(problems, "no_sources", why,
             "Add documents, tick another source or set up the one that failed (see above). To start it anyway: tick "
             "\"Start anyway\" on the New mission page, send \"allow_empty\": true, or run maestro research "
             "--allow-empty.");
  }
  json_object_set_new(out, "empty", json_boolean(empty));
  json_object_set_new(out, "ok", json_boolean(json_array_size(problems) == 0));
  json_object_set_new(out, "problems", problems);
  json_object_set_new(out, "warnings", warnings);
  return out;
}
