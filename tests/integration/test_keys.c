/* Integration: key rotation without downtime (`crtctl keys`, docs/operations.md "Rotating keys"):
 * the data keyring's re-seal rewrites every row and resumes after a kill, the duplicate check
 * keeps working while the blind indexes are recomputed, status counts rows per key, a JWT of the
 * old key lives through the overlap and dies when its key is removed, and the seal key rotates.
 * Runs on a database and keys of its own (the jobs rewrite every row), one test at a time. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "harness.h"
#include "harness_rights.h"

#define OUT_MAX 16384

static const char *jget(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- the private database and keys ---- */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The connection string of CRT_SUPER_DATABASE_URL with another database and user. */
static void dsn(char *out, size_t len, const char *db, const char *user)
{
    PQconninfoOption *opts = PQconninfoParse(getenv("CRT_SUPER_DATABASE_URL"), NULL);
    const char *host = "", *port = "";
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val)
            host = o->val;
        if (strcmp(o->keyword, "port") == 0 && o->val)
            port = o->val;
    }
    snprintf(out, len, "host=%s port=%s dbname=%s user=%s", host, port, db, user);
    PQconninfoFree(opts);
}

static bool admin(const char *sql)
{
    char url[512];
    dsn(url, sizeof url, "postgres", "postgres");
    PGconn *c = PQconnectdb(url);
    bool ok = PQstatus(c) == CONNECTION_OK && sql_ok(c, sql, 0, NULL);
    PQfinish(c);
    return ok;
}

/* A database of this run, migrated and seeded, and keyrings of its own; every CRT_* URL and key
 * file of the environment then names them (crt-api and crtctl children inherit it). */
