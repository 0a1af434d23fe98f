/* Integration: row-level security as the backstop — what the API role sees through plain SQL
 * with another controller's setting, with none, and on a reused connection; roles, grants,
 * the append-only log with its one writer and canonical form, and the plan shape of the RLS
 * predicate. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness.h"
#include "review.h"

static char person_id[40];

/* An Atlas person written as the owner, within Atlas's context (RLS is forced on the owner). */
static void seed_atlas_person(void)
{
    PGconn *c = db_owner();
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '3', true), "
                        "set_config('crt.role', 'coordinator', true)", 0, NULL));
    PGresult *r = PQexec(c, "INSERT INTO persons (controller_id, first_name, last_name, birth_date, "
                            "sources, created_by) SELECT 3, 'Rls', 'Backstop', '1990-01-01', '{}', id "
                            "FROM staff_users WHERE username = 'atlas.intake' RETURNING id::text");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(person_id, sizeof person_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    PQfinish(c);
}

TestSuite(rls, .init = seed_atlas_person);

static long visible(PGconn *c, const char *controller)
{
    const char *p[] = {controller, person_id};
    if (controller)
        cr_assert(api_context(c, controller, "coordinator", NULL));
    else
        cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    long n = sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid", 1, p + 1);
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    return n;
}

Test(rls, another_controllers_setting_sees_nothing)
{
    PGconn *c = db_api();
    cr_assert_eq(visible(c, "4"), 0, "IN-Gent must not see Atlas's person");
    cr_assert_eq(visible(c, "3"), 1, "Atlas sees its own person");
    PQfinish(c);
}

Test(rls, no_setting_sees_nothing)
{
    PGconn *c = db_api();
    cr_assert_eq(visible(c, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons", 0, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM staff_users", 0, NULL), 0);
    PQfinish(c);
}

Test(rls, a_reused_connection_sees_nothing_after_a_transaction_local_setting)
{
    PGconn *c = db_api();
    cr_assert_eq(visible(c, "3"), 1);
    /* current_setting(…, true) is now '' rather than NULL on this connection. */
    PGresult *r = PQexec(c, "SELECT current_setting('crt.controller_id', true)");
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "");
    PQclear(r);
    cr_assert_eq(visible(c, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons", 0, NULL), 0);
    PQfinish(c);
}

Test(rls, writing_a_row_for_another_controller_is_refused)
{
    PGconn *c = db_api();
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '4', true)", 0, NULL));
    PGresult *r = PQexec(c, "INSERT INTO persons (controller_id, first_name, last_name, birth_date, "
                            "sources, created_by) VALUES (3, 'Sneaky', 'Insert', '1990-01-01', '{}', "
                            "gen_random_uuid())");
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '4', true)", 0, NULL));
    const char *p[] = {person_id};
    r = PQexecParams(c, "UPDATE persons SET last_name = 'Changed' WHERE id = $1::uuid", 1, NULL, p,
                     NULL, NULL, 0);
    cr_assert_str_eq(PQcmdTuples(r), "0", "an update through another controller touches nothing");
    PQclear(r);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
}

Test(rls, the_api_role_owns_nothing_and_cannot_bypass)
{
    PGconn *c = db_super();
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM pg_roles WHERE rolname = 'crt_api' AND "
                             "(rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)", 0, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM pg_class WHERE relowner = "
                             "(SELECT oid FROM pg_roles WHERE rolname = 'crt_api')", 0, NULL), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM information_schema.role_table_grants WHERE "
                             "grantee = 'crt_api' AND privilege_type IN ('DELETE', 'TRUNCATE')", 0, NULL), 0);
    PQfinish(c);
}

Test(rls, every_table_with_a_controller_is_forced_under_rls)
{
    PGconn *c = db_super();
    const char *q = "SELECT count(*) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
                    "WHERE n.nspname = 'public' AND t.relkind IN ('r', 'p') AND NOT t.relispartition "
                    "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'controller_id') "
                    "AND t.relname <> 'controllers'";
    long tables = sql_long(c, q, 0, NULL);
    cr_assert_geq(tables, 6);
    char forced[1024];
    snprintf(forced, sizeof forced, "%s AND t.relrowsecurity AND t.relforcerowsecurity "
             "AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid)", q);
    cr_assert_eq(sql_long(c, forced, 0, NULL), tables);
    PQfinish(c);
}

