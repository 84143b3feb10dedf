/*
 * text.c - text helpers of the agents: normalisation for quote checks,
 * content tokens for lexical support scores, sentence splitting, language
 * detection, prompt templates.
 *
 * Quote checking compares normalised text: typographic quotes, dashes,
 * spaces, ligatures and full-width forms folded to ASCII, soft hyphens
 * dropped, ASCII case folded, runs of whitespace collapsed. A quote a model
 * "fixed" beyond that does not match, which is the point.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/stopwords.h"
#include "base/config.h"
#include "base/embedded.h"
#include "base/text.h"
#include "base/util.h"

static int is_space_cp(unsigned cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

char *agent_norm(const char *s) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  if (!s) s = "";
  size_t n = strlen(s), i = 0;
  int space = 0;
  while (i < n) {
    unsigned cp = text_utf8_next(s, n, &i);
    if (is_space_cp(cp)) {
      space = 1;
      continue;
    }
    if (cp == 0xAD || cp == 0x200C || cp == 0x200D || cp == 0xFEFF) continue;
    if (space && b.len) buf_putc(&b, ' ');
    space = 0;
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201A || cp == 0x201B || cp == 0x2032 || cp == 0x60)
      buf_putc(&b, '\'');
    else if (cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x201F || cp == 0x2033 || cp == 0xAB || cp == 0xBB)
      buf_putc(&b, '"');
    else if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
      buf_putc(&b, '-');
    else if (cp == 0x2026)
      buf_puts(&b, "...");
    else if (cp == 0xFB00)
      buf_puts(&b, "ff");
    else if (cp == 0xFB01)
      buf_puts(&b, "fi");
    else if (cp == 0xFB02)
      buf_puts(&b, "fl");
    else if (cp < 0x80)
      buf_putc(&b, (char)tolower((int)cp));
    else
      text_utf8_put(&b, cp);
  }
  return buf_detach(&b, NULL);
}

int agent_quote_in(const char *quote, const char *source) {
  char *q = agent_norm(quote), *s = agent_norm(source);
  /* Strip surrounding quotation marks and a final period the model may add. */
  char *qs = q;
  size_t n = strlen(qs);
  while (n && (qs[n - 1] == '"' || qs[n - 1] == '\'' || qs[n - 1] == ' ')) qs[--n] = 0;
  while (*qs == '"' || *qs == '\'' || *qs == ' ') qs++, n--;
  int ok = n >= 12 && strstr(s, qs) != NULL;
  if (!ok && n > 12 && qs[n - 1] == '.') {
    qs[n - 1] = 0;
    ok = strstr(s, qs) != NULL;
  }
  free(q);
  free(s);
  return ok;
}

json_t *agent_sentences(const char *text) {
  json_t *arr = json_array();
  const char *s = text ? text : "";
  size_t n = strlen(s), start = 0, i = 0;
  while (i < n) {
    size_t end = text_sentence_end(s, n, i, TEXT_SENTENCE_LINES);
    if (end == n) break;
    /* keep trailing citation markers: "claim. [1][2]" */
    size_t j = end;
    while (1) {
      size_t k = j;
      while (k < n && s[k] == ' ') k++;
      if (k < n && s[k] == '[') {
        const char *close = strchr(s + k, ']');
        if (close && close - (s + k) < 40) {
          j = (size_t)(close - s) + 1;
          continue;
        }
      }
      break;
    }
    char *sent = util_strndup(s + start, j - start);
    util_trim(sent);
    if (sent[0]) json_array_append_new(arr, json_string(sent));
    free(sent);
    start = i = j;
  }
  if (start < n) {
    char *sent = util_strdup(s + start);
    util_trim(sent);
    if (sent[0]) json_array_append_new(arr, json_string(sent));
    free(sent);
  }
  return arr;
}

const char *agent_detect_language(const char *text) {
  const char *s = text ? text : "";
  size_t n = strlen(s), i = 0;
  long hangul = 0, kana = 0, han = 0, latin = 0;
  while (i < n) {
    unsigned cp = text_utf8_next(s, n, &i);
    if (cp >= 0xAC00 && cp <= 0xD7A3)
      hangul++;
    else if (cp >= 0x3040 && cp <= 0x30FF)
      kana++;
    else if (cp >= 0x4E00 && cp <= 0x9FFF)
      han++;
    else if (cp < 0x80 && isalpha((int)cp))
      latin++;
  }
  /* a syllable carries about three Latin letters of information */
  if (hangul * 3 >= latin && hangul > 0) return "ko";
  if (kana && (kana + han) * 3 >= latin) return "ja";
  if (han * 3 >= latin && han > 0) return "zh";
  return "en";
}

