/*
 * meta.c - bibliographic metadata of parsed documents; see parse.h.
 *
 * The parsers hand every candidate value to rag_doc_set_meta() in the order
 * of trust of their format (declared metadata first, heuristics last); the
 * first value a field accepts wins and its source is recorded, so the API
 * can say where a title came from and a re-ingestion never overwrites what
 * the user typed (see store_doc_mark_ready_meta).
 *
 * Everything here reads untrusted text: lengths are bounded, nothing is
 * used as a format string, XML is parsed without network or entities.
 */
#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/text.h"
#include "base/util.h"
#include "rag/parse.h"
#include "rag/rag.h"
#include "store/fts.h"

#define META_TITLE_MAX 500
#define META_ABSTRACT_MAX 5000
#define META_LIST_MAX 100

/* ---------- patterns ---------- */

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Trailing characters that end a sentence rather than an identifier. */
static size_t trim_trailing_punct(const char *s, size_t n) {
  while (n > 0 && strchr(".,;:'\"]}>", s[n - 1])) n--;
  /* a closing parenthesis belongs to the DOI only when it opened one */
  while (n > 0 && s[n - 1] == ')' && !memchr(s, '(', n)) n--;
  return n;
}

/* The first DOI at or after from; its offset in *at. */
static int find_doi_from(const char *s, size_t len, size_t from, char *out, size_t outlen, size_t *at) {
  for (size_t i = from; i + 7 < len; i++) {
    if (s[i] != '1' || s[i + 1] != '0' || s[i + 2] != '.') continue;
    if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.')) continue;
    size_t j = i + 3, d0 = j;
    while (j < len && is_digit(s[j])) j++;
    if (j - d0 < 4 || j - d0 > 9) continue;
    while (j < len && s[j] == '.' && j + 1 < len && is_digit(s[j + 1])) { /* 10.1000.10/x sub-prefixes */
      j++;
      while (j < len && is_digit(s[j])) j++;
    }
    if (j >= len || s[j] != '/') continue;
    size_t k = j + 1;
    while (k < len && !isspace((unsigned char)s[k]) && s[k] != '"' && s[k] != '<' && s[k] != '>') k++;
    size_t n = trim_trailing_punct(s + i, k - i);
    if (n <= j + 1 - i) continue; /* nothing after the slash */
    if (n >= outlen || n > 300) continue;
    memcpy(out, s + i, n);
    out[n] = '\0';
    *at = i;
    return 1;
  }
  return 0;
}

int rag_meta_find_doi(const char *s, size_t len, char *out, size_t outlen) {
  size_t at;
  return find_doi_from(s, len, 0, out, outlen, &at);
}

/* A DOI that the text labels as one ("DOI: 10...", "https://doi.org/10...",
 * "Digital Object Identifier 10..."): in running text an unlabelled DOI is
 * more often a cited work than the document itself. */
static int find_labelled_doi(const char *s, size_t len, char *out, size_t outlen) {
  size_t at = 0;
  for (size_t from = 0; find_doi_from(s, len, from, out, outlen, &at); from = at + 1) {
    size_t b = at > 24 ? at - 24 : 0;
    for (size_t k = b; k + 3 <= at; k++)
      if (!strncasecmp(s + k, "doi", 3) || (k + 10 <= at && !strncasecmp(s + k, "identifier", 10))) return 1;
  }
  return 0;
}

static const char *const OLD_ARCHIVES[] = {
    "astro-ph", "cond-mat", "gr-qc",    "hep-ex",   "hep-lat", "hep-ph",   "hep-th", "math-ph", "nucl-ex",
    "nucl-th",  "quant-ph", "nlin",     "physics",  "math",    "cs",       "q-bio",  "q-fin",   "stat",
    "chao-dyn", "solv-int", "patt-sol", "adap-org", "cmp-lg",  "comp-gas", NULL};

/* Old-style id at s[i]: archive(.XX)?/NNNNNNN(vN)?; its length or 0. */
static size_t old_arxiv_at(const char *s, size_t len, size_t i) {
  if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '-')) return 0;
  for (int a = 0; OLD_ARCHIVES[a]; a++) {
    size_t al = strlen(OLD_ARCHIVES[a]);
    if (i + al + 8 > len || strncasecmp(s + i, OLD_ARCHIVES[a], al) != 0) continue;
    size_t j = i + al;
    if (s[j] == '.' && j + 3 < len && isupper((unsigned char)s[j + 1]) && isupper((unsigned char)s[j + 2])) j += 3;
    if (j >= len || s[j] != '/') continue;
    j++;
    size_t d0 = j;
    while (j < len && is_digit(s[j])) j++;
    if (j - d0 != 7) continue;
    if (j + 1 < len && s[j] == 'v' && is_digit(s[j + 1])) {
      j++;
      while (j < len && is_digit(s[j])) j++;
    }
    return j - i;
  }
  return 0;
}

