/* fts.c - FTS5 tokenizer "maestro", rank function "mrank", query building; see fts.h. */
#include "store/fts.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/stopwords.h"
#include "base/text.h"
#include "base/util.h"

/* ---------- the tokenizer ---------- */

typedef struct {
  fts5_tokenizer porter;
  Fts5Tokenizer *inner;
} mtok_t;

typedef struct {
  void *ctx;
  int (*xToken)(void *, int, const char *, int, int, int);
  int base;
} shift_ctx_t;

static int shift_token(void *p, int tflags, const char *tok, int ntok, int start, int end) {
  shift_ctx_t *s = p;
  return s->xToken(s->ctx, tflags, tok, ntok, start + s->base, end + s->base);
}

static fts5_api *fts5_api_of(sqlite3 *db) {
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return api;
}

static int mtok_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out) {
  fts5_api *api = ud;
  mtok_t *t = calloc(1, sizeof *t);
  if (!t) return SQLITE_NOMEM;
  void *pud = NULL;
  int rc = api->xFindTokenizer(api, "porter", &pud, &t->porter);
  if (rc == SQLITE_OK) {
    const char *args[] = {"unicode61", "remove_diacritics", "2"};
    rc = t->porter.xCreate(pud, args, 3, &t->inner);
  }
  if (rc != SQLITE_OK) {
    free(t);
    return rc;
  }
  *out = (Fts5Tokenizer *)t;
  return SQLITE_OK;
}

static void mtok_delete(Fts5Tokenizer *p) {
  mtok_t *t = (mtok_t *)p;
  if (!t) return;
  if (t->inner) t->porter.xDelete(t->inner);
  free(t);
}

/* Emits the bigrams of the CJK run text[start, end). */
static int emit_bigrams(const char *text, int start, int end, void *ctx,
                        int (*xToken)(void *, int, const char *, int, int, int)) {
  size_t i = (size_t)start, n = (size_t)end;
  size_t prev = i;
  text_utf8_next(text, n, &i);
  size_t mid = i;
  if (mid >= n) return xToken(ctx, 0, text + prev, (int)(mid - prev), (int)prev, (int)mid);
  while (mid < n) {
    size_t j = mid;
    text_utf8_next(text, n, &j);
    int rc = xToken(ctx, 0, text + prev, (int)(j - prev), (int)prev, (int)j);
    if (rc != SQLITE_OK) return rc;
    prev = mid;
    mid = j;
  }
  return SQLITE_OK;
}

static int mtok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int ntext,
                         int (*xToken)(void *, int, const char *, int, int, int)) {
  mtok_t *t = (mtok_t *)p;
  size_t n = (size_t)ntext, i = 0, run = 0;
  int run_cjk = -1;
  while (i <= n) {
    size_t at = i;
    int cjk = 0;
    if (i < n) {
      unsigned cp = text_utf8_next(text, n, &i);
      cjk = text_is_cjk(cp);
    }
    if (at == n || (run_cjk >= 0 && cjk != run_cjk)) {
      if (run_cjk >= 0 && at > run) {
        int rc;
        if (run_cjk) {
          rc = emit_bigrams(text, (int)run, (int)at, ctx, xToken);
        } else {
          shift_ctx_t sc = {ctx, xToken, (int)run};
          rc = t->porter.xTokenize(t->inner, &sc, flags, text + run, (int)(at - run), shift_token);
        }
        if (rc != SQLITE_OK) return rc;
      }
      run = at;
    }
    if (at == n) break;
    run_cjk = cjk;
  }
  return SQLITE_OK;
}

/* ---------- per-connection context and caches ---------- */

#define LEN_COLS 4              /* column lengths kept per row */
#define LEN_UNKNOWN 0xFFFFu     /* a row not cached (or a length that does not fit) */
#define LEN_MAX_ROWID (1 << 24) /* rows above this are never cached */

#define FIG_MAX (1 + LEN_COLS) /* figures kept per key: an owner's rows and column totals */

