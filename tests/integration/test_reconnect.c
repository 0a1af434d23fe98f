/* Integration: crt-api across a PostgreSQL restart and other failures of its database — the
 * whole session set-up comes back (statement timeout, statements, role matrix), failures of
 * the service's own objects blame the service, and an outage is logged once per interval.
 * Restarts the cluster and breaks shared objects: runs alone (RUN_SERIAL, one job). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

/* One worker (every request meets the same connection) and a short statement timeout. */
static const char *const api_env[] = {"CRT_THREADS=1", "CRT_STATEMENT_TIMEOUT_MS=1000", NULL};

/* The crt-api a test started, stopped by the test or, when an assertion ended it early, by
 * its fini (a process left running would hold ctest's output open). */
static pid_t api = -1;

static void stop_api(void)
{
    if (api > 0)
        cr_expect_eq(api_stop(api), 0, "crt-api exited with an error");
    api = -1;
}


static void restart_postgres(void)
{
    const char *cmd = getenv("CRT_TEST_PG_RESTART");
    cr_assert_not_null(cmd, "CRT_TEST_PG_RESTART (exported by deploy/local/crt-local) is needed");
    char quiet[1024];
    snprintf(quiet, sizeof quiet, "%s >/dev/null", cmd);
    cr_assert_eq(system(quiet), 0, "restart failed: %s", cmd);
}

static long count_log(const char *person_id, const char *outcome)
{
    PGconn *c = db_super();
    const char *p[] = {person_id, outcome};
    long n = sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                         "AND action = 'read' AND outcome = $2", 2, p);
    PQfinish(c);
    return n;
}

static int get_person(const char *id, struct resp *r)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    return api_req(r, "GET", path, "atlas.intake", NULL);
}

