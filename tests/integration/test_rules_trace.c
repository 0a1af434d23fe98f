/* Integration: rules of the register traced in docs/rules.md that had no test failing without
 * them — break-glass expiry, identity checked before a request, AgII as contact point and the
 * four-week answer period, the export as a complete copy, and the exact access-log rows of
 * searches, households, flags, request reads and the DPO's own reads of the log. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"
#define DPO "atlas.dpo"
#define GLASS_REASON "ambulance at the door, the assigned caseworker is on leave"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The X-Request-Id of a response, into out. */
static void rid_of(const struct resp *r, char out[64])
{
    const char *h = resp_header(r, "X-Request-Id");
    cr_assert_not_null(h, "every response carries X-Request-Id");
    snprintf(out, 64, "%s", h);
}

/* A fresh person of atlas registered by atlas.intake, with a unique last name (into last). */
static char *person(char *last, size_t n)
{
    char name[64];
    unique_name(name, sizeof name, "Trace");
    if (last)
        snprintf(last, n, "%s", name);
    char *id = create_person(INTAKE, "Iryna", name, "1979-04-12");
    cr_assert_not_null(id, "person registered");
    return id;
}

/* The first value of a query (superuser) as text into out; "" for NULL or no row. */
static void sql_text(const char *sql, int n, const char *const *p, char *out, size_t len)
{
    PGconn *c = db_super();
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    snprintf(out, len, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
}

/* The id of a staff account by username. */
static void user_id(const char *username, char out[40])
{
    const char *p[] = {username};
    sql_text("SELECT id::text FROM staff_users WHERE username = $1", 1, p, out, 40);
    cr_assert_eq(strlen(out), 36, "no user %s", username);
}

/* Every access-log row of one request, one line each —
 * "action person household groups purpose user outcome reason", '-' for NULL — sorted. */
static void log_of(const char *rid, char *out, size_t len)
{
    const char *p[] = {rid};
    sql_text("SELECT COALESCE(string_agg(concat_ws(' ', action, COALESCE(person_id::text, '-'), "
             "COALESCE(household_id::text, '-'), field_groups::text, purpose, "
             "COALESCE(user_id::text, '-'), outcome, COALESCE(reason, '-')), E'\\n' ORDER BY "
             "action, person_id, id), '') FROM access_log WHERE request_id = $1",
             1, p, out, len);
}

/* Asserts that the log rows of rid are exactly `want` (lines as log_of makes them). */
static void log_is(const char *rid, const char *want)
{
    static char got[1 << 16];
    log_of(rid, got, sizeof got);
    cr_assert_str_eq(got, want, "access-log rows of request %s:\n%s\nexpected:\n%s", rid, got, want);
}

/* ---- break-glass expires (VluchtelingenWerk 11.5) ---- */

/* The break-glass row is moved in time the way a clock would move it: its creation and expiry
 * keep their distance (the controller's break_glass_minutes) but now end 2 seconds from now; the
 * test then lets those seconds pass. Triggers (append-only) are off in that superuser session
 * only. */
static void expire_in_two_seconds(const char *glass_id)
{
    PGconn *c = db_super();
    const char *p[] = {glass_id};
    cr_assert(sql_ok(c, "SET session_replication_role = replica", 0, NULL));
    cr_assert(sql_ok(c, "UPDATE break_glass SET started_at = started_at - (expires_at - "
                        "clock_timestamp()) + interval '2 s', expires_at = clock_timestamp() + "
                        "interval '2 s' WHERE id = $1::uuid", 1, p), "%s", PQerrorMessage(c));
    PQfinish(c);
}

Test(trace, break_glass_expires_and_is_then_refused)
{
    char *id = person(NULL, 0);
    struct account cw;
    cr_assert(account_new(&cw, "atlas", "caseworker"));
    struct resp r;
    api_reqf_token(&r, "GET", cw.token, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 403, "not assigned: %s", r.body);
    resp_free(&r);
    api_reqf_token(&r, "POST", cw.token, "{\"reason\":\"" GLASS_REASON "\"}", "/v1/persons/%s/break-glass", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char glass[40];
    snprintf(glass, sizeof glass, "%s", jstr(r.json, "id") ? jstr(r.json, "id") : "");
    resp_free(&r);
    /* limited and precise: it lasts exactly the controller's break_glass_minutes */
    const char *p[] = {glass};
    char minutes[16];
    sql_text("SELECT extract(epoch FROM b.expires_at - b.started_at)::int / 60 = c.break_glass_minutes "
             "FROM break_glass b JOIN controllers c ON c.id = b.controller_id WHERE b.id = $1::uuid",
             1, p, minutes, sizeof minutes);
    cr_assert_str_eq(minutes, "t", "break-glass %s does not last break_glass_minutes", glass);
    expire_in_two_seconds(glass);
    api_reqf_token(&r, "GET", cw.token, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "open until it expires: %s", r.body);
    resp_free(&r);
    sleep(3);
    char rid[64];
    api_reqf_token(&r, "GET", cw.token, NULL, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 403, "an expired break-glass still opens the record: %s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    char line[256];
    snprintf(line, sizeof line, "read %s - {} guidance %s denied no_need_to_know", id, cw.user_id);
    log_is(rid, line);
    account_free(&cw);
    free(id);
}

/* ---- identity checked before a request is handled ---- */

/* Requests about the person in the register (any state). */
static long requests_of(const char *id)
{
    PGconn *c = db_super();
    const char *p[] = {id};
    long n = sql_long(c, "SELECT count(*) FROM rights_requests WHERE person_id = $1::uuid", 1, p);
    PQfinish(c);
    return n;
}

/* POST /v1/persons/{id}/requests with body as atlas.intake: the status; the field of a 422 into
 * field. */
static int request_with(const char *id, const char *body, char field[32])
{
    struct resp r;
    api_reqf(&r, "POST", INTAKE, body, "/v1/persons/%s/requests", id);
    int status = r.status;
    snprintf(field, 32, "%s", r.json && jstr(r.json, "field") ? jstr(r.json, "field") : "");
    resp_free(&r);
    return status;
}

Test(trace, a_request_without_an_identity_check_is_refused)
{
    char *id = person(NULL, 0), field[32];
    cr_assert_eq(request_with(id, "{\"kind\":\"access\",\"received_on\":\"2026-12-01\"}", field), 422);
    cr_assert_str_eq(field, "identity_check");
    cr_assert_eq(request_with(id, "{\"kind\":\"access\",\"received_on\":\"2026-12-01\","
                                  "\"identity_check\":null}", field), 422);
    cr_assert_str_eq(field, "identity_check");
    cr_assert_eq(requests_of(id), 0, "a request without an identity check was registered");
    /* by identification, for another controller, too */
    struct resp r;
    api_req(&r, "POST", "/v1/requests", DPO,
            "{\"kind\":\"access\",\"received_on\":\"2026-12-01\",\"owning_controller\":\"ingent\","
            "\"oki_number\":\"OKI000000001\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "identity_check");
    resp_free(&r);
    free(id);
}

Test(trace, a_made_up_identity_check_is_refused)
{
    char *id = person(NULL, 0), field[32];
    const char *fakes[] = {"trust_me", "", "EID", "eid ", "checked"};
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"kind\":\"access\",\"received_on\":\"2026-12-01\","
                                    "\"identity_check\":\"%s\"}", fakes[i]);
        cr_assert_eq(request_with(id, body, field), 422, "identity_check '%s' accepted", fakes[i]);
        cr_assert_str_eq(field, "identity_check");
    }
    cr_assert_eq(requests_of(id), 0);
    free(id);
}

Test(trace, identity_checked_otherwise_needs_a_description)
{
    char *id = person(NULL, 0), field[32];
    const char *base = "{\"kind\":\"access\",\"received_on\":\"2026-12-01\",\"identity_check\":\"other\"";
    char body[512];
    snprintf(body, sizeof body, "%s}", base);
    cr_assert_eq(request_with(id, body, field), 422, "'other' without a description accepted");
    cr_assert_str_eq(field, "details");
    snprintf(body, sizeof body, "%s,\"details\":\"seen\"}", base);
    cr_assert_eq(request_with(id, body, field), 422, "'other' with a 4-character description accepted");
    cr_assert_str_eq(field, "details");
    cr_assert_eq(requests_of(id), 0);
    snprintf(body, sizeof body,
             "%s,\"details\":\"residence card shown at the counter, photo compared\"}", base);
    cr_assert_eq(request_with(id, body, field), 201);
    const char *p[] = {id};
    char stored[256];
    sql_text("SELECT identity_check || ': ' || details FROM rights_requests WHERE person_id = $1::uuid",
             1, p, stored, sizeof stored);
    cr_assert_str_eq(stored, "other: residence card shown at the counter, photo compared");
    /* the database keeps the rule for any other writer: the description cannot be removed */
    PGconn *c = db_super();
    PGresult *u = PQexecParams(c, "UPDATE rights_requests SET details = NULL WHERE person_id = $1::uuid",
                               1, NULL, p, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(u, PG_DIAG_SQLSTATE) ? PQresultErrorField(u, PG_DIAG_SQLSTATE) : "",
                     "23514", "an 'other' identity check lost its description: %s", PQerrorMessage(c));
    PQclear(u);
    PQfinish(c);
    /* the same on the route by identification (any controller) */
    struct resp r;
    api_req(&r, "POST", "/v1/requests", DPO,
            "{\"kind\":\"access\",\"received_on\":\"2026-12-01\",\"identity_check\":\"other\","
            "\"owning_controller\":\"ingent\",\"oki_number\":\"OKI000000001\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "details");
    resp_free(&r);
    free(id);
}

/* ---- AgII as contact point; the four-week period of the Dutch regulations ---- */

/* The OKI number of a person. */
static void oki_of(const char *id, char out[32])
{
    const char *p[] = {id};
    sql_text("SELECT oki_number FROM persons WHERE id = $1::uuid", 1, p, out, 32);
    cr_assert_neq(strlen(out), 0);
}

/* A request received at AgII (by its DPO, as contact point) about the atlas person id, received
 * on `received`: 201 asserted; the request id into rq (the response's). */
static void agii_forwards(const struct account *agii, const char *id, const char *received,
                          char rq[40], char rid[64])
{
    char oki[32], body[512];
    oki_of(id, oki);
    snprintf(body, sizeof body,
             "{\"kind\":\"access\",\"received_on\":\"%s\",\"identity_check\":\"id_document\","
             "\"owning_controller\":\"atlas\",\"oki_number\":\"%s\"}", received, oki);
    struct resp r;
    api_req_token(&r, "POST", "/v1/requests", agii->token, body);
    cr_assert_eq(r.status, 201, "AgII could not receive a request for atlas: %s", r.body);
    cr_assert_str_eq(jstr(r.json, "receiving_controller"), "agii");
    cr_assert_str_eq(jstr(r.json, "owning_controller"), "atlas");
    cr_assert_null(json_object_get(r.json, "person_id"), "the receiver learns the person's id");
    snprintf(rq, 40, "%s", jstr(r.json, "id"));
    rid_of(&r, rid);
    resp_free(&r);
}

Test(trace, agii_receives_requests_for_every_controller)
{
    char *id = person(NULL, 0), rq[40], rid[64], line[1024];
    struct account agii;
    cr_assert(account_new(&agii, "agii", "dpo"));
    agii_forwards(&agii, id, "2026-11-30", rq, rid);
    /* the owner decides: its coordinator sees the whole request, with its own answer period */
    struct resp r;
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "person_id"), id);
    cr_assert_str_eq(jstr(r.json, "receiving_controller"), "agii");
    cr_assert_str_eq(jstr(r.json, "deadline"), "2026-12-30", "atlas's one month from receipt");
    resp_free(&r);
    /* one row at each controller: AgII's without the person, atlas's without AgII's user */
    const char *p[] = {rq};
    char number[16];
    sql_text("SELECT number FROM rights_requests WHERE id = $1::uuid", 1, p, number, sizeof number);
    snprintf(line, sizeof line,
             "request_write %s - {} data_subject_request - allowed request %s forwarded from controller 1\n"
             "request_write - - {} data_subject_request %s allowed request %s forwarded to controller 3",
             id, number, agii.user_id, number);
    log_is(rid, line);
    /* and AgII's list holds it, as a summary */
    api_req_token(&r, "GET", "/v1/requests?status=open", agii.token, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, rq), "AgII's register lacks the request it received");
    cr_assert_null(strstr(r.body, id), "AgII's register names the person");
    resp_free(&r);
    account_free(&agii);
    free(id);
}