typedef struct {
  char *term; /* NULL: free slot */
  int n;      /* figures in v */
  double v[FIG_MAX];
} df_slot_t;

/* One per connection (created by rag_fts_register, freed when the connection
 * closes: it is the user data of "mrank", whose destructor FTS5 calls then).
 * Used only by the thread holding the connection, under its mutex. */
typedef struct mconn {
  sqlite3 *db;
  fts5_api *api;
  struct mconn *next;
  /* what the caches describe: the data version of the file and this
   * connection's own change count, and the structure record of lentag's
   * index (NULL: not read); see mconn_sync */
  int synced;
  unsigned dv;
  sqlite3_int64 changes;
  void *ver;
  int nver;
  /* column lengths by rowid (LEN_COLS per row) of the table named lentag */
  char lentag[64];
  uint16_t *len;
  size_t nlen; /* rows allocated */
  /* figures by key: a document frequency by index term, or whatever the
   * caller keys (rag_fts_figs_get/put) */
  df_slot_t *df;
  size_t ndf, capdf;
} mconn_t;

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static mconn_t *conns;

static mconn_t *mconn_of(sqlite3 *db) {
  pthread_mutex_lock(&conns_lock);
  mconn_t *m = conns;
  while (m && m->db != db) m = m->next;
  pthread_mutex_unlock(&conns_lock);
  return m;
}

static void df_clear(mconn_t *m) {
  for (size_t i = 0; i < m->capdf; i++) free(m->df[i].term);
  free(m->df);
  m->df = NULL;
  m->ndf = m->capdf = 0;
}

/* Empties every cache; ver (may be NULL) becomes the index version they
 * will describe. */
static void mconn_clear(mconn_t *m, void *ver, int nver) {
  df_clear(m);
  free(m->len);
  m->len = NULL;
  m->nlen = 0;
  free(m->ver);
  m->ver = ver;
  m->nver = nver;
}

static void mconn_free(void *p) {
  mconn_t *m = p;
  if (!m) return;
  pthread_mutex_lock(&conns_lock);
  for (mconn_t **pp = &conns; *pp; pp = &(*pp)->next)
    if (*pp == m) {
      *pp = m->next;
      break;
    }
  pthread_mutex_unlock(&conns_lock);
  df_clear(m);
  free(m->len);
  free(m->ver);
  free(m);
}

/* The structure record of lentag's FTS5 index (its %_data row 10: the list
 * of segments, with a counter of segments written) into a malloc'd *v.
 * Every write to the index adds a segment at commit (FTS5 flushes its
 * pending terms then), so an unchanged record is an unchanged index.
 * 0 on success, -1 when there is no tag yet or it cannot be read. */
