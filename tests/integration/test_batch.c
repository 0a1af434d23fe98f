/* Integration: group-committed person reads (services/api/batch.c) against one crt-api worker —
 * concurrent readers of different controllers and roles in the same transactions, each answered
 * and logged under its own context; one failing request (a revoked session, a statement timeout)
 * leaves the others as they were; no answer before the commit holding its log row; the clients
 * of a flight that come back one by one share the next commit, and a lone request is held at most
 * CRT_BATCH_HOLD_US; flights of several workers (a crt-api of four) that refresh the same sessions
 * never deadlock. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness_rights.h"

#define STATEMENT_TIMEOUT_MS "2000" /* the statement-timeout test waits this long */
#define HOLD_US "100000" /* long, so that the test's gaps of a few ms fall well inside it */

static pid_t api_pid;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    static const char *const env[] = {"CRT_THREADS=1",
                                      "CRT_STATEMENT_TIMEOUT_MS=" STATEMENT_TIMEOUT_MS,
                                      "CRT_BATCH_HOLD_US=" HOLD_US, NULL};
    api_pid = api_start(env);
    harness_login_all();
}
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    PGconn *c = db_super(); /* a failed commit-blocking test must not leave commits blocked */
    (void)sql_ok(c, "ALTER SYSTEM RESET synchronous_standby_names", 0, NULL);
    (void)sql_ok(c, "SELECT pg_reload_conf()", 0, NULL);
    (void)sql_ok(c, "REVOKE SET ON PARAMETER deadlock_timeout FROM crt_api", 0, NULL);
    PQfinish(c);
    api_stop_checked(api_pid);
}

/* One reader in a burst: who, what it reads, and what it must get and leave in the log. */
struct reader {
    const char *token, *person;
    int status;
    const char *outcome, *reason; /* of its one access-log row; outcome NULL: no row at all */
    char user_id[40], controller[8];
};

/* The user id and controller id of a harness account. */
static void account_ids(const char *key, struct reader *r)
{
    PGconn *c = db_super();
    const char *p[] = {harness_username(key)};
    PGresult *res = PQexecParams(c, "SELECT id::text, controller_id::text FROM staff_users "
                                    "WHERE username = $1", 1, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQntuples(res), 1, "account %s", key);
    snprintf(r->user_id, sizeof r->user_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(r->controller, sizeof r->controller, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    PQfinish(c);
}

static struct reader reader_of(const char *key, const char *person, int status,
                               const char *outcome, const char *reason)
{
    struct reader r = {harness_token(key), person, status, outcome, reason, "", ""};
    cr_assert_not_null(r.token, "token of %s", key);
    account_ids(key, &r);
    return r;
}

/* Sends GET path[i] with token[i] for every i at once, each on its own connection with its own
 * request id (rid[i], "batch-<tag>-<pid>-<i>"), then reads the answers into out[i]. */
static void fire(const char *const *path, const char *const *token, int n, const char *tag,
                 struct resp *out, char (*rid)[40])
{
    int *s = calloc((size_t)n, sizeof *s);
    for (int i = 0; i < n; i++) {
        snprintf(rid[i], sizeof rid[i], "batch-%s-%d-%d", tag, (int)getpid(), i);
        s[i] = api_connect();
        cr_assert(s[i] >= 0);
    }
    for (int i = 0; i < n; i++) {
        char req[2048];
        int len = snprintf(req, sizeof req,
                           "GET %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                           "X-Request-Id: %s\r\nConnection: close\r\n\r\n",
                           path[i], token[i], rid[i]);
        cr_assert_eq(send(s[i], req, (size_t)len, MSG_NOSIGNAL), len);
    }
    for (int i = 0; i < n; i++) {
        cr_assert_eq(api_read(s[i], &out[i], 15000), 0, "answer %d", i);
        close(s[i]);
    }
    free(s);
}

/* How many transactions the access-log rows of a burst's requests were committed in. */
static long commits_of(PGconn *c, const char *tag)
{
    char like[64];
    snprintf(like, sizeof like, "batch-%s-%d-%%", tag, (int)getpid());
    const char *p[] = {like};
    return sql_long(c, "SELECT count(DISTINCT xmin::text) FROM access_log WHERE request_id LIKE $1 "
                       "AND reason IS DISTINCT FROM 'role_has_no_access'", 1, p);
}

/* Sends every reader's GET at once (fire), then checks each answer and its access-log row;
 * returns how many transactions the rows of the batched reads were committed in. */
static long burst(const struct reader *rd, int n, const char *tag)
{
    char (*rid)[40] = calloc((size_t)n, sizeof *rid);
    const char **path = calloc((size_t)n, sizeof *path), **token = calloc((size_t)n, sizeof *token);
    struct resp *res = calloc((size_t)n, sizeof *res);
    for (int i = 0; i < n; i++) {
        char *pth = malloc(64);
        snprintf(pth, 64, "/v1/persons/%s", rd[i].person);
        path[i] = pth;
        token[i] = rd[i].token;
    }
    fire(path, token, n, tag, res, rid);
    PGconn *c = db_super();
    for (int i = 0; i < n; i++) {
        struct resp r = res[i];
        cr_assert_eq(r.status, rd[i].status, "reader %d (%s): %d %s", i, rid[i], r.status, r.body);
        if (r.status == 200) {
            cr_assert_str_eq(json_string_value(json_object_get(r.json, "id")), rd[i].person);
            cr_assert_str_eq(json_string_value(json_object_get(r.json, "access_reason")),
                             rd[i].reason, "reader %d", i);
        }
        resp_free(&r);
        free((char *)path[i]);
        /* Exactly the rows of this request: under its user and controller, with its outcome. */
        const char *p[] = {rid[i]};
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1", 1, p),
                     rd[i].outcome ? 1 : 0, "log rows of reader %d", i);
        if (rd[i].outcome == NULL)
            continue;
        const char *q[] = {rid[i], rd[i].person, rd[i].user_id, rd[i].controller, rd[i].outcome,
                           rd[i].reason};
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                                 "AND person_id = $2::uuid AND user_id = $3::uuid "
                                 "AND controller_id = $4::smallint AND action = 'read' "
                                 "AND outcome = $5 AND reason IS NOT DISTINCT FROM $6",
                              6, q),
                     1, "reader %d's row: its user, controller, outcome %s, reason %s", i,
                     rd[i].outcome, rd[i].reason ? rd[i].reason : "-");
    }
    long xacts = commits_of(c, tag);
    PQfinish(c);
    free(rid);
    free(path);
    free(token);
    free(res);
    return xacts;
}

