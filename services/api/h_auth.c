/* Staff login: password (scrypt, off the loop) -> MFA or enrolment token -> TOTP code or
 * recovery code -> an ES256 access token bound to a session; TOTP enrolment with confirmation
 * and recovery codes; logout; resetting one's own MFA with the password. Unknown users, wrong
 * passwords, locked and disabled accounts get the same answer; every event is recorded in
 * login_events (never the password or the code). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"
#include "crt/metrics.h"
#include "crt/qr.h"
#include "crt/totp.h"

#define LOGIN_FAILED "invalid username or password"
#define CODE_FAILED "invalid code, or the token has expired; log in again if it persists"
#define TOKEN_FAILED "invalid or expired token; log in again"
#define MAX_FAILURES 5
#define RECOVERY_CODES 10

/* Columns of cred_lock. */
enum { C_FAILED_PW, C_FAILED_CODE, C_LOCKED, C_SEALED, C_KEY_ID, C_ACTIVE, C_LAST_STEP, C_ROLE,
       C_DISABLED, C_USERNAME };

/* ---- small pieces ---- */

static const struct api_shared *shared_of(struct http_ctx *ctx) { return ctx_worker(ctx)->shared; }

/* Records a login event in the open transaction (controller from its context). */
static enum db_status event(struct http_ctx *ctx, const char *user, const char *name,
                            const char *outcome)
{
    const char *p[] = {user, "", name, outcome, api_client_ip(ctx), ctx->request_id};
    return db_exec(ctx_db(ctx), "auth_event", 6, p, NULL);
}

/* Records an event outside any controller context (unknown user, disabled account). */
static void event_global(struct http_ctx *ctx, const char *ctl, const char *user,
                         const char *name, const char *outcome)
{
    const char *p[] = {ctl, user, name, outcome, api_client_ip(ctx), ctx->request_id};
    if (db_ensure(ctx_db(ctx)) != DB_OK || db_exec(ctx_db(ctx), "auth_event_global", 6, p, NULL) != DB_OK)
        log_warn("request_id=%s: login event not recorded", ctx->request_id);
}

/* Commits, then answers 401 with detail (the failure is recorded, the caller learns nothing);
 * field names the input at fault or is NULL. */
static void refuse_field(struct http_ctx *ctx, const char *detail, const char *field)
{
    if (api_commit(ctx))
        problem_send(ctx, 401, "unauthorized", detail, field);
}

static void refuse(struct http_ctx *ctx, const char *detail) { refuse_field(ctx, detail, NULL); }

/* Opens the transaction of user in controller ctl (no session yet). */
static bool begin_as(struct http_ctx *ctx, int ctl, const char *user)
{
    ctx->who.controller_id = ctl;
    snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "%s", user);
    ctx->who.session_id[0] = '\0';
    return api_begin(ctx);
}

/* The locked credential row of the context's user, or NULL after answering. */
static PGresult *lock_credentials(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "cred_lock", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return NULL;
    }
    if (PQntuples(r) == 1)
        return r;
    PQclear(r);
    refuse(ctx, LOGIN_FAILED);
    return NULL;
}

/* Counts a failure (counter statement fail_stmt); at MAX_FAILURES the account is locked and
 * every outstanding token dies. Then commits and answers 401 with detail. */
static void count_failure_field(struct http_ctx *ctx, const char *fail_stmt, const char *what,
                                const char *detail, const char *field)
{
    PGresult *r = NULL;
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), fail_stmt, 1, p, &r);
    bool lock = st == DB_OK && atoi(PQgetvalue(r, 0, 0)) >= MAX_FAILURES;
    PQclear(r);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, what, "failure");
    if (st == DB_OK && lock)
        st = db_exec(ctx_db(ctx), "cred_lockout", 1, p, NULL);
    if (st == DB_OK && lock)
        st = event(ctx, ctx->who.user_id, "lockout", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (lock) {
        metrics_login(ML_LOCKOUT);
        log_info("request_id=%s user=%s locked after %d failures", ctx->request_id,
                 ctx->who.user_id, MAX_FAILURES);
    }
    refuse_field(ctx, detail, field);
}

static void count_failure(struct http_ctx *ctx, const char *fail_stmt, const char *what,
                          const char *detail)
{
    count_failure_field(ctx, fail_stmt, what, detail, NULL);
}

/* A new single-use token of kind for the context's user; the raw token goes to out. */
static enum db_status new_challenge(struct http_ctx *ctx, const char *kind, char out[64])
{
    char sha[65], ttl[16];
    if (!crypto_token(32, out, 64))
        return DB_ERROR;
    crypto_sha256_hex(out, strlen(out), sha);
    snprintf(ttl, sizeof ttl, "%d", ctx_worker(ctx)->cfg->mfa_token_ttl_s);
    const char *p[] = {sha, ctx->who.user_id, kind, ttl};
    return db_exec(ctx_db(ctx), "challenge_insert", 4, p, NULL);
}

