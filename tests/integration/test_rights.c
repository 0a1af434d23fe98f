/* Integration: the rights of the person against a real crt-api and PostgreSQL — the register of
 * requests (every kind end to end, deadlines and extensions over month ends and leap years,
 * refusals with reasons, minors and guardianship, forwarding between controllers), the export
 * with exactly the disclosures made, rectifications told to exactly the partners that received
 * the old value, erasure leaving no trace of the person, legal holds, and restriction. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"
#define DPO "atlas.dpo"
#define PURPOSE "employment_guidance"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* A birth date in the 1920s and 1930s, different per call (so that a scan finds only ours). */
static void random_birth(char out[11])
{
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    unsigned r = rand_r(&seed);
    snprintf(out, 11, "19%02u-%02u-%02u", 21 + r % 19, 1 + (r / 19) % 12, 1 + (r / 228) % 28);
}

static char *person(const char *first, const char *last, const char *birth)
{
    char *id = create_person(INTAKE, first, last, birth);
    cr_assert_not_null(id, "person registered");
    return id;
}

/* A fresh adult of atlas with a unique last name (into last when given). */
static char *adult(char *last, size_t n)
{
    char name[64];
    unique_name(name, sizeof name, "Rights");
    if (last)
        snprintf(last, n, "%s", name);
    return person("Olena", name, "1984-03-07");
}

/* The response's JSON string member, copied (malloc'ed). */
static char *dup_member(const struct resp *r, const char *key)
{
    const char *v = jstr(r->json, key);
    cr_assert_not_null(v, "no %s in %s", key, r->body);
    return strdup(v);
}

/* Registers a request of kind received on `received` about the person (as who, 201 expected);
 * returns the response (caller frees). */
static void request_new(struct resp *r, const char *who, const char *id, const char *kind,
                        const char *received)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"kind\":\"%s\",\"received_on\":\"%s\",\"identity_check\":\"eid\"}", kind, received);
    api_reqf(r, "POST", who, body, "/v1/persons/%s/requests", id);
    cr_assert_eq(r->status, 201, "%s request: %s", kind, r->body);
}

static int decide(const char *rq, const char *decision, const char *reasons, struct resp *out)
{
    char body[512];
    struct resp r;
    snprintf(body, sizeof body, "{\"decision\":\"%s\"%s%s%s}", decision, reasons ? ",\"reasons\":\"" : "",
             reasons ? reasons : "", reasons ? "\"" : "");
    api_reqf(&r, "POST", COORD, body, "/v1/requests/%s/decision", rq);
    int status = r.status;
    if (out)
        *out = r;
    else
        resp_free(&r);
    return status;
}

