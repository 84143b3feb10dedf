/*
 * The Writing workspace and editable reports through a real server (in this
 * process, over real HTTP and WebSocket) against the fake model server:
 * sessions (create, list, rename, delete; another user's session is 404 on
 * every endpoint and on the live channel), draft versions (every save a
 * version, a stale save refused without losing anything), references
 * (from a library document's metadata, typed in, edited, formatted in the
 * four styles, exported as BibTeX and RIS), draft export (md, html, pdf,
 * docx with the formatted reference list), the assistant (answers from the
 * user's library with [n] citations, streamed on the session's chat
 * channel, scoped to the session's group, never touching the draft), per-
 * session stats, "Continue in Writing" from a mission report, and
 * PUT /api/missions/{id}/report with versions that say who made them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/buf.h"
#include "base/util.h"
#include "chat_support.h"
#include "inproc.h"
#include "llm_support.h"
#include "rag/rag.h"
#include "rag_support.h"
#include "report/report.h"
#include "server_support.h"
#include "store/documents.h"
#include "store/events.h"
#include "store/missions.h"
#include "web_support.h"
#include "ws_client.h"

static inproc_t env;
static app_t *app;
static ts_server_t ts;
static llmsup_fake_t fake;
static char alice[17], bob[17];
static char *tok_a, *tok_b;
static char doc_volcano[17], doc_coffee[17], doc_bob[17], coffee_group[17];

#define VOLCANO_TEXT                                                                                          \
  "# Volcanoes of Italy\n\nMount Etna is an active stratovolcano on the east coast of Sicily. Its eruptions " \
  "are frequent and mostly effusive.\n"
#define COFFEE_TEXT "# Coffee roasting\n\nDark roasts taste of caramel and smoke because the sugars burn.\n"
#define BOB_TEXT "Bob's private notes: Mount Etna is secretly made of chocolate.\n"

static const char *RULES =
    "{\"rules\":["
    "{\"name\":\"etna\",\"match\":{\"content\":\"Question: Where is Mount Etna\"},"
    " \"text\":\"Mount Etna stands on the east coast of Sicily [1].\"},"
    "{\"name\":\"draft\",\"match\":{\"content\":\"Question: Draft a passage\"},"
    " \"text\":\"Etna erupts often, mostly effusively [1].\"},"
    "{\"name\":\"revise\",\"match\":{\"content_regex\":\"Question: Revise the following passage.*Etna erupts a lot\"},"
    " \"text\":\"Etna, on Sicily's east coast, erupts often [1].\"},"
    "{\"name\":\"tidal\",\"match\":{\"content\":\"Question: What is new in tidal power\"},"
    " \"text\":\"A tidal plant opened [1][2][3][4][5][6].\"}"
    "],\"default\":{\"text\":\"Roasting burns the sugars [1].\"}}";

/* web: NULL (no search endpoint), or the extra settings of a server with one. */
static void start_with(const char *const *web) {
  unsetenv("SEARXNG_URL");
  unsetenv("TAVILY_API_KEY");
  unsetenv("BRAVE_API_KEY");
  chatsup_open(&env, &fake, RULES, web);
  app = env.app;
  inproc_user(&env, "alice", "researcher", alice, &tok_a);
  inproc_user(&env, "bob", "researcher", bob, &tok_b);
  inproc_serve(&env);
  ts.port = env.port;
  chatsup_add_doc(&env, alice, "volcanoes.md", VOLCANO_TEXT, doc_volcano);
  chatsup_add_doc(&env, alice, "coffee.md", COFFEE_TEXT, doc_coffee);
  chatsup_add_doc(&env, bob, "bob.txt", BOB_TEXT, doc_bob);
  cr_assert_eq(store_group_create(app->store, alice, "coffee", "", coffee_group), STORE_OK);
  const char *ids[] = {doc_coffee};
  cr_assert_eq(store_group_add_docs(app->store, alice, coffee_group, ids, 1), STORE_OK);
}

static void start(void) {
  start_with(NULL);
}

/* A search endpoint (the fake SearXNG) whose results are pages of the fake
 * site, which the address policy lets the server read (FETCH_ALLOW_HOSTS). */
static websup_fake_t searx, site;
static void start_web(void) {
  cr_assert_eq(websup_fake_start(&site, "fake_site.py", NULL), 0);
  char site_url[64];
  snprintf(site_url, sizeof site_url, "http://127.0.0.1:%d", site.port);
  const char *args[] = {"--site", site_url, NULL};
  cr_assert_eq(websup_fake_start(&searx, "fake_searxng.py", args), 0);
  static char e_sx[80];
  snprintf(e_sx, sizeof e_sx, "SEARXNG_URL=http://127.0.0.1:%d", searx.port);
  const char *web[] = {e_sx, "FETCH_ALLOW_HOSTS=127.0.0.1", "WEB_CACHE_TTL_HOURS=0", NULL};
  start_with(web);
}

static void stop(void) {
  inproc_close(&env);
  free(tok_a);
  free(tok_b);
  llmsup_fake_stop(&fake);
  websup_fake_stop(&searx);
  websup_fake_stop(&site);
}

