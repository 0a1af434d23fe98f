-- 019: a tenant context crt_api cannot forge (issue 12 item 4, decision D40).
-- The policies read crt.controller_id / crt.user_id / crt.role / crt.partner_id through
-- crt_current_*(). Until now crt_api could set_config() those itself. From here on the
-- context is signed by the SECURITY DEFINER functions that verify a session (crt_session_begin),
-- a partner (crt_partner_begin) or a login step (crt_login_begin), with a key only crt_auth
-- reads, over (controller, user, role, session, partner, backend pid, transaction id); for a
-- connection of crt_api the crt_current_*() functions answer NULL when the signature does not
-- verify, so a setting crt_api writes by itself matches no row. Other roles (the owner that
-- crtctl and the seeds use, which can alter the policies anyway) keep setting it directly.

-- Two independent 256-bit keys from eight v4 UUIDs (gen_random_uuid: the server's strong
-- random source, 122 random bits each). MAC = sha256(k_out || sha256(k_in || payload)):
-- the NMAC construction (no length extension), from built-in functions, no pgcrypto.
CREATE TABLE crt_context_keys (
  one   boolean PRIMARY KEY DEFAULT true CHECK (one),
  k_in  bytea NOT NULL CHECK (length(k_in) = 32),
  k_out bytea NOT NULL CHECK (length(k_out) = 32)
);
INSERT INTO crt_context_keys (k_in, k_out)
SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                         || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')),
       sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                         || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));
ALTER TABLE crt_context_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE crt_context_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY definer_reads ON crt_context_keys FOR SELECT TO crt_auth USING (true);
REVOKE ALL ON crt_context_keys FROM PUBLIC;
GRANT SELECT ON crt_context_keys TO crt_auth;

-- The MAC of the transaction's current settings. Private to crt_auth's functions. Called on
-- every policy evaluation, so without a SET clause (saving and restoring search_path costs more
-- than the hashing): every name is schema-qualified, and pg_temp is never searched for
-- functions or operators.
CREATE FUNCTION crt_context_mac() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
AS $$
DECLARE
  k public.crt_context_keys;
BEGIN
  SELECT * INTO k FROM public.crt_context_keys;
  RETURN pg_catalog.encode(pg_catalog.sha256(k.k_out || pg_catalog.sha256(k.k_in
           || pg_catalog.convert_to(pg_catalog.format('%s|%s|%s|%s|%s|%s|%s',
           pg_catalog.current_setting('crt.controller_id', true),
           pg_catalog.current_setting('crt.user_id', true),
           pg_catalog.current_setting('crt.role', true),
           pg_catalog.current_setting('crt.session_id', true),
           pg_catalog.current_setting('crt.partner_id', true),
           pg_catalog.pg_backend_pid(), pg_catalog.txid_current()), 'UTF8'))), 'hex');
END $$;

-- Whether the settings may be trusted: always for roles that are not crt_api (nor members of
-- it; a superuser counts as a member, and bypasses RLS anyway); for crt_api only when signed by
-- one of the functions below in this very transaction.
-- (format() writes NULL as '': an unset setting and '' sign alike, as the accessors read both.)
CREATE FUNCTION crt_context_ok() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
AS $$
DECLARE
  k public.crt_context_keys;
BEGIN
  IF NOT pg_catalog.pg_has_role(session_user, 'crt_api', 'MEMBER') THEN
    RETURN true;
  END IF;
  SELECT * INTO k FROM public.crt_context_keys;
  RETURN pg_catalog.current_setting('crt.context_mac', true)
         = pg_catalog.encode(pg_catalog.sha256(k.k_out || pg_catalog.sha256(k.k_in
             || pg_catalog.convert_to(pg_catalog.format('%s|%s|%s|%s|%s|%s|%s',
             pg_catalog.current_setting('crt.controller_id', true),
             pg_catalog.current_setting('crt.user_id', true),
             pg_catalog.current_setting('crt.role', true),
             pg_catalog.current_setting('crt.session_id', true),
             pg_catalog.current_setting('crt.partner_id', true),
             pg_catalog.pg_backend_pid(), pg_catalog.txid_current()), 'UTF8'))), 'hex');
