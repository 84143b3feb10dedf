/* chat.c - chat with documents; see chat.h and docs/chat.md. */
#include "chat/chat.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/stopwords.h"
#include "base/text.h"
#include "base/util.h"
#include "events/events.h"
#include "llm/llm.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/missions.h"
#include "web/web.h"

#define CHAT_PASSAGES 6     /* passages retrieved per question */
#define CHAT_PER_DOCUMENT 3 /* at most this many from one document */
#define CHAT_HISTORY 8      /* earlier messages (4 turns) given to the model */
#define PASSAGE_MAX_CHARS 1500
#define HISTORY_MAX_CHARS 2000
#define TITLE_MAX 60
#define TOKEN_FLUSH_BYTES 4096 /* token events coalesce pieces up to this size... */
#define TOKEN_FLUSH_MS 100     /* ...or this age (a long answer is a few events a second) */
#define EXTRACT_PASSAGES 3
#define EXTRACT_SENTENCES 2
#define EXTRACT_QUOTE_MAX 600
#define CHAT_QUEUE_MAX 256 /* questions waiting for a worker */

static const char *SYSTEM_PROMPT =
    "You are Maestro, a research assistant answering questions about the user's own documents.\n"
    "Rules:\n"
    "- Use only the numbered passages given with the question; do not add outside knowledge.\n"
    "- Cite the passage behind every statement with its number in square brackets right after the "
    "statement, like [1] or [2][3].\n"
    "- Cite only passage numbers that were given.\n"
    "- If the passages do not answer the question, say so briefly.\n"
    "- Answer in the language of the question, concisely, in Markdown.";

/* ---------- citations ---------- */

/* Parses a citation marker starting at s[0] == '['. On success returns its
 * length (through ']') and fills nums (up to max); 0 when it is not one. */
static size_t parse_marker(const char *s, int *nums, size_t max, size_t *n) {
  static const char *words[] = {"passages", "passage", "sources", "source", "refs", "ref", NULL};
  size_t i = 1;
  *n = 0;
  for (;;) {
    while (s[i] == ' ') i++;
    for (int w = 0; words[w]; w++) {
      size_t wl = strlen(words[w]);
      if (strncasecmp(s + i, words[w], wl) == 0) {
        i += wl;
        while (s[i] == ' ' || s[i] == '#') i++;
        break;
      }
    }
    if (!isdigit((unsigned char)s[i])) return 0;
    long a = 0;
    size_t d = 0;
    while (isdigit((unsigned char)s[i]) && d < 5) a = a * 10 + (s[i++] - '0'), d++;
    if (isdigit((unsigned char)s[i])) return 0;
    long b = a;
    while (s[i] == ' ') i++;
    if (s[i] == '-') {
      i++;
      while (s[i] == ' ') i++;
      if (!isdigit((unsigned char)s[i])) return 0;
      b = 0;
      d = 0;
      while (isdigit((unsigned char)s[i]) && d < 5) b = b * 10 + (s[i++] - '0'), d++;
      if (isdigit((unsigned char)s[i]) || b < a || b - a > 50) return 0;
      while (s[i] == ' ') i++;
    }
    for (long v = a; v <= b && *n < max; v++) nums[(*n)++] = (int)v;
    if (s[i] == ']') return i + 1;
    if (s[i] != ',' && s[i] != ';') return 0;
    i++;
  }
}

char *chat_cite_renumber(const char *text, size_t npassages, int *cited, size_t *ncited) {
  buf_t out = BUF_INIT;
  buf_init(&out);
  int *map = calloc(npassages + 1, sizeof *map);
  if (!map) abort();
  size_t k = 0;
  for (size_t i = 0; text[i];) {
    int nums[64];
    size_t n = 0, len = text[i] == '[' ? parse_marker(text + i, nums, 64, &n) : 0;
    if (!len) {
      buf_putc(&out, text[i++]);
      continue;
    }
    int wrote = 0;
    for (size_t j = 0; j < n; j++) {
      int v = nums[j];
      if (v < 1 || (size_t)v > npassages) continue;
      if (!map[v]) {
        map[v] = (int)++k;
        cited[k - 1] = v;
      }
      int dup = 0;
      for (size_t q = 0; q < j; q++) dup |= nums[q] == v;
      if (dup) continue;
      buf_printf(&out, "[%d]", map[v]);
      wrote = 1;
    }
    i += len;
    /* a dropped marker takes the space before it when punctuation or the end follows */
    char next = text[i];
    if (!wrote && out.len && out.data[out.len - 1] == ' ' &&
        (next == '\0' || next == '\n' || next == ' ' || strchr(".,;:!?)", next)))
      buf_truncate(&out, out.len - 1);
  }
  free(map);
  *ncited = k;
  return buf_detach(&out, NULL);
}

/* ---------- passages and the extractive answer ---------- */