/* Resolves an MFA or enrolment token to its user; false after answering 401. */
static bool take_challenge(struct http_ctx *ctx, const char *token, const char *kind,
                           char challenge_id[37])
{
    PGresult *r = NULL;
    char sha[65];
    crypto_sha256_hex(token, strlen(token), sha);
    const char *p[] = {sha};
    enum db_status st = db_exec_idle(ctx_db(ctx), "auth_challenge", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    bool ok = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 3), kind) == 0;
    if (ok) {
        snprintf(challenge_id, 37, "%s", PQgetvalue(r, 0, 0));
        ok = begin_as(ctx, atoi(PQgetvalue(r, 0, 1)), PQgetvalue(r, 0, 2));
        PQclear(r);
        return ok; /* begin_as answered on failure */
    }
    PQclear(r);
    problem_send(ctx, 401, "unauthorized", TOKEN_FAILED, NULL);
    return false;
}

/* Opens the user's sealed TOTP secret (aad: the user id). */
static bool open_secret(struct http_ctx *ctx, const PGresult *cred, unsigned char *secret,
                        size_t *len)
{
    const char *hex = PQgetvalue(cred, 0, C_SEALED);
    size_t n = strlen(hex) / 2;
    unsigned char sealed[TOTP_SECRET_BYTES + CRYPTO_SEAL_OVERHEAD];
    if (PQgetisnull(cred, 0, C_SEALED) || n != sizeof sealed)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return false;
        sealed[i] = (unsigned char)v;
    }
    *len = TOTP_SECRET_BYTES;
    return crypto_open(&shared_of(ctx)->keyring, PQgetvalue(cred, 0, C_KEY_ID), sealed, n,
                       ctx->who.user_id, secret);
}

/* Checks a TOTP code against the locked row; on success *step is the matched step. A secret
 * that cannot be opened (its key left the keyring) is the server's fault, not the user's:
 * *broken is set and the caller answers 500 without counting a failure. */
static bool code_matches(struct http_ctx *ctx, const PGresult *cred, const char *code,
                         int64_t *step, bool *broken)
{
    unsigned char secret[TOTP_SECRET_BYTES];
    size_t len = 0;
    *broken = false;
    if (!open_secret(ctx, cred, secret, &len)) {
        log_error("request_id=%s user=%s: TOTP secret cannot be opened (key id %s)",
                  ctx->request_id, ctx->who.user_id, PQgetvalue(cred, 0, C_KEY_ID));
        *broken = true;
        return false;
    }
    int64_t last = strtoll(PQgetvalue(cred, 0, C_LAST_STEP), NULL, 10);
    enum totp_result r = totp_check(secret, len, time(NULL), code, last, step);
    OPENSSL_cleanse(secret, sizeof secret);
    return r == TOTP_OK; /* a replayed code is answered exactly like a wrong one */
}

/* Uses an unused recovery code of the user; true when it was one. */
static bool recovery_matches(struct http_ctx *ctx, const char *code, enum db_status *st)
{
    char sha[65];
    PGresult *r = NULL;
    *st = DB_OK;
    if (!recovery_code_hash(code, sha))
        return false;
    const char *p[] = {ctx->who.user_id, sha};
    *st = db_exec(ctx_db(ctx), "recovery_use", 2, p, &r);
    bool used = *st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    return used;
}

/* The User-Agent header, cut to 200 printable ASCII characters (others become '?'), in the
 * arena; NULL when absent. */
static const char *user_agent(struct http_ctx *ctx)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "User-Agent");
    char *ua = h ? arena_printf(&ctx->arena, "%.200s", h) : NULL;
    for (char *p = ua; p && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return ua;
}

/* {csrf_token, idle_timeout_s, expires_at, user:{username, role, controller}} into o; false
 * after answering the failure. */
static bool cookie_answer(struct http_ctx *ctx, json_t *o, const char *cookie, const char *expires)
{
    PGresult *me = NULL;
    char csrf[65];
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "me", 1, p, &me);
    if (st != DB_OK || PQntuples(me) != 1) {
        PQclear(me);
        api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
        return false;
    }
    identity_csrf_token(cookie, csrf);
    json_object_set_new(o, "csrf_token", json_string(csrf));
    json_object_set_new(o, "idle_timeout_s", json_integer(ctx_worker(ctx)->cfg->web_idle_timeout_s));
    json_object_set_new(o, "expires_at", json_string(expires));
    json_object_set_new(o, "user", json_pack("{s:s, s:s, s:s}", "username", PQgetvalue(me, 0, 0),
                                             "role", PQgetvalue(me, 0, 2), "controller",
                                             PQgetvalue(me, 0, 3)));
    PQclear(me);
    return true;
}

/* Creates a browser session named by a new cookie (only its hash is stored) and answers 200
 * with Set-Cookie and the session's CSRF token, no access token. */