static int index_version(mconn_t *m, void **v, int *n) {
  *v = NULL;
  *n = 0;
  if (!m->lentag[0]) return -1;
  char *sql = sqlite3_mprintf("SELECT block FROM \"%w_data\" WHERE id = 10", m->lentag);
  sqlite3_stmt *st = NULL;
  int ret = -1;
  if (sql && sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    int len = sqlite3_column_bytes(st, 0);
    const void *b = sqlite3_column_blob(st, 0);
    if (b && len > 0 && (*v = malloc((size_t)len))) {
      memcpy(*v, b, (size_t)len);
      *n = len;
      ret = 0;
    }
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
  return ret;
}

/* Empties the caches when the index changed since they were filled. Cheap
 * first: when neither the file's data version (another connection
 * committed) nor this connection's change count (it wrote, even if rolled
 * back) moved, nothing changed. When one did, the index may still be the
 * same (the write was a chat message, a job's heartbeat): outside a write
 * transaction of this connection (whose terms FTS5 may still hold in
 * memory), the same structure record means the same index, and the caches
 * stay. */
static void mconn_sync(mconn_t *m) {
  unsigned dv = 0;
  sqlite3_file_control(m->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
  sqlite3_int64 changes = sqlite3_total_changes64(m->db);
  if (m->synced && dv == m->dv && changes == m->changes) return;
  void *ver = NULL;
  int nver = 0;
  if (sqlite3_txn_state(m->db, "main") == SQLITE_TXN_WRITE || index_version(m, &ver, &nver) != 0) {
    free(ver);
    ver = NULL;
  } else if (m->synced && m->ver && nver == m->nver && memcmp(ver, m->ver, (size_t)nver) == 0) {
    free(ver);
    m->dv = dv;
    m->changes = changes;
    return;
  }
  mconn_clear(m, ver, nver);
  m->dv = dv;
  m->changes = changes;
  m->synced = 1;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static df_slot_t *df_slot(df_slot_t *v, size_t cap, const char *term) {
  size_t i = (size_t)hash_str(term) & (cap - 1);
  while (v[i].term && strcmp(v[i].term, term)) i = (i + 1) & (cap - 1);
  return &v[i];
}

int rag_fts_figs_get(sqlite3 *db, const char *key, double *v, int n) {
  mconn_t *m = mconn_of(db);
  if (!m || n < 1 || n > FIG_MAX) return 0;
  sqlite3_mutex_enter(sqlite3_db_mutex(db));
  mconn_sync(m);
  int hit = 0;
  if (m->capdf) {
    df_slot_t *s = df_slot(m->df, m->capdf, key);
    if (s->term && s->n == n) {
      memcpy(v, s->v, (size_t)n * sizeof *v);
      hit = 1;
    }
  }
  sqlite3_mutex_leave(sqlite3_db_mutex(db));
  return hit;
}

void rag_fts_figs_put(sqlite3 *db, const char *key, const double *v, int n) {
  mconn_t *m = mconn_of(db);
  if (!m || n < 1 || n > FIG_MAX) return;
  sqlite3_mutex_enter(sqlite3_db_mutex(db));
  mconn_sync(m);
  if ((m->ndf + 1) * 2 > m->capdf) { /* keep the table at most half full */
    size_t cap = m->capdf ? m->capdf * 2 : 256;
    df_slot_t *nv = calloc(cap, sizeof *nv);
    if (!nv) abort();
    for (size_t i = 0; i < m->capdf; i++)
      if (m->df[i].term) *df_slot(nv, cap, m->df[i].term) = m->df[i];
    free(m->df);
    m->df = nv;
    m->capdf = cap;
  }
  df_slot_t *s = df_slot(m->df, m->capdf, key);
  if (!s->term) {
    s->term = util_strdup(key);
    m->ndf++;
  }
  s->n = n;
  memcpy(s->v, v, (size_t)n * sizeof *v);
  sqlite3_mutex_leave(sqlite3_db_mutex(db));
}

int rag_fts_df_get(sqlite3 *db, const char *term, double *df) {
  return rag_fts_figs_get(db, term, df, 1);
}

void rag_fts_df_put(sqlite3 *db, const char *term, double df) {
  rag_fts_figs_put(db, term, &df, 1);
}

/* The column lengths of the current row into sz[0..ncol): from the
 * connection's cache when it holds the row, else from FTS5 (one %_docsize
 * lookup), then kept. m may be NULL (no cache). */
static int row_sizes(mconn_t *m, const Fts5ExtensionApi *api, Fts5Context *ctx, int ncol, int *sz) {
  sqlite3_int64 rid = m ? api->xRowid(ctx) : -1;
  int cacheable = m && ncol <= LEN_COLS && rid >= 0 && rid < LEN_MAX_ROWID;
  if (cacheable && (size_t)rid < m->nlen) {
    const uint16_t *e = m->len + (size_t)rid * LEN_COLS;
    if (e[0] != LEN_UNKNOWN) {
      for (int c = 0; c < ncol; c++) sz[c] = e[c];
      return SQLITE_OK;
    }
  }
  for (int c = 0; c < ncol; c++) {
    sz[c] = 0;
    int rc = api->xColumnSize(ctx, c, &sz[c]);
    if (rc != SQLITE_OK) return rc;
    if (sz[c] < 0 || sz[c] >= (int)LEN_UNKNOWN) cacheable = 0;
  }
  if (!cacheable) return SQLITE_OK;
  if ((size_t)rid >= m->nlen) {
    size_t n = m->nlen ? m->nlen : 1024;
    while (n <= (size_t)rid) n *= 2;
    uint16_t *v = realloc(m->len, n * LEN_COLS * sizeof *v);
    if (!v) return SQLITE_OK; /* no cache for this row; the lengths are right */
    memset(v + m->nlen * LEN_COLS, 0xFF, (n - m->nlen) * LEN_COLS * sizeof *v);
    m->len = v;
    m->nlen = n;
  }
  uint16_t *e = m->len + (size_t)rid * LEN_COLS;
  for (int c = 0; c < ncol; c++) e[c] = (uint16_t)sz[c];
  return SQLITE_OK;
}

/* ---------- the rank function (BM25F) ---------- */

#define MRANK_MAXCOL RAG_BM25F_MAXCOL

typedef struct {
  int nphrase, ncol;
  mconn_t *m; /* the length cache, when the caller named the table */
  double *idf;
  double avg[MRANK_MAXCOL];
} mrank_data_t;

static int count_rows(const Fts5ExtensionApi *api, Fts5Context *ctx, void *ud) {
  (void)api;
  (void)ctx;
  (*(sqlite3_int64 *)ud)++;
  return SQLITE_OK;
}

static void mrank_data_free(void *p) {
  mrank_data_t *d = p;
  if (!d) return;
  free(d->idf);
  free(d);
}

/* The connection's length cache for the FTS table named tag (NULL when
 * there is none or no tag), emptied when the database changed or the tag is
 * another table's. Runs inside the statement's read transaction: the cache
 * is checked against the very snapshot the rows come from. */
static mconn_t *len_cache(const Fts5ExtensionApi *api, Fts5Context *ctx, const char *tag) {
  mconn_t *m = api->xUserData(ctx);
  if (!m || !tag || !*tag || strlen(tag) >= sizeof m->lentag) return NULL;
  mconn_sync(m);
  if (strcmp(m->lentag, tag)) { /* another table: no cache describes it */
    mconn_clear(m, NULL, 0);
    snprintf(m->lentag, sizeof m->lentag, "%s", tag);
  }
  return m;
}

/* df: optional document frequency per phrase (NULL, or ndf doubles; a
 * negative entry is counted here with xQueryPhrase). own: optional figures
 * of the rows to rank among (NULL, or nown doubles: the number of rows, then
 * each column's total length), used instead of the whole table's. */
static mrank_data_t *mrank_data(const Fts5ExtensionApi *api, Fts5Context *ctx, const double *df, int ndf,
                                const double *own, int nown, const char *tag, int *rc) {
  mrank_data_t *d = api->xGetAuxdata(ctx, 0);
  if (d) return d;
  d = calloc(1, sizeof *d);
  if (!d) {
    *rc = SQLITE_NOMEM;
    return NULL;
  }
  d->nphrase = api->xPhraseCount(ctx);
  d->ncol = api->xColumnCount(ctx);
  if (d->ncol > MRANK_MAXCOL) d->ncol = MRANK_MAXCOL;
  d->idf = calloc((size_t)d->nphrase + 1, sizeof(double));
  if (!d->idf) {
    free(d);
    *rc = SQLITE_NOMEM;
    return NULL;
  }
  d->m = len_cache(api, ctx, tag);
  if (own && nown < 1 + d->ncol) own = NULL;
  sqlite3_int64 nrow = 0;
  if (own)
    nrow = (sqlite3_int64)own[0];
  else
    *rc = api->xRowCount(ctx, &nrow);
  if (nrow < 1) nrow = 1;
  for (int c = 0; *rc == SQLITE_OK && c < d->ncol; c++) {
    sqlite3_int64 tot = 0;
    if (own)
      tot = (sqlite3_int64)own[1 + c];
    else
      *rc = api->xColumnTotalSize(ctx, c, &tot);
    d->avg[c] = rag_bm25f_avg((double)tot, (double)nrow);
  }
  for (int i = 0; *rc == SQLITE_OK && i < d->nphrase; i++) {
    sqlite3_int64 hits = 0;
    if (df && i < ndf && df[i] <= -2) { /* selects rows only: scores nothing */
      d->idf[i] = 0;
      continue;
    }
    if (df && i < ndf && df[i] >= 0)
      hits = (sqlite3_int64)df[i];
    else
      *rc = api->xQueryPhrase(ctx, i, &hits, count_rows);
    d->idf[i] = rag_bm25f_idf((double)nrow, (double)hits);
  }
  if (*rc == SQLITE_OK)
    *rc = api->xSetAuxdata(ctx, d, mrank_data_free);
  else
    mrank_data_free(d);
  return *rc == SQLITE_OK ? d : NULL;
}

static void mrank_fn(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *out, int nval,
                     sqlite3_value **val) {
  int rc = SQLITE_OK;
  const double *df = NULL;
  int ndf = 0;
  if (nval > 6 && sqlite3_value_type(val[6]) == SQLITE_BLOB) {
    df = sqlite3_value_blob(val[6]);
    ndf = sqlite3_value_bytes(val[6]) / (int)sizeof(double);
  }
  const char *tag = nval > 7 ? (const char *)sqlite3_value_text(val[7]) : NULL;
  const double *own = NULL;
  int nown = 0;
  if (nval > 8 && sqlite3_value_type(val[8]) == SQLITE_BLOB) {
    own = sqlite3_value_blob(val[8]);
    nown = sqlite3_value_bytes(val[8]) / (int)sizeof(double);
  }
  mrank_data_t *d = mrank_data(api, ctx, df, ndf, own, nown, tag, &rc);
  if (!d) {
    sqlite3_result_error_code(out, rc);
    return;
  }
  rag_bm25f_t p;
  p.k1 = nval > 0 ? sqlite3_value_double(val[0]) : 1.2;
  p.b = nval > 1 ? sqlite3_value_double(val[1]) : 0.75;
  p.ncol = d->ncol;
  int sz[MRANK_MAXCOL];
  rc = row_sizes(d->m, api, ctx, d->ncol, sz);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(out, rc);
    return;
  }
  for (int c = 0; c < d->ncol; c++) {
    p.w[c] = nval > 2 + c && c < 4 ? sqlite3_value_double(val[2 + c]) : 1.0;
    p.avg[c] = d->avg[c];
  }
  int tf_stack[64 * MRANK_MAXCOL];
  size_t ntf = (size_t)d->nphrase * (size_t)d->ncol;
  int *tf = ntf <= 64 * MRANK_MAXCOL ? tf_stack : calloc(ntf, sizeof(int));
  if (!tf) {
    sqlite3_result_error_nomem(out);
    return;
  }
  memset(tf, 0, sizeof(int) * ntf);
  /* each phrase's own position list (xPhraseFirst/Next read it in place;
   * xInst would first merge every phrase's instances into one sorted array) */
  for (int i = 0; rc == SQLITE_OK && i < d->nphrase; i++) {
    if (d->idf[i] == 0) continue; /* selects rows only */
    Fts5PhraseIter it;
    int ic = -1, io = -1;
    rc = api->xPhraseFirst(ctx, i, &it, &ic, &io);
    for (; rc == SQLITE_OK && ic >= 0; api->xPhraseNext(ctx, &it, &ic, &io))
      if (ic < d->ncol) tf[(size_t)i * (size_t)d->ncol + (size_t)ic]++;
  }
  double score = rc == SQLITE_OK ? rag_bm25f_score(&p, sz, d->nphrase, d->idf, tf) : 0;
  if (tf != tf_stack) free(tf);
  if (rc != SQLITE_OK)
    sqlite3_result_error_code(out, rc);
  else
    sqlite3_result_double(out, score);
}

/* mlen(table, col [, tag]): the length of column col of the current row
 * (0 for a column that does not exist), through the length cache of tag. */
static void mlen_fn(const Fts5ExtensionApi *api, Fts5Context *ctx, sqlite3_context *out, int nval,
                    sqlite3_value **val) {
  int col = nval > 0 ? sqlite3_value_int(val[0]) : 0;
  int ncol = api->xColumnCount(ctx);
  if (col < 0 || col >= ncol || ncol > MRANK_MAXCOL) {
    sqlite3_result_int(out, 0);
    return;
  }
  const char *tag = nval > 1 ? (const char *)sqlite3_value_text(val[1]) : NULL;
  int sz[MRANK_MAXCOL];
  int rc = row_sizes(len_cache(api, ctx, tag), api, ctx, ncol, sz);
  if (rc != SQLITE_OK)
    sqlite3_result_error_code(out, rc);
  else
    sqlite3_result_int(out, sz[col]);
}

int rag_fts_register(sqlite3 *db) {
  fts5_api *api = fts5_api_of(db);
  if (!api || api->iVersion < 2) return -1;
  fts5_tokenizer tok = {mtok_create, mtok_delete, mtok_tokenize};
  if (api->xCreateTokenizer(api, "maestro", api, &tok, NULL) != SQLITE_OK) return -1;
  mconn_t *m = calloc(1, sizeof *m);
  if (!m) return -1;
  m->db = db;
  m->api = api;
  /* FTS5 calls mconn_free when the connection closes (not on failure here) */
  if (api->xCreateFunction(api, "mrank", m, mrank_fn, mconn_free) != SQLITE_OK) {
    free(m);
    return -1;
  }
  /* m is freed with "mrank" (when the connection closes); "mlen" only borrows it */
  if (api->xCreateFunction(api, "mlen", m, mlen_fn, NULL) != SQLITE_OK) return -1;
  pthread_mutex_lock(&conns_lock);
  m->next = conns;
  conns = m;
  pthread_mutex_unlock(&conns_lock);
  return 0;
}

/* ---------- the tokenizer without a database ---------- */

/* One process-wide instance of the "maestro" tokenizer, made on a private
 * in-memory connection (the FTS5 porter and unicode61 code lives in SQLite);
 * the porter instance keeps a buffer, so calls are serialised. */
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t tok_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *tok_db;
static fts5_tokenizer tok_tk;
static Fts5Tokenizer *tok_inst;

static void tok_init(void) {
  if (sqlite3_open_v2(":memory:", &tok_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
      rag_fts_register(tok_db) != 0)
    return;
  fts5_api *api = fts5_api_of(tok_db);
  void *ud = NULL;
  if (!api || api->xFindTokenizer(api, "maestro", &ud, &tok_tk) != SQLITE_OK ||
      tok_tk.xCreate(ud, NULL, 0, &tok_inst) != SQLITE_OK)
    tok_inst = NULL;
}

typedef struct {
  rag_fts_token_fn fn;
  void *ctx;
  int pos;
} tok_ctx_t;

static int tok_emit(void *p, int tflags, const char *tok, int ntok, int start, int end) {
  (void)start;
  (void)end;
  tok_ctx_t *t = p;
  if (tflags & FTS5_TOKEN_COLOCATED) return SQLITE_OK; /* FTS5 gives it the previous position */
  int pos = t->pos++;
  return t->fn && t->fn(t->ctx, tok, (size_t)ntok, pos) != 0 ? SQLITE_DONE : SQLITE_OK;
}

int rag_fts_tokenize(const char *text, size_t len, int query, rag_fts_token_fn fn, void *ctx) {
  pthread_once(&tok_once, tok_init);
  if (!tok_inst) return -1;
  tok_ctx_t t = {fn, ctx, 0};
  pthread_mutex_lock(&tok_lock);
  int rc = tok_tk.xTokenize(tok_inst, &t, query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT, text ? text : "",
                            text ? (int)len : 0, tok_emit);
  pthread_mutex_unlock(&tok_lock);
  return rc == SQLITE_OK || rc == SQLITE_DONE ? t.pos : -1;
}

/* ---------- BM25F ---------- */

double rag_bm25f_idf(double nrow, double df) {
  return log(1.0 + (nrow - df + 0.5) / (df + 0.5));
}

double rag_bm25f_avg(double total, double nrow) {
  double avg = total / nrow;
  return avg <= 0 ? 1 : avg;
}

double rag_bm25f_score(const rag_bm25f_t *p, const int *sz, int nphrase, const double *idf, const int *tf) {
  double len[RAG_BM25F_MAXCOL];
  int ncol = p->ncol < RAG_BM25F_MAXCOL ? p->ncol : RAG_BM25F_MAXCOL;
  for (int c = 0; c < ncol; c++) {
    len[c] = 1.0 - p->b + p->b * (double)sz[c] / p->avg[c];
    if (len[c] <= 0) len[c] = 1e-6;
  }
  double score = 0;
  for (int i = 0; i < nphrase; i++) {
    if (idf[i] == 0) continue; /* selects rows only */
    /* one addition per instance, in column order (FTS5's position lists) */
    double tfw = 0;
    for (int c = 0; c < ncol; c++)
      for (int k = tf[(size_t)i * (size_t)p->ncol + (size_t)c]; k > 0; k--) tfw += p->w[c] / len[c];
    if (tfw > 0) score += idf[i] * tfw * (p->k1 + 1.0) / (p->k1 + tfw);
  }
  return score;
}

/* ---------- query construction ---------- */

/* A word character for query splitting: ASCII letters and digits, and every
 * non-ASCII code point except common punctuation and spaces. */
static int is_word_cp(unsigned cp) {
  if (cp < 0x80) return isalnum((int)cp) != 0;
  if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
      (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20))
    return 0;
  return 1;
}

void rag_fts_words_free(char **words) {
  if (!words) return;
  for (char **w = words; *w; w++) free(*w);
  free(words);
}

char **rag_fts_words(const char *text, int max_terms, size_t *nout) {
  *nout = 0;
  if (!text || max_terms < 1) return NULL;
  size_t n = strlen(text), i = 0;
  char **all = calloc((size_t)max_terms + 1, sizeof *all);
  char **kept = calloc((size_t)max_terms + 1, sizeof *kept);
  if (!all || !kept) abort();
  int nall = 0, nkept = 0;
  while (i < n && nkept < max_terms) {
    size_t start = i;
    unsigned cp = text_utf8_next(text, n, &i);
    if (!is_word_cp(cp)) continue;
    size_t end = i;
    while (end < n) {
      size_t j = end;
      unsigned c2 = text_utf8_next(text, n, &j);
      if (!is_word_cp(c2)) break;
      end = j;
    }
    i = end;
    size_t len = end - start;
    /* invalid UTF-8 never reaches SQLite: keep only well-formed words */
    if (len == 0 || len > 256) continue;
    int valid = 1;
    for (size_t k = start; k < end;) {
      size_t before = k;
      unsigned c = text_utf8_next(text, n, &k);
      if (c >= 0x80 && k - before == 1) valid = 0;
    }
    if (!valid) continue;
    int stop = stopword_is(NULL, text + start, len);
    if (nall < max_terms) all[nall++] = util_strndup(text + start, len);
    if (!stop) kept[nkept++] = util_strndup(text + start, len);
  }
  char **out = nkept > 0 ? kept : all;
  char **other = nkept > 0 ? all : kept;
  rag_fts_words_free(other);
  *nout = (size_t)(nkept > 0 ? nkept : nall);
  if (*nout == 0) {
    free(out);
    return NULL;
  }
  return out;
}

char *rag_fts_query(const char *text, int max_terms) {
  size_t nw = 0;
  char **words = rag_fts_words(text, max_terms, &nw);
  if (!words) return NULL;
  buf_t q = BUF_INIT;
  buf_init(&q);
  for (size_t k = 0; k < nw; k++) buf_printf(&q, "%s\"%s\"", k ? " OR " : "", words[k]);
  rag_fts_words_free(words);
  return buf_detach(&q, NULL);
}
