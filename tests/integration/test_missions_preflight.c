/*
 * test_missions_preflight.c - before a mission starts: server defaults set by
 * an admin reach researchers who have no settings of their own (and their
 * own override them), POST /api/missions/preflight says what a mission will
 * have and what is missing in plain words, and a mission with nothing to
 * research is refused (422) unless "allow_empty": true - on the real server
 * with the fake model and the fake SearXNG, and through `maestro research`.
 *
 * The environment has no model: the admin ingested the fixture document;
 * the researcher "alice" has an empty library.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "mission_support.h"
#include "web_support.h"

#define SERVER_KEY "sk-server-SECRET-0123456789"

static websup_fake_t searx;
static char *alice;

static void start(void) {
  /* No model in the environment (offline start), a fake model that only
   * answers with the server's key. */
  ms_start(1, NULL, NULL);
  cr_assert_eq(llmsup_fake_start(&ms_fake, "{\"require_api_key\":\"" SERVER_KEY "\",\"models\":[\"fake-model\"]}"), 0);
  const char *args[] = {"--mode", "normal", NULL};
  cr_assert_eq(websup_fake_start(&searx, "fake_searxng.py", args), 0);
  long st;
  json_t *nu = json_pack("{s:s, s:s, s:s}", "username", "alice", "password", "alice-pass-123", "role", "researcher");
  json_decref(ts_json(&ms_srv, "POST", "/api/admin/users", ms_token, nu, &st));
  json_decref(nu);
  cr_assert_eq(st, 201);
  alice = ts_login(&ms_srv, "alice", "alice-pass-123");
  cr_assert(alice);
}

static void stop(void) {
  free(alice);
  alice = NULL;
  websup_fake_stop(&searx);
  ms_stop_all();
}

TestSuite(preflight, .init = start, .fini = stop, .timeout = 120);

static const char *fake_url(char *out, size_t n) {
  return llmsup_url(&ms_fake, "/v1", out, n);
}

/* ts_json that takes the body (the literal bodies below are not kept). */
static json_t *req_take(const char *method, const char *path, const char *token, json_t *body, long *st) {
  json_t *r = ts_json(&ms_srv, method, path, token, body, st);
  json_decref(body);
  return r;
}

/* PUT /api/admin/settings as the admin; returns the reply. */
static json_t *put_server(json_t *body, long *st) {
  json_t *r = ts_json(&ms_srv, "PUT", "/api/admin/settings", ms_token, body, st);
  json_decref(body);
  return r;
}

static void set_server_model(void) {
  char url[128];
  long st;
  json_t *r = put_server(json_pack("{s:{s:{s:s, s:s, s:s, s:s}}}", "models", "default", "provider", "openai",
                                   "base_url", fake_url(url, sizeof url), "api_key", SERVER_KEY, "model", "fake-model"),
                         &st);
  cr_assert_eq(st, 200);
  char *s = json_dumps(r, 0);
  cr_assert_null(strstr(s, "SECRET"), "the server key came back: %s", s);
  free(s);
  json_decref(r);
}

static json_t *preflight(const char *token, json_t *body) {
  long st;
  json_t *r = ts_json(&ms_srv, "POST", "/api/missions/preflight", token, body, &st);
  json_decref(body);
  cr_assert_eq(st, 200, "preflight: %ld", st);
  return r;
}

/* The problem with this code, or NULL. Every problem must be plain words
 * with a fix. */
static json_t *problem(json_t *pf, const char *code) {
  size_t i;
  json_t *p, *found = NULL;
  json_array_foreach(json_object_get(pf, "problems"), i, p) {
    cr_assert_gt(json_string_length(json_object_get(p, "message")), 20);
    cr_assert_gt(json_string_length(json_object_get(p, "fix")), 10);
    if (strcmp(json_string_value(json_object_get(p, "code")), code) == 0) found = p;
  }
  return found;
}

static json_t *mission_body(const char *title, int docs, int web) {
  json_t *src = json_array();
  if (docs) json_array_append_new(src, json_string("local_documents"));
  if (web) json_array_append_new(src, json_string("web_search"));
  return json_pack("{s:s, s:[s], s:o}", "title", title, "research_questions", "What changed?", "sources", src);
}