TestSuite(writing, .init = start, .fini = stop, .timeout = 120);
TestSuite(writing_web, .init = start_web, .fini = stop, .timeout = 120);

/* ---------- helpers ---------- */

static json_t *call(const char *method, const char *tok, json_t *body, long *st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static json_t *call(const char *method, const char *tok, json_t *body, long *st, const char *fmt, ...) {
  char path[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  json_t *j = ts_json(&ts, method, path, tok, body, st);
  json_decref(body);
  return j;
}

static char *new_session(const char *tok, json_t *body) {
  long st;
  json_t *j = call("POST", tok, body ? body : json_object(), &st, "/api/writing/sessions");
  cr_assert_eq(st, 201, "create session: %ld", st);
  char *id = util_strdup(json_string_value(json_object_get(j, "id")));
  json_decref(j);
  return id;
}

static ts_response_t get_raw(const char *tok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ts_response_t get_raw(const char *tok, const char *fmt, ...) {
  char path[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  return ts_http(&ts, "GET", path, tok, NULL, NULL, 0);
}

static const char *msg(json_t *err) {
  const char *m = json_string_value(json_object_get(json_object_get(err, "error"), "message"));
  if (!m) m = json_string_value(json_object_get(err, "message"));
  return m ? m : "";
}

/* ---------- sessions ---------- */

Test(writing, sessions_are_created_listed_renamed_and_deleted_by_their_owner_only) {
  char *id = new_session(tok_a, json_pack("{s:s, s:s}", "title", "Etna essay", "content", "# Etna\n\nFirst words.\n"));
  long st;
  json_t *s = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(s, "title")), "Etna essay");
  cr_assert_str_eq(json_string_value(json_object_get(s, "content")), "# Etna\n\nFirst words.\n");
  cr_assert_eq(json_integer_value(json_object_get(s, "version")), 1);
  cr_assert_str_eq(json_string_value(json_object_get(s, "style")), "apa");
  json_decref(s);

  json_t *l = call("GET", tok_a, NULL, &st, "/api/writing/sessions");
  cr_assert_eq(st, 200);
  int found = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(l, "sessions"), i, e) found |=
      !strcmp(json_string_value(json_object_get(e, "id")), id);
  cr_assert(found);
  json_decref(l);
  l = call("GET", tok_b, NULL, &st, "/api/writing/sessions");
  json_array_foreach(json_object_get(l, "sessions"), i, e)
      cr_assert_str_neq(json_string_value(json_object_get(e, "id")), id);
  json_decref(l);
  /* the assistant's chat is not one of Alice's chats */
  l = call("GET", tok_a, NULL, &st, "/api/chats");
  cr_assert_eq(json_integer_value(json_object_get(l, "total")), 0, "writing chats are hidden from the chat list");
  json_decref(l);

  s = call("PATCH", tok_a, json_pack("{s:s, s:s}", "title", "Etna, revisited", "style", "ieee"), &st,
           "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 200);
  cr_assert_str_eq(json_string_value(json_object_get(s, "title")), "Etna, revisited");
  cr_assert_str_eq(json_string_value(json_object_get(s, "style")), "ieee");
  json_decref(s);

  /* Bob: 404 everywhere, nothing changes */
  const char *paths[][2] = {{"GET", ""},
                            {"PATCH", ""},
                            {"DELETE", ""},
                            {"PUT", "/draft"},
                            {"GET", "/versions"},
                            {"GET", "/versions/1"},
                            {"GET", "/references"},
                            {"POST", "/references"},
                            {"GET", "/export?format=md"},
                            {"GET", "/references/export?format=ris"},
                            {"POST", "/assistant"},
                            {"GET", "/assistant"}};
  for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
    json_t *body = strcmp(paths[k][0], "GET") && strcmp(paths[k][0], "DELETE")
                       ? json_pack("{s:s, s:s}", "content", "hijack", "title", "Bob's")
                       : NULL;
    json_t *j = call(paths[k][0], tok_b, body, &st, "/api/writing/sessions/%s%s", id, paths[k][1]);
    cr_expect_eq(st, 404, "%s %s as bob: %ld", paths[k][0], paths[k][1], st);
    json_decref(j);
  }
  s = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_str_eq(json_string_value(json_object_get(s, "content")), "# Etna\n\nFirst words.\n");
  cr_assert_str_eq(json_string_value(json_object_get(s, "title")), "Etna, revisited");
  json_decref(s);

  json_t *d = call("DELETE", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 200);
  json_decref(d);
  d = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 404);
  json_decref(d);
  free(id);
}

