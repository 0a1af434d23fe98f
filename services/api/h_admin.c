/* Account administration for the admin role, within the admin's own controller (RLS): list,
 * create (with a one-time enrolment link, or a password hashed off the loop), new enrolment
 * links, change role or name, disable/enable, unlock, reset MFA, list a user's sessions. Disabling an account or changing its role revokes its sessions, so every outstanding
 * token stops at once. Every security-relevant action is a login event. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/crypto.h"

static const char *const admins[] = {"admin", NULL};
static const char *const roles[] = {"intake", "caseworker", "coordinator", "education", "dpo",
                                    "admin", "reporting", NULL};
#define NOT_FOUND "no such account in your organisation"

static enum db_status admin_event(struct http_ctx *ctx, const char *target, const char *name)
{
    const char *p[] = {target, ctx->who.user_id, name, "success", api_client_ip(ctx),
                       ctx->request_id};
    return db_exec(ctx_db(ctx), "auth_event", 6, p, NULL);
}

enum db_status admin_record(struct http_ctx *ctx, const char *user, const char *event,
                            const char *subject)
{
    const char *p[] = {user, event, api_client_ip(ctx), ctx->request_id, subject};
    return db_exec(ctx_db(ctx), "admin_event", 5, p, NULL);
}

static bool username_ok(const char *u)
{
    size_t n = strlen(u);
    if (n < 3 || n > 64 || !(islower((unsigned char)u[0]) || isdigit((unsigned char)u[0])))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)u[i]) && !isdigit((unsigned char)u[i]) && !strchr("._-", u[i]))
            return false;
    return true;
}

void h_admin_users_list(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || !api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "admin_users", 0, NULL, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < PQntuples(r); i++)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s}", "id", PQgetvalue(r, i, 0),
                             "username", PQgetvalue(r, i, 1), "display_name", PQgetvalue(r, i, 2),
                             "role", PQgetvalue(r, i, 3), "disabled", PQgetvalue(r, i, 4)[0] == 't',
                             "locked", PQgetvalue(r, i, 5)[0] == 't', "mfa_active",
                             PQgetvalue(r, i, 6)[0] == 't', "created_at", PQgetvalue(r, i, 7)));
    PQclear(r);
    json_t *o = json_pack("{s:o}", "items", items ? items : json_array());
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}

/* ---- create: the password is hashed off the loop ---- */

struct create_job {
    struct http_ctx *ctx;
    char password[PASSWORD_MAX_LENGTH + 1];
    struct password_params params;
    char hash[PASSWORD_HASH_MAX];
    bool ok;
    const char *username, *display_name, *role; /* in ctx's arena */
};

static void create_work(void *arg)
{
    struct create_job *j = arg;
    j->ok = password_hash(j->password, j->params, j->hash);
    OPENSSL_cleanse(j->password, sizeof j->password);
}

/* Shutting down before the hashing began: nothing was done. */
static void create_drop(void *arg)
{
    OPENSSL_cleanse(arg, sizeof(struct create_job));
    free(arg);
}

/* A new enrolment link for account id, in the open transaction: 256 random bits, stored as
 * SHA-256 (an auth challenge of kind 'invite', CRT_ENROL_LINK_TTL_S), earlier links ended, a
 * login event recorded. *link: {code, expires_at} (new reference) — the code is shown once. */
static enum db_status issue_invite(struct http_ctx *ctx, const char *id, json_t **link)
{
    char code[64], sha[65], ttl[16];
    PGresult *r = NULL;
    if (!crypto_token(32, code, sizeof code))
        return DB_ERROR;
    crypto_sha256_hex(code, strlen(code), sha);
    snprintf(ttl, sizeof ttl, "%d", ctx_worker(ctx)->cfg->enrol_link_ttl_s);
    const char *p[] = {sha, id, ttl};
    enum db_status st = db_exec(ctx_db(ctx), "admin_invite", 3, p, &r);
    if (st == DB_OK)
        st = admin_event(ctx, id, "invite");
    if (st == DB_OK)
        *link = json_pack("{s:s, s:s}", "code", code, "expires_at", PQgetvalue(r, 0, 0));
    PQclear(r);
    OPENSSL_cleanse(code, sizeof code);
    return st == DB_OK && *link == NULL ? DB_ERROR : st;
}

