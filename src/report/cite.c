/*
 * cite.c - reference entries, in-text citations, BibTeX and RIS; see cite.h.
 *
 * Every style is written from the same parsed parts (authors split into
 * family and given names, the type, the fields); one function per style and
 * type family keeps each style's punctuation readable next to its manual's
 * example:
 *
 *   APA 7     Grady, J. S., Her, M., & Yelinek, J. (2019). Title. *Journal*,
 *             *8*(3), 207–217. https://doi.org/10.1037/ppm0000185
 *   MLA 9     Grady, Jessica S., et al. "Title." *Journal*, vol. 8, no. 3,
 *             2019, pp. 207–17, https://doi.org/10.1037/ppm0000185.
 *   Chicago   Grady, Jessica S., Malena Her, and Jillian Yelinek. 2019.
 *             "Title." *Journal* 8 (3): 207–17. https://doi.org/...
 *   IEEE      J. S. Grady, M. Her, and J. Yelinek, "Title," *Journal*,
 *             vol. 8, no. 3, pp. 207–217, 2019, doi: 10.1037/ppm0000185.
 *
 * The mission report's numbered line (cite_report_line) lives here too, so
 * the project has one place that formats references.
 */
#include "report/cite.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

static const char *STYLE_NAMES[] = {"apa", "mla", "chicago", "ieee"};

int cite_style_parse(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < 4; i++)
    if (!strcasecmp(name, STYLE_NAMES[i])) return i;
  return -1;
}

const char *cite_style_name(cite_style_t style) {
  return (unsigned)style < 4 ? STYLE_NAMES[style] : "apa";
}

/* ---------- fields ---------- */

static const char *fld(json_t *ref, const char *k) {
  const char *s = json_string_value(json_object_get(ref, k));
  if (!s) return NULL;
  while (*s == ' ') s++;
  return s[0] ? s : NULL;
}

/* The year as a string (stored as a string or a number). */
static void year_of(json_t *ref, char *out, size_t n) {
  json_t *y = json_object_get(ref, "year");
  if (json_is_integer(y) && json_integer_value(y) > 0)
    snprintf(out, n, "%lld", (long long)json_integer_value(y));
  else if (fld(ref, "year"))
    snprintf(out, n, "%s", fld(ref, "year"));
  else
    out[0] = 0;
}

typedef enum { T_ARTICLE, T_BOOK, T_WEB } kind_t;

static kind_t kind_of(json_t *ref) {
  const char *t = fld(ref, "type");
  if (t && !strcmp(t, "article")) return T_ARTICLE;
  if (t && !strcmp(t, "web")) return T_WEB;
  if (t && (!strcmp(t, "book") || !strcmp(t, "document"))) return T_BOOK;
  if (fld(ref, "venue") && (fld(ref, "volume") || fld(ref, "issue") || fld(ref, "doi"))) return T_ARTICLE;
  if (fld(ref, "url") && !fld(ref, "doi")) return T_WEB;
  return T_BOOK;
}

/* ---------- names ---------- */

static void add_name(json_t *arr, const char *s, size_t len) {
  while (len && (*s == ' ' || *s == '\t')) s++, len--;
  while (len && s[len - 1] == ' ') len--;
  if (!len) return;
  char *name = util_strndup(s, len);
  const char *comma = strchr(name, ',');
  json_t *o;
  if (comma) { /* "Family, Given" */
    const char *g = comma + 1;
    while (*g == ' ') g++;
    o = json_pack("{s:s%, s:s}", "family", name, (size_t)(comma - name), "given", g);
  } else {
    const char *sp = strrchr(name, ' ');
    if (sp)
      o = json_pack("{s:s, s:s%}", "family", sp + 1, "given", name, (size_t)(sp - name));
    else
      o = json_pack("{s:s, s:s}", "family", name, "given", "");
  }
  json_array_append_new(arr, o);
  free(name);
}

json_t *cite_authors(json_t *ref) {
  json_t *arr = json_array(), *a = json_object_get(ref, "authors");
  if (json_is_array(a)) {
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v)) add_name(arr, json_string_value(v), json_string_length(v));
    return arr;
  }
  const char *s = json_string_value(a);
  if (!s) return arr;
  /* "A; B" keeps "Family, Given" names whole; otherwise commas and "and" separate */
  int semi = strchr(s, ';') != NULL;
  while (*s) {
    const char *end = NULL, *next = NULL;
    while (*s == ' ') s++;
    if (!strncmp(s, "and ", 4)) s += 4; /* "A, B, and C" */
    if (semi) {
      end = strchr(s, ';');
      next = end ? end + 1 : NULL;
    } else {
      const char *c = strchr(s, ','), *amp = strstr(s, " & "), *and = strstr(s, " and ");
      end = c;
      next = c ? c + 1 : NULL;
      if (amp && (!end || amp < end)) end = amp, next = amp + 3;
      if (and&&(!end || and < end)) end = and, next = and+5;
    }
    size_t len = end ? (size_t)(end - s) : strlen(s);
    add_name(arr, s, len);
    if (!next) break;
    s = next;
  }
  return arr;
}

