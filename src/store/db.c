/*
 * db.c - the backend-neutral half of the statement layer (see db.h): the
 * per-connection statement cache, parameter binding, column getters that
 * dispatch to SQLite or libpq, and the run/query/transaction helpers.
 */
#include "store/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db_backend.h"

db_backend_t db_backend(const db_conn_t *c) {
  return c->backend;
}

const char *db_sql(const db_conn_t *c, const char *sqlite_sql, const char *pg_sql) {
  return c->backend == DB_PG ? pg_sql : sqlite_sql;
}

const char *db_errmsg(db_conn_t *c) {
  if (c->backend == DB_SQLITE) return sqlite3_errmsg(c->sq);
  if (c->err[0]) return c->err;
  return PQerrorMessage(c->pg);
}

int db_exec(db_conn_t *c, const char *sql) {
  if (c->backend == DB_PG) return dbpg_exec(c, sql);
  char *msg = NULL;
  if (sqlite3_exec(c->sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
    log_error("store", "exec failed: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

int db_begin(db_conn_t *c) {
  return db_exec(c, c->backend == DB_PG ? "BEGIN" : "BEGIN IMMEDIATE");
}
int db_commit(db_conn_t *c) {
  return db_exec(c, "COMMIT");
}

void db_rollback(db_conn_t *c) {
  if (c->backend == DB_SQLITE) {
    if (!sqlite3_get_autocommit(c->sq)) sqlite3_exec(c->sq, "ROLLBACK", NULL, NULL, NULL);
  } else if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
    PQclear(PQexec(c->pg, "ROLLBACK"));
  }
}

static void stmt_reset(db_stmt_t *s) {
  s->changes = 0;
  if (s->conn->backend == DB_SQLITE)
    dbsq_reset(s);
  else
    dbpg_reset(s);
}

static void stmt_free(db_stmt_t *s) {
  if (!s) return;
  if (s->conn->backend == DB_SQLITE)
    dbsq_finalize(s);
  else
    dbpg_finalize(s);
  free(s->sql);
  free(s);
}

void db_reset(db_stmt_t *s) {
  if (s) stmt_reset(s);
}

void db_stmts_free(db_conn_t *c) {
  for (int i = 0; i < c->nstmts; i++) stmt_free(c->stmts[i]);
  c->nstmts = 0;
}

db_stmt_t *db_prepare(db_conn_t *c, const char *sql) {
  for (int i = 0; i < c->nstmts; i++) {
    db_stmt_t *e = c->stmts[i];
    /* by text, never by address alone: SQL built in a buffer (the library's
     * filters) may come at the address of an earlier, different text */
    if (strcmp(e->sql, sql) == 0) {
      stmt_reset(e);
      return e;
    }
  }
  db_stmt_t *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->conn = c;
  s->sql = util_strdup(sql);
  int rc = c->backend == DB_SQLITE ? dbsq_compile(s) : dbpg_compile(s);
  if (rc != 0) {
    log_error("store", "prepare failed: %s (sql: %.200s)", db_errmsg(c), sql);
    stmt_free(s);
    return NULL;
  }
  if (c->nstmts == DB_STMT_CACHE) {
    stmt_free(c->stmts[0]);
    memmove(&c->stmts[0], &c->stmts[1], sizeof(db_stmt_t *) * (DB_STMT_CACHE - 1));
    c->nstmts--;
  }
  c->stmts[c->nstmts++] = s;
  return s;
}

void db_bind_text(db_stmt_t *s, int i, const char *v) {
  if (s->conn->backend == DB_SQLITE) {
    if (v)
      sqlite3_bind_text(s->sq, i, v, -1, SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(s->sq, i);
  } else {
    dbpg_bind(s, i, v, v ? strlen(v) : 0, 0);
  }
}

void db_bind_int64(db_stmt_t *s, int i, int64_t v) {
  if (s->conn->backend == DB_SQLITE) {
    sqlite3_bind_int64(s->sq, i, v);
  } else {
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    dbpg_bind(s, i, b, strlen(b), 0);
  }
}

void db_bind_double(db_stmt_t *s, int i, double v) {
  if (s->conn->backend == DB_SQLITE) {
    sqlite3_bind_double(s->sq, i, v);
  } else {
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    dbpg_bind(s, i, b, strlen(b), 0);
  }
}

void db_bind_blob(db_stmt_t *s, int i, const void *p, size_t n) {
  if (s->conn->backend == DB_SQLITE) {
    if (p)
      sqlite3_bind_blob64(s->sq, i, p, n, SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(s->sq, i);
  } else {
    dbpg_bind(s, i, p, n, 1);
  }
}

void db_bind_null(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE)
    sqlite3_bind_null(s->sq, i);
  else
    dbpg_bind(s, i, NULL, 0, 0);
}

void db_bind_params(db_stmt_t *s, const db_param_t *p, int n) {
  for (int i = 0; i < n; i++) {
    switch (p[i].kind) {
      case DB_P_TEXT:
        db_bind_text(s, i + 1, p[i].text);
        break;
      case DB_P_INT:
        db_bind_int64(s, i + 1, p[i].i);
        break;
      case DB_P_REAL:
        db_bind_double(s, i + 1, p[i].d);
        break;
      case DB_P_BLOB:
        db_bind_blob(s, i + 1, p[i].blob, p[i].len);
        break;
      case DB_P_NULL:
        db_bind_null(s, i + 1);
        break;
    }
  }
}

int db_step(db_stmt_t *s) {
  return s->conn->backend == DB_SQLITE ? dbsq_step(s) : dbpg_step(s);
}

int64_t db_changes(db_stmt_t *s) {
  return s->changes;
}

int db_col_is_null(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE) return sqlite3_column_type(s->sq, i) == SQLITE_NULL;
  return PQgetisnull(s->res, s->row, i);
}

const char *db_col_text_ref(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE) return (const char *)sqlite3_column_text(s->sq, i);
  return PQgetisnull(s->res, s->row, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

char *db_col_text(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE) {
    const unsigned char *t = sqlite3_column_text(s->sq, i);
    return t ? util_strndup((const char *)t, (size_t)sqlite3_column_bytes(s->sq, i)) : NULL;
  }
  if (PQgetisnull(s->res, s->row, i)) return NULL;
  return util_strndup(PQgetvalue(s->res, s->row, i), (size_t)PQgetlength(s->res, s->row, i));
}

int64_t db_col_int64(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE) return sqlite3_column_int64(s->sq, i);
  if (PQgetisnull(s->res, s->row, i)) return 0;
  const char *v = PQgetvalue(s->res, s->row, i);
  if (v[0] == 't' && !v[1]) return 1; /* boolean */
  if (v[0] == 'f' && !v[1]) return 0;
  return strtoll(v, NULL, 10); /* numeric sums ("12" or "12.0") read up to the point */
}

double db_col_double(db_stmt_t *s, int i) {
  if (s->conn->backend == DB_SQLITE) return sqlite3_column_double(s->sq, i);
  if (PQgetisnull(s->res, s->row, i)) return 0;
  return strtod(PQgetvalue(s->res, s->row, i), NULL);
}

const void *db_col_blob(db_stmt_t *s, int i, size_t *n) {
  if (s->conn->backend == DB_SQLITE) {
    *n = (size_t)sqlite3_column_bytes(s->sq, i);
    return sqlite3_column_blob(s->sq, i);
  }
  return dbpg_col_blob(s, i, n);
}

json_t *db_col_json(db_stmt_t *s, int i) {
  const char *t = db_col_text_ref(s, i);
  if (!t) return NULL;
  size_t n =
      s->conn->backend == DB_SQLITE ? (size_t)sqlite3_column_bytes(s->sq, i) : (size_t)PQgetlength(s->res, s->row, i);
  return json_loadb(t, n, JSON_DECODE_ANY, NULL);
}

/* ---- helpers ---- */

int db_conn_run(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n, int64_t *changes) {
  db_stmt_t *s = db_prepare(c, sql);
  if (!s) return STORE_ERROR;
  db_bind_params(s, p, n);
  int r;
  while ((r = db_step(s)) == DB_ROW) {
  }
  if (r == DB_DONE) {
    if (changes) *changes = db_changes(s);
    return STORE_OK;
  }
  if (r == DB_CONFLICT) return STORE_CONFLICT;
  log_error("store", "%s: %s", what, db_errmsg(c));
  return STORE_ERROR;
}

int db_conn_query(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n, db_row_fn fn,
                  void *ctx) {
  db_stmt_t *s = db_prepare(c, sql);
  if (!s) return STORE_ERROR;
  db_bind_params(s, p, n);
  int rows = 0, r;
  while ((r = db_step(s)) == DB_ROW) {
    rows++;
    if (fn && fn(s, ctx) != 0) {
      stmt_reset(s); /* not left in progress: SQLite refuses to commit over one */
      return rows;
    }
  }
  if (r == DB_DONE) return rows;
  log_error("store", "%s: %s", what, db_errmsg(c));
  return STORE_ERROR;
}

int db_run(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, int64_t *changes) {
  db_conn_t *c = db_acquire(st);
  int rc = db_conn_run(c, what, sql, p, n, changes);
  db_release(st, c);
  return rc;
}

int db_query(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_fn fn, void *ctx) {
  db_conn_t *c = db_acquire(st);
  int rc = db_conn_query(c, what, sql, p, n, fn, ctx);
  db_release(st, c);
  return rc;
}

int db_tx(store_t *st, const char *what, int (*fn)(db_conn_t *c, void *ctx), void *ctx) {
  db_conn_t *c = db_acquire(st);
  int rc = STORE_ERROR;
  if (db_begin(c) != 0) {
    log_error("store", "%s: cannot begin: %s", what, db_errmsg(c));
  } else {
    rc = fn(c, ctx);
    if (rc >= 0) {
      if (db_commit(c) != 0) {
        log_error("store", "%s: cannot commit: %s", what, db_errmsg(c));
        rc = STORE_ERROR;
      }
    }
    db_rollback(c);
  }
  db_release(st, c);
  return rc;
}

int db_row_int64(db_stmt_t *row, void *ctx) {
  *(int64_t *)ctx = db_col_int64(row, 0);
  return 1;
}

int db_row_text(db_stmt_t *row, void *ctx) {
  char **out = ctx;
  free(*out);
  *out = db_col_text(row, 0);
  return 1;
}

int db_col_count(db_stmt_t *s) {
  return s->conn->backend == DB_SQLITE ? sqlite3_column_count(s->sq) : PQnfields(s->res);
}

const char *db_col_name(db_stmt_t *s, int i) {
  return s->conn->backend == DB_SQLITE ? sqlite3_column_name(s->sq, i) : PQfname(s->res, i);
}

db_param_kind_t db_col_kind(db_stmt_t *s, int i) {
  if (db_col_is_null(s, i)) return DB_P_NULL;
  if (s->conn->backend == DB_SQLITE) {
    switch (sqlite3_column_type(s->sq, i)) {
      case SQLITE_INTEGER:
        return DB_P_INT;
      case SQLITE_FLOAT:
        return DB_P_REAL;
      case SQLITE_BLOB:
        return DB_P_BLOB;
      default:
        return DB_P_TEXT;
    }
  }
  switch (PQftype(s->res, i)) { /* OIDs of pg_type.h */
    case 16:
    case 20:
    case 21:
    case 23:
      return DB_P_INT; /* bool, int8, int2, int4 */
    case 700:
    case 701:
    case 1700:
      return DB_P_REAL; /* float4, float8, numeric */
    case 17:
      return DB_P_BLOB; /* bytea */
    default:
      return DB_P_TEXT;
  }
}

/* ---- rows as JSON, statements that must find their row, short batches ---- */

json_t *db_col_object(db_stmt_t *s, int i) {
  json_t *o = db_col_json(s, i);
  if (json_is_object(o)) return o;
  json_decref(o);
  return json_object();
}

json_t *db_col_json_text(db_stmt_t *s, int i) {
  const char *t = db_col_text_ref(s, i);
  return t ? json_string(t) : json_null();
}

json_t *db_col_json_time(db_stmt_t *s, int i) {
  char ts[40];
  util_iso_time(db_col_int64(s, i), ts, sizeof ts);
  return json_string(ts);
}

void db_col_copy(db_stmt_t *s, int i, char *buf, size_t size) {
  const char *t = db_col_text_ref(s, i);
  snprintf(buf, size, "%s", t ? t : "");
}

int db_found(int rows) {
  return rows < 0 ? STORE_ERROR : rows ? STORE_OK : STORE_NOT_FOUND;
}

typedef struct {
  db_row_json_fn fn;
  json_t *arr; /* every row, or */
  json_t **first;
} json_rows_t;

static int json_row(db_stmt_t *row, void *ctx) {
  json_rows_t *r = ctx;
  json_t *v = r->fn(row);
  if (r->first) {
    *r->first = v;
    return 1;
  }
  if (v) json_array_append_new(r->arr, v);
  return 0;
}

json_t *db_conn_query_array(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n,
                            db_row_json_fn fn) {
  json_rows_t r = {fn, json_array(), NULL};
  if (db_conn_query(c, what, sql, p, n, json_row, &r) < 0) {
    json_decref(r.arr);
    return NULL;
  }
  return r.arr;
}

json_t *db_query_array(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_json_fn fn) {
  db_conn_t *c = db_acquire(st);
  json_t *arr = db_conn_query_array(c, what, sql, p, n, fn);
  db_release(st, c);
  return arr;
}

json_t *db_query_first(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, db_row_json_fn fn) {
  json_t *v = NULL;
  json_rows_t r = {fn, NULL, &v};
  if (db_query(st, what, sql, p, n, json_row, &r) < 0) {
    json_decref(v);
    return NULL;
  }
  return v;
}

json_t *db_query_page(store_t *st, const char *what, const char *key, const char *count_sql, const char *list_sql,
                      const db_param_t *p, int n, int64_t limit, int64_t offset, db_row_json_fn fn) {
  db_param_t all[10];
  if (n < 0 || n > 8) return NULL;
  for (int i = 0; i < n; i++) all[i] = p[i];
  all[n] = DB_INT(limit);
  all[n + 1] = DB_INT(offset);
  int64_t total = -1;
  json_t *arr = NULL;
  db_conn_t *c = db_acquire(st);
  if (db_conn_query(c, what, count_sql, p, n, db_row_int64, &total) == 1)
    arr = db_conn_query_array(c, what, list_sql, all, n + 2, fn);
  db_release(st, c);
  return arr ? json_pack("{s:o, s:I}", key, arr, "total", (json_int_t)total) : NULL;
}

int db_run_one(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, const char *why_sql,
               const db_param_t *wp, int wn) {
  int64_t changed = 0;
  db_conn_t *c = db_acquire(st);
  int rc = db_conn_run(c, what, sql, p, n, &changed);
  if (rc == STORE_OK && changed == 0) {
    int found = why_sql ? db_conn_query(c, what, why_sql, wp, wn, NULL, NULL) : 0;
    rc = found < 0 ? STORE_ERROR : found ? STORE_CONFLICT : STORE_NOT_FOUND;
  }
  db_release(st, c);
  return rc;
}

int db_claim(store_t *st, const char *what, const char *claim_sql, const char *owned_sql, const char *user_id,
             const char *id, int64_t stale_ms) {
  int64_t now = util_now_ms();
  return db_run_one(st, what, claim_sql, DB_ARGS(DB_INT(now), DB_TEXT(id), DB_TEXT(user_id), DB_INT(now - stale_ms)),
                    owned_sql, DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)));
}

