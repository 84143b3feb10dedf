/*
 * documents.c - /api/documents, /api/groups and POST /api/search (API.md,
 * "Documents and groups").
 *
 * Every handler works on the caller's own documents and groups only; a
 * document or group of another user answers 404 exactly like a missing one.
 * Uploads are multipart/form-data (field "files", one or many; optional
 * "group_id", "chunk_size", "chunk_overlap"), streamed to temporary files
 * under DATA_DIR/documents/tmp with a per-file limit of MAX_UPLOAD_MB
 * (413 naming the file, nothing kept). A file whose content is not a
 * supported format and whose name does not claim one is refused with 415;
 * a file that claims a format but cannot be read is accepted and ends
 * 'failed' with the reason (so the user sees why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"
#include "rag/chunk.h"
#include "rag/rag.h"
#include "store/documents.h"

#define MAX_FILES 100

/* ---------- upload ---------- */

typedef struct {
  char tmp[1100];
  char *filename;
  int fd;
  long long size;
  int too_big;
} upfile_t;

typedef struct {
  upfile_t files[MAX_FILES];
  int nfiles;
  int cur; /* file receiving data, -1 for a plain field */
  char field[32];
  char value[256];
  size_t vlen;
  char group_id[64], chunk_size[16], chunk_overlap[16];
  long long limit;
  const char *tmpdir;
  int too_many, io_error;
} upload_t;

static int up_found(const char *key, const char *filename, char *path, size_t pathlen, void *ud) {
  (void)path;
  (void)pathlen;
  upload_t *u = ud;
  u->cur = -1;
  u->vlen = 0;
  snprintf(u->field, sizeof u->field, "%s", key ? key : "");
  if (filename && (!strcmp(key, "files") || !strcmp(key, "file") || !strcmp(key, "files[]"))) {
    if (u->nfiles >= MAX_FILES) {
      u->too_many = 1;
      return MG_FORM_FIELD_STORAGE_SKIP;
    }
    upfile_t *f = &u->files[u->nfiles];
    snprintf(f->tmp, sizeof f->tmp, "%s/upload-XXXXXX", u->tmpdir);
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
      u->io_error = 1;
      return MG_FORM_FIELD_STORAGE_ABORT;
    }
    /* keep only the last path component of the client's name */
    const char *base = filename;
    for (const char *p = filename; *p; p++)
      if (*p == '/' || *p == '\\') base = p + 1;
    f->filename = util_strdup(*base ? base : "upload");
    f->size = 0;
    f->too_big = 0;
    u->cur = u->nfiles++;
    return MG_FORM_FIELD_STORAGE_GET;
  }
  if (!strcmp(key, "group_id") || !strcmp(key, "chunk_size") || !strcmp(key, "chunk_overlap"))
    return MG_FORM_FIELD_STORAGE_GET;
  return MG_FORM_FIELD_STORAGE_SKIP;
}

static int up_get(const char *key, const char *value, size_t len, void *ud) {
  (void)key;
  upload_t *u = ud;
  if (u->cur >= 0) {
    upfile_t *f = &u->files[u->cur];
    f->size += (long long)len;
    if (f->size > u->limit) {
      f->too_big = 1; /* keep reading (discarding) so the client gets a clean 413 */
      return MG_FORM_FIELD_HANDLE_GET;
    }
    size_t off = 0;
    while (off < len) {
      ssize_t w = write(f->fd, value + off, len - off);
      if (w <= 0) {
        u->io_error = 1;
        return MG_FORM_FIELD_HANDLE_ABORT;
      }
      off += (size_t)w;
    }
    return MG_FORM_FIELD_HANDLE_GET;
  }
  size_t room = sizeof u->value - 1 - u->vlen;
  size_t take = len < room ? len : room;
  memcpy(u->value + u->vlen, value, take);
  u->vlen += take;
  u->value[u->vlen] = '\0';
  char *dst = !strcmp(u->field, "group_id")     ? u->group_id
              : !strcmp(u->field, "chunk_size") ? u->chunk_size
                                                : u->chunk_overlap;
  size_t dn = !strcmp(u->field, "group_id") ? sizeof u->group_id : sizeof u->chunk_size;
  size_t vl = u->vlen < dn - 1 ? u->vlen : dn - 1;
  memcpy(dst, u->value, vl);
  dst[vl] = '\0';
  return MG_FORM_FIELD_HANDLE_GET;
}

