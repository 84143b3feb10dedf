/*
 * backup.c - `maestro backup DIR` and `maestro restore DIR`.
 *
 * Backup works while the server runs: the database is copied with SQLite's
 * online backup API (a consistent snapshot, writers are not blocked for
 * long) into maestro.db, or on PostgreSQL dumped with pg_dump (custom
 * format, one consistent snapshot) into maestro.pgdump, then the documents directory and the key files are copied, and a
 * manifest.json records what was taken. Restore refuses to run while a
 * server holds the database (it would be overwritten under a live process),
 * checks the manifest and the copy's integrity, and swaps the files in; on
 * PostgreSQL it refuses while any maestro process is connected to the
 * database and restores with pg_restore in one transaction (all or nothing).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "cli/cli.h"
#include "store/store.h"

/* Copies a directory tree; returns the number of files or -1. */
static long copy_tree(const char *from, const char *to) {
  DIR *d = opendir(from);
  if (!d) return errno == ENOENT ? 0 : -1;
  if (util_mkdirs(to, 0750) != 0) {
    closedir(d);
    return -1;
  }
  long count = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    buf_t a = BUF_INIT, b = BUF_INIT;
    buf_printf(&a, "%s/%s", from, e->d_name);
    buf_printf(&b, "%s/%s", to, e->d_name);
    struct stat sb;
    long n = -1;
    if (lstat(a.data, &sb) == 0) {
      if (S_ISDIR(sb.st_mode))
        n = copy_tree(a.data, b.data);
      else if (S_ISREG(sb.st_mode))
        n = util_copy_file(a.data, b.data, UTIL_COPY_SYNC) == 0 ? 1 : -1;
      else
        n = 0; /* symlinks and specials are not part of the data */
    }
    buf_free(&a);
    buf_free(&b);
    if (n < 0) {
      closedir(d);
      return -1;
    }
    count += n;
  }
  closedir(d);
  return count;
}

static const char *KEY_FILES[] = {"jwt_secret", "secret.key", NULL};

static int do_backup(const char *dir) {
  app_t *app = cli_open_app();
  if (!app) return 1;
  const char *data = config_get(app->cfg, "DATA_DIR");
  int rc = 1;
  char err[512];
  buf_t p = BUF_INIT;
  struct stat sb;
  if (stat(dir, &sb) == 0) {
    buf_printf(&p, "%s/manifest.json", dir);
    if (stat(p.data, &sb) == 0) {
      fprintf(stderr, "maestro backup: %s already holds a backup; choose a new directory\n", dir);
      goto out;
    }
  }
  if (util_mkdirs(dir, 0700) != 0) {
    fprintf(stderr, "maestro backup: cannot create %s: %s\n", dir, strerror(errno));
    goto out;
  }
  buf_reset(&p);
  int pg = config_sqlite_path(app->cfg) == NULL;
  buf_printf(&p, "%s/%s", dir, pg ? "maestro.pgdump" : "maestro.db");
  if ((pg ? store_pg_dump(app->store, p.data, err, sizeof err) : store_backup(app->store, p.data, err, sizeof err)) !=
      0) {
    fprintf(stderr, "maestro backup: %s\n", err);
    goto out;
  }
  buf_reset(&p);
  buf_printf(&p, "%s/documents", data);
  buf_t to = BUF_INIT;
  buf_printf(&to, "%s/documents", dir);
  long files = copy_tree(p.data, to.data);
  buf_free(&to);
  if (files < 0) {
    fprintf(stderr, "maestro backup: cannot copy %s: %s\n", p.data, strerror(errno));
    goto out;
  }
  json_t *keys = json_array();
  for (const char **k = KEY_FILES; *k; k++) {
    buf_t a = BUF_INIT, b = BUF_INIT;
    buf_printf(&a, "%s/%s", data, *k);
    buf_printf(&b, "%s/%s", dir, *k);
    if (stat(a.data, &sb) == 0 && util_copy_file(a.data, b.data, UTIL_COPY_SYNC) == 0) json_array_append_new(keys, json_string(*k));
    buf_free(&a);
    buf_free(&b);
  }
  char ts[40];
  util_iso_time(util_now_ms(), ts, sizeof ts);
  json_t *manifest = json_pack("{s:s, s:s, s:s, s:i, s:I, s:o}", "created_at", ts, "maestro_version", MAESTRO_VERSION,
                               "database", pg ? "postgresql" : "sqlite",
                               "schema_version", store_schema_version(app->store), "document_files", (json_int_t)files,
                               "key_files", keys);
  char *text = json_dumps(manifest, JSON_INDENT(2));
  json_decref(manifest);
  buf_reset(&p);
  buf_printf(&p, "%s/manifest.json", dir);
  if (util_write_file(p.data, text, strlen(text), 0600) != 0) {
    fprintf(stderr, "maestro backup: cannot write %s\n", p.data);
    free(text);
    goto out;
  }
  free(text);
  printf("backup written to %s (database, %ld document files, keys)\n", dir, files);
  rc = 0;
out:
  buf_free(&p);
  app_close(app);
  return rc;
}

