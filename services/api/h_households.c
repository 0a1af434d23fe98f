/* Households: the family name of the household at one address, and its members (ids and OKI
 * numbers only). Logged as household_write / household_read. */
#include <string.h>

#include "api.h"
#include "crt/access.h"
#include "crt/person.h"

#define NOT_FOUND "no such household"

static const struct field_spec household_fields[] = {
    {"family_name", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"address_street", FT_TEXT, 200, NULL, 0, 0, false, false},
    {"address_number", FT_TEXT, 20, NULL, 0, 0, false, false},
    {"address_box", FT_TEXT, 20, NULL, 0, 0, false, false},
    {"address_postcode", FT_POSTCODE, 4, NULL, 0, 0, false, false},
    {"address_city", FT_TEXT, 100, NULL, 0, 0, false, false},
    {"source", FT_ENUM, 0, data_sources, 0, 0, true, false},
};
#define N_FIELDS (sizeof household_fields / sizeof household_fields[0])
static const char *const keys[] = {"family_name",  "address_street",   "address_number",
                                   "address_box",  "address_postcode", "address_city",
                                   "source",       NULL};

/* Household row (household_insert / household_read columns) plus members as JSON; the address
 * (columns 2-6) belongs to the contact group and is left out unless with_address. */
static json_t *household_json(const PGresult *h, const PGresult *members, bool with_address)
{
    json_t *o = json_object();
    static const char *const cols[] = {"id", "family_name", "address_street", "address_number",
                                       "address_box", "address_postcode", "address_city",
                                       "source", "created_at"};
    for (int c = 0; o && c < 9; c++)
        if (with_address || c < 2 || c > 6)
            json_object_set_new(o, cols[c], api_text(h, 0, c));
    json_t *m = json_array();
    for (int i = 0; m && members && i < PQntuples(members); i++)
        json_array_append_new(m, json_pack("{s:s, s:s}", "id", PQgetvalue(members, i, 0),
                                           "oki_number", PQgetvalue(members, i, 1)));
    json_object_set_new(o, "members", m ? m : json_array());
    return o;
}

void h_household_create(struct http_ctx *ctx)
{
    const char *unknown, *vals[N_FIELDS];
    PGresult *r = NULL;
    const char *purpose = api_purpose(ctx, "registration");
    if (purpose == NULL)
        return;
    unsigned want = 1u << FG_IDENTIFICATION;
    for (size_t i = 1; i <= 5; i++) /* the address fields */
        if (json_object_get(ctx->body, household_fields[i].name))
            want |= 1u << FG_CONTACT;
    const char *missing = access_missing_group(want, api_write_mask(ctx));
    if (missing) {
        api_deny(ctx, NULL, "household_write", purpose, "field_group_not_writable",
                 "your role may not write this field group", missing);
        return;
    }
    if (!json_only_keys(ctx->body, keys, &unknown)) {
        problem_send(ctx, 422, "validation", "is not a field of this request", unknown);
        return;
    }
    for (size_t i = 0; i < N_FIELDS; i++) {
        char buf[4 * 200 + 8];
        bool is_null;
        struct field_error err;
        json_t *v = json_object_get(ctx->body, household_fields[i].name);
        if (!field_check(&household_fields[i], v, buf, sizeof buf, &is_null, &err)) {
            api_invalid(ctx, &err);
            return;
        }
        vals[i] = is_null ? NULL : arena_strdup(&ctx->arena, buf);
    }
    if (!api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "household_insert", (int)N_FIELDS, vals, &r);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, PQgetvalue(r, 0, 0), "household_write",
                       want & (1u << FG_CONTACT) ? "{identification,contact}" : "{identification}",
                       purpose, "allowed", NULL);
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *o = household_json(r, NULL, api_read_mask(ctx) & (1u << FG_CONTACT));
    if (api_commit(ctx)) {
        char *loc = arena_printf(&ctx->arena, "/v1/households/%s", PQgetvalue(r, 0, 0));
        if (loc)
            evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Location", loc);
        http_send_json(ctx, 201, o);
    }
    json_decref(o);
    PQclear(r);
}

void h_household_get(struct http_ctx *ctx)
{
    PGresult *h = NULL, *m = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    if (!(api_read_mask(ctx) & (1u << FG_IDENTIFICATION))) {
        api_deny(ctx, NULL, "household_read", purpose, "role_has_no_access",
                 "your role does not read households", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    bool address = api_read_mask(ctx) & (1u << FG_CONTACT);
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "household_read", 1, p, &h);
    if (st == DB_OK && PQntuples(h) == 0) {
        PQclear(h);
        api_not_found_logged(ctx, NULL, id, "household_read", purpose, NOT_FOUND);
        return;
    }
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "household_members", 1, p, &m);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, id, "household_read",
                       address ? "{identification,contact}" : "{identification}", purpose,
                       "allowed", NULL);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else {
        json_t *o = household_json(h, m, address);
        if (api_commit(ctx))
            http_send_json(ctx, 200, o);
        json_decref(o);
    }
    PQclear(h);
    PQclear(m);
}
