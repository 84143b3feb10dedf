/* chunks.c - a document's chunks, full-text search over them (BM25F through
 * rag/fts.c's SQLite extension) and their embeddings; see documents.h. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/fts.h"
#include "store/documents.h"
#include "store/store_internal.h"

#define CHUNK_BATCH 256

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

/* ---------- chunks ---------- */

int store_chunks_add(store_t *st, const char *document_id, const char *user_id, const char *title,
                     store_chunk_t *chunks, size_t n) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_OK;
  for (size_t at = 0; at < n && ret == STORE_OK; at += CHUNK_BATCH) {
    size_t end = at + CHUNK_BATCH < n ? at + CHUNK_BATCH : n;
    if (sdb_begin(db) != 0) {
      ret = STORE_ERROR;
      break;
    }
    /* the document must still be processing (a concurrent delete wins) */
    sqlite3_stmt *s = sdb_prepare(db, "SELECT 1 FROM documents WHERE id = ? AND status = 'processing'");
    if (!s) {
      ret = STORE_ERROR;
      break;
    }
    sdb_bind_text(s, 1, document_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
      ret = STORE_NOT_FOUND;
      break;
    }
    sqlite3_reset(s);
    s = sdb_prepare(db,
                    "INSERT INTO chunks (document_id, user_id, seq, page, char_start, char_end, title, heading, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) {
      ret = STORE_ERROR;
      break;
    }
    for (size_t i = at; i < end; i++) {
      store_chunk_t *c = &chunks[i];
      sqlite3_reset(s);
      sqlite3_bind_text(s, 1, document_id, -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
      sqlite3_bind_int(s, 3, c->seq);
      sqlite3_bind_int(s, 4, c->page);
      sqlite3_bind_int64(s, 5, c->char_start);
      sqlite3_bind_int64(s, 6, c->char_end);
      sqlite3_bind_text(s, 7, title ? title : "", -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 8, c->heading ? c->heading : "", -1, SQLITE_STATIC);
      sqlite3_bind_text(s, 9, c->body ? c->body : "", -1, SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE) {
        sdb_log_error(db, "insert chunk");
        ret = STORE_ERROR;
        break;
      }
      c->id = sqlite3_last_insert_rowid(db);
      snprintf(c->document_id, sizeof c->document_id, "%s", document_id);
    }
    sqlite3_reset(s);
    if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
  }
  if (ret != STORE_OK) sdb_rollback(db);
  sdb_release(st, db);
  return ret;
}

int store_chunk_get(store_t *st, const char *user_id, int64_t chunk_id, store_chunk_t **out) {
  *out = NULL;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db,
                  "SELECT c.id, c.document_id, c.seq, c.page, c.char_start, c.char_end, c.heading, c.body, "
                  "COALESCE(d.title, d.filename), d.filename FROM chunks c JOIN documents d ON d.id = "
                  "c.document_id WHERE c.id = ? AND c.user_id = ? AND d.user_id = c.user_id "
                  "AND d.status = 'ready'");
  if (s) {
    sqlite3_bind_int64(s, 1, chunk_id);
    sdb_bind_text(s, 2, user_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      store_chunk_t *c = calloc(1, sizeof *c);
      if (!c) abort();
      c->id = sqlite3_column_int64(s, 0);
      copy_id(c->document_id, sqlite3_column_text(s, 1));
      c->seq = sqlite3_column_int(s, 2);
      c->page = sqlite3_column_int(s, 3);
      c->char_start = sqlite3_column_int64(s, 4);
      c->char_end = sqlite3_column_int64(s, 5);
      c->heading = sdb_col_text(s, 6);
      c->body = sdb_col_text(s, 7);
      c->title = sdb_col_text(s, 8);
      c->filename = sdb_col_text(s, 9);
      *out = c;
      ret = STORE_OK;
    } else if (rc == SQLITE_DONE) {
      ret = STORE_NOT_FOUND;
    } else {
      sdb_log_error(db, "get chunk");
    }
  }
  sdb_release(st, db);
  return ret;
}

/* One query word of a lexical search. */
typedef struct {
  const char *word;
  double df;  /* chunks holding it (fts5vocab); -1 when unknown (a CJK phrase) */
  double idf; /* HUGE_VAL when df is unknown: always essential */
} qterm_t;

static int cmp_qterm(const void *a, const void *b) {
  const qterm_t *x = a, *y = b;
  return x->idf < y->idf ? 1 : x->idf > y->idf ? -1 : 0;
}