END $$;

-- The accessors the policies call (as InitPlans: once per query each).
CREATE OR REPLACE FUNCTION crt_current_controller() RETURNS smallint LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN crt_context_ok()
                  THEN NULLIF(current_setting('crt.controller_id', true), '')::smallint END $$;
-- The user only within a session: a login step's context names no user to the policies.
CREATE OR REPLACE FUNCTION crt_current_user() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN crt_context_ok() AND NULLIF(current_setting('crt.role', true), '') IS NOT NULL
                  THEN NULLIF(current_setting('crt.user_id', true), '')::uuid END $$;
CREATE OR REPLACE FUNCTION crt_current_role() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN crt_context_ok() THEN NULLIF(current_setting('crt.role', true), '') END $$;
CREATE OR REPLACE FUNCTION crt_current_partner() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN crt_context_ok()
                  THEN NULLIF(current_setting('crt.partner_id', true), '')::uuid END $$;

-- As in 018, and the context is signed; a partner setting left over is cleared.
CREATE OR REPLACE FUNCTION crt_session_begin(p_controller smallint, p_user uuid, p_session uuid,
                                             p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM sessions s JOIN staff_users u ON u.id = s.user_id
                  WHERE s.id = p_session AND s.user_id = p_user AND s.controller_id = p_controller
                    AND s.revoked_at IS NULL AND s.expires_at > now()
                    AND (s.idle_timeout_s IS NULL
                         OR s.last_seen_at + make_interval(secs => s.idle_timeout_s) > now())
                    AND u.disabled_at IS NULL AND u.role = p_role
                    AND u.controller_id = p_controller) THEN
    RETURN false;
  END IF;
  UPDATE sessions SET last_seen_at = now()
   WHERE id = p_session
     AND last_seen_at < now() - make_interval(secs => LEAST(15, COALESCE(idle_timeout_s, 150) / 10.0));
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', p_user::text, true),
          set_config('crt.role', p_role, true),
          set_config('crt.session_id', p_session::text, true),
          set_config('crt.partner_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

-- As in 016, signed; no controller, user or session.
CREATE OR REPLACE FUNCTION crt_partner_begin(p_partner uuid, p_secret_version integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partners WHERE id = p_partner AND disabled_at IS NULL
                    AND secret_version = p_secret_version) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.partner_id', p_partner::text, true),
          set_config('crt.role', 'partner', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.session_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

-- A login step (password, TOTP, recovery, before a session exists): the user's controller,
-- no role, so the policies show that controller's authentication rows and no person, no log.
-- The user must belong to the controller.
CREATE FUNCTION crt_login_begin(p_controller smallint, p_user uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff_users
                                          WHERE id = p_user AND controller_id = p_controller) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', coalesce(p_user::text, ''), true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

-- Login events: the user, when named, belongs to the controller; within a verified context
-- of a controller, only that controller's log.
CREATE OR REPLACE FUNCTION crt_auth_event(p_controller smallint, p_user uuid, p_event text,
                                          p_outcome text, p_ip text, p_request_id text)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  ctx smallint := crt_current_controller();
BEGIN
  IF (p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff_users
                                           WHERE id = p_user AND controller_id = p_controller))
     OR (ctx IS NOT NULL AND p_controller IS DISTINCT FROM ctx) THEN
    RAISE EXCEPTION 'login event outside the caller''s controller' USING ERRCODE = '42501';
  END IF;
  INSERT INTO login_events (controller_id, user_id, event, outcome, ip, request_id)
  VALUES (p_controller, p_user, p_event, p_outcome, p_ip, p_request_id);
END $$;

-- crt_access() as in 009, verifying the context once instead of once per accessor (three
-- times): `me` is NULL unless the context verifies, and nothing is answered without `me`.
CREATE OR REPLACE FUNCTION crt_access(p_person uuid)
RETURNS TABLE (restricted boolean, created_by uuid, age_s bigint, window_days integer,
               assigned boolean, break_glass boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  ok boolean := crt_context_ok();
  me uuid := CASE WHEN ok AND NULLIF(current_setting('crt.role', true), '') IS NOT NULL
                  THEN NULLIF(current_setting('crt.user_id', true), '')::uuid END;
  my_role text := NULLIF(current_setting('crt.role', true), '');
  my_controller smallint := NULLIF(current_setting('crt.controller_id', true), '')::smallint;
BEGIN
  IF me IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT f.restricted, f.created_by, f.age_s, f.window_days, f.assigned, f.break_glass,
         CASE WHEN my_role = 'coordinator' THEN 'coordinator_scope'
              WHEN my_role = 'education' THEN 'education_scope'
              WHEN f.assigned THEN 'assignment'
              WHEN my_role = 'intake' AND f.created_by = me
                   AND f.age_s < f.window_days * 86400 THEN 'own_registration'
              WHEN f.break_glass THEN 'break_glass' END
    FROM (SELECT p.restricted_at IS NOT NULL AS restricted, p.created_by,
                 extract(epoch FROM now() - p.created_at)::bigint AS age_s,
                 c.intake_window_days AS window_days,
                 EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = p.id
                          AND a.user_id = me AND a.ended_at IS NULL) AS assigned,
                 EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = p.id
                          AND b.user_id = me AND b.expires_at > now()) AS break_glass
            FROM persons p JOIN controllers c ON c.id = p.controller_id
           WHERE p.id = p_person AND p.controller_id = my_controller) f;
