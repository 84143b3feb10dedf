/*
 * data.c - the `data` plugin: the data-analysis agent's computations.
 *
 * Configuration (PLUGINS_DIR/data.json or PLUGIN_DATA_*):
 *   path       a directory of .csv/.tsv files the "list" tool offers and
 *              "analyze" may read by name (no other file is readable)
 *   max_bytes  largest table read (default 20 MB)
 *
 * analyze ({file} or {csv, name}, optional delimiter) answers
 *   {name, rows, columns:[{name, type, count, missing, ...}],
 *    correlations:[{a, b, r, n}], figures:[{id, text}], charts:[{id, kind,
 *    title, svg}]}
 * Types: "number" (every non-missing value parses as a number), "date"
 * (YYYY-MM-DD), else "text". Missing: empty, NA, N/A, null, NaN, "-".
 * Numbers: mean, sample standard deviation, min, quartiles (linear
 * interpolation between order statistics, as numpy's default), median,
 * max; outliers by Tukey's fences (below Q1-1.5 IQR or above Q3+1.5 IQR)
 * and by z-score (|z| > 3). Pearson correlations between number columns
 * over the rows where both are present. Each figure is one sentence (the
 * agent cites it). Charts are SVG with only svg, rect, line, circle,
 * polyline and text elements (the PDF export draws that subset): a
 * histogram per number column (up to 3), a bar chart of the first text
 * column's most frequent values, a scatter of the most correlated pair, a
 * time series when a date column exists.
 *
 * The route POST /api/plugins/data/analyze (researcher) runs the same
 * analysis on a posted {csv, name} or a configured {file}: the guide's
 * custom analyze-data endpoint.
 */
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maestro/plugin.h"

static char g_path[4096];
static long g_max_bytes = 20L << 20;

/* ---- a growable string ---- */
typedef struct {
  char *s;
  size_t n, cap;
} sb_t;
static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    b->cap = (b->n + (size_t)k + 1) * 2;
    b->s = realloc(b->s, b->cap);
    if (!b->s) abort();
  }
}
static void sb_xml(sb_t *b, const char *t) {
  for (; *t; t++) {
    if (*t == '<')
      sb_printf(b, "&lt;");
    else if (*t == '>')
      sb_printf(b, "&gt;");
    else if (*t == '&')
      sb_printf(b, "&amp;");
    else if (*t == '"')
      sb_printf(b, "&quot;");
    else
      sb_printf(b, "%c", *t);
  }
}

/* ---- CSV ---- */
typedef struct {
  char ***rows; /* rows[r][c]; rows[0] is the header */
  size_t nrows, ncols;
} table_t;

static void table_free(table_t *t) {
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) free(t->rows[r][c]);
    free(t->rows[r]);
  }
  free(t->rows);
}

/* RFC 4180: quoted fields, "" inside quotes, CRLF or LF. Short rows are
 * padded with empty (missing) cells, long rows cut to the header. */
static int parse_csv(const char *s, char delim, table_t *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  char **row = NULL;
  size_t nf = 0;
  sb_t f = {0};
  int q = 0, any = 0;
  for (const char *p = s;; p++) {
    char c = *p;
    if (q) {
      if (!c) break;
      if (c == '"' && p[1] == '"') {
        sb_printf(&f, "\"");
        p++;
      } else if (c == '"')
        q = 0;
      else
        sb_printf(&f, "%c", c);
      continue;
    }
    if (c == '"' && (!f.s || !f.n)) {
      q = 1;
      any = 1;
    } else if (c == delim || c == '\n' || c == 0 || (c == '\r' && p[1] == '\n')) {
      row = realloc(row, (nf + 1) * sizeof *row);
      if (!row) abort();
      row[nf++] = f.s ? f.s : calloc(1, 1);
      f = (sb_t){0};
      if (c == '\r') p++, c = '\n';
      if (c != delim) {
        int blank = nf == 1 && !row[0][0] && !any;
        if (blank) {
          free(row[0]);
          free(row);
        } else {
          if (!t->nrows) t->ncols = nf;
          for (size_t i = t->ncols; i < nf; i++) free(row[i]);
          row = realloc(row, t->ncols * sizeof *row);
          for (size_t i = nf; i < t->ncols; i++) row[i] = calloc(1, 1);
          t->rows = realloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
          if (!t->rows) abort();
          t->rows[t->nrows++] = row;
        }
        row = NULL;
        nf = 0;
        any = 0;
        if (!c) break;
      }
    } else {
      sb_printf(&f, "%c", c);
      any = 1;
    }
  }
  if (q) {
    free(f.s);
    for (size_t i = 0; i < nf; i++) free(row[i]);
    free(row);
    table_free(t);
    snprintf(err, errlen, "a quoted field is not closed");
    return -1;
  }
  if (t->nrows < 2 || !t->ncols) {
    table_free(t);
    snprintf(err, errlen, "the table needs a header row and at least one data row");
    return -1;
  }
  return 0;
}

