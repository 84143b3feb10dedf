/*
 * guard.c - every model answer is checked before a step commits it.
 *
 * A model that does not follow the script (JSON where prose was asked, the
 * instructions copied back, its own citation style, an answer cut off by the
 * token limit, a reasoning block and nothing else, another language) must
 * not reach the report. Two layers:
 *
 *   normalisers  pure text functions that repair what can be repaired
 *                without guessing: reasoning blocks stripped (llm_strip_think,
 *                the model layer's one rule for them), a JSON wrapper around
 *                prose unwrapped, code fences removed, citations in other
 *                common forms ([note 3], (1), [P2], 【1】, ^1, [^1]) turned
 *                into local [n], numbers of notes that do not exist dropped
 *                and counted, a sentence said twice kept once (with both
 *                sentences' citations);
 *   checks       what cannot be repaired rejects the answer with a reason:
 *                empty, truncated, JSON without prose, an echo of the
 *                instructions (shared word 8-grams), a loop (half the
 *                sentences or more repeats), the wrong script for the
 *                mission's language, no citation where notes exist; and, for
 *                structured answers, the step's own semantic check (section
 *                ids that exist, quality 0..1, questions that are questions).
 *
 * agent_ask() runs a call through both, and on a rejection asks ONCE more
 * with the previous answer and what was wrong with it (the extra messages
 * change the request hash, so the call cache cannot answer the re-ask with
 * the rejected answer). A second rejection returns AGENT_REJECTED: the agent
 * then lets its extractive (offline) counterpart do the step from the
 * verified notes and records it with agent_fallback().
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"
#include "base/util.h"

#define ECHO_N 8      /* words per shingle */
#define ECHO_SHARED 3 /* shared shingles = a verbatim run of ECHO_N + 2 words */
#define LANG_MIN_CHARS 24

/* ---- normalisers ---- */

static const char *skip_ws(const char *p) {
  while (*p && isspace((unsigned char)*p)) p++;
  return p;
}

char *guard_strip_fences(const char *text) {
  const char *p = skip_ws(text ? text : "");
  size_t n = strlen(p);
  while (n && isspace((unsigned char)p[n - 1])) n--;
  if (n < 6 || strncmp(p, "```", 3) != 0 || strncmp(p + n - 3, "```", 3) != 0) return util_strndup(p, n);
  const char *body = strchr(p, '\n');
  if (!body || body >= p + n - 3) return util_strndup(p, n);
  body++;
  char *out = util_strndup(body, (size_t)(p + n - 3 - body));
  util_trim(out);
  return out;
}

/* The prose a JSON answer holds: a string member with a usual name, else the
 * longest string (depth-first) of at least 20 bytes. NULL when none. */
static const char *const PROSE_KEYS[] = {"answer", "text",     "content", "body",   "section", "markdown",
                                         "draft",  "response", "output",  "result", "message"};

static const char *longest_string(json_t *v, size_t *best_len) {
  const char *best = NULL;
  if (json_is_string(v)) {
    if (json_string_length(v) > *best_len) *best_len = json_string_length(v), best = json_string_value(v);
    return best;
  }
  size_t i;
  const char *k;
  json_t *c;
  if (json_is_array(v)) json_array_foreach(v, i, c) {
      const char *s = longest_string(c, best_len);
      if (s) best = s;
    }
  if (json_is_object(v)) json_object_foreach(v, k, c) {
      const char *s = longest_string(c, best_len);
      if (s) best = s;
    }
  return best;
}

char *guard_unwrap_json(const char *text, int *was_json) {
  *was_json = 0;
  if (!text) return util_strdup("");
  char *t = guard_strip_fences(text);
  const char *p = skip_ws(t);
  int fenced_json = !strncmp(skip_ws(text), "```json", 7);
  if (*p != '{' && *p != '[' && !fenced_json) return t;
  size_t n = strlen(p);
  while (n && isspace((unsigned char)p[n - 1])) n--;
  /* "[1] shows ..." is prose that opens with a citation: JSON must end
   * where it began */
  int whole = n && (p[n - 1] == '}' || p[n - 1] == ']');
  json_t *v = whole || fenced_json ? llm_extract_json(t) : NULL;
  if (!v && *p == '{') {
    *was_json = 1; /* broken JSON is no prose either */
    free(t);
    return NULL;
  }
  if (!v) return t;
  *was_json = 1;
  const char *prose = NULL;
  for (size_t i = 0; json_is_object(v) && !prose && i < sizeof PROSE_KEYS / sizeof *PROSE_KEYS; i++) {
    json_t *m = json_object_get(v, PROSE_KEYS[i]);
    if (json_is_string(m) && json_string_length(m)) prose = json_string_value(m);
  }
  size_t len = 19;
  if (!prose) prose = longest_string(v, &len);
  char *out = prose ? guard_strip_fences(prose) : NULL;
  json_decref(v);
  free(t);
  return out;
}

