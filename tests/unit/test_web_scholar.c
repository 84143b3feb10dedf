/* test_web_scholar.c - scholarly search against tests/fakes/fake_scholar.py,
 * which replays the real captured answers of arXiv, OpenAlex, Crossref,
 * Semantic Scholar and PubMed on their real paths: every provider answers,
 * a paper two providers know is one result, rate limits and 429s are
 * honoured, errors are warnings that name the service. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store.h"
#include "web/scholar.h"
#include "web/web.h"
#include "web_support.h"

static websup_fake_t fake;

static void stop_all(void) {
  websup_fake_stop(&fake);
}
TestSuite(web_scholar, .fini = stop_all, .timeout = 60);

static char envbuf[2][160];

/* Environment pointing every provider at the fake; providers may be NULL
 * (all five). */
static web_t *start_with(const char *mode, const char *fail_count, const char *providers, const char *interval,
                         store_t *st) {
  const char *args[] = {"--mode", mode, "--fail-count", fail_count, "--retry-after", "1", NULL};
  cr_assert_eq(websup_fake_start(&fake, "fake_scholar.py", args), 0);
  const char *const *urls = websup_scholar_env(&fake);
  snprintf(envbuf[0], sizeof envbuf[0], "SCHOLARLY_PROVIDERS=%s",
           providers ? providers : "arxiv,openalex,crossref,semantic_scholar,pubmed");
  snprintf(envbuf[1], sizeof envbuf[1], "SCHOLARLY_MIN_INTERVAL_MS=%s", interval ? interval : "0");
  const char *env[] = {urls[0],
                       urls[1],
                       urls[2],
                       urls[3],
                       urls[4],
                       urls[5],
                       envbuf[0],
                       envbuf[1],
                       "SCHOLARLY_CONTACT_EMAIL=research@example.org",
                       st ? "WEB_CACHE_TTL_HOURS=48" : "WEB_CACHE_TTL_HOURS=0",
                       "SEMANTIC_SCHOLAR_API_KEY=s2-test",
                       "PUBMED_API_KEY=ncbi-test",
                       NULL};
  return websup_web(env, st);
}

static web_t *start(const char *mode, const char *fail_count, const char *providers, const char *interval) {
  return start_with(mode, fail_count, providers, interval, NULL);
}

static const scholar_paper_t *find_doi(const scholar_papers_t *r, const char *doi) {
  for (size_t i = 0; i < r->n; i++)
    if (r->v[i].doi && strcmp(r->v[i].doi, doi) == 0) return &r->v[i];
  return NULL;
}

