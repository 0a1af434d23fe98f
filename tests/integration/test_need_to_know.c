/* Integration: need-to-know against a real crt-api and PostgreSQL — who sees which person
 * (own registration, assignment, coordinator and education scope, no access for the DPO and
 * administrators, not found across controllers), exactly which field groups each role gets
 * and writes, break-glass, row-level security as the API role, partner disclosure under
 * grants and referrals, and the DPO's view of the access log. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"
#define PURPOSE "employment_guidance"
#define GLASS_REASON "ambulance at the door, the assigned caseworker is on leave"

/* The person groups of the record, in the order of the default matrix (004_need_to_know.sql):
 * what each role reads of them. */
static const char *const person_groups4[] = {"identification", "contact", "trajectory",
                                             "situation", NULL};
#define ALL_GROUPS "identification,contact,trajectory,situation"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }
static const char *tok(const char *key) { return harness_token(key); }

/* The X-Request-Id of a response, into out. */
static void rid_of(const struct resp *r, char out[64])
{
    const char *h = resp_header(r, "X-Request-Id");
    cr_assert_not_null(h, "every response carries X-Request-Id");
    snprintf(out, 64, "%s", h);
}

/* GET /v1/persons/{id}; returns the status, the request id in rid (may be NULL). */
static int read_person(const char *token, const char *id, char rid[64])
{
    struct resp r;
    api_reqf_token(&r, "GET", token, NULL, "/v1/persons/%s", id);
    if (rid)
        rid_of(&r, rid);
    int status = r.status;
    resp_free(&r);
    return status;
}

/* Access-log rows of one request about one person (reason, controller: NULL for any). */
static long log_rows(const char *rid, const char *person, const char *action, const char *outcome,
                     const char *reason)
{
    PGconn *c = db_super();
    const char *p[] = {rid, person, action, outcome, reason};
    long n = sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                         "AND person_id = $2::uuid AND action = $3 AND outcome = $4 "
                         "AND ($5::text IS NULL OR reason = $5)", 5, p);
    PQfinish(c);
    return n;
}

/* The field groups logged for a request about a person, as a comma list in the matrix order
 * (malloc'ed; "" for none; NULL when there is not exactly one row). */
static char *logged_groups(const char *rid, const char *person)
{
    PGconn *c = db_super();
    const char *p[] = {rid, person};
    PGresult *r = PQexecParams(c,
                               "SELECT array_to_string(ARRAY(SELECT g FROM unnest(field_groups) g "
                               "ORDER BY array_position(ARRAY['identification','contact',"
                               "'trajectory','situation','education','sensitive'], g)), ',') "
                               "FROM access_log WHERE request_id = $1 AND person_id = $2::uuid",
                               2, NULL, p, NULL, NULL, 0);
    char *out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                    ? strdup(PQgetvalue(r, 0, 0))
                    : NULL;
    PQclear(r);
    PQfinish(c);
    return out;
}

/* The person groups present in a person document, as a comma list in the matrix order. */
static void present_groups(json_t *person, char *out, size_t n)
{
    out[0] = '\0';
    for (int g = 0; person_groups4[g]; g++)
        if (json_object_get(person, person_groups4[g]))
            snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? "," : "",
                     person_groups4[g]);
}

static void new_account(struct account *a, const char *ctl, const char *role)
{
    cr_assert(account_new(a, ctl, role), "account %s.%s", ctl, role);
}

/* A coordinator assigns the caseworker uid; returns the assignment id (malloc'ed). */
static char *assign(const char *person, const char *uid)
{
    struct resp r;
    char body[128];
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", uid);
    api_reqf_token(&r, "POST", tok(COORD), body, "/v1/persons/%s/assignments", person);
    cr_assert_eq(r.status, 201, "assignment: %s", r.body);
    char *aid = strdup(jstr(r.json, "id"));
    resp_free(&r);
    return aid;
}

static char *new_person(const char *first, const char *last)
{
    char *id = create_person(INTAKE, first, last, "1987-06-05");
    cr_assert_not_null(id, "person registered by %s", INTAKE);
    return id;
}

/* ---- roles and person visibility ---- */

Test(need_to_know, intake_sees_the_person_it_registered)
{
    char *id = new_person("Olha", "OwnRegistration");
    char rid[64];
    cr_assert_eq(read_person(tok(INTAKE), id, rid), 200);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", "own_registration"), 1);
    free(id);
}

