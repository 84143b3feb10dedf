/*
 * custom.c - user-defined agents (custom.h): their validation, AGENTS_DIR,
 * and their runs inside a mission.
 *
 * A custom agent's model call is an ordinary agent call (agent_call) made on
 * a copy of the mission's mrun_t whose role_prompt is the agent's prompt and
 * whose agent_label is its name, so the call is cached, metered, logged as
 * an agent_log event with agent = the name and shown in flight like any
 * other agent's.
 *
 *   after_research  in the research step of each section, after the
 *                   researcher: sees the section's questions, its notes and
 *                   the passages it read (only those from the agent's
 *                   sources), may call one of its tools first (tool_use.c),
 *                   and answers a critique and new notes; a new note must
 *                   quote a passage shown verbatim (checked like the
 *                   researcher's) and is stored with the section's notes.
 *   before_writing  once, at the start of the write step: sees every note
 *                   (from its sources) and answers a critique.
 *
 * What each run did, or why it was skipped (an offline mission, the model
 * failing, nothing to read), is a row of custom_agent_runs and a
 * "custom_agent" event; the report's run record lists them.
 */
#include "agents/custom.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "mcp/client.h"
#include "plugins/plugins.h"
#include "store/custom_agents.h"

#define DESCRIPTION_MAX 500
#define PROMPT_MAX 20000
#define LIST_MAX 16
/* Passage text shown per passage (bytes), and notes shown in all. */
#define PASSAGE_SHOWN 1500
#define NOTES_SHOWN 200

/* The built-in roles: a custom agent may not take their names. */
static const char *const RESERVED[] = {"planner",  "researcher", "reflector",     "writer",     "reviewer", "reviser",
                                       "verifier", "tool_user",  "mission_draft", "extractive", NULL};

int custom_agent_name_ok(const char *s) {
  if (!s || !(s[0] >= 'a' && s[0] <= 'z')) return 0;
  size_t n = strlen(s);
  if (n > 40) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_')) return 0;
  for (size_t i = 0; RESERVED[i]; i++)
    if (!strcmp(RESERVED[i], s)) return 0;
  return 1;
}

static int bad(char *field, const char *name, char *err, size_t errlen, const char *fmt, const char *arg) {
  snprintf(field, 32, "%s", name);
  snprintf(err, errlen, fmt, arg);
  return -1;
}

/* 1 when tool "x.y" is tool y of loaded plugin x, or x is an MCP server
 * user_id may use (its tools are listed only when connected: any y). */
static int tool_known(const agents_deps_t *deps, const char *user_id, const char *tool) {
  const char *dot = strchr(tool, '.');
  if (!dot || dot == tool || !dot[1]) return 0;
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%.*s", (int)(dot - tool < 63 ? dot - tool : 63), tool);
  int found = 0;
  json_t *d = plugins_describe(deps->plugins), *p, *t;
  size_t i, k;
  json_array_foreach(json_object_get(d, "plugins"), i, p) {
    if (strcmp(json_string_value(json_object_get(p, "name")), prefix)) continue;
    json_array_foreach(json_object_get(p, "tools"), k, t) found |=
        !strcmp(json_string_value(json_object_get(t, "name")), dot + 1);
  }
  json_decref(d);
  if (found) return 1;
  json_t *servers = mcp_servers_for_user(deps->llm, deps->store, user_id);
  found = json_object_get(servers, prefix) != NULL;
  json_decref(servers);
  return found;
}

static int source_known(const agents_deps_t *deps, const char *s) {
  if (!strcmp(s, "local_documents") || !strcmp(s, "web_search") || !strcmp(s, "scholarly")) return 1;
  return util_starts_with(s, "plugin:") && plugins_has_source(deps->plugins, s);
}

/* A list of distinct strings, each accepted by ok; NULL member: []. */
static int string_list(json_t *v, const char *name, json_t **out, char *field, char *err, size_t errlen) {
  *out = json_array();
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v) || json_array_size(v) > LIST_MAX) {
    json_decref(*out);
    *out = NULL;
    char what[40];
    snprintf(what, sizeof what, "%d", LIST_MAX);
    return bad(field, name, err, errlen, "must be a list of at most %s names", what);
  }
  size_t i;
  json_t *s;
  json_array_foreach(v, i, s) {
    if (!json_is_string(s) || !json_string_length(s) || json_string_length(s) > 200) {
      json_decref(*out);
      *out = NULL;
      return bad(field, name, err, errlen, "must be a list of names (strings of 1 to 200 characters)%s", "");
    }
    int dup = 0;
    size_t k;
    json_t *o;
    json_array_foreach(*out, k, o) dup |= json_equal(o, s);
    if (!dup) json_array_append(*out, s);
  }
  return 0;
}

