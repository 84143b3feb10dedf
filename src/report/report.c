/*
 * report.c - Markdown assembly, citation numbering, reference list, run
 * record, HTML export. See report.h.
 */
#include "report/report.h"

#include <md4c-html.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/util.h"
#include "report/cite.h"
#include "report/footnotes.h"
#include "report/math.h"

/* The citation key of a note: its source (document + page, or URL), so
 * several notes from one page share a number; the note id when unknown. */
static void source_key(json_t *note, const char *id, char *key, size_t n) {
  const char *url = json_string_value(json_object_get(note, "url"));
  const char *doc = json_string_value(json_object_get(note, "document_id"));
  if (url && url[0])
    snprintf(key, n, "u:%s", url);
  else if (doc)
    snprintf(key, n, "d:%s:%lld", doc, (long long)json_integer_value(json_object_get(note, "page")));
  else
    snprintf(key, n, "n:%s", id);
}

static int has_string(json_t *arr, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (!strcmp(json_string_value(v), s)) return 1;
  return 0;
}

char *report_number_citations(const char *text, json_t *numbers) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *known = json_object_get(numbers, "_known");
  if (!json_object_get(numbers, "_keys")) json_object_set_new(numbers, "_keys", json_object());
  if (!json_object_get(numbers, "_rep")) json_object_set_new(numbers, "_rep", json_object());
  if (!json_object_get(numbers, "_occ")) json_object_set_new(numbers, "_occ", json_object());
  if (!json_object_get(numbers, "_all")) json_object_set_new(numbers, "_all", json_object());
  json_t *keys = json_object_get(numbers, "_keys"), *rep = json_object_get(numbers, "_rep");
  json_t *occ = json_object_get(numbers, "_occ"), *all = json_object_get(numbers, "_all");
  const char *p = text ? text : "";
  json_int_t last = -1;
  while (*p) {
    if (p[0] == '[' && p[1] == '#') {
      const char *c = strchr(p, ']');
      if (c && c - p == 18) {
        char id[17], key[600];
        memcpy(id, p + 2, 16);
        id[16] = 0;
        json_t *note = known ? json_object_get(known, id) : NULL;
        p = c + 1;
        if (known && !note) continue; /* unknown note: drop the marker */
        source_key(note, id, key, sizeof key);
        json_t *n = json_object_get(keys, key);
        if (!n) {
          n = json_integer((json_int_t)json_object_size(keys) + 1);
          json_object_set_new(keys, key, n);
          json_object_set_new(rep, key, note ? json_incref(note) : json_string(id));
          json_object_set_new(occ, key, json_array());
          json_object_set_new(all, key, json_array());
        }
        /* which notes this [n] cites, and every note of the source */
        json_t *places = json_object_get(occ, key), *ids = json_object_get(all, key);
        if (json_integer_value(n) != last) {
          buf_printf(&b, "[%lld]", (long long)json_integer_value(n));
          json_array_append_new(places, json_array());
        }
        json_t *here = json_array_get(places, json_array_size(places) - 1);
        if (!has_string(here, id)) json_array_append_new(here, json_string(id));
        if (!has_string(ids, id)) json_array_append_new(ids, json_string(id));
        last = json_integer_value(n);
        continue;
      }
    }
    last = -1;
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

static const char *L(const char *lang, const char *en, const char *ko) {
  return !strcmp(lang, "ko") ? ko : en;
}

#define UNVERIFIED " *(unverified)*" /* the verifier's mark (agents/verifier.c) */

/* content with a footnote label [^vK] after each unverified mark that the
 * verification details of section_id explain; each label goes to notes as
 * {label, section_id, sentence, reason}. malloc'd. */
static char *label_unverified(const char *content, const char *section_id, json_t *verification, json_t *notes) {
  char *cur = util_strdup(content);
  size_t i;
  json_t *d;
  json_array_foreach(verification, i, d) {
    const char *sid = json_string_value(json_object_get(d, "section_id"));
    const char *sentence = json_string_value(json_object_get(d, "sentence"));
    if (json_is_true(json_object_get(d, "supported")) || !sid || strcmp(sid, section_id) || !sentence || !sentence[0])
      continue;
    size_t slen = strlen(sentence), mlen = strlen(UNVERIFIED);
    int marked = slen >= mlen && !strcmp(sentence + slen - mlen, UNVERIFIED);
    for (char *at = strstr(cur, sentence); at; at = strstr(at + 1, sentence)) {
      char *end = at + slen;
      if (!marked) {
        if (strncmp(end, UNVERIFIED, mlen)) continue;
        end += mlen;
      }
      if (!strncmp(end, "[^v", 3)) continue; /* labelled already */
      char label[24];
      snprintf(label, sizeof label, "v%zu", json_array_size(notes) + 1);
      const char *reason = json_string_value(json_object_get(d, "reason"));
      json_array_append_new(
          notes, json_pack("{s:s, s:s, s:s, s:s}", "label", label, "section_id", sid, "sentence", sentence, "reason",
                           reason && reason[0] ? reason : "not supported by the cited sources"));
      buf_t b = BUF_INIT;
      buf_init(&b);
      buf_append(&b, cur, (size_t)(end - cur));
      buf_printf(&b, "[^%s]", label);
      buf_puts(&b, end);
      free(cur);
      cur = buf_detach(&b, NULL);
      break;
    }
  }
  return cur;
}

/* The run record's custom agents: what each run said (its critique, the
 * notes it added) or why it was skipped, in the order they ran. */
static void custom_agents_trail(buf_t *b, const char *lang, json_t *runs) {
  if (!json_array_size(runs)) return;
  buf_printf(b, "- %s:\n", L(lang, "Custom agents", "사용자 정의 에이전트"));
  size_t i;
  json_t *r;
  json_array_foreach(runs, i, r) {
    json_t *out = json_object_get(r, "output");
    const char *pos = json_string_value(json_object_get(r, "position"));
    const char *title = json_string_value(json_object_get(out, "section_title"));
    int after = pos && !strcmp(pos, "after_research");
    buf_printf(b, "  - %s v%lld (%s", json_string_value(json_object_get(r, "agent")),
               (long long)json_integer_value(json_object_get(r, "version")),
               after ? L(lang, "after research", "조사 후") : L(lang, "before writing", "작성 전"));
    if (title) buf_printf(b, ", \"%s\"", title);
    buf_puts(b, "): ");
    if (!strcmp(json_string_value(json_object_get(r, "status")), "skipped")) {
      buf_printf(b, "%s: %s\n", L(lang, "skipped", "건너뜀"), json_string_value(json_object_get(r, "reason")));
      continue;
    }
    const char *critique = json_string_value(json_object_get(out, "critique"));
    long long added = (long long)json_integer_value(json_object_get(out, "notes_added"));
    buf_printf(b, "%s", critique && critique[0] ? critique : L(lang, "(no critique)", "(평가 없음)"));
    if (added) buf_printf(b, " (%s: %lld)", L(lang, "notes added", "추가한 노트"), added);
    buf_puts(b, "\n");
  }
}

char *report_markdown(const report_input_t *in, json_t **meta) {
  const char *lang = in->language ? in->language : "en";
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *numbers = json_object(), *known = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(in->notes, i, n) json_object_set(known, json_string_value(json_object_get(n, "id")), n);
  json_object_set(numbers, "_known", known);

  buf_printf(&b, "# %s\n\n", in->title);
  json_t *rec = in->record;
  if (rec && json_is_true(json_object_get(rec, "offline")))
    buf_printf(&b, "> %s\n\n",
               L(lang, "**Offline report**: made without a language model, from verbatim quotes of the sources.",
                 "**오프라인 보고서**: 언어 모델 없이 출처의 원문 인용만으로 작성되었습니다."));
  const char *outcome = rec ? json_string_value(json_object_get(rec, "outcome")) : NULL;
  if (outcome && !strcmp(outcome, "no_evidence"))
    buf_printf(&b, "> %s\n\n",
               L(lang,
                 "**No verified evidence**: no sentence of this report is backed by a verified quote from its "
                 "sources. Read it as unsupported; the run record below says what was missing.",
                 "**검증된 근거 없음**: 이 보고서의 어떤 문장도 출처의 검증된 인용으로 뒷받침되지 않습니다. "
                 "아래 실행 기록에서 무엇이 빠졌는지 확인하십시오."));
  if (rec && json_is_true(json_object_get(rec, "budget_hit")))
    buf_printf(&b, "> %s\n\n",
               L(lang, "The research budget was reached; the report was written with the evidence gathered so far.",
                 "연구 예산에 도달하여 그때까지 수집한 근거로 보고서를 작성했습니다."));
  if (in->introduction && in->introduction[0]) {
    char *t = report_number_citations(in->introduction, numbers);
    buf_printf(&b, "## %s\n\n%s\n\n", L(lang, "Introduction", "서론"), t);
    free(t);
  }
  if (in->changes && in->changes[0])
    buf_printf(&b, "## %s\n\n%s\n", L(lang, "What changed since the last run", "지난 실행 이후 변경 사항"),
               in->changes);
  json_t *titles = json_array(), *unverified = json_array();
  json_t *s;
  json_array_foreach(in->sections, i, s) {
    const char *sid = json_string_value(json_object_get(s, "id"));
    int sub = json_is_string(json_object_get(s, "parent_id"));
    const char *title = json_string_value(json_object_get(s, "title"));
    json_array_append_new(titles, json_string(title));
    buf_printf(&b, "%s %s\n\n", sub ? "###" : "##", title);
    json_t *d = json_object_get(in->drafts, sid);
    const char *content = json_string_value(json_object_get(d, "content"));
    if (content && content[0]) {
      char *l = label_unverified(content, sid, in->verification, unverified);
      char *t = report_number_citations(l, numbers);
      buf_printf(&b, "%s\n\n", t);
      free(t);
      free(l);
    } else if (!sub)
      buf_printf(&b, "*%s*\n\n",
                 L(lang, "No verified source covered this section.", "이 절을 다루는 검증된 출처가 없습니다."));
  }
  if (json_array_size(in->charts)) {
    buf_printf(&b, "## %s\n\n", L(lang, "Charts", "차트"));
    if (rec && json_is_true(json_object_get(rec, "offline")))
      buf_printf(&b, "*%s*\n\n",
                 L(lang, "Computed without a model: the figures and charts alone, no written insights.",
                   "모델 없이 계산됨: 수치와 차트만 있고 해석은 없습니다."));
    json_t *c;
    json_array_foreach(in->charts, i, c) {
      const char *svg = json_string_value(json_object_get(c, "svg"));
      const char *ct = json_string_value(json_object_get(c, "title"));
      if (!svg || !util_starts_with(svg, "<svg")) continue;
      size_t sl = strlen(svg), bl = sodium_base64_encoded_len(sl, sodium_base64_VARIANT_ORIGINAL);
      char *b64 = malloc(bl);
      if (!b64) abort();
      sodium_bin2base64(b64, bl, (const unsigned char *)svg, sl, sodium_base64_VARIANT_ORIGINAL);
      char alt[200];
      snprintf(alt, sizeof alt, "%s", ct ? ct : "chart");
      for (char *a = alt; *a; a++)
        if (*a == '[' || *a == ']' || *a == '\n') *a = ' ';
      buf_printf(&b, "![%s](data:image/svg+xml;base64,%s)\n\n", alt, b64);
      free(b64);
    }
  }
  if (in->conclusion && in->conclusion[0]) {
    char *t = report_number_citations(in->conclusion, numbers);
    buf_printf(&b, "## %s\n\n%s\n\n", L(lang, "Conclusion", "결론"), t);
    free(t);
  }
  /* the verifier's reasons, as footnotes of the unverified marks */
  if (json_array_size(unverified)) {
    buf_printf(&b, "## %s\n\n", L(lang, "Unverified statements", "검증되지 않은 문장"));
    json_array_foreach(unverified, i, n) {
      /* the prefix keeps a one-word reason from reading as a link definition */
      buf_printf(&b, "[^%s]: %s: %s\n\n", json_string_value(json_object_get(n, "label")),
                 L(lang, "Unverified", "검증되지 않음"), json_string_value(json_object_get(n, "reason")));
    }
  }
  /* references in number order */
  json_t *keys = json_object_get(numbers, "_keys"), *reps = json_object_get(numbers, "_rep");
  json_t *occ = json_object_get(numbers, "_occ"), *all = json_object_get(numbers, "_all");
  size_t nrefs = json_object_size(keys);
  json_t *refs = json_array();
  char date[40] = "";
  util_iso_time(in->access_ms, date, sizeof date);
  date[10] = 0;
  if (nrefs) buf_printf(&b, "## %s\n\n", L(lang, "References", "참고 문헌"));
  for (size_t k = 1; k <= nrefs; k++) {
    const char *key;
    json_t *v;
    json_object_foreach(keys, key, v) {
      if ((size_t)json_integer_value(v) != k) continue;
      json_t *note = json_object_get(reps, key);
      const char *docid = json_string_value(json_object_get(note, "document_id"));
      json_t *doc = docid ? json_object_get(in->documents, docid) : NULL;
      if (cite_report_line(&b, k, note, doc, lang, date) == 2) { /* a paper found by scholarly search */
        const char *const F[] = {"authors", "year", "venue", "doi"};
        const char *title = json_string_value(json_object_get(note, "source_title"));
        json_t *ref = json_pack("{s:I, s:O?, s:s, s:O?}", "n", (json_int_t)k, "note_id", json_object_get(note, "id"),
                                "title", title && title[0] ? title : "", "url", json_object_get(note, "url"));
        for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
          const char *bv = json_string_value(json_object_get(note, F[f]));
          if (bv && bv[0]) json_object_set_new(ref, F[f], json_string(bv));
        }
        json_array_append_new(refs, ref);
        continue;
      }
      const char *title = json_string_value(json_object_get(note, "source_title"));
      const char *url = json_string_value(json_object_get(note, "url"));
      json_array_append_new(
          refs, json_pack("{s:I, s:O?, s:s, s:O?, s:O?, s:I, s:s, s:O?, s:O?, s:O?, s:O, s:O}", "n", (json_int_t)k,
                          "note_id", json_object_get(note, "id"), "title", title ? title : "", "url",
                          json_object_get(note, "url"), "document_id", json_object_get(note, "document_id"), "page",
                          json_integer_value(json_object_get(note, "page")), "kind", url && url[0] ? "web" : "document",
                          "filename", json_object_get(doc, "filename"), "authors", json_object_get(note, "authors"),
                          "year", json_object_get(doc, "year"), "notes", json_object_get(all, key), "cites",
                          json_object_get(occ, key)));
      json_t *ref = json_array_get(refs, json_array_size(refs) - 1);
      const char *const BIB[] = {"authors", "year", "venue", "doi", "arxiv_id"};
      for (size_t f = 0; f < sizeof BIB / sizeof BIB[0]; f++) {
        const char *bv = json_string_value(json_object_get(note, BIB[f]));
        if (bv && bv[0]) json_object_set_new(ref, BIB[f], json_string(bv));
      }
    }
  }
  if (nrefs) buf_putc(&b, '\n');
  if (rec) {
    buf_printf(&b, "## %s\n\n", L(lang, "Run record", "실행 기록"));
    /* "gpt-4o, llama3" rather than the JSON array */
    json_t *models = json_object_get(rec, "models");
    char *ms = NULL;
    if (json_array_size(models)) {
      buf_t mb = BUF_INIT;
      size_t mi;
      json_t *mv;
      json_array_foreach(models, mi, mv) {
        if (!json_is_string(mv)) continue;
        if (mb.len) buf_puts(&mb, ", ");
        buf_puts(&mb, json_string_value(mv));
      }
      ms = mb.len ? buf_detach(&mb, NULL) : NULL;
      buf_free(&mb);
    }
    buf_printf(&b, "- %s: %s\n", L(lang, "Mode", "모드"),
               json_is_true(json_object_get(rec, "offline")) ? L(lang, "offline (extractive)", "오프라인 (추출식)")
                                                             : L(lang, "model-assisted", "모델 사용"));
    if (ms) buf_printf(&b, "- %s: %s\n", L(lang, "Models", "모델"), ms);
    free(ms);
    buf_printf(&b, "- %s: %lld (%lld %s)\n", L(lang, "Model calls", "모델 호출"),
               (long long)json_integer_value(json_object_get(rec, "calls")),
               (long long)json_integer_value(json_object_get(rec, "cached_calls")), L(lang, "from cache", "캐시"));
    buf_printf(&b, "- %s: %lld\n", L(lang, "Tokens", "토큰"),
               (long long)json_integer_value(json_object_get(rec, "tokens")));
    buf_printf(&b, "- %s: $%.4f\n", L(lang, "Cost", "비용"), json_number_value(json_object_get(rec, "cost")));
    buf_printf(&b, "- %s: %.1f s\n", L(lang, "Duration", "소요 시간"),
               json_number_value(json_object_get(rec, "duration_s")));
    buf_printf(&b, "- %s: %lld / %lld\n",
               L(lang, "Cited sentences supported by their sources", "출처로 뒷받침된 인용 문장"),
               (long long)json_integer_value(json_object_get(rec, "supported")),
               (long long)json_integer_value(json_object_get(rec, "checked")));
    const char *depth = json_string_value(json_object_get(rec, "depth"));
    if (depth) {
      long long ns = (long long)json_integer_value(json_object_get(rec, "searches"));
      long long np = (long long)json_integer_value(json_object_get(rec, "passages_read"));
      buf_printf(&b, "- %s: %s (%lld %s, %lld %s)\n", L(lang, "Depth", "깊이"), depth, ns,
                 L(lang, ns == 1 ? "search" : "searches", "검색"), np,
                 L(lang, np == 1 ? "distinct passage read" : "distinct passages read", "읽은 고유 구절"));
    }
    buf_printf(&b, "- %s: %zu\n", L(lang, "Sources cited", "인용된 출처"), nrefs);
    json_t *warnings = json_object_get(rec, "warnings");
    if (json_array_size(warnings)) {
      buf_printf(&b, "- %s:\n", L(lang, "Skipped or missing", "건너뛰거나 빠진 것"));
      size_t wi;
      json_t *w;
      json_array_foreach(warnings, wi, w) {
        const char *msg = json_string_value(json_object_get(w, "message"));
        if (msg) buf_printf(&b, "  - %s\n", msg);
      }
    }
    custom_agents_trail(&b, lang, json_object_get(rec, "custom_agents"));
  }
  if (meta)
    *meta = json_pack("{s:o, s:I, s:o, s:o}", "references", refs, "citations", (json_int_t)nrefs, "sections", titles,
                      "unverified", unverified);
  else {
    json_decref(refs);
    json_decref(titles);
    json_decref(unverified);
  }
  json_decref(numbers);
  json_decref(known);
  return buf_detach(&b, NULL);
}

