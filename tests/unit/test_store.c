/* Store: migrations (fresh, upgrade, newer schema refused), users, events, jobs. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embedded.h"
#include "base/util.h"
#include "store/events.h"
#include "store/jobs.h"
#include "store/store.h"
#include "store/users.h"

static char dir[64], path[128];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/maestro-store-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/sub/m.db", dir);
}

TestSuite(store, .init = setup);

static int table_exists(const char *db_path, const char *name) {
  sqlite3 *db;
  sqlite3_open(db_path, &db);
  sqlite3_stmt *s;
  sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &s, NULL);
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  int found = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return found;
}

Test(store, fresh_database_gets_every_migration_and_wal) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  cr_expect_eq(store_schema_version(st), store_schema_latest());
  cr_expect(store_schema_latest() >= 1);
  store_close(st);
  cr_expect(table_exists(path, "users"));
  cr_expect(table_exists(path, "events"));
  cr_expect(table_exists(path, "jobs"));
  sqlite3 *db;
  sqlite3_open(path, &db);
  sqlite3_stmt *s;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
  cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
  cr_expect_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
  /* reopening applies nothing and keeps the version */
  st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  cr_expect_eq(store_schema_version(st), store_schema_latest());
  store_close(st);
}

Test(store, old_database_is_upgraded_and_keeps_its_data) {
  util_mkdirs(dir, 0700);
  char p[160];
  snprintf(p, sizeof p, "%s/old.db", dir);
  sqlite3 *db;
  sqlite3_open(p, &db);
  const char *m1 = embedded_find(embedded_schema, "001_foundation.sql");
  cr_assert_not_null(m1);
  cr_assert_eq(sqlite3_exec(db,
                            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                            "applied_at INTEGER NOT NULL); INSERT INTO schema_migrations VALUES (1, '001', 0);",
                            NULL, NULL, NULL),
               SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db, m1, NULL, NULL, NULL), SQLITE_OK);
  cr_assert_eq(sqlite3_exec(db,
                            "INSERT INTO users VALUES ('u1', 'olduser', 'h', 'admin', 1, 0, 0)", NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_close(db);
  char err[256];
  store_t *st = store_open_path(p, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  cr_expect_eq(store_schema_version(st), store_schema_latest());
  store_user_t *u = NULL;
  cr_expect_eq(store_user_get_by_name(st, "OLDUSER", &u), STORE_OK, "data survives, names case-insensitive");
  store_user_free(u);
  store_close(st);
}

Test(store, newer_schema_is_refused_with_a_clear_message) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st);
  store_close(st);
  sqlite3 *db;
  sqlite3_open(path, &db);
  sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, '999_future.sql', 0)", NULL, NULL, NULL);
  sqlite3_close(db);
  st = store_open_path(path, err, sizeof err);
  cr_expect_null(st);
  cr_expect(strstr(err, "999") && strstr(err, "upgrade"), "message: %s", err);
}

Test(store, users_are_unique_by_name) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st);
  store_user_t u = {.username = "Alice", .password_hash = "h", .role = "researcher", .active = 1};
  cr_expect_eq(store_user_insert(st, &u), STORE_OK);
  store_user_t v = {.username = "alice", .password_hash = "h", .role = "viewer", .active = 1};
  cr_expect_eq(store_user_insert(st, &v), STORE_CONFLICT);
  cr_expect_eq(store_user_update(st, u.id, "viewer", 0, NULL), STORE_OK);
  store_user_t *got = NULL;
  cr_assert_eq(store_user_get(st, u.id, &got), STORE_OK);
  cr_expect_str_eq(got->role, "viewer");
  cr_expect_eq(got->active, 0);
  store_user_free(got);
  cr_expect_eq(store_user_delete(st, u.id), STORE_OK);
  cr_expect_eq(store_user_delete(st, u.id), STORE_NOT_FOUND);
  store_close(st);
}

