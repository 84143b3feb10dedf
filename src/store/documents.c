/* documents.c - documents and groups; see documents.h (chunks, full-text
 * search and embeddings are in chunks.c). On either backend through db.h.
 *
 * Text filters are `lower(column) LIKE lower(pattern)`: case-insensitive for
 * ASCII on both backends (SQLite's lower() and LIKE fold ASCII only; the
 * title sort folds the same way on PostgreSQL with lower(... COLLATE "C")).
 * JSON merges use json_patch(), SQLite's built-in and a function of the
 * same name and semantics (RFC 7396) on PostgreSQL (schema/pg/002). */
#include "store/documents.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "store/db.h"
#include "store/store_internal.h"

void store_doc_free(store_doc_t *d) {
  if (!d) return;
  free(d->filename);
  free(d->stored_path);
  free(d->mime);
  free(d->content_hash);
  free(d->error);
  doc_biblio_clear(&d->bib);
  json_decref(d->meta_sources);
  json_decref(d->metadata);
  free(d);
}

void store_chunk_free(store_chunk_t *c) {
  if (!c) return;
  free(c->heading);
  free(c->body);
  free(c->title);
  free(c->filename);
  free(c);
}

static void copy_id(char *dst, const char *src) {
  snprintf(dst, 17, "%s", src ? src : "");
}

/* Row callback: column 0 as an id into (char *)ctx (17 bytes); stops. */
static int read_id(db_stmt_t *row, void *ctx) {
  copy_id(ctx, db_col_text_ref(row, 0));
  return 1;
}

/* STORE_OK when the statement changed a row, STORE_NOT_FOUND when none. */
static int changed(int rc, int64_t n) {
  return rc != STORE_OK ? rc : n > 0 ? STORE_OK : STORE_NOT_FOUND;
}

static int run_changed(store_t *st, const char *what, const char *sql, const db_param_t *p, int n) {
  int64_t k = 0;
  int rc = db_run(st, what, sql, p, n, &k);
  return changed(rc, k);
}

static int conn_run_changed(db_conn_t *c, const char *what, const char *sql, const db_param_t *p, int n) {
  int64_t k = 0;
  int rc = db_conn_run(c, what, sql, p, n, &k);
  return changed(rc, k);
}

/* NULL for NULL or "" (an absent filter). */
static const char *given(const char *s) {
  return s && *s ? s : NULL;
}

/* ---------- documents ---------- */

/* Every column, in the order doc_from_row reads them (documents d). */
#define DOC_COLS                                                                                          \
  "d.id, d.user_id, d.filename, d.stored_path, d.mime, d.size_bytes, d.content_hash, d.status, d.error, " \
  "d.title, d.authors, d.year, d.venue, d.doi, d.arxiv_id, d.abstract, d.keywords, d.language, "          \
  "d.meta_sources, d.metadata, d.pages, d.chunk_count, d.text_chars, d.chunk_size, d.chunk_overlap, "     \
  "d.created_at, d.updated_at"
/* DOC_COLS' first bibliographic column; the nine follow in DOC_BIBLIO_FIELDS order. */
#define DOC_COL_BIBLIO 9

static store_doc_t *doc_from_row(db_stmt_t *s) {
  store_doc_t *d = calloc(1, sizeof *d);
  if (!d) abort();
  copy_id(d->id, db_col_text_ref(s, 0));
  copy_id(d->user_id, db_col_text_ref(s, 1));
  d->filename = db_col_text(s, 2);
  d->stored_path = db_col_text(s, 3);
  d->mime = db_col_text(s, 4);
  d->size_bytes = db_col_int64(s, 5);
  d->content_hash = db_col_text(s, 6);
  const char *status = db_col_text_ref(s, 7);
  snprintf(d->status, sizeof d->status, "%s", status ? status : "");
  d->error = db_col_text(s, 8);
  int c = DOC_COL_BIBLIO;
  for (int i = 0; DOC_BIBLIO_FIELDS[i]; i++) *doc_biblio_field(&d->bib, DOC_BIBLIO_FIELDS[i]) = db_col_text(s, c++);
  d->meta_sources = db_col_object(s, c++);
  d->metadata = db_col_object(s, c++);
  d->pages = (int)db_col_int64(s, c++);
  d->chunk_count = (int)db_col_int64(s, c++);
  d->text_chars = db_col_int64(s, c++);
  d->chunk_size = (int)db_col_int64(s, c++);
  d->chunk_overlap = (int)db_col_int64(s, c++);
  d->created_at = db_col_int64(s, c++);
  d->updated_at = db_col_int64(s, c);
  return d;
}

/* Row callback: the row as a document into *(store_doc_t **)ctx; stops. */
static int read_doc(db_stmt_t *row, void *ctx) {
  *(store_doc_t **)ctx = doc_from_row(row);
  return 1;
}

int store_doc_insert(store_t *st, store_doc_t *d, char *existing_id) {
  if (!d->id[0]) util_new_id(d->id);
  d->created_at = d->updated_at = util_now_ms();
  if (!d->status[0]) snprintf(d->status, sizeof d->status, "queued");
  char found[17] = "";
  int n = db_query(st, "find document by hash", "SELECT id FROM documents WHERE user_id = ? AND content_hash = ?",
                   DB_ARGS(DB_TEXT(d->user_id), DB_TEXT(d->content_hash)), read_id, found);
  if (n < 0) return STORE_ERROR;
  if (n > 0) {
    if (existing_id) copy_id(existing_id, found);
    return STORE_CONFLICT;
  }
  char *meta = d->metadata ? json_dumps(d->metadata, JSON_COMPACT) : NULL;
  /* fields given when adding the document are the user's */
  json_t *src = json_object();
  if (d->bib.title) json_object_set_new(src, "title", json_string("user"));
  if (d->bib.authors) json_object_set_new(src, "authors", json_string("user"));
  if (d->bib.year) json_object_set_new(src, "year", json_string("user"));
  char *srcs = json_dumps(src, JSON_COMPACT);
  json_decref(src);
  int rc = db_run(
      st, "insert document",
      "INSERT INTO documents (id, user_id, filename, stored_path, mime, size_bytes, content_hash, "
      "status, title, authors, year, metadata, chunk_size, chunk_overlap, created_at, updated_at, "
      "meta_sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      DB_ARGS(DB_TEXT(d->id), DB_TEXT(d->user_id), DB_TEXT(d->filename), DB_TEXT(d->stored_path),
              DB_TEXT(d->mime ? d->mime : "application/octet-stream"), DB_INT(d->size_bytes), DB_TEXT(d->content_hash),
              DB_TEXT(d->status), DB_TEXT(d->bib.title), DB_TEXT(d->bib.authors), DB_TEXT(d->bib.year),
              DB_TEXT(meta ? meta : "{}"), DB_INT(d->chunk_size > 0 ? d->chunk_size : 1000),
              DB_INT(d->chunk_overlap >= 0 ? d->chunk_overlap : 200), DB_INT(d->created_at), DB_INT(d->updated_at),
              DB_TEXT(srcs)),
      NULL);
  free(srcs);
  free(meta);
  /* a conflict here is a concurrent upload of the same content */
  if (rc == STORE_CONFLICT && existing_id) existing_id[0] = '\0';
  return rc;
}

