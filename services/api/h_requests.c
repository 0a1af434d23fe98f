/* The register of requests of the person (GDPR art. 15-22): registering a request about a person
 * of the caller's controller or, by identification, of another controller (forwarded to it), the
 * lists and deadlines, extension, and the decision (erasure and restriction take effect with it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/access.h"
#include "crt/audit.h"
#include "crt/ledger.h"
#include "crt/person.h"

#define NO_REQUEST "no such request, or not one your controller decides"

static const char *const kinds[] = {"access", "rectification", "erasure", "restriction",
                                    "portability", "objection", NULL};
static const char *const identity_checks[] = {"id_document", "eid", "itsme", "known_in_person",
                                              "representative_document", "other", NULL};
static const char *const capacities[] = {"parent", "guardian", "court_appointed", "lawyer",
                                         "other", NULL};
static const char *const decisions[] = {"granted", "refused", NULL};

/* Who registers (any staff who meets the person, and the DPO as contact point) and who
 * decides (a coordinator of the owning controller); see docs/rights.md. */
static const char *const registrars[] = {"intake", "caseworker", "coordinator", "dpo", NULL};
static const char *const readers[] = {"intake", "caseworker", "coordinator", "dpo", NULL};
static const char *const deciders[] = {"coordinator", NULL};
/* Who extends: the deciders, and the DPO who keeps the register and watches its deadlines (an
 * extension touches no person data; decision D48). */
static const char *const extenders[] = {"coordinator", "dpo", NULL};
static const char *const overseers[] = {"coordinator", "dpo", NULL};

/* The body of a request, first the fields common to both routes, then the identification of
 * the person at the owning controller (POST /v1/requests only). */
enum { F_KIND, F_RECEIVED, F_IDENTITY, F_REP, F_REP_CAPACITY, F_DETAILS, F_COMMON,
       F_OWNER = F_COMMON, F_OKI, F_FIRST, F_LAST, F_BIRTH, F_NN, F_ALL };
static const struct field_spec request_fields[F_ALL] = {
    {"kind", FT_ENUM, 0, kinds, 0, 0, true, false},
    {"received_on", FT_DATE, 0, NULL, 0, 0, true, false},
    {"identity_check", FT_ENUM, 0, identity_checks, 0, 0, true, false},
    {"representative", FT_TEXT, 200, NULL, 0, 0, false, false},
    {"representative_capacity", FT_ENUM, 0, capacities, 0, 0, false, false},
    {"details", FT_TEXT, 2000, NULL, 0, 0, false, false},
    {"owning_controller", FT_TEXT, 32, NULL, 0, 0, true, false},
    {"oki_number", FT_TEXT, 20, NULL, 0, 0, false, false},
    {"first_name", FT_TEXT, 100, NULL, 0, 0, false, false},
    {"last_name", FT_TEXT, 100, NULL, 0, 0, false, false},
    {"birth_date", FT_DATE, 0, NULL, 0, 0, false, false},
    {"national_number", FT_TEXT, 20, NULL, 0, 0, false, false},
};

/* ---- the request as JSON ---- */

/* Columns of REQUEST_SELECT (statements.c). */
enum { R_ID, R_NUMBER, R_KIND, R_STATUS, R_PERSON, R_RECEIVER, R_OWNER, R_RECEIVED, R_IDENTITY,
       R_REP, R_REP_CAPACITY, R_DETAILS, R_DEADLINE, R_EXT_MONTHS, R_EXT_REASON, R_TOLD, R_DUE,
       R_OVERDUE, R_DECIDED, R_REASONS, R_RECEIVED_BY, R_ERASED, R_FULL, R_DAYS_LEFT };

static bool flag_of(const PGresult *r, int i, int c) { return PQgetvalue(r, i, c)[0] == 't'; }

/* What every controller that sees the request may know: number, kind, controllers, dates and
 * state (the receiver of a forwarded request sees no more). */
