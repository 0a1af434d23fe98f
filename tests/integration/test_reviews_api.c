/* Integration: the DPO's review API (issue 6) against a real crt-api and PostgreSQL — reviews
 * and findings seeded as superuser for two controllers; listing, filters, decisions that cannot
 * be silently changed, cases closing, RLS between controllers, roles, and the access log. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define DPO "atlas.dpo"
#define NOTE "{\"decision\":\"%s\",\"note\":\"%s\"}"
#define JUSTIFIED "{\"decision\":\"justified\",\"note\":\"fine\"}"

/* What one seeding wrote for a controller: two reviews (r0 older), a case of the findings
 * f[0] (high, BG-01) and f[1] (medium, OFF-01) of r1, and f[2] (low, VOL-01, no case) first
 * seen in r0 and again in r1; subject: a fresh staff user. */
struct seeded {
    long r0, r1, f[3], case_id;
    char user[40];
};

/* One value of a superuser statement; asserts it answered one. */
static long one(PGconn *c, const char *sql, int n, const char *const *p)
{
    long v = sql_long(c, sql, n, p);
    cr_assert_gt(v, 0, "seed: %s", sql);
    return v;
}

/* A review of controller ctl (by code) in a run of its own, sealed as the next seal. */
static long seed_review(PGconn *c, const char *ctl)
{
    long seal = one(c, "INSERT INTO log_seals (id, prev_id, txid_from, txid_to, row_count, "
                       "manifest_sha256, prev_chain, chain, key_id, signature, sealed_at) "
                       "SELECT COALESCE(max(id), 0) + 1, max(id), 0, 0, 0, repeat('0', 64), "
                       "repeat('0', 64), repeat('ab', 32), 'test', 'test', now() FROM log_seals "
                       "RETURNING id",
                    0, NULL);
    char s[24];
    snprintf(s, sizeof s, "%ld", seal);
    const char *p[] = {s, ctl};
    return one(c, "WITH run AS (INSERT INTO review_runs (seal_id, finished_at, log_rows) "
                  "VALUES ($1::bigint, now(), 1000) RETURNING id) "
                  "INSERT INTO reviews (run_id, controller_id, window_from, window_to, log_rows, "
                  "accesses, explained, first_accesses, first_explained, denied, searches, "
                  "by_explanation, findings_new, findings_updated) "
                  "SELECT run.id, c.id, now() - interval '1 hour', now(), 1000, 200, 190, 10, 5, "
                  "3, 40, '{\"assignment\": 150, \"repeat\": 40}', 3, 0 "
                  "FROM run, controllers c WHERE c.code = $2 RETURNING id",
               2, p);
}

static long seed_finding(PGconn *c, const char *ctl, const char *user, const char *rule,
                         const char *severity, long first, long last, long case_id)
{
    char a[24], b[24], k[24], key[96];
    static int n;
    snprintf(a, sizeof a, "%ld", first);
    snprintf(b, sizeof b, "%ld", last);
    snprintf(k, sizeof k, "%ld", case_id);
    snprintf(key, sizeof key, "test:%d:%s:%d", (int)getpid(), user, n++);
    const char *p[] = {ctl, user, rule, severity, a, b, case_id ? k : NULL, key};
    return one(c, "INSERT INTO review_findings (controller_id, rule_id, severity, dedup_key, "
                  "user_id, person_id, first_review_id, last_review_id, case_id, first_at, "
                  "last_at, summary, evidence) SELECT c.id, $3, $4, $8, $2::uuid, "
                  "gen_random_uuid(), $5::bigint, $6::bigint, $7::bigint, now() - interval "
                  "'50 minutes', now() - interval '10 minutes', 'seeded finding', "
                  "'{\"log_ids\": [1, 2, 3], \"count\": 3}' FROM controllers c "
                  "WHERE c.code = $1 RETURNING id",
               8, p);
}

