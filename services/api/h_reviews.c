/* The DPO's side of the access-log review (crt-review writes the reviews): the caller's
 * controller's reviews, their per-actor stats and findings, and the decisions on findings. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define NO_REVIEW "no such review"
#define NO_FINDING "no such finding in this review"
#define PAGE_DEFAULT "20"
#define PAGE_MAX 100

static const char *const dpos[] = {"dpo", NULL};
static const char *const no_params[] = {NULL};

/* The columns of REVIEW_SELECT, review_actors and review_findings (statements.c). */
static const struct api_col review_cols[] = {
    {"id", COL_INT}, {"run_id", COL_INT}, {"window_from", COL_TEXT}, {"window_to", COL_TEXT},
    {"log_rows", COL_INT}, {"accesses", COL_INT}, {"explained", COL_INT},
    {"explained_share", COL_NUM}, {"first_accesses", COL_INT}, {"first_explained", COL_INT},
    {"first_explained_share", COL_NUM}, {"denied", COL_INT}, {"searches", COL_INT},
    {"by_explanation", COL_JSON}, {"findings_new", COL_INT}, {"findings_updated", COL_INT},
    {"open_findings", COL_INT}, {"created_at", COL_TEXT}, {"new_findings_by_rule", COL_JSON}};
static const struct api_col actor_cols[] = {
    {"actor_id", COL_TEXT}, {"actor_kind", COL_TEXT}, {"username", COL_TEXT},
    {"accesses", COL_INT}, {"explained", COL_INT}, {"share", COL_NUM},
    {"first_accesses", COL_INT}, {"first_explained", COL_INT}};
static const struct api_col finding_cols[] = {
    {"id", COL_INT}, {"rule_id", COL_TEXT}, {"severity", COL_TEXT}, {"summary", COL_TEXT},
    {"user_id", COL_TEXT}, {"username", COL_TEXT}, {"partner_id", COL_TEXT},
    {"person_id", COL_TEXT}, {"first_at", COL_TEXT}, {"last_at", COL_TEXT},
    {"occurrences", COL_INT}, {"evidence", COL_JSON}, {"case", COL_JSON},
    {"decision", COL_JSON}, {"history", COL_JSON}, {"partner_name", COL_TEXT},
    {"evidence_rows", COL_JSON}};

/* Purpose (default audit) and role; NULL after answering 400 or 403. */
static const char *review_purpose(struct http_ctx *ctx)
{
    const char *purpose = api_purpose(ctx, "audit");
    return purpose && api_require_role(ctx, dpos) ? purpose : NULL;
}

/* Runs stmt and logs the read (no person: the DPO reads a review, not a record); the result,
 * or NULL after answering. */
static PGresult *read_logged(struct http_ctx *ctx, const char *stmt, int n, const char *const *p,
                             const char *purpose)
{
    return api_read_logged(ctx, stmt, n, p, NULL, "review_read", purpose, "dpo_review");
}

/* Review id of the path, visible to the caller, in the open transaction: true with the row
 * in *r (the caller clears it); otherwise the attempt is logged (not_found) and answered. */
static bool review_found(struct http_ctx *ctx, const char *id, const char *purpose, PGresult **r)
{
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "review_one", 1, p, r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return false;
    }
    if (PQntuples(*r) == 1)
        return true;
    PQclear(*r);
    *r = NULL;
    api_not_found_logged(ctx, NULL, NULL, "review_read", purpose, NO_REVIEW);
    return false;
}

/* ---- GET /v1/reviews ---- */

