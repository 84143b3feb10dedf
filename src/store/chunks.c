/* chunks.c - a document's chunks, full-text search over them and their
 * embeddings; see documents.h.
 *
 * Full-text search: on SQLite the index is FTS5 (chunks_fts, ranked by
 * store/fts.c's mrank); on PostgreSQL the statement that writes a batch of
 * chunks writes the terms of the same tokenizer into chunk_postings /
 * chunk_lengths (the deltas of chunk_index_stats follow by trigger, once per
 * batch), and ranking computes the same BM25F
 * (rag_bm25f_score) in the process over the owner's postings of the query
 * terms. Both share the word analysis and the MaxScore split below. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "store/documents.h"
#include "store/fts.h"
#include "store/store_internal.h"

#define CHUNK_BATCH 256

static void copy_id(char *dst, const char *src) {
  snprintf(dst, 17, "%s", src ? src : "");
}

/* ---------- the PostgreSQL index: postings from the tokenizer ---------- */

/* FTS5's columns, in its order (schema/002_documents.sql). */
enum { F_TITLE, F_HEADING, F_BODY, F_USER, NFIELDS };

typedef struct {
  char *term;
  int64_t chunk;
  int field, pos;
} tokpos_t;

typedef struct {
  tokpos_t *v;
  size_t n, cap;
  int64_t chunk;
  int field;
} toklist_t;

static int collect_tok(void *ctx, const char *term, size_t len, int pos) {
  toklist_t *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (!l->v) abort();
  }
  l->v[l->n++] = (tokpos_t){util_strndup(term, len), l->chunk, l->field, pos};
  return 0;
}

static int cmp_tokpos(const void *a, const void *b) {
  const tokpos_t *x = a, *y = b;
  int c = strcmp(x->term, y->term);
  if (c) return c;
  if (x->chunk != y->chunk) return x->chunk < y->chunk ? -1 : 1;
  if (x->field != y->field) return x->field - y->field;
  return x->pos - y->pos;
}

/* Appends one element to a TEXT[] literal under construction ("{" first):
 * v double-quoted (quotes and backslashes escaped), or NULL. */
static void array_add(buf_t *b, const char *v) {
  buf_puts(b, b->len > 1 ? "," : "");
  if (!v) {
    buf_puts(b, "NULL");
    return;
  }
  buf_putc(b, '"');
  for (; *v; v++) {
    if (*v == '"' || *v == '\\') buf_putc(b, '\\');
    buf_putc(b, *v);
  }
  buf_putc(b, '"');
}

/* The INTEGER[] literal ("{1,2,3}") of the positions v[from..to) in field f
 * as an element of the TEXT[] literal b (NULL when there is none). */
static void pos_array_add(buf_t *b, const tokpos_t *v, size_t from, size_t to, int f) {
  buf_t p = BUF_INIT;
  buf_init(&p);
  for (size_t i = from; i < to; i++)
    if (v[i].field == f) buf_printf(&p, "%s%d", p.len ? "," : "{", v[i].pos);
  if (p.len) buf_puts(&p, "}");
  array_add(b, p.len ? p.data : NULL);
  buf_free(&p);
}

/* Appends an integer to an INTEGER[] / BIGINT[] literal under construction ("{" first). */
static void int_array_add(buf_t *b, int64_t v) {
  buf_printf(b, "%s%lld", b->len > 1 ? "," : "", (long long)v);
}

/*
 * The PostgreSQL index rows of a batch of chunks (one owner): each chunk's
 * field lengths (chunk_lengths, as array literals) and the tokens of all of
 * them, which become the postings (chunk_postings: a term, its chunk and
 * its positions per field) in the key's order, term first, so the index
 * takes them page after page. A batch is written with one statement per
 * table (pgbatch_flush), whatever its number of chunks and terms: per-chunk
 * statements were most of the time of an ingestion on PostgreSQL (three
 * round trips a chunk, and a firing of the chunk_index_stats trigger each).
 */
typedef struct {
  const char *user_id;
  buf_t ids, len[NFIELDS];    /* chunk_lengths */
  buf_t terms, chunk, pos[3]; /* chunk_postings, built at the flush */
  toklist_t toks;
  size_t nchunks;
} pgbatch_t;

static void pgbatch_init(pgbatch_t *b, const char *user_id) {
  memset(b, 0, sizeof *b);
  b->user_id = user_id;
  buf_t *all[] = {&b->ids,   &b->len[0], &b->len[1], &b->len[2], &b->len[3],
                  &b->terms, &b->chunk,  &b->pos[0], &b->pos[1], &b->pos[2]};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    buf_init(all[i]);
    buf_putc(all[i], '{');
  }
}

static void pgbatch_free(pgbatch_t *b) {
  buf_t *all[] = {&b->ids,   &b->len[0], &b->len[1], &b->len[2], &b->len[3],
                  &b->terms, &b->chunk,  &b->pos[0], &b->pos[1], &b->pos[2]};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
  for (size_t i = 0; i < b->toks.n; i++) free(b->toks.v[i].term);
  free(b->toks.v);
  b->toks = (toklist_t){0};
}

/* Tokenizes one chunk's fields (title, heading, body, user id) into the batch. */
static int pgbatch_add(pgbatch_t *b, int64_t id, const char *const fields[NFIELDS]) {
  int len[NFIELDS];
  b->toks.chunk = id;
  for (int f = 0; f < NFIELDS; f++) {
    b->toks.field = f;
    /* the user id is counted (FTS5 indexes the column) but is no posting */
    len[f] = rag_fts_tokenize(fields[f], strlen(fields[f]), 0, f == F_USER ? NULL : collect_tok, &b->toks);
    if (len[f] < 0) return STORE_ERROR;
  }
  int_array_add(&b->ids, id);
  for (int f = 0; f < NFIELDS; f++) int_array_add(&b->len[f], len[f]);
  b->nchunks++;
  return STORE_OK;
}

/* Ends the batch's array literals: the postings are built from the tokens,
 * one per term and chunk, in the order of the key (term, chunk). */
static void pgbatch_close(pgbatch_t *b) {
  toklist_t *l = &b->toks;
  if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_tokpos);
  for (size_t i = 0; i < l->n;) {
    size_t j = i + 1;
    while (j < l->n && l->v[j].chunk == l->v[i].chunk && strcmp(l->v[j].term, l->v[i].term) == 0) j++;
    array_add(&b->terms, l->v[i].term);
    int_array_add(&b->chunk, l->v[i].chunk);
    for (int f = 0; f < 3; f++) pos_array_add(&b->pos[f], l->v, i, j, f);
    i = j;
  }
  buf_t *all[] = {&b->ids,   &b->len[0], &b->len[1], &b->len[2], &b->len[3],
                  &b->terms, &b->chunk,  &b->pos[0], &b->pos[1], &b->pos[2]};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_putc(all[i], '}');
}