int store_doc_get(store_t *st, const char *user_id, const char *id, store_doc_t **out) {
  *out = NULL;
  int n = db_query(st, "get document",
                   "SELECT " DOC_COLS " FROM documents d WHERE d.id = ? AND (CAST(? AS TEXT) IS NULL OR d.user_id = ?)",
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_TEXT(user_id)), read_doc, out);
  if (n < 0) return STORE_ERROR;
  return n ? STORE_OK : STORE_NOT_FOUND;
}

/* Row callback: column 0 appended as a string to the array ctx. */
static int append_text(db_stmt_t *row, void *ctx) {
  const char *t = db_col_text_ref(row, 0);
  json_array_append_new(ctx, json_string(t ? t : ""));
  return 0;
}

static json_t *doc_groups_json(db_conn_t *c, const char *doc_id) {
  json_t *arr = json_array();
  db_conn_query(c, "list document groups",
                "SELECT group_id FROM doc_group_members WHERE document_id = ? ORDER BY added_at, group_id",
                DB_ARGS(DB_TEXT(doc_id)), append_text, arr);
  return arr;
}

static json_t *str_or_null(const char *s) {
  return s ? json_string(s) : json_null();
}

static json_t *iso_json(int64_t ms) {
  char ts[40];
  util_iso_time(ms, ts, sizeof ts);
  return json_string(ts);
}

/* "a; b" -> ["a", "b"] ([] for NULL). */
static json_t *list_json(const char *s) {
  json_t *a = json_array();
  for (const char *p = s; p && *p;) {
    const char *e = strstr(p, "; ");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n) json_array_append_new(a, json_stringn(p, n));
    p = e ? e + 2 : p + n;
  }
  return a;
}

static json_t *doc_json_conn(db_conn_t *c, const store_doc_t *d) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(d->id));
  json_object_set_new(o, "filename", json_string(d->filename ? d->filename : ""));
  json_object_set_new(o, "status", json_string(d->status));
  json_object_set_new(o, "error", str_or_null(d->error));
  json_object_set_new(o, "title", str_or_null(d->bib.title));
  json_object_set_new(o, "authors", str_or_null(d->bib.authors));
  json_object_set_new(o, "year", str_or_null(d->bib.year));
  json_object_set_new(o, "author_list", list_json(d->bib.authors));
  json_object_set_new(o, "venue", str_or_null(d->bib.venue));
  json_object_set_new(o, "doi", str_or_null(d->bib.doi));
  json_object_set_new(o, "arxiv_id", str_or_null(d->bib.arxiv_id));
  json_object_set_new(o, "abstract", str_or_null(d->bib.abstract));
  json_object_set_new(o, "keywords", list_json(d->bib.keywords));
  json_object_set_new(o, "language", str_or_null(d->bib.language));
  json_object_set_new(o, "meta_sources", d->meta_sources ? json_incref(d->meta_sources) : json_object());
  json_object_set_new(o, "mime", json_string(d->mime ? d->mime : ""));
  json_object_set_new(o, "size_bytes", json_integer(d->size_bytes));
  json_object_set_new(o, "content_hash", json_string(d->content_hash ? d->content_hash : ""));
  json_object_set_new(o, "pages", json_integer(d->pages));
  json_object_set_new(o, "chunk_count", json_integer(d->chunk_count));
  json_object_set_new(o, "text_chars", json_integer(d->text_chars));
  json_object_set_new(o, "chunk_size", json_integer(d->chunk_size));
  json_object_set_new(o, "chunk_overlap", json_integer(d->chunk_overlap));
  json_object_set(o, "metadata", d->metadata ? d->metadata : json_object());
  json_object_set_new(o, "group_ids", doc_groups_json(c, d->id));
  json_object_set_new(o, "created_at", iso_json(d->created_at));
  json_object_set_new(o, "updated_at", iso_json(d->updated_at));
  return o;
}

json_t *store_doc_json(store_t *st, const store_doc_t *d) {
  db_conn_t *c = db_acquire(st);
  json_t *o = doc_json_conn(c, d);
  db_release(st, c);
  return o;
}

/* LIKE pattern with %, _ and \ escaped (ESCAPE '\'). */
static char *like_pattern(const char *q) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  buf_putc(&b, '%');
  for (const char *p = q; *p; p++) {
    if (*p == '%' || *p == '_' || *p == '\\') buf_putc(&b, '\\');
    buf_putc(&b, *p);
  }
  buf_putc(&b, '%');
  return buf_detach(&b, NULL);
}

json_t *store_doc_list_json(store_t *st, const char *user_id, const char *group_id, const char *status, const char *q,
                            int limit, int offset) {
  store_doc_filter_t f = {.group_id = group_id, .status = status, .q = q};
  return store_doc_query_json(st, user_id, &f, STORE_DOC_SORT_ADDED, 1, limit, offset);
}

