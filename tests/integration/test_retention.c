/* Integration: retention — the per-controller policy and retention date, and `crtctl retention`:
 * a dry run changes nothing, --apply erases only persons past their date (legal holds kept,
 * consenting persons marked for export first and erased once exported), a rerun is harmless,
 * and access-log partitions past the log retention are dropped only when sealed, each drop
 * recorded so that verification can tell it from tampering. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* crtctl retention ARGS: exit status, output into out. */
static int retention(char *out, size_t n, const char *args)
{
    return ctl_run(out, n, "retention %s", args);
}

/* An atlas person whose temporary protection ended on status_end (NULL: still running); the
 * last name into last. */
static char *person_with_status(const char *status_end, char *last, size_t n)
{
    char body[512];
    struct resp r;
    unique_name(last, n, "Keep");
    char *id = create_person(INTAKE, "Iryna", last, "1979-09-09");
    cr_assert_not_null(id);
    if (status_end == NULL)
        return id;
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"reason\":\"status from the residence card\",\"situation\":"
             "{\"residence_status\":\"temporary_protection\",\"residence_status_start\":\"2019-01-01\","
             "\"residence_status_end\":\"%s\"}}", status_end);
    api_reqf(&r, "PATCH", COORD, body, "/v1/persons/%s", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    return id;
}