static void grant_cookie(struct http_ctx *ctx, const char *role, json_t *extra)
{
    const struct crt_config *cfg = ctx_worker(ctx)->cfg;
    char cookie[64], sha[65], max[16], idle[16];
    PGresult *r = NULL;
    if (!crypto_token(32, cookie, sizeof cookie)) {
        api_db_fail(ctx, DB_ERROR);
        return;
    }
    crypto_sha256_hex(cookie, strlen(cookie), sha);
    snprintf(max, sizeof max, "%d", cfg->web_session_max_s);
    snprintf(idle, sizeof idle, "%d", cfg->web_idle_timeout_s);
    const char *p[] = {ctx->who.user_id, role, max, api_client_ip(ctx), sha, idle, user_agent(ctx)};
    enum db_status st = db_exec(ctx_db(ctx), "session_insert_web", 7, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        OPENSSL_cleanse(cookie, sizeof cookie);
        return;
    }
    json_t *o = extra ? json_incref(extra) : json_object();
    char *set = arena_printf(&ctx->arena, WEB_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
                             cookie);
    if (o && set && cookie_answer(ctx, o, cookie, PQgetvalue(r, 0, 1)) && api_commit(ctx)) {
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Set-Cookie", set);
        http_send_json(ctx, 200, o);
    } else if (ctx->status == 0) {
        api_db_fail(ctx, DB_ERROR);
    }
    if (set)
        OPENSSL_cleanse(set, strlen(set));
    OPENSSL_cleanse(cookie, sizeof cookie);
    PQclear(r);
    json_decref(o);
}

/* Creates the session and answers 200 with the access token (plus extra members, if any). */
static void grant_access(struct http_ctx *ctx, const char *role, json_t *extra)
{
    PGresult *r = NULL;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ctx_worker(ctx)->cfg->access_token_ttl_s);
    const char *p[] = {ctx->who.user_id, role, ttl, api_client_ip(ctx)};
    enum db_status st = db_exec(ctx_db(ctx), "session_insert", 4, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    struct token_claims c = {.ctl = ctx->who.controller_id};
    snprintf(c.sub, sizeof c.sub, "%s", ctx->who.user_id);
    snprintf(c.role, sizeof c.role, "%s", role);
    snprintf(c.sid, sizeof c.sid, "%s", PQgetvalue(r, 0, 0));
    c.iat = c.nbf = atol(PQgetvalue(r, 0, 1));
    c.exp = atol(PQgetvalue(r, 0, 2));
    PQclear(r);
    char *jwt = token_issue(&shared_of(ctx)->keys, &c);
    if (jwt == NULL) {
        api_db_fail(ctx, DB_ERROR);
        return;
    }
    if (api_commit(ctx)) {
        json_t *o = extra ? extra : json_object();
        json_object_set_new(o, "access_token", json_string(jwt));
        json_object_set_new(o, "token_type", json_string("Bearer"));
        json_object_set_new(o, "expires_in", json_integer(c.exp - c.iat));
        http_send_json(ctx, 200, o);
        if (!extra)
            json_decref(o);
    }
    OPENSSL_cleanse(jwt, strlen(jwt));
    free(jwt);
}

/* ---- password checks off the loop ---- */

struct pw_job {
    struct http_ctx *ctx;
    char password[4 * PASSWORD_MAX_LENGTH + 1]; /* up to 256 characters of up to 4 bytes */
    char stored[PASSWORD_HASH_MAX];
    struct password_params want;
    bool ok, rehashed;
    char new_hash[PASSWORD_HASH_MAX];
    bool known, disabled, has_hash;
    int ctl;
    char user[37];
    const char *username; /* login: as typed (the request's arena), for throttling */
    char new_password[4 * PASSWORD_MAX_LENGTH + 1]; /* password change: hashed when ok */
    bool new_hashed;
    void (*then)(struct pw_job *);
};

static void pw_work(void *arg)
{
    struct pw_job *j = arg;
    bool rehash = false;
    j->ok = password_verify(j->password, j->stored, j->want, &rehash);
    if (j->ok && rehash && !j->new_password[0])
        j->rehashed = password_hash(j->password, j->want, j->new_hash);
    if (j->ok && j->new_password[0])
        j->new_hashed = password_hash(j->new_password, j->want, j->new_hash);
    OPENSSL_cleanse(j->password, sizeof j->password);
    OPENSSL_cleanse(j->new_password, sizeof j->new_password);
}

/* Shutting down before the check began: nothing was checked, nothing is recorded. */
static void pw_drop(void *arg)
{
    OPENSSL_cleanse(arg, sizeof(struct pw_job));
    free(arg);
}

static void pw_done(void *arg)
{
    struct pw_job *j = arg;
    struct http_ctx *ctx = j->ctx;
    j->then(j);
    OPENSSL_cleanse(j, sizeof *j);
    free(j);
    api_request_end(ctx);
}