/* Parses the inside of a citation bracket: an optional label ("note",
 * "notes", "source", "ref", "P", "^", "#") then numbers separated by commas,
 * semicolons, "and" or ranges. Fills nums (at most cap) and returns their
 * count, or -1 when the text is not a citation. *labelled says a label was
 * there. */
static int parse_cite(const char *s, size_t n, long *nums, int cap, int *labelled) {
  static const char *const LABELS[] = {"notes", "note", "sources", "source", "refs", "ref", "passage", "p", "^", "#"};
  size_t i = 0;
  *labelled = 0;
  while (i < n && s[i] == ' ') i++;
  for (size_t k = 0; k < sizeof LABELS / sizeof *LABELS; k++) {
    size_t l = strlen(LABELS[k]);
    /* a one-letter label takes the number at once: "P2" is a passage,
     * "p. 12" a page */
    int word = l > 1;
    if (i + l <= n && !strncasecmp(s + i, LABELS[k], l) &&
        (i + l < n && (isdigit((unsigned char)s[i + l]) || (word && (s[i + l] == ' ' || s[i + l] == '.'))))) {
      i += l;
      while (i < n && (s[i] == ' ' || s[i] == '.')) i++;
      *labelled = 1;
      break;
    }
  }
  int count = 0;
  long prev = -1;
  int range = 0;
  while (i < n) {
    if (!isdigit((unsigned char)s[i])) return -1;
    long v = 0;
    while (i < n && isdigit((unsigned char)s[i]) && v < 100000) v = v * 10 + (s[i++] - '0');
    if (i < n && isdigit((unsigned char)s[i])) return -1;
    if (range && prev >= 0 && v > prev && v - prev <= 20) {
      for (long x = prev + 1; x <= v && count < cap; x++) nums[count++] = x;
    } else if (count < cap)
      nums[count++] = v;
    prev = v;
    range = 0;
    while (i < n && s[i] == ' ') i++;
    if (i >= n) break;
    if (s[i] == ',' || s[i] == ';') {
      i++;
    } else if (s[i] == '-') {
      range = 1, i++;
    } else if (i + 3 <= n && !memcmp(s + i, "\xe2\x80\x93", 3)) { /* en dash */
      range = 1, i += 3;
    } else if (i + 3 <= n && !strncasecmp(s + i, "and", 3)) {
      i += 3;
    } else
      return -1;
    while (i < n && (s[i] == ' ' || ((*labelled) && (s[i] == 'P' || s[i] == 'p' || s[i] == '#')))) i++;
    if (i >= n) return -1; /* a dangling separator */
  }
  return count ? count : -1;
}

/* Appends the valid numbers as [n] markers; counts the others. */
static void emit_cites(buf_t *b, const long *nums, int k, size_t nnotes, int *valid, int *dropped) {
  for (int i = 0; i < k; i++) {
    if (nums[i] >= 1 && (size_t)nums[i] <= nnotes) {
      buf_printf(b, "[%ld]", nums[i]);
      (*valid)++;
    } else
      (*dropped)++;
  }
}

