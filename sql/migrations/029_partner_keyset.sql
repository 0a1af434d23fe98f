-- 029: partner pulls cost per page what a page holds (issue 16 item 8). A page walks an index
-- of the partner's active referrals in the pull's order (the person's updated_at, id, purpose)
-- from the cursor and stops after `limit` rows; grants, objections and visibility are checked
-- for those rows only, instead of computing the partner's whole set of referrals per page (010).

-- The person's updated_at on each referral, kept by triggers, so that the pull's order is an
-- index of referrals.
ALTER TABLE referrals ADD COLUMN person_updated_at timestamptz;
UPDATE referrals r SET person_updated_at = COALESCE(
  (SELECT p.updated_at FROM persons p WHERE p.id = r.person_id), '-infinity');
ALTER TABLE referrals ALTER COLUMN person_updated_at SET NOT NULL;
-- What a referral whose insert trigger did not run (a bulk load with triggers off) carries.
ALTER TABLE referrals ALTER COLUMN person_updated_at SET DEFAULT '-infinity';
CREATE INDEX referrals_partner_page ON referrals (partner_id, person_updated_at, person_id, purpose)
  WHERE ended_at IS NULL;

-- A new referral (or one moved to another person) takes the person's updated_at.
CREATE FUNCTION crt_referral_person_stamp() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  -- '-infinity' for a person id with no person (no pull joins it to anything)
  NEW.person_updated_at := COALESCE((SELECT p.updated_at FROM persons p WHERE p.id = NEW.person_id),
                                    '-infinity');
  RETURN NEW;
END $$;

-- A change of the person's updated_at is copied to the person's referrals.
CREATE FUNCTION crt_person_stamp_referrals() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  UPDATE referrals SET person_updated_at = NEW.updated_at WHERE person_id = NEW.id;
  RETURN NULL;
END $$;

-- The unique active grant of one of the current partner's active referrals, or NULL: none,
-- several (ambiguous), or an objection covers the referral's purpose (023). Per row, for the
-- rows of one page.
CREATE FUNCTION crt_partner_referral_grant(p_referral uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT min(g.id::text)::uuid
    FROM referrals r
    JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id
     AND g.purpose = r.purpose AND g.revoked_at IS NULL
     AND now() >= g.valid_from AND now() < g.valid_to
   WHERE r.id = p_referral AND r.partner_id = crt_current_partner() AND r.ended_at IS NULL
     AND NOT crt_objection(r.person_id, r.purpose, true)
  HAVING count(*) = 1
$$;

-- One page of the current partner's pull: its active referrals after the cursor (p_ts, p_person,
-- p_purpose) and changed after p_since, in the pull's order (the person's updated_at, id,
-- purpose), with their grant, until p_limit are found. Each step is one probe of
-- referrals_partner_page for the next referral (ORDER BY .. LIMIT 1, so the plan is an index
-- scan whatever the estimates); a referral without a single active grant, under an objection
-- or of a restricted person is stepped over. Reads p_limit + skipped referrals, never the rest.
CREATE FUNCTION crt_partner_page(p_since timestamptz, p_ts timestamptz, p_person uuid,
                                 p_purpose text, p_limit integer)
RETURNS TABLE (referral_id uuid, grant_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp ROWS 100
AS $$
DECLARE
  me uuid := crt_current_partner();
  k_ts timestamptz := COALESCE(p_ts, '-infinity');
  k_person uuid := COALESCE(p_person, '00000000-0000-0000-0000-000000000000');
  k_purpose text := COALESCE(p_purpose, '');
  r record;
  g uuid;
  n integer := 0;
BEGIN
  IF me IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
    RETURN;
  END IF;
  IF p_since IS NOT NULL AND k_ts <= p_since THEN
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL AND x.person_updated_at > p_since
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  ELSE
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL
       AND (x.person_updated_at, x.person_id, x.purpose) > (k_ts, k_person, k_purpose)
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  END IF;
  WHILE FOUND LOOP
    g := crt_partner_referral_grant(r.id);
    IF g IS NOT NULL AND EXISTS (SELECT 1 FROM persons p WHERE p.id = r.person_id
                                   AND p.restricted_at IS NULL) THEN
      referral_id := r.id;
      grant_id := g;
      RETURN NEXT;
      n := n + 1;
      EXIT WHEN n >= p_limit;
    END IF;
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL
       AND (x.person_updated_at, x.person_id, x.purpose) > (r.person_updated_at, r.person_id, r.purpose)
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  END LOOP;
END $$;

-- Whether the current partner may see the person: one of its active referrals of the person
-- has a grant as above. An index probe per person (referrals_person).
CREATE FUNCTION crt_partner_sees(p_person uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM referrals r
                  WHERE r.person_id = p_person AND r.partner_id = crt_current_partner()
                    AND r.ended_at IS NULL AND crt_partner_referral_grant(r.id) IS NOT NULL)
$$;

GRANT UPDATE (person_updated_at) ON referrals TO crt_auth;
GRANT SELECT ON rights_requests TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_referral_person_stamp() OWNER TO crt_auth;
ALTER FUNCTION crt_person_stamp_referrals() OWNER TO crt_auth;
ALTER FUNCTION crt_partner_referral_grant(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_sees(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_page(timestamptz, timestamptz, uuid, text, integer) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_referral_person_stamp(), crt_person_stamp_referrals(),
  crt_partner_referral_grant(uuid), crt_partner_sees(uuid),
  crt_partner_page(timestamptz, timestamptz, uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_partner_referral_grant(uuid), crt_partner_sees(uuid),
  crt_partner_page(timestamptz, timestamptz, uuid, text, integer) TO crt_api;

CREATE TRIGGER referrals_person_stamp BEFORE INSERT OR UPDATE OF person_id ON referrals
  FOR EACH ROW EXECUTE FUNCTION crt_referral_person_stamp();
CREATE TRIGGER persons_stamp_referrals AFTER UPDATE ON persons
  FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
  EXECUTE FUNCTION crt_person_stamp_referrals();

-- The persons policy: the partner branch probes the person's referrals instead of the
-- partner's whole set (crt_partner_referrals(), which nothing uses any more).
-- Written as migration 020 writes the policies that read more than one field: one
-- crt_context() per query (D53).
ALTER POLICY need_to_know ON persons
  USING (EXISTS (SELECT 1 FROM crt_context() c WHERE
           (c.partner_id IS NOT NULL AND persons.restricted_at IS NULL
            AND crt_partner_sees(persons.id))
        OR (persons.controller_id = c.controller_id AND (
              c.role IN ('coordinator', 'education')
           OR (c.role = 'intake' AND persons.created_by = c.user_id
               AND persons.created_at > now() - make_interval(days => (SELECT w.intake_window_days
                     FROM controllers w WHERE w.id = c.controller_id)))
           OR EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = persons.id
                       AND a.user_id = c.user_id AND a.ended_at IS NULL)
           OR EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = persons.id
                       AND b.user_id = c.user_id AND b.expires_at > now())))));
DROP FUNCTION crt_partner_referrals();
