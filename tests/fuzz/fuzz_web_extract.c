/*
 * fuzz_web_extract.c - a fetched page: charset conversion (web_to_utf8, the
 * charset named by the first byte) and main-text extraction from HTML
 * (web_extract_html). The results are UTF-8.
 */
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "fuzz_support.h"
#include "web/web_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  static const char *charsets[] = {NULL,        "",       "utf-8",  "windows-1252", "iso-8859-1",
                                   "shift_jis", "euc-kr", "utf-16", "gb2312",       "no-such-charset"};
  if (len < 1) return 0;
  const char *cs = charsets[data[0] % (sizeof charsets / sizeof *charsets)];
  int is_html = data[0] & 0x80 ? 0 : 1;
  size_t outlen = 0;
  char *u = web_to_utf8((const char *)data + 1, len - 1, cs, is_html, &outlen);
  if (!u) return 0;
  web_extracted_t x;
  memset(&x, 0, sizeof x);
  if (web_extract_html(u, outlen, &x) == 0) {
    FZ_ASSERT(x.title && x.text);
    FZ_ASSERT(util_utf8_valid(x.text, strlen(x.text)));
    FZ_ASSERT(util_utf8_valid(x.title, strlen(x.title)));
  }
  web_extracted_free(&x);
  free(u);
  return 0;
}
