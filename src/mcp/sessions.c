/*
 * sessions.c - Streamable HTTP sessions (mcp.h): a small array under one
 * mutex. Lookups are linear; MCP_MAX_SESSIONS bounds the cost, and a request
 * does one lookup.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "mcp/mcp.h"

typedef struct {
  char id[33];
  char user_id[17];
  char version[16];
  int64_t last_ms;
} session_t;

struct mcp_sessions {
  pthread_mutex_t mu;
  session_t *v;
  size_t n;
};

mcp_sessions_t *mcp_sessions_new(void) {
  mcp_sessions_t *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->v = calloc(MCP_MAX_SESSIONS, sizeof *s->v);
  if (!s->v) abort();
  pthread_mutex_init(&s->mu, NULL);
  return s;
}

void mcp_sessions_free(mcp_sessions_t *s) {
  if (!s) return;
  pthread_mutex_destroy(&s->mu);
  free(s->v);
  free(s);
}

static void drop(mcp_sessions_t *s, size_t i) {
  s->v[i] = s->v[--s->n];
}

int mcp_session_create(mcp_sessions_t *s, const char *user_id, const char *version, char *id_out) {
  int64_t now = util_mono_ms();
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; i < s->n;)
    if (now - s->v[i].last_ms > MCP_SESSION_IDLE_MS)
      drop(s, i);
    else
      i++;
  if (s->n >= MCP_MAX_SESSIONS) {
    pthread_mutex_unlock(&s->mu);
    return -1;
  }
  session_t *e = &s->v[s->n++];
  util_random_hex(e->id, 16);
  snprintf(e->user_id, sizeof e->user_id, "%s", user_id);
  snprintf(e->version, sizeof e->version, "%s", version);
  e->last_ms = now;
  memcpy(id_out, e->id, sizeof e->id);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

static long find(mcp_sessions_t *s, const char *id, const char *user_id) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->v[i].id, id) && !strcmp(s->v[i].user_id, user_id)) return (long)i;
  return -1;
}

int mcp_session_check(mcp_sessions_t *s, const char *id, const char *user_id, char *version_out) {
  pthread_mutex_lock(&s->mu);
  long i = find(s, id, user_id);
  if (i >= 0) {
    s->v[i].last_ms = util_mono_ms();
    if (version_out) memcpy(version_out, s->v[i].version, sizeof s->v[i].version);
  }
  pthread_mutex_unlock(&s->mu);
  return i >= 0 ? 0 : -1;
}

int mcp_session_delete(mcp_sessions_t *s, const char *id, const char *user_id) {
  pthread_mutex_lock(&s->mu);
  long i = find(s, id, user_id);
  if (i >= 0) drop(s, (size_t)i);
  pthread_mutex_unlock(&s->mu);
  return i >= 0 ? 0 : -1;
}
