/*
 * parse_html.c - visible text of HTML with libxml2's HTML parser; see parse.h.
 *
 * The parser recovers from bad markup, decodes entities and honours the
 * declared charset (<meta charset> / http-equiv; UTF-8 otherwise when the
 * bytes are valid UTF-8, else Windows-1252). script, style, noscript,
 * template, svg, nav, footer and the like are dropped; headings h1..h6 keep
 * their level; list items get a bullet; table rows become "a | b | c".
 * Bibliographic fields come from <meta> (citation_*, DC.*, OpenGraph),
 * <html lang> and <title>; see head_meta.
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

/*
 * <meta> tags, most trusted first: Highwire citation_* (what Google Scholar
 * reads), then Dublin Core (DC.*), then OpenGraph / article:* and plain
 * author/keywords/description, and <title> last. A field takes the first
 * value offered (rag_doc_set_meta), so the passes run in that order;
 * repeatable author tags are joined first.
 */
static const struct {
  int pass;
  const char *name, *field;
} META_MAP[] = {
    {0, "citation_title", "title"},
    {0, "citation_author", "authors"},
    {0, "citation_authors", "authors"},
    {0, "citation_publication_date", "year"},
    {0, "citation_date", "year"},
    {0, "citation_online_date", "year"},
    {0, "citation_year", "year"},
    {0, "citation_journal_title", "venue"},
    {0, "citation_conference_title", "venue"},
    {0, "citation_inbook_title", "venue"},
    {0, "citation_publisher", "venue"},
    {0, "citation_doi", "doi"},
    {0, "citation_arxiv_id", "arxiv_id"},
    {0, "citation_abstract", "abstract"},
    {0, "citation_keywords", "keywords"},
    {0, "citation_language", "language"},
    {1, "dc.title", "title"},
    {1, "dc.creator", "authors"},
    {1, "dc.date", "year"},
    {1, "dc.date.issued", "year"},
    {1, "dcterms.issued", "year"},
    {1, "dc.identifier", "doi"},
    {1, "dc.source", "venue"},
    {1, "dc.description", "abstract"},
    {1, "dc.subject", "keywords"},
    {1, "dc.language", "language"},
    {2, "og:title", "title"},
    {2, "author", "authors"},
    {2, "article:author", "authors"},
    {2, "article:published_time", "year"},
    {2, "date", "year"},
    {2, "keywords", "keywords"},
    {2, "news_keywords", "keywords"},
    {2, "og:locale", "language"},
    {2, "prism.doi", "doi"},
    {2, "prism.publicationname", "venue"},
};
static const char *const PASS_SOURCE[] = {"html-citation", "html-dc", "html-meta"};

static void head_meta(rag_doc_t *doc, xmlNodePtr head) {
  for (int pass = 0; pass < 3; pass++) {
    buf_t authors = BUF_INIT;
    buf_init(&authors);
    for (xmlNodePtr c = head ? head->children : NULL; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || strcasecmp((const char *)c->name, "meta")) continue;
      xmlChar *name = xmlGetProp(c, (const xmlChar *)"name");
      if (!name) name = xmlGetProp(c, (const xmlChar *)"property");
      xmlChar *content = xmlGetProp(c, (const xmlChar *)"content");
      for (size_t i = 0; name && content && i < sizeof META_MAP / sizeof META_MAP[0]; i++) {
        if (META_MAP[i].pass != pass || strcasecmp((const char *)name, META_MAP[i].name)) continue;
        const char *v = (const char *)content;
        if (!strcmp(META_MAP[i].field, "authors")) {
          if (authors.len < 20000 && *v) buf_printf(&authors, "%s%s", authors.len ? "; " : "", v);
        } else {
          rag_doc_set_meta(doc, META_MAP[i].field, v, PASS_SOURCE[pass]);
        }
      }
      xmlFree(name);
      xmlFree(content);
    }
    if (authors.len) rag_doc_set_meta(doc, "authors", authors.data, PASS_SOURCE[pass]);
    buf_free(&authors);
  }
  for (xmlNodePtr c = head ? head->children : NULL; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcasecmp((const char *)c->name, "title")) continue;
    xmlChar *t = xmlNodeGetContent(c);
    rag_doc_set_meta(doc, "title", (const char *)t, "html-title");
    xmlFree(t);
    break;
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
  if (root) {
    xmlChar *lang = xmlGetProp(root, (const xmlChar *)"lang");
    rag_doc_set_meta(doc, "language", (const char *)lang, "html-lang");
    xmlFree(lang);
  }
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
