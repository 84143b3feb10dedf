/*
 * chats.c - /api/chats (API.md, "Chat with documents"); the answering itself
 * lives in src/chat/chat.c.
 *
 * Every handler works on the caller's own chats only: another user's chat
 * answers 404 exactly like a missing one. Viewers can list and read their
 * chats; creating, asking and deleting need the researcher role.
 * POST /api/chats/{id}/messages stores the question and replies 202 at once
 * (the question, and the sequence number of its event); a chat worker answers
 * it, publishing the tokens and the final assistant message (or an error) on
 * the chat's channel "chat:ID" (WebSocket and event log). No request thread
 * waits for a model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/util.h"
#include "chat/chat.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/events.h"

#define TITLE_MAX_BYTES 200

static int create_chat(http_req_t *r) {
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *title = json_object_get(b, "title"), *group = json_object_get(b, "group_id");
  if (title && !json_is_null(title) && (!json_is_string(title) || json_string_length(title) > TITLE_MAX_BYTES)) {
    status = http_reply_error(r, 422, "invalid_field", "title must be a string of at most %d bytes", TITLE_MAX_BYTES);
    goto out;
  }
  if (group && !json_is_null(group) && !json_is_string(group)) {
    status = http_reply_error(r, 422, "invalid_field", "group_id must be a string");
    goto out;
  }
  const char *gid = json_string_value(group);
  if (gid && gid[0] && !store_group_owned(r->app->store, r->user.id, gid)) {
    status = http_reply_not_found(r, "group", gid);
    goto out;
  }
  char id[17];
  if (store_chat_create(r->app->store, r->user.id, json_string_value(title), gid, id) != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot create the chat");
    goto out;
  }
  status = http_reply_json(r, 201, store_chat_json(r->app->store, r->user.id, id, 0));
out:
  json_decref(b);
  return status;
}

static int list_chats(http_req_t *r) {
  return api_reply_page(r, store_chat_list_json, "chats");
}

static int get_chat(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *c = store_chat_json(r->app->store, r->user.id, id, 1);
  if (!c) return http_reply_not_found(r, "chat", id);
  /* where a client subscribing to chat:ID should start (after what it shows) */
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", id);
  json_object_set_new(c, "last_seq", json_integer(store_event_last_seq(r->app->store, channel)));
  return http_reply_json(r, 200, c);
}

static int rename_chat(http_req_t *r) {
  const char *id = http_param(r, "id");
  store_chat_t c;
  if (store_chat_get(r->app->store, r->user.id, id, &c) != STORE_OK) return http_reply_not_found(r, "chat", id);
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *title = json_object_get(b, "title");
  char *t = json_is_string(title) && !memchr(json_string_value(title), 0, json_string_length(title))
                ? util_strdup(json_string_value(title))
                : NULL;
  if (t) util_trim(t);
  if (!t || !t[0] || strlen(t) > TITLE_MAX_BYTES) {
    status = http_reply_error(r, 422, "invalid_field", "title must be a non-empty string of at most %d bytes",
                              TITLE_MAX_BYTES);
    goto out;
  }
  int rc = store_chat_rename(r->app->store, r->user.id, id, t);
  if (rc == STORE_NOT_FOUND)
    status = http_reply_not_found(r, "chat", id);
  else if (rc != STORE_OK)
    status = http_reply_error(r, 500, "internal", "cannot rename chat %s", id);
  else
    status = http_reply_json(r, 200, store_chat_json(r->app->store, r->user.id, id, 0));
out:
  free(t);
  json_decref(b);
  return status;
}

static int delete_chat(http_req_t *r) {
  return api_reply_deleted(r, store_chat_delete(r->app->store, r->user.id, http_param(r, "id")), "chat");
}

static int post_message(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *b;
  const char *q = api_read_content(r, &b, CHAT_MAX_QUESTION, "the question");
  if (!q) return r->status;
  int status;
  json_t *qmsg = NULL;
  int64_t seq = 0;
  char err[1200] = "";
  int rc = r->app->chat ? chat_submit(r->app->chat, r->user.id, id, q, &qmsg, &seq, err, sizeof err) : CHAT_ERR_FULL;
  switch (rc) {
    case CHAT_OK: {
      char channel[40];
      snprintf(channel, sizeof channel, "chat:%s", id);
      status = http_reply_json(r, 202,
                               json_pack("{s:s, s:s, s:I, s:o}", "status", "answering", "channel", channel, "seq",
                                         (json_int_t)seq, "message", qmsg));
      break;
    }
    case CHAT_ERR_FULL:
      status = http_reply_error(r, 503, "busy", "%s", err[0] ? err : "chat is not available");
      break;
    case CHAT_ERR_NOT_FOUND:
      status = http_reply_not_found(r, "chat", id);
      break;
    case CHAT_ERR_BUSY:
    case CHAT_ERR_GROUP:
      status = http_reply_error(r, 409, "conflict", "%s", err);
      break;
    case CHAT_ERR_MODEL:
      status = http_reply_error(r, 503, "model_unavailable", "%s", err);
      break;
    default:
      status = http_reply_error(r, 500, "internal", "%s", err[0] ? err : "cannot answer");
  }
  json_decref(b);
  return status;
}

void api_chats_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/chats", ROLE_RESEARCHER, create_chat);
  http_route(rt, "GET", "/api/chats", ROLE_VIEWER, list_chats);
  http_route(rt, "GET", "/api/chats/{id}", ROLE_VIEWER, get_chat);
  http_route(rt, "PATCH", "/api/chats/{id}", ROLE_RESEARCHER, rename_chat);
  http_route(rt, "DELETE", "/api/chats/{id}", ROLE_RESEARCHER, delete_chat);
  http_route(rt, "POST", "/api/chats/{id}/messages", ROLE_RESEARCHER, post_message);
}
