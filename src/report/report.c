/*
 * report.c - Markdown assembly, citation numbering, reference list, run
 * record, HTML export. See report.h.
 */
#include "report/report.h"

#include <md4c-html.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

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

char *report_number_citations(const char *text, json_t *numbers) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  json_t *known = json_object_get(numbers, "_known");
  if (!json_object_get(numbers, "_keys")) json_object_set_new(numbers, "_keys", json_object());
  if (!json_object_get(numbers, "_rep")) json_object_set_new(numbers, "_rep", json_object());
  json_t *keys = json_object_get(numbers, "_keys"), *rep = json_object_get(numbers, "_rep");
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
        }
        if (json_integer_value(n) != last) buf_printf(&b, "[%lld]", (long long)json_integer_value(n));
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
  json_t *titles = json_array();
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
      char *t = report_number_citations(content, numbers);
      buf_printf(&b, "%s\n\n", t);
      free(t);
    } else if (!sub)
      buf_printf(&b, "*%s*\n\n",
                 L(lang, "No verified source covered this section.", "이 절을 다루는 검증된 출처가 없습니다."));
  }
  if (in->conclusion && in->conclusion[0]) {
    char *t = report_number_citations(in->conclusion, numbers);
    buf_printf(&b, "## %s\n\n%s\n\n", L(lang, "Conclusion", "결론"), t);
    free(t);
  }
  /* references in number order */
  json_t *keys = json_object_get(numbers, "_keys"), *reps = json_object_get(numbers, "_rep");
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
      if (report_ref_scholarly(&b, refs, k, note, lang, date)) continue;
      const char *title = json_string_value(json_object_get(note, "source_title"));
      const char *authors = json_string_value(json_object_get(note, "authors"));
      const char *url = json_string_value(json_object_get(note, "url"));
      json_int_t page = json_integer_value(json_object_get(note, "page"));
      buf_printf(&b, "%zu. %s", k, title && title[0] ? title : L(lang, "Untitled", "제목 없음"));
      if (authors && authors[0]) buf_printf(&b, ", %s", authors);
      if (url && url[0])
        buf_printf(&b, ", <%s>", url);
      else if (page > 0)
        buf_printf(&b, ", %s %lld", L(lang, "page", "쪽"), (long long)page);
      buf_printf(&b, " (%s %s)\n", L(lang, "accessed", "접근"), date);
      json_array_append_new(
          refs, json_pack("{s:I, s:O?, s:s, s:O?, s:O?, s:I}", "n", (json_int_t)k, "note_id",
                          json_object_get(note, "id"), "title", title ? title : "", "url", json_object_get(note, "url"),
                          "document_id", json_object_get(note, "document_id"), "page", page));
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
  }
  if (meta)
    *meta = json_pack("{s:o, s:I, s:o}", "references", refs, "citations", (json_int_t)nrefs, "sections", titles);
  else {
    json_decref(refs);
    json_decref(titles);
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

char *report_html(const char *title, const char *markdown) {
  buf_t body = BUF_INIT, b = BUF_INIT;
  buf_init(&body);
  buf_init(&b);
  if (md_html(markdown, (MD_SIZE)strlen(markdown), html_out, &body,
              MD_FLAG_TABLES | MD_FLAG_PERMISSIVEAUTOLINKS | MD_FLAG_NOHTML, 0) != 0) {
    buf_free(&body);
    buf_free(&b);
    return NULL;
  }
  buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
  escape(&b, title ? title : "");
  buf_puts(&b,
           "</title><style>body{max-width:48rem;margin:2rem auto;padding:0 1rem;font-family:sans-serif;"
           "line-height:1.55}blockquote{color:#555;border-left:3px solid #ccc;margin-left:0;padding-left:1rem}"
           "</style></head><body>\n");
  buf_append(&b, body.data, body.len);
  buf_puts(&b, "</body></html>\n");
  buf_free(&body);
  return buf_detach(&b, NULL);
}
