/*
 * pgdump.c - backup and restore of a PostgreSQL store through the
 * PostgreSQL client programs (pg_dump / pg_restore, custom format).
 *
 * The programs are found on PATH (Debian: postgresql-client-15, whose
 * /usr/bin wrappers pick the newest installed version). The connection
 * settings go to the child through PG* environment variables, never on its
 * command line, where any local user could read a password. The child's
 * stderr is captured and becomes the error message.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "store/store.h"
#include "store/store_internal.h"

static const struct {
  const char *keyword, *env;
} pg_env[] = {{"host", "PGHOST"},         {"hostaddr", "PGHOSTADDR"}, {"port", "PGPORT"},
              {"dbname", "PGDATABASE"},   {"user", "PGUSER"},         {"password", "PGPASSWORD"},
              {"sslmode", "PGSSLMODE"},   {"passfile", "PGPASSFILE"}, {"connect_timeout", "PGCONNECT_TIMEOUT"},
              {"sslrootcert", "PGSSLROOTCERT"}};

/* Runs argv (argv[0] looked up on PATH) with conninfo in the environment;
 * 0, or -1 with the program's complaint in err. */
static int run_pg_program(const char *conninfo, char *const argv[], char *err, size_t errlen) {
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
  if (!opts) {
    snprintf(err, errlen, "DATABASE_URL: %s", perr ? perr : "cannot be parsed");
    PQfreemem(perr);
    return -1;
  }
  int pipefd[2];
  if (pipe(pipefd) != 0) {
    PQconninfoFree(opts);
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    for (size_t k = 0; k < sizeof pg_env / sizeof *pg_env; k++) unsetenv(pg_env[k].env);
    for (PQconninfoOption *o = opts; o->keyword; o++)
      for (size_t k = 0; k < sizeof pg_env / sizeof *pg_env; k++)
        if (o->val && *o->val && strcmp(o->keyword, pg_env[k].keyword) == 0) setenv(pg_env[k].env, o->val, 1);
    dup2(pipefd[1], STDERR_FILENO);
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    execvp(argv[0], argv);
    fprintf(stderr, "%s is not installed (Debian: apt-get install postgresql-client-15)", argv[0]);
    _exit(127);
  }
  PQconninfoFree(opts);
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    snprintf(err, errlen, "fork: %s", strerror(errno));
    return -1;
  }
  buf_t out = BUF_INIT;
  char chunk[1024];
  ssize_t n;
  while ((n = read(pipefd[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) buf_append(&out, chunk, (size_t)n);
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    const char *msg = out.len ? out.data : "no message";
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) len--;
    snprintf(err, errlen, "%s failed: %.*s", argv[0], (int)len, msg);
  }
  buf_free(&out);
  return ok ? 0 : -1;
}

int store_pg_dump(store_t *st, const char *dest, char *err, size_t errlen) {
  const char *conninfo = store_pg_conninfo(st);
  if (!conninfo) {
    snprintf(err, errlen, "not a PostgreSQL store");
    return -1;
  }
  char file[1100];
  snprintf(file, sizeof file, "--file=%s", dest);
  char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", file, NULL};
  return run_pg_program(conninfo, argv, err, errlen);
}

int store_pg_restore(const char *conninfo, const char *src, char *err, size_t errlen) {
  /* pg_restore connects only to the database named by --dbname */
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
  PQfreemem(perr);
  const char *db = NULL;
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val) db = o->val;
  char dbarg[300];
  snprintf(dbarg, sizeof dbarg, "--dbname=%s", db ? db : "postgres");
  char *argv[] = {"pg_restore",     "--clean",         "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", "--exit-on-error", dbarg,         (char *)src, NULL};
  int rc = run_pg_program(conninfo, argv, err, errlen);
  PQconninfoFree(opts);
  return rc;
}

int store_pg_other_sessions(const char *conninfo, int *has_schema, char *err, size_t errlen) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
    PQfinish(c);
    return -1;
  }
  PGresult *r = PQexec(c,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                       "application_name = 'maestro' AND pid <> pg_backend_pid()");
  int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
  if (n < 0) snprintf(err, errlen, "%s", PQerrorMessage(c));
  PQclear(r);
  if (has_schema) {
    r = PQexec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    *has_schema = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
  }
  PQfinish(c);
  return n;
}
