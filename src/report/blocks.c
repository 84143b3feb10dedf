/*
 * blocks.c - Markdown to blocks and runs with md4c. See blocks.h.
 */
#include "report/blocks.h"

#include <sodium.h>

#include <glib.h>
#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/text.h"
#include "report/footnotes.h"
#include "report/math.h"
#include "report/report.h"

#define MAX_LISTS 32

typedef struct {
  rb_doc_t *doc;
  long cur;  /* block receiving text, -1: none */
  int fresh; /* the current list item has no text yet */
  int bold, italic, code, link, strike;
  char *href; /* innermost link target */
  int quote, in_head;
  struct {
    int ordered, next, id, start;
  } lists[MAX_LISTS];
  int nlists; /* may exceed MAX_LISTS: deeper levels reuse the last entry */
} parse_t;

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) abort();
  return q;
}

static char *xstrndup(const char *s, size_t n) {
  char *d = xrealloc(NULL, n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static rb_cell_t *add_cell(rb_block_t *b) {
  b->cells = xrealloc(b->cells, (b->ncells + 1) * sizeof *b->cells);
  rb_cell_t *c = &b->cells[b->ncells++];
  memset(c, 0, sizeof *c);
  return c;
}

static int list_top(parse_t *p) {
  return p->nlists > MAX_LISTS ? MAX_LISTS - 1 : p->nlists - 1;
}

static rb_block_t *new_block(parse_t *p, rb_kind_t kind) {
  rb_doc_t *d = p->doc;
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 32;
    d->blocks = xrealloc(d->blocks, d->cap * sizeof *d->blocks);
  }
  rb_block_t *b = &d->blocks[d->n];
  memset(b, 0, sizeof *b);
  b->kind = kind;
  b->depth = p->nlists;
  b->quote = p->quote;
  if (kind != RB_ROW) add_cell(b);
  p->cur = (long)d->n++;
  p->fresh = 0;
  return b;
}

/* Appends text to the current block's last cell with the current styles. */
static void put_text(parse_t *p, const char *s, size_t n) {
  if (!n) return;
  if (p->cur < 0) new_block(p, RB_PARA);
  rb_block_t *b = &p->doc->blocks[p->cur];
  rb_cell_t *c = b->ncells ? &b->cells[b->ncells - 1] : add_cell(b);
  int flags = (p->bold ? RB_BOLD : 0) | (p->italic ? RB_ITALIC : 0) | (p->code ? RB_CODE : 0) |
              (p->link ? RB_LINK : 0) | (p->strike ? RB_STRIKE : 0);
  if (b->kind == RB_CODEBLOCK) flags = RB_CODE;
  rb_run_t *last = c->nruns ? &c->runs[c->nruns - 1] : NULL;
  if (last && last->flags == flags &&
      ((!last->href && !(flags & RB_LINK)) || (last->href && p->href && !strcmp(last->href, p->href)))) {
    size_t l = strlen(last->text);
    last->text = xrealloc(last->text, l + n + 1);
    memcpy(last->text + l, s, n);
    last->text[l + n] = 0;
  } else {
    if (c->nruns == c->cap) {
      c->cap = c->cap ? c->cap * 2 : 4;
      c->runs = xrealloc(c->runs, c->cap * sizeof *c->runs);
    }
    rb_run_t *r = &c->runs[c->nruns++];
    r->text = xstrndup(s, n);
    r->flags = flags;
    r->href = (flags & RB_LINK) && p->href ? strdup(p->href) : NULL;
  }
  p->fresh = 0;
}

/* An entity (&amp;, &#233;, &#x1F600;) as UTF-8; unknown ones stay as written. */
static void put_entity(parse_t *p, const char *s, size_t n) {
  char u[8];
  if (text_entity_decode(s, n, 0, u) == n)
    put_text(p, u, strlen(u));
  else
    put_text(p, s, n);
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *ud) {
  parse_t *p = ud;
  rb_block_t *b;
  switch (type) {
    case MD_BLOCK_QUOTE:
      p->quote++;
      p->cur = -1;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      p->nlists++;
      if (p->nlists <= MAX_LISTS) {
        int t = list_top(p);
        p->lists[t].ordered = type == MD_BLOCK_OL;
        p->lists[t].start = type == MD_BLOCK_OL ? (int)((MD_BLOCK_OL_DETAIL *)detail)->start : 1;
        p->lists[t].next = p->lists[t].start;
        p->lists[t].id = ++p->doc->lists;
      }
      p->cur = -1;
      break;
    case MD_BLOCK_LI: {
      int t = list_top(p);
      b = new_block(p, RB_ITEM);
      if (t >= 0) {
        b->ordered = p->lists[t].ordered;
        b->number = p->lists[t].next++;
        b->list_id = p->lists[t].id;
        b->list_start = p->lists[t].start;
      }
      p->fresh = 1;
      break;
    }
    case MD_BLOCK_HR:
      new_block(p, RB_RULE);
      p->cur = -1;
      break;
    case MD_BLOCK_H:
      b = new_block(p, RB_HEADING);
      b->level = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
      break;
    case MD_BLOCK_CODE:
      new_block(p, RB_CODEBLOCK);
      break;
    case MD_BLOCK_P:
    case MD_BLOCK_HTML:
      /* the first paragraph of a list item is the item's text */
      if (!(p->cur >= 0 && p->fresh && p->doc->blocks[p->cur].kind == RB_ITEM)) new_block(p, RB_PARA);
      break;
    case MD_BLOCK_TABLE:
      p->doc->tables++;
      p->cur = -1;
      break;
    case MD_BLOCK_THEAD:
      p->in_head = 1;
      break;
    case MD_BLOCK_TBODY:
      p->in_head = 0;
      break;
    case MD_BLOCK_TR:
      b = new_block(p, RB_ROW);
      b->header = p->in_head;
      b->table_id = p->doc->tables;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (p->cur >= 0 && p->doc->blocks[p->cur].kind == RB_ROW) add_cell(&p->doc->blocks[p->cur]);
      break;
    default:
      break;
  }
  return 0;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *ud) {
  parse_t *p = ud;
  (void)detail;
  switch (type) {
    case MD_BLOCK_QUOTE:
      p->quote--;
      p->cur = -1;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      p->nlists--;
      p->cur = -1;
      break;
    case MD_BLOCK_CODE:
      if (p->cur >= 0) { /* the last line's '\n' */
        rb_cell_t *c = &p->doc->blocks[p->cur].cells[0];
        if (c->nruns) {
          char *t = c->runs[c->nruns - 1].text;
          size_t l = strlen(t);
          if (l > 1 && t[l - 1] == '\n') t[l - 1] = 0;
        }
      }
      p->cur = -1;
      break;
    case MD_BLOCK_LI:
    case MD_BLOCK_H:
    case MD_BLOCK_P:
    case MD_BLOCK_HTML:
    case MD_BLOCK_TR:
    case MD_BLOCK_TABLE:
      p->cur = -1;
      p->fresh = 0;
      break;
    default:
      break;
  }
  return 0;
}

/* The depth counter of a styling span (emphasis, strong, code, strikethrough), or NULL. */
static int *style_depth(parse_t *p, MD_SPANTYPE type) {
  switch (type) {
    case MD_SPAN_EM:
      return &p->italic;
    case MD_SPAN_STRONG:
      return &p->bold;
    case MD_SPAN_CODE:
      return &p->code;
    case MD_SPAN_DEL:
      return &p->strike;
    default:
      return NULL;
  }
}

static int enter_span(MD_SPANTYPE type, void *detail, void *ud) {
  parse_t *p = ud;
  int *depth = style_depth(p, type);
  if (depth) {
    (*depth)++;
    return 0;
  }
  switch (type) {
    case MD_SPAN_A: {
      MD_SPAN_A_DETAIL *a = detail;
      p->link++;
      free(p->href);
      /* a refused target (javascript:, data:, ...) keeps the text, not the link */
      p->href =
          a->href.size && report_url_allowed(a->href.text, a->href.size) ? xstrndup(a->href.text, a->href.size) : NULL;
      break;
    }
    case MD_SPAN_IMG: {
      /* a chart drawn by a plugin: kept for the PDF; the alt text follows as text */
      MD_SPAN_IMG_DETAIL *im = detail;
      static const char PFX[] = "data:image/svg+xml;base64,";
      size_t pl = sizeof PFX - 1;
      if (im->src.size <= pl || strncmp(im->src.text, PFX, pl)) break;
      if (p->cur < 0) new_block(p, RB_PARA);
      rb_block_t *b = &p->doc->blocks[p->cur];
      if (b->svg) break;
      size_t n = im->src.size - pl, len = 0;
      char *svg = malloc(n + 1);
      if (!svg) abort();
      if (sodium_base642bin((unsigned char *)svg, n, im->src.text + pl, n, NULL, &len, NULL,
                            sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(svg);
        break;
      }
      svg[len] = 0;
      b->svg = svg;
      break;
    }
    default:
      break;
  }
  return 0;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *ud) {
  parse_t *p = ud;
  (void)detail;
  int *depth = style_depth(p, type);
  if (depth)
    (*depth)--;
  else if (type == MD_SPAN_A && --p->link == 0) {
    free(p->href);
    p->href = NULL;
  }
  return 0;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud) {
  parse_t *p = ud;
  switch (type) {
    case MD_TEXT_NULLCHAR:
      put_text(p, "\xEF\xBF\xBD", 3);
      break;
    case MD_TEXT_BR:
      put_text(p, "\n", 1);
      break;
    case MD_TEXT_SOFTBR:
      put_text(p, " ", 1);
      break;
    case MD_TEXT_ENTITY:
      put_entity(p, text, size);
      break;
    default:
      put_text(p, text, size);
      break;
  }
  return 0;
}

size_t rb_code_end(const char *s, size_t n, size_t i) {
  if (i + 3 <= n && !strncmp(s + i, "```", 3)) {
    const char *q = strstr(s + i + 3, "```");
    if (q) return (size_t)(q - s) + 3;
  }
  if (i < n && s[i] == '`') {
    size_t k = i + 1;
    while (k < n && s[k] != '`' && s[k] != '\n') k++;
    if (k < n && s[k] == '`') return k + 1;
  }
  return 0;
}

char *rb_clean(const char *s) {
  gchar *v = g_utf8_make_valid(s ? s : "", -1);
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (const unsigned char *q = (const unsigned char *)v; *q; q++) {
    if (*q == '\r') continue;
    if (*q < 0x20 && *q != '\n' && *q != '\t') continue;
    if (*q == 0x7f) continue;
    buf_putc(&b, (char)*q);
  }
  g_free(v);
  return buf_detach(&b, NULL);
}

int rb_parse(const char *markdown, rb_doc_t *doc) {
  memset(doc, 0, sizeof *doc);
  char *clean = rb_clean(markdown);
  char *md = rf_resolve(clean); /* footnotes: numbers and a list of notes (footnotes.h) */
  free(clean);
  rm_marks_t marks; /* TeX math: markers now, runs after md4c (math.h) */
  rm_mark(md, &marks);
  free(md);
  md = marks.md;
  marks.md = NULL;
  parse_t p = {.doc = doc, .cur = -1};
  MD_PARSER parser = {0};
  parser.flags = MD_FLAG_TABLES | MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML | MD_FLAG_STRIKETHROUGH;
  parser.enter_block = enter_block;
  parser.leave_block = leave_block;
  parser.enter_span = enter_span;
  parser.leave_span = leave_span;
  parser.text = on_text;
  int rc = md_parse(md, (MD_SIZE)strlen(md), &parser, &p);
  free(p.href);
  free(md);
  if (rc == 0) rm_blocks_expand(doc, &marks);
  rm_marks_free(&marks);
  if (rc != 0) {
    rb_free(doc);
    return -1;
  }
  return 0;
}

void rb_free(rb_doc_t *doc) {
  for (size_t i = 0; i < doc->n; i++) {
    rb_block_t *b = &doc->blocks[i];
    for (size_t c = 0; c < b->ncells; c++) {
      for (size_t r = 0; r < b->cells[c].nruns; r++) {
        free(b->cells[c].runs[r].text);
        free(b->cells[c].runs[r].href);
      }
      free(b->cells[c].runs);
    }
    free(b->cells);
    free(b->svg);
  }
  free(doc->blocks);
  memset(doc, 0, sizeof *doc);
}

char *rb_cell_text(const rb_cell_t *c) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; c && i < c->nruns; i++) buf_puts(&b, c->runs[i].text);
  return buf_detach(&b, NULL);
}
