/* The explanation pass: every access of a seal is explained (assignment, own record, intake
 * that day, team, referral + grant, repeat) or not, into the temporary table rv, set-based. */
#include <stdio.h>
#include <string.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

/* The field groups a grant of the row's partner, controller and purpose allowed at the row's
 * moment (gk: one multirange per group, the groups a grant may hold — partner_grants' CHECK);
 * '{}' when no grant was in force. */
#define GRANTED_AT                                                                           \
    "array_remove(ARRAY[CASE WHEN gk.gi @> w.at THEN 'identification' END, "                  \
    "  CASE WHEN gk.gc @> w.at THEN 'contact' END, CASE WHEN gk.gt @> w.at THEN 'trajectory' END, " \
    "  CASE WHEN gk.gs @> w.at THEN 'situation' END, "                                       \
    "  CASE WHEN gk.ge @> w.at THEN 'education' END], NULL)"
#define GRANT_RANGE "tstzrange(g.valid_from, LEAST(g.valid_to, COALESCE(g.revoked_at, g.valid_to)))"

/* The rows of the seal in access_log l, and whether one is an access to a person. */
#define SEAL_RANGE "l.txid >= $1::bigint AND l.txid < $2::bigint"
#define LOG_IS_ACCESS                                                                        \
    "(l.person_id IS NOT NULL AND l.outcome = 'allowed' AND l.action IN (" PERSON_ACCESS_ACTIONS \
    "))"
/* $1, $2: the seal's transaction range. Every row of the seal, narrow (D63): the wide columns
 * the rules read of rare rows only are kept where they are read (the purpose and field groups
 * of a partner's row, the request of a search), the rest NULL. Its base explanation here is what
 * most accesses have — registered, a documented action, the user's assignment, the user's own
 * record — from one source aggregated once per (user, person), validity as a multirange, and
 * hash-joined to the rows; explain_rest_sql explains the few rows left. The facts an erasure
 * kept (review_facts, migration 017) stand in for the assignments and records it deleted. No
 * window (D56), no first access here: both are folds of rv afterwards (pairs_fold_sql). */
#define EXPLAIN_SQL(SEALED)                                                                        \
    "CREATE TEMP TABLE rv ON COMMIT DROP AS "                                                      \
    "WITH wp AS MATERIALIZED (SELECT DISTINCT l.person_id FROM access_log l WHERE " SEAL_RANGE " " \
    "  AND l.person_id IS NOT NULL), "                                                             \
    "facts AS MATERIALIZED (SELECT f.* FROM review_facts f" SEALED "), "                           \
    /* per (user, person): assignment validity, first own record */                                \
    "up AS (SELECT x.u, x.p, range_agg(x.r) FILTER (WHERE x.r IS NOT NULL) r, min(x.t) t "         \
    "  FROM ("                                                                                     \
    "    SELECT a.user_id u, a.person_id p, tstzrange(a.started_at, a.ended_at) r, "               \
    "      NULL::timestamptz t FROM case_assignments a" SEALED " "                                 \
    "    UNION ALL SELECT created_by, person_id, NULL, created_at FROM (SELECT id person_id, "     \
    "      created_by, created_at FROM persons) p" SEALED " "                                      \
    "    UNION ALL SELECT changed_by, person_id, NULL, changed_at "                                \
    "      FROM person_rectifications" SEALED " "                                                  \
    "    UNION ALL SELECT created_by, person_id, NULL, created_at "                                \
    "      FROM trajectory_entries" SEALED " "                                                     \
    "    UNION ALL SELECT actor_id, person_id, CASE WHEN kind = 'assignment' THEN valid END, "     \
    "      CASE WHEN kind <> 'assignment' THEN lower(valid) END FROM facts "                       \
    "      WHERE kind <> 'referral' "                                                              \
    "  ) x GROUP BY 1, 2) "                                                                        \
    "SELECT l.id, l.at, l.controller_id, l.user_id, l.partner_id, "                                \
    "  COALESCE(l.user_id, l.partner_id) AS actor, l.person_id, l.action, l.outcome, "             \
    "  CASE WHEN l.partner_id IS NOT NULL THEN l.purpose END AS purpose, l.reason, "               \
    "  CASE WHEN l.action = 'search' THEN l.request_id END AS request_id, l.txid, "                \
    "  CASE WHEN l.partner_id IS NOT NULL THEN l.field_groups END AS field_groups, "               \
    "  u.role, c.timezone AS tz, (l.at AT TIME ZONE c.timezone) AS local_at, "                     \
    "  " LOG_IS_ACCESS " AS is_access, NULL::boolean AS referral_granted, "                        \
    "  NULL::text[] AS excess_groups, b.base, "                                                    \
    "  CASE WHEN " LOG_IS_ACCESS " THEN b.base END AS explanation "                                \
    "FROM access_log l JOIN controllers c ON c.id = l.controller_id "                              \
    "LEFT JOIN staff_users u ON u.id = l.user_id "                                                 \
    "LEFT JOIN up ON up.u = l.user_id AND up.p = l.person_id "                                     \
    "CROSS JOIN LATERAL (SELECT CASE WHEN l.action = 'create' THEN 'registered' "                  \
    "       WHEN l.action IN ('assignment_write', 'referral_write', 'transfer_in') "               \
    "         THEN 'documented_action' "                                                           \
    "       WHEN up.r @> l.at THEN 'assignment' "                                                  \
    "       WHEN up.t <= l.at THEN 'own_record' END AS base) b "                                   \
    "WHERE " SEAL_RANGE

