/*
 * scholar_parse.c - the wire formats of the scholarly search services.
 *
 * Every parser was written against real captured answers (tests/fixtures/
 * payloads/academic/, see its README for the traps) and treats every field
 * as optional: services drift (OpenAlex dropped and added keys between 2025
 * and 2026, arXiv changed its serializer). What each one must get right:
 *
 *   arXiv      Atom, namespace-aware (the legacy serializer re-declares the
 *              namespaces on every element); an error is an Atom feed too,
 *              with one entry under .../api/errors; ids lose their vN.
 *   OpenAlex   the abstract is an inverted index; doi is a URL or null;
 *              oa_url is not necessarily a PDF (only pdf_url is taken).
 *   Crossref   title and container-title are arrays, abstracts are JATS.
 *   S2         openAccessPdf.url may be ""; ids live in externalIds.
 *   PubMed     efetch XML with several labelled AbstractText sections and
 *              inline markup; the article's DOI is ELocationID or the first
 *              PubmedData/ArticleIdList, never one from the ReferenceList;
 *              the DTD is never fetched (no XML_PARSE_DTDLOAD, NONET).
 */
#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/text.h"
#include "base/util.h"
#include "web/scholar.h"

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_ARXIV "http://arxiv.org/schemas/atom"

/* ---- small text helpers -------------------------------------------------------- */

/* Collapses runs of whitespace to one space and trims. Takes ownership of s. */
static char *collapse(char *s) {
  if (!s) return NULL;
  char *w = s;
  int space = 0;
  for (char *r = s; *r; r++) {
    if (isspace((unsigned char)*r)) {
      space = 1;
      continue;
    }
    if (space && w != s) *w++ = ' ';
    space = 0;
    *w++ = *r;
  }
  *w = '\0';
  return s;
}

char *scholar_strip_markup(const char *s) {
  if (!s) return NULL;
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (const char *p = s; *p;) {
    if (*p == '<' && (isalpha((unsigned char)p[1]) || p[1] == '/')) {
      const char *e = strchr(p, '>');
      if (!e) break;
      /* block-level JATS/HTML tags separate words */
      buf_putc(&b, ' ');
      p = e + 1;
      continue;
    }
    char u[8];
    size_t n = *p == '&' ? text_entity_decode(p, strlen(p), 1, u) : 0;
    if (n) {
      buf_puts(&b, u);
      p += n;
      continue;
    }
    buf_putc(&b, *p++);
  }
  return collapse(buf_detach(&b, NULL));
}

char *scholar_arxiv_canonical(const char *s) {
  if (!s) return NULL;
  const char *p = strstr(s, "/abs/");
  if (p)
    p += 5;
  else if ((p = strstr(s, "/pdf/")))
    p += 5;
  else
    p = util_starts_with(s, "arXiv:") || util_starts_with(s, "arxiv:") ? s + 6 : s;
  char *id = util_strdup(p);
  size_t l = strlen(id);
  if (l > 4 && strcmp(id + l - 4, ".pdf") == 0) id[l -= 4] = '\0';
  /* strip a version suffix: digits after a final 'v' that follows a digit */
  size_t i = l;
  while (i > 0 && isdigit((unsigned char)id[i - 1])) i--;
  if (i < l && i >= 2 && id[i - 1] == 'v' && isdigit((unsigned char)id[i - 2])) id[i - 1] = '\0';
  return id;
}

char *scholar_doi_canonical(const char *s) {
  if (!s) return NULL;
  const char *p = strstr(s, "10.");
  if (!p || !strchr(p, '/')) return NULL;
  char *d = util_strdup(p);
  util_trim(d);
  for (char *q = d; *q; q++) *q = (char)tolower((unsigned char)*q);
  return d;
}

/* arXiv DOIs (10.48550/arxiv.2312.07559) name the arXiv id too. */
static void arxiv_from_doi(scholar_paper_t *p) {
  if (!p->arxiv_id && p->doi && util_starts_with(p->doi, "10.48550/arxiv.")) p->arxiv_id = util_strdup(p->doi + 15);
}