char *guard_citations(const char *text, size_t nnotes, int *valid, int *dropped) {
  *valid = *dropped = 0;
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = text ? text : "";
  long nums[64];
  while (*p) {
    /* [n], [note 3], [P2], [^1], [1, 2], [1-3]; [#NOTEID] markers are kept */
    /* 【n】 (U+3010 / U+3011) */
    int fw = !strncmp(p, "\xe3\x80\x90", 3);
    if (*p == '[' || fw) {
      const char *in = p + (fw ? 3 : 1);
      const char *close = fw ? strstr(in, "\xe3\x80\x91") : strchr(in, ']');
      int lab = 0;
      int k = close && close - in <= 80 ? parse_cite(in, (size_t)(close - in), nums, 64, &lab) : -1;
      int hex_id = !fw && in[0] == '#' && close && close - in == 17;
      if (k > 0 && !hex_id && !(close[fw ? 3 : 1] == '(' && !fw)) {
        emit_cites(&b, nums, k, nnotes, valid, dropped);
        p = close + (fw ? 3 : 1);
        continue;
      }
    }
    /* (1), (1, 2), (note 1), (P2): bare numbers only when all exist and the
     * parenthesis is not a list number at the start of a line (years and
     * enumerations stay as written) */
    if (*p == '(') {
      const char *close = strchr(p + 1, ')');
      int lab = 0;
      int k = close && close - p <= 40 ? parse_cite(p + 1, (size_t)(close - p - 1), nums, 64, &lab) : -1;
      int all_in = k > 0;
      for (int i = 0; i < k; i++)
        if (nums[i] < 1 || (size_t)nums[i] > nnotes) all_in = 0;
      int line_start = b.len == 0 || b.data[b.len - 1] == '\n';
      if (k > 0 && (lab || (all_in && !line_start))) {
        while (b.len && b.data[b.len - 1] == ' ') b.len--, b.data[b.len] = 0;
        int any = 0;
        for (int i = 0; i < k; i++) any |= nums[i] >= 1 && (size_t)nums[i] <= nnotes;
        if (any) buf_putc(&b, ' ');
        emit_cites(&b, nums, k, nnotes, valid, dropped);
        p = close + 1;
        continue;
      }
    }
    /* ^1 after a word or punctuation (not 10^6) */
    if (*p == '^' && isdigit((unsigned char)p[1]) && b.len && !isdigit((unsigned char)b.data[b.len - 1])) {
      const char *e = p + 1;
      long v = 0;
      while (isdigit((unsigned char)*e) && v < 100000) v = v * 10 + (*e++ - '0');
      emit_cites(&b, &v, 1, nnotes, valid, dropped);
      p = e;
      continue;
    }
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

/* ---- repeated sentences ---- */

#define REPEAT_MIN_WORDS 5 /* shorter sentences ("Yes.", table cells) may repeat */
#define REPEAT_MAX 512     /* sentences looked at; a longer text keeps the rest as is */
#define REPEAT_LOOP_MIN 3  /* this many repeats, half the sentences or more: a loop, rejected */

typedef struct {
  size_t start, end; /* the sentence's bytes, leading white space included */
  uint64_t key;      /* hash of its lowercase words, citation markers left out */
  int words;
  int dropped;
  buf_t extra; /* "[n]" markers a dropped repeat had and this one lacks */
} sentence_t;

/* Hash and word count of s[a..b): letters and digits, lowercased, one space
 * between words; "[n]" markers skipped. */
static uint64_t sentence_key(const char *s, size_t a, size_t b, int *words) {
  uint64_t h = 1469598103934665603ULL;
  int in_word = 0;
  *words = 0;
  for (size_t i = a; i < b; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '[') {
      size_t j = i + 1;
      while (j < b && isdigit((unsigned char)s[j])) j++;
      if (j > i + 1 && j < b && s[j] == ']') {
        i = j;
        continue;
      }
    }
    if (isalnum(c) || c >= 0x80) {
      if (!in_word && *words) h = (h ^ ' ') * 1099511628211ULL;
      if (!in_word) (*words)++;
      in_word = 1;
      h = (h ^ (uint64_t)tolower(c)) * 1099511628211ULL;
    } else
      in_word = 0;
  }
  return h;
}

/* 1 when sentence s[a..b) carries the marker "[n]". */
static int has_marker(const char *s, size_t a, size_t b, const char *marker, size_t ml) {
  for (size_t i = a; i + ml <= b; i++)
    if (!memcmp(s + i, marker, ml)) return 1;
  return 0;
}

char *guard_repeats(const char *text, int *removed, int *considered) {
  *removed = *considered = 0;
  size_t n = strlen(text), ns = 0;
  sentence_t *sv = calloc(REPEAT_MAX, sizeof *sv);
  if (!sv) return util_strdup(text);
  size_t pos = 0;
  while (pos < n && ns < REPEAT_MAX) {
    size_t end = text_sentence_end(text, n, pos, 0);
    if (end <= pos) end = n;
    sentence_t *x = &sv[ns++];
    x->start = pos, x->end = end;
    x->key = sentence_key(text, pos, end, &x->words);
    buf_init(&x->extra);
    pos = end;
  }
  for (size_t i = 0; i < ns; i++) {
    sentence_t *x = &sv[i];
    const char *first = text + x->start + strspn(text + x->start, " \t\r\n");
    if (x->words < REPEAT_MIN_WORDS || *first == '#' ||
        memchr(first, '|', x->end - (size_t)(first - text)))
      continue;
    (*considered)++;
    for (size_t j = 0; j < i; j++) {
      sentence_t *o = &sv[j];
      if (o->dropped || o->key != x->key || o->words != x->words) continue;
      /* the repeat's citations the first lacks move to the first */
      for (size_t k = x->start; k < x->end; k++) {
        if (text[k] != '[') continue;
        size_t e = k + 1;
        while (e < x->end && isdigit((unsigned char)text[e])) e++;
        if (e == k + 1 || e >= x->end || text[e] != ']') continue;
        size_t ml = e + 1 - k;
        if (!has_marker(text, o->start, o->end, text + k, ml) &&
            !(o->extra.len && has_marker(o->extra.data, 0, o->extra.len, text + k, ml)))
          buf_append(&o->extra, text + k, ml);
      }
      x->dropped = 1;
      (*removed)++;
      break;
    }
  }
  buf_t b = BUF_INIT;
  buf_init(&b);
  int trim_lead = 0; /* a dropped sentence left its paragraph break: the next one's spaces go */
  for (size_t i = 0; i < ns; i++) {
    sentence_t *x = &sv[i];
    size_t lead = strspn(text + x->start, " \t\r\n"), start = x->start;
    if (lead > x->end - x->start) lead = x->end - x->start;
    if (x->dropped) {
      /* keep the paragraph breaks around the dropped sentence */
      if (memchr(text + x->start, '\n', lead)) buf_append(&b, text + x->start, lead), trim_lead = 1;
      size_t e = x->end;
      while (e > x->start + lead && (text[e - 1] == '\n' || text[e - 1] == '\r')) e--;
      if (e < x->end) buf_append(&b, text + e, x->end - e), trim_lead = 1;
      buf_free(&x->extra);
      continue;
    }
    if (trim_lead)
      while (start < x->end && (text[start] == ' ' || text[start] == '\t')) start++;
    trim_lead = 0;
    if (x->extra.len) {
      /* "claim [1]." + "[2]" -> "claim [1][2]." */
      size_t e = x->end;
      while (e > start && isspace((unsigned char)text[e - 1])) e--;
      size_t p = e;
      while (p > start && strchr(".!?", text[p - 1])) p--;
      buf_append(&b, text + start, p - start);
      buf_append(&b, x->extra.data, x->extra.len);
      buf_append(&b, text + p, x->end - p);
    } else
      buf_append(&b, text + start, x->end - start);
    buf_free(&x->extra);
  }
  if (pos < n) buf_append(&b, text + pos, n - pos);
  free(sv);
  return buf_detach(&b, NULL);
}

/* ---- checks ---- */

/* FNV-1a hashes of the lowercase word 8-grams of a text. */
static uint64_t *shingles(const char *text, size_t *n) {
  size_t cap = 64, nw = 0;
  uint64_t *words = malloc(cap * sizeof *words);
  if (!words) abort();
  const unsigned char *p = (const unsigned char *)(text ? text : "");
  while (*p) {
    while (*p && !(isalnum(*p) || *p >= 0x80)) p++;
    if (!*p) break;
    uint64_t h = 1469598103934665603ULL;
    while (*p && (isalnum(*p) || *p >= 0x80)) h = (h ^ (uint64_t)tolower(*p++)) * 1099511628211ULL;
    if (nw == cap) {
      cap *= 2;
      words = realloc(words, cap * sizeof *words);
      if (!words) abort();
    }
    words[nw++] = h;
  }
  *n = nw >= ECHO_N ? nw - ECHO_N + 1 : 0;
  uint64_t *out = malloc((*n ? *n : 1) * sizeof *out);
  if (!out) abort();
  for (size_t i = 0; i < *n; i++) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < ECHO_N; k++) h = (h ^ words[i + k]) * 1099511628211ULL;
    out[i] = h;
  }
  free(words);
  return out;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int guard_echo(const char *answer, const char *instructions) {
  if (!answer || !instructions) return 0;
  size_t ni, na;
  uint64_t *si = shingles(instructions, &ni), *sa = shingles(answer, &na);
  qsort(si, ni, sizeof *si, cmp_u64);
  size_t shared = 0;
  for (size_t i = 0; i < na && ni; i++)
    if (bsearch(&sa[i], si, ni, sizeof *si, cmp_u64)) shared++;
  free(si);
  free(sa);
  return shared >= ECHO_SHARED;
}

