/*
 * fts.h - the full-text side of retrieval: the "maestro" FTS5 tokenizer, the
 * "mrank" ranking function, and safe query construction.
 *
 * Tokenizer "maestro": text is split into runs of CJK script (Hangul, Han,
 * Hiragana, Katakana) and everything else. Non-CJK runs go through FTS5's
 * own "porter unicode61 remove_diacritics 2" chain (lower-casing, diacritic
 * folding, Porter stemming). CJK runs are emitted as overlapping character
 * bigrams ("데비안은" -> 데비 비안 안은; a lone CJK character is emitted as a
 * unigram), the approach of Lucene's CJK analyzer: a two-syllable Korean
 * word or a Chinese word is found inside longer space-less text. Documents
 * and queries are tokenized the same way.
 *
 * rag_fts_register() must run on every SQLite connection before any
 * statement touches chunks_fts (store.c calls it when it opens a connection).
 *
 * Rank function mrank(chunks_fts, k1, b, w_title, w_heading, w_body, w_user
 * [, df [, tag [, own]]]): BM25F with tunable k1/b and per-column weights (field-weighted
 * term frequency, per-field length normalisation). It returns a score where
 * larger is better. df, when given, is a blob of one double per phrase of
 * the MATCH expression: the number of rows holding the phrase (the caller
 * read it from the fts5vocab table, or counted it among one owner's rows);
 * -1 is counted by mrank itself (a full pass over the phrase's rows in the
 * whole table, once per query), and -2 marks a phrase that only selects rows
 * (it adds nothing to the score). tag, when
 * given (the FTS table's name, e.g. 'chunks_fts'), lets mrank keep every
 * ranked row's column lengths in the connection's cache under that name, so
 * a row met again costs no %_docsize lookup; only pass it for one FTS table
 * per connection (another name empties the cache). own, when given, is a
 * blob of 1 + ncol doubles: the number of rows and each column's total
 * length of the collection the score is relative to (one owner's rows),
 * used instead of the whole table's (xRowCount, xColumnTotalSize); the df
 * then must count within that collection too.
 *
 * Function mlen(chunks_fts, col [, tag]): the length (tokens) of column col
 * of the current row, through the same length cache when tag is given; so
 * SUM(mlen(...)) over one owner's rows gives that owner's column total.
 *
 * Per-connection caches: rag_fts_register() gives each connection a context
 * holding the query tokenizer instance, the column-length cache above and a
 * document-frequency cache (rag_fts_df_get/put; rag_fts_figs_get/put for
 * per-owner figures). Both caches describe one
 * state of the index, checked at every use: when the file's data version
 * moved (another connection committed) or this connection changed rows
 * (sqlite3_total_changes64), the index's structure record (its list of
 * segments, which every index write changes at commit) is read again, and
 * the caches are emptied unless it is the one they were filled under (and
 * always inside a write transaction of this connection). So a chat message
 * or a job's heartbeat leaves them, a chunk written or deleted empties them.
 * The context is freed when the connection closes.
 *
 * rag_fts_query() turns natural-language text into an FTS5 expression that
 * cannot be a syntax error: every word becomes a double-quoted string (so
 * AND, OR, NOT, NEAR, *, ^, :, parentheses and quotes in user text are plain
 * text), stop words (base/stopwords.h) are dropped (unless nothing else remains), and
 * the words are joined with OR.
 *
 * Thread-safety: all functions are reentrant; a connection's context is used
 * under the connection's mutex (and the pool hands a connection to one
 * thread at a time); the registry of contexts has its own lock.
 */
#ifndef MAESTRO_RAG_FTS_H
#define MAESTRO_RAG_FTS_H

#include <sqlite3.h>
#include <stddef.h>

/* Registers the tokenizer "maestro" and the functions "mrank" and "mlen" on db. 0 on success. */
int rag_fts_register(sqlite3 *db);

/* A safe FTS5 MATCH expression for text (malloc'd), or NULL when the text
 * holds no searchable word. max_terms bounds the number of OR'ed terms. */
char *rag_fts_query(const char *text, int max_terms);

/* The searchable words of text (the same split and stop-word rule as
 * rag_fts_query): a NULL-terminated malloc'd array of *n words, or NULL when
 * there is none. Free with rag_fts_words_free. */
char **rag_fts_words(const char *text, int max_terms, size_t *n);
void rag_fts_words_free(char **words);

/* The "maestro" tokenizer without a database (a process-wide instance): the
 * terms of text as the index holds them (query 0: a chunk's field) or as a
 * query word is matched (query 1), each with its position (0, 1, ...: FTS5's
 * token offset in the column). fn (may be NULL) returns non-zero to stop.
 * Returns the number of tokens seen, -1 on error. The SQLite index (FTS5)
 * and the PostgreSQL postings (store/chunks.c) get their terms from this one
 * tokenizer. */
typedef int (*rag_fts_token_fn)(void *ctx, const char *term, size_t len, int pos);
int rag_fts_tokenize(const char *text, size_t len, int query, rag_fts_token_fn fn, void *ctx);

/*
 * BM25F, the one formula behind mrank (SQLite) and the PostgreSQL ranking
 * (store/chunks.c): per field c a weight w[c] and a length normalisation
 * len[c] = 1 - b + b * size[c] / avg[c]; a phrase's weighted frequency is
 * tfw = sum over its instances of w[c] / len[c] (added one instance at a
 * time, in column order); the score is the sum over phrases of
 * idf * tfw * (k1 + 1) / (k1 + tfw), idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
 */
#define RAG_BM25F_MAXCOL 8
typedef struct {
  double k1, b;
  int ncol;
  double w[RAG_BM25F_MAXCOL];
  double avg[RAG_BM25F_MAXCOL]; /* rag_bm25f_avg of each field */
} rag_bm25f_t;
double rag_bm25f_idf(double nrow, double df);
/* A field's average length (total / nrow; 1 when that is not positive). */
double rag_bm25f_avg(double total, double nrow);
/* One row's score: sz[ncol] its field lengths, tf[i * ncol + c] the
 * instances of phrase i in field c; a phrase whose idf[i] is 0 only selects
 * rows and adds nothing. */
double rag_bm25f_score(const rag_bm25f_t *p, const int *sz, int nphrase, const double *idf, const int *tf);

/* The cached number of rows holding the index term (a token as returned by
 * rag_fts_tokenize) on this connection: 1 and *df on a hit, 0 otherwise.
 * rag_fts_df_put stores one (read by the caller in the current state). */
int rag_fts_df_get(sqlite3 *db, const char *term, double *df);
void rag_fts_df_put(sqlite3 *db, const char *term, double df);
/* The same cache for up to 5 figures under a key of the caller's (one that
 * can be no index term, e.g. holding a '\x1f'): 1 and v[0..n) on a hit of
 * n figures, 0 otherwise. Emptied with the document frequencies. */
int rag_fts_figs_get(sqlite3 *db, const char *key, double *v, int n);
void rag_fts_figs_put(sqlite3 *db, const char *key, const double *v, int n);

#endif