/* Queues the check of password against stored (or the dummy hash); false after answering. */
static bool check_password(struct http_ctx *ctx, struct pw_job *j, const char *password,
                           const char *stored)
{
    const struct api_shared *s = shared_of(ctx);
    j->ctx = ctx;
    j->want = s->pw;
    snprintf(j->password, sizeof j->password, "%s", password);
    snprintf(j->stored, sizeof j->stored, "%s", stored ? stored : s->dummy_hash);
    if (!api_offload(ctx, pw_work, pw_done, pw_drop, j))
        return false;
    ctx->suspended = true;
    return true;
}

/* ---- POST /v1/auth/login ---- */

static const struct field_spec login_fields[] = {
    {"username", FT_TEXT, 64, NULL, 0, 0, true, false},
    {"password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, true, false},
};

/* Counts a failed login against the username and the client's address. */
static void throttle_count(struct http_ctx *ctx, const char *username)
{
    const struct crt_config *cfg = ctx_worker(ctx)->cfg;
    time_t now = time(NULL);
    throttle_fail('u', username, cfg->login_throttle_window_s, now);
    throttle_fail('a', api_client_ip(ctx), cfg->login_throttle_window_s, now);
}

/* True when the username or the client's address has failed too often within the window;
 * then 429 with Retry-After has been answered. */
static bool throttled(struct http_ctx *ctx, const char *username)
{
    const struct crt_config *cfg = ctx_worker(ctx)->cfg;
    time_t now = time(NULL);
    int wu = throttle_wait('u', username, cfg->login_throttle_account, cfg->login_throttle_window_s, now);
    int wa = throttle_wait('a', api_client_ip(ctx), cfg->login_throttle_address,
                           cfg->login_throttle_window_s, now);
    int wait = wu > wa ? wu : wa;
    if (wait == 0)
        return false;
    char after[16];
    snprintf(after, sizeof after, "%d", wait);
    log_info("request_id=%s login throttled (%s)", ctx->request_id, wu ? "account" : "address");
    metrics_login(ML_THROTTLED);
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Retry-After", after);
    problem_send(ctx, 429, "too-many-attempts",
                 "too many failed logins; wait before trying again", NULL);
    return true;
}

static void login_then(struct pw_job *j)
{
    struct http_ctx *ctx = j->ctx;
    char ctl[16], token[64];
    snprintf(ctl, sizeof ctl, "%d", j->ctl);
    if (!j->ok || !j->known || j->disabled || !j->has_hash)
        throttle_count(ctx, j->username);
    if (!j->known || j->disabled || !j->has_hash) {
        event_global(ctx, j->known ? ctl : NULL, j->known ? j->user : NULL, "password",
                     j->known ? "refused" : "failure");
        problem_send(ctx, 401, "unauthorized", LOGIN_FAILED, NULL);
        return;
    }
    PGresult *cred = begin_as(ctx, j->ctl, j->user) ? lock_credentials(ctx) : NULL;
    if (cred == NULL)
        return;
    bool locked = PQgetvalue(cred, 0, C_LOCKED)[0] == 't';
    bool active = PQgetvalue(cred, 0, C_ACTIVE)[0] == 't';
    PQclear(cred);
    if (locked) {
        /* Only who knows the password learns that the account is locked. */
        if (event(ctx, j->user, "password", "refused") != DB_OK)
            api_db_fail(ctx, DB_ERROR);
        else if (!j->ok)
            refuse(ctx, LOGIN_FAILED);
        else if (api_commit(ctx))
            problem_send(ctx, 401, "account-locked",
                         "the account is locked after too many failed attempts; try again "
                         "later or ask an administrator to unlock it",
                         NULL);
        return;
    }
    if (!j->ok) {
        count_failure(ctx, "cred_password_fail", "password", LOGIN_FAILED);
        return;
    }
    const char *p[] = {j->user, j->rehashed ? j->new_hash : NULL};
    enum db_status st = db_exec(ctx_db(ctx), "cred_password_ok", 2, p, NULL);
    if (st == DB_OK)
        st = new_challenge(ctx, active ? "mfa" : "enrol", token);
    if (st == DB_OK)
        st = event(ctx, j->user, "password", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (!api_commit(ctx))
        return;
    json_t *o = json_pack("{s:s, s:i}", active ? "mfa_token" : "enrol_token", token,
                          "expires_in", ctx_worker(ctx)->cfg->mfa_token_ttl_s);
    http_send_json(ctx, 200, o);
    json_decref(o);
}

void h_auth_login(struct http_ctx *ctx)
{
    const char *in[2];
    PGresult *r = NULL;
    if (!api_fields(ctx, login_fields, 2, in) || throttled(ctx, in[0]))
        return;
    struct pw_job *j = calloc(1, sizeof *j);
    const char *p[] = {in[0]};
    enum db_status st = j ? db_exec_idle(ctx_db(ctx), "auth_lookup", 1, p, &r) : DB_ERROR;
    if (st != DB_OK) {
        free(j);
        api_db_fail(ctx, st);
        return;
    }
    j->then = login_then;
    j->username = in[0];
    j->known = PQntuples(r) == 1;
    if (j->known) {
        snprintf(j->user, sizeof j->user, "%s", PQgetvalue(r, 0, 0));
        j->ctl = atoi(PQgetvalue(r, 0, 1));
        j->disabled = PQgetvalue(r, 0, 3)[0] == 't';
        j->has_hash = !PQgetisnull(r, 0, 4);
    }
    bool queued = check_password(ctx, j, in[1], j->has_hash ? PQgetvalue(r, 0, 4) : NULL);
    PQclear(r);
    if (!queued)
        free(j);
}

/* ---- POST /v1/auth/totp ---- */

static const char *const session_kinds[] = {"cookie", NULL};
static const struct field_spec totp_fields[] = {
    {"mfa_token", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"code", FT_TEXT, 32, NULL, 0, 0, true, false},
    {"session", FT_ENUM, 0, session_kinds, 0, 0, false, false},
};

void h_auth_totp(struct http_ctx *ctx)
{
    const char *in[3];
    char challenge[37];
    int64_t step = -1;
    if (!api_fields(ctx, totp_fields, 3, in) || !take_challenge(ctx, in[0], "mfa", challenge))
        return;
    PGresult *cred = lock_credentials(ctx);
    if (cred == NULL)
        return;
    char role[16];
    snprintf(role, sizeof role, "%s", PQgetvalue(cred, 0, C_ROLE));
    bool usable = PQgetvalue(cred, 0, C_LOCKED)[0] != 't' && PQgetvalue(cred, 0, C_ACTIVE)[0] == 't';
    enum db_status st = DB_OK;
    bool broken = false;
    bool totp = usable && code_matches(ctx, cred, in[1], &step, &broken);
    bool recovery = usable && !totp && recovery_matches(ctx, in[1], &st);
    PQclear(cred);
    if (st != DB_OK || (broken && !recovery)) {
        api_db_fail(ctx, st != DB_OK ? st : DB_ERROR);
        return;
    }
    if (!usable) {
        if (event(ctx, ctx->who.user_id, "totp", "refused") == DB_OK)
            refuse(ctx, CODE_FAILED);
        else
            api_db_fail(ctx, DB_ERROR);
        return;
    }
    if (!totp && !recovery) {
        count_failure(ctx, "cred_code_fail", "totp", CODE_FAILED);
        return;
    }
    char stepstr[24];
    snprintf(stepstr, sizeof stepstr, "%lld", (long long)step);
    const char *p[] = {ctx->who.user_id, stepstr}, *c[] = {challenge};
    PGresult *used = NULL;
    st = db_exec(ctx_db(ctx), "cred_code_ok", 2, p, NULL);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "challenge_use", 1, c, &used);
    bool once = st == DB_OK && PQntuples(used) == 1;
    PQclear(used);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, recovery ? "recovery_code" : "totp", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (!once) { /* a concurrent request used the token first: undo everything */
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 401, "unauthorized", TOKEN_FAILED, NULL);
        return;
    }
    if (recovery)
        log_info("request_id=%s user=%s logged in with a recovery code", ctx->request_id,
                 ctx->who.user_id);
    if (in[2])
        grant_cookie(ctx, role, NULL);
    else
        grant_access(ctx, role, NULL);
}

