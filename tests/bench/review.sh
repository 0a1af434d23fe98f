#!/usr/bin/env bash
# tests/bench/review.sh: what `crt-review run` costs over a generated month of access-log rows,
# and whether the cost grows linearly. Prints figures (no pass/fail); exits non-zero only on
# set-up errors.
#   For each size (BENCH_ROWS / each divisor of BENCH_SIZES, largest last): a fresh database,
#   crtctl migrate, tests/scenario/month.sql at the scale that writes about that many rows (all
#   unsealed), then one `crt-review run` (seal + explain + rules + cases + reports) under
#   /usr/bin/time -v: elapsed, rows/s, crt-review's CPU and peak RSS, and the PostgreSQL side,
#   where most of the work happens: the server's CPU over the run (the postmaster and its
#   children, so use a cluster of your own), and the database's temporary files and bytes
#   (pg_stat_database) written by the run.
# Figures and their reading: docs/performance-review.md.
#
# Environment: CRT_BUILD_DIR (with services/ctl/crtctl and services/review/crt-review built),
# PGHOST and PGPORT of the cluster (superuser postgres, trust), as `deploy/local/crt-local db`
# exports them. Settings:
#   BENCH_ROWS (10000000)       rows of the largest size
#   BENCH_SIZES ("4 2 1")       divisors of BENCH_ROWS, one database each: 1/4, 1/2, all
#   BENCH_ROWS_PER_SCALE (38200) rows month.sql writes per unit of its scale (measured)
#   BENCH_SEED (0.42)           month.sql's seed
#   BENCH_DB (crt_review_bench) database name prefix (dropped and made again per size)
#   BENCH_KEEP=1                keep the last database and the work folder (keys, reports)
#   BENCH_REUSE=1               generate each size once into <BENCH_DB>_gen_<rows> and review a
#                               copy of it (CREATE DATABASE ... TEMPLATE), kept for the next run:
#                               an A/B of two builds on the same rows without generating twice
#   BENCH_HOURS (2)             hourly runs after the month's: the month's last BENCH_HOURS hours
#                               of rows are taken out before its first run and put back (new ids
#                               and transactions) an hour at a time, each reviewed by a run of its
#                               own — the periodic review over a log of the month (third table)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
say() { printf 'review-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

ROWS=${BENCH_ROWS:-10000000}
SIZES=${BENCH_SIZES:-4 2 1}
PER_SCALE=${BENCH_ROWS_PER_SCALE:-38200}
SEED=${BENCH_SEED:-0.42}
DB=${BENCH_DB:-crt_review_bench}

: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder}"
: "${PGHOST:?PGHOST is not set}"
: "${PGPORT:?PGPORT is not set}"
for n in $ROWS $SIZES $PER_SCALE; do [[ $n =~ ^[0-9]+$ ]] && (( n > 0 )) || die "not a positive number: $n"; done
[[ $SEED =~ ^-?0?\.[0-9]+$|^-?[01]$ ]] || die "BENCH_SEED must lie in -1..1"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case name"
for t in psql openssl /usr/bin/time; do command -v "$t" >/dev/null || die "$t is not installed"; done
[ -x "$CRT_BUILD_DIR/services/ctl/crtctl" ] || die "no crtctl in $CRT_BUILD_DIR"
[ -x "$CRT_BUILD_DIR/services/review/crt-review" ] || die "no crt-review in $CRT_BUILD_DIR"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-reviewbench.XXXXXX")
chmod 700 "$WORK"
cleanup() { if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
# Copies of the binaries: a concurrent rebuild of the build folder cannot swap them mid-run.
cp "$CRT_BUILD_DIR/services/ctl/crtctl" "$CRT_BUILD_DIR/services/review/crt-review" "$WORK/"
openssl genpkey -algorithm ed25519 -out "$WORK/seal.pem" 2>/dev/null
chmod 600 "$WORK/seal.pem"
openssl pkey -in "$WORK/seal.pem" -pubout -out "$WORK/seal.pub"

url() { printf 'host=%s port=%s dbname=%s user=%s' "$PGHOST" "$PGPORT" "$1" "$2"; }
sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$(url "$1" postgres)" "${@:2}"; }
sq postgres -c "SELECT 1" >/dev/null || die "cannot connect as postgres to $PGHOST:$PGPORT"
now() { date +%s.%N; }

# CPU seconds of the cluster so far: the postmaster's reaped children plus the live ones.
CLK=$(getconf CLK_TCK)
PM_PID=$(head -1 "$(sq postgres -c "SHOW data_directory")/postmaster.pid" 2>/dev/null || true)
pg_cpu() {
  [ -n "$PM_PID" ] || { echo 0; return; }
  local s t=0 c
  s=$(cat "/proc/$PM_PID/stat"); s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  t=$(( ${14} + ${15} ))
  for c in $(ps -o pid= --ppid "$PM_PID"); do
    s=$(cat "/proc/$c/stat" 2>/dev/null) || continue
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    t=$(( t + ${12} + ${13} ))
  done
  awk -v t="$t" -v c="$CLK" 'BEGIN { printf "%.1f", t / c }'
}
# "temp_files temp_bytes" of a database.
pg_temp() { sq postgres -c "SELECT temp_files || ' ' || temp_bytes FROM pg_stat_database WHERE datname = '$1'"; }
# A value from /usr/bin/time -v output.
tv() { awk -F': ' -v k="$1" 'index($0, k) { print $2 }' "$2" | tail -1; }

# The end of each phase of a run, in seconds from its `sealing` line (crt-review's debug log):
# this machine's speed varies more between runs than a change of one phase, so an A/B of two
# builds compares these columns (docs/performance-review.md, fourth round).
phases() {
  awk -v rows="$1" '
    function t(line,  p) { split(substr(line, 12, 12), p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
    function at(k) { return k in e ? sprintf("%9.1f", (e[k] - e["start"] + 86400) % 86400) : sprintf("%9s", "-") }
    /debug sealing seal=/ && !("start" in e) { e["start"] = t($0) }
    / info sealed seal=/ { e["seal"] = t($0) }
    /debug explanation statement done/ { e["stmt"] = t($0) }
    /debug repeats, written into rv/ { e["rest"] = t($0) }
    /debug folded rv into/ { e["fold"] = t($0) }
    /debug pairs and first accesses/ { e["pairs"] = t($0) }
    / info reviewed seal=/ { e["done"] = t($0) }
    END { printf "%10d%s%s%s%s%s%s\n", rows, at("seal"), at("stmt"), at("rest"), at("fold"), at("pairs"), at("done") }' "$2"
}

# One `crt-review run` over database $1 (the head file and reports of $WORK carry over between
# runs of one size), timed; sets EL (s), RV_CPU (s), RSS (KiB) and PG_CPU (s, the cluster's).
review_once() {
  local cpu0 cpu1 el user sys
  cpu0=$(pg_cpu)
  CRT_REVIEW_DATABASE_URL=$(url "$1" crt_review) CRT_REVIEW_SEAL_KEY_FILE=$WORK/seal.pem \
  CRT_REVIEW_SEAL_PUBLIC_KEY_FILE=$WORK/seal.pub CRT_REVIEW_SEAL_HEAD_FILE=$WORK/head.json \
  CRT_REVIEW_REPORT_DIR=$WORK/reports CRT_LOG_LEVEL=debug \
    /usr/bin/time -v -o "$WORK/time.txt" "$WORK/crt-review" run 2>"$WORK/run.log" \
    || { cat "$WORK/run.log" >&2; die "crt-review run failed"; }
  sleep 1
  cpu1=$(pg_cpu)
  el=$(tv "Elapsed (wall clock)" "$WORK/time.txt")
  user=$(tv "User time" "$WORK/time.txt"); sys=$(tv "System time" "$WORK/time.txt")
  EL=$(awk -v el="$el" 'BEGIN { n = split(el, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
  RV_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
  RSS=$(tv "Maximum resident set size" "$WORK/time.txt")
  PG_CPU=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
}

# The last $HOURS hours of the month out of the log of database $1, into bench_later (before its
# first run); hour k of them back in (new ids and transactions, as the service writes them).
HOURS=${BENCH_HOURS:-2}
[[ $HOURS =~ ^[0-9]+$ ]] || die "BENCH_HOURS must be a number"
hold_back() {
  sq "$1" -c "SET session_replication_role = replica" \
    -c "CREATE TABLE bench_later AS SELECT * FROM access_log WHERE at > (SELECT max(at) FROM access_log) - interval '$HOURS hours'" \
    -c "DELETE FROM access_log WHERE at > (SELECT max(at) FROM bench_later) - interval '$HOURS hours'"
}
put_back() {
  sq "$1" -c "INSERT INTO access_log (at, controller_id, user_id, person_id, household_id, action,
      field_groups, purpose, outcome, reason, request_id, partner_id)
    SELECT at, controller_id, user_id, person_id, household_id, action, field_groups, purpose,
      outcome, reason, request_id, partner_id FROM bench_later, (SELECT max(at) - interval '$HOURS hours' b FROM bench_later) x
    WHERE at > x.b + interval '$(( $2 - 1 )) hours' AND ($2 = $HOURS OR at <= x.b + interval '$2 hours')
    ORDER BY id"
}

# One size: fresh database, scenario, one review run; appends a line to $WORK/table.
measure() {
  local want=$1 name=$DB scale rows t0 t1 gen tmp0 tmp1
  scale=$(awk -v r="$want" -v p="$PER_SCALE" 'BEGIN { printf "%.3f", r / p }')
  say "size ~$want rows: scale $scale, database $name"
  local tpl=${DB}_gen_$want copy=0
  sq postgres -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
  t0=$(now)
  if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(sq postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$tpl'")" = 1 ]; then
    say "copying $tpl (BENCH_REUSE=1)"
    sq postgres -c "CREATE DATABASE $name TEMPLATE $tpl OWNER crt_owner"
    copy=1
  else
    sq postgres -c "CREATE DATABASE $name OWNER crt_owner"
  fi
  CRT_OWNER_DATABASE_URL=$(url "$name" crt_owner) "$WORK/crtctl" migrate >/dev/null
  if [ "$copy" = 0 ]; then
    sq "$name" -v scale="$scale" -v seed="$SEED" -f "$ROOT/tests/scenario/month.sql"
    if [ "${BENCH_REUSE:-0}" = 1 ]; then
      sq postgres -c "DROP DATABASE IF EXISTS $tpl" -c "CREATE DATABASE $tpl TEMPLATE $name OWNER crt_owner"
    fi
  fi
  t1=$(now)
  gen=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
  (( HOURS == 0 )) || hold_back "$name"
  rows=$(sq "$name" -c "SELECT count(*) FROM access_log")
  sq "$name" -c "CHECKPOINT"
  say "$rows rows ready (generated or copied) in ${gen}s; load average $(cut -d' ' -f1-3 /proc/loadavg); reviewing"
  rm -rf "$WORK/head.json" "$WORK/head.json.manifests" "$WORK/reports"; mkdir "$WORK/reports"
  tmp0=$(pg_temp "$name")
  review_once "$name"
  tmp1=$(pg_temp "$name")
  local sealed
  sealed=$(sq "$name" -c "SELECT COALESCE(sum(row_count), 0) FROM log_seals")
  [ "$sealed" = "$rows" ] || say "warning: $sealed of $rows rows sealed (a transaction elsewhere in the cluster held the horizon back?)"
  awk -v rows="$rows" -v gen="$gen" -v secs="$EL" -v cpu="$RV_CPU" -v rss="$RSS" \
      -v pg="$PG_CPU" -v t0="$tmp0" -v t1="$tmp1" \
      -v f="$(sq "$name" -c "SELECT count(*) FROM review_findings")" 'BEGIN {
        split(t0, a, " "); split(t1, b, " ")
        printf "%10d %7d %9.1f %9.0f %9.1f %8.0f %9.1f %8d %9.0f %8.2f %8d\n", rows, gen, secs,
          rows / secs, cpu, rss / 1024, pg, b[1] - a[1], (b[2] - a[2]) / 1048576,
          secs * 1e6 / rows, f }' >>"$WORK/table"
  phases "$rows" "$WORK/run.log" >>"$WORK/phases"
  grep -E "info (sealed|reviewed)" "$WORK/run.log" >&2 || true
  local k new
  for (( k = 1; k <= HOURS; k++ )); do
    put_back "$name" "$k"
    new=$(sq "$name" -c "SELECT count(*) FROM access_log")
    new=$(( new - rows )); rows=$(( rows + new ))
    review_once "$name"
    printf '%10d %5d %9d %9.1f %9.1f %9.1f\n' "$rows" "$k" "$new" "$EL" "$RV_CPU" "$PG_CPU" >>"$WORK/hours"
    phases "$new" "$WORK/run.log" >>"$WORK/phases"
    cp "$WORK/run.log" "$WORK/run-hour-$k.log"
    grep -E "info (sealed|reviewed)" "$WORK/run.log" >&2 || true
  done
  if [ "${BENCH_KEEP:-0}" != 1 ] || [ "$want" != "$ROWS" ]; then
    sq postgres -c "DROP DATABASE $name WITH (FORCE)"
  fi
}

: >"$WORK/table"; : >"$WORK/phases"; : >"$WORK/hours"
for d in $SIZES; do measure $(( ROWS / d )); done

printf '\ncrt-review run over a generated month (scenario seed %s), PostgreSQL on %s:%s\n' "$SEED" "$PGHOST" "$PGPORT"
printf '%10s %7s %9s %9s %9s %8s %9s %8s %9s %8s %8s\n' rows gen_s review_s rows/s \
  rv_cpu_s rss_MiB pg_cpu_s tmpfiles tmp_MiB s/Mrow findings
cat "$WORK/table"
printf '\nwhere each run ends each phase, seconds from its first (sealing) line (the month'"'"'s run, then the hourly ones):\n'
printf '%10s %8s %8s %8s %8s %8s %8s\n' rows seal stmt rest folds pairs reviewed
cat "$WORK/phases"
if (( HOURS > 0 )); then
  printf '\nhourly runs after the month'"'"'s (log rows in all, hour, rows of the hour, review s, crt-review CPU s, PostgreSQL CPU s):\n'
  printf '%10s %5s %9s %9s %9s %9s\n' log_rows hour rows review_s rv_cpu_s pg_cpu_s
  cat "$WORK/hours"
fi
awk 'NR == 1 { first = $10 } { last = $10 } END { if (NR > 1) printf "\ncost per row, largest / smallest size: %.2f (1.00 = linear)\n", last / first }' "$WORK/table"
