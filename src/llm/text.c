/*
 * text.c - pure text helpers of the model layer: <think> stripping, JSON
 * extraction from messy answers, a small JSON-schema validator, token
 * estimates and PII masking. No I/O, no state: easy to test exhaustively.
 *
 * JSON extraction tries, in order: the whole answer, each fenced code block,
 * then every balanced {...} / [...] span found by a string-aware bracket
 * scan. Each candidate is parsed as is and again with trailing commas
 * removed. The first object wins over arrays only by position.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/text.h"
#include "base/util.h"
#include "llm/llm.h"

/* ---- <think> ---- */

static const char *find_ci(const char *s, const char *needle) {
  size_t n = strlen(needle);
  for (; *s; s++)
    if (strncasecmp(s, needle, n) == 0) return s;
  return NULL;
}

/* Reasoning blocks some models put before the answer (DeepSeek and Qwen
 * "<think>", others "<thinking>" or "<reasoning>"). */
static const char *const THINK_TAGS[] = {"think", "thinking", "reasoning"};
#define NTHINK (sizeof THINK_TAGS / sizeof THINK_TAGS[0])

/* The earliest "<tag>" (open) or "</tag>" (close) of any reasoning tag in p;
 * *tag gets its index. */
static const char *find_tag(const char *p, int close, size_t *tag) {
  const char *best = NULL;
  for (size_t i = 0; i < NTHINK; i++) {
    char t[24];
    snprintf(t, sizeof t, close ? "</%s>" : "<%s>", THINK_TAGS[i]);
    const char *o = find_ci(p, t);
    if (o && (!best || o < best)) best = o, *tag = i;
  }
  return best;
}

char *llm_strip_think(const char *s) {
  if (!s) return util_strdup("");
  buf_t b;
  buf_init(&b);
  const char *p = s;
  /* A lone closing tag (the template opened the block in the prompt): drop
   * everything up to it. */
  size_t ct = 0, ot = 0;
  const char *close = find_tag(p, 1, &ct);
  const char *open = find_tag(p, 0, &ot);
  if (close && (!open || close < open)) p = close + strlen(THINK_TAGS[ct]) + 3;
  while (*p) {
    size_t t = 0;
    const char *o = find_tag(p, 0, &t);
    if (!o) {
      buf_puts(&b, p);
      break;
    }
    buf_append(&b, p, (size_t)(o - p));
    char tag_close[24];
    snprintf(tag_close, sizeof tag_close, "</%s>", THINK_TAGS[t]);
    const char *c = find_ci(o + strlen(THINK_TAGS[t]) + 2, tag_close);
    if (!c) break; /* unterminated: the rest is thought */
    p = c + strlen(tag_close);
  }
  /* Trim surrounding whitespace left by removed blocks. */
  size_t start = 0;
  while (start < b.len && isspace((unsigned char)b.data[start])) start++;
  size_t end = b.len;
  while (end > start && isspace((unsigned char)b.data[end - 1])) end--;
  char *out = util_strndup(b.data + start, end - start);
  buf_free(&b);
  return out;
}

/* ---- JSON extraction ---- */

/* One character of a scan over JSON text: 1 when c is inside a string (its
 * text or its closing quote), else 0 (an opening quote starts a string). */
static int string_step(char c, int *in_str, int *esc) {
  if (!*in_str) {
    if (c == '"') *in_str = 1;
    return 0;
  }
  if (*esc)
    *esc = 0;
  else if (c == '\\')
    *esc = 1;
  else if (c == '"')
    *in_str = 0;
  return 1;
}

/* Copy of [s, s+n) without trailing commas before } or ] (outside strings). */
static char *remove_trailing_commas(const char *s, size_t n) {
  buf_t b;
  buf_init(&b);
  int in_str = 0, esc = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (string_step(c, &in_str, &esc)) {
      buf_putc(&b, c);
      continue;
    }
    if (c == ',') {
      size_t j = i + 1;
      while (j < n && isspace((unsigned char)s[j])) j++;
      if (j < n && (s[j] == '}' || s[j] == ']')) continue;
    }
    buf_putc(&b, c);
  }
  return buf_detach(&b, NULL);
}

