/* The read paths' database side: a non-blocking, pipelined connection of each worker, driven
 * from its event loop, that runs concurrent requests' reads in one transaction (group commit). */
/* A flight is BEGIN, then per request its session check (crt_session_require, which raises on
 * an invalid session) and its read, then COMMIT and a Sync, all sent at once. A request whose
 * second statement depends on its read (a search's log rows) makes the flight two-phased: the
 * reads, a flush, then each such request's check again and its second statement, COMMIT, Sync.
 * Requests that arrive while a flight is out wait for the next one (at most CRT_BATCH_MAX);
 * when fewer are queued than the last flight held, the next waits up to CRT_BATCH_HOLD_US for
 * the rest of those clients (batch_hold, D61).
 * Answers go out only once COMMIT has returned. A request whose statement fails is answered
 * with its failure alone: the flight is rolled back and the others run again in the next; one
 * that lost a deadlock or a serialization conflict runs again with them, once (then 503). */
#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "crt/log.h"
#include "crt/metrics.h"

/* The session-check statements prepared on the read connection (migration 025). */
static const struct db_stmt check_stmts[] = {
    {"crt_session_req", "SELECT crt_session_require($1::smallint, $2::uuid, $3::uuid, $4)"},
    {"crt_partner_req", "SELECT crt_partner_require($1::uuid, $2::integer)"},
};
#define CHECK_UNAUTHORIZED "CR401" /* what both raise for an invalid session or partner */

struct batch_item {
    struct http_ctx *ctx;
    struct batch_stmt read, then_stmt;
    const char *check;     /* crt_session_req or crt_partner_req */
    const char *cp[4];     /* its parameters */
    int ncp;
    batch_then_fn then;    /* NULL: one statement */
    batch_done_fn done;
    void *arg;
    PGresult *result[2];   /* the statements', kept until COMMIT has returned */
    int step2;             /* the step of its check in the second phase, or -1 */
    enum db_status st;     /* DB_OK, or what failed this request alone */
    bool victim;           /* its statement lost a deadlock or serialization: runs again once */
    bool rerun;            /* it has run again for that already */
    struct batch_item *next;
};

struct batch {
    struct worker *w;
    struct db db;
    struct event *rd, *wr, *timer, *kick, *hold;
    struct batch_item *queue, **tail; /* waiting for the next flight */
    int queued;
    int last_n;                       /* the size of the last flight sent */
    bool holding;                     /* the hold timer runs: the next flight waits for more */
    bool hold_over;                   /* it has run out: the next flight goes as it is */
    struct batch_item **flight;       /* the flight out, in order */
    int nflight, cap;
    int step;                         /* the command whose result comes next */
    int first_item;                   /* the step of the first check */
    int phase_end;                    /* the step after the first phase's last */
    int commit_step;                  /* COMMIT's step, once sent (else -1) */
    int step_sent;                    /* the step of the next command sent */
    bool two_phase;                   /* a request of the flight has a second statement */
    bool out;                         /* a flight is out */
    bool need_rollback;               /* the last flight failed: its transaction is open, aborted */
    bool committed;
    int failed;                       /* index in flight of the request that failed it, or -1 */
    enum db_status flight_st;         /* the whole flight's failure (BEGIN, COMMIT, connection) */
};

static void batch_start(struct batch *b);

/* ---- the connection ---- */

static void batch_drop_conn(struct batch *b)
{
    if (b->rd)
        event_free(b->rd);
    if (b->wr)
        event_free(b->wr);
    b->rd = b->wr = NULL;
    db_close(&b->db);
    b->need_rollback = false;
}

static void batch_readable(evutil_socket_t fd, short what, void *arg);
static void batch_writable(evutil_socket_t fd, short what, void *arg);

/* Prepares the check statements of this connection (the others came with db_open). */
static bool batch_prepare_checks(struct batch *b)
{
    for (size_t i = 0; i < sizeof check_stmts / sizeof check_stmts[0]; i++) {
        PGresult *r = PQprepare(b->db.conn, check_stmts[i].name, check_stmts[i].sql, 0, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok)
            return false;
    }
    return true;
}

/* A connection that is up, set up, non-blocking, in pipeline mode and watched; connecting is
 * the one blocking step (at start-up and after the database went away). */