/* Most seals: the sources of the seal's persons only (wp). A seal with at least twice as many
 * rows as there are persons (a first run over a month) has nearly every person in it: finding
 * them is a pass over its rows and a hash of them all (8 s at 9 million rows) that spares
 * nothing, so every person's sources are aggregated (D64, explain_scope_sql). */
static const char explain_sql[] = EXPLAIN_SQL(" JOIN wp USING (person_id)");
static const char explain_all_sql[] = EXPLAIN_SQL("");

/* $1, $2: the seal's range. Whether the seal has at least twice as many rows as persons has
 * (the planner's count): counting stops there, so a month costs a fraction of a pass. */
static const char explain_scope_sql[] =
    "WITH n AS (SELECT 2 * greatest(reltuples, 1)::bigint n FROM pg_class "
    "  WHERE oid = 'persons'::regclass) "
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM access_log l WHERE " SEAL_RANGE " "
    "  LIMIT (SELECT n FROM n)) x) >= (SELECT n FROM n)";

/* The rows explain_sql left without a base explanation, and every partner's row (rvx, by rv's
 * ctid; explain_apply_sql writes it into rv): their base from the other sources, in the same
 * order as before them — intake that day by the user's team, the team's assignment, referral +
 * grant (a partner's access only when every disclosed group was granted at that moment), a
 * rights request, a justified break-glass — whether a partner's row had referral and grant, the
 * groups beyond the grant, and the explanation: the base, else a repeat of what earlier seals
 * saw explained (review_pairs; one within this seal is repeat_sql's). The sources are
 * aggregated for these rows' persons only. $1 repeat window in days. Hash joins only
 * (enable_nestloop off): the planner cannot know how many persons wp holds, and guessing few, it
 * looked each up by index (262,741 of them at 9 million rows). */
