/*
 * sql.c - the `sql` plugin: SQLite and PostgreSQL databases as a research
 * source.
 *
 * Configuration (PLUGINS_DIR/sql.json, or PLUGIN_SQL_* variables):
 *   databases  {"name": "/path/file.db", ...}, or "name=/path,name2=/path2";
 *              a value that is a postgresql:// URL or a libpq conninfo
 *              ("host=... dbname=...") names a PostgreSQL database; a value
 *              may also be {"path": ..., "generate": true}
 *   generate   the databases the model may write queries for: true (all),
 *              a list of names, or "a,b" (PLUGIN_SQL_GENERATE); default none
 *   queries    the allow-list: [{"name", "database", "sql", "description"}]
 *              (or the same as JSON text); a query may use :q, bound to
 *              the search text
 *   row_limit  rows read per query (default 50, at most 1000)
 *
 * Read-only, four times over: each database is opened SQLITE_OPEN_READONLY
 * (a connection per call, so calls on several threads share nothing); an
 * authorizer allows only reading (SELECT, READ, FUNCTION, RECURSIVE), so
 * ATTACH, PRAGMA and every write are refused by SQLite itself; a statement
 * must be exactly one statement starting with SELECT or WITH, and
 * sqlite3_stmt_readonly() must say so. A progress handler stops a query
 * after 5 s. Every query of the allow-list is checked at init: a bad one
 * fails init (the plugin is refused, with the reason).
 *
 * Provides: the source "sql" (a search runs the allowed queries ranked by
 * the words they share with the question; each result is one passage whose
 * locator is the query; when none that shares a word gives rows, the model
 * writes a SELECT for each database with "generate", see below), and the tools "query" ({database, sql}: any single
 * SELECT, checked as above) and "schema" ({database}).
 *
 * PostgreSQL (libpq, a connection per call): read-only is enforced by the
 * server: the session starts with default_transaction_read_only on and a
 * statement_timeout of 5 s, and every query runs inside BEGIN READ ONLY
 * ... ROLLBACK. The statement must start with SELECT or WITH; it is
 * prepared wrapped as SELECT * FROM (sql) AS q LIMIT row_limit+1, so a
 * second statement, a data-modifying WITH or anything but a query is a
 * syntax error, and at most row_limit+1 rows ever leave the server. :q is
 * bound as $1. The schema tool reads information_schema (schema public).
 */
#include <ctype.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maestro/plugin.h"

static json_t *g_dbs;     /* {name: path} */
static json_t *g_queries; /* [{name, database, sql, description}] */
static json_t *g_gen;     /* {name: true} for the databases the model may write queries for */
static int g_row_limit = 50;
static const maestro_host_t *g_host; /* kept for complete(); NULL on an ABI-1 server */

static char *answer(json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(v);
  return s;
}
static char *fail(const char *fmt, const char *a) {
  char m[512];
  snprintf(m, sizeof m, fmt, a ? a : "");
  return answer(json_pack("{s:s}", "error", m));
}

static int authorize(void *ud, int action, const char *a, const char *b, const char *c, const char *d) {
  (void)ud, (void)a, (void)b, (void)c, (void)d;
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    default:
      return SQLITE_DENY;
  }
}

static int progress(void *ud) {
  return time(NULL) > *(time_t *)ud;
}

/* The configured path or conninfo of a database; NULL with err if unknown. */
static const char *db_target(const char *name, char *err, size_t errlen) {
  const char *t = json_string_value(json_object_get(g_dbs, name ? name : ""));
  if (!t) snprintf(err, errlen, "unknown database \"%s\"", name ? name : "");
  return t;
}

/* A postgres[ql]:// URL or a conninfo ("keyword=value ...") rather than a
 * SQLite path. */
static int is_pg(const char *t) {
  if (!strncmp(t, "postgresql://", 13) || !strncmp(t, "postgres://", 11)) return 1;
  const char *p = t;
  while (isspace((unsigned char)*p)) p++;
  const char *k = p;
  while (isalpha((unsigned char)*p) || *p == '_') p++;
  if (p == k) return 0;
  while (isspace((unsigned char)*p)) p++;
  return *p == '=';
}

static sqlite3 *open_db(const char *name, char *err, size_t errlen) {
  const char *path = db_target(name, err, errlen);
  if (!path) return NULL;
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot open database %s: %s", name, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_set_authorizer(db, authorize, NULL);
  sqlite3_busy_timeout(db, 2000);
  return db;
}

/* Prepares sql if it is one read-only SELECT; NULL with err otherwise. */
static int starts_select(const char *sql, char *err, size_t errlen) {
  const char *p = sql;
  while (*p && isspace((unsigned char)*p)) p++;
  if (strncasecmp(p, "select", 6) && strncasecmp(p, "with", 4)) {
    snprintf(err, errlen, "only a SELECT is allowed");
    return 0;
  }
  return 1;
}

static sqlite3_stmt *prepare_select(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  if (!starts_select(sql, err, errlen)) return NULL;
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK || !st) {
    snprintf(err, errlen, "refused: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return NULL;
  }
  while (tail && *tail && (isspace((unsigned char)*tail) || *tail == ';')) tail++;
  if (tail && *tail) {
    snprintf(err, errlen, "only a single statement is allowed");
    sqlite3_finalize(st);
    return NULL;
  }
  if (!sqlite3_stmt_readonly(st)) {
    snprintf(err, errlen, "only read-only statements are allowed");
    sqlite3_finalize(st);
    return NULL;
  }
  return st;
}

