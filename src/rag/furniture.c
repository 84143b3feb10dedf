/*
 * furniture.c - dropping page furniture from a parsed document before it is
 * chunked, so search results carry the text of the document and not the
 * frame around it.
 *
 * General rules, never per-site ones; each looks at one block (a paragraph
 * as the parser made it) and the document around it:
 *
 *  1. Repeated across pages: a short paragraph (running header or footer,
 *     "Journal of X - Vol. 3", "Page 4 of 12", a confidentiality line) that
 *     occurs on at least half of the pages and on three or more, compared
 *     with digits ignored (so page numbers do not make them differ).
 *  2. Navigation lines: a short paragraph made only of navigation words
 *     (Prev, Previous, Next, Up, Home, Top, Back, Contents, Index, ...)
 *     and separators or arrows ("Prev | Up | Next", "« Previous  Next »",
 *     "Home > Contents"), with at least two such words. Language-neutral
 *     arrows and separators count; a sentence that merely starts with
 *     "Next" has other words and stays.
 *  3. Dot leaders: a paragraph that is a table of contents or an index
 *     ("1 Introduction ........ 3 2 Background ....... 7"): runs of four
 *     or more leader dots followed by a page number, with little text per
 *     entry (under 120 bytes on average).
 *
 * Headings are never dropped (they give chunks their path). A document
 * whose every paragraph would go keeps them all: furniture is only
 * furniture next to content.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "rag/parse.h"

#define SHORT_BLOCK 200 /* bytes: furniture is short */

/* Lowercased, digits removed, spaces collapsed: "Page 4 of 12" == "Page 5 of 12". */
static char *furniture_key(const char *s, size_t len) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isdigit(c)) continue;
    if (isspace(c)) {
      if (b.len && b.data[b.len - 1] != ' ') buf_putc(&b, ' ');
      continue;
    }
    buf_putc(&b, (char)tolower(c));
  }
  while (b.len && b.data[b.len - 1] == ' ') b.data[--b.len] = '\0';
  return buf_detach(&b, NULL);
}

static const char *const NAV_WORDS[] = {"prev", "previous", "next", "up", "home", "top", "back", "contents",
                                        "index", "toc", "first", "last", "forward", "parent", "table", "of",
                                        "page", "chapter", "section", "go", "to", "main", "menu", "skip", NULL};

static int is_nav_word(const char *w, size_t n) {
  for (int i = 0; NAV_WORDS[i]; i++)
    if (strlen(NAV_WORDS[i]) == n && !strncasecmp(w, NAV_WORDS[i], n)) return 1;
  return 0;
}

static int is_strong(const char *w, size_t n) {
  static const char *const STRONG[] = {"prev", "previous", "next", "up", "home", "top", "back", "contents",
                                       "index", "toc", "forward", "parent", NULL};
  for (int k = 0; STRONG[k]; k++)
    if (strlen(STRONG[k]) == n && !strncasecmp(w, STRONG[k], n)) return 1;
  return 0;
}

/* "Prev | Up | Next", "« Previous  Next »": only navigation words, separators
 * and arrows, two of them strong; or "Next: Queues, Previous: Install, Up:
 * Top [Contents][Index]": at most 20 words, three or more strong ones and
 * at least half of the words. */
static int is_nav_line(const char *s, size_t len) {
  if (len > SHORT_BLOCK) return 0;
  int words = 0, strong = 0, others = 0;
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    if (isalpha(c)) {
      size_t st = i;
      while (i < len && isalpha((unsigned char)s[i])) i++;
      words++;
      if (is_strong(s + st, i - st))
        strong++;
      else if (!is_nav_word(s + st, i - st))
        others++;
      continue;
    }
    if (c >= 0x80) { /* arrows, guillemets, letters of other scripts */
      i++;
      while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
      continue;
    }
    if (!strchr(" |/:-<>[]().,*~=_\t&;", c) && !isdigit(c)) others++;
    i++;
  }
  if (others == 0 && strong >= 2) return 1;
  return words <= 20 && strong >= 3 && strong * 2 >= words;
}

