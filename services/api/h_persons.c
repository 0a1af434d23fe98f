/* Person registration: create, read, search (name + birth date, OKI number), update with a
 * reason (each changed field recorded as a rectification), and the rectification history.
 * Every access writes its access-log rows in the same transaction, before the response. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/access.h"
#include "crt/audit.h"
#include "crt/log.h"
#include "crt/person.h"

#define NOT_FOUND "no such person"

/* ---- the sensitive group: the national register number (sealed.c seals and indexes it) ---- */

/* Body "sensitive": {"national_number": "…" | null}. *present when given; *nn the 11 digits or
 * NULL (clear). False after answering 422. */
static bool parse_sensitive(struct http_ctx *ctx, bool *present, const char **nn)
{
    static const char *const keys[] = {"national_number", NULL};
    json_t *s = json_object_get(ctx->body, "sensitive"), *v;
    const char *unknown;
    *present = false;
    *nn = NULL;
    if (s == NULL)
        return true;
    if (!json_is_object(s) || !json_only_keys(s, keys, &unknown)) {
        problem_send(ctx, 422, "validation", "only national_number belongs to this group",
                     json_is_object(s) ? arena_printf(&ctx->arena, "sensitive.%s", unknown) : "sensitive");
        return false;
    }
    v = json_object_get(s, "national_number");
    *present = v != NULL;
    if (v == NULL || json_is_null(v))
        return true;
    char *digits = arena_alloc(&ctx->arena, 12);
    if (!json_is_string(v) || !digits || !person_national_number(json_string_value(v), digits)) {
        problem_send(ctx, 422, "validation",
                     "must be a Belgian national register number with valid check digits",
                     "sensitive.national_number");
        return false;
    }
    *nn = digits;
    return true;
}

struct indexes {
    char name[65], nn[65];
    bool has_nn;
    char old_name[65], old_nn[65]; /* under the previous index key, while a re-index runs */
    bool has_old;
};

/* During a blind-index rotation the duplicate check also looks for rows still indexed under
 * the previous key (the re-index has not reached them yet). */
static bool old_indexes(struct http_ctx *ctx, const char *first, const char *last,
                        const char *birth, const char *nn, struct indexes *ix)
{
    ix->has_old = api_index_rotating(ctx);
    return !ix->has_old ||
           (api_name_index_with(ctx, 1, first, last, birth, ix->old_name) &&
            (nn == NULL || api_nn_index_with(ctx, 1, nn, ix->old_nn)));
}

/* Writes the name + birth date index from values, and the sealed number with its index when
 * the body gave one (nn NULL clears it). */
static enum db_status write_indexes(struct http_ctx *ctx, const char *id,
                                    const char *const *values, bool nn_present, const char *nn,
                                    struct indexes *ix)
{
    int first = 1, last = 2, birth = 4; /* positions in person_fields */
    if (!api_name_index(ctx, values[first], values[last], values[birth], ix->name) ||
        !old_indexes(ctx, values[first], values[last], values[birth], nn_present ? nn : NULL, ix))
        return DB_ERROR;
    const char *p[] = {id, ix->name, api_index_key_id(ctx)};
    enum db_status st = db_exec(ctx_db(ctx), "person_name_index", 3, p, NULL);
    ix->has_nn = nn != NULL;
    if (st != DB_OK || !nn_present)
        return st;
    char hex[API_NN_SEALED_HEX], key_id[CRYPTO_KEY_ID_MAX];
    if (nn && (!api_nn_seal(ctx, id, nn, hex, key_id) || !api_nn_index(ctx, nn, ix->nn)))
        return DB_ERROR;
    const char *q[] = {id, nn ? hex : NULL, nn ? key_id : NULL, nn ? ix->nn : NULL,
                       api_index_key_id(ctx)};
    return db_exec(ctx_db(ctx), "person_nn_set", 5, q, NULL);
}

