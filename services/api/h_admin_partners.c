/* The administrator's partners, grants and controller settings (/v1/admin/partners, /grants,
 * /settings, /holidays): own controller only, each change a login event for the DPO. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/crypto.h"

static const char *const admins[] = {"admin", NULL};
static const char *const kinds[] = {"employment", "social_welfare", "education", "housing",
                                    "other", NULL};
static const char *const grant_groups[] = {"identification", "contact", "trajectory",
                                           "situation", "education", NULL};
static const char *const bases[] = {"status_end", "guidance_end", "last_contact", "registration",
                                    NULL};
#define NO_PARTNER "no such partner of your organisation"
#define NO_GRANT "no such grant of your organisation"

/* ^[a-z0-9][a-z0-9._-]{2,63}$, as partners.client_id requires. */
static bool client_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 64 || strchr("._-", s[0]))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* ^[a-z0-9_]{3,64}$, as partner_grants.purpose requires. */
static bool purpose_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 3 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* HH:MM, 00:00 to 23:59. */
static bool hhmm_ok(const char *s)
{
    return strlen(s) == 5 && s[2] == ':' && strspn(s, "0123456789:") == 5 &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24 && s[3] < '6';
}

static bool group_ok(const char *s) { return validate_one_of(s, grant_groups); }
static bool weekday_ok(const char *s) { return validate_int(s, 1, 7); }

/* Takes the array member name out of the body (so api_fields sees the rest) into a text[]
 * literal "{a,b}" of distinct members (strings, or integers as text) each passing ok; *out
 * NULL when absent or null. False after answering 422 naming the field. */
static bool body_list(struct http_ctx *ctx, const char *name, bool (*ok)(const char *),
                      bool required, const char **out)
{
    json_t *a = json_object_get(ctx->body, name), *v;
    size_t i, used = 1;
    char lit[256] = "{", item[32];
    *out = NULL;
    if (a == NULL || json_is_null(a)) {
        json_object_del(ctx->body, name);
        if (!required)
            return true;
        problem_send(ctx, 422, "validation", "is required", name);
        return false;
    }
    bool good = json_is_array(a) && json_array_size(a) >= 1 && json_array_size(a) <= 7;
    json_array_foreach(a, i, v)
    {
        if (!good)
            break;
        if (json_is_integer(v))
            snprintf(item, sizeof item, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v) && strlen(json_string_value(v)) < sizeof item)
            snprintf(item, sizeof item, "%s", json_string_value(v));
        else
            item[0] = '\0';
        for (size_t k = 0; good && k < i; k++)
            good = !json_equal(v, json_array_get(a, k));
        good = good && ok(item) && used + strlen(item) + 2 < sizeof lit;
        if (good)
            used += (size_t)snprintf(lit + used, sizeof lit - used, "%s%s", i ? "," : "", item);
    }
    if (!good) {
        problem_send(ctx, 422, "validation", "a non-empty list of distinct allowed values", name);
        return false;
    }
    snprintf(lit + used, sizeof lit - used, "}");
    *out = arena_strdup(&ctx->arena, lit);
    json_object_del(ctx->body, name);
    return true;
}

/* Commits and answers status with o (taken; NULL answers 500), or the failure st. */
static void finish(struct http_ctx *ctx, enum db_status st, int status, json_t *o)
{
    if (st != DB_OK) {
        json_decref(o);
        api_db_fail(ctx, st);
    } else {
        api_commit_send(ctx, status, o);
    }
}

/* Rolls back and answers 404 with what. */
static void not_found(struct http_ctx *ctx, const char *what)
{
    db_rollback(ctx_db(ctx));
    problem_send(ctx, 404, "not-found", what, NULL);
}

/* ---- partners ---- */