/* ---- statistics ---- */
static int missing(const char *v) {
  while (isspace((unsigned char)*v)) v++;
  return !*v || !strcasecmp(v, "na") || !strcasecmp(v, "n/a") || !strcasecmp(v, "null") || !strcasecmp(v, "nan") ||
         !strcmp(v, "-");
}
static int number(const char *v, double *out) {
  char *e;
  while (isspace((unsigned char)*v)) v++;
  double d = strtod(v, &e);
  while (isspace((unsigned char)*e)) e++;
  if (e == v || *e || !isfinite(d)) return 0;
  *out = d;
  return 1;
}
static int is_date(const char *v) {
  int y, m, d;
  char tail;
  return sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
/* numpy's default (linear): h = (n-1)p. */
static double quantile(const double *s, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return s[n - 1];
  return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}
static double round_to(double v, int digits) {
  double f = pow(10, digits);
  return round(v * f) / f;
}

typedef struct {
  const char *name;
  int type; /* 0 text, 1 number, 2 date */
  size_t count, missing;
  double *v; /* numbers by row (NAN when missing) */
  double mean, sd, min, q1, median, q3, max;
  size_t iqr_out, z_out;
} col_t;

static void fig(json_t *figs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fig(json_t *figs, const char *fmt, ...) {
  char t[600], id[16];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t, sizeof t, fmt, ap);
  va_end(ap);
  snprintf(id, sizeof id, "F%zu", json_array_size(figs) + 1);
  json_array_append_new(figs, json_pack("{s:s, s:s}", "id", id, "text", t));
}

/* ---- SVG charts (the subset the PDF export draws) ---- */
#define W 480
#define H 300
#define L 56
#define R 16
#define T 36
#define B 48

static void svg_open(sb_t *b, const char *title) {
  sb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", W, H, W,
            H);
  sb_printf(b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", W, H);
  sb_printf(b, "<text x=\"%d\" y=\"22\" font-size=\"14\" text-anchor=\"middle\" fill=\"#222222\">", W / 2);
  sb_xml(b, title);
  sb_printf(b, "</text>");
  sb_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444444\"/>", L, H - B, W - R, H - B);
  sb_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444444\"/>", L, T, L, H - B);
}
static void svg_label(sb_t *b, double x, double y, const char *anchor, const char *t) {
  sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"%s\" fill=\"#444444\">", x, y, anchor);
  sb_xml(b, t);
  sb_printf(b, "</text>");
}
static void svg_yaxis(sb_t *b, double lo, double hi) {
  char t[32];
  snprintf(t, sizeof t, "%.4g", hi);
  svg_label(b, L - 4, T + 4, "end", t);
  snprintf(t, sizeof t, "%.4g", lo);
  svg_label(b, L - 4, H - B, "end", t);
}
static double sx(double v, double lo, double hi) {
  return L + (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (W - L - R);
}
static double sy(double v, double lo, double hi) {
  return H - B - (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (H - T - B);
}

static void chart(json_t *charts, const char *kind, const char *title, sb_t *b) {
  sb_printf(b, "</svg>");
  char id[16];
  snprintf(id, sizeof id, "C%zu", json_array_size(charts) + 1);
  json_array_append_new(charts, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "kind", kind, "title", title, "svg", b->s));
  free(b->s);
}

static void histogram(json_t *charts, const col_t *c, size_t nrows) {
  int bins = 10;
  size_t counts[10] = {0}, top = 1;
  double lo = c->min, hi = c->max, w = (hi - lo) / bins;
  for (size_t r = 0; r < nrows; r++) {
    if (isnan(c->v[r])) continue;
    int k = w > 0 ? (int)((c->v[r] - lo) / w) : 0;
    if (k >= bins) k = bins - 1;
    if (++counts[k] > top) top = counts[k];
  }
  char title[200];
  snprintf(title, sizeof title, "Histogram of %s", c->name);
  sb_t b = {0};
  svg_open(&b, title);
  svg_yaxis(&b, 0, (double)top);
  double bw = (double)(W - L - R) / bins;
  for (int k = 0; k < bins; k++) {
    double y = sy((double)counts[k], 0, (double)top);
    sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4e79a7\"/>", L + k * bw + 1, y,
              bw - 2, (H - B) - y);
  }
  char t[32];
  snprintf(t, sizeof t, "%.4g", lo);
  svg_label(&b, L, H - B + 14, "start", t);
  snprintf(t, sizeof t, "%.4g", hi);
  svg_label(&b, W - R, H - B + 14, "end", t);
  svg_label(&b, (L + W - R) / 2.0, H - 12, "middle", c->name);
  chart(charts, "histogram", title, &b);
}