/* The mix of a burst: one person of atlas registered by atlas.intake, one of ingent; readers of
 * four roles and three controllers, allowed, refused by need to know, not found, and a role
 * refused before any read (the DPO: its refusal is logged on the blocking connection). */
static int mix(struct reader *rd, int max, const char *atlas_p, const char *ingent_p)
{
    struct reader base[] = {
        reader_of("atlas.intake", atlas_p, 200, "allowed", "own_registration"),
        reader_of("atlas.coordinator", atlas_p, 200, "allowed", "coordinator_scope"),
        reader_of("atlas.caseworker", atlas_p, 403, "denied", "no_need_to_know"),
        reader_of("huis.coordinator", atlas_p, 404, "not_found", NULL),
        reader_of("ingent.intake", atlas_p, 404, "not_found", NULL),
        reader_of("ingent.intake", ingent_p, 200, "allowed", "own_registration"),
        reader_of("atlas.coordinator", ingent_p, 404, "not_found", NULL),
        reader_of("atlas.dpo", atlas_p, 403, "denied", "role_has_no_access"),
    };
    int nb = (int)(sizeof base / sizeof base[0]), n = 0;
    for (int round = 0; n + nb <= max && round < 5; round++)
        for (int i = 0; i < nb; i++)
            rd[n++] = base[i];
    return n;
}

static void people(char **atlas_p, char **ingent_p)
{
    *atlas_p = create_person("atlas.intake", "Batch", "Atlasperson", "1981-02-03");
    *ingent_p = create_person("ingent.intake", "Batch", "Ingentperson", "1979-04-05");
    cr_assert(*atlas_p && *ingent_p);
}

Test(batch, interleaved_readers_get_their_own_answer_and_log_row_in_shared_commits)
{
    char *a, *g;
    people(&a, &g);
    struct reader rd[48];
    int n = mix(rd, 48, a, g);
    long xacts = burst(rd, n, "mix");
    /* Shared transactions: fewer commits than requests (one worker, all sent at once). */
    cr_assert_lt(xacts, n - 5, "%ld transactions for %d reads: no group commit", xacts, n);
    free(a);
    free(g);
}

