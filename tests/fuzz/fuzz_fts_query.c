/*
 * fuzz_fts_query.c - the full-text query builder on any search text:
 * rag_fts_query/rag_fts_words build an FTS5 expression that is never a
 * syntax error, and a search through it (rag_lexical, rag_search) returns
 * only the searching user's rows. Two users share every word: B's
 * documents must never show up in A's results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "fuzz_support.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/fts.h"

static app_t *app;
static char user_a[17], user_b[17], doc_a[17];

static void add_doc(const char *user, const char *name, const char *const *paras, char *id_out) {
  store_doc_t d = {0};
  snprintf(d.user_id, sizeof d.user_id, "%s", user);
  d.filename = (char *)name;
  d.stored_path = (char *)name;
  d.content_hash = (char *)name;
  if (store_doc_insert(app->store, &d, NULL) != STORE_OK || store_doc_begin_processing(app->store, d.id) != STORE_OK)
    abort();
  rag_doc_t doc;
  rag_doc_init(&doc);
  for (const char *const *p = paras; *p; p++) rag_doc_para(&doc, *p, strlen(*p));
  char err[256];
  int n = rag_index_parsed(app->rag, d.id, user, name, &doc, 100, 20, err, sizeof err);
  if (n <= 0 || store_doc_mark_ready(app->store, d.id, doc.text.data, 0, n, (int64_t)rag_doc_chars(&doc), NULL, NULL,
                                     NULL, NULL) != STORE_OK)
    abort();
  if (id_out) snprintf(id_out, 17, "%s", d.id);
  rag_doc_free(&doc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  app = fz_app(NULL);
  char err[256];
  if (accounts_create(app->store, app->auth, "alice", "password-123", "researcher", user_a, err, sizeof err) != 0 ||
      accounts_create(app->store, app->auth, "bob", "password-123", "researcher", user_b, err, sizeof err) != 0)
    abort();
  static const char *const a[] = {"The quick brown fox jumps over the lazy dog near the river bank.",
                                  "데비안은 자유 운영체제입니다. 検索エンジン 全文检索", NULL};
  static const char *const b[] = {"Bob's secret: the quick brown fox and the lazy dog share a river bank.",
                                  "데비안은 자유 운영체제입니다. 検索エンジン 全文检索 secret",
                                  "AND OR NOT NEAR * ^ : ( ) \"", NULL};
  add_doc(user_a, "a.txt", a, doc_a);
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "b%d.txt", i);
    add_doc(user_b, name, b, NULL);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  char *s = fz_strndup(data, len);
  free(rag_fts_query(s, 16));
  size_t nw = 0;
  rag_fts_words_free(rag_fts_words(s, 16, &nw));
  store_hit_t *hits = NULL;
  size_t n = 0;
  FZ_ASSERT(rag_lexical(app->rag, user_a, NULL, s, 10, &hits, &n) == 0);
  for (size_t i = 0; i < n; i++) FZ_ASSERT(strcmp(hits[i].document_id, doc_a) == 0);
  free(hits);
  rag_query_t q;
  rag_query_init(&q);
  q.user_id = user_a;
  q.query = s;
  q.k = 10;
  q.mode = RAG_MODE_LEXICAL;
  rag_results_t r;
  char err[256];
  if (rag_search(app->rag, &q, &r, err, sizeof err) == 0) {
    for (size_t i = 0; i < r.n; i++) FZ_ASSERT(strcmp(r.hits[i].document_id, doc_a) == 0);
    rag_results_free(&r);
  }
  free(s);
  return 0;
}
