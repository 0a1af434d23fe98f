/* Trajectory entries of a person: intakes, information sessions, social orientation, the NT2
 * offer and test results. Details are validated per kind; logged as trajectory_read/_write. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/access.h"
#include "crt/audit.h"
#include "crt/person.h"

#define NOT_FOUND "no such person"

static const char *const kinds[] = {"intake", "info_session", "social_orientation", "nt2_offer",
                                    "test_result", NULL};
static const char *const nt2_levels[] = {"alfa", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4",
                                         "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", NULL};
static const char *const tests[] = {"latin_script", "cognitive_skills", "nt2_placement",
                                    "other", NULL};

/* The details each kind may carry (data minimisation: no free-text notes). */
static const struct field_spec intake_d[] = {
    {"location", FT_TEXT, 100, NULL, 0, 0, false, false},
    {"contact_language", FT_TEXT, 35, NULL, 0, 0, false, false},
    {"interpreter_used", FT_BOOL, 0, NULL, 0, 0, false, false}, {0}};
static const struct field_spec session_d[] = {
    {"topic", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"attended", FT_BOOL, 0, NULL, 0, 0, false, false}, {0}};
static const struct field_spec orientation_d[] = {
    {"module", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"hours", FT_INT, 0, NULL, 0, 200, false, false},
    {"completed", FT_BOOL, 0, NULL, 0, 0, false, false}, {0}};
static const struct field_spec nt2_d[] = {
    {"provider", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"level", FT_ENUM, 0, nt2_levels, 0, 0, false, false},
    {"course", FT_TEXT, 100, NULL, 0, 0, false, false},
    {"start_date", FT_DATE, 0, NULL, 0, 0, false, true}, {0}};
static const struct field_spec test_d[] = {
    {"test", FT_ENUM, 0, tests, 0, 0, true, false},
    {"result", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"score", FT_INT, 0, NULL, 0, 1000, false, false}, {0}};
static const struct field_spec *const details_of[] = {intake_d, session_d, orientation_d, nt2_d,
                                                      test_d};

static const struct field_spec entry_fields[] = {
    {"kind", FT_ENUM, 0, kinds, 0, 0, true, false},
    {"occurred_on", FT_DATE, 0, NULL, 0, 0, true, false},
    {"source", FT_ENUM, 0, data_sources, 0, 0, true, false},
};
static const char *const entry_keys[] = {"kind", "occurred_on", "source", "details", NULL};

static json_t *entry_json(const PGresult *r, int i)
{
    json_t *details = json_loads(PQgetvalue(r, i, 3), 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id", PQgetvalue(r, i, 0), "kind",
                     PQgetvalue(r, i, 1), "occurred_on", PQgetvalue(r, i, 2), "details",
                     details ? details : json_object(), "source", PQgetvalue(r, i, 4),
                     "created_by", PQgetvalue(r, i, 5), "created_at", PQgetvalue(r, i, 6));
}

/* Validates details against the kind's fields; returns a new object with canonical values. */
static json_t *check_details(struct http_ctx *ctx, int kind, json_t *in, struct field_error *err)
{
    const struct field_spec *spec = details_of[kind];
    json_t *out = json_object();
    if (json_is_null(in))
        in = NULL;
    if (in && !json_is_object(in)) {
        *err = (struct field_error){"details", "must be an object"};
        goto fail;
    }
    const char *key;
    json_t *val;
    json_object_foreach(in, key, val)
    {
        const struct field_spec *f = spec;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (f->name == NULL) {
            *err = (struct field_error){arena_printf(&ctx->arena, "details.%s", key),
                                        "is not a detail of this kind of entry"};
            goto fail;
        }
    }
    for (const struct field_spec *f = spec; f->name; f++) {
        char buf[4 * 100 + 8];
        bool is_null;
        json_t *v = json_object_get(in, f->name);
        if (!field_check(f, v, buf, sizeof buf, &is_null, err)) {
            err->field = arena_printf(&ctx->arena, "details.%s", f->name);
            goto fail;
        }
        if (!is_null)
            json_object_set(out, f->name, v);
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* The field group of an entry: test results are education data, the rest trajectory. */
static int group_of_kind(const char *kind)
{
    return strcmp(kind, "test_result") == 0 ? FG_EDUCATION : FG_TRAJECTORY;
}

/* An entry, when its group (trajectory, or education for test results) is readable. */
static json_t *readable_entry(const PGresult *r, int i, unsigned mask)
{
    return mask & (1u << group_of_kind(PQgetvalue(r, i, 1))) ? entry_json(r, i) : NULL;
}

void h_trajectory_list(struct http_ctx *ctx)
{
    char groups[64];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    unsigned mask = api_read_mask(ctx) & ((1u << FG_TRAJECTORY) | (1u << FG_EDUCATION));
    if (mask == 0) {
        api_deny(ctx, id, "trajectory_read", purpose, "role_has_no_access",
                 "your role reads neither trajectory nor education data", NULL);
        return;
    }
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    api_person_list(ctx, id, "trajectory_read", purpose, "trajectory_list", groups,
                    readable_entry, mask);
}

void h_trajectory_add(struct http_ctx *ctx)
{
    const char *unknown, *vals[3];
    struct field_error err;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    if (!json_only_keys(ctx->body, entry_keys, &unknown)) {
        problem_send(ctx, 422, "validation", "is not a field of this request", unknown);
        return;
    }
    for (int i = 0; i < 3; i++) {
        char buf[64];
        bool is_null;
        if (!field_check(&entry_fields[i], json_object_get(ctx->body, entry_fields[i].name), buf,
                         sizeof buf, &is_null, &err)) {
            api_invalid(ctx, &err);
            return;
        }
        vals[i] = arena_strdup(&ctx->arena, buf);
    }
    int kind = 0;
    while (strcmp(kinds[kind], vals[0]) != 0)
        kind++;
    json_t *details = check_details(ctx, kind, json_object_get(ctx->body, "details"), &err);
    if (details == NULL) {
        api_invalid(ctx, &err);
        return;
    }
    char *dtext = json_dumps(details, JSON_COMPACT);
    json_decref(details);
    int fg = group_of_kind(vals[0]);
    const char *group = fg == FG_EDUCATION ? "{education}" : "{trajectory}", *reason = NULL;
    const char *p[] = {id, vals[0], vals[1], dtext, vals[2]};
    if (dtext && !(api_write_mask(ctx) & (1u << fg))) {
        api_deny(ctx, id, "trajectory_write", purpose, "field_group_not_writable",
                 "your role may not write this field group", field_group_names[fg]);
    } else if (dtext && api_begin(ctx) &&
               api_person_gate(ctx, id, "trajectory_write", purpose, &reason) &&
               rights_writable(ctx, id, "trajectory_write", purpose)) {
        enum db_status st = db_exec(ctx_db(ctx), "trajectory_insert", 5, p, &r);
        if (st == DB_OK)
            st = api_audit(ctx, id, NULL, "trajectory_write", group, purpose, "allowed", reason);
        if (st != DB_OK)
            api_db_fail(ctx, st);
        else if (api_commit(ctx)) {
            json_t *o = entry_json(r, 0);
            http_send_json(ctx, 201, o);
            json_decref(o);
        }
    } else if (!dtext) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
    }
    free(dtext);
    PQclear(r);
}
