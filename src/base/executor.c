/* executor.c - a FIFO of calls served by big-stack threads; see executor.h. */
#include "base/executor.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct task {
  struct task *next;
  void (*fn)(void *);
  void *arg;
  int done;
  pthread_cond_t cond;
} task_t;

struct executor {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  task_t *head, *tail;
  int stopping;
  int nthreads;
  pthread_t *threads;
};

static void *worker(void *arg) {
  executor_t *ex = arg;
  pthread_mutex_lock(&ex->lock);
  for (;;) {
    while (!ex->head && !ex->stopping) pthread_cond_wait(&ex->cond, &ex->lock);
    task_t *t = ex->head;
    if (!t) break; /* stopping and drained */
    ex->head = t->next;
    if (!ex->head) ex->tail = NULL;
    pthread_mutex_unlock(&ex->lock);
    t->fn(t->arg);
    pthread_mutex_lock(&ex->lock);
    t->done = 1;
    pthread_cond_signal(&t->cond);
  }
  pthread_mutex_unlock(&ex->lock);
  return NULL;
}

executor_t *executor_new(int nthreads, size_t stack_size) {
  executor_t *ex = calloc(1, sizeof *ex);
  if (!ex) abort();
  pthread_mutex_init(&ex->lock, NULL);
  pthread_cond_init(&ex->cond, NULL);
  ex->threads = calloc((size_t)nthreads, sizeof *ex->threads);
  if (!ex->threads) abort();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_size);
  for (int i = 0; i < nthreads; i++) {
    if (pthread_create(&ex->threads[i], &attr, worker, ex) != 0) break;
    ex->nthreads++;
  }
  pthread_attr_destroy(&attr);
  if (ex->nthreads == 0) abort();
  return ex;
}

void executor_call(executor_t *ex, void (*fn)(void *), void *arg) {
  task_t t = {NULL, fn, arg, 0, PTHREAD_COND_INITIALIZER};
  pthread_mutex_lock(&ex->lock);
  if (ex->tail)
    ex->tail->next = &t;
  else
    ex->head = &t;
  ex->tail = &t;
  pthread_cond_signal(&ex->cond);
  while (!t.done) pthread_cond_wait(&t.cond, &ex->lock);
  pthread_mutex_unlock(&ex->lock);
  pthread_cond_destroy(&t.cond);
}

void executor_free(executor_t *ex) {
  if (!ex) return;
  pthread_mutex_lock(&ex->lock);
  ex->stopping = 1;
  pthread_cond_broadcast(&ex->cond);
  pthread_mutex_unlock(&ex->lock);
  for (int i = 0; i < ex->nthreads; i++) pthread_join(ex->threads[i], NULL);
  pthread_mutex_destroy(&ex->lock);
  pthread_cond_destroy(&ex->cond);
  free(ex->threads);
  free(ex);
}