Test(need_to_know, another_intake_is_refused_and_the_refusal_is_logged)
{
    char *id = new_person("Olha", "OtherIntake");
    struct account a;
    new_account(&a, "atlas", "intake");
    char rid[64];
    cr_assert_eq(read_person(a.token, id, rid), 403);
    cr_assert_eq(log_rows(rid, id, "read", "denied", "no_need_to_know"), 1);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", NULL), 0);
    account_free(&a);
    free(id);
}

Test(need_to_know, caseworker_sees_a_person_only_while_assigned)
{
    char *id = new_person("Vasyl", "Assigned");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    char rid[64];
    cr_assert_eq(read_person(cw.token, id, rid), 403, "not assigned yet");
    cr_assert_eq(log_rows(rid, id, "read", "denied", "no_need_to_know"), 1);

    char *aid = assign(id, cw.user_id);
    cr_assert_eq(read_person(cw.token, id, rid), 200);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", "assignment"), 1);

    struct resp r;
    api_reqf_token(&r, "POST", tok(COORD), NULL, "/v1/persons/%s/assignments/%s/end", id, aid);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(read_person(cw.token, id, rid), 403, "the assignment has ended");
    cr_assert_eq(log_rows(rid, id, "read", "denied", "no_need_to_know"), 1);
    free(aid);
    account_free(&cw);
    free(id);
}

/* A person's assignments, ended ones included, are found through an index (033), not by reading
 * every assignment ever made: with 5,000 assignments of another person, crt-api's history
 * statement (assignment_list), a transfer's cascade to the assignments and the erasure
 * (crt_erase_core, as the retention job calls it: its delete of the assignments and the check
 * of the person's references) scan case_assignments by index only (pg_stat_xact_user_tables of
 * the transaction, rolled back). */
