/* blas.c - lazily loaded OpenBLAS sgemv with a portable fallback; see blas.h. */
#include "base/blas.h"

#include <dlfcn.h>
#include <pthread.h>

/* The CBLAS signature, with the enum values of cblas.h spelled out. */
typedef void (*sgemv_fn)(int order, int trans, int m, int n, float alpha, const float *a, int lda, const float *x,
                         int incx, float beta, float *y, int incy);
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111 };

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static sgemv_fn g_sgemv;

static void load(void) {
  const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3", NULL};
  for (const char **n = names; *n && !g_sgemv; n++) {
    void *h = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
    if (h) g_sgemv = (sgemv_fn)dlsym(h, "cblas_sgemv");
  }
}

int blas_accelerated(void) {
  pthread_once(&g_once, load);
  return g_sgemv != NULL;
}

void blas_sgemv(size_t rows, size_t cols, const float *a, const float *x, float *y) {
  pthread_once(&g_once, load);
  if (g_sgemv && rows <= 0x7fffffff && cols <= 0x7fffffff) {
    g_sgemv(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, (int)rows, (int)cols, 1.0f, a, (int)cols, x, 1, 0.0f, y, 1);
    return;
  }
  for (size_t r = 0; r < rows; r++) {
    const float *row = a + r * cols;
    float s = 0;
    for (size_t c = 0; c < cols; c++) s += row[c] * x[c];
    y[r] = s;
  }
}
