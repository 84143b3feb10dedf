/* documents.c - documents and groups; see documents.h (chunks, full-text
 * search and embeddings are in chunks.c). */
#include "store/documents.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/fts.h"
#include "store/store_internal.h"

void store_doc_free(store_doc_t *d) {
  if (!d) return;
  free(d->filename);
  free(d->stored_path);
  free(d->mime);
  free(d->content_hash);
  free(d->error);
  free(d->title);
  free(d->authors);
  free(d->year);
  free(d->venue);
  free(d->doi);
  free(d->arxiv_id);
  free(d->abstract);
  free(d->keywords);
  free(d->language);
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

static void copy_id(char *dst, const unsigned char *src) {
  snprintf(dst, 17, "%s", src ? (const char *)src : "");
}

static int step_done(sqlite3 *db, sqlite3_stmt *s, const char *what) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sdb_log_error(db, what);
    return -1;
  }
  return 0;
}

/* ---------- documents ---------- */

/* The bibliographic columns of migration 014, read after the others. */
#define DOC_META_COLS(p) \
  p "venue, " p "doi, " p "arxiv_id, " p "abstract, " p "keywords, " p "language, " p "meta_sources"

#define DOC_COLS                                                                                              \
  "id, user_id, filename, stored_path, mime, size_bytes, content_hash, status, error, title, authors, year, " \
  "metadata, pages, chunk_count, text_chars, chunk_size, chunk_overlap, created_at, updated_at, " DOC_META_COLS("")

static store_doc_t *doc_from_row(sqlite3_stmt *s) {
  store_doc_t *d = calloc(1, sizeof *d);
  if (!d) abort();
  copy_id(d->id, sqlite3_column_text(s, 0));
  copy_id(d->user_id, sqlite3_column_text(s, 1));
  d->filename = sdb_col_text(s, 2);
  d->stored_path = sdb_col_text(s, 3);
  d->mime = sdb_col_text(s, 4);
  d->size_bytes = sqlite3_column_int64(s, 5);
  d->content_hash = sdb_col_text(s, 6);
  snprintf(d->status, sizeof d->status, "%s", (const char *)sqlite3_column_text(s, 7));
  d->error = sdb_col_text(s, 8);
  d->title = sdb_col_text(s, 9);
  d->authors = sdb_col_text(s, 10);
  d->year = sdb_col_text(s, 11);
  d->metadata = sdb_col_json(s, 12);
  if (!json_is_object(d->metadata)) {
    json_decref(d->metadata);
    d->metadata = json_object();
  }
  d->pages = sqlite3_column_int(s, 13);
  d->chunk_count = sqlite3_column_int(s, 14);
  d->text_chars = sqlite3_column_int64(s, 15);
  d->chunk_size = sqlite3_column_int(s, 16);
  d->chunk_overlap = sqlite3_column_int(s, 17);
  d->created_at = sqlite3_column_int64(s, 18);
  d->updated_at = sqlite3_column_int64(s, 19);
  d->venue = sdb_col_text(s, 20);
  d->doi = sdb_col_text(s, 21);
  d->arxiv_id = sdb_col_text(s, 22);
  d->abstract = sdb_col_text(s, 23);
  d->keywords = sdb_col_text(s, 24);
  d->language = sdb_col_text(s, 25);
  d->meta_sources = sdb_col_json(s, 26);
  if (!json_is_object(d->meta_sources)) {
    json_decref(d->meta_sources);
    d->meta_sources = json_object();
  }
  return d;
}

int store_doc_insert(store_t *st, store_doc_t *d, char *existing_id) {
  if (!d->id[0]) util_new_id(d->id);
  d->created_at = d->updated_at = util_now_ms();
  if (!d->status[0]) snprintf(d->status, sizeof d->status, "queued");
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT id FROM documents WHERE user_id = ? AND content_hash = ?");
  if (!s) goto out;
  sqlite3_bind_text(s, 1, d->user_id, -1, SQLITE_STATIC);
  sdb_bind_text(s, 2, d->content_hash);
  if (sqlite3_step(s) == SQLITE_ROW) {
    if (existing_id) copy_id(existing_id, sqlite3_column_text(s, 0));
    ret = STORE_CONFLICT;
    goto out;
  }
  sqlite3_reset(s);
  s = sdb_prepare(db,
                  "INSERT INTO documents (id, user_id, filename, stored_path, mime, size_bytes, content_hash, "
                  "status, title, authors, year, metadata, chunk_size, chunk_overlap, created_at, updated_at, "
                  "meta_sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!s) goto out;
  char *meta = d->metadata ? json_dumps(d->metadata, JSON_COMPACT) : NULL;
  sqlite3_bind_text(s, 1, d->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, d->user_id, -1, SQLITE_STATIC);
  sdb_bind_text(s, 3, d->filename);
  sdb_bind_text(s, 4, d->stored_path);
  sdb_bind_text(s, 5, d->mime ? d->mime : "application/octet-stream");
  sqlite3_bind_int64(s, 6, d->size_bytes);
  sdb_bind_text(s, 7, d->content_hash);
  sqlite3_bind_text(s, 8, d->status, -1, SQLITE_STATIC);
  sdb_bind_text(s, 9, d->title);
  sdb_bind_text(s, 10, d->authors);
  sdb_bind_text(s, 11, d->year);
  sdb_bind_text(s, 12, meta ? meta : "{}");
  sqlite3_bind_int(s, 13, d->chunk_size > 0 ? d->chunk_size : 1000);
  sqlite3_bind_int(s, 14, d->chunk_overlap >= 0 ? d->chunk_overlap : 200);
  sqlite3_bind_int64(s, 15, d->created_at);
  sqlite3_bind_int64(s, 16, d->updated_at);
  /* fields given when adding the document are the user's */
  json_t *src = json_object();
  if (d->title) json_object_set_new(src, "title", json_string("user"));
  if (d->authors) json_object_set_new(src, "authors", json_string("user"));
  if (d->year) json_object_set_new(src, "year", json_string("user"));
  char *srcs = json_dumps(src, JSON_COMPACT);
  json_decref(src);
  sdb_bind_text(s, 17, srcs);
  int rc = sqlite3_step(s);
  free(srcs);
  free(meta);
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    ret = STORE_CONFLICT; /* a concurrent upload of the same content */
    if (existing_id) existing_id[0] = '\0';
  } else if (rc != SQLITE_DONE) {
    sdb_log_error(db, "insert document");
  } else {
    ret = STORE_OK;
  }
out:
  sdb_release(st, db);
  return ret;
}

