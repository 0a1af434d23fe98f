/* The review rules: each a stable id, a severity and one set-based query over rv (and the log's
 * history) whose rows become findings, deduplicated across runs by rule, subject and pattern. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

/* Every rule query yields: controller_id, user_id, partner_id, person_id, bucket (the pattern's
 * period: a day, an hour; '-' when the pattern is the person), first_at, last_at, summary,
 * evidence (jsonb). The dedup key is rule, subject, and bucket (or person when bucket is '-').
 * Parameters: $1 run id, then the thresholds in the order of rule_params().
 * The rules read rv's folds (fold.c, D60) rather than rv where they can: rvd and rvu, the rows
 * per user, day and person and per user and day; rvr AS rv, the rare rows — each rule
 * selecting there only rows rvr holds. */
#define ACCESS "rv.is_access"
#define LOG_IDS(col) "to_jsonb((array_agg(" col " ORDER BY rv.at, rv.id))[1:50])"
#define DAY "(rv.local_at)::date"
/* The person of a day- or hour-grouped finding when exactly one is involved (not in its key). */
#define ONE_PERSON                                                                            \
    "CASE WHEN count(DISTINCT rv.person_id) = 1 THEN (array_agg(rv.person_id) FILTER (WHERE " \
    "rv.person_id IS NOT NULL))[1] END"
/* The start of local day d in time zone tz (the controller's, controllers.timezone). */
#define TZ_DAY_START(d, tz) "((" d ")::timestamp AT TIME ZONE " tz ")"
/* A referral of the row's person to its partner, kept by an erasure (review_facts, 017). */
#define KEPT_REFERRAL(cond)                                                                  \
    "EXISTS (SELECT 1 FROM review_facts f WHERE f.kind = 'referral' AND f.actor_id = "       \
    "rv.partner_id AND f.person_id = rv.person_id AND " cond ")"

/* Row l of the log is one of this seal's: its transaction lies between the lowest and the
 * highest of the seal's rows ($18, $19: rvc), and the seal holds every row of its range. */
#define SEAL_TXIDS(l) l ".txid >= $18::bigint AND " l ".txid <= $19::bigint"

static const char bg01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, rv.person_id, rv.id::text, rv.at, rv.at, "
    "format('used break-glass at %s (the reason given is in the evidence)', "
    "  to_char(rv.local_at, 'YYYY-MM-DD HH24:MI')), "
    "jsonb_build_object('log_ids', jsonb_build_array(rv.id), 'reason', rv.reason) "
    "FROM rvr rv WHERE rv.action = 'break_glass' AND rv.outcome = 'allowed' "
    "AND rv.user_id IS NOT NULL";

static const char bg02[] =
    "SELECT w.controller_id, w.user_id, NULL::uuid, NULL::uuid, "
    "to_char(date_bin(make_interval(days => $3::int), w.last_at, '2000-01-01'), 'YYYY-MM-DD'), "
    "min(l.at), max(l.at), format('used break-glass %s times on %s persons within %s days', "
    "  count(*), count(DISTINCT l.person_id), $3::int), "
    "jsonb_build_object('log_ids', to_jsonb((array_agg(l.id ORDER BY l.at))[1:50]), 'count', count(*), "
    "  'threshold', $2::int, 'days', $3::int) "
    "FROM (SELECT controller_id, user_id, max(at) last_at FROM rvr WHERE action = 'break_glass' "
    "      AND outcome = 'allowed' AND user_id IS NOT NULL GROUP BY 1, 2) w "
    "JOIN access_log l ON l.controller_id = w.controller_id AND l.user_id = w.user_id "
    "  AND l.action = 'break_glass' AND l.outcome = 'allowed' "
    "  AND l.at > w.last_at - make_interval(days => $3::int) AND l.at <= w.last_at "
    "GROUP BY w.controller_id, w.user_id, w.last_at HAVING count(*) >= $2::int";

static const char dn01[] =
    "SELECT rv.controller_id, rv.user_id, rv.partner_id, " ONE_PERSON ", " DAY "::text, min(rv.at), "
    "max(rv.at), format('%s denied attempt(s) on %s (%s)', count(*), " DAY ", "
    "  string_agg(DISTINCT COALESCE(rv.reason, rv.action), ', ')), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'count', count(*), "
    "  'persons', count(DISTINCT rv.person_id)) "
    "FROM rvr rv WHERE rv.outcome = 'denied' AND rv.actor IS NOT NULL "
    "GROUP BY rv.controller_id, rv.user_id, rv.partner_id, " DAY;