char *chat_format_passages(const rag_hit_t *hits, size_t n, size_t max_chars) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  for (size_t i = 0; i < n; i++) {
    const rag_hit_t *h = &hits[i];
    const char *title = h->title && h->title[0] ? h->title : h->filename ? h->filename : "untitled";
    buf_printf(&b, "%s[%zu] %s", i ? "\n\n" : "", i + 1, title);
    int same = h->filename && strcmp(title, h->filename) == 0;
    if (h->filename && !same && h->page > 0)
      buf_printf(&b, " (%s, p. %d)", h->filename, h->page);
    else if (h->filename && !same)
      buf_printf(&b, " (%s)", h->filename);
    else if (h->page > 0)
      buf_printf(&b, " (p. %d)", h->page);
    if (h->heading && h->heading[0]) buf_printf(&b, " - %s", h->heading);
    buf_putc(&b, '\n');
    const char *t = h->text ? h->text : "";
    size_t len = strlen(t);
    if (len > max_chars) {
      buf_append(&b, t, util_utf8_floor(t, max_chars));
      buf_puts(&b, " ...");
    } else {
      buf_append(&b, t, len);
    }
  }
  return buf_detach(&b, NULL);
}

typedef struct {
  char t[64][48];
  size_t n;
} terms_t;

/* Query terms: ASCII words (>= 3 letters, not stop words) lowercased, and
 * non-ASCII words cut to their first two syllables-ish (6 bytes) so Korean
 * particles do not prevent a match. */
static void query_terms(const char *q, terms_t *out) {
  out->n = 0;
  for (size_t i = 0; q[i] && out->n < 64;) {
    unsigned char c = (unsigned char)q[i];
    if (!(isalnum(c) || c >= 0x80)) {
      i++;
      continue;
    }
    size_t start = i;
    int ascii = 1;
    while (q[i] && (isalnum((unsigned char)q[i]) || (unsigned char)q[i] >= 0x80)) {
      if ((unsigned char)q[i] >= 0x80) ascii = 0;
      i++;
    }
    size_t len = i - start;
    if (ascii && len < 3) continue;
    if (!ascii && len > 6) len = util_utf8_floor(q + start, 6);
    if (len >= sizeof out->t[0]) len = sizeof out->t[0] - 1;
    char w[48];
    for (size_t j = 0; j < len; j++) w[j] = (char)tolower((unsigned char)q[start + j]);
    w[len] = 0;
    int skip = 0;
    skip = stopword_is(NULL, w, len) || stopword_is_request(w, len);
    for (size_t s = 0; s < out->n && !skip; s++) skip = strcmp(w, out->t[s]) == 0;
    if (!skip) memcpy(out->t[out->n++], w, len + 1);
  }
}

static int contains_ci(const char *s, size_t n, const char *w) {
  size_t wl = strlen(w);
  for (size_t i = 0; i + wl <= n; i++)
    if (strncasecmp(s + i, w, wl) == 0) return 1;
  return 0;
}

typedef struct {
  size_t start, end;
  int score;
} sent_t;

/* Splits text into sentences (text_sentence_end: a blank line ends one too);
 * at most max. */
static size_t split_sentences(const char *t, sent_t *out, size_t max) {
  size_t n = 0, len = strlen(t), start = 0;
  while (start < len && isspace((unsigned char)t[start])) start++;
  while (start < len && n < max) {
    size_t end = text_sentence_end(t, len, start, 0);
    out[n++] = (sent_t){start, end, 0};
    start = end;
    while (start < len && isspace((unsigned char)t[start])) start++;
  }
  return n;
}

/* Appends text[a,b) with whitespace runs collapsed to one space. */
static void put_collapsed(buf_t *b, const char *t, size_t a, size_t e) {
  int space = 0;
  for (size_t i = a; i < e; i++) {
    if (isspace((unsigned char)t[i])) {
      space = 1;
      continue;
    }
    if (space && b->len && b->data[b->len - 1] != ' ') buf_putc(b, ' ');
    space = 0;
    buf_putc(b, t[i]);
  }
}

char *chat_extractive_answer(const char *question, const rag_hit_t *hits, size_t n) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (n == 0) {
    buf_puts(&b,
             "*Extractive answer (no language model is configured).* No passage of your library matches "
             "this question.");
    return buf_detach(&b, NULL);
  }
  buf_puts(&b,
           "*Extractive answer (no language model is configured): the passages of your library most "
           "relevant to the question, quoted verbatim.*\n");
  terms_t terms;
  query_terms(question, &terms);
  size_t np = n < EXTRACT_PASSAGES ? n : EXTRACT_PASSAGES;
  for (size_t p = 0; p < np; p++) {
    const char *t = hits[p].text ? hits[p].text : "";
    sent_t s[256];
    size_t ns = split_sentences(t, s, 256);
    if (!ns) continue;
    for (size_t i = 0; i < ns; i++)
      for (size_t w = 0; w < terms.n; w++) s[i].score += contains_ci(t + s[i].start, s[i].end - s[i].start, terms.t[w]);
    /* the best sentences (ties: the earlier), shown in text order */
    int pick[EXTRACT_SENTENCES];
    size_t npick = 0;
    for (size_t k = 0; k < EXTRACT_SENTENCES; k++) {
      int best = -1;
      for (size_t i = 0; i < ns; i++) {
        int used = 0;
        for (size_t q = 0; q < npick; q++) used |= pick[q] == (int)i;
        if (!used && s[i].score > 0 && (best < 0 || s[i].score > s[best].score)) best = (int)i;
      }
      if (best < 0) break;
      pick[npick++] = best;
    }
    if (!npick) pick[npick++] = 0;
    if (npick == 2 && pick[0] > pick[1]) {
      int x = pick[0];
      pick[0] = pick[1];
      pick[1] = x;
    }
    buf_t q = BUF_INIT;
    buf_init(&q);
    for (size_t k = 0; k < npick; k++) {
      if (k) buf_puts(&q, k && pick[k] == pick[k - 1] + 1 ? " " : " ... ");
      put_collapsed(&q, t, s[pick[k]].start, s[pick[k]].end);
    }
    if (q.len > EXTRACT_QUOTE_MAX) {
      buf_truncate(&q, util_utf8_floor(q.data, EXTRACT_QUOTE_MAX));
      buf_puts(&q, " ...");
    }
    buf_printf(&b, "\n> %s [%zu]\n", q.data ? q.data : "", p + 1);
    buf_free(&q);
  }
  return buf_detach(&b, NULL);
}

