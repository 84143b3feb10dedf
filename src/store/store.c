/*
 * store.c - connection pool, migrations, backup.
 *
 * The pool: POOL_SIZE connections opened up front, handed out under a mutex
 * with a condition variable for waiters. SQLite in WAL mode lets all of them
 * read at once while one writes; writers queue on the busy timeout. Each
 * connection keeps a small cache of prepared statements keyed by SQL text.
 *
 * Migrations: schema/NNN_*.sql are embedded (cmake/embed.cmake) and applied in
 * order, all pending ones in one transaction, each recorded in
 * schema_migrations. PRAGMA user_version mirrors the latest applied number so
 * that an older binary can tell the database is newer than it knows.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embedded.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/fts.h"
#include "store/store_internal.h"

#define POOL_SIZE 8
#define STMT_CACHE 96

typedef struct {
  const char *key; /* the SQL pointer as given (usually a literal) */
  char *sql;
  sqlite3_stmt *stmt;
} stmt_entry_t;

typedef struct {
  sqlite3 *db;
  int busy;
  stmt_entry_t stmts[STMT_CACHE];
  int nstmts;
} pool_conn_t;

struct store {
  char *path;
  pool_conn_t conns[POOL_SIZE];
  int nconns;
  pthread_mutex_t lock;
  pthread_cond_t cond;
};

const char *embedded_find(const embedded_file_t *files, const char *name) {
  for (const embedded_file_t *f = files; f->name; f++)
    if (strcmp(f->name, name) == 0) return f->data;
  return NULL;
}

void sdb_log_error(sqlite3 *db, const char *what) {
  log_error("store", "%s: %s", what, sqlite3_errmsg(db));
}

int sdb_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    log_error("store", "exec failed: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

int sdb_begin(sqlite3 *db) { return sdb_exec(db, "BEGIN IMMEDIATE"); }
int sdb_commit(sqlite3 *db) { return sdb_exec(db, "COMMIT"); }
void sdb_rollback(sqlite3 *db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static pool_conn_t *conn_of(store_t *st, sqlite3 *db) {
  for (int i = 0; i < st->nconns; i++)
    if (st->conns[i].db == db) return &st->conns[i];
  return NULL;
}

/* The statement cache lives with the connection; to find it from a bare
 * sqlite3* (SQLite 3.40 has no client data) a small registry maps each pooled
 * connection to its entry. */
#define REGISTRY_MAX 1024
static struct {
  sqlite3 *db;
  pool_conn_t *pc;
} g_registry[REGISTRY_MAX];
static pthread_mutex_t g_registry_lock = PTHREAD_MUTEX_INITIALIZER;

static void registry_set(sqlite3 *db, pool_conn_t *pc) {
  pthread_mutex_lock(&g_registry_lock);
  for (int i = 0; i < REGISTRY_MAX; i++) {
    if (pc ? g_registry[i].db == NULL : g_registry[i].db == db) {
      g_registry[i].db = pc ? db : NULL;
      g_registry[i].pc = pc;
      break;
    }
  }
  pthread_mutex_unlock(&g_registry_lock);
}

static pool_conn_t *registry_get(sqlite3 *db) {
  pool_conn_t *pc = NULL;
  pthread_mutex_lock(&g_registry_lock);
  for (int i = 0; i < REGISTRY_MAX; i++) {
    if (g_registry[i].db == db) {
      pc = g_registry[i].pc;
      break;
    }
  }
  pthread_mutex_unlock(&g_registry_lock);
  return pc;
}

sqlite3_stmt *sdb_prepare(sqlite3 *db, const char *sql) {
  pool_conn_t *pc = registry_get(db);
  if (pc) {
    for (int i = 0; i < pc->nstmts; i++) {
      stmt_entry_t *e = &pc->stmts[i];
      if (e->key == sql || strcmp(e->sql, sql) == 0) {
        sqlite3_reset(e->stmt);
        sqlite3_clear_bindings(e->stmt);
        return e->stmt;
      }
    }
  }
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
    log_error("store", "prepare failed: %s (sql: %.200s)", sqlite3_errmsg(db), sql);
    return NULL;
  }
  if (pc && pc->nstmts < STMT_CACHE) {
    stmt_entry_t *e = &pc->stmts[pc->nstmts++];
    e->key = sql;
    e->sql = util_strdup(sql);
    e->stmt = s;
  } else {
    /* Cache full: keep the statement on an overflow slot by evicting the oldest. */
    if (pc) {
      sqlite3_finalize(pc->stmts[0].stmt);
      free(pc->stmts[0].sql);
      memmove(&pc->stmts[0], &pc->stmts[1], sizeof(stmt_entry_t) * (STMT_CACHE - 1));
      stmt_entry_t *e = &pc->stmts[STMT_CACHE - 1];
      e->key = sql;
      e->sql = util_strdup(sql);
      e->stmt = s;
    }
  }
  return s;
}

void sdb_bind_text(sqlite3_stmt *s, int i, const char *v) {
  if (v)
    sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, i);
}