static void scatter(json_t *charts, const col_t *a, const col_t *c, size_t nrows, double r) {
  char title[200];
  snprintf(title, sizeof title, "%s vs %s (r = %.2f)", c->name, a->name, r);
  sb_t b = {0};
  svg_open(&b, title);
  svg_yaxis(&b, c->min, c->max);
  for (size_t i = 0; i < nrows; i++) {
    if (isnan(a->v[i]) || isnan(c->v[i])) continue;
    sb_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#e15759\"/>", sx(a->v[i], a->min, a->max),
              sy(c->v[i], c->min, c->max));
  }
  svg_label(&b, (L + W - R) / 2.0, H - 12, "middle", a->name);
  chart(charts, "scatter", title, &b);
}

static void bars(json_t *charts, const char *name, json_t *top) {
  char title[200];
  snprintf(title, sizeof title, "Most frequent values of %s", name);
  size_t n = json_array_size(top), i;
  double hi = 1;
  json_t *v;
  json_array_foreach(top, i, v) if (json_integer_value(json_object_get(v, "count")) > hi) hi =
      (double)json_integer_value(json_object_get(v, "count"));
  sb_t b = {0};
  svg_open(&b, title);
  svg_yaxis(&b, 0, hi);
  double bw = (double)(W - L - R) / (double)(n ? n : 1);
  json_array_foreach(top, i, v) {
    double y = sy((double)json_integer_value(json_object_get(v, "count")), 0, hi);
    sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#59a14f\"/>", L + i * bw + 4, y,
              bw - 8, (H - B) - y);
    char lab[40];
    snprintf(lab, sizeof lab, "%.16s", json_string_value(json_object_get(v, "value")));
    svg_label(&b, L + i * bw + bw / 2, H - B + 14, "middle", lab);
  }
  chart(charts, "bar", title, &b);
}

/* dates sort as text (YYYY-MM-DD): points in date order */
typedef struct {
  const char *d;
  double v;
} dpt_t;
static int cmp_dpt(const void *a, const void *b) {
  return strcmp(((const dpt_t *)a)->d, ((const dpt_t *)b)->d);
}

static void timeseries(json_t *charts, const table_t *t, size_t dc, const col_t *c) {
  dpt_t *pts = calloc(t->nrows, sizeof *pts);
  if (!pts) abort();
  size_t n = 0;
  for (size_t r = 1; r < t->nrows; r++)
    if (is_date(t->rows[r][dc]) && !isnan(c->v[r - 1])) pts[n++] = (dpt_t){t->rows[r][dc], c->v[r - 1]};
  if (n < 2) {
    free(pts);
    return;
  }
  qsort(pts, n, sizeof *pts, cmp_dpt);
  char title[200];
  snprintf(title, sizeof title, "%s over time", c->name);
  sb_t b = {0};
  svg_open(&b, title);
  svg_yaxis(&b, c->min, c->max);
  sb_printf(&b, "<polyline fill=\"none\" stroke=\"#f28e2b\" stroke-width=\"2\" points=\"");
  for (size_t i = 0; i < n; i++)
    sb_printf(&b, "%s%.1f,%.1f", i ? " " : "", sx((double)i, 0, (double)(n - 1)), sy(pts[i].v, c->min, c->max));
  sb_printf(&b, "\"/>");
  svg_label(&b, L, H - B + 14, "start", pts[0].d);
  svg_label(&b, W - R, H - B + 14, "end", pts[n - 1].d);
  free(pts);
  chart(charts, "timeseries", title, &b);
}