static char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s && *s ? util_strdup(s) : NULL;
}

static char *year_text(json_int_t y) {
  if (y < 1000 || y > 9999) return NULL;
  char t[8];
  snprintf(t, sizeof t, "%d", (int)y);
  return util_strdup(t);
}

/* First four digits of a date text ("2013 Feb", "2023-12-08") as a year. */
static char *year_of(const char *s) {
  if (!s) return NULL;
  for (const char *p = s; *p; p++)
    if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
        isdigit((unsigned char)p[3]))
      return util_strndup(p, 4);
  return NULL;
}

static void join(buf_t *b, const char *s) {
  if (!s || !*s) return;
  if (b->len) buf_puts(b, ", ");
  buf_puts(b, s);
}

/* An author joined to b: "given family" when the family name is known,
 * else other (a collective or whole name; nothing when NULL). */
static void join_person(buf_t *b, const char *given, const char *family, const char *other) {
  if (!family) {
    join(b, other);
    return;
  }
  char t[512];
  snprintf(t, sizeof t, "%s%s%s", given ? given : "", given ? " " : "", family);
  join(b, t);
}

static char *detach_or_null(buf_t *b) {
  if (!b->len) {
    buf_free(b);
    return NULL;
  }
  return buf_detach(b, NULL);
}

/* The "name" of each object of authors joined with ", ", or NULL when none
 * has one (Semantic Scholar's and PubMed summary's author lists). */
static char *names_of(json_t *authors) {
  buf_t au = BUF_INIT;
  buf_init(&au);
  size_t i;
  json_t *a;
  json_array_foreach(authors, i, a) join(&au, json_string_value(json_object_get(a, "name")));
  return detach_or_null(&au);
}

/* Calls fn for each object of a result array, each with a new paper. */
static void add_each(json_t *arr, void (*fn)(json_t *, scholar_paper_t *), scholar_papers_t *out) {
  size_t i;
  json_t *it;
  json_array_foreach(arr, i, it) {
    if (json_is_object(it)) fn(it, scholar_papers_add(out));
  }
}

static json_t *load_json(const char *body, size_t len, const char *svc, char *err, size_t errlen) {
  json_error_t je;
  json_t *j = json_loadb(body ? body : "", len, 0, &je);
  if (!j) snprintf(err, errlen, "%s did not answer with JSON (%.120s)", svc, je.text);
  return j;
}

/* ---- arXiv (Atom) --------------------------------------------------------------- */

static int is_el(xmlNodePtr n, const char *ns, const char *name) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 &&
         strcmp((const char *)n->name, name) == 0;
}

static int is_name(xmlNodePtr n, const char *name) {
  return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *node_text(xmlNodePtr n) {
  if (!n) return NULL;
  xmlChar *c = xmlNodeGetContent(n);
  char *s = collapse(util_strdup(c ? (const char *)c : ""));
  xmlFree(c);
  if (s && !*s) {
    free(s);
    return NULL;
  }
  return s;
}

static char *attr(xmlNodePtr n, const char *name) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  char *s = v ? util_strdup((const char *)v) : NULL;
  xmlFree(v);
  return s;
}

static int attr_is(xmlNodePtr n, const char *name, const char *value) {
  char *v = attr(n, name);
  int r = v && strcasecmp(v, value) == 0;
  free(v);
  return r;
}

