/*
 * missions.c - /api/missions/... and /api/stats (API.md, Missions).
 *
 * Every handler scopes the mission to the caller (admins: any mission) and
 * answers 404 for a mission that is missing or not the caller's, so ids of
 * other users' missions are not revealed. Controls are state transitions in
 * agents/mission.c; these handlers only parse, check and reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents.h"
#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/util.h"
#include "report/report.h"
#include "store/drafts.h"
#include "store/events.h"
#include "store/llm_calls.h"
#include "store/missions.h"

/* The owner filter: NULL for admins (any mission). */
static const char *scope(http_req_t *r) {
  return r->user.role == ROLE_ADMIN ? NULL : r->user.id;
}

/* The mission as the API shows it: row + counters from the call record. */
json_t *api_mission_view(app_t *app, json_t *row) {
  store_llm_totals_t t = {0};
  store_llm_calls_totals(app->store, json_string_value(json_object_get(row, "id")), &t);
  json_t *m = json_deep_copy(row);
  json_object_set(m, "research_questions", json_object_get(row, "questions"));
  json_object_set_new(m, "tokens", json_integer(t.prompt_tokens + t.completion_tokens));
  json_object_set_new(m, "cost", json_real(t.cost_usd));
  json_object_set_new(m, "calls", json_integer(t.calls));
  json_object_set_new(m, "progress", json_real(agents_mission_progress(app->agents, row)));
  json_object_set_new(m, "offline", json_boolean(json_integer_value(json_object_get(row, "offline"))));
  const char *depth = json_string_value(json_object_get(json_object_get(row, "settings"), "depth"));
  json_object_set_new(m, "depth", json_string(depth && depth[0] ? depth : "standard"));
  json_object_set_new(
      m, "counters",
      json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "round",
                json_integer_value(json_object_get(row, "round")), "pass",
                json_integer_value(json_object_get(row, "pass")), "notes",
                json_integer_value(json_object_get(row, "notes_count")), "sections",
                json_integer_value(json_object_get(row, "sections_count")), "calls", (json_int_t)t.calls,
                "cached_calls", (json_int_t)t.cached, "checked", json_integer_value(json_object_get(row, "checked")),
                "supported", json_integer_value(json_object_get(row, "supported")), "cost", t.cost_usd));
  json_object_del(m, "review");
  return m;
}

/* Loads the caller's mission or replies 404. */
static json_t *load(http_req_t *r) {
  json_t *row = NULL;
  const char *id = http_param(r, "id");
  if (store_mission_get(r->app->store, scope(r), id, &row) != STORE_OK) {
    http_reply_not_found(r, "mission", id);
    return NULL;
  }
  return row;
}

/* Whether the mission the path names is the user's to see (else replied 404). */
static int owned(http_req_t *r) {
  json_t *row = load(r);
  json_decref(row);
  return row != NULL;
}

int api_mission_refused(http_req_t *r, agents_err_t why, const char *err, json_t *pf) {
  if (pf) /* refused as empty: the error says why, item by item */
    return http_reply_json(r, 422,
                           json_pack("{s:{s:s, s:s, s:O}, s:o}", "error", "code", "empty_sources", "message", err,
                                     "problems", json_object_get(pf, "problems"), "preflight", pf));
  return api_agents_error(r, why, err);
}

int api_agents_error(http_req_t *r, agents_err_t why, const char *err) {
  switch (why) {
    case AGENTS_E_NOT_FOUND:
      return http_reply_error(r, 404, "not_found", "%s", err);
    case AGENTS_E_CONFLICT:
      return http_reply_error(r, 409, "conflict", "%s", err);
    case AGENTS_E_INVALID:
      return http_reply_error(r, 422, "invalid_field", "%s", err);
    default:
      return http_reply_error(r, 500, "internal", "%s", err);
  }
}

static int h_create(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  char id[17], err[512];
  agents_err_t why = AGENTS_OK;
  json_t *pf = NULL;
  int rc = agents_mission_create(r->app->agents, r->user.id, body, 1, id, &why, err, sizeof err, &pf);
  json_decref(body);
  if (rc != 0) return api_mission_refused(r, why, err, pf);
  return http_reply_json(r, 201, json_pack("{s:s, s:s}", "id", id, "status", "queued"));
}

