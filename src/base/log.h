/*
 * log.h - the one logging entry point.
 *
 * Each record is one JSON line on stderr: timestamp, level, logger, message,
 * module, function, line, and mission_id / agent_type when the calling thread
 * has set them with log_set_context(). When stderr is a terminal the record is
 * printed as a short human-readable line instead. The level comes from
 * LOG_LEVEL (debug, info, warning, error; default info).
 *
 * Never pass a password, token or API key in a message; callers log ids and
 * host names, not credentials. All functions are thread-safe.
 */
#ifndef MAESTRO_LOG_H
#define MAESTRO_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARNING, LOG_ERROR, LOG_OFF } log_level_t;

/* Sets the level and output style; safe to call again. json < 0: auto (tty). */
void log_setup(log_level_t level, int json);
/* Parses "debug"/"info"/"warning"/"error"/"off"; returns -1 if unknown. */
int log_level_parse(const char *s, log_level_t *out);
log_level_t log_get_level(void);

/* Per-thread context added to every record (NULL clears). Copies the strings. */
void log_set_context(const char *mission_id, const char *agent_type);

void log_write(log_level_t level, const char *logger, const char *file, const char *func, int line,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define LOG_AT(lvl, logger, ...) \
  do { \
    if ((lvl) >= log_get_level()) log_write((lvl), (logger), __FILE__, __func__, __LINE__, __VA_ARGS__); \
  } while (0)
#define log_debug(logger, ...) LOG_AT(LOG_DEBUG, logger, __VA_ARGS__)
#define log_info(logger, ...) LOG_AT(LOG_INFO, logger, __VA_ARGS__)
#define log_warn(logger, ...) LOG_AT(LOG_WARNING, logger, __VA_ARGS__)
#define log_error(logger, ...) LOG_AT(LOG_ERROR, logger, __VA_ARGS__)

#endif
