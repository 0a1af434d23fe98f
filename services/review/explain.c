/* The explanation pass: every access of a seal is explained (assignment, own record, intake
 * that day, team, referral + grant, repeat) or not, into the temporary table rv, set-based. */
#include <stdio.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

/* Actions that are an access to one person (searches, duplicate checks and log reads are not). */
#define PERSON_ACCESS_ACTIONS                                                                \
    "'create', 'read', 'update', 'trajectory_read', 'trajectory_write', 'history_read', "    \
    "'assignment_write', 'assignment_read', 'referral_write', 'referral_read', 'disclosure', " \
    "'transfer_out', 'transfer_in', 'export'"

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
/* The (actor, person) pair of rows a and b as hashable equalities: an absent actor (neither
 * user nor partner) is a pair of its own, as it was a partition of its own in the window this
 * replaced. */
#define NO_ACTOR "'00000000-0000-0000-0000-000000000000'::uuid"
#define PAIR_EQ(a, b)                                                                        \
    "(" a ".actor IS NULL) = (" b ".actor IS NULL) AND COALESCE(" a ".actor, " NO_ACTOR      \
    ") = COALESCE(" b ".actor, " NO_ACTOR ") AND " a ".person_id = " b ".person_id"
/* The seal's access rows, narrow: actor, person, time, id. */
#define SEAL_ACCESSES                                                                        \
    "(SELECT COALESCE(l.user_id, l.partner_id) AS actor, l.person_id, l.at, l.id "            \
    "FROM access_log l WHERE " SEAL_RANGE " AND " LOG_IS_ACCESS ")"

/* $1, $2: the seal's transaction range; $3: repeat window in days. Each explanation source is
 * aggregated once per (who, person) — validity as a multirange — and hash-joined to the rows.
 * The persons come from the log again rather than from w, so that w is read once and not
 * materialised. The facts an erasure kept (review_facts, migration 017) stand in for the
 * assignments, referrals and records it deleted; an erased person's requests are found through
 * the tombstone. A partner's access is explained by referral + grant only when every disclosed
 * group was granted at that moment. OFFSET 0 keeps b a subquery of its own, so that its
 * expressions are evaluated once although the final select reads them twice.
 * No window (D56): the first access of a pair is its access row with the lowest (at, id), found
 * by two hash aggregates over narrow columns of the log (fm, fa), not by sorting every wide row
 * by pair; a repeat, which needs the explanations, is set afterwards (repeat_sql), and here only
 * from what earlier seals saw (review_pairs). */