/* New-style id at s[i]: NNNN.NNNN(N)?(vN)?; its length or 0. */
static size_t new_arxiv_at(const char *s, size_t len, size_t i) {
  if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.')) return 0;
  size_t j = i;
  while (j < len && is_digit(s[j])) j++;
  if (j - i != 4 || j >= len || s[j] != '.') return 0;
  int mm = (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
  if (mm < 1 || mm > 12) return 0;
  size_t d0 = ++j;
  while (j < len && is_digit(s[j])) j++;
  if (j - d0 < 4 || j - d0 > 5) return 0;
  if (j + 1 < len && s[j] == 'v' && is_digit(s[j + 1])) {
    j++;
    while (j < len && is_digit(s[j])) j++;
  }
  if (j < len && (is_digit(s[j]) || isalpha((unsigned char)s[j]))) return 0;
  return j - i;
}

int rag_meta_find_arxiv(const char *s, size_t len, int bare, char *out, size_t outlen) {
  for (size_t i = 0; i < len; i++) {
    size_t at = i, n = 0;
    if (i + 6 <= len && !strncasecmp(s + i, "arxiv:", 6)) {
      at = i + 6;
      while (at < len && s[at] == ' ') at++;
      n = new_arxiv_at(s, len, at);
      if (!n) n = old_arxiv_at(s, len, at);
    } else if (i + 10 <= len && !strncasecmp(s + i, "arxiv.org/", 10)) {
      at = i + 10;
      if (at + 4 <= len && (!strncmp(s + at, "abs/", 4) || !strncmp(s + at, "pdf/", 4))) at += 4;
      n = new_arxiv_at(s, len, at);
      if (!n) n = old_arxiv_at(s, len, at);
    } else {
      n = old_arxiv_at(s, len, i);
      if (!n && bare) n = new_arxiv_at(s, len, i);
    }
    if (n && n < outlen) {
      memcpy(out, s + at, n);
      out[n] = '\0';
      return 1;
    }
  }
  return 0;
}

/* First plausible year (1000..2100, not inside a longer number) in s; 0 if none. */
static int find_year(const char *s, size_t len) {
  for (size_t i = 0; i + 4 <= len; i++) {
    if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) continue;
    if (!is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 3])) continue;
    if (i + 4 < len && is_digit(s[i + 4])) continue;
    int y = atoi(s + i);
    if (y >= 1000 && y <= 2100) return y;
  }
  return 0;
}

/* ---------- titles ---------- */

static const char *const GENERIC_TITLES[] = {"untitled",
                                             "untitled document",
                                             "no title",
                                             "title",
                                             "document",
                                             "doc",
                                             "paper",
                                             "draft",
                                             "manuscript",
                                             "article",
                                             "unknown",
                                             "anonymous",
                                             "(anonymous)",
                                             "slide 1",
                                             "presentation",
                                             "introduction",
                                             "abstract",
                                             "contents",
                                             "table of contents",
                                             "preface",
                                             "foreword",
                                             "references",
                                             "bibliography",
                                             "acknowledgements",
                                             "acknowledgments",
                                             "appendix",
                                             "conclusion",
                                             "conclusions",
                                             "summary",
                                             "chapter",
                                             "section",
                                             "index",
                                             "cover",
                                             "front matter",
                                             "titlepage",
                                             "title page",
                                             "main",
                                             "template",
                                             "new document",
                                             "blank",
                                             NULL};

static const char *const FILE_EXTS[] = {".doc",  ".docx",  ".pdf", ".tex",  ".dvi", ".ps",  ".txt", ".rtf",  ".odt",
                                        ".indd", ".qxd",   ".eps", ".html", ".htm", ".md",  ".ppt", ".pptx", ".xls",
                                        ".xlsx", ".pages", ".dot", ".dotx", ".wpd", ".xml", ".jpg", ".png",  NULL};

int rag_meta_title_is_junk(const char *title) {
  if (!title) return 1;
  char *t = util_strdup(title);
  char *s = util_trim(t);
  int junk = 0;
  size_t n = strlen(s);
  int letters = 0, spaces = 0, underscores = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalpha(c) || c >= 0x80) letters++;
    if (c == ' ') spaces++;
    if (c == '_') underscores++;
  }
  if (n < 3 || letters < 2) junk = 1;
  /* "Microsoft Word - draft.docx", "PowerPoint Presentation" */
  if (!strncasecmp(s, "microsoft ", 10) || !strncasecmp(s, "word - ", 7) || !strncasecmp(s, "untitled", 8) ||
      !strncasecmp(s, "powerpoint", 10) || !strncasecmp(s, "layout ", 7) || !strncasecmp(s, "doi:", 4) ||
      !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8) || !strncasecmp(s, "file:", 5))
    junk = 1;
  for (int i = 0; !junk && FILE_EXTS[i]; i++)
    if (n > strlen(FILE_EXTS[i]) && !strcasecmp(s + n - strlen(FILE_EXTS[i]), FILE_EXTS[i])) junk = 1;
  /* a path or a file name: no spaces, but slashes or underscores */
  if (!spaces && (strchr(s, '/') || strchr(s, '\\') || underscores)) junk = 1;
  /* "Document1", "Slide 3", "Chapter 2" */
  static const char *const NUMBERED[] = {"document", "slide", "chapter", "section", "part", "page", "draft", NULL};
  for (int i = 0; !junk && NUMBERED[i]; i++) {
    size_t k = strlen(NUMBERED[i]);
    if (!strncasecmp(s, NUMBERED[i], k)) {
      const char *p = s + k;
      while (*p == ' ') p++;
      if (is_digit(*p)) {
        while (is_digit(*p) || *p == '.') p++;
        if (!*p) junk = 1;
      }
    }
  }
  /* a section heading with its number: "13.1. Introduction", "2 Methods" */
  const char *p = s;
  if (!junk && is_digit(*p)) {
    int dots = 0;
    while (is_digit(*p) || *p == '.') dots += *p++ == '.';
    if (*p == ' ' && (dots > 0 || p - s <= 2)) {
      while (*p == ' ') p++;
      if (dots > 0 && (p - s) >= 3) junk = 1; /* "13.1. Anything" reads as a section, not a title */
      for (int i = 0; !junk && GENERIC_TITLES[i]; i++)
        if (!strcasecmp(p, GENERIC_TITLES[i])) junk = 1;
    }
  }
  for (int i = 0; !junk && GENERIC_TITLES[i]; i++)
    if (!strcasecmp(s, GENERIC_TITLES[i])) junk = 1;
  free(t);
  return junk;
}

/* Case-insensitive search of needle in the n bytes of s. */
static int strcasestr_n(const char *s, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (!strncasecmp(s + i, needle, m)) return 1;
  return 0;
}

/* ---------- lists ---------- */

