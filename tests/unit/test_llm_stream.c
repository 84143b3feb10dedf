/* test_llm_stream.c - SSE and NDJSON parsing under every way a network can
 * cut the bytes, and the providers' chunk handling on the real samples. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "llm/llm_internal.h"
#include "llm/stream.h"

typedef struct {
  buf_t all; /* records joined by '|' */
  int n;
} rec_t;

static int on_rec(void *ud, const char *d, size_t len) {
  rec_t *r = ud;
  if (r->n++) buf_putc(&r->all, '|');
  buf_append(&r->all, d, len);
  return 0;
}

/* Feeds text cut into pieces of `step` bytes (step 0: cut at every position
 * pair a, b — two cuts) and returns the records. */
static void parser_start(stream_parser_t *p, rec_t *r, int ndjson) {
  memset(r, 0, sizeof *r);
  buf_init(&r->all);
  if (ndjson)
    ndjson_init(p, on_rec, r);
  else
    sse_init(p, on_rec, r);
}

static char *parse_split(int ndjson, const char *text, size_t step) {
  stream_parser_t p;
  rec_t r;
  parser_start(&p, &r, ndjson);
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i += step) stream_feed(&p, text + i, i + step <= n ? step : n - i);
  stream_finish(&p);
  stream_free(&p);
  return buf_detach(&r.all, NULL);
}

static char *read_payload(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fixtures/payloads/%s", MAESTRO_SOURCE_DIR, name);
  char *d = util_read_file(path, NULL);
  cr_assert(d, "payload %s not found", name);
  return d;
}

Test(sse, every_split_gives_the_same_events) {
  const char *text =
      ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\nevent: x\nid: 7\ndata: l1\ndata: l2\n\r\rdata: "
      "[DONE]\n\n";
  const char *want = "{\"a\":1}|{\"b\":2}|l1\nl2|[DONE]";
  for (size_t step = 1; step <= strlen(text); step++) {
    char *got = parse_split(0, text, step);
    cr_assert_str_eq(got, want, "step %zu", step);
    free(got);
  }
}

Test(sse, last_event_without_blank_line_is_flushed) {
  char *got = parse_split(0, "data: one\n\ndata: two", 3);
  cr_assert_str_eq(got, "one|two");
  free(got);
}

Test(ndjson, split_lines_and_blank_lines) {
  const char *text = "{\"x\":1}\n\n{\"y\":\"a\\nb\"}\r\n  \n{\"z\":3}";
  for (size_t step = 1; step <= strlen(text); step++) {
    char *got = parse_split(1, text, step);
    cr_assert_str_eq(got, "{\"x\":1}|{\"y\":\"a\\nb\"}|{\"z\":3}", "step %zu", step);
    free(got);
  }
}

static int stop_at_second(void *ud, const char *d, size_t len) {
  return ++*(int *)ud == 2 ? 7 : 0;
}

Test(sse, callback_stop_is_sticky) {
  stream_parser_t p;
  int count = 0;
  sse_init(&p, stop_at_second, &count);
  cr_assert_eq(stream_feed(&p, "data: a\n\ndata: b\n\ndata: c\n\n", 27), 7);
  cr_assert_eq(stream_feed(&p, "data: d\n\n", 9), 7);
  cr_assert_eq(count, 2);
  stream_free(&p);
}

/* The provider layer on the recorded samples, cut byte by byte. */
static void run_openai(const char *text, size_t step, chat_acc_t *a) {
  stream_parser_t p;
  sse_init(&p, openai_stream_record, a);
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i += step) stream_feed(&p, text + i, i + step <= n ? step : n - i);
  stream_finish(&p);
  stream_free(&p);
}

Test(openai_stream, sample_any_split) {
  char *text = read_payload("openai_chat_stream.sse");
  for (size_t step = 1; step < 64; step++) {
    chat_acc_t a;
    chat_acc_init(&a, 1, NULL, NULL);
    run_openai(text, step, &a);
    cr_assert_str_eq(a.text.data, "Hello!");
    cr_assert(a.done);
    cr_assert_str_eq(a.finish_reason, "stop");
    cr_assert(a.have_usage);
    cr_assert_eq(a.prompt_tokens, 9);
    cr_assert_eq(a.completion_tokens, 2);
    chat_acc_free(&a);
  }
  free(text);
}

