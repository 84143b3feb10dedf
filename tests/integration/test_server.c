/*
 * The real server binary over real HTTP: health, login, roles, admin user
 * management, malformed input, static files and path traversal, throttling,
 * logout, and the CLI's user management.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "server_support.h"

static ts_server_t srv;
static char *admin;

static void start(void) {
  cr_assert_eq(ts_server_start(&srv, NULL), 0, "server did not start");
  admin = ts_login(&srv, "admin", "admin-pass-123");
  cr_assert_not_null(admin, "first admin from ADMIN_PASSWORD must log in");
}

static void stop(void) {
  free(admin);
  cr_expect_eq(ts_server_stop(&srv), 0, "graceful shutdown exits 0");
}

TestSuite(server, .init = start, .fini = stop, .timeout = 120);

Test(server, health_reports_ok_and_version) {
  long st;
  json_t *j = ts_json(&srv, "GET", "/health", NULL, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(j, "status")), "ok");
  cr_expect_str_eq(json_string_value(json_object_get(j, "database")), "ok");
  cr_expect_not_null(json_string_value(json_object_get(j, "version")));
  json_decref(j);
}

Test(server, login_good_and_bad) {
  long st;
  json_t *body = json_pack("{s:s, s:s}", "username", "admin", "password", "admin-pass-123");
  json_t *j = ts_json(&srv, "POST", "/api/auth/login", NULL, body, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(j, "token_type")), "bearer");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "user"), "role")), "admin");
  cr_expect(json_integer_value(json_object_get(j, "expires_in")) > 0);
  json_decref(j);
  json_decref(body);
  body = json_pack("{s:s, s:s}", "username", "admin", "password", "wrong-password");
  j = ts_json(&srv, "POST", "/api/auth/login", NULL, body, &st);
  cr_expect_eq(st, 401);
  cr_expect_str_eq(ts_error_code(j), "invalid_credentials");
  json_decref(j);
  json_decref(body);
  body = json_pack("{s:s, s:s}", "username", "nobody", "password", "whatever-123");
  j = ts_json(&srv, "POST", "/api/auth/login", NULL, body, &st);
  cr_expect_eq(st, 401, "unknown user looks the same as a wrong password");
  json_decref(j);
  json_decref(body);
}

Test(server, no_or_bad_token_is_401_with_error_shape) {
  long st;
  json_t *j = ts_json(&srv, "GET", "/api/auth/me", NULL, NULL, &st);
  cr_expect_eq(st, 401);
  cr_expect_str_eq(ts_error_code(j), "unauthorized");
  cr_expect_not_null(json_string_value(json_object_get(json_object_get(j, "error"), "message")));
  json_decref(j);
  j = ts_json(&srv, "GET", "/api/auth/me", "not.a.token", NULL, &st);
  cr_expect_eq(st, 401);
  json_decref(j);
  j = ts_json(&srv, "GET", "/api/auth/me", admin, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(j, "username")), "admin");
  json_decref(j);
}

static char *make_user(const char *name, const char *role) {
  long st;
  json_t *body = json_pack("{s:s, s:s, s:s}", "username", name, "password", "password-123", "role", role);
  json_t *j = ts_json(&srv, "POST", "/api/admin/users", admin, body, &st);
  cr_assert_eq(st, 201, "create %s", name);
  char *id = util_strdup(json_string_value(json_object_get(j, "id")));
  json_decref(j);
  json_decref(body);
  return id;
}

Test(server, viewer_cannot_write_and_researcher_is_not_admin) {
  free(make_user("vera", "viewer"));
  free(make_user("rick", "researcher"));
  char *vt = ts_login(&srv, "vera", "password-123");
  char *rt = ts_login(&srv, "rick", "password-123");
  cr_assert_not_null(vt);
  cr_assert_not_null(rt);
  long st;
  json_t *body = json_pack("{s:s, s:s}", "username", "x1", "password", "password-123");
  json_t *j = ts_json(&srv, "POST", "/api/admin/users", vt, body, &st);
  cr_expect_eq(st, 403);
  cr_expect_str_eq(ts_error_code(j), "forbidden");
  json_decref(j);
  j = ts_json(&srv, "POST", "/api/admin/users", rt, body, &st);
  cr_expect_eq(st, 403);
  json_decref(j);
  json_decref(body);
  j = ts_json(&srv, "GET", "/api/auth/me", vt, NULL, &st);
  cr_expect_eq(st, 200, "viewers can read");
  json_decref(j);
  free(vt);
  free(rt);
}

Test(server, admin_user_crud_and_role_change_takes_effect_at_once) {
  char *id = make_user("dana", "researcher");
  long st;
  json_t *j = ts_json(&srv, "GET", "/api/admin/users", admin, NULL, &st);
  cr_expect_eq(st, 200);
  cr_expect_eq(json_array_size(json_object_get(j, "users")), 2);
  json_decref(j);
  json_t *body = json_pack("{s:s, s:s}", "username", "dana", "password", "password-123");
  j = ts_json(&srv, "POST", "/api/admin/users", admin, body, &st);
  cr_expect_eq(st, 409, "duplicate name");
  json_decref(j);
  json_decref(body);
  char *dt = ts_login(&srv, "dana", "password-123");
  cr_assert_not_null(dt);
  char path[128];
  snprintf(path, sizeof path, "/api/admin/users/%s", id);
  body = json_pack("{s:s}", "role", "viewer");
  j = ts_json(&srv, "PATCH", path, admin, body, &st);
  cr_expect_eq(st, 200);
  cr_expect_str_eq(json_string_value(json_object_get(j, "role")), "viewer");
  json_decref(j);
  json_decref(body);
  j = ts_json(&srv, "GET", "/api/auth/me", dt, NULL, &st);
  cr_expect_str_eq(json_string_value(json_object_get(j, "role")), "viewer", "old token sees the new role");
  json_decref(j);
  body = json_pack("{s:b}", "active", 0);
  j = ts_json(&srv, "PATCH", path, admin, body, &st);
  cr_expect_eq(st, 200);
  json_decref(j);
  json_decref(body);
  j = ts_json(&srv, "GET", "/api/auth/me", dt, NULL, &st);
  cr_expect_eq(st, 401, "a disabled user's token stops working");
  json_decref(j);
  body = json_pack("{s:s}", "role", "superuser");
  j = ts_json(&srv, "PATCH", path, admin, body, &st);
  cr_expect_eq(st, 422);
  json_decref(j);
  json_decref(body);
  j = ts_json(&srv, "DELETE", path, admin, NULL, &st);
  cr_expect_eq(st, 200);
  json_decref(j);
  j = ts_json(&srv, "DELETE", path, admin, NULL, &st);
  cr_expect_eq(st, 404);
  json_decref(j);
  free(dt);
  free(id);
}

Test(server, last_admin_cannot_be_demoted) {
  long st;
  json_t *me = ts_json(&srv, "GET", "/api/auth/me", admin, NULL, &st);
  char path[128];
  snprintf(path, sizeof path, "/api/admin/users/%s", json_string_value(json_object_get(me, "id")));
  json_decref(me);
  json_t *body = json_pack("{s:s}", "role", "viewer");
  json_t *j = ts_json(&srv, "PATCH", path, admin, body, &st);
  cr_expect_eq(st, 409);
  json_decref(j);
  json_decref(body);
}

Test(server, malformed_json_wrong_type_and_oversized_bodies) {
  ts_response_t r = ts_http(&srv, "POST", "/api/auth/login", NULL, "application/json", "{\"username\": ", 13);
  cr_expect_eq(r.status, 400);
  cr_expect(strstr(r.body, "invalid_json") != NULL, "%s", r.body);
  ts_response_free(&r);
  r = ts_http(&srv, "POST", "/api/auth/login", NULL, "text/plain", "hello", 5);
  cr_expect_eq(r.status, 415);
  ts_response_free(&r);
  size_t big = 2u << 20; /* over the 1 MiB default */
  char *body = malloc(big + 1);
  memset(body, ' ', big);
  body[0] = '{';
  body[big - 1] = '}';
  body[big] = '\0';
  r = ts_http(&srv, "POST", "/api/auth/login", NULL, "application/json", body, big);
  cr_expect_eq(r.status, 413);
  cr_expect(strstr(r.body, "payload_too_large") != NULL);
  ts_response_free(&r);
  free(body);
}