Test(writing, bad_input_is_refused_with_a_clear_message) {
  long st;
  struct {
    json_t *body;
    const char *says;
  } cases[] = {
      {json_pack("{s:i}", "title", 3), "title"},
      {json_pack("{s:s}", "title", "   "), "title"},
      {json_pack("{s:s}", "style", "harvard"), "apa, mla, chicago, ieee"},
      {json_pack("{s:s}", "colour", "red"), "unknown field colour"},
      {json_pack("{s:i}", "content", 5), "content"},
      {json_pack("{s:s}", "group_id", "0000000000000000"), "group"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *j = call("POST", tok_a, cases[i].body, &st, "/api/writing/sessions");
    cr_expect(st == 422 || st == 404, "case %zu: %ld", i, st);
    cr_expect(strstr(msg(j), cases[i].says), "case %zu: %s", i, msg(j));
    json_decref(j);
  }
  /* Bob's group is not Alice's */
  json_t *j = call("POST", tok_b, json_pack("{s:s}", "group_id", coffee_group), &st, "/api/writing/sessions");
  cr_assert_eq(st, 404);
  json_decref(j);
  ts_response_t r = ts_http(&ts, "POST", "/api/writing/sessions", tok_a, NULL, "{not json", 9);
  cr_assert_eq(r.status, 400);
  ts_response_free(&r);

  char *id = new_session(tok_a, NULL);
  j = call("PATCH", tok_a, json_pack("{s:s}", "web", "yes"), &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 422);
  cr_assert(strstr(msg(j), "web must be true or false"), "%s", msg(j));
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s, s:s}", "content", "Improve", "mode", "revise"), &st,
           "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(st, 422);
  cr_assert(strstr(msg(j), "selection"), "%s", msg(j));
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s, s:s}", "content", "x", "mode", "poem"), &st,
           "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(st, 422);
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s}", "content", "  "), &st, "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(st, 422);
  json_decref(j);
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/versions/abc", id);
  cr_assert_eq(st, 400);
  json_decref(j);
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/versions/99", id);
  cr_assert_eq(st, 404);
  json_decref(j);
  free(id);
}

/* ---------- the draft ---------- */

Test(writing, every_save_is_a_version_and_a_stale_save_loses_nothing) {
  char *id = new_session(tok_a, json_pack("{s:s}", "content", "one"));
  long st;
  json_t *j = call("PUT", tok_a, json_pack("{s:s, s:i}", "content", "one two", "base_version", 1), &st,
                   "/api/writing/sessions/%s/draft", id);
  cr_assert_eq(st, 200);
  cr_assert_eq(json_integer_value(json_object_get(j, "version")), 2);
  json_decref(j);
  /* the same text again: no new version */
  j = call("PUT", tok_a, json_pack("{s:s}", "content", "one two"), &st, "/api/writing/sessions/%s/draft", id);
  cr_assert_eq(json_integer_value(json_object_get(j, "version")), 2);
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s, s:s}", "content", "one two three", "author", "assistant"), &st,
           "/api/writing/sessions/%s/draft", id);
  cr_assert_eq(json_integer_value(json_object_get(j, "version")), 3);
  json_decref(j);
  /* a tab still on version 2 is refused; version 3 stays */
  j = call("PUT", tok_a, json_pack("{s:s, s:i}", "content", "old tab", "base_version", 2), &st,
           "/api/writing/sessions/%s/draft", id);
  cr_assert_eq(st, 409);
  cr_assert(strstr(msg(j), "now version 3"), "%s", msg(j));
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s, s:s}", "content", "x", "author", "robot"), &st,
           "/api/writing/sessions/%s/draft", id);
  cr_assert_eq(st, 422);
  json_decref(j);

  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/versions", id);
  json_t *v = json_object_get(j, "versions");
  cr_assert_eq(json_array_size(v), 3);
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(v, 0), "version")), 3);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "author")), "assistant");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 2), "author")), "user");
  json_decref(j);
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/versions/1", id);
  cr_assert_str_eq(json_string_value(json_object_get(j, "content")), "one");
  json_decref(j);
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_str_eq(json_string_value(json_object_get(j, "content")), "one two three");
  json_decref(j);
  free(id);
}

/* ---------- references and export ---------- */

#define GRADY_APA                                                                                               \
  "Grady, J. S., Her, M., Moreno, G., Perez, C., & Yelinek, J. (2019). Emotions in storybooks. *Psychology of " \
  "Popular Media Culture*, *8*(3), 207–217. https://doi.org/10.1037/ppm0000185"

