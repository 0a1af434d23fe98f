-- 005: partner agencies (VDAB, OCMW, NT2 providers, VMSW, …): OAuth2 clients, grants
-- (machtigingen: which field groups of which controller, for which purpose and legal basis,
-- when), referrals of persons, and a disclosure row for every person a partner receives.

CREATE TABLE partners (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  kind          text NOT NULL CHECK (kind IN ('employment', 'social_welfare', 'education',
                                                 'housing', 'other')),
  client_id     text NOT NULL UNIQUE CHECK (client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  -- The secret is 256 random bits, shown once; SHA-256 of it is enough at rest (no password).
  secret_sha256 text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  secret_rotated_at timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner_grants (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner_id    uuid NOT NULL REFERENCES partners(id),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  field_groups  text[] NOT NULL CHECK (cardinality(field_groups) >= 1 AND field_groups <@
                  ARRAY['identification', 'contact', 'trajectory', 'situation', 'education']),
  purpose       text NOT NULL CHECK (purpose ~ '^[a-z0-9_]{3,64}$'),
  legal_basis   text NOT NULL CHECK (length(legal_basis) BETWEEN 3 AND 300),
  valid_from    timestamptz NOT NULL,
  valid_to      timestamptz NOT NULL CHECK (valid_to > valid_from),
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_grants_lookup ON partner_grants (partner_id, controller_id, purpose);

CREATE TABLE referrals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  partner_id    uuid NOT NULL REFERENCES partners(id),
  purpose       text NOT NULL CHECK (purpose ~ '^[a-z0-9_]{3,64}$'),
  created_by    uuid NOT NULL REFERENCES staff_users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  ended_by      uuid REFERENCES staff_users(id),
  FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id)
);
CREATE INDEX referrals_partner ON referrals (partner_id, person_id) WHERE ended_at IS NULL;
CREATE INDEX referrals_person ON referrals (person_id);

CREATE TABLE disclosures (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  partner_id    uuid NOT NULL REFERENCES partners(id),
  grant_id      uuid NOT NULL REFERENCES partner_grants(id),
  field_groups  text[] NOT NULL,
  purpose       text NOT NULL,
  legal_basis   text NOT NULL,
  request_id    text NOT NULL
);
CREATE INDEX disclosures_person ON disclosures (person_id, at);
CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON disclosures
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

CREATE FUNCTION crt_current_partner() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('crt.partner_id', true), '')::uuid $$;

-- An active, unambiguous grant: exactly one unrevoked grant in its validity window for
-- (partner, controller, purpose). Anything else fails closed.
CREATE FUNCTION crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text)
RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT CASE WHEN count(*) = 1 THEN min(g.id::text)::uuid END FROM partner_grants g
       WHERE g.partner_id = p_partner AND g.controller_id = p_controller
         AND g.purpose = p_purpose AND g.revoked_at IS NULL
         AND now() >= g.valid_from AND now() < g.valid_to $$;

-- Whether the current partner may receive this person: an active referral and an active,
-- unambiguous grant for its purpose. SECURITY DEFINER so that the persons policy does not
-- recurse through the referrals policy (which itself looks at persons).
CREATE FUNCTION crt_partner_may_see(p_person uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p_person
                      AND r.partner_id = crt_current_partner() AND r.ended_at IS NULL
                      AND crt_active_grant(r.partner_id, r.controller_id, r.purpose) IS NOT NULL) $$;

-- Grants: a controller's staff see their controller's grants; a partner sees its own.
ALTER TABLE partner_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY grants_visible ON partner_grants
  USING (controller_id = (SELECT crt_current_controller())
         OR partner_id = (SELECT crt_current_partner()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

ALTER TABLE referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
CREATE POLICY referrals_visible ON referrals
  USING ((controller_id = (SELECT crt_current_controller())
          AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))
         OR partner_id = (SELECT crt_current_partner()))
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id));

ALTER TABLE disclosures ENABLE ROW LEVEL SECURITY;
ALTER TABLE disclosures FORCE ROW LEVEL SECURITY;
CREATE POLICY disclosures_read ON disclosures FOR SELECT
  USING (controller_id = (SELECT crt_current_controller()));
CREATE POLICY disclosures_write ON disclosures FOR INSERT
  WITH CHECK (partner_id = (SELECT crt_current_partner()));

-- Persons: the staff scope of 004, or a partner with an active referral and an active,
-- unambiguous grant for that referral's purpose — never a restricted person.
DROP POLICY need_to_know ON persons;
CREATE POLICY need_to_know ON persons
  USING ((controller_id = (SELECT crt_current_controller()) AND (
         (SELECT crt_current_role()) IN ('coordinator', 'education')
      OR ((SELECT crt_current_role()) = 'intake' AND created_by = (SELECT crt_current_user())
          AND created_at > now() - make_interval(days => (SELECT c.intake_window_days
                FROM controllers c WHERE c.id = (SELECT crt_current_controller()))))
      OR EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = persons.id
                  AND a.user_id = (SELECT crt_current_user()) AND a.ended_at IS NULL)
      OR EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = persons.id
                  AND b.user_id = (SELECT crt_current_user()) AND b.expires_at > now())))
    OR ((SELECT crt_current_partner()) IS NOT NULL AND restricted_at IS NULL
        AND crt_partner_may_see(id)))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

-- Partner accesses go into the controller's log with the partner named.
ALTER TABLE access_log ADD COLUMN partner_id uuid;
DROP POLICY append ON access_log;
CREATE POLICY append ON access_log FOR INSERT
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              OR (partner_id IS NOT NULL AND partner_id = (SELECT crt_current_partner())));

-- A partner's request: the partner must be enabled; its RLS context has no controller.
CREATE FUNCTION crt_partner_begin(p_partner uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partners WHERE id = p_partner AND disabled_at IS NULL) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.partner_id', p_partner::text, true),
          set_config('crt.role', 'partner', true);
  RETURN true;
END $$;

GRANT SELECT ON partners, partner_grants, referrals TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_active_grant(uuid, smallint, text) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_begin(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_partner_may_see(uuid) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_active_grant(uuid, smallint, text), crt_partner_begin(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION crt_partner_may_see(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_active_grant(uuid, smallint, text), crt_partner_begin(uuid),
  crt_current_partner(), crt_partner_may_see(uuid) TO crt_api;

GRANT SELECT ON partners TO crt_api;
GRANT SELECT ON partner_grants TO crt_api;
GRANT SELECT, INSERT, UPDATE ON referrals TO crt_api;
GRANT SELECT, INSERT ON disclosures TO crt_api;

-- NT2 test results (education) reach a partner only through a disclosed person.
DROP POLICY need_to_know ON trajectory_entries;
CREATE POLICY need_to_know ON trajectory_entries
  USING ((controller_id = (SELECT crt_current_controller())
          OR (SELECT crt_current_partner()) IS NOT NULL)
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id));