/* `column matches the escaped pattern ?`, without case */
#define LIKE_Q(col) "lower(" col ") LIKE lower(?) ESCAPE '\\'"

/* The conditions of store_doc_filter_t; parameters as filter_params binds
 * them. A condition whose value is NULL is off (CAST: PostgreSQL needs the
 * type of a parameter that is only tested for NULL). */
#define DOC_FILTER_WHERE \
  " FROM documents d WHERE d.user_id = ? AND (CAST(? AS TEXT) IS NULL OR d.status = ?)"                         \
  " AND (CAST(? AS TEXT) IS NULL OR " LIKE_Q("d.filename") " OR " LIKE_Q("d.title") " OR " LIKE_Q(              \
      "d.authors") " OR " LIKE_Q("d.doi") ")"                                                                   \
  " AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM doc_group_members m JOIN doc_groups g"                \
  " ON g.id = m.group_id WHERE m.group_id = ? AND g.user_id = ? AND m.document_id = d.id))"                     \
  " AND (CAST(? AS TEXT) IS NULL OR " LIKE_Q("d.authors") ")"                                                   \
  " AND (CAST(? AS TEXT) IS NULL OR " LIKE_Q("d.venue") ")"                                                     \
  " AND (CAST(? AS TEXT) IS NULL OR d.mime = ?)"                                                                \
  " AND (CAST(? AS TEXT) IS NULL OR lower(d.language) = lower(?) OR lower(d.language) LIKE lower(?) || '-%'" \
  " ESCAPE '\\')"                                                                                               \
  " AND (CAST(? AS TEXT) IS NULL OR d.year >= ?) AND (CAST(? AS TEXT) IS NULL OR d.year <= ?)"

#define FILTER_NPARAMS 24

typedef struct {
  char *q, *author, *venue;
  char from[16], to[16];
  db_param_t p[FILTER_NPARAMS + 2]; /* room for LIMIT and OFFSET */
  int n;
} filter_params_t;

static void put(filter_params_t *b, const char *v, int times) {
  for (int i = 0; i < times; i++) b->p[b->n++] = DB_TEXT(v);
}

static void filter_params(filter_params_t *b, const char *user_id, const store_doc_filter_t *f) {
  memset(b, 0, sizeof *b);
  b->q = given(f->q) ? like_pattern(f->q) : NULL;
  b->author = given(f->author) ? like_pattern(f->author) : NULL;
  b->venue = given(f->venue) ? like_pattern(f->venue) : NULL;
  /* years are stored as four digits, so text order is year order */
  if (f->year_from > 0) snprintf(b->from, sizeof b->from, "%04d", f->year_from);
  if (f->year_to > 0) snprintf(b->to, sizeof b->to, "%04d", f->year_to);
  const char *group = given(f->group_id);
  put(b, user_id, 1);
  put(b, given(f->status), 2);
  put(b, b->q, 5);
  put(b, group, 2);
  put(b, group ? user_id : NULL, 1);
  put(b, b->author, 2);
  put(b, b->venue, 2);
  put(b, given(f->mime), 2);
  put(b, given(f->language), 3);
  put(b, b->from[0] ? b->from : NULL, 2);
  put(b, b->to[0] ? b->to : NULL, 2);
}

static void filter_params_free(filter_params_t *b) {
  free(b->q);
  free(b->author);
  free(b->venue);
}

typedef struct {
  store_doc_t *rows[500];
  int n;
} doc_page_t;

static int collect_doc(db_stmt_t *row, void *ctx) {
  doc_page_t *pg = ctx;
  pg->rows[pg->n++] = doc_from_row(row);
  return pg->n == (int)(sizeof pg->rows / sizeof pg->rows[0]);
}

json_t *store_doc_query_json(store_t *st, const char *user_id, const store_doc_filter_t *f, store_doc_sort_t sort,
                             int desc, int limit, int offset) {
  /* ORDER BY cannot be a parameter: one fixed statement per sort and
   * direction. Titles sort without case (ASCII, as SQLite's NOCASE: the
   * expression of the title index on each backend); documents without a
   * year come last either way. */
#define PAGE(order) "SELECT " DOC_COLS DOC_FILTER_WHERE " ORDER BY " order " LIMIT ? OFFSET ?"
  static const char *const PAGE_SQL[3][2][2] = {
      {{PAGE("d.created_at, d.id"), PAGE("d.created_at, d.id")},
       {PAGE("d.created_at DESC, d.id DESC"), PAGE("d.created_at DESC, d.id DESC")}},
      {{PAGE("COALESCE(d.title, d.filename) COLLATE NOCASE, d.id"),
        PAGE("lower(COALESCE(d.title, d.filename) COLLATE \"C\"), d.id")},
       {PAGE("COALESCE(d.title, d.filename) COLLATE NOCASE DESC, d.id DESC"),
        PAGE("lower(COALESCE(d.title, d.filename) COLLATE \"C\") DESC, d.id DESC")}},
      {{PAGE("d.year IS NULL, d.year, d.id"), PAGE("d.year IS NULL, d.year, d.id")},
       {PAGE("d.year IS NULL, d.year DESC, d.id"), PAGE("d.year IS NULL, d.year DESC, d.id")}}};
#undef PAGE
  if ((int)sort < 0 || sort > STORE_DOC_SORT_YEAR) sort = STORE_DOC_SORT_ADDED;
  if (limit < 1 || limit > 500) limit = 500;
  if (offset < 0) offset = 0;
  filter_params_t b;
  filter_params(&b, user_id, f);
  db_conn_t *c = db_acquire(st);
  const char *const *sqls = PAGE_SQL[sort][desc ? 1 : 0];
  const char *sql = db_sql(c, sqls[0], sqls[1]);
  int64_t total = 0;
  doc_page_t *page = calloc(1, sizeof *page);
  if (!page) abort();
  json_t *res = NULL;
  if (db_conn_query(c, "count documents", "SELECT COUNT(*)" DOC_FILTER_WHERE, b.p, b.n, db_row_int64, &total) < 0)
    goto out;
  b.p[b.n++] = DB_INT(limit);
  b.p[b.n++] = DB_INT(offset);
  if (db_conn_query(c, "list documents", sql, b.p, b.n, collect_doc, page) < 0) goto out;
  json_t *arr = json_array();
  for (int i = 0; i < page->n; i++) json_array_append_new(arr, doc_json_conn(c, page->rows[i]));
  res = json_pack("{s:o, s:I}", "documents", arr, "total", (json_int_t)total);
out:
  db_release(st, c);
  for (int i = 0; i < page->n; i++) store_doc_free(page->rows[i]);
  free(page);
  filter_params_free(&b);
  return res;
}