Test(need_to_know, a_persons_assignments_are_found_by_index_not_by_reading_them_all)
{
    char *id = new_person("Iryna", "AssignmentHistory"), *filler = new_person("Petro", "Filler");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    char *aid = assign(id, cw.user_id);
    PGconn *su = db_super();
    const char *f[] = {aid, filler};
    cr_assert(sql_ok(su,
                     "INSERT INTO case_assignments (controller_id, person_id, user_id, assigned_by, "
                     "reason, started_at, ended_at, ended_by) SELECT a.controller_id, $2::uuid, "
                     "a.user_id, a.assigned_by, a.reason, a.started_at - i * interval '1 day', "
                     "a.started_at - i * interval '1 day' + interval '1 hour', a.assigned_by "
                     "FROM case_assignments a CROSS JOIN generate_series(1, 5000) i "
                     "WHERE a.id = $1::uuid",
                     2, f),
              "%s", PQerrorMessage(su));
    cr_assert(sql_ok(su, "ANALYZE case_assignments", 0, NULL));
    const char *p[] = {id};
    cr_assert(sql_ok(su, "BEGIN", 0, NULL));
    const char *history = api_statement_sql("assignment_list");
    cr_assert(history);
    PGresult *r = PQexecParams(su, history, 1, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
    cr_expect_eq(PQntuples(r), 1, "the person's one assignment");
    PQclear(r);
    cr_assert(sql_ok(su, "UPDATE persons SET controller_id = 2 WHERE id = $1::uuid", 1, p),
              "the transfer's cascade: %s", PQerrorMessage(su));
    cr_assert(sql_ok(su, "SELECT crt_erase_core($1::uuid, 'retention', NULL, 'index-test', "
                         "'retention', NULL)", 1, p),
              "the erasure: %s", PQerrorMessage(su));
    cr_assert_eq(sql_long(su, "SELECT count(*) FROM persons WHERE id = $1::uuid", 1, p), 0,
                 "the person was erased");
    long seq = sql_long(su, "SELECT seq_scan FROM pg_stat_xact_user_tables "
                            "WHERE relid = 'case_assignments'::regclass", 0, NULL);
    long idx = sql_long(su, "SELECT idx_scan FROM pg_stat_xact_user_tables "
                            "WHERE relid = 'case_assignments'::regclass", 0, NULL);
    cr_assert(sql_ok(su, "ROLLBACK", 0, NULL));
    PQfinish(su);
    cr_expect_eq(seq, 0, "case_assignments read whole %ld times", seq);
    cr_expect_geq(idx, 3, "index scans of case_assignments: %ld", idx);
    free(aid);
    account_free(&cw);
    free(filler);
    free(id);
}

Test(need_to_know, coordinator_sees_every_person_of_its_controller)
{
    char *id = new_person("Nadiia", "CoordinatorScope");
    char rid[64];
    cr_assert_eq(read_person(tok(COORD), id, rid), 200);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", "coordinator_scope"), 1);
    free(id);
}

Test(need_to_know, education_sees_identification_only)
{
    char *id = new_person("Yurii", "EducationScope");
    struct resp r;
    api_reqf_token(&r, "GET", tok("atlas.education"), NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char groups[128], rid[64];
    present_groups(r.json, groups, sizeof groups);
    cr_assert_str_eq(groups, "identification", "education got %s", r.body);
    cr_assert_str_eq(jstr(json_object_get(r.json, "identification"), "last_name"), "EducationScope");
    rid_of(&r, rid);
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", "education_scope"), 1);
    free(id);
}

Test(need_to_know, dpo_and_admin_do_not_read_person_records)
{
    char *id = new_person("Marta", "NoRoleAccess");
    const char *keys[] = {"atlas.dpo", "atlas.admin"};
    for (size_t i = 0; i < 2; i++) {
        char rid[64];
        cr_assert_eq(read_person(tok(keys[i]), id, rid), 403, "%s", keys[i]);
        cr_assert_eq(log_rows(rid, id, "read", "denied", "role_has_no_access"), 1, "%s", keys[i]);
    }
    free(id);
}

Test(need_to_know, another_controllers_staff_get_not_found_on_every_person_route)
{
    char *id = new_person("Petro", "ElsewhereUnknown");
    struct {
        const char *method, *fmt, *body, *action;
    } routes[] = {
        {"GET", "/v1/persons/%s", NULL, "read"},
        {"PATCH", "/v1/persons/%s",
         "{\"reason\":\"test\",\"source\":\"staff\",\"identification\":{\"first_name\":\"X\"}}", "update"},
        {"GET", "/v1/persons/%s/rectifications", NULL, "history_read"},
        {"POST", "/v1/persons/%s/break-glass", "{\"reason\":\"" GLASS_REASON "\"}", "break_glass"},
        {"GET", "/v1/persons/%s/assignments", NULL, "assignment_read"},
        {"POST", "/v1/persons/%s/assignments", "{\"user_id\":\"00000000-0000-4000-8000-000000000001\"}",
         "assignment_write"},
        {"POST", "/v1/persons/%s/assignments/00000000-0000-4000-8000-000000000001/end", NULL,
         "assignment_write"},
        {"POST", "/v1/persons/%s/referrals",
         "{\"partner_id\":\"00000000-0000-4000-8000-000000000001\",\"purpose\":\"" PURPOSE "\"}",
         "referral_write"},
        {"GET", "/v1/persons/%s/referrals", NULL, "referral_read"},
        {"POST", "/v1/persons/%s/referrals/00000000-0000-4000-8000-000000000001/end", NULL,
         "referral_write"},
        {"GET", "/v1/persons/%s/trajectory", NULL, "trajectory_read"},
        {"POST", "/v1/persons/%s/trajectory",
         "{\"kind\":\"intake\",\"occurred_on\":\"2024-01-01\",\"source\":\"staff\"}", "trajectory_write"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct resp r;
        char rid[64];
        api_reqf_token(&r, routes[i].method, tok("huis.coordinator"), routes[i].body, routes[i].fmt, id);
        cr_assert_eq(r.status, 404, "%s %s gave %d: %s", routes[i].method, routes[i].fmt, r.status, r.body);
        rid_of(&r, rid);
        resp_free(&r);
        cr_assert_eq(log_rows(rid, id, routes[i].action, "not_found", NULL), 1, "%s %s: not_found row",
                     routes[i].method, routes[i].fmt);
    }
    /* Nothing of the person was read or written from Het Huis. */
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND controller_id = 2 AND outcome <> 'not_found'", 1, p), 0);
    cr_assert_eq(sql_long(c, "SELECT version FROM persons WHERE id = $1::uuid", 1, p), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM break_glass WHERE person_id = $1::uuid", 1, p), 0);
    PQfinish(c);
    free(id);
}

/* ---- field groups read and written ---- */

Test(need_to_know, each_role_gets_exactly_its_readable_groups_and_the_log_names_them)
{
    char *id = new_person("Iryna", "FieldGroups");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    char *aid = assign(id, cw.user_id);
    struct {
        const char *who, *token, *expected;
        bool reads_sensitive;
    } roles[] = {
        /* the default matrix of 004_need_to_know.sql: the person groups, and "sensitive" */
        {"intake", tok(INTAKE), ALL_GROUPS, true},
        {"caseworker", cw.token, ALL_GROUPS, false},
        {"coordinator", tok(COORD), ALL_GROUPS, true},
        {"education", tok("atlas.education"), "identification", false},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        struct resp r;
        char groups[128], returned[160], rid[64];
        api_reqf_token(&r, "GET", roles[i].token, NULL, "/v1/persons/%s", id);
        cr_assert_eq(r.status, 200, "%s: %s", roles[i].who, r.body);
        present_groups(r.json, groups, sizeof groups);
        /* The sensitive group (national number, 006) is a document of its own: only for roles
         * that read it; when it is returned, the log names it too. */
        bool sensitive = json_object_get(r.json, "sensitive") != NULL;
        bool education = json_object_get(r.json, "education") != NULL;
        snprintf(returned, sizeof returned, "%s%s", groups, sensitive ? ",sensitive" : "");
        rid_of(&r, rid);
        resp_free(&r);
        cr_assert_str_eq(groups, roles[i].expected, "%s receives %s", roles[i].who, groups);
        cr_assert(!sensitive || roles[i].reads_sensitive, "%s receives the sensitive group", roles[i].who);
        cr_assert(!education, "%s: test results are not part of the person record", roles[i].who);
        char *logged = logged_groups(rid, id);
        cr_assert_not_null(logged, "%s: one access-log row", roles[i].who);
        cr_assert_str_eq(logged, returned, "%s: the log names %s, the response has %s", roles[i].who,
                         logged, returned);
        free(logged);
    }
    free(aid);
    account_free(&cw);
    free(id);
}

Test(need_to_know, assigned_caseworker_may_rectify_the_situation)
{
    char *id = new_person("Serhii", "RectifySituation");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    char *aid = assign(id, cw.user_id);
    struct resp r;
    api_reqf_token(&r, "PATCH", cw.token,
         "{\"reason\":\"told us at the intake interview\",\"source\":\"person\","
         "\"situation\":{\"needs_buddy\":true,\"minor_children\":1}}",
         "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *sit = json_object_get(r.json, "situation");
    cr_assert(json_is_true(json_object_get(sit, "needs_buddy")), "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(sit, "minor_children")), 1);
    char rid[64];
    rid_of(&r, rid);
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "update", "allowed", "assignment"), 1);
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid AND needs_buddy "
                             "AND minor_children = 1 AND version = 2", 1, p), 1);
    PQfinish(c);
    free(aid);
    account_free(&cw);
    free(id);
}

Test(need_to_know, education_may_not_write_contact_and_the_refusal_names_it)
{
    char *id = new_person("Halyna", "EducationWrites");
    struct resp r;
    api_reqf_token(&r, "PATCH", tok("atlas.education"),
         "{\"reason\":\"new phone number given in class\",\"source\":\"person\","
         "\"contact\":{\"phone\":\"+32 470 12 34 56\"}}",
         "/v1/persons/%s", id);
    cr_assert_eq(r.status, 403, "%s", r.body);
    char rid[64];
    rid_of(&r, rid);
    const char *field = jstr(r.json, "field");
    char got[64];
    snprintf(got, sizeof got, "%s", field ? field : "(none)");
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "update", "denied", NULL), 1, "the refusal is logged");
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid AND phone IS NULL "
                             "AND version = 1", 1, p), 1, "nothing was written");
    PQfinish(c);
    cr_assert_str_eq(got, "contact", "the refusal names %s, not the group the request touched", got);
    free(id);
}

