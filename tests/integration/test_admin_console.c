/* Integration: the administrator console's API (issue 14 part 2) — enrolment links, disabling
 * with immediate effect, partners and their secrets, grants with disclosure counts, settings
 * and holidays; own controller only, every action a login event the DPO reads. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "crt/totp.h"
#include "crt/validate.h"
#include "harness.h"
#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define PURPOSE "employment_guidance"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The status of a request as who (a harness key) or with token. */
static int status_of(const char *method, const char *path, const char *who, const char *body)
{
    struct resp r;
    cr_assert_eq(api_req(&r, method, path, who, body), 0);
    int s = r.status;
    resp_free(&r);
    return s;
}

static int token_status(const char *method, const char *path, const char *token, const char *body)
{
    struct resp r;
    cr_assert_eq(api_req_token(&r, method, path, token, body), 0);
    int s = r.status;
    resp_free(&r);
    return s;
}

/* POST /v1/admin/users without a password as who: the new id and enrolment code. */
static void create_invited(const char *who, const char *role, char id[40], char code[80],
                           char username[80])
{
    struct resp r;
    char body[300];
    unique_name(username, 80, "new.user.");
    for (char *c = username; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    snprintf(body, sizeof body,
             "{\"username\":\"%s\",\"display_name\":\"Nieuwe Collega\",\"role\":\"%s\"}", username,
             role);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/users", who, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *link = json_object_get(r.json, "enrolment");
    cr_assert_not_null(jstr(link, "code"), "%s", r.body);
    cr_assert_not_null(jstr(link, "expires_at"));
    snprintf(id, 40, "%s", jstr(r.json, "id"));
    snprintf(code, 80, "%s", jstr(link, "code"));
    resp_free(&r);
}

/* POST /v1/auth/enrolment/password; the response (caller frees). */
static void choose_password(struct resp *r, const char *code, const char *password)
{
    char body[300];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"password\":\"%s\"}", code, password);
    cr_assert_eq(api_req_token(r, "POST", "/v1/auth/enrolment/password", NULL, body), 0);
}

/* The rest of an enrolment from an enrol token: TOTP secret, first code, access token. */
static char *enrol_totp(const char *enrol_token)
{
    struct resp r;
    char body[400], code[7];
    unsigned char secret[20];
    snprintf(body, sizeof body, "{\"enrol_token\":\"%s\"}", enrol_token);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/totp/enrol", NULL, body), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(totp_init());
    cr_assert_eq(totp_base32_decode(jstr(r.json, "secret"), secret, sizeof secret), 20);
    resp_free(&r);
    cr_assert(totp_code(secret, sizeof secret, time(NULL), 6, code));
    snprintf(body, sizeof body, "{\"enrol_token\":\"%s\",\"code\":\"%s\"}", enrol_token, code);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/totp/enrol/confirm", NULL, body), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *t = strdup(jstr(r.json, "access_token"));
    resp_free(&r);
    return t;
}

/* The number of login events of event about user (or subject) with the admin key as actor. */
static long events(const char *event, const char *user, const char *subject)
{
    const char *p[] = {event, user, subject};
    PGconn *c = db_super();
    long n = sql_long(c, "SELECT count(*) FROM login_events WHERE event = $1 AND "
                         "($2::uuid IS NULL OR user_id = $2::uuid) AND "
                         "($3::text IS NULL OR subject = $3) AND actor_id IS NOT NULL", 3, p);
    PQfinish(c);
    return n;
}

/* ---- enrolment links ---- */

