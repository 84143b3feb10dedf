/*
 * mission_sources.c - POST /api/missions/{id}/save-sources: "Save sources to
 * library".
 *
 * The web pages and scholarly papers a mission took notes from become
 * documents of the caller's library, in one document group ("Sources: <mission
 * title>", or the body's "group_name"; an existing group of that name is
 * reused). Each source is one Markdown document: its title, authors, year,
 * venue, DOI and URL, then the passages the mission read from it (the notes'
 * context), so the saved document holds exactly what the report's citations
 * rest on, without fetching anything again. Documents of the library itself
 * are not copied. The documents get the source's title, authors and year as
 * metadata and are ingested by the usual job; content-hash deduplication
 * makes saving twice harmless (the existing documents are put in the group).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/util.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/missions.h"

#define MAX_SOURCES 200

/* "Title.md" with characters that are awkward in file names replaced. */
static void source_filename(const char *title, char *out, size_t n) {
  size_t len = strlen(title);
  if (len > 120) len = util_utf8_floor(title, 120);
  size_t o = 0;
  for (size_t i = 0; i < len && o + 4 < n; i++) {
    char c = title[i];
    out[o++] = (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
                c == '|' || (unsigned char)c < 0x20)
                   ? '_'
                   : c;
  }
  if (!o) o = (size_t)snprintf(out, n, "source");
  snprintf(out + o, n - o, ".md");
}

/* The sources of the notes: {url: {note fields..., "passages": [..]}} in
 * first-seen order. */
static json_t *collect_sources(json_t *notes) {
  json_t *by_url = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *url = json_string_value(json_object_get(n, "url"));
    if (!url || !url[0] || json_object_size(by_url) >= MAX_SOURCES) continue;
    json_t *s = json_object_get(by_url, url);
    if (!s) {
      s = json_pack("{s:O, s:O, s:O, s:O, s:O, s:[]}", "title", json_object_get(n, "source_title"), "authors",
                    json_object_get(n, "authors"), "year", json_object_get(n, "year"), "venue",
                    json_object_get(n, "venue"), "doi", json_object_get(n, "doi"), "passages");
      json_object_set_new(by_url, url, s);
    }
    const char *ctx = json_string_value(json_object_get(n, "context"));
    json_t *ps = json_object_get(s, "passages");
    int dup = 0;
    size_t k;
    json_t *p;
    json_array_foreach(ps, k, p) dup |= ctx && !strcmp(json_string_value(p), ctx);
    if (ctx && ctx[0] && !dup) json_array_append_new(ps, json_string(ctx));
  }
  return by_url;
}

static char *source_markdown(const char *url, json_t *s, json_t *mission) {
  buf_t b = BUF_INIT;
  buf_init(&b);
  const char *title = json_string_value(json_object_get(s, "title"));
  buf_printf(&b, "# %s\n\n", title && title[0] ? title : url);
  static const char *const fields[][2] = {{"authors", "Authors"}, {"year", "Year"}, {"venue", "Venue"}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *v = json_string_value(json_object_get(s, fields[i][0]));
    if (v && v[0]) buf_printf(&b, "- %s: %s\n", fields[i][1], v);
  }
  const char *doi = json_string_value(json_object_get(s, "doi"));
  if (doi && doi[0]) buf_printf(&b, "- DOI: https://doi.org/%s\n", doi);
  buf_printf(&b, "- URL: %s\n", url);
  buf_printf(&b, "- Read by the mission \"%s\" (%s)\n\n## Passages read\n",
             json_string_value(json_object_get(mission, "title")), json_string_value(json_object_get(mission, "id")));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(s, "passages"), i, p) buf_printf(&b, "\n%s\n", json_string_value(p));
  return buf_detach(&b, NULL);
}