/* ---------- events ---------- */

static void publish(events_t *events, const char *channel, const char *event, json_t *data) {
  if (events_publish(events, channel, event, data, NULL) != 0)
    log_warn("chat", "could not publish %s on %s", event, channel);
  json_decref(data);
}

static void stream_flush(chat_stream_t *s, int all) {
  if (!s->pending.len) return;
  size_t n = all ? s->pending.len : util_utf8_floor(s->pending.data, s->pending.len);
  if (!n) return;
  if (util_utf8_valid(s->pending.data, n))
    publish(s->events, s->channel, "token", json_pack("{s:s%}", "text", s->pending.data, n));
  memmove(s->pending.data, s->pending.data + n, s->pending.len - n);
  buf_truncate(&s->pending, s->pending.len - n);
  s->last_ms = util_mono_ms();
}

void chat_stream_init(chat_stream_t *s, events_t *events, const char *channel) {
  memset(s, 0, sizeof *s);
  s->events = events;
  snprintf(s->channel, sizeof s->channel, "%s", channel);
  buf_init(&s->pending);
  s->last_ms = util_mono_ms();
}

int chat_stream_token(void *ud, const char *text, size_t len) {
  chat_stream_t *s = ud;
  if (!text) { /* the model's answer restarts: clients drop what they have */
    buf_reset(&s->pending);
    publish(s->events, s->channel, "reset", json_object());
    return 0;
  }
  buf_append(&s->pending, text, len);
  if (s->pending.len >= TOKEN_FLUSH_BYTES || util_mono_ms() - s->last_ms >= TOKEN_FLUSH_MS) stream_flush(s, 0);
  return 0;
}

void chat_stream_finish(chat_stream_t *s) {
  if (!s) return;
  stream_flush(s, 1);
  buf_free(&s->pending);
}

/* ---------- answering ---------- */

/* A title from the first question: whitespace collapsed, cut near TITLE_MAX. */
static char *title_from(const char *q) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  put_collapsed(&b, q, 0, strlen(q));
  if (b.len > TITLE_MAX) {
    buf_truncate(&b, util_utf8_floor(b.data, TITLE_MAX));
    buf_puts(&b, "...");
  }
  return buf_detach(&b, NULL);
}

/* A web passage (web_gather, a web note) has no document: its URL is in filename. */
static int hit_is_web(const rag_hit_t *h) {
  return !h->document_id[0];
}

static json_t *passage_json(const rag_hit_t *h, int n, int with_text) {
  if (hit_is_web(h)) {
    json_t *o = json_pack("{s:i, s:s, s:s, s:s}", "n", n, "type", "web", "url", h->filename ? h->filename : "", "title",
                          h->title ? h->title : "");
    if (with_text) json_object_set_new(o, "text", json_string(h->text ? h->text : ""));
    return o;
  }
  char cid[32];
  snprintf(cid, sizeof cid, "%lld", (long long)h->chunk_id);
  json_t *o =
      json_pack("{s:i, s:s, s:s, s:s, s:i, s:s}", "n", n, "document_id", h->document_id, "title",
                h->title ? h->title : "", "filename", h->filename ? h->filename : "", "page", h->page, "chunk_id", cid);
  if (with_text) json_object_set_new(o, "text", json_string(h->text ? h->text : ""));
  if (h->heading && h->heading[0]) json_object_set_new(o, "heading", json_string(h->heading));
  return o;
}

/* Retrieval: the question, and when it finds nothing and follow_up is set,
 * the question with the previous one (follow-ups like "and its cost?"; only
 * with a model, which can tell that the passages do not answer). */
static int retrieve(const chat_deps_t *d, const char *user_id, const char *group_id, const char *question, json_t *history,
                    int follow_up, rag_results_t *res, char *err, size_t errlen) {
  rag_query_t q;
  rag_query_init(&q);
  q.user_id = user_id;
  q.group_id = group_id[0] ? group_id : NULL;
  q.query = question;
  q.k = CHAT_PASSAGES;
  q.per_document = CHAT_PER_DOCUMENT;
  if (rag_search(d->rag, &q, res, err, errlen) != 0) return -1;
  if (res->n || !follow_up) return 0;
  const char *prev = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(history, i, m) if (!strcmp(json_string_value(json_object_get(m, "role")), "user")) prev =
      json_string_value(json_object_get(m, "content"));
  if (!prev) return 0;
  buf_t both = BUF_INIT;
  buf_init(&both);
  buf_printf(&both, "%s %s", prev, question);
  rag_results_free(res);
  q.query = both.data;
  int rc = rag_search(d->rag, &q, res, err, errlen);
  buf_free(&both);
  return rc;
}

