/*
 * blas.h - the one BLAS routine Maestro needs, loaded on first use.
 *
 * OpenBLAS declares 60 KiB of thread-local storage. Linked into the binary,
 * that TLS is allocated in every thread at creation — and the server has a
 * thread per connection (hundreds), so it cost ~60 KiB of RSS per idle
 * WebSocket. Loaded with dlopen() instead, its TLS is dynamic and allocated
 * only in the few threads that actually multiply vectors. When the library
 * cannot be loaded, a portable loop computes the same result.
 * Thread-safe.
 */
#ifndef MAESTRO_BLAS_H
#define MAESTRO_BLAS_H

#include <stddef.h>

/* y = A x for a row-major rows x cols matrix A (float32). */
void blas_sgemv(size_t rows, size_t cols, const float *a, const float *x, float *y);
/* 1 when OpenBLAS was loaded, 0 when the portable loop is in use. */
int blas_accelerated(void);

#endif
