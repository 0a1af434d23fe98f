-- 021: what the DPO console shows of the log's seals (issue 14): every `crt-review verify` run
-- is recorded (when, clean/altered/error, seals checked, problems), and the DPO of any
-- controller reads the seal chain's state (last seal, rows sealed, last verify) through one
-- definer function that answers nothing to other roles. Seals cover every controller's rows.
CREATE TABLE log_verify_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  result      text NOT NULL CHECK (result IN ('clean', 'altered', 'error')),
  seals       integer NOT NULL DEFAULT 0 CHECK (seals >= 0),
  problems    bigint NOT NULL DEFAULT 0 CHECK (problems >= 0),
  CHECK (finished_at >= started_at)
);
CREATE TRIGGER log_verify_runs_append_only BEFORE UPDATE OR DELETE ON log_verify_runs
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
GRANT SELECT, INSERT ON log_verify_runs TO crt_review;

-- The seal state for the caller's DPO console: no row unless the signed context says dpo.
-- txid_to is the upper bound of the last seal: log rows of transactions from there on are
-- not sealed yet (crt-api counts its own controller's under row-level security).
CREATE FUNCTION crt_seal_state()
RETURNS TABLE (last_seal_id bigint, last_sealed_at timestamptz, last_seal_rows bigint,
               last_txid_to bigint, seals bigint, rows_sealed numeric, verify_result text,
               verify_started_at timestamptz, verify_finished_at timestamptz,
               verify_seals integer, verify_problems bigint, last_clean_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT s.id, s.sealed_at, s.row_count, s.txid_to, a.n, a.total, v.result, v.started_at,
         v.finished_at, v.seals, v.problems, c.finished_at
    FROM (SELECT 1) one
    LEFT JOIN (SELECT * FROM log_seals ORDER BY id DESC LIMIT 1) s ON true
    LEFT JOIN (SELECT count(*) AS n, sum(row_count) AS total FROM log_seals) a ON true
    LEFT JOIN (SELECT * FROM log_verify_runs ORDER BY id DESC LIMIT 1) v ON true
    LEFT JOIN (SELECT max(finished_at) AS finished_at FROM log_verify_runs
                WHERE result = 'clean') c ON true
   WHERE crt_current_role() = 'dpo' AND crt_current_controller() IS NOT NULL
$$;
REVOKE ALL ON FUNCTION crt_seal_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_seal_state() TO crt_api;

-- The DPO keeps the register and watches its deadlines: it may extend an open request of its
-- controller (decision D48), and nothing else — the trigger refuses a DPO's update that changes
-- any column but the extension's. Deciding stays with the coordinators (013).
CREATE POLICY dpo_extends ON rights_requests FOR UPDATE
  USING (owning_controller = (SELECT crt_current_controller())
         AND (SELECT crt_current_role()) = 'dpo' AND status = 'open')
  WITH CHECK (owning_controller = (SELECT crt_current_controller()) AND status = 'open');
-- (deadline and due_on are generated: in a BEFORE trigger NEW does not hold them yet.)
CREATE FUNCTION crt_rights_dpo_extends_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ext CONSTANT text[] := ARRAY['extension_months', 'extension_reason', 'person_told_on',
                               'deadline', 'due_on'];
BEGIN
  IF crt_current_role() = 'dpo' AND (to_jsonb(NEW) - ext) IS DISTINCT FROM (to_jsonb(OLD) - ext)
  THEN
    RAISE EXCEPTION 'a DPO only extends a request' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER rights_requests_dpo_extends_only BEFORE UPDATE ON rights_requests
  FOR EACH ROW EXECUTE FUNCTION crt_rights_dpo_extends_only();