/* Moves src's hits to the end of dst while dst has fewer than max, skipping
 * chunks dst already has; src is left empty. */
static void hits_append(rag_results_t *dst, rag_results_t *src, size_t max) {
  for (size_t i = 0; i < src->n; i++) {
    int dup = 0;
    for (size_t j = 0; j < dst->n && src->hits[i].chunk_id; j++) dup |= dst->hits[j].chunk_id == src->hits[i].chunk_id;
    if (dup || dst->n >= max) {
      rag_hit_clear(&src->hits[i]);
      continue;
    }
    rag_hit_t *h = realloc(dst->hits, (dst->n + 1) * sizeof *h);
    if (!h) abort();
    dst->hits = h;
    dst->hits[dst->n++] = src->hits[i];
    memset(&src->hits[i], 0, sizeof src->hits[i]);
  }
  free(src->hits);
  src->hits = NULL;
  src->n = 0;
}

/* A new hit at the end of res (zeroed). */
static rag_hit_t *hit_add(rag_results_t *res) {
  rag_hit_t *h = realloc(res->hits, (res->n + 1) * sizeof *h);
  if (!h) abort();
  res->hits = h;
  h = &res->hits[res->n++];
  memset(h, 0, sizeof *h);
  return h;
}

/* The mission's notes that match the question, best first, at most
 * CHAT_PASSAGES (chat.h, "mission_id"): a note's passage is what the
 * researcher recorded and the quote it rests on, under its source. */
static size_t notes_retrieve(const chat_deps_t *d, const char *user_id, const char *mission_id, const char *question,
                             rag_results_t *out) {
  json_t *m = NULL;
  if (store_mission_get(d->store, user_id, mission_id, &m) != STORE_OK) return 0;
  json_decref(m);
  json_t *notes = store_mission_notes(d->store, mission_id, NULL);
  terms_t terms;
  query_terms(question, &terms);
  size_t nn = json_array_size(notes);
  int *score = calloc(nn + 1, sizeof *score);
  if (!score) abort();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *f[] = {"content", "quote", "source_title"};
    for (size_t w = 0; w < terms.n; w++)
      for (int k = 0; k < 3; k++) {
        const char *v = json_string_value(json_object_get(n, f[k]));
        if (v && contains_ci(v, strlen(v), terms.t[w])) {
          score[i]++;
          break;
        }
      }
  }
  size_t got = 0;
  while (got < CHAT_PASSAGES) {
    size_t best = nn;
    for (i = 0; i < nn; i++)
      if (score[i] > 0 && (best == nn || score[i] > score[best])) best = i;
    if (best == nn) break;
    score[best] = 0;
    n = json_array_get(notes, best);
    const char *doc = json_string_value(json_object_get(n, "document_id"));
    const char *url = json_string_value(json_object_get(n, "url"));
    const char *title = json_string_value(json_object_get(n, "source_title"));
    const char *content = json_string_value(json_object_get(n, "content"));
    const char *quote = json_string_value(json_object_get(n, "quote"));
    rag_hit_t *h = hit_add(out);
    if (doc && doc[0]) {
      snprintf(h->document_id, sizeof h->document_id, "%s", doc);
      h->chunk_id = json_integer_value(json_object_get(n, "chunk_id"));
      h->page = (int)json_integer_value(json_object_get(n, "page"));
    } else
      h->filename = util_strdup(url ? url : "");
    h->title = util_strdup(title && title[0] ? title : url ? url : "");
    h->heading = util_strdup("");
    buf_t t = BUF_INIT;
    buf_init(&t);
    buf_printf(&t, "Note: %s", content ? content : "");
    if (quote && quote[0]) buf_printf(&t, "\nQuote: \"%s\"", quote);
    h->text = buf_detach(&t, NULL);
    got++;
  }
  free(score);
  json_decref(notes);
  return got;
}

/* Web passages for the question (chat.h, "web"), appended to res: the
 * pages of the first results, read through the address policy; a page that
 * cannot be read counts with its search snippet. Returns the status object
 * {status, message, sources} (new reference). */
