/* Integration: staff login — password + TOTP, enrolment, replay and lockout, recovery codes,
 * token verification against forged and stale tokens, logout, disabled accounts and role
 * changes, account administration, and logins flooding the hashing pool. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <jwt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "crt/crypto.h"
#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static int get_me(const char *token)
{
    struct resp r;
    int status = api_req_token(&r, "GET", "/v1/me", token, NULL) == 0 ? r.status : -1;
    resp_free(&r);
    return status;
}

/* Password step; returns the mfa_token (malloc'ed) or NULL. */
static char *mfa_token(const struct account *a)
{
    struct resp r;
    char *t = NULL;
    if (account_login(&r, a, a->password) == 0 && r.status == 200 && jstr(r.json, "mfa_token"))
        t = strdup(jstr(r.json, "mfa_token"));
    resp_free(&r);
    return t;
}

static int send_code(const char *mfa, const char *code, char **access)
{
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, "{\"mfa_token\":\"%s\",\"code\":\"%s\"}", mfa, code);
    int status = api_req_token(&r, "POST", "/v1/auth/totp", NULL, body) == 0 ? r.status : -1;
    if (access)
        *access = status == 200 ? strdup(jstr(r.json, "access_token")) : NULL;
    resp_free(&r);
    return status;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(auth, enrolment_gives_a_secret_recovery_codes_and_a_working_token)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "caseworker"));
    cr_assert_eq(strlen(a.recovery[0]), 14, "recovery codes xxxx-xxxx-xxxx");
    cr_assert_eq(get_me(a.token), 200);
    account_free(&a);
}

Test(auth, the_second_login_asks_for_a_code_and_a_code_is_accepted_once)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "caseworker"));
    char *mfa = mfa_token(&a), *access = NULL, code[7];
    cr_assert_not_null(mfa, "an enrolled user gets an mfa_token, not an enrol_token");
    account_code(&a, time(NULL) + 30, code); /* the enrolment used the current step */
    cr_assert_eq(send_code(mfa, code, &access), 200);
    cr_assert_eq(get_me(access), 200);
    free(access);
    free(mfa);
    mfa = mfa_token(&a);
    cr_assert_eq(send_code(mfa, code, NULL), 401, "a replayed code is refused");
    free(mfa);
    account_free(&a);
}

Test(auth, a_code_two_steps_old_is_refused)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "caseworker"));
    char *mfa = mfa_token(&a), code[7];
    account_code(&a, time(NULL) - 60, code);
    cr_assert_eq(send_code(mfa, code, NULL), 401);
    account_code(&a, time(NULL) + 90, code);
    cr_assert_eq(send_code(mfa, code, NULL), 401, "and so is one two steps ahead");
    free(mfa);
    account_free(&a);
}

Test(auth, unknown_user_and_wrong_password_get_the_same_answer)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "caseworker"));
    struct resp wrong, unknown;
    cr_assert_eq(account_login(&wrong, &a, "not-the-password-at-all"), 0);
    struct account ghost = a;
    snprintf(ghost.username, sizeof ghost.username, "nobody.t%d", (int)getpid());
    cr_assert_eq(account_login(&unknown, &ghost, "not-the-password-at-all"), 0);
    cr_assert_eq(wrong.status, 401);
    cr_assert_eq(unknown.status, 401);
    cr_assert_str_eq(jstr(wrong.json, "detail"), jstr(unknown.json, "detail"));
    cr_assert_str_eq(jstr(wrong.json, "type"), jstr(unknown.json, "type"));
    resp_free(&wrong);
    resp_free(&unknown);
    account_free(&a);
}

Test(auth, five_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it)
{
    struct account a;
    struct resp r;
    cr_assert(account_new(&a, "atlas", "intake"));
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(account_login(&r, &a, "wrong-password-wrong"), 0);
        cr_assert_eq(r.status, 401);
        resp_free(&r);
    }
    cr_assert_eq(account_login(&r, &a, a.password), 0);
    cr_assert_eq(r.status, 401, "locked: even the right password is refused");
    cr_assert_str_eq(jstr(r.json, "type"), "urn:crt:problem:account-locked",
                     "only who knows the password learns that the account is locked");
    resp_free(&r);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s user unlock %s >/dev/null", CRT_CTL_BIN, a.username);
    cr_assert_eq(run(cmd), 0);
    char *mfa = mfa_token(&a);
    cr_assert_not_null(mfa, "unlocked");
    free(mfa);
    PGconn *c = db_super();
    const char *p[] = {a.username, a.password};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM login_events e JOIN staff_users u ON u.id = e.user_id "
                             "WHERE u.username = $1 AND e.event = 'lockout'", 1, p), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM login_events e JOIN staff_users u ON u.id = e.user_id "
                             "WHERE u.username = $1 AND e.event = 'password' AND e.outcome = 'failure'", 1, p), 5);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM login_events e WHERE strpos(row_to_json(e)::text, $1) > 0",
                          1, p + 1), 0, "no password in the login events");
    PQfinish(c);
    account_free(&a);
}