static enum db_status batch_connect(struct batch *b)
{
    if (b->db.conn && PQstatus(b->db.conn) == CONNECTION_OK && b->rd)
        return DB_OK;
    batch_drop_conn(b);
    const struct crt_config *cfg = b->w->cfg;
    int n;
    const struct db_stmt *stmts = api_statements(&n);
    enum db_status st = db_open(&b->db, cfg->database_url, stmts, n, cfg->statement_timeout_ms);
    if (st == DB_OK && !batch_prepare_checks(b))
        st = DB_ERROR;
    b->db.own_writes = api_own_writes;
    evutil_socket_t fd = st == DB_OK ? PQsocket(b->db.conn) : -1;
    if (st == DB_OK && (PQsetnonblocking(b->db.conn, 1) != 0 ||
                        PQenterPipelineMode(b->db.conn) != 1 || fd < 0))
        st = DB_ERROR;
    if (st == DB_OK) {
        b->rd = event_new(b->w->base, fd, EV_READ | EV_PERSIST, batch_readable, b);
        b->wr = event_new(b->w->base, fd, EV_WRITE, batch_writable, b);
        if (b->rd == NULL || b->wr == NULL || event_add(b->rd, NULL) != 0)
            st = DB_ERROR;
    }
    if (st != DB_OK)
        batch_drop_conn(b);
    return st;
}

/* ---- answering ---- */

/* Hands an item back to its handler with st (and its result on DB_OK) and ends the request. */
static void item_finish(struct batch_item *it, enum db_status st)
{
    struct http_ctx *ctx = it->ctx;
    if (st != DB_OK) {
        PQclear(it->result[0]);
        PQclear(it->result[1]);
        it->result[0] = it->result[1] = NULL;
    }
    it->done(ctx, st, it->result[0], it->result[1], it->arg);
    free(it);
    api_request_end(ctx);
}

/* The flight is over: answers what it decided, queues what runs again, starts the next. */
static void flight_end(struct batch *b)
{
    bool broken = b->db.conn == NULL || PQstatus(b->db.conn) != CONNECTION_OK;
    if (b->timer)
        event_del(b->timer);
    b->out = false;
    if (!b->committed && !broken)
        b->need_rollback = true; /* BEGIN ran; the transaction is aborted and still open */
    struct batch_item *again = NULL, **again_tail = &again;
    int n = b->nflight;
    b->nflight = 0;
    for (int i = 0; i < n; i++) {
        struct batch_item *it = b->flight[i];
        if (b->committed)
            item_finish(it, DB_OK);
        else if (i == b->failed && !broken && !it->victim)
            item_finish(it, it->st);
        else if (broken || b->failed < 0)
            item_finish(it, broken ? DB_UNAVAILABLE : b->flight_st);
        else { /* not its fault: runs again, in the same order, before what queued since */
            it->rerun |= it->victim;
            it->victim = false;
            PQclear(it->result[0]);
            PQclear(it->result[1]);
            it->result[0] = it->result[1] = NULL;
            it->st = DB_OK;
            *again_tail = it;
            again_tail = &it->next;
            b->queued++;
        }
    }
    if (again) {
        *again_tail = b->queue;
        if (b->queue == NULL)
            b->tail = again_tail;
        b->queue = again;
    }
    if (broken)
        batch_drop_conn(b);
    batch_start(b);
}

/* ---- reading results ---- */

/* Whether statement name writes only the service's own records (as db.c decides for ctx_db). */
static bool own_writes(const char *name)
{
    for (const char *const *w = api_own_writes; name && *w; w++)
        if (strcmp(*w, name) == 0)
            return true;
    return false;
}

/* The failure of statement what, mapped and logged as db.c does it (SQLSTATE and constraint
 * only: the message may quote row values). */
static enum db_status failure_of(struct batch *b, const PGresult *r, const char *what)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    if (state && strcmp(state, CHECK_UNAUTHORIZED) == 0)
        return DB_UNAUTHORIZED;
    enum db_status st = db_status_of_failure(state, constraint, own_writes(what));
    if (PQstatus(b->db.conn) != CONNECTION_OK)
        st = DB_UNAVAILABLE;
    static struct log_limit limit;
    log_limited(&limit,
                st == DB_INVALID || st == DB_CONFLICT ? LOG_DEBUG
                : st == DB_ERROR                      ? LOG_ERROR
                                                      : LOG_WARN,
                "db: %s failed sqlstate=%s constraint=%s", what, state ? state : "-",
                constraint ? constraint : "-");
    return st;
}

/* A deadlock or serialization failure: the request did nothing wrong, and its statements,
 * run again in a fresh transaction, will most likely pass (a flight's session locks are taken
 * in one order, but a write transaction on a blocking connection may still cross them). */
static bool transient(const PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0);
}

/* The request and statement (0 check, 1 its statement) of step s, or NULL for ROLLBACK, BEGIN
 * and COMMIT. */
