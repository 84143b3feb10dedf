/*
 * db_pg.c - the PostgreSQL backend of the statement layer (db.h), over libpq.
 *
 * Statements are prepared on the server once per connection (PQprepare,
 * named "m<N>") from the `?` SQL translated to $1..$n, and executed with
 * PQexecPrepared: parameters travel as text (the server infers their types
 * from the statement), blobs in binary (bytea); results come back as text.
 * The first db_step() executes and buffers the whole result; later steps
 * walk its rows. Column getters parse the text (integers, reals, 't'/'f'
 * booleans) and decode bytea's hex form.
 *
 * A connection that the server dropped is reset at release; its prepared
 * statements died with it, so the cache is emptied then too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "store/db_backend.h"

static void notice_quiet(void *arg, const PGresult *res) {
  (void)arg;
  (void)res; /* "relation already exists, skipping" and the like */
}

/* The session every connection runs in; a PGRES_COMMAND_OK result when set. */
static PGresult *session_setup(PGconn *pg) {
  PQsetNoticeReceiver(pg, notice_quiet, NULL);
  return PQexec(pg, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET application_name = 'maestro'");
}

int dbpg_open(const char *conninfo, PGconn **out, char *err, size_t errlen) {
  PGconn *pg = PQconnectdb(conninfo);
  if (!pg || PQstatus(pg) != CONNECTION_OK) {
    snprintf(err, errlen, "cannot connect to PostgreSQL: %s", pg ? PQerrorMessage(pg) : "out of memory");
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = '\0';
    PQfinish(pg);
    return -1;
  }
  PGresult *r = session_setup(pg);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) snprintf(err, errlen, "cannot configure the PostgreSQL session: %s", PQresultErrorMessage(r));
  PQclear(r);
  if (!ok) {
    PQfinish(pg);
    return -1;
  }
  *out = pg;
  return 0;
}

char *dbpg_translate(const char *sql, int *nparams) {
  size_t len = strlen(sql);
  /* Each '?' (1 byte) becomes at most "$" + 5 digits. */
  char *out = malloc(len * 6 + 1);
  if (!out) abort();
  size_t o = 0;
  int n = 0;
  char quote = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = sql[i];
    if (quote) {
      if (ch == quote) quote = 0; /* a doubled quote re-opens at once: same result */
      out[o++] = ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      out[o++] = ch;
    } else if (ch == '-' && sql[i + 1] == '-') {
      while (i < len && sql[i] != '\n') out[o++] = sql[i++];
      if (i < len) out[o++] = '\n';
    } else if (ch == '?') {
      o += (size_t)snprintf(out + o, 7, "$%d", ++n);
    } else {
      out[o++] = ch;
    }
  }
  out[o] = '\0';
  *nparams = n;
  return out;
}

static void set_err(db_conn_t *c, const PGresult *r) {
  const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
  snprintf(c->err, sizeof c->err, "%s", m && *m ? m : PQerrorMessage(c->pg));
  size_t n = strlen(c->err);
  while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' ')) c->err[--n] = '\0';
}

int dbpg_compile(db_stmt_t *s) {
  db_conn_t *c = s->conn;
  char *text = dbpg_translate(s->sql, &s->nparams);
  snprintf(s->name, sizeof s->name, "m%u", ++c->next_name);
  PGresult *r = PQprepare(c->pg, s->name, text, 0, NULL);
  free(text);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) set_err(c, r);
  PQclear(r);
  if (!ok) {
    s->name[0] = '\0';
    s->nparams = 0; /* no value arrays to free */
    return -1;
  }
  if (s->nparams) {
    s->vals = calloc((size_t)s->nparams, sizeof *s->vals);
    s->lens = calloc((size_t)s->nparams, sizeof *s->lens);
    s->fmts = calloc((size_t)s->nparams, sizeof *s->fmts);
    if (!s->vals || !s->lens || !s->fmts) abort();
  }
  return 0;
}

static void free_scratch(db_stmt_t *s) {
  for (int i = 0; i < s->nscratch; i++) PQfreemem(s->scratch[i]);
  free(s->scratch);
  s->scratch = NULL;
  s->nscratch = 0;
}