/* Sets agii's request_period with crtctl (as an operator would). */
static void agii_period(const char *period)
{
    char out[512];
    cr_assert_eq(ctl_run(out, sizeof out, "controller set agii request_period '%s'", period), 0, "%s", out);
}

Test(trace, the_four_week_period_sets_the_deadline)
{
    struct account intake, agii_dpo;
    cr_assert(account_new(&intake, "agii", "intake"));
    cr_assert(account_new(&agii_dpo, "agii", "dpo"));
    char name[64], body[512];
    unique_name(name, sizeof name, "Vier");
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"Anna\","
                                "\"last_name\":\"%s\",\"birth_date\":\"1981-02-03\"}}", name);
    struct resp r;
    api_req_token(&r, "POST", "/v1/persons", intake.token, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jstr(r.json, "id"));
    resp_free(&r);
    const char *rq_body = "{\"kind\":\"erasure\",\"received_on\":\"2026-11-30\",\"identity_check\":\"eid\"}";
    agii_period("28 days");
    api_reqf_token(&r, "POST", intake.token, rq_body, "/v1/persons/%s/requests", id);
    char *four = r.status == 201 ? strdup(jstr(r.json, "id")) : NULL, deadline[16];
    snprintf(deadline, sizeof deadline, "%s", jstr(r.json, "deadline") ? jstr(r.json, "deadline") : "none");
    resp_free(&r);
    /* a request AgII receives for atlas while its own period is four weeks: the owner's month */
    char *other = person(NULL, 0), rq[40], rid[64];
    agii_forwards(&agii_dpo, other, "2026-11-30", rq, rid);
    const char *p[] = {rq};
    char owner_deadline[16];
    sql_text("SELECT deadline FROM rights_requests WHERE id = $1::uuid", 1, p, owner_deadline,
             sizeof owner_deadline);
    agii_period("1 month");
    cr_assert_str_eq(deadline, "2026-12-28", "received 2026-11-30 with a four-week period");
    cr_assert_not_null(four);
    cr_assert_str_eq(owner_deadline, "2026-12-30", "the receiver's period was used, not the owner's");
    /* the period is the one at receipt: back to a month, the earlier request keeps four weeks */
    api_reqf_token(&r, "POST", intake.token, rq_body, "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "deadline"), "2026-12-30");
    resp_free(&r);
    const char *q[] = {four};
    char kept[32];
    sql_text("SELECT deadline || ' ' || period FROM rights_requests WHERE id = $1::uuid", 1, q, kept, sizeof kept);
    cr_assert_str_eq(kept, "2026-12-28 28 days");
    free(four);
    free(other);
    free(id);
    account_free(&intake);
    account_free(&agii_dpo);
}

