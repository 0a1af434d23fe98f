-- 026: re-applying the erasure ledger after a restore (issue 17, docs/operations.md "Backups and
-- restore"). crt-api and crtctl retention write every erased person's id to a file outside the
-- database before the erasure commits; after the database is restored from a backup older than
-- some of those erasures, crtctl erasure-ledger apply passes each id to this function, which
-- erases the person again through crt_erase_core (the same deletions, tombstone and access-log
-- row as the original erasure) when the person is in the restored database.

-- Erases p_person again as the ledger line says: p_reason 'data_subject_request' with the
-- request's number, or 'retention'. The erasure was decided when the line was written (a legal
-- hold or a retention date read in the restored database does not undo that decision). An open
-- erasure request with that number about the person, when the restored database has it, is
-- granted. Returns 'erased', or 'absent' when the person is not (or no longer) there.
CREATE FUNCTION crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint,
                                    p_run text)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  rq uuid;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('data_subject_request', 'retention')
     OR (p_reason = 'data_subject_request') <> (p_request_number IS NOT NULL) THEN
    RAISE EXCEPTION 'malformed erasure ledger entry' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM 1 FROM persons WHERE id = p_person FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 'absent';
  END IF;
  SELECT r.id INTO rq FROM rights_requests r
   WHERE r.number = p_request_number AND r.person_id = p_person AND r.kind = 'erasure'
     AND r.status = 'open' FOR UPDATE;
  PERFORM crt_erase_core(p_person, p_reason, p_request_number, p_run, p_reason, NULL);
  IF rq IS NOT NULL THEN
    UPDATE rights_requests SET status = 'granted', decided_on = current_date WHERE id = rq;
  END IF;
  RETURN 'erased';
END $$;

GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_erasure_reapply(uuid, text, bigint, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_erasure_reapply(uuid, text, bigint, text) FROM PUBLIC;
-- crtctl erasure-ledger apply, as the owner; crt-api cannot.
GRANT EXECUTE ON FUNCTION crt_erasure_reapply(uuid, text, bigint, text) TO crt_owner;
