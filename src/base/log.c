/*
 * log.c - JSON-lines logger. One mutex serialises writes so records from
 * different threads never interleave; formatting happens outside the lock.
 */
#include "base/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"

static log_level_t g_level = LOG_INFO;
static int g_json = -1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local char t_mission[64];
static _Thread_local char t_agent[64];

static const char *level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "OFF"};

void log_setup(log_level_t level, int json) {
  g_level = level;
  g_json = json < 0 ? !isatty(STDERR_FILENO) : json;
}

log_level_t log_get_level(void) { return g_level; }

int log_level_parse(const char *s, log_level_t *out) {
  static const struct {
    const char *name;
    log_level_t level;
  } map[] = {{"debug", LOG_DEBUG},     {"info", LOG_INFO},   {"warning", LOG_WARNING},
             {"warn", LOG_WARNING},    {"error", LOG_ERROR}, {"off", LOG_OFF},
             {"critical", LOG_ERROR}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcasecmp(s, map[i].name) == 0) {
      *out = map[i].level;
      return 0;
    }
  }
  return -1;
}

void log_set_context(const char *mission_id, const char *agent_type) {
  snprintf(t_mission, sizeof t_mission, "%s", mission_id ? mission_id : "");
  snprintf(t_agent, sizeof t_agent, "%s", agent_type ? agent_type : "");
}

static const char *module_of(const char *file, char *out, size_t n) {
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  snprintf(out, n, "%s", base);
  char *dot = strrchr(out, '.');
  if (dot) *dot = '\0';
  return out;
}

void log_write(log_level_t level, const char *logger, const char *file, const char *func, int line,
               const char *fmt, ...) {
  if (level < g_level || level >= LOG_OFF) return;
  if (g_json < 0) g_json = !isatty(STDERR_FILENO);
  buf_t msg = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&msg, fmt, ap);
  va_end(ap);

  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char ts[40];
  size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(ts + k, sizeof ts - k, ".%03dZ", (int)(tv.tv_usec / 1000));
  char module[64];
  module_of(file, module, sizeof module);

  char *out;
  if (g_json) {
    json_t *o = json_object();
    json_object_set_new(o, "timestamp", json_string(ts));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "logger", json_string(logger));
    json_object_set_new(o, "message", json_stringn_nocheck(msg.data, msg.len));
    json_object_set_new(o, "module", json_string(module));
    json_object_set_new(o, "function", json_string(func));
    json_object_set_new(o, "line", json_integer(line));
    if (t_mission[0]) json_object_set_new(o, "mission_id", json_string(t_mission));
    if (t_agent[0]) json_object_set_new(o, "agent_type", json_string(t_agent));
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
  } else {
    buf_t h = BUF_INIT;
    buf_printf(&h, "%s %-7s %s: %s", ts + 11, level_names[level], logger, msg.data);
    if (t_mission[0]) buf_printf(&h, " [mission %s%s%s]", t_mission, t_agent[0] ? " " : "", t_agent);
    out = buf_detach(&h, NULL);
  }
  buf_free(&msg);
  if (!out) return;
  pthread_mutex_lock(&g_lock);
  fputs(out, stderr);
  fputc('\n', stderr);
  fflush(stderr);
  pthread_mutex_unlock(&g_lock);
  free(out);
}