void h_admin_partners_list(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {
        {"id", COL_TEXT},           {"client_id", COL_TEXT},         {"name", COL_TEXT},
        {"kind", COL_TEXT},         {"own", COL_TEXT},               {"secret_version", COL_INT},
        {"secret_rotated_at", COL_TEXT}, {"revoked_at", COL_TEXT}, {"created_at", COL_TEXT}};
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || !api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "admin_partners", 0, NULL, &r);
    json_t *items = st == DB_OK ? api_row_array(r, cols, API_NCOLS(cols)) : NULL;
    for (size_t i = 0; items && i < json_array_size(items); i++)
        json_object_set_new(json_array_get(items, i), "own",
                            json_boolean(PQgetvalue(r, (int)i, 4)[0] == 't'));
    PQclear(r);
    finish(ctx, st, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

/* A new client secret (256 random bits, base64url) and its SHA-256; false on failure. */
static bool new_secret(char secret[64], char sha[65])
{
    if (!crypto_token(32, secret, 64))
        return false;
    crypto_sha256_hex(secret, strlen(secret), sha);
    return true;
}

static const struct field_spec partner_fields[] = {
    {"client_id", FT_TEXT, 64, NULL, 0, 0, true, false},
    {"name", FT_TEXT, 200, NULL, 0, 0, true, false},
    {"kind", FT_ENUM, 0, kinds, 0, 0, true, false},
};

/* POST /v1/admin/partners: the secret is in this answer only. */
void h_admin_partner_create(struct http_ctx *ctx)
{
    const char *in[3];
    char secret[64], sha[65];
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || !api_fields(ctx, partner_fields, 3, in))
        return;
    if (!client_id_ok(in[0])) {
        problem_send(ctx, 422, "validation",
                     "3 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit",
                     "client_id");
        return;
    }
    if (validate_text_length(in[1]) < 2) {
        problem_send(ctx, 422, "validation", "2 to 200 characters", "name");
        return;
    }
    if (!new_secret(secret, sha)) {
        problem_send(ctx, 500, "internal", "no random secret", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {in[0], in[1], in[2], sha};
    enum db_status st = db_exec(ctx_db(ctx), "admin_partner_create", 4, p, &r);
    const char *id = st == DB_OK ? arena_strdup(&ctx->arena, PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "partner_create", id);
    if (st == DB_CONFLICT) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 409, "conflict", "this client id is taken", "client_id");
    } else {
        finish(ctx, st, 201,
               json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", id ? id : "", "client_id", in[0],
                         "name", in[1], "kind", in[2], "client_secret", secret, "secret_version",
                         1));
    }
    OPENSSL_cleanse(secret, sizeof secret);
}

/* POST /v1/admin/partners/{id}/secret: a new secret; the old one and every token issued
 * under it stop at once (the version goes up). */
void h_admin_partner_secret(struct http_ctx *ctx)
{
    char secret[64], sha[65];
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NO_PARTNER);
    if (id == NULL)
        return;
    if (!new_secret(secret, sha)) {
        problem_send(ctx, 500, "internal", "no random secret", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {id, sha};
    enum db_status st = db_exec(ctx_db(ctx), "admin_partner_secret", 2, p, &r);
    bool found = st == DB_OK && !PQgetisnull(r, 0, 0);
    int version = found ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (st == DB_OK && !found) {
        not_found(ctx, NO_PARTNER);
    } else {
        if (st == DB_OK)
            st = admin_record(ctx, NULL, "partner_secret", id);
        finish(ctx, st, 200,
               json_pack("{s:s, s:s, s:i}", "id", id, "client_secret", secret, "secret_version",
                         version));
    }
    OPENSSL_cleanse(secret, sizeof secret);
}

/* POST /v1/admin/partners/{id}/revoke: no token any more, the controller's grants end. */
void h_admin_partner_revoke(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NO_PARTNER);
    if (id == NULL || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "admin_partner_revoke", 1, p, &r);
    bool found = st == DB_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (st == DB_OK && !found) {
        not_found(ctx, NO_PARTNER);
        return;
    }
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "partner_revoke", id);
    finish(ctx, st, 200, json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}

/* ---- grants ---- */