static json_t *analyze_table(const char *name, table_t *t) {
  size_t nr = t->nrows - 1, nc = t->ncols;
  col_t *cols = calloc(nc, sizeof *cols);
  if (!cols) abort();
  json_t *jcols = json_array(), *figs = json_array(), *charts = json_array(), *corrs = json_array();
  fig(figs, "%s has %zu rows and %zu columns.", name, nr, nc);
  size_t first_text = (size_t)-1, first_date = (size_t)-1;
  for (size_t c = 0; c < nc; c++) {
    col_t *k = &cols[c];
    k->name = t->rows[0][c];
    k->v = malloc(nr * sizeof *k->v);
    if (!k->v) abort();
    int all_num = 1, all_date = 1;
    for (size_t r = 0; r < nr; r++) {
      const char *v = t->rows[r + 1][c];
      k->v[r] = NAN;
      if (missing(v)) {
        k->missing++;
        continue;
      }
      k->count++;
      double d;
      if (number(v, &d))
        k->v[r] = d;
      else
        all_num = 0;
      if (!is_date(v)) all_date = 0;
    }
    k->type = !k->count ? 0 : all_num ? 1 : all_date ? 2 : 0;
    json_t *jc = json_pack("{s:s, s:s, s:I, s:I}", "name", k->name, "type",
                           k->type == 1   ? "number"
                           : k->type == 2 ? "date"
                                          : "text",
                           "count", (json_int_t)k->count, "missing", (json_int_t)k->missing);
    if (k->missing)
      fig(figs, "Column %s has %zu missing values out of %zu rows (%.1f%%).", k->name, k->missing, nr,
          100.0 * (double)k->missing / (double)nr);
    if (k->type == 1) {
      double *s = malloc(k->count * sizeof *s), sum = 0;
      if (!s) abort();
      size_t n = 0;
      for (size_t r = 0; r < nr; r++)
        if (!isnan(k->v[r])) s[n++] = k->v[r], sum += k->v[r];
      qsort(s, n, sizeof *s, cmp_d);
      k->mean = sum / (double)n;
      double ss = 0;
      for (size_t i = 0; i < n; i++) ss += (s[i] - k->mean) * (s[i] - k->mean);
      k->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
      k->min = s[0], k->max = s[n - 1];
      k->q1 = quantile(s, n, 0.25), k->median = quantile(s, n, 0.5), k->q3 = quantile(s, n, 0.75);
      double iqr = k->q3 - k->q1, lo = k->q1 - 1.5 * iqr, hi = k->q3 + 1.5 * iqr;
      json_t *outv = json_array();
      for (size_t i = 0; i < n; i++) {
        if (s[i] < lo || s[i] > hi) {
          k->iqr_out++;
          if (json_array_size(outv) < 10) json_array_append_new(outv, json_real(s[i]));
        }
        if (k->sd > 0 && fabs((s[i] - k->mean) / k->sd) > 3) k->z_out++;
      }
      free(s);
      json_object_set_new(jc, "stats",
                          json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "mean", round_to(k->mean, 6), "sd",
                                    round_to(k->sd, 6), "min", k->min, "q1", round_to(k->q1, 6), "median",
                                    round_to(k->median, 6), "q3", round_to(k->q3, 6), "max", k->max));
      json_object_set_new(
          jc, "outliers",
          json_pack("{s:I, s:o, s:I, s:f, s:f}", "iqr", (json_int_t)k->iqr_out, "iqr_values", outv, "zscore",
                    (json_int_t)k->z_out, "low_fence", round_to(lo, 6), "high_fence", round_to(hi, 6)));
      fig(figs, "Column %s: mean %.4g, median %.4g, standard deviation %.4g, minimum %.4g, maximum %.4g (n = %zu).",
          k->name, k->mean, k->median, k->sd, k->min, k->max, k->count);
      if (k->iqr_out || k->z_out)
        fig(figs, "Column %s has %zu outliers outside the IQR fences %.4g to %.4g and %zu with |z| > 3.", k->name,
            k->iqr_out, lo, hi, k->z_out);
    } else if (k->type == 0 && k->count) {
      if (first_text == (size_t)-1) first_text = c;
      json_t *freq = json_object();
      for (size_t r = 0; r < nr; r++) {
        const char *v = t->rows[r + 1][c];
        if (missing(v)) continue;
        json_t *x = json_object_get(freq, v);
        json_object_set_new(freq, v, json_integer(x ? json_integer_value(x) + 1 : 1));
      }
      json_t *top = json_array();
      for (int i = 0; i < 5; i++) {
        const char *bk = NULL, *key;
        json_int_t bv = 0;
        json_t *x;
        json_object_foreach(freq, key, x) if (json_integer_value(x) > bv) bv = json_integer_value(x), bk = key;
        if (!bk) break;
        json_array_append_new(top, json_pack("{s:s, s:I}", "value", bk, "count", bv));
        json_object_set_new(freq, bk, json_integer(0));
      }
      json_object_set_new(jc, "distinct", json_integer((json_int_t)json_object_size(freq)));
      json_object_set_new(jc, "top", top);
      json_decref(freq);
    } else if (k->type == 2 && first_date == (size_t)-1)
      first_date = c;
    json_array_append_new(jcols, jc);
  }
  /* correlations */
  double best = 0;
  size_t ba = 0, bb = 0;
  for (size_t a = 0; a < nc; a++)
    for (size_t b = a + 1; b < nc; b++) {
      if (cols[a].type != 1 || cols[b].type != 1) continue;
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      size_t n = 0;
      for (size_t r = 0; r < nr; r++) {
        double x = cols[a].v[r], y = cols[b].v[r];
        if (isnan(x) || isnan(y)) continue;
        n++, sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
      }
      double den = sqrt((n * saa - sa * sa) * (n * sbb - sb * sb));
      if (n < 3 || den <= 0) continue;
      double r = (n * sab - sa * sb) / den;
      json_array_append_new(corrs, json_pack("{s:s, s:s, s:f, s:I}", "a", cols[a].name, "b", cols[b].name, "r",
                                             round_to(r, 4), "n", (json_int_t)n));
      fig(figs, "The correlation between %s and %s is r = %.2f (n = %zu).", cols[a].name, cols[b].name, r, n);
      if (fabs(r) > fabs(best)) best = r, ba = a, bb = b;
    }
  /* charts */
  int hist = 0;
  for (size_t c = 0; c < nc && hist < 3; c++)
    if (cols[c].type == 1) histogram(charts, &cols[c], nr), hist++;
  if (first_text != (size_t)-1) {
    json_t *jc = json_array_get(jcols, first_text);
    bars(charts, cols[first_text].name, json_object_get(jc, "top"));
  }
  if (ba != bb) scatter(charts, &cols[ba], &cols[bb], nr, best);
  if (first_date != (size_t)-1)
    for (size_t c = 0; c < nc; c++)
      if (cols[c].type == 1) {
        timeseries(charts, t, first_date, &cols[c]);
        break;
      }
  for (size_t c = 0; c < nc; c++) free(cols[c].v);
  free(cols);
  return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "name", name, "rows", (json_int_t)nr, "columns", jcols,
                   "correlations", corrs, "figures", figs, "charts", charts);
}

