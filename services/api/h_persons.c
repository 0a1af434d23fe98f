/* Person registration: create, read, search (name + birth date, OKI number), update with a
 * reason (each changed field recorded as a rectification), and the rectification history.
 * Every access writes its access-log rows in the same transaction, before the response. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/access.h"
#include "crt/audit.h"
#include "crt/person.h"

#define NOT_FOUND "no such person"

/* Sends row 0 of r (person columns from col0) as the person document, groups in mask only. */
static void send_person(struct http_ctx *ctx, int status, const PGresult *r, int col0,
                        unsigned mask)
{
    json_t *p = person_to_json(r, 0, col0, mask);
    if (p == NULL) {
        problem_send(ctx, 500, "internal", "the response could not be built", NULL);
        return;
    }
    http_send_json(ctx, status, p);
    json_decref(p);
}

/* The household must exist within the caller's controller (RLS); false after answering. */
static bool household_visible(struct http_ctx *ctx, const char *id)
{
    PGresult *r = NULL;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "household_exists", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    bool found = PQntuples(r) == 1;
    PQclear(r);
    if (!found) {
        struct field_error err = {"household_id", "no such household"};
        api_invalid(ctx, &err);
    }
    return found;
}

static unsigned groups_of(const struct person_input *in)
{
    unsigned m = 1u; /* identification: every write identifies the person */
    for (int g = 0; g < PERSON_NGROUPS; g++)
        if (in->group_present[g])
            m |= 1u << g;
    return m;
}