/* Initials of the given names: "Jessica S." -> "J. S.", "Jean-Paul" ->
 * "J.-P." (UTF-8: a whole first character). */
static void put_initials(buf_t *b, const char *given) {
  int first = 1;
  for (const char *p = given; *p;) {
    while (*p == ' ') p++;
    if (!*p) break;
    if (!first) buf_putc(b, ' ');
    first = 0;
    for (;;) { /* one word, maybe hyphenated */
      size_t cl = 1;
      while (((unsigned char)p[cl] & 0xC0) == 0x80) cl++;
      buf_append(b, p, cl);
      buf_putc(b, '.');
      p += cl;
      while (*p && *p != ' ' && *p != '-') p++;
      if (*p != '-') break;
      buf_putc(b, '-');
      p++;
    }
  }
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* "Grady, J. S." */
static void apa_name(buf_t *b, json_t *a) {
  buf_puts(b, jstr(a, "family"));
  if (jstr(a, "given")[0]) {
    buf_puts(b, ", ");
    put_initials(b, jstr(a, "given"));
  }
}

/* "J. S. Grady" */
static void ieee_name(buf_t *b, json_t *a) {
  if (jstr(a, "given")[0]) {
    put_initials(b, jstr(a, "given"));
    buf_putc(b, ' ');
  }
  buf_puts(b, jstr(a, "family"));
}

/* "Grady, Jessica S." (inverted) or "Malena Her" */
static void full_name(buf_t *b, json_t *a, int inverted) {
  const char *g = jstr(a, "given"), *f = jstr(a, "family");
  if (!g[0])
    buf_puts(b, f);
  else if (inverted)
    buf_printf(b, "%s, %s", f, g);
  else
    buf_printf(b, "%s %s", g, f);
}

/* ---------- punctuation ---------- */

static char last_char(buf_t *b) {
  size_t i = b->len;
  while (i && (b->data[i - 1] == '*' || b->data[i - 1] == '"')) i--;
  return i ? b->data[i - 1] : 0;
}

/* Ends the element with c unless it already ends with a stop (". ?" ...). */
static void end_with(buf_t *b, char c) {
  char l = last_char(b);
  if (c == '.' && (l == '.' || l == '?' || l == '!')) return;
  if (c == ',' && (l == '?' || l == '!')) return;
  buf_putc(b, c);
}

/* text followed by its stop inside quotes: "Title." or "Title?" */
static void quoted(buf_t *b, const char *t, char stop) {
  buf_puts(b, "\"");
  buf_puts(b, t);
  size_t n = strlen(t);
  char l = n ? t[n - 1] : 0;
  if (!(l == '?' || l == '!' || (l == '.' && stop == '.'))) buf_putc(b, stop);
  buf_puts(b, "\"");
}

/* "207–217" from "207-217"; abbreviated the MLA / Chicago way when abbr. */
static void put_pages(buf_t *b, const char *pages, int abbr, int chicago) {
  const char *dash = strpbrk(pages, "-\xE2");
  long a = 0, z = 0;
  char *e1 = NULL, *e2 = NULL;
  a = strtol(pages, &e1, 10);
  const char *second = dash;
  if (dash) {
    second = dash;
    while (*second == '-' || (unsigned char)*second >= 0x80) second++;
    z = strtol(second, &e2, 10);
  }
  if (!dash || e1 != dash || !e2 || *e2 || a <= 0 || z <= a) {
    buf_puts(b, pages);
    return;
  }
  char sa[24], sz[24];
  snprintf(sa, sizeof sa, "%ld", a);
  snprintf(sz, sizeof sz, "%ld", z);
  const char *show = sz;
  if (abbr && strlen(sa) == strlen(sz) && a >= 100) {
    size_t common = 0;
    while (sa[common] == sz[common]) common++;
    size_t keep = strlen(sz) - common; /* differing digits */
    if (chicago && a % 100 == 0)
      keep = strlen(sz); /* 100–104 */
    else if (chicago && a % 100 < 10)
      ; /* 101–8, 1103–4: changed part only */
    else if (keep < 2)
      keep = 2; /* 321–28, 207–17 */
    show = sz + strlen(sz) - keep;
  }
  buf_printf(b, "%ld\xE2\x80\x93%s", a, show); /* en dash */
}

/* A title as MLA and Chicago set it: a book's in italics, anything else
 * quoted; either ends with a period and a space. */
static void put_title(buf_t *b, const char *title, kind_t k) {
  if (!title) return;
  if (k == T_BOOK) {
    buf_printf(b, "*%s*", title);
    end_with(b, '.');
  } else
    quoted(b, title, '.');
  buf_putc(b, ' ');
}

static void put_doi_url(buf_t *b, json_t *ref) {
  const char *doi = fld(ref, "doi"), *url = fld(ref, "url");
  if (doi)
    buf_printf(b, "https://doi.org/%s", doi);
  else if (url)
    buf_puts(b, url);
}

static const char *MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};

