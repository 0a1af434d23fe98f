/* Integration: GET /v1/statistics and the cells crt_stats_refresh publishes — suppression,
 * complementary suppression, differencing attacks, the reporting role, controller isolation
 * and the access-log row — against a real crt-api and PostgreSQL. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define COORD "atlas.coordinator"

/* The superuser connection of this test process (one, kept until the process ends). */
static PGconn *su(void)
{
    static PGconn *c;
    if (c == NULL)
        c = db_super();
    return c;
}

/* A year of registrations only this test process uses (each test its own offset k): earlier
 * runs' persons of that year are removed first, so the counts below are exact. */
static int test_year(int k)
{
    int y = 2030 + (int)((getpid() * 7 + k) % 69);
    char from[16];
    snprintf(from, sizeof from, "%d-01-01", y);
    const char *p[] = {from};
    cr_assert(sql_ok(su(), "DELETE FROM persons WHERE registration_date >= $1::date "
                                 "AND registration_date < $1::date + interval '1 year'",
                     1, p));
    return y;
}

/* n persons of controller ctl registered on the 15th of month y-m, living at postcode. */
static void seed(const char *ctl, int n, int y, int m, const char *postcode, const char *status)
{
    char count[16], day[16];
    snprintf(count, sizeof count, "%d", n);
    snprintf(day, sizeof day, "%d-%02d-15", y, m);
    const char *p[] = {ctl, count, day, postcode, status};
    cr_assert(sql_ok(su(),
                     "INSERT INTO persons (controller_id, first_name, last_name, gender, "
                     "birth_date, address_postcode, residence_status, registration_date, "
                     "sources, created_by) "
                     "SELECT c.id, 'Stat' || g, 'Statistiek', 'female', date '1990-01-01' + g, "
                     "$4, $5, $3::date, '{\"first_name\":\"person\"}', "
                     "(SELECT id FROM staff_users WHERE controller_id = c.id ORDER BY username "
                     "LIMIT 1) FROM controllers c, generate_series(1, $2::int) g WHERE c.code = $1",
                     5, p));
}

/* Runs the refresh as the job's role (crt_review), threshold 10. */
static void refresh(void)
{
    PGconn *c = su();
    cr_assert(sql_ok(c, "SET ROLE crt_review", 0, NULL));
    bool ok = sql_ok(c, "SELECT crt_stats_refresh(10, date '2099-12-31')", 0, NULL);
    cr_assert(sql_ok(c, "RESET ROLE", 0, NULL));
    cr_assert(ok, "the job role refreshes the cells");
}

