/*
 * text.c - see text.h.
 *
 * The CJK ranges are the full-text index's (tokenizing a document and a
 * query must agree, and the index was built with them): changing them means
 * re-indexing every document.
 */
#include "base/text.h"
#include "base/util.h"
#include "base/stopwords.h"
#include "base/buf.h"

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

int text_ends_sentence(const char *s) {
  size_t n = s ? strlen(s) : 0;
  for (;;) {
    while (n && (isspace((unsigned char)s[n - 1]) || strchr("\")'", s[n - 1]))) n--;
    if (n >= 3 && (!memcmp(s + n - 3, "\xE2\x80\x9D", 3) || !memcmp(s + n - 3, "\xE2\x80\x99", 3))) {
      n -= 3; /* a closing curly quote */
      continue;
    }
    if (n && s[n - 1] == ']') { /* a citation marker */
      const char *open = memrchr(s, '[', n);
      if (open && s + n - open <= 40) {
        n = (size_t)(open - s);
        continue;
      }
    }
    break;
  }
  if (!n) return 0;
  if (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?') return 1;
  return n >= 3 && (!memcmp(s + n - 3, "\xE3\x80\x82", 3) || !memcmp(s + n - 3, "\xEF\xBC\x81", 3) ||
                    !memcmp(s + n - 3, "\xEF\xBC\x9F", 3));
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

/* ---- Content tokens and overlap ---- */

static int is_word_cp(unsigned cp) {
  return (cp < 0x80 && isalnum((int)cp)) || (cp >= 0xC0 && cp < 0x2000);
}

static void add_token(json_t *arr, const char *t) {
  if (stopword_is(NULL, t, strlen(t))) return;
  json_array_append_new(arr, json_string(t));
}

json_t *text_tokens(const char *text) {
  json_t *arr = json_array();
  const char *s = text ? text : "";
  size_t n = strlen(s), i = 0;
  buf_t w = BUF_INIT;
  buf_init(&w);
  unsigned prev_cjk = 0;
  while (1) {
    size_t start = i;
    unsigned cp = i < n ? text_utf8_next(s, n, &i) : 0;
    if (cp && text_is_cjk(cp)) {
      if (w.len) {
        if (w.len >= 3 || isdigit((unsigned char)w.data[0])) add_token(arr, w.data);
        buf_reset(&w);
      }
      if (prev_cjk) {
        buf_t bg = BUF_INIT;
        buf_init(&bg);
        text_utf8_put(&bg, prev_cjk);
        text_utf8_put(&bg, cp);
        json_array_append_new(arr, json_string(bg.data));
        buf_free(&bg);
      }
      prev_cjk = cp;
      continue;
    }
    prev_cjk = 0;
    if (cp && is_word_cp(cp)) {
      if (cp < 0x80)
        buf_putc(&w, (char)tolower((int)cp));
      else
        buf_append(&w, s + start, i - start);
      continue;
    }
    if (w.len) {
      if (w.len >= 3 || (w.len >= 2 && isdigit((unsigned char)w.data[0]))) add_token(arr, w.data);
      buf_reset(&w);
    }
    if (!cp) break;
  }
  buf_free(&w);
  return arr;
}

double text_support(const char *sentence, const char *evidence) {
  json_t *st = text_tokens(sentence), *et = text_tokens(evidence);
  json_t *set = json_object();
  size_t i;
  json_t *t;
  json_array_foreach(et, i, t) json_object_set_new(set, json_string_value(t), json_true());
  size_t n = json_array_size(st), hit = 0;
  json_array_foreach(st, i, t) if (json_object_get(set, json_string_value(t))) hit++;
  json_decref(st);
  json_decref(et);
  json_decref(set);
  return n ? (double)hit / (double)n : 1.0;
}

char *text_best_window(const char *text, const char *query, size_t max_chars) {
  json_t *paras = json_array();
  const char *p = text;
  while (*p) {
    const char *e = strstr(p, "\n\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > 40) json_array_append_new(paras, json_stringn(p, len));
    p += len;
    while (*p == '\n') p++;
  }
  size_t best = 0;
  double bs = -1;
  size_t i;
  json_t *v;
  json_array_foreach(paras, i, v) {
    double s = text_support(query, json_string_value(v));
    if (s > bs) bs = s, best = i;
  }
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (i = best; i < json_array_size(paras) && b.len < max_chars; i++) {
    if (b.len) buf_puts(&b, "\n\n");
    buf_puts(&b, json_string_value(json_array_get(paras, i)));
  }
  json_decref(paras);
  if (b.len > max_chars * 2) buf_truncate(&b, util_utf8_floor(b.data, max_chars * 2));
  return buf_detach(&b, NULL);
}
