/*
 * mission.c - the mission controller: a persisted state machine.
 *
 * The mission row's (phase, round, pass) says what to do next; each step
 * reads what it needs from the store, does its work (model calls, searches)
 * outside any transaction, then commits its results together with the
 * phase change and the events that describe them. A step interrupted (crash,
 * pause, stop, shutdown) commits nothing and simply runs again; model calls
 * it repeats are answered from the call cache (same request hash, same
 * mission), so they are not paid twice. Research commits per section, so a
 * crash mid-round only redoes the sections not yet committed.
 *
 *   analyse            language, tone, offline decision      (no call)
 *   plan               planner: analysis + outline           (1 call)
 *   research  round r  per section in parallel: gather, notes (1 call each)
 *   reflect   round r  all sections at once                   (1 call)
 *   write              per section in parallel                (1 call each)
 *   review    pass p   all drafts at once + intro/conclusion  (1 call)
 *   revise    pass p   only sections the review flagged       (1 call each)
 *   verify             every cited sentence                   (1 call / 40)
 *   assemble           report version, status completed       (no call)
 *
 * Controls are status transitions (paused/stopped/queued) written by the API
 * with their events; the controller re-reads the status before each step
 * and a per-mission cancel flag interrupts a model call in flight.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "agents/custom.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/util.h"
#include "events/events.h"
#include "plugins/plugins.h"
#include "report/report.h"
#include "store/custom_agents.h"
#include "store/documents.h"
#include "store/events.h"
#include "store/llm_calls.h"

#define M_TOTAL "maestro_research_missions_total"
#define M_TOTAL_HELP "Research missions finished, by final status"
#define M_ACTIVE "maestro_active_missions"
#define M_ACTIVE_HELP "Missions running now"
#define M_AGENT "maestro_agent_execution_duration_seconds"
#define M_AGENT_HELP "Time of one agent action (model call included)"

/* ---- running missions ---- */

/* A free slot for mission id, or NULL when all are busy or when the mission
 * still has a runner (one paused and resumed before its model call returned):
 * the caller requeues, so one mission never has two runners. */
static agents_slot_t *slot_take(agents_t *ag, const char *id) {
  pthread_mutex_lock(&ag->lock);
  agents_slot_t *s = NULL;
  for (int i = 0; i < AGENTS_MAX_RUNNING; i++) {
    if (ag->slots[i].used && strcmp(ag->slots[i].id, id) == 0) {
      pthread_mutex_unlock(&ag->lock);
      return NULL;
    }
  }
  for (int i = 0; i < AGENTS_MAX_RUNNING && !s; i++)
    if (!ag->slots[i].used) {
      s = &ag->slots[i];
      s->used = 1;
      snprintf(s->id, sizeof s->id, "%s", id);
      atomic_store(&s->cancel, 0);
    }
  pthread_mutex_unlock(&ag->lock);
  return s;
}

static void slot_give(agents_t *ag, agents_slot_t *s) {
  pthread_mutex_lock(&ag->lock);
  s->used = 0;
  s->id[0] = 0;
  pthread_mutex_unlock(&ag->lock);
}

static void slot_cancel(agents_t *ag, const char *id) {
  pthread_mutex_lock(&ag->lock);
  for (int i = 0; i < AGENTS_MAX_RUNNING; i++)
    if (ag->slots[i].used && !strcmp(ag->slots[i].id, id)) atomic_store(&ag->slots[i].cancel, 1);
  pthread_mutex_unlock(&ag->lock);
}

static void emit(const agents_deps_t *deps, const char *id, store_mevs_t *evs) {
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", id);
  for (size_t i = 0; i < evs->n; i++) {
    if (!evs->v[i].seq) continue;
    event_t e = {channel, evs->v[i].seq, evs->v[i].name, evs->v[i].data, evs->v[i].ts};
    events_notify(deps->events, &e);
  }
  store_mevs_clear(evs);
}

void mrun_commit_events(mrun_t *m, store_mevs_t *evs) {
  if (evs->n && store_mission_events(m->deps->store, m->id, evs) != STORE_OK)
    log_warn("agents", "mission %s: events could not be stored", m->id);
  emit(m->deps, m->id, evs);
}

int mrun_cancelled(mrun_t *m) {
  return atomic_load(m->cancel) || (m->cancel_user && atomic_load(m->cancel_user)) ||
         (m->deps->jobs && jobs_should_stop(m->deps->jobs));
}

plugins_caller_t mrun_plugins_caller(const mrun_t *m) {
  return (plugins_caller_t){.user_id = m->user_id, .mission_id = m->id, .offline = m->offline};
}

void mrun_warn(mrun_t *m, const char *code, const char *section_id, int round, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *w = json_pack("{s:s, s:s, s:I}", "code", code, "message", msg, "ts", (json_int_t)util_now_ms());
  if (section_id) json_object_set_new(w, "section_id", json_string(section_id));
  if (round > 0) json_object_set_new(w, "round", json_integer(round));
  store_mevs_t evs = {0};
  if (store_mission_add_warning(m->deps->store, m->id, w, &evs) == STORE_OK)
    log_info("agents", "mission %s: warning %s: %s", m->id, code, msg);
  emit(m->deps, m->id, &evs);
  json_decref(w);
}

/* ---- settings ---- */

static long long set_int(json_t *s, const char *k, long long d) {
  json_t *v = json_object_get(s, k);
  return json_is_integer(v) ? json_integer_value(v) : json_is_real(v) ? (long long)json_real_value(v) : d;
}
static double set_num(json_t *s, const char *k, double d) {
  json_t *v = json_object_get(s, k);
  return json_is_number(v) ? json_number_value(v) : d;
}
static const char *set_str(json_t *s, const char *k, const char *d) {
  const char *v = json_string_value(json_object_get(s, k));
  return v && v[0] ? v : d;
}

static void mrun_load(mrun_t *m, json_t *row) {
  m->row = row;
  json_t *s = json_object_get(row, "settings");
  snprintf(m->id, sizeof m->id, "%s", json_string_value(json_object_get(row, "id")));
  snprintf(m->user_id, sizeof m->user_id, "%s", json_string_value(json_object_get(row, "user_id")));
  m->title = json_string_value(json_object_get(row, "title"));
  m->description = json_string_value(json_object_get(row, "description"));
  m->group_id = json_string_value(json_object_get(row, "group_id"));
  m->questions = json_object_get(row, "questions");
  json_t *src = json_object_get(row, "sources");
  size_t i;
  json_t *v;
  json_array_foreach(src, i, v) {
    if (!strcmp(json_string_value(v), "local_documents")) m->use_docs = 1;
    if (!strcmp(json_string_value(v), "web_search")) m->use_web = 1;
    if (!strcmp(json_string_value(v), "scholarly")) m->use_scholarly = 1;
    if (!strcmp(json_string_value(v), "tools")) m->use_tools = 1;
    if (util_starts_with(json_string_value(v), "plugin:")) m->use_plugins = 1;
  }
  m->scholarly_providers = json_object_get(s, "scholarly_providers");
  m->offline = (int)json_integer_value(json_object_get(row, "offline"));
  const agent_depth_t *d = agent_depth(set_str(s, "depth", "standard"));
  if (!d) d = agent_depth("standard");
  snprintf(m->depth, sizeof m->depth, "%s", d->name);
  m->max_sections = (int)set_int(s, "max_sections", d->sections);
  m->queries_per_question = (int)set_int(s, "queries_per_question", d->queries);
  m->hits_per_search = d->hits;
  m->passages_per_section = (int)set_int(s, "passages_per_section", d->passages);
  m->web_pages = d->web;
  m->split_sections = d->split;
  m->words_per_note = d->words;
  m->max_rounds = (int)set_int(s, "max_rounds", d->rounds);
  m->max_reflections = (int)set_int(s, "max_reflections", 5);
  m->max_passes = (int)set_int(s, "max_passes", d->passes);
  if (m->max_passes < 1) m->max_passes = 1;
  m->notes_per_section = (int)set_int(s, "notes_per_section", d->notes);
  m->concurrency = (int)set_int(s, "concurrency", 3);
  m->quality_target = set_num(s, "quality_target", 0.8);
  m->max_cost = set_num(s, "max_cost", 0);
  m->max_tokens = set_int(s, "max_tokens", 0);
  json_t *an = json_object_get(row, "analysis");
  snprintf(m->language, sizeof m->language, "%s", set_str(an, "language", set_str(s, "language", "en")));
  snprintf(m->tone, sizeof m->tone, "%s", set_str(s, "tone", set_str(an, "tone", "neutral")));
  snprintf(m->length, sizeof m->length, "%s", set_str(s, "length", set_str(an, "length", "medium")));
}

/* ---- model calls ---- */

/* A call in flight: listed by agents_inflight_json() and announced live
 * (call_started), so the activity list shows what the mission waits for. */
static void call_begin(mrun_t *m, const char *key, json_t *data) {
  pthread_mutex_lock(&m->ag->lock);
  json_t *calls = json_object_get(m->ag->inflight, m->id);
  if (!calls) {
    calls = json_object();
    json_object_set_new(m->ag->inflight, m->id, calls);
  }
  json_object_set_new(calls, key, json_deep_copy(data)); /* its own copy: other threads read it */
  pthread_mutex_unlock(&m->ag->lock);
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", m->id);
  if (m->deps->events) events_publish(m->deps->events, channel, "call_started", data, NULL);
}

/* Ends a call in flight; a call that failed is announced (call_ended, with
 * its context and the call record's id), one that answered is ended by its
 * agent_log event (call_key). */
static void call_end(mrun_t *m, const char *key, int rc, const char *err, const char *call_id, json_t *started) {
  pthread_mutex_lock(&m->ag->lock);
  json_t *calls = json_object_get(m->ag->inflight, m->id);
  json_object_del(calls, key);
  if (calls && !json_object_size(calls)) json_object_del(m->ag->inflight, m->id);
  pthread_mutex_unlock(&m->ag->lock);
  if (rc == LLM_OK || !m->deps->events) return;
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", m->id);
  json_t *d = json_pack("{s:s, s:s, s:b}", "call_key", key, "error", err && err[0] ? err : "failed", "cancelled",
                        rc == LLM_ERR_CANCELLED);
  json_object_update_missing(d, started);
  json_object_del(d, "started_at");
  if (call_id && call_id[0])
    json_object_set_new(d, "id", json_string(call_id));
  else
    json_object_del(d, "id");
  events_publish(m->deps->events, channel, "call_ended", d, NULL);
  json_decref(d);
}

json_t *agents_inflight_json(agents_t *ag, const char *id) {
  json_t *out = json_array();
  pthread_mutex_lock(&ag->lock);
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(ag->inflight, id), key, v) {
    json_t *c = json_deep_copy(v);
    json_object_set_new(c, "in_flight", json_true());
    json_array_append_new(out, c);
  }
  pthread_mutex_unlock(&ag->lock);
  return out;
}

