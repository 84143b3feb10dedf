/*
 * test_missions_scholarly.c - a mission with "scholarly" sources, end to end
 * against tests/fakes/fake_scholar.py (the real captured answers of arXiv,
 * OpenAlex, Crossref, Semantic Scholar and PubMed on their real paths):
 * the report cites real papers with authors, year and DOI, a paper that two
 * providers return is one reference, and an open-access full text (the
 * fake's arXiv PDF, read through the safe fetcher and the PDF parser) is
 * quoted, not only the abstract.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mission_support.h"
#include "web_support.h"

static websup_fake_t fake;

static void start(void) {
  cr_assert_eq(websup_fake_start(&fake, "fake_scholar.py", NULL), 0);
  const char *const *urls = websup_scholar_env(&fake);
  const char *env[] = {urls[0],
                       urls[1],
                       urls[2],
                       urls[3],
                       urls[4],
                       urls[5],
                       "FETCH_ALLOW_HOSTS=127.0.0.1",
                       "SCHOLARLY_MIN_INTERVAL_MS=0",
                       "SCHOLARLY_CONTACT_EMAIL=research@example.org",
                       NULL};
  ms_start(1, NULL, env);
}

static void stop(void) {
  ms_stop_all();
  websup_fake_stop(&fake);
}

/* a failed assertion skips stop(): the fake must not outlive the test */
static void stop_fake(void) {
  websup_fake_stop(&fake);
}
TestSuite(missions_scholarly, .fini = stop_fake, .timeout = 150);

static char *run_mission(json_t *sources, json_t *settings, char **id_out) {
  json_t *body =
      json_pack("{s:s, s:[s], s:o, s:o}", "title", "PaperQA retrieval-augmented generative agent", "research_questions",
                "How does the PaperQA retrieval-augmented agent answer questions over scientific papers?", "sources",
                sources, "settings", settings);
  long st = 0;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 201, "create: %ld %s", st, json_string_value(json_object_get(r, "detail")));
  char *id = strdup(json_string_value(json_object_get(r, "id")));
  json_decref(r);
  cr_assert(ms_wait_for(id, "completed", NULL, 90), "mission did not finish");
  *id_out = id;
  return ms_report(id, "md");
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

Test(missions_scholarly, report_cites_papers_with_authors_year_and_doi) {
  start();
  char *id = NULL;
  char *md = run_mission(json_pack("[s]", "scholarly"), json_pack("{s:b}", "offline", 1), &id);
  json_t *row = ms_get(id, ms_token);
  cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "ok", "%s", md);
  const char *refs = strstr(md, "## References");
  cr_assert(refs, "no references:\n%s", md);
  /* PaperQA: OpenAlex and Semantic Scholar both return it; one reference,
   * with the authors, year, venue and DOI of the real paper */
  cr_assert_eq(count(refs, "https://doi.org/10.48550/arxiv.2312.07559"), 1, "PaperQA cited %d times:\n%s",
               count(refs, "https://doi.org/10.48550/arxiv.2312.07559"), refs);
  const char *line = strstr(refs,
                            "Jakub Lála, Odhran O’Donoghue, Aleksandar Shtedritski, et al. (2023). PaperQA: "
                            "Retrieval-Augmented Generative Agent for Scientific Research.");
  cr_assert(line, "the PaperQA reference lacks authors or year:\n%s", refs);
  const char *eol = strchr(line, '\n');
  const char *doi = strstr(line, "<https://doi.org/10.48550/arxiv.2312.07559>");
  cr_assert(doi && (!eol || doi < eol), "the PaperQA reference lacks its DOI:\n%s", refs);
  ms_check_citations(md);

  /* the notes: from the full text (the fake's PDF), with the paper's data */
  cr_assert_geq(websup_fake_count(&fake, "/pdf/2312.07559"), 1, "the open-access PDF was not read");
  json_t *notes = ms_notes(id);
  int fulltext = 0, papers = 0;
  size_t i;
  json_t *n;
  json_t *urls = json_object(); /* the distinct sources the notes came from */
  json_array_foreach(notes, i, n) {
    const char *u = json_string_value(json_object_get(n, "url"));
    if (u && u[0]) json_object_set_new(urls, u, json_true());
    const char *d = json_string_value(json_object_get(n, "doi"));
    if (!d) continue;
    papers++;
    cr_assert(json_string_length(json_object_get(n, "year")) == 4, "a paper note without a year");
    if (!strcmp(d, "10.48550/arxiv.2312.07559") &&
        (strstr(json_string_value(json_object_get(n, "quote")), "LitQA") ||
         strstr(json_string_value(json_object_get(n, "quote")), "full-text scientific papers")))
      fulltext++;
  }
  cr_assert_geq(papers, 2, "%d notes from papers", papers);
  cr_assert_geq(fulltext, 1, "no note quotes the paper's full text");
  /* every provider was asked, at its real path */
  cr_assert_geq(websup_fake_count(&fake, "/arxiv/api/query"), 1);
  cr_assert_geq(websup_fake_count(&fake, "/crossref/works"), 1);
  cr_assert_geq(websup_fake_count(&fake, "/pubmed/entrez/eutils/efetch.fcgi"), 1);
  json_decref(notes);

  /* "Save sources to library": one document per paper, in one group, with
   * the paper's metadata and the passages the mission read */
  char path[160];
  snprintf(path, sizeof path, "/api/missions/%s/save-sources", id);
  long st = 0;
  json_t *empty = json_object();
  json_t *saved = ts_json(&ms_srv, "POST", path, ms_token, empty, &st);
  cr_assert_eq(st, 200, "save-sources: %ld", st);
  json_t *docs = json_object_get(saved, "documents");
  /* one document per page or paper the mission took notes from */
  cr_assert_geq(json_array_size(docs), 1);
  cr_assert_eq(json_array_size(docs), json_object_size(urls), "%zu documents saved from %zu sources",
               json_array_size(docs), json_object_size(urls));
  json_decref(urls);
  cr_assert_eq(json_array_size(json_object_get(saved, "failed")), 0);
  const char *pq_doc = NULL;
  json_array_foreach(docs, i, n) if (!strcmp(json_string_value(json_object_get(n, "url")),
                                             "https://doi.org/10.48550/arxiv.2312.07559")) pq_doc =
      json_string_value(json_object_get(n, "id"));
  cr_assert(pq_doc, "PaperQA was not saved");
  snprintf(path, sizeof path, "/api/documents/%s", pq_doc);
  json_t *d = ts_json(&ms_srv, "GET", path, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(d, "title")),
                   "PaperQA: Retrieval-Augmented Generative Agent for Scientific Research");
  cr_assert(strstr(json_string_value(json_object_get(d, "authors")), "Jakub Lála"));
  json_decref(d);
  snprintf(path, sizeof path, "/api/groups/%s", json_string_value(json_object_get(saved, "group_id")));
  json_t *g = ts_json(&ms_srv, "GET", path, ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_array_size(json_object_get(g, "document_ids")), json_array_size(docs));
  cr_assert_str_eq(json_string_value(json_object_get(g, "name")),
                   "Sources: PaperQA retrieval-augmented generative agent");
  json_decref(g);
  /* another user's or no mission: 404; saving again makes no second copy */
  json_t *again = ts_json(&ms_srv, "POST", "/api/missions/x/save-sources", ms_token, empty, &st);
  cr_assert_eq(st, 404);
  json_decref(again);
  snprintf(path, sizeof path, "/api/missions/%s/save-sources", id);
  again = ts_json(&ms_srv, "POST", path, ms_token, empty, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(json_array_get(json_object_get(again, "documents"), 0), "duplicate")));
  cr_assert_str_eq(json_string_value(json_object_get(again, "group_id")),
                   json_string_value(json_object_get(saved, "group_id")));
  json_decref(again);
  json_decref(saved);
  json_decref(empty);
  json_decref(row);
  free(md);
  free(id);
  stop();
}

