-- 017: what crt-review's explanations need of an erased person. Erasure (crt_erase_core, from a
-- granted request or crtctl retention) deletes the assignments, referrals, registrations,
-- rectifications and trajectory entries that explain earlier accesses; without them the next
-- run reports the partner that pulled under a referral (PA-01) and the assigned caseworker.
-- Before each such row goes, a trigger keeps its explanation fact: ids, a validity range or a
-- day, a purpose code — no personal data. The erasure function itself is unchanged.

CREATE TABLE review_facts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  -- assignment: actor was assigned (valid = the assignment's period);
  -- record: actor registered, rectified or wrote a trajectory entry (valid = [then, infinity));
  -- intake: actor wrote the intake entry of day `day` (valid = [then, infinity));
  -- referral: the person was referred to partner actor for purpose (valid = the referral's period)
  kind          text NOT NULL CHECK (kind IN ('assignment', 'record', 'intake', 'referral')),
  actor_id      uuid NOT NULL,               -- staff user, or the partner of a referral
  purpose       text CHECK (purpose ~ '^[a-z0-9_]{3,64}$'),
  valid         tstzrange NOT NULL,
  day           date,
  kept_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'referral') = (purpose IS NOT NULL)),
  CHECK ((kind = 'intake') = (day IS NOT NULL))
);
CREATE INDEX review_facts_person ON review_facts (person_id);
CREATE TRIGGER review_facts_append_only BEFORE UPDATE OR DELETE ON review_facts
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

-- Row-level security: crt_auth (the erasure function's owner) may only add facts about the
-- person being erased (crt.erasing, set by crt_erase_core); crt-review reads them all.
ALTER TABLE review_facts ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_facts FORCE ROW LEVEL SECURITY;
CREATE POLICY erasure_keeps ON review_facts FOR INSERT TO crt_auth
  WITH CHECK (person_id::text = current_setting('crt.erasing', true));
CREATE POLICY review_job_reads ON review_facts FOR SELECT TO crt_review USING (true);
GRANT INSERT ON review_facts TO crt_auth;
GRANT SELECT ON review_facts TO crt_review;

-- Keeps the fact of a row deleted by the erasure of its person (crt.erasing names it); other
-- deletions keep nothing. Runs as the deleting user (crt_auth inside crt_erase_core).
CREATE FUNCTION crt_keep_review_fact() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  person uuid;
BEGIN
  IF TG_TABLE_NAME = 'persons' THEN
    person := OLD.id;
  ELSE
    person := OLD.person_id;
  END IF;
  IF person::text IS DISTINCT FROM current_setting('crt.erasing', true) THEN
    RETURN OLD;
  END IF;
  CASE TG_TABLE_NAME
    WHEN 'case_assignments' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'assignment', OLD.user_id,
              tstzrange(OLD.started_at, CASE WHEN OLD.ended_at >= OLD.started_at
                                   OR OLD.ended_at IS NULL THEN OLD.ended_at ELSE OLD.started_at END));
    WHEN 'referrals' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, purpose, valid)
      VALUES (OLD.controller_id, person, 'referral', OLD.partner_id, OLD.purpose,
              tstzrange(OLD.created_at, CASE WHEN OLD.ended_at >= OLD.created_at
                                   OR OLD.ended_at IS NULL THEN OLD.ended_at ELSE OLD.created_at END));
    WHEN 'persons' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'record', OLD.created_by, tstzrange(OLD.created_at, NULL));
    WHEN 'person_rectifications' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'record', OLD.changed_by, tstzrange(OLD.changed_at, NULL));
    WHEN 'trajectory_entries' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid, day)
      VALUES (OLD.controller_id, person, CASE WHEN OLD.kind = 'intake' THEN 'intake' ELSE 'record' END,
              OLD.created_by, tstzrange(OLD.created_at, NULL),
              CASE WHEN OLD.kind = 'intake' THEN OLD.occurred_on END);
  END CASE;
  RETURN OLD;
END $$;

CREATE TRIGGER case_assignments_keep_review_fact BEFORE DELETE ON case_assignments
  FOR EACH ROW EXECUTE FUNCTION crt_keep_review_fact();
CREATE TRIGGER referrals_keep_review_fact BEFORE DELETE ON referrals
  FOR EACH ROW EXECUTE FUNCTION crt_keep_review_fact();
CREATE TRIGGER persons_keep_review_fact BEFORE DELETE ON persons
  FOR EACH ROW EXECUTE FUNCTION crt_keep_review_fact();
CREATE TRIGGER person_rectifications_keep_review_fact BEFORE DELETE ON person_rectifications
  FOR EACH ROW EXECUTE FUNCTION crt_keep_review_fact();
CREATE TRIGGER trajectory_entries_keep_review_fact BEFORE DELETE ON trajectory_entries
  FOR EACH ROW EXECUTE FUNCTION crt_keep_review_fact();
