#!/bin/sh
# The database connection over TLS (docs/operations.md, "Database over TLS"): a cluster of its own
# with ssl=on and only hostssl connections over TCP, certificates from deploy/tls/crt-db-tls; then
# crtctl migrates and crt-api serves /readyz with sslmode=verify-full, the connections are
# encrypted (pg_stat_ssl), and a wrong CA, a host name the certificate does not name, or a plain
# connection are refused. Usage: db_tls.sh <source dir> <crtctl> <crt-api>; exit 77: skipped.
set -eu
src=$1 ctl=$2 api=$3
PGBIN=${CRT_PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/initdb" ] || { echo "db_tls.sh: no $PGBIN/initdb; skipped" >&2; exit 77; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
fail() { echo "db_tls.sh: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/crt-dbtls-XXXXXX)
chmod 0755 "$work"
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    as_pg "$PGBIN/pg_ctl" -D "$work/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$src/deploy/tls/crt-db-tls" "$work/tls" localhost >/dev/null
"$src/deploy/tls/crt-db-tls" "$work/other" localhost >/dev/null # another CA: the wrong one
mkdir -p "$work/run" && chmod 0777 "$work/run"
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
as_pg "$PGBIN/initdb" -D "$work/pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
cp "$work/tls/db-server.crt" "$work/tls/db-server.key" "$work/pgdata/"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pgdata/db-server.crt" "$work/pgdata/db-server.key"
cat > "$work/pgdata/pg_hba.conf" <<'HBA'
local     all all              trust
hostssl   all all 127.0.0.1/32 trust
hostssl   all all ::1/128      trust
hostnossl all all 0.0.0.0/0    reject
hostnossl all all ::/0         reject
HBA
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pgdata/pg_hba.conf"
port=$(free_port)
as_pg "$PGBIN/pg_ctl" -D "$work/pgdata" -l "$work/pgdata/log" -w -t 60 start \
    -o "-c listen_addresses=localhost -p $port -k $work/run -c ssl=on -c ssl_cert_file=db-server.crt -c ssl_key_file=db-server.key" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -h "$work/run" -p "$port" -U postgres -d postgres -f "$src/sql/bootstrap.sql" >/dev/null

tls="host=localhost port=$port dbname=crt sslmode=verify-full sslrootcert=$work/tls/db-ca.crt"
CRT_OWNER_DATABASE_URL="$tls user=crt_owner" "$ctl" migrate >/dev/null || fail "crtctl migrate over verify-full"

apiport=$(free_port)
CRT_DATABASE_URL="$tls user=crt_api" CRT_LISTEN=127.0.0.1:$apiport CRT_THREADS=1 \
    CRT_PLAIN_HTTP=behind-tls-proxy CRT_TLS_CERT_FILE= CRT_TLS_KEY_FILE= CRT_LOG_LEVEL=warn \
    "$api" 2>"$work/api.log" &
pids="$pids $!"
ready=""
for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$apiport/readyz" || true)
    [ "$code" = 200 ] && { ready=1; break; }
    sleep 0.1
done
[ -n "$ready" ] || fail "crt-api with sslmode=verify-full is not ready: $(cat "$work/api.log")"
enc=$(psql -X -At -h "$work/run" -p "$port" -U postgres -d crt -c \
      "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'crt_api' AND s.ssl")
[ "$enc" -ge 1 ] || fail "crt-api's connection is not encrypted"
echo "db_tls.sh: crt-api ready over verify-full, $enc encrypted connection(s)"

# Refusals: the wrong CA, a name the certificate does not carry, no TLS at all.
out=$(psql -X -At "host=localhost port=$port dbname=crt user=crt_api sslmode=verify-full sslrootcert=$work/other/db-ca.crt" -c 'SELECT 1' 2>&1) \
    && fail "a server certificate of another CA was accepted"
echo "$out" | grep -q "certificate verify failed" || fail "wrong CA: $out"
out=$(psql -X -At "host=127.0.0.1 port=$port dbname=crt user=crt_api sslmode=verify-full sslrootcert=$work/tls/db-ca.crt" -c 'SELECT 1' 2>&1) \
    && fail "a host name the certificate does not name was accepted"
echo "$out" | grep -qi "does not match" || fail "wrong name: $out"
out=$(psql -X -At "host=localhost port=$port dbname=crt user=crt_api sslmode=disable" -c 'SELECT 1' 2>&1) \
    && fail "a connection without TLS was accepted"

# crt-api with the wrong CA never becomes ready.
apiport2=$(free_port)
CRT_DATABASE_URL="host=localhost port=$port dbname=crt user=crt_api sslmode=verify-full sslrootcert=$work/other/db-ca.crt" \
    CRT_LISTEN=127.0.0.1:$apiport2 CRT_THREADS=1 CRT_PLAIN_HTTP=behind-tls-proxy CRT_TLS_CERT_FILE= \
    CRT_TLS_KEY_FILE= CRT_LOG_LEVEL=warn "$api" 2>"$work/api2.log" &
wrong=$!
pids="$pids $wrong"
sleep 2
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$apiport2/readyz" || true)
[ "$code" = 503 ] || [ "$code" = 000 ] || fail "crt-api with the wrong CA answered /readyz $code"
echo "db_tls.sh: wrong CA, wrong name and plain connections refused (crt-api with the wrong CA: /readyz $code)"