typedef struct {
  char (*v)[17];
  size_t n, cap;
} id_list_t;

/* Row callback: column 0 appended to the id_list_t ctx. */
static int append_id(db_stmt_t *row, void *ctx) {
  id_list_t *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    char(*grown)[17] = realloc(l->v, l->cap * sizeof *l->v);
    if (!grown) abort();
    l->v = grown;
  }
  copy_id(l->v[l->n++], db_col_text_ref(row, 0));
  return 0;
}

int store_doc_filter_ids(store_t *st, const char *user_id, const store_doc_filter_t *f, size_t max, char (**ids)[17],
                         size_t *n) {
  *ids = NULL;
  *n = 0;
  filter_params_t b;
  filter_params(&b, user_id, f);
  b.p[b.n++] = DB_INT(max > (size_t)INT64_MAX ? DB_NO_LIMIT : (int64_t)max);
  id_list_t l = {0};
  int rc = db_query(st, "filter document ids", "SELECT d.id" DOC_FILTER_WHERE " ORDER BY d.created_at, d.id LIMIT ?",
                    b.p, b.n, append_id, &l);
  filter_params_free(&b);
  if (rc < 0) {
    free(l.v);
    return STORE_ERROR;
  }
  *ids = l.v;
  *n = l.n;
  return STORE_OK;
}

long store_doc_owned_ids(store_t *st, const char *user_id, char (*ids)[17], size_t n) {
  db_conn_t *c = db_acquire(st);
  long kept = 0;
  for (size_t i = 0; i < n && kept >= 0; i++) {
    int own = db_conn_query(c, "check document owner", "SELECT 1 FROM documents WHERE id = ? AND user_id = ?",
                            DB_ARGS(DB_TEXT(ids[i]), DB_TEXT(user_id)), NULL, NULL);
    if (own < 0)
      kept = -1;
    else if (own)
      memmove(ids[kept++], ids[i], 17);
  }
  db_release(st, c);
  return kept;
}

const char **store_doc_meta_field(store_doc_meta_t *m, const char *name) {
  const char **f[] = {&m->title,    &m->authors,  &m->year,     &m->venue,   &m->doi,
                      &m->arxiv_id, &m->abstract, &m->keywords, &m->language};
  for (int i = 0; STORE_DOC_META_FIELDS[i]; i++)
    if (!strcmp(name, STORE_DOC_META_FIELDS[i])) return f[i];
  return NULL;
}

/* meta_sources' entry for field f, on each backend */
#define SOURCE_SQLITE(f) "json_extract(meta_sources, '$." f "')"
#define SOURCE_PG(f) "(meta_sources::json ->> '" f "')"
/* field = the user's value, else the new one (?) when given, else the old one */
#define KEEP_USER(SRC, f) f " = CASE WHEN " SRC(f) " = 'user' THEN " f " ELSE COALESCE(?, " f ") END"
/* The nine fields from nine parameters (meta_params) and their sources from
 * the next one: the new sources over the old, the user's over both. */
#define META_SET(SRC, USER_SOURCES) \
  KEEP_USER(SRC, "title") ", " KEEP_USER(SRC, "authors") ", " KEEP_USER(SRC, "year") ", " KEEP_USER(         \
      SRC, "venue") ", " KEEP_USER(SRC, "doi") ", " KEEP_USER(SRC, "arxiv_id") ", " KEEP_USER(SRC, "abstract") \
      ", " KEEP_USER(SRC, "keywords") ", " KEEP_USER(SRC, "language") ", "                                   \
                                                                      "meta_sources = json_patch(json_patch(" \
                                                                      "meta_sources, ?), " USER_SOURCES ")"
/* {field: "user"} of the row's sources */
#define USER_SOURCES_SQLITE \
  "(SELECT json_group_object(key, value) FROM json_each(documents.meta_sources) WHERE value = 'user')"
#define USER_SOURCES_PG                                              \
  "(SELECT COALESCE(jsonb_object_agg(key, value), '{}')::text FROM " \
  "jsonb_each(documents.meta_sources::jsonb) WHERE value = '\"user\"')"
#define META_SET_SQLITE META_SET(SOURCE_SQLITE, USER_SOURCES_SQLITE)
#define META_SET_PG META_SET(SOURCE_PG, USER_SOURCES_PG)

/* The nine fields of m into p[0..8] (NULL binds NULL). */
static void meta_params(db_param_t *p, const store_doc_meta_t *m) {
  const char *v[] = {m->title,    m->authors,  m->year,     m->venue,   m->doi,
                     m->arxiv_id, m->abstract, m->keywords, m->language};
  for (int i = 0; i < 9; i++) p[i] = DB_TEXT(v[i]);
}

/* {"field": source} for every field m sets, as JSON text (malloc'd). */
static char *sources_of(const store_doc_meta_t *m, const char *source) {
  json_t *src = json_object();
  store_doc_meta_t copy = *m;
  for (int i = 0; STORE_DOC_META_FIELDS[i]; i++)
    if (*store_doc_meta_field(&copy, STORE_DOC_META_FIELDS[i]))
      json_object_set_new(src, STORE_DOC_META_FIELDS[i], json_string(source));
  char *text = json_dumps(src, JSON_COMPACT);
  json_decref(src);
  return text;
}

int store_doc_update_meta(store_t *st, const char *user_id, const char *id, const char *title, const char *authors,
                          const char *year, json_t *metadata) {
  store_doc_meta_t m = {.title = title, .authors = authors, .year = year};
  return store_doc_update_fields(st, user_id, id, &m, metadata);
}

