/*
 * ingest.c - `maestro ingest`: add a directory of documents to a user's
 * library, in this process (no server needed), with a progress bar on a
 * terminal and a summary (files ok, failed with reasons, duplicates, chunks,
 * time). Exit 0 when every file was ingested (or was already there), 1 when
 * some failed, 2 on usage errors.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "cli/cli.h"
#include "rag/chunk.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro ingest --directory DIR [--format pdf,docx,txt,md,html] [--chunk-size 1000]\n"
          "                      [--overlap 200] [--group NAME] [--user NAME]\n"
          "Adds every matching file under DIR (recursively) to the user's document library\n"
          "(default user: ADMIN_USERNAME) and indexes it now. Types are detected by content;\n"
          "--format selects files by detected type or by extension.\n");
}

typedef struct {
  char **v;
  size_t n, cap;
} paths_t;

static void walk(const char *dir, paths_t *out, int depth) {
  if (depth > 32) return;
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* hidden files, . and .. */
    buf_t p = BUF_INIT;
    buf_init(&p);
    buf_printf(&p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p.data, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        walk(p.data, out, depth + 1);
      } else if (S_ISREG(st.st_mode)) {
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 64;
          out->v = realloc(out->v, out->cap * sizeof *out->v);
          if (!out->v) abort();
        }
        out->v[out->n++] = buf_detach(&p, NULL);
        continue;
      }
    }
    buf_free(&p);
  }
  closedir(d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Formats wanted, as a bit set of rag_type_t. */
static int parse_formats(const char *list, unsigned *mask) {
  *mask = 0;
  char *copy = util_strdup(list), *save = NULL;
  int ok = 1;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    rag_type_t ty = rag_type_parse(util_trim(t));
    if (ty == RAG_TYPE_UNKNOWN)
      ok = 0;
    else
      *mask |= 1u << ty;
  }
  free(copy);
  return ok && *mask ? 0 : -1;
}

static int wanted(const char *path, unsigned mask) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot && (!slash || dot > slash) && (mask & (1u << rag_type_parse(dot + 1))) &&
      rag_type_parse(dot + 1) != RAG_TYPE_UNKNOWN)
    return 1;
  rag_type_t t = rag_detect_file(path, path);
  return t != RAG_TYPE_BINARY && t != RAG_TYPE_EMPTY && t != RAG_TYPE_UNKNOWN && (mask & (1u << t));
}

typedef struct {
  int tty;
  size_t i, n;
  const char *name;
} bar_t;

static void draw(bar_t *b, const char *stage, double frac) {
  if (!b->tty) return;
  double total = ((double)b->i + frac) / (double)(b->n ? b->n : 1);
  int w = 30, fill = (int)(total * w);
  fprintf(stderr, "\r[%.*s%*s] %zu/%zu %-10s %.40s\033[K", fill, "##############################", w - fill, "",
          b->i + 1, b->n, stage, b->name);
  fflush(stderr);
}

static void on_progress(void *ud, const char *doc_id, const char *stage, double frac) {
  (void)doc_id;
  draw(ud, stage, frac < 0 ? 0 : frac > 1 ? 1 : frac);
}