static json_t *try_parse(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n == 0 || (s[0] != '{' && s[0] != '[')) return NULL;
  json_t *v = json_loadb(s, n, 0, NULL);
  if (v) return v;
  char *fixed = remove_trailing_commas(s, n);
  v = json_loads(fixed, 0, NULL);
  free(fixed);
  return v;
}

/* Length of the balanced bracket span starting at s[0] ('{' or '['), 0 if
 * it does not close. */
static size_t balanced_span(const char *s) {
  int depth = 0, in_str = 0, esc = 0;
  for (size_t i = 0; s[i]; i++) {
    char c = s[i];
    if (string_step(c, &in_str, &esc)) continue;
    if (c == '{' || c == '[')
      depth++;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

json_t *llm_extract_json(const char *text) {
  if (!text) return NULL;
  char *clean = llm_strip_think(text);
  json_t *v = try_parse(clean, strlen(clean));
  /* Fenced blocks: ```json ... ``` or ``` ... ``` */
  for (const char *p = clean; !v && (p = strstr(p, "```")) != NULL;) {
    const char *body = p + 3;
    while (*body && *body != '\n' && !isspace((unsigned char)*body) && *body != '{' && *body != '[') body++;
    const char *end = strstr(body, "```");
    if (!end) {
      v = try_parse(body, strlen(body)); /* unterminated fence */
      break;
    }
    v = try_parse(body, (size_t)(end - body));
    p = end + 3;
  }
  /* Balanced spans, leftmost first. */
  for (const char *p = clean; !v && *p; p++) {
    if (*p != '{' && *p != '[') continue;
    size_t n = balanced_span(p);
    if (n) v = try_parse(p, n);
  }
  free(clean);
  return v;
}

/* ---- Validation (JSON-schema subset) ---- */

static int type_matches(const json_t *v, const char *t) {
  if (strcmp(t, "object") == 0) return json_is_object(v);
  if (strcmp(t, "array") == 0) return json_is_array(v);
  if (strcmp(t, "string") == 0) return json_is_string(v);
  if (strcmp(t, "number") == 0) return json_is_number(v);
  if (strcmp(t, "integer") == 0)
    return json_is_integer(v) || (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
  if (strcmp(t, "boolean") == 0) return json_is_boolean(v);
  if (strcmp(t, "null") == 0) return json_is_null(v);
  return 1; /* unknown type names are not enforced */
}

static const char *kind_of(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      return "object";
    case JSON_ARRAY:
      return "array";
    case JSON_STRING:
      return "string";
    case JSON_INTEGER:
      return "integer";
    case JSON_REAL:
      return "number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "boolean";
    default:
      return "null";
  }
}

static int validate_at(const json_t *v, const json_t *schema, buf_t *path, char *err, size_t errlen) {
  if (!json_is_object(schema)) return 0;
  const json_t *type = json_object_get(schema, "type");
  if (json_is_string(type)) {
    if (!type_matches(v, json_string_value(type))) {
      snprintf(err, errlen, "%s: expected %s, got %s", path->data, json_string_value(type), kind_of(v));
      return -1;
    }
  } else if (json_is_array(type)) {
    size_t i;
    const json_t *t;
    int ok = 0;
    json_array_foreach(type, i, t) if (json_is_string(t) && type_matches(v, json_string_value(t))) ok = 1;
    if (!ok) {
      snprintf(err, errlen, "%s: value of type %s not allowed", path->data, kind_of(v));
      return -1;
    }
  }
  const json_t *en = json_object_get(schema, "enum");
  if (json_is_array(en)) {
    size_t i;
    const json_t *e;
    int ok = 0;
    json_array_foreach(en, i, e) if (json_equal((json_t *)e, (json_t *)v)) ok = 1;
    if (!ok) {
      snprintf(err, errlen, "%s: value not one of the allowed values", path->data);
      return -1;
    }
  }
  if (json_is_object(v)) {
    const json_t *req = json_object_get(schema, "required");
    size_t i;
    const json_t *r;
    json_array_foreach(req, i, r) {
      if (json_is_string(r) && !json_object_get(v, json_string_value(r))) {
        snprintf(err, errlen, "%s: missing required field \"%s\"", path->data, json_string_value(r));
        return -1;
      }
    }
    const json_t *props = json_object_get(schema, "properties");
    const char *k;
    const json_t *sub;
    size_t mark = path->len;
    json_object_foreach((json_t *)props, k, sub) {
      const json_t *fv = json_object_get(v, k);
      if (!fv) continue;
      buf_printf(path, ".%s", k);
      int rc = validate_at(fv, sub, path, err, errlen);
      buf_truncate(path, mark);
      if (rc) return rc;
    }
  }
  if (json_is_array(v)) {
    const json_t *items = json_object_get(schema, "items");
    const json_t *mi = json_object_get(schema, "minItems");
    if (json_is_integer(mi) && (json_int_t)json_array_size(v) < json_integer_value(mi)) {
      snprintf(err, errlen, "%s: expected at least %lld items", path->data, (long long)json_integer_value(mi));
      return -1;
    }
    if (json_is_object(items)) {
      size_t i, mark = path->len;
      const json_t *it;
      json_array_foreach(v, i, it) {
        buf_printf(path, "[%zu]", i);
        int rc = validate_at(it, items, path, err, errlen);
        buf_truncate(path, mark);
        if (rc) return rc;
      }
    }
  }
  return 0;
}

int llm_validate_json(const json_t *value, const json_t *schema, char *err, size_t errlen) {
  if (!value) {
    snprintf(err, errlen, "no JSON value found in the answer");
    return -1;
  }
  buf_t path;
  buf_init(&path);
  buf_putc(&path, '$');
  int rc = validate_at(value, schema, &path, err, errlen);
  buf_free(&path);
  return rc;
}

/* ---- Tokens ---- */

int llm_estimate_tokens(const char *text) {
  if (!text) return 0;
  size_t n = strlen(text), i = 0;
  size_t ascii = 0, other = 0, cjk = 0;
  while (i < n) {
    unsigned cp = text_utf8_next(text, n, &i);
    if (cp < 0x80)
      ascii++;
    else if (text_is_cjk(cp))
      cjk++;
    else
      other++;
  }
  /* ~4 ASCII characters per token, ~2 for other alphabets, ~1 per CJK
   * character (BPE vocabularies of current models). */
  return (int)((ascii + 3) / 4 + (other + 1) / 2 + cjk);
}

/* ---- PII masking ---- */

static int email_local(char c) {
  return isalnum((unsigned char)c) || strchr("._%+-", c);
}
static int email_domain(char c) {
  return isalnum((unsigned char)c) || c == '.' || c == '-';
}

char *llm_mask_pii(const char *text) {
  if (!text) return util_strdup("");
  buf_t b;
  buf_init(&b);
  size_t n = strlen(text), i = 0;
  while (i < n) {
    char c = text[i];
    /* E-mail: look ahead from the start of a local part. */
    if (email_local(c) && (i == 0 || !email_local(text[i - 1]))) {
      size_t j = i;
      while (j < n && email_local(text[j])) j++;
      if (j < n && text[j] == '@' && j > i) {
        size_t k = j + 1, last_dot = 0;
        while (k < n && email_domain(text[k])) {
          if (text[k] == '.') last_dot = k;
          k++;
        }
        while (k > j + 1 && text[k - 1] == '.') k--; /* sentence full stop */
        if (last_dot > j + 1 && last_dot + 2 < k + 1 && k - last_dot > 2) {
          buf_puts(&b, "[email]");
          i = k;
          continue;
        }
      }
    }
    /* Phone: + or digit, then digits and separators; 9-15 digits, and either
     * a leading + or at least two separators (so plain numbers survive). */
    if ((c == '+' || c == '(' || isdigit((unsigned char)c)) && (i == 0 || !isalnum((unsigned char)text[i - 1]))) {
      size_t j = i, digits = 0, seps = 0;
      if (text[j] == '+') j++;
      while (j < n && (isdigit((unsigned char)text[j]) || strchr(" -.()", text[j]))) {
        if (isdigit((unsigned char)text[j]))
          digits++;
        else if (text[j] != '(' || j > i)
          seps++;
        j++;
      }
      while (j > i && !isdigit((unsigned char)text[j - 1]) && text[j - 1] != ')') j--;
      int bounded = j >= n || !isalnum((unsigned char)text[j]);
      if (bounded && digits >= 9 && digits <= 15 && (c == '+' || seps >= 2)) {
        buf_puts(&b, "[phone]");
        i = j;
        continue;
      }
    }
    buf_putc(&b, c);
    i++;
  }
  return buf_detach(&b, NULL);
}
