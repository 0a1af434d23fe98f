/* Metrics: fixed arrays of atomic counters indexed by route and status, rendered on demand. */
#include "crt/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 64
static const int codes[] = {200, 201, 400, 401, 403, 404, 405, 409, 411, 413, 414, 415,
                            422, 429, 431, 500, 501, 503, 0 /* other */};
#define N_CODES (sizeof codes / sizeof codes[0])
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1.0,   2.5};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

static const struct route *table;
static size_t ntable;
/* Slot MAX_ROUTES is "unrouted". */
static atomic_ulong requests[MAX_ROUTES + 1][N_CODES];
static atomic_ulong buckets[MAX_ROUTES + 1][N_BOUNDS + 1];
static atomic_ulong sum_us[MAX_ROUTES + 1];
static atomic_int pool_configured, pool_connected, pool_busy;

void metrics_init(const struct route *routes, size_t n)
{
    table = routes;
    ntable = n < MAX_ROUTES ? n : MAX_ROUTES;
}

void metrics_observe(int route, int status, uint64_t ns)
{
    size_t r = route >= 0 && (size_t)route < ntable ? (size_t)route : MAX_ROUTES;
    size_t c = 0;
    while (codes[c] && codes[c] != status)
        c++;
    atomic_fetch_add_explicit(&requests[r][c], 1, memory_order_relaxed);
    double s = (double)ns / 1e9;
    size_t b = 0;
    while (b < N_BOUNDS && s > bounds[b])
        b++;
    atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[r], (unsigned long)(ns / 1000), memory_order_relaxed);
}

void metrics_pool_add(int configured, int connected)
{
    atomic_fetch_add(&pool_configured, configured);
    atomic_fetch_add(&pool_connected, connected);
}
void metrics_pool_busy(int d) { atomic_fetch_add_explicit(&pool_busy, d, memory_order_relaxed); }
void metrics_pool_connected(int d) { atomic_fetch_add(&pool_connected, d); }

static atomic_int http_conns, http_inflight;
static atomic_ulong http_closed[MC_N];
static const char *const close_reasons[MC_N] = {"header_timeout", "body_rate", "idle", "shutdown",
                                                 "no_descriptor"};
void metrics_http_conns(int d) { atomic_fetch_add_explicit(&http_conns, d, memory_order_relaxed); }
void metrics_http_inflight(int d)
{
    atomic_fetch_add_explicit(&http_inflight, d, memory_order_relaxed);
}
void metrics_http_closed(enum metrics_close r)
{
    atomic_fetch_add_explicit(&http_closed[r], 1, memory_order_relaxed);
}

static atomic_ulong audit_failed, login_events[ML_N];
static atomic_int db_up = -1; /* -1: not yet pinged */
static atomic_llong tls_not_after;
static const char *const login_kinds[ML_N] = {"lockout", "throttled"};
void metrics_audit_failed(void) { atomic_fetch_add_explicit(&audit_failed, 1, memory_order_relaxed); }
void metrics_login(enum metrics_login what)
{
    atomic_fetch_add_explicit(&login_events[what], 1, memory_order_relaxed);
}
void metrics_db_up(int up) { atomic_store(&db_up, up ? 1 : 0); }
void metrics_tls_not_after(int64_t t) { atomic_store(&tls_not_after, (long long)t); }

static atomic_ulong flights, flight_requests, flights_held, flight_conflicts;

void metrics_read_flight(int n, int held)
{
    atomic_fetch_add_explicit(&flights, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&flight_requests, (unsigned long)n, memory_order_relaxed);
    if (held)
        atomic_fetch_add_explicit(&flights_held, 1, memory_order_relaxed);
}
void metrics_read_flight_conflict(void)
{
    atomic_fetch_add_explicit(&flight_conflicts, 1, memory_order_relaxed);
}

struct out {
    char *buf;
    size_t len, cap;
    int failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    for (int tries = 0; tries < 2 && !o->failed; tries++) {
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)(n > 0 ? n : 0);
        char *nb = realloc(o->buf, cap);
        if (nb == NULL)
            o->failed = 1;
        else
            o->buf = nb, o->cap = cap;
    }
}

static void route_label(size_t r, char *out, size_t len)
{
    if (r == MAX_ROUTES)
        snprintf(out, len, "method=\"\",route=\"unrouted\"");
    else
        snprintf(out, len, "method=\"%s\",route=\"%s\"", http_method_name(table[r].method),
                 table[r].pattern);
}