static xmlDocPtr read_xml(const char *body, size_t len) {
  if (!body || len == 0 || len > (size_t)1 << 30) return NULL;
  return xmlReadMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static void arxiv_entry(xmlNodePtr e, scholar_paper_t *p) {
  buf_t au = BUF_INIT;
  buf_init(&au);
  p->provider = util_strdup("arxiv");
  for (xmlNodePtr c = e->children; c; c = c->next) {
    if (is_el(c, NS_ATOM, "id")) {
      char *t = node_text(c);
      p->arxiv_id = scholar_arxiv_canonical(t);
      free(t);
    } else if (is_el(c, NS_ATOM, "title") && !p->title) {
      p->title = node_text(c);
    } else if (is_el(c, NS_ATOM, "summary") && !p->abstract) {
      p->abstract = node_text(c);
    } else if (is_el(c, NS_ATOM, "published") && !p->year) {
      char *t = node_text(c);
      p->year = year_of(t);
      free(t);
    } else if (is_el(c, NS_ATOM, "author")) {
      for (xmlNodePtr a = c->children; a; a = a->next)
        if (is_el(a, NS_ATOM, "name")) {
          char *t = node_text(a);
          join(&au, t);
          free(t);
        }
    } else if (is_el(c, NS_ATOM, "link")) {
      char *href = attr(c, "href");
      if (href && attr_is(c, "rel", "related") &&
          (attr_is(c, "type", "application/pdf") || attr_is(c, "title", "pdf")) && !p->pdf_url)
        p->pdf_url = util_strdup(href);
      else if (href && attr_is(c, "rel", "alternate") && !p->url)
        p->url = util_strdup(href);
      else if (href && attr_is(c, "title", "doi") && !p->doi)
        p->doi = scholar_doi_canonical(href);
      free(href);
    } else if (is_el(c, NS_ARXIV, "doi")) {
      char *t = node_text(c);
      free(p->doi);
      p->doi = scholar_doi_canonical(t);
      free(t);
    } else if (is_el(c, NS_ARXIV, "journal_ref") && !p->venue) {
      p->venue = node_text(c);
    }
  }
  p->authors = detach_or_null(&au);
  if (!p->venue) p->venue = util_strdup("arXiv");
}

int scholar_parse_arxiv(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen) {
  xmlDocPtr doc = read_xml(body, len);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (!is_el(root, NS_ATOM, "feed")) {
    snprintf(err, errlen, "arXiv answered HTTP %ld without an Atom feed", status);
    xmlFreeDoc(doc);
    return -1;
  }
  /* an error is an Atom feed whose one entry has an id under /api/errors */
  for (xmlNodePtr e = root->children; e; e = e->next) {
    if (!is_el(e, NS_ATOM, "entry")) continue;
    for (xmlNodePtr c = e->children; c; c = c->next) {
      if (!is_el(c, NS_ATOM, "id")) continue;
      char *id = node_text(c);
      int is_err = id && strstr(id, "/api/errors");
      free(id);
      if (!is_err) break;
      char *msg = NULL;
      for (xmlNodePtr s = e->children; s && !msg; s = s->next)
        if (is_el(s, NS_ATOM, "summary")) msg = node_text(s);
      snprintf(err, errlen, "arXiv answered HTTP %ld: %.300s", status, msg ? msg : "an error");
      free(msg);
      xmlFreeDoc(doc);
      return -1;
    }
  }
  if (status != 200) {
    snprintf(err, errlen, "arXiv answered HTTP %ld", status);
    xmlFreeDoc(doc);
    return -1;
  }
  for (xmlNodePtr e = root->children; e; e = e->next)
    if (is_el(e, NS_ATOM, "entry")) {
      scholar_paper_t *p = scholar_papers_add(out);
      arxiv_entry(e, p);
    }
  xmlFreeDoc(doc);
  return 0;
}

/* ---- OpenAlex ------------------------------------------------------------------- */

typedef struct {
  json_int_t pos;
  const char *word;
} posword_t;

static int cmp_pos(const void *a, const void *b) {
  json_int_t x = ((const posword_t *)a)->pos, y = ((const posword_t *)b)->pos;
  return x < y ? -1 : x > y;
}

char *scholar_openalex_abstract(json_t *inv) {
  if (!json_is_object(inv) || !json_object_size(inv)) return NULL;
  size_t n = 0, cap = 0;
  posword_t *v = NULL;
  const char *word;
  json_t *positions;
  json_object_foreach(inv, word, positions) {
    size_t i;
    json_t *pos;
    json_array_foreach(positions, i, pos) {
      if (!json_is_integer(pos) || json_integer_value(pos) < 0 || n >= 200000) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 256;
        v = realloc(v, cap * sizeof *v);
        if (!v) abort();
      }
      v[n].pos = json_integer_value(pos);
      v[n++].word = word;
    }
  }
  if (!n) {
    free(v);
    return NULL;
  }
  qsort(v, n, sizeof *v, cmp_pos);
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; i < n; i++) {
    if (i) buf_putc(&b, ' ');
    buf_puts(&b, v[i].word);
  }
  free(v);
  return collapse(buf_detach(&b, NULL));
}