/* A value computed by the database (date arithmetic), as text, into out. */
static void sql_text(const char *sql, const char *arg, char *out, size_t n)
{
    PGconn *c = db_super();
    const char *p[] = {arg};
    PGresult *r = PQexecParams(c, sql, arg ? 1 : 0, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

/* ---- deadlines ---- */

Test(rights, the_deadline_is_one_month_after_receipt_over_month_ends_and_leap_years)
{
    static const char *const cases[][2] = {{"2024-01-31", "2024-02-29"}, {"2023-01-31", "2023-02-28"},
                                           {"2024-02-29", "2024-03-29"}, {"2023-12-31", "2024-01-31"},
                                           {"2025-03-31", "2025-04-30"}};
    char *id = adult(NULL, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resp r;
        request_new(&r, COORD, id, "access", cases[i][0]);
        cr_assert_str_eq(jstr(r.json, "deadline"), cases[i][1], "received %s", cases[i][0]);
        cr_assert_str_eq(jstr(r.json, "due_on"), cases[i][1]);
        cr_assert(json_is_true(json_object_get(r.json, "overdue")), "long past: overdue");
        cr_assert_str_eq(jstr(r.json, "status"), "open");
        cr_assert_str_eq(jstr(r.json, "owning_controller"), "atlas");
        resp_free(&r);
    }
    free(id);
}

Test(rights, an_extension_adds_to_the_period_not_to_the_clamped_deadline)
{
    /* The stored columns, for fixed dates (written directly: these are long past). */
    static const char *const cases[][3] = {{"2024-01-31", "2", "2024-04-30"},
                                           {"2023-11-30", "2", "2024-02-29"},
                                           {"2023-11-30", "1", "2024-01-30"},
                                           {"2023-12-31", "2", "2024-03-31"}};
    char *id = adult(NULL, 0);
    PGconn *c = db_super();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p[] = {id, cases[i][0], cases[i][1]};
        PGresult *r = PQexecParams(c,
            "INSERT INTO rights_requests (receiving_controller, owning_controller, person_id, kind, "
            "received_on, identity_check, period, extension_months, extension_reason, "
            "person_told_on, received_by, request_id) SELECT 3, 3, $1::uuid, 'access', $2::date, "
            "'eid', '1 month', $3::smallint, 'a fixed case of the test', $2::date, created_by, "
            "'test' FROM persons WHERE id = $1::uuid RETURNING due_on::text",
            3, NULL, p, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
        cr_assert_str_eq(PQgetvalue(r, 0, 0), cases[i][2], "%s + 1 + %s months", cases[i][0],
                         cases[i][1]);
        PQclear(r);
    }
    PQfinish(c);
    free(id);
}

Test(rights, an_extension_within_the_first_period_is_recorded_and_limited_to_two_months)
{
    char received[16], expect1[16], expect2[16], body[256];
    struct resp r;
    /* The last day of last month: its deadline is the last day of this month (not past yet). */
    sql_text("SELECT (date_trunc('month', current_date) - interval '1 day')::date::text", NULL,
             received, sizeof received);
    sql_text("SELECT ($1::date + interval '2 months')::date::text", received, expect1, sizeof expect1);
    sql_text("SELECT ($1::date + interval '3 months')::date::text", received, expect2, sizeof expect2);
    char *id = adult(NULL, 0);
    request_new(&r, INTAKE, id, "access", received);
    char *rq = dup_member(&r, "id");
    resp_free(&r);

    snprintf(body, sizeof body, "{\"months\":1,\"reason\":\"many archived files to collect\","
                                "\"person_told_on\":\"%s\"}", received);
    api_reqf(&r, "POST", INTAKE, body, "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 403, "only a coordinator extends");
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"months\":3,\"reason\":\"many archived files to collect\","
                            "\"person_told_on\":\"2020-01-01\"}", "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "months", "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"months\":1,\"reason\":\"short\",\"person_told_on\":\"2020-01-01\"}",
         "/v1/requests/%s/extension", rq);
    cr_assert_str_eq(jstr(r.json, "field"), "reason", "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"months\":1,\"reason\":\"many archived files to collect\","
                            "\"person_told_on\":\"2020-01-01\"}", "/v1/requests/%s/extension", rq);
    cr_assert_str_eq(jstr(r.json, "field"), "person_told_on", "before the request: %s", r.body);
    resp_free(&r);

    api_reqf(&r, "POST", COORD, body, "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "due_on"), expect1);
    json_t *ext = json_object_get(r.json, "extension");
    cr_assert_eq(json_integer_value(json_object_get(ext, "months")), 1);
    cr_assert_str_eq(jstr(ext, "person_told_on"), received);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, body, "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 200, "a second month: %s", r.body);
    cr_assert_str_eq(jstr(r.json, "due_on"), expect2, "received + 3 months");
    resp_free(&r);
    api_reqf(&r, "POST", COORD, body, "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 422, "a third month is too much");
    cr_assert_str_eq(jstr(r.json, "field"), "months");
    resp_free(&r);
    free(rq);
    free(id);
}

Test(rights, an_extension_after_the_first_period_is_refused)
{
    struct resp r;
    char *id = adult(NULL, 0);
    request_new(&r, COORD, id, "access", "2024-01-31");
    char *rq = dup_member(&r, "id");
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"months\":1,\"reason\":\"many archived files to collect\","
                            "\"person_told_on\":\"2024-02-10\"}", "/v1/requests/%s/extension", rq);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "months");
    resp_free(&r);
    free(rq);
    free(id);
}

/* ---- decisions ---- */

Test(rights, a_refusal_states_its_reasons_and_a_decision_is_final)
{
    struct resp r;
    char *id = adult(NULL, 0);
    request_new(&r, COORD, id, "rectification", "2026-01-05");
    char *rq = dup_member(&r, "id");
    resp_free(&r);
    cr_assert_eq(decide(rq, "refused", NULL, &r), 422);
    cr_assert_str_eq(jstr(r.json, "field"), "reasons");
    resp_free(&r);
    cr_assert_eq(decide(rq, "refused", "the recorded data are correct per the documents", &r), 200,
                 "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "status"), "refused");
    cr_assert_str_eq(jstr(r.json, "reasons"), "the recorded data are correct per the documents");
    cr_assert_not_null(jstr(r.json, "decided_on"));
    resp_free(&r);
    cr_assert_eq(decide(rq, "granted", NULL, NULL), 409, "decided already");
    free(rq);
    free(id);
}

Test(rights, every_kind_of_request_is_registered_listed_and_decided)
{
    static const char *const kinds[] = {"access", "rectification", "restriction", "portability",
                                        "objection", "erasure"};
    char *id = adult(NULL, 0);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct resp r;
        request_new(&r, INTAKE, id, kinds[i], "2026-02-02");
        cr_assert_str_eq(jstr(r.json, "kind"), kinds[i]);
        char *rq = dup_member(&r, "id");
        resp_free(&r);
        if (strcmp(kinds[i], "access") == 0 || strcmp(kinds[i], "portability") == 0) {
            api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", id);
            cr_assert_eq(r.status, 200, "%s", r.body);
            resp_free(&r);
        }
        const char *reasons = strcmp(kinds[i], "objection") == 0
                                  ? "the processing is needed for the public task" : NULL;
        cr_assert_eq(decide(rq, "granted", reasons, &r), 200, "%s: %s", kinds[i], r.body);
        cr_assert_str_eq(jstr(r.json, "status"), "granted");
        if (strcmp(kinds[i], "erasure") == 0)
            cr_assert(json_is_true(json_object_get(r.json, "person_erased")));
        resp_free(&r);
        if (strcmp(kinds[i], "restriction") == 0) { /* lifted again for the kinds that follow */
            api_reqf(&r, "POST", COORD, "{\"reason\":\"request handled, data verified\"}",
                 "/v1/persons/%s/restriction/lift", id);
            cr_assert_eq(r.status, 200, "%s", r.body);
            resp_free(&r);
        }
        if (strcmp(kinds[i], "erasure") != 0) {
            api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/requests", id);
            cr_assert_eq(json_array_size(json_object_get(r.json, "items")), i + 1, "%s", r.body);
            resp_free(&r);
        }
        free(rq);
    }
    free(id);
}

Test(rights, an_objection_is_decided_with_reasons)
{
    struct resp r;
    char *id = adult(NULL, 0);
    request_new(&r, COORD, id, "objection", "2026-03-03");
    char *rq = dup_member(&r, "id");
    resp_free(&r);
    cr_assert_eq(decide(rq, "granted", NULL, NULL), 422, "reasons even when granted");
    cr_assert_eq(decide(rq, "granted", "no compelling grounds outweigh the objection", NULL), 200);
    free(rq);
    free(id);
}

/* ---- representatives ---- */

Test(rights, a_minor_request_without_a_representative_is_refused)
{
    char last[64], body[512];
    struct resp r;
    unique_name(last, sizeof last, "Minor");
    char *id = person("Sofiia", last, "2010-06-01");
    /* 15 the day before the sixteenth birthday, 16 on it */
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"access\",\"received_on\":\"2026-05-31\","
                             "\"identity_check\":\"id_document\"}", "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "representative");
    resp_free(&r);
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"access\",\"received_on\":\"2026-05-31\","
                             "\"identity_check\":\"id_document\",\"representative\":\"Maria S.\"}",
         "/v1/persons/%s/requests", id);
    cr_assert_str_eq(jstr(r.json, "field"), "representative_capacity", "%s", r.body);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"kind\":\"access\",\"received_on\":\"2026-05-31\","
                                "\"identity_check\":\"representative_document\","
                                "\"representative\":\"Maria S.\",\"representative_capacity\":\"parent\"}");
    api_reqf(&r, "POST", INTAKE, body, "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"access\",\"received_on\":\"2026-06-01\","
                             "\"identity_check\":\"id_document\"}", "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "sixteen on the received date: %s", r.body);
    resp_free(&r);
    free(id);
}

Test(rights, a_person_under_guardianship_acts_through_a_representative)
{
    struct resp r;
    char *id = adult(NULL, 0);
    api_reqf(&r, "PATCH", COORD, "{\"under_guardianship\":true,\"reason\":\"court decision seen\"}",
         "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_true(json_object_get(r.json, "under_guardianship")));
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"kind\":\"erasure\",\"received_on\":\"2026-04-01\","
                            "\"identity_check\":\"eid\"}", "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "representative");
    resp_free(&r);
    free(id);
}

/* ---- forwarding between controllers ---- */

Test(rights, a_request_received_elsewhere_reaches_the_owner_without_the_receivers_data)
{
    char last[64], body[512], *rq;
    struct resp r;
    char *id = adult(last, sizeof last);
    snprintf(body, sizeof body,
             "{\"owning_controller\":\"atlas\",\"first_name\":\"Olena\",\"last_name\":\"%s\","
             "\"birth_date\":\"1984-03-07\",\"kind\":\"access\",\"received_on\":\"2026-04-10\","
             "\"identity_check\":\"id_document\",\"details\":\"asks for a copy\"}", last);
    api_reqf(&r, "POST", "ingent.intake", body, "/v1/requests");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "receiving_controller"), "ingent");
    cr_assert_str_eq(jstr(r.json, "owning_controller"), "atlas");
    cr_assert_null(json_object_get(r.json, "person_id"), "the receiver learns no id: %s", r.body);
    cr_assert_null(json_object_get(r.json, "details"));
    rq = dup_member(&r, "id");
    resp_free(&r);

    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "person_id"), id);
    cr_assert_str_eq(jstr(r.json, "details"), "asks for a copy");
    cr_assert(json_is_null(json_object_get(r.json, "received_by")), "not the receiver's staff");
    resp_free(&r);
    api_reqf(&r, "GET", DPO, NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "the owner's DPO keeps the register: %s", r.body);
    resp_free(&r);

    PGconn *c = db_super();
    const char *q[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND action = 'request_write' AND controller_id = 3 AND user_id IS NULL",
                          1, q), 1, "the owner's log has the forwarding, without the receiver's user");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND controller_id = 4", 1, q), 0, "the receiver's log holds no id");
    PQfinish(c);

    /* the owner's DPO registers what reaches it by mail, by OKI number */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s", id);
    snprintf(body, sizeof body, "{\"owning_controller\":\"atlas\",\"oki_number\":\"%s\","
                                "\"kind\":\"objection\",\"received_on\":\"2026-04-11\","
                                "\"identity_check\":\"representative_document\"}",
             jstr(r.json, "oki_number"));
    resp_free(&r);
    api_reqf(&r, "POST", DPO, body, "/v1/requests");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "person_id"), id, "the owner's DPO sees it in full");
    cr_assert_str_eq(jstr(r.json, "receiving_controller"), "atlas");
    resp_free(&r);

    snprintf(body, sizeof body,
             "{\"owning_controller\":\"atlas\",\"first_name\":\"Nobody\",\"last_name\":\"%s\","
             "\"birth_date\":\"1984-03-07\",\"kind\":\"access\",\"received_on\":\"2026-04-10\","
             "\"identity_check\":\"id_document\"}", last);
    api_reqf(&r, "POST", "ingent.intake", body, "/v1/requests");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "oki_number", "no match: %s", r.body);
    resp_free(&r);
    free(rq);
    free(id);
}