Test(store, events_have_per_channel_gapless_sequences) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st);
  int64_t seq, ts;
  for (int i = 1; i <= 5; i++) {
    json_t *d = json_pack("{s:i}", "i", i);
    cr_assert_eq(store_event_append(st, "mission:a", "note_added", d, &seq, &ts), STORE_OK);
    cr_expect_eq(seq, i);
    json_decref(d);
  }
  cr_assert_eq(store_event_append(st, "mission:b", "status", NULL, &seq, &ts), STORE_OK);
  cr_expect_eq(seq, 1, "each channel counts on its own");
  json_t *after = store_event_list(st, "mission:a", 3, 100);
  cr_assert_eq(json_array_size(after), 2);
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(after, 0), "seq")), 4);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(json_array_get(after, 1), "data"), "i")), 5);
  json_decref(after);
  cr_expect_eq(store_event_last_seq(st, "mission:a"), 5);
  cr_expect_eq(store_event_last_seq(st, "nothing"), 0);
  store_close(st);
}

Test(store, jobs_are_claimed_once_and_requeued_after_a_crash) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st);
  char id[17];
  cr_assert_eq(store_job_enqueue(st, "ingest", "doc1", NULL, NULL, id), STORE_OK);
  store_job_t *j = NULL;
  cr_assert_eq(store_job_claim(st, "ingest", &j), STORE_OK);
  cr_expect_str_eq(j->id, id);
  cr_expect_str_eq(j->ref_id, "doc1");
  cr_expect_eq(j->attempts, 1);
  store_job_free(j);
  cr_expect_eq(store_job_claim(st, "ingest", &j), STORE_NOT_FOUND, "a running job is not claimed twice");
  cr_expect_eq(store_job_claim(st, "mission", &j), STORE_NOT_FOUND);
  cr_expect_eq(store_job_requeue_running(st), 1);
  cr_assert_eq(store_job_claim(st, "ingest", &j), STORE_OK);
  cr_expect_eq(j->attempts, 2);
  cr_expect_eq(store_job_finish(st, j->id, "done", NULL), STORE_OK);
  store_job_free(j);
  cr_expect_eq(store_job_count_active(st, "ingest"), 0);
  store_close(st);
}

Test(store, online_backup_is_a_usable_copy) {
  char err[256];
  store_t *st = store_open_path(path, err, sizeof err);
  cr_assert_not_null(st);
  store_user_t u = {.username = "bob", .password_hash = "h", .role = "viewer", .active = 1};
  store_user_insert(st, &u);
  char dest[160];
  snprintf(dest, sizeof dest, "%s/backup.db", dir);
  cr_assert_eq(store_backup(st, dest, err, sizeof err), 0, "%s", err);
  store_close(st);
  store_t *copy = store_open_path(dest, err, sizeof err);
  cr_assert_not_null(copy, "%s", err);
  store_user_t *got = NULL;
  cr_expect_eq(store_user_get_by_name(copy, "bob", &got), STORE_OK);
  store_user_free(got);
  store_close(copy);
}

Test(store, a_migration_numbered_below_the_latest_applied_one_still_runs) {
  util_mkdirs(dir, 0700);
  char p[160];
  snprintf(p, sizeof p, "%s/gap.db", dir);
  sqlite3 *db;
  sqlite3_open(p, &db);
  const char *m1 = embedded_find(embedded_schema, "001_foundation.sql");
  cr_assert_eq(sqlite3_exec(db, m1, NULL, NULL, NULL), SQLITE_OK);
  char sql[256];
  /* 001 and the latest are recorded; everything in between is missing */
  snprintf(sql, sizeof sql,
           "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);"
           "INSERT INTO schema_migrations VALUES (1, '001', 0), (%d, 'latest', 0);",
           store_schema_latest());
  cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  cr_assert(store_schema_latest() >= 3, "needs at least three migrations");
  char err[256];
  store_t *st = store_open_path(p, err, sizeof err);
  cr_assert_not_null(st, "%s", err);
  store_close(st);
  sqlite3_open(p, &db);
  sqlite3_stmt *s;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_migrations", -1, &s, NULL);
  sqlite3_step(s);
  int n = 0;
  for (const embedded_file_t *f = embedded_schema; f->name; f++) n++;
  cr_expect_eq(sqlite3_column_int(s, 0), n, "every embedded migration is recorded once");
  sqlite3_finalize(s);
  sqlite3_close(db);
}