/* GET /v1/statistics?query as token; 200 expected; the caller frees r. */
static void stats(struct resp *r, const char *token, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stats(struct resp *r, const char *token, const char *fmt, ...)
{
    char q[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    api_reqf_token(r, "GET", token, NULL, "/v1/statistics?%s", q);
    cr_assert_eq(r->status, 200, "%s: %s", q, r->body);
}

/* The row (key, category) of rows[] (key NULL: of totals[]), or NULL. */
static json_t *cell(const struct resp *r, const char *key, const char *category)
{
    json_t *a = json_object_get(r->json, key ? "rows" : "totals"), *it;
    size_t i;
    json_array_foreach(a, i, it) {
        const char *k = json_string_value(json_object_get(it, "key"));
        if ((!key || (k && strcmp(k, key) == 0)) &&
            strcmp(json_string_value(json_object_get(it, "category")), category) == 0)
            return it;
    }
    return NULL;
}

/* The published count of a cell; -1 when suppressed (n null), -2 when absent. */
static long n_of(const struct resp *r, const char *key, const char *category)
{
    json_t *c = cell(r, key, category);
    if (c == NULL)
        return -2;
    json_t *n = json_object_get(c, "n");
    return json_is_null(n) ? -1 : (long)json_integer_value(n);
}

/* Every n in the answer (rows and totals) differs from each of the forbidden values. */
static void no_n_equal(const struct resp *r, const long *bad, int nbad)
{
    const char *arrays[] = {"rows", "totals"};
    for (int a = 0; a < 2; a++) {
        json_t *it;
        size_t i;
        json_array_foreach(json_object_get(r->json, arrays[a]), i, it) {
            json_t *n = json_object_get(it, "n");
            for (int b = 0; json_is_integer(n) && b < nbad; b++)
                cr_assert_neq(json_integer_value(n), bad[b], "a hidden count %ld leaks: %s",
                              bad[b], r->body);
        }
    }
}

Test(statistics, small_cells_and_their_complement_are_suppressed_and_no_person_leaves)
{
    int y = test_year(0);
    char m[8];
    snprintf(m, sizeof m, "%d-01", y);
    seed("atlas", 30, y, 1, "2000", "refugee");
    seed("atlas", 4, y, 1, "2000", "applicant");
    seed("atlas", 15, y, 1, "2000", "temporary_protection");
    refresh();
    struct resp r;
    stats(&r, harness_token(COORD), "figure=residence_status&from=%s&to=%s&area=20xx", m, m);
    cr_assert_eq(n_of(&r, m, "refugee"), 30, "%s", r.body);
    cr_assert_eq(n_of(&r, m, "applicant"), -1, "4 < 10 is suppressed: %s", r.body);
    cr_assert_eq(n_of(&r, m, "temporary_protection"), -1,
                 "the smallest other cell is suppressed too: %s", r.body);
    cr_assert_eq(n_of(&r, NULL, "applicant"), -1, "the total of a suppressed cell is too");
    cr_assert_eq(json_integer_value(json_object_get(r.json, "threshold")), 10);
    cr_assert_not_null(json_string_value(json_object_get(r.json, "refreshed_at")));
    cr_assert_null(strstr(r.body, "Statistiek"), "no name leaves");
    cr_assert_null(strstr(r.body, "-15"), "no exact date leaves");
    resp_free(&r);

    /* Differencing via the group total: registrations (49) minus refugee (30) is 19, the two
     * suppressed cells together: neither 4 nor 15 is found anywhere. */
    stats(&r, harness_token(COORD), "figure=registrations&from=%s&to=%s&area=20xx", m, m);
    cr_assert_eq(n_of(&r, m, "all"), 49, "%s", r.body);
    resp_free(&r);
    const long hidden[] = {4, 15};
    for (int by = 0; by < 2; by++) {
        stats(&r, harness_token(COORD), "figure=residence_status&from=%s&to=%s&by=%s", m, m,
              by ? "area" : "month");
        no_n_equal(&r, hidden, 2);
        resp_free(&r);
    }

    /* CSV: the same cells, suppressed ones empty, no names. */
    stats(&r, harness_token(COORD), "figure=residence_status&from=%s&to=%s&area=20xx&format=csv",
          m, m);
    cr_assert_str_eq(resp_header(&r, "content-type"), "text/csv; charset=utf-8");
    char line[64];
    snprintf(line, sizeof line, "%s,applicant,,1\r\n", m);
    cr_assert_not_null(strstr(r.body, line), "%s", r.body);
    snprintf(line, sizeof line, "%s,refugee,30,0\r\n", m);
    cr_assert_not_null(strstr(r.body, line), "%s", r.body);
    resp_free(&r);
}

Test(statistics, two_overlapping_queries_do_not_difference_to_a_suppressed_cell)
{
    int y = test_year(1);
    char m1[8], m2[8];
    snprintf(m1, sizeof m1, "%d-01", y);
    snprintf(m2, sizeof m2, "%d-02", y);
    seed("atlas", 40, y, 1, "2000", "refugee");
    seed("atlas", 3, y, 2, "2000", "refugee"); /* the cell to protect */
    seed("atlas", 25, y, 2, "3000", "refugee");
    refresh();
    struct resp a, b;
    /* Two months, all areas, minus the first month: the true second month is 28. */
    stats(&a, harness_token(COORD), "figure=registrations&from=%s&to=%s", m1, m2);
    stats(&b, harness_token(COORD), "figure=registrations&from=%s&to=%s", m1, m1);
    long ta = n_of(&a, NULL, "all"), tb = n_of(&b, NULL, "all");
    cr_assert_eq(tb, 40, "%s", b.body);
    cr_assert_eq(ta, 65, "sums add published cells only: %s", a.body);
    cr_assert_eq(ta - tb, 25, "the difference is the published 30xx cell, not 28");
    cr_assert_eq(json_integer_value(json_object_get(cell(&a, NULL, "all"), "suppressed_cells")),
                 1, "the answer says a cell is left out");
    cr_assert_eq(n_of(&a, m2, "all"), 25, "%s", a.body);
    resp_free(&b);
    /* The same by area: 20xx over both months minus 20xx in the first month is 0, not 3. */
    stats(&b, harness_token(COORD), "figure=registrations&from=%s&to=%s&by=area", m1, m2);
    cr_assert_eq(n_of(&b, "20xx", "all"), 40, "%s", b.body);
    const long hidden[] = {3, 28, 43, 68};
    no_n_equal(&a, hidden, 4);
    no_n_equal(&b, hidden, 4);
    resp_free(&a);
    resp_free(&b);
    stats(&a, harness_token(COORD), "figure=registrations&from=%s&to=%s&area=20xx", m2, m2);
    cr_assert_eq(n_of(&a, m2, "all"), -1, "the 3 is suppressed where asked for alone");
    resp_free(&a);
}

Test(statistics, joint_figures_hide_what_another_controller_adds_and_per_controller_stays_own)
{
    int y = test_year(2);
    char m[8];
    snprintf(m, sizeof m, "%d-03", y);
    seed("atlas", 12, y, 3, "4000", "refugee");
    seed("ingent", 3, y, 3, "4000", "refugee");  /* joint 15, but atlas could subtract 12 */
    seed("ingent", 20, y, 3, "5000", "applicant");
    seed("huis", 30, y, 3, "5000", "applicant");
    refresh();
    struct resp r;
    stats(&r, harness_token(COORD), "figure=registrations&from=%s&to=%s&by=area", m, m);
    cr_assert_eq(n_of(&r, "40xx", "all"), 12, "the own controller's cell: %s", r.body);
    cr_assert_eq(n_of(&r, "50xx", "all"), -2, "no other controller's cell per controller");
    resp_free(&r);
    stats(&r, harness_token(COORD), "figure=registrations&from=%s&to=%s&by=area&scope=joint",
          m, m);
    cr_assert_eq(n_of(&r, "40xx", "all"), -1,
                 "15 jointly, but 15 - 12 = 3 would be ingent's: suppressed: %s", r.body);
    cr_assert_eq(n_of(&r, "50xx", "all"), 50, "%s", r.body);
    const long hidden[] = {3, 15};
    no_n_equal(&r, hidden, 2);
    resp_free(&r);
    stats(&r, harness_token("huis.coordinator"),
          "figure=registrations&from=%s&to=%s&by=area", m, m);
    cr_assert_eq(n_of(&r, "50xx", "all"), 30, "%s", r.body);
    cr_assert_eq(n_of(&r, "40xx", "all"), -2, "huis sees nothing of atlas");
    resp_free(&r);
}

Test(statistics, reporting_reads_aggregates_and_no_person_route)
{
    struct account rep;
    struct resp r;
    char last[64];
    cr_assert(account_new(&rep, "atlas", "reporting"));
    unique_name(last, sizeof last, "Reporting");
    char *id = create_person("atlas.intake", "Mira", last, "1991-03-04");
    cr_assert_not_null(id);
    refresh();
    stats(&r, rep.token, "figure=intake");
    resp_free(&r);

    const char *routes[][2] = {{"GET", "/v1/persons?birth_date=1991-03-04&q=%s"}, {"GET", "/v1/me/persons?q=%s"},
                               {"GET", "/v1/persons/%s"},   {"GET", "/v1/persons/%s/trajectory"},
                               {"GET", "/v1/persons/%s/referrals"},
                               {"GET", "/v1/persons/%s/export"}, {"GET", "/v1/persons/%s/flags"},
                               {"GET", "/v1/persons/%s/assignments"},
                               {"GET", "/v1/persons/%s/rectifications"},
                               {"GET", "/v1/persons/%s/requests"},
                               {"GET", "/v1/requests"},
                               {"GET", "/v1/audit/access"}, {"GET", "/v1/caseworkers"}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        bool by_name = strstr(routes[i][1], "q=") != NULL;
        api_reqf_token(&r, routes[i][0], rep.token, NULL, routes[i][1], by_name ? last : id);
        cr_assert(r.status == 403 || r.status == 404, "%s %s: %d %s", routes[i][0],
                  routes[i][1], r.status, r.body);
        cr_assert_null(strstr(r.body, last), "no person data: %s", r.body);
        resp_free(&r);
    }
    char body[240];
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"A\",\"last_name\":\"%s\","
                                "\"birth_date\":\"1990-01-01\"}}", last);
    api_reqf_token(&r, "POST", rep.token, body, "/v1/persons");
    cr_assert_eq(r.status, 403, "reporting registers no one: %s", r.body);
    resp_free(&r);
    api_reqf_token(&r, "POST", rep.token, "{\"reason\":\"an emergency at the reception desk today\"}",
                   "/v1/persons/%s/break-glass", id);
    cr_assert(r.status == 403 || r.status == 404, "no break-glass either: %d %s", r.status, r.body);
    cr_assert_null(strstr(r.body, last));
    resp_free(&r);

    /* In the database too: the role reads no field group and RLS shows it no person. */
    const char *role[] = {"reporting"};
    cr_assert_eq(sql_long(su(), "SELECT count(*) FROM role_field_access WHERE role = $1 "
                                      "AND (can_read OR can_write)", 1, role), 0);
    PGconn *c = db_api();
    cr_assert(api_context(c, "3", "reporting", rep.user_id));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons", 0, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM trajectory_entries", 0, NULL), 0);
    cr_assert(sql_long(c, "SELECT count(*) FROM stats_cells", 0, NULL) > 0);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
    /* The other roles of the register are refused the aggregates. */
    api_reqf(&r, "GET", "atlas.intake", NULL, "/v1/statistics");
    cr_assert_eq(r.status, 403, "%s", r.body);
    resp_free(&r);
    free(id);
    account_free(&rep);
}

