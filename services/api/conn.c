/* crt-api connections: accepting (a reserve descriptor and a pause when descriptors run out),
 * the transport of each connection, deadlines that activity does not extend (request line +
 * headers, body minimum rate, keep-alive idle), in-flight accounting, and the shutdown
 * hand-over of the accept queue.
 *
 * evhttp (libevent 2.1) has no hook per connection, so this file keeps its own record of every
 * connection: the worker accepts the descriptor itself, then hands it to evhttp's own accept
 * callback; evhttp creates the bufferevent through conn_bevcb (while `adopting` names the
 * record), and the record watches the bytes that arrive through a callback on that
 * bufferevent's input buffer. evhttp's close callback ends the record. */
#include "conn.h"

#include <dlfcn.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "crt/log.h"
#include "crt/metrics.h"

#define NS_PER_MS 1000000ull
#define ACCEPT_PAUSE_MS 100      /* accepting pauses this long after accept() failed */
#define NO_FD_LOG_EVERY_MS 10000 /* at most one log line per worker per interval */
#define BODY_ALLOWANCE_MS 1000   /* a body may start this late before its rate counts */
#define SHED_MAX 64              /* queued connections closed per lack of descriptors */

enum conn_phase {
    CONN_IDLE,    /* no byte of the next request yet (fresh or kept alive) */
    CONN_HEADERS, /* request line and headers arriving */
    CONN_BODY,    /* headers complete, body arriving */
    CONN_BUSY     /* routed: handled and answered; no deadline of ours */
};

struct conn {
    struct worker *w;
    struct bufferevent *bev; /* referenced until the connection closes */
    struct evhttp_connection *evcon;
    struct event *timer;
    enum conn_phase phase;
    bool fresh;             /* no request yet: IDLE counts against the header deadline */
    unsigned char eoh;      /* end-of-headers matcher: 0 start, 1 in a line, 2 after LF */
    uint64_t start_ns;      /* accepted, or the current request's (or idle period's) start */
    uint64_t body_start_ns; /* headers complete */
    uint64_t body_bytes;
    uint64_t deadline_ns;
    struct conn *prev, *next;
};

struct conn_handoff {
    evutil_socket_t fd;
    struct sockaddr_storage sa;
    socklen_t len;
};

/* ---- evhttp's accept callback ----
 * libevent 2.1 keeps the function that turns an accepted descriptor into an HTTP connection
 * private (accept_socket_cb); evhttp_bind_listener hands it to evconnlistener_set_cb through
 * the PLT (as http.c's evhttp_send_error is interposed). This definition forwards to libevent's
 * and remembers the callback, so that conn_accept can run its checks first and the shutdown can
 * serve connections that were accepted for later. Called only at start-up (worker_init). */
static evconnlistener_cb evhttp_accept;
static void conn_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int len, void *arg);

void evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb, void *arg)
{
    static void (*real)(struct evconnlistener *, evconnlistener_cb, void *);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "evconnlistener_set_cb");
    if (cb != conn_accept)
        evhttp_accept = cb;
    if (real)
        real(lev, cb, arg);
}

/* ---- deadlines ---- */

static void conn_arm(struct conn *c, uint64_t deadline_ns)
{
    uint64_t now = http_now_ns();
    uint64_t d = deadline_ns > now ? deadline_ns - now : 0;
    struct timeval tv = {(time_t)(d / 1000000000u), (suseconds_t)(d % 1000000000u / 1000u) + 1};
    c->deadline_ns = deadline_ns;
    event_add(c->timer, &tv);
}

/* Closes c through evhttp as a timeout (evhttp frees it; conn_closed then frees c). */
static void conn_close(struct conn *c, enum metrics_close why)
{
    metrics_http_closed(why);
    bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
}

static void conn_expire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    if (http_now_ns() < c->deadline_ns) { /* armed from a stale loop time: not yet */
        conn_arm(c, c->deadline_ns);
        return;
    }
    enum metrics_close why = c->phase == CONN_BODY                  ? MC_BODY_RATE
                             : c->phase == CONN_IDLE && !c->fresh ? MC_IDLE
                                                                   : MC_HEADER_TIMEOUT;
    if (c->phase != CONN_BUSY)
        conn_close(c, why);
}

