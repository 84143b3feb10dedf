/*
 * extract.c - charset conversion and main-text extraction from HTML.
 *
 * Charset: the header's charset, else a byte-order mark, else the page's
 * <meta charset> / http-equiv, else UTF-8 when the bytes are valid UTF-8,
 * else windows-1252 (what browsers assume; it is a superset of Latin-1, so
 * "iso-8859-1" is read as windows-1252 too, as the WHATWG encoding standard
 * says). iconv does the conversion; bytes it cannot convert become U+FFFD.
 *
 * Extraction (in the spirit of Mozilla's Readability):
 *   1. metadata first: title (og:title, <title>, first <h1>) and published
 *      date (article:published_time and similar <meta>, JSON-LD
 *      datePublished, <time datetime>);
 *   2. drop what is never content: script, style, nav, header, footer,
 *      aside, forms, iframes, hidden elements, ARIA navigation/banner roles,
 *      and containers whose class/id says menu, sidebar, comments, cookie
 *      banner, share bar...;
 *   3. content-density scoring: every paragraph-like block with some text
 *      adds 1 + commas + length/100 (max 3) to its parent and half to its
 *      grandparent; a container's score is weighted by its tag and its
 *      class/id, then multiplied by (1 - link density). The best container
 *      and its well-scoring siblings are the article;
 *   4. the article is written out in document order: headings as Markdown
 *      "#" lines, paragraphs, list items ("- "), table rows; blocks that are
 *      mostly link text (menus that survived) are skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "web/web_internal.h"

/* ---- charset --------------------------------------------------------------- */

static void find_meta_charset(const char *data, size_t len, char *out, size_t n) {
  out[0] = '\0';
  size_t lim = len < 8192 ? len : 8192;
  for (size_t i = 0; i + 5 < lim; i++) {
    if (data[i] != '<' || strncasecmp(data + i + 1, "meta", 4) != 0) continue;
    size_t end = i;
    while (end < lim && data[end] != '>') end++;
    for (size_t j = i; j + 8 <= end; j++) {
      if (strncasecmp(data + j, "charset=", 8) != 0) continue;
      size_t k = j + 8;
      while (k < end && (data[k] == '"' || data[k] == '\'' || data[k] == ' ')) k++;
      size_t m = 0;
      while (k < end && m + 1 < n && (isalnum((unsigned char)data[k]) || strchr("-_:.", data[k]))) out[m++] = data[k++];
      out[m] = '\0';
      if (m) return;
    }
  }
}

static char *convert(const char *data, size_t len, const char *from, size_t *outlen) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == (iconv_t)-1) return NULL;
  buf_t b = BUF_INIT;
  buf_init(&b);
  char *in = (char *)data;
  size_t inleft = len;
  while (inleft > 0) {
    buf_grow(&b, inleft * 2 + 16);
    char *outp = b.data + b.len;
    size_t outleft = b.cap - b.len - 1;
    size_t r = iconv(cd, &in, &inleft, &outp, &outleft);
    b.len = (size_t)(outp - b.data);
    if (r == (size_t)-1) {
      if (errno == E2BIG) continue;
      buf_puts(&b, "\xEF\xBF\xBD"); /* U+FFFD for an invalid or cut sequence */
      if (errno == EINVAL) break;
      in++;
      inleft--;
      iconv(cd, NULL, NULL, NULL, NULL);
    }
  }
  b.data[b.len] = '\0';
  iconv_close(cd);
  return buf_detach(&b, outlen);
}

