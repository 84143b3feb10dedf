/*
 * drafts.c - /api/missions/drafts (docs/api.md, "Research chat"); the
 * planner's turns and the start live in src/agents/drafts.c.
 *
 * Every handler works on the caller's own drafts only: another user's draft
 * answers 404 exactly like a missing one (the "draft:ID" channel refuses it
 * too). POST .../messages stores the turn and replies 202 at once; a
 * "draft_turn" job answers it on the channel. Once the draft has started its
 * mission, a message goes to the chat with documents that continues the
 * conversation (202 with the chat's channel).
 */
#include <stdio.h>
#include <string.h>

#include "agents/drafts.h"
#include "api/api.h"
#include "app.h"
#include "chat/chat.h"
#include "store/documents.h"
#include "store/drafts.h"
#include "store/events.h"

static void set_last_seq(app_t *app, json_t *d, const char *prefix, const char *id, const char *key) {
  char channel[40];
  snprintf(channel, sizeof channel, "%s:%s", prefix, id);
  json_object_set_new(d, key, json_integer(store_event_last_seq(app->store, channel)));
}

static int reply_draft(http_req_t *r, int status, json_t *d) {
  set_last_seq(r->app, d, "draft", json_string_value(json_object_get(d, "id")), "last_seq");
  const char *chat = json_string_value(json_object_get(d, "chat_id"));
  if (chat) set_last_seq(r->app, d, "chat", chat, "chat_last_seq");
  return http_reply_json(r, status, d);
}

/* The draft the path names (*d; another user's: 404) and the request body
 * (*b); 0, or -1 after replying. Both are new references. */
static int load_with_body(http_req_t *r, json_t **d, json_t **b) {
  const char *id = http_param(r, "id");
  *d = store_draft_json(r->app->store, r->user.id, id, 0);
  if (!*d) {
    http_reply_not_found(r, "mission draft", id);
    return -1;
  }
  *b = http_read_json(r);
  if (!*b) {
    json_decref(*d);
    return -1;
  }
  return 0;
}

static int h_create(http_req_t *r) {
  json_t *b;
  const char *content = api_read_content(r, &b, DRAFT_MAX_CONTENT, "what you need researched");
  if (!content) return r->status;
  int status;
  json_t *d = NULL;
  char err[1200] = "";
  int rc = drafts_create(r->app->agents, r->user.id, content, &d, err, sizeof err);
  if (rc == DRAFT_ERR_MODEL)
    status = http_reply_error(r, 503, "model_unavailable", "%s", err);
  else if (rc != DRAFT_OK || !d)
    status = http_reply_error(r, 500, "internal", "%s", err[0] ? err : "cannot create the mission draft");
  else
    status = reply_draft(r, 201, d);
  json_decref(b);
  return status;
}

static int h_list(http_req_t *r) {
  return api_reply_page(r, store_draft_list_json, "mission drafts");
}

static int h_get(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *d = store_draft_json(r->app->store, r->user.id, id, 1);
  if (!d) return http_reply_not_found(r, "mission draft", id);
  return reply_draft(r, 200, d);
}

/* PUT: the card edited by the user (members given replace the current ones). */
static int h_put(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *d, *b;
  if (load_with_body(r, &d, &b) != 0) return r->status;
  int status;
  json_t *card = NULL;
  if (!json_is_object(b)) {
    status = http_reply_error(r, 400, "bad_request", "the body must be a JSON object (the mission card)");
    goto out;
  }
  if (json_is_string(json_object_get(d, "mission_id"))) {
    status = http_reply_error(r, 409, "conflict", "this draft already started its mission; the card cannot change");
    goto out;
  }
  json_t *merged = json_deep_copy(json_object_get(d, "proposal"));
  json_object_update(merged, b);
  json_object_set_new(merged, "origin", json_string("edit"));
  json_object_set(merged, "matched_documents", json_object_get(json_object_get(d, "proposal"), "matched_documents"));
  char field[80], err[400];
  int rc = drafts_proposal_check(merged, &card, field, sizeof field, err, sizeof err);
  json_decref(merged);
  if (rc != 0) {
    status = api_reply_invalid(r, field, err);
    goto out;
  }
  const char *gid = json_string_value(json_object_get(json_object_get(card, "sources"), "group_id"));
  if (gid && !store_group_owned(r->app->store, r->user.id, gid)) {
    status = api_reply_invalid(r, "sources.group_id", "sources.group_id is not one of your groups");
    goto out;
  }
  rc = store_draft_add_message(r->app->store, r->user.id, id, "edit", "The card was edited.", card, NULL, NULL);
  if (rc == STORE_NOT_FOUND)
    status = http_reply_not_found(r, "mission draft", id);
  else if (rc != STORE_OK)
    status = http_reply_error(r, 500, "internal", "cannot save the mission card");
  else {
    json_t *now = store_draft_json(r->app->store, r->user.id, id, 1);
    status = now ? reply_draft(r, 200, now) : http_reply_error(r, 500, "internal", "cannot read the mission draft");
  }
out:
  json_decref(card);
  json_decref(b);
  json_decref(d);
  return status;
}