int custom_agent_validate(agents_t *ag, const char *name, json_t *body, const char *user_id, json_t **def,
                          char *name_out, char *field, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  *def = NULL;
  name_out[0] = '\0';
  if (!json_is_object(body)) return bad(field, "body", err, errlen, "the definition must be a JSON object%s", "");
  static const char *const KEYS[] = {"name", "description", "prompt", "tools", "sources", "position", "disabled", NULL};
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v) {
    int known = 0;
    for (size_t i = 0; KEYS[i]; i++) known |= !strcmp(KEYS[i], key);
    if (!known)
      return bad(field, key, err, errlen,
                 "%.64s is not a field of an agent (name, description, prompt, tools, sources, position)", key);
  }
  json_t *jn = json_object_get(body, "name");
  if (jn && !json_is_string(jn)) return bad(field, "name", err, errlen, "name must be a string%s", "");
  const char *n = json_string_value(jn);
  if (name && n && strcmp(name, n))
    return bad(field, "name", err, errlen, "name cannot be changed (the agent is %.64s)", name);
  if (!n) n = name;
  if (!custom_agent_name_ok(n))
    return bad(field, "name", err, errlen,
               "name must be 1 to 40 characters a-z, 0-9, - and _, starting with a letter, and not a built-in "
               "agent's name%s",
               "");
  json_t *jd = json_object_get(body, "description");
  if (jd && !json_is_null(jd) && (!json_is_string(jd) || json_string_length(jd) > DESCRIPTION_MAX))
    return bad(field, "description", err, errlen, "description must be a string of at most %s bytes", "500");
  json_t *jp = json_object_get(body, "prompt");
  if (!json_is_string(jp) || json_string_length(jp) > PROMPT_MAX)
    return bad(field, "prompt", err, errlen, "prompt is required: the agent's instructions, at most %s bytes", "20000");
  char *prompt = util_strdup(json_string_value(jp));
  util_trim(prompt);
  if (!prompt[0] || memchr(json_string_value(jp), 0, json_string_length(jp))) {
    free(prompt);
    return bad(field, "prompt", err, errlen, "prompt is empty%s", "");
  }
  const char *pos = json_string_value(json_object_get(body, "position"));
  if (!pos || (strcmp(pos, "after_research") && strcmp(pos, "before_writing"))) {
    free(prompt);
    return bad(field, "position", err, errlen, "position must be after_research or before_writing%s", "");
  }
  json_t *tools = NULL, *sources = NULL;
  if (string_list(json_object_get(body, "tools"), "tools", &tools, field, err, errlen) != 0 ||
      string_list(json_object_get(body, "sources"), "sources", &sources, field, err, errlen) != 0) {
    free(prompt);
    json_decref(tools);
    return -1;
  }
  size_t i;
  json_array_foreach(tools, i, v) if (!tool_known(deps, user_id, json_string_value(v))) {
    snprintf(field, 32, "tools");
    snprintf(err, errlen,
             "tools: %.200s is not a known tool (plugin.tool of a loaded plugin, or server.tool of an MCP server in "
             "Settings)",
             json_string_value(v));
    free(prompt);
    json_decref(tools);
    json_decref(sources);
    return -1;
  }
  json_array_foreach(sources, i, v) if (!source_known(deps, json_string_value(v))) {
    snprintf(field, 32, "sources");
    snprintf(err, errlen,
             "sources: %.200s is not a source (local_documents, web_search, scholarly or a loaded plugin's "
             "plugin:<name>/<source>)",
             json_string_value(v));
    free(prompt);
    json_decref(tools);
    json_decref(sources);
    return -1;
  }
  *def = json_pack("{s:s, s:s, s:o, s:o, s:s}", "description", jd && json_is_string(jd) ? json_string_value(jd) : "",
                   "prompt", prompt, "tools", tools, "sources", sources, "position", pos);
  free(prompt);
  snprintf(name_out, 41, "%s", n);
  return 0;
}

