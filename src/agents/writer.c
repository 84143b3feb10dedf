/*
 * writer.c - section writing, revision and the writing review.
 *
 * The writer gets a section's notes numbered [1]..[k] (local numbers, so a
 * prompt never carries random ids and a replay hashes the same) and writes
 * the section body citing them; local numbers are turned into [#NOTEID]
 * markers here. One call per section, plain text out.
 *
 * The reviewer reads every draft in ONE structured call and answers with an
 * introduction, a conclusion and, per section, whether it needs revision
 * and why; only flagged sections are rewritten (writer with the previous
 * draft and the suggestions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/util.h"

/* [#ID] markers of a previous draft back to local numbers for the prompt. */
static void put_local(buf_t *b, const char *id, void *notes) {
  size_t i;
  json_t *n;
  json_array_foreach((json_t *)notes, i, n) if (!strcmp(json_string_value(json_object_get(n, "id")), id)) {
    buf_printf(b, "[%zu]", i + 1);
    return;
  }
}

static char *to_local(const char *text, json_t *notes) {
  return agent_rewrite_markers(text, put_local, notes);
}

/* One note as the writer's prompt lists it (local number n). */
static json_t *note_item(json_t *v, size_t n) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *summary = json_string_value(json_object_get(v, "content"));
  buf_printf(&b, "[%zu] \"%s\" (%s", n, json_string_value(json_object_get(v, "quote")),
             json_string_value(json_object_get(v, "source_title")));
  if (json_integer_value(json_object_get(v, "page")) > 0)
    buf_printf(&b, ", p. %lld", (long long)json_integer_value(json_object_get(v, "page")));
  buf_printf(&b, ", credibility %lld)", (long long)json_integer_value(json_object_get(v, "credibility")));
  if (summary && summary[0]) buf_printf(&b, " - %s", summary);
  buf_putc(&b, '\n');
  json_t *s = json_stringn(b.data, b.len);
  buf_free(&b);
  return s;
}

/* Words the section should have: proportional to its evidence. */
static int target_words(mrun_t *m, size_t notes) {
  int per = m->words_per_note > 0 ? m->words_per_note : 90;
  int w = (int)notes * per;
  return w < 80 ? 80 : w;
}

int writer_run(mrun_t *m, json_t *section, json_t *subsections, json_t *notes, const char *previous,
               json_t *suggestions, char **text, store_mevs_t *evs, char *err, size_t errlen) {
  *text = NULL;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Report: %s\nSection: %s\n", m->title, json_string_value(json_object_get(section, "title")));
  size_t i, k;
  json_t *v;
  if (json_array_size(subsections)) {
    buf_puts(&u, "Subsections (use them as ### headings, in this order; their notes are listed under them):\n");
    json_array_foreach(subsections, i, v) buf_printf(&u, "- %s\n", json_string_value(json_object_get(v, "title")));
  }
  buf_puts(&u, "Questions this section answers:\n");
  json_array_foreach(json_object_get(section, "questions"), i, v) buf_printf(&u, "- %s\n", json_string_value(v));
  /* notes in subsection order (local numbers follow it), then trimmed to the window */
  json_t *ordered = json_array(), *items = json_array();
  if (json_array_size(subsections)) {
    json_t *groups = agent_group_notes(subsections, notes), *g;
    json_array_foreach(groups, k, g) {
      json_array_append_new(
          items, json_sprintf("### %s\n", json_string_value(json_object_get(json_array_get(subsections, k), "title"))));
      json_array_foreach(g, i, v) {
        json_array_append(ordered, v);
        json_array_append_new(items, note_item(v, json_array_size(ordered)));
      }
    }
    json_decref(groups);
  } else
    json_array_foreach(notes, i, v) {
      json_array_append(ordered, v);
      json_array_append_new(items, note_item(v, json_array_size(ordered)));
    }
  char *loc = previous ? to_local(previous, ordered) : NULL;
  int dropped = 0;
  buf_t tail = BUF_INIT;
  buf_init(&tail);
  if (previous) {
    buf_printf(&tail, "\nPrevious draft:\n%s\n\nReviewer's suggestions:\n", loc);
    json_array_foreach(suggestions, i, v) buf_printf(&tail, "- %s\n", json_string_value(v));
  }
  const char *role = previous ? "reviser" : "writer";
  buf_puts(&u, "\nNotes (cite them by number):\n");
  int budget = agent_prompt_budget(m, LLM_TIER_INTELLIGENT, role) - llm_estimate_tokens(tail.data);
  size_t fitted = agent_fit(&u, budget, items, 0, &dropped);
  if (!json_array_size(notes)) buf_puts(&u, "(no notes: say briefly that the sources did not cover this)\n");
  if (tail.len) buf_append(&u, tail.data, tail.len);
  buf_free(&tail);
  free(loc);
  size_t shown = 0;
  for (i = 0; i < fitted; i++)
    if (json_string_value(json_array_get(items, i))[0] == '[') shown++;
  if (dropped)
    mrun_warn(m, "context_trimmed", json_string_value(json_object_get(section, "id")), 0,
              "Section \"%s\": the writer saw %zu of its %zu notes (the model's context window is too small for all)",
              json_string_value(json_object_get(section, "title")), shown, json_array_size(ordered));
  /* notes the writer did not see cannot be cited */
  while (json_array_size(ordered) > shown) json_array_remove(ordered, json_array_size(ordered) - 1);
  json_decref(items);
  json_t *vars = json_pack("{s:i, s:i}", "words", target_words(m, shown), "notes", (int)shown);
  char action[160];
  snprintf(action, sizeof action, "%s \"%.100s\"", previous ? "revise" : "write",
           json_string_value(json_object_get(section, "title")));
  char *out = NULL;
  int rc = guard_write(m, role, section, notes, vars, u.data, action, &out, evs, err, errlen);
  json_decref(vars);
  buf_free(&u);
  if (rc != LLM_OK) {
    json_decref(ordered);
    return rc;
  }
  /* drop a heading the model may repeat */
  char *body = out;
  util_trim(body);
  if (body[0] == '#' && strncmp(body, "###", 3) != 0) {
    char *nl = strchr(body, '\n');
    const char *t = json_string_value(json_object_get(section, "title"));
    if (nl && t && strstr(body, t) && strstr(body, t) < nl) memmove(body, nl + 1, strlen(nl + 1) + 1);
    util_trim(body);
  }
  *text = agent_localize_citations(body, ordered);
  json_decref(ordered);
  free(out);
  return 0;
}

