#!/usr/bin/env bash
# tests/bench/stats.sh: what the statistics cost over BENCH_PERSONS (1 000 000) persons — the
# daily refresh (`crt-review stats`) and the query GET /v1/statistics runs — in a database of
# its own. Prints figures (no pass/fail); exits non-zero only on set-up errors.
#   A fresh database, crtctl migrate + seed-demo, persons generated with generate_series over the
#   four controllers (36 months of registrations, 60 postcode areas, statuses, genders, ages,
#   households of 1–5, children, needs) with trajectory entries (intake for 80 %, sessions,
#   NT2 offers, test results) and referrals for 20 %; ANALYZE; then the refresh timed as the job
#   runs it, and the route's statement (stats_cells in services/api/statements.c, scope given
#   as the controller's id since no signed session exists here) timed BENCH_RUNS times for a
#   year of months by month, all areas by area, and the joint scope.
# Figures and their reading: docs/performance.md ("Statistics").
#
# Environment: CRT_BUILD_DIR, PGHOST and PGPORT of the cluster (superuser postgres, trust), as
# `deploy/local/crt-local db` exports them. BENCH_PERSONS (1000000), BENCH_RUNS (20),
# BENCH_DB (crt_stats_bench), BENCH_KEEP=1 keeps the database.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
say() { printf 'stats-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

PERSONS=${BENCH_PERSONS:-1000000}
RUNS=${BENCH_RUNS:-20}
DB=${BENCH_DB:-crt_stats_bench}
: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder}"
: "${PGHOST:?PGHOST is not set}"
: "${PGPORT:?PGPORT is not set}"
[[ $PERSONS =~ ^[0-9]+$ && $RUNS =~ ^[0-9]+$ ]] || die "BENCH_PERSONS and BENCH_RUNS are numbers"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case name"
[ -x "$CRT_BUILD_DIR/services/ctl/crtctl" ] || die "no crtctl in $CRT_BUILD_DIR"
[ -x "$CRT_BUILD_DIR/services/review/crt-review" ] || die "no crt-review in $CRT_BUILD_DIR"

url() { printf 'host=%s port=%s dbname=%s user=%s' "$PGHOST" "$PGPORT" "$1" "$2"; }
sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$(url "$1" postgres)" "${@:2}"; }
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

sq postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB OWNER crt_owner"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'sq postgres -c "DROP DATABASE IF EXISTS $DB" || true' EXIT
export CRT_OWNER_DATABASE_URL="$(url "$DB" crt_owner)" CRT_MIGRATIONS_DIR="$ROOT/sql/migrations"
"$CRT_BUILD_DIR/services/ctl/crtctl" migrate >/dev/null
"$CRT_BUILD_DIR/services/ctl/crtctl" seed-demo >/dev/null

say "generating $PERSONS persons"
t0=$(now)
sq "$DB" -v n="$PERSONS" <<'SQL'
SET session_replication_role = replica; -- bulk load: no per-row triggers (audit, versions)
CREATE TEMP TABLE su AS
  SELECT DISTINCT ON (controller_id) controller_id, id FROM staff_users ORDER BY controller_id, username;
INSERT INTO households (controller_id, family_name, source, created_by)
SELECT 1 + g % 4, 'Bench' || g, 'staff', su.id
  FROM generate_series(1, (:n + 2) / 3) g JOIN su ON su.controller_id = 1 + g % 4;
CREATE TEMP TABLE hh AS
  SELECT row_number() OVER (ORDER BY created_at, id) AS k, id, controller_id FROM households;
-- Three persons a household (its controller), so households hold 1 to 3 registered members
-- and the last may hold fewer.
INSERT INTO persons (controller_id, household_id, first_name, last_name, gender, birth_date,
  address_postcode, residence_status, registration_date, minor_children, needs_childcare,
  needs_buddy, sources, created_by)