static const char explain_rest_sql[] =
    "CREATE TEMP TABLE rvx ON COMMIT DROP AS "
    "WITH w AS MATERIALIZED (SELECT rv.ctid t, rv.id, rv.at, rv.controller_id, rv.user_id, "
    "  rv.partner_id, rv.actor, rv.person_id, rv.purpose, rv.field_groups, rv.role, rv.local_at, "
    "  rv.is_access, rv.base FROM rv WHERE (rv.is_access AND rv.base IS NULL) "
    "  OR rv.partner_id IS NOT NULL), "
    "wp AS MATERIALIZED (SELECT DISTINCT person_id FROM w WHERE person_id IS NOT NULL), "
    "facts AS MATERIALIZED (SELECT f.* FROM review_facts f JOIN wp USING (person_id)), "
    "intake AS (SELECT DISTINCT s.team, t.person_id, t.occurred_on FROM ("
    "    SELECT created_by u, person_id, occurred_on FROM trajectory_entries JOIN wp USING (person_id) "
    "    WHERE kind = 'intake' "
    "    UNION ALL SELECT actor_id, person_id, day FROM facts WHERE kind = 'intake') t "
    "  JOIN staff_users s ON s.id = t.u WHERE s.team IS NOT NULL), "
    "team AS (SELECT s.team, a.person_id, range_agg(a.r) r FROM ("
    "    SELECT user_id u, person_id, tstzrange(started_at, ended_at) r FROM case_assignments "
    "    JOIN wp USING (person_id) "
    "    UNION ALL SELECT actor_id, person_id, valid FROM facts WHERE kind = 'assignment') a "
    "  JOIN staff_users s ON s.id = a.u WHERE s.team IS NOT NULL GROUP BY 1, 2), "
    /* per (partner, person, purpose): when a referral and a grant were both valid */
    "prt AS (SELECT r.partner_id, r.person_id, r.purpose, "
    "  range_agg(r.r * " GRANT_RANGE ") r FROM ("
    "    SELECT partner_id, person_id, purpose, controller_id, tstzrange(created_at, ended_at) r "
    "    FROM referrals JOIN wp USING (person_id) "
    "    UNION ALL SELECT actor_id, person_id, purpose, controller_id, valid FROM facts "
    "    WHERE kind = 'referral') r "
    "  JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id "
    "  AND g.purpose = r.purpose WHERE LEAST(g.valid_to, COALESCE(g.revoked_at, g.valid_to)) "
    "  > g.valid_from GROUP BY 1, 2, 3), "
    /* per (partner, controller, purpose): when each field group was granted */
    "gk AS (SELECT g.partner_id, g.controller_id, g.purpose, "
    "  range_agg(" GRANT_RANGE ") FILTER (WHERE 'identification' = ANY (g.field_groups)) gi, "
    "  range_agg(" GRANT_RANGE ") FILTER (WHERE 'contact' = ANY (g.field_groups)) gc, "
    "  range_agg(" GRANT_RANGE ") FILTER (WHERE 'trajectory' = ANY (g.field_groups)) gt, "
    "  range_agg(" GRANT_RANGE ") FILTER (WHERE 'situation' = ANY (g.field_groups)) gs, "
    "  range_agg(" GRANT_RANGE ") FILTER (WHERE 'education' = ANY (g.field_groups)) ge "
    "  FROM partner_grants g WHERE LEAST(g.valid_to, COALESCE(g.revoked_at, g.valid_to)) "
    "  > g.valid_from GROUP BY 1, 2, 3), "
    "req AS (SELECT q.person_id, q.owning_controller, range_agg(tstzrange(q.created_at, "
    "  COALESCE(q.decided_on + 2, 'infinity'::date)::timestamptz)) r, "
    "  array_agg(DISTINCT q.received_by) || array_agg(DISTINCT q.decided_by) handlers "
    "  FROM (SELECT COALESCE(q.person_id, t.person_id) person_id, q.owning_controller, "
    "    q.created_at, q.decided_on, q.received_by, q.decided_by FROM rights_requests q "
    "    LEFT JOIN person_tombstones t ON t.id = q.tombstone_id) q "
    "  JOIN wp USING (person_id) GROUP BY 1, 2), "
    /* per (user, person): a break-glass use a DPO judged justified */
    "bg AS (SELECT DISTINCT f.user_id, f.person_id FROM review_findings f "
    "  WHERE f.rule_id = 'BG-01' AND f.decision = 'justified' AND f.user_id IS NOT NULL "
    "  AND f.person_id IS NOT NULL), "
    "b AS (SELECT w.t, w.id, w.at, w.actor, w.person_id, w.is_access, "
    "  CASE WHEN w.partner_id IS NOT NULL THEN COALESCE(prt.r @> w.at, false) END "
    "    AS referral_granted, "
    "  CASE WHEN w.partner_id IS NOT NULL AND cardinality(gx.granted) > 0 "
    "    AND NOT w.field_groups <@ gx.granted THEN ARRAY(SELECT x FROM unnest(w.field_groups) x "
    "    WHERE x <> ALL (gx.granted) ORDER BY x) END AS excess_groups, "
    "  COALESCE(w.base, CASE "
    "       WHEN intake.person_id IS NOT NULL THEN 'intake_that_day' "
    "       WHEN team.r @> w.at THEN 'team_assignment' "
    "       WHEN prt.r @> w.at AND w.field_groups <@ gx.granted THEN 'referral_grant' "
    "       WHEN req.r @> w.at AND (w.role IN ('dpo', 'coordinator') "
    "         OR w.user_id = ANY (req.handlers)) THEN 'rights_request' "
    "       WHEN bg.user_id IS NOT NULL THEN 'break_glass_justified' END) AS base, "
    "  pr.last_explained_at "
    "  FROM w LEFT JOIN staff_users u ON u.id = w.user_id "
    "  LEFT JOIN intake ON intake.team = u.team AND intake.person_id = w.person_id "
    "    AND intake.occurred_on = (w.local_at)::date "
    "  LEFT JOIN team ON team.team = u.team AND team.person_id = w.person_id "
    "  LEFT JOIN prt ON prt.partner_id = w.partner_id AND prt.person_id = w.person_id "
    "    AND prt.purpose = w.purpose "
    "  LEFT JOIN gk ON gk.partner_id = w.partner_id AND gk.controller_id = w.controller_id "
    "    AND gk.purpose = w.purpose "
    "  CROSS JOIN LATERAL (SELECT CASE WHEN w.partner_id IS NOT NULL THEN " GRANTED_AT " END "
    "    AS granted) gx "
    "  LEFT JOIN req ON req.person_id = w.person_id AND req.owning_controller = w.controller_id "
    "  LEFT JOIN bg ON bg.user_id = w.user_id AND bg.person_id = w.person_id "
    "  LEFT JOIN review_pairs pr ON w.is_access AND pr.actor_id = w.actor "
    "    AND pr.person_id = w.person_id "
    "  OFFSET 0) "
    "SELECT b.t, b.id, b.at, b.actor, b.person_id, b.is_access, b.base, b.referral_granted, "
    "  b.excess_groups, "
    "  CASE WHEN NOT b.is_access THEN NULL WHEN b.base IS NOT NULL THEN b.base "
    "       WHEN b.excess_groups IS NOT NULL THEN NULL "
    "       WHEN b.last_explained_at >= b.at - make_interval(days => $1::int) THEN 'repeat' END "
    "  AS explanation FROM b";

