/* fetch.c - `maestro fetch URL`: fetch a page safely and print its main text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "web/web.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: maestro fetch [--json] URL\n\n"
          "Fetches URL under the fetch policy (http/https only, no private or loopback\n"
          "addresses unless FETCH_ALLOW_HOSTS allows them, FETCH_MAX_BYTES,\n"
          "FETCH_TIMEOUT_SECONDS) and prints its title, date and main text. Pages are\n"
          "cached for WEB_CACHE_TTL_HOURS.\n\n"
          "  --json   print {url, final_url, content_type, title, text, published_date, ...}\n");
}

int cmd_fetch(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *url = NULL;
  int as_json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      as_json = 1;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "maestro fetch: unknown option %s (see --help)\n", argv[i]);
      return 2;
    } else if (url) {
      fprintf(stderr, "maestro fetch: one URL at a time\n");
      return 2;
    } else {
      url = argv[i];
    }
  }
  if (!url) {
    usage(stderr);
    return 2;
  }
  app_t *app = cli_open_app();
  if (!app) return 1;
  web_page_t p;
  char err[1024];
  int rc = 1;
  if (web_fetch_page(app->web, url, &p, err, sizeof err) != 0) {
    fprintf(stderr, "maestro fetch: %s\n", err);
  } else {
    if (as_json) {
      json_t *j = web_page_json(&p);
      char *s = json_dumps(j, JSON_INDENT(2));
      printf("%s\n", s);
      free(s);
      json_decref(j);
    } else {
      printf("Title: %s\nURL: %s\n", p.title, p.final_url);
      if (p.published) printf("Published: %s\n", p.published);
      printf("Type: %s%s\n\n%s\n", p.content_type, p.from_cache ? " (cached)" : "", p.text);
    }
    if (p.truncated) fprintf(stderr, "warning: the page was larger than FETCH_MAX_BYTES and was cut\n");
    web_page_free(&p);
    rc = 0;
  }
  app_close(app);
  return rc;
}