int guard_language_ok(const char *text, const char *language) {
  if (!language || !language[0] || !text) return 1;
  char *plain = agent_strip_markers(text);
  size_t letters = 0;
  for (const unsigned char *p = (const unsigned char *)plain; *p; p++)
    if (isalpha(*p) || *p >= 0xC0) letters++; /* UTF-8 lead bytes count once per character */
  const char *got = agent_detect_language(plain);
  free(plain);
  if (letters < LANG_MIN_CHARS) return 1;
  int want_cjk = !strcmp(language, "ko") || !strcmp(language, "ja") || !strcmp(language, "zh");
  /* the detector tells scripts apart, not Latin languages: Japanese without
   * kana reads as Chinese, so the two accept each other */
  if (!want_cjk) return !strcmp(got, "en");
  if (!strcmp(language, "ko")) return !strcmp(got, "ko");
  return !strcmp(got, "ja") || !strcmp(got, "zh");
}

int guard_is_question(const char *q, const char *language) {
  (void)language;
  if (!q) return 0;
  char *t = util_strdup(q);
  util_trim(t);
  size_t n = strlen(t);
  int ok = 0;
  if (n >= 3) {
    /* '?' or the full-width '？' ends a question in every script */
    ok = t[n - 1] == '?' || (n >= 3 && !strcmp(t + n - 3, "\xef\xbc\x9f"));
    static const char *const WH[] = {"what",   "which", "who",  "whom", "whose", "when",    "where",  "why", "how",
                                     "is",     "are",   "was",  "were", "do",    "does",    "did",    "can", "could",
                                     "should", "would", "will", "has",  "have",  "to what", "in what"};
    for (size_t i = 0; !ok && i < sizeof WH / sizeof *WH; i++) {
      size_t l = strlen(WH[i]);
      if (!strncasecmp(t, WH[i], l) && (t[l] == ' ' || t[l] == ',')) ok = 1;
    }
    /* CJK questions often end without a mark ("...인가", "...か", "...吗");
     * any CJK text of some length is accepted */
    if (!ok) {
      size_t high = 0;
      for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if (*p >= 0xE0) high++;
      ok = high >= 4;
    }
  }
  free(t);
  return ok;
}