static json_t *request_summary(const PGresult *r, int i)
{
    return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:I, s:o, s:b}", "id",
                     api_text(r, i, R_ID), "number", (json_int_t)atoll(PQgetvalue(r, i, R_NUMBER)),
                     "kind", api_text(r, i, R_KIND), "status", api_text(r, i, R_STATUS),
                     "receiving_controller", api_text(r, i, R_RECEIVER), "owning_controller",
                     api_text(r, i, R_OWNER), "received_on", api_text(r, i, R_RECEIVED),
                     "deadline", api_text(r, i, R_DEADLINE), "due_on", api_text(r, i, R_DUE),
                     "overdue", flag_of(r, i, R_OVERDUE), "days_left",
                     (json_int_t)atoll(PQgetvalue(r, i, R_DAYS_LEFT)), "decided_on",
                     api_text(r, i, R_DECIDED), "person_erased", flag_of(r, i, R_ERASED));
}

/* Row i as the caller may see it: the owning controller's coordinators and DPO see the whole
 * request (but not which staff member of another controller received it). */
static json_t *request_json(const PGresult *r, int i)
{
    json_t *o = request_summary(r, i);
    if (o == NULL || !flag_of(r, i, R_FULL))
        return o;
    json_object_set_new(o, "person_id", api_text(r, i, R_PERSON));
    json_object_set_new(o, "identity_check", api_text(r, i, R_IDENTITY));
    json_object_set_new(o, "representative",
                        PQgetisnull(r, i, R_REP_CAPACITY)
                            ? json_null()
                            : json_pack("{s:o, s:o}", "name", api_text(r, i, R_REP), "capacity",
                                        api_text(r, i, R_REP_CAPACITY)));
    json_object_set_new(o, "details", api_text(r, i, R_DETAILS));
    int months = atoi(PQgetvalue(r, i, R_EXT_MONTHS));
    json_object_set_new(o, "extension",
                        months == 0 ? json_null()
                                    : json_pack("{s:i, s:o, s:o}", "months", months, "reason",
                                                api_text(r, i, R_EXT_REASON), "person_told_on",
                                                api_text(r, i, R_TOLD)));
    json_object_set_new(o, "reasons", api_text(r, i, R_REASONS));
    json_object_set_new(o, "received_by", api_text(r, i, R_RECEIVED_BY));
    return o;
}

static json_t *request_row(const PGresult *r, int i, unsigned mask)
{
    (void)mask;
    return request_json(r, i);
}

/* The request with id in the open transaction, as JSON (NULL with *st set on failure). */
static json_t *request_load(struct http_ctx *ctx, const char *id, enum db_status *st)
{
    PGresult *r = NULL;
    const char *p[] = {id};
    json_t *o = NULL;
    *st = db_exec(ctx_db(ctx), "request_one", 1, p, &r);
    if (*st == DB_OK && PQntuples(r) == 1)
        o = request_json(r, 0);
    else if (*st == DB_OK)
        *st = DB_ERROR;
    PQclear(r);
    return o;
}

/* ---- registering ---- */

/* The representative needs its capacity; false after answering 422. */
static bool representative_ok(struct http_ctx *ctx, const char **in)
{
    if (in[F_REP] && !in[F_REP_CAPACITY]) {
        problem_send(ctx, 422, "validation", "is required with a representative",
                     "representative_capacity");
        return false;
    }
    if (in[F_REP] && validate_text_length(in[F_REP]) < 2) {
        problem_send(ctx, 422, "validation", "must name the representative", "representative");
        return false;
    }
    return true;
}

/* Identity checked some 'other' way: the details must say how (at least 10 characters); false
 * after answering 422. */
static bool identity_described(struct http_ctx *ctx, const char **in)
{
    if (strcmp(in[F_IDENTITY], "other") == 0 &&
        (in[F_DETAILS] == NULL || validate_text_length(in[F_DETAILS]) < 10)) {
        problem_send(ctx, 422, "validation",
                     "with identity_check 'other', describe how the identity was checked "
                     "(at least 10 characters)",
                     "details");
        return false;
    }
    return true;
}

/* Why crt_rights_request_register did not register, as the field it is about. */
struct refusal {
    const char *outcome, *field, *detail;
};
static const struct refusal refusals[] = {
    {"no_controller", "owning_controller", "not a controller's code (agii, huis, atlas, ingent)"},
    {"no_match", "oki_number", "no single person of that controller matches this identification"},
    {"representative_required", "representative",
     "the person was under 16 on the received date or is under guardianship: a legal "
     "representative must make the request"},
};

