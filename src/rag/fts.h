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
 * [, df [, tag]]): BM25F with tunable k1/b and per-column weights (field-weighted
 * term frequency, per-field length normalisation). It returns a score where
 * larger is better. df, when given, is a blob of one double per phrase of
 * the MATCH expression: the number of rows holding the phrase (the caller
 * read it from the fts5vocab table); -1 is counted by mrank itself (a full
 * pass over the phrase's rows, once per query), and -2 marks a phrase that
 * only selects rows (it adds nothing to the score). tag, when
 * given (the FTS table's name, e.g. 'chunks_fts'), lets mrank keep every
 * ranked row's column lengths in the connection's cache under that name, so
 * a row met again costs no %_docsize lookup; only pass it for one FTS table
 * per connection (another name empties the cache).
 *
 * Per-connection caches: rag_fts_register() gives each connection a context
 * holding the query tokenizer instance, the column-length cache above and a
 * document-frequency cache (rag_fts_df_get/put). Both caches describe one
 * state of the database: they are emptied whenever the file's data version
 * moved (another connection committed) or this connection changed rows
 * (sqlite3_total_changes64), checked at every use. The context is freed
 * when the connection closes.
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

/* Registers the tokenizer "maestro" and the function "mrank" on db. 0 on success. */
int rag_fts_register(sqlite3 *db);

/* A safe FTS5 MATCH expression for text (malloc'd), or NULL when the text
 * holds no searchable word. max_terms bounds the number of OR'ed terms. */
char *rag_fts_query(const char *text, int max_terms);

/* The searchable words of text (the same split and stop-word rule as
 * rag_fts_query): a NULL-terminated malloc'd array of *n words, or NULL when
 * there is none. Free with rag_fts_words_free. */
char **rag_fts_words(const char *text, int max_terms, size_t *n);
void rag_fts_words_free(char **words);

/* Runs the "maestro" tokenizer (query mode) over one word: returns the number
 * of tokens (a CJK word gives several bigrams), with the first token copied
 * into term (termlen bytes); -1 on error. */
int rag_fts_word_tokens(sqlite3 *db, const char *word, size_t len, char *term, size_t termlen);

/* The cached number of rows holding the index term (a token as returned by
 * rag_fts_word_tokens) on this connection: 1 and *df on a hit, 0 otherwise.
 * rag_fts_df_put stores one (read by the caller in the current state). */
int rag_fts_df_get(sqlite3 *db, const char *term, double *df);
void rag_fts_df_put(sqlite3 *db, const char *term, double df);


#endif