/* Runs a prepared SELECT: {columns, rows, truncated}. */
static json_t *run(sqlite3 *db, sqlite3_stmt *st, int limit, char *err, size_t errlen) {
  time_t deadline = time(NULL) + 5;
  sqlite3_progress_handler(db, 1000, progress, &deadline);
  json_t *cols = json_array(), *rows = json_array();
  int n = sqlite3_column_count(st), truncated = 0, rc;
  for (int i = 0; i < n; i++) json_array_append_new(cols, json_string(sqlite3_column_name(st, i)));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if ((int)json_array_size(rows) >= limit) {
      truncated = 1;
      break;
    }
    json_t *row = json_array();
    for (int i = 0; i < n; i++) {
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
          json_array_append_new(row, json_integer(sqlite3_column_int64(st, i)));
          break;
        case SQLITE_FLOAT:
          json_array_append_new(row, json_real(sqlite3_column_double(st, i)));
          break;
        case SQLITE_NULL:
          json_array_append_new(row, json_null());
          break;
        default: {
          const char *t = (const char *)sqlite3_column_text(st, i);
          json_t *s = json_string(t ? t : "");
          json_array_append_new(row, s ? s : json_string("(binary)"));
        }
      }
    }
    json_array_append_new(rows, row);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    snprintf(err, errlen, "query failed: %s", sqlite3_errmsg(db));
    json_decref(cols);
    json_decref(rows);
    return NULL;
  }
  return json_pack("{s:o, s:o, s:b}", "columns", cols, "rows", rows, "truncated", truncated);
}

/* ---- PostgreSQL ---- */

/* The server's message, one line. */
static void pg_err(char *err, size_t errlen, const char *what, const char *msg) {
  if (msg && !strncmp(msg, "ERROR:", 6)) msg += 6;
  while (msg && *msg == ' ') msg++;
  snprintf(err, errlen, "%s: %s", what, msg && msg[0] ? msg : "no answer from the server");
  err[strcspn(err, "\n")] = 0;
}

/* A connection whose session is read-only with a 5 s statement timeout. */
static PGconn *pg_open(const char *name, const char *conninfo, char *err, size_t errlen) {
  const char *const keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
  const char *const vals[] = {conninfo, "5", "-c default_transaction_read_only=on -c statement_timeout=5000",
                              "maestro-sql-plugin", NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    char what[128];
    snprintf(what, sizeof what, "cannot open database %s", name);
    pg_err(err, errlen, what, c ? PQerrorMessage(c) : "out of memory");
    PQfinish(c);
    return NULL;
  }
  /* the same again in SQL, should a pooler drop the startup options */
  PGresult *r = PQexec(c,
                       "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; SET statement_timeout = 5000; "
                       "BEGIN READ ONLY");
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    pg_err(err, errlen, "cannot open a read-only transaction", PQerrorMessage(c));
    PQfinish(c);
    return NULL;
  }
  return c;
}

/* sql with :q (outside literals, quoted names and comments, not a ::cast)
 * as $1, wrapped as a subquery with a LIMIT; *uses_q says whether :q
 * occurs, *several whether a ';' separates statements. */
static char *pg_wrap(const char *sql, int limit, int *uses_q, int *several) {
  size_t n = strlen(sql);
  while (n && (isspace((unsigned char)sql[n - 1]) || sql[n - 1] == ';')) n--;
  char *out = malloc(n + 64);
  if (!out) return NULL;
  size_t o = (size_t)sprintf(out, "SELECT * FROM (\n");
  *uses_q = *several = 0;
  char quote = 0; /* ' " - (a line comment) or * (a block comment) */
  for (size_t i = 0; i < n; i++) {
    char ch = sql[i];
    if (quote == '-' || quote == '*') {
      if ((quote == '-' && ch == '\n') || (quote == '*' && ch == '/' && i && sql[i - 1] == '*')) quote = 0;
    } else if (quote) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if ((ch == '-' || ch == '/') && i + 1 < n && sql[i + 1] == (ch == '-' ? '-' : '*')) {
      quote = ch == '-' ? '-' : '*';
      out[o++] = ch;
      ch = sql[++i];
    } else if (ch == ';') {
      *several = 1;
    } else if (ch == ':' && i + 1 < n && sql[i + 1] == 'q' && (i == 0 || sql[i - 1] != ':') &&
               (i + 2 >= n || !(isalnum((unsigned char)sql[i + 2]) || sql[i + 2] == '_'))) {
      out[o++] = '$';
      out[o++] = '1';
      i++;
      *uses_q = 1;
      continue;
    }
    out[o++] = ch;
  }
  sprintf(out + o, "\n) AS q LIMIT %d", limit + 1);
  return out;
}

static json_t *pg_value(PGresult *r, int row, int col) {
  if (PQgetisnull(r, row, col)) return json_null();
  const char *v = PQgetvalue(r, row, col);
  switch (PQftype(r, col)) {
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
      return json_integer(strtoll(v, NULL, 10));
    case 700:  /* float4 */
    case 701:  /* float8 */
    case 1700: /* numeric */
      return json_real(strtod(v, NULL));
    case 16: /* bool */
      return json_string(v[0] == 't' ? "true" : "false");
    default: {
      json_t *s = json_string(v);
      return s ? s : json_string("(binary)");
    }
  }
}