static void up_cleanup(upload_t *u) {
  for (int i = 0; i < u->nfiles; i++) {
    if (u->files[i].fd >= 0) close(u->files[i].fd);
    if (u->files[i].tmp[0]) unlink(u->files[i].tmp);
    free(u->files[i].filename);
  }
}

static int claims_supported(const char *filename) {
  const char *dot = strrchr(filename, '.');
  if (!dot) return 0;
  static const char *const ok[] = {".pdf", ".docx", ".txt", ".text", ".md", ".markdown", ".html", ".htm", NULL};
  for (int i = 0; ok[i]; i++)
    if (!strcasecmp(dot, ok[i])) return 1;
  return 0;
}

static int upload(http_req_t *r) {
  app_t *app = r->app;
  const char *ct = http_header(r, "Content-Type");
  if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
    return http_reply_error(r, 415, "unsupported_media_type",
                            "expected a multipart/form-data upload (field \"files\")");
  static upload_t zero;
  upload_t *u = malloc(sizeof *u);
  if (!u) abort();
  *u = zero;
  u->cur = -1;
  u->limit = config_int(app->cfg, "MAX_UPLOAD_MB") * 1024LL * 1024LL;
  char tmpdir[1024];
  snprintf(tmpdir, sizeof tmpdir, "%s/documents/tmp", config_get(app->cfg, "DATA_DIR"));
  util_mkdirs(tmpdir, 0750);
  u->tmpdir = tmpdir;
  for (int i = 0; i < MAX_FILES; i++) u->files[i].fd = -1;
  struct mg_form_data_handler h = {up_found, up_get, NULL, u};
  int nfields = mg_handle_form_request(r->conn, &h);
  for (int i = 0; i < u->nfiles; i++) {
    if (u->files[i].fd >= 0) close(u->files[i].fd);
    u->files[i].fd = -1;
  }
  int status;
  if (u->io_error) {
    status = http_reply_error(r, 500, "internal", "cannot store the upload");
    goto out;
  }
  for (int i = 0; i < u->nfiles; i++)
    if (u->files[i].too_big) {
      status = http_reply_error(r, 413, "payload_too_large", "%s is larger than the limit of %lld MB (MAX_UPLOAD_MB)",
                                u->files[i].filename, (long long)config_int(app->cfg, "MAX_UPLOAD_MB"));
      goto out;
    }
  if (nfields < 0 || u->nfiles == 0) {
    status = http_reply_error(r, 400, "bad_request",
                              u->too_many ? "at most %d files per upload" : "no files in the upload (field \"files\")",
                              MAX_FILES);
    goto out;
  }
  if (u->too_many) {
    status = http_reply_error(r, 400, "bad_request", "at most %d files per upload", MAX_FILES);
    goto out;
  }
  const char *group_id = u->group_id[0] ? u->group_id : NULL;
  if (group_id && !store_group_owned(app->store, r->user.id, group_id)) {
    status = http_reply_not_found(r, "group", group_id);
    goto out;
  }
  long long csize = 0, cover = -1;
  if ((u->chunk_size[0] && util_parse_int(u->chunk_size, 100, 20000, &csize) != 0) ||
      (u->chunk_overlap[0] && util_parse_int(u->chunk_overlap, 0, 10000, &cover) != 0)) {
    status = http_reply_error(r, 422, "invalid_field", "chunk_size must be 100..20000 and chunk_overlap 0..size/2");
    goto out;
  }
  /* refuse the whole upload when one file is of a kind we cannot read */
  for (int i = 0; i < u->nfiles; i++) {
    rag_type_t t = rag_detect_file(u->files[i].tmp, u->files[i].filename);
    int supported =
        t == RAG_TYPE_PDF || t == RAG_TYPE_DOCX || t == RAG_TYPE_HTML || t == RAG_TYPE_MARKDOWN || t == RAG_TYPE_TEXT;
    if (!supported && !claims_supported(u->files[i].filename)) {
      status =
          http_reply_error(r, 415, "unsupported_media_type",
                           "%s is not a supported document (PDF, DOCX, HTML, Markdown or text)", u->files[i].filename);
      goto out;
    }
  }
  json_t *docs = json_array();
  for (int i = 0; i < u->nfiles; i++) {
    rag_add_t req = {.user_id = r->user.id,
                     .filename = u->files[i].filename,
                     .src_path = u->files[i].tmp,
                     .move = 1,
                     .group_id = group_id,
                     .chunk_size = (int)csize,
                     .chunk_overlap = (int)cover};
    char id[17], err[256];
    int dup = 0;
    if (rag_document_add(app->rag, &req, id, &dup, err, sizeof err) != 0) {
      json_array_append_new(
          docs, json_pack("{s:s, s:s, s:s}", "filename", u->files[i].filename, "status", "failed", "error", err));
      continue;
    }
    u->files[i].tmp[0] = '\0'; /* moved into the library */
    store_doc_t *d = NULL;
    const char *st = "queued";
    if (dup && store_doc_get(app->store, r->user.id, id, &d) == STORE_OK) st = d->status;
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "filename", u->files[i].filename, "status", st);
    if (dup) json_object_set_new(o, "duplicate", json_true());
    json_array_append_new(docs, o);
    store_doc_free(d);
  }
  status = http_reply_json(r, 202, json_pack("{s:o}", "documents", docs));