static const struct refusal *refusal_of(const char *outcome)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(refusals[i].outcome, outcome) == 0)
            return &refusals[i];
    return NULL;
}

/* Runs crt_rights_request_register (person: the caller's own person, or NULL with the blind
 * indexes in ix[0] OKI, ix[1] national number, ix[2] name) and answers: 201 with the request,
 * or 422 naming the field the outcome is about. */
static void register_and_answer(struct http_ctx *ctx, const char **in, const char *person,
                                const char *const *ix, const char *purpose)
{
    PGresult *r = NULL;
    const char *p[] = {person ? NULL : in[F_OWNER], person, ix[0], ix[1], ix[2], in[F_KIND], in[F_RECEIVED], in[F_IDENTITY],
                       in[F_REP], in[F_REP] ? in[F_REP_CAPACITY] : NULL, in[F_DETAILS],
                       ctx->request_id, purpose};
    enum db_status st = db_exec(ctx_db(ctx), "request_register", 13, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    const struct refusal *no = refusal_of(PQgetvalue(r, 0, 0));
    char *id = arena_strdup(&ctx->arena, PQgetvalue(r, 0, 1));
    PQclear(r);
    if (no) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", no->detail, no->field);
        return;
    }
    json_t *o = id ? request_load(ctx, id, &st) : NULL;
    if (o == NULL) {
        api_db_fail(ctx, id ? st : DB_ERROR);
        return;
    }
    char *loc = arena_printf(&ctx->arena, "/v1/requests/%s", id);
    if (loc)
        evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Location", loc);
    api_commit_send(ctx, 201, o);
}

/* POST /v1/persons/{id}/requests: a request about a person the caller has need to know of. */
void h_person_request_create(struct http_ctx *ctx)
{
    static const char *const own[] = {"intake", "caseworker", "coordinator", NULL};
    const char *in[F_ALL] = {0}, *reason = NULL, *none[3] = {NULL, NULL, NULL};
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, own) ||
        !api_fields(ctx, request_fields, F_COMMON, in) || !representative_ok(ctx, in) ||
        !identity_described(ctx, in))
        return;
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "request_write", purpose, &reason))
        return;
    register_and_answer(ctx, in, id, none, purpose);
}

/* The blind indexes of the identification in in (OKI number as is); false after 422. */
static bool identification(struct http_ctx *ctx, const char **in, const char **ix)
{
    char *name = arena_alloc(&ctx->arena, 65), *nn = arena_alloc(&ctx->arena, 65), digits[12];
    bool by_name = in[F_FIRST] && in[F_LAST] && in[F_BIRTH];
    ix[0] = in[F_OKI];
    ix[1] = ix[2] = NULL;
    if (!in[F_OKI] && !in[F_NN] && !by_name) {
        problem_send(ctx, 422, "validation",
                     "identify the person by oki_number, national_number, or first_name, "
                     "last_name and birth_date",
                     "oki_number");
        return false;
    }
    if (in[F_NN] && !person_national_number(in[F_NN], digits)) {
        problem_send(ctx, 422, "validation",
                     "must be a Belgian national register number with valid check digits",
                     "national_number");
        return false;
    }
    if (!name || !nn || (in[F_NN] && !api_nn_index(ctx, digits, nn)) ||
        (by_name && !api_name_index(ctx, in[F_FIRST], in[F_LAST], in[F_BIRTH], name))) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        return false;
    }
    ix[1] = in[F_NN] ? nn : NULL;
    ix[2] = by_name ? name : NULL;
    return true;
}

/* POST /v1/requests: a request received about a person identified by OKI number, national
 * number or name + birth date at the owning controller (another one: forwarded to it). */
void h_request_create(struct http_ctx *ctx)
{
    const char *in[F_ALL] = {0}, *ix[3];
    const char *purpose = api_purpose(ctx, "data_subject_request");
    if (purpose == NULL || !api_require_role(ctx, registrars) ||
        !api_fields(ctx, request_fields, F_ALL, in) || !representative_ok(ctx, in) ||
        !identity_described(ctx, in) || !identification(ctx, in, ix) || !api_begin(ctx))
        return;
    register_and_answer(ctx, in, NULL, ix, purpose);
}

/* ---- reading ---- */

