/*
 * offline.c - the extractive agents used when no model is configured (or a
 * mission asks for "offline"). Same phases, no model:
 *   plan      one section per research question; without questions,
 *             sections from the library passages that match the mission,
 *             grouped by document heading (a cheap clustering);
 *   research  the sentences of the gathered passages that share most
 *             content words with the section, verbatim, as notes;
 *   reflect   quality = share of the section's questions that some note
 *             answers lexically (one round is enough: the same passages
 *             would come back);
 *   write     the notes' sentences in order, each cited;
 *   review    an introduction listing the questions, a conclusion listing
 *             the sections; no revision.
 * The report says it was made offline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/util.h"
#include "rag/rag.h"

static json_t *section_obj(int i, const char *title, json_t *questions) {
  char id[16];
  snprintf(id, sizeof id, "s%d", i + 1);
  return json_pack("{s:s, s:n, s:i, s:s, s:o, s:i}", "id", id, "parent_id", "position", i, "title", title, "questions",
                   questions, "priority", 1);
}

int offline_plan(mrun_t *m, json_t **analysis, json_t **sections, char *err, size_t errlen) {
  (void)err;
  (void)errlen;
  *analysis = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "report", "audience", "general", "tone", m->tone, "length",
                        m->length, "language", m->language);
  *sections = json_array();
  size_t i;
  json_t *q;
  json_array_foreach(m->questions, i, q) {
    if (i >= 8) break;
    json_array_append_new(*sections, section_obj((int)i, json_string_value(q), json_pack("[O]", q)));
  }
  if (json_array_size(*sections)) return 0;
  /* No questions: cluster the passages matching the mission by heading/document. */
  rag_query_t rq;
  rag_query_init(&rq);
  buf_t qb = BUF_INIT;
  buf_init(&qb);
  buf_printf(&qb, "%s %s", m->title, m->description ? m->description : "");
  rq.user_id = m->user_id;
  rq.group_id = m->group_id;
  rq.query = qb.data;
  rq.k = 20;
  rag_results_t r = {0};
  char e[256];
  if (m->use_docs && rag_search(m->deps->rag, &rq, &r, e, sizeof e) == 0) {
    json_t *seen = json_object();
    for (size_t k = 0; k < r.n && json_array_size(*sections) < 5; k++) {
      const char *t = r.hits[k].heading && r.hits[k].heading[0] ? r.hits[k].heading : r.hits[k].title;
      if (!t || !t[0] || json_object_get(seen, t)) continue;
      json_object_set_new(seen, t, json_true());
      json_array_append_new(*sections, section_obj((int)json_array_size(*sections), t, json_pack("[s]", t)));
    }
    json_decref(seen);
  }
  rag_results_free(&r);
  if (!json_array_size(*sections))
    json_array_append_new(*sections, section_obj(0, m->title, json_pack("[s]", qb.data)));
  buf_free(&qb);
  return 0;
}

/* Whether sentence s is the title of its source (a title line ending in a
 * full stop, "... at M.I.T.", still reads as a sentence). */
static int is_title(const char *s, const char *title) {
  if (!title || !title[0]) return 0;
  char *a = agent_norm(s), *b = agent_norm(title);
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '.') a[--la] = 0;
  if (lb && b[lb - 1] == '.') b[--lb] = 0;
  int same = !strcmp(a, b);
  free(a);
  free(b);
  return same;
}

