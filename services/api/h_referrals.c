/* Referrals (staff refer a person to a partner for a purpose covered by an active grant of
 * their controller) and the list of partners with the caller's controller's grants. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define NOT_FOUND "no such person"
static const char *const referrers[] = {"intake", "caseworker", "coordinator", NULL};

static const struct field_spec referral_fields[] = {
    {"partner_id", FT_TEXT, 36, NULL, 0, 0, true, false},
    {"purpose", FT_TEXT, 64, NULL, 0, 0, true, false},
    /* was the person told of this referral (and so of the disclosures under it)? Those not
     * told are notified later (h_notices.c; VluchtelingenWerk 11.4, Xtra 11.2); absent: not */
    {"person_informed", FT_BOOL, 0, NULL, 0, 0, false, false},
};

void h_referral_create(struct http_ctx *ctx)
{
    const char *in[3], *reason = NULL;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_require_role(ctx, referrers) ||
        !api_fields(ctx, referral_fields, 3, in))
        return;
    if (in[2] == NULL)
        in[2] = "false";
    if (!validate_uuid(in[0])) {
        problem_send(ctx, 422, "validation", "must be a partner id (UUID)", "partner_id");
        return;
    }
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "referral_write", purpose, &reason) ||
        !rights_writable(ctx, id, "referral_write", purpose) ||
        !rights_no_objection(ctx, id, "referral_write", purpose, in[1]))
        return;
    const char *p[] = {id, in[0], in[1], in[2]};
    enum db_status st = db_exec(ctx_db(ctx), "referral_insert", 4, p, &r);
    if (st == DB_OK && PQntuples(r) == 0) {
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation",
                     "no active grant of your organisation lets this partner receive data for "
                     "this purpose",
                     "purpose");
        return;
    }
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "referral_write", "{}", purpose, "allowed", reason);
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", PQgetvalue(r, 0, 0), "person_id",
                          id, "partner_id", in[0], "purpose", in[1], "created_at",
                          PQgetvalue(r, 0, 1), "person_informed", strcmp(in[2], "true") == 0);
    PQclear(r);
    if (api_commit(ctx))
        http_send_json(ctx, 201, o);
    json_decref(o);
}

static json_t *referral_json(const PGresult *r, int i, unsigned mask)
{
    (void)mask;
    return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:b}", "id", PQgetvalue(r, i, 0),
                     "partner", "id", PQgetvalue(r, i, 1), "name", PQgetvalue(r, i, 2), "purpose",
                     PQgetvalue(r, i, 3), "created_at", PQgetvalue(r, i, 4), "ended_at",
                     api_text(r, i, 5), "person_informed", PQgetvalue(r, i, 6)[0] == 't');
}

void h_referrals_list(struct http_ctx *ctx)
{
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose && api_require_role(ctx, referrers))
        api_person_list(ctx, id, "referral_read", purpose, "referral_list", "{}", referral_json, 0);
}

void h_referral_end(struct http_ctx *ctx)
{
    if (api_require_role(ctx, referrers))
        api_person_end(ctx, "referral_write", "referral_end", "referral", "no such active referral");
}

/* Partners and the caller's controller's current grants (no personal data). */
void h_partners_list(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    if (!api_require_role(ctx, referrers) || !api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "partners_list", 0, NULL, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array(), *cur = NULL;
    for (int i = 0; items && i < PQntuples(r); i++) {
        if (cur == NULL || strcmp(json_string_value(json_object_get(cur, "id")), PQgetvalue(r, i, 0))) {
            cur = json_pack("{s:s, s:s, s:s, s:[]}", "id", PQgetvalue(r, i, 0), "name",
                            PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "grants");
            json_array_append_new(items, cur);
        }
        if (!PQgetisnull(r, i, 3))
            json_array_append_new(
                json_object_get(cur, "grants"),
                json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "id", PQgetvalue(r, i, 3), "purpose",
                          PQgetvalue(r, i, 4), "field_groups", json_loads(PQgetvalue(r, i, 5), 0, NULL),
                          "legal_basis", PQgetvalue(r, i, 6), "valid_from", PQgetvalue(r, i, 7),
                          "valid_to", PQgetvalue(r, i, 8)));
    }
    PQclear(r);
    json_t *o = json_pack("{s:o}", "items", items ? items : json_array());
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}
