/*
 * fuzz_chunk.c - the chunker on documents of any shape: the input's lines
 * become paragraphs ("#" lines headings, form feeds new pages); the first two
 * bytes pick the chunk size and overlap. fz_check_doc checks the chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "rag/chunk.h"
#include "rag/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  if (len < 2) return 0;
  int size = RAG_CHUNK_SIZE_MIN + data[0] * 8;
  int overlap = size / 2 * data[1] / 255;
  const char *s = (const char *)data + 2;
  size_t n = len - 2;
  rag_doc_t doc;
  rag_doc_init(&doc);
  int page = 1;
  rag_doc_set_page(&doc, page);
  size_t i = 0;
  while (i < n) {
    const char *nl = memchr(s + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - s) : n;
    const char *line = s + i;
    size_t ll = end - i;
    if (ll && line[0] == '\f') {
      rag_doc_set_page(&doc, ++page);
      line++, ll--;
    }
    int level = 0;
    while (level < (int)ll && level < 6 && line[level] == '#') level++;
    if (level)
      rag_doc_heading(&doc, level, line + level, ll - (size_t)level);
    else
      rag_doc_para(&doc, line, ll);
    i = end + 1;
  }
  fz_check_doc(&doc);
  rag_chunk_t *ch = NULL;
  size_t nch = 0;
  FZ_ASSERT(rag_chunk_doc(&doc, size, overlap, &ch, &nch) == 0);
  for (size_t k = 0; k < nch; k++) FZ_ASSERT(ch[k].byte_end <= doc.text.len);
  if (doc.text.len && rag_doc_chars(&doc)) FZ_ASSERT(nch > 0);
  free(ch);
  rag_doc_free(&doc);
  return 0;
}
