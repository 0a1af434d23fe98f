-- 016: partner tokens tied to the secret's version; failed client authentications recorded
-- for the DPO and throttled; a forwarded rights request shown to its receiver as a forwarding
-- record only (no person, no decider, no free text).

-- ---- partner secret versions ----
-- A token names the version of the secret it was issued under (claim "sv"); rotating the
-- secret increments the version, so every earlier token stops at once, even one issued in the
-- same second (007 compared whole-second times with a second of slack).
ALTER TABLE partners ADD COLUMN secret_version integer NOT NULL DEFAULT 1
  CHECK (secret_version >= 1);

CREATE FUNCTION crt_partner_secret_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.secret_sha256 IS DISTINCT FROM OLD.secret_sha256 THEN
    NEW.secret_version := OLD.secret_version + 1;
  ELSE
    NEW.secret_version := OLD.secret_version;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER partners_secret_version BEFORE UPDATE ON partners
  FOR EACH ROW EXECUTE FUNCTION crt_partner_secret_version();

DROP FUNCTION crt_partner_begin(uuid, bigint);
CREATE FUNCTION crt_partner_begin(p_partner uuid, p_secret_version integer) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partners WHERE id = p_partner AND disabled_at IS NULL
                    AND secret_version = p_secret_version) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.partner_id', p_partner::text, true),
          set_config('crt.role', 'partner', true);
  RETURN true;
END $$;

-- ---- failed client authentications ----
-- One row per refused POST /v1/oauth/token (wrong secret, unknown or disabled client, missing
-- credentials). partner_id is set when the client id names a partner; client_id is kept only
-- when it is well-formed (never arbitrary submitted text). Requests refused by the throttle
-- itself (429) are not rows: the failures that caused it are. The DPO of every controller that
-- has (or had) a grant to the partner reads its rows; rows naming no partner are for the
-- operator (crtctl / the owner), no controller's business.
CREATE TABLE partner_auth_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  partner_id  uuid REFERENCES partners(id),
  client_id   text CHECK (client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  reason      text NOT NULL CHECK (reason IN ('bad_secret', 'unknown_client', 'disabled',
                'no_credentials')),
  ip          text NOT NULL CHECK (length(ip) <= 64),
  request_id  text NOT NULL
);
CREATE INDEX partner_auth_events_client ON partner_auth_events (client_id, at);
CREATE INDEX partner_auth_events_ip ON partner_auth_events (ip, at);
CREATE INDEX partner_auth_events_partner ON partner_auth_events (partner_id, id);
CREATE TRIGGER partner_auth_events_append_only BEFORE UPDATE OR DELETE ON partner_auth_events
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

ALTER TABLE partner_auth_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_auth_events FORCE ROW LEVEL SECURITY;
CREATE POLICY dpo_of_granting_controller ON partner_auth_events FOR SELECT
  USING ((SELECT crt_current_role()) = 'dpo'
         AND EXISTS (SELECT 1 FROM partner_grants g
                      WHERE g.partner_id = partner_auth_events.partner_id
                        AND g.controller_id = (SELECT crt_current_controller())));

-- Seconds a client must wait before its next attempt: 0 while fewer than p_client_max
-- failures of this client id and fewer than p_ip_max failures from this address fall within
-- the last p_window_s seconds; otherwise until the oldest failure that keeps the count at the
-- limit leaves the window.
CREATE FUNCTION crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer,
                                      p_client_max integer, p_ip_max integer)
RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT GREATEST(0, ceil(extract(epoch FROM max(t.at) + make_interval(secs => p_window_s)
                                              - clock_timestamp()))::integer)
    FROM (SELECT (SELECT e.at FROM partner_auth_events e
                   WHERE e.client_id = p_client_id
                     AND e.at > clock_timestamp() - make_interval(secs => p_window_s)
                   ORDER BY e.at DESC OFFSET p_client_max - 1 LIMIT 1) AS at
          UNION ALL
          SELECT (SELECT e.at FROM partner_auth_events e
                   WHERE e.ip = p_ip
                     AND e.at > clock_timestamp() - make_interval(secs => p_window_s)
                   ORDER BY e.at DESC OFFSET p_ip_max - 1 LIMIT 1)) t
$$;

CREATE FUNCTION crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text,
                                         p_request_id text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  INSERT INTO partner_auth_events (partner_id, client_id, reason, ip, request_id)
  SELECT (SELECT p.id FROM partners p WHERE p.client_id = p_client_id),
         CASE WHEN p_client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$' THEN p_client_id END,
         p_reason, left(p_ip, 64), p_request_id
$$;

GRANT SELECT, INSERT ON partner_auth_events TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_partner_begin(uuid, integer) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_auth_wait(text, text, integer, integer, integer) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_auth_failure(text, text, text, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_partner_begin(uuid, integer),
  crt_partner_auth_wait(text, text, integer, integer, integer),
  crt_partner_auth_failure(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_partner_begin(uuid, integer),
  crt_partner_auth_wait(text, text, integer, integer, integer),
  crt_partner_auth_failure(text, text, text, text) TO crt_api;
GRANT SELECT ON partner_auth_events TO crt_api;
CREATE POLICY review_job_reads ON partner_auth_events FOR SELECT TO crt_review USING (true);
GRANT SELECT ON partner_auth_events TO crt_review;

-- ---- forwarded rights requests ----
-- 013 let both controllers select the one row, so in the receiver's database context the
-- owner's person_id, decided_by, reasons and details were visible (only the API hid them).
-- The table is now the owner's alone; the receiver reads a forwarding record through a view
-- that carries only what the API shows it: number, kind, controllers, dates and state.
DROP POLICY register_visible ON rights_requests;
CREATE POLICY register_visible ON rights_requests FOR SELECT
  USING (owning_controller = (SELECT crt_current_controller()));

-- Owned by crt_auth (BYPASSRLS): the view filters by the caller's controller itself;
-- security_barrier keeps a caller's own conditions from running before that filter.
CREATE VIEW rights_request_forwards WITH (security_barrier = true) AS
  SELECT r.id, r.number, r.receiving_controller, r.owning_controller, r.kind, r.status,
         r.received_on, r.deadline, r.due_on, r.decided_on, r.created_at,
         r.tombstone_id IS NOT NULL AS person_erased
    FROM rights_requests r
   WHERE r.receiving_controller = (SELECT crt_current_controller())
     AND r.owning_controller <> r.receiving_controller;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER VIEW rights_request_forwards OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
GRANT SELECT ON rights_request_forwards TO crt_api;