static void openalex_work(json_t *w, scholar_paper_t *p) {
  p->provider = util_strdup("openalex");
  p->title = jstr(w, "title");
  if (!p->title) p->title = jstr(w, "display_name");
  buf_t au = BUF_INIT;
  buf_init(&au);
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(w, "authorships"), i, a) {
    const char *name = json_string_value(json_object_get(json_object_get(a, "author"), "display_name"));
    if (!name) name = json_string_value(json_object_get(a, "raw_author_name"));
    join(&au, name);
  }
  p->authors = detach_or_null(&au);
  json_t *y = json_object_get(w, "publication_year");
  p->year = json_is_integer(y) ? year_text(json_integer_value(y))
                               : year_of(json_string_value(json_object_get(w, "publication_date")));
  json_t *src = json_object_get(json_object_get(w, "primary_location"), "source");
  p->venue = jstr(src, "display_name");
  p->doi = scholar_doi_canonical(json_string_value(json_object_get(w, "doi")));
  const char *pmid = json_string_value(json_object_get(json_object_get(w, "ids"), "pmid"));
  if (pmid) {
    const char *slash = strrchr(pmid, '/');
    size_t l = strlen(pmid);
    if (slash && slash[1] == '\0' && l > 1) { /* "https://pubmed.ncbi.nlm.nih.gov/123/" */
      const char *s = slash - 1;
      while (s > pmid && *s != '/') s--;
      p->pmid = util_strndup(s + 1, (size_t)(slash - s - 1));
    } else {
      p->pmid = util_strdup(slash ? slash + 1 : pmid);
    }
  }
  p->abstract = scholar_openalex_abstract(json_object_get(w, "abstract_inverted_index"));
  p->pdf_url = jstr(json_object_get(w, "best_oa_location"), "pdf_url");
  if (!p->pdf_url) p->pdf_url = jstr(json_object_get(w, "primary_location"), "pdf_url");
  p->url = p->doi ? NULL : jstr(json_object_get(w, "primary_location"), "landing_page_url");
  if (!p->url) p->url = jstr(w, "id");
  arxiv_from_doi(p);
}

/* The message of an OpenAlex / S2 / generic {"error","message"} body. */
static void json_error_msg(json_t *j, const char *svc, long status, char *err, size_t errlen) {
  const char *e = json_string_value(json_object_get(j, "error"));
  const char *m = json_string_value(json_object_get(j, "message"));
  snprintf(err, errlen, "%s answered HTTP %ld%s%.200s%s%.200s", svc, status, e || m ? ": " : "", e ? e : "",
           e && m ? ": " : "", m ? m : "");
}

/* The papers of list (an array of j, the answer of svc) added to out with
 * fn, or with list NULL the answer's error in err and -1. Takes j. */
static int add_list(json_t *j, json_t *list, const char *svc, long status, void (*fn)(json_t *, scholar_paper_t *),
                    scholar_papers_t *out, char *err, size_t errlen) {
  if (list)
    add_each(list, fn, out);
  else
    json_error_msg(j, svc, status, err, errlen);
  json_decref(j);
  return list ? 0 : -1;
}

int scholar_parse_openalex(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen) {
  json_t *j = load_json(body, len, "OpenAlex", err, errlen);
  if (!j) return -1;
  json_t *results = json_object_get(j, "results");
  int ok = status == 200 && !json_object_get(j, "error") && json_is_array(results);
  return add_list(j, ok ? results : NULL, "OpenAlex", status, openalex_work, out, err, errlen);
}

/* ---- Crossref ------------------------------------------------------------------- */

