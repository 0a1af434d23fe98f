/* The SQL of crt-api: every statement prepared on each worker connection, by name. Parameters
 * only; the person column lists are generated from the field table in common/person.c. */
#include <stdio.h>

#include "api.h"
#include "crt/audit.h"
#include "crt/person.h"

#define LOG_COLS "controller_id, user_id, person_id, household_id, action, field_groups, " \
                 "purpose, outcome, reason, request_id"
#define LOG_WHO "crt_current_controller(), NULLIF(current_setting('crt.user_id', true), '')::uuid"

static char person_read_sql[4096], person_lock_sql[4096], person_insert_sql[8192],
    person_update_sql[8192];

/* The hot path: the read and its access-log row in one statement (outcome allowed or
 * not_found decided by whether RLS let the row through). $1 id, $2 groups, $3 purpose,
 * $4 reason, $5 request id. */
static void build(void)
{
    snprintf(person_read_sql, sizeof person_read_sql,
             "WITH p AS (SELECT %s FROM persons WHERE id = $1::uuid), "
             "l AS (INSERT INTO access_log (" LOG_COLS ") SELECT " LOG_WHO ", $1::uuid, NULL, "
             "'read', CASE WHEN f THEN $2::text[] ELSE '{}' END, $3, "
             "CASE WHEN f THEN 'allowed' ELSE 'not_found' END, $4, $5 "
             "FROM (SELECT EXISTS (SELECT 1 FROM p) AS f) e) "
             "SELECT * FROM p",
             person_sql_columns());
    snprintf(person_lock_sql, sizeof person_lock_sql,
             "SELECT %s FROM persons WHERE id = $1::uuid FOR UPDATE", person_sql_columns());
    snprintf(person_insert_sql, sizeof person_insert_sql, "%s RETURNING %s", person_sql_insert(),
             person_sql_columns());
    snprintf(person_update_sql, sizeof person_update_sql, "%s RETURNING %s", person_sql_update(),
             person_sql_columns());
}

static struct db_stmt stmts[] = {
    AUDIT_STMT_INSERT,
    /* One access-log row per person of a result: $1 uuid[] (empty: one row without person),
     * $2 action, $3 groups, $4 purpose, $5 reason, $6 request id. */
    {"audit_insert_many",
     "INSERT INTO access_log (" LOG_COLS ") SELECT " LOG_WHO ", u, NULL, $2, $3::text[], $4, "
     "'allowed', $5, $6 FROM unnest(CASE WHEN cardinality($1::uuid[]) = 0 "
     "THEN ARRAY[NULL]::uuid[] ELSE $1::uuid[] END) AS u"},
    {"ping", "SELECT 1"},
    {"auth_find_user",
     "SELECT user_id::text, controller_id, role, disabled FROM crt_auth_find_user($1)"},
    {"me", "SELECT u.username, u.display_name, u.role, c.code, c.name FROM staff_users u "
           "JOIN controllers c ON c.id = u.controller_id WHERE u.id = $1::uuid"},
    {"person_read", person_read_sql},
    {"person_lock", person_lock_sql},
    {"person_insert", person_insert_sql},
    {"person_update", person_update_sql},
    {"person_exists", "SELECT 1 FROM persons WHERE id = $1::uuid"},
    /* Search: recognisable fields only; at most 51 rows so the caller can say "more". */
    {"person_search_name",
     "SELECT id::text, oki_number, first_name, last_name, birth_date FROM persons "
     "WHERE birth_date = $1::date AND strpos(lower(first_name || ' ' || last_name), lower($2)) > 0 "
     "ORDER BY last_name, first_name, id LIMIT 51"},
    {"person_search_oki",
     "SELECT id::text, oki_number, first_name, last_name, birth_date FROM persons "
     "WHERE oki_number = $1 LIMIT 51"},
    {"rectification_insert",
     "INSERT INTO person_rectifications (controller_id, person_id, field, old_value, new_value, "
     "reason, changed_by, request_id) SELECT crt_current_controller(), $1::uuid, f, o, n, $2, "
     "NULLIF(current_setting('crt.user_id', true), '')::uuid, $3 "
     "FROM unnest($4::text[], $5::text[], $6::text[]) AS u(f, o, n)"},
    {"rectification_list",
     "SELECT r.field, r.old_value, r.new_value, r.reason, r.changed_by::text, u.username, "
     "to_json(r.changed_at) #>> '{}', r.request_id FROM person_rectifications r "
     "LEFT JOIN staff_users u ON u.id = r.changed_by WHERE r.person_id = $1::uuid "
     "ORDER BY r.changed_at, r.id"},
    {"household_exists", "SELECT 1 FROM households WHERE id = $1::uuid"},
    {"household_insert",
     "INSERT INTO households (controller_id, family_name, address_street, address_number, "
     "address_box, address_postcode, address_city, source, created_by) VALUES "
     "(crt_current_controller(), $1, $2, $3, $4, $5, $6, $7, "
     "NULLIF(current_setting('crt.user_id', true), '')::uuid) "
     "RETURNING id::text, family_name, address_street, address_number, address_box, "
     "address_postcode, address_city, source, to_json(created_at) #>> '{}'"},
    {"household_read",
     "SELECT id::text, family_name, address_street, address_number, address_box, "
     "address_postcode, address_city, source, to_json(created_at) #>> '{}' FROM households WHERE id = $1::uuid"},
    {"household_members",
     "SELECT id::text, oki_number FROM persons WHERE household_id = $1::uuid ORDER BY oki_number"},
    {"trajectory_list",
     "SELECT id::text, kind, occurred_on, details::text, source, created_by::text, to_json(created_at) #>> '{}' "
     "FROM trajectory_entries WHERE person_id = $1::uuid ORDER BY occurred_on, created_at, id"},
    {"trajectory_insert",
     "INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, "
     "source, created_by) VALUES (crt_current_controller(), $1::uuid, $2, $3::date, $4::jsonb, "
     "$5, NULLIF(current_setting('crt.user_id', true), '')::uuid) "
     "RETURNING id::text, kind, occurred_on, details::text, source, created_by::text, to_json(created_at) #>> '{}'"},
};

const struct db_stmt *api_statements(int *n)
{
    if (!person_read_sql[0])
        build();
    *n = (int)(sizeof stmts / sizeof stmts[0]);
    return stmts;
}