int store_doc_get(store_t *st, const char *user_id, const char *id, store_doc_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db, "SELECT " DOC_COLS " FROM documents WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      *out = doc_from_row(s);
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get document");
    }
  }
  sdb_release(st, db);
  return ret;
}

static json_t *doc_groups_json(sqlite3 *db, const char *doc_id) {
  json_t *arr = json_array();
  sqlite3_stmt *s = sdb_prepare(db, "SELECT group_id FROM doc_group_members WHERE document_id = ? ORDER BY added_at");
  if (!s) return arr;
  sqlite3_bind_text(s, 1, doc_id, -1, SQLITE_STATIC);
  while (sqlite3_step(s) == SQLITE_ROW)
    json_array_append_new(arr, json_string((const char *)sqlite3_column_text(s, 0)));
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

static json_t *doc_json_db(sqlite3 *db, const store_doc_t *d) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(d->id));
  json_object_set_new(o, "filename", json_string(d->filename ? d->filename : ""));
  json_object_set_new(o, "status", json_string(d->status));
  json_object_set_new(o, "error", str_or_null(d->error));
  json_object_set_new(o, "title", str_or_null(d->title));
  json_object_set_new(o, "authors", str_or_null(d->authors));
  json_object_set_new(o, "year", str_or_null(d->year));
  json_object_set_new(o, "author_list", list_json(d->authors));
  json_object_set_new(o, "venue", str_or_null(d->venue));
  json_object_set_new(o, "doi", str_or_null(d->doi));
  json_object_set_new(o, "arxiv_id", str_or_null(d->arxiv_id));
  json_object_set_new(o, "abstract", str_or_null(d->abstract));
  json_object_set_new(o, "keywords", list_json(d->keywords));
  json_object_set_new(o, "language", str_or_null(d->language));
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
  json_object_set_new(o, "group_ids", doc_groups_json(db, d->id));
  json_object_set_new(o, "created_at", iso_json(d->created_at));
  json_object_set_new(o, "updated_at", iso_json(d->updated_at));
  return o;
}