Test(rights, overdue_and_due_soon_requests_are_listed_for_the_controller)
{
    char today[16];
    struct resp r;
    sql_text("SELECT current_date::text", NULL, today, sizeof today);
    char *id = adult(NULL, 0);
    request_new(&r, COORD, id, "access", "2024-01-31");
    char *late = dup_member(&r, "id");
    resp_free(&r);
    request_new(&r, COORD, id, "access", today);
    char *fresh = dup_member(&r, "id");
    resp_free(&r);

    struct {
        const char *query, *who;
        bool late, fresh;
    } cases[] = {{"overdue=true", COORD, true, false}, {"overdue=true", DPO, true, false},
                 {"due_within=7d", COORD, false, false}, {"due_within=40d", COORD, false, true},
                 {"overdue=false&status=open", COORD, false, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        api_reqf(&r, "GET", cases[i].who, NULL, "/v1/requests?%s", cases[i].query);
        cr_assert_eq(r.status, 200, "%s", r.body);
        bool saw_late = false, saw_fresh = false;
        size_t k;
        json_t *item;
        json_array_foreach(json_object_get(r.json, "items"), k, item)
        {
            saw_late |= strcmp(jstr(item, "id"), late) == 0;
            saw_fresh |= strcmp(jstr(item, "id"), fresh) == 0;
        }
        cr_assert_eq(saw_late, cases[i].late, "%s: the overdue one", cases[i].query);
        cr_assert_eq(saw_fresh, cases[i].fresh, "%s: the fresh one", cases[i].query);
        resp_free(&r);
    }
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/requests?overdue=true");
    cr_assert_eq(r.status, 403);
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests?due_within=7");
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "due_within");
    resp_free(&r);
    free(late);
    free(fresh);
    free(id);
}