Test(server, unknown_api_path_is_json_404_and_wrong_method_405) {
  ts_response_t r = ts_http(&srv, "GET", "/api/nope", admin, NULL, NULL, 0);
  cr_expect_eq(r.status, 404);
  cr_expect(strstr(r.body, "\"not_found\"") != NULL);
  ts_response_free(&r);
  r = ts_http(&srv, "DELETE", "/api/auth/login", admin, NULL, NULL, 0);
  cr_expect_eq(r.status, 405);
  ts_response_free(&r);
}

Test(server, static_files_spa_fallback_and_traversal_refused) {
  /* The server was started without a UI build: the placeholder page answers. */
  ts_response_t r = ts_http(&srv, "GET", "/", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 200);
  cr_expect(strstr(r.body, "Maestro") != NULL);
  ts_response_free(&r);
  const char *attacks[] = {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fetc/passwd",
                           "/%2E%2E/server.log", "/..%5c..%5cetc/passwd"};
  for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
    r = ts_http(&srv, "GET", attacks[i], NULL, NULL, NULL, 0);
    cr_expect(r.status == 400 || r.status == 404, "%s -> %ld", attacks[i], r.status);
    cr_expect(strstr(r.body, "root:") == NULL, "%s leaked /etc/passwd", attacks[i]);
    ts_response_free(&r);
  }
}