/* Where else this person is registered (other controllers: code and what matched). */
static json_t *elsewhere(struct http_ctx *ctx, const struct indexes *ix, enum db_status *st)
{
    PGresult *r = NULL;
    const char *p[] = {ix->has_nn ? ix->nn : NULL, ix->name,
                       ix->has_old && ix->has_nn ? ix->old_nn : NULL,
                       ix->has_old ? ix->old_name : NULL};
    json_t *a = json_array();
    *st = db_exec(ctx_db(ctx), "person_duplicates", 4, p, &r);
    for (int i = 0; *st == DB_OK && a && i < PQntuples(r); i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "controller", PQgetvalue(r, i, 0),
                                           "matched_on", PQgetvalue(r, i, 1)));
    PQclear(r);
    return a;
}

/* Sends row 0 of r (person columns from col0) as the person document, groups in mask only;
 * with "notified_partners" when notified is not NULL (borrowed), with "access_reason" (why the
 * caller may see the person) when given. */
static void send_person(struct http_ctx *ctx, int status, const PGresult *r, int col0,
                        unsigned mask, json_t *notified, const char *access_reason)
{
    json_t *p = person_to_json(r, 0, col0, mask & FG_PERSON_MASK);
    if (p && access_reason)
        json_object_set_new(p, "access_reason", json_string(access_reason));
    if (p && (mask & (1u << FG_SENSITIVE)))
        json_object_set_new(p, "sensitive",
                            json_pack("{s:o}", "national_number", api_national_number(ctx, r, col0)));
    if (p && notified)
        json_object_set(p, "notified_partners", notified);
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

/* The groups an update body touches (the household link is identification). */
static unsigned groups_touched(const struct person_input *in)
{
    unsigned m = in->household_present ? 1u << FG_IDENTIFICATION : 0;
    for (int i = 0; i < PERSON_NFIELDS; i++)
        if (in->present[i])
            m |= 1u << person_group_index(person_fields[i].group);
    return m;
}

/* A registration always writes identification (the required names and birth date). */
static unsigned groups_of(const struct person_input *in)
{
    return groups_touched(in) | 1u << FG_IDENTIFICATION;
}

void h_person_create(struct http_ctx *ctx)
{
    struct person_input in = {0};
    struct field_error err;
    struct indexes ix = {0};
    PGresult *r = NULL;
    json_t *doc = NULL, *dups = NULL;
    char *sources = NULL, ctl[16], groups[128];
    const char *nn = NULL;
    bool nn_present = false;
    const char *purpose = api_purpose(ctx, "registration");
    if (purpose == NULL)
        return;
    if (!person_parse(ctx->body, true, &ctx->arena, &in, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    if (!parse_sensitive(ctx, &nn_present, &nn))
        goto out;
    /* Registering is intake's and coordinators' work: others could not see what they made. */
    unsigned want = groups_of(&in) | (nn_present ? 1u << FG_SENSITIVE : 0);
    const char *missing = access_missing_group(want, api_write_mask(ctx));
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
    if (!api_begin(ctx) || (in.household_id && !household_visible(ctx, in.household_id)) ||
        (nn && !rights_nn_basis(ctx)))
        goto out;
    enum db_status st = db_exec(ctx_db(ctx), "person_insert", 4 + PERSON_NFIELDS, params, &r);
    const char *id = st == DB_OK ? PQgetvalue(r, 0, 0) : NULL;
    audit_groups_literal(want, field_group_names, groups, sizeof groups);
    if (st == DB_OK)
        st = write_indexes(ctx, id, in.values, nn_present, nn, &ix);
    if (st == DB_OK)
        dups = elsewhere(ctx, &ix, &st);
    if (st == DB_OK)
        st = api_audit(ctx, id, in.household_id, "create", groups, purpose, "allowed",
                       "own_registration");
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        goto out;
    }
    unsigned mask = api_read_mask(ctx);
    doc = person_to_json(r, 0, 0, mask & FG_PERSON_MASK);
    if (doc && (mask & (1u << FG_SENSITIVE)))
        json_object_set_new(doc, "sensitive", json_pack("{s:o}", "national_number",
                                                        nn ? json_string(nn) : json_null()));
    /* Registered elsewhere too: only where and on what it matched, nothing of theirs. */
    if (doc)
        json_object_set(doc, "elsewhere", dups);
    if (doc == NULL || !api_commit(ctx)) {
        if (doc == NULL)
            api_db_fail(ctx, DB_ERROR);
        goto out;
    }
    char *loc = arena_printf(&ctx->arena, "/v1/persons/%s", id);
    if (loc)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Location", loc);
    http_send_json(ctx, 201, doc);
out:
    json_decref(doc);
    json_decref(dups);
    PQclear(r);
    free(sources);
    person_input_free(&in);
}

/* POST /v1/persons/duplicate-check: before registering, whether this person is registered
 * at another controller (national number, or normalised name + birth date). */
static const struct field_spec dup_fields[] = {
    {"first_name", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"last_name", FT_TEXT, 100, NULL, 0, 0, true, false},
    {"birth_date", FT_DATE, 0, NULL, 0, 0, true, false},
    {"national_number", FT_TEXT, 20, NULL, 0, 0, false, false},
};

void h_person_duplicate_check(struct http_ctx *ctx)
{
    const char *in[4];
    struct indexes ix = {0};
    char digits[12];
    enum db_status st;
    const char *purpose = api_purpose(ctx, "duplicate_check");
    if (purpose == NULL || !api_fields(ctx, dup_fields, 4, in))
        return;
    if (in[3] && !person_national_number(in[3], digits)) {
        problem_send(ctx, 422, "validation",
                     "must be a Belgian national register number with valid check digits",
                     "national_number");
        return;
    }
    if (strcmp(ctx->who.role, "intake") != 0 && strcmp(ctx->who.role, "coordinator") != 0) {
        api_deny(ctx, NULL, "duplicate_check", purpose, "role_may_not_register",
                 "only intake staff and coordinators register persons", NULL);
        return;
    }
    ix.has_nn = in[3] != NULL;
    if (!api_name_index(ctx, in[0], in[1], in[2], ix.name) ||
        (ix.has_nn && !api_nn_index(ctx, digits, ix.nn)) ||
        !old_indexes(ctx, in[0], in[1], in[2], ix.has_nn ? digits : NULL, &ix)) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        return;
    }
    if (!api_begin(ctx))
        return;
    json_t *dups = elsewhere(ctx, &ix, &st);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, NULL, "duplicate_check", "{identification}", purpose, "allowed",
                       NULL);
    if (st != DB_OK) {
        json_decref(dups);
        api_db_fail(ctx, st);
        return;
    }
    json_t *o = json_pack("{s:o}", "elsewhere", dups);
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}

