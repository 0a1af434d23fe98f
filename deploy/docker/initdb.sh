#!/usr/bin/env bash
# CRT init step for the official postgres:15 image (/docker-entrypoint-initdb.d/, first start only): runs
# sql/bootstrap.sql (roles + database crt), then sets the login passwords from the docker secrets.
#
# The image's entrypoint executes this file when it is executable and sources it otherwise, so all
# work happens in a subshell function: no `exit`, no shell options or variables leak into the
# entrypoint, and a failure still aborts initialisation (non-zero status of the last command).
# CRT_SECRETS_DIR and CRT_BOOTSTRAP_SQL exist only to test the script outside the container.

crt_initdb() (
  set -euo pipefail
  secrets_dir=${CRT_SECRETS_DIR:-/run/secrets}
  bootstrap=${CRT_BOOTSTRAP_SQL:-/crt/bootstrap.sql}
  say() { printf 'crt-initdb: %s\n' "$*" >&2; }
  run_psql() {
    psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres "$@"
  }

  [ -r "$bootstrap" ] || { say "$bootstrap is missing or unreadable"; return 1; }
  say "running $bootstrap"
  run_psql -f "$bootstrap"

  local role file pw
  for role in crt_owner crt_api crt_review; do
    file=$secrets_dir/${role}_password
    if [ ! -r "$file" ]; then
      say "secret $file is missing or unreadable by uid $(id -u) (see deploy/docker/secrets/README.md)"
      return 1
    fi
    pw=$(cat "$file")
    if [ -z "$pw" ]; then
      say "secret $file is empty"
      return 1
    fi
    say "setting the password of $role"
    # The password travels as a psql variable and is quoted by :'pw' (never spliced into SQL text
    # by the shell); the quoted heredoc keeps the shell from expanding anything in it.
    run_psql -v role="$role" -v pw="$pw" <<'SQL'
ALTER ROLE :"role" PASSWORD :'pw';
SQL
  done
  say "done"
)

crt_initdb
