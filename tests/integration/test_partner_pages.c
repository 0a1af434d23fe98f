/* Integration: a partner's paged pull (GET /v1/partner/persons) returns every active referral
 * exactly once while referrals are added and ended between pages, and a page reads about as
 * many referrals as it returns, however many the partner has (keyset on an index, 029). */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "harness_rights.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define PURPOSE "employment_guidance"

/* n new persons of atlas (copies of one of its persons, last name `last`, each changed at its
 * own time), each referred to the partner; written as superuser. */
static void persons_referred(const struct partner *p, const char *last, int n)
{
    /* the copies' model: a person registered at Atlas now (the database may be fresh) */
    char *model = create_person("atlas.intake", "Keyset", "Model", "1990-01-02");
    cr_assert(model, "registering the model person");
    free(model);
    PGconn *c = db_super();
    char count[16];
    snprintf(count, sizeof count, "%d", n);
    const char *q[] = {last, count};
    cr_assert(sql_ok(c,
                     "INSERT INTO persons SELECT (jsonb_populate_record(NULL::persons, "
                     "to_jsonb(s) || jsonb_build_object('id', gen_random_uuid(), 'oki_number', "
                     "'PG' || md5(random()::text), 'last_name', $1::text, 'name_bidx', NULL, "
                     "'national_number_bidx', NULL, 'national_number_sealed', NULL, "
                     "'national_number_key_id', NULL, 'updated_at', clock_timestamp()))).* "
                     "FROM persons s, generate_series(1, $2::int) WHERE s.id = (SELECT id FROM "
                     "persons WHERE controller_id = 3 AND restricted_at IS NULL "
                     "ORDER BY created_at DESC LIMIT 1)",
                     2, q),
              "%s", PQerrorMessage(c));
    cr_assert(sql_ok(c,
                     "INSERT INTO referrals (controller_id, person_id, partner_id, purpose, "
                     "created_by) SELECT controller_id, id, $2::uuid, '" PURPOSE "', created_by "
                     "FROM persons WHERE last_name = $1 ORDER BY updated_at",
                     2, (const char *[]){last, p->id}),
              "%s", PQerrorMessage(c));
    PQfinish(c);
}

/* Runs sql as superuser with the partner id and last name as $1 and $2. */
static void super_exec(const char *sql, const struct partner *p, const char *last)
{
    PGconn *c = db_super();
    const char *q[] = {p->id, last};
    cr_assert(sql_ok(c, sql, 2, q), "%s", PQerrorMessage(c));
    PQfinish(c);
}

/* One page after cursor (NULL: the first); its person ids appended to seen (count in *n);
 * the next cursor (malloc'ed) or NULL at the end. */
static char *page(const char *token, const char *cursor, char (*seen)[37], int *n, int max)
{
    struct resp r;
    char enc[256] = "";
    for (size_t i = 0, o = 0; cursor && cursor[i] && o + 4 < sizeof enc; i++)
        o += (size_t)(cursor[i] == '+' ? snprintf(enc + o, 4, "%%2B")
                                       : snprintf(enc + o, 2, "%c", cursor[i]));
    api_reqf_token(&r, "GET", token, NULL, "/v1/partner/persons?limit=7%s%s",
                   cursor ? "&cursor=" : "", enc);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *items = json_object_get(r.json, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        cr_assert_lt(*n, max);
        const char *id = json_string_value(json_object_get(json_array_get(items, i), "id"));
        cr_assert(id, "%s", r.body);
        snprintf(seen[(*n)++], 37, "%s", id);
    }
    const char *next = json_string_value(json_object_get(r.json, "next_cursor"));
    char *out = next ? strdup(next) : NULL;
    resp_free(&r);
    return out;
}

/* How often the person with id appears in seen. */
static int times_seen(char (*seen)[37], int n, const char *id)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += strcmp(seen[i], id) == 0;
    return k;
}