/* Prepares (and, unless check_only, runs) one SELECT on a PostgreSQL
 * database: {columns, rows, truncated}, or json_null() for a check. */
static json_t *pg_query(const char *name, const char *conninfo, const char *sql, const char *q, int limit,
                        int check_only, char *err, size_t errlen) {
  if (!starts_select(sql, err, errlen)) return NULL;
  int uses_q = 0, several = 0;
  char *wrapped = pg_wrap(sql, limit, &uses_q, &several);
  if (!wrapped || several) {
    snprintf(err, errlen, several ? "only a single statement is allowed" : "out of memory");
    free(wrapped);
    return NULL;
  }
  PGconn *c = pg_open(name, conninfo, err, errlen);
  json_t *res = NULL;
  PGresult *r = c ? PQprepare(c, "", wrapped, uses_q, NULL) : NULL;
  if (c && PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_err(err, errlen, "refused", PQerrorMessage(c));
  } else if (c && check_only) {
    res = json_null();
  } else if (c) {
    PQclear(r);
    const char *params[1] = {q ? q : ""};
    r = PQexecPrepared(c, "", uses_q, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      pg_err(err, errlen, "query failed", PQerrorMessage(c));
    } else {
      json_t *cols = json_array(), *rows = json_array();
      int nc = PQnfields(r), nr = PQntuples(r);
      for (int i = 0; i < nc; i++) json_array_append_new(cols, json_string(PQfname(r, i)));
      for (int i = 0; i < nr && i < limit; i++) {
        json_t *row = json_array();
        for (int j = 0; j < nc; j++) json_array_append_new(row, pg_value(r, i, j));
        json_array_append_new(rows, row);
      }
      res = json_pack("{s:o, s:o, s:b}", "columns", cols, "rows", rows, "truncated", nr > limit);
    }
  }
  PQclear(r);
  PQfinish(c); /* the transaction was never committed */
  free(wrapped);
  return res;
}

static json_t *query(const char *dbname, const char *sql, const char *q, int limit, char *err, size_t errlen) {
  const char *target = db_target(dbname, err, errlen);
  if (!target) return NULL;
  if (is_pg(target)) return pg_query(dbname, target, sql, q, limit, 0, err, errlen);
  sqlite3 *db = open_db(dbname, err, errlen);
  if (!db) return NULL;
  sqlite3_stmt *st = prepare_select(db, sql, err, errlen);
  json_t *res = NULL;
  if (st) {
    int qi = sqlite3_bind_parameter_index(st, ":q");
    if (qi > 0) sqlite3_bind_text(st, qi, q ? q : "", -1, SQLITE_TRANSIENT);
    res = run(db, st, limit, err, errlen);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return res;
}

/* ---- the source ---- */

static int shared_words(const char *a, const char *b) {
  int n = 0;
  const char *p = a;
  while (*p) {
    while (*p && !isalnum((unsigned char)*p)) p++;
    const char *s = p;
    while (*p && isalnum((unsigned char)*p)) p++;
    size_t len = (size_t)(p - s);
    if (len < 3) continue;
    for (const char *h = b; *h; h++)
      if (!strncasecmp(h, s, len) && (h == b || !isalnum((unsigned char)h[-1])) && !isalnum((unsigned char)h[len])) {
        n++;
        break;
      }
  }
  return n;
}

/* One passage per allowed query: its rows as "column: value; ..." lines. */
static json_t *passage(json_t *qd, json_t *res) {
  const char *desc = json_string_value(json_object_get(qd, "description"));
  const char *name = json_string_value(json_object_get(qd, "name"));
  const char *dbn = json_string_value(json_object_get(qd, "database"));
  json_t *cols = json_object_get(res, "columns"), *rows = json_object_get(res, "rows");
  size_t need = 64, i, j;
  char *text = malloc(need), *title = NULL;
  if (!text) return NULL;
  size_t len = 0;
  text[0] = 0;
  json_t *row, *v;
  json_array_foreach(rows, i, row) {
    json_array_foreach(row, j, v) {
      char val[256];
      if (json_is_string(v))
        snprintf(val, sizeof val, "%s", json_string_value(v));
      else if (json_is_integer(v))
        snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
      else if (json_is_real(v))
        snprintf(val, sizeof val, "%.6g", json_real_value(v));
      else
        snprintf(val, sizeof val, "NULL");
      const char *col = json_string_value(json_array_get(cols, j));
      size_t add = strlen(col) + strlen(val) + 8;
      if (len + add >= need) {
        need = (len + add) * 2;
        char *t = realloc(text, need);
        if (!t) {
          free(text);
          return NULL;
        }
        text = t;
      }
      len += (size_t)snprintf(text + len, need - len, "%s%s: %s%s", j ? "; " : "", col, val,
                              j + 1 == json_array_size(row) ? ".\n" : "");
    }
  }
  if (asprintf(&title, "%s (%s)", desc && desc[0] ? desc : name, dbn) < 0) title = NULL;
  json_t *p =
      json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:I, s:b}}", "title", title ? title : name, "text", text, "locator",
                json_string_value(json_object_get(qd, "sql")), "metadata", "database", dbn, "query", name, "rows",
                (json_int_t)json_array_size(rows), "truncated", json_is_true(json_object_get(res, "truncated")));
  free(title);
  free(text);
  return p;
}