static json_t *web_gather(const chat_deps_t *d, const char *user_id, const char *question, rag_results_t *res) {
  json_t *ws = NULL;
  int configured = 0;
  if (d->web) {
    web_search_status(d->web, user_id, 0, &ws);
    configured = json_is_true(json_object_get(ws, "configured"));
    json_decref(ws);
  }
  if (!configured)
    return json_pack("{s:s, s:s, s:i}", "status", "no_provider", "message",
                     "Web search is on, but no search endpoint is configured (an admin sets one, or you do in "
                     "Settings): this answer comes from your library only.",
                     "sources", 0);
  const char *qs[1] = {question};
  web_search_opts_t o = {.max_results = CHAT_WEB_SOURCES + 2};
  web_results_t wr = {0};
  char e[512] = "";
  if (web_search(d->web, user_id, qs, 1, &o, &wr, e, sizeof e) != 0) {
    web_results_free(&wr);
    log_info("chat", "web search failed: %s", e);
    char m[700];
    snprintf(m, sizeof m, "The web search failed (%s): this answer comes from your library only.", e);
    return json_pack("{s:s, s:s, s:i}", "status", "failed", "message", m, "sources", 0);
  }
  size_t added = 0;
  for (size_t k = 0; k < wr.n && added < CHAT_WEB_SOURCES; k++) {
    const web_result_t *r = &wr.items[k];
    web_page_t pg = {0};
    char fe[512] = "";
    char *text = NULL;
    if (web_fetch_page(d->web, r->url, &pg, fe, sizeof fe) == 0 && pg.text && pg.text[0]) {
      text = text_best_window(pg.text, question, PASSAGE_MAX_CHARS);
      if (!text[0]) { /* a short page: no paragraph long enough to rank */
        free(text);
        size_t len = strlen(pg.text);
        text = util_strndup(pg.text, len > PASSAGE_MAX_CHARS ? util_utf8_floor(pg.text, PASSAGE_MAX_CHARS) : len);
      }
    } else if (r->snippet && r->snippet[0]) {
      log_info("chat", "web page not read (%s); its search snippet is used", fe);
      text = util_strdup(r->snippet);
    }
    if (text && text[0]) {
      rag_hit_t *h = hit_add(res);
      h->filename = util_strdup(pg.final_url && pg.final_url[0] ? pg.final_url : r->url);
      h->title = util_strdup(pg.title && pg.title[0] ? pg.title : r->title && r->title[0] ? r->title : h->filename);
      h->heading = util_strdup("");
      h->text = text;
      added++;
    } else
      free(text);
    web_page_free(&pg);
  }
  web_results_free(&wr);
  char m[200];
  if (added)
    snprintf(m, sizeof m, "%zu web page%s read for this answer.", added, added == 1 ? "" : "s");
  else
    snprintf(m, sizeof m, "The web search found nothing usable for this question.");
  return json_pack("{s:s, s:s, s:i}", "status", added ? "ok" : "no_results", "message", m, "sources", (int)added);
}

typedef struct {
  char *text;
  char model[256];
  int prompt_tokens, completion_tokens;
  double cost_usd;
} gen_t;

/* Builds the prompt and calls the model. Returns 0, LLM_ERR_NOT_CONFIGURED
 * (answer extractively) or another LLM_ERR_* with err. */
static int generate(const chat_deps_t *d, const char *user_id, const char *chat_id, const char *channel, const char *question,
                    json_t *history, const char *from, const rag_hit_t *hits, size_t *nhits, gen_t *out, char *err,
                    size_t errlen) {
  llm_endpoint_t ep;
  int rc = llm_resolve(d->llm, user_id, LLM_TIER_MID, &ep, err, errlen);
  int ctx = ep.context_window > 0 ? ep.context_window : 8192, maxtok = ep.max_tokens > 0 ? ep.max_tokens : 1024;
  sodium_memzero(&ep, sizeof ep);
  if (rc != 0) return LLM_ERR_NOT_CONFIGURED;

  /* history: complete earlier turns, citation markers removed (their numbers
   * belonged to other passages) */
  size_t nh = json_array_size(history);
  char **hist = calloc(nh + 1, sizeof *hist);
  const char **roles = calloc(nh + 1, sizeof *roles);
  if (!hist || !roles) abort();
  size_t k = 0;
  int hist_tokens = 0;
  for (size_t i = 0; i + 1 < nh;) {
    json_t *q = json_array_get(history, i), *a = json_array_get(history, i + 1);
    const char *qr = json_string_value(json_object_get(q, "role"));
    const char *ar = json_string_value(json_object_get(a, "role"));
    if (!qr || !ar || strcmp(qr, "user") != 0 || strcmp(ar, "assistant") != 0) {
      i++; /* a question left without answer (model failure) */
      continue;
    }
    for (int j = 0; j < 2; j++) {
      const char *content = json_string_value(json_object_get(j ? a : q, "content"));
      int dummy[1];
      size_t nd;
      char *clean = chat_cite_renumber(content ? content : "", 0, dummy, &nd);
      if (strlen(clean) > HISTORY_MAX_CHARS) clean[util_utf8_floor(clean, HISTORY_MAX_CHARS)] = 0;
      hist[k] = clean;
      roles[k] = j ? "assistant" : "user";
      hist_tokens += llm_estimate_tokens(clean);
      k++;
    }
    i += 2;
  }

  /* passages within the context window: drop the weakest while too long */
  int budget = ctx - maxtok - hist_tokens - llm_estimate_tokens(SYSTEM_PROMPT) - llm_estimate_tokens(question) - 200;
  char *passages = NULL;
  for (;;) {
    free(passages);
    passages = chat_format_passages(hits, *nhits, PASSAGE_MAX_CHARS);
    if (*nhits <= 1 || llm_estimate_tokens(passages) <= budget) break;
    (*nhits)--;
  }
  buf_t user = BUF_INIT;
  buf_init(&user);
  buf_printf(&user, "Passages from %s:\n\n%s\n\nQuestion: %s", from, passages, question);
  free(passages);

  llm_message_t *msgs = calloc(k + 2, sizeof *msgs);
  if (!msgs) abort();
  size_t nm = 0;
  msgs[nm++] = (llm_message_t){"system", SYSTEM_PROMPT};
  for (size_t i = 0; i < k; i++) msgs[nm++] = (llm_message_t){roles[i], hist[i]};
  msgs[nm++] = (llm_message_t){"user", user.data};

  chat_stream_t st;
  chat_stream_init(&st, d->events, channel);
  llm_request_t req = {0};
  req.tier = LLM_TIER_MID;
  req.messages = msgs;
  req.nmessages = nm;
  req.temperature = -1;
  req.stream = 1;
  req.on_token = chat_stream_token;
  req.token_ud = &st;
  req.user_id = user_id;
  req.chat_id = chat_id;
  req.agent = "chat";
  req.cache = LLM_CACHE_OFF;
  llm_response_t resp;
  rc = llm_chat(d->llm, &req, &resp, err, errlen);
  chat_stream_finish(&st);
  if (rc == LLM_OK) {
    out->text = resp.text;
    resp.text = NULL;
    snprintf(out->model, sizeof out->model, "%s", resp.model);
    out->prompt_tokens = resp.prompt_tokens;
    out->completion_tokens = resp.completion_tokens;
    out->cost_usd = resp.cost_usd;
    llm_response_free(&resp);
    if (!out->text[0]) {
      free(out->text);
      out->text = NULL;
      snprintf(err, errlen, "the model returned an empty answer");
      rc = LLM_ERR;
    }
  }
  for (size_t i = 0; i < k; i++) free(hist[i]);
  free(hist);
  free(roles);
  free(msgs);
  buf_free(&user);
  return rc;
}