Test(auth, five_wrong_codes_lock_the_account_and_kill_the_mfa_token)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    char *mfa = mfa_token(&a), code[7], bad[12];
    account_code(&a, time(NULL) + 30, code);
    snprintf(bad, sizeof bad, "%06d", (atoi(code) + 1) % 1000000);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(send_code(mfa, bad, NULL), 401);
    cr_assert_eq(send_code(mfa, code, NULL), 401, "the right code no longer helps");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s user unlock %s >/dev/null", CRT_CTL_BIN, a.username);
    cr_assert_eq(run(cmd), 0);
    cr_assert_eq(send_code(mfa, code, NULL), 401, "the old MFA token died with the lockout");
    free(mfa);
    mfa = mfa_token(&a);
    cr_assert_eq(send_code(mfa, code, NULL), 200, "a new login works after the unlock");
    free(mfa);
    account_free(&a);
}

Test(auth, a_recovery_code_works_once_and_is_recorded)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    char *mfa = mfa_token(&a), *access = NULL;
    cr_assert_eq(send_code(mfa, a.recovery[0], &access), 200);
    cr_assert_eq(get_me(access), 200);
    free(access);
    free(mfa);
    mfa = mfa_token(&a);
    cr_assert_eq(send_code(mfa, a.recovery[0], NULL), 401, "each recovery code is used once");
    free(mfa);
    PGconn *c = db_super();
    const char *p[] = {a.username};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM login_events e JOIN staff_users u ON u.id = e.user_id "
                             "WHERE u.username = $1 AND e.event = 'recovery_code' AND e.outcome = 'success'",
                          1, p), 1);
    PQfinish(c);
    /* … and shown to the controller's DPO. */
    struct resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/audit/logins?user=%s&event=recovery_code", a.user_id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.dpo", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 403, "only the DPO reads login events");
    resp_free(&r);
    account_free(&a);
}

Test(auth, the_mfa_token_alone_cannot_call_data_routes)
{
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    char *mfa = mfa_token(&a);
    cr_assert_eq(get_me(mfa), 401);
    free(mfa);
    account_free(&a);
}

Test(auth, every_data_route_needs_a_token)
{
    for (size_t i = 0; i < api_nroutes; i++) {
        if (api_routes[i].flags & ROUTE_PUBLIC)
            continue;
        char path[256], *o = path;
        for (const char *p = api_routes[i].pattern; *p;) {
            if (*p == '{') {
                o += sprintf(o, "00000000-0000-4000-8000-000000000001");
                p = strchr(p, '}') + 1;
            } else {
                *o++ = *p++;
            }
        }
        *o = '\0';
        struct resp r;
        cr_assert_eq(api_req_token(&r, http_method_name(api_routes[i].method), path, NULL,
                                   (api_routes[i].flags & ROUTE_BODY) ? "{}" : NULL), 0);
        cr_assert_eq(r.status, 401, "%s %s gave %d", http_method_name(api_routes[i].method), path, r.status);
        cr_assert_not_null(resp_header(&r, "WWW-Authenticate"));
        cr_assert(strncmp(resp_header(&r, "WWW-Authenticate"), "Bearer", 6) == 0);
        resp_free(&r);
    }
}

Test(auth, logout_ends_the_session_at_once)
{
    struct account a;
    struct resp r;
    cr_assert(account_new(&a, "atlas", "intake"));
    cr_assert_eq(get_me(a.token), 200);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/logout", a.token, NULL), 0);
    cr_assert_eq(r.status, 204);
    resp_free(&r);
    cr_assert_eq(get_me(a.token), 401);
    account_free(&a);
}

static int admin_patch(const char *user_id, const char *body)
{
    struct resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/admin/users/%s", user_id);
    int status = api_req(&r, "PATCH", path, "atlas.admin", body) == 0 ? r.status : -1;
    resp_free(&r);
    return status;
}