/* ---- the access-log rows of searches, households, flags, request reads, the DPO's reads ---- */

Test(trace, a_search_logs_one_row_per_person_returned)
{
    char last[64], uid[40], rid[64], line[1024];
    char *id = person(last, sizeof last);
    user_id(harness_username(INTAKE), uid);
    struct resp r;
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/persons?q=%s&birth_date=1979-04-12", last);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "search %s - {identification} duplicate_check %s allowed by_name_birth_date",
             id, uid);
    log_is(rid, line);
    /* a search that finds nobody is logged too, without a person */
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/persons?q=%sNobody&birth_date=1979-04-12", last);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "search - - {identification} duplicate_check %s allowed by_name_birth_date", uid);
    log_is(rid, line);
    /* by OKI number */
    char oki[32];
    oki_of(id, oki);
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/persons?oki_number=%s", oki);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "search %s - {identification} duplicate_check %s allowed by_oki_number", id, uid);
    log_is(rid, line);
    free(id);
}

Test(trace, a_household_write_and_read_are_logged)
{
    char uid[40], rid[64], line[1024], hh[40], name[64], body[512];
    user_id(harness_username(INTAKE), uid);
    unique_name(name, sizeof name, "Huis");
    snprintf(body, sizeof body, "{\"family_name\":\"%s\",\"address_street\":\"Lange Nieuwstraat\","
                                "\"address_number\":\"7\",\"address_postcode\":\"2000\","
                                "\"address_city\":\"Antwerpen\",\"source\":\"person\"}", name);
    struct resp r;
    api_req(&r, "POST", "/v1/households", INTAKE, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(hh, sizeof hh, "%s", jstr(r.json, "id"));
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "household_write - %s {identification,contact} registration %s allowed -", hh, uid);
    log_is(rid, line);
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/households/%s", hh);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "household_read - %s {identification,contact} guidance %s allowed -", hh, uid);
    log_is(rid, line);
    /* a household of another controller: not found, and logged as such */
    struct account other;
    cr_assert(account_new(&other, "ingent", "intake"));
    api_reqf_token(&r, "GET", other.token, NULL, "/v1/households/%s", hh);
    cr_assert_eq(r.status, 404, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "household_read - %s {} guidance %s not_found -", hh, other.user_id);
    log_is(rid, line);
    account_free(&other);
}

