/*
 * config.h - settings from the environment and a .env file.
 *
 * Every setting the program reads is declared once in the table in config.c
 * (name, type, default, one line of documentation); docs/configuration.md
 * lists the same table. Values come from, in order of precedence: the process
 * environment, then the .env file, then the default. A .env line is
 * `NAME=value`, `export NAME=value`, quoted or not, `#` comments allowed.
 *
 * config_load() validates every value against its type and rejects names in
 * .env that no setting declares, with a message naming the variable.
 * A loaded config_t is immutable and may be read from any thread.
 */
#ifndef MAESTRO_CONFIG_H
#define MAESTRO_CONFIG_H

#include <stddef.h>

typedef struct config config_t;

/*
 * Loads the configuration. `env_file` may be NULL (then ".env" in the working
 * directory is read if it exists). On error returns NULL and writes a message
 * into err. The caller owns the result: config_free().
 */
config_t *config_load(const char *env_file, char *err, size_t errlen);
void config_free(config_t *cfg);

/* The value of a declared setting ("" when unset and without default).
 * Asking for an undeclared name aborts: it is a programming error. The string
 * belongs to cfg. */
const char *config_get(const config_t *cfg, const char *name);
/* Typed views; the value was validated at load time. */
long long config_int(const config_t *cfg, const char *name);
int config_bool(const config_t *cfg, const char *name);
/* 1 if the setting was given (environment or .env), 0 if it is the default. */
int config_is_set(const config_t *cfg, const char *name);
/* Returns 1 for settings whose value must never be printed. */
int config_is_secret(const char *name);

/* Iterates over the declared settings (for docs and `maestro doctor`). Returns
 * 0 past the end. */
int config_describe(size_t i, const char **name, const char **type, const char **def, const char **doc);

/* Path of the SQLite database from DATABASE_URL ("sqlite:///./data/maestro.db"
 * -> "./data/maestro.db"); NULL when DATABASE_URL is not a sqlite URL. Owned by cfg. */
const char *config_sqlite_path(const config_t *cfg);

#endif