/* ---- POST /v1/auth/totp/enrol and /confirm ---- */

static const struct field_spec enrol_fields[] = {
    {"enrol_token", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"code", FT_TEXT, 32, NULL, 0, 0, true, false},
    {"session", FT_ENUM, 0, session_kinds, 0, 0, false, false},
};

void h_auth_enrol(struct http_ctx *ctx)
{
    const char *in[1];
    char challenge[37], b32[TOTP_BASE32_MAX], uri[TOTP_URI_MAX], key_id[CRYPTO_KEY_ID_MAX];
    unsigned char secret[TOTP_SECRET_BYTES], sealed[TOTP_SECRET_BYTES + CRYPTO_SEAL_OVERHEAD];
    char hex[2 * sizeof sealed + 1];
    if (!api_fields(ctx, enrol_fields, 1, in) || !take_challenge(ctx, in[0], "enrol", challenge))
        return;
    PGresult *cred = lock_credentials(ctx);
    if (cred == NULL)
        return;
    bool active = PQgetvalue(cred, 0, C_ACTIVE)[0] == 't';
    char username[64];
    snprintf(username, sizeof username, "%s", PQgetvalue(cred, 0, C_USERNAME));
    PQclear(cred);
    if (active) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 409, "conflict", "a second factor is already active", NULL);
        return;
    }
    bool ok = totp_new_secret(secret) && totp_base32(secret, sizeof secret, b32) &&
              totp_uri(username, b32, uri) &&
              crypto_seal(&shared_of(ctx)->keyring, secret, sizeof secret, ctx->who.user_id,
                          sealed, key_id);
    OPENSSL_cleanse(secret, sizeof secret);
    for (size_t i = 0; ok && i < sizeof sealed; i++)
        snprintf(hex + 2 * i, 3, "%02x", sealed[i]);
    const char *p[] = {ctx->who.user_id, hex, key_id};
    enum db_status st = ok ? db_exec(ctx_db(ctx), "cred_totp_pending", 3, p, NULL) : DB_ERROR;
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, "enrol_start", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    char *svg = qr_svg(uri);
    if (svg == NULL) {
        api_db_fail(ctx, DB_ERROR);
    } else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "secret", b32, "otpauth_uri", uri, "qr_svg", svg);
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
    if (svg) /* it encodes the secret */
        OPENSSL_cleanse(svg, strlen(svg));
    free(svg);
    OPENSSL_cleanse(b32, sizeof b32);
    OPENSSL_cleanse(uri, sizeof uri);
}

