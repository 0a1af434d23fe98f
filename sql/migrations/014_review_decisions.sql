-- 014: the database's own guard on DPO decisions (crt-api checks it too, under a row lock): a
-- decision must name the finding's current decision as the one it replaces (none for the
-- first), and a finding's decision can only be set to a decision recorded for it.
CREATE FUNCTION crt_review_decision_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_id bigint;
BEGIN
  SELECT f.decision_id INTO current_id FROM review_findings f WHERE f.id = NEW.finding_id
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such finding' USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF NEW.replaces IS DISTINCT FROM current_id THEN
    RAISE EXCEPTION 'a decision must replace the current decision (%)',
      COALESCE(current_id::text, 'none') USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER review_decisions_replace_current BEFORE INSERT ON review_decisions
  FOR EACH ROW EXECUTE FUNCTION crt_review_decision_check();

CREATE FUNCTION crt_review_finding_decision_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.decision, NEW.decision_id) IS DISTINCT FROM (OLD.decision, OLD.decision_id)
     AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.id = NEW.decision_id
                      AND d.finding_id = NEW.id AND d.decision = NEW.decision
                      AND d.replaces IS NOT DISTINCT FROM OLD.decision_id) THEN
    RAISE EXCEPTION 'a finding''s decision is set only from its newest recorded decision'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER review_findings_decision_recorded BEFORE UPDATE OF decision, decision_id
  ON review_findings FOR EACH ROW EXECUTE FUNCTION crt_review_finding_decision_check();

-- What the review reads of the rights register (013): the restriction history (every access
-- while a restriction held is a finding, also after it was lifted).
CREATE POLICY review_job_reads ON person_restrictions FOR SELECT TO crt_review USING (true);
GRANT SELECT ON person_restrictions TO crt_review;