static int name_char_is_marker(unsigned cp) {
  /* affiliation and footnote marks after author names */
  return (cp >= '0' && cp <= '9') || cp == '*' || cp == 0x2020 || cp == 0x2021 || cp == 0xA7 || cp == 0xB6 ||
         cp == 0x2016 || cp == '#' || cp == 0xB9 || cp == 0xB2 || cp == 0xB3 || (cp >= 0x2070 && cp <= 0x2079) ||
         cp == ',' || cp == ' ';
}

/* Trims spaces and trailing/leading affiliation marks off one name into out. */
static void put_name(buf_t *out, const char *s, size_t n, int *count) {
  size_t a = 0;
  while (a < n && (s[a] == ' ' || s[a] == '*')) a++;
  if (n - a >= 3 && !strncasecmp(s + a, "by ", 3)) a += 3;
  while (n > a) { /* strip trailing marks, which may be multi-byte (†, ¹) */
    size_t st = n - 1;
    while (st > a && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
    size_t k = st;
    unsigned cp = text_utf8_next(s, n, &k);
    if (!name_char_is_marker(cp)) break;
    n = st;
  }
  while (a < n && s[a] == ' ') a++;
  if (a >= n || *count >= META_LIST_MAX) return;
  if (out->len) buf_puts(out, "; ");
  buf_append(out, s + a, n - a > 200 ? util_utf8_floor(s + a, 200) : n - a);
  (*count)++;
}

/* "A, B and C" / "A; B" / "A & B" -> "A; B; C". Commas only split when
 * every piece has a space (so "Smith, John" stays one name). */
static char *split_names(const char *s) {
  buf_t out = BUF_INIT;
  buf_init(&out);
  int count = 0;
  size_t n = strlen(s);
  int semi = memchr(s, ';', n) != NULL;
  int commas_split = 1;
  if (!semi) {
    const char *p = s;
    while (p) {
      const char *c = strchr(p, ',');
      size_t len = c ? (size_t)(c - p) : strlen(p);
      while (len && *p == ' ') p++, len--;
      while (len && p[len - 1] == ' ') len--;
      /* "and X" pieces count as having a space */
      if (len && !memchr(p, ' ', len)) {
        int marks = 1;
        for (size_t i = 0; i < len; i++)
          if (!is_digit(p[i]) && p[i] != '*') marks = 0;
        if (!marks) commas_split = 0;
      }
      p = c ? c + 1 : NULL;
    }
  }
  size_t st = 0;
  for (size_t i = 0; i <= n; i++) {
    size_t skip = 0;
    if (i == n)
      skip = 0;
    else if (s[i] == ';')
      skip = 1;
    else if (!semi && commas_split && s[i] == ',')
      skip = 1;
    else if (!semi && i + 5 <= n && !strncasecmp(s + i, " and ", 5))
      skip = 5;
    else if (!semi && i + 3 <= n && !strncmp(s + i, " & ", 3))
      skip = 3;
    else
      continue;
    size_t end = i;
    put_name(&out, s + st, end - st, &count);
    if (i == n) break;
    i += skip - 1;
    st = i + 1;
    /* ", and C" */
    if (!semi && skip == 1 && st + 4 <= n && !strncasecmp(s + st, " and ", 5)) {
      st += 4;
      i = st - 1;
    }
  }
  if (!out.len) {
    buf_free(&out);
    return NULL;
  }
  return buf_detach(&out, NULL);
}

/* Author fields that tools fill with the account name: "dlee",
 * "Administrator", "Microsoft Office User". */
static int authors_junk(const char *v) {
  static const char *const JUNK[] = {"administrator",
                                     "admin",
                                     "user",
                                     "owner",
                                     "author",
                                     "unknown",
                                     "windows user",
                                     "microsoft office user",
                                     "authorized user",
                                     "valued customer",
                                     "root",
                                     "hp",
                                     "dell",
                                     "lenovo",
                                     "anonymous",
                                     NULL};
  for (int i = 0; JUNK[i]; i++)
    if (!strcasecmp(v, JUNK[i])) return 1;
  if (strchr(v, ' ') || strchr(v, ';') || strchr(v, ',')) return 0;
  for (const char *p = v; *p; p++) /* a single lowercase token is a login name */
    if (!(islower((unsigned char)*p) || is_digit(*p) || *p == '.' || *p == '_' || *p == '-' || *p == '@')) return 0;
  return 1;
}

/* "a, b; c" -> "a; b; c" */
static char *split_keywords(const char *s) {
  buf_t out = BUF_INIT;
  buf_init(&out);
  int count = 0;
  size_t st = 0, n = strlen(s);
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != ';' && s[i] != ',' && !(s[i] == '\xC2' && i + 1 < n && s[i + 1] == '\xB7')) continue;
    size_t a = st, b = i;
    while (a < b && s[a] == ' ') a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '.')) b--;
    if (b > a && count < META_LIST_MAX) {
      if (out.len) buf_puts(&out, "; ");
      buf_append(&out, s + a, b - a > 100 ? util_utf8_floor(s + a, 100) : b - a);
      count++;
    }
    if (i < n && s[i] == '\xC2') i++; /* middle dot: two bytes */
    st = i + 1;
  }
  if (!out.len) {
    buf_free(&out);
    return NULL;
  }
  return buf_detach(&out, NULL);
}

/* ---------- setting a field ---------- */

