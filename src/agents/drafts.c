/*
 * drafts.c - the research chat (see drafts.h).
 *
 * The card is the one structure every path produces and checks: the
 * planner's answer, the offline proposal and the user's edit all go
 * through drafts_proposal_check before they are stored, so a card in the
 * store can always be turned into a mission request. The planner call is
 * guarded like the mission's structured calls (guard.c): the model layer
 * already re-asks once for JSON that does not parse; an answer that parses
 * but fails the card's check (too few questions, questions that are not
 * questions, an unknown depth) is asked again once saying what was wrong,
 * and a second failure falls back to the offline proposal, with the reason
 * kept in the answer's meta so the user sees why.
 */
#include "agents/drafts.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agents/agents.h"
#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"
#include "base/util.h"
#include "chat/chat.h"
#include "rag/rag.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/drafts.h"

#define TITLE_MAX 500
#define QUESTION_MAX 2000
#define AUDIENCE_MAX 200
#define HISTORY_TURNS 12
#define MATCHED_MAX 5

/* ---------- the card ---------- */

static int bad(char *field, size_t fieldlen, const char *name, char *err, size_t errlen, const char *msg) {
  snprintf(field, fieldlen, "%s", name);
  snprintf(err, errlen, "%s", msg);
  return -1;
}

/* A trimmed copy of a JSON string without NUL bytes, at most max bytes; NULL otherwise. */
static char *clean_string(json_t *v, size_t max) {
  if (!json_is_string(v) || memchr(json_string_value(v), 0, json_string_length(v))) return NULL;
  char *t = util_strdup(json_string_value(v));
  util_trim(t);
  if (strlen(t) > max) {
    free(t);
    return NULL;
  }
  return t;
}

static int check_sources(json_t *s, json_t *out, char *field, size_t fieldlen, char *err, size_t errlen) {
  if (!json_is_object(s))
    return bad(field, fieldlen, "sources", err, errlen,
               "sources must be an object {documents, web, scholarly: true|false, group_id}");
  static const char *const FLAGS[] = {"documents", "web", "scholarly"};
  const char *key;
  json_t *v;
  json_object_foreach(s, key, v) {
    int known = !strcmp(key, "group_id");
    for (size_t i = 0; i < 3; i++) known |= !strcmp(key, FLAGS[i]);
    if (!known) {
      char f[80];
      snprintf(f, sizeof f, "sources.%.60s", key);
      return bad(field, fieldlen, f, err, errlen, "sources may hold only documents, group_id, web and scholarly");
    }
  }
  json_t *o = json_object();
  int any = 0;
  for (size_t i = 0; i < 3; i++) {
    json_t *f = json_object_get(s, FLAGS[i]);
    if (f && !json_is_boolean(f)) {
      json_decref(o);
      char name[40];
      snprintf(name, sizeof name, "sources.%s", FLAGS[i]);
      snprintf(field, fieldlen, "%s", name);
      snprintf(err, errlen, "%s must be true or false", name);
      return -1;
    }
    json_object_set_new(o, FLAGS[i], json_boolean(json_is_true(f)));
    any |= json_is_true(f);
  }
  json_t *g = json_object_get(s, "group_id");
  if (g && !json_is_null(g) && (!json_is_string(g) || json_string_length(g) > 64)) {
    json_decref(o);
    return bad(field, fieldlen, "sources.group_id", err, errlen, "sources.group_id must be a group id or null");
  }
  if (json_string_length(g)) {
    json_object_set(o, "group_id", g);
    json_object_set_new(o, "documents", json_true()); /* a group is a part of the library */
    any = 1;
  } else
    json_object_set_new(o, "group_id", json_null());
  if (!any) {
    json_decref(o);
    return bad(field, fieldlen, "sources", err, errlen, "choose at least one source: documents, web or scholarly");
  }
  json_object_set_new(out, "sources", o);
  return 0;
}

int drafts_proposal_check(json_t *in, json_t **out, char *field, size_t fieldlen, char *err, size_t errlen) {
  *out = NULL;
  field[0] = 0;
  if (!json_is_object(in)) return bad(field, fieldlen, "proposal", err, errlen, "the mission card must be an object");
  static const char *const KEYS[] = {"title",    "questions", "sources",          "depth", "language", "tone",
                                     "audience", "origin",    "matched_documents"};
  const char *key;
  json_t *v;
  json_object_foreach(in, key, v) {
    int known = 0;
    for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++) known |= !strcmp(key, KEYS[i]);
    if (!known) {
      char f[80], m[160];
      snprintf(f, sizeof f, "%.60s", key);
      snprintf(m, sizeof m, "%.60s is not a field of the mission card", key);
      return bad(field, fieldlen, f, err, errlen, m);
    }
  }
  json_t *o = json_object();
  char *title = clean_string(json_object_get(in, "title"), TITLE_MAX);
  if (!title || !title[0]) {
    free(title);
    json_decref(o);
    return bad(field, fieldlen, "title", err, errlen, "title must be a text of 1 to 500 bytes");
  }
  json_object_set_new(o, "title", json_string(title));
  free(title);

  json_t *qs = json_object_get(in, "questions"), *kept = json_array();
  size_t i;
  json_array_foreach(qs, i, v) {
    char *q = clean_string(v, QUESTION_MAX);
    if (!q) {
      json_decref(kept);
      json_decref(o);
      return bad(field, fieldlen, "questions", err, errlen, "questions must be texts of at most 2000 bytes each");
    }
    if (q[0]) json_array_append_new(kept, json_string(q));
    free(q);
  }
  if (!json_is_array(qs) || json_array_size(kept) < DRAFT_MIN_QUESTIONS ||
      json_array_size(kept) > DRAFT_MAX_QUESTIONS) {
    char m[160];
    snprintf(m, sizeof m, "questions must hold %d to %d research questions (it has %zu)", DRAFT_MIN_QUESTIONS,
             DRAFT_MAX_QUESTIONS, json_array_size(kept));
    json_decref(kept);
    json_decref(o);
    return bad(field, fieldlen, "questions", err, errlen, m);
  }
  json_object_set_new(o, "questions", kept);

  if (check_sources(json_object_get(in, "sources"), o, field, fieldlen, err, errlen) != 0) {
    json_decref(o);
    return -1;
  }
  /* depth, language and tone are mission settings: the one table decides */
  json_t *settings = json_object();
  static const char *const SETTINGS[] = {"depth", "language", "tone"};
  static const char *const DEFAULTS[] = {"standard", "en", "formal"};
  for (size_t k = 0; k < 3; k++) {
    json_t *sv = json_object_get(in, SETTINGS[k]);
    if (json_is_string(sv)) {
      char *t = clean_string(sv, 64);
      json_object_set_new(settings, SETTINGS[k], json_string(t ? t : ""));
      free(t);
    } else /* a wrong type is the table's to refuse */
      json_object_set_new(settings, SETTINGS[k], sv && !json_is_null(sv) ? json_incref(sv) : json_string(DEFAULTS[k]));
  }
  if (mission_settings_check(settings, err, errlen) != 0) {
    const char *dot = strncmp(err, "settings.", 9) ? NULL : err + 9;
    size_t n = dot ? strcspn(dot, " ") : 0;
    snprintf(field, fieldlen, "%.*s", (int)n, dot ? dot : "");
    if (dot) memmove(err, dot, strlen(dot) + 1);
    json_decref(settings);
    json_decref(o);
    return -1;
  }
  json_object_update(o, settings);
  json_decref(settings);

  json_t *aud = json_object_get(in, "audience");
  char *a = aud && !json_is_null(aud) ? clean_string(aud, AUDIENCE_MAX) : util_strdup("");
  if (!a) {
    json_decref(o);
    return bad(field, fieldlen, "audience", err, errlen, "audience must be a text of at most 200 bytes");
  }
  json_object_set_new(o, "audience", json_string(a));
  free(a);
  const char *origin = json_string_value(json_object_get(in, "origin"));
  json_object_set_new(o, "origin", json_string(origin ? origin : "edit"));
  json_t *md = json_array(), *d;
  json_array_foreach(json_object_get(in, "matched_documents"), i, d) {
    const char *id = json_string_value(json_object_get(d, "id")), *t = json_string_value(json_object_get(d, "title"));
    if (id && t && json_array_size(md) < MATCHED_MAX)
      json_array_append_new(md, json_pack("{s:s, s:s}", "id", id, "title", t));
  }
  json_object_set_new(o, "matched_documents", md);
  *out = o;
  return 0;
}