static const char *setup(void)
{
    static char dir[] = "/tmp/crt-keys-XXXXXX";
    char db[64], sql[128], url[512], cmd[2048];
    snprintf(db, sizeof db, "crt_keys_%d", (int)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER crt_owner", db);
    if (mkdtemp(dir) == NULL || !admin(sql))
        return "could not create the database";
    setenv("CRT_KEYS_DB", db, 1);
    setenv("CRT_KEYS_DIR", dir, 1);
    dsn(url, sizeof url, db, "crt_owner");
    setenv("CRT_OWNER_DATABASE_URL", url, 1);
    dsn(url, sizeof url, db, "crt_api");
    setenv("CRT_DATABASE_URL", url, 1);
    dsn(url, sizeof url, db, "postgres");
    setenv("CRT_SUPER_DATABASE_URL", url, 1);
    snprintf(url, sizeof url, "%s/data.key", dir);
    setenv("CRT_DATA_KEY_FILE", url, 1);
    snprintf(url, sizeof url, "%s/index.key", dir);
    setenv("CRT_INDEX_KEY_FILE", url, 1);
    snprintf(cmd, sizeof cmd,
             "%1$s migrate >/dev/null && %1$s seed-demo >/dev/null && "
             "%1$s keys new-key %2$s/data.key d0 >/dev/null && "
             "%1$s keys new-key %2$s/index.key i0 >/dev/null && "
             "cp \"$CRT_JWT_PRIVATE_KEY_FILE\" %2$s/jwt-private.pem && "
             "cp \"$CRT_JWT_PUBLIC_KEY_FILE\" %2$s/jwt-public.pem",
             CRT_CTL_BIN, dir);
    if (sh(cmd) != 0)
        return "migrate, seed-demo or the keys failed";
    snprintf(url, sizeof url, "%s/jwt-private.pem", dir);
    setenv("CRT_JWT_PRIVATE_KEY_FILE", url, 1);
    snprintf(url, sizeof url, "%s/jwt-public.pem", dir);
    setenv("CRT_JWT_PUBLIC_KEY_FILE", url, 1);
    pid_t first = api_start(NULL);
    harness_login_all();
    return api_stop(first) == 0 ? NULL : "crt-api did not stop cleanly";
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    const char *err = setup();
    if (err)
        fprintf(stderr, "test_keys: %s\n", err);
    setenv("CRT_KEYS_SETUP", err ? err : "ok", 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    char sql[128], cmd[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", getenv("CRT_KEYS_DB"));
    admin(sql);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", getenv("CRT_KEYS_DIR"));
    if (sh(cmd) != 0)
        fprintf(stderr, "test_keys: could not remove %s\n", getenv("CRT_KEYS_DIR"));
}

/* The crt-api a test runs (stopped by fini when an assertion ends the test early). */
static pid_t api;

static void api_restart(void)
{
    if (api > 0)
        api_stop(api);
    api = api_start(NULL);
}

static void init(void) { cr_assert_str_eq(getenv("CRT_KEYS_SETUP"), "ok"); }
static void fini(void)
{
    if (api > 0)
        api_stop(api);
    api = 0;
}
TestSuite(keys, .init = init, .fini = fini);

/* ---- helpers ---- */

/* A valid national number no earlier run used. */
static void fresh_nn(char out[16])
{
    unsigned long long r = 0;
    cr_assert(crypto_random(&r, sizeof r));
    long long body = 100000000LL + (long long)(r % 800000000ULL);
    snprintf(out, 16, "%09lld%02lld", body, 97 - body % 97);
}

static char *register_with_nn(const char *who, const char *first, const char *last, const char *nn)
{
    char body[512];
    struct resp r;
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"%s\","
             "\"last_name\":\"%s\",\"birth_date\":\"1985-07-30\"},\"sensitive\":{\"national_number\":\"%s\"}}",
             first, last, nn);
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", who, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jget(r.json, "id"));
    resp_free(&r);
    return id;
}

/* The national number crt-api shows a coordinator of atlas for person id. */
static void shown_nn(const char *id, char out[16])
{
    struct resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.coordinator", NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *nn = jget(json_object_get(r.json, "sensitive"), "national_number");
    snprintf(out, 16, "%s", nn ? nn : "(none)");
    resp_free(&r);
}

/* Where else the duplicate check of ingent's intake finds this name + birth date and number:
 * the number of hits naming atlas. */
static int found_at_atlas(const char *last, const char *nn)
{
    struct resp r;
    char body[512];
    int n = 0;
    snprintf(body, sizeof body, "{\"first_name\":\"Oksana\",\"last_name\":\"%s\",\"birth_date\":"
             "\"1985-07-30\",\"national_number\":\"%s\"}", last, nn);
    cr_assert_eq(api_req(&r, "POST", "/v1/persons/duplicate-check", "ingent.intake", body), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *hits = json_object_get(r.json, "elsewhere");
    for (size_t i = 0; i < json_array_size(hits); i++)
        n += strcmp(jget(json_array_get(hits, i), "controller"), "atlas") == 0;
    resp_free(&r);
    return n;
}

/* Keeps only the first key of a keyring file (the rotation's last step). */
static void keep_first_key(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "head -n 1 '%1$s' > '%1$s.new' && chmod 600 '%1$s.new' && "
             "mv '%1$s.new' '%1$s'", path);
    cr_assert_eq(sh(cmd), 0);
}

static long count(const char *sql, const char *param)
{
    PGconn *c = db_super();
    const char *p[] = {param};
    long n = sql_long(c, sql, param ? 1 : 0, p);
    PQfinish(c);
    return n;
}

static long count2(const char *sql, const char *a, const char *b)
{
    PGconn *c = db_super();
    const char *p[] = {a, b};
    long n = sql_long(c, sql, 2, p);
    PQfinish(c);
    return n;
}

/* A key id unique to this test process. */
static void key_id(char *out, size_t n, const char *prefix)
{
    static int seq;
    snprintf(out, n, "%s%d-%d", prefix, (int)getpid(), ++seq);
}

#define NOT_UNDER_DATA_KEY                                                                       \
    "SELECT (SELECT count(*) FROM staff_credentials WHERE totp_sealed IS NOT NULL AND "         \
    "totp_key_id IS DISTINCT FROM $1) + (SELECT count(*) FROM persons WHERE "                   \
    "national_number_sealed IS NOT NULL AND national_number_key_id IS DISTINCT FROM $1)"
#define UNDER_DATA_KEY                                                                           \
    "SELECT (SELECT count(*) FROM staff_credentials WHERE totp_key_id = $1) + "                 \
    "(SELECT count(*) FROM persons WHERE national_number_key_id = $1)"

/* crtctl ARGS in the background (stdout to /dev/null); its pid. */
static pid_t ctl_spawn(const char *a1, const char *a2, const char *a3, const char *a4,
                       const char *a5, const char *a6, const char *a7)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execl(CRT_CTL_BIN, "crtctl", a1, a2, a3, a4, a5, a6, a7, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* ---- the data keyring ---- */

Test(keys, reseal_rewrites_every_row_and_a_job_killed_midway_resumes)
{
    char nn[4][16], last[48], k[32], out[OUT_MAX], shown[16], *ids[4];
    api_restart();
    for (int i = 0; i < 4; i++) {
        fresh_nn(nn[i]);
        unique_name(last, sizeof last, "Reseal");
        ids[i] = register_with_nn("atlas.intake", "Oksana", last, nn[i]);
    }
    /* The rows and their sealed bytes before. */
    PGconn *c = db_super();
    PGresult *before = PQexec(c, "SELECT user_id::text, encode(totp_sealed, 'hex') FROM staff_credentials "
                                 "WHERE totp_sealed IS NOT NULL UNION ALL SELECT id::text, "
                                 "encode(national_number_sealed, 'hex') FROM persons "
                                 "WHERE national_number_sealed IS NOT NULL ORDER BY 1");
    cr_assert_eq(PQresultStatus(before), PGRES_TUPLES_OK);
    int rows = PQntuples(before);
    cr_assert_geq(rows, 13, "nine TOTP secrets and four numbers at least");

    /* A new key first in the ring, crt-api restarted with it: new values seal under it. */
    key_id(k, sizeof k, "d");
    cr_assert_eq(ctl_run(out, sizeof out, "keys new-key %s %s", getenv("CRT_DATA_KEY_FILE"), k), 0, "%s", out);
    api_restart();
    cr_assert_eq(count(NOT_UNDER_DATA_KEY, k), rows, "nothing moved yet");

    /* Two batches of one row, then stop: the progress is in the database. */
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-data --batch 1 --max-batches 2"), 0, "%s", out);
    cr_assert_eq(count("SELECT rows_done FROM key_jobs WHERE kind = 'data' AND target_key = $1", k), 2);
    cr_assert_eq(count(UNDER_DATA_KEY, k), 2);

    /* Killed (SIGKILL) while running: the batch in flight rolls back, the done ones stay done. */
    pid_t job = ctl_spawn("keys", "rotate-data", "--batch", "1", "--pause-ms", "150", NULL);
    for (int i = 0; i < 100 && count("SELECT rows_done FROM key_jobs WHERE kind = 'data'", NULL) < 5; i++)
        usleep(20000);
    cr_assert_eq(kill(job, SIGKILL), 0);
    int st;
    cr_assert_eq(waitpid(job, &st, 0), job);
    cr_assert(WIFSIGNALED(st), "the job was killed before it finished");
    long done = count("SELECT rows_done FROM key_jobs WHERE kind = 'data'", NULL);
    cr_assert_geq(done, 5);
    cr_assert_lt(done, rows, "killed midway");
    cr_assert_eq(count(UNDER_DATA_KEY, k), done, "exactly the rows counted as done moved");
    cr_assert_eq(count("SELECT count(*) FROM key_jobs WHERE kind = 'data' AND finished_at IS NULL "
                       "AND cursor_id IS NOT NULL", NULL), 1, "a cursor to resume from");

    /* Run again: it resumes (rows done add up to the rows, none twice) and finishes. */
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-data --batch 3"), 0, "%s", out);
    cr_assert_not_null(strstr(out, "resuming the data job"), "%s", out);
    cr_assert_eq(count("SELECT rows_done FROM key_jobs WHERE kind = 'data' AND finished_at IS NOT NULL", NULL),
                 rows, "%s", out);
    cr_assert_eq(count(NOT_UNDER_DATA_KEY, k), 0);

    /* Every row's sealed bytes changed. */
    PGresult *after = PQexec(c, "SELECT user_id::text, encode(totp_sealed, 'hex') FROM staff_credentials "
                                "WHERE totp_sealed IS NOT NULL UNION ALL SELECT id::text, "
                                "encode(national_number_sealed, 'hex') FROM persons "
                                "WHERE national_number_sealed IS NOT NULL ORDER BY 1");
    cr_assert_eq(PQntuples(after), rows);
    for (int i = 0; i < rows; i++) {
        cr_assert_str_eq(PQgetvalue(after, i, 0), PQgetvalue(before, i, 0));
        cr_assert_str_neq(PQgetvalue(after, i, 1), PQgetvalue(before, i, 1), "row %d re-sealed", i);
    }
    PQclear(before), PQclear(after);
    PQfinish(c);

    /* The old keys leave the ring: crt-api still opens every number, and a TOTP login works. */
    keep_first_key(getenv("CRT_DATA_KEY_FILE"));
    api_restart();
    for (int i = 0; i < 4; i++) {
        shown_nn(ids[i], shown);
        cr_assert_str_eq(shown, nn[i]);
        free(ids[i]);
    }
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"), "enrolment seals under the new key");
    char *t = account_full_login(&a, time(NULL) + 30);
    cr_assert_not_null(t, "the second factor opens under the new key");
    free(t);
    account_free(&a);
    cr_assert_eq(api_stop(api), 0);
    api = 0;
}

/* ---- the blind-index key ---- */

Test(keys, the_duplicate_check_finds_a_duplicate_while_the_indexes_are_recomputed)
{
    char nn[16], nn2[16], last[48], last2[48], k[32], out[OUT_MAX];
    api_restart();
    fresh_nn(nn);
    unique_name(last, sizeof last, "Reindex");
    free(register_with_nn("atlas.intake", "Oksana", last, nn));
    for (int i = 0; i < 6; i++) { /* more rows, so that the job stops midway */
        char other[16], name[48];
        fresh_nn(other);
        unique_name(name, sizeof name, "Filler");
        free(register_with_nn("atlas.intake", "Oksana", name, other));
    }
    cr_assert_eq(found_at_atlas(last, nn), 1);

    /* New index key first, the old one second; crt-api restarted with both. */
    key_id(k, sizeof k, "i");
    cr_assert_eq(ctl_run(out, sizeof out, "keys new-key %s %s", getenv("CRT_INDEX_KEY_FILE"), k), 0, "%s", out);
    api_restart();
    cr_assert_eq(count2("SELECT count(*) FROM persons WHERE last_name = $1 AND bidx_key_id = $2",
                        last, "i0"), 1, "the person is still indexed under the old key");
    cr_assert_eq(found_at_atlas(last, nn), 1, "found under the old key before the job ran");

    /* A person registered now is indexed under the new key and found too. */
    fresh_nn(nn2);
    unique_name(last2, sizeof last2, "Reindex");
    free(register_with_nn("atlas.intake", "Oksana", last2, nn2));
    cr_assert_eq(count2("SELECT count(*) FROM persons WHERE last_name = $1 AND bidx_key_id = $2",
                        last2, k), 1, "indexed under the new key");
    cr_assert_eq(found_at_atlas(last2, nn2), 1);

    /* Midway: some rows under the new key, some under the old; both persons are found. */
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-blind --batch 2 --max-batches 2"), 0, "%s", out);
    long moved = count("SELECT count(*) FROM persons WHERE bidx_key_id = $1", k);
    long left = count("SELECT count(*) FROM persons WHERE bidx_key_id IS DISTINCT FROM $1", k);
    cr_assert_gt(moved, 0);
    cr_assert_gt(left, 0, "the job is midway");
    cr_assert_eq(found_at_atlas(last, nn), 1);
    cr_assert_eq(found_at_atlas(last2, nn2), 1);

    /* Finished; the old key leaves; the recomputed indexes alone find both. */
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-blind"), 0, "%s", out);
    cr_assert_eq(count("SELECT count(*) FROM persons WHERE bidx_key_id IS DISTINCT FROM $1", k), 0);
    keep_first_key(getenv("CRT_INDEX_KEY_FILE"));
    api_restart();
    cr_assert_eq(found_at_atlas(last, nn), 1, "found by the recomputed index");
    cr_assert_eq(found_at_atlas(last2, nn2), 1);
    cr_assert_eq(api_stop(api), 0);
    api = 0;
}

/* ---- status ---- */

/* The value of "name=" on the line of crtctl keys status that starts with section and key. */
static long status_value(const char *out, const char *section, const char *key, const char *name)
{
    char head[96], needle[48];
    snprintf(head, sizeof head, "%-6s %-31s", section, key);
    snprintf(needle, sizeof needle, " %s=", name);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, head, strlen(head)) == 0) {
            const char *v = strstr(l, needle);
            const char *eol = strchr(l, '\n');
            if (v && (!eol || v < eol))
                return atol(v + strlen(needle));
        }
    return -1;
}

Test(keys, status_counts_the_rows_under_each_key)
{
    char k[32], out[OUT_MAX], first[32];
    cr_assert_eq(ctl_run(out, sizeof out, "keys status"), 0, "%s", out);
    /* The data ring's first key now, and its counts against the database's. */
    FILE *f = fopen(getenv("CRT_DATA_KEY_FILE"), "r");
    cr_assert(f && fscanf(f, "%31s", first) == 1);
    fclose(f);
    cr_assert_eq(status_value(out, "data", first, "totp_secrets"),
                 count("SELECT count(*) FROM staff_credentials WHERE totp_key_id = $1", first), "%s", out);
    cr_assert_eq(status_value(out, "data", first, "national_numbers"),
                 count("SELECT count(*) FROM persons WHERE national_number_key_id = $1", first), "%s", out);
    /* After a partial re-seal the rows split between the two keys, as the database says. */
    key_id(k, sizeof k, "d");
    cr_assert_eq(ctl_run(out, sizeof out, "keys new-key %s %s", getenv("CRT_DATA_KEY_FILE"), k), 0, "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-data --batch 2 --max-batches 2"), 0, "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys status"), 0, "%s", out);
    long moved = status_value(out, "data", k, "totp_secrets") + status_value(out, "data", k, "national_numbers");
    cr_assert_gt(moved, 0, "%s", out);
    cr_assert_eq(moved, count("SELECT rows_done FROM key_jobs WHERE kind = 'data' AND target_key = $1", k));
    cr_assert_eq(moved, count(UNDER_DATA_KEY, k));
    long old = status_value(out, "data", first, "totp_secrets") + status_value(out, "data", first, "national_numbers");
    cr_assert_eq(old, count(UNDER_DATA_KEY, first), "%s", out);
    cr_assert_not_null(strstr(out, "job    data"), "%s", out);
    cr_assert_not_null(strstr(out, "unfinished"), "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-data"), 0, "%s", out);
    keep_first_key(getenv("CRT_DATA_KEY_FILE"));
}

