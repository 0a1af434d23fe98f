/* Integration: the API the DPO console adds (issue 14) against a real crt-api and PostgreSQL —
 * access-log filters and CSV export, findings paged and filtered by user with their evidence
 * rows, new findings per rule, the seal state with recorded verify runs, and the DPO's extension. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define DPO "atlas.dpo"

static const char *dpo(void) { return harness_token(DPO); }
static long jint(json_t *o, const char *k) { return (long)json_integer_value(json_object_get(o, k)); }
static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* Inserts a log row of controller ctl (as the superuser) and returns its id. */
static long log_row(PGconn *c, const char *ctl, const char *action, const char *purpose,
                    const char *reason, const char *person, const char *age)
{
    const char *p[] = {ctl, action, purpose, reason, person, age};
    long id = sql_long(c,
                       "INSERT INTO access_log (controller_id, person_id, action, purpose, outcome, "
                       "reason, request_id, at) SELECT id, $5::uuid, $2, $3, 'allowed', $4, "
                       "'test-dpo', now() - $6::interval FROM controllers WHERE code = $1 "
                       "RETURNING id",
                       6, p);
    cr_assert_gt(id, 0, "seed log row: %s", PQerrorMessage(c));
    return id;
}

/* The id of controller code as text (api_context takes the id). */
static const char *ctl_id(const char *code)
{
    static char out[8];
    PGconn *c = db_super();
    const char *p[] = {code};
    snprintf(out, sizeof out, "%ld", sql_long(c, "SELECT id FROM controllers WHERE code = $1", 1, p));
    PQfinish(c);
    return out;
}

/* The number of lines (CRLF-terminated) of a CSV body. */
static int csv_lines(const char *body)
{
    int n = 0;
    for (const char *s = body; (s = strstr(s, "\r\n")); s += 2)
        n++;
    return n;
}

/* ---- the access log ---- */

Test(dpo_console, access_log_filters_by_purpose_and_reason_and_exports_them_as_csv)
{
    char tag[48], reason[64], formula[96];
    unique_name(tag, sizeof tag, "rsn");
    snprintf(reason, sizeof reason, "dpo-%s", tag);
    snprintf(formula, sizeof formula, "=HYPERLINK(\"x\",\"%s\")", tag);
    PGconn *c = db_super();
    log_row(c, "atlas", "read", "integration", reason, NULL, "1 minute");
    log_row(c, "atlas", "read", "integration", reason, NULL, "2 minutes");
    log_row(c, "atlas", "search", "integration", reason, NULL, "3 minutes");
    log_row(c, "atlas", "read", "statistics", reason, NULL, "4 minutes");
    log_row(c, "ingent", "read", "integration", reason, NULL, "1 minute");
    log_row(c, "atlas", "read", "integration", formula, NULL, "1 minute");
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?reason=%s", reason);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 4,
                 "the controller's four rows with that reason, not the other controller's: %s", r.body);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?reason=%s&purpose=integration&action=read",
                   reason);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 2, "%s", r.body);
    resp_free(&r);

    /* The same filter as CSV: a header line and exactly the rows of the JSON answer. */
    api_reqf_token(&r, "GET", dpo(), NULL,
                   "/v1/audit/access?reason=%s&purpose=integration&action=read&format=csv", reason);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(resp_header(&r, "Content-Type"), "text/csv") != NULL);
    cr_assert(strstr(resp_header(&r, "Content-Disposition"), "attachment") != NULL);
    cr_assert(strncmp(r.body, "id,at,user_id,username,person_id,", 33) == 0, "%s", r.body);
    cr_assert_eq(csv_lines(r.body), 3, "header and two rows: %s", r.body);
    const char *line = strstr(r.body, "\r\n") + 2;
    cr_assert(strstr(line, ",read,") && strstr(line, reason) && strstr(line, ",integration,"), "%s", line);
    cr_assert_null(strstr(r.body, ",search,"), "a row outside the filter: %s", r.body);
    resp_free(&r);

    /* A CSV cut at its limit says so; one that holds every matching row does not. */
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?reason=%s&format=csv&limit=2", reason);
    cr_assert_eq(csv_lines(r.body), 3, "%s", r.body);
    cr_assert_str_eq(resp_header(&r, "X-CRT-Rows-Capped"), "2");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?reason=%s&format=csv&limit=10", reason);
    cr_assert_eq(csv_lines(r.body), 5, "header and the four rows: %s", r.body);
    cr_assert_null(resp_header(&r, "X-CRT-Rows-Capped"));
    resp_free(&r);

    /* Accept: text/csv asks for the same; a formula-like text is quoted and defused. */
    char path[256], headers[600];
    snprintf(path, sizeof path, "/v1/audit/access?purpose=integration&action=read&limit=50");
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\nAccept: text/csv\r\n", dpo());
    cr_assert_eq(api_req_headers(&r, "GET", path, headers, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"'=HYPERLINK(\"\"x\"\",\"\"") != NULL, "defused formula: %s", r.body);
    resp_free(&r);

    /* Reading the log as CSV is itself logged, with what was exported. */
    const char *u[] = {harness_username(DPO)};
    long logged = sql_long(c, "SELECT count(*) FROM access_log l JOIN staff_users s ON s.id = l.user_id "
                              "WHERE s.username = $1 AND l.action = 'audit_read' "
                              "AND l.reason = 'dpo_review_export'", 1, u);
    cr_assert_geq(logged, 2, "each CSV export is in the access log");
    PQfinish(c);
}