static void render_route(struct out *o, size_t r)
{
    char label[200];
    route_label(r, label, sizeof label);
    unsigned long total = 0;
    for (size_t c = 0; c < N_CODES; c++) {
        unsigned long v = atomic_load_explicit(&requests[r][c], memory_order_relaxed);
        total += v;
        if (v && codes[c])
            put(o, "crt_http_requests_total{%s,status=\"%d\"} %lu\n", label, codes[c], v);
        else if (v)
            put(o, "crt_http_requests_total{%s,status=\"other\"} %lu\n", label, v);
    }
    if (total == 0)
        return;
    unsigned long cum = 0;
    for (size_t b = 0; b <= N_BOUNDS; b++) {
        cum += atomic_load_explicit(&buckets[r][b], memory_order_relaxed);
        if (b < N_BOUNDS)
            put(o, "crt_http_request_duration_seconds_bucket{%s,le=\"%g\"} %lu\n", label,
                bounds[b], cum);
        else
            put(o, "crt_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %lu\n", label, cum);
    }
    put(o, "crt_http_request_duration_seconds_sum{%s} %.6f\n", label,
        (double)atomic_load(&sum_us[r]) / 1e6);
    put(o, "crt_http_request_duration_seconds_count{%s} %lu\n", label, cum);
}

static void render_ops(struct out *o)
{
    put(o, "# HELP crt_access_log_write_failures_total Access-log rows that could not be written "
           "(the request was refused).\n"
           "# TYPE crt_access_log_write_failures_total counter\n"
           "crt_access_log_write_failures_total %lu\n"
           "# HELP crt_login_events_total Accounts locked after failed logins, and logins refused "
           "by the throttle.\n"
           "# TYPE crt_login_events_total counter\n",
        atomic_load(&audit_failed));
    for (int k = 0; k < ML_N; k++)
        put(o, "crt_login_events_total{kind=\"%s\"} %lu\n", login_kinds[k],
            atomic_load(&login_events[k]));
    int up = atomic_load(&db_up);
    if (up >= 0)
        put(o, "# HELP crt_db_up Whether the database answered a ping during this scrape.\n"
               "# TYPE crt_db_up gauge\ncrt_db_up %d\n", up);
    put(o, "# HELP crt_tls_certificate_not_after_seconds notAfter of the certificate served "
           "(Unix time; 0 without TLS).\n"
           "# TYPE crt_tls_certificate_not_after_seconds gauge\n"
           "crt_tls_certificate_not_after_seconds %lld\n", atomic_load(&tls_not_after));
    put(o, "# HELP crt_read_flights_total Transactions of group-committed reads sent (flights).\n"
           "# TYPE crt_read_flights_total counter\ncrt_read_flights_total %lu\n"
           "# HELP crt_read_flight_requests_total Requests those flights carried.\n"
           "# TYPE crt_read_flight_requests_total counter\ncrt_read_flight_requests_total %lu\n"
           "# HELP crt_read_flights_held_total Flights that waited for more requests first.\n"
           "# TYPE crt_read_flights_held_total counter\ncrt_read_flights_held_total %lu\n"
           "# HELP crt_read_flight_conflicts_total Flights a deadlock or serialization failure "
           "aborted (their requests ran again).\n"
           "# TYPE crt_read_flight_conflicts_total counter\ncrt_read_flight_conflicts_total %lu\n",
        atomic_load(&flights), atomic_load(&flight_requests), atomic_load(&flights_held),
        atomic_load(&flight_conflicts));
}

char *metrics_render(void)
{
    struct out o = {malloc(8192), 0, 8192, 0};
    if (o.buf == NULL)
        return NULL;
    put(&o, "# HELP crt_http_requests_total Requests answered, by route and status.\n"
            "# TYPE crt_http_requests_total counter\n"
            "# HELP crt_http_request_duration_seconds Time from routing to response.\n"
            "# TYPE crt_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ntable; r++)
        render_route(&o, r);
    render_route(&o, MAX_ROUTES);
    put(&o, "# HELP crt_db_connections Database connections of the workers, by state.\n"
            "# TYPE crt_db_connections gauge\n"
            "crt_db_connections{state=\"configured\"} %d\n"
            "crt_db_connections{state=\"connected\"} %d\n"
            "crt_db_connections{state=\"busy\"} %d\n",
        atomic_load(&pool_configured), atomic_load(&pool_connected), atomic_load(&pool_busy));
    put(&o, "# HELP crt_http_connections Open client connections.\n"
            "# TYPE crt_http_connections gauge\n"
            "crt_http_connections %d\n"
            "# HELP crt_http_requests_in_flight Requests routed whose answer is not yet written.\n"
            "# TYPE crt_http_requests_in_flight gauge\n"
            "crt_http_requests_in_flight %d\n"
            "# HELP crt_http_connections_closed_total Connections the server closed, by reason.\n"
            "# TYPE crt_http_connections_closed_total counter\n",
        atomic_load(&http_conns), atomic_load(&http_inflight));
    for (int r = 0; r < MC_N; r++)
        put(&o, "crt_http_connections_closed_total{reason=\"%s\"} %lu\n", close_reasons[r],
            atomic_load(&http_closed[r]));
    render_ops(&o);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