typedef struct {
  const char *user_id, *id;
  const store_doc_meta_t *m;
  const char *meta, *srcs, *title;
} update_t;

/* field = NULL keeps, '' clears (NULLIF), anything else sets */
#define SET_OR_CLEAR(f) f " = CASE WHEN CAST(? AS TEXT) IS NULL THEN " f " ELSE NULLIF(?, '') END, "

static int update_fields_tx(db_conn_t *c, void *ctx) {
  update_t *u = ctx;
  db_param_t p[22];
  db_param_t v[9];
  meta_params(v, u->m);
  int n = 0;
  p[n++] = v[0]; /* the title cannot be cleared */
  for (int i = 1; i < 9; i++) p[n++] = v[i], p[n++] = v[i];
  p[n++] = DB_TEXT(u->srcs);
  p[n++] = DB_TEXT(u->meta);
  p[n++] = DB_INT(util_now_ms());
  p[n++] = DB_TEXT(u->id);
  p[n++] = DB_TEXT(u->user_id);
  int rc = conn_run_changed(c, "update document",
                            "UPDATE documents SET title = COALESCE(NULLIF(?, ''), title), " SET_OR_CLEAR("authors")
                                SET_OR_CLEAR("year") SET_OR_CLEAR("venue") SET_OR_CLEAR("doi") SET_OR_CLEAR("arxiv_id")
                                    SET_OR_CLEAR("abstract") SET_OR_CLEAR("keywords") SET_OR_CLEAR("language")
                            "meta_sources = json_patch(meta_sources, ?), metadata = COALESCE(?, metadata), "
                            "updated_at = ? WHERE id = ? AND user_id = ?",
                            p, n);
  if (rc == STORE_OK && u->title)
    rc = db_conn_run(c, "retitle chunks", "UPDATE chunks SET title = ? WHERE document_id = ? AND title <> ?",
                     DB_ARGS(DB_TEXT(u->title), DB_TEXT(u->id), DB_TEXT(u->title)), NULL);
  if (rc == STORE_OK && u->title) rc = db_chunks_reindex(c, u->id);
  return rc;
}

int store_doc_update_fields(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            json_t *metadata) {
  char *meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
  char *srcs = sources_of(m, "user"); /* the fields set become the user's */
  update_t u = {user_id, id, m, meta, srcs, given(m->title)};
  int rc = db_tx(st, "update document", update_fields_tx, &u);
  free(meta);
  free(srcs);
  return rc;
}

typedef struct {
  const char *user_id, *id;
  const store_doc_meta_t *m;
  const char *srcs;
} complete_t;

static int complete_meta_tx(db_conn_t *c, void *ctx) {
  complete_t *u = ctx;
  db_param_t p[13];
  meta_params(p, u->m);
  p[9] = DB_TEXT(u->srcs);
  p[10] = DB_INT(util_now_ms());
  p[11] = DB_TEXT(u->id);
  p[12] = DB_TEXT(u->user_id);
  int rc = conn_run_changed(
      c, "complete document",
      db_sql(c, "UPDATE documents SET " META_SET_SQLITE ", updated_at = ? WHERE id = ? AND user_id = ?",
             "UPDATE documents SET " META_SET_PG ", updated_at = ? WHERE id = ? AND user_id = ?"),
      p, 13);
  if (rc == STORE_OK && u->m->title)
    rc = db_conn_run(c, "retitle chunks",
                     "UPDATE chunks SET title = (SELECT COALESCE(title, filename) FROM documents WHERE id = ?) "
                     "WHERE document_id = ?",
                     DB_ARGS(DB_TEXT(u->id), DB_TEXT(u->id)), NULL);
  if (rc == STORE_OK && u->m->title) rc = db_chunks_reindex(c, u->id);
  return rc;
}

int store_doc_complete_meta(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            const char *source) {
  char *srcs = sources_of(m, source ? source : "outside");
  complete_t u = {user_id, id, m, srcs};
  int rc = db_tx(st, "complete document", complete_meta_tx, &u);
  free(srcs);
  return rc;
}

json_t *store_doc_cite_json(store_t *st, const char *user_id, const char *id) {
  store_doc_t *d = NULL;
  if (!user_id || store_doc_get(st, user_id, id, &d) != STORE_OK) return NULL;
  json_t *o = json_object();
  json_object_set_new(o, "title", json_string(d->bib.title ? d->bib.title : d->filename ? d->filename : ""));
  const char *names[] = {"authors", "year", "venue", "doi", "arxiv_id"};
  const char *vals[] = {d->bib.authors, d->bib.year, d->bib.venue, d->bib.doi, d->bib.arxiv_id};
  for (int i = 0; i < 5; i++)
    if (vals[i] && vals[i][0]) json_object_set_new(o, names[i], json_string(vals[i]));
  store_doc_free(d);
  return o;
}

typedef struct {
  const char *user_id, *id;
  char *path;
} delete_t;

static int delete_tx(db_conn_t *c, void *ctx) {
  delete_t *x = ctx;
  int n = db_conn_query(c, "find document", "SELECT stored_path FROM documents WHERE id = ? AND user_id = ?",
                        DB_ARGS(DB_TEXT(x->id), DB_TEXT(x->user_id)), db_row_text, &x->path);
  if (n <= 0) return n < 0 ? STORE_ERROR : STORE_NOT_FOUND;
  /* chunks first: on SQLite their trigger removes the index entries; on
   * PostgreSQL the postings and lengths cascade; vectors cascade on both */
  if (db_conn_run(c, "delete chunks", "DELETE FROM chunks WHERE document_id = ?", DB_ARGS(DB_TEXT(x->id)), NULL) !=
      STORE_OK)
    return STORE_ERROR;
  return db_conn_run(c, "delete document", "DELETE FROM documents WHERE id = ? AND user_id = ?",
                     DB_ARGS(DB_TEXT(x->id), DB_TEXT(x->user_id)), NULL);
}

