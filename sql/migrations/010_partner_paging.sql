-- 010: partner pulls without per-row function calls. The active, unambiguous grant of each of
-- the current partner's active referrals is computed once per query, set-based; the policies
-- test the partner branch first (a staff caller skips it at once: no partner), so a partner's
-- rows do not evaluate the staff conditions.

CREATE FUNCTION crt_partner_referrals()
RETURNS TABLE (referral_id uuid, person_id uuid, grant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.person_id, min(g.id::text)::uuid
    FROM referrals r
    JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id
     AND g.purpose = r.purpose AND g.revoked_at IS NULL
     AND now() >= g.valid_from AND now() < g.valid_to
   WHERE r.partner_id = crt_current_partner() AND r.ended_at IS NULL
   GROUP BY r.id, r.person_id
  HAVING count(*) = 1
$$;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_partner_referrals() OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_partner_referrals() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_partner_referrals() TO crt_api;

DROP POLICY need_to_know ON persons;
CREATE POLICY need_to_know ON persons
  USING (((SELECT crt_current_partner()) IS NOT NULL AND restricted_at IS NULL
          AND id IN (SELECT person_id FROM crt_partner_referrals()))
    OR (controller_id = (SELECT crt_current_controller()) AND (
         (SELECT crt_current_role()) IN ('coordinator', 'education')
      OR ((SELECT crt_current_role()) = 'intake' AND created_by = (SELECT crt_current_user())
          AND created_at > now() - make_interval(days => (SELECT c.intake_window_days
                FROM controllers c WHERE c.id = (SELECT crt_current_controller()))))
      OR EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = persons.id
                  AND a.user_id = (SELECT crt_current_user()) AND a.ended_at IS NULL)
      OR EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = persons.id
                  AND b.user_id = (SELECT crt_current_user()) AND b.expires_at > now()))))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

DROP POLICY referrals_visible ON referrals;
CREATE POLICY referrals_visible ON referrals
  USING (partner_id = (SELECT crt_current_partner())
         OR (controller_id = (SELECT crt_current_controller())
             AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id)))
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id));
