/* stopwords.c - per-language stop words; see stopwords.h. */
#include "base/stopwords.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Each table sorted by strcmp (tests check it): looked up by binary search. */

static const char *const EN[] = {
    "a",       "about",   "above",   "after",   "again",    "against",    "all",     "also",   "am",        "an",
    "and",     "any",     "are",     "as",      "at",       "be",         "because", "been",   "before",    "being",
    "below",   "between", "both",    "but",     "by",       "can",        "could",   "did",    "do",        "does",
    "doing",   "down",    "during",  "each",    "else",     "etc",        "few",     "for",    "from",      "further",
    "had",     "has",     "have",    "having",  "he",       "her",        "here",    "hers",   "herself",   "him",
    "himself", "his",     "how",     "however", "i",        "if",         "in",      "into",   "is",        "it",
    "its",     "itself",  "just",    "many",    "may",      "me",         "might",   "more",   "most",      "much",
    "must",    "my",      "myself",  "no",      "nor",      "not",        "now",     "of",     "off",       "on",
    "once",    "one",     "only",    "or",      "other",    "ought",      "our",     "ours",   "ourselves", "out",
    "over",    "own",     "same",    "shall",   "she",      "should",     "so",      "some",   "such",      "than",
    "that",    "the",     "their",   "theirs",  "them",     "themselves", "then",    "there",  "these",     "they",
    "this",    "those",   "through", "thus",    "to",       "too",        "under",   "until",  "up",        "upon",
    "us",      "very",    "was",     "we",      "were",     "what",       "when",    "where",  "whether",   "which",
    "while",   "who",     "whom",    "whose",   "why",      "will",       "with",    "within", "without",   "would",
    "yet",     "you",     "your",    "yours",   "yourself", "yourselves",
};

/* UTF-8 byte order = strcmp order */
static const char *const KO[] = {
    "거의",   "것",     "것은", "것을", "것이", "게다가", "결국",   "곧",     "과연",   "관한",   "관해",   "그",
    "그가",   "그것",   "그게", "그냥", "그는", "그때",   "그래서", "그러나", "그러면", "그런",   "그런데", "그렇지만",
    "그리고", "그의",   "나",   "너",   "누구", "대한",   "대해",   "더",     "때문",   "때문에", "또",     "또는",
    "또한",   "매우",   "모든", "무슨", "무엇", "뭐",     "및",     "바로",   "반면",   "아주",   "어느",   "어디",
    "어떤",   "어떻게", "언제", "왜",   "우리", "위한",   "위해",   "이",     "이것",   "이런",   "이를",   "이와",
    "저",     "저것",   "저런", "저희", "즉",   "통한",   "통해",   "하지만", "혹은",
};

/* words that phrase a request in a question, not its subject */
static const char *const REQUEST[] = {
    "anything", "describe", "explain",   "give", "interested", "know",
    "like",     "please",   "something", "tell", "want",       "wish",
};

static int in_table(const char *const *t, size_t n, const char *w) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(w, t[mid]);
    if (c == 0) return 1;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return 0;
}

/* word lower-cased (ASCII) into low; 0 when too long or empty */
static int lower(const char *word, size_t len, char *low, size_t cap) {
  if (!word || len == 0 || len >= cap) return 0;
  for (size_t i = 0; i < len; i++) low[i] = (char)tolower((unsigned char)word[i]);
  low[len] = '\0';
  return 1;
}

/* 1 when the first character is a Hangul syllable or jamo (UTF-8 EA..ED or E1 84..87, E3 84..86) */
static int hangul_word(const unsigned char *w, size_t len) {
  if (len < 3) return 0;
  unsigned cp = ((unsigned)(w[0] & 0x0F) << 12) | ((unsigned)(w[1] & 0x3F) << 6) | (unsigned)(w[2] & 0x3F);
  if ((w[0] & 0xF0) != 0xE0) return 0;
  return (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F);
}

int stopword_is(const char *lang, const char *word, size_t len) {
  char low[64];
  if (!lower(word, len, low, sizeof low)) return 0;
  int ko;
  if (lang && *lang) {
    if (!strncasecmp(lang, "en", 2) && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'))
      ko = 0;
    else if (!strncasecmp(lang, "ko", 2) && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'))
      ko = 1;
    else
      return 0;
  } else {
    ko = hangul_word((const unsigned char *)low, len);
  }
  return ko ? in_table(KO, sizeof KO / sizeof KO[0], low) : in_table(EN, sizeof EN / sizeof EN[0], low);
}

int stopword_is_request(const char *word, size_t len) {
  char low[32];
  if (!lower(word, len, low, sizeof low)) return 0;
  return in_table(REQUEST, sizeof REQUEST / sizeof REQUEST[0], low);
}

int stopword_tables_sorted(void) {
  const char *const *t[] = {EN, KO, REQUEST};
  size_t n[] = {sizeof EN / sizeof EN[0], sizeof KO / sizeof KO[0], sizeof REQUEST / sizeof REQUEST[0]};
  for (int k = 0; k < 3; k++)
    for (size_t i = 1; i < n[k]; i++)
      if (strcmp(t[k][i - 1], t[k][i]) >= 0) return 0;
  return 1;
}