/* 1 when another process has the database open for writing (a running server). */
static int database_in_use(const char *db_path) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return 0;
  }
  sqlite3_busy_timeout(db, 0);
  /* An exclusive lock succeeds only when no other connection exists in WAL mode. */
  int busy = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", NULL, NULL, NULL) != SQLITE_OK;
  sqlite3_close(db);
  return busy;
}

static int restore_sqlite(const char *db_path, const char *dir, int force);
static int restore_pg(const config_t *cfg, const char *dir, int force);

static int do_restore(const char *dir, int force) {
  char err[512];
  config_t *cfg = config_load(NULL, err, sizeof err);
  if (!cfg) {
    fprintf(stderr, "maestro restore: configuration error: %s\n", err);
    return 1;
  }
  int rc = 1;
  buf_t p = BUF_INIT, q = BUF_INIT;
  const char *db_path = config_sqlite_path(cfg);
  const char *data = config_get(cfg, "DATA_DIR");
  buf_printf(&p, "%s/manifest.json", dir);
  json_t *manifest = json_load_file(p.data, 0, NULL);
  if (!manifest) {
    fprintf(stderr, "maestro restore: %s is not a maestro backup (no readable manifest.json)\n", dir);
    goto out;
  }
  const char *kind = json_string_value(json_object_get(manifest, "database"));
  int pg_backup = kind && strcmp(kind, "postgresql") == 0;
  if (pg_backup != !db_path) {
    fprintf(stderr, "maestro restore: %s holds a %s backup but DATABASE_URL names a %s database\n", dir,
            pg_backup ? "PostgreSQL" : "SQLite", db_path ? "SQLite" : "PostgreSQL");
    goto out;
  }
  if (!db_path) {
    if (restore_pg(cfg, dir, force) != 0) goto out;
  } else if (restore_sqlite(db_path, dir, force) != 0) {
    goto out;
  }
  buf_reset(&p);
  buf_reset(&q);
  buf_printf(&p, "%s/documents", dir);
  buf_printf(&q, "%s/documents", data);
  long files = copy_tree(p.data, q.data);
  if (files < 0) {
    fprintf(stderr, "maestro restore: cannot copy documents: %s\n", strerror(errno));
    goto out;
  }
  struct stat sb;
  for (const char **k = KEY_FILES; *k; k++) {
    buf_t a = BUF_INIT, b = BUF_INIT;
    buf_printf(&a, "%s/%s", dir, *k);
    buf_printf(&b, "%s/%s", data, *k);
    if (stat(a.data, &sb) == 0) util_copy_file(a.data, b.data, UTIL_COPY_SYNC);
    buf_free(&a);
    buf_free(&b);
  }
  printf("restored %s (schema version %lld, %ld document files) from %s\n",
         db_path ? db_path : "the PostgreSQL database",
         (long long)json_integer_value(json_object_get(manifest, "schema_version")), files, dir);
  rc = 0;
out:
  json_decref(manifest);
  buf_free(&p);
  buf_free(&q);
  config_free(cfg);
  return rc;
}