/* Inserts the account (hash NULL: no password yet, an enrolment link instead) in a new
 * transaction and answers 201, 409 for a taken username, or the failure. */
static void create_account(struct http_ctx *ctx, const char *username, const char *display_name,
                           const char *role, const char *hash)
{
    PGresult *r = NULL;
    json_t *link = NULL;
    const char *p[] = {username, display_name, role, hash};
    enum db_status st = api_begin(ctx) ? DB_OK : DB_UNAUTHORIZED;
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "admin_user_insert", 4, p, &r);
    if (st == DB_OK)
        st = admin_event(ctx, PQgetvalue(r, 0, 0), "create");
    if (st == DB_OK && hash == NULL)
        st = issue_invite(ctx, PQgetvalue(r, 0, 0), &link);
    if (st == DB_CONFLICT) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 409, "conflict", "this username is taken", "username");
    } else if (st != DB_OK && st != DB_UNAUTHORIZED) {
        api_db_fail(ctx, st);
    } else if (st == DB_OK && api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o?}", "id", PQgetvalue(r, 0, 0),
                              "username", username, "display_name", display_name, "role", role,
                              "mfa_active", 0, "enrolment", link);
        link = NULL;
        http_send_json(ctx, 201, o);
        json_decref(o);
    }
    json_decref(link);
    PQclear(r);
}

static void create_done(void *arg)
{
    struct create_job *j = arg;
    struct http_ctx *ctx = j->ctx;
    if (j->ok)
        create_account(ctx, j->username, j->display_name, j->role, j->hash);
    else
        api_db_fail(ctx, DB_ERROR);
    OPENSSL_cleanse(j, sizeof *j);
    free(j);
    api_request_end(ctx);
}

static const struct field_spec create_fields[] = {
    {"username", FT_TEXT, 64, NULL, 0, 0, true, false},
    {"display_name", FT_TEXT, 200, NULL, 0, 0, true, false},
    {"role", FT_ENUM, 0, roles, 0, 0, true, false},
    {"password", FT_TEXT, PASSWORD_MAX_LENGTH, NULL, 0, 0, false, false},
};

/* Without a password (what the console does) the account gets a one-time enrolment link
 * instead: the new user chooses a password and enrols a second factor with it. */
void h_admin_user_create(struct http_ctx *ctx)
{
    const char *in[4];
    if (!api_require_role(ctx, admins) || !api_fields(ctx, create_fields, 4, in))
        return;
    if (!username_ok(in[0])) {
        problem_send(ctx, 422, "validation",
                     "3 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
                     "username");
        return;
    }
    if (in[3] == NULL) {
        create_account(ctx, in[0], in[1], in[2], NULL);
        return;
    }
    const char *why = password_policy(in[3], in[0]);
    if (why) {
        problem_send(ctx, 422, "validation", why, "password");
        return;
    }
    if (!api_begin(ctx)) /* the session must stand before any hashing is spent on it */
        return;
    db_rollback(ctx_db(ctx));
    struct create_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        problem_send(ctx, 500, "internal", "out of memory", NULL);
        return;
    }
    *j = (struct create_job){.ctx = ctx, .params = ctx_worker(ctx)->shared->pw,
                             .username = in[0], .display_name = in[1], .role = in[2]};
    snprintf(j->password, sizeof j->password, "%s", in[3]);
    if (api_offload(ctx, create_work, create_done, create_drop, j))
        ctx->suspended = true;
    else
        free(j);
}

/* ---- change ---- */

