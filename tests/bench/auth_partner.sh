#!/usr/bin/env bash
# tests/bench/auth_partner.sh: what authentication, need-to-know and partner pulls cost crt-api.
# Prints figures (no pass/fail); exits non-zero only on set-up errors.
#   1. token verification: tests/bench/token_verify.c (token_verify vs. the per-worker cache hit)
#   2. logins per second: password (scrypt) + TOTP, K accounts logging in at once
#   3. need-to-know on GET /v1/persons/{id} under wrk: a coordinator (coordinator_scope) vs. a
#      caseworker assigned to every person read (assignment: an EXISTS on case_assignments), and
#      the coordinator again with a different token on every request (the full token_verify each
#      time: what the per-worker token cache saves)
#   4. a partner's pull: GET /v1/partner/persons?limit=500 followed to the end, with the check that
#      every person returned left exactly one disclosure row
# Files: this script, tests/bench/token_verify.c (part 1; its --mint makes the tokens of part 3's
# new-token variant), tests/bench/random_ids.lua (the wrk script); figures and their reading
# in docs/performance-auth-partner.md.
#
# Environment: what `deploy/local/crt-local bench` exports (CRT_BUILD_DIR, CRT_DATABASE_URL,
# CRT_OWNER_DATABASE_URL, CRT_SUPER_DATABASE_URL, CRT_JWT_PRIVATE_KEY_FILE,
# CRT_JWT_PUBLIC_KEY_FILE, CRT_DATA_KEY_FILE, CRT_INDEX_KEY_FILE, PGHOST/PGPORT), against a
# migrated database with the demo seed (crtctl seed-demo). `crt-local db` exports all of these but
# CRT_SUPER_DATABASE_URL (host=<socket dir> port=<port> dbname=crt user=postgres) and
# CRT_BUILD_DIR. The script starts its own crt-api. Settings (environment):
#   BENCH_PERSONS (100000)     persons in the database (crtctl seed-bench tops up; four controllers)
#   BENCH_PORT (18181)         where this script's crt-api listens (127.0.0.1)
#   BENCH_LOGINS (16)          K: accounts created (intake, atlas) and logged in at once
#   BENCH_LOGIN_ROUNDS (1)     bursts of K logins (each waits for a new 30-second TOTP step)
#   CRT_SCRYPT_LOG2N (17), CRT_HASH_THREADS (2)   the production password-hash cost and threads
#   BENCH_SECONDS (20)         length of each measured wrk run
#   BENCH_ROUNDS (3)           rounds of [coordinator, caseworker, coordinator-new-token]; medians
#   BENCH_CONNECTIONS (64), BENCH_LOADGEN_THREADS (2)   wrk -c / -t
#   BENCH_WARMUP (5)           seconds of unmeasured load per variant before round 1
#   CRT_THREADS (8)            crt-api worker threads
#   BENCH_MISS_TOKENS (1000)   distinct tokens of the new-token variant (64 cache slots per worker)
#   BENCH_REFERRALS (10000)    persons of controller 3 referred to the benchmark partner
#   BENCH_PAGE (500)           limit of the partner's pages
#   BENCH_TOKEN_N (20000)      token_verify calls per batch
#   BENCH_TOKEN_VERIFY_BIN     a built tests/bench/token_verify.c; otherwise it is compiled here
#                              with gcc against $CRT_BUILD_DIR/common/libcrt.a
#   BENCH_QUIET_WAIT (600)     before each part: seconds to wait, polling every 30 s, for no other
#                              wrk/pgbench and a machine under 25 % busy; measured anyway after
#   BENCH_RUN_QUIET_WAIT (60)  the same before each wrk run
#   BENCH_KEEP=1               keep the work folder (outputs, crt-api log)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
say() { printf 'auth_partner: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

PERSONS=${BENCH_PERSONS:-100000}
PORT=${BENCH_PORT:-18181}
K=${BENCH_LOGINS:-16}
LOGIN_ROUNDS=${BENCH_LOGIN_ROUNDS:-1}
export CRT_SCRYPT_LOG2N=${CRT_SCRYPT_LOG2N:-17} CRT_HASH_THREADS=${CRT_HASH_THREADS:-2}
SECS=${BENCH_SECONDS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
GEN_THREADS=${BENCH_LOADGEN_THREADS:-2}
WARMUP=${BENCH_WARMUP:-5}
API_THREADS=${CRT_THREADS:-8}
MISS_TOKENS=${BENCH_MISS_TOKENS:-1000}
REFERRALS=${BENCH_REFERRALS:-10000}
PAGE=${BENCH_PAGE:-500}
TOKEN_N=${BENCH_TOKEN_N:-20000}
QUIET_WAIT=${BENCH_QUIET_WAIT:-600}
RUN_QUIET_WAIT=${BENCH_RUN_QUIET_WAIT:-60}
CONTROLLER_CODE=atlas
API=http://127.0.0.1:$PORT

# ---- set-up checks ----
: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder}"
: "${CRT_DATABASE_URL:?CRT_DATABASE_URL is not set}"
: "${CRT_OWNER_DATABASE_URL:?CRT_OWNER_DATABASE_URL is not set}"
: "${CRT_SUPER_DATABASE_URL:?CRT_SUPER_DATABASE_URL is not set (host=<socket dir> port=<port> dbname=<db> user=postgres)}"
for v in CRT_JWT_PRIVATE_KEY_FILE CRT_JWT_PUBLIC_KEY_FILE CRT_DATA_KEY_FILE CRT_INDEX_KEY_FILE; do
  [ -n "${!v:-}" ] && [ -r "${!v}" ] || die "$v is not set or not readable"
done
for n in "$PERSONS" "$PORT" "$K" "$LOGIN_ROUNDS" "$SECS" "$ROUNDS" "$CONNS" "$GEN_THREADS" "$WARMUP" \
         "$API_THREADS" "$MISS_TOKENS" "$REFERRALS" "$PAGE" "$TOKEN_N" "$QUIET_WAIT" "$RUN_QUIET_WAIT" \
         "$CRT_SCRYPT_LOG2N" "$CRT_HASH_THREADS"; do
  [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
(( PERSONS >= 4 && K >= 1 && K <= 200 && LOGIN_ROUNDS >= 1 && SECS >= 1 && ROUNDS >= 1 && CONNS >= 1 &&
   MISS_TOKENS >= 2 && REFERRALS >= 1 && PAGE >= 1 && PAGE <= 500 && TOKEN_N >= 1 )) || die "settings out of range"
for t in curl jq oathtool wrk psql; do command -v "$t" >/dev/null || die "$t is not installed"; done
[ -x "$CRT_BUILD_DIR/services/api/crt-api" ] || die "no crt-api in $CRT_BUILD_DIR"
[ -x "$CRT_BUILD_DIR/services/ctl/crtctl" ] || die "no crtctl in $CRT_BUILD_DIR"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "127.0.0.1:$PORT is already in use (set BENCH_PORT)"; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-authbench.XXXXXX")
chmod 700 "$WORK"
mkdir "$WORK/acct" "$WORK/login"
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
sq -c "SELECT 1" >/dev/null || die "cannot connect as the superuser (CRT_SUPER_DATABASE_URL)"

# ---- CPU accounting (clock ticks), and waiting for a quiet machine ----
CLK=$(getconf CLK_TCK)
NPROC=$(nproc)
ticks_of() {  # pid: utime+stime+cutime+cstime, 0 when gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
PM_PID=$(head -1 "$(sq -c "SHOW data_directory")/postmaster.pid" 2>/dev/null || true)
pg_ticks() {  # our cluster: the postmaster (reaped backends land in its cutime) and its children
  [ -n "$PM_PID" ] || { echo 0; return; }
  local t c
  t=$(ticks_of "$PM_PID")
  for c in $(ps -o pid= --ppid "$PM_PID"); do t=$(( t + $(ticks_of "$c") )); done
  echo "$t"
}
child_cpu() {  # second line of bash's `times` ("XmY.YYYs XmY.YYYs": the children) -> seconds
  awk '{ t = 0; for (k = 1; k <= 2; k++) { split($k, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.2f", t }'
}
machine_ticks() {  # "busy total" over all CPUs
  local _c u n s i w q sq_ st _r
  read -r _c u n s i w q sq_ st _r </proc/stat
  echo "$(( u + n + s + q + sq_ + st )) $(( u + n + s + i + w + q + sq_ + st ))"
}
busy_pct() {  # the machine's busy % over 2 s
  local a b
  a=$(machine_ticks); sleep 2; b=$(machine_ticks)
  echo "$a $b" | awk '{ d = $4 - $2; printf "%d", (d > 0 ? 100 * ($3 - $1) / d : 0) }'
}
others() {  # other load generators on the machine (ours are not running when this is asked)
  { pgrep -a -x wrk || true; pgrep -a -x pgbench || true; } | awk '{ printf "%s%s[%s]", (NR > 1 ? ", " : ""), $2, $1 }'
}
# wait_quiet LABEL MAXSECONDS: polls every 30 s; QUIET_NOTE says what was found
declare -A QUIET
wait_quiet() {
  local label=$1 max=$2 waited=0 o b
  while :; do
    o=$(others); b=$(busy_pct)
    if [ -z "$o" ] && (( b < 25 )); then
      QUIET_NOTE="quiet: machine ${b}% busy, no other wrk/pgbench"
      (( waited == 0 )) || QUIET_NOTE+=" (after waiting ${waited}s)"
      break
    fi
    if (( waited >= max )); then
      QUIET_NOTE="NOT quiet after ${waited}s: machine ${b}% busy${o:+, other load generators: $o}"
      say "$label: measuring anyway: $QUIET_NOTE"
      break
    fi
    say "$label: waiting for the machine to be quiet (${b}% busy${o:+; running: $o}), next look in 30 s"
    sleep 30
    waited=$(( waited + 32 ))
  done
  QUIET[$label]=$QUIET_NOTE
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_GB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
PG_VERSION=$(sq -c "SHOW server_version")
echo "== crt auth / need-to-know / partner benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $NPROC CPUs ($CPU_MODEL), ${MEM_GB} GiB RAM; PostgreSQL $PG_VERSION; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "note: the load generator (curl/wrk), crt-api and PostgreSQL share these $NPROC CPUs"

# ======================= 1. token verification =======================
TV_BIN=${BENCH_TOKEN_VERIFY_BIN:-}
if [ -z "$TV_BIN" ]; then
  for c in "$CRT_BUILD_DIR/tests/bench/bench_token_verify" "$CRT_BUILD_DIR/bench_token_verify"; do
    [ -x "$c" ] && { TV_BIN=$c; break; }
  done
fi
if [ -z "$TV_BIN" ]; then
  [ -f "$CRT_BUILD_DIR/common/libcrt.a" ] || die "no $CRT_BUILD_DIR/common/libcrt.a to build token_verify against"
  command -v gcc >/dev/null || die "gcc is not installed (or set BENCH_TOKEN_VERIFY_BIN)"
  say "compiling tests/bench/token_verify.c"
  # shellcheck disable=SC2046
  gcc -std=c17 -D_GNU_SOURCE -O2 -I "$ROOT/common/include" $(pkg-config --cflags jansson libpq libevent) \
    "$HERE/token_verify.c" "$CRT_BUILD_DIR/common/libcrt.a" \
    $(pkg-config --libs jansson libpq libevent libevent_pthreads openssl liboath libjwt) -lpthread \
    -o "$WORK/bench_token_verify" || die "token_verify.c does not compile"
  TV_BIN=$WORK/bench_token_verify
fi
wait_quiet "token" "$QUIET_WAIT"
echo
echo "== 1. access-token verification (one thread; ${QUIET[token]})"
"$TV_BIN" "$TOKEN_N" | tee "$WORK/token.txt" || die "token_verify failed"
VERIFY_US=$(awk '/^token_verify \(cache miss\)/ { print $4 }' "$WORK/token.txt")
HIT_US=$(awk '/^identity.c cache hit/ { print $7 }' "$WORK/token.txt")
[ -n "$VERIFY_US" ] && [ -n "$HIT_US" ] || die "cannot read the token_verify figures"

# ======================= set-up: persons, accounts, crt-api =======================
CONTROLLER=$(sq -c "SELECT id FROM controllers WHERE code = '$CONTROLLER_CODE'")
[ -n "$CONTROLLER" ] || die "no controller $CONTROLLER_CODE (crtctl migrate not run?)"
have=$(sq -c "SELECT count(*) FROM persons")
if (( have < PERSONS )); then
  say "seeding $((PERSONS - have)) persons"
  "$CTL_BIN" seed-bench "$((PERSONS - have))" >/dev/null || die "crtctl seed-bench failed"
fi
TOTAL=$(sq -c "SELECT count(*) FROM persons")
sq -c "SELECT id FROM persons WHERE controller_id = $CONTROLLER ORDER BY id" >"$WORK/ids.txt"
NIDS=$(wc -l <"$WORK/ids.txt")
(( NIDS > 0 )) || die "controller $CONTROLLER has no persons"

start_api() {
  CRT_LISTEN=127.0.0.1:$PORT CRT_THREADS=$API_THREADS CRT_ACCESS_TOKEN_TTL_S=3600 \
    "$API_BIN" >>"$WORK/crt-api.log" 2>&1 &
  API_PID=$!
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "$API/readyz" 2>/dev/null && return 0
    kill -0 "$API_PID" 2>/dev/null || { tail -20 "$WORK/crt-api.log" >&2; die "crt-api exited"; }
    sleep 0.1
  done
  die "crt-api is not ready after 10 s"
}

# Accounts: bench.ap.loginNN (intake) for the logins, bench.ap.coord and bench.ap.case for the reads.
# Existing ones (an earlier run) get a fresh password and lose their second factor.
new_password() { (umask 077; head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$WORK/acct/$1.pw"); }
make_account() {  # username role
  local u=$1 role=$2 c
  new_password "$u"
  if [ -n "$(sq -c "SELECT 1 FROM staff_users WHERE username = '$u'")" ]; then
    for c in reset-mfa unlock enable; do "$CTL_BIN" user "$c" "$u" >/dev/null || die "crtctl user $c $u failed"; done
    "$CTL_BIN" user set-password "$u" <"$WORK/acct/$u.pw" >/dev/null || die "crtctl user set-password $u failed"
  else
    "$CTL_BIN" user create --controller "$CONTROLLER_CODE" --role "$role" --name "Benchmark $u (auth_partner.sh)" \
      "$u" <"$WORK/acct/$u.pw" >/dev/null || die "crtctl user create $u failed"
  fi
  [ "$(sq -c "SELECT role || ':' || controller_id FROM staff_users WHERE username = '$u'")" = "$role:$CONTROLLER" ] ||
    die "$u is not a $role of controller $CONTROLLER"
}

post_json() {  # path json-from-stdin -> body on stdout; "http_code time_total" into $2 (a file)
  curl -sS -m 120 -H 'Content-Type: application/json' --data-binary @- -o - \
    -w '\n%{http_code} %{time_total}\n' "$API$1" >"$2" || true
}
# body of a post_json result file (every line but the last) and its last line
body_of() { sed '$d' "$1"; }
status_of() { tail -1 "$1" | cut -d' ' -f1; }

# Enrolment through the API: login -> enrol_token -> secret -> confirm with a first code.
# Writes <u>.secret, <u>.step (the TOTP step used), <u>.token; "ok" or a reason in <u>.enrol.
enrol() {
  local u=$1 d=$WORK/acct r et secret code step
  jq -nc --arg u "$u" --rawfile p "$d/$u.pw" '{username: $u, password: ($p | rtrimstr("\n"))}' |
    post_json /v1/auth/login "$d/$u.r1"
  et=$(body_of "$d/$u.r1" | jq -r '.enrol_token // empty' 2>/dev/null || true)
  [ -n "$et" ] || { echo "login: $(status_of "$d/$u.r1") $(body_of "$d/$u.r1" | head -c 200)" >"$d/$u.enrol"; return; }
  jq -nc --arg t "$et" '{enrol_token: $t}' | post_json /v1/auth/totp/enrol "$d/$u.r2"
  secret=$(body_of "$d/$u.r2" | jq -r '.secret // empty' 2>/dev/null || true)
  [ -n "$secret" ] || { echo "enrol: $(status_of "$d/$u.r2") $(body_of "$d/$u.r2" | head -c 200)" >"$d/$u.enrol"; return; }
  (umask 077; printf '%s\n' "$secret" >"$d/$u.secret")
  step=$(( ${EPOCHREALTIME%.*} / 30 ))
  code=$(oathtool --totp -b "$secret")
  jq -nc --arg t "$et" --arg c "$code" '{enrol_token: $t, code: $c}' | post_json /v1/auth/totp/enrol/confirm "$d/$u.r3"
  body_of "$d/$u.r3" | jq -r '.access_token // empty' >"$d/$u.token" 2>/dev/null || true
  [ -s "$d/$u.token" ] || { echo "confirm: $(status_of "$d/$u.r3") $(body_of "$d/$u.r3" | head -c 200)" >"$d/$u.enrol"; return; }
  echo "$step" >"$d/$u.step"
  echo ok >"$d/$u.enrol"
}

# The full login of an enrolled account: password -> mfa_token -> TOTP code -> access token.
# Writes "<ok|failure reason> total_s password_s totp_s" into $WORK/login/<u>.res, the token into
# $WORK/acct/<u>.token and the step used into <u>.step.
login_flow() {
  local u=$1 d=$WORK/acct t0 t1 t2 mt code step st
  t0=$EPOCHREALTIME
  jq -nc --arg u "$u" --rawfile p "$d/$u.pw" '{username: $u, password: ($p | rtrimstr("\n"))}' |
    post_json /v1/auth/login "$d/$u.l1"
  t1=$EPOCHREALTIME
  mt=$(body_of "$d/$u.l1" | jq -r '.mfa_token // empty' 2>/dev/null || true)
  if [ -z "$mt" ]; then
    echo "login_$(status_of "$d/$u.l1") $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f %.3f 0", b - a, b - a }')" >"$WORK/login/$u.res"
    return
  fi
  step=$(( ${EPOCHREALTIME%.*} / 30 ))
  code=$(oathtool --totp -b "$(cat "$d/$u.secret")")
  jq -nc --arg t "$mt" --arg c "$code" '{mfa_token: $t, code: $c}' | post_json /v1/auth/totp "$d/$u.l2"
  t2=$EPOCHREALTIME
  st=ok
  body_of "$d/$u.l2" | jq -r '.access_token // empty' >"$d/$u.token.new" 2>/dev/null || true
  if [ -s "$d/$u.token.new" ]; then mv "$d/$u.token.new" "$d/$u.token"; echo "$step" >"$d/$u.step"; else st=totp_$(status_of "$d/$u.l2"); fi
  echo "$st $(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.3f %.3f %.3f", c - a, b - a, c - b }')" >"$WORK/login/$u.res"
}
# Waits until the TOTP step is later than every step the given accounts used.
wait_new_step() {
  local u max=0 s now
  for u in "$@"; do s=$(cat "$WORK/acct/$u.step"); (( s > max )) && max=$s; done
  while :; do
    now=${EPOCHREALTIME%.*}
    (( now / 30 > max )) && break
    sleep "$(( (max + 1) * 30 - now ))" 2>/dev/null || sleep 1
    sleep 0.2
  done
  # not in the last 2 s of a step: every code of a burst then falls in one step (window +-1 anyway)
  now=${EPOCHREALTIME%.*}
  if (( now % 30 >= 28 )); then sleep $(( 30 - now % 30 )); fi
}
claims_of() {  # token -> "sub sid ctl role iat exp" (the payload; the signature is crt-api's business)
  local p
  p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
  while (( ${#p} % 4 )); do p+="="; done
  base64 -d <<<"$p" 2>/dev/null | jq -r '"\(.sub) \(.sid) \(.ctl) \(.role) \(.iat) \(.exp)"'
}

LOGIN_USERS=()
for i in $(seq 1 "$K"); do LOGIN_USERS+=("$(printf 'bench.ap.login%02d' "$i")"); done
COORD=bench.ap.coord
CASEW=bench.ap.case
say "accounts: ${#LOGIN_USERS[@]} intake accounts for the logins, $COORD (coordinator), $CASEW (caseworker), at $CONTROLLER_CODE"
for u in "${LOGIN_USERS[@]}"; do make_account "$u" intake; done
make_account "$COORD" coordinator
make_account "$CASEW" caseworker
COORD_ID=$(sq -c "SELECT id FROM staff_users WHERE username = '$COORD'")
CASEW_ID=$(sq -c "SELECT id FROM staff_users WHERE username = '$CASEW'")

start_api
say "crt-api on $API (CRT_THREADS=$API_THREADS, CRT_SCRYPT_LOG2N=$CRT_SCRYPT_LOG2N, CRT_HASH_THREADS=$CRT_HASH_THREADS)"
HASH_QUEUE=${CRT_HASH_QUEUE:-16}
# Enrolments, at most HASH_QUEUE/2 at once (each is a login: one scrypt run on the hash threads).
say "enrolling the second factor of $((K + 2)) accounts through the API"
par=$(( HASH_QUEUE / 2 )); (( par >= 1 )) || par=1
pids=()
for u in "${LOGIN_USERS[@]}" "$COORD" "$CASEW"; do
  enrol "$u" &
  pids+=($!)
  if (( ${#pids[@]} >= par )); then wait "${pids[@]}" || true; pids=(); fi
done
(( ${#pids[@]} == 0 )) || wait "${pids[@]}" || true
for u in "${LOGIN_USERS[@]}" "$COORD" "$CASEW"; do
  [ "$(cat "$WORK/acct/$u.enrol" 2>/dev/null)" = ok ] || die "enrolment of $u failed: $(cat "$WORK/acct/$u.enrol" 2>/dev/null)"
done

# ======================= 2. logins per second =======================
# One password step alone, three times (an mfa_token left unused costs nothing): scrypt latency.
api_cpu() { ticks_of "$API_PID"; }
wait_quiet "login" "$QUIET_WAIT"
SINGLE=()
for i in 1 2 3; do
  jq -nc --arg u "${LOGIN_USERS[0]}" --rawfile p "$WORK/acct/${LOGIN_USERS[0]}.pw" \
    '{username: $u, password: ($p | rtrimstr("\n"))}' | post_json /v1/auth/login "$WORK/single"
  [ "$(status_of "$WORK/single")" = 200 ] || die "a login of ${LOGIN_USERS[0]} answered $(status_of "$WORK/single")"
  SINGLE+=("$(tail -1 "$WORK/single" | cut -d' ' -f2)")
done
SINGLE_S=$(printf '%s\n' "${SINGLE[@]}" | sort -n | sed -n 2p)
: >"$WORK/login/all.tsv"
: >"$WORK/login/bursts.tsv"
for r in $(seq 1 "$LOGIN_ROUNDS"); do
  wait_new_step "${LOGIN_USERS[@]}"
  rm -f "$WORK"/login/bench.*.res
  say "login burst $r/$LOGIN_ROUNDS: $K logins at once (password + TOTP)"
  api0=$(api_cpu); pg0=$(pg_ticks); m0=$(machine_ticks); times >"$WORK/times0"; cl0=$(tail -1 "$WORK/times0" | child_cpu)
  tb0=$EPOCHREALTIME
  pids=()
  for u in "${LOGIN_USERS[@]}"; do login_flow "$u" & pids+=($!); done
  wait "${pids[@]}" || true
  tb1=$EPOCHREALTIME
  api1=$(api_cpu); pg1=$(pg_ticks); m1=$(machine_ticks); times >"$WORK/times1"; cl1=$(tail -1 "$WORK/times1" | child_cpu)
  for u in "${LOGIN_USERS[@]}"; do echo "$(cat "$WORK/login/$u.res" 2>/dev/null || echo "noresult 0 0 0")" >>"$WORK/login/all.tsv"; done
  ok=0; for u in "${LOGIN_USERS[@]}"; do [ "$(cut -d' ' -f1 "$WORK/login/$u.res" 2>/dev/null)" = ok ] && ok=$((ok + 1)); done
  printf '%s %s %s %s %s %s %s\n' "$r" "$ok" \
    "$(awk -v a="$tb0" -v b="$tb1" 'BEGIN { printf "%.3f", b - a }')" \
    "$(awk -v a="$api0" -v b="$api1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(echo "$m0 $m1" | awk -v c="$CLK" '{ printf "%.2f", ($3 - $1) / c }')" \
    "$(awk -v a="$cl0" -v b="$cl1" 'BEGIN { printf "%.2f", b - a }')" >>"$WORK/login/bursts.tsv"
done
echo
echo "== 2. logins (password + TOTP), $K accounts at once, CRT_SCRYPT_LOG2N=$CRT_SCRYPT_LOG2N, CRT_HASH_THREADS=$CRT_HASH_THREADS (${QUIET[login]})"
echo "password step alone (one login, nothing else running in crt-api): ${SINGLE_S} s (median of 3: ${SINGLE[*]})"
awk -v k="$K" -v ht="$CRT_HASH_THREADS" -v np="$NPROC" -v one="$SINGLE_S" '
  { n++; ok += $2; wall += $3; api += $4; pg += $5; mach += $6; cl += $7; rates = rates sprintf(" %.2f", $2 / $3) }
  END {
    printf "bursts: %d; logins completed: %d of %d\n", n, ok, n * k
    printf "logins/s: %.2f  (%d logins in %.2f s of wall time; per burst:%s)\n", ok / wall, ok, wall, rates
    oth = mach - api - pg - cl; if (oth < 0) oth = 0
    printf "CPU per login: crt-api %.3f s, PostgreSQL %.3f s, the clients (curl, jq, oathtool, bash) %.3f s, whole machine %.3f s\n",
      api / (n * k), pg / (n * k), cl / (n * k), mach / (n * k)
    printf "other processes during the bursts: %.0f%% of one CPU\n", 100 * oth / wall
    lim = (ht < np ? ht : np)
    printf "bound: min(CRT_HASH_THREADS, CPUs) / scrypt time = %d / %.2f s = %.2f logins/s\n", lim, one, lim / one
  }' "$WORK/login/bursts.tsv" | tee "$WORK/login/summary.txt"
sort -n -k2 "$WORK/login/all.tsv" | awk '
  $1 == "ok" { t[++n] = $2; pw[n] = $3; tp[n] = $4 }
  $1 != "ok" { bad[$1]++ }
  END {
    if (n) {
      p50 = t[int((n + 1) / 2)]; sp = 0; st = 0
      for (i = 1; i <= n; i++) { sp += pw[i]; st += tp[i] }
      printf "latency of a full login: p50 %.3f s, max %.3f s (mean of the password step %.3f s, of the TOTP step %.3f s)\n", p50, t[n], sp / n, st / n
    }
    for (b in bad) printf "failed logins: %d x %s\n", bad[b], b
  }' | tee -a "$WORK/login/summary.txt"

# ======================= 3. need-to-know on the read route =======================
# The caseworker is assigned (by the coordinator) to every person of the controller.
sq -c "INSERT INTO case_assignments (controller_id, person_id, user_id, assigned_by)
       SELECT $CONTROLLER, p.id, '$CASEW_ID', '$COORD_ID' FROM persons p
        WHERE p.controller_id = $CONTROLLER
          AND NOT EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = p.id
                           AND a.user_id = '$CASEW_ID' AND a.ended_at IS NULL)" \
   -c "ANALYZE case_assignments" -c "VACUUM ANALYZE persons"
ASSIGNED=$(sq -c "SELECT count(*) FROM case_assignments WHERE user_id = '$CASEW_ID' AND ended_at IS NULL")
ASSIGN_ROWS=$(sq -c "SELECT count(*) FROM case_assignments")

write_tokens() {  # token files for wrk; the new-token variant's tokens are minted for the coordinator's session
  head -1 "$WORK/acct/$COORD.token" >"$WORK/coord.tokens"
  head -1 "$WORK/acct/$CASEW.token" >"$WORK/case.tokens"
  local c
  c=$(claims_of "$(cat "$WORK/coord.tokens")") || die "cannot read the coordinator's token"
  # shellcheck disable=SC2086
  set -- $c
  [ "$3" = "$CONTROLLER" ] && [ "$4" = coordinator ] || die "unexpected coordinator token claims: $c"
  COORD_EXP=$6
  CASE_EXP=$(claims_of "$(cat "$WORK/case.tokens")" | cut -d' ' -f6)
  (umask 077; "$TV_BIN" --mint "$MISS_TOKENS" "$1" "$2" "$3" "$4" "$5" "$6" >"$WORK/miss.tokens") ||
    die "cannot mint the tokens of the new-token variant"
}
# Tokens live 1 h (crt-api runs with CRT_ACCESS_TOKEN_TTL_S=3600): log in again when one would end
# within the next run.
fresh_tokens() {  # seconds needed
  local now; now=$(date +%s)
  (( COORD_EXP - now > $1 + 60 && CASE_EXP - now > $1 + 60 )) && return 0
  say "tokens end soon: logging $COORD and $CASEW in again"
  wait_new_step "$COORD" "$CASEW"
  login_flow "$COORD"; login_flow "$CASEW"
  grep -q '^ok ' "$WORK/login/$COORD.res" && grep -q '^ok ' "$WORK/login/$CASEW.res" || die "re-login failed"
  write_tokens
}
write_tokens

check_read() {  # token-file expected-reason -> "bytes" (dies on an unexpected answer)
  local tok rid code out
  tok=$(head -1 "$1")
  rid=ap-check-$$-$RANDOM$RANDOM   # crt-api keeps a client's X-Request-Id of up to 36 characters
  out=$(curl -sS -o "$WORK/read.json" -w '%{http_code} %{size_download}' -H "Authorization: Bearer $tok" \
        -H "X-Request-Id: $rid" "$API/v1/persons/$(sed -n 7p "$WORK/ids.txt")")
  code=${out%% *}
  [ "$code" = 200 ] || die "a read with $1 answered $code: $(head -c 300 "$WORK/read.json")"
  local got; got=$(sq -c "SELECT outcome || ':' || coalesce(reason, '') FROM access_log WHERE request_id = '$rid'")
  [ "$got" = "allowed:$2" ] || die "the read with $1 was logged as '$got', expected allowed:$2"
  echo "${out#* }"
}
BYTES_COORD=$(check_read "$WORK/coord.tokens" coordinator_scope)
BYTES_CASE=$(check_read "$WORK/case.tokens" assignment)
BYTES_MISS=$(check_read <(sed -n 5p "$WORK/miss.tokens") coordinator_scope)

lat_ms() {  # wrk latency "12.34ms" | "980.00us" | "1.02s" -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    printf "%.2f", u == "us" ? n / 1000 : u == "s" ? n * 1000 : u == "m" ? n * 60000 : n }'
}
RESULTS=$WORK/reads.tsv
: >"$RESULTS"
# columns: round variant rps p50ms p99ms requests non2xx sockerr api_cpu_s pg_cpu_s wrk_cpu_s machine_cpu_s other_pct_of_a_cpu
run_wrk() {  # round variant tokens-file
  local r=$1 v=$2 tf=$3 out=$WORK/wrk-$2-$1.txt
  fresh_tokens "$SECS"
  tf=$WORK/$v.tokens
  wait_quiet "run-$v-$r" "$RUN_QUIET_WAIT"
  sq -c "CHECKPOINT"
  local api0 pg0 m0 api1 pg1 m1
  api0=$(api_cpu); pg0=$(pg_ticks); m0=$(machine_ticks)
  ( rc=0
    wrk -t "$GEN_THREADS" -c "$CONNS" -d "${SECS}s" --timeout 10s --latency \
      -s "$HERE/random_ids.lua" "$API" -- "$WORK/ids.txt" "$tf" >"$out" 2>&1 || rc=$?
    times >"$out.cpu"; exit "$rc" ) || { cat "$out" >&2; die "wrk failed"; }
  api1=$(api_cpu); pg1=$(pg_ticks); m1=$(machine_ticks)
  local rps p50 p99 reqs non2xx sockerr wrkcpu
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(lat_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(lat_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  reqs=$(awk '/ requests in / { print $1 }' "$out")
  non2xx=$(awk -F': ' '/Non-2xx or 3xx responses/ { print $2 }' "$out"); non2xx=${non2xx:-0}
  sockerr=$(awk '/Socket errors/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$out"); sockerr=${sockerr:-0}
  [ -n "$rps" ] && [ -n "$reqs" ] || { cat "$out" >&2; die "cannot read wrk's output"; }
  wrkcpu=$(tail -1 "$out.cpu" | child_cpu)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$v" "$rps" "$p50" "$p99" "$reqs" "$non2xx" "$sockerr" \
    "$(awk -v a="$api0" -v b="$api1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$(awk -v a="$pg0" -v b="$pg1" -v c="$CLK" 'BEGIN { printf "%.2f", (b - a) / c }')" \
    "$wrkcpu" \
    "$(echo "$m0 $m1" | awk -v c="$CLK" '{ printf "%.2f", ($3 - $1) / c }')" \
    "$(echo "$m0 $m1 $api0 $api1 $pg0 $pg1 $wrkcpu" | awk -v c="$CLK" -v s="$SECS" \
        '{ o = ($3 - $1) / c - ($6 - $5) / c - ($8 - $7) / c - $9; if (o < 0) o = 0; printf "%d", 100 * o / s }')" >>"$RESULTS"
  say "round $r $v: $rps req/s, p50 ${p50} ms, p99 ${p99} ms, non-2xx $non2xx"
}

wait_quiet "reads" "$QUIET_WAIT"
say "reads: $NIDS persons of controller $CONTROLLER, $CONNS connections, ${SECS}s per run, $ROUNDS rounds"
if (( WARMUP > 0 )); then
  for v in coord case miss; do
    wrk -t "$GEN_THREADS" -c "$CONNS" -d "${WARMUP}s" -s "$HERE/random_ids.lua" "$API" -- \
      "$WORK/ids.txt" "$WORK/$v.tokens" >/dev/null 2>&1 || die "wrk warm-up failed"
  done
fi
for r in $(seq 1 "$ROUNDS"); do
  for v in coord case miss; do run_wrk "$r" "$v" "$WORK/$v.tokens"; done
done

echo
echo "== 3. GET /v1/persons/{id}: need-to-know and token cost (${QUIET[reads]} at the start)"
echo "data: $TOTAL persons; reads of controller $CONTROLLER's $NIDS persons, ids uniform at random;" \
     "$CASEW assigned to $ASSIGNED of them ($ASSIGN_ROWS rows in case_assignments)"
echo "load: wrk -t$GEN_THREADS -c$CONNS -d${SECS}s, $ROUNDS rounds (variants alternated), crt-api CRT_THREADS=$API_THREADS; medians"
echo "variants: coord = $COORD, one token (reason coordinator_scope; ${BYTES_COORD} B per answer);"
echo "          case  = $CASEW, one token (reason assignment: EXISTS on case_assignments; ${BYTES_CASE} B per answer);"
echo "          miss  = $COORD, a token drawn from $MISS_TOKENS distinct ones of the same session on every request"
echo "                  (64 cache slots per worker: nearly every request runs the full token_verify; ${BYTES_MISS} B)"
awk -F'\t' -v verify="$VERIFY_US" -v hit="$HIT_US" -v np="$NPROC" '
  function med(v, k,   a, i, j, t, n) {
    n = 0; for (i = 1; i <= cnt[v]; i++) a[++n] = val[v, k, i]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { v = $2; c = ++cnt[v]
    val[v, "rps", c] = $3; val[v, "p50", c] = $4; val[v, "p99", c] = $5
    val[v, "apius", c] = 1e6 * $9 / $6; val[v, "pgus", c] = 1e6 * $10 / $6; val[v, "allus", c] = 1e6 * $12 / $6
    val[v, "other", c] = $13; bad[v] += $7 + $8; runs[v] = runs[v] " " int($3) }
  END {
    printf "%-6s %10s %9s %9s %13s %12s %14s %10s  %s\n", "", "req/s", "p50 ms", "p99 ms", "crt-api us/req", "PG us/req", "machine us/req", "non-2xx", "req/s per run"
    split("coord case miss", vs, " ")
    for (i = 1; i <= 3; i++) { v = vs[i]; if (!cnt[v]) continue
      printf "%-6s %10.0f %9.2f %9.2f %13.0f %12.0f %14.0f %10d  %s\n", v, med(v, "rps"), med(v, "p50"), med(v, "p99"),
        med(v, "apius"), med(v, "pgus"), med(v, "allus"), bad[v], runs[v] }
    printf "other processes during the runs (%% of one CPU, per run):"
    for (i = 1; i <= 3; i++) { v = vs[i]; printf " %s", v; for (c = 1; c <= cnt[v]; c++) printf " %d", val[v, "other", c] }
    printf "\n"
    rc = med("coord", "rps"); rk = med("case", "rps"); rm = med("miss", "rps")
    printf "need-to-know (assignment vs coordinator_scope): %+.1f%% throughput, p50 %+.2f ms (budget: at most -15%%)\n",
      100 * (rk - rc) / rc, med("case", "p50") - med("coord", "p50")
    printf "token verified on every request (miss vs coord): %+.1f%% throughput, p50 %+.2f ms; crt-api CPU %+.0f us per request\n",
      100 * (rm - rc) / rc, med("miss", "p50") - med("coord", "p50"), med("miss", "apius") - med("coord", "apius")
    printf "token_verify %.1f us = %.1f%% of a coord request'"'"'s crt-api CPU (%.0f us), %.1f%% of its machine CPU (%.0f us) (budget: under 5%%)\n",
      verify, 100 * verify / med("coord", "apius"), med("coord", "apius"), 100 * verify / med("coord", "allus"), med("coord", "allus")
    printf "cache hit %.2f us = %.3f%% of a coord request'"'"'s machine CPU\n", hit, 100 * hit / med("coord", "allus")
  }' "$RESULTS" | tee "$WORK/reads-summary.txt"

# ======================= 4. partner pull paging =======================
CLIENT=bench-ap-$(date +%s)-$$
"$CTL_BIN" partner create --name "Benchmark partner (auth_partner.sh)" --kind employment "$CLIENT" >"$WORK/partner.txt" ||
  die "crtctl partner create failed"
PARTNER_ID=$(awk '/^partner id:/ { print $3 }' "$WORK/partner.txt")
(umask 077; awk '/^client_secret:/ { print $2 }' "$WORK/partner.txt" >"$WORK/partner.secret")
[ -n "$PARTNER_ID" ] && [ -s "$WORK/partner.secret" ] || die "cannot read crtctl partner create's output"
"$CTL_BIN" grant add --partner "$CLIENT" --controller "$CONTROLLER_CODE" --groups identification,contact \
  --purpose employment_guidance --legal-basis 'art 6.1.e' >/dev/null || die "crtctl grant add failed"
sq -c "INSERT INTO referrals (controller_id, person_id, partner_id, purpose, created_by)
       SELECT $CONTROLLER, id, '$PARTNER_ID', 'employment_guidance', '$COORD_ID'
         FROM persons WHERE controller_id = $CONTROLLER LIMIT $REFERRALS" \
   -c "ANALYZE referrals"
REFERRED=$(sq -c "SELECT count(*) FROM referrals WHERE partner_id = '$PARTNER_ID' AND ended_at IS NULL")
EXPECTED=$(sq -c "SELECT count(*) FROM referrals r JOIN persons p ON p.id = r.person_id
                   WHERE r.partner_id = '$PARTNER_ID' AND r.ended_at IS NULL AND p.restricted_at IS NULL")
(( REFERRED < REFERRALS )) && say "note: only $REFERRED persons of controller $CONTROLLER to refer (BENCH_REFERRALS=$REFERRALS)"
(umask 077; jq -jn --arg id "$CLIENT" --rawfile s "$WORK/partner.secret" \
   '"grant_type=client_credentials&client_id=\($id | @uri)&client_secret=\($s | rtrimstr("\n") | @uri)"' >"$WORK/partner.form")
out=$(curl -sS -m 30 -o "$WORK/ptoken.json" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
      --data-binary @"$WORK/partner.form" "$API/v1/oauth/token")
[ "$out" = 200 ] || die "POST /v1/oauth/token answered $out: $(head -c 300 "$WORK/ptoken.json")"
(umask 077; jq -r .access_token "$WORK/ptoken.json" >"$WORK/partner.token")
PT=$(cat "$WORK/partner.token")
DISC0=$(sq -c "SELECT count(*) FROM disclosures WHERE partner_id = '$PARTNER_ID'")
LOG0=$(sq -c "SELECT count(*) FROM access_log WHERE partner_id = '$PARTNER_ID' AND action = 'disclosure'")

wait_quiet "partner" "$QUIET_WAIT"
say "partner pull: $REFERRED referrals, pages of $PAGE"
: >"$WORK/pages.tsv"
cursor=
pages=0 rows=0
api0=$(api_cpu); pg0=$(pg_ticks)
t0=$EPOCHREALTIME
while :; do
  url="$API/v1/partner/persons?limit=$PAGE"
  [ -n "$cursor" ] && url+="&cursor=$(jq -rn --arg c "$cursor" '$c | @uri')"
  out=$(curl -sS -m 120 -o "$WORK/page.json" -w '%{http_code} %{time_total} %{size_download}' \
        -H "Authorization: Bearer $PT" "$url") || die "curl failed on page $((pages + 1))"
  [ "${out%% *}" = 200 ] || die "page $((pages + 1)) answered ${out%% *}: $(head -c 300 "$WORK/page.json")"
  read -r n cursor < <(jq -r '"\(.items | length) \(.next_cursor // "")"' "$WORK/page.json")
  pages=$((pages + 1)); rows=$((rows + n))
  echo "$pages $n ${out#* }" >>"$WORK/pages.tsv"
  [ -n "$cursor" ] || break
  (( pages < 100000 )) || die "more than 100000 pages: the cursor does not advance"
done
t1=$EPOCHREALTIME
api1=$(api_cpu); pg1=$(pg_ticks)
DISC1=$(sq -c "SELECT count(*) FROM disclosures WHERE partner_id = '$PARTNER_ID'")
DISTINCT=$(sq -c "SELECT count(DISTINCT person_id) FROM disclosures WHERE partner_id = '$PARTNER_ID'")
LOG1=$(sq -c "SELECT count(*) FROM access_log WHERE partner_id = '$PARTNER_ID' AND action = 'disclosure'")

echo
echo "== 4. partner pull: GET /v1/partner/persons?limit=$PAGE to the end (${QUIET[partner]})"
echo "partner $CLIENT: grant identification,contact for employment_guidance at $CONTROLLER_CODE; $REFERRED referrals ($EXPECTED disclosable)"
awk -v a="$t0" -v b="$t1" -v rows="$rows" -v pages="$pages" -v ac="$api0" -v bc="$api1" -v ap="$pg0" -v bp="$pg1" -v c="$CLK" '
  { srv += $3; bytes += $4; if (NR == 1) first = $3; if ($2 > 0) { last = $3; full[++nf] = $3 } if ($3 > mx) mx = $3; lastpage = $3 }
  END {
    for (i = 2; i <= nf; i++) { t = full[i]; for (j = i - 1; j >= 1 && full[j] > t; j--) full[j + 1] = full[j]; full[j + 1] = t }
    printf "total rows %d in %d pages, %.2f s wall: %.0f rows/s (%.0f rows/s counting only the HTTP time of the pages)\n",
      rows, pages, b - a, rows / (b - a), rows / srv
    printf "page time: first %.3f s, median %.3f s, last full page %.3f s, slowest %.3f s, final page %.3f s; %.1f MB of JSON\n",
      first, full[int((nf + 1) / 2)], last, mx, lastpage, bytes / 1e6
    printf "CPU: crt-api %.2f s (%.0f us per row), PostgreSQL %.2f s (%.0f us per row)\n",
      (bc - ac) / c, 1e6 * (bc - ac) / c / rows, (bp - ap) / c, 1e6 * (bp - ap) / c / rows
  }' "$WORK/pages.tsv"
d=$((DISC1 - DISC0)); l=$((LOG1 - LOG0))
if [ "$d" = "$rows" ] && [ "$rows" = "$EXPECTED" ] && [ "$DISTINCT" = "$rows" ] && [ "$l" = "$rows" ]; then
  echo "disclosures: +$d rows = rows returned = persons disclosable, one per person ($DISTINCT distinct); access_log +$l disclosure rows: OK"
else
  echo "disclosures: MISMATCH: +$d disclosure rows ($DISTINCT distinct persons), +$l access_log disclosure rows, $rows rows returned, $EXPECTED disclosable"
fi

echo
echo "== quiet checks: token: ${QUIET[token]}; logins: ${QUIET[login]}; reads: ${QUIET[reads]}; partner: ${QUIET[partner]}"
for k in "${!QUIET[@]}"; do
  case $k in run-*) [[ ${QUIET[$k]} == NOT* ]] && echo "   $k: ${QUIET[$k]}" ;; esac
done
exit 0
