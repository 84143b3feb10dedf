/* jobs.c - the durable job table, on either backend through db.h. */
#include "store/jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db.h"
#include "store/store_internal.h"

void store_job_free(store_job_t *j) {
  if (!j) return;
  free(j->kind);
  free(j->ref_id);
  free(j->user_id);
  json_decref(j->payload);
  free(j);
}

/* Tells idle workers of every process that a job of `kind` (NULL: any) is
 * queued. PostgreSQL only: on SQLite the one process wakes its own workers. */
static void announce(store_t *st, const char *kind) {
  if (!store_pg_conninfo(st)) return;
  if (db_query(st, "announce job", "SELECT pg_notify('" STORE_JOBS_NOTIFY "', ?)", DB_ARGS(DB_TEXT(kind ? kind : "")),
               NULL, NULL) != 1)
    log_warn("store", "cannot announce a queued job (workers find it at their next poll)");
}

int store_job_enqueue(store_t *st, const char *kind, const char *ref_id, const char *user_id, json_t *payload,
                      char *id_out) {
  char id[17];
  util_new_id(id);
  char *text = payload ? json_dumps(payload, JSON_COMPACT) : util_strdup("{}");
  if (!text) return STORE_ERROR;
  int64_t now = util_now_ms();
  int rc = db_run(
      st, "enqueue job",
      "INSERT INTO jobs (id, kind, ref_id, user_id, payload, status, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
      DB_ARGS(DB_TEXT(id), DB_TEXT(kind), DB_TEXT(ref_id), DB_TEXT(user_id), DB_TEXT(text), DB_INT(now), DB_INT(now)),
      NULL);
  free(text);
  if (rc != STORE_OK) return STORE_ERROR;
  if (id_out) memcpy(id_out, id, sizeof id);
  announce(st, kind);
  return STORE_OK;
}

static int job_row(db_stmt_t *s, void *ctx) {
  store_job_t *j = calloc(1, sizeof *j);
  if (!j) abort();
  snprintf(j->id, sizeof j->id, "%s", db_col_text_ref(s, 0));
  j->kind = db_col_text(s, 1);
  j->ref_id = db_col_text(s, 2);
  j->user_id = db_col_text(s, 3);
  j->payload = db_col_json(s, 4);
  if (!j->payload) j->payload = json_object();
  j->attempts = (int)db_col_int64(s, 5);
  *(store_job_t **)ctx = j;
  return 1;
}

int store_job_claim(store_t *st, const char *kind, store_job_t **out) {
  return store_job_claim_leased(st, kind, STORE_JOB_LEASE_MS, out);
}

int store_job_claim_leased(store_t *st, const char *kind, int64_t lease_ms, store_job_t **out) {
  *out = NULL;
  int64_t now = util_now_ms();
  db_conn_t *c = db_acquire(st);
  /* One statement: pick and flip in a single write, so two workers never
   * claim the same job. SQLite serialises writers; on PostgreSQL the row is
   * locked by the inner SELECT and a concurrent claimer skips it for the
   * next queued one instead of waiting (and finding it taken). */
  int n =
      db_conn_query(c, "claim job",
                    db_sql(c,
                           "UPDATE jobs SET status = 'running', attempts = attempts + 1, owner = ?, lease_until = ?, "
                           "heartbeat_at = ?, updated_at = ? "
                           "WHERE id = (SELECT id FROM jobs WHERE kind = ? AND status = 'queued' AND run_after <= ? "
                           "ORDER BY created_at, rowid LIMIT 1) AND status = 'queued' "
                           "RETURNING id, kind, ref_id, user_id, payload, attempts",
                           "UPDATE jobs SET status = 'running', attempts = attempts + 1, owner = ?, lease_until = ?, "
                           "heartbeat_at = ?, updated_at = ? "
                           "WHERE id = (SELECT id FROM jobs WHERE kind = ? AND status = 'queued' AND run_after <= ? "
                           "ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1) AND status = 'queued' "
                           "RETURNING id, kind, ref_id, user_id, payload, attempts"),
                    DB_ARGS(DB_TEXT(store_identity(st)), DB_INT(now + lease_ms), DB_INT(now), DB_INT(now),
                            DB_TEXT(kind), DB_INT(now)),
                    job_row, out);
  db_release(st, c);
  if (n < 0) return STORE_ERROR;
  return *out ? STORE_OK : STORE_NOT_FOUND;
}

/* Runs an UPDATE; the rows it changed, or -1. */
static int update_jobs(store_t *st, const char *sql, const db_param_t *p, int np) {
  int64_t n = 0;
  if (db_run(st, "update job", sql, p, np, &n) != STORE_OK) return -1;
  return (int)n;
}

/* Finish and requeue touch only a job this store still holds: after its
 * lease expired, another process may own it. */
int store_job_finish(store_t *st, const char *id, const char *status, const char *error) {
  int n = update_jobs(st,
                      "UPDATE jobs SET updated_at = ?, status = ?, error = ?, lease_until = 0 "
                      "WHERE id = ? AND status = 'running' AND owner = ?",
                      DB_ARGS(DB_INT(util_now_ms()), DB_TEXT(status), DB_TEXT(error ? error : ""), DB_TEXT(id),
                              DB_TEXT(store_identity(st))));
  return n < 0 ? STORE_ERROR : n == 0 ? STORE_NOT_FOUND : STORE_OK;
}

int store_job_requeue(store_t *st, const char *id, int64_t delay_ms) {
  int64_t now = util_now_ms();
  int n = update_jobs(st,
                      "UPDATE jobs SET status = 'queued', owner = NULL, lease_until = 0, run_after = ?, "
                      "updated_at = ? WHERE id = ? AND status = 'running' AND owner = ?",
                      DB_ARGS(DB_INT(now + delay_ms), DB_INT(now), DB_TEXT(id), DB_TEXT(store_identity(st))));
  if (n > 0 && delay_ms <= 0) announce(st, NULL); /* e.g. handed back at shutdown: another process takes it */
  return n < 0 ? STORE_ERROR : n == 0 ? STORE_NOT_FOUND : STORE_OK;
}