out:
  up_cleanup(u);
  free(u);
  return status;
}

/* ---------- documents ---------- */

/* Validates the library filters of obj (rag_filter_from_json) and the
 * group's owner. 0, or -1 after replying 422 naming the field (404 for a
 * group that is not the caller's). */
static int read_filter(http_req_t *r, json_t *obj, rag_filter_t *f) {
  char field[32], err[256];
  if (rag_filter_from_json(obj, f, field, sizeof field, err, sizeof err) != 0) {
    api_reply_invalid(r, field, err);
    return -1;
  }
  if (f->f.group_id && !store_group_owned(r->app->store, r->user.id, f->f.group_id)) {
    http_reply_not_found(r, "group", f->f.group_id);
    rag_filter_free(f);
    return -1;
  }
  return 0;
}

/* The filters of the query string as the JSON object rag_filter_from_json reads. */
static json_t *query_filter(http_req_t *r) {
  json_t *o = json_object();
  for (int i = 0; RAG_FILTER_FIELDS[i]; i++) {
    char v[512];
    if (http_query(r, RAG_FILTER_FIELDS[i], v, sizeof v) && v[0])
      json_object_set_new(o, RAG_FILTER_FIELDS[i], json_string(v));
  }
  return o;
}

/* GET /api/documents: one page of the caller's documents matching the
 * filters, sorted by sort=added|title|year and order=asc|desc (defaults:
 * newest first, title A..Z, latest year first), limit 1..500 (50),
 * offset; {"documents":[...],"total":N} where total counts all matches. */
static int list_documents(http_req_t *r) {
  rag_filter_t in;
  json_t *qf = query_filter(r);
  int bad = read_filter(r, qf, &in);
  json_decref(qf);
  if (bad) return r->status;
  long long limit, offset;
  if (api_page(r, &limit, &offset) != 0) return r->status;
  char sort[32] = "added", order[32] = "";
  http_query(r, "sort", sort, sizeof sort);
  http_query(r, "order", order, sizeof order);
  store_doc_sort_t by = !strcmp(sort, "title") ? STORE_DOC_SORT_TITLE
                        : !strcmp(sort, "year") ? STORE_DOC_SORT_YEAR
                                                : STORE_DOC_SORT_ADDED;
  if (sort[0] && strcmp(sort, "title") && strcmp(sort, "year") && strcmp(sort, "added"))
    return api_reply_invalid(r, "sort", "sort must be added, title or year");
  if (order[0] && strcmp(order, "asc") && strcmp(order, "desc"))
    return api_reply_invalid(r, "order", "order must be asc or desc");
  int desc = order[0] ? !strcmp(order, "desc") : by != STORE_DOC_SORT_TITLE;
  json_t *res = store_doc_query_json(r->app->store, r->user.id, &in.f, by, desc, (int)limit, (int)offset);
  rag_filter_free(&in);
  if (!res) return http_reply_error(r, 500, "internal", "cannot list documents");
  return http_reply_json(r, 200, res);
}

#define BULK_MAX 100000

