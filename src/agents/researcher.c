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
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "plugins/plugins.h"
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

static void add_query(json_t *qs, json_t *seen, const char *q, size_t cap) {
  if (!q || !q[0] || json_array_size(qs) >= cap) return;
  char *k = agent_norm(q);
  for (char *c = k; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  if (!json_object_get(seen, k)) {
    json_object_set_new(seen, k, json_true());
    json_array_append_new(qs, json_string(q));
  }
  free(k);
}

/* A question's key terms as a keyword query ("" when it has none). */
static char *keyword_variant(const char *question) {
  json_t *t = text_tokens(question);
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t i;
  json_t *v;
  json_array_foreach(t, i, v) {
    if (i >= 8) break;
    if (b.len) buf_putc(&b, ' ');
    buf_puts(&b, json_string_value(v));
  }
  json_decref(t);
  return buf_detach(&b, NULL);
}

/*
 * The searches of a section. With one query per question (quick): the
 * title and the questions, at most 4 (the questions are searchable as
 * written). With more: per question, the question and queries_per_question-1
 * variants - the planner's queries for the section first, then the
 * question's key terms (keyword variant); the section title is the step-back
 * query, and from 3 queries per question the mission's title too. A section
 * researched before puts its newest questions (the reflector's gaps) first.
 * Distinct, at most 4 per query per question.
 */
static json_t *section_queries(mrun_t *m, json_t *section) {
  int per = m->queries_per_question < 1 ? 1 : m->queries_per_question;
  size_t cap = per == 1 ? 4 : (size_t)(4 * per);
  json_t *q = json_array(), *seen = json_object();
  const char *sid = json_string_value(json_object_get(section, "id"));
  json_t *planned = json_object_get(json_object_get(json_object_get(m->row, "analysis"), "queries"), sid ? sid : "");
  add_query(q, seen, json_string_value(json_object_get(section, "title")), cap);
  json_t *qs = json_object_get(section, "questions");
  size_t nq = json_array_size(qs), next_planned = 0;
  int again = json_integer_value(json_object_get(section, "researched_round")) > 0;
  for (size_t i = 0; i < nq; i++) {
    const char *question = json_string_value(json_array_get(qs, again ? nq - 1 - i : i));
    add_query(q, seen, question, cap);
    for (int v = 1; v < per && question; v++) {
      if (next_planned < json_array_size(planned)) {
        add_query(q, seen, json_string_value(json_array_get(planned, next_planned++)), cap);
      } else if (v == 1) {
        char *kw = keyword_variant(question);
        add_query(q, seen, kw, cap);
        free(kw);
      }
    }
  }
  /* the mission's own subject: the broadest step-back */
  if (per >= 3) add_query(q, seen, m->title, cap);
  json_decref(seen);
  return q;
}

/* The window of a page's text that best matches the section (paragraphs). */
static char *best_window(const char *text, const char *query) {
  return text_best_window(text, query, PASSAGE_MAX_CHARS);
}

/* Library passages: every query searched, the result lists merged rank by
 * rank (the best hit of each query first) and de-duplicated by chunk, up to
 * passages_per_section. */
static void library_read(mrun_t *m, json_t *section, json_t *queries, json_t *seen, passages_t *out, char *err,
                         size_t errlen) {
  size_t nq = json_array_size(queries);
  rag_results_t *rs = calloc(nq ? nq : 1, sizeof *rs);
  if (!rs) abort();
  size_t i, longest = 0;
  size_t cap = m->passages_per_section > 0 ? (size_t)m->passages_per_section : MAX_PASSAGES;
  /* queries of one section overlap: each asks deep enough that together they
   * can fill the section's passages, and deeper again past the passages a
   * previous round already mined (in seen) */
  int k = m->hits_per_search > 0 ? m->hits_per_search : 4;
  if (k < (int)cap / 2) k = (int)cap / 2;
  k += (int)json_object_size(seen);
  if (k > 50) k = 50;
  for (i = 0; i < nq && !mrun_cancelled(m); i++) {
    rag_query_t q;
    rag_query_init(&q);
    q.user_id = m->user_id;
    q.group_id = m->group_id;
    q.query = json_string_value(json_array_get(queries, i));
    q.k = k;
    q.per_document = 2;
    char e[256];
    out->searches++;
    if (rag_search(m->deps->rag, &q, &rs[i], e, sizeof e) != 0) {
      snprintf(err, errlen, "library search failed: %s", e);
      mrun_warn(m, "library_search_failed", json_string_value(json_object_get(section, "id")), 0,
                "Library search failed: %s", e);
      rag_results_free(&rs[i]);
      memset(&rs[i], 0, sizeof rs[i]);
      continue;
    }
    if (rs[i].n > longest) longest = rs[i].n;
  }
  for (size_t rank = 0; rank < longest && out->n < cap; rank++)
    for (i = 0; i < nq && out->n < cap; i++) {
      if (rank >= rs[i].n) continue;
      const rag_hit_t *h = &rs[i].hits[rank];
      char key[32];
      snprintf(key, sizeof key, "c%lld", (long long)h->chunk_id);
      if (json_object_get(seen, key)) continue;
      json_object_set_new(seen, key, json_true());
      passage_t *p = add_passage(out);
      p->text = util_strdup(h->text);
      p->title = util_strdup(h->title && h->title[0] ? h->title : h->filename);
      snprintf(p->document_id, sizeof p->document_id, "%s", h->document_id);
      p->chunk_id = h->chunk_id;
      p->page = h->page;
      store_doc_t *d = NULL;
      if (store_doc_get(m->deps->store, m->user_id, p->document_id, &d) == STORE_OK && d->bib.authors)
        p->authors = util_strdup(d->bib.authors);
      store_doc_free(d);
    }
  for (i = 0; i < nq; i++) rag_results_free(&rs[i]);
  free(rs);
}

int research_gather(mrun_t *m, json_t *section, passages_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  json_t *queries = section_queries(m, section);
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
  /* passages that already gave this section notes are not read again: a
   * later round's searches bring new evidence */
  json_t *had = store_mission_notes(m->deps->store, m->id, json_string_value(json_object_get(section, "id")));
  size_t i;
  json_t *v;
  json_array_foreach(had, i, v) {
    char key[32];
    const char *url = json_string_value(json_object_get(v, "url"));
    snprintf(key, sizeof key, "c%lld", (long long)json_integer_value(json_object_get(v, "chunk_id")));
    json_object_set_new(seen, url && url[0] ? url : key, json_true());
  }
  json_decref(had);
  if (m->use_docs) library_read(m, section, queries, seen, out, err, errlen);
  if (m->use_web && !mrun_cancelled(m)) {
    size_t nq = json_array_size(queries);
    const char **qs = calloc(nq ? nq : 1, sizeof *qs);
    if (!qs) abort();
    for (size_t i = 0; i < nq; i++) qs[i] = json_string_value(json_array_get(queries, i));
    web_search_opts_t o = {.max_results = m->web_pages + 2};
    out->searches += (int)nq;
    web_results_t wr = {0};
    char e[512];
    const char *sid = json_string_value(json_object_get(section, "id"));
    if (web_search(m->deps->web, m->user_id, qs, nq, &o, &wr, e, sizeof e) == 0) {
      if (wr.warnings && wr.warnings[0]) mrun_warn(m, "web_search_degraded", NULL, 0, "Web search: %s", wr.warnings);
      int fetched = 0, failed = 0;
      for (size_t k = 0; k < wr.n && fetched < m->web_pages; k++) {
        if (json_object_get(seen, wr.items[k].url)) continue;
        json_object_set_new(seen, wr.items[k].url, json_true());
        web_page_t pg = {0};
        char fe[512];
        if (web_fetch_page(m->deps->web, wr.items[k].url, &pg, fe, sizeof fe) != 0 || !pg.text || !pg.text[0]) {
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
        mrun_warn(m, "web_fetch_failed", sid, 0, "None of the %d web pages found for this section could be read",
                  failed);
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
  if (m->use_plugins && !mrun_cancelled(m)) plugin_gather(m, section, queries, out, seen);
  json_decref(seen);
  json_decref(queries);
  free(qall);
  return 0;
}

void plugin_gather(mrun_t *m, json_t *section, json_t *queries, passages_t *out, json_t *seen) {
  const char *sid = json_string_value(json_object_get(section, "id"));
  size_t cap = out->n + (m->passages_per_section > 0 ? (size_t)m->passages_per_section : MAX_PASSAGES);
  size_t i, k, j;
  json_t *src, *q, *ps, *pv;
  json_array_foreach(json_object_get(m->row, "sources"), i, src) {
    const char *id = json_string_value(src);
    if (!util_starts_with(id, "plugin:")) continue;
    /* the section's first queries: a plugin source is asked a few times, not dozens */
    json_array_foreach(queries, k, q) {
      if (k >= 2 || out->n >= cap || mrun_cancelled(m)) break;
      char e[512];
      out->searches++;
      /* the plugin may ask the model (host->complete) on the mission owner's behalf */
      plugins_caller_t who = mrun_plugins_caller(m);
      json_t *warns = NULL, *w;
      if (plugins_search_as(m->deps->plugins, &who, id, json_string_value(q), 4, &ps, &warns, e, sizeof e) != 0) {
        mrun_warn(m, "plugin_search_failed", sid, 0, "Plugin source %s failed: %s", id, e);
        json_decref(warns);
        break;
      }
      json_array_foreach(warns, j, w)
          mrun_warn(m, "plugin_search_failed", sid, 0, "Plugin source %s: %s", id, json_string_value(w));
      json_decref(warns);
      json_array_foreach(ps, j, pv) {
        if (out->n >= cap) break;
        buf_t u = BUF_INIT;
        buf_init(&u);
        buf_printf(&u, "%s#%s", id, json_string_value(json_object_get(pv, "locator")));
        if (json_object_get(seen, u.data)) {
          buf_free(&u);
          continue;
        }
        json_object_set_new(seen, u.data, json_true());
        passage_t *p = add_passage(out);
        p->web = 1;
        const char *text = json_string_value(json_object_get(pv, "text"));
        size_t tl = strlen(text);
        /* long answers are cut at a character boundary */
        p->text = util_strndup(text, util_utf8_floor(text, tl < PASSAGE_MAX_CHARS * 4 ? tl : PASSAGE_MAX_CHARS * 4));
        p->title = util_strdup(json_string_value(json_object_get(pv, "title")));
        p->url = buf_detach(&u, NULL);
      }
      json_decref(ps);
    }
  }
}

json_t *research_note(const passage_t *p, const char *quote, const char *content, int credibility) {
  char id[17], key[64];
  util_new_id(id);
  if (p->web) {
    /* the key identifies the page: a hash of the whole URL, so two URLs that
     * share a long prefix stay two sources */
    const char *url = p->url ? p->url : "";
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof h, (const unsigned char *)url, strlen(url), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(key, sizeof key, "url:%s", hex);
  } else
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

/* One passage as the prompt shows it. */
static json_t *passage_item(const passage_t *p) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_printf(&b, "\n[%s] %s (%s", p->label, p->title ? p->title : "",
             p->tool  ? "tool result"
             : p->web ? "web"
                      : "document");
  if (p->web)
    buf_printf(&b, ", %s)\n", p->url);
  else if (p->page)
    buf_printf(&b, ", page %d)\n", p->page);
  else
    buf_puts(&b, ")\n");
  size_t len = strlen(p->text);
  if (len > PASSAGE_MAX_CHARS * 2) len = util_utf8_floor(p->text, PASSAGE_MAX_CHARS * 2);
  buf_append(&b, p->text, len);
  buf_putc(&b, '\n');
  json_t *s = json_stringn(b.data, b.len);
  buf_free(&b);
  return s;
}

/* One researcher call over the passages items[from..] that fit the context
 * window: notes appended to *notes (at most notes_per_section in all).
 * *next gets the first passage left for the next call. */
static int researcher_batch(mrun_t *m, json_t *section, const passages_t *ps, json_t *items, size_t from, size_t *next,
                            json_t *notes, store_mevs_t *evs, char *err, size_t errlen) {
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_printf(&u, "Section: %s\nQuestions:\n", json_string_value(json_object_get(section, "title")));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(section, "questions"), i, v) buf_printf(&u, "- %s\n", json_string_value(v));
  buf_puts(&u, "\nPassages:\n");
  *next = agent_fit(&u, agent_prompt_budget(m, LLM_TIER_MID, "researcher"), items, from, NULL);
  if (*next == from) { /* not even the head of a passage fits: no call for nothing */
    buf_free(&u);
    return 0;
  }
  int room = m->notes_per_section - (int)json_array_size(notes);
  json_t *vars = json_pack("{s:s, s:i}", "language", m->language, "max_notes", room);
  json_t *schema = notes_schema(), *out = NULL;
  char action[160];
  snprintf(action, sizeof action, "notes for \"%.100s\"", json_string_value(json_object_get(section, "title")));
  store_mevs_t tmp = {0};
  json_t *fallback = NULL;
  int rc = guard_notes(m, section, ps, vars, u.data, schema, action, &out, &fallback, &tmp, err, errlen);
  json_decref(vars);
  json_decref(schema);
  buf_free(&u);
  if (rc != LLM_OK) {
    store_mevs_clear(&tmp);
    return rc;
  }
  if (fallback) { /* the extractive agent read every passage: no further batch */
    size_t k;
    json_t *n;
    json_array_foreach(fallback, k, n) if ((int)json_array_size(notes) < m->notes_per_section)
        json_array_append(notes, n);
    json_decref(fallback);
    *next = ps->n;
  }
  int rejected = 0, added = 0;
  json_array_foreach(json_object_get(out, "notes"), i, v) {
    if ((int)json_array_size(notes) >= m->notes_per_section) break;
    const char *quote = json_string_value(json_object_get(v, "quote"));
    const char *label = json_string_value(json_object_get(v, "passage"));
    if (!quote) continue;
    const passage_t *src = NULL;
    for (size_t k = from; k < *next && !src; k++)
      if (label && !strcmp(ps->v[k].label, label) && agent_quote_in(quote, ps->v[k].text)) src = &ps->v[k];
    for (size_t k = from; k < *next && !src; k++)
      if (agent_quote_in(quote, ps->v[k].text)) src = &ps->v[k];
    if (!src) {
      rejected++;
      log_info("agents", "mission %s: rejected a quote not found in its source: \"%.80s\"", m->id, quote);
      continue;
    }
    json_t *cred = json_object_get(v, "credibility");
    json_array_append_new(notes, research_note(src, quote, json_string_value(json_object_get(v, "summary")),
                                               json_is_integer(cred) ? (int)json_integer_value(cred) : 5));
    added++;
  }
  /* the log entry says how many quotes were rejected */
  if (tmp.n) {
    json_t *d = tmp.v[tmp.n - 1].data;
    json_object_set_new(d, "rejected_quotes", json_integer(rejected));
    json_object_set_new(d, "notes", json_integer(added));
    json_object_set_new(d, "passages", json_integer((json_int_t)(*next - from)));
  }
  for (size_t k = 0; k < tmp.n; k++) {
    store_mevs_add(evs, tmp.v[k].name, tmp.v[k].data);
    tmp.v[k].data = NULL;
  }
  store_mevs_clear(&tmp);
  json_decref(out);
  return 0;
}

/* Passages are sent in as few calls as the context window allows (at most
 * RESEARCH_CALLS per section and round, so calls stay linear in sections);
 * passages beyond those calls are dropped with a "context_trimmed" warning. */
#define RESEARCH_CALLS 4

int researcher_run(mrun_t *m, json_t *section, const passages_t *ps, json_t **notes, store_mevs_t *evs, char *err,
                   size_t errlen) {
  *notes = json_array();
  if (!ps->n) return 0;
  json_t *items = json_array();
  for (size_t i = 0; i < ps->n; i++) json_array_append_new(items, passage_item(&ps->v[i]));
  size_t from = 0;
  int calls = 0, rc = 0;
  while (from < ps->n && calls < RESEARCH_CALLS && (int)json_array_size(*notes) < m->notes_per_section) {
    size_t next = from;
    rc = researcher_batch(m, section, ps, items, from, &next, *notes, evs, err, errlen);
    if (rc != 0) break;
    calls++;
    from = next > from ? next : from + 1;
  }
  json_decref(items);
  if (rc == 0 && from < ps->n && (int)json_array_size(*notes) < m->notes_per_section)
    mrun_warn(m, "context_trimmed", json_string_value(json_object_get(section, "id")), 0,
              "Section \"%s\": %zu of %zu passages did not fit the model's context window in %d calls and were "
              "not read",
              json_string_value(json_object_get(section, "title")), ps->n - from, ps->n, calls);
  return rc;
}

passage_t *research_add_passage(passages_t *ps) {
  return add_passage(ps);
}

char *research_best_window(const char *text, const char *query) {
  return best_window(text, query);
}
