/*
 * bench/ir_eval.h - the measures of the retrieval benchmark, kept apart so a
 * unit test (tests/unit/test_ir_eval.c) can check them on toy judgments.
 * Header-only (each bench is one translation unit).
 *
 * A ranking is an array of document numbers, best first. It may name one
 * document several times (a list of passages): only its first appearance
 * counts, later ones take their rank and gain nothing (a user reads the same
 * paper twice). gain[d] is the judged gain of document d (0: not relevant),
 * for 0 <= d <= maxdoc; numbers outside that range are not relevant.
 *
 *   nDCG@k  sum over the first k ranks of gain / log2(rank + 1), divided by
 *           the same sum over the ideal order of the judged gains;
 *   AP      mean over relevant documents of precision at each one found
 *           within `depth` ranks (not found: 0), i.e. MAP when averaged;
 *   R@n     relevant documents found within n ranks / relevant documents.
 */
#ifndef MAESTRO_IR_EVAL_H
#define MAESTRO_IR_EVAL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double ndcg10, ap, r100;
} ir_measures_t;

static inline int ir_cmp_gain_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* The measures of one query; 0 on success, -1 when nothing is relevant. */
static inline int ir_measure(const int *ranked, size_t n, const double *gain, int maxdoc, int k, int depth, int rdepth,
                             ir_measures_t *out) {
  memset(out, 0, sizeof *out);
  size_t nrel = 0;
  for (int d = 0; d <= maxdoc; d++) nrel += gain[d] > 0;
  if (nrel == 0) return -1;
  double *ideal = malloc(nrel * sizeof *ideal);
  unsigned char *seen = calloc((size_t)maxdoc + 1, 1);
  if (!ideal || !seen) abort();
  size_t ni = 0;
  for (int d = 0; d <= maxdoc; d++)
    if (gain[d] > 0) ideal[ni++] = gain[d];
  qsort(ideal, ni, sizeof *ideal, ir_cmp_gain_desc);
  double idcg = 0, dcg = 0, ap = 0;
  for (size_t i = 0; i < ni && i < (size_t)k; i++) idcg += ideal[i] / log2((double)i + 2.0);
  size_t found = 0, found_r = 0;
  for (size_t i = 0; i < n && i < (size_t)depth; i++) {
    int d = ranked[i];
    if (d < 0 || d > maxdoc || seen[d]) continue;
    seen[d] = 1;
    if (gain[d] <= 0) continue;
    if (i < (size_t)k) dcg += gain[d] / log2((double)i + 2.0);
    found++;
    ap += (double)found / (double)(i + 1);
    if (i < (size_t)rdepth) found_r++;
  }
  out->ndcg10 = idcg > 0 ? dcg / idcg : 0;
  out->ap = ap / (double)nrel;
  out->r100 = (double)found_r / (double)nrel;
  free(ideal);
  free(seen);
  return 0;
}

#endif
