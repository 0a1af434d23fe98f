/* The server: worker threads, each with its own event loop, evhttp, SO_REUSEPORT listener and
 * database connection; dispatch of a request through routing, body parsing and identity to
 * its handler; graceful shutdown on SIGTERM/SIGINT. Connections themselves are conn.c's. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "crt/log.h"
#include "crt/metrics.h"
#include "crt/token_cache.h"

#define DRAIN_TICK_US 10000
#define DRAIN_IDLE_NS 100000000ull  /* while draining, idle connections are closed after 100 ms */
#define DRAIN_EXTRA_NS 5000000000ull /* after the grace period, answers still being written */

static void send_routing_problem(struct http_ctx *ctx, enum router_result rr)
{
    if (rr == ROUTER_NOT_FOUND) {
        problem_send(ctx, 404, "not-found", "no such resource", NULL);
        return;
    }
    char allow[96] = "";
    for (unsigned m = 1; m <= HTTP_OTHER; m <<= 1)
        if (ctx->match.allowed & m)
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                     allow[0] ? ", " : "", http_method_name((enum http_method)m));
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Allow", allow);
    problem_send(ctx, 405, "method-not-allowed", "this resource does not accept that method",
                 NULL);
}

/* Partner tokens reach only partner routes, staff tokens only the others. */
static bool kind_fits(struct http_ctx *ctx, const struct route *route)
{
    bool partner = strcmp(ctx->who.role, "partner") == 0;
    if (partner == ((route->flags & ROUTE_PARTNER) != 0))
        return true;
    problem_send(ctx, 403, "forbidden",
                 partner ? "partner credentials reach only /v1/partner/…"
                         : "this route is for partner agencies",
                 NULL);
    return false;
}

/* A body framed two ways (two Content-Length headers, or Content-Length and Transfer-Encoding)
 * is the request-smuggling class: evhttp believed the first header, a proxy in front may have
 * believed another. Refused with 400, and the connection closed, since what evhttp read as the
 * next request may be the rest of this one. */
static bool framing_ok(struct http_ctx *ctx)
{
    int lengths = 0, encodings = 0;
    struct evkeyval *h;
    TAILQ_FOREACH(h, evhttp_request_get_input_headers(ctx->req), next)
    {
        lengths += strcasecmp(h->key, "Content-Length") == 0;
        encodings += strcasecmp(h->key, "Transfer-Encoding") == 0;
    }
    if (lengths <= 1 && (lengths == 0 || encodings == 0))
        return true;
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Connection", "close");
    problem_send(ctx, 400, "malformed",
                 lengths > 1 ? "the request has more than one Content-Length header"
                             : "the request has both Content-Length and Transfer-Encoding",
                 NULL);
    return false;
}

/* Parses the JSON object body of a ROUTE_BODY route; false after answering. */
static bool read_body(struct http_ctx *ctx)
{
    const char *ct =
        evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';')) {
        problem_send(ctx, 415, "unsupported-media-type", "the body must be application/json",
                     NULL);
        return false;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(ctx->req);
    size_t len = evbuffer_get_length(in);
    const char *data = (const char *)evbuffer_pullup(in, -1);
    json_error_t jerr;
    char field[128];
    struct field_error fe = {NULL, NULL};
    enum json_read jr =
        json_read_body(data ? data : "", len, &ctx->body, &jerr, field, sizeof field, &fe.detail);
    if (jr == JSON_READ_INVALID) {
        fe.field = field[0] ? arena_strdup(&ctx->arena, field) : NULL;
        api_invalid(ctx, &fe);
        return false;
    }
    if (ctx->body == NULL) {
        char *detail = arena_printf(&ctx->arena, "malformed JSON at line %d, column %d",
                                    jerr.line, jerr.column);
        problem_send(ctx, 400, "malformed-json", detail ? detail : "malformed JSON", NULL);
        return false;
    }
    if (!json_is_object(ctx->body)) {
        problem_send(ctx, 422, "validation", "the body must be a JSON object", NULL);
        return false;
    }
    return true;
}