Test(trace, reading_and_writing_flags_are_logged)
{
    char uid[40], rid[64], line[1024];
    char *id = person(NULL, 0);
    user_id(harness_username(COORD), uid);
    struct resp r;
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "flags_read %s - {} data_subject_request %s allowed coordinator_scope", id, uid);
    log_is(rid, line);
    api_reqf(&r, "PATCH", COORD, "{\"protected\":true,\"reason\":\"threatened by a former partner\"}",
             "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "flags_write %s - {} data_subject_request %s allowed coordinator_scope", id, uid);
    log_is(rid, line);
    free(id);
}

Test(trace, reading_a_request_is_logged)
{
    char uid[40], rid[64], line[1024], rq[40];
    char *id = person(NULL, 0);
    user_id(harness_username(COORD), uid);
    struct resp r;
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"access\",\"received_on\":\"2026-12-01\",\"identity_check\":\"eid\"}",
             "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(rq, sizeof rq, "%s", jstr(r.json, "id"));
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "request_read %s - {} data_subject_request %s allowed register", id, uid);
    log_is(rid, line);
    /* the intake that received it reads the summary: a row without the person */
    char iuid[40];
    user_id(harness_username(INTAKE), iuid);
    api_reqf(&r, "GET", INTAKE, NULL, "/v1/requests/%s", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(json_object_get(r.json, "person_id"));
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "request_read - - {} data_subject_request %s allowed register", iuid);
    log_is(rid, line);
    /* the person's requests */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "request_read %s - {} data_subject_request %s allowed coordinator_scope", id, uid);
    log_is(rid, line);
    free(id);
}

