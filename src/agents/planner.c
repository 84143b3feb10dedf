/*
 * planner.c - request analysis and outline in ONE structured call.
 *
 * In: the mission's title, description and research questions. Out: the
 * analysis (type, audience, tone, length, language) and a hierarchical
 * outline (sections with research questions and priorities, optional
 * subsections), flattened here into section rows with stable ids s1, s2,
 * s1.1 ... so prompts and replays never depend on random ids.
 */
#include <stdio.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"

static json_t *plan_schema(void) {
  json_t *q = json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
  json_t *sub = json_pack("{s:s, s:[s,s], s:{s:{s:s}, s:O}}", "type", "object", "required", "title", "questions",
                          "properties", "title", "type", "string", "questions", q);
  json_t *sec = json_pack("{s:s, s:[s,s], s:{s:{s:s}, s:O, s:O, s:{s:s}, s:{s:s, s:o}}}", "type", "object", "required",
                          "title", "questions", "properties", "title", "type", "string", "questions", q, "queries", q,
                          "priority", "type", "integer", "subsections", "type", "array", "items", sub);
  json_t *an = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "type", "object", "properties",
                         "type", "type", "string", "audience", "type", "string", "tone", "type", "string", "length",
                         "type", "string", "language", "type", "string");
  json_t *s = json_pack("{s:s, s:[s,s], s:{s:o, s:{s:s, s:o}}}", "type", "object", "required", "analysis", "sections",
                        "properties", "analysis", an, "sections", "type", "array", "items", sec);
  json_decref(q);
  return s;
}

static json_t *questions_of(json_t *v, const char *fallback) {
  json_t *out = json_array();
  size_t i;
  json_t *q;
  json_array_foreach(v, i, q) if (json_is_string(q) && json_string_length(q) && json_array_size(out) < 6)
      json_array_append(out, q);
  if (!json_array_size(out)) json_array_append_new(out, json_string(fallback));
  return out;
}

/* The depth's numbers for the prompt: how many sections, queries per question. */
static json_t *planner_vars(mrun_t *m) {
  char sections[32], queries[32];
  int lo = m->max_sections > 3 ? m->max_sections / 2 + 1 : 1;
  snprintf(sections, sizeof sections, "%d to %d", lo < 3 && m->max_sections >= 3 ? 3 : lo, m->max_sections);
  snprintf(queries, sizeof queries, "%d to %d", m->queries_per_question > 1 ? 2 : 1, m->queries_per_question * 2);
  return json_pack("{s:s, s:s}", "sections", sections, "queries", queries);
}

int planner_run(mrun_t *m, json_t **analysis, json_t **sections, store_mevs_t *evs, char *err, size_t errlen) {
  *analysis = NULL;
  *sections = NULL;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Title: %s\n", m->title);
  if (m->description && m->description[0]) buf_printf(&u, "Description: %s\n", m->description);
  if (json_array_size(m->questions)) {
    buf_puts(&u, "Research questions:\n");
    size_t i;
    json_t *q;
    json_array_foreach(m->questions, i, q) buf_printf(&u, "- %s\n", json_string_value(q));
  }
  buf_printf(&u, "Sources: %s%s\n", m->use_docs ? "the user's document library " : "", m->use_web ? "the web" : "");
  json_t *schema = plan_schema(), *out = NULL;
  json_t *vars = planner_vars(m);
  int rc = agent_call(m, "planner", LLM_TIER_INTELLIGENT, vars, u.data, schema, &out, NULL, "analysis and outline", evs,
                      err, errlen);
  json_decref(vars);
  json_decref(schema);
  buf_free(&u);
  if (rc != LLM_OK) return rc;
  json_t *flat = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(out, "sections"), i, s) {
    const char *title = json_string_value(json_object_get(s, "title"));
    if (!title || !title[0] || json_array_size(flat) >= 40) continue;
    char id[24];
    snprintf(id, sizeof id, "s%zu", i + 1);
    json_t *pr = json_object_get(s, "priority");
    json_array_append_new(flat, json_pack("{s:s, s:n, s:I, s:s, s:o, s:I}", "id", id, "parent_id", "position",
                                          (json_int_t)json_array_size(flat), "title", title, "questions",
                                          questions_of(json_object_get(s, "questions"), title), "priority",
                                          json_is_integer(pr) ? json_integer_value(pr) : (json_int_t)1));
    json_t *qs = json_object_get(s, "queries"); /* search queries: moved to the analysis by the controller */
    if (json_array_size(qs))
      json_object_set_new(json_array_get(flat, json_array_size(flat) - 1), "queries", questions_of(qs, title));
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(s, "subsections"), k, c) {
      const char *ct = json_string_value(json_object_get(c, "title"));
      if (!ct || !ct[0] || k >= 6) continue;
      char cid[48];
      snprintf(cid, sizeof cid, "%s.%zu", id, k + 1);
      json_array_append_new(flat, json_pack("{s:s, s:s, s:I, s:s, s:o, s:i}", "id", cid, "parent_id", id, "position",
                                            (json_int_t)json_array_size(flat), "title", ct, "questions",
                                            questions_of(json_object_get(c, "questions"), ct), "priority", 1));
    }
  }
  if (!json_array_size(flat)) {
    json_decref(flat);
    json_decref(out);
    snprintf(err, errlen, "planner: the model proposed no sections");
    return LLM_ERR_INVALID_JSON;
  }
  json_t *an = json_object_get(out, "analysis");
  *analysis = json_is_object(an) ? json_incref(an) : json_object();
  /* the language the controller chose is the mission's; the model may only refine tone/length */
  json_object_del(*analysis, "language");
  *sections = flat;
  json_decref(out);
  return 0;
}
