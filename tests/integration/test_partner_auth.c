/* Integration: partner client authentication — tokens tied to the secret's version (a rotation
 * ends them at once, even within the same second), failed authentications recorded for the DPO
 * of the granting controller and throttled per client id and per source address (429 with
 * Retry-After), and the token form and partner query strings read strictly. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define PURPOSE "employment_guidance"
#define CLIENT_LIMIT 5   /* CRT_PARTNER_AUTH_CLIENT_FAILURES default */
#define ADDRESS_LIMIT 20 /* CRT_PARTNER_AUTH_ADDRESS_FAILURES default */

/* A loopback source address of its own for this test process (failures are counted per
 * address, and every other test connects from 127.0.0.1). */
static const char *own_address(void)
{
    static char a[32];
    if (!a[0]) {
        unsigned r = (unsigned)getpid() ^ (unsigned)time(NULL) * 2654435761u;
        snprintf(a, sizeof a, "127.%u.%u.%u", 1 + r % 250, (r >> 8) % 256, 1 + (r >> 16) % 250);
    }
    return a;
}

/* POST /v1/oauth/token with form (the whole body) from source; the response (caller frees). */
static void token_post(struct resp *r, const char *source, const char *form)
{
    char *req = NULL;
    int n = asprintf(&req, "POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\n"
                           "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
    cr_assert(n > 0);
    cr_assert_eq(api_raw_from(r, source, req, (size_t)n), 0, "no answer from %s",
                 source ? source : "127.0.0.1");
    free(req);
}

/* The status of a client-credentials request with client and secret from source. */
static int try_secret(const char *source, const char *client, const char *secret)
{
    char form[512];
    struct resp r;
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             client, secret);
    token_post(&r, source, form);
    int status = r.status;
    resp_free(&r);
    return status;
}

/* The new secret printed by crtctl partner rotate-secret. */
static void rotate(struct partner *p)
{
    char out[1024];
    cr_assert_eq(ctl_run(out, sizeof out, "partner rotate-secret %s", p->client), 0, "%s", out);
    const char *s = strstr(out, "client_secret:");
    cr_assert_not_null(s, "%s", out);
    cr_assert_eq(sscanf(s, "client_secret: %127s", p->secret), 1);
}

static int pull_list(const char *token)
{
    struct resp r;
    cr_assert_eq(api_req_token(&r, "GET", "/v1/partner/persons", token, NULL), 0);
    int status = r.status;
    resp_free(&r);
    return status;
}

/* ---- the secret's version ---- */

Test(partner_auth, a_token_issued_in_the_same_second_as_a_rotation_stops_working)
{
    struct partner p;
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    char *old = NULL;
    time_t second;
    /* token and rotation within one wall-clock second (retry if the second turns over) */
    for (int attempt = 0; attempt < 5; attempt++) {
        free(old);
        second = time(NULL);
        old = partner_token(&p);
        rotate(&p);
        if (time(NULL) == second)
            break;
    }
    cr_assert_eq(time(NULL), second, "token and rotation fell into the same second");
    cr_assert_eq(pull_list(old), 401, "a token of the previous secret is refused");
    char *fresh = partner_token(&p);
    cr_assert_eq(pull_list(fresh), 200, "a token of the new secret works");
    free(old);
    free(fresh);
}

Test(partner_auth, every_rotation_ends_the_tokens_of_every_earlier_secret)
{
    struct partner p;
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    char *first = partner_token(&p);
    rotate(&p);
    char *second = partner_token(&p);
    rotate(&p);
    char *third = partner_token(&p);
    cr_assert_eq(pull_list(first), 401);
    cr_assert_eq(pull_list(second), 401);
    cr_assert_eq(pull_list(third), 200);
    free(first), free(second), free(third);
}

/* ---- failed authentications: recorded and throttled ---- */

