/*
 * scholar.h - scholarly search: arXiv, OpenAlex, Crossref, Semantic Scholar
 * and PubMed (E-utilities), with structured paper metadata.
 *
 * What the research pipeline needs from it:
 *
 *   scholar_search()   queries -> one merged list of papers (title, authors,
 *                      year, venue, DOI, arXiv id, abstract, open-access PDF
 *                      link, landing page), asked of every enabled provider;
 *                      duplicates across providers are merged by DOI, then
 *                      arXiv id, then normalised title.
 *   scholar_parse_*()  the wire formats, one pure function per answer type
 *                      (tests feed them the captured real responses).
 *
 * Settings live in the "search" settings section (the same document as the
 * web providers, so secrets are sealed by the same code): "scholarly_providers"
 * (list or comma string of arxiv, openalex, crossref, semantic_scholar,
 * pubmed), "contact_email", "openalex_api_key", "semantic_scholar_api_key",
 * "pubmed_api_key". Base URLs and defaults come from the environment
 * (ARXIV_URL, OPENALEX_URL, CROSSREF_URL, SEMANTIC_SCHOLAR_URL, PUBMED_URL,
 * SCHOLARLY_PROVIDERS, SCHOLARLY_CONTACT_EMAIL, *_API_KEY).
 *
 * Rate limits follow each service's documentation: arXiv 1 request / 3 s on
 * one connection, Semantic Scholar 1 / s, PubMed 3 / s (10 with a key),
 * OpenAlex and Crossref 10 / s (polite pool, mailto sent). A 429 is retried
 * once after its Retry-After (when that is at most SCHOLAR_MAX_RETRY_WAIT_MS),
 * then the provider is left alone for that time and the others answer.
 *
 * Invariants: every string in a scholar_paper_t is NULL or malloc'd UTF-8
 * owned by the struct; doi is bare and lowercase ("10.1111/ele.14024");
 * arxiv_id has no version suffix ("2312.07559", "astro-ph/0601001").
 *
 * Threads: scholar_search() is thread-safe (limiters are per web_t, see
 * web_internal.h); the parsers are pure.
 */
#ifndef MAESTRO_WEB_SCHOLAR_H
#define MAESTRO_WEB_SCHOLAR_H

#include <jansson.h>
#include <stddef.h>

#include "web/web.h"

#define SCHOLAR_MAX_RETRY_WAIT_MS 10000

enum { SCHOLAR_ARXIV = 0, SCHOLAR_OPENALEX, SCHOLAR_CROSSREF, SCHOLAR_SEMANTIC_SCHOLAR, SCHOLAR_PUBMED, SCHOLAR_NPROV };

typedef struct {
  char *provider; /* "openalex", or "openalex+semantic_scholar" after a merge */
  char *title;
  char *authors; /* "Jakub Lála, Odhran O’Donoghue" */
  char *year;    /* "2023" */
  char *venue;
  char *doi;      /* bare, lowercase */
  char *arxiv_id; /* without version */
  char *pmid;
  char *abstract;
  char *pdf_url; /* an open-access PDF (not a landing page) */
  char *url;     /* landing page */
  double score;  /* fused rank score, higher first */
} scholar_paper_t;

typedef struct {
  scholar_paper_t *v;
  size_t n;
  char *warnings; /* one line per provider or query that failed; NULL when none */
  int from_cache; /* provider answers (per query) served from the cache */
} scholar_papers_t;

void scholar_papers_free(scholar_papers_t *p);
/* Appends a zeroed paper and returns it (owned by p). */
scholar_paper_t *scholar_papers_add(scholar_papers_t *p);

/* Provider name ("arxiv", ...) of an id, and id of a name (-1: unknown). */
const char *scholar_provider_name(int id);
int scholar_provider_id(const char *name);

/* ---- searching ---------------------------------------------------------- */

/*
 * Searches each query with every provider enabled for user_id (or, when
 * `providers` is a non-empty JSON array of names, those), per_query results
 * per provider and query (0 -> 5), and merges everything into out (sorted by
 * score; duplicates merged, their metadata completed from each other).
 * Each provider's answer to each query is cached in the store (shared by
 * all users: public data) for WEB_CACHE_TTL_HOURS.
 * Returns 0 when at least one provider answered one query (failures of the
 * others are in out->warnings), -1 with err naming each failure.
 */
