/* The DPO's view of their own controller's logs: the access log (filters user, person, action,
 * outcome, time range), the login events (recovery-code use, lockouts, …) and the failed
 * authentications of its partners, pages newest first. Reading a log is itself logged. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

static const char *const dpos[] = {"dpo", NULL};
static const char *const params[] = {"user", "person", "action", "outcome", "from", "to",
                                     "before", "limit", NULL};
enum { P_USER, P_PERSON, P_ACTION, P_OUTCOME, P_FROM, P_TO, P_BEFORE, P_LIMIT, P_COUNT };

/* Query string into v[] (NULL when absent); false after answering 400 naming the parameter. */
static bool read_filters(struct http_ctx *ctx, const char **v)
{
    static const char *const outcomes[] = {"allowed", "denied", "not_found", NULL};
    if (!api_query(ctx, params, v))
        return false;
    const char *bad = NULL;
    if ((v[P_USER] && !validate_uuid(v[P_USER])))
        bad = "user";
    else if (v[P_PERSON] && !validate_uuid(v[P_PERSON]))
        bad = "person";
    else if (v[P_OUTCOME] && !validate_one_of(v[P_OUTCOME], outcomes))
        bad = "outcome";
    else if (v[P_ACTION] && (strlen(v[P_ACTION]) == 0 || strlen(v[P_ACTION]) > 32))
        bad = "action";
    else if (v[P_FROM] && !validate_timestamp(v[P_FROM]))
        bad = "from";
    else if (v[P_TO] && !validate_timestamp(v[P_TO]))
        bad = "to";
    else if (v[P_BEFORE] && !validate_int(v[P_BEFORE], 1, API_MAX_ID))
        bad = "before";
    else if (v[P_LIMIT] && !validate_int(v[P_LIMIT], 1, 500))
        bad = "limit";
    if (bad)
        problem_send(ctx, 400, "validation",
                     "invalid filter (uuid, allowed|denied|not_found, RFC 3339 time, id, 1-500)",
                     bad);
    return bad == NULL;
}

/* The columns of audit_page. */
static const struct api_col log_cols[] = {
    {"id", COL_INT}, {"at", COL_TEXT}, {"user_id", COL_TEXT}, {"username", COL_TEXT},
    {"person_id", COL_TEXT}, {"household_id", COL_TEXT}, {"action", COL_TEXT},
    {"field_groups", COL_JSON}, {"purpose", COL_TEXT}, {"outcome", COL_TEXT},
    {"reason", COL_TEXT}, {"request_id", COL_TEXT}, {"partner_id", COL_TEXT}};

void h_audit_access(struct http_ctx *ctx)
{
    const char *v[P_COUNT];
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !read_filters(ctx, v) || !api_begin(ctx))
        return;
    const char *p[] = {v[P_USER], v[P_PERSON], v[P_ACTION], v[P_OUTCOME], v[P_FROM], v[P_TO],
                       v[P_BEFORE], v[P_LIMIT] ? v[P_LIMIT] : "50"};
    PGresult *r = api_read_logged(ctx, "audit_page", 8, p, v[P_PERSON], "audit_read", purpose,
                                  "dpo_review");
    if (r == NULL)
        return;
    json_t *o = api_page(api_row_array(r, log_cols, API_NCOLS(log_cols)), r, atoi(p[7]));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/audit/logins ---- */

static const char *const login_params[] = {"user", "event", "outcome", "from", "to", "before",
                                           "limit", NULL};

/* The columns of login_page. */
static const struct api_col login_cols[] = {
    {"id", COL_INT}, {"at", COL_TEXT}, {"user_id", COL_TEXT}, {"username", COL_TEXT},
    {"actor_id", COL_TEXT}, {"event", COL_TEXT}, {"outcome", COL_TEXT}, {"ip", COL_TEXT},
    {"request_id", COL_TEXT}, {"subject", COL_TEXT}};

void h_audit_logins(struct http_ctx *ctx)
{
    const char *v[7], *bad = NULL;
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !api_query(ctx, login_params, v))
        return;
    if (v[0] && !validate_uuid(v[0]))
        bad = "user";
    else if ((v[3] && !validate_timestamp(v[3])) || (v[4] && !validate_timestamp(v[4])))
        bad = v[3] && !validate_timestamp(v[3]) ? "from" : "to";
    else if (v[5] && !validate_int(v[5], 1, API_MAX_ID))
        bad = "before";
    else if (v[6] && !validate_int(v[6], 1, 500))
        bad = "limit";
    if (bad) {
        problem_send(ctx, 400, "validation",
                     "filters: user (uuid), event, outcome, from/to (RFC 3339), before (id), limit (1-500)",
                     bad);
        return;
    }
    if (!v[6])
        v[6] = "50";
    if (!api_begin(ctx))
        return;
    PGresult *r = api_read_logged(ctx, "login_page", 7, v, NULL, "audit_read", purpose,
                                  "login_events");
    if (r == NULL)
        return;
    json_t *o = api_page(api_row_array(r, login_cols, API_NCOLS(login_cols)), r, atoi(v[6]));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/audit/partner-auth ---- */

static const char *const partner_auth_params[] = {"partner", "from", "to", "before", "limit",
                                                  NULL};

/* The columns of partner_auth_page. */
static const struct api_col partner_auth_cols[] = {
    {"id", COL_INT},          {"at", COL_TEXT},     {"partner_id", COL_TEXT},
    {"partner_name", COL_TEXT}, {"client_id", COL_TEXT}, {"reason", COL_TEXT},
    {"ip", COL_TEXT},         {"request_id", COL_TEXT}};

/* Failed client authentications of the partners the controller grants to (migration 016). */
void h_audit_partner_auth(struct http_ctx *ctx)
{
    const char *v[5], *bad = NULL;
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !api_query(ctx, partner_auth_params, v))
        return;
    if (v[0] && !validate_uuid(v[0]))
        bad = "partner";
    else if ((v[1] && !validate_timestamp(v[1])) || (v[2] && !validate_timestamp(v[2])))
        bad = v[1] && !validate_timestamp(v[1]) ? "from" : "to";
    else if (v[3] && !validate_int(v[3], 1, API_MAX_ID))
        bad = "before";
    else if (v[4] && !validate_int(v[4], 1, 500))
        bad = "limit";
    if (bad) {
        problem_send(ctx, 400, "validation",
                     "filters: partner (uuid), from/to (RFC 3339), before (id), limit (1-500)", bad);
        return;
    }
    if (!v[4])
        v[4] = "50";
    if (!api_begin(ctx))
        return;
    PGresult *r = api_read_logged(ctx, "partner_auth_page", 5, v, NULL, "audit_read", purpose,
                                  "partner_auth_events");
    if (r == NULL)
        return;
    json_t *o = api_page(api_row_array(r, partner_auth_cols, API_NCOLS(partner_auth_cols)), r,
                         atoi(v[4]));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}