static const char explain_sql[] =
    "CREATE TEMP TABLE rv ON COMMIT DROP AS "
    "WITH w AS (SELECT l.id, l.at, l.controller_id, l.user_id, l.partner_id, "
    "  COALESCE(l.user_id, l.partner_id) AS actor, l.person_id, l.action, l.outcome, l.purpose, "
    "  l.reason, l.request_id, l.txid, "
    "  CASE WHEN l.partner_id IS NOT NULL THEN l.field_groups END AS field_groups FROM access_log l "
    "  WHERE " SEAL_RANGE "), "
    "wp AS MATERIALIZED (SELECT DISTINCT l.person_id FROM access_log l WHERE " SEAL_RANGE " "
    "  AND l.person_id IS NOT NULL), "
    /* the first access of each pair: its earliest time, then the lowest id at that time */
    "fm AS (SELECT l.actor IS NULL AS anon, COALESCE(l.actor, " NO_ACTOR ") AS actor, "
    "  l.person_id, min(l.at) AS at FROM " SEAL_ACCESSES " l GROUP BY 1, 2, 3), "
    "fa AS (SELECT min(l.id) AS id FROM " SEAL_ACCESSES " l JOIN fm "
    "  ON fm.anon = (l.actor IS NULL) AND fm.actor = COALESCE(l.actor, " NO_ACTOR ") "
    "  AND fm.person_id = l.person_id AND fm.at = l.at GROUP BY fm.anon, fm.actor, fm.person_id), "
    "facts AS MATERIALIZED (SELECT f.* FROM review_facts f JOIN wp USING (person_id)), "
    /* per (user, person): assignment validity, first own record, a justified break-glass */
    "up AS (SELECT x.u, x.p, range_agg(x.r) FILTER (WHERE x.r IS NOT NULL) r, min(x.t) t, "
    "  bool_or(x.bg) bg FROM ("
    "    SELECT a.user_id u, a.person_id p, tstzrange(a.started_at, a.ended_at) r, "
    "      NULL::timestamptz t, false bg FROM case_assignments a JOIN wp USING (person_id) "
    "    UNION ALL SELECT created_by, id, NULL, created_at, false FROM persons "
    "      JOIN wp ON wp.person_id = persons.id "
    "    UNION ALL SELECT changed_by, person_id, NULL, changed_at, false "
    "      FROM person_rectifications JOIN wp USING (person_id) "
    "    UNION ALL SELECT created_by, person_id, NULL, created_at, false "
    "      FROM trajectory_entries JOIN wp USING (person_id) "
    "    UNION ALL SELECT actor_id, person_id, CASE WHEN kind = 'assignment' THEN valid END, "
    "      CASE WHEN kind <> 'assignment' THEN lower(valid) END, false FROM facts "
    "      WHERE kind <> 'referral' "
    "    UNION ALL SELECT f.user_id, f.person_id, NULL, NULL, true FROM review_findings f "
    "      WHERE f.rule_id = 'BG-01' AND f.decision = 'justified' AND f.user_id IS NOT NULL "
    "      AND f.person_id IS NOT NULL"
    "  ) x GROUP BY 1, 2), "
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
    "b AS (SELECT w.id, w.at, w.controller_id, w.user_id, w.partner_id, w.actor, w.person_id, "
    "  w.action, w.outcome, w.purpose, w.reason, w.request_id, w.txid, "
    "  u.role, u.team, c.timezone AS tz, (w.at AT TIME ZONE c.timezone) AS local_at, "
    "  (w.person_id IS NOT NULL AND w.outcome = 'allowed' "
    "   AND w.action IN (" PERSON_ACCESS_ACTIONS ")) AS is_access, "
    "  CASE WHEN w.partner_id IS NOT NULL THEN COALESCE(prt.r @> w.at, false) END "
    "    AS referral_granted, "
    "  CASE WHEN w.partner_id IS NOT NULL AND cardinality(gx.granted) > 0 "
    "    AND NOT w.field_groups <@ gx.granted THEN ARRAY(SELECT x FROM unnest(w.field_groups) x "
    "    WHERE x <> ALL (gx.granted) ORDER BY x) END AS excess_groups, "
    "  CASE WHEN w.action = 'create' THEN 'registered' "
    "       WHEN w.action IN ('assignment_write', 'referral_write', 'transfer_in') "
    "         THEN 'documented_action' "
    "       WHEN up.r @> w.at THEN 'assignment' "
    "       WHEN up.t <= w.at THEN 'own_record' "
    "       WHEN intake.person_id IS NOT NULL THEN 'intake_that_day' "
    "       WHEN team.r @> w.at THEN 'team_assignment' "
    "       WHEN prt.r @> w.at AND w.field_groups <@ gx.granted THEN 'referral_grant' "
    "       WHEN req.r @> w.at AND (u.role IN ('dpo', 'coordinator') "
    "         OR w.user_id = ANY (req.handlers)) THEN 'rights_request' "
    "       WHEN up.bg THEN 'break_glass_justified' END AS base "
    "  FROM w JOIN controllers c ON c.id = w.controller_id "
    "  LEFT JOIN staff_users u ON u.id = w.user_id "
    "  LEFT JOIN up ON up.u = w.user_id AND up.p = w.person_id "
    "  LEFT JOIN intake ON intake.team = u.team AND intake.person_id = w.person_id "
    "    AND intake.occurred_on = (w.at AT TIME ZONE c.timezone)::date "
    "  LEFT JOIN team ON team.team = u.team AND team.person_id = w.person_id "
    "  LEFT JOIN prt ON prt.partner_id = w.partner_id AND prt.person_id = w.person_id "
    "    AND prt.purpose = w.purpose "
    "  LEFT JOIN gk ON gk.partner_id = w.partner_id AND gk.controller_id = w.controller_id "
    "    AND gk.purpose = w.purpose "
    "  CROSS JOIN LATERAL (SELECT CASE WHEN w.partner_id IS NOT NULL THEN " GRANTED_AT " END "
    "    AS granted) gx "
    "  LEFT JOIN req ON req.person_id = w.person_id AND req.owning_controller = w.controller_id "
    "  OFFSET 0) "
    "SELECT b.*, (b.is_access AND pr.actor_id IS NULL AND fa.id IS NOT NULL) AS first_access, "
    "  CASE WHEN NOT b.is_access THEN NULL WHEN b.base IS NOT NULL THEN b.base "
    "       WHEN b.excess_groups IS NOT NULL THEN NULL "
    "       WHEN pr.last_explained_at >= b.at - make_interval(days => $3::int) THEN 'repeat' END "
    "  AS explanation "
    "FROM b LEFT JOIN review_pairs pr ON b.is_access AND pr.actor_id = b.actor "
    "  AND pr.person_id = b.person_id "
    "LEFT JOIN fa ON fa.id = b.id";