Test(missions_scholarly, sources_and_providers_are_validated) {
  start();
  long st = 0;
  json_t *body = json_pack("{s:s, s:[s], s:{s:[s]}}", "title", "x", "sources", "scholarly", "settings",
                           "scholarly_providers", "google_scholar");
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  cr_assert_eq(st, 422);
  json_decref(r);
  json_decref(body);
  body = json_pack("{s:s, s:[s]}", "title", "x", "sources", "library_of_alexandria");
  r = ts_json(&ms_srv, "POST", "/api/missions", ms_token, body, &st);
  cr_assert_eq(st, 422);
  json_decref(r);
  json_decref(body);
  /* one provider chosen for the mission: only it is asked */
  char *id = NULL;
  char *md = run_mission(json_pack("[s]", "scholarly"),
                         json_pack("{s:b, s:[s]}", "offline", 1, "scholarly_providers", "crossref"), &id);
  cr_assert_geq(websup_fake_count(&fake, "/crossref/works"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/arxiv/api/query"), 0);
  cr_assert_eq(websup_fake_count(&fake, "/openalex/works"), 0);
  free(md);
  free(id);
  stop();
}

Test(missions_scholarly, user_settings_choose_providers_and_seal_keys) {
  start();
  long st = 0;
  json_t *bad = json_pack("{s:{s:[s]}}", "search", "scholarly_providers", "google_scholar");
  json_t *r = ts_json(&ms_srv, "PUT", "/api/settings", ms_token, bad, &st);
  cr_assert_eq(st, 422, "an unknown provider was saved");
  json_decref(r);
  json_decref(bad);
  bad = json_pack("{s:{s:s}}", "search", "contact_email", "me@example.org&x=1");
  r = ts_json(&ms_srv, "PUT", "/api/settings", ms_token, bad, &st);
  cr_assert_eq(st, 422, "a contact e-mail that is no address was saved");
  json_decref(r);
  json_decref(bad);
  json_t *put = json_pack("{s:{s:[s], s:s, s:s}}", "search", "scholarly_providers", "crossref", "contact_email",
                          "me@example.org", "semantic_scholar_api_key", "s2-secret-key");
  r = ts_json(&ms_srv, "PUT", "/api/settings", ms_token, put, &st);
  cr_assert_eq(st, 200);
  json_decref(r);
  json_decref(put);
  r = ts_json(&ms_srv, "GET", "/api/settings", ms_token, NULL, &st);
  json_t *search = json_object_get(r, "search");
  cr_assert_str_eq(json_string_value(json_object_get(search, "semantic_scholar_api_key")), "********");
  cr_assert(json_is_true(json_object_get(search, "semantic_scholar_api_key_set")));
  cr_assert_str_eq(json_string_value(json_object_get(search, "contact_email")), "me@example.org");
  char *dump = json_dumps(r, 0);
  cr_assert_null(strstr(dump, "s2-secret-key"), "the key came back in clear");
  free(dump);
  json_decref(r);
  /* the user's providers apply to a mission that does not choose */
  char *id = NULL;
  char *md = run_mission(json_pack("[s]", "scholarly"), json_pack("{s:b}", "offline", 1), &id);
  cr_assert_geq(websup_fake_count(&fake, "/crossref/works"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/arxiv/api/query"), 0);
  cr_assert_eq(websup_fake_count(&fake, "/s2/graph/v1/paper/search"), 0);
  free(md);
  free(id);
  stop();
}
