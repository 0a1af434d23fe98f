/* Need-to-know around one person: break-glass (time-boxed access outside need-to-know, with a
 * reason, always a finding for the DPO) and case assignments (a caseworker sees a person only
 * while assigned; coordinators assign and end, history is kept). */
#include <string.h>

#include "api.h"
#include "crt/audit.h"

#define NOT_FOUND "no such person"
static const char *const coordinators[] = {"coordinator", NULL};
static const char *const case_roles[] = {"coordinator", "caseworker", NULL};

/* The person must exist in the caller's controller (visible or not); false after answering. */
static bool in_controller(struct http_ctx *ctx, const char *id, const char *action,
                          const char *purpose)
{
    PGresult *r = NULL;
    const char *p[] = {id, NULL};
    enum db_status st = db_exec(ctx_db(ctx), "person_gate", 2, p, &r);
    bool found = st == DB_OK && PQgetvalue(r, 0, 7)[0] == 't';
    PQclear(r);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (!found)
        api_not_found_logged(ctx, id, NULL, action, purpose, NOT_FOUND);
    return found;
}

static const struct field_spec glass_fields[] = {
    {"reason", FT_TEXT, 1000, NULL, 0, 0, true, false},
};

void h_break_glass(struct http_ctx *ctx)
{
    const char *in[1];
    PGresult *r = NULL;
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "emergency") : NULL;
    if (purpose == NULL || !api_fields(ctx, glass_fields, 1, in))
        return;
    if (validate_text_length(in[0]) < 20) {
        problem_send(ctx, 422, "validation",
                     "say why this cannot wait, in at least 20 characters", "reason");
        return;
    }
    unsigned mask = api_read_mask(ctx) & FG_PERSON_MASK;
    if (mask == 0) {
        api_deny(ctx, id, "break_glass", purpose, "role_has_no_access",
                 "your role does not read person records", NULL);
        return;
    }
    if (!api_begin(ctx) || !in_controller(ctx, id, "break_glass", purpose))
        return;
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    const char *p[] = {id, in[0]};
    enum db_status st = db_exec(ctx_db(ctx), "break_glass_insert", 2, p, &r);
    /* The log row carries the reason given: the DPO reviews every break-glass. */
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "break_glass", groups, purpose, "allowed", in[0]);
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", PQgetvalue(r, 0, 0), "person_id", id,
                          "expires_at", PQgetvalue(r, 0, 1));
    PQclear(r);
    if (api_commit(ctx))
        http_send_json(ctx, 201, o);
    json_decref(o);
}

static json_t *assignment_json(const PGresult *r, int i, unsigned mask)
{
    (void)mask;
    return json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:s, s:o}", "id", PQgetvalue(r, i, 0),
                     "caseworker", "id", PQgetvalue(r, i, 1), "username", PQgetvalue(r, i, 2),
                     "assigned_by", PQgetvalue(r, i, 3), "reason", api_text(r, i, 4),
                     "started_at", PQgetvalue(r, i, 5), "ended_at", api_text(r, i, 6));
}

void h_assignments_list(struct http_ctx *ctx)
{
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose && api_require_role(ctx, case_roles))
        api_person_list(ctx, id, "assignment_read", purpose, "assignment_list", "{}",
                        assignment_json, 0);
}

static const struct field_spec assign_fields[] = {
    {"user_id", FT_TEXT, 36, NULL, 0, 0, true, false},
    {"reason", FT_TEXT, 500, NULL, 0, 0, false, false},
};

void h_assignment_create(struct http_ctx *ctx)
{
    const char *in[2], *reason = NULL;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_require_role(ctx, coordinators) ||
        !api_fields(ctx, assign_fields, 2, in))
        return;
    if (!validate_uuid(in[0])) {
        problem_send(ctx, 422, "validation", "must be a staff user id (UUID)", "user_id");
        return;
    }
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "assignment_write", purpose, &reason))
        return;
    const char *p[] = {id, in[0], in[1]};
    enum db_status st = db_exec(ctx_db(ctx), "assignment_insert", 3, p, &r);
    if (st == DB_OK && PQntuples(r) == 0) {
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", "no active caseworker with this id in your organisation",
                     "user_id");
        return;
    }
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "assignment_write", "{}", purpose, "allowed", reason);
    if (st == DB_CONFLICT) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 409, "conflict", "this caseworker is already assigned", "user_id");
    } else if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", PQgetvalue(r, 0, 0), "person_id", id,
                              "user_id", in[0], "started_at", PQgetvalue(r, 0, 1));
        if (api_commit(ctx))
            http_send_json(ctx, 201, o);
        json_decref(o);
    }
    PQclear(r);
}

void h_assignment_end(struct http_ctx *ctx)
{
    if (api_require_role(ctx, coordinators))
        api_person_end(ctx, "assignment_write", "assignment_end", "assignment",
                       "no such active assignment");
}