static const char dn02[] =
    "SELECT rv.controller_id, rv.user_id, rv.partner_id, " ONE_PERSON ", " DAY "::text, min(rv.at), "
    "max(rv.at), format('%s denied attempts within %s minutes on %s', max(rv.n), $5::int, " DAY "), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'burst', max(rv.n), "
    "  'threshold', $4::int, 'minutes', $5::int) "
    "FROM (SELECT rv.*, count(*) OVER (PARTITION BY rv.actor ORDER BY rv.at RANGE BETWEEN "
    "      make_interval(mins => $5::int) PRECEDING AND CURRENT ROW) n "
    "      FROM rvr rv WHERE rv.outcome = 'denied' AND rv.actor IS NOT NULL) rv "
    "GROUP BY rv.controller_id, rv.user_id, rv.partner_id, " DAY " HAVING max(rv.n) >= $4::int";

/* Volume: a day of the user with at least VOLUME_MIN distinct persons and more than FACTOR
 * times the user's own median active day of the previous 30 days (0 without one) is compared
 * with the others: the other users of the same role in the controller that day (the user left
 * out) when there are at least VOLUME_PEERS of them, else — two coordinators, the only one
 * working on a Sunday — every other user of the controller over the previous 30 days. It is a
 * finding above their median + K * MAD (a MAD of 0 counts as 1). The peer and controller
 * statistics are taken for the candidate days only. This run's days come from rvu (fold.c), the
 * persons per user and day from review_user_days (days.c, D65). */
static const char vo01[] =
    /* per user and day of this run (rvu): its accesses; rvu's role is the user's, staff_users' */
    "WITH days AS (SELECT controller_id, user_id, role, d, acc_f f, acc_l l, unexpl FROM rvu "
    "  WHERE acc_f IS NOT NULL), "
    "span AS (SELECT min(d) - 30 lo, max(d) + 1 hi FROM days), "
    /* distinct persons per user and day, as days.c kept them (this run's days counted before
     * the rules, review_user_days); span's one row is read as values, not joined: a join would
     * need a nested loop, which this rule turns off. */
    "daily AS (SELECT t.controller_id, t.user_id, u.role, t.d, t.persons::bigint n "
    "  FROM review_user_days t JOIN staff_users u ON u.id = t.user_id "
    "  WHERE t.controller_id IN (SELECT controller_id FROM days) "
    "  AND t.d >= (SELECT lo FROM span) AND t.d < (SELECT hi FROM span)), "
    /* the own median only of the days that can be candidates (at least VOLUME_MIN persons) */
    "own AS (SELECT dy.user_id, dy.d, percentile_cont(0.5) WITHIN GROUP (ORDER BY h.n) own "
    "  FROM days dy JOIN daily cur ON cur.user_id = dy.user_id AND cur.d = dy.d "
    "  AND cur.n >= $6::int "
    "  JOIN daily h ON h.user_id = dy.user_id AND h.d >= dy.d - 30 AND h.d < dy.d "
    "  GROUP BY 1, 2), "
    "cand AS (SELECT dy.*, cur.n, COALESCE(o.own, 0) own FROM days dy "
    "  JOIN daily cur ON cur.user_id = dy.user_id AND cur.d = dy.d "
    "  LEFT JOIN own o ON o.user_id = dy.user_id AND o.d = dy.d "
    "  WHERE cur.n >= $6::int AND cur.n > $7::int * COALESCE(o.own, 0)), "
    /* the other users of the role that day, and the controller's other users' last 30 days */
    "peer AS (SELECT c.user_id, c.d, 'p' k, p.n FROM cand c JOIN daily p "
    "    ON p.controller_id = c.controller_id AND p.role = c.role AND p.d = c.d "
    "    AND p.user_id <> c.user_id "
    "  UNION ALL SELECT c.user_id, c.d, 'c', h.n FROM cand c JOIN daily h "
    "    ON h.controller_id = c.controller_id AND h.user_id <> c.user_id "
    "    AND h.d >= c.d - 30 AND h.d < c.d), "
    "med AS (SELECT user_id, d, k, count(*) cnt, percentile_cont(0.5) WITHIN GROUP (ORDER BY n) med "
    "  FROM peer GROUP BY 1, 2, 3), "
    "mad AS (SELECT m.user_id, m.d, m.k, m.cnt, m.med, percentile_cont(0.5) WITHIN GROUP "
    "  (ORDER BY abs(p.n - m.med)) mad FROM med m JOIN peer p USING (user_id, d, k) "
    "  GROUP BY 1, 2, 3, 4, 5), "
    "base AS (SELECT c.*, COALESCE(p.cnt, 0) peers, (COALESCE(p.cnt, 0) >= $16::int) by_peers, "
    "  CASE WHEN COALESCE(p.cnt, 0) >= $16::int THEN p.med ELSE COALESCE(w.med, 0) END med, "
    "  CASE WHEN COALESCE(p.cnt, 0) >= $16::int THEN p.mad ELSE COALESCE(w.mad, 0) END mad, "
    "  COALESCE(w.cnt, 0) ctl_days "
    "  FROM cand c LEFT JOIN mad p ON p.user_id = c.user_id AND p.d = c.d AND p.k = 'p' "
    "  LEFT JOIN mad w ON w.user_id = c.user_id AND w.d = c.d AND w.k = 'c') "
    "SELECT b.controller_id, b.user_id, NULL::uuid, NULL::uuid, b.d::text, b.f, b.l, "
    "format('opened %s distinct persons on %s, %s unexplained (own median day %s; %s: median %s, "
    "MAD %s)', b.n, b.d, b.unexpl, round(b.own::numeric, 1), CASE WHEN b.by_peers THEN "
    "  b.peers || ' peers that day' ELSE 'only ' || b.peers || ' peers that day, the controller''s "
    "  other users over 30 days' END, round(b.med::numeric, 1), round(b.mad::numeric, 1)), "
    "jsonb_build_object('persons', b.n, 'unexplained', b.unexpl, 'own_median', b.own, "
    "  'baseline', CASE WHEN b.by_peers THEN 'peers' ELSE 'controller' END, 'peers', b.peers, "
    "  'controller_user_days', b.ctl_days, 'median', b.med, 'mad', b.mad, 'statistic', "
    "  'n >= min AND n > factor * own 30-day median AND n > median + k * max(MAD, 1) of the peers "
    "  that day without the user (at least min_peers), else of the controller''s other users over "
    "  the previous 30 days', 'min', $6::int, 'factor', $7::int, 'k', $8::int, "
    "  'min_peers', $16::int) "
    "FROM base b WHERE b.n > b.med + $8::int * GREATEST(b.mad, 1)";