static void html_out(const MD_CHAR *text, MD_SIZE size, void *ud) {
  buf_append((buf_t *)ud, text, size);
}

static void escape(buf_t *b, const char *s) {
  for (; *s; s++) {
    if (*s == '<')
      buf_puts(b, "&lt;");
    else if (*s == '>')
      buf_puts(b, "&gt;");
    else if (*s == '&')
      buf_puts(b, "&amp;");
    else if (*s == '"')
      buf_puts(b, "&quot;");
    else
      buf_putc(b, *s);
  }
}

/* Decodes one character reference at s (after '&'); returns the code point
 * and sets *used to the bytes consumed, or returns -1. */
static long char_ref(const char *s, size_t n, size_t *used) {
  static const struct {
    const char *name;
    long cp;
  } NAMED[] = {{"colon;", ':'}, {"tab;", '\t'}, {"newline;", '\n'}, {"amp;", '&'}, {"quot;", '"'},
               {"apos;", '\''}, {"lt;", '<'},   {"gt;", '>'},       {"sol;", '/'}, {"nbsp;", 0xa0}};
  if (n && s[0] == '#') {
    size_t i = 1;
    int hex = i < n && (s[i] == 'x' || s[i] == 'X');
    if (hex) i++;
    long v = 0;
    size_t digits = 0;
    for (; i < n && digits < 8; i++, digits++) {
      char c = s[i];
      int d = c >= '0' && c <= '9'          ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (d < 0) break;
      v = v * (hex ? 16 : 10) + d;
    }
    if (!digits) return -1;
    if (i < n && s[i] == ';') i++; /* browsers accept a missing ';' */
    *used = i;
    return v;
  }
  for (size_t k = 0; k < sizeof NAMED / sizeof NAMED[0]; k++) {
    size_t l = strlen(NAMED[k].name);
    if (l <= n && strncasecmp(s, NAMED[k].name, l) == 0) {
      *used = l;
      return NAMED[k].cp;
    }
  }
  return -1;
}