/* A few hundred thousand rows of nine million, each found by its ctid: a nested loop over rvx
 * with a TID scan of rv (hash and merge joins off), not a hash (5 s) or a sort (5–20 s) of
 * every ctid of rv. */
static const char explain_apply_sql[] =
    "UPDATE rv SET base = x.base, referral_granted = x.referral_granted, "
    "  excess_groups = x.excess_groups, explanation = x.explanation FROM rvx x "
    "WHERE rv.ctid = x.t";

/* A repeat within this seal: an access the sources leave unexplained, with an explained access
 * of the same pair at most $1 days earlier in (at, id) order — marked in rvx before rvx is
 * written into rv. The candidates are few (rvx holds every access without a base) and hashed;
 * the explained rows are read once: rv's, whose base the first step gave, and rvx's. Merge
 * joins off: with them the planner sometimes sorted every explained row instead (7.7 million
 * at 9.2 million rows: 20 s instead of 2–5 s, seen with auto_explain). */
static const char repeat_sql[] =
    "UPDATE rvx SET explanation = 'repeat' FROM (SELECT DISTINCT c.id FROM rvx c "
    "  JOIN (SELECT rv.actor, rv.person_id, rv.at, rv.id FROM rv "
    "    WHERE rv.is_access AND rv.base IS NOT NULL "
    "    UNION ALL SELECT actor, person_id, at, id FROM rvx WHERE is_access AND base IS NOT NULL) e "
    "  ON " PAIR_EQ("e", "c") " "
    "  AND (e.at, e.id) < (c.at, c.id) AND e.at >= c.at - make_interval(days => $1::int) "
    "  WHERE c.is_access AND c.base IS NULL AND c.excess_groups IS NULL "
    "  AND c.explanation IS NULL) x WHERE rvx.id = x.id";

/* The first accesses — of each pair no earlier seal saw (review_pairs, before this run adds to
 * it) — with what the counts read of them (explain_record_stats). */
static const char first_sql[] =
    "CREATE TEMP TABLE rvfa ON COMMIT DROP AS "
    "SELECT p.first_ctl AS controller_id, p.actor, p.first_partner AS is_partner, "
    "  p.first_explained AS explained FROM rvp p "
    "WHERE NOT EXISTS (SELECT 1 FROM review_pairs pr WHERE pr.actor_id = p.actor "
    "  AND pr.person_id = p.person_id)";

/* What the review has now seen of each (actor, person) pair. In the primary key's order: a
 * month's 1.1 million pairs then fill the key's pages one after another instead of touching
 * them at random (4.9 s instead of 7.7–8.9 s, no full-page images in the WAL; D67). */
