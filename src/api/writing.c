/*
 * writing.c - /api/writing/... (the Writing workspace, docs/writing.md) and
 * the two mission endpoints that lead into it: PUT /api/missions/{id}/report
 * (a user's edit saved as a new report version) and POST
 * /api/missions/{id}/writing ("Continue in Writing").
 *
 * Every handler works on the caller's own sessions: another user's session
 * answers 404 exactly like a missing one. The assistant is the chat with
 * documents engine (src/chat/): each session owns a chat (hidden from the
 * chat list) scoped to the session's group; POST .../assistant hands the
 * request to chat_submit and answers 202, and the tokens and the answer
 * with its citations arrive on "chat:CHATID", which only the owner may
 * subscribe to. With the session's web flag on, the chat engine also searches
 * the web (chat_opts_t.web): web passages are cited like the library's and
 * a "web" event says what the search gave, or why it could not run
 * (docs/writing.md). The assistant never writes the draft: the client inserts
 * or accepts a passage and saves the draft itself.
 *
 * References are formatted by src/report/cite.c, the one formatter; a
 * library document's metadata comes from store_doc_cite_json.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/util.h"
#include "chat/chat.h"
#include "report/cite.h"
#include "report/report.h"
#include "store/chats.h"
#include "store/documents.h"
#include "store/events.h"
#include "store/missions.h"
#include "store/writing.h"

#define TITLE_MAX 200
#define DRAFT_MAX (2 * 1024 * 1024)
#define FIELD_MAX 2000
#define SELECTION_MAX 6000

/* ---------- validation ---------- */

static int blank(const char *s) {
  for (; s && *s; s++)
    if (!isspace((unsigned char)*s)) return 0;
  return 1;
}

/* A title member: absent, or a non-blank string of at most TITLE_MAX bytes. */
static int check_title(http_req_t *r, json_t *b, int required) {
  json_t *t = json_object_get(b, "title");
  if (!t && !required) return 0;
  if (!json_is_string(t) || blank(json_string_value(t)) || json_string_length(t) > TITLE_MAX) {
    http_reply_error(r, 422, "invalid_field", "title must be a non-empty string of at most %d bytes", TITLE_MAX);
    return -1;
  }
  return 0;
}

static int check_style(http_req_t *r, json_t *v) {
  if (!v) return 0;
  if (!json_is_string(v) || cite_style_parse(json_string_value(v)) < 0) {
    http_reply_error(r, 422, "invalid_field", "style must be one of apa, mla, chicago, ieee");
    return -1;
  }
  return 0;
}

static int check_group(http_req_t *r, json_t *g) {
  if (!g || json_is_null(g)) return 0;
  if (!json_is_string(g)) {
    http_reply_error(r, 422, "invalid_field", "group_id must be a string or null");
    return -1;
  }
  const char *gid = json_string_value(g);
  if (gid[0] && !store_group_owned(r->app->store, r->user.id, gid)) {
    http_reply_not_found(r, "group", gid);
    return -1;
  }
  return 0;
}

static int check_content(http_req_t *r, json_t *c) {
  if (!json_is_string(c)) {
    http_reply_error(r, 422, "invalid_field", "content must be a string (the Markdown draft)");
    return -1;
  }
  if (json_string_length(c) > DRAFT_MAX || memchr(json_string_value(c), 0, json_string_length(c))) {
    http_reply_error(r, 422, "invalid_field", "content must be at most %d bytes, without NUL bytes", DRAFT_MAX);
    return -1;
  }
  return 0;
}

/* A reference from the client: known members only, strings of at most
 * FIELD_MAX bytes (authors a string or an array of them), page a positive
 * integer, type one of the four, url http(s), accessed YYYY-MM-DD. Replies
 * 422 and returns NULL on the first bad member; else a cleaned copy. */