/* The answer as the activity list shows it: text or JSON, at most 4000 bytes. */
static json_t *response_excerpt(const llm_response_t *r) {
  char *dumped = NULL;
  const char *t = r->text;
  if ((!t || !t[0]) && r->json) t = dumped = json_dumps(r->json, JSON_INDENT(1));
  if (!t) return json_string("");
  size_t len = strlen(t);
  if (len > 4000) len = util_utf8_floor(t, 4000);
  json_t *s = json_stringn(t, len);
  free(dumped);
  return s ? s : json_string("");
}

int agent_call(mrun_t *m, const char *role, llm_tier_t tier, json_t *vars, const char *user, json_t *schema,
               json_t **json, char **text, const char *action, store_mevs_t *evs, char *err, size_t errlen) {
  return agent_call_ex(m, role, tier, vars, user, NULL, schema, json, text, action, evs, NULL, err, errlen);
}

int agent_call_ex(mrun_t *m, const char *role, llm_tier_t tier, json_t *vars, const char *user,
                  const agent_retry_t *retry, json_t *schema, json_t **json, char **text, const char *action,
                  store_mevs_t *evs, agent_reply_t *info, char *err, size_t errlen) {
  if (json) *json = NULL;
  if (text) *text = NULL;
  if (info) memset(info, 0, sizeof *info);
  char *tmpl = m->role_prompt ? util_strdup(m->role_prompt) : agent_prompt(m->deps, role);
  if (!tmpl) {
    snprintf(err, errlen, "no prompt template for agent %s", role);
    return LLM_ERR;
  }
  const char *agent = m->agent_label ? m->agent_label : role; /* a custom agent's name */
  json_t *v = vars ? json_deep_copy(vars) : json_object();
  json_object_set_new(v, "language", json_string(m->language));
  json_object_set_new(v, "tone", json_string(m->tone));
  json_object_set_new(v, "length", json_string(m->length));
  char *sys = agent_fill(tmpl, v);
  json_decref(v);
  free(tmpl);
  llm_message_t msgs[4] = {{"system", sys}, {"user", user}};
  size_t nmsgs = 2;
  buf_t fix = BUF_INIT;
  buf_init(&fix);
  if (retry) {
    buf_printf(&fix, "Your previous answer was rejected because %s. ", retry->complaint);
    if (schema)
      buf_puts(&fix, "Answer again with only the corrected JSON value, no explanations and no code fences.");
    else
      buf_printf(&fix,
                 "Answer again with the text only: Markdown prose in the report's language (%s), citing the "
                 "numbered notes as [1], [2]; no JSON, no code fences, no reasoning, no instructions.",
                 m->language);
    msgs[nmsgs++] = (llm_message_t){"assistant", retry->previous && retry->previous[0] ? retry->previous : "(empty)"};
    msgs[nmsgs++] = (llm_message_t){"user", fix.data};
  }
  llm_request_t req = {.tier = tier,
                       .messages = msgs,
                       .nmessages = nmsgs,
                       .temperature = -1,
                       .json_schema = schema,
                       .schema_name = role,
                       .cancel = m->cancel_user ? m->cancel_user : m->cancel,
                       .user_id = m->user_id,
                       .mission_id = m->id,
                       .agent = agent};
  char key[17];
  util_new_id(key);
  json_t *started = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", key, "call_key", key, "agent", agent, "action",
                              action, "tier", llm_tier_name(tier), "started_at", (json_int_t)util_now_ms());
  if (json_is_object(m->call_context)) json_object_update_missing(started, m->call_context);
  call_begin(m, key, started);
  llm_response_t r;
  int64_t t0 = util_mono_ms();
  int rc = llm_chat(m->deps->llm, &req, &r, err, errlen);
  double secs = (double)(util_mono_ms() - t0) / 1000.0;
  buf_free(&fix);
  metrics_observe(M_AGENT, M_AGENT_HELP, "agent_type", agent, secs);
  call_end(m, key, rc, err, r.call_id, started);
  if (rc != LLM_OK) {
    json_decref(started);
    if (info)
      info->system = sys;
    else
      free(sys);
    return rc;
  }
  if (info) {
    snprintf(info->finish_reason, sizeof info->finish_reason, "%s", r.finish_reason);
    snprintf(info->call_id, sizeof info->call_id, "%s", r.call_id);
    info->system = sys;
  } else
    free(sys);
  if (json) *json = r.json ? json_incref(r.json) : NULL;
  if (text) *text = util_strdup(r.text);
  json_t *log =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:f, s:I, s:b, s:s, s:o}", "id", r.call_id, "call_key", key,
                "agent", agent, "action", action, "model", r.model, "tokens", r.prompt_tokens + r.completion_tokens,
                "prompt_tokens", r.prompt_tokens, "completion_tokens", r.completion_tokens, "cost", r.cost_usd,
                "duration_ms", (json_int_t)(r.latency_ms ? r.latency_ms : (int64_t)(secs * 1000)), "cached",
                r.cached || r.replayed, "tier", llm_tier_name(tier), "response", response_excerpt(&r));
  json_object_update_missing(log, started); /* the context: section, round, query, passages */
  json_object_del(log, "started_at");
  json_decref(started);
  if (retry) json_object_set_new(log, "reask", json_true());
  store_mevs_add(evs, "agent_log", log);
  llm_response_free(&r);
  if (schema && json && !*json) {
    snprintf(err, errlen, "%s: the model gave no structured answer", role);
    return LLM_ERR_INVALID_JSON;
  }
  return LLM_OK;
}

static void add_stats(mrun_t *m, store_mevs_t *evs, double progress) {
  store_llm_totals_t t = {0};
  store_llm_calls_totals(m->deps->store, m->id, &t);
  store_mevs_add(
      evs, "stats",
      json_pack("{s:I, s:f, s:I, s:I, s:f}", "tokens", (json_int_t)(t.prompt_tokens + t.completion_tokens), "cost",
                t.cost_usd, "calls", (json_int_t)t.calls, "cached_calls", (json_int_t)t.cached, "progress", progress));
}

/* ---- progress ---- */

static int needs_research_at(double quality_target, int max_reflections, json_t *s, int round) {
  if (json_integer_value(json_object_get(s, "researched_round")) >= round) return 0;
  if (round == 1 || json_integer_value(json_object_get(s, "researched_round")) == 0) return 1;
  return json_number_value(json_object_get(s, "quality")) < quality_target &&
         json_integer_value(json_object_get(s, "reflections")) < max_reflections;
}

double agents_progress(const char *status, const char *phase, int round, json_t *settings, json_t *flat, json_t *drafts,
                       const char *pending) {
  if (status && !strcmp(status, "completed")) return 1.0;
  if (!phase) return 0;
  double rounds = (double)set_int(settings, "max_rounds", 2);
  if (round > rounds) rounds = round;
  if (rounds < 1) rounds = 1;
  if (round < 1) round = 1;
  /* the sections of this phase already done, and all of them */
  double done = 0, total = 0;
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) {
    if (json_is_string(json_object_get(s, "parent_id"))) continue;
    const char *id = json_string_value(json_object_get(s, "id"));
    int is_pending = pending && id && !strcmp(id, pending);
    total++;
    if (!strcmp(phase, "research")) {
      if (is_pending || json_integer_value(json_object_get(s, "researched_round")) >= round ||
          !needs_research_at(set_num(settings, "quality_target", 0.8), (int)set_int(settings, "max_reflections", 5), s,
                             round))
        done++;
    } else if (is_pending || (id && json_object_get(drafts, id)))
      done++;
  }
  double f = total > 0 ? done / total : 0;
  if (f > 1) f = 1;
  if (!strcmp(phase, "analyse")) return 0.01;
  if (!strcmp(phase, "plan")) return 0.05;
  if (!strcmp(phase, "research")) return 0.1 + 0.5 * ((round - 1) + f) / rounds;
  if (!strcmp(phase, "reflect")) return 0.1 + 0.5 * round / rounds;
  if (!strcmp(phase, "write")) return 0.62 + 0.12 * f;
  if (!strcmp(phase, "review")) return 0.75;
  if (!strcmp(phase, "revise")) return 0.8;
  if (!strcmp(phase, "verify")) return 0.9;
  if (!strcmp(phase, "assemble")) return 0.97;
  if (!strcmp(phase, "done")) return 1.0;
  return 0;
}

double agents_mission_progress(agents_t *ag, json_t *row) {
  const agents_deps_t *deps = &ag->deps;
  const char *id = json_string_value(json_object_get(row, "id"));
  const char *phase = json_string_value(json_object_get(row, "phase"));
  int counted = phase && (!strcmp(phase, "research") || !strcmp(phase, "write"));
  json_t *flat = counted && id ? store_mission_sections(deps->store, id) : NULL;
  json_t *drafts = counted && id && !strcmp(phase, "write") ? store_mission_drafts(deps->store, id) : NULL;
  double p = agents_progress(json_string_value(json_object_get(row, "status")), phase,
                             (int)json_integer_value(json_object_get(row, "round")), json_object_get(row, "settings"),
                             flat, drafts, NULL);
  json_decref(flat);
  json_decref(drafts);
  return p;
}

/* The progress the mission will have once (phase, round) and, when given,
 * the pending section's notes or draft are committed: what
 * agents_mission_progress() reads from the store afterwards. */
static double progress_of(mrun_t *m, const char *phase, int round, const char *pending) {
  int counted = !strcmp(phase, "research") || !strcmp(phase, "write");
  json_t *flat = counted ? store_mission_sections(m->deps->store, m->id) : NULL;
  json_t *drafts = counted && !strcmp(phase, "write") ? store_mission_drafts(m->deps->store, m->id) : NULL;
  double p = agents_progress("running", phase, round, json_object_get(m->row, "settings"), flat, drafts, pending);
  json_decref(flat);
  json_decref(drafts);
  return p;
}

static void add_phase(store_mevs_t *evs, const char *phase, int round, int pass, double progress) {
  store_mevs_add(evs, "phase",
                 json_pack("{s:s, s:i, s:i, s:f}", "phase", phase, "round", round, "pass", pass, "progress", progress));
}

/* Commits a phase change (and extra fields) with its events. */
static int commit_phase(mrun_t *m, const char *phase, int round, int pass, json_t *extra, store_mevs_t *evs) {
  json_t *f = extra ? extra : json_object();
  json_object_set_new(f, "phase", json_string(phase));
  json_object_set_new(f, "round", json_integer(round));
  json_object_set_new(f, "pass", json_integer(pass));
  double p = progress_of(m, phase, round, NULL);
  add_phase(evs, phase, round, pass, p);
  add_stats(m, evs, p);
  int rc = store_mission_update(m->deps->store, m->id, NULL, f, evs);
  json_decref(f);
  emit(m->deps, m->id, evs);
  return rc == STORE_OK ? 0 : -1;
}

