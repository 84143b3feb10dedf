/* websearch.c - `maestro websearch`: search with the configured providers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/cli.h"
#include "store/users.h"
#include "web/web.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: maestro websearch [options] QUERY [QUERY...]\n\n"
          "Searches the web with the configured providers (SEARXNG_URL, TAVILY_API_KEY,\n"
          "BRAVE_API_KEY, SEARCH_PROVIDERS) and prints the merged results.\n\n"
          "  -n N               results per query (default 10, max 50)\n"
          "  --user NAME        use this user's search settings\n"
          "  --language CODE    e.g. en, de-DE\n"
          "  --time-range R     day, week, month or year\n"
          "  --categories LIST  SearXNG categories, e.g. general,news\n"
          "  --engines LIST     SearXNG engines, e.g. wikipedia,duckduckgo\n"
          "  --page N           result page (default 1)\n"
          "  --no-cache         do not answer from the cache\n"
          "  --json             print the results as JSON\n");
}

int cmd_websearch(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  web_search_opts_t o = {0};
  const char *user = NULL;
  int as_json = 0;
  const char **queries = calloc((size_t)argc, sizeof *queries);
  if (!queries) abort();
  size_t nq = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    long long v;
    int has_value = i + 1 < argc;
    if ((strcmp(a, "-n") == 0 || strcmp(a, "--page") == 0) && has_value) {
      if (util_parse_int(argv[++i], 1, 50, &v) != 0) {
        fprintf(stderr, "maestro websearch: %s needs a number between 1 and 50\n", a);
        free(queries);
        return 2;
      }
      if (a[1] == 'n')
        o.max_results = (int)v;
      else
        o.page = (int)v;
    } else if (strcmp(a, "--user") == 0 && has_value) {
      user = argv[++i];
    } else if (strcmp(a, "--language") == 0 && has_value) {
      o.language = argv[++i];
    } else if (strcmp(a, "--time-range") == 0 && has_value) {
      o.time_range = argv[++i];
      if (strcmp(o.time_range, "day") && strcmp(o.time_range, "week") && strcmp(o.time_range, "month") &&
          strcmp(o.time_range, "year")) {
        fprintf(stderr, "maestro websearch: --time-range must be day, week, month or year\n");
        free(queries);
        return 2;
      }
    } else if (strcmp(a, "--categories") == 0 && has_value) {
      o.categories = argv[++i];
    } else if (strcmp(a, "--engines") == 0 && has_value) {
      o.engines = argv[++i];
    } else if (strcmp(a, "--no-cache") == 0) {
      o.no_cache = 1;
    } else if (strcmp(a, "--json") == 0) {
      as_json = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "maestro websearch: unknown or incomplete option %s (see --help)\n", a);
      free(queries);
      return 2;
    } else {
      queries[nq++] = a;
    }
  }
  if (nq == 0) {
    usage(stderr);
    free(queries);
    return 2;
  }
  app_t *app = cli_open_app();
  if (!app) {
    free(queries);
    return 1;
  }
  int rc = 1;
  store_user_t *u = NULL;
  if (user && store_user_get_by_name(app->store, user, &u) != STORE_OK) {
    fprintf(stderr, "maestro websearch: no user named %s\n", user);
    goto done;
  }
  web_results_t r;
  char err[2048];
  if (web_search(app->web, u ? u->id : NULL, queries, nq, &o, &r, err, sizeof err) != 0) {
    fprintf(stderr, "maestro websearch: %s\n", err);
    goto done;
  }
  if (as_json) {
    json_t *j = json_pack("{s:s, s:o, s:b}", "provider", r.provider, "results", web_results_json(&r), "from_cache",
                          r.from_cache);
    if (r.warnings) json_object_set_new(j, "warnings", json_string(r.warnings));
    char *s = json_dumps(j, JSON_INDENT(2));
    printf("%s\n", s);
    free(s);
    json_decref(j);
  } else {
    for (size_t i = 0; i < r.n; i++) {
      const web_result_t *it = &r.items[i];
      printf("%zu. %s\n   %s\n", i + 1, it->title[0] ? it->title : "(no title)", it->url);
      if (it->snippet[0]) printf("   %s\n", it->snippet);
      printf("   [%s%s%s, score %.3f]\n\n", it->engine, it->published ? ", " : "", it->published ? it->published : "",
             it->score);
    }
    printf("%zu results from %s%s\n", r.n, r.provider, r.from_cache ? " (cached)" : "");
  }
  if (r.warnings) fprintf(stderr, "warning: %s\n", r.warnings);
  web_results_free(&r);
  rc = 0;
done:
  store_user_free(u);
  app_close(app);
  free(queries);
  return rc;
}