static size_t mission_count(const char *token) {
  long st;
  json_t *l = ts_json(&ms_srv, "GET", "/api/missions", token, NULL, &st);
  size_t n = json_array_size(json_object_get(l, "missions"));
  json_decref(l);
  return n;
}

static const char *tier_field(json_t *settings, const char *tier, const char *field) {
  return json_string_value(json_object_get(json_object_get(json_object_get(settings, "effective"), tier), field));
}

Test(preflight, server_defaults_reach_researchers_and_their_own_override) {
  long st;
  json_t *s = ts_json(&ms_srv, "GET", "/api/settings", alice, NULL, &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_false(json_object_get(json_object_get(json_object_get(s, "effective"), "mid"), "configured")));
  json_decref(s);

  /* a researcher cannot write (or read) the server defaults */
  json_t *r = req_take("PUT", "/api/admin/settings", alice,
                      json_pack("{s:{s:{s:s}}}", "models", "default", "model", "mine"), &st);
  cr_assert_eq(st, 403);
  json_decref(r);
  json_decref(ts_json(&ms_srv, "GET", "/api/admin/settings", alice, NULL, &st));
  cr_assert_eq(st, 403);

  set_server_model();
  json_t *srv = ts_json(&ms_srv, "GET", "/api/admin/settings", ms_token, NULL, &st);
  cr_assert_eq(st, 200);
  json_t *def = json_object_get(json_object_get(srv, "models"), "default");
  cr_assert_str_eq(json_string_value(json_object_get(def, "api_key")), "********");
  cr_assert(json_is_boolean(json_object_get(srv, "registration_open")));
  json_decref(srv);

  /* alice has no settings: the admin's endpoint, model and (sealed) key reach her */
  s = ts_json(&ms_srv, "GET", "/api/settings", alice, NULL, &st);
  cr_assert_str_eq(tier_field(s, "mid", "model"), "fake-model");
  cr_assert_str_eq(tier_field(s, "mid", "source"), "server");
  char *txt = json_dumps(s, 0);
  cr_assert_null(strstr(txt, "SECRET"), "%s", txt);
  free(txt);
  json_decref(s);
  json_t *rep =
      req_take("POST", "/api/settings/test-connection", alice, json_pack("{s:s}", "kind", "llm"), &st);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(rep, "ok")), "the server key did not reach alice's call: %s",
            json_string_value(json_object_get(rep, "error")));
  json_decref(rep);
  json_t *pf = preflight(alice, mission_body("m", 1, 0));
  cr_assert_str_eq(json_string_value(json_object_get(pf, "mode")), "model");
  json_t *mid = json_object_get(json_object_get(pf, "models"), "mid");
  cr_assert(json_is_true(json_object_get(mid, "reachable")));
  cr_assert_str_eq(json_string_value(json_object_get(mid, "source")), "server");
  cr_assert_null(problem(pf, "no_model"));
  json_decref(pf);

  /* her own model overrides the server's; the server's endpoint stays */
  json_decref(req_take("PUT", "/api/settings", alice,
                      json_pack("{s:{s:{s:s}}}", "models", "default", "model", "her-model"), &st));
  cr_assert_eq(st, 200);
  s = ts_json(&ms_srv, "GET", "/api/settings", alice, NULL, &st);
  cr_assert_str_eq(tier_field(s, "mid", "model"), "her-model");
  cr_assert_str_eq(tier_field(s, "mid", "source"), "user");
  char url[128];
  cr_assert_str_eq(tier_field(s, "mid", "base_url"), fake_url(url, sizeof url));
  json_decref(s);
  /* ... and hers are hers: the admin still gets the server's model */
  s = ts_json(&ms_srv, "GET", "/api/settings", ms_token, NULL, &st);
  cr_assert_str_eq(tier_field(s, "mid", "model"), "fake-model");
  json_decref(s);

  /* search and research defaults too */
  char sx[128];
  snprintf(sx, sizeof sx, "http://127.0.0.1:%d", searx.port);
  json_decref(put_server(json_pack("{s:{s:s}, s:{s:i, s:s}}", "search", "searxng_url", sx, "research", "max_rounds", 3,
                                   "tone", "academic"),
                         &st));
  cr_assert_eq(st, 200);
  json_decref(
      req_take("PUT", "/api/settings", alice, json_pack("{s:{s:s}}", "research", "tone", "casual"), &st));
  s = ts_json(&ms_srv, "GET", "/api/settings", alice, NULL, &st);
  json_t *search = json_object_get(json_object_get(s, "effective"), "search");
  cr_assert_str_eq(json_string_value(json_object_get(search, "provider")), "searxng");
  cr_assert_str_eq(json_string_value(json_object_get(search, "source")), "server");
  json_t *research = json_object_get(json_object_get(s, "effective"), "research");
  cr_assert_eq(json_integer_value(json_object_get(research, "max_rounds")), 3);
  cr_assert_str_eq(json_string_value(json_object_get(research, "tone")), "casual");
  json_decref(s);
}