/* The value a field stores, or NULL when v is not acceptable. v is normalised text. */
static char *field_value(const char *field, const char *v) {
  size_t n = strlen(v);
  char tmp[320];
  if (!strcmp(field, "title")) {
    if (rag_meta_title_is_junk(v)) return NULL;
    return util_strndup(v, n > META_TITLE_MAX ? util_utf8_floor(v, META_TITLE_MAX) : n);
  }
  if (!strcmp(field, "authors")) return authors_junk(v) ? NULL : split_names(v);
  if (!strcmp(field, "keywords")) return split_keywords(v);
  if (!strcmp(field, "year")) {
    int y = find_year(v, n);
    if (!y) return NULL;
    snprintf(tmp, sizeof tmp, "%d", y);
    return util_strdup(tmp);
  }
  if (!strcmp(field, "doi")) return rag_meta_find_doi(v, n, tmp, sizeof tmp) ? util_strdup(tmp) : NULL;
  if (!strcmp(field, "arxiv_id")) return rag_meta_find_arxiv(v, n, 1, tmp, sizeof tmp) ? util_strdup(tmp) : NULL;
  if (!strcmp(field, "language")) {
    /* "en", "en-US", "ko_KR" -> BCP 47-ish; anything else is dropped */
    size_t i = 0;
    while (i < n && isalpha((unsigned char)v[i])) i++;
    if (i < 2 || i > 3 || n > 35) return NULL;
    for (size_t k = i; k < n; k++)
      if (!isalnum((unsigned char)v[k]) && v[k] != '-' && v[k] != '_') return NULL;
    char *o = util_strdup(v);
    for (size_t k = 0; k < i; k++) o[k] = (char)tolower((unsigned char)o[k]);
    for (size_t k = i; o[k]; k++)
      if (o[k] == '_') o[k] = '-';
    return o;
  }
  if (!strcmp(field, "abstract")) {
    const char *p = v;
    if (!strncasecmp(p, "abstract", 8) && !isalpha((unsigned char)p[8])) {
      p += 8;
      while (*p == ' ' || *p == ':' || *p == '.' || *p == '-') p++;
      if (!strncmp(p, "\xE2\x80\x94", 3)) p += 3; /* em dash */
      while (*p == ' ') p++;
    }
    size_t m = strlen(p);
    if (m < 20) return NULL;
    return util_strndup(p, m > META_ABSTRACT_MAX ? util_utf8_floor(p, META_ABSTRACT_MAX) : m);
  }
  /* venue */
  if (n > META_TITLE_MAX) n = util_utf8_floor(v, META_TITLE_MAX);
  return util_strndup(v, n);
}

int rag_doc_set_meta(rag_doc_t *d, const char *field, const char *value, const char *source) {
  char **slot = doc_biblio_field(&d->bib, field);
  if (!slot || *slot || !value) return 0;
  size_t vl = strlen(value);
  if (vl > 100000) return 0;
  /* abstracts may be long: cut to their limit first; other fields over 1000 bytes are not metadata */
  char *cut = util_strndup(value, vl > META_ABSTRACT_MAX ? util_utf8_floor(value, META_ABSTRACT_MAX) : vl);
  char *norm = rag_meta_normalise(cut, strcmp(field, "abstract") ? 1000 : META_ABSTRACT_MAX);
  free(cut);
  if (!norm) return 0;
  char *v = field_value(field, norm);
  free(norm);
  if (!v) return 0;
  *slot = v;
  if (!d->meta_sources) d->meta_sources = json_object();
  json_object_set_new(d->meta_sources, field, json_string(source ? source : "document"));
  return 1;
}

/* ---------- XMP ---------- */

static int ns_is(xmlNodePtr n, const char *frag) {
  return n->ns && n->ns->href && strstr((const char *)n->ns->href, frag);
}

/* Text of an XMP property: its rdf:li items joined with "; " (lists), the
 * first item (alternatives), or its own text. Malloc'd or NULL. */
static char *xmp_value(xmlNodePtr prop, int all) {
  for (xmlNodePtr c = prop->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (!strcmp((const char *)c->name, "Alt") || !strcmp((const char *)c->name, "Seq") ||
        !strcmp((const char *)c->name, "Bag")) {
      buf_t b = BUF_INIT;
      buf_init(&b);
      int k = 0;
      for (xmlNodePtr li = c->children; li && k < META_LIST_MAX; li = li->next) {
        if (li->type != XML_ELEMENT_NODE || strcmp((const char *)li->name, "li")) continue;
        xmlChar *t = xmlNodeGetContent(li);
        if (t && *t) {
          if (b.len) buf_puts(&b, "; ");
          buf_puts(&b, (const char *)t);
          k++;
        }
        xmlFree(t);
        if (!all && k) break;
      }
      return b.len ? buf_detach(&b, NULL) : (buf_free(&b), NULL);
    }
  }
  xmlChar *t = xmlNodeGetContent(prop);
  char *r = t && *t ? util_strdup((const char *)t) : NULL;
  xmlFree(t);
  return r;
}

/* The XMP properties read (namespace, property) and the field each sets;
 * pdfx's property names are matched in any case. */
static const struct {
  const char *ns, *name, *field;
} XMP_PROPS[] = {
    {"dc", "title", "title"},
    {"dc", "creator", "authors"},
    {"dc", "description", "abstract"},
    {"dc", "subject", "keywords"},
    {"dc", "language", "language"},
    {"dc", "date", "year"},
    {"dc", "identifier", "doi"},
    {"prism", "doi", "doi"},
    {"prism", "publicationName", "venue"},
    {"prism", "coverDate", "year"},
    {"prism", "publicationDate", "year"},
    {"prism", "coverDisplayDate", "year"},
    {"pdfx", "doi", "doi"},
};

static void xmp_prop(rag_doc_t *d, const char *ns, const char *name, const char *v) {
  if (!v) return;
  int any_case = !strcmp(ns, "pdfx");
  for (size_t i = 0; i < sizeof XMP_PROPS / sizeof XMP_PROPS[0]; i++)
    if (!strcmp(ns, XMP_PROPS[i].ns) && !(any_case ? strcasecmp : strcmp)(name, XMP_PROPS[i].name)) {
      rag_doc_set_meta(d, XMP_PROPS[i].field, v, "xmp");
      return;
    }
}