/* Leader runs ("....", ". . . .", "…") followed by a page number. */
static int is_leader_block(const char *s, size_t len) {
  int entries = 0;
  size_t leader_bytes = 0;
  for (size_t i = 0; i < len;) {
    size_t st = i;
    int dots = 0;
    while (i < len) {
      if (s[i] == '.') {
        dots++;
        i++;
      } else if (i + 2 < len && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
                 (unsigned char)s[i + 2] == 0xA6) {
        dots += 3; /* … */
        i += 3;
      } else if (s[i] == ' ' && dots > 0 && i + 1 < len && s[i + 1] == '.') {
        i++;
      } else {
        break;
      }
    }
    if (dots >= 4) {
      size_t j = i;
      while (j < len && s[j] == ' ') j++;
      size_t d0 = j;
      while (j < len && (isdigit((unsigned char)s[j]) || strchr("ivxlcIVXLC", s[j]))) j++;
      if (j > d0) {
        entries++;
        leader_bytes += i - st;
      }
      continue;
    }
    if (i == st) i++;
  }
  return entries >= 1 && (len - leader_bytes) / (size_t)entries < 120;
}


/* ---- running headers and footers inside a page's first / last paragraph ---- */

#define EDGE_SAMPLE 60 /* pages compared to find the repeated words */
#define EDGE_MAX 15    /* words a header or footer may have */
#define EDGE_MIN 3     /* fewer shared words are a coincidence ("The ...") */

typedef struct {
  char *key[EDGE_MAX];
  size_t cut[EDGE_MAX]; /* bytes from the edge up to the end of word k (incl. following space) */
  int n;
} edge_t;

/* The first (from_end 0) or last EDGE_MAX words of s as keys. */
static void edge_words(const char *s, size_t len, int from_end, edge_t *e) {
  memset(e, 0, sizeof *e);
  size_t i = 0;
  while (e->n < EDGE_MAX && i < len) {
    size_t st, en;
    if (!from_end) {
      while (i < len && s[i] == ' ') i++;
      st = i;
      while (i < len && s[i] != ' ') i++;
      en = i;
      while (i < len && s[i] == ' ') i++;
      if (st == en) break;
      e->key[e->n] = furniture_key(s + st, en - st);
      e->cut[e->n++] = i;
    } else {
      while (i < len && s[len - 1 - i] == ' ') i++;
      en = len - i;
      while (i < len && s[len - 1 - i] != ' ') i++;
      st = len - i;
      while (i < len && s[len - 1 - i] == ' ') i++;
      if (st == en) break;
      e->key[e->n] = furniture_key(s + st, en - st);
      e->cut[e->n++] = i;
    }
  }
}

static void edge_free(edge_t *e) {
  for (int k = 0; k < e->n; k++) free(e->key[k]);
}

static int edge_shares(const edge_t *a, const edge_t *b, int k) {
  if (a->n < k || b->n < k) return 0;
  for (int j = 0; j < k; j++)
    if (strcmp(a->key[j], b->key[j])) return 0;
  return 1;
}

/* Trims the words repeated at the start (from_end 0) or end of the first /
 * last paragraph of most pages: trim[block] gets the bytes to cut. */
static void edge_trim(rag_doc_t *d, const size_t *edge_block, int pages, int from_end, size_t *trim) {
  edge_t *e = calloc((size_t)pages + 1, sizeof *e);
  if (!e) abort();
  int have = 0;
  for (int p = 1; p <= pages; p++) {
    if (edge_block[p] == (size_t)-1) continue;
    const rag_block_t *b = &d->blocks[edge_block[p]];
    edge_words(d->text.data + b->off, b->len, from_end, &e[p]);
    have++;
  }
  int need = have / 2 > 3 ? have / 2 : 3, best = 0, best_page = 0;
  int sample_end = pages < EDGE_SAMPLE ? pages : EDGE_SAMPLE;
  for (int p = 1; p <= sample_end; p++) {
    for (int k = e[p].n; k >= EDGE_MIN && k > best; k--) {
      int on = 0;
      for (int q = 1; q <= pages; q++) on += edge_shares(&e[p], &e[q], k);
      if (on >= need) {
        best = k;
        best_page = p;
        break;
      }
    }
  }
  if (best) {
    for (int q = 1; q <= pages; q++) {
      if (!edge_shares(&e[best_page], &e[q], best)) continue;
      size_t i = edge_block[q];
      size_t cut = e[q].cut[best - 1];
      if (cut + trim[i] < d->blocks[i].len) trim[i] += cut; /* something must stay */
    }
  }
  for (int p = 0; p <= pages; p++) edge_free(&e[p]);
  free(e);
}

/* qsort has no context argument: the keys being sorted (one call at a time per thread) */
static _Thread_local char **sort_keys;