/* The DPO's page of failed authentications of partner p (as token), JSON items (new ref). */
static json_t *failures_seen_by(const char *token, const struct partner *p, int *status)
{
    struct resp r;
    api_reqf_token(&r, "GET", token, NULL, "/v1/audit/partner-auth?partner=%s", p->id);
    *status = r.status;
    json_t *items = json_incref(json_object_get(r.json, "items"));
    resp_free(&r);
    return items;
}

Test(partner_auth, repeated_bad_secrets_get_429_and_the_dpo_sees_each_failure)
{
    struct partner p;
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    const char *from = own_address();
    for (int i = 0; i < CLIENT_LIMIT; i++)
        cr_assert_eq(try_secret(from, p.client, "not-the-secret"), 401, "attempt %d", i + 1);

    struct resp r;
    char form[512];
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             p.client, p.secret);
    token_post(&r, from, form);
    cr_assert_eq(r.status, 429, "throttled, even with the right secret: %s", r.body);
    const char *after = resp_header(&r, "Retry-After");
    cr_assert_not_null(after);
    cr_assert(atoi(after) >= 1 && atoi(after) <= 300, "Retry-After %s", after);
    cr_assert_not_null(strstr(resp_header(&r, "Content-Type"), "application/problem+json"));
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "type")),
                     "urn:crt:problem:too-many-requests");
    resp_free(&r);
    cr_assert_eq(try_secret(NULL, p.client, p.secret), 429, "per client id: from any address");

    /* the DPO of the granting controller sees the five failures, not the throttled attempts */
    int status;
    json_t *items = failures_seen_by(harness_token("atlas.dpo"), &p, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_array_size(items), CLIENT_LIMIT);
    json_t *first = json_array_get(items, 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "partner_id")), p.id);
    cr_assert_str_eq(json_string_value(json_object_get(first, "client_id")), p.client);
    cr_assert_str_eq(json_string_value(json_object_get(first, "reason")), "bad_secret");
    cr_assert_str_eq(json_string_value(json_object_get(first, "ip")), from);
    char *text = json_dumps(items, 0);
    cr_assert_null(strstr(text, "not-the-secret"), "never the secret");
    free(text);
    json_decref(items);

    /* a DPO of a controller that grants nothing to the partner sees none of them */
    struct account other;
    cr_assert(account_new(&other, "ingent", "dpo"));
    items = failures_seen_by(other.token, &p, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_array_size(items), 0);
    json_decref(items);
    account_free(&other);

    /* and the read is logged */
    PGconn *c = db_super();
    cr_assert_geq(sql_long(c, "SELECT count(*) FROM access_log WHERE action = 'audit_read' "
                              "AND reason = 'partner_auth_events' AND controller_id = 3", 0, NULL),
                  1);
    PQfinish(c);
}

Test(partner_auth, only_the_dpo_reads_the_failures)
{
    struct resp r;
    api_req(&r, "GET", "/v1/audit/partner-auth", "atlas.coordinator", NULL);
    cr_assert_eq(r.status, 403, "%s", r.body);
    resp_free(&r);
}

Test(partner_auth, the_database_shows_the_failures_only_to_a_dpo_of_a_granting_controller)
{
    struct partner p;
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    cr_assert_eq(try_secret(own_address(), p.client, "wrong"), 401);
    PGconn *c = db_api();
    const char *q[] = {p.id};
    static const char *const contexts[][3] = {{"3", "dpo", "1"}, {"3", "coordinator", "0"},
                                              {"4", "dpo", "0"}};
    for (size_t i = 0; i < 3; i++) {
        const char *ctx[] = {contexts[i][0], contexts[i][1]};
        cr_assert(api_context(c, ctx[0], ctx[1], NULL));
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM partner_auth_events WHERE partner_id = $1::uuid",
                              1, q), atol(contexts[i][2]), "controller %s role %s", ctx[0], ctx[1]);
        cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    }
    PQfinish(c);
}

