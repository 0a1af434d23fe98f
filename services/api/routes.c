/* The route table of crt-api (method + pattern -> handler; proto/openapi.yaml must list the
 * same routes, which tests/unit/test_openapi.c checks) and the helpers handlers share. */
#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "crt/audit.h"
#include "crt/log.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", h_healthz, ROUTE_PUBLIC},
    {HTTP_GET, "/readyz", h_readyz, ROUTE_PUBLIC},
    {HTTP_GET, "/metrics", h_metrics, ROUTE_PUBLIC},
    {HTTP_POST, "/v1/auth/login", h_auth_login, ROUTE_PUBLIC | ROUTE_BODY},
    {HTTP_POST, "/v1/auth/totp", h_auth_totp, ROUTE_PUBLIC | ROUTE_BODY},
    {HTTP_POST, "/v1/auth/totp/enrol", h_auth_enrol, ROUTE_PUBLIC | ROUTE_BODY},
    {HTTP_POST, "/v1/auth/totp/enrol/confirm", h_auth_enrol_confirm, ROUTE_PUBLIC | ROUTE_BODY},
    {HTTP_POST, "/v1/auth/totp/reset", h_auth_totp_reset, ROUTE_BODY},
    {HTTP_POST, "/v1/auth/logout", h_auth_logout, 0},
    {HTTP_POST, "/v1/auth/password", h_auth_password, ROUTE_BODY},
    {HTTP_GET, "/v1/auth/session", h_auth_session, 0},
    {HTTP_GET, "/v1/auth/sessions", h_sessions_list, 0},
    {HTTP_POST, "/v1/auth/sessions/revoke-others", h_sessions_revoke_others, 0},
    {HTTP_POST, "/v1/auth/sessions/{id}/revoke", h_session_revoke, 0},
    {HTTP_POST, "/v1/admin/users/{id}/sessions/revoke", h_admin_sessions_revoke, 0},
    {HTTP_GET, "/v1/me", h_me, 0},
    {HTTP_GET, "/v1/me/persons", h_worklist, 0},
    {HTTP_GET, "/v1/me/access", h_me_access, 0},
    {HTTP_GET, "/v1/caseworkers", h_caseworkers, 0},
    {HTTP_GET, "/v1/admin/users", h_admin_users_list, 0},
    {HTTP_POST, "/v1/admin/users", h_admin_user_create, ROUTE_BODY},
    {HTTP_PATCH, "/v1/admin/users/{id}", h_admin_user_update, ROUTE_BODY},
    {HTTP_POST, "/v1/admin/users/{id}/unlock", h_admin_user_action, 0},
    {HTTP_POST, "/v1/admin/users/{id}/reset-mfa", h_admin_user_action, 0},
    {HTTP_POST, "/v1/persons", h_person_create, ROUTE_BODY},
    {HTTP_POST, "/v1/persons/duplicate-check", h_person_duplicate_check, ROUTE_BODY},
    {HTTP_POST, "/v1/persons/{id}/transfer", h_person_transfer, ROUTE_BODY},
    {HTTP_GET, "/v1/persons", h_person_search, 0},
    {HTTP_GET, "/v1/persons/{id}", h_person_get, 0},
    {HTTP_PATCH, "/v1/persons/{id}", h_person_patch, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/rectifications", h_person_rectifications, 0},
    {HTTP_POST, "/v1/persons/{id}/break-glass", h_break_glass, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/assignments", h_assignments_list, 0},
    {HTTP_POST, "/v1/persons/{id}/assignments", h_assignment_create, ROUTE_BODY},
    {HTTP_POST, "/v1/persons/{id}/assignments/{assignment}/end", h_assignment_end, 0},
    {HTTP_POST, "/v1/persons/{id}/referrals", h_referral_create, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/referrals", h_referrals_list, 0},
    {HTTP_POST, "/v1/persons/{id}/referrals/{referral}/end", h_referral_end, 0},
    {HTTP_GET, "/v1/partners", h_partners_list, 0},
    {HTTP_POST, "/v1/oauth/token", h_oauth_token, ROUTE_PUBLIC},
    {HTTP_GET, "/v1/partner/persons", h_partner_persons, ROUTE_PARTNER},
    {HTTP_GET, "/v1/partner/persons/{id}", h_partner_person, ROUTE_PARTNER},
    {HTTP_GET, "/v1/partner/corrections", h_partner_corrections, ROUTE_PARTNER},
    {HTTP_POST, "/v1/partner/corrections/{id}/ack", h_partner_correction_ack, ROUTE_PARTNER},
    {HTTP_POST, "/v1/persons/{id}/requests", h_person_request_create, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/requests", h_person_requests, 0},
    {HTTP_POST, "/v1/requests", h_request_create, ROUTE_BODY},
    {HTTP_GET, "/v1/requests", h_requests_list, 0},
    {HTTP_GET, "/v1/requests/{id}", h_request_get, 0},
    {HTTP_POST, "/v1/requests/{id}/extension", h_request_extend, ROUTE_BODY},
    {HTTP_POST, "/v1/requests/{id}/decision", h_request_decide, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/export", h_person_export, 0},
    {HTTP_GET, "/v1/persons/{id}/flags", h_person_flags, 0},
    {HTTP_PATCH, "/v1/persons/{id}/flags", h_person_flags_update, ROUTE_BODY},
    {HTTP_POST, "/v1/persons/{id}/restriction/lift", h_restriction_lift, ROUTE_BODY},
    {HTTP_GET, "/v1/audit/access", h_audit_access, 0},
    {HTTP_GET, "/v1/audit/logins", h_audit_logins, 0},
    {HTTP_GET, "/v1/audit/partner-auth", h_audit_partner_auth, 0},
    {HTTP_GET, "/v1/reviews", h_reviews_list, 0},
    {HTTP_GET, "/v1/reviews/{id}", h_review_get, 0},
    {HTTP_GET, "/v1/reviews/{id}/findings", h_review_findings, 0},
    {HTTP_PATCH, "/v1/reviews/{id}/findings/{finding}", h_review_decide, ROUTE_BODY},
    {HTTP_GET, "/v1/persons/{id}/trajectory", h_trajectory_list, 0},
    {HTTP_POST, "/v1/persons/{id}/trajectory", h_trajectory_add, ROUTE_BODY},
    {HTTP_POST, "/v1/households", h_household_create, ROUTE_BODY},
    {HTTP_GET, "/v1/households/{id}", h_household_get, 0},
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

static const char *const purposes[] = {"registration", "guidance", "duplicate_check",
                                       "rectification", "education", "data_subject_request",
                                       "emergency", "audit", NULL};

bool api_fields(struct http_ctx *ctx, const struct field_spec *specs, size_t n, const char **out)
{
    const char *key;
    json_t *val;
    json_object_foreach(ctx->body, key, val)
    {
        size_t i = 0;
        while (i < n && strcmp(specs[i].name, key) != 0)
            i++;
        if (i == n) {
            problem_send(ctx, 422, "validation", "is not a field of this request", key);
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char buf[4 * 2000 + 8]; /* the longest text field (a review note) in UTF-8 */
        bool is_null;
        struct field_error err;
        if (!field_check(&specs[i], json_object_get(ctx->body, specs[i].name), buf, sizeof buf,
                         &is_null, &err)) {
            api_invalid(ctx, &err);
            return false;
        }
        out[i] = is_null ? NULL : arena_strdup(&ctx->arena, buf);
    }
    return true;
}

bool api_require_role(struct http_ctx *ctx, const char *const *roles)
{
    for (const char *const *r = roles; *r; r++)
        if (strcmp(*r, ctx->who.role) == 0)
            return true;
    problem_send(ctx, 403, "forbidden", "your role does not allow this", NULL);
    return false;
}

const char *api_client_ip(struct http_ctx *ctx)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *c = evhttp_request_get_connection(ctx->req);
    if (c)
        evhttp_connection_get_peer(c, &host, &port);
    return host ? arena_strdup(&ctx->arena, host) : NULL;
}

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
                 "education, data_subject_request, emergency or audit",
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

const char *api_path_id(struct http_ctx *ctx, const char *name, const char *what)
{
    const char *id = router_param(&ctx->match, name);
    if (id && validate_int(id, 1, API_MAX_ID))
        return id;
    problem_send(ctx, 404, "not-found", what, NULL);
    return NULL;
}

bool api_query(struct http_ctx *ctx, const char *const *names, const char **v)
{
    const char **keys, **vals;
    size_t n = 0;
    while (names[n])
        v[n++] = NULL;
    if (!http_query(ctx, &keys, &vals)) {
        problem_send(ctx, 400, "validation", "the query string cannot be parsed", NULL);
        return false;
    }
    for (size_t i = 0; keys[i]; i++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], keys[i]) != 0)
            k++;
        if (k == n || v[k]) {
            problem_send(ctx, 400, "validation",
                         k < n ? "this parameter is given twice" : "unknown query parameter",
                         keys[i]);
            return false;
        }
        v[k] = vals[i];
    }
    return true;
}

json_t *api_page(json_t *items, const PGresult *r, int limit)
{
    int n = PQntuples(r);
    json_t *next = n > 0 && n == limit ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10))
                                       : json_null();
    return json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_before", next);
}

