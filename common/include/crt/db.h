/* PostgreSQL access: one connection with its prepared statements, transactions that carry the
 * caller's controller and user, and the one mapping from libpq errors to the service's. */
#ifndef CRT_DB_H
#define CRT_DB_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "crt/arena.h"
#include "crt/config.h"

/* A statement prepared on every connection at connect (and again after a reconnect). */
struct db_stmt {
    const char *name;
    const char *sql;
};

/* Outcome of a database call, in the service's terms. */
enum db_status {
    DB_OK = 0,
    DB_UNAVAILABLE,   /* connection lost or server not reachable: 503 */
    DB_CONFLICT,      /* unique violation, serialization failure: 409 */
    DB_INVALID,       /* check/not-null/FK violation, bad data format: 422 */
    DB_FORBIDDEN,     /* insufficient privilege, RLS WITH CHECK: 403 */
    DB_UNAUTHORIZED,  /* the session behind a token is no longer valid: 401 */
    DB_ERROR,         /* anything else, and failures of the service's own objects: 500 */
    DB_TIMEOUT,       /* statement timeout (query_canceled): 503 with Retry-After */
};

struct db {
    PGconn *conn;
    const char *url;
    const struct db_stmt *stmts;
    int nstmts;
    int statement_timeout_ms; /* > 0: SET statement_timeout on every connection */
    /* NULL-terminated names of statements that write only the service's own records (the
     * access log, disclosures), never what the client sent: their privilege, row-level
     * security and integrity failures are the service's fault (500), not the client's
     * (403/422). Set by the owner after db_open; NULL: none. */
    const char *const *own_writes;
    bool ready;               /* the session set-up has completed on this connection */
    bool in_tx;
};

/* Connects and runs the session set-up: statement_timeout (when statement_timeout_ms > 0;
 * otherwise the role's own setting applies), then prepares stmts (which must outlive db).
 * DB_UNAVAILABLE leaves db usable: db_ensure connects later. */
enum db_status db_open(struct db *db, const char *url, const struct db_stmt *stmts, int nstmts,
                       int statement_timeout_ms) CRT_MUST_CHECK;
void db_close(struct db *db);
/* The one reconnect path: when the connection was lost (also when the server closed it while
 * it was idle, e.g. a restart, seen without a round trip) or its session set-up did not
 * complete, connects again and runs the whole set-up that db_open ran. Cheap when all is
 * well. Every path that talks to the database calls it first (db_begin* do). */
enum db_status db_ensure(struct db *db) CRT_MUST_CHECK;
/* A read outside any transaction (the role matrix): db_ensure, the statement, and — when the
 * statement finds the connection dead — one more reconnect and try. As db_exec otherwise. */
enum db_status db_exec_idle(struct db *db, const char *name, int nparams,
                            const char *const *params, PGresult **res) CRT_MUST_CHECK;

/* BEGIN, then crt_login_begin(): a login step's signed context (the controller, the user if
 * not NULL, no role), refused (DB_UNAUTHORIZED) when the user is not of that controller. */
enum db_status db_begin(struct db *db, int controller_id, const char *user_id) CRT_MUST_CHECK;
/* BEGIN, then crt_session_begin(): the RLS context is set only when the session is still
 * valid (not revoked or expired, user enabled, role unchanged); DB_UNAUTHORIZED otherwise
 * (nothing is left open). One round trip after BEGIN, like db_begin. */
enum db_status db_begin_session(struct db *db, int controller_id, const char *user_id,
                                const char *session_id, const char *role) CRT_MUST_CHECK;
/* BEGIN, then crt_partner_begin(): a partner's context (no controller) only while the partner
 * is enabled and its secret is still the version the token was issued under (the token's sv;
 * rotating the secret increments it, migration 016); DB_UNAUTHORIZED otherwise. */
enum db_status db_begin_partner(struct db *db, const char *partner_id,
                                long secret_version) CRT_MUST_CHECK;
enum db_status db_commit(struct db *db) CRT_MUST_CHECK;
/* Rolls back an open transaction; harmless when none is open. */
void db_rollback(struct db *db);

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL). On DB_OK,
 * *res (if res is not NULL) holds the result, which the caller must PQclear; on error nothing
 * is returned and the error is logged without parameter values. */