/* ---- queries written by the model ----
 *
 * For a database with "generate" on, a question no allowed query answers is
 * turned into one SELECT by the server's model (host->complete, ABI 2): the
 * prompt holds the database's tables, columns and types, read from the
 * database itself, and the question. The answer is unwrapped (code fences,
 * prose before or after), then checked like any query of the `query` tool,
 * and more: on SQLite the authorizer lets it read only the tables of the
 * schema (not sqlite_schema); on PostgreSQL the server prepares it inside a
 * READ ONLY transaction with a statement timeout, and what PREPARE rejects
 * (an unknown table or column, a second statement, a write) is refused, as
 * is a plan (EXPLAIN, not run) that scans anything but the schema's tables. A
 * refused answer gets one re-ask saying what was wrong, then the search
 * gives up with the reason. What runs is the answer wrapped as
 * SELECT * FROM (...) AS q LIMIT row_limit: that text is the passage's
 * locator. */

static json_t *schema_tables(const char *dbname, char *err, size_t errlen);

/* The SQL in a model's answer: the first fenced block when there is one,
 * else from the first line starting with SELECT or WITH; prose after a
 * blank line or after a ';' is dropped, but a ';' followed by another
 * statement is kept so the check refuses it. malloc()'d. */
static char *extract_sql(const char *ans) {
  const char *s = ans, *e = NULL;
  const char *fence = strstr(ans, "```");
  if (fence) {
    s = strchr(fence, '\n');
    s = s ? s + 1 : fence + 3;
    e = strstr(s, "```");
  } else {
    for (const char *l = ans; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
      const char *t = l;
      while (*t == ' ' || *t == '\t') t++;
      if ((!strncasecmp(t, "select", 6) && isspace((unsigned char)t[6])) ||
          (!strncasecmp(t, "with", 4) && isspace((unsigned char)t[4]))) {
        s = t;
        break;
      }
    }
    e = strstr(s, "\n\n");
  }
  size_t n = e ? (size_t)(e - s) : strlen(s);
  /* a ';' outside literals ends the statement; what follows stays only when
   * it looks like SQL */
  char quote = 0;
  for (size_t i = 0; i < n; i++) {
    if (quote) {
      if (s[i] == quote) quote = 0;
    } else if (s[i] == '\'' || s[i] == '"') {
      quote = s[i];
    } else if (s[i] == ';') {
      const char *r = s + i + 1;
      while (r < s + n && isspace((unsigned char)*r)) r++;
      static const char *const kw[] = {"select", "with",   "insert",   "update",  "delete", "drop",   "create",
                                       "alter",  "attach", "pragma",   "replace", "vacuum", "detach", "begin",
                                       "commit", "grant",  "truncate", "copy",    "set",    NULL};
      int sql_follows = 0;
      for (int k = 0; kw[k]; k++) {
        size_t kl = strlen(kw[k]);
        if (r + kl <= s + n && !strncasecmp(r, kw[k], kl) && (r + kl == s + n || !isalnum((unsigned char)r[kl])))
          sql_follows = 1;
      }
      if (!sql_follows) n = i;
      break;
    }
  }
  while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == ';')) n--;
  while (n && isspace((unsigned char)*s)) s++, n--;
  return strndup(s, n);
}

/* The authorizer of model-written SQLite queries: reading only from the
 * tables of the schema (ud: the {table: ...} object). */
static int authorize_known(void *ud, int action, const char *a, const char *b, const char *c, const char *d) {
  (void)b, (void)c, (void)d;
  switch (action) {
    case SQLITE_READ:
      return a && json_object_get((json_t *)ud, a) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    default:
      return SQLITE_DENY;
  }
}

/* sql on one line, in place: runs of white space outside literals become
 * one space, so the query reads as one line in a report's references. A
 * line comment (--) outside literals is refused: on one line it would
 * swallow the row limit. 0, or -1 with err. */
static int flatten_sql(char *sql, char *err, size_t errlen) {
  char quote = 0, *o = sql;
  for (const char *p = sql; *p; p++) {
    if (quote) {
      if (*p == quote) quote = 0;
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
    } else if (p[0] == '-' && p[1] == '-') {
      snprintf(err, errlen, "comments (--) are not allowed");
      return -1;
    } else if (isspace((unsigned char)*p)) {
      if (o > sql && o[-1] != ' ') *o++ = ' ';
      continue;
    }
    *o++ = *p;
  }
  while (o > sql && o[-1] == ' ') o--;
  *o = 0;
  return 0;
}

/* 0 when every relation the plan v reads is a table of the schema
 * (tables, schema public); -1 with err naming the first that is not. */
static int plan_reads_known(json_t *v, json_t *tables, char *err, size_t errlen) {
  const char *k;
  size_t i;
  json_t *x;
  if (json_is_object(v)) {
    const char *rel = json_string_value(json_object_get(v, "Relation Name"));
    const char *sch = json_string_value(json_object_get(v, "Schema"));
    if (rel && (!sch || strcmp(sch, "public") || !json_object_get(tables, rel))) {
      snprintf(err, errlen, "it reads %s%s%s, which is not a table of the schema", sch ? sch : "", sch ? "." : "", rel);
      return -1;
    }
    json_object_foreach(v, k, x) if (plan_reads_known(x, tables, err, errlen)) return -1;
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, x) if (plan_reads_known(x, tables, err, errlen)) return -1;
  }
  return 0;
}

/* On PostgreSQL the tables a query reads come from its plan: EXPLAIN
 * (VERBOSE) names every relation scanned, views expanded, without running
 * the query. 0, or -1 with err (a catalog or another schema's table). */
