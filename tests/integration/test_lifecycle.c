/* Integration: the process lifecycle — migrations re-run without harm, --help lists every
 * setting, bad configuration is refused by name, and SIGTERM lets in-flight requests finish. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/hooks.h>

#include "crt/config.h"
#include "harness.h"

/* Accounts are made once through a crt-api of their own; tokens stay valid for the crt-api
 * processes the tests start (same keys, same database). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    pid_t pid = api_start(NULL);
    harness_login_all();
    api_stop(pid);
}

/* Runs a command, captures stdout+stderr into out; returns the exit status. */
static int run(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(lifecycle, migrate_twice_applies_nothing_the_second_time)
{
    char out[4096];
    cr_assert_eq(run(CRT_CTL_BIN " migrate 2>&1", out, sizeof out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "0 applied"), "%s", out);
}

Test(lifecycle, help_lists_every_setting)
{
    char out[8192];
    cr_assert_eq(run(CRT_API_BIN " --help 2>&1", out, sizeof out), 0);
    for (size_t i = 0; i < config_count(CFG_API); i++)
        cr_assert_not_null(strstr(out, config_name(CFG_API, i)), "missing %s", config_name(CFG_API, i));
}

Test(lifecycle, bad_configuration_is_refused_by_name)
{
    char out[1024];
    cr_assert_eq(run("CRT_THREADS=many " CRT_API_BIN " 2>&1", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "CRT_THREADS"), "%s", out);
    cr_assert_eq(run("CRT_SCRYPT_LOG2N=40 " CRT_API_BIN " 2>&1", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "CRT_SCRYPT_LOG2N"), "%s", out);
    cr_assert_eq(run("CRT_JWT_PRIVATE_KEY_FILE=/nonexistent " CRT_API_BIN " 2>&1", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "/nonexistent"), "a missing key file is named: %s", out);
}

struct slow_call {
    char path[128];
    int status;
};

static void *patch_person(void *arg)
{
    struct slow_call *s = arg;
    struct resp r;
    s->status = api_req(&r, "PATCH", s->path, "atlas.intake",
                        "{\"reason\":\"shutdown test\",\"source\":\"staff\",\"identification\":{\"title\":\"Mx\"}}")
                    == 0 ? r.status : -1;
    resp_free(&r);
    return NULL;
}

Test(lifecycle, sigterm_lets_an_in_flight_request_finish)
{
    pid_t pid = api_start(NULL);
    cr_assert_gt(pid, 0);
    char *id = create_person("atlas.intake", "Slow", "Shutdown", "1990-01-01");
    cr_assert_not_null(id);
    /* Hold the row lock so the PATCH is in flight inside crt-api when SIGTERM arrives (as the
     * superuser: need-to-know RLS hides the row from any role without a user context). */
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM (SELECT 1 FROM persons WHERE id = $1::uuid "
                             "FOR UPDATE) l", 1, p), 1, "the row is locked");
    struct slow_call call = {.status = 0};
    snprintf(call.path, sizeof call.path, "/v1/persons/%s", id);
    pthread_t t;
    pthread_create(&t, NULL, patch_person, &call);
    usleep(300000);
    kill(pid, SIGTERM);
    usleep(300000);
    cr_assert(sql_ok(c, "COMMIT", 0, NULL));
    pthread_join(t, NULL);
    PQfinish(c);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clean exit");
    cr_assert_eq(call.status, 200, "the in-flight request completed");
    c = db_super();
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM person_rectifications WHERE person_id = $1::uuid", 1, p), 1,
                 "and its change is stored");
    PQfinish(c);
    free(id);
}