static struct batch_item *step_item(const struct batch *b, int s, int *which)
{
    if (s >= b->first_item && s < b->phase_end) {
        *which = (s - b->first_item) % 2;
        return b->flight[(s - b->first_item) / 2];
    }
    for (int i = 0; s >= b->phase_end && i < b->nflight; i++) {
        int s2 = b->flight[i]->step2;
        if (s2 >= 0 && (s == s2 || s == s2 + 1)) {
            *which = s - s2;
            return b->flight[i];
        }
    }
    return NULL;
}

/* The result of command b->step of the flight. */
static void flight_result(struct batch *b, PGresult *r)
{
    ExecStatusType t = PQresultStatus(r);
    int s = b->step++, which = 0;
    bool ok = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
    struct batch_item *it = step_item(b, s, &which);
    if (t == PGRES_PIPELINE_ABORTED) {
        PQclear(r);
    } else if (it) {
        bool second = s >= b->phase_end;
        if (!ok && b->failed < 0) {
            it->st = failure_of(b, r, which == 0 ? it->check
                                      : second ? it->then_stmt.name : it->read.name);
            if (transient(r) && it->rerun)
                it->st = DB_UNAVAILABLE; /* twice: 503 and Retry-After, not a 409 */
            it->victim = transient(r) && !it->rerun;
            if (transient(r))
                metrics_read_flight_conflict();
            for (b->failed = 0; b->flight[b->failed] != it; b->failed++)
                ;
        }
        if (ok && which == 1)
            it->result[second] = r;
        else
            PQclear(r);
    } else {
        if (!ok && b->flight_st == DB_OK) /* ROLLBACK, BEGIN or COMMIT */
            b->flight_st = failure_of(b, r, s == b->commit_step ? "COMMIT" : "BEGIN");
        if (s == b->commit_step && ok && b->failed < 0 && b->flight_st == DB_OK)
            b->committed = true; /* durable: the answers may go out */
        PQclear(r);
    }
}

static void second_phase(struct batch *b);

/* Reads what has arrived; ends the flight at its Sync, or when the connection is gone. */
static void batch_read(struct batch *b)
{
    if (PQconsumeInput(b->db.conn) != 1 || PQstatus(b->db.conn) != CONNECTION_OK) {
        b->flight_st = DB_UNAVAILABLE;
        if (b->out)
            flight_end(b);
        else
            batch_drop_conn(b); /* the server closed it while idle (a restart) */
        return;
    }
    int nulls = 0;
    while (b->out && !PQisBusy(b->db.conn) && nulls < 2) {
        PGresult *r = PQgetResult(b->db.conn);
        nulls = r == NULL ? nulls + 1 : 0;
        if (r == NULL)
            continue; /* the end of one command's results */
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            flight_end(b);
            return;
        }
        flight_result(b, r);
        if (b->two_phase && b->step == b->phase_end && b->commit_step < 0)
            second_phase(b);
    }
}

static void batch_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    batch_read(arg);
}

/* Sends what libpq still holds; watches for writability while some remains. */
static void batch_flush(struct batch *b)
{
    int f = PQflush(b->db.conn);
    if (f == 1)
        event_add(b->wr, NULL);
    else if (f < 0) {
        batch_drop_conn(b);
        flight_end(b);
    }
}

static void batch_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    batch_flush(arg);
}

/* A flight that has not come back in time: the connection is dropped (the database rolls
 * back what did not commit) and its requests answered 503; never a 2xx. */
static void batch_overdue(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct batch *b = arg;
    static struct log_limit limit;
    log_limited(&limit, LOG_WARN, "worker %d: a batch of %d reads did not return in time; "
                "reconnecting", b->w->index, b->nflight);
    batch_drop_conn(b);
    b->flight_st = DB_UNAVAILABLE;
    flight_end(b);
}

/* ---- sending ---- */