/* A question stored and claimed, waiting for (or getting) its answer. */
struct chat_task {
  struct chat_task *next;
  char user_id[17], chat_id[17];
  char *question;
  store_chat_t chat;
  json_t *history; /* the turns before the question */
  int web;
  char mission_id[17]; /* "" when none */
};

static void task_free(chat_task_t *t) {
  if (!t) return;
  free(t->question);
  json_decref(t->history);
  free(t);
}

/* Steps 1-3 of chat.h: checks, claim, the question stored and published. */
static int ask_begin(const chat_deps_t *d, const char *user_id, const char *chat_id, const char *question,
                     const chat_opts_t *opts, chat_task_t **task, json_t **qmsg_out, int64_t *seq_out, char *err,
                     size_t errlen) {
  *task = NULL;
  store_chat_t chat;
  int rc = store_chat_get(d->store, user_id, chat_id, &chat);
  if (rc == STORE_NOT_FOUND) {
    snprintf(err, errlen, "chat %s not found", chat_id);
    return CHAT_ERR_NOT_FOUND;
  }
  if (rc != STORE_OK) {
    snprintf(err, errlen, "could not read chat %s", chat_id);
    return CHAT_ERR;
  }
  if (chat.group_id[0] && !store_group_owned(d->store, user_id, chat.group_id)) {
    snprintf(err, errlen, "the group %s of this chat no longer exists; start a new chat", chat.group_id);
    return CHAT_ERR_GROUP;
  }
  int64_t stale =
      (config_int(d->cfg, "LLM_TIMEOUT_SECONDS") * (config_int(d->cfg, "LLM_MAX_RETRIES") + 1) + 60) * 1000;
  rc = store_chat_claim(d->store, user_id, chat_id, stale);
  if (rc == STORE_CONFLICT) {
    snprintf(err, errlen, "chat %s is still answering the previous question", chat_id);
    return CHAT_ERR_BUSY;
  }
  if (rc != STORE_OK) {
    snprintf(err, errlen, rc == STORE_NOT_FOUND ? "chat %s not found" : "could not claim chat %s", chat_id);
    return rc == STORE_NOT_FOUND ? CHAT_ERR_NOT_FOUND : CHAT_ERR;
  }
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", chat_id);
  json_t *history = store_chat_recent(d->store, user_id, chat_id, CHAT_HISTORY);
  json_t *qmsg = NULL;
  if (!history || store_chat_add_message(d->store, user_id, chat_id, "user", question, NULL, NULL, &qmsg) != 0) {
    snprintf(err, errlen, "could not store the question");
    json_decref(history);
    store_chat_release(d->store, chat_id);
    return CHAT_ERR;
  }
  int64_t seq = 0;
  if (events_publish(d->events, channel, "message", qmsg, &seq) != 0)
    log_warn("chat", "could not publish message on %s", channel);
  if (seq_out) *seq_out = seq;
  if (qmsg_out)
    *qmsg_out = qmsg;
  else
    json_decref(qmsg);
  if (chat.title_auto) {
    char *t = title_from(question);
    store_chat_autotitle(d->store, user_id, chat_id, t);
    free(t);
  }
  chat_task_t *t = calloc(1, sizeof *t);
  if (!t) abort();
  snprintf(t->user_id, sizeof t->user_id, "%s", user_id);
  snprintf(t->chat_id, sizeof t->chat_id, "%s", chat_id);
  t->question = util_strdup(question);
  t->chat = chat;
  t->history = history;
  if (opts) {
    t->web = opts->web;
    snprintf(t->mission_id, sizeof t->mission_id, "%s", opts->mission_id ? opts->mission_id : "");
  }
  *task = t;
  return CHAT_OK;
}