/* ---- requests ---- */

static char *answer(json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(v);
  return s;
}

/* A file of the configured directory by its plain name (no path). */
static char *read_named(const char *file, char *err, size_t errlen) {
  if (!g_path[0]) {
    snprintf(err, errlen, "no data directory is configured (PLUGIN_DATA_PATH)");
    return NULL;
  }
  if (!file || !file[0] || strchr(file, '/') || file[0] == '.') {
    snprintf(err, errlen, "file must be the plain name of a file in the data directory");
    return NULL;
  }
  char p[8192];
  snprintf(p, sizeof p, "%s/%s", g_path, file);
  FILE *f = fopen(p, "rb");
  struct stat st;
  if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
    if (f) fclose(f);
    snprintf(err, errlen, "no file %s in the data directory", file);
    return NULL;
  }
  if (st.st_size > g_max_bytes) {
    fclose(f);
    snprintf(err, errlen, "%s is larger than %ld bytes", file, g_max_bytes);
    return NULL;
  }
  char *s = malloc((size_t)st.st_size + 1);
  size_t n = s ? fread(s, 1, (size_t)st.st_size, f) : 0;
  fclose(f);
  if (!s) return NULL;
  s[n] = 0;
  return s;
}

static json_t *analyze(json_t *in, char *err, size_t errlen) {
  const char *file = json_string_value(json_object_get(in, "file"));
  const char *csv = json_string_value(json_object_get(in, "csv"));
  const char *name = json_string_value(json_object_get(in, "name"));
  const char *delim = json_string_value(json_object_get(in, "delimiter"));
  if (!file && !csv) {
    snprintf(err, errlen, "give \"csv\" (the table's text) or \"file\" (a name from the data directory)");
    return NULL;
  }
  char *text = csv ? strdup(csv) : read_named(file, err, errlen);
  if (!text) return NULL;
  if (!name) name = file ? file : "data";
  char d = delim && delim[0] ? delim[0] : 0;
  if (!d) {
    size_t tabs = 0, commas = 0;
    for (const char *p = text; *p && *p != '\n'; p++) tabs += *p == '\t', commas += *p == ',';
    d = (tabs > commas || (file && strstr(file, ".tsv"))) ? '\t' : ',';
  }
  table_t t;
  json_t *res = NULL;
  if (parse_csv(text, d, &t, err, errlen) == 0) {
    res = analyze_table(name, &t);
    table_free(&t);
  }
  free(text);
  return res;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .csv/.tsv files of the data directory, in name order. */
static char *list_files(void) {
  char **names = NULL;
  size_t n = 0;
  DIR *dd = g_path[0] ? opendir(g_path) : NULL;
  struct dirent *de;
  while (dd && (de = readdir(dd))) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len <= 4 ||
        (strcasecmp(de->d_name + len - 4, ".csv") && strcasecmp(de->d_name + len - 4, ".tsv")))
      continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (!names) abort();
    names[n++] = strdup(de->d_name);
  }
  if (dd) closedir(dd);
  if (n) qsort(names, n, sizeof *names, cmp_str);
  json_t *files = json_array();
  for (size_t i = 0; i < n; i++) {
    json_array_append_new(files, json_string(names[i]));
    free(names[i]);
  }
  free(names);
  return answer(json_pack("{s:o}", "files", files));
}

