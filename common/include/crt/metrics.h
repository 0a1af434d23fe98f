/* Metrics in the Prometheus text format: requests by route and status, a latency histogram per
 * route, and the state of the database connections. Lock-free counters (relaxed atomics). */
#ifndef CRT_METRICS_H
#define CRT_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "crt/router.h"

/* Registers the route table (kept by pointer; must outlive the process's metrics use). */
void metrics_init(const struct route *routes, size_t n);
/* Counts one response; route -1 means unrouted (404, evhttp's own errors). */
void metrics_observe(int route, int status, uint64_t ns);
/* Connection pool state: connections configured, connected, and busy in a request. */
void metrics_pool_add(int configured, int connected);
void metrics_pool_busy(int delta);
void metrics_pool_connected(int delta);
/* HTTP connections: open connections and requests in flight (routed, answer not yet written or
 * its connection not yet closed) as gauges; connections closed by the server, by reason. */
enum metrics_close { MC_HEADER_TIMEOUT, MC_BODY_RATE, MC_IDLE, MC_SHUTDOWN, MC_NO_FD, MC_N };
void metrics_http_conns(int delta);
void metrics_http_inflight(int delta);
void metrics_http_closed(enum metrics_close reason);
/* What the alerts of deploy/prometheus/crt-rules.yml watch besides the requests: access-log
 * rows that could not be written (the request was refused), accounts locked and logins
 * throttled, whether the database answered the last scrape's ping, and the notAfter time of
 * the TLS certificate served (0: none). */
enum metrics_login { ML_LOCKOUT, ML_THROTTLED, ML_N };
void metrics_audit_failed(void);
void metrics_login(enum metrics_login what);
void metrics_db_up(int up);
void metrics_tls_not_after(int64_t unix_time);
/* The read connections' flights (group commit, services/api/batch.c): one flight sent with n
 * requests, of which held says whether it waited for more (CRT_BATCH_HOLD_US). */
void metrics_read_flight(int n, int held);
/* A flight a deadlock or serialization failure aborted (its requests run again once). */
void metrics_read_flight_conflict(void);
/* The exposition text; malloc'ed, the caller frees. NULL when out of memory. */
char *metrics_render(void);

#endif
