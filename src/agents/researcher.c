/*
 * researcher.c - reading for a section, and the research agent.
 *
 * Gathering needs no model: the section title and its questions are the
 * queries (the planner already wrote them as searchable questions). The
 * library is searched per query (scoped to the mission's user and group),
 * the web through the configured providers, and the best pages are fetched
 * and cut to the paragraphs that share most words with the section.
 *
 * The research agent then makes ONE structured call per section per round:
 * passages in, notes out ({passage, quote, summary, credibility}). Every
 * quote is checked against the passage text after normalisation (and then
 * against the other passages of the section, since models mislabel); a
 * quote found nowhere is rejected and counted in the agent's log entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "web/web.h"

#define PASSAGE_MAX_CHARS 1400
#define MAX_PASSAGES 8

static passage_t *add_passage(passages_t *ps) {
  ps->v = realloc(ps->v, (ps->n + 1) * sizeof *ps->v);
  if (!ps->v) abort();
  passage_t *p = &ps->v[ps->n];
  memset(p, 0, sizeof *p);
  snprintf(p->label, sizeof p->label, "P%zu", ps->n + 1);
  ps->n++;
  return p;
}

/* Query texts of a section: title + questions (at most 4). */
static json_t *section_queries(json_t *section) {
  json_t *q = json_array();
  json_array_append_new(q, json_string(json_string_value(json_object_get(section, "title"))));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(section, "questions"), i, v) {
    if (json_array_size(q) >= 4) break;
    if (json_is_string(v) && json_string_length(v)) json_array_append(q, v);
  }
  return q;
}