Test(need_to_know, test_results_are_written_by_education_not_by_intake)
{
    char *id = new_person("Daria", "TestResults");
    const char *test = "{\"kind\":\"test_result\",\"occurred_on\":\"2024-03-01\",\"source\":\"test\","
                       "\"details\":{\"test\":\"latin_script\",\"result\":\"passed\",\"score\":87}}";
    struct resp r;
    char rid[64];
    api_reqf_token(&r, "POST", tok("atlas.education"), test, "/v1/persons/%s/trajectory", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "trajectory_write", "allowed", "education_scope"), 1);
    api_reqf_token(&r, "POST", tok(INTAKE), test, "/v1/persons/%s/trajectory", id);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "education");
    rid_of(&r, rid);
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "trajectory_write", "denied", NULL), 1);
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM trajectory_entries WHERE person_id = $1::uuid", 1, p), 1);
    PQfinish(c);
    free(id);
}

/* ---- break-glass ---- */

Test(need_to_know, break_glass_opens_the_record_and_is_logged_with_its_reason)
{
    char *id = new_person("Roman", "BreakGlass");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    cr_assert_eq(read_person(cw.token, id, NULL), 403, "not assigned");
    struct resp r;
    char rid[64];
    api_reqf_token(&r, "POST", cw.token, "{\"reason\":\"" GLASS_REASON "\"}", "/v1/persons/%s/break-glass", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_not_null(jstr(r.json, "expires_at"));
    rid_of(&r, rid);
    resp_free(&r);
    cr_assert_eq(log_rows(rid, id, "break_glass", "allowed", GLASS_REASON), 1);
    cr_assert_eq(read_person(cw.token, id, rid), 200);
    cr_assert_eq(log_rows(rid, id, "read", "allowed", "break_glass"), 1);
    account_free(&cw);
    free(id);
}

Test(need_to_know, break_glass_needs_a_reason_of_twenty_characters)
{
    char *id = new_person("Roman", "ShortReason");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    struct resp r;
    api_reqf_token(&r, "POST", cw.token, "{\"reason\":\"need it right now!!\"}", /* 19 characters */
         "/v1/persons/%s/break-glass", id);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "reason");
    resp_free(&r);
    cr_assert_eq(read_person(cw.token, id, NULL), 403, "still no access");
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM break_glass WHERE person_id = $1::uuid", 1, p), 0);
    PQfinish(c);
    account_free(&cw);
    free(id);
}