char *agent_fill(const char *tmpl, json_t *vars) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = tmpl;
  while (*p) {
    const char *o = strstr(p, "{{");
    if (!o) {
      buf_puts(&b, p);
      break;
    }
    const char *c = strstr(o + 2, "}}");
    if (!c) {
      buf_puts(&b, p);
      break;
    }
    buf_append(&b, p, (size_t)(o - p));
    char name[64];
    size_t len = (size_t)(c - o - 2);
    if (len < sizeof name) {
      memcpy(name, o + 2, len);
      name[len] = 0;
      json_t *v = vars ? json_object_get(vars, util_trim(name)) : NULL;
      if (json_is_string(v))
        buf_puts(&b, json_string_value(v));
      else if (v && !json_is_null(v)) {
        char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        buf_puts(&b, d);
        free(d);
      }
    } else
      buf_append(&b, o, (size_t)(c + 2 - o));
    p = c + 2;
  }
  return buf_detach(&b, NULL);
}

char *agent_prompt(const agents_deps_t *deps, const char *role) {
  const char *dir = config_get(deps->cfg, "PROMPTS_DIR");
  if (dir && dir[0]) {
    buf_t path = BUF_INIT;
    buf_init(&path);
    buf_printf(&path, "%s/%s.md", dir, role);
    char *t = util_read_file(path.data, NULL);
    buf_free(&path);
    if (t) return t;
  }
  char name[64];
  snprintf(name, sizeof name, "%s.md", role);
  const char *e = embedded_find(embedded_prompts, name);
  return e ? util_strdup(e) : NULL;
}

/* ---- citation markers ---- */

json_t *agent_section_notes(json_t *notes, const char *section_id) {
  json_t *out = json_array();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) if (!strcmp(json_string_value(json_object_get(n, "section_id")), section_id))
      json_array_append(out, n);
  return out;
}

char *agent_localize_citations(const char *text, json_t *notes) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = text;
  while (*p) {
    if (*p == '[') {
      /* [1], [1, 2], [1][2] */
      const char *q = p + 1;
      int ok = 1, any = 0;
      buf_t m = BUF_INIT;
      buf_init(&m);
      while (*q && *q != ']') {
        while (*q == ' ' || *q == ',') q++;
        if (!isdigit((unsigned char)*q)) {
          ok = 0;
          break;
        }
        long v = strtol(q, (char **)&q, 10);
        json_t *n = v >= 1 ? json_array_get(notes, (size_t)v - 1) : NULL;
        if (n) {
          buf_printf(&m, "[#%s]", json_string_value(json_object_get(n, "id")));
          any = 1;
        }
        while (*q == ' ') q++;
        if (*q != ',' && *q != ']') {
          ok = 0;
          break;
        }
      }
      if (ok && *q == ']') {
        if (any) buf_append(&b, m.data, m.len);
        buf_free(&m);
        p = q + 1;
        continue;
      }
      buf_free(&m);
    }
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

json_t *agent_cited_ids(const char *text) {
  json_t *arr = json_array();
  const char *p = text;
  while ((p = strstr(p, "[#"))) {
    const char *c = strchr(p, ']');
    if (!c) break;
    if (c - p - 2 == 16) {
      char id[17];
      memcpy(id, p + 2, 16);
      id[16] = 0;
      json_array_append_new(arr, json_string(id));
    }
    p = c + 1;
  }
  return arr;
}

char *agent_rewrite_markers(const char *text, void (*put)(buf_t *b, const char *id, void *ud), void *ud) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = text ? text : "";
  while (*p) {
    if (p[0] == '[' && p[1] == '#') {
      const char *c = strchr(p, ']');
      if (c && c - p == 18) {
        char id[17];
        memcpy(id, p + 2, 16);
        id[16] = 0;
        if (put) put(&b, id, ud);
        p = c + 1;
        continue;
      }
    }
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

char *agent_strip_markers(const char *text) {
  return agent_rewrite_markers(text, NULL, NULL);
}

void passages_free(passages_t *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].text);
    free(p->v[i].title);
    free(p->v[i].url);
    free(p->v[i].authors);
    free(p->v[i].year);
    free(p->v[i].venue);
    free(p->v[i].doi);
  }
  free(p->v);
  memset(p, 0, sizeof *p);
}