Test(writing, references_are_formatted_edited_and_exported) {
  char *id = new_session(tok_a, json_pack("{s:s, s:s}", "title", "Storybooks", "content",
                                          "# Storybooks\n\nEmotions differ [@1]. Etna [@2].\n"));
  long st;
  json_t *r1 =
      call("POST", tok_a,
           json_pack("{s:s, s:[s,s,s,s,s], s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "article", "authors",
                     "Jessica S. Grady", "Malena Her", "Geena Moreno", "Catherine Perez", "Jillian Yelinek", "title",
                     "Emotions in storybooks", "venue", "Psychology of Popular Media Culture", "volume", "8", "issue",
                     "3", "pages", "207-217", "doi", "10.1037/ppm0000185", "year", "2019"),
           &st, "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 201, "%ld %s", st, msg(r1));
  cr_assert_eq(json_integer_value(json_object_get(r1, "n")), 1);
  cr_assert_str_eq(json_string_value(json_object_get(r1, "formatted")), GRADY_APA);
  cr_assert_str_eq(json_string_value(json_object_get(r1, "label")), "(Grady et al., 2019)");
  json_decref(r1);
  /* a library document: its metadata, added once */
  json_t *r2 = call("POST", tok_a, json_pack("{s:s}", "document_id", doc_volcano), &st,
                    "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 201);
  cr_assert_eq(json_integer_value(json_object_get(r2, "n")), 2);
  cr_assert_str_eq(json_string_value(json_object_get(r2, "title")), "Volcanoes of Italy");
  json_decref(r2);
  r2 = call("POST", tok_a, json_pack("{s:s}", "document_id", doc_volcano), &st, "/api/writing/sessions/%s/references",
            id);
  cr_assert_eq(st, 200, "the same document is not added twice");
  cr_assert_eq(json_integer_value(json_object_get(r2, "n")), 2);
  json_decref(r2);
  /* Bob's document is not Alice's; bad fields are refused */
  json_t *j =
      call("POST", tok_a, json_pack("{s:s}", "document_id", doc_bob), &st, "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s, s:s}", "title", "x", "url", "javascript:alert(1)"), &st,
           "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 422);
  cr_assert(strstr(msg(j), "url"), "%s", msg(j));
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s, s:s}", "title", "x", "isbn", "1"), &st,
           "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 422);
  cr_assert(strstr(msg(j), "unknown reference field isbn"), "%s", msg(j));
  json_decref(j);
  j = call("POST", tok_a, json_pack("{s:s}", "venue", "Only a venue"), &st, "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 422);
  json_decref(j);

  /* the user edits the document's metadata */
  j = call("PUT", tok_a,
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "book", "title", "Volcanoes of Italy", "authors",
                     "Anna Rossi", "year", "2021", "publisher", "Etna Press"),
           &st, "/api/writing/sessions/%s/references/2", id);
  cr_assert_eq(st, 200, "%s", msg(j));
  cr_assert_str_eq(json_string_value(json_object_get(j, "formatted")),
                   "Rossi, A. (2021). *Volcanoes of Italy*. Etna Press.");
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s}", "title", "x"), &st, "/api/writing/sessions/%s/references/9", id);
  cr_assert_eq(st, 404);
  json_decref(j);

  /* the other styles */
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/references?style=ieee", id);
  cr_assert_eq(st, 200);
  cr_assert(strstr(json_string_value(json_object_get(j, "list")), "J. S. Grady, M. Her, G. Moreno"), "%s",
            json_string_value(json_object_get(j, "list")));
  json_decref(j);
  j = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/references?style=harvard", id);
  cr_assert_eq(st, 422);
  json_decref(j);

  /* draft export: citations rendered, the reference list in the style */
  ts_response_t md = get_raw(tok_a, "/api/writing/sessions/%s/export?format=md&style=apa", id);
  cr_assert_eq(md.status, 200);
  cr_assert(strstr(md.body, "Emotions differ (Grady et al., 2019). Etna (Rossi, 2021)."), "%s", md.body);
  cr_assert(strstr(md.body, "## References\n\n" GRADY_APA "\n\nRossi, A. (2021)."), "%s", md.body);
  ts_response_free(&md);
  md = get_raw(tok_a, "/api/writing/sessions/%s/export?format=md&style=chicago", id);
  cr_assert(strstr(md.body, "(Grady et al. 2019)"), "%s", md.body);
  cr_assert(strstr(md.body, "Rossi, Anna. 2021. *Volcanoes of Italy*. Etna Press."), "%s", md.body);
  ts_response_free(&md);
  ts_response_t html = get_raw(tok_a, "/api/writing/sessions/%s/export?format=html&style=mla", id);
  cr_assert_eq(html.status, 200);
  cr_assert(strstr(html.body, "Works Cited"), "%s", html.body);
  cr_assert(strstr(html.body, "Rossi, Anna. <em>Volcanoes of Italy</em>. Etna Press, 2021."), "%s", html.body);
  ts_response_free(&html);
  /* the live preview reads the same */
  j = call("POST", tok_a, json_pack("{s:s, s:s}", "content", "Unsaved [@2].", "style", "mla"), &st,
           "/api/writing/sessions/%s/render", id);
  cr_assert_eq(st, 200);
  cr_assert(
      strstr(json_string_value(json_object_get(j, "markdown")), "Unsaved (Rossi).\n\n## Works Cited\n\nRossi, Anna."),
      "%s", json_string_value(json_object_get(j, "markdown")));
  json_decref(j);
  j = call("POST", tok_b, json_pack("{s:s}", "content", "x"), &st, "/api/writing/sessions/%s/render", id);
  cr_assert_eq(st, 404);
  json_decref(j);
  ts_response_t pdf = get_raw(tok_a, "/api/writing/sessions/%s/export?format=pdf", id);
  cr_assert_eq(pdf.status, 200);
  cr_assert(pdf.len > 1000 && !memcmp(pdf.body, "%PDF", 4));
  ts_response_free(&pdf);
  ts_response_t docx = get_raw(tok_a, "/api/writing/sessions/%s/export?format=docx&style=ieee", id);
  cr_assert_eq(docx.status, 200);
  cr_assert(docx.len > 1000 && !memcmp(docx.body, "PK", 2));
  ts_response_free(&docx);
  ts_response_t bad = get_raw(tok_a, "/api/writing/sessions/%s/export?format=odt", id);
  cr_assert_eq(bad.status, 422);
  ts_response_free(&bad);

  /* BibTeX and RIS of the references */
  ts_response_t bib = get_raw(tok_a, "/api/writing/sessions/%s/references/export?format=bibtex", id);
  cr_assert_eq(bib.status, 200);
  cr_assert(strstr(bib.body, "@article{grady2019emotions,"), "%s", bib.body);
  cr_assert(strstr(bib.body, "@book{rossi2021volcanoes,"), "%s", bib.body);
  cr_assert(strstr(bib.headers, "storybooks.bib"), "%s", bib.headers);
  ts_response_free(&bib);
  ts_response_t ris = get_raw(tok_a, "/api/writing/sessions/%s/references/export?format=ris", id);
  cr_assert(strstr(ris.body, "TY  - JOUR\r\nAU  - Grady, Jessica S."), "%s", ris.body);
  cr_assert(strstr(ris.body, "PB  - Etna Press"), "%s", ris.body);
  ts_response_free(&ris);
  bad = get_raw(tok_a, "/api/writing/sessions/%s/references/export?format=csv", id);
  cr_assert_eq(bad.status, 422);
  ts_response_free(&bad);

  j = call("DELETE", tok_a, NULL, &st, "/api/writing/sessions/%s/references/1", id);
  cr_assert_eq(st, 200);
  json_decref(j);
  md = get_raw(tok_a, "/api/writing/sessions/%s/export?format=md", id);
  cr_assert(strstr(md.body, "Emotions differ [@1]."), "a marker of a deleted reference stays visible: %s", md.body);
  ts_response_free(&md);
  free(id);
}