#define MAX_CLAUSES 64      /* word sets of one pass */
#define MAX_CLAUSE_WORDS 12 /* words the sets are made of (else MaxScore's split) */

/* One ranking pass over the rows that hold, for one of the clauses sel[0..nsel)
 * (bit i of a clause = word t[i]), every word of the clause, and (when
 * others: the index holds other users' rows) the owner's id. The selecting
 * phrases are marked for mrank to ignore (df -2); every word is scored once
 * through an OR of all words, which every selected row satisfies. When the
 * clauses are every word alone, that OR is the whole selection. */
static int search_pass(sqlite3 *db, const char *user_id, int others, const char *group_id, const qterm_t *t, size_t nt,
                       const uint64_t *sel, size_t nsel, const store_rank_t *rank, int limit, store_hit_t **hits,
                       size_t *nhits) {
  buf_t expr = BUF_INIT;
  buf_init(&expr);
  /* phrase numbers follow the expression: the owner (when needed), the
   * selecting words, then every word once for the score */
  double df[1 + 64 + MAX_CLAUSES * MAX_CLAUSE_WORDS];
  size_t np = 0;
  uint64_t all = nt >= 64 ? ~0ull : (1ull << nt) - 1, selected = 0;
  int singles = 1;
  for (size_t c = 0; c < nsel; c++) {
    if (sel[c] & (sel[c] - 1)) singles = 0;
    selected |= sel[c];
  }
  if (others) {
    buf_printf(&expr, "{user_id} : \"%s\" AND ", user_id);
    df[np++] = 1;
  }
  if (!singles || selected != all) {
    /* the selecting part: a row must hold all the words of one clause; its
     * phrases only select (df -2) */
    buf_puts(&expr, "{title heading body} : (");
    for (size_t c = 0; c < nsel; c++) {
      buf_puts(&expr, c ? " OR (" : "(");
      int first = 1;
      for (size_t i = 0; i < nt; i++)
        if (sel[c] >> i & 1) {
          buf_printf(&expr, "%s\"%s\"", first ? "" : " AND ", t[i].word);
          df[np++] = -2;
          first = 0;
        }
      buf_puts(&expr, ")");
    }
    buf_puts(&expr, ") AND ");
  }
  /* true for every selected row (it holds a word): brings the positions of
   * every word into the rank function */
  buf_puts(&expr, "{title heading body} : (");
  for (size_t i = 0; i < nt; i++) {
    buf_printf(&expr, "%s\"%s\"", i ? " OR " : "", t[i].word);
    df[np++] = t[i].df;
  }
  buf_puts(&expr, ")");
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(
      db,
      "SELECT c.id, c.document_id, f.score FROM (SELECT rowid AS rid, mrank(chunks_fts, ?3, ?4, ?5, ?6, ?7, 0.0, ?11, "
      "'chunks_fts') "
      "AS score FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY score DESC LIMIT ?10) f "
      "JOIN chunks c ON c.id = f.rid JOIN documents d ON d.id = c.document_id "
      "WHERE c.user_id = ?2 AND d.user_id = ?2 AND d.status = 'ready' "
      "AND (?8 IS NULL OR EXISTS (SELECT 1 FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id "
      "WHERE m.group_id = ?8 AND g.user_id = ?2 AND m.document_id = c.document_id)) "
      "ORDER BY f.score DESC LIMIT ?9");
  if (!s) goto out;
  sdb_bind_text(s, 1, expr.data);
  sdb_bind_text(s, 2, user_id);
  sqlite3_bind_double(s, 3, rank->k1);
  sqlite3_bind_double(s, 4, rank->b);
  sqlite3_bind_double(s, 5, rank->w_title);
  sqlite3_bind_double(s, 6, rank->w_heading);
  sqlite3_bind_double(s, 7, rank->w_body);
  sdb_bind_text(s, 8, group_id);
  sqlite3_bind_int(s, 9, limit);
  /* a group search may discard many rows, so it ranks without an inner limit */
  sqlite3_bind_int(s, 10, group_id ? -1 : limit * 2 + 100);
  sqlite3_bind_blob(s, 11, df, (int)(np * sizeof(double)), SQLITE_TRANSIENT);
  size_t cap = 16, n = 0;
  store_hit_t *h = malloc(cap * sizeof *h);
  if (!h) abort();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (n == cap) {
      cap *= 2;
      h = realloc(h, cap * sizeof *h);
      if (!h) abort();
    }
    h[n].chunk_id = sqlite3_column_int64(s, 0);
    copy_id(h[n].document_id, sqlite3_column_text(s, 1));
    h[n].score = sqlite3_column_double(s, 2);
    n++;
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) {
    sdb_log_error(db, "full-text search");
    free(h);
    goto out;
  }
  *hits = h;
  *nhits = n;
  ret = STORE_OK;
