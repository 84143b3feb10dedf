/*
 * documents.c - `maestro documents`: list a user's documents (the library
 * filters of GET /api/documents), show one, edit its bibliographic fields
 * (the same validation as PATCH /api/documents/{id}:
 * rag_meta_edit_from_json), and the bulk actions of POST
 * /api/documents/bulk (delete, reprocess, reembed, cancel) on ids or on
 * every document matching the filters (--all). Works in this process on
 * the database (the server may run). Exit 0 on success, 1 when the document
 * is missing or the store fails, 2 on usage or validation errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "cli/cli.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro documents list [FILTERS] [--sort added|title|year] [--limit N] [--user NAME]\n"
          "       maestro documents delete|reprocess|reembed|cancel ID... [--user NAME]\n"
          "       maestro documents delete|reprocess|reembed|cancel --all [FILTERS] [--yes] [--user NAME]\n"
          "       maestro documents show ID [--user NAME]\n"
          "       maestro documents edit ID [--title T] [--author NAME]... [--year YYYY] [--venue V]\n"
          "                              [--doi 10.x/y] [--arxiv ID] [--abstract TEXT] [--keyword K]...\n"
          "                              [--language TAG] [--user NAME]\n"
          "Lists, shows or edits documents of the user's library (default user: ADMIN_USERNAME).\n"
          "edit sets only the fields given; --author and --keyword repeat (or take \"A; B\");\n"
          "an empty value clears a field (not the title). Edited fields are kept when the\n"
          "document is processed again.\n"
          "FILTERS: --query TEXT --author A --venue V --type pdf|docx|html|md|txt\n"
          "         --status queued|processing|ready|failed --language TAG --year-from Y --year-to Y\n"
          "         --group NAME. --all acts on every matching document; without a filter it\n"
          "         needs --yes. Reprocessing and re-embedding are done by a running server.\n");
}

/* "--author" values accumulate into an array; other flags set one string. */
static int add_flag(json_t *edit, const char *flag, const char *v) {
  static const struct {
    const char *flag, *field;
    int list;
  } FLAGS[] = {{"--title", "title", 0},       {"--author", "authors", 1},    {"--authors", "authors", 0},
               {"--year", "year", 0},         {"--venue", "venue", 0},       {"--doi", "doi", 0},
               {"--arxiv", "arxiv_id", 0},    {"--abstract", "abstract", 0}, {"--keyword", "keywords", 1},
               {"--keywords", "keywords", 0}, {"--language", "language", 0}, {NULL, NULL, 0}};
  for (int i = 0; FLAGS[i].flag; i++) {
    if (strcmp(flag, FLAGS[i].flag)) continue;
    if (!FLAGS[i].list) {
      json_object_set_new(edit, FLAGS[i].field, json_string(v));
      return 0;
    }
    json_t *a = json_object_get(edit, FLAGS[i].field);
    if (!json_is_array(a)) {
      a = json_array();
      json_object_set_new(edit, FLAGS[i].field, a);
    }
    json_array_append_new(a, json_string(v));
    return 0;
  }
  return -1;
}

/* Library filter flags into the JSON rag_filter_from_json reads ("--group" keeps the name). */
static int add_filter_flag(json_t *filter, const char *flag, const char *v) {
  static const char *const F[][2] = {{"--query", "q"},         {"--author", "author"},       {"--venue", "venue"},
                                     {"--type", "type"},       {"--status", "status"},       {"--language", "language"},
                                     {"--year-from", "year_from"}, {"--year-to", "year_to"}, {"--group", "group"}};
  for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
    if (!strcmp(flag, F[i][0])) {
      json_object_set_new(filter, F[i][1], json_string(v));
      return 0;
    }
  return -1;
}

static void print_doc(const store_doc_t *d) {
  printf("%s  %s\n", d->id, d->bib.title ? d->bib.title : d->filename);
  const char *names[] = {"file", "status", "authors", "year", "venue", "doi", "arxiv", "keywords", "language"};
  const char *vals[] = {d->filename, d->status,       d->bib.authors,  d->bib.year,    d->bib.venue,
                        d->bib.doi,  d->bib.arxiv_id, d->bib.keywords, d->bib.language};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (vals[i] && vals[i][0]) printf("  %-9s %s\n", names[i], vals[i]);
  if (d->bib.abstract) printf("  abstract  %.300s%s\n", d->bib.abstract, strlen(d->bib.abstract) > 300 ? "..." : "");
  const char *key;
  json_t *v;
  buf_t src = BUF_INIT;
  buf_init(&src);
  json_object_foreach(d->meta_sources, key, v)
      buf_printf(&src, "%s%s=%s", src.len ? ", " : "", key, json_string_value(v) ? json_string_value(v) : "?");
  if (src.len) printf("  sources   %s\n", src.data);
  buf_free(&src);
}

