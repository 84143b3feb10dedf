/* buf.c - growable byte buffer; see buf.h for the invariants. */
#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void *xrealloc(void *p, size_t n) {
  void *r = realloc(p, n);
  if (!r) {
    fputs("maestro: out of memory\n", stderr);
    abort();
  }
  return r;
}

void buf_init(buf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  buf_grow(b, 0);
}

void buf_free(buf_t *b) {
  if (!b) return;
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void buf_reset(buf_t *b) {
  if (!b->data) buf_init(b);
  b->len = 0;
  b->data[0] = '\0';
}

void buf_grow(buf_t *b, size_t extra) {
  if (b->len + extra + 1 < b->len) abort(); /* overflow */
  size_t need = b->len + extra + 1;
  if (b->data && need <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) {
    if (cap > ((size_t)-1) / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  int was_null = b->data == NULL;
  b->data = xrealloc(b->data, cap);
  if (was_null) b->data[0] = '\0';
  b->cap = cap;
}

void buf_append(buf_t *b, const void *data, size_t len) {
  if (!b->data) buf_init(b);
  if (len == 0) return;
  buf_grow(b, len);
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void buf_puts(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(buf_t *b, char c) { buf_append(b, &c, 1); }

void buf_vprintf(buf_t *b, const char *fmt, va_list ap) {
  if (!b->data) buf_init(b);
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
  va_end(cp);
  if (n < 0) return;
  if ((size_t)n >= b->cap - b->len) {
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
  }
  b->len += (size_t)n;
}

void buf_printf(buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void buf_truncate(buf_t *b, size_t len) {
  if (!b->data || len >= b->len) return;
  b->len = len;
  b->data[len] = '\0';
}

char *buf_detach(buf_t *b, size_t *len) {
  if (!b->data) buf_init(b);
  char *r = b->data;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return r;
}
