/*
 * fuzz_llm_json.c - JSON from a model's answer: llm_extract_json (code
 * fences, <think>, prose, trailing commas), the schema check the agents run
 * on it (the planner's outline schema), and the other answer helpers.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_support.h"
#include "llm/llm.h"

static json_t *schema;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  json_error_t je;
  schema = json_loads(
      "{\"type\":\"object\",\"required\":[\"analysis\",\"sections\"],\"properties\":{"
      "\"analysis\":{\"type\":\"object\",\"properties\":{\"language\":{\"type\":\"string\"}}},"
      "\"sections\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"title\",\"questions\"],"
      "\"properties\":{\"title\":{\"type\":\"string\"},\"priority\":{\"type\":\"integer\"},"
      "\"kind\":{\"enum\":[\"a\",\"b\"]},"
      "\"questions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}}}",
      0, &je);
  if (!schema) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  char *s = fz_strndup(data, len);
  json_t *j = llm_extract_json(s);
  if (j) {
    char err[256];
    llm_validate_json(j, schema, err, sizeof err);
    char *back = json_dumps(j, JSON_ENCODE_ANY);
    FZ_ASSERT(back != NULL);
    free(back);
    json_decref(j);
  }
  free(llm_strip_think(s));
  free(llm_mask_pii(s));
  FZ_ASSERT(llm_estimate_tokens(s) >= 0);
  free(s);
  return 0;
}