Test(admin_console, a_new_user_enrols_through_the_link_once_and_then_logs_in)
{
    char id[40], code[80], username[80], sha[65];
    struct resp r;
    create_invited("atlas.admin", "intake", id, code, username);
    crypto_sha256_hex(code, strlen(code), sha);
    const char *q[] = {id}, *q3[] = {id, sha}, *qc[] = {code};
    PGconn *c = db_super();
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM staff_credentials WHERE user_id = $1::uuid "
                             "AND password_hash IS NULL", 1, q), 1, "no password is set for them");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM auth_challenges WHERE user_id = $1::uuid "
                             "AND kind = 'invite' AND token_sha256 = $2", 2, q3), 1,
                 "the code is stored as its SHA-256");
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM auth_challenges WHERE token_sha256 = $1", 1, qc),
                 0, "never the code itself");
    PQfinish(c);

    char body[200];
    snprintf(body, sizeof body, "{\"code\":\"%s\"}", code);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/enrolment", NULL, body), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "username"), username);
    resp_free(&r);

    choose_password(&r, code, username); /* the password policy: not the username */
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "password");
    resp_free(&r);
    choose_password(&r, code, "plum-orchard-velvet-42");
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *enrol = strdup(jstr(r.json, "enrol_token"));
    resp_free(&r);
    char *token = enrol_totp(enrol);
    cr_assert_eq(token_status("GET", "/v1/me", token, NULL), 200);

    choose_password(&r, code, "another-orchard-velvet-43");
    cr_assert_eq(r.status, 401, "a link works once: %s", r.body);
    resp_free(&r);
    cr_assert_eq(events("create", id, NULL), 1);
    cr_assert_eq(events("invite", id, NULL), 1);
    free(enrol);
    free(token);
}

Test(admin_console, a_new_link_ends_the_earlier_one_and_a_disabled_account_gets_none)
{
    char id[40], code[80], username[80], path[120];
    struct resp r;
    create_invited("atlas.admin", "caseworker", id, code, username);
    snprintf(path, sizeof path, "/v1/admin/users/%s/enrolment", id);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *second = strdup(jstr(json_object_get(r.json, "enrolment"), "code"));
    resp_free(&r);
    choose_password(&r, code, "plum-orchard-velvet-42");
    cr_assert_eq(r.status, 401, "the first link was replaced");
    resp_free(&r);

    snprintf(path, sizeof path, "/v1/admin/users/%s", id);
    cr_assert_eq(status_of("PATCH", path, "atlas.admin", "{\"disabled\":true}"), 200);
    choose_password(&r, second, "plum-orchard-velvet-42");
    cr_assert_eq(r.status, 401, "the link of a disabled account is refused");
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/admin/users/%s/enrolment", id);
    cr_assert_eq(status_of("POST", path, "atlas.admin", NULL), 409);
    free(second);
}

Test(admin_console, an_enrolment_link_expires)
{
    static const char *const env[] = {"CRT_ENROL_LINK_TTL_S=2", NULL};
    pid_t pid = api_start(env); /* the harness's tokens stand: same database and keys */
    char id[40], code[80], username[80];
    struct resp r;
    create_invited("atlas.admin", "intake", id, code, username);
    struct timespec ts = {3, 0};
    nanosleep(&ts, NULL);
    choose_password(&r, code, "plum-orchard-velvet-42");
    cr_assert_eq(r.status, 401, "an expired link is refused: %s", r.body);
    resp_free(&r);
    api_stop_checked(pid);
}

/* ---- disabling, sessions ---- */