static json_t *clean_ref(http_req_t *r, json_t *in) {
  static const char *const STR[] = {"title", "venue",    "volume", "issue", "pages",       "publisher", "doi",
                                    "url",   "accessed", "year",   "type",  "document_id", NULL};
  if (!json_is_object(in)) {
    http_reply_error(r, 422, "invalid_field", "a reference must be an object");
    return NULL;
  }
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(in, k, v) {
    if (!strcmp(k, "n") || json_is_null(v)) continue;
    if (!strcmp(k, "authors")) {
      int ok = json_is_string(v) && json_string_length(v) <= FIELD_MAX;
      if (json_is_array(v)) {
        ok = json_array_size(v) <= 200;
        size_t i;
        json_t *a;
        json_array_foreach(v, i, a) ok &= json_is_string(a) && json_string_length(a) <= 300;
      }
      if (!ok) goto bad_authors;
      json_object_set(out, k, v);
      continue;
    }
    if (!strcmp(k, "page")) {
      if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000) {
        http_reply_error(r, 422, "invalid_field", "page must be a positive integer");
        goto fail;
      }
      json_object_set(out, k, v);
      continue;
    }
    int known = 0;
    for (int i = 0; STR[i]; i++) known |= !strcmp(STR[i], k);
    if (!known) {
      http_reply_error(r, 422, "invalid_field",
                       "unknown reference field %.60s (type, title, authors, year, venue, volume, issue, pages, "
                       "publisher, doi, url, accessed, document_id, page)",
                       k);
      goto fail;
    }
    if (!strcmp(k, "year") && json_is_integer(v)) {
      char y[24];
      snprintf(y, sizeof y, "%lld", (long long)json_integer_value(v));
      json_object_set_new(out, k, json_string(y));
      continue;
    }
    if (!json_is_string(v) || json_string_length(v) > FIELD_MAX) {
      http_reply_error(r, 422, "invalid_field", "%s must be a string of at most %d bytes", k, FIELD_MAX);
      goto fail;
    }
    const char *s = json_string_value(v);
    if (!strcmp(k, "type") && strcmp(s, "article") && strcmp(s, "book") && strcmp(s, "web") && strcmp(s, "document")) {
      http_reply_error(r, 422, "invalid_field", "type must be one of article, book, web, document");
      goto fail;
    }
    if (!strcmp(k, "url") && s[0] && !util_starts_with(s, "http://") && !util_starts_with(s, "https://")) {
      http_reply_error(r, 422, "invalid_field", "url must start with http:// or https://");
      goto fail;
    }
    int y, m, d;
    if (!strcmp(k, "accessed") && s[0] &&
        (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || strlen(s) != 10 || m < 1 || m > 12 || d < 1 || d > 31)) {
      http_reply_error(r, 422, "invalid_field", "accessed must be a date YYYY-MM-DD");
      goto fail;
    }
    json_object_set(out, k, v);
  }
  return out;
bad_authors:
  http_reply_error(r, 422, "invalid_field", "authors must be a string or an array of names");
fail:
  json_decref(out);
  return NULL;
}

/* The style named by ?style=, else the session's; replies 422 and returns -1 on an unknown one. */
static int style_of(http_req_t *r, const store_writing_t *w) {
  char q[32] = "";
  if (http_query(r, "style", q, sizeof q) && q[0]) {
    int st = cite_style_parse(q);
    if (st < 0) http_reply_error(r, 422, "invalid_field", "style %s is not available (apa, mla, chicago, ieee)", q);
    return st;
  }
  int st = cite_style_parse(w->style);
  return st < 0 ? CITE_APA : st;
}

/* Loads the caller's session or replies 404. */
static int load(http_req_t *r, store_writing_t *w) {
  const char *id = http_param(r, "id");
  int rc = store_writing_get(r->app->store, r->user.id, id, w);
  if (rc == STORE_NOT_FOUND) return http_reply_not_found(r, "writing session", id), -1;
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot read writing session %s", id), -1;
  return 0;
}

/* The references with their formatted entry and in-text label in style. */
static json_t *refs_view(json_t *refs, cite_style_t style) {
  json_t *labels = NULL;
  char *unused = cite_render("", refs, style, "en", 0, &labels);
  free(unused);
  json_t *out = json_array();
  size_t i;
  json_t *ref;
  json_array_foreach(refs, i, ref) {
    json_t *o = json_deep_copy(ref);
    char *f = cite_reference(ref, style), key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(ref, "n")));
    json_object_set_new(o, "formatted", json_string(f));
    json_object_set(o, "label", json_object_get(labels, key));
    free(f);
    json_array_append_new(out, o);
  }
  json_decref(labels);
  return out;
}

static json_t *session_view(http_req_t *r, const char *id) {
  json_t *s = store_writing_json(r->app->store, r->user.id, id);
  if (!s) return NULL;
  json_t *refs = store_writing_refs(r->app->store, r->user.id, id);
  int st = cite_style_parse(json_string_value(json_object_get(s, "style")));
  json_object_set_new(s, "references", refs ? refs_view(refs, st < 0 ? CITE_APA : st) : json_array());
  json_decref(refs);
  json_t *stats = store_writing_stats(r->app->store, r->user.id, id);
  json_object_set_new(s, "stats", stats ? stats : json_object());
  const char *chat = json_string_value(json_object_get(s, "chat_id"));
  if (chat) {
    char channel[40];
    snprintf(channel, sizeof channel, "chat:%s", chat);
    json_object_set_new(s, "channel", json_string(channel));
    json_object_set_new(s, "last_seq", json_integer(store_event_last_seq(r->app->store, channel)));
  }
  return s;
}