void h_reviews_list(struct http_ctx *ctx)
{
    static const char *const names[] = {"before", "limit", NULL};
    const char *v[2];
    const char *purpose = review_purpose(ctx);
    if (purpose == NULL || !api_query(ctx, names, v))
        return;
    const char *bad = v[0] && !validate_int(v[0], 1, API_MAX_ID)   ? "before"
                      : v[1] && !validate_int(v[1], 1, PAGE_MAX) ? "limit"
                                                                   : NULL;
    if (bad) {
        problem_send(ctx, 400, "validation", "before is a review id, limit 1 to 100", bad);
        return;
    }
    if (v[1] == NULL)
        v[1] = PAGE_DEFAULT;
    if (!api_begin(ctx))
        return;
    PGresult *r = read_logged(ctx, "review_page", 2, v, purpose);
    if (r == NULL)
        return;
    json_t *o = api_page(api_row_array(r, review_cols, API_NCOLS(review_cols)), r, atoi(v[1]));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/reviews/{id} ---- */

void h_review_get(struct http_ctx *ctx)
{
    const char *v[1];
    PGresult *r = NULL;
    const char *purpose = review_purpose(ctx);
    const char *id = purpose ? api_path_id(ctx, "id", NO_REVIEW) : NULL;
    if (id == NULL || !api_query(ctx, no_params, v) || !api_begin(ctx) ||
        !review_found(ctx, id, purpose, &r))
        return;
    const char *p[] = {id};
    PGresult *actors = read_logged(ctx, "review_actors", 1, p, purpose);
    if (actors == NULL) {
        PQclear(r);
        return;
    }
    json_t *o = api_row_object(r, 0, review_cols, API_NCOLS(review_cols));
    json_object_set_new(o, "actors", api_row_array(actors, actor_cols, API_NCOLS(actor_cols)));
    PQclear(r);
    PQclear(actors);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/reviews/{id}/findings ---- */

enum { FF_STATUS, FF_SEVERITY, FF_RULE, FF_USER, FF_OFFSET, FF_LIMIT, FF_COUNT };

/* status, severity, rule, user, offset, limit into v[]; false after answering 400 naming the
 * parameter. */
static bool finding_filters(struct http_ctx *ctx, const char **v)
{
    static const char *const names[] = {"status", "severity", "rule", "user", "offset", "limit",
                                        NULL};
    if (!api_query(ctx, names, v))
        return false;
    static const char *const statuses[] = {"open", "decided", "justified", "violation",
                                           "follow_up", NULL};
    static const char *const severities[] = {"low", "medium", "high", NULL};
    const char *bad = NULL;
    if (v[FF_STATUS] && !validate_one_of(v[FF_STATUS], statuses))
        bad = "status";
    else if (v[FF_SEVERITY] && !validate_one_of(v[FF_SEVERITY], severities))
        bad = "severity";
    else if (v[FF_RULE] && (strlen(v[FF_RULE]) == 0 || strlen(v[FF_RULE]) > 32))
        bad = "rule";
    else if (v[FF_USER] && !validate_uuid(v[FF_USER]))
        bad = "user";
    else if (v[FF_OFFSET] && !validate_int(v[FF_OFFSET], 0, 1000000))
        bad = "offset";
    else if (v[FF_LIMIT] && !validate_int(v[FF_LIMIT], 1, PAGE_MAX))
        bad = "limit";
    if (bad)
        problem_send(ctx, 400, "validation",
                     "filters: status open|decided|justified|violation|follow_up, severity "
                     "low|medium|high, rule (a rule id), user (uuid of a user or partner), "
                     "offset (0-1000000), limit (1-100)",
                     bad);
    if (v[FF_LIMIT] == NULL)
        v[FF_LIMIT] = PAGE_DEFAULT;
    return bad == NULL;
}

void h_review_findings(struct http_ctx *ctx)
{
    const char *v[FF_COUNT];
    PGresult *review = NULL;
    const char *purpose = review_purpose(ctx);
    const char *id = purpose ? api_path_id(ctx, "id", NO_REVIEW) : NULL;
    if (id == NULL || !finding_filters(ctx, v) || !api_begin(ctx) ||
        !review_found(ctx, id, purpose, &review))
        return;
    PQclear(review);
    const char *p[] = {id,        v[FF_STATUS], v[FF_SEVERITY], v[FF_RULE],
                       NULL,      v[FF_USER],   v[FF_OFFSET],   v[FF_LIMIT]};
    PGresult *r = read_logged(ctx, "review_findings", 8, p, purpose);
    if (r == NULL)
        return;
    /* One row more than the page was read: it only says that a next page exists. */
    int limit = atoi(v[FF_LIMIT]), offset = v[FF_OFFSET] ? atoi(v[FF_OFFSET]) : 0;
    bool more = PQntuples(r) > limit;
    json_t *items = api_row_array(r, finding_cols, API_NCOLS(finding_cols));
    PQclear(r);
    if (items && more)
        json_array_remove(items, (size_t)limit);
    api_commit_send(ctx, 200,
                    json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_offset",
                              more ? json_integer(offset + limit) : json_null()));
}

/* ---- PATCH /v1/reviews/{id}/findings/{finding} ---- */

static const char *const decisions[] = {"justified", "violation", "follow_up", NULL};
static const struct field_spec decide_fields[] = {
    {"decision", FT_ENUM, 0, decisions, 0, 0, true, false},
    {"note", FT_NOTE, 2000, NULL, 0, 0, true, false},
    {"replaces", FT_INT, 0, NULL, 1, INT_MAX, false, false},
};
enum { D_DECISION, D_NOTE, D_REPLACES, D_COUNT };

/* Answers 409 (after rolling back) because the finding's current decision (id current, or
 * NULL) is not the one the request replaces: says who decided what and when. */
static void decide_conflict(struct http_ctx *ctx, const char *current)
{
    PGresult *r = NULL;
    const char *p[] = {current};
    enum db_status st =
        current ? db_exec(ctx_db(ctx), "review_decision_current", 1, p, &r) : DB_OK;
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    db_rollback(ctx_db(ctx));
    if (current == NULL) {
        problem_send(ctx, 409, "conflict",
                     "the finding has no decision to replace; leave out replaces", "replaces");
        return;
    }
    const char *who = PQgetisnull(r, 0, 1) ? "an unknown user" : PQgetvalue(r, 0, 1);
    const char *detail = arena_printf(
        &ctx->arena, "the finding was decided %s by %s at %s (decision %s); to change it, send "
                     "replaces with that decision id",
        PQgetvalue(r, 0, 0), who, PQgetvalue(r, 0, 2), current);
    json_t *extra = json_pack("{s:{s:I, s:s, s:o, s:s}}", "current_decision", "id",
                              (json_int_t)strtoll(current, NULL, 10), "decision",
                              PQgetvalue(r, 0, 0), "decided_by_username", api_text(r, 0, 1),
                              "decided_at", PQgetvalue(r, 0, 2));
    PQclear(r);
    problem_send_ext(ctx, 409, "conflict",
                     detail ? detail : "the finding was decided already; send replaces", "replaces",
                     extra);
    json_decref(extra);
}

/* Records the decision in[] on finding fid (locked; case_id NULL or its case, locked) and
 * closes the case when it was the last undecided finding of it; in the open transaction. */
static enum db_status decide_write(struct http_ctx *ctx, const char *fid, const char *case_id,
                                   const char **in, const char *purpose)
{
    const char *p[] = {fid, in[D_DECISION], in[D_NOTE], in[D_REPLACES], ctx->request_id};
    enum db_status st = db_exec(ctx_db(ctx), "review_decide", 5, p, NULL);
    const char *c[] = {case_id};
    if (st == DB_OK && case_id)
        st = db_exec(ctx_db(ctx), "review_case_close", 1, c, NULL);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, NULL, "review_decide", "{}", purpose, "allowed", "dpo_review");
    return st;
}

