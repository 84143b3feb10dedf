/*
 * buf.h - a growable byte buffer, used everywhere strings are built.
 *
 * A buffer is either zeroed (BUF_INIT: no storage yet, every function
 * accepts it) or has storage: then `b->data` is NUL-terminated at
 * b->data[b->len] (so it can be used as a C string), even when the buffer
 * holds binary data, and `cap` > `len`. Appending to a zeroed buffer
 * allocates. Read `data` only after something was appended or buf_init().
 *
 * Memory: the buffer owns `data` until buf_detach(), after which the caller
 * owns it and must free() it. buf_free() accepts a zeroed or freed buffer.
 * Not thread-safe: one buffer belongs to one thread at a time.
 * Allocation failure aborts (the process cannot continue sensibly).
 */
#ifndef MAESTRO_BUF_H
#define MAESTRO_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
  char *data;
  size_t len;
  size_t cap;
} buf_t;

#define BUF_INIT {0}

void buf_init(buf_t *b);
void buf_free(buf_t *b);
/* Empties the buffer, keeping its storage. */
void buf_reset(buf_t *b);
/* Makes room for `extra` more bytes beyond len. */
void buf_grow(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t len);
void buf_puts(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* Cuts the buffer to `len` bytes (len <= b->len). */
void buf_truncate(buf_t *b, size_t len);
/* Hands the storage to the caller (free() it; never NULL); the buffer is left zeroed. */
char *buf_detach(buf_t *b, size_t *len);

#endif
