/*
 * docmeta.c - completing a ready document's bibliographic record from
 * outside sources, on the ingestion job's thread (the rag ready hook):
 *
 *   1. Crossref: the document's DOI resolved with
 *      `GET {CROSSREF_URL}/works?filter=doi:<doi>&rows=1` when Crossref is
 *      among the owner's enabled scholarly providers (scholar_crossref_doi).
 *   2. The owner's chat model (fast tier), when one is configured and the
 *      title is still empty, or a paper (DOI, arXiv id or abstract known)
 *      lacks its authors or year: a structured answer
 *      {title, authors, year} read from the start of the document's text
 *      (the first page), validated against a schema (llm_chat re-asks once),
 *      then each value against the text itself: the title must occur in it,
 *      every author's last name and the year too, so a model cannot invent
 *      them. Stored with source "model"; a bad answer is logged and ignored.
 *
 * Which fields an outside value may take (docs/documents.md, "Completing
 * the record"): never one the user edited; an empty one always; a value
 * the document itself declared (XMP, PDF information dictionary other than
 * its file date, DOCX core properties, HTML citation / Dublin Core tags,
 * front matter) is kept; a guessed one (first-page heuristics, a heading,
 * the HTML <title>, the PDF's file date as year) gives way to Crossref,
 * the registry's record of that very DOI. Every value is validated like a
 * user's edit (rag_meta_edit_from_json) and stored through
 * store_doc_complete_meta with its source ("crossref", "model"), which keeps a field
 * the user edited meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "llm/llm.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "web/scholar.h"
#include "web/web_internal.h"

/* The four fields outside sources complete. */
static const char *const FIELDS[] = {"title", "authors", "year", "venue"};
#define NFIELDS 4

static const char *doc_field(const store_doc_t *d, int i) {
  const char *v[] = {d->bib.title, d->bib.authors, d->bib.year, d->bib.venue};
  return v[i];
}

/* May a value from `source` replace field i of d (see the header)? */
static int may_fill(const store_doc_t *d, int i, const char *source) {
  const char *cur = doc_field(d, i);
  const char *src = json_string_value(json_object_get(d->meta_sources, FIELDS[i]));
  if (src && !strcmp(src, "user")) return 0;
  if (!cur || !*cur) return 1;
  if (!src || !strcmp(src, source)) return 1; /* no recorded source; or a refresh of ours */
  if (strcmp(source, "crossref") != 0) return 0;
  static const char *const GUESSED[] = {"first-page", "heading", "html-title", "text", "model", NULL};
  for (int k = 0; GUESSED[k]; k++)
    if (!strcmp(src, GUESSED[k])) return 1;
  return i == 2 && !strcmp(src, "pdf-info"); /* the year of the file's creation date */
}

/* Stores the values of rec ({field: value}) that d's fields may take, each
 * validated like an edit (a bad one is skipped with a log line). 1 when
 * something was stored, 0 when nothing, -1 on a store error. */
static int complete_from(web_t *w, const store_doc_t *d, json_t *rec, const char *source) {
  rag_meta_edit_t edits[NFIELDS];
  memset(edits, 0, sizeof edits);
  store_doc_meta_t m = {0};
  int n = 0;
  for (int i = 0; i < NFIELDS; i++) {
    json_t *v = json_object_get(rec, FIELDS[i]);
    if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)) || !may_fill(d, i, source)) continue;
    json_t *one = json_pack("{s:O}", FIELDS[i], v);
    char field[32], err[256];
    if (rag_meta_edit_from_json(one, &edits[i], field, sizeof field, err, sizeof err) != 0) {
      log_warn("web", "document %s: %s gave a %s that is not valid (%s); ignored", d->id, source, FIELDS[i], err);
    } else {
      const char **dst = store_doc_meta_field(&m, FIELDS[i]);
      const char *val = *store_doc_meta_field(&edits[i].m, FIELDS[i]);
      const char *cur = doc_field(d, i);
      if (val && *val && !(cur && !strcmp(cur, val))) {
        *dst = val;
        n++;
      }
    }
    json_decref(one);
  }
  int rc = 0;
  if (n) {
    int st = store_doc_complete_meta(w->st, d->user_id, d->id, &m, source);
    rc = st == STORE_OK ? 1 : st == STORE_NOT_FOUND ? 0 : -1;
    if (rc == 1) log_info("web", "document %s: %d field(s) completed from %s", d->id, n, source);
  }
  for (int i = 0; i < NFIELDS; i++) rag_meta_edit_free(&edits[i]);
  return rc;
}

/* Crossref's record of d's DOI. 1 when fields were completed. */
static int from_crossref(web_t *w, const store_doc_t *d) {
  scholar_papers_t p;
  char err[600] = "";
  int rc = scholar_crossref_doi(w, d->user_id, d->bib.doi, &p, err, sizeof err);
  if (rc < 0) {
    log_warn("web", "document %s: Crossref look-up of its DOI failed, record left as extracted: %s", d->id, err);
    return 0;
  }
  if (rc == 0) return 0; /* Crossref not enabled for the owner */
  int changed = 0;
  if (!p.n) {
    log_info("web", "document %s: Crossref has no record of its DOI", d->id);
  } else {
    const scholar_paper_t *r = &p.v[0];
    json_t *rec = json_object();
    if (r->title) json_object_set_new(rec, "title", json_string(r->title));
    if (r->authors) json_object_set_new(rec, "authors", json_string(r->authors));
    if (r->year) json_object_set_new(rec, "year", json_string(r->year));
    if (r->venue) json_object_set_new(rec, "venue", json_string(r->venue));
    changed = complete_from(w, d, rec, "crossref") > 0;
    json_decref(rec);
  }
  scholar_papers_free(&p);
  return changed;
}

