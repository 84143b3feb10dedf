/* fuzz_ndjson.c - the NDJSON parser and the Ollama stream records: the same
 * checks as fuzz_sse.c (one piece vs small pieces give the same answer). */
#define FZ_NDJSON 1
#include "fuzz_sse.c"