static const char oh01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, " ONE_PERSON ", " DAY "::text, min(rv.at), "
    "max(rv.at), format('opened %s persons between %s and %s %s, %s unexplained', "
    "  count(DISTINCT rv.person_id), to_char(min(rv.local_at), 'HH24:MI'), "
    "  to_char(max(rv.local_at), 'HH24:MI'), CASE WHEN bool_or(h.day IS NOT NULL) THEN "
    "  'on a holiday (' || min(h.name) || ')' WHEN NOT bool_or(extract(isodow FROM rv.local_at)::smallint "
    "  = ANY (c.work_days)) THEN 'on a ' || to_char(min(rv.local_at), 'FMDay') ELSE 'outside "
    "  working hours on ' || " DAY " END, count(DISTINCT rv.person_id) FILTER (WHERE "
    "  rv.explanation IS NULL)), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'accesses', count(*), 'unexplained', "
    "  count(*) FILTER (WHERE rv.explanation IS NULL), 'work_start', min(c.work_start), "
    "  'work_end', min(c.work_end)) "
    "FROM rvr rv JOIN controllers c ON c.id = rv.controller_id "
    "LEFT JOIN controller_holidays h ON h.controller_id = rv.controller_id AND h.day = " DAY " "
    "WHERE " ACCESS " AND rv.user_id IS NOT NULL AND (h.day IS NOT NULL "
    "  OR NOT (extract(isodow FROM rv.local_at)::smallint = ANY (c.work_days)) "
    "  OR rv.local_at::time < c.work_start OR rv.local_at::time >= c.work_end) "
    "GROUP BY rv.controller_id, rv.user_id, " DAY " "
    "HAVING count(*) FILTER (WHERE rv.explanation IS NULL) >= $10::int";

static const char nb01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, rv.person_id, '-', min(rv.at), max(rv.at), "
    "format('opened %s time(s) a person who shares the user''s %s', count(*), "
    "  CASE WHEN bool_or(m.nm) AND bool_or(m.ad) THEN 'family name and home address' "
    "       WHEN bool_or(m.nm) THEN 'family name' ELSE 'home address' END), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'same_family_name', bool_or(m.nm), "
    "  'same_address', bool_or(m.ad), 'explained', count(*) FILTER (WHERE rv.explanation IS NOT NULL)) "
    "FROM rvr rv JOIN staff_users u ON u.id = rv.user_id "
    /* only persons who share a family name or postcode with some staff member can match */
    "JOIN (SELECT p.* FROM persons p WHERE lower(p.last_name) IN (SELECT lower(s.family_name) "
    "  FROM staff_users s WHERE s.family_name IS NOT NULL) OR p.address_postcode IN (SELECT "
    "  s.home_postcode FROM staff_users s WHERE s.home_postcode IS NOT NULL)) p "
    "  ON p.id = rv.person_id "
    "CROSS JOIN LATERAL (SELECT u.family_name IS NOT NULL AND lower(p.last_name) = lower(u.family_name) nm, "
    "  u.home_postcode IS NOT NULL AND p.address_postcode = u.home_postcode "
    "  AND lower(p.address_street) = lower(u.home_street) "
    "  AND lower(COALESCE(p.address_number, '')) = lower(COALESCE(u.home_number, '')) ad) m "
    "WHERE " ACCESS " AND (m.nm OR m.ad) GROUP BY rv.controller_id, rv.user_id, rv.person_id";

/* Ended assignments are folded per (user, person) once and hash-joined: repeats are common,
 * and a per-row lookup would scan the assignments for each of them. */
