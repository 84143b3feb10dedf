/*
 * common.c - the request and reply pieces every resource handler shares:
 * the "content" member of a body, a page of a list (limit, offset), the 422
 * that names a field and the answer to a DELETE. One place for each, so that
 * every resource refuses and answers alike (docs/api.md "Errors").
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "rag/rag.h"
#include "store/store.h"

_Static_assert((int)RAG_NOT_FOUND == (int)STORE_NOT_FOUND && (int)RAG_OK == (int)STORE_OK,
               "api_reply_deleted reads both");

const char *api_content(http_req_t *r, json_t *body, size_t max, const char *what) {
  json_t *content = json_object_get(body, "content");
  if (!json_is_string(content)) {
    http_reply_error(r, 422, "invalid_field", "content must be a string (%s)", what);
    return NULL;
  }
  const char *q = json_string_value(content);
  size_t len = json_string_length(content);
  int blank = 1;
  for (size_t i = 0; i < len && blank; i++) blank = q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r';
  if (blank || memchr(q, 0, len)) {
    http_reply_error(r, 422, "invalid_field", "content must be a non-empty text without NUL bytes (%s)", what);
    return NULL;
  }
  if (len > max) {
    http_reply_error(r, 422, "invalid_field", "content is %zu bytes; at most %zu are accepted", len, max);
    return NULL;
  }
  return q;
}

const char *api_read_content(http_req_t *r, json_t **body, size_t max, const char *what) {
  *body = http_read_json(r);
  if (!*body) return NULL;
  const char *q = api_content(r, *body, max, what);
  if (!q) {
    json_decref(*body);
    *body = NULL;
  }
  return q;
}

int api_page(http_req_t *r, long long *limit, long long *offset) {
  if (http_query_int(r, "limit", 50, 1, 500, limit) != 0) return -1;
  if (http_query_int(r, "offset", 0, 0, 1000000000, offset) != 0) return -1;
  return 0;
}

int api_reply_list(http_req_t *r, json_t *list, const char *what) {
  if (!list) return http_reply_error(r, 500, "internal", "cannot list %s", what);
  return http_reply_json(r, 200, list);
}

int api_reply_page(http_req_t *r, json_t *(*list)(store_t *, const char *, int, int), const char *what) {
  long long limit, offset;
  if (api_page(r, &limit, &offset) != 0) return r->status;
  return api_reply_list(r, list(r->app->store, r->user.id, (int)limit, (int)offset), what);
}

int api_reply_invalid(http_req_t *r, const char *field, const char *message) {
  return http_reply_json(
      r, 422, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field", "message", message, "field", field));
}

int api_reply_deleted(http_req_t *r, int rc, const char *what) {
  const char *id = http_param(r, "id");
  if (rc == STORE_NOT_FOUND) return http_reply_not_found(r, what, id);
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot delete %s %s", what, id);
  return http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", id, "deleted", 1));
}
