/*
 * Chunking: sizes and overlap in characters, boundaries (paragraph, then
 * sentence, then word), UTF-8 never split, offsets that point back into the
 * text, pages and heading paths, CJK text without spaces; and the FTS query
 * builder's safety and stop words.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "rag/chunk.h"
#include "store/fts.h"

static int64_t cps(const char *s, size_t n) {
  int64_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) k++;
  return k;
}

/* Byte offset of code point index ci in s. */
static size_t byte_of(const char *s, int64_t ci) {
  size_t i = 0;
  int64_t k = 0;
  while (s[i]) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (k == ci) return i;
      k++;
    }
    i++;
  }
  return i;
}

static void check_invariants(const rag_doc_t *doc, rag_chunk_t *c, size_t n, int size) {
  for (size_t i = 0; i < n; i++) {
    const char *b = doc->text.data + c[i].byte_start;
    size_t len = c[i].byte_end - c[i].byte_start;
    cr_assert(util_utf8_valid(b, len), "chunk %zu is valid UTF-8", i);
    cr_assert(cps(b, len) <= size, "chunk %zu has %lld chars > %d", i, (long long)cps(b, len), size);
    cr_assert_eq(c[i].char_end - c[i].char_start, cps(b, len), "char offsets match the length");
    cr_assert_eq(byte_of(doc->text.data, c[i].char_start), c[i].byte_start, "char_start maps to byte_start");
    if (i > 0) cr_assert(c[i].byte_start > c[i - 1].byte_start, "progress");
  }
}

/* Cuts doc, expecting more than `min` chunks that keep the invariants. */
static rag_chunk_t *cut(const rag_doc_t *doc, int size, int overlap, size_t min, size_t *n) {
  rag_chunk_t *c = NULL;
  cr_assert_eq(rag_chunk_doc(doc, size, overlap, &c, n), 0);
  cr_assert(*n > min, "n=%zu", *n);
  check_invariants(doc, c, *n, size);
  return c;
}

Test(rag_chunk, english_paragraphs_sentences_and_overlap) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  buf_t p = BUF_INIT;
  buf_init(&p);
  for (int para = 0; para < 30; para++) {
    buf_reset(&p);
    for (int s = 0; s < 4; s++) buf_printf(&p, "Sentence %d of paragraph %d talks about wings and flow. ", s, para);
    rag_doc_set_page(&doc, 1 + para / 10);
    if (para % 10 == 0) {
      char h[32];
      snprintf(h, sizeof h, "Part %d", para / 10 + 1);
      rag_doc_heading(&doc, 1, h, strlen(h));
    }
    rag_doc_para(&doc, p.data, p.len);
  }
  buf_free(&p);
  size_t n = 0;
  rag_chunk_t *c = cut(&doc, 1000, 200, 5, &n);
  for (size_t i = 0; i + 1 < n; i++) {
    const char *b = doc.text.data + c[i].byte_start;
    size_t len = c[i].byte_end - c[i].byte_start;
    /* ends at a sentence end (paragraph ends are sentence ends here) */
    cr_expect(b[len - 1] == '.', "chunk %zu ends at a sentence: ...%.20s", i, b + len - 20);
    /* next starts at a sentence start (the overlap always holds one here)
     * and overlaps the previous */
    const char *nb = doc.text.data + c[i + 1].byte_start;
    cr_expect(nb[-1] == ' ' || nb[-1] == '\n', "chunk %zu starts at a word", i + 1);
    cr_expect(!strncmp(nb, "Sentence ", 9) || !strncmp(nb, "Part ", 5), "chunk %zu starts mid-sentence: %.30s", i + 1,
              nb);
    if (c[i + 1].page == c[i].page) {
      cr_expect(c[i + 1].char_start < c[i].char_end, "overlap");
      cr_expect(c[i].char_end - c[i + 1].char_start <= 400, "overlap near 200");
    } else {
      cr_expect(c[i + 1].char_start >= c[i].char_end, "a new page starts a new chunk without overlap");
    }
  }
  cr_expect_eq(c[0].page, 1);
  cr_expect_str_eq(c[0].heading, "Part 1");
  cr_expect_eq(c[n - 1].page, 3);
  cr_expect_str_eq(c[n - 1].heading, "Part 3");
  free(c);
  rag_doc_free(&doc);
}