json_t *store_doc_json(store_t *st, const store_doc_t *d) {
  sqlite3 *db = sdb_acquire(st);
  json_t *o = doc_json_db(db, d);
  sdb_release(st, db);
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

#define DOC_LIST_WHERE                                                                                   \
  " FROM documents d WHERE d.user_id = ?1 AND (?2 IS NULL OR d.status = ?2)"                             \
  " AND (?3 IS NULL OR d.filename LIKE ?3 ESCAPE '\\' OR d.title LIKE ?3 ESCAPE '\\'"                    \
  " OR d.authors LIKE ?3 ESCAPE '\\' OR d.doi LIKE ?3 ESCAPE '\\')"                                      \
  " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id" \
  " WHERE m.group_id = ?4 AND g.user_id = ?1 AND m.document_id = d.id))"

json_t *store_doc_list_json(store_t *st, const char *user_id, const char *group_id, const char *status, const char *q,
                            int limit, int offset) {
  store_doc_filter_t f = {.group_id = group_id, .status = status, .q = q};
  return store_doc_query_json(st, user_id, &f, STORE_DOC_SORT_ADDED, 1, limit, offset);
}

/* The conditions of store_doc_filter_t on parameters ?1..?10 (see bind_filter). */
#define DOC_FILTER_WHERE                                                                                 \
  DOC_LIST_WHERE                                                                                         \
  " AND (?5 IS NULL OR d.authors LIKE ?5 ESCAPE '\\')"                                                   \
  " AND (?6 IS NULL OR d.venue LIKE ?6 ESCAPE '\\')"                                                     \
  " AND (?7 IS NULL OR d.mime = ?7)"                                                                     \
  " AND (?8 IS NULL OR d.language = ?8 COLLATE NOCASE OR d.language LIKE ?8 || '-%' ESCAPE '\\')"        \
  " AND (?9 IS NULL OR d.year >= ?9) AND (?10 IS NULL OR d.year <= ?10)"

typedef struct {
  char *q, *author, *venue;
  char from[16], to[16];
} filter_binds_t;

static void bind_filter(sqlite3_stmt *s, const char *user_id, const store_doc_filter_t *f, filter_binds_t *b) {
  memset(b, 0, sizeof *b);
  b->q = f->q && *f->q ? like_pattern(f->q) : NULL;
  b->author = f->author && *f->author ? like_pattern(f->author) : NULL;
  b->venue = f->venue && *f->venue ? like_pattern(f->venue) : NULL;
  /* years are stored as four digits, so text order is year order */
  if (f->year_from > 0) snprintf(b->from, sizeof b->from, "%04d", f->year_from);
  if (f->year_to > 0) snprintf(b->to, sizeof b->to, "%04d", f->year_to);
  sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
  sdb_bind_text(s, 2, f->status && *f->status ? f->status : NULL);
  sdb_bind_text(s, 3, b->q);
  sdb_bind_text(s, 4, f->group_id && *f->group_id ? f->group_id : NULL);
  sdb_bind_text(s, 5, b->author);
  sdb_bind_text(s, 6, b->venue);
  sdb_bind_text(s, 7, f->mime && *f->mime ? f->mime : NULL);
  sdb_bind_text(s, 8, f->language && *f->language ? f->language : NULL);
  sdb_bind_text(s, 9, b->from[0] ? b->from : NULL);
  sdb_bind_text(s, 10, b->to[0] ? b->to : NULL);
}

static void filter_binds_free(filter_binds_t *b) {
  free(b->q);
  free(b->author);
  free(b->venue);
}

#define DOC_SELECT_D                                                                                       \
  "SELECT d.id, d.user_id, d.filename, d.stored_path, d.mime, d.size_bytes, d.content_hash, "              \
  "d.status, d.error, d.title, d.authors, d.year, d.metadata, d.pages, d.chunk_count, d.text_chars, "      \
  "d.chunk_size, d.chunk_overlap, d.created_at, d.updated_at, " DOC_META_COLS("d.")

json_t *store_doc_query_json(store_t *st, const char *user_id, const store_doc_filter_t *f, store_doc_sort_t sort,
                             int desc, int limit, int offset) {
  /* ORDER BY cannot be a parameter: one fixed statement per sort and direction */
  static const char *const ORDER[3][2] = {
      {" ORDER BY d.created_at, d.id", " ORDER BY d.created_at DESC, d.id DESC"},
      {" ORDER BY COALESCE(d.title, d.filename) COLLATE NOCASE, d.id",
       " ORDER BY COALESCE(d.title, d.filename) COLLATE NOCASE DESC, d.id DESC"},
      {" ORDER BY d.year IS NULL, d.year, d.id", " ORDER BY d.year IS NULL, d.year DESC, d.id"}};
  if ((int)sort < 0 || sort > STORE_DOC_SORT_YEAR) sort = STORE_DOC_SORT_ADDED;
  if (limit < 1 || limit > 500) limit = 500;
  char sql[2048];
  snprintf(sql, sizeof sql, "%s%s%s LIMIT ?11 OFFSET ?12", DOC_SELECT_D, DOC_FILTER_WHERE, ORDER[sort][desc ? 1 : 0]);
  filter_binds_t b;
  sqlite3 *db = sdb_acquire(st);
  json_t *res = NULL;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COUNT(*)" DOC_FILTER_WHERE);
  if (!s) goto out_nob;
  bind_filter(s, user_id, f, &b);
  int64_t total = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_reset(s);
  filter_binds_free(&b);
  s = sdb_prepare(db, sql);
  if (!s) goto out_nob;
  bind_filter(s, user_id, f, &b);
  sqlite3_bind_int(s, 11, limit);
  sqlite3_bind_int(s, 12, offset);
  store_doc_t *rows[500];
  int nrows = 0;
  while (nrows < limit && sqlite3_step(s) == SQLITE_ROW) rows[nrows++] = doc_from_row(s);
  sqlite3_reset(s);
  filter_binds_free(&b);
  json_t *arr = json_array();
  for (int i = 0; i < nrows; i++) {
    json_array_append_new(arr, doc_json_db(db, rows[i]));
    store_doc_free(rows[i]);
  }
  res = json_pack("{s:o, s:I}", "documents", arr, "total", (json_int_t)total);
out_nob:
  sdb_release(st, db);
  return res;
}

int store_doc_filter_ids(store_t *st, const char *user_id, const store_doc_filter_t *f, size_t max, char (**ids)[17],
                         size_t *n) {
  *ids = NULL;
  *n = 0;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT d.id" DOC_FILTER_WHERE " ORDER BY d.created_at, d.id");
  if (!s) goto out;
  filter_binds_t b;
  bind_filter(s, user_id, f, &b);
  size_t cap = 0;
  while (*n < max && sqlite3_step(s) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      char(*grown)[17] = realloc(*ids, cap * sizeof **ids);
      if (!grown) abort();
      *ids = grown;
    }
    copy_id((*ids)[(*n)++], sqlite3_column_text(s, 0));
  }
  sqlite3_reset(s);
  filter_binds_free(&b);
  ret = STORE_OK;
out:
  sdb_release(st, db);
  return ret;
}