json_t *offline_notes(mrun_t *m, json_t *section, const passages_t *ps) {
  buf_t q = BUF_INIT;
  buf_init(&q);
  buf_puts(&q, json_string_value(json_object_get(section, "title")));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(section, "questions"), i, v) {
    buf_putc(&q, ' ');
    buf_puts(&q, json_string_value(v));
  }
  /* score every sentence; keep the best, at most 2 per passage */
  json_t *cands = json_array();
  for (size_t k = 0; k < ps->n; k++) {
    json_t *sents = agent_sentences(ps->v[k].text);
    json_array_foreach(sents, i, v) {
      const char *s = json_string_value(v);
      size_t len = strlen(s);
      /* a sentence, not a heading, the document's title or a cut-off piece */
      if (len < 40 || len > 600 || s[0] == '#' || s[0] == '|' || !text_ends_sentence(s) || is_title(s, ps->v[k].title))
        continue;
      double score = text_support(q.data, s);
      if (score <= 0) continue;
      json_array_append_new(cands, json_pack("{s:f, s:i, s:O, s:i}", "score", score, "p", (int)k, "s", v, "order",
                                             (int)json_array_size(cands)));
    }
    json_decref(sents);
  }
  json_t *notes = json_array();
  int *per = calloc(ps->n ? ps->n : 1, sizeof *per);
  if (!per) abort();
  while ((int)json_array_size(notes) < m->notes_per_section) {
    double best = 0;
    json_t *pick = NULL;
    json_array_foreach(cands, i, v) {
      double s = json_real_value(json_object_get(v, "score"));
      int p = (int)json_integer_value(json_object_get(v, "p"));
      if (s > best && per[p] < 2 && !json_object_get(v, "taken")) best = s, pick = v;
    }
    if (!pick) break;
    json_object_set_new(pick, "taken", json_true());
    int p = (int)json_integer_value(json_object_get(pick, "p"));
    per[p]++;
    const passage_t *src = &ps->v[p];
    json_array_append_new(notes,
                          research_note(src, json_string_value(json_object_get(pick, "s")), "", src->web ? 5 : 6));
  }
  free(per);
  json_decref(cands);
  buf_free(&q);
  return notes;
}

json_t *offline_reflect(mrun_t *m, json_t *sections, json_t *notes) {
  json_t *out = json_deep_copy(sections);
  size_t i;
  json_t *s;
  json_array_foreach(out, i, s) {
    json_t *sn = agent_section_notes(notes, json_string_value(json_object_get(s, "id")));
    size_t nq = json_array_size(json_object_get(s, "questions")), answered = 0, k;
    json_t *q;
    json_array_foreach(json_object_get(s, "questions"), k, q) {
      size_t j;
      json_t *n;
      json_array_foreach(
          sn, j, n) if (text_support(json_string_value(q), json_string_value(json_object_get(n, "quote"))) >= 0.3) {
        answered++;
        break;
      }
    }
    double quality = nq ? (double)answered / (double)nq : (json_array_size(sn) ? 1.0 : 0.0);
    json_object_set_new(s, "quality", json_real(quality));
    json_object_set_new(s, "reflections", json_integer(json_integer_value(json_object_get(s, "reflections")) + 1));
    json_decref(sn);
  }
  (void)m;
  return out;
}

char *offline_write(mrun_t *m, json_t *section, json_t *notes) {
  (void)m;
  (void)section;
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *quote = json_string_value(json_object_get(n, "quote"));
    char *t = util_strdup(quote);
    util_trim(t);
    /* one line per quote: collapse internal newlines */
    for (char *c = t; *c; c++)
      if (*c == '\n') *c = ' ';
    size_t len = strlen(t);
    int ends = len && (t[len - 1] == '.' || t[len - 1] == '!' || t[len - 1] == '?');
    if (ends) t[len - 1] = 0;
    buf_printf(&b, "%s [#%s]%s", t, json_string_value(json_object_get(n, "id")), ends ? "." : ".");
    free(t);
    buf_puts(&b, (i % 3 == 2) ? "\n\n" : " ");
  }
  char *out = buf_detach(&b, NULL);
  util_trim(out);
  return out;
}

json_t *offline_review(mrun_t *m, json_t *sections, json_t *drafts) {
  (void)drafts;
  int ko = !strcmp(m->language, "ko");
  buf_t intro = BUF_INIT, concl = BUF_INIT;
  buf_init(&intro);
  buf_init(&concl);
  if (m->description && m->description[0]) buf_printf(&intro, "%s\n\n", m->description);
  buf_puts(&intro, ko ? "이 보고서는 다음 질문을 다룹니다:" : "This report addresses the following questions:");
  size_t i;
  json_t *v;
  json_array_foreach(sections, i, v) buf_printf(&intro, "\n- %s", json_string_value(json_object_get(v, "title")));
  buf_puts(&concl,
           ko ? "이 보고서는 라이브러리의 원문 인용만으로 구성되었습니다. 각 절의 인용을 원문과 함께 검토하십시오."
              : "This report is made only of verbatim quotes from the sources; read each section's "
                "quotes with their sources before drawing conclusions.");
  json_t *r = json_pack("{s:s, s:s, s:[], s:i}", "introduction", intro.data, "conclusion", concl.data, "sections",
                        "extractive", 1);
  buf_free(&intro);
  buf_free(&concl);
  return r;
}