static const char *xmp_ns(xmlNsPtr ns) {
  if (!ns || !ns->href) return "";
  const char *h = (const char *)ns->href;
  if (!strcmp(h, "http://purl.org/dc/elements/1.1/")) return "dc";
  if (strstr(h, "prismstandard.org")) return "prism";
  if (strstr(h, "ns.adobe.com/pdfx")) return "pdfx";
  return "";
}

static void xmp_walk(rag_doc_t *d, xmlNodePtr n, int depth) {
  if (depth > 32) return;
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (ns_is(c, "22-rdf-syntax-ns") && !strcmp((const char *)c->name, "Description")) {
      /* properties written as attributes: <rdf:Description prism:doi="..."> */
      for (xmlAttrPtr a = c->properties; a; a = a->next) {
        const char *ns = xmp_ns(a->ns);
        if (!*ns) continue;
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        xmp_prop(d, ns, (const char *)a->name, (const char *)v);
        xmlFree(v);
      }
    }
    const char *ns = xmp_ns(c->ns);
    if (*ns) {
      int all = !strcmp((const char *)c->name, "creator") || !strcmp((const char *)c->name, "subject");
      char *v = xmp_value(c, all);
      xmp_prop(d, ns, (const char *)c->name, v);
      free(v);
      continue;
    }
    xmp_walk(d, c, depth + 1);
  }
}

void rag_meta_from_xmp(rag_doc_t *d, const char *xml, size_t len) {
  if (!xml || len == 0 || len > (8u << 20)) return;
  rag_parse_init();
  xmlDocPtr x =
      xmlReadMemory(xml, (int)len, "xmp.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!x) return;
  xmp_walk(d, (xmlNodePtr)x, 0);
  xmlFreeDoc(x);
}

/* ---------- first page ---------- */

typedef struct {
  const char *s;
  size_t len;
} line_t;

static int starts_ci(const line_t *l, const char *p) {
  size_t n = strlen(p);
  return l->len >= n && !strncasecmp(l->s, p, n);
}

/* Splits text into trimmed non-empty lines (at most max). */
static size_t split_lines(const char *text, size_t len, line_t *out, size_t max) {
  size_t n = 0, st = 0;
  for (size_t i = 0; i <= len && n < max; i++) {
    if (i < len && text[i] != '\n') continue;
    size_t a = st, b = i;
    while (a < b && isspace((unsigned char)text[a])) a++;
    while (b > a && isspace((unsigned char)text[b - 1])) b--;
    if (b > a) out[n++] = (line_t){text + a, b - a};
    st = i + 1;
  }
  return n;
}

/* "Abstract", "Abstract: ...", "Abstract. ...", "Abstract—...", "ABSTRACT We ..."
 * but not "Abstract Syntax Notation One". */
static int abstract_heading(const line_t *l) {
  if (!starts_ci(l, "abstract")) return 0;
  if (l->len == 8) return 1;
  char c = l->s[8];
  if (c == ':' || c == '.' || c == '-' || (l->len >= 11 && !memcmp(l->s + 8, "\xE2\x80\x94", 3))) return 1;
  return c == ' ' && !memcmp(l->s, "ABSTRACT", 8);
}

/* Lines that end the abstract. */
static int section_start(const line_t *l) {
  static const char *const STARTS[] = {
      "keywords",        "key words",    "index terms",  "1 introduction", "1. introduction",
      "i. introduction", "introduction", "1 background", "ccs concepts",   NULL};
  for (int i = 0; STARTS[i]; i++)
    if (starts_ci(l, STARTS[i])) return 1;
  return 0;
}

void rag_meta_from_first_page(rag_doc_t *d, const char *text, size_t len) {
  if (!text || !len) return;
  char tmp[320];
  if (rag_meta_find_doi(text, len, tmp, sizeof tmp)) rag_doc_set_meta(d, "doi", tmp, "first-page");
  if (rag_meta_find_arxiv(text, len, 0, tmp, sizeof tmp)) {
    rag_doc_set_meta(d, "arxiv_id", tmp, "first-page");
    if (is_digit(tmp[0]) && is_digit(tmp[1])) { /* new-style ids start with yymm */
      char y[8];
      snprintf(y, sizeof y, "20%c%c", tmp[0], tmp[1]);
      rag_doc_set_meta(d, "year", y, "first-page");
    }
  }
  line_t lines[200];
  size_t n = split_lines(text, len, lines, 200);
  for (size_t i = 0; i < n; i++) {
    const line_t *l = &lines[i];
    /* year from the lines that state publication */
    if (!d->bib.year && (memmem(l->s, l->len, "\xC2\xA9", 2) || starts_ci(l, "copyright") ||
                         starts_ci(l, "published") || starts_ci(l, "accepted") || starts_ci(l, "received") ||
                         starts_ci(l, "proceedings of") || memmem(l->s, l->len, "(c) ", 4))) {
      int y = find_year(l->s, l->len);
      if (y) {
        snprintf(tmp, sizeof tmp, "%d", y);
        rag_doc_set_meta(d, "year", tmp, "first-page");
      }
    }
    /* venue: a proceedings line */
    if (!d->bib.venue && (starts_ci(l, "proceedings of") || starts_ci(l, "in proceedings of")) && l->len < 300) {
      char *v = util_strndup(l->s + (starts_ci(l, "in ") ? 3 : 0), l->len - (starts_ci(l, "in ") ? 3 : 0));
      rag_doc_set_meta(d, "venue", v, "first-page");
      free(v);
    }
    /* keywords */
    static const char *const KW[] = {"keywords", "key words", "index terms", NULL};
    for (int k = 0; KW[k] && !d->bib.keywords; k++) {
      if (!starts_ci(l, KW[k])) continue;
      size_t skip = strlen(KW[k]);
      while (skip < l->len && (l->s[skip] == ':' || l->s[skip] == ' ' || l->s[skip] == '-' || l->s[skip] == '.'))
        skip++;
      if (skip + 3 <= l->len && !strncmp(l->s + skip, "\xE2\x80\x94", 3)) skip += 3;
      char *v = util_strndup(l->s + skip, l->len - skip);
      rag_doc_set_meta(d, "keywords", v, "first-page");
      free(v);
    }
    /* abstract: the "Abstract" line up to the next section */
    if (!d->bib.abstract && abstract_heading(l)) {
      buf_t b = BUF_INIT;
      buf_init(&b);
      buf_append(&b, l->s, l->len);
      for (size_t k = i + 1; k < n && b.len < META_ABSTRACT_MAX && !section_start(&lines[k]); k++) {
        if (b.len && b.data[b.len - 1] == '-' && lines[k].len && islower((unsigned char)lines[k].s[0]))
          buf_truncate(&b, b.len - 1); /* re-join a hyphenated word */
        else
          buf_putc(&b, ' ');
        buf_append(&b, lines[k].s, lines[k].len);
      }
      rag_doc_set_meta(d, "abstract", b.data, "first-page");
      buf_free(&b);
    }
  }
}

/* ---------- front matter ---------- */

/* Strips quotes around a YAML scalar in place. */
static char *unquote(char *v) {
  v = util_trim(v);
  size_t n = strlen(v);
  if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
    v[n - 1] = '\0';
    v++;
  }
  return v;
}

