-- 022: the administrator console (issue 14 part 2): enrolment links for new accounts, partners
-- owned by a controller and managed by its administrator through crt-api, grants written by
-- crt-api for the administrator only, the controller's settings and holidays changed by its
-- administrator, and every such action a login event the DPO reads.

-- ---- enrolment links ----
-- An enrolment link is a single-use auth challenge of kind 'invite' (256 random bits, stored
-- as SHA-256, expiring): it lets a new user choose a password and then enrol TOTP.
ALTER TABLE auth_challenges DROP CONSTRAINT auth_challenges_kind_check;
ALTER TABLE auth_challenges ADD CONSTRAINT auth_challenges_kind_check
  CHECK (kind IN ('mfa', 'enrol', 'invite'));

-- ---- administrative events ----
-- The administrator's actions on partners, grants and settings join the account actions in
-- login_events (actor_id = the administrator); subject names what was acted on (a partner or
-- grant id, a setting's name, a holiday's date), never personal data or a secret.
ALTER TABLE login_events ADD COLUMN subject text CHECK (length(subject) <= 100);
ALTER TABLE login_events DROP CONSTRAINT login_events_event_check;
ALTER TABLE login_events ADD CONSTRAINT login_events_event_check CHECK (event IN ('password',
  'totp', 'recovery_code', 'lockout', 'enrol_start', 'enrol_confirm', 'logout', 'unlock',
  'mfa_reset', 'disable', 'enable', 'role_change', 'password_change', 'create',
  'session_revoke', 'invite', 'invite_used', 'partner_create', 'partner_secret',
  'partner_revoke', 'grant_create', 'grant_end', 'settings_change', 'holiday_set',
  'holiday_remove'));