long store_doc_owned_ids(store_t *st, const char *user_id, char (*ids)[17], size_t n) {
  sqlite3 *db = sdb_acquire(st);
  long kept = -1;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM documents WHERE id = ?1 AND user_id = ?2");
  if (s) {
    kept = 0;
    for (size_t i = 0; i < n; i++) {
      sqlite3_bind_text(s, 1, ids[i], -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
      int own = sqlite3_step(s) == SQLITE_ROW;
      sqlite3_reset(s);
      if (own) memmove(ids[kept++], ids[i], 17);
    }
  }
  sdb_release(st, db);
  return kept;
}

static int changes_or_missing(sqlite3 *db) {
  return sqlite3_changes(db) > 0 ? STORE_OK : STORE_NOT_FOUND;
}

const char *const STORE_DOC_META_FIELDS[] = {"title",    "authors",  "year",     "venue",    "doi",
                                             "arxiv_id", "abstract", "keywords", "language", NULL};

const char **store_doc_meta_field(store_doc_meta_t *m, const char *name) {
  const char **f[] = {&m->title,    &m->authors,  &m->year,     &m->venue,   &m->doi,
                      &m->arxiv_id, &m->abstract, &m->keywords, &m->language};
  for (int i = 0; STORE_DOC_META_FIELDS[i]; i++)
    if (!strcmp(name, STORE_DOC_META_FIELDS[i])) return f[i];
  return NULL;
}

/* field = the user's value, else the new one (?N) when given, else the old one */
#define KEEP_USER(f, n) \
  f " = CASE WHEN json_extract(meta_sources, '$." f "') = 'user' THEN " f " ELSE COALESCE(?" n ", " f ") END"
/* The nine fields from parameters ?5..?13 and their sources from ?14 (the
 * new sources over the old, the user's over both). */
#define META_SET_FROM_5 \
  KEEP_USER("title", "5") ", " KEEP_USER("authors", "6") ", " KEEP_USER("year", "7") ", " KEEP_USER("venue", "8") \
  ", " KEEP_USER("doi", "9") ", " KEEP_USER("arxiv_id", "10") ", " KEEP_USER("abstract", "11") ", "                \
  KEEP_USER("keywords", "12") ", " KEEP_USER("language", "13") ", "                                                 \
  "meta_sources = json_patch(json_patch(meta_sources, ?14), (SELECT json_group_object(key, value) FROM "          \
  "json_each(documents.meta_sources) WHERE value = 'user'))"

/* Binds the nine fields of m to parameters first..first+8 (NULL: unbound = NULL). */
static void bind_meta(sqlite3_stmt *s, int first, const store_doc_meta_t *m) {
  const char *v[] = {m->title,    m->authors,  m->year,     m->venue,   m->doi,
                     m->arxiv_id, m->abstract, m->keywords, m->language};
  for (int i = 0; i < 9; i++) sdb_bind_text(s, first + i, v[i]);
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

int store_doc_update_fields(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            json_t *metadata) {
  char *meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
  char *srcs = sources_of(m, "user"); /* the fields set become the user's */
  const char *title = m->title && m->title[0] ? m->title : NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  /* ?3..?11: NULL keeps, '' clears (NULLIF), anything else sets */
  sqlite3_stmt *s =
      sdb_prepare(db,
                  "UPDATE documents SET title = COALESCE(NULLIF(?3, ''), title), "
                  "authors = CASE WHEN ?4 IS NULL THEN authors ELSE NULLIF(?4, '') END, "
                  "year = CASE WHEN ?5 IS NULL THEN year ELSE NULLIF(?5, '') END, "
                  "venue = CASE WHEN ?6 IS NULL THEN venue ELSE NULLIF(?6, '') END, "
                  "doi = CASE WHEN ?7 IS NULL THEN doi ELSE NULLIF(?7, '') END, "
                  "arxiv_id = CASE WHEN ?8 IS NULL THEN arxiv_id ELSE NULLIF(?8, '') END, "
                  "abstract = CASE WHEN ?9 IS NULL THEN abstract ELSE NULLIF(?9, '') END, "
                  "keywords = CASE WHEN ?10 IS NULL THEN keywords ELSE NULLIF(?10, '') END, "
                  "language = CASE WHEN ?11 IS NULL THEN language ELSE NULLIF(?11, '') END, "
                  "meta_sources = json_patch(meta_sources, ?12), metadata = COALESCE(?13, metadata), updated_at = ?14 "
                  "WHERE id = ?1 AND user_id = ?2");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, user_id);
  bind_meta(s, 3, m);
  sdb_bind_text(s, 12, srcs);
  sdb_bind_text(s, 13, meta);
  sqlite3_bind_int64(s, 14, util_now_ms());
  if (step_done(db, s, "update document") != 0) goto out;
  ret = changes_or_missing(db);
  if (ret == STORE_OK && title) {
    s = sdb_prepare(db, "UPDATE chunks SET title = ?2 WHERE document_id = ?1 AND title <> ?2");
    if (!s) {
      ret = STORE_ERROR;
      goto out;
    }
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, title);
    if (step_done(db, s, "retitle chunks") != 0) {
      ret = STORE_ERROR;
      goto out;
    }
  }
  if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
out:
  if (ret != STORE_OK) sdb_rollback(db);
  sdb_release(st, db);
  free(meta);
  free(srcs);
  return ret;
}

