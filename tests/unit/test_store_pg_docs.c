/*
 * Documents and groups (src/store/documents.c) on both backends: dedup by
 * content hash, owner checks, the library's filters (case-insensitive, the
 * user's % and _ taken literally), sorts with documents without a year last
 * in both directions, paging, metadata edits that later ingestions and
 * outside records keep, deleting and reprocessing that leave no index
 * entries behind (FTS5 rows on SQLite, postings on PostgreSQL), groups.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "base/log.h"
#include "pg.h"
#include "store/db.h"
#include "store/documents.h"
#include "store/events.h"
#include "store/store.h"

#include "pg_cluster_hooks.h" /* one PostgreSQL cluster for this binary */

static void quiet(void) {
  log_setup(LOG_WARNING, 1);
}

TestSuite(pgdocs, .init = quiet);

static void add_user(store_t *st, const char *id) {
  cr_assert_eq(db_run(st, "add user",
                      "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) "
                      "VALUES (?, ?, 'h', 'researcher', 0, 0)",
                      DB_ARGS(DB_TEXT(id), DB_TEXT(id)), NULL),
               STORE_OK);
}

/* A queued document of user with the given file name, title (may be NULL),
 * year (may be NULL), added at `added` ms; its id into id. */
static void add_doc(store_t *st, const char *user, const char *filename, const char *title, const char *year,
                    int64_t added, char *id) {
  store_doc_t d = {0};
  snprintf(d.user_id, sizeof d.user_id, "%s", user);
  d.filename = (char *)filename;
  d.stored_path = (char *)"/files/x";
  char hash[64];
  snprintf(hash, sizeof hash, "hash-%s-%s", user, filename);
  d.content_hash = hash;
  d.bib.title = (char *)title;
  d.bib.year = (char *)year;
  d.chunk_overlap = -1;
  cr_assert_eq(store_doc_insert(st, &d, NULL), STORE_OK);
  cr_assert_eq(db_run(st, "date", "UPDATE documents SET created_at = ? WHERE id = ?",
                      DB_ARGS(DB_INT(added), DB_TEXT(d.id)), NULL),
               STORE_OK);
  memcpy(id, d.id, 17);
}

/* The "field" of each document of a list answer, joined with "|". */
static char *field_of(json_t *res, const char *field) {
  static char out[1024];
  out[0] = '\0';
  json_t *docs = json_object_get(res, "documents");
  for (size_t i = 0; i < json_array_size(docs); i++) {
    json_t *v = json_object_get(json_array_get(docs, i), field);
    if (i) strcat(out, "|");
    strcat(out, json_is_string(v) ? json_string_value(v) : "-");
  }
  return out;
}

static json_int_t total_of(json_t *res) {
  return json_integer_value(json_object_get(res, "total"));
}

/* The filenames of u's documents matching f in sort order. */
static char *query(store_t *st, const char *u, const store_doc_filter_t *f, store_doc_sort_t sort, int desc, int limit,
                   int offset, json_int_t *total) {
  json_t *res = store_doc_query_json(st, u, f, sort, desc, limit, offset);
  cr_assert_not_null(res);
  if (total) *total = total_of(res);
  char *s = field_of(res, "filename");
  json_decref(res);
  return s;
}