-- ---- partners owned by a controller ----
-- NULL: a partner of the installation (crtctl, the operator's); otherwise the controller whose
-- administrator created it and alone may rotate its secret or revoke it. Named owner_controller,
-- not controller_id: partners is no tenant table under RLS (partner authentication reads it
-- before any context, and it holds no personal data); the definer functions below and the
-- statements of crt-api filter on it.
ALTER TABLE partners ADD COLUMN owner_controller smallint REFERENCES controllers(id);
CREATE INDEX partners_owner ON partners (owner_controller) WHERE owner_controller IS NOT NULL;

-- True when the caller is an administrator in a verified context (crt_current_* are signed).
CREATE FUNCTION crt_admin_check() RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF crt_current_role() IS DISTINCT FROM 'admin' OR crt_current_controller() IS NULL THEN
    RAISE EXCEPTION 'administrators only' USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

CREATE FUNCTION crt_admin_partner_create(p_client_id text, p_name text, p_kind text,
                                         p_secret_sha256 text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE id uuid;
BEGIN
  PERFORM crt_admin_check();
  INSERT INTO partners (client_id, name, kind, secret_sha256, owner_controller)
  VALUES (p_client_id, p_name, p_kind, p_secret_sha256, crt_current_controller())
  RETURNING partners.id INTO id;
  RETURN id;
END $$;

-- The new secret's version (tokens naming an older one are refused), or NULL when the partner
-- is not the caller's controller's or is revoked.
CREATE FUNCTION crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE v integer;
BEGIN
  PERFORM crt_admin_check();
  UPDATE partners SET secret_sha256 = p_secret_sha256, secret_rotated_at = now()
   WHERE id = p_partner AND owner_controller = crt_current_controller() AND disabled_at IS NULL
  RETURNING secret_version INTO v;
  RETURN v;
END $$;

-- Revokes the partner (no token, no new one) and ends the controller's grants to it; false
-- when it is not the caller's controller's.
CREATE FUNCTION crt_admin_partner_revoke(p_partner uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM crt_admin_check();
  UPDATE partners SET disabled_at = COALESCE(disabled_at, now())
   WHERE id = p_partner AND owner_controller = crt_current_controller();
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE partner_grants SET revoked_at = now()
   WHERE partner_id = p_partner AND controller_id = crt_current_controller()
     AND revoked_at IS NULL;
  RETURN true;
END $$;

-- ---- the controller's settings ----
-- Each argument NULL leaves its setting as it is; the checks of the columns still apply.
CREATE FUNCTION crt_admin_settings_set(p_intake_window_days integer,
    p_break_glass_minutes integer, p_work_start time, p_work_end time, p_work_days smallint[],
    p_retention_basis text, p_retention_months integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM crt_admin_check();
  UPDATE controllers SET
    intake_window_days = COALESCE(p_intake_window_days, intake_window_days),
    break_glass_minutes = COALESCE(p_break_glass_minutes, break_glass_minutes),
    work_start = COALESCE(p_work_start, work_start),
    work_end = COALESCE(p_work_end, work_end),
    work_days = COALESCE(p_work_days, work_days),
    retention_basis = COALESCE(p_retention_basis, retention_basis),
    retention_period = COALESCE(make_interval(months => p_retention_months), retention_period)
   WHERE id = crt_current_controller();
END $$;

CREATE FUNCTION crt_admin_holiday_set(p_day date, p_name text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM crt_admin_check();
  INSERT INTO controller_holidays (controller_id, day, name)
  VALUES (crt_current_controller(), p_day, p_name)
  ON CONFLICT (controller_id, day) DO UPDATE SET name = p_name;
END $$;

CREATE FUNCTION crt_admin_holiday_remove(p_day date) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM crt_admin_check();
  DELETE FROM controller_holidays WHERE controller_id = crt_current_controller() AND day = p_day;
  RETURN FOUND;
END $$;

GRANT CREATE ON SCHEMA public TO crt_auth;
GRANT SELECT, INSERT, UPDATE (secret_sha256, secret_rotated_at, disabled_at) ON partners
  TO crt_auth;
GRANT SELECT, UPDATE (revoked_at) ON partner_grants TO crt_auth;
GRANT SELECT, UPDATE (intake_window_days, break_glass_minutes, work_start, work_end, work_days,
  retention_basis, retention_period) ON controllers TO crt_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON controller_holidays TO crt_auth;
ALTER FUNCTION crt_admin_partner_create(text, text, text, text) OWNER TO crt_auth;
ALTER FUNCTION crt_admin_partner_secret(uuid, text) OWNER TO crt_auth;
ALTER FUNCTION crt_admin_partner_revoke(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_admin_settings_set(integer, integer, time, time, smallint[], text, integer)
  OWNER TO crt_auth;
ALTER FUNCTION crt_admin_holiday_set(date, text) OWNER TO crt_auth;
ALTER FUNCTION crt_admin_holiday_remove(date) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_admin_partner_create(text, text, text, text),
  crt_admin_partner_secret(uuid, text), crt_admin_partner_revoke(uuid),
  crt_admin_settings_set(integer, integer, time, time, smallint[], text, integer),
  crt_admin_holiday_set(date, text), crt_admin_holiday_remove(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_admin_partner_create(text, text, text, text),
  crt_admin_partner_secret(uuid, text), crt_admin_partner_revoke(uuid),
  crt_admin_settings_set(integer, integer, time, time, smallint[], text, integer),
  crt_admin_holiday_set(date, text), crt_admin_holiday_remove(date) TO crt_api;

-- ---- grants ----
-- crt-api writes grants for the administrator only (the C check, and these restrictive
-- policies behind it): to a partner of the installation or of the caller's controller, never
-- to another controller's partner; ending one sets revoked_at (no DELETE).
GRANT INSERT, UPDATE (revoked_at) ON partner_grants TO crt_api;
CREATE POLICY admin_writes ON partner_grants AS RESTRICTIVE FOR INSERT TO crt_api
  WITH CHECK ((SELECT crt_current_role()) = 'admin'
              AND EXISTS (SELECT 1 FROM partners p WHERE p.id = partner_id
                            AND p.disabled_at IS NULL
                            AND (p.owner_controller IS NULL
                                 OR p.owner_controller = (SELECT crt_current_controller()))));
CREATE POLICY admin_ends ON partner_grants AS RESTRICTIVE FOR UPDATE TO crt_api
  USING ((SELECT crt_current_role()) = 'admin');