Test(dpo_console, access_log_refuses_bad_filters_and_other_roles)
{
    static const char *const bad[][2] = {
        {"purpose=", "purpose"},
        {"reason=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "reason"},
        {"format=xml", "format"},
        {"limit=600", "limit"},
        {"format=csv&limit=10001", "limit"}};
    struct resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?%s", bad[i][0]);
        cr_assert_eq(r.status, 400, "%s: %s", bad[i][0], r.body);
        cr_assert_str_eq(jstr(r.json, "field"), bad[i][1], "%s", bad[i][0]);
        resp_free(&r);
    }
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/access?format=csv&limit=600");
    cr_assert_eq(r.status, 200, "a CSV may hold up to 10000 rows: %s", r.body);
    resp_free(&r);
    api_reqf(&r, "GET", "atlas.intake", NULL, "/v1/audit/access?format=csv");
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_null(strstr(r.body, "\r\n"), "no CSV for an intake user");
    resp_free(&r);
}

/* ---- findings ---- */

struct seeded {
    long review, f[3], rows[2];
    char user[40], other[40];
};

/* A review of atlas with a case of user (two findings, high and medium, the first with the
 * evidence rows[]) and a finding of another user; all new in this review. */
static void seed(struct seeded *s)
{
    PGconn *c = db_super();
    char name[64], name2[64];
    unique_name(name, sizeof name, "atlas.dpoc");
    unique_name(name2, sizeof name2, "atlas.dpoo");
    const char *p[] = {name, name2};
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "LOCK TABLE log_seals IN SHARE ROW EXCLUSIVE MODE", 0, NULL));
    s->review = sql_long(c,
        "WITH seal AS (INSERT INTO log_seals (id, prev_id, txid_from, txid_to, row_count, "
        "manifest_sha256, prev_chain, chain, key_id, signature, sealed_at) SELECT "
        "COALESCE(max(id), 0) + 1, max(id), 0, 0, 0, repeat('0', 64), repeat('0', 64), "
        "repeat('ab', 32), 'test', 'test', now() FROM log_seals RETURNING id), "
        "run AS (INSERT INTO review_runs (seal_id, finished_at, log_rows) SELECT id, now(), 10 "
        "FROM seal RETURNING id) INSERT INTO reviews (run_id, controller_id, window_from, "
        "window_to, log_rows, accesses, explained) SELECT run.id, c.id, now() - interval "
        "'1 hour', now(), 10, 8, 6 FROM run, controllers c WHERE c.code = 'atlas' RETURNING id",
        0, NULL);
    cr_assert_gt(s->review, 0, "%s", PQerrorMessage(c));
    PGresult *r = PQexecParams(c, "INSERT INTO staff_users (controller_id, username, display_name, "
                                  "role) SELECT id, unnest(ARRAY[$1::text, $2::text]), 'Subject', 'caseworker' "
                                  "FROM controllers WHERE code = 'atlas' RETURNING id::text",
                               2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(s->user, sizeof s->user, "%s", PQgetvalue(r, 0, 0));
    snprintf(s->other, sizeof s->other, "%s", PQgetvalue(r, 1, 0));
    PQclear(r);
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    s->rows[0] = log_row(c, "atlas", "break_glass", "integration", "a colleague asked", NULL,
                         "30 minutes");
    s->rows[1] = log_row(c, "atlas", "read", "integration", "break_glass", NULL, "29 minutes");
    char rv[24], r0[24], r1[24];
    snprintf(rv, sizeof rv, "%ld", s->review);
    snprintf(r0, sizeof r0, "%ld", s->rows[0]);
    snprintf(r1, sizeof r1, "%ld", s->rows[1]);
    const char *q[] = {s->user};
    long case_id = sql_long(c, "INSERT INTO review_cases (controller_id, user_id, narrative) "
                               "SELECT id, $1::uuid, 'used break-glass and read at night' "
                               "FROM controllers WHERE code = 'atlas' RETURNING id", 1, q);
    cr_assert_gt(case_id, 0, "%s", PQerrorMessage(c));
    char cs[24];
    snprintf(cs, sizeof cs, "%ld", case_id);
    static const char *const spec[][3] = {{"BG-01", "high", "u"}, {"NT-01", "medium", "u"},
                                          {"VO-01", "low", "o"}};
    for (int i = 0; i < 3; i++) {
        const char *f[] = {rv, spec[i][2][0] == 'u' ? s->user : s->other, spec[i][0], spec[i][1],
                           spec[i][2][0] == 'u' ? cs : NULL, r0, r1};
        s->f[i] = sql_long(c,
            "INSERT INTO review_findings (controller_id, rule_id, severity, dedup_key, user_id, "
            "first_review_id, last_review_id, case_id, first_at, last_at, summary, evidence) "
            "SELECT c.id, $3, $4, 'dpo:' || gen_random_uuid(), $2::uuid, $1::bigint, $1::bigint, "
            "$5::bigint, now() - interval '30 minutes', now(), 'seeded', "
            "jsonb_build_object('log_ids', jsonb_build_array($6::bigint, $7::bigint)) "
            "FROM controllers c WHERE c.code = 'atlas' RETURNING id",
            7, f);
        cr_assert_gt(s->f[i], 0, "%s", PQerrorMessage(c));
    }
    PQfinish(c);
}

