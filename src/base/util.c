/* util.c - small shared helpers; see util.h. */
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t util_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void util_iso_time(int64_t ms, char *out, size_t n) {
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
  if (k) snprintf(out + k, n - k, ".%03dZ", (int)(ms % 1000));
}

void util_sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void util_cond_init_monotonic(pthread_cond_t *cond) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cond, &ca);
  pthread_condattr_destroy(&ca);
}

struct timespec util_mono_deadline(int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  return ts;
}

void util_random_hex(char *out, size_t nbytes) {
  unsigned char tmp[64];
  while (nbytes > 0) {
    size_t k = nbytes > sizeof tmp ? sizeof tmp : nbytes;
    randombytes_buf(tmp, k);
    sodium_bin2hex(out, 2 * k + 1, tmp, k);
    out += 2 * k;
    nbytes -= k;
  }
  *out = '\0';
}

void util_new_id(char out[17]) {
  util_random_hex(out, 8);
}

char *util_strdup(const char *s) {
  if (!s) return NULL;
  return util_strndup(s, strlen(s));
}

char *util_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  char *r = malloc(n + 1);
  if (!r) abort();
  memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

int util_starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

int util_ends_with(const char *s, const char *suffix) {
  if (!s) return 0;
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *util_trim(char *s) {
  char *p = s;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n')) n--;
  memmove(s, p, n);
  s[n] = '\0';
  return s;
}

int util_ct_equal(const void *a, const void *b, size_t n) {
  return sodium_memcmp(a, b, n) == 0;
}

int util_utf8_valid(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned min;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
      c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
      c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
      c &= 0x07;
    } else {
      return 0;
    }
    if (i + len > n) return 0;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      c = (c << 6) | (s[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    i += len;
  }
  return 1;
}

void util_excerpt(const char *s, size_t len, size_t max, char *out, size_t n) {
  if (n < 8) {
    if (n) out[0] = '\0';
    return;
  }
  size_t cut = len > max ? util_utf8_floor(s, max) : len;
  if (cut > n - 4) cut = util_utf8_floor(s, n > 4 ? n - 4 : 0);
  size_t o = 0;
  for (size_t i = 0; i < cut;) {
    unsigned char c = (unsigned char)s[i];
    size_t step = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (step > 1 && i + step <= cut && util_utf8_valid(s + i, step)) {
      memcpy(out + o, s + i, step);
      o += step;
      i += step;
      continue;
    }
    int space = c < 0x20 || c == 0x7f || c >= 0x80 || c == ' ';
    if (!(space && (o == 0 || out[o - 1] == ' '))) out[o++] = space ? ' ' : (char)c;
    i++;
  }
  while (o && out[o - 1] == ' ') o--;
  if (cut < len) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

size_t util_utf8_floor(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  if (n == 0) return 0;
  size_t i = n;
  /* step back over continuation bytes to the lead byte of the last sequence */
  size_t back = 0;
  while (i > 0 && back < 4 && (s[i - 1] & 0xC0) == 0x80) {
    i--;
    back++;
  }
  if (i == 0) return 0;
  unsigned c = s[i - 1];
  size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  if (back + 1 >= need) return n;
  return i - 1;
}

char *util_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *data = malloc(cap);
  if (!data) abort();
  size_t k;
  while ((k = fread(data + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n - 1 == 0) {
      cap *= 2;
      data = realloc(data, cap);
      if (!data) abort();
    }
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(data);
    errno = EIO;
    return NULL;
  }
  data[n] = '\0';
  if (len) *len = n;
  return data;
}

int util_write_file(const char *path, const void *data, size_t len, int mode) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) abort();
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    free(tmp);
    return -1;
  }
  fchmod(fd, (mode_t)mode);
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp);
      free(tmp);
      return -1;
    }
    p += w;
    left -= (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

int util_mkdirs(const char *path, int mode) {
  char *p = util_strdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s == '/') {
      *s = '\0';
      if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
        free(p);
        return -1;
      }
      *s = '/';
    }
  }
  int rc = mkdir(p, (mode_t)mode);
  free(p);
  return rc == 0 || errno == EEXIST ? 0 : -1;
}

int util_parse_int(const char *s, long long min, long long max, long long *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int util_parse_bool(const char *s, int *out) {
  static const char *yes[] = {"1", "true", "yes", "on"};
  static const char *no[] = {"0", "false", "no", "off"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = 1;
      return 0;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = 0;
      return 0;
    }
  }
  return -1;
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size) {
  for (size_t k = 0; k < size; k++) {
    unsigned char t = a[k];
    a[k] = b[k];
    b[k] = t;
  }
}

void util_sort_stable(void *base, size_t n, size_t size, int (*before)(const void *a, const void *b)) {
  unsigned char *v = base;
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && before(v + j * size, v + (j - 1) * size); j--)
      swap_bytes(v + j * size, v + (j - 1) * size, size);
}

int util_copy_file(const char *from, const char *to, int flags) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  struct stat sb;
  if (fstat(in, &sb) != 0) {
    close(in);
    return -1;
  }
  int out = (flags & UTIL_COPY_EXCL) ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)
                                     : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, sb.st_mode & 0777);
  if (out < 0) {
    close(in);
    return -1;
  }
  char buf[65536];
  ssize_t k;
  int rc = 0;
  while ((k = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, (size_t)k) != k) {
      rc = -1;
      break;
    }
  }
  if (k < 0) rc = -1;
  if ((flags & UTIL_COPY_SYNC) && fsync(out) != 0) rc = -1;
  close(in);
  if (close(out) != 0) rc = -1;
  if (rc != 0) unlink(to);
  return rc;
}
