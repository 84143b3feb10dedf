/*
 * metrics.h - process-wide Prometheus metrics (counters, gauges, histograms
 * with labels). A metric is created on first use by name + label value and
 * lives until exit. All functions are thread-safe and lock-light (one mutex).
 */
#ifndef MAESTRO_METRICS_H
#define MAESTRO_METRICS_H

#include "base/buf.h"

/* Adds delta to counter `name{label=value}` (label may be NULL). */
void metrics_counter_add(const char *name, const char *help, const char *label, const char *value, double delta);
/* Sets or adds to a gauge. */
void metrics_gauge_set(const char *name, const char *help, double v);
void metrics_gauge_add(const char *name, const char *help, double delta);
/* Observes a value into a histogram with the default second-scale buckets. */
void metrics_observe(const char *name, const char *help, const char *label, const char *value, double v);
/* Appends the Prometheus text exposition of every metric. */
void metrics_render(buf_t *out);

#endif