static bool send_sql(struct batch *b, const char *sql)
{
    return PQsendQueryParams(b->db.conn, sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
}

static bool send_stmt(struct batch *b, const struct batch_stmt *st)
{
    return PQsendQueryPrepared(b->db.conn, st->name, st->n, st->p, NULL, NULL, 0) == 1;
}

/* Each request's check and read; the first phase ends here. */
static bool send_first(struct batch *b)
{
    for (int i = 0; i < b->nflight; i++) {
        struct batch_item *it = b->flight[i];
        if (PQsendQueryPrepared(b->db.conn, it->check, it->ncp, it->cp, NULL, NULL, 0) != 1 ||
            !send_stmt(b, &it->read))
            return false;
    }
    return true;
}

/* COMMIT (unless the flight has failed already: then only the Sync that ends it), Sync. */
static bool send_end(struct batch *b, bool commit)
{
    if (commit && !send_sql(b, "COMMIT"))
        return false;
    b->commit_step = commit ? b->step_sent++ : b->step_sent;
    return PQpipelineSync(b->db.conn) == 1;
}

/* The first phase's results are in: each request that has a second statement gets its check
 * again (the context now is the last request's) and that statement; then COMMIT. */
static void second_phase(struct batch *b)
{
    bool ok = b->failed < 0 && b->flight_st == DB_OK;
    for (int i = 0; ok && i < b->nflight; i++) {
        struct batch_item *it = b->flight[i];
        it->then_stmt.name = NULL;
        if (it->then && !it->then(it->ctx, it->result[0], it->arg, &it->then_stmt)) {
            it->st = DB_ERROR; /* its statement could not be made: it fails alone */
            b->failed = i;
            ok = false;
        } else if (it->then_stmt.name) {
            it->step2 = b->step_sent;
            b->step_sent += 2;
            ok = PQsendQueryPrepared(b->db.conn, it->check, it->ncp, it->cp, NULL, NULL, 0) == 1 &&
                 send_stmt(b, &it->then_stmt);
        }
    }
    if (send_end(b, ok)) {
        batch_flush(b);
        return;
    }
    batch_drop_conn(b); /* libpq refused to queue: the connection is broken */
    flight_end(b);
}

/* The order of a flight: staff session checks by session id (a session check may refresh,
 * and so lock, its session's row until COMMIT; flights of different workers that lock them in
 * one order cannot deadlock), partner checks (they lock nothing) after them. */
static int item_order(const void *x, const void *y)
{
    const struct batch_item *a = *(struct batch_item *const *)x;
    const struct batch_item *b = *(struct batch_item *const *)y;
    bool sa = strcmp(a->check, "crt_session_req") == 0;
    bool sb = strcmp(b->check, "crt_session_req") == 0;
    if (sa != sb)
        return sa ? -1 : 1;
    return sa ? strcmp(a->cp[2], b->cp[2]) : 0;
}

/* Whether the next flight waits a moment: fewer requests are queued than the last flight held,
 * and most of them are those clients' next requests on their way (each answer lets a client
 * send one). One flight of them costs one commit's WAL flush instead of two or three; the wait
 * is bounded by CRT_BATCH_HOLD_US and ends as soon as the queue is as long as the last flight.
 * A flight that went smaller (the hold ran out) makes the next hold wait for that many only. */
static bool batch_hold(struct batch *b)
{
    int us = b->w->cfg->batch_hold_us;
    if (us <= 0 || b->hold_over || b->queued >= b->last_n || b->queued >= b->cap ||
        b->need_rollback || b->db.conn == NULL)
        return false;
    if (!b->holding) {
        struct timeval tv = {0, us};
        if (event_add(b->hold, &tv) != 0)
            return false;
        b->holding = true;
    }
    return true;
}

static void batch_hold_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct batch *b = arg;
    b->holding = false;
    b->hold_over = true;
    batch_start(b);
}

/* Takes up to CRT_BATCH_MAX queued requests into a flight and sends it. */
static void batch_start(struct batch *b)
{
    if (!b->out && b->queue && batch_hold(b))
        return;
    bool held = b->holding || b->hold_over;
    if (b->holding)
        event_del(b->hold);
    b->holding = b->hold_over = false;
    while (!b->out && b->queue) {
        enum db_status st = batch_connect(b);
        b->nflight = 0;
        while (b->queue && b->nflight < b->cap) {
            struct batch_item *it = b->queue;
            b->queue = it->next;
            b->queued--;
            it->next = NULL;
            b->flight[b->nflight++] = it;
        }
        if (b->queue == NULL)
            b->tail = &b->queue;
        b->last_n = b->nflight;
        metrics_read_flight(b->nflight, held);
        held = false;
        qsort(b->flight, (size_t)b->nflight, sizeof *b->flight, item_order);
        b->step = 0;
        b->first_item = (b->need_rollback ? 1 : 0) + 1;
        b->phase_end = b->first_item + 2 * b->nflight;
        b->step_sent = b->phase_end;
        b->commit_step = -1;
        b->two_phase = false;
        for (int i = 0; i < b->nflight; i++) {
            b->flight[i]->step2 = -1;
            b->two_phase |= b->flight[i]->then != NULL;
        }
        b->failed = -1;
        b->committed = false;
        b->flight_st = st;
        b->out = true;
        if (st == DB_OK && (!b->need_rollback || send_sql(b, "ROLLBACK")) && send_sql(b, "BEGIN") &&
            send_first(b) &&
            (b->two_phase ? PQsendFlushRequest(b->db.conn) == 1 : send_end(b, true))) {
            b->need_rollback = false;
            uint64_t ms = b->w->cfg->statement_timeout_ms > 0 ? 2u * b->w->cfg->statement_timeout_ms
                                                              : 40000u;
            struct timeval tv = {(time_t)(ms / 1000 + 1), 0};
            event_add(b->timer, &tv);
            batch_flush(b);
            return;
        }
        if (st == DB_OK) { /* libpq refused to queue: the connection is broken */
            batch_drop_conn(b);
            b->flight_st = DB_UNAVAILABLE;
        }
        flight_end(b); /* answers this flight's requests (503) and tries the next */
    }
}

