/*
 * tool_use.c - research with tools (research_tools in agents_internal.h).
 *
 * One structured call per section and round when the mission lists "tools"
 * among its sources: the tool_user agent sees the section's questions and
 * the user's tools (tools.h: the MCP servers in Settings) and answers which
 * one to call with what arguments, or none. The answer is checked by the
 * guard (agent_ask: the name must be a listed tool and the arguments must
 * pass the tool's schema, else the agent is asked once more, saying why).
 * The tool's text becomes a passage like a web page's, its locator
 * "mcp://server/tool?{arguments}" standing for the URL, so the researcher
 * quotes it and the quote is verified against it like any other source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "mcp/protocol.h"

/* Longest tool result kept as a passage (the researcher sees less). */
#define TOOL_TEXT_MAX (64u << 10)

static json_t *choice_schema(void) {
  return json_pack("{s:s, s:[s], s:{s:{s:[s,s]}, s:{s:s}, s:{s:s}}}", "type", "object", "required", "tool",
                   "properties", "tool", "type", "string", "null", "arguments", "type", "object", "reason", "type",
                   "string");
}

static int check_choice(mrun_t *m, const char *instructions, json_t *answer, void *ud, char *why, size_t whylen) {
  (void)m;
  (void)instructions;
  const agent_tools_t *set = ud;
  json_t *jt = json_object_get(answer, "tool");
  const char *name = json_string_value(jt);
  if (!jt || json_is_null(jt) || (name && (!name[0] || !strcmp(name, "none")))) return 0;
  const agent_tool_t *t = agent_tools_find(set, name);
  if (!t) {
    snprintf(why, whylen, "\"%s\" is not one of the listed tools; use a listed name or null", name ? name : "?");
    return -1;
  }
  json_t *args = json_object_get(answer, "arguments");
  json_t *empty = NULL;
  if (!args) args = empty = json_object();
  char e[400];
  int rc = mcp_schema_check(t->schema, args, "arguments", e, sizeof e);
  json_decref(empty);
  if (rc != 0) snprintf(why, whylen, "the arguments do not fit the input schema of %s: %s", name, e);
  return rc;
}

void research_tools(mrun_t *m, json_t *section, passages_t *out, store_mevs_t *evs) {
  research_tools_for(m, section, out, evs, NULL);
}

void research_tools_for(mrun_t *m, json_t *section, passages_t *out, store_mevs_t *evs, json_t *allowed) {
  const char *sid = json_string_value(json_object_get(section, "id"));
  agent_tools_t *set = agent_tools_for_user(m->ag, m->user_id);
  if (allowed) {
    plugins_caller_t who = mrun_plugins_caller(m);
    agent_tools_plugin_provider(m->deps, m->user_id, set, &who);
    agent_tools_only(set, allowed);
  }
  size_t i;
  json_t *v;
  json_array_foreach(set->problems, i, v) mrun_warn(m, "tool_unavailable", NULL, 0, "Tools: %s", json_string_value(v));
  if (!set->n) {
    if (allowed)
      mrun_warn(m, "no_tools", NULL, 0, "Custom agent %s: none of its tools is available now: it used no tools",
                m->agent_label ? m->agent_label : "?");
    else if (!json_array_size(set->problems))
      mrun_warn(m, "no_tools", NULL, 0,
                "Tools were requested but no MCP server is configured in Settings: the mission used no tools");
    agent_tools_free(set);
    return;
  }
  buf_t u = BUF_INIT;
  buf_printf(&u, "Section: %s\nQuestions:\n", json_string_value(json_object_get(section, "title")));
  json_array_foreach(json_object_get(section, "questions"), i, v) buf_printf(&u, "- %s\n", json_string_value(v));
  json_t *tools = agent_tools_json(set);
  char *tj = json_dumps(tools, JSON_INDENT(1));
  json_decref(tools);
  buf_printf(&u, "\nTools:\n%s\n", tj ? tj : "[]");
  free(tj);
  json_t *vars = json_pack("{s:s}", "language", m->language);
  json_t *schema = choice_schema(), *ans = NULL;
  char action[160], why[600], err[600];
  snprintf(action, sizeof action, "tool for \"%.100s\"", json_string_value(json_object_get(section, "title")));
  agent_ask_t a = {.role = "tool_user",
                   .tier = LLM_TIER_MID,
                   .vars = vars,
                   .user = u.data,
                   .schema = schema,
                   .action = action,
                   .check = check_choice,
                   .ud = set};
  int rc = agent_ask(m, &a, &ans, NULL, NULL, evs, why, sizeof why, err, sizeof err);
  json_decref(vars);
  json_decref(schema);
  buf_free(&u);
  const char *name = json_string_value(json_object_get(ans, "tool"));
  if (rc != LLM_OK) {
    if (rc == AGENT_REJECTED) mrun_warn(m, "tool_choice_rejected", sid, 0, "No tool was called: %s", why);
  } else if (name && name[0] && strcmp(name, "none")) {
    json_t *args = json_object_get(ans, "arguments");
    json_t *empty = NULL;
    if (!args) args = empty = json_object();
    char *text = NULL, *locator = NULL;
    if (agent_tools_call(set, name, args, &text, &locator, err, sizeof err) != 0) {
      mrun_warn(m, "tool_failed", sid, 0, "Tool %s: %s", name, err);
    } else {
      size_t len = strlen(text);
      if (len > TOOL_TEXT_MAX) text[util_utf8_floor(text, TOOL_TEXT_MAX)] = '\0';
      passage_t *p = research_add_passage(out);
      p->web = 1;
      p->tool = 1;
      p->text = text;
      text = NULL;
      p->url = locator;
      locator = NULL;
      buf_t t = BUF_INIT;
      buf_printf(&t, "Tool %s", name);
      p->title = buf_detach(&t, NULL);
      log_info("agents", "mission %s: section %s read the result of tool %s", m->id, sid ? sid : "", name);
    }
    free(text);
    free(locator);
    json_decref(empty);
  }
  json_decref(ans);
  agent_tools_free(set);
}