/* ---- the JWT signing key, end to end ---- */

Test(keys, a_token_of_the_old_jwt_key_lives_through_the_overlap_and_dies_with_its_key)
{
    char out[OUT_MAX], priv[256], pub[256], cmd[1024];
    struct resp r;
    /* Copies of the key files, so that the other tests' tokens stay valid. */
    snprintf(priv, sizeof priv, "%s/jwt-rot-private.pem", getenv("CRT_KEYS_DIR"));
    snprintf(pub, sizeof pub, "%s/jwt-rot-public.pem", getenv("CRT_KEYS_DIR"));
    snprintf(cmd, sizeof cmd, "cp -p \"$CRT_JWT_PRIVATE_KEY_FILE\" %s && cp \"$CRT_JWT_PUBLIC_KEY_FILE\" %s",
             priv, pub);
    cr_assert_eq(sh(cmd), 0);
    setenv("CRT_JWT_PRIVATE_KEY_FILE", priv, 1);
    setenv("CRT_JWT_PUBLIC_KEY_FILE", pub, 1);
    api_restart();
    const char *old_token = harness_token("atlas.intake");
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", old_token, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);

    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-jwt prepare"), 0, "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-jwt activate"), 0, "%s", out);
    api_restart(); /* signs with the new key, still accepts the old one */
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", old_token, NULL), 0);
    cr_assert_eq(r.status, 200, "the old key's token lives on during the overlap: %s", r.body);
    resp_free(&r);
    struct account a;
    cr_assert(account_new(&a, "atlas", "intake"));
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", a.token, NULL), 0);
    cr_assert_eq(r.status, 200, "the new key's token: %s", r.body);
    resp_free(&r);

    cr_assert_neq(ctl_run(out, sizeof out, "keys rotate-jwt retire"), 0, "too early: %s", out);
    cr_assert_not_null(strstr(out, "--force"), "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-jwt retire --force"), 0, "%s", out);
    api_restart();
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", old_token, NULL), 0);
    cr_assert_eq(r.status, 401, "the old key is gone: %s", r.body);
    resp_free(&r);
    cr_assert_eq(api_req_token(&r, "GET", "/v1/me", a.token, NULL), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    account_free(&a);
    cr_assert_eq(api_stop(api), 0);
    api = 0;
}