/* ---- AGENTS_DIR ---- */

int custom_agents_load_dir(agents_t *ag) {
  const agents_deps_t *deps = &ag->deps;
  const char *dir = config_get(deps->cfg, "AGENTS_DIR");
  if (!dir || !dir[0]) return 0;
  DIR *d = opendir(dir);
  if (!d) {
    log_warn("agents", "AGENTS_DIR %s cannot be read: no custom agent loaded from it", dir);
    return 0;
  }
  int loaded = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !util_ends_with(e->d_name, ".json")) continue;
    char path[4096], stem[256], field[32] = "", err[512] = "", name[41];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
    json_error_t je;
    json_t *body = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *def = NULL;
    if (!body) {
      log_warn("agents", "custom agent file %s refused: not JSON (line %d: %s)", path, je.line, je.text);
      continue;
    }
    const char *own = json_string_value(json_object_get(body, "name"));
    if (custom_agent_validate(ag, own ? NULL : stem, body, NULL, &def, name, field, err, sizeof err) != 0) {
      log_warn("agents", "custom agent file %s refused: %s: %s", path, field, err);
      json_decref(body);
      continue;
    }
    char author[300];
    snprintf(author, sizeof author, "file:%s", e->d_name);
    int64_t version = 0;
    int changed = 0;
    if (store_cagent_put(deps->store, name, def, "file", author, &version, &changed) == STORE_OK) {
      loaded++;
      if (json_is_true(json_object_get(body, "disabled"))) store_cagent_set_disabled(deps->store, name, 1);
      if (changed) log_info("agents", "custom agent %s (version %lld) loaded from %s", name, (long long)version, path);
    } else
      log_warn("agents", "custom agent file %s: the store refused it", path);
    json_decref(def);
    json_decref(body);
  }
  closedir(d);
  return loaded;
}

/* ---- the mission setting ---- */

int custom_agents_check_setting(json_t *v, char *err, size_t errlen) {
  size_t i, k;
  json_t *s, *o;
  int ok = json_is_array(v) && json_array_size(v) <= CUSTOM_AGENTS_MAX_PER_MISSION;
  json_array_foreach(v, i, s) {
    ok &= json_is_string(s) && custom_agent_name_ok(json_string_value(s));
    json_array_foreach(v, k, o) if (k < i) ok &= !json_equal(o, s);
  }
  if (ok) return 0;
  snprintf(err, errlen, "settings.custom_agents must be a list of at most %d distinct custom agent names",
           CUSTOM_AGENTS_MAX_PER_MISSION);
  return -1;
}

int custom_agents_check_exist(agents_t *ag, json_t *names, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  size_t i;
  json_t *s;
  json_array_foreach(names, i, s) {
    json_t *a = NULL;
    int rc = store_cagent_get(deps->store, json_string_value(s), 0, &a);
    int disabled = a && json_is_true(json_object_get(a, "disabled"));
    json_decref(a);
    if (rc == STORE_OK && !disabled) continue;
    snprintf(err, errlen, "settings.custom_agents: %.64s is %s", json_string_value(s),
             rc == STORE_OK ? "disabled" : "not a custom agent (GET /api/agents lists them)");
    return -1;
  }
  return 0;
}

/* ---- runs ---- */

json_t *custom_agents_resolve(mrun_t *m) {
  json_t *out = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(json_object_get(m->row, "settings"), "custom_agents"), i, s) {
    const char *name = json_string_value(s);
    json_t *a = NULL;
    if (!name || store_cagent_get(m->deps->store, name, 0, &a) != STORE_OK ||
        json_is_true(json_object_get(a, "disabled"))) {
      mrun_warn(m, "custom_agent_unavailable", NULL, 0,
                "Custom agent %s was not run: it was disabled or deleted after the mission was created",
                name ? name : "?");
      json_decref(a);
      continue;
    }
    json_array_append_new(out, a);
  }
  return out;
}

/* Which of the agent's sources a passage or a note comes from:
 * "plugin:<name>/<source>", "scholarly", "web_search" or "local_documents". */