SELECT hh.controller_id, CASE WHEN g % 5 = 0 THEN NULL ELSE hh.id END,
       'P' || g, 'Bench', (ARRAY['female','male','x','unknown'])[1 + g % 4],
       date '1950-01-01' + ((g::bigint * 7919) % 25000)::int, (1000 + (g * 37) % 60 * 150)::text,
       (ARRAY['temporary_protection','applicant','refugee','subsidiary_protection','other','unknown'])[1 + g % 6],
       date '2023-01-01' + ((g::bigint * 104729) % 1095)::int, (g % 5)::smallint, g % 3 = 0, g % 7 = 0,
       '{"first_name":"person"}', su.id
  FROM generate_series(1, :n) g
  JOIN hh ON hh.k = 1 + (g - 1) / 3
  JOIN su ON su.controller_id = hh.controller_id;
INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, source, created_by)
SELECT p.controller_id, p.id, k.kind, p.registration_date + k.days, k.details, 'staff', p.created_by
  FROM persons p
  CROSS JOIN LATERAL (VALUES
    ('intake', (hashtext(p.id::text) & 127) % 100, '{}'::jsonb, 80),
    ('info_session', 20, '{"topic":"wonen","attended":true}', 50),
    ('nt2_offer', 40, '{"provider":"CVO","start_date":"2024-01-01"}', 30),
    ('test_result', 60, '{"test":"nt2_placement","result":"A1"}', 20)) AS k(kind, days, details, pct)
 WHERE (hashtext(p.id::text || k.kind) & 127) % 100 < k.pct;
SET session_replication_role = origin;
ANALYZE;
SQL
say "generated in $(ms "$t0" "$(now)") ms: $(sq "$DB" -c "SELECT count(*) FROM persons") persons, $(sq "$DB" -c "SELECT count(*) FROM trajectory_entries") trajectory entries"

t0=$(now)
CRT_REVIEW_DATABASE_URL="$(url "$DB" crt_review)" CRT_LOG_LEVEL=warn \
  "$CRT_BUILD_DIR/services/review/crt-review" stats
t1=$(now)
printf 'refresh (crt-review stats): %s ms; %s\n' "$(ms "$t0" "$t1")" \
  "$(sq "$DB" -c "SELECT format('%s persons, %s cells, %s suppressed, %s ms inside', persons, cells, suppressed, duration_ms) FROM stats_refreshes ORDER BY id DESC LIMIT 1")"

# The route's statement, as statements.c has it with crt_current_controller() given as 1.
route_sql() { # $1 scope word, $2 from, $3 to, $4 area, $5 by
  printf "SELECT key, category, sum(n), count(*) FILTER (WHERE n IS NULL), GROUPING(key) FROM (SELECT CASE '%s' WHEN 'area' THEN area ELSE to_char(month, 'YYYY-MM') END AS key, category, n FROM stats_cells WHERE scope = CASE '%s' WHEN 'joint' THEN 0 ELSE 1 END AND figure = 'age_gender' AND month BETWEEN to_date('%s', 'YYYY-MM') AND to_date('%s', 'YYYY-MM') AND ('%s' = 'all' OR area = '%s')) c GROUP BY GROUPING SETS ((key, category), (category)) ORDER BY 5, 1, 2;\n" \
    "$5" "$1" "$2" "$3" "$4" "$4"
}
bench_query() { # label, then route_sql's arguments
  local label=$1; shift
  local sql; sql=$(route_sql "$@")
  local times
  times=$(for _ in $(seq "$RUNS"); do
    sq "$DB" -c '\timing on' -c "$sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
  done | sort -n)
  local rows; rows=$(sq "$DB" -c "$sql" | wc -l)
  printf '%-40s rows %5s  median %6.2f ms  max %6.2f ms (%s runs)\n' "$label" "$rows" \
    "$(printf '%s\n' "$times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
    "$(printf '%s\n' "$times" | tail -1)" "$RUNS"
}
bench_query "age_gender, 12 months, by month"  controller 2024-01 2024-12 all month
bench_query "age_gender, 36 months, by area"   controller 2023-01 2025-12 all area
bench_query "age_gender, joint, 36 months"     joint 2023-01 2025-12 all month
bench_query "age_gender, one area, 36 months"  controller 2023-01 2025-12 25xx month
printf 'stats_cells: %s rows, %s\n' "$(sq "$DB" -c "SELECT count(*) FROM stats_cells")" \
  "$(sq "$DB" -c "SELECT pg_size_pretty(pg_total_relation_size('stats_cells'))")"
