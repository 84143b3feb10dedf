/*
 * store.c - connection pool, migrations, backup.
 *
 * The pool: POOL_SIZE connections (SQLite or PostgreSQL, see db.h) opened up
 * front, handed out under a mutex with a condition variable for waiters.
 * SQLite in WAL mode lets all of them read at once while one writes; writers
 * queue on the busy timeout. Each connection keeps a small cache of prepared
 * statements keyed by SQL text (db.c).
 *
 * Migrations: schema/NNN_*.sql are embedded (cmake/embed.cmake) and applied in
 * order, all pending ones in one transaction, each recorded in
 * schema_migrations. On PostgreSQL schema/pg/NNN_*.sql, when it exists,
 * replaces the shared file of the same name (the dialects differ there).
 * On SQLite PRAGMA user_version mirrors the latest applied number.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/embedded.h"
#include "base/log.h"
#include "base/util.h"
#include "store/db_backend.h"
#include "store/store_internal.h"

#define POOL_SIZE 8

struct store {
  db_backend_t backend;
  char *path; /* SQLite file, or a password-free description of the PostgreSQL server */
  char *conninfo; /* PostgreSQL: what the pool connected with (for listeners) */
  db_conn_t *conns[POOL_SIZE];
  int nconns;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  char identity[128]; /* store_identity(), made on first use */
};

const char *embedded_find(const embedded_file_t *files, const char *name) {
  for (const embedded_file_t *f = files; f->name; f++)
    if (strcmp(f->name, name) == 0) return f->data;
  return NULL;
}

db_backend_t store_backend(const store_t *st) {
  return st->backend;
}

const char *db_origin(const db_conn_t *c) {
  return c->origin;
}

const char *store_pg_conninfo(const store_t *st) {
  return st->conninfo;
}

/* ---- the store's identity (job leases) ---- */

static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static char process_tag[17]; /* random, once per process */
static atomic_int store_serial;

static void make_process_tag(void) {
  util_random_hex(process_tag, 8);
}

const char *store_identity(store_t *st) {
  pthread_once(&process_once, make_process_tag);
  pthread_mutex_lock(&st->lock);
  if (!st->identity[0]) {
    char host[64] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(st->identity, sizeof st->identity, "%s:%ld:%s.%d", host, (long)getpid(), process_tag,
             atomic_fetch_add(&store_serial, 1) + 1);
  }
  pthread_mutex_unlock(&st->lock);
  return st->identity;
}

/* ---- the pool ---- */

db_conn_t *db_acquire(store_t *st) {
  pthread_mutex_lock(&st->lock);
  for (;;) {
    for (int i = 0; i < st->nconns; i++) {
      if (!st->conns[i]->busy) {
        st->conns[i]->busy = 1;
        pthread_mutex_unlock(&st->lock);
        return st->conns[i];
      }
    }
    pthread_cond_wait(&st->cond, &st->lock);
  }
}

void db_release(store_t *st, db_conn_t *c) {
  if (!c) return;
  if (c->backend == DB_SQLITE) {
    /* A statement left stepping would pin a read snapshot and block checkpoints. */
    for (int i = 0; i < c->nstmts; i++)
      if (sqlite3_stmt_busy(c->stmts[i]->sq)) sqlite3_reset(c->stmts[i]->sq);
    db_rollback(c); /* a transaction left open by a failed path */
  } else {
    dbpg_clean(c);
  }
  pthread_mutex_lock(&st->lock);
  c->busy = 0;
  pthread_cond_signal(&st->cond);
  pthread_mutex_unlock(&st->lock);
}

int store_schema_latest(void) {
  int latest = 0;
  for (const embedded_file_t *f = embedded_schema; f->name; f++) {
    int n = atoi(f->name);
    if (n > latest) latest = n;
  }
  return latest;
}

/* The text of migration f for this backend: schema/pg/NAME overrides
 * schema/NAME on PostgreSQL. */
static const char *migration_text(db_backend_t b, const embedded_file_t *f) {
  if (b == DB_PG) {
    const char *pg = embedded_find(embedded_schema_pg, f->name);
    if (pg) return pg;
  }
  return f->data;
}

