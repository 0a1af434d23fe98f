/* Integration: the browser side of crt-api — the __Host- session cookie and its CSRF proof,
 * idle and absolute limits, logout and revocation, login throttling, password change, the
 * static files of the web application and the headers of every response. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "harness.h"

#define CSP                                                                                  \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "       \
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "        \
    "frame-ancestors 'none'; base-uri 'none'"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* A browser session: the cookie value and its CSRF token. */
struct web {
    char cookie[80], csrf[80];
};

/* Password, then code with session:"cookie"; the raw Set-Cookie into *set (malloc'ed) if
 * wanted. Returns the status of the code step. */
static int web_login(const struct account *a, const char *code, struct web *w, char **set)
{
    struct resp r;
    char body[512], mfa[128];
    if (account_login(&r, a, a->password) != 0 || r.status != 200 || !jstr(r.json, "mfa_token")) {
        resp_free(&r);
        return -1;
    }
    snprintf(mfa, sizeof mfa, "%s", jstr(r.json, "mfa_token"));
    resp_free(&r);
    snprintf(body, sizeof body, "{\"mfa_token\":\"%s\",\"code\":\"%s\",\"session\":\"cookie\"}",
             mfa, code);
    if (api_req_headers(&r, "POST", "/v1/auth/totp", NULL, body) != 0)
        return -1;
    int status = r.status;
    const char *c = resp_header(&r, "Set-Cookie");
    if (status == 200 && c && strncmp(c, "__Host-crt_session=", 19) == 0) {
        snprintf(w->cookie, sizeof w->cookie, "%.*s", (int)strcspn(c + 19, ";"), c + 19);
        if (set)
            *set = strdup(c);
        snprintf(w->csrf, sizeof w->csrf, "%s", jstr(r.json, "csrf_token") ? jstr(r.json, "csrf_token") : "");
        cr_assert_null(json_object_get(r.json, "access_token"), "no bearer token for the browser");
    }
    resp_free(&r);
    return status;
}

/* The code of the account's next time step (the enrolment used the current one). */
static void next_code(const struct account *a, int steps, char out[7])
{
    account_code(a, time(NULL) + 30 * steps, out);
}

/* A request with the cookie (and, when csrf, the CSRF header) plus extra header lines. */
static int web_req(struct resp *r, const char *method, const char *path, const struct web *w,
                   bool csrf, const char *extra, const char *body)
{
    char h[1024];
    snprintf(h, sizeof h, "Cookie: theme=dark; __Host-crt_session=%s\r\n%s%s%s%s", w->cookie,
             csrf ? "X-CSRF-Token: " : "", csrf ? w->csrf : "", csrf ? "\r\n" : "",
             extra ? extra : "");
    return api_req_headers(r, method, path, h, body);
}

static int web_status(const char *method, const char *path, const struct web *w, bool csrf,
                      const char *extra, const char *body)
{
    struct resp r;
    int st = web_req(&r, method, path, w, csrf, extra, body) == 0 ? r.status : -1;
    resp_free(&r);
    return st;
}

static const char *problem_type(const struct resp *r) { return jstr(r->json, "type"); }

static void new_web(struct account *a, const char *ctl, const char *role, struct web *w)
{
    char code[7];
    cr_assert(account_new(a, ctl, role));
    next_code(a, 1, code);
    cr_assert_eq(web_login(a, code, w, NULL), 200);
}

/* ---- the cookie ---- */

Test(web, login_with_session_cookie_sets_exactly_the_host_cookie_and_stores_only_its_hash)
{
    struct account a;
    struct web w;
    char code[7], *set = NULL, sha[65];
    cr_assert(account_new(&a, "atlas", "intake"));
    next_code(&a, 1, code);
    cr_assert_eq(web_login(&a, code, &w, &set), 200);
    regex_t re;
    cr_assert_eq(regcomp(&re, "^__Host-crt_session=[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly; "
                              "SameSite=Strict$", REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, set, 0, NULL, 0), 0, "Set-Cookie: %s", set);
    regfree(&re);
    cr_assert_eq(strlen(w.csrf), 64);
    crypto_sha256_hex(w.cookie, strlen(w.cookie), sha);
    PGconn *c = db_super();
    const char *p[] = {sha, a.user_id}, *q[] = {w.cookie};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM sessions WHERE cookie_sha256 = $1 AND user_id = $2::uuid "
                             "AND idle_timeout_s = 1800 AND expires_at > now() + interval '9 hours'", 2, p), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM sessions s WHERE strpos(s::text, $1) > 0", 1, q), 0,
                 "the cookie value itself is stored nowhere");
    PQfinish(c);
    free(set);
    account_free(&a);
}