static void seed(const char *ctl, struct seeded *s)
{
    PGconn *c = db_super();
    char name[64];
    static int n;
    snprintf(name, sizeof name, "%s.rv%d.%d", ctl, (int)getpid(), n++);
    const char *p[] = {ctl, name};
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert(sql_ok(c, "LOCK TABLE log_seals IN SHARE ROW EXCLUSIVE MODE", 0, NULL));
    s->r0 = seed_review(c, ctl);
    s->r1 = seed_review(c, ctl);
    PGresult *r = PQexecParams(c, "INSERT INTO staff_users (controller_id, username, display_name, "
                                  "role) SELECT id, $2, 'Review Subject', 'caseworker' "
                                  "FROM controllers WHERE code = $1 RETURNING id::text",
                               2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    snprintf(s->user, sizeof s->user, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *q[] = {ctl, s->user};
    s->case_id = one(c, "INSERT INTO review_cases (controller_id, user_id, narrative) "
                        "SELECT id, $2::uuid, 'opened 3 persons at night, 2 unexplained' "
                        "FROM controllers WHERE code = $1 RETURNING id",
                     2, q);
    s->f[0] = seed_finding(c, ctl, s->user, "BG-01", "high", s->r1, s->r1, s->case_id);
    s->f[1] = seed_finding(c, ctl, s->user, "OFF-01", "medium", s->r1, s->r1, s->case_id);
    s->f[2] = seed_finding(c, ctl, s->user, "VOL-01", "low", s->r0, s->r1, 0);
    char r1[24];
    snprintf(r1, sizeof r1, "%ld", s->r1);
    const char *st[] = {r1, ctl, s->user};
    cr_assert(sql_ok(c, "INSERT INTO review_user_stats (review_id, controller_id, actor_id, "
                        "actor_kind, accesses, explained, first_accesses, first_explained) "
                        "SELECT $1::bigint, id, $3::uuid, 'staff', 40, 30, 4, 2 "
                        "FROM controllers WHERE code = $2",
                  3, st));
    cr_assert(sql_ok(c, "COMMIT", 0, NULL), "%s", PQerrorMessage(c));
    PQfinish(c);
}

static const char *dpo(void) { return harness_token(DPO); }
static long jint(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}
static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The item of list with "id" == id, or NULL. */
static json_t *item_with_id(json_t *list, long id)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (jint(it, "id") == id)
            return it;
    }
    return NULL;
}

/* Asserts that the DPO's method on path (body may be NULL) is refused with status naming field. */
static void refused(const char *method, const char *path, const char *body, int status,
                    const char *field)
{
    struct resp r;
    api_reqf_token(&r, method, dpo(), body, "%s", path);
    cr_assert_eq(r.status, status, "%s %s %s: %s", method, path, body ? body : "", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), field, "%s %s", path, body ? body : "");
    resp_free(&r);
}

/* PATCH a decision; returns the status, the response in r (caller frees). */
static int decide(struct resp *r, const char *token, long review, long finding, const char *body)
{
    api_reqf_token(r, "PATCH", token, body, "/v1/reviews/%ld/findings/%ld", review, finding);
    return r->status;
}

static long db_long1(const char *sql, long arg)
{
    char a[24];
    snprintf(a, sizeof a, "%ld", arg);
    const char *p[] = {a};
    PGconn *c = db_super();
    long v = sql_long(c, sql, 1, p);
    PQfinish(c);
    return v;
}

/* How many decisions finding has (superuser's view). */
static long decisions_of(long finding)
{
    return db_long1("SELECT count(*) FROM review_decisions WHERE finding_id = $1::bigint", finding);
}

/* ---- reading ---- */

