/*
 * The library at scale (issue 14 §3): 10,000 documents of one user seeded
 * through the store, listed through GET /api/documents with filters
 * (author, year range, venue, type, status, group, language, text), sorts
 * and pages that answer exactly what a user asked for, never another
 * user's documents; malformed filters answer 422 naming the field; bulk
 * actions on a selection or on "all matching a filter" (delete, add to /
 * remove from a group, reprocess, cancel) never touch another user's
 * documents, and a selection naming one answers 404 with nothing done.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/util.h"
#include "inproc.h"
#include "rag/rag.h"
#include "server_support.h"
#include "store/documents.h"

/* documents of alice: 10,000 for the list, fewer where only the bulk rules matter */
static int NDOCS = 10000;

static inproc_t env;
static ts_server_t srv;
static char alice_id[17], bob_id[17];
static char *alice, *bob;

static const char *const AUTHORS[] = {"Marie Curie; Pierre Curie", "Alan Turing", "Grace Hopper; Alan Turing",
                                      "Ada Lovelace", "Claude Shannon"};
static const char *const MIMES[] = {"application/pdf", "text/html", "text/plain", "text/markdown"};
static const char *const STATUSES[] = {"ready", "ready", "ready", "failed", "queued"};

/* What document i of alice is: the same rules decide what the API must answer. */
static const char *author_of(int i) { return AUTHORS[i % 5]; }
static int year_of(int i) { return 1950 + (i % 70); }
static const char *mime_of(int i) { return MIMES[i % 4]; }
static const char *status_of(int i) { return STATUSES[(i / 7) % 5]; }
static int has_venue(int i) { return i % 10 == 3; }

static void seed(const char *user, const char *prefix, int n) {
  for (int i = 0; i < n; i++) {
    store_doc_t d = {0};
    snprintf(d.user_id, sizeof d.user_id, "%s", user);
    char fn[64], title[96], hash[80], year[8];
    snprintf(fn, sizeof fn, "%s-%05d.pdf", prefix, i);
    snprintf(title, sizeof title, "%s paper %05d on %s", prefix, i, i % 2 ? "computing" : "radioactivity");
    snprintf(hash, sizeof hash, "%s-%d", prefix, i);
    snprintf(year, sizeof year, "%d", year_of(i));
    d.filename = fn;
    d.stored_path = fn;
    d.mime = (char *)mime_of(i);
    d.content_hash = hash;
    d.bib.title = title;
    d.bib.authors = (char *)author_of(i);
    d.bib.year = year;
    snprintf(d.status, sizeof d.status, "%s", status_of(i));
    cr_assert_eq(store_doc_insert(env.app->store, &d, NULL), STORE_OK, "insert %d", i);
    if (has_venue(i)) {
      store_doc_meta_t m = {.venue = "Annals of Physics", .language = i % 20 == 3 ? "fr-CA" : "en"};
      cr_assert_eq(store_doc_complete_meta(env.app->store, user, d.id, &m, "crossref"), STORE_OK);
    }
  }
}

static void open_seeded(int n) {
  NDOCS = n;
  inproc_open(&env, NULL);
  inproc_user(&env, "alice", "researcher", alice_id, &alice);
  inproc_user(&env, "bob", "researcher", bob_id, &bob);
  seed(alice_id, "alice", NDOCS);
  seed(bob_id, "bob", 200);
}

static void serve(void) {
  inproc_serve(&env);
  memset(&srv, 0, sizeof srv);
  srv.port = env.port;
}

static void start(int n) {
  open_seeded(n);
  serve();
}

static void stop(void) {
  inproc_close(&env);
  free(alice);
  free(bob);
}

TestSuite(library, .fini = stop, .timeout = 280);

static json_t *get(const char *tok, const char *path, long *st) {
  return ts_json(&srv, "GET", path, tok, NULL, st);
}

static json_t *list_ok(const char *path) {
  long st;
  json_t *r = get(alice, path, &st);
  cr_assert_eq(st, 200, "%s: %ld", path, st);
  return r;
}