Test(admin_console, disabling_a_user_refuses_their_open_session_at_once)
{
    struct account a;
    char path[120];
    struct resp r;
    cr_assert(account_new(&a, "atlas", "intake"));
    cr_assert_eq(token_status("GET", "/v1/me", a.token, NULL), 200);
    snprintf(path, sizeof path, "/v1/admin/users/%s/sessions", a.user_id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_geq(json_array_size(json_object_get(r.json, "items")), 1, "the session is listed");
    resp_free(&r);

    snprintf(path, sizeof path, "/v1/admin/users/%s", a.user_id);
    cr_assert_eq(status_of("PATCH", path, "atlas.admin", "{\"disabled\":true}"), 200);
    cr_assert_eq(token_status("GET", "/v1/me", a.token, NULL), 401, "refused on the next request");
    snprintf(path, sizeof path, "/v1/admin/users/%s/sessions", a.user_id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.admin", NULL), 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(events("disable", a.user_id, NULL), 1);
    account_free(&a);
}

/* ---- partners and grants ---- */

/* A partner created by who through the API: id, client id and secret. */
static void api_partner(const char *who, struct partner *p)
{
    struct resp r;
    char body[300];
    unique_name(p->client, sizeof p->client, "console-");
    for (char *c = p->client; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    snprintf(body, sizeof body, "{\"client_id\":\"%s\",\"name\":\"VDAB Test\",\"kind\":\"employment\"}",
             p->client);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/partners", who, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(p->id, sizeof p->id, "%s", jstr(r.json, "id"));
    snprintf(p->secret, sizeof p->secret, "%s", jstr(r.json, "client_secret"));
    resp_free(&r);
}

/* A grant by who to p of identification for PURPOSE from today; its id into id. */
static void api_grant(const char *who, const struct partner *p, char id[40])
{
    struct resp r;
    char body[400], today[11];
    validate_today(today);
    snprintf(body, sizeof body,
             "{\"partner_id\":\"%s\",\"field_groups\":[\"identification\"],\"purpose\":\"%s\","
             "\"legal_basis\":\"art. 6.1.e GDPR\",\"valid_from\":\"%s\",\"valid_to\":\"2099-12-31\"}",
             p->id, PURPOSE, today);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/grants", who, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(id, 40, "%s", jstr(r.json, "id"));
    resp_free(&r);
}

static int token_for(const struct partner *p, const char *secret)
{
    char form[400], *req = NULL;
    struct resp r;
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             p->client, secret);
    int n = asprintf(&req, "POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
    cr_assert(n > 0);
    cr_assert_eq(api_raw(&r, req, (size_t)n), 0);
    free(req);
    int s = r.status;
    resp_free(&r);
    return s;
}

Test(admin_console, rotating_a_secret_refuses_the_old_secret_and_its_tokens)
{
    struct partner p;
    char grant[40], path[120], old[128];
    struct resp r;
    api_partner("atlas.admin", &p);
    api_grant("atlas.admin", &p, grant);
    char *token = partner_token(&p);
    cr_assert_eq(token_status("GET", "/v1/partner/persons", token, NULL), 200);
    snprintf(old, sizeof old, "%s", p.secret);

    snprintf(path, sizeof path, "/v1/admin/partners/%s/secret", p.id);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "secret_version")), 2);
    snprintf(p.secret, sizeof p.secret, "%s", jstr(r.json, "client_secret"));
    resp_free(&r);
    cr_assert_str_neq(p.secret, old);
    cr_assert_eq(token_for(&p, old), 401, "the old secret is refused");
    cr_assert_eq(token_status("GET", "/v1/partner/persons", token, NULL), 401,
                 "a token of the old secret is refused");
    cr_assert_eq(token_for(&p, p.secret), 200, "the new secret works");
    cr_assert_eq(events("partner_secret", NULL, p.id), 1);

    snprintf(path, sizeof path, "/v1/admin/partners/%s/revoke", p.id);
    cr_assert_eq(status_of("POST", path, "atlas.admin", NULL), 200);
    cr_assert_eq(token_for(&p, p.secret), 401, "a revoked partner gets no token");
    cr_assert_eq(api_req(&r, "GET", "/v1/admin/grants", "atlas.admin", NULL), 0);
    json_t *it;
    size_t i;
    bool ended = false;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
        ended = ended || (strcmp(jstr(it, "id"), grant) == 0 && strcmp(jstr(it, "state"), "ended") == 0);
    resp_free(&r);
    cr_assert(ended, "revoking the partner ended the controller's grant");
    free(token);
}

Test(admin_console, the_grant_list_counts_disclosures_and_an_ended_grant_discloses_nothing)
{
    struct partner p;
    char grant[40], path[120];
    struct resp r;
    api_partner("atlas.admin", &p);
    api_grant("atlas.admin", &p, grant);
    char *person = create_person("atlas.intake", "Grant", "Counted", "1990-02-03");
    partner_refer("atlas.intake", person, &p, PURPOSE);
    char *token = partner_token(&p);
    cr_assert_eq(partner_pull(token, person), 200);

    cr_assert_eq(api_req(&r, "GET", "/v1/admin/grants", "atlas.admin", NULL), 0);
    json_t *it, *mine = NULL;
    size_t i;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
        if (strcmp(jstr(it, "id"), grant) == 0)
            mine = it;
    cr_assert_not_null(mine);
    cr_assert_eq(json_integer_value(json_object_get(mine, "disclosures")), 1);
    cr_assert_str_eq(jstr(mine, "state"), "active");
    cr_assert_str_eq(jstr(mine, "valid_to"), "2099-12-31");
    resp_free(&r);

    snprintf(path, sizeof path, "/v1/admin/grants/%s/end", grant);
    cr_assert_eq(status_of("POST", path, "atlas.admin", NULL), 200);
    cr_assert_neq(partner_pull(token, person), 200, "nothing is disclosed under an ended grant");
    cr_assert_eq(events("grant_create", NULL, grant), 1);
    cr_assert_eq(events("grant_end", NULL, grant), 1);
    free(person);
    free(token);
}