out:
  buf_free(&expr);
  return ret;
}

/*
 * The rows that can still reach a score above `floor`: a row holding the
 * query words of set S scores at most the sum over S of idf * (k1 + 1), so
 * it needs a set whose bound reaches floor. The minimal such sets (smallest
 * first; a set holding a smaller one adds no row) become the clauses
 * (bitmasks over t, sorted rarest first) of the next pass: rows holding all
 * the words of one clause. A rare word is usually a clause of its own and
 * common words enter only in pairs or triples with others, which FTS5
 * intersects without ranking their rows. Returns the number of clauses, or 0
 * when there are more than MAX_CLAUSES or words (then the caller falls back
 * to MaxScore's split).
 */
static size_t select_clauses(const qterm_t *t, size_t nt, double k1p, double floor, uint64_t *sel) {
  if (nt > MAX_CLAUSE_WORDS) return 0;
  double ub[MAX_CLAUSE_WORDS];
  for (size_t i = 0; i < nt; i++) ub[i] = t[i].df < 0 ? HUGE_VAL : k1p * t[i].idf;
  /* a row scoring exactly floor may tie the last of the top: keep it, with a
   * margin for rounding */
  floor -= 1e-9 * (floor > 1 ? floor : 1);
  size_t nsel = 0;
  for (int size = 1; size <= (int)nt; size++) {
    for (uint64_t m = 1; m < 1ull << nt; m++) {
      if (__builtin_popcountll(m) != size) continue;
      int covered = 0;
      for (size_t c = 0; c < nsel && !covered; c++) covered = (sel[c] & m) == sel[c];
      if (covered) continue;
      double sum = 0;
      for (size_t i = 0; i < nt; i++)
        if (m >> i & 1) sum += ub[i];
      if (sum < floor) continue;
      if (nsel == MAX_CLAUSES) return 0;
      sel[nsel++] = m;
    }
  }
  return nsel;
}