static void flags(const char *id, const char *body)
{
    struct resp r;
    api_reqf(&r, "PATCH", COORD, body, "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
}

static long exists(const char *id)
{
    PGconn *c = db_super();
    const char *q[] = {id};
    long n = sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid", 1, q);
    PQfinish(c);
    return n;
}

static long tombstones(const char *id)
{
    PGconn *c = db_super();
    const char *q[] = {id};
    long n = sql_long(c, "SELECT count(*) FROM person_tombstones WHERE person_id = $1::uuid "
                         "AND reason = 'retention' AND request_number IS NULL", 1, q);
    PQfinish(c);
    return n;
}

/* The line of the job's output about one person, or NULL. */
static const char *line_of(const char *out, const char *id) { return strstr(out, id); }

static bool says(const char *out, const char *id, const char *what)
{
    const char *l = line_of(out, id), *e = l ? strchr(l, '\n') : NULL;
    const char *w = l ? strstr(l, what) : NULL;
    return w && (e == NULL || w < e);
}

Test(retention, the_retention_date_follows_the_controllers_policy)
{
    char last[64];
    struct resp r;
    /* far ahead: the job, running beside this test, must not find the person due */
    char *id = person_with_status("2199-03-31", last, sizeof last);
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/flags", id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *ret = json_object_get(r.json, "retention");
    cr_assert_str_eq(jstr(ret, "basis"), "status_end", "the CRT default");
    cr_assert_str_eq(jstr(ret, "retention_date"), "2199-09-30", "six months after the status ends");
    resp_free(&r);

    /* The other regulations' policies, tried in a transaction that is rolled back. */
    flags(id, "{\"guidance_ended_on\":\"2021-02-28\",\"reason\":\"guidance completed\"}");
    PGconn *c = db_super();
    const char *q[] = {id};
    static const char *const policies[][3] = {
        {"guidance_end", "5 years", "2026-02-28"}, /* VluchtelingenWerk */
        {"registration", "2 years", NULL},        /* Xtra: registration + 2 years */
        {"last_contact", "15 years", NULL},       /* Woongroep */
    };
    for (size_t i = 0; i < 3; i++) {
        const char *p[] = {policies[i][0], policies[i][1], id};
        cr_assert(sql_ok(c, "BEGIN", 0, NULL));
        cr_assert(sql_ok(c, "UPDATE controllers SET retention_basis = $1, retention_period = $2::interval "
                            "WHERE code = 'atlas'", 2, p), "%s", PQerrorMessage(c));
        PGresult *x = PQexecParams(c, "SELECT retention_date::text, "
                                      "(SELECT (registration_date + interval '2 years')::date::text "
                                      " FROM persons WHERE id = $1::uuid), "
                                      "(SELECT (GREATEST(registration_date, (updated_at AT TIME ZONE 'UTC')::date) "
                                      " + interval '15 years')::date::text FROM persons WHERE id = $1::uuid) "
                                      "FROM person_retention WHERE person_id = $1::uuid",
                                   1, NULL, q, NULL, NULL, 0);
        cr_assert_eq(PQntuples(x), 1, "%s", PQerrorMessage(c));
        const char *want = policies[i][2] ? policies[i][2] : PQgetvalue(x, 0, i == 1 ? 1 : 2);
        cr_assert_str_eq(PQgetvalue(x, 0, 0), want, "%s + %s", policies[i][0], policies[i][1]);
        PQclear(x);
        cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    }
    PQfinish(c);
    free(id);
}

/* One test, in order: the job acts on the whole database, so its steps must not interleave. */
Test(retention, the_job_erases_only_expired_persons_and_is_safe_to_rerun, .timeout = 120)
{
    char last[6][64], out[65536], month_ago[16], later[16], args[64];
    struct resp r;
    PGconn *c = db_super();
    PGresult *d = PQexec(c, "SELECT (current_date - interval '1 month')::date::text, "
                            "(current_date + interval '6 months')::date::text");
    snprintf(month_ago, sizeof month_ago, "%s", PQgetvalue(d, 0, 0));
    snprintf(later, sizeof later, "%s", PQgetvalue(d, 0, 1));
    PQclear(d);
    PQfinish(c);
    char *expired = person_with_status("2020-01-15", last[0], sizeof last[0]);
    char *running = person_with_status("2199-01-01", last[1], sizeof last[1]);
    char *open_ended = person_with_status(NULL, last[2], sizeof last[2]);
    char *held = person_with_status("2020-01-15", last[3], sizeof last[3]);
    /* consented, status ended a month ago: marked for export within the bound (migration 023;
     * a consenting person past the bound is erased: test_rules.c) */
    char *consenting = person_with_status(month_ago, last[4], sizeof last[4]);
    char *recent = person_with_status(month_ago, last[5], sizeof last[5]);
    flags(held, "{\"legal_hold\":\"subsidy audit until 2031 (Flemish decree)\",\"reason\":\"audit letter\"}");
    flags(consenting, "{\"transfer_consent\":true,\"reason\":\"signed consent form\"}");

    /* a dry run lists and changes nothing */
    cr_assert_eq(retention(out, sizeof out, "--only persons"), 0, "%s", out);
    cr_assert(says(out, expired, "would erase"), "%s", out);
    cr_assert(says(out, held, "held"), "%s", out);
    cr_assert(says(out, consenting, "mark_for_export"), "%s", out);
    cr_assert_null(line_of(out, running));
    cr_assert_null(line_of(out, open_ended));
    cr_assert_null(line_of(out, recent), "status ended a month ago: kept five more months");
    for (int i = 0; i < 6; i++)
        cr_assert_null(strstr(out, last[i]), "no names in the report");
    cr_assert_eq(exists(expired), 1, "a dry run erases nothing");

    /* --apply */
    cr_assert_eq(retention(out, sizeof out, "--only persons --apply"), 0, "%s", out);
    cr_assert(says(out, expired, "erased"), "%s", out);
    cr_assert(says(out, consenting, "marked_for_export"), "%s", out);
    cr_assert(says(out, held, "held"), "%s", out);
    cr_assert_eq(exists(expired), 0);
    cr_assert_eq(tombstones(expired), 1);
    c = db_super();
    const char *q[] = {expired};
    cr_assert_geq(sql_long(c, "SELECT count(*) FROM review_facts WHERE person_id = $1::uuid "
                              "AND kind = 'record'", 1, q), 1,
                 "the review keeps who registered the erased person (migration 017)");
    PQfinish(c);
    cr_assert_eq(exists(held), 1, "a retention duty keeps the person");
    cr_assert_eq(exists(consenting), 1, "marked for export first");
    cr_assert_eq(exists(running) + exists(open_ended) + exists(recent), 3);

    /* a rerun finds only what is left */
    cr_assert_eq(retention(out, sizeof out, "--only persons --apply"), 0, "%s", out);
    cr_assert_null(line_of(out, expired), "%s", out);
    cr_assert(says(out, consenting, "awaiting_export"), "%s", out);
    cr_assert_eq(tombstones(expired), 1);

    /* the export for the transfer is made; the next run erases */
    api_reqf(&r, "GET", COORD, NULL, "/v1/persons/%s/export", consenting);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(jstr(json_object_get(r.json, "status"), "export_marked_at"));
    resp_free(&r);
    cr_assert_eq(retention(out, sizeof out, "--only persons --apply"), 0, "%s", out);
    cr_assert(says(out, consenting, "erased"), "%s", out);
    cr_assert_eq(exists(consenting), 0);
    cr_assert_eq(exists(held), 1);

    /* --as-of shows what a later day would bring, without --apply only */
    snprintf(args, sizeof args, "--only persons --as-of %s", later);
    cr_assert_eq(retention(out, sizeof out, args), 0, "%s", out);
    cr_assert(says(out, recent, "would"), "%s", out);
    snprintf(args, sizeof args, "--only persons --apply --as-of %s", later);
    cr_assert_eq(retention(out, sizeof out, args), 2, "erasure is as of today");
    cr_assert_eq(exists(recent), 1);
    free(expired);
    free(running);
    free(open_ended);
    free(held);
    free(consenting);
    free(recent);
}

/* A monthly partition far in the past with three rows; its name into name. */
static void old_partition(PGconn *owner, PGconn *super, char name[32])
{
    char month[16];
    PGresult *m = PQexec(super, "SELECT m::date::text FROM generate_series(date '1901-01-01', "
                                "date '1998-12-01', interval '1 month') m WHERE NOT EXISTS (SELECT 1 "
                                "FROM log_partition_drops d WHERE d.partition_name = "
                                "'access_log_' || to_char(m, 'YYYYMM')) AND to_regclass('access_log_' "
                                "|| to_char(m, 'YYYYMM')) IS NULL ORDER BY random() LIMIT 1");
    cr_assert_eq(PQntuples(m), 1, "a month never used: %s", PQerrorMessage(super));
    snprintf(month, sizeof month, "%s", PQgetvalue(m, 0, 0));
    PQclear(m);
    snprintf(name, 32, "access_log_%.4s%.2s", month, month + 5);
    const char *p[] = {month};
    cr_assert(sql_ok(owner, "SELECT crt_access_log_ensure_partitions($1::timestamptz, 1)", 1, p),
              "%s", PQerrorMessage(owner));
    cr_assert(sql_ok(super, "INSERT INTO access_log (at, controller_id, action, purpose, outcome, "
                            "request_id) SELECT $1::timestamptz + make_interval(days => g), 3, "
                            "'search', 'guidance', 'allowed', 'old' FROM generate_series(1, 3) g",
                     1, p), "%s", PQerrorMessage(super));
}

/* A seal covering every transaction so far (as crt-review would write one). */
static void seal_everything(PGconn *super)
{
    static const char hex[] = "'0000000000000000000000000000000000000000000000000000000000000000'";
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO log_seals (id, prev_id, txid_from, txid_to, row_count, manifest_sha256, "
             "prev_chain, chain, key_id, signature, sealed_at) SELECT COALESCE(max(id), 0) + 1, "
             "max(id), 0, pg_current_xact_id()::text::bigint, 0, %s, %s, %s, 'test', 'test', now() "
             "FROM log_seals", hex, hex, hex);
    /* ids as test_reviews_api.c takes them: one seal writer at a time */
    cr_assert(sql_ok(super, "BEGIN", 0, NULL));
    cr_assert(sql_ok(super, "LOCK TABLE log_seals IN SHARE ROW EXCLUSIVE MODE", 0, NULL));
    cr_assert(sql_ok(super, sql, 0, NULL), "%s", PQerrorMessage(super));
    cr_assert(sql_ok(super, "COMMIT", 0, NULL));
}

Test(retention, old_log_partitions_are_dropped_only_when_sealed_and_each_drop_is_recorded)
{
    char name[32], out[65536];
    PGconn *owner = db_owner(), *super = db_super();
    old_partition(owner, super, name);
    const char *q[] = {name};
    cr_assert_eq(retention(out, sizeof out, "--only log --log-months 24"), 0, "%s", out);
    cr_assert_not_null(strstr(out, name), "listed in the dry run: %s", out);

    /* rows no seal covers yet are never dropped */
    PGresult *r = PQexec(super, "SELECT max(txid_to) FROM log_seals");
    bool sealed_before = !PQgetisnull(r, 0, 0);
    PQclear(r);
    if (!sealed_before) {
        cr_assert_eq(retention(out, sizeof out, "--only log --apply --log-months 24"), 0, "%s", out);
        cr_assert_not_null(strstr(out, "unsealed"), "%s", out);
        cr_assert_eq(sql_long(super, "SELECT count(*) FROM pg_class WHERE relname = $1", 1, q), 1);
    }
    seal_everything(super);
    char digest[65];
    r = PQexecParams(super, "SELECT encode(sha256(convert_to(string_agg(id::text, E'\\n' ORDER BY id), "
                            "'UTF8')), 'hex') FROM access_log WHERE request_id = 'old' "
                            "AND tableoid = $1::regclass", 1, NULL, q, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(super));
    snprintf(digest, sizeof digest, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);

    cr_assert_eq(retention(out, sizeof out, "--only log --apply --log-months 24"), 0, "%s", out);
    cr_assert_not_null(strstr(out, "dropped (3 rows)"), "%s", out);
    cr_assert_eq(sql_long(super, "SELECT count(*) FROM pg_class WHERE relname = $1", 1, q), 0,
                 "the partition is gone");
    const char *d[] = {name, digest};
    cr_assert_eq(sql_long(super, "SELECT count(*) FROM log_partition_drops WHERE partition_name = $1 "
                                 "AND row_count = 3 AND ids_sha256 = $2 AND first_row_id < last_row_id "
                                 "AND log_retention = '24 months' AND range_to = range_from + interval '1 month'",
                          2, d), 1, "the drop is recorded with its digest");
    cr_assert_not(sql_ok(super, "DELETE FROM log_partition_drops WHERE partition_name = $1", 1, q),
                  "the record is append-only");

    cr_assert_eq(retention(out, sizeof out, "--only log --apply --log-months 24"), 0, "%s", out);
    cr_assert_null(strstr(out, name), "a rerun has nothing more to drop: %s", out);
    PQfinish(owner);
    PQfinish(super);
}