void h_admin_grants_list(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {
        {"id", COL_TEXT},          {"partner_id", COL_TEXT},  {"partner_name", COL_TEXT},
        {"client_id", COL_TEXT},   {"field_groups", COL_JSON}, {"purpose", COL_TEXT},
        {"legal_basis", COL_TEXT}, {"valid_from", COL_TEXT},  {"valid_to", COL_TEXT},
        {"ended_at", COL_TEXT},    {"disclosures", COL_INT},  {"state", COL_TEXT}};
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || !api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "admin_grants", 0, NULL, &r);
    json_t *items = st == DB_OK ? api_row_array(r, cols, API_NCOLS(cols)) : NULL;
    PQclear(r);
    finish(ctx, st, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

static const struct field_spec grant_fields[] = {
    {"partner_id", FT_TEXT, 36, NULL, 0, 0, true, false},
    {"purpose", FT_TEXT, 64, NULL, 0, 0, true, false},
    {"legal_basis", FT_TEXT, 300, NULL, 0, 0, true, false},
    {"valid_from", FT_DATE, 0, NULL, 0, 0, true, true},
    {"valid_to", FT_DATE, 0, NULL, 0, 0, true, true},
};

/* The checks of a grant's fields beyond their types: the field at fault, or NULL. */
static const char *grant_refusal(const char *const *in, const char **detail)
{
    if (!validate_uuid(in[0]))
        return *detail = NO_PARTNER, "partner_id";
    if (!purpose_ok(in[1]))
        return *detail = "3 to 64 of a-z, 0-9, '_'", "purpose";
    if (validate_text_length(in[2]) < 3)
        return *detail = "3 to 300 characters", "legal_basis";
    if (strcmp(in[4], in[3]) < 0)
        return *detail = "the last day cannot come before the first", "valid_to";
    return NULL;
}

/* POST /v1/admin/grants: to a partner of the installation or of the controller. */
void h_admin_grant_create(struct http_ctx *ctx)
{
    const char *in[5], *groups, *detail = NULL, *bad;
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || !body_list(ctx, "field_groups", group_ok, true, &groups) ||
        !api_fields(ctx, grant_fields, 5, in))
        return;
    if ((bad = grant_refusal(in, &detail)) != NULL) {
        problem_send(ctx, 422, "validation", detail, bad);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {in[0], groups, in[1], in[2], in[3], in[4]};
    enum db_status st = db_exec(ctx_db(ctx), "admin_grant_insert", 6, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    const char *id = found ? arena_strdup(&ctx->arena, PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    if (st == DB_OK && !found) { /* another controller's partner answers like an unknown one */
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", NO_PARTNER, "partner_id");
        return;
    }
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "grant_create", id);
    finish(ctx, st, 201, json_pack("{s:s, s:s}", "id", id ? id : "", "state", "created"));
}

/* POST /v1/admin/grants/{id}/end (ending an ended grant changes nothing). */
void h_admin_grant_end(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins))
        return;
    const char *id = api_path_uuid(ctx, "id", NO_GRANT);
    if (id == NULL || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "admin_grant_end", 1, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    const char *at = found ? arena_strdup(&ctx->arena, PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    if (st == DB_OK && !found) {
        not_found(ctx, NO_GRANT);
        return;
    }
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "grant_end", id);
    finish(ctx, st, 200, json_pack("{s:s, s:s?}", "id", id, "ended_at", at));
}

/* ---- the controller's settings ---- */

/* Reads the settings in the open transaction, commits and answers them (or the failure). */
static void settings_answer(struct http_ctx *ctx)
{
    static const struct api_col cols[] = {
        {"code", COL_TEXT},          {"name", COL_TEXT},     {"intake_window_days", COL_INT},
        {"break_glass_minutes", COL_INT}, {"work_start", COL_TEXT}, {"work_end", COL_TEXT},
        {"work_days", COL_JSON},     {"retention_basis", COL_TEXT},
        {"retention_months", COL_INT}, {"holidays", COL_JSON}};
    PGresult *r = NULL;
    enum db_status st = db_exec(ctx_db(ctx), "admin_settings", 0, NULL, &r);
    json_t *o = st == DB_OK && PQntuples(r) == 1 ? api_row_object(r, 0, cols, API_NCOLS(cols))
                                                 : NULL;
    PQclear(r);
    finish(ctx, st, 200, o);
}

void h_admin_settings(struct http_ctx *ctx)
{
    if (api_require_role(ctx, admins) && api_begin(ctx))
        settings_answer(ctx);
}

static const struct field_spec settings_fields[] = {
    {"intake_window_days", FT_INT, 0, NULL, 1, 365, false, false},
    {"break_glass_minutes", FT_INT, 0, NULL, 5, 720, false, false},
    {"work_start", FT_TEXT, 5, NULL, 0, 0, false, false},
    {"work_end", FT_TEXT, 5, NULL, 0, 0, false, false},
    {"retention_basis", FT_ENUM, 0, bases, 0, 0, false, false},
    {"retention_months", FT_INT, 0, NULL, 0, 360, false, false},
};
#define NSETTINGS 6

/* The settings' checks beyond their types (HH:MM, at least one given): false after 422. */
static bool settings_valid(struct http_ctx *ctx, const char *const *in, const char *days)
{
    for (int k = 2; k <= 3; k++)
        if (in[k] && !hhmm_ok(in[k])) {
            problem_send(ctx, 422, "validation", "a time of day as HH:MM", settings_fields[k].name);
            return false;
        }
    bool any = days != NULL;
    for (int k = 0; k < NSETTINGS; k++)
        any = any || in[k] != NULL;
    if (!any)
        problem_send(ctx, 422, "validation", "give at least one setting", "intake_window_days");
    return any;
}

/* PATCH /v1/admin/settings: the settings given change (one login event each); answers all. */
void h_admin_settings_update(struct http_ctx *ctx)
{
    const char *in[NSETTINGS], *days;
    if (!api_require_role(ctx, admins) || !body_list(ctx, "work_days", weekday_ok, false, &days) ||
        !api_fields(ctx, settings_fields, NSETTINGS, in) || !settings_valid(ctx, in, days) ||
        !api_begin(ctx))
        return;
    const char *p[] = {in[0], in[1], in[2], in[3], days, in[4], in[5]};
    enum db_status st = db_exec(ctx_db(ctx), "admin_settings_set", 7, p, NULL);
    if (st == DB_INVALID) { /* controllers_work_hours: the end after the start */
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", "the working day must end after it starts",
                     in[3] ? "work_end" : "work_start");
        return;
    }
    for (int k = 0; st == DB_OK && k < NSETTINGS; k++)
        if (in[k])
            st = admin_record(ctx, NULL, "settings_change", settings_fields[k].name);
    if (st == DB_OK && days)
        st = admin_record(ctx, NULL, "settings_change", "work_days");
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        settings_answer(ctx);
}