Test(admin_console, grant_fields_are_refused_naming_the_field)
{
    struct partner p;
    struct resp r;
    api_partner("atlas.admin", &p);
    const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"partner_id\":\"%s\",\"field_groups\":[\"sensitive\"],\"purpose\":\"abc\","
         "\"legal_basis\":\"law\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2027-01-01\"}",
         "field_groups"},
        {"{\"partner_id\":\"%s\",\"field_groups\":[\"contact\",\"contact\"],\"purpose\":\"abc\","
         "\"legal_basis\":\"law\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2027-01-01\"}",
         "field_groups"},
        {"{\"partner_id\":\"%s\",\"field_groups\":[\"contact\"],\"purpose\":\"A B\","
         "\"legal_basis\":\"law\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2027-01-01\"}",
         "purpose"},
        {"{\"partner_id\":\"%s\",\"field_groups\":[\"contact\"],\"purpose\":\"abc\","
         "\"legal_basis\":\"x\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2027-01-01\"}",
         "legal_basis"},
        {"{\"partner_id\":\"%s\",\"field_groups\":[\"contact\"],\"purpose\":\"abc\","
         "\"legal_basis\":\"law\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2025-01-01\"}",
         "valid_to"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char body[500];
        snprintf(body, sizeof body, bad[k].body, p.id);
        cr_assert_eq(api_req(&r, "POST", "/v1/admin/grants", "atlas.admin", body), 0);
        cr_assert_eq(r.status, 422, "case %zu: %s", k, r.body);
        cr_assert_str_eq(jstr(r.json, "field"), bad[k].field, "case %zu", k);
        resp_free(&r);
    }
    const char *q[] = {p.id};
    PGconn *c = db_super();
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM partner_grants WHERE partner_id = $1::uuid",
                          1, q), 0, "nothing was written");
    PQfinish(c);
}

/* ---- another controller's administrator, other roles ---- */

Test(admin_console, another_controllers_administrator_finds_none_of_it)
{
    struct partner p;
    char grant[40], id[40], code[80], username[80], path[160], body[400];
    struct resp r;
    api_partner("atlas.admin", &p);
    api_grant("atlas.admin", &p, grant);
    create_invited("atlas.admin", "intake", id, code, username);

    cr_assert_eq(api_req(&r, "GET", "/v1/admin/partners", "ingent.admin", NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_null(strstr(r.body, p.id), "atlas's partner is not listed");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/admin/grants", "ingent.admin", NULL), 0);
    cr_assert_null(strstr(r.body, grant), "nor its grant");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/partners", "huis.coordinator", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(strstr(r.body, p.id), "nor offered for referrals at another controller");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/partners", "atlas.coordinator", NULL), 0);
    cr_assert_not_null(strstr(r.body, p.id), "its own controller offers it");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/admin/users", "ingent.admin", NULL), 0);
    cr_assert_null(strstr(r.body, id), "nor its account");
    resp_free(&r);

    const char *posts[] = {"/v1/admin/partners/%s/secret", "/v1/admin/partners/%s/revoke"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, posts[k], p.id);
        cr_assert_eq(status_of("POST", path, "ingent.admin", NULL), 404, "%s", path);
    }
    snprintf(path, sizeof path, "/v1/admin/grants/%s/end", grant);
    cr_assert_eq(status_of("POST", path, "ingent.admin", NULL), 404);
    const char *user_paths[] = {"/v1/admin/users/%s/sessions", "/v1/admin/users/%s/enrolment",
                                "/v1/admin/users/%s/sessions/revoke"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, user_paths[k], id);
        cr_assert_eq(status_of(k == 0 ? "GET" : "POST", path, "ingent.admin", NULL), 404, "%s", path);
    }
    snprintf(path, sizeof path, "/v1/admin/users/%s", id);
    cr_assert_eq(status_of("PATCH", path, "ingent.admin", "{\"disabled\":true}"), 404);
    snprintf(body, sizeof body,
             "{\"partner_id\":\"%s\",\"field_groups\":[\"identification\"],\"purpose\":\"%s\","
             "\"legal_basis\":\"art. 6.1.e GDPR\",\"valid_from\":\"2026-01-01\",\"valid_to\":\"2099-12-31\"}",
             p.id, PURPOSE);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/grants", "ingent.admin", body), 0);
    cr_assert_eq(r.status, 422, "no grant to another controller's partner");
    cr_assert_str_eq(jstr(r.json, "field"), "partner_id");
    resp_free(&r);
    cr_assert_eq(token_for(&p, p.secret), 200, "atlas's partner is untouched");
}

