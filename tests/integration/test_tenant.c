/* Integration: the tenant context crt_api cannot forge (migration 019, D40) — settings crt_api
 * writes itself, or copies from an earlier transaction, match no row and open no definer function. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char person_id[40], dpo_id[40], ingent_user[40];

/* Rows to find: an Atlas person and an access-log row, written as the owner (trusted). */
static void seed(void)
{
    PGconn *c = db_owner();
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '3', true), "
                        "set_config('crt.role', 'coordinator', true)", 0, NULL));
    PGresult *r = PQexec(c, "INSERT INTO persons (controller_id, first_name, last_name, birth_date, "
                            "sources, created_by, name_bidx) SELECT 3, 'Tenant', 'Forged', '1991-02-03', '{}', id, "
                            "'tenant-' || gen_random_uuid() "
                            "FROM staff_users WHERE username = 'atlas.intake' RETURNING id::text");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(person_id, sizeof person_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    cr_assert(sql_ok(c, "INSERT INTO access_log (controller_id, action, purpose, outcome, request_id) "
                        "VALUES (3, 'read', 'guidance', 'allowed', 'tenant-seed')", 0, NULL));
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    PQfinish(c);
    PGconn *s = db_super();
    r = PQexec(s, "SELECT (SELECT id::text FROM staff_users WHERE username = 'atlas.dpo'), "
                  "(SELECT id::text FROM staff_users WHERE controller_id = 4 ORDER BY username LIMIT 1)");
    snprintf(dpo_id, sizeof dpo_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(ingent_user, sizeof ingent_user, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    PQfinish(s);
    cr_assert_eq(strlen(dpo_id), 36);
    cr_assert_eq(strlen(ingent_user), 36);
}

TestSuite(tenant, .init = seed);

/* Reference tables without personal data, readable in any context (partners: organisations,
 * which crt-api reads to authenticate a client before any context exists). */
static bool reference_table(const char *t)
{
    static const char *const ok[] = {"controllers", "roles", "field_groups", "role_field_access",
                                     "processing_purposes", "partners"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(t, ok[i]) == 0)
            return true;
    return false;
}

/* Rows visible in every relation crt_api may read, reference tables left out; in the open
 * transaction of c. */
static long rows_anywhere(PGconn *c)
{
    PGresult *rels = readable_relations(c);
    cr_assert_eq(PQresultStatus(rels), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    long total = 0;
    for (int i = 0; i < PQntuples(rels); i++) {
        const char *t = PQgetvalue(rels, i, 0);
        if (reference_table(t))
            continue;
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", t);
        long n = sql_long(c, sql, 0, NULL);
        cr_assert_geq(n, 0, "%s", t);
        if (n > 0)
            fprintf(stderr, "tenant: %ld rows of %s visible\n", n, t);
        total += n;
    }
    PQclear(rels);
    return total;
}

/* BEGIN, then the settings crt_api writes itself (a made-up session and signature). */
static void forge(PGconn *c, const char *controller, const char *role, const char *user)
{
    const char *p[] = {controller, role, user ? user : ""};
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', $1, true), "
                        "set_config('crt.role', $2, true), set_config('crt.user_id', $3, true), "
                        "set_config('crt.session_id', gen_random_uuid()::text, true), "
                        "set_config('crt.context_mac', repeat('0', 64), true)", 3, p));
}

Test(tenant, forged_settings_see_no_row_of_any_table)
{
    PGconn *c = db_api();
    /* the same rows are there for a real context: a coordinator's person, a DPO's log */
    cr_assert(api_context(c, "3", "coordinator", NULL));
    const char *q[] = {person_id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid", 1, q), 1);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    cr_assert(api_context(c, "3", "dpo", dpo_id));
    cr_assert_gt(sql_long(c, "SELECT count(*) FROM access_log", 0, NULL), 0);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    static const char *const roles[] = {"coordinator", "dpo", "intake", "education", "partner"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        forge(c, "3", roles[i], dpo_id);
        cr_assert_eq(rows_anywhere(c), 0, "forged %s context sees rows", roles[i]);
        cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    }
    PQfinish(c);
}

Test(tenant, a_signature_does_not_outlive_its_transaction_or_its_values)
{
    PGconn *c = db_api();
    cr_assert(api_context(c, "3", "dpo", dpo_id));
    PGresult *r = PQexec(c, "SELECT current_setting('crt.controller_id'), current_setting('crt.role'), "
                            "current_setting('crt.user_id'), current_setting('crt.session_id'), "
                            "current_setting('crt.context_mac')");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    const char *saved[5];
    for (int i = 0; i < 5; i++)
        saved[i] = PQgetvalue(r, 0, i);
    cr_assert_gt(sql_long(c, "SELECT count(*) FROM access_log", 0, NULL), 0, "signed: the DPO reads");
    /* same transaction, the controller changed after signing: nothing of either controller */
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '4', true)", 0, NULL));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log", 0, NULL), 0);
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', '3', true)", 0, NULL));
    cr_assert_gt(sql_long(c, "SELECT count(*) FROM access_log", 0, NULL), 0, "restored values verify");
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    /* the next transaction, every value copied: the transaction id differs */
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT set_config('crt.controller_id', $1, true), set_config('crt.role', $2, true), "
                        "set_config('crt.user_id', $3, true), set_config('crt.session_id', $4, true), "
                        "set_config('crt.context_mac', $5, true)", 5, saved));
    cr_assert_eq(rows_anywhere(c), 0, "a replayed signature opens nothing");
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQclear(r);
    PQfinish(c);
}

