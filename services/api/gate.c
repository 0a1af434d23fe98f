/* May this user see this person: the need-to-know decision (C rules checked against the
 * database's), the role x field-group matrix and its masks, and the refusals (403/404, logged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/log.h"

bool api_require_role(struct http_ctx *ctx, const char *const *roles)
{
    for (const char *const *r = roles; *r; r++)
        if (strcmp(*r, ctx->who.role) == 0)
            return true;
    problem_send(ctx, 403, "forbidden", "your role does not allow this", NULL);
    return false;
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

void api_gate_committed(struct http_ctx *ctx, enum gate g, const char *person_id,
                        const char *action, const char *purpose)
{
    if (g == GATE_NOT_FOUND)
        problem_send(ctx, 404, "not-found", "no such person", NULL);
    else if (g == GATE_DENIED)
        problem_send(ctx, 403, "forbidden", NO_NEED_TO_KNOW, NULL);
    else if (g == GATE_OBJECTED)
        problem_send(ctx, 403, "forbidden", API_OBJECTED, "X-CRT-Purpose");
    else /* the statement's row is committed already; the mismatch gets its own row */
        api_deny(ctx, person_id, action, purpose, "policy_mismatch", NO_NEED_TO_KNOW, NULL);
}

bool api_person_gate(struct http_ctx *ctx, const char *person_id, const char *action,
                     const char *purpose, const char **reason)
{
    PGresult *r = NULL;
    const char *p[] = {person_id, purpose};
    enum db_status st = db_exec(ctx_db(ctx), "person_gate", 2, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    enum gate g = api_gate_decide(ctx, r, person_id, reason);
    bool objected = PQgetvalue(r, 0, GATE_COLUMNS)[0] == 't';
    PQclear(r);
    if (g != GATE_OK)
        api_gate_refuse(ctx, g, person_id, action, purpose, false);
    else if (objected)
        api_deny(ctx, person_id, action, purpose, "objection", API_OBJECTED, "X-CRT-Purpose");
    return g == GATE_OK && !objected;
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

/* ---- a restricted person is read-only (GDPR art. 18) ---- */

#define RESTRICTED                                                                          \
    "the processing of this person is restricted (GDPR art. 18): the record is read-only "  \
    "until a coordinator lifts the restriction"

bool rights_writable(struct http_ctx *ctx, const char *person_id, const char *action,
                     const char *purpose)
{
    PGresult *r = NULL;
    const char *p[] = {person_id};
    enum db_status st = db_exec(ctx_db(ctx), "person_restricted", 1, p, &r);
    bool restricted = st == DB_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (restricted)
        api_deny(ctx, person_id, action, purpose, "restricted", RESTRICTED, NULL);
    return st == DB_OK && !restricted;
}