/* Writes the lengths and postings of a batch keyed by chunk id (two
 * statements, arrays unnested) and empties it. */
static int pgbatch_flush(db_conn_t *c, pgbatch_t *b) {
  if (!b->nchunks) return STORE_OK;
  toklist_t *l = &b->toks;
  pgbatch_close(b);
  int ret =
      db_conn_run(c, "index chunk lengths",
                  "INSERT INTO chunk_lengths (chunk_id, user_id, len_title, len_heading, len_body, len_user) "
                  "SELECT u.id, CAST(? AS TEXT), u.t, u.h, u.b, u.u FROM unnest(CAST(? AS BIGINT[]), "
                  "CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[])) "
                  "AS u (id, t, h, b, u)",
                  DB_ARGS(DB_TEXT(b->user_id), DB_TEXT(b->ids.data), DB_TEXT(b->len[F_TITLE].data),
                          DB_TEXT(b->len[F_HEADING].data), DB_TEXT(b->len[F_BODY].data), DB_TEXT(b->len[F_USER].data)),
                  NULL);
  if (ret == STORE_OK && l->n)
    ret = db_conn_run(c, "index chunk terms",
                      "INSERT INTO chunk_postings (term, user_id, chunk_id, title_pos, heading_pos, body_pos) "
                      "SELECT u.term, CAST(? AS TEXT), u.id, CAST(u.t AS INTEGER[]), CAST(u.h AS INTEGER[]), "
                      "CAST(u.b AS INTEGER[]) FROM unnest(CAST(? AS TEXT[]), CAST(? AS BIGINT[]), "
                      "CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS u (term, id, t, h, b)",
                      DB_ARGS(DB_TEXT(b->user_id), DB_TEXT(b->terms.data), DB_TEXT(b->chunk.data),
                              DB_TEXT(b->pos[0].data), DB_TEXT(b->pos[1].data), DB_TEXT(b->pos[2].data)),
                      NULL);
  pgbatch_free(b);
  pgbatch_init(b, b->user_id);
  return ret;
}

typedef struct {
  int64_t *ids;
  char **text; /* 4 per chunk: title, heading, body, user id */
  size_t n, cap;
} reindex_t;

static int reindex_row(db_stmt_t *s, void *ctx) {
  reindex_t *r = ctx;
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->ids = realloc(r->ids, r->cap * sizeof *r->ids);
    r->text = realloc(r->text, r->cap * 4 * sizeof *r->text);
    if (!r->ids || !r->text) abort();
  }
  r->ids[r->n] = db_col_int64(s, 0);
  for (int f = 0; f < 4; f++) {
    char *t = db_col_text(s, f + 1);
    r->text[r->n * 4 + f] = t ? t : util_strdup("");
  }
  r->n++;
  return 0;
}

int db_chunks_reindex(db_conn_t *c, const char *document_id) {
  if (db_backend(c) != DB_PG) return STORE_OK; /* FTS5 follows by trigger */
  reindex_t r = {0};
  int ret = db_conn_query(c, "reindex chunks",
                          "SELECT id, title, heading, body, user_id FROM chunks WHERE document_id = ? ORDER BY id",
                          DB_ARGS(DB_TEXT(document_id)), reindex_row, &r) < 0
                ? STORE_ERROR
                : STORE_OK;
  /* the document's chunks are one owner's: their old rows go in two
   * statements, the new ones in two per CHUNK_BATCH chunks */
  if (ret == STORE_OK && r.n &&
      (db_conn_run(c, "reindex chunks",
                   "DELETE FROM chunk_postings WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)",
                   DB_ARGS(DB_TEXT(document_id)), NULL) != STORE_OK ||
       db_conn_run(c, "reindex chunks",
                   "DELETE FROM chunk_lengths WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)",
                   DB_ARGS(DB_TEXT(document_id)), NULL) != STORE_OK))
    ret = STORE_ERROR;
  pgbatch_t b;
  pgbatch_init(&b, r.n ? r.text[3] : "");
  for (size_t i = 0; i < r.n && ret == STORE_OK; i++) {
    const char *const fields[NFIELDS] = {r.text[i * 4], r.text[i * 4 + 1], r.text[i * 4 + 2], r.text[i * 4 + 3]};
    if (strcmp(fields[F_USER], b.user_id) != 0) { /* never in practice: one document, one owner */
      ret = pgbatch_flush(c, &b);
      b.user_id = fields[F_USER];
    }
    if (ret == STORE_OK) ret = pgbatch_add(&b, r.ids[i], fields);
    if (ret == STORE_OK && b.nchunks == CHUNK_BATCH) ret = pgbatch_flush(c, &b);
  }
  if (ret == STORE_OK) ret = pgbatch_flush(c, &b);
  pgbatch_free(&b);
  for (size_t i = 0; i < r.n * 4; i++) free(r.text[i]);
  free(r.text);
  free(r.ids);
  return ret;
}

/* ---------- chunks ---------- */

typedef struct {
  const char *document_id, *user_id, *title;
  store_chunk_t *chunks;
  size_t at, end;
} add_ctx_t;

/* PostgreSQL: a batch is one statement, so its own transaction: the
 * document must still be processing (else nothing is written and
 * STORE_NOT_FOUND), the batch's ids are drawn from the chunks' identity,
 * and the chunks, their lengths and their postings are written from arrays
 * that refer to a chunk by its place k in the batch (the k-th smallest id
 * drawn, ascending with the chunks as SQLite hands them out). One round
 * trip whatever the batch's size; per-chunk statements (three a chunk, in a
 * transaction of their own) were most of an ingestion's time. */
