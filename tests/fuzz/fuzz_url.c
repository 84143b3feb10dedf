/*
 * fuzz_url.c - URLs from search results and settings: normalisation for
 * de-duplication (web_url_normalise), the allow-list syntax
 * (web_allow_parse), tag stripping of snippets and query escaping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "web/web_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  char *s = fz_strndup(data, len);
  char *n = web_url_normalise(s);
  if (n) {
    char *again = web_url_normalise(n);
    free(again);
    free(n);
  }
  web_allow_t a;
  memset(&a, 0, sizeof a);
  char err[256];
  web_allow_parse(&a, s, err, sizeof err);
  web_allow_free(&a);
  free(web_strip_tags(s));
  char *e = web_url_escape(s);
  FZ_ASSERT(e != NULL && strpbrk(e, " &?#") == NULL);
  free(e);
  free(s);
  return 0;
}