Test(web_scholar, every_provider_answers_and_duplicates_merge) {
  web_t *w = start("normal", "0", NULL, NULL);
  const char *qs[] = {"PaperQA retrieval-augmented generative agent"};
  scholar_papers_t r;
  char err[1024];
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 10, &r, err, sizeof err), 0, "%s", err);
  cr_assert_null(r.warnings, "%s", r.warnings);
  /* PaperQA: OpenAlex and Semantic Scholar both know it: once, merged */
  int seen = 0;
  for (size_t i = 0; i < r.n; i++) {
    char *t = scholar_norm_title(r.v[i].title);
    seen += strcmp(t, "paperqa retrieval augmented generative agent for scientific research") == 0;
    free(t);
  }
  cr_assert_eq(seen, 1, "PaperQA appears %d times", seen);
  const scholar_paper_t *pq = find_doi(&r, "10.48550/arxiv.2312.07559");
  cr_assert_not_null(pq);
  cr_assert(strstr(pq->provider, "openalex") && strstr(pq->provider, "semantic_scholar"), "%s", pq->provider);
  cr_assert_str_eq(pq->year, "2023");
  cr_assert(util_starts_with(pq->authors, "Jakub Lála"), "%s", pq->authors);
  char want[200];
  snprintf(want, sizeof want, "http://127.0.0.1:%d/pdf/2312.07559", fake.port);
  cr_assert_str_eq(pq->pdf_url, want, "the arXiv full text is not read from ARXIV_PDF_URL");
  /* one of each other provider */
  cr_assert_not_null(find_doi(&r, "10.1109/icstw55395.2022.00035"), "no arXiv paper");
  cr_assert_not_null(find_doi(&r, "10.1111/ele.14024"), "no Crossref paper");
  cr_assert_not_null(find_doi(&r, "10.1073/pnas.2313925121"), "no Semantic Scholar paper");
  int pubmed = 0;
  for (size_t i = 0; i < r.n; i++) pubmed += r.v[i].pmid && strcmp(r.v[i].pmid, "22351513") == 0;
  cr_assert_eq(pubmed, 1, "no PubMed paper (esearch + efetch)");
  cr_assert_eq(websup_fake_count(&fake, "/pubmed/entrez/eutils/esearch.fcgi"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/pubmed/entrez/eutils/efetch.fcgi"), 1);
  /* polite pools and keys, where each service wants them */
  cr_assert_eq(websup_fake_count(&fake, "/_mailto/openalex/works/research@example.org"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/_mailto/crossref/works/research@example.org"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/_email/pubmed/entrez/eutils/esearch.fcgi/research@example.org"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/_api_key/pubmed/entrez/eutils/efetch.fcgi/ncbi-test"), 1);
  cr_assert_eq(websup_fake_count(&fake, "/_key/s2/graph/v1/paper/search/s2-test"), 1);
  json_t *j = scholar_paper_json(pq);
  cr_assert_str_eq(json_string_value(json_object_get(j, "doi")), "10.48550/arxiv.2312.07559");
  json_decref(j);
  scholar_papers_free(&r);
  websup_web_free(w);
}

Test(web_scholar, arxiv_gets_one_request_every_three_seconds) {
  web_t *w = start("normal", "0", "arxiv", "-1");
  const char *qs[] = {"testing deep learning", "test case prioritisation"};
  scholar_papers_t r;
  char err[1024];
  int64_t t0 = util_mono_ms();
  cr_assert_eq(scholar_search(w, NULL, qs, 2, NULL, 5, &r, err, sizeof err), 0, "%s", err);
  int64_t ms = util_mono_ms() - t0;
  cr_assert_eq(websup_fake_count(&fake, "/arxiv/api/query"), 2);
  cr_assert_geq(ms, 2900, "two arXiv requests %lld ms apart", (long long)ms);
  cr_assert_eq(r.n, 5, "the same 5 papers of both queries merge: %zu", r.n);
  cr_assert_float_eq(r.v[0].score, 2.0, 1e-9, "a paper both queries rank first scores 1 + 1");
  scholar_papers_free(&r);
  websup_web_free(w);
}

Test(web_scholar, a_429_is_retried_once_after_retry_after) {
  web_t *w = start("s2_429", "1", "semantic_scholar", NULL);
  const char *qs[] = {"turing"};
  scholar_papers_t r;
  char err[1024];
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(websup_fake_count(&fake, "/s2/graph/v1/paper/search"), 2);
  cr_assert_eq(r.n, 5);
  scholar_papers_free(&r);
  websup_web_free(w);
}

Test(web_scholar, a_second_429_falls_back_to_the_others) {
  web_t *w = start("s2_429", "100", "semantic_scholar,crossref", NULL);
  const char *qs[] = {"turing"};
  scholar_papers_t r;
  char err[1024];
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(websup_fake_count(&fake, "/s2/graph/v1/paper/search"), 2, "retried more than once");
  cr_assert(r.warnings && strstr(r.warnings, "semantic_scholar is rate-limiting us") &&
                strstr(r.warnings, "Too Many Requests"),
            "%s", r.warnings);
  cr_assert_not_null(find_doi(&r, "10.1111/ele.14024"), "Crossref did not answer instead");
  scholar_papers_free(&r);
  /* left alone while it cools down: no request at all */
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(websup_fake_count(&fake, "/s2/graph/v1/paper/search"), 2);
  scholar_papers_free(&r);
  websup_web_free(w);
}

Test(web_scholar, service_errors_are_clear_and_do_not_crash) {
  web_t *w = start("errors", "0", "arxiv,openalex,crossref", NULL);
  const char *qs[] = {"ecology"};
  scholar_papers_t r;
  char err[2048];
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &r, err, sizeof err), -1);
  cr_assert(strstr(err, "arXiv answered HTTP 400"), "%s", err);
  cr_assert(strstr(err, "OpenAlex answered HTTP 400"), "%s", err);
  cr_assert(strstr(err, "Crossref answered HTTP 400"), "%s", err);
  cr_assert_eq(r.n, 0);
  /* a mission's own provider choice overrides the settings */
  json_t *only = json_pack("[s]", "pubmed");
  cr_assert_eq(scholar_search(w, NULL, qs, 1, only, 5, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.n, 2);
  scholar_papers_free(&r);
  json_decref(only);
  json_t *bad = json_pack("[s]", "google_scholar");
  cr_assert_eq(scholar_search(w, NULL, qs, 1, bad, 5, &r, err, sizeof err), -1);
  cr_assert(strstr(err, "unknown scholarly provider 'google_scholar'"), "%s", err);
  json_decref(bad);
  websup_web_free(w);
}

Test(web_scholar, an_unreachable_service_is_a_clear_error) {
  const char *env[] = {"ARXIV_URL=http://127.0.0.1:1/arxiv", "SCHOLARLY_PROVIDERS=arxiv", "SCHOLARLY_MIN_INTERVAL_MS=0",
                       "FETCH_TIMEOUT_SECONDS=5", NULL};
  web_t *w = websup_web(env, NULL);
  const char *qs[] = {"anything"};
  scholar_papers_t r;
  char err[1024];
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &r, err, sizeof err), -1);
  cr_assert(strstr(err, "scholarly search failed: arxiv: "), "%s", err);
  cr_assert_eq(r.n, 0);
  websup_web_free(w);
}

Test(web_scholar, answers_are_cached_for_every_user) {
  char err[1024];
  store_t *st = websup_temp_store();
  web_t *w = start_with("normal", "0", NULL, NULL, st);
  const char *qs[] = {"PaperQA retrieval-augmented generative agent"};
  scholar_papers_t a, b;
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &a, err, sizeof err), 0, "%s", err);
  cr_assert_eq(a.from_cache, 0);
  cr_assert_eq(scholar_search(w, NULL, qs, 1, NULL, 5, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.from_cache, 5, "%d of 5 answers from the cache", b.from_cache);
  cr_assert_eq(websup_fake_count(&fake, "/arxiv/api/query"), 1, "arXiv asked again");
  cr_assert_eq(websup_fake_count(&fake, "/pubmed/entrez/eutils/efetch.fcgi"), 1);
  cr_assert_eq(a.n, b.n);
  for (size_t i = 0; i < a.n; i++) {
    cr_assert_str_eq(a.v[i].title, b.v[i].title);
    cr_assert_str_eq(a.v[i].provider, b.v[i].provider);
    cr_assert_eq(a.v[i].doi == NULL, b.v[i].doi == NULL);
    if (a.v[i].pdf_url) cr_assert_str_eq(a.v[i].pdf_url, b.v[i].pdf_url);
  }
  scholar_papers_free(&a);
  scholar_papers_free(&b);
  websup_web_free(w);
  store_close(st);
}
