/*
 * server_support.h - test helpers: a temp directory, the real maestro binary
 * started as a child process on a free loopback port, and a small HTTP
 * client (libcurl). Used by the integration tests.
 */
#ifndef MAESTRO_TEST_SERVER_SUPPORT_H
#define MAESTRO_TEST_SERVER_SUPPORT_H

#include <jansson.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[256]; /* working directory (data under dir/data) */
  char log[300]; /* stderr of the server */
  int ready_fd;  /* between ts_server_spawn_role and ts_server_ready: the server's stdout */
} ts_server_t;

typedef struct {
  long status;
  char *body; /* NUL-terminated, malloc'd */
  size_t len;
  char *headers; /* raw response headers, malloc'd */
} ts_response_t;

/* Makes a fresh temp directory (path written into out, >= 256 bytes). */
void ts_tmpdir(char *out, size_t n);
/* Symlinks rel, a file of the build directory (next to the binary, e.g.
 * "test-plugins/asker.so"), into dir under its base name: a PLUGINS_DIR.
 * 0, or -1 (errno set). */
int ts_link_build_file(const char *dir, const char *rel);
/* Starts `maestro serve` in a fresh temp dir with the given extra environment
 * ("NAME=value" strings, NULL-terminated; may be NULL). Waits until it
 * listens. Returns 0 or -1. ADMIN_PASSWORD defaults to "admin-pass-123". */
int ts_server_start(ts_server_t *s, const char *const *env);
/* Same, reusing an existing directory (restart tests). */
int ts_server_start_in(ts_server_t *s, const char *dir, const char *const *env);
/* Same with `--role ROLE` (NULL: no flag); a worker has no port (0): it is
 * started when it says "maestro: worker running". */
int ts_server_start_role(ts_server_t *s, const char *dir, const char *const *env, const char *role);
/* ts_server_start_role in two halves, to start several processes at once:
 * spawn forks and execs; ready waits for the "listening" / "worker running"
 * line (0), or returns -1 when the process ended first (it is reaped). */
int ts_server_spawn_role(ts_server_t *s, const char *dir, const char *const *env, const char *role);
int ts_server_ready(ts_server_t *s);
/* SIGTERM and wait; returns the exit status (or -1). */
int ts_server_stop(ts_server_t *s);
/* SIGKILL and wait. */
void ts_server_kill(ts_server_t *s);

/* An HTTP request to the server. body may be NULL; content_type NULL means
 * application/json when body is set. token may be NULL. */
ts_response_t ts_http(ts_server_t *s, const char *method, const char *path, const char *token, const char *content_type,
                      const char *body, size_t body_len);
/* ts_http with a JSON body; returns the parsed JSON reply (new reference or NULL) and the status. */
json_t *ts_json(ts_server_t *s, const char *method, const char *path, const char *token, json_t *body, long *status);
void ts_response_free(ts_response_t *r);
/* Multipart upload of files (NULL-terminated paths, field "files") to
 * POST /api/documents, optionally into group_id; the JSON reply (new
 * reference or NULL) and the status. */
json_t *ts_upload(ts_server_t *s, const char *token, const char *const *paths, const char *group_id, long *status);
/* Polls GET /api/documents/{id} until the document is 'ready' or
 * 'failed' and returns it (new reference), or NULL after seconds. */
json_t *ts_wait_document(ts_server_t *s, const char *token, const char *id, int seconds);
/* Logs in and returns a malloc'd access token (NULL on failure). */
char *ts_login(ts_server_t *s, const char *user, const char *password);
/* Runs the maestro binary with args in dir, stdin from `input` (may be NULL);
 * captures stdout into *out (malloc'd). Returns the exit status. */
int ts_run_cli(const char *dir, const char *const *env, const char *input, char **out, const char *arg0, ...);
/* 1 when MAESTRO_TEST_BACKEND=pg: the servers, CLI runs and in-process
 * apps of the tests use PostgreSQL instead of SQLite. */
int ts_backend_is_pg(void);
/* "DATABASE_URL=..." for the server directory dir into out: "" on SQLite
 * (the server's default file in dir), on PostgreSQL the database of dir
 * (created on first use in the binary's cluster, the same one afterwards).
 * 0, or -1 with the reason on stderr. ts_server_start* and ts_run_cli
 * apply it; an env entry DATABASE_URL=... given to them overrides it. */
int ts_database_env(const char *dir, char *out, size_t n);
/* The error code string of an API error reply ("" if none). */
const char *ts_error_code(json_t *reply);

#endif