/* The user id of a fresh account whose session is then revoked in the database. */
static void revoked_reader(struct reader *r, struct account *acc, const char *person)
{
    cr_assert(account_new(acc, "atlas", "coordinator"));
    PGconn *c = db_super();
    const char *p[] = {acc->user_id};
    cr_assert(sql_ok(c, "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid", 1, p));
    PQfinish(c);
    *r = (struct reader){acc->token, person, 401, NULL, NULL, "", ""};
}

Test(batch, a_revoked_session_in_a_batch_is_refused_alone_and_leaves_no_row)
{
    char *a, *g;
    people(&a, &g);
    struct account acc;
    struct reader revoked, rd[48];
    revoked_reader(&revoked, &acc, a);
    int n = mix(rd, 40, a, g);
    /* The revoked coordinator reads between the others, several times. */
    for (int i = 3; i < n; i += 9)
        rd[i] = revoked;
    (void)burst(rd, n, "revoked");
    account_free(&acc);
    free(a);
    free(g);
}

Test(batch, a_statement_timeout_fails_its_own_request_only)
{
    char *a, *g;
    people(&a, &g);
    struct account acc;
    cr_assert(account_new(&acc, "atlas", "coordinator"));
    /* The slow one: its session check must touch its session's row (last seen long enough
     * ago), which another transaction holds locked past the statement timeout. */
    PGconn *lock = db_super();
    const char *p[] = {acc.user_id};
    cr_assert(sql_ok(lock, "UPDATE sessions SET last_seen_at = now() - interval '20 seconds' "
                           "WHERE user_id = $1::uuid", 1, p));
    cr_assert(sql_ok(lock, "BEGIN", 0, NULL));
    cr_assert(sql_ok(lock, "SELECT 1 FROM sessions WHERE user_id = $1::uuid FOR UPDATE", 1, p));
    struct reader rd[24];
    int n = mix(rd, 24, a, g);
    rd[5] = (struct reader){acc.token, a, 503, NULL, NULL, "", ""};
    (void)burst(rd, n, "timeout");
    cr_assert(sql_ok(lock, "ROLLBACK", 0, NULL));
    PQfinish(lock);
    account_free(&acc);
    free(a);
    free(g);
}

Test(batch, no_answer_before_the_commit_that_holds_its_log_row)
{
    char *a, *g;
    people(&a, &g);
    PGconn *c = db_super();
    /* Every commit now waits for a synchronous standby that does not exist. */
    cr_assert(sql_ok(c, "ALTER SYSTEM SET synchronous_standby_names = 'crt_no_such_standby'", 0,
                     NULL));
    cr_assert(sql_ok(c, "SELECT pg_reload_conf()", 0, NULL));
    usleep(300000);
    int s = api_connect();
    char req[2048];
    int len = snprintf(req, sizeof req,
                       "GET /v1/persons/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                       "X-Request-Id: batch-held-%d\r\nConnection: close\r\n\r\n",
                       a, harness_token("atlas.coordinator"), (int)getpid());
    cr_assert_eq(send(s, req, (size_t)len, MSG_NOSIGNAL), len);
    struct resp r;
    int early = api_read(s, &r, 1500);
    int early_status = r.status;
    resp_free(&r);
    cr_assert(sql_ok(c, "ALTER SYSTEM RESET synchronous_standby_names", 0, NULL));
    cr_assert(sql_ok(c, "SELECT pg_reload_conf()", 0, NULL));
    cr_assert_neq(early, 0, "answered %d while its commit was still waiting", early_status);
    cr_assert_eq(api_read(s, &r, 10000), 0, "answered once the commit returned");
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    close(s);
    char rid[64];
    snprintf(rid, sizeof rid, "batch-held-%d", (int)getpid());
    const char *p[] = {rid};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                             "AND outcome = 'allowed'", 1, p), 1);
    PQfinish(c);
    free(a);
    free(g);
}

/* ---- the hold: the clients of a flight come back one by one ---- */

/* Sends GET /v1/persons/person with token and request id batch-<tag>-<pid>-<i> on a connection
 * of its own; returns the socket. */