Test(server, logout_revokes_the_token) {
  char *t = ts_login(&srv, "admin", "admin-pass-123");
  long st;
  json_t *j = ts_json(&srv, "POST", "/api/auth/logout", t, NULL, &st);
  cr_expect_eq(st, 200);
  json_decref(j);
  j = ts_json(&srv, "GET", "/api/auth/me", t, NULL, &st);
  cr_expect_eq(st, 401);
  cr_expect(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "revoked") != NULL);
  json_decref(j);
  j = ts_json(&srv, "GET", "/api/auth/me", admin, NULL, &st);
  cr_expect_eq(st, 200, "other sessions are unaffected");
  json_decref(j);
  free(t);
}

Test(server, repeated_failed_logins_are_throttled) {
  free(make_user("tina", "researcher"));
  long st = 0;
  json_t *bad = json_pack("{s:s, s:s}", "username", "tina", "password", "wrong-password");
  int got429 = 0;
  for (int i = 0; i < 8 && !got429; i++) {
    json_t *j = ts_json(&srv, "POST", "/api/auth/login", NULL, bad, &st);
    if (st == 429) {
      got429 = 1;
      cr_expect_str_eq(ts_error_code(j), "too_many_attempts");
    } else {
      cr_expect_eq(st, 401);
    }
    json_decref(j);
  }
  json_decref(bad);
  cr_expect(got429, "no 429 after repeated failures");
  json_t *good = json_pack("{s:s, s:s}", "username", "tina", "password", "password-123");
  json_t *j = ts_json(&srv, "POST", "/api/auth/login", NULL, good, &st);
  cr_expect_eq(st, 429, "even the right password waits out the window");
  json_decref(j);
  json_decref(good);
}