/* By key, then by block index (so pages ascend within a key). */
static int cmp_key(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  int c = strcmp(sort_keys[x], sort_keys[y]);
  return c ? c : (x > y) - (x < y);
}

size_t rag_doc_drop_furniture(rag_doc_t *d) {
  if (d->nblocks < 2) return 0;
  char *drop = calloc(d->nblocks, 1);
  char **keys = calloc(d->nblocks, sizeof *keys);
  if (!drop || !keys) abort();
  int pages = d->npages;
  for (size_t i = 0; i < d->nblocks; i++) {
    const rag_block_t *b = &d->blocks[i];
    if (b->level > 0) continue;
    const char *s = d->text.data + b->off;
    if (is_nav_line(s, b->len) || is_leader_block(s, b->len)) drop[i] = 1;
    if (pages >= 3 && b->len <= SHORT_BLOCK && b->page > 0) keys[i] = furniture_key(s, b->len);
  }
  /* rule 1: group equal keys (sorted, so n log n on long documents) and
   * count the distinct pages each occurs on */
  if (pages >= 3) {
    int need = pages / 2 > 3 ? pages / 2 : 3;
    size_t *ord = calloc(d->nblocks, sizeof *ord), n = 0;
    if (!ord) abort();
    for (size_t i = 0; i < d->nblocks; i++)
      if (keys[i] && keys[i][0]) ord[n++] = i;
    sort_keys = keys;
    qsort(ord, n, sizeof *ord, cmp_key);
    for (size_t g = 0; g < n;) {
      size_t h = g;
      int on = 0, last = -1;
      while (h < n && !strcmp(keys[ord[h]], keys[ord[g]])) {
        if (d->blocks[ord[h]].page != last) on++; /* stable order within a key: pages ascend */
        last = d->blocks[ord[h]].page;
        h++;
      }
      if (on >= need)
        for (size_t k = g; k < h; k++) drop[ord[k]] = 2;
      g = h;
    }
    free(ord);
  }
  /* rule 1 inside paragraphs: the parser may join a header or footer to the
   * page's first or last paragraph */
  size_t *head = calloc(d->nblocks, sizeof *head), *tail = calloc(d->nblocks, sizeof *tail);
  if (!head || !tail) abort();
  if (pages >= 3) {
    size_t *first = malloc(((size_t)pages + 1) * sizeof *first), *last = malloc(((size_t)pages + 1) * sizeof *last);
    if (!first || !last) abort();
    for (int p = 0; p <= pages; p++) first[p] = last[p] = (size_t)-1;
    for (size_t i = 0; i < d->nblocks; i++) {
      int p = d->blocks[i].page;
      if (drop[i] || d->blocks[i].level > 0 || p < 1 || p > pages) continue;
      if (first[p] == (size_t)-1) first[p] = i;
      last[p] = i;
    }
    edge_trim(d, first, pages, 0, head);
    /* a block already cut at its start is measured from its end as given */
    edge_trim(d, last, pages, 1, tail);
    free(first);
    free(last);
  }
  size_t ndrop = 0, keep_para = 0, ntrim = 0;
  for (size_t i = 0; i < d->nblocks; i++) {
    if (head[i] + tail[i] >= d->blocks[i].len) head[i] = tail[i] = 0;
    ntrim += head[i] || tail[i];
  }
  for (size_t i = 0; i < d->nblocks; i++) {
    ndrop += drop[i] != 0;
    keep_para += !drop[i] && d->blocks[i].level == 0;
  }
  if ((ndrop && keep_para) || ntrim) {
    if (!keep_para) memset(drop, 0, d->nblocks);
    buf_t text = BUF_INIT;
    buf_init(&text);
    size_t out = 0;
    for (size_t i = 0; i < d->nblocks; i++) {
      if (drop[i]) continue;
      rag_block_t b = d->blocks[i];
      b.off += head[i];
      b.len -= head[i] + tail[i];
      while (b.len && d->text.data[b.off + b.len - 1] == ' ') b.len--;
      if (text.len) buf_append(&text, "\n\n", 2);
      buf_append(&text, d->text.data + b.off, b.len);
      b.off = text.len - b.len;
      d->blocks[out++] = b;
    }
    buf_free(&d->text);
    d->text = text;
    d->nblocks = out;
    if (!keep_para) ndrop = 0;
  } else {
    ndrop = 0;
  }
  for (size_t i = 0; i < d->nblocks + ndrop; i++) free(keys[i]);
  free(head);
  free(tail);
  free(keys);
  free(drop);
  return ndrop;
}