static int send_read(const char *person, const char *token, const char *tag, int i)
{
    char req[2048];
    int len = snprintf(req, sizeof req,
                       "GET /v1/persons/%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                       "X-Request-Id: batch-%s-%d-%d\r\nConnection: close\r\n\r\n",
                       person, token, tag, (int)getpid(), i);
    int s = api_connect();
    cr_assert(s >= 0);
    cr_assert_eq(send(s, req, (size_t)len, MSG_NOSIGNAL), len);
    return s;
}

static void read_ok(int s, const char *what)
{
    struct resp r;
    cr_assert_eq(api_read(s, &r, 10000), 0, "%s answered", what);
    cr_assert_eq(r.status, 200, "%s: %d %s", what, r.status, r.body);
    resp_free(&r);
    close(s);
}

static void set_commits_blocked(PGconn *c, bool blocked)
{
    cr_assert(sql_ok(c, blocked ? "ALTER SYSTEM SET synchronous_standby_names = 'crt_no_such_standby'"
                                : "ALTER SYSTEM RESET synchronous_standby_names", 0, NULL));
    cr_assert(sql_ok(c, "SELECT pg_reload_conf()", 0, NULL));
    usleep(300000);
}

/* Eight clients answered by one flight come back 30 ms apart (the first, then the seven): the
 * first is held until the others are there and the eight share one commit; without the hold the
 * first goes alone (two commits). A lone request after that is held for CRT_BATCH_HOLD_US and
 * no longer, then goes alone; the one after it is not held (the last flight was one). */
Test(batch, clients_coming_back_one_by_one_share_the_next_commit_and_a_lone_one_waits_boundedly)
{
    char *a, *g;
    people(&a, &g);
    const char *token = harness_token("atlas.coordinator");
    PGconn *c = db_super();
    /* A flight of eight: they queue while one read's commit waits, then go together. */
    set_commits_blocked(c, true);
    int first = send_read(a, token, "hold0", 0), s[8];
    usleep(300000);
    for (int i = 0; i < 8; i++)
        s[i] = send_read(a, token, "hold1", i);
    usleep(300000);
    set_commits_blocked(c, false);
    read_ok(first, "the blocked read");
    for (int i = 0; i < 8; i++)
        read_ok(s[i], "a queued read");
    cr_assert_eq(commits_of(c, "hold1"), 1, "the eight queued reads went in one flight");
    /* They come back: one, then 30 ms later the seven. */
    long held0 = api_metric("crt_read_flights_held_total");
    s[0] = send_read(a, token, "hold2", 0);
    usleep(30000);
    for (int i = 1; i < 8; i++)
        s[i] = send_read(a, token, "hold2", i);
    for (int i = 0; i < 8; i++)
        read_ok(s[i], "a returning read");
    cr_assert_eq(commits_of(c, "hold2"), 1, "the first to come back did not wait for the others");
    cr_assert_eq(api_metric("crt_read_flights_held_total") - held0, 1);
    /* A lone request: held for the hold time, then alone. */
    double t0 = now_s();
    read_ok(send_read(a, token, "hold3", 0), "the lone read");
    double waited = now_s() - t0;
    cr_assert_geq(waited, 0.09, "a lone read after a flight of eight waits for the others (%.3f s)",
                  waited);
    cr_assert_lt(waited, 5.0, "the hold is bounded (%.3f s)", waited);
    cr_assert_eq(api_metric("crt_read_flights_held_total") - held0, 2);
    /* The last flight was one: the next lone request is not held. */
    read_ok(send_read(a, token, "hold4", 0), "the next lone read");
    cr_assert_eq(api_metric("crt_read_flights_held_total") - held0, 2, "a flight of one holds none");
    PQfinish(c);
    free(a);
    free(g);
}

/* ---- searches and partner pulls: a second statement per request in the same flight ---- */

/* The rows a search request logged: all of action search, of person (NULL: none at all), under
 * the searcher's user and controller. */