Test(auth, disabling_a_user_or_changing_the_role_stops_the_token_at_once)
{
    struct account a, b;
    cr_assert(account_new(&a, "atlas", "intake"));
    cr_assert(account_new(&b, "atlas", "intake"));
    cr_assert_eq(get_me(a.token), 200);
    cr_assert_eq(admin_patch(a.user_id, "{\"disabled\":true}"), 200);
    cr_assert_eq(get_me(a.token), 401, "disabled");
    cr_assert_eq(admin_patch(a.user_id, "{\"disabled\":false}"), 200);
    cr_assert_eq(get_me(a.token), 401, "re-enabling does not bring the old token back");
    cr_assert_eq(get_me(b.token), 200);
    cr_assert_eq(admin_patch(b.user_id, "{\"role\":\"caseworker\"}"), 200);
    cr_assert_eq(get_me(b.token), 401, "the token carries the old role");
    account_free(&a);
    account_free(&b);
}

Test(auth, administrators_manage_only_their_own_controller)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/admin/users", "atlas.intake", NULL), 0);
    cr_assert_eq(r.status, 403, "only the admin role");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/admin/users", "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, harness_username("atlas.intake")), "looking for %s", harness_username("atlas.intake"));
    cr_assert_null(strstr(r.body, harness_username("ingent.intake")), "no other controller's staff");
    resp_free(&r);
    struct account g;
    cr_assert(account_new(&g, "ingent", "intake"));
    cr_assert_eq(admin_patch(g.user_id, "{\"disabled\":true}"), 404);
    cr_assert_eq(get_me(g.token), 200, "untouched");
    account_free(&g);
}

Test(auth, an_administrator_creates_accounts_under_the_password_policy)
{
    struct resp r;
    char body[512], name[64];
    snprintf(name, sizeof name, "new.user.t%d", (int)getpid());
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"display_name\":\"New User\",\"role\":\"intake\","
             "\"password\":\"short\"}", name);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/users", "atlas.admin", body), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "password");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"display_name\":\"New User\",\"role\":\"intake\","
             "\"password\":\"%s\"}", name, name);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/users", "atlas.admin", body), 0);
    cr_assert_eq(r.status, 422, "the username is not a password");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"display_name\":\"New User\",\"role\":\"intake\","
             "\"password\":\"a long enough passphrase\"}", name);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/users", "atlas.admin", body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", "/v1/admin/users", "atlas.admin", body), 0);
    cr_assert_eq(r.status, 409, "taken");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"a long enough passphrase\"}", name);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/login", NULL, body), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(jstr(r.json, "enrol_token"), "a new account enrols its second factor first");
    resp_free(&r);
}

Test(auth, an_old_password_hash_is_upgraded_at_the_next_login)
{
    setenv("CRT_SCRYPT_LOG2N", "12", 1); /* crtctl hashes cheaply; crt-api wants 2^14 */
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    PGconn *c = db_super();
    const char *p[] = {a.username};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM staff_credentials c JOIN staff_users u ON u.id = c.user_id "
                             "WHERE u.username = $1 AND c.password_hash LIKE '$scrypt$ln=14,%'", 1, p), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM staff_credentials c JOIN staff_users u ON u.id = c.user_id "
                             "WHERE u.username = $1 AND c.totp_sealed IS NOT NULL AND c.totp_key_id IS NOT NULL "
                             "AND octet_length(c.totp_sealed) = 48", 1, p), 1, "the TOTP secret is sealed");
    PQfinish(c);
    account_free(&a);
}

Test(auth, crtctl_enrol_prints_the_uri_and_a_qr_code)
{
    struct account a;
    cr_assert(account_new(&a, "huis", "intake"));
    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd, "%s user reset-mfa %s >/dev/null && %s user enrol %s", CRT_CTL_BIN,
             a.username, CRT_CTL_BIN, a.username);
    FILE *f = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    cr_assert_eq(pclose(f), 0);
    char uri[128];
    snprintf(uri, sizeof uri, "otpauth://totp/CRT:%s?secret=", a.username);
    cr_assert_not_null(strstr(out, uri), "%s", out);
    cr_assert_not_null(strstr(out, "\u2588"), "a QR code is drawn");
    cr_assert_eq(get_me(a.token), 401, "resetting MFA ended the sessions");
    account_free(&a);
}

/* ---- forged and stale tokens ---- */