Test(trace, the_dpo_reading_the_log_is_logged)
{
    char uid[40], rid[64], line[1024];
    char *id = person(NULL, 0);
    user_id(harness_username(DPO), uid);
    struct resp r;
    api_reqf(&r, "GET", DPO, NULL, "/v1/audit/access?person=%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    snprintf(line, sizeof line, "audit_read %s - {} audit %s allowed dpo_review", id, uid);
    log_is(rid, line);
    /* and the next read shows the DPO's own read */
    api_reqf(&r, "GET", DPO, NULL, "/v1/audit/access?person=%s&action=audit_read", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_geq(json_array_size(items), 1, "the DPO's read of the log is not in the log: %s", r.body);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "user_id"), uid);
    resp_free(&r);
    /* the login events and the partners' failed authentications, each named */
    const char *logs[][2] = {{"/v1/audit/logins", "login_events"},
                             {"/v1/audit/partner-auth", "partner_auth_events"}};
    for (int i = 0; i < 2; i++) {
        api_req(&r, "GET", logs[i][0], DPO, NULL);
        cr_assert_eq(r.status, 200, "%s: %s", logs[i][0], r.body);
        rid_of(&r, rid);
        resp_free(&r);
        snprintf(line, sizeof line, "audit_read - - {} audit %s allowed %s", uid, logs[i][1]);
        log_is(rid, line);
    }
    free(id);
}