static void search_rows(PGconn *c, const char *rid, const struct reader *who, const char *person)
{
    const char *p[] = {rid};
    long all = sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                           "AND person_id IS NOT NULL", 1, p);
    cr_assert_eq(all, person ? 1 : 0, "search %s: rows naming a person", rid);
    if (person == NULL)
        return;
    const char *q[] = {rid, person, who->user_id, who->controller};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                             "AND person_id = $2::uuid AND user_id = $3::uuid "
                             "AND controller_id = $4::smallint AND action = 'search' "
                             "AND outcome = 'allowed'", 4, q),
                 1, "search %s: its row under the searcher's user and controller", rid);
}

Test(batch, searches_and_partner_pulls_log_under_their_own_context_in_shared_flights)
{
    char last[40], path_search[160];
    unique_name(last, sizeof last, "Zoekbatch");
    char *a = create_person("atlas.intake", "Batch", last, "1975-01-02");
    char *g = create_person("ingent.intake", "Batch", last, "1975-01-02");
    cr_assert(a && g);
    struct partner pa;
    partner_with_grant(&pa, "atlas", "identification", "employment_guidance");
    partner_refer("atlas.coordinator", a, &pa, "employment_guidance");
    char *pt = partner_token(&pa);
    struct account acc; /* a revoked session's search fails in the first phase of a flight */
    struct reader revoked;
    revoked_reader(&revoked, &acc, a);
    snprintf(path_search, sizeof path_search, "/v1/persons?q=%s&birth_date=1975-01-02", last);
    char path_pull[96], path_read[96];
    snprintf(path_pull, sizeof path_pull, "/v1/partner/persons/%s", a);
    snprintf(path_read, sizeof path_read, "/v1/persons/%s", a);
    /* kind: 0 atlas search (finds a), 1 ingent search (finds g), 2 huis search (none),
     * 3 partner pull of a, 4 atlas read of a */
    struct reader who[3] = {reader_of("atlas.coordinator", a, 200, NULL, NULL),
                            reader_of("ingent.intake", g, 200, NULL, NULL),
                            reader_of("huis.coordinator", NULL, 200, NULL, NULL)};
    enum { N = 20 };
    const char *path[N], *token[N];
    for (int i = 0; i < N; i++) {
        int k = i % 5;
        path[i] = k < 3 ? path_search : k == 3 ? path_pull : path_read;
        token[i] = k < 3 ? who[k].token : k == 3 ? pt : who[0].token;
    }
    token[7] = revoked.token;
    path[7] = path_search;
    struct resp res[N];
    char rid[N][40];
    fire(path, token, N, "search", res, rid);
    PGconn *c = db_super();
    for (int i = 0; i < N; i++) {
        int k = i % 5;
        if (i == 7) {
            const char *p[] = {rid[i]};
            cr_assert_eq(res[i].status, 401, "revoked: %d %s", res[i].status, res[i].body);
            cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1",
                                  1, p), 0, "nothing logged for the revoked session");
            resp_free(&res[i]);
            continue;
        }
        cr_assert_eq(res[i].status, 200, "request %d: %d %s", i, res[i].status, res[i].body);
        json_t *items = json_object_get(res[i].json, "items");
        if (k < 3) {
            const char *want = k == 2 ? NULL : who[k].person;
            cr_assert_eq(json_array_size(items), want ? 1u : 0u, "search %d: %s", i, res[i].body);
            if (want)
                cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "id")),
                                 want);
            search_rows(c, rid[i], &who[k], want);
        } else {
            cr_assert_str_eq(json_string_value(json_object_get(res[i].json, "id")), a);
            const char *p[] = {rid[i], a};
            cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                                     "AND person_id = $2::uuid AND outcome = 'allowed'", 2, p),
                         1, "request %d: one row", i);
        }
        resp_free(&res[i]);
    }
    long xacts = commits_of(c, "search");
    cr_assert_lt(xacts, N - 4, "%ld transactions for %d requests: no group commit", xacts, N);
    PQfinish(c);
    account_free(&acc);
    free(pt);
    free(a);
    free(g);
}

/* ---- a write of a session while that session's two-phase flight is out ---- */

/* A request sent on its own connection (read later with api_read); the socket. */
static int send_raw(const char *method, const char *path, const char *token, const char *body)
{
    char req[2048];
    int len = snprintf(req, sizeof req,
                       "%s %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s",
                       method, path, token, body ? strlen(body) : 0, body ? body : "");
    int s = api_connect();
    cr_assert(s >= 0);
    cr_assert_eq(send(s, req, (size_t)len, MSG_NOSIGNAL), len);
    return s;
}

