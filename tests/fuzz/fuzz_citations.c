/*
 * fuzz_citations.c - citation markers in model-written text: local [n]
 * markers to note ids (agent_localize_citations), [#ID] markers read back
 * (agent_cited_ids, agent_strip_markers) and numbered for the report
 * (report_number_citations), plus the sentence and support helpers the
 * verifier runs on the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "fuzz_support.h"
#include "report/report.h"

static json_t *notes, *known;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  notes = json_loads(
      "[{\"id\":\"n000000000000001\",\"url\":\"https://example.org/a\",\"title\":\"A\",\"content\":\"alpha beta\"},"
      "{\"id\":\"n000000000000002\",\"document_id\":\"d000000000000001\",\"page\":3,\"title\":\"B\"},"
      "{\"id\":\"n000000000000003\",\"url\":\"https://example.org/a\",\"title\":\"A again\"}]",
      0, NULL);
  known = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) json_object_set(known, json_string_value(json_object_get(n, "id")), n);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  char *s = fz_strndup(data, len);
  char *local = agent_localize_citations(s, notes);
  FZ_ASSERT(local != NULL);
  json_t *ids = agent_cited_ids(local);
  FZ_ASSERT(json_is_array(ids));
  json_decref(ids);
  json_decref(agent_cited_ids(s));
  free(agent_strip_markers(s));
  char *plain = agent_strip_markers(local);
  json_t *numbers = json_object();
  free(report_number_citations(s, numbers));
  json_object_set(numbers, "_known", known);
  free(report_number_citations(local, numbers));
  json_decref(numbers);
  json_decref(agent_sentences(s));
  json_decref(text_tokens(s));
  text_support(plain, s);
  agent_quote_in(s, plain);
  agent_detect_language(s);
  free(agent_norm(s));
  free(plain);
  free(local);
  free(s);
  return 0;
}