int store_doc_complete_meta(store_t *st, const char *user_id, const char *id, const store_doc_meta_t *m,
                            const char *source) {
  char *srcs = sources_of(m, source ? source : "outside");
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  /* the field parameters keep their numbers (?5..?14) from mark_ready; ?3, ?4 are unused */
  sqlite3_stmt *s =
      sdb_prepare(db, "UPDATE documents SET " META_SET_FROM_5 ", updated_at = ?15 WHERE id = ?1 AND user_id = ?2");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, user_id);
  bind_meta(s, 5, m);
  sdb_bind_text(s, 14, srcs);
  sqlite3_bind_int64(s, 15, util_now_ms());
  if (step_done(db, s, "complete document") != 0) goto out;
  ret = changes_or_missing(db);
  if (ret == STORE_OK && m->title) {
    s = sdb_prepare(db,
                    "UPDATE chunks SET title = (SELECT COALESCE(title, filename) FROM documents WHERE id = ?1) "
                    "WHERE document_id = ?1");
    if (!s) {
      ret = STORE_ERROR;
      goto out;
    }
    sdb_bind_text(s, 1, id);
    if (step_done(db, s, "retitle chunks") != 0) ret = STORE_ERROR;
  }
  if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
out:
  if (ret != STORE_OK) sdb_rollback(db);
  sdb_release(st, db);
  free(srcs);
  return ret;
}

json_t *store_doc_cite_json(store_t *st, const char *user_id, const char *id) {
  store_doc_t *d = NULL;
  if (!user_id || store_doc_get(st, user_id, id, &d) != STORE_OK) return NULL;
  json_t *o = json_object();
  json_object_set_new(o, "title", json_string(d->title ? d->title : d->filename ? d->filename : ""));
  const char *names[] = {"authors", "year", "venue", "doi", "arxiv_id"};
  const char *vals[] = {d->authors, d->year, d->venue, d->doi, d->arxiv_id};
  for (int i = 0; i < 5; i++)
    if (vals[i] && vals[i][0]) json_object_set_new(o, names[i], json_string(vals[i]));
  store_doc_free(d);
  return o;
}

int store_doc_delete(store_t *st, const char *user_id, const char *id, char **path_out) {
  if (path_out) *path_out = NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT stored_path FROM documents WHERE id = ? AND user_id = ?");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, user_id);
  if (sqlite3_step(s) != SQLITE_ROW) {
    ret = STORE_NOT_FOUND;
    goto out;
  }
  if (path_out) *path_out = sdb_col_text(s, 0);
  sqlite3_reset(s);
  /* chunks first (their trigger removes index entries; vectors cascade) */
  s = sdb_prepare(db, "DELETE FROM chunks WHERE document_id = ?");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  if (step_done(db, s, "delete chunks") != 0) goto out;
  s = sdb_prepare(db, "DELETE FROM documents WHERE id = ? AND user_id = ?");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, user_id);
  if (step_done(db, s, "delete document") != 0) goto out;
  ret = sdb_commit(db) == 0 ? STORE_OK : STORE_ERROR;
out:
  if (ret != STORE_OK && path_out) {
    free(*path_out);
    *path_out = NULL;
  }
  sdb_release(st, db);
  return ret;
}

int store_doc_requeue(store_t *st, const char *user_id, const char *id, int chunk_size, int chunk_overlap) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE documents SET status = 'queued', error = NULL, "
                                "chunk_size = COALESCE(?3, chunk_size), chunk_overlap = COALESCE(?4, chunk_overlap), "
                                "updated_at = ?5 WHERE id = ?1 AND user_id = ?2");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    if (chunk_size > 0)
      sqlite3_bind_int(s, 3, chunk_size);
    else
      sqlite3_bind_null(s, 3);
    if (chunk_overlap >= 0)
      sqlite3_bind_int(s, 4, chunk_overlap);
    else
      sqlite3_bind_null(s, 4);
    sqlite3_bind_int64(s, 5, util_now_ms());
    if (step_done(db, s, "requeue document") == 0) ret = changes_or_missing(db);
  }
  sdb_release(st, db);
  return ret;
}