static uint64_t body_deadline(const struct conn *c)
{
    const struct crt_config *cfg = c->w->cfg;
    return c->body_start_ns + BODY_ALLOWANCE_MS * NS_PER_MS +
           c->body_bytes * 1000000000ull / (uint64_t)cfg->body_min_rate;
}

/* Feeds one byte to the end-of-headers matcher (an empty line; leading empty lines, which
 * evhttp skips, do not count); true at the end of the headers. */
static bool eoh_step(struct conn *c, char ch)
{
    if (ch == '\r')
        return false;
    if (ch != '\n')
        c->eoh = 1;
    else if (c->eoh == 1)
        c->eoh = 2;
    else if (c->eoh == 2)
        return true;
    return false;
}

/* Scans the `added` bytes at the end of buf; returns how many of them follow the end of the
 * headers, or -1 when the headers go on. */
static long scan_headers(struct conn *c, struct evbuffer *buf, size_t added)
{
    size_t len = evbuffer_get_length(buf), done = 0;
    struct evbuffer_ptr p;
    char chunk[512];
    if (added > len)
        added = len;
    if (evbuffer_ptr_set(buf, &p, len - added, EVBUFFER_PTR_SET) != 0)
        return -1;
    while (done < added) {
        size_t n = added - done < sizeof chunk ? added - done : sizeof chunk;
        if (evbuffer_copyout_from(buf, &p, chunk, n) != (ev_ssize_t)n)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (eoh_step(c, chunk[i]))
                return (long)(added - done - i - 1);
        done += n;
        if (evbuffer_ptr_set(buf, &p, n, EVBUFFER_PTR_ADD) != 0)
            return -1;
    }
    return -1;
}

/* Bytes arrived (before evhttp parses them): move through the phases and their deadlines. */
static void conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    const struct crt_config *cfg = c->w->cfg;
    if (info->n_added == 0 || c->phase == CONN_BUSY)
        return;
    uint64_t now = http_now_ns();
    size_t body = info->n_added;
    if (c->phase == CONN_IDLE) {
        if (!c->fresh)
            c->start_ns = now;
        c->phase = CONN_HEADERS;
        c->eoh = 0;
        conn_arm(c, c->start_ns + (uint64_t)cfg->header_timeout_ms * NS_PER_MS);
    }
    if (c->phase == CONN_HEADERS) {
        long rest = scan_headers(c, buf, info->n_added);
        if (rest < 0)
            return;
        c->phase = CONN_BODY;
        c->body_start_ns = now;
        c->body_bytes = 0;
        body = (size_t)rest;
    }
    c->body_bytes += body;
    conn_arm(c, body_deadline(c));
}

/* ---- the record of a connection ---- */

static void conn_unlink(struct conn *c)
{
    struct conn_set *s = &c->w->conns;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->head == c)
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void conn_release(struct conn *c)
{
    if (c->bev) {
        evbuffer_remove_cb(bufferevent_get_input(c->bev), conn_input, c);
        bufferevent_decref(c->bev);
    }
    if (c->timer)
        event_free(c->timer);
    free(c);
}

static void conn_request_end(struct conn *c)
{
    c->w->inflight--;
    metrics_http_inflight(-1);
}

/* evhttp is freeing the connection (answered with close, failed, timed out, or shut down). */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    struct conn *c = arg;
    if (c->phase == CONN_BUSY)
        conn_request_end(c); /* its answer was not (fully) written */
    conn_unlink(c);
    c->w->conns.count--;
    metrics_http_conns(-1);
    conn_release(c);
}

/* The answer was written; the connection stays for the next request. */
static void conn_request_done(struct evhttp_request *req, void *arg)
{
    (void)req;
    struct conn *c = arg;
    conn_request_end(c);
    c->phase = CONN_IDLE;
    c->fresh = false;
    c->start_ns = http_now_ns();
    conn_arm(c, c->start_ns + (uint64_t)c->w->cfg->idle_timeout_ms * NS_PER_MS);
}