int store_doc_delete(store_t *st, const char *user_id, const char *id, char **path_out) {
  if (path_out) *path_out = NULL;
  delete_t x = {user_id, id, NULL};
  int rc = db_tx(st, "delete document", delete_tx, &x);
  if (rc == STORE_OK && path_out)
    *path_out = x.path;
  else
    free(x.path);
  return rc;
}

int store_doc_requeue(store_t *st, const char *user_id, const char *id, int chunk_size, int chunk_overlap) {
  return run_changed(
      st, "requeue document",
      "UPDATE documents SET status = 'queued', error = NULL, chunk_size = COALESCE(?, chunk_size), "
      "chunk_overlap = COALESCE(?, chunk_overlap), updated_at = ? WHERE id = ? AND user_id = ?",
      DB_ARGS(chunk_size > 0 ? DB_INT(chunk_size) : DB_NULL, chunk_overlap >= 0 ? DB_INT(chunk_overlap) : DB_NULL,
              DB_INT(util_now_ms()), DB_TEXT(id), DB_TEXT(user_id)));
}

/* A document's chunks (with their index entries and vectors) and text. */
static int delete_doc_chunks(db_conn_t *c, const char *id) {
  if (db_conn_run(c, "delete chunks", "DELETE FROM chunks WHERE document_id = ?", DB_ARGS(DB_TEXT(id)), NULL) !=
      STORE_OK)
    return STORE_ERROR;
  return db_conn_run(c, "delete text", "DELETE FROM document_texts WHERE document_id = ?", DB_ARGS(DB_TEXT(id)), NULL);
}

typedef struct {
  const char *id, *error;
  store_event_t *ev;
} status_t;

/* Appends the event announcing a change inside the change's transaction
 * (none when ev is NULL). */
static int announce(db_conn_t *c, store_event_t *ev) {
  return ev ? db_event_append(c, ev->channel, ev->event, ev->data, &ev->seq, &ev->ts) : STORE_OK;
}

static int set_status(db_conn_t *c, const char *id, const char *status, const char *error) {
  return conn_run_changed(c, "set document status",
                          "UPDATE documents SET status = ?, error = ?, updated_at = ? WHERE id = ?",
                          DB_ARGS(DB_TEXT(status), DB_TEXT(error), DB_INT(util_now_ms()), DB_TEXT(id)));
}

static int begin_processing_tx(db_conn_t *c, void *ctx) {
  status_t *s = ctx;
  if (delete_doc_chunks(c, s->id) != STORE_OK) return STORE_ERROR;
  return set_status(c, s->id, "processing", NULL);
}

int store_doc_begin_processing(store_t *st, const char *id) {
  status_t s = {id, NULL, NULL};
  return db_tx(st, "begin processing document", begin_processing_tx, &s);
}

static int mark_failed_tx(db_conn_t *c, void *ctx) {
  status_t *s = ctx;
  if (delete_doc_chunks(c, s->id) != STORE_OK ||
      db_conn_run(c, "reset chunk count", "UPDATE documents SET chunk_count = 0 WHERE id = ?", DB_ARGS(DB_TEXT(s->id)),
                  NULL) != STORE_OK)
    return STORE_ERROR;
  int rc = set_status(c, s->id, "failed", s->error);
  return rc == STORE_OK ? announce(c, s->ev) : rc;
}

int store_doc_mark_failed(store_t *st, const char *id, const char *error, store_event_t *failed) {
  status_t s = {id, error ? error : "failed", failed};
  int rc = db_tx(st, "mark document failed", mark_failed_tx, &s);
  if (rc != STORE_OK && failed) failed->seq = 0;
  return rc;
}

int store_doc_mark_ready(store_t *st, const char *id, const char *text, int pages, int chunk_count, int64_t text_chars,
                         const char *title, const char *authors, const char *year, json_t *metadata) {
  store_doc_meta_t m = {.title = title, .authors = authors, .year = year};
  return store_doc_mark_ready_meta(st, id, text, pages, chunk_count, text_chars, &m, NULL, metadata, NULL);
}

typedef struct {
  const char *id, *text;
  int pages, chunk_count;
  int64_t text_chars;
  const store_doc_meta_t *m;
  const char *srcs, *meta;
  store_event_t *ev;
} ready_t;

static int mark_ready_tx(db_conn_t *c, void *ctx) {
  ready_t *r = ctx;
  db_param_t p[17];
  p[0] = DB_INT(r->pages);
  p[1] = DB_INT(r->chunk_count);
  p[2] = DB_INT(r->text_chars);
  meta_params(p + 3, r->m);
  p[12] = DB_TEXT(r->srcs ? r->srcs : "{}");
  p[13] = DB_TEXT(r->meta ? r->meta : "{}");
  p[14] = DB_INT(util_now_ms());
  p[15] = DB_TEXT(r->id);
#define READY_SQL(META_SET_X)                                                                                    \
  "UPDATE documents SET status = 'ready', error = NULL, pages = ?, chunk_count = ?, text_chars = ?, " META_SET_X \
  ", metadata = json_patch(?, metadata), updated_at = ? WHERE id = ? AND status = 'processing'"
  int rc =
      conn_run_changed(c, "mark document ready", db_sql(c, READY_SQL(META_SET_SQLITE), READY_SQL(META_SET_PG)), p, 16);
#undef READY_SQL
  if (rc != STORE_OK) return rc;
  rc = db_conn_run(c, "store text",
                   "INSERT INTO document_texts (document_id, text) VALUES (?, ?) "
                   "ON CONFLICT (document_id) DO UPDATE SET text = excluded.text",
                   DB_ARGS(DB_TEXT(r->id), DB_TEXT(r->text ? r->text : "")), NULL);
  return rc == STORE_OK ? announce(c, r->ev) : rc;
}

int store_doc_mark_ready_meta(store_t *st, const char *id, const char *text, int pages, int chunk_count,
                              int64_t text_chars, const store_doc_meta_t *m, json_t *sources, json_t *metadata,
                              store_event_t *ready) {
  static const store_doc_meta_t none = {0};
  ready_t r = {id, text, pages, chunk_count, text_chars, m ? m : &none, NULL, NULL, ready};
  char *meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
  char *srcs = sources ? json_dumps(sources, JSON_COMPACT) : NULL;
  r.meta = meta;
  r.srcs = srcs;
  int rc = db_tx(st, "mark document ready", mark_ready_tx, &r);
  if (rc != STORE_OK && ready) ready->seq = 0;
  free(meta);
  free(srcs);
  return rc;
}

