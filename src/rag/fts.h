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
 * [, df]): BM25F with tunable k1/b and per-column weights (field-weighted
 * term frequency, per-field length normalisation). It returns a score where
 * larger is better. df, when given, is a blob of one double per phrase of
 * the MATCH expression: the number of rows holding the phrase (the caller
 * read it from the fts5vocab table); a negative entry is counted by mrank
 * itself (a full pass over the phrase's rows, once per query).
 *
 * rag_fts_query() turns natural-language text into an FTS5 expression that
 * cannot be a syntax error: every word becomes a double-quoted string (so
 * AND, OR, NOT, NEAR, *, ^, :, parentheses and quotes in user text are plain
 * text), English stop words are dropped (unless nothing else remains), and
 * the words are joined with OR.
 *
 * Thread-safety: all functions are reentrant; the tokenizer keeps no shared
 * mutable state.
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

/* 1 if word (ASCII, any case) is an English stop word. */
int rag_fts_is_stopword(const char *word, size_t len);

/* 1 if the code point is Hangul, Han, Hiragana or Katakana. */
int rag_is_cjk(unsigned cp);

/* Decodes one UTF-8 code point at s[*i] (n bytes total), advancing *i;
 * an invalid byte decodes as itself (one byte). */
unsigned rag_utf8_next(const char *s, size_t n, size_t *i);

#endif
