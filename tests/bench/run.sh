#!/usr/bin/env bash
# tests/bench/ owns this: the throughput benchmark of GET /v1/persons/{id} (crt-api under wrk) against
# the same SQL work under pgbench -M prepared; prints figures, exits non-zero only on set-up errors.
#
# Run through `deploy/local/crt-local bench` (it builds Release, starts PostgreSQL, creates and
# migrates crt_bench, exports CRT_DATABASE_URL, CRT_OWNER_DATABASE_URL, CRT_SUPER_DATABASE_URL and
# CRT_BUILD_DIR). Settings (environment):
#   BENCH_PERSONS (100000)    persons in the database, seeded over the four controllers
#   BENCH_SECONDS (20)        length of each measured run
#   BENCH_ROUNDS (3)          rounds of [wrk on crt-api, pgbench], alternated; medians reported
#   BENCH_CONNECTIONS (64)    wrk connections = pgbench clients
#   BENCH_LOADGEN_THREADS (2) wrk -t = pgbench -j
#   BENCH_WARMUP (5)          seconds of unmeasured load on each side before round 1
#   CRT_THREADS (16)          crt-api worker threads (= its database connections)
#   BENCH_SWEEP ("")          e.g. "4 8 16 32": first one wrk run per CRT_THREADS value
#   BENCH_SWEEP_ROUNDS (1), BENCH_SWEEP_SECONDS (BENCH_SECONDS)
#   BENCH_PORT (18080)        where crt-api listens (127.0.0.1)
#   BENCH_KEEP=1              keep the work folder (wrk/pgbench outputs and logs)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