/*
 * POST /api/documents/bulk {"action", "document_ids": [...] | "filter": {...},
 * "group_id"}: delete, reprocess, reembed, cancel (queued processing),
 * add_to_group or remove_from_group on a selection or on every document
 * matching a filter (the filters of GET /api/documents). A selected id that
 * is not the caller's answers 404 and nothing is done; "all matching" only
 * ever matches the caller's documents. Answers rag_bulk's summary.
 */
static int bulk_documents(http_req_t *r) {
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status = -1;
  char(*ids)[17] = NULL;
  size_t n = 0;
  json_t *ja = json_object_get(b, "action"), *jids = json_object_get(b, "document_ids"),
         *jf = json_object_get(b, "filter"), *jg = json_object_get(b, "group_id");
  int action = rag_bulk_action_parse(json_string_value(ja));
  if (action < 0) {
    status = api_reply_invalid(r, "action",
                               "action must be delete, reprocess, reembed, cancel, add_to_group or remove_from_group");
    goto out;
  }
  if ((jids != NULL) == (jf != NULL)) {
    status = api_reply_invalid(r, "document_ids", "give either document_ids (a selection) or filter (all matching)");
    goto out;
  }
  const char *group_id = json_string_value(jg);
  int group_action = action == RAG_BULK_GROUP_ADD || action == RAG_BULK_GROUP_REMOVE;
  if (group_action && (!group_id || !*group_id)) {
    status = api_reply_invalid(r, "group_id", "group_id is required to add to or remove from a group");
    goto out;
  }
  if (group_action && !store_group_owned(r->app->store, r->user.id, group_id)) {
    status = http_reply_not_found(r, "group", group_id);
    goto out;
  }
  if (action == RAG_BULK_REEMBED) {
    char model[256];
    if (rag_embedding_model(r->app->rag, r->user.id, model, sizeof model) != 0) {
      status = api_reply_invalid(r, "action", "no embedding model is configured: there is nothing to re-embed with");
      goto out;
    }
  }
  if (jids) {
    n = json_array_size(jids);
    if (!json_is_array(jids) || n == 0 || n > BULK_MAX) {
      status = api_reply_invalid(r, "document_ids", "document_ids must be a non-empty list of document ids");
      goto out;
    }
    ids = calloc(n, sizeof *ids);
    if (!ids) abort();
    for (size_t i = 0; i < n; i++) {
      json_t *v = json_array_get(jids, i);
      if (!json_is_string(v) || json_string_length(v) != 16) {
        status = api_reply_invalid(r, "document_ids", "document_ids must be document ids");
        goto out;
      }
      memcpy(ids[i], json_string_value(v), 17);
    }
    long own = store_doc_owned_ids(r->app->store, r->user.id, ids, n);
    if (own < 0) {
      status = http_reply_error(r, 500, "internal", "cannot read documents");
      goto out;
    }
    if ((size_t)own != n) {
      status = http_reply_error(r, 404, "not_found", "%zu of the selected documents were not found; nothing was done",
                                n - (size_t)own);
      goto out;
    }
  } else {
    rag_filter_t in;
    if (!json_is_object(jf)) {
      status = api_reply_invalid(r, "filter", "filter must be an object of library filters");
      goto out;
    }
    if (read_filter(r, jf, &in) != 0) {
      status = r->status;
      goto out;
    }
    int rc = store_doc_filter_ids(r->app->store, r->user.id, &in.f, BULK_MAX, &ids, &n);
    rag_filter_free(&in);
    if (rc != STORE_OK) {
      status = http_reply_error(r, 500, "internal", "cannot read documents");
      goto out;
    }
  }
  json_t *res = rag_bulk(r->app->rag, r->user.id, (rag_bulk_action_t)action, group_id, ids, n);
  status = http_reply_json(r, 200, res);
out:
  free(ids);
  json_decref(b);
  return status;
}

static int get_document(http_req_t *r) {
  const char *id = http_param(r, "id");
  store_doc_t *d = NULL;
  if (store_doc_get(r->app->store, r->user.id, id, &d) != STORE_OK) return http_reply_not_found(r, "document", id);
  json_t *o = store_doc_json(r->app->store, d);
  store_doc_free(d);
  return http_reply_json(r, 200, o);
}