Test(dpo_console, findings_are_paged_filtered_by_user_with_their_evidence_rows)
{
    struct seeded s;
    seed(&s);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?user=%s&limit=1", s.review, s.user);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r.body);
    json_t *f = json_array_get(items, 0);
    cr_assert_eq(jint(f, "id"), s.f[0], "the most severe finding of the case first");
    cr_assert_eq(jint(r.json, "next_offset"), 1, "%s", r.body);
    json_t *ev = json_object_get(f, "evidence_rows");
    cr_assert_eq(json_array_size(ev), 2, "the two log rows behind it: %s", r.body);
    json_t *row = json_array_get(ev, 0);
    cr_assert_eq(jint(row, "id"), s.rows[0]);
    cr_assert_str_eq(jstr(row, "action"), "break_glass");
    cr_assert_str_eq(jstr(row, "purpose"), "integration");
    cr_assert_str_eq(jstr(row, "reason"), "a colleague asked");
    cr_assert(json_is_null(json_object_get(row, "person_name")),
              "the DPO's role reads no identification: no name");
    cr_assert_str_eq(jstr(json_object_get(f, "case"), "narrative"), "used break-glass and read at night");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?user=%s&limit=1&offset=1",
                   s.review, s.user);
    items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r.body);
    cr_assert_eq(jint(json_array_get(items, 0), "id"), s.f[1]);
    cr_assert(json_is_null(json_object_get(r.json, "next_offset")), "the last page: %s", r.body);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?user=%s", s.review, s.other);
    items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r.body);
    cr_assert_eq(jint(json_array_get(items, 0), "id"), s.f[2], "only that user's findings");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?user=nope", s.review);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "user");
    resp_free(&r);
}

