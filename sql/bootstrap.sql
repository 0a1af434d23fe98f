-- Cluster-level set-up run once by a superuser before `crtctl migrate`: the roles and the database.
-- Idempotent; used by deploy/local/crt-local and by the postgres container's init step.

DO $$
BEGIN
  -- Owns the schema; migrations run as this role.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crt_owner') THEN
    CREATE ROLE crt_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  -- What crt-api connects as: owns nothing, never bypasses row-level security.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crt_api') THEN
    CREATE ROLE crt_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  -- Owner of the SECURITY DEFINER functions (docs/security-inventory.md lists them), e.g. the
  -- login lookup needed before a caller's controller is known. Cannot log in; bypasses RLS.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crt_auth') THEN
    CREATE ROLE crt_auth NOLOGIN NOSUPERUSER BYPASSRLS;
  END IF;
  -- The review job (crt-review): reads the log, writes findings.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crt_review') THEN
    CREATE ROLE crt_review LOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END
$$;

GRANT crt_auth TO crt_owner;

SELECT 'CREATE DATABASE crt OWNER crt_owner ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crt')\gexec

-- A floor under crt-api's statement timeout: crt-api sets its own (CRT_STATEMENT_TIMEOUT_MS) on
-- every connection and after every reconnect, but a session that has not (yet) done so, or a
-- setting of 0, still cannot wait on a lock for ever. Below the 30 s HTTP request timeout.
-- Here, not in a migration: migrations run as crt_owner, which may not alter roles.
ALTER ROLE crt_api SET statement_timeout = '20s';
