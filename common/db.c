/* PostgreSQL access: connection and prepared statements, RLS-scoped transactions, and the
 * mapping from SQLSTATE to the service's error model. */
#include "crt/db.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "crt/log.h"

enum db_status db_status_of_sqlstate(const char *s)
{
    if (s == NULL)
        return DB_UNAVAILABLE;
    /* Too many connections (53300) and a limit reached (53400: the login-lookup bound of
     * migration 019) are the database unable to serve now: 503 with Retry-After. */
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P03") == 0 ||
        strcmp(s, "53300") == 0 || strcmp(s, "53400") == 0)
        return DB_UNAVAILABLE;
    if (strcmp(s, "23505") == 0 || strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return DB_CONFLICT;
    if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
        return DB_INVALID;
    if (strcmp(s, "42501") == 0)
        return DB_FORBIDDEN;
    if (strcmp(s, "57014") == 0) /* query_canceled: statement timeout */
        return DB_TIMEOUT;
    return DB_ERROR;
}

enum db_status db_status_of_failure(const char *sqlstate, const char *constraint,
                                    bool own_writes)
{
    enum db_status st = db_status_of_sqlstate(sqlstate);
    bool integrity = sqlstate && strncmp(sqlstate, "23", 2) == 0;
    /* "no partition of relation … found for row" is 23514 like a CHECK constraint, but names
     * no constraint: the service's table has no place for the row. */
    if (sqlstate && strcmp(sqlstate, "23514") == 0 && constraint == NULL)
        return DB_ERROR;
    if (own_writes && (integrity || st == DB_FORBIDDEN))
        return DB_ERROR;
    return st;
}

int db_retry_after_s(enum db_status st)
{
    return st == DB_UNAVAILABLE || st == DB_TIMEOUT ? 2 : 0;
}

int db_http_status(enum db_status st, const char **type, const char **detail)
{
    switch (st) {
    case DB_OK: *type = "ok"; *detail = "ok"; return 200;
    case DB_UNAVAILABLE:
        *type = "unavailable";
        *detail = "the database is not reachable; try again";
        return 503;
    case DB_TIMEOUT:
        *type = "unavailable";
        *detail = "the database took too long to answer; try again";
        return 503;
    case DB_CONFLICT:
        *type = "conflict";
        *detail = "the change conflicts with the current state; reload and try again";
        return 409;
    case DB_INVALID:
        *type = "validation";
        *detail = "the data violates a rule of the register";
        return 422;
    case DB_FORBIDDEN:
        *type = "forbidden";
        *detail = "not allowed";
        return 403;
    case DB_UNAUTHORIZED:
        *type = "unauthorized";
        *detail = "the session has ended; log in again";
        return 401;
    default:
        *type = "internal";
        *detail = "an internal error occurred";
        return 500;
    }
}

/* Length of libpq's message without its trailing newline (one log line). */
static int line_len(const char *m)
{
    size_t n = strlen(m);
    while (n > 0 && m[n - 1] == '\n')
        n--;
    return (int)n;
}

/* Whether the prepared statement name writes only the service's own records. */
static bool own_writes(const struct db *db, const char *name)
{
    for (const char *const *w = db->own_writes; name && w && *w; w++)
        if (strcmp(*w, name) == 0)
            return true;
    return false;
}

/* One limit per kind of failure: an outage or a broken table fails every request, and the
 * log gets one line per interval with a count, not one per request. */
static struct log_limit failure_limits[DB_TIMEOUT + 1];

static enum db_status result_status(struct db *db, PGresult *r, const char *what)
{
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
        return DB_OK;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* SQLSTATE and constraint name only: the message may quote row values. */
    const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    enum db_status st = db_status_of_failure(state, constraint, own_writes(db, what));
    if (PQstatus(db->conn) != CONNECTION_OK)
        st = DB_UNAVAILABLE;
    /* The client's doing (a conflict, a rule of the register) is routine; the service's own
     * failures are errors; an unreachable or slow database is a warning. */
    enum log_level level = st == DB_INVALID || st == DB_CONFLICT || st == DB_UNAUTHORIZED
                               ? LOG_DEBUG
                           : st == DB_ERROR ? LOG_ERROR
                                            : LOG_WARN;
    log_limited(&failure_limits[st], level, "db: %s failed sqlstate=%s constraint=%s", what,
                state ? state : "-", constraint ? constraint : "-");
    return st;
}

void db_log_failure(const char *prefix, PGconn *conn, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary == NULL && PQstatus(conn) != CONNECTION_OK)
        primary = "connection lost";
    log_error("%s: sqlstate=%s constraint=%s: %s", prefix, state ? state : "-",
              constraint ? constraint : "-", primary ? primary : "no result");
}

/* Prepared on every connection: the row-level security context of a transaction, directly
 * (login flows, before a session exists) or through a still-valid session. */
static const struct db_stmt context_stmts[] = {
    {"crt_context", "SELECT crt_login_begin($1::smallint, NULLIF($2, '')::uuid)"},
    {"crt_session", "SELECT crt_session_begin($1::smallint, $2::uuid, $3::uuid, $4)"},
    {"crt_partner", "SELECT crt_partner_begin($1::uuid, $2::integer)"},
};