char *sdb_col_text(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  if (!t) return NULL;
  return util_strndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

json_t *sdb_col_json(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  if (!t) return NULL;
  return json_loadb(t, (size_t)sqlite3_column_bytes(s, i), JSON_DECODE_ANY, NULL);
}

sqlite3 *sdb_acquire(store_t *st) {
  pthread_mutex_lock(&st->lock);
  for (;;) {
    for (int i = 0; i < st->nconns; i++) {
      if (!st->conns[i].busy) {
        st->conns[i].busy = 1;
        pthread_mutex_unlock(&st->lock);
        return st->conns[i].db;
      }
    }
    pthread_cond_wait(&st->cond, &st->lock);
  }
}

void sdb_release(store_t *st, sqlite3 *db) {
  if (!db) return;
  pool_conn_t *pc = conn_of(st, db);
  /* A statement left stepping would pin a read snapshot and block checkpoints. */
  for (int i = 0; pc && i < pc->nstmts; i++)
    if (sqlite3_stmt_busy(pc->stmts[i].stmt)) sqlite3_reset(pc->stmts[i].stmt);
  sdb_rollback(db); /* a transaction left open by a failed path */
  pthread_mutex_lock(&st->lock);
  if (pc) pc->busy = 0;
  pthread_cond_signal(&st->cond);
  pthread_mutex_unlock(&st->lock);
}

static int open_conn(const char *path, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  const char *pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000;";
  char *msg = NULL;
  if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(err, errlen, "cannot configure database %s: %s", path, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    return -1;
  }
  /* The document index (chunks_fts) needs the project's tokenizer on every connection. */
  if (rag_fts_register(db) != 0) {
    snprintf(err, errlen, "cannot register the full-text tokenizer on %s", path);
    sqlite3_close(db);
    return -1;
  }
  *out = db;
  return 0;
}

int store_schema_latest(void) {
  int latest = 0;
  for (const embedded_file_t *f = embedded_schema; f->name; f++) {
    int n = atoi(f->name);
    if (n > latest) latest = n;
  }
  return latest;
}

static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen) {
  if (sdb_exec(db,
               "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied_at INTEGER NOT NULL)") != 0) {
    snprintf(err, errlen, "cannot create schema_migrations in %s: %s", path, sqlite3_errmsg(db));
    return -1;
  }
  int current = 0;
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW) current = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  int latest = store_schema_latest();
  if (current > latest) {
    snprintf(err, errlen,
             "database %s has schema version %d but this maestro knows only up to %d: "
             "upgrade maestro (or restore a backup made by this version)",
             path, current, latest);
    return -1;
  }
  /* Apply every embedded migration not recorded yet (not only those above
   * the highest recorded: a migration numbered in between, added by a later
   * build, still runs). */
  int pending = 0;
  for (const embedded_file_t *f = embedded_schema; f->name; f++) {
    int n = atoi(f->name);
    int applied = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE version = ?", -1, &s, NULL) == SQLITE_OK) {
      sqlite3_bind_int(s, 1, n);
      applied = sqlite3_step(s) == SQLITE_ROW;
      sqlite3_finalize(s);
    }
    if (applied) continue;
    if (!pending && sdb_begin(db) != 0) {
      snprintf(err, errlen, "cannot start migration of %s: %s", path, sqlite3_errmsg(db));
      return -1;
    }
    pending = 1;
    char *msg = NULL;
    if (sqlite3_exec(db, f->data, NULL, NULL, &msg) != SQLITE_OK) {
      snprintf(err, errlen, "migration %s failed: %s", f->name, msg ? msg : "?");
      sqlite3_free(msg);
      sdb_rollback(db);
      return -1;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", -1, &s,
                           NULL) != SQLITE_OK) {
      snprintf(err, errlen, "migration bookkeeping failed: %s", sqlite3_errmsg(db));
      sdb_rollback(db);
      return -1;
    }
    sqlite3_bind_int(s, 1, n);
    sqlite3_bind_text(s, 2, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, util_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
      snprintf(err, errlen, "migration bookkeeping failed: %s", sqlite3_errmsg(db));
      sdb_rollback(db);
      return -1;
    }
    log_info("store", "applied migration %s", f->name);
  }
  if (!pending) return 0;
  char pragma[64];
  snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", latest);
  if (sdb_exec(db, pragma) != 0 || sdb_commit(db) != 0) {
    snprintf(err, errlen, "cannot commit migrations of %s: %s", path, sqlite3_errmsg(db));
    sdb_rollback(db);
    return -1;
  }
  return 0;
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
  store_t *st = calloc(1, sizeof *st);
  if (!st) abort();
  st->path = util_strdup(path);
  pthread_mutex_init(&st->lock, NULL);
  pthread_cond_init(&st->cond, NULL);
  sqlite3 *first;
  if (open_conn(path, &first, err, errlen) != 0) {
    store_close(st);
    return NULL;
  }
  st->conns[0].db = first;
  st->nconns = 1;
  if (migrate(first, path, err, errlen) != 0) {
    store_close(st);
    return NULL;
  }
  for (int i = 1; i < POOL_SIZE; i++) {
    if (open_conn(path, &st->conns[i].db, err, errlen) != 0) {
      store_close(st);
      return NULL;
    }
    st->nconns++;
  }
  for (int i = 0; i < st->nconns; i++) registry_set(st->conns[i].db, &st->conns[i]);
  return st;
}