/* A connection of the superuser holding the session row of user locked (its last-seen made
 * old first, so that the user's next session check must update it and waits). */
static PGconn *hold_session(const char *user)
{
    PGconn *c = db_super();
    const char *p[] = {user};
    cr_assert(sql_ok(c, "UPDATE sessions SET last_seen_at = now() - interval '20 seconds' "
                        "WHERE user_id = $1::uuid", 1, p));
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "SELECT 1 FROM sessions WHERE user_id = $1::uuid FOR UPDATE", 1, p));
    return c;
}

static void release(PGconn *c)
{
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
}

Test(batch, a_write_of_a_session_does_not_wait_for_its_own_search_flight)
{
    char *a, *g;
    people(&a, &g);
    struct account s, r, blk;
    cr_assert(account_new(&s, "atlas", "coordinator") && account_new(&r, "atlas", "coordinator") &&
              account_new(&blk, "atlas", "coordinator"));
    char read_path[96];
    snprintf(read_path, sizeof read_path, "/v1/persons/%s", a);
    /* s's session check will refresh (and so lock) its row in the search's first phase */
    PGconn *sc = db_super();
    const char *sp[] = {s.user_id};
    cr_assert(sql_ok(sc, "UPDATE sessions SET last_seen_at = now() - interval '20 seconds' "
                         "WHERE user_id = $1::uuid", 1, sp));
    PQfinish(sc);
    /* flight 1: blk's read, held until s's search and r's read are queued behind it */
    PGconn *hold_blk = hold_session(blk.user_id), *hold_r = hold_session(r.user_id);
    int k_blk = send_raw("GET", read_path, blk.token, NULL);
    usleep(100000);
    int k_search = send_raw("GET", "/v1/persons?q=Atlasperson&birth_date=1981-02-03", s.token, NULL);
    usleep(50000);
    int k_read = send_raw("GET", read_path, r.token, NULL);
    usleep(100000);
    release(hold_blk); /* flight 2: s's search (locks s's row), then r's read (waits for hold_r) */
    usleep(150000);
    int k_write = send_raw("POST", "/v1/persons/duplicate-check", s.token,
                           "{\"first_name\":\"Batch\",\"last_name\":\"Atlasperson\","
                           "\"birth_date\":\"1981-02-03\"}");
    usleep(400000);
    release(hold_r); /* flight 2's first phase ends: its second phase and COMMIT can go */
    struct resp w, x;
    cr_assert_eq(api_read(k_write, &w, 15000), 0);
    cr_assert_eq(w.status, 200, "the write waited on its session's row behind a flight that "
                                "waited for the blocked loop: %d %s", w.status, w.body);
    resp_free(&w);
    int socks[] = {k_blk, k_search, k_read};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(api_read(socks[i], &x, 15000), 0);
        cr_assert_eq(x.status, 200, "request %d: %d %s", i, x.status, x.body);
        resp_free(&x);
        close(socks[i]);
    }
    close(k_write);
    account_free(&s);
    account_free(&r);
    account_free(&blk);
    free(a);
    free(g);
}

/* ---- flights of several workers: the sessions they refresh never deadlock ---- */

#define LOCK_USERS 8
#define LOCK_READS 48

static long deadlocks(PGconn *c)
{
    return sql_long(c, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
                    0, NULL);
}

/* A test's own crt-api: stopped by the test, or by own_api_stop (its .fini) when an assertion
 * ended the test first — a crt-api left running would keep a pipe reading the test's output
 * open. */
static pid_t own_api;
static void own_api_stop(void)
{
    if (own_api > 0)
        api_stop(own_api);
    own_api = 0;
}