/* POST /v1/persons/{id}/transfer: a coordinator moves the person to another controller. */
static const struct field_spec transfer_fields[] = {
    {"to_controller", FT_TEXT, 32, NULL, 0, 0, true, false},
    {"reason", FT_TEXT, 500, NULL, 0, 0, true, false},
};

void h_person_transfer(struct http_ctx *ctx)
{
    static const char *const coordinators[] = {"coordinator", NULL};
    const char *in[2], *reason = NULL;
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "registration") : NULL;
    if (purpose == NULL || !api_require_role(ctx, coordinators) ||
        !api_fields(ctx, transfer_fields, 2, in))
        return;
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "transfer_out", purpose, &reason))
        return;
    const char *p[] = {id, in[0], in[1], ctx->request_id, purpose};
    enum db_status st = db_exec(ctx_db(ctx), "person_transfer", 5, p, &r);
    bool moved = st == DB_OK && !PQgetisnull(r, 0, 0);
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!moved) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", "not another controller's code (agii, huis, atlas, ingent)",
                     "to_controller");
    } else if (api_commit(ctx)) {
        json_t *o = json_pack("{s:s, s:s}", "id", id, "controller", in[0]);
        http_send_json(ctx, 200, o);
        json_decref(o);
    }
}

/* What the answer of a person read needs once its transaction has committed. */
struct person_read {
    const char *id, *purpose;
    unsigned mask;
};

/* The read's transaction has ended (batch.c): the statement logged the access (allowed, denied
 * or not_found) and COMMIT has returned, so the answer may go out. */