/* Abbreviated months: MLA 9 (Sept., June, July) and IEEE (Sep., Jun., Jul.). */
static const char *MLA_MONTHS[] = {"Jan.", "Feb.", "Mar.",  "Apr.", "May",  "June",
                                   "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."};
static const char *IEEE_MONTHS[] = {"Jan.", "Feb.", "Mar.", "Apr.", "May",  "Jun.",
                                    "Jul.", "Aug.", "Sep.", "Oct.", "Nov.", "Dec."};

/* "2026-12-05" -> day, month index, year; 0 when it is not a date. */
static int parse_date(const char *d, int *y, int *m, int *day) {
  return d && sscanf(d, "%4d-%2d-%2d", y, m, day) == 3 && *m >= 1 && *m <= 12 && *day >= 1 && *day <= 31;
}

/* What every style reads first: the year ("" when unknown), the kind, and
 * the title, venue and publisher (NULL when absent; borrowed from ref). */
typedef struct {
  char year[32];
  kind_t kind;
  const char *title, *venue, *pub;
} parts_t;

static void parts_of(json_t *ref, parts_t *p) {
  year_of(ref, p->year, sizeof p->year);
  p->kind = kind_of(ref);
  p->title = fld(ref, "title");
  p->venue = fld(ref, "venue");
  p->pub = fld(ref, "publisher");
}

/* ---------- APA 7 ---------- */

static void apa_authors(buf_t *b, json_t *au) {
  size_t n = json_array_size(au);
  for (size_t i = 0; i < n; i++) {
    if (n > 20 && i == 19) { /* first 19, an ellipsis, the last */
      buf_puts(b, ", . . . ");
      apa_name(b, json_array_get(au, n - 1));
      return;
    }
    if (i) buf_puts(b, i == n - 1 ? (n == 2 ? ", & " : ", & ") : ", ");
    apa_name(b, json_array_get(au, i));
  }
}

static void apa(buf_t *b, const parts_t *p, json_t *ref, json_t *au) {
  const char *date = p->year[0] ? p->year : "n.d.";
  if (json_array_size(au)) {
    apa_authors(b, au);
    end_with(b, '.');
    buf_printf(b, " (%s). ", date);
    if (p->title) {
      buf_printf(b, p->kind == T_ARTICLE ? "%s" : "*%s*", p->title);
      end_with(b, '.');
      buf_putc(b, ' ');
    }
  } else if (p->title) { /* the title takes the author's place */
    buf_printf(b, p->kind == T_ARTICLE ? "%s" : "*%s*", p->title);
    end_with(b, '.');
    buf_printf(b, " (%s). ", date);
  } else
    buf_printf(b, "(%s). ", date);
  if (p->kind == T_ARTICLE && p->venue) {
    buf_printf(b, "*%s*", p->venue);
    if (fld(ref, "volume")) {
      buf_printf(b, ", *%s*", fld(ref, "volume"));
      if (fld(ref, "issue")) buf_printf(b, "(%s)", fld(ref, "issue"));
    }
    if (fld(ref, "pages")) {
      buf_puts(b, ", ");
      put_pages(b, fld(ref, "pages"), 0, 0);
    }
    buf_puts(b, ". ");
  } else if (p->kind != T_ARTICLE) {
    const char *pub = p->pub ? p->pub : p->venue;
    if (pub) buf_printf(b, "%s. ", pub);
  }
  put_doi_url(b, ref);
}

/* ---------- MLA 9 ---------- */

static void mla_authors(buf_t *b, json_t *au) {
  size_t n = json_array_size(au);
  if (!n) return;
  full_name(b, json_array_get(au, 0), 1);
  if (n == 2) {
    buf_puts(b, ", and ");
    full_name(b, json_array_get(au, 1), 0);
  } else if (n > 2)
    buf_puts(b, ", et al");
  end_with(b, '.');
  buf_putc(b, ' ');
}

static void mla(buf_t *b, const parts_t *p, json_t *ref, json_t *au) {
  mla_authors(b, au);
  put_title(b, p->title, p->kind);
  /* the container and its elements, separated by commas, ending with a period */
  int any = 0;
#define SEP() (any ? buf_puts(b, ", ") : (void)0, any = 1)
  if (p->kind != T_BOOK && p->venue) SEP(), buf_printf(b, "*%s*", p->venue);
  if (p->kind == T_BOOK && (p->pub || p->venue)) SEP(), buf_puts(b, p->pub ? p->pub : p->venue);
  if (p->kind == T_ARTICLE && fld(ref, "volume")) SEP(), buf_printf(b, "vol. %s", fld(ref, "volume"));
  if (p->kind == T_ARTICLE && fld(ref, "issue")) SEP(), buf_printf(b, "no. %s", fld(ref, "issue"));
  if (p->year[0]) SEP(), buf_puts(b, p->year);
  if (fld(ref, "pages")) {
    SEP();
    buf_puts(b, strpbrk(fld(ref, "pages"), "-\xE2") ? "pp. " : "p. ");
    put_pages(b, fld(ref, "pages"), 1, 0);
  }
  if (fld(ref, "doi") || fld(ref, "url")) SEP(), put_doi_url(b, ref);
#undef SEP
  if (any) end_with(b, '.');
  int y, m, d;
  if (p->kind == T_WEB && !p->year[0] && parse_date(fld(ref, "accessed"), &y, &m, &d)) {
    buf_printf(b, " Accessed %d %s %d.", d, MLA_MONTHS[m - 1], y);
  }
}