/* How much of the text the model reads: the first page of a paper. */
#define MODEL_TEXT_BYTES 4000

static const char MODEL_SYSTEM[] =
    "role: document metadata. You read the beginning of a document (its first page) and name its bibliographic "
    "record. Answer with JSON only: {\"title\": the document's own title exactly as written in the text, "
    "\"authors\": [the authors' names as written], \"year\": the four-digit publication year}. Use \"\" (or [] "
    "for authors) for anything the text does not state; never guess, never take a title, author or year of a work "
    "the document cites.";

/* Is every word of `needle` (normalised) in hay_norm, in order, as one run? */
static int in_text(const char *hay_norm, const char *needle) {
  char *n = scholar_norm_title(needle);
  int ok = n && *n && strstr(hay_norm, n) != NULL;
  free(n);
  return ok;
}

/* Drops the values of rec the text does not support (see the header). */
static void check_against_text(json_t *rec, const char *text, const char *doc_id) {
  char *norm = scholar_norm_title(text);
  if (!norm) norm = util_strdup("");
  const char *t = json_string_value(json_object_get(rec, "title"));
  if (t && *t && !in_text(norm, t)) {
    log_warn("web", "document %s: the model's title is not in the document's text; ignored", doc_id);
    json_object_del(rec, "title");
  }
  json_t *au = json_object_get(rec, "authors");
  size_t i;
  json_t *a;
  int bad = !json_is_array(au);
  json_array_foreach(au, i, a) {
    const char *name = json_string_value(a);
    const char *last = name ? strrchr(name, ' ') : NULL;
    if (!name || !in_text(norm, last ? last + 1 : name)) bad = 1;
  }
  if (bad && json_array_size(au)) log_warn("web", "document %s: an author the model named is not in the text; authors ignored", doc_id);
  if (bad) json_object_del(rec, "authors");
  const char *y = json_string_value(json_object_get(rec, "year"));
  if (y && *y && (strlen(y) != 4 || !strstr(text, y))) {
    log_warn("web", "document %s: the model's year is not in the text; ignored", doc_id);
    json_object_del(rec, "year");
  }
  free(norm);
}

/* The model's reading of d's first page. 1 when fields were completed. */
static int from_model(web_t *w, const store_doc_t *d) {
  /* asked when the title is missing, or when a paper (DOI, arXiv id or an
   * abstract known) lacks its authors or year: notes and web pages without
   * authors cost no call */
  int paper =
      (d->bib.doi && *d->bib.doi) || (d->bib.arxiv_id && *d->bib.arxiv_id) || (d->bib.abstract && *d->bib.abstract);
  int gaps = may_fill(d, 0, "model") || (paper && (may_fill(d, 1, "model") || may_fill(d, 2, "model")));
  if (!gaps || !w->llm || !llm_available(w->llm, d->user_id)) return 0;
  char *text = NULL;
  if (store_doc_get_text(w->st, d->user_id, d->id, &text) != STORE_OK || !text || !*text) {
    free(text);
    return 0;
  }
  size_t n = strlen(text);
  if (n > MODEL_TEXT_BYTES) text[util_utf8_floor(text, MODEL_TEXT_BYTES)] = '\0';
  json_t *schema = json_pack("{s:s, s:{s:{s:s}, s:{s:s, s:{s:s}}, s:{s:s}}, s:[s, s, s]}", "type", "object",
                             "properties", "title", "type", "string", "authors", "type", "array", "items", "type",
                             "string", "year", "type", "string", "required", "title", "authors", "year");
  llm_message_t msgs[] = {{"system", MODEL_SYSTEM}, {"user", text}};
  llm_request_t req = {.tier = LLM_TIER_FAST,
                       .messages = msgs,
                       .nmessages = 2,
                       .temperature = 0,
                       .json_schema = schema,
                       .schema_name = "document_metadata",
                       .user_id = d->user_id,
                       .agent = "metadata",
                       .cache = LLM_CACHE_OFF};
  llm_response_t resp;
  char err[512] = "";
  int changed = 0;
  int rc = llm_chat(w->llm, &req, &resp, err, sizeof err);
  if (rc != 0) {
    log_warn("web", "document %s: the model gave no usable record (%s); ignored", d->id, err);
  } else if (!json_is_object(resp.json)) {
    log_warn("web", "document %s: the model's answer is not a JSON object; ignored", d->id);
  } else {
    json_t *rec = json_deep_copy(resp.json);
    json_object_del(rec, "venue");
    check_against_text(rec, text, d->id);
    changed = complete_from(w, d, rec, "model") > 0;
    json_decref(rec);
  }
  if (rc == 0) llm_response_free(&resp);
  json_decref(schema);
  free(text);
  return changed;
}

int scholar_doc_complete(void *ud, const char *user_id, const char *doc_id) {
  web_t *w = ud;
  store_doc_t *d = NULL;
  if (!w || !w->st || !user_id || store_doc_get(w->st, user_id, doc_id, &d) != STORE_OK) return 0;
  int changed = 0;
  if (!strcmp(d->status, "ready") && d->bib.doi && *d->bib.doi) changed |= from_crossref(w, d);
  if (changed) { /* the model sees what Crossref left empty */
    store_doc_free(d);
    d = NULL;
    if (store_doc_get(w->st, user_id, doc_id, &d) != STORE_OK) return changed;
  }
  if (!strcmp(d->status, "ready")) changed |= from_model(w, d);
  store_doc_free(d);
  return changed;
}
