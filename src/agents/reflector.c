/*
 * reflector.c - critique of the research so far, ONE call for all sections.
 *
 * In: the outline and, per section, its notes (summary, short quote,
 * credibility). Out: per section a quality score 0..1, gaps, contradictions,
 * weak sources and new research questions; and outline changes (add,
 * remove, merge, reorder). Sections at or above the quality target are not
 * researched again; the others get the new questions in the next round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"

static const char REFLECT_SCHEMA[] =
    "{\"type\":\"object\",\"required\":[\"sections\"],\"properties\":{"
    "\"sections\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"id\",\"quality\"],"
    "\"properties\":{\"id\":{\"type\":\"string\"},\"quality\":{\"type\":\"number\"},"
    "\"gaps\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"contradictions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"new_questions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}},"
    "\"outline_changes\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"action\"],"
    "\"properties\":{\"action\":{\"type\":\"string\",\"enum\":[\"add\",\"remove\",\"merge\",\"reorder\"]},"
    "\"id\":{\"type\":\"string\"},\"into\":{\"type\":\"string\"},\"title\":{\"type\":\"string\"},"
    "\"questions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"order\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}}}";

static json_t *reflect_schema(void) {
  return json_loads(REFLECT_SCHEMA, 0, NULL);
}

static json_t *find(json_t *flat, const char *id) {
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) if (id && !strcmp(json_string_value(json_object_get(s, "id")), id)) return s;
  return NULL;
}

/* The model's per-section critique, kept for the reader: strings only, with
 * the section titles. */
static json_t *assessment_of(json_t *out, json_t *sections) {
  json_t *secs = json_array();
  size_t i, k;
  json_t *n, *v;
  json_array_foreach(json_object_get(out, "sections"), i, n) {
    json_t *sec = find(sections, json_string_value(json_object_get(n, "id")));
    if (!sec) continue;
    json_t *q = json_object_get(n, "quality");
    double quality = json_is_number(q) ? json_number_value(q) : 0;
    if (quality > 1 && quality <= 10) quality /= 10;
    json_t *a = json_pack("{s:O, s:O, s:f}", "id", json_object_get(sec, "id"), "title", json_object_get(sec, "title"),
                          "quality",
                          quality < 0   ? 0
                          : quality > 1 ? 1
                                        : quality);
    static const char *const lists[] = {"gaps", "contradictions", "new_questions"};
    for (size_t l = 0; l < 3; l++) {
      json_t *arr = json_array();
      json_array_foreach(json_object_get(n, lists[l]), k, v) if (json_is_string(v)) json_array_append(arr, v);
      json_object_set_new(a, lists[l], arr);
    }
    json_array_append_new(secs, a);
  }
  json_t *changes = json_object_get(out, "outline_changes");
  return json_pack("{s:o, s:o}", "sections", secs, "outline_changes",
                   json_is_array(changes) ? json_incref(changes) : json_array());
}