static unsigned char *slurp(const char *path, int *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = calloc(1, 8192);
    *len = f ? (int)fread(buf, 1, 8191, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

/* The claims of a real token with one claim replaced (value NULL: removed), re-signed. */
static char *resign(const char *token, const char *claim, json_t *value, jwt_alg_t alg,
                    const char *key_env)
{
    int publen, keylen;
    unsigned char *pub = slurp(getenv("CRT_JWT_PUBLIC_KEY_FILE"), &publen);
    unsigned char *key = slurp(getenv(key_env), &keylen);
    jwt_t *in = NULL, *out = NULL;
    cr_assert_eq(jwt_decode(&in, token, pub, publen), 0);
    char *grants = jwt_get_grants_json(in, NULL);
    json_t *claims = json_loads(grants, 0, NULL);
    if (claim && value)
        json_object_set_new(claims, claim, value);
    else if (claim)
        json_object_del(claims, claim);
    char *text = json_dumps(claims, JSON_COMPACT);
    cr_assert_eq(jwt_new(&out), 0);
    cr_assert_eq(jwt_add_grants_json(out, text), 0);
    cr_assert_eq(jwt_set_alg(out, alg, key, keylen), 0);
    char *signed_token = jwt_encode_str(out);
    jwt_free(in);
    jwt_free(out);
    free(grants);
    free(text);
    json_decref(claims);
    free(pub);
    free(key);
    return signed_token;
}

Test(auth, a_re_signed_token_with_the_same_claims_is_accepted)
{
    /* The control for the tests below: the forging itself is sound. */
    char *t = resign(harness_token("atlas.intake"), NULL, NULL, JWT_ALG_ES256, "CRT_JWT_PRIVATE_KEY_FILE");
    cr_assert_eq(get_me(t), 200);
    free(t);
}

Test(auth, tokens_with_a_bad_claim_are_refused)
{
    const char *base = harness_token("atlas.intake");
    time_t now = time(NULL);
    struct {
        const char *claim;
        json_t *value;
    } cases[] = {
        {"exp", json_integer(now - 120)},
        {"nbf", json_integer(now + 600)},
        {"iat", json_integer(now + 600)},
        {"aud", json_string("someone-else")},
        {"iss", json_string("evil")},
        {"ctl", json_integer(4)},
        {"ctl", json_string("3")},
        {"role", json_string("coordinator")},
        {"amr", json_pack("[s]", "pwd")},
        {"sub", NULL},
        {"sid", NULL},
        {"exp", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = resign(base, cases[i].claim, cases[i].value, JWT_ALG_ES256, "CRT_JWT_PRIVATE_KEY_FILE");
        cr_assert_eq(get_me(t), 401, "case %zu (%s) was accepted", i, cases[i].claim);
        free(t);
    }
}

Test(auth, hs256_signed_with_the_public_key_is_refused)
{
    char *t = resign(harness_token("atlas.intake"), NULL, NULL, JWT_ALG_HS256, "CRT_JWT_PUBLIC_KEY_FILE");
    cr_assert_not_null(t);
    cr_assert_eq(get_me(t), 401);
    free(t);
}

Test(auth, alg_none_and_altered_signatures_are_refused)
{
    const char *base = harness_token("atlas.intake");
    const char *dot = strchr(base, '.'), *last = strrchr(base, '.');
    char header[128], none[4096];
    size_t hn = crypto_b64url_encode((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 26,
                                     header, sizeof header);
    cr_assert_gt(hn, 0);
    snprintf(none, sizeof none, "%s.%.*s.", header, (int)(last - dot - 1), dot + 1);
    cr_assert_eq(get_me(none), 401);
    char *altered = strdup(base);
    char *sig = strrchr(altered, '.') + 5;
    *sig = *sig == 'A' ? 'B' : 'A';
    cr_assert_eq(get_me(altered), 401);
    free(altered);
    char *huge = calloc(1, 5000);
    memset(huge, 'a', 4999);
    cr_assert_eq(get_me(huge), 401, "over-long tokens are refused");
    free(huge);
}

/* ---- a flood of logins ---- */

struct flood {
    int status;
    const struct account *a;
};

static void *flood_login(void *arg)
{
    struct flood *f = arg;
    struct resp r;
    f->status = account_login(&r, f->a, f->a->password) == 0 ? r.status : -1;
    resp_free(&r);
    return NULL;
}

Test(auth, a_flood_of_logins_gets_503_and_data_requests_still_answer)
{
    static const char *const env[] = {"CRT_HASH_THREADS=1", "CRT_HASH_QUEUE=1",
                                      "CRT_SCRYPT_LOG2N=16", NULL};
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    pid_t pid = api_start(env);
    cr_assert_gt(pid, 0);
    struct flood f[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        f[i] = (struct flood){0, &a};
        pthread_create(&t[i], NULL, flood_login, &f[i]);
    }
    usleep(20000);
    uint64_t start = http_now_ns();
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/healthz", NULL, NULL), 0);
    uint64_t took = http_now_ns() - start;
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    int busy = 0, ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        busy += f[i].status == 503;
        ok += f[i].status == 200;
    }
    cr_assert_gt(busy, 0, "some logins were turned away");
    cr_assert_gt(ok, 0, "and the queued ones were served");
    cr_assert_lt(took, 2000000000ull, "a request not needing a hash was not stalled");
    api_stop(pid);
    account_free(&a);
}
