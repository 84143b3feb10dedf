/*
 * store.h - the database behind everything: SQLite (the embedded default)
 * or PostgreSQL (several processes sharing one database, docs/operations.md).
 *
 * The rest of the program uses only the functions declared in the store headers; no
 * SQL lives outside src/store/. Every statement binds its parameters.
 *
 * Threads: a store_t holds a small pool of SQLite connections (WAL mode,
 * synchronous=NORMAL, foreign_keys=ON, busy timeout 5 s). Each store_*
 * function borrows a connection for its duration, so all functions are safe
 * to call from any thread. Write transactions use BEGIN IMMEDIATE and never
 * span a network call. Several statements that must commit together live in
 * one store function, which runs them between sdb_begin() and sdb_commit()
 * (store_internal.h, store/ only); callers outside store/ never hold a
 * transaction.
 *
 * Ownership: results returned through pointers are owned by the caller and
 * freed with the matching *_free() function (all accept NULL).
 */
#ifndef MAESTRO_STORE_H
#define MAESTRO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

typedef struct store store_t;

/* Status codes shared by store functions. */
enum { STORE_OK = 0, STORE_ERROR = -1, STORE_NOT_FOUND = -2, STORE_CONFLICT = -3 };

/*
 * Opens (creating as needed) the database named by DATABASE_URL, applies
 * pending migrations in one transaction, and refuses a schema newer than this
 * binary knows. Returns NULL with a message in err on failure.
 */
store_t *store_open(const config_t *cfg, char *err, size_t errlen);
/* Opens a SQLite file directly (tests, tools). */
store_t *store_open_path(const char *path, char *err, size_t errlen);
/* Opens a PostgreSQL database (libpq conninfo or postgresql:// URL) and
 * migrates it; store_open() does this for a postgresql:// DATABASE_URL. */
store_t *store_open_postgres(const char *conninfo, char *err, size_t errlen);
/* Closes every connection (after a WAL checkpoint); accepts NULL. */
void store_close(store_t *st);

/* Schema version applied, and the highest this binary knows. */
int store_schema_version(store_t *st);
int store_schema_latest(void);
/* Runs a trivial query; 0 when the database answers. */
int store_ping(store_t *st);
/* Online backup of the database into dest_path (SQLite backup API). */
int store_backup(store_t *st, const char *dest_path, char *err, size_t errlen);
/* PostgreSQL: a custom-format dump of the store's database into dest
 * (pg_dump on PATH; the connection settings reach it through PG*
 * environment variables, never its command line). 0, or -1 with the reason
 * (also "pg_dump is not installed ..."). */
int store_pg_dump(store_t *st, const char *dest, char *err, size_t errlen);
/* Restores such a dump into the database of conninfo (pg_restore --clean
 * --if-exists, one transaction: all or nothing). */
int store_pg_restore(const char *conninfo, const char *src, char *err, size_t errlen);
/* Number of other maestro sessions (application_name 'maestro') on the
 * database of conninfo: a running server; -1 with err when unreachable.
 * *has_schema (may be NULL): 1 when the database holds a maestro schema. */
int store_pg_other_sessions(const char *conninfo, int *has_schema, char *err, size_t errlen);
/* Path of the database file (SQLite), or "postgresql host=... dbname=..."
 * without the password. Owned by st. */
const char *store_path(store_t *st);
/* Who this store is among the processes sharing the database, for job
 * leases and logs: "HOST:PID:RANDOM.N", RANDOM drawn once per process and N
 * counting the stores the process opened (1 in a server; tests open several
 * to play several processes). Fixed for the store's life; owned by st.
 * Also names the store in event notifications, so that a process skips its
 * own (store/events.h). */
const char *store_identity(store_t *st);

#endif