BOTH_BACKENDS(pgdocs, insert_dedups_by_content_hash_per_user_and_get_checks_the_owner) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[17], dup[17] = "x";
  add_doc(st, "alice", "paper.pdf", "A Paper", "2020", 1000, a);
  store_doc_t d = {0};
  snprintf(d.user_id, sizeof d.user_id, "alice");
  d.filename = (char *)"copy.pdf";
  d.stored_path = (char *)"/files/y";
  d.content_hash = (char *)"hash-alice-paper.pdf";
  cr_expect_eq(store_doc_insert(st, &d, dup), STORE_CONFLICT, "same content for the same user");
  cr_expect_str_eq(dup, a, "the existing document is named");
  /* bob may add the same file */
  memset(d.id, 0, sizeof d.id);
  snprintf(d.user_id, sizeof d.user_id, "bob");
  cr_expect_eq(store_doc_insert(st, &d, dup), STORE_OK);

  store_doc_t *got = NULL;
  cr_assert_eq(store_doc_get(st, "alice", a, &got), STORE_OK);
  cr_expect_str_eq(got->filename, "paper.pdf");
  cr_expect_str_eq(got->status, "queued");
  cr_expect_str_eq(got->mime, "application/octet-stream");
  cr_expect_eq(got->chunk_size, 1000);
  cr_expect_eq(got->chunk_overlap, 200);
  cr_expect_str_eq(json_string_value(json_object_get(got->meta_sources, "title")), "user",
                   "fields given when adding are the user's");
  store_doc_free(got);
  got = NULL;
  cr_expect_eq(store_doc_get(st, "bob", a, &got), STORE_NOT_FOUND, "another user's document");
  cr_expect_null(got);
  cr_expect_eq(store_doc_get(st, NULL, a, &got), STORE_OK, "workers read any owner's");
  json_t *j = store_doc_json(st, got);
  cr_expect_str_eq(json_string_value(json_object_get(j, "title")), "A Paper");
  cr_expect_eq(json_array_size(json_object_get(j, "group_ids")), 0);
  json_decref(j);
  store_doc_free(got);

  json_t *cite = store_doc_cite_json(st, "alice", a);
  cr_assert_not_null(cite);
  cr_expect_str_eq(json_string_value(json_object_get(cite, "title")), "A Paper");
  cr_expect_str_eq(json_string_value(json_object_get(cite, "year")), "2020");
  cr_expect_null(json_object_get(cite, "doi"), "unknown fields are absent");
  json_decref(cite);
  cr_expect_null(store_doc_cite_json(st, "bob", a));
}