Test(reviews, the_dpo_lists_its_own_controllers_reviews_newest_first)
{
    struct seeded a, g;
    seed("atlas", &a);
    seed("ingent", &g);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews?limit=100");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    json_t *r1 = item_with_id(items, a.r1);
    cr_assert_not_null(r1, "the atlas review is listed");
    cr_assert_not_null(item_with_id(items, a.r0));
    cr_assert_null(item_with_id(items, g.r1), "no review of another controller");
    cr_assert_null(item_with_id(items, g.r0));
    cr_assert_gt(jint(json_array_get(items, 0), "id"), jint(json_array_get(items, 1), "id"));
    cr_assert_eq(jint(r1, "accesses"), 200);
    cr_assert_eq(jint(r1, "explained"), 190);
    cr_assert_float_eq(json_real_value(json_object_get(r1, "explained_share")), 0.95, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(r1, "first_explained_share")), 0.5, 1e-9);
    cr_assert_eq(jint(json_object_get(r1, "by_explanation"), "assignment"), 150);
    cr_assert_eq(jint(r1, "open_findings"), 3);
    cr_assert_eq(jint(item_with_id(items, a.r0), "open_findings"), 0,
                 "open findings count where they were last seen");
    cr_assert_not_null(jstr(r1, "window_from"));
    resp_free(&r);
}

Test(reviews, pages_follow_next_before)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews?limit=1");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    long next = jint(r.json, "next_before");
    cr_assert_gt(next, 0);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews?limit=1&before=%ld", next);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_lt(jint(json_array_get(json_object_get(r.json, "items"), 0), "id"), next);
    resp_free(&r);
    const char *bad[][2] = {{"limit=0", "limit"}, {"limit=101", "limit"}, {"before=x", "before"},
                            {"page=2", "page"}, {"limit=5&limit=6", "limit"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/reviews?%s", bad[i][0]);
        refused("GET", path, NULL, 400, bad[i][1]);
    }
}

Test(reviews, one_review_carries_per_actor_stats)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld", a.r1);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(jint(r.json, "id"), a.r1);
    json_t *actors = json_object_get(r.json, "actors");
    cr_assert_eq(json_array_size(actors), 1);
    json_t *x = json_array_get(actors, 0);
    cr_assert_str_eq(jstr(x, "actor_id"), a.user);
    cr_assert_str_eq(jstr(x, "actor_kind"), "staff");
    cr_assert_not_null(strstr(jstr(x, "username"), ".rv"));
    cr_assert_eq(jint(x, "accesses"), 40);
    cr_assert_float_eq(json_real_value(json_object_get(x, "share")), 0.75, 1e-9);
    cr_assert_eq(jint(x, "first_accesses"), 4);
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld?x=1", a.r1);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "x");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/abc");
    cr_assert_eq(r.status, 404);
    resp_free(&r);
}

Test(reviews, findings_are_listed_with_case_evidence_and_filters)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings", a.r1);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 3);
    cr_assert_eq(jint(json_array_get(items, 0), "id"), a.f[0], "high severity first");
    json_t *f = item_with_id(items, a.f[0]);
    cr_assert_str_eq(jstr(f, "rule_id"), "BG-01");
    cr_assert_str_eq(jstr(f, "severity"), "high");
    cr_assert_str_eq(jstr(f, "user_id"), a.user);
    cr_assert_not_null(jstr(f, "username"));
    cr_assert_not_null(jstr(f, "person_id"));
    cr_assert_eq(jint(json_object_get(f, "evidence"), "count"), 3);
    cr_assert_eq(jint(json_object_get(f, "case"), "id"), a.case_id);
    cr_assert_not_null(strstr(jstr(json_object_get(f, "case"), "narrative"), "at night"));
    cr_assert(json_is_null(json_object_get(f, "decision")));
    cr_assert_eq(json_array_size(json_object_get(f, "history")), 0);
    cr_assert(json_is_null(json_object_get(item_with_id(items, a.f[2]), "case")));
    resp_free(&r);

    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings", a.r0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1, "first seen in r0");
    cr_assert_not_null(item_with_id(json_object_get(r.json, "items"), a.f[2]));
    resp_free(&r);

    const char *filters[][2] = {{"severity=high", "1"}, {"rule=OFF-01", "1"},
                                {"status=open", "3"},   {"status=decided", "0"},
                                {"severity=low&rule=BG-01", "0"}};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?%s", a.r1, filters[i][0]);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert_eq(json_array_size(json_object_get(r.json, "items")),
                     (size_t)atoi(filters[i][1]), "%s", filters[i][0]);
        resp_free(&r);
    }
    const char *bad[][2] = {{"status=closed", "status"}, {"severity=urgent", "severity"},
                            {"rule=", "rule"}, {"limit=0", "limit"}, {"offset=-1", "offset"},
                            {"user=x", "user"}, {"sort=id", "sort"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/reviews/%ld/findings?%s", a.r1, bad[i][0]);
        refused("GET", path, NULL, 400, bad[i][1]);
    }
}

