-- 006: the national register number (sensitive group: sealed with AES-256-GCM, plus an HMAC
-- blind index for exact lookup), a blind index of normalised name + birth date, the
-- cross-controller duplicate check (existence and place only), and transfer of a person to
-- another controller.

ALTER TABLE persons ADD COLUMN national_number_sealed bytea,
                    ADD COLUMN national_number_key_id text,
                    ADD COLUMN national_number_bidx text,
                    ADD COLUMN name_bidx text;
CREATE INDEX persons_nn_bidx ON persons (national_number_bidx) WHERE national_number_bidx IS NOT NULL;
CREATE INDEX persons_name_bidx ON persons (name_bidx) WHERE name_bidx IS NOT NULL;

-- Where else a person with this national number or this name + birth date is registered:
-- the other controllers' codes and what matched, nothing more.
CREATE FUNCTION crt_duplicates(p_nn_bidx text, p_name_bidx text)
RETURNS TABLE (controller text, matched_on text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT DISTINCT c.code, CASE WHEN p.national_number_bidx = p_nn_bidx THEN 'national_number'
                               ELSE 'name_and_birth_date' END
    FROM persons p JOIN controllers c ON c.id = p.controller_id
   WHERE p.controller_id <> crt_current_controller() AND crt_current_controller() IS NOT NULL
     AND crt_current_role() IN ('intake', 'coordinator')
     AND ((p_nn_bidx IS NOT NULL AND p.national_number_bidx = p_nn_bidx)
          OR (p_name_bidx IS NOT NULL AND p.name_bidx = p_name_bidx))
   ORDER BY 1, 2
$$;

-- Rows that stay with the controller where they were made when a person moves: break-glass
-- and rectifications are that controller's own history (and append-only).
ALTER TABLE break_glass DROP CONSTRAINT break_glass_controller_id_person_id_fkey,
  ADD FOREIGN KEY (person_id) REFERENCES persons (id);
ALTER TABLE person_rectifications DROP CONSTRAINT person_rectifications_controller_id_person_id_fkey,
  ADD FOREIGN KEY (person_id) REFERENCES persons (id);
-- Rows that move with the person.
ALTER TABLE trajectory_entries DROP CONSTRAINT trajectory_entries_controller_id_person_id_fkey,
  ADD FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id) ON UPDATE CASCADE;
ALTER TABLE case_assignments DROP CONSTRAINT case_assignments_controller_id_person_id_fkey,
  ADD FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id) ON UPDATE CASCADE;
ALTER TABLE referrals DROP CONSTRAINT referrals_controller_id_person_id_fkey,
  ADD FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id) ON UPDATE CASCADE;

-- A coordinator moves a person to another controller (the person moved). Assignments and
-- referrals end, the household link is dropped, and both controllers' logs get a row.
CREATE FUNCTION crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text)
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
  VALUES (src, crt_current_user(), p_person, 'transfer_out', '{}', 'registration', 'allowed',
          p_reason, p_request),
         (dst, crt_current_user(), p_person, 'transfer_in', '{}', 'registration', 'allowed',
          'from controller ' || src, p_request);
  RETURN dst;
END $$;

GRANT SELECT, UPDATE ON persons, case_assignments, referrals TO crt_auth;
GRANT SELECT ON trajectory_entries TO crt_auth;
GRANT UPDATE ON trajectory_entries TO crt_auth;
GRANT INSERT ON access_log TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_duplicates(text, text) OWNER TO crt_auth;
ALTER FUNCTION crt_transfer_person(uuid, text, text, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_duplicates(text, text), crt_transfer_person(uuid, text, text, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_duplicates(text, text), crt_transfer_person(uuid, text, text, text)
  TO crt_api;
