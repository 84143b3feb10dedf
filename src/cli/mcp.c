/*
 * mcp.c - `maestro mcp`: the MCP server over stdio (docs/mcp.md).
 *
 * An MCP client application starts this command and speaks JSON-RPC with it:
 * one message per line on stdin, one answer per line on stdout (messages
 * never contain a raw newline); logs go to stderr only. The process acts as
 * one user:
 *   --token TOKEN (or MAESTRO_TOKEN): the user of an access token, checked
 *       like the HTTP API checks it (expiry, revocation, account active);
 *   --user NAME: that local account, without a token (whoever can run the
 *       binary on the data directory can read everything in it anyway);
 *   neither: the admin account (ADMIN_USERNAME), like the other commands.
 * Missions started here are queued for the server's workers (`maestro
 * serve` on the same DATA_DIR picks them up); --workers runs the workers in
 * this process instead, for use without a server (never both on one data
 * directory: workers requeue the jobs they find running).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli.h"
#include "http/authn.h"
#include "mcp/mcp.h"

#define MAX_LINE (8u << 20)

static void send_msg(json_t *m) {
  char *text = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(9));
  json_decref(m);
  if (!text) return;
  fputs(text, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  free(text);
}

static int usage(FILE *out, int rc) {
  fprintf(out,
          "usage: maestro mcp [--token TOKEN | --user NAME] [--workers]\n\n"
          "Serves the Model Context Protocol on stdin/stdout (newline-delimited JSON-RPC) for an\n"
          "MCP client application. Acts as the user of TOKEN (or $MAESTRO_TOKEN), as the local\n"
          "account NAME, or else as the admin. Missions are queued for `maestro serve`; with\n"
          "--workers this process runs them (only when no server uses the same DATA_DIR).\n"
          "See docs/mcp.md.\n");
  return rc;
}

int cmd_mcp(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) return usage(stdout, 0);
  const char *token = getenv("MAESTRO_TOKEN"), *uname = NULL;
  int workers = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--token") && i + 1 < argc)
      token = argv[++i];
    else if (!strcmp(argv[i], "--user") && i + 1 < argc)
      uname = argv[++i];
    else if (!strcmp(argv[i], "--workers"))
      workers = 1;
    else {
      fprintf(stderr, "maestro mcp: unexpected argument %s\n", argv[i]);
      return usage(stderr, 2);
    }
  }
  if (token && !token[0]) token = NULL;
  if (token && uname) {
    fprintf(stderr, "maestro mcp: give --token or --user, not both\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  app_t *app = cli_open_server();
  if (!app) return 1;
  http_user_t user;
  memset(&user, 0, sizeof user);
  if (token) {
    const char *why = "invalid token";
    if (http_authenticate(app, token, &user, &why) != 0) {
      fprintf(stderr, "maestro mcp: the token is not accepted: %s\n", why);
      app_close(app);
      return 1;
    }
  } else {
    store_user_t *u = NULL;
    if (cli_user(app, uname, "mcp", &u) != 0) {
      app_close(app);
      return 1;
    }
    if (!u->active) {
      fprintf(stderr, "maestro mcp: user %s is disabled\n", u->username);
      store_user_free(u);
      app_close(app);
      return 1;
    }
    snprintf(user.id, sizeof user.id, "%s", u->id);
    snprintf(user.username, sizeof user.username, "%s", u->username);
    user.role = role_parse(u->role);
    store_user_free(u);
  }
  if (workers && app_start_workers(app, APP_ROLE_ALL) != 0) {
    fprintf(stderr, "maestro mcp: cannot start background workers\n");
    app_close(app);
    return 1;
  }
  log_info("mcp", "serving MCP on stdio as %s (%s)", user.username, role_name(user.role));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0) continue;
    if ((size_t)n > MAX_LINE) {
      send_msg(mcp_error(NULL, MCP_INVALID_REQUEST, "message of %zd bytes is over the limit of %u", n, MAX_LINE));
      continue;
    }
    json_error_t jerr;
    json_t *msg = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg) {
      send_msg(mcp_error(NULL, MCP_PARSE_ERROR, "parse error: %s (column %d)", jerr.text, jerr.column));
      continue;
    }
    if (json_is_array(msg)) { /* a batch (protocol 2025-03-26) */
      json_t *out = json_array();
      size_t i;
      json_t *m;
      json_array_foreach(msg, i, m) {
        json_t *r = mcp_server_handle(app, &user, m);
        if (r) json_array_append_new(out, r);
      }
      if (json_array_size(out))
        send_msg(out);
      else
        json_decref(out);
    } else {
      json_t *r = mcp_server_handle(app, &user, msg);
      if (r) send_msg(r);
    }
    json_decref(msg);
  }
  free(line);
  log_info("mcp", "stdin closed: stopping");
  app_close(app);
  return 0;
}