/* ---- deciding ---- */

Test(reviews, a_decision_is_recorded_with_who_and_when)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, NOTE, "justified", "covering for a colleague on leave");
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 200, "%s", r.body);
    json_t *d = json_object_get(r.json, "decision");
    cr_assert_str_eq(jstr(d, "decision"), "justified");
    cr_assert_str_eq(jstr(d, "note"), "covering for a colleague on leave");
    cr_assert_str_eq(jstr(d, "decided_by_username"), harness_username(DPO));
    cr_assert_not_null(jstr(d, "decided_at"));
    cr_assert(json_is_null(json_object_get(d, "replaces")));
    cr_assert_eq(json_array_size(json_object_get(r.json, "history")), 1);
    long did = jint(d, "id");
    char rid[64];
    snprintf(rid, sizeof rid, "%s", resp_header(&r, "X-Request-Id"));
    resp_free(&r);

    PGconn *c = db_super();
    char ds[24];
    snprintf(ds, sizeof ds, "%ld", did);
    const char *p[] = {ds, rid, harness_username(DPO)};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM review_decisions d JOIN staff_users u "
                             "ON u.id = d.decided_by WHERE d.id = $1::bigint AND d.request_id = $2 "
                             "AND u.username = $3 AND d.decided_at > now() - interval '1 minute'",
                          3, p),
                 1, "who, when and the request are stored");
    PQfinish(c);
    cr_assert_eq(db_long1("SELECT decision_id FROM review_findings WHERE id = $1::bigint "
                          "AND decision = 'justified'", a.f[2]),
                 did);
    /* the finding is listed as decided in both reviews it belongs to */
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings?status=decided", a.r0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    resp_free(&r);
}

Test(reviews, a_decision_changes_only_by_naming_the_one_it_replaces)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, NOTE, "follow_up", "ask the team lead");
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 200, "%s", r.body);
    long first = jint(json_object_get(r.json, "decision"), "id");
    resp_free(&r);

    snprintf(body, sizeof body, NOTE, "violation", "the team lead knew nothing of it");
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 409, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "replaces");
    cr_assert_not_null(strstr(jstr(r.json, "detail"), "follow_up"), "says what: %s", r.body);
    cr_assert_not_null(strstr(jstr(r.json, "detail"), harness_username(DPO)), "says who");
    json_t *cur = json_object_get(r.json, "current_decision");
    cr_assert_eq(jint(cur, "id"), first);
    cr_assert_not_null(jstr(cur, "decided_at"), "says when");
    resp_free(&r);
    cr_assert_eq(db_long1("SELECT decision_id FROM review_findings WHERE id = $1::bigint "
                          "AND decision = 'follow_up'", a.f[2]),
                 first, "unchanged after the refusal");

    snprintf(body, sizeof body,
             "{\"decision\":\"violation\",\"note\":\"stale\",\"replaces\":%ld}", first + 100000);
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 409, "a stale replaces: %s", r.body);
    resp_free(&r);

    snprintf(body, sizeof body,
             "{\"decision\":\"violation\",\"note\":\"the lead knew nothing\",\"replaces\":%ld}",
             first);
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 200, "%s", r.body);
    json_t *d = json_object_get(r.json, "decision");
    cr_assert_str_eq(jstr(d, "decision"), "violation");
    cr_assert_eq(jint(d, "replaces"), first);
    json_t *h = json_object_get(r.json, "history");
    cr_assert_eq(json_array_size(h), 2, "both decisions are kept");
    cr_assert_eq(jint(json_array_get(h, 0), "id"), first, "oldest first");
    cr_assert_str_eq(jstr(json_array_get(h, 0), "decision"), "follow_up");
    resp_free(&r);
    cr_assert_eq(decisions_of(a.f[2]), 2);
    /* the replaced decision cannot be replaced again */
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], body), 409, "%s", r.body);
    resp_free(&r);
}