char *web_to_utf8(const char *data, size_t len, const char *charset, int is_html, size_t *outlen) {
  char cs[48] = "";
  if (charset && *charset) snprintf(cs, sizeof cs, "%s", charset);
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
    snprintf(cs, sizeof cs, "UTF-8");
  } else if (len >= 2 && memcmp(data, "\xFF\xFE", 2) == 0) {
    snprintf(cs, sizeof cs, "UTF-16LE");
    data += 2;
    len -= 2;
  } else if (len >= 2 && memcmp(data, "\xFE\xFF", 2) == 0) {
    snprintf(cs, sizeof cs, "UTF-16BE");
    data += 2;
    len -= 2;
  }
  if (!cs[0] && is_html) find_meta_charset(data, len, cs, sizeof cs);
  if (!cs[0]) snprintf(cs, sizeof cs, "%s", util_utf8_valid(data, len) ? "UTF-8" : "WINDOWS-1252");
  if (strcasecmp(cs, "iso-8859-1") == 0 || strcasecmp(cs, "latin1") == 0 || strcasecmp(cs, "latin-1") == 0 ||
      strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "iso8859-1") == 0)
    snprintf(cs, sizeof cs, "WINDOWS-1252");
  if ((strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0) && util_utf8_valid(data, len)) {
    *outlen = len;
    return util_strndup(data, len);
  }
  char *r = convert(data, len, cs, outlen);
  if (!r) /* unknown charset: best effort */
    r = convert(data, len, util_utf8_valid(data, len) ? "UTF-8" : "WINDOWS-1252", outlen);
  return r;
}

/* ---- helpers ------------------------------------------------------------------ */

static int is_tag(const xmlNode *n, const char *name) {
  return n && n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

static int tag_in(const xmlNode *n, const char *const *list) {
  if (!n || n->type != XML_ELEMENT_NODE) return 0;
  for (; *list; list++)
    if (strcasecmp((const char *)n->name, *list) == 0) return 1;
  return 0;
}

static char *attr(const xmlNode *n, const char *name) {
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  if (!v) return NULL;
  char *r = util_strdup((const char *)v);
  xmlFree(v);
  return r;
}

static int heading_level(const xmlNode *n) {
  if (!n || n->type != XML_ELEMENT_NODE) return 0;
  const char *nm = (const char *)n->name;
  if ((nm[0] == 'h' || nm[0] == 'H') && nm[1] >= '1' && nm[1] <= '6' && nm[2] == '\0') return nm[1] - '0';
  return 0;
}

static const char *const BLOCK_TAGS[] = {
    "address", "article", "aside", "blockquote", "body",     "caption",    "center",  "dd",     "details",
    "dialog",  "div",     "dl",    "dt",         "fieldset", "figcaption", "figure",  "footer", "form",
    "h1",      "h2",      "h3",    "h4",         "h5",       "h6",         "header",  "hr",     "li",
    "main",    "nav",     "ol",    "p",          "pre",      "section",    "table",   "tbody",  "td",
    "tfoot",   "th",      "thead", "tr",         "ul",       "html",       "summary", NULL};

static int is_block(const xmlNode *n) {
  return tag_in(n, BLOCK_TAGS);
}

static int has_block_child(const xmlNode *n) {
  for (const xmlNode *c = n->children; c; c = c->next)
    if (is_block(c)) return 1;
  return 0;
}

/* Appends the text under n with whitespace collapsed; counts link text. */
static void gather(const xmlNode *n, buf_t *b, size_t *linklen, int in_link) {
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      for (const unsigned char *p = c->content; p && *p; p++) {
        if (isspace(*p)) {
          if (b->len && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '\n') buf_putc(b, ' ');
        } else {
          buf_putc(b, (char)*p);
          if (in_link) (*linklen)++;
        }
      }
    } else if (c->type == XML_ELEMENT_NODE) {
      if (is_tag(c, "br")) {
        while (b->len && b->data[b->len - 1] == ' ') b->len--;
        buf_putc(b, '\n');
        continue;
      }
      int blk = is_block(c);
      if (blk && b->len && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '\n') buf_putc(b, ' ');
      gather(c, b, linklen, in_link || is_tag(c, "a"));
      if (blk && b->len && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '\n') buf_putc(b, ' ');
    }
  }
}

/* Text of n (trimmed, malloc'd) and its link density. */
static char *node_text(const xmlNode *n, double *link_density) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t linklen = 0;
  gather(n, &b, &linklen, is_tag(n, "a"));
  char *s = buf_detach(&b, NULL);
  util_trim(s);
  size_t l = strlen(s);
  if (link_density) *link_density = l ? (double)linklen / (double)l : 0.0;
  return s;
}

/* ---- metadata --------------------------------------------------------------------- */

typedef struct {
  char *og_title;
  char *title;
  char *h1;
  char *published;
  int pub_rank; /* lower = more trustworthy source */
} meta_t;