int db_release_claim(store_t *st, const char *what, const char *release_sql, const char *id) {
  return db_run(st, what, release_sql, DB_ARGS(DB_TEXT(id)), NULL) == STORE_OK ? STORE_OK : STORE_ERROR;
}

/* One batch statement: rows to b->fn (the first into *b->out), and
 * STORE_NOT_FOUND when required and it neither changed nor returned a row. */
static int batch_step(db_conn_t *c, const char *what, const db_batch_t *b) {
  db_stmt_t *s = db_prepare(c, b->sql);
  if (!s) return STORE_ERROR;
  db_bind_params(s, b->p, b->n);
  int rows = 0, r;
  while ((r = db_step(s)) == DB_ROW) {
    if (rows++ == 0 && b->out) *b->out = b->fn(s);
  }
  if (r == DB_CONFLICT) return STORE_CONFLICT;
  if (r != DB_DONE) {
    log_error("store", "%s: %s", what, db_errmsg(c));
    return STORE_ERROR;
  }
  return b->required && rows == 0 && db_changes(s) == 0 ? STORE_NOT_FOUND : STORE_OK;
}

typedef struct {
  const char *what;
  const db_batch_t *b;
  int count;
} batch_t;

static int batch_tx(db_conn_t *c, void *ctx) {
  batch_t *t = ctx;
  for (int i = 0; i < t->count; i++) {
    int rc = batch_step(c, t->what, &t->b[i]);
    if (rc != STORE_OK) return rc;
  }
  return STORE_OK;
}

int db_tx_batch(store_t *st, const char *what, const db_batch_t *b, int count) {
  for (int i = 0; i < count; i++)
    if (b[i].out) *b[i].out = NULL;
  batch_t t = {what, b, count};
  int rc = db_tx(st, what, batch_tx, &t);
  if (rc != STORE_OK)
    for (int i = 0; i < count; i++)
      if (b[i].out) {
        json_decref(*b[i].out);
        *b[i].out = NULL;
      }
  return rc;
}