Test(preflight, lists_what_is_missing_and_create_refuses_an_empty_mission) {
  json_t *pf = preflight(alice, mission_body("Nothing here", 1, 1));
  cr_assert(json_is_false(json_object_get(pf, "ok")));
  cr_assert(json_is_true(json_object_get(pf, "empty")));
  cr_assert_str_eq(json_string_value(json_object_get(pf, "mode")), "offline");
  json_t *p = problem(pf, "no_model");
  cr_assert(p && strstr(json_string_value(json_object_get(p, "message")), "No model is configured for you"));
  cr_assert(strstr(json_string_value(json_object_get(p, "fix")), "Settings"));
  cr_assert(problem(pf, "no_documents"));
  cr_assert(problem(pf, "no_web_provider"));
  p = problem(pf, "no_sources");
  cr_assert(p);
  /* it names what happened: scholarly sources were simply not ticked */
  const char *why = json_string_value(json_object_get(p, "message"));
  cr_assert(strstr(why, "no documents it can search") && strstr(why, "no working web search"), "%s", why);
  cr_assert(strstr(why, "scholarly sources are not ticked"), "%s", why);
  cr_assert_null(strstr(why, "no scholarly service"), "%s", why);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(pf, "documents"), "in_scope")), 0);
  json_decref(pf);

  long st;
  json_t *r = req_take("POST", "/api/missions", alice, mission_body("Nothing here", 1, 1), &st);
  cr_assert_eq(st, 422);
  json_t *err = json_object_get(r, "error");
  cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "empty_sources");
  cr_assert(strstr(json_string_value(json_object_get(err, "message")), "nothing to research"));
  cr_assert(problem(json_object_get(r, "preflight"), "no_web_provider"));
  cr_assert_geq(json_array_size(json_object_get(err, "problems")), 3);
  json_decref(r);
  cr_assert_eq(mission_count(alice), 0);

  json_t *b = mission_body("Nothing here", 1, 1);
  json_object_set_new(b, "allow_empty", json_string("yes"));
  json_decref(req_take("POST", "/api/missions", alice, b, &st));
  cr_assert_eq(st, 422);
  b = mission_body("Nothing here", 1, 1);
  json_object_set_new(b, "allow_empty", json_true());
  r = req_take("POST", "/api/missions", alice, b, &st);
  cr_assert_eq(st, 201, "allow_empty: %ld", st);
  json_decref(r);
  cr_assert_eq(mission_count(alice), 1);
}