/* The source "tables": one passage per file of the data directory, its
 * figures as text (the sentences a report cites), locator the file name;
 * files sharing more words with the query first. */
static char *search(json_t *req) {
  const char *q = json_string_value(json_object_get(req, "query"));
  char *lf = list_files();
  json_t *root = json_loads(lf, 0, NULL), *files = json_object_get(root, "files"), *out = json_array();
  free(lf);
  size_t i;
  json_t *f;
  json_array_foreach(files, i, f) {
    if (i >= 8) break;
    char err[512];
    json_t *in = json_pack("{s:O}", "file", f);
    json_t *a = analyze(in, err, sizeof err);
    json_decref(in);
    if (!a) continue;
    sb_t text = {0}, title = {0};
    size_t k;
    json_t *fv;
    json_array_foreach(json_object_get(a, "figures"), k, fv)
        sb_printf(&text, "%s%s", k ? " " : "", json_string_value(json_object_get(fv, "text")));
    sb_printf(&title, "Data analysis of %s", json_string_value(f));
    int score = 0;
    json_array_foreach(json_object_get(a, "columns"), k, fv) {
      const char *cn = json_string_value(json_object_get(fv, "name"));
      if (q && cn && strlen(cn) >= 3 && strcasestr(q, cn)) score++;
    }
    json_t *p = json_pack("{s:s, s:s, s:O, s:{s:I, s:I, s:i}}", "title", title.s, "text", text.s ? text.s : "",
                          "locator", f, "metadata", "rows", json_integer_value(json_object_get(a, "rows")), "columns",
                          (json_int_t)json_array_size(json_object_get(a, "columns")), "score", score);
    free(text.s);
    free(title.s);
    json_decref(a);
    /* insertion by score, stable */
    size_t at = json_array_size(out);
    while (at > 0 && json_integer_value(
                         json_object_get(json_object_get(json_array_get(out, at - 1), "metadata"), "score")) < score)
      at--;
    json_array_insert_new(out, at, p);
  }
  json_decref(root);
  return answer(json_pack("{s:o}", "passages", out));
}