static int get_document_text(http_req_t *r) {
  const char *id = http_param(r, "id");
  char *text = NULL;
  if (store_doc_get_text(r->app->store, r->user.id, id, &text) != STORE_OK)
    return http_reply_not_found(r, "document", id);
  json_t *o = json_pack("{s:s, s:s, s:o}", "id", id, "text", text, "sections",
                        store_doc_sections_json(r->app->store, r->user.id, id));
  free(text);
  return http_reply_json(r, 200, o);
}

/* PATCH /api/documents/{id}: any of title, authors, year, venue, doi,
 * arxiv_id, abstract, keywords, language (validated by
 * rag_meta_edit_from_json; 422 names the field) and metadata (an object). */
static int patch_document(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  rag_meta_edit_t e;
  char field[32], err[256];
  json_t *jm = json_object_get(b, "metadata");
  if (!json_is_object(b)) {
    json_decref(b);
    return http_reply_error(r, 422, "invalid_field", "the body must be a JSON object");
  }
  if (rag_meta_edit_from_json(b, &e, field, sizeof field, err, sizeof err) != 0) {
    json_decref(b);
    return api_reply_invalid(r, field, err);
  }
  if (jm && !json_is_object(jm)) {
    rag_meta_edit_free(&e);
    json_decref(b);
    return api_reply_invalid(r, "metadata", "metadata must be an object");
  }
  int rc = store_doc_update_fields(r->app->store, r->user.id, id, &e.m, jm);
  rag_meta_edit_free(&e);
  if (rc == STORE_NOT_FOUND) {
    status = http_reply_not_found(r, "document", id);
  } else if (rc != STORE_OK) {
    status = http_reply_error(r, 500, "internal", "cannot update document %s", id);
  } else {
    status = get_document(r);
  }
  json_decref(b);
  return status;
}

static int delete_document(http_req_t *r) {
  return api_reply_deleted(r, rag_document_delete(r->app->rag, r->user.id, http_param(r, "id")), "document");
}

static int reprocess_document(http_req_t *r) {
  const char *id = http_param(r, "id");
  long long size = 0, overlap = -1;
  const char *cl = http_header(r, "Content-Length");
  if (cl && atoll(cl) > 0) {
    json_t *b = http_read_json(r);
    if (!b) return r->status;
    json_t *js = json_object_get(b, "chunk_size"), *jo = json_object_get(b, "chunk_overlap");
    int bad = (js && !json_is_integer(js)) || (jo && !json_is_integer(jo));
    if (js) size = json_integer_value(js);
    if (jo) overlap = json_integer_value(jo);
    json_decref(b);
    char err[128];
    if (bad || ((js || jo) && rag_chunk_check(size ? size : 1000, overlap >= 0 ? overlap : 0, err, sizeof err) != 0))
      return http_reply_error(r, 422, "invalid_field", "chunk_size must be 100..20000 and chunk_overlap 0..size/2");
  }
  int rc = rag_document_reprocess(r->app->rag, r->user.id, id, (int)size, (int)overlap);
  if (rc == RAG_NOT_FOUND) return http_reply_not_found(r, "document", id);
  if (rc != 0) return http_reply_error(r, 500, "internal", "cannot reprocess document %s", id);
  return http_reply_json(r, 202, json_pack("{s:s, s:s}", "id", id, "status", "queued"));
}

/* ---------- groups ---------- */

static int list_groups(http_req_t *r) {
  return http_reply_json(r, 200, json_pack("{s:o}", "groups", store_group_list_json(r->app->store, r->user.id)));
}

static int check_group_fields(json_t *b, const char **name, const char **desc) {
  json_t *jn = json_object_get(b, "name"), *jd = json_object_get(b, "description");
  *name = json_string_value(jn);
  *desc = json_string_value(jd);
  if (jn && (!*name || !**name || strlen(*name) > 200)) return -1;
  if (jd && (!*desc || strlen(*desc) > 4000)) return -1;
  return 0;
}

static int create_group(http_req_t *r) {
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  const char *name, *desc;
  int status;
  if (check_group_fields(b, &name, &desc) != 0 || !name) {
    status = http_reply_error(r, 422, "invalid_field", "name (1..200 characters) is required");
  } else {
    char id[17];
    int rc = store_group_create(r->app->store, r->user.id, name, desc, id);
    if (rc == STORE_CONFLICT)
      status = http_reply_error(r, 409, "conflict", "a group named \"%s\" already exists", name);
    else if (rc != STORE_OK)
      status = http_reply_error(r, 500, "internal", "cannot create group");
    else
      status = http_reply_json(r, 201, store_group_get_json(r->app->store, r->user.id, id));
  }
  json_decref(b);
  return status;
}

