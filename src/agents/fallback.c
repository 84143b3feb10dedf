/*
 * fallback.c - each agent's guarded call: its semantic check, and what the
 * extractive (offline) agent does when the model's answer fails twice.
 *
 * The agents keep building their prompts; these functions replace their
 * plain agent_call() with agent_ask() (guard.c) and, on AGENT_REJECTED, run
 * offline_write / offline_review / offline_reflect / offline_plan /
 * offline_notes for the same step and record it (agent_fallback). A report
 * then always carries cited, verified text for every section with notes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/util.h"

static int has_id(json_t *flat, const char *id) {
  size_t i;
  json_t *s;
  json_array_foreach(flat, i, s) if (id && !strcmp(json_string_value(json_object_get(s, "id")), id)) return 1;
  return 0;
}

/* agent_ask for a structured step; on a second rejection records the
 * fallback (what, section_id) and returns AGENT_REJECTED. */
static int ask_structured(mrun_t *m, const agent_ask_t *a, json_t **out, const char *section_id, const char *what,
                          store_mevs_t *evs, char *err, size_t errlen) {
  char why[600];
  int rc = agent_ask(m, a, out, NULL, NULL, evs, why, sizeof why, err, errlen);
  if (rc == AGENT_REJECTED) agent_fallback(m, a->role, section_id, what, why, evs);
  return rc;
}

/* ---- writer and reviser ---- */

int guard_write(mrun_t *m, const char *role, json_t *section, json_t *notes, json_t *vars, const char *user,
                const char *action, char **text, store_mevs_t *evs, char *err, size_t errlen) {
  *text = NULL;
  const char *sid = json_string_value(json_object_get(section, "id"));
  const char *title = json_string_value(json_object_get(section, "title"));
  size_t nnotes = json_array_size(notes);
  agent_ask_t a = {.role = role,
                   .tier = LLM_TIER_INTELLIGENT,
                   .vars = vars,
                   .user = user,
                   .action = action,
                   .prose = {.nnotes = nnotes, .need_citation = nnotes > 0}};
  char why[600];
  int dropped = 0;
  int rc = agent_ask(m, &a, NULL, text, &dropped, evs, why, sizeof why, err, errlen);
  if (rc == LLM_OK) {
    if (dropped)
      mrun_warn(m, "citations_dropped", sid, 0,
                "Section \"%s\": %d citation%s of notes that do not exist %s removed from the %s's text", title,
                dropped, dropped == 1 ? "" : "s", dropped == 1 ? "was" : "were", role);
    return LLM_OK;
  }
  if (rc != AGENT_REJECTED) return rc;
  char what[200];
  snprintf(what, sizeof what, "section \"%.120s\"", title ? title : "");
  agent_fallback(m, role, sid, what, why, evs);
  *text = offline_write(m, section, notes);
  if (!(*text)[0]) {
    free(*text);
    *text = util_strdup(!strcmp(m->language, "ko") ? "수집된 자료는 이 절의 질문을 다루지 않습니다."
                                                   : "The sources gathered for this report do not cover this section.");
  }
  return LLM_OK;
}

/* ---- reviewer ---- */

static int check_review(mrun_t *m, const char *instructions, json_t *ans, void *ud, char *why, size_t whylen) {
  json_t *sections = ud;
  static const char *const PARTS[] = {"introduction", "conclusion"};
  for (int i = 0; i < 2; i++) {
    guard_prose_t g = {.instructions = instructions, .language = m->language};
    char *t = NULL, w[400];
    int dropped = 0;
    if (guard_prose(json_string_value(json_object_get(ans, PARTS[i])), &g, &t, &dropped, w, sizeof w) != 0) {
      snprintf(why, whylen, "its %s was unusable: %s", PARTS[i], w);
      return -1;
    }
    json_object_set_new(ans, PARTS[i], json_string(t));
    free(t);
  }
  json_t *kept = json_array();
  size_t i, given = json_array_size(json_object_get(ans, "sections"));
  json_t *v;
  json_array_foreach(json_object_get(ans, "sections"), i,
                     v) if (has_id(sections, json_string_value(json_object_get(v, "id")))) json_array_append(kept, v);
  json_object_set_new(ans, "sections", kept);
  if (given && !json_array_size(kept)) {
    snprintf(why, whylen, "none of its section ids exists (use the ids given in brackets)");
    return -1;
  }
  return 0;
}