typedef struct {
  json_t *arr;
  int page;
  char *heading;
} sections_t;

static int add_section(db_stmt_t *row, void *ctx) {
  sections_t *s = ctx;
  int p = (int)db_col_int64(row, 0);
  const char *h = db_col_text_ref(row, 1);
  if (p == s->page && s->heading && h && !strcmp(h, s->heading)) return 0;
  s->page = p;
  free(s->heading);
  s->heading = util_strdup(h ? h : "");
  json_array_append_new(s->arr, json_pack("{s:i, s:s, s:I}", "page", p, "heading", s->heading, "char_start",
                                          (json_int_t)db_col_int64(row, 2)));
  return 0;
}

json_t *store_doc_sections_json(store_t *st, const char *user_id, const char *id) {
  sections_t s = {json_array(), -1, NULL};
  db_query(st, "document sections",
           "SELECT c.page, c.heading, c.char_start FROM chunks c JOIN documents d ON d.id = c.document_id "
           "WHERE c.document_id = ? AND d.user_id = ? ORDER BY c.seq",
           DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), add_section, &s);
  free(s.heading);
  return s.arr;
}

int store_doc_get_text(store_t *st, const char *user_id, const char *id, char **text) {
  *text = NULL;
  int n = db_query(st, "get document text",
                   "SELECT t.text FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id "
                   "WHERE d.id = ? AND d.user_id = ?",
                   DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), db_row_text, text);
  if (n < 0) return STORE_ERROR;
  if (!n) return STORE_NOT_FOUND;
  if (!*text) *text = util_strdup("");
  return STORE_OK;
}

static int add_orphan(db_stmt_t *row, void *ctx) {
  json_array_append_new(ctx,
                        json_pack("{s:s, s:s}", "id", db_col_text_ref(row, 0), "user_id", db_col_text_ref(row, 1)));
  return 0;
}

json_t *store_doc_orphans(store_t *st) {
  json_t *arr = json_array();
  db_query(st, "orphan documents",
           "SELECT d.id, d.user_id FROM documents d WHERE d.status IN ('queued', 'processing') "
           "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'ingest' AND j.ref_id = d.id "
           "AND j.status IN ('queued', 'running')) ORDER BY d.created_at, d.id",
           DB_NOARGS, add_orphan, arr);
  return arr;
}

/* ---------- groups ---------- */

int store_group_create(store_t *st, const char *user_id, const char *name, const char *description, char *id_out) {
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  int rc = db_run(st, "create group",
                  "INSERT INTO doc_groups (id, user_id, name, description, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  DB_ARGS(DB_TEXT(id), DB_TEXT(user_id), DB_TEXT(name), DB_TEXT(description ? description : ""),
                          DB_INT(now), DB_INT(now)),
                  NULL);
  if (rc == STORE_OK && id_out) memcpy(id_out, id, 17);
  return rc;
}

static int add_group(db_stmt_t *s, void *ctx) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(db_col_text_ref(s, 0)));
  json_object_set_new(o, "name", json_string(db_col_text_ref(s, 1)));
  json_object_set_new(o, "description", json_string(db_col_text_ref(s, 2)));
  json_object_set_new(o, "document_count", json_integer(db_col_int64(s, 3)));
  json_object_set_new(o, "created_at", iso_json(db_col_int64(s, 4)));
  json_object_set_new(o, "updated_at", iso_json(db_col_int64(s, 5)));
  json_array_append_new(ctx, o);
  return 0;
}

#define GROUP_SELECT                                                                                         \
  "SELECT g.id, g.name, g.description, (SELECT COUNT(*) FROM doc_group_members m WHERE m.group_id = g.id), " \
  "g.created_at, g.updated_at FROM doc_groups g "

json_t *store_group_get_json(store_t *st, const char *user_id, const char *id) {
  db_conn_t *c = db_acquire(st);
  json_t *one = json_array();
  json_t *o = NULL;
  if (db_conn_query(c, "get group", GROUP_SELECT "WHERE g.id = ? AND g.user_id = ?",
                    DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)), add_group, one) == 1) {
    o = json_incref(json_array_get(one, 0));
    json_t *ids = json_array();
    db_conn_query(c, "list group documents",
                  "SELECT document_id FROM doc_group_members WHERE group_id = ? ORDER BY added_at, document_id",
                  DB_ARGS(DB_TEXT(id)), append_text, ids);
    json_object_set_new(o, "document_ids", ids);
  }
  json_decref(one);
  db_release(st, c);
  return o;
}

json_t *store_group_list_json(store_t *st, const char *user_id) {
  db_conn_t *c = db_acquire(st);
  json_t *arr = json_array();
  db_conn_query(c, "list groups",
                db_sql(c, GROUP_SELECT "WHERE g.user_id = ? ORDER BY g.name COLLATE NOCASE, g.id",
                       GROUP_SELECT "WHERE g.user_id = ? ORDER BY lower(g.name COLLATE \"C\"), g.id"),
                DB_ARGS(DB_TEXT(user_id)), add_group, arr);
  db_release(st, c);
  return arr;
}

int store_group_update(store_t *st, const char *user_id, const char *id, const char *name, const char *description) {
  return run_changed(
      st, "update group",
      "UPDATE doc_groups SET name = COALESCE(?, name), description = COALESCE(?, description), "
      "updated_at = ? WHERE id = ? AND user_id = ?",
      DB_ARGS(DB_TEXT(name), DB_TEXT(description), DB_INT(util_now_ms()), DB_TEXT(id), DB_TEXT(user_id)));
}

int store_group_delete(store_t *st, const char *user_id, const char *id) {
  return run_changed(st, "delete group", "DELETE FROM doc_groups WHERE id = ? AND user_id = ?",
                     DB_ARGS(DB_TEXT(id), DB_TEXT(user_id)));
}

