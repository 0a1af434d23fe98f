/* Integration: operations — what the alerts read (crt-api's /metrics: database up, access-log
 * write failures, logins, the TLS certificate's notAfter; crt-review's textfile-collector files),
 * and two crt-api instances sharing one database (docs/scaling.md): a person registered through
 * one is read through the other, a session opened on one is valid on the other and ends on both
 * when it is closed on one. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

/* The value of the sample "name" (exactly, labels included) in an exposition text; -1 if none. */
static double sample(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, n) == 0 && l[n] == ' ')
            return atof(l + n + 1);
    return -1;
}

static char *metrics_text(void)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/metrics", NULL, NULL), 0);
    cr_assert_eq(r.status, 200);
    char *t = strdup(r.body);
    resp_free(&r);
    return t;
}

Test(ops, metrics_expose_what_the_alerts_read)
{
    char *t = metrics_text();
    cr_assert_eq(sample(t, "crt_db_up"), 1, "%s", t);
    cr_assert_geq(sample(t, "crt_access_log_write_failures_total"), 0);
    cr_assert_geq(sample(t, "crt_login_events_total{kind=\"lockout\"}"), 0);
    cr_assert_geq(sample(t, "crt_login_events_total{kind=\"throttled\"}"), 0);
    cr_assert_eq(sample(t, "crt_tls_certificate_not_after_seconds"), 0, "plain HTTP: no certificate");
    free(t);
}

Test(ops, the_certificate_expiry_is_exported_when_crt_api_serves_tls)
{
    char cert[] = "/tmp/crt-ops-cert-XXXXXX", key[64], cmd[512], e1[300], e2[300];
    int fd = mkstemp(cert);
    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(key, sizeof key, "%s.key", cert);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 10 "
             "-subj /CN=ops.test -keyout %s -out %s 2>/dev/null && chmod 600 %s", key, cert, key);
    cr_assert_eq(system(cmd), 0);
    snprintf(e1, sizeof e1, "CRT_TLS_CERT_FILE=%s", cert);
    snprintf(e2, sizeof e2, "CRT_TLS_KEY_FILE=%s", key);
    const char *env[] = {e1, e2, NULL};
    pid_t tls = api_start(env);
    char *t = metrics_text();
    double not_after = sample(t, "crt_tls_certificate_not_after_seconds");
    double left = not_after - (double)time(NULL);
    cr_assert(left > 9 * 86400 && left <= 10 * 86400 + 60, "ten days left, got %.0f s", left);
    free(t);
    cr_assert_eq(api_stop(tls), 0);
    unlink(cert), unlink(key);
}

/* ---- crt-review's files ---- */

static int review(const char *dir, const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof line,
             "CRT_REVIEW_METRICS_DIR=%s CRT_REVIEW_DATABASE_URL='host=/nonexistent dbname=none' "
             "%s %s >/dev/null 2>&1", dir, CRT_REVIEW_BIN, cmd);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s exists", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(ops, crt_review_writes_its_metrics_files_and_a_failed_run_keeps_the_last_success)
{
    char dir[] = "/tmp/crt-ops-prom-XXXXXX", path[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/crt_review.prom", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "crt_review_last_success_timestamp_seconds 1234567\n");
    fclose(f);
    review(dir, "run --every 1h & sleep 1; kill $!; wait"); /* one failed run, then SIGTERM */
    char *t = slurp(path);
    cr_assert_eq(sample(t, "crt_review_last_run_success"), 0, "the database is unreachable: %s", t);
    cr_assert_eq(sample(t, "crt_review_last_success_timestamp_seconds"), 1234567, "kept: %s", t);
    cr_assert_eq(sample(t, "crt_review_interval_seconds"), 3600, "%s", t);
    cr_assert_gt(sample(t, "crt_review_last_run_timestamp_seconds"), (double)time(NULL) - 60);
    cr_assert_not_null(strstr(t, "# TYPE crt_review_last_run_success gauge"));
    cr_assert_eq(review(dir, "verify"), 2, "could not verify");
    snprintf(path, sizeof path, "%s/crt_review_verify.prom", dir);
    t = slurp(path);
    cr_assert_eq(sample(t, "crt_review_verify_result"), 2, "%s", t);
    snprintf(path, sizeof path, "%s/.crt_review.prom.tmp", dir);
    cr_assert_neq(access(path, F_OK), 0, "no temporary file left behind");
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    cr_assert_eq(system(rm), 0);
}

/* ---- two instances, one database ---- */

static void use_port(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    setenv("CRT_TEST_PORT", p, 1);
}

Test(ops, two_instances_share_one_database_and_nothing_else)
{
    int a = api_port();
    pid_t second = api_start(NULL);
    int b = api_port();
    cr_assert_neq(a, b);
    struct resp r;
    /* Registered through A, read through B. */
    use_port(a);
    char *id = create_person("atlas.intake", "Two", "Instances", "1990-01-02");
    cr_assert_not_null(id);
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    use_port(b);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.coordinator", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "identification"), "last_name")),
                     "Instances", "%s", r.body);
    resp_free(&r);
    /* A session opened through A (login, second factor) works on B ... */
    use_port(a);
    struct account acc;
    cr_assert(account_new(&acc, "atlas", "intake"));
    char *token = account_full_login(&acc, time(NULL) + 30);
    cr_assert_not_null(token);
    use_port(b);
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", token, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    /* ... and once closed through B it is refused by A too. */
    cr_assert_eq(api_req_token(&r, "POST", "/v1/auth/logout", token, NULL), 0);
    cr_assert(r.status == 200 || r.status == 204, "%d %s", r.status, r.body);
    resp_free(&r);
    use_port(a);
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", token, NULL), 0);
    cr_assert_eq(r.status, 401, "the session ended in the database: %s", r.body);
    resp_free(&r);
    free(token), free(id);
    account_free(&acc);
    use_port(b);
    cr_assert_eq(api_stop(second), 0);
    use_port(a);
}