/* Applies every embedded migration not recorded yet (not only those above
 * the highest recorded: a migration numbered in between, added by a later
 * build, still runs), all in one transaction. On PostgreSQL an advisory lock
 * makes processes starting together migrate one after the other. */
static int migrate(db_conn_t *c, const char *where, char *err, size_t errlen) {
  if (db_begin(c) != 0) {
    snprintf(err, errlen, "cannot start migration of %s: %s", where, db_errmsg(c));
    return -1;
  }
  if (c->backend == DB_PG && db_exec(c, "SELECT pg_advisory_xact_lock(7305811)") != 0) {
    snprintf(err, errlen, "cannot lock %s for migration: %s", where, db_errmsg(c));
    db_rollback(c);
    return -1;
  }
  if (db_exec(c,
              "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
              "applied_at BIGINT NOT NULL)") != 0) {
    snprintf(err, errlen, "cannot create schema_migrations in %s: %s", where, db_errmsg(c));
    db_rollback(c);
    return -1;
  }
  int current = 0;
  db_stmt_t *s = db_prepare(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (s && db_step(s) == DB_ROW) current = (int)db_col_int64(s, 0);
  /* Statements stepped to a row are reset: on SQLite one left in progress
   * keeps this connection's read snapshot open past the commit, and its
   * first write then fails at once (SQLITE_BUSY_SNAPSHOT) when another
   * process has written the file since. */
  if (s) db_reset(s);
  int latest = store_schema_latest();
  if (current > latest) {
    snprintf(err, errlen,
             "database %s has schema version %d but this maestro knows only up to %d: "
             "upgrade maestro (or restore a backup made by this version)",
             where, current, latest);
    db_rollback(c);
    return -1;
  }
  int pending = 0;
  for (const embedded_file_t *f = embedded_schema; f->name; f++) {
    int n = atoi(f->name);
    int applied = 0;
    s = db_prepare(c, "SELECT 1 FROM schema_migrations WHERE version = ?");
    if (s) {
      db_bind_int64(s, 1, n);
      applied = db_step(s) == DB_ROW;
      db_reset(s);
    }
    if (applied) continue;
    pending = 1;
    if (db_exec(c, migration_text(c->backend, f)) != 0) {
      snprintf(err, errlen, "migration %s failed: %s", f->name, db_errmsg(c));
      db_rollback(c);
      return -1;
    }
    if (db_conn_run(c, "record migration", "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    DB_ARGS(DB_INT(n), DB_TEXT(f->name), DB_INT(util_now_ms())), NULL) != STORE_OK) {
      snprintf(err, errlen, "migration bookkeeping failed: %s", db_errmsg(c));
      db_rollback(c);
      return -1;
    }
    log_info("store", "applied migration %s", f->name);
  }
  /* PRAGMA user_version mirrors the version for SQLite tools. */
  char pragma[64];
  snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", latest);
  if ((pending && c->backend == DB_SQLITE && db_exec(c, pragma) != 0) || db_commit(c) != 0) {
    snprintf(err, errlen, "cannot commit migrations of %s: %s", where, db_errmsg(c));
    db_rollback(c);
    return -1;
  }
  return 0;
}

/* A pool connection to target on backend b (a database path or a
 * conninfo); NULL with err filled when the backend cannot open it. */
static db_conn_t *conn_open(db_backend_t b, const char *target, char *err, size_t errlen) {
  db_conn_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->backend = b;
  int rc = b == DB_SQLITE ? dbsq_open(target, &c->sq, err, errlen) : dbpg_open(target, &c->pg, err, errlen);
  if (rc != 0) {
    free(c);
    return NULL;
  }
  return c;
}

static void conn_close(db_conn_t *c) {
  if (!c) return;
  db_stmts_free(c);
  if (c->backend == DB_SQLITE)
    sqlite3_close_v2(c->sq);
  else
    PQfinish(c->pg);
  free(c);
}

/* Opens the pool: the first connection migrates, then the rest join. */
static store_t *open_pool(db_backend_t b, const char *target, const char *where, char *err, size_t errlen) {
  store_t *st = calloc(1, sizeof *st);
  if (!st) abort();
  st->backend = b;
  st->path = util_strdup(where);
  if (b == DB_PG) st->conninfo = util_strdup(target);
  pthread_mutex_init(&st->lock, NULL);
  pthread_cond_init(&st->cond, NULL);
  store_identity(st); /* fixed now: connections carry it (db_origin) */
  for (int i = 0; i < POOL_SIZE; i++) {
    db_conn_t *c = conn_open(b, target, err, errlen);
    if (!c) {
      store_close(st);
      return NULL;
    }
    c->origin = st->identity;
    st->conns[st->nconns++] = c;
    if (i == 0 && migrate(c, where, err, errlen) != 0) {
      store_close(st);
      return NULL;
    }
  }
  return st;
}

store_t *store_open_path(const char *path, char *err, size_t errlen) {
  char *dir = util_strdup(path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    if (util_mkdirs(dir, 0750) != 0) {
      snprintf(err, errlen, "cannot create directory %s for the database", dir);
      free(dir);
      return NULL;
    }
  }
  free(dir);
  return open_pool(DB_SQLITE, path, path, err, errlen);
}

/* "postgresql host=... port=... dbname=... user=..." without the password. */
static char *describe_pg(const char *conninfo) {
  char *errmsg = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
  PQfreemem(errmsg);
  char buf[512];
  size_t n = (size_t)snprintf(buf, sizeof buf, "postgresql");
  for (PQconninfoOption *o = opts; o && o->keyword; o++) {
    static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user"};
    for (size_t k = 0; k < sizeof shown / sizeof *shown; k++)
      if (o->val && *o->val && strcmp(o->keyword, shown[k]) == 0 && n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %s=%s", o->keyword, o->val);
  }
  PQconninfoFree(opts);
  return util_strdup(buf);
}

store_t *store_open_postgres(const char *conninfo, char *err, size_t errlen) {
  char *where = describe_pg(conninfo);
  store_t *st = open_pool(DB_PG, conninfo, where, err, errlen);
  free(where);
  return st;
}

store_t *store_open(const config_t *cfg, char *err, size_t errlen) {
  const char *path = config_sqlite_path(cfg);
  if (!path) return store_open_postgres(config_get(cfg, "DATABASE_URL"), err, errlen);
  return store_open_path(path, err, errlen);
}

void store_close(store_t *st) {
  if (!st) return;
  for (int i = st->nconns - 1; i >= 0; i--) {
    db_conn_t *c = st->conns[i];
    if (c->backend == DB_SQLITE) {
      if (i == 0) {
        db_stmts_free(c);
        sqlite3_exec(c->sq, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
      }
    }
    conn_close(c);
  }
  pthread_mutex_destroy(&st->lock);
  pthread_cond_destroy(&st->cond);
  free(st->path);
  free(st->conninfo);
  free(st);
}

int store_schema_version(store_t *st) {
  db_conn_t *c = db_acquire(st);
  int v = -1;
  db_stmt_t *s = db_prepare(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (s && db_step(s) == DB_ROW) v = (int)db_col_int64(s, 0);
  db_release(st, c);
  return v;
}

int store_ping(store_t *st) {
  db_conn_t *c = db_acquire(st);
  db_stmt_t *s = db_prepare(c, "SELECT 1");
  int ok = s && db_step(s) == DB_ROW;
  db_release(st, c);
  return ok ? 0 : -1;
}

const char *store_path(store_t *st) {
  return st->path;
}

int store_backup(store_t *st, const char *dest_path, char *err, size_t errlen) {
  if (st->backend != DB_SQLITE) {
    snprintf(err, errlen, "maestro backup does not support PostgreSQL yet: use pg_dump");
    return -1;
  }
  sqlite3 *dest = NULL;
  if (sqlite3_open(dest_path, &dest) != SQLITE_OK) {
    snprintf(err, errlen, "cannot create %s: %s", dest_path, sqlite3_errmsg(dest));
    sqlite3_close(dest);
    return -1;
  }
  db_conn_t *c = db_acquire(st);
  sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->sq, "main");
  int rc = SQLITE_ERROR;
  if (b) {
    do {
      rc = sqlite3_backup_step(b, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
  }
  db_release(st, c);
  if (rc != SQLITE_DONE) {
    snprintf(err, errlen, "backup to %s failed: %s", dest_path, sqlite3_errmsg(dest));
    sqlite3_close(dest);
    return -1;
  }
  sqlite3_close(dest);
  return 0;
}
