/* fuzz_parse_detect.c - rag_parse: type detection by content, then the
 * detected parser and the chunker (what an upload of unknown type goes through). */
#include <stdint.h>

#include "base/util.h"
#include "fuzz_support.h"
#include "rag/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  rag_parse_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  static const char *names[] = {"upload.md", "upload.txt", "upload.html", NULL};
  rag_doc_t doc;
  rag_doc_init(&doc);
  char err[256];
  rag_type_t type;
  const char *name = names[len % 4];
  if (rag_parse((const char *)data, len, name, &type, &doc, err, sizeof err) == 0) fz_check_doc(&doc);
  rag_doc_free(&doc);
  size_t out = 0;
  char *u = rag_text_to_utf8((const char *)data, len, &out, err, sizeof err);
  if (u) FZ_ASSERT(util_utf8_valid(u, out));
  free(u);
  return 0;
}
