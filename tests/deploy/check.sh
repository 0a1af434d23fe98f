#!/bin/sh
# Checks the deployment files: the Prometheus rules (promtool check + unit tests when promtool
# is installed, else a YAML parse), that every metric they and the Grafana dashboard name is one
# crt-api or crt-review exports, the dashboard's JSON, and docker-compose.yml (docker-compose
# config, when installed). Usage: check.sh <source dir>
set -eu
src=${1:?usage: check.sh <source dir>}
rules=$src/deploy/prometheus/crt-rules.yml
dash=$src/deploy/grafana/crt-dashboard.json
fail() { echo "check.sh: $*" >&2; exit 1; }

if command -v promtool >/dev/null 2>&1; then
    promtool check rules "$rules" || fail "promtool check rules"
    (cd "$src/deploy/prometheus" && promtool test rules crt-rules.test.yml) || fail "promtool test rules"
else
    echo "check.sh: promtool not installed (apt-get install prometheus); YAML parse only" >&2
    python3 - "$rules" <<'PY' || fail "crt-rules.yml does not parse as rule groups"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
rules = [r for g in doc["groups"] for r in g["rules"]]
assert rules and all("alert" in r and "expr" in r and "severity" in r["labels"] for r in rules)
PY
fi

python3 -m json.tool "$dash" >/dev/null || fail "crt-dashboard.json is not JSON"

# Every crt_* metric named in the rules or the dashboard is written by one of the exporters.
exported=$(cat "$src/common/metrics.c" "$src/services/review/metrics.c")
for m in $(grep -ohE 'crt_[a-z_]+' "$rules" "$dash" | sort -u); do
    base=$(echo "$m" | sed -E 's/_(bucket|sum|count)$//')
    echo "$exported" | grep -q "$base" || fail "$m is exported by neither crt-api nor crt-review"
done

if command -v docker-compose >/dev/null 2>&1; then
    (cd "$src" && docker-compose -f docker-compose.yml config -q) || fail "docker-compose config"
fi
echo "check.sh: deploy files OK"