void api_request_end(struct http_ctx *ctx)
{
    struct worker *w = ctx->worker;
    db_rollback(&w->db); /* no-op unless a handler left a transaction open */
    if (ctx->status == 0) {
        log_error("request_id=%s route=%d: handler sent no response", ctx->request_id,
                  ctx->route_index);
        problem_send(ctx, 500, "internal", "an internal error occurred", NULL);
    }
    static struct log_limit failed; /* an outage fails every request: one line per interval */
    if (ctx->status >= 500)
        log_limited(&failed, LOG_WARN, "request_id=%s status=%d", ctx->request_id, ctx->status);
    json_decref(ctx->body);
    arena_release(&ctx->arena);
    free(ctx);
}

/* An offloaded job as the server sees it: the handler's work, done and drop around its arg.
 * The worker lists the jobs it has not been handed back; the state says who owns arg. */
enum { JOB_QUEUED, JOB_RUNNING, JOB_DROPPED };
struct api_job {
    struct worker *w;
    struct http_ctx *ctx; /* NULL once dropped (answered) */
    void (*work)(void *), (*done)(void *), (*drop)(void *);
    void *arg;
    atomic_int state;
    struct api_job *prev, *next;
};

static void job_unlink(struct api_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (j->w->jobs == j)
        j->w->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
}

/* On a hashing thread: runs the work unless the worker dropped the job first. */
static void job_work(void *arg)
{
    struct api_job *j = arg;
    int queued = JOB_QUEUED;
    if (atomic_compare_exchange_strong(&j->state, &queued, JOB_RUNNING))
        j->work(j->arg);
}

/* On the worker's loop: the job is back (done, or dropped and already answered). */
static void job_done(void *arg)
{
    struct api_job *j = arg;
    j->w->offloaded--;
    if (atomic_load(&j->state) != JOB_DROPPED) {
        job_unlink(j);
        j->done(j->arg);
    }
    free(j);
}

/* Shutdown, grace period over: requests whose offloaded work has not begun are answered 503
 * now; their jobs come back later (job_done) and are only freed. */
static void jobs_drop_unstarted(struct worker *w)
{
    struct api_job *next;
    for (struct api_job *j = w->jobs; j; j = next) {
        next = j->next;
        int queued = JOB_QUEUED;
        if (!atomic_compare_exchange_strong(&j->state, &queued, JOB_DROPPED))
            continue;
        job_unlink(j);
        j->drop(j->arg);
        struct http_ctx *ctx = j->ctx;
        j->ctx = NULL;
        struct evkeyvalq *h = evhttp_request_get_output_headers(ctx->req);
        evhttp_add_header(h, "Retry-After", "2");
        evhttp_add_header(h, "Connection", "close");
        problem_send(ctx, 503, "shutting-down", "the service is restarting; try again in a moment",
                     NULL);
        api_request_end(ctx);
    }
}

bool api_offload(struct http_ctx *ctx, void (*work)(void *), void (*done)(void *),
                 void (*drop)(void *), void *arg)
{
    struct worker *w = ctx->worker;
    struct api_job *j = calloc(1, sizeof *j);
    if (j) {
        *j = (struct api_job){.w = w, .ctx = ctx, .work = work, .done = done, .drop = drop,
                                  .arg = arg, .next = w->jobs};
        atomic_init(&j->state, JOB_QUEUED);
        if (offload_submit(w->shared->hashing, w->base, job_work, job_done, j)) {
            if (w->jobs)
                w->jobs->prev = j;
            w->jobs = j;
            w->offloaded++;
            return true;
        }
        free(j);
    }
    evhttp_add_header(evhttp_request_get_output_headers(ctx->req), "Retry-After", "2");
    problem_send(ctx, 503, "busy", "too many logins at once; try again in a moment", NULL);
    return false;
}

/* Routing, identity, body, handler. The context lives on the heap so that a handler can
 * suspend (offloaded work) and finish later with api_request_end. */