/* The window of a page's text that best matches the section (paragraphs). */
static char *best_window(const char *text, const char *query) {
  json_t *paras = json_array();
  const char *p = text;
  while (*p) {
    const char *e = strstr(p, "\n\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > 40) json_array_append_new(paras, json_stringn(p, len));
    p += len;
    while (*p == '\n') p++;
  }
  size_t best = 0;
  double bs = -1;
  size_t i;
  json_t *v;
  json_array_foreach(paras, i, v) {
    double s = agent_support(query, json_string_value(v));
    if (s > bs) bs = s, best = i;
  }
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (i = best; i < json_array_size(paras) && b.len < PASSAGE_MAX_CHARS; i++) {
    if (b.len) buf_puts(&b, "\n\n");
    buf_puts(&b, json_string_value(json_array_get(paras, i)));
  }
  json_decref(paras);
  if (b.len > PASSAGE_MAX_CHARS * 2) buf_truncate(&b, util_utf8_floor(b.data, PASSAGE_MAX_CHARS * 2));
  return buf_detach(&b, NULL);
}

int research_gather(mrun_t *m, json_t *section, passages_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  json_t *queries = section_queries(section);
  char *qall = NULL;
  {
    buf_t b = BUF_INIT;
    buf_init(&b);
    size_t i;
    json_t *v;
    json_array_foreach(queries, i, v) {
      buf_puts(&b, json_string_value(v));
      buf_putc(&b, ' ');
    }
    qall = buf_detach(&b, NULL);
  }
  json_t *seen = json_object();
  if (m->use_docs) {
    size_t i;
    json_t *v;
    json_array_foreach(queries, i, v) {
      rag_query_t q;
      rag_query_init(&q);
      q.user_id = m->user_id;
      q.group_id = m->group_id;
      q.query = json_string_value(v);
      q.k = 4;
      q.per_document = 2;
      rag_results_t r = {0};
      char e[256];
      if (rag_search(m->app->rag, &q, &r, e, sizeof e) != 0) {
        snprintf(err, errlen, "library search failed: %s", e);
        mrun_warn(m, "library_search_failed", json_string_value(json_object_get(section, "id")), 0,
                  "Library search failed: %s", e);
        rag_results_free(&r);
        continue;
      }
      for (size_t k = 0; k < r.n && out->n < MAX_PASSAGES; k++) {
        char key[32];
        snprintf(key, sizeof key, "c%lld", (long long)r.hits[k].chunk_id);
        if (json_object_get(seen, key)) continue;
        json_object_set_new(seen, key, json_true());
        passage_t *p = add_passage(out);
        p->text = util_strdup(r.hits[k].text);
        p->title = util_strdup(r.hits[k].title && r.hits[k].title[0] ? r.hits[k].title : r.hits[k].filename);
        snprintf(p->document_id, sizeof p->document_id, "%s", r.hits[k].document_id);
        p->chunk_id = r.hits[k].chunk_id;
        p->page = r.hits[k].page;
        store_doc_t *d = NULL;
        if (store_doc_get(m->app->store, m->user_id, p->document_id, &d) == STORE_OK && d->authors)
          p->authors = util_strdup(d->authors);
        store_doc_free(d);
      }
      rag_results_free(&r);
    }
  }
  if (m->use_web && !mrun_cancelled(m)) {
    size_t nq = json_array_size(queries);
    const char **qs = calloc(nq ? nq : 1, sizeof *qs);
    for (size_t i = 0; i < nq; i++) qs[i] = json_string_value(json_array_get(queries, i));
    web_search_opts_t o = {.max_results = 5};
    web_results_t wr = {0};
    char e[512];
    const char *sid = json_string_value(json_object_get(section, "id"));
    if (web_search(m->app->web, m->user_id, qs, nq, &o, &wr, e, sizeof e) == 0) {
      if (wr.warnings && wr.warnings[0]) mrun_warn(m, "web_search_degraded", NULL, 0, "Web search: %s", wr.warnings);
      int fetched = 0, failed = 0;
      for (size_t k = 0; k < wr.n && fetched < 3 && out->n < MAX_PASSAGES + 3; k++) {
        if (json_object_get(seen, wr.items[k].url)) continue;
        json_object_set_new(seen, wr.items[k].url, json_true());
        web_page_t pg = {0};
        char fe[512];
        if (web_fetch_page(m->app->web, wr.items[k].url, &pg, fe, sizeof fe) != 0 || !pg.text || !pg.text[0]) {
          log_info("agents", "mission %s: skipped %s: %s", m->id, wr.items[k].url, fe);
          failed++;
          web_page_free(&pg);
          continue;
        }
        passage_t *p = add_passage(out);
        p->web = 1;
        p->text = best_window(pg.text, qall);
        p->title = util_strdup(pg.title && pg.title[0] ? pg.title : wr.items[k].title);
        p->url = util_strdup(pg.final_url ? pg.final_url : wr.items[k].url);
        fetched++;
        web_page_free(&pg);
      }
      if (failed && !fetched)
        mrun_warn(m, "web_fetch_failed", sid, 0, "None of the %d web pages found for this section could be read", failed);
    } else if (strstr(e, "no search provider is configured")) {
      mrun_warn(m, "web_no_provider", NULL, 0,
                "Web search was requested but no search provider is configured: the mission used no web sources "
                "(ask an admin or set one in Settings)");
    } else {
      log_info("agents", "mission %s: web search failed: %s", m->id, e);
      mrun_warn(m, "web_search_failed", sid, 0, "Web search failed: %s", e);
    }
    web_results_free(&wr);
    free(qs);
  }
  if (m->use_scholarly && !mrun_cancelled(m)) scholarly_gather(m, section, queries, qall, out, seen);
  json_decref(seen);
  json_decref(queries);
  free(qall);
  return 0;
}

json_t *research_note(const passage_t *p, const char *quote, const char *content, int credibility) {
  char id[17], key[64];
  util_new_id(id);
  if (p->web)
    snprintf(key, sizeof key, "url:%.56s", p->url ? p->url : "");
  else
    snprintf(key, sizeof key, "chunk:%lld", p->chunk_id);
  if (credibility < 1) credibility = 1;
  if (credibility > 10) credibility = 10;
  json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "id", id, "quote", quote, "content",
                        content ? content : "", "context", p->text, "source_type", p->web ? "web" : "document",
                        "source_key", key, "source_title", p->title ? p->title : "", "authors",
                        p->authors ? p->authors : "", "page", p->page, "credibility", credibility);
  if (p->year || p->doi) scholarly_note_meta(p, n);
  if (p->web) {
    json_object_set_new(n, "url", json_string(p->url ? p->url : ""));
    /* a URL longer than the key keeps its full text in url; the key only dedups */
  } else {
    json_object_set_new(n, "document_id", json_string(p->document_id));
    json_object_set_new(n, "chunk_id", json_integer(p->chunk_id));
  }
  return n;
}

