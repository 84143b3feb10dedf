/*
 * providers.c - the two wire formats: request bodies and answer parsing.
 *
 * OpenAI-compatible: POST {base}/chat/completions; streaming answers are SSE
 * "chat.completion.chunk" objects with choices[0].delta.content, a final
 * finish_reason, an optional usage-only chunk (choices: []) and "[DONE]".
 * Ollama native: POST {base}/api/chat; streaming answers are NDJSON objects
 * with message.content, the last one with done:true and the token counts
 * (prompt_eval_count, eval_count). Parsers never depend on key order.
 *
 * Streamed text goes through a small <think> filter before the caller's token
 * callback; tags split across chunks are held back until they can be decided.
 */
#include <string.h>

#include "base/util.h"
#include "llm/llm_internal.h"

void chat_acc_init(chat_acc_t *a, int openai, llm_token_fn fn, void *ud) {
  memset(a, 0, sizeof *a);
  buf_init(&a->text);
  buf_init(&a->pending);
  a->openai = openai;
  a->on_token = fn;
  a->token_ud = ud;
}

void chat_acc_reset(chat_acc_t *a) {
  llm_token_fn fn = a->on_token;
  void *ud = a->token_ud;
  int openai = a->openai;
  size_t max_text = a->max_text;
  chat_acc_free(a);
  chat_acc_init(a, openai, fn, ud);
  a->max_text = max_text;
}

void chat_acc_free(chat_acc_t *a) {
  buf_free(&a->text);
  buf_free(&a->pending);
}

static void emit(chat_acc_t *a, const char *s, size_t n) {
  if (!n || !a->on_token || a->cb_abort) return;
  if (a->on_token(a->token_ud, s, n) != 0) a->cb_abort = 1;
}

/* Length of the longest suffix of s that is a proper prefix of tag. */
static size_t partial_tag(const char *s, size_t n, const char *tag) {
  size_t tl = strlen(tag);
  for (size_t k = tl - 1; k > 0; k--)
    if (k <= n && strncmp(s + n - k, tag, k) == 0) return k;
  return 0;
}

static void think_filter(chat_acc_t *a, const char *s, size_t n) {
  buf_append(&a->pending, s, n);
  for (;;) {
    const char *tag = a->in_think ? "</think>" : "<think>";
    char *hit = strstr(a->pending.data, tag);
    if (hit) {
      size_t before = (size_t)(hit - a->pending.data);
      if (!a->in_think) emit(a, a->pending.data, before);
      size_t cut = before + strlen(tag);
      memmove(a->pending.data, a->pending.data + cut, a->pending.len - cut + 1);
      a->pending.len -= cut;
      a->in_think = !a->in_think;
      continue;
    }
    size_t keep = partial_tag(a->pending.data, a->pending.len, tag);
    if (!a->in_think) emit(a, a->pending.data, a->pending.len - keep);
    memmove(a->pending.data, a->pending.data + a->pending.len - keep, keep + 1);
    a->pending.len = keep;
    return;
  }
}

void chat_acc_flush(chat_acc_t *a) {
  if (!a->in_think) emit(a, a->pending.data, a->pending.len);
  buf_reset(&a->pending);
}

static void add_text(chat_acc_t *a, const char *s, size_t n) {
  if (!n || a->too_long) return;
  if (a->max_text && a->text.len + n > a->max_text) {
    a->too_long = 1; /* keep what we have; the caller fails the call */
    return;
  }
  buf_append(&a->text, s, n);
  think_filter(a, s, n);
}

static void error_from(chat_acc_t *a, json_t *e) {
  json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;
  if (json_is_string(m))
    util_excerpt(json_string_value(m), json_string_length(m), 200, a->error, sizeof a->error);
  else
    snprintf(a->error, sizeof a->error, "error in the stream");
}

/* An OpenAI answer's (or stream record's) finish_reason of choice ch (when
 * given) and usage of root j (when given). */
static void finish_and_usage(chat_acc_t *a, json_t *ch, json_t *j) {
  json_t *fr = json_object_get(ch, "finish_reason");
  if (json_is_string(fr)) snprintf(a->finish_reason, sizeof a->finish_reason, "%s", json_string_value(fr));
  json_t *u = json_object_get(j, "usage");
  if (json_is_object(u)) {
    a->prompt_tokens = (int)json_integer_value(json_object_get(u, "prompt_tokens"));
    a->completion_tokens = (int)json_integer_value(json_object_get(u, "completion_tokens"));
    a->have_usage = 1;
  }
}

/* A stream record as JSON (new reference), or NULL when it is not JSON
 * (a->malformed) or carries an error (a->error): the stream stops there. */
static json_t *record_json(chat_acc_t *a, const char *data, size_t len) {
  json_t *j = json_loadb(data, len, 0, NULL);
  if (!j) {
    a->malformed = 1;
    return NULL;
  }
  json_t *e = json_object_get(j, "error");
  if (e && !json_is_null(e)) {
    error_from(a, e);
    json_decref(j);
    return NULL;
  }
  return j;
}

