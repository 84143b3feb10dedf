/*
 * stream.c - SSE and NDJSON parsing, byte at a time in effect.
 *
 * Lines are found first (LF, CRLF or lone CR, the CR/LF pair possibly split
 * across feeds), then interpreted: this keeps the framing logic in one place
 * for both formats.
 */
#include "llm/stream.h"

#include <string.h>

static void parser_init(stream_parser_t *p, stream_record_fn fn, void *ud, int ndjson) {
  memset(p, 0, sizeof *p);
  buf_init(&p->line);
  buf_init(&p->data);
  p->fn = fn;
  p->ud = ud;
  p->ndjson = ndjson;
}

void sse_init(stream_parser_t *p, stream_record_fn fn, void *ud) {
  parser_init(p, fn, ud, 0);
}
void ndjson_init(stream_parser_t *p, stream_record_fn fn, void *ud) {
  parser_init(p, fn, ud, 1);
}

void stream_free(stream_parser_t *p) {
  if (!p) return;
  buf_free(&p->line);
  buf_free(&p->data);
}

static int dispatch_sse(stream_parser_t *p) {
  if (!p->has_data) return 0;
  p->has_data = 0;
  int r = p->fn(p->ud, p->data.data, p->data.len);
  buf_reset(&p->data);
  return r;
}

static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t') return 0;
  return 1;
}

/* One complete line (without its terminator). */
static int handle_line(stream_parser_t *p, const char *s, size_t n) {
  if (p->ndjson) {
    if (is_blank(s, n)) return 0;
    return p->fn(p->ud, s, n);
  }
  if (n == 0) return dispatch_sse(p);
  if (s[0] == ':') return 0; /* comment / keep-alive */
  const char *colon = memchr(s, ':', n);
  size_t flen = colon ? (size_t)(colon - s) : n;
  const char *v = colon ? colon + 1 : s + n;
  size_t vlen = colon ? n - flen - 1 : 0;
  if (vlen > 0 && v[0] == ' ') v++, vlen--;
  if (flen == 4 && memcmp(s, "data", 4) == 0) {
    if (p->max_line && p->data.len + vlen + 1 > p->max_line) return STREAM_LINE_TOO_LONG;
    if (p->has_data) buf_putc(&p->data, '\n');
    buf_append(&p->data, v, vlen);
    p->has_data = 1;
    return 0;
  }
  /* A server that sends bare JSON lines where SSE was expected (some proxies
   * do): treat a line that starts a JSON object as a data line of its own. */
  if (s[0] == '{') {
    int r = dispatch_sse(p);
    if (r) return r;
    return p->fn(p->ud, s, n);
  }
  return 0; /* event:, id:, retry:, unknown fields */
}

/* 1 when a line of `more` further bytes after what is buffered is too long. */
static int too_long(const stream_parser_t *p, size_t more) {
  return p->max_line && p->line.len + more > p->max_line;
}

int stream_feed(stream_parser_t *p, const char *bytes, size_t len) {
  if (p->stopped) return p->stopped;
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    char c = bytes[i];
    if (c != '\n' && c != '\r') {
      p->skip_lf = 0;
      continue;
    }
    if (c == '\n' && p->skip_lf) { /* LF of a CRLF split across feeds, or right after */
      p->skip_lf = 0;
      start = i + 1;
      continue;
    }
    p->skip_lf = (c == '\r');
    int r;
    if (too_long(p, i - start)) {
      r = STREAM_LINE_TOO_LONG;
    } else if (p->line.len) {
      buf_append(&p->line, bytes + start, i - start);
      r = handle_line(p, p->line.data, p->line.len);
      buf_reset(&p->line);
    } else {
      r = handle_line(p, bytes + start, i - start);
    }
    start = i + 1;
    if (r) {
      p->stopped = r;
      return r;
    }
  }
  if (start < len) {
    if (too_long(p, len - start)) {
      buf_free(&p->line); /* give the memory back now, not when the stream ends */
      buf_init(&p->line);
      p->stopped = STREAM_LINE_TOO_LONG;
      return p->stopped;
    }
    buf_append(&p->line, bytes + start, len - start);
  }
  return 0;
}

int stream_finish(stream_parser_t *p) {
  if (p->stopped) return p->stopped;
  int r = 0;
  if (p->line.len) {
    r = handle_line(p, p->line.data, p->line.len);
    buf_reset(&p->line);
  }
  if (!r && !p->ndjson) r = dispatch_sse(p);
  if (r) p->stopped = r;
  return r;
}
