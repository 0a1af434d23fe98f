/* Partner agencies: OAuth2 client credentials (POST /v1/oauth/token; failures recorded and
 * throttled) and the pull of referred persons, exactly the field groups of the active grant,
 * never a restricted person; every person returned has its disclosure row and access-log row
 * written in the same transaction. */
#include <event2/buffer.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/log.h"
#include "crt/person.h"

#define BAD_CLIENT "invalid client credentials"

/* ---- POST /v1/oauth/token ---- */

/* RFC 6749 errors, as problem+json with the OAuth "error" member added. */
static void oauth_error(struct http_ctx *ctx, int status, const char *error, const char *detail)
{
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "WWW-Authenticate",
                          "Basic realm=\"crt\"");
    char *body = arena_printf(&ctx->arena,
                              "{\"type\":\"urn:crt:problem:oauth\",\"title\":\"%s\",\"status\":%d,"
                              "\"detail\":\"%s\",\"error\":\"%s\",\"request_id\":\"%s\"}",
                              http_status_title(status), status, detail, error, ctx->request_id);
    http_send_text(ctx, status, "application/problem+json", body ? body : "{}");
}

/* The form of POST /v1/oauth/token: each parameter at most once (RFC 6749 3.2). */
struct token_form {
    const char *grant_type, *client_id, *client_secret;
};

/* Parses the form body; false after answering 400. */
static bool token_form_read(struct http_ctx *ctx, struct token_form *f)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(ctx->req);
    char *body = arena_strndup(&ctx->arena, (const char *)evbuffer_pullup(in, -1),
                               evbuffer_get_length(in));
    const char **keys, **vals;
    memset(f, 0, sizeof *f);
    if (body == NULL || strlen(body) != evbuffer_get_length(in) ||
        !http_form(ctx, body, &keys, &vals)) {
        oauth_error(ctx, 400, "invalid_request", "the form cannot be parsed");
        return false;
    }
    for (size_t i = 0; keys[i]; i++) {
        const char **slot = strcmp(keys[i], "grant_type") == 0      ? &f->grant_type
                            : strcmp(keys[i], "client_id") == 0     ? &f->client_id
                            : strcmp(keys[i], "client_secret") == 0 ? &f->client_secret
                                                                    : NULL;
        if (slot && *slot) {
            oauth_error(ctx, 400, "invalid_request", "a parameter is given twice");
            return false;
        }
        if (slot)
            *slot = vals[i];
    }
    return true;
}

/* client_id and client_secret from HTTP Basic (RFC 6749 2.3.1) or the form; *id is NULL when
 * none was given. False when they are missing or unusable. */
static bool client_credentials(struct http_ctx *ctx, const struct token_form *f, const char **id,
                               const char **secret)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Authorization");
    *id = *secret = NULL;
    if (auth && strncasecmp(auth, "Basic ", 6) == 0 && strlen(auth + 6) < 512) {
        unsigned char *dec = arena_alloc(&ctx->arena, 400);
        int n = dec ? EVP_DecodeBlock(dec, (const unsigned char *)auth + 6, (int)strlen(auth + 6)) : -1;
        char *colon = n > 0 ? memchr(dec, ':', (size_t)n) : NULL;
        if (colon == NULL)
            return false;
        *colon = '\0';
        *id = (char *)dec;
        *secret = colon + 1; /* EVP_DecodeBlock NUL-pads; trailing zero bytes end the string */
    } else {
        *id = f->client_id;
        *secret = f->client_secret;
    }
    return *id && *secret && strlen(*id) <= 64 && strlen(*secret) <= 200;
}

/* A client id as partners.client_id allows it (anything else names no partner and is neither
 * looked up nor stored). */
static bool client_id_wellformed(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > 64 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
              *s == '-'))
            return false;
    return true;
}