static const char *fm_field(const char *key) {
  static const struct {
    const char *key, *field;
  } MAP[] = {{"title", "title"},
             {"author", "authors"},
             {"authors", "authors"},
             {"date", "year"},
             {"year", "year"},
             {"venue", "venue"},
             {"journal", "venue"},
             {"booktitle", "venue"},
             {"doi", "doi"},
             {"arxiv", "arxiv_id"},
             {"arxiv_id", "arxiv_id"},
             {"abstract", "abstract"},
             {"description", "abstract"},
             {"keywords", "keywords"},
             {"tags", "keywords"},
             {"lang", "language"},
             {"language", "language"},
             {NULL, NULL}};
  for (int i = 0; MAP[i].key; i++)
    if (!strcasecmp(key, MAP[i].key)) return MAP[i].field;
  return NULL;
}

static void fm_set(rag_doc_t *d, const char *field, buf_t *val) {
  if (field && val->len) rag_doc_set_meta(d, field, val->data, "front-matter");
  buf_reset(val);
}

size_t rag_meta_front_matter(rag_doc_t *d, const char *data, size_t len) {
  size_t i = 0;
  if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) i = 3;
  if (len - i < 4 || memcmp(data + i, "---", 3) || (data[i + 3] != '\n' && data[i + 3] != '\r')) return 0;
  /* find the closing line "---" or "..." within the first 64 KB */
  size_t limit = len < 65536 ? len : 65536;
  size_t p = i + 3;
  while (p < limit && data[p] != '\n') p++;
  size_t body = p + 1, end = 0, after = 0;
  for (size_t ls = body; ls < limit;) {
    size_t le = ls;
    while (le < limit && data[le] != '\n') le++;
    size_t n = le - ls;
    if (n && data[ls + n - 1] == '\r') n--;
    if (n == 3 && (!memcmp(data + ls, "---", 3) || !memcmp(data + ls, "...", 3))) {
      end = ls;
      after = le < len ? le + 1 : le;
      break;
    }
    ls = le + 1;
  }
  if (!end) return 0;
  const char *field = NULL;
  int block = 0;
  buf_t val = BUF_INIT;
  buf_init(&val);
  for (size_t ls = body; ls < end;) {
    size_t le = ls;
    while (le < end && data[le] != '\n') le++;
    char *line = util_strndup(data + ls, le - ls);
    ls = le + 1;
    int indented = line[0] == ' ' || line[0] == '\t';
    char *t = util_trim(line);
    if (block && indented) { /* a block scalar ("abstract: |" / ">") goes on while indented */
      if (field && *t) buf_printf(&val, "%s%s", val.len ? " " : "", t);
      free(line);
      continue;
    }
    block = 0;
    if (t[0] == '-' && (t[1] == ' ' || t[1] == '\0')) {
      /* a block list item of the current key */
      if (field) {
        if (val.len) buf_puts(&val, "; ");
        buf_puts(&val, unquote(t + 1));
      }
      free(line);
      continue;
    }
    char *colon = strchr(t, ':');
    if (!colon || indented || t[0] == '#') {
      free(line);
      continue;
    }
    fm_set(d, field, &val);
    *colon = '\0';
    field = fm_field(util_trim(t));
    char *v = unquote(colon + 1);
    size_t vn = strlen(v);
    if (vn >= 2 && v[0] == '[' && v[vn - 1] == ']') { /* flow list [a, "b"] */
      v[vn - 1] = '\0';
      char *save = NULL;
      for (char *item = strtok_r(v + 1, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (val.len) buf_puts(&val, "; ");
        buf_puts(&val, unquote(item));
      }
    } else if (vn && v[0] != '|' && v[0] != '>') {
      buf_puts(&val, v);
    } else if (vn) {
      block = 1;
    }
    free(line);
  }
  fm_set(d, field, &val);
  buf_free(&val);
  return after;
}

/* ---------- after parsing ---------- */