int store_group_find(store_t *st, const char *user_id, const char *name, char *id_out) {
  int n = db_query(st, "find group", "SELECT id FROM doc_groups WHERE user_id = ? AND name = ?",
                   DB_ARGS(DB_TEXT(user_id), DB_TEXT(name)), read_id, id_out);
  return n < 0 ? STORE_ERROR : n ? STORE_OK : STORE_NOT_FOUND;
}

int store_group_owned(store_t *st, const char *user_id, const char *group_id) {
  return db_query(st, "check group owner", "SELECT 1 FROM doc_groups WHERE id = ? AND user_id = ?",
                  DB_ARGS(DB_TEXT(group_id), DB_TEXT(user_id)), NULL, NULL) > 0;
}

typedef struct {
  const char *user_id, *group_id;
  const char *const *doc_ids;
  size_t n;
  int add;
} members_t;

static int change_members_tx(db_conn_t *c, void *ctx) {
  members_t *m = ctx;
  int n = db_conn_query(c, "check group owner", "SELECT 1 FROM doc_groups WHERE id = ? AND user_id = ?",
                        DB_ARGS(DB_TEXT(m->group_id), DB_TEXT(m->user_id)), NULL, NULL);
  if (n <= 0) return n < 0 ? STORE_ERROR : STORE_NOT_FOUND;
  int64_t now = util_now_ms();
  for (size_t i = 0; i < m->n; i++) {
    n = db_conn_query(c, "check document owner", "SELECT 1 FROM documents WHERE id = ? AND user_id = ?",
                      DB_ARGS(DB_TEXT(m->doc_ids[i]), DB_TEXT(m->user_id)), NULL, NULL);
    if (n <= 0) return n < 0 ? STORE_ERROR : STORE_NOT_FOUND;
    int rc = m->add ? db_conn_run(c, "add group member",
                                  "INSERT INTO doc_group_members (group_id, document_id, added_at) VALUES (?, ?, ?) "
                                  "ON CONFLICT DO NOTHING",
                                  DB_ARGS(DB_TEXT(m->group_id), DB_TEXT(m->doc_ids[i]), DB_INT(now)), NULL)
                    : db_conn_run(c, "remove group member",
                                  "DELETE FROM doc_group_members WHERE group_id = ? AND document_id = ?",
                                  DB_ARGS(DB_TEXT(m->group_id), DB_TEXT(m->doc_ids[i])), NULL);
    if (rc != STORE_OK) return STORE_ERROR;
  }
  return db_conn_run(c, "touch group", "UPDATE doc_groups SET updated_at = ? WHERE id = ?",
                     DB_ARGS(DB_INT(now), DB_TEXT(m->group_id)), NULL);
}

int store_group_add_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids, size_t n) {
  members_t m = {user_id, group_id, doc_ids, n, 1};
  return db_tx(st, "add group documents", change_members_tx, &m);
}

int store_group_remove_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids,
                            size_t n) {
  members_t m = {user_id, group_id, doc_ids, n, 0};
  return db_tx(st, "remove group documents", change_members_tx, &m);
}

int store_group_doc_ids(store_t *st, const char *user_id, const char *group_id, char (**ids)[17], size_t *n) {
  *ids = NULL;
  *n = 0;
  id_list_t l = {0};
  int rc = db_query(st, "list group document ids",
                    "SELECT m.document_id FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id "
                    "WHERE m.group_id = ? AND g.user_id = ? ORDER BY m.document_id",
                    DB_ARGS(DB_TEXT(group_id), DB_TEXT(user_id)), append_id, &l);
  if (rc < 0) {
    free(l.v);
    return STORE_ERROR;
  }
  /* an empty group still answers an array (callers free it) */
  *ids = l.v ? l.v : malloc(sizeof *l.v);
  if (!*ids) abort();
  *n = l.n;
  return STORE_OK;
}

/* Row callback: columns 0 and 1 into ((int64_t *)ctx)[0..1]. */
static int read_pair(db_stmt_t *row, void *ctx) {
  int64_t *v = ctx;
  v[0] = db_col_int64(row, 0);
  v[1] = db_col_int64(row, 1);
  return 1;
}

static int query_pair(store_t *st, const char *what, const char *sql, const db_param_t *p, int n, int64_t *a,
                      int64_t *b) {
  int64_t v[2] = {0, 0};
  int rows = db_query(st, what, sql, p, n, read_pair, v);
  *a = v[0];
  *b = v[1];
  return rows == 1 ? STORE_OK : STORE_ERROR;
}

int store_doc_version(store_t *st, const char *user_id, int64_t *count, int64_t *latest) {
  return query_pair(st, "document version",
                    "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents WHERE user_id = ? "
                    "AND status = 'ready'",
                    DB_ARGS(DB_TEXT(user_id)), count, latest);
}

int store_doc_scope_counts(store_t *st, const char *user_id, const char *group_id, int64_t *total, int64_t *ready) {
  if (given(group_id))
    return query_pair(
        st, "count group documents",
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN d.status = 'ready' THEN 1 ELSE 0 END), 0) "
        "FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id "
        "JOIN documents d ON d.id = m.document_id WHERE m.group_id = ? AND g.user_id = ? AND d.user_id = ?",
        DB_ARGS(DB_TEXT(group_id), DB_TEXT(user_id), DB_TEXT(user_id)), total, ready);
  return query_pair(st, "count documents",
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END), 0) FROM documents "
                    "WHERE user_id = ?",
                    DB_ARGS(DB_TEXT(user_id)), total, ready);
}

int store_doc_touch(store_t *st, const char *id) {
  int64_t now = util_now_ms();
  /* later than before even within the same millisecond */
  return run_changed(st, "touch document",
                     "UPDATE documents SET updated_at = CASE WHEN updated_at + 1 > ? THEN updated_at + 1 ELSE ? END "
                     "WHERE id = ?",
                     DB_ARGS(DB_INT(now), DB_INT(now), DB_TEXT(id)));
}