static const char pairs_sql[] =
    "INSERT INTO review_pairs (controller_id, actor_id, person_id, first_at, last_at, "
    "  last_explained_at) "
    "SELECT controller_id, actor, person_id, first_at, last_at, last_explained_at FROM rvp "
    "WHERE actor IS NOT NULL ORDER BY actor, person_id "
    "ON CONFLICT (actor_id, person_id) DO UPDATE SET "
    "  first_at = LEAST(review_pairs.first_at, EXCLUDED.first_at), "
    "  last_at = GREATEST(review_pairs.last_at, EXCLUDED.last_at), "
    "  last_explained_at = GREATEST(review_pairs.last_explained_at, EXCLUDED.last_explained_at)";

/* Which explanation statement the seal gets (explain_scope_sql); false when the query failed. */
static bool explain_all_persons(PGconn *pg, const char *const p[2], bool *all)
{
    char v[8];
    bool found = false;
    if (!db_tool_value(pg, "crt-review", explain_scope_sql, 2, p, v, sizeof v, &found) || !found)
        return false;
    *all = strcmp(v, "t") == 0;
    log_debug("explanation sources: %s", *all ? "every person's" : "the seal's persons'");
    return true;
}

/* The one statement of crt-review sent without waiting (crt/db.h's layer waits): logged the
 * same way. scope: EXPLAIN_SCOPE_AUTO lets the seal's size choose. */
bool explain_start_scoped(PGconn *pg, const struct seal_info *seal, enum explain_scope scope)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%lld", seal->txid_from);
    snprintf(to, sizeof to, "%lld", seal->txid_to);
    const char *p[] = {from, to};
    bool all = scope == EXPLAIN_SCOPE_ALL;
    if (scope == EXPLAIN_SCOPE_AUTO && !explain_all_persons(pg, p, &all))
        return false;
    if (PQsendQueryParams(pg, all ? explain_all_sql : explain_sql, 2, NULL, p, NULL, NULL, 0) == 1)
        return true;
    db_log_failure("crt-review: explanation not sent", pg, NULL);
    return false;
}

bool explain_start(PGconn *pg, const struct seal_info *seal)
{
    return explain_start_scoped(pg, seal, EXPLAIN_SCOPE_AUTO);
}

/* The result of the statement explain_start sent; every result is read, failed or not. */
static bool explain_wait(PGconn *pg)
{
    bool ok = true, any = false;
    PGresult *r;
    while ((r = PQgetResult(pg)) != NULL) {
        any = true;
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            db_log_failure("crt-review", pg, r);
            ok = false;
        }
        PQclear(r);
    }
    return ok && any;
}

/* The steps after the explanation statement, in order, each with $1 = the repeat window when
 * it takes one; a step with a label logs it when done (the benchmark's phases). The settings
 * are the transaction's (SET LOCAL), each undone by a later step. */
struct explain_step {
    const char *sql;
    int nparams;
    const char *done;
};
static const struct explain_step explain_steps[] = {
    {"ANALYZE rv", 0, NULL},
    {"SET LOCAL enable_nestloop = off", 0, NULL},
    {explain_rest_sql, 1, NULL},
    {"SET LOCAL enable_nestloop = on", 0, NULL},
    {"ANALYZE rvx", 0, "rest explained"},
    {"SET LOCAL enable_mergejoin = off", 0, NULL},
    {repeat_sql, 1, NULL},
    {"SET LOCAL enable_hashjoin = off", 0, NULL},
    {explain_apply_sql, 0, NULL},
    {"SET LOCAL enable_mergejoin = on", 0, NULL},
    {"SET LOCAL enable_hashjoin = on", 0, "repeats, written into rv"},
};
/* After the pairs of the seal's accesses (rowfold_write_pairs, D68). */
static const struct explain_step pair_steps[] = {
    {first_sql, 0, "first accesses"},
    {pairs_sql, 0, "pairs and first accesses"},
};

static bool run_steps(PGconn *pg, const struct explain_step *steps, size_t n, const char *days,
                      const struct seal_info *seal)
{
    const char *p[] = {days};
    for (size_t i = 0; i < n; i++) {
        if (!db_tool_command(pg, "crt-review", steps[i].sql, steps[i].nparams, p))
            return false;
        if (steps[i].done)
            log_debug("%s seal=%lld", steps[i].done, seal->id);
    }
    return true;
}