/* GET /v1/persons/{id}/requests: the requests about the person at the caller's controller. */
void h_person_requests(struct http_ctx *ctx)
{
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, readers))
        return;
    api_person_list(ctx, id, "request_read", purpose, "request_of_person", "{}", request_row, 0);
}

/* "7d" (1 to 366 days) as the number of days; NULL when malformed. */
static const char *days_param(struct http_ctx *ctx, const char *v)
{
    size_t n = strlen(v);
    if (n < 2 || n > 4 || v[n - 1] != 'd')
        return NULL;
    char *d = arena_strndup(&ctx->arena, v, n - 1);
    return d && validate_int(d, 1, 366) ? d : NULL;
}

static bool one_of(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(*set, v) == 0)
            return true;
    return false;
}

/* Person ids of the rows the caller sees in full (for the access log). */
static const char **logged_persons(struct http_ctx *ctx, const PGresult *r, size_t *n)
{
    const char **ids = arena_alloc(&ctx->arena, (size_t)(PQntuples(r) + 1) * sizeof *ids);
    *n = 0;
    for (int i = 0; ids && i < PQntuples(r); i++)
        if (flag_of(r, i, R_FULL) && !PQgetisnull(r, i, R_PERSON))
            ids[(*n)++] = PQgetvalue(r, i, R_PERSON);
    return ids;
}

/* GET /v1/requests[?overdue=true|false][&due_within=7d][&status=open]: the register of the
 * caller's controller (received or owned), earliest due first, at most 500. */
void h_requests_list(struct http_ctx *ctx)
{
    static const char *const names[] = {"overdue", "due_within", "status", NULL};
    static const char *const statuses[] = {"open", "granted", "refused", NULL};
    static const char *const booleans[] = {"true", "false", NULL};
    const char *v[3], *days = NULL;
    PGresult *r = NULL;
    const char *purpose = api_purpose(ctx, "data_subject_request");
    if (purpose == NULL || !api_require_role(ctx, overseers) || !api_query(ctx, names, v))
        return;
    const char *bad = v[0] && !one_of(v[0], booleans)            ? "overdue"
                      : v[1] && !(days = days_param(ctx, v[1])) ? "due_within"
                      : v[2] && !one_of(v[2], statuses)         ? "status"
                                                                : NULL;
    if (bad) {
        problem_send(ctx, 400, "validation",
                     "use overdue=true|false, due_within=<days>d (1-366) and status=open|granted|refused",
                     bad);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {v[0], days, v[2]};
    enum db_status st = db_exec(ctx_db(ctx), "request_list", 3, p, &r);
    size_t n = 0;
    const char **ids = st == DB_OK ? logged_persons(ctx, r, &n) : NULL;
    const char *idlist = ids ? db_array_literal(&ctx->arena, ids, n) : NULL;
    const char *lp[] = {idlist, "request_read", "{}", purpose, "register", ctx->request_id};
    if (st == DB_OK)
        st = idlist ? db_exec(ctx_db(ctx), "audit_insert_many", 6, lp, NULL) : DB_ERROR;
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; items && i < PQntuples(r); i++)
        json_array_append_new(items, request_json(r, i));
    PQclear(r);
    api_commit_send(ctx, 200, json_pack("{s:o}", "items", items ? items : json_array()));
}

/* GET /v1/requests/{id} */
void h_request_get(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *id = api_path_uuid(ctx, "id", NO_REQUEST);
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, readers) || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "request_one", 1, p, &r);
    if (st == DB_OK && PQntuples(r) == 0) {
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", NO_REQUEST, NULL);
        return;
    }
    bool full = st == DB_OK && flag_of(r, 0, R_FULL) && !PQgetisnull(r, 0, R_PERSON);
    if (st == DB_OK)
        st = api_audit(ctx, full ? PQgetvalue(r, 0, R_PERSON) : NULL, NULL, "request_read", "{}",
                       purpose, "allowed", "register");
    json_t *o = st == DB_OK ? request_json(r, 0) : NULL;
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    api_commit_send(ctx, 200, o);
}

/* ---- extension and decision (a coordinator of the owning controller) ---- */

/* Columns of request_lock. */
enum { L_NUMBER, L_KIND, L_STATUS, L_PERSON, L_RECEIVED, L_DEADLINE, L_EXT_MONTHS, L_TODAY };