Test(statistics, each_read_is_logged_as_an_aggregate_access_without_a_person)
{
    struct account rep;
    struct resp r;
    cr_assert(account_new(&rep, "atlas", "reporting"));
    stats(&r, rep.token, "figure=nt2&scope=joint");
    resp_free(&r);
    stats(&r, rep.token, "figure=buddy&format=csv");
    resp_free(&r);
    const char *u[] = {rep.user_id};
    cr_assert_eq(sql_long(su(), "SELECT count(*) FROM access_log WHERE user_id = $1 "
                                      "AND action = 'statistics' AND person_id IS NULL "
                                      "AND household_id IS NULL AND purpose = 'statistics' "
                                      "AND reason IN ('nt2', 'buddy')", 1, u), 2);
    cr_assert_eq(sql_long(su(), "SELECT count(*) FROM access_log WHERE user_id = $1 "
                                      "AND person_id IS NOT NULL", 1, u), 0);
    account_free(&rep);
}

Test(statistics, bad_parameters_name_their_field_and_the_threshold_has_a_floor)
{
    const char *bad[][2] = {{"figure=names", "figure"}, {"from=2024-13", "from"},
                            {"from=2024-05&to=2024-04", "to"}, {"area=2000", "area"},
                            {"scope=all", "scope"}, {"by=day", "by"}, {"format=xml", "format"}};
    struct resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_reqf(&r, "GET", COORD, NULL, "/v1/statistics?%s", bad[i][0]);
        cr_assert_eq(r.status, 400, "%s: %s", bad[i][0], r.body);
        cr_assert_str_eq(json_string_value(json_object_get(r.json, "field")), bad[i][1]);
        resp_free(&r);
    }
    PGconn *c = su();
    PGresult *res = PQexec(c, "SELECT crt_stats_refresh(1)");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "a threshold of 1 publishes everyone");
    PQclear(res);
}
