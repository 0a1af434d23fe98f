/* The DPO's view of their own controller's logs: the access log (filters user, person, action,
 * outcome, time range) and the login events (recovery-code use, lockouts, …), pages newest
 * first. Reading a log is itself logged. */
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
    const char **keys, **vals;
    memset(v, 0, P_COUNT * sizeof *v);
    if (!http_query(ctx, &keys, &vals)) {
        problem_send(ctx, 400, "validation", "the query string cannot be parsed", NULL);
        return false;
    }
    for (size_t i = 0; keys[i]; i++) {
        int k = 0;
        while (params[k] && strcmp(params[k], keys[i]) != 0)
            k++;
        if (params[k] == NULL || v[k]) {
            problem_send(ctx, 400, "validation",
                         params[k] ? "this parameter is given twice" : "unknown query parameter",
                         keys[i]);
            return false;
        }
        v[k] = vals[i];
    }
    const char *bad = NULL;
    char *end;
    if ((v[P_USER] && !validate_uuid(v[P_USER])))
        bad = "user";
    else if (v[P_PERSON] && !validate_uuid(v[P_PERSON]))
        bad = "person";
    else if (v[P_OUTCOME] && strcmp(v[P_OUTCOME], "allowed") && strcmp(v[P_OUTCOME], "denied") &&
             strcmp(v[P_OUTCOME], "not_found"))
        bad = "outcome";
    else if (v[P_ACTION] && (strlen(v[P_ACTION]) == 0 || strlen(v[P_ACTION]) > 32))
        bad = "action";
    else if (v[P_FROM] && !validate_timestamp(v[P_FROM]))
        bad = "from";
    else if (v[P_TO] && !validate_timestamp(v[P_TO]))
        bad = "to";
    else if (v[P_BEFORE] && (strtoll(v[P_BEFORE], &end, 10) <= 0 || *end))
        bad = "before";
    else if (v[P_LIMIT] && (strtol(v[P_LIMIT], &end, 10) < 1 || strtol(v[P_LIMIT], NULL, 10) > 500 || *end))
        bad = "limit";
    if (bad)
        problem_send(ctx, 400, "validation",
                     "invalid filter (uuid, allowed|denied|not_found, RFC 3339 time, id, 1-500)",
                     bad);
    return bad == NULL;
}

static json_t *row_json(const PGresult *r, int i)
{
    json_t *o = json_object();
    static const char *const names[] = {"id", "at", "user_id", "username", "person_id",
                                        "household_id", "action", "field_groups", "purpose",
                                        "outcome", "reason", "request_id", "partner_id"};
    for (int c = 0; o && c < 13; c++) {
        json_t *v = PQgetisnull(r, i, c) ? json_null()
                    : c == 0 ? json_integer(strtoll(PQgetvalue(r, i, c), NULL, 10))
                    : c == 7 ? json_loads(PQgetvalue(r, i, c), 0, NULL)
                             : json_string(PQgetvalue(r, i, c));
        json_object_set_new(o, names[c], v ? v : json_null());
    }
    return o;
}

void h_audit_access(struct http_ctx *ctx)
{
    const char *v[P_COUNT];
    PGresult *r = NULL;
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !read_filters(ctx, v) || !api_begin(ctx))
        return;
    const char *p[] = {v[P_USER], v[P_PERSON], v[P_ACTION], v[P_OUTCOME], v[P_FROM], v[P_TO],
                       v[P_BEFORE], v[P_LIMIT] ? v[P_LIMIT] : "50"};
    enum db_status st = db_exec(ctx_db(ctx), "audit_page", 8, p, &r);
    if (st == DB_OK)
        st = api_audit(ctx, v[P_PERSON], NULL, "audit_read", "{}", purpose, "allowed", "dpo_review");
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = json_array();
    int n = PQntuples(r), limit = atoi(p[7]);
    for (int i = 0; items && i < n; i++)
        json_array_append_new(items, row_json(r, i));
    json_t *o = json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_before",
                          n == limit ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10))
                                     : json_null());
    PQclear(r);
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}

/* ---- GET /v1/audit/logins ---- */

static const char *const login_params[] = {"user", "event", "outcome", "from", "to", "before",
                                           "limit", NULL};

static json_t *login_json(const PGresult *r, int i)
{
    static const char *const names[] = {"id", "at", "user_id", "username", "actor_id", "event",
                                        "outcome", "ip", "request_id"};
    json_t *o = json_object();
    for (int c = 0; o && c < 9; c++)
        json_object_set_new(o, names[c], c == 0 ? json_integer(strtoll(PQgetvalue(r, i, 0), NULL, 10))
                                                : api_text(r, i, c));
    return o;
}

void h_audit_logins(struct http_ctx *ctx)
{
    const char **keys, **vals, *v[7] = {0}, *bad = NULL;
    PGresult *r = NULL;
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos))
        return;
    if (!http_query(ctx, &keys, &vals)) {
        problem_send(ctx, 400, "validation", "the query string cannot be parsed", NULL);
        return;
    }
    for (size_t i = 0; keys[i] && !bad; i++) {
        int k = 0;
        while (login_params[k] && strcmp(login_params[k], keys[i]) != 0)
            k++;
        if (login_params[k] == NULL || v[k])
            bad = keys[i];
        else
            v[k] = vals[i];
    }
    char *end;
    if (!bad && v[0] && !validate_uuid(v[0]))
        bad = "user";
    else if (!bad && ((v[3] && !validate_timestamp(v[3])) || (v[4] && !validate_timestamp(v[4]))))
        bad = v[3] && !validate_timestamp(v[3]) ? "from" : "to";
    else if (!bad && v[5] && (strtoll(v[5], &end, 10) <= 0 || *end))
        bad = "before";
    else if (!bad && v[6] && (strtol(v[6], &end, 10) < 1 || strtol(v[6], NULL, 10) > 500 || *end))
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
    enum db_status st = db_exec(ctx_db(ctx), "login_page", 7, v, &r);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, NULL, "audit_read", "{}", purpose, "allowed", "login_events");
    if (st != DB_OK) {
        PQclear(r);
        api_db_fail(ctx, st);
        return;
    }
    int n = PQntuples(r);
    json_t *items = json_array();
    for (int i = 0; items && i < n; i++)
        json_array_append_new(items, login_json(r, i));
    json_t *o = json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_before",
                          n == atoi(v[6]) ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10))
                                          : json_null());
    PQclear(r);
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}
