/* main.c - command-line dispatch only; each command lives in src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} command_t;

static const command_t COMMANDS[] = {
    {"serve", cmd_serve, "run the server (API, WebSocket, web UI, workers)"},
    {"user", cmd_user, "manage users: add, list, passwd, role, disable, enable"},
    {"websearch", cmd_websearch, "search the web with the configured providers"},
    {"fetch", cmd_fetch, "fetch a web page safely and print its main text"},
    {"ingest", cmd_ingest, "add a directory of documents to the library (PDF, DOCX, HTML, Markdown, text)"},
    {"search", cmd_search, "search the document library"},
    {"documents", cmd_documents, "list, show or edit documents' bibliographic fields (title, authors, year, DOI...)"},
    {"groups", cmd_groups, "list, add or remove document groups"},
    {"missions", cmd_missions, "list missions, show one, export its report (md, html, pdf, docx)"},
    {"research", cmd_research, "run a research mission here and write its report"},
    {"backup", cmd_backup, "back up database, documents and keys into a directory (server may run)"},
    {"restore", cmd_restore, "restore a backup (server stopped)"},
    {"mcp", cmd_mcp, "serve the Model Context Protocol on stdin/stdout for an MCP client app"},
    {"plugins", cmd_plugins, "list the plugins of PLUGINS_DIR and what each provides"},
    {"config", cmd_config, "show the effective settings (or --markdown: the reference table)"},
    {"doctor", cmd_doctor, "check configuration, database and endpoints"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: maestro COMMAND [ARGS]\n\nCommands:\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(out, "  %-10s %s\n", "help", "show this help");
  fprintf(out, "\nRun 'maestro COMMAND --help' for a command's options.\n");
}

#if defined(__SANITIZE_ADDRESS__)
/* Sanitizer builds only: fontconfig (through pango, for PDF export) keeps its
 * caches until the process ends, and cairo one PDF-surface buffer; they are
 * the libraries' own, not leaks of Maestro, so LeakSanitizer is told. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libcairo.so\nleak:libfontconfig.so\n";
}
#endif

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) return cmd_version(argc - 1, argv + 1);
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (strcmp(cmd, COMMANDS[i].name) == 0) return COMMANDS[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "maestro: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