store_t *store_open(const config_t *cfg, char *err, size_t errlen) {
  const char *path = config_sqlite_path(cfg);
  if (!path) {
    snprintf(err, errlen, "DATABASE_URL: PostgreSQL is not supported by this build yet; use sqlite:///PATH");
    return NULL;
  }
  return store_open_path(path, err, errlen);
}

void store_close(store_t *st) {
  if (!st) return;
  for (int i = st->nconns - 1; i >= 0; i--) {
    pool_conn_t *pc = &st->conns[i];
    for (int k = 0; k < pc->nstmts; k++) {
      sqlite3_finalize(pc->stmts[k].stmt);
      free(pc->stmts[k].sql);
    }
    registry_set(pc->db, NULL);
    if (i == 0) sqlite3_exec(pc->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close_v2(pc->db);
  }
  pthread_mutex_destroy(&st->lock);
  pthread_cond_destroy(&st->cond);
  free(st->path);
  free(st);
}

int store_schema_version(store_t *st) {
  sqlite3 *db = sdb_acquire(st);
  int v = -1;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (s && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
  sdb_release(st, db);
  return v;
}

int store_ping(store_t *st) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1");
  int ok = s && sqlite3_step(s) == SQLITE_ROW;
  sdb_release(st, db);
  return ok ? 0 : -1;
}

const char *store_path(store_t *st) { return st->path; }

int store_backup(store_t *st, const char *dest_path, char *err, size_t errlen) {
  sqlite3 *dest = NULL;
  if (sqlite3_open(dest_path, &dest) != SQLITE_OK) {
    snprintf(err, errlen, "cannot create %s: %s", dest_path, sqlite3_errmsg(dest));
    sqlite3_close(dest);
    return -1;
  }
  sqlite3 *db = sdb_acquire(st);
  sqlite3_backup *b = sqlite3_backup_init(dest, "main", db, "main");
  int rc = SQLITE_ERROR;
  if (b) {
    do {
      rc = sqlite3_backup_step(b, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
  }
  sdb_release(st, db);
  if (rc != SQLITE_DONE) {
    snprintf(err, errlen, "backup to %s failed: %s", dest_path, sqlite3_errmsg(dest));
    sqlite3_close(dest);
    return -1;
  }
  sqlite3_close(dest);
  return 0;
}