/* Locks the open request {id} of the caller's controller: the row in *out, or false after
 * answering 404 (not the caller's to decide) or 409 (already decided). */
static bool lock_open(struct http_ctx *ctx, const char *id, PGresult **out)
{
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "request_lock", 1, p, out);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    int status = PQntuples(*out) == 0 ? 404
                 : strcmp(PQgetvalue(*out, 0, L_STATUS), "open") != 0 || PQgetisnull(*out, 0, L_PERSON)
                     ? 409
                     : 0;
    if (status) {
        PQclear(*out);
        *out = NULL;
        db_rollback(ctx_db(ctx));
        problem_send(ctx, status, status == 404 ? "not-found" : "conflict",
                     status == 404 ? NO_REQUEST : "the request has been decided already", NULL);
    }
    return status == 0;
}

/* Re-reads the request, logs the write (action request_write about the person), commits and
 * answers 200 with the request plus the members of extra (taken; may be NULL). */
static void answer_written(struct http_ctx *ctx, const char *id, const char *person,
                           const char *purpose, const char *reason, json_t *extra)
{
    enum db_status st = api_audit(ctx, person, NULL, "request_write", "{}", purpose, "allowed", reason);
    json_t *o = st == DB_OK ? request_load(ctx, id, &st) : NULL;
    if (o == NULL) {
        json_decref(extra);
        api_db_fail(ctx, st);
        return;
    }
    if (extra)
        json_object_update(o, extra);
    json_decref(extra);
    api_commit_send(ctx, 200, o);
}

static const struct field_spec extension_fields[] = {
    {"months", FT_INT, 0, NULL, 1, 2, true, false},
    {"reason", FT_TEXT, 1000, NULL, 0, 0, true, false},
    {"person_told_on", FT_DATE, 0, NULL, 0, 0, true, false},
};

/* The field an extension of the locked request l by in[] would break, with why; NULL if none.
 * Dates are YYYY-MM-DD, so they compare as strings. */
static const char *extension_refused(const PGresult *l, const char **in, const char **why)
{
    const char *received = PQgetvalue(l, 0, L_RECEIVED), *deadline = PQgetvalue(l, 0, L_DEADLINE),
               *today = PQgetvalue(l, 0, L_TODAY);
    if (atoi(PQgetvalue(l, 0, L_EXT_MONTHS)) + atoi(in[0]) > 2)
        return *why = "a request is extended by at most two months in total", "months";
    if (validate_text_length(in[1]) < 10)
        return *why = "must give the reason for the extension (at least 10 characters)", "reason";
    if (strcmp(today, deadline) > 0)
        return *why = "the person must be told of an extension within the first period", "months";
    if (strcmp(in[2], received) < 0 || strcmp(in[2], deadline) > 0)
        return *why = "must lie between the received date and the first deadline", "person_told_on";
    return NULL;
}

/* POST /v1/requests/{id}/extension {months, reason, person_told_on} */
void h_request_extend(struct http_ctx *ctx)
{
    const char *in[3], *why = NULL;
    PGresult *l = NULL;
    const char *id = api_path_uuid(ctx, "id", NO_REQUEST);
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, extenders) ||
        !api_fields(ctx, extension_fields, 3, in) || !api_begin(ctx) || !lock_open(ctx, id, &l))
        return;
    const char *field = extension_refused(l, in, &why);
    char *person = arena_strdup(&ctx->arena, PQgetvalue(l, 0, L_PERSON));
    char *reason = arena_printf(&ctx->arena, "extension of request %s", PQgetvalue(l, 0, L_NUMBER));
    PQclear(l);
    if (field) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", why, field);
        return;
    }
    const char *p[] = {id, in[0], in[1], in[2]};
    enum db_status st = db_exec(ctx_db(ctx), "request_extend", 4, p, NULL);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    answer_written(ctx, id, person, purpose, reason, NULL);
}

static const struct field_spec decision_fields[] = {
    {"decision", FT_ENUM, 0, decisions, 0, 0, true, false},
    {"reasons", FT_TEXT, 4000, NULL, 0, 0, false, false},
};

