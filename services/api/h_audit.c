/* The DPO's view of their own controller's logs: the access log (filters user, person, action,
 * outcome, purpose, reason, time range; JSON pages or the filtered rows as CSV), the login
 * events (recovery-code use, lockouts, …), the failed authentications of its partners, pages
 * newest first, and the state of the log's seals. Reading a log is itself logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api.h"

#define CSV_MAX "10000"

static const char *const dpos[] = {"dpo", NULL};
static const char *const params[] = {"user", "person", "action", "outcome", "from", "to",
                                     "before", "limit", "purpose", "reason", "format", NULL};
enum { P_USER, P_PERSON, P_ACTION, P_OUTCOME, P_FROM, P_TO, P_BEFORE, P_LIMIT, P_PURPOSE,
       P_REASON, P_FORMAT, P_COUNT };

/* CSV when format=csv, or without format when Accept names text/csv. */
static bool csv_wanted(struct http_ctx *ctx, const char **v)
{
    if (v[P_FORMAT])
        return strcmp(v[P_FORMAT], "csv") == 0;
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Accept");
    return accept && strstr(accept, "text/csv") != NULL;
}

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
    else if (v[P_PURPOSE] && (strlen(v[P_PURPOSE]) == 0 || strlen(v[P_PURPOSE]) > 64))
        bad = "purpose";
    else if (v[P_REASON] && (strlen(v[P_REASON]) == 0 || strlen(v[P_REASON]) > 64))
        bad = "reason";
    else if (v[P_FORMAT] && strcmp(v[P_FORMAT], "csv") != 0 && strcmp(v[P_FORMAT], "json") != 0)
        bad = "format";
    else if (v[P_LIMIT] && !validate_int(v[P_LIMIT], 1, csv_wanted(ctx, v) ? 10000 : 500))
        bad = "limit";
    if (bad)
        problem_send(ctx, 400, "validation",
                     "invalid filter (uuid, allowed|denied|not_found, RFC 3339 time, id, purpose "
                     "and reason up to 64 characters, format csv|json, limit 1-500, CSV 1-10000)",
                     bad);
    return bad == NULL;
}

/* The columns of audit_page. */
static const struct api_col log_cols[] = {
    {"id", COL_INT}, {"at", COL_TEXT}, {"user_id", COL_TEXT}, {"username", COL_TEXT},
    {"person_id", COL_TEXT}, {"household_id", COL_TEXT}, {"action", COL_TEXT},
    {"field_groups", COL_JSON}, {"purpose", COL_TEXT}, {"outcome", COL_TEXT},
    {"reason", COL_TEXT}, {"request_id", COL_TEXT}, {"partner_id", COL_TEXT}};

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a text that a
 * spreadsheet would run as a formula (= + - @ tab CR first) gets a leading apostrophe. False
 * when the buffer could not grow. */
static bool csv_field(struct evbuffer *b, const char *s, bool last)
{
    bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
    bool ok = true;
    if (strpbrk(s, ",\"\r\n") == NULL && !formula) {
        ok = evbuffer_add(b, s, strlen(s)) == 0;
    } else {
        ok = evbuffer_add(b, formula ? "\"'" : "\"", formula ? 2 : 1) == 0;
        for (const char *c = s; ok && *c; c++)
            ok = evbuffer_add(b, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1) == 0;
        ok = ok && evbuffer_add(b, "\"", 1) == 0;
    }
    return ok && evbuffer_add(b, last ? "\r\n" : ",", last ? 2 : 1) == 0;
}

/* The rows of r as CSV with a header line, every column of log_cols in order (r is cleared);
 * commits, then answers 200 text/csv as a download. When the rows reached limit, the header
 * X-CRT-Rows-Capped says that older rows matching the filter were left out. */
static void send_csv(struct http_ctx *ctx, PGresult *r, int limit)
{
    struct evbuffer *b = evbuffer_new();
    int n = API_NCOLS(log_cols), rows = PQntuples(r);
    bool ok = b != NULL;
    for (int c = 0; ok && c < n; c++)
        ok = csv_field(b, log_cols[c].name, c == n - 1);
    for (int i = 0; ok && i < rows; i++)
        for (int c = 0; ok && c < n; c++)
            ok = csv_field(b, PQgetvalue(r, i, c), c == n - 1);
    PQclear(r);
    if (!ok || evbuffer_add(b, "", 1) != 0) {
        if (b)
            evbuffer_free(b);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 500, "internal", "the response could not be built", NULL);
        return;
    }
    if (api_commit(ctx)) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(ctx->req);
        evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"access-log.csv\"");
        if (rows == limit) {
            char cap[16];
            snprintf(cap, sizeof cap, "%d", limit);
            evhttp_add_header(h, "X-CRT-Rows-Capped", cap);
        }
        http_send_text(ctx, 200, "text/csv; charset=utf-8", (const char *)evbuffer_pullup(b, -1));
    }
    evbuffer_free(b);
}

