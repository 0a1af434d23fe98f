-- 025: the signed context of one request inside a batch of reads (issue 16, decision D51).
-- crt-api runs the reads of concurrent requests in one transaction (group commit), each
-- request's statements after its own session check, all sent in one flight before any answer
-- is back. A check that answers false would leave the previous request's context in force for
-- the read that follows it in the flight; these wrappers clear the context first and raise
-- (SQLSTATE CR401) instead of answering false, which aborts the flight at once: no statement
-- after a failed check runs, and the transaction is rolled back (crt-api runs the rest again
-- without that request). They sign nothing themselves: crt_session_begin / crt_partner_begin
-- do, as before. Invoker's rights: crt_api may already call both and clear its own settings.

CREATE FUNCTION crt_session_require(p_controller smallint, p_user uuid, p_session uuid,
                                    p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM set_config('crt.context_mac', '', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  IF NOT crt_session_begin(p_controller, p_user, p_session, p_role) THEN
    RAISE EXCEPTION 'the session is no longer valid' USING ERRCODE = 'CR401';
  END IF;
  RETURN true;
END $$;

CREATE FUNCTION crt_partner_require(p_partner uuid, p_secret_version integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM set_config('crt.context_mac', '', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  IF NOT crt_partner_begin(p_partner, p_secret_version) THEN
    RAISE EXCEPTION 'the partner credentials are no longer valid' USING ERRCODE = 'CR401';
  END IF;
  RETURN true;
END $$;

REVOKE ALL ON FUNCTION crt_session_require(smallint, uuid, uuid, text),
  crt_partner_require(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_session_require(smallint, uuid, uuid, text),
  crt_partner_require(uuid, integer) TO crt_api;
