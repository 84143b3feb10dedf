/* fuzz_support.c - see fuzz_support.h. */
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/util.h"
#include "llm/llm_internal.h"
#include "rag/chunk.h"
#include "web/web_internal.h"

static struct {
  char *body;
  size_t len;
  long status;
} answer;

void fz_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
  abort();
}

char *fz_strndup(const uint8_t *data, size_t len) {
  char *s = malloc(len + 1);
  if (!s) abort();
  if (len) memcpy(s, data, len);
  s[len] = '\0';
  return s;
}

void fz_answer(const void *body, size_t len, long status) {
  free(answer.body);
  answer.body = fz_strndup(body, len);
  answer.len = len;
  answer.status = status;
}

int __wrap_web_http_call(const char *method, const char *url, const char *const *headers, const char *body,
                         int timeout_ms, const web_allow_t *policy, web_http_resp_t *resp, web_error_t *e) {
  (void)method, (void)url, (void)headers, (void)body, (void)timeout_ms, (void)policy;
  memset(resp, 0, sizeof *resp);
  buf_init(&resp->body);
  resp->retry_after_ms = -1;
  if (answer.status == 0) {
    web_error_set(e, WEB_E_NET, "connection refused (fuzz)");
    return -1;
  }
  resp->status = answer.status;
  buf_append(&resp->body, answer.body, answer.len);
  return 0;
}

/* Like transport.c: a 2xx answer of a streamed call goes to the parser (in
 * two pieces, cut where a real network read could cut it), else to body. */
int __wrap_xfer_perform(const xfer_t *x, xfer_result_t *r) {
  if (answer.status == 0) {
    r->cc = CURLE_COULDNT_CONNECT;
    snprintf(r->curl_err, sizeof r->curl_err, "connection refused (fuzz)");
    return -1;
  }
  r->cc = CURLE_OK;
  r->status = answer.status;
  if (x->parser && answer.status >= 200 && answer.status < 300) {
    size_t cut = answer.len / 3;
    if (stream_feed(x->parser, answer.body, cut) != 0 ||
        stream_feed(x->parser, answer.body + cut, answer.len - cut) != 0) {
      r->parser_stopped = 1;
      r->cc = CURLE_WRITE_ERROR;
    }
    r->streamed = answer.len;
    return r->cc == CURLE_OK ? 0 : -1;
  }
  buf_append(&r->body, answer.body, answer.len);
  return 0;
}

void fz_setenv(const char *assignment) {
  const char *eq = strchr(assignment, '=');
  if (!eq) abort();
  char name[128];
  snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
  setenv(name, eq + 1, 1);
}

void fz_tmpdir(char *out, size_t n) {
  const char *t = getenv("TMPDIR");
  snprintf(out, n, "%s/maestro-fuzz-XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(out)) abort();
}

app_t *fz_app(const char *const *extra) {
  static app_t *app;
  if (app) return app;
  char dir[300];
  fz_tmpdir(dir, sizeof dir);
  static const char *const fixed[] = {"BACKEND_PORT=0",  "FRONTEND_PORT=0",    "BIND_ADDRESS=127.0.0.1",
                                      "LOG_LEVEL=error", "HASH_CONCURRENCY=1", NULL};
  char db[300], data[300];
  snprintf(db, sizeof db, "DATABASE_URL=sqlite:///%s/m.db", dir);
  snprintf(data, sizeof data, "DATA_DIR=%s/data", dir);
  fz_setenv(db);
  fz_setenv(data);
  for (const char *const *e = fixed; *e; e++) fz_setenv(*e);
  for (const char *const *e = extra; e && *e; e++) fz_setenv(*e);
  char err[512];
  config_t *cfg = config_load("/dev/null", err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "fuzz: config: %s\n", err);
    abort();
  }
  app = app_open(cfg, err, sizeof err);
  if (!app) {
    fprintf(stderr, "fuzz: app_open: %s\n", err);
    abort();
  }
  return app;
}

static int is_boundary(const char *s, size_t n, size_t at) {
  return at == 0 || at >= n || ((unsigned char)s[at] & 0xc0) != 0x80;
}

static void check_chunks(const rag_doc_t *doc, int size, int overlap) {
  rag_chunk_t *ch = NULL;
  size_t n = 0;
  FZ_ASSERT(rag_chunk_doc(doc, size, overlap, &ch, &n) == 0);
  const char *t = doc->text.data ? doc->text.data : "";
  size_t tl = doc->text.len;
  for (size_t i = 0; i < n; i++) {
    FZ_ASSERT(ch[i].byte_start < ch[i].byte_end && ch[i].byte_end <= tl);
    FZ_ASSERT(is_boundary(t, tl, ch[i].byte_start) && is_boundary(t, tl, ch[i].byte_end));
    FZ_ASSERT(ch[i].char_start >= 0 && ch[i].char_start < ch[i].char_end);
    FZ_ASSERT(ch[i].heading != NULL);
    if (i) {
      FZ_ASSERT(ch[i].byte_start > ch[i - 1].byte_start);
      FZ_ASSERT(ch[i].char_start > ch[i - 1].char_start);
    }
  }
  free(ch);
}

void fz_check_doc(const rag_doc_t *doc) {
  FZ_ASSERT(util_utf8_valid(doc->text.data ? doc->text.data : "", doc->text.len));
  for (size_t i = 0; i < doc->nblocks; i++) {
    const rag_block_t *b = &doc->blocks[i];
    FZ_ASSERT(b->off + b->len <= doc->text.len);
    FZ_ASSERT(b->heading >= -1 && b->heading < (int)doc->nheadings);
  }
  check_chunks(doc, RAG_CHUNK_SIZE_DEFAULT, RAG_CHUNK_OVERLAP_DEFAULT);
  check_chunks(doc, RAG_CHUNK_SIZE_MIN, RAG_CHUNK_SIZE_MIN / 2);
}

/* The wrappers must keep the wrapped functions' signatures (the linker's
 * --wrap does not check them): a changed signature fails to compile here. */
static __typeof__(web_http_call) *const fz_check_http_call __attribute__((unused)) = __wrap_web_http_call;
static __typeof__(xfer_perform) *const fz_check_xfer_perform __attribute__((unused)) = __wrap_xfer_perform;
