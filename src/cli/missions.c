/*
 * missions.c - `maestro missions`: list a user's missions, show one, export
 * its report (md, html, pdf, docx; the same renderers as GET
 * /api/missions/{id}/report). Works in this process on the database (the
 * server may run). Exit 0 on success, 1 when the mission or its report is
 * missing or the store fails, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents.h"
#include "base/util.h"
#include "cli/cli.h"
#include "report/report.h"
#include "store/missions.h"
#include "store/users.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro missions list [--limit N] [--user NAME]\n"
          "       maestro missions show ID [--user NAME]\n"
          "       maestro missions export ID [--format md|html|pdf|docx] [--version N] [--out FILE] [--user NAME]\n"
          "Lists the user's missions (default user: ADMIN_USERNAME; newest first, --limit 1..1000,\n"
          "default 50), shows one, or writes its report (default: the latest version, Markdown,\n"
          "to stdout).\n");
}

int cli_write_report(app_t *app, const char *cmd, const char *mid, int version, const char *title, const char *out,
                     const char *format) {
  json_t *rep = NULL;
  if (store_mission_report(app->store, mid, version, &rep) != STORE_OK) {
    if (version)
      fprintf(stderr, "maestro %s: mission %s has no report version %d\n", cmd, mid, version);
    else
      fprintf(stderr, "maestro %s: mission %s has no report\n", cmd, mid);
    return 1;
  }
  const char *md = json_string_value(json_object_get(rep, "markdown"));
  char *text = NULL;
  size_t len = 0;
  char err[512] = "";
  int rc = 0;
  if (!strcmp(format, "pdf") || !strcmp(format, "docx")) {
    int (*render)(const char *, const char *, char **, size_t *, char *, size_t) =
        !strcmp(format, "pdf") ? report_pdf : report_docx;
    if (render(title, md, &text, &len, err, sizeof err) != 0) {
      fprintf(stderr, "maestro %s: cannot render the %s: %s\n", cmd, format, err);
      rc = 1;
    }
  } else {
    text = !strcmp(format, "html") ? report_html(title, md) : util_strdup(md);
    len = text ? strlen(text) : 0;
    if (!text) rc = 1;
  }
  if (rc == 0 && out) {
    if (util_write_file(out, text, len, 0644) != 0) {
      fprintf(stderr, "maestro %s: cannot write %s\n", cmd, out);
      rc = 1;
    } else
      fprintf(stderr, "report written to %s\n", out);
  } else if (rc == 0) {
    if (fwrite(text, 1, len, stdout) != len) rc = 1;
  }
  free(text);
  json_decref(rep);
  return rc;
}

static const char *str(json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "";
}

static void show(app_t *app, json_t *row) {
  printf("%s  %s\n", str(row, "id"), str(row, "title"));
  printf("  status    %s", str(row, "status"));
  if (str(row, "phase")[0]) printf(" (%s)", str(row, "phase"));
  printf(", %.0f%%\n", agents_mission_progress(app->agents, row) * 100.0);
  if (str(row, "outcome")[0]) printf("  outcome   %s\n", str(row, "outcome"));
  if (str(row, "error")[0]) printf("  error     %s\n", str(row, "error"));
  if (str(row, "description")[0]) printf("  about     %s\n", str(row, "description"));
  size_t i;
  json_t *q;
  json_array_foreach(json_object_get(row, "questions"), i, q) printf("  question  %s\n", json_string_value(q));
  json_t *src = json_object_get(row, "sources");
  if (json_array_size(src)) {
    printf("  sources  ");
    json_array_foreach(src, i, q) printf(" %s", json_string_value(q));
    printf("\n");
  }
  if (str(row, "schedule")[0]) printf("  schedule  %s\n", str(row, "schedule"));
  printf("  created   %s\n", str(row, "created_at"));
  if (str(row, "finished_at")[0]) printf("  finished  %s\n", str(row, "finished_at"));
}

int cmd_missions(int argc, char **argv) {
  if (argc < 2 || cli_wants_help(argc, argv)) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *sub = argv[1], *id = NULL, *user = NULL, *format = "md", *out = NULL;
  long long limit = 50, version = 0;
  int list = !strcmp(sub, "list"), export = !strcmp(sub, "export");
  if (!list && !export && strcmp(sub, "show")) {
    fprintf(stderr, "maestro missions: unknown subcommand %s\n", sub);
    usage(stderr);
    return 2;
  }
  int first = cli_target(argc, argv, list ? NULL : "which mission? (an ID from `maestro missions list`)", &id);
  if (first < 0) return 2;
  for (int i = first; i < argc; i += 2) {
    const char *a = argv[i], *v = cli_value(argc, argv, i, "missions");
    if (!v) return 2;
    if (!strcmp(a, "--user"))
      user = v;
    else if (!strcmp(a, "--limit") && list) {
      if (util_parse_int(v, 1, 1000, &limit) != 0) {
        fprintf(stderr, "maestro missions list: --limit must be 1..1000\n");
        return 2;
      }
    } else if (!strcmp(a, "--format") && export) {
      if (strcmp(v, "md") && strcmp(v, "html") && strcmp(v, "pdf") && strcmp(v, "docx")) {
        fprintf(stderr, "maestro missions export: --format must be md, html, pdf or docx\n");
        return 2;
      }
      format = v;
    } else if (!strcmp(a, "--version") && export) {
      if (util_parse_int(v, 1, 1000000, &version) != 0) {
        fprintf(stderr, "maestro missions export: --version must be a positive number\n");
        return 2;
      }
    } else if (!strcmp(a, "--out") && export)
      out = v;
    else {
      fprintf(stderr, "maestro missions %s: unknown option %s\n", sub, a);
      usage(stderr);
      return 2;
    }
  }
  store_user_t *u;
  app_t *app = cli_open_as(user, "missions", &u);
  if (!app) return 1;
  int rc = 1;
  json_t *row = NULL;
  if (list) {
    json_t *rows = store_mission_list(app->store, u->id, (int)limit, 0);
    if (!rows) {
      fprintf(stderr, "maestro missions: cannot read the missions\n");
      goto done;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) printf("%s  %-9s %3.0f%%  %s\n", str(r, "id"), str(r, "status"),
                                          agents_mission_progress(app->agents, r) * 100.0, str(r, "title"));
    if (!json_array_size(rows)) fprintf(stderr, "no missions (start one with: maestro research \"question\")\n");
    json_decref(rows);
    rc = 0;
    goto done;
  }
  /* another user's mission is as missing as one that does not exist */
  if (store_mission_get(app->store, u->id, id, &row) != STORE_OK) {
    fprintf(stderr, "maestro missions %s: no mission %s\n", sub, id);
    goto done;
  }
  if (export)
    rc = cli_write_report(app, "missions export", id, (int)version, str(row, "title"), out, format);
  else {
    show(app, row);
    rc = 0;
  }
done:
  json_decref(row);
  store_user_free(u);
  app_close(app);
  return rc;
}