/* ---------- sessions ---------- */

static int create_session(http_req_t *r) {
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status = r->status;
  json_t *content = json_object_get(b, "content"), *group = json_object_get(b, "group_id");
  json_t *style = json_object_get(b, "style");
  json_t *web = json_object_get(b, "web");
  const char *const KNOWN[] = {"title", "content", "group_id", "style", "web", NULL};
  const char *k;
  json_t *v;
  json_object_foreach(b, k, v) {
    int ok = 0;
    for (int i = 0; KNOWN[i]; i++) ok |= !strcmp(k, KNOWN[i]);
    if (!ok) {
      status =
          http_reply_error(r, 422, "invalid_field", "unknown field %.60s (title, content, group_id, style, web)", k);
      goto out;
    }
  }
  if (check_title(r, b, 0) || (content && check_content(r, content)) || check_style(r, style) ||
      check_group(r, group)) {
    status = r->status;
    goto out;
  }
  if (web && !json_is_boolean(web)) {
    status = http_reply_error(r, 422, "invalid_field", "web must be true or false");
    goto out;
  }
  const char *title = json_string_value(json_object_get(b, "title"));
  char id[17];
  if (store_writing_create(r->app->store, r->user.id, title ? title : "Untitled draft", json_string_value(group),
                           json_string_value(style), NULL, content ? json_string_value(content) : "", "user",
                           id) != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot create the writing session");
    goto out;
  }
  if (json_is_true(web)) {
    json_t *f = json_pack("{s:b}", "web", 1);
    int rc = store_writing_update(r->app->store, r->user.id, id, f);
    json_decref(f);
    if (rc != STORE_OK) {
      status = http_reply_error(r, 500, "internal", "cannot create the writing session");
      goto out;
    }
  }
  status = http_reply_json(r, 201, session_view(r, id));
out:
  json_decref(b);
  return status;
}

static int list_sessions(http_req_t *r) {
  json_t *l = store_writing_list_json(r->app->store, r->user.id);
  return l ? http_reply_json(r, 200, l) : http_reply_error(r, 500, "internal", "cannot list writing sessions");
}

static int get_session(http_req_t *r) {
  json_t *s = session_view(r, http_param(r, "id"));
  return s ? http_reply_json(r, 200, s) : http_reply_not_found(r, "writing session", http_param(r, "id"));
}

static int patch_session(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  const char *k;
  json_t *v;
  json_object_foreach(b, k, v) {
    if (strcmp(k, "title") && strcmp(k, "group_id") && strcmp(k, "style") && strcmp(k, "web")) {
      status = http_reply_error(r, 422, "invalid_field", "unknown field %.60s (title, group_id, style, web)", k);
      goto out;
    }
  }
  json_t *web = json_object_get(b, "web");
  if (check_title(r, b, 0) || check_style(r, json_object_get(b, "style")) ||
      check_group(r, json_object_get(b, "group_id"))) {
    status = r->status;
    goto out;
  }
  if (web && !json_is_boolean(web)) {
    status = http_reply_error(r, 422, "invalid_field", "web must be true or false");
    goto out;
  }
  if (store_writing_update(r->app->store, r->user.id, w.id, b) != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot update writing session %s", w.id);
    goto out;
  }
  status = http_reply_json(r, 200, session_view(r, w.id));
out:
  json_decref(b);
  return status;
}

static int delete_session(http_req_t *r) {
  return api_reply_deleted(r, store_writing_delete(r->app->store, r->user.id, http_param(r, "id")), "writing session");
}

/* ---------- the draft and its versions ---------- */

static int put_draft(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *content = json_object_get(b, "content"), *base = json_object_get(b, "base_version");
  json_t *author = json_object_get(b, "author");
  if (check_content(r, content)) {
    status = r->status;
    goto out;
  }
  if (base && !json_is_null(base) && (!json_is_integer(base) || json_integer_value(base) < 0)) {
    status = http_reply_error(r, 422, "invalid_field", "base_version must be a version number");
    goto out;
  }
  const char *a = author ? json_string_value(author) : "user";
  if (!a || (strcmp(a, "user") && strcmp(a, "assistant"))) {
    status = http_reply_error(r, 422, "invalid_field", "author must be user or assistant");
    goto out;
  }
  int version = 0;
  int rc = store_writing_save(r->app->store, r->user.id, w.id, json_string_value(content), a,
                              (int)json_integer_value(base), &version);
  if (rc == STORE_CONFLICT)
    status = http_reply_error(r, 409, "conflict",
                              "the draft changed since version %lld (now version %d); reload it before saving",
                              (long long)json_integer_value(base), version);
  else if (rc != STORE_OK)
    status = http_reply_error(r, 500, "internal", "cannot save the draft");
  else
    status = http_reply_json(r, 200, json_pack("{s:s, s:i}", "id", w.id, "version", version));
out:
  json_decref(b);
  return status;
}

