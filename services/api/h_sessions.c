/* Sessions seen by their user and administrators: the current browser session (CSRF token,
 * timeouts), the list of one's own sessions, signing out the others or one, and an
 * administrator ending all sessions of an account. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* A login event of user (actor: the administrator or NULL) in the open transaction. */
static enum db_status revoke_event(struct http_ctx *ctx, const char *user, const char *actor)
{
    const char *p[] = {user, actor ? actor : "", "session_revoke", "success", api_client_ip(ctx),
                       ctx->request_id};
    return db_exec(ctx_db(ctx), "auth_event", 6, p, NULL);
}

/* Commits and answers 204; after a failed statement answers the failure instead. */
static void finish(struct http_ctx *ctx, enum db_status st)
{
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (api_commit(ctx))
        http_send_text(ctx, 204, "application/json", "");
}

/* ---- GET /v1/auth/session ---- */

void h_auth_session(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    char cookie[65], csrf[65];
    if (!api_begin(ctx)) /* renews the idle timeout */
        return;
    const char *p[] = {ctx->who.session_id};
    enum db_status st = db_exec(ctx_db(ctx), "session_current", 1, p, &r);
    if (st != DB_OK || PQntuples(r) != 1) {
        PQclear(r);
        api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
        return;
    }
    bool has_cookie = ctx->who.cookie && identity_cookie(ctx, cookie);
    if (has_cookie)
        identity_csrf_token(cookie, csrf);
    json_t *user = json_pack("{s:s, s:s, s:s, s:s}", "id", ctx->who.user_id, "username",
                             PQgetvalue(r, 0, 3), "role", PQgetvalue(r, 0, 5), "controller",
                             PQgetvalue(r, 0, 6));
    if (user && !PQgetisnull(r, 0, 4))
        json_object_set_new(user, "display_name", json_string(PQgetvalue(r, 0, 4)));
    json_t *o = json_pack("{s:o, s:o, s:o, s:s, s:o*}", "csrf_token",
                          has_cookie ? json_string(csrf) : json_null(), "idle_timeout_s",
                          PQgetisnull(r, 0, 1) ? json_null() : json_integer(atoi(PQgetvalue(r, 0, 1))),
                          "idle_expires_at", api_text(r, 0, 2), "expires_at",
                          PQgetvalue(r, 0, 0), "user", user);
    PQclear(r);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/auth/sessions ---- */

void h_sessions_list(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {
        {"id", COL_TEXT},         {"created_at", COL_TEXT}, {"last_seen_at", COL_TEXT},
        {"expires_at", COL_TEXT}, {"ip", COL_TEXT},         {"user_agent", COL_TEXT},
    };
    PGresult *r = NULL;
    if (!api_begin(ctx))
        return;
    const char *p[] = {ctx->who.user_id, ctx->who.session_id};
    enum db_status st = db_exec(ctx_db(ctx), "sessions_list", 2, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < PQntuples(r); i++) {
        json_t *it = api_row_object(r, i, cols, API_NCOLS(cols));
        if (it)
            json_object_set_new(it, "current", json_boolean(PQgetvalue(r, i, 6)[0] == 't'));
        json_array_append_new(items, it);
    }
    PQclear(r);
    api_commit_send(ctx, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

/* ---- POST /v1/auth/sessions/revoke-others, /v1/auth/sessions/{id}/revoke ---- */

void h_sessions_revoke_others(struct http_ctx *ctx)
{
    if (!api_begin(ctx))
        return;
    const char *p[] = {ctx->who.user_id, ctx->who.session_id};
    enum db_status st = db_exec(ctx_db(ctx), "sessions_revoke_others", 2, p, NULL);
    if (st == DB_OK)
        st = revoke_event(ctx, ctx->who.user_id, NULL);
    finish(ctx, st);
}

void h_session_revoke(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", "session");
    if (id == NULL || !api_begin(ctx))
        return;
    const char *p[] = {id, ctx->who.user_id};
    enum db_status st = db_exec(ctx_db(ctx), "session_revoke_own", 2, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    if (st == DB_OK && !found) { /* another user's session is not revealed */
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", "no such session", NULL);
        return;
    }
    if (st == DB_OK)
        st = revoke_event(ctx, ctx->who.user_id, NULL);
    finish(ctx, st);
}

/* ---- POST /v1/admin/users/{id}/sessions/revoke ---- */

void h_admin_sessions_revoke(struct http_ctx *ctx)
{
    static const char *const admins[] = {"admin", NULL};
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", "user");
    if (id == NULL || !api_require_role(ctx, admins) || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "admin_user_exists", 1, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1; /* RLS: only the admin's controller */
    PQclear(r);
    if (st == DB_OK && !found) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", "no such user", NULL);
        return;
    }
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "sessions_revoke_user", 1, p, NULL);
    if (st == DB_OK)
        st = revoke_event(ctx, id, ctx->who.user_id);
    finish(ctx, st);
}