int guard_review(mrun_t *m, json_t *sections, json_t *drafts, const char *user, json_t *schema, json_t **review,
                 store_mevs_t *evs, char *err, size_t errlen) {
  agent_ask_t a = {.role = "reviewer",
                   .tier = LLM_TIER_MID,
                   .user = user,
                   .schema = schema,
                   .action = "review of all drafts",
                   .check = check_review,
                   .ud = sections};
  int rc = ask_structured(m, &a, review, NULL, "the introduction and the conclusion", evs, err, errlen);
  if (rc != AGENT_REJECTED) return rc;
  /* the drafts stay as written; no section is revised */
  *review = offline_review(m, sections, drafts);
  json_object_del(*review, "extractive");
  json_object_set_new(*review, "conclusion",
                      json_string(!strcmp(m->language, "ko")
                                      ? "각 절은 검증된 노트만을 근거로 합니다. 인용된 문장을 원문과 함께 읽으십시오."
                                      : "Each section rests only on the verified notes; read every cited sentence "
                                        "with its source."));
  return LLM_OK;
}

/* ---- reflector ---- */

static int check_reflection(mrun_t *m, const char *instructions, json_t *ans, void *ud, char *why, size_t whylen) {
  (void)instructions;
  json_t *sections = ud;
  json_t *kept = json_array();
  size_t i, k, given = json_array_size(json_object_get(ans, "sections")), bad_quality = 0;
  json_t *v, *q;
  json_array_foreach(json_object_get(ans, "sections"), i, v) {
    const char *id = json_string_value(json_object_get(v, "id"));
    if (!has_id(sections, id)) continue;
    json_t *jq = json_object_get(v, "quality");
    double quality = json_is_number(jq) ? json_number_value(jq) : NAN;
    if (quality > 1 && quality <= 10) quality /= 10; /* a 1-10 scale */
    if (!(quality >= 0 && quality <= 1)) {
      bad_quality++;
      continue;
    }
    json_t *c = json_deep_copy(v);
    json_object_set_new(c, "quality", json_real(quality));
    json_t *nq = json_array();
    json_array_foreach(json_object_get(v, "new_questions"), k,
                       q) if (guard_is_question(json_string_value(q), m->language)) json_array_append(nq, q);
    json_object_set_new(c, "new_questions", nq);
    json_array_append_new(kept, c);
  }
  json_object_set_new(ans, "sections", kept);
  json_t *changes = json_object_get(ans, "outline_changes");
  /* a change naming a section that does not exist is dropped */
  for (i = json_array_size(changes); i-- > 0;) {
    json_t *c = json_array_get(changes, i);
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *into = json_string_value(json_object_get(c, "into"));
    if ((id && !has_id(sections, id)) || (into && !has_id(sections, into))) json_array_remove(changes, i);
  }
  int tops = 0;
  json_array_foreach(sections, i, v) if (!json_is_string(json_object_get(v, "parent_id"))) tops++;
  if (tops && !json_array_size(kept)) {
    snprintf(why, whylen, "%s",
             bad_quality ? "its quality scores are not numbers from 0 to 1"
             : given     ? "none of its section ids exists (use the ids given in brackets)"
                         : "it rated no section");
    return -1;
  }
  return 0;
}

int guard_reflect(mrun_t *m, json_t *sections, json_t *notes, json_t *vars, const char *user, json_t *schema,
                  json_t **out, json_t **fallback, store_mevs_t *evs, char *err, size_t errlen) {
  *fallback = NULL;
  agent_ask_t a = {.role = "reflector",
                   .tier = LLM_TIER_MID,
                   .vars = vars,
                   .user = user,
                   .schema = schema,
                   .action = "reflection on all sections",
                   .check = check_reflection,
                   .ud = sections};
  int rc = ask_structured(m, &a, out, NULL, "the reflection on the sections", evs, err, errlen);
  if (rc != AGENT_REJECTED) return rc;
  *fallback = offline_reflect(m, sections, notes);
  return LLM_OK;
}

/* ---- planner ---- */

static int keep_questions(mrun_t *m, json_t *obj) {
  json_t *qs = json_object_get(obj, "questions"), *kept = json_array();
  size_t i;
  json_t *q;
  json_array_foreach(qs, i, q) if (guard_is_question(json_string_value(q), m->language)) json_array_append(kept, q);
  int n = (int)json_array_size(kept);
  json_object_set_new(obj, "questions", kept);
  return n;
}

static int check_plan(mrun_t *m, const char *instructions, json_t *ans, void *ud, char *why, size_t whylen) {
  (void)instructions;
  (void)ud;
  size_t i, k;
  json_t *s, *c;
  int questions = 0, titled = 0;
  json_array_foreach(json_object_get(ans, "sections"), i, s) {
    const char *t = json_string_value(json_object_get(s, "title"));
    if (t && t[0]) titled++;
    questions += keep_questions(m, s);
    json_array_foreach(json_object_get(s, "subsections"), k, c) questions += keep_questions(m, c);
  }
  if (!titled) {
    snprintf(why, whylen, "it proposed no section with a title");
    return -1;
  }
  if (!questions) {
    snprintf(why, whylen, "its research questions are not questions (write each as a question ending with '?')");
    return -1;
  }
  return 0;
}

