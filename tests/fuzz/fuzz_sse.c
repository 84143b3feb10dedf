/*
 * fuzz_sse.c - the SSE parser and the OpenAI stream records (stream.c,
 * providers.c) on a streamed answer. Network reads cut a stream anywhere, so
 * the answer fed in one piece and fed in pieces of 1..7 bytes must give the
 * same text, usage and end state.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_support.h"
#include "llm/llm_internal.h"

#ifndef FZ_NDJSON
#define FZ_NDJSON 0
#endif

static int on_token(void *ud, const char *text, size_t len) {
  buf_t *b = ud;
  if (text) buf_append(b, text, len);
  return 0;
}

static void run(const uint8_t *data, size_t len, int piece, chat_acc_t *acc, buf_t *tokens) {
  chat_acc_init(acc, !FZ_NDJSON, on_token, tokens);
  stream_parser_t p;
  if (FZ_NDJSON)
    ndjson_init(&p, ollama_stream_record, acc);
  else
    sse_init(&p, openai_stream_record, acc);
  size_t off = 0;
  int k = 0;
  int rc = 0;
  while (off < len && rc == 0) {
    size_t n = piece ? (size_t)(k++ % piece + 1) : len - off;
    if (n > len - off) n = len - off;
    rc = stream_feed(&p, (const char *)data + off, n);
    off += n;
  }
  if (rc == 0) stream_finish(&p);
  stream_free(&p);
  chat_acc_flush(acc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  chat_acc_t whole, cut;
  buf_t tw = BUF_INIT, tc = BUF_INIT;
  buf_init(&tw);
  buf_init(&tc);
  run(data, len, 0, &whole, &tw);
  run(data, len, 7, &cut, &tc);
  FZ_ASSERT(whole.text.len == cut.text.len);
  FZ_ASSERT(whole.text.len == 0 || memcmp(whole.text.data, cut.text.data, whole.text.len) == 0);
  FZ_ASSERT(tw.len == tc.len && (tw.len == 0 || memcmp(tw.data, tc.data, tw.len) == 0));
  FZ_ASSERT(whole.done == cut.done && whole.malformed == cut.malformed);
  FZ_ASSERT(whole.prompt_tokens == cut.prompt_tokens && whole.completion_tokens == cut.completion_tokens);
  FZ_ASSERT(strcmp(whole.finish_reason, cut.finish_reason) == 0 && strcmp(whole.error, cut.error) == 0);
  chat_acc_free(&whole);
  chat_acc_free(&cut);
  buf_free(&tw);
  buf_free(&tc);
  return 0;
}