bool explain_finish(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal,
                    struct rowfold *fold)
{
    char days[16];
    snprintf(days, sizeof days, "%d", cfg->repeat_days);
    struct rowfold *own = fold ? NULL : rowfold_new();
    bool ok = explain_wait(pg);
    log_debug("explanation statement done seal=%lld ok=%d folded_from_the_seal=%d", seal->id, ok,
              fold && rowfold_fed(fold));
    ok = ok && (fold || own) &&
         run_steps(pg, explain_steps, sizeof explain_steps / sizeof explain_steps[0], days,
                   seal) &&
         fold_build(pg, fold ? fold : own, seal) && rowfold_write_pairs(fold ? fold : own, pg) &&
         run_steps(pg, pair_steps, sizeof pair_steps / sizeof pair_steps[0], days, seal);
    rowfold_free(own);
    if (ok)
        log_debug("explained seal=%lld", seal->id);
    return ok;
}

void explain_abandon(PGconn *pg)
{
    bool done = explain_wait(pg);
    (void)done; /* whatever it did is rolled back */
    db_tool_rollback(pg, "crt-review");
}

bool explain_seal(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal)
{
    return explain_start(pg, seal) && explain_finish(pg, cfg, seal, NULL);
}

/* Per controller and per actor: the counts the DPO reads, summed from rv's fold per actor and
 * kind of row (rvc, fold.c), the first accesses (rvfa) and the searches from rv's rare rows
 * (rvr). $1 run id. */
#define SUM_OF(cond) "COALESCE(sum(n) FILTER (WHERE " cond "), 0)::bigint"
#define FIRST_COUNTS(by)                                                                      \
    "(SELECT " by ", count(*) fa, count(*) FILTER (WHERE explained) fe "                      \
    "FROM rvfa GROUP BY " by ")"
static const char reviews_sql[] =
    "INSERT INTO reviews (run_id, controller_id, window_from, window_to, log_rows, accesses, "
    "  explained, first_accesses, first_explained, denied, searches, by_explanation) "
    "SELECT $1::bigint, a.controller_id, a.f, a.l, a.n, a.acc, a.expl, COALESCE(fa.fa, 0), "
    "  COALESCE(fa.fe, 0), a.den, COALESCE(se.n, 0), COALESCE(ej.j, '{}')::jsonb "
    "FROM (SELECT controller_id, min(f) f, max(l) l, sum(n)::bigint n, "
    "  " SUM_OF("is_access") " acc, "
    "  " SUM_OF("is_access AND explanation IS NOT NULL") " expl, "
    "  " SUM_OF("denied") " den FROM rvc GROUP BY controller_id) a "
    "LEFT JOIN " FIRST_COUNTS("controller_id") " fa USING (controller_id) "
    /* searches: distinct requests, made distinct first (a hash, not a sort of every row) */
    "LEFT JOIN (SELECT controller_id, count(*) n FROM (SELECT DISTINCT controller_id, request_id "
    "  FROM rvr WHERE action = 'search') s GROUP BY 1) se USING (controller_id) "
    "LEFT JOIN (SELECT x.controller_id, jsonb_object_agg(x.e, x.n)::text j FROM "
    "  (SELECT controller_id, COALESCE(explanation, 'unexplained') e, sum(n)::bigint n FROM rvc "
    "   WHERE is_access GROUP BY 1, 2) x GROUP BY 1) ej USING (controller_id)";

static const char user_stats_sql[] =
    "INSERT INTO review_user_stats (review_id, controller_id, actor_id, actor_kind, accesses, "
    "  explained, first_accesses, first_explained) "
    "SELECT r.id, a.controller_id, a.actor, CASE WHEN a.is_partner THEN 'partner' ELSE 'staff' END, "
    "  a.acc, a.expl, COALESCE(fa.fa, 0), COALESCE(fa.fe, 0) "
    "FROM (SELECT controller_id, actor, is_partner, sum(n)::bigint acc, "
    "  " SUM_OF("explanation IS NOT NULL") " expl FROM rvc "
    "  WHERE is_access AND actor IS NOT NULL GROUP BY 1, 2, 3) a "
    "JOIN reviews r ON r.run_id = $1::bigint AND r.controller_id = a.controller_id "
    "LEFT JOIN " FIRST_COUNTS("controller_id, actor, is_partner") " fa "
    "  ON fa.controller_id = a.controller_id AND fa.actor = a.actor "
    "  AND fa.is_partner = a.is_partner";

bool explain_record_stats(PGconn *pg, long long run_id)
{
    char run[24];
    snprintf(run, sizeof run, "%lld", run_id);
    const char *p[] = {run};
    return db_tool_command(pg, "crt-review", reviews_sql, 1, p) &&
           db_tool_command(pg, "crt-review", user_stats_sql, 1, p);
}