Test(preflight, documents_are_counted_for_their_owner_only) {
  long st;
  /* the admin's document, in the admin's group */
  json_t *docs = ts_json(&ms_srv, "GET", "/api/documents", ms_token, NULL, &st);
  const char *doc = json_string_value(json_object_get(json_array_get(json_object_get(docs, "documents"), 0), "id"));
  cr_assert(doc);
  json_t *g = req_take("POST", "/api/groups", ms_token, json_pack("{s:s}", "name", "debian"), &st);
  cr_assert_eq(st, 201);
  const char *gid = json_string_value(json_object_get(g, "id"));
  char p[128];
  snprintf(p, sizeof p, "/api/groups/%s/documents", gid);
  json_decref(req_take("POST", p, ms_token, json_pack("{s:[s]}", "document_ids", doc), &st));
  cr_assert_eq(st, 200);

  json_t *b = mission_body("Debian", 1, 0);
  json_object_set_new(b, "group_id", json_string(gid));
  json_t *pf = preflight(ms_token, b);
  json_t *d = json_object_get(pf, "documents");
  cr_assert_eq(json_integer_value(json_object_get(d, "in_scope")), 1);
  cr_assert_eq(json_integer_value(json_object_get(d, "ready")), 1);
  cr_assert(json_is_false(json_object_get(pf, "empty")));
  json_decref(pf);

  /* alice: the admin's library is not hers, nor is his group */
  pf = preflight(alice, mission_body("Debian", 1, 0));
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(pf, "documents"), "in_scope")), 0);
  cr_assert(problem(pf, "no_documents"));
  json_decref(pf);
  b = mission_body("Debian", 1, 0);
  json_object_set_new(b, "group_id", json_string(gid));
  pf = preflight(alice, b);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(pf, "documents"), "in_scope")), 0);
  cr_assert(problem(pf, "group_not_found"));
  json_decref(pf);
  json_decref(g);
  json_decref(docs);
}

Test(preflight, model_and_documents_is_ok_and_an_endpoint_that_does_not_answer_is_named) {
  set_server_model();
  json_t *pf = preflight(ms_token, mission_body("Debian", 1, 0));
  char *txt = json_dumps(pf, 0);
  cr_assert(json_is_true(json_object_get(pf, "ok")), "%s", txt);
  cr_assert_null(strstr(txt, "SECRET"), "%s", txt);
  free(txt);
  cr_assert_str_eq(json_string_value(json_object_get(pf, "mode")), "model");
  cr_assert_eq(json_array_size(json_object_get(pf, "problems")), 0);
  json_decref(pf);

  long st;
  json_decref(req_take("PUT", "/api/settings", ms_token,
                      json_pack("{s:{s:{s:s}}}", "models", "default", "base_url", "http://127.0.0.1:9/v1"), &st));
  cr_assert_eq(st, 200);
  pf = preflight(ms_token, mission_body("Debian", 1, 0));
  json_t *p = problem(pf, "model_unreachable");
  cr_assert(p, "no model_unreachable problem");
  cr_assert(strstr(json_string_value(json_object_get(p, "message")), "127.0.0.1:9"));
  cr_assert(json_is_false(json_object_get(pf, "empty")), "documents are still there");
  json_decref(pf);
}

Test(preflight, web_search_counts_only_when_it_answers) {
  long st;
  char sx[128];
  snprintf(sx, sizeof sx, "http://127.0.0.1:%d", searx.port);
  json_decref(put_server(json_pack("{s:{s:s}}", "search", "searxng_url", sx), &st));
  cr_assert_eq(st, 200);
  json_t *pf = preflight(alice, mission_body("Web only", 0, 1));
  json_t *w = json_object_get(pf, "web");
  cr_assert_str_eq(json_string_value(json_object_get(w, "provider")), "searxng");
  cr_assert(json_is_true(json_object_get(w, "reachable")));
  cr_assert(json_is_false(json_object_get(pf, "empty")));
  cr_assert_null(problem(pf, "no_sources"));
  json_decref(pf);
  json_t *r = req_take("POST", "/api/missions", alice, mission_body("Web only", 0, 1), &st);
  cr_assert_eq(st, 201);
  json_decref(r);

  /* her own provider, which does not answer, overrides the server's */
  json_decref(req_take("PUT", "/api/settings", alice,
                      json_pack("{s:{s:s}}", "search", "searxng_url", "http://127.0.0.1:9"), &st));
  cr_assert_eq(st, 200);
  pf = preflight(alice, mission_body("Web only", 0, 1));
  cr_assert(problem(pf, "web_unreachable"));
  cr_assert(problem(pf, "no_sources"));
  json_decref(pf);
  json_decref(req_take("POST", "/api/missions", alice, mission_body("Web only", 0, 1), &st));
  cr_assert_eq(st, 422);
}