/* Records with the request the partners told of its correction, restriction or erasure
 * (VluchtelingenWerk 18.4): those this HTTP request queued and, for a rectification, those told
 * of the person's corrections since the request was received. The export and the decision
 * letter show them. */
static enum db_status recipients_record(struct http_ctx *ctx, const char *id)
{
    const char *p[] = {id, ctx->request_id};
    return db_exec(ctx_db(ctx), "request_recipients_record", 2, p, NULL);
}

/* Purposes that no objection stops: the person's own rights, rectification, emergencies, the
 * DPO's review and the retention job. */
static const char *const unobjectable[] = {"data_subject_request", "rectification", "emergency",
                                           "audit", "retention", NULL};

/* The "purposes" of a decision on an objection (taken out of the body, so api_fields sees the
 * rest) as a text[] literal in *out (NULL when absent); false after answering 422. */
static bool objection_purposes(struct http_ctx *ctx, const char **out)
{
    json_t *a = json_object_get(ctx->body, "purposes"), *v;
    const char *codes[20];
    size_t i, n = 0;
    *out = NULL;
    if (a == NULL)
        return true;
    bool ok = json_is_array(a) && json_array_size(a) >= 1 && json_array_size(a) <= 20;
    json_array_foreach(a, i, v)
    {
        const char *c = json_string_value(v);
        size_t len = c ? strlen(c) : 0;
        ok = ok && len >= 3 && len <= 64 && strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_") == len &&
             !validate_one_of(c, unobjectable);
        if (ok)
            codes[n++] = arena_strdup(&ctx->arena, c);
    }
    *out = ok ? db_array_literal(&ctx->arena, codes, n) : NULL;
    if (!ok || *out == NULL)
        problem_send(ctx, 422, "validation",
                     "a list of 1 to 20 purposes: staff purposes (registration, guidance, "
                     "duplicate_check, education), grant purposes of referrals, or "
                     "partner_disclosure; the rights, rectification, emergency, audit and "
                     "retention purposes cannot be objected to",
                     "purposes");
    json_object_del(ctx->body, "purposes");
    return ok && *out;
}

/* The last step of an erasure: the person's id goes durably into the erasure ledger
 * (crt/ledger.h), so that a restore from an older backup erases the person again, and only then
 * the transaction commits and o (taken) is answered. When the line cannot be written the
 * transaction is rolled back: nothing erased, 503. */
static void erasure_commit(struct http_ctx *ctx, const char *person, const char *number,
                           json_t *o)
{
    if (ledger_append(ctx_worker(ctx)->cfg->erasure_ledger_file, person, "data_subject_request",
                      number)) {
        api_commit_send(ctx, 200, o);
        return;
    }
    json_decref(o);
    db_rollback(ctx_db(ctx));
    problem_send(ctx, 503, "unavailable",
                 "the erasure could not be recorded in the erasure ledger; nothing was erased",
                 NULL);
}

/* Grants an erasure request: the person is erased unless a retention duty applies (409 naming
 * it), its id put in the erasure ledger before the COMMIT (erasure_commit). The answer names
 * the partners queued for notification and states the erasure. */
static void grant_erasure(struct http_ctx *ctx, const char *id, const char *person,
                          const char *number, const char *purpose)
{
    PGresult *r = NULL;
    const char *p[] = {id, ctx->request_id, purpose};
    enum db_status st = db_exec(ctx_db(ctx), "request_erase", 3, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "erased") != 0) {
        bool held = strcmp(PQgetvalue(r, 0, 0), "held") == 0;
        json_t *duty = held ? json_pack("{s:s}", "retention_duty", PQgetvalue(r, 0, 3)) : NULL;
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send_ext(ctx, 409, "conflict",
                         held ? "a legal retention duty applies to this person: the erasure is "
                                "refused (record a refusal with these reasons)"
                              : "the request has been decided already",
                         NULL, duty);
        json_decref(duty);
        return;
    }
    json_t *partners = NULL;
    const char *q[] = {ctx->request_id};
    json_t *extra = json_pack("{s:{s:I, s:s, s:o}}", "erasure", "tombstone_id",
                              (json_int_t)atoll(PQgetvalue(r, 0, 1)), "erased_at",
                              PQgetvalue(r, 0, 2), "statement",
                              json_sprintf("The data were erased at the person's request on %.10s "
                                           "under request number %s.",
                                           PQgetvalue(r, 0, 2), number));
    PQclear(r);
    st = corrections_list(ctx, "corrections_of_request", 1, q, &partners);
    if (st != DB_OK || extra == NULL) {
        json_decref(extra);
        json_decref(partners);
        api_db_fail(ctx, st != DB_OK ? st : DB_ERROR);
        return;
    }
    json_object_set_new(extra, "notified_partners", partners);
    st = recipients_record(ctx, id);
    if (st != DB_OK) {
        json_decref(extra);
        api_db_fail(ctx, st);
        return;
    }
    /* the function logged the erasure; the request row is read without the person */
    json_t *o = request_load(ctx, id, &st);
    if (o)
        json_object_update(o, extra);
    json_decref(extra);
    if (o == NULL)
        api_db_fail(ctx, st);
    else
        erasure_commit(ctx, person, number, o);
}