static int add_batch_pg(db_conn_t *c, add_ctx_t *a) {
  size_t n = a->end - a->at;
  const char *title = a->title ? a->title : "";
  buf_t seq = BUF_INIT, page = BUF_INIT, cs = BUF_INIT, ce = BUF_INIT, heading = BUF_INIT, body = BUF_INIT;
  buf_t *all[] = {&seq, &page, &cs, &ce, &heading, &body};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
    buf_init(all[k]);
    buf_putc(all[k], '{');
  }
  pgbatch_t b;
  pgbatch_init(&b, a->user_id);
  int ret = STORE_OK;
  for (size_t i = 0; i < n && ret == STORE_OK; i++) {
    store_chunk_t *ch = &a->chunks[a->at + i];
    const char *h = ch->heading ? ch->heading : "", *bd = ch->body ? ch->body : "";
    int_array_add(&seq, ch->seq);
    int_array_add(&page, ch->page);
    int_array_add(&cs, ch->char_start);
    int_array_add(&ce, ch->char_end);
    array_add(&heading, h);
    array_add(&body, bd);
    const char *fields[NFIELDS] = {title, h, bd, a->user_id};
    ret = pgbatch_add(&b, (int64_t)i + 1, fields);
  }
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) buf_putc(all[k], '}');
  pgbatch_close(&b);
  char *list = NULL; /* the ids drawn, ascending: "12,13,14" */
  if (ret == STORE_OK) {
    int rows = db_conn_query(
        c, "add chunks",
        "WITH ids AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('chunks', 'id')) AS id "
        "FROM generate_series(1, ?) WHERE EXISTS (SELECT 1 FROM documents WHERE id = ? AND status = 'processing')), "
        "n AS MATERIALIZED (SELECT array_agg(id ORDER BY id) AS a FROM ids HAVING count(*) > 0), "
        "c AS (INSERT INTO chunks (id, document_id, user_id, seq, page, char_start, char_end, title, heading, body) "
        "SELECT n.a[u.k], CAST(? AS TEXT), CAST(? AS TEXT), u.seq, u.page, u.cs, u.ce, CAST(? AS TEXT), u.heading, "
        "u.body FROM n, unnest(CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), "
        "CAST(? AS TEXT[]), CAST(? AS TEXT[])) WITH ORDINALITY AS u (seq, page, cs, ce, heading, body, k) "
        "RETURNING id), "
        "l AS (INSERT INTO chunk_lengths (chunk_id, user_id, len_title, len_heading, len_body, len_user) "
        "SELECT n.a[u.k], CAST(? AS TEXT), u.t, u.h, u.b, u.u FROM n, unnest(CAST(? AS BIGINT[]), "
        "CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[])) "
        "AS u (k, t, h, b, u)), "
        "p AS (INSERT INTO chunk_postings (term, user_id, chunk_id, title_pos, heading_pos, body_pos) "
        "SELECT u.term, CAST(? AS TEXT), n.a[u.k], CAST(u.t AS INTEGER[]), CAST(u.h AS INTEGER[]), "
        "CAST(u.b AS INTEGER[]) FROM n, unnest(CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), "
        "CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS u (term, k, t, h, b)) "
        "SELECT string_agg(CAST(id AS TEXT), ',' ORDER BY id) FROM c",
        DB_ARGS(DB_INT(n), DB_TEXT(a->document_id), DB_TEXT(a->document_id), DB_TEXT(a->user_id), DB_TEXT(title),
                DB_TEXT(seq.data), DB_TEXT(page.data), DB_TEXT(cs.data), DB_TEXT(ce.data), DB_TEXT(heading.data),
                DB_TEXT(body.data), DB_TEXT(a->user_id), DB_TEXT(b.ids.data), DB_TEXT(b.len[F_TITLE].data),
                DB_TEXT(b.len[F_HEADING].data), DB_TEXT(b.len[F_BODY].data), DB_TEXT(b.len[F_USER].data),
                DB_TEXT(a->user_id), DB_TEXT(b.terms.data), DB_TEXT(b.chunk.data), DB_TEXT(b.pos[0].data),
                DB_TEXT(b.pos[1].data), DB_TEXT(b.pos[2].data)),
        db_row_text, &list);
    ret = rows != 1 ? STORE_ERROR : !list ? STORE_NOT_FOUND : STORE_OK;
  }
  pgbatch_free(&b);
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) buf_free(all[k]);
  const char *p = list;
  for (size_t i = 0; i < n && ret == STORE_OK; i++) {
    char *end;
    store_chunk_t *ch = &a->chunks[a->at + i];
    ch->id = strtoll(p, &end, 10);
    if (ch->id <= 0 || (*end != ',' && i + 1 < n)) ret = STORE_ERROR; /* never: n ids come back */
    p = end + (*end == ',');
    snprintf(ch->document_id, sizeof ch->document_id, "%s", a->document_id);
  }
  free(list);
  return ret;
}

static int add_batch(db_conn_t *c, void *ctx) {
  add_ctx_t *a = ctx;
  /* the document must still be processing (a concurrent delete wins) */
  int rows = db_conn_query(c, "add chunks", "SELECT 1 FROM documents WHERE id = ? AND status = 'processing'",
                           DB_ARGS(DB_TEXT(a->document_id)), NULL, NULL);
  if (rows < 0) return STORE_ERROR;
  if (rows == 0) return STORE_NOT_FOUND;
  const char *title = a->title ? a->title : "";
  for (size_t i = a->at; i < a->end; i++) {
    store_chunk_t *ch = &a->chunks[i];
    const char *heading = ch->heading ? ch->heading : "", *body = ch->body ? ch->body : "";
    int64_t id = 0;
    if (db_conn_query(
            c, "insert chunk",
            "INSERT INTO chunks (document_id, user_id, seq, page, char_start, char_end, title, heading, "
            "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            DB_ARGS(DB_TEXT(a->document_id), DB_TEXT(a->user_id), DB_INT(ch->seq), DB_INT(ch->page),
                    DB_INT(ch->char_start), DB_INT(ch->char_end), DB_TEXT(title), DB_TEXT(heading), DB_TEXT(body)),
            db_row_int64, &id) != 1)
      return STORE_ERROR;
    ch->id = id;
    snprintf(ch->document_id, sizeof ch->document_id, "%s", a->document_id);
  }
  return STORE_OK;
}

int store_chunks_add(store_t *st, const char *document_id, const char *user_id, const char *title,
                     store_chunk_t *chunks, size_t n) {
  int ret = STORE_OK;
  db_conn_t *c = n && store_backend(st) == DB_PG ? db_acquire(st) : NULL;
  for (size_t at = 0; at < n && ret == STORE_OK; at += CHUNK_BATCH) {
    add_ctx_t a = {document_id, user_id, title, chunks, at, at + CHUNK_BATCH < n ? at + CHUNK_BATCH : n};
    ret = c ? add_batch_pg(c, &a) : db_tx(st, "add chunks", add_batch, &a);
  }
  db_release(st, c);
  return ret;
}

static int chunk_row(db_stmt_t *s, void *ctx) {
  store_chunk_t *c = calloc(1, sizeof *c);
  if (!c) abort();
  c->id = db_col_int64(s, 0);
  copy_id(c->document_id, db_col_text_ref(s, 1));
  c->seq = (int)db_col_int64(s, 2);
  c->page = (int)db_col_int64(s, 3);
  c->char_start = db_col_int64(s, 4);
  c->char_end = db_col_int64(s, 5);
  c->heading = db_col_text(s, 6);
  c->body = db_col_text(s, 7);
  c->title = db_col_text(s, 8);
  c->filename = db_col_text(s, 9);
  *(store_chunk_t **)ctx = c;
  return 1;
}

