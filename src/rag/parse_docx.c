/*
 * parse_docx.c - DOCX (Office Open XML) with libzip + libxml2; see parse.h.
 *
 * Reads word/document.xml (paragraphs in order, headings with their level
 * from the paragraph style or outline level, list items, tables as rows of
 * cells), word/styles.xml (which styles are headings), word/footnotes.xml
 * (appended under "Footnotes") and docProps/core.xml (title, creator,
 * keywords, description, language, created).
 *
 * Untrusted input: the archive may hold at most DOCX_MAX_ENTRIES entries,
 * an XML part at most DOCX_MAX_PART bytes once inflated, all parts together
 * at most DOCX_MAX_TOTAL, and the inflated/compressed ratio of a part may not
 * exceed DOCX_MAX_RATIO (zip bombs). XML is parsed with XML_PARSE_NONET and
 * without XML_PARSE_NOENT/DTDLOAD, and only text nodes are read, so external
 * or internal entities are never expanded.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "base/buf.h"
#include "rag/parse.h"

#define DOCX_MAX_ENTRIES 10000
#define DOCX_MAX_PART (64u << 20)
#define DOCX_MAX_TOTAL (256u << 20)
#define DOCX_MAX_RATIO 200

typedef struct {
  zip_t *z;
  size_t total;
  char *err;
  size_t errlen;
} docx_zip_t;

/* Reads an entry with the limits; NULL when missing (*missing = 1) or over a limit (err set). */
static char *read_part(docx_zip_t *dz, const char *name, size_t *len, int *missing) {
  *missing = 0;
  zip_int64_t idx = zip_name_locate(dz->z, name, 0);
  if (idx < 0) {
    *missing = 1;
    return NULL;
  }
  zip_stat_t zs;
  zip_stat_init(&zs);
  if (zip_stat_index(dz->z, (zip_uint64_t)idx, 0, &zs) != 0) {
    snprintf(dz->err, dz->errlen, "damaged DOCX: cannot read %s", name);
    return NULL;
  }
  zip_file_t *f = zip_fopen_index(dz->z, (zip_uint64_t)idx, 0);
  if (!f) {
    snprintf(dz->err, dz->errlen, "damaged DOCX: cannot open %s", name);
    return NULL;
  }
  uint64_t comp = (zs.valid & ZIP_STAT_COMP_SIZE) ? zs.comp_size : 0;
  buf_t b = BUF_INIT;
  buf_init(&b);
  char chunk[65536];
  zip_int64_t k;
  int bad = 0;
  while ((k = zip_fread(f, chunk, sizeof chunk)) > 0) {
    buf_append(&b, chunk, (size_t)k);
    /* limits are checked on what was really inflated, not on the header's claims */
    if (b.len > DOCX_MAX_PART || dz->total + b.len > DOCX_MAX_TOTAL ||
        (b.len > (1u << 20) && b.len / (comp ? comp : 1) > DOCX_MAX_RATIO)) {
      snprintf(dz->err, dz->errlen, "DOCX rejected: %s inflates beyond the safety limits (zip bomb?)", name);
      bad = 1;
      break;
    }
  }
  if (!bad && k < 0) {
    snprintf(dz->err, dz->errlen, "damaged DOCX: %s is corrupt", name);
    bad = 1;
  }
  zip_fclose(f);
  if (bad) {
    buf_free(&b);
    return NULL;
  }
  dz->total += b.len;
  *len = b.len;
  return buf_detach(&b, NULL);
}

