/* Unit: db.c's pure parts — SQLSTATE to the service's error classes, those classes to HTTP, and
 * the array literal (exact text, and a round trip through PostgreSQL when a URL is set), and the
 * tools' query layer (db_tool_*) against PostgreSQL. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt/arena.h"
#include "crt/db.h"

/* ---- SQLSTATE -> db_status: one class per test ---- */

Test(db_sqlstate, connection_exceptions_08xxx_are_unavailable)
{
    const char *states[] = {"08000", "08001", "08003", "08006", "08P01"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        cr_expect_eq(db_status_of_sqlstate(states[i]), DB_UNAVAILABLE, "%s", states[i]);
}

Test(db_sqlstate, no_sqlstate_at_all_means_no_server_answered)
{
    cr_expect_eq(db_status_of_sqlstate(NULL), DB_UNAVAILABLE);
}

Test(db_sqlstate, server_shutting_down_or_starting_is_unavailable)
{
    cr_expect_eq(db_status_of_sqlstate("57P01"), DB_UNAVAILABLE); /* admin_shutdown */
    cr_expect_eq(db_status_of_sqlstate("57P03"), DB_UNAVAILABLE); /* cannot_connect_now */
}

Test(db_sqlstate, unique_violation_23505_is_a_conflict)
{
    cr_expect_eq(db_status_of_sqlstate("23505"), DB_CONFLICT);
}

Test(db_sqlstate, serialization_failure_and_deadlock_are_conflicts)
{
    cr_expect_eq(db_status_of_sqlstate("40001"), DB_CONFLICT);
    cr_expect_eq(db_status_of_sqlstate("40P01"), DB_CONFLICT);
}

Test(db_sqlstate, check_violation_23514_is_invalid)
{
    cr_expect_eq(db_status_of_sqlstate("23514"), DB_INVALID);
}

Test(db_sqlstate, not_null_violation_23502_is_invalid)
{
    cr_expect_eq(db_status_of_sqlstate("23502"), DB_INVALID);
}

Test(db_sqlstate, foreign_key_violation_23503_is_invalid)
{
    cr_expect_eq(db_status_of_sqlstate("23503"), DB_INVALID);
}

Test(db_sqlstate, data_exceptions_22xxx_are_invalid)
{
    const char *states[] = {"22001", "22003", "22007", "22008", "22P02", "22023"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        cr_expect_eq(db_status_of_sqlstate(states[i]), DB_INVALID, "%s", states[i]);
}

Test(db_sqlstate, insufficient_privilege_42501_is_forbidden)
{
    cr_expect_eq(db_status_of_sqlstate("42501"), DB_FORBIDDEN);
}

/* A statement timeout is the database not answering in time, never the client's fault: a
 * class of its own (503 "took too long", with Retry-After). */
/* Too many connections and a limit reached (the login-lookup bound) are the database unable to
 * serve now, not an internal error. */
Test(db_sqlstate, too_many_connections_and_limits_are_unavailable)
{
    cr_expect_eq(db_status_of_sqlstate("53300"), DB_UNAVAILABLE);
    cr_expect_eq(db_status_of_sqlstate("53400"), DB_UNAVAILABLE);
}

Test(db_sqlstate, statement_timeout_57014_is_a_timeout)
{
    cr_expect_eq(db_status_of_sqlstate("57014"), DB_TIMEOUT);
}

Test(db_sqlstate, raised_and_custom_exceptions_are_internal_errors)
{
    cr_expect_eq(db_status_of_sqlstate("P0001"), DB_ERROR); /* RAISE EXCEPTION */
    cr_expect_eq(db_status_of_sqlstate("P0002"), DB_ERROR);
    cr_expect_eq(db_status_of_sqlstate("CRT01"), DB_ERROR);
}

Test(db_sqlstate, unknown_states_are_internal_errors)
{
    const char *states[] = {"XX000", "42P01", "42883", "53200", "", "2", "0"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        cr_expect_eq(db_status_of_sqlstate(states[i]), DB_ERROR, "'%s'", states[i]);
}

/* ---- db_status -> HTTP: one status per test ---- */

static int http_of(enum db_status st, const char **type)
{
    const char *detail = NULL;
    int code = db_http_status(st, type, &detail);
    cr_assert_not_null(*type);
    cr_assert_not_null(detail);
    cr_expect_gt(strlen(detail), 0u);
    return code;
}

Test(db_http, unavailable_is_503)
{
    const char *type;
    cr_expect_eq(http_of(DB_UNAVAILABLE, &type), 503);
    cr_expect_str_eq(type, "unavailable");
}

Test(db_http, conflict_is_409)
{
    const char *type;
    cr_expect_eq(http_of(DB_CONFLICT, &type), 409);
    cr_expect_str_eq(type, "conflict");
}

Test(db_http, invalid_is_422_validation)
{
    const char *type;
    cr_expect_eq(http_of(DB_INVALID, &type), 422);
    cr_expect_str_eq(type, "validation");
}

Test(db_http, forbidden_is_403)
{
    const char *type;
    cr_expect_eq(http_of(DB_FORBIDDEN, &type), 403);
    cr_expect_str_eq(type, "forbidden");
}

Test(db_http, unauthorized_is_401)
{
    const char *type;
    cr_expect_eq(http_of(DB_UNAUTHORIZED, &type), 401);
    cr_expect_str_eq(type, "unauthorized");
}

Test(db_http, error_and_unknown_values_are_500)
{
    const char *type;
    cr_expect_eq(http_of(DB_ERROR, &type), 500);
    cr_expect_str_eq(type, "internal");
    cr_expect_eq(http_of((enum db_status)99, &type), 500);
}

/* ---- the array literal ---- */

static char *literal(struct arena *a, const char *const *items, size_t n)
{
    char *s = db_array_literal(a, items, n);
    cr_assert_not_null(s);
    return s;
}

Test(db_array, empty_array)
{
    struct arena a;
    arena_init(&a);
    cr_expect_str_eq(literal(&a, NULL, 0), "{}");
    arena_release(&a);
}

Test(db_array, every_item_is_quoted)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {"contact", "situation"};
    cr_expect_str_eq(literal(&a, items, 2), "{\"contact\",\"situation\"}");
    arena_release(&a);
}

Test(db_array, quotes_and_backslashes_are_escaped)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {"say \"hi\"", "C:\\dir\\", "\\\""};
    cr_expect_str_eq(literal(&a, items, 3),
                     "{\"say \\\"hi\\\"\",\"C:\\\\dir\\\\\",\"\\\\\\\"\"}");
    arena_release(&a);
}

Test(db_array, commas_and_braces_stay_inside_the_quotes)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {"a,b", "{c}", "}", "{"};
    cr_expect_str_eq(literal(&a, items, 4), "{\"a,b\",\"{c}\",\"}\",\"{\"}");
    arena_release(&a);
}