/* ---------- the assistant ---------- */

static json_t *assist(const char *id, json_t *body) {
  long st;
  json_t *j = call("POST", tok_a, body, &st, "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(st, 202, "%ld %s", st, msg(j));
  char channel[64];
  snprintf(channel, sizeof channel, "%s", json_string_value(json_object_get(j, "channel")));
  json_t *end = chatsup_end_of_answer(&env, channel, json_integer_value(json_object_get(j, "seq")));
  json_decref(j);
  cr_assert_str_eq(json_string_value(json_object_get(end, "event")), "message");
  json_t *m = json_incref(json_object_get(end, "data"));
  json_decref(end);
  return m;
}

Test(writing, the_assistant_answers_from_the_library_with_citations_and_never_edits_the_draft) {
  char *id = new_session(tok_a, json_pack("{s:s}", "content", "My draft."));
  long st;
  json_t *s = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  char channel[64];
  snprintf(channel, sizeof channel, "%s", json_string_value(json_object_get(s, "channel")));
  json_decref(s);
  /* Alice hears the answer live; Bob may not subscribe */
  ws_client_t *a = wsc_connect(ts.port, tok_a), *b = wsc_connect(ts.port, tok_b);
  cr_assert(a && b);
  wsc_send(a, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  wsc_send(b, json_pack("{s:s, s:s, s:i}", "type", "subscribe", "channel", channel, "after", 0));
  cr_assert_eq(wsc_wait(a, "subscribed", NULL, 1, 20000), 1);
  cr_assert_eq(wsc_wait(b, "error", NULL, 1, 20000), 1, "bob's subscription was not refused");

  json_t *m = assist(id, json_pack("{s:s}", "content", "Where is Mount Etna?"));
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")),
                   "Mount Etna stands on the east coast of Sicily [1].");
  json_t *c1 = json_array_get(json_object_get(m, "citations"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(c1, "document_id")), doc_volcano);
  json_decref(m);
  int64_t deadline = util_mono_ms() + 10000;
  while (wsc_count(a, "event", channel) < 3 && util_mono_ms() < deadline) util_sleep_ms(20);
  json_t *all = wsc_messages(a);
  int tokens = 0;
  size_t i;
  json_t *e;
  json_array_foreach(all, i, e) tokens +=
      json_is_string(json_object_get(e, "event")) && !strcmp(json_string_value(json_object_get(e, "event")), "token");
  json_decref(all);
  cr_assert_geq(tokens, 1, "the answer streams as token events");
  cr_assert_eq(wsc_count(b, "event", NULL), 0);
  wsc_close(a);
  wsc_close(b);

  /* a drafted passage and a revision: suggestions only */
  m = assist(id, json_pack("{s:s, s:s}", "content", "two sentences on Etna's eruptions", "mode", "draft"));
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")), "Etna erupts often, mostly effusively [1].");
  json_decref(m);
  m = assist(
      id, json_pack("{s:s, s:s, s:s}", "content", "more precise", "mode", "revise", "selection", "Etna erupts a lot."));
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")), "Etna, on Sicily's east coast, erupts often [1].");
  json_decref(m);
  json_t *calls = llmsup_fake_calls(&fake);
  json_t *cl = json_object_get(calls, "calls"), *last = json_array_get(cl, json_array_size(cl) - 1);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(calls, "by_rule"), "revise")), 1,
               "the request and the selection go to the model");
  cr_assert_null(strstr(json_string_value(json_object_get(last, "last_user")), "chocolate"), "only Alice's library");
  json_decref(calls);

  s = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  cr_assert_str_eq(json_string_value(json_object_get(s, "content")), "My draft.", "the draft is untouched");
  cr_assert_eq(json_integer_value(json_object_get(s, "version")), 1);
  json_t *stats = json_object_get(s, "stats");
  cr_assert_eq(json_integer_value(json_object_get(stats, "model_calls")), 3);
  cr_assert_eq(json_integer_value(json_object_get(stats, "searches")), 3);
  cr_assert_gt(json_integer_value(json_object_get(stats, "tokens")), 0);
  json_decref(s);
  json_t *h = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(json_array_size(json_object_get(h, "messages")), 6);
  json_decref(h);

  /* scoped to the coffee group: the volcano document is out of reach */
  json_t *p = call("PATCH", tok_a, json_pack("{s:s}", "group_id", coffee_group), &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 200);
  json_decref(p);
  m = assist(id, json_pack("{s:s}", "content", "What do dark roasts taste of?"));
  json_t *cits = json_object_get(m, "citations");
  cr_assert_geq(json_array_size(cits), 1);
  json_array_foreach(cits, i, e) cr_assert_str_eq(json_string_value(json_object_get(e, "document_id")), doc_coffee);
  json_decref(m);
  free(id);
}