/* Ten new recovery codes: hashes stored (old ones retired), codes returned once in a JSON array. */
static json_t *new_recovery_codes(struct http_ctx *ctx, enum db_status *st)
{
    const char *hashes[RECOVERY_CODES];
    json_t *codes = json_array();
    *st = DB_ERROR;
    if (codes == NULL)
        return NULL;
    for (int i = 0; i < RECOVERY_CODES; i++) {
        char code[RECOVERY_CODE_LEN], *sha = arena_alloc(&ctx->arena, 65);
        if (sha == NULL || !recovery_code_new(code) || !recovery_code_hash(code, sha)) {
            json_decref(codes);
            return NULL;
        }
        hashes[i] = sha;
        json_array_append_new(codes, json_string(code));
    }
    const char *p[] = {ctx->who.user_id, db_array_literal(&ctx->arena, hashes, RECOVERY_CODES)};
    *st = p[1] ? db_exec(ctx_db(ctx), "recovery_replace", 2, p, NULL) : DB_ERROR;
    if (*st != DB_OK) {
        json_decref(codes);
        return NULL;
    }
    return codes;
}

void h_auth_enrol_confirm(struct http_ctx *ctx)
{
    const char *in[3];
    char challenge[37], role[16], stepstr[24];
    int64_t step = -1;
    if (!api_fields(ctx, enrol_fields, 3, in) || !take_challenge(ctx, in[0], "enrol", challenge))
        return;
    PGresult *cred = lock_credentials(ctx);
    if (cred == NULL)
        return;
    snprintf(role, sizeof role, "%s", PQgetvalue(cred, 0, C_ROLE));
    bool pending = !PQgetisnull(cred, 0, C_SEALED) && PQgetvalue(cred, 0, C_ACTIVE)[0] != 't';
    bool locked = PQgetvalue(cred, 0, C_LOCKED)[0] == 't';
    bool active = PQgetvalue(cred, 0, C_ACTIVE)[0] == 't', broken = false;
    bool ok = pending && !locked && code_matches(ctx, cred, in[1], &step, &broken);
    PQclear(cred);
    if (!pending || broken) {
        db_rollback(ctx_db(ctx));
        if (broken)
            problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        else
            problem_send(ctx, 409, "conflict",
                         active ? "a second factor is already active"
                                : "start the enrolment first (POST /v1/auth/totp/enrol)",
                         NULL);
        return;
    }
    if (!ok) {
        if (locked)
            refuse(ctx, CODE_FAILED);
        else
            count_failure(ctx, "cred_code_fail", "totp", CODE_FAILED);
        return;
    }
    snprintf(stepstr, sizeof stepstr, "%lld", (long long)step);
    const char *p[] = {ctx->who.user_id, stepstr}, *c[] = {challenge};
    enum db_status st = db_exec(ctx_db(ctx), "cred_totp_confirm", 2, p, NULL);
    json_t *codes = st == DB_OK ? new_recovery_codes(ctx, &st) : NULL;
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "challenge_use", 1, c, NULL);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, "enrol_confirm", "success");
    if (st != DB_OK) {
        json_decref(codes);
        api_db_fail(ctx, st);
        return;
    }
    json_t *extra = json_pack("{s:o}", "recovery_codes", codes);
    if (in[2])
        grant_cookie(ctx, role, extra);
    else
        grant_access(ctx, role, extra);
    json_decref(extra);
}

/* ---- POST /v1/auth/logout ---- */

void h_auth_logout(struct http_ctx *ctx)
{
    if (!api_begin(ctx))
        return;
    const char *p[] = {ctx->who.session_id};
    enum db_status st = db_exec(ctx_db(ctx), "session_revoke", 1, p, NULL);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, "logout", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (!api_commit(ctx))
        return;
    if (ctx->who.cookie)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Set-Cookie",
                          WEB_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    http_send_text(ctx, 204, "application/json", "");
}

/* ---- POST /v1/auth/totp/reset: one's own MFA, with the password again ---- */