Test(web, the_cookie_alone_authenticates_reads_and_the_session_answer)
{
    struct account a;
    struct web w;
    struct resp r;
    new_web(&a, "atlas", "intake", &w);
    cr_assert_eq(web_status("GET", "/v1/me", &w, false, NULL, NULL), 200);
    cr_assert_eq(web_req(&r, "GET", "/v1/auth/session", &w, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "csrf_token"), w.csrf);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "idle_timeout_s")), 1800);
    cr_assert_not_null(jstr(r.json, "idle_expires_at"));
    cr_assert_not_null(jstr(r.json, "expires_at"));
    json_t *u = json_object_get(r.json, "user");
    cr_assert_str_eq(jstr(u, "username"), a.username);
    cr_assert_str_eq(jstr(u, "role"), "intake");
    cr_assert_str_eq(jstr(u, "controller"), "atlas");
    cr_assert_str_eq(jstr(u, "id"), a.user_id);
    cr_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
    resp_free(&r);
    account_free(&a);
}

Test(web, without_a_cookie_the_session_answer_is_401_unauthenticated)
{
    struct resp r;
    struct web w = {.cookie = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    cr_assert_eq(web_req(&r, "GET", "/v1/auth/session", &w, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:unauthenticated", "an unknown cookie");
    resp_free(&r);
    cr_assert_eq(api_req_headers(&r, "GET", "/v1/auth/session", NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:unauthenticated", "no cookie, no token");
    resp_free(&r);
}

/* ---- CSRF ---- */

Test(web, an_unsafe_request_without_the_csrf_header_is_403_and_writes_nothing)
{
    struct account a;
    struct web w;
    struct resp r;
    char last[64], body[256];
    new_web(&a, "atlas", "intake", &w);
    snprintf(last, sizeof last, "Csrf%d", (int)getpid());
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"Ana\","
                                "\"last_name\":\"%s\",\"birth_date\":\"1990-01-02\"}}", last);
    cr_assert_eq(web_req(&r, "POST", "/v1/persons", &w, false, NULL, body), 0);
    cr_assert_eq(r.status, 403);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:csrf");
    resp_free(&r);
    struct web wrong = w;
    wrong.csrf[0] = wrong.csrf[0] == 'a' ? 'b' : 'a';
    cr_assert_eq(web_status("POST", "/v1/persons", &wrong, true, NULL, body), 403);
    cr_assert_eq(persons_named(last), 0, "nothing was written");
    cr_assert_eq(web_status("POST", "/v1/persons", &w, true, "Origin: https://127.0.0.1\r\n", body), 201);
    cr_assert_eq(persons_named(last), 1);
    account_free(&a);
}

Test(web, a_foreign_origin_or_cross_site_fetch_is_403_even_with_the_token)
{
    struct account a;
    struct web w;
    struct resp r;
    char last[64], body[256];
    new_web(&a, "atlas", "intake", &w);
    snprintf(last, sizeof last, "Origin%d", (int)getpid());
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"Ana\","
                                "\"last_name\":\"%s\",\"birth_date\":\"1990-01-02\"}}", last);
    cr_assert_eq(web_req(&r, "POST", "/v1/persons", &w, true, "Origin: https://evil.example\r\n", body), 0);
    cr_assert_eq(r.status, 403);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:csrf");
    resp_free(&r);
    cr_assert_eq(web_status("POST", "/v1/persons", &w, true, "Origin: null\r\n", body), 403);
    cr_assert_eq(web_status("POST", "/v1/persons", &w, true, "Sec-Fetch-Site: cross-site\r\n", body), 403);
    cr_assert_eq(web_status("POST", "/v1/persons", &w, true, "Sec-Fetch-Site: same-site\r\n", body), 403);
    cr_assert_eq(persons_named(last), 0, "nothing was written");
    cr_assert_eq(web_status("POST", "/v1/persons", &w, true, "Sec-Fetch-Site: same-origin\r\n", body), 201);
    account_free(&a);
}

Test(web, bearer_clients_need_no_csrf_header)
{
    struct resp r;
    char *id = create_person("atlas.intake", "Bea", "Bearer", "1991-03-04");
    cr_assert_not_null(id);
    char path[96];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.intake", NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
    cr_assert_str_eq(resp_header(&r, "Content-Security-Policy"), CSP);
    resp_free(&r);
    free(id);
}

/* ---- timeouts, logout, revocation ---- */

static pid_t own_api(const char *const *env)
{
    return api_start(env);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

Test(web, an_idle_session_expires_and_activity_renews_it)
{
    static const char *const env[] = {"CRT_WEB_IDLE_TIMEOUT_S=2", NULL};
    pid_t pid = own_api(env);
    struct account a;
    struct web w;
    struct resp r;
    new_web(&a, "atlas", "intake", &w);
    for (int i = 0; i < 3; i++) { /* 3.6 s of activity: longer than the idle timeout */
        sleep_ms(1200);
        cr_assert_eq(web_status("GET", "/v1/me", &w, false, NULL, NULL), 200, "renewed at %d", i);
    }
    sleep_ms(2600);
    cr_assert_eq(web_req(&r, "GET", "/v1/me", &w, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:session-expired");
    resp_free(&r);
    cr_assert_eq(web_status("GET", "/v1/auth/session", &w, false, NULL, NULL), 401,
                 "the old cookie stays refused");
    account_free(&a);
    api_stop_checked(pid);
}

Test(web, the_absolute_limit_ends_an_active_session)
{
    static const char *const env[] = {"CRT_WEB_SESSION_MAX_S=3", NULL};
    pid_t pid = own_api(env);
    struct account a;
    struct web w;
    struct resp r;
    new_web(&a, "atlas", "intake", &w);
    for (int i = 0; i < 2; i++) {
        sleep_ms(1000);
        cr_assert_eq(web_status("GET", "/v1/me", &w, false, NULL, NULL), 200);
    }
    sleep_ms(1500);
    cr_assert_eq(web_req(&r, "GET", "/v1/me", &w, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:session-expired");
    resp_free(&r);
    account_free(&a);
    api_stop_checked(pid);
}

Test(web, logout_clears_the_cookie_and_the_old_cookie_is_refused)
{
    struct account a;
    struct web w;
    struct resp r;
    new_web(&a, "atlas", "intake", &w);
    cr_assert_eq(web_status("POST", "/v1/auth/logout", &w, false, NULL, NULL), 403,
                 "logout is an unsafe method too");
    cr_assert_eq(web_req(&r, "POST", "/v1/auth/logout", &w, true, NULL, NULL), 0);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(resp_header(&r, "Set-Cookie"),
                     "__Host-crt_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    resp_free(&r);
    cr_assert_eq(web_req(&r, "GET", "/v1/me", &w, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:unauthenticated");
    resp_free(&r);
    account_free(&a);
}

/* A second browser session of a, signed in with its first recovery code. */
static void second_session(const struct account *a, struct web *w)
{
    cr_assert_eq(web_login(a, a->recovery[0], w, NULL), 200);
}

Test(web, sign_out_my_other_sessions_ends_them_and_keeps_this_one)
{
    struct account a;
    struct web one, two;
    struct resp r;
    new_web(&a, "atlas", "caseworker", &one);
    second_session(&a, &two);
    cr_assert_eq(web_req(&r, "GET", "/v1/auth/sessions", &one, false, NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_geq(json_array_size(items), 3, "two browser sessions and the enrolment's token");
    int current = 0;
    for (size_t i = 0; i < json_array_size(items); i++)
        current += json_is_true(json_object_get(json_array_get(items, i), "current"));
    cr_assert_eq(current, 1);
    resp_free(&r);
    cr_assert_eq(web_status("POST", "/v1/auth/sessions/revoke-others", &one, true, NULL, NULL), 204);
    cr_assert_eq(web_status("GET", "/v1/me", &two, false, NULL, NULL), 401);
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", a.token, NULL), 0);
    cr_assert_eq(r.status, 401, "the bearer session ended too");
    resp_free(&r);
    cr_assert_eq(web_status("GET", "/v1/me", &one, false, NULL, NULL), 200);
    account_free(&a);
}

/* The id of the session a browser session's cookie names. */
static void session_id_of(const struct web *w, char out[40])
{
    char sha[65];
    crypto_sha256_hex(w->cookie, strlen(w->cookie), sha);
    PGconn *c = db_super();
    const char *p[] = {sha};
    PGresult *r = PQexecParams(c, "SELECT id::text FROM sessions WHERE cookie_sha256 = $1", 1, NULL,
                               p, NULL, NULL, 0);
    cr_assert_eq(PQntuples(r), 1);
    snprintf(out, 40, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

Test(web, one_session_is_revoked_by_id_and_an_administrator_ends_all)
{
    struct account a, b;
    struct web one, two, three, other;
    struct resp r;
    char id[40], path[128];
    new_web(&a, "atlas", "intake", &one);
    second_session(&a, &two);
    cr_assert_eq(web_login(&a, a.recovery[1], &three, NULL), 200);
    session_id_of(&one, id);
    new_web(&b, "atlas", "intake", &other);
    snprintf(path, sizeof path, "/v1/auth/sessions/%s/revoke", id);
    cr_assert_eq(web_status("POST", path, &other, true, NULL, NULL), 404,
                 "another user's session is not found");
    cr_assert_eq(web_status("GET", "/v1/me", &one, false, NULL, NULL), 200);
    cr_assert_eq(web_status("POST", path, &two, true, NULL, NULL), 204);
    cr_assert_eq(web_status("GET", "/v1/me", &one, false, NULL, NULL), 401);
    cr_assert_eq(web_status("GET", "/v1/me", &two, false, NULL, NULL), 200);
    /* the administrator of the controller ends whatever is left */
    snprintf(path, sizeof path, "/v1/admin/users/%s/sessions/revoke", a.user_id);
    cr_assert_eq(api_req(&r, "POST", path, "ingent.admin", NULL), 0);
    cr_assert_eq(r.status, 404, "another controller's administrator does not see the user");
    resp_free(&r);
    cr_assert_eq(web_status("GET", "/v1/me", &two, false, NULL, NULL), 200);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.intake", NULL), 0);
    cr_assert_eq(r.status, 403, "only administrators");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.admin", NULL), 0);
    cr_assert_eq(r.status, 204);
    resp_free(&r);
    cr_assert_eq(web_status("GET", "/v1/me", &two, false, NULL, NULL), 401);
    cr_assert_eq(web_status("GET", "/v1/me", &three, false, NULL, NULL), 401);
    cr_assert_eq(web_status("GET", "/v1/me", &other, false, NULL, NULL), 200);
    PGconn *c = db_super();
    const char *p[] = {a.user_id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM login_events WHERE user_id = $1::uuid "
                             "AND event = 'session_revoke' AND actor_id IS NOT NULL", 1, p), 1);
    PQfinish(c);
    account_free(&a);
    account_free(&b);
}

/* ---- throttling ---- */

static int login_status(const char *username, const char *password, char *retry, size_t len)
{
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
    int st = api_req_token(&r, "POST", "/v1/auth/login", NULL, body) == 0 ? r.status : -1;
    if (retry)
        snprintf(retry, len, "%s", resp_header(&r, "Retry-After") ? resp_header(&r, "Retry-After") : "");
    if (st == 429)
        cr_assert_str_eq(problem_type(&r), "urn:crt:problem:too-many-attempts");
    resp_free(&r);
    return st;
}

Test(web, failed_logins_of_one_account_are_throttled_with_retry_after)
{
    static const char *const env[] = {"CRT_LOGIN_THROTTLE_ACCOUNT=3", NULL};
    pid_t pid = own_api(env);
    struct account a, b;
    char retry[16];
    cr_assert(account_new(&a, "atlas", "intake"));
    cr_assert(account_new(&b, "atlas", "intake"));
    for (int i = 0; i < 3; i++)
        cr_assert_eq(login_status(a.username, "wrong-password-123", NULL, 0), 401);
    cr_assert_eq(login_status(a.username, "wrong-password-123", retry, sizeof retry), 429);
    cr_assert_gt(atoi(retry), 0);
    cr_assert_leq(atoi(retry), 900);
    cr_assert_eq(login_status(a.username, a.password, NULL, 0), 429, "even the right password waits");
    cr_assert_eq(login_status(b.username, b.password, NULL, 0), 200, "other accounts are not held up");
    account_free(&a);
    account_free(&b);
    api_stop_checked(pid);
}

Test(web, failed_logins_from_one_address_are_throttled_across_usernames)
{
    static const char *const env[] = {"CRT_LOGIN_THROTTLE_ADDRESS=4", NULL};
    pid_t pid = own_api(env);
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "nobody%d.%d", (int)getpid(), i);
        cr_assert_eq(login_status(name, "wrong-password-123", NULL, 0), 401);
    }
    cr_assert_eq(login_status("yet.another.name", "wrong-password-123", NULL, 0), 429);
    api_stop_checked(pid);
}

Test(web, a_locked_account_says_so_only_to_who_knows_the_password)
{
    struct account a;
    struct resp r;
    cr_assert(account_new(&a, "atlas", "intake"));
    for (int i = 0; i < 5; i++)
        cr_assert_eq(login_status(a.username, "wrong-password-123", NULL, 0), 401);
    cr_assert_eq(account_login(&r, &a, "wrong-password-123"), 0);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:unauthorized");
    resp_free(&r);
    cr_assert_eq(account_login(&r, &a, a.password), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(problem_type(&r), "urn:crt:problem:account-locked");
    resp_free(&r);
    account_free(&a);
}

/* ---- password change ---- */

Test(web, password_change_checks_the_current_one_and_the_policy)
{
    struct account a;
    struct web w;
    struct resp r;
    char body[256];
    new_web(&a, "atlas", "intake", &w);
    snprintf(body, sizeof body, "{\"current_password\":\"not-my-password\",\"new_password\":\"a-new-long-password-1\"}");
    cr_assert_eq(web_req(&r, "POST", "/v1/auth/password", &w, true, NULL, body), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_str_eq(jstr(r.json, "field"), "current_password");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"current_password\":\"%s\",\"new_password\":\"short\"}", a.password);
    cr_assert_eq(web_req(&r, "POST", "/v1/auth/password", &w, true, NULL, body), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "new_password");
    resp_free(&r);
    snprintf(body, sizeof body, "{\"current_password\":\"%s\",\"new_password\":\"a-new-long-password-1\"}", a.password);
    cr_assert_eq(web_status("POST", "/v1/auth/password", &w, false, NULL, body), 403, "CSRF applies");
    cr_assert_eq(web_status("POST", "/v1/auth/password", &w, true, NULL, body), 204);
    cr_assert_eq(login_status(a.username, a.password, NULL, 0), 401, "the old password is gone");
    cr_assert_eq(login_status(a.username, "a-new-long-password-1", NULL, 0), 200);
    cr_assert_eq(web_status("GET", "/v1/me", &w, false, NULL, NULL), 200, "this session stays");
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", a.token, NULL), 0);
    cr_assert_eq(r.status, 401, "other sessions end");
    resp_free(&r);
    account_free(&a);
}

/* ---- enrolment's QR code ---- */

Test(web, enrolment_answers_an_svg_qr_code)
{
    struct account a;
    struct resp r;
    char body[256];
    cr_assert(account_new(&a, "atlas", "intake"));
    /* a fresh enrolment: reset with the password */
    snprintf(body, sizeof body, "{\"password\":\"%s\"}", a.password);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/totp/reset", a.token, body), 0);
    cr_assert_eq(r.status, 200);
    snprintf(body, sizeof body, "{\"enrol_token\":\"%s\"}", jstr(r.json, "enrol_token"));
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/totp/enrol", NULL, body), 0);
    cr_assert_eq(r.status, 200);
    const char *svg = jstr(r.json, "qr_svg");
    cr_assert_not_null(svg);
    cr_assert(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%.60s", svg);
    cr_assert_not_null(strstr(svg, "<path"));
    cr_assert_not_null(strstr(svg, "</svg>"));
    cr_assert_null(strstr(svg, jstr(r.json, "secret")), "the secret is not written as text");
    resp_free(&r);
    account_free(&a);
}

/* ---- static files ---- */

static char web_dir[128];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* A web root of its own: index.html, js/app.js, a dotfile, and a symlink leaving the root;
 * beside it a file that must never be served. */
static pid_t static_api(void)
{
    char outside[128], link[256], sub[256];
    snprintf(web_dir, sizeof web_dir, "/tmp/crt-web-%d/root", (int)getpid());
    snprintf(outside, sizeof outside, "/tmp/crt-web-%d", (int)getpid());
    mkdir(outside, 0700);
    mkdir(web_dir, 0700);
    snprintf(sub, sizeof sub, "%s/js", web_dir);
    mkdir(sub, 0700);
    write_file(web_dir, "index.html", "<!doctype html><title>t</title>");
    write_file(web_dir, "js/app.js", "export const x = 1;\n");
    write_file(web_dir, ".env", "SECRET-MARKER");
    write_file(outside, "secret.txt", "SECRET-MARKER");
    snprintf(link, sizeof link, "%s/leak.txt", web_dir);
    snprintf(sub, sizeof sub, "%s/secret.txt", outside);
    cr_assert_eq(symlink(sub, link), 0);
    static char root_env[224];
    snprintf(root_env, sizeof root_env, "CRT_WEB_ROOT=%s", web_dir);
    static const char *list[2];
    list[0] = root_env;
    return own_api(list);
}

static void static_cleanup(void)
{
    char cmd[192];
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/crt-web-%d", (int)getpid());
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove /tmp/crt-web-%d\n", (int)getpid());
}

static void assert_common_headers(const struct resp *r)
{
    cr_assert_str_eq(resp_header(r, "Content-Security-Policy"), CSP);
    cr_assert_str_eq(resp_header(r, "X-Content-Type-Options"), "nosniff");
    cr_assert_str_eq(resp_header(r, "Referrer-Policy"), "no-referrer");
}

Test(web, static_files_carry_the_headers_and_answer_304_to_their_etag, .fini = static_cleanup)
{
    pid_t pid = static_api();
    struct resp r;
    cr_assert_eq(api_req_headers(&r, "GET", "/", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "<!doctype html><title>t</title>");
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "text/html; charset=utf-8");
    cr_assert_str_eq(resp_header(&r, "Cache-Control"), "no-cache");
    assert_common_headers(&r);
    resp_free(&r);
    cr_assert_eq(api_req_headers(&r, "GET", "/js/app.js", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "text/javascript; charset=utf-8");
    assert_common_headers(&r);
    char etag[128], h[192];
    snprintf(etag, sizeof etag, "%s", resp_header(&r, "ETag"));
    cr_assert_eq(etag[0], '"');
    resp_free(&r);
    snprintf(h, sizeof h, "If-None-Match: %s\r\n", etag);
    cr_assert_eq(api_req_headers(&r, "GET", "/js/app.js", h, NULL), 0);
    cr_assert_eq(r.status, 304);
    cr_assert_str_eq(r.body, "");
    assert_common_headers(&r);
    resp_free(&r);
    cr_assert_eq(api_req_headers(&r, "GET", "/js/missing.js", NULL, NULL), 0);
    cr_assert_eq(r.status, 404);
    assert_common_headers(&r);
    resp_free(&r);
    cr_assert_eq(api_req_headers(&r, "GET", "/healthz", NULL, NULL), 0);
    cr_assert_eq(r.status, 200, "the API keeps its paths");
    assert_common_headers(&r);
    resp_free(&r);
    api_stop_checked(pid);
}

Test(web, traversal_dotfiles_symlinks_and_listings_are_refused, .fini = static_cleanup)
{
    pid_t pid = static_api();
    static const char *const bad[] = {
        "/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/js/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt", "/.env", "/%2eenv", "/leak.txt", "/js/", "/js", "/index.html%00.js",
        "//secret.txt", "/js/..%5c..%5csecret.txt",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp r;
        char raw[256];
        int n = snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", bad[i]);
        cr_assert_eq(api_raw(&r, raw, (size_t)n), 0, "%s", bad[i]);
        cr_assert(r.status == 404 || r.status == 400, "%s answered %d", bad[i], r.status);
        cr_assert_null(strstr(r.body, "SECRET-MARKER"), "%s leaked", bad[i]);
        resp_free(&r);
    }
    struct resp r;
    cr_assert_eq(api_req_headers(&r, "POST", "/index.html", NULL, "{}"), 0);
    cr_assert_eq(r.status, 405);
    resp_free(&r);
    api_stop_checked(pid);
}