static xmlDocPtr parse_xml(const char *data, size_t len, const char *name) {
  /* NONET: never fetch; no NOENT/DTDLOAD: entities stay unexpanded references */
  return xmlReadMemory(data, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int is(xmlNodePtr n, const char *local) {
  return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static char *attr(xmlNodePtr n, const char *name) {
  return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* ---------- styles: style id -> heading level ---------- */

typedef struct {
  char *id;
  int level; /* 1..9, 0 = not a heading */
} style_t;

typedef struct {
  style_t *v;
  size_t n;
} styles_t;

static int level_from_name(const char *name) {
  if (!name) return 0;
  if (!strcasecmp(name, "title")) return 1;
  if (!strncasecmp(name, "heading", 7)) {
    const char *p = name + 7;
    while (*p == ' ') p++;
    int lv = atoi(p);
    if (lv >= 1 && lv <= 9) return lv;
  }
  return 0;
}

static void load_styles(styles_t *st, xmlDocPtr doc) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  for (xmlNodePtr s = root ? root->children : NULL; s; s = s->next) {
    if (!is(s, "style")) continue;
    char *id = attr(s, "styleId");
    if (!id) continue;
    int level = 0;
    for (xmlNodePtr c = s->children; c; c = c->next) {
      if (is(c, "name")) {
        char *v = attr(c, "val");
        if (!level) level = level_from_name(v);
        xmlFree(v);
      } else if (is(c, "pPr")) {
        for (xmlNodePtr p = c->children; p; p = p->next)
          if (is(p, "outlineLvl")) {
            char *v = attr(p, "val");
            if (v && !level) level = atoi(v) + 1;
            xmlFree(v);
          }
      }
    }
    style_t *nv = realloc(st->v, (st->n + 1) * sizeof *nv);
    if (!nv) abort();
    st->v = nv;
    st->v[st->n].id = strdup(id);
    st->v[st->n].level = level > 9 ? 0 : level;
    st->n++;
    xmlFree(id);
  }
}

static int style_level(const styles_t *st, const char *id) {
  for (size_t i = 0; i < st->n; i++)
    if (strcmp(st->v[i].id, id) == 0) return st->v[i].level;
  return level_from_name(id); /* "Heading1" without styles.xml */
}

/* ---------- document body ---------- */

typedef struct {
  rag_doc_t *doc;
  styles_t styles;
  int depth;
} walk_t;

/* Appends the visible text of a paragraph's runs (recursing through
 * hyperlinks, smart tags, insertions and content controls). */
static void run_text(xmlNodePtr n, buf_t *out, int depth) {
  if (depth > 64) return;
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (is(n, "t") && c->content) buf_puts(out, (const char *)c->content);
      continue;
    }
    if (c->type != XML_ELEMENT_NODE) continue; /* entity references are never expanded */
    if (is(c, "t"))
      run_text(c, out, depth + 1);
    else if (is(c, "tab"))
      buf_putc(out, '\t');
    else if (is(c, "br") || is(c, "cr"))
      buf_putc(out, '\n');
    else if (is(c, "footnoteReference") || is(c, "endnoteReference")) {
      char *id = attr(c, "id");
      buf_printf(out, "[%s]", id ? id : "?");
      xmlFree(id);
    } else if (is(c, "delText") || is(c, "instrText") || is(c, "del") || is(c, "pPr") || is(c, "rPr")) {
      continue;
    } else {
      run_text(c, out, depth + 1);
    }
  }
}

static void paragraph(walk_t *w, xmlNodePtr p, buf_t *into) {
  int level = 0, list = 0;
  for (xmlNodePtr c = p->children; c; c = c->next) {
    if (!is(c, "pPr")) continue;
    for (xmlNodePtr q = c->children; q; q = q->next) {
      if (is(q, "pStyle")) {
        char *v = attr(q, "val");
        if (v) level = style_level(&w->styles, v);
        xmlFree(v);
      } else if (is(q, "outlineLvl")) {
        char *v = attr(q, "val");
        if (v && !level) {
          int lv = atoi(v) + 1;
          level = lv >= 1 && lv <= 9 ? lv : 0;
        }
        xmlFree(v);
      } else if (is(q, "numPr")) {
        list = 1;
      }
    }
  }
  buf_t text = BUF_INIT;
  buf_init(&text);
  if (list && !level) buf_puts(&text, "- ");
  run_text(p, &text, 0);
  if (into) {
    if (into->len && text.len) buf_putc(into, ' ');
    buf_append(into, text.data, text.len);
  } else if (level) {
    rag_doc_heading(w->doc, level > 6 ? 6 : level, text.data, text.len);
    if (level == 1 && text.len) rag_doc_set_meta(w->doc, "title", text.data, "heading");
  } else {
    rag_doc_para(w->doc, text.data, text.len);
  }
  buf_free(&text);
}

static void block_children(walk_t *w, xmlNodePtr parent, buf_t *into);

/* A table becomes one paragraph per row, cells separated by " | ". */
static void table(walk_t *w, xmlNodePtr tbl) {
  for (xmlNodePtr tr = tbl->children; tr; tr = tr->next) {
    if (!is(tr, "tr")) continue;
    buf_t row = BUF_INIT;
    buf_init(&row);
    int cells = 0;
    for (xmlNodePtr tc = tr->children; tc; tc = tc->next) {
      if (!is(tc, "tc")) continue;
      buf_t cell = BUF_INIT;
      buf_init(&cell);
      block_children(w, tc, &cell);
      if (cells++) buf_puts(&row, " | ");
      buf_append(&row, cell.data, cell.len);
      buf_free(&cell);
    }
    rag_doc_para(w->doc, row.data, row.len);
    buf_free(&row);
  }
}

static void block_children(walk_t *w, xmlNodePtr parent, buf_t *into) {
  if (++w->depth > 64) {
    w->depth--;
    return;
  }
  for (xmlNodePtr c = parent->children; c; c = c->next) {
    if (is(c, "p"))
      paragraph(w, c, into);
    else if (is(c, "tbl")) {
      if (into) { /* nested table inside a cell: flatten */
        block_children(w, c, into);
      } else {
        table(w, c);
      }
    } else if (is(c, "tr") || is(c, "tc") || is(c, "sdt") || is(c, "sdtContent") || is(c, "customXml") ||
               is(c, "ins") || is(c, "smartTag")) {
      block_children(w, c, into);
    }
  }
  w->depth--;
}

static void footnotes(walk_t *w, xmlDocPtr fx) {
  xmlNodePtr root = xmlDocGetRootElement(fx);
  int any = 0;
  for (xmlNodePtr f = root ? root->children : NULL; f; f = f->next) {
    if (!is(f, "footnote")) continue;
    char *type = attr(f, "type");
    int skip = type != NULL; /* separator, continuationSeparator */
    xmlFree(type);
    if (skip) continue;
    char *id = attr(f, "id");
    buf_t t = BUF_INIT;
    buf_init(&t);
    block_children(w, f, &t);
    if (t.len) {
      if (!any++) rag_doc_heading(w->doc, 1, "Footnotes", 9);
      buf_t line = BUF_INIT;
      buf_init(&line);
      buf_printf(&line, "[%s] %s", id ? id : "?", t.data);
      rag_doc_para(w->doc, line.data, line.len);
      buf_free(&line);
    }
    buf_free(&t);
    xmlFree(id);
  }
}

/* docProps/core.xml: read before the body, so the declared title wins over
 * the first heading (unless it is a placeholder like "Document1"). */
static void core_props(rag_doc_t *doc, xmlDocPtr cx) {
  static const struct {
    const char *name, *field;
  } MAP[] = {{"title", "title"},
             {"creator", "authors"},
             {"keywords", "keywords"},
             {"description", "abstract"},
             {"language", "language"},
             {"created", "year"},
             {NULL, NULL}};
  xmlNodePtr root = xmlDocGetRootElement(cx);
  for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !c->children || c->children->type != XML_TEXT_NODE) continue;
    const char *v = (const char *)c->children->content;
    for (int i = 0; MAP[i].name; i++)
      if (is(c, MAP[i].name)) rag_doc_set_meta(doc, MAP[i].field, v, "docx-core");
  }
}