BOTH_BACKENDS(pgdocs, library_filters_ignore_case_and_take_wildcards_literally) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[17], b[17], c[17], e[17], x[17];
  add_doc(st, "alice", "growth_rate.pdf", "Economic GROWTH", "2019", 1, a);
  add_doc(st, "alice", "growthxrate.pdf", "Other", "2021", 2, b);
  add_doc(st, "alice", "100%.pdf", NULL, NULL, 3, c);
  add_doc(st, "alice", "notes.txt", "Field Notes", "2010", 4, e);
  add_doc(st, "bob", "growth_bob.pdf", "Growth", "2019", 5, x);
  store_doc_meta_t m = {.authors = "Kim, Ana; O'Neil, Bo", .venue = "Nature Physics", .language = "en-US"};
  cr_assert_eq(store_doc_update_fields(st, "alice", a, &m, NULL), STORE_OK);
  store_doc_meta_t m2 = {.authors = "Lee, Cho", .language = "ko", .doi = "10.1000/ABC"};
  cr_assert_eq(store_doc_update_fields(st, "alice", b, &m2, NULL), STORE_OK);

  store_doc_filter_t f = {.q = "growth"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf|growthxrate.pdf",
                   "case-insensitive, and never another user's");
  f = (store_doc_filter_t){.q = "GROWTH_"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf",
                   "_ is a character, not a wildcard");
  f = (store_doc_filter_t){.q = "0%"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "100%.pdf");
  f = (store_doc_filter_t){.q = "abc"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growthxrate.pdf", "the DOI");
  f = (store_doc_filter_t){.q = "o'neil"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf", "the authors");
  f = (store_doc_filter_t){.author = "KIM"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf");
  f = (store_doc_filter_t){.venue = "physics"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf");
  f = (store_doc_filter_t){.language = "EN"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf", "en matches en-US");
  f = (store_doc_filter_t){.language = "ko"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growthxrate.pdf");
  f = (store_doc_filter_t){.year_from = 2015, .year_to = 2020};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf");
  f = (store_doc_filter_t){.mime = "application/octet-stream", .status = "queued", .year_from = 2011};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "growth_rate.pdf|growthxrate.pdf");
  f = (store_doc_filter_t){.status = "ready"};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "");

  /* the same filter gives the ids for a bulk action */
  f = (store_doc_filter_t){.q = "growth"};
  char(*ids)[17] = NULL;
  size_t n = 0;
  cr_assert_eq(store_doc_filter_ids(st, "alice", &f, 10, &ids, &n), STORE_OK);
  cr_expect_eq(n, 2);
  if (n == 2) cr_expect(!strcmp(ids[0], a) && !strcmp(ids[1], b), "by date added");
  free(ids);
  cr_assert_eq(store_doc_filter_ids(st, "alice", &f, 1, &ids, &n), STORE_OK);
  cr_expect_eq(n, 1, "at most max");
  free(ids);

  char own[3][17];
  memcpy(own[0], x, 17);
  memcpy(own[1], e, 17);
  memcpy(own[2], "nosuchdocument00", 17);
  cr_expect_eq(store_doc_owned_ids(st, "alice", own, 3), 1, "bob's and unknown ids dropped");
  cr_expect_str_eq(own[0], e);
}

BOTH_BACKENDS(pgdocs, sorts_put_documents_without_a_year_last_and_pages_keep_the_total) {
  add_user(st, "alice");
  char id[17];
  add_doc(st, "alice", "b.pdf", "banana", "2001", 10, id);
  add_doc(st, "alice", "a.pdf", "Apple", NULL, 20, id);
  add_doc(st, "alice", "c.pdf", NULL, "1999", 30, id); /* sorts as "c.pdf" */
  add_doc(st, "alice", "z.pdf", "_under", "2010", 40, id);
  add_doc(st, "alice", "d.pdf", "Cherry", NULL, 50, id);
  store_doc_filter_t none = {0};
  json_int_t total = 0;
  cr_expect_str_eq(query(st, "alice", &none, STORE_DOC_SORT_ADDED, 0, 50, 0, &total), "b.pdf|a.pdf|c.pdf|z.pdf|d.pdf");
  cr_expect_eq(total, 5);
  cr_expect_str_eq(query(st, "alice", &none, STORE_DOC_SORT_ADDED, 1, 50, 0, NULL), "d.pdf|z.pdf|c.pdf|a.pdf|b.pdf");
  /* the title (else the file name) without case, as SQLite's NOCASE: letters
   * folded to lower case, then byte order ("_" before "a", "c.pdf" before
   * "cherry"), whatever the database's locale */
  cr_expect_str_eq(query(st, "alice", &none, STORE_DOC_SORT_TITLE, 0, 50, 0, NULL), "z.pdf|a.pdf|b.pdf|c.pdf|d.pdf");
  cr_expect_str_eq(query(st, "alice", &none, STORE_DOC_SORT_TITLE, 1, 50, 0, NULL), "d.pdf|c.pdf|b.pdf|a.pdf|z.pdf");
  /* documents without a year last in both directions (a and d tie: by id) */
  char *asc = query(st, "alice", &none, STORE_DOC_SORT_YEAR, 0, 50, 0, NULL);
  cr_expect(!strncmp(asc, "c.pdf|b.pdf|z.pdf|", 18) && strstr(asc + 18, "a.pdf") && strstr(asc + 18, "d.pdf"),
            "earliest first, no year last: %s", asc);
  char *desc = query(st, "alice", &none, STORE_DOC_SORT_YEAR, 1, 50, 0, NULL);
  cr_expect(!strncmp(desc, "z.pdf|b.pdf|c.pdf|", 18) && strlen(desc) == 29, "latest first, no year last: %s", desc);
  /* pages: the total is of all matches */
  cr_expect_str_eq(query(st, "alice", &none, STORE_DOC_SORT_ADDED, 0, 2, 2, &total), "c.pdf|z.pdf");
  cr_expect_eq(total, 5);
  char *last = query(st, "alice", &none, STORE_DOC_SORT_YEAR, 0, 2, 4, &total);
  cr_expect(!strcmp(last, "a.pdf") || !strcmp(last, "d.pdf"), "the last page: %s", last);
  json_t *res = store_doc_list_json(st, "alice", NULL, NULL, "PDF", 2, 0);
  cr_expect_str_eq(field_of(res, "filename"), "d.pdf|z.pdf", "the plain list: newest first");
  cr_expect_eq(total_of(res), 5);
  json_decref(res);
  cr_expect_str_eq(query(st, "nobody", &none, STORE_DOC_SORT_ADDED, 0, 50, 0, &total), "");
  cr_expect_eq(total, 0);
}

BOTH_BACKENDS(pgdocs, metadata_edits_survive_ingestion_and_outside_records) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[17];
  add_doc(st, "alice", "p.pdf", NULL, NULL, 1, a);
  json_t *meta = json_pack("{s:{s:i}, s:s}", "extra", "x", 1, "keep", "old");
  store_doc_meta_t mine = {.authors = "Me, I"};
  cr_assert_eq(store_doc_update_fields(st, "alice", a, &mine, meta), STORE_OK);
  json_decref(meta);
  cr_expect_eq(store_doc_update_fields(st, "bob", a, &mine, NULL), STORE_NOT_FOUND);

  /* ingestion: the user's authors stay, the rest is taken, metadata merges under the old */
  cr_assert_eq(store_doc_begin_processing(st, a), STORE_OK);
  store_doc_meta_t found = {.title = "Found Title", .authors = "Extracted, E", .doi = "10.1/x", .year = "2022"};
  json_t *srcs =
      json_pack("{s:s, s:s, s:s, s:s}", "title", "xmp", "authors", "xmp", "doi", "first-page", "year", "xmp");
  json_t *newmeta = json_pack("{s:{s:i}, s:s, s:i}", "extra", "y", 2, "keep", "new", "pages_seen", 3);
  cr_assert_eq(store_doc_mark_ready_meta(st, a, "the text", 3, 2, 8, &found, srcs, newmeta, NULL), STORE_OK);
  json_decref(srcs);
  json_decref(newmeta);
  cr_expect_eq(store_doc_mark_ready_meta(st, a, "again", 1, 1, 5, &found, NULL, NULL, NULL), STORE_NOT_FOUND,
               "only a document being processed becomes ready");
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect_str_eq(d->status, "ready");
  cr_expect_str_eq(d->bib.title, "Found Title");
  cr_expect_str_eq(d->bib.authors, "Me, I", "the user's edit is kept");
  cr_expect_str_eq(d->bib.doi, "10.1/x");
  cr_expect_eq(d->pages, 3);
  cr_expect_eq(d->chunk_count, 2);
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "authors")), "user");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "doi")), "first-page");
  json_t *want = json_pack("{s:{s:i, s:i}, s:s, s:i}", "extra", "x", 1, "y", 2, "keep", "old", "pages_seen", 3);
  cr_expect(json_equal(d->metadata, want), "nested merge, old values win");
  json_decref(want);
  store_doc_free(d);
  char *text = NULL;
  cr_assert_eq(store_doc_get_text(st, "alice", a, &text), STORE_OK);
  cr_expect_str_eq(text, "the text");
  free(text);
  cr_expect_eq(store_doc_get_text(st, "bob", a, &text), STORE_NOT_FOUND);

  /* an outside record completes what the user did not edit */
  store_doc_meta_t rec = {.authors = "Crossref, C", .venue = "Journal", .year = "2023"};
  cr_assert_eq(store_doc_complete_meta(st, "alice", a, &rec, "crossref"), STORE_OK);
  cr_expect_eq(store_doc_complete_meta(st, "bob", a, &rec, "crossref"), STORE_NOT_FOUND);
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect_str_eq(d->bib.authors, "Me, I");
  cr_expect_str_eq(d->bib.venue, "Journal");
  cr_expect_str_eq(d->bib.year, "2023");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "venue")), "crossref");
  cr_expect_str_eq(json_string_value(json_object_get(d->meta_sources, "authors")), "user");
  store_doc_free(d);

  /* "" clears, the title cannot be cleared; update_meta is the short form */
  store_doc_meta_t clear = {.title = "", .venue = ""};
  cr_assert_eq(store_doc_update_fields(st, "alice", a, &clear, NULL), STORE_OK);
  cr_assert_eq(store_doc_update_meta(st, "alice", a, NULL, NULL, "1999", NULL), STORE_OK);
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect_str_eq(d->bib.title, "Found Title");
  cr_expect_null(d->bib.venue);
  cr_expect_str_eq(d->bib.year, "1999");
  store_doc_free(d);
}

