/* PostgreSQL access: connection and prepared statements, RLS-scoped transactions, and the
 * mapping from SQLSTATE to the service's error model. */
#include "crt/db.h"

#include <stdio.h>
#include <string.h>

#include "crt/log.h"

enum db_status db_status_of_sqlstate(const char *s)
{
    if (s == NULL)
        return DB_UNAVAILABLE;
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P03") == 0)
        return DB_UNAVAILABLE;
    if (strcmp(s, "23505") == 0 || strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return DB_CONFLICT;
    if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
        return DB_INVALID;
    if (strcmp(s, "42501") == 0)
        return DB_FORBIDDEN;
    if (strcmp(s, "57014") == 0) /* statement timeout */
        return DB_UNAVAILABLE;
    return DB_ERROR;
}

int db_http_status(enum db_status st, const char **type, const char **detail)
{
    switch (st) {
    case DB_OK: *type = "ok"; *detail = "ok"; return 200;
    case DB_UNAVAILABLE:
        *type = "unavailable";
        *detail = "the database is not reachable; try again";
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

static enum db_status result_status(struct db *db, PGresult *r, const char *what)
{
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
        return DB_OK;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    enum db_status st = db_status_of_sqlstate(state);
    if (PQstatus(db->conn) != CONNECTION_OK)
        st = DB_UNAVAILABLE;
    /* SQLSTATE and constraint name only: the message may quote row values. */
    const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    log_msg(st == DB_INVALID || st == DB_CONFLICT ? LOG_DEBUG : LOG_WARN,
            "db: %s failed sqlstate=%s constraint=%s", what, state ? state : "-",
            constraint ? constraint : "-");
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
    {"crt_context", "SELECT set_config('crt.controller_id', $1, true), "
                    "set_config('crt.user_id', $2, true)"},
    {"crt_session", "SELECT crt_session_begin($1::smallint, $2::uuid, $3::uuid, $4)"},
    {"crt_partner", "SELECT crt_partner_begin($1::uuid, $2::integer)"},
};

static enum db_status prepare_one(struct db *db, const struct db_stmt *s)
{
    PGresult *r = PQprepare(db->conn, s->name, s->sql, 0, NULL);
    enum db_status st = result_status(db, r, s->name);
    if (st != DB_OK)
        log_error("db: cannot prepare %s: %s", s->name, PQerrorMessage(db->conn));
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

static enum db_status session_setup(struct db *db, int statement_timeout_ms)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SET statement_timeout = %d", statement_timeout_ms);
    enum db_status st = db_exec_sql(db, sql);
    return st == DB_OK ? prepare_all(db) : st;
}

enum db_status db_open(struct db *db, const char *url, const struct db_stmt *stmts, int nstmts,
                       int statement_timeout_ms)
{
    memset(db, 0, sizeof *db);
    db->url = url;
    db->stmts = stmts;
    db->nstmts = nstmts;
    db->conn = PQconnectdb(url);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* libpq's message names host and user, never a password. */
        log_error("db: cannot connect: %s", PQerrorMessage(db->conn));
        return DB_UNAVAILABLE;
    }
    return session_setup(db, statement_timeout_ms);
}

void db_close(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

enum db_status db_ensure(struct db *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return DB_OK;
    if (db->conn == NULL)
        return DB_UNAVAILABLE;
    PQreset(db->conn);
    db->in_tx = false;
    if (PQstatus(db->conn) != CONNECTION_OK)
        return DB_UNAVAILABLE;
    log_info("db: reconnected");
    return prepare_all(db);
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

enum db_status db_begin(struct db *db, int controller_id, const char *user_id)
{
    enum db_status st = db_ensure(db);
    if (st != DB_OK)
        return st;
    st = db_exec_sql(db, "BEGIN");
    if (st != DB_OK)
        return st;
    db->in_tx = true;
    char ctl[16];
    snprintf(ctl, sizeof ctl, "%d", controller_id);
    const char *p[] = {ctl, user_id ? user_id : ""};
    st = db_exec(db, "crt_context", 2, p, NULL);
    if (st != DB_OK)
        db_rollback(db);
    return st;
}

/* BEGIN, then a context statement that answers true or false. */
static enum db_status begin_checked(struct db *db, const char *stmt, int n, const char *const *p)
{
    PGresult *r = NULL;
    enum db_status st = db_ensure(db);
    if (st == DB_OK)
        st = db_exec_sql(db, "BEGIN");
    if (st != DB_OK)
        return st;
    db->in_tx = true;
    st = db_exec(db, stmt, n, p, &r);
    if (st == DB_OK && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        st = DB_UNAUTHORIZED;
    PQclear(r);
    if (st != DB_OK)
        db_rollback(db);
    return st;
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
