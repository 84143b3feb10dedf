/*
 * cli.h - the subcommands of the maestro binary. Each returns the process
 * exit code: 0 success, 1 failure, 2 usage error. argv[0] is the command
 * name. Every command answers --help.
 */
#ifndef MAESTRO_CLI_H
#define MAESTRO_CLI_H

#include <stddef.h>

#include "app.h"
#include "store/users.h"

int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_websearch(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_research(int argc, char **argv);
int cmd_documents(int argc, char **argv);
int cmd_mcp(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_groups(int argc, char **argv);
int cmd_missions(int argc, char **argv);

/* Shared helpers for commands (cli_common.c). */
/* Loads configuration and opens the app; prints the error and returns NULL.
 * Unless LOG_LEVEL is set, a command logs warnings and errors only (its
 * progress is its own output) and a server (serve, mcp) logs at info. */
app_t *cli_open_app(void);
app_t *cli_open_server(void);
/* First start: creates the admin from ADMIN_USERNAME/ADMIN_PASSWORD when
 * there is no user yet, printing a generated password once. 0 or -1. */
int cli_first_admin(app_t *app);
/* The user a command acts as: `name`, or the admin when NULL (created on a
 * first start). Prints why and returns -1 when there is none. *out is the
 * caller's (store_user_free). */
int cli_user(app_t *app, const char *name, const char *cmd, store_user_t **out);
/* cli_open_app, then cli_user: the app a command acts in as `name` (the
 * admin when NULL). NULL, with the app closed, when either fails; *out is
 * the caller's (store_user_free), NULL on failure. */
app_t *cli_open_as(const char *name, const char *cmd, store_user_t **out);
/* Writes version (0: the latest) of mission mid's report as format (md,
 * html, pdf or docx) to the file out, or stdout when NULL; messages name
 * `maestro cmd`. 0, or 1 when there is no report or it cannot be written. */
int cli_write_report(app_t *app, const char *cmd, const char *mid, int version, const char *title, const char *out,
                     const char *format);
/* 1 if argv has --help or -h. */
int cli_wants_help(int argc, char **argv);
/* The thing a subcommand acts on and where its options start. With a
 * question (the subcommand takes a target): *target = argv[2] when it is there
 * and not an option, and 3; else prints "maestro <argv[0]> <argv[1]>:
 * <question>" and returns -1. Without one (question NULL): *target = NULL,
 * and 2. */
int cli_target(int argc, char **argv, const char *question, const char **target);
/* The value of option argv[i] (argv[i + 1]); NULL after printing
 * "maestro <cmd>: <option> needs a value" when there is none. */
const char *cli_value(int argc, char **argv, int i, const char *cmd);
/* A command's options that take a string: the option's name and where its
 * value goes. A list of them ends with {NULL, NULL}. */
typedef struct {
  const char *name;
  const char **value;
} cli_opt_t;
/* When a names one of opts, stores v in its place and returns 1; else 0. */
int cli_set_opt(const cli_opt_t *opts, const char *a, const char *v);

#endif
