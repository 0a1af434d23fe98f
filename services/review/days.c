/* The volume rule's per-day counts kept across runs (review_user_days, D65): the distinct persons
 * each staff user opened per local day, recounted for the days of this seal, read for the rest. */
#include <stddef.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

/* The persons a staff user opened on one local day: allowed rows naming a person, not searches. */
#define OPENED(l)                                                                             \
    l ".outcome = 'allowed' AND " l ".person_id IS NOT NULL AND " l ".action <> 'search' AND " \
    l ".user_id IS NOT NULL"

/* What to count from the log: the user days of this seal (rvu) with a person opened — only those
 * users' counts of those days can change — and, per controller with rows in this seal, the
 * days of the volume rule's window (30 days before the seal's first day to its last) before the
 * day since which review_user_days holds every day of the controller (review_user_days_since),
 * every user (user_id NULL): the whole window on a first run or after the upgrade that made the
 * table, none on the runs after it (but for a row of a day older than the table keeps). */
static const char need_sql[] =
    "CREATE TEMP TABLE rvdn ON COMMIT DROP AS "
    "WITH ctl AS (SELECT u.controller_id, min(u.d) - 30 lo, max(u.d) hi, (SELECT s.since "
    "  FROM review_user_days_since s WHERE s.controller_id = u.controller_id) kept FROM rvu u "
    "  GROUP BY 1), "
    "back AS MATERIALIZED (SELECT c.controller_id, g.d::date d FROM ctl c CROSS JOIN LATERAL "
    "  generate_series(c.lo::timestamp, LEAST(c.hi, c.kept - 1)::timestamp, interval '1 day') "
    "  g(d)) "
    "SELECT controller_id, d, NULL::uuid user_id FROM back "
    "UNION ALL SELECT u.controller_id, u.d, u.user_id FROM rvu u WHERE u.n > 0 "
    "  AND NOT EXISTS (SELECT 1 FROM back b WHERE b.controller_id = u.controller_id AND b.d = u.d)";

/* $1: the seal's lowest transaction; the earlier seals' rows lie below it (none when no earlier
 * seal has rows: then the log is not read). The counts of what rvdn names: this seal's persons
 * (rvu) and those of the earlier rows of the same user and day that rvd does not have. Whole
 * days are read over their span (the bounds as values: on a first run the planner then reads the
 * earlier rows through the log's transaction index, and finds none); one user's day through the
 * log's (controller, user, time) index — an hourly run reads the earlier rows of the users it
 * saw today, not the month. */
#define EARLIER_ROWS(l)                                                                        \
    l ".txid < $1::bigint AND EXISTS (SELECT 1 FROM log_seals s WHERE s.txid_to <= $1::bigint " \
    "AND s.row_count > 0) AND " OPENED(l)
static const char count_sql[] =
    "CREATE TEMP TABLE rvdc ON COMMIT DROP AS "
    "WITH whole AS MATERIALIZED (SELECT l.controller_id, (l.at AT TIME ZONE c.timezone)::date d, "
    "    l.user_id, l.person_id FROM access_log l JOIN controllers c ON c.id = l.controller_id "
    "  WHERE l.controller_id IN (SELECT controller_id FROM rvdn WHERE user_id IS NULL) "
    "  AND l.at >= (SELECT min(d) FROM rvdn WHERE user_id IS NULL)::timestamp AT TIME ZONE 'UTC' "
    "    - interval '1 day' "
    "  AND l.at < (SELECT max(d) + 1 FROM rvdn WHERE user_id IS NULL)::timestamp "
    "    AT TIME ZONE 'UTC' + interval '1 day' "
    "  AND " EARLIER_ROWS("l") "), "
    "hist AS (SELECT DISTINCT * FROM ("
    "    SELECT w.* FROM whole w JOIN rvdn n ON n.user_id IS NULL "
    "    AND n.controller_id = w.controller_id AND n.d = w.d "
    "  UNION ALL SELECT n.controller_id, n.d, n.user_id, l.person_id FROM rvdn n "
    "    JOIN controllers c ON c.id = n.controller_id CROSS JOIN LATERAL (SELECT l.person_id "
    "    FROM access_log l WHERE l.controller_id = n.controller_id AND l.user_id = n.user_id "
    "    AND l.at >= n.d::timestamp AT TIME ZONE c.timezone "
    "    AND l.at < (n.d + 1)::timestamp AT TIME ZONE c.timezone AND " EARLIER_ROWS("l") ") l "
    "    WHERE n.user_id IS NOT NULL) h) "
    "SELECT controller_id, d, user_id, sum(n)::int persons FROM ("
    "    SELECT controller_id, d, user_id, n FROM rvu WHERE n > 0 "
    "  UNION ALL SELECT h.controller_id, h.d, h.user_id, count(*) FROM hist h "
    "    WHERE NOT EXISTS (SELECT 1 FROM rvd WHERE rvd.controller_id = h.controller_id "
    "    AND rvd.user_id = h.user_id AND rvd.d = h.d AND rvd.person_id = h.person_id) "
    "    GROUP BY 1, 2, 3) x "
    "GROUP BY 1, 2, 3";

/* The counts replace what the table had of those days and user days (two statements: one join
 * with an OR of both would compare each user day with every user of its day). */
static const char replace_days_sql[] =
    "DELETE FROM review_user_days t USING rvdn n WHERE n.user_id IS NULL "
    "AND t.controller_id = n.controller_id AND t.d = n.d";
static const char replace_users_sql[] =
    "DELETE FROM review_user_days t USING rvdn n WHERE t.controller_id = n.controller_id "
    "AND t.d = n.d AND t.user_id = n.user_id";
/* In the primary key's order, as review_pairs (D67). */
static const char insert_sql[] =
    "INSERT INTO review_user_days (controller_id, d, user_id, persons) "
    "SELECT controller_id, d, user_id, persons FROM rvdc ORDER BY controller_id, d, user_id";
/* The table now holds every day from the window's first (lo, 30 days before the seal's first
 * day) — or from an earlier day it held them since; rows more than 31 days before lo go, as
 * no run in order reads them, and "since" never names a day before what is kept. */
#define WINDOW_LO "(SELECT controller_id, min(d) - 30 lo FROM rvu GROUP BY 1)"
static const char since_sql[] =
    "INSERT INTO review_user_days_since AS s (controller_id, since) "
    "SELECT controller_id, lo FROM " WINDOW_LO " w "
    "ON CONFLICT (controller_id) DO UPDATE SET "
    "  since = GREATEST(LEAST(s.since, EXCLUDED.since), EXCLUDED.since - 31)";
static const char prune_sql[] =
    "DELETE FROM review_user_days t USING " WINDOW_LO " w "
    "WHERE t.controller_id = w.controller_id AND t.d < w.lo - 31";

bool days_record(PGconn *pg, const char *lowest_txid)
{
    if (lowest_txid == NULL)
        return true; /* no row in the seal: no day to count */
    const char *p[] = {lowest_txid};
    bool ok = db_tool_command(pg, "crt-review", need_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", count_sql, 1, p) &&
              db_tool_command(pg, "crt-review", replace_days_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", replace_users_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", insert_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", since_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", prune_sql, 0, NULL);
    if (ok)
        log_debug("user days counted");
    return ok;
}