static int list_versions(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *v = store_writing_versions(r->app->store, r->user.id, w.id);
  return v ? http_reply_json(r, 200, json_pack("{s:o}", "versions", v))
           : http_reply_error(r, 500, "internal", "cannot list versions");
}

static int get_version(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  long long v;
  if (util_parse_int(http_param(r, "v"), 1, 100000000, &v) != 0)
    return http_reply_error(r, 400, "bad_request", "version must be a positive integer");
  json_t *o = store_writing_version(r->app->store, r->user.id, w.id, (int)v);
  return o ? http_reply_json(r, 200, o) : http_reply_error(r, 404, "not_found", "version %lld not found", v);
}

/* ---------- the assistant ---------- */

static int post_assistant(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *content = json_object_get(b, "content"), *sel = json_object_get(b, "selection");
  const char *mode = json_string_value(json_object_get(b, "mode"));
  if (!mode) mode = "ask";
  if (json_object_get(b, "mode") && !json_is_string(json_object_get(b, "mode"))) mode = "";
  if (strcmp(mode, "ask") && strcmp(mode, "draft") && strcmp(mode, "revise")) {
    status = http_reply_error(r, 422, "invalid_field", "mode must be ask, draft or revise");
    goto out;
  }
  if (!json_is_string(content) || blank(json_string_value(content)) ||
      memchr(json_string_value(content), 0, json_string_length(content))) {
    status = http_reply_error(r, 422, "invalid_field", "content must be a non-empty request without NUL bytes");
    goto out;
  }
  if (!strcmp(mode, "revise") &&
      (!json_is_string(sel) || blank(json_string_value(sel)) || json_string_length(sel) > SELECTION_MAX)) {
    status = http_reply_error(r, 422, "invalid_field",
                              "revise needs the selected passage in selection (a non-empty string of at most %d "
                              "bytes)",
                              SELECTION_MAX);
    goto out;
  }
  /* the chat engine answers; the request says what the writer wants */
  buf_t q = BUF_INIT;
  buf_init(&q);
  if (!strcmp(mode, "draft"))
    buf_printf(&q, "Draft a passage for my document, ready to paste, citing the passages: %s",
               json_string_value(content));
  else if (!strcmp(mode, "revise"))
    buf_printf(&q,
               "Revise the following passage of my document (%s). Answer with the revised passage only, keeping "
               "and adding citations from the passages.\n\nPassage:\n%s",
               json_string_value(content), json_string_value(sel));
  else
    buf_puts(&q, json_string_value(content));
  if (q.len > CHAT_MAX_QUESTION) {
    buf_free(&q);
    status = http_reply_error(r, 422, "invalid_field", "the request is too long (at most %d bytes with the passage)",
                              CHAT_MAX_QUESTION);
    goto out;
  }
  json_t *qmsg = NULL;
  int64_t seq = 0;
  char err[1200] = "";
  int rc = r->app->chat && w.chat_id[0] ? chat_submit_with(r->app->chat, r->user.id, w.chat_id, q.data,
                                                           &(chat_opts_t){.web = w.web}, &qmsg, &seq, err, sizeof err)
                                        : CHAT_ERR_FULL;
  buf_free(&q);
  char channel[40];
  snprintf(channel, sizeof channel, "chat:%s", w.chat_id);
  switch (rc) {
    case CHAT_OK:
      status = http_reply_json(r, 202,
                               json_pack("{s:s, s:s, s:s, s:I, s:o}", "status", "answering", "mode", mode, "channel",
                                         channel, "seq", (json_int_t)seq, "message", qmsg));
      break;
    case CHAT_ERR_FULL:
      status = http_reply_error(r, 503, "busy", "%s", err[0] ? err : "the assistant is not available");
      break;
    case CHAT_ERR_NOT_FOUND:
      status = http_reply_not_found(r, "writing session", w.id);
      break;
    case CHAT_ERR_BUSY:
    case CHAT_ERR_GROUP:
      status = http_reply_error(r, 409, "conflict", "%s", err);
      break;
    default:
      status = http_reply_error(r, 500, "internal", "%s", err[0] ? err : "cannot answer");
  }
out:
  json_decref(b);
  return status;
}