/* Calls a statement in a forged coordinator/DPO context; true when it failed or answered no row. */
static bool refused_or_empty(PGconn *c, const char *ctl, const char *role, const char *sql, int n,
                             const char *const *p)
{
    forge(c, ctl, role, dpo_id);
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    bool empty = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0 ||
                 (PQntuples(r) == 1 && PQnfields(r) == 1 && PQgetisnull(r, 0, 0));
    if (!empty)
        fprintf(stderr, "tenant: %s answered %s\n", sql, PQgetvalue(r, 0, 0));
    PQclear(r);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    return empty;
}

Test(tenant, definer_functions_open_nothing_in_a_forged_context)
{
    /* the list of definer functions crt_api may call: a new one must be added here */
    PGconn *s = db_super();
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                             "WHERE n.nspname = 'public' AND p.prosecdef "
                             "AND has_function_privilege('crt_api', p.oid, 'EXECUTE')", 0, NULL),
                 28, "a new SECURITY DEFINER function for crt_api: test it here");
    const char *bidx[2];
    PGresult *b = PQexecParams(s, "SELECT national_number_bidx, name_bidx FROM persons "
                                  "WHERE id = $1::uuid", 1, NULL, (const char *[]){person_id}, NULL, NULL, 0);
    cr_assert_eq(PQntuples(b), 1);
    bidx[0] = NULL;
    bidx[1] = PQgetvalue(b, 0, 1);
    PGconn *c = db_api();
    const char *p[] = {person_id};
    cr_assert(refused_or_empty(c, "3", "coordinator", "SELECT * FROM crt_access($1::uuid)", 1, p));
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT * FROM crt_person_search('1991-02-03', 'forged', NULL)", 0, NULL));
    cr_assert(refused_or_empty(c, "4", "coordinator", "SELECT * FROM crt_duplicates($1, $2)", 2, bidx));
    cr_assert(refused_or_empty(c, "3", "dpo", "SELECT * FROM crt_person_consultations($1::uuid)", 1, p));
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT crt_transfer_person($1::uuid, 'ingent', 'r', 'tenant', 'guidance')",
                               1, p));
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT * FROM crt_erase_by_request(gen_random_uuid(), 'tenant', 'guidance')",
                               0, NULL));
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT * FROM crt_rights_request_register('atlas', $1::uuid, NULL, NULL, "
                               "NULL, 'access', current_date, 'id card', NULL, NULL, 'x', 'tenant', "
                               "'guidance')", 1, p));
    PGresult *ref = PQexec(s, "SELECT COALESCE((SELECT id::text FROM referrals LIMIT 1), "
                              "'00000000-0000-0000-0000-000000000000')");
    cr_assert_eq(PQntuples(ref), 1);
    cr_assert(refused_or_empty(c, "3", "partner",
                               "SELECT * FROM crt_partner_page(NULL, NULL, NULL, NULL, 500)", 0, NULL));
    cr_assert(refused_or_empty(c, "3", "partner", "SELECT crt_partner_referral_grant($1::uuid)", 1,
                               (const char *[]){PQgetvalue(ref, 0, 0)}));
    cr_assert(refused_or_empty(c, "3", "partner", "SELECT 1 WHERE crt_partner_sees($1::uuid)", 1, p));
    PQclear(ref);
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT crt_session_begin(3::smallint, $1::uuid, gen_random_uuid(), 'dpo') "
                               "WHERE crt_session_begin(3::smallint, $1::uuid, gen_random_uuid(), 'dpo')",
                               1, (const char *[]){dpo_id}));
    cr_assert(refused_or_empty(c, "3", "coordinator",
                               "SELECT 1 WHERE crt_login_begin(3::smallint, $1::uuid)", 1,
                               (const char *[]){ingent_user}));
    /* the one verifier (migration 020) and the DPO's seal state (migration 021) */
    cr_assert(refused_or_empty(c, "3", "dpo", "SELECT 1 WHERE (crt_context()).verified", 0, NULL));
    cr_assert(refused_or_empty(c, "3", "dpo", "SELECT (crt_context()).controller_id", 0, NULL));
    cr_assert(refused_or_empty(c, "3", "dpo", "SELECT * FROM crt_seal_state()", 0, NULL));
    /* the administrator's (migration 022): a forged admin context changes nothing */
    static const char *const admin_calls[] = {
        "SELECT crt_admin_partner_create('forged-partner', 'Forged', 'other', repeat('a', 64))",
        "SELECT crt_admin_partner_secret(id, repeat('b', 64)) FROM partners LIMIT 1",
        "SELECT crt_admin_partner_revoke(id) FROM partners LIMIT 1",
        "SELECT crt_admin_settings_set(1, 5, NULL, NULL, NULL, NULL, 0)",
        "SELECT crt_admin_holiday_set('2040-01-01', 'forged')",
        "SELECT crt_admin_holiday_remove('2040-01-01')"};
    for (size_t i = 0; i < sizeof admin_calls / sizeof admin_calls[0]; i++)
        cr_assert(refused_or_empty(c, "3", "admin", admin_calls[i], 0, NULL), "%s", admin_calls[i]);
    PQfinish(c);
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM partners WHERE client_id = 'forged-partner' "
                             "OR secret_sha256 = repeat('b', 64)", 0, NULL), 0,
                 "no partner was made or rotated");
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM controller_holidays WHERE day = '2040-01-01'",
                          0, NULL), 0);
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM controllers WHERE id = 3 AND "
                             "(intake_window_days = 1 OR retention_period = interval '0')", 0, NULL), 0);
    /* the person is where it was, untouched */
    cr_assert_eq(sql_long(s, "SELECT controller_id FROM persons WHERE id = $1::uuid", 1, p), 3);
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM rights_requests WHERE person_id = $1::uuid", 1, p), 0);
    PQclear(b);
    PQfinish(s);
}

