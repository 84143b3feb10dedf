/*
 * stopwords.h - the one list of stop words, per language: function words
 * that say nothing about a text's subject ("the", "which", "그리고", "대한").
 * Every part that picks the content words of a text uses it: query
 * construction for full-text search (store/fts.c), the agents' key terms and
 * support check (agents/text.c), chat's passage terms (chat/chat.c) and the
 * arXiv query (web/scholar.c).
 *
 * Languages: "en" (English function words: articles, pronouns, auxiliaries,
 * prepositions, conjunctions, question words) and "ko" (Korean words that
 * stand alone between spaces: conjunctions, demonstratives, question words,
 * postpositional phrases such as 대한 / 위해 / 통해). A language is chosen
 * per word by its script when none is given: Hangul words against "ko",
 * others against "en".
 *
 * Request words are a second, separate list: the words that phrase a request
 * in a natural-language question ("please", "explain", "describe", "tell",
 * "interested"). They are not stop words of a text (a paper may well be
 * about describing), so only the parts that pick a question's key terms
 * (chat, the arXiv query) drop them. Full-text search keeps them: dropping
 * them lost on one of the development collections (docs/performance.md).
 *
 * Matching ignores ASCII case; a word is given as (pointer, length) and need
 * not be NUL-terminated. Thread-safe (read-only tables).
 */
#ifndef MAESTRO_STOPWORDS_H
#define MAESTRO_STOPWORDS_H

#include <stddef.h>

/* 1 if word is a stop word of lang ("en", "ko"; a region such as "en-GB" is
 * ignored), or, when lang is NULL or empty, of the language of its script. 0
 * for an unknown language. */
int stopword_is(const char *lang, const char *word, size_t len);

/* 1 if word only phrases a request in an English question ("please",
 * "explain", "interested"). */
int stopword_is_request(const char *word, size_t len);

/* 1 when every table is sorted (binary search needs it; for the tests). */
int stopword_tables_sorted(void);

#endif
