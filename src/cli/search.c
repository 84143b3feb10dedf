/*
 * search.c - `maestro search "query"`: searches a user's document library
 * in this process and prints source, page, score and a snippet per hit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/cli.h"
#include "rag/rag.h"
#include "store/documents.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro search \"query\" [--limit 5] [--group NAME] [--mode hybrid|lexical|vector] [--by-document]\n"
          "                      [--user NAME]\n"
          "Searches the user's ready documents (default user: ADMIN_USERNAME). Prints passages, or with\n"
          "--by-document one result per document (its best passage).\n"
          "--limit N (or -k N): how many results, 1..100.\n");
}

/* Prints at most max code points of s on one line (whitespace folded). */
static void snippet(const char *s, int max) {
  int n = 0, space = 0;
  for (size_t i = 0; s[i] && n < max;) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
      space = 1;
      i++;
      continue;
    }
    if (space && n) putchar(' ');
    space = 0;
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    for (size_t k = 0; k < len && s[i]; k++) putchar(s[i++]);
    n++;
  }
  if (n >= max) fputs(" ...", stdout);
}

int cmd_search(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *query = NULL, *group = NULL, *user = NULL, *mode = "hybrid";
  long long k = 5;
  int by_document = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--by-document")) {
      by_document = 1;
      continue;
    }
    if (a[0] != '-' || !strcmp(a, "-")) {
      if (query) {
        fprintf(stderr, "maestro search: one query only (quote it)\n");
        return 2;
      }
      query = a;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      fprintf(stderr, "maestro search: %s needs a value\n", a);
      return 2;
    }
    if (!strcmp(a, "-k") || !strcmp(a, "--k") || !strcmp(a, "--limit")) {
      if (util_parse_int(v, 1, 100, &k) != 0) {
        fprintf(stderr, "maestro search: %s must be 1..100\n", a);
        return 2;
      }
    } else if (!strcmp(a, "--group"))
      group = v;
    else if (!strcmp(a, "--mode"))
      mode = v;
    else if (!strcmp(a, "--user"))
      user = v;
    else {
      fprintf(stderr, "maestro search: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    i++;
  }
  if (!query || !*query) {
    usage(stderr);
    return 2;
  }
  int m = rag_mode_parse(mode);
  if (m < 0) {
    fprintf(stderr, "maestro search: --mode must be hybrid, lexical or vector\n");
    return 2;
  }
  store_user_t *u;
  app_t *app = cli_open_as(user, "search", &u);
  if (!app) return 1;
  int rc = 1;
  char gid[17] = "";
  if (group && store_group_find(app->store, u->id, group, gid) != STORE_OK) {
    fprintf(stderr, "maestro search: no group named %s\n", group);
    goto out;
  }
  rag_query_t q;
  rag_query_init(&q);
  q.user_id = u->id;
  q.group_id = gid[0] ? gid : NULL;
  q.query = query;
  q.k = (int)k;
  q.mode = (rag_mode_t)m;
  q.per_document = by_document;
  rag_results_t res;
  char err[512];
  if (rag_search(app->rag, &q, &res, err, sizeof err) != 0) {
    fprintf(stderr, "maestro search: %s\n", err);
    goto out;
  }
  if (res.n == 0) printf("no results (%s search)\n", rag_mode_name(res.mode_used));
  for (size_t i = 0; i < res.n; i++) {
    rag_hit_t *h = &res.hits[i];
    printf("%zu. %s", i + 1, h->title && *h->title ? h->title : h->filename);
    if (h->filename && h->title && strcmp(h->title, h->filename)) printf(" (%s)", h->filename);
    if (h->page > 0) printf(", page %d", h->page);
    printf("  score %.4f\n   ", h->score);
    if (h->heading && *h->heading) printf("[%s] ", h->heading);
    snippet(h->text, 240);
    printf("\n");
  }
  rag_results_free(&res);
  rc = 0;
out:
  store_user_free(u);
  app_close(app);
  return rc;
}