static int h_message(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *d, *b;
  if (load_with_body(r, &d, &b) != 0) return r->status;
  int status;
  const char *content = api_content(r, b, DRAFT_MAX_CONTENT, "your message");
  if (!content) {
    status = r->status;
    goto out;
  }
  json_t *qmsg = NULL;
  int64_t seq = 0;
  char err[1200] = "", channel[40];
  const char *chat = json_string_value(json_object_get(d, "chat_id"));
  int rc;
  if (chat) { /* started: the chat with documents answers over the mission's notes and sources */
    snprintf(channel, sizeof channel, "chat:%s", chat);
    chat_opts_t o = {.mission_id = json_string_value(json_object_get(d, "mission_id"))};
    rc = r->app->chat ? chat_submit_with(r->app->chat, r->user.id, chat, content, &o, &qmsg, &seq, err, sizeof err)
                      : CHAT_ERR_FULL;
    rc = rc == CHAT_OK              ? DRAFT_OK
         : rc == CHAT_ERR_NOT_FOUND ? DRAFT_ERR_NOT_FOUND
         : rc == CHAT_ERR_BUSY      ? DRAFT_ERR_BUSY
                                    : DRAFT_ERR;
  } else {
    snprintf(channel, sizeof channel, "draft:%s", id);
    rc = drafts_submit_turn(r->app->agents, r->user.id, id, content, &qmsg, &seq, err, sizeof err);
  }
  if (rc == DRAFT_OK)
    status = http_reply_json(r, 202,
                             json_pack("{s:s, s:s, s:I, s:o}", "status", "answering", "channel", channel, "seq",
                                       (json_int_t)seq, "message", qmsg));
  else if (rc == DRAFT_ERR_NOT_FOUND)
    status = http_reply_not_found(r, chat ? "chat" : "mission draft", chat ? chat : id);
  else if (rc == DRAFT_ERR_BUSY)
    status = http_reply_error(r, 409, "conflict", "%s", err);
  else
    status = http_reply_error(r, 503, "busy", "%s", err[0] ? err : "cannot answer now");
out:
  json_decref(b);
  json_decref(d);
  return status;
}

static int h_start(http_req_t *r) {
  const char *id = http_param(r, "id");
  char mission[17] = "", err[1024] = "";
  agents_err_t why = AGENTS_E_INTERNAL;
  json_t *pf = NULL;
  int rc = drafts_start(r->app->agents, r->user.id, id, mission, &why, err, sizeof err, &pf);
  if (rc == DRAFT_OK) {
    json_t *d = store_draft_json(r->app->store, r->user.id, id, 0);
    json_t *out = json_pack("{s:s, s:s, s:s, s:O?}", "id", mission, "mission_id", mission, "status", "queued",
                            "chat_id", d ? json_object_get(d, "chat_id") : NULL);
    json_decref(d);
    return http_reply_json(r, 201, out);
  }
  if (rc == DRAFT_ERR_NOT_FOUND) return http_reply_not_found(r, "mission draft", id);
  /* the card's refusal is POST /api/missions' */
  return api_mission_refused(r, why, err, pf);
}

void api_drafts_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/missions/drafts", ROLE_RESEARCHER, h_create);
  http_route(rt, "GET", "/api/missions/drafts", ROLE_VIEWER, h_list);
  http_route(rt, "GET", "/api/missions/drafts/{id}", ROLE_VIEWER, h_get);
  http_route(rt, "PUT", "/api/missions/drafts/{id}", ROLE_RESEARCHER, h_put);
  http_route(rt, "POST", "/api/missions/drafts/{id}/messages", ROLE_RESEARCHER, h_message);
  http_route(rt, "POST", "/api/missions/drafts/{id}/start", ROLE_RESEARCHER, h_start);
}
