-- 008: a transfer is logged with the purpose the coordinator gave (X-CRT-Purpose), not always
-- 'registration'.
DROP FUNCTION crt_transfer_person(uuid, text, text, text);
CREATE FUNCTION crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text,
                                    p_purpose text)
RETURNS smallint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  src smallint := crt_current_controller();
  dst smallint;
BEGIN
  IF crt_current_role() IS DISTINCT FROM 'coordinator' OR src IS NULL THEN
    RAISE EXCEPTION 'only a coordinator transfers' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT id INTO dst FROM controllers WHERE code = p_to AND id <> src;
  IF dst IS NULL OR NOT EXISTS (SELECT 1 FROM persons WHERE id = p_person AND controller_id = src) THEN
    RETURN NULL;
  END IF;
  UPDATE case_assignments SET ended_at = now(), ended_by = crt_current_user()
   WHERE person_id = p_person AND ended_at IS NULL;
  UPDATE referrals SET ended_at = now(), ended_by = crt_current_user()
   WHERE person_id = p_person AND ended_at IS NULL;
  UPDATE persons SET controller_id = dst, household_id = NULL, version = version + 1,
         updated_at = now() WHERE id = p_person;
  INSERT INTO access_log (controller_id, user_id, person_id, action, field_groups, purpose,
                          outcome, reason, request_id)
  VALUES (src, crt_current_user(), p_person, 'transfer_out', '{}', p_purpose, 'allowed',
          p_reason, p_request),
         (dst, crt_current_user(), p_person, 'transfer_in', '{}', p_purpose, 'allowed',
          'from controller ' || src, p_request);
  RETURN dst;
END $$;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_transfer_person(uuid, text, text, text, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_transfer_person(uuid, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_transfer_person(uuid, text, text, text, text) TO crt_api;