static struct log_limit prepare_limit, connect_limit, reconnect_limit;

static enum db_status prepare_one(struct db *db, const struct db_stmt *s)
{
    PGresult *r = PQprepare(db->conn, s->name, s->sql, 0, NULL);
    enum db_status st = result_status(db, r, s->name);
    if (st != DB_OK)
        log_limited(&prepare_limit, LOG_ERROR, "db: cannot prepare %s: %.*s", s->name,
                    line_len(PQerrorMessage(db->conn)), PQerrorMessage(db->conn));
    PQclear(r);
    return st;
}

static enum db_status prepare_all(struct db *db)
{
    enum db_status st = DB_OK;
    for (size_t i = 0; st == DB_OK && i < sizeof context_stmts / sizeof context_stmts[0]; i++)
        st = prepare_one(db, &context_stmts[i]);
    for (int i = 0; st == DB_OK && i < db->nstmts; i++)
        st = prepare_one(db, &db->stmts[i]);
    return st;
}

/* Server notices (and the FATAL a server sends an idle connection as it shuts down) go to
 * the log at debug level, not to stderr raw. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("db: server said: %.*s", (int)strcspn(message, "\n"), message);
}

/* Everything a new connection needs before use, in one place: run at db_open and after every
 * reconnect. A connection whose set-up did not complete is never used (db->ready). */
static enum db_status session_setup(struct db *db)
{
    enum db_status st = DB_OK;
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    if (db->statement_timeout_ms > 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "SET statement_timeout = %d", db->statement_timeout_ms);
        st = db_exec_sql(db, sql);
    }
    if (st == DB_OK)
        st = prepare_all(db);
    db->ready = st == DB_OK;
    return st;
}

enum db_status db_open(struct db *db, const char *url, const struct db_stmt *stmts, int nstmts,
                       int statement_timeout_ms)
{
    memset(db, 0, sizeof *db);
    db->url = url;
    db->stmts = stmts;
    db->nstmts = nstmts;
    db->statement_timeout_ms = statement_timeout_ms;
    db->conn = PQconnectdb(url);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* libpq's message names host and user, never a password. */
        log_limited(&connect_limit, LOG_ERROR, "db: cannot connect: %.*s",
                    line_len(PQerrorMessage(db->conn)), PQerrorMessage(db->conn));
        return DB_UNAVAILABLE;
    }
    return session_setup(db);
}

void db_close(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

enum db_status db_ensure(struct db *db)
{
    if (db->conn == NULL)
        return DB_UNAVAILABLE;
    /* What the server sent while the connection sat idle: one that restarted has sent its
     * FATAL and closed it, which libpq learns only by reading — the message on a first read,
     * the end of the stream on a second. Non-blocking (libpq's socket is). */
    for (int i = 0; i < 2 && PQstatus(db->conn) == CONNECTION_OK && !db->in_tx; i++)
        (void)PQconsumeInput(db->conn);
    if (db->ready && PQstatus(db->conn) == CONNECTION_OK)
        return DB_OK;
    db->ready = false;
    db->in_tx = false;
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        log_limited(&connect_limit, LOG_WARN, "db: cannot reconnect: %.*s",
                    line_len(PQerrorMessage(db->conn)), PQerrorMessage(db->conn));
        return DB_UNAVAILABLE;
    }
    log_limited(&reconnect_limit, LOG_INFO, "db: reconnected");
    return session_setup(db);
}

/* A connection that a statement found dead outside a transaction: nothing was done on it, so
 * the statement may run once more on a fresh one. */
static bool lost_idle(const struct db *db, enum db_status st)
{
    return st == DB_UNAVAILABLE && !db->in_tx && PQstatus(db->conn) != CONNECTION_OK;
}

enum db_status db_exec_idle(struct db *db, const char *name, int nparams,
                            const char *const *params, PGresult **res)
{
    enum db_status st = db_ensure(db);
    if (st == DB_OK)
        st = db_exec(db, name, nparams, params, res);
    if (lost_idle(db, st) && (st = db_ensure(db)) == DB_OK)
        st = db_exec(db, name, nparams, params, res);
    return st;
}

/* BEGIN on a set-up connection, once more on a fresh one when BEGIN finds it dead. */
static enum db_status begin_tx(struct db *db)
{
    enum db_status st = db_ensure(db);
    if (st == DB_OK)
        st = db_exec_sql(db, "BEGIN");
    if (lost_idle(db, st) && (st = db_ensure(db)) == DB_OK)
        st = db_exec_sql(db, "BEGIN");
    db->in_tx = st == DB_OK;
    return st;
}

enum db_status db_exec_sql(struct db *db, const char *sql)
{
    PGresult *r = PQexec(db->conn, sql);
    enum db_status st = result_status(db, r, "statement");
    PQclear(r);
    return st;
}