static char *first_str(json_t *arr) {
  const char *s = json_string_value(json_is_array(arr) ? json_array_get(arr, 0) : arr);
  return s && *s ? scholar_strip_markup(s) : NULL;
}

static void crossref_item(json_t *it, scholar_paper_t *p) {
  p->provider = util_strdup("crossref");
  p->doi = scholar_doi_canonical(json_string_value(json_object_get(it, "DOI")));
  p->title = first_str(json_object_get(it, "title"));
  p->venue = first_str(json_object_get(it, "container-title"));
  buf_t au = BUF_INIT;
  buf_init(&au);
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(it, "author"), i, a) {
    const char *g = json_string_value(json_object_get(a, "given"));
    const char *f = json_string_value(json_object_get(a, "family"));
    const char *n = json_string_value(json_object_get(a, "name"));
    join_person(&au, g, f, n);
  }
  p->authors = detach_or_null(&au);
  static const char *const dates[] = {"issued", "published", "published-print", "published-online", "created", NULL};
  for (const char *const *d = dates; *d && !p->year; d++) {
    json_t *y = json_array_get(json_array_get(json_object_get(json_object_get(it, *d), "date-parts"), 0), 0);
    if (json_is_integer(y)) p->year = year_text(json_integer_value(y));
  }
  const char *ab = json_string_value(json_object_get(it, "abstract"));
  p->abstract = ab ? scholar_strip_markup(ab) : NULL;
  /* a leading "Abstract" heading (JATS title) is not part of the text */
  if (p->abstract && util_starts_with(p->abstract, "Abstract "))
    memmove(p->abstract, p->abstract + 9, strlen(p->abstract + 9) + 1);
  p->url = jstr(it, "URL");
  arxiv_from_doi(p);
}

int scholar_parse_crossref(const char *body, size_t len, long status, scholar_papers_t *out, char *err, size_t errlen) {
  json_error_t je;
  json_t *j = json_loadb(body ? body : "", len, 0, &je);
  if (!j) { /* "Resource not found." comes as text/plain */
    snprintf(err, errlen, "Crossref answered HTTP %ld: %.200s", status, body && len ? body : "(empty)");
    return -1;
  }
  json_t *msg = json_object_get(j, "message");
  json_t *items = json_object_get(msg, "items");
  const char *st = json_string_value(json_object_get(j, "status"));
  if (status != 200 || (st && strcmp(st, "ok") != 0) || !json_is_array(items)) {
    const char *m = json_string_value(json_object_get(json_array_get(msg, 0), "message"));
    if (!m) m = json_string_value(msg);
    snprintf(err, errlen, "Crossref answered HTTP %ld: %.300s", status, m ? m : "not a work list");
    json_decref(j);
    return -1;
  }
  add_each(items, crossref_item, out);
  json_decref(j);
  return 0;
}

/* ---- Semantic Scholar ------------------------------------------------------------ */

static void s2_paper(json_t *d, scholar_paper_t *p) {
  p->provider = util_strdup("semantic_scholar");
  p->title = jstr(d, "title");
  p->abstract = jstr(d, "abstract");
  json_t *y = json_object_get(d, "year");
  p->year = json_is_integer(y) ? year_text(json_integer_value(y))
                               : year_of(json_string_value(json_object_get(d, "publicationDate")));
  p->authors = names_of(json_object_get(d, "authors"));
  json_t *ids = json_object_get(d, "externalIds");
  p->doi = scholar_doi_canonical(json_string_value(json_object_get(ids, "DOI")));
  p->arxiv_id = jstr(ids, "ArXiv");
  p->pmid = jstr(ids, "PubMed");
  p->venue = jstr(json_object_get(d, "journal"), "name");
  if (!p->venue) p->venue = jstr(d, "venue");
  p->pdf_url = jstr(json_object_get(d, "openAccessPdf"), "url"); /* "" -> NULL */
  p->url = jstr(d, "url");
  arxiv_from_doi(p);
}