/* ---- partners ---- */

/* The partner names in a notified_partners list, sorted into a comma list. */
static void partner_ids(json_t *list, char *out, size_t n)
{
    size_t i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(list, i, v)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", jstr(v, "partner_id"));
}

Test(rights, the_export_holds_exactly_the_disclosures_made_and_no_staff_member)
{
    struct partner p;
    struct resp r;
    char last[64];
    char *id = adult(last, sizeof last);
    partner_with_grant(&p, "atlas", "identification,contact", PURPOSE);
    partner_refer(COORD, id, &p, PURPOSE);
    char *t = partner_token(&p);
    cr_assert_eq(partner_pull(t, id), 200);
    cr_assert_eq(partner_pull(t, id), 200);
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"intake\",\"occurred_on\":\"2026-01-02\",\"source\":\"staff\"}",
         "/v1/persons/%s/trajectory", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);

    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *d = json_object_get(r.json, "disclosures");
    cr_assert_eq(json_array_size(d), 2, "two pulls, two disclosures: %s", r.body);
    for (size_t i = 0; i < 2; i++) {
        json_t *x = json_array_get(d, i);
        cr_assert(strstr(jstr(x, "partner"), p.client) != NULL);
        char *groups = json_dumps(json_object_get(x, "field_groups"), JSON_COMPACT);
        cr_assert_str_eq(groups, "[\"identification\",\"contact\"]");
        free(groups);
        cr_assert_str_eq(jstr(x, "purpose"), PURPOSE);
        cr_assert_str_eq(jstr(x, "legal_basis"), "art. 6.1.e GDPR");
    }
    cr_assert_str_eq(jstr(json_object_get(json_object_get(r.json, "person"), "identification"),
                          "last_name"), last);
    cr_assert_eq(json_array_size(json_object_get(r.json, "trajectory")), 1);
    cr_assert_not_null(json_object_get(r.json, "retention_date"));
    cr_assert_not_null(jstr(json_object_get(r.json, "controller"), "legal_basis"));
    cr_assert(json_array_size(json_object_get(r.json, "purposes")) >= 8);
    /* consultations: partner by name, staff by controller only */
    bool partner_seen = false, staff_seen = false;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "consultations"), i, c)
    {
        partner_seen |= strcmp(jstr(c, "by"), "partner") == 0 && jstr(c, "partner") &&
                        strstr(jstr(c, "partner"), p.client) != NULL;
        staff_seen |= strcmp(jstr(c, "by"), "staff") == 0 && strcmp(jstr(c, "controller"), "atlas") == 0;
    }
    cr_assert(partner_seen && staff_seen, "%s", r.body);
    PGconn *db = db_super();
    const char *q[] = {harness_username(INTAKE), harness_username(COORD), id};
    PGresult *u = PQexecParams(db, "SELECT id::text FROM staff_users WHERE username IN ($1, $2)",
                               2, NULL, q, NULL, NULL, 0);
    for (int k = 0; k < PQntuples(u); k++)
        cr_assert_null(strstr(r.body, PQgetvalue(u, k, 0)), "no staff member in the export");
    PQclear(u);
    cr_assert_null(strstr(r.body, harness_username(INTAKE)));
    cr_assert_eq(sql_long(db, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                              "AND action = 'export' AND outcome = 'allowed' AND cardinality(field_groups) = 6",
                          1, q + 2), 1, "the export is logged");
    PQfinish(db);
    resp_free(&r);

    api_reqf(&r, "GET", INTAKE, NULL, "/v1/persons/%s/export", id);
    cr_assert_eq(r.status, 403, "coordinators export");
    resp_free(&r);
    free(t);
    free(id);
}

Test(rights, the_export_page_is_html_and_escapes_what_it_shows)
{
    struct resp r;
    char last[64], body[256], *raw = NULL;
    unique_name(last, sizeof last, "Esc");
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":"
                                "\"O'<b>Bri&en\",\"last_name\":\"%s\",\"birth_date\":\"1980-01-01\"}}", last);
    api_reqf(&r, "POST", INTAKE, body, "/v1/persons");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = dup_member(&r, "id");
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export?format=html", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(resp_header(&r, "Content-Type"), "text/html") != NULL);
    cr_assert_not_null(strstr(r.body, "O&#39;&lt;b&gt;Bri&amp;en"), "escaped");
    cr_assert_null(strstr(r.body, "<b>Bri"), "never raw");
    resp_free(&r);
    int n = asprintf(&raw, "GET /v1/persons/%s/export HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\nAuthorization: Bearer %s\r\nAccept: text/html\r\n\r\n",
                     id, harness_token(COORD));
    cr_assert(n > 0);
    cr_assert_eq(api_raw(&r, raw, (size_t)n), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(resp_header(&r, "Content-Type"), "text/html") != NULL, "Accept: text/html");
    resp_free(&r);
    free(raw);
    free(id);
}