int reflector_run(mrun_t *m, json_t *sections, json_t *notes, json_t **out_sections, json_t **assessment,
                  store_mevs_t *evs, char *err, size_t errlen) {
  *out_sections = NULL;
  if (assessment) *assessment = NULL;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Mission: %s\n", m->title);
  size_t i, k;
  json_t *s, *n;
  /* each section gets an equal share of the window for its notes */
  int tops = 0, trimmed = 0;
  json_array_foreach(sections, i, s) if (!json_is_string(json_object_get(s, "parent_id"))) tops++;
  int share = (agent_prompt_budget(m, LLM_TIER_MID, "reflector") - llm_estimate_tokens(u.data)) / (tops ? tops : 1);
  json_array_foreach(sections, i, s) {
    if (json_is_string(json_object_get(s, "parent_id"))) continue;
    const char *sid = json_string_value(json_object_get(s, "id"));
    buf_printf(&u, "\n## [%s] %s\nQuestions:", sid, json_string_value(json_object_get(s, "title")));
    json_array_foreach(json_object_get(s, "questions"), k, n) buf_printf(&u, " %s;", json_string_value(n));
    buf_puts(&u, "\nNotes:\n");
    json_t *items = json_array();
    json_array_foreach(notes, k, n) {
      if (strcmp(json_string_value(json_object_get(n, "section_id")), sid)) continue;
      const char *q = json_string_value(json_object_get(n, "quote"));
      json_array_append_new(items, json_sprintf("- (%s, credibility %lld) %.300s\n",
                                                json_string_value(json_object_get(n, "source_title")),
                                                (long long)json_integer_value(json_object_get(n, "credibility")), q));
    }
    int dropped = 0;
    if (json_array_size(items)) {
      buf_printf(&u, "(%zu notes)\n", json_array_size(items));
      agent_fit(&u, llm_estimate_tokens(u.data) + (share > 48 ? share : 48), items, 0, &dropped);
    } else
      buf_puts(&u, "- (none)\n");
    if (dropped) trimmed++;
    json_decref(items);
  }
  if (trimmed)
    mrun_warn(m, "context_trimmed", NULL, 0,
              "The reflector saw only part of the notes of %d sections (the model's context window is too small for "
              "all of them)",
              trimmed);
  json_t *schema = reflect_schema(), *out = NULL;
  *out_sections = NULL;
  json_t *vars = json_pack("{s:f}", "quality_target", m->quality_target);
  int rc = guard_reflect(m, sections, notes, vars, u.data, schema, &out, out_sections, evs, err, errlen);
  json_decref(vars);
  json_decref(schema);
  buf_free(&u);
  if (rc != LLM_OK || *out_sections) return rc; /* *out_sections set: the extractive reflector's, no assessment */
  if (assessment) *assessment = assessment_of(out, sections);
  json_t *flat = json_deep_copy(sections);
  json_array_foreach(flat, i, s)
      json_object_set_new(s, "reflections", json_integer(json_integer_value(json_object_get(s, "reflections")) + 1));
  json_array_foreach(json_object_get(out, "sections"), i, n) {
    json_t *sec = find(flat, json_string_value(json_object_get(n, "id")));
    if (!sec) continue;
    json_t *q = json_object_get(n, "quality");
    double quality = json_is_number(q) ? json_number_value(q) : 0;
    if (quality > 1 && quality <= 10) quality /= 10; /* a 1-10 scale */
    json_object_set_new(sec, "quality", json_real(quality < 0 ? 0 : quality > 1 ? 1 : quality));
    json_t *qs = json_object_get(sec, "questions");
    json_array_foreach(json_object_get(n, "new_questions"), k, q) if (json_is_string(q) && json_array_size(qs) < 8)
        json_array_append(qs, q);
  }
  /* outline changes */
  int next = (int)json_array_size(flat) + 1;
  json_array_foreach(json_object_get(out, "outline_changes"), i, n) {
    const char *action = json_string_value(json_object_get(n, "action"));
    const char *id = json_string_value(json_object_get(n, "id"));
    if (!action) continue;
    if (!strcmp(action, "add")) {
      const char *title = json_string_value(json_object_get(n, "title"));
      if (!title || !title[0] || json_array_size(flat) >= 40) continue;
      char nid[16];
      do snprintf(nid, sizeof nid, "s%d", next++);
      while (find(flat, nid));
      json_t *qs = json_array();
      json_array_foreach(json_object_get(n, "questions"), k, s) if (json_is_string(s)) json_array_append(qs, s);
      if (!json_array_size(qs)) json_array_append_new(qs, json_string(title));
      json_array_append_new(
          flat, json_pack("{s:s, s:n, s:I, s:s, s:o, s:i, s:f, s:i, s:i}", "id", nid, "parent_id", "position",
                          (json_int_t)json_array_size(flat), "title", title, "questions", qs, "priority", 1, "quality",
                          0.0, "reflections", 0, "researched_round", 0));
    } else if ((!strcmp(action, "remove") || !strcmp(action, "merge")) && find(flat, id)) {
      int tops = 0;
      json_array_foreach(flat, k, s) if (!json_is_string(json_object_get(s, "parent_id"))) tops++;
      if (tops <= 1) continue;
      json_t *into = find(flat, json_string_value(json_object_get(n, "into")));
      json_t *victim = find(flat, id);
      if (!strcmp(action, "merge") && (!into || into == victim)) continue;
      if (into) json_array_extend(json_object_get(into, "questions"), json_object_get(victim, "questions"));
      for (k = json_array_size(flat); k-- > 0;) {
        json_t *c = json_array_get(flat, k);
        const char *p = json_string_value(json_object_get(c, "parent_id"));
        if (c == victim || (p && !strcmp(p, id))) json_array_remove(flat, k);
      }
    } else if (!strcmp(action, "reorder")) {
      json_t *order = json_object_get(n, "order");
      json_int_t pos = 0;
      json_array_foreach(order, k, s) {
        json_t *sec = find(flat, json_string_value(s));
        if (sec) json_object_set_new(sec, "position", json_integer(pos++));
      }
      json_array_foreach(flat, k, s) if (!find(order ? order : flat, NULL)) {
        int listed = 0;
        size_t j;
        json_t *o;
        json_array_foreach(order, j, o) if (!strcmp(json_string_value(o) ? json_string_value(o) : "",
                                                    json_string_value(json_object_get(s, "id")))) listed = 1;
        if (!listed) json_object_set_new(s, "position", json_integer(pos++));
      }
    }
  }
  json_decref(out);
  *out_sections = flat;
  return 0;
}