int scholar_parse_semantic_scholar(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                   size_t errlen) {
  json_t *j = load_json(body, len, "Semantic Scholar", err, errlen);
  if (!j) return -1;
  json_t *data = json_object_get(j, "data");
  return add_list(j, status == 200 && json_is_array(data) ? data : NULL, "Semantic Scholar", status, s2_paper, out, err,
                  errlen);
}

/* ---- PubMed ------------------------------------------------------------------- */

int scholar_parse_pubmed_esearch(const char *body, size_t len, long status, json_t **ids, char *err, size_t errlen) {
  *ids = NULL;
  const char *p = body ? body : "";
  while (len && isspace((unsigned char)*p)) p++, len--;
  if (len && *p == '<') {
    xmlDocPtr doc = read_xml(p, len);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!is_name(root, "eSearchResult")) {
      snprintf(err, errlen, "PubMed ESearch answered HTTP %ld without an eSearchResult", status);
      xmlFreeDoc(doc);
      return -1;
    }
    json_t *a = json_array();
    char *error = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
      if (is_name(c, "ERROR") && !error) error = node_text(c);
      if (!is_name(c, "IdList")) continue;
      for (xmlNodePtr i = c->children; i; i = i->next)
        if (is_name(i, "Id")) {
          char *t = node_text(i);
          if (t) json_array_append_new(a, json_string(t));
          free(t);
        }
    }
    xmlFreeDoc(doc);
    if (error || status != 200) {
      snprintf(err, errlen, "PubMed ESearch answered HTTP %ld: %.300s", status, error ? error : "an error");
      free(error);
      json_decref(a);
      return -1;
    }
    *ids = a;
    return 0;
  }
  json_t *j = load_json(p, len, "PubMed ESearch", err, errlen);
  if (!j) return -1;
  json_t *r = json_object_get(j, "esearchresult");
  const char *e = json_string_value(json_object_get(r, "ERROR"));
  json_t *list = json_object_get(r, "idlist");
  if (status != 200 || e || !json_is_array(list)) {
    snprintf(err, errlen, "PubMed ESearch answered HTTP %ld: %.300s", status,
             e                                                ? e
             : json_string_value(json_object_get(j, "error")) ? json_string_value(json_object_get(j, "error"))
                                                              : "no id list");
    json_decref(j);
    return -1;
  }
  json_t *a = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) if (json_is_string(v)) json_array_append(a, v);
  *ids = a;
  json_decref(j);
  return 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name) {
  for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
    if (is_name(c, name)) return c;
  return NULL;
}

static void pubmed_article(xmlNodePtr art, scholar_paper_t *p) {
  p->provider = util_strdup("pubmed");
  xmlNodePtr mc = child(art, "MedlineCitation");
  xmlNodePtr a = child(mc, "Article");
  p->pmid = node_text(child(mc, "PMID"));
  p->title = node_text(child(a, "ArticleTitle"));
  if (p->title) {
    size_t l = strlen(p->title);
    if (l > 1 && p->title[l - 1] == '.') p->title[l - 1] = '\0'; /* MEDLINE ends titles with a period */
  }
  buf_t ab = BUF_INIT;
  buf_init(&ab);
  for (xmlNodePtr t = child(child(a, "Abstract"), "AbstractText"); t; t = t->next) {
    if (!is_name(t, "AbstractText")) continue;
    char *label = attr(t, "Label");
    char *txt = node_text(t);
    if (txt) {
      if (ab.len) buf_puts(&ab, "\n\n");
      if (label && *label) buf_printf(&ab, "%s: ", label);
      buf_puts(&ab, txt);
    }
    free(label);
    free(txt);
  }
  p->abstract = detach_or_null(&ab);
  buf_t au = BUF_INIT;
  buf_init(&au);
  for (xmlNodePtr t = child(child(a, "AuthorList"), "Author"); t; t = t->next) {
    if (!is_name(t, "Author")) continue;
    char *last = node_text(child(t, "LastName")), *fore = node_text(child(t, "ForeName"));
    char *coll = node_text(child(t, "CollectiveName"));
    join_person(&au, fore, last, coll);
    free(last);
    free(fore);
    free(coll);
  }
  p->authors = detach_or_null(&au);
  xmlNodePtr j = child(a, "Journal");
  p->venue = node_text(child(j, "Title"));
  xmlNodePtr pd = child(child(j, "JournalIssue"), "PubDate");
  char *y = node_text(child(pd, "Year"));
  if (!y) {
    char *md = node_text(child(pd, "MedlineDate"));
    y = year_of(md);
    free(md);
  }
  p->year = y;
  for (xmlNodePtr e = a ? a->children : NULL; e && !p->doi; e = e->next)
    if (is_name(e, "ELocationID") && attr_is(e, "EIdType", "doi")) {
      char *t = node_text(e);
      p->doi = scholar_doi_canonical(t);
      free(t);
    }
  /* only the first ArticleIdList directly under PubmedData: the reference
   * list holds DOIs of other papers */
  xmlNodePtr ids = child(child(art, "PubmedData"), "ArticleIdList");
  for (xmlNodePtr e = ids ? ids->children : NULL; e && !p->doi; e = e->next)
    if (is_name(e, "ArticleId") && attr_is(e, "IdType", "doi")) {
      char *t = node_text(e);
      p->doi = scholar_doi_canonical(t);
      free(t);
    }
  if (p->pmid) {
    char u[128];
    snprintf(u, sizeof u, "https://pubmed.ncbi.nlm.nih.gov/%.40s/", p->pmid);
    p->url = util_strdup(u);
  }
}

