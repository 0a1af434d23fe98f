/* Integration: crt-api's limits on connections — shutdown (new connections refused at once,
 * queued requests answered, queued logins answered within the grace period), slow clients
 * (header deadline, body minimum rate, idle keep-alive), running out of descriptors, answers
 * slower than the I/O timeout, the in-flight gauge, and bodies framed two ways. Each test
 * starts its own crt-api with short settings. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    pid_t pid = api_start(NULL);
    harness_login_all();
    api_stop(pid);
}

/* The crt-api of the running test, killed after it whatever the outcome (a failed assertion
 * leaves the test before its own stop). */
static pid_t api_pid;

static void kill_leftover(void)
{
    int status;
    if (api_pid > 0 && waitpid(api_pid, &status, WNOHANG) == 0) {
        kill(api_pid, SIGKILL);
        waitpid(api_pid, &status, 0);
    }
    api_pid = 0;
}

TestSuite(limits, .fini = kill_leftover);

static pid_t start(const struct api_opts *o)
{
    return api_pid = api_start_opts(o);
}


static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Exit status of pid within timeout_ms, or -1 (then it is killed). */
static int wait_exit(pid_t pid, int timeout_ms)
{
    int status;
    for (int t = 0; t < timeout_ms; t += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Sends s bytes of text, one every gap_ms, until the server closes the connection or
 * limit_ms pass; returns the seconds until the close was seen, or -1. */
static double trickle_until_closed(int s, const char *text, int gap_ms, int limit_ms)
{
    double t0 = now_s();
    for (size_t i = 0; (now_s() - t0) * 1000 < limit_ms; i++) {
        char b = text[i % strlen(text)];
        char sink[256];
        ssize_t got = recv(s, sink, sizeof sink, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
            send(s, &b, 1, MSG_NOSIGNAL) != 1)
            return now_s() - t0;
        sleep_ms(gap_ms);
    }
    return -1;
}

/* ---- slow clients ---- */

static const char *const slow_env[] = {"CRT_HEADER_TIMEOUT_MS=1000", "CRT_BODY_MIN_RATE=100",
                                       "CRT_IDLE_TIMEOUT_MS=700", NULL};

Test(limits, a_slow_header_client_is_disconnected_by_the_deadline_although_it_keeps_sending)
{
    pid_t pid = start(&(struct api_opts){.env = slow_env});
    int s = api_connect();
    cr_assert_geq(s, 0);
    const char *start = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    cr_assert_eq(send(s, start, strlen(start), 0), (ssize_t)strlen(start));
    double t = trickle_until_closed(s, "X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n", 200, 4000);
    close(s);
    cr_assert(t > 0, "a byte every 200 ms kept the connection open for 4 s");
    cr_assert(t < 2.5, "closed %.2f s after the request began (deadline 1 s)", t);
    cr_assert_geq(api_metric("crt_http_connections_closed_total{reason=\"header_timeout\"}"), 1);
    cr_assert_eq(api_stop(pid), 0);
}

Test(limits, a_body_slower_than_the_minimum_rate_is_cut_off)
{
    pid_t pid = start(&(struct api_opts){.env = slow_env});
    int s = api_connect();
    cr_assert_geq(s, 0);
    const char *head = "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n";
    cr_assert_eq(send(s, head, strlen(head), 0), (ssize_t)strlen(head));
    /* 5 bytes a second against a minimum of 100: cut after the one-second allowance. */
    double t = trickle_until_closed(s, "{\"username\":\"x\",", 200, 4000);
    close(s);
    cr_assert(t > 0, "a trickling body kept the connection open for 4 s");
    cr_assert(t < 2.5, "closed %.2f s after the headers", t);
    cr_assert_geq(api_metric("crt_http_connections_closed_total{reason=\"body_rate\"}"), 1);
    cr_assert_eq(api_stop(pid), 0);
}

Test(limits, an_idle_keep_alive_connection_is_closed)
{
    pid_t pid = start(&(struct api_opts){.env = slow_env});
    int s = api_connect();
    cr_assert_geq(s, 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(send(s, req, strlen(req), 0), (ssize_t)strlen(req));
    struct resp r;
    cr_assert_eq(api_read(s, &r, 2000), 0);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    double t0 = now_s();
    char b;
    struct timeval tv = {3, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recv(s, &b, 1, 0);
    double t = now_s() - t0;
    close(s);
    cr_assert_eq(got, 0, "the server closed the idle connection");
    cr_assert(t > 0.4 && t < 1.8, "after %.2f s (idle timeout 0.7 s)", t);
    cr_assert_eq(api_stop(pid), 0);
}

/* ---- framing ---- */

static void expect_refused(const char *raw, const char *why)
{
    struct resp r;
    cr_assert_eq(api_raw(&r, raw, strlen(raw)), 0, "%s: an answer", why);
    cr_assert_eq(r.status, 400, "%s: 400, got %d", why, r.status);
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "urn:crt:problem:malformed");
    cr_assert_str_eq(resp_header(&r, "Connection"), "close", "%s: the connection is closed", why);
    resp_free(&r);
}

Test(limits, a_body_framed_two_ways_is_refused)
{
    pid_t pid = start(&(struct api_opts){0});
    const char *body = "{\"username\":\"nobody\",\"password\":\"x\"}";
    char raw[512];
    snprintf(raw, sizeof raw,
             "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nContent-Length: 5\r\n\r\n%s", strlen(body), body);
    expect_refused(raw, "conflicting Content-Length");
    snprintf(raw, sizeof raw,
             "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), strlen(body),
             body);
    expect_refused(raw, "identical Content-Length twice");
    snprintf(raw, sizeof raw,
             "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
             strlen(body), body);
    expect_refused(raw, "Transfer-Encoding with Content-Length");
    cr_assert_eq(api_stop(pid), 0);
}

/* ---- a request slower than the I/O timeout, and the in-flight gauge ---- */

struct call {
    const char *who; /* test account key, or NULL */
    char path[128];
    const char *body;
    const char *method;
    int status;
    char retry_after[16];
    double answered_at;
};

static void *do_call(void *arg)
{
    struct call *c = arg;
    struct resp r;
    c->status = api_req(&r, c->method, c->path, c->who, c->body) == 0 ? r.status : -1;
    const char *ra = resp_header(&r, "Retry-After");
    snprintf(c->retry_after, sizeof c->retry_after, "%s", ra ? ra : "");
    c->answered_at = now_s();
    resp_free(&r);
    return NULL;
}

#define PATCH_BODY "{\"reason\":\"limits test\",\"source\":\"staff\",\"identification\":{\"title\":\"Mx\"}}"

/* Reads the answer on s in a thread of its own, noting when it arrived. */
struct reader {
    int s, status;
    char retry_after[16];
    double at;
};

static void *read_answer(void *arg)
{
    struct reader *rd = arg;
    struct resp r;
    rd->status = api_read(rd->s, &r, 10000) == 0 ? r.status : -1;
    rd->at = now_s();
    const char *ra = resp_header(&r, "Retry-After");
    snprintf(rd->retry_after, sizeof rd->retry_after, "%s", ra ? ra : "");
    resp_free(&r);
    return NULL;
}

/* Opens a connection and sends one request (Connection: close) on it; the socket, or -1. */
static int send_request(const char *method, const char *path, const char *body)
{
    char raw[512];
    int n = snprintf(raw, sizeof raw,
                     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %zu"
                     "\r\n\r\n%s",
                     method, path, body ? "Content-Type: application/json\r\n" : "",
                     body ? strlen(body) : 0, body ? body : "");
    int s = api_connect();
    if (s >= 0 && send(s, raw, (size_t)n, MSG_NOSIGNAL) != n) {
        close(s);
        s = -1;
    }
    return s;
}

/* Holds the row lock of person id on c (a superuser connection: RLS would hide the row from
 * any other role without a user context) in an open transaction. */
static void lock_person(PGconn *c, const char *id)
{
    const char *p[] = {id};
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM (SELECT 1 FROM persons WHERE id = $1::uuid "
                             "FOR UPDATE) l", 1, p), 1, "the row is locked");
}

Test(limits, an_answer_slower_than_the_io_timeout_is_delivered_and_in_flight_returns_to_zero)
{
    static const char *const env[] = {"CRT_IDLE_TIMEOUT_MS=1000", NULL};
    pid_t pid = start(&(struct api_opts){.env = env});
    char *id = create_person("atlas.intake", "Slow", "Answer", "1991-02-03");
    cr_assert_not_null(id);
    PGconn *c = db_super();
    lock_person(c, id);
    struct call call = {.who = "atlas.intake", .method = "PATCH", .body = PATCH_BODY};
    snprintf(call.path, sizeof call.path, "/v1/persons/%s", id);
    pthread_t t;
    pthread_create(&t, NULL, do_call, &call);
    sleep_ms(2500); /* the worker is held 2.5 s, longer than the 1 s I/O timeout */
    double committed = now_s();
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    pthread_join(t, NULL);
    cr_assert_geq(call.answered_at, committed, "the PATCH was held by the lock until now");
    PQfinish(c);
    cr_assert_eq(call.status, 200, "the slow answer arrived (got %d)", call.status);
    /* Only the /metrics request itself is in flight, on the only connection. */
    cr_assert_eq(api_metric("crt_http_requests_in_flight"), 1);
    cr_assert_eq(api_metric("crt_http_connections"), 1);
    double t0 = now_s();
    kill(pid, SIGTERM);
    cr_assert_eq(wait_exit(pid, 5000), 0);
    cr_assert(now_s() - t0 < 1.0, "nothing left in flight: exits at once (%.2f s)", now_s() - t0);
    free(id);
}

/* ---- shutdown ---- */

/* A new connection after SIGTERM: refused, or closed without an answer, at once. */
static void expect_not_served(void)
{
    int s = api_connect();
    if (s < 0)
        return; /* refused */
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send(s, req, strlen(req), MSG_NOSIGNAL);
    double t0 = now_s();
    char b;
    struct timeval tv = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recv(s, &b, 1, 0);
    close(s);
    cr_assert(got <= 0 && (got == 0 || errno == ECONNRESET) && now_s() - t0 < 0.5,
              "a connection made after SIGTERM is closed at once, not queued");
}

Test(limits, sigterm_refuses_new_connections_and_answers_every_queued_request)
{
    pid_t pid = start(&(struct api_opts){0});
    char *id = create_person("atlas.intake", "Queued", "Shutdown", "1992-03-04");
    cr_assert_not_null(id);
    PGconn *c = db_super();
    lock_person(c, id);
    struct call patch = {.who = "atlas.intake", .method = "PATCH", .body = PATCH_BODY};
    snprintf(patch.path, sizeof patch.path, "/v1/persons/%s", id);
    pthread_t pt;
    pthread_create(&pt, NULL, do_call, &patch);
    sleep_ms(300); /* one worker is now held in the database */
    int socks[8];
    for (int i = 0; i < 8; i++) {
        socks[i] = send_request("GET", "/healthz", NULL);
        cr_assert_geq(socks[i], 0);
    }
    sleep_ms(300); /* the ones on the held worker wait in its accept queue */
    kill(pid, SIGTERM);
    sleep_ms(200);
    for (int i = 0; i < 4; i++)
        expect_not_served();
    double committed = now_s();
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    pthread_join(pt, NULL);
    cr_assert_geq(patch.answered_at, committed, "the PATCH was held by the lock until now");
    PQfinish(c);
    int answered = 0;
    for (int i = 0; i < 8; i++) {
        struct resp r;
        answered += api_read(socks[i], &r, 5000) == 0 && r.status == 200;
        resp_free(&r);
        close(socks[i]);
    }
    cr_assert_eq(wait_exit(pid, 5000), 0, "clean exit");
    cr_assert_eq(patch.status, 200, "the request in the database finished (got %d)", patch.status);
    cr_assert_eq(answered, 8, "every queued request answered (%d of 8)", answered);
    free(id);
}

Test(limits, sigterm_closes_an_idle_keep_alive_connection_at_once)
{
    pid_t pid = start(&(struct api_opts){0});
    int s = api_connect();
    cr_assert_geq(s, 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(send(s, req, strlen(req), 0), (ssize_t)strlen(req));
    struct resp r;
    cr_assert_eq(api_read(s, &r, 2000), 0);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    double t0 = now_s();
    kill(pid, SIGTERM);
    char b;
    struct timeval tv = {3, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recv(s, &b, 1, 0);
    close(s);
    cr_assert_eq(got, 0, "the idle connection is closed");
    cr_assert_eq(wait_exit(pid, 3000), 0, "clean exit");
    cr_assert(now_s() - t0 < 1.0, "closed and exited %.2f s after SIGTERM", now_s() - t0);
}

Test(limits, sigterm_answers_queued_logins_within_the_grace_period)
{
    /* One hashing thread at cost 2^16: twelve checks take seconds; the grace is 1 s. */
    static const char *const env[] = {"CRT_SHUTDOWN_GRACE_MS=1000", "CRT_HASH_THREADS=1",
                                      "CRT_HASH_QUEUE=16", "CRT_SCRYPT_LOG2N=16", NULL};
    pid_t pid = start(&(struct api_opts){.env = env});
    int socks[12];
    for (int i = 0; i < 12; i++) {
        socks[i] = send_request("POST", "/v1/auth/login",
                                "{\"username\":\"no.such.user\",\"password\":\"wrong password\"}");
        cr_assert_geq(socks[i], 0);
    }
    sleep_ms(300);
    double t0 = now_s();
    kill(pid, SIGTERM);
    struct reader rd[12];
    pthread_t t[12];
    for (int i = 0; i < 12; i++) {
        rd[i] = (struct reader){.s = socks[i]};
        pthread_create(&t[i], NULL, read_answer, &rd[i]);
    }
    int dropped = 0;
    for (int i = 0; i < 12; i++) {
        pthread_join(t[i], NULL);
        close(socks[i]);
        cr_assert(rd[i].status == 401 || rd[i].status == 503, "login %d: 401 or 503, got %d", i,
                  rd[i].status);
        if (rd[i].status != 503)
            continue; /* checked before the grace period ended: answered when done */
        dropped++;
        cr_assert_str_eq(rd[i].retry_after, "2", "503 carries Retry-After");
        cr_assert(rd[i].at - t0 < 2.0, "login %d answered %.2f s after SIGTERM", i, rd[i].at - t0);
    }
    cr_assert_gt(dropped, 0, "logins not begun by the end of the grace period get 503");
    cr_assert_eq(wait_exit(pid, 10000), 0, "clean exit");
}

/* ---- out of descriptors ---- */

/* utime + stime of pid in clock ticks, or -1. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    long ut, st;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2)
        return -1;
    return ut + st;
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    while (f && (ch = fgetc(f)) != EOF)
        n += ch == '\n';
    if (f)
        fclose(f);
    return n;
}

Test(limits, out_of_descriptors_pauses_accepting_logs_once_and_recovers)
{
    static const char *const env[] = {"CRT_HEADER_TIMEOUT_MS=20000", NULL};
    char log[] = "/tmp/crt-limits-stderr-XXXXXX";
    int lfd = mkstemp(log);
    cr_assert_geq(lfd, 0);
    close(lfd);
    pid_t pid = start(&(struct api_opts){.env = env, .nofile = 64, .stderr_path = log});
    int socks[150], n = 0;
    for (; n < 150; n++) {
        socks[n] = api_connect();
        if (socks[n] < 0)
            break;
    }
    sleep_ms(500);
    long c0 = cpu_ticks(pid);
    sleep_ms(1500);
    long c1 = cpu_ticks(pid);
    long hz = sysconf(_SC_CLK_TCK);
    cr_assert(c0 >= 0 && c1 >= 0);
    cr_assert_lt((double)(c1 - c0) / (double)hz, 0.3, "crt-api used %.2f s of CPU in 1.5 s",
                 (double)(c1 - c0) / (double)hz);
    for (int i = 0; i < n; i++)
        close(socks[i]);
    bool healthy = false;
    for (int i = 0; i < 40 && !healthy; i++) {
        struct resp r;
        healthy = api_req(&r, "GET", "/healthz", NULL, NULL) == 0 && r.status == 200;
        resp_free(&r);
        if (!healthy)
            sleep_ms(50);
    }
    cr_assert(healthy, "/healthz answers again once descriptors are free");
    cr_assert_eq(api_stop(pid), 0);
    int lines = count_lines(log);
    unlink(log);
    cr_assert_leq(lines, 6, "stderr has %d lines", lines);
}