static const struct field_spec update_fields[] = {
    {"role", FT_ENUM, 0, roles, 0, 0, false, false},
    {"display_name", FT_TEXT, 200, NULL, 0, 0, false, false},
    {"disabled", FT_BOOL, 0, NULL, 0, 0, false, false},
};

void h_admin_user_update(struct http_ctx *ctx)
{
    const char *in[3];
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    if (!id || !api_fields(ctx, update_fields, 3, in))
        return;
    if (!in[0] && !in[1] && !in[2]) {
        problem_send(ctx, 422, "validation", "give role, display_name or disabled", "role");
        return;
    }
    if (strcmp(id, ctx->who.user_id) == 0 && (in[0] || in[2])) {
        problem_send(ctx, 409, "conflict", "administrators cannot change their own role or status",
                     in[0] ? "role" : "disabled");
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {id, in[0], in[1], in[2]};
    enum db_status st = db_exec(ctx_db(ctx), "admin_user_update", 4, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    if (found && in[0])
        st = admin_event(ctx, id, "role_change");
    if (found && in[2] && st == DB_OK)
        st = admin_event(ctx, id, strcmp(in[2], "true") == 0 ? "disable" : "enable");
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    if (!found) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", NOT_FOUND, NULL);
    } else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s, s:b}", "id", id, "role", PQgetvalue(r, 0, 0),
                              "disabled", PQgetvalue(r, 0, 1)[0] == 't');
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
    PQclear(r);
}

/* POST /v1/admin/users/{id}/unlock and /reset-mfa */
void h_admin_user_action(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    if (!id || !api_begin(ctx))
        return;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(ctx->req));
    bool unlock = strstr(path, "/unlock") != NULL;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), unlock ? "admin_user_unlock" : "admin_user_exists", 1,
                                p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1; /* the row exists in this controller */
    if (found && !unlock)
        st = db_exec(ctx_db(ctx), "cred_totp_clear", 1, p, NULL);
    if (found && st == DB_OK)
        st = admin_event(ctx, id, unlock ? "unlock" : "mfa_reset");
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!found) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", NOT_FOUND, NULL);
    } else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s}", "id", id, "status", unlock ? "unlocked" : "mfa_reset");
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
}

/* POST /v1/admin/users/{id}/enrolment: a new one-time enrolment link (the earlier ones end);
 * redeemed, it sets a new password and a new second factor. */
void h_admin_user_enrolment(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    json_t *link = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    if (!id || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "admin_user_state", 1, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    bool disabled = found && PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    if (found && !disabled)
        st = issue_invite(ctx, id, &link);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!found || disabled) {
        db_rollback(ctx_db(ctx));
        if (found)
            problem_send(ctx, 409, "conflict", "enable the account first", NULL);
        else
            problem_send(ctx, 404, "not-found", NOT_FOUND, NULL);
    } else {
        api_commit_send(ctx, 201, json_pack("{s:s, s:O}", "id", id, "enrolment", link));
    }
    json_decref(link);
}

/* GET /v1/admin/users/{id}/sessions: the account's standing sessions (bearer and browser). */
void h_admin_user_sessions(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {
        {"id", COL_TEXT},         {"created_at", COL_TEXT}, {"last_seen_at", COL_TEXT},
        {"expires_at", COL_TEXT}, {"ip", COL_TEXT},         {"user_agent", COL_TEXT},
        {"browser", COL_TEXT}};
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    if (!id || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "admin_user_state", 1, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    r = NULL;
    if (found)
        st = db_exec(ctx_db(ctx), "admin_user_sessions", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!found) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", NOT_FOUND, NULL);
    } else {
        json_t *items = api_row_array(r, cols, API_NCOLS(cols));
        for (size_t i = 0; items && i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            json_object_set_new(it, "browser", json_boolean(PQgetvalue(r, (int)i, 6)[0] == 't'));
        }
        api_commit_send(ctx, 200, items ? json_pack("{s:o}", "items", items) : NULL);
    }
    PQclear(r);
}
