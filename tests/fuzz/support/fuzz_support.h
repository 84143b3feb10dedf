/*
 * fuzz_support.h - shared by the libFuzzer harnesses in tests/fuzz/.
 *
 * Each harness (fuzz_<name>.c) defines LLVMFuzzerTestOneInput for one parser
 * of outside input. The fuzz build (cmake -DMAESTRO_FUZZ=ON, clang) links the
 * harnesses with -Wl,--wrap=web_http_call -Wl,--wrap=xfer_perform: the
 * search providers and the model endpoints then get the answer set with
 * fz_answer() instead of going to the network, so their real answer parsing
 * runs on the fuzzer's bytes. Without an answer set they see a refused
 * connection.
 *
 * Not thread-safe: one harness, one thread (the in-process server harness
 * only sets answers before sending its request).
 */
#ifndef MAESTRO_FUZZ_SUPPORT_H
#define MAESTRO_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "rag/parse.h"

/* NUL-terminated copy of the input (malloc'd; the caller frees). */
char *fz_strndup(const uint8_t *data, size_t len);
/* The answer every wrapped HTTP call gets until the next call: status and
 * body (copied). status 0 means "connection refused". */
void fz_answer(const void *body, size_t len, long status);
/* A fresh directory under $TMPDIR (or /tmp); out >= 64 bytes. */
void fz_tmpdir(char *out, size_t n);
/* setenv() of one "NAME=value" string. */
void fz_setenv(const char *assignment);
/* An app on a fresh temp directory (SQLite, no threads, LOG_LEVEL=error),
 * opened once per process and never closed; extra is "NAME=value", NULL-ended. */
app_t *fz_app(const char *const *extra);
/* Aborts (a finding) unless the parsed document's blocks lie inside its
 * text and the text is valid UTF-8; then chunks it with the defaults and a
 * small size and checks every chunk (inside the text, UTF-8 boundaries,
 * offsets increasing). */
void fz_check_doc(const rag_doc_t *doc);

#define FZ_ASSERT(cond)                              \
  do {                                               \
    if (!(cond)) fz_fail(__FILE__, __LINE__, #cond); \
  } while (0)
void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