/* Index entries of the document's chunks: FTS5 rows on SQLite, postings
 * on PostgreSQL. */
static int64_t index_rows(store_t *st) {
  int64_t n = -1;
  db_query(st, "index rows",
           store_backend(st) == DB_PG ? "SELECT COUNT(*) FROM chunk_postings" : "SELECT COUNT(*) FROM chunks_fts",
           DB_NOARGS, db_row_int64, &n);
  return n;
}

static void add_chunks(store_t *st, const char *doc, const char *user) {
  for (int i = 0; i < 3; i++) {
    int64_t cid = 0;
    cr_assert_eq(db_query(st, "chunk",
                          "INSERT INTO chunks (document_id, user_id, seq, page, char_start, char_end, title, heading, "
                          "body) VALUES (?, ?, ?, ?, ?, ?, 'T', ?, 'body words') RETURNING id",
                          DB_ARGS(DB_TEXT(doc), DB_TEXT(user), DB_INT(i), DB_INT(i < 2 ? 1 : 2), DB_INT(i * 10),
                                  DB_INT(i * 10 + 9), DB_TEXT(i < 2 ? "Intro" : "Method")),
                          db_row_int64, &cid),
                 1);
    if (store_backend(st) == DB_PG) {
      cr_assert_eq(db_run(st, "posting",
                          "INSERT INTO chunk_postings VALUES ('body', ?, ?, NULL, NULL, '{0}'), "
                          "('words', ?, ?, NULL, NULL, '{1}')",
                          DB_ARGS(DB_TEXT(user), DB_INT(cid), DB_TEXT(user), DB_INT(cid)), NULL),
                   STORE_OK);
      cr_assert_eq(db_run(st, "lengths", "INSERT INTO chunk_lengths VALUES (?, ?, 1, 1, 2, 1)",
                          DB_ARGS(DB_INT(cid), DB_TEXT(user)), NULL),
                   STORE_OK);
    }
  }
}

