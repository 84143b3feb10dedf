/*
 * depth.c - how deep a mission researches, and how much of a prompt fits.
 *
 * A mission's settings.depth ("quick", "standard", "deep") selects one row
 * of DEPTHS below: the defaults of every knob that makes a report longer or
 * better sourced. Explicit settings (max_rounds, notes_per_section, ...)
 * still override a row's values (mrun_load). The knobs grow together so that
 * model calls stay linear in sections: more searches and passages per
 * section, more notes, more rounds, but still one researcher call per batch
 * of passages that fits the context window, one writer call per section.
 *
 * Prompt budgeting: every agent builds its user message from items
 * (passages, notes, drafts) appended while they fit the tier's context
 * window minus the completion reserve and the system prompt (estimated with
 * llm_estimate_tokens). What does not fit is dropped and said in a
 * "context_trimmed" warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/util.h"

static const agent_depth_t DEPTHS[] = {
    /* name      sections queries hits passages notes rounds passes split words web */
    {"quick", 3, 1, 3, 6, 5, 1, 1, 0, 60, 2},
    {"standard", 6, 2, 4, 12, 8, 2, 2, 0, 90, 3},
    {"deep", 10, 4, 6, 24, 20, 3, 2, 1, 130, 6},
};

const agent_depth_t *agent_depth(const char *name) {
  for (size_t i = 0; i < sizeof DEPTHS / sizeof *DEPTHS; i++)
    if (name && !strcmp(DEPTHS[i].name, name)) return &DEPTHS[i];
  return NULL;
}

int agent_prompt_budget(mrun_t *m, llm_tier_t tier, const char *role) {
  int system = 0;
  char *tmpl = agent_prompt(m->deps, role);
  if (tmpl) {
    system = llm_estimate_tokens(tmpl);
    free(tmpl);
  }
  llm_endpoint_t ep;
  char err[256];
  llm_resolve(m->deps->llm, m->user_id, tier, &ep, err, sizeof err);
  int window = ep.context_window > 0 ? ep.context_window : AGENT_DEFAULT_CONTEXT;
  int reserve = ep.max_tokens > 0 ? ep.max_tokens : 1024;
  memset(&ep, 0, sizeof ep); /* the endpoint holds the API key */
  /* an answer never needs more than a third of the window; a tiny window
   * still leaves room for a short one */
  if (reserve > window / 3) reserve = window / 3;
  if (reserve < 128) reserve = 128;
  /* 32: message framing; the estimate counts ~4 characters per token, and
   * figures, labels and punctuation cost more: keep a fifth in reserve */
  int budget = (window - reserve - system - 32) * 4 / 5;
  return budget < 64 ? 64 : budget;
}

size_t agent_fit(buf_t *u, int budget, json_t *items, size_t from, int *dropped) {
  int used = llm_estimate_tokens(u->data);
  size_t n = json_array_size(items), i;
  for (i = from; i < n; i++) {
    const char *s = json_string_value(json_array_get(items, i));
    int t = llm_estimate_tokens(s);
    if (used + t > budget) {
      /* the first item alone too big: its head, so a call never has nothing */
      if (i == from && budget - used > 32) {
        size_t room = (size_t)(budget - used) * 4;
        size_t len = strlen(s);
        buf_append(u, s, util_utf8_floor(s, room < len ? room : len));
        buf_putc(u, '\n');
        i++;
      }
      break;
    }
    buf_puts(u, s);
    used += t;
  }
  if (dropped) *dropped = (int)(n - i);
  return i;
}

json_t *agent_group_notes(json_t *subsections, json_t *notes) {
  size_t ns = json_array_size(subsections), i, k;
  json_t *groups = json_array();
  for (k = 0; k < ns; k++) json_array_append_new(groups, json_array());
  if (!ns) return groups;
  json_t *n;
  json_array_foreach(notes, i, n) {
    char *ev = NULL;
    {
      buf_t b = BUF_INIT;
      buf_init(&b);
      buf_printf(
          &b, "%s %s %s",
          json_string_value(json_object_get(n, "quote")) ? json_string_value(json_object_get(n, "quote")) : "",
          json_string_value(json_object_get(n, "content")) ? json_string_value(json_object_get(n, "content")) : "",
          json_string_value(json_object_get(n, "source_title")) ? json_string_value(json_object_get(n, "source_title"))
                                                                : "");
      ev = buf_detach(&b, NULL);
    }
    size_t best = i % ns; /* no signal: spread evenly */
    double bs = 0;
    for (k = 0; k < ns; k++) {
      json_t *sub = json_array_get(subsections, k);
      double sc = text_support(json_string_value(json_object_get(sub, "title")), ev);
      size_t j;
      json_t *q;
      json_array_foreach(json_object_get(sub, "questions"), j, q) {
        double x = text_support(json_string_value(q), ev);
        if (x > sc) sc = x;
      }
      if (sc > bs) bs = sc, best = k;
    }
    json_array_append(json_array_get(groups, best), n);
    free(ev);
  }
  return groups;
}

json_t *agent_split_section(mrun_t *m, json_t *section, json_t *notes) {
  json_t *qs = json_object_get(section, "questions");
  size_t nq = json_array_size(qs), i;
  json_t *n, *sources = json_object();
  json_array_foreach(notes, i, n) {
    const char *k = json_string_value(json_object_get(n, "source_key"));
    const char *d = json_string_value(json_object_get(n, "document_id"));
    json_object_set_new(sources, d && d[0] ? d : k ? k : "", json_true());
  }
  size_t distinct = json_object_size(sources);
  json_decref(sources);
  if (!m->split_sections || nq < 2 || (int)json_array_size(notes) < m->notes_per_section || distinct < 4) return NULL;
  /* candidate subsections: one per question; keep the questions with enough notes */
  json_t *cands = json_array();
  const char *sid = json_string_value(json_object_get(section, "id"));
  for (i = 0; i < nq && i < 8; i++) {
    const char *q = json_string_value(json_array_get(qs, i));
    if (q && q[0]) json_array_append_new(cands, json_pack("{s:s, s:[s]}", "title", q, "questions", q));
  }
  json_t *groups = agent_group_notes(cands, notes), *out = json_array();
  size_t k;
  json_t *g;
  json_array_foreach(groups, k, g) {
    if (json_array_size(g) < 3 || json_array_size(out) >= 5) continue;
    json_t *c = json_array_get(cands, k);
    char id[48];
    snprintf(id, sizeof id, "%s.%zu", sid, json_array_size(out) + 1);
    json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:O, s:O, s:i}", "id", id, "parent_id", sid, "position",
                                         (json_int_t)json_array_size(out), "title", json_object_get(c, "title"),
                                         "questions", json_object_get(c, "questions"), "priority", 1));
  }
  json_decref(groups);
  json_decref(cands);
  if (json_array_size(out) < 2) {
    json_decref(out);
    return NULL;
  }
  return out;
}