Test(server, change_password_and_registration_switch) {
  free(make_user("paul", "researcher"));
  char *pt = ts_login(&srv, "paul", "password-123");
  long st;
  json_t *body = json_pack("{s:s, s:s}", "current_password", "wrong", "new_password", "new-password-1");
  json_t *j = ts_json(&srv, "POST", "/api/auth/change-password", pt, body, &st);
  cr_expect_eq(st, 403);
  json_decref(j);
  json_decref(body);
  body = json_pack("{s:s, s:s}", "current_password", "password-123", "new_password", "new-password-1");
  j = ts_json(&srv, "POST", "/api/auth/change-password", pt, body, &st);
  cr_expect_eq(st, 200);
  json_decref(j);
  json_decref(body);
  char *again = ts_login(&srv, "paul", "new-password-1");
  cr_expect_not_null(again);
  free(again);
  free(pt);
  body = json_pack("{s:s, s:s}", "username", "newbie", "password", "password-123");
  j = ts_json(&srv, "POST", "/api/auth/register", NULL, body, &st);
  cr_expect_eq(st, 403, "registration is off by default");
  json_decref(j);
  json_t *on = json_pack("{s:b}", "registration_open", 1);
  j = ts_json(&srv, "PUT", "/api/admin/settings", admin, on, &st);
  cr_expect_eq(st, 200);
  json_decref(j);
  json_decref(on);
  j = ts_json(&srv, "POST", "/api/auth/register", NULL, body, &st);
  cr_expect_eq(st, 201);
  cr_expect_str_eq(json_string_value(json_object_get(j, "role")), "researcher");
  json_decref(j);
  json_decref(body);
}

Test(server, metrics_are_prometheus_text) {
  ts_response_t r = ts_http(&srv, "GET", "/metrics", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 200);
  cr_expect(strstr(r.body, "# TYPE maestro_websocket_clients gauge") != NULL, "%s", r.body);
  cr_expect(strstr(r.body, "maestro_http_requests_total{code=\"2xx\"}") != NULL, "%s", r.body);
  ts_response_free(&r);
}

/* The CLI manages the same users without HTTP. */
Test(server, cli_user_add_list_and_disable, .init = NULL, .fini = NULL) {
  char dir[256];
  ts_tmpdir(dir, sizeof dir);
  char *out = NULL;
  cr_expect_eq(ts_run_cli(dir, NULL, "password-123\n", &out, "user", "add", "carol", "--role", "viewer",
                          "--password-stdin", NULL),
               0);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, "short\n", &out, "user", "add", "weak", "--password-stdin", NULL), 1,
               "weak password refused");
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "list", NULL), 0);
  cr_expect(strstr(out, "carol") && strstr(out, "viewer"), "%s", out);
  cr_expect(strstr(out, "weak") == NULL);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "role", "carol", "researcher", NULL), 0);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "disable", "carol", NULL), 0);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "list", NULL), 0);
  cr_expect(strstr(out, "researcher") && strstr(out, " no "), "%s", out);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "frobnicate", "x", NULL), 2, "usage error exits 2");
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "bogus", NULL), 2);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "user", "--help", NULL), 0);
  free(out);
  const char *bad_env[] = {"BACKEND_PORT=notaport", NULL};
  cr_expect_eq(ts_run_cli(dir, bad_env, NULL, &out, "doctor", NULL), 1);
  cr_expect(strstr(out, "BACKEND_PORT") != NULL, "%s", out);
  free(out);
  cr_expect_eq(ts_run_cli(dir, NULL, NULL, &out, "doctor", NULL), 0);
  cr_expect(strstr(out, "OK   database") != NULL, "%s", out);
  free(out);
}