json_t *api_row_object(const PGresult *r, int i, const struct api_col *cols, int n)
{
    json_t *o = json_object();
    for (int c = 0; o && c < n; c++) {
        const char *v = PQgetvalue(r, i, c);
        enum api_col_kind k = cols[c].kind;
        json_t *j = PQgetisnull(r, i, c) ? json_null()
                    : k == COL_INT       ? json_integer(strtoll(v, NULL, 10))
                    : k == COL_NUM       ? json_real(strtod(v, NULL))
                    : k == COL_JSON      ? json_loads(v, JSON_DECODE_ANY, NULL)
                                         : json_string(v);
        json_object_set_new(o, cols[c].name, j ? j : json_null());
    }
    return o;
}

json_t *api_row_array(const PGresult *r, const struct api_col *cols, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < PQntuples(r); i++)
        if (json_array_append_new(a, api_row_object(r, i, cols, n)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

bool api_begin(struct http_ctx *ctx)
{
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

/* ---- need-to-know ---- */

bool api_matrix_ready(struct http_ctx *ctx)
{
    struct worker *w = ctx_worker(ctx);
    uint64_t now = http_now_ns();
    if (strcmp(ctx->who.role, "partner") == 0 ||
        (w->matrix.n > 0 && now - w->matrix_at < (uint64_t)ACCESS_MATRIX_TTL_S * 1000000000u))
        return true;
    PGresult *r = NULL;
    enum db_status st = db_exec_idle(ctx_db(ctx), "access_matrix", 0, NULL, &r);
    if (st == DB_OK && PQntuples(r) > 0) {
        struct access_matrix m = {0};
        for (int i = 0; i < PQntuples(r); i++)
            (void)access_matrix_set(&m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                    PQgetvalue(r, i, 2)[0] == 't', PQgetvalue(r, i, 3)[0] == 't');
        w->matrix = m;
        w->matrix_at = now;
    }
    PQclear(r);
    if (st == DB_OK && w->matrix.n > 0)
        return true;
    /* Not knowing the matrix is the service's failure: never a 403, never a `denied` row. */
    api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
    return false;
}

unsigned api_read_mask(struct http_ctx *ctx) { return access_read_mask(&ctx_worker(ctx)->matrix, ctx->who.role); }
unsigned api_write_mask(struct http_ctx *ctx) { return access_write_mask(&ctx_worker(ctx)->matrix, ctx->who.role); }

void api_deny(struct http_ctx *ctx, const char *person_id, const char *action,
              const char *purpose, const char *reason, const char *detail, const char *field)
{
    if (!ctx_db(ctx)->in_tx && !api_begin(ctx))
        return;
    enum db_status st = api_audit(ctx, person_id, NULL, action, "{}", purpose, "denied", reason);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (api_commit(ctx))
        problem_send(ctx, 403, "forbidden", detail, field);
}

bool api_may_search(struct http_ctx *ctx, const char *purpose)
{
    if (api_read_mask(ctx) & (1u << FG_IDENTIFICATION))
        return true;
    api_deny(ctx, NULL, "search", purpose, "role_has_no_access",
             "your role does not search person records", NULL);
    return false;
}

/* Columns of person_gate and the first columns of person_read. */
enum { G_RESTRICTED, G_CREATED_BY, G_AGE, G_WINDOW, G_ASSIGNED, G_BREAK_GLASS, G_REASON, G_FOUND,
       G_VISIBLE };

enum gate api_gate_decide(struct http_ctx *ctx, const PGresult *r, const char *person_id,
                          const char **reason)
{
    bool found = PQgetvalue(r, 0, G_FOUND)[0] == 't', visible = PQgetvalue(r, 0, G_VISIBLE)[0] == 't';
    if (!found)
        return GATE_NOT_FOUND;
    struct access_facts f = {
        .restricted = PQgetvalue(r, 0, G_RESTRICTED)[0] == 't',
        .assigned = PQgetvalue(r, 0, G_ASSIGNED)[0] == 't',
        .break_glass = PQgetvalue(r, 0, G_BREAK_GLASS)[0] == 't',
        .age_s = atol(PQgetvalue(r, 0, G_AGE)),
        .window_days = atoi(PQgetvalue(r, 0, G_WINDOW)),
    };
    snprintf(f.created_by, sizeof f.created_by, "%s", PQgetvalue(r, 0, G_CREATED_BY));
    const char *mine = access_reason(ctx->who.role, ctx->who.user_id, &f);
    const char *theirs = PQgetisnull(r, 0, G_REASON) ? NULL : PQgetvalue(r, 0, G_REASON);
    bool agree = (mine != NULL) == visible && (mine == NULL || (theirs && strcmp(mine, theirs) == 0));
    if (!agree) {
        log_error("request_id=%s person=%s: need-to-know checks disagree (C %s, SQL %s/%s)",
                  ctx->request_id, person_id, mine ? mine : "deny", visible ? "row" : "no row",
                  theirs ? theirs : "deny");
        return GATE_MISMATCH;
    }
    *reason = mine; /* a static string */
    return mine ? GATE_OK : GATE_DENIED;
}

void api_gate_refuse(struct http_ctx *ctx, enum gate g, const char *person_id,
                     const char *action, const char *purpose, bool logged)
{
    if (g == GATE_NOT_FOUND && logged) {
        if (api_commit(ctx))
            problem_send(ctx, 404, "not-found", "no such person", NULL);
    } else if (g == GATE_NOT_FOUND) {
        api_not_found_logged(ctx, person_id, NULL, action, purpose, "no such person");
    } else if (g == GATE_DENIED && logged) {
        if (api_commit(ctx))
            problem_send(ctx, 403, "forbidden", NO_NEED_TO_KNOW, NULL);
    } else {
        if (g == GATE_MISMATCH)
            db_rollback(ctx_db(ctx)); /* drop whatever the statement logged as allowed */
        api_deny(ctx, person_id, action, purpose,
                 g == GATE_MISMATCH ? "policy_mismatch" : "no_need_to_know", NO_NEED_TO_KNOW, NULL);
    }
}

bool api_person_gate(struct http_ctx *ctx, const char *person_id, const char *action,
                     const char *purpose, const char **reason)
{
    PGresult *r = NULL;
    const char *p[] = {person_id};
    enum db_status st = db_exec(ctx_db(ctx), "person_gate", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    enum gate g = api_gate_decide(ctx, r, person_id, reason);
    PQclear(r);
    if (g != GATE_OK)
        api_gate_refuse(ctx, g, person_id, action, purpose, false);
    return g == GATE_OK;
}

void api_person_list(struct http_ctx *ctx, const char *id, const char *action,
                     const char *purpose, const char *stmt, const char *groups, api_row_fn row,
                     unsigned mask)
{
    PGresult *r = NULL;
    const char *reason = NULL;
    if (!api_begin(ctx) || !api_person_gate(ctx, id, action, purpose, &reason))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), stmt, 1, p, &r);
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, action, groups, purpose, "allowed", reason);
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < PQntuples(r); i++) {
        json_t *item = row(r, i, mask);
        if (item)
            json_array_append_new(items, item);
    }
    PQclear(r);
    json_t *o = json_pack("{s:o}", "items", items ? items : json_array());
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}

void api_person_end(struct http_ctx *ctx, const char *action, const char *stmt,
                    const char *param, const char *what)
{
    PGresult *r = NULL;
    const char *reason = NULL;
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *sub = id ? api_path_uuid(ctx, param, what) : NULL;
    const char *purpose = sub ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_begin(ctx) || !api_person_gate(ctx, id, action, purpose, &reason))
        return;
    const char *p[] = {id, sub};
    enum db_status st = db_exec(ctx_db(ctx), stmt, 2, p, &r);
    bool ended = st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    if (ended)
        st = api_audit(ctx, id, NULL, action, "{}", purpose, "allowed", reason);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!ended) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", what, NULL);
    } else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s}", "id", sub, "status", "ended");
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
}
