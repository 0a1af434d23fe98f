#!/usr/bin/env bash
# tests/bench/ owns this: the cost of the signed RLS context on one read, before issue 12 (018),
# after 019 and now, as CPU seconds of a pgbench backend per read, the three run side by side.
#
# The method of docs/performance.md ("After migration 020"): three databases of the cluster
# CRT_SUPER_DATABASE_URL points at, migrated to 018, to 019 and to the newest migration, each
# with CONTEXT_PERSONS seeded persons and a live coordinator session of controller 3; then
# CONTEXT_ROUNDS times, one `pgbench -c 1 -M prepared` per database at the same time for
# CONTEXT_SECONDS, reading that backend's utime+stime. 018 and 019 run the statement crt-api sent
# before 020 (tests/bench/person_read.sql of commit 1d47573), the newest the current one.
# Needs CRT_SUPER_DATABASE_URL, CRT_OWNER_DATABASE_URL, CRT_DATABASE_URL (keyword form, as
# `eval "$(./deploy/local/crt-local db)"` prints them) and a build (CRT_CTL, default build/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=${CRT_CTL:-$ROOT/build/services/ctl/crtctl}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
PERSONS=${CONTEXT_PERSONS:-2000}
ROUNDS=${CONTEXT_ROUNDS:-6}
SECS=${CONTEXT_SECONDS:-40}
SESSION=00000000-0000-4000-8000-00000000c057
say() { printf 'context_cost: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
: "${CRT_SUPER_DATABASE_URL:?}" "${CRT_OWNER_DATABASE_URL:?}" "${CRT_DATABASE_URL:?}"
[ -x "$CTL" ] || die "no crtctl at $CTL"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-context.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
in_db() { printf '%s dbname=%s' "$1" "$2"; }  # a later dbname= wins in libpq keyword form
sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$(in_db "$CRT_SUPER_DATABASE_URL" "$1")" "${@:2}"; }

# ---- one database per point: migrations up to it, persons, a session, bench_ids ----
make_db() {  # name, last migration number
  local db=$1 last=$2 dir=$WORK/mig-$2 f
  mkdir -p "$dir"
  for f in "$ROOT"/sql/migrations/*.sql; do [[ $(basename "$f") > "${last}_~" ]] || cp "$f" "$dir/"; done
  sq postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER crt_owner"
  CRT_OWNER_DATABASE_URL=$(in_db "$CRT_OWNER_DATABASE_URL" "$db") CRT_DATABASE_URL=$(in_db "$CRT_DATABASE_URL" "$db") \
    CRT_MIGRATIONS_DIR=$dir bash -c "'$CTL' migrate && '$CTL' seed-demo && '$CTL' seed-bench $PERSONS" >/dev/null
  sq "$db" -c "CREATE UNLOGGED TABLE bench_ids (n serial PRIMARY KEY, id uuid NOT NULL)" \
    -c "INSERT INTO bench_ids (id) SELECT id FROM persons WHERE controller_id = 3 ORDER BY id" \
    -c "GRANT SELECT ON bench_ids TO crt_api" \
    -c "INSERT INTO sessions (id, controller_id, user_id, role, amr, expires_at, ip)
        SELECT '$SESSION', 3, id, 'coordinator', '{pwd,otp}', now() + interval '1 day', '127.0.0.1'
          FROM staff_users WHERE controller_id = 3 AND role = 'coordinator' ORDER BY username LIMIT 1" \
    -c "VACUUM ANALYZE"
}
LAST=$(basename "$(ls "$ROOT"/sql/migrations/*.sql | tail -1)" | cut -c1-3)
say "databases ctx_018, ctx_019, ctx_$LAST ($PERSONS persons each)"
make_db ctx_018 018
make_db ctx_019 019
make_db "ctx_$LAST" "$LAST"
git -C "$ROOT" show 1d47573:tests/bench/person_read.sql >"$WORK/before.sql" || die "commit 1d47573 not found"
cp "$ROOT/tests/bench/person_read.sql" "$WORK/now.sql"

ticks() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
round() {
  declare -A pid=() last=() run=()
  local db script user
  for db in ctx_018 ctx_019 "ctx_$LAST"; do
    script=$WORK/before.sql; [ "$db" = "ctx_$LAST" ] && script=$WORK/now.sql
    user=$(sq "$db" -c "SELECT user_id FROM sessions WHERE id = '$SESSION'")
    PGAPPNAME=context_cost "$PGBENCH" -n -M prepared -c 1 -T "$SECS" -f "$script" -D s2p1=3 -D "s2p2=$user" \
      -D "s2p3=$SESSION" -D s2p4=coordinator -D 's3p2={identification,contact,situation,education,trajectory}' \
      -D s3p3=registration -D s3p4=context-cost -D "nids=$(sq "$db" -c "SELECT count(*) FROM bench_ids")" \
      "$(in_db "$CRT_DATABASE_URL" "$db")" >"$WORK/$db.out" 2>&1 &
    run[$db]=$!
  done
  for db in "${!run[@]}"; do  # each pgbench's backend, once it has connected
    for _ in $(seq 1 100); do
      pid[$db]=$(sq "$db" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'context_cost'")
      [ -n "${pid[$db]}" ] && break
      sleep 0.05
    done
    [ -n "${pid[$db]}" ] || die "no pgbench backend on $db"
    last[$db]=0
  done
  while jobs -r | grep -q .; do
    for db in "${!run[@]}"; do t=$(ticks "${pid[$db]}") && last[$db]=$t; done
    sleep 0.1
  done
  wait
  for db in ctx_018 ctx_019 "ctx_$LAST"; do
    local n; n=$(awk '/transactions actually processed/ {print $NF}' "$WORK/$db.out")
    grep -qiE 'error|abort' "$WORK/$db.out" && die "pgbench failed on $db: $(grep -iE 'error|abort' "$WORK/$db.out" | head -1)"
    printf ' %s=%d' "$db" $(( last[$db] * 1000000 / $(getconf CLK_TCK) / n ))
  done
  printf ' load=%s\n' "$(cut -d' ' -f1 /proc/loadavg)"
}
say "µs of backend CPU per read, $ROUNDS rounds of ${SECS}s, side by side"
for r in $(seq 1 "$ROUNDS"); do printf 'round %d:' "$r"; round; done