Test(dpo_console, deciding_and_replacing_filters_by_decision_and_keeps_the_history)
{
    struct seeded s;
    seed(&s);
    struct resp r;
    api_reqf_token(&r, "PATCH", dpo(), "{\"decision\":\"follow_up\",\"note\":\"ask the team\\nleader\"}",
                   "/v1/reviews/%ld/findings/%ld", s.review, s.f[1]);
    cr_assert_eq(r.status, 200, "%s", r.body);
    long first = jint(json_object_get(r.json, "decision"), "id");
    resp_free(&r);
    char body[160];
    snprintf(body, sizeof body, "{\"decision\":\"violation\",\"note\":\"confirmed\",\"replaces\":%ld}", first);
    api_reqf_token(&r, "PATCH", dpo(), body, "/v1/reviews/%ld/findings/%ld", s.review, s.f[1]);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *h = json_object_get(r.json, "history");
    cr_assert_eq(json_array_size(h), 2, "%s", r.body);
    cr_assert_str_eq(jstr(json_array_get(h, 0), "note"), "ask the team\nleader", "a note of two lines");
    cr_assert_eq(jint(json_array_get(h, 1), "replaces"), first);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?status=violation&user=%s",
                   s.review, s.user);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r.body);
    cr_assert_eq(jint(json_array_get(items, 0), "id"), s.f[1]);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?status=follow_up&user=%s",
                   s.review, s.user);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "replaced: %s", r.body);
    resp_free(&r);
}

Test(dpo_console, reviews_count_new_findings_per_rule_and_hide_from_other_controllers)
{
    struct seeded s;
    seed(&s);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld", s.review);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *by = json_object_get(r.json, "new_findings_by_rule");
    cr_assert_eq(jint(by, "BG-01"), 1, "%s", r.body);
    cr_assert_eq(jint(by, "NT-01"), 1);
    cr_assert_eq(jint(by, "VO-01"), 1);
    resp_free(&r);
    struct account other;
    cr_assert(account_new(&other, "ingent", "dpo"));
    api_reqf_token(&r, "GET", other.token, NULL, "/v1/reviews/%ld/findings", s.review);
    cr_assert_eq(r.status, 404, "another controller's DPO: not found (%s)", r.body);
    resp_free(&r);
    api_reqf_token(&r, "GET", other.token, NULL, "/v1/audit/access?user=%s", s.user);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0, "%s", r.body);
    resp_free(&r);
    account_free(&other);
}

/* ---- the seal state ---- */

static void verify_row(const char *result)
{
    PGconn *c = db_super();
    const char *p[] = {result};
    cr_assert(sql_ok(c, "INSERT INTO log_verify_runs (started_at, result, seals, problems) "
                        "VALUES (now(), $1, 3, CASE WHEN $1 = 'clean' THEN 0 ELSE 2 END)", 1, p),
              "%s", PQerrorMessage(c));
    PQfinish(c);
}

static bool has_alarm(json_t *o, const char *alarm)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(o, "alarms"), i, a)
    {
        if (strcmp(json_string_value(a), alarm) == 0)
            return true;
    }
    return false;
}

/* Runs crt-review verify once; its exit code, and in *mine how many verify runs recorded with
 * that result started since. On a missing row, crt-review's last output lines and the latest
 * recorded runs go to the test log. */