/* Runs on the loop after the handlers of this round have queued their reads: a flight is
 * never started (nor answered) from inside a handler. */
static void batch_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    batch_start(arg);
}

/* ---- the interface ---- */

bool batch_init(struct worker *w)
{
    struct batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return false;
    b->w = w;
    b->tail = &b->queue;
    b->cap = w->cfg->batch_max;
    b->flight = calloc((size_t)b->cap, sizeof *b->flight);
    b->timer = evtimer_new(w->base, batch_overdue, b);
    b->kick = event_new(w->base, -1, 0, batch_kick, b);
    b->hold = evtimer_new(w->base, batch_hold_end, b);
    w->batch = b;
    if (b->flight == NULL || b->timer == NULL || b->kick == NULL || b->hold == NULL)
        return false;
    if (batch_connect(b) != DB_OK)
        log_warn("worker %d: read connection not ready; reads try again on their first request",
                 w->index);
    return true;
}

void batch_free(struct worker *w)
{
    struct batch *b = w->batch;
    if (b == NULL)
        return;
    batch_drop_conn(b);
    if (b->timer)
        event_free(b->timer);
    if (b->kick)
        event_free(b->kick);
    if (b->hold)
        event_free(b->hold);
    free(b->flight);
    free(b);
    w->batch = NULL;
}

bool batch_idle(const struct worker *w)
{
    return w->batch == NULL || (!w->batch->out && w->batch->queue == NULL);
}

void batch_settle(struct worker *w)
{
    struct batch *b = w->batch;
    int ms = w->cfg->statement_timeout_ms > 0 ? 2 * w->cfg->statement_timeout_ms + 1000 : 41000;
    while (b && b->out && b->db.conn) {
        int f = PQflush(b->db.conn);
        if (f < 0 || (f == 0 && !(b->two_phase && b->commit_step < 0)))
            return; /* all sent (or broken: the flight's own paths take it from here) */
        struct pollfd p = {PQsocket(b->db.conn), (short)(f == 1 ? POLLIN | POLLOUT : POLLIN), 0};
        if (poll(&p, 1, ms) != 1)
            return; /* the flight's time cap answers it */
        if (p.revents & (POLLIN | POLLERR | POLLHUP))
            batch_read(b);
    }
}

bool batch_read_logged(struct http_ctx *ctx, const char *stmt, int n, const char *const *p,
                       batch_then_fn then, batch_done_fn done, void *arg)
{
    struct batch *b = ctx_worker(ctx)->batch;
    bool partner = strcmp(ctx->who.role, "partner") == 0;
    char *a = partner ? arena_printf(&ctx->arena, "%ld", ctx->who.secret_version)
                      : arena_printf(&ctx->arena, "%d", ctx->who.controller_id);
    struct batch_item *it = n <= BATCH_MAX_PARAMS && a ? calloc(1, sizeof *it) : NULL;
    if (it == NULL) {
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
        return false;
    }
    *it = (struct batch_item){.ctx = ctx, .read = {stmt, n, {NULL}}, .then = then, .done = done,
                              .arg = arg};
    for (int i = 0; i < n; i++) /* the handler's strings may not live as long as the request */
        it->read.p[i] = p[i] ? arena_strdup(&ctx->arena, p[i]) : NULL;
    if (partner) {
        it->check = "crt_partner_req";
        it->cp[0] = ctx->who.user_id, it->cp[1] = a, it->ncp = 2;
    } else {
        it->check = "crt_session_req";
        it->cp[0] = a, it->cp[1] = ctx->who.user_id, it->cp[2] = ctx->who.session_id;
        it->cp[3] = ctx->who.role, it->ncp = 4;
    }
    *b->tail = it;
    b->tail = &it->next;
    b->queued++;
    ctx->suspended = true;
    if (!b->out)
        event_active(b->kick, EV_TIMEOUT, 1);
    return true;
}