json_t *drafts_mission_request(json_t *p, const char *request_text) {
  json_t *src = json_object_get(p, "sources"), *sources = json_array();
  if (json_is_true(json_object_get(src, "documents"))) json_array_append_new(sources, json_string("local_documents"));
  if (json_is_true(json_object_get(src, "web"))) json_array_append_new(sources, json_string("web_search"));
  if (json_is_true(json_object_get(src, "scholarly"))) json_array_append_new(sources, json_string("scholarly"));
  buf_t d = BUF_INIT;
  buf_init(&d);
  if (request_text && request_text[0]) buf_puts(&d, request_text);
  const char *aud = json_string_value(json_object_get(p, "audience"));
  if (aud && aud[0]) buf_printf(&d, "%sAudience: %s", d.len ? "\n\n" : "", aud);
  json_t *req = json_pack("{s:O, s:s, s:O, s:o, s:{s:O, s:O, s:O}}", "title", json_object_get(p, "title"),
                          "description", d.data ? d.data : "", "research_questions", json_object_get(p, "questions"),
                          "sources", sources, "settings", "depth", json_object_get(p, "depth"), "language",
                          json_object_get(p, "language"), "tone", json_object_get(p, "tone"));
  buf_free(&d);
  const char *g = json_string_value(json_object_get(src, "group_id"));
  if (g && g[0]) json_object_set_new(req, "group_id", json_string(g));
  return req;
}

/* ---------- the offline proposal ---------- */

static int has_word(const char *text, const char *const *words) {
  for (size_t i = 0; words[i]; i++)
    if (strcasestr(text, words[i])) return 1;
  return 0;
}

/* Past the kind of text asked for at p: an optional article, at most two
 * adjectives ("short", "in-depth") and a noun ("report", "overview"), or
 * "research" / "information" alone; p itself when it names none. */
static const char *skip_kind_of_text(const char *p) {
  static const char *const ART[] = {"a ", "an ", "the ", "some ", NULL};
  static const char *const ADJ[] = {"short ",    "brief ",    "quick ",   "concise ",   "detailed ", "long ",
                                    "in-depth ", "thorough ", "full ",    "complete ",  "comprehensive ",
                                    "written ",  "simple ",   "clear ",   "technical ", NULL};
  static const char *const NOUN[] = {"report ",   "overview ", "review ",  "summary ", "analysis ", "study ",
                                     "brief ",    "briefing ", "paper ",   "memo ",    "note ",     "explainer ",
                                     "survey ",   "article ",  "essay ",   "research ", "information ", NULL};
  const char *q = p;
  for (size_t i = 0; ART[i]; i++)
    if (!strncasecmp(q, ART[i], strlen(ART[i]))) {
      q += strlen(ART[i]);
      break;
    }
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; ADJ[i]; i++)
      if (!strncasecmp(q, ADJ[i], strlen(ADJ[i]))) {
        q += strlen(ADJ[i]);
        break;
      }
  for (size_t i = 0; NOUN[i]; i++)
    if (!strncasecmp(q, NOUN[i], strlen(NOUN[i]))) return q + strlen(NOUN[i]);
  return p;
}

/* "for high-school teachers", "for executives": the audience a clause
 * names, malloc'd; NULL when the clause is not one. */
static char *audience_of(const char *clause) {
  static const char *const WHO[] = {
      "teachers",   "students",  "executives", "managers",   "researchers", "engineers",    "policymakers",
      "makers",     "developers", "clinicians", "doctors",   "nurses",      "investors",    "journalists",
      "public",     "beginners", "experts",    "children",   "parents",     "board",        "team",
      "customers",  "readers",   "lawyers",    "scientists", "officials",   "staff",        "colleagues",
      "audience",   "employees", "leaders",    "analysts",   "practitioners", "undergraduates", NULL};
  while (*clause == ' ') clause++;
  if (strncasecmp(clause, "for ", 4)) return NULL;
  const char *rest = clause + 4;
  size_t n = strlen(rest);
  while (n && strchr(" .!", rest[n - 1])) n--;
  if (!n || n > 60) return NULL;
  const char *last = rest + n;
  while (last > rest && last[-1] != ' ') last--;
  for (size_t i = 0; WHO[i]; i++)
    if ((size_t)(rest + n - last) == strlen(WHO[i]) && !strncasecmp(last, WHO[i], strlen(WHO[i])))
      return util_strndup(rest, n);
  return NULL;
}

