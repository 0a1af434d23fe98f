-- 030: three SQL functions of the read paths become PL/pgSQL, so their plans are kept per
-- connection instead of made again on every call (issue 16 item 4; measured by
-- tests/bench/statements.sh, docs/performance.md "Where a read's time goes").
-- A LANGUAGE sql function is inlined into its caller only when its body is a plain expression;
-- a body with a sub-query (EXISTS, FROM) is executed as its own query and planned anew for each
-- statement that calls it. crt_objection() is called by every person read: its planning cost
-- ~100 µs of the read's ~400 µs. crt_partner_referral_grant() is called once per referral
-- stepped over by crt_partner_page() (each a statement of its own), crt_partner_sees() by the
-- persons policy for a partner. Same arguments, same answers, same rights (CREATE OR REPLACE
-- keeps the owner, the grants, SECURITY DEFINER and search_path as written here). And the
-- session check runs its last-seen refresh only when one is due (below).

-- As in 023.
CREATE OR REPLACE FUNCTION crt_objection(p_person uuid, p_purpose text, p_partner boolean)
RETURNS boolean LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.rights_requests q
                  WHERE q.person_id = p_person AND q.kind = 'objection'
                    AND q.status = 'granted'
                    AND (p_purpose = ANY (q.objection_purposes)
                         OR (p_partner AND 'partner_disclosure' = ANY (q.objection_purposes))));
END $$;

-- As in 029.
CREATE OR REPLACE FUNCTION crt_partner_referral_grant(p_referral uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  RETURN (SELECT min(g.id::text)::uuid
            FROM referrals r
            JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id
             AND g.purpose = r.purpose AND g.revoked_at IS NULL
             AND now() >= g.valid_from AND now() < g.valid_to
           WHERE r.id = p_referral AND r.partner_id = crt_current_partner() AND r.ended_at IS NULL
             AND NOT crt_objection(r.person_id, r.purpose, true)
          HAVING count(*) = 1);
END $$;

-- As in 029.
CREATE OR REPLACE FUNCTION crt_partner_sees(p_person uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM referrals r
                  WHERE r.person_id = p_person AND r.partner_id = crt_current_partner()
                    AND r.ended_at IS NULL AND crt_partner_referral_grant(r.id) IS NOT NULL);
END $$;

-- As in 019, but the refresh of last_seen_at runs only when it is due: the session row read for
-- the check says so (the UPDATE keeps its own condition, checked again under the row lock).
-- Before, every request ran the UPDATE, which found no row but was planned and executed each
-- time: ~10 µs of a read's statement time.
CREATE OR REPLACE FUNCTION crt_session_begin(p_controller smallint, p_user uuid, p_session uuid,
                                             p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  due boolean;
BEGIN
  SELECT s.last_seen_at < now() - make_interval(secs => LEAST(15, COALESCE(s.idle_timeout_s, 150) / 10.0))
    INTO due
    FROM sessions s JOIN staff_users u ON u.id = s.user_id
   WHERE s.id = p_session AND s.user_id = p_user AND s.controller_id = p_controller
     AND s.revoked_at IS NULL AND s.expires_at > now()
     AND (s.idle_timeout_s IS NULL
          OR s.last_seen_at + make_interval(secs => s.idle_timeout_s) > now())
     AND u.disabled_at IS NULL AND u.role = p_role
     AND u.controller_id = p_controller;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF due THEN
    UPDATE sessions SET last_seen_at = now()
     WHERE id = p_session
       AND last_seen_at < now() - make_interval(secs => LEAST(15, COALESCE(idle_timeout_s, 150) / 10.0));
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', p_user::text, true),
          set_config('crt.role', p_role, true),
          set_config('crt.session_id', p_session::text, true),
          set_config('crt.partner_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;
