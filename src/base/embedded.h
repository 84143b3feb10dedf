/*
 * embedded.h - files compiled into the binary (cmake/embed.cmake).
 *
 * `embedded_schema` holds schema/NNN_name.sql in name order,
 * `embedded_schema_pg` schema/pg/NNN_name.sql (PostgreSQL's version of the
 * shared migration of the same name, where the dialects differ);
 * `embedded_prompts` holds src/agents/prompts/NAME.md. Every array ends with
 * a {NULL, NULL} entry.
 * The data is static and read-only.
 */
#ifndef MAESTRO_EMBEDDED_H
#define MAESTRO_EMBEDDED_H

typedef struct {
  const char *name; /* file name without directory, e.g. "001_foundation.sql" */
  const char *data; /* NUL-terminated contents */
} embedded_file_t;

extern const embedded_file_t embedded_schema[];
extern const embedded_file_t embedded_schema_pg[];
extern const embedded_file_t embedded_prompts[];

/* Returns the contents of the embedded file `name` in `files`, or NULL. */
const char *embedded_find(const embedded_file_t *files, const char *name);

#endif