/* The clause without the request's lead-in ("I need a report on", "please
 * give me an overview of"): the topic it names. malloc'd. */
static char *topic_of(const char *clause) {
  static const char *const LEADS[] = {
      "i need ",  "i want ",       "i would like ",   "i'd like ",      "we need ",      "we want ",
      "please ",  "can you ",      "could you ",      "write ",         "give me ",      "prepare ",
      "make ",    "research ",     "find out ",       "and ",           "also ",         "or ",
      "then ",    "help me ",      "tell me ",        "explain ",       "understand ",   "to understand ",
      "know ",    "to know ",      "learn about ",    "to learn about ", "learn ",       "to learn ",
      "explore ", "to explore ",   "investigate ",    "to investigate ", "to find out ", "look into ",
      "i am interested in ",       "i'm interested in ",                "we are interested in ", NULL};
  static const char *const PREP[] = {"on ", "of ", "about ", "regarding ", "covering ", "into ", "for ", NULL};
  const char *p = clause;
  for (int pass = 0; pass < 3; pass++) {
    const char *const *list = pass == 0 ? LEADS : PREP;
    if (pass == 1) { /* "a (short) report", "an in-depth overview", "research" */
      while (*p == ' ') p++;
      p = skip_kind_of_text(p);
      continue;
    }
    for (int again = 1; again;) {
      again = 0;
      while (*p == ' ') p++;
      for (size_t i = 0; list[i]; i++)
        if (!strncasecmp(p, list[i], strlen(list[i]))) {
          p += strlen(list[i]);
          again = pass == 0; /* "please, can you write" */
          break;
        }
    }
  }
  char *t = util_strdup(*p ? p : clause);
  util_trim(t);
  size_t n = strlen(t);
  while (n && strchr(".!?,;:", t[n - 1])) t[--n] = 0;
  return t;
}

/* The request's clauses: sentences, cut again at ';' and ','. */
static json_t *clauses_of(const char *text) {
  json_t *out = json_array(), *sents = agent_sentences(text);
  size_t i;
  json_t *s;
  json_array_foreach(sents, i, s) {
    const char *p = json_string_value(s);
    while (*p) {
      size_t n = strcspn(p, ";,");
      char *c = util_strndup(p, n);
      util_trim(c);
      size_t len = strlen(c);
      while (len && strchr(".!?", c[len - 1]) && c[len - 1] != '?') c[--len] = 0;
      if (len >= 3) json_array_append_new(out, json_string(c));
      free(c);
      p += n;
      if (*p) p++;
    }
  }
  json_decref(sents);
  return out;
}

static void add_question(json_t *qs, const char *q) {
  size_t i;
  json_t *v;
  if (json_array_size(qs) >= DRAFT_MAX_QUESTIONS) return;
  json_array_foreach(qs, i, v) if (!strcasecmp(json_string_value(v), q)) return;
  json_array_append_new(qs, json_string(q));
}

static const char *const WH[] = {"why", "how", "what", "when", "where", "which", "who", "whether", NULL};

static int is_wh(const char *w, size_t n) {
  for (size_t i = 0; WH[i]; i++)
    if (n == strlen(WH[i]) && !strncasecmp(w, WH[i], n)) return 1;
  return 0;
}

/* An embedded wh-clause as a question: "why glaciers are retreating" ->
 * "Why are glaciers retreating?" (the auxiliary moved before the subject);
 * without an auxiliary to move, "What is known about what landforms they
 * leave behind?". malloc'd. */
static char *wh_question(const char *clause) {
  static const char *const AUX[] = {"are", "is", "was", "were", "can", "could", "will", "would", "has", "have",
                                    "had", "do",  "does", "did", "should", "may", "might", "must", NULL};
  char *copy = util_strdup(clause);
  char *w[40];
  int n = 0;
  char *save = NULL;
  char *t = strtok_r(copy, " ", &save);
  for (; t && n < 40; t = strtok_r(NULL, " ", &save)) w[n++] = t;
  if (n == 0 || t) { /* nothing, or too long to rephrase: asked as it is */
    free(copy);
    buf_t q = BUF_INIT;
    buf_init(&q);
    buf_printf(&q, "What is known about %s?", n ? clause : "this");
    return buf_detach(&q, NULL);
  }
  int aux = -1;
  if (strcasecmp(w[0], "whether"))
    for (int j = 2; j < n && j < 9 && aux < 0; j++)
      for (size_t i = 0; AUX[i]; i++)
        if (!strcasecmp(w[j], AUX[i])) {
          aux = j;
          break;
        }
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (aux > 0 && aux < n - 1) {
    buf_printf(&b, "%c%s %s", toupper((unsigned char)w[0][0]), w[0] + 1, w[aux]);
    for (int j = 1; j < n; j++)
      if (j != aux) buf_printf(&b, " %s", w[j]);
    buf_putc(&b, '?');
  } else {
    buf_puts(&b, "What is known about ");
    for (int j = 0; j < n; j++) buf_printf(&b, "%s%s", j ? " " : "", w[j]);
    buf_putc(&b, '?');
  }
  free(copy);
  return buf_detach(&b, NULL);
}

/* The clause as research questions added to qs: a question as written; an
 * audience ("for teachers") sets *audience instead (when not NULL); a topic
 * made of wh-clauses ("why X and what Y") gives one question each; any
 * other topic the first clause's or a later clause's template. */
static void questions_of(json_t *qs, const char *clause, int first, const char *lang, char **audience) {
  size_t n = strlen(clause);
  if (n && (clause[n - 1] == '?' || (n >= 3 && !strcmp(clause + n - 3, "\xEF\xBC\x9F")))) {
    add_question(qs, clause);
    return;
  }
  char *who = audience_of(clause);
  if (who) {
    if (audience && !*audience)
      *audience = who;
    else
      free(who);
    return;
  }
  char *topic = topic_of(clause);
  size_t wl = strcspn(topic, " ");
  if (strcmp(lang, "ko") && is_wh(topic, wl)) {
    /* "why A and what B": cut before each "and <wh-word>" */
    char *part = topic;
    for (;;) {
      char *cut = NULL;
      for (char *a = strcasestr(part, " and "); a && !cut; a = strcasestr(a + 1, " and "))
        if (is_wh(a + 5, strcspn(a + 5, " "))) cut = a;
      if (cut) *cut = 0;
      char *q = wh_question(part);
      add_question(qs, q);
      free(q);
      if (!cut) break;
      part = cut + 5;
    }
    free(topic);
    return;
  }
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (!strcmp(lang, "ko"))
    buf_printf(&b, first ? "%s의 현황은 어떠한가?" : "%s에 대해 자료는 무엇을 말하는가?", topic);
  else
    buf_printf(&b, first ? "What is the current state of %s?" : "What does the evidence say about %s?", topic);
  free(topic);
  add_question(qs, b.data);
  buf_free(&b);
}

