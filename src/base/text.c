/*
 * text.c - see text.h.
 *
 * The CJK ranges are the full-text index's (tokenizing a document and a
 * query must agree, and the index was built with them): changing them means
 * re-indexing every document.
 */
#include "base/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

unsigned text_utf8_next(const char *str, size_t n, size_t *i) {
  const unsigned char *s = (const unsigned char *)str;
  unsigned c = s[*i];
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || *i + len > n) {
    (*i)++;
    return 0xFFFD;
  }
  unsigned cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len; k++) {
    unsigned cc = s[*i + k];
    if ((cc & 0xC0) != 0x80) {
      (*i)++;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    (*i)++;
    return 0xFFFD;
  }
  *i += len;
  return cp;
}

size_t text_utf8_encode(unsigned long cp, char out[4]) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

void text_utf8_put(buf_t *b, unsigned long cp) {
  char u[4];
  buf_append(b, u, text_utf8_encode(cp, u));
}

int text_is_cjk(unsigned cp) {
  return (cp >= 0x1100 && cp <= 0x11FF) || /* Hangul Jamo */
         (cp >= 0x3040 && cp <= 0x30FF) || /* Hiragana, Katakana */
         (cp >= 0x3130 && cp <= 0x318F) || /* Hangul compatibility Jamo */
         (cp >= 0x31F0 && cp <= 0x31FF) || /* Katakana phonetic extensions */
         (cp >= 0x3400 && cp <= 0x4DBF) || /* Han extension A */
         (cp >= 0x4E00 && cp <= 0x9FFF) || /* Han */
         (cp >= 0xA960 && cp <= 0xA97F) || /* Hangul Jamo extended A */
         (cp >= 0xAC00 && cp <= 0xD7AF) || /* Hangul syllables */
         (cp >= 0xD7B0 && cp <= 0xD7FF) || /* Hangul Jamo extended B */
         (cp >= 0xF900 && cp <= 0xFAFF) || /* Han compatibility */
         (cp >= 0xFF66 && cp <= 0xFF9F) || /* half-width Katakana */
         (cp >= 0x20000 && cp <= 0x2FA1F); /* Han extensions B.. */
}

size_t text_sentence_end(const char *s, size_t n, size_t from, int flags) {
  for (size_t i = from; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c == '.' || c == '!' || c == '?') && (i + 1 == n || isspace((unsigned char)s[i + 1]))) return i + 1;
    if (c == '\n' && ((flags & TEXT_SENTENCE_LINES) || (i + 1 < n && s[i + 1] == '\n'))) return i + 1;
    if (i + 3 <= n && (!memcmp(s + i, "\xE3\x80\x82", 3) || !memcmp(s + i, "\xEF\xBC\x81", 3) ||
                       !memcmp(s + i, "\xEF\xBC\x9F", 3)))
      return i + 3;
  }
  return n;
}

size_t text_entity_decode(const char *s, size_t n, int nbsp_space, char out[8]) {
  static const struct {
    const char *name, *utf8;
  } named[] = {{"&amp;", "&"},
               {"&lt;", "<"},
               {"&gt;", ">"},
               {"&quot;", "\""},
               {"&apos;", "'"},
               {"&nbsp;", "\xC2\xA0"},
               {"&copy;", "\xC2\xA9"},
               {"&mdash;", "\xE2\x80\x94"},
               {"&ndash;", "\xE2\x80\x93"},
               {"&hellip;", "\xE2\x80\xA6"}};
  out[0] = 0;
  if (n < 3 || s[0] != '&') return 0;
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
    size_t l = strlen(named[i].name);
    if (l <= n && !memcmp(named[i].name, s, l)) {
      const char *u = nbsp_space && !strcmp(named[i].name, "&nbsp;") ? " " : named[i].utf8;
      memcpy(out, u, strlen(u) + 1);
      return l;
    }
  }
  if (s[1] != '#') return 0;
  int hex = s[2] == 'x' || s[2] == 'X';
  size_t k = hex ? 3 : 2, start = k;
  unsigned long cp = 0;
  for (; k < n && k - start < 8 && isxdigit((unsigned char)s[k]); k++) {
    int d = isdigit((unsigned char)s[k]) ? s[k] - '0' : (tolower((unsigned char)s[k]) - 'a' + 10);
    if (!hex && d > 9) return 0;
    cp = cp * (hex ? 16 : 10) + (unsigned long)d;
  }
  if (k == start || k >= n || s[k] != ';') return 0;
  if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') cp = 0xFFFD;
  size_t l = text_utf8_encode(cp, out);
  out[l] = 0;
  return k + 1;
}