static int pg_check_relations(const char *dbn, const char *conninfo, const char *sql, json_t *tables, char *err,
                              size_t errlen) {
  PGconn *c = pg_open(dbn, conninfo, err, errlen);
  if (!c) return -1;
  char *ex = NULL;
  int rc = -1;
  if (asprintf(&ex, "EXPLAIN (VERBOSE, FORMAT JSON) %s", sql) < 0) {
    snprintf(err, errlen, "out of memory");
    PQfinish(c);
    return -1;
  }
  /* the extended protocol runs one statement at most */
  PGresult *r = PQexecParams(c, ex, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
    pg_err(err, errlen, "refused", PQerrorMessage(c));
  } else {
    json_t *plan = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    if (!plan)
      snprintf(err, errlen, "refused: its plan cannot be read");
    else
      rc = plan_reads_known(plan, tables, err, errlen);
    json_decref(plan);
  }
  PQclear(r);
  PQfinish(c);
  free(ex);
  return rc;
}

/* "SELECT * FROM (<sql>) AS q LIMIT n", malloc()'d. */
static char *wrap_limit(const char *sql, int limit) {
  char *w = NULL;
  if (asprintf(&w, "SELECT * FROM (%s) AS q LIMIT %d", sql, limit) < 0) return NULL;
  return w;
}

/* Checks a model-written query and runs it with the row limit: {columns,
 * rows, truncated}, or NULL with the reason in err. *ran is the SQL that
 * ran (malloc()'d) when it ran. */
static json_t *run_generated(const char *dbn, const char *target, json_t *tables, char *sql, char **ran, char *err,
                             size_t errlen) {
  *ran = NULL;
  if (!sql[0]) {
    snprintf(err, errlen, "the answer holds no SQL");
    return NULL;
  }
  if (flatten_sql(sql, err, errlen)) return NULL;
  char *wrapped = wrap_limit(sql, g_row_limit);
  if (!wrapped) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  json_t *res = NULL;
  if (is_pg(target)) {
    /* prepared first, so what PREPARE rejects is refused before anything runs */
    json_t *checked = pg_query(dbn, target, sql, NULL, g_row_limit, 1, err, errlen);
    if (checked && !pg_check_relations(dbn, target, sql, tables, err, errlen))
      res = pg_query(dbn, target, wrapped, NULL, g_row_limit, 0, err, errlen);
    json_decref(checked);
  } else {
    sqlite3 *db = open_db(dbn, err, errlen);
    if (db) {
      sqlite3_set_authorizer(db, authorize_known, tables);
      /* the answer alone first: its own statement count and read-only-ness */
      sqlite3_stmt *st = prepare_select(db, sql, err, errlen);
      if (st) {
        sqlite3_finalize(st);
        st = prepare_select(db, wrapped, err, errlen);
        if (st) res = run(db, st, g_row_limit, err, errlen);
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
  }
  if (res)
    *ran = wrapped;
  else
    free(wrapped);
  return res;
}

/* "table(column TYPE, ...)" lines. malloc()'d. */
static char *schema_text(json_t *tables) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f) return NULL;
  const char *t;
  json_t *cols;
  json_object_foreach(tables, t, cols) {
    fprintf(f, "%s(", t);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
      const char *type = json_string_value(json_object_get(c, "type"));
      fprintf(f, "%s%s%s%s", i ? ", " : "", json_string_value(json_object_get(c, "name")), type && type[0] ? " " : "",
              type ? type : "");
    }
    fprintf(f, ")\n");
  }
  fclose(f);
  return out;
}

/* One model call: *answer (malloc()'d) or the complete() code with err. */
static int ask_model(json_t *messages, char **answer, char *err, size_t errlen) {
  json_t *req = json_pack("{s:O, s:s}", "messages", messages, "tier", "mid");
  char *text = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  int rc = text ? g_host->complete(g_host->ctx, text, answer, err, errlen) : MAESTRO_COMPLETE_FAILED;
  free(text);
  return rc;
}

/* A passage from a query the model wrote for question q on database dbn,
 * or NULL with the reason in err (generation skipped, refused twice, no
 * rows). */