/* Stores one source as a document of the group; fills *doc (new ref). */
static int save_one(http_req_t *r, const char *tmpdir, const char *group_id, const char *url, json_t *s, json_t *row,
                    json_t **doc, char *err, size_t errlen) {
  char path[1200];
  snprintf(path, sizeof path, "%s/source-XXXXXX", tmpdir);
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(err, errlen, "cannot write a temporary file");
    return -1;
  }
  char *md = source_markdown(url, s, row);
  size_t len = strlen(md), off = 0;
  while (off < len) {
    ssize_t w = write(fd, md + off, len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(fd);
  free(md);
  const char *title = json_string_value(json_object_get(s, "title"));
  char fname[200];
  source_filename(title && title[0] ? title : url, fname, sizeof fname);
  rag_add_t req = {
      .user_id = r->user.id, .filename = fname, .src_path = path, .move = 0, .group_id = group_id, .chunk_overlap = -1};
  char id[17] = "";
  int dup = 0;
  int rc = off == len ? rag_document_add(r->app->rag, &req, id, &dup, err, errlen) : -1;
  if (off != len) snprintf(err, errlen, "cannot write a temporary file");
  unlink(path);
  if (rc != 0) return -1;
  const char *authors = json_string_value(json_object_get(s, "authors"));
  store_doc_update_meta(r->app->store, r->user.id, id, title && title[0] ? title : NULL,
                        authors && authors[0] ? authors : NULL, json_string_value(json_object_get(s, "year")), NULL);
  *doc = json_pack("{s:s, s:s, s:s, s:b}", "id", id, "title", title && title[0] ? title : url, "url", url, "duplicate",
                   dup);
  return 0;
}

static int h_save_sources(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *row = NULL;
  if (store_mission_get(r->app->store, r->user.id, id, &row) != STORE_OK) return http_reply_not_found(r, "mission", id);
  json_t *body = http_read_json(r);
  if (!body) {
    json_decref(row);
    return r->status;
  }
  const char *gname = json_string_value(json_object_get(body, "group_name"));
  char name[256];
  if (gname && gname[0])
    snprintf(name, sizeof name, "%s", gname);
  else
    snprintf(name, sizeof name, "Sources: %.200s", json_string_value(json_object_get(row, "title")));
  name[util_utf8_floor(name, strlen(name))] = '\0';
  json_decref(body);
  json_t *notes = store_mission_notes(r->app->store, id, NULL);
  json_t *sources = collect_sources(notes);
  json_decref(notes);
  if (!json_object_size(sources)) {
    json_decref(sources);
    json_decref(row);
    return http_reply_error(r, 409, "conflict", "this mission has no notes from web pages or papers to save");
  }
  char gid[17] = "";
  if (store_group_find(r->app->store, r->user.id, name, gid) != STORE_OK &&
      store_group_create(r->app->store, r->user.id, name, "Sources read by a research mission", gid) != STORE_OK) {
    json_decref(sources);
    json_decref(row);
    return http_reply_error(r, 500, "internal", "cannot create the group");
  }
  char tmpdir[1024];
  snprintf(tmpdir, sizeof tmpdir, "%s/documents/tmp", config_get(r->app->cfg, "DATA_DIR"));
  util_mkdirs(tmpdir, 0750);
  json_t *docs = json_array(), *failed = json_array();
  const char *url;
  json_t *s;
  json_object_foreach(sources, url, s) {
    json_t *doc = NULL;
    char err[300] = "";
    if (save_one(r, tmpdir, gid, url, s, row, &doc, err, sizeof err) == 0)
      json_array_append_new(docs, doc);
    else
      json_array_append_new(failed, json_pack("{s:s, s:s}", "url", url, "error", err));
  }
  json_decref(sources);
  json_decref(row);
  return http_reply_json(
      r, 200,
      json_pack("{s:s, s:s, s:o, s:o}", "group_id", gid, "group_name", name, "documents", docs, "failed", failed));
}

void api_mission_sources_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/missions/{id}/save-sources", ROLE_RESEARCHER, h_save_sources);
}
