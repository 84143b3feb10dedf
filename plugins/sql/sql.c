/*
 * sql.c - the `sql` plugin: SQLite databases as a research source.
 *
 * Configuration (PLUGINS_DIR/sql.json, or PLUGIN_SQL_* variables):
 *   databases  {"name": "/path/file.db", ...}, or "name=/path,name2=/path2"
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
 * locator is the query), and the tools "query" ({database, sql}: any single
 * SELECT, checked as above) and "schema" ({database}). PostgreSQL is not
 * supported yet.
 */
#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maestro/plugin.h"

static json_t *g_dbs;     /* {name: path} */
static json_t *g_queries; /* [{name, database, sql, description}] */
static int g_row_limit = 50;

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

static sqlite3 *open_db(const char *name, char *err, size_t errlen) {
  const char *path = json_string_value(json_object_get(g_dbs, name ? name : ""));
  if (!path) {
    snprintf(err, errlen, "unknown database \"%s\"", name ? name : "");
    return NULL;
  }
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
static sqlite3_stmt *prepare_select(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  const char *p = sql;
  while (*p && isspace((unsigned char)*p)) p++;
  if (strncasecmp(p, "select", 6) && strncasecmp(p, "with", 4)) {
    snprintf(err, errlen, "only a SELECT is allowed");
    return NULL;
  }
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

static json_t *query(const char *dbname, const char *sql, const char *q, int limit, char *err, size_t errlen) {
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

static char *search(json_t *req) {
  const char *q = json_string_value(json_object_get(req, "query"));
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
    score[i] = shared_words(q ? q : "", hay);
  }
  json_t *out = json_array();
  /* best first; every allowed query is a candidate (they are few, curated) */
  for (int taken = 0; taken < limit && taken < (int)n; taken++) {
    size_t best = 0;
    for (i = 1; i < n; i++)
      if (score[i] > score[best]) best = i;
    if (score[best] < 0) break;
    score[best] = -1;
    qd = json_array_get(g_queries, best);
    char err[512];
    json_t *res = query(json_string_value(json_object_get(qd, "database")),
                        json_string_value(json_object_get(qd, "sql")), q, g_row_limit, err, sizeof err);
    if (!res) continue;
    if (json_array_size(json_object_get(res, "rows"))) {
      json_t *p = passage(qd, res);
      if (p) json_array_append_new(out, p);
    }
    json_decref(res);
  }
  free(score);
  return answer(json_pack("{s:o}", "passages", out));
}

static char *schema(const char *dbname) {
  char err[512];
  json_t *res = query(dbname,
                      "SELECT m.name AS tbl, p.name AS col, p.type AS type FROM sqlite_schema AS m, "
                      "pragma_table_info(m.name) AS p WHERE m.type = 'table' ORDER BY m.name, p.cid",
                      NULL, 10000, err, sizeof err);
  if (!res) return fail("%s", err);
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
  g_dbs = g_queries = NULL;
}

/* "a=/x.db,b=/y.db" or {"a": "/x.db"} -> {name: path}. */
static json_t *parse_dbs(json_t *v) {
  if (json_is_object(v)) return json_deep_copy(v);
  json_t *o = json_object();
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

static int init(const maestro_host_t *host, const char *config, char *err, size_t errlen) {
  json_t *cfg = json_loads(config, 0, NULL);
  g_dbs = parse_dbs(json_object_get(cfg, "databases"));
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
    sqlite3 *db = open_db(dbn, e, sizeof e);
    sqlite3_stmt *st = db ? prepare_select(db, sql, e, sizeof e) : NULL;
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!st) {
      snprintf(err, errlen, "query %s: %s", name, e);
      return -1;
    }
  }
  if (host->register_source(host->ctx, "sql", "Rows of the configured SQLite databases, through the allowed queries") ||
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
                                        "SQLite databases as a read-only research source",
                                        init,
                                        execute,
                                        cleanup};

MAESTRO_PLUGIN_EXPORT const maestro_plugin_t *maestro_plugin_entry(void) {
  return &PLUGIN;
}