static json_t *generate(const char *dbn, const char *q, char *err, size_t errlen) {
  char e[512];
  if (!g_host) {
    snprintf(err, errlen, "SQL generation on %s skipped: this server offers plugins no model (ABI 1)", dbn);
    return NULL;
  }
  const char *target = db_target(dbn, e, sizeof e);
  json_t *tables = target ? schema_tables(dbn, e, sizeof e) : NULL;
  if (!tables) {
    snprintf(err, errlen, "SQL generation on %s: cannot read the schema: %s", dbn, e);
    return NULL;
  }
  char *schema = schema_text(tables);
  char *sys = NULL, *user = NULL;
  if (!schema || json_object_size(tables) == 0 ||
      asprintf(&sys,
               "You write one %s SELECT statement that answers a question from a database. Use only the tables and "
               "columns of the schema given. Answer with the SQL only: one statement, SELECT or WITH ... SELECT, no "
               "comments, no explanation.",
               is_pg(target) ? "PostgreSQL" : "SQLite") < 0 ||
      asprintf(&user, "Schema of the database %s:\n%s\nQuestion: %s", dbn, schema, q) < 0) {
    snprintf(err, errlen, "SQL generation on %s: %s", dbn,
             schema && !json_object_size(tables) ? "the database has no tables" : "out of memory");
    free(schema);
    free(sys);
    json_decref(tables);
    return NULL;
  }
  free(schema);
  json_t *msgs =
      json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system", "content", sys, "role", "user", "content", user);
  free(sys);
  free(user);
  json_t *res = NULL, *p = NULL;
  char *sql = NULL, *ran = NULL;
  for (int attempt = 0; attempt < 2 && !res; attempt++) {
    char *ans = NULL;
    int rc = ask_model(msgs, &ans, e, sizeof e);
    if (rc != MAESTRO_COMPLETE_OK) {
      snprintf(err, errlen, "SQL generation on %s %s: %s", dbn, rc == MAESTRO_COMPLETE_OFFLINE ? "skipped" : "failed",
               e);
      break;
    }
    free(sql);
    sql = extract_sql(ans);
    res = sql ? run_generated(dbn, target, tables, sql, &ran, e, sizeof e) : NULL;
    if (!res && attempt == 0) {
      char *again = NULL;
      if (asprintf(&again,
                   "That query was refused: %s. Answer again with one corrected SELECT statement only, using only "
                   "the tables and columns of the schema.",
                   e) >= 0) {
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "assistant", "content", ans));
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", again));
      }
      free(again);
    } else if (!res) {
      snprintf(err, errlen, "SQL generation on %s gave up: the model's query was refused twice (%s): %.200s", dbn, e,
               sql ? sql : "");
    }
    free(ans);
  }
  if (res && !json_array_size(json_object_get(res, "rows"))) {
    snprintf(err, errlen, "the query the model wrote for %s found no rows: %.300s", dbn, ran);
  } else if (res) {
    char *desc = NULL;
    json_t *qd = NULL;
    if (asprintf(&desc, "Model-written query: %s", q) >= 0)
      qd = json_pack("{s:s, s:s, s:s, s:s}", "name", "generated", "description", desc, "database", dbn, "sql", ran);
    p = qd ? passage(qd, res) : NULL;
    json_t *meta = json_object_get(p, "metadata");
    json_object_set_new(meta, "generated", json_true());
    json_object_set_new(meta, "model_written", json_true());
    json_object_set_new(meta, "question", json_string(q));
    json_object_set_new(meta, "row_limit", json_integer(g_row_limit));
    json_object_set_new(meta, "truncated",
                        json_boolean(json_array_size(json_object_get(res, "rows")) >= (size_t)g_row_limit));
    json_decref(qd);
    free(desc);
    if (!p) snprintf(err, errlen, "out of memory");
  }
  json_decref(res);
  json_decref(msgs);
  json_decref(tables);
  free(sql);
  free(ran);
  return p;
}

static char *search(json_t *req) {
  const char *q = json_string_value(json_object_get(req, "query"));
  if (!q) q = "";
  int limit = (int)json_integer_value(json_object_get(req, "limit"));
  if (limit <= 0 || limit > 20) limit = 5;
  size_t n = json_array_size(g_queries), i;
  int *score = calloc(n ? n : 1, sizeof *score);
  if (!score) return NULL;
  json_t *qd;
  json_array_foreach(g_queries, i, qd) {
    char hay[2048];
    snprintf(hay, sizeof hay, "%s %s", json_string_value(json_object_get(qd, "name")),
             json_string_value(json_object_get(qd, "description")));
    score[i] = shared_words(q, hay);
  }
  json_t *out = json_array(), *warnings = json_array();
  int answered = 0; /* an allowed query that shares words with the question gave rows */
  /* best first; every allowed query is a candidate (they are few, curated) */
  for (int taken = 0; taken < limit && taken < (int)n; taken++) {
    size_t best = 0;
    for (i = 1; i < n; i++)
      if (score[i] > score[best]) best = i;
    if (score[best] < 0) break;
    int relevant = score[best] > 0;
    score[best] = -1;
    qd = json_array_get(g_queries, best);
    char err[512];
    json_t *res = query(json_string_value(json_object_get(qd, "database")),
                        json_string_value(json_object_get(qd, "sql")), q, g_row_limit, err, sizeof err);
    if (!res) continue;
    if (json_array_size(json_object_get(res, "rows"))) {
      json_t *p = passage(qd, res);
      if (p) json_array_append_new(out, p);
      answered |= relevant;
    }
    json_decref(res);
  }
  free(score);
  /* no allowed query answers: the model writes one per database that allows it, first in the answer */
  const char *dbn;
  json_t *on;
  size_t at = 0;
  if (!answered && q[0]) json_object_foreach(g_gen, dbn, on) {
      char err[768];
      json_t *p = generate(dbn, q, err, sizeof err);
      if (p)
        json_array_insert_new(out, at++, p);
      else
        json_array_append_new(warnings, json_string(err));
    }
  while (json_array_size(out) > (size_t)limit) json_array_remove(out, json_array_size(out) - 1);
  if (!json_array_size(out) && json_array_size(warnings)) {
    /* never an empty success: the reasons become the search's error (a warning of the mission) */
    char msg[2048] = "";
    size_t len = 0;
    json_t *w;
    json_array_foreach(warnings, i, w) {
      int k = snprintf(msg + len, sizeof msg - len, "%s%s", i ? "; " : "", json_string_value(w));
      if (k < 0 || (size_t)k >= sizeof msg - len) break;
      len += (size_t)k;
    }
    json_decref(out);
    json_decref(warnings);
    return answer(json_pack("{s:s}", "error", msg));
  }
  return answer(json_pack("{s:o, s:o}", "passages", out, "warnings", warnings));
}