/* Questions that every topic has, to reach DRAFT_MIN_QUESTIONS. */
static void pad_questions(json_t *qs, const char *topic, const char *lang) {
  static const char *const EN[] = {"What are the main developments and trends in %s?",
                                   "What are the open issues, risks or disagreements about %s?",
                                   "What do the sources conclude or recommend about %s?"};
  static const char *const KO[] = {"%s의 주요 동향과 변화는 무엇인가?", "%s에 관한 쟁점과 위험은 무엇인가?",
                                   "%s에 대해 자료는 어떤 결론이나 권고를 내리는가?"};
  /* a topic that is itself a question ("why A and what B") reads badly
   * inside these: the questions then stand on the mission's title */
  static const char *const EN_WH[] = {"What are the main developments and trends?",
                                      "What are the open issues, risks or disagreements?",
                                      "What do the sources conclude or recommend?"};
  int wh = strcmp(lang, "ko") && is_wh(topic, strcspn(topic, " "));
  for (size_t i = 0; i < 3 && json_array_size(qs) < DRAFT_MIN_QUESTIONS; i++) {
    buf_t b = BUF_INIT;
    buf_init(&b);
    if (wh)
      buf_puts(&b, EN_WH[i]);
    else
      buf_printf(&b, strcmp(lang, "ko") ? EN[i] : KO[i], topic);
    add_question(qs, b.data);
    buf_free(&b);
  }
}

/* Up to MATCHED_MAX of the user's documents that share words with text. */
static json_t *matching_documents(const agents_deps_t *deps, const char *user_id, const char *group_id,
                                  const char *text) {
  json_t *out = json_array();
  rag_query_t q;
  rag_query_init(&q);
  q.user_id = user_id;
  q.group_id = group_id && group_id[0] ? group_id : NULL;
  q.query = text;
  q.k = 20;
  q.mode = RAG_MODE_LEXICAL;
  q.rerank = 0;
  q.per_document = 1;
  rag_results_t res = {0};
  char err[256];
  if (deps->rag && rag_search(deps->rag, &q, &res, err, sizeof err) == 0)
    for (size_t i = 0; i < res.n && json_array_size(out) < MATCHED_MAX; i++)
      json_array_append_new(out, json_pack("{s:s, s:s}", "id", res.hits[i].document_id, "title",
                                           res.hits[i].title ? res.hits[i].title : res.hits[i].filename));
  rag_results_free(&res);
  return out;
}

/* "the third question", "question 3", "3번째 질문": the 1-based number, 0 when none. */
static int question_number(const char *text) {
  static const char *const ORD[] = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"};
  for (int i = 0; i < 8; i++)
    if (strcasestr(text, ORD[i])) return i + 1;
  for (const char *p = text; *p; p++)
    if (isdigit((unsigned char)*p) && (p == text || !isdigit((unsigned char)p[-1])) && !isdigit((unsigned char)p[1]))
      return *p - '0';
  return 0;
}

/* Applies a refinement to a copy of the current card; 1 when the text was understood. */
static int refine(json_t *card, const char *text, const char *lang) {
  static const char *const DROP[] = {"drop", "remove", "delete", "without the", "삭제", "빼", "제거", NULL};
  static const char *const SHORT[] = {"shorter", "brief", "quick", "short", "짧게", "간단", NULL};
  static const char *const DEEP[] = {"deeper", "in depth", "in-depth", "detailed", "thorough", "자세", "심층", NULL};
  static const char *const EXEC[] = {"executive", "임원", "경영진", NULL};
  static const char *const WEB[] = {"web", "online", "internet", "news", "인터넷", "웹", NULL};
  static const char *const FOCUS[] = {"focus on ", "concentrate on ", "only about ", "limit to ", NULL};
  int understood = 0;
  json_t *qs = json_object_get(card, "questions");
  int n = question_number(text);
  if (has_word(text, DROP) && n >= 1 && (size_t)n <= json_array_size(qs)) {
    json_array_remove(qs, (size_t)n - 1);
    understood = 1;
  }
  if (has_word(text, SHORT)) {
    json_object_set_new(card, "depth", json_string("quick"));
    understood = 1;
  } else if (has_word(text, DEEP)) {
    json_object_set_new(card, "depth", json_string("deep"));
    understood = 1;
  }
  if (has_word(text, EXEC)) {
    json_object_set_new(card, "audience", json_string(strcmp(lang, "ko") ? "executives" : "경영진"));
    json_object_set_new(card, "tone", json_string("concise"));
    understood = 1;
  }
  if (has_word(text, WEB)) {
    json_object_set_new(json_object_get(card, "sources"), "web", json_true());
    understood = 1;
  }
  for (size_t i = 0; FOCUS[i]; i++) {
    const char *f = strcasestr(text, FOCUS[i]);
    if (!f) continue;
    char *focus = topic_of(f + strlen(FOCUS[i]));
    buf_t b = BUF_INIT;
    buf_init(&b);
    buf_printf(&b, "%s (%s)", json_string_value(json_object_get(card, "title")), focus);
    if (b.len <= TITLE_MAX) json_object_set_new(card, "title", json_string(b.data));
    buf_reset(&b);
    buf_printf(&b, strcmp(lang, "ko") ? "How does this apply to %s specifically?" : "%s에는 어떻게 적용되는가?", focus);
    if (json_array_size(qs) >= DRAFT_MAX_QUESTIONS) json_array_remove(qs, json_array_size(qs) - 1);
    add_question(qs, b.data);
    buf_free(&b);
    free(focus);
    understood = 1;
    break;
  }
  return understood;
}

