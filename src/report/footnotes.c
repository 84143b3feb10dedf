/* footnotes.c - Markdown footnotes resolved before an exporter parses the
 * Markdown (footnotes.h has the rule). */
#include "report/footnotes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "report/blocks.h"

typedef struct {
  const char *label; /* into the input, label_len bytes */
  size_t label_len;
  char *text;
  int num; /* 0 until numbered */
} note_t;

typedef struct {
  note_t *v;
  size_t n, cap;
} notes_t;

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The label of "[^LABEL]" at p[0..n): its length, or 0. */
static size_t label_at(const char *p, size_t n) {
  if (n < 4 || p[0] != '[' || p[1] != '^') return 0;
  size_t k = 2;
  while (k < n && k - 2 <= 64 && p[k] != ']' && !is_space(p[k])) k++;
  if (k >= n || p[k] != ']' || k == 2 || k - 2 > 64) return 0;
  return k - 2;
}

/* Appends p[0..n) trimmed, after a space when out is not empty. */
static void put_trimmed(buf_t *out, const char *p, size_t n) {
  while (n && is_space(*p)) p++, n--;
  while (n && is_space(p[n - 1])) n--;
  if (!n) return;
  if (out->len) buf_putc(out, ' ');
  buf_append(out, p, n);
}

static note_t *find(notes_t *ns, const char *label, size_t len) {
  for (size_t i = 0; i < ns->n; i++)
    if (ns->v[i].label_len == len && !memcmp(ns->v[i].label, label, len)) return &ns->v[i];
  return NULL;
}

/* The lines of s without their definitions (into body), the definitions
 * into ns; *slot: where in body the first definition stood. */
static void take_definitions(const char *s, size_t n, buf_t *body, notes_t *ns, size_t *slot) {
  int fence = 0;
  size_t i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && s[e] != '\n') e++;
    size_t next = e < n ? e + 1 : e, sp = 0;
    while (sp < 3 && i + sp < e && s[i + sp] == ' ') sp++;
    const char *p = s + i + sp;
    size_t len = e - i - sp, ll = 0;
    if (len >= 3 && !strncmp(p, "```", 3))
      fence = !fence;
    else if (!fence && (ll = label_at(p, len)) && ll + 3 < len && p[ll + 3] == ':') {
      buf_t text = BUF_INIT;
      buf_init(&text);
      put_trimmed(&text, p + ll + 4, len - ll - 4);
      /* continuation: non-blank lines indented by 4 spaces or a tab */
      while (next < n) {
        size_t e2 = next;
        while (e2 < n && s[e2] != '\n') e2++;
        const char *q = s + next;
        size_t ql = e2 - next;
        int indented = (ql >= 4 && !strncmp(q, "    ", 4)) || (ql >= 1 && q[0] == '\t');
        size_t k = 0;
        while (k < ql && is_space(q[k])) k++;
        if (!indented || k == ql) break;
        put_trimmed(&text, q, ql);
        next = e2 < n ? e2 + 1 : e2;
      }
      if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 8;
        ns->v = realloc(ns->v, ns->cap * sizeof *ns->v);
        if (!ns->v) abort();
      }
      if (!ns->n) *slot = body->len;
      ns->v[ns->n++] = (note_t){p + 2, ll, buf_detach(&text, NULL), 0};
      i = next;
      continue;
    }
    buf_append(body, s + i, next - i);
    i = next;
  }
}

static void put_superscript(buf_t *out, int num) {
  static const char *const DIGITS[] = {"\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074",
                                       "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
  char d[16];
  int len = snprintf(d, sizeof d, "%d", num);
  for (int i = 0; i < len; i++) buf_puts(out, DIGITS[d[i] - '0']);
}

/* Appends b[0..n) to out with the references to notes as numbers
 * (numbered from *next in order of first reference). */
static void resolve_refs(const char *b, size_t n, notes_t *ns, int *next, buf_t *out) {
  size_t k = 0, after_ref = (size_t)-1;
  while (k < n) {
    size_t end = rb_code_end(b, n, k), ll;
    note_t *note;
    if (end) {
      buf_append(out, b + k, end - k);
      k = end;
    } else if ((ll = label_at(b + k, n - k)) && (note = find(ns, b + k + 2, ll))) {
      if (!note->num) note->num = (*next)++;
      if (out->len == after_ref) buf_puts(out, "\u202f"); /* [^a][^b]: "¹ ²", not "¹²" */
      else if (out->len && strchr("*_~", out->data[out->len - 1]))
        buf_puts(out, "&#8288;"); /* *(x)*[^1]: the emphasis still closes */
      put_superscript(out, note->num);
      k += ll + 3;
      after_ref = out->len;
    } else {
      buf_putc(out, b[k++]);
    }
  }
}

/* 1 when the last non-blank line of s[0..n) is an ATX heading. */
static int ends_with_heading(const char *s, size_t n) {
  while (n && is_space(s[n - 1])) n--;
  size_t i = n;
  while (i && s[i - 1] != '\n') i--;
  size_t sp = 0;
  while (sp < 3 && i + sp < n && s[i + sp] == ' ') sp++;
  size_t h = 0;
  while (i + sp + h < n && s[i + sp + h] == '#') h++;
  return h >= 1 && h <= 6 && (i + sp + h == n || s[i + sp + h] == ' ' || s[i + sp + h] == '\t');
}

char *rf_resolve(const char *markdown) {
  const char *s = markdown ? markdown : "";
  size_t n = strlen(s), slot = 0;
  notes_t ns = {0};
  buf_t body = BUF_INIT, before = BUF_INIT, after = BUF_INIT, out = BUF_INIT;
  buf_init(&body);
  take_definitions(s, n, &body, &ns, &slot);
  if (!ns.n) {
    buf_free(&body);
    return util_strdup(s);
  }
  buf_init(&before);
  buf_init(&after);
  buf_init(&out);
  int next = 1;
  const char *b = body.data ? body.data : "";
  resolve_refs(b, slot, &ns, &next, &before);
  resolve_refs(b + slot, body.len - slot, &ns, &next, &after);
  for (size_t i = 0; i < ns.n; i++)
    if (!ns.v[i].num) ns.v[i].num = next++;
  /* the text before, the notes where the first definition stood, the rest */
  size_t bl = before.len;
  while (bl && is_space(before.data[bl - 1])) bl--;
  if (bl) {
    buf_append(&out, before.data, bl);
    buf_puts(&out, "\n\n");
  }
  if (!ends_with_heading(before.data ? before.data : "", bl)) buf_puts(&out, "---\n\n");
  for (int num = 1; num < next; num++)
    for (size_t i = 0; i < ns.n; i++)
      if (ns.v[i].num == num) buf_printf(&out, "%d. %s\n", num, ns.v[i].text);
  /* the rest without its leading blank lines */
  const char *a = after.data ? after.data : "";
  size_t skip = 0;
  for (size_t i = 0; i < after.len && (a[i] == ' ' || a[i] == '\t' || a[i] == '\n'); i++)
    if (a[i] == '\n') skip = i + 1;
  int rest = 0;
  for (size_t i = skip; i < after.len && !rest; i++) rest = !is_space(a[i]);
  if (rest) {
    buf_putc(&out, '\n');
    buf_append(&out, a + skip, after.len - skip);
  }
  for (size_t i = 0; i < ns.n; i++) free(ns.v[i].text);
  free(ns.v);
  buf_free(&body);
  buf_free(&before);
  buf_free(&after);
  return buf_detach(&out, NULL);
}