/* {table: [{name, type}]} of a database, read from the database itself;
 * NULL with err. */
static json_t *schema_tables(const char *dbname, char *err, size_t errlen) {
  const char *target = db_target(dbname, err, errlen);
  if (!target) return NULL;
  json_t *res = NULL;
  if (is_pg(target)) {
    res = pg_query(dbname, target,
                   "SELECT table_name AS tbl, column_name AS col, data_type AS type "
                   "FROM information_schema.columns WHERE table_schema = 'public' "
                   "ORDER BY table_name, ordinal_position",
                   NULL, 10000, 0, err, errlen);
  } else {
    sqlite3 *db = open_db(dbname, err, errlen);
    if (!db) return NULL;
    /* the plugin's own constant query on a read-only connection: no
     * authorizer (reading sqlite_schema through pragma_table_info asks for
     * more than reading) */
    sqlite3_set_authorizer(db, NULL, NULL);
    sqlite3_stmt *st =
        prepare_select(db,
                       "SELECT m.name AS tbl, p.name AS col, p.type AS type FROM sqlite_schema AS m, "
                       "pragma_table_info(m.name) AS p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' "
                       "ESCAPE '\\' ORDER BY m.name, p.cid",
                       err, errlen);
    if (st) res = run(db, st, 10000, err, errlen);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  if (!res) return NULL;
  json_t *tables = json_object(), *row;
  size_t i;
  json_array_foreach(json_object_get(res, "rows"), i, row) {
    const char *t = json_string_value(json_array_get(row, 0));
    json_t *cols = json_object_get(tables, t);
    if (!cols) json_object_set_new(tables, t, cols = json_array());
    json_array_append_new(cols,
                          json_pack("{s:O, s:O}", "name", json_array_get(row, 1), "type", json_array_get(row, 2)));
  }
  json_decref(res);
  return tables;
}

static char *schema(const char *dbname) {
  char err[512];
  json_t *tables = schema_tables(dbname, err, sizeof err);
  if (!tables) return fail("%s", err);
  return answer(json_pack("{s:s, s:o}", "database", dbname, "tables", tables));
}

static char *execute(const char *request) {
  json_t *req = json_loads(request, 0, NULL);
  const char *kind = json_string_value(json_object_get(req, "kind"));
  char *out;
  if (kind && !strcmp(kind, "search")) {
    out = search(req);
  } else if (kind && !strcmp(kind, "tool")) {
    const char *tool = json_string_value(json_object_get(req, "tool"));
    json_t *in = json_object_get(req, "input");
    const char *dbn = json_string_value(json_object_get(in, "database"));
    if (tool && !strcmp(tool, "schema")) {
      out = schema(dbn);
    } else {
      const char *sql = json_string_value(json_object_get(in, "sql"));
      char err[512];
      json_t *res = sql ? query(dbn, sql, NULL, g_row_limit, err, sizeof err) : NULL;
      out = res ? answer(res) : fail("%s", sql ? err : "input.sql is required");
    }
  } else {
    out = fail("unsupported request kind \"%s\"", kind);
  }
  json_decref(req);
  return out;
}

static void cleanup(void) {
  json_decref(g_dbs);
  json_decref(g_queries);
  json_decref(g_gen);
  g_dbs = g_queries = g_gen = NULL;
  g_host = NULL;
}

/* "a=/x.db,b=/y.db" or {"a": "/x.db", "b": {"path": "/y.db", "generate": true}}
 * -> {name: path}; the names whose object says "generate": true go to gen. */
static json_t *parse_dbs(json_t *v, json_t *gen, char *err, size_t errlen) {
  json_t *o = json_object();
  if (json_is_object(v)) {
    const char *name;
    json_t *d;
    json_object_foreach(v, name, d) {
      json_t *t = json_is_object(d) ? json_object_get(d, "path") : d;
      if (json_is_object(d) && !t) t = json_object_get(d, "url");
      if (!json_is_string(t)) {
        snprintf(err, errlen, "database %s: want a path or URL, or {\"path\": ..., \"generate\": true}", name);
        json_decref(o);
        return NULL;
      }
      json_object_set(o, name, t);
      if (json_is_true(json_object_get(d, "generate"))) json_object_set_new(gen, name, json_true());
    }
    return o;
  }
  const char *s = json_string_value(v);
  while (s && *s) {
    const char *e = strchr(s, ','), *eq = strchr(s, '=');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (eq && (size_t)(eq - s) < len) {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(eq - s < 63 ? eq - s : 63), s);
      json_object_set_new(o, name, json_stringn(eq + 1, len - (size_t)(eq - s) - 1));
    }
    s += len + (e ? 1 : 0);
  }
  return o;
}

/* "a, b" -> ["a", "b"] (empty names dropped). */
static json_t *parse_names(const char *s) {
  json_t *a = json_array();
  while (s && *s) {
    while (*s == ',' || isspace((unsigned char)*s)) s++;
    const char *e = s;
    while (*e && *e != ',' && !isspace((unsigned char)*e)) e++;
    if (e > s) json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
    s = e;
  }
  return a;
}

