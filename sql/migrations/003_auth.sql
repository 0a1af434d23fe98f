-- 003: staff authentication — credentials (scrypt hash, sealed TOTP secret, failure counters,
-- lock), one-time challenges (MFA and enrolment tokens), sessions, recovery codes, login events.

CREATE TABLE staff_credentials (
  user_id           uuid PRIMARY KEY REFERENCES staff_users(id),
  controller_id     smallint NOT NULL REFERENCES controllers(id),
  password_hash     text,                         -- $scrypt$ln=…,r=…,p=…$salt$hash
  failed_passwords  integer NOT NULL DEFAULT 0,   -- consecutive
  failed_codes      integer NOT NULL DEFAULT 0,   -- consecutive
  lockouts          integer NOT NULL DEFAULT 0,   -- consecutive lockouts: the delay grows
  locked_until      timestamptz,
  totp_sealed       bytea,                        -- AES-256-GCM nonce || ciphertext || tag
  totp_key_id       text,
  totp_confirmed_at timestamptz,                  -- NULL: no active TOTP (pending or none)
  totp_last_step    bigint NOT NULL DEFAULT -1,   -- last accepted time step (replay guard)
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- MFA and enrolment tokens: random, stored as SHA-256, single use, short-lived.
CREATE TABLE auth_challenges (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_sha256  text NOT NULL UNIQUE,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  user_id       uuid NOT NULL REFERENCES staff_users(id),
  kind          text NOT NULL CHECK (kind IN ('mfa', 'enrol')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX auth_challenges_user ON auth_challenges (user_id) WHERE used_at IS NULL;

CREATE TABLE sessions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  user_id       uuid NOT NULL REFERENCES staff_users(id),
  role          text NOT NULL REFERENCES roles(code),
  amr           text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  ip            text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE recovery_codes (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  user_id       uuid NOT NULL REFERENCES staff_users(id),
  code_sha256   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  used_at       timestamptz,
  UNIQUE (user_id, code_sha256)
);

-- Every login event, never the password or code. controller_id is NULL for unknown users:
-- such rows are visible to the operator (and the review job), not to any controller.
CREATE TABLE login_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  controller_id smallint REFERENCES controllers(id),
  user_id       uuid REFERENCES staff_users(id),
  actor_id      uuid REFERENCES staff_users(id),    -- the administrator, for admin actions
  event         text NOT NULL CHECK (event IN ('password', 'totp', 'recovery_code', 'lockout',
                  'enrol_start', 'enrol_confirm', 'logout', 'unlock', 'mfa_reset', 'disable',
                  'enable', 'role_change', 'password_change', 'create')),
  outcome       text NOT NULL CHECK (outcome IN ('success', 'failure', 'refused')),
  ip            text,
  request_id    text
);
CREATE INDEX login_events_user ON login_events (user_id, at);
CREATE TRIGGER login_events_append_only BEFORE UPDATE OR DELETE ON login_events
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['staff_credentials', 'auth_challenges', 'sessions', 'recovery_codes',
                           'login_events']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY controller_isolation ON %I
                      USING (controller_id = (SELECT crt_current_controller()))
                      WITH CHECK (controller_id = (SELECT crt_current_controller()))', t);
  END LOOP;
END $$;

-- Lookups before the caller's controller is known run as crt_auth (BYPASSRLS) and return only
-- what authentication needs.
CREATE FUNCTION crt_auth_login_lookup(p_username text)
RETURNS TABLE (user_id uuid, controller_id smallint, role text, disabled boolean,
               password_hash text, locked boolean, totp_active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT u.id, u.controller_id, u.role, u.disabled_at IS NOT NULL, c.password_hash,
             COALESCE(c.locked_until > now(), false), c.totp_confirmed_at IS NOT NULL
        FROM staff_users u LEFT JOIN staff_credentials c ON c.user_id = u.id
       WHERE u.username = p_username $$;

CREATE FUNCTION crt_auth_challenge(p_token_sha256 text)
RETURNS TABLE (challenge_id uuid, controller_id smallint, user_id uuid, kind text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT a.id, a.controller_id, a.user_id, a.kind FROM auth_challenges a
        JOIN staff_users u ON u.id = a.user_id
       WHERE a.token_sha256 = p_token_sha256 AND a.used_at IS NULL AND a.expires_at > now()
         AND u.disabled_at IS NULL $$;

-- Opens an authenticated request's RLS context only if its session is still good: not
-- revoked or expired, the user not disabled, the role unchanged. One round trip per request.
CREATE FUNCTION crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM sessions s JOIN staff_users u ON u.id = s.user_id
                  WHERE s.id = p_session AND s.user_id = p_user AND s.controller_id = p_controller
                    AND s.revoked_at IS NULL AND s.expires_at > now()
                    AND u.disabled_at IS NULL AND u.role = p_role
                    AND u.controller_id = p_controller) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', p_user::text, true),
          set_config('crt.session_id', p_session::text, true);
  RETURN true;
END $$;

-- Login events of unknown users (no controller) and of users before their context is set.
CREATE FUNCTION crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text,
                               p_ip text, p_request_id text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ INSERT INTO login_events (controller_id, user_id, event, outcome, ip, request_id)
      VALUES (p_controller, p_user, p_event, p_outcome, p_ip, p_request_id) $$;

GRANT SELECT ON staff_credentials, auth_challenges, sessions TO crt_auth;
GRANT INSERT ON login_events TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_auth_login_lookup(text) OWNER TO crt_auth;
ALTER FUNCTION crt_auth_challenge(text) OWNER TO crt_auth;
ALTER FUNCTION crt_session_begin(smallint, uuid, uuid, text) OWNER TO crt_auth;
ALTER FUNCTION crt_auth_event(smallint, uuid, text, text, text, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_auth_login_lookup(text), crt_auth_challenge(text),
  crt_session_begin(smallint, uuid, uuid, text), crt_auth_event(smallint, uuid, text, text, text, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_auth_login_lookup(text), crt_auth_challenge(text),
  crt_session_begin(smallint, uuid, uuid, text), crt_auth_event(smallint, uuid, text, text, text, text)
  TO crt_api;

-- The development identity lookup is gone with the header it served.
DROP FUNCTION crt_auth_find_user(text);

GRANT SELECT, INSERT, UPDATE ON staff_credentials, auth_challenges, sessions, recovery_codes
  TO crt_api;
GRANT INSERT, SELECT ON login_events TO crt_api;
GRANT UPDATE (role, disabled_at, display_name) ON staff_users TO crt_api;
GRANT INSERT ON staff_users TO crt_api;