struct conn *conn_of(struct worker *w, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    for (struct conn *c = w->conns.head; c && evcon; c = c->next)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

void conn_request_begin(struct conn *c, struct evhttp_request *req)
{
    c->phase = CONN_BUSY;
    event_del(c->timer);
    c->w->inflight++;
    metrics_http_inflight(1);
    evhttp_request_set_on_complete_cb(req, conn_request_done, c);
}

void conn_close_idle(struct worker *w, uint64_t idle_ns, bool receiving)
{
    uint64_t now = http_now_ns();
    struct conn *next;
    for (struct conn *c = w->conns.head; c; c = next) {
        next = c->next;
        if ((c->phase == CONN_IDLE && now - c->start_ns >= idle_ns) ||
            (receiving && (c->phase == CONN_HEADERS || c->phase == CONN_BODY)))
            conn_close(c, MC_SHUTDOWN);
    }
}

/* ---- transport ---- */

struct bufferevent *conn_transport_new(struct event_base *base, struct worker *w)
{
    (void)w;
    /* TLS when crt-api serves it itself (tls.c: the SSL bufferevent owns and closes the
     * descriptor); else plain TCP, as evhttp would make it: no descriptor yet, evhttp closes it. */
    if (tls_enabled())
        return tls_bev_new(base, NULL);
    return bufferevent_socket_new(base, -1, 0);
}

/* evhttp's bufferevent callback: the transport, watched for the record being adopted. */
static struct bufferevent *conn_bevcb(struct event_base *base, void *arg)
{
    struct worker *w = arg;
    struct conn *c = w->conns.adopting;
    struct bufferevent *bev = conn_transport_new(base, w);
    if (bev == NULL || c == NULL ||
        evbuffer_add_cb(bufferevent_get_input(bev), conn_input, c) == NULL)
        return bev; /* conn_adopt sees no bev and lets the connection go untracked */
    bufferevent_incref(bev);
    c->bev = bev;
    return bev;
}

/* Hands fd to evhttp with a record of its own; fd is evhttp's (or closed) afterwards. */
static void conn_adopt(struct worker *w, evutil_socket_t fd, struct sockaddr *sa, int len)
{
    struct conn_set *s = &w->conns;
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL || (c->timer = evtimer_new(w->base, conn_expire, c)) == NULL) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->w = w;
    c->fresh = true;
    c->start_ns = http_now_ns();
    s->adopting = c;
    evhttp_accept(s->listener, fd, sa, len, w->http);
    s->adopting = NULL;
    void *evcon = NULL;
    if (c->bev)
        bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
    if (evcon == NULL) { /* evhttp could not take it (and closed it) or it is untracked */
        conn_release(c);
        return;
    }
    c->evcon = evcon;
    evhttp_connection_set_closecb(c->evcon, conn_closed, c);
    c->next = s->head;
    if (s->head)
        s->head->prev = c;
    s->head = c;
    s->count++;
    metrics_http_conns(1);
    conn_arm(c, c->start_ns + (uint64_t)w->cfg->header_timeout_ms * NS_PER_MS);
}

static void conn_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int len, void *arg)
{
    (void)l;
    conn_adopt(arg, fd, sa, len);
}

/* ---- running out of descriptors ---- */

/* Closes queued connections unserved with the reserve descriptor's slot, so that clients learn
 * at once instead of waiting in the queue; returns how many. */
static unsigned conn_shed(struct conn_set *s)
{
    unsigned n = 0;
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    for (; n < SHED_MAX; n++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            break;
        close(fd);
        metrics_http_closed(MC_NO_FD);
    }
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return n;
}

static void conn_log_accept_error(struct worker *w, int err, unsigned shed)
{
    struct conn_set *s = &w->conns;
    uint64_t now = http_now_ns();
    s->no_fd++;
    if (s->no_fd_logged_ns && now - s->no_fd_logged_ns < NO_FD_LOG_EVERY_MS * NS_PER_MS)
        return;
    log_warn("worker %d: accept failed (%s) %u times since the last report; accepting pauses "
             "%d ms each time (%u queued connections closed unserved now)",
             w->index, strerror(err), s->no_fd, ACCEPT_PAUSE_MS, shed);
    s->no_fd = 0;
    s->no_fd_logged_ns = now;
}

/* accept() failed for another reason than "nothing queued": pause accepting for a moment
 * instead of spinning on a socket that stays readable. */