static int64_t count(store_t *st, const char *sql, const char *id) {
  int64_t n = -1;
  db_query(st, "count", sql, DB_ARGS(DB_TEXT(id)), db_row_int64, &n);
  return n;
}

/* A worker killed between "ready" and its announcement left a document the
 * user's library never heard of (the retry saw it ready and stopped): the
 * two are one transaction now. */
BOTH_BACKENDS(pgdocs, a_document_becomes_ready_and_is_announced_together_or_not_at_all) {
  add_user(st, "alice");
  char a[17];
  add_doc(st, "alice", "r.txt", NULL, NULL, 1, a);
  json_t *data = json_pack("{s:s, s:s}", "id", a, "status", "ready");
  store_event_t ev = {"documents:alice", "document", data, 0, 0};
  cr_expect_eq(store_doc_mark_ready_meta(st, a, "t", 1, 1, 1, NULL, NULL, NULL, &ev), STORE_NOT_FOUND,
               "a queued document cannot become ready");
  cr_expect_eq(ev.seq, 0);
  cr_expect_eq(store_event_last_seq(st, "documents:alice"), 0, "nothing announced for a refused change");

  cr_assert_eq(store_doc_begin_processing(st, a), STORE_OK);
  cr_assert_eq(store_doc_mark_ready_meta(st, a, "t", 1, 1, 1, NULL, NULL, NULL, &ev), STORE_OK);
  cr_expect_eq(ev.seq, 1);
  cr_expect_gt(ev.ts, 0);
  json_t *log = store_event_list(st, "documents:alice", 0, 10);
  cr_assert_eq(json_array_size(log), 1);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(log, 0), "data"), "status")),
                   "ready");
  json_decref(log);

  /* a failing append takes the change back with it */
  char b[17];
  add_doc(st, "alice", "s.txt", NULL, NULL, 2, b);
  cr_assert_eq(store_doc_begin_processing(st, b), STORE_OK);
  store_event_t bad = {NULL, "document", data, 0, 0}; /* no channel: the log refuses the row */
  cr_expect_neq(store_doc_mark_ready_meta(st, b, "t", 1, 1, 1, NULL, NULL, NULL, &bad), STORE_OK);
  cr_expect_eq(bad.seq, 0);
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(st, "alice", b, &d), STORE_OK);
  cr_expect_str_eq(d->status, "processing", "not ready without its announcement");
  store_doc_free(d);

  /* failing is announced the same way */
  store_event_t failed = {"documents:alice", "document", data, 0, 0};
  cr_assert_eq(store_doc_mark_failed(st, b, "unreadable", &failed), STORE_OK);
  cr_expect_eq(failed.seq, 2);
  cr_expect_eq(store_event_last_seq(st, "documents:alice"), 2);
  cr_expect_neq(store_doc_mark_failed(st, b, "another reason", &bad), STORE_OK);
  cr_assert_eq(store_doc_get(st, "alice", b, &d), STORE_OK);
  cr_expect_str_eq(d->error, "unreadable", "a refused announcement leaves the document as it was");
  store_doc_free(d);
  json_decref(data);
}