/* ---- the outline as a tree ---- */

/* The sections whose parent is id; id NULL: the top-level sections. */
static json_t *children_of(json_t *flat, const char *id) {
  json_t *out = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) {
    const char *p = json_string_value(json_object_get(s, "parent_id"));
    if (id ? p && !strcmp(p, id) : !p) json_array_append(out, s);
  }
  return out;
}

static json_t *tree_of(json_t *flat, const char *parent) {
  json_t *out = json_array(), *kids = children_of(flat, parent);
  size_t i;
  json_t *s;
  json_array_foreach(kids, i, s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    json_array_append_new(
        out, json_pack("{s:s, s:O, s:O, s:O?, s:O?, s:O?, s:o}", "id", id, "title", json_object_get(s, "title"),
                       "questions", json_object_get(s, "questions"), "priority", json_object_get(s, "priority"),
                       "quality", json_object_get(s, "quality"), "researched_round",
                       json_object_get(s, "researched_round"), "subsections", tree_of(flat, id)));
  }
  json_decref(kids);
  return out;
}

json_t *agents_plan_json(agents_t *ag, const char *id) {
  const agents_deps_t *deps = &ag->deps;
  json_t *flat = store_mission_sections(deps->store, id);
  if (!flat) return NULL;
  json_t *p = json_pack("{s:o}", "sections", tree_of(flat, NULL));
  json_decref(flat);
  return p;
}

static void add_plan_event(store_mevs_t *evs, json_t *flat) {
  store_mevs_add(evs, "plan_updated", json_pack("{s:{s:o}}", "plan", "sections", tree_of(flat, NULL)));
}

/* ---- parallel sections ---- */

typedef struct {
  mrun_t *m;
  json_t *items;
  int (*fn)(mrun_t *m, json_t *item, char *err, size_t errlen);
  size_t next;
  int rc;
  char err[512];
  pthread_mutex_t lock;
} par_t;

static void *par_worker(void *arg) {
  par_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t i = p->next++;
    int stop = p->rc != 0;
    pthread_mutex_unlock(&p->lock);
    if (stop || i >= json_array_size(p->items) || mrun_cancelled(p->m)) break;
    char err[512] = "";
    int rc = p->fn(p->m, json_array_get(p->items, i), err, sizeof err);
    if (rc != 0) {
      pthread_mutex_lock(&p->lock);
      if (!p->rc) {
        p->rc = rc;
        snprintf(p->err, sizeof p->err, "%s", err);
      }
      pthread_mutex_unlock(&p->lock);
    }
  }
  return NULL;
}

static int run_parallel(mrun_t *m, json_t *items, int (*fn)(mrun_t *, json_t *, char *, size_t), char *err,
                        size_t errlen) {
  par_t p = {.m = m, .items = items, .fn = fn};
  pthread_mutex_init(&p.lock, NULL);
  int n = m->concurrency < 1 ? 1 : m->concurrency > 8 ? 8 : m->concurrency;
  if ((size_t)n > json_array_size(items)) n = (int)json_array_size(items);
  pthread_t th[8];
  int started = 0;
  for (int i = 0; i < n; i++) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 1 << 20);
    if (pthread_create(&th[started], &a, par_worker, &p) == 0) started++;
    pthread_attr_destroy(&a);
  }
  if (!started) par_worker(&p);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  pthread_mutex_destroy(&p.lock);
  if (p.rc) snprintf(err, errlen, "%s", p.err);
  return p.rc;
}

/* ---- steps ---- */

static int step_analyse(mrun_t *m, char *err, size_t errlen) {
  (void)err;
  (void)errlen;
  json_t *s = json_object_get(m->row, "settings");
  int offline = json_is_true(json_object_get(s, "offline")) || !llm_available(m->deps->llm, m->user_id);
  const char *lang = set_str(s, "language", "auto");
  if (!strcmp(lang, "auto")) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    buf_printf(&b, "%s\n%s\n", m->title, m->description ? m->description : "");
    size_t i;
    json_t *q;
    json_array_foreach(m->questions, i, q) buf_printf(&b, "%s\n", json_string_value(q));
    lang = agent_detect_language(b.data);
    buf_free(&b);
  }
  snprintf(m->language, sizeof m->language, "%s", lang);
  m->offline = offline;
  if (offline && !json_is_true(json_object_get(s, "offline")))
    mrun_warn(m, "offline_no_model", NULL, 0,
              "No chat model is configured for you: the report is extractive (verbatim quotes only, no model). "
              "Ask an admin or open Settings to set one");
  json_t *analysis = json_pack("{s:s, s:s, s:s}", "language", m->language, "tone", m->tone, "length", m->length);
  store_mevs_t evs = {0};
  json_t *f = json_pack("{s:i, s:o}", "offline", offline, "analysis", analysis);
  return commit_phase(m, "plan", 0, 0, f, &evs);
}

/* The depth's share of a plan: at most max_sections top-level sections
 * (with their subsections); the search queries the planner proposed per
 * section move to analysis.queries {section_id: [query]} (sections rows
 * have no place for them; research_gather reads them there). */
static void plan_apply_depth(mrun_t *m, json_t *flat, json_t *analysis) {
  json_t *queries = json_object(), *keep = json_object();
  int tops = 0;
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) if (!json_is_string(json_object_get(s, "parent_id")) && tops++ < m->max_sections)
      json_object_set_new(keep, json_string_value(json_object_get(s, "id")), json_true());
  for (i = json_array_size(flat); i-- > 0;) {
    s = json_array_get(flat, i);
    const char *p = json_string_value(json_object_get(s, "parent_id"));
    const char *id = json_string_value(json_object_get(s, "id"));
    if (!json_object_get(keep, p ? p : id)) {
      json_array_remove(flat, i);
      continue;
    }
    json_t *q = json_object_get(s, "queries");
    if (json_array_size(q)) json_object_set(queries, id, q);
    json_object_del(s, "queries");
  }
  if (tops > m->max_sections)
    log_info("agents", "mission %s: kept %d of the %d planned sections (depth %s)", m->id, m->max_sections, tops,
             m->depth);
  json_object_set_new(analysis, "queries", queries);
  json_decref(keep);
}

static int step_plan(mrun_t *m, char *err, size_t errlen) {
  json_t *analysis = NULL, *sections = NULL;
  store_mevs_t evs = {0};
  int rc = m->offline ? offline_plan(m, &analysis, &sections, err, errlen)
                      : planner_run(m, &analysis, &sections, &evs, err, errlen);
  if (rc != 0) {
    store_mevs_clear(&evs);
    return rc;
  }
  /* the controller's language decision stands unless the planner names one */
  json_t *an = json_object_get(m->row, "analysis");
  json_t *merged = json_is_object(an) ? json_deep_copy(an) : json_object();
  if (analysis) json_object_update(merged, analysis);
  if (json_is_true(json_object_get(json_object_get(m->row, "settings"), "keep_language")) || !analysis ||
      !json_string_value(json_object_get(analysis, "language")))
    json_object_set_new(merged, "language", json_string(m->language));
  json_decref(analysis);
  snprintf(m->language, sizeof m->language, "%s", set_str(merged, "language", m->language));
  plan_apply_depth(m, sections, merged);
  add_plan_event(&evs, sections);
  add_phase(&evs, "research", 1, 0, 0.1);
  add_stats(m, &evs, 0.1);
  json_t *f = json_pack("{s:s, s:i, s:i, s:o}", "phase", "research", "round", 1, "pass", 0, "analysis", merged);
  rc = store_mission_set_sections(m->deps->store, m->id, sections, f, &evs);
  json_decref(f);
  json_decref(sections);
  emit(m->deps, m->id, &evs);
  return rc == STORE_OK ? 0 : -1;
}

static int needs_research(mrun_t *m, json_t *s, int round) {
  return needs_research_at(m->quality_target, m->max_reflections, s, round);
}

/* What a section read in a round: {section_id, round, searches, passages:
 * [key]} (key "chunk:N" or the page URL). The run record counts them. */
static json_t *sources_read(const char *sid, int round, const passages_t *ps) {
  json_t *keys = json_array();
  for (size_t i = 0; i < ps->n; i++) {
    char key[40];
    if (ps->v[i].web)
      json_array_append_new(keys, json_string(ps->v[i].url ? ps->v[i].url : ""));
    else {
      snprintf(key, sizeof key, "chunk:%lld", ps->v[i].chunk_id);
      json_array_append_new(keys, json_string(key));
    }
  }
  return json_pack("{s:s, s:i, s:i, s:o}", "section_id", sid, "round", round, "searches", ps->searches, "passages",
                   keys);
}

static int research_one(mrun_t *m, json_t *item, char *err, size_t errlen) {
  json_t *section = json_object_get(item, "section");
  int round = (int)json_integer_value(json_object_get(item, "round"));
  passages_t ps;
  research_gather(m, section, &ps, err, errlen);
  if (mrun_cancelled(m)) {
    passages_free(&ps);
    return 0;
  }
  const char *sid = json_string_value(json_object_get(section, "id"));
  const char *stitle = json_string_value(json_object_get(section, "title"));
  store_mevs_t evs = {0};
  if (m->use_tools && !m->offline) research_tools(m, section, &ps, &evs);
  size_t npassages = ps.n;
  if (!npassages)
    mrun_warn(m, "no_passages", sid, round, "Section \"%s\": nothing was found to read %s in round %d", stitle,
              m->use_docs && m->use_web ? "in the library or on the web"
              : m->use_web              ? "on the web"
              : m->use_docs             ? "in the library"
              : m->use_scholarly        ? "in the scholarly literature"
              : m->use_plugins          ? "in the plugin sources"
                                        : "(no source was selected)",
              round);
  store_mevs_add(&evs, "sources_read", sources_read(sid, round, &ps));
  json_t *notes = NULL;
  int rc = 0;
  if (m->offline)
    notes = offline_notes(m, section, &ps);
  else {
    const char *q = json_string_value(json_array_get(json_object_get(section, "questions"), 0));
    mrun_t mc = *m; /* this worker's calls are about this section */
    mc.call_context =
        json_pack("{s:O, s:O, s:i, s:s, s:I}", "section_id", json_object_get(section, "id"), "section_title",
                  json_object_get(section, "title"), "round", round, "query",
                  q ? q : json_string_value(json_object_get(section, "title")), "passages", (json_int_t)ps.n);
    rc = researcher_run(&mc, section, &ps, &notes, &evs, err, errlen);
    json_decref(mc.call_context);
  }
  if (rc == 0 && json_array_size(m->custom_agents)) {
    if (!notes) notes = json_array();
    custom_after_research(m, section, round, &ps, notes, &evs);
  }
  passages_free(&ps);
  if (rc != 0) {
    json_decref(notes);
    store_mevs_clear(&evs);
    return rc;
  }
  if (npassages && !json_array_size(notes))
    mrun_warn(m, "no_notes", sid, round, "Section \"%s\": %zu passages were read but no note was verified in round %d",
              stitle, npassages, round);
  int inserted = 0;
  pthread_mutex_lock(&m->ag->commit_lock); /* progress events in commit order */
  add_stats(m, &evs, progress_of(m, "research", round, sid));
  rc = store_mission_add_notes(m->deps->store, m->id, sid, round, notes, &inserted, &evs);
  emit(m->deps, m->id, &evs);
  pthread_mutex_unlock(&m->ag->commit_lock);
  json_decref(notes);
  if (rc != STORE_OK) {
    snprintf(err, errlen, "cannot store the notes of section %s", sid);
    return -1;
  }
  return 0;
}

