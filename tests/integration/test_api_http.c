/* Integration: the HTTP layer of crt-api — health, readiness, metrics, request ids, and that
 * every error a client can provoke (including evhttp's own) is problem+json. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

static void assert_problem(struct resp *r, int status)
{
    cr_assert_eq(r->status, status, "status %d: %s", r->status, r->body);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/problem+json");
    cr_assert_not_null(r->json, "body is JSON: %s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "status")), status);
    cr_assert_not_null(json_string_value(json_object_get(r->json, "type")));
    cr_assert_not_null(json_string_value(json_object_get(r->json, "title")));
    cr_assert_not_null(json_string_value(json_object_get(r->json, "request_id")));
}

Test(http, healthz_and_readyz_answer)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/healthz", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/readyz", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ready");
    resp_free(&r);
}

Test(http, metrics_count_requests_by_route_and_status)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/me", "huis.coordinator", NULL), 0);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/metrics", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strncmp(resp_header(&r, "Content-Type"), "text/plain", 10) == 0);
    cr_assert_not_null(strstr(r.body, "crt_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"200\"}"), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "crt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/me\",le=\"+Inf\"}"));
    cr_assert_not_null(strstr(r.body, "crt_db_connections{state=\"connected\"} 2"));
    resp_free(&r);
}

Test(http, unknown_path_is_404_and_wrong_method_is_405_with_allow)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/nothing", "atlas.intake", NULL), 0);
    assert_problem(&r, 404);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "DELETE", "/v1/persons", "atlas.intake", NULL), 0);
    assert_problem(&r, 405);
    cr_assert_not_null(strstr(resp_header(&r, "Allow"), "POST"));
    cr_assert_not_null(strstr(resp_header(&r, "Allow"), "GET"));
    resp_free(&r);
}

Test(http, patch_reaches_the_router)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "PATCH", "/v1/persons/00000000-0000-4000-8000-000000000000",
                         "atlas.intake", "{\"reason\":\"abc\",\"source\":\"staff\",\"identification\":{\"title\":\"Dr\"}}"), 0);
    assert_problem(&r, 404); /* routed and handled, not evhttp's 501/405 */
    resp_free(&r);
}

Test(http, oversized_body_is_413_problem_json)
{
    size_t n = 70000;
    char *body = malloc(n + 64);
    memset(body, ' ', n + 64);
    memcpy(body, "{\"source\":\"", 11);
    body[n + 62] = '}';
    body[n + 63] = '\0';
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", "atlas.intake", body), 0);
    assert_problem(&r, 413);
    resp_free(&r);
    free(body);
}

Test(http, malformed_request_line_is_problem_json)
{
    struct resp r;
    const char *raw = "THIS IS NOT HTTP\r\n\r\n";
    cr_assert_eq(api_raw(&r, raw, strlen(raw)), 0);
    cr_assert_geq(r.status, 400);
    assert_problem(&r, r.status);
    resp_free(&r);
    const char *bad_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n";
    cr_assert_eq(api_raw(&r, bad_header, strlen(bad_header)), 0);
    assert_problem(&r, r.status);
    resp_free(&r);
}

Test(http, oversized_headers_are_problem_json)
{
    size_t n = 20000;
    char *raw = malloc(n + 128);
    int k = snprintf(raw, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(raw + k, 'a', n);
    strcpy(raw + k + n, "\r\n\r\n");
    struct resp r;
    cr_assert_eq(api_raw(&r, raw, strlen(raw)), 0);
    cr_assert_geq(r.status, 400);
    assert_problem(&r, r.status);
    resp_free(&r);
    free(raw);
}

Test(http, non_json_body_is_415)
{
    struct resp r;
    char raw[4096];
    snprintf(raw, sizeof raw, "POST /v1/persons HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\nContent-Type: text/plain\r\n"
             "Content-Length: 2\r\n\r\nhi", harness_token("atlas.intake"));
    cr_assert_eq(api_raw(&r, raw, strlen(raw)), 0);
    assert_problem(&r, 415);
    resp_free(&r);
}

Test(http, request_id_is_echoed_when_well_formed_and_replaced_otherwise)
{
    struct resp r;
    const char *good = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "X-Request-Id: trace-abc.123\r\n\r\n";
    cr_assert_eq(api_raw(&r, good, strlen(good)), 0);
    cr_assert_str_eq(resp_header(&r, "X-Request-Id"), "trace-abc.123");
    resp_free(&r);
    const char *bad = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "X-Request-Id: <script>\r\n\r\n";
    cr_assert_eq(api_raw(&r, bad, strlen(bad)), 0);
    cr_assert_eq(strlen(resp_header(&r, "X-Request-Id")), 32);
    resp_free(&r);
}

Test(http, unknown_purpose_is_refused)
{
    struct resp r;
    char raw[4096];
    snprintf(raw, sizeof raw, "GET /v1/persons?q=ab&birth_date=1990-01-01 HTTP/1.1\r\nHost: x\r\n"
             "Connection: close\r\nAuthorization: Bearer %s\r\nX-CRT-Purpose: curiosity\r\n\r\n",
             harness_token("atlas.intake"));
    cr_assert_eq(api_raw(&r, raw, strlen(raw)), 0);
    assert_problem(&r, 400);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "field")), "X-CRT-Purpose");
    resp_free(&r);
}

Test(http, identity_is_checked_before_the_body_is_read)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", NULL, "{not json"), 0);
    assert_problem(&r, 401);
    resp_free(&r);
}