static int get_group(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *g = store_group_get_json(r->app->store, r->user.id, id);
  if (!g) return http_reply_not_found(r, "group", id);
  return http_reply_json(r, 200, g);
}

static int patch_group(http_req_t *r) {
  const char *id = http_param(r, "id");
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  const char *name, *desc;
  int status;
  if (check_group_fields(b, &name, &desc) != 0) {
    status = http_reply_error(r, 422, "invalid_field", "name must be 1..200 characters, description a string");
  } else {
    int rc = store_group_update(r->app->store, r->user.id, id, name, desc);
    if (rc == STORE_NOT_FOUND)
      status = http_reply_not_found(r, "group", id);
    else if (rc == STORE_CONFLICT)
      status = http_reply_error(r, 409, "conflict", "a group with that name exists");
    else if (rc != STORE_OK)
      status = http_reply_error(r, 500, "internal", "cannot update group");
    else
      status = get_group(r);
  }
  json_decref(b);
  return status;
}

static int delete_group(http_req_t *r) {
  return api_reply_deleted(r, store_group_delete(r->app->store, r->user.id, http_param(r, "id")), "group");
}

static int change_members(http_req_t *r, int add) {
  const char *id = http_param(r, "id");
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  json_t *arr = json_object_get(b, "document_ids");
  int status;
  size_t n = json_array_size(arr);
  if (!json_is_array(arr) || n == 0 || n > 10000) {
    status = http_reply_error(r, 422, "invalid_field", "document_ids must be a non-empty list of document ids");
    goto out;
  }
  const char **ids = calloc(n, sizeof *ids);
  if (!ids) abort();
  for (size_t i = 0; i < n; i++) {
    ids[i] = json_string_value(json_array_get(arr, i));
    if (!ids[i]) {
      free(ids);
      status = http_reply_error(r, 422, "invalid_field", "document_ids must be strings");
      goto out;
    }
  }
  int rc = add ? store_group_add_docs(r->app->store, r->user.id, id, ids, n)
               : store_group_remove_docs(r->app->store, r->user.id, id, ids, n);
  free(ids);
  if (rc == STORE_NOT_FOUND)
    status = http_reply_error(r, 404, "not_found", "group %s or one of the documents not found", id);
  else if (rc != STORE_OK)
    status = http_reply_error(r, 500, "internal", "cannot change group %s", id);
  else
    status = get_group(r);
out:
  json_decref(b);
  return status;
}

static int add_members(http_req_t *r) {
  return change_members(r, 1);
}
static int remove_members(http_req_t *r) {
  return change_members(r, 0);
}

/* ---------- search ---------- */