/* ---- the copy of the person's data (access, portability) ---- */

/* A JSON member by dotted path, as text ("" when absent or not a string). */
static const char *at_path(json_t *o, const char *path)
{
    char key[64];
    const char *dot;
    while (o && (dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        o = json_object_get(o, key);
        path = dot + 1;
    }
    const char *v = o ? json_string_value(json_object_get(o, path)) : NULL;
    return v ? v : "";
}

Test(trace, the_export_is_a_complete_machine_readable_copy)
{
    char name[64], body[1024], uid[40], rid[64], line[1024];
    unique_name(name, sizeof name, "Kopie");
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"identification\":{\"first_name\":\"Mariia\",\"last_name\":\"%s\","
             "\"birth_date\":\"1986-10-20\"},\"contact\":{\"phone\":\"+32 470 11 22 33\"},"
             "\"situation\":{\"needs_buddy\":true},\"sources\":{\"needs_buddy\":\"intermediary\"}}", name);
    struct resp r;
    api_req(&r, "POST", "/v1/persons", INTAKE, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jstr(r.json, "id"));
    resp_free(&r);
    api_reqf(&r, "PATCH", INTAKE, "{\"reason\":\"new number given at intake\",\"source\":\"interpreter\","
                                  "\"contact\":{\"phone\":\"+32 470 44 55 66\"}}", "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", INTAKE, "{\"kind\":\"portability\",\"received_on\":\"2026-12-01\",\"identity_check\":\"eid\"}",
             "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    /* structured and machine-readable */
    cr_assert_not_null(strstr(resp_header(&r, "Content-Type"), "application/json"));
    cr_assert_not_null(r.json, "the export is not JSON");
    json_t *person = json_object_get(r.json, "person");
    /* every field group held, with each item's source */
    cr_assert_str_eq(at_path(person, "identification.last_name"), name);
    cr_assert_str_eq(at_path(person, "contact.phone"), "+32 470 44 55 66");
    cr_assert(json_is_true(json_object_get(json_object_get(person, "situation"), "needs_buddy")), "%s", r.body);
    cr_assert_not_null(json_object_get(person, "trajectory"), "%s", r.body);
    cr_assert_not_null(json_object_get(person, "sensitive"), "%s", r.body);
    cr_assert_str_eq(at_path(person, "sources.needs_buddy"), "intermediary");
    cr_assert_str_eq(at_path(person, "sources.phone"), "interpreter");
    cr_assert_str_eq(at_path(person, "sources.last_name"), "person");
    /* the changes made, the requests, who consulted it */
    json_t *rect = json_object_get(r.json, "rectifications");
    cr_assert_eq(json_array_size(rect), 1, "%s", r.body);
    cr_assert_str_eq(at_path(json_array_get(rect, 0), "field"), "contact.phone");
    cr_assert_str_eq(at_path(json_array_get(rect, 0), "old_value"), "+32 470 11 22 33");
    cr_assert_eq(json_array_size(json_object_get(r.json, "requests")), 1, "%s", r.body);
    cr_assert_str_eq(at_path(json_array_get(json_object_get(r.json, "requests"), 0), "kind"), "portability");
    cr_assert_geq(json_array_size(json_object_get(r.json, "consultations")), 1, "%s", r.body);
    rid_of(&r, rid);
    resp_free(&r);
    /* and the export itself is in the log, with every group it held */
    user_id(harness_username(COORD), uid);
    snprintf(line, sizeof line,
             "export %s - {identification,contact,trajectory,situation,education,sensitive} "
             "data_subject_request %s "
             "allowed coordinator_scope", id, uid);
    log_is(rid, line);
    free(id);
}