/* ---- the seal key of crt-review ---- */

Test(keys, rotate_seal_appends_the_public_key_and_replaces_the_private_one)
{
    char out[OUT_MAX], priv[256], pub[256];
    snprintf(priv, sizeof priv, "%s/seal-private.pem", getenv("CRT_KEYS_DIR"));
    snprintf(pub, sizeof pub, "%s/seal-public.pem", getenv("CRT_KEYS_DIR"));
    setenv("CRT_REVIEW_SEAL_KEY_FILE", priv, 1);
    setenv("CRT_REVIEW_SEAL_PUBLIC_KEY_FILE", pub, 1);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-seal"), 0, "%s", out);
    cr_assert_eq(ctl_run(out, sizeof out, "keys rotate-seal"), 0, "%s", out);
    struct stat st;
    cr_assert_eq(stat(priv, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "the private key stays private");
    cr_assert_eq(ctl_run(out, sizeof out, "keys status"), 0, "%s", out);
    int signs = 0, verifies = 0;
    for (const char *l = strstr(out, "seal   "); l; l = strstr(l + 1, "\nseal   ")) {
        signs += strncmp(l + (*l == '\n') + 39, "signs", 5) == 0;
        verifies += strncmp(l + (*l == '\n') + 39, "verifies", 8) == 0;
    }
    cr_assert_eq(signs, 1, "%s", out);
    cr_assert_eq(verifies, 1, "the first key still verifies the old seals: %s", out);
}