static int verify_once(PGconn *c, long *mine)
{
    char t0[40], out[] = "/tmp/crt-dpo-verify-XXXXXX", cmd[1200], tail[1600] = "";
    int fd = mkstemp(out);
    cr_assert_geq(fd, 0);
    close(fd);
    PGresult *tr = PQexec(c, "SELECT clock_timestamp()::text");
    cr_assert_eq(PQresultStatus(tr), PGRES_TUPLES_OK);
    snprintf(t0, sizeof t0, "%s", PQgetvalue(tr, 0, 0));
    PQclear(tr);
    snprintf(cmd, sizeof cmd, "%s verify >%s 2>&1", CRT_REVIEW_BIN, out);
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "crt-review verify ran");
    int rc = WEXITSTATUS(st);
    const char *p[] = {t0, rc == 0 ? "clean" : rc == 1 ? "altered" : "error"};
    *mine = sql_long(c, "SELECT count(*) FROM log_verify_runs WHERE started_at >= $1::timestamptz "
                        "AND result = $2", 2, p);
    FILE *f = fopen(out, "r");
    if (*mine < 1 && f && fseek(f, -(long)(sizeof tail - 1), SEEK_END) != 0)
        rewind(f);
    size_t n = *mine < 1 && f ? fread(tail, 1, sizeof tail - 1, f) : 0;
    tail[n] = '\0';
    if (f)
        fclose(f);
    unlink(out);
    if (*mine < 1) {
        PGresult *l = PQexec(c, "SELECT string_agg(format('%s %s..%s %s', id, started_at, "
                                "finished_at, result), '; ' ORDER BY id DESC) FROM "
                                "(SELECT * FROM log_verify_runs ORDER BY id DESC LIMIT 3) x");
        cr_log_warn("verify (exit %d, since %s) not recorded; latest runs: %s; output ends: %s", rc,
                    t0, PQresultStatus(l) == PGRES_TUPLES_OK ? PQgetvalue(l, 0, 0) : "?", tail);
        PQclear(l);
    }
    return rc;
}

/* crt-review verify against the test database records its outcome in log_verify_runs, and the
 * seal state answers it. */
static void verify_is_recorded(void)
{
    PGconn *c = db_super();
    long mine = 0;
    int rc = verify_once(c, &mine);
    const char *want = rc == 0 ? "clean" : rc == 1 ? "altered" : "error";
    cr_assert_geq(mine, 1, "this run recorded as %s (exit %d)", want, rc);
    PQfinish(c);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/seal");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(json_object_get(r.json, "last_verify"), "result"), want);
    cr_assert_eq(has_alarm(r.json, "verify_failed"), rc != 0, "%s", r.body);
    resp_free(&r);
}

/* Seconds since an RFC 3339 time, as the database counts them. */
static long age_s(const char *at)
{
    PGconn *c = db_super();
    const char *p[] = {at};
    long v = sql_long(c, "SELECT extract(epoch FROM now() - $1::timestamptz)::bigint", 1, p);
    PQfinish(c);
    return v;
}

Test(dpo_console, seal_state_says_when_verify_failed_and_when_sealing_stopped)
{
    struct resp r;
    /* One test, so that nothing else writes log_verify_runs meanwhile. */
    verify_is_recorded();
    verify_row("altered");
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/seal");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(json_object_get(r.json, "last_verify"), "result"), "altered");
    cr_assert_eq(jint(json_object_get(r.json, "last_verify"), "problems"), 2);
    cr_assert(has_alarm(r.json, "verify_failed"), "%s", r.body);
    resp_free(&r);
    verify_row("clean");
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/seal");
    cr_assert_str_eq(jstr(json_object_get(r.json, "last_verify"), "result"), "clean");
    cr_assert(!has_alarm(r.json, "verify_failed"), "%s", r.body);
    cr_assert_not_null(jstr(r.json, "last_clean_verify_at"));
    resp_free(&r);

    /* A row written three hours ago and not sealed since: crt-review has stopped. (A crt-review
     * run of another test may seal it meanwhile: then the alarm must be gone with it.) */
    PGconn *c = db_super();
    long row = log_row(c, "atlas", "read", "integration", "unsealed", NULL, "3 hours");
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/audit/seal");
    char rs[24];
    snprintf(rs, sizeof rs, "%ld", row);
    const char *rp[] = {rs};
    bool unsealed = sql_long(c, "SELECT count(*) FROM access_log WHERE id = $1::bigint AND txid >= "
                                "(SELECT COALESCE(max(txid_to), 0) FROM log_seals)", 1, rp) == 1;
    PQfinish(c);
    const char *oldest = jstr(r.json, "oldest_unsealed_at");
    cr_assert_eq(has_alarm(r.json, "seal_overdue"), oldest != NULL && age_s(oldest) > 7200,
                 "the alarm says whether a row waited too long: %s", r.body);
    if (unsealed) {
        cr_assert(has_alarm(r.json, "seal_overdue"), "%s", r.body);
        cr_assert_geq(jint(r.json, "unsealed_rows"), 1);
    }
    cr_assert_eq(jint(r.json, "max_age_s"), 7200);
    resp_free(&r);

    api_reqf(&r, "GET", "atlas.intake", NULL, "/v1/audit/seal");
    cr_assert_eq(r.status, 403, "%s", r.body);
    resp_free(&r);
    c = db_api();
    cr_assert(api_context(c, ctl_id("atlas"), "intake", NULL));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM crt_seal_state()", 0, NULL), 0,
                 "the definer function answers nothing to another role");
    PQfinish(c);
}