/* A repeat within this seal: an access the sources leave unexplained, with an explained access
 * of the same pair at most $1 days earlier in (at, id) order. The candidates are few and hashed;
 * the explained rows are read once. */
static const char repeat_sql[] =
    "UPDATE rv SET explanation = 'repeat' FROM (SELECT DISTINCT c.ctid AS t FROM rv c "
    "  JOIN rv e ON " PAIR_EQ("e", "c") " AND e.is_access AND e.base IS NOT NULL "
    "  AND (e.at, e.id) < (c.at, c.id) AND e.at >= c.at - make_interval(days => $1::int) "
    "  WHERE c.is_access AND c.base IS NULL AND c.excess_groups IS NULL "
    "  AND c.explanation IS NULL) x WHERE rv.ctid = x.t";

/* What the review has now seen of each (actor, person) pair. */
static const char pairs_sql[] =
    "INSERT INTO review_pairs (controller_id, actor_id, person_id, first_at, last_at, "
    "  last_explained_at) "
    "SELECT min(controller_id), actor, person_id, min(at), max(at), "
    "  max(at) FILTER (WHERE base IS NOT NULL) FROM rv WHERE is_access AND actor IS NOT NULL "
    "GROUP BY actor, person_id "
    "ON CONFLICT (actor_id, person_id) DO UPDATE SET "
    "  first_at = LEAST(review_pairs.first_at, EXCLUDED.first_at), "
    "  last_at = GREATEST(review_pairs.last_at, EXCLUDED.last_at), "
    "  last_explained_at = GREATEST(review_pairs.last_explained_at, EXCLUDED.last_explained_at)";

static void explain_params(const struct crt_config *cfg, const struct seal_info *seal,
                           char from[24], char to[24], char days[16])
{
    snprintf(from, 24, "%lld", seal->txid_from);
    snprintf(to, 24, "%lld", seal->txid_to);
    snprintf(days, 16, "%d", cfg->repeat_days);
}

/* The one statement of crt-review sent without waiting (crt/db.h's layer waits): logged the
 * same way. */