static int init(const maestro_host_t *host, const char *config, char *err, size_t errlen) {
  json_t *cfg = json_loads(config, 0, NULL);
  g_gen = json_object();
  g_dbs = parse_dbs(json_object_get(cfg, "databases"), g_gen, err, errlen);
  if (!g_dbs) {
    json_decref(cfg);
    return -1;
  }
  /* "generate": true | "all" | "name,name2" | ["name"] (PLUGIN_SQL_GENERATE) */
  json_t *gv = json_object_get(cfg, "generate");
  const char *gs = json_string_value(gv);
  if (json_is_true(gv) || (gs && (!strcmp(gs, "true") || !strcmp(gs, "all") || !strcmp(gs, "1")))) {
    const char *name;
    json_t *t;
    json_object_foreach(g_dbs, name, t) json_object_set_new(g_gen, name, json_true());
  } else if (gs || json_is_array(gv)) {
    json_t *names = json_is_array(gv) ? json_incref(gv) : parse_names(gs);
    size_t k;
    json_t *nm;
    int bad = 0;
    json_array_foreach(names, k, nm) {
      const char *name = json_string_value(nm);
      if (!name || !json_object_get(g_dbs, name)) {
        snprintf(err, errlen, "\"generate\" names %s, which is not a configured database",
                 name ? name : "a non-string");
        bad = 1;
        break;
      }
      json_object_set_new(g_gen, name, json_true());
    }
    json_decref(names);
    if (bad) {
      json_decref(cfg);
      return -1;
    }
  } else if (gv && !json_is_false(gv)) {
    snprintf(err, errlen, "\"generate\" must be true, false, a list of database names or \"a,b\"");
    json_decref(cfg);
    return -1;
  }
  if (json_object_size(g_gen)) {
    if (MAESTRO_HOST_HAS_COMPLETE(host))
      g_host = host;
    else
      host->log(host->ctx, 2, "this server offers plugins no model: questions will not be turned into SQL");
  }
  json_t *qv = json_object_get(cfg, "queries");
  g_queries = json_is_string(qv) ? json_loads(json_string_value(qv), 0, NULL) : json_incref(qv);
  if (!g_queries) g_queries = json_array();
  json_t *rl = json_object_get(cfg, "row_limit");
  long long lim = json_is_integer(rl) ? json_integer_value(rl) : json_is_string(rl) ? atoll(json_string_value(rl)) : 50;
  g_row_limit = lim < 1 ? 1 : lim > 1000 ? 1000 : (int)lim;
  json_decref(cfg);
  if (!json_object_size(g_dbs)) {
    snprintf(err, errlen,
             "no database configured (set \"databases\" in sql.json or PLUGIN_SQL_DATABASES=name=/path.db)");
    return -1;
  }
  if (!json_is_array(g_queries)) {
    snprintf(err, errlen, "\"queries\" must be an array of {name, database, sql, description}");
    return -1;
  }
  size_t i;
  json_t *qd;
  json_array_foreach(g_queries, i, qd) {
    const char *name = json_string_value(json_object_get(qd, "name"));
    const char *sql = json_string_value(json_object_get(qd, "sql"));
    const char *dbn = json_string_value(json_object_get(qd, "database"));
    if (!dbn && json_object_size(g_dbs) == 1) {
      dbn = json_object_iter_key(json_object_iter(g_dbs));
      json_object_set_new(qd, "database", json_string(dbn));
    }
    if (!name || !sql) {
      snprintf(err, errlen, "queries[%zu] needs a name and an sql", i);
      return -1;
    }
    if (!json_object_get(qd, "description")) json_object_set_new(qd, "description", json_string(name));
    char e[400];
    const char *target = db_target(dbn, e, sizeof e);
    int ok = 0;
    if (target && is_pg(target)) {
      json_t *checked = pg_query(dbn, target, sql, NULL, g_row_limit, 1, e, sizeof e);
      ok = checked != NULL;
      json_decref(checked);
    } else if (target) {
      sqlite3 *db = open_db(dbn, e, sizeof e);
      sqlite3_stmt *st = db ? prepare_select(db, sql, e, sizeof e) : NULL;
      ok = st != NULL;
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
    if (!ok) {
      snprintf(err, errlen, "query %s: %s", name, e);
      return -1;
    }
  }
  if (host->register_source(
          host->ctx, "sql",
          json_object_size(g_gen)
              ? "Rows of the configured SQLite and PostgreSQL databases, through the allowed queries "
                "or a SELECT the model writes from the schema"
              : "Rows of the configured SQLite and PostgreSQL databases, through the allowed queries") ||
      host->register_tool(host->ctx, "query", "Run one read-only SELECT on a configured database (row limit applies)",
                          "{\"type\":\"object\",\"required\":[\"database\",\"sql\"],\"properties\":{\"database\":{"
                          "\"type\":\"string\"},\"sql\":{\"type\":\"string\"}}}") ||
      host->register_tool(host->ctx, "schema", "Tables and columns of a configured database",
                          "{\"type\":\"object\",\"required\":[\"database\"],\"properties\":{\"database\":{\"type\":"
                          "\"string\"}}}")) {
    snprintf(err, errlen, "registration refused by the host");
    return -1;
  }
  return 0;
}

static const maestro_plugin_t PLUGIN = {MAESTRO_PLUGIN_ABI_VERSION,
                                        "sql",
                                        "1.0.0",
                                        "SQLite and PostgreSQL databases as a read-only research source",
                                        init,
                                        execute,
                                        cleanup};

MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entry(void) {
  return &PLUGIN;
}
