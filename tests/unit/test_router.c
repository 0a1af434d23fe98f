/* Unit: the router — literal and {param} segments, 404 versus 405, limits on captures. */
#include <criterion/criterion.h>
#include <string.h>

#include "crt/router.h"

static void h(struct http_ctx *ctx) { (void)ctx; }

static const struct route table[] = {
    {HTTP_GET, "/v1/persons", h, 0},
    {HTTP_POST, "/v1/persons", h, 0},
    {HTTP_GET, "/v1/persons/{id}", h, 0},
    {HTTP_PATCH, "/v1/persons/{id}", h, 0},
    {HTTP_GET, "/v1/persons/{id}/trajectory", h, 0},
    {HTTP_GET, "/v1/reviews/{review}/findings/{finding}", h, 0},
};
#define N (sizeof table / sizeof table[0])

Test(router, matches_literal_paths_by_method)
{
    struct route_match m;
    cr_assert_eq(router_match(table, N, HTTP_POST, "/v1/persons", &m), ROUTER_OK);
    cr_assert_eq(m.index, 1);
    cr_assert_eq(m.nparams, 0);
}

Test(router, captures_parameters)
{
    struct route_match m;
    cr_assert_eq(router_match(table, N, HTTP_GET, "/v1/reviews/r1/findings/f-2", &m), ROUTER_OK);
    cr_assert_eq(m.index, 5);
    cr_assert_str_eq(router_param(&m, "review"), "r1");
    cr_assert_str_eq(router_param(&m, "finding"), "f-2");
    cr_assert_null(router_param(&m, "find"));
}

Test(router, longer_and_shorter_paths_do_not_match)
{
    struct route_match m;
    cr_assert_eq(router_match(table, N, HTTP_GET, "/v1/persons/abc/trajectory/x", &m), ROUTER_NOT_FOUND);
    cr_assert_eq(router_match(table, N, HTTP_GET, "/v1", &m), ROUTER_NOT_FOUND);
    cr_assert_eq(router_match(table, N, HTTP_GET, "/v1/persons/", &m), ROUTER_NOT_FOUND, "empty capture");
    cr_assert_eq(router_match(table, N, HTTP_GET, "/v1/personsX", &m), ROUTER_NOT_FOUND);
    cr_assert_eq(router_match(table, N, HTTP_GET, "", &m), ROUTER_NOT_FOUND);
}

Test(router, wrong_method_reports_the_allowed_ones)
{
    struct route_match m;
    cr_assert_eq(router_match(table, N, HTTP_DELETE, "/v1/persons/abc", &m), ROUTER_METHOD_NOT_ALLOWED);
    cr_assert_eq(m.allowed, HTTP_GET | HTTP_PATCH);
}

Test(router, overlong_captures_and_paths_do_not_match)
{
    struct route_match m;
    char path[400] = "/v1/persons/";
    memset(path + 12, 'a', 200);
    path[212] = '\0';
    cr_assert_eq(router_match(table, N, HTTP_GET, path, &m), ROUTER_NOT_FOUND);
    char huge[ROUTER_MAX_PATH + 10];
    memset(huge, '/', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    cr_assert_eq(router_match(table, N, HTTP_GET, huge, &m), ROUTER_NOT_FOUND);
}