Test(rag_chunk, an_overlap_inside_one_long_sentence_starts_at_a_word) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  buf_t p = BUF_INIT;
  buf_init(&p);
  for (int w = 0; w < 400; w++) buf_printf(&p, "%sword%d", w ? " " : "", w);
  buf_puts(&p, ".");
  rag_doc_para(&doc, p.data, p.len);
  buf_free(&p);
  size_t n = 0;
  rag_chunk_t *c = cut(&doc, 500, 100, 2, &n);
  for (size_t i = 0; i + 1 < n; i++) {
    const char *nb = doc.text.data + c[i + 1].byte_start;
    cr_expect(!strncmp(nb, "word", 4), "chunk %zu starts inside a word: %.12s", i + 1, nb);
    cr_expect(c[i + 1].char_start < c[i].char_end, "chunk %zu overlaps the previous one", i + 1);
  }
  free(c);
  rag_doc_free(&doc);
}

Test(rag_chunk, cjk_without_spaces_never_splits_utf8) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  buf_t p = BUF_INIT;
  buf_init(&p);
  for (int i = 0; i < 200; i++) buf_puts(&p, "데비안은자유운영체제입니다");
  buf_puts(&p, "。");
  for (int i = 0; i < 150; i++) buf_puts(&p, "中文文本没有空格");
  rag_doc_para(&doc, p.data, p.len);
  buf_free(&p);
  rag_chunk_t *c = NULL;
  size_t n = 0;
  cr_assert_eq(rag_chunk_doc(&doc, 500, 100, &c, &n), 0);
  cr_assert(n >= 8, "n=%zu", n);
  check_invariants(&doc, c, n, 500);
  for (size_t i = 0; i + 1 < n; i++) cr_expect(c[i].char_end - c[i].char_start >= 250, "cut in the second half");
  free(c);
  rag_doc_free(&doc);
}

Test(rag_chunk, one_long_word_and_tiny_docs) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  char big[3001];
  memset(big, 'x', 3000);
  big[3000] = '\0';
  rag_doc_para(&doc, big, 3000);
  rag_chunk_t *c = NULL;
  size_t n = 0;
  cr_assert_eq(rag_chunk_doc(&doc, 1000, 200, &c, &n), 0);
  check_invariants(&doc, c, n, 1000);
  cr_expect_eq(c[n - 1].byte_end, 3000, "covers the end");
  free(c);
  rag_doc_free(&doc);
  rag_doc_init(&doc);
  rag_doc_para(&doc, "Short.", 6);
  cr_assert_eq(rag_chunk_doc(&doc, 1000, 200, &c, &n), 0);
  cr_expect_eq(n, 1);
  cr_expect_eq(c[0].char_start, 0);
  cr_expect_eq(c[0].char_end, 6);
  free(c);
  rag_doc_free(&doc);
  char err[128];
  cr_expect_eq(rag_chunk_check(50, 10, err, sizeof err), -1);
  cr_expect_eq(rag_chunk_check(1000, 600, err, sizeof err), -1);
  cr_expect_eq(rag_chunk_check(1000, 200, err, sizeof err), 0);
}

Test(rag_fts, query_builder_is_safe_and_drops_stop_words) {
  char *q = rag_fts_query("What is the effect of \"wing\" AND sweep* on NEAR(lift)?", 64);
  cr_assert_not_null(q);
  /* AND is the stop word "and"; NEAR, quotes, * and parentheses are plain text */
  cr_expect_str_eq(q, "\"effect\" OR \"wing\" OR \"sweep\" OR \"NEAR\" OR \"lift\"");
  free(q);
  q = rag_fts_query("the of and", 64);
  cr_expect_str_eq(q, "\"the\" OR \"of\" OR \"and\"", "only stop words: keep them");
  free(q);
  cr_expect_null(rag_fts_query("(((*)))\"\"^:-+", 64));
  cr_expect_null(rag_fts_query("", 64));
  q = rag_fts_query("데비안 이름", 64);
  cr_expect_str_eq(q, "\"데비안\" OR \"이름\"");
  free(q);
  q = rag_fts_query("bad \xff\xfe utf8 ok", 64);
  cr_expect_str_eq(q, "\"bad\" OR \"utf8\" OR \"ok\"");
  free(q);
}

