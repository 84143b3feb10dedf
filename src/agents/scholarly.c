/*
 * scholarly.c - a mission's "scholarly" sources: papers from arXiv, OpenAlex,
 * Crossref, Semantic Scholar and PubMed as passages for a section.
 *
 * The section's first two queries (its title and first question) go to the
 * providers (scholar_search: every enabled provider, merged by DOI / arXiv id
 * / title), since arXiv allows one request every 3 s and a section should
 * not wait a minute. The best papers become passages: the full text when an
 * open-access PDF exists (read with the safe fetcher and the document
 * parser, cut to the paragraphs that match the section, at most
 * SCHOLARLY_FULLTEXTS per section), else the abstract; a paper with neither
 * is skipped. Passages carry the paper's authors, year, venue and DOI into
 * their notes, which the report's reference line prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "web/scholar.h"
#include "web/web.h"

#define SCHOLARLY_QUERIES 2
#define SCHOLARLY_PER_QUERY 5
#define SCHOLARLY_PAPERS 5
#define SCHOLARLY_FULLTEXTS 2

int scholarly_check_providers(json_t *v, char *err, size_t errlen) {
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v)) {
    snprintf(err, errlen, "settings.scholarly_providers must be a list of provider names");
    return -1;
  }
  size_t i;
  json_t *p;
  json_array_foreach(v, i, p) {
    if (scholar_provider_id(json_string_value(p)) < 0) {
      snprintf(err, errlen,
               "settings.scholarly_providers: unknown provider %.40s (arxiv, openalex, crossref, semantic_scholar, "
               "pubmed)",
               json_is_string(p) ? json_string_value(p) : "(not a string)");
      return -1;
    }
  }
  return 0;
}

void scholarly_note_meta(const passage_t *p, json_t *note) {
  if (p->year) json_object_set_new(note, "year", json_string(p->year));
  if (p->venue) json_object_set_new(note, "venue", json_string(p->venue));
  if (p->doi) json_object_set_new(note, "doi", json_string(p->doi));
}

/* The key that tells one paper from another across sections' sources. */
static void paper_key(const scholar_paper_t *p, char *key, size_t n) {
  if (p->doi)
    snprintf(key, n, "doi:%s", p->doi);
  else if (p->arxiv_id)
    snprintf(key, n, "arxiv:%s", p->arxiv_id);
  else {
    char *t = scholar_norm_title(p->title);
    snprintf(key, n, "title:%s", t);
    free(t);
  }
}

/* The paper's text for the section: the matching part of its open-access
 * full text, else its abstract; NULL when it has neither. */
static char *paper_text(mrun_t *m, const scholar_paper_t *p, const char *qall, int *fulltexts) {
  if (p->pdf_url && *fulltexts < SCHOLARLY_FULLTEXTS && !mrun_cancelled(m)) {
    web_page_t pg = {0};
    char fe[512] = "";
    char *text = NULL;
    if (web_fetch_page(m->deps->web, p->pdf_url, &pg, fe, sizeof fe) == 0 && pg.text && pg.text[0]) {
      text = research_best_window(pg.text, qall);
      (*fulltexts)++;
    } else {
      log_info("agents", "mission %s: full text of %.200s not read (%s); using the abstract", m->id, p->pdf_url, fe);
    }
    web_page_free(&pg);
    if (text && text[0]) return text;
    free(text);
  }
  return p->abstract && p->abstract[0] ? util_strdup(p->abstract) : NULL;
}

static char *dup_or_null(const char *s) {
  return s && s[0] ? util_strdup(s) : NULL;
}

void scholarly_gather(mrun_t *m, json_t *section, json_t *queries, const char *qall, passages_t *out, json_t *seen) {
  const char *sid = json_string_value(json_object_get(section, "id"));
  const char *qs[SCHOLARLY_QUERIES];
  size_t nq = 0;
  for (size_t i = 0; i < json_array_size(queries) && nq < SCHOLARLY_QUERIES; i++) {
    const char *q = json_string_value(json_array_get(queries, i));
    if (q && q[0]) qs[nq++] = q;
  }
  if (!nq || !m->deps->web) return;
  scholar_papers_t papers = {0};
  char e[1024];
  if (scholar_search(m->deps->web, m->user_id, qs, nq, m->scholarly_providers, SCHOLARLY_PER_QUERY, &papers, e,
                     sizeof e) != 0) {
    if (strstr(e, "no scholarly provider is enabled"))
      mrun_warn(m, "scholarly_no_provider", NULL, 0, "Scholarly sources were requested but %s", e);
    else
      mrun_warn(m, "scholarly_search_failed", sid, 0, "Scholarly search failed: %s", e);
    return;
  }
  if (papers.warnings) mrun_warn(m, "scholarly_search_degraded", NULL, 0, "Scholarly search: %s", papers.warnings);
  int added = 0, fulltexts = 0;
  for (size_t i = 0; i < papers.n && added < SCHOLARLY_PAPERS && !mrun_cancelled(m); i++) {
    const scholar_paper_t *p = &papers.v[i];
    char key[600];
    paper_key(p, key, sizeof key);
    if (json_object_get(seen, key)) continue;
    json_object_set_new(seen, key, json_true());
    char *text = paper_text(m, p, qall, &fulltexts);
    if (!text) continue;
    passage_t *ps = research_add_passage(out);
    ps->web = 1;
    ps->text = text;
    ps->title = util_strdup(p->title && p->title[0] ? p->title : "Untitled paper");
    ps->authors = dup_or_null(p->authors);
    ps->year = dup_or_null(p->year);
    ps->venue = dup_or_null(p->venue);
    ps->doi = dup_or_null(p->doi);
    if (p->doi) {
      buf_t u = BUF_INIT;
      buf_init(&u);
      buf_printf(&u, "https://doi.org/%s", p->doi);
      ps->url = buf_detach(&u, NULL);
    } else {
      ps->url = util_strdup(p->url ? p->url : p->pdf_url ? p->pdf_url : "");
    }
    added++;
  }
  log_info("agents", "mission %s: %d scholarly papers for section %s (%d read in full) of %zu found", m->id, added,
           sid ? sid : "?", fulltexts, papers.n);
  scholar_papers_free(&papers);
}
