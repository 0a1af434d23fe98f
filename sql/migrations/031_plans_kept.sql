-- 031: three SQL functions of the read paths become PL/pgSQL, so their plans are kept per
-- connection instead of made again on every call (issue 16 item 4; measured by
-- tests/bench/statements.sh, docs/performance.md "Where a read's time goes").
-- A LANGUAGE sql function is inlined into its caller only when its body is a plain expression;
-- a body with a sub-query (EXISTS, FROM) is executed as its own query and planned anew for each
-- statement that calls it. crt_objection() is called by every person read: its planning cost
-- ~100 µs of the read's ~400 µs. crt_partner_referral_grant() is called once per referral
-- stepped over by crt_partner_page() (each a statement of its own), crt_partner_sees() by the
-- persons policy for a partner. Same arguments, same answers, same rights (CREATE OR REPLACE
-- keeps the owner, the grants, SECURITY DEFINER and search_path as written here).

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