Test(rls, the_setting_is_evaluated_once_per_query)
{
    PGconn *s = db_super();
    cr_assert(sql_ok(s, "ANALYZE persons", 0, NULL));
    PQfinish(s);
    PGconn *c = db_api();
    cr_assert(api_context(c, "3", "coordinator", NULL));
    PGresult *r = PQexec(c, "EXPLAIN SELECT * FROM persons WHERE birth_date = '1990-01-01'");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    bool initplan = false;
    for (int i = 0; i < PQntuples(r); i++)
        initplan |= strstr(PQgetvalue(r, i, 0), "InitPlan") != NULL;
    cr_assert(initplan, "the RLS predicate must be an InitPlan (evaluated once)");
    PQclear(r);
    /* On a tiny test table a sequential scan is cheaper; forbid it to see the index is usable
     * with the RLS predicate (the InitPlan's value becomes an index condition). */
    cr_assert(sql_ok(c, "SET LOCAL enable_seqscan = off", 0, NULL));
    r = PQexec(c, "EXPLAIN SELECT * FROM persons WHERE birth_date = '1990-01-01'");
    bool index = false;
    for (int i = 0; i < PQntuples(r); i++)
        index |= strstr(PQgetvalue(r, i, 0), "Index Cond: (birth_date") != NULL ||
                 strstr(PQgetvalue(r, i, 0), "AND (birth_date") != NULL;
    cr_assert(index, "a birth-date query under RLS still uses the (controller_id, birth_date) index");
    PQclear(r);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
}

Test(rls, the_access_log_is_append_only)
{
    PGconn *api = db_api(), *owner = db_owner();
    cr_assert(api_context(api, "3", "intake", NULL));
    cr_assert(sql_ok(api, "INSERT INTO access_log (controller_id, action, purpose, outcome, request_id) "
                          "VALUES (3, 'read', 'guidance', 'allowed', 'rls-test')", 0, NULL));
    cr_assert(!sql_ok(api, "UPDATE access_log SET outcome = 'denied' WHERE request_id = 'rls-test'", 0, NULL));
    cr_assert(sql_ok(api, "ROLLBACK", 0, NULL));
    /* The owner: no DELETE policy, so RLS lets no row be deleted. */
    cr_assert(sql_ok(owner, "BEGIN", 0, NULL));
    cr_assert(sql_ok(owner, "SELECT set_config('crt.controller_id', '3', true), "
                            "set_config('crt.role', 'dpo', true)", 0, NULL));
    PGresult *r = PQexec(owner, "DELETE FROM access_log");
    cr_assert_str_eq(PQcmdTuples(r), "0", "RLS: the owner deletes nothing");
    PQclear(r);
    cr_assert(sql_ok(owner, "ROLLBACK", 0, NULL));
    /* A superuser bypasses RLS; the trigger still refuses. A row of its own (rolled back) makes
     * sure the row trigger has something to fire on, even in a log that is still empty. */
    PGconn *super = db_super();
    const char *attempts[] = {"DELETE FROM access_log WHERE request_id IS NOT NULL",
                              "UPDATE access_log SET outcome = 'denied'"};
    for (int i = 0; i < 2; i++) {
        cr_assert(sql_ok(super, "BEGIN", 0, NULL));
        cr_assert(sql_ok(super, "INSERT INTO access_log (controller_id, action, purpose, outcome, "
                                "request_id) VALUES (3, 'read', 'guidance', 'allowed', 'rls-test')",
                         0, NULL));
        r = PQexec(super, attempts[i]);
        cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501", "the trigger refuses: %s",
                         attempts[i]);
        PQclear(r);
        cr_assert(sql_ok(super, "ROLLBACK", 0, NULL));
    }
    PQfinish(super);
    r = PQexec(owner, "TRUNCATE access_log");
    cr_assert_neq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(api);
    PQfinish(owner);
}

/* ---- the access log's one writer and its canonical form (migration 020, D53) ---- */

/* No statement of the schema but crt_log_access() inserts into access_log, and no statement of
 * crt-api does: a second writer would be a second definition of a log row. */