Test(openai_stream, real_frame_key_order_and_spaces) {
  char *text = read_payload("openai_chat_stream_real_frame_kong.sse");
  chat_acc_t a;
  chat_acc_init(&a, 1, NULL, NULL);
  run_openai(text, 5, &a);
  cr_assert_str_eq(a.text.data, "the answer");
  cr_assert(!a.done); /* no [DONE] and no finish_reason: an incomplete stream */
  chat_acc_free(&a);
  free(text);
}

Test(ollama_stream, sample_any_split) {
  char *text = read_payload("ollama_chat_stream.ndjson");
  for (size_t step = 1; step < 40; step++) {
    chat_acc_t a;
    chat_acc_init(&a, 0, NULL, NULL);
    stream_parser_t p;
    ndjson_init(&p, ollama_stream_record, &a);
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i += step) stream_feed(&p, text + i, i + step <= n ? step : n - i);
    stream_finish(&p);
    stream_free(&p);
    cr_assert_str_eq(a.text.data, "The sky");
    cr_assert(a.done);
    cr_assert_eq(a.prompt_tokens, 26);
    cr_assert_eq(a.completion_tokens, 282);
    chat_acc_free(&a);
  }
  free(text);
}

Test(ollama_body, nonstream_sample) {
  char *text = read_payload("ollama_chat_nonstream.json");
  chat_acc_t a;
  chat_acc_init(&a, 0, NULL, NULL);
  cr_assert_eq(ollama_parse_body(&a, text, strlen(text)), 0);
  cr_assert_str_eq(a.text.data, "Hello! How are you today?");
  cr_assert_eq(a.completion_tokens, 298);
  chat_acc_free(&a);
  free(text);
}

Test(openai_body, nonstream_sample_and_garbage) {
  char *text = read_payload("openai_chat_nonstream.json");
  chat_acc_t a;
  chat_acc_init(&a, 1, NULL, NULL);
  cr_assert_eq(openai_parse_body(&a, text, strlen(text)), 0);
  cr_assert_str_eq(a.text.data, "Hello! How can I help you today?");
  cr_assert_eq(a.prompt_tokens, 9);
  chat_acc_free(&a);
  chat_acc_init(&a, 1, NULL, NULL);
  cr_assert_neq(openai_parse_body(&a, "{\"choices\":[{\"mess", 18), 0);
  cr_assert(a.malformed);
  chat_acc_free(&a);
  free(text);
}

static int collect_tok(void *ud, const char *t, size_t n) {
  buf_append(ud, t, n);
  return 0;
}

Test(think_filter, tags_split_across_chunks_never_reach_the_callback) {
  const char *pieces[] = {"<th", "ink>secret ", "plan</thi", "nk>Hel", "lo <", "b>!", NULL};
  buf_t out;
  buf_init(&out);
  chat_acc_t a;
  chat_acc_init(&a, 1, collect_tok, &out);
  buf_t sse;
  buf_init(&sse);
  for (int i = 0; pieces[i]; i++) {
    json_t *c = json_pack("{s:[{s:{s:s}}]}", "choices", "delta", "content", pieces[i]);
    char *s = json_dumps(c, JSON_COMPACT);
    buf_printf(&sse, "data: %s\n\n", s);
    free(s);
    json_decref(c);
  }
  run_openai(sse.data, 3, &a);
  chat_acc_flush(&a);
  cr_assert_str_eq(out.data, "Hello <b>!");
  cr_assert(strstr(a.text.data, "secret")); /* the raw text keeps it; llm_strip_think removes it later */
  chat_acc_free(&a);
  buf_free(&out);
  buf_free(&sse);
}

/* Issue 11, finding 4: an endless line stops the parser at max_line instead
 * of growing the buffer; lines up to the limit still pass. */
