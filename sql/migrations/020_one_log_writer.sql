-- 020: one writer and one canonical form of an access-log row; the signed context verified once
-- per policy instead of once per accessor (issue 12 items 2 and 4, decision D53).
--
-- Until now a log row was written by eight INSERT statements (crt-api's C writer, three
-- statement CTEs, four PL/pgSQL functions), and crt-review built its canonical sealed form in
-- C from a column list of its own. From here on crt_log_access() is the only statement that
-- inserts into access_log, and crt_log_canonical() the only definition of the bytes a seal
-- hashes. And where 019 verified the context's signature in every crt_current_*() call (three
-- to five per policy), crt_context() verifies it once and hands out every field; the policies
-- that read more than one field read one crt_context() per evaluation.

-- ---- the context, verified once ----
-- The fields of the RLS context; every field NULL when crt_api's context does not verify.
CREATE TYPE crt_context_fields AS (
  verified      boolean,   -- signed in this transaction (always true for roles other than crt_api)
  controller_id smallint,
  user_id       uuid,      -- only within a session: a login step names no user to the policies
  role          text,
  session_id    uuid,
  partner_id    uuid
);

-- The one verifier (019's NMAC, unchanged): the settings of crt_api's transaction count only
-- when signed in this very transaction by crt_session_begin, crt_partner_begin or
-- crt_login_begin; other roles (the owner, which can alter the policies anyway) are trusted.
-- No SET clause (saving and restoring search_path costs more than the hashing): every name is
-- schema-qualified, and pg_temp is never searched for functions or operators.
CREATE FUNCTION crt_context() RETURNS crt_context_fields
LANGUAGE plpgsql STABLE SECURITY DEFINER
AS $$
DECLARE
  k public.crt_context_keys;
BEGIN
  IF pg_catalog.pg_has_role(session_user, 'crt_api', 'MEMBER') THEN
    SELECT * INTO k FROM public.crt_context_keys;
    IF pg_catalog.current_setting('crt.context_mac', true)
       IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(k.k_out || pg_catalog.sha256(k.k_in
             || pg_catalog.convert_to(pg_catalog.format('%s|%s|%s|%s|%s|%s|%s',
             pg_catalog.current_setting('crt.controller_id', true),
             pg_catalog.current_setting('crt.user_id', true),
             pg_catalog.current_setting('crt.role', true),
             pg_catalog.current_setting('crt.session_id', true),
             pg_catalog.current_setting('crt.partner_id', true),
             pg_catalog.pg_backend_pid(), pg_catalog.txid_current()), 'UTF8'))), 'hex') THEN
      RETURN ROW(false, NULL, NULL, NULL, NULL, NULL)::public.crt_context_fields;
    END IF;
  END IF;
  -- One expression (assigning the fields one by one cost a quarter more per call).
  RETURN ROW(true,
             NULLIF(pg_catalog.current_setting('crt.controller_id', true), '')::pg_catalog.int2,
             CASE WHEN NULLIF(pg_catalog.current_setting('crt.role', true), '') IS NOT NULL
                  THEN NULLIF(pg_catalog.current_setting('crt.user_id', true), '')::pg_catalog.uuid END,
             NULLIF(pg_catalog.current_setting('crt.role', true), ''),
             NULLIF(pg_catalog.current_setting('crt.session_id', true), '')::pg_catalog.uuid,
             NULLIF(pg_catalog.current_setting('crt.partner_id', true), '')::pg_catalog.uuid
            )::public.crt_context_fields;
END $$;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_context() OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
-- Executable by every role: the policies call it as the querying role.

-- 019's names stay (the definer functions and later migrations use them), as views of the one
-- verifier. A policy that needs one field reads one of these in an InitPlan: one verification.
CREATE OR REPLACE FUNCTION crt_context_ok() RETURNS boolean LANGUAGE sql STABLE
AS $$ SELECT (public.crt_context()).verified $$;
CREATE OR REPLACE FUNCTION crt_current_controller() RETURNS smallint LANGUAGE sql STABLE
AS $$ SELECT (public.crt_context()).controller_id $$;
CREATE OR REPLACE FUNCTION crt_current_user() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT (public.crt_context()).user_id $$;
CREATE OR REPLACE FUNCTION crt_current_role() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT (public.crt_context()).role $$;
CREATE OR REPLACE FUNCTION crt_current_partner() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT (public.crt_context()).partner_id $$;