static const char *s_of(json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

Test(library, filtered_sorted_paged_list_of_ten_thousand_answers_exactly) {
  start(10000);
  /* Turing's papers of the 1990s, ready, oldest first, second page of 7 */
  int expect = 0;
  for (int i = 0; i < NDOCS; i++)
    if (strstr(author_of(i), "Turing") && year_of(i) >= 1990 && year_of(i) <= 1999 && !strcmp(status_of(i), "ready"))
      expect++;
  cr_assert_gt(expect, 14);
  json_t *r = list_ok("/api/documents?author=turing&year_from=1990&year_to=1999&status=ready&sort=year&order=asc"
                      "&limit=7&offset=7");
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), expect);
  json_t *docs = json_object_get(r, "documents");
  cr_assert_eq(json_array_size(docs), 7);
  int prev = 0;
  size_t i;
  json_t *d;
  json_array_foreach(docs, i, d) {
    int y = atoi(s_of(d, "year"));
    cr_expect(y >= 1990 && y <= 1999, "year %d in range", y);
    cr_expect(y >= prev, "ascending years: %d after %d", y, prev);
    prev = y;
    cr_expect(strstr(s_of(d, "authors"), "Turing") != NULL);
    cr_expect_str_eq(s_of(d, "status"), "ready");
    cr_expect(util_starts_with(s_of(d, "filename"), "alice-"), "only alice's documents: %s", s_of(d, "filename"));
  }
  json_decref(r);

  /* every page of a filter put together is every match, once */
  int venue_expect = 0;
  for (int k = 0; k < NDOCS; k++) venue_expect += has_venue(k) && !strcmp(mime_of(k), "application/pdf");
  json_t *seen = json_object();
  int total = -1;
  for (int off = 0; off < venue_expect + 500; off += 500) {
    char path[200];
    snprintf(path, sizeof path, "/api/documents?venue=annals&type=pdf&sort=title&limit=500&offset=%d", off);
    r = list_ok(path);
    total = (int)json_integer_value(json_object_get(r, "total"));
    json_array_foreach(json_object_get(r, "documents"), i, d) json_object_set_new(seen, s_of(d, "id"), json_true());
    json_decref(r);
  }
  cr_expect_eq(total, venue_expect);
  cr_expect_eq((int)json_object_size(seen), venue_expect, "pages overlap or miss documents");
  json_decref(seen);

  /* language "fr" matches fr-CA; title sort Z..A; newest first by default */
  r = list_ok("/api/documents?language=fr&limit=1");
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), NDOCS / 20);
  json_decref(r);
  r = list_ok("/api/documents?sort=title&order=desc&limit=2");
  cr_expect_str_eq(s_of(json_array_get(json_object_get(r, "documents"), 0), "filename"), "alice-09999.pdf");
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), NDOCS);
  json_decref(r);
  r = list_ok("/api/documents?limit=1&q=paper%2000042");
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), 1);
  json_decref(r);

  /* bob sees his 200 only, whatever he filters on */
  long st;
  r = get(bob, "/api/documents?author=turing&limit=500", &st);
  cr_assert_eq(st, 200);
  json_array_foreach(json_object_get(r, "documents"), i, d) cr_expect(util_starts_with(s_of(d, "filename"), "bob-"));
  cr_expect_eq(json_integer_value(json_object_get(r, "total")), 200 * 2 / 5);
  json_decref(r);
}

Test(library, malformed_filters_answer_422_naming_the_field) {
  start(100);
  static const struct {
    const char *query, *field;
  } BAD[] = {{"year_from=abc", "year_from"},           {"year_to=99999", "year_to"},
             {"year_from=2000&year_to=1990", "year_from"}, {"status=done", "status"},
             {"type=exe", "type"},                     {"sort=size", "sort"},
             {"order=sideways", "order"},              {"language=en%25", "language"}};
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    char path[200];
    snprintf(path, sizeof path, "/api/documents?%s", BAD[i].query);
    long st;
    json_t *r = get(alice, path, &st);
    cr_expect_eq(st, 422, "%s: %ld", BAD[i].query, st);
    cr_expect_str_eq(s_of(json_object_get(r, "error"), "field"), BAD[i].field, "%s", BAD[i].query);
    json_decref(r);
  }
  long st;
  json_t *r = get(alice, "/api/documents?limit=0", &st);
  cr_expect_eq(st, 400);
  json_decref(r);
}

static json_t *bulk(const char *tok, json_t *body, long *st) {
  json_t *r = ts_json(&srv, "POST", "/api/documents/bulk", tok, body, st);
  json_decref(body);
  return r;
}