static int feed_line_of(int ndjson, size_t max_line, size_t line_len, size_t step, int *records) {
  stream_parser_t p;
  rec_t r;
  parser_start(&p, &r, ndjson);
  p.max_line = max_line;
  char *chunk = malloc(step);
  memset(chunk, 'x', step);
  int rc = ndjson ? 0 : stream_feed(&p, "data: ", 6);
  for (size_t sent = 0; rc == 0 && sent < line_len; sent += step) rc = stream_feed(&p, chunk, step);
  if (rc == 0) rc = stream_feed(&p, "\n\n", 2);
  if (rc == 0) rc = stream_finish(&p);
  cr_assert(p.line.len <= max_line, "buffered %zu bytes over a limit of %zu", p.line.len, max_line);
  cr_assert(p.data.len <= max_line);
  *records = r.n;
  stream_free(&p);
  free(chunk);
  buf_free(&r.all);
  return rc;
}

Test(stream_limits, endless_line_stops_at_max_line) {
  int n;
  for (int ndjson = 0; ndjson < 2; ndjson++) {
    cr_assert_eq(feed_line_of(ndjson, 64 * 1024, 8u << 20, 4096, &n), STREAM_LINE_TOO_LONG, "mode %d", ndjson);
    cr_assert_eq(n, 0);
    /* one feed holding the whole (too long) line and its end */
    cr_assert_eq(feed_line_of(ndjson, 1000, 5000, 5000, &n), STREAM_LINE_TOO_LONG, "mode %d", ndjson);
    cr_assert_eq(n, 0);
    cr_assert_eq(feed_line_of(ndjson, 64 * 1024, 32 * 1024, 1024, &n), 0, "mode %d", ndjson);
    cr_assert_eq(n, 1);
  }
}

Test(stream_limits, sse_event_of_many_data_lines_is_bounded) {
  stream_parser_t p;
  rec_t r;
  parser_start(&p, &r, 0);
  p.max_line = 1000;
  int rc = 0;
  for (int i = 0; i < 100 && rc == 0; i++) rc = stream_feed(&p, "data: 0123456789012345678901234567890123456789\n", 47);
  cr_assert_eq(rc, STREAM_LINE_TOO_LONG);
  cr_assert(p.data.len <= 1000);
  cr_assert_eq(stream_feed(&p, "\n", 1), STREAM_LINE_TOO_LONG, "stays stopped");
  cr_assert_eq(r.n, 0);
  stream_free(&p);
  buf_free(&r.all);
}

/* Issue 11, finding 2: what an endpoint answers in an error body reaches the
 * caller as a short excerpt without control characters, never word for word. */
static void expect_clean_excerpt(const char *body, size_t len, const char *starts) {
  xfer_result_t r;
  xfer_result_init(&r);
  buf_append(&r.body, body, len);
  char out[512];
  xfer_server_message(&r, out, sizeof out);
  xfer_result_free(&r);
  cr_assert_leq(strlen(out), 203, "%zu bytes: %s", strlen(out), out);
  for (const char *p = out; *p; p++) cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in '%s'", out);
  cr_assert(util_utf8_valid(out, strlen(out)), "%s", out);
  cr_assert(strncmp(out, starts, strlen(starts)) == 0, "'%s' does not start with '%s'", out, starts);
}

Test(xfer, error_bodies_become_short_clean_excerpts) {
  buf_t b;
  buf_init(&b);
  buf_puts(&b, "{\"error\":{\"message\":\"first line\\nsecond\\u0001\\u001b[31m line ");
  for (int i = 0; i < 200; i++) buf_puts(&b, "secret ");
  buf_puts(&b, "\"}}");
  expect_clean_excerpt(b.data, b.len, "first line second [31m line secret");
  buf_reset(&b);
  buf_puts(&b, "<html>\r\n<body>\x01\xff\xfe internal admin panel ");
  for (int i = 0; i < 500; i++) buf_puts(&b, "row ");
  expect_clean_excerpt(b.data, b.len, "<html> <body> internal admin panel row");
  expect_clean_excerpt("\xe4\xb8\xad\xe6\x96\x87 ok", 9, "\xe4\xb8\xad\xe6\x96\x87 ok");
  buf_free(&b);
}