json_t *drafts_offline_proposal(agents_t *ag, const char *user_id, const char *text, json_t *current) {
  const agents_deps_t *deps = &ag->deps;
  static const char *const WEB[] = {"web", "online", "internet", "news", "latest", "인터넷", "웹", "최신", NULL};
  json_t *card;
  if (current) {
    card = json_deep_copy(current);
    const char *lang = json_string_value(json_object_get(card, "language"));
    if (!refine(card, text, lang ? lang : "en")) {
      json_t *cl = clauses_of(text);
      size_t i;
      json_t *c;
      json_array_foreach(cl, i, c) questions_of(json_object_get(card, "questions"), json_string_value(c), 0,
                                                lang ? lang : "en", NULL);
      json_decref(cl);
    }
    pad_questions(json_object_get(card, "questions"), json_string_value(json_object_get(card, "title")),
                  lang ? lang : "en");
  } else {
    const char *lang = agent_detect_language(text);
    json_t *cl = clauses_of(text), *qs = json_array();
    char *topic = topic_of(json_array_size(cl) ? json_string_value(json_array_get(cl, 0)) : text);
    if (strlen(topic) > 120) {
      memcpy(topic + util_utf8_floor(topic, 117), "...", 4); /* the string holds more than 120 bytes */
    }
    size_t i;
    json_t *c;
    char *audience = NULL;
    json_array_foreach(cl, i, c) questions_of(qs, json_string_value(c), i == 0, lang, &audience);
    pad_questions(qs, topic, lang);
    json_t *docs = matching_documents(deps, user_id, NULL, text);
    int web = has_word(text, WEB) || !json_array_size(docs);
    if (topic[0]) topic[0] = (char)toupper((unsigned char)topic[0]);
    card =
        json_pack("{s:s, s:o, s:{s:b, s:n, s:b, s:b}, s:s, s:s, s:s, s:s, s:o}", "title", topic, "questions", qs,
                  "sources", "documents", json_array_size(docs) > 0 || !web, "group_id", "web", web, "scholarly", 0,
                  "depth", "standard", "language", lang, "tone", "formal", "audience", audience ? audience : "",
                  "matched_documents", docs);
    free(topic);
    free(audience);
    json_decref(cl);
    refine(card, text, lang); /* "shorter, for executives" in the first message too */
  }
  json_object_set_new(card, "origin", json_string("offline"));
  return card;
}

/* ---------- the planner's turn ---------- */

static json_t *answer_schema(void) {
  return json_pack(
      "{s:s, s:[s,s,s,s,s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:{s:s}}, s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}},"
      " s:{s:s, s:[s,s,s]}, s:{s:s}, s:{s:s}, s:{s:s}}}",
      "type", "object", "required", "reply", "title", "questions", "sources", "depth", "language", "tone", "audience",
      "properties", "reply", "type", "string", "title", "type", "string", "questions", "type", "array", "items", "type",
      "string", "sources", "type", "object", "properties", "documents", "type", "boolean", "web", "type", "boolean",
      "scholarly", "type", "boolean", "depth", "type", "string", "enum", "quick", "standard", "deep", "language",
      "type", "string", "tone", "type", "string", "audience", "type", "string");
}

/* The user message: the conversation, the current card, the library's matches. */
static char *turn_prompt(json_t *history, json_t *current, json_t *docs) {
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_puts(&u, "The conversation so far:\n");
  size_t i;
  json_t *m;
  json_array_foreach(history, i, m) {
    const char *role = json_string_value(json_object_get(m, "role"));
    const char *c = json_string_value(json_object_get(m, "content"));
    if (!role || !c) continue;
    const char *who = !strcmp(role, "user") ? "User" : !strcmp(role, "edit") ? "User (edited the card)" : "You";
    buf_printf(&u, "%s: %s\n", who, c);
  }
  if (current) {
    json_t *c = json_deep_copy(current);
    json_object_del(c, "origin");
    json_object_del(c, "matched_documents");
    char *j = json_dumps(c, JSON_COMPACT | JSON_ENSURE_ASCII);
    buf_printf(&u, "\nThe current proposal: %s\n", j ? j : "{}");
    free(j);
    json_decref(c);
  }
  if (json_array_size(docs)) {
    buf_puts(&u, "\nDocuments of the user's library that match the request:\n");
    json_t *d;
    json_array_foreach(docs, i, d) buf_printf(&u, "- %s\n", json_string_value(json_object_get(d, "title")));
  } else
    buf_puts(&u, "\nNo document of the user's library matches the request.\n");
  const char *last = NULL;
  json_array_foreach(history, i, m) if (!strcmp(json_string_value(json_object_get(m, "role")) ?: "", "user")) last =
      json_string_value(json_object_get(m, "content"));
  buf_printf(&u, "\nThe user's latest message: %s\n", last ? last : "");
  return buf_detach(&u, NULL);
}

/* The card of a model answer, or -1 with why (for the re-ask and the record). */
static int answer_card(json_t *ans, json_t *current, json_t *docs, json_t **card, char **reply, char *why,
                       size_t whylen) {
  *card = NULL;
  json_t *in = json_deep_copy(ans);
  const char *r = json_string_value(json_object_get(ans, "reply"));
  json_object_del(in, "reply");
  /* the model cannot name groups: the user's choice stays */
  json_t *src = json_object_get(in, "sources");
  json_t *g = json_object_get(json_object_get(current, "sources"), "group_id");
  if (json_is_object(src) && json_is_string(g)) json_object_set(src, "group_id", g);
  json_object_set_new(in, "origin", json_string("model"));
  json_object_set(in, "matched_documents", docs);
  char field[64], err[300];
  int rc = drafts_proposal_check(in, card, field, sizeof field, err, sizeof err);
  json_decref(in);
  if (rc != 0) {
    snprintf(why, whylen, "%s", err);
    return -1;
  }
  const char *lang = json_string_value(json_object_get(*card, "language"));
  size_t i;
  json_t *q;
  json_array_foreach(json_object_get(*card, "questions"), i, q) if (!guard_is_question(json_string_value(q), lang)) {
    snprintf(why, whylen, "question %zu is not a question (write each as a question ending with '?')", i + 1);
    json_decref(*card);
    *card = NULL;
    return -1;
  }
  *reply = util_strdup(r && r[0] ? r : "");
  return 0;
}

/* The reply that goes with an offline card. malloc'd. */
static char *offline_reply(json_t *card, int fallback) {
  const char *lang = json_string_value(json_object_get(card, "language"));
  int ko = lang && !strcmp(lang, "ko");
  size_t nd = json_array_size(json_object_get(card, "matched_documents"));
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (ko)
    buf_printf(&b, "%s 요청의 문장에서 연구 질문을 만들었고, 서재에서 관련 문서 %zu개를 찾았습니다.",
               fallback ? "모델의 답을 쓸 수 없어 오프라인 제안입니다:" : "오프라인 제안입니다(모델 없음):", nd);
  else
    buf_printf(&b,
               "%s the research questions come from the clauses of your request, and %zu matching document%s "
               "found in your library.",
               fallback ? "Offline proposal, because the model's answer could not be used:"
                        : "Offline proposal (no model configured):",
               nd, nd == 1 ? " was" : "s were");
  return buf_detach(&b, NULL);
}