int guard_plan(mrun_t *m, json_t *vars, const char *user, json_t *schema, json_t **out, json_t **analysis,
               json_t **sections, store_mevs_t *evs, char *err, size_t errlen) {
  *analysis = *sections = NULL;
  agent_ask_t a = {.role = "planner",
                   .tier = LLM_TIER_INTELLIGENT,
                   .vars = vars,
                   .user = user,
                   .schema = schema,
                   .action = "analysis and outline",
                   .check = check_plan};
  int rc = ask_structured(m, &a, out, NULL, "the outline", evs, err, errlen);
  if (rc != AGENT_REJECTED) return rc;
  return offline_plan(m, analysis, sections, err, errlen);
}

/* ---- researcher ---- */

/* Notes whose quotes are all found in no passage are as good as none. */
static int check_notes(mrun_t *m, const char *instructions, json_t *ans, void *ud, char *why, size_t whylen) {
  (void)m;
  (void)instructions;
  const passages_t *ps = ud;
  size_t i, given = 0, found = 0;
  json_t *v;
  json_array_foreach(json_object_get(ans, "notes"), i, v) {
    const char *q = json_string_value(json_object_get(v, "quote"));
    if (!q) continue;
    given++;
    for (size_t k = 0; k < ps->n; k++)
      if (agent_quote_in(q, ps->v[k].text)) {
        found++;
        break;
      }
  }
  if (given && !found) {
    snprintf(why, whylen, "none of its quotes appears verbatim in a passage (copy them character for character)");
    return -1;
  }
  return 0;
}

int guard_notes(mrun_t *m, json_t *section, const passages_t *ps, json_t *vars, const char *user, json_t *schema,
                const char *action, json_t **out, json_t **fallback, store_mevs_t *evs, char *err, size_t errlen) {
  *fallback = NULL;
  agent_ask_t a = {.role = "researcher",
                   .tier = LLM_TIER_MID,
                   .vars = vars,
                   .user = user,
                   .schema = schema,
                   .action = action,
                   .check = check_notes,
                   .ud = (void *)ps};
  char what[200];
  snprintf(what, sizeof what, "the notes of \"%.120s\"", json_string_value(json_object_get(section, "title")));
  int rc = ask_structured(m, &a, out, json_string_value(json_object_get(section, "id")), what, evs, err, errlen);
  if (rc != AGENT_REJECTED) return rc;
  *fallback = offline_notes(m, section, ps);
  return LLM_OK;
}

/* ---- after verification ---- */

int guard_unverified(mrun_t *m, json_t *sections, json_t *drafts, json_t *notes, json_t *changed, json_t *details,
                     int *checked, int *supported, store_mevs_t *evs, char *err, size_t errlen) {
  if (m->offline) return 0; /* the drafts are extractive already */
  json_t *redo = json_object();
  size_t i;
  json_t *s, *d;
  json_array_foreach(sections, i, s) {
    const char *sid = json_string_value(json_object_get(s, "id"));
    if (json_is_string(json_object_get(s, "parent_id")) || !json_object_get(drafts, sid)) continue;
    int cited = 0, ok = 0;
    size_t k;
    json_array_foreach(details, k, d) if (!strcmp(json_string_value(json_object_get(d, "section_id")), sid)) {
      cited++;
      ok += json_is_true(json_object_get(d, "supported"));
    }
    json_t *sn = agent_section_notes(notes, sid);
    if (json_array_size(sn) && !ok) {
      char *text = offline_write(m, s, sn);
      if (text[0]) {
        json_object_set_new(redo, sid, json_pack("{s:s}", "content", text));
        char what[200];
        snprintf(what, sizeof what, "section \"%.120s\"", json_string_value(json_object_get(s, "title")));
        agent_fallback(m, "writer", sid, what,
                       cited ? "none of its cited sentences is supported by the notes it cites" : "it cites no note",
                       evs);
      }
      free(text);
    }
    json_decref(sn);
  }
  int rc = 0;
  if (json_object_size(redo)) {
    json_t *out = NULL, *det = NULL;
    int c = 0, ok = 0;
    rc = verifier_run(m, redo, notes, &out, &det, &c, &ok, evs, err, errlen);
    if (rc == 0) {
      for (i = json_array_size(details); i-- > 0;) {
        const char *sid = json_string_value(json_object_get(json_array_get(details, i), "section_id"));
        if (json_object_get(redo, sid)) {
          json_array_remove(details, i);
          (*checked)--;
        }
      }
      json_array_extend(details, det);
      *checked += c;
      *supported += ok;
      const char *sid;
      json_t *v;
      json_object_foreach(redo, sid, v) {
        json_t *marked = json_object_get(out, sid);
        json_object_set(changed, sid, marked ? marked : json_object_get(v, "content"));
      }
    }
    json_decref(out);
    json_decref(det);
  }
  json_decref(redo);
  return rc;
}