/* Issues the partner's access token (role "partner", no controller, the secret's version). */
static void send_partner_token(struct http_ctx *ctx, const char *partner_id, const char *version)
{
    struct token_claims c = {.ctl = 0};
    time_t now = time(NULL);
    snprintf(c.sub, sizeof c.sub, "%s", partner_id);
    snprintf(c.role, sizeof c.role, "partner");
    c.iat = c.nbf = now;
    c.exp = now + ctx_worker(ctx)->cfg->access_token_ttl_s;
    c.sv = atol(version);
    char *jwt = crypto_uuid(c.sid) ? token_issue(&ctx_worker(ctx)->shared->keys, &c) : NULL;
    if (jwt == NULL) {
        problem_send(ctx, 500, "internal", "the token could not be issued", NULL);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:i}", "access_token", jwt, "token_type", "Bearer",
                          "expires_in", (int)(c.exp - c.iat));
    http_send_json(ctx, 200, o);
    json_decref(o);
    free(jwt);
}

/* Columns of partner_auth. */
enum { A_WAIT, A_ID, A_SHA, A_DISABLED, A_VERSION };

/* Records the failed authentication (for the DPO and the throttle), then answers 401. */
static void client_refused(struct http_ctx *ctx, const char *client_id, const char *reason)
{
    const char *p[] = {client_id, reason, api_client_ip(ctx), ctx->request_id};
    if (p[2] == NULL)
        p[2] = "unknown";
    enum db_status st = db_exec(ctx_db(ctx), "partner_auth_failure", 4, p, NULL);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    log_info("request_id=%s partner authentication refused (%s)", ctx->request_id, reason);
    oauth_error(ctx, 401, "invalid_client", BAD_CLIENT);
}

/* 429 with Retry-After: too many recent failures of this client id or from this address. */
static void client_throttled(struct http_ctx *ctx, const char *wait_s)
{
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Retry-After", wait_s);
    problem_send(ctx, 429, "too-many-requests",
                 "too many failed authentications of this client or from this address; "
                 "try again after Retry-After seconds",
                 NULL);
}

/* Throttle, then the secret compared in constant time whether the client is known or not. */
static void authenticate(struct http_ctx *ctx, const char *id, const char *secret, bool given)
{
    const struct crt_config *cfg = ctx_worker(ctx)->cfg;
    char window[16], per_client[16], per_ip[16];
    snprintf(window, sizeof window, "%d", cfg->partner_auth_window_s);
    snprintf(per_client, sizeof per_client, "%d", cfg->partner_auth_client_failures);
    snprintf(per_ip, sizeof per_ip, "%d", cfg->partner_auth_address_failures);
    const char *client = client_id_wellformed(id) ? id : NULL, *ip = api_client_ip(ctx);
    const char *p[] = {client, ip ? ip : "unknown", window, per_client, per_ip};
    PGresult *r = NULL;
    enum db_status st = db_ensure(ctx_db(ctx));
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "partner_auth", 5, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    char sha[65], stored[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    bool known = !PQgetisnull(r, 0, A_ID), enabled = known && PQgetvalue(r, 0, A_DISABLED)[0] != 't';
    if (enabled)
        snprintf(stored, sizeof stored, "%s", PQgetvalue(r, 0, A_SHA));
    crypto_sha256_hex(secret ? secret : "", secret ? strlen(secret) : 0, sha);
    bool ok = crypto_equal(sha, stored, 64) && enabled && given; /* compared in every case */
    if (atoi(PQgetvalue(r, 0, A_WAIT)) > 0)
        client_throttled(ctx, PQgetvalue(r, 0, A_WAIT));
    else if (ok)
        send_partner_token(ctx, PQgetvalue(r, 0, A_ID), PQgetvalue(r, 0, A_VERSION));
    else
        client_refused(ctx, client, !given   ? "no_credentials"
                                    : !known ? "unknown_client"
                                    : !enabled ? "disabled"
                                               : "bad_secret");
    PQclear(r);
}

void h_oauth_token(struct http_ctx *ctx)
{
    struct token_form form;
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        problem_send(ctx, 415, "unsupported-media-type",
                     "the body must be application/x-www-form-urlencoded (RFC 6749)", NULL);
        return;
    }
    if (!token_form_read(ctx, &form))
        return;
    if (form.grant_type == NULL) {
        oauth_error(ctx, 400, "invalid_request", "grant_type is required");
        return;
    }
    if (strcmp(form.grant_type, "client_credentials") != 0) {
        oauth_error(ctx, 400, "unsupported_grant_type", "only client_credentials is supported");
        return;
    }
    const char *id, *secret;
    bool given = client_credentials(ctx, &form, &id, &secret);
    authenticate(ctx, given ? id : NULL, given ? secret : NULL, given);
}