static void dispatch(struct evhttp_request *req, void *arg)
{
    struct worker *w = arg;
    struct http_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        evhttp_send_error(req, 503, NULL);
        return;
    }
    ctx->req = req;
    ctx->worker = w;
    ctx->route_index = -1;
    ctx->started_ns = http_now_ns();
    arena_init(&ctx->arena);
    http_take_request_id(req, ctx->request_id);
    struct conn *c = conn_of(w, req);
    if (c)
        conn_request_begin(c, req);
    if (w->stopping || c == NULL) /* untracked (out of memory): one request only */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");

    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum router_result rr = ROUTER_OK;
    if (!framing_ok(ctx)) {
        /* answered */
    } else if (web_handles(path ? path : "/")) {
        web_serve(ctx);
    } else if ((rr = router_match(api_routes, api_nroutes, http_method_of(req),
                                  path ? path : "/", &ctx->match)) != ROUTER_OK) {
        send_routing_problem(ctx, rr);
    } else {
        ctx->route_index = ctx->match.index;
        const struct route *route = &api_routes[ctx->match.index];
        if ((route->flags & ROUTE_PUBLIC ||
             (identity_resolve(ctx) && kind_fits(ctx, route) && api_matrix_ready(ctx))) &&
            (!(route->flags & ROUTE_BODY) || read_body(ctx))) {
            metrics_pool_busy(1);
            route->handler(ctx);
            metrics_pool_busy(-1);
        }
    }
    if (!ctx->suspended)
        api_request_end(ctx);
}

/* ---- start-up and shutdown ---- */

static bool parse_listen(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return *end == '\0' && port > 0 && port < 65536 && inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

/* Every tick while draining: idle connections are closed; at the grace deadline, connections
 * still receiving a request are closed and offloaded work not yet begun is dropped (answered
 * 503); the loop ends when no connection and no offloaded job is left, or, when no offloaded
 * job is left, DRAIN_EXTRA_NS after the deadline (connections still being written to). */
static void drain_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    uint64_t now = http_now_ns();
    bool over = now >= w->deadline_ns;
    if (over && !w->grace_over) {
        w->grace_over = true;
        if (w->conns.count > 0 || w->offloaded > 0)
            log_warn("worker %d: grace period over with %d connections and %d requests "
                     "waiting for a hashing thread; closing",
                     w->index, w->conns.count, w->offloaded);
        jobs_drop_unstarted(w);
    }
    conn_close_idle(w, DRAIN_IDLE_NS, over);
    /* A hashing job already running is waited for however long it takes (the process waits
     * for the hashing threads anyway); only connections are cut at DRAIN_EXTRA_NS. */
    if (w->offloaded == 0 && batch_idle(w) &&
        (w->conns.count == 0 || now >= w->deadline_ns + DRAIN_EXTRA_NS))
        event_base_loopexit(w->base, NULL);
}