static int get_assistant(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *c = store_chat_json(r->app->store, r->user.id, w.chat_id, 1);
  json_t *msgs = c ? json_incref(json_object_get(c, "messages")) : json_array();
  json_decref(c);
  return http_reply_json(r, 200, json_pack("{s:o}", "messages", msgs ? msgs : json_array()));
}

/* ---------- references ---------- */

/* A library document's reference: its metadata (store_doc_cite_json). */
static json_t *doc_ref(http_req_t *r, const char *doc_id, json_int_t page) {
  json_t *c = store_doc_cite_json(r->app->store, r->user.id, doc_id);
  if (!c) return NULL;
  json_t *ref = cite_from_note(c);
  json_decref(c);
  json_object_set_new(ref, "document_id", json_string(doc_id));
  if (page > 0) json_object_set_new(ref, "page", json_integer(page));
  if (!json_object_get(ref, "type")) json_object_set_new(ref, "type", json_string("document"));
  return ref;
}

static int get_refs(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  int st = style_of(r, &w);
  if (st < 0) return r->status;
  json_t *refs = store_writing_refs(r->app->store, r->user.id, w.id);
  if (!refs) return http_reply_error(r, 500, "internal", "cannot read references");
  json_t *v = refs_view(refs, st);
  char *list = cite_reference_list(refs, st);
  json_decref(refs);
  json_t *o = json_pack("{s:s, s:o, s:s}", "style", cite_style_name(st), "references", v, "list", list);
  free(list);
  return http_reply_json(r, 200, o);
}

/* Reference n of the session as refs_view shows it (new reference, {} when gone). */
static json_t *ref_view_one(http_req_t *r, const store_writing_t *w, int n) {
  json_t *refs = store_writing_refs(r->app->store, r->user.id, w->id);
  int st = cite_style_parse(w->style);
  json_t *view = refs_view(refs, st < 0 ? CITE_APA : st), *mine = NULL, *x;
  size_t i;
  json_array_foreach(view, i, x) if (json_integer_value(json_object_get(x, "n")) == n) mine = json_incref(x);
  json_decref(view);
  json_decref(refs);
  return mine ? mine : json_object();
}

static int post_ref(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *ref = clean_ref(r, b);
  if (!ref) {
    status = r->status;
    goto out;
  }
  const char *doc = json_string_value(json_object_get(ref, "document_id"));
  if (doc) { /* the document's own metadata, then what the client gave on top */
    json_t *d = doc_ref(r, doc, json_integer_value(json_object_get(ref, "page")));
    if (!d) {
      json_decref(ref);
      status = http_reply_not_found(r, "document", doc);
      goto out;
    }
    json_object_update(d, ref);
    json_decref(ref);
    ref = d;
  }
  if (!json_object_get(ref, "title") && !json_object_get(ref, "url") && !json_object_get(ref, "doi")) {
    json_decref(ref);
    status =
        http_reply_error(r, 422, "invalid_field", "a reference needs at least a title, a url, a doi or a document_id");
    goto out;
  }
  int n = 0, added = 0;
  if (store_writing_ref_add(r->app->store, r->user.id, w.id, ref, &n, &added) != STORE_OK) {
    json_decref(ref);
    status = http_reply_error(r, 500, "internal", "cannot add the reference");
    goto out;
  }
  json_decref(ref);
  json_t *mine = ref_view_one(r, &w, n);
  json_object_set_new(mine, "added", json_boolean(added));
  status = http_reply_json(r, added ? 201 : 200, mine);
out:
  json_decref(b);
  return status;
}

static int ref_number(http_req_t *r, int *n) {
  long long v;
  if (util_parse_int(http_param(r, "n"), 1, 100000000, &v) != 0) {
    http_reply_error(r, 400, "bad_request", "reference number must be a positive integer");
    return -1;
  }
  *n = (int)v;
  return 0;
}