static void person_read_done(struct http_ctx *ctx, enum db_status st, PGresult *r, PGresult *r2,
                             void *arg)
{
    (void)r2;
    struct person_read *pr = arg;
    const char *reason = NULL;
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    /* The statement logged the access (allowed, denied or not_found) and is committed. A granted
     * objection covering the purpose was logged denied (reason objection). */
    enum gate g = PQgetvalue(r, 0, GATE_COLUMNS + PERSON_COLS)[0] == 't'
                      ? GATE_OBJECTED
                      : api_gate_decide(ctx, r, pr->id, &reason);
    if (g == GATE_OK)
        send_person(ctx, 200, r, GATE_COLUMNS, pr->mask, NULL, reason);
    else
        api_gate_committed(ctx, g, pr->id, "read", pr->purpose);
    PQclear(r);
}

void h_person_get(struct http_ctx *ctx)
{
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    unsigned mask = api_read_mask(ctx) & (FG_PERSON_MASK | (1u << FG_SENSITIVE));
    if ((mask & FG_PERSON_MASK) == 0) {
        api_deny(ctx, id, "read", purpose, "role_has_no_access",
                 "your role does not read person records", NULL);
        return;
    }
    struct person_read *pr = arena_alloc(&ctx->arena, sizeof *pr);
    if (pr == NULL) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        return;
    }
    *pr = (struct person_read){id, purpose, mask};
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    const char *p[] = {id, groups, purpose, ctx->request_id};
    if (!batch_read_logged(ctx, "person_read", 4, p, NULL, person_read_done, pr))
        return; /* answered 500 */
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

#define SEARCH_MAX 50 /* rows answered (and logged) of a search */

/* The search result, recognisable fields only. */
static json_t *search_items(const PGresult *r, int n)
{
    json_t *items = json_array();
    for (int i = 0; items && i < n; i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "id",
                                               PQgetvalue(r, i, 0), "oki_number",
                                               PQgetvalue(r, i, 1), "identification",
                                               "first_name", PQgetvalue(r, i, 2), "last_name",
                                               PQgetvalue(r, i, 3), "birth_date",
                                               PQgetvalue(r, i, 4)));
    return items;
}

struct search {
    const char *purpose, *how;
};

/* In the search's transaction, once its rows are known: one access-log row per person found. */
static bool search_log(struct http_ctx *ctx, const PGresult *r, void *arg, struct batch_stmt *next)
{
    struct search *s = arg;
    int n = PQntuples(r) > SEARCH_MAX ? SEARCH_MAX : PQntuples(r);
    const char **ids = arena_alloc(&ctx->arena, (size_t)(n + 1) * sizeof *ids);
    for (int i = 0; ids && i < n; i++)
        ids[i] = arena_strdup(&ctx->arena, PQgetvalue(r, i, 0));
    char *idlist = ids ? db_array_literal(&ctx->arena, ids, (size_t)n) : NULL;
    *next = (struct batch_stmt){"audit_insert_many", 6,
                                {idlist, "search", "{identification}", s->purpose, s->how,
                                 ctx->request_id}};
    return idlist != NULL;
}

/* The search and its log rows have committed: the answer. */
static void search_done(struct http_ctx *ctx, enum db_status st, PGresult *r, PGresult *r2,
                        void *arg)
{
    (void)arg;
    PQclear(r2);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    int n = PQntuples(r) > SEARCH_MAX ? SEARCH_MAX : PQntuples(r);
    json_t *o = json_pack("{s:o, s:b}", "items", search_items(r, n), "truncated",
                          PQntuples(r) > SEARCH_MAX);
    http_send_json(ctx, 200, o); /* NULL: 500 */
    json_decref(o);
    PQclear(r);
}