/* ---------- Chicago author-date (17th ed.) ---------- */

static void chicago_authors(buf_t *b, json_t *au) {
  size_t n = json_array_size(au), shown = n > 10 ? 7 : n;
  for (size_t i = 0; i < shown; i++) {
    if (i) buf_puts(b, i == n - 1 && shown == n ? ", and " : ", "); /* "Curie, Marie, and Pierre Curie" */
    full_name(b, json_array_get(au, i), i == 0);
  }
  if (shown < n) buf_puts(b, ", et al");
}

static void chicago(buf_t *b, const parts_t *p, json_t *ref, json_t *au) {
  const char *date = p->year[0] ? p->year : "n.d.";
  if (json_array_size(au)) {
    chicago_authors(b, au);
    end_with(b, '.');
    buf_printf(b, " %s", date);
    end_with(b, '.');
    buf_putc(b, ' ');
    put_title(b, p->title, p->kind);
  } else {
    put_title(b, p->title, p->kind);
    buf_puts(b, date);
    end_with(b, '.');
    buf_putc(b, ' ');
  }
  if (p->kind == T_ARTICLE && p->venue) {
    buf_printf(b, "*%s*", p->venue);
    if (fld(ref, "volume")) buf_printf(b, " %s", fld(ref, "volume"));
    if (fld(ref, "issue")) buf_printf(b, " (%s)", fld(ref, "issue"));
    if (fld(ref, "pages")) {
      buf_puts(b, ": ");
      put_pages(b, fld(ref, "pages"), 1, 1);
    }
    buf_puts(b, ". ");
  } else if (p->kind == T_WEB && p->venue)
    buf_printf(b, "%s. ", p->venue);
  else if (p->kind == T_BOOK && (p->pub || p->venue))
    buf_printf(b, "%s. ", p->pub ? p->pub : p->venue);
  int y, m, d;
  if (p->kind == T_WEB && !p->year[0] && parse_date(fld(ref, "accessed"), &y, &m, &d))
    buf_printf(b, "Accessed %s %d, %d. ", MONTHS[m - 1], d, y);
  if (fld(ref, "doi") || fld(ref, "url")) {
    put_doi_url(b, ref);
    buf_putc(b, '.');
  }
}

/* ---------- IEEE ---------- */

static void ieee_authors(buf_t *b, json_t *au) {
  size_t n = json_array_size(au);
  if (n > 6) {
    ieee_name(b, json_array_get(au, 0));
    buf_puts(b, " *et al.*");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (i) buf_puts(b, i == n - 1 ? (n == 2 ? " and " : ", and ") : ", ");
    ieee_name(b, json_array_get(au, i));
  }
}

static void ieee(buf_t *b, const parts_t *p, json_t *ref, json_t *au) {
  if (json_array_size(au)) {
    ieee_authors(b, au);
    buf_puts(b, ", ");
  }
  if (p->kind == T_BOOK) {
    if (p->title) buf_printf(b, "*%s*", p->title);
    if (p->pub || p->venue) buf_printf(b, ". %s", p->pub ? p->pub : p->venue);
    if (p->year[0]) buf_printf(b, ", %s", p->year);
    if (fld(ref, "doi")) buf_printf(b, ", doi: %s", fld(ref, "doi"));
    buf_putc(b, '.');
    if (!fld(ref, "doi") && fld(ref, "url")) buf_printf(b, " [Online]. Available: %s", fld(ref, "url"));
  } else if (p->kind == T_WEB) {
    if (p->title) quoted(b, p->title, ',');
    if (p->venue)
      buf_printf(b, " %s.", p->venue);
    else if (b->len >= 2 && b->data[b->len - 2] == ',') { /* "Title," -> "Title." */
      b->data[b->len - 2] = '.';
    }
    int y, m, d;
    if (parse_date(fld(ref, "accessed"), &y, &m, &d)) {
      buf_printf(b, " Accessed: %s %d, %d.", IEEE_MONTHS[m - 1], d, y);
    } else if (p->year[0])
      buf_printf(b, " %s.", p->year);
    if (fld(ref, "url")) buf_printf(b, " [Online]. Available: %s", fld(ref, "url"));
  } else {
    if (p->title) quoted(b, p->title, ',');
    if (p->venue) buf_printf(b, " *%s*,", p->venue);
    if (fld(ref, "volume")) buf_printf(b, " vol. %s,", fld(ref, "volume"));
    if (fld(ref, "issue")) buf_printf(b, " no. %s,", fld(ref, "issue"));
    if (fld(ref, "pages")) {
      buf_puts(b, strpbrk(fld(ref, "pages"), "-\xE2") ? " pp. " : " p. ");
      put_pages(b, fld(ref, "pages"), 0, 0);
      buf_putc(b, ',');
    }
    if (p->year[0]) buf_printf(b, " %s,", p->year);
    if (fld(ref, "doi"))
      buf_printf(b, " doi: %s.", fld(ref, "doi"));
    else {
      if (b->len && b->data[b->len - 1] == ',') b->data[b->len - 1] = '.';
      if (fld(ref, "url")) buf_printf(b, " [Online]. Available: %s", fld(ref, "url"));
    }
  }
}