Test(batch, flights_of_several_workers_never_deadlock_on_session_refreshes, .fini = own_api_stop)
{
    char *a, *g;
    people(&a, &g);
    struct account acc[LOCK_USERS];
    for (int i = 0; i < LOCK_USERS; i++)
        cr_assert(account_new(&acc[i], "atlas", "coordinator"));
    static const char *const env[] = {"CRT_THREADS=4", NULL};
    own_api = api_start(env); /* this test's own crt-api: four workers, four flights at once */
    PGconn *c = db_super();
    char path[96], tag[16];
    snprintf(path, sizeof path, "/v1/persons/%s", a);
    const char *paths[LOCK_READS], *tokens[LOCK_READS];
    struct resp res[LOCK_READS];
    char rid[LOCK_READS][40];
    unsigned seed = 16;
    for (int round = 0; round < 8; round++) {
        /* every session due for its last-seen refresh: each flight holding one locks its row */
        for (int u = 0; u < LOCK_USERS; u++) {
            const char *p[] = {acc[u].user_id};
            cr_assert(sql_ok(c, "UPDATE sessions SET last_seen_at = now() - interval '20 seconds' "
                                "WHERE user_id = $1::uuid", 1, p));
        }
        for (int i = 0; i < LOCK_READS; i++) { /* every user in every round, in every order */
            paths[i] = path;
            tokens[i] = acc[i % LOCK_USERS].token;
        }
        for (int i = LOCK_READS - 1; i > 0; i--) {
            int k = (int)(rand_r(&seed) % (unsigned)(i + 1));
            const char *t = tokens[i];
            tokens[i] = tokens[k];
            tokens[k] = t;
        }
        snprintf(tag, sizeof tag, "lock%d", round);
        fire(paths, tokens, LOCK_READS, tag, res, rid);
        for (int i = 0; i < LOCK_READS; i++) {
            cr_assert_eq(res[i].status, 200, "round %d read %d: %d %s", round, i, res[i].status,
                         res[i].body);
            resp_free(&res[i]);
        }
    }
    /* Its own flights' count, not the database's (the deadlock test below may run beside it):
     * a deadlock between two flights aborts one of them, which the count shows although the
     * reads are answered after running again. */
    cr_assert_eq(api_metric("crt_read_flight_conflicts_total"), 0,
                 "flights deadlocked on their session rows");
    for (int u = 0; u < LOCK_USERS; u++) { /* and the refreshes were made, not lost */
        const char *p[] = {acc[u].user_id};
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM sessions WHERE user_id = $1::uuid "
                                 "AND last_seen_at > now() - interval '10 seconds'", 1, p),
                     1, "user %d's session was not refreshed", u);
    }
    PQfinish(c);
    api_stop_checked(own_api);
    own_api = 0;
    for (int i = 0; i < LOCK_USERS; i++)
        account_free(&acc[i]);
    free(a);
    free(g);
}

/* The backend pid of connection c, as text (static buffer). */
static const char *pid_of(PGconn *c)
{
    static char buf[16];
    snprintf(buf, sizeof buf, "%d", PQbackendPID(c));
    return buf;
}

/* The session id (claim sid) of an access token, decoded by the database. */
static char *token_sid(PGconn *c, const char *token)
{
    const char *p[] = {token};
    PGresult *r = PQexecParams(c, "SELECT convert_from(decode(rpad(translate(split_part($1, '.', 2), "
                                  "'-_', '+/'), (length(split_part($1, '.', 2)) + 3) / 4 * 4, '='), "
                                  "'base64'), 'UTF8')::json->>'sid'",
                               1, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQntuples(r), 1, "%s", PQerrorMessage(c));
    char *sid = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return sid;
}

/* The flight's backend looks for a deadlock once, deadlock_timeout after it starts waiting; x
 * must ask for its second row before then, which on a loaded machine took longer than the
 * cluster's 1 s (the flight's check found no cycle, its statement timeout cancelled it: 503).
 * This test's own crt-api (one worker, as the file's) connects with a longer deadlock_timeout,
 * which the API role may set for the test's duration, and a statement timeout above it. */
#define DL_TIMEOUT "5s"
static pid_t deadlock_api_start(PGconn *super)
{
    cr_assert(sql_ok(super, "GRANT SET ON PARAMETER deadlock_timeout TO crt_api", 0, NULL));
    static char url[1024];
    snprintf(url, sizeof url, "CRT_DATABASE_URL=%s options='-c deadlock_timeout=" DL_TIMEOUT "'",
             getenv("CRT_DATABASE_URL"));
    static const char *env[] = {"CRT_THREADS=1", "CRT_STATEMENT_TIMEOUT_MS=20000",
                                "CRT_BATCH_HOLD_US=" HOLD_US, url, NULL};
    return api_start(env);
}