/* ---- row-level security as the API role ---- */

/* count(*) of the person through plain SQL as crt_api in a caseworker's context. */
static long visible_to_caseworker(PGconn *c, const char *uid, const char *person)
{
    cr_assert(api_context(c, "3", "caseworker", uid));
    const char *q[] = {person};
    long n = sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid", 1, q);
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    return n;
}

Test(need_to_know, rls_hides_an_unassigned_person_from_a_caseworker)
{
    char *id = new_person("Taras", "RlsCaseworker");
    struct account cw;
    new_account(&cw, "atlas", "caseworker");
    PGconn *c = db_api();
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    cr_assert_eq(visible_to_caseworker(c, cw.user_id, id), 0, "unassigned: no row");
    char *aid = assign(id, cw.user_id);
    cr_assert_eq(visible_to_caseworker(c, cw.user_id, id), 1, "assigned: the row");
    PQfinish(c);
    free(aid);
    account_free(&cw);
    free(id);
}

/* ---- partners ---- */

/* identification and contact of controller for PURPOSE; extra: more options ("" for none). */
static void grant_add(const struct partner *p, const char *controller, const char *extra)
{
    char out[1024];
    cr_assert_eq(ctl_run(out, sizeof out,
                     "grant add --partner %s --controller %s --groups identification,contact "
                     "--purpose " PURPOSE " --legal-basis 'art. 6.1.e GDPR' %s",
                     p->client, controller, extra), 0, "%s", out);
}

/* POST /v1/oauth/token with client credentials in the form; the status, token in *token. */
static int partner_token_try(const struct partner *p, const char *secret, char **token)
{
    char body[512], *req = NULL;
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             p->client, secret);
    int n = asprintf(&req, "POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    cr_assert(n > 0);
    struct resp r;
    cr_assert_eq(api_raw(&r, req, (size_t)n), 0);
    free(req);
    int status = r.status;
    if (token)
        *token = status == 200 && jstr(r.json, "access_token") ? strdup(jstr(r.json, "access_token")) : NULL;
    resp_free(&r);
    return status;
}