BOTH_BACKENDS(pgdocs, reprocessing_failing_and_deleting_leave_no_index_entries) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[17], keep[17];
  add_doc(st, "alice", "a.pdf", "A", NULL, 1, a);
  add_doc(st, "alice", "k.pdf", "K", NULL, 2, keep);
  add_chunks(st, keep, "alice");
  int64_t kept = index_rows(st);
  cr_assert(kept > 0);

  cr_assert_eq(store_doc_begin_processing(st, a), STORE_OK);
  add_chunks(st, a, "alice");
  cr_assert_eq(store_doc_mark_ready(st, a, "text", 2, 3, 30, NULL, NULL, NULL, NULL), STORE_OK);
  cr_assert(index_rows(st) > kept);
  json_t *sec = store_doc_sections_json(st, "alice", a);
  cr_expect_eq(json_array_size(sec), 2, "a new section when the page or heading changes");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(sec, 1), "heading")), "Method");
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(sec, 1), "char_start")), 20);
  json_decref(sec);
  sec = store_doc_sections_json(st, "bob", a);
  cr_expect_eq(json_array_size(sec), 0, "not bob's");
  json_decref(sec);

  /* a retitle reaches the chunks */
  cr_assert_eq(store_doc_update_meta(st, "alice", a, "New", NULL, NULL, NULL), STORE_OK);
  cr_expect_eq(count(st, "SELECT COUNT(*) FROM chunks WHERE document_id = ? AND title = 'New'", a), 3);

  /* requeue: back in the queue with new chunking, only for the owner */
  cr_expect_eq(store_doc_requeue(st, "bob", a, 500, 50), STORE_NOT_FOUND);
  cr_assert_eq(store_doc_requeue(st, "alice", a, 500, 50), STORE_OK);
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect_str_eq(d->status, "queued");
  cr_expect(d->chunk_size == 500 && d->chunk_overlap == 50);
  store_doc_free(d);
  cr_assert_eq(store_doc_requeue(st, "alice", a, 0, -1), STORE_OK);
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect(d->chunk_size == 500 && d->chunk_overlap == 50, "unset values keep the old");
  store_doc_free(d);
  json_t *orph = store_doc_orphans(st);
  cr_expect_eq(json_array_size(orph), 2, "queued without an ingest job");
  json_decref(orph);

  /* the worker starts again: the old chunks and their index entries go */
  cr_assert_eq(store_doc_begin_processing(st, a), STORE_OK);
  cr_expect_eq(count(st, "SELECT COUNT(*) FROM chunks WHERE document_id = ?", a), 0);
  cr_expect_eq(index_rows(st), kept, "only the other document's entries remain");
  cr_expect_eq(count(st, "SELECT COUNT(*) FROM document_texts WHERE document_id = ?", a), 0);
  add_chunks(st, a, "alice");
  cr_assert_eq(store_doc_mark_failed(st, a, "parse error", NULL), STORE_OK);
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  cr_expect_str_eq(d->status, "failed");
  cr_expect_str_eq(d->error, "parse error");
  cr_expect_eq(d->chunk_count, 0);
  store_doc_free(d);
  cr_expect_eq(index_rows(st), kept);
  cr_expect_eq(store_doc_begin_processing(st, "nosuchdocument00"), STORE_NOT_FOUND);

  /* delete: only the owner; the file path comes back; entries go */
  char *path = NULL;
  cr_expect_eq(store_doc_delete(st, "bob", keep, &path), STORE_NOT_FOUND);
  cr_expect_null(path);
  cr_assert_eq(store_doc_delete(st, "alice", keep, &path), STORE_OK);
  cr_expect_str_eq(path, "/files/x");
  free(path);
  cr_expect_eq(index_rows(st), 0);
  cr_expect_eq(count(st, "SELECT COUNT(*) FROM chunks WHERE document_id = ?", keep), 0);
  cr_expect_eq(store_doc_get(st, "alice", keep, &d), STORE_NOT_FOUND);
  if (store_backend(st) == DB_PG) {
    int64_t n = -1;
    db_query(st, "stats", "SELECT COALESCE(SUM(chunks), 0) FROM chunk_index_stats", DB_NOARGS, db_row_int64, &n);
    cr_expect_eq(n, 0, "the index statistics count no chunk");
  }
}