int guard_prose(const char *answer, const guard_prose_t *g, char **out, int *dropped, char *why, size_t whylen) {
  *out = NULL;
  *dropped = 0;
  if (why && whylen) why[0] = 0;
  if (g->finish_reason && !strcmp(g->finish_reason, "length")) {
    snprintf(why, whylen, "it was cut off by the token limit; write a shorter text that ends properly");
    return -1;
  }
  char *t = llm_strip_think(answer);
  if (!t[0]) {
    free(t);
    snprintf(why, whylen, "it was empty (or only a reasoning block)");
    return -1;
  }
  int was_json = 0;
  char *u = guard_unwrap_json(t, &was_json);
  free(t);
  if (!u) {
    snprintf(why, whylen, "it was a JSON object, not Markdown prose");
    return -1;
  }
  util_trim(u);
  if (!u[0]) {
    free(u);
    snprintf(why, whylen, "it was empty (or only a reasoning block)");
    return -1;
  }
  if (guard_echo(u, g->instructions)) {
    free(u);
    snprintf(why, whylen, "it repeated the instructions instead of writing the text");
    return -1;
  }
  int valid = 0;
  char *c = guard_citations(u, g->nnotes, &valid, dropped);
  free(u);
  if (!guard_language_ok(c, g->language)) {
    free(c);
    snprintf(why, whylen, "it is not written in the report's language (%s)", g->language);
    return -1;
  }
  if (g->need_citation && g->nnotes && !valid) {
    free(c);
    snprintf(why, whylen, "it cites none of the numbered notes; cite them by number in square brackets, e.g. [1]");
    return -1;
  }
  int removed = 0, considered = 0;
  char *r = guard_repeats(c, &removed, &considered);
  free(c);
  if (removed >= REPEAT_LOOP_MIN && removed * 2 >= considered) {
    free(r);
    snprintf(why, whylen,
             "it said the same sentences over and over (%d of %d sentences were repeats); state each point once",
             removed, considered);
    return -1;
  }
  if (removed) log_info("guard", "%d repeated sentence(s) dropped from an answer", removed);
  *out = r;
  return 0;
}

