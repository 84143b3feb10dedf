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
static char *to_local(const char *text, json_t *notes) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = text;
  while (*p) {
    if (p[0] == '[' && p[1] == '#') {
      const char *c = strchr(p, ']');
      if (c && c - p == 18) {
        size_t i;
        json_t *n;
        json_array_foreach(notes, i, n) if (!strncmp(json_string_value(json_object_get(n, "id")), p + 2, 16)) {
          buf_printf(&b, "[%zu]", i + 1);
          break;
        }
        p = c + 1;
        continue;
      }
    }
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

int writer_run(mrun_t *m, json_t *section, json_t *subsections, json_t *notes, const char *previous,
               json_t *suggestions, char **text, store_mevs_t *evs, char *err, size_t errlen) {
  *text = NULL;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Report: %s\nSection: %s\n", m->title, json_string_value(json_object_get(section, "title")));
  size_t i;
  json_t *v;
  if (json_array_size(subsections)) {
    buf_puts(&u, "Subsections (use them as ### headings, in this order):\n");
    json_array_foreach(subsections, i, v) buf_printf(&u, "- %s\n", json_string_value(json_object_get(v, "title")));
  }
  buf_puts(&u, "Questions this section answers:\n");
  json_array_foreach(json_object_get(section, "questions"), i, v) buf_printf(&u, "- %s\n", json_string_value(v));
  buf_puts(&u, "\nNotes (cite them by number):\n");
  json_array_foreach(notes, i, v) {
    const char *summary = json_string_value(json_object_get(v, "content"));
    buf_printf(&u, "[%zu] \"%s\" (%s", i + 1, json_string_value(json_object_get(v, "quote")),
               json_string_value(json_object_get(v, "source_title")));
    if (json_integer_value(json_object_get(v, "page")) > 0)
      buf_printf(&u, ", p. %lld", (long long)json_integer_value(json_object_get(v, "page")));
    buf_printf(&u, ", credibility %lld)", (long long)json_integer_value(json_object_get(v, "credibility")));
    if (summary && summary[0]) buf_printf(&u, " - %s", summary);
    buf_putc(&u, '\n');
  }
  if (!json_array_size(notes)) buf_puts(&u, "(no notes: say briefly that the sources did not cover this)\n");
  const char *role = "writer";
  if (previous) {
    char *loc = to_local(previous, notes);
    buf_printf(&u, "\nPrevious draft:\n%s\n\nReviewer's suggestions:\n", loc);
    free(loc);
    json_array_foreach(suggestions, i, v) buf_printf(&u, "- %s\n", json_string_value(v));
    role = "reviser";
  }
  char action[160];
  snprintf(action, sizeof action, "%s \"%.100s\"", previous ? "revise" : "write",
           json_string_value(json_object_get(section, "title")));
  char *out = NULL;
  int rc = guard_write(m, role, section, notes, u.data, action, &out, evs, err, errlen);
  buf_free(&u);
  if (rc != LLM_OK) return rc;
  /* drop a heading the model may repeat */
  char *body = out;
  util_trim(body);
  if (body[0] == '#') {
    char *nl = strchr(body, '\n');
    const char *t = json_string_value(json_object_get(section, "title"));
    if (nl && t && strstr(body, t) && strstr(body, t) < nl) memmove(body, nl + 1, strlen(nl + 1) + 1);
    util_trim(body);
  }
  *text = agent_localize_citations(body, notes);
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
  json_array_foreach(sections, i, s) {
    const char *sid = json_string_value(json_object_get(s, "id"));
    json_t *d = json_object_get(drafts, sid);
    char *plain = agent_strip_markers(d ? json_string_value(json_object_get(d, "content")) : "");
    buf_printf(&u, "\n## [%s] %s\n%s\n", sid, json_string_value(json_object_get(s, "title")), plain);
    free(plain);
  }
  json_t *schema = review_schema();
  int rc = guard_review(m, sections, drafts, u.data, schema, review, evs, err, errlen);
  json_decref(schema);
  buf_free(&u);
  return rc;
}
