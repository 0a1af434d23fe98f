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

/* Per controller with rows in this seal (rvu), the days to count from the log: the days of the
 * seal's rows, and of the volume rule's window (30 days before the seal's first day to its last)
 * the days before the first day review_user_days keeps for the controller — all of them on a
 * first run, after the upgrade that made the table, or after the table's old rows were deleted
 * with no row kept since. */
static const char need_sql[] =
    "CREATE TEMP TABLE rvdn ON COMMIT DROP AS "
    "WITH rd AS (SELECT DISTINCT controller_id, d FROM rvu), "
    "ctl AS (SELECT controller_id, min(d) - 30 lo, max(d) hi, (SELECT min(t.d) FROM "
    "  review_user_days t WHERE t.controller_id = rd.controller_id) kept FROM rd GROUP BY 1) "
    "SELECT controller_id, d FROM rd "
    "UNION SELECT c.controller_id, g.d::date FROM ctl c "
    "  CROSS JOIN LATERAL generate_series(c.lo::timestamp, LEAST(c.hi, c.kept - 1)::timestamp, "
    "  interval '1 day') g(d)";

/* $1: the seal's lowest transaction. The counts of the days rvdn names: this seal's persons (rvu),
 * and those of the earlier seals' rows of the same days (the log below $1) rvd does not have.
 * The log is read over the span of those days only (as values: the planner then reads the
 * earlier rows through the log's transaction index on a first run, where there are none). */
static const char count_sql[] =
    "CREATE TEMP TABLE rvdc ON COMMIT DROP AS "
    "WITH hist AS (SELECT DISTINCT l.controller_id, l.user_id, "
    "    (l.at AT TIME ZONE c.timezone)::date d, l.person_id "
    "  FROM access_log l JOIN controllers c ON c.id = l.controller_id "
    "  WHERE l.txid < $1::bigint AND l.controller_id IN (SELECT controller_id FROM rvdn) "
    "  AND l.at >= (SELECT min(d) FROM rvdn)::timestamp AT TIME ZONE 'UTC' - interval '1 day' "
    "  AND l.at < (SELECT max(d) + 1 FROM rvdn)::timestamp AT TIME ZONE 'UTC' + interval '1 day' "
    "  AND " OPENED("l") ") "
    "SELECT controller_id, d, user_id, sum(n)::int persons FROM ("
    "    SELECT controller_id, d, user_id, n FROM rvu WHERE n > 0 "
    "  UNION ALL SELECT h.controller_id, h.d, h.user_id, count(*) FROM hist h "
    "    JOIN rvdn USING (controller_id, d) "
    "    WHERE NOT EXISTS (SELECT 1 FROM rvd WHERE rvd.controller_id = h.controller_id "
    "    AND rvd.user_id = h.user_id AND rvd.d = h.d AND rvd.person_id = h.person_id "
    "    AND rvd.opened) GROUP BY 1, 2, 3) x "
    "GROUP BY 1, 2, 3";

/* The counted days replace what the table had of them; rows older than any run in order reads
 * (its window reaches 30 days before its seal's first day) go. */
static const char replace_sql[] =
    "DELETE FROM review_user_days t USING rvdn n WHERE t.controller_id = n.controller_id "
    "AND t.d = n.d";
static const char insert_sql[] =
    "INSERT INTO review_user_days (controller_id, d, user_id, persons) "
    "SELECT controller_id, d, user_id, persons FROM rvdc";
static const char prune_sql[] =
    "DELETE FROM review_user_days t USING (SELECT controller_id, min(d) d FROM rvdn GROUP BY 1) n "
    "WHERE t.controller_id = n.controller_id AND t.d < n.d - 31";

bool days_record(PGconn *pg, const char *lowest_txid)
{
    if (lowest_txid == NULL)
        return true; /* no row in the seal: no day to count */
    const char *p[] = {lowest_txid};
    bool ok = db_tool_command(pg, "crt-review", need_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", count_sql, 1, p) &&
              db_tool_command(pg, "crt-review", replace_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", insert_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", prune_sql, 0, NULL);
    if (ok)
        log_debug("user days counted");
    return ok;
}