Test(db_array, null_entries_are_sql_null_and_the_string_null_is_quoted)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {NULL, "NULL", "null", NULL};
    cr_expect_str_eq(literal(&a, items, 4), "{NULL,\"NULL\",\"null\",NULL}");
    arena_release(&a);
}

Test(db_array, empty_strings_are_empty_quoted_items)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {"", ""};
    cr_expect_str_eq(literal(&a, items, 2), "{\"\",\"\"}");
    arena_release(&a);
}

Test(db_array, utf8_and_whitespace_pass_unchanged)
{
    struct arena a;
    arena_init(&a);
    const char *items[] = {"Zoë Ünal", " padded ", "日本\t語\n"};
    cr_expect_str_eq(literal(&a, items, 3), "{\"Zoë Ünal\",\" padded \",\"日本\t語\n\"}");
    arena_release(&a);
}

/* The suite's database (any role can cast text); skips the test when no URL is set. */
static PGconn *connect_or_skip(void)
{
    const char *url = getenv("CRT_SUPER_DATABASE_URL");
    if (url == NULL || *url == '\0')
        url = getenv("CRT_DATABASE_URL");
    if (url == NULL || *url == '\0')
        cr_skip_test("no CRT_SUPER_DATABASE_URL or CRT_DATABASE_URL");
    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

/* Every awkward item at once, decoded by PostgreSQL itself: SELECT $1::text[] element by
 * element, in order, NULLs included. Skipped without a database URL (the suite sets one). */
Test(db_array, round_trips_through_postgresql)
{
    PGconn *c = connect_or_skip();
    const char *items[] = {"plain", "say \"hi\"", "back\\slash", "\\", "\"", "a,b", "{c}", "}",
                           "{", NULL, "NULL", "null", "", " padded ", "Zoë Ünal 日本語 🙂",
                           "tab\tnew\nline", "(x)", "'single'", "end\\"};
    size_t n = sizeof items / sizeof *items;
    struct arena a;
    arena_init(&a);
    const char *lit = literal(&a, items, n);
    PGresult *r = PQexecParams(c,
                               "SELECT u, u IS NULL, cardinality($1::text[]) FROM "
                               "unnest($1::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i",
                               1, NULL, &lit, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert_eq((size_t)PQntuples(r), n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(PQgetvalue(r, (int)i, 2), "19");
        if (items[i] == NULL) {
            cr_expect_str_eq(PQgetvalue(r, (int)i, 1), "t", "item %zu", i);
        } else {
            cr_expect_str_eq(PQgetvalue(r, (int)i, 1), "f", "item %zu", i);
            cr_expect_str_eq(PQgetvalue(r, (int)i, 0), items[i], "item %zu", i);
        }
    }
    PQclear(r);
    PQfinish(c);
    arena_release(&a);
}

Test(db_array, empty_array_round_trips_through_postgresql)
{
    PGconn *c = connect_or_skip();
    struct arena a;
    arena_init(&a);
    const char *lit = literal(&a, NULL, 0);
    PGresult *r = PQexecParams(c, "SELECT cardinality($1::text[])", 1, NULL, &lit, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_expect_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    PQfinish(c);
    arena_release(&a);
}

/* ---- who a failed statement blames (db_status_of_failure): the service's own objects are
 * never the client's fault ---- */

Test(db_errors, a_missing_partition_is_the_service_not_the_data)
{
    /* "no partition of relation … found for row" is 23514 without a constraint name. */
    cr_assert_eq(db_status_of_failure("23514", NULL, false), DB_ERROR);
    cr_assert_eq(db_status_of_failure("23514", "persons_birth_date_check", false), DB_INVALID,
                 "a CHECK constraint on what the client sent stays 422");
}

Test(db_errors, own_writes_failures_are_the_service)
{
    cr_assert_eq(db_status_of_failure("42501", NULL, true), DB_ERROR, "privilege on the log");
    cr_assert_eq(db_status_of_failure("23514", "access_log_outcome_check", true), DB_ERROR);
    cr_assert_eq(db_status_of_failure("23505", "access_log_pkey", true), DB_ERROR);
    cr_assert_eq(db_status_of_failure("42501", NULL, false), DB_FORBIDDEN,
                 "RLS WITH CHECK on the client's write stays 403");
    cr_assert_eq(db_status_of_failure("40001", NULL, true), DB_CONFLICT, "retryable stays 409");
    cr_assert_eq(db_status_of_failure("08006", NULL, true), DB_UNAVAILABLE);
}

Test(db_errors, a_statement_timeout_says_so_with_retry_after)
{
    const char *type, *detail;
    cr_assert_eq(db_status_of_failure("57014", NULL, false), DB_TIMEOUT);
    cr_assert_eq(db_http_status(DB_TIMEOUT, &type, &detail), 503);
    cr_assert_not_null(strstr(detail, "took too long"), "%s", detail);
    cr_assert_null(strstr(detail, "not reachable"), "%s", detail);
    cr_assert_gt(db_retry_after_s(DB_TIMEOUT), 0);
    cr_assert_gt(db_retry_after_s(DB_UNAVAILABLE), 0);
    cr_assert_eq(db_retry_after_s(DB_ERROR), 0);
    cr_assert_eq(db_http_status(DB_ERROR, &type, &detail), 500);
}

/* ---- the tools' query layer (db_tool_*): bool results, the caller clears only what it got,
 * and a failure is logged once without DETAIL or parameter values ---- */

/* Runs f with stderr captured; returns what was written (static buffer). */
static const char *captured_stderr(bool (*f)(PGconn *), PGconn *c, bool *ret)
{
    static char buf[4096];
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    *ret = f(c);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static bool insert_refused_row(PGconn *c)
{
    const char *p[] = {"Secret-Name-Vandamme"};
    PGresult *r = (PGresult *)1; /* must come back NULL */
    bool ok = db_tool_exec(c, "tool test", "INSERT INTO tool_t (name) VALUES ($1)", 1, p, &r);
    cr_expect_null(r, "a failure leaves nothing to clear");
    return ok;
}

Test(db_tools, a_failure_is_logged_without_detail_or_parameter_values)
{
    PGconn *c = connect_or_skip();
    cr_assert(db_tool_script(c, "tool test",
                             "CREATE TEMP TABLE tool_t (name text CONSTRAINT tool_t_short "
                             "CHECK (length(name) < 5))"));
    bool ok = true;
    const char *log = captured_stderr(insert_refused_row, c, &ok);
    cr_expect_not(ok);
    cr_expect_not_null(strstr(log, "tool test: sqlstate=23514 constraint=tool_t_short"), "%s", log);
    cr_expect_null(strstr(log, "Vandamme"), "a parameter value was logged: %s", log);
    cr_expect_null(strstr(log, "Failing row"), "the DETAIL was logged: %s", log);
    PQfinish(c);
}

Test(db_tools, exec_returns_the_rows_and_command_accepts_rows_too)
{
    PGconn *c = connect_or_skip();
    const char *p[] = {"a", NULL};
    PGresult *r = NULL;
    cr_assert(db_tool_exec(c, "tool test", "SELECT $1::text, $2::text IS NULL", 2, p, &r));
    cr_expect_str_eq(PQgetvalue(r, 0, 0), "a");
    cr_expect_str_eq(PQgetvalue(r, 0, 1), "t", "a NULL entry is SQL NULL");
    PQclear(r);
    cr_expect(db_tool_command(c, "tool test", "SELECT 1", 0, NULL));
    cr_expect(db_tool_command(c, "tool test", "BEGIN", 0, NULL));
    db_tool_rollback(c, "tool test");
    cr_expect_eq(PQtransactionStatus(c), PQTRANS_IDLE, "the rollback ended the transaction");
    PQfinish(c);
}

Test(db_tools, value_says_whether_a_row_came_and_refuses_what_does_not_fit)
{
    PGconn *c = connect_or_skip();
    char buf[8] = "junk";
    bool found = true;
    cr_assert(db_tool_value(c, "tool test", "SELECT 'abc' WHERE $1::int = 1", 1,
                            (const char *[]){"2"}, buf, sizeof buf, &found));
    cr_expect_not(found);
    cr_expect_str_eq(buf, "");
    cr_assert(db_tool_value(c, "tool test", "SELECT 'abc' WHERE $1::int = 1", 1,
                            (const char *[]){"1"}, buf, sizeof buf, &found));
    cr_expect(found);
    cr_expect_str_eq(buf, "abc");
    cr_expect_not(db_tool_value(c, "tool test", "SELECT repeat('x', 8)", 0, NULL, buf, sizeof buf,
                                &found), "8 characters and the NUL do not fit in 8 bytes");
    PQfinish(c);
}

Test(db_tools, only_script_runs_several_statements)
{
    PGconn *c = connect_or_skip();
    cr_expect_not(db_tool_command(c, "tool test", "SELECT 1; SELECT 2", 0, NULL),
                  "the extended protocol takes one statement");
    cr_expect(db_tool_script(c, "tool test", "SET work_mem = '8MB'; SET jit = off"));
    char v[16];
    bool found = false;
    cr_assert(db_tool_value(c, "tool test", "SELECT current_setting('work_mem')", 0, NULL, v,
                            sizeof v, &found));
    cr_expect_str_eq(v, "8MB");
    PQfinish(c);
}