Test(rights, a_rectification_is_told_to_exactly_the_partners_that_received_the_old_value)
{
    struct partner a, b, never;
    struct resp r;
    char ids[256], want[128];
    char *id = adult(NULL, 0);
    partner_with_grant(&a, "atlas", "identification,contact", PURPOSE);
    partner_with_grant(&b, "atlas", "situation", PURPOSE);
    partner_with_grant(&never, "atlas", "contact", PURPOSE);
    partner_refer(COORD, id, &a, PURPOSE);
    partner_refer(COORD, id, &b, PURPOSE);
    partner_refer(COORD, id, &never, PURPOSE); /* referred, but never pulled: received nothing */
    char *ta = partner_token(&a), *tb = partner_token(&b);
    cr_assert_eq(partner_pull(ta, id), 200);
    cr_assert_eq(partner_pull(tb, id), 200);

    api_reqf(&r, "PATCH", INTAKE, "{\"source\":\"person\",\"reason\":\"new phone number\","
                              "\"contact\":{\"phone\":\"+32 470 97 53 18\"}}", "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    partner_ids(json_object_get(r.json, "notified_partners"), ids, sizeof ids);
    cr_assert_str_eq(ids, a.id, "contact went to a only: %s", r.body);
    resp_free(&r);
    api_reqf(&r, "PATCH", INTAKE, "{\"source\":\"person\",\"reason\":\"speaks more languages\","
                              "\"situation\":{\"languages\":\"uk, ru, en\"}}", "/v1/persons/%s", id);
    partner_ids(json_object_get(r.json, "notified_partners"), ids, sizeof ids);
    cr_assert_str_eq(ids, b.id, "situation went to b only: %s", r.body);
    resp_free(&r);
    api_reqf(&r, "PATCH", INTAKE, "{\"source\":\"person\",\"reason\":\"typing error\","
                              "\"identification\":{\"first_name\":\"Olenka\"},"
                              "\"situation\":{\"needs_buddy\":true}}", "/v1/persons/%s", id);
    partner_ids(json_object_get(r.json, "notified_partners"), ids, sizeof ids);
    snprintf(want, sizeof want, "%s,%s", strcmp(a.client, b.client) < 0 ? a.id : b.id,
             strcmp(a.client, b.client) < 0 ? b.id : a.id);
    cr_assert_str_eq(ids, want, "both, ordered by name: %s", r.body);
    resp_free(&r);

    /* a pulls its notifications: names of fields only, and acknowledges them */
    cr_assert_eq(api_req_token(&r, "GET", "/v1/partner/corrections", ta, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 2, "%s", r.body);
    char *fields = json_dumps(json_object_get(json_array_get(items, 0), "fields"), JSON_COMPACT);
    cr_assert_str_eq(fields, "[\"contact.phone\"]");
    free(fields);
    fields = json_dumps(json_object_get(json_array_get(items, 1), "fields"), JSON_COMPACT);
    cr_assert_str_eq(fields, "[\"identification.first_name\"]", "not b's situation field");
    free(fields);
    cr_assert_null(strstr(r.body, "97 53 18"), "no values"); /* the new phone, never an id */
    char path[128];
    snprintf(path, sizeof path, "/v1/partner/corrections/%lld/ack",
             (long long)json_integer_value(json_object_get(json_array_get(items, 0), "id")));
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "POST", path, ta, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "POST", path, ta, NULL), 0);
    cr_assert_eq(r.status, 404, "acknowledged once");
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "POST", path, tb, NULL), 0);
    cr_assert_eq(r.status, 404, "not b's");
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "GET", "/v1/partner/corrections", ta, NULL), 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/partner/corrections");
    cr_assert_eq(r.status, 403, "partners only");
    resp_free(&r);
    free(ta);
    free(tb);
    free(id);
}

/* ---- erasure ---- */

/* A valid national number for a birth date before 2000 (serial 1..997). */
static void national_number(const char *birth, int serial, char out[12])
{
    char body[16];
    snprintf(body, sizeof body, "%.2s%.2s%.2s%03d", birth + 2, birth + 5, birth + 8, serial % 1000);
    int check = (int)(97 - atoll(body) % 97); /* 1..97 */
    memcpy(out, body, 9);
    out[9] = (char)('0' + check / 10 % 10);
    out[10] = (char)('0' + check % 10);
    out[11] = '\0';
}

/* Tables (not partitions) of the public schema holding a row whose text contains any needle
 * (case-insensitive), as a comma list into out. */
static void tables_holding(PGconn *c, const char *const *needles, size_t n, char *out, size_t len)
{
    PGresult *t = PQexec(c, "SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = "
                            "c.relnamespace WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') "
                            "AND NOT c.relispartition ORDER BY 1");
    cr_assert_eq(PQresultStatus(t), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    char arr[2048] = "{";
    for (size_t i = 0; i < n; i++)
        snprintf(arr + strlen(arr), sizeof arr - strlen(arr), "%s\"%s\"", i ? "," : "", needles[i]);
    strcat(arr, "}");
    out[0] = '\0';
    for (int i = 0; i < PQntuples(t); i++) {
        char sql[512];
        const char *p[] = {arr};
        snprintf(sql, sizeof sql, "SELECT count(*) FROM public.\"%s\" x WHERE EXISTS (SELECT 1 "
                                  "FROM unnest($1::text[]) w WHERE strpos(lower(x::text), lower(w)) > 0)",
                 PQgetvalue(t, i, 0));
        long hits = sql_long(c, sql, 1, p);
        cr_assert(hits >= 0, "scan of %s", PQgetvalue(t, i, 0));
        if (hits > 0)
            snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "", PQgetvalue(t, i, 0));
    }
    PQclear(t);
}

