/* What several handlers share about the rights of the person: the flags, retention date and
 * restriction history of a person, and the queue of correction notifications to partners. */
#include "api.h"

static const struct api_col flag_cols[] = {
    {"under_guardianship", COL_JSON}, {"legal_hold", COL_TEXT},
    {"transfer_consent_at", COL_TEXT}, {"guidance_ended_on", COL_TEXT},
    {"restricted_at", COL_TEXT},      {"export_marked_at", COL_TEXT},
    {"exported_at", COL_TEXT},        {"protected_at", COL_TEXT},
};
static const struct api_col retention_cols[] = {
    {"basis", COL_TEXT}, {"period", COL_TEXT}, {"basis_date", COL_TEXT}, {"retention_date", COL_TEXT},
};
static const struct api_col restriction_cols[] = {
    {"request_number", COL_INT}, {"started_at", COL_TEXT}, {"lifted_at", COL_TEXT},
    {"lift_reason", COL_TEXT},
};

json_t *rights_flags(struct http_ctx *ctx, const char *person_id, enum db_status *st)
{
    PGresult *f = NULL, *x = NULL;
    const char *p[] = {person_id};
    json_t *o = NULL;
    *st = db_exec(ctx_db(ctx), "flags_read", 1, p, &f);
    if (*st == DB_OK)
        *st = db_exec(ctx_db(ctx), "restrictions_list", 1, p, &x);
    if (*st == DB_OK && PQntuples(f) == 1) {
        o = api_row_object(f, 0, flag_cols, API_NCOLS(flag_cols));
        /* the retention columns follow the flags in flags_read */
        json_t *ret = json_object();
        for (int c = 0; o && ret && c < API_NCOLS(retention_cols); c++)
            json_object_set_new(ret, retention_cols[c].name,
                                api_text(f, 0, API_NCOLS(flag_cols) + c));
        json_object_set_new(o, "retention", ret ? ret : json_null());
        json_object_set_new(o, "restrictions",
                            api_row_array(x, restriction_cols, API_NCOLS(restriction_cols)));
    } else if (*st == DB_OK) {
        *st = DB_ERROR;
    }
    PQclear(f);
    PQclear(x);
    return o;
}

enum db_status corrections_list(struct http_ctx *ctx, const char *stmt, int n,
                                const char *const *params, json_t **partners)
{
    PGresult *r = NULL;
    enum db_status st = db_exec(ctx_db(ctx), stmt, n, params, &r);
    json_t *a = json_array();
    for (int i = 0; st == DB_OK && a && i < PQntuples(r); i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "partner_id", PQgetvalue(r, i, 0),
                                           "name", PQgetvalue(r, i, 1), "field_groups",
                                           json_loads(PQgetvalue(r, i, 2), 0, NULL)));
    PQclear(r);
    if (st == DB_OK && a == NULL)
        st = DB_ERROR;
    if (st != DB_OK) {
        json_decref(a);
        a = NULL;
    }
    *partners = a;
    return st;
}

enum db_status corrections_queue(struct http_ctx *ctx, const char *person_id, const char *kind,
                                 const char *groups, const char *fields, json_t **partners)
{
    const char *p[] = {person_id, groups, fields, ctx->request_id, kind};
    return corrections_list(ctx, "corrections_queue", 5, p, partners);
}

/* ---- the rules of issue 15: the national-number basis, a granted objection ---- */

bool rights_nn_basis(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    enum db_status st = db_exec(ctx_db(ctx), "nn_basis", 0, NULL, &r);
    bool ok = st == DB_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!ok) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation",
                     "your organisation has no recorded legal basis for national register "
                     "numbers: leave the number out",
                     "sensitive.national_number");
    }
    return ok;
}

bool rights_no_objection(struct http_ctx *ctx, const char *person_id, const char *action,
                         const char *purpose, const char *grant_purpose)
{
    PGresult *r = NULL;
    const char *p[] = {person_id, grant_purpose, "true"};
    enum db_status st = db_exec(ctx_db(ctx), "objection_covers", 3, p, &r);
    bool objected = st == DB_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (objected)
        api_deny(ctx, person_id, action, purpose, "objection",
                 "the person objected to disclosures to partners for this purpose and the "
                 "objection was granted (GDPR art. 21)",
                 "purpose");
    return st == DB_OK && !objected;
}