static const char ac01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, rv.person_id, '-', min(rv.at), max(rv.at), "
    "format('opened a person %s time(s) after the assignment ended on %s', count(*), "
    "  to_char(min(a.first_end) AT TIME ZONE min(rv.tz), 'YYYY-MM-DD')), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'assignment_ended', min(a.first_end)) "
    "FROM rv JOIN (SELECT x.user_id, x.person_id, min(x.ended_at) first_end FROM ("
    "    SELECT user_id, person_id, ended_at FROM case_assignments WHERE ended_at IS NOT NULL "
    "    UNION ALL SELECT actor_id, person_id, upper(valid) FROM review_facts "
    "    WHERE kind = 'assignment' AND NOT upper_inf(valid)) x GROUP BY 1, 2) a "
    "  ON a.user_id = rv.user_id AND a.person_id = rv.person_id AND a.first_end <= rv.at "
    "WHERE " ACCESS " AND rv.user_id IS NOT NULL AND (rv.explanation IS NULL "
    "  OR rv.explanation = 'repeat') "
    "GROUP BY rv.controller_id, rv.user_id, rv.person_id";

static const char ac02[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, " ONE_PERSON ", " DAY "::text, min(rv.at), "
    "max(rv.at), format('%s access(es) on %s by an account disabled since %s', count(*), " DAY ", "
    "  to_char(min(u.disabled_at) AT TIME ZONE min(rv.tz), 'YYYY-MM-DD HH24:MI')), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'disabled_at', min(u.disabled_at)) "
    "FROM rvr rv JOIN staff_users u ON u.id = rv.user_id "
    "WHERE u.disabled_at IS NOT NULL AND rv.at >= u.disabled_at "
    "GROUP BY rv.controller_id, rv.user_id, " DAY;

/* Dormant: an access after >= N days without any (before the window: from the log). Gaps
 * longer than a day lie between active days, so the rows are folded per user and day (rvu); the
 * first row of a finding's day, the lowest id at the day's first time, is looked up in the log
 * for the findings only: its index on (controller, user, time), this seal's transactions. */
static const char ac03[] =
    "WITH days AS (SELECT controller_id, user_id, tz, f, l FROM rvu), "
    "acts AS (SELECT d.*, lag(d.l) OVER (PARTITION BY d.user_id ORDER BY d.f) prev, "
    "  row_number() OVER (PARTITION BY d.user_id ORDER BY d.f) rn FROM days d), "
    "gaps AS (SELECT a.controller_id, a.user_id, a.tz, a.f at, "
    "  CASE WHEN a.rn = 1 THEN "
    "  (SELECT max(l.at) FROM access_log l WHERE l.controller_id = a.controller_id "
    "   AND l.user_id = a.user_id AND l.at < a.f) ELSE a.prev END prev FROM acts a "
    "  WHERE a.rn = 1 OR a.f - a.prev >= make_interval(days => $9::int)) "
    "SELECT g.controller_id, g.user_id, NULL::uuid, NULL::uuid, "
    "  to_char(g.at AT TIME ZONE g.tz, 'YYYY-MM-DD'), g.at, g.at, "
    "format('account used on %s after %s days without any access%s', "
    "  to_char(g.at AT TIME ZONE g.tz, 'YYYY-MM-DD HH24:MI'), "
    "  extract(day FROM g.at - COALESCE(g.prev, u.created_at))::int, "
    "  CASE WHEN g.prev IS NULL THEN ' (first use since the account was created)' ELSE '' END), "
    "jsonb_build_object('log_ids', jsonb_build_array((SELECT min(l.id) FROM access_log l "
    "  WHERE l.controller_id = g.controller_id AND l.user_id = g.user_id AND l.at = g.at "
    "  AND " SEAL_TXIDS("l") ")), 'previous_access', g.prev, "
    "  'account_created', u.created_at, 'days', $9::int) "
    "FROM gaps g JOIN staff_users u ON u.id = g.user_id "
    "WHERE g.at - COALESCE(g.prev, u.created_at) >= make_interval(days => $9::int)";

static const char pa01[] =
    "SELECT rv.controller_id, NULL::uuid, rv.partner_id, rv.person_id, '-', min(rv.at), "
    "max(rv.at), format('partner received a person %s time(s) that was never referred to it', "
    "  count(*)), jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'purposes', "
    "  to_jsonb(array_agg(DISTINCT rv.purpose))) "
    "FROM rvr rv WHERE rv.partner_id IS NOT NULL AND " ACCESS " AND NOT EXISTS (SELECT 1 FROM "
    "  referrals r WHERE r.partner_id = rv.partner_id AND r.person_id = rv.person_id "
    "  AND r.created_at <= rv.at) AND NOT " KEPT_REFERRAL("lower(f.valid) <= rv.at") " "
    "GROUP BY rv.controller_id, rv.partner_id, rv.person_id";

static const char pa02[] =
    "SELECT rv.controller_id, NULL::uuid, rv.partner_id, rv.person_id, '-', min(rv.at), "
    "max(rv.at), format('partner received a person %s time(s) %s', count(*), "
    "  CASE WHEN bool_or(NOT x.referred) THEN 'after its referral ended or for another purpose' "
    "       WHEN bool_or(NOT x.granted) THEN 'without a grant for purpose ' || min(rv.purpose) "
    "       ELSE 'outside the validity of its grant' END), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'purposes', "
    "  to_jsonb(array_agg(DISTINCT rv.purpose))) "
    "FROM rvr rv CROSS JOIN LATERAL (SELECT "
    "  (EXISTS (SELECT 1 FROM referrals r WHERE r.partner_id = rv.partner_id "
    "    AND r.person_id = rv.person_id AND r.purpose = rv.purpose AND r.created_at <= rv.at "
    "    AND (r.ended_at IS NULL OR rv.at < r.ended_at)) "
    "   OR " KEPT_REFERRAL("f.purpose = rv.purpose AND f.valid @> rv.at") ") referred, "
    "  EXISTS (SELECT 1 FROM partner_grants g WHERE g.partner_id = rv.partner_id "
    "    AND g.controller_id = rv.controller_id AND g.purpose = rv.purpose) granted) x "
    "WHERE rv.partner_id IS NOT NULL AND " ACCESS " AND rv.base IS NULL "
    "AND NOT rv.referral_granted AND (EXISTS (SELECT 1 "
    "  FROM referrals r WHERE r.partner_id = rv.partner_id AND r.person_id = rv.person_id "
    "  AND r.created_at <= rv.at) OR " KEPT_REFERRAL("lower(f.valid) <= rv.at") ") "
    "GROUP BY rv.controller_id, rv.partner_id, rv.person_id";

/* Field groups disclosed beyond the grant in force at that moment (rv.excess_groups: explain.c;
 * a pull with no grant in force at all is PA-02's). */
static const char pa03[] =
    "SELECT rv.controller_id, NULL::uuid, rv.partner_id, rv.person_id, '-', min(rv.at), "
    "max(rv.at), format('partner received %s time(s) field groups outside its grant: %s', "
    "  count(DISTINCT rv.id), string_agg(DISTINCT x.g, ', ' ORDER BY x.g)), "
    "jsonb_build_object('log_ids', to_jsonb((array_agg(DISTINCT rv.id))[1:50]), "
    "  'excess_groups', to_jsonb(array_agg(DISTINCT x.g ORDER BY x.g)), "
    "  'purposes', to_jsonb(array_agg(DISTINCT rv.purpose))) "
    "FROM rvr rv CROSS JOIN LATERAL unnest(rv.excess_groups) x(g) "
    "WHERE rv.partner_id IS NOT NULL AND " ACCESS " "
    "GROUP BY rv.controller_id, rv.partner_id, rv.person_id";

static const char se01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, NULL::uuid, "
    "to_char(date_trunc('hour', rv.local_at), 'YYYY-MM-DD\"T\"HH24'), min(rv.at), max(rv.at), "
    "format('%s searches returning %s distinct persons in the hour from %s', "
    "  count(DISTINCT rv.request_id), count(DISTINCT rv.person_id), "
    "  to_char(date_trunc('hour', min(rv.local_at)), 'YYYY-MM-DD HH24:MI')), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'searches', count(DISTINCT rv.request_id), "
    "  'persons', count(DISTINCT rv.person_id), 'threshold_searches', $11::int, "
    "  'threshold_persons', $12::int) "
    "FROM rvr rv WHERE rv.action = 'search' AND rv.user_id IS NOT NULL "
    "GROUP BY rv.controller_id, rv.user_id, date_trunc('hour', rv.local_at) "
    "HAVING count(DISTINCT rv.request_id) >= $11::int OR count(DISTINCT rv.person_id) >= $12::int";

static const char se02[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, rv.person_id, '-', min(rv.at), max(rv.at), "
    "format('opened a person %s time(s) shortly after finding it by a name search, with no "
    "documented action', count(*)), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'minutes', $13::int) "
    "FROM rvr rv WHERE rv.action = 'read' AND " ACCESS " AND rv.explanation IS NULL "
    "AND rv.user_id IS NOT NULL AND EXISTS (SELECT 1 FROM rvr s WHERE s.controller_id = "
    "  rv.controller_id AND s.actor = rv.actor AND s.action = 'search' AND s.person_id = "
    "  rv.person_id AND s.at <= rv.at AND s.at >= rv.at - make_interval(mins => $13::int)) "
    "AND NOT EXISTS (SELECT 1 FROM access_log d WHERE d.controller_id = rv.controller_id "
    "  AND d.person_id = rv.person_id AND d.user_id = rv.user_id "
    "  AND d.action IN ('update', 'trajectory_write') AND d.at >= " TZ_DAY_START(DAY, "rv.tz") " "
    "  AND d.at < " TZ_DAY_START(DAY " + 1", "rv.tz") ") "
    "GROUP BY rv.controller_id, rv.user_id, rv.person_id";

static const char ex01[] =
    "SELECT rv.controller_id, rv.user_id, NULL::uuid, " ONE_PERSON ", " DAY "::text, min(rv.at), "
    "max(rv.at), format('%s exports of %s persons on %s', count(*), count(DISTINCT rv.person_id), "
    "  " DAY "), jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'exports', count(*), "
    "  'threshold', $14::int) "
    "FROM rvr rv WHERE rv.action = 'export' AND rv.outcome = 'allowed' "
    "AND rv.user_id IS NOT NULL "
    "GROUP BY rv.controller_id, rv.user_id, " DAY " HAVING count(*) >= $14::int "
    "UNION ALL "
    "SELECT d.controller_id, NULL::uuid, d.partner_id, NULL::uuid, d.d::text, min(l.at), "
    "max(l.at), format('partner received %s distinct persons on %s', "
    "  count(DISTINCT l.person_id), d.d), jsonb_build_object('persons', "
    "  count(DISTINCT l.person_id), 'threshold', $15::int) "
    "FROM (SELECT DISTINCT rv.controller_id, rv.partner_id, rv.tz, " DAY " d FROM rvr rv "
    "      WHERE rv.partner_id IS NOT NULL AND " ACCESS ") d "
    "JOIN access_log l ON l.controller_id = d.controller_id AND l.partner_id IS NOT NULL "
    "  AND l.partner_id = d.partner_id AND l.at >= " TZ_DAY_START("d.d", "d.tz") " "
    "  AND l.at < " TZ_DAY_START("d.d + 1", "d.tz") " "
    "  AND l.outcome = 'allowed' AND l.person_id IS NOT NULL "
    "GROUP BY d.controller_id, d.partner_id, d.d HAVING count(DISTINCT l.person_id) > $15::int";

/* Restricted (now, or by a restriction in force at that moment even if lifted since) or
 * protected: every access is reviewed. */
static const char rp01[] =
    "SELECT rv.controller_id, rv.user_id, rv.partner_id, rv.person_id, '-', min(rv.at), "
    "max(rv.at), format('%s access(es) to a person %s', count(*), "
    "  CASE WHEN bool_or(x.restricted) THEN 'under a processing restriction' "
    "       ELSE 'flagged as protected' END), "
    "jsonb_build_object('log_ids', " LOG_IDS("rv.id") ", 'restricted', bool_or(x.restricted), "
    "  'protected', bool_or(x.protected)) "
    "FROM rvr rv LEFT JOIN (SELECT p.id, p.restricted_at, p.protected_at FROM persons p "
    "  WHERE p.restricted_at IS NOT NULL OR p.protected_at IS NOT NULL) p ON p.id = rv.person_id "
    "LEFT JOIN (SELECT r.person_id, range_agg(tstzrange(r.started_at, r.lifted_at)) held "
    "  FROM person_restrictions r GROUP BY 1) rs ON rs.person_id = rv.person_id "
    "CROSS JOIN LATERAL (SELECT COALESCE(p.restricted_at <= rv.at, false) "
    "  OR COALESCE(rs.held @> rv.at, false) restricted, "
    "  COALESCE(p.protected_at <= rv.at, false) protected) x "
    "WHERE " ACCESS " AND (x.restricted OR x.protected) "
    "GROUP BY rv.controller_id, rv.user_id, rv.partner_id, rv.person_id";

/* Shared account (AanZien 12.1: personal, non-transferable accounts): per user and local day,
 * sessions of the user in use at the same moment from different networks (crt_ip_network: IPv4
 * /24, IPv6 /48 — the address itself never leaves the database), or more than SESSIONS_MAX of
 * them in use at once. A session is in use from its creation to its last activity (last_seen_at,
 * renewed at most every 15 s), cut at its revocation or expiry; the most at once is reached at a
 * session's start, so each start is counted. Only users with rows in this run, and their sessions
 * in use from a day before their first row to their last (rvu). The evidence's rows are this
 * seal's rows of the user in that time, read through the log's index on (controller, user,
 * time). */
static const char sh01[] =
    "WITH u AS (SELECT controller_id, user_id, min(tz) tz, min(f) f, max(l) l FROM rvu "
    "  GROUP BY 1, 2), "
    "s AS (SELECT u.controller_id, u.user_id, u.tz, x.id, x.created_at a, GREATEST(x.created_at, "
    "  LEAST(x.last_seen_at, x.expires_at, COALESCE(x.revoked_at, x.last_seen_at))) b, "
    "  crt_ip_network(x.ip) net FROM u JOIN sessions x ON x.user_id = u.user_id "
    "  AND x.controller_id = u.controller_id AND x.created_at <= u.l "
    "  AND x.last_seen_at >= u.f - interval '1 day'), "
    "o AS (SELECT s.controller_id, s.user_id, s.tz, s.a, count(*) n, count(DISTINCT t.net) nets, "
    "  array_agg(t.id) ids, max(LEAST(s.b, t.b)) e FROM s JOIN s t ON t.user_id = s.user_id "
    "  AND t.a <= s.a AND (t.b > s.a OR t.id = s.id) "
    "  GROUP BY s.controller_id, s.user_id, s.tz, s.id, s.a), "
    "d AS (SELECT o.controller_id, o.user_id, min(o.tz) tz, (o.a AT TIME ZONE o.tz)::date d, "
    "  min(o.a) f, max(o.e) l, max(o.n) n, max(o.nets) nets, array_agg(DISTINCT i.id) ids "
    "  FROM o CROSS JOIN LATERAL unnest(o.ids) i(id) WHERE o.nets > 1 OR o.n > $17::int "
    "  GROUP BY 1, 2, 4) "
    "SELECT d.controller_id, d.user_id, NULL::uuid, NULL::uuid, d.d::text, d.f, d.l, "
    "format('account in use %s on %s between %s and %s', CASE WHEN d.nets > 1 AND d.n > $17::int "
    "  THEN format('from %s networks and in %s sessions at once', d.nets, d.n) WHEN d.nets > 1 "
    "  THEN format('from %s networks at once', d.nets) ELSE format('in %s sessions at once "
    "  (more than %s)', d.n, $17::int) END, d.d, to_char(d.f AT TIME ZONE d.tz, 'HH24:MI'), "
    "  to_char(d.l AT TIME ZONE d.tz, 'HH24:MI')), "
    "jsonb_build_object('session_ids', to_jsonb(d.ids[1:50]), 'networks', d.nets, "
    "  'sessions_at_once', d.n, 'sessions_max', $17::int, 'log_ids', (SELECT "
    "  to_jsonb((array_agg(l.id ORDER BY l.at, l.id))[1:50]) FROM access_log l "
    "  WHERE l.controller_id = d.controller_id AND l.user_id = d.user_id "
    "  AND l.at >= d.f AND l.at <= d.l AND " SEAL_TXIDS("l") ")) "
    "FROM d";

const struct rule rules[] = {
    {"BG-01", "high", "%d break-glass uses", bg01, false},
    {"BG-02", "high", "break-glass used repeatedly (%d periods)", bg02, false},
    {"DN-01", "low", "denied attempts on %d days", dn01, false},
    {"DN-02", "medium", "bursts of denied attempts on %d days", dn02, false},
    {"VO-01", "medium", "unusual volume on %d days", vo01, true},
    {"OH-01", "medium", "off-hours accesses on %d days", oh01, false},
    {"NB-01", "high", "%d persons share the user's family name or address", nb01, false},
    {"AC-01", "medium", "%d persons opened after the assignment ended", ac01, false},
    {"AC-02", "high", "used while disabled on %d days", ac02, false},
    {"AC-03", "medium", "dormant account used (%d times)", ac03, false},
    {"PA-01", "high", "%d persons received that were never referred", pa01, false},
    {"PA-02", "high", "%d persons received outside referral or grant", pa02, false},
    {"PA-03", "high", "%d persons received with field groups outside the grant", pa03, false},
    {"SE-01", "medium", "enumeration-like searching in %d hours", se01, false},
    {"SE-02", "low", "%d persons opened after a name search with no documented action", se02, false},
    {"EX-01", "medium", "bulk or repeated exports on %d days", ex01, false},
    {"RP-01", "medium", "%d restricted or protected persons accessed", rp01, false},
    {"SH-01", "high", "account in use from several places or sessions at once on %d days", sh01,
     false},
};
const size_t n_rules = sizeof rules / sizeof rules[0];

/* $1 the run id, $2..$17 the thresholds of rules_apply(), $18 and $19 the seal's lowest and
 * highest transaction (rvc; NULL without rows): SEAL_TXIDS; the earlier seals' rows, which
 * days_record() reads, lie below $18. */
#define RULE_PARAMS 19
#define RULE_THRESHOLDS 16

/* Inserts the rule's rows as findings of this run's reviews, or updates the finding of the same
 * pattern found by an earlier run. All thresholds are typed in k so every statement has them. */
#define FINDINGS_WRAPPER                                                                      \
    "WITH k AS (SELECT $2::int, $3::int, $4::int, $5::int, $6::int, $7::int, $8::int, $9::int, " \
    "  $10::int, $11::int, $12::int, $13::int, $14::int, $15::int, $16::int, $17::int, "     \
    "  $18::bigint, $19::bigint), "                                                           \
    "c (controller_id, user_id, partner_id, person_id, bucket, first_at, last_at, summary, "  \
    "   evidence) AS (%s) "                                                                   \
    "INSERT INTO review_findings AS f (controller_id, rule_id, severity, dedup_key, user_id, "  \
    "  partner_id, person_id, first_review_id, last_review_id, first_at, last_at, summary, "  \
    "  evidence) "                                                                            \
    "SELECT c.controller_id, '%s', '%s', '%s:' || COALESCE(c.user_id, c.partner_id)::text || " \
    "  ':' || CASE WHEN c.bucket = '-' THEN COALESCE(c.person_id::text, '-') ELSE c.bucket "  \
    "  END, c.user_id, c.partner_id, c.person_id, r.id, r.id, c.first_at, c.last_at, "       \
    "  c.summary, c.evidence "                                                                \
    "FROM c JOIN reviews r ON r.run_id = $1::bigint AND r.controller_id = c.controller_id "   \
    "ON CONFLICT (controller_id, dedup_key) DO UPDATE SET "                                   \
    "  last_review_id = EXCLUDED.last_review_id, occurrences = f.occurrences + 1, "           \
    "  first_at = LEAST(f.first_at, EXCLUDED.first_at), "                                     \
    "  last_at = GREATEST(f.last_at, EXCLUDED.last_at), summary = EXCLUDED.summary, "          \
    "  evidence = f.evidence || EXCLUDED.evidence || jsonb_build_object('log_ids', "           \
    "    COALESCE((SELECT jsonb_agg(DISTINCT x) FROM jsonb_array_elements("                    \
    "      COALESCE(f.evidence->'log_ids', '[]') || COALESCE(EXCLUDED.evidence->'log_ids', "  \
    "      '[]')) x), '[]')), updated_at = clock_timestamp()"

static bool apply_rule(PGconn *pg, const struct rule *rule, const char *const *params)
{
    size_t len = sizeof FINDINGS_WRAPPER + strlen(rule->sql) + 64;
    char *sql = malloc(len);
    if (sql == NULL)
        return false;
    snprintf(sql, len, FINDINGS_WRAPPER, rule->sql, rule->id, rule->severity, rule->id);
    PGresult *r = NULL;
    bool ok = (!rule->hash_joins ||
               db_tool_command(pg, "crt-review", "SET LOCAL enable_nestloop = off", 0, NULL)) &&
              db_tool_exec(pg, "crt-review", sql, RULE_PARAMS, params, &r);
    free(sql);
    if (rule->hash_joins &&
        !db_tool_command(pg, "crt-review", "SET LOCAL enable_nestloop = on", 0, NULL))
        ok = false;
    if (!ok) {
        PQclear(r);
        log_error("rule failed rule=%s", rule->id);
        return false;
    }
    log_debug("rule=%s findings=%s", rule->id, PQcmdTuples(r));
    PQclear(r);
    return true;
}

static const char counts_sql[] =
    "UPDATE reviews SET "
    "findings_new = (SELECT count(*) FROM review_findings f WHERE f.first_review_id = reviews.id), "
    "findings_updated = (SELECT count(*) FROM review_findings f WHERE f.last_review_id = reviews.id "
    "  AND f.first_review_id <> reviews.id) WHERE run_id = $1::bigint";

bool rules_apply(PGconn *pg, const struct crt_config *cfg, long long run_id)
{
    int v[] = {cfg->break_glass_repeat, cfg->break_glass_days, cfg->denied_burst,
               cfg->denied_burst_minutes, cfg->volume_min, cfg->volume_factor, cfg->volume_mad_k,
               cfg->dormant_days, cfg->off_hours_min, cfg->enum_searches, cfg->enum_results,
               cfg->search_open_minutes, cfg->export_repeat, cfg->partner_bulk,
               cfg->volume_peers, cfg->sessions_max};
    _Static_assert(sizeof v / sizeof v[0] == RULE_THRESHOLDS, "one parameter per threshold");
    char buf[RULE_PARAMS][24];
    const char *params[RULE_PARAMS];
    snprintf(buf[0], sizeof buf[0], "%lld", run_id);
    params[0] = buf[0];
    for (int i = 0; i < RULE_THRESHOLDS; i++) {
        snprintf(buf[i + 1], sizeof buf[i + 1], "%d", v[i]);
        params[i + 1] = buf[i + 1];
    }
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review", "SELECT min(txid), max(txid_max) FROM rvc", 0, NULL,
                      &r) ||
        PQntuples(r) != 1) {
        PQclear(r);
        return false;
    }
    for (int i = 0, k = RULE_THRESHOLDS + 1; i < 2; i++, k++) {
        snprintf(buf[k], sizeof buf[k], "%s", PQgetvalue(r, 0, i));
        params[k] = PQgetisnull(r, 0, i) ? NULL : buf[k];
    }
    PQclear(r);
    if (!days_record(pg, params[RULE_THRESHOLDS + 1]))
        return false;
    for (size_t i = 0; i < n_rules; i++)
        if (!apply_rule(pg, &rules[i], params))
            return false;
    return db_tool_command(pg, "crt-review", counts_sql, 1, params);
}