int openai_stream_record(void *ud, const char *data, size_t len) {
  chat_acc_t *a = ud;
  if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
    a->done = 1;
    return 0;
  }
  json_t *j = record_json(a, data, len);
  if (!j) return 1;
  json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
  if (ch) {
    json_t *delta = json_object_get(ch, "delta");
    json_t *c = json_object_get(delta, "content");
    if (json_is_string(c)) add_text(a, json_string_value(c), json_string_length(c));
  }
  finish_and_usage(a, ch, j);
  json_decref(j);
  return a->too_long ? 3 : a->cb_abort ? 2 : 0;
}

int ollama_stream_record(void *ud, const char *data, size_t len) {
  chat_acc_t *a = ud;
  json_t *j = record_json(a, data, len);
  if (!j) return 1;
  json_t *c = json_object_get(json_object_get(j, "message"), "content");
  if (json_is_string(c)) add_text(a, json_string_value(c), json_string_length(c));
  if (json_is_true(json_object_get(j, "done"))) {
    a->done = 1;
    json_t *dr = json_object_get(j, "done_reason");
    snprintf(a->finish_reason, sizeof a->finish_reason, "%s", json_is_string(dr) ? json_string_value(dr) : "stop");
    json_t *pe = json_object_get(j, "prompt_eval_count"), *ec = json_object_get(j, "eval_count");
    if (json_is_integer(pe) || json_is_integer(ec)) {
      a->prompt_tokens = (int)json_integer_value(pe);
      a->completion_tokens = (int)json_integer_value(ec);
      a->have_usage = 1;
    }
  }
  json_decref(j);
  return a->too_long ? 3 : a->cb_abort ? 2 : 0;
}

int openai_parse_body(chat_acc_t *a, const char *body, size_t len) {
  json_t *j = json_loadb(body, len, 0, NULL);
  if (!j) {
    a->malformed = 1;
    return -1;
  }
  json_t *e = json_object_get(j, "error");
  if (e && !json_is_null(e)) {
    error_from(a, e);
    json_decref(j);
    return -1;
  }
  json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
  json_t *msg = json_object_get(ch, "message");
  if (!json_is_object(msg)) {
    a->malformed = 1;
    json_decref(j);
    return -1;
  }
  json_t *c = json_object_get(msg, "content");
  if (json_is_string(c)) {
    if (a->max_text && json_string_length(c) > a->max_text) {
      a->too_long = 1;
      json_decref(j);
      return -1;
    }
    buf_append(&a->text, json_string_value(c), json_string_length(c));
  } else if (json_is_string(json_object_get(msg, "refusal"))) {
    snprintf(a->error, sizeof a->error, "the model refused: %.300s",
             json_string_value(json_object_get(msg, "refusal")));
    json_decref(j);
    return -1;
  }
  finish_and_usage(a, ch, j);
  a->done = 1;
  json_decref(j);
  return 0;
}

int ollama_parse_body(chat_acc_t *a, const char *body, size_t len) {
  /* Some Ollama versions stream even when asked not to: accept NDJSON too. */
  stream_parser_t p;
  ndjson_init(&p, ollama_stream_record, a);
  stream_feed(&p, body, len);
  stream_finish(&p);
  stream_free(&p);
  if (a->error[0] || a->malformed || a->too_long) return -1;
  if (!a->done) {
    a->malformed = 1;
    return -1;
  }
  return 0;
}

json_t *chat_body(const llm_endpoint_t *ep, json_t *messages, double temperature, int max_tokens, int stream,
                  const json_t *schema, const char *schema_name, int json_level) {
  json_t *b = json_object();
  json_object_set_new(b, "model", json_string(ep->model));
  json_object_set(b, "messages", messages);
  json_object_set_new(b, "stream", json_boolean(stream));
  if (ep->provider == LLM_PROVIDER_OLLAMA) {
    json_t *opt = json_object();
    json_object_set_new(opt, "temperature", json_real(temperature));
    json_object_set_new(opt, "num_predict", json_integer(max_tokens));
    json_object_set_new(opt, "num_ctx", json_integer(ep->context_window));
    json_object_set_new(b, "options", opt);
    if (json_level == JSON_LEVEL_SCHEMA && schema)
      json_object_set(b, "format", (json_t *)schema);
    else if (json_level == JSON_LEVEL_SCHEMA || json_level == JSON_LEVEL_OBJECT)
      json_object_set_new(b, "format", json_string("json"));
    return b;
  }
  json_object_set_new(b, "temperature", json_real(temperature));
  json_object_set_new(b, "max_tokens", json_integer(max_tokens));
  if (stream) json_object_set_new(b, "stream_options", json_pack("{s:b}", "include_usage", 1));
  if (json_level == JSON_LEVEL_SCHEMA && schema) {
    json_object_set_new(b, "response_format",
                        json_pack("{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema", "json_schema", "name",
                                  schema_name && *schema_name ? schema_name : "answer", "schema", schema, "strict", 0));
  } else if (json_level == JSON_LEVEL_SCHEMA || json_level == JSON_LEVEL_OBJECT) {
    json_object_set_new(b, "response_format", json_pack("{s:s}", "type", "json_object"));
  }
  return b;
}