int cmd_ingest(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *dir = NULL, *formats = "pdf,docx,txt,md,html", *group = NULL, *user = NULL;
  long long size = RAG_CHUNK_SIZE_DEFAULT, overlap = RAG_CHUNK_OVERLAP_DEFAULT;
  const cli_opt_t strs[] = {{"--directory", &dir}, {"-d", &dir},      {"--format", &formats},
                            {"--group", &group},   {"--user", &user}, {NULL, NULL}};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = cli_value(argc, argv, i, "ingest");
    if (!v) return 2;
    if (cli_set_opt(strs, a, v))
      ;
    else if (!strcmp(a, "--chunk-size")) {
      if (util_parse_int(v, RAG_CHUNK_SIZE_MIN, RAG_CHUNK_SIZE_MAX, &size) != 0) {
        fprintf(stderr, "maestro ingest: --chunk-size must be %d..%d\n", RAG_CHUNK_SIZE_MIN, RAG_CHUNK_SIZE_MAX);
        return 2;
      }
    } else if (!strcmp(a, "--overlap")) {
      if (util_parse_int(v, 0, RAG_CHUNK_SIZE_MAX, &overlap) != 0) {
        fprintf(stderr, "maestro ingest: --overlap must be a number\n");
        return 2;
      }
    } else {
      fprintf(stderr, "maestro ingest: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    i++;
  }
  unsigned mask = 0;
  char err[512];
  if (!dir) {
    usage(stderr);
    return 2;
  }
  if (parse_formats(formats, &mask) != 0) {
    fprintf(stderr, "maestro ingest: --format takes a list of pdf, docx, txt, md, html\n");
    return 2;
  }
  if (rag_chunk_check((int)size, (int)overlap, err, sizeof err) != 0) {
    fprintf(stderr, "maestro ingest: %s\n", err);
    return 2;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "maestro ingest: %s is not a directory\n", dir);
    return 2;
  }
  store_user_t *u;
  app_t *app = cli_open_as(user, "ingest", &u);
  if (!app) return 1;
  int rc = 1;
  paths_t files = {0};
  char gid[17] = "";
  if (group) {
    int g = store_group_find(app->store, u->id, group, gid);
    if (g == STORE_NOT_FOUND) g = store_group_create(app->store, u->id, group, "", gid);
    if (g != STORE_OK) {
      fprintf(stderr, "maestro ingest: cannot use group %s\n", group);
      goto out;
    }
  }
  walk(dir, &files, 0);
  qsort(files.v, files.n, sizeof *files.v, cmp_str);
  size_t nsel = 0;
  for (size_t i = 0; i < files.n; i++) {
    if (wanted(files.v[i], mask))
      files.v[nsel++] = files.v[i];
    else
      free(files.v[i]);
  }
  files.n = nsel;
  bar_t bar = {.tty = isatty(2), .n = files.n};
  int ok = 0, failed = 0, dups = 0;
  long long chunks = 0;
  buf_t failures = BUF_INIT;
  buf_init(&failures);
  int64_t t0 = util_mono_ms();
  for (size_t i = 0; i < files.n; i++) {
    const char *path = files.v[i];
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    bar.i = i;
    bar.name = name;
    draw(&bar, "adding", 0);
    rag_add_t req = {.user_id = u->id,
                     .filename = name,
                     .src_path = path,
                     .group_id = gid[0] ? gid : NULL,
                     .chunk_size = (int)size,
                     .chunk_overlap = (int)overlap,
                     .no_job = 1};
    char id[17];
    int dup = 0;
    if (rag_document_add(app->rag, &req, id, &dup, err, sizeof err) != 0) {
      failed++;
      buf_printf(&failures, "  %s: %s\n", path, err);
      continue;
    }
    store_doc_t *d = NULL;
    if (dup) {
      store_doc_get(app->store, u->id, id, &d);
      if (d && !strcmp(d->status, "ready")) {
        dups++;
        store_doc_free(d);
        continue;
      }
      store_doc_free(d);
      d = NULL;
    }
    if (rag_ingest_document(app->rag, id, on_progress, &bar, err, sizeof err) < 0) {
      failed++;
      buf_printf(&failures, "  %s: %s\n", path, err);
      continue;
    }
    if (store_doc_get(app->store, u->id, id, &d) == STORE_OK && !strcmp(d->status, "ready")) {
      ok++;
      chunks += d->chunk_count;
    } else {
      failed++;
      buf_printf(&failures, "  %s: %s\n", path, d && d->error ? d->error : "not ingested");
    }
    store_doc_free(d);
  }
  if (bar.tty) fprintf(stderr, "\r\033[K");
  double secs = (double)(util_mono_ms() - t0) / 1000.0;
  printf("%zu files: %d ingested, %d failed, %d already in the library; %lld chunks; %.1f s\n", files.n, ok, failed,
         dups, chunks, secs);
  if (failed) printf("failed:\n%s", failures.data);
  buf_free(&failures);
  rc = failed ? 1 : 0;
out:
  for (size_t i = 0; i < files.n; i++) free(files.v[i]);
  free(files.v);
  store_user_free(u);
  app_close(app);
  return rc;
}