void h_audit_access(struct http_ctx *ctx)
{
    const char *v[P_COUNT];
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !read_filters(ctx, v) || !api_begin(ctx))
        return;
    bool csv = csv_wanted(ctx, v);
    const char *p[] = {v[P_USER],   v[P_PERSON], v[P_ACTION],
                       v[P_OUTCOME], v[P_FROM],  v[P_TO],
                       v[P_BEFORE], v[P_LIMIT] ? v[P_LIMIT] : csv ? CSV_MAX : "50",
                       v[P_PURPOSE], v[P_REASON]};
    PGresult *r = api_read_logged(ctx, "audit_page", 10, p, v[P_PERSON], "audit_read", purpose,
                                  csv ? "dpo_review_export" : "dpo_review");
    if (r == NULL)
        return;
    if (csv) {
        send_csv(ctx, r, atoi(p[7]));
        return;
    }
    json_t *o = api_page(api_row_array(r, log_cols, API_NCOLS(log_cols)), r, atoi(p[7]));
    PQclear(r);
    api_commit_send(ctx, 200, o);
}

/* ---- GET /v1/audit/seal ---- */

/* Columns of seal_state (statements.c). */
enum { S_ID, S_AT, S_ROWS, S_TXID_TO, S_SEALS, S_TOTAL, S_VRESULT, S_VSTART, S_VEND, S_VSEALS,
       S_VPROBLEMS, S_CLEAN_AT };

static json_t *num_or_null(const PGresult *r, int c)
{
    return PQgetisnull(r, 0, c) ? json_null() : json_integer(strtoll(PQgetvalue(r, 0, c), NULL, 10));
}

/* The answer from seal_state s and seal_unsealed u: the last seal, the last verify, this
 * controller's unsealed rows and the alarms a DPO must act on. */
static json_t *seal_json(const PGresult *s, const PGresult *u, int max_age_s)
{
    long long oldest_s = strtoll(PQgetvalue(u, 0, 2), NULL, 10);
    bool verified = !PQgetisnull(s, 0, S_VRESULT);
    json_t *alarms = json_array();
    if (verified && strcmp(PQgetvalue(s, 0, S_VRESULT), "clean") != 0)
        json_array_append_new(alarms, json_string("verify_failed"));
    if (oldest_s > max_age_s)
        json_array_append_new(alarms, json_string("seal_overdue"));
    json_t *last = PQgetisnull(s, 0, S_ID)
                       ? json_null()
                       : json_pack("{s:o, s:o, s:o}", "id", num_or_null(s, S_ID), "sealed_at",
                                   api_text(s, 0, S_AT), "rows", num_or_null(s, S_ROWS));
    json_t *verify = !verified ? json_null()
                               : json_pack("{s:o, s:o, s:o, s:o, s:o}", "result",
                                           api_text(s, 0, S_VRESULT), "started_at",
                                           api_text(s, 0, S_VSTART), "finished_at",
                                           api_text(s, 0, S_VEND), "seals", num_or_null(s, S_VSEALS),
                                           "problems", num_or_null(s, S_VPROBLEMS));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:i, s:o}", "last_seal", last, "seals",
                     num_or_null(s, S_SEALS), "rows_sealed", num_or_null(s, S_TOTAL),
                     "last_verify", verify, "last_clean_verify_at", api_text(s, 0, S_CLEAN_AT),
                     "unsealed_rows", (json_int_t)strtoll(PQgetvalue(u, 0, 0), NULL, 10),
                     "oldest_unsealed_at", api_text(u, 0, 1), "max_age_s", max_age_s, "alarms",
                     alarms);
}

void h_audit_seal(struct http_ctx *ctx)
{
    const char *v[1];
    static const char *const none[] = {NULL};
    PGresult *u = NULL;
    const char *purpose = api_purpose(ctx, "audit");
    if (purpose == NULL || !api_require_role(ctx, dpos) || !api_query(ctx, none, v) ||
        !api_begin(ctx))
        return;
    PGresult *s = api_read_logged(ctx, "seal_state", 0, NULL, NULL, "audit_read", purpose,
                                  "log_seal");
    if (s == NULL)
        return;
    enum db_status st = PQntuples(s) == 1 ? DB_OK : DB_ERROR; /* a DPO always gets the row */
    const char *p[] = {st == DB_OK && !PQgetisnull(s, 0, S_TXID_TO) ? PQgetvalue(s, 0, S_TXID_TO)
                                                                     : NULL};
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "seal_unsealed", 1, p, &u);
    json_t *o = st == DB_OK ? seal_json(s, u, ctx_worker(ctx)->cfg->seal_max_age_s) : NULL;
    PQclear(s);
    PQclear(u);
    if (o == NULL) {
        api_db_fail(ctx, st == DB_OK ? DB_ERROR : st);
        return;
    }
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