int cmd_documents(int argc, char **argv) {
  if (argc < 2 || cli_wants_help(argc, argv)) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1], *id = NULL, *user = NULL, *sort = "added";
  int bulk = rag_bulk_action_parse(sub), all = 0, yes = 0;
  long long limit = 500;
  if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "edit") &&
      (bulk < 0 || bulk == RAG_BULK_GROUP_ADD || bulk == RAG_BULK_GROUP_REMOVE)) {
    fprintf(stderr, "maestro documents: unknown subcommand %s\n", sub);
    usage(stderr);
    return 2;
  }
  if (!strcmp(sub, "list")) bulk = -1;
  int one = !strcmp(sub, "show") || !strcmp(sub, "edit"); /* acts on one document */
  int first = cli_target(argc, argv, one ? "which document? (an ID from `maestro documents list`)" : NULL, &id);
  if (first < 0) return 2;
  json_t *edit = json_object(), *filter = json_object(), *sel = json_array(), *jgroup = NULL;
  int rc = 2;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (bulk >= 0 && a[0] != '-') {
      json_array_append_new(sel, json_string(a));
      continue;
    }
    if (bulk >= 0 && (!strcmp(a, "--all") || !strcmp(a, "--yes"))) {
      *(!strcmp(a, "--all") ? &all : &yes) = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "maestro documents: %s needs a value\n", a);
      goto done;
    }
    if (!strcmp(a, "--user"))
      user = v;
    else if (!strcmp(a, "--sort") && !strcmp(sub, "list"))
      sort = v;
    else if (!strcmp(a, "--limit") && !strcmp(sub, "list")) {
      if (util_parse_int(v, 1, 500, &limit) != 0) {
        fprintf(stderr, "maestro documents list: --limit must be 1..500\n");
        goto done;
      }
    } else if ((!strcmp(sub, "list") || bulk >= 0) && add_filter_flag(filter, a, v) == 0) {
    } else if (strcmp(sub, "edit") || add_flag(edit, a, v) != 0) {
      fprintf(stderr, "maestro documents %s: unknown option %s\n", sub, a);
      usage(stderr);
      goto done;
    }
    i++;
  }
  if (bulk >= 0 && !all == !json_array_size(sel)) {
    fprintf(stderr, "maestro documents %s: give document ids or --all [filters]\n", sub);
    goto done;
  }
  if (bulk >= 0 && !all && json_object_size(filter)) {
    fprintf(stderr, "maestro documents %s: filters go with --all\n", sub);
    goto done;
  }
  if (all && !json_object_size(filter) && !yes) {
    fprintf(stderr, "maestro documents %s: --all without a filter means every document: add --yes\n", sub);
    goto done;
  }
  if (strcmp(sort, "added") && strcmp(sort, "title") && strcmp(sort, "year")) {
    fprintf(stderr, "maestro documents list: --sort must be added, title or year\n");
    goto done;
  }
  rag_meta_edit_t e = {0};
  rag_filter_t f = {0};
  char field[32], err[256];
  jgroup = json_incref(json_object_get(filter, "group")); /* kept past the removal */
  const char *group_name = json_string_value(jgroup);
  json_object_del(filter, "group");
  if (rag_filter_from_json(filter, &f, field, sizeof field, err, sizeof err) != 0) {
    fprintf(stderr, "maestro documents %s: %s\n", sub, err);
    goto done;
  }
  if (!strcmp(sub, "edit")) {
    if (json_object_size(edit) == 0) {
      fprintf(stderr, "maestro documents edit: nothing to change (give --title, --author, --year, ...)\n");
      rag_filter_free(&f);
      goto done;
    }
    if (rag_meta_edit_from_json(edit, &e, field, sizeof field, err, sizeof err) != 0) {
      fprintf(stderr, "maestro documents edit: %s\n", err);
      rag_filter_free(&f);
      goto done;
    }
  }
  rc = 1;
  store_user_t *u;
  app_t *app = cli_open_as(user, "documents", &u);
  if (!app) {
    rag_meta_edit_free(&e);
    rag_filter_free(&f);
    goto done;
  }
  store_doc_t *d = NULL;
  char gid[17] = "";
  if (group_name) {
    if (store_group_find(app->store, u->id, group_name, gid) != STORE_OK) {
      fprintf(stderr, "maestro documents %s: %s has no group named %s\n", sub, u->username, group_name);
      goto out;
    }
    f.f.group_id = gid;
  }
  if (!strcmp(sub, "list")) {
    store_doc_sort_t by = !strcmp(sort, "title") ? STORE_DOC_SORT_TITLE
                          : !strcmp(sort, "year") ? STORE_DOC_SORT_YEAR
                                                  : STORE_DOC_SORT_ADDED;
    json_t *res = store_doc_query_json(app->store, u->id, &f.f, by, by != STORE_DOC_SORT_TITLE, (int)limit, 0);
    if (!res) goto out;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(res, "documents"), i, o) {
      const char *t = json_string_value(json_object_get(o, "title"));
      const char *y = json_string_value(json_object_get(o, "year"));
      printf("%s  %-9s %s%s%s%s\n", json_string_value(json_object_get(o, "id")),
             json_string_value(json_object_get(o, "status")), t ? t : json_string_value(json_object_get(o, "filename")),
             y ? " (" : "", y ? y : "", y ? ")" : "");
    }
    long long total = json_integer_value(json_object_get(res, "total"));
    if (total > (long long)json_array_size(json_object_get(res, "documents")))
      printf("(%zu of %lld shown; narrow the filters or raise --limit)\n",
             json_array_size(json_object_get(res, "documents")), total);
    json_decref(res);
    rc = 0;
    goto out;
  }
  if (bulk >= 0) {
    char(*ids)[17] = NULL;
    size_t n = 0;
    if (all) {
      if (store_doc_filter_ids(app->store, u->id, &f.f, 1000000, &ids, &n) != STORE_OK) goto out;
    } else {
      n = json_array_size(sel);
      ids = calloc(n, sizeof *ids);
      if (!ids) abort();
      for (size_t i = 0; i < n; i++) snprintf(ids[i], 17, "%s", json_string_value(json_array_get(sel, i)));
      long own = store_doc_owned_ids(app->store, u->id, ids, n);
      if (own != (long)n) {
        fprintf(stderr, "maestro documents %s: %ld of the given documents are not in %s's library; nothing done\n",
                sub, (long)n - own, u->username);
        free(ids);
        goto out;
      }
    }
    if (bulk == RAG_BULK_REEMBED && rag_embedding_model(app->rag, u->id, field, sizeof field) != 0) {
      fprintf(stderr, "maestro documents reembed: no embedding model is configured\n");
      free(ids);
      rc = 2;
      goto out;
    }
    json_t *res = rag_bulk(app->rag, u->id, (rag_bulk_action_t)bulk, NULL, ids, n);
    free(ids);
    printf("%s: %lld of %lld documents", sub, (long long)json_integer_value(json_object_get(res, "done")),
           (long long)json_integer_value(json_object_get(res, "matched")));
    if (json_array_size(json_object_get(res, "skipped")))
      printf(", %zu skipped (gone or nothing to do)", json_array_size(json_object_get(res, "skipped")));
    printf("\n");
    rc = json_array_size(json_object_get(res, "failed")) ? 1 : 0;
    json_decref(res);
    goto out;
  }
  if (!strcmp(sub, "edit")) {
    int s = store_doc_update_fields(app->store, u->id, id, &e.m, NULL);
    if (s == STORE_NOT_FOUND) {
      fprintf(stderr, "maestro documents edit: no document %s in %s's library\n", id, u->username);
      goto out;
    }
    if (s != STORE_OK) {
      fprintf(stderr, "maestro documents edit: cannot update %s\n", id);
      goto out;
    }
  }
  if (store_doc_get(app->store, u->id, id, &d) != STORE_OK) {
    fprintf(stderr, "maestro documents %s: no document %s in %s's library\n", sub, id, u->username);
    goto out;
  }
  print_doc(d);
  rc = 0;
out:
  rag_meta_edit_free(&e);
  rag_filter_free(&f);
  store_doc_free(d);
  store_user_free(u);
  app_close(app);
done:
  json_decref(jgroup);
  json_decref(edit);
  json_decref(filter);
  json_decref(sel);
  return rc;
}