static int source_allowed(json_t *sources, const char *url, int web, int scholarly) {
  if (!json_array_size(sources)) return 1;
  size_t i;
  json_t *s;
  json_array_foreach(sources, i, s) {
    const char *v = json_string_value(s);
    if (url && util_starts_with(url, "plugin:")) {
      size_t n = strlen(v);
      if (!strncmp(url, v, n) && (url[n] == '#' || url[n] == '\0')) return 1;
      continue;
    }
    if (scholarly ? !strcmp(v, "scholarly") : web ? !strcmp(v, "web_search") : !strcmp(v, "local_documents")) return 1;
  }
  return 0;
}

static int passage_allowed(json_t *def, const passage_t *p) {
  if (p->tool) return 1; /* its own tools' results */
  return source_allowed(json_object_get(def, "sources"), p->url, p->web, p->year || p->doi || p->venue);
}

static int note_allowed(json_t *def, json_t *n) {
  const char *type = json_string_value(json_object_get(n, "source_type"));
  const char *url = json_string_value(json_object_get(n, "url"));
  if (url && util_starts_with(url, "mcp://")) return 1;
  /* a scholarly paper's note has its DOI or venue (a document's may have a year) */
  const char *doi = json_string_value(json_object_get(n, "doi")),
             *venue = json_string_value(json_object_get(n, "venue"));
  int scholarly = type && !strcmp(type, "web") && ((doi && doi[0]) || (venue && venue[0]));
  return source_allowed(json_object_get(def, "sources"), url, type && !strcmp(type, "web"), scholarly);
}

static void note_lines(buf_t *u, json_t *def, json_t *notes, size_t *shown) {
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    if (*shown >= NOTES_SHOWN || !note_allowed(def, n)) continue;
    (*shown)++;
    const char *sid = json_string_value(json_object_get(n, "section_id"));
    const char *title = json_string_value(json_object_get(n, "source_title"));
    const char *quote = json_string_value(json_object_get(n, "quote"));
    const char *content = json_string_value(json_object_get(n, "content"));
    if (sid)
      buf_printf(u, "- [%s]", sid);
    else
      buf_puts(u, "-");
    buf_printf(u, " (%s) \"%.400s\" %.300s\n", title ? title : "", quote ? quote : "", content ? content : "");
  }
}

static const char ANSWER_SCHEMA[] =
    "{\"type\":\"object\",\"required\":[\"critique\"],\"properties\":{\"critique\":{\"type\":\"string\"},"
    "\"notes\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"passage\",\"quote\"],"
    "\"properties\":{\"passage\":{\"type\":\"string\"},\"quote\":{\"type\":\"string\"},"
    "\"summary\":{\"type\":\"string\"}}}}}}";

/* Records a run (store row + "custom_agent" event in evs, or emitted now
 * when evs is NULL) and, when skipped, a warning. */
static void record(mrun_t *m, json_t *agent, const char *section_id, const char *section_title, int round,
                   const char *reason, json_t *output, store_mevs_t *evs) {
  const char *name = json_string_value(json_object_get(agent, "name"));
  json_t *def = json_object_get(agent, "definition");
  json_t *run =
      json_pack("{s:s, s:O, s:O, s:i, s:s}", "agent", name, "version", json_object_get(agent, "version"), "position",
                json_object_get(def, "position"), "round", round, "status", reason ? "skipped" : "ran");
  if (section_id) json_object_set_new(run, "section_id", json_string(section_id));
  if (reason) json_object_set_new(run, "reason", json_string(reason));
  json_t *out = output ? json_deep_copy(output) : json_object();
  if (section_title) json_object_set_new(out, "section_title", json_string(section_title));
  json_object_set_new(run, "output", out);
  if (store_cagent_run_put(m->deps->store, m->id, run) != STORE_OK)
    log_warn("agents", "mission %s: the run of custom agent %s could not be recorded", m->id, name);
  if (evs)
    store_mevs_add(evs, "custom_agent", run);
  else
    json_decref(run);
  if (reason) {
    if (section_title)
      mrun_warn(m, "custom_agent_skipped", section_id, round, "Custom agent %s skipped section \"%s\": %s", name,
                section_title, reason);
    else
      mrun_warn(m, "custom_agent_skipped", NULL, round, "Custom agent %s was skipped: %s", name, reason);
  }
}

/* A run skipped because its model call failed (err says why). */
static void record_failure(mrun_t *m, json_t *agent, const char *section_id, const char *section_title, int round,
                           const char *err, store_mevs_t *evs) {
  char reason[700];
  snprintf(reason, sizeof reason, "the model call failed: %s", err);
  record(m, agent, section_id, section_title, round, reason, NULL, evs);
}

