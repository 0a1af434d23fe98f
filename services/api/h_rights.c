/* What the rights and the retention need to know about a person (guardianship, legal hold,
 * consent to transfer, end of guidance, and the resulting retention date): reading and changing
 * the flags, and lifting a restriction (the read-only rule itself is gate.c's). */
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* GET /v1/persons/{id}/flags */
void h_person_flags(struct http_ctx *ctx)
{
    static const char *const roles[] = {"intake", "caseworker", "coordinator", NULL};
    const char *reason = NULL;
    enum db_status st;
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, roles) || !api_begin(ctx) ||
        !api_person_gate(ctx, id, "flags_read", purpose, &reason))
        return;
    json_t *o = rights_flags(ctx, id, &st);
    if (o)
        st = api_audit(ctx, id, NULL, "flags_read", "{}", purpose, "allowed", reason);
    if (o == NULL || st != DB_OK) {
        json_decref(o);
        api_db_fail(ctx, st);
        return;
    }
    api_commit_send(ctx, 200, o);
}

enum { FL_GUARDIANSHIP, FL_HOLD, FL_CONSENT, FL_GUIDANCE, FL_PROTECTED, FL_N, FL_REASON = FL_N };
static const struct field_spec flag_fields[FL_N + 1] = {
    {"under_guardianship", FT_BOOL, 0, NULL, 0, 0, false, false},
    {"legal_hold", FT_TEXT, 500, NULL, 0, 0, false, false},
    {"transfer_consent", FT_BOOL, 0, NULL, 0, 0, false, false},
    {"guidance_ended_on", FT_DATE, 0, NULL, 0, 0, false, false},
    /* protected: every access to the person becomes a review finding (RP-01) */
    {"protected", FT_BOOL, 0, NULL, 0, 0, false, false},
    {"reason", FT_TEXT, 500, NULL, 0, 0, true, false},
};

/* The field of a flags body that is wrong, with why; NULL when it is fine. */
static const char *flags_refused(struct http_ctx *ctx, const char **in, const char **why)
{
    int given = 0;
    for (int i = 0; i < FL_N; i++)
        given += json_object_get(ctx->body, flag_fields[i].name) != NULL;
    if (given == 0)
        return *why = "the request changes no flag", "under_guardianship";
    if (json_object_get(ctx->body, "under_guardianship") && !in[FL_GUARDIANSHIP])
        return *why = "must be true or false", "under_guardianship";
    if (json_object_get(ctx->body, "transfer_consent") && !in[FL_CONSENT])
        return *why = "must be true or false", "transfer_consent";
    if (json_object_get(ctx->body, "protected") && !in[FL_PROTECTED])
        return *why = "must be true or false", "protected";
    if (in[FL_HOLD] && validate_text_length(in[FL_HOLD]) < 10)
        return *why = "must name the retention duty (at least 10 characters)", "legal_hold";
    if (validate_text_length(in[FL_REASON]) < 3)
        return *why = "must say why, in at least 3 characters", "reason";
    return NULL;
}

/* The stored flags (flags_lock: text forms) merged with the body; the changes recorded as
 * rectifications "flags.<name>". Returns the rectification insert's status. */
static enum db_status write_flags(struct http_ctx *ctx, const char *id, const PGresult *old,
                                  const char **in)
{
    const char *merged[FL_N], *field[FL_N], *was[FL_N], *now[FL_N];
    size_t n = 0;
    for (int i = 0; i < FL_N; i++) {
        const char *stored = PQgetisnull(old, 0, i) ? NULL : PQgetvalue(old, 0, i);
        bool given = json_object_get(ctx->body, flag_fields[i].name) != NULL;
        merged[i] = given ? in[i] : stored;
        if (!given || (stored && merged[i] ? strcmp(stored, merged[i]) == 0 : stored == merged[i]))
            continue;
        field[n] = arena_printf(&ctx->arena, "flags.%s", flag_fields[i].name);
        was[n] = stored;
        now[n++] = merged[i];
    }
    const char *p[] = {id, merged[0], merged[1], merged[2], merged[3], merged[4]};
    enum db_status st = db_exec(ctx_db(ctx), "flags_update", 6, p, NULL);
    if (st != DB_OK || n == 0)
        return st;
    const char *rp[] = {id,
                        in[FL_REASON],
                        ctx->request_id,
                        db_array_literal(&ctx->arena, field, n),
                        db_array_literal(&ctx->arena, was, n),
                        db_array_literal(&ctx->arena, now, n)};
    if (!rp[3] || !rp[4] || !rp[5])
        return DB_ERROR;
    return db_exec(ctx_db(ctx), "rectification_insert", 6, rp, NULL);
}