/* Steps 4-7 of chat.h; releases the chat. The task stays the caller's. */
static int ask_answer(const chat_deps_t *d, const chat_task_t *t, json_t **answer, char *err, size_t errlen) {
  *answer = NULL;
  const char *user_id = t->user_id, *chat_id = t->chat_id, *question = t->question;
  const store_chat_t chat = t->chat;
  json_t *history = t->history;
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", chat_id);
  int ret = CHAT_ERR, rc;
  /* the event that ends the question goes out after the chat is released,
   * so a client that hears it can ask the next question at once */
  const char *end_event = NULL;
  json_t *end_data = NULL;
  rag_results_t res = {0};
  gen_t gen = {0};
  json_t *web_status = NULL;

  llm_endpoint_t ep;
  char rerr[256];
  int have_model = llm_resolve(d->llm, user_id, LLM_TIER_MID, &ep, rerr, sizeof rerr) == 0;
  sodium_memzero(&ep, sizeof ep);
  /* a continued mission's notes first, then the library, then the web */
  size_t nnotes = t->mission_id[0] ? notes_retrieve(d, user_id, t->mission_id, question, &res) : 0;
  rag_results_t lib = {0};
  if (retrieve(d, user_id, chat.group_id, question, history, have_model, &lib, err, errlen) != 0) {
    rag_results_free(&lib);
    end_event = "error";
    end_data = json_pack("{s:s}", "message", err);
    goto out;
  }
  hits_append(&res, &lib, CHAT_PASSAGES);
  if (t->web) {
    web_status = web_gather(d, user_id, question, &res);
    publish(d->events, channel, "web", json_incref(web_status));
  }
  size_t nused = res.n;
  const char *mode = "model";
  if (res.n == 0) {
    mode = "no_passages";
    gen.text = util_strdup(t->web ? "No passage of your library or of the web matches this question, so it cannot be "
                                    "answered from your sources."
                                  : "No passage of your library matches this question, so it cannot be answered from "
                                    "your documents.");
    publish(d->events, channel, "token", json_pack("{s:s}", "text", gen.text));
  } else {
    json_t *plist = json_array();
    for (size_t i = 0; i < res.n; i++) json_array_append_new(plist, passage_json(&res.hits[i], (int)i + 1, 0));
    publish(d->events, channel, "passages", json_pack("{s:o}", "passages", plist));
    char gerr[1024] = "";
    const char *from = nnotes && t->web ? "the mission's notes, the user's documents and the web"
                       : nnotes         ? "the mission's notes and the user's documents"
                       : t->web         ? "the user's documents and the web"
                                        : "the user's documents";
    rc = generate(d, user_id, chat_id, channel, question, history, from, res.hits, &nused, &gen, gerr, sizeof gerr);
    if (rc == LLM_ERR_NOT_CONFIGURED) {
      mode = "extractive";
      nused = res.n;
      gen.text = chat_extractive_answer(question, res.hits, res.n);
      publish(d->events, channel, "token", json_pack("{s:s}", "text", gen.text));
    } else if (rc != LLM_OK) {
      snprintf(err, errlen, "the model could not answer: %s", gerr);
      end_event = "error";
      end_data = json_pack("{s:s}", "message", err);
      ret = CHAT_ERR_MODEL;
      goto out;
    }
  }

  /* citations: only passages that were given, renumbered by first appearance */
  int *cited = calloc(nused + 1, sizeof *cited);
  if (!cited) abort();
  size_t ncited = 0;
  char *content = chat_cite_renumber(gen.text, nused, cited, &ncited);
  json_t *cits = json_array();
  for (size_t i = 0; i < ncited; i++) json_array_append_new(cits, passage_json(&res.hits[cited[i] - 1], (int)i + 1, 1));
  free(cited);
  json_t *meta = json_pack("{s:s, s:i}", "mode", mode, "passages", (int)nused);
  if (web_status) json_object_set(meta, "web", web_status);
  if (t->mission_id[0]) {
    json_object_set_new(meta, "mission_id", json_string(t->mission_id));
    json_object_set_new(meta, "notes", json_integer((json_int_t)(nnotes < nused ? nnotes : nused)));
  }
  if (!strcmp(mode, "model")) {
    json_object_set_new(meta, "model", json_string(gen.model));
    json_object_set_new(meta, "prompt_tokens", json_integer(gen.prompt_tokens));
    json_object_set_new(meta, "completion_tokens", json_integer(gen.completion_tokens));
    json_object_set_new(meta, "cost_usd", json_real(gen.cost_usd));
  }
  json_t *amsg = NULL;
  rc = store_chat_add_message(d->store, user_id, chat_id, "assistant", content, cits, meta, &amsg);
  free(content);
  json_decref(cits);
  json_decref(meta);
  if (rc != STORE_OK) {
    snprintf(err, errlen, rc == STORE_NOT_FOUND ? "chat %s was deleted" : "could not store the answer of chat %s",
             chat_id);
    ret = rc == STORE_NOT_FOUND ? CHAT_ERR_NOT_FOUND : CHAT_ERR;
    goto out;
  }
  end_event = "message";
  end_data = json_incref(amsg);
  *answer = amsg;
  ret = CHAT_OK;
out:
  store_chat_release(d->store, chat_id);
  if (end_event) publish(d->events, channel, end_event, end_data);
  free(gen.text);
  rag_results_free(&res);
  json_decref(web_status);
  return ret;
}