static json_t *review_schema(void) {
  return json_pack(
      "{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}, "
      "s:{s:s, s:{s:s}}}}}}}",
      "type", "object", "required", "introduction", "conclusion", "sections", "properties", "introduction", "type",
      "string", "conclusion", "type", "string", "sections", "type", "array", "items", "type", "object", "required",
      "id", "needs_revision", "properties", "id", "type", "string", "needs_revision", "type", "boolean", "suggestions",
      "type", "array", "items", "type", "string");
}

int reviewer_run(mrun_t *m, json_t *sections, json_t *drafts, json_t **review, store_mevs_t *evs, char *err,
                 size_t errlen) {
  *review = NULL;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Report: %s\n", m->title);
  if (m->description && m->description[0]) buf_printf(&u, "Brief: %s\n", m->description);
  size_t i;
  json_t *s;
  /* each draft gets an equal share of the window; a longer one is cut at its share */
  size_t nsec = json_array_size(sections);
  int share = (agent_prompt_budget(m, LLM_TIER_MID, "reviewer") - llm_estimate_tokens(u.data)) / (int)(nsec ? nsec : 1);
  int cut = 0;
  json_array_foreach(sections, i, s) {
    const char *sid = json_string_value(json_object_get(s, "id"));
    json_t *d = json_object_get(drafts, sid);
    char *plain = agent_strip_markers(d ? json_string_value(json_object_get(d, "content")) : "");
    json_t *one = json_pack("[s]", plain);
    buf_printf(&u, "\n## [%s] %s\n", sid, json_string_value(json_object_get(s, "title")));
    int dropped = 0;
    agent_fit(&u, llm_estimate_tokens(u.data) + (share > 48 ? share : 48), one, 0, &dropped);
    if (dropped || llm_estimate_tokens(plain) > share) cut++;
    buf_putc(&u, '\n');
    json_decref(one);
    free(plain);
  }
  if (cut)
    mrun_warn(m, "context_trimmed", NULL, 0,
              "The reviewer read only the beginning of %d of the %zu drafts (the model's context window is too small "
              "for the whole report)",
              cut, nsec);
  json_t *schema = review_schema();
  int rc = guard_review(m, sections, drafts, u.data, schema, review, evs, err, errlen);
  json_decref(schema);
  buf_free(&u);
  return rc;
}