Test(reviews, replaces_on_an_undecided_finding_is_a_conflict)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[0],
                        "{\"decision\":\"justified\",\"note\":\"fine\",\"replaces\":1}"),
                 409, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "field"), "replaces");
    resp_free(&r);
    cr_assert_eq(decisions_of(a.f[0]), 0);
}

Test(reviews, bad_bodies_are_refused_naming_the_field)
{
    struct seeded a;
    seed("atlas", &a);
    const char *bad[][2] = {
        {"{\"decision\":\"maybe\",\"note\":\"fine\"}", "decision"},
        {"{\"note\":\"fine\"}", "decision"},
        {"{\"decision\":\"justified\",\"note\":\"ok\"}", "note"},
        {"{\"decision\":\"justified\"}", "note"},
        {"{\"decision\":\"justified\",\"note\":7}", "note"},
        {"{\"decision\":\"justified\",\"note\":\"fine\",\"replaces\":\"x\"}", "replaces"},
        {"{\"decision\":\"justified\",\"note\":\"fine\",\"replaces\":0}", "replaces"},
        {"{\"decision\":\"justified\",\"note\":\"fine\",\"by\":\"me\"}", "by"},
    };
    char path[128];
    snprintf(path, sizeof path, "/v1/reviews/%ld/findings/%ld", a.r1, a.f[0]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused("PATCH", path, bad[i][0], 422, bad[i][1]);
    char *long_note = malloc(2100), *body = NULL;
    cr_assert_not_null(long_note);
    memset(long_note, 'x', 2001);
    long_note[2001] = '\0';
    cr_assert_geq(asprintf(&body, NOTE, "justified", long_note), 0);
    refused("PATCH", path, body, 422, "note");
    free(body);
    long_note[2000] = '\0';
    struct resp r;
    cr_assert_geq(asprintf(&body, NOTE, "justified", long_note), 0);
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[0], body), 200, "2000 characters are fine");
    resp_free(&r);
    free(body);
    free(long_note);
}

Test(reviews, the_case_closes_when_every_finding_of_it_is_decided)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, NOTE, "violation", "no reason to open these at night");
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[0], body), 200, "%s", r.body);
    cr_assert(json_is_null(json_object_get(json_object_get(r.json, "case"), "closed_at")));
    resp_free(&r);
    cr_assert_eq(db_long1("SELECT count(*) FROM review_cases WHERE id = $1::bigint "
                          "AND closed_at IS NULL", a.case_id),
                 1, "one finding of the case is still open");
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[1], body), 200, "%s", r.body);
    cr_assert_not_null(jstr(json_object_get(r.json, "case"), "closed_at"));
    resp_free(&r);
    cr_assert_eq(db_long1("SELECT count(*) FROM review_cases WHERE id = $1::bigint "
                          "AND closed_at IS NOT NULL", a.case_id),
                 1);
}

struct concurrent {
    long review, finding;
    int status;
};

static void *decide_thread(void *arg)
{
    struct concurrent *c = arg;
    char path[128];
    struct resp r;
    snprintf(path, sizeof path, "/v1/reviews/%ld/findings/%ld", c->review, c->finding);
    c->status = api_req_token(&r, "PATCH", path, dpo(), JUSTIFIED) == 0 ? r.status : -1;
    if (c->status >= 0)
        resp_free(&r);
    return NULL;
}