int scholar_parse_pubmed_efetch(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                size_t errlen) {
  xmlDocPtr doc = read_xml(body, len);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (status != 200 || !is_name(root, "PubmedArticleSet")) {
    char *e = root ? node_text(child(root, "ERROR")) : NULL;
    snprintf(err, errlen, "PubMed EFetch answered HTTP %ld: %.300s", status, e ? e : "not a PubmedArticleSet");
    free(e);
    xmlFreeDoc(doc);
    return -1;
  }
  for (xmlNodePtr c = root->children; c; c = c->next)
    if (is_name(c, "PubmedArticle")) pubmed_article(c, scholar_papers_add(out));
  xmlFreeDoc(doc);
  return 0;
}

int scholar_parse_pubmed_esummary(const char *body, size_t len, long status, scholar_papers_t *out, char *err,
                                  size_t errlen) {
  json_t *j = load_json(body, len, "PubMed ESummary", err, errlen);
  if (!j) return -1;
  json_t *res = json_object_get(j, "result");
  json_t *uids = json_object_get(res, "uids");
  if (status != 200 || !json_is_array(uids)) {
    const char *e = json_string_value(json_object_get(j, "error"));
    snprintf(err, errlen, "PubMed ESummary answered HTTP %ld: %.300s", status, e ? e : "no result");
    json_decref(j);
    return -1;
  }
  size_t i;
  json_t *u;
  json_array_foreach(uids, i, u) {
    json_t *r = json_object_get(res, json_string_value(u) ? json_string_value(u) : "");
    if (!json_is_object(r) || json_object_get(r, "error")) continue;
    scholar_paper_t *p = scholar_papers_add(out);
    p->provider = util_strdup("pubmed");
    p->pmid = util_strdup(json_string_value(u));
    p->title = jstr(r, "title");
    p->venue = jstr(r, "fulljournalname");
    if (!p->venue) p->venue = jstr(r, "source");
    p->year = year_of(json_string_value(json_object_get(r, "sortpubdate")));
    if (!p->year) p->year = year_of(json_string_value(json_object_get(r, "pubdate")));
    p->authors = names_of(json_object_get(r, "authors"));
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(r, "articleids"), k, a) {
      const char *t = json_string_value(json_object_get(a, "idtype"));
      if (t && strcmp(t, "doi") == 0 && !p->doi)
        p->doi = scholar_doi_canonical(json_string_value(json_object_get(a, "value")));
    }
    char url[128];
    snprintf(url, sizeof url, "https://pubmed.ncbi.nlm.nih.gov/%.40s/", p->pmid);
    p->url = util_strdup(url);
  }
  json_decref(j);
  return 0;
}