/* ---- the register: the DPO extends ---- */

/* The date days ago (0: today) as the database counts days, YYYY-MM-DD. */
static void day_ago(const char *days, char out[16])
{
    PGconn *c = db_super();
    const char *p[] = {days};
    PGresult *r = PQexecParams(c, "SELECT (current_date - $1::int)::text", 1, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(out, 16, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

/* A request about a fresh atlas person received days ago; its id (malloc'ed). */
static char *request_received(const char *days_ago)
{
    char last[48], body[200], date[16];
    unique_name(last, sizeof last, "Dpo");
    char *person = create_person("atlas.intake", "Ana", last, "1990-02-03");
    cr_assert_not_null(person);
    day_ago(days_ago, date);
    snprintf(body, sizeof body, "{\"kind\":\"access\",\"received_on\":\"%s\",\"identity_check\":\"eid\"}",
             date);
    struct resp r;
    api_reqf(&r, "POST", "atlas.intake", body, "/v1/persons/%s/requests", person);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jstr(r.json, "id"));
    resp_free(&r);
    free(person);
    return id;
}

Test(dpo_console, the_dpo_extends_a_request_but_does_not_decide_it)
{
    char *id = request_received("20");
    char today[16], body[240];
    day_ago("0", today);
    PGconn *c = db_super();
    snprintf(body, sizeof body, "{\"months\":1,\"reason\":\"the file is kept at two offices\","
                                "\"person_told_on\":\"%s\"}", today);
    struct resp r;
    api_reqf(&r, "POST", DPO, body, "/v1/requests/%s/extension", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(json_object_get(r.json, "extension"), "months"), 1, "%s", r.body);
    resp_free(&r);
    api_reqf(&r, "POST", DPO, "{\"decision\":\"granted\"}", "/v1/requests/%s/decision", id);
    cr_assert_eq(r.status, 403, "deciding stays with the coordinators: %s", r.body);
    resp_free(&r);

    /* The database lets a DPO change nothing but the extension. */
    PGconn *a = db_api();
    cr_assert(api_context(a, ctl_id("atlas"), "dpo", NULL));
    const char *p[] = {id};
    cr_assert(!sql_ok(a, "UPDATE rights_requests SET status = 'granted', decided_on = current_date, "
                         "reasons = 'granted by the DPO' WHERE id = $1::uuid", 1, p));
    PQfinish(a);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM rights_requests WHERE id = $1::uuid "
                             "AND status = 'open'", 1, p), 1);
    PQfinish(c);

    /* An overdue request can no longer be extended: the person had to be told in time. */
    char *late = request_received("40");
    api_reqf(&r, "GET", DPO, NULL, "/v1/requests?overdue=true");
    cr_assert(strstr(r.body, late) != NULL, "listed as overdue");
    resp_free(&r);
    api_reqf(&r, "POST", DPO, body, "/v1/requests/%s/extension", late);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "months");
    resp_free(&r);
    free(late);
    free(id);
}