static const struct field_spec reset_fields[] = {
    {"password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, true, false},
};

static void reset_then(struct pw_job *j)
{
    struct http_ctx *ctx = j->ctx;
    char token[64];
    PGresult *cred = api_begin(ctx) ? lock_credentials(ctx) : NULL;
    if (cred == NULL)
        return;
    bool locked = PQgetvalue(cred, 0, C_LOCKED)[0] == 't';
    PQclear(cred);
    if (locked) {
        if (event(ctx, ctx->who.user_id, "mfa_reset", "refused") == DB_OK)
            refuse(ctx, "invalid password");
        else
            api_db_fail(ctx, DB_ERROR);
        return;
    }
    if (!j->ok) {
        count_failure(ctx, "cred_password_fail", "mfa_reset", "invalid password");
        return;
    }
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "cred_totp_clear", 1, p, NULL);
    if (st == DB_OK)
        st = new_challenge(ctx, "enrol", token);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, "mfa_reset", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:i}", "enrol_token", token, "expires_in",
                              ctx_worker(ctx)->cfg->mfa_token_ttl_s);
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
}

void h_auth_totp_reset(struct http_ctx *ctx)
{
    const char *in[1];
    PGresult *r = NULL;
    if (!api_fields(ctx, reset_fields, 1, in) || !api_begin(ctx))
        return;
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "cred_hash", 1, p, &r);
    if (st != DB_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
        return;
    }
    db_rollback(ctx_db(ctx)); /* nothing is held while the hash runs */
    struct pw_job *j = calloc(1, sizeof *j);
    if (j) {
        j->then = reset_then;
        if (!check_password(ctx, j, in[0], PQgetvalue(r, 0, 0)))
            free(j);
    } else {
        problem_send(ctx, 503, "busy", "try again in a moment", NULL);
    }
    PQclear(r);
}

/* ---- POST /v1/auth/password: one's own password, with the current one ---- */

static const struct field_spec password_fields[] = {
    {"current_password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, true, false},
    {"new_password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, true, false},
};

static void password_then(struct pw_job *j)
{
    struct http_ctx *ctx = j->ctx;
    PGresult *cred = api_begin(ctx) ? lock_credentials(ctx) : NULL;
    if (cred == NULL)
        return;
    bool locked = PQgetvalue(cred, 0, C_LOCKED)[0] == 't';
    PQclear(cred);
    if (locked || !j->ok) {
        if (locked && event(ctx, ctx->who.user_id, "password_change", "refused") == DB_OK)
            refuse_field(ctx, "the current password is not correct", "current_password");
        else if (locked)
            api_db_fail(ctx, DB_ERROR);
        else
            count_failure_field(ctx, "cred_password_fail", "password_change",
                                "the current password is not correct", "current_password");
        return;
    }
    const char *p[] = {ctx->who.user_id, j->new_hash}, *o[] = {ctx->who.user_id, ctx->who.session_id};
    enum db_status st = j->new_hashed ? db_exec(ctx_db(ctx), "cred_password_set", 2, p, NULL) : DB_ERROR;
    if (st == DB_OK) /* whoever else knew the old password is signed out */
        st = db_exec(ctx_db(ctx), "sessions_revoke_others", 2, o, NULL);
    if (st == DB_OK)
        st = event(ctx, ctx->who.user_id, "password_change", "success");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (api_commit(ctx))
        http_send_text(ctx, 204, "application/json", "");
}

void h_auth_password(struct http_ctx *ctx)
{
    const char *in[2];
    PGresult *r = NULL, *me = NULL;
    if (!api_fields(ctx, password_fields, 2, in) || !api_begin(ctx))
        return;
    const char *p[] = {ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "cred_hash", 1, p, &r);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "me", 1, p, &me);
    if (st != DB_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0) || PQntuples(me) != 1) {
        PQclear(r);
        PQclear(me);
        api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
        return;
    }
    db_rollback(ctx_db(ctx)); /* nothing is held while the hashes run */
    const char *why = password_policy(in[1], PQgetvalue(me, 0, 0));
    PQclear(me);
    struct pw_job *j = why ? NULL : calloc(1, sizeof *j);
    if (why) {
        problem_send(ctx, 422, "validation", why, "new_password");
    } else if (j == NULL) {
        problem_send(ctx, 503, "busy", "try again in a moment", NULL);
    } else {
        j->then = password_then;
        snprintf(j->new_password, sizeof j->new_password, "%s", in[1]);
        if (!check_password(ctx, j, in[0], PQgetvalue(r, 0, 0))) {
            OPENSSL_cleanse(j, sizeof *j);
            free(j);
        }
    }
    PQclear(r);
}

/* ---- POST /v1/auth/enrolment and /password: the one-time enrolment link ---- */

static const struct field_spec invite_fields[] = {
    {"code", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, false, false},
};
#define INVITE_FAILED "this enrolment link is not valid (used, replaced or expired); ask your administrator for a new one"