int store_chunk_get(store_t *st, const char *user_id, int64_t chunk_id, store_chunk_t **out) {
  *out = NULL;
  int rows = db_query(st, "get chunk",
                      "SELECT c.id, c.document_id, c.seq, c.page, c.char_start, c.char_end, c.heading, c.body, "
                      "COALESCE(d.title, d.filename), d.filename FROM chunks c JOIN documents d ON d.id = "
                      "c.document_id WHERE c.id = ? AND c.user_id = ? AND d.user_id = c.user_id "
                      "AND d.status = 'ready'",
                      DB_ARGS(DB_INT(chunk_id), DB_TEXT(user_id)), chunk_row, out);
  return rows < 0 ? STORE_ERROR : rows == 0 ? STORE_NOT_FOUND : STORE_OK;
}

/* ---------- full-text search ---------- */

/* One query word of a lexical search. */
typedef struct {
  const char *word;
  double df;  /* the owner's chunks holding it; -1 when unknown (several terms: a phrase) */
  double sdf; /* what mrank scores it with: df, or the owner's count of a phrase (-1: mrank counts) */
  double idf; /* HUGE_VAL when df is unknown: always essential */
  char **tok; /* its terms, as the tokenizer gives them in query mode */
  int ntok;
} qterm_t;

static int cmp_qterm(const void *a, const void *b) {
  const qterm_t *x = a, *y = b;
  return x->idf < y->idf ? 1 : x->idf > y->idf ? -1 : 0;
}

static int collect_word_tok(void *ctx, const char *term, size_t len, int pos) {
  (void)pos;
  qterm_t *q = ctx;
  q->tok = realloc(q->tok, (size_t)(q->ntok + 1) * sizeof *q->tok);
  if (!q->tok) abort();
  q->tok[q->ntok++] = util_strndup(term, len);
  return 0;
}

#define MAX_CLAUSES 64      /* word sets of one pass */
#define MAX_CLAUSE_WORDS 12 /* words the sets are made of (else MaxScore's split) */

/* The owner's postings of the query's words (PostgreSQL), read once per
 * search: every chunk holding a word, with each word's instances per field
 * (a word of several terms counts where its terms follow each other, as an
 * FTS5 phrase) and the chunk's field lengths. */
typedef struct {
  int64_t chunk;
  int sz[NFIELDS];
  int *pos[3]; /* sorted positions per field */
  int npos[3];
} posting_t;

typedef struct {
  posting_t *v;
  size_t n, cap;
} postings_t;

typedef struct {
  double nrow, tot[NFIELDS]; /* the owner's chunks and summed field lengths */
  int64_t *ids;              /* chunks holding a word, ascending */
  size_t nc;
  int *sz; /* nc * NFIELDS */
  int *tf; /* nc * nt * NFIELDS: instances of word i in field f */
  double *idf;
} pgidx_t;

typedef struct {
  db_conn_t *c;
  const char *user_id, *group_id;
  int others;              /* SQLite: another user's rows are in the index */
  double own[1 + NFIELDS]; /* SQLite, when others: the owner's chunks and field totals */
  qterm_t *t;
  size_t nt;
  const store_rank_t *rank;
  int limit;
  pgidx_t *pg;
} search_t;

/* One ranking pass (SQLite) over the rows that hold, for one of the clauses
 * sel[0..nsel) (bit i of a clause = word t[i]), every word of the clause,
 * and (when others: the index holds other users' rows) the owner's id, then
 * scored with the owner's figures (q->own and the owner's df). The
 * selecting phrases are marked for mrank to ignore (df -2); every word is
 * scored once through an OR of all words, which every selected row
 * satisfies. When the clauses are every word alone, that OR is the whole
 * selection. */
static int pass_sqlite(search_t *q, const uint64_t *sel, size_t nsel, store_hit_t **hits, size_t *nhits) {
  const qterm_t *t = q->t;
  size_t nt = q->nt;
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
  if (q->others) {
    buf_printf(&expr, "{user_id} : \"%s\" AND ", q->user_id);
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
    df[np++] = t[i].sdf;
  }
  buf_puts(&expr, ")");
  int ret = STORE_ERROR;
  db_stmt_t *s = db_prepare(
      q->c,
      "SELECT c.id, c.document_id, f.score FROM (SELECT rowid AS rid, mrank(chunks_fts, ?, ?, ?, ?, ?, 0.0, ?, "
      "'chunks_fts', ?) "
      "AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score DESC LIMIT ?) f "
      "JOIN chunks c ON c.id = f.rid JOIN documents d ON d.id = c.document_id "
      "WHERE c.user_id = ? AND d.user_id = ? AND d.status = 'ready' "
      "AND (? IS NULL OR EXISTS (SELECT 1 FROM doc_group_members m JOIN doc_groups g ON g.id = m.group_id "
      "WHERE m.group_id = ? AND g.user_id = ? AND m.document_id = c.document_id)) "
      "ORDER BY f.score DESC LIMIT ?");
  if (!s) goto out;
  const store_rank_t *rank = q->rank;
  /* a group search may discard many rows, so it ranks without an inner limit */
  db_bind_params(s, DB_ARGS(DB_REAL(rank->k1), DB_REAL(rank->b), DB_REAL(rank->w_title), DB_REAL(rank->w_heading),
                            DB_REAL(rank->w_body), DB_BLOB(df, np * sizeof(double)),
                            q->others ? DB_BLOB(q->own, sizeof q->own) : DB_NULL, DB_TEXT(expr.data),
                            DB_INT(q->group_id ? -1 : q->limit * 2 + 100), DB_TEXT(q->user_id), DB_TEXT(q->user_id),
                            DB_TEXT(q->group_id), DB_TEXT(q->group_id), DB_TEXT(q->user_id), DB_INT(q->limit)));
  size_t cap = 16, n = 0;
  store_hit_t *h = malloc(cap * sizeof *h);
  if (!h) abort();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    if (n == cap) {
      cap *= 2;
      h = realloc(h, cap * sizeof *h);
      if (!h) abort();
    }
    h[n].chunk_id = db_col_int64(s, 0);
    copy_id(h[n].document_id, db_col_text_ref(s, 1));
    h[n].score = db_col_double(s, 2);
    n++;
  }
  if (rc != DB_DONE) {
    log_error("store", "full-text search: %s", db_errmsg(q->c));
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

/* Parses an INTEGER[] literal ("{1,2}") into a malloc'd array (NULL, 0 for SQL NULL). */
static int *parse_int_array(const char *s, int *n) {
  *n = 0;
  if (!s) return NULL;
  size_t cap = 0;
  for (const char *p = s; *p; p++) cap += *p == ',';
  int *v = malloc((cap + 1) * sizeof *v);
  if (!v) abort();
  for (const char *p = s; *p;) {
    if ((*p >= '0' && *p <= '9') || *p == '-') {
      char *end;
      v[(*n)++] = (int)strtol(p, &end, 10);
      p = end;
    } else {
      p++;
    }
  }
  return v;
}

static int posting_row(db_stmt_t *s, void *ctx) {
  postings_t *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (!l->v) abort();
  }
  posting_t *p = &l->v[l->n++];
  p->chunk = db_col_int64(s, 0);
  for (int f = 0; f < 3; f++) p->pos[f] = parse_int_array(db_col_text_ref(s, 1 + f), &p->npos[f]);
  for (int f = 0; f < NFIELDS; f++) p->sz[f] = (int)db_col_int64(s, 4 + f);
  return 0;
}