/* The {day} of the path as a date, or NULL after answering 404. */
static const char *path_day(struct http_ctx *ctx)
{
    const char *day = router_param(&ctx->match, "day");
    if (day && validate_date(day))
        return day;
    problem_send(ctx, 404, "not-found", "no such day", NULL);
    return NULL;
}

static const struct field_spec holiday_fields[] = {
    {"name", FT_TEXT, 100, NULL, 0, 0, true, false},
};

/* PUT /v1/admin/holidays/{day} {name}: adds or renames the holiday; answers the settings. */
void h_admin_holiday_set(struct http_ctx *ctx)
{
    const char *in[1], *day;
    if (!api_require_role(ctx, admins) || (day = path_day(ctx)) == NULL ||
        !api_fields(ctx, holiday_fields, 1, in) || !api_begin(ctx))
        return;
    const char *p[] = {day, in[0]};
    enum db_status st = db_exec(ctx_db(ctx), "admin_holiday_set", 2, p, NULL);
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "holiday_set", day);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        settings_answer(ctx);
}

/* DELETE /v1/admin/holidays/{day}: 404 when it is no holiday; answers the settings. */
void h_admin_holiday_remove(struct http_ctx *ctx)
{
    const char *day;
    PGresult *r = NULL;
    if (!api_require_role(ctx, admins) || (day = path_day(ctx)) == NULL || !api_begin(ctx))
        return;
    const char *p[] = {day};
    enum db_status st = db_exec(ctx_db(ctx), "admin_holiday_remove", 1, p, &r);
    bool found = st == DB_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (st == DB_OK && !found) {
        not_found(ctx, "no holiday on that day");
        return;
    }
    if (st == DB_OK)
        st = admin_record(ctx, NULL, "holiday_remove", day);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        settings_answer(ctx);
}