Test(reviews, the_last_of_two_simultaneous_decisions_closes_the_case)
{
    for (int round = 0; round < 5; round++) {
        struct seeded a;
        seed("atlas", &a);
        struct concurrent c[2] = {{a.r1, a.f[0], 0}, {a.r1, a.f[1], 0}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            cr_assert_eq(pthread_create(&t[i], NULL, decide_thread, &c[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        cr_assert_eq(c[0].status, 200);
        cr_assert_eq(c[1].status, 200);
        cr_assert_eq(db_long1("SELECT count(*) FROM review_cases WHERE id = $1::bigint "
                              "AND closed_at IS NOT NULL", a.case_id),
                     1, "round %d", round);
    }
}

Test(reviews, a_finding_of_another_review_or_unknown_is_not_found)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    char body[256];
    snprintf(body, sizeof body, NOTE, "justified", "fine");
    cr_assert_eq(decide(&r, dpo(), a.r0, a.f[0], body), 404, "f0 is not of r0: %s", r.body);
    resp_free(&r);
    cr_assert_eq(decide(&r, dpo(), a.r1, 999999999999, body), 404);
    resp_free(&r);
    cr_assert_eq(decide(&r, dpo(), a.r1, 0, body), 404, "not an id");
    resp_free(&r);
    cr_assert_eq(decisions_of(a.f[0]), 0);
}

/* ---- who may ---- */

Test(reviews, only_the_dpo_may_read_or_decide)
{
    struct seeded a;
    seed("atlas", &a);
    const char *keys[] = {"atlas.coordinator", "atlas.admin", "atlas.caseworker"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *t = harness_token(keys[i]);
        struct resp r;
        api_reqf_token(&r, "GET", t, NULL, "/v1/reviews");
        cr_assert_eq(r.status, 403, "%s: %s", keys[i], r.body);
        resp_free(&r);
        api_reqf_token(&r, "GET", t, NULL, "/v1/reviews/%ld/findings", a.r1);
        cr_assert_eq(r.status, 403, "%s", keys[i]);
        resp_free(&r);
        cr_assert_eq(decide(&r, t, a.r1, a.f[0], JUSTIFIED),
                     403, "%s", keys[i]);
        resp_free(&r);
    }
}

Test(reviews, another_controllers_dpo_finds_nothing_of_atlas)
{
    struct seeded a, g;
    seed("atlas", &a);
    seed("ingent", &g);
    struct account d;
    cr_assert(account_new(&d, "ingent", "dpo"));
    struct resp r;
    api_reqf_token(&r, "GET", d.token, NULL, "/v1/reviews?limit=100");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(item_with_id(json_object_get(r.json, "items"), g.r1));
    cr_assert_null(item_with_id(json_object_get(r.json, "items"), a.r1));
    resp_free(&r);
    api_reqf_token(&r, "GET", d.token, NULL, "/v1/reviews/%ld", a.r1);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    api_reqf_token(&r, "GET", d.token, NULL, "/v1/reviews/%ld/findings", a.r1);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    cr_assert_eq(decide(&r, d.token, a.r1, a.f[0], JUSTIFIED),
                 404, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(decide(&r, d.token, g.r1, a.f[0], JUSTIFIED),
                 404, "an atlas finding under an ingent review");
    resp_free(&r);
    cr_assert_eq(decisions_of(a.f[0]), 0);
    cr_assert_eq(decide(&r, d.token, g.r1, g.f[0], JUSTIFIED),
                 200, "%s", r.body);
    resp_free(&r);
    account_free(&d);
}

/* The API role with a DPO's RLS context (controller, role, user), in an open transaction. */
static void as_api_dpo(PGconn *c, const char *controller, const char *user)
{
    cr_assert(api_context(c, controller, "dpo", user));
}

Test(reviews, the_api_role_cannot_alter_or_remove_decisions)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[2], JUSTIFIED),
                 200, "%s", r.body);
    long did = jint(json_object_get(r.json, "decision"), "id");
    resp_free(&r);
    char ds[24], fs[24], rs[24];
    snprintf(ds, sizeof ds, "%ld", did);
    snprintf(fs, sizeof fs, "%ld", a.f[2]);
    snprintf(rs, sizeof rs, "%ld", a.r1);
    PGconn *s = db_super();
    const char *u[] = {harness_username(DPO)};
    PGresult *x = PQexecParams(s, "SELECT id::text FROM staff_users WHERE username = $1", 1, NULL,
                               u, NULL, NULL, 0);
    cr_assert_eq(PQntuples(x), 1);
    char uid[40];
    snprintf(uid, sizeof uid, "%s", PQgetvalue(x, 0, 0));
    PQclear(x);
    PQfinish(s);

    PGconn *c = db_api();
    const char *p[] = {ds};
    const char *stmts[] = {"UPDATE review_decisions SET note = 'other' WHERE id = $1::bigint",
                           "UPDATE review_decisions SET decided_at = now() WHERE id = $1::bigint",
                           "DELETE FROM review_decisions WHERE id = $1::bigint"};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        as_api_dpo(c, "3", uid);
        cr_assert_not(sql_ok(c, stmts[i], 1, p), "crt_api: %s", stmts[i]);
        cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    }
    /* nor other columns of a finding, nor delete it */
    const char *q[] = {fs};
    as_api_dpo(c, "3", uid);
    cr_assert_not(sql_ok(c, "UPDATE review_findings SET severity = 'low' WHERE id = $1::bigint",
                         1, q));
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    as_api_dpo(c, "3", uid);
    cr_assert_not(sql_ok(c, "DELETE FROM review_findings WHERE id = $1::bigint", 1, q));
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    /* RLS: another controller's DPO context sees none of it */
    const char *rp[] = {rs};
    as_api_dpo(c, "4", NULL);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM reviews WHERE id = $1::bigint", 1, rp), 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM review_findings "
                             "WHERE last_review_id = $1::bigint", 1, rp),
                 0);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM review_decisions WHERE id = $1::bigint", 1, p),
                 0);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    as_api_dpo(c, "3", uid);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM review_decisions WHERE id = $1::bigint", 1, p),
                 1, "the own controller's DPO reads it");
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
    cr_assert_eq(db_long1("SELECT count(*) FROM review_decisions WHERE id = $1::bigint "
                          "AND note = 'fine' AND decision = 'justified'", did),
                 1, "the decision is untouched");
}