void h_person_create(struct http_ctx *ctx)
{
    struct person_input in;
    struct field_error err;
    PGresult *r = NULL;
    char *sources = NULL, ctl[16], groups[128];
    const char *purpose = api_purpose(ctx, "registration");
    if (purpose == NULL)
        return;
    if (!person_parse(ctx->body, true, &ctx->arena, &in, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    /* Registering is intake's and coordinators' work: others could not see what they made. */
    const char *missing = access_missing_group(groups_of(&in), api_write_mask(ctx));
    if (missing || (strcmp(ctx->who.role, "intake") != 0 && strcmp(ctx->who.role, "coordinator") != 0)) {
        api_deny(ctx, NULL, "create", purpose, "role_may_not_register",
                 missing ? "your role may not write this field group"
                         : "only intake staff and coordinators register persons",
                 missing);
        goto out;
    }
    sources = json_dumps(in.sources, JSON_COMPACT);
    snprintf(ctl, sizeof ctl, "%d", ctx->who.controller_id);
    const char *params[4 + PERSON_NFIELDS] = {ctl, ctx->who.user_id, in.household_id, sources};
    memcpy(params + 4, in.values, sizeof in.values);
    if (!api_begin(ctx) || (in.household_id && !household_visible(ctx, in.household_id)))
        goto out;
    enum db_status st = db_exec(ctx_db(ctx), "person_insert", 4 + PERSON_NFIELDS, params, &r);
    audit_groups_literal(groups_of(&in), person_groups, groups, sizeof groups);
    if (st == DB_OK)
        st = api_audit(ctx, PQgetvalue(r, 0, 0), in.household_id, "create", groups, purpose,
                       "allowed", "own_registration");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        goto out;
    }
    if (!api_commit(ctx))
        goto out;
    char *loc = arena_printf(&ctx->arena, "/v1/persons/%s", PQgetvalue(r, 0, 0));
    if (loc)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Location", loc);
    send_person(ctx, 201, r, 0, api_read_mask(ctx) & FG_PERSON_MASK);
out:
    PQclear(r);
    free(sources);
    person_input_free(&in);
}

void h_person_get(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *reason = NULL;
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    unsigned mask = api_read_mask(ctx) & FG_PERSON_MASK;
    if (mask == 0) {
        api_deny(ctx, id, "read", purpose, "role_has_no_access",
                 "your role does not read person records", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    const char *p[] = {id, groups, purpose, ctx->request_id};
    enum db_status st = db_exec(ctx_db(ctx), "person_read", 4, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    /* The statement logged the access (allowed, denied or not_found); answer once durable. */
    enum gate g = api_gate_decide(ctx, r, id, &reason);
    if (g != GATE_OK)
        api_gate_refuse(ctx, g, id, "read", purpose, true);
    else if (api_commit(ctx))
        send_person(ctx, 200, r, GATE_COLUMNS, mask);
    PQclear(r);
}

/* ---- search ---- */

struct search_query {
    const char *q, *birth_date, *oki_number;
};

/* Reads and validates the query string; false after answering 400 naming the parameter. */
static bool search_params(struct http_ctx *ctx, struct search_query *s)
{
    const char **keys, **vals;
    memset(s, 0, sizeof *s);
    if (!http_query(ctx, &keys, &vals)) {
        problem_send(ctx, 400, "validation", "the query string cannot be parsed", NULL);
        return false;
    }
    for (size_t i = 0; keys[i]; i++) {
        const char **slot = strcmp(keys[i], "q") == 0            ? &s->q
                            : strcmp(keys[i], "birth_date") == 0 ? &s->birth_date
                            : strcmp(keys[i], "oki_number") == 0 ? &s->oki_number
                                                                 : NULL;
        if (slot == NULL || *slot) {
            problem_send(ctx, 400, "validation",
                         slot ? "this parameter is given twice" : "unknown query parameter",
                         keys[i]);
            return false;
        }
        *slot = vals[i];
    }
    const char *field = NULL, *detail = NULL;
    if (s->oki_number && (s->q || s->birth_date))
        field = "oki_number", detail = "search either by oki_number or by q and birth_date";
    else if (s->oki_number && (strlen(s->oki_number) < 3 || strlen(s->oki_number) > 20))
        field = "oki_number", detail = "must be an OKI number such as OKI000100001";
    else if (!s->oki_number &&
             (!s->q || validate_text_length(s->q) < 2 || validate_text_length(s->q) > 100))
        field = "q", detail = "a name of 2 to 100 characters is required (with birth_date)";
    else if (!s->oki_number && (!s->birth_date || !validate_date(s->birth_date)))
        field = "birth_date", detail = "a birth date YYYY-MM-DD is required (with q)";
    if (field)
        problem_send(ctx, 400, "validation", detail, field);
    return field == NULL;
}

/* The search result, recognisable fields only, and the ids for the access log. */
static json_t *search_items(struct http_ctx *ctx, const PGresult *r, int n, const char **ids)
{
    json_t *items = json_array();
    for (int i = 0; items && i < n; i++) {
        ids[i] = PQgetvalue(r, i, 0);
        json_array_append_new(items, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "id",
                                               PQgetvalue(r, i, 0), "oki_number",
                                               PQgetvalue(r, i, 1), "identification",
                                               "first_name", PQgetvalue(r, i, 2), "last_name",
                                               PQgetvalue(r, i, 3), "birth_date",
                                               PQgetvalue(r, i, 4)));
    }
    (void)ctx;
    return items;
}

void h_person_search(struct http_ctx *ctx)
{
    struct search_query s;
    PGresult *r = NULL;
    json_t *items = NULL;
    const char *purpose = api_purpose(ctx, "duplicate_check");
    if (purpose == NULL || !search_params(ctx, &s))
        return;
    if (!(api_read_mask(ctx) & (1u << FG_IDENTIFICATION))) {
        api_deny(ctx, NULL, "search", purpose, "role_has_no_access",
                 "your role does not search person records", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *sp[] = {s.birth_date, s.q, s.oki_number};
    enum db_status st = db_exec(ctx_db(ctx), "person_search", 3, sp, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    int n = PQntuples(r) > 50 ? 50 : PQntuples(r);
    const char **ids = arena_alloc(&ctx->arena, (size_t)(n + 1) * sizeof *ids);
    items = ids ? search_items(ctx, r, n, ids) : NULL;
    char *idlist = ids ? db_array_literal(&ctx->arena, ids, (size_t)n) : NULL;
    const char *p[] = {idlist, "search", "{identification}", purpose,
                       s.oki_number ? "by_oki_number" : "by_name_birth_date", ctx->request_id};
    st = items && idlist ? db_exec(ctx_db(ctx), "audit_insert_many", 6, p, NULL) : DB_ERROR;
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:O, s:b}", "items", items, "truncated", PQntuples(r) > 50);
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
    json_decref(items);
    PQclear(r);
}

/* ---- update with rectification ---- */

/* Stored text of field i in row 0 of r, in the canonical form field_check produces. */
static const char *stored_value(const PGresult *r, int i)
{
    int col = PERSON_META_COLS + i;
    if (PQgetisnull(r, 0, col))
        return NULL;
    const char *v = PQgetvalue(r, 0, col);
    if (person_fields[i].spec.type == FT_BOOL)
        return v[0] == 't' ? "true" : "false";
    return v;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

struct changes {
    const char *field[PERSON_NFIELDS + 1], *old[PERSON_NFIELDS + 1], *new[PERSON_NFIELDS + 1];
    size_t n;
    unsigned groups;
};

/* Merges the input over the stored row into merged[]; lists what changed. */
static void diff(struct http_ctx *ctx, const PGresult *r, const struct person_input *in,
                 const char **merged, struct changes *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < PERSON_NFIELDS; i++) {
        const char *old = stored_value(r, i);
        merged[i] = in->present[i] ? in->values[i] : old;
        if (!in->present[i] || same(old, in->values[i]))
            continue;
        c->field[c->n] = arena_printf(&ctx->arena, "%s.%s", person_fields[i].group,
                                      person_fields[i].spec.name);
        c->old[c->n] = old;
        c->new[c->n++] = in->values[i];
        c->groups |= 1u << person_group_index(person_fields[i].group);
    }
    const char *old_h = PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
    merged[PERSON_NFIELDS] = in->household_present ? in->household_id : old_h;
    if (in->household_present && !same(old_h, in->household_id)) {
        c->field[c->n] = "household_id";
        c->old[c->n] = old_h;
        c->new[c->n++] = in->household_id;
        c->groups |= 1u; /* household is identification */
    }
}

/* Writes the update and its rectification rows; returns the new row in *out. */
static enum db_status write_update(struct http_ctx *ctx, const char *id,
                                   const struct person_input *in, const char **merged,
                                   const struct changes *c, PGresult **out)
{
    char *sources = json_dumps(in->sources, JSON_COMPACT);
    const char *params[3 + PERSON_NFIELDS] = {id, merged[PERSON_NFIELDS], sources};
    memcpy(params + 3, merged, PERSON_NFIELDS * sizeof *merged);
    enum db_status st = sources ? db_exec(ctx_db(ctx), "person_update", 3 + PERSON_NFIELDS,
                                          params, out)
                                : DB_ERROR;
    free(sources);
    if (st != DB_OK)
        return st;
    const char *rp[] = {id,
                        in->reason,
                        ctx->request_id,
                        db_array_literal(&ctx->arena, c->field, c->n),
                        db_array_literal(&ctx->arena, c->old, c->n),
                        db_array_literal(&ctx->arena, c->new, c->n)};
    if (!rp[3] || !rp[4] || !rp[5])
        return DB_ERROR;
    return db_exec(ctx_db(ctx), "rectification_insert", 6, rp, NULL);
}

void h_person_patch(struct http_ctx *ctx)
{
    struct person_input in;
    struct field_error err;
    struct changes c;
    PGresult *old = NULL, *upd = NULL;
    const char *merged[PERSON_NFIELDS + 1];
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "rectification") : NULL;
    if (purpose == NULL)
        return;
    if (!person_parse(ctx->body, false, &ctx->arena, &in, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    const char *reason = NULL;
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "update", purpose, &reason))
        goto out;
    const char *missing = access_missing_group(groups_of(&in), api_write_mask(ctx));
    if (missing) {
        api_deny(ctx, id, "update", purpose, "field_group_not_writable",
                 "your role may not write this field group", missing);
        goto out;
    }
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "person_lock", 1, p, &old);
    if (st != DB_OK || PQntuples(old) != 1) {
        api_db_fail(ctx, st == DB_OK ? DB_CONFLICT : st);
        goto out;
    }
    diff(ctx, old, &in, merged, &c);
    if (!person_consistent(merged, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    if (in.household_id && !same(in.household_id, PQgetisnull(old, 0, 2) ? NULL : PQgetvalue(old, 0, 2)) &&
        !household_visible(ctx, in.household_id))
        goto out;
    if (c.n > 0)
        st = write_update(ctx, id, &in, merged, &c, &upd);
    audit_groups_literal(c.groups, person_groups, groups, sizeof groups);
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "update", groups, purpose, "allowed", reason);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        goto out;
    }
    if (api_commit(ctx))
        send_person(ctx, 200, upd ? upd : old, 0, api_read_mask(ctx) & FG_PERSON_MASK);
out:
    PQclear(old);
    PQclear(upd);
    person_input_free(&in);
}

/* A rectified field ("group.name" or "household_id") whose group the caller may read. */
static bool readable_field(const char *field, unsigned mask)
{
    const char *dot = strchr(field, '.');
    char group[32];
    if (dot == NULL)
        return mask & (1u << FG_IDENTIFICATION);
    snprintf(group, sizeof group, "%.*s", (int)(dot - field), field);
    int g = field_group_index(group);
    return g >= 0 && (mask & (1u << g));
}

void h_person_rectifications(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL || !api_begin(ctx))
        return;
    const char *reason = NULL;
    unsigned mask = api_read_mask(ctx) & FG_PERSON_MASK;
    char groups[128];
    if (!api_person_gate(ctx, id, "history_read", purpose, &reason))
        return;
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "rectification_list", 1, p, &r);
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "history_read", groups, purpose, "allowed", reason);
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < PQntuples(r); i++)
        if (readable_field(PQgetvalue(r, i, 0), mask))
            json_array_append_new(
            items, json_pack("{s:s, s:o, s:o, s:s, s:{s:s, s:s}, s:s, s:s}", "field",
                             PQgetvalue(r, i, 0),
                             "old_value", PQgetisnull(r, i, 1) ? json_null() : json_string(PQgetvalue(r, i, 1)),
                             "new_value", PQgetisnull(r, i, 2) ? json_null() : json_string(PQgetvalue(r, i, 2)),
                             "reason", PQgetvalue(r, i, 3), "changed_by", "id",
                             PQgetvalue(r, i, 4), "username", PQgetvalue(r, i, 5), "changed_at",
                             PQgetvalue(r, i, 6), "request_id", PQgetvalue(r, i, 7)));
    PQclear(r);
    if (api_commit(ctx)) {
        json_t *o = json_pack("{s:o}", "items", items);
        http_send_json(ctx, 200, o);
        json_decref(o);
    } else {
        json_decref(items);
    }
}