json_t *api_search_json(app_t *app, const char *user_id, json_t *b, int *status, char *err, size_t errlen) {
  json_t *jq = json_object_get(b, "query"), *jk = json_object_get(b, "k"), *jg = json_object_get(b, "group_id");
  json_t *jm = json_object_get(b, "mode"), *jr = json_object_get(b, "rerank");
  json_t *jgb = json_object_get(b, "group_by");
  rag_query_t q;
  rag_query_init(&q);
  q.user_id = user_id;
  q.query = json_string_value(jq);
  int mode = jm ? rag_mode_parse(json_string_value(jm)) : RAG_MODE_HYBRID;
  *status = 422;
  if (!q.query || !*q.query || json_string_length(jq) > 4000) {
    snprintf(err, errlen, "query must be a non-empty string (at most 4000 bytes)");
    return NULL;
  }
  if ((jk && (!json_is_integer(jk) || json_integer_value(jk) < 1 || json_integer_value(jk) > 100)) || mode < 0 ||
      (jm && !json_is_string(jm)) || (jg && !json_is_null(jg) && !json_is_string(jg)) || (jr && !json_is_boolean(jr))) {
    snprintf(err, errlen, "k must be 1..100, mode hybrid|lexical|vector, group_id a string, rerank a boolean");
    return NULL;
  }
  const char *group_by = jgb && !json_is_null(jgb) ? json_string_value(jgb) : "passage";
  if (!group_by || (strcmp(group_by, "passage") != 0 && strcmp(group_by, "document") != 0)) {
    snprintf(err, errlen, "group_by must be \"passage\" or \"document\"");
    return NULL;
  }
  /* one result per document: its best passage */
  if (!strcmp(group_by, "document")) q.per_document = 1;
  if (jk) q.k = (int)json_integer_value(jk);
  q.mode = (rag_mode_t)mode;
  q.group_id = json_string_value(jg);
  if (q.group_id && !*q.group_id) q.group_id = NULL;
  if (jr) q.rerank = json_is_true(jr);
  rag_results_t res;
  char why[512] = "";
  int rc = rag_search(app->rag, &q, &res, why, sizeof why);
  if (rc == RAG_NOT_FOUND) {
    *status = 404;
    snprintf(err, errlen, "group %s not found", q.group_id);
    return NULL;
  }
  if (rc != 0) {
    *status = q.mode == RAG_MODE_VECTOR ? 422 : 500;
    snprintf(err, errlen, "%s", why);
    return NULL;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < res.n; i++) {
    rag_hit_t *h = &res.hits[i];
    json_t *o = json_object();
    json_object_set_new(o, "document_id", json_string(h->document_id));
    json_object_set_new(o, "title", json_string(h->title ? h->title : ""));
    json_object_set_new(o, "filename", json_string(h->filename ? h->filename : ""));
    json_object_set_new(o, "page", h->page > 0 ? json_integer(h->page) : json_null());
    json_object_set_new(o, "chunk_id", json_sprintf("%lld", (long long)h->chunk_id));
    json_object_set_new(o, "score", json_real(h->score));
    json_object_set_new(o, "text", json_string(h->text ? h->text : ""));
    json_object_set_new(o, "heading", json_string(h->heading ? h->heading : ""));
    json_object_set_new(o, "char_start", json_integer(h->char_start));
    json_object_set_new(o, "char_end", json_integer(h->char_end));
    json_array_append_new(arr, o);
  }
  json_t *out = json_pack("{s:o, s:s, s:b, s:s}", "results", arr, "mode", rag_mode_name(res.mode_used), "reranked",
                          res.reranked, "group_by", group_by);
  rag_results_free(&res);
  *status = 200;
  return out;
}

static int search(http_req_t *r) {
  json_t *b = http_read_json(r);
  if (!b) return r->status;
  int status;
  char err[600];
  json_t *res = api_search_json(r->app, r->user.id, b, &status, err, sizeof err);
  json_decref(b);
  if (res) return http_reply_json(r, 200, res);
  return http_reply_error(r, status, status == 404 ? "not_found" : status == 422 ? "invalid_field" : "internal", "%s",
                          err);
}

void api_documents_routes(http_router_t *rt) {
  http_route(rt, "POST", "/api/documents", ROLE_RESEARCHER, upload);
  http_route(rt, "GET", "/api/documents", ROLE_VIEWER, list_documents);
  http_route(rt, "POST", "/api/documents/bulk", ROLE_RESEARCHER, bulk_documents);
  http_route(rt, "GET", "/api/documents/{id}", ROLE_VIEWER, get_document);
  http_route(rt, "GET", "/api/documents/{id}/text", ROLE_VIEWER, get_document_text);
  http_route(rt, "PATCH", "/api/documents/{id}", ROLE_RESEARCHER, patch_document);
  http_route(rt, "DELETE", "/api/documents/{id}", ROLE_RESEARCHER, delete_document);
  http_route(rt, "POST", "/api/documents/{id}/reprocess", ROLE_RESEARCHER, reprocess_document);
  http_route(rt, "GET", "/api/groups", ROLE_VIEWER, list_groups);
  http_route(rt, "POST", "/api/groups", ROLE_RESEARCHER, create_group);
  http_route(rt, "GET", "/api/groups/{id}", ROLE_VIEWER, get_group);
  http_route(rt, "PATCH", "/api/groups/{id}", ROLE_RESEARCHER, patch_group);
  http_route(rt, "DELETE", "/api/groups/{id}", ROLE_RESEARCHER, delete_group);
  http_route(rt, "POST", "/api/groups/{id}/documents", ROLE_RESEARCHER, add_members);
  http_route(rt, "DELETE", "/api/groups/{id}/documents", ROLE_RESEARCHER, remove_members);
  http_route(rt, "POST", "/api/search", ROLE_VIEWER, search);
}
