/*
 * parse_format.c - one document parser (FZ_PARSER, e.g. rag_parse_pdf) on
 * an uploaded file's bytes, then the chunker. CMakeLists.txt builds it once
 * per format as fuzz_parse_<format>.
 */
#include <stdint.h>

#include "fuzz_support.h"
#include "rag/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  rag_parse_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  rag_doc_t doc;
  rag_doc_init(&doc);
  char err[256];
  if (FZ_PARSER((const char *)data, len, &doc, err, sizeof err) == 0) fz_check_doc(&doc);
  rag_doc_free(&doc);
  return 0;
}