int store_chunks_search(store_t *st, const char *user_id, const char *group_id, char *const *words, size_t nwords,
                        const store_rank_t *rank, int limit, store_hit_t **hits, size_t *nhits,
                        store_search_stats_t *stats) {
  *hits = NULL;
  *nhits = 0;
  if (stats) memset(stats, 0, sizeof *stats);
  if (limit <= 0 || nwords == 0) return STORE_OK;
  if (nwords > 64) nwords = 64;
  /* When other users have rows, the owner's id is ANDed into the FTS
   * expression (chunks_fts indexes user_id), so only the owner's rows are
   * ranked; the inner query keeps the best rows and the join checks owner,
   * status and group on those only. */
  for (const char *p = user_id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return STORE_NOT_FOUND;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  qterm_t t[64];
  size_t nt = 0;
  /* one read transaction: the document frequencies, both passes and the
   * connection's caches (rag_fts_df_get, mrank's column lengths) see one
   * snapshot */
  if (sdb_exec(db, "BEGIN") != 0) goto out;
  /* rows in the index (an estimate is enough: it only steers the split) */
  double nrows = 0;
  sqlite3_stmt *s = sdb_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM chunks");
  if (!s) goto out;
  if (sqlite3_step(s) == SQLITE_ROW) nrows = sqlite3_column_double(s, 0);
  sqlite3_reset(s);
  if (nrows < 1) {
    ret = STORE_OK;
    goto out;
  }
  /* Another user's rows in the index? (two seeks in chunks_user) Without
   * any, the owner's id need not be part of the FTS expression: every
   * matching row is the owner's, and the join still checks it. */
  int others = 1;
  s = sdb_prepare(db,
                  "SELECT EXISTS (SELECT 1 FROM chunks WHERE user_id < ?1) OR "
                  "EXISTS (SELECT 1 FROM chunks WHERE user_id > ?1)");
  if (!s) goto out;
  sdb_bind_text(s, 1, user_id);
  if (sqlite3_step(s) == SQLITE_ROW) others = sqlite3_column_int(s, 0);
  sqlite3_reset(s);
  s = sdb_prepare(db, "SELECT doc FROM chunks_fts_vocab WHERE term = ?1");
  if (!s) goto out;
  for (size_t i = 0; i < nwords; i++) {
    char term[512];
    int ntok = rag_fts_word_tokens(db, words[i], strlen(words[i]), term, sizeof term);
    if (ntok == 0) continue; /* nothing searchable in it */
    double df = -1;
    if (ntok == 1) {
      /* fts5vocab counts a term's rows by walking them: cached per connection
       * until the database changes */
      if (!rag_fts_df_get(db, term, &df)) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, term, -1, SQLITE_STATIC);
        df = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_double(s, 0) : 0;
        sqlite3_reset(s);
        rag_fts_df_put(db, term, df);
      }
      if (df == 0) continue; /* in no chunk: matches nothing, adds nothing */
    }
    /* a repeated word stays repeated: it counts once per occurrence (query
     * term frequency), as in the full expression */
    t[nt].word = words[i];
    t[nt].df = df;
    t[nt].idf = df < 0 ? HUGE_VAL : log(1.0 + (nrows - df + 0.5) / (df + 0.5));
    nt++;
  }
  if (nt == 0) {
    ret = STORE_OK;
    goto out;
  }
  /*
   * MaxScore split. A word adds at most idf * (k1 + 1) to a row's score, so
   * rows holding only the low-idf words t[ness..nt) score at most
   * ub[ness] = (k1 + 1) * (sum of their idf). A pass ranks only the rows that
   * hold one of the selective words t[0..ness), scoring them with every word.
   * The first pass takes the most selective word alone (few rows); its
   * limit-th score is a lower bound of the true one, so when it is >=
   * ub[ness] the top is already exact, and otherwise a second pass with every
   * word needed for that bound is exact by construction.
   */
  qsort(t, nt, sizeof *t, cmp_qterm);
  double k1p = rank->k1 + 1.0;
  double ub[65];
  ub[nt] = 0;
  for (size_t i = nt; i-- > 0;) ub[i] = ub[i + 1] + (t[i].df < 0 ? HUGE_VAL : k1p * t[i].idf);
  size_t ness = 1;
  while (ness < nt && t[ness - 1].df < 0) ness++; /* unknown df (CJK phrases) first */
  uint64_t sel[MAX_CLAUSES];
  size_t nsel = 0;
  for (size_t i = 0; i < ness; i++) sel[nsel++] = 1ull << i;
  for (int pass = 0;; pass++) {
    store_hit_t *h = NULL;
    size_t n = 0;
    if (search_pass(db, user_id, others, group_id, t, nt, sel, nsel, rank, limit, &h, &n) != STORE_OK) goto out;
    if (stats) {
      uint64_t used = 0;
      stats->rows = 0;
      for (size_t c = 0; c < nsel; c++) {
        double least = HUGE_VAL; /* the rows of a clause: at most its rarest word's */
        for (size_t i = 0; i < nt; i++)
          if (sel[c] >> i & 1 && t[i].df >= 0 && t[i].df < least) least = t[i].df;
        stats->rows += least < HUGE_VAL ? least : 0;
        used |= sel[c];
      }
      stats->passes = pass + 1;
      stats->essential = __builtin_popcountll(used);
      stats->clauses = (int)nsel;
      stats->terms = (int)nt;
    }
    double reached = n >= (size_t)limit ? h[limit - 1].score : 0;
    if (ness == nt || reached >= ub[ness] || pass > 0) {
      *hits = h;
      *nhits = n;
      break;
    }
    free(h);
    nsel = select_clauses(t, nt, k1p, reached, sel);
    if (nsel == 0) { /* too many: MaxScore's essential words, each alone */
      while (ness < nt && ub[ness] > reached) ness++;
      for (size_t i = 0; i < ness; i++) sel[nsel++] = 1ull << i;
    }
  }
  ret = STORE_OK;
out:
  if (!sqlite3_get_autocommit(db)) sdb_exec(db, "COMMIT");
  sdb_release(st, db);
  return ret;
}

/* ---------- embeddings ---------- */

int store_embeddings_put(store_t *st, const char *model, const int64_t *chunk_ids, const float *vecs, size_t n,
                         int dim) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_OK;
  for (size_t at = 0; at < n && ret == STORE_OK; at += CHUNK_BATCH) {
    size_t end = at + CHUNK_BATCH < n ? at + CHUNK_BATCH : n;
    if (sdb_begin(db) != 0) {
      ret = STORE_ERROR;
      break;
    }
    sqlite3_stmt *s = sdb_prepare(db,
                                  "INSERT OR REPLACE INTO embeddings (chunk_id, model, dim, vec) "
                                  "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)");
    if (!s) {
      ret = STORE_ERROR;
      break;
    }
    for (size_t i = at; i < end; i++) {
      sqlite3_reset(s);
      sqlite3_bind_int64(s, 1, chunk_ids[i]);
      sqlite3_bind_text(s, 2, model, -1, SQLITE_STATIC);
      sqlite3_bind_int(s, 3, dim);
      sqlite3_bind_blob(s, 4, vecs + i * (size_t)dim, (int)(sizeof(float) * (size_t)dim), SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE) {
        sdb_log_error(db, "insert embedding");
        ret = STORE_ERROR;
        break;
      }
    }
    sqlite3_reset(s);
    if (ret == STORE_OK && sdb_commit(db) != 0) ret = STORE_ERROR;
  }
  if (ret != STORE_OK) sdb_rollback(db);
  sdb_release(st, db);
  return ret;
}

