/*
 * executor.h - run a function on a thread with a large stack, and wait.
 *
 * Debian's civetweb gives its worker threads 100 KiB stacks. That is enough
 * for civetweb itself but not for request handlers that call SQLite, libxml2
 * or poppler (and certainly not under AddressSanitizer). So every API handler
 * and WebSocket callback is handed to this pool, whose threads have
 * EXECUTOR_STACK bytes of stack, while the civetweb thread waits. The pool
 * also bounds how many handlers run at once; callers queue in FIFO order.
 *
 * Thread-safe. executor_call() must not be called from a pool thread (it
 * would wait on itself when the pool is saturated).
 */
#ifndef MAESTRO_EXECUTOR_H
#define MAESTRO_EXECUTOR_H

#include <stddef.h>

#define EXECUTOR_STACK (8u << 20)

typedef struct executor executor_t;

executor_t *executor_new(int nthreads, size_t stack_size);
/* Runs fn(arg) on a pool thread and returns when it has finished. */
void executor_call(executor_t *ex, void (*fn)(void *), void *arg);
/* Joins the threads (after the queue drains); accepts NULL. */
void executor_free(executor_t *ex);

#endif