static char *token_of(const struct partner *p)
{
    char *t = NULL;
    cr_assert_eq(partner_token_try(p, p->secret, &t), 200);
    cr_assert_not_null(t);
    return t;
}

/* The coordinator refers the person to the partner for PURPOSE; the response status. */
static int refer(const char *person, const struct partner *p, char *field, size_t n)
{
    struct resp r;
    char body[160];
    snprintf(body, sizeof body, "{\"partner_id\":\"%s\",\"purpose\":\"" PURPOSE "\"}", p->id);
    api_reqf_token(&r, "POST", tok(COORD), body, "/v1/persons/%s/referrals", person);
    int status = r.status;
    if (field)
        snprintf(field, n, "%s", jstr(r.json, "field") ? jstr(r.json, "field") : "");
    resp_free(&r);
    return status;
}

/* A referral as made earlier while a grant was active (written directly). */
static void refer_directly(const char *person, const struct partner *p)
{
    PGconn *c = db_super();
    const char *q[] = {person, p->id};
    cr_assert(sql_ok(c, "INSERT INTO referrals (controller_id, person_id, partner_id, purpose, "
                        "created_by) SELECT controller_id, id, $2::uuid, '" PURPOSE "', created_by "
                        "FROM persons WHERE id = $1::uuid", 2, q), "%s", PQerrorMessage(c));
    PQfinish(c);
}

static long disclosures(const struct partner *p, const char *person)
{
    PGconn *c = db_super();
    const char *q[] = {p->id, person};
    long n = sql_long(c, "SELECT count(*) FROM disclosures WHERE partner_id = $1::uuid "
                         "AND person_id = $2::uuid", 2, q);
    PQfinish(c);
    return n;
}

/* GET /v1/partner/persons: the items (a new reference), request id in rid. */
static json_t *pull(const char *token, char rid[64])
{
    struct resp r;
    api_reqf_token(&r, "GET", token, NULL, "/v1/partner/persons");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_incref(json_object_get(r.json, "items"));
    cr_assert(json_is_array(items), "%s", r.body);
    if (rid)
        rid_of(&r, rid);
    resp_free(&r);
    return items;
}

static int partner_get(const char *token, const char *person)
{
    struct resp r;
    api_reqf_token(&r, "GET", token, NULL, "/v1/partner/persons/%s", person);
    int status = r.status;
    resp_free(&r);
    return status;
}

static json_t *item_of(json_t *items, const char *person)
{
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        if (jstr(v, "id") && strcmp(jstr(v, "id"), person) == 0)
            return v;
    }
    return NULL;
}

/* A partner with an active grant at atlas, and a referred person. */
static void referred_setup(struct partner *p, char **person, const char *last)
{
    partner_create(p);
    grant_add(p, "atlas", "");
    *person = new_person("Kateryna", last);
    cr_assert_eq(refer(*person, p, NULL, 0), 201);
}

Test(need_to_know, a_referred_person_is_disclosed_with_exactly_the_granted_groups)
{
    struct partner p;
    char *id, rid[64];
    referred_setup(&p, &id, "Disclosed");
    char *t = token_of(&p);
    json_t *items = pull(t, rid);
    cr_assert_eq(json_array_size(items), 1, "only the referred person");
    json_t *item = item_of(items, id);
    cr_assert_not_null(item);
    char groups[128];
    present_groups(item, groups, sizeof groups);
    char *dump = json_dumps(item, JSON_COMPACT);
    cr_assert_str_eq(groups, "identification,contact", "the partner received %s", dump);
    free(dump);
    cr_assert_null(json_object_get(item, "education"));
    cr_assert_str_eq(jstr(json_object_get(item, "identification"), "last_name"), "Disclosed");
    json_decref(items);

    PGconn *c = db_super();
    const char *q[] = {p.id, id, rid};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM disclosures WHERE partner_id = $1::uuid "
                             "AND person_id = $2::uuid AND request_id = $3 AND controller_id = 3 "
                             "AND field_groups @> '{identification,contact}' "
                             "AND field_groups <@ '{identification,contact}'", 3, q), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE partner_id = $1::uuid "
                             "AND person_id = $2::uuid AND request_id = $3 AND action = 'disclosure' "
                             "AND outcome = 'allowed' AND controller_id = 3 AND user_id IS NULL", 3, q), 1);
    PQfinish(c);
    cr_assert_eq(partner_get(t, id), 200, "one person by id");
    cr_assert_eq(disclosures(&p, id), 2, "one disclosure row per pull");
    free(t);
    free(id);
}