static void postings_free(postings_t *l) {
  for (size_t i = 0; i < l->n; i++)
    for (int f = 0; f < 3; f++) free(l->v[i].pos[f]);
  free(l->v);
}

static const posting_t *posting_find(const postings_t *l, int64_t chunk) {
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (l->v[mid].chunk < chunk)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < l->n && l->v[lo].chunk == chunk ? &l->v[lo] : NULL;
}

static int has_pos(const int *v, int n, int pos) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (v[mid] < pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo] == pos;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t chunk_index(const pgidx_t *x, int64_t chunk) {
  int64_t *p = bsearch(&chunk, x->ids, x->nc, sizeof *x->ids, cmp_i64);
  return (size_t)(p - x->ids);
}

/* The instances of word w in each field of the chunk of p0 (its first
 * term's posting): every position where all its terms follow each other. */
static int word_tf(const postings_t *pl, int ntok, const posting_t *p0, int tf[3]) {
  const posting_t *ps[64];
  int k = ntok < 64 ? ntok : 64;
  ps[0] = p0;
  for (int j = 1; j < k; j++)
    if (!(ps[j] = posting_find(&pl[j], p0->chunk))) return 0;
  int any = 0;
  for (int f = 0; f < 3; f++) {
    tf[f] = 0;
    for (int a = 0; a < p0->npos[f]; a++) {
      int ok = 1;
      for (int j = 1; j < k && ok; j++) ok = has_pos(ps[j]->pos[f], ps[j]->npos[f], p0->pos[f][a] + j);
      tf[f] += ok;
    }
    any |= tf[f] > 0;
  }
  return any;
}

static int stats_row(db_stmt_t *s, void *ctx) {
  pgidx_t *x = ctx;
  x->nrow = db_col_double(s, 0);
  for (int f = 0; f < NFIELDS; f++) x->tot[f] = db_col_double(s, 1 + f);
  return 1;
}

static void pgidx_free(pgidx_t *x) {
  if (!x) return;
  free(x->ids);
  free(x->sz);
  free(x->tf);
  free(x->idf);
  free(x);
}

/* Reads the owner's statistics and postings of every query word. */
static int pgidx_load(search_t *q, pgidx_t **out) {
  pgidx_t *x = calloc(1, sizeof *x);
  if (!x) abort();
  size_t nt = q->nt;
  if (db_conn_query(q->c, "full-text statistics",
                    "SELECT COALESCE(SUM(chunks), 0), COALESCE(SUM(len_title), 0), COALESCE(SUM(len_heading), 0), "
                    "COALESCE(SUM(len_body), 0), COALESCE(SUM(len_user), 0) FROM chunk_index_stats WHERE user_id = ?",
                    DB_ARGS(DB_TEXT(q->user_id)), stats_row, x) < 0) {
    pgidx_free(x);
    return STORE_ERROR;
  }
  postings_t *pl[64] = {0};
  int ret = STORE_OK;
  size_t nall = 0;
  for (size_t i = 0; i < nt && ret == STORE_OK; i++) {
    pl[i] = calloc((size_t)q->t[i].ntok, sizeof *pl[i]);
    if (!pl[i]) abort();
    for (int j = 0; j < q->t[i].ntok && ret == STORE_OK; j++)
      if (db_conn_query(q->c, "full-text postings",
                        "SELECT p.chunk_id, p.title_pos, p.heading_pos, p.body_pos, l.len_title, l.len_heading, "
                        "l.len_body, l.len_user FROM chunk_postings p JOIN chunk_lengths l ON l.chunk_id = p.chunk_id "
                        "WHERE p.term = ? AND p.user_id = ? ORDER BY p.chunk_id",
                        DB_ARGS(DB_TEXT(q->t[i].tok[j]), DB_TEXT(q->user_id)), posting_row, &pl[i][j]) < 0)
        ret = STORE_ERROR;
    if (ret == STORE_OK) nall += pl[i][0].n;
  }
  if (ret == STORE_OK) {
    /* the chunks holding a word's first term, then each word's instances in them */
    x->ids = malloc((nall + 1) * sizeof *x->ids);
    if (!x->ids) abort();
    for (size_t i = 0; i < nt; i++)
      for (size_t k = 0; k < pl[i][0].n; k++) x->ids[x->nc++] = pl[i][0].v[k].chunk;
    qsort(x->ids, x->nc, sizeof *x->ids, cmp_i64);
    size_t u = 0;
    for (size_t k = 0; k < x->nc; k++)
      if (u == 0 || x->ids[u - 1] != x->ids[k]) x->ids[u++] = x->ids[k];
    x->nc = u;
    x->sz = calloc(u * NFIELDS + 1, sizeof *x->sz);
    x->tf = calloc(u * nt * NFIELDS + 1, sizeof *x->tf);
    x->idf = calloc(nt + 1, sizeof *x->idf);
    if (!x->sz || !x->tf || !x->idf) abort();
    double nrow = x->nrow < 1 ? 1 : x->nrow;
    for (size_t i = 0; i < nt; i++) {
      double df = 0;
      for (size_t k = 0; k < pl[i][0].n; k++) {
        const posting_t *p0 = &pl[i][0].v[k];
        int tf[3];
        if (!word_tf(pl[i], q->t[i].ntok, p0, tf)) continue;
        size_t ci = chunk_index(x, p0->chunk);
        memcpy(x->sz + ci * NFIELDS, p0->sz, sizeof p0->sz);
        for (int f = 0; f < 3; f++) x->tf[(ci * nt + i) * NFIELDS + (size_t)f] = tf[f];
        df++;
      }
      x->idf[i] = rag_bm25f_idf(nrow, df);
    }
  }
  for (size_t i = 0; i < nt; i++) {
    if (!pl[i]) continue;
    for (int j = 0; j < q->t[i].ntok; j++) postings_free(&pl[i][j]);
    free(pl[i]);
  }
  if (ret != STORE_OK) {
    pgidx_free(x);
    return ret;
  }
  *out = x;
  return STORE_OK;
}