/* One model call of agent: its prompt, its name on the call. */
static int ask(mrun_t *m, json_t *agent, json_t *call_context, const char *user, const char *action, json_t **answer,
               store_mevs_t *evs, char *err, size_t errlen) {
  mrun_t mc = *m;
  mc.role_prompt = json_string_value(json_object_get(json_object_get(agent, "definition"), "prompt"));
  mc.agent_label = json_string_value(json_object_get(agent, "name"));
  mc.call_context = call_context;
  json_t *schema = json_loads(ANSWER_SCHEMA, 0, NULL);
  int rc = agent_call(&mc, mc.agent_label, LLM_TIER_MID, NULL, user, schema, answer, NULL, action, evs, err, errlen);
  json_decref(schema);
  return rc;
}

static const char *no_model_reason(void) {
  return "the mission runs without a model (offline): a custom agent needs one";
}

void custom_after_research(mrun_t *m, json_t *section, int round, passages_t *ps, json_t *notes, store_mevs_t *evs) {
  const char *sid = json_string_value(json_object_get(section, "id"));
  const char *stitle = json_string_value(json_object_get(section, "title"));
  size_t i;
  json_t *agent;
  json_array_foreach(m->custom_agents, i, agent) {
    json_t *def = json_object_get(agent, "definition");
    if (strcmp(json_string_value(json_object_get(def, "position")), "after_research")) continue;
    if (mrun_cancelled(m)) return;
    const char *name = json_string_value(json_object_get(agent, "name"));
    if (m->offline) {
      record(m, agent, sid, stitle, round, no_model_reason(), NULL, evs);
      continue;
    }
    /* its own view of the passages: those from its sources, plus its tool's result */
    passages_t view = {0};
    for (size_t k = 0; k < ps->n; k++) {
      if (!passage_allowed(def, &ps->v[k])) continue;
      passage_t *p = research_add_passage(&view);
      char label[8];
      memcpy(label, p->label, sizeof label);
      *p = ps->v[k]; /* borrowed strings: the view is freed without them */
      memcpy(p->label, label, sizeof label);
    }
    size_t borrowed = view.n;
    int tools_called = 0;
    json_t *allowed = json_object_get(def, "tools");
    if (json_array_size(allowed)) {
      mrun_t mc = *m;
      mc.agent_label = name;
      size_t before = view.n;
      research_tools_for(&mc, section, &view, evs, allowed);
      tools_called = (int)(view.n - before);
    }
    /* the section's notes of earlier rounds, then this round's (not stored yet) */
    json_t *mine = store_mission_notes(m->deps->store, m->id, sid);
    if (!mine) mine = json_array();
    json_array_extend(mine, notes);
    buf_t u = BUF_INIT;
    buf_init(&u);
    buf_printf(&u, "Mission: %s\nSection [%s]: %s\nQuestions:\n", m->title, sid, stitle);
    size_t k;
    json_t *q;
    json_array_foreach(json_object_get(section, "questions"), k, q) buf_printf(&u, "- %s\n", json_string_value(q));
    buf_puts(&u, "\nNotes so far:\n");
    size_t shown = 0;
    note_lines(&u, def, mine, &shown);
    if (!shown) buf_puts(&u, "- (none)\n");
    buf_puts(&u, "\nPassages:\n");
    for (k = 0; k < view.n; k++) {
      const char *t = view.v[k].text ? view.v[k].text : "";
      size_t len = strlen(t);
      if (len > PASSAGE_SHOWN) len = util_utf8_floor(t, PASSAGE_SHOWN);
      buf_printf(&u, "[%s] %s\n%.*s\n\n", view.v[k].label, view.v[k].title ? view.v[k].title : "", (int)len, t);
    }
    if (!view.n) buf_puts(&u, "(none)\n");
    buf_puts(&u,
             "\nAnswer with JSON: {\"critique\": your assessment of the notes for this section, \"notes\": new "
             "notes, each {\"passage\": \"P1\", \"quote\": an exact sentence copied from that passage, "
             "\"summary\": what it shows}}.\n");
    if (!shown && !view.n) {
      record(m, agent, sid, stitle, round, "nothing to read: the section has no notes or passages from its sources",
             NULL, evs);
    } else {
      json_t *ctx = json_pack("{s:s, s:s, s:i, s:I}", "section_id", sid, "section_title", stitle, "round", round,
                              "passages", (json_int_t)view.n);
      char action[200], err[600] = "";
      snprintf(action, sizeof action, "custom agent on \"%.100s\"", stitle);
      json_t *ans = NULL;
      int rc = ask(m, agent, ctx, u.data, action, &ans, evs, err, sizeof err);
      json_decref(ctx);
      if (rc != LLM_OK) {
        record_failure(m, agent, sid, stitle, round, err, evs);
      } else {
        int added = 0, rejected = 0;
        json_t *n;
        json_array_foreach(json_object_get(ans, "notes"), k, n) {
          const char *label = json_string_value(json_object_get(n, "passage"));
          const char *quote = json_string_value(json_object_get(n, "quote"));
          const passage_t *p = NULL;
          for (size_t j = 0; label && j < view.n && !p; j++)
            if (!strcmp(view.v[j].label, label)) p = &view.v[j];
          if (!p || !quote || !agent_quote_in(quote, p->text)) {
            rejected++;
            continue;
          }
          json_t *note = research_note(p, quote, json_string_value(json_object_get(n, "summary")), 6);
          json_object_set_new(note, "agent", json_string(name));
          json_array_append_new(notes, note);
          added++;
        }
        const char *critique = json_string_value(json_object_get(ans, "critique"));
        json_t *out = json_pack("{s:s, s:i, s:i, s:i}", "critique", critique ? critique : "", "notes_added", added,
                                "notes_rejected", rejected, "tools_called", tools_called);
        record(m, agent, sid, stitle, round, NULL, out, evs);
        json_decref(out);
      }
      json_decref(ans);
    }
    buf_free(&u);
    json_decref(mine);
    /* the borrowed passages are the section's; the tool's are the view's own */
    memset(view.v, 0, borrowed * sizeof *view.v);
    passages_free(&view);
  }
}