Test(need_to_know, a_partner_without_a_grant_cannot_be_referred_to)
{
    struct partner p;
    partner_create(&p);
    char *id = new_person("Kateryna", "NoGrant"), field[64];
    cr_assert_eq(refer(id, &p, field, sizeof field), 422);
    cr_assert_str_eq(field, "purpose");
    PGconn *c = db_super();
    const char *q[] = {p.id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM referrals WHERE partner_id = $1::uuid", 1, q), 0);
    PQfinish(c);
    char *t = token_of(&p);
    json_t *items = pull(t, NULL);
    cr_assert_eq(json_array_size(items), 0);
    json_decref(items);
    free(t);
    free(id);
}

/* A partner whose only grant (at grant_controller, with grant_options) does not cover an
 * Atlas person: the referral is refused naming purpose, and even a referral written directly
 * discloses nothing (not in the list, 404 on the person, no disclosure row). */
static void grant_discloses_nothing(const char *grant_controller, const char *grant_options,
                                    const char *last, const char *why)
{
    struct partner p;
    partner_create(&p);
    grant_add(&p, grant_controller, grant_options);
    char *id = new_person("Kateryna", last), field[64];
    cr_assert_eq(refer(id, &p, field, sizeof field), 422, "%s", why);
    cr_assert_str_eq(field, "purpose");
    refer_directly(id, &p);
    char *t = token_of(&p);
    json_t *items = pull(t, NULL);
    cr_assert_eq(json_array_size(items), 0);
    json_decref(items);
    cr_assert_eq(partner_get(t, id), 404);
    cr_assert_eq(disclosures(&p, id), 0);
    free(t);
    free(id);
}

Test(need_to_know, an_expired_grant_discloses_nothing)
{
    grant_discloses_nothing("atlas", "--from 2020-01-01T00:00:00Z --to 2020-12-31T00:00:00Z",
                            "ExpiredGrant", "no referral under an expired grant");
}

Test(need_to_know, a_grant_at_another_controller_does_not_disclose_this_controllers_persons)
{
    grant_discloses_nothing("ingent", "", "OtherControllerGrant",
                            "IN-Gent's grant does not cover Atlas");
}

Test(need_to_know, a_person_not_referred_is_not_found_by_the_partner)
{
    struct partner p;
    char *referred;
    referred_setup(&p, &referred, "Referred");
    char *other = new_person("Kateryna", "NotReferred");
    char *t = token_of(&p);
    cr_assert_eq(partner_get(t, other), 404);
    json_t *items = pull(t, NULL);
    cr_assert_eq(json_array_size(items), 1);
    cr_assert_not_null(item_of(items, referred));
    cr_assert_null(item_of(items, other));
    json_decref(items);
    cr_assert_eq(disclosures(&p, other), 0);
    free(t);
    free(other);
    free(referred);
}

Test(need_to_know, a_restricted_person_is_not_disclosed)
{
    struct partner p;
    char *id;
    referred_setup(&p, &id, "Restricted");
    PGconn *c = db_super();
    const char *q[] = {id};
    cr_assert(sql_ok(c, "UPDATE persons SET restricted_at = now() WHERE id = $1::uuid", 1, q));
    PQfinish(c);
    char *t = token_of(&p);
    json_t *items = pull(t, NULL);
    cr_assert_eq(json_array_size(items), 0);
    json_decref(items);
    cr_assert_eq(partner_get(t, id), 404);
    cr_assert_eq(disclosures(&p, id), 0);
    free(t);
    free(id);
}

Test(need_to_know, a_partner_token_does_not_reach_staff_routes)
{
    struct partner p;
    char *id;
    referred_setup(&p, &id, "StaffRoute");
    char *t = token_of(&p);
    char rid[64];
    cr_assert_eq(read_person(t, id, rid), 403);
    PGconn *c = db_super();
    const char *q[] = {rid};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                             "AND outcome = 'allowed'", 1, q), 0);
    PQfinish(c);
    free(t);
    free(id);
}