static void set_pub(meta_t *m, const char *v, int rank) {
  if (!v) return;
  while (isspace((unsigned char)*v)) v++;
  if (!*v || strlen(v) > 64) return;
  if (!isdigit((unsigned char)v[0])) return; /* dates start with a year (or a day) */
  if (m->published && m->pub_rank <= rank) return;
  free(m->published);
  m->published = util_strdup(v);
  util_trim(m->published);
  m->pub_rank = rank;
}

static void jsonld_date(json_t *j, meta_t *m, int depth) {
  if (!j || depth > 6) return;
  if (json_is_object(j)) {
    json_t *d = json_object_get(j, "datePublished");
    if (json_is_string(d)) set_pub(m, json_string_value(d), 1);
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      if (json_is_object(v) || json_is_array(v)) jsonld_date(v, m, depth + 1);
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) jsonld_date(v, m, depth + 1);
  }
}

static void collect_meta(xmlNode *n, meta_t *m) {
  for (xmlNode *c = n; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_tag(c, "meta")) {
      char *prop = attr(c, "property");
      char *name = attr(c, "name");
      char *itemprop = attr(c, "itemprop");
      char *content = attr(c, "content");
      const char *key = prop ? prop : name;
      if (content && key) {
        if (strcasecmp(key, "og:title") == 0 && !m->og_title) {
          m->og_title = util_strdup(content);
        } else if (strcasecmp(key, "article:published_time") == 0) {
          set_pub(m, content, 0);
        } else if (strcasecmp(key, "date") == 0 || strcasecmp(key, "pubdate") == 0 ||
                   strcasecmp(key, "publishdate") == 0 || strcasecmp(key, "publish-date") == 0 ||
                   strcasecmp(key, "dc.date") == 0 || strcasecmp(key, "dc.date.issued") == 0 ||
                   strcasecmp(key, "dcterms.created") == 0 || strcasecmp(key, "dcterms.date") == 0 ||
                   strcasecmp(key, "citation_publication_date") == 0 || strcasecmp(key, "parsely-pub-date") == 0 ||
                   strcasecmp(key, "sailthru.date") == 0) {
          set_pub(m, content, 2);
        }
      }
      if (content && itemprop && strcasecmp(itemprop, "datePublished") == 0) set_pub(m, content, 1);
      free(prop);
      free(name);
      free(itemprop);
      free(content);
    } else if (is_tag(c, "title") && !m->title) {
      m->title = node_text(c, NULL);
    } else if (is_tag(c, "h1") && !m->h1) {
      m->h1 = node_text(c, NULL);
    } else if (is_tag(c, "time")) {
      char *dt = attr(c, "datetime");
      char *ip = attr(c, "itemprop");
      xmlChar *pd = xmlGetProp(c, (const xmlChar *)"pubdate");
      int rank = (ip && strcasecmp(ip, "datePublished") == 0) ? 1 : pd ? 2 : 3;
      set_pub(m, dt, rank);
      free(dt);
      free(ip);
      if (pd) xmlFree(pd);
    } else if (is_tag(c, "script")) {
      char *type = attr(c, "type");
      if (type && strcasecmp(type, "application/ld+json") == 0) {
        xmlChar *txt = xmlNodeGetContent(c);
        if (txt) {
          json_t *j = json_loads((const char *)txt, 0, NULL);
          jsonld_date(j, m, 0);
          json_decref(j);
          xmlFree(txt);
        }
      }
      free(type);
      continue;
    }
    collect_meta(c->children, m);
  }
}

/* ---- boilerplate removal --------------------------------------------------------- */

static const char *const DROP_TAGS[] = {"script", "style",  "noscript", "nav",    "header", "footer",   "aside",
                                        "form",   "iframe", "svg",      "button", "select", "textarea", "template",
                                        "object", "embed",  "canvas",   "menu",   "dialog", "input",    "label",
                                        "link",   "meta",   "head",     "math",   NULL};

static int word_match(const char *hay, const char *const *words) {
  for (; *words; words++)
    if (strcasestr(hay, *words)) return 1;
  return 0;
}

