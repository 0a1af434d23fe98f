#!/usr/bin/env bash
# tests/bench/ owns this: where PostgreSQL's time per audited read goes — per statement (nested
# ones too, pg_stat_statements), per PL/pgSQL function (track_functions = pl: 'all' would keep SQL functions from being inlined) and the read's plan; prints figures.
#
# Run by tests/bench/run.sh at its end (BENCH_STATEMENTS=0 skips it), or alone:
#   statements.sh WORK NIDS
# WORK holds run.sh's captured pgbench script (person_read.sql) and its variables (pgbench.vars);
# NIDS is the number of ids in bench_ids. Needs CRT_SUPER_DATABASE_URL, CRT_DATABASE_URL and
# CRT_PG_RESTART (a command restarting the cluster; crt-local bench exports it): the cluster is
# restarted once with pg_stat_statements loaded and once more without it at the end, so the
# figures of the throughput runs are never taken with it loaded.
# Settings: BENCH_STATEMENTS_SECONDS (10): one pgbench client, one commit per read, for this long.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${1:?WORK folder}
NIDS=${2:?number of bench ids}
SECS=${BENCH_STATEMENTS_SECONDS:-10}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
say() { printf 'statements: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
: "${CRT_SUPER_DATABASE_URL:?}" "${CRT_DATABASE_URL:?}" "${CRT_PG_RESTART:?CRT_PG_RESTART must restart the cluster}"
[[ $SECS =~ ^[0-9]+$ && $NIDS =~ ^[0-9]+$ ]] || die "not a number"
[ -s "$WORK/person_read.sql" ] && [ -s "$WORK/pgbench.vars" ] || die "no captured script in $WORK"

sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$CRT_SUPER_DATABASE_URL" "$@"; }
restart() { eval "$CRT_PG_RESTART" >/dev/null; }
unload() {
  sq -c "ALTER SYSTEM RESET pg_stat_statements.track" 2>/dev/null || true
  sq -c "ALTER SYSTEM RESET shared_preload_libraries" -c "ALTER SYSTEM RESET track_functions" || true
  restart || say "could not restart the cluster: pg_stat_statements stays loaded until the next restart"
}

sq -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
   -c "ALTER SYSTEM SET track_functions = 'pl'"
trap unload EXIT
restart
sq -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" \
   -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

VARS=(-D "nids=$NIDS")
while IFS= read -r v; do VARS+=(-D "$v"); done <"$WORK/pgbench.vars"
# warm the plans and caches, then count from zero
"$PGBENCH" -n -M prepared -c 1 -T 2 -f "$WORK/person_read.sql" "${VARS[@]}" "$CRT_DATABASE_URL" >/dev/null
sq -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset()" >/dev/null
"$PGBENCH" -n -M prepared -c 1 -T "$SECS" -f "$WORK/person_read.sql" "${VARS[@]}" \
  "$CRT_DATABASE_URL" >"$WORK/statements-pgbench.txt" 2>&1 || { cat "$WORK/statements-pgbench.txt" >&2; die "pgbench failed"; }
sleep 1.2  # backends report function statistics at most once a second
READS=$(awk '/^number of transactions actually processed/ { print $NF }' "$WORK/statements-pgbench.txt")
READS=${READS%%/*}
[[ $READS =~ ^[0-9]+$ ]] && (( READS > 0 )) || die "pgbench processed no transaction"

sq -F $'\t' -c "SELECT round(total_exec_time::numeric, 3), calls, toplevel, rows,
                       shared_blks_hit, shared_blks_read, wal_records, regexp_replace(query, '\s+', ' ', 'g')
                  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND userid = 'crt_api'::regrole ORDER BY total_exec_time DESC" >"$WORK/statements.tsv"
sq -F $'\t' -c "SELECT funcname, calls, round(total_time::numeric, 3), round(self_time::numeric, 3)
                  FROM pg_stat_user_functions ORDER BY self_time DESC" >"$WORK/functions.tsv"

# The read's plan: the captured statements in one transaction as crt_api, EXPLAIN (ANALYZE,
# BUFFERS) of the read, rolled back (its log row too).
python3 - "$WORK/person_read.sql" "$WORK/pgbench.vars" >"$WORK/explain.sql" <<'EOF'
import re, sys
script, varsfile = sys.argv[1], sys.argv[2]
vals = dict(l.rstrip('\n').split('=', 1) for l in open(varsfile) if '=' in l)
vals['k'] = '1'
def lit(m):
    v = vals[m.group(1)]
    return "'" + v.replace("'", "''") + "'"
out, nxt = [], False
for line in open(script):
    s = line.strip()
    if not s or s.startswith('--') or s.startswith('\\'):
        nxt = s == '-- person_read'
        continue
    s = re.sub(r'(?<!:):([a-z][a-z0-9_]*)', lit, s)
    if s in ('BEGIN;', 'COMMIT;'):
        continue
    out.append(('EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ' if nxt else '') + s)
    nxt = False
print('BEGIN;'); print('\n'.join(out)); print('ROLLBACK;')
EOF
PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$CRT_DATABASE_URL" \
  -f "$WORK/explain.sql" >"$WORK/explain.txt" 2>&1 || { cat "$WORK/explain.txt" >&2; die "EXPLAIN failed"; }

python3 "$HERE/report.py" statements "$WORK/statements.tsv" "$WORK/functions.tsv" "$READS" "$SECS"
say "plan of the read (EXPLAIN ANALYZE, BUFFERS; one read as crt_api, rolled back):"
grep -v '^t$' "$WORK/explain.txt" | sed 's/^/  /' >&2