enum db_status db_exec(struct db *db, const char *name, int nparams, const char *const *params,
                       PGresult **res) CRT_MUST_CHECK;
/* Runs SQL without parameters (migrations, set-up). */
enum db_status db_exec_sql(struct db *db, const char *sql) CRT_MUST_CHECK;

/* A PostgreSQL array literal of items (NULL entries are SQL NULL), quoted so that any text
 * round-trips; allocated in a. NULL when out of memory. */
char *db_array_literal(struct arena *a, const char *const *items, size_t n);

/* Logs a failed statement of a tool's own connection (crt-review, crtctl) as prefix, SQLSTATE,
 * constraint and the server's primary message — never its DETAIL, which may quote row values
 * ("Failing row contains …"). r may be NULL (then the connection's message). */
void db_log_failure(const char *prefix, PGconn *conn, const PGresult *r);
/* The SQLSTATE mapping, exposed for tests. */
enum db_status db_status_of_sqlstate(const char *sqlstate);
/* The mapping of a failed statement: the SQLSTATE, its constraint name (NULL when none) and
 * whether the statement writes only the service's own records. A check violation without a
 * constraint (no partition takes the row) and, for own_writes, any integrity or privilege
 * failure are the service's (DB_ERROR). */
enum db_status db_status_of_failure(const char *sqlstate, const char *constraint,
                                    bool own_writes);
/* HTTP status and problem type slug for a db_status (one place for that mapping). */
int db_http_status(enum db_status st, const char **type, const char **detail);
/* Seconds for Retry-After with that status (503s), or 0 for none. */
int db_retry_after_s(enum db_status st);

/* ---- tools' queries (crtctl, crt-review, migrate) ----
 * The one query layer of the tools that hold a PGconn of their own (no prepared statements,
 * no reconnect: a tool's run ends with its connection). Contract of every function here:
 * sql runs with n text parameters (NULL entries are SQL NULL; params may be NULL when n is 0)
 * and succeeds when the server answers "command ok" or "rows". On failure the function logs
 * one line through db_log_failure(who, …), who being the line's prefix (e.g. "crtctl"):
 * SQLSTATE, constraint, primary message — never the DETAIL and never a parameter value — and
 * leaves nothing for the caller to PQclear. */

/* On true, *out holds the result and the caller PQclears it; on false *out is NULL. */
bool db_tool_exec(PGconn *c, const char *who, const char *sql, int n, const char *const *params,
                  PGresult **out) CRT_MUST_CHECK;
/* A statement whose rows are not needed (BEGIN, COMMIT, DML, set_config); nothing to clear. */
bool db_tool_command(PGconn *c, const char *who, const char *sql, int n,
                     const char *const *params) CRT_MUST_CHECK;
/* A query of at most one row: the first column of that row copied into buf (len bytes, NUL
 * included; SQL NULL reads as "") and *found true; no row: *found false and buf "". A value
 * longer than buf is a failure (logged). Nothing to clear. */
bool db_tool_value(PGconn *c, const char *who, const char *sql, int n, const char *const *params,
                   char *buf, size_t len, bool *found) CRT_MUST_CHECK;
/* SQL of several statements without parameters (a migration file, a session set-up), run
 * with the simple-query protocol; nothing to clear. */
bool db_tool_script(PGconn *c, const char *who, const char *sql) CRT_MUST_CHECK;
/* COPY … FROM STDIN (text format): begin with the statement, put the data in pieces of any
 * size, end — with ok false the copy is abandoned and fails. Each returns false after logging;
 * after a failed begin nothing is to be ended, after a failed put the copy is still ended. */
bool db_tool_copy_begin(PGconn *c, const char *who, const char *sql) CRT_MUST_CHECK;
bool db_tool_copy_put(PGconn *c, const char *who, const char *buf, size_t len) CRT_MUST_CHECK;
bool db_tool_copy_end(PGconn *c, const char *who, bool ok) CRT_MUST_CHECK;
/* ROLLBACK on a failure path; harmless when no transaction is open (a failure is logged). */
void db_tool_rollback(PGconn *c, const char *who);

#endif