void custom_before_writing(mrun_t *m, int round) {
  json_t *notes = NULL;
  size_t i;
  json_t *agent;
  json_array_foreach(m->custom_agents, i, agent) {
    json_t *def = json_object_get(agent, "definition");
    if (strcmp(json_string_value(json_object_get(def, "position")), "before_writing")) continue;
    if (mrun_cancelled(m)) break;
    store_mevs_t evs = {0};
    if (m->offline) {
      record(m, agent, NULL, NULL, round, no_model_reason(), NULL, &evs);
      mrun_commit_events(m, &evs);
      continue;
    }
    if (!notes) notes = store_mission_notes(m->deps->store, m->id, NULL);
    json_t *flat = store_mission_sections(m->deps->store, m->id);
    buf_t u = BUF_INIT;
    buf_init(&u);
    buf_printf(&u, "Mission: %s\nSections:\n", m->title);
    size_t k;
    json_t *s;
    json_array_foreach(flat, k, s) buf_printf(&u, "- [%s] %s\n", json_string_value(json_object_get(s, "id")),
                                              json_string_value(json_object_get(s, "title")));
    json_decref(flat);
    buf_puts(&u, "\nNotes:\n");
    size_t shown = 0;
    note_lines(&u, def, notes, &shown);
    buf_puts(&u, "\nAnswer with JSON: {\"critique\": your assessment of the notes before the report is written}.\n");
    if (!shown) {
      record(m, agent, NULL, NULL, round, "nothing to read: no note comes from its sources", NULL, &evs);
    } else {
      json_t *ctx = json_pack("{s:i, s:I}", "round", round, "notes", (json_int_t)shown);
      char err[600] = "";
      json_t *ans = NULL;
      int rc = ask(m, agent, ctx, u.data, "custom agent before writing", &ans, &evs, err, sizeof err);
      json_decref(ctx);
      if (rc != LLM_OK) {
        record_failure(m, agent, NULL, NULL, round, err, &evs);
      } else {
        const char *critique = json_string_value(json_object_get(ans, "critique"));
        json_t *out = json_pack("{s:s, s:I}", "critique", critique ? critique : "", "notes_read", (json_int_t)shown);
        record(m, agent, NULL, NULL, round, NULL, out, &evs);
        json_decref(out);
      }
      json_decref(ans);
    }
    buf_free(&u);
    mrun_commit_events(m, &evs);
  }
  json_decref(notes);
}