-- ---- the policies that read more than one field: one crt_context() each ----
-- (The others compare one column with one accessor in an InitPlan: one verification already.
-- So does `append` on access_log for a staff member's row: its second accessor, the partner's,
-- is evaluated only when the first comparison fails, and an InitPlan costs no function scan
-- per inserted row.)
-- A field of one context row: `(SELECT c.x FROM crt_context() c WHERE <condition on c>)` is one
-- InitPlan (and stays usable by an index); conditions mixing the row and several fields are
-- `EXISTS (SELECT 1 FROM crt_context() c WHERE …)`, whose function scan runs once per query and
-- is rescanned, not called again, for every further row. Table columns are always qualified
-- (c has columns of the same names).
ALTER POLICY need_to_know ON persons
  USING (EXISTS (SELECT 1 FROM crt_context() c WHERE
           (c.partner_id IS NOT NULL AND persons.restricted_at IS NULL
            AND persons.id IN (SELECT r.person_id FROM crt_partner_referrals() r))
        OR (persons.controller_id = c.controller_id AND (
              c.role IN ('coordinator', 'education')
           OR (c.role = 'intake' AND persons.created_by = c.user_id
               AND persons.created_at > now() - make_interval(days => (SELECT w.intake_window_days
                     FROM controllers w WHERE w.id = c.controller_id)))
           OR EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = persons.id
                       AND a.user_id = c.user_id AND a.ended_at IS NULL)
           OR EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = persons.id
                       AND b.user_id = c.user_id AND b.expires_at > now())))));

ALTER POLICY need_to_know ON trajectory_entries
  USING (EXISTS (SELECT 1 FROM crt_context() c
                  WHERE trajectory_entries.controller_id = c.controller_id
                     OR c.partner_id IS NOT NULL)
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = trajectory_entries.person_id));

ALTER POLICY referrals_visible ON referrals
  USING (EXISTS (SELECT 1 FROM crt_context() c
                  WHERE referrals.partner_id = c.partner_id
                     OR (referrals.controller_id = c.controller_id
                         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = referrals.person_id))));

ALTER POLICY grants_visible ON partner_grants
  USING (EXISTS (SELECT 1 FROM crt_context() c
                  WHERE partner_grants.controller_id = c.controller_id
                     OR partner_grants.partner_id = c.partner_id));

ALTER POLICY visible ON partner_notifications
  USING (EXISTS (SELECT 1 FROM crt_context() c
                  WHERE partner_notifications.partner_id = c.partner_id
                     OR partner_notifications.controller_id = c.controller_id));