Test(need_to_know, a_staff_token_does_not_reach_partner_routes)
{
    char *id = new_person("Kateryna", "PartnerRoute");
    const char *keys[] = {COORD, INTAKE, "atlas.dpo"};
    for (size_t i = 0; i < 3; i++) {
        struct resp r;
        api_reqf_token(&r, "GET", tok(keys[i]), NULL, "/v1/partner/persons");
        cr_assert_eq(r.status, 403, "%s: %s", keys[i], r.body);
        resp_free(&r);
        cr_assert_eq(partner_get(tok(keys[i]), id), 403, "%s", keys[i]);
    }
    free(id);
}

Test(need_to_know, a_wrong_client_secret_is_refused)
{
    struct partner p;
    partner_create(&p);
    char *t = NULL, wrong[sizeof p.secret];
    snprintf(wrong, sizeof wrong, "%s", p.secret);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    cr_assert_eq(partner_token_try(&p, wrong, &t), 401);
    cr_assert_null(t);
    cr_assert_eq(partner_token_try(&p, "", &t), 401);
    cr_assert_eq(partner_token_try(&p, p.secret, &t), 200, "the right secret works");
    free(t);
}

/* ---- the DPO's view of the access log ---- */

static json_t *audit_items(const char *token, const char *person, int *status)
{
    struct resp r;
    api_reqf_token(&r, "GET", token, NULL, "/v1/audit/access?person=%s", person);
    *status = r.status;
    json_t *items = json_incref(json_object_get(r.json, "items"));
    resp_free(&r);
    return items;
}

Test(need_to_know, the_dpo_reads_the_log_of_a_person_newest_first)
{
    char *id = new_person("Oksana", "DpoReview");
    struct account other;
    new_account(&other, "atlas", "intake");
    char rid[3][64];
    cr_assert_eq(read_person(tok(INTAKE), id, rid[0]), 200);
    cr_assert_eq(read_person(tok(COORD), id, rid[1]), 200);
    cr_assert_eq(read_person(other.token, id, rid[2]), 403);
    int status;
    json_t *items = audit_items(tok("atlas.dpo"), id, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_array_size(items), 4, "create, two reads and a refusal");
    size_t i;
    json_t *v;
    long long last = 0;
    json_array_foreach(items, i, v)
    {
        cr_assert_str_eq(jstr(v, "person_id"), id);
        long long lid = json_integer_value(json_object_get(v, "id"));
        cr_assert(i == 0 || lid < last, "newest first");
        last = lid;
    }
    cr_assert_str_eq(jstr(json_array_get(items, 0), "request_id"), rid[2]);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "outcome"), "denied");
    cr_assert_str_eq(jstr(json_array_get(items, 1), "request_id"), rid[1]);
    cr_assert_str_eq(jstr(json_array_get(items, 1), "reason"), "coordinator_scope");
    cr_assert_str_eq(jstr(json_array_get(items, 2), "request_id"), rid[0]);
    cr_assert_str_eq(jstr(json_array_get(items, 3), "action"), "create");
    json_decref(items);
    account_free(&other);
    free(id);
}

Test(need_to_know, only_the_dpo_reads_the_log)
{
    char *id = new_person("Oksana", "DpoOnly");
    const char *keys[] = {INTAKE, COORD, "atlas.admin"};
    for (size_t i = 0; i < 3; i++) {
        int status;
        json_t *items = audit_items(tok(keys[i]), id, &status);
        cr_assert_eq(status, 403, "%s", keys[i]);
        cr_assert_null(items, "%s got log rows", keys[i]);
    }
    free(id);
}

Test(need_to_know, another_controllers_dpo_sees_none_of_the_rows)
{
    char *id = new_person("Oksana", "DpoElsewhere");
    cr_assert_eq(read_person(tok(COORD), id, NULL), 200);
    int status;
    json_t *items = audit_items(tok("atlas.dpo"), id, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_array_size(items), 2, "Atlas's DPO sees the rows");
    json_decref(items);
    struct account dpo;
    new_account(&dpo, "ingent", "dpo");
    items = audit_items(dpo.token, id, &status);
    cr_assert_eq(status, 200);
    cr_assert(json_is_array(items));
    cr_assert_eq(json_array_size(items), 0, "IN-Gent's DPO sees none of Atlas's rows");
    json_decref(items);
    account_free(&dpo);
    free(id);
}