static char *execute(const char *request) {
  json_t *req = json_loads(request, 0, NULL);
  const char *kind = json_string_value(json_object_get(req, "kind"));
  char err[512] = "";
  char *out = NULL;
  if (kind && !strcmp(kind, "search")) {
    out = search(req);
  } else if (kind && !strcmp(kind, "tool")) {
    const char *tool = json_string_value(json_object_get(req, "tool"));
    if (tool && !strcmp(tool, "list")) {
      out = list_files();
    } else if (tool && !strcmp(tool, "charts")) {
      json_t *in = json_pack("{s:O}", "file", json_object_get(json_object_get(req, "input"), "locator"));
      json_t *r = analyze(in, err, sizeof err);
      json_decref(in);
      out = answer(r ? json_pack("{s:O}", "charts", json_object_get(r, "charts")) : json_pack("{s:s}", "error", err));
      json_decref(r);
    } else {
      json_t *r = analyze(json_object_get(req, "input"), err, sizeof err);
      out = answer(r ? r : json_pack("{s:s}", "error", err));
    }
  } else if (kind && !strcmp(kind, "route")) {
    json_t *r = analyze(json_object_get(req, "body"), err, sizeof err);
    out = answer(r ? json_pack("{s:i, s:o}", "status", 200, "body", r)
                   : json_pack("{s:i, s:{s:{s:s, s:s}}}", "status", 422, "body", "error", "code", "invalid_data",
                               "message", err));
  } else {
    out = answer(json_pack("{s:s}", "error", "unsupported request kind"));
  }
  json_decref(req);
  return out;
}

static int init(const maestro_host_t *host, const char *config, char *err, size_t errlen) {
  json_t *cfg = json_loads(config, 0, NULL);
  const char *p = json_string_value(json_object_get(cfg, "path"));
  snprintf(g_path, sizeof g_path, "%s", p ? p : "");
  json_t *mb = json_object_get(cfg, "max_bytes");
  if (json_is_integer(mb)) g_max_bytes = (long)json_integer_value(mb);
  if (json_is_string(mb)) g_max_bytes = atol(json_string_value(mb));
  json_decref(cfg);
  if (g_max_bytes <= 0) {
    snprintf(err, errlen, "max_bytes must be a positive number of bytes");
    return -1;
  }
  const char *schema =
      "{\"type\":\"object\",\"properties\":{\"file\":{\"type\":\"string\"},\"csv\":{\"type\":"
      "\"string\"},\"name\":{\"type\":\"string\"},\"delimiter\":{\"type\":\"string\"}}}";
  if (host->register_tool(host->ctx, "analyze",
                          "Structure, types, statistics, missing values, outliers, correlations and SVG charts of a "
                          "CSV/TSV table",
                          schema) ||
      host->register_tool(host->ctx, "list", "The CSV/TSV files of the data directory", "{\"type\":\"object\"}") ||
      host->register_tool(host->ctx, "charts", "The SVG charts of a file the source \"tables\" answered (locator)",
                          "{\"type\":\"object\",\"required\":[\"locator\"],\"properties\":{\"locator\":{"
                          "\"type\":\"string\"}}}") ||
      host->register_source(host->ctx, "tables",
                            "Computed figures (statistics, outliers, correlations) of the CSV/TSV "
                            "files of the data directory") ||
      host->register_route(host->ctx, "POST", "analyze", MAESTRO_ROLE_RESEARCHER)) {
    snprintf(err, errlen, "registration refused by the host");
    return -1;
  }
  return 0;
}

static const maestro_plugin_t PLUGIN = {MAESTRO_PLUGIN_ABI_VERSION,
                                        "data",
                                        "1.0.0",
                                        "Data-analysis agent: statistics, outliers, correlations and SVG charts of "
                                        "CSV/TSV tables",
                                        init,
                                        execute,
                                        NULL};

MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entry(void) {
  return &PLUGIN;
}