static int put_ref(http_req_t *r) {
  store_writing_t w;
  int n;
  if (load(r, &w) || ref_number(r, &n)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  json_t *ref = clean_ref(r, b);
  json_decref(b);
  if (!ref) return r->status;
  int rc = store_writing_ref_put(r->app->store, r->user.id, w.id, n, ref);
  json_decref(ref);
  if (rc == STORE_NOT_FOUND) return http_reply_error(r, 404, "not_found", "reference %d not found", n);
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot save reference %d", n);
  return http_reply_json(r, 200, ref_view_one(r, &w, n));
}

static int delete_ref(http_req_t *r) {
  store_writing_t w;
  int n;
  if (load(r, &w) || ref_number(r, &n)) return r->status;
  int rc = store_writing_ref_delete(r->app->store, r->user.id, w.id, n);
  if (rc == STORE_NOT_FOUND) return http_reply_error(r, 404, "not_found", "reference %d not found", n);
  if (rc != STORE_OK) return http_reply_error(r, 500, "internal", "cannot delete reference %d", n);
  return http_reply_json(r, 200, json_pack("{s:i, s:b}", "n", n, "deleted", 1));
}

/* Replies 200 with data as a download: "Content-Disposition: attachment;
 * filename=..." of an ASCII slug of title ("draft" without one) and ext. */
static int reply_download(http_req_t *r, const char *title, const char *ext, const char *type, const char *data,
                          size_t len) {
  char slug[64];
  size_t n = 0;
  for (const char *p = title; *p && n < 48; p++) {
    unsigned char c = (unsigned char)*p;
    if (isalnum(c))
      slug[n++] = (char)tolower(c);
    else if (n && slug[n - 1] != '-')
      slug[n++] = '-';
  }
  while (n && slug[n - 1] == '-') n--;
  slug[n] = 0;
  buf_t h = BUF_INIT;
  buf_init(&h);
  buf_printf(&h, "Content-Disposition: attachment; filename=\"%s.%s\"\r\n", n ? slug : "draft", ext);
  int st = http_reply_raw(r, 200, type, data, len, h.data);
  buf_free(&h);
  return st;
}

static int export_refs(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  char fmt[16] = "";
  http_query(r, "format", fmt, sizeof fmt);
  int bib = !strcmp(fmt, "bibtex");
  if (!bib && strcmp(fmt, "ris"))
    return http_reply_error(r, 422, "invalid_field", "format %s is not available (bibtex, ris)", fmt);
  json_t *refs = store_writing_refs(r->app->store, r->user.id, w.id);
  if (!refs) return http_reply_error(r, 500, "internal", "cannot read references");
  char *out = bib ? cite_bibtex(refs) : cite_ris(refs);
  json_decref(refs);
  int st = reply_download(r, w.title, bib ? "bib" : "ris",
                          bib ? "application/x-bibtex; charset=utf-8" : "application/x-research-info-systems", out,
                          strlen(out));
  free(out);
  return st;
}

/* ---------- export ---------- */

static int export_draft(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  char fmt[16] = "md";
  http_query(r, "format", fmt, sizeof fmt);
  if (strcmp(fmt, "md") && strcmp(fmt, "html") && strcmp(fmt, "pdf") && strcmp(fmt, "docx"))
    return http_reply_error(r, 422, "invalid_field", "format %s is not available (md, html, pdf, docx)", fmt);
  int style = style_of(r, &w);
  if (style < 0) return r->status;
  char lang[8] = "en";
  http_query(r, "lang", lang, sizeof lang);
  json_t *s = store_writing_json(r->app->store, r->user.id, w.id);
  json_t *refs = store_writing_refs(r->app->store, r->user.id, w.id);
  if (!s || !refs) {
    json_decref(s);
    json_decref(refs);
    return http_reply_error(r, 500, "internal", "cannot read the draft");
  }
  char *md = cite_render(json_string_value(json_object_get(s, "content")), refs, style, lang, 1, NULL);
  json_decref(refs);
  json_decref(s);
  int st;
  if (!strcmp(fmt, "md")) {
    st = reply_download(r, w.title, "md", "text/markdown; charset=utf-8", md, strlen(md));
  } else if (!strcmp(fmt, "html")) {
    char *html = report_html(w.title, md);
    st = html ? http_reply_raw(r, 200, "text/html; charset=utf-8", html, strlen(html),
                               "Content-Security-Policy: " REPORT_HTML_CSP "\r\n")
              : http_reply_error(r, 500, "internal", "cannot render the draft");
    free(html);
  } else {
    char *data = NULL, err[256];
    size_t len = 0;
    int pdf = !strcmp(fmt, "pdf");
    int rc = pdf ? report_pdf(w.title, md, &data, &len, err, sizeof err)
                 : report_docx(w.title, md, &data, &len, err, sizeof err);
    st = rc == 0 ? reply_download(r, w.title, fmt,
                                  pdf ? "application/pdf"
                                      : "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  data, len)
                 : http_reply_error(r, 500, "internal", "cannot render the draft: %s", err);
    free(data);
  }
  free(md);
  return st;
}

/* POST .../render {content, style?}: the draft as it reads in a style (the
 * editor's live preview; the same text the Markdown export has). */
static int render_draft(http_req_t *r) {
  store_writing_t w;
  if (load(r, &w)) return r->status;
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status, style = cite_style_parse(w.style);
  json_t *content = json_object_get(b, "content"), *st = json_object_get(b, "style");
  if (check_content(r, content) || check_style(r, st)) {
    status = r->status;
    goto out;
  }
  if (st) style = cite_style_parse(json_string_value(st));
  json_t *refs = store_writing_refs(r->app->store, r->user.id, w.id);
  json_t *labels = NULL;
  char lang[8] = "en";
  http_query(r, "lang", lang, sizeof lang);
  char *md = cite_render(json_string_value(content), refs, style < 0 ? CITE_APA : style, lang, 1, &labels);
  json_decref(refs);
  status = http_reply_json(r, 200,
                           json_pack("{s:s, s:s, s:o}", "markdown", md, "style",
                                     cite_style_name(style < 0 ? CITE_APA : style), "labels", labels));
  free(md);
out:
  json_decref(b);
  return status;
}

/* ---------- from a mission report ---------- */

static const char *scope(http_req_t *r) {
  return r->user.role == ROLE_ADMIN ? NULL : r->user.id;
}

/* The report's Markdown with its [k] markers as [@n] (map: k -> n, from
 * the reference list) and its "References" section left out (the session
 * lists them itself). malloc'd. */
static char *report_to_draft(const char *md, const int *map, size_t nmap) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *p = md;
  while (*p) {
    if (*p == '\n' && (util_starts_with(p + 1, "## References\n") || util_starts_with(p + 1, "## 참고 문헌\n"))) {
      const char *next = strstr(p + 1, "\n## ");
      p = next ? next : p + strlen(p);
      if (!next) buf_putc(&b, '\n');
      continue;
    }
    if (*p == '[' && isdigit((unsigned char)p[1])) {
      char *end = NULL;
      long k = strtol(p + 1, &end, 10);
      if (end && *end == ']' && end[1] != '(' && k >= 1 && (size_t)k <= nmap && map[k - 1] > 0) {
        buf_printf(&b, "[@%d]", map[k - 1]);
        p = end + 1;
        continue;
      }
    }
    buf_putc(&b, *p++);
  }
  return buf_detach(&b, NULL);
}

static int continue_in_writing(http_req_t *r) {
  const char *mid = http_param(r, "id");
  json_t *row = NULL;
  if (store_mission_get(r->app->store, scope(r), mid, &row) != STORE_OK) return http_reply_not_found(r, "mission", mid);
  json_t *rep = NULL;
  if (store_mission_report(r->app->store, mid, 0, &rep) != STORE_OK) {
    json_decref(row);
    return http_reply_error(r, 409, "conflict", "mission %s has no report yet", mid);
  }
  const char *title = json_string_value(json_object_get(row, "title"));
  json_t *refs = json_object_get(json_object_get(rep, "meta"), "references");
  char sid[17];
  int status;
  /* the session first (empty), then its references, then the draft that cites them */
  if (store_writing_create(r->app->store, r->user.id, title && title[0] ? title : "Report", NULL, "apa", mid, NULL,
                           "report", sid) != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot create the writing session");
    goto out;
  }
  size_t nrefs = json_array_size(refs);
  int *map = calloc(nrefs + 1, sizeof *map);
  if (!map) abort();
  size_t i;
  json_t *e;
  char today[40];
  util_iso_time(util_now_ms(), today, sizeof today);
  today[10] = 0;
  json_array_foreach(refs, i, e) {
    long long k = json_integer_value(json_object_get(e, "n"));
    const char *doc = json_string_value(json_object_get(e, "document_id"));
    json_t *ref = doc ? doc_ref(r, doc, json_integer_value(json_object_get(e, "page"))) : NULL;
    if (!ref) {
      ref = cite_from_note(e);
      if (json_object_get(ref, "url") && !json_object_get(ref, "doi"))
        json_object_set_new(ref, "accessed", json_string(today));
    }
    int n = 0;
    if (store_writing_ref_add(r->app->store, r->user.id, sid, ref, &n, NULL) == STORE_OK && k >= 1 &&
        (size_t)k <= nrefs)
      map[k - 1] = n;
    json_decref(ref);
  }
  char *draft = report_to_draft(json_string_value(json_object_get(rep, "markdown")), map, nrefs);
  free(map);
  int v = 0;
  /* the report is version 1, made by "report" */
  if (store_writing_save(r->app->store, r->user.id, sid, draft, "report", 0, &v) != STORE_OK) {
    free(draft);
    store_writing_delete(r->app->store, r->user.id, sid);
    status = http_reply_error(r, 500, "internal", "cannot save the draft");
    goto out;
  }
  free(draft);
  status = http_reply_json(r, 201, session_view(r, sid));
out:
  json_decref(rep);
  json_decref(row);
  return status;
}

/* PUT /api/missions/{id}/report: the user's edit as a new report version. */
static int put_report(http_req_t *r) {
  const char *mid = http_param(r, "id");
  json_t *row = NULL;
  if (store_mission_get(r->app->store, scope(r), mid, &row) != STORE_OK) return http_reply_not_found(r, "mission", mid);
  json_decref(row);
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  json_t *content = json_object_get(b, "content");
  if (check_content(r, content)) {
    status = r->status;
    goto out;
  }
  if (blank(json_string_value(content))) {
    status = http_reply_error(r, 422, "invalid_field", "content must not be empty (the report's Markdown)");
    goto out;
  }
  json_t *prev = NULL;
  if (store_mission_report(r->app->store, mid, 0, &prev) != STORE_OK) {
    status = http_reply_error(r, 409, "conflict", "mission %s has no report yet; it can be edited once written", mid);
    goto out;
  }
  /* the references stay those of the version edited; who made it is the user */
  json_t *meta = json_deep_copy(json_object_get(prev, "meta"));
  if (!json_is_object(meta)) {
    json_decref(meta);
    meta = json_object();
  }
  json_object_set_new(meta, "author", json_string("user"));
  json_object_set_new(meta, "user_id", json_string(r->user.id));
  json_object_set_new(meta, "username", json_string(r->user.username));
  json_object_set(meta, "based_on", json_object_get(prev, "version"));
  json_decref(prev);
  int v = 0;
  json_t *fields = json_object();
  int rc = store_mission_add_report(r->app->store, mid, json_string_value(content), meta, fields, &v, NULL);
  json_decref(fields);
  json_decref(meta);
  status = rc == STORE_OK
               ? http_reply_json(r, 200, json_pack("{s:s, s:i, s:s}", "id", mid, "version", v, "author", "user"))
               : http_reply_error(r, 500, "internal", "cannot save the report");
out:
  json_decref(b);
  return status;
}

void api_writing_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/writing/sessions", ROLE_RESEARCHER, create_session);
  http_route(rt, "GET", "/api/writing/sessions", ROLE_VIEWER, list_sessions);
  http_route(rt, "GET", "/api/writing/sessions/{id}", ROLE_VIEWER, get_session);
  http_route(rt, "PATCH", "/api/writing/sessions/{id}", ROLE_RESEARCHER, patch_session);
  http_route(rt, "DELETE", "/api/writing/sessions/{id}", ROLE_RESEARCHER, delete_session);
  http_route(rt, "PUT", "/api/writing/sessions/{id}/draft", ROLE_RESEARCHER, put_draft);
  http_route(rt, "GET", "/api/writing/sessions/{id}/versions", ROLE_VIEWER, list_versions);
  http_route(rt, "GET", "/api/writing/sessions/{id}/versions/{v}", ROLE_VIEWER, get_version);
  http_route(rt, "POST", "/api/writing/sessions/{id}/assistant", ROLE_RESEARCHER, post_assistant);
  http_route(rt, "GET", "/api/writing/sessions/{id}/assistant", ROLE_VIEWER, get_assistant);
  http_route(rt, "GET", "/api/writing/sessions/{id}/references", ROLE_VIEWER, get_refs);
  http_route(rt, "POST", "/api/writing/sessions/{id}/references", ROLE_RESEARCHER, post_ref);
  http_route(rt, "GET", "/api/writing/sessions/{id}/references/export", ROLE_VIEWER, export_refs);
  http_route(rt, "PUT", "/api/writing/sessions/{id}/references/{n}", ROLE_RESEARCHER, put_ref);
  http_route(rt, "DELETE", "/api/writing/sessions/{id}/references/{n}", ROLE_RESEARCHER, delete_ref);
  http_route(rt, "GET", "/api/writing/sessions/{id}/export", ROLE_VIEWER, export_draft);
  http_route(rt, "POST", "/api/writing/sessions/{id}/render", ROLE_VIEWER, render_draft);
  http_route(rt, "POST", "/api/missions/{id}/writing", ROLE_RESEARCHER, continue_in_writing);
  http_route(rt, "PUT", "/api/missions/{id}/report", ROLE_RESEARCHER, put_report);
}
