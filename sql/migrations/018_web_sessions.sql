-- 018: browser sessions. A session may be named by a __Host- cookie (only its SHA-256 is kept)
-- and then has an idle timeout besides its absolute expiry; every session records when it was
-- last used and by which user agent. crt_session_begin (the check of every authenticated
-- request, in its own transaction) now also ends idle sessions and renews active ones.

ALTER TABLE sessions
  ADD COLUMN cookie_sha256  text UNIQUE,          -- NULL: a bearer-token session
  ADD COLUMN idle_timeout_s integer CHECK (idle_timeout_s > 0), -- NULL: no idle timeout
  ADD COLUMN last_seen_at   timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN user_agent     text;

-- Revoking sessions (a user's other sessions, one session, an administrator) is a login event.
ALTER TABLE login_events DROP CONSTRAINT login_events_event_check;
ALTER TABLE login_events ADD CONSTRAINT login_events_event_check CHECK (event IN ('password',
  'totp', 'recovery_code', 'lockout', 'enrol_start', 'enrol_confirm', 'logout', 'unlock',
  'mfa_reset', 'disable', 'enable', 'role_change', 'password_change', 'create',
  'session_revoke'));

-- The session a cookie names, before the caller's controller is known (runs as crt_auth):
-- state 'active', 'expired' (idle timeout or absolute limit: the browser says so) or 'ended'
-- (logged out, revoked, the account disabled or its role changed).
CREATE FUNCTION crt_cookie_session(p_cookie_sha256 text)
RETURNS TABLE (session_id uuid, controller_id smallint, user_id uuid, role text, state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT s.id, s.controller_id, s.user_id, s.role,
             CASE WHEN s.revoked_at IS NOT NULL OR u.disabled_at IS NOT NULL
                       OR u.role <> s.role THEN 'ended'
                  WHEN s.expires_at <= now()
                       OR s.last_seen_at + make_interval(secs => s.idle_timeout_s) <= now()
                  THEN 'expired'
                  ELSE 'active' END
        FROM sessions s JOIN staff_users u ON u.id = s.user_id
       WHERE s.cookie_sha256 = p_cookie_sha256 $$;

-- As in 004, plus the idle timeout; activity renews last_seen_at (at most every
-- min(15 s, idle / 10), so a busy session does not write on every request).
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
          set_config('crt.session_id', p_session::text, true);
  RETURN true;
END $$;

GRANT UPDATE (last_seen_at) ON sessions TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_cookie_session(text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_cookie_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_cookie_session(text) TO crt_api;
