/*
 * pg.c - throwaway PostgreSQL clusters for the tests (see pg.h).
 *
 * The cluster is owned by a guardian: a shell started with the read end of
 * a pipe as its stdin. It creates and starts the cluster, prints one line
 * ("OK conninfo" or "ERR reason") and then reads its stdin until EOF. The
 * test binary holds the write end (close-on-exec, so servers the tests
 * start never keep it open); when the binary closes it or dies, the shell's
 * EXIT trap stops the server (immediate mode: nothing to keep) and removes
 * the directory. A shell rather than C code after fork() because the
 * runner has threads: exec at once is the only safe thing to do there.
 */
#include "pg.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG_BIN "/usr/lib/postgresql/15/bin"

static const char *GUARDIAN =
    "dir=$1; bin=$2\n"
    "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }\n"
    "cleanup() {\n"
    "  [ -f \"$dir/data/postmaster.pid\" ] && run \"$bin/pg_ctl\" -D \"$dir/data\" -m immediate -w stop >/dev/null "
    "2>&1\n"
    "  rm -rf \"$dir\"\n"
    "}\n"
    "trap cleanup EXIT\n"
    "trap 'exit 1' HUP INT TERM\n"
    "if [ ! -x \"$bin/initdb\" ] || [ ! -x \"$bin/pg_ctl\" ]; then\n"
    "  echo \"ERR PostgreSQL 15 is not installed ($bin/initdb not found): run scripts/install-deps.sh --test\"; exit "
    "1\n"
    "fi\n"
    "if [ \"$(id -u)\" = 0 ]; then\n"
    "  id -u postgres >/dev/null 2>&1 || { echo 'ERR the tests run as root but there is no postgres user'; exit 1; }\n"
    "  chown postgres \"$dir\" || { echo \"ERR cannot give $dir to postgres\"; exit 1; }\n"
    "fi\n"
    "if ! run \"$bin/initdb\" --no-sync -A trust -U postgres -E UTF8 --locale=C -D \"$dir/data\" "
    ">\"$dir/initdb.log\" 2>&1; then\n"
    "  echo \"ERR initdb failed: $(tail -n 3 \"$dir/initdb.log\" | tr '\\n' ' ')\"; exit 1\n"
    "fi\n"
    "if ! run \"$bin/pg_ctl\" -D \"$dir/data\" -l \"$dir/server.log\" -w -t 60 "
    "-o \"-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=300\" start </dev/null >/dev/null 2>&1; then\n"
    "  echo \"ERR PostgreSQL did not start: $(tail -n 3 \"$dir/server.log\" | tr '\\n' ' ')\"; exit 1\n"
    "fi\n"
    "echo \"OK host=$dir user=postgres\"\n"
    "cat >/dev/null\n";

static int g_control = -1; /* closing it tells the guardian to clean up */
static int g_result = -1;  /* EOF on it: the guardian is done */

static void set_error(const char *msg) {
  setenv("MAESTRO_TEST_PG_ERROR", msg, 1);
  unsetenv("MAESTRO_TEST_PG");
}

void pg_test_cluster_up(void) {
  if (g_control >= 0) return;
  const char *bin = getenv("MAESTRO_TEST_PG_BIN");
  if (!bin || !*bin) bin = PG_BIN;
  char dir[] = "/tmp/maestro-pg-XXXXXX";
  if (!mkdtemp(dir)) {
    set_error("cannot create a temp directory for the PostgreSQL cluster");
    return;
  }
  int control[2], result[2];
  if (pipe2(control, O_CLOEXEC) != 0 || pipe2(result, O_CLOEXEC) != 0) {
    set_error("pipe failed");
    return;
  }
  /* Double fork: the guardian is not our child. Criterion's runner watches
   * its children (waitid on all of them) and stalls on one it does not know,
   * so only the short-lived middle process is ours, reaped at once. */
  pid_t pid = fork();
  if (pid < 0) {
    set_error("fork failed");
    return;
  }
  if (pid == 0) {
    if (fork() != 0) _exit(0);
    dup2(control[0], 0);
    dup2(result[1], 1);
    execl("/bin/sh", "sh", "-c", GUARDIAN, "pg-guardian", dir, bin, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(control[0]);
  close(result[1]);
  g_control = control[1];
  g_result = result[0];
  char line[1024] = "";
  size_t n = 0;
  while (n + 1 < sizeof line) {
    ssize_t r = read(result[0], line + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  if (strncmp(line, "OK ", 3) == 0) {
    setenv("MAESTRO_TEST_PG", line + 3, 1);
    unsetenv("MAESTRO_TEST_PG_ERROR");
  } else {
    set_error(strncmp(line, "ERR ", 4) == 0 ? line + 4 : "the PostgreSQL guardian ended without a word");
  }
}

void pg_test_cluster_down(void) {
  if (g_control < 0) return;
  close(g_control);
  g_control = -1;
  char buf[256];
  ssize_t r;
  while ((r = read(g_result, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)) {
  }
  close(g_result);
  g_result = -1;
}

int pg_test_exec(const char *conninfo, const char *sql, char *err, size_t errlen) {
  PGconn *c = PQconnectdb(conninfo);
  int rc = -1;
  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(err, errlen, "cannot connect to %s: %s", conninfo, PQerrorMessage(c));
  } else {
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
      rc = 0;
    else
      snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
  }
  PQfinish(c);
  return rc;
}

char *pg_test_scalar(const char *conninfo, const char *sql) {
  PGconn *c = PQconnectdb(conninfo);
  char *out = NULL;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
      out = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

int pg_cluster_new_db(char *out, size_t outlen, char *err, size_t errlen) {
  const char *base = getenv("MAESTRO_TEST_PG");
  const char *why = getenv("MAESTRO_TEST_PG_ERROR");
  if (!base) {
    snprintf(err, errlen, "no PostgreSQL test cluster: %s",
             why ? why : "the test binary does not start one (#include \"pg_cluster_hooks.h\" missing)");
    return -1;
  }
  static int counter;
  char name[64], sql[128], msg[512], admin[512];
  snprintf(name, sizeof name, "t%ld_%d", (long)getpid(), ++counter);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
  snprintf(admin, sizeof admin, "%s dbname=postgres", base);
  if (pg_test_exec(admin, sql, msg, sizeof msg) != 0) {
    snprintf(err, errlen, "cannot create a test database: %s", msg);
    return -1;
  }
  snprintf(out, outlen, "%s dbname=%s", base, name);
  return 0;
}

int pg_conninfo_url(const char *conninfo, char *url, size_t n) {
  char host[300] = "", user[64] = "", db[64] = "";
  if (sscanf(conninfo, "host=%299s user=%63s dbname=%63s", host, user, db) != 3) return -1;
  snprintf(url, n, "postgresql://%s@/%s?host=%s", user, db, host);
  return 0;
}
