/*
 * verifier.c - checks every cited sentence against what it cites.
 *
 * Each sentence carrying [#NOTEID] markers gets a lexical support score: the
 * share of its content words (CJK: character bigrams) found in the cited
 * notes' quotes and passages. With a model configured, the sentences and
 * their evidence also go to the verifier tier in batches of 40 (ONE call per
 * batch) for a supported / not supported verdict. A sentence is supported
 * when the model says so and the score is at least LEX_MIN, or, without a
 * model, when the score reaches LEX_ALONE. Unsupported sentences are marked
 * in the draft so the reader sees them; the counts go into the report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/util.h"

#define LEX_MIN 0.2
#define LEX_ALONE 0.5
#define BATCH 40
#define MARK " *(unverified)*"

static json_t *verdict_schema(void) {
  return json_pack("{s:s, s:[s], s:{s:{s:s, s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}", "type", "object",
                   "required", "verdicts", "properties", "verdicts", "type", "array", "items", "type", "object",
                   "required", "id", "supported", "properties", "id", "type", "integer", "supported", "type", "boolean",
                   "reason", "type", "string");
}

static json_t *note_by_id(json_t *notes, const char *id) {
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) if (!strcmp(json_string_value(json_object_get(n, "id")), id)) return n;
  return NULL;
}

int verifier_run(mrun_t *m, json_t *drafts, json_t *notes, json_t **out, json_t **details, int *checked, int *supported,
                 store_mevs_t *evs, char *err, size_t errlen) {
  *out = json_object();
  *details = json_array();
  *checked = *supported = 0;
  /* collect cited sentences */
  json_t *items = json_array();
  const char *sid;
  json_t *d;
  json_object_foreach(drafts, sid, d) {
    json_t *sents = agent_sentences(json_string_value(json_object_get(d, "content")));
    size_t i;
    json_t *s;
    json_array_foreach(sents, i, s) {
      const char *text = json_string_value(s);
      json_t *ids = agent_cited_ids(text);
      if (!json_array_size(ids)) {
        json_decref(ids);
        continue;
      }
      buf_t ev = BUF_INIT;
      buf_init(&ev);
      size_t k;
      json_t *id;
      json_array_foreach(ids, k, id) {
        json_t *n = note_by_id(notes, json_string_value(id));
        if (!n) continue;
        buf_printf(&ev, "%s\n%s\n", json_string_value(json_object_get(n, "quote")),
                   json_string_value(json_object_get(n, "context")));
      }
      char *plain = agent_strip_markers(text);
      double score = ev.len ? text_support(plain, ev.data) : 0;
      json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:f, s:s}", "section_id", sid, "sentence", text, "plain",
                                             plain, "score", score, "evidence", ev.len ? ev.data : ""));
      free(plain);
      buf_free(&ev);
      json_decref(ids);
    }
    json_decref(sents);
  }
  /* model verdicts, in batches of at most BATCH claims that fit the context window */
  size_t n = json_array_size(items);
  int budget = m->offline ? 0 : agent_prompt_budget(m, LLM_TIER_VERIFIER, "verifier");
  for (size_t start = 0, next = 0; !m->offline && start < n; start = next) {
    buf_t u = BUF_INIT;
    buf_init(&u);
    buf_puts(&u, "Check each claim against its evidence.\n");
    json_t *claims = json_array();
    for (size_t i = start; i < n && i < start + BATCH; i++) {
      json_t *it = json_array_get(items, i);
      const char *ev = json_string_value(json_object_get(it, "evidence"));
      size_t evlen = strlen(ev);
      if (evlen > 1200) evlen = util_utf8_floor(ev, 1200);
      json_array_append_new(claims, json_sprintf("\n### Claim %zu\n%s\nEvidence:\n%.*s\n", i - start + 1,
                                                 json_string_value(json_object_get(it, "plain")), (int)evlen, ev));
    }
    next = start + agent_fit(&u, budget, claims, 0, NULL);
    json_decref(claims);
    json_t *schema = verdict_schema(), *res = NULL;
    char action[64];
    snprintf(action, sizeof action, "verify claims %zu-%zu", start + 1, next);
    int rc = agent_call(m, "verifier", LLM_TIER_VERIFIER, NULL, u.data, schema, &res, NULL, action, evs, err, errlen);
    json_decref(schema);
    buf_free(&u);
    if (rc == LLM_ERR_INVALID_JSON) {
      /* no verdicts for this batch: the lexical score decides alone */
      agent_fallback(m, "verifier", NULL, action, err, evs);
      continue;
    }
    if (rc != LLM_OK) {
      json_decref(items);
      return rc;
    }
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(res, "verdicts"), k, v) {
      json_int_t id = json_integer_value(json_object_get(v, "id"));
      if (id < 1 || start + (size_t)id - 1 >= next) continue;
      json_t *it = json_array_get(items, start + (size_t)id - 1);
      json_object_set(it, "model", json_object_get(v, "supported"));
      if (json_is_string(json_object_get(v, "reason"))) json_object_set(it, "reason", json_object_get(v, "reason"));
    }
    json_decref(res);
  }
  /* decide, and mark unsupported sentences */
  json_t *texts = json_object();
  json_object_foreach(drafts, sid, d) json_object_set(texts, sid, json_object_get(d, "content"));
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    double score = json_real_value(json_object_get(it, "score"));
    json_t *mv = json_object_get(it, "model");
    int ok = mv ? (json_is_true(mv) && score >= LEX_MIN) : score >= LEX_ALONE;
    const char *sentence = json_string_value(json_object_get(it, "sentence"));
    const char *sec = json_string_value(json_object_get(it, "section_id"));
    (*checked)++;
    if (ok)
      (*supported)++;
    else if (!strstr(sentence, MARK)) {
      const char *cur = json_string_value(json_object_get(texts, sec));
      const char *at = strstr(cur, sentence);
      if (at) {
        buf_t b = BUF_INIT;
        buf_init(&b);
        buf_append(&b, cur, (size_t)(at - cur) + strlen(sentence));
        buf_puts(&b, MARK);
        buf_puts(&b, at + strlen(sentence));
        json_object_set_new(texts, sec, json_string(b.data));
        json_object_set_new(*out, sec, json_string(b.data));
        buf_free(&b);
      }
    }
    /* why a sentence is unverified, for the reader (report footnote) */
    char why[512] = "";
    const char *mr = json_string_value(json_object_get(it, "reason"));
    if (!ok && mv && !json_is_true(mv))
      snprintf(why, sizeof why, "%s", mr && mr[0] ? mr : "the verifier found no support for it in the cited sources");
    else if (!ok)
      snprintf(why, sizeof why, "the cited passages share only %.0f%% of its words", score * 100);
    json_array_append_new(
        *details, json_pack("{s:s, s:s, s:f, s:b, s:O?, s:s?}", "section_id", sec, "sentence", sentence, "score", score,
                            "supported", ok, "model", mv, "reason", ok ? NULL : why));
  }
  json_decref(texts);
  json_decref(items);
  return 0;
}