void dbpg_reset(db_stmt_t *s) {
  PQclear(s->res);
  s->res = NULL;
  s->row = -1;
  s->nrows = 0;
  free_scratch(s);
  for (int i = 0; i < s->nparams; i++) {
    free(s->vals[i]);
    s->vals[i] = NULL;
    s->lens[i] = 0;
    s->fmts[i] = 0;
  }
}

void dbpg_finalize(db_stmt_t *s) {
  dbpg_reset(s);
  /* The server forgets the statement with the session; on an evicted one
   * say so now (a dead connection just ignores it). */
  if (s->name[0] && PQstatus(s->conn->pg) == CONNECTION_OK && PQtransactionStatus(s->conn->pg) == PQTRANS_IDLE) {
    char sql[48];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
    PQclear(PQexec(s->conn->pg, sql));
  }
  free(s->vals);
  free(s->lens);
  free(s->fmts);
}

void dbpg_bind(db_stmt_t *s, int i, const char *v, size_t len, int binary) {
  if (i < 1 || i > s->nparams) {
    log_error("store", "bind index %d out of range (%d parameters)", i, s->nparams);
    return;
  }
  free(s->vals[i - 1]);
  s->vals[i - 1] = NULL;
  s->lens[i - 1] = 0;
  s->fmts[i - 1] = binary;
  if (!v) return;
  if (len > INT32_MAX) abort();
  char *copy = malloc(len + 1);
  if (!copy) abort();
  memcpy(copy, v, len);
  copy[len] = '\0';
  s->vals[i - 1] = copy;
  s->lens[i - 1] = (int)len;
}

int dbpg_step(db_stmt_t *s) {
  db_conn_t *c = s->conn;
  free_scratch(s);
  if (!s->res) {
    c->err[0] = '\0';
    s->res = PQexecPrepared(c->pg, s->name, s->nparams, (const char *const *)s->vals, s->lens, s->fmts, 0);
    ExecStatusType st = PQresultStatus(s->res);
    if (st == PGRES_COMMAND_OK) {
      s->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
      s->nrows = 0;
    } else if (st == PGRES_TUPLES_OK) {
      s->nrows = PQntuples(s->res);
      s->changes = 0;
    } else {
      set_err(c, s->res);
      const char *state = PQresultErrorField(s->res, PG_DIAG_SQLSTATE);
      int conflict = state && strcmp(state, "23505") == 0;
      PQclear(s->res);
      s->res = NULL;
      return conflict ? DB_CONFLICT : DB_ERROR;
    }
    s->row = -1;
  }
  if (s->row + 1 < s->nrows) {
    s->row++;
    return DB_ROW;
  }
  s->row = s->nrows; /* past the end: getters must not be called */
  return DB_DONE;
}

int dbpg_exec(db_conn_t *c, const char *sql) {
  PGresult *r = PQexec(c->pg, sql);
  ExecStatusType st = PQresultStatus(r);
  int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
  if (!ok) {
    set_err(c, r);
    log_error("store", "exec failed: %s", c->err);
  }
  PQclear(r);
  return ok ? 0 : -1;
}

const void *dbpg_col_blob(db_stmt_t *s, int i, size_t *n) {
  *n = 0;
  if (PQgetisnull(s->res, s->row, i)) return NULL;
  size_t len = 0;
  unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, i), &len);
  if (!b) return NULL;
  void **grown = realloc(s->scratch, sizeof(void *) * (size_t)(s->nscratch + 1));
  if (!grown) abort();
  s->scratch = grown;
  s->scratch[s->nscratch++] = b;
  *n = len;
  return b;
}

void dbpg_clean(db_conn_t *c) {
  for (int i = 0; i < c->nstmts; i++) dbpg_reset(c->stmts[i]);
  if (PQstatus(c->pg) != CONNECTION_OK) {
    log_warn("store", "PostgreSQL connection lost; reconnecting");
    /* The server-side statements are gone with the session. */
    for (int i = 0; i < c->nstmts; i++) c->stmts[i]->name[0] = '\0';
    db_stmts_free(c);
    PQreset(c->pg);
    if (PQstatus(c->pg) == CONNECTION_OK) PQclear(session_setup(c->pg));
    return;
  }
  if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) PQclear(PQexec(c->pg, "ROLLBACK"));
}