/* The events of channel after seq (new reference). */
static json_t *events_after(const char *channel, json_int_t after) {
  json_t *ev = store_event_list(app->store, channel, 0, 10000), *out = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(ev, i, e) if (json_integer_value(json_object_get(e, "seq")) > after) json_array_append(out, e);
  json_decref(ev);
  return out;
}

/* Asks with the session's web flag on; *web_ev the "web" event's data. */
static json_t *assist_web(const char *id, const char *question, json_t **web_ev) {
  long st;
  json_t *j =
      call("POST", tok_a, json_pack("{s:s}", "content", question), &st, "/api/writing/sessions/%s/assistant", id);
  cr_assert_eq(st, 202, "%ld %s", st, msg(j));
  const char *channel = json_string_value(json_object_get(j, "channel"));
  json_int_t seq = json_integer_value(json_object_get(j, "seq"));
  json_t *end = chatsup_end_of_answer(&env, channel, seq);
  cr_assert_str_eq(json_string_value(json_object_get(end, "event")), "message");
  json_t *ev = events_after(channel, seq);
  *web_ev = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(ev, i, e) if (!strcmp(json_string_value(json_object_get(e, "event")), "web")) *web_ev =
      json_incref(json_object_get(e, "data"));
  json_decref(ev);
  json_decref(j);
  json_t *m = json_incref(json_object_get(end, "data"));
  json_decref(end);
  return m;
}

Test(writing, web_on_without_a_search_endpoint_is_said_not_skipped) {
  char *id = new_session(tok_a, json_pack("{s:s}", "content", "Draft."));
  long st;
  json_t *p = call("PATCH", tok_a, json_pack("{s:b}", "web", 1), &st, "/api/writing/sessions/%s", id);
  cr_assert_eq(st, 200);
  cr_assert(json_is_true(json_object_get(p, "web")));
  json_decref(p);
  json_t *web = NULL, *m = assist_web(id, "Where is Mount Etna?", &web);
  cr_assert_not_null(web, "a web event tells the user what happened to the web search");
  cr_assert_str_eq(json_string_value(json_object_get(web, "status")), "no_provider");
  cr_assert(strstr(json_string_value(json_object_get(web, "message")), "no search endpoint is configured"), "%s",
            json_string_value(json_object_get(web, "message")));
  /* the answer still comes from the library, and keeps the web status */
  cr_assert_str_eq(json_string_value(json_object_get(m, "content")),
                   "Mount Etna stands on the east coast of Sicily [1].");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "web"), "status")), "no_provider");
  json_decref(web);
  json_decref(m);
  /* web off: no web event, no web status */
  json_decref(call("PATCH", tok_a, json_pack("{s:b}", "web", 0), &st, "/api/writing/sessions/%s", id));
  m = assist_web(id, "Where is Mount Etna?", &web);
  cr_assert_null(web);
  cr_assert_null(json_object_get(m, "web"));
  json_decref(m);
  free(id);
}