static int64_t total_of(const char *tok, const char *query) {
  char path[256];
  snprintf(path, sizeof path, "/api/documents?limit=1&%s", query);
  long st;
  json_t *r = get(tok, path, &st);
  cr_assert_eq(st, 200);
  int64_t n = json_integer_value(json_object_get(r, "total"));
  json_decref(r);
  return n;
}

Test(library, bulk_actions_touch_only_the_callers_documents) {
  start(1000);
  long st;
  /* a group of alice, filled with "all matching" */
  json_t *gb = json_pack("{s:s}", "name", "hopper");
  json_t *g = ts_json(&srv, "POST", "/api/groups", alice, gb, &st);
  json_decref(gb);
  cr_assert_eq(st, 201);
  char gid[64];
  snprintf(gid, sizeof gid, "%s", s_of(g, "id"));
  json_decref(g);
  int64_t hopper = total_of(alice, "author=hopper");
  cr_assert_eq(hopper, NDOCS / 5);
  json_t *r = bulk(alice, json_pack("{s:s, s:s, s:{s:s}}", "action", "add_to_group", "group_id", gid, "filter",
                                    "author", "hopper"),
                   &st);
  cr_assert_eq(st, 200);
  cr_expect_eq(json_integer_value(json_object_get(r, "done")), hopper);
  json_decref(r);
  char q[128];
  snprintf(q, sizeof q, "group_id=%s", gid);
  cr_expect_eq(total_of(alice, q), hopper);

  /* bob cannot list, fill or bulk-delete through alice's group */
  snprintf(q, sizeof q, "/api/documents?group_id=%s", gid);
  json_decref(get(bob, q, &st));
  cr_expect_eq(st, 404);
  r = bulk(bob, json_pack("{s:s, s:{s:s}}", "action", "delete", "filter", "group_id", gid), &st);
  cr_expect_eq(st, 404);
  json_decref(r);

  /* a selection naming one of bob's documents: 404, nothing deleted */
  json_t *bl = get(bob, "/api/documents?limit=1", &st);
  char bob_doc[17];
  snprintf(bob_doc, sizeof bob_doc, "%s", s_of(json_array_get(json_object_get(bl, "documents"), 0), "id"));
  json_decref(bl);
  json_t *al = list_ok("/api/documents?author=lovelace&limit=3");
  json_t *sel = json_array();
  for (int i = 0; i < 3; i++) json_array_append(sel, json_object_get(json_array_get(json_object_get(al, "documents"), i), "id"));
  json_decref(al);
  json_t *mixed = json_copy(sel);
  json_array_append_new(mixed, json_string(bob_doc));
  r = bulk(alice, json_pack("{s:s, s:o}", "action", "delete", "document_ids", mixed), &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  cr_expect_eq(total_of(alice, "author=lovelace"), NDOCS / 5, "nothing was deleted");
  cr_expect_eq(total_of(bob, "q=bob"), 200);

  /* the selection alone is deleted */
  r = bulk(alice, json_pack("{s:s, s:O}", "action", "delete", "document_ids", sel), &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_integer_value(json_object_get(r, "done")), 3);
  json_decref(r);
  cr_expect_eq(total_of(alice, "author=lovelace"), NDOCS / 5 - 3);
  json_decref(sel);

  /* "all matching" delete: alice's Shannon papers of the 1950s go, bob's stay */
  int64_t bob_shannon = total_of(bob, "author=shannon");
  int64_t before = total_of(alice, "");
  int64_t match = total_of(alice, "author=shannon&year_to=1959");
  cr_assert_gt(match, 0);
  r = bulk(alice, json_pack("{s:s, s:{s:s, s:i}}", "action", "delete", "filter", "author", "shannon", "year_to", 1959),
           &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_integer_value(json_object_get(r, "matched")), match);
  cr_expect_eq(json_integer_value(json_object_get(r, "done")), match);
  json_decref(r);
  cr_expect_eq(total_of(alice, "author=shannon&year_to=1959"), 0);
  cr_expect_eq(total_of(alice, ""), before - match);
  cr_expect_eq(total_of(bob, "author=shannon"), bob_shannon);

  /* remove from the group by filter */
  r = bulk(alice, json_pack("{s:s, s:s, s:{s:s}}", "action", "remove_from_group", "group_id", gid, "filter", "status",
                            "failed"),
           &st);
  cr_expect_eq(st, 200);
  json_decref(r);
  snprintf(q, sizeof q, "group_id=%s&status=failed", gid);
  cr_expect_eq(total_of(alice, q), 0);
  snprintf(q, sizeof q, "group_id=%s", gid);
  cr_expect_gt(total_of(alice, q), 0);

  /* malformed bulk requests */
  static const char *const BAD[] = {
      "{\"action\":\"shred\",\"document_ids\":[\"0123456789abcdef\"]}",
      "{\"action\":\"delete\"}",
      "{\"action\":\"delete\",\"document_ids\":[],\"filter\":{}}",
      "{\"action\":\"delete\",\"document_ids\":[42]}",
      "{\"action\":\"add_to_group\",\"filter\":{}}",
      "{\"action\":\"delete\",\"filter\":{\"year_from\":\"soon\"}}",
      "{\"action\":\"reembed\",\"filter\":{}}", /* no embedding model configured */
  };
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    r = bulk(alice, json_loads(BAD[i], 0, NULL), &st);
    cr_expect_eq(st, 422, "%s: %ld", BAD[i], st);
    json_decref(r);
  }
  cr_expect_eq(total_of(alice, ""), before - match, "no malformed request deleted anything");
}

