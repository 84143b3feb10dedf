/* jobs.c - the durable job table. */
#include "store/jobs.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/store_internal.h"

void store_job_free(store_job_t *j) {
  if (!j) return;
  free(j->kind);
  free(j->ref_id);
  free(j->user_id);
  json_decref(j->payload);
  free(j);
}

int store_job_enqueue(store_t *st, const char *kind, const char *ref_id, const char *user_id, json_t *payload,
                      char *id_out) {
  char id[17];
  util_new_id(id);
  char *text = payload ? json_dumps(payload, JSON_COMPACT) : util_strdup("{}");
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO jobs (id, kind, ref_id, user_id, payload, status, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)");
  int rc = STORE_ERROR;
  if (s && text) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, kind);
    sdb_bind_text(s, 3, ref_id);
    sdb_bind_text(s, 4, user_id);
    sdb_bind_text(s, 5, text);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = STORE_OK;
    else
      sdb_log_error(db, "enqueue job");
  }
  sdb_release(st, db);
  free(text);
  if (rc == STORE_OK && id_out) memcpy(id_out, id, sizeof id);
  return rc;
}

int store_job_claim(store_t *st, const char *kind, store_job_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  /* One statement: pick and flip in a single write, so two workers never
   * claim the same job. */
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?1 "
                                "WHERE id = (SELECT id FROM jobs WHERE kind = ?2 AND status = 'queued' AND run_after <= ?1 "
                                "ORDER BY created_at, rowid LIMIT 1) AND status = 'queued' "
                                "RETURNING id, kind, ref_id, user_id, payload, attempts");
  int rc = STORE_ERROR;
  if (s) {
    sqlite3_bind_int64(s, 1, util_now_ms());
    sdb_bind_text(s, 2, kind);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
      store_job_t *j = calloc(1, sizeof *j);
      if (!j) abort();
      snprintf(j->id, sizeof j->id, "%s", (const char *)sqlite3_column_text(s, 0));
      j->kind = sdb_col_text(s, 1);
      j->ref_id = sdb_col_text(s, 2);
      j->user_id = sdb_col_text(s, 3);
      j->payload = sdb_col_json(s, 4);
      if (!j->payload) j->payload = json_object();
      j->attempts = sqlite3_column_int(s, 5);
      *out = j;
      rc = STORE_OK;
      sqlite3_step(s); /* finish the statement so the write completes */
    } else if (r == SQLITE_DONE) {
      rc = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "claim job");
    }
    sqlite3_reset(s);
  }
  sdb_release(st, db);
  return rc;
}

static int exec_id(store_t *st, const char *sql, const char *a, const char *b, const char *c, int64_t n) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int rc = -1;
  if (s) {
    sqlite3_bind_int64(s, 1, n);
    sdb_bind_text(s, 2, a);
    if (b) sdb_bind_text(s, 3, b);
    if (c) sdb_bind_text(s, 4, c);
    if (sqlite3_step(s) == SQLITE_DONE)
      rc = sqlite3_changes(db);
    else
      sdb_log_error(db, "update job");
  }
  sdb_release(st, db);
  return rc;
}

int store_job_finish(store_t *st, const char *id, const char *status, const char *error) {
  int n = exec_id(st, "UPDATE jobs SET updated_at = ?1, status = ?3, error = ?4 WHERE id = ?2", id, status,
                  error ? error : "", util_now_ms());
  return n < 0 ? STORE_ERROR : n == 0 ? STORE_NOT_FOUND : STORE_OK;
}

int store_job_requeue(store_t *st, const char *id, int64_t delay_ms) {
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE jobs SET status = 'queued', run_after = ?, updated_at = ? WHERE id = ?");
  int rc = STORE_ERROR;
  if (s) {
    sqlite3_bind_int64(s, 1, now + delay_ms);
    sqlite3_bind_int64(s, 2, now);
    sdb_bind_text(s, 3, id);
    if (sqlite3_step(s) == SQLITE_DONE) rc = sqlite3_changes(db) ? STORE_OK : STORE_NOT_FOUND;
  }
  sdb_release(st, db);
  return rc;
}

int store_job_requeue_running(store_t *st) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE jobs SET status = 'queued', updated_at = ? WHERE status = 'running'");
  int n = -1;
  if (s) {
    sqlite3_bind_int64(s, 1, util_now_ms());
    if (sqlite3_step(s) == SQLITE_DONE) n = sqlite3_changes(db);
  }
  sdb_release(st, db);
  return n;
}

int store_job_cancel_ref(store_t *st, const char *kind, const char *ref_id) {
  return exec_id(st, "UPDATE jobs SET updated_at = ?1, status = 'cancelled' WHERE kind = ?2 AND ref_id = ?3 AND status = 'queued'",
                 kind, ref_id, NULL, util_now_ms());
}

static int job_exists(store_t *st, const char *sql, const char *kind, const char *ref_id) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, sql);
  int r = 0;
  if (s) {
    sdb_bind_text(s, 1, kind);
    sdb_bind_text(s, 2, ref_id);
    r = sqlite3_step(s) == SQLITE_ROW;
  }
  sdb_release(st, db);
  return r;
}

int store_job_active_for(store_t *st, const char *kind, const char *ref_id) {
  return job_exists(st, "SELECT 1 FROM jobs WHERE kind = ? AND ref_id = ? AND status IN ('queued', 'running') LIMIT 1",
                    kind, ref_id);
}

int store_job_count_active(store_t *st, const char *kind) {
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND status IN ('queued', 'running')");
  int n = -1;
  if (s) {
    sdb_bind_text(s, 1, kind);
    if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
  }
  sdb_release(st, db);
  return n;
}

int store_job_queued_for(store_t *st, const char *kind, const char *ref_id) {
  return job_exists(st, "SELECT 1 FROM jobs WHERE kind = ? AND ref_id = ? AND status = 'queued' LIMIT 1", kind, ref_id);
}