/* ---- GET /v1/partner/persons[/{id}] ---- */

/* Columns after the person's (person_sql_columns) in partner_page / partner_one. */
#define PC PERSON_COLS
enum { X_CTL = PC, X_PURPOSE, X_GRANT, X_GROUPS_RAW, X_BASIS, X_CHANGED_RAW, X_GROUPS, X_CHANGED };

static unsigned groups_mask(const char *json_array_text)
{
    json_t *a = json_loads(json_array_text, 0, NULL);
    unsigned m = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        int g = json_is_string(v) ? field_group_index(json_string_value(v)) : -1;
        if (g >= 0)
            m |= 1u << g;
    }
    json_decref(a);
    return m;
}

/* In the pull's transaction, once its rows are known: the test results (education) of the
 * persons whose grant includes education, when there are any. */
static bool education_stmt(struct http_ctx *ctx, const PGresult *r, void *arg,
                           struct batch_stmt *next)
{
    (void)arg;
    const char **ids = arena_alloc(&ctx->arena, (size_t)(PQntuples(r) + 1) * sizeof *ids);
    size_t n = 0;
    for (int i = 0; ids && i < PQntuples(r); i++)
        if (groups_mask(PQgetvalue(r, i, X_GROUPS)) & (1u << FG_EDUCATION))
            ids[n++] = arena_strdup(&ctx->arena, PQgetvalue(r, i, 0));
    if (ids && n == 0)
        return true; /* none: no second statement */
    const char *list = ids ? db_array_literal(&ctx->arena, ids, n) : NULL;
    *next = (struct batch_stmt){"partner_tests", 1, {list}};
    return list != NULL;
}

/* The test results of t (NULL: none) by person id. New reference; NULL when out of memory. */
static json_t *education_of(const PGresult *t)
{
    json_t *by_person = json_object();
    for (int i = 0; by_person && t && i < PQntuples(t); i++) {
        const char *pid = PQgetvalue(t, i, 0);
        if (!json_object_get(by_person, pid))
            json_object_set_new(by_person, pid, json_array());
        json_array_append_new(json_object_get(by_person, pid),
                              json_pack("{s:s, s:o}", "occurred_on", PQgetvalue(t, i, 2), "details",
                                        json_loads(PQgetvalue(t, i, 3), 0, NULL)));
    }
    return by_person;
}

static json_t *disclosed(const PGresult *r, int i, json_t *tests)
{
    unsigned mask = groups_mask(PQgetvalue(r, i, X_GROUPS));
    json_t *o = person_to_json(r, i, 0, mask & FG_PERSON_MASK);
    json_object_set_new(o, "controller_id", json_integer(atoi(PQgetvalue(r, i, X_CTL))));
    json_object_set_new(o, "purpose", json_string(PQgetvalue(r, i, X_PURPOSE)));
    json_object_set_new(o, "legal_basis", json_string(PQgetvalue(r, i, X_BASIS)));
    json_object_set_new(o, "grant_id", json_string(PQgetvalue(r, i, X_GRANT)));
    json_object_set_new(o, "field_groups", json_loads(PQgetvalue(r, i, X_GROUPS), 0, NULL));
    if (mask & (1u << FG_EDUCATION)) {
        json_t *e = json_object_get(tests, PQgetvalue(r, i, 0));
        json_object_set_new(o, "education", e ? json_incref(e) : json_array());
    }
    json_object_del(o, "created_at"); /* internal bookkeeping is not part of any grant */
    json_object_del(o, "version");
    if (!(mask & (1u << FG_IDENTIFICATION))) { /* the OKI number and household identify */
        json_object_del(o, "oki_number");
        json_object_del(o, "household_id");
    }
    return o;
}

