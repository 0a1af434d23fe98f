/* Statistics (GET /v1/statistics): de-identified aggregates of the controller or of the joint
 * controllers, read from the cells the refresh job published (small cells already suppressed),
 * as JSON or CSV, for coordinators and the reporting role; each read is logged without a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static const char *const stats_roles[] = {"coordinator", "reporting", NULL};
static const char *const stats_figures[] = {
    "registrations", "residence_status", "age_gender", "household_size", "minor_children",
    "intake", "info_session", "social_orientation", "nt2", "test_result", "childcare", "buddy",
    "referral", "first_intake_days", NULL};

enum { S_KEY, S_CATEGORY, S_N, S_SUPPRESSED, S_TOTAL };

struct stats_query {
    const char *figure, *from, *to, *area, *scope, *by, *format;
};

static bool stats_one_of(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(v, *set) == 0)
            return true;
    return false;
}

/* "YYYY-MM" with a month 01..12 and a year 2000..2099. */
static bool stats_month(const char *v)
{
    return strlen(v) == 7 && v[0] == '2' && v[1] == '0' && v[2] >= '0' && v[2] <= '9' &&
           v[3] >= '0' && v[3] <= '9' && v[4] == '-' &&
           ((v[5] == '0' && v[6] >= '1' && v[6] <= '9') || (v[5] == '1' && v[6] >= '0' && v[6] <= '2'));
}

/* A fixed postcode area ("10xx" .. "99xx"), "unknown" or "all". */
static bool stats_area(const char *v)
{
    if (strcmp(v, "all") == 0 || strcmp(v, "unknown") == 0)
        return true;
    return strlen(v) == 4 && v[0] >= '1' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9' &&
           strcmp(v + 2, "xx") == 0;
}

/* Reads and validates the query string; false after answering 400 naming the parameter. */
static bool stats_params(struct http_ctx *ctx, struct stats_query *q)
{
    static const char *const names[] = {"figure", "from", "to", "area", "scope", "by", "format",
                                        NULL};
    static const char *const scopes[] = {"controller", "joint", NULL};
    static const char *const bys[] = {"month", "area", NULL};
    static const char *const formats[] = {"json", "csv", NULL};
    const char *v[7];
    if (!api_query(ctx, names, v))
        return false;
    *q = (struct stats_query){v[0] ? v[0] : "registrations", v[1] ? v[1] : "2000-01",
                              v[2] ? v[2] : "2099-12", v[3] ? v[3] : "all",
                              v[4] ? v[4] : "controller", v[5] ? v[5] : "month",
                              v[6] ? v[6] : "json"};
    const char *field = NULL, *detail = NULL;
    if (!stats_one_of(q->figure, stats_figures))
        field = "figure", detail = "one of the figures in docs/statistics.md";
    else if (!stats_month(q->from))
        field = "from", detail = "a month YYYY-MM";
    else if (!stats_month(q->to) || strcmp(q->to, q->from) < 0)
        field = "to", detail = "a month YYYY-MM, not before from";
    else if (!stats_area(q->area))
        field = "area", detail = "all, unknown or a postcode area such as 20xx";
    else if (!stats_one_of(q->scope, scopes))
        field = "scope", detail = "controller or joint";
    else if (!stats_one_of(q->by, bys))
        field = "by", detail = "month or area";
    else if (!stats_one_of(q->format, formats))
        field = "format", detail = "json or csv";
    if (field)
        problem_send(ctx, 400, "validation", detail, field);
    return field == NULL;
}