static int delete_doc_chunks(sqlite3 *db, const char *id) {
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM chunks WHERE document_id = ?");
  if (!s) return -1;
  sdb_bind_text(s, 1, id);
  if (step_done(db, s, "delete chunks") != 0) return -1;
  s = sdb_prepare(db, "DELETE FROM document_texts WHERE document_id = ?");
  if (!s) return -1;
  sdb_bind_text(s, 1, id);
  return step_done(db, s, "delete text");
}

static int set_status(sqlite3 *db, const char *id, const char *status, const char *error) {
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE documents SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1");
  if (!s) return STORE_ERROR;
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, status);
  sdb_bind_text(s, 3, error);
  sqlite3_bind_int64(s, 4, util_now_ms());
  if (step_done(db, s, "set document status") != 0) return STORE_ERROR;
  return changes_or_missing(db);
}

int store_doc_begin_processing(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  if (delete_doc_chunks(db, id) != 0) goto out;
  ret = set_status(db, id, "processing", NULL);
  if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
out:
  sdb_release(st, db);
  return ret;
}

int store_doc_mark_failed(store_t *st, const char *id, const char *error) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  if (delete_doc_chunks(db, id) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE documents SET chunk_count = 0 WHERE id = ?");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  if (step_done(db, s, "reset chunk count") != 0) goto out;
  ret = set_status(db, id, "failed", error ? error : "failed");
  if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
out:
  sdb_release(st, db);
  return ret;
}

int store_doc_mark_ready(store_t *st, const char *id, const char *text, int pages, int chunk_count, int64_t text_chars,
                         const char *title, const char *authors, const char *year, json_t *metadata) {
  store_doc_meta_t m = {.title = title, .authors = authors, .year = year};
  return store_doc_mark_ready_meta(st, id, text, pages, chunk_count, text_chars, &m, NULL, metadata);
}

int store_doc_mark_ready_meta(store_t *st, const char *id, const char *text, int pages, int chunk_count,
                              int64_t text_chars, const store_doc_meta_t *m, json_t *sources, json_t *metadata) {
  static const store_doc_meta_t none = {0};
  if (!m) m = &none;
  char *meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
  char *srcs = sources ? json_dumps(sources, JSON_COMPACT) : NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE documents SET status = 'ready', error = NULL, pages = ?2, chunk_count = ?3, "
                                "text_chars = ?4, " META_SET_FROM_5
                                ", metadata = json_patch(?15, metadata), "
                                "updated_at = ?16 WHERE id = ?1 AND status = 'processing'");
  if (!s) goto out;
  sdb_bind_text(s, 1, id);
  sqlite3_bind_int(s, 2, pages);
  sqlite3_bind_int(s, 3, chunk_count);
  sqlite3_bind_int64(s, 4, text_chars);
  bind_meta(s, 5, m);
  sdb_bind_text(s, 14, srcs ? srcs : "{}");
  sdb_bind_text(s, 15, meta ? meta : "{}");
  sqlite3_bind_int64(s, 16, util_now_ms());
  if (step_done(db, s, "mark document ready") != 0) goto out;
  ret = changes_or_missing(db);
  if (ret != STORE_OK) goto out;
  s = sdb_prepare(db, "INSERT OR REPLACE INTO document_texts (document_id, text) VALUES (?, ?)");
  if (!s) {
    ret = STORE_ERROR;
    goto out;
  }
  sdb_bind_text(s, 1, id);
  sdb_bind_text(s, 2, text ? text : "");
  if (step_done(db, s, "store text") != 0 || sdb_commit(db) != 0) ret = STORE_ERROR;
out:
  if (ret != STORE_OK) sdb_rollback(db);
  sdb_release(st, db);
  free(meta);
  free(srcs);
  return ret;
}

json_t *store_doc_sections_json(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = json_array();
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT c.page, c.heading, c.char_start FROM chunks c JOIN documents d "
                                "ON d.id = c.document_id WHERE c.document_id = ?1 AND d.user_id = ?2 ORDER BY c.seq");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    int page = -1;
    char *heading = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
      int p = sqlite3_column_int(s, 0);
      const char *h = (const char *)sqlite3_column_text(s, 1);
      if (p == page && heading && h && !strcmp(h, heading)) continue;
      page = p;
      free(heading);
      heading = util_strdup(h ? h : "");
      json_array_append_new(arr, json_pack("{s:i, s:s, s:I}", "page", p, "heading", heading, "char_start",
                                           (json_int_t)sqlite3_column_int64(s, 2)));
    }
    free(heading);
    sqlite3_reset(s);
  }
  sdb_release(st, db);
  return arr;
}

int store_doc_get_text(store_t *st, const char *user_id, const char *id, char **text) {
  *text = NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT t.text FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id "
                                "WHERE d.id = ? AND d.user_id = ?");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      *text = sdb_col_text(s, 0);
      if (!*text) *text = util_strdup("");
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  return ret;
}