Test(writing_web, web_on_the_answer_cites_web_pages_read_through_the_policy) {
  char *id = new_session(tok_a, json_pack("{s:s, s:b}", "content", "Draft.", "web", 1));
  json_t *web = NULL, *m = assist_web(id, "What is new in tidal power?", &web);
  cr_assert_not_null(web);
  cr_assert_str_eq(json_string_value(json_object_get(web, "status")), "ok", "%s",
                   json_string_value(json_object_get(web, "message")));
  cr_assert_eq(json_integer_value(json_object_get(web, "sources")), 3, "three web pages (or their snippets)");
  cr_assert_geq(websup_fake_count(&site, "/article"), 1, "the page was read");
  /* the web passages are cited like the library's, with their address */
  json_t *cits = json_object_get(m, "citations"), *article = NULL, *snippet = NULL, *c;
  size_t i;
  json_array_foreach(cits, i, c) {
    cr_assert_eq(json_integer_value(json_object_get(c, "n")), (json_int_t)i + 1, "renumbered 1..k");
    const char *url = json_string_value(json_object_get(c, "url"));
    if (url && strstr(url, "/article")) article = c;
    if (url && strstr(url, "/image.png")) snippet = c;
  }
  cr_assert_not_null(article, "the article is cited: %s", json_dumps(cits, 0));
  cr_assert_str_eq(json_string_value(json_object_get(article, "type")), "web");
  cr_assert_str_eq(json_string_value(json_object_get(article, "title")), "Tidal power plant opens in Brittany");
  cr_assert(strstr(json_string_value(json_object_get(article, "text")), "tidal power plant"), "the page's text");
  cr_assert_null(strstr(json_string_value(json_object_get(article, "text")), "MENU-ITEM"), "its main text only");
  cr_assert_not_null(snippet, "an image the server cannot read counts with its search snippet");
  cr_assert(strstr(json_string_value(json_object_get(snippet, "text")), "Snippet only"));
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "web"), "status")), "ok");
  /* "insert into draft" adds a web source to the references as the UI does */
  long st;
  json_t *ref = call("POST", tok_a,
                     json_pack("{s:s, s:s, s:O}", "type", "web", "title", "Tidal power plant opens in Brittany", "url",
                               json_object_get(article, "url")),
                     &st, "/api/writing/sessions/%s/references", id);
  cr_assert_eq(st, 201, "%ld %s", st, msg(ref));
  json_decref(ref);
  json_t *refs = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s/references", id);
  cr_assert(strstr(json_string_value(json_object_get(refs, "list")), "Tidal power plant opens in Brittany"));
  json_decref(refs);
  /* the session's stats count the web search beside the library's */
  json_t *s = call("GET", tok_a, NULL, &st, "/api/writing/sessions/%s", id);
  json_t *stats = json_object_get(s, "stats");
  cr_expect_eq(json_integer_value(json_object_get(stats, "web_searches")), 1);
  cr_expect_eq(json_integer_value(json_object_get(stats, "searches")), 2, "one library and one web search");
  json_decref(s);
  json_decref(web);
  json_decref(m);
  free(id);
}

/* ---------- from a mission report, and report edits ---------- */

static void mission_with_report(char *mid) {
  store_mission_new_t m = {.user_id = alice, .title = "Etna report", .description = ""};
  cr_assert_eq(store_mission_insert(app->store, &m, mid, NULL), STORE_OK);
  json_t *notes = json_pack("[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s}]", "id", "aaaaaaaaaaaaaaaa", "document_id",
                            doc_volcano, "source_title", "Volcanoes of Italy", "page", 1, "id", "bbbbbbbbbbbbbbbb",
                            "url", "https://example.org/etna", "source_title", "Etna today");
  json_t *secs = json_pack("[{s:s, s:s}]", "id", "s1", "title", "Where");
  json_t *drafts = json_pack("{s:{s:s}}", "s1", "content",
                             "Etna is on Sicily [#aaaaaaaaaaaaaaaa]. It erupted in 2024 [#bbbbbbbbbbbbbbbb].");
  report_input_t in = {.title = "Etna report",
                       .language = "en",
                       .sections = secs,
                       .drafts = drafts,
                       .notes = notes,
                       .access_ms = util_now_ms()};
  json_t *meta = NULL;
  char *md = report_markdown(&in, &meta);
  cr_assert(strstr(md, "## References"));
  int v = 0;
  cr_assert_eq(store_mission_add_report(app->store, mid, md, meta, NULL, &v, NULL), STORE_OK);
  free(md);
  json_decref(meta);
  json_decref(notes);
  json_decref(secs);
  json_decref(drafts);
}