static int budget_reached(mrun_t *m) {
  if (m->max_cost <= 0 && m->max_tokens <= 0) return 0;
  store_llm_totals_t t = {0};
  store_llm_calls_totals(m->deps->store, m->id, &t);
  return (m->max_cost > 0 && t.cost_usd >= m->max_cost) ||
         (m->max_tokens > 0 && t.prompt_tokens + t.completion_tokens >= m->max_tokens);
}

static int step_research(mrun_t *m, int round, char *err, size_t errlen) {
  if (budget_reached(m)) {
    store_mevs_t evs = {0};
    mrun_warn(m, "budget_reached", NULL, round,
              "The mission's budget (tokens or cost) was reached in round %d: the report is written with the notes "
              "gathered so far",
              round);
    return commit_phase(m, "write", round, 1, json_pack("{s:i}", "budget_hit", 1), &evs);
  }
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *items = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) if (!json_is_string(json_object_get(s, "parent_id")) && needs_research(m, s, round)) {
    json_t *sub = children_of(flat, json_string_value(json_object_get(s, "id")));
    json_t *sec = json_deep_copy(s);
    /* subsections' questions are researched with their section */
    size_t k;
    json_t *c;
    json_array_foreach(sub, k, c) json_array_extend(json_object_get(sec, "questions"), json_object_get(c, "questions"));
    json_decref(sub);
    json_array_append_new(items, json_pack("{s:o, s:i}", "section", sec, "round", round));
  }
  json_decref(flat);
  int rc = run_parallel(m, items, research_one, err, errlen);
  json_decref(items);
  if (rc != 0 || mrun_cancelled(m)) return rc;
  store_mevs_t evs = {0};
  return commit_phase(m, "reflect", round, 0, NULL, &evs);
}

/* The mission's analysis with this round's reflection in analysis.reflections
 * (one entry per round, a repeated round replaces its entry), and the
 * "reflection" event. Offline, the assessment is the sections' scores.
 * New reference. */
static json_t *reflection_record(mrun_t *m, int round, json_t *assessment, json_t *flat) {
  json_t *r = json_is_object(assessment) ? json_deep_copy(assessment) : NULL;
  if (!r) {
    json_t *secs = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(flat, i, s) if (!json_is_string(json_object_get(s, "parent_id"))) json_array_append_new(
        secs, json_pack("{s:O, s:O, s:f, s:[], s:[], s:[]}", "id", json_object_get(s, "id"), "title",
                        json_object_get(s, "title"), "quality", json_number_value(json_object_get(s, "quality")),
                        "gaps", "contradictions", "new_questions"));
    r = json_pack("{s:o, s:[]}", "sections", secs, "outline_changes");
  }
  json_object_set_new(r, "round", json_integer(round));
  json_object_set_new(r, "ts", json_integer(util_now_ms()));
  json_t *an = json_object_get(m->row, "analysis");
  json_t *analysis = json_is_object(an) ? json_deep_copy(an) : json_object();
  json_t *list = json_object_get(analysis, "reflections");
  if (!json_is_array(list)) {
    list = json_array();
    json_object_set_new(analysis, "reflections", list);
  }
  for (size_t i = json_array_size(list); i-- > 0;)
    if (json_integer_value(json_object_get(json_array_get(list, i), "round")) >= round) json_array_remove(list, i);
  json_array_append(list, r);
  json_decref(r);
  return analysis;
}

/* Deep: before writing, sections whose evidence is rich get subsections
 * (agent_split_section), unless they already have some. */
static void split_rich_sections(mrun_t *m, json_t *flat, json_t *notes) {
  if (!m->split_sections) return;
  size_t n = json_array_size(flat);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(flat, i);
    const char *id = json_string_value(json_object_get(s, "id"));
    if (json_is_string(json_object_get(s, "parent_id"))) continue;
    json_t *kids = children_of(flat, id);
    size_t nk = json_array_size(kids);
    json_decref(kids);
    if (nk) continue;
    json_t *sn = agent_section_notes(notes, id);
    json_t *subs = agent_split_section(m, s, sn);
    json_decref(sn);
    if (!subs) continue;
    log_info("agents", "mission %s: section %s split into %zu subsections", m->id, id, json_array_size(subs));
    size_t k;
    json_t *c;
    json_array_foreach(subs, k, c)
        json_object_set_new(c, "position", json_integer((json_int_t)(json_array_size(flat) + k)));
    json_array_extend(flat, subs);
    json_decref(subs);
  }
}

static int step_reflect(mrun_t *m, int round, char *err, size_t errlen) {
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *notes = store_mission_notes(m->deps->store, m->id, NULL);
  store_mevs_t evs = {0};
  json_t *out = NULL, *assessment = NULL;
  int rc = 0;
  if (m->offline)
    out = offline_reflect(m, flat, notes);
  else {
    mrun_t mc = *m;
    mc.call_context = json_pack("{s:i}", "round", round);
    rc = reflector_run(&mc, flat, notes, &out, &assessment, &evs, err, errlen);
    json_decref(mc.call_context);
  }
  if (rc != 0) {
    json_decref(notes);
    json_decref(flat);
    store_mevs_clear(&evs);
    return rc;
  }
  json_t *analysis = reflection_record(m, round, assessment, out);
  json_decref(assessment);
  json_t *refl = json_object_get(analysis, "reflections");
  store_mevs_add(&evs, "reflection", json_deep_copy(json_array_get(refl, json_array_size(refl) - 1)));
  int again = 0;
  if (!m->offline && round < m->max_rounds && !budget_reached(m)) {
    size_t i;
    json_t *s;
    json_array_foreach(
        out, i, s) if (!json_is_string(json_object_get(s, "parent_id")) && needs_research(m, s, round + 1)) again = 1;
  }
  if (!again) split_rich_sections(m, out, notes);
  json_decref(notes);
  char *a = json_dumps(flat, JSON_COMPACT | JSON_SORT_KEYS), *b = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
  json_t *ta = json_pack("{s:o}", "s", tree_of(flat, NULL)), *tb = json_pack("{s:o}", "s", tree_of(out, NULL));
  char *ta_s = json_dumps(ta, JSON_COMPACT | JSON_SORT_KEYS), *tb_s = json_dumps(tb, JSON_COMPACT | JSON_SORT_KEYS);
  if (strcmp(ta_s, tb_s) != 0) add_plan_event(&evs, out);
  free(a);
  free(b);
  free(ta_s);
  free(tb_s);
  json_decref(ta);
  json_decref(tb);
  const char *next = again ? "research" : "write";
  int nround = again ? round + 1 : round;
  /* the progress as the store will read it: with the reflected sections */
  double p = agents_progress("running", next, nround, json_object_get(m->row, "settings"), out, NULL, NULL);
  add_phase(&evs, next, nround, again ? 0 : 1, p);
  add_stats(m, &evs, p);
  json_t *f =
      json_pack("{s:s, s:i, s:i, s:o}", "phase", next, "round", nround, "pass", again ? 0 : 1, "analysis", analysis);
  rc = store_mission_set_sections(m->deps->store, m->id, out, f, &evs);
  json_decref(f);
  json_decref(out);
  json_decref(flat);
  emit(m->deps, m->id, &evs);
  return rc == STORE_OK ? 0 : -1;
}

typedef struct {
  json_t *flat, *notes, *drafts, *review;
  const char *kind;
} write_ctx_t;

/* The extractive body of a section with subsections: each subsection's
 * notes under its ### heading. malloc'd. */
static char *offline_write_subsections(mrun_t *m, json_t *subs, json_t *notes) {
  json_t *groups = agent_group_notes(subs, notes), *g;
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t k;
  json_array_foreach(groups, k, g) {
    if (!json_array_size(g)) continue;
    json_t *sub = json_array_get(subs, k);
    char *t = offline_write(m, sub, g);
    buf_printf(&b, "%s### %s\n\n%s", b.len ? "\n\n" : "", json_string_value(json_object_get(sub, "title")), t);
    free(t);
  }
  json_decref(groups);
  return buf_detach(&b, NULL);
}

static int write_one(mrun_t *m, json_t *item, char *err, size_t errlen) {
  json_t *section = json_object_get(item, "section");
  json_t *notes = json_object_get(item, "notes");
  json_t *subs = json_object_get(item, "subsections");
  const char *prev = json_string_value(json_object_get(item, "previous"));
  json_t *sugg = json_object_get(item, "suggestions");
  const char *kind = json_string_value(json_object_get(item, "kind"));
  store_mevs_t evs = {0};
  char *text = NULL;
  int rc = 0;
  if (m->offline && json_array_size(subs))
    text = offline_write_subsections(m, subs, notes);
  else if (m->offline)
    text = offline_write(m, section, notes);
  else {
    mrun_t mc = *m; /* this worker's calls are about this section */
    mc.call_context = json_pack("{s:O, s:O, s:I}", "section_id", json_object_get(section, "id"), "section_title",
                                json_object_get(section, "title"), "notes", (json_int_t)json_array_size(notes));
    rc = writer_run(&mc, section, subs, notes, prev, sugg, &text, &evs, err, errlen);
    json_decref(mc.call_context);
  }
  if (rc != 0) {
    store_mevs_clear(&evs);
    return rc;
  }
  pthread_mutex_lock(&m->ag->commit_lock); /* progress events in commit order */
  add_stats(m, &evs,
            strcmp(kind, "write") ? progress_of(m, "revise", 0, NULL)
                                  : progress_of(m, "write", 0, json_string_value(json_object_get(section, "id"))));
  rc = store_mission_put_draft(m->deps->store, m->id, json_string_value(json_object_get(section, "id")), kind, text,
                               NULL, &evs);
  emit(m->deps, m->id, &evs);
  pthread_mutex_unlock(&m->ag->commit_lock);
  free(text);
  return rc == STORE_OK ? 0 : -1;
}

/* Writes items (write_one's jobs, each holding its own references) in
 * parallel, then moves to phase next at pass; takes items. */