json_t *store_doc_orphans(store_t *st) {
  json_t *arr = json_array();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT d.id, d.user_id FROM documents d WHERE d.status IN ('queued', 'processing') "
                                "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'ingest' AND j.ref_id = d.id "
                                "AND j.status IN ('queued', 'running'))");
  while (s && sqlite3_step(s) == SQLITE_ROW)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "id", (const char *)sqlite3_column_text(s, 0), "user_id",
                                         (const char *)sqlite3_column_text(s, 1)));
  sdb_release(st, db);
  return arr;
}

/* ---------- groups ---------- */

int store_group_create(store_t *st, const char *user_id, const char *name, const char *description, char *id_out) {
  char id[17];
  util_new_id(id);
  int64_t now = util_now_ms();
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "INSERT INTO doc_groups (id, user_id, name, description, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)");
  if (s) {
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sdb_bind_text(s, 2, user_id);
    sdb_bind_text(s, 3, name);
    sdb_bind_text(s, 4, description ? description : "");
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      ret = STORE_OK;
      if (id_out) memcpy(id_out, id, 17);
    } else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
      ret = STORE_CONFLICT;
    } else {
      sdb_log_error(db, "create group");
    }
  }
  sdb_release(st, db);
  return ret;
}

static json_t *group_row_json(sqlite3_stmt *s) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string((const char *)sqlite3_column_text(s, 0)));
  json_object_set_new(o, "name", json_string((const char *)sqlite3_column_text(s, 1)));
  json_object_set_new(o, "description", json_string((const char *)sqlite3_column_text(s, 2)));
  json_object_set_new(o, "document_count", json_integer(sqlite3_column_int(s, 3)));
  json_object_set_new(o, "created_at", iso_json(sqlite3_column_int64(s, 4)));
  json_object_set_new(o, "updated_at", iso_json(sqlite3_column_int64(s, 5)));
  return o;
}

#define GROUP_SELECT                                                                                         \
  "SELECT g.id, g.name, g.description, (SELECT COUNT(*) FROM doc_group_members m WHERE m.group_id = g.id), " \
  "g.created_at, g.updated_at FROM doc_groups g "

json_t *store_group_get_json(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *o = NULL;
  sqlite3_stmt *s = sdb_prepare(db, GROUP_SELECT "WHERE g.id = ? AND g.user_id = ?");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    if (sqlite3_step(s) == SQLITE_ROW) o = group_row_json(s);
    sqlite3_reset(s);
  }
  if (o) {
    json_t *ids = json_array();
    s = sdb_prepare(db, "SELECT document_id FROM doc_group_members WHERE group_id = ? ORDER BY added_at, document_id");
    if (s) {
      sdb_bind_text(s, 1, id);
      while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
    }
    json_object_set_new(o, "document_ids", ids);
  }
  sdb_release(st, db);
  return o;
}

json_t *store_group_list_json(store_t *st, const char *user_id) {
  sqlite3 *db = sdb_acquire(st);
  json_t *arr = json_array();
  sqlite3_stmt *s = sdb_prepare(db, GROUP_SELECT "WHERE g.user_id = ? ORDER BY g.name COLLATE NOCASE");
  if (s) {
    sdb_bind_text(s, 1, user_id);
    while (sqlite3_step(s) == SQLITE_ROW) json_array_append_new(arr, group_row_json(s));
  }
  sdb_release(st, db);
  return arr;
}

int store_group_update(store_t *st, const char *user_id, const char *id, const char *name, const char *description) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "UPDATE doc_groups SET name = COALESCE(?3, name), description = COALESCE(?4, "
                                "description), updated_at = ?5 WHERE id = ?1 AND user_id = ?2");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    sdb_bind_text(s, 3, name);
    sdb_bind_text(s, 4, description);
    sqlite3_bind_int64(s, 5, util_now_ms());
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
      ret = changes_or_missing(db);
    else if (rc == SQLITE_CONSTRAINT_UNIQUE)
      ret = STORE_CONFLICT;
    else
      sdb_log_error(db, "update group");
  }
  sdb_release(st, db);
  return ret;
}

int store_group_delete(store_t *st, const char *user_id, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "DELETE FROM doc_groups WHERE id = ? AND user_id = ?");
  if (s) {
    sdb_bind_text(s, 1, id);
    sdb_bind_text(s, 2, user_id);
    if (step_done(db, s, "delete group") == 0) ret = changes_or_missing(db);
  }
  sdb_release(st, db);
  return ret;
}

int store_group_find(store_t *st, const char *user_id, const char *name, char *id_out) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT id FROM doc_groups WHERE user_id = ? AND name = ?");
  if (s) {
    sdb_bind_text(s, 1, user_id);
    sdb_bind_text(s, 2, name);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      copy_id(id_out, sqlite3_column_text(s, 0));
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    }
  }
  sdb_release(st, db);
  return ret;
}

int store_group_owned(store_t *st, const char *user_id, const char *group_id) {
  sqlite3 *db = sdb_acquire(st);
  int owned = 0;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM doc_groups WHERE id = ? AND user_id = ?");
  if (s) {
    sdb_bind_text(s, 1, group_id);
    sdb_bind_text(s, 2, user_id);
    owned = sqlite3_step(s) == SQLITE_ROW;
  }
  sdb_release(st, db);
  return owned;
}