ALTER POLICY dpo_reads ON access_log
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_reads ON reviews
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_reads ON review_findings
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_reads ON review_cases
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_reads ON review_decisions
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_reads ON review_user_stats
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_updates ON review_findings
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_updates ON review_cases
  USING (controller_id = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY dpo_decides ON review_decisions
  WITH CHECK ((controller_id, decided_by)
              = (SELECT c.controller_id, c.user_id FROM crt_context() c WHERE c.role = 'dpo'));
ALTER POLICY owner_decides ON rights_requests
  USING (owning_controller
         = (SELECT c.controller_id FROM crt_context() c WHERE c.role = 'coordinator'));
ALTER POLICY dpo_of_granting_controller ON partner_auth_events
  USING (partner_auth_events.partner_id IN (SELECT g.partner_id FROM partner_grants g
          WHERE g.controller_id = (SELECT c.controller_id FROM crt_context() c
                                    WHERE c.role = 'dpo')));

-- ---- the one writer of access_log ----
-- Every log row is inserted here, with the privileges and row-level security of the caller:
-- crt-api's statements (as crt_api, naming the controller and user, or the partner, of the
-- context's settings, whose signature the policy `append` verifies in the same INSERT) and the
-- definer functions below (as crt_auth).
-- The defaults of the table (id, at, txid) are the only other values. No RETURNING: it would
-- ask crt_api to be able to read the row back (the log is read by the DPO only).
CREATE FUNCTION crt_log_access(p_controller smallint, p_user uuid, p_partner uuid,
                               p_person uuid, p_household uuid, p_action text,
                               p_groups text[], p_purpose text, p_outcome text, p_reason text,
                               p_request_id text)
RETURNS void LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  INSERT INTO public.access_log (controller_id, user_id, partner_id, person_id, household_id,
                                 action, field_groups, purpose, outcome, reason, request_id)
  VALUES (p_controller, p_user, p_partner, p_person, p_household, p_action, p_groups, p_purpose,
          p_outcome, p_reason, p_request_id);
END $$;

-- The canonical bytes of a log row, which crt-review hashes (SHA-256) into its seals: for each
-- column in this order, 0x00 when NULL, else 0x01, the length of its text as a 4-byte big-endian
-- integer and the text (UTF-8). The time is in microseconds since the epoch. These are the bytes
-- crt-review built in C until 020 (seal_row_digest over SEAL_ROW_COLUMNS), so the seals made
-- before stay verifiable; a column added to access_log is added here as a new version of the
-- form (the seals name none yet), never by changing the meaning of these bytes.
CREATE FUNCTION crt_log_canonical_field(v text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
                  ELSE '\x01'::bytea || pg_catalog.int4send(pg_catalog.octet_length(v))
                       || pg_catalog.convert_to(v, 'UTF8') END $$;

CREATE FUNCTION crt_log_canonical(l access_log) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT crt_log_canonical_field(l.id::text) || crt_log_canonical_field(l.txid::text)
          || crt_log_canonical_field(((extract(epoch FROM l.at) * 1000000)::bigint)::text)
          || crt_log_canonical_field(l.controller_id::text)
          || crt_log_canonical_field(l.user_id::text)
          || crt_log_canonical_field(l.person_id::text)
          || crt_log_canonical_field(l.household_id::text)
          || crt_log_canonical_field(l.action) || crt_log_canonical_field(l.field_groups::text)
          || crt_log_canonical_field(l.purpose) || crt_log_canonical_field(l.outcome)
          || crt_log_canonical_field(l.reason) || crt_log_canonical_field(l.request_id)
          || crt_log_canonical_field(l.partner_id::text) $$;

-- ---- the definer functions that log, through the writer (bodies otherwise as before) ----
-- As in 008; logs through crt_log_access, one verification of the context.
CREATE OR REPLACE FUNCTION crt_transfer_person(p_person uuid, p_to text, p_reason text,
                                               p_request text, p_purpose text)
RETURNS smallint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  ctx crt_context_fields := crt_context();
  src smallint := ctx.controller_id;
  dst smallint;
BEGIN
  IF ctx.role IS DISTINCT FROM 'coordinator' OR src IS NULL THEN
    RAISE EXCEPTION 'only a coordinator transfers' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT id INTO dst FROM controllers WHERE code = p_to AND id <> src;
  IF dst IS NULL OR NOT EXISTS (SELECT 1 FROM persons WHERE id = p_person AND controller_id = src) THEN
    RETURN NULL;
  END IF;
  UPDATE case_assignments SET ended_at = now(), ended_by = ctx.user_id
   WHERE person_id = p_person AND ended_at IS NULL;
  UPDATE referrals SET ended_at = now(), ended_by = ctx.user_id
   WHERE person_id = p_person AND ended_at IS NULL;
  UPDATE persons SET controller_id = dst, household_id = NULL, version = version + 1,
         updated_at = now() WHERE id = p_person;
  PERFORM crt_log_access(src, ctx.user_id, NULL, p_person, NULL, 'transfer_out', '{}',
                         p_purpose, 'allowed', p_reason, p_request);
  PERFORM crt_log_access(dst, ctx.user_id, NULL, p_person, NULL, 'transfer_in', '{}',
                         p_purpose, 'allowed', 'from controller ' || src, p_request);
  RETURN dst;
END $$;

-- As in 013; logs through crt_log_access.
CREATE OR REPLACE FUNCTION crt_erase_core(p_person uuid, p_reason text, p_request_number bigint,
                                          p_request_id text, p_purpose text, p_user uuid)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  ctl smallint;
  hh uuid;
  t bigint;
BEGIN
  SELECT controller_id, household_id INTO ctl, hh FROM persons WHERE id = p_person FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('crt.erasing', p_person::text, true);
  DELETE FROM partner_notifications WHERE person_id = p_person;
  INSERT INTO partner_notifications (partner_id, controller_id, person_id, kind, field_groups,
                                     request_id)
  SELECT d.partner_id, ctl, p_person, 'erasure', array_agg(DISTINCT g ORDER BY g), p_request_id
    FROM disclosures d CROSS JOIN LATERAL unnest(d.field_groups) g
   WHERE d.person_id = p_person GROUP BY d.partner_id;
  DELETE FROM trajectory_entries WHERE person_id = p_person;
  DELETE FROM person_rectifications WHERE person_id = p_person;
  DELETE FROM case_assignments WHERE person_id = p_person;
  DELETE FROM break_glass WHERE person_id = p_person;
  DELETE FROM referrals WHERE person_id = p_person;
  DELETE FROM disclosures WHERE person_id = p_person;
  DELETE FROM person_restrictions WHERE person_id = p_person;
  INSERT INTO person_tombstones (person_id, controller_id, reason, request_number, request_id)
  VALUES (p_person, ctl, p_reason, p_request_number, p_request_id) RETURNING id INTO t;
  UPDATE rights_requests SET person_id = NULL, tombstone_id = t, representative_name = NULL,
         details = NULL, reasons = NULL, extension_reason = NULL
   WHERE person_id = p_person;
  DELETE FROM persons WHERE id = p_person;
  IF hh IS NOT NULL AND NOT EXISTS (SELECT 1 FROM persons WHERE household_id = hh) THEN
    DELETE FROM households WHERE id = hh;
  END IF;
  PERFORM crt_log_access(ctl, p_user, NULL, p_person, NULL, 'erasure',
                         '{identification,contact,trajectory,situation,education,sensitive}',
                         p_purpose, 'allowed', p_reason, p_request_id);
  PERFORM set_config('crt.erasing', '', true);
  RETURN t;
END $$;

-- As in 013; logs through crt_log_access, and reads the context once.
CREATE OR REPLACE FUNCTION crt_rights_request_register(p_owner text, p_person uuid, p_oki text,
    p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text,
    p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text)
RETURNS TABLE (outcome text, request uuid, number bigint, deadline date)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  ctx crt_context_fields := crt_context();
  me smallint := ctx.controller_id;
  owner smallint;
  person uuid;
  n integer;
  minor boolean;
  rq rights_requests;
BEGIN
  IF me IS NULL OR ctx.user_id IS NULL
     OR ctx.role NOT IN ('intake', 'caseworker', 'coordinator', 'dpo') THEN
    RAISE EXCEPTION 'this role does not register requests' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_owner IS NULL THEN
    owner := me;
  ELSE
    SELECT c.id INTO owner FROM controllers c WHERE c.code = p_owner;
    IF owner IS NULL THEN
      RETURN QUERY SELECT 'no_controller'::text, NULL::uuid, NULL::bigint, NULL::date;
      RETURN;
    END IF;
  END IF;
  IF p_person IS NOT NULL THEN
    IF owner <> me OR NOT EXISTS (SELECT 1 FROM crt_access(p_person) a WHERE a.reason IS NOT NULL) THEN
      RETURN QUERY SELECT 'no_match'::text, NULL::uuid, NULL::bigint, NULL::date;
      RETURN;
    END IF;
    person := p_person;
  ELSE
    SELECT count(*), min(p.id::text)::uuid INTO n, person FROM persons p
     WHERE p.controller_id = owner
       AND ((p_oki IS NOT NULL AND p.oki_number = p_oki)
            OR (p_nn_bidx IS NOT NULL AND p.national_number_bidx = p_nn_bidx)
            OR (p_oki IS NULL AND p_nn_bidx IS NULL AND p.name_bidx = p_name_bidx));
    IF n <> 1 THEN
      RETURN QUERY SELECT 'no_match'::text, NULL::uuid, NULL::bigint, NULL::date;
      RETURN;
    END IF;
  END IF;
  SELECT p.under_guardianship OR p_received < p.birth_date + interval '16 years' INTO minor
    FROM persons p WHERE p.id = person;
  IF minor AND p_rep_name IS NULL THEN
    RETURN QUERY SELECT 'representative_required'::text, NULL::uuid, NULL::bigint, NULL::date;
    RETURN;
  END IF;
  INSERT INTO rights_requests (receiving_controller, owning_controller, person_id, kind,
         received_on, identity_check, representative_name, representative_capacity, details,
         period, received_by, request_id)
  SELECT me, owner, person, p_kind, p_received, p_identity, p_rep_name, p_rep_capacity,
         p_details, c.request_period, ctx.user_id, p_request_id
    FROM controllers c WHERE c.id = owner
  RETURNING * INTO rq;
  PERFORM crt_log_access(me, ctx.user_id, NULL, CASE WHEN owner = me THEN person END, NULL,
                         'request_write', '{}', p_purpose, 'allowed',
                         CASE WHEN owner = me THEN 'request ' || rq.number
                              ELSE 'request ' || rq.number || ' forwarded to controller ' || owner END,
                         p_request_id);
  IF owner <> me THEN
    PERFORM crt_log_access(owner, NULL, NULL, person, NULL, 'request_write', '{}', p_purpose,
                           'allowed', 'request ' || rq.number || ' forwarded from controller ' || me,
                           p_request_id);
  END IF;
  RETURN QUERY SELECT 'registered'::text, rq.id, rq.number, rq.deadline;
END $$;