/* ---- the guarded call ---- */

static int is_reasked_code(int rc) {
  return rc == LLM_ERR_INVALID_JSON;
}

int agent_ask(mrun_t *m, const agent_ask_t *a, json_t **json, char **text, int *dropped, store_mevs_t *evs, char *why,
              size_t whylen, char *err, size_t errlen) {
  if (json) *json = NULL;
  if (text) *text = NULL;
  if (dropped) *dropped = 0;
  why[0] = 0;
  char *prev = NULL;
  char complaint[600] = "";
  for (int attempt = 0; attempt < 2; attempt++) {
    agent_retry_t retry = {prev, complaint};
    agent_reply_t info = {0};
    json_t *j = NULL;
    char *raw = NULL;
    size_t before = evs->n;
    int rc = agent_call_ex(m, a->role, a->tier, a->vars, a->user, attempt ? &retry : NULL, a->schema,
                           a->schema ? &j : NULL, &raw, a->action, evs, &info, err, errlen);
    if (rc != LLM_OK && !is_reasked_code(rc)) {
      free(prev);
      free(info.system);
      return rc;
    }
    int ok = 0;
    char *norm = NULL;
    int drop = 0;
    if (rc != LLM_OK) {
      /* the model layer already re-asked for valid JSON once */
      snprintf(why, whylen, "%s", err);
      attempt = 1;
    } else if (!strcmp(info.finish_reason, "length")) {
      snprintf(why, whylen, "it was cut off by the token limit; answer more briefly");
    } else if (!a->schema) {
      guard_prose_t g = a->prose;
      g.instructions = info.system;
      g.language = m->language;
      ok = guard_prose(raw, &g, &norm, &drop, why, whylen) == 0;
    } else {
      ok = !a->check || a->check(m, info.system, j, a->ud, why, whylen) == 0;
    }
    free(info.system);
    if (ok) {
      free(prev);
      if (json)
        *json = j;
      else
        json_decref(j);
      if (text) {
        *text = norm ? norm : raw;
        if (norm) free(raw);
      } else {
        free(norm);
        free(raw);
      }
      if (dropped) *dropped = drop;
      return LLM_OK;
    }
    free(norm);
    json_decref(j);
    log_info("agents", "mission %s: %s answer rejected (%s)%s", m->id, a->role, why,
             attempt ? "; falling back" : "; asking again");
    /* the activity log says why the answer was not used */
    if (evs->n > before && evs->v[evs->n - 1].data)
      json_object_set_new(evs->v[evs->n - 1].data, "rejected", json_string(why));
    free(prev);
    prev = raw ? raw : util_strdup("");
    snprintf(complaint, sizeof complaint, "%s", why);
  }
  free(prev);
  return AGENT_REJECTED;
}

void agent_fallback(mrun_t *m, const char *role, const char *section_id, const char *what, const char *why,
                    store_mevs_t *evs) {
  mrun_warn(m, "fallback", section_id, 0,
            "The %s's answer for %s could not be used (%s): the extractive agent wrote it from the verified notes",
            role, what, why && why[0] ? why : "no usable answer");
  store_mevs_add(evs, "agent_log",
                 json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:b, s:b, s:s}", "agent", role, "action", what, "model",
                           "extractive", "tokens", 0, "cost", 0.0, "duration_ms", (json_int_t)0, "cached", 0,
                           "fallback", 1, "reason", why && why[0] ? why : "no usable answer"));
}
