/* Unit: who a failed statement blames (db_status_of_failure) and what the client is told
 * (db_http_status, db_retry_after_s) — the service's own objects are never the client's fault. */
#include <criterion/criterion.h>
#include <string.h>

#include "crt/db.h"

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