int store_embeddings_drop_doc(store_t *st, const char *document_id) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s =
      sdb_prepare(db, "DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?1)");
  if (s) {
    sdb_bind_text(s, 1, document_id);
    if (step_done(db, s, "drop document vectors") == 0) ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_embeddings_missing(store_t *st, const char *document_id, const char *model, int64_t **ids, char ***bodies,
                             size_t *n) {
  *ids = NULL;
  *bodies = NULL;
  *n = 0;
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT c.id, c.title, c.heading, c.body FROM chunks c WHERE c.document_id = ?1 "
                                "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.chunk_id = c.id AND e.model = ?2) "
                                "ORDER BY c.seq");
  if (s) {
    sdb_bind_text(s, 1, document_id);
    sdb_bind_text(s, 2, model);
    size_t cap = 16, k = 0;
    int64_t *iv = malloc(cap * sizeof *iv);
    char **bv = malloc(cap * sizeof *bv);
    if (!iv || !bv) abort();
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (k == cap) {
        cap *= 2;
        iv = realloc(iv, cap * sizeof *iv);
        bv = realloc(bv, cap * sizeof *bv);
        if (!iv || !bv) abort();
      }
      iv[k] = sqlite3_column_int64(s, 0);
      /* the embedded text carries the title and heading path for context */
      buf_t b = BUF_INIT;
      buf_init(&b);
      const char *t = (const char *)sqlite3_column_text(s, 1), *h = (const char *)sqlite3_column_text(s, 2);
      if (t && *t) buf_printf(&b, "%s\n", t);
      if (h && *h) buf_printf(&b, "%s\n", h);
      buf_puts(&b, (const char *)sqlite3_column_text(s, 3));
      bv[k++] = buf_detach(&b, NULL);
    }
    *ids = iv;
    *bodies = bv;
    *n = k;
    ret = STORE_OK;
  }
  sdb_release(st, db);
  return ret;
}

int store_embeddings_scan(store_t *st, const char *user_id, const char *model, store_vec_fn fn, void *ud) {
  sqlite3 *db = sdb_acquire(st);
  int ret = STORE_ERROR;
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT e.chunk_id, c.document_id, e.dim, e.vec FROM embeddings e JOIN chunks c ON "
                                "c.id = e.chunk_id JOIN documents d ON d.id = c.document_id WHERE c.user_id = ?1 AND "
                                "d.user_id = ?1 AND d.status = 'ready' AND e.model = ?2 ORDER BY e.chunk_id");
  if (s) {
    sdb_bind_text(s, 1, user_id);
    sdb_bind_text(s, 2, model);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      int dim = sqlite3_column_int(s, 2);
      const void *blob = sqlite3_column_blob(s, 3);
      if (!blob || sqlite3_column_bytes(s, 3) != (int)(dim * sizeof(float))) continue;
      fn(ud, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1), blob, dim);
    }
    ret = rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
  }
  sdb_release(st, db);
  return ret;
}

json_t *store_embeddings_stale_docs(store_t *st, const char *model) {
  json_t *arr = json_array();
  sqlite3 *db = sdb_acquire(st);
  sqlite3_stmt *s = sdb_prepare(db,
                                "SELECT d.id, d.user_id FROM documents d WHERE d.status = 'ready' AND EXISTS (SELECT 1 "
                                "FROM chunks c WHERE c.document_id = d.id AND NOT EXISTS (SELECT 1 FROM embeddings e "
                                "WHERE e.chunk_id = c.id AND e.model = ?1))");
  if (s) {
    sdb_bind_text(s, 1, model);
    while (sqlite3_step(s) == SQLITE_ROW)
      json_array_append_new(arr, json_pack("{s:s, s:s}", "id", (const char *)sqlite3_column_text(s, 0), "user_id",
                                           (const char *)sqlite3_column_text(s, 1)));
  }
  sdb_release(st, db);
  return arr;
}
