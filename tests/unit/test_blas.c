/* The lazily loaded sgemv agrees with plain arithmetic, accelerated or not. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "base/blas.h"

Test(blas, sgemv_matches_the_naive_product) {
  enum { R = 37, C = 768 };
  float *a = malloc(sizeof(float) * R * C), x[C], y[R];
  for (int i = 0; i < R * C; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  for (int i = 0; i < C; i++) x[i] = (float)((i * 104729) % 997) / 997.0f;
  blas_sgemv(R, C, a, x, y);
  for (int r = 0; r < R; r++) {
    double want = 0;
    for (int c = 0; c < C; c++) want += (double)a[r * C + c] * x[c];
    cr_expect(fabs(want - y[r]) < 1e-2, "row %d: %f vs %f", r, want, y[r]);
  }
  cr_expect(blas_accelerated(), "OpenBLAS should load on this machine");
  free(a);
}