/* Runs in the worker's thread (activated from the signal thread, which has already stopped the
 * listening socket): serve what was queued on it, then drain (drain_check). */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = true;
    w->deadline_ns = http_now_ns() + (uint64_t)w->cfg->shutdown_grace_ms * 1000000u;
    conn_adopt_queued(w);
    struct timeval tick = {0, DRAIN_TICK_US};
    w->drain_ev = event_new(w->base, -1, EV_PERSIST, drain_check, w);
    if (w->drain_ev == NULL || event_add(w->drain_ev, &tick) != 0)
        event_base_loopexit(w->base, NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* Only drain_check ends the loop: a worker whose requests all wait for hashing threads has
     * no event registered (their results arrive as new events), and once the listening socket
     * is gone event_base_dispatch would return and drop them. */
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void worker_free(struct worker *w)
{
    if (w->drain_ev)
        event_free(w->drain_ev);
    if (w->stop_ev)
        event_free(w->stop_ev);
    if (w->http)
        evhttp_free(w->http); /* closes the connections left (conn.c's records go with them) */
    conn_set_free(w);
    batch_free(w);
    if (w->base)
        event_base_free(w->base);
    db_close(&w->db);
    token_cache_free(w->tokens);
}

static bool worker_init(struct worker *w, const struct api_shared *shared,
                        const struct sockaddr_in *sa)
{
    int n;
    const struct crt_config *cfg = shared->cfg;
    const struct db_stmt *stmts = api_statements(&n);
    w->cfg = cfg;
    w->shared = shared;
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (w->http == NULL)
        return false;
    enum db_status st = db_open(&w->db, cfg->database_url, stmts, n, cfg->statement_timeout_ms);
    w->db.own_writes = api_own_writes;
    if (st != DB_OK && st != DB_UNAVAILABLE)
        return false; /* a statement does not prepare: the schema is not what this build needs */
    if (st != DB_OK)
        log_warn("worker %d: database not reachable; /readyz answers 503 until it is", w->index);
    metrics_pool_add(1, w->db.conn && PQstatus(w->db.conn) == CONNECTION_OK);
    if (!batch_init(w))
        return false;
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_max_body_size(w->http, cfg->max_body_bytes);
    evhttp_set_max_headers_size(w->http, cfg->max_header_bytes);
    /* evhttp's own timeout restarts with every byte: it bounds a stalled reader of a response
     * (and idle reads); the deadlines activity cannot extend are conn.c's. */
    struct timeval io = {cfg->idle_timeout_ms / 1000, cfg->idle_timeout_ms % 1000 * 1000};
    evhttp_set_timeout_tv(w->http, &io);
    evhttp_set_gencb(w->http, dispatch, w);
    w->stop_ev = event_new(w->base, -1, 0, stop_cb, w);
    return w->stop_ev && conn_listen(w, sa);
}

static struct worker *workers;
static int nworkers;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_info("signal %d: finishing in-flight requests", (int)sig);
    /* Here, not in the workers: a worker busy in the database would keep accepting. */
    for (int i = 0; i < nworkers; i++)
        conn_stop_listening(&workers[i]);
    for (int i = 0; i < nworkers; i++)
        event_active(workers[i].stop_ev, 0, 0);
    event_base_loopexit(arg, NULL);
}

static void observe(int route, int status, uint64_t ns) { metrics_observe(route, status, ns); }

int server_run(const struct api_shared *shared)
{
    const struct crt_config *cfg = shared->cfg;
    struct sockaddr_in sa;
    int rc = 1, started = 0;
    struct event_base *main_base = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    if (!parse_listen(cfg->listen, &sa)) {
        log_error("CRT_LISTEN must be an IPv4 host:port, e.g. 127.0.0.1:8080");
        offload_free(shared->hashing);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (evthread_use_pthreads() != 0)
        return 1;
    if (!web_init(cfg->web_root))
        return 1;
    metrics_init(api_routes, api_nroutes);
    http_observe = observe;
    nworkers = cfg->threads;
    workers = calloc((size_t)nworkers, sizeof *workers);
    main_base = event_base_new();
    if (workers == NULL || main_base == NULL)
        goto done;
    for (int i = 0; i < nworkers; i++) {
        workers[i].index = i;
        if (!worker_init(&workers[i], shared, &sa))
            goto done;
    }
    sigterm = evsignal_new(main_base, SIGTERM, on_signal, main_base);
    sigint = evsignal_new(main_base, SIGINT, on_signal, main_base);
    if (!sigterm || !sigint || evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL) ||
        !tls_watch(main_base))
        goto done;
    for (; started < nworkers; started++)
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
            goto done;
    log_info("crt-api listening on %s (%s) with %d workers", cfg->listen,
             tls_enabled() ? "https" : "http behind a TLS proxy", nworkers);
    event_base_dispatch(main_base);
    rc = 0;
done:
    for (int i = 0; i < started; i++) {
        if (rc != 0)
            event_active(workers[i].stop_ev, 0, 0);
        pthread_join(workers[i].thread, NULL);
    }
    /* Loops have stopped: finish hashing jobs before the bases they report to are freed. */
    offload_free(shared->hashing);
    for (int i = 0; workers && i < nworkers; i++)
        worker_free(&workers[i]);
    free(workers);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    tls_free();
    if (main_base)
        event_base_free(main_base);
    log_info("crt-api stopped");
    return rc;
}