/* Two reads in one flight lose a deadlock against another transaction (it holds the session
 * row the flight refreshes second, then asks for the one the flight refreshed first): the flight
 * is the victim, both reads run again in the next flight and are answered 200, each with one
 * log row — not a 409 for the one whose statement failed. The two readers are accounts of their
 * own: x holds their session rows for seconds, which would stall other tests' readers. */
Test(batch, reads_of_a_flight_that_loses_a_deadlock_run_again_and_are_answered,
     .fini = own_api_stop)
{
    char *a, *g;
    people(&a, &g);
    PGconn *c = db_super(), *x = db_super();
    own_api = deadlock_api_start(c);
    struct account acc[2];
    for (int i = 0; i < 2; i++)
        cr_assert(account_new(&acc[i], "atlas", "coordinator"));
    const char *tok[] = {acc[0].token, acc[1].token};
    char *sid[] = {token_sid(c, tok[0]), token_sid(c, tok[1])};
    int lo = strcmp(sid[0], sid[1]) < 0 ? 0 : 1; /* the flight refreshes sid[lo] first */
    const char *first[] = {sid[lo]}, *second[] = {sid[1 - lo]};
    long before = deadlocks(c);
    /* Both sessions due for a refresh (written before commits are blocked). */
    const char *both[] = {sid[0], sid[1]};
    cr_assert(sql_ok(x, "UPDATE sessions SET last_seen_at = now() - interval '20 seconds' "
                        "WHERE id IN ($1::uuid, $2::uuid)", 2, both));
    /* Both reads queue behind a read whose commit waits, so that they share the next flight. */
    set_commits_blocked(c, true);
    int s0 = send_read(g, harness_token("ingent.intake"), "dl0", 0);
    usleep(300000);
    int s[2];
    for (int i = 0; i < 2; i++)
        s[i] = send_read(a, tok[i], "dl1", i);
    usleep(300000);
    /* x holds the session row the flight refreshes second; x itself never looks for the
     * deadlock (the flight's backend, which waits first, finds it after DL_TIMEOUT). */
    cr_assert(sql_ok(x, "SET deadlock_timeout = '60s'", 0, NULL));
    cr_assert(sql_ok(x, "BEGIN", 0, NULL));
    cr_assert(sql_ok(x, "SELECT 1 FROM sessions WHERE id = $1::uuid FOR UPDATE", 1, second));
    set_commits_blocked(c, false); /* the flight of the two starts and waits for x */
    read_ok(s0, "the read whose commit waited");
    long waiting = 0;
    for (int i = 0; i < 100 && waiting == 0; i++, usleep(50000))
        waiting = sql_long(c, "SELECT count(*) FROM pg_stat_activity "
                              "WHERE $1::int = ANY (pg_blocking_pids(pid))",
                           1, (const char *[]){pid_of(x)});
    cr_assert_eq(waiting, 1, "the flight waits for the session row x holds");
    cr_assert(sql_ok(x, "SELECT 1 FROM sessions WHERE id = $1::uuid FOR UPDATE", 1, first),
              "the flight, which waited first, is the deadlock's victim: %s", PQerrorMessage(x));
    cr_assert(sql_ok(x, "ROLLBACK", 0, NULL));
    for (int i = 0; i < 2; i++)
        read_ok(s[i], "a read of the flight that lost the deadlock");
    char rid[64];
    for (int i = 0; i < 2; i++) {
        snprintf(rid, sizeof rid, "batch-dl1-%d-%d", (int)getpid(), i);
        const char *p[] = {rid};
        cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 "
                                 "AND outcome = 'allowed'", 1, p), 1, "one row for read %d", i);
    }
    cr_assert_eq(api_metric("crt_read_flight_conflicts_total"), 1, "one flight lost a deadlock");
    usleep(1200000); /* backends report their statistics at most once a second */
    cr_assert_geq(deadlocks(c), before + 1, "the deadlock happened");
    api_stop_checked(own_api);
    own_api = 0;
    cr_assert(sql_ok(c, "REVOKE SET ON PARAMETER deadlock_timeout FROM crt_api", 0, NULL));
    for (int i = 0; i < 2; i++)
        account_free(&acc[i]);
    free(sid[0]);
    free(sid[1]);
    PQfinish(x);
    PQfinish(c);
    free(a);
    free(g);
}
