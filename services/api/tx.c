/* The request's transaction and its audit trail: opening it in the caller's RLS scope, committing
 * (then answering), answering a database failure, and writing the access-log rows of a read. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crt/audit.h"

void api_db_fail(struct http_ctx *ctx, enum db_status st)
{
    const char *type, *detail;
    char retry[16];
    db_rollback(ctx_db(ctx));
    int status = db_http_status(st, &type, &detail);
    if (db_retry_after_s(st) > 0) {
        snprintf(retry, sizeof retry, "%d", db_retry_after_s(st));
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Retry-After", retry);
    }
    problem_send(ctx, status, type, detail, NULL);
}

bool api_begin(struct http_ctx *ctx)
{
    batch_settle(ctx_worker(ctx)); /* the read connection's flight must not wait for this one */
    enum db_status st =
        strcmp(ctx->who.role, "partner") == 0
            ? db_begin_partner(ctx_db(ctx), ctx->who.user_id, ctx->who.secret_version)
        : ctx->who.session_id[0]
            ? db_begin_session(ctx_db(ctx), ctx->who.controller_id, ctx->who.user_id,
                               ctx->who.session_id, ctx->who.role)
            : db_begin(ctx_db(ctx), ctx->who.controller_id, ctx->who.user_id);
    if (st == DB_OK)
        return true;
    api_db_fail(ctx, st);
    return false;
}

bool api_commit(struct http_ctx *ctx)
{
    enum db_status st = db_commit(ctx_db(ctx));
    if (st == DB_OK)
        return true;
    api_db_fail(ctx, st);
    return false;
}

void api_commit_send(struct http_ctx *ctx, int status, json_t *o)
{
    if (api_commit(ctx))
        http_send_json(ctx, status, o); /* NULL: 500, the response could not be encoded */
    json_decref(o);
}

enum db_status api_audit(struct http_ctx *ctx, const char *person_id, const char *household_id,
                         const char *action, const char *groups, const char *purpose,
                         const char *outcome, const char *reason)
{
    struct audit_entry e = {person_id, household_id, action,  groups,
                            purpose,   outcome,      reason,  ctx->request_id};
    return audit_write(ctx_db(ctx), &e);
}

PGresult *api_read_logged(struct http_ctx *ctx, const char *stmt, int n, const char *const *p,
                          const char *person_id, const char *action, const char *purpose,
                          const char *reason)
{
    PGresult *r = NULL;
    enum db_status st = db_exec(ctx_db(ctx), stmt, n, p, &r);
    if (st == DB_OK)
        st = api_audit(ctx, person_id, NULL, action, "{}", purpose, "allowed", reason);
    if (st == DB_OK)
        return r;
    PQclear(r);
    api_db_fail(ctx, st);
    return NULL;
}