/* A person atlas.intake registered (own registration: readable) and read once. */
static char *readable_person(const char *last)
{
    char *id = create_person("atlas.intake", "Reconnect", last, "1990-01-02");
    cr_assert_not_null(id);
    struct resp r;
    cr_assert_eq(get_person(id, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    return id;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    for (int ch; f && (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    if (f)
        fclose(f);
    return n;
}

/* ---- (a) the role matrix after a restart ---- */

Test(reconnect, an_allowed_read_after_a_restart_answers_200_and_logs_no_denial, .timeout = 120,
     .fini = stop_api)
{
    /* Registered through the suite's crt-api: the one started here has loaded no role matrix
     * yet when the database restarts, so its first read must load it through the reconnect. */
    char *id = NULL;
    for (int i = 0; i < 4 && id == NULL; i++) /* that crt-api may meet an earlier restart */
        id = create_person("atlas.intake", "Reconnect", "Allowed", "1990-01-02");
    cr_assert_not_null(id);
    api = api_start(api_env);
    restart_postgres();
    for (int i = 0; i < 6; i++) {
        struct resp r;
        cr_assert_eq(get_person(id, &r), 0);
        cr_assert_eq(r.status, 200, "read %d after the restart: %d %s", i, r.status, r.body);
        resp_free(&r);
    }
    cr_assert_eq(count_log(id, "denied"), 0, "an allowed read was logged as denied");
    cr_assert_eq(count_log(id, "allowed"), 6);
    stop_api();
    free(id);
}

/* ---- (b, c) the statement timeout after a restart, and SIGTERM ---- */

/* Holds ACCESS EXCLUSIVE on persons for hold_s seconds from a superuser connection (returned
 * busy; finish with lock_end), once the lock is granted. */
static PGconn *lock_persons(int hold_s)
{
    PGconn *c = db_super(), *watch = db_super();
    char sql[160];
    snprintf(sql, sizeof sql,
             "BEGIN; LOCK TABLE persons IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(%d); COMMIT",
             hold_s);
    cr_assert_eq(PQsendQuery(c, sql), 1);
    long granted = 0;
    for (int i = 0; i < 100 && granted != 1; i++) {
        granted = sql_long(watch, "SELECT count(*) FROM pg_locks l JOIN pg_class c "
                                  "ON c.oid = l.relation WHERE c.relname = 'persons' "
                                  "AND l.mode = 'AccessExclusiveLock' AND l.granted", 0, NULL);
        usleep(50000);
    }
    PQfinish(watch);
    cr_assert_eq(granted, 1, "the lock was not taken");
    return c;
}

static void lock_end(PGconn *c)
{
    PGresult *r;
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    PQfinish(c);
}

Test(reconnect, a_blocked_read_after_a_restart_gets_503_after_the_statement_timeout,
     .timeout = 120, .fini = stop_api)
{
    api = api_start(api_env);
    char *id = readable_person("Blocked");
    restart_postgres();
    struct resp r = {0};
    for (int i = 0; i < 3 && r.status != 200; i++) { /* reconnected, whatever the first says */
        resp_free(&r);
        cr_assert_eq(get_person(id, &r), 0);
    }
    cr_assert_eq(r.status, 200, "reads after the restart: %d %s", r.status, r.body);
    resp_free(&r);
    PGconn *lock = lock_persons(8);
    double t0 = now_s();
    cr_assert_eq(get_person(id, &r), 0);
    double took = now_s() - t0;
    cr_assert_eq(r.status, 503, "%d %s", r.status, r.body);
    cr_assert_not_null(resp_header(&r, "Retry-After"));
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    cr_assert_not_null(strstr(r.body, "took too long"), "%s", r.body);
    cr_assert(took >= 0.9 && took < 4.0, "answered after %.2f s (statement timeout 1 s)", took);
    resp_free(&r);

    /* (c) SIGTERM with a read blocked on the lock: crt-api exits within the timeout, not when
     * the lock goes. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)api_port()),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "GET /v1/persons/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     id, harness_token("atlas.intake"));
    cr_assert(n > 0 && (size_t)n < sizeof req);
    cr_assert_eq(send(s, req, (size_t)n, MSG_NOSIGNAL), n);
    usleep(200000);
    t0 = now_s();
    stop_api();
    took = now_s() - t0;
    cr_assert_lt(took, 4.0, "SIGTERM took %.2f s with a read waiting on a lock", took);
    close(s);
    lock_end(lock);
    free(id);
}

/* ---- (item 7) failures of the service's own objects ---- */

static void grant_log_insert(void)
{
    PGconn *c = db_super();
    cr_assert(sql_ok(c, "GRANT INSERT ON access_log TO crt_api", 0, NULL));
    PQfinish(c);
}

static void grant_and_stop(void)
{
    grant_log_insert();
    stop_api();
}

Test(reconnect, a_read_whose_log_row_cannot_be_written_answers_500_and_shows_nothing,
     .timeout = 60, .fini = grant_and_stop)
{
    char log[] = "/tmp/crt-reconnect-log-XXXXXX";
    int fd = mkstemp(log);
    cr_assert_geq(fd, 0);
    close(fd);
    api = api_start_opts(&(struct api_opts){.env = api_env, .stderr_path = log});
    char *id = readable_person("Unlogged");
    PGconn *c = db_super();
    cr_assert(sql_ok(c, "REVOKE INSERT ON access_log FROM crt_api", 0, NULL));
    struct resp r;
    cr_assert_eq(get_person(id, &r), 0);
    grant_log_insert();
    cr_assert_eq(r.status, 500, "the service's own table, not the client: %d %s", r.status,
                 r.body);
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    cr_assert_null(strstr(r.body, "Reconnect"), "nothing of the person: %s", r.body);
    cr_assert_null(strstr(r.body, "Unlogged"), "nothing of the person: %s", r.body);
    resp_free(&r);
    cr_assert_eq(count_log(id, "allowed"), 1, "only the read before the revoke");
    stop_api();
    /* Logged at error level, naming the statement and SQLSTATE. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "grep -q ' error db: person_read failed sqlstate=42501' %s", log);
    cr_assert_eq(system(cmd), 0, "no error line in crt-api's log");
    unlink(log);
    PQfinish(c);
    free(id);
}

/* The current month's partition and the default one, detached (a missing partition) and
 * attached again by the fini. */
static char detached[2][64], bounds[2][200];

static void reattach(void)
{
    PGconn *c = db_super();
    for (int i = 0; i < 2; i++) {
        if (!detached[i][0])
            continue;
        char sql[320];
        snprintf(sql, sizeof sql, "ALTER TABLE access_log ATTACH PARTITION %.63s %.200s", detached[i],
                 bounds[i]);
        cr_assert(sql_ok(c, sql, 0, NULL), "%s: %s", sql, PQerrorMessage(c));
        detached[i][0] = '\0';
    }
    PQfinish(c);
}

static void reattach_partitions(void)
{
    reattach();
    stop_api();
}

static void detach_partition(PGconn *c, int i, const char *which)
{
    char q[512], sql[160];
    snprintf(q, sizeof q,
             "SELECT p.relname, pg_get_expr(p.relpartbound, p.oid) FROM pg_inherits i "
             "JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = 'access_log'::regclass "
             "AND %s",
             which);
    PGresult *r = PQexec(c, q);
    cr_assert_eq(PQntuples(r), 1, "%s", PQerrorMessage(c));
    snprintf(detached[i], sizeof detached[i], "%s", PQgetvalue(r, 0, 0));
    snprintf(bounds[i], sizeof bounds[i], "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    snprintf(sql, sizeof sql, "ALTER TABLE access_log DETACH PARTITION %s", detached[i]);
    cr_assert(sql_ok(c, sql, 0, NULL), "%s: %s", sql, PQerrorMessage(c));
}

Test(reconnect, a_read_with_no_partition_for_its_log_row_answers_500, .timeout = 60,
     .fini = reattach_partitions)
{
    api = api_start(api_env);
    char *id = readable_person("Partitionless");
    PGconn *c = db_super();
    detach_partition(c, 0, "p.relname = 'access_log_' || to_char(now() AT TIME ZONE 'UTC', "
                           "'YYYYMM')");
    detach_partition(c, 1, "p.relname = 'access_log_default'");
    struct resp r;
    cr_assert_eq(get_person(id, &r), 0);
    reattach();
    cr_assert_eq(r.status, 500, "not the client's data: %d %s", r.status, r.body);
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    cr_assert_null(strstr(r.body, "Partitionless"), "nothing of the person: %s", r.body);
    cr_assert_null(strstr(r.body, "violates"), "not the client's data: %s", r.body);
    resp_free(&r);
    cr_assert_eq(get_person(id, &r), 0);
    cr_assert_eq(r.status, 200, "reattached: %s", r.body);
    resp_free(&r);
    stop_api();
    PQfinish(c);
    free(id);
}

/* ---- (item 7) an outage is logged once per interval ---- */

/* The test database, named before an outage (it cannot be connected to during one). */
static char database[128];

/* ALTER DATABASE <the test database> ALLOW_CONNECTIONS allow, from a connection to the
 * postgres database (the current one cannot be altered so). */
static void allow_connections_to(bool allow)
{
    char url[1024], sql[256];
    snprintf(url, sizeof url, "%s dbname=postgres", getenv("CRT_SUPER_DATABASE_URL"));
    PGconn *pg = PQconnectdb(url);
    char *ident = PQescapeIdentifier(pg, database, strlen(database));
    cr_assert_not_null(ident, "%s", PQerrorMessage(pg));
    snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS %s", ident,
             allow ? "true" : "false");
    PQfreemem(ident);
    cr_assert(sql_ok(pg, sql, 0, NULL), "%s: %s", sql, PQerrorMessage(pg));
    PQfinish(pg);
}

static void end_outage(void)
{
    if (database[0])
        allow_connections_to(true);
    stop_api();
}

Test(reconnect, an_outage_of_many_requests_writes_a_few_log_lines, .timeout = 120,
     .fini = end_outage)
{
    enum { N = 40 };
    char log[] = "/tmp/crt-reconnect-log-XXXXXX";
    int fd = mkstemp(log);
    cr_assert_geq(fd, 0);
    close(fd);
    api = api_start_opts(&(struct api_opts){.env = api_env, .stderr_path = log});
    char *id = readable_person("Outage");
    PGconn *c = db_super();
    PGresult *name = PQexec(c, "SELECT current_database()");
    cr_assert_eq(PQntuples(name), 1);
    snprintf(database, sizeof database, "%s", PQgetvalue(name, 0, 0));
    PQclear(name);
    /* The database refuses connections and crt-api's are cut: an outage for crt-api. */
    allow_connections_to(false);
    cr_assert(sql_ok(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = 'crt_api' AND datname = current_database()", 0, NULL));
    size_t before = count_lines(log);
    for (int i = 0; i < N; i++) {
        struct resp r;
        cr_assert_eq(get_person(id, &r), 0);
        cr_assert_eq(r.status, 503, "request %d in the outage: %d %s", i, r.status, r.body);
        cr_assert_not_null(resp_header(&r, "Retry-After"));
        resp_free(&r);
    }
    size_t lines = count_lines(log) - before;
    allow_connections_to(true);
    struct resp r;
    cr_assert_eq(get_person(id, &r), 0);
    cr_assert_eq(r.status, 200, "after the outage: %s", r.body);
    resp_free(&r);
    stop_api();
    cr_assert_gt(lines, 0, "the outage was not logged at all");
    cr_assert_leq(lines, 6, "%d failed requests wrote %zu log lines", N, lines);
    unlink(log);
    PQfinish(c);
    free(id);
}
