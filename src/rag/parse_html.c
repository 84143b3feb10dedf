/*
 * parse_html.c - visible text of HTML with libxml2's HTML parser; see parse.h.
 *
 * The parser recovers from bad markup, decodes entities and honours the
 * declared charset (<meta charset> / http-equiv; UTF-8 otherwise when the
 * bytes are valid UTF-8, else Windows-1252). script, style, noscript,
 * template, svg, nav, footer and the like are dropped; headings h1..h6 keep
 * their level; list items get a bullet; table rows become "a | b | c".
 * Title, author and date come from <title> and <meta>.
 */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/util.h"
#include "rag/parse.h"

typedef struct {
  rag_doc_t *doc;
  buf_t cur;
  int cells;
  int depth;
} html_walk_t;

static int name_is(xmlNodePtr n, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (!strcasecmp((const char *)n->name, names[i])) return 1;
  return 0;
}

static const char *const DROP[] = {"script", "style",  "noscript", "template", "svg",    "nav",    "footer", "head",
                                   "iframe", "object", "embed",    "button",   "select", "canvas", "math",   NULL};
static const char *const BLOCK[] = {
    "p",     "div",     "section", "article", "main",       "header",  "aside", "blockquote", "pre",   "ul",    "ol",
    "dl",    "dt",      "dd",      "figure",  "figcaption", "address", "form",  "fieldset",   "table", "thead", "tbody",
    "tfoot", "caption", "hr",      "details", "summary",    "center",  "body",  "html",       NULL};

static void flush(html_walk_t *w) {
  if (w->cur.len) rag_doc_para(w->doc, w->cur.data, w->cur.len);
  buf_reset(&w->cur);
}

static void walk(html_walk_t *w, xmlNodePtr n) {
  if (++w->depth > 256) {
    w->depth--;
    return;
  }
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (c->content) buf_puts(&w->cur, (const char *)c->content);
      continue;
    }
    if (c->type != XML_ELEMENT_NODE) continue;
    const char *name = (const char *)c->name;
    if (name_is(c, DROP)) continue;
    if (strlen(name) == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6') {
      flush(w);
      walk(w, c);
      rag_doc_heading(w->doc, name[1] - '0', w->cur.data, w->cur.len);
      buf_reset(&w->cur);
    } else if (!strcasecmp(name, "br")) {
      buf_putc(&w->cur, ' ');
    } else if (!strcasecmp(name, "li")) {
      flush(w);
      buf_puts(&w->cur, "- ");
      walk(w, c);
      flush(w);
    } else if (!strcasecmp(name, "tr")) {
      flush(w);
      int saved = w->cells;
      w->cells = 0;
      walk(w, c);
      w->cells = saved;
      flush(w);
    } else if (!strcasecmp(name, "td") || !strcasecmp(name, "th")) {
      if (w->cells++) buf_puts(&w->cur, " | ");
      walk(w, c);
    } else if (name_is(c, BLOCK)) {
      flush(w);
      walk(w, c);
      flush(w);
    } else {
      walk(w, c); /* inline element */
    }
  }
  w->depth--;
}

static xmlNodePtr find(xmlNodePtr n, const char *name, int depth) {
  if (depth > 64) return NULL;
  for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (!strcasecmp((const char *)c->name, name)) return c;
    xmlNodePtr r = find(c, name, depth + 1);
    if (r) return r;
  }
  return NULL;
}

static void head_meta(rag_doc_t *doc, xmlNodePtr head) {
  for (xmlNodePtr c = head ? head->children : NULL; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (!strcasecmp((const char *)c->name, "title")) {
      xmlChar *t = xmlNodeGetContent(c);
      rag_doc_meta(&doc->title, (const char *)t);
      xmlFree(t);
    } else if (!strcasecmp((const char *)c->name, "meta")) {
      xmlChar *name = xmlGetProp(c, (const xmlChar *)"name");
      if (!name) name = xmlGetProp(c, (const xmlChar *)"property");
      xmlChar *content = xmlGetProp(c, (const xmlChar *)"content");
      if (name && content) {
        const char *nm = (const char *)name, *v = (const char *)content;
        if (!strcasecmp(nm, "author") || !strcasecmp(nm, "citation_author") || !strcasecmp(nm, "dc.creator"))
          rag_doc_meta(&doc->authors, v);
        else if ((!strcasecmp(nm, "date") || !strcasecmp(nm, "citation_publication_date") ||
                  !strcasecmp(nm, "article:published_time") || !strcasecmp(nm, "dc.date")) &&
                 strlen(v) >= 4) {
          char y[5];
          memcpy(y, v, 4);
          y[4] = '\0';
          rag_doc_meta(&doc->year, y);
        } else if (!strcasecmp(nm, "citation_title") || !strcasecmp(nm, "og:title"))
          rag_doc_meta(&doc->title, v);
      }
      xmlFree(name);
      xmlFree(content);
    }
  }
}

/* 1 if the first KB declares a charset (then libxml2 follows it). */
static int declares_charset(const char *data, size_t len) {
  size_t n = len < 2048 ? len : 2048;
  for (size_t i = 0; i + 8 <= n; i++)
    if (!strncasecmp(data + i, "charset=", 8)) return 1;
  for (size_t i = 0; i + 7 <= n; i++)
    if (!strncasecmp(data + i, "charset", 7)) return 1;
  return 0;
}

int rag_parse_html(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen) {
  if (len > (size_t)0x7fffffff) {
    snprintf(err, errlen, "HTML file too large");
    return -1;
  }
  const char *enc = NULL;
  if (!declares_charset(data, len)) enc = util_utf8_valid(data, len) ? "UTF-8" : "WINDOWS-1252";
  htmlDocPtr h = htmlReadMemory(
      data, (int)len, NULL, enc,
      HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NOBLANKS);
  if (!h) {
    snprintf(err, errlen, "cannot parse HTML");
    return -1;
  }
  xmlNodePtr root = xmlDocGetRootElement(h);
  head_meta(doc, find((xmlNodePtr)h, "head", 0));
  html_walk_t w = {.doc = doc};
  buf_init(&w.cur);
  if (root) {
    xmlNodePtr body = find((xmlNodePtr)h, "body", 0);
    walk(&w, body ? body : root);
  }
  flush(&w);
  buf_free(&w.cur);
  xmlFreeDoc(h);
  return 0;
}