Test(library, bulk_reprocess_requeues_failed_documents) {
  start(500);
  long st;
  int64_t failed = total_of(alice, "status=failed&author=curie");
  cr_assert_gt(failed, 0);
  int64_t seeded_queued = total_of(alice, "status=queued&author=curie");
  /* the seeded rows have no file: requeued, they are processed again and fail with the reason */
  json_t *r = bulk(alice, json_pack("{s:s, s:{s:s, s:s}}", "action", "reprocess", "filter", "status", "failed",
                                    "author", "curie"),
                   &st);
  cr_assert_eq(st, 200);
  cr_expect_eq(json_integer_value(json_object_get(r, "done")), failed);
  json_decref(r);
  int64_t deadline = util_mono_ms() + 60000;
  while (total_of(alice, "status=failed&author=curie") < failed && util_mono_ms() < deadline) util_sleep_ms(100);
  int64_t f2 = total_of(alice, "status=failed&author=curie"), r2 = total_of(alice, "status=ready&author=curie"),
          q2 = total_of(alice, "status=queued&author=curie"), all = total_of(alice, "author=curie");
  cr_expect_eq(f2, failed, "failed again: %lld of %lld", (long long)f2, (long long)failed);
  cr_expect_eq(f2 + r2 + q2, all, "%lld + %lld + %lld of %lld", (long long)f2, (long long)r2, (long long)q2,
               (long long)all);
  cr_expect_eq(q2, seeded_queued);
  json_t *l = list_ok("/api/documents?status=failed&author=curie&limit=1");
  const char *why = s_of(json_array_get(json_object_get(l, "documents"), 0), "error");
  cr_expect(strstr(why, "missing") != NULL, "the reason is shown: %s", why);
  json_decref(l);
}

Test(library, cancel_stops_queued_processing_of_the_selection_only) {
  open_seeded(10);
  /* three uploads queued while no worker runs yet */
  char ids[3][17];
  for (int i = 0; i < 3; i++) {
    char path[512], text[64];
    snprintf(path, sizeof path, "%s/note%d.txt", env.dir, i);
    snprintf(text, sizeof text, "Note number %d about queued work.\n", i);
    cr_assert_eq(util_write_file(path, text, strlen(text), 0644), 0);
    rag_add_t req = {.user_id = alice_id, .filename = "note.txt", .src_path = path, .chunk_overlap = -1};
    int dup = 0;
    char err[256];
    cr_assert_eq(rag_document_add(env.app->rag, &req, ids[i], &dup, err, sizeof err), 0, "%s", err);
  }
  /* bob cannot cancel alice's work: his selection is checked by the API (404) */
  json_t *res = rag_bulk(env.app->rag, alice_id, RAG_BULK_CANCEL, NULL, ids, 2);
  cr_expect_eq(json_integer_value(json_object_get(res, "done")), 2);
  json_decref(res);
  serve();
  long st;
  json_t *body = json_pack("{s:s, s:[s]}", "action", "cancel", "document_ids", ids[2]);
  json_t *r = bulk(bob, body, &st);
  cr_expect_eq(st, 404);
  json_decref(r);
  json_t *j = ts_wait_document(&srv, alice, ids[2], 60);
  cr_assert_not_null(j);
  cr_expect_str_eq(s_of(j, "status"), "ready", "the document not selected is processed");
  json_decref(j);
  for (int i = 0; i < 2; i++) {
    char path[96];
    snprintf(path, sizeof path, "/api/documents/%s", ids[i]);
    j = get(alice, path, &st);
    cr_expect_str_eq(s_of(j, "status"), "failed");
    cr_expect(strstr(s_of(j, "error"), "cancelled") != NULL, "%s", s_of(j, "error"));
    json_decref(j);
  }
}

