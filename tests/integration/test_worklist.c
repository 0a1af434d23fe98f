/* Integration: what the web application's home and forms read — GET /v1/me/persons (who lists
 * whom, why, filters, paging, one access-log row per person listed), GET /v1/me/access and
 * GET /v1/caseworkers — against a real crt-api and PostgreSQL. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The item of person id in the page the token lists with query q (NULL: not listed; borrowed
 * from r, which the caller frees). */
static json_t *listed(struct resp *r, const char *token, const char *q, const char *id)
{
    api_reqf_token(r, "GET", token, NULL, "/v1/me/persons%s", q);
    cr_assert_eq(r->status, 200, "%s: %s", q, r->body);
    json_t *items = json_object_get(r->json, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it) if (strcmp(jstr(it, "id"), id) == 0) return it;
    return NULL;
}

static char *new_person(char last[64])
{
    unique_name(last, 64, "Worklist");
    char *id = create_person(INTAKE, "Mira", last, "1991-03-04");
    cr_assert_not_null(id);
    return id;
}

Test(worklist, each_role_lists_exactly_whom_it_may_see_and_why)
{
    char last[64], q[128];
    struct account cw, other;
    struct resp r;
    char *id = new_person(last);
    snprintf(q, sizeof q, "?q=%s", last);
    cr_assert(account_new(&cw, "atlas", "caseworker"));
    cr_assert(account_new(&other, "ingent", "coordinator"));

    json_t *it = listed(&r, harness_token(INTAKE), q, id);
    cr_assert_not_null(it, "intake lists its own registration");
    cr_assert_str_eq(jstr(it, "access_reason"), "own_registration");
    cr_assert_str_eq(jstr(json_object_get(it, "identification"), "last_name"), last);
    cr_assert_null(json_object_get(it, "contact"), "recognisable fields only");
    resp_free(&r);
    cr_assert_not_null(it = listed(&r, harness_token(COORD), q, id), "the coordinator lists it");
    cr_assert_str_eq(jstr(it, "access_reason"), "coordinator_scope");
    cr_assert(json_is_false(json_object_get(it, "assigned")));
    resp_free(&r);
    cr_assert_null(listed(&r, cw.token, q, id), "an unassigned caseworker does not");
    resp_free(&r);
    cr_assert_null(listed(&r, other.token, q, id), "another controller does not");
    resp_free(&r);

    char body[96];
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", cw.user_id);
    api_reqf_token(&r, "POST", harness_token(COORD), body, "/v1/persons/%s/assignments", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    cr_assert_not_null(it = listed(&r, cw.token, q, id), "the assigned caseworker lists it");
    cr_assert_str_eq(jstr(it, "access_reason"), "assignment");
    resp_free(&r);
    snprintf(q, sizeof q, "?q=%s&unassigned=true", last);
    cr_assert_null(listed(&r, harness_token(COORD), q, id), "unassigned=true leaves it out now");
    resp_free(&r);

    api_reqf_token(&r, "GET", harness_token("atlas.dpo"), NULL, "/v1/me/persons");
    cr_assert_eq(r.status, 403, "the DPO reads no person records: %s", r.body);
    resp_free(&r);
    account_free(&cw);
    account_free(&other);
    free(id);
}

Test(worklist, every_person_listed_is_logged_with_its_reason)
{
    char last[64];
    struct resp r;
    char *id = new_person(last);
    PGconn *c = db_super();
    const char *p[] = {id};
    const char *count = "SELECT count(*) FROM access_log WHERE person_id = $1::uuid AND action = 'search' "
                        "AND outcome = 'allowed' AND reason = 'coordinator_scope' "
                        "AND field_groups = '{identification}' AND purpose = 'guidance'";
    long before = sql_long(c, count, 1, p);
    char q[128];
    snprintf(q, sizeof q, "?q=%s", last);
    cr_assert_not_null(listed(&r, harness_token(COORD), q, id));
    resp_free(&r);
    cr_assert_eq(sql_long(c, count, 1, p), before + 1, "one search row for the person listed");
    PQfinish(c);
    free(id);
}

Test(worklist, pages_and_refuses_bad_parameters)
{
    char last[64], q[160];
    struct resp r;
    char *a = new_person(last);
    char *b = create_person(INTAKE, "Mira", last, "1991-03-04");
    cr_assert_not_null(b);
    snprintf(q, sizeof q, "/v1/me/persons?q=%s&limit=1", last);
    api_reqf_token(&r, "GET", harness_token(COORD), NULL, "%s", q);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "id"), b, "newest first");
    cr_assert_eq(json_integer_value(json_object_get(r.json, "next_offset")), 1);
    resp_free(&r);
    api_reqf_token(&r, "GET", harness_token(COORD), NULL, "%s&offset=1", q);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "id"), a);
    cr_assert(json_is_null(json_object_get(r.json, "next_offset")), "the last page");
    resp_free(&r);
    const char *bad[] = {"?limit=0", "?limit=101", "?offset=-1", "?q=x", "?unassigned=yes", "?nope=1",
                         "?limit=1&limit=2"};
    const char *field[] = {"limit", "limit", "offset", "q", "unassigned", "nope", "limit"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_reqf_token(&r, "GET", harness_token(COORD), NULL, "/v1/me/persons%s", bad[i]);
        cr_assert_eq(r.status, 400, "%s: %s", bad[i], r.body);
        cr_assert_str_eq(jstr(r.json, "field"), field[i], "%s", bad[i]);
        resp_free(&r);
    }
    free(a);
    free(b);
}

Test(worklist, access_matrix_and_caseworkers)
{
    struct resp r;
    api_reqf_token(&r, "GET", harness_token("atlas.education"), NULL, "/v1/me/access");
    cr_assert_eq(r.status, 200);
    json_t *w = json_object_get(r.json, "write");
    cr_assert_eq(json_array_size(w), 1, "education writes one group: %s", r.body);
    cr_assert_str_eq(json_string_value(json_array_get(w, 0)), "education");
    resp_free(&r);
    api_reqf_token(&r, "GET", harness_token(COORD), NULL, "/v1/caseworkers");
    cr_assert_eq(r.status, 200);
    json_t *it;
    size_t i;
    PGconn *c = db_super();
    json_array_foreach(json_object_get(r.json, "items"), i, it) {
        const char *p[] = {jstr(it, "id")};
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM staff_users u JOIN controllers k ON "
                                 "k.id = u.controller_id WHERE u.id = $1::uuid AND k.code = 'atlas' "
                                 "AND u.role = 'caseworker' AND u.disabled_at IS NULL", 1, p),
                     1, "only enabled caseworkers of the caller's controller: %s", jstr(it, "username"));
    }
    PQfinish(c);
    cr_assert_gt(json_array_size(json_object_get(r.json, "items")), 0, "%s", r.body);
    resp_free(&r);
    api_reqf_token(&r, "GET", harness_token(INTAKE), NULL, "/v1/caseworkers");
    cr_assert_eq(r.status, 403, "coordinators only");
    resp_free(&r);
}