static json_t *stats_row(const PGresult *r, int i, bool with_key)
{
    json_t *o = json_pack("{s:s, s:o, s:i}", "category", PQgetvalue(r, i, S_CATEGORY), "n",
                          PQgetisnull(r, i, S_N) ? json_null()
                                                 : json_integer(atoll(PQgetvalue(r, i, S_N))),
                          "suppressed_cells", atoi(PQgetvalue(r, i, S_SUPPRESSED)));
    if (o && with_key && json_object_set_new(o, "key", json_string(PQgetvalue(r, i, S_KEY))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* {"rows": [...], "totals": [...]} from the result (totals: the rows whose key is grouped). */
static json_t *stats_json_rows(const PGresult *r)
{
    json_t *rows = json_array(), *totals = json_array();
    for (int i = 0; rows && totals && i < PQntuples(r); i++) {
        bool total = PQgetvalue(r, i, S_TOTAL)[0] == '1';
        json_t *row = stats_row(r, i, !total);
        if (row == NULL || json_array_append_new(total ? totals : rows, row) != 0) {
            json_decref(rows);
            rows = NULL;
        }
    }
    json_t *o = rows && totals ? json_pack("{s:O, s:O}", "rows", rows, "totals", totals) : NULL;
    json_decref(rows);
    json_decref(totals);
    return o;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading
 * = + - @ is prefixed with ' so that a spreadsheet does not read a formula. */
static void stats_csv_field(FILE *f, const char *v)
{
    bool quote = strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', f);
    if (strchr("=+-@", v[0]) && v[0])
        fputc('\'', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    if (quote)
        fputc('"', f);
}

/* The CSV body (malloc'ed; NULL when out of memory). */
static char *stats_csv(const PGresult *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    fputs("key,category,n,suppressed_cells\r\n", f);
    for (int i = 0; i < PQntuples(r); i++) {
        stats_csv_field(f, PQgetvalue(r, i, S_TOTAL)[0] == '1' ? "total" : PQgetvalue(r, i, S_KEY));
        fputc(',', f);
        stats_csv_field(f, PQgetvalue(r, i, S_CATEGORY));
        fprintf(f, ",%s,%s\r\n", PQgetisnull(r, i, S_N) ? "" : PQgetvalue(r, i, S_N),
                PQgetvalue(r, i, S_SUPPRESSED));
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The answer's head: the selection, the threshold and the freshness of the cells. */
static json_t *stats_head(const struct stats_query *q, const PGresult *fresh)
{
    bool any = PQntuples(fresh) == 1;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o}", "figure", q->figure,
                     "scope", q->scope, "from", q->from, "to", q->to, "area", q->area, "by",
                     q->by, "refreshed_at", any ? PQgetvalue(fresh, 0, 0) : NULL, "as_of",
                     any ? PQgetvalue(fresh, 0, 1) : NULL, "threshold",
                     any ? json_integer(atoi(PQgetvalue(fresh, 0, 2))) : json_null());
}

static void stats_answer(struct http_ctx *ctx, const struct stats_query *q, const PGresult *r,
                         const PGresult *fresh)
{
    if (strcmp(q->format, "csv") == 0) {
        char *csv = stats_csv(r);
        if (csv == NULL) {
            api_db_fail(ctx, DB_ERROR); /* rolls back, answers 500 */
            return;
        }
        if (!api_commit(ctx)) {
            free(csv);
            return;
        }
        http_send_text(ctx, 200, "text/csv; charset=utf-8", csv);
        free(csv);
        return;
    }
    json_t *o = stats_head(q, fresh), *rows = stats_json_rows(r);
    if (o && rows && json_object_update(o, rows) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(rows);
    api_commit_send(ctx, 200, o);
}

void h_statistics(struct http_ctx *ctx)
{
    struct stats_query q;
    PGresult *r = NULL, *fresh = NULL;
    if (!api_require_role(ctx, stats_roles) || !stats_params(ctx, &q) || !api_begin(ctx))
        return;
    const char *p[] = {q.figure, q.scope, q.from, q.to, q.area, q.by};
    enum db_status st = db_exec(ctx_db(ctx), "stats_cells", 6, p, &r);
    if (st == DB_OK)
        st = db_exec(ctx_db(ctx), "stats_freshness", 0, NULL, &fresh);
    if (st == DB_OK)
        st = api_audit(ctx, NULL, NULL, "statistics", "{}", "statistics", "allowed", q.figure);
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        stats_answer(ctx, &q, r, fresh);
    PQclear(r);
    PQclear(fresh);
}