/* POST /api/missions/preflight: what a mission of this body would have. */
static int h_preflight(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  json_t *pf = agents_preflight(r->app->agents, r->user.id, body, AGENTS_PREFLIGHT_PROBE);
  json_decref(body);
  return http_reply_json(r, 200, pf);
}

static int h_list(http_req_t *r) {
  long long limit, offset;
  if (http_query_int(r, "limit", 50, 1, 1000, &limit) < 0 || http_query_int(r, "offset", 0, 0, 1000000, &offset) < 0)
    return r->status;
  json_t *rows = store_mission_list(r->app->store, r->user.id, (int)limit, (int)offset);
  if (!rows) return http_reply_error(r, 500, "internal", "cannot list missions");
  json_t *out = json_array();
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) json_array_append_new(out, api_mission_view(r->app, row));
  json_decref(rows);
  return http_reply_json(r, 200, json_pack("{s:o}", "missions", out));
}

static int h_get(http_req_t *r) {
  json_t *row = load(r);
  if (!row) return r->status;
  json_t *v = api_mission_view(r->app, row);
  /* the research chat that shaped it, when one did (the owner's) */
  char draft[17];
  const char *owner = json_string_value(json_object_get(row, "user_id"));
  if (owner && store_draft_of_mission(r->app->store, owner, http_param(r, "id"), draft) == STORE_OK)
    json_object_set_new(v, "draft_id", json_string(draft));
  json_decref(row);
  return http_reply_json(r, 200, v);
}

static int h_delete(http_req_t *r) {
  if (!owned(r)) return r->status;
  const char *id = http_param(r, "id");
  agents_err_t why;
  char err[256];
  agents_mission_stop(r->app->agents, scope(r), id, &why, err, sizeof err); /* no-op when finished */
  if (store_mission_delete(r->app->store, scope(r), id) != STORE_OK)
    return http_reply_error(r, 500, "internal", "cannot delete mission %s", id);
  store_llm_calls_delete_mission(r->app->store, id);
  return http_reply_json(r, 200, json_pack("{s:b}", "deleted", 1));
}

static int h_plan(http_req_t *r) {
  if (!owned(r)) return r->status;
  json_t *p = agents_plan_json(r->app->agents, http_param(r, "id"));
  return p ? http_reply_json(r, 200, p) : http_reply_error(r, 500, "internal", "cannot read the plan");
}

static int h_put_plan(http_req_t *r) {
  json_t *body = http_read_json(r);
  if (!body) return r->status;
  char err[512];
  agents_err_t why = AGENTS_OK;
  json_t *plan = NULL;
  int rc = agents_mission_set_plan(r->app->agents, scope(r), http_param(r, "id"), body, 1, &plan, &why, err, sizeof err);
  json_decref(body);
  if (rc != 0) return api_agents_error(r, why, err);
  return http_reply_json(r, 200, plan);
}

static int h_notes(http_req_t *r) {
  if (!owned(r)) return r->status;
  char section[64] = "";
  http_query(r, "section_id", section, sizeof section);
  json_t *rows = store_mission_notes(r->app->store, http_param(r, "id"), section[0] ? section : NULL);
  if (!rows) return http_reply_error(r, 500, "internal", "cannot list notes");
  json_t *out = json_array();
  size_t i;
  json_t *n;
  json_array_foreach(rows, i, n) json_array_append_new(out, store_mission_note_json(n));
  json_decref(rows);
  return http_reply_json(r, 200, json_pack("{s:o}", "notes", out));
}

/* A call record as a log entry (prompt and response included). */
static json_t *log_entry(json_t *c) {
  json_t *l = json_deep_copy(c);
  json_object_set_new(l, "tokens",
                      json_integer(json_integer_value(json_object_get(c, "prompt_tokens")) +
                                   json_integer_value(json_object_get(c, "completion_tokens"))));
  json_object_set(l, "cost", json_object_get(c, "cost_usd"));
  json_object_set(l, "duration_ms", json_object_get(c, "latency_ms"));
  json_t *req = json_object_get(c, "request");
  json_object_set(l, "prompt",
                  json_is_object(req) && json_object_get(req, "messages") ? json_object_get(req, "messages") : req);
  json_object_set_new(l, "action",
                      json_sprintf("%s (%s)", json_string_value(json_object_get(c, "agent")) ?: "call",
                                   json_string_value(json_object_get(c, "source")) ?: "live"));
  return l;
}