/* Whom the link enrols (nothing is used up): username, name, organisation, expiry. */
void h_auth_invite(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {{"username", COL_TEXT}, {"display_name", COL_TEXT},
                                          {"organisation", COL_TEXT}, {"expires_at", COL_TEXT}};
    const char *in[2];
    char challenge[37];
    PGresult *r = NULL;
    if (!api_fields(ctx, invite_fields, 1, in) || !take_challenge(ctx, in[0], "invite", challenge))
        return;
    const char *p[] = {challenge};
    enum db_status st = db_exec(ctx_db(ctx), "invite_who", 1, p, &r);
    json_t *o = st == DB_OK && PQntuples(r) == 1 ? api_row_object(r, 0, cols, API_NCOLS(cols))
                                                 : NULL;
    PQclear(r);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        api_commit_send(ctx, 200, o);
}

struct invite_job {
    struct http_ctx *ctx;
    char password[4 * PASSWORD_MAX_LENGTH + 1];
    struct password_params params;
    char hash[PASSWORD_HASH_MAX];
    bool ok;
    int ctl;
    char user[37], challenge[37];
};

static void invite_work(void *arg)
{
    struct invite_job *j = arg;
    j->ok = password_hash(j->password, j->params, j->hash);
    OPENSSL_cleanse(j->password, sizeof j->password);
}

static void invite_drop(void *arg)
{
    OPENSSL_cleanse(arg, sizeof(struct invite_job));
    free(arg);
}

/* The link is used up (once: a second use of the same link finds it used), the password set,
 * any earlier second factor, recovery codes and sessions end, the lock is lifted; the answer
 * is an enrolment token, as a first login gives. */
static enum db_status invite_apply(struct http_ctx *ctx, struct invite_job *j, char token[64],
                                   bool *used)
{
    PGresult *r = NULL;
    const char *c[] = {j->challenge}, *u[] = {j->user}, *pw[] = {j->user, j->hash};
    enum db_status st = db_exec(ctx_db(ctx), "challenge_use", 1, c, &r);
    *used = st == DB_OK && PQntuples(r) == 0;
    PQclear(r);
    if (st != DB_OK || *used)
        return st;
    st = db_exec(ctx_db(ctx), "cred_totp_clear", 1, u, NULL);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "cred_password_set", 2, pw, NULL);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "admin_user_unlock", 1, u, NULL);
    if (st == DB_OK)
        st = new_challenge(ctx, "enrol", token);
    if (st == DB_OK)
        st = event(ctx, j->user, "invite_used", "success");
    return st;
}

static void invite_done(void *arg)
{
    struct invite_job *j = arg;
    struct http_ctx *ctx = j->ctx;
    char token[64];
    bool used = false;
    enum db_status st = !j->ok ? DB_ERROR : begin_as(ctx, j->ctl, j->user) ? DB_OK : DB_UNAUTHORIZED;
    if (st == DB_OK)
        st = invite_apply(ctx, j, token, &used);
    if (st == DB_OK && used) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 401, "unauthorized", INVITE_FAILED, "code");
    } else if (st != DB_OK && st != DB_UNAUTHORIZED) {
        api_db_fail(ctx, st);
    } else if (st == DB_OK) {
        api_commit_send(ctx, 200, json_pack("{s:s, s:i}", "enrol_token", token, "expires_in",
                                            ctx_worker(ctx)->cfg->mfa_token_ttl_s));
        OPENSSL_cleanse(token, sizeof token);
    }
    OPENSSL_cleanse(j, sizeof *j);
    free(j);
    api_request_end(ctx);
}

/* The new user's password (the policy of common/password.c, 422 naming `password`), hashed off
 * the loop; then as invite_apply says. */
void h_auth_invite_password(struct http_ctx *ctx)
{
    const char *in[2];
    char challenge[37];
    PGresult *cred = NULL;
    if (!api_fields(ctx, invite_fields, 2, in))
        return;
    if (in[1] == NULL) {
        problem_send(ctx, 422, "validation", "is required", "password");
        return;
    }
    if (!take_challenge(ctx, in[0], "invite", challenge) || (cred = lock_credentials(ctx)) == NULL)
        return;
    const char *why = password_policy(in[1], PQgetvalue(cred, 0, C_USERNAME));
    PQclear(cred);
    db_rollback(ctx_db(ctx)); /* nothing is held while the hash runs */
    if (why) {
        problem_send(ctx, 422, "validation", why, "password");
        return;
    }
    struct invite_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        problem_send(ctx, 503, "busy", "try again in a moment", NULL);
        return;
    }
    *j = (struct invite_job){.ctx = ctx, .params = shared_of(ctx)->pw, .ctl = ctx->who.controller_id};
    snprintf(j->password, sizeof j->password, "%s", in[1]);
    snprintf(j->user, sizeof j->user, "%s", ctx->who.user_id);
    snprintf(j->challenge, sizeof j->challenge, "%s", challenge);
    if (api_offload(ctx, invite_work, invite_done, invite_drop, j))
        ctx->suspended = true;
    else
        invite_drop(j);
}