/* ---------- streaming the planner's reply ---------- */

/*
 * The planner answers one JSON object; what the user reads as it is written
 * is its top-level "reply" string. reply_tap follows the object as it
 * streams (depth, strings, escapes, which string is a key) and passes the
 * decoded characters of that string to the chat streaming helper, so the
 * research chat's tokens are the chat's "token" events. An escape cut by
 * the network waits for its next piece.
 */
typedef struct {
  chat_stream_t *out;
  buf_t raw;
  size_t pos, str_start;
  int depth, in_str, esc, expect_key, is_key;
  int after_key; /* 1: the key "reply" just closed, 2: and its ':' */
  int in_reply, done, emitted;
} reply_tap_t;

static void tap_reset(reply_tap_t *t) {
  chat_stream_t *out = t->out;
  buf_t raw = t->raw;
  buf_reset(&raw);
  memset(t, 0, sizeof *t);
  t->out = out;
  t->raw = raw;
}

static int hexval(const char *h, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char c = h[i];
    *v <<= 4;
    if (c >= '0' && c <= '9')
      *v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      *v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      *v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  return 0;
}

/* Decodes the reply string from t->pos; returns when the input ends (or in
 * the middle of an escape) or the string closes. */
static void tap_reply(reply_tap_t *t) {
  const char *r = t->raw.data;
  size_t n = t->raw.len;
  while (t->pos < n && !t->done) {
    char c = r[t->pos];
    if (c == '"') {
      t->done = 1;
      break;
    }
    if (c != '\\') {
      size_t e = t->pos;
      while (e < n && r[e] != '"' && r[e] != '\\') e++;
      chat_stream_token(t->out, r + t->pos, e - t->pos);
      t->emitted = 1;
      t->pos = e;
      continue;
    }
    if (t->pos + 1 >= n) return;
    char e = r[t->pos + 1], one[8];
    size_t len = 1, used = 2;
    static const char FROM[] = "nbfrt", TO[] = "\n\b\f\r\t";
    const char *k = e ? strchr(FROM, e) : NULL;
    one[0] = k ? TO[k - FROM] : e; /* else \" \\ \/ */
    if (e == 'u') {
      unsigned cp, lo;
      if (t->pos + 6 > n) return;
      if (hexval(r + t->pos + 2, &cp) != 0) cp = 0xFFFD;
      used = 6;
      if (cp >= 0xD800 && cp < 0xDC00) {
        if (t->pos + 12 > n) return;
        if (r[t->pos + 6] == '\\' && r[t->pos + 7] == 'u' && hexval(r + t->pos + 8, &lo) == 0 && lo >= 0xDC00 &&
            lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          used = 12;
        }
      }
      len = text_utf8_encode(cp, one);
    }
    chat_stream_token(t->out, one, len);
    t->emitted = 1;
    t->pos += used;
  }
}

static int tap_token(void *ud, const char *text, size_t len) {
  reply_tap_t *t = ud;
  if (!text) { /* the model's answer restarts */
    tap_reset(t);
    return chat_stream_token(t->out, NULL, 0);
  }
  buf_append(&t->raw, text, len);
  if (t->in_reply) {
    tap_reply(t);
    return 0;
  }
  const char *r = t->raw.data;
  for (; t->pos < t->raw.len && !t->in_reply && !t->done; t->pos++) {
    char c = r[t->pos];
    if (t->in_str) {
      if (t->esc)
        t->esc = 0;
      else if (c == '\\')
        t->esc = 1;
      else if (c == '"') {
        t->in_str = 0;
        t->after_key = t->is_key && t->pos - t->str_start == 5 && !memcmp(r + t->str_start, "reply", 5);
      }
      continue;
    }
    if (isspace((unsigned char)c)) continue;
    if (c == '"' && t->after_key == 2) {
      t->in_reply = 1;
      t->pos++;
      tap_reply(t);
      return 0;
    }
    if (c == '"') {
      t->in_str = 1;
      t->str_start = t->pos + 1;
      t->is_key = t->expect_key && t->depth == 1;
      t->expect_key = 0;
      t->after_key = 0;
    } else if (c == ':' && t->after_key == 1)
      t->after_key = 2;
    else {
      t->after_key = 0;
      if (c == '{' || c == '[') t->depth++;
      if (c == '}' || c == ']') t->depth--;
      t->expect_key = (c == '{' && t->depth == 1) || (c == ',' && t->depth == 1);
    }
  }
  return 0;
}