/* Everything a test person can leave behind: a household, a sealed national number, a
 * trajectory entry, a rectification with old and new values, an assignment, a break-glass, a
 * referral with disclosures, a restriction lifted again, flags. */
struct traces {
    char first[64], last[64], birth[11], nn[12], phone[32], street[64], old_street[64], id[40];
    char name_bidx[80], nn_bidx[80];
    struct partner p;
};

static void leave_traces(struct traces *x)
{
    struct resp r;
    char body[1024];
    unique_name(x->first, sizeof x->first, "Hal");
    unique_name(x->last, sizeof x->last, "Erase");
    unique_name(x->street, sizeof x->street, "Street");
    unique_name(x->old_street, sizeof x->old_street, "Lane");
    random_birth(x->birth);
    national_number(x->birth, 1 + getpid() % 997, x->nn);
    snprintf(x->phone, sizeof x->phone, "+32 499 %06ld", ((long)getpid() * 7919 + time(NULL)) % 1000000);
    snprintf(body, sizeof body, "{\"family_name\":\"%s\",\"address_street\":\"%s\",\"source\":\"person\"}",
             x->last, x->street);
    api_reqf(&r, "POST", INTAKE, body, "/v1/households");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *hh = dup_member(&r, "id");
    resp_free(&r);
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"household_id\":\"%s\",\"identification\":{\"first_name\":\"%s\","
             "\"last_name\":\"%s\",\"birth_date\":\"%s\"},\"contact\":{\"phone\":\"%s\"},"
             "\"sensitive\":{\"national_number\":\"%s\"}}",
             hh, x->first, x->last, x->birth, x->phone, x->nn);
    api_reqf(&r, "POST", INTAKE, body, "/v1/persons");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(x->id, sizeof x->id, "%s", jstr(r.json, "id"));
    resp_free(&r);
    free(hh);
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"intake\",\"occurred_on\":\"2026-01-02\",\"source\":\"staff\","
                             "\"details\":{\"location\":\"Antwerpen\"}}", "/v1/persons/%s/trajectory", x->id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    snprintf(body, sizeof body, "{\"source\":\"person\",\"reason\":\"moved in with family\","
                                "\"contact\":{\"address_street\":\"%s\"}}", x->old_street);
    api_reqf(&r, "PATCH", INTAKE, body, "/v1/persons/%s", x->id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "PATCH", COORD, "{\"guidance_ended_on\":\"2026-01-31\",\"reason\":\"trajectory done\"}",
         "/v1/persons/%s/flags", x->id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", "atlas.caseworker", "{\"reason\":\"the person is at the desk and the caseworker is away\"}",
         "/v1/persons/%s/break-glass", x->id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    partner_with_grant(&x->p, "atlas", "identification,contact", PURPOSE);
    partner_refer(COORD, x->id, &x->p, PURPOSE);
    char *t = partner_token(&x->p);
    cr_assert_eq(partner_pull(t, x->id), 200);
    free(t);
    PGconn *c = db_super();
    const char *q[] = {x->id};
    PGresult *b = PQexecParams(c, "SELECT name_bidx, national_number_bidx FROM persons WHERE id = $1::uuid",
                               1, NULL, q, NULL, NULL, 0);
    cr_assert_eq(PQntuples(b), 1);
    snprintf(x->name_bidx, sizeof x->name_bidx, "%s", PQgetvalue(b, 0, 0));
    snprintf(x->nn_bidx, sizeof x->nn_bidx, "%s", PQgetvalue(b, 0, 1));
    PQclear(b);
    PQfinish(c);
    cr_assert(strlen(x->name_bidx) == 64 && strlen(x->nn_bidx) == 64);
}

Test(rights, erasure_leaves_no_trace_of_the_person_but_the_tombstone_and_the_log)
{
    struct traces x;
    struct resp r;
    leave_traces(&x);
    request_new(&r, COORD, x.id, "restriction", "2026-02-01");
    char *restriction = dup_member(&r, "id");
    resp_free(&r);
    cr_assert_eq(decide(restriction, "granted", NULL, NULL), 200);
    api_reqf(&r, "POST", COORD, "{\"reason\":\"the verification is complete\"}",
         "/v1/persons/%s/restriction/lift", x.id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    request_new(&r, COORD, x.id, "erasure", "2026-02-02");
    char *rq = dup_member(&r, "id");
    long number = (long)json_integer_value(json_object_get(r.json, "number"));
    resp_free(&r);

    cr_assert_eq(decide(rq, "granted", NULL, &r), 200, "%s", r.body);
    json_t *e = json_object_get(r.json, "erasure");
    cr_assert_not_null(strstr(jstr(e, "statement"), "erased at the person's request"));
    char ids[128];
    partner_ids(json_object_get(r.json, "notified_partners"), ids, sizeof ids);
    cr_assert_str_eq(ids, x.p.id, "the partner that received data is told: %s", r.body);
    cr_assert(json_is_null(json_object_get(r.json, "person_id")));
    resp_free(&r);

    PGconn *c = db_super();
    char found[1024];
    const char *all[] = {x.first, x.last, x.birth, x.nn, x.phone, x.street, x.old_street,
                         x.name_bidx, x.nn_bidx, x.id};
    const char *q[] = {x.id};
    tables_holding(c, all, sizeof all / sizeof all[0], found, sizeof found);
    /* crt-review's memory of (actor, person) pairs, its findings and the explanation facts an
     * erasure keeps (review_facts: ids, dates, purpose codes) hold ids too, like the log */
    static const char *const with_id[] = {"access_log", "partner_notifications", "person_tombstones",
                                          "review_pairs", "review_findings", "review_facts", NULL};
    for (char *t = strtok(found, ","); t; t = strtok(NULL, ",")) {
        const char *const *w = with_id;
        while (*w && strcmp(*w, t) != 0)
            w++;
        cr_assert_not_null(*w, "%s still holds the person's id", t);
    }
    tables_holding(c, all, sizeof all / sizeof all[0] - 1, found, sizeof found);
    cr_assert_str_eq(found, "", "no personal data anywhere");

    char num[24];
    snprintf(num, sizeof num, "%ld", number);
    const char *qn[] = {x.id, num};
    cr_assert(sql_long(c, "SELECT count(*) FROM partner_notifications WHERE person_id = $1::uuid", 1, q) > 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM person_tombstones WHERE person_id = $1::uuid "
                             "AND reason = 'data_subject_request' AND request_number = $2::bigint "
                             "AND controller_id = 3", 2, qn), 1);
    cr_assert(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid", 1, q) > 5,
              "the log rows stay, pointing at the tombstone");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND action = 'erasure'", 1, q), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM rights_requests r JOIN person_tombstones t "
                             "ON t.id = r.tombstone_id WHERE t.person_id = $1::uuid "
                             "AND r.person_id IS NULL", 1, q), 2, "the register points at the tombstone");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM partner_notifications WHERE person_id = $1::uuid "
                             "AND kind = 'erasure' AND fields = '{}'", 1, q), 1);
    /* what the review needs of the erased rows: the registration, the intake entry, the
     * rectification, the referral — and nothing but ids, ranges, a day and the purpose code */
    cr_assert_eq(sql_long(c, "SELECT count(DISTINCT kind) FROM review_facts WHERE person_id = $1::uuid "
                             "AND kind IN ('record', 'intake', 'referral')", 1, q), 3);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM review_facts f WHERE f.person_id = $1::uuid AND "
                             "(f.kind = 'referral') <> (f.purpose IS NOT NULL)", 1, q), 0);
    PQfinish(c);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s", x.id);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    free(restriction);
    free(rq);
}