char *cite_reference(json_t *ref, cite_style_t style) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *au = cite_authors(ref);
  parts_t p;
  parts_of(ref, &p);
  switch (style) {
    case CITE_MLA:
      mla(&b, &p, ref, au);
      break;
    case CITE_CHICAGO:
      chicago(&b, &p, ref, au);
      break;
    case CITE_IEEE:
      ieee(&b, &p, ref, au);
      break;
    default:
      apa(&b, &p, ref, au);
  }
  /* every style's pieces end with a space: the entry does not */
  while (b.len && b.data[b.len - 1] == ' ') b.len--;
  b.data[b.len] = 0;
  json_decref(au);
  return buf_detach(&b, NULL);
}

/* ---------- in-text ---------- */

static void short_authors(buf_t *b, json_t *ref, cite_style_t style) {
  json_t *au = cite_authors(ref);
  size_t n = json_array_size(au);
  const char *amp = style == CITE_APA ? " & " : " and ";
  if (!n) {
    const char *t = fld(ref, "title");
    if (t) {
      kind_t k = kind_of(ref);
      if (k == T_BOOK || (k == T_WEB && style == CITE_APA))
        buf_printf(b, "*%s*", t);
      else
        buf_printf(b, "\"%s\"", t);
    } else
      buf_puts(b, "Anonymous");
  } else if (n == 1)
    buf_puts(b, jstr(json_array_get(au, 0), "family"));
  else if (n == 2)
    buf_printf(b, "%s%s%s", jstr(json_array_get(au, 0), "family"), amp, jstr(json_array_get(au, 1), "family"));
  else if (n == 3 && style == CITE_CHICAGO)
    buf_printf(b, "%s, %s, and %s", jstr(json_array_get(au, 0), "family"), jstr(json_array_get(au, 1), "family"),
               jstr(json_array_get(au, 2), "family"));
  else
    buf_printf(b, "%s et al.", jstr(json_array_get(au, 0), "family"));
  json_decref(au);
}

char *cite_in_text(json_t *refs, const int *nums, cite_style_t style) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t i;
  json_t *r;
  if (style == CITE_IEEE) {
    json_array_foreach(refs, i, r) buf_printf(&b, "%s[%d]", i ? ", " : "", nums ? nums[i] : (int)i + 1);
    return buf_detach(&b, NULL);
  }
  buf_putc(&b, '(');
  json_array_foreach(refs, i, r) {
    if (i) buf_puts(&b, "; ");
    short_authors(&b, r, style);
    if (style == CITE_MLA) continue;
    char year[32];
    year_of(r, year, sizeof year);
    buf_printf(&b, style == CITE_APA ? ", %s" : " %s", year[0] ? year : "n.d.");
  }
  buf_putc(&b, ')');
  return buf_detach(&b, NULL);
}

/* ---------- drafts ---------- */

static json_t *ref_by_n(json_t *refs, long n) {
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) if (json_integer_value(json_object_get(r, "n")) == n) return r;
  return NULL;
}

/* Parses one marker "[@N]" or "[@N; @M]" at s; returns its length and the
 * numbers (up to max), 0 when it is not one. */
static size_t parse_marker(const char *s, long *nums, size_t max, size_t *n) {
  *n = 0;
  if (s[0] != '[' || s[1] != '@') return 0;
  size_t i = 1;
  for (;;) {
    if (s[i] != '@' || !isdigit((unsigned char)s[i + 1])) return 0;
    i++;
    long v = 0;
    int d = 0;
    while (isdigit((unsigned char)s[i]) && d < 7) v = v * 10 + (s[i++] - '0'), d++;
    if (isdigit((unsigned char)s[i])) return 0;
    if (*n < max) nums[(*n)++] = v;
    while (s[i] == ' ') i++;
    if (s[i] == ']') return i + 1;
    if (s[i] != ';' && s[i] != ',') return 0;
    i++;
    while (s[i] == ' ') i++;
  }
}

static int cmp_str(const char *a, const char *b) {
  return strcasecmp(a ? a : "", b ? b : "");
}

/* Sort key of the author styles: first author's family name (or the title), then the year. */
static int ref_cmp(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  json_t *aa = cite_authors(a), *ab = cite_authors(b);
  const char *ka = json_array_size(aa) ? jstr(json_array_get(aa, 0), "family") : fld(a, "title");
  const char *kb = json_array_size(ab) ? jstr(json_array_get(ab, 0), "family") : fld(b, "title");
  int c = cmp_str(ka, kb);
  if (!c) {
    char ya[32], yb[32];
    year_of(a, ya, sizeof ya);
    year_of(b, yb, sizeof yb);
    c = strcmp(ya, yb);
  }
  if (!c) c = cmp_str(fld(a, "title"), fld(b, "title"));
  json_decref(aa);
  json_decref(ab);
  return c;
}