/* 1 when a control character other than tab/CR/LF follows the first
 * non-space, non-control byte (leading ones are stripped by browsers). */
static int inner_control(const char *url, size_t len) {
  size_t i = 0;
  while (i < len && (unsigned char)url[i] <= 0x20) i++;
  for (; i < len; i++) {
    unsigned char c = (unsigned char)url[i];
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return 1;
  }
  return 0;
}

int report_url_allowed(const char *url, size_t len) {
  char scheme[16];
  size_t sl = 0;
  int started = 0;
  if (inner_control(url, len)) return 0;
  for (size_t i = 0; i < len;) {
    long c = (unsigned char)url[i];
    size_t used = 1;
    if (c == '&') {
      size_t u;
      long v = char_ref(url + i + 1, len - i - 1, &u);
      if (v >= 0) c = v, used = u + 1;
    }
    i += used;
    if (c == '\t' || c == '\n' || c == '\r') continue; /* removed anywhere by URL parsers */
    if (c < 0x20 || c == 0x7f) {
      if (!started) continue; /* leading controls are stripped */
      return 0;               /* one written as a character reference */
    }
    if (c == ' ' && !started) continue;
    started = 1;
    if (c == ':') {
      scheme[sl] = '\0';
      return sl == 0 || !strcasecmp(scheme, "http") || !strcasecmp(scheme, "https") || !strcasecmp(scheme, "mailto");
    }
    int scheme_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (sl && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!scheme_char) return 1;            /* no scheme: relative (path, query, fragment) */
    if (sl + 1 >= sizeof scheme) return 0; /* no scheme we allow is that long */
    scheme[sl++] = (char)c;
  }
  return 1; /* only letters: a relative path */
}