static void conn_accept_error(struct evconnlistener *l, void *arg)
{
    struct worker *w = arg;
    struct conn_set *s = &w->conns;
    int err = EVUTIL_SOCKET_ERROR();
    pthread_mutex_lock(&s->mu);
    bool closed = s->listen_closed;
    pthread_mutex_unlock(&s->mu);
    evconnlistener_disable(l);
    if (closed) /* shut down by conn_stop_listening */
        return;
    unsigned shed = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM
                        ? conn_shed(s)
                        : 0;
    conn_log_accept_error(w, err, shed);
    struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};
    event_add(s->retry_ev, &pause);
}

static void conn_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    if (!w->stopping && w->conns.listener)
        evconnlistener_enable(w->conns.listener);
}

/* ---- listening and the shutdown hand-over ---- */

bool conn_listen(struct worker *w, const struct sockaddr_in *sa)
{
    struct conn_set *s = &w->conns;
    s->listen_fd = s->reserve_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->ready = true;
    s->listener = evconnlistener_new_bind(
        w->base, conn_accept, w,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
            LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
        1024, (const struct sockaddr *)sa, sizeof *sa);
    if (s->listener == NULL) {
        log_error("worker %d: cannot listen on %s", w->index, w->cfg->listen);
        return false;
    }
    s->bound = evhttp_bind_listener(w->http, s->listener); /* evhttp_accept is known now */
    if (s->bound == NULL) {
        evconnlistener_free(s->listener);
        s->listener = NULL;
        return false;
    }
    evconnlistener_set_cb(s->listener, conn_accept, w);
    evconnlistener_set_error_cb(s->listener, conn_accept_error);
    evhttp_set_bevcb(w->http, conn_bevcb, w);
    s->listen_fd = evconnlistener_get_fd(s->listener);
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->retry_ev = evtimer_new(w->base, conn_retry, w);
    if (evhttp_accept == NULL || s->reserve_fd < 0 || s->retry_ev == NULL) {
        log_error("worker %d: cannot set up accepting", w->index);
        return false;
    }
    return evconnlistener_enable(s->listener) == 0;
}

/* Takes every connection queued on the listening socket for later (s->mu held). */
static void conn_take_queue(struct conn_set *s)
{
    for (;;) {
        if (s->nhandoff == s->caphandoff) {
            size_t cap = s->caphandoff ? 2 * s->caphandoff : 64;
            struct conn_handoff *h = realloc(s->handoff, cap * sizeof *h);
            if (h == NULL)
                return;
            s->handoff = h;
            s->caphandoff = cap;
        }
        struct conn_handoff *h = &s->handoff[s->nhandoff];
        h->len = sizeof h->sa;
        h->fd = accept4(s->listen_fd, (struct sockaddr *)&h->sa, &h->len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (h->fd < 0)
            return;
        s->nhandoff++;
    }
}

void conn_stop_listening(struct worker *w)
{
    struct conn_set *s = &w->conns;
    pthread_mutex_lock(&s->mu);
    if (!s->listen_closed && s->listen_fd >= 0) {
        conn_take_queue(s);
        shutdown(s->listen_fd, SHUT_RDWR); /* new connections are refused from now on */
    }
    s->listen_closed = true;
    pthread_mutex_unlock(&s->mu);
}

void conn_adopt_queued(struct worker *w)
{
    struct conn_set *s = &w->conns;
    conn_stop_listening(w);
    pthread_mutex_lock(&s->mu);
    struct conn_handoff *h = s->handoff;
    size_t n = s->nhandoff;
    s->handoff = NULL;
    s->nhandoff = s->caphandoff = 0;
    s->listen_fd = -1;
    pthread_mutex_unlock(&s->mu);
    if (s->bound)
        evhttp_del_accept_socket(w->http, s->bound); /* frees the listener */
    s->bound = NULL;
    s->listener = NULL;
    for (size_t i = 0; i < n; i++)
        conn_adopt(w, h[i].fd, (struct sockaddr *)&h[i].sa, (int)h[i].len);
    free(h);
}

void conn_set_free(struct worker *w)
{
    struct conn_set *s = &w->conns;
    if (!s->ready)
        return;
    for (size_t i = 0; i < s->nhandoff; i++)
        evutil_closesocket(s->handoff[i].fd);
    free(s->handoff);
    if (s->retry_ev)
        event_free(s->retry_ev);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    pthread_mutex_destroy(&s->mu);
}