/* The ids of the partner's persons named last, in the pull's order, with a condition. */
static PGresult *ids(const struct partner *p, const char *last, const char *cond)
{
    PGconn *c = db_super();
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT p.id::text FROM referrals r JOIN persons p ON p.id = r.person_id "
             "WHERE r.partner_id = $1::uuid AND p.last_name = $2 AND %s "
             "ORDER BY p.updated_at, p.id", cond);
    const char *q[] = {p->id, last};
    PGresult *res = PQexecParams(c, sql, 2, NULL, q, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    PQfinish(c);
    return res;
}

Test(partner_pages, every_active_referral_comes_exactly_once_while_referrals_change)
{
    struct partner p;
    char last[64], added[64];
    partner_with_grant(&p, "atlas", "identification,contact", PURPOSE);
    unique_name(last, sizeof last, "Keyset");
    unique_name(added, sizeof added, "Added");
    persons_referred(&p, last, 30);
    char *token = partner_token(&p);
    static char seen[200][37];
    int n = 0;
    char *cur = page(token, NULL, seen, &n, 200);
    cr_assert_eq(n, 7);
    /* Between pages: the last three in the pull's order are ended before being returned; five
     * new referrals of persons changed now (after the cursor) are added. */
    super_exec("UPDATE referrals r SET ended_at = now() FROM (SELECT r2.id FROM referrals r2 JOIN "
               "persons p ON p.id = r2.person_id WHERE r2.partner_id = $1::uuid AND "
               "p.last_name = $2 ORDER BY p.updated_at DESC, p.id DESC LIMIT 3) e WHERE r.id = e.id",
               &p, last);
    persons_referred(&p, added, 5);
    char *second = page(token, cur, seen, &n, 200);
    free(cur);
    cur = second;
    /* An already returned referral ended, and one of the new ones too (not yet returned). */
    super_exec("UPDATE referrals SET ended_at = now() WHERE partner_id = $1::uuid AND person_id = "
               "(SELECT id FROM persons WHERE last_name = $2 ORDER BY updated_at LIMIT 1)", &p, last);
    super_exec("UPDATE referrals SET ended_at = now() WHERE partner_id = $1::uuid AND person_id = "
               "(SELECT id FROM persons WHERE last_name = $2 ORDER BY updated_at DESC LIMIT 1)",
               &p, added);
    for (int pages = 0; cur && pages < 20; pages++) {
        char *next = page(token, cur, seen, &n, 200);
        free(cur);
        cur = next;
    }
    cr_assert_null(cur, "the pull did not end");
    /* Expected: the 27 of the first set never ended before being returned, the 4 new ones
     * still active; never the 3 ended before their turn nor the new one ended. */
    PGresult *kept = ids(&p, last, "NOT (r.ended_at IS NOT NULL AND p.updated_at > "
                                   "(SELECT min(updated_at) FROM persons WHERE last_name = $2))");
    PGresult *fresh = ids(&p, added, "r.ended_at IS NULL");
    PGresult *gone = ids(&p, last, "r.ended_at IS NOT NULL AND p.updated_at > "
                                   "(SELECT min(updated_at) FROM persons WHERE last_name = $2)");
    PGresult *gone_new = ids(&p, added, "r.ended_at IS NOT NULL");
    cr_assert_eq(PQntuples(kept), 27);
    cr_assert_eq(PQntuples(fresh), 4);
    cr_assert_eq(PQntuples(gone), 3);
    cr_assert_eq(PQntuples(gone_new), 1);
    for (int i = 0; i < PQntuples(kept); i++)
        cr_assert_eq(times_seen(seen, n, PQgetvalue(kept, i, 0)), 1, "%s", PQgetvalue(kept, i, 0));
    for (int i = 0; i < PQntuples(fresh); i++)
        cr_assert_eq(times_seen(seen, n, PQgetvalue(fresh, i, 0)), 1, "%s", PQgetvalue(fresh, i, 0));
    for (int i = 0; i < PQntuples(gone); i++)
        cr_assert_eq(times_seen(seen, n, PQgetvalue(gone, i, 0)), 0);
    cr_assert_eq(times_seen(seen, n, PQgetvalue(gone_new, 0, 0)), 0);
    cr_assert_eq(n, 31, "returned %d items", n);
    PQclear(kept);
    PQclear(fresh);
    PQclear(gone);
    PQclear(gone_new);
    free(token);
}