PERSONS=${BENCH_PERSONS:-100000}
SECS=${BENCH_SECONDS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
GEN_THREADS=${BENCH_LOADGEN_THREADS:-2}
WARMUP=${BENCH_WARMUP:-5}
API_THREADS=${CRT_THREADS:-16}
SWEEP=${BENCH_SWEEP:-}
SWEEP_ROUNDS=${BENCH_SWEEP_ROUNDS:-1}
SWEEP_SECS=${BENCH_SWEEP_SECONDS:-$SECS}
PORT=${BENCH_PORT:-18080}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
CONTROLLER=3                       # atlas
DEV_USER=atlas.coordinator         # sees every person of controller 3
GROUPS_LIT='{identification,contact,trajectory,situation}'   # h_persons.c all_groups_literal
PURPOSE=guidance                   # the default purpose of a read

# ---- set-up checks ----
: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder (run through deploy/local/crt-local bench)}"
: "${CRT_DATABASE_URL:?CRT_DATABASE_URL is not set}"
: "${CRT_OWNER_DATABASE_URL:?CRT_OWNER_DATABASE_URL is not set}"
: "${CRT_SUPER_DATABASE_URL:?CRT_SUPER_DATABASE_URL is not set}"
for n in "$PERSONS" "$SECS" "$ROUNDS" "$CONNS" "$GEN_THREADS" "$WARMUP" "$API_THREADS" "$PORT" \
         "$SWEEP_ROUNDS" "$SWEEP_SECS"; do
  [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
(( PERSONS >= 4 && SECS >= 1 && ROUNDS >= 1 && CONNS >= 1 )) || die "settings out of range"
for t in wrk curl psql python3 "$PGBENCH"; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ -x "$CRT_BUILD_DIR/services/api/crt-api" ] || die "no crt-api in $CRT_BUILD_DIR"
[ -x "$CRT_BUILD_DIR/services/ctl/crtctl" ] || die "no crtctl in $CRT_BUILD_DIR"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-bench.XXXXXX")
API_PID=
cleanup() {
  if [ -n "$API_PID" ]; then kill -TERM "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# Copies of the binaries: a concurrent rebuild of the build folder cannot swap them mid-run.
cp "$CRT_BUILD_DIR/services/api/crt-api" "$CRT_BUILD_DIR/services/ctl/crtctl" "$WORK/"
API_BIN=$WORK/crt-api
CTL_BIN=$WORK/crtctl

sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$CRT_SUPER_DATABASE_URL" "$@"; }

# ---- data ----
have=$(sq -c "SELECT count(*) FROM persons")
if (( have < PERSONS )); then
  say "seeding $((PERSONS - have)) persons"
  "$CTL_BIN" seed-bench "$((PERSONS - have))" >/dev/null || die "crtctl seed-bench failed"
fi
PER_CONTROLLER=$(sq -F' ' -c "SELECT string_agg(controller_id || ':' || n, ' ' ORDER BY controller_id)
                              FROM (SELECT controller_id, count(*) n FROM persons GROUP BY 1) c")
TOTAL=$(sq -c "SELECT count(*) FROM persons")
# The ids of controller 3, numbered 1..N: a file for wrk, a table for pgbench (see person_read.sql).
sq -c "DROP TABLE IF EXISTS bench_ids" \
   -c "CREATE UNLOGGED TABLE bench_ids (n serial PRIMARY KEY, id uuid NOT NULL)" \
   -c "INSERT INTO bench_ids (id) SELECT id FROM persons WHERE controller_id = $CONTROLLER ORDER BY id" \
   -c "GRANT SELECT ON bench_ids TO crt_api" \
   -c "VACUUM ANALYZE bench_ids" -c "VACUUM ANALYZE persons"
sq -c "SELECT id FROM bench_ids ORDER BY n" >"$WORK/ids.txt"
NIDS=$(wc -l <"$WORK/ids.txt")
(( NIDS > 0 )) || die "controller $CONTROLLER has no persons"
USER_ID=$(sq -c "SELECT id FROM staff_users WHERE username = '$DEV_USER'")
[ -n "$USER_ID" ] || die "no user $DEV_USER (crtctl seed-demo not run?)"
PG_VERSION=$(sq -c "SHOW server_version")
SYNC_COMMIT=$(sq -c "SHOW synchronous_commit")
FSYNC=$(sq -c "SHOW fsync")
PM_PID=$(head -1 "$(sq -c "SHOW data_directory")/postmaster.pid" 2>/dev/null || true)

# ---- CPU accounting (clock ticks) ----
CLK=$(getconf CLK_TCK)
ticks_of() {  # pid: utime+stime+cutime+cstime, 0 when gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
pg_ticks() {  # the postmaster (reaped backends land in its cutime) and its live children
  [ -n "$PM_PID" ] || { echo 0; return; }
  local t c
  t=$(ticks_of "$PM_PID")
  for c in $(ps -o pid= --ppid "$PM_PID"); do t=$(( t + $(ticks_of "$c") )); done
  echo "$t"
}
machine_ticks() {  # "busy total" over all CPUs
  local _c u n s i w q sq_ st _r
  read -r _c u n s i w q sq_ st _r </proc/stat
  echo "$(( u + n + s + q + sq_ + st )) $(( u + n + s + i + w + q + sq_ + st ))"
}
child_cpu() {  # "XmY.YYYs XmY.YYYs" (bash times, children line) -> seconds
  awk '{ t = 0; for (k = 1; k <= 2; k++) { split($k, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.2f", t }'
}

# ---- crt-api ----
start_api() {  # threads
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "127.0.0.1:$PORT is already in use (set BENCH_PORT)"; fi
  CRT_LISTEN=127.0.0.1:$PORT CRT_DEV_AUTH=1 CRT_THREADS=$1 "$API_BIN" >>"$WORK/crt-api.log" 2>&1 &
  API_PID=$!
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
    kill -0 "$API_PID" 2>/dev/null || { tail -20 "$WORK/crt-api.log" >&2; die "crt-api exited"; }
    sleep 0.1
  done
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-CRT-Dev-User: $DEV_USER" \
         "http://127.0.0.1:$PORT/v1/persons/$(head -1 "$WORK/ids.txt")")
  [ "$code" = 200 ] || die "crt-api answers $code to a read of a controller-$CONTROLLER person"
}
stop_api() {
  kill -TERM "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
  API_PID=
}
api_peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$API_PID/status"; }
route_count() {  # status ("" = all) -> count of answers of GET /v1/persons/{id}
  curl -fsS "http://127.0.0.1:$PORT/metrics" |
    awk -v st="$1" 'index($0, "crt_http_requests_total{method=\"GET\",route=\"/v1/persons/{id}\",status=\"") == 1 &&
                    (st == "" || index($0, "status=\"" st "\"}")) { n += $2 } END { print n + 0 }'
}
route_count_settled() {  # waits until requests still in crt-api after wrk stopped are answered
  local a b
  a=$(route_count "")
  for _ in $(seq 1 50); do
    sleep 0.2
    b=$(route_count "")
    [ "$a" = "$b" ] && break
    a=$b
  done
  route_count 200
}
log_rows() { sq -c "SELECT count(*) FROM access_log WHERE action = 'read' AND outcome = 'allowed'"; }

# ---- one measured run; appends a line to results.tsv ----
# columns: phase tag side threads rps p50 p99 ok errors server2xx rows cpu_api cpu_gen cpu_pg busy% secs
RESULTS=$WORK/results.tsv
: >"$RESULTS"

run_wrk() {  # phase tag seconds
  local phase=$1 tag=$2 secs=$3 out=$WORK/wrk-$2.txt
  sq -c "CHECKPOINT"
  local rows0 srv0 api0 pg0 m0 rows1 srv1 api1 pg1 m1
  rows0=$(log_rows); srv0=$(route_count 200)
  api0=$(ticks_of "$API_PID"); pg0=$(pg_ticks); m0=$(machine_ticks)
  ( rc=0
    wrk -t "$GEN_THREADS" -c "$CONNS" -d "${secs}s" --timeout 10s --latency \
      -s "$HERE/random_ids.lua" "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$DEV_USER" >"$out" 2>&1 || rc=$?
    times | tail -1 >"$out.cpu"; exit "$rc" ) || { cat "$out" >&2; die "wrk failed"; }
  api1=$(ticks_of "$API_PID"); pg1=$(pg_ticks); m1=$(machine_ticks)
  srv1=$(route_count_settled); rows1=$(log_rows)
  python3 "$HERE/report.py" wrk "$out" >"$out.parsed" || { cat "$out" >&2; die "cannot read wrk output"; }
  local rps p50 p99 total non2xx
  read -r rps p50 p99 total non2xx <"$out.parsed"
  printf '%s\t%s\tapi\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$tag" "$API_THREADS_NOW" \
    "$rps" "$p50" "$p99" "$((total - non2xx))" "$non2xx" "$((srv1 - srv0))" "$((rows1 - rows0))" \
    "$(awk -v a="$api0" -v b="$api1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(child_cpu <"$out.cpu")" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(echo "$m0 $m1" | awk '{ printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }')" "$secs" >>"$RESULTS"
}

run_pgbench() {  # phase tag seconds
  local phase=$1 tag=$2 secs=$3 out=$WORK/pgbench-$2.txt
  sq -c "CHECKPOINT"
  local rows0 pg0 m0 rows1 pg1 m1
  rows0=$(log_rows); pg0=$(pg_ticks); m0=$(machine_ticks)
  ( cd "$WORK" && rc=0
    "$PGBENCH" -n -M prepared -c "$CONNS" -j "$GEN_THREADS" -T "$secs" -f "$HERE/person_read.sql" \
      -D "nids=$NIDS" -D "ctl=$CONTROLLER" -D "uid=$USER_ID" -D "groups=$GROUPS_LIT" \
      -D "purpose=$PURPOSE" -l --log-prefix="pgblog-$tag" "$CRT_DATABASE_URL" >"$out" 2>&1 || rc=$?
    times | tail -1 >"$out.cpu"; exit "$rc" ) || { cat "$out" >&2; die "pgbench failed"; }
  pg1=$(pg_ticks); m1=$(machine_ticks); rows1=$(log_rows)
  python3 "$HERE/report.py" pgbench "$out" "$WORK"/pgblog-"$tag".* >"$out.parsed" ||
    { cat "$out" >&2; die "cannot read pgbench output"; }
  rm -f "$WORK"/pgblog-"$tag".*
  local tps p50 p99 done_ failed
  read -r tps p50 p99 done_ failed <"$out.parsed"
  printf '%s\t%s\tpgbench\t-\t%s\t%s\t%s\t%s\t%s\t-\t%s\t-\t%s\t%s\t%s\t%s\n' "$phase" "$tag" \
    "$tps" "$p50" "$p99" "$done_" "$failed" "$((rows1 - rows0))" \
    "$(child_cpu <"$out.cpu")" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(echo "$m0 $m1" | awk '{ printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }')" "$secs" >>"$RESULTS"
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_GB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
say "machine: $(nproc) CPUs ($CPU_MODEL), ${MEM_GB} GiB; PostgreSQL $PG_VERSION"
say "data: $TOTAL persons (controller:count $PER_CONTROLLER); reading controller $CONTROLLER ($NIDS ids) as $DEV_USER"
say "note: wrk/pgbench, crt-api and PostgreSQL share these $(nproc) CPUs: the load generator competes with the server"

# ---- optional sweep of CRT_THREADS ----
SWEEP_RSS=
if [ -n "$SWEEP" ]; then
  for t in $SWEEP; do [[ $t =~ ^[0-9]+$ ]] || die "BENCH_SWEEP: not a number: $t"; done
  for r in $(seq 1 "$SWEEP_ROUNDS"); do
    for t in $SWEEP; do
      API_THREADS_NOW=$t
      start_api "$t"
      say "sweep round $r: CRT_THREADS=$t, ${SWEEP_SECS}s"
      (( WARMUP > 0 )) && wrk -t "$GEN_THREADS" -c "$CONNS" -d "${WARMUP}s" -s "$HERE/random_ids.lua" \
        "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$DEV_USER" >/dev/null
      run_wrk sweep "sweep$r-t$t" "$SWEEP_SECS"
      SWEEP_RSS="$SWEEP_RSS $t:$(api_peak_rss_kb)"
      stop_api
    done
  done
fi

# ---- the rounds: wrk on crt-api, then pgbench, alternated ----
API_THREADS_NOW=$API_THREADS
start_api "$API_THREADS"
if (( WARMUP > 0 )); then
  say "warm-up: ${WARMUP}s each side (not measured)"
  wrk -t "$GEN_THREADS" -c "$CONNS" -d "${WARMUP}s" -s "$HERE/random_ids.lua" \
    "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$DEV_USER" >/dev/null
  (cd "$WORK" && "$PGBENCH" -n -M prepared -c "$CONNS" -j "$GEN_THREADS" -T "$WARMUP" \
     -f "$HERE/person_read.sql" -D "nids=$NIDS" -D "ctl=$CONTROLLER" -D "uid=$USER_ID" \
     -D "groups=$GROUPS_LIT" -D "purpose=$PURPOSE" "$CRT_DATABASE_URL" >/dev/null 2>&1) ||
    die "pgbench warm-up failed (try it by hand: see tests/bench/person_read.sql)"
fi
for r in $(seq 1 "$ROUNDS"); do
  say "round $r/$ROUNDS: wrk -> crt-api (CRT_THREADS=$API_THREADS), ${SECS}s"
  run_wrk main "r$r" "$SECS"
  say "round $r/$ROUNDS: pgbench -M prepared, ${SECS}s"
  run_pgbench main "r$r" "$SECS"
done
RSS_KB=$(api_peak_rss_kb)
stop_api

python3 "$HERE/report.py" table "$RESULTS" \
  --machine "$(nproc) CPUs ($CPU_MODEL), ${MEM_GB} GiB RAM; PostgreSQL $PG_VERSION (fsync=$FSYNC, synchronous_commit=$SYNC_COMMIT); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" \
  --data "$TOTAL persons (controller:count $PER_CONTROLLER); reads of controller $CONTROLLER's $NIDS persons as $DEV_USER" \
  --load "$CONNS connections, wrk -t$GEN_THREADS / pgbench -j$GEN_THREADS, ${SECS}s per run, $ROUNDS rounds, crt-api CRT_THREADS=$API_THREADS" \
  --rss-kb "$RSS_KB" --sweep-rss "$SWEEP_RSS"
