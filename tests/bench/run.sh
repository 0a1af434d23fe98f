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
#   BENCH_CONNECTIONS ("16 64") wrk connections = pgbench clients; each count gets its rounds
#   BENCH_USERS (32)          distinct accounts (coordinators of atlas, bench.coordinator.uNN) whose
#                             tokens a third run per round draws at random per request: the
#                             group commit then mixes many users' contexts in one transaction
#   BENCH_BATCH (16)          reads per transaction of the batched-ceiling pgbench run: what the
#                             database does when B reads share a commit (as crt-api's flights)
#   BENCH_LOADGEN_THREADS (2) wrk -t = pgbench -j
#   BENCH_WARMUP (5)          seconds of unmeasured load on each side before round 1
#   CRT_THREADS (crt-api's default: one per core, at least 2) crt-api worker threads, each with
#                             a blocking and a group-committing read connection; on the 2-CPU
#                             machine of docs/performance.md 2 beat 4 and 8 (larger flights)
#   BENCH_SWEEP ("")          e.g. "4 8 16 32": first one wrk run per CRT_THREADS value
#   BENCH_SWEEP_ROUNDS (1), BENCH_SWEEP_SECONDS (BENCH_SECONDS)
#   BENCH_PORT (18080)        where crt-api listens (127.0.0.1)
#   BENCH_QUIET_WAIT (120)    seconds to wait, before each run, for other work on the machine to stop
#   BENCH_NOISE (15)          a round's run is repeated (twice at most) when other processes took
#                             more than this % of a CPU during it
#   BENCH_USER (bench.coordinator)  the account the reads are made as (atlas, coordinator): created,
#                             or given a new password and second factor, with crtctl; logged in
#                             through the API (password + TOTP), token lifetime 1 h
#   BENCH_KEEP=1              keep the work folder (wrk/pgbench outputs and logs)
#   BENCH_STATEMENTS (1)      0: skip the per-statement figures at the end (tests/bench/statements.sh;
#                             they restart the cluster with pg_stat_statements, then without it)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