/* Replaces refused targets in md4c's output: every href="..." / src="..."
 * in it was written by md4c (raw HTML is escaped with MD_FLAG_NOHTML, and
 * md4c escapes '"' in text), so the attribute values can be found by text. */
static void neutralise_links(buf_t *html) {
  buf_t out = BUF_INIT;
  buf_init(&out);
  const char *s = html->data, *end = html->data + html->len;
  while (s < end) {
    const char *a = strstr(s, "<a href=\""), *im = strstr(s, "<img src=\"");
    const char *t = a && (!im || a < im) ? a : im;
    if (!t) break;
    size_t tag = t == a ? 9 : 10;
    const char *v = t + tag, *q = strchr(v, '"');
    if (!q) break;
    buf_append(&out, s, (size_t)(v - s));
    if (report_url_allowed(v, (size_t)(q - v)) ||
        (t == im && !strncmp(v, "data:image/svg+xml;base64,", 26))) /* an <img> runs no script */
      buf_append(&out, v, (size_t)(q - v));
    else if (t == a)
      buf_putc(&out, '#');
    s = q;
  }
  buf_append(&out, s, (size_t)(end - s));
  buf_free(html);
  *html = out;
}

char *report_html(const char *title, const char *markdown) {
  buf_t body = BUF_INIT, b = BUF_INIT;
  buf_init(&body);
  buf_init(&b);
  char *md = rf_resolve(markdown); /* footnotes: numbers and a list of notes (footnotes.h) */
  rm_marks_t marks;                /* TeX math as MathML (math.h) */
  rm_mark(md, &marks);
  free(md);
  if (md_html(marks.md, (MD_SIZE)strlen(marks.md), html_out, &body,
              MD_FLAG_TABLES | MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML, 0) != 0) {
    rm_marks_free(&marks);
    buf_free(&body);
    buf_free(&b);
    return NULL;
  }
  neutralise_links(&body);
  rm_html_fill(&body, &marks);
  rm_marks_free(&marks);
  buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
  escape(&b, title ? title : "");
  buf_puts(&b,
           "</title><style>body{max-width:48rem;margin:2rem auto;padding:0 1rem;font-family:sans-serif;"
           "line-height:1.55}blockquote{color:#555;border-left:3px solid #ccc;margin-left:0;padding-left:1rem}"
           "table{border-collapse:collapse;margin:1rem 0;display:block;overflow-x:auto}"
           "th,td{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}th{background:#f3f3f3}"
           "code{font-family:monospace;background:#f3f3f3;padding:0 .2rem}"
           "pre{background:#f3f3f3;padding:.6rem;overflow-x:auto}pre code{padding:0}"
           "hr{border:0;border-top:1px solid #ccc}math[display=block]{margin:.8rem 0}"
           "</style></head><body>\n");
  buf_append(&b, body.data, body.len);
  buf_puts(&b, "</body></html>\n");
  buf_free(&body);
  return buf_detach(&b, NULL);
}