Test(rights, the_append_only_tables_stay_append_only_outside_erasure)
{
    struct traces x;
    leave_traces(&x);
    PGconn *c = db_super();
    const char *q[] = {x.id};
    static const char *const tables[] = {"person_rectifications", "break_glass", "disclosures"};
    for (size_t i = 0; i < 3; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "WITH s AS (SELECT set_config('crt.erasing', $1, false)) "
                                  "DELETE FROM %s WHERE person_id = $1::uuid AND EXISTS (SELECT 1 FROM s)",
                 tables[i]);
        cr_assert_not(sql_ok(c, sql, 1, q), "%s: even the superuser with the setting", tables[i]);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE person_id = $1::uuid", tables[i]);
        cr_assert(sql_long(c, sql, 1, q) > 0);
    }
    PQfinish(c);
}

Test(rights, erasure_is_refused_with_the_reason_while_a_retention_duty_applies)
{
    struct resp r;
    char *id = adult(NULL, 0);
    api_reqf(&r, "PATCH", COORD, "{\"legal_hold\":\"court case 2026/123 requires the file\","
                             "\"reason\":\"letter of the court\"}", "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    request_new(&r, COORD, id, "erasure", "2026-02-02");
    char *rq = dup_member(&r, "id");
    resp_free(&r);
    cr_assert_eq(decide(rq, "granted", NULL, &r), 409);
    cr_assert_str_eq(jstr(r.json, "retention_duty"), "court case 2026/123 requires the file");
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "still there");
    resp_free(&r);
    cr_assert_eq(decide(rq, "refused", "court case 2026/123 requires the file (art. 17.3.e)", NULL), 200);
    free(rq);
    free(id);
}

/* ---- restriction ---- */

