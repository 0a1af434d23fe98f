#!/usr/bin/env bash
# tests/bench/partner_pages.sh: what one page of a partner's pull costs at 10,000 and 100,000
# referrals (issue 16 item 8). Prints figures (no pass/fail); exits non-zero on set-up errors.
# For each size: that many persons of atlas (copies of one of its persons, last name
# "Benchpages", each changed at its own time) referred to a new partner with a grant; the
# partner pages GET /v1/partner/persons?limit=BENCH_PAGE to the end with curl, one client;
# per-page times (first, median, last full page) and rows/s. With BENCH_EXPLAIN=1 each page's
# plan is logged by auto_explain (ANALYZE, BUFFERS) in the cluster's log for crt_api's sessions.
# Environment: as tests/bench/auth_partner.sh (crt-local db exports, CRT_SUPER_DATABASE_URL,
# CRT_BUILD_DIR). Settings: BENCH_SIZES ("10000 100000"), BENCH_PAGE (500), BENCH_PORT (18182),
# BENCH_EXPLAIN (0). The persons it adds stay (last name Benchpages); use a bench cluster.
set -euo pipefail
say() { printf 'partner_pages: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

SIZES=${BENCH_SIZES:-10000 100000}
PAGE=${BENCH_PAGE:-500}
PORT=${BENCH_PORT:-18182}
API=http://127.0.0.1:$PORT
: "${CRT_BUILD_DIR:?CRT_BUILD_DIR must name the build folder}"
: "${CRT_SUPER_DATABASE_URL:?CRT_SUPER_DATABASE_URL is not set}"
sq() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$CRT_SUPER_DATABASE_URL" "$@"; }
sq -c "SELECT 1" >/dev/null || die "cannot connect as the superuser"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crt-pagesbench.XXXXXX")
chmod 700 "$WORK"
API_PID=
cleanup() {
  if [ -n "$API_PID" ]; then kill -TERM "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ "${BENCH_EXPLAIN:-0}" = 1 ]; then sq -c "ALTER ROLE crt_api RESET ALL" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cp "$CRT_BUILD_DIR/services/api/crt-api" "$CRT_BUILD_DIR/services/ctl/crtctl" "$WORK/"

if [ "${BENCH_EXPLAIN:-0}" = 1 ]; then
  sq -c "ALTER ROLE crt_api SET session_preload_libraries = 'auto_explain'" \
     -c "ALTER ROLE crt_api SET auto_explain.log_min_duration = 0" \
     -c "ALTER ROLE crt_api SET auto_explain.log_analyze = on" \
     -c "ALTER ROLE crt_api SET auto_explain.log_buffers = on"
fi
CRT_PLAIN_HTTP=${CRT_PLAIN_HTTP:-behind-tls-proxy} CRT_LISTEN=127.0.0.1:$PORT CRT_THREADS=2 "$WORK/crt-api" >>"$WORK/crt-api.log" 2>&1 &
API_PID=$!
for i in $(seq 1 100); do
  curl -fsS -o /dev/null "$API/readyz" 2>/dev/null && break
  kill -0 "$API_PID" 2>/dev/null || { tail -20 "$WORK/crt-api.log" >&2; die "crt-api exited"; }
  sleep 0.1
done

SEED=$(sq -c "SELECT id FROM persons WHERE controller_id = 3 AND restricted_at IS NULL ORDER BY id LIMIT 1")
[ -n "$SEED" ] || die "atlas has no person to copy"
for n in $SIZES; do
  client=bench-pages-$n-$(date +%s)-$$
  "$WORK/crtctl" partner create --name "Pages bench $n" --kind employment "$client" >"$WORK/partner.txt"
  pid=$(awk '/^partner id:/ { print $3 }' "$WORK/partner.txt")
  secret=$(awk '/^client_secret:/ { print $2 }' "$WORK/partner.txt")
  "$WORK/crtctl" grant add --partner "$client" --controller atlas --groups identification,contact \
    --purpose employment_guidance --legal-basis 'art 6.1.e' >/dev/null
  last=Benchpages$(tr -dc a-z </dev/urandom | head -c 8 || true)
  sq -c "INSERT INTO persons SELECT (jsonb_populate_record(NULL::persons, to_jsonb(s) ||
           jsonb_build_object('id', gen_random_uuid(), 'oki_number', 'PB' || md5(random()::text),
           'last_name', '$last', 'name_bidx', NULL, 'national_number_bidx', NULL,
           'national_number_sealed', NULL, 'national_number_key_id', NULL,
           'updated_at', clock_timestamp()))).* FROM persons s, generate_series(1, $n) WHERE s.id = '$SEED'" \
     -c "INSERT INTO referrals (controller_id, person_id, partner_id, purpose, created_by)
           SELECT controller_id, id, '$pid', 'employment_guidance', created_by FROM persons WHERE last_name = '$last'" \
     -c "ANALYZE persons" -c "ANALYZE referrals"
  tok=$(curl -sS -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$client" \
        --data-urlencode "client_secret=$secret" "$API/v1/oauth/token" | jq -r .access_token)
  [ -n "$tok" ] && [ "$tok" != null ] || die "no partner token"
  : >"$WORK/pages.tsv"
  cursor= pages=0 rows=0
  t0=$EPOCHREALTIME
  while :; do
    url="$API/v1/partner/persons?limit=$PAGE"
    [ -n "$cursor" ] && url+="&cursor=$(jq -rn --arg c "$cursor" '$c | @uri')"
    out=$(curl -sS -m 300 -o "$WORK/page.json" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $tok" "$url")
    [ "${out%% *}" = 200 ] || die "page $((pages + 1)) answered $out: $(head -c 300 "$WORK/page.json")"
    read -r k cursor < <(jq -r '"\(.items | length) \(.next_cursor // "")"' "$WORK/page.json")
    pages=$((pages + 1)); rows=$((rows + k))
    echo "$pages $k ${out#* }" >>"$WORK/pages.tsv"
    [ -n "$cursor" ] || break
  done
  t1=$EPOCHREALTIME
  disc=$(sq -c "SELECT count(*), count(DISTINCT person_id) FROM disclosures WHERE partner_id = '$pid'")
  awk -v n="$n" -v a="$t0" -v b="$t1" -v rows="$rows" -v pages="$pages" -v disc="$disc" '
    { if ($2 > 0) full[++nf] = $3; if (NR == 1) first = $3; if ($2 > 0) last = $3 }
    END {
      l = full[nf]; for (i = 2; i <= nf; i++) { t = full[i]; for (j = i - 1; j >= 1 && full[j] > t; j--) full[j + 1] = full[j]; full[j + 1] = t }
      printf "%d referrals: %d rows in %d pages, %.1f s, %.0f rows/s; page first %.3f s, median %.3f s, last full %.3f s; disclosures (rows|persons) %s\n",
        n, rows, pages, b - a, rows / (b - a), first, full[int((nf + 1) / 2)], last, disc
    }' "$WORK/pages.tsv"
done