static json_t *notes_schema(void) {
  return json_pack("{s:s, s:[s], s:{s:{s:s, s:{s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}}", "type",
                   "object", "required", "notes", "properties", "notes", "type", "array", "items", "type", "object",
                   "required", "passage", "quote", "summary", "credibility", "properties", "passage", "type", "string",
                   "quote", "type", "string", "summary", "type", "string", "credibility", "type", "integer");
}

int researcher_run(mrun_t *m, json_t *section, const passages_t *ps, json_t **notes, store_mevs_t *evs, char *err,
                   size_t errlen) {
  *notes = json_array();
  if (!ps->n) return 0;
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Section: %s\nQuestions:\n", json_string_value(json_object_get(section, "title")));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(section, "questions"), i, v) buf_printf(&u, "- %s\n", json_string_value(v));
  buf_puts(&u, "\nPassages:\n");
  for (i = 0; i < ps->n; i++) {
    const passage_t *p = &ps->v[i];
    buf_printf(&u, "\n[%s] %s (%s", p->label, p->title ? p->title : "", p->web ? "web" : "document");
    if (p->web)
      buf_printf(&u, ", %s)\n", p->url);
    else if (p->page)
      buf_printf(&u, ", page %d)\n", p->page);
    else
      buf_puts(&u, ")\n");
    size_t len = strlen(p->text);
    if (len > PASSAGE_MAX_CHARS * 2) len = util_utf8_floor(p->text, PASSAGE_MAX_CHARS * 2);
    buf_append(&u, p->text, len);
    buf_putc(&u, '\n');
  }
  json_t *vars = json_pack("{s:s, s:i}", "language", m->language, "max_notes", m->notes_per_section);
  json_t *schema = notes_schema(), *out = NULL;
  char action[160];
  snprintf(action, sizeof action, "notes for \"%.100s\"", json_string_value(json_object_get(section, "title")));
  store_mevs_t tmp = {0};
  int rc = agent_call(m, "researcher", LLM_TIER_MID, vars, u.data, schema, &out, NULL, action, &tmp, err, errlen);
  json_decref(vars);
  json_decref(schema);
  buf_free(&u);
  if (rc != LLM_OK) {
    store_mevs_clear(&tmp);
    return rc;
  }
  int rejected = 0;
  json_array_foreach(json_object_get(out, "notes"), i, v) {
    if ((int)json_array_size(*notes) >= m->notes_per_section) break;
    const char *quote = json_string_value(json_object_get(v, "quote"));
    const char *label = json_string_value(json_object_get(v, "passage"));
    if (!quote) continue;
    const passage_t *src = NULL;
    for (size_t k = 0; k < ps->n && !src; k++)
      if (label && !strcmp(ps->v[k].label, label) && agent_quote_in(quote, ps->v[k].text)) src = &ps->v[k];
    for (size_t k = 0; k < ps->n && !src; k++)
      if (agent_quote_in(quote, ps->v[k].text)) src = &ps->v[k];
    if (!src) {
      rejected++;
      log_info("agents", "mission %s: rejected a quote not found in its source: \"%.80s\"", m->id, quote);
      continue;
    }
    json_t *cred = json_object_get(v, "credibility");
    json_array_append_new(*notes, research_note(src, quote, json_string_value(json_object_get(v, "summary")),
                                                json_is_integer(cred) ? (int)json_integer_value(cred) : 5));
  }
  /* the log entry says how many quotes were rejected */
  if (tmp.n) {
    json_t *d = tmp.v[tmp.n - 1].data;
    json_object_set_new(d, "rejected_quotes", json_integer(rejected));
    json_object_set_new(d, "notes", json_integer((json_int_t)json_array_size(*notes)));
  }
  for (size_t k = 0; k < tmp.n; k++) {
    store_mevs_add(evs, tmp.v[k].name, tmp.v[k].data);
    tmp.v[k].data = NULL;
  }
  store_mevs_clear(&tmp);
  json_decref(out);
  return 0;
}

passage_t *research_add_passage(passages_t *ps) {
  return add_passage(ps);
}

char *research_best_window(const char *text, const char *query) {
  return best_window(text, query);
}
