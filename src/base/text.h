/*
 * text.h - the text rules every module shares: UTF-8 decoding and encoding,
 * which code points are CJK, where a sentence ends, and HTML character
 * references. One copy of each, so a tokenizer, a token estimate and a quote
 * check agree on what a character, a CJK letter or a sentence is.
 *
 * Pure functions over caller-provided memory: thread-safe, no allocation
 * except through a caller's buf_t.
 */
#ifndef MAESTRO_TEXT_H
#define MAESTRO_TEXT_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"

/* ---- UTF-8 ---- */

/* Decodes the code point at s[*i] (s holds n bytes) and advances *i past it.
 * A byte that does not begin a well-formed sequence (a stray continuation
 * byte, a truncated sequence, an overlong form, a surrogate, a code point
 * past U+10FFFF) decodes as U+FFFD and advances one byte, so decoding always
 * makes progress. *i < n on entry. */
unsigned text_utf8_next(const char *s, size_t n, size_t *i);
/* Writes cp as UTF-8 into out and returns its length (1-4); NUL, surrogates
 * and values past U+10FFFF are written as U+FFFD. */
size_t text_utf8_encode(unsigned long cp, char out[4]);
/* Appends cp as UTF-8 (as text_utf8_encode). */
void text_utf8_put(buf_t *b, unsigned long cp);

/* ---- Scripts ---- */

/* 1 if the code point is a letter of a script written without spaces
 * between words that the tokenizers cut into bigrams: Hangul (syllables and
 * Jamo), Han (with extensions and compatibility ideographs), Hiragana and
 * Katakana (with half-width forms). Punctuation and full-width Latin are not. */
int text_is_cjk(unsigned cp);

/* ---- Sentences ---- */

/* Where a sentence that starts at or after `from` ends in s[0..n): just past
 * the first '.', '!' or '?' followed by whitespace or the end of the text,
 * past an ideographic full stop or full-width '!' / '?', or past a line
 * break (TEXT_SENTENCE_LINES: every line break; otherwise only a blank
 * line, i.e. two line breaks in a row, the end past the first). n when the
 * text ends first. */
enum { TEXT_SENTENCE_LINES = 1 };
size_t text_sentence_end(const char *s, size_t n, size_t from, int flags);

/* Whether s reads as a finished sentence: its last character, past trailing
 * white space, closing quotes and brackets and citation markers ("[3]"), is
 * '.', '!', '?', an ideographic full stop or a full-width '!' / '?'. A
 * heading, a title line or a passage cut mid-sentence is not. */
int text_ends_sentence(const char *s);

/* ---- HTML character references ---- */

/* Decodes the character reference at the start of s (n bytes available):
 * a named one (&amp; &lt; &gt; &quot; &apos; &nbsp; &copy; &mdash; &ndash;
 * &hellip;) or a numeric one (&#233; &#x20AC;, ending in ';'). Writes its
 * UTF-8 into out (NUL-terminated) and returns how many bytes of s it took;
 * 0 when s starts with no reference known here (the caller keeps the text
 * as written). A numeric reference to NUL, a control character other than
 * tab and line breaks, a surrogate or past U+10FFFF gives U+FFFD. With
 * nbsp_space, &nbsp; gives a plain space (text for search), otherwise
 * U+00A0 (text shown as written). */
size_t text_entity_decode(const char *s, size_t n, int nbsp_space, char out[8]);

/* ---- Content tokens and overlap ---- */

/* Content tokens (lowercase words >= 3 letters minus stop words, CJK
 * bigrams) as a JSON array of strings (new reference). */
json_t *text_tokens(const char *text);
/* Share of the sentence's tokens found in evidence, 0..1 (1 when the
 * sentence has no tokens): how well a passage supports a claim. */
double text_support(const char *sentence, const char *evidence);
/* The paragraphs of a page's text ("\n\n"-separated, over 40 bytes) from
 * the one that best supports query, joined up to about max_chars (at most
 * twice that). "" when no paragraph is long enough. malloc'd. */
char *text_best_window(const char *text, const char *query, size_t max_chars);

#endif
