/*
 * schema.c - a JSON Schema check for tool arguments (protocol.h).
 *
 * Only the keywords tool input schemas use here are understood; an unknown
 * keyword is ignored, as JSON Schema says. The first violation found is
 * reported, named by its path ("arguments.k"), in words a person calling the
 * tool can act on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/protocol.h"

static const char *type_name(json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      return "an object";
    case JSON_ARRAY:
      return "an array";
    case JSON_STRING:
      return "a string";
    case JSON_INTEGER:
      return "an integer";
    case JSON_REAL:
      return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "a boolean";
    default:
      return "null";
  }
}

static int type_ok(const char *type, json_t *v) {
  if (!strcmp(type, "object")) return json_is_object(v);
  if (!strcmp(type, "array")) return json_is_array(v);
  if (!strcmp(type, "string")) return json_is_string(v);
  if (!strcmp(type, "integer")) return json_is_integer(v);
  if (!strcmp(type, "number")) return json_is_number(v);
  if (!strcmp(type, "boolean")) return json_is_boolean(v);
  if (!strcmp(type, "null")) return json_is_null(v);
  return 1;
}

/* UTF-8 code points in s (JSON Schema lengths count characters). */
static size_t utf8_len(const char *s, size_t bytes) {
  size_t n = 0;
  for (size_t i = 0; i < bytes; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
  return n;
}

int mcp_schema_check(json_t *schema, json_t *v, const char *path, char *err, size_t errlen) {
  if (!json_is_object(schema)) return 0;
  const char *type = json_string_value(json_object_get(schema, "type"));
  if (type && !type_ok(type, v)) {
    snprintf(err, errlen, "%s must be %s%s, not %s", path,
             !strcmp(type, "integer") || !strcmp(type, "array") ? "an " : "a ", type, type_name(v));
    return -1;
  }
  json_t *en = json_object_get(schema, "enum");
  if (json_is_array(en)) {
    size_t i;
    json_t *e;
    int found = 0;
    json_array_foreach(en, i, e) if (json_equal(e, v)) found = 1;
    if (!found) {
      char *list = json_dumps(en, JSON_COMPACT);
      snprintf(err, errlen, "%s must be one of %s", path, list ? list : "the listed values");
      free(list);
      return -1;
    }
  }
  if (json_is_string(v)) {
    size_t n = utf8_len(json_string_value(v), json_string_length(v));
    json_t *mn = json_object_get(schema, "minLength"), *mx = json_object_get(schema, "maxLength");
    if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn)) {
      snprintf(err, errlen, "%s must not be empty%s", path, json_integer_value(mn) > 1 ? " (too short)" : "");
      return -1;
    }
    if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx)) {
      snprintf(err, errlen, "%s is %zu characters long; at most %lld are accepted", path, n,
               (long long)json_integer_value(mx));
      return -1;
    }
  }
  if (json_is_number(v)) {
    json_t *mn = json_object_get(schema, "minimum"), *mx = json_object_get(schema, "maximum");
    double x = json_number_value(v);
    if ((json_is_number(mn) && x < json_number_value(mn)) || (json_is_number(mx) && x > json_number_value(mx))) {
      if (json_is_number(mn) && json_is_number(mx))
        snprintf(err, errlen, "%s must be between %g and %g", path, json_number_value(mn), json_number_value(mx));
      else if (json_is_number(mn))
        snprintf(err, errlen, "%s must be at least %g", path, json_number_value(mn));
      else
        snprintf(err, errlen, "%s must be at most %g", path, json_number_value(mx));
      return -1;
    }
  }
  if (json_is_array(v)) {
    json_t *mx = json_object_get(schema, "maxItems"), *mn = json_object_get(schema, "minItems");
    if (json_is_integer(mx) && (json_int_t)json_array_size(v) > json_integer_value(mx)) {
      snprintf(err, errlen, "%s has %zu items; at most %lld are accepted", path, json_array_size(v),
               (long long)json_integer_value(mx));
      return -1;
    }
    if (json_is_integer(mn) && (json_int_t)json_array_size(v) < json_integer_value(mn)) {
      snprintf(err, errlen, "%s needs at least %lld item(s)", path, (long long)json_integer_value(mn));
      return -1;
    }
    json_t *items = json_object_get(schema, "items");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      char sub[256];
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      if (mcp_schema_check(items, e, sub, err, errlen) != 0) return -1;
    }
  }
  if (json_is_object(v)) {
    json_t *props = json_object_get(schema, "properties");
    json_t *req = json_object_get(schema, "required");
    size_t i;
    json_t *e;
    json_array_foreach(req, i, e) {
      const char *k = json_string_value(e);
      if (k && !json_object_get(v, k)) {
        snprintf(err, errlen, "%s.%s is required", path, k);
        return -1;
      }
    }
    const char *k;
    json_object_foreach(v, k, e) {
      json_t *ps = json_object_get(props, k);
      char sub[256];
      snprintf(sub, sizeof sub, "%s.%s", path, k);
      if (!ps) {
        if (json_is_false(json_object_get(schema, "additionalProperties"))) {
          snprintf(err, errlen, "%s is not a known argument", sub);
          return -1;
        }
        continue;
      }
      if (mcp_schema_check(ps, e, sub, err, errlen) != 0) return -1;
    }
  }
  return 0;
}
