/* The route table of crt-api (method + pattern -> handler; proto/openapi.yaml must list the
 * same routes, which tests/unit/test_openapi.c checks) and the helpers handlers share. */
#include <string.h>

#include "api.h"
#include "crt/audit.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", h_healthz, ROUTE_PUBLIC},
    {HTTP_GET, "/readyz", h_readyz, ROUTE_PUBLIC},
    {HTTP_GET, "/metrics", h_metrics, ROUTE_PUBLIC},
    {HTTP_GET, "/v1/me", h_me, 0},
    {HTTP_POST, "/v1/persons", h_person_create, ROUTE_BODY},
    {HTTP_GET, "/v1/persons", h_person_search, 0},
    {HTTP_GET, "/v1/persons/{id}", h_person_get, 0},
    {HTTP_PATCH, "/v1/persons/{id}", h_person_patch, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/rectifications", h_person_rectifications, 0},
    {HTTP_GET, "/v1/persons/{id}/trajectory", h_trajectory_list, 0},
    {HTTP_POST, "/v1/persons/{id}/trajectory", h_trajectory_add, ROUTE_BODY},
    {HTTP_POST, "/v1/households", h_household_create, ROUTE_BODY},
    {HTTP_GET, "/v1/households/{id}", h_household_get, 0},
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

static const char *const purposes[] = {"registration", "guidance", "duplicate_check",
                                       "rectification", "education", "data_subject_request",
                                       NULL};

void api_db_fail(struct http_ctx *ctx, enum db_status st)
{
    const char *type, *detail;
    db_rollback(ctx_db(ctx));
    int status = db_http_status(st, &type, &detail);
    problem_send(ctx, status, type, detail, NULL);
}

void api_invalid(struct http_ctx *ctx, const struct field_error *err)
{
    db_rollback(ctx_db(ctx));
    problem_send(ctx, 422, "validation", err->detail, err->field);
}

const char *api_purpose(struct http_ctx *ctx, const char *dflt)
{
    const char *p = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "X-CRT-Purpose");
    if (p == NULL)
        return dflt;
    for (const char *const *v = purposes; *v; v++)
        if (strcmp(*v, p) == 0)
            return *v;
    problem_send(ctx, 400, "validation",
                 "unknown purpose; use registration, guidance, duplicate_check, rectification, "
                 "education or data_subject_request",
                 "X-CRT-Purpose");
    return NULL;
}

const char *api_path_uuid(struct http_ctx *ctx, const char *name, const char *what)
{
    const char *id = router_param(&ctx->match, name);
    if (id && validate_uuid(id))
        return id;
    problem_send(ctx, 404, "not-found", what, NULL);
    return NULL;
}

bool api_begin(struct http_ctx *ctx)
{
    enum db_status st = db_begin(ctx_db(ctx), ctx->who.controller_id, ctx->who.user_id);
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

enum db_status api_audit(struct http_ctx *ctx, const char *person_id, const char *household_id,
                         const char *action, const char *groups, const char *purpose,
                         const char *outcome, const char *reason)
{
    struct audit_entry e = {person_id, household_id, action,  groups,
                            purpose,   outcome,      reason,  ctx->request_id};
    return audit_write(ctx_db(ctx), &e);
}

void api_not_found_logged(struct http_ctx *ctx, const char *person_id, const char *household_id,
                          const char *action, const char *purpose, const char *what)
{
    enum db_status st =
        api_audit(ctx, person_id, household_id, action, "{}", purpose, "not_found", NULL);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (api_commit(ctx))
        problem_send(ctx, 404, "not-found", what, NULL);
}