/* Sums "key" over the plan nodes under node whose "Relation Name" is rel (rel NULL: the top
 * node's own value), each times its loops. */
static long plan_sum(json_t *node, const char *rel, const char *key)
{
    if (!rel)
        return (long)json_integer_value(json_object_get(node, key));
    long sum = 0;
    const char *name = json_string_value(json_object_get(node, "Relation Name"));
    if (name && strcmp(name, rel) == 0)
        sum += (long)(json_integer_value(json_object_get(node, key)) *
                      json_integer_value(json_object_get(node, "Actual Loops")));
    json_t *kids = json_object_get(node, "Plans");
    for (size_t i = 0; i < json_array_size(kids); i++)
        sum += plan_sum(json_array_get(kids, i), rel, key);
    return sum;
}

struct page_cost {
    long items, referral_rows, blocks;
};

/* EXPLAIN (ANALYZE, BUFFERS) of a first page of 10 as crt-api runs it (statement partner_page,
 * crt_api in the partner's signed context), rolled back: items returned, rows the plan read
 * from referrals, and shared blocks touched (functions called by the plan included). */
static struct page_cost page_cost(const struct partner *p)
{
    const char *sql = api_statement_sql("partner_page");
    cr_assert(sql);
    PGconn *su = db_super();
    const char *q[] = {p->id};
    long version = sql_long(su, "SELECT secret_version FROM partners WHERE id = $1::uuid", 1, q);
    PQfinish(su);
    char v[24];
    snprintf(v, sizeof v, "%ld", version);
    const char *b[] = {p->id, v};
    PGconn *c = db_api();
    cr_assert(sql_ok(c, "BEGIN", 0, NULL));
    cr_assert_eq(sql_long(c, "SELECT crt_partner_begin($1::uuid, $2::int)::int", 2, b), 1);
    PGresult *r = PQprepare(c, "page", sql, 0, NULL);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    r = PQexec(c, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE page('explain-page', NULL, "
                  "NULL, NULL, '10', NULL)");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    json_t *plan = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    cr_assert(plan);
    json_t *top = json_object_get(json_array_get(plan, 0), "Plan");
    struct page_cost cost = {plan_sum(top, NULL, "Actual Rows"),
                             plan_sum(top, "referrals", "Actual Rows"),
                             plan_sum(top, NULL, "Shared Hit Blocks") +
                                 plan_sum(top, NULL, "Shared Read Blocks")};
    json_decref(plan);
    cr_assert(sql_ok(c, "ROLLBACK", 0, NULL));
    PQfinish(c);
    return cost;
}

Test(partner_pages, a_page_reads_about_as_many_referrals_as_it_returns)
{
    struct partner small, big;
    char a[64], b[64];
    partner_with_grant(&small, "atlas", "identification,contact", PURPOSE);
    partner_with_grant(&big, "atlas", "identification,contact", PURPOSE);
    unique_name(a, sizeof a, "Few");
    unique_name(b, sizeof b, "Many");
    persons_referred(&small, a, 40);
    persons_referred(&big, b, 2000);
    PGconn *su = db_super();
    cr_assert(sql_ok(su, "ANALYZE referrals", 0, NULL));
    PQfinish(su);
    struct page_cost few = page_cost(&small), many = page_cost(&big);
    cr_assert_eq(few.items, 10);
    cr_assert_eq(many.items, 10);
    /* A page of 10 reads about 10 referrals, not the partner's 2,000 ... */
    cr_assert_leq(many.referral_rows, 30, "read %ld referrals", many.referral_rows);
    /* ... and touches about as many blocks with 2,000 referrals as with 40. */
    cr_assert_leq(many.blocks, few.blocks * 3 / 2 + 20, "blocks: %ld with 2,000 referrals, %ld with 40",
                  many.blocks, few.blocks);
}