/* The list of refs (array, in citation order for IEEE with nums). */
static void put_list(buf_t *b, json_t *list, cite_style_t style) {
  size_t n = json_array_size(list);
  if (!n) return;
  json_t **v = calloc(n, sizeof *v);
  if (!v) abort();
  for (size_t i = 0; i < n; i++) v[i] = json_array_get(list, i);
  if (style != CITE_IEEE) qsort(v, n, sizeof *v, ref_cmp);
  for (size_t i = 0; i < n; i++) {
    char *line = cite_reference(v[i], style);
    if (style == CITE_IEEE)
      buf_printf(b, "[%zu] %s\n\n", i + 1, line);
    else
      buf_printf(b, "%s\n\n", line);
    free(line);
  }
  free(v);
}

char *cite_reference_list(json_t *refs, cite_style_t style) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  put_list(&b, refs, style);
  return buf_detach(&b, NULL);
}

char *cite_render(const char *markdown, json_t *refs, cite_style_t style, const char *lang, int with_list,
                  json_t **labels) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *order = json_array(); /* cited references, by first citation */
  const char *p = markdown ? markdown : "";
  while (*p) {
    long nums[64];
    size_t n = 0, len = parse_marker(p, nums, 64, &n);
    if (!len) {
      buf_putc(&b, *p++);
      continue;
    }
    /* adjacent markers make one citation */
    json_t *group = json_array();
    int ieee_nums[256];
    size_t ng = 0;
    const char *q = p;
    int unknown = 0;
    while (len) {
      for (size_t i = 0; i < n; i++) {
        json_t *r = ref_by_n(refs, nums[i]);
        if (!r) {
          unknown = 1;
          continue;
        }
        size_t pos = json_array_size(order);
        for (size_t k = 0; k < json_array_size(order); k++)
          if (json_array_get(order, k) == r) pos = k;
        if (pos == json_array_size(order)) json_array_append(order, r);
        int dup = 0;
        for (size_t k = 0; k < json_array_size(group); k++) dup |= json_array_get(group, k) == r;
        if (dup || ng >= 256) continue;
        json_array_append(group, r);
        ieee_nums[ng++] = (int)pos + 1;
      }
      q += len;
      len = parse_marker(q, nums, 64, &n);
    }
    if (unknown || !ng)
      buf_append(&b, p, (size_t)(q - p)); /* keep what cannot be resolved, visibly */
    else {
      char *t = cite_in_text(group, ieee_nums, style);
      buf_puts(&b, t); /* "text [@1]." reads "text (Grady, 2019)." */
      free(t);
    }
    json_decref(group);
    p = q;
  }
  if (labels) {
    *labels = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
      json_t *one = json_pack("[O]", r);
      size_t pos = 0;
      for (size_t k = 0; k < json_array_size(order); k++)
        if (json_array_get(order, k) == r) pos = k + 1;
      int num = pos ? (int)pos : (int)(json_array_size(order) + 1);
      char *t = cite_in_text(one, &num, style);
      char key[32];
      snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(r, "n")));
      json_object_set_new(*labels, key, json_string(t));
      free(t);
      json_decref(one);
    }
  }
  if (with_list && json_array_size(order)) {
    while (b.len && b.data[b.len - 1] == '\n') b.len--;
    int ko = lang && !strcmp(lang, "ko");
    buf_printf(&b, "\n\n## %s\n\n", ko ? "참고 문헌" : style == CITE_MLA ? "Works Cited" : "References");
    put_list(&b, order, style);
  }
  json_decref(order);
  return buf_detach(&b, NULL);
}

/* ---------- BibTeX and RIS ---------- */

static void bib_escape(buf_t *b, const char *s) {
  for (; *s; s++) {
    if (strchr("&%$#_", *s))
      buf_printf(b, "\\%c", *s);
    else if (*s == '{' || *s == '}')
      buf_printf(b, "\\%c", *s);
    else if (*s == '\\')
      buf_puts(b, "\\textbackslash{}");
    else if (*s == '~')
      buf_puts(b, "\\textasciitilde{}");
    else if (*s == '^')
      buf_puts(b, "\\textasciicircum{}");
    else if (*s == '\n' || *s == '\r')
      buf_putc(b, ' ');
    else
      buf_putc(b, *s);
  }
}

static void bib_field(buf_t *b, const char *name, const char *v) {
  if (!v) return;
  buf_printf(b, ",\n  %s = {", name);
  bib_escape(b, v);
  buf_putc(b, '}');
}