static int group_change_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids,
                             size_t n, int add) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  if (sdb_begin(db) != 0) goto out;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM doc_groups WHERE id = ? AND user_id = ?");
  if (!s) goto out;
  sdb_bind_text(s, 1, group_id);
  sdb_bind_text(s, 2, user_id);
  if (sqlite3_step(s) != SQLITE_ROW) {
    ret = STORE_NOT_FOUND;
    goto out;
  }
  sqlite3_reset(s);
  int64_t now = util_now_ms();
  for (size_t i = 0; i < n; i++) {
    s = sdb_prepare(db, "SELECT 1 FROM documents WHERE id = ? AND user_id = ?");
    if (!s) goto out;
    sdb_bind_text(s, 1, doc_ids[i]);
    sdb_bind_text(s, 2, user_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
      ret = STORE_NOT_FOUND;
      goto out;
    }
    sqlite3_reset(s);
    s = sdb_prepare(db,
                    add ? "INSERT OR IGNORE INTO doc_group_members (group_id, document_id, added_at) VALUES (?, ?, ?)"
                        : "DELETE FROM doc_group_members WHERE group_id = ? AND document_id = ?");
    if (!s) goto out;
    sdb_bind_text(s, 1, group_id);
    sdb_bind_text(s, 2, doc_ids[i]);
    if (add) sqlite3_bind_int64(s, 3, now);
    if (step_done(db, s, "change group members") != 0) goto out;
  }
  s = sdb_prepare(db, "UPDATE doc_groups SET updated_at = ? WHERE id = ?");
  if (!s) goto out;
  sqlite3_bind_int64(s, 1, now);
  sdb_bind_text(s, 2, group_id);
  if (step_done(db, s, "touch group") != 0) goto out;
  ret = sdb_commit(db) == 0 ? STORE_OK : STORE_ERROR;
out:
  sdb_release(st, db);
  return ret;
}

int store_group_add_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids, size_t n) {
  return group_change_docs(st, user_id, group_id, doc_ids, n, 1);
}

int store_group_remove_docs(store_t *st, const char *user_id, const char *group_id, const char *const *doc_ids,
                            size_t n) {
  return group_change_docs(st, user_id, group_id, doc_ids, n, 0);
}

int store_group_doc_ids(store_t *st, const char *user_id, const char *group_id, char (**ids)[17], size_t *n) {
  *ids = NULL;
  *n = 0;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT m.document_id FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id "
                                "WHERE m.group_id = ? AND g.user_id = ? ORDER BY m.document_id");
  if (s) {
    sdb_bind_text(s, 1, group_id);
    sdb_bind_text(s, 2, user_id);
    size_t cap = 16, k = 0;
    char(*v)[17] = malloc(cap * sizeof *v);
    if (!v) abort();
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (k == cap) {
        cap *= 2;
        v = realloc(v, cap * sizeof *v);
        if (!v) abort();
      }
      copy_id(v[k++], sqlite3_column_text(s, 0));
    }
    *ids = v;
    *n = k;
    ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_doc_version(store_t *st, const char *user_id, int64_t *count, int64_t *latest) {
  *count = *latest = 0;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents WHERE user_id = ? "
                                "AND status = 'ready'");
  if (s) {
    sdb_bind_text(s, 1, user_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      *count = sqlite3_column_int64(s, 0);
      *latest = sqlite3_column_int64(s, 1);
      ret = STORE_OK;
    }
  }
  sdb_release(st, db);
  return ret;
}

int store_doc_scope_counts(store_t *st, const char *user_id, const char *group_id, int64_t *total, int64_t *ready) {
  *total = *ready = 0;
  int grouped = group_id && group_id[0];
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(
      db, grouped ? "SELECT COUNT(*), COALESCE(SUM(d.status = 'ready'), 0) FROM doc_group_members m "
                    "JOIN doc_groups g ON g.id = m.group_id JOIN documents d ON d.id = m.document_id "
                    "WHERE m.group_id = ?2 AND g.user_id = ?1 AND d.user_id = ?1"
                  : "SELECT COUNT(*), COALESCE(SUM(status = 'ready'), 0) FROM documents WHERE user_id = ?1");
  if (s) {
    sdb_bind_text(s, 1, user_id);
    if (grouped) sdb_bind_text(s, 2, group_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      *total = sqlite3_column_int64(s, 0);
      *ready = sqlite3_column_int64(s, 1);
      ret = STORE_OK;
    }
  }
  sdb_release(st, db);
  return ret;
}

int store_doc_touch(store_t *st, const char *id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db, "UPDATE documents SET updated_at = MAX(updated_at + 1, ?2) WHERE id = ?1");
  if (s) {
    sdb_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, util_now_ms());
    if (step_done(db, s, "touch document") == 0) ret = changes_or_missing(db);
  }
  sdb_release(st, db);
  return ret;
}