Test(admin_console, other_roles_get_403_and_no_data_on_every_admin_route)
{
    const char *who[] = {"atlas.intake", "atlas.dpo", "atlas.coordinator"};
    const struct {
        const char *method, *path, *body;
    } routes[] = {
        {"GET", "/v1/admin/partners", NULL},
        {"POST", "/v1/admin/partners", "{\"client_id\":\"nope-x\",\"name\":\"No\",\"kind\":\"other\"}"},
        {"GET", "/v1/admin/grants", NULL},
        {"GET", "/v1/admin/settings", NULL},
        {"PATCH", "/v1/admin/settings", "{\"intake_window_days\":200}"},
        {"PUT", "/v1/admin/holidays/2030-01-01", "{\"name\":\"No\"}"},
        {"GET", "/v1/admin/users", NULL},
    };
    for (size_t w = 0; w < 3; w++)
        for (size_t k = 0; k < sizeof routes / sizeof routes[0]; k++) {
            struct resp r;
            cr_assert_eq(api_req(&r, routes[k].method, routes[k].path, who[w], routes[k].body), 0);
            cr_assert_eq(r.status, 403, "%s %s as %s: %d", routes[k].method, routes[k].path,
                         who[w], r.status);
            cr_assert_null(json_object_get(r.json, "items"));
            resp_free(&r);
        }
}

Test(admin_console, the_database_refuses_grants_written_by_anyone_but_an_administrator)
{
    PGconn *c = db_api();
    const char *p[] = {NULL};
    cr_assert(api_context(c, "3", "coordinator", NULL));
    cr_assert_not(sql_ok(c, "INSERT INTO partner_grants (partner_id, controller_id, field_groups, "
                            "purpose, legal_basis, valid_from, valid_to) SELECT id, 3, "
                            "'{identification}', 'x_purpose', 'law', now(), now() + interval '1 day' "
                            "FROM partners LIMIT 1", 0, p),
                  "a coordinator's context cannot insert a grant");
    sql_ok(c, "ROLLBACK", 0, NULL);
    cr_assert(api_context(c, "3", "coordinator", NULL));
    cr_assert_not(sql_ok(c, "SELECT crt_admin_partner_create('sneaky-x', 'Sneaky', 'other', "
                            "repeat('a', 64))", 0, p),
                  "nor create a partner");
    sql_ok(c, "ROLLBACK", 0, NULL);
    PQfinish(c);
}

/* ---- settings and holidays ---- */