Test(partner_auth, failures_from_one_address_are_throttled_whatever_the_client_id)
{
    char client[64];
    const char *from = own_address();
    /* unknown client ids, each tried once: only the address links them */
    for (int i = 0; i < ADDRESS_LIMIT; i++) {
        snprintf(client, sizeof client, "nobody-%d-%d", (int)getpid(), i);
        cr_assert_eq(try_secret(from, client, "guess"), 401, "attempt %d", i + 1);
    }
    struct partner p;
    partner_create(&p);
    cr_assert_eq(try_secret(from, p.client, p.secret), 429, "the address is throttled");
    cr_assert_eq(try_secret(NULL, p.client, p.secret), 200, "other addresses are not");
    PGconn *c = db_super();
    const char *q[] = {from};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM partner_auth_events WHERE ip = $1 "
                             "AND reason = 'unknown_client' AND partner_id IS NULL", 1, q),
                 ADDRESS_LIMIT, "each failure is recorded, the unknown client ids with no partner");
    PQfinish(c);
}

Test(partner_auth, missing_credentials_are_recorded_as_a_failure)
{
    const char *from = own_address();
    struct resp r;
    token_post(&r, from, "grant_type=client_credentials");
    cr_assert_eq(r.status, 401, "%s", r.body);
    resp_free(&r);
    PGconn *c = db_super();
    const char *q[] = {from};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM partner_auth_events WHERE ip = $1 "
                             "AND reason = 'no_credentials'", 1, q), 1);
    PQfinish(c);
}

/* ---- the form ---- */

Test(partner_auth, a_repeated_form_parameter_is_refused)
{
    struct partner p;
    partner_create(&p);
    char form[512];
    struct resp r;
    snprintf(form, sizeof form,
             "grant_type=client_credentials&client_id=%s&client_secret=%s&client_secret=%s",
             p.client, p.secret, p.secret);
    token_post(&r, NULL, form);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "error")), "invalid_request");
    resp_free(&r);
    snprintf(form, sizeof form,
             "grant_type=client_credentials&grant_type=password&client_id=%s&client_secret=%s",
             p.client, p.secret);
    token_post(&r, NULL, form);
    cr_assert_eq(r.status, 400, "%s", r.body);
    resp_free(&r);
}

Test(partner_auth, an_invalid_percent_escape_in_the_form_is_refused)
{
    struct partner p;
    partner_create(&p);
    char form[512];
    struct resp r;
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s%%ZZ",
             p.client, p.secret);
    token_post(&r, NULL, form);
    cr_assert_eq(r.status, 400, "%s", r.body);
    resp_free(&r);
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s%%00",
             p.client, p.secret);
    token_post(&r, NULL, form);
    cr_assert_eq(r.status, 400, "an escaped NUL would cut the secret short: %s", r.body);
    resp_free(&r);
}

/* ---- the partner routes' query strings ---- */

Test(partner_auth, a_repeated_or_badly_escaped_query_parameter_is_refused)
{
    struct partner p;
    partner_with_grant(&p, "atlas", "identification", PURPOSE);
    char *token = partner_token(&p);
    static const char *const paths[][2] = {
        {"/v1/partner/persons?limit=1&limit=2", "limit"},
        {"/v1/partner/persons?changed_since=2026-01-01&changed_since=2025-01-01", "changed_since"},
        {"/v1/partner/persons?limit=1%ZZ", NULL},
        {"/v1/partner/persons?limit=1%00", NULL},
        {"/v1/partner/persons?limit=0", "limit"},
        {"/v1/partner/persons?offset=3", "offset"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct resp r;
        cr_assert_eq(api_req_token(&r, "GET", paths[i][0], token, NULL), 0);
        cr_assert_eq(r.status, 400, "%s: %d %s", paths[i][0], r.status, r.body);
        const char *field = json_string_value(json_object_get(r.json, "field"));
        if (paths[i][1])
            cr_assert(field && strcmp(field, paths[i][1]) == 0, "%s: %s", paths[i][0], r.body);
        resp_free(&r);
    }
    cr_assert_eq(pull_list(token), 200, "the control: no query at all");
    free(token);
}