/* The SQLite file: checked, the old one moved aside, the copy put in place. */
static int restore_sqlite(const char *db_path, const char *dir, int force) {
  int rc = -1;
  buf_t p = BUF_INIT, q = BUF_INIT;
  buf_printf(&p, "%s/maestro.db", dir);
  sqlite3 *copy = NULL;
  int ok = sqlite3_open_v2(p.data, &copy, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;
  sqlite3_stmt *s = NULL;
  if (ok) ok = sqlite3_prepare_v2(copy, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK;
  if (ok) ok = sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
  sqlite3_finalize(s);
  sqlite3_close(copy);
  if (!ok) {
    fprintf(stderr, "maestro restore: the database in %s fails its integrity check\n", dir);
    goto out;
  }
  struct stat sb;
  if (stat(db_path, &sb) == 0) {
    if (database_in_use(db_path)) {
      fprintf(stderr, "maestro restore: %s is in use (stop the server first)\n", db_path);
      goto out;
    }
    if (!force) {
      fprintf(stderr, "maestro restore: %s exists; pass --force to replace it (the old one is kept as %s.before-restore)\n",
              db_path, db_path);
      goto out;
    }
    buf_printf(&q, "%s.before-restore", db_path);
    if (rename(db_path, q.data) != 0) {
      fprintf(stderr, "maestro restore: cannot move the old database aside: %s\n", strerror(errno));
      goto out;
    }
    for (const char *ext = "-wal"; ext; ext = strcmp(ext, "-wal") == 0 ? "-shm" : NULL) {
      buf_t w = BUF_INIT;
      buf_printf(&w, "%s%s", db_path, ext);
      unlink(w.data);
      buf_free(&w);
    }
  }
  char *dbdir = util_strdup(db_path);
  char *slash = strrchr(dbdir, '/');
  if (slash) {
    *slash = '\0';
    util_mkdirs(dbdir, 0750);
  }
  free(dbdir);
  if (util_copy_file(p.data, db_path, UTIL_COPY_SYNC) != 0) {
    fprintf(stderr, "maestro restore: cannot write %s: %s\n", db_path, strerror(errno));
    goto out;
  }
  rc = 0;
out:
  buf_free(&p);
  buf_free(&q);
  return rc;
}

/* PostgreSQL: refused while a maestro process is connected (a running
 * server would work on under a replaced database) or, without --force, over
 * a database that holds a schema; then pg_restore in one transaction. */
static int restore_pg(const config_t *cfg, const char *dir, int force) {
  const char *url = config_get(cfg, "DATABASE_URL");
  char err[512];
  int has_schema = 0;
  int others = store_pg_other_sessions(url, &has_schema, err, sizeof err);
  if (others < 0) {
    fprintf(stderr, "maestro restore: %s\n", err);
    return -1;
  }
  if (others > 0) {
    fprintf(stderr, "maestro restore: %d maestro connection(s) use the database (stop every maestro process first)\n",
            others);
    return -1;
  }
  if (has_schema && !force) {
    fprintf(stderr, "maestro restore: the PostgreSQL database holds data; pass --force to replace it\n");
    return -1;
  }
  buf_t p = BUF_INIT;
  buf_printf(&p, "%s/maestro.pgdump", dir);
  int rc = store_pg_restore(url, p.data, err, sizeof err);
  if (rc != 0) fprintf(stderr, "maestro restore: %s (the database is unchanged)\n", err);
  buf_free(&p);
  return rc;
}

int cmd_backup(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro backup DIR\n\nCopies the database (SQLite online backup, safe while the server runs),\n"
           "the uploaded documents and the key files into the new directory DIR.\n");
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: maestro backup DIR\n");
    return 2;
  }
  return do_backup(argv[1]);
}

int cmd_restore(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    printf("usage: maestro restore [--force] DIR\n\nRestores a backup made by 'maestro backup'. Stop the server first.\n"
           "--force replaces an existing database (kept as *.before-restore).\n");
    return 0;
  }
  int force = 0;
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--force") == 0)
      force = 1;
    else if (!dir)
      dir = argv[i];
    else {
      fprintf(stderr, "usage: maestro restore [--force] DIR\n");
      return 2;
    }
  }
  if (!dir) {
    fprintf(stderr, "usage: maestro restore [--force] DIR\n");
    return 2;
  }
  return do_restore(dir, force);
}
