/*
 * util.h - small shared helpers: time, random ids, strings, files, UTF-8.
 * All functions are thread-safe. Returned strings are malloc'd and owned by
 * the caller unless the comment says otherwise.
 */
#ifndef MAESTRO_UTIL_H
#define MAESTRO_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Wall-clock milliseconds since the epoch. */
int64_t util_now_ms(void);
/* Monotonic milliseconds, for durations and deadlines. */
int64_t util_mono_ms(void);
/* Writes an ISO-8601 UTC timestamp ("2026-01-02T03:04:05.678Z") of epoch ms into out (>= 32 bytes). */
void util_iso_time(int64_t ms, char *out, size_t n);
/* Sleeps for `ms` milliseconds. */
void util_sleep_ms(int64_t ms);
/* Initialises a condition variable whose timed waits take deadlines on the
 * monotonic clock (a wall-clock change neither shortens nor stretches them),
 * and such a deadline `ms` milliseconds from now. */
void util_cond_init_monotonic(pthread_cond_t *cond);
struct timespec util_mono_deadline(int64_t ms);

/* Writes `nbytes` random bytes as lowercase hex (2*nbytes chars + NUL) into out. */
void util_random_hex(char *out, size_t nbytes);
/* A new random identifier of 16 hex characters, in out (>= 17 bytes). */
void util_new_id(char out[17]);

/* malloc'd copy of s (NULL stays NULL); aborts on out-of-memory. */
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);
/* Returns 1 if s starts with prefix. */
int util_starts_with(const char *s, const char *prefix);
int util_ends_with(const char *s, const char *suffix);
/* Trims ASCII whitespace in place; returns s. */
char *util_trim(char *s);
/* Constant-time comparison of two buffers of equal length n. */
int util_ct_equal(const void *a, const void *b, size_t n);

/* Sorts n elements of size bytes at base in place, stably (equal elements
 * keep their order): an element moves before another only when
 * before(element, other) is nonzero. An insertion sort, for short lists. */
void util_sort_stable(void *base, size_t n, size_t size, int (*before)(const void *a, const void *b));

/* Returns 1 if [s, s+n) is valid UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t n);
/* Length of the longest prefix of s (at most n bytes) that ends on a UTF-8 boundary. */
size_t util_utf8_floor(const char *s, size_t n);
/* A short excerpt of text from elsewhere (a remote error body) fit to show a
 * user: at most max bytes of s (cut on a UTF-8 boundary, "..." appended when
 * cut), control characters and invalid UTF-8 as spaces, runs of spaces
 * collapsed. Writes into out (n bytes, always NUL-terminated). */
void util_excerpt(const char *s, size_t len, size_t max, char *out, size_t n);

/* Reads a whole file; returns malloc'd data (NUL-terminated) or NULL with errno set. */
char *util_read_file(const char *path, size_t *len);
/* Writes data to path atomically (temp file + rename) with the given mode. */
int util_write_file(const char *path, const void *data, size_t len, int mode);
/* mkdir -p; returns 0 on success. */
int util_mkdirs(const char *path, int mode);

/* Parses a decimal integer in [min, max]; returns 0 on success. */
int util_parse_int(const char *s, long long min, long long max, long long *out);
/* Parses true/false/1/0/yes/no/on/off; returns 0 on success. */
int util_parse_bool(const char *s, int *out);

/* util_copy_file flags: UTIL_COPY_EXCL creates `to` only when it does not
 * exist yet (mode 0640); otherwise `to` is replaced and takes the source's
 * permission bits. UTIL_COPY_SYNC fsyncs the copy before returning. */
enum { UTIL_COPY_EXCL = 1, UTIL_COPY_SYNC = 2 };
/* Copies a file; 0, or -1 with nothing left at `to`. */
int util_copy_file(const char *from, const char *to, int flags);

#endif