static int write_sections(mrun_t *m, json_t *items, const char *next, int round, int pass, char *err, size_t errlen) {
  int rc = run_parallel(m, items, write_one, err, errlen);
  json_decref(items);
  if (rc != 0 || mrun_cancelled(m)) return rc;
  store_mevs_t evs = {0};
  return commit_phase(m, next, round, pass, NULL, &evs);
}

static int step_write(mrun_t *m, int round, char *err, size_t errlen) {
  if (json_array_size(m->custom_agents)) custom_before_writing(m, round);
  if (mrun_cancelled(m)) return 0;
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *notes = store_mission_notes(m->deps->store, m->id, NULL);
  json_t *drafts = store_mission_drafts(m->deps->store, m->id);
  json_t *items = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    if (json_is_string(json_object_get(s, "parent_id")) || json_object_get(drafts, id)) continue;
    json_t *sn = agent_section_notes(notes, id);
    if (!json_array_size(sn) && (m->use_docs || m->use_web || m->use_scholarly || m->use_plugins))
      mrun_warn(m, "section_without_notes", id, 0, "Section \"%s\" has no verified notes: its text cites nothing",
                json_string_value(json_object_get(s, "title")));
    json_decref(sn);
    json_array_append_new(
        items, json_pack("{s:O, s:o, s:o, s:s}", "section", s, "notes", agent_section_notes(notes, id), "subsections",
                         children_of(flat, id), "kind", "write"));
  }
  json_decref(flat);
  json_decref(notes);
  json_decref(drafts);
  return write_sections(m, items, "review", round, 1, err, errlen);
}

static int step_review(mrun_t *m, int round, int pass, char *err, size_t errlen) {
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *top = children_of(flat, NULL);
  json_t *drafts = store_mission_drafts(m->deps->store, m->id);
  store_mevs_t evs = {0};
  json_t *review = NULL;
  int rc = 0;
  if (m->offline)
    review = offline_review(m, top, drafts);
  else
    rc = reviewer_run(m, top, drafts, &review, &evs, err, errlen);
  json_decref(flat);
  json_decref(top);
  json_decref(drafts);
  if (rc != 0) {
    store_mevs_clear(&evs);
    return rc;
  }
  json_object_set_new(review, "pass", json_integer(pass));
  int revise = 0;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(review, "sections"), i, v) if (json_is_true(json_object_get(v, "needs_revision")))
      revise = 1;
  const char *next = (!m->offline && revise && pass < m->max_passes) ? "revise" : "verify";
  return commit_phase(m, next, round, pass, json_pack("{s:o}", "review", review), &evs);
}

static int step_revise(mrun_t *m, int round, int pass, char *err, size_t errlen) {
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *notes = store_mission_notes(m->deps->store, m->id, NULL);
  json_t *drafts = store_mission_drafts(m->deps->store, m->id);
  json_t *review = json_object_get(m->row, "review");
  json_t *items = json_array();
  char kind[32];
  snprintf(kind, sizeof kind, "revise-%d", pass);
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(review, "sections"), i, v) {
    if (!json_is_true(json_object_get(v, "needs_revision"))) continue;
    const char *id = json_string_value(json_object_get(v, "id"));
    json_t *d = id ? json_object_get(drafts, id) : NULL;
    if (!d || !strcmp(json_string_value(json_object_get(d, "kind")), kind)) continue;
    json_t *sec = NULL;
    size_t k;
    json_t *s;
    json_array_foreach(flat, k, s) if (!strcmp(json_string_value(json_object_get(s, "id")), id)) sec = s;
    if (!sec) continue;
    json_array_append_new(
        items, json_pack("{s:O, s:o, s:o, s:O, s:O, s:s}", "section", sec, "notes", agent_section_notes(notes, id),
                         "subsections", children_of(flat, id), "previous", json_object_get(d, "content"), "suggestions",
                         json_object_get(v, "suggestions"), "kind", kind));
  }
  json_decref(flat);
  json_decref(notes);
  json_decref(drafts);
  return write_sections(m, items, pass + 1 < m->max_passes ? "review" : "verify", round, pass + 1, err, errlen);
}

static int step_verify(mrun_t *m, int round, int pass, char *err, size_t errlen) {
  json_t *drafts = store_mission_drafts(m->deps->store, m->id);
  json_t *notes = store_mission_notes(m->deps->store, m->id, NULL);
  store_mevs_t evs = {0};
  json_t *changed = NULL, *details = NULL;
  int checked = 0, supported = 0;
  int rc = verifier_run(m, drafts, notes, &changed, &details, &checked, &supported, &evs, err, errlen);
  if (rc == 0) {
    json_t *flat = store_mission_sections(m->deps->store, m->id);
    rc = guard_unverified(m, flat, drafts, notes, changed, details, &checked, &supported, &evs, err, errlen);
    json_decref(flat);
  }
  json_decref(drafts);
  json_decref(notes);
  if (rc != 0) {
    json_decref(changed);
    json_decref(details);
    store_mevs_clear(&evs);
    return rc;
  }
  const char *sid;
  json_t *text;
  json_object_foreach(changed, sid, text) {
    rc = store_mission_put_draft(m->deps->store, m->id, sid, "verified", json_string_value(text), NULL, &evs);
    emit(m->deps, m->id, &evs);
    if (rc != STORE_OK) {
      /* the next phase would assemble the drafts the verifier rejected */
      snprintf(err, errlen, "cannot save the verified draft of section %s", sid);
      json_decref(changed);
      json_decref(details);
      store_mevs_clear(&evs);
      return -1;
    }
  }
  json_decref(changed);
  json_t *review = json_object_get(m->row, "review");
  json_t *nr = json_is_object(review) ? json_deep_copy(review) : json_object();
  json_object_set_new(nr, "verification", details);
  store_mevs_add(&evs, "verification", json_pack("{s:i, s:i}", "checked", checked, "supported", supported));
  return commit_phase(m, "assemble", round, pass,
                      json_pack("{s:i, s:i, s:o}", "checked", checked, "supported", supported, "review", nr), &evs);
}

static json_t *run_record(mrun_t *m, json_t *row) {
  store_llm_totals_t t = {0};
  store_llm_calls_totals(m->deps->store, m->id, &t);
  json_t *calls = store_llm_calls_list_mission(m->deps->store, m->id, 0, 0);
  json_t *models = json_array(), *seen = json_object();
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) {
    const char *model = json_string_value(json_object_get(c, "model"));
    if (model && model[0] && !json_object_get(seen, model)) {
      json_object_set_new(seen, model, json_true());
      json_array_append_new(models, json_string(model));
    }
  }
  json_decref(calls);
  json_decref(seen);
  double dur = 0;
  json_t *st = json_object_get(row, "started_at");
  (void)st;
  dur = (double)(util_now_ms() - m->t0) / 1000.0;
  json_t *w = json_object_get(row, "warnings");
  json_t *warnings = json_is_array(w) ? json_incref(w) : json_array();
  /* reading: searches made and distinct passages read over every round */
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", m->id);
  json_t *evs = store_event_list(m->deps->store, channel, 0, 1000000), *read = json_object();
  long long searches = 0;
  json_array_foreach(evs, i, c) {
    const char *name = json_string_value(json_object_get(c, "event"));
    if (!name || strcmp(name, "sources_read")) continue;
    json_t *d = json_object_get(c, "data");
    searches += json_integer_value(json_object_get(d, "searches"));
    size_t k;
    json_t *key;
    json_array_foreach(json_object_get(d, "passages"), k, key)
        json_object_set(read, json_string_value(key), json_true());
  }
  json_decref(evs);
  json_t *rec = json_pack("{s:o, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:b, s:b, s:o}", "models", models, "calls",
                          (json_int_t)t.calls, "cached_calls", (json_int_t)t.cached, "tokens",
                          (json_int_t)(t.prompt_tokens + t.completion_tokens), "cost", t.cost_usd, "duration_s", dur,
                          "checked", json_integer_value(json_object_get(row, "checked")), "supported",
                          json_integer_value(json_object_get(row, "supported")), "offline", m->offline, "budget_hit",
                          (int)json_integer_value(json_object_get(row, "budget_hit")), "warnings", warnings);
  json_object_set_new(rec, "depth", json_string(m->depth));
  json_object_set_new(rec, "searches", json_integer(searches));
  json_object_set_new(rec, "passages_read", json_integer((json_int_t)json_object_size(read)));
  json_t *runs = store_cagent_runs(m->deps->store, m->id);
  json_object_set_new(rec, "custom_agents", runs ? runs : json_array());
  json_decref(read);
  return rec;
}

/* "no_evidence" when the mission asked for sources (notes were expected)
 * and no cited sentence of its report was verified against them; else "ok". */
static const char *outcome_of(mrun_t *m, json_t *row) {
  return (m->use_docs || m->use_web || m->use_scholarly || m->use_plugins) &&
                 json_integer_value(json_object_get(row, "supported")) <= 0
             ? "no_evidence"
             : "ok";
}

/* {document_id: {filename, title, authors, year}} of the notes' documents,
 * for the reference list. */
static json_t *cited_documents(mrun_t *m, json_t *notes) {
  json_t *out = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *id = json_string_value(json_object_get(n, "document_id"));
    store_doc_t *d = NULL;
    if (!id || !id[0] || json_object_get(out, id) || store_doc_get(m->deps->store, m->user_id, id, &d) != STORE_OK)
      continue;
    json_object_set_new(out, id,
                        json_pack("{s:s?, s:s?, s:s?, s:s?}", "filename", d->filename, "title", d->bib.title, "authors",
                                  d->bib.authors, "year", d->bib.year));
    store_doc_free(d);
  }
  return out;
}

/* Document notes take their document's bibliographic record as it is now
 * (title, authors, year, venue, DOI, arXiv id: extracted at ingestion or
 * edited by the user), so a reference names the work, not a file. */
static void cite_documents(mrun_t *m, json_t *notes) {
  json_t *cache = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *doc = json_string_value(json_object_get(n, "document_id"));
    if (!doc || !doc[0]) continue;
    json_t *cite = json_object_get(cache, doc);
    if (!cite) {
      cite = store_doc_cite_json(m->deps->store, m->user_id, doc);
      if (!cite) cite = json_object(); /* deleted since: keep what the note says */
      json_object_set_new(cache, doc, cite);
    }
    const char *key;
    json_t *v;
    json_object_foreach(cite, key, v) json_object_set(n, !strcmp(key, "title") ? "source_title" : key, v);
  }
  json_decref(cache);
}

/* The charts plugins draw for the plugin sources the notes came from: a
 * plugin with a tool named "charts" is asked once per locator ({locator}
 * -> {charts:[{title, svg}]}). At most 8 charts; a failure is a warning. */
