/* The access-log writer: one row per access to a person (or household), written inside the
 * transaction of the access itself so that nothing is answered before its log row is durable. */
#ifndef CRT_AUDIT_H
#define CRT_AUDIT_H
#include "crt/db.h"

struct audit_entry {
    const char *person_id;    /* may be NULL */
    const char *household_id; /* may be NULL */
    const char *action;       /* create, read, update, search, trajectory_read, … */
    const char *groups;       /* PostgreSQL text[] literal, e.g. "{identification,contact}" */
    const char *purpose;
    const char *outcome;      /* allowed, denied, not_found */
    const char *reason;       /* why the decision was taken; may be NULL */
    const char *request_id;
};

/* The controller and user of an access-log row written by crt-api: the settings of the
 * transaction's RLS context (db_begin). They are taken as set, not through crt_context(): the
 * policy `append` verifies the context's signature in the same INSERT, and a setting changed
 * since it was signed fails that signature, so a row is only ever written with the signed
 * values — one verification per row instead of two (D53). */
#define CRT_LOG_WHO                                                                         \
    "NULLIF(current_setting('crt.controller_id', true), '')::smallint, "                    \
    "NULLIF(current_setting('crt.user_id', true), '')::uuid"

/* The prepared statement this module uses; include it in every connection's statement list.
 * The row is written by crt_log_access(), the log's one writer (migration 020). */
#define AUDIT_STMT_INSERT                                                                   \
    {"audit_insert", "SELECT crt_log_access(" CRT_LOG_WHO ", NULL, $1::uuid, $2::uuid, $3, " \
                     "$4::text[], $5, $6, $7, $8)"}

/* Appends one row in the open transaction of db. */
enum db_status audit_write(struct db *db, const struct audit_entry *e) CRT_MUST_CHECK;

/* Writes the PostgreSQL array literal of the groups in mask (bit i = names[i]) into out. */
void audit_groups_literal(unsigned mask, const char *const *names, char *out, size_t outlen);

#endif