Test(writing, continue_in_writing_starts_from_the_report_and_its_sources) {
  char mid[17];
  mission_with_report(mid);
  long st;
  json_t *j = call("POST", tok_b, NULL, &st, "/api/missions/%s/writing", mid);
  cr_assert_eq(st, 404, "bob cannot continue Alice's mission");
  json_decref(j);
  json_t *s = call("POST", tok_a, NULL, &st, "/api/missions/%s/writing", mid);
  cr_assert_eq(st, 201, "%s", msg(s));
  const char *content = json_string_value(json_object_get(s, "content"));
  cr_assert(strstr(content, "# Etna report"), "%s", content);
  cr_assert(strstr(content, "Etna is on Sicily [@1]. It erupted in 2024 [@2]."), "%s", content);
  cr_assert_null(strstr(content, "## References"), "the list is the references panel's: %s", content);
  cr_assert_str_eq(json_string_value(json_object_get(s, "mission_id")), mid);
  cr_assert_str_eq(json_string_value(json_object_get(s, "author")), "report");
  cr_assert_eq(json_integer_value(json_object_get(s, "version")), 1, "the report is the first version");
  json_t *refs = json_object_get(s, "references");
  cr_assert_eq(json_array_size(refs), 2);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(refs, 0), "title")), "Volcanoes of Italy");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(refs, 1), "url")), "https://example.org/etna");
  char sid[17];
  snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(s, "id")));
  json_decref(s);
  ts_response_t md = get_raw(tok_a, "/api/writing/sessions/%s/export?format=md&style=apa", sid);
  cr_assert(strstr(md.body, "Etna is on Sicily (*Volcanoes of Italy*, n.d.)."), "%s", md.body);
  cr_assert(strstr(md.body, "*Etna today*. (n.d.). https://example.org/etna"), "%s", md.body);
  ts_response_free(&md);

  /* a mission without a report */
  char empty[17];
  store_mission_new_t m = {.user_id = alice, .title = "Empty", .description = ""};
  cr_assert_eq(store_mission_insert(app->store, &m, empty, NULL), STORE_OK);
  j = call("POST", tok_a, NULL, &st, "/api/missions/%s/writing", empty);
  cr_assert_eq(st, 409);
  cr_assert(strstr(msg(j), "no report"), "%s", msg(j));
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s}", "content", "# Mine"), &st, "/api/missions/%s/report", empty);
  cr_assert_eq(st, 409);
  json_decref(j);
}

Test(writing, a_report_edit_is_a_new_version_that_says_who_made_it) {
  char mid[17];
  mission_with_report(mid);
  long st;
  json_t *j = call("PUT", tok_b, json_pack("{s:s}", "content", "# Bob was here"), &st, "/api/missions/%s/report", mid);
  cr_assert_eq(st, 404);
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:i}", "content", 1), &st, "/api/missions/%s/report", mid);
  cr_assert_eq(st, 422);
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s}", "content", " \n"), &st, "/api/missions/%s/report", mid);
  cr_assert_eq(st, 422);
  json_decref(j);
  j = call("PUT", tok_a, json_pack("{s:s}", "content", "# Etna report\n\nEdited by hand [1].\n"), &st,
           "/api/missions/%s/report", mid);
  cr_assert_eq(st, 200, "%s", msg(j));
  cr_assert_eq(json_integer_value(json_object_get(j, "version")), 2);
  json_decref(j);
  ts_response_t r = get_raw(tok_a, "/api/missions/%s/report?format=md", mid);
  cr_assert_str_eq(r.body, "# Etna report\n\nEdited by hand [1].\n");
  ts_response_free(&r);
  j = call("GET", tok_a, NULL, &st, "/api/missions/%s/report/versions", mid);
  json_t *v = json_object_get(j, "versions");
  cr_assert_eq(json_array_size(v), 2);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "author")), "user");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "edited_by")), "alice");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "author")), "agent");
  json_decref(j);
  /* the edited version keeps the sources: Continue in Writing still lists them */
  json_t *s = call("POST", tok_a, NULL, &st, "/api/missions/%s/writing", mid);
  cr_assert_eq(st, 201);
  cr_assert_eq(json_array_size(json_object_get(s, "references")), 2);
  cr_assert(strstr(json_string_value(json_object_get(s, "content")), "Edited by hand [@1]."));
  json_decref(s);
}

/* ---------- math in exports ---------- */

Test(writing, html_export_renders_math_as_mathml) {
  char *id = new_session(
      tok_a, json_pack("{s:s, s:s}", "title", "Decay", "content",
                       "# Decay\n\nThe half-life $t_{1/2} = \\frac{\\ln 2}{\\lambda}$ costs $5 and $10.\n\n"
                       "$$ P(k) = \\frac{\\lambda^k e^{-\\lambda}}{k!} $$\n\nCode stays: `$\\frac{a}{b}$`.\n"));
  ts_response_t html = get_raw(tok_a, "/api/writing/sessions/%s/export?format=html", id);
  cr_assert_eq(html.status, 200);
  cr_assert(strstr(html.body, "<math><msub><mi>t</mi>"), "%s", html.body);
  cr_assert(strstr(html.body, "<math display=\"block\">"), "%s", html.body);
  cr_assert(strstr(html.body, "<mi>λ</mi>"), "%s", html.body);
  cr_assert(strstr(html.body, "costs $5 and $10."), "dollar amounts stay text: %s", html.body);
  cr_assert(strstr(html.body, "<code>$\\frac{a}{b}$</code>"), "math in code stays code: %s", html.body);
  /* the one \frac left is the code span's */
  const char *f = strstr(html.body, "\\frac");
  cr_assert(f && !strstr(f + 1, "\\frac") && f > strstr(html.body, "<code>"), "%s", html.body);
  cr_assert(strstr(html.headers, "Content-Security-Policy: default-src 'none'"), "%s", html.headers);
  ts_response_free(&html);
  free(id);
}
