/*
 * test_cli_library.c - `maestro groups` and `maestro missions`: the library's
 * groups and the missions with their reports from the command line, on the
 * database the server uses, each user seeing only their own.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "mission_support.h"

/* Runs maestro with up to seven arguments (the first NULL ends them). */
static int cli(const char *input, char **out, const char *a0, const char *a1, const char *a2, const char *a3,
               const char *a4, const char *a5, const char *a6) {
  return ts_run_cli(ms_srv.dir, ms_cli_env(), input, out, a0, a1, a2, a3, a4, a5, a6, NULL);
}

Test(cli_library, groups_add_list_remove, .timeout = 120) {
  ms_start(1, NULL, NULL);
  char *out = NULL;
  cr_assert_eq(cli(NULL, &out, "groups", "add", "Reading list", "--description", "for the review", NULL, NULL), 0);
  cr_assert_eq(strlen(out), 17, "the new group's id on stdout: %s", out);
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "add", "Reading list", NULL, NULL, NULL, NULL), 1, "a second group of that name");
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "list", NULL, NULL, NULL, NULL, NULL), 0);
  cr_assert(strstr(out, "Reading list") && strstr(out, "(0 documents)") && strstr(out, "for the review"), "%s", out);
  free(out);
  /* the API sees the same group */
  ts_response_t r = ts_http(&ms_srv, "GET", "/api/groups", ms_token, NULL, NULL, 0);
  cr_assert(r.status == 200 && strstr(r.body, "Reading list"), "%ld %s", r.status, r.body);
  ts_response_free(&r);
  cr_assert_eq(cli(NULL, &out, "groups", "remove", "Reading list", NULL, NULL, NULL, NULL), 0);
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "remove", "Reading list", NULL, NULL, NULL, NULL), 1, "already removed");
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "list", NULL, NULL, NULL, NULL, NULL), 0);
  cr_assert_null(strstr(out, "Reading list"), "%s", out);
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", NULL, NULL, NULL, NULL, NULL, NULL), 2);
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "rename", "x", NULL, NULL, NULL, NULL), 2);
  free(out);
  cr_assert_eq(cli(NULL, &out, "groups", "add", "x", "--colour", "red", NULL, NULL), 2);
  free(out);
  ms_stop_all();
}

Test(cli_library, missions_list_show_export_own_only, .timeout = 120) {
  ms_start(1, NULL, NULL);
  char *id = ms_create("How Debian keeps systems secure", 1, NULL);
  cr_assert(ms_wait_for(id, "completed", NULL, 60), "mission did not complete");
  char *out = NULL;
  cr_assert_eq(cli(NULL, &out, "missions", "list", NULL, NULL, NULL, NULL, NULL), 0);
  cr_assert(strstr(out, id) && strstr(out, "completed") && strstr(out, "100%"), "%s", out);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "show", id, NULL, NULL, NULL, NULL), 0);
  cr_assert(strstr(out, "How Debian keeps systems secure") && strstr(out, "completed"), "%s", out);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "export", id, NULL, NULL, NULL, NULL), 0);
  char *md = ms_report(id, "md");
  cr_assert_str_eq(out, md, "the exported Markdown is the API's report");
  free(md);
  free(out);
  char path[400];
  snprintf(path, sizeof path, "%s/report.html", ms_srv.dir);
  cr_assert_eq(cli(NULL, &out, "missions", "export", id, "--format", "html", "--out", path), 0);
  free(out);
  char *html = util_read_file(path, NULL);
  cr_assert(html && strstr(html, "<html") && strstr(html, "How Debian"), "%s", html ? html : "(no file)");
  free(html);
  cr_assert_eq(cli(NULL, &out, "missions", "export", id, "--format", "odt", NULL, NULL), 2);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "export", id, "--version", "99", NULL, NULL), 1, "no such version");
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "show", "0123456789abcdef", NULL, NULL, NULL, NULL), 1);
  free(out);
  /* another user's mission is not theirs to list, show or export */
  cr_assert_eq(cli("bob-password-123\n", &out, "user", "add", "bob", "--password-stdin", NULL, NULL, NULL), 0);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "list", "--user", "bob", NULL, NULL, NULL), 0);
  cr_assert_null(strstr(out, id), "bob lists the admin's mission: %s", out);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "show", id, "--user", "bob", NULL, NULL), 1);
  free(out);
  cr_assert_eq(cli(NULL, &out, "missions", "export", id, "--user", "bob", NULL, NULL), 1);
  free(out);
  free(id);
  ms_stop_all();
}

Test(cli_library, search_accepts_limit, .timeout = 120) {
  ms_start(1, NULL, NULL);
  char *out = NULL;
  cr_assert_eq(cli(NULL, &out, "search", "security support", "--limit", "1", NULL, NULL, NULL), 0);
  cr_assert(out && out[0], "no result printed");
  free(out);
  cr_assert_eq(cli(NULL, &out, "search", "security support", "--limit", "0", NULL, NULL, NULL), 2);
  free(out);
  ms_stop_all();
}