/* Locks finding fid of review id; true with its current decision id and case id (arena
 * strings or NULL). Otherwise the attempt is logged (not_found) and answered. */
static bool finding_lock(struct http_ctx *ctx, const char *id, const char *fid,
                         const char *purpose, const char **current, const char **case_id)
{
    PGresult *r = NULL;
    const char *p[] = {id, fid};
    enum db_status st = db_exec(ctx_db(ctx), "review_finding_lock", 2, p, &r);
    bool found = st == DB_OK && PQntuples(r) == 1;
    *current = *case_id = NULL;
    if (found && !PQgetisnull(r, 0, 0))
        *current = arena_strdup(&ctx->arena, PQgetvalue(r, 0, 0));
    if (found && !PQgetisnull(r, 0, 1))
        *case_id = arena_strdup(&ctx->arena, PQgetvalue(r, 0, 1));
    if (found && ((*current == NULL) != PQgetisnull(r, 0, 0) ||
                  (*case_id == NULL) != PQgetisnull(r, 0, 1)))
        st = DB_ERROR; /* out of memory: never mistake a decided finding for an open one */
    PQclear(r);
    const char *c[] = {*case_id};
    if (st == DB_OK && found && *case_id) /* decisions on one case serialise: the last closes it */
        st = db_exec(ctx_db(ctx), "review_case_lock", 1, c, NULL);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else if (!found)
        api_not_found_logged(ctx, NULL, NULL, "review_decide", purpose, NO_FINDING);
    return st == DB_OK && found;
}

void h_review_decide(struct http_ctx *ctx)
{
    const char *in[D_COUNT], *v[1], *current, *case_id;
    PGresult *r = NULL;
    const char *purpose = review_purpose(ctx);
    const char *id = purpose ? api_path_id(ctx, "id", NO_REVIEW) : NULL;
    const char *fid = id ? api_path_id(ctx, "finding", NO_FINDING) : NULL;
    if (fid == NULL || !api_query(ctx, no_params, v) ||
        !api_fields(ctx, decide_fields, D_COUNT, in))
        return;
    if (validate_text_length(in[D_NOTE]) < 3) {
        problem_send(ctx, 422, "validation", "write a note of at least 3 characters", "note");
        return;
    }
    if (!api_begin(ctx) || !finding_lock(ctx, id, fid, purpose, &current, &case_id))
        return;
    /* An undecided finding takes no replaces; a decided one only with its current decision. */
    const char *replaces = in[D_REPLACES];
    if (current ? !replaces || strcmp(current, replaces) != 0 : replaces != NULL) {
        decide_conflict(ctx, current);
        return;
    }
    enum db_status st = decide_write(ctx, fid, case_id, in, purpose);
    const char *p[] = {id, NULL, NULL, NULL, fid, NULL, NULL, NULL};
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "review_findings", 8, p, &r);
    if (st == DB_OK && PQntuples(r) != 1)
        st = DB_ERROR; /* the finding was locked above: it cannot have gone */
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *o = api_row_object(r, 0, finding_cols, API_NCOLS(finding_cols));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}