static json_t *plugin_charts(mrun_t *m, json_t *notes) {
  json_t *charts = json_array(), *asked = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *url = json_string_value(json_object_get(n, "url"));
    const char *slash = url && util_starts_with(url, "plugin:") ? strchr(url, '/') : NULL;
    const char *hash = slash ? strchr(slash, '#') : NULL;
    if (!hash || json_object_get(asked, url) || json_array_size(charts) >= 8) continue;
    json_object_set_new(asked, url, json_true());
    char name[40];
    snprintf(name, sizeof name, "%.*s", (int)(slash - url - 7 < 39 ? slash - url - 7 : 39), url + 7);
    json_t *d = plugins_describe(m->deps->plugins), *p, *t, *out = NULL;
    int has = 0;
    size_t k, j;
    json_array_foreach(json_object_get(d, "plugins"), k, p) {
      if (strcmp(json_string_value(json_object_get(p, "name")), name)) continue;
      json_array_foreach(json_object_get(p, "tools"), j, t) has |=
          !strcmp(json_string_value(json_object_get(t, "name")), "charts");
    }
    json_decref(d);
    if (!has) continue;
    json_t *in = json_pack("{s:s}", "locator", hash + 1);
    char e[512];
    plugins_caller_t who = mrun_plugins_caller(m);
    if (plugins_call_tool_as(m->deps->plugins, &who, name, "charts", in, &out, e, sizeof e) == 0) {
      json_t *c;
      json_array_foreach(json_object_get(out, "charts"), j, c) if (json_array_size(charts) < 8)
          json_array_append(charts, c);
    } else
      mrun_warn(m, "plugin_charts_failed", NULL, 0, "Charts of %s could not be drawn: %s", url, e);
    json_decref(in);
    json_decref(out);
  }
  json_decref(asked);
  return charts;
}

static int step_assemble(mrun_t *m, char *err, size_t errlen) {
  json_t *flat = store_mission_sections(m->deps->store, m->id);
  json_t *top = children_of(flat, NULL);
  json_t *drafts = store_mission_drafts(m->deps->store, m->id);
  json_t *notes = store_mission_notes(m->deps->store, m->id, NULL);
  json_t *review = json_object_get(m->row, "review");
  json_t *record = run_record(m, m->row);
  const char *outcome = outcome_of(m, m->row);
  json_object_set_new(record, "outcome", json_string(outcome));
  const char *prev = json_string_value(json_object_get(json_object_get(m->row, "settings"), "previous_run"));
  char *changes = prev ? schedule_changes(m->deps, m->user_id, prev, m->language, flat, drafts, notes) : NULL;
  cite_documents(m, notes);
  json_t *documents = cited_documents(m, notes);
  json_t *charts = m->use_plugins ? plugin_charts(m, notes) : NULL;
  report_input_t in = {.title = m->title,
                       .charts = charts,
                       .changes = changes,
                       .language = m->language,
                       .sections = top,
                       .drafts = drafts,
                       .notes = notes,
                       .introduction = json_string_value(json_object_get(review, "introduction")),
                       .conclusion = json_string_value(json_object_get(review, "conclusion")),
                       .record = record,
                       .access_ms = util_now_ms(),
                       .documents = documents,
                       .verification = json_object_get(review, "verification")};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  json_decref(charts);
  free(changes);
  json_decref(documents);
  json_object_set(meta, "record", record);
  store_mevs_t evs = {0};
  add_phase(&evs, "done", m->max_rounds, 0, 1.0);
  add_stats(m, &evs, 1.0);
  store_mevs_add(
      &evs, "status",
      json_pack("{s:s, s:s, s:f, s:s}", "status", "completed", "phase", "done", "progress", 1.0, "outcome", outcome));
  json_t *f = json_pack("{s:s, s:s, s:I, s:n, s:s}", "status", "completed", "phase", "done", "finished_at",
                        (json_int_t)util_now_ms(), "error", "outcome", outcome);
  int rc = store_mission_add_report(m->deps->store, m->id, md, meta, f, NULL, &evs);
  json_decref(f);
  free(md);
  json_decref(meta);
  json_decref(record);
  json_decref(flat);
  json_decref(top);
  json_decref(drafts);
  json_decref(notes);
  emit(m->deps, m->id, &evs);
  if (rc != STORE_OK) {
    snprintf(err, errlen, "cannot store the report");
    return -1;
  }
  return 0;
}

/* ---- the run loop ---- */

static void fail_mission(mrun_t *m, const char *msg) {
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "error", json_pack("{s:s}", "message", msg));
  store_mevs_add(&evs, "status", json_pack("{s:s, s:s}", "status", "failed", "error", msg));
  static const char *const running[] = {"running", NULL};
  json_t *f = json_pack("{s:s, s:s}", "status", "failed", "error", msg);
  store_mission_update(m->deps->store, m->id, running, f, &evs);
  json_decref(f);
  emit(m->deps, m->id, &evs);
  metrics_counter_add(M_TOTAL, M_TOTAL_HELP, "status", "failed", 1);
}

int agents_mission_run(agents_t *ag, const char *mission_id, atomic_int *cancel, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  json_t *row = NULL;
  if (store_mission_get(deps->store, NULL, mission_id, &row) != STORE_OK) {
    snprintf(err, errlen, "mission %s not found", mission_id);
    return MISSION_RUN_FAILED;
  }
  const char *status = json_string_value(json_object_get(row, "status"));
  if (strcmp(status, "queued") != 0 && strcmp(status, "running") != 0) {
    json_decref(row);
    return MISSION_RUN_HALTED;
  }
  agents_slot_t *slot = slot_take(ag, mission_id);
  if (!slot) {
    json_decref(row);
    return MISSION_RUN_REQUEUE;
  }
  mrun_t m = {.ag = ag, .deps = deps, .cancel = &slot->cancel, .cancel_user = cancel, .t0 = util_now_ms()};
  mrun_load(&m, row);
  m.custom_agents = custom_agents_resolve(&m);
  {
    store_mevs_t evs = {0};
    store_mevs_add(
        &evs, "status",
        json_pack("{s:s, s:s}", "status", "running", "phase", json_string_value(json_object_get(row, "phase"))));
    json_t *f = json_pack("{s:s, s:n, s:n}", "status", "running", "error", "outcome");
    if (json_is_null(json_object_get(row, "started_at")))
      json_object_set_new(f, "started_at", json_integer(util_now_ms()));
    static const char *const ok[] = {"queued", "running", NULL};
    int rc = store_mission_update(deps->store, m.id, ok, f, &evs);
    json_decref(f);
    emit(deps, m.id, &evs);
    if (rc != STORE_OK) {
      slot_give(ag, slot);
      json_decref(row);
      json_decref(m.custom_agents);
      return MISSION_RUN_HALTED;
    }
  }
  metrics_gauge_add(M_ACTIVE, M_ACTIVE_HELP, 1);
  log_info("agents", "mission %s: running from phase %s", m.id, json_string_value(json_object_get(row, "phase")));
  int result = MISSION_RUN_HALTED;
  for (;;) {
    /* re-read the committed state: the source of truth between steps */
    json_t *cur = NULL;
    if (store_mission_get(deps->store, NULL, m.id, &cur) != STORE_OK) {
      snprintf(err, errlen, "mission %s disappeared", m.id);
      result = MISSION_RUN_HALTED;
      break;
    }
    json_decref(m.row);
    mrun_load(&m, cur);
    const char *st = json_string_value(json_object_get(cur, "status"));
    if (strcmp(st, "running") != 0) {
      result = !strcmp(st, "completed") ? MISSION_RUN_DONE : MISSION_RUN_HALTED;
      break;
    }
    if (mrun_cancelled(&m)) {
      result = (cancel && atomic_load(cancel)) || atomic_load(m.cancel) ? MISSION_RUN_HALTED : MISSION_RUN_REQUEUE;
      break;
    }
    const char *phase = json_string_value(json_object_get(cur, "phase"));
    int round = (int)json_integer_value(json_object_get(cur, "round"));
    int pass = (int)json_integer_value(json_object_get(cur, "pass"));
    int64_t t0 = util_mono_ms();
    int rc;
    char e[1024] = "";
    if (!strcmp(phase, "analyse"))
      rc = step_analyse(&m, e, sizeof e);
    else if (!strcmp(phase, "plan"))
      rc = step_plan(&m, e, sizeof e);
    else if (!strcmp(phase, "research"))
      rc = step_research(&m, round < 1 ? 1 : round, e, sizeof e);
    else if (!strcmp(phase, "reflect"))
      rc = step_reflect(&m, round, e, sizeof e);
    else if (!strcmp(phase, "write"))
      rc = step_write(&m, round, e, sizeof e);
    else if (!strcmp(phase, "review"))
      rc = step_review(&m, round, pass < 1 ? 1 : pass, e, sizeof e);
    else if (!strcmp(phase, "revise"))
      rc = step_revise(&m, round, pass < 1 ? 1 : pass, e, sizeof e);
    else if (!strcmp(phase, "verify"))
      rc = step_verify(&m, round, pass, e, sizeof e);
    else if (!strcmp(phase, "assemble"))
      rc = step_assemble(&m, e, sizeof e);
    else {
      snprintf(e, sizeof e, "unknown phase %s", phase);
      rc = -1;
    }
    log_info("agents", "mission %s: %s round %d pass %d: %s in %lld ms", m.id, phase, round, pass,
             rc == 0 ? "done" : "interrupted", (long long)(util_mono_ms() - t0));
    if (rc == LLM_ERR_CANCELLED || (rc != 0 && mrun_cancelled(&m))) continue; /* loop re-reads and exits */
    if (rc != 0) {
      snprintf(err, errlen, "%s: %s", phase, e[0] ? e : "step failed");
      fail_mission(&m, err);
      result = MISSION_RUN_FAILED;
      break;
    }
    if (!strcmp(phase, "assemble")) {
      metrics_counter_add(M_TOTAL, M_TOTAL_HELP, "status", "completed", 1);
      result = MISSION_RUN_DONE;
      break;
    }
  }
  metrics_gauge_add(M_ACTIVE, M_ACTIVE_HELP, -1);
  json_decref(m.row);
  json_decref(m.custom_agents);
  slot_give(ag, slot);
  return result;
}

/* ---- jobs and channel access ---- */

static job_result_t mission_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen) {
  (void)jobs;
  agents_t *ag = ud;
  int rc = agents_mission_run(ag, job->ref_id, NULL, err, errlen);
  if (rc == MISSION_RUN_REQUEUE) return JOB_REQUEUE;
  if (rc == MISSION_RUN_FAILED) return JOB_FAILED;
  return JOB_DONE;
}