static const char *const UNLIKELY[] = {
    "banner",  "breadcrumb", "combx",      "comment",   "community",    "cookie",   "disqus",  "extra",      "footer",
    "gdpr",    "header",     "legends",    "menu",      "related",      "remark",   "replies", "rss",        "shoutbox",
    "sidebar", "skyscraper", "social",     "sponsor",   "supplemental", "ad-break", "agegate", "pagination", "pager",
    "popup",   "share",      "newsletter", "subscribe", "navbar",       "promo",    "widget",  "masthead",   NULL};
static const char *const MAYBE[] = {"and", "article", "body", "column", "content", "main", "shadow", NULL};
static const char *const POSITIVE[] = {"article", "body", "content", "entry", "hentry", "h-entry", "main",
                                       "page",    "post", "text",    "blog",  "story",  NULL};
static const char *const NEGATIVE[] = {
    "-ad-",   "hidden",   "hid",      "banner",   "combx",      "comment",   "com-",     "contact", "foot",
    "footer", "footnote", "gdpr",     "masthead", "media",      "meta",      "outbrain", "promo",   "related",
    "scroll", "share",    "shoutbox", "sidebar",  "skyscraper", "sponsor",   "shopping", "tags",    "tool",
    "widget", "menu",     "nav",      "cookie",   "social",     "subscribe", NULL};

static char *class_id(const xmlNode *n) {
  char *c = attr(n, "class");
  char *i = attr(n, "id");
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (c) buf_puts(&b, c);
  buf_putc(&b, ' ');
  if (i) buf_puts(&b, i);
  free(c);
  free(i);
  return buf_detach(&b, NULL);
}

static int is_hidden(const xmlNode *n) {
  char *style = attr(n, "style");
  char *aria = attr(n, "aria-hidden");
  char *role = attr(n, "role");
  xmlChar *hidden = xmlGetProp(n, (const xmlChar *)"hidden");
  int h = 0;
  if (hidden) h = 1;
  if (style) {
    char *s = style;
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    /* remove spaces to match "display: none" */
    char *w = s;
    for (char *p = s; *p; p++)
      if (*p != ' ') *w++ = *p;
    *w = '\0';
    if (strstr(s, "display:none") || strstr(s, "visibility:hidden")) h = 1;
  }
  if (aria && strcasecmp(aria, "true") == 0) h = 1;
  if (role &&
      (strcasecmp(role, "navigation") == 0 || strcasecmp(role, "banner") == 0 || strcasecmp(role, "contentinfo") == 0 ||
       strcasecmp(role, "complementary") == 0 || strcasecmp(role, "search") == 0 || strcasecmp(role, "menu") == 0 ||
       strcasecmp(role, "menubar") == 0 || strcasecmp(role, "dialog") == 0 || strcasecmp(role, "alert") == 0))
    h = 1;
  free(style);
  free(aria);
  free(role);
  if (hidden) xmlFree(hidden);
  return h;
}

static void strip(xmlNode *n) {
  xmlNode *c = n->children;
  while (c) {
    xmlNode *next = c->next;
    int drop = 0;
    if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
      drop = 1;
    } else if (c->type == XML_ELEMENT_NODE) {
      if (tag_in(c, DROP_TAGS) || is_hidden(c)) {
        drop = 1;
      } else if (!is_tag(c, "body") && !is_tag(c, "html") && !is_tag(c, "article") && !is_tag(c, "main") &&
                 !heading_level(c) && !is_tag(c, "a")) {
        char *ci = class_id(c);
        if (word_match(ci, UNLIKELY) && !word_match(ci, MAYBE)) drop = 1;
        free(ci);
      }
    }
    if (drop) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    } else if (c->type == XML_ELEMENT_NODE) {
      strip(c);
    }
    c = next;
  }
}

/* ---- scoring --------------------------------------------------------------------- */

typedef struct {
  xmlNode *node;
  double score;
} cand_t;

typedef struct {
  cand_t *v;
  size_t n, cap;
} cands_t;