int rag_parse_docx(const char *data, size_t len, rag_doc_t *doc, char *err, size_t errlen) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
  zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
  if (!z) {
    snprintf(err, errlen, "damaged DOCX: %s", zip_error_strerror(&ze));
    if (src) zip_source_free(src);
    zip_error_fini(&ze);
    return -1;
  }
  zip_error_fini(&ze);
  int ret = -1;
  walk_t w = {.doc = doc};
  docx_zip_t dz = {.z = z, .err = err, .errlen = errlen};
  char *main = NULL, *part = NULL;
  xmlDocPtr x = NULL;
  zip_int64_t entries = zip_get_num_entries(z, 0);
  if (entries < 0 || entries > DOCX_MAX_ENTRIES) {
    snprintf(err, errlen, "DOCX rejected: %lld entries (limit %d)", (long long)entries, DOCX_MAX_ENTRIES);
    goto out;
  }
  size_t n = 0;
  int missing = 0;
  part = read_part(&dz, "word/styles.xml", &n, &missing);
  if (!part && !missing) goto out;
  if (part) {
    xmlDocPtr sx = parse_xml(part, n, "styles.xml");
    if (sx) {
      load_styles(&w.styles, sx);
      xmlFreeDoc(sx);
    }
    free(part);
    part = NULL;
  }
  part = read_part(&dz, "docProps/core.xml", &n, &missing);
  if (!part && !missing) goto out;
  if (part) {
    xmlDocPtr cx = parse_xml(part, n, "core.xml");
    if (cx) {
      core_props(doc, cx);
      xmlFreeDoc(cx);
    }
    free(part);
    part = NULL;
  }
  main = read_part(&dz, "word/document.xml", &n, &missing);
  if (!main) {
    if (missing) snprintf(err, errlen, "not a DOCX: word/document.xml missing");
    goto out;
  }
  x = parse_xml(main, n, "document.xml");
  if (!x) {
    snprintf(err, errlen, "damaged DOCX: word/document.xml is not well-formed XML");
    goto out;
  }
  xmlNodePtr root = xmlDocGetRootElement(x);
  for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
    if (is(c, "body")) block_children(&w, c, NULL);
  part = read_part(&dz, "word/footnotes.xml", &n, &missing);
  if (!part && !missing) goto out;
  if (part) {
    xmlDocPtr fx = parse_xml(part, n, "footnotes.xml");
    if (fx) {
      footnotes(&w, fx);
      xmlFreeDoc(fx);
    }
    free(part);
    part = NULL;
  }
  ret = 0;
out:
  if (x) xmlFreeDoc(x);
  free(main);
  free(part);
  for (size_t i = 0; i < w.styles.n; i++) free(w.styles.v[i].id);
  free(w.styles.v);
  zip_discard(z);
  return ret;
}