/* What each call was about, from the mission's agent_log and call_ended
 * (a call that failed or was cancelled) events:
 * {call id: {action, call_key, section_id, section_title, round, query,
 * passages, notes}}. New reference. */
static json_t *call_contexts(app_t *app, const char *id) {
  static const char *const keys[] = {"action", "call_key", "section_id", "section_title",
                                     "round",  "query",    "passages",   "notes"};
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", id);
  json_t *evs = store_event_list(app->store, channel, 0, 1000000);
  json_t *out = json_object();
  size_t i;
  json_t *e;
  json_array_foreach(evs, i, e) {
    const char *name = json_string_value(json_object_get(e, "event"));
    json_t *d = json_object_get(e, "data");
    const char *cid = json_string_value(json_object_get(d, "id"));
    if (!name || (strcmp(name, "agent_log") && strcmp(name, "call_ended")) || !cid) continue;
    json_t *x = json_object();
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
      if (json_object_get(d, keys[k])) json_object_set(x, keys[k], json_object_get(d, keys[k]));
    json_object_set_new(out, cid, x);
  }
  json_decref(evs);
  return out;
}

static int h_logs(http_req_t *r) {
  if (!owned(r)) return r->status;
  long long limit, offset;
  if (http_query_int(r, "limit", 500, 1, 10000, &limit) < 0 || http_query_int(r, "offset", 0, 0, 10000000, &offset) < 0)
    return r->status;
  json_t *calls = store_llm_calls_list_mission(r->app->store, http_param(r, "id"), (int)limit, (int)offset);
  if (!calls) return http_reply_error(r, 500, "internal", "cannot list logs");
  json_t *ctx = call_contexts(r->app, http_param(r, "id"));
  json_t *out = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) {
    json_t *l = log_entry(c);
    json_t *x = json_object_get(ctx, json_string_value(json_object_get(c, "id")));
    if (x) json_object_update(l, x);
    json_array_append_new(out, l);
  }
  json_decref(calls);
  json_decref(ctx);
  /* then the calls still waiting for their answer */
  if (r->app->agents && offset == 0) {
    json_t *fl = agents_inflight_json(r->app->agents, http_param(r, "id"));
    json_array_extend(out, fl);
    json_decref(fl);
  }
  return http_reply_json(r, 200, json_pack("{s:o}", "logs", out));
}

static int h_log(http_req_t *r) {
  if (!owned(r)) return r->status;
  const char *lid = http_param(r, "log");
  json_t *calls = store_llm_calls_list_mission(r->app->store, http_param(r, "id"), 0, 0);
  size_t i;
  json_t *c;
  json_array_foreach(calls, i, c) if (!strcmp(json_string_value(json_object_get(c, "id")), lid)) {
    json_t *l = log_entry(c);
    json_t *ctx = call_contexts(r->app, http_param(r, "id"));
    if (json_object_get(ctx, lid)) json_object_update(l, json_object_get(ctx, lid));
    json_decref(ctx);
    json_decref(calls);
    return http_reply_json(r, 200, l);
  }
  json_decref(calls);
  return http_reply_not_found(r, "log entry", lid);
}

static int h_draft(http_req_t *r) {
  if (!owned(r)) return r->status;
  json_t *d = agents_draft_json(r->app->agents, http_param(r, "id"));
  return d ? http_reply_json(r, 200, d) : http_reply_error(r, 500, "internal", "cannot read drafts");
}

static int h_events(http_req_t *r) {
  if (!owned(r)) return r->status;
  long long after, limit;
  if (http_query_int(r, "after", 0, 0, 1LL << 62, &after) < 0 || http_query_int(r, "limit", 1000, 1, 10000, &limit) < 0)
    return r->status;
  char channel[64];
  snprintf(channel, sizeof channel, "mission:%s", http_param(r, "id"));
  json_t *evs = store_event_list(r->app->store, channel, after, (int)limit);
  if (!evs) return http_reply_error(r, 500, "internal", "cannot list events");
  return http_reply_json(r, 200, json_pack("{s:o}", "events", evs));
}

/* Appends Content-Disposition: attachment with an ASCII file name made of
 * the title ("report" when it has no letters or digits) and, for titles
 * with other characters, the UTF-8 name percent-encoded (RFC 6266/5987),
 * so neither can break the header. */