BOTH_BACKENDS(pgdocs, counts_version_and_touch_follow_the_library) {
  add_user(st, "alice");
  char a[17], b[17];
  add_doc(st, "alice", "a.pdf", NULL, NULL, 1, a);
  add_doc(st, "alice", "b.pdf", NULL, NULL, 2, b);
  int64_t total = -1, ready = -1, count = -1, latest = -1;
  cr_assert_eq(store_doc_scope_counts(st, "alice", NULL, &total, &ready), STORE_OK);
  cr_expect(total == 2 && ready == 0);
  cr_assert_eq(store_doc_version(st, "alice", &count, &latest), STORE_OK);
  cr_expect(count == 0 && latest == 0, "only ready documents count");
  cr_assert_eq(store_doc_begin_processing(st, a), STORE_OK);
  cr_assert_eq(store_doc_mark_ready(st, a, "t", 1, 0, 1, NULL, NULL, NULL, NULL), STORE_OK);
  cr_assert_eq(store_doc_version(st, "alice", &count, &latest), STORE_OK);
  cr_expect_eq(count, 1);
  int64_t before = latest;
  cr_assert_eq(store_doc_touch(st, a), STORE_OK);
  cr_assert_eq(store_doc_touch(st, a), STORE_OK);
  cr_assert_eq(store_doc_version(st, "alice", &count, &latest), STORE_OK);
  cr_expect(latest >= before + 2, "every touch moves the version: %lld -> %lld", (long long)before, (long long)latest);
  cr_expect_eq(store_doc_touch(st, "nosuchdocument00"), STORE_NOT_FOUND);
  char g[17];
  cr_assert_eq(store_group_create(st, "alice", "G", NULL, g), STORE_OK);
  const char *ids[] = {a, b};
  cr_assert_eq(store_group_add_docs(st, "alice", g, ids, 2), STORE_OK);
  cr_assert_eq(store_doc_scope_counts(st, "alice", g, &total, &ready), STORE_OK);
  cr_expect(total == 2 && ready == 1, "total %lld ready %lld", (long long)total, (long long)ready);
  cr_assert_eq(store_doc_scope_counts(st, "bob", g, &total, &ready), STORE_OK);
  cr_expect(total == 0 && ready == 0, "another user's group counts nothing");
}