int scholar_search(web_t *w, const char *user_id, const char *const *queries, size_t nqueries, json_t *providers,
                   int per_query, scholar_papers_t *out, char *err, size_t errlen);

/* Crossref's record of one DOI, for user_id's document metadata: asks
 * `GET {CROSSREF_URL}/works?filter=doi:<doi>&rows=1` (under Crossref's
 * limiter, with the contact e-mail as mailto, answer cached like searches).
 * Returns 1 with out holding the record (out->n 0 when Crossref has none),
 * 0 when Crossref is not among user_id's enabled scholarly providers
 * (nothing sent), -1 with err on a failure or a bad DOI. */
int scholar_crossref_doi(web_t *w, const char *user_id, const char *doi, scholar_papers_t *out, char *err,
                         size_t errlen);
/* The rag ready hook (rag_set_ready_hook, docmeta.c): completes the record
 * of user_id's ready document doc_id from Crossref when it has a DOI and
 * the owner's scholarly search includes Crossref, then from the configured
 * chat model (title, authors, year still missing). ud is the web_t. > 0
 * when the record changed; failures are logged and change nothing. */
int scholar_doc_complete(void *ud, const char *user_id, const char *doc_id);

/* What a scholarly search for user_id would ask (the preflight's view):
 * *out = {"providers": [names enabled, in order], "contact_email": bool,
 * "error": "..." when the settings are invalid}. `providers` as in
 * scholar_search. Sends nothing. */
void scholar_status(web_t *w, const char *user_id, json_t *providers, json_t **out);

/* Checks the scholarly members of a "search" settings document (provider
 * names, contact_email an e-mail address, keys strings) before it is saved.
 * 0, or -1 with err. */
int scholar_check_settings(json_t *doc, char *err, size_t errlen);

/* Merges duplicates (same DOI, arXiv id or normalised title) of `in` into
 * out (in is emptied). Scores add up; the first copy's fields win, missing
 * ones are taken from the duplicates. */
void scholar_merge(scholar_papers_t *in, scholar_papers_t *out);
/* Lowercase letters and digits of a title, one space between words. malloc'd. */
char *scholar_norm_title(const char *title);
/* The paper as JSON {title, authors, year, venue, doi, arxiv_id, pmid,
 * abstract, pdf_url, url, provider}; absent fields are omitted. New ref. */
json_t *scholar_paper_json(const scholar_paper_t *p);

/* ---- wire formats (scholar_parse.c) ---------------------------------------- */

/* Each parser appends the papers of one answer body to out and returns 0,
 * or returns -1 with a clear message in err (the service's own error text
 * where it sends one). `status` is the HTTP status of the answer. */
int scholar_parse_arxiv(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen);
int scholar_parse_openalex(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen);
int scholar_parse_crossref(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen);
int scholar_parse_semantic_scholar(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                   size_t errlen);
int scholar_parse_pubmed_efetch(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                size_t errlen);
int scholar_parse_pubmed_esummary(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                  size_t errlen);
/* PubMed ESearch (JSON or XML): the PMIDs as a JSON array of strings in
 * *ids (new reference). */
int scholar_parse_pubmed_esearch(const char *body, size_t len, long status, json_t **ids, char *err, size_t errlen);

/* The abstract text of an OpenAlex abstract_inverted_index ({"word":
 * [positions]}), words in position order. malloc'd; NULL when inv is not an
 * object or is empty. */
char *scholar_openalex_abstract(json_t *inv);
/* Text of JATS/HTML markup: tags removed, entities decoded, whitespace
 * collapsed. malloc'd (NULL stays NULL). */
char *scholar_strip_markup(const char *s);
/* "2312.07559" from "http://arxiv.org/abs/2312.07559v2" or "2312.07559v2".
 * malloc'd, NULL when s is NULL. */
char *scholar_arxiv_canonical(const char *s);
/* Bare lowercase DOI from "https://doi.org/10.X/Y", "doi:10.X/Y" or "10.X/Y";
 * NULL when s holds no DOI. malloc'd. */
char *scholar_doi_canonical(const char *s);

#endif