agents_t *agents_new(const agents_deps_t *deps, char *err, size_t errlen) {
  agents_t *ag = calloc(1, sizeof *ag);
  if (!ag) abort();
  ag->deps = *deps;
  pthread_mutex_init(&ag->lock, NULL);
  pthread_mutex_init(&ag->commit_lock, NULL);
  ag->inflight = json_object();
  util_cond_init_monotonic(&ag->sched_cond);
  if (deps->jobs) {
    int n = (int)config_int(deps->cfg, "MAX_CONCURRENT_MISSIONS");
    if (jobs_register(deps->jobs, "mission", n < 1 ? 1 : n, mission_job, ag) != 0) {
      snprintf(err, errlen, "cannot register the mission job kind");
      agents_free(ag);
      return NULL;
    }
  }
  agent_tools_register(ag, agent_tools_mcp_provider, NULL);
  custom_agents_load_dir(ag);
  metrics_gauge_set(M_ACTIVE, M_ACTIVE_HELP, 0);
  return ag;
}

void agents_free(agents_t *ag) {
  if (!ag) return;
  agents_scheduler_stop(ag);
  pthread_cond_destroy(&ag->sched_cond);
  pthread_mutex_destroy(&ag->commit_lock);
  pthread_mutex_destroy(&ag->lock);
  json_decref(ag->inflight);
  free(ag);
}

/* ---- creation and controls ---- */

static int fail(agents_err_t *why, agents_err_t code, char *err, size_t errlen, const char *msg) {
  *why = code;
  snprintf(err, errlen, "%s", msg);
  return -1;
}

int agents_mission_create(agents_t *ag, const char *user_id, json_t *req, int submit, char *id_out, agents_err_t *why,
                          char *err, size_t errlen, json_t **preflight_out) {
  const agents_deps_t *deps = &ag->deps;
  if (preflight_out) *preflight_out = NULL;
  json_t *jt = json_object_get(req, "title"), *jd = json_object_get(req, "description");
  json_t *jq = json_object_get(req, "research_questions"), *js = json_object_get(req, "sources");
  json_t *jg = json_object_get(req, "group_id"), *jset = json_object_get(req, "settings");
  json_t *jsch = json_object_get(req, "schedule");
  if (jt && !json_is_null(jt) && !json_is_string(jt)) return fail(why, AGENTS_E_INVALID, err, errlen, "title must be a string");
  if (jd && !json_is_null(jd) && !json_is_string(jd))
    return fail(why, AGENTS_E_INVALID, err, errlen, "description must be a string");
  if (jq && !json_is_null(jq) && !json_is_array(jq))
    return fail(why, AGENTS_E_INVALID, err, errlen, "research_questions must be an array of strings");
  json_t *questions = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(jq, i, v) {
    if (!json_is_string(v)) {
      json_decref(questions);
      return fail(why, AGENTS_E_INVALID, err, errlen, "research_questions must be an array of strings");
    }
    if (json_string_length(v) > 2000) {
      json_decref(questions);
      return fail(why, AGENTS_E_INVALID, err, errlen, "research_questions: each question is at most 2000 characters");
    }
    char *t = util_strdup(json_string_value(v));
    util_trim(t);
    if (t[0]) json_array_append_new(questions, json_string(t));
    free(t);
  }
  if (!json_array_size(questions)) {
    json_decref(questions);
    return fail(why, AGENTS_E_INVALID, err, errlen, "research_questions needs at least one question");
  }
  const char *title = json_string_value(jt);
  if (!title || !title[0]) title = json_array_size(questions) ? json_string_value(json_array_get(questions, 0)) : NULL;
  if (!title || !title[0] || strlen(title) > 500) {
    json_decref(questions);
    return fail(why, AGENTS_E_INVALID, err, errlen, "title is required (1-500 characters)");
  }
  if (json_array_size(questions) > 30 || (jd && json_string_length(jd) > 20000)) {
    json_decref(questions);
    return fail(why, AGENTS_E_INVALID, err, errlen, "too many questions (30) or description too long (20000)");
  }
  json_t *sources = json_array();
  if (js && !json_is_null(js)) {
    if (!json_is_array(js)) {
      json_decref(questions);
      json_decref(sources);
      return fail(why, AGENTS_E_INVALID, err, errlen, "sources must be an array");
    }
    json_array_foreach(js, i, v) {
      const char *s = json_string_value(v);
      if (s && util_starts_with(s, "plugin:") && !plugins_has_source(deps->plugins, s)) {
        json_decref(questions);
        json_decref(sources);
        *why = AGENTS_E_INVALID;
        snprintf(err, errlen, "sources: %.200s is not a source of a loaded plugin (GET /api/plugins lists them)", s);
        return -1;
      }
      if (!s || (strcmp(s, "local_documents") && strcmp(s, "web_search") && strcmp(s, "scholarly") &&
                 strcmp(s, "tools") && !util_starts_with(s, "plugin:"))) {
        json_decref(questions);
        json_decref(sources);
        return fail(why, AGENTS_E_INVALID, err, errlen,
                    "sources may contain only local_documents, web_search, scholarly, tools and plugin sources "
                    "(plugin:<name>/<source>)");
      }
      json_array_append(sources, v);
    }
  } else
    json_array_append_new(sources, json_string("local_documents"));
  if (jset && !json_is_null(jset) && !json_is_object(jset)) {
    json_decref(questions);
    json_decref(sources);
    return fail(why, AGENTS_E_INVALID, err, errlen, "settings must be an object");
  }
  json_t *settings = json_is_object(jset) ? json_deep_copy(jset) : json_object();
  const char *lang = json_string_value(json_object_get(req, "language"));
  if (lang && !json_object_get(settings, "language")) json_object_set_new(settings, "language", json_string(lang));
  if (json_is_true(json_object_get(req, "offline"))) json_object_set_new(settings, "offline", json_true());
  /* every key, type and range from the one table (msettings.c) */
  if (mission_settings_check(settings, err, errlen) != 0 ||
      custom_agents_check_exist(ag, json_object_get(settings, "custom_agents"), err, errlen) != 0) {
    *why = AGENTS_E_INVALID;
    json_decref(questions);
    json_decref(sources);
    json_decref(settings);
    return -1;
  }
  json_t *jdepth = json_object_get(settings, "depth");
  if (!jdepth || json_is_null(jdepth)) json_object_set_new(settings, "depth", json_string("standard"));
  json_t *prev = json_object_get(settings, "previous_run");
  json_t *prow = NULL;
  if (prev && (!json_is_string(prev) || store_mission_get(deps->store, user_id, json_string_value(prev), &prow))) {
    json_decref(questions);
    json_decref(sources);
    json_decref(settings);
    return fail(why, AGENTS_E_INVALID, err, errlen, "settings.previous_run must be the id of one of your missions");
  }
  json_decref(prow);
  const char *group = json_string_value(jg);
  const char *sched = json_string_value(jsch);
  if (sched && strcmp(sched, "weekly") && strcmp(sched, "monthly") && strcmp(sched, "quarterly")) {
    json_decref(questions);
    json_decref(sources);
    json_decref(settings);
    return fail(why, AGENTS_E_INVALID, err, errlen, "schedule must be weekly, monthly or quarterly");
  }
  if (group && group[0] && store_group_owned(deps->store, user_id, group) != 1) {
    json_decref(questions);
    json_decref(sources);
    json_decref(settings);
    *why = AGENTS_E_NOT_FOUND;
    snprintf(err, errlen, "group %s not found", group);
    return -1;
  }
  json_t *ae = json_object_get(req, "allow_empty");
  if (ae && !json_is_boolean(ae)) {
    json_decref(questions);
    json_decref(sources);
    json_decref(settings);
    return fail(why, AGENTS_E_INVALID, err, errlen, "allow_empty must be true or false");
  }
  if (!json_is_true(ae)) {
    json_t *pfreq = json_pack("{s:O, s:O?}", "sources", sources, "group_id", jg);
    json_t *pf = agents_preflight(ag, user_id, pfreq, AGENTS_PREFLIGHT_PROBE_WEB_IF_NEEDED);
    json_decref(pfreq);
    if (json_is_true(json_object_get(pf, "empty"))) {
      json_decref(questions);
      json_decref(sources);
      json_decref(settings);
      if (preflight_out)
        *preflight_out = pf;
      else
        json_decref(pf);
      return fail(why, AGENTS_E_INVALID, err, errlen,
                  "this mission has nothing to research: no documents it can search and no working web search "
                  "(send \"allow_empty\": true to start it anyway)");
    }
    json_decref(pf);
  }
  store_mission_new_t nm = {.user_id = user_id,
                            .title = title,
                            .description = json_string_value(jd),
                            .group_id = group && group[0] ? group : NULL,
                            .schedule = sched,
                            .questions = questions,
                            .sources = sources,
                            .settings = settings};
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "status", json_pack("{s:s, s:s}", "status", "queued", "phase", "analyse"));
  int rc = store_mission_insert(deps->store, &nm, id_out, &evs);
  json_decref(questions);
  json_decref(sources);
  json_decref(settings);
  if (rc != STORE_OK) {
    store_mevs_clear(&evs);
    return fail(why, AGENTS_E_INTERNAL, err, errlen, "cannot store the mission");
  }
  emit(deps, id_out, &evs);
  if (submit && deps->jobs) jobs_submit(deps->jobs, "mission", id_out, user_id, NULL, NULL);
  return 0;
}

static int owned(agents_t *ag, const char *user_id, const char *id, json_t **row, agents_err_t *why, char *err,
                 size_t errlen) {
  if (store_mission_get(ag->deps.store, user_id, id, row) != STORE_OK) {
    *why = AGENTS_E_NOT_FOUND;
    snprintf(err, errlen, "mission %s not found", id);
    return -1;
  }
  return 0;
}

static int transition(agents_t *ag, const char *id, const char *const *expect, const char *to, json_t *extra,
                      agents_err_t *why, char *err, size_t errlen) {
  store_mevs_t evs = {0};
  json_t *f = extra ? extra : json_object();
  json_object_set_new(f, "status", json_string(to));
  store_mevs_add(&evs, "status", json_pack("{s:s}", "status", to));
  int rc = store_mission_update(ag->deps.store, id, expect, f, &evs);
  json_decref(f);
  if (rc == STORE_CONFLICT) {
    store_mevs_clear(&evs);
    *why = AGENTS_E_CONFLICT;
    snprintf(err, errlen, "mission %s cannot go to %s from its current status", id, to);
    return -1;
  }
  if (rc != STORE_OK) {
    store_mevs_clear(&evs);
    *why = AGENTS_E_INTERNAL;
    snprintf(err, errlen, "cannot update mission %s", id);
    return -1;
  }
  emit(&ag->deps, id, &evs);
  return 0;
}

int agents_mission_pause(agents_t *ag, const char *user_id, const char *id, agents_err_t *why, char *err, size_t errlen) {
  json_t *row = NULL;
  if (owned(ag, user_id, id, &row, why, err, errlen)) return -1;
  json_decref(row);
  static const char *const from[] = {"queued", "running", NULL};
  if (transition(ag, id, from, "paused", NULL, why, err, errlen)) return -1;
  slot_cancel(ag, id);
  store_job_cancel_ref(ag->deps.store, "mission", id);
  return 0;
}