int chat_ask(const chat_deps_t *d, const char *user_id, const char *chat_id, const char *question, json_t **answer, char *err,
             size_t errlen) {
  *answer = NULL;
  chat_task_t *t;
  int rc = ask_begin(d, user_id, chat_id, question, NULL, &t, NULL, NULL, err, errlen);
  if (rc != CHAT_OK) return rc;
  rc = ask_answer(d, t, answer, err, errlen);
  task_free(t);
  return rc;
}

/* ---------- the answering workers ---------- */

struct chat_pool {
  chat_deps_t deps;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  chat_task_t *head, *tail;
  int queued, stopping, nthreads;
  pthread_t *threads;
};

/* Runs one queued question. The model failure and retrieval paths publish
 * their own "error" event; any other failure is published here, so that a
 * client waiting on the channel always hears the end of its question. */
static void answer_task(const chat_deps_t *d, chat_task_t *t) {
  json_t *answer = NULL;
  char err[1200] = "";
  int rc = ask_answer(d, t, &answer, err, sizeof err);
  json_decref(answer);
  if (rc != CHAT_OK && rc != CHAT_ERR_MODEL && rc != CHAT_ERR_NOT_FOUND) {
    char channel[40];
    snprintf(channel, sizeof channel, "chat:%s", t->chat_id);
    if (err[0]) log_warn("chat", "chat %s: %s", t->chat_id, err);
    json_t *ev = json_pack("{s:s}", "message", err[0] ? err : "the question could not be answered");
    if (events_publish(d->events, channel, "error", ev, NULL) != 0) log_warn("chat", "could not publish an error");
    json_decref(ev);
  }
}

static void *worker_main(void *arg) {
  chat_pool_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    while (!p->stopping && !p->head) pthread_cond_wait(&p->cond, &p->lock);
    if (p->stopping) {
      pthread_mutex_unlock(&p->lock);
      return NULL;
    }
    chat_task_t *t = p->head;
    p->head = t->next;
    if (!p->head) p->tail = NULL;
    p->queued--;
    pthread_mutex_unlock(&p->lock);
    answer_task(&p->deps, t);
    task_free(t);
  }
}

chat_pool_t *chat_pool_start(const chat_deps_t *deps) {
  chat_pool_t *p = calloc(1, sizeof *p);
  if (!p) abort();
  p->deps = *deps;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->cond, NULL);
  p->nthreads = (int)config_int(deps->cfg, "CHAT_WORKERS");
  p->threads = calloc((size_t)p->nthreads, sizeof *p->threads);
  if (!p->threads) abort();
  int want = p->nthreads;
  for (p->nthreads = 0; p->nthreads < want; p->nthreads++)
    if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0) {
      log_error("chat", "cannot start the chat workers");
      chat_pool_stop(p);
      return NULL;
    }
  return p;
}

void chat_pool_stop(chat_pool_t *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  /* questions never started: free their chats, say so on their channels */
  chat_task_t *t = p->head;
  while (t) {
    chat_task_t *n = t->next;
    char channel[40];
    snprintf(channel, sizeof channel, "chat:%s", t->chat_id);
    json_t *ev = json_pack("{s:s}", "message", "the server stopped before answering; ask again");
    events_publish(p->deps.events, channel, "error", ev, NULL);
    json_decref(ev);
    store_chat_release(p->deps.store, t->chat_id);
    task_free(t);
    t = n;
  }
  free(p->threads);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
  free(p);
}

int chat_submit(chat_pool_t *p, const char *user_id, const char *chat_id, const char *question, json_t **qmsg,
                int64_t *seq, char *err, size_t errlen) {
  return chat_submit_with(p, user_id, chat_id, question, NULL, qmsg, seq, err, errlen);
}

int chat_submit_with(chat_pool_t *p, const char *user_id, const char *chat_id, const char *question,
                     const chat_opts_t *opts, json_t **qmsg, int64_t *seq, char *err, size_t errlen) {
  *qmsg = NULL;
  pthread_mutex_lock(&p->lock);
  int full = p->stopping || p->queued >= CHAT_QUEUE_MAX;
  pthread_mutex_unlock(&p->lock);
  if (full) {
    snprintf(err, errlen, "too many questions are waiting for an answer; try again in a moment");
    return CHAT_ERR_FULL;
  }
  chat_task_t *t;
  int rc = ask_begin(&p->deps, user_id, chat_id, question, opts, &t, qmsg, seq, err, errlen);
  if (rc != CHAT_OK) return rc;
  pthread_mutex_lock(&p->lock);
  t->next = NULL;
  if (p->tail)
    p->tail->next = t;
  else
    p->head = t;
  p->tail = t;
  p->queued++;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
  return CHAT_OK;
}