PERSONS=${BENCH_PERSONS:-100000}
SECS=${BENCH_SECONDS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS_LIST=${BENCH_CONNECTIONS:-16 64}
CONNS=${CONNS_LIST##* }   # the sweep and the warm-up use the last count
USERS=${BENCH_USERS:-32}
BATCH=${BENCH_BATCH:-16}
GEN_THREADS=${BENCH_LOADGEN_THREADS:-2}
WARMUP=${BENCH_WARMUP:-5}
API_THREADS=${CRT_THREADS:-$(( $(nproc) > 2 ? $(nproc) : 2 ))}  # as common/config.c
SWEEP=${BENCH_SWEEP:-}
SWEEP_ROUNDS=${BENCH_SWEEP_ROUNDS:-1}
SWEEP_SECS=${BENCH_SWEEP_SECONDS:-$SECS}
PORT=${BENCH_PORT:-18080}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
CONTROLLER_CODE=atlas              # controller 3
BENCH_USER=${BENCH_USER:-bench.coordinator}   # a coordinator sees every person of its controller

# ---- set-up checks ----
: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder (run through deploy/local/crt-local bench)}"
: "${CRT_DATABASE_URL:?CRT_DATABASE_URL is not set}"
: "${CRT_OWNER_DATABASE_URL:?CRT_OWNER_DATABASE_URL is not set}"
: "${CRT_SUPER_DATABASE_URL:?CRT_SUPER_DATABASE_URL is not set}"
for n in "$PERSONS" "$SECS" "$ROUNDS" $CONNS_LIST "$GEN_THREADS" "$WARMUP" "$API_THREADS" "$PORT" \
         "$SWEEP_ROUNDS" "$SWEEP_SECS" "$USERS" "$BATCH"; do
  [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
(( PERSONS >= 4 && SECS >= 1 && ROUNDS >= 1 && CONNS >= 1 && BATCH >= 1 )) || die "settings out of range"
[[ $BENCH_USER =~ ^[a-z0-9][a-z0-9._-]{2,63}$ ]] || die "BENCH_USER is not a username"
for t in wrk curl psql python3 "$PGBENCH"; do
  command -v "$t" >/dev/null || die "$t is not installed"
done
[ -x "$CRT_BUILD_DIR/services/api/crt-api" ] || die "no crt-api in $CRT_BUILD_DIR"
[ -x "$CRT_BUILD_DIR/services/ctl/crtctl" ] || die "no crtctl in $CRT_BUILD_DIR"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-bench.XXXXXX")
API_PID=
LOGGING_ON=0
cleanup() {
  if [ -n "$API_PID" ]; then kill -TERM "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ "$LOGGING_ON" = 1 ]; then statement_logging RESET || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# Copies of the binaries: a concurrent rebuild of the build folder cannot swap them mid-run.
# The server's copy has a name of its own, so that a test suite's clean-up stopping its crt-api
# processes by name on the same machine does not stop this one.
cp "$CRT_BUILD_DIR/services/api/crt-api" "$WORK/bench-server"
cp "$CRT_BUILD_DIR/services/ctl/crtctl" "$WORK/"
API_BIN=$WORK/bench-server
CTL_BIN=$WORK/crtctl

sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$CRT_SUPER_DATABASE_URL" "$@"; }

# ---- data ----
CONTROLLER=$(sq -c "SELECT id FROM controllers WHERE code = '$CONTROLLER_CODE'")
[ -n "$CONTROLLER" ] || die "no controller $CONTROLLER_CODE (crtctl migrate not run?)"
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
PG_VERSION=$(sq -c "SHOW server_version")
SYNC_COMMIT=$(sq -c "SHOW synchronous_commit")
FSYNC=$(sq -c "SHOW fsync")
PM_PID=$(head -1 "$(sq -c "SHOW data_directory")/postmaster.pid" 2>/dev/null || true)

# ---- the benchmark account: a fresh password (and, at first login, a fresh second factor) ----
(umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$WORK/password")
if [ -n "$(sq -c "SELECT 1 FROM staff_users WHERE username = '$BENCH_USER'")" ]; then
  for c in reset-mfa unlock enable; do "$CTL_BIN" user "$c" "$BENCH_USER" >/dev/null || die "crtctl user $c failed"; done
  "$CTL_BIN" user set-password "$BENCH_USER" <"$WORK/password" >/dev/null || die "crtctl user set-password failed"
else
  "$CTL_BIN" user create --controller "$CONTROLLER_CODE" --role coordinator \
    --name "Benchmark (tests/bench)" "$BENCH_USER" <"$WORK/password" >/dev/null || die "crtctl user create failed"
fi
[ "$(sq -c "SELECT role || ':' || controller_id FROM staff_users WHERE username = '$BENCH_USER'")" = "coordinator:$CONTROLLER" ] ||
  die "$BENCH_USER is not a coordinator of controller $CONTROLLER_CODE"
# BENCH_USERS more coordinators of the same controller, each logged in once per crt-api start
# (tokens last an hour): $WORK/tokens, one a line, for the many-users runs.
users_login() {
  local i u line
  : >"$WORK/tokens"
  for i in $(seq -w 1 "$USERS"); do
    u=bench.coordinator.u$i
    if [ -n "$(sq -c "SELECT 1 FROM staff_users WHERE username = '$u'")" ]; then
      for c in reset-mfa unlock enable; do "$CTL_BIN" user "$c" "$u" >/dev/null || die "crtctl user $c $u failed"; done
      "$CTL_BIN" user set-password "$u" <"$WORK/password" >/dev/null || die "crtctl user set-password $u failed"
    else
      "$CTL_BIN" user create --controller "$CONTROLLER_CODE" --role coordinator \
        --name "Benchmark user $i (tests/bench)" "$u" <"$WORK/password" >/dev/null || die "crtctl user create $u failed"
    fi
    rm -f "$WORK/totp-$i.json"
    line=$(python3 "$HERE/login.py" "http://127.0.0.1:$PORT" "$u" "$WORK/password" "$WORK/totp-$i.json") ||
      die "login of $u failed"
    (umask 077; printf '%s\n' "${line%% *}" >>"$WORK/tokens")
  done
}
TOKEN_EXP=0
login() {  # through the running crt-api; sets the token file and the session variables for pgbench
  local line
  line=$(python3 "$HERE/login.py" "http://127.0.0.1:$PORT" "$BENCH_USER" "$WORK/password" "$WORK/totp.json") ||
    die "login of $BENCH_USER failed"
  local old_sid=${SESSION_ID:-}
  read -r TOKEN USER_ID SESSION_ID TOKEN_CTL ROLE TOKEN_EXP <<<"$line"
  (umask 077; printf '%s\n' "$TOKEN" >"$WORK/token")
  # the captured statements name the session: keep pgbench on the live one
  if [ -n "$old_sid" ] && [ -s "$WORK/pgbench.vars" ]; then sed -i "s/$old_sid/$SESSION_ID/g" "$WORK/pgbench.vars"; fi
  [ "$TOKEN_CTL" = "$CONTROLLER" ] || die "the token is for controller $TOKEN_CTL"
}

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
pg_children() {
  local n=0
  if [ -n "$PM_PID" ]; then n=$(ps -o pid= --ppid "$PM_PID" | wc -l) || true; fi
  echo "$n"
}
pg_settle() {  # n: wait (up to 10 s) for exiting backends to be reaped, so that their CPU is counted
  local i
  for i in $(seq 1 100); do (( $(pg_children) <= $1 )) && return 0; sleep 0.1; done
}
machine_ticks() {  # "busy total" over all CPUs
  local _c u n s i w q sq_ st _r
  read -r _c u n s i w q sq_ st _r </proc/stat
  echo "$(( u + n + s + q + sq_ + st )) $(( u + n + s + i + w + q + sq_ + st ))"
}
child_cpu() {  # "XmY.YYYs XmY.YYYs" (second line of bash times: the children) -> seconds
  awk '{ t = 0; for (k = 1; k <= 2; k++) { split($k, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.2f", t }'
}

# ---- crt-api ----
start_api() {  # threads
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "127.0.0.1:$PORT is already in use (set BENCH_PORT)"; fi
  CRT_LISTEN=127.0.0.1:$PORT CRT_THREADS=$1 CRT_ACCESS_TOKEN_TTL_S=3600 \
    "$API_BIN" >>"$WORK/crt-api.log" 2>&1 &
  API_PID=$!
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
    kill -0 "$API_PID" 2>/dev/null || { tail -20 "$WORK/crt-api.log" >&2; die "crt-api exited"; }
    sleep 0.1
  done
  fresh_token 0
  reset_peak_rss
  PEAK_KB=0
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
         "http://127.0.0.1:$PORT/v1/persons/$(head -1 "$WORK/ids.txt")")
  [ "$code" = 200 ] || die "crt-api answers $code to a read of a controller-$CONTROLLER person"
}
# Logs in again when the token would expire within the next run (a login costs crt-api an
# scrypt hash: CPU and, while it runs, 128 MiB, so never during a measured run).
fresh_token() {  # seconds the token must still last
  (( TOKEN_EXP - $(date +%s) > $1 + 60 )) && return 0
  note_peak_rss
  login
  local kb; kb=$(api_peak_rss_kb)
  (( kb > LOGIN_PEAK_KB )) && LOGIN_PEAK_KB=$kb
  reset_peak_rss
}
# Peak RSS is read as VmHWM (PEAK_KB: the highest reading of the instance of the rounds). It is
# reset (clear_refs 5) after start-up and after each login, so that it is the peak of the reads;
# the peak with a login (LOGIN_PEAK_KB) is reported separately.
PEAK_KB=0
LOGIN_PEAK_KB=0
reset_peak_rss() {
  echo 5 >"/proc/$API_PID/clear_refs" 2>/dev/null || say "cannot reset crt-api's VmHWM: its peak includes start-up and login"
}
note_peak_rss() {
  [ -n "$API_PID" ] || return 0
  local kb; kb=$(api_peak_rss_kb)
  (( kb > PEAK_KB )) && PEAK_KB=$kb
  return 0
}
stop_api() {
  kill -TERM "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
  API_PID=
}
api_peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$API_PID/status"; }
api_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$API_PID/status"; }
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
flight_counts() {  # the read flights crt-api sent: "flights requests held" (services/api/batch.c)
  curl -fsS "http://127.0.0.1:$PORT/metrics" |
    awk '$1 == "crt_read_flights_total" { f = $2 } $1 == "crt_read_flight_requests_total" { r = $2 }
         $1 == "crt_read_flights_held_total" { h = $2 } END { print f + 0, r + 0, h + 0 }'
}
log_rows() { sq -c "SELECT count(*) FROM access_log WHERE action = 'read' AND outcome = 'allowed'"; }

# Other work on the machine (another build or test suite) would skew the figures: before each
# run, wait up to BENCH_QUIET_WAIT seconds (120) for a second in which the machine is < 25% busy.
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
quiet_wait() {
  local a b waited=0
  while :; do
    a=$(machine_ticks); sleep 1; b=$(machine_ticks)
    echo "$a $b" | awk '{ exit !(($3 - $1) < 0.25 * ($4 - $2)) }' && return 0
    waited=$((waited + 1))
    if (( waited >= QUIET_WAIT )); then say "the machine is still busy with other work; measuring anyway (see the 'other' column)"; return 0; fi
    (( waited % 10 == 1 )) && say "waiting for the machine to be quiet (other processes use the CPUs)"
  done
}

# ---- one measured run; appends a line to results.tsv ----
# columns: phase tag side threads rps p50 p99 ok errors server2xx rows cpu_api cpu_gen cpu_pg cpu_all window
# (cpu_*: CPU seconds of crt-api, of wrk or pgbench, of PostgreSQL, of the whole machine, over a
# window of `window` seconds: the run and the few tenths of a second after it)
RESULTS=$WORK/results.tsv
: >"$RESULTS"

run_wrk() {  # phase tag seconds [side tokens-file connections]
  local phase=$1 tag=$2 secs=$3 side=${4:-api} tokens=${5:-$WORK/token} conns=${6:-$CONNS}
  local out=$WORK/wrk-$2.txt
  fresh_token "$secs"
  sq -c "CHECKPOINT"
  quiet_wait
  local rows0 srv0 api0 pg0 m0 rows1 srv1 api1 pg1 m1
  rows0=$(log_rows); srv0=$(route_count 200); local fl0 fl1; fl0=$(flight_counts)
  api0=$(ticks_of "$API_PID"); pg0=$(pg_ticks); m0=$(machine_ticks)
  ( rc=0
    wrk -t "$GEN_THREADS" -c "$conns" -d "${secs}s" --timeout 10s --latency \
      -s "$HERE/random_ids.lua" "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$tokens" >"$out" 2>&1 || rc=$?
    times >"$out.cpu"; exit "$rc" ) || { cat "$out" >&2; die "wrk failed"; }
  api1=$(ticks_of "$API_PID"); pg1=$(pg_ticks); m1=$(machine_ticks)
  kill -0 "$API_PID" 2>/dev/null || { tail -5 "$WORK/crt-api.log" >&2; die "crt-api stopped during the run (signalled from outside?)"; }
  srv1=$(route_count_settled); rows1=$(log_rows); fl1=$(flight_counts)
  echo "$fl0 $fl1" | awk -v t="$tag" '{ f = $4 - $1; if (f > 0) printf "bench: %s: %d flights, %.1f requests per flight, %.0f %% of them held\n", t, f, ($5 - $2) / f, 100 * ($6 - $3) / f }' >&2
  python3 "$HERE/report.py" wrk "$out" >"$out.parsed" || { cat "$out" >&2; die "cannot read wrk output"; }
  local rps p50 p99 total non2xx
  read -r rps p50 p99 total non2xx <"$out.parsed"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$tag" "$side" "$API_THREADS_NOW" \
    "$rps" "$p50" "$p99" "$((total - non2xx))" "$non2xx" "$((srv1 - srv0))" "$((rows1 - rows0))" \
    "$(awk -v a="$api0" -v b="$api1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(tail -1 "$out.cpu" | child_cpu)" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(echo "$m0 $m1" | awk -v c="$CLK" -v n="$(nproc)" '{ printf "%.2f\t%.2f", ($3 - $1) / c, ($4 - $2) / c / n }')" \
    "$conns" >>"$RESULTS"
}

# pgbench runs in the same session (the one of the access token), as the API role: same RLS.
pgb_vars() {
  local v
  PGB_VARS=(-D "nids=$NIDS")
  while IFS= read -r v; do PGB_VARS+=(-D "$v"); done <"$WORK/pgbench.vars"
}
run_pgbench() {  # phase tag seconds [side script reads-per-transaction connections]
  local phase=$1 tag=$2 secs=$3 side=${4:-pgbench} script=${5:-$WORK/person_read.sql} per=${6:-1}
  local conns=${7:-$CONNS} out=$WORK/pgbench-$2.txt
  fresh_token "$secs"
  pgb_vars
  sq -c "CHECKPOINT"
  quiet_wait
  local rows0 pg0 m0 rows1 pg1 m1 kids0
  rows0=$(log_rows); kids0=$(pg_children); pg0=$(pg_ticks); m0=$(machine_ticks)
  ( cd "$WORK" && rc=0
    "$PGBENCH" -n -M prepared -c "$conns" -j "$GEN_THREADS" -T "$secs" -f "$script" \
      "${PGB_VARS[@]}" -l --log-prefix="pgblog-$tag" "$CRT_DATABASE_URL" >"$out" 2>&1 || rc=$?
    times >"$out.cpu"; exit "$rc" ) || { cat "$out" >&2; die "pgbench failed"; }
  pg_settle "$kids0"; pg1=$(pg_ticks); m1=$(machine_ticks); rows1=$(log_rows)
  python3 "$HERE/report.py" pgbench "$out" "$WORK"/pgblog-"$tag".* >"$out.parsed" ||
    { cat "$out" >&2; die "cannot read pgbench output"; }
  rm -f "$WORK"/pgblog-"$tag".*
  local tps p50 p99 done_ failed
  read -r tps p50 p99 done_ failed <"$out.parsed"
  # reads, not transactions: a batched transaction is $per reads (p50/p99 stay per transaction)
  printf '%s\t%s\t%s\t-\t%s\t%s\t%s\t%s\t%s\t-\t%s\t-\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$tag" "$side" \
    "$(awk -v t="$tps" -v p="$per" 'BEGIN { printf "%.1f", t * p }')" "$p50" "$p99" "$((done_ * per))" "$failed" "$((rows1 - rows0))" \
    "$(tail -1 "$out.cpu" | child_cpu)" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(echo "$m0 $m1" | awk -v c="$CLK" -v n="$(nproc)" '{ printf "%.2f\t%.2f", ($3 - $1) / c, ($4 - $2) / c / n }')" \
    "$conns" >>"$RESULTS"
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_GB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
say "machine: $(nproc) CPUs ($CPU_MODEL), ${MEM_GB} GiB; PostgreSQL $PG_VERSION"
say "data: $TOTAL persons (controller:count $PER_CONTROLLER); reading controller $CONTROLLER ($NIDS ids) as $BENCH_USER"
say "note: wrk/pgbench, crt-api and PostgreSQL share these $(nproc) CPUs: the load generator competes with the server"

# ---- the SQL of one read, as crt-api sends it -> the pgbench script ----
# PostgreSQL logs every statement of crt_api for the time of one read by a 1-thread crt-api (the
# log is the postmaster's stderr, the file crt-local gives pg_ctl -l); pgbench_script.py turns
# that transaction into $WORK/person_read.sql. pgbench thus always repeats what this build of
# crt-api does; tests/bench/person_read.sql is a copy kept for reading and is compared.
DBNAME=$(sq -c "SELECT current_database()")
statement_logging() {  # SET|RESET
  if [ "$1" = SET ]; then
    sq -c "ALTER ROLE crt_api IN DATABASE $DBNAME SET log_statement = 'all'"; LOGGING_ON=1
  else
    sq -c "ALTER ROLE crt_api IN DATABASE $DBNAME RESET log_statement"; LOGGING_ON=0
  fi
}
PGLOG=$( [ -n "$PM_PID" ] && readlink -f "/proc/$PM_PID/fd/2" || true)
[ -n "$PGLOG" ] && [ -f "$PGLOG" ] && [ -r "$PGLOG" ] ||
  die "cannot read PostgreSQL's log (postmaster stderr: ${PGLOG:-unknown}); it is needed to capture crt-api's statements"
API_THREADS_NOW=1
start_api 1   # logs the account in first, so that no login statement is logged
stop_api
statement_logging SET
log_size=$(stat -c %s "$PGLOG")
start_api 1
CAPTURE_ID=bench-capture-$(date +%s)-$$
CAPTURE_PERSON=$(sed -n '2p' "$WORK/ids.txt")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "X-Request-Id: $CAPTURE_ID" \
       "http://127.0.0.1:$PORT/v1/persons/$CAPTURE_PERSON")
stop_api
statement_logging RESET
[ "$code" = 200 ] || die "the captured read answered $code"
tail -c +"$((log_size + 1))" "$PGLOG" >"$WORK/capture.log"
python3 "$HERE/pgbench_script.py" "$WORK/capture.log" "$CAPTURE_ID" "$CAPTURE_PERSON" \
  "$WORK/person_read.sql" "$WORK/pgbench.vars" "$BATCH" "$WORK/person_read_batch.sql" || die "cannot make the pgbench script (see $WORK/capture.log, BENCH_KEEP=1)"
if ! diff -q <(grep -v '^--' "$WORK/person_read.sql") <(grep -v '^--' "$HERE/person_read.sql") >/dev/null 2>&1; then
  say "note: crt-api's statements differ from tests/bench/person_read.sql (the copy kept for reading);"
  say "      this run uses the ones just captured (BENCH_KEEP=1 keeps $WORK/person_read.sql)"
  SCRIPT_NOTE="pgbench script: captured from this build (differs from tests/bench/person_read.sql)"
else
  SCRIPT_NOTE="pgbench script: captured from this build (= tests/bench/person_read.sql)"
fi
say "$SCRIPT_NOTE: $(grep -c ';$' "$WORK/person_read.sql") statements per transaction"

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
        "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$WORK/token" >/dev/null
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
  pgb_vars
  wrk -t "$GEN_THREADS" -c "$CONNS" -d "${WARMUP}s" -s "$HERE/random_ids.lua" \
    "http://127.0.0.1:$PORT" -- "$WORK/ids.txt" "$WORK/token" >/dev/null
  (cd "$WORK" && "$PGBENCH" -n -M prepared -c "$CONNS" -j "$GEN_THREADS" -T "$WARMUP" \
     -f "$WORK/person_read.sql" "${PGB_VARS[@]}" "$CRT_DATABASE_URL" >/dev/null 2>&1) ||
    die "pgbench warm-up failed (try it by hand with $WORK/person_read.sql, BENCH_KEEP=1)"
fi
# A run during which other processes took more than BENCH_NOISE % of a CPU is marked noisy
# (listed, not counted) and repeated, at most twice.
NOISE=${BENCH_NOISE:-15}
measure() {  # wrk|pgbench tag seconds [run_* arguments]
  local try other kind=$1 tag=$2 secs=$3
  shift 3
  for try in 1 2 3; do
    "run_$kind" main "$tag" "$secs" "$@"
    other=$(tail -1 "$RESULTS" | awk -F'\t' '{ o = $15 - ($12 == "-" ? 0 : $12) - $13 - $14; printf "%d", 100 * o / $16 }')
    (( other <= NOISE || try == 3 )) && return 0
    say "other processes used ${other}% of a CPU during that run: repeating it"
    sed -i '$ s/^main\t/noisy\t/' "$RESULTS"
  done
}
(( USERS > 0 )) && { say "logging in $USERS more accounts"; users_login; reset_peak_rss; }
for c in $CONNS_LIST; do
  for r in $(seq 1 "$ROUNDS"); do
    say "c=$c round $r/$ROUNDS: wrk -> crt-api (CRT_THREADS=$API_THREADS), one token, ${SECS}s"
    measure wrk "c$c-r$r" "$SECS" api "$WORK/token" "$c"
    if (( USERS > 0 )); then
      say "c=$c round $r/$ROUNDS: wrk -> crt-api, $USERS users' tokens at random, ${SECS}s"
      measure wrk "c$c-r$r-u" "$SECS" api-users "$WORK/tokens" "$c"
    fi
    say "c=$c round $r/$ROUNDS: pgbench -M prepared, one commit per read, ${SECS}s"
    measure pgbench "c$c-r$r" "$SECS" pgbench "$WORK/person_read.sql" 1 "$c"
    say "c=$c round $r/$ROUNDS: pgbench -M prepared, $BATCH reads per commit, ${SECS}s"
    measure pgbench "c$c-r$r-b" "$SECS" pgb-batch "$WORK/person_read_batch.sql" "$BATCH" "$c"
  done
done
note_peak_rss
RSS_KB=$PEAK_KB
IDLE_KB=$(api_rss_kb)
stop_api

python3 "$HERE/report.py" table "$RESULTS" \
  --machine "$(nproc) CPUs ($CPU_MODEL), ${MEM_GB} GiB RAM; PostgreSQL $PG_VERSION (fsync=$FSYNC, synchronous_commit=$SYNC_COMMIT); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" \
  --data "$TOTAL persons (controller:count $PER_CONTROLLER); reads of controller $CONTROLLER's $NIDS persons as $BENCH_USER (Bearer token)" \
  --script "$SCRIPT_NOTE" \
  --load "$CONNS_LIST connections, $USERS users in the api-users runs, $BATCH reads per commit in the pgb-batch runs, wrk -t$GEN_THREADS / pgbench -j$GEN_THREADS, ${SECS}s per run, $ROUNDS rounds, crt-api CRT_THREADS=$API_THREADS" \
  --rss-kb "$RSS_KB" --rss-end-kb "$IDLE_KB" --login-rss-kb "$LOGIN_PEAK_KB" --sweep-rss "$SWEEP_RSS"

# ---- where PostgreSQL's time per read goes (issue 16 item 4): tests/bench/statements.sh ----
if [ "${BENCH_STATEMENTS:-1}" != 0 ]; then
  if [ -n "${CRT_PG_RESTART:-}" ]; then
    "$HERE/statements.sh" "$WORK" "$NIDS" || say "the per-statement figures could not be taken"
  else
    say "per-statement figures skipped: CRT_PG_RESTART is not set (crt-local bench sets it)"
  fi
fi