int agents_mission_stop(agents_t *ag, const char *user_id, const char *id, agents_err_t *why, char *err, size_t errlen) {
  json_t *row = NULL;
  if (owned(ag, user_id, id, &row, why, err, errlen)) return -1;
  json_decref(row);
  static const char *const from[] = {"queued", "running", "paused", "failed", NULL};
  if (transition(ag, id, from, "stopped", json_pack("{s:I}", "finished_at", (json_int_t)util_now_ms()), why, err,
                 errlen))
    return -1;
  slot_cancel(ag, id);
  store_job_cancel_ref(ag->deps.store, "mission", id);
  metrics_counter_add(M_TOTAL, M_TOTAL_HELP, "status", "stopped", 1);
  return 0;
}

/* Queues a run unless one is already queued. A run still finishing (paused,
 * its model call not yet returned) does not count: it sees the new status and
 * ends, and the queued run waits for its slot (slot_take). */
static void submit_job(agents_t *ag, const char *id, const char *user_id) {
  if (ag->deps.jobs && !store_job_queued_for(ag->deps.store, "mission", id))
    jobs_submit(ag->deps.jobs, "mission", id, user_id, NULL, NULL);
}

int agents_mission_resume(agents_t *ag, const char *user_id, const char *id, int submit, agents_err_t *why, char *err,
                          size_t errlen) {
  json_t *row = NULL;
  if (owned(ag, user_id, id, &row, why, err, errlen)) return -1;
  char owner[17];
  snprintf(owner, sizeof owner, "%s", json_string_value(json_object_get(row, "user_id")));
  json_decref(row);
  static const char *const from[] = {"paused", "failed", NULL};
  if (transition(ag, id, from, "queued", json_pack("{s:n, s:n}", "error", "finished_at"), why, err, errlen))
    return -1;
  if (submit) submit_job(ag, id, owner);
  return 0;
}

static int is_running(json_t *row) {
  const char *s = json_string_value(json_object_get(row, "status"));
  return !strcmp(s, "running") || !strcmp(s, "queued");
}

int agents_mission_resume_round(agents_t *ag, const char *user_id, const char *id, int round, int submit, agents_err_t *why,
                                char *err, size_t errlen) {
  json_t *row = NULL;
  if (owned(ag, user_id, id, &row, why, err, errlen)) return -1;
  char owner[17];
  snprintf(owner, sizeof owner, "%s", json_string_value(json_object_get(row, "user_id")));
  int cur = (int)json_integer_value(json_object_get(row, "round"));
  json_t *rs = json_object_get(row, "settings");
  const agent_depth_t *rd = agent_depth(set_str(rs, "depth", "standard"));
  long long maxr = set_int(rs, "max_rounds", rd ? rd->rounds : 2);
  int running = is_running(row);
  int planned = json_integer_value(json_object_get(row, "sections_count")) > 0;
  json_decref(row);
  if (running) return fail(why, AGENTS_E_CONFLICT, err, errlen, "pause the mission before resuming from a round");
  if (!planned) return fail(why, AGENTS_E_CONFLICT, err, errlen, "the mission has no outline yet; resume it instead");
  if (round < 1 || round > (cur > maxr ? cur : maxr)) {
    *why = AGENTS_E_INVALID;
    snprintf(err, errlen, "round must be from 1 to %lld", (long long)(cur > maxr ? cur : maxr));
    return -1;
  }
  store_mevs_t evs = {0};
  store_mevs_add(&evs, "status", json_pack("{s:s, s:s, s:i}", "status", "queued", "phase", "research", "round", round));
  json_t *f = json_pack("{s:s, s:s, s:i, s:i, s:n, s:n, s:n, s:i, s:i}", "status", "queued", "phase", "research",
                        "round", round, "pass", 0, "review", "error", "finished_at", "checked", 0, "supported", 0);
  int rc = store_mission_rewind(ag->deps.store, id, round, f, &evs);
  json_decref(f);
  if (rc != STORE_OK) {
    store_mevs_clear(&evs);
    return fail(why, AGENTS_E_INTERNAL, err, errlen, "cannot rewind the mission");
  }
  emit(&ag->deps, id, &evs);
  if (submit) submit_job(ag, id, owner);
  return 0;
}

/* Flattens an edited plan into section rows: kept ids stay, new ones get
 * fresh ids (s<N>), subsections keep their parent. */
static int flatten_plan(json_t *secs, const char *parent, json_t *known, json_t *out, int *next, char *err,
                        size_t errlen) {
  size_t i;
  json_t *s;
  if (!json_is_array(secs)) {
    snprintf(err, errlen, "sections must be an array");
    return -1;
  }
  json_array_foreach(secs, i, s) {
    const char *title = json_string_value(json_object_get(s, "title"));
    if (!json_is_object(s) || !title || !title[0] || strlen(title) > 500) {
      snprintf(err, errlen, "every section needs a title (1-500 characters)");
      return -1;
    }
    json_t *q = json_object_get(s, "questions");
    json_t *qs = json_array();
    size_t k;
    json_t *v;
    json_array_foreach(q, k, v) if (json_is_string(v)) json_array_append(qs, v);
    const char *id = json_string_value(json_object_get(s, "id"));
    char fresh[24];
    if (!id || !json_object_get(known, id) || json_object_get(json_object_get(known, "_used"), id)) {
      do snprintf(fresh, sizeof fresh, "s%d", (*next)++);
      while (json_object_get(known, fresh));
      id = fresh;
    }
    json_object_set_new(json_object_get(known, "_used"), id, json_true());
    if (!json_array_size(qs)) json_array_append_new(qs, json_string(title));
    json_array_append_new(out,
                          json_pack("{s:s, s:s?, s:I, s:s, s:o, s:i}", "id", id, "parent_id", parent, "position",
                                    (json_int_t)json_array_size(out), "title", title, "questions", qs, "priority", 1));
    if (json_array_size(out) > 60) {
      snprintf(err, errlen, "too many sections (60)");
      return -1;
    }
    char idc[24];
    snprintf(idc, sizeof idc, "%s", id);
    json_t *subs = json_object_get(s, "subsections");
    if (subs && flatten_plan(subs, idc, known, out, next, err, errlen)) return -1;
  }
  return 0;
}

int agents_mission_set_plan(agents_t *ag, const char *user_id, const char *id, json_t *plan, int submit,
                            json_t **plan_out, agents_err_t *why, char *err, size_t errlen) {
  if (plan_out) *plan_out = NULL;
  json_t *row = NULL;
  if (owned(ag, user_id, id, &row, why, err, errlen)) return -1;
  char owner[17];
  snprintf(owner, sizeof owner, "%s", json_string_value(json_object_get(row, "user_id")));
  int running = is_running(row);
  int round = (int)json_integer_value(json_object_get(row, "round"));
  const char *st = json_string_value(json_object_get(row, "status"));
  int stopped = !strcmp(st, "stopped");
  int paused = !strcmp(st, "paused"); /* stays paused: the user resumes */
  json_decref(row);
  if (running) return fail(why, AGENTS_E_CONFLICT, err, errlen, "pause the mission before editing its outline");
  if (stopped) return fail(why, AGENTS_E_CONFLICT, err, errlen, "the mission was stopped");
  json_t *secs = json_object_get(plan, "sections");
  if (!secs && json_is_array(plan)) secs = plan;
  if (!json_array_size(secs)) return fail(why, AGENTS_E_INVALID, err, errlen, "the plan needs at least one section");
  json_t *old = store_mission_sections(ag->deps.store, id);
  json_t *known = json_object();
  json_object_set_new(known, "_used", json_object());
  size_t i;
  json_t *s;
  int next = 1;
  json_array_foreach(old, i, s) {
    json_object_set(known, json_string_value(json_object_get(s, "id")), s);
    next++;
  }
  json_t *flat = json_array();
  if (flatten_plan(secs, NULL, known, flat, &next, err, errlen)) {
    json_decref(flat);
    json_decref(known);
    json_decref(old);
    *why = AGENTS_E_INVALID;
    return -1;
  }
  json_decref(known);
  json_decref(old);
  if (round < 1) round = 1;
  store_mission_delete_drafts(ag->deps.store, id);
  store_mevs_t evs = {0};
  add_plan_event(&evs, flat);
  const char *to = paused ? "paused" : "queued";
  store_mevs_add(&evs, "status", json_pack("{s:s, s:s, s:i}", "status", to, "phase", "research", "round", round));
  json_t *f = json_pack("{s:s, s:s, s:i, s:i, s:n, s:n, s:n}", "status", to, "phase", "research", "round", round,
                        "pass", 0, "review", "error", "finished_at");
  int rc = store_mission_set_sections(ag->deps.store, id, flat, f, &evs);
  json_decref(f);
  json_decref(flat);
  if (rc != STORE_OK) {
    store_mevs_clear(&evs);
    return fail(why, AGENTS_E_INTERNAL, err, errlen, "cannot store the outline");
  }
  emit(&ag->deps, id, &evs);
  if (plan_out) *plan_out = agents_plan_json(ag, id);
  if (submit && !paused) submit_job(ag, id, owner);
  return 0;
}

json_t *agents_draft_json(agents_t *ag, const char *id) {
  const agents_deps_t *deps = &ag->deps;
  json_t *flat = store_mission_sections(deps->store, id);
  json_t *drafts = store_mission_drafts(deps->store, id);
  if (!flat || !drafts) {
    json_decref(flat);
    json_decref(drafts);
    return NULL;
  }
  json_t *numbers = json_object(), *secs = json_array();
  buf_t md = BUF_INIT;
  buf_init(&md);
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) {
    if (json_is_string(json_object_get(s, "parent_id"))) continue;
    const char *sid = json_string_value(json_object_get(s, "id"));
    json_t *d = json_object_get(drafts, sid);
    char *t = report_number_citations(d ? json_string_value(json_object_get(d, "content")) : "", numbers);
    json_array_append_new(
        secs, json_pack("{s:s, s:O, s:s, s:I, s:s}", "id", sid, "title", json_object_get(s, "title"), "content", t,
                        "version", d ? json_integer_value(json_object_get(d, "version")) : 0, "kind",
                        d ? json_string_value(json_object_get(d, "kind")) : ""));
    buf_printf(&md, "## %s\n\n%s\n\n", json_string_value(json_object_get(s, "title")), t);
    free(t);
  }
  json_t *out = json_pack("{s:o, s:s}", "sections", secs, "markdown", md.data ? md.data : "");
  buf_free(&md);
  json_decref(numbers);
  json_decref(flat);
  json_decref(drafts);
  return out;
}