enum db_status db_exec(struct db *db, const char *name, int nparams, const char *const *params,
                       PGresult **res)
{
    PGresult *r = PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
    enum db_status st = result_status(db, r, name);
    if (st == DB_OK && res)
        *res = r;
    else
        PQclear(r);
    return st;
}

/* BEGIN, then a context statement that answers true or false. */
static enum db_status begin_checked(struct db *db, const char *stmt, int n, const char *const *p)
{
    PGresult *r = NULL;
    enum db_status st = begin_tx(db);
    if (st != DB_OK)
        return st;
    st = db_exec(db, stmt, n, p, &r);
    if (st == DB_OK && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        st = DB_UNAUTHORIZED;
    PQclear(r);
    if (st != DB_OK)
        db_rollback(db);
    return st;
}

enum db_status db_begin(struct db *db, int controller_id, const char *user_id)
{
    char ctl[16];
    snprintf(ctl, sizeof ctl, "%d", controller_id);
    const char *p[] = {ctl, user_id ? user_id : ""};
    return begin_checked(db, "crt_context", 2, p);
}

enum db_status db_begin_session(struct db *db, int controller_id, const char *user_id,
                                const char *session_id, const char *role)
{
    char ctl[16];
    snprintf(ctl, sizeof ctl, "%d", controller_id);
    const char *p[] = {ctl, user_id, session_id, role};
    return begin_checked(db, "crt_session", 4, p);
}

enum db_status db_begin_partner(struct db *db, const char *partner_id, long secret_version)
{
    char sv[24];
    snprintf(sv, sizeof sv, "%ld", secret_version);
    const char *p[] = {partner_id, sv};
    return begin_checked(db, "crt_partner", 2, p);
}

enum db_status db_commit(struct db *db)
{
    enum db_status st = db_exec_sql(db, "COMMIT");
    db->in_tx = false;
    return st;
}

void db_rollback(struct db *db)
{
    if (!db->in_tx)
        return;
    db->in_tx = false;
    PGresult *r = PQexec(db->conn, "ROLLBACK");
    PQclear(r);
}

char *db_array_literal(struct arena *a, const char *const *items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += items[i] ? 2 * strlen(items[i]) + 3 : 5;
    char *out = arena_alloc(a, len);
    if (out == NULL)
        return NULL;
    char *p = out;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        if (items[i] == NULL) {
            memcpy(p, "NULL", 4);
            p += 4;
            continue;
        }
        *p++ = '"';
        for (const char *s = items[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

/* ---- tools' queries (crtctl, crt-review, migrate): the contract is in db.h ---- */

bool db_tool_exec(PGconn *c, const char *who, const char *sql, int n, const char *const *params,
                  PGresult **out)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    *out = NULL;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        db_log_failure(who, c, r);
        PQclear(r);
        return false;
    }
    *out = r;
    return true;
}

bool db_tool_command(PGconn *c, const char *who, const char *sql, int n, const char *const *params)
{
    PGresult *r = NULL;
    bool ok = db_tool_exec(c, who, sql, n, params, &r);
    PQclear(r);
    return ok;
}

bool db_tool_value(PGconn *c, const char *who, const char *sql, int n, const char *const *params,
                   char *buf, size_t len, bool *found)
{
    PGresult *r = NULL;
    bool ok = db_tool_exec(c, who, sql, n, params, &r);
    *found = false;
    if (len > 0)
        buf[0] = '\0';
    if (ok && PQntuples(r) > 0 && PQnfields(r) > 0) {
        const char *v = PQgetvalue(r, 0, 0);
        ok = strlen(v) < len;
        if (ok) {
            memcpy(buf, v, strlen(v) + 1);
            *found = true;
        } else {
            log_error("%s: value of %zu bytes does not fit in %zu", who, strlen(v), len);
        }
    }
    PQclear(r);
    return ok;
}

/* Simple-query protocol: the only way to run several statements in one string. */
bool db_tool_script(PGconn *c, const char *who, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        db_log_failure(who, c, r);
    PQclear(r);
    return ok;
}

/* COPY … FROM STDIN: the statement, then the data in pieces, then its end and result. */
bool db_tool_copy_begin(PGconn *c, const char *who, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        db_log_failure(who, c, r);
    PQclear(r);
    return ok;
}

bool db_tool_copy_put(PGconn *c, const char *who, const char *buf, size_t len)
{
    if (len <= INT_MAX && PQputCopyData(c, buf, (int)len) == 1)
        return true;
    db_log_failure(who, c, NULL);
    return false;
}

bool db_tool_copy_end(PGconn *c, const char *who, bool ok)
{
    if (PQputCopyEnd(c, ok ? NULL : "abandoned by the client") != 1) {
        db_log_failure(who, c, NULL);
        ok = false;
    }
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (ok)
                db_log_failure(who, c, r);
            ok = false;
        }
        PQclear(r);
    }
    return ok;
}

void db_tool_rollback(PGconn *c, const char *who)
{
    PGresult *r = PQexec(c, "ROLLBACK");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        db_log_failure(who, c, r);
    PQclear(r);
}