Test(tenant, login_events_stay_in_their_controller)
{
    PGconn *c = db_api();
    const char *other[] = {ingent_user};
    /* a user of Ingent written into Atlas's log: refused, with or without a context */
    PGresult *r = PQexecParams(c, "SELECT crt_auth_event(3::smallint, $1::uuid, 'login', 'failure', "
                                  "'127.0.0.1', 'tenant')", 1, NULL, other, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    /* within Atlas's signed context, an Ingent event: refused */
    cr_assert(api_context(c, "3", "dpo", dpo_id));
    r = PQexecParams(c, "SELECT crt_auth_event(4::smallint, $1::uuid, 'login', 'failure', "
                        "'127.0.0.1', 'tenant')", 1, NULL, other, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
    PGconn *s = db_super();
    cr_assert_eq(sql_long(s, "SELECT count(*) FROM login_events WHERE request_id = 'tenant'", 0, NULL), 0);
    PQfinish(s);
}

Test(tenant, login_lookups_are_counted_and_bounded)
{
    PGconn *c = db_api(), *s = db_super();
    const char *u[] = {"atlas.dpo"};
    /* Other test binaries log in at the same time (ctest -j): a try during which one of them
     * looked up too counts more than one; three tries, one must count exactly this lookup. */
    long added = 0;
    for (int try = 0; try < 3 && added != 1; try++) {
        long before = sql_long(s, "SELECT coalesce(sum(lookups), 0) FROM auth_lookup_minutes", 0,
                               NULL);
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM crt_auth_login_lookup($1)", 1, u), 1);
        added = sql_long(s, "SELECT coalesce(sum(lookups), 0) FROM auth_lookup_minutes", 0, NULL) -
                before;
    }
    cr_assert_eq(added, 1, "each lookup is recorded");
    /* at the minute's limit the next lookup is refused: tried in one transaction that is rolled
     * back, so other tests' logins only wait for it a moment and never see the raised count */
    cr_assert(sql_ok(s, "BEGIN", 0, NULL));
    cr_assert(sql_ok(s, "INSERT INTO auth_lookup_minutes (minute, lookups) "
                        "VALUES (date_trunc('minute', clock_timestamp()), 1200) "
                        "ON CONFLICT (minute) DO UPDATE SET lookups = 1200", 0, NULL));
    PGresult *r = PQexecParams(s, "SELECT count(*) FROM crt_auth_login_lookup($1)", 1, NULL, u,
                               NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "53400", "refused beyond the rate");
    PQclear(r);
    cr_assert(sql_ok(s, "ROLLBACK", 0, NULL));
    PQfinish(s);
    PQfinish(c);
}