/* Scholarly sources: the preflight names the services a mission will ask
 * (the environment's list, narrowed by the user's settings), warns when no
 * contact e-mail is set, and with every service turned off the mission has
 * nothing to research. */
Test(preflight, scholarly_names_its_services_and_counts_only_when_one_is_enabled) {
  json_t *body = json_pack("{s:s, s:[s], s:[s]}", "title", "Papers", "research_questions", "What changed?",
                           "sources", "scholarly");
  json_t *pf = preflight(alice, json_incref(body));
  json_t *sc = json_object_get(pf, "scholarly");
  cr_assert(json_is_true(json_object_get(sc, "requested")));
  cr_assert_eq(json_array_size(json_object_get(sc, "providers")), 5, "the five services of SCHOLARLY_PROVIDERS");
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(sc, "providers"), 0)), "arxiv");
  cr_assert(json_is_false(json_object_get(pf, "empty")));
  size_t i;
  json_t *w;
  int warned = 0;
  json_array_foreach(json_object_get(pf, "warnings"), i, w) warned |=
      !strcmp(json_string_value(json_object_get(w, "code")), "no_contact_email");
  cr_assert(warned, "no warning about the missing contact e-mail");
  json_decref(pf);

  long st;
  json_decref(req_take("PUT", "/api/settings", alice,
                       json_pack("{s:{s:[s, s], s:s}}", "search", "scholarly_providers", "crossref", "pubmed",
                                 "contact_email", "alice@example.org"),
                       &st));
  cr_assert_eq(st, 200);
  pf = preflight(alice, json_incref(body));
  sc = json_object_get(pf, "scholarly");
  cr_assert_eq(json_array_size(json_object_get(sc, "providers")), 2);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(sc, "providers"), 1)), "pubmed");
  cr_assert(json_is_true(json_object_get(sc, "contact_email")));
  cr_assert_eq(json_array_size(json_object_get(pf, "warnings")), 0);
  json_decref(pf);

  /* every service off: nothing to read, and creating the mission says so */
  json_decref(req_take("PUT", "/api/settings", alice, json_pack("{s:{s:[]}}", "search", "scholarly_providers"), &st));
  cr_assert_eq(st, 200);
  pf = preflight(alice, json_incref(body));
  cr_assert(problem(pf, "no_scholarly_provider"));
  cr_assert(problem(pf, "no_sources"));
  json_decref(pf);
  json_decref(req_take("POST", "/api/missions", alice, body, &st));
  cr_assert_eq(st, 422);
}

Test(preflight, research_cli_prints_the_preflight_and_refuses_nothing_to_research) {
  char *out = NULL;
  const char *const *env = ms_cli_env();
  int rc = ts_run_cli(ms_srv.dir, env, NULL, &out, "research", "What changed?", "--user", "alice", "--web", NULL);
  free(out);
  cr_assert_eq(rc, 1, "exit %d", rc);
  char path[400];
  snprintf(path, sizeof path, "%s/cli.log", ms_srv.dir);
  size_t len = 0;
  char *log = util_read_file(path, &len);
  cr_assert(log);
  cr_assert(strstr(log, "documents: 0 in scope, 0 ready"), "%s", log);
  cr_assert(strstr(log, "web search: no provider configured"), "%s", log);
  cr_assert(strstr(log, "problem: This mission has nothing to research"), "%s", log);
  cr_assert(strstr(log, "allow_empty"), "%s", log);
  free(log);
  cr_assert_eq(mission_count(alice), 0);

  out = NULL;
  rc = ts_run_cli(ms_srv.dir, env, NULL, &out, "research", "What changed?", "--user", "alice", "--allow-empty", NULL);
  cr_assert_eq(rc, 3, "exit %d: an allowed empty mission writes its report but has no evidence (3)", rc);
  cr_assert(out && strstr(out, "What changed?"));
  free(out);
  cr_assert_eq(mission_count(alice), 1);
}
