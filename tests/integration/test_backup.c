/* Integration: backups and restore (docs/operations.md "Backups and restore") on a cluster of
 * its own — a base backup and archived WAL restored into a new cluster bring back everything but
 * the persons erased since (the erasure ledger, kept outside the database, is re-applied before
 * the service opens), the sealed log still verifies, and no erasure is acknowledged without its
 * ledger line. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness_rights.h"

#define INTAKE "atlas.intake"
#define COORD "atlas.coordinator"

/* The test cluster's folder (pgdata, run = socket, backup, ledger, head) and port. Set by the
 * PRE_ALL hook; each test is a new process of this binary (Criterion re-executes it), so they
 * travel in the environment. */
static char dir[256];
static int port;

static void load_cluster(void)
{
    const char *d = getenv("CRT_TEST_BACKUP_DIR"), *p = getenv("CRT_TEST_BACKUP_PORT");
    cr_assert(d && p, "the PRE_ALL hook set the cluster up");
    snprintf(dir, sizeof dir, "%s", d);
    port = atoi(p);
}

/* Runs a shell command (printf-formatted) with stdout and stderr into out; the exit status. */
static int sh(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t n, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void conn_env(const char *name, const char *sock, const char *db, const char *user)
{
    char v[512];
    snprintf(v, sizeof v, "host=%s port=%d dbname=%s user=%s", sock, port, db, user);
    setenv(name, v, 1);
}

/* Everything the harness, crtctl, crt-review and crt-backup read points into dir. */
static void point_env_at(const char *sock)
{
    char v[512];
    conn_env("CRT_DATABASE_URL", sock, "crt", "crt_api");
    conn_env("CRT_OWNER_DATABASE_URL", sock, "crt", "crt_owner");
    conn_env("CRT_REVIEW_DATABASE_URL", sock, "crt", "crt_review");
    conn_env("CRT_SUPER_DATABASE_URL", sock, "crt", "postgres");
    conn_env("CRT_BACKUP_DATABASE_URL", sock, "postgres", "postgres");
    snprintf(v, sizeof v, "%s/backup", dir);
    setenv("CRT_BACKUP_DIR", v, 1);
    snprintf(v, sizeof v, "%s/erasure-ledger", dir);
    setenv("CRT_ERASURE_LEDGER_FILE", v, 1);
    snprintf(v, sizeof v, "%s/seal-head.json", dir);
    setenv("CRT_REVIEW_SEAL_HEAD_FILE", v, 1);
    snprintf(v, sizeof v, "%s/reports", dir);
    setenv("CRT_REVIEW_REPORT_DIR", v, 1);
    setenv("CRT_CTL", CRT_CTL_BIN, 1);
    setenv("CRT_REVIEW", CRT_REVIEW_BIN, 1);
}

static pid_t api_pid; /* of the runner process, which runs both hooks */

/* An enrolled account of ctl and role whose token the tests find under the key "ctl.role"
 * (harness_token); only the two these tests use, to keep the set-up short. */
static void login(const char *ctl, const char *role)
{
    struct account a;
    char name[96];
    if (!account_new(&a, ctl, role)) {
        fprintf(stderr, "test_backup: no %s.%s account\n", ctl, role);
        exit(1);
    }
    snprintf(name, sizeof name, "CRT_TEST_TOKEN_%s_%s", ctl, role);
    setenv(name, a.token, 1);
    account_free(&a);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    char out[4096], sock[300];
    snprintf(dir, sizeof dir, "/var/tmp/crt-test-backup.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    port = 40000 + getpid() % 20000;
    snprintf(sock, sizeof sock, "%d", port);
    setenv("CRT_TEST_BACKUP_PORT", sock, 1);
    setenv("CRT_TEST_BACKUP_DIR", dir, 1);
    snprintf(sock, sizeof sock, "%s/run", dir);
    point_env_at(sock);
    setenv("CRT_SCRYPT_LOG2N", "14", 0);
    if (sh(out, sizeof out, "%s/tests/integration/backup_cluster.sh init %s %d", CRT_SOURCE_DIR,
           dir, port) != 0) {
        fprintf(stderr, "test_backup: the test cluster did not start:\n%s\n", out);
        exit(1);
    }
    api_pid = api_start(NULL);
    login("atlas", "intake");
    login("atlas", "coordinator");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    char out[1024];
    api_stop_checked(api_pid);
    if (sh(out, sizeof out, "%s/tests/integration/backup_cluster.sh remove %s", CRT_SOURCE_DIR,
           dir) != 0)
        fprintf(stderr, "test_backup: could not remove %s: %s\n", dir, out);
}

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static char *person(const char *last)
{
    char *id = create_person(INTAKE, "Mariia", last, "1979-05-14");
    cr_assert_not_null(id, "person registered");
    return id;
}

/* The erasure of id through the API: a request, then a coordinator grants it. The decision's
 * status; the request's id into rq. */
static int erase(const char *id, char rq[40])
{
    struct resp r;
    api_reqf(&r, "POST", COORD,
             "{\"kind\":\"erasure\",\"received_on\":\"2026-03-02\",\"identity_check\":\"eid\"}",
             "/v1/persons/%s/requests", id);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(rq, 40, "%s", jstr(r.json, "id"));
    resp_free(&r);
    api_reqf(&r, "POST", COORD, "{\"decision\":\"granted\"}", "/v1/requests/%s/decision", rq);
    int status = r.status;
    resp_free(&r);
    return status;
}

static long count_in(const char *conninfo, const char *sql, const char *arg)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    const char *p[] = {arg};
    long n = sql_long(c, sql, arg ? 1 : 0, p);
    PQfinish(c);
    return n;
}

static long persons_with_id(const char *conninfo, const char *id)
{
    return count_in(conninfo, "SELECT count(*) FROM persons WHERE id = $1::uuid", id);
}

/* The whole ledger file into buf. */
static void read_ledger(char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(getenv("CRT_ERASURE_LEDGER_FILE"), "r");
    if (f == NULL)
        return;
    size_t len = fread(buf, 1, n - 1, f);
    buf[len] = '\0';
    fclose(f);
}

/* Every WAL segment written so far is archived (what a restore "to now" replays). */
static void archive_now(void)
{
    PGconn *c = db_super();
    PGresult *r = PQexec(c, "SELECT pg_walfile_name(pg_switch_wal())");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    char path[512];
    snprintf(path, sizeof path, "%s/backup/wal/%s", dir, PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    struct stat st;
    for (int i = 0; i < 200 && stat(path, &st) != 0; i++)
        usleep(100 * 1000);
    cr_assert_eq(stat(path, &st), 0, "%s archived", path);
}

static void review_run(void)
{
    char out[4096];
    cr_assert_eq(sh(out, sizeof out, "%s run", CRT_REVIEW_BIN), 0, "%s", out);
}

/* Restores into dir/restored-<name> (left running on its private socket): the conninfo of the
 * superuser to the restored database into conninfo, crt-backup's output into out. */
static void restore(const char *to, const char *name, char *conninfo, size_t cn, char *out,
                    size_t n)
{
    int st = sh(out, n, "%s/deploy/backup/crt-backup restore --to '%s' --into %s/restored-%s "
                        "--port %d --keep-running",
                CRT_SOURCE_DIR, to, dir, name, port);
    cr_assert_eq(st, 0, "restore to %s:\n%s", to, out);
    const char *at = strstr(out, "host=");
    cr_assert_not_null(at, "%s", out);
    snprintf(conninfo, cn, "%.*s dbname=crt user=postgres", (int)strcspn(at, "\n"), at);
}

/* Stops the restored cluster and removes the private socket folder crt-backup made for it
 * (conninfo: restore's, "host=<folder> …"), which a cluster left running keeps. */
static void stop_restored(const char *name, const char *conninfo)
{
    char out[1024], data[400], sock[400];
    snprintf(data, sizeof data, "%s/restored-%s", dir, name);
    cr_assert_eq(sh(out, sizeof out, "%s/tests/integration/backup_cluster.sh stop %s",
                    CRT_SOURCE_DIR, data), 0, "%s", out);
    cr_assert_eq(strncmp(conninfo, "host=", 5), 0, "%s", conninfo);
    snprintf(sock, sizeof sock, "%.*s", (int)strcspn(conninfo + 5, " "), conninfo + 5);
    cr_assert_not_null(strstr(sock, "/crt-restore."), "%s", sock);
    cr_assert_eq(rmdir(sock), 0, "the restore's socket folder %s: %s", sock, strerror(errno));
}

/* crt-review verify against the restored cluster (its seal head as crt-backup left it). */
static int verify_restored(const char *conninfo, char *out, size_t n)
{
    char review[600];
    snprintf(review, sizeof review, "%s", conninfo);
    char *u = strstr(review, "user=postgres");
    cr_assert_not_null(u);
    strcpy(u, "user=crt_review");
    return sh(out, n, "CRT_REVIEW_DATABASE_URL='%s' %s verify", review, CRT_REVIEW_BIN);
}

Test(backup, erasure_survives_restore, .timeout = 240)
{
    load_cluster();
    char last_a[64], last_b[64], last_c[64], rq[40], out[16384], restored[600], t1[40];
    char ledger[8192];
    unique_name(last_a, sizeof last_a, "Backup");
    unique_name(last_b, sizeof last_b, "Backup");
    unique_name(last_c, sizeof last_c, "Backup");
    char *a = person(last_a), *b = person(last_b);
    const char *qa[] = {a};
    PGconn *c = db_super();
    PGresult *x = PQexecParams(c, "SELECT name_bidx FROM persons WHERE id = $1::uuid", 1, NULL,
                               qa, NULL, NULL, 0);
    cr_assert_eq(PQntuples(x), 1);
    char *bidx = strdup(PQgetvalue(x, 0, 0));
    PQclear(x);
    PQfinish(c);
    review_run(); /* seal 1: in the base backup */
    cr_assert_eq(sh(out, sizeof out, "%s/deploy/backup/crt-backup base", CRT_SOURCE_DIR), 0, "%s", out);
    usleep(1100 * 1000);
    time_t now = time(NULL);
    strftime(t1, sizeof t1, "%Y-%m-%d %H:%M:%S+00", gmtime(&now)); /* after the backup, before the erasure */
    usleep(1100 * 1000);

    cr_assert_eq(erase(a, rq), 200, "the erasure is acknowledged");
    read_ledger(ledger, sizeof ledger);
    cr_assert_not_null(strstr(ledger, a), "the erased person's id is in the ledger: %s", ledger);
    cr_assert_null(strstr(ledger, last_a), "the ledger names nobody");
    cr_assert_null(strstr(ledger, b), "only the erased person");
    char *cc = person(last_c);
    review_run(); /* seal 2: after the backup; the head file names it */
    archive_now();

    /* to now: the erasure was archived; everything else is there; the log verifies */
    restore("latest", "now", restored, sizeof restored, out, sizeof out);
    cr_assert_not_null(strstr(out, "clean:"), "verify ran and was clean:\n%s", out);
    cr_assert_eq(persons_with_id(restored, a), 0, "the erased person stays erased");
    cr_assert_eq(persons_with_id(restored, b), 1);
    cr_assert_eq(persons_with_id(restored, cc), 1, "registered after the backup, restored from WAL");
    cr_assert_eq(count_in(restored, "SELECT count(*) FROM persons WHERE name_bidx = $1", bidx), 0);
    cr_assert_eq(count_in(restored, "SELECT count(*) FROM person_tombstones WHERE person_id = $1::uuid", a), 1);
    cr_assert_eq(verify_restored(restored, out, sizeof out), 0, "%s", out);
    stop_restored("now", restored);

    /* to a moment before the erasure: the WAL brings the person back, the ledger erases them
     * again before the service opens, and the seal chain is anchored at the restored seal */
    restore(t1, "before", restored, sizeof restored, out, sizeof out);
    cr_assert_not_null(strstr(out, "erased again"), "%s", out);
    cr_assert_not_null(strstr(out, a), "%s", out);
    cr_assert_null(strstr(out, last_a), "crt-backup prints ids, never names");
    cr_assert_eq(persons_with_id(restored, a), 0, "the erased person is erased again");
    cr_assert_eq(persons_with_id(restored, b), 1);
    cr_assert_eq(persons_with_id(restored, cc), 0, "registered after the restore point");
    cr_assert_eq(count_in(restored, "SELECT count(*) FROM persons WHERE name_bidx = $1", bidx), 0,
                 "the blind index went with the person");
    cr_assert_eq(count_in(restored, "SELECT count(*) FROM person_tombstones WHERE person_id = "
                                    "$1::uuid AND reason = 'data_subject_request'", a), 1);
    cr_assert_eq(count_in(restored, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                                    "AND action = 'erasure'", a), 1, "the re-erasure is logged");
    cr_assert_eq(count_in(restored, "SELECT max(id) FROM log_seals", NULL), 1, "seal 2 came later");
    cr_assert_eq(verify_restored(restored, out, sizeof out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "clean: 1 seals verified"), "%s", out);
    char restores[600];
    snprintf(restores, sizeof restores, "%s/seal-head.json.restores", dir);
    struct stat st;
    cr_assert_eq(stat(restores, &st), 0, "the restore is noted beside the head file");
    stop_restored("before", restored);
    free(a);
    free(b);
    free(cc);
    free(bidx);
}

Test(backup, erasure_is_refused_without_its_ledger_line, .timeout = 120)
{
    load_cluster();
    char last[64], rq[40], bad[400], env[450], ledger[8192];
    unique_name(last, sizeof last, "Ledger");
    char *id = person(last);
    snprintf(bad, sizeof bad, "%s/no-such-folder/erasure-ledger", dir);
    snprintf(env, sizeof env, "CRT_ERASURE_LEDGER_FILE=%s", bad);
    const char *extra[] = {env, NULL};
    char port_before[16];
    snprintf(port_before, sizeof port_before, "%s", getenv("CRT_TEST_PORT"));
    pid_t api = api_start(extra);
    cr_assert(api > 0);
    cr_assert_eq(erase(id, rq), 503, "not acknowledged without its ledger line");
    cr_assert_eq(api_stop(api), 0);
    setenv("CRT_TEST_PORT", port_before, 1);
    cr_assert_eq(persons_with_id(getenv("CRT_SUPER_DATABASE_URL"), id), 1, "nothing erased");
    cr_assert_eq(count_in(getenv("CRT_SUPER_DATABASE_URL"),
                          "SELECT count(*) FROM person_tombstones WHERE person_id = $1::uuid", id), 0);
    cr_assert_eq(count_in(getenv("CRT_SUPER_DATABASE_URL"),
                          "SELECT count(*) FROM rights_requests WHERE id = $1::uuid AND status = 'open'",
                          rq), 1, "the request is still open");
    read_ledger(ledger, sizeof ledger);
    cr_assert_null(strstr(ledger, id));

    /* the same decision, the ledger writable: granted, and its line is there */
    struct resp r;
    api_reqf(&r, "POST", COORD, "{\"decision\":\"granted\"}", "/v1/requests/%s/decision", rq);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    read_ledger(ledger, sizeof ledger);
    cr_assert_not_null(strstr(ledger, id));
    free(id);
}

Test(backup, retention_erasures_go_to_the_ledger_first, .timeout = 120)
{
    load_cluster();
    char last[64], out[8192], ledger[8192];
    unique_name(last, sizeof last, "Retained");
    char *id = person(last);
    const char *q[] = {id};
    PGconn *c = db_super();
    cr_assert(sql_ok(c, "UPDATE controllers SET retention_basis = 'registration', "
                        "retention_period = '1 day' WHERE code = 'atlas'", 0, NULL));
    cr_assert(sql_ok(c, "UPDATE persons SET registration_date = current_date - 30 WHERE id = $1::uuid",
                     1, q));
    /* the ledger cannot be written: retention erases nothing */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/no-such-folder/erasure-ledger", dir);
    int st = sh(out, sizeof out, "CRT_ERASURE_LEDGER_FILE=%s %s retention --apply --only persons",
                bad, CRT_CTL_BIN);
    cr_assert_eq(st, 1, "a failure is reported: %s", out);
    cr_assert_eq(persons_with_id(getenv("CRT_SUPER_DATABASE_URL"), id), 1, "rolled back: %s", out);
    st = sh(out, sizeof out, "%s retention --apply --only persons", CRT_CTL_BIN);
    cr_assert_eq(persons_with_id(getenv("CRT_SUPER_DATABASE_URL"), id), 0, "%s", out);
    read_ledger(ledger, sizeof ledger);
    char line[128];
    snprintf(line, sizeof line, "%s\tretention\t-\n", id);
    cr_assert_not_null(strstr(ledger, line), "%s", ledger);
    cr_assert(sql_ok(c, "UPDATE controllers SET retention_basis = 'status_end', retention_period = "
                        "'6 months' WHERE code = 'atlas'", 0, NULL));
    PQfinish(c);
    free(id);
}