void rag_meta_finish(rag_doc_t *d) {
  const char *t = d->text.data;
  size_t n = d->text.len < 4000 ? d->text.len : 4000;
  char tmp[320];
  if (!t || !n) return;
  if (!d->bib.doi && find_labelled_doi(t, n, tmp, sizeof tmp)) rag_doc_set_meta(d, "doi", tmp, "text");
  if (!d->bib.arxiv_id && rag_meta_find_arxiv(t, n, 0, tmp, sizeof tmp)) rag_doc_set_meta(d, "arxiv_id", tmp, "text");
  if (!d->bib.language) {
    /* only scripts tell a language apart reliably without a model */
    size_t hangul = 0, kana = 0, han = 0, latin = 0;
    for (size_t i = 0; i < n;) {
      unsigned cp = text_utf8_next(t, n, &i);
      if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF))
        hangul++;
      else if (cp >= 0x3040 && cp <= 0x30FF)
        kana++;
      else if (cp >= 0x4E00 && cp <= 0x9FFF)
        han++;
      else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
        latin++;
    }
    const char *lang = NULL;
    if (hangul * 4 > latin && hangul >= han)
      lang = "ko";
    else if (kana && (kana + han) * 2 > latin)
      lang = "ja";
    else if (han * 2 > latin)
      lang = "zh";
    if (lang) rag_doc_set_meta(d, "language", lang, "text");
  }
}

/* ---------- layout (title by font size, author line) ---------- */

static const char *const NOT_NAMES[] = {
    "university",  "universit", "institute",    "institut", "department", "dept",        "laboratory", "school",
    "college",     "center",    "centre",       "inc.",     "ltd",        "corporation", "abstract",   "journal",
    "proceedings", "vol.",      "volume",       "arxiv",    "doi",        "http",        "www.",       "@",
    "received",    "copyright", "email",        "e-mail",   "faculty",    "research",    "conference", "submitted",
    "preprint",    "keywords",  "introduction", NULL};

static const char *const PARTICLES[] = {"van", "von", "de", "der", "den", "di",  "da",  "du",  "del", "della", "la",
                                        "le",  "bin", "al", "el",  "ten", "ter", "dos", "das", "y",   NULL};

/* 1 when one name looks like a person's: 1..5 words, capitalised (or
 * particles / initials), letters only. */
static int person_name(const char *s, size_t n) {
  int words = 0, caps = 0;
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ' ') i++;
    size_t a = i;
    while (i < n && s[i] != ' ') i++;
    if (i == a) break;
    words++;
    unsigned char c = (unsigned char)s[a];
    int particle = 0;
    for (int k = 0; PARTICLES[k]; k++)
      if (strlen(PARTICLES[k]) == i - a && !strncmp(s + a, PARTICLES[k], i - a)) particle = 1;
    if (isupper(c) || c >= 0x80)
      caps++;
    else if (!particle)
      return 0;
    for (size_t k = a; k < i; k++) {
      unsigned char ch = (unsigned char)s[k];
      if (!(isalpha(ch) || ch >= 0x80 || ch == '.' || ch == '-' || ch == '\'')) return 0;
    }
  }
  return words >= 1 && words <= 5 && caps >= 1 && (words >= 2 || (unsigned char)s[0] >= 0x80);
}

/* The names of an author line joined with "; ", or NULL when it is not one. */
static char *author_line(const char *s, size_t n) {
  if (n < 3 || n > 400) return NULL;
  for (int k = 0; NOT_NAMES[k]; k++)
    if (strcasestr_n(s, n, NOT_NAMES[k])) return NULL;
  char *line = util_strndup(s, n);
  char *names = split_names(line);
  free(line);
  if (!names) return NULL;
  int ok = 1, count = 0;
  for (char *p = names; *p && ok;) {
    char *e = strstr(p, "; ");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (!person_name(p, len)) ok = 0;
    count++;
    p = e ? e + 2 : p + len;
  }
  if (!ok || count == 0) {
    free(names);
    return NULL;
  }
  return names;
}

static int near(double a, double b) {
  return a - b < 0.6 && b - a < 0.6;
}

void rag_meta_from_layout(rag_doc_t *d, const rag_meta_line_t *lines, size_t n) {
  if (!lines || n == 0) return;
  /* body size: the size carrying most characters */
  double body = 0, best = 0;
  for (size_t i = 0; i < n; i++) {
    double w = 0;
    for (size_t k = 0; k < n; k++)
      if (near(lines[k].size, lines[i].size)) w += (double)lines[k].len;
    if (w > best) {
      best = w;
      body = lines[i].size;
    }
  }
  size_t top = n < 40 ? n : 40;
  double max = 0;
  for (size_t i = 0; i < top; i++) {
    int letters = 0;
    for (size_t k = 0; k < lines[i].len; k++)
      if (isalpha((unsigned char)lines[i].s[k]) || (unsigned char)lines[i].s[k] >= 0x80) letters++;
    if (letters >= 3 && lines[i].size > max) max = lines[i].size;
  }
  if (max <= 0 || max < body * 1.15) return; /* no line stands out: no title by size */
  size_t first = 0;
  while (first < top && !near(lines[first].size, max)) first++;
  size_t last = first;
  buf_t t = BUF_INIT;
  buf_init(&t);
  for (size_t i = first; i < top && i < first + 4 && near(lines[i].size, max); i++) {
    if (t.len && t.data[t.len - 1] == '-' && lines[i].len && islower((unsigned char)lines[i].s[0]))
      buf_truncate(&t, t.len - 1);
    else if (t.len)
      buf_putc(&t, ' ');
    buf_append(&t, lines[i].s, lines[i].len);
    last = i;
  }
  if (t.len) rag_doc_set_meta(d, "title", t.data, "first-page");
  buf_free(&t);
  /* authors: the lines right under the title that read as names */
  buf_t names = BUF_INIT;
  buf_init(&names);
  for (size_t i = last + 1; i < n && i <= last + 3; i++) {
    char *a = author_line(lines[i].s, lines[i].len);
    if (!a) {
      if (names.len) break;
      continue;
    }
    if (names.len) buf_puts(&names, "; ");
    buf_puts(&names, a);
    free(a);
  }
  if (names.len) rag_doc_set_meta(d, "authors", names.data, "first-page");
  buf_free(&names);
}