int drafts_propose(agents_t *ag, const char *user_id, json_t *history, json_t *current, json_t **proposal, char **reply,
                   json_t **meta, const char *channel, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  *proposal = NULL;
  *reply = NULL;
  *meta = NULL;
  const char *first = NULL, *last = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(history, i, m) if (!strcmp(json_string_value(json_object_get(m, "role")) ?: "", "user")) {
    if (!first) first = json_string_value(json_object_get(m, "content"));
    last = json_string_value(json_object_get(m, "content"));
  }
  const char *gid = json_string_value(json_object_get(json_object_get(current, "sources"), "group_id"));
  json_t *docs = matching_documents(deps, user_id, gid, first ? first : "");

  llm_endpoint_t ep;
  char rerr[256];
  int have_model = llm_resolve(deps->llm, user_id, LLM_TIER_MID, &ep, rerr, sizeof rerr) == 0;
  sodium_memzero(&ep, sizeof ep);
  char why[400] = "";
  if (have_model) {
    char *sys = agent_prompt(deps, "mission_draft");
    char *user = turn_prompt(history, current, docs);
    json_t *schema = answer_schema();
    char *prev = NULL;
    int rc = LLM_OK;
    chat_stream_t cs;
    reply_tap_t tap = {0};
    if (channel) {
      chat_stream_init(&cs, deps->events, channel);
      tap.out = &cs;
      buf_init(&tap.raw);
    }
    for (int attempt = 0; attempt < 2 && !*proposal; attempt++) {
      if (channel && tap.emitted) tap_token(&tap, NULL, 0); /* the second answer replaces the first */
      buf_t again = BUF_INIT;
      buf_init(&again);
      llm_message_t msgs[4] = {{"system", sys ? sys : ""}, {"user", user}};
      size_t nm = 2;
      if (prev) {
        buf_printf(&again,
                   "Your answer could not be used: %s. Answer again with the JSON object only, with 3 to 8 research "
                   "questions that end with a question mark.",
                   why);
        msgs[nm++] = (llm_message_t){"assistant", prev};
        msgs[nm++] = (llm_message_t){"user", again.data};
      }
      llm_request_t req = {0};
      req.tier = LLM_TIER_MID;
      req.messages = msgs;
      req.nmessages = nm;
      req.temperature = -1;
      req.json_schema = schema;
      req.schema_name = "mission_proposal";
      req.user_id = user_id;
      req.agent = "mission_draft";
      req.cache = LLM_CACHE_OFF;
      if (channel) {
        req.on_token = tap_token;
        req.token_ud = &tap;
      }
      llm_response_t resp;
      char lerr[600] = "";
      rc = llm_chat(deps->llm, &req, &resp, lerr, sizeof lerr);
      buf_free(&again);
      if (rc == LLM_OK) {
        if (!strcmp(resp.finish_reason, "length"))
          snprintf(why, sizeof why, "it was cut off by the token limit; answer more briefly");
        else if (answer_card(resp.json, current, docs, proposal, reply, why, sizeof why) == 0)
          *meta = json_pack("{s:s, s:s, s:i, s:i, s:f}", "mode", "model", "model", resp.model, "prompt_tokens",
                            resp.prompt_tokens, "completion_tokens", resp.completion_tokens, "cost_usd", resp.cost_usd);
        free(prev);
        prev = util_strdup(resp.text ? resp.text : "");
        llm_response_free(&resp);
      } else if (rc == LLM_ERR_INVALID_JSON) {
        snprintf(why, sizeof why, "%.300s", lerr); /* the model layer already asked again */
        break;
      } else {
        snprintf(err, errlen, "the model could not answer: %s", lerr);
        break;
      }
      if (!*proposal) log_info("drafts", "planner answer rejected (%s)%s", why, attempt ? "; falling back" : "");
    }
    free(prev);
    free(sys);
    free(user);
    json_decref(schema);
    if (channel) {
      if (!*proposal && tap.emitted) tap_token(&tap, NULL, 0); /* the fallback's reply replaces it */
      chat_stream_finish(&cs);
      buf_free(&tap.raw);
    }
    if (!*proposal && rc != LLM_OK && rc != LLM_ERR_INVALID_JSON) {
      json_decref(docs);
      return DRAFT_ERR_MODEL;
    }
  }
  if (!*proposal) {
    int fallback = have_model;
    json_t *card = drafts_offline_proposal(ag, user_id, current ? last : (first ? first : ""), current);
    if (fallback) json_object_set_new(card, "origin", json_string("fallback"));
    if (!current) json_object_set(card, "matched_documents", docs);
    char field[64];
    if (drafts_proposal_check(card, proposal, field, sizeof field, err, errlen) != 0) {
      /* the offline card is built to pass; a refinement may have emptied it */
      json_decref(card);
      if (!current) {
        json_decref(docs);
        return DRAFT_ERR;
      }
      *proposal = json_deep_copy(current);
    } else
      json_decref(card);
    *reply = offline_reply(*proposal, fallback);
    *meta = fallback ? json_pack("{s:s, s:s}", "mode", "fallback", "reason", why[0] ? why : "no usable answer")
                     : json_pack("{s:s}", "mode", "offline");
  }
  if (!(*reply)[0]) {
    free(*reply);
    *reply = util_strdup(json_string_value(json_object_get(*proposal, "title")));
  }
  json_decref(docs);
  return DRAFT_OK;
}

/* ---------- conversation, jobs and start ---------- */

static void channel_of(const char *id, char *out, size_t n) {
  snprintf(out, n, "draft:%s", id);
}

static void publish(const agents_deps_t *deps, const char *draft_id, const char *event, json_t *data, int64_t *seq) {
  char channel[40];
  channel_of(draft_id, channel, sizeof channel);
  if (events_publish(deps->events, channel, event, data, seq) != 0)
    log_warn("drafts", "could not publish on %s", channel);
  json_decref(data);
}

static int64_t stale_ms(const agents_deps_t *deps) {
  return (config_int(deps->cfg, "LLM_TIMEOUT_SECONDS") * 2 * (config_int(deps->cfg, "LLM_MAX_RETRIES") + 1) + 60) *
         1000;
}

/* Answers the draft's last user turn and stores the answer; releases the draft. */
static int answer_turn(agents_t *ag, const char *user_id, const char *draft_id, json_t **amsg, char *err,
                       size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  *amsg = NULL;
  json_t *d = store_draft_json(deps->store, user_id, draft_id, 0);
  json_t *history = d ? store_draft_recent(deps->store, user_id, draft_id, HISTORY_TURNS) : NULL;
  int rc = DRAFT_ERR_NOT_FOUND;
  if (!d || !history) {
    snprintf(err, errlen, "mission draft %s not found", draft_id);
    goto out;
  }
  json_t *current = json_object_get(d, "proposal");
  json_t *proposal = NULL, *meta = NULL;
  char *reply = NULL;
  char channel[40];
  channel_of(draft_id, channel, sizeof channel);
  rc = drafts_propose(ag, user_id, history, json_object_size(current) ? current : NULL, &proposal, &reply, &meta,
                      channel, err, errlen);
  if (rc == DRAFT_OK) {
    if (store_draft_add_message(deps->store, user_id, draft_id, "assistant", reply, proposal, meta, amsg) != STORE_OK) {
      snprintf(err, errlen, "could not store the answer of mission draft %s", draft_id);
      rc = DRAFT_ERR;
    }
  }
  free(reply);
  json_decref(proposal);
  json_decref(meta);
out:
  store_draft_release(deps->store, draft_id);
  json_decref(history);
  json_decref(d);
  return rc;
}

static job_result_t turn_job(void *ud, jobs_t *jobs, const store_job_t *job, char *err, size_t errlen) {
  (void)jobs;
  agents_t *ag = ud;
  const agents_deps_t *deps = &ag->deps;
  json_t *amsg = NULL;
  int rc = answer_turn(ag, job->user_id, job->ref_id, &amsg, err, errlen);
  if (rc == DRAFT_OK) {
    publish(deps, job->ref_id, "message", amsg, NULL);
    return JOB_DONE;
  }
  if (rc != DRAFT_ERR_NOT_FOUND) publish(deps, job->ref_id, "error", json_pack("{s:s}", "message", err), NULL);
  return JOB_FAILED;
}

