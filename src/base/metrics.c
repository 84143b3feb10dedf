/*
 * metrics.c - a small fixed-capacity metrics registry rendered in the
 * Prometheus text format. Series are found by linear search: there are tens
 * of them, and updates are rare compared with the work they measure.
 */
#include "base/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_SERIES 256
#define NBUCKETS 12

static const double BUCKETS[NBUCKETS] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM } mtype_t;

typedef struct {
  char name[96];
  char help[160];
  char label[32];
  char value[64];
  mtype_t type;
  double v;                /* counter / gauge value, histogram sum */
  unsigned long long count; /* histogram count */
  unsigned long long buckets[NBUCKETS];
} series_t;

static series_t g_series[MAX_SERIES];
static int g_n;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static series_t *get(const char *name, const char *help, const char *label, const char *value, mtype_t type) {
  for (int i = 0; i < g_n; i++) {
    series_t *s = &g_series[i];
    if (strcmp(s->name, name) == 0 && strcmp(s->label, label ? label : "") == 0 &&
        strcmp(s->value, value ? value : "") == 0)
      return s;
  }
  if (g_n >= MAX_SERIES) return NULL;
  series_t *s = &g_series[g_n++];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name);
  snprintf(s->help, sizeof s->help, "%s", help ? help : "");
  snprintf(s->label, sizeof s->label, "%s", label ? label : "");
  snprintf(s->value, sizeof s->value, "%s", value ? value : "");
  s->type = type;
  return s;
}

void metrics_counter_add(const char *name, const char *help, const char *label, const char *value, double delta) {
  pthread_mutex_lock(&g_lock);
  series_t *s = get(name, help, label, value, M_COUNTER);
  if (s) s->v += delta;
  pthread_mutex_unlock(&g_lock);
}

void metrics_gauge_set(const char *name, const char *help, double v) {
  pthread_mutex_lock(&g_lock);
  series_t *s = get(name, help, NULL, NULL, M_GAUGE);
  if (s) s->v = v;
  pthread_mutex_unlock(&g_lock);
}

void metrics_gauge_add(const char *name, const char *help, double delta) {
  pthread_mutex_lock(&g_lock);
  series_t *s = get(name, help, NULL, NULL, M_GAUGE);
  if (s) s->v += delta;
  pthread_mutex_unlock(&g_lock);
}

void metrics_observe(const char *name, const char *help, const char *label, const char *value, double v) {
  pthread_mutex_lock(&g_lock);
  series_t *s = get(name, help, label, value, M_HISTOGRAM);
  if (s) {
    s->v += v;
    s->count++;
    for (int i = 0; i < NBUCKETS; i++)
      if (v <= BUCKETS[i]) s->buckets[i]++;
  }
  pthread_mutex_unlock(&g_lock);
}

static void labels(buf_t *out, const series_t *s, const char *extra_name, const char *extra_value) {
  int any = s->label[0] || extra_name;
  if (!any) return;
  buf_putc(out, '{');
  if (s->label[0]) {
    buf_printf(out, "%s=\"", s->label);
    for (const char *p = s->value; *p; p++) {
      if (*p == '"' || *p == '\\') buf_putc(out, '\\');
      if (*p == '\n') {
        buf_puts(out, "\\n");
        continue;
      }
      buf_putc(out, *p);
    }
    buf_putc(out, '"');
  }
  if (extra_name) buf_printf(out, "%s%s=\"%s\"", s->label[0] ? "," : "", extra_name, extra_value);
  buf_putc(out, '}');
}

void metrics_render(buf_t *out) {
  static const char *tn[] = {"counter", "gauge", "histogram"};
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < g_n; i++) {
    const series_t *s = &g_series[i];
    int first = 1;
    for (int k = 0; k < i; k++)
      if (strcmp(g_series[k].name, s->name) == 0) first = 0;
    if (first) buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help, s->name, tn[s->type]);
    if (s->type == M_HISTOGRAM) {
      for (int b = 0; b < NBUCKETS; b++) {
        char le[32];
        snprintf(le, sizeof le, "%g", BUCKETS[b]);
        buf_printf(out, "%s_bucket", s->name);
        labels(out, s, "le", le);
        buf_printf(out, " %llu\n", s->buckets[b]);
      }
      buf_printf(out, "%s_bucket", s->name);
      labels(out, s, "le", "+Inf");
      buf_printf(out, " %llu\n%s_sum", s->count, s->name);
      labels(out, s, NULL, NULL);
      buf_printf(out, " %.6f\n%s_count", s->v, s->name);
      labels(out, s, NULL, NULL);
      buf_printf(out, " %llu\n", s->count);
    } else {
      buf_puts(out, s->name);
      labels(out, s, NULL, NULL);
      buf_printf(out, " %.17g\n", s->v);
    }
  }
  pthread_mutex_unlock(&g_lock);
}