/* ---------- edits (API and CLI) ---------- */

/* Whitespace-normalised copy of a user's string, NULL when empty or over max bytes. */
static char *user_text(const char *s, size_t max) {
  return strlen(s) > max ? NULL : rag_meta_normalise(s, max);
}

/* A list field (authors, keywords) from a string or an array of strings:
 * "; "-joined into *out. 0, or -1 with err. */
static int edit_list(const char *field, json_t *v, int names, char **out, char *err, size_t errlen) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (json_is_string(v)) {
    char *t = user_text(json_string_value(v), 20000);
    char *l = t ? (names ? split_names(t) : split_keywords(t)) : NULL;
    free(t);
    if (l) buf_puts(&b, l);
    free(l);
  } else {
    size_t i;
    json_t *x;
    if (json_array_size(v) > META_LIST_MAX) {
      snprintf(err, errlen, "%s: at most %d entries", field, META_LIST_MAX);
      buf_free(&b);
      return -1;
    }
    json_array_foreach(v, i, x) {
      char *t = json_is_string(x) ? user_text(json_string_value(x), 200) : NULL;
      if (!t || strchr(t, ';')) {
        snprintf(err, errlen, "%s[%zu] must be a non-empty string of at most 200 bytes without ';'", field, i);
        free(t);
        buf_free(&b);
        return -1;
      }
      buf_printf(&b, "%s%s", b.len ? "; " : "", t);
      free(t);
    }
  }
  *out = b.len ? buf_detach(&b, NULL) : (buf_free(&b), util_strdup(""));
  return 0;
}

static int edit_field(const char *field, json_t *v, char **out, char *err, size_t errlen) {
  *out = NULL;
  char tmp[320];
  if (json_is_null(v) || (json_is_string(v) && !json_string_length(v))) {
    if (!strcmp(field, "title")) {
      snprintf(err, errlen, "title must be a non-empty string of at most %d bytes", META_TITLE_MAX);
      return -1;
    }
    *out = util_strdup(""); /* clears */
    return 0;
  }
  if (!strcmp(field, "authors") || !strcmp(field, "keywords")) {
    if (!json_is_string(v) && !json_is_array(v)) {
      snprintf(err, errlen, "%s must be a string or an array of strings", field);
      return -1;
    }
    return edit_list(field, v, !strcmp(field, "authors"), out, err, errlen);
  }
  if (!strcmp(field, "year")) {
    long long y = -1;
    if (json_is_integer(v))
      y = json_integer_value(v);
    else if (json_is_string(v) && util_parse_int(json_string_value(v), 1000, 2100, &y) != 0)
      y = -1;
    if (y < 1000 || y > 2100) {
      snprintf(err, errlen, "year must be an integer between 1000 and 2100");
      return -1;
    }
    snprintf(tmp, sizeof tmp, "%lld", y);
    *out = util_strdup(tmp);
    return 0;
  }
  if (!json_is_string(v)) {
    snprintf(err, errlen, "%s must be a string", field);
    return -1;
  }
  const char *s = json_string_value(v);
  size_t max = !strcmp(field, "abstract") ? 20000 : META_TITLE_MAX;
  char *t = user_text(s, max);
  if (!t) {
    snprintf(err, errlen, "%s must be a string of at most %zu bytes", field, max);
    return -1;
  }
  if (!strcmp(field, "doi")) {
    const char *p = t;
    static const char *const PREFIX[] = {
        "https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:", "doi ", NULL};
    for (int i = 0; PREFIX[i]; i++)
      if (!strncasecmp(p, PREFIX[i], strlen(PREFIX[i]))) p += strlen(PREFIX[i]);
    while (*p == ' ') p++;
    size_t n = strlen(p);
    if (!rag_meta_find_doi(p, n, tmp, sizeof tmp) || strlen(tmp) != n || strncmp(p, "10.", 3)) {
      snprintf(err, errlen, "doi must look like 10.1234/abc (a DOI, optionally as a doi.org URL)");
      free(t);
      return -1;
    }
    *out = util_strdup(tmp);
  } else if (!strcmp(field, "arxiv_id")) {
    const char *p = t;
    if (!strncasecmp(p, "arxiv:", 6)) p += 6;
    while (*p == ' ') p++;
    size_t n = strlen(p);
    if (new_arxiv_at(p, n, 0) != n && old_arxiv_at(p, n, 0) != n) {
      snprintf(err, errlen, "arxiv_id must look like 2101.00001 (optionally v2) or hep-th/9901001");
      free(t);
      return -1;
    }
    *out = util_strdup(p);
  } else if (!strcmp(field, "language")) {
    *out = field_value("language", t);
    if (!*out) {
      snprintf(err, errlen, "language must be a language tag such as en, ko or pt-BR");
      free(t);
      return -1;
    }
  } else {
    *out = t;
    t = NULL;
  }
  free(t);
  return 0;
}

int rag_meta_edit_from_json(json_t *body, rag_meta_edit_t *e, char *field, size_t fieldlen, char *err, size_t errlen) {
  memset(e, 0, sizeof *e);
  if (field && fieldlen) field[0] = '\0';
  for (int i = 0; STORE_DOC_META_FIELDS[i]; i++) {
    const char *name = STORE_DOC_META_FIELDS[i];
    json_t *v = json_object_get(body, name);
    if (!v) continue;
    if (edit_field(name, v, &e->own[i], err, errlen) != 0) {
      if (field && fieldlen) snprintf(field, fieldlen, "%s", name);
      rag_meta_edit_free(e);
      return -1;
    }
    *store_doc_meta_field(&e->m, name) = e->own[i];
    e->count++;
  }
  return 0;
}

void rag_meta_edit_free(rag_meta_edit_t *e) {
  if (!e) return;
  for (int i = 0; i < 9; i++) free(e->own[i]);
  memset(e, 0, sizeof *e);
}