/* PATCH /v1/persons/{id}/flags {under_guardianship, legal_hold, transfer_consent,
 * guidance_ended_on, protected, reason}: a coordinator records them; each change is a rectification. */
void h_person_flags_update(struct http_ctx *ctx)
{
    static const char *const coordinators[] = {"coordinator", NULL};
    const char *in[FL_N + 1], *why = NULL, *reason = NULL;
    PGresult *old = NULL;
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, coordinators) ||
        !api_fields(ctx, flag_fields, FL_N + 1, in))
        return;
    const char *field = flags_refused(ctx, in, &why);
    if (field) {
        problem_send(ctx, 422, "validation", why, field);
        return;
    }
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "flags_write", purpose, &reason))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "flags_lock", 1, p, &old);
    if (st == DB_OK)
        st = PQntuples(old) == 1 ? write_flags(ctx, id, old, in) : DB_CONFLICT;
    PQclear(old);
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "flags_write", "{}", purpose, "allowed", reason);
    json_t *o = st == DB_OK ? rights_flags(ctx, id, &st) : NULL;
    if (o == NULL) {
        api_db_fail(ctx, st);
        return;
    }
    api_commit_send(ctx, 200, o);
}

/* ---- lifting a restriction ---- */

static const struct field_spec lift_fields[] = {
    {"reason", FT_TEXT, 1000, NULL, 0, 0, true, false},
};

/* POST /v1/persons/{id}/restriction/lift {reason}: a coordinator ends the restriction; the
 * lifting is recorded in the restriction history. */
void h_restriction_lift(struct http_ctx *ctx)
{
    static const char *const coordinators[] = {"coordinator", NULL};
    const char *in[1], *reason = NULL;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, coordinators) ||
        !api_fields(ctx, lift_fields, 1, in))
        return;
    if (validate_text_length(in[0]) < 10) {
        problem_send(ctx, 422, "validation", "must say why (at least 10 characters)", "reason");
        return;
    }
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "restriction_lift", purpose, &reason))
        return;
    const char *p[] = {id, in[0], ctx->request_id};
    enum db_status st = db_exec(ctx_db(ctx), "restriction_lift", 3, p, &r);
    bool lifted = st == DB_OK && atoi(PQgetvalue(r, 0, 0)) == 1;
    char *at = st == DB_OK ? arena_strdup(&ctx->arena, PQgetvalue(r, 0, 1)) : NULL;
    PQclear(r);
    if (st == DB_OK && lifted)
        st = api_audit(ctx, id, NULL, "restriction_lift", "{}", purpose, "allowed", reason);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!lifted) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 409, "conflict", "the person is not restricted", NULL);
    } else {
        api_commit_send(ctx, 200, json_pack("{s:s, s:b, s:s}", "id", id, "restricted", 0,
                                            "lifted_at", at ? at : ""));
    }
}

/* ---- GET /v1/retention/escalations: transfers with consent nearing their bound ---- */

static const struct api_col escalation_cols[] = {
    {"person_id", COL_TEXT}, {"deadline", COL_TEXT}, {"escalated_on", COL_TEXT},
};

/* The DPO (and the coordinators) of the controller: the consenting persons whose export for
 * the transfer was not made when the retention job escalated them; erased at the deadline
 * (crt_retention_due, migration 023). Ids and dates only; the read is logged. */
void h_retention_escalations(struct http_ctx *ctx)
{
    static const char *const overseers[] = {"dpo", "coordinator", NULL};
    static const char *const none[] = {NULL};
    const char *v[1];
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, overseers) || !api_query(ctx, none, v) ||
        !api_begin(ctx))
        return;
    PGresult *r = api_read_logged(ctx, "escalations_list", 0, NULL, NULL, "audit_read", purpose,
                                  "retention_escalations");
    if (r == NULL)
        return;
    json_t *o = json_pack("{s:o}", "items",
                          api_row_array(r, escalation_cols, API_NCOLS(escalation_cols)));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}