char *cite_bibtex(json_t *refs) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *keys = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) {
    json_t *au = cite_authors(r);
    char year[32], key[96];
    year_of(r, year, sizeof year);
    kind_t k = kind_of(r);
    /* key: family name (ASCII letters) + year + first title word */
    buf_t kb = BUF_INIT;
    buf_init(&kb);
    const char *fam = json_array_size(au) ? jstr(json_array_get(au, 0), "family") : "ref";
    for (const char *c = fam; *c && kb.len < 24; c++)
      if (isalpha((unsigned char)*c)) buf_putc(&kb, (char)tolower((unsigned char)*c));
    if (!kb.len) buf_puts(&kb, "ref");
    buf_puts(&kb, year);
    const char *t = fld(r, "title");
    for (const char *c = t ? t : ""; *c && isalnum((unsigned char)*c) && kb.len < 48; c++)
      buf_putc(&kb, (char)tolower((unsigned char)*c));
    snprintf(key, sizeof key, "%s", kb.data);
    buf_free(&kb);
    if (json_object_get(keys, key)) { /* same key twice: a, b, c... */
      size_t l = strlen(key);
      for (char s = 'a'; s <= 'z' && l + 1 < sizeof key; s++) {
        key[l] = s;
        key[l + 1] = 0;
        if (!json_object_get(keys, key)) break;
      }
    }
    json_object_set_new(keys, key, json_true());
    buf_printf(&b, "@%s{%s", k == T_ARTICLE ? "article" : k == T_BOOK ? "book" : "misc", key);
    if (json_array_size(au)) {
      buf_t ab = BUF_INIT;
      buf_init(&ab);
      size_t j;
      json_t *a;
      json_array_foreach(au, j, a) {
        if (j) buf_puts(&ab, " and ");
        full_name(&ab, a, 1);
      }
      bib_field(&b, "author", ab.data);
      buf_free(&ab);
    }
    bib_field(&b, "title", t);
    bib_field(&b,
              k == T_ARTICLE ? "journal"
              : k == T_WEB   ? "howpublished"
                             : "publisher",
              k == T_BOOK && fld(r, "publisher") ? fld(r, "publisher") : fld(r, "venue"));
    bib_field(&b, "year", year[0] ? year : NULL);
    bib_field(&b, "volume", fld(r, "volume"));
    bib_field(&b, "number", fld(r, "issue"));
    if (fld(r, "pages")) {
      buf_t pb = BUF_INIT;
      buf_init(&pb);
      for (const char *c = fld(r, "pages"); *c; c++) {
        if (!strncmp(c, "\xE2\x80\x93", 3)) {
          buf_puts(&pb, "--");
          c += 2;
        } else if (*c == '-') {
          buf_puts(&pb, "--");
          while (c[1] == '-') c++;
        } else
          buf_putc(&pb, *c);
      }
      bib_field(&b, "pages", pb.data);
      buf_free(&pb);
    }
    bib_field(&b, "doi", fld(r, "doi"));
    bib_field(&b, "url", fld(r, "url"));
    bib_field(&b, "urldate", k == T_WEB ? fld(r, "accessed") : NULL);
    buf_puts(&b, "\n}\n\n");
    json_decref(au);
  }
  json_decref(keys);
  return buf_detach(&b, NULL);
}

static void ris_line(buf_t *b, const char *tag, const char *v) {
  if (!v) return;
  buf_printf(b, "%s  - ", tag);
  for (const char *c = v; *c; c++) buf_putc(b, *c == '\n' || *c == '\r' ? ' ' : *c);
  buf_puts(b, "\r\n");
}

char *cite_ris(json_t *refs) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) {
    kind_t k = kind_of(r);
    ris_line(&b, "TY", k == T_ARTICLE ? "JOUR" : k == T_WEB ? "ELEC" : fld(r, "publisher") ? "BOOK" : "GEN");
    json_t *au = cite_authors(r);
    size_t j;
    json_t *a;
    json_array_foreach(au, j, a) {
      buf_t ab = BUF_INIT;
      buf_init(&ab);
      full_name(&ab, a, 1);
      ris_line(&b, "AU", ab.data);
      buf_free(&ab);
    }
    json_decref(au);
    ris_line(&b, "TI", fld(r, "title"));
    ris_line(&b, k == T_ARTICLE ? "JO" : "T2", k == T_BOOK ? NULL : fld(r, "venue"));
    ris_line(&b, "PB", k == T_BOOK ? (fld(r, "publisher") ? fld(r, "publisher") : fld(r, "venue")) : NULL);
    char year[32];
    year_of(r, year, sizeof year);
    ris_line(&b, "PY", year[0] ? year : NULL);
    ris_line(&b, "VL", fld(r, "volume"));
    ris_line(&b, "IS", fld(r, "issue"));
    const char *pages = fld(r, "pages");
    if (pages) {
      const char *dash = strpbrk(pages, "-\xE2");
      if (dash) {
        char *sp = util_strndup(pages, (size_t)(dash - pages));
        ris_line(&b, "SP", sp);
        free(sp);
        while (*dash == '-' || (unsigned char)*dash >= 0x80) dash++;
        ris_line(&b, "EP", dash);
      } else
        ris_line(&b, "SP", pages);
    }
    ris_line(&b, "DO", fld(r, "doi"));
    ris_line(&b, "UR", fld(r, "url"));
    ris_line(&b, "Y2", k == T_WEB ? fld(r, "accessed") : NULL);
    buf_puts(&b, "ER  - \r\n\r\n");
  }
  return buf_detach(&b, NULL);
}