void drafts_register(agents_t *ag) {
  if (ag->deps.jobs) jobs_register(ag->deps.jobs, "draft_turn", 2, turn_job, ag);
}

int drafts_create(agents_t *ag, const char *user_id, const char *content, json_t **draft, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  *draft = NULL;
  json_t *history = json_pack("[{s:s, s:s}]", "role", "user", "content", content);
  json_t *proposal = NULL, *meta = NULL;
  char *reply = NULL;
  int rc = drafts_propose(ag, user_id, history, NULL, &proposal, &reply, &meta, NULL, err, errlen);
  json_decref(history);
  char id[17];
  if (rc == DRAFT_OK &&
      (store_draft_create(deps->store, user_id, proposal, id) != STORE_OK ||
       store_draft_add_message(deps->store, user_id, id, "user", content, NULL, NULL, NULL) != STORE_OK ||
       store_draft_add_message(deps->store, user_id, id, "assistant", reply, proposal, meta, NULL) != STORE_OK)) {
    snprintf(err, errlen, "could not store the mission draft");
    rc = DRAFT_ERR;
  }
  if (rc == DRAFT_OK) *draft = store_draft_json(deps->store, user_id, id, 1);
  free(reply);
  json_decref(proposal);
  json_decref(meta);
  return rc;
}

/* Takes the draft for one turn or the start: DRAFT_OK, or the refusal with
 * *why and err (busy says what the planner is doing meanwhile). */
static int claim(const agents_deps_t *deps, const char *user_id, const char *draft_id, const char *busy,
                 agents_err_t *why, char *err, size_t errlen) {
  int rc = store_draft_claim(deps->store, user_id, draft_id, stale_ms(deps));
  if (rc == STORE_OK) return DRAFT_OK;
  if (rc == STORE_NOT_FOUND) {
    *why = AGENTS_E_NOT_FOUND;
    snprintf(err, errlen, "mission draft %s not found", draft_id);
    return DRAFT_ERR_NOT_FOUND;
  }
  if (rc == STORE_CONFLICT) {
    *why = AGENTS_E_CONFLICT;
    snprintf(err, errlen, "%s", busy);
    return DRAFT_ERR_BUSY;
  }
  *why = AGENTS_E_INTERNAL;
  snprintf(err, errlen, "could not read mission draft %s", draft_id);
  return DRAFT_ERR;
}

int drafts_submit_turn(agents_t *ag, const char *user_id, const char *draft_id, const char *content, json_t **qmsg,
                       int64_t *seq, char *err, size_t errlen) {
  const agents_deps_t *deps = &ag->deps;
  *qmsg = NULL;
  agents_err_t why;
  int rc = claim(deps, user_id, draft_id, "the planner is still answering the previous message of this draft", &why,
                 err, errlen);
  if (rc != DRAFT_OK) return rc;
  if (store_draft_add_message(deps->store, user_id, draft_id, "user", content, NULL, NULL, qmsg) != STORE_OK) {
    store_draft_release(deps->store, draft_id);
    snprintf(err, errlen, "could not store the message");
    return DRAFT_ERR;
  }
  publish(deps, draft_id, "message", json_incref(*qmsg), seq);
  if (jobs_submit(deps->jobs, "draft_turn", draft_id, user_id, NULL, NULL) != 0) {
    store_draft_release(deps->store, draft_id);
    publish(deps, draft_id, "error", json_pack("{s:s}", "message", "the answer could not be queued; send it again"),
            NULL);
    snprintf(err, errlen, "could not queue the answer");
    return DRAFT_ERR;
  }
  return DRAFT_OK;
}

int drafts_start(agents_t *ag, const char *user_id, const char *draft_id, char *mission_id, agents_err_t *why,
                 char *err, size_t errlen, json_t **preflight) {
  const agents_deps_t *deps = &ag->deps;
  *preflight = NULL;
  *why = AGENTS_E_INTERNAL;
  int rc = claim(deps, user_id, draft_id,
                 "the planner is still answering a message of this draft; start it when the card is ready", why, err,
                 errlen);
  if (rc != DRAFT_OK) return rc;
  json_t *d = store_draft_json(deps->store, user_id, draft_id, 1);
  int ret = DRAFT_ERR;
  if (!d) {
    snprintf(err, errlen, "could not read mission draft %s", draft_id);
    goto out;
  }
  if (json_is_string(json_object_get(d, "mission_id"))) {
    *why = AGENTS_E_CONFLICT;
    snprintf(err, errlen, "this draft already started mission %s", json_string_value(json_object_get(d, "mission_id")));
    ret = DRAFT_ERR_STARTED;
    goto out;
  }
  const char *request = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(d, "messages"), i,
                     m) if (!request && !strcmp(json_string_value(json_object_get(m, "role")), "user")) request =
      json_string_value(json_object_get(m, "content"));
  json_t *proposal = json_object_get(d, "proposal");
  json_t *req = drafts_mission_request(proposal, request);
  if (agents_mission_create(ag, user_id, req, 1, mission_id, why, err, errlen, preflight) != 0) {
    json_decref(req);
    goto out;
  }
  json_decref(req);
  /* the conversation continues as a chat with documents in the mission's scope */
  char chat_id[17] = "";
  buf_t t = BUF_INIT;
  buf_init(&t);
  buf_printf(&t, "%.190s", json_string_value(json_object_get(proposal, "title")));
  const char *gid = json_string_value(json_object_get(json_object_get(proposal, "sources"), "group_id"));
  if (store_chat_create(deps->store, user_id, t.data, gid, chat_id) != STORE_OK) chat_id[0] = 0;
  buf_free(&t);
  if (store_draft_set_started(deps->store, user_id, draft_id, mission_id, chat_id[0] ? chat_id : NULL) != STORE_OK)
    log_warn("drafts", "draft %s: could not record mission %s", draft_id, mission_id);
  publish(deps, draft_id, "started",
          json_pack("{s:s, s:s?}", "mission_id", mission_id, "chat_id", chat_id[0] ? chat_id : NULL), NULL);
  ret = DRAFT_OK;
out:
  store_draft_release(deps->store, draft_id);
  json_decref(d);
  return ret;
}