bool explain_start(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal)
{
    char from[24], to[24], days[16];
    explain_params(cfg, seal, from, to, days);
    const char *p[] = {from, to, days};
    if (PQsendQueryParams(pg, explain_sql, 3, NULL, p, NULL, NULL, 0) == 1)
        return true;
    db_log_failure("crt-review: explanation not sent", pg, NULL);
    return false;
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

bool explain_finish(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal)
{
    char days[16];
    snprintf(days, sizeof days, "%d", cfg->repeat_days);
    const char *p[] = {days};
    bool ok = explain_wait(pg);
    log_debug("explanation statement done seal=%lld ok=%d", seal->id, ok);
    if (!ok || !db_tool_command(pg, "crt-review", "ANALYZE rv", 0, NULL) ||
        !db_tool_command(pg, "crt-review", repeat_sql, 1, p) ||
        !db_tool_command(pg, "crt-review", "CREATE INDEX ON rv (controller_id, actor, at)", 0,
                         NULL) ||
        !db_tool_command(pg, "crt-review", pairs_sql, 0, NULL) || !fold_build(pg))
        return false;
    log_debug("explained seal=%lld", seal->id);
    return true;
}

void explain_abandon(PGconn *pg)
{
    bool done = explain_wait(pg);
    (void)done; /* whatever it did is rolled back */
    db_tool_rollback(pg, "crt-review");
}

bool explain_seal(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal)
{
    return explain_start(pg, cfg, seal) && explain_finish(pg, cfg, seal);
}

/* Per controller and per actor: the counts the DPO reads, summed from rv's fold per actor and
 * kind of row (rvc, fold.c); the searches from its rare rows (rvr). $1 run id. */
#define SUM_OF(cond) "COALESCE(sum(n) FILTER (WHERE " cond "), 0)::bigint"
static const char reviews_sql[] =
    "INSERT INTO reviews (run_id, controller_id, window_from, window_to, log_rows, accesses, "
    "  explained, first_accesses, first_explained, denied, searches, by_explanation) "
    "SELECT $1::bigint, a.controller_id, a.f, a.l, a.n, a.acc, a.expl, a.fa, a.fe, a.den, "
    "  COALESCE(se.n, 0), COALESCE(ej.j, '{}')::jsonb "
    "FROM (SELECT controller_id, min(f) f, max(l) l, sum(n)::bigint n, "
    "  " SUM_OF("is_access") " acc, "
    "  " SUM_OF("is_access AND explanation IS NOT NULL") " expl, "
    "  " SUM_OF("first_access") " fa, "
    "  " SUM_OF("first_access AND explanation IS NOT NULL") " fe, "
    "  " SUM_OF("denied") " den FROM rvc GROUP BY controller_id) a "
    /* searches: distinct requests, made distinct first (a hash, not a sort of every row) */
    "LEFT JOIN (SELECT controller_id, count(*) n FROM (SELECT DISTINCT controller_id, request_id "
    "  FROM rvr WHERE action = 'search') s GROUP BY 1) se USING (controller_id) "
    "LEFT JOIN (SELECT x.controller_id, jsonb_object_agg(x.e, x.n)::text j FROM "
    "  (SELECT controller_id, COALESCE(explanation, 'unexplained') e, sum(n)::bigint n FROM rvc "
    "   WHERE is_access GROUP BY 1, 2) x GROUP BY 1) ej USING (controller_id)";

static const char user_stats_sql[] =
    "INSERT INTO review_user_stats (review_id, controller_id, actor_id, actor_kind, accesses, "
    "  explained, first_accesses, first_explained) "
    "SELECT r.id, rvc.controller_id, rvc.actor, "
    "  CASE WHEN rvc.is_partner THEN 'partner' ELSE 'staff' END, sum(n)::bigint, "
    "  " SUM_OF("explanation IS NOT NULL") ", " SUM_OF("first_access") ", "
    "  " SUM_OF("first_access AND explanation IS NOT NULL") " "
    "FROM rvc JOIN reviews r ON r.run_id = $1::bigint AND r.controller_id = rvc.controller_id "
    "WHERE rvc.is_access AND rvc.actor IS NOT NULL "
    "GROUP BY r.id, rvc.controller_id, rvc.actor, rvc.is_partner";

bool explain_record_stats(PGconn *pg, long long run_id)
{
    char run[24];
    snprintf(run, sizeof run, "%lld", run_id);
    const char *p[] = {run};
    return db_tool_command(pg, "crt-review", reviews_sql, 1, p) &&
           db_tool_command(pg, "crt-review", user_stats_sql, 1, p);
}