/* Without ADMIN_PASSWORD a password is generated and printed once. */
Test(server, generated_admin_password_is_printed_once, .init = NULL, .fini = NULL) {
  ts_server_t s2;
  const char *env[] = {"ADMIN_PASSWORD=", NULL};
  cr_assert_eq(ts_server_start(&s2, env), 0);
  char *log = util_read_file(s2.log, NULL);
  cr_assert_not_null(log);
  const char *p = strstr(log, "generated password:");
  cr_assert_not_null(p, "%s", log);
  char pw[64] = "";
  sscanf(p + strlen("generated password:"), " %63s", pw);
  char *t = ts_login(&s2, "admin", pw);
  cr_expect_not_null(t, "generated password '%s' works", pw);
  free(t);
  free(log);
  cr_expect_eq(ts_server_stop(&s2), 0);
  /* a restart does not print a new one */
  cr_assert_eq(ts_server_start_in(&s2, s2.dir, env), 0);
  log = util_read_file(s2.log, NULL);
  const char *first = strstr(log, "generated password:");
  cr_expect(first && strstr(first + 1, "generated password:") == NULL, "printed twice");
  free(log);
  cr_expect_eq(ts_server_stop(&s2), 0);
}

/* A built UI: MIME types, caching of hashed assets, SPA fallback, no listing. */
Test(server, serves_a_built_ui_with_spa_fallback, .init = NULL, .fini = NULL) {
  char dist[256];
  ts_tmpdir(dist, sizeof dist);
  char p[400];
  snprintf(p, sizeof p, "%s/assets", dist);
  util_mkdirs(p, 0755);
  snprintf(p, sizeof p, "%s/index.html", dist);
  util_write_file(p, "<!doctype html><title>UI</title><div id=root></div>", 52, 0644);
  snprintf(p, sizeof p, "%s/assets/index-abc123.js", dist);
  util_write_file(p, "console.log(1)", 14, 0644);
  char env_dist[300];
  snprintf(env_dist, sizeof env_dist, "WEB_DIST=%s", dist);
  const char *env[] = {env_dist, NULL};
  ts_server_t s;
  cr_assert_eq(ts_server_start(&s, env), 0);
  ts_response_t r = ts_http(&s, "GET", "/", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 200);
  cr_expect(strstr(r.body, "id=root") != NULL);
  cr_expect(strcasestr(r.headers, "Content-Type: text/html") != NULL, "%s", r.headers);
  cr_expect(strcasestr(r.headers, "Cache-Control: no-cache") != NULL, "%s", r.headers);
  ts_response_free(&r);
  r = ts_http(&s, "GET", "/assets/index-abc123.js", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 200);
  cr_expect(strcasestr(r.headers, "javascript") != NULL, "%s", r.headers);
  cr_expect(strcasestr(r.headers, "immutable") != NULL, "%s", r.headers);
  ts_response_free(&r);
  r = ts_http(&s, "GET", "/missions/abc/report", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 200, "client-side route falls back to index.html");
  cr_expect(strstr(r.body, "id=root") != NULL);
  ts_response_free(&r);
  r = ts_http(&s, "GET", "/assets/", NULL, NULL, NULL, 0);
  cr_expect(strstr(r.body, "index-abc123.js") == NULL, "no directory listing");
  ts_response_free(&r);
  r = ts_http(&s, "GET", "/missing.png", NULL, NULL, NULL, 0);
  cr_expect_eq(r.status, 404);
  ts_response_free(&r);
  cr_expect_eq(ts_server_stop(&s), 0);
}

/* FRONTEND_PORT serves the same API and UI as BACKEND_PORT. */
Test(server, frontend_port_serves_the_same_api, .init = NULL, .fini = NULL) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  int fport = ntohs(a.sin_port);
  close(fd);
  char env_port[64];
  snprintf(env_port, sizeof env_port, "FRONTEND_PORT=%d", fport);
  const char *env[] = {env_port, NULL};
  ts_server_t s;
  cr_assert_eq(ts_server_start(&s, env), 0);
  ts_server_t other = s;
  other.port = fport;
  long st;
  json_t *j = ts_json(&other, "GET", "/health", NULL, NULL, &st);
  cr_expect_eq(st, 200, "health on the frontend port");
  json_decref(j);
  cr_expect_eq(ts_server_stop(&s), 0);
}