/* Grants a restriction request: the person becomes read-only, the restriction is recorded and
 * the partners that received its data are queued for notification. */
static enum db_status restrict_person(struct http_ctx *ctx, const char *person,
                                      const char *number, json_t **partners)
{
    PGresult *r = NULL;
    const char *p[] = {person, number, ctx->request_id};
    enum db_status st = db_exec(ctx_db(ctx), "person_restrict", 3, p, &r);
    bool restricted = st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    if (st != DB_OK)
        return st;
    if (!restricted) { /* restricted already: nothing new to tell */
        *partners = json_array();
        return DB_OK;
    }
    return corrections_queue(ctx, person, "restriction",
                             "{identification,contact,trajectory,situation,education}", "{}",
                             partners);
}

/* POST /v1/requests/{id}/decision {decision, reasons, purposes}: refusals and objections need
 * reasons; a granted objection stops the processing for its purposes (partner_disclosure when
 * none are named). */
void h_request_decide(struct http_ctx *ctx)
{
    const char *in[2], *objected = NULL;
    PGresult *l = NULL;
    json_t *extra = NULL;
    const char *id = api_path_uuid(ctx, "id", NO_REQUEST);
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    if (purpose == NULL || !api_require_role(ctx, deciders) ||
        !objection_purposes(ctx, &objected) || !api_fields(ctx, decision_fields, 2, in) ||
        !api_begin(ctx) || !lock_open(ctx, id, &l))
        return;
    const char *kind = arena_strdup(&ctx->arena, PQgetvalue(l, 0, L_KIND));
    char *person = arena_strdup(&ctx->arena, PQgetvalue(l, 0, L_PERSON));
    char *number = arena_strdup(&ctx->arena, PQgetvalue(l, 0, L_NUMBER));
    PQclear(l);
    bool granted = strcmp(in[0], "granted") == 0, objection = strcmp(kind, "objection") == 0;
    if (objected && !(granted && objection)) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation", "only a granted objection names purposes", "purposes");
        return;
    }
    if (granted && objection && objected == NULL)
        objected = "{partner_disclosure}";
    if ((!granted || objection) &&
        (!in[1] || validate_text_length(in[1]) < 10)) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 422, "validation",
                     "a refusal, and any decision on an objection, states its reasons (at least "
                     "10 characters)",
                     "reasons");
        return;
    }
    if (granted && strcmp(kind, "erasure") == 0) {
        grant_erasure(ctx, id, person, number, purpose);
        return;
    }
    enum db_status st = DB_OK;
    if (granted && strcmp(kind, "restriction") == 0) {
        json_t *partners = NULL;
        st = restrict_person(ctx, person, number, &partners);
        extra = st == DB_OK ? json_pack("{s:o}", "notified_partners", partners) : NULL;
    }
    const char *p[] = {id, in[0], in[1], objected};
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "request_decide", 4, p, NULL);
    if (st == DB_OK && granted && (strcmp(kind, "restriction") == 0 || strcmp(kind, "rectification") == 0))
        st = recipients_record(ctx, id);
    if (st != DB_OK) {
        json_decref(extra);
        api_db_fail(ctx, st);
        return;
    }
    answer_written(ctx, id, person, purpose,
                   arena_printf(&ctx->arena, "request %s %s", number, in[0]), extra);
}