void h_person_search(struct http_ctx *ctx)
{
    struct search_query q;
    const char *purpose = api_purpose(ctx, "duplicate_check");
    if (purpose == NULL || !search_params(ctx, &q))
        return;
    if (!api_may_search(ctx, purpose))
        return;
    struct search *s = arena_alloc(&ctx->arena, sizeof *s);
    if (s == NULL) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        return;
    }
    *s = (struct search){purpose, q.oki_number ? "by_oki_number" : "by_name_birth_date"};
    const char *sp[] = {q.birth_date, q.q, q.oki_number};
    if (!batch_read_logged(ctx, "person_search", 3, sp, search_log, search_done, s))
        return; /* answered 500 */
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
    const char *field[PERSON_NFIELDS + 2], *old[PERSON_NFIELDS + 2], *new[PERSON_NFIELDS + 2];
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
    json_t *notified = NULL; /* partners told of the rectification (h_corrections.c) */
    const char *merged[PERSON_NFIELDS + 1];
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "rectification") : NULL;
    if (purpose == NULL)
        return;
    const char *nn = NULL;
    bool nn_present = false;
    if (!person_parse(ctx->body, false, &ctx->arena, &in, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    if (!parse_sensitive(ctx, &nn_present, &nn))
        goto out;
    const char *reason = NULL;
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "update", purpose, &reason) ||
        !rights_writable(ctx, id, "update", purpose) || (nn && !rights_nn_basis(ctx)))
        goto out;
    unsigned want = groups_touched(&in) | (nn_present ? 1u << FG_SENSITIVE : 0);
    const char *missing = access_missing_group(want, api_write_mask(ctx));
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
    if (nn_present) { /* recorded as changed, never with its values: they stay sealed */
        c.field[c.n] = "sensitive.national_number";
        c.old[c.n] = "(sealed)";
        c.new[c.n++] = nn ? "(sealed)" : NULL;
        c.groups |= 1u << FG_SENSITIVE;
    }
    if (!person_consistent(merged, &err)) {
        api_invalid(ctx, &err);
        goto out;
    }
    if (in.household_id && !same(in.household_id, PQgetisnull(old, 0, 2) ? NULL : PQgetvalue(old, 0, 2)) &&
        !household_visible(ctx, in.household_id))
        goto out;
    struct indexes ix = {0};
    if (c.n > 0)
        st = write_update(ctx, id, &in, merged, &c, &upd);
    if (c.n > 0 && st == DB_OK)
        st = write_indexes(ctx, id, merged, nn_present, nn, &ix);
    if (nn_present && st == DB_OK) { /* the answer shows the number as now sealed */
        PQclear(upd);
        upd = NULL;
        st = db_exec(ctx_db(ctx), "person_lock", 1, p, &upd);
    }
    audit_groups_literal(c.groups, field_group_names, groups, sizeof groups);
    const char *fields = db_array_literal(&ctx->arena, c.field, c.n);
    if (st == DB_OK) /* the partners that received a changed group are told */
        st = fields ? corrections_queue(ctx, id, "rectification", groups, fields, &notified)
                    : DB_ERROR;
    if (st == DB_OK)
        st = api_audit(ctx, id, NULL, "update", groups, purpose, "allowed", reason);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        goto out;
    }
    if (api_commit(ctx))
        send_person(ctx, 200, upd ? upd : old, 0, api_read_mask(ctx), notified, NULL);
out:
    json_decref(notified);
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

static json_t *rectification_json(const PGresult *r, int i, unsigned mask)
{
    if (!readable_field(PQgetvalue(r, i, 0), mask))
        return NULL;
    return json_pack("{s:s, s:o, s:o, s:s, s:{s:s, s:s}, s:s, s:s}", "field", PQgetvalue(r, i, 0),
                     "old_value", api_text(r, i, 1), "new_value", api_text(r, i, 2), "reason",
                     PQgetvalue(r, i, 3), "changed_by", "id", PQgetvalue(r, i, 4), "username",
                     PQgetvalue(r, i, 5), "changed_at", PQgetvalue(r, i, 6), "request_id",
                     PQgetvalue(r, i, 7));
}

void h_person_rectifications(struct http_ctx *ctx)
{
    char groups[128];
    const char *id = api_path_uuid(ctx, "id", NOT_FOUND);
    const char *purpose = id ? api_purpose(ctx, "guidance") : NULL;
    if (purpose == NULL)
        return;
    unsigned mask = api_read_mask(ctx) & (FG_PERSON_MASK | (1u << FG_SENSITIVE));
    if ((mask & FG_PERSON_MASK) == 0) {
        api_deny(ctx, id, "history_read", purpose, "role_has_no_access",
                 "your role does not read person records", NULL);
        return;
    }
    audit_groups_literal(mask, field_group_names, groups, sizeof groups);
    api_person_list(ctx, id, "history_read", purpose, "rectification_list", groups,
                    rectification_json, mask);
}