END $$;

GRANT SELECT ON staff_users, sessions, partners TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_context_mac() OWNER TO crt_auth;
ALTER FUNCTION crt_context_ok() OWNER TO crt_auth;
ALTER FUNCTION crt_login_begin(smallint, uuid) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_context_mac(), crt_login_begin(smallint, uuid)
  FROM PUBLIC;
-- crt_context_ok() stays executable by every role: the policies call it as the querying role.
GRANT EXECUTE ON FUNCTION crt_login_begin(smallint, uuid) TO crt_api;

-- crt_auth_login_lookup answers password hashes to crt_api by username. It stays the way in for
-- a login, but every lookup is counted per minute in the database, and beyond
-- 1200 a minute (20/s, far above the logins of the whole service) it refuses with 53400, so a
-- compromised crt_api cannot fetch every controller's hashes in one sweep, and the counts
-- remain for the operator to see.
CREATE TABLE auth_lookup_minutes (
  minute  timestamptz PRIMARY KEY,
  lookups integer NOT NULL
);
ALTER TABLE auth_lookup_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_lookup_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY definer_counts ON auth_lookup_minutes TO crt_auth USING (true) WITH CHECK (true);
CREATE POLICY review_job_reads ON auth_lookup_minutes FOR SELECT TO crt_review USING (true);
GRANT SELECT, INSERT, UPDATE ON auth_lookup_minutes TO crt_auth;
GRANT SELECT ON auth_lookup_minutes TO crt_review;

CREATE OR REPLACE FUNCTION crt_auth_login_lookup(p_username text)
RETURNS TABLE (user_id uuid, controller_id smallint, role text, disabled boolean,
               password_hash text, locked boolean, totp_active boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  n integer;
BEGIN
  INSERT INTO auth_lookup_minutes AS m (minute, lookups)
  VALUES (date_trunc('minute', clock_timestamp()), 1)
  ON CONFLICT (minute) DO UPDATE SET lookups = m.lookups + 1
  RETURNING m.lookups INTO n;
  IF n > 1200 THEN
    RAISE EXCEPTION 'login lookups over the limit this minute' USING ERRCODE = '53400';
  END IF;
  RETURN QUERY
  SELECT u.id, u.controller_id, u.role, u.disabled_at IS NOT NULL, c.password_hash,
         COALESCE(c.locked_until > now(), false), c.totp_confirmed_at IS NOT NULL
    FROM staff_users u LEFT JOIN staff_credentials c ON c.user_id = u.id
   WHERE u.username = p_username;
END $$;
