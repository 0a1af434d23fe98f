/* Who is calling: the Bearer access token of the request, verified with token_verify
 * (signature, algorithm, every claim), or the browser's session cookie with its CSRF proof.
 * Verified tokens are remembered per worker until they
 * expire, so a busy client costs one ECDSA verification per token, not per request; whether
 * the session still stands is checked in the request's own transaction (api_begin). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"
#include "crt/token_cache.h"

static bool unauthorized(struct http_ctx *ctx, const char *detail)
{
    problem_send(ctx, 401, "unauthorized", detail, NULL);
    return false;
}

/* Verifies token, through the worker's cache; TOKEN_OK fills *c. */
static enum token_result verify(struct worker *w, const char *token, struct token_claims *c)
{
    time_t now = time(NULL);
    if (w->tokens == NULL)
        w->tokens = token_cache_new(); /* NULL when out of memory: every request verifies */
    if (token_cache_get(w->tokens, token, now, c))
        return TOKEN_OK;
    enum token_result r = token_verify(&w->shared->keys, token, now, c);
    if (r == TOKEN_OK)
        token_cache_put(w->tokens, token, c, now);
    return r;
}

/* ---- the session cookie ---- */

/* The value of the session cookie in the Cookie header into out; false when absent or not of
 * the form crypto_token makes (base64url, at most 64 characters). */
bool identity_cookie(struct http_ctx *ctx, char out[65])
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Cookie");
    size_t nl = strlen(WEB_COOKIE "=");
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t n = strcspn(p, ";");
        if (strncmp(p, WEB_COOKIE "=", nl) == 0 && n > nl && n - nl <= 64) {
            size_t vl = n - nl;
            memcpy(out, p + nl, vl);
            out[vl] = '\0';
            return strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == vl;
        }
        p += n;
    }
    return false;
}

void identity_csrf_token(const char *cookie, char out[65])
{
    char buf[96];
    snprintf(buf, sizeof buf, "crt-csrf:%s", cookie);
    crypto_sha256_hex(buf, strlen(buf), out);
    OPENSSL_cleanse(buf, sizeof buf);
}

/* Origin is this service's: CRT_PUBLIC_ORIGIN when set, else https://<Host> (or http://<Host>
 * when crt-api does not serve TLS itself). */
static bool origin_ok(struct http_ctx *ctx, const char *origin)
{
    const struct crt_config *cfg = ctx_worker(ctx)->cfg;
    if (cfg->public_origin[0])
        return strcmp(origin, cfg->public_origin) == 0;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Host");
    const char *rest = strncmp(origin, "https://", 8) == 0                 ? origin + 8
                       : !http_hsts && strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                                          : NULL;
    return host && rest && strcmp(rest, host) == 0;
}

static bool csrf_refuse(struct http_ctx *ctx, const char *detail)
{
    log_info("request_id=%s session=%s: cross-site request refused", ctx->request_id,
             ctx->who.session_id);
    problem_send(ctx, 403, "csrf", detail, NULL);
    return false;
}

/* Unsafe methods authenticated by the cookie must prove they come from this origin. */
static bool csrf_check(struct http_ctx *ctx, const char *cookie)
{
    enum http_method m = http_method_of(ctx->req);
    if (m != HTTP_POST && m != HTTP_PUT && m != HTTP_PATCH && m != HTTP_DELETE)
        return true;
    struct evkeyvalq *in = evhttp_request_get_input_headers(ctx->req);
    const char *token = evhttp_find_header(in, "X-CSRF-Token");
    const char *origin = evhttp_find_header(in, "Origin");
    const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
    char want[65];
    identity_csrf_token(cookie, want);
    if (token == NULL || strlen(token) != 64 || CRYPTO_memcmp(token, want, 64) != 0)
        return csrf_refuse(ctx, "this request needs the X-CSRF-Token header of the session");
    if (origin && !origin_ok(ctx, origin))
        return csrf_refuse(ctx, "this request comes from another origin");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return csrf_refuse(ctx, "this request comes from another site");
    return true;
}

/* Resolves the session the cookie names (state checked again in api_begin's transaction). */
static bool cookie_resolve(struct http_ctx *ctx, const char *cookie)
{
    char sha[65];
    PGresult *r = NULL;
    crypto_sha256_hex(cookie, strlen(cookie), sha);
    const char *p[] = {sha};
    enum db_status st = db_ensure(ctx_db(ctx));
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "cookie_session", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    const char *state = PQntuples(r) == 1 ? PQgetvalue(r, 0, 4) : "none";
    if (strcmp(state, "active") != 0) {
        bool expired = strcmp(state, "expired") == 0;
        PQclear(r);
        problem_send(ctx, 401, expired ? "session-expired" : "unauthenticated",
                     expired ? "the session has expired; log in again"
                             : "no session; log in",
                     NULL);
        return false;
    }
    memset(&ctx->who, 0, sizeof ctx->who);
    ctx->who.present = ctx->who.cookie = true;
    snprintf(ctx->who.session_id, sizeof ctx->who.session_id, "%s", PQgetvalue(r, 0, 0));
    ctx->who.controller_id = atoi(PQgetvalue(r, 0, 1));
    snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "%s", PQgetvalue(r, 0, 2));
    snprintf(ctx->who.role, sizeof ctx->who.role, "%s", PQgetvalue(r, 0, 3));
    ctx->who.issued_at = time(NULL);
    PQclear(r);
    return csrf_check(ctx, cookie);
}

bool identity_resolve(struct http_ctx *ctx)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Authorization");
    char cookie[65];
    if (h == NULL && identity_cookie(ctx, cookie)) {
        bool ok = cookie_resolve(ctx, cookie);
        OPENSSL_cleanse(cookie, sizeof cookie);
        return ok;
    }
    if (h == NULL) { /* neither token nor cookie */
        problem_send(ctx, 401, "unauthenticated", "authentication is required", NULL);
        return false;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > TOKEN_MAX_LENGTH)
        return unauthorized(ctx, "use an access token: Authorization: Bearer <token>");
    struct token_claims c;
    enum token_result r = verify(ctx_worker(ctx), h + 7, &c);
    if (r != TOKEN_OK) {
        log_debug("request_id=%s token refused (%d)", ctx->request_id, (int)r);
        return unauthorized(ctx, r == TOKEN_EXPIRED ? "the access token has expired"
                                                    : "the access token is not valid");
    }
    memset(&ctx->who, 0, sizeof ctx->who);
    ctx->who.present = true;
    ctx->who.controller_id = c.ctl;
    snprintf(ctx->who.user_id, sizeof ctx->who.user_id, "%s", c.sub);
    snprintf(ctx->who.role, sizeof ctx->who.role, "%s", c.role);
    snprintf(ctx->who.session_id, sizeof ctx->who.session_id, "%s", c.sid);
    ctx->who.issued_at = c.iat;
    ctx->who.secret_version = c.sv;
    return true;
}