/* A cursor "<updated_at, RFC 3339 UTC>,<person id>,<purpose>" as next_cursor gave it. */
static bool cursor_parse(struct http_ctx *ctx, const char *v, const char **ts, const char **id,
                         const char **purpose)
{
    const char *c1 = strchr(v, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (c2 == NULL || c2 - c1 - 1 != 36 || strlen(c2 + 1) == 0 || strlen(c2 + 1) > 64)
        return false;
    char *t = arena_strndup(&ctx->arena, v, (size_t)(c1 - v));
    char *i = arena_strndup(&ctx->arena, c1 + 1, 36);
    if (!t || !i || !validate_timestamp(t) || !validate_uuid(i))
        return false;
    for (const char *p = c2 + 1; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') && *p != '_')
            return false;
    *ts = t;
    *id = i;
    *purpose = c2 + 1;
    return true;
}

/* Reads "changed_since", "cursor" and "limit" (each at most once); false after answering 400. */
static bool page_params(struct http_ctx *ctx, const char **since, const char **ts,
                        const char **id, const char **purpose, const char **limit)
{
    static const char *const names[] = {"changed_since", "cursor", "limit", NULL};
    const char *v[3];
    *ts = *id = *purpose = NULL;
    if (!api_query(ctx, names, v))
        return false;
    const char *bad = v[0] && !validate_timestamp(v[0])                        ? "changed_since"
                      : v[1] && !cursor_parse(ctx, v[1], ts, id, purpose)      ? "cursor"
                      : v[2] && !validate_int(v[2], 1, 500)                    ? "limit"
                                                                               : NULL;
    if (bad) {
        problem_send(ctx, 400, "validation",
                     "use changed_since (RFC 3339), cursor (as returned) and limit (1-500)", bad);
        return false;
    }
    *since = v[0];
    *limit = v[2] ? v[2] : "100";
    return true;
}

/* The page and its disclosure and log rows have committed: the answer. */
static void page_done(struct http_ctx *ctx, enum db_status st, PGresult *r, PGresult *t,
                      void *arg)
{
    const char *limit = arg;
    if (st != DB_OK) { /* nothing is returned unless every disclosure row was written */
        api_db_fail(ctx, st);
        return;
    }
    json_t *tests = education_of(t);
    int n = PQntuples(r);
    json_t *items = json_array();
    for (int i = 0; items && i < n; i++)
        json_array_append_new(items, disclosed(r, i, tests));
    char *next = n == atoi(limit) ? arena_printf(&ctx->arena, "%s,%s,%s", PQgetvalue(r, n - 1, X_CHANGED),
                                                 PQgetvalue(r, n - 1, 0), PQgetvalue(r, n - 1, X_PURPOSE))
                                  : NULL;
    json_t *o = json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_cursor",
                          next ? json_string(next) : json_null());
    PQclear(r);
    PQclear(t);
    json_decref(tests);
    http_send_json(ctx, 200, o);
    json_decref(o);
}

void h_partner_persons(struct http_ctx *ctx)
{
    const char *since, *ts, *id, *purpose, *limit;
    if (!page_params(ctx, &since, &ts, &id, &purpose, &limit))
        return;
    const char *p[] = {ctx->request_id, since, ts, id, limit, purpose};
    if (!batch_read_logged(ctx, "partner_page", 6, p, education_stmt, page_done, (void *)limit))
        return; /* answered 500 */
}

/* The person and its disclosure and log rows have committed (none when not disclosed). */
static void one_done(struct http_ctx *ctx, enum db_status st, PGresult *r, PGresult *t, void *arg)
{
    (void)arg;
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (PQntuples(r) == 0) /* no referral, no grant, restricted or unknown: fail closed */
        problem_send(ctx, 404, "not-found", "no such person, or not disclosed to you", NULL);
    else {
        json_t *tests = education_of(t);
        json_t *o = disclosed(r, 0, tests);
        json_decref(tests);
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
    PQclear(r);
    PQclear(t);
}

void h_partner_person(struct http_ctx *ctx)
{
    const char *id = api_path_uuid(ctx, "id", "no such person, or not disclosed to you");
    if (id == NULL)
        return;
    const char *p[] = {ctx->request_id, id};
    if (!batch_read_logged(ctx, "partner_one", 2, p, education_stmt, one_done, NULL))
        return; /* answered 500 */
}
