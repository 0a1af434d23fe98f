/* The review's shared folds (D60): rv read once into the small tables the counts and rules read
 * instead of rv — per actor and kind (rvc), rare rows (rvr) — beside the user days (rvu, rvd)
 * folded in C (rowfold.c, D68). */
#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

/* Per (controller, actor, kind, access, explanation, denied) of every row: the per-controller
 * and per-actor counts, and the seal's lowest and highest transaction (VO-01's history ends
 * below the lowest; rules.c's SEAL_TXIDS). */
static const char rvc_sql[] =
    "CREATE TEMP TABLE rvc ON COMMIT DROP AS "
    "SELECT rv.controller_id, rv.actor, rv.partner_id IS NOT NULL AS is_partner, rv.is_access, "
    "  rv.explanation, rv.outcome = 'denied' AS denied, count(*) AS n, min(rv.at) AS f, "
    "  max(rv.at) AS l, min(rv.txid) AS txid, max(rv.txid) AS txid_max FROM rv "
    "GROUP BY 1, 2, 3, 4, 5, 6";

/* The rows the rules about rare events read — every row each of those rules selects, so that it
 * finds in rvr what it found in rv: break-glass, searches, exports, denied, partner rows (BG-01,
 * BG-02, SE-01, SE-02's searches, EX-01, DN-01, DN-02, PA-01..03), unexplained accesses (SE-02),
 * staff accesses outside working hours, on a non-working day or a holiday (OH-01's condition),
 * rows of disabled accounts (AC-02), of restricted or protected persons (RP-01) and of persons
 * sharing a family name or postcode with some staff member (NB-01). */
static const char rvr_sql[] =
    "CREATE TEMP TABLE rvr ON COMMIT DROP AS "
    "SELECT rv.* FROM rv JOIN controllers c ON c.id = rv.controller_id "
    "WHERE rv.action IN ('break_glass', 'search', 'export') OR rv.outcome = 'denied' "
    "  OR rv.partner_id IS NOT NULL OR (rv.is_access AND rv.explanation IS NULL) "
    "  OR (rv.is_access AND rv.user_id IS NOT NULL AND (rv.local_at::time < c.work_start "
    "    OR rv.local_at::time >= c.work_end "
    "    OR NOT (date_part('isodow', rv.local_at)::smallint = ANY (c.work_days)) "
    "    OR (rv.controller_id, (rv.local_at)::date) "
    "    IN (SELECT h.controller_id, h.day FROM controller_holidays h))) "
    "  OR rv.user_id IN (SELECT s.id FROM staff_users s WHERE s.disabled_at IS NOT NULL) "
    "  OR rv.person_id IN (SELECT p.id FROM persons p WHERE p.restricted_at IS NOT NULL "
    "    OR p.protected_at IS NOT NULL UNION ALL SELECT r.person_id FROM person_restrictions r) "
    "  OR rv.person_id IN (SELECT p.id FROM persons p WHERE lower(p.last_name) IN (SELECT "
    "    lower(s.family_name) FROM staff_users s WHERE s.family_name IS NOT NULL) "
    "    OR p.address_postcode IN (SELECT s.home_postcode FROM staff_users s "
    "    WHERE s.home_postcode IS NOT NULL))";

/* rvc is a hash aggregate: with sorting the planner may pick for many groups, such a fold took
 * about twice as long (measured at 2.2 million rows). The user days come from the seal's rows
 * folded in C (rowfold.c, D68). */
bool fold_build(PGconn *pg, struct rowfold *fold, const struct seal_info *seal)
{
    log_debug("folding rv");
    bool ok = db_tool_command(pg, "crt-review", "SET LOCAL enable_sort = off", 0, NULL) &&
              db_tool_command(pg, "crt-review", rvc_sql, 0, NULL) &&
              db_tool_command(pg, "crt-review", "SET LOCAL enable_sort = on", 0, NULL) &&
              db_tool_command(pg, "crt-review", rvr_sql, 0, NULL) &&
              rowfold_write_days(fold, pg, seal) &&
              db_tool_command(pg, "crt-review", "ANALYZE rvd, rvu, rvc, rvr", 0, NULL);
    if (ok)
        log_debug("folded rv into rvc, rvr; user days into rvu, rvd");
    return ok;
}