Test(library, cli_lists_with_filters_and_deletes_or_reprocesses_all_matching) {
  start(200);
  char dburl[900];
  if (ts_backend_is_pg())
    cr_assert_eq(ts_database_env(env.dir, dburl, sizeof dburl), 0);
  else
    snprintf(dburl, sizeof dburl, "DATABASE_URL=sqlite:///%s/m.db", env.dir);
  const char *const cli_env[] = {dburl, NULL};
  char *out = NULL;
  int rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "list", "--author", "hopper", "--year-from", "1960",
                      "--year-to", "1969", "--sort", "year", "--user", "alice", NULL);
  cr_assert_eq(rc, 0, "%s", out);
  int lines = 0;
  for (char *p = out; (p = strchr(p, '\n')); p++) lines++;
  int expect = 0;
  for (int i = 0; i < NDOCS; i++) expect += strstr(author_of(i), "Hopper") && year_of(i) >= 1960 && year_of(i) <= 1969;
  cr_expect_eq(lines, expect, "%s", out);
  cr_expect(strstr(out, "(1967)") != NULL && strstr(out, "(1957)") == NULL, "%s", out);
  cr_expect(strstr(out, "(1967)") < strstr(out, "(1962)"), "latest year first: %s", out);
  free(out);

  rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "list", "--year-from", "later", "--user", "alice", NULL);
  cr_expect_eq(rc, 2, "a bad filter is a usage error");
  free(out);
  rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "delete", "--all", "--user", "alice", NULL);
  cr_expect_eq(rc, 2, "--all without a filter needs --yes");
  free(out);
  cr_expect_eq(total_of(alice, ""), NDOCS);

  /* one of bob's ids among alice's: nothing deleted */
  long st;
  json_t *bl = get(bob, "/api/documents?limit=1", &st);
  const char *bob_doc = s_of(json_array_get(json_object_get(bl, "documents"), 0), "id");
  json_t *al = list_ok("/api/documents?limit=1");
  const char *alice_doc = s_of(json_array_get(json_object_get(al, "documents"), 0), "id");
  rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "delete", alice_doc, bob_doc, "--user", "alice", NULL);
  cr_expect_eq(rc, 1, "%s", out);
  free(out);
  cr_expect_eq(total_of(alice, ""), NDOCS);
  cr_expect_eq(total_of(bob, ""), 200);
  json_decref(bl);
  json_decref(al);

  int64_t shannon = total_of(alice, "author=shannon");
  rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "delete", "--all", "--author", "Shannon", "--user", "alice",
                  NULL);
  cr_expect_eq(rc, 0, "%s", out);
  char want[64];
  snprintf(want, sizeof want, "delete: %lld of %lld documents", (long long)shannon, (long long)shannon);
  cr_expect(strstr(out, want) != NULL, "%s", out);
  free(out);
  cr_expect_eq(total_of(alice, "author=shannon"), 0);
  cr_expect_eq(total_of(alice, ""), NDOCS - shannon);
  cr_expect_eq(total_of(bob, "author=shannon"), 40, "bob's documents are untouched");

  rc = ts_run_cli(env.dir, cli_env, NULL, &out, "documents", "reprocess", "--all", "--status", "failed", "--user",
                  "alice", NULL);
  cr_expect_eq(rc, 0, "%s", out);
  cr_expect(strstr(out, "reprocess: ") != NULL, "%s", out);
  free(out);
}