static void download_header(buf_t *h, const char *title, long long version, const char *ext) {
  char slug[64];
  size_t n = 0;
  for (const char *p = title ? title : ""; *p && n < 48; p++) {
    unsigned char c = (unsigned char)*p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      slug[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    else if (n && slug[n - 1] != '-')
      slug[n++] = '-';
  }
  while (n && slug[n - 1] == '-') n--;
  slug[n] = 0;
  buf_printf(h, "Content-Disposition: attachment; filename=\"%s-v%lld.%s\"", n ? slug : "report", version, ext);
  int ascii = 1;
  for (const char *p = title ? title : ""; *p; p++)
    if ((unsigned char)*p >= 0x80) ascii = 0;
  if (!ascii) {
    buf_puts(h, "; filename*=UTF-8''");
    size_t tl = strlen(title), len = util_utf8_floor(title, tl < 120 ? tl : 120); /* whole characters */
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)title[i];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_')
        buf_putc(h, (char)c);
      else
        buf_printf(h, "%%%02X", c);
    }
    buf_printf(h, "-v%lld.%s", version, ext);
  }
  buf_puts(h, "\r\n");
}

static int h_report(http_req_t *r) {
  json_t *row = load(r);
  if (!row) return r->status;
  char fmt[16] = "md";
  http_query(r, "format", fmt, sizeof fmt);
  long long version;
  if (http_query_int(r, "version", 0, 0, 1000000, &version) < 0) {
    json_decref(row);
    return r->status;
  }
  if (strcmp(fmt, "md") && strcmp(fmt, "html") && strcmp(fmt, "json") && strcmp(fmt, "pdf") && strcmp(fmt, "docx")) {
    json_decref(row);
    return http_reply_error(r, 422, "invalid_field", "format %s is not available (md, html, pdf, docx, json)", fmt);
  }
  json_t *rep = NULL;
  int rc = store_mission_report(r->app->store, http_param(r, "id"), (int)version, &rep);
  if (rc != STORE_OK) {
    json_decref(row);
    return version ? http_reply_error(r, 404, "not_found", "report version %lld not found", version)
                   : http_reply_error(r, 404, "not_found", "mission %s has no report yet", http_param(r, "id"));
  }
  const char *md = json_string_value(json_object_get(rep, "markdown"));
  int st;
  char hdr[160];
  snprintf(hdr, sizeof hdr, "X-Report-Version: %lld\r\n",
           (long long)json_integer_value(json_object_get(rep, "version")));
  if (!strcmp(fmt, "json")) {
    json_object_set_new(rep, "formats", json_pack("[s,s,s,s]", "md", "html", "pdf", "docx"));
    st = http_reply_json(r, 200, json_incref(rep));
  } else if (!strcmp(fmt, "pdf") || !strcmp(fmt, "docx")) {
    const char *title = json_string_value(json_object_get(row, "title"));
    char *data = NULL, err[256];
    size_t len = 0;
    int pdf = !strcmp(fmt, "pdf");
    int rc2 = pdf ? report_pdf(title, md, &data, &len, err, sizeof err)
                  : report_docx(title, md, &data, &len, err, sizeof err);
    if (rc2 == 0) {
      buf_t h = BUF_INIT;
      buf_init(&h);
      buf_puts(&h, hdr);
      download_header(&h, title, json_integer_value(json_object_get(rep, "version")), fmt);
      st = http_reply_raw(
          r, 200, pdf ? "application/pdf" : "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          data, len, h.data);
      buf_free(&h);
    } else
      st = http_reply_error(r, 500, "internal", "cannot render the report: %s", err);
    free(data);
  } else if (!strcmp(fmt, "html")) {
    char *html = report_html(json_string_value(json_object_get(row, "title")), md);
    char hh[512];
    snprintf(hh, sizeof hh, "%sContent-Security-Policy: " REPORT_HTML_CSP "\r\n", hdr);
    st = html ? http_reply_raw(r, 200, "text/html; charset=utf-8", html, strlen(html), hh)
              : http_reply_error(r, 500, "internal", "cannot render the report");
    free(html);
  } else
    st = http_reply_raw(r, 200, "text/markdown; charset=utf-8", md, strlen(md), hdr);
  json_decref(rep);
  json_decref(row);
  return st;
}

static int h_versions(http_req_t *r) {
  if (!owned(r)) return r->status;
  json_t *v = store_mission_report_versions(r->app->store, http_param(r, "id"));
  if (!v) return http_reply_error(r, 500, "internal", "cannot list versions");
  return http_reply_json(r, 200,
                         json_pack("{s:o, s:[s,s,s,s]}", "versions", v, "formats", "md", "html", "pdf", "docx"));
}

static int control_reply(http_req_t *r, int rc, agents_err_t why, const char *err) {
  if (rc != 0) return api_agents_error(r, why, err);
  json_t *row = NULL;
  store_mission_get(r->app->store, NULL, http_param(r, "id"), &row);
  json_t *v = row ? api_mission_view(r->app, row) : json_object();
  json_decref(row);
  return http_reply_json(r, 200, v);
}

/* Pause, resume and stop: the mission the path names, as the user may. */
static int control(http_req_t *r, int (*fn)(agents_t *, const char *, const char *, agents_err_t *, char *, size_t)) {
  char err[256];
  agents_err_t why = AGENTS_OK;
  int rc = fn(r->app->agents, scope(r), http_param(r, "id"), &why, err, sizeof err);
  return control_reply(r, rc, why, err);
}

static int h_pause(http_req_t *r) {
  return control(r, agents_mission_pause);
}

/* A resume from the API submits the mission's job at once. */
static int resume_submit(agents_t *ag, const char *user_id, const char *id, agents_err_t *why, char *err,
                         size_t errlen) {
  return agents_mission_resume(ag, user_id, id, 1, why, err, errlen);
}

static int h_resume(http_req_t *r) {
  return control(r, resume_submit);
}

static int h_stop(http_req_t *r) {
  return control(r, agents_mission_stop);
}

static int h_resume_round(http_req_t *r) {
  char err[256];
  agents_err_t why = AGENTS_OK;
  const char *n = http_param(r, "n");
  char *end = NULL;
  long round = strtol(n, &end, 10);
  if (!end || *end || round < 1 || round > 100)
    return http_reply_error(r, 422, "invalid_field", "round must be a positive integer");
  int rc = agents_mission_resume_round(r->app->agents, scope(r), http_param(r, "id"), (int)round, 1, &why, err,
                                       sizeof err);
  return control_reply(r, rc, why, err);
}

static int h_stats(http_req_t *r) {
  json_t *s = store_mission_stats(r->app->store, scope(r));
  return s ? http_reply_json(r, 200, s) : http_reply_error(r, 500, "internal", "cannot compute statistics");
}

void api_missions_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/missions", ROLE_RESEARCHER, h_create);
  http_route(rt, "POST", "/api/missions/preflight", ROLE_RESEARCHER, h_preflight);
  http_route(rt, "GET", "/api/missions", ROLE_VIEWER, h_list);
  http_route(rt, "GET", "/api/missions/{id}", ROLE_VIEWER, h_get);
  http_route(rt, "DELETE", "/api/missions/{id}", ROLE_RESEARCHER, h_delete);
  http_route(rt, "GET", "/api/missions/{id}/plan", ROLE_VIEWER, h_plan);
  http_route(rt, "PUT", "/api/missions/{id}/plan", ROLE_RESEARCHER, h_put_plan);
  http_route(rt, "GET", "/api/missions/{id}/notes", ROLE_VIEWER, h_notes);
  http_route(rt, "GET", "/api/missions/{id}/logs", ROLE_VIEWER, h_logs);
  http_route(rt, "GET", "/api/missions/{id}/logs/{log}", ROLE_VIEWER, h_log);
  http_route(rt, "GET", "/api/missions/{id}/draft", ROLE_VIEWER, h_draft);
  http_route(rt, "GET", "/api/missions/{id}/events", ROLE_VIEWER, h_events);
  http_route(rt, "GET", "/api/missions/{id}/report", ROLE_VIEWER, h_report);
  http_route(rt, "GET", "/api/missions/{id}/report/versions", ROLE_VIEWER, h_versions);
  http_route(rt, "POST", "/api/missions/{id}/pause", ROLE_RESEARCHER, h_pause);
  http_route(rt, "POST", "/api/missions/{id}/resume", ROLE_RESEARCHER, h_resume);
  http_route(rt, "POST", "/api/missions/{id}/stop", ROLE_RESEARCHER, h_stop);
  http_route(rt, "POST", "/api/missions/{id}/resume-round/{n}", ROLE_RESEARCHER, h_resume_round);
  http_route(rt, "GET", "/api/stats", ROLE_VIEWER, h_stats);
}