BOTH_BACKENDS(pgdocs, groups_belong_to_their_owner) {
  add_user(st, "alice");
  add_user(st, "bob");
  char a[17], b[17], x[17], g1[17], g2[17], gb[17], found[17];
  add_doc(st, "alice", "a.pdf", NULL, NULL, 1, a);
  add_doc(st, "alice", "b.pdf", NULL, NULL, 2, b);
  add_doc(st, "bob", "x.pdf", NULL, NULL, 3, x);
  cr_assert_eq(store_group_create(st, "alice", "Beta", "last", g1), STORE_OK);
  cr_assert_eq(store_group_create(st, "alice", "alpha", NULL, g2), STORE_OK);
  cr_expect_eq(store_group_create(st, "alice", "Beta", NULL, NULL), STORE_CONFLICT);
  cr_assert_eq(store_group_create(st, "bob", "Beta", NULL, gb), STORE_OK, "names are per user");

  json_t *list = store_group_list_json(st, "alice");
  cr_assert_eq(json_array_size(list), 2);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "name")), "alpha", "without case");
  json_decref(list);
  cr_expect_eq(store_group_find(st, "alice", "Beta", found), STORE_OK);
  cr_expect_str_eq(found, g1);
  cr_expect_eq(store_group_find(st, "alice", "nope", found), STORE_NOT_FOUND);
  cr_expect(store_group_owned(st, "alice", g1));
  cr_expect(!store_group_owned(st, "bob", g1));

  const char *mine[] = {a, b};
  const char *with_bobs[] = {a, x};
  cr_expect_eq(store_group_add_docs(st, "alice", g1, with_bobs, 2), STORE_NOT_FOUND, "bob's document");
  cr_expect_eq(store_group_add_docs(st, "bob", g1, mine, 1), STORE_NOT_FOUND, "alice's group");
  json_t *g = store_group_get_json(st, "alice", g1);
  cr_assert_not_null(g);
  cr_expect_eq(json_array_size(json_object_get(g, "document_ids")), 0, "nothing added by a refused call");
  json_decref(g);
  cr_assert_eq(store_group_add_docs(st, "alice", g1, mine, 2), STORE_OK);
  cr_assert_eq(store_group_add_docs(st, "alice", g1, mine, 1), STORE_OK, "adding twice is harmless");
  cr_assert_eq(store_group_add_docs(st, "alice", g2, mine, 1), STORE_OK);
  g = store_group_get_json(st, "alice", g1);
  cr_expect_eq(json_integer_value(json_object_get(g, "document_count")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(g, "description")), "last");
  json_decref(g);
  cr_expect_null(store_group_get_json(st, "bob", g1));

  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(st, "alice", a, &d), STORE_OK);
  json_t *dj = store_doc_json(st, d);
  cr_expect_eq(json_array_size(json_object_get(dj, "group_ids")), 2);
  json_decref(dj);
  store_doc_free(d);
  store_doc_filter_t f = {.group_id = g2};
  cr_expect_str_eq(query(st, "alice", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "a.pdf");
  cr_expect_str_eq(query(st, "bob", &f, STORE_DOC_SORT_ADDED, 0, 50, 0, NULL), "", "alice's group filters bob out");

  char(*ids)[17] = NULL;
  size_t n = 0;
  cr_assert_eq(store_group_doc_ids(st, "alice", g1, &ids, &n), STORE_OK);
  cr_expect_eq(n, 2);
  free(ids);
  cr_assert_eq(store_group_doc_ids(st, "bob", g1, &ids, &n), STORE_OK);
  cr_expect_eq(n, 0);
  free(ids);
  cr_assert_eq(store_group_remove_docs(st, "alice", g1, mine, 1), STORE_OK);
  cr_assert_eq(store_group_doc_ids(st, "alice", g1, &ids, &n), STORE_OK);
  cr_expect(n == 1 && !strcmp(ids[0], b));
  free(ids);

  cr_expect_eq(store_group_update(st, "alice", g1, "alpha", NULL), STORE_CONFLICT);
  cr_expect_eq(store_group_update(st, "bob", g1, "mine", NULL), STORE_NOT_FOUND);
  cr_assert_eq(store_group_update(st, "alice", g1, NULL, "new text"), STORE_OK);
  g = store_group_get_json(st, "alice", g1);
  cr_expect_str_eq(json_string_value(json_object_get(g, "name")), "Beta");
  cr_expect_str_eq(json_string_value(json_object_get(g, "description")), "new text");
  json_decref(g);
  cr_expect_eq(store_group_delete(st, "bob", g1), STORE_NOT_FOUND);
  cr_assert_eq(store_group_delete(st, "alice", g1), STORE_OK);
  cr_expect_eq(store_group_delete(st, "alice", g1), STORE_NOT_FOUND);
  cr_expect_eq(store_doc_get(st, "alice", b, &d), STORE_OK, "the documents stay");
  store_doc_free(d);
}