Test(admin_console, settings_are_validated_naming_the_field_and_recorded)
{
    struct account admin;
    struct resp r;
    cr_assert(account_new(&admin, "agii", "admin"));
    const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"intake_window_days\":0}", "intake_window_days"},
        {"{\"break_glass_minutes\":1}", "break_glass_minutes"},
        {"{\"work_start\":\"25:00\"}", "work_start"},
        {"{\"work_start\":\"18:00\",\"work_end\":\"08:00\"}", "work_end"},
        {"{\"work_days\":[1,8]}", "work_days"},
        {"{\"work_days\":[]}", "work_days"},
        {"{\"retention_basis\":\"forever\"}", "retention_basis"},
        {"{\"retention_months\":361}", "retention_months"},
        {"{}", "intake_window_days"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cr_assert_eq(api_req_token(&r, "PATCH", "/v1/admin/settings", admin.token, bad[k].body), 0);
        cr_assert_eq(r.status, 422, "case %zu: %s", k, r.body);
        cr_assert_str_eq(jstr(r.json, "field"), bad[k].field, "case %zu", k);
        resp_free(&r);
    }
    cr_assert_eq(api_req_token(&r, "GET", "/v1/admin/settings", admin.token, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "code"), "agii");
    char before[200], *days = json_dumps(json_object_get(r.json, "work_days"), JSON_COMPACT);
    cr_assert_not_null(days);
    snprintf(before, sizeof before, "{\"work_days\":%s,\"retention_months\":%lld}", days,
             json_integer_value(json_object_get(r.json, "retention_months")));
    free(days);
    resp_free(&r);

    cr_assert_eq(api_req_token(&r, "PATCH", "/v1/admin/settings", admin.token,
                               "{\"work_days\":[1,2,3,4],\"retention_months\":7}"), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "retention_months")), 7);
    resp_free(&r);
    PGconn *c = db_super();
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM controllers WHERE code = 'agii' AND "
                             "retention_period = interval '7 months' AND work_days = '{1,2,3,4}'",
                          0, NULL), 1, "the database has the new settings");
    PQfinish(c);
    cr_assert_geq(events("settings_change", NULL, "retention_months"), 1);
    cr_assert_eq(token_status("PATCH", "/v1/admin/settings", admin.token, before), 200, "restored");
    account_free(&admin);
}

Test(admin_console, holidays_are_added_renamed_and_removed)
{
    struct account admin;
    struct resp r;
    char day[16], path[80];
    unsigned pid = (unsigned)getpid();
    snprintf(day, sizeof day, "%04u-%02u-%02u", 2030 + pid % 60, 1 + pid / 60 % 12, 1 + pid % 28);
    snprintf(path, sizeof path, "/v1/admin/holidays/%s", day);
    cr_assert(account_new(&admin, "agii", "admin"));
    cr_assert_eq(api_req_token(&r, "PUT", path, admin.token, "{\"name\":\"Dag\"}"), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "PUT", path, admin.token, "{\"name\":\"Tweede kerstdag\"}"), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "Tweede kerstdag"), "renamed");
    cr_assert_null(strstr(r.body, "\"Dag\""), "renamed, not added twice");
    resp_free(&r);
    cr_assert_eq(token_status("PUT", "/v1/admin/holidays/2031-13-01", admin.token,
                              "{\"name\":\"No\"}"), 404);
    cr_assert_eq(token_status("PUT", path, admin.token, "{\"name\":\"\"}"), 422);
    cr_assert_eq(token_status("DELETE", path, admin.token, NULL), 200);
    cr_assert_eq(token_status("DELETE", path, admin.token, NULL), 404);
    cr_assert_eq(events("holiday_set", NULL, day), 2);
    cr_assert_eq(events("holiday_remove", NULL, day), 1);
    account_free(&admin);
}

/* ---- the DPO sees it ---- */

Test(admin_console, the_dpo_reads_the_administrative_events_with_their_subject)
{
    struct partner p;
    struct resp r;
    api_partner("atlas.admin", &p);
    cr_assert_eq(api_req(&r, "GET", "/v1/audit/logins?event=partner_create&limit=50", "atlas.dpo",
                         NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bool seen = false;
    json_t *it;
    size_t i;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
        seen = seen || (jstr(it, "subject") && strcmp(jstr(it, "subject"), p.id) == 0 &&
                        jstr(it, "actor_id"));
    resp_free(&r);
    cr_assert(seen, "the DPO sees the partner's creation and who did it");
    struct account dpo;
    cr_assert(account_new(&dpo, "ingent", "dpo"));
    cr_assert_eq(api_req_token(&r, "GET", "/v1/audit/logins?event=partner_create&limit=500",
                               dpo.token, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(strstr(r.body, p.id), "another controller's DPO does not");
    resp_free(&r);
    account_free(&dpo);
}
