/* Router: patterns with parameters, method mismatch, trailing slashes. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"

static int h1(http_req_t *r) { return (void)r, 1; }
static int h2(http_req_t *r) { return (void)r, 2; }
static int h3(http_req_t *r) { return (void)r, 3; }

Test(router, matches_literal_and_parameter_routes) {
  http_router_t *rt = http_router_new();
  http_route(rt, "GET", "/api/missions", ROLE_VIEWER, h1);
  http_route(rt, "GET", "/api/missions/{id}", ROLE_VIEWER, h2);
  http_route(rt, "POST", "/api/missions/{id}/resume-round/{n}", ROLE_RESEARCHER, h3);
  http_req_t r;
  http_handler_fn fn;
  role_t role;

  memset(&r, 0, sizeof r);
  cr_assert_eq(http_router_match(rt, "GET", "/api/missions", &r, &fn, &role), 1);
  cr_expect_eq(fn, h1);
  http_req_clear(&r);

  memset(&r, 0, sizeof r);
  cr_assert_eq(http_router_match(rt, "GET", "/api/missions/abc123", &r, &fn, &role), 1);
  cr_expect_eq(fn, h2);
  cr_expect_str_eq(http_param(&r, "id"), "abc123");
  cr_expect_null(http_param(&r, "i"));
  http_req_clear(&r);

  memset(&r, 0, sizeof r);
  cr_assert_eq(http_router_match(rt, "POST", "/api/missions/m1/resume-round/2", &r, &fn, &role), 1);
  cr_expect_eq(fn, h3);
  cr_expect_eq(role, ROLE_RESEARCHER);
  cr_expect_str_eq(http_param(&r, "id"), "m1");
  cr_expect_str_eq(http_param(&r, "n"), "2");
  http_req_clear(&r);

  memset(&r, 0, sizeof r);
  cr_expect_eq(http_router_match(rt, "GET", "/api/missions/", &r, &fn, &role), 1, "trailing slash tolerated");
  http_req_clear(&r);
  http_router_free(rt);
}

Test(router, wrong_method_and_unknown_paths) {
  http_router_t *rt = http_router_new();
  http_route(rt, "GET", "/api/missions/{id}", ROLE_VIEWER, h2);
  http_req_t r;
  memset(&r, 0, sizeof r);
  http_handler_fn fn;
  role_t role;
  cr_expect_eq(http_router_match(rt, "DELETE", "/api/missions/x", &r, &fn, &role), 2);
  cr_expect_eq(http_router_match(rt, "GET", "/api/missions/x/y", &r, &fn, &role), 0);
  cr_expect_eq(http_router_match(rt, "GET", "/api/missions//", &r, &fn, &role), 0, "empty segment is no id");
  cr_expect_eq(http_router_match(rt, "GET", "/api/other", &r, &fn, &role), 0);
  cr_expect_eq(http_router_match(rt, "HEAD", "/api/missions/x", &r, &fn, &role), 1, "HEAD uses GET routes");
  http_req_clear(&r);
  http_router_free(rt);
}

Test(router, role_names_roundtrip) {
  cr_expect_eq(role_parse("admin"), ROLE_ADMIN);
  cr_expect_eq(role_parse("researcher"), ROLE_RESEARCHER);
  cr_expect_eq(role_parse("viewer"), ROLE_VIEWER);
  cr_expect_eq(role_parse("root"), ROLE_NONE);
  cr_expect_eq(role_parse(NULL), ROLE_NONE);
  cr_expect_str_eq(role_name(ROLE_RESEARCHER), "researcher");
}
