/* Integration: the national register number (sealed at rest, shown only to roles that read the
 * sensitive group), the cross-controller duplicate check (where, never what) and the transfer
 * of a person to another controller, logged on both sides. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

static const char *jget(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* A valid national number no earlier run used: nine random digits, check digits computed. */
static void fresh_nn(char out[16])
{
    unsigned long long r = 0;
    cr_assert(crypto_random(&r, sizeof r));
    long long body = 100000000LL + (long long)(r % 800000000ULL);
    snprintf(out, 16, "%09lld%02lld", body, 97 - body % 97);
}

static char *register_with_nn(const char *who, const char *first, const char *last, const char *nn,
                              json_t **elsewhere)
{
    char body[512];
    struct resp r;
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"%s\","
             "\"last_name\":\"%s\",\"birth_date\":\"1985-07-30\"},\"sensitive\":{\"national_number\":\"%s\"}}",
             first, last, nn);
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", who, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jget(r.json, "id"));
    if (elsewhere)
        *elsewhere = json_incref(json_object_get(r.json, "elsewhere"));
    resp_free(&r);
    return id;
}

Test(sensitive, the_national_number_is_sealed_and_shown_only_to_roles_that_read_it)
{
    char nn[16], path[128];
    fresh_nn(nn);
    char *id = register_with_nn("atlas.intake", "Sealed", "Number", nn, NULL);
    PGconn *c = db_super();
    const char *p[] = {id, nn};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid AND "
                             "national_number_sealed IS NOT NULL AND national_number_key_id IS NOT NULL "
                             "AND strpos(encode(national_number_sealed, 'escape'), $2) = 0 "
                             "AND national_number_bidx <> $2", 2, p), 1, "stored sealed, not in clear");
    PQfinish(c);
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", path, "atlas.coordinator", NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jget(json_object_get(r.json, "sensitive"), "national_number"), nn);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.education", NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_null(json_object_get(r.json, "sensitive"), "education does not read the sensitive group");
    resp_free(&r);
    free(id);
}

Test(sensitive, a_bad_national_number_is_refused_by_name)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", "atlas.intake",
                         "{\"source\":\"person\",\"identification\":{\"first_name\":\"A\",\"last_name\":\"B\","
                         "\"birth_date\":\"1985-07-30\"},\"sensitive\":{\"national_number\":\"85.07.30-033.29\"}}"), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jget(r.json, "field"), "sensitive.national_number");
    resp_free(&r);
}

Test(sensitive, registering_tells_where_else_the_person_is_known_and_nothing_more)
{
    char nn[16], last[64];
    json_t *first_seen = NULL, *second_seen = NULL;
    fresh_nn(nn);
    snprintf(last, sizeof last, "Twice%.8s", nn); /* as fresh as the number, in letters: */
    for (char *c = last + 5; *c; c++)         /* the name key keeps letters only */
        *c = (char)('a' + (*c - '0'));
    char *a = register_with_nn("atlas.intake", "Oksana", last, nn, &first_seen);
    cr_assert_eq(json_array_size(first_seen), 0, "first registration: nowhere else");
    char *b = register_with_nn("ingent.intake", "Oksana", last, nn, &second_seen);
    cr_assert_eq(json_array_size(second_seen), 1);
    json_t *hit = json_array_get(second_seen, 0);
    cr_assert_str_eq(jget(hit, "controller"), "atlas");
    cr_assert_str_eq(jget(hit, "matched_on"), "national_number");
    cr_assert_eq(json_object_size(hit), 2, "only where and on what: no id, no name");
    struct resp r;
    char body[512];
    snprintf(body, sizeof body, "{\"first_name\":\"oksana\",\"last_name\":\"%s\",\"birth_date\":\"1985-07-30\"}", last);
    cr_assert_eq(api_req(&r, "POST", "/v1/persons/duplicate-check", "huis.coordinator", body), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "elsewhere")), 2, "found by name + birth date: %s", r.body);
    resp_free(&r);
    json_decref(first_seen);
    json_decref(second_seen);
    free(a);
    free(b);
}

Test(sensitive, a_coordinator_transfers_a_person_and_both_logs_say_so)
{
    char *id = create_person("atlas.intake", "Moving", "Person", "1979-09-09");
    char path[160], body[128];
    snprintf(path, sizeof path, "/v1/persons/%s/transfer", id);
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", path, "atlas.intake", "{\"to_controller\":\"ingent\",\"reason\":\"moved\"}"), 0);
    cr_assert_eq(r.status, 403, "only coordinators transfer");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"to_controller\":\"nowhere\",\"reason\":\"moved to Gent\"}");
    cr_assert_eq(api_req(&r, "POST", path, "atlas.coordinator", body), 0);
    cr_assert_eq(r.status, 422);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.coordinator", "{\"to_controller\":\"ingent\",\"reason\":\"moved to Gent\"}"), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.coordinator", NULL), 0);
    cr_assert_eq(r.status, 404, "gone from Atlas");
    resp_free(&r);
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT controller_id FROM persons WHERE id = $1::uuid", 1, p), 4);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid AND "
                             "((controller_id = 3 AND action = 'transfer_out') OR "
                             "(controller_id = 4 AND action = 'transfer_in'))", 1, p), 2);
    PQfinish(c);
    free(id);
}