int store_job_heartbeat(store_t *st, int64_t lease_ms) {
  int64_t now = util_now_ms();
  return update_jobs(st, "UPDATE jobs SET lease_until = ?, heartbeat_at = ? WHERE status = 'running' AND owner = ?",
                     DB_ARGS(DB_INT(now + lease_ms), DB_INT(now), DB_TEXT(store_identity(st))));
}

#define REQUEUE_SET "UPDATE jobs SET status = 'queued', owner = NULL, lease_until = 0, updated_at = ? "

int store_job_requeue_expired(store_t *st) {
  int64_t now = util_now_ms();
  int n =
      update_jobs(st, REQUEUE_SET "WHERE status = 'running' AND lease_until < ?", DB_ARGS(DB_INT(now), DB_INT(now)));
  if (n > 0) announce(st, NULL);
  return n;
}

typedef struct {
  char host[80];   /* "HOST:" of this store's identity */
  long pid;        /* this process */
  const char *tag; /* this process's random part, "RANDOM." */
  size_t taglen;
  json_t *stale; /* [[id, owner], ...] */
} stale_scan_t;

/* A running job's owner names a process of this host that is gone: its pid
 * is not alive, or it is our own pid with another random part (a previous
 * process that had the same pid, as in a restarted container). */
static int collect_stale(db_stmt_t *row, void *ctx) {
  stale_scan_t *sc = ctx;
  const char *owner = db_col_text_ref(row, 1);
  size_t hl = strlen(sc->host);
  if (!owner || strncmp(owner, sc->host, hl) != 0) return 0;
  char *end = NULL;
  long pid = strtol(owner + hl, &end, 10);
  if (!end || *end != ':' || pid <= 0) return 0;
  int gone = pid == sc->pid ? strncmp(end + 1, sc->tag, sc->taglen) != 0 : (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
  if (gone) json_array_append_new(sc->stale, json_pack("[s, s]", db_col_text_ref(row, 0), owner));
  return 0;
}

int store_job_requeue_running(store_t *st) {
  int n = store_job_requeue_expired(st);
  if (n < 0) return -1;
  int64_t now = util_now_ms();
  if (store_backend(st) == DB_SQLITE) {
    /* A SQLite database has one maestro process: whatever is still running
     * when it starts was left by its previous run. */
    int m = update_jobs(st, REQUEUE_SET "WHERE status = 'running'", DB_ARGS(DB_INT(now)));
    return m < 0 ? -1 : n + m;
  }
  /* Shared database: other processes' live jobs stay theirs; only the jobs
   * of a process of this host that is gone need not wait for their lease. */
  const char *me = store_identity(st);
  const char *colon = strchr(me, ':');
  stale_scan_t sc = {.pid = (long)getpid(), .stale = json_array()};
  snprintf(sc.host, sizeof sc.host, "%.*s", (int)(colon - me + 1), me);
  sc.tag = strchr(colon + 1, ':') + 1;
  sc.taglen = (size_t)(strchr(sc.tag, '.') - sc.tag) + 1;
  char pattern[96];
  snprintf(pattern, sizeof pattern, "%s%%", sc.host);
  if (db_query(st, "find stale jobs", "SELECT id, owner FROM jobs WHERE status = 'running' AND owner LIKE ?",
               DB_ARGS(DB_TEXT(pattern)), collect_stale, &sc) < 0) {
    json_decref(sc.stale);
    return -1;
  }
  size_t i;
  json_t *pair;
  json_array_foreach(sc.stale, i, pair) {
    int m = update_jobs(st, REQUEUE_SET "WHERE id = ? AND status = 'running' AND owner = ?",
                        DB_ARGS(DB_INT(now), DB_TEXT(json_string_value(json_array_get(pair, 0))),
                                DB_TEXT(json_string_value(json_array_get(pair, 1)))));
    if (m > 0) n += m;
  }
  json_decref(sc.stale);
  return n;
}

int store_job_cancel_ref(store_t *st, const char *kind, const char *ref_id) {
  return update_jobs(st,
                     "UPDATE jobs SET updated_at = ?, status = 'cancelled' WHERE kind = ? AND ref_id = ? "
                     "AND status = 'queued'",
                     DB_ARGS(DB_INT(util_now_ms()), DB_TEXT(kind), DB_TEXT(ref_id)));
}

static int job_exists(store_t *st, const char *sql, const char *kind, const char *ref_id) {
  return db_query(st, "find job", sql, DB_ARGS(DB_TEXT(kind), DB_TEXT(ref_id)), NULL, NULL) > 0;
}

int store_job_active_for(store_t *st, const char *kind, const char *ref_id) {
  return job_exists(st, "SELECT 1 FROM jobs WHERE kind = ? AND ref_id = ? AND status IN ('queued', 'running') LIMIT 1",
                    kind, ref_id);
}

int store_job_count_active(store_t *st, const char *kind) {
  int64_t n = -1;
  if (db_query(st, "count jobs", "SELECT COUNT(*) FROM jobs WHERE kind = ? AND status IN ('queued', 'running')",
               DB_ARGS(DB_TEXT(kind)), db_row_int64, &n) < 0)
    return -1;
  return (int)n;
}

int store_job_queued_for(store_t *st, const char *kind, const char *ref_id) {
  return job_exists(st, "SELECT 1 FROM jobs WHERE kind = ? AND ref_id = ? AND status = 'queued' LIMIT 1", kind, ref_id);
}