static cand_t *cand_of(cands_t *cs, xmlNode *n) {
  if (n->_private) return &cs->v[(uintptr_t)n->_private - 1];
  if (cs->n == cs->cap) {
    cs->cap = cs->cap ? cs->cap * 2 : 64;
    cs->v = realloc(cs->v, cs->cap * sizeof *cs->v);
    if (!cs->v) abort();
  }
  cand_t *c = &cs->v[cs->n++];
  c->node = n;
  c->score = 0;
  if (is_tag(n, "div") || is_tag(n, "article") || is_tag(n, "main"))
    c->score += 5;
  else if (is_tag(n, "pre") || is_tag(n, "td") || is_tag(n, "blockquote"))
    c->score += 3;
  else if (tag_in(n, (const char *const[]){"address", "ol", "ul", "dl", "dd", "dt", "li", "form", NULL}))
    c->score -= 3;
  else if (heading_level(n) || is_tag(n, "th"))
    c->score -= 5;
  if (is_tag(n, "article") || is_tag(n, "main")) c->score += 10;
  char *ci = class_id(n);
  if (word_match(ci, NEGATIVE)) c->score -= 25;
  if (word_match(ci, POSITIVE)) c->score += 25;
  free(ci);
  n->_private = (void *)(uintptr_t)cs->n;
  return c;
}

static int is_para_like(const xmlNode *n) {
  if (is_tag(n, "p") || is_tag(n, "pre") || is_tag(n, "td") || is_tag(n, "blockquote")) return 1;
  /* a div holding only inline content is a paragraph too */
  if (is_tag(n, "div") && !has_block_child(n)) return 1;
  return 0;
}

static void score_blocks(xmlNode *n, cands_t *cs) {
  for (xmlNode *c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_para_like(c) && c->parent && c->parent->type == XML_ELEMENT_NODE) {
      char *t = node_text(c, NULL);
      size_t len = strlen(t);
      if (len >= 25) {
        double s = 1;
        for (const char *p = t; *p; p++)
          if (*p == ',') s += 1;
        s += (double)(len / 100 > 3 ? 3 : len / 100);
        cand_of(cs, c->parent)->score += s;
        xmlNode *gp = c->parent->parent;
        if (gp && gp->type == XML_ELEMENT_NODE) cand_of(cs, gp)->score += s / 2;
        xmlNode *ggp = gp ? gp->parent : NULL;
        if (ggp && ggp->type == XML_ELEMENT_NODE) cand_of(cs, ggp)->score += s / 6;
      }
      free(t);
    }
    score_blocks(c, cs);
  }
}

static void clear_private(xmlNode *n) {
  for (xmlNode *c = n; c; c = c->next) {
    c->_private = NULL;
    if (c->type == XML_ELEMENT_NODE) clear_private(c->children);
  }
}

/* ---- output ------------------------------------------------------------------------- */

static void emit_block(buf_t *out, const char *prefix, const char *text, double ld, int heading) {
  if (!text[0]) return;
  if (!heading && ld > 0.5) return; /* a menu or a list of links */
  if (heading && ld > 0.9 && strlen(text) < 40) return;
  if (out->len) buf_puts(out, "\n\n");
  buf_puts(out, prefix);
  buf_puts(out, text);
}

static void emit(xmlNode *n, buf_t *out);

static void emit_inline_run(buf_t *out, xmlNode *first, xmlNode *end) {
  /* wrap the run in a temporary element-less walk */
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t linklen = 0;
  for (xmlNode *c = first; c != end; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      xmlNode tmp = {0};
      tmp.children = c;
      /* gather walks children; emulate with a single-node list */
      xmlNode *saved = c->next;
      c->next = NULL;
      gather(&tmp, &b, &linklen, 0);
      c->next = saved;
    } else if (c->type == XML_ELEMENT_NODE) {
      if (is_tag(c, "br")) {
        buf_putc(&b, '\n');
        continue;
      }
      size_t before = b.len;
      (void)before;
      gather(c, &b, &linklen, is_tag(c, "a"));
    }
  }
  char *s = buf_detach(&b, NULL);
  util_trim(s);
  size_t l = strlen(s);
  emit_block(out, "", s, l ? (double)linklen / (double)l : 0, 0);
  free(s);
}

