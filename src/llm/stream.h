/*
 * stream.h - incremental parsers for streamed model answers.
 *
 * Network reads cut the stream anywhere: in the middle of a line, between a
 * CR and its LF, inside a UTF-8 sequence. Both parsers keep the unfinished
 * line and emit complete records only:
 *   - SSE (OpenAI-compatible): lines "data:<payload>" (space optional),
 *     comments (":" keep-alives), "event:"/"id:"/"retry:" fields ignored,
 *     a blank line dispatches the event (several data lines joined by "\n"),
 *     LF, CRLF or CR line ends. "[DONE]" is passed on like any payload.
 *   - NDJSON (Ollama): one JSON document per line; blank lines skipped.
 * sse_finish()/ndjson_finish() flush a last record that had no terminator.
 *
 * A callback returning non-zero stops the parser: later feeds return that
 * value without calling back. Not thread-safe (one parser per stream).
 *
 * Memory is bounded by max_line (0: no limit): a line, or the data of one
 * SSE event, longer than that stops the parser with STREAM_LINE_TOO_LONG
 * before it is buffered, so a server sending one endless line costs at most
 * max_line bytes.
 */
#ifndef MAESTRO_LLM_STREAM_H
#define MAESTRO_LLM_STREAM_H

#include <stddef.h>

#include "base/buf.h"

/* stream_feed()/stream_finish() result when a line exceeds max_line
 * (callbacks return positive values, so this never collides). */
#define STREAM_LINE_TOO_LONG (-100)

typedef int (*stream_record_fn)(void *ud, const char *data, size_t len);

typedef struct {
  buf_t line;      /* unfinished line */
  buf_t data;      /* data of the current SSE event */
  int has_data;    /* current event has at least one data line */
  int skip_lf;     /* last byte was CR: a following LF belongs to it */
  int stopped;     /* callback's non-zero result */
  int ndjson;      /* 1: NDJSON mode */
  size_t max_line; /* longest line / SSE event in bytes; 0: unlimited */
  stream_record_fn fn;
  void *ud;
} stream_parser_t;

void sse_init(stream_parser_t *p, stream_record_fn fn, void *ud);
void ndjson_init(stream_parser_t *p, stream_record_fn fn, void *ud);
/* Feeds bytes; returns 0 or the callback's non-zero result. */
int stream_feed(stream_parser_t *p, const char *bytes, size_t len);
/* End of stream: dispatches what is pending. Returns like stream_feed. */
int stream_finish(stream_parser_t *p);
void stream_free(stream_parser_t *p);

#endif
