#!/usr/bin/env bash
# Test fixture of test_backup: a throw-away PostgreSQL cluster in a folder of its own (never the
# shared one), archiving its WAL with deploy/backup/crt-backup, reachable only on a unix socket.
#
#   backup_cluster.sh init DIR PORT   initdb DIR/pgdata (archive into DIR/backup/wal), start it on
#                                     the socket folder DIR/run, bootstrap, migrate
#   backup_cluster.sh stop DATA       stop the cluster of the data folder DATA
#   backup_cluster.sh remove DIR      stop what runs in DIR and remove DIR
# Needs CRT_CTL (crtctl). As root the cluster belongs to the 'postgres' user.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PGBIN=${CRT_PGBIN:-/usr/lib/postgresql/15/bin}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cmd_init() {
  local dir=$1 port=$2
  mkdir -p "$dir/pgdata" "$dir/run" "$dir/backup/wal" "$dir/backup/base"
  chmod 755 "$dir"
  chmod 700 "$dir/run" "$dir/pgdata"
  mkdir -p "$dir/log"
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir/pgdata" "$dir/run" "$dir/backup" "$dir/log"
  as_pg "$PGBIN/initdb" -N -D "$dir/pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=reject >/dev/null
  # The archiver runs the script as the cluster's user: a copy it can reach.
  install -m 755 "$ROOT/deploy/backup/crt-backup" "$dir/crt-backup"
  printf "archive_mode = on\narchive_command = '%s archive-wal %%p %s/%%f'\nfsync = off\n" \
    "$dir/crt-backup" "$dir/backup/wal" | as_pg tee -a "$dir/pgdata/postgresql.conf" >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$dir/pgdata" -l "$dir/log/postgres.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir/run -p $port" start >/dev/null ||
    { tail -20 "$dir/log/postgres.log" >&2; exit 1; }
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" \
    -U postgres -d postgres -f "$ROOT/sql/bootstrap.sql" >/dev/null
  export CRT_OWNER_DATABASE_URL="host=$dir/run port=$port dbname=crt user=crt_owner"
  "$CRT_CTL" migrate >/dev/null
  (umask 077; : > "$dir/erasure-ledger")  # nothing erased yet: an empty ledger, not a missing one
}

cmd_stop() { as_pg "$PGBIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true; }

cmd_remove() {
  local d
  for d in "$1"/pgdata "$1"/restored-*; do [ -s "$d/PG_VERSION" ] && cmd_stop "$d"; done
  rm -rf "$1"
}

case "${1:-}" in
  init) cmd_init "$2" "$3" ;;
  stop) cmd_stop "$2" ;;
  remove) cmd_remove "$2" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