static void emit(xmlNode *n, buf_t *out) {
  int h = heading_level(n);
  if (h) {
    double ld;
    char *t = node_text(n, &ld);
    char prefix[8] = "######";
    prefix[h] = ' ';
    prefix[h + 1] = '\0';
    emit_block(out, prefix, t, ld, 1);
    free(t);
    return;
  }
  if (is_tag(n, "tr")) {
    buf_t row = BUF_INIT;
    buf_init(&row);
    double ldsum = 0;
    int cells = 0;
    for (xmlNode *c = n->children; c; c = c->next) {
      if (!is_tag(c, "td") && !is_tag(c, "th")) continue;
      double ld;
      char *t = node_text(c, &ld);
      if (cells++) buf_puts(&row, " | ");
      buf_puts(&row, t);
      ldsum += ld;
      free(t);
    }
    emit_block(out, "", row.data, cells ? ldsum / cells : 0, 0);
    buf_free(&row);
    return;
  }
  if (!has_block_child(n) || is_tag(n, "p") || is_tag(n, "pre")) {
    double ld;
    char *t = node_text(n, &ld);
    emit_block(out, is_tag(n, "li") ? "- " : "", t, ld, 0);
    free(t);
    return;
  }
  /* mixed content: inline runs become paragraphs, block children recurse */
  xmlNode *run = NULL;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (is_block(c)) {
      if (run) emit_inline_run(out, run, c);
      run = NULL;
      emit(c, out);
    } else if (!run && (c->type == XML_TEXT_NODE || c->type == XML_ELEMENT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
      run = c;
    }
  }
  if (run) emit_inline_run(out, run, NULL);
}

static xmlNode *find_body(xmlNode *root) {
  for (xmlNode *c = root; c; c = c->next) {
    if (is_tag(c, "body")) return c;
    if (c->type == XML_ELEMENT_NODE) {
      xmlNode *b = find_body(c->children);
      if (b) return b;
    }
  }
  return NULL;
}

static double link_density(xmlNode *n) {
  double ld;
  char *t = node_text(n, &ld);
  free(t);
  return ld;
}

int web_extract_html(const char *html, size_t len, web_extracted_t *out) {
  memset(out, 0, sizeof *out);
  if (len > INT32_MAX) return -1;
  htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                      HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
  if (!doc) {
    out->title = util_strdup("");
    out->text = util_strdup("");
    return 0;
  }
  xmlNode *root = xmlDocGetRootElement(doc);
  meta_t m = {0};
  if (root) collect_meta(root, &m);
  const char *title = m.og_title && *m.og_title ? m.og_title : m.title && *m.title ? m.title : m.h1 ? m.h1 : "";
  out->title = util_strdup(title);
  util_trim(out->title);
  out->published = m.published;
  m.published = NULL;

  buf_t text = BUF_INIT;
  buf_init(&text);
  xmlNode *body = root ? find_body(root) : NULL;
  if (!body) body = root;
  if (body) {
    strip(body);
    cands_t cs = {0};
    score_blocks(body, &cs);
    cand_t *top = NULL;
    for (size_t i = 0; i < cs.n; i++) {
      cs.v[i].score *= 1.0 - link_density(cs.v[i].node);
      if (!top || cs.v[i].score > top->score) top = &cs.v[i];
    }
    if (top && top->node != body) {
      /* the top container plus siblings that score well */
      double threshold = top->score * 0.2 > 10 ? top->score * 0.2 : 10;
      xmlNode *parent = top->node->parent;
      for (xmlNode *s = parent ? parent->children : top->node; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE) continue;
        int take = s == top->node || heading_level(s) > 0;
        if (!take && s->_private && cs.v[(uintptr_t)s->_private - 1].score >= threshold) take = 1;
        if (!take && is_tag(s, "p")) {
          double ld;
          char *t = node_text(s, &ld);
          size_t l = strlen(t);
          if ((l > 80 && ld < 0.25) || (l > 0 && ld == 0 && strchr(t, '.'))) take = 1;
          free(t);
        }
        if (take) emit(s, &text);
        if (!parent) break;
      }
    } else {
      emit(body, &text);
    }
    free(cs.v);
    clear_private(body);
  }
  free(m.og_title);
  free(m.title);
  free(m.h1);
  xmlFreeDoc(doc);
  out->text = buf_detach(&text, NULL);
  return 0;
}

void web_extracted_free(web_extracted_t *x) {
  if (!x) return;
  free(x->title);
  free(x->text);
  free(x->published);
  memset(x, 0, sizeof *x);
}