/* ---- the log ---- */

/* Access-log rows of a request with action and outcome, no person, purpose audit. */
static long logged(const struct resp *r, const char *action, const char *outcome)
{
    const char *p[] = {resp_header(r, "X-Request-Id"), action, outcome};
    PGconn *c = db_super();
    long n = sql_long(c, "SELECT count(*) FROM access_log WHERE request_id = $1 AND action = $2 "
                         "AND outcome = $3 AND person_id IS NULL AND purpose = 'audit' "
                         "AND controller_id = 3",
                      3, p);
    PQfinish(c);
    return n;
}

Test(reviews, reads_and_decisions_are_in_the_access_log)
{
    struct seeded a;
    seed("atlas", &a);
    struct resp r;
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews");
    cr_assert_eq(logged(&r, "review_read", "allowed"), 1, "list");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld", a.r1);
    cr_assert_eq(logged(&r, "review_read", "allowed"), 1, "one");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld/findings", a.r1);
    cr_assert_eq(logged(&r, "review_read", "allowed"), 1, "findings");
    resp_free(&r);
    api_reqf_token(&r, "GET", dpo(), NULL, "/v1/reviews/%ld", 999999999999L);
    cr_assert_eq(r.status, 404);
    cr_assert_eq(logged(&r, "review_read", "not_found"), 1, "a miss is logged");
    resp_free(&r);
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[0], JUSTIFIED),
                 200);
    cr_assert_eq(logged(&r, "review_decide", "allowed"), 1, "decision");
    resp_free(&r);
    cr_assert_eq(decide(&r, dpo(), a.r1, a.f[0], JUSTIFIED),
                 409);
    cr_assert_eq(logged(&r, "review_decide", "allowed"), 0, "a refused change is no decision");
    resp_free(&r);
}