typedef struct {
  int64_t chunk;
  double score;
  char document_id[17];
} cand_t;

static int cmp_cand(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

typedef struct {
  cand_t *v;
  size_t n;
} cands_t;

static int ready_row(db_stmt_t *s, void *ctx) {
  cands_t *c = ctx;
  int64_t id = db_col_int64(s, 0);
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].chunk == id) copy_id(c->v[i].document_id, db_col_text_ref(s, 1));
  return 0;
}

/* The same pass on PostgreSQL: the rows selected by the clauses among the
 * owner's postings, scored by rag_bm25f_score with the owner's statistics,
 * the best limit * 2 + 100 (all for a group) kept, then owner, status and
 * group checked on those, as the SQLite pass does. */
static int pass_pg(search_t *q, const uint64_t *sel, size_t nsel, store_hit_t **hits, size_t *nhits) {
  if (!q->pg && pgidx_load(q, &q->pg) != STORE_OK) return STORE_ERROR;
  pgidx_t *x = q->pg;
  size_t nt = q->nt;
  rag_bm25f_t p = {.k1 = q->rank->k1, .b = q->rank->b, .ncol = NFIELDS};
  double w[NFIELDS] = {q->rank->w_title, q->rank->w_heading, q->rank->w_body, 0.0};
  double nrow = x->nrow < 1 ? 1 : x->nrow;
  for (int f = 0; f < NFIELDS; f++) {
    p.w[f] = w[f];
    p.avg[f] = rag_bm25f_avg(x->tot[f], nrow);
  }
  cand_t *v = malloc((x->nc + 1) * sizeof *v);
  if (!v) abort();
  size_t n = 0;
  for (size_t ci = 0; ci < x->nc; ci++) {
    const int *tf = x->tf + ci * nt * NFIELDS;
    uint64_t held = 0;
    for (size_t i = 0; i < nt; i++)
      if (tf[i * NFIELDS] + tf[i * NFIELDS + 1] + tf[i * NFIELDS + 2] > 0) held |= 1ull << i;
    int in = 0;
    for (size_t c = 0; c < nsel && !in; c++) in = (held & sel[c]) == sel[c];
    if (!in) continue;
    v[n].chunk = x->ids[ci];
    v[n].score = rag_bm25f_score(&p, x->sz + ci * NFIELDS, (int)nt, x->idf, tf);
    v[n].document_id[0] = '\0';
    n++;
  }
  qsort(v, n, sizeof *v, cmp_cand);
  size_t inner = q->group_id ? n : (size_t)q->limit * 2 + 100;
  if (n > inner) n = inner;
  int ret = STORE_OK;
  if (n) {
    buf_t ids = BUF_INIT;
    buf_init(&ids);
    for (size_t i = 0; i < n; i++) buf_printf(&ids, "%s%lld", i ? "," : "{", (long long)v[i].chunk);
    buf_puts(&ids, "}");
    cands_t cs = {v, n};
    if (db_conn_query(q->c, "full-text search",
                      "SELECT c.id, c.document_id FROM chunks c JOIN documents d ON d.id = c.document_id "
                      "WHERE c.id = ANY (CAST(? AS BIGINT[])) AND c.user_id = ? AND d.user_id = ? "
                      "AND d.status = 'ready' AND (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM "
                      "doc_group_members m JOIN doc_groups g ON g.id = m.group_id WHERE m.group_id = ? "
                      "AND g.user_id = ? AND m.document_id = c.document_id))",
                      DB_ARGS(DB_TEXT(ids.data), DB_TEXT(q->user_id), DB_TEXT(q->user_id), DB_TEXT(q->group_id),
                              DB_TEXT(q->group_id), DB_TEXT(q->user_id)),
                      ready_row, &cs) < 0)
      ret = STORE_ERROR;
    buf_free(&ids);
  }
  store_hit_t *h = malloc((n + 1) * sizeof *h);
  if (!h) abort();
  size_t k = 0;
  for (size_t i = 0; i < n && ret == STORE_OK && k < (size_t)q->limit; i++) {
    if (!v[i].document_id[0]) continue;
    h[k].chunk_id = v[i].chunk;
    memcpy(h[k].document_id, v[i].document_id, sizeof h[k].document_id);
    h[k].score = v[i].score;
    k++;
  }
  free(v);
  if (ret != STORE_OK) {
    free(h);
    return ret;
  }
  *hits = h;
  *nhits = k;
  return STORE_OK;
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

typedef struct {
  double *v;
  int n;
} figs_t;

static int figs_row(db_stmt_t *s, void *ctx) {
  figs_t *f = ctx;
  for (int i = 0; i < f->n; i++) f->v[i] = db_col_double(s, i);
  return 1;
}

/* Figures v[0..n) of the owner's rows of the index (SQLite, others) that
 * also match sub (NULL: all of them), read by sql (one column a figure, the
 * match expression its one parameter), cached per connection under the
 * owner and sub until the index changes. */
static int owner_figs(search_t *q, const char *sub, const char *sql, double *v, int n) {
  buf_t key = BUF_INIT, expr = BUF_INIT;
  buf_init(&key);
  buf_init(&expr);
  buf_printf(&key, "%s\x1f%s", sub ? q->user_id : "", sub ? sub : q->user_id);
  buf_printf(&expr, "{user_id} : \"%s\"%s%s", q->user_id, sub ? " AND " : "", sub ? sub : "");
  int ret = STORE_OK;
  if (!db_fts_figs_get(q->c, key.data, v, n)) {
    memset(v, 0, (size_t)n * sizeof *v);
    figs_t f = {v, n};
    if (db_conn_query(q->c, "full-text statistics", sql, DB_ARGS(DB_TEXT(expr.data)), figs_row, &f) < 0)
      ret = STORE_ERROR;
    else
      db_fts_figs_put(q->c, key.data, v, n);
  }
  buf_free(&key);
  buf_free(&expr);
  return ret;
}

/* A count among the owner's rows: those matching sub. */
static int owner_count(search_t *q, const char *sub, double *n) {
  return owner_figs(q, sub, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", n, 1);
}

/* The owner's figures: chunks and each field's total length (what FTS5
 * keeps for the whole table), summed over the owner's rows of the index
 * (which also fills mrank's length cache with them). */
static int owner_figures(search_t *q) {
  return owner_figs(q, NULL,
                    /* an FTS5 function cannot be an aggregate's argument: the
                     * lengths come from a subquery kept apart (LIMIT) */
                    "SELECT count(*), COALESCE(SUM(t), 0), COALESCE(SUM(h), 0), COALESCE(SUM(b), 0), "
                    "COALESCE(SUM(u), 0) FROM (SELECT mlen(chunks_fts, 0, 'chunks_fts') AS t, "
                    "mlen(chunks_fts, 1, 'chunks_fts') AS h, mlen(chunks_fts, 2, 'chunks_fts') AS b, "
                    "mlen(chunks_fts, 3, 'chunks_fts') AS u FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT -1)",
                    q->own, 1 + NFIELDS);
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
  db_conn_t *c = db_acquire(st);
  int pg = db_backend(c) == DB_PG, ret = STORE_ERROR, begun = 0;
  qterm_t t[64];
  size_t nt = 0;
  /* others: SQLite only (PostgreSQL reads the owner's postings and figures) */
  search_t q = {.c = c, .user_id = user_id, .group_id = group_id, .others = !pg, .t = t, .rank = rank, .limit = limit};
  /* one read transaction: the document frequencies, both passes and the
   * connection's caches (the df cache, mrank's column lengths) see one
   * snapshot */
  if (db_exec(c, db_sql(c, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != 0) goto out;
  begun = 1;
  /* rows in the index (an estimate is enough: it only steers the split) */
  int64_t maxid = 0;
  if (db_conn_query(c, "full-text search", "SELECT COALESCE(MAX(id), 0) FROM chunks", DB_NOARGS, db_row_int64, &maxid) <
      0)
    goto out;
  double nrows = (double)maxid;
  if (nrows < 1) {
    ret = STORE_OK;
    goto out;
  }
  /* SQLite: another user's rows in the index? (two seeks in chunks_user)
   * Without any, the owner's id need not be part of the FTS expression:
   * every matching row is the owner's, and the join still checks it. On
   * PostgreSQL the postings are read by owner. */
  if (!pg) {
    int64_t others = 1;
    if (db_conn_query(c, "full-text search",
                      "SELECT EXISTS (SELECT 1 FROM chunks WHERE user_id < ?) OR "
                      "EXISTS (SELECT 1 FROM chunks WHERE user_id > ?)",
                      DB_ARGS(DB_TEXT(user_id), DB_TEXT(user_id)), db_row_int64, &others) < 0)
      goto out;
    q.others = others != 0;
    /* the owner's figures, not the whole index's: one user's scores must
     * neither depend on nor reveal other users' words. Alone in the index,
     * the index's own figures are the owner's (mrank reads them). */
    if (q.others) {
      if (owner_figures(&q) != STORE_OK) goto out;
      nrows = q.own[0];
      if (nrows < 1) {
        ret = STORE_OK;
        goto out;
      }
    }
  }
  for (size_t i = 0; i < nwords; i++) {
    qterm_t w = {.word = words[i], .df = -1};
    int ntok = rag_fts_tokenize(words[i], strlen(words[i]), 1, collect_word_tok, &w);
    if (ntok == 0) continue; /* nothing searchable in it */
    if (q.others) {
      /* among the owner's rows: a term in any field (as fts5vocab counts
       * it), a phrase in the searched fields (as mrank would count it) */
      buf_t sub = BUF_INIT;
      buf_init(&sub);
      buf_printf(&sub, ntok == 1 ? "\"%s\"" : "{title heading body} : \"%s\"", words[i]);
      int rc = owner_count(&q, sub.data, &w.sdf);
      buf_free(&sub);
      if (rc != STORE_OK || w.sdf == 0) { /* an error, or in none of the owner's chunks */
        for (int k = 0; k < w.ntok; k++) free(w.tok[k]);
        free(w.tok);
        if (rc != STORE_OK) goto out;
        continue;
      }
      if (ntok == 1) w.df = w.sdf;
    } else if (ntok == 1) {
      /* SQLite: fts5vocab counts a term's rows by walking them: cached per
       * connection until the database changes. PostgreSQL: the owner's
       * postings of the term (one index range). */
      int64_t n = 0;
      if (pg || !db_fts_df_get(c, w.tok[0], &w.df)) {
        int rows = pg ? db_conn_query(c, "full-text search",
                                      "SELECT count(*) FROM chunk_postings WHERE term = ? AND user_id = ?",
                                      DB_ARGS(DB_TEXT(w.tok[0]), DB_TEXT(user_id)), db_row_int64, &n)
                      : db_conn_query(c, "full-text search", "SELECT doc FROM chunks_fts_vocab WHERE term = ?",
                                      DB_ARGS(DB_TEXT(w.tok[0])), db_row_int64, &n);
        if (rows < 0) {
          for (int k = 0; k < w.ntok; k++) free(w.tok[k]);
          free(w.tok);
          goto out;
        }
        w.df = (double)n;
        if (!pg) db_fts_df_put(c, w.tok[0], w.df);
      }
      if (w.df == 0) { /* in no chunk: matches nothing, adds nothing */
        for (int k = 0; k < w.ntok; k++) free(w.tok[k]);
        free(w.tok);
        continue;
      }
    }
    if (!q.others) w.sdf = w.df;
    /* a repeated word stays repeated: it counts once per occurrence (query
     * term frequency), as in the full expression */
    w.idf = w.df < 0 ? HUGE_VAL : rag_bm25f_idf(nrows, w.df);
    t[nt++] = w;
  }
  q.nt = nt;
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
    if ((pg ? pass_pg : pass_sqlite)(&q, sel, nsel, &h, &n) != STORE_OK) goto out;
    if (stats) {
      uint64_t used = 0;
      stats->rows = 0;
      for (size_t k = 0; k < nsel; k++) {
        double least = HUGE_VAL; /* the rows of a clause: at most its rarest word's */
        for (size_t i = 0; i < nt; i++)
          if (sel[k] >> i & 1 && t[i].df >= 0 && t[i].df < least) least = t[i].df;
        stats->rows += least < HUGE_VAL ? least : 0;
        used |= sel[k];
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
  if (begun && db_exec(c, "COMMIT") != 0) db_rollback(c);
  db_release(st, c);
  for (size_t i = 0; i < nt; i++) {
    for (int k = 0; k < t[i].ntok; k++) free(t[i].tok[k]);
    free(t[i].tok);
  }
  pgidx_free(q.pg);
  return ret;
}

/* ---------- embeddings ---------- */

typedef struct {
  const char *model;
  const int64_t *ids;
  const float *vecs;
  size_t at, end;
  int dim;
} emb_ctx_t;

static int put_batch(db_conn_t *c, void *ctx) {
  emb_ctx_t *e = ctx;
  if (db_backend(c) == DB_PG) {
    /* one statement for the batch: the ids as an array, the vectors as one
     * bytea cut per row; a chunk given twice keeps its last vector, as
     * statement after statement would (DISTINCT ON) */
    size_t vlen = sizeof(float) * (size_t)e->dim;
    buf_t ids = BUF_INIT;
    buf_init(&ids);
    buf_putc(&ids, '{');
    for (size_t i = e->at; i < e->end; i++) int_array_add(&ids, e->ids[i]);
    buf_putc(&ids, '}');
    int ret = db_conn_run(
        c, "insert embeddings",
        "INSERT INTO embeddings (chunk_id, model, dim, vec) SELECT DISTINCT ON (u.id) u.id, CAST(? AS TEXT), "
        "CAST(? AS INTEGER), substring(CAST(? AS BYTEA) FROM CAST((u.k - 1) * ? + 1 AS INTEGER) FOR CAST(? AS "
        "INTEGER)) "
        "FROM unnest(CAST(? AS BIGINT[])) WITH ORDINALITY AS u (id, k) "
        "WHERE EXISTS (SELECT 1 FROM chunks WHERE id = u.id) ORDER BY u.id, u.k DESC "
        "ON CONFLICT (chunk_id, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec",
        DB_ARGS(DB_TEXT(e->model), DB_INT(e->dim), DB_BLOB(e->vecs + e->at * (size_t)e->dim, vlen * (e->end - e->at)),
                DB_INT(vlen), DB_INT(vlen), DB_TEXT(ids.data)),
        NULL);
    buf_free(&ids);
    return ret;
  }
  /* a chunk deleted meanwhile (its document went) takes no vector */
  const char *sql =
      "INSERT INTO embeddings (chunk_id, model, dim, vec) SELECT ?, ?, ?, ? "
      "WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?) "
      "ON CONFLICT (chunk_id, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec";
  for (size_t i = e->at; i < e->end; i++)
    if (db_conn_run(c, "insert embedding", sql,
                    DB_ARGS(DB_INT(e->ids[i]), DB_TEXT(e->model), DB_INT(e->dim),
                            DB_BLOB(e->vecs + i * (size_t)e->dim, sizeof(float) * (size_t)e->dim), DB_INT(e->ids[i])),
                    NULL) != STORE_OK)
      return STORE_ERROR;
  return STORE_OK;
}

int store_embeddings_put(store_t *st, const char *model, const int64_t *chunk_ids, const float *vecs, size_t n,
                         int dim) {
  int ret = STORE_OK;
  for (size_t at = 0; at < n && ret == STORE_OK; at += CHUNK_BATCH) {
    emb_ctx_t e = {model, chunk_ids, vecs, at, at + CHUNK_BATCH < n ? at + CHUNK_BATCH : n, dim};
    ret = db_tx(st, "store vectors", put_batch, &e);
  }
  return ret;
}

int store_embeddings_drop_doc(store_t *st, const char *document_id) {
  return db_run(st, "drop document vectors",
                "DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)",
                DB_ARGS(DB_TEXT(document_id)), NULL);
}

typedef struct {
  int64_t *ids;
  char **bodies;
  size_t n, cap;
} missing_t;

static int missing_row(db_stmt_t *s, void *ctx) {
  missing_t *m = ctx;
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 16;
    m->ids = realloc(m->ids, m->cap * sizeof *m->ids);
    m->bodies = realloc(m->bodies, m->cap * sizeof *m->bodies);
    if (!m->ids || !m->bodies) abort();
  }
  m->ids[m->n] = db_col_int64(s, 0);
  /* the embedded text carries the title and heading path for context */
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *t = db_col_text_ref(s, 1), *h = db_col_text_ref(s, 2), *body = db_col_text_ref(s, 3);
  if (t && *t) buf_printf(&b, "%s\n", t);
  if (h && *h) buf_printf(&b, "%s\n", h);
  buf_puts(&b, body ? body : "");
  m->bodies[m->n++] = buf_detach(&b, NULL);
  return 0;
}

int store_embeddings_missing(store_t *st, const char *document_id, const char *model, int64_t **ids, char ***bodies,
                             size_t *n) {
  *ids = NULL;
  *bodies = NULL;
  *n = 0;
  missing_t m = {0};
  m.ids = malloc(16 * sizeof *m.ids);
  m.bodies = malloc(16 * sizeof *m.bodies);
  if (!m.ids || !m.bodies) abort();
  m.cap = 16;
  int rows = db_query(st, "chunks without vectors",
                      "SELECT c.id, c.title, c.heading, c.body FROM chunks c WHERE c.document_id = ? "
                      "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.chunk_id = c.id AND e.model = ?) "
                      "ORDER BY c.seq",
                      DB_ARGS(DB_TEXT(document_id), DB_TEXT(model)), missing_row, &m);
  if (rows < 0) {
    for (size_t i = 0; i < m.n; i++) free(m.bodies[i]);
    free(m.ids);
    free(m.bodies);
    return STORE_ERROR;
  }
  *ids = m.ids;
  *bodies = m.bodies;
  *n = m.n;
  return STORE_OK;
}

typedef struct {
  store_vec_fn fn;
  void *ud;
} scan_ctx_t;

static int scan_row(db_stmt_t *s, void *ctx) {
  scan_ctx_t *sc = ctx;
  int dim = (int)db_col_int64(s, 2);
  size_t len = 0;
  const void *blob = db_col_blob(s, 3, &len);
  if (blob && len == dim * sizeof(float)) sc->fn(sc->ud, db_col_int64(s, 0), db_col_text_ref(s, 1), blob, dim);
  return 0;
}

int store_embeddings_scan(store_t *st, const char *user_id, const char *model, store_vec_fn fn, void *ud) {
  scan_ctx_t sc = {fn, ud};
  int rows = db_query(st, "scan vectors",
                      "SELECT e.chunk_id, c.document_id, e.dim, e.vec FROM embeddings e JOIN chunks c ON "
                      "c.id = e.chunk_id JOIN documents d ON d.id = c.document_id WHERE c.user_id = ? AND "
                      "d.user_id = ? AND d.status = 'ready' AND e.model = ? ORDER BY e.chunk_id",
                      DB_ARGS(DB_TEXT(user_id), DB_TEXT(user_id), DB_TEXT(model)), scan_row, &sc);
  return rows < 0 ? STORE_ERROR : STORE_OK;
}

static int stale_row(db_stmt_t *s, void *ctx) {
  json_array_append_new(ctx, json_pack("{s:s, s:s}", "id", db_col_text_ref(s, 0), "user_id", db_col_text_ref(s, 1)));
  return 0;
}

json_t *store_embeddings_stale_docs(store_t *st, const char *model) {
  json_t *arr = json_array();
  db_query(st, "documents without vectors",
           "SELECT d.id, d.user_id FROM documents d WHERE d.status = 'ready' AND EXISTS (SELECT 1 "
           "FROM chunks c WHERE c.document_id = d.id AND NOT EXISTS (SELECT 1 FROM embeddings e "
           "WHERE e.chunk_id = c.id AND e.model = ?))",
           DB_ARGS(DB_TEXT(model)), stale_row, arr);
  return arr;
}