Test(rights, a_restricted_person_is_read_only_hidden_and_the_lifting_is_recorded)
{
    struct partner p;
    struct resp r;
    char last[64], path[256];
    char *id = adult(last, sizeof last);
    partner_with_grant(&p, "atlas", "identification,contact", PURPOSE);
    partner_refer(COORD, id, &p, PURPOSE);
    char *t = partner_token(&p);
    cr_assert_eq(partner_pull(t, id), 200);
    request_new(&r, INTAKE, id, "restriction", "2026-03-01");
    char *rq = dup_member(&r, "id");
    resp_free(&r);
    cr_assert_eq(decide(rq, "granted", NULL, &r), 200, "%s", r.body);
    char ids[128];
    partner_ids(json_object_get(r.json, "notified_partners"), ids, sizeof ids);
    cr_assert_str_eq(ids, p.id);
    resp_free(&r);

    api_reqf(&r, "PATCH", COORD, "{\"source\":\"person\",\"reason\":\"new phone\","
                             "\"contact\":{\"phone\":\"+32 470 00 00 01\"}}", "/v1/persons/%s", id);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(jstr(r.json, "detail"), "restricted") != NULL);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"kind\":\"intake\",\"occurred_on\":\"2026-03-02\",\"source\":\"staff\"}",
         "/v1/persons/%s/trajectory", id);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(jstr(r.json, "detail"), "restricted") != NULL, "with the reason");
    resp_free(&r);
    cr_assert_eq(partner_pull(t, id), 404, "no partner pull");
    snprintf(path, sizeof path, "/v1/persons?q=%s&birth_date=1984-03-07", last);
    api_reqf(&r, "GET", INTAKE, NULL, "%s", path);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "no search for intake");
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "%s", path);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1, "coordinators find it");
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "reading stays possible");
    resp_free(&r);

    api_reqf(&r, "POST", COORD, "{\"reason\":\"short\"}", "/v1/persons/%s/restriction/lift", id);
    cr_assert_eq(r.status, 422);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"reason\":\"accuracy verified with the documents\"}",
         "/v1/persons/%s/restriction/lift", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"reason\":\"accuracy verified with the documents\"}",
         "/v1/persons/%s/restriction/lift", id);
    cr_assert_eq(r.status, 409, "lifted already");
    resp_free(&r);
    api_reqf(&r, "PATCH", COORD, "{\"protected\":true,\"reason\":\"relative of a colleague\"}",
             "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/flags", id);
    cr_assert_not_null(jstr(r.json, "protected_at"), "the protection flag is kept: %s", r.body);
    json_t *h = json_array_get(json_object_get(r.json, "restrictions"), 0);
    cr_assert_not_null(jstr(h, "lifted_at"), "%s", r.body);
    cr_assert_str_eq(jstr(h, "lift_reason"), "accuracy verified with the documents");
    resp_free(&r);
    api_reqf(&r, "PATCH", COORD, "{\"source\":\"person\",\"reason\":\"new phone\","
                             "\"contact\":{\"phone\":\"+32 470 00 00 01\"}}", "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "writable again: %s", r.body);
    resp_free(&r);
    PGconn *c = db_super();
    const char *q[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND outcome = 'denied' AND reason = 'restricted'", 1, q), 2,
                 "the refused update and trajectory entry are logged");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND action = 'restriction_lift'", 1, q), 1);
    PQfinish(c);
    free(t);
    free(rq);
    free(id);
}

/* Rows of every relation crt_api may read, in the receiving controller's context (as crt-api
 * sets it), whose text holds needle. */
static long rows_holding(PGconn *c, const char *controller, const char *role, const char *needle)
{
    cr_assert(api_context(c, controller, role, NULL));
    PGresult *rels = readable_relations(c);
    cr_assert_eq(PQresultStatus(rels), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    long total = 0;
    for (int i = 0; i < PQntuples(rels); i++) {
        char sql[256];
        const char *p[] = {needle};
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s t WHERE strpos(to_jsonb(t)::text, $1) > 0",
                 PQgetvalue(rels, i, 0));
        long n = sql_long(c, sql, 1, p);
        cr_assert_geq(n, 0, "%s: %s", PQgetvalue(rels, i, 0), PQerrorMessage(c));
        if (n > 0)
            cr_log_error("%s shows %ld row(s) holding it", PQgetvalue(rels, i, 0), n);
        total += n;
    }
    PQclear(rels);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    return total;
}

Test(rights, the_receivers_database_context_shows_a_forwarded_request_without_the_owners_data)
{
    char last[64], body[512];
    struct resp r;
    char *id = adult(last, sizeof last);
    snprintf(body, sizeof body,
             "{\"owning_controller\":\"atlas\",\"first_name\":\"Olena\",\"last_name\":\"%s\","
             "\"birth_date\":\"1984-03-07\",\"kind\":\"erasure\",\"received_on\":\"2026-04-10\","
             "\"identity_check\":\"id_document\",\"details\":\"details only the owner reads\"}",
             last);
    api_reqf(&r, "POST", "ingent.intake", body, "/v1/requests");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *rq = dup_member(&r, "id");
    long number = (long)json_integer_value(json_object_get(r.json, "number"));
    resp_free(&r);
    char reasons[128];
    snprintf(reasons, sizeof reasons, "kept under a legal obligation %s", last);
    cr_assert_eq(decide(rq, "refused", reasons, NULL), 200);

    PGconn *c = db_api();
    char who[64];
    sql_text("SELECT decided_by::text FROM rights_requests WHERE id = $1::uuid", rq, who, sizeof who);
    cr_assert_eq(strlen(who), 36, "the owner's decision names its coordinator");
    static const char *const roles[] = {"intake", "coordinator", "dpo"};
    for (size_t i = 0; i < 3; i++) { /* ingent is controller 4 */
        cr_assert_eq(rows_holding(c, "4", roles[i], id), 0, "no person id (%s)", roles[i]);
        cr_assert_eq(rows_holding(c, "4", roles[i], who), 0, "no decider (%s)", roles[i]);
        cr_assert_eq(rows_holding(c, "4", roles[i], reasons), 0, "no reasons (%s)", roles[i]);
        cr_assert_eq(rows_holding(c, "4", roles[i], "details only the owner reads"), 0,
                     "no details (%s)", roles[i]);
    }
    /* what the receiver does see: the forwarding record, as the API shows it */
    const char *ctx[] = {"4", rq};
    cr_assert(api_context(c, ctx[0], "coordinator", NULL));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM rights_requests WHERE id = $1::uuid", 1, ctx + 1),
                 0, "the owner's row is the owner's");
    cr_assert_eq(sql_long(c, "SELECT number FROM rights_request_forwards WHERE id = $1::uuid "
                             "AND status = 'refused'", 1, ctx + 1), number);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);

    api_reqf(&r, "GET", "ingent.intake", NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "the receiver still follows its state: %s", r.body);
    cr_assert_str_eq(jstr(r.json, "status"), "refused");
    cr_assert_null(json_object_get(r.json, "reasons"));
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s", rq);
    cr_assert_str_eq(jstr(r.json, "reasons"), reasons, "the owner reads everything");
    resp_free(&r);
    free(rq);
    free(id);
}