/* ---------- the mission report's line ---------- */

#define REPORT_MAX_AUTHORS 3

static const char *nstr(json_t *note, const char *k) {
  const char *s = json_string_value(json_object_get(note, k));
  return s && s[0] ? s : NULL;
}

/* "A, B, C, et al." from "A, B, C, D, E". */
static void put_report_authors(buf_t *b, const char *authors) {
  const char *p = authors;
  for (int n = 0; p && *p; n++) {
    const char *comma = strstr(p, ", ");
    if (n == REPORT_MAX_AUTHORS) {
      buf_puts(b, ", et al.");
      return;
    }
    if (n) buf_puts(b, ", ");
    buf_append(b, p, comma ? (size_t)(comma - p) : strlen(p));
    p = comma ? comma + 2 : NULL;
  }
}

int cite_report_line(buf_t *md, size_t k, json_t *note, json_t *doc, const char *lang, const char *date) {
  int ko = lang && !strcmp(lang, "ko");
  const char *title = nstr(note, "source_title"), *authors = nstr(note, "authors"), *url = nstr(note, "url");
  const char *year = nstr(note, "year"), *venue = nstr(note, "venue"), *doi = nstr(note, "doi");
  if ((year || doi) && !nstr(note, "document_id")) { /* a paper found by scholarly search */
    buf_printf(md, "%zu. ", k);
    if (authors) {
      put_report_authors(md, authors);
      buf_putc(md, ' ');
    }
    buf_printf(md, "(%s). %s", year ? year : "n.d.", title ? title : ko ? "제목 없음" : "Untitled");
    if (md->len && md->data[md->len - 1] != '.' && md->data[md->len - 1] != '?') buf_putc(md, '.');
    if (venue) buf_printf(md, " *%s*.", venue);
    if (doi)
      buf_printf(md, " <https://doi.org/%s>", doi);
    else if (url)
      buf_printf(md, " <%s>", url);
    buf_printf(md, " (%s %s)\n", ko ? "접근" : "accessed", date);
    return 2;
  }
  const char *file = json_string_value(json_object_get(doc, "filename"));
  if (!year) year = nstr(doc, "year");
  long long page = json_integer_value(json_object_get(note, "page"));
  if (!authors) authors = nstr(doc, "authors");
  if (!title) title = nstr(doc, "title");
  if (!title) title = file && file[0] ? file : NULL;
  buf_printf(md, "%zu. %s", k, title ? title : ko ? "제목 없음" : "Untitled");
  if (url && !strncmp(url, "plugin:", 7) && strchr(url, '#')) {
    /* a plugin source: which one, and its locator (a query, a file) as code */
    const char *hash = strchr(url, '#');
    buf_printf(md, " (%.*s): `", (int)(hash - url - 7), url + 7);
    for (const char *c = hash + 1; *c; c++) buf_putc(md, *c == '`' ? '\'' : *c == '\n' ? ' ' : *c);
    buf_puts(md, "`\n");
    return 1;
  }
  if (url) {
    if (authors) buf_printf(md, ", %s", authors);
    buf_printf(md, ", <%s> (%s %s)\n", url, ko ? "접근" : "accessed", date);
    return 1;
  }
  if (file && file[0] && title && strcmp(file, title)) buf_printf(md, " (%s)", file);
  if (authors) buf_printf(md, ", %s", authors);
  if (venue) buf_printf(md, ", %s", venue);
  if (year) buf_printf(md, ", %s", year);
  if (doi) buf_printf(md, ", doi:%s", doi);
  if (page > 0) buf_printf(md, ko ? ", %lld쪽" : ", p. %lld", page);
  buf_putc(md, '\n');
  return 1;
}

json_t *cite_from_note(json_t *note) {
  json_t *r = json_object();
  const char *title = nstr(note, "title");
  if (!title) title = nstr(note, "source_title");
  if (!title) title = nstr(note, "filename");
  static const char *const COPY[] = {"authors", "venue", "doi", "url", "volume", "issue", "pages", "publisher"};
  if (title) json_object_set_new(r, "title", json_string(title));
  for (size_t i = 0; i < sizeof COPY / sizeof COPY[0]; i++)
    if (nstr(note, COPY[i])) json_object_set_new(r, COPY[i], json_string(nstr(note, COPY[i])));
  char year[32];
  year_of(note, year, sizeof year);
  if (year[0]) json_object_set_new(r, "year", json_string(year));
  if (nstr(note, "document_id")) json_object_set_new(r, "document_id", json_string(nstr(note, "document_id")));
  if (json_integer_value(json_object_get(note, "page")) > 0)
    json_object_set_new(r, "page", json_integer(json_integer_value(json_object_get(note, "page"))));
  const char *kind = nstr(note, "kind");
  if (kind && !strcmp(kind, "web") && !nstr(note, "doi")) json_object_set_new(r, "type", json_string("web"));
  return r;
}