Test(rls, the_access_log_has_one_writer)
{
    PGconn *s = db_super();
    PGresult *r = PQexec(s, "SELECT string_agg(p.proname, ', ' ORDER BY p.proname) FROM pg_proc p "
                            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
                            "AND p.prosrc ~* 'insert\\s+into\\s+(public\\.)?access_log\\M'");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(s));
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "crt_log_access", "functions inserting into access_log");
    PQclear(r);
    /* Every column of the log is written by the writer (or is a default of the table) and is
     * part of the canonical form: a column added without both fails here. */
    r = PQexec(s, "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = 'access_log'::regclass "
                  "AND a.attnum > 0 AND NOT a.attisdropped AND ("
                  "  (a.attname NOT IN ('id', 'at', 'txid') AND (SELECT prosrc FROM pg_proc "
                  "   WHERE proname = 'crt_log_access') !~ ('\\m' || a.attname || '\\M')) "
                  "  OR (SELECT prosrc FROM pg_proc WHERE proname = 'crt_log_canonical') "
                  "   !~ ('l\\.' || a.attname || '\\M'))");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(s));
    cr_assert_eq(PQntuples(r), 0, "column %s of access_log is not in the writer or the canonical form",
                 PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(s);
    int n = 0;
    const struct db_stmt *st = api_statements(&n);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++)
        cr_assert_null(strcasestr(st[i].sql, "INTO access_log"),
                       "crt-api's statement %s inserts into access_log itself", st[i].name);
}

/* Seals made before 020 still verify, and crt-review's C form is the schema's: for rows of every
 * shape (NULLs, a partner's row, text beyond ASCII, quoted array elements, times before 1970 and
 * with microseconds), the digest of crt_log_canonical() is the digest crt-review computes in C
 * (seal_row_canonical_digest, the form it used before 020 and again since D59). */
Test(rls, a_log_rows_canonical_bytes_are_those_sealed_before_020)
{
    PGconn *s = db_super();
    cr_assert(sql_ok(s, "BEGIN", 0, NULL));
    cr_assert(sql_ok(s, "INSERT INTO access_log (at, controller_id, user_id, person_id, household_id, "
                        "action, field_groups, purpose, outcome, reason, request_id, partner_id) VALUES "
                        "('2026-12-07 01:02:03.456789+01', 3, gen_random_uuid(), gen_random_uuid(), "
                        " gen_random_uuid(), 'read', '{identification,contact}', 'guidance', 'allowed', "
                        " 'coordinator_scope', 'canon-1', NULL), "
                        "('1969-07-20 20:17:40.5+00', 1, NULL, NULL, NULL, 'search', '{}', "
                        " 'registration', 'denied', NULL, 'canon-2', NULL), "
                        "(now(), 2, NULL, gen_random_uuid(), NULL, 'disclosure', "
                        " ARRAY['a b', 'c,d', 'e\"f', NULL], 'r\u00e9f\u00e9rence', 'allowed', "
                        " 'Zo\u00eb \u2713 ''quoted''', 'canon-3', gen_random_uuid())",
                     0, NULL), "%s", PQerrorMessage(s));
    PGresult *r = PQexec(s, "SELECT " SEAL_ROW_COLUMNS ", encode(sha256(crt_log_canonical(l)), 'hex') "
                            "AS sql_digest FROM access_log l WHERE request_id LIKE 'canon-%' ORDER BY id");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(s));
    cr_assert_eq(PQntuples(r), 3);
    struct seal_canon *canon = malloc(sizeof *canon);
    cr_assert(canon && seal_canon_init(canon));
    for (int i = 0; i < PQntuples(r); i++) {
        unsigned char dig[32];
        char hex[65];
        cr_assert(seal_row_canonical_digest(canon, r, i, dig));
        seal_hex(dig, 32, hex);
        cr_assert_str_eq(PQgetvalue(r, i, PQfnumber(r, "sql_digest")), hex,
                         "row %d: crt-review's canonical bytes differ", i);
    }
    seal_canon_free(canon);
    free(canon);
    PQclear(r);
    cr_assert(sql_ok(s, "ROLLBACK", 0, NULL));
    PQfinish(s);
}
