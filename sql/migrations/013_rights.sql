-- 013: rights of the person and retention — the register of requests (per-controller answer
-- period, extension, decision; forwarding between controllers), erasure with a tombstone,
-- restriction history, partner notifications of corrections and erasures, the per-controller
-- retention policy, and the record of access-log partitions dropped after the log retention.

-- ---- per-controller settings ----

-- How long a controller has to answer a request (CRT: one month; the Dutch regulations say four
-- weeks), its retention policy (a basis date + a period), and the legal basis it processes under.
ALTER TABLE controllers
  ADD COLUMN request_period interval NOT NULL DEFAULT '1 month'
    CHECK (request_period >= interval '1 day' AND request_period <= interval '3 months'),
  ADD COLUMN retention_basis text NOT NULL DEFAULT 'status_end'
    CHECK (retention_basis IN ('status_end', 'guidance_end', 'last_contact', 'registration')),
  ADD COLUMN retention_period interval NOT NULL DEFAULT '6 months'
    CHECK (retention_period >= interval '0' AND retention_period <= interval '30 years'),
  ADD COLUMN legal_basis text NOT NULL
    DEFAULT 'art. 6.1.e GDPR (task in the public interest): supporting the integration of temporarily displaced persons'
    CHECK (length(legal_basis) BETWEEN 10 AND 1000);
UPDATE controllers SET legal_basis = 'art. 6.1.e GDPR; art. 17 of the Flemish decree of 7 June 2013 on integration and civic integration; ministerial decree of 16 May 2022 (Ukraine crisis)'
 WHERE code = 'agii';
UPDATE controllers SET legal_basis = 'art. 6.1.e GDPR; art. 17, second paragraph, 5° and 7°, with art. 25 §1 of the Flemish decree of 7 June 2013; Flemish government decision of 17 July 2015; ministerial decree of 16 May 2022 (Ukraine crisis)'
 WHERE code = 'huis';
UPDATE controllers SET legal_basis = 'art. 6.1.e GDPR; art. 17 with art. 25 §1 of the Flemish decree of 7 June 2013; Flemish government decision of 21 March 2014; ministerial decree of 16 May 2022 (Ukraine crisis)'
 WHERE code IN ('atlas', 'ingent');

-- What each purpose of access means (X-CRT-Purpose, and the retention job), for the export.
CREATE TABLE processing_purposes (
  code        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO processing_purposes (code, description) VALUES
  ('registration', 'registering the person in the Centrale Registratietool'),
  ('guidance', 'organising support and guidance of the integration (NT2, work, childcare, buddies)'),
  ('duplicate_check', 'checking whether the person is already registered'),
  ('rectification', 'correcting the person''s data'),
  ('education', 'NT2 screening and test results'),
  ('data_subject_request', 'handling a request of the person (access, rectification, erasure, restriction, portability, objection)'),
  ('emergency', 'an emergency access (break-glass), reviewed afterwards'),
  ('audit', 'review of the access log by the data protection officer'),
  ('retention', 'erasure at the end of the retention period');

-- ---- what the rights and the retention need to know about a person ----
ALTER TABLE persons
  -- acts through a legal representative (VluchtelingenWerk 17.3, Xtra 4)
  ADD COLUMN under_guardianship boolean NOT NULL DEFAULT false,
  -- a legal retention duty: erasure is refused while set (Woongroep 9.4); the text says which
  ADD COLUMN legal_hold text CHECK (length(legal_hold) BETWEEN 10 AND 500),
  -- prior consent to transfer to another government system at the end of retention (CRT §5)
  ADD COLUMN transfer_consent_at timestamptz,
  -- end of guidance, the basis date of a 'guidance_end' retention policy
  ADD COLUMN guidance_ended_on date,
  -- set by the retention job for a consenting person; exported_at by the export that follows
  ADD COLUMN export_marked_at timestamptz,
  ADD COLUMN exported_at timestamptz;

-- ---- the tombstone left by an erasure: no personal data ----
CREATE TABLE person_tombstones (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id      uuid NOT NULL UNIQUE,
  controller_id  smallint NOT NULL REFERENCES controllers(id),
  erased_at      timestamptz NOT NULL DEFAULT now(),
  reason         text NOT NULL CHECK (reason IN ('data_subject_request', 'retention')),
  request_number bigint,
  request_id     text NOT NULL,
  CHECK ((reason = 'data_subject_request') = (request_number IS NOT NULL))
);
CREATE TRIGGER person_tombstones_append_only BEFORE UPDATE OR DELETE ON person_tombstones
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

-- ---- the register of requests ----
-- Received by any controller (receiving_controller) about a person of the owning controller.
-- deadline = received + the owning controller's period at receipt; due_on adds the extension
-- to the period first (Jan 31 + (1 month + 2 months) = Apr 30, not Apr 29). Once the person is
-- erased, person_id gives way to tombstone_id and the free texts are removed.
CREATE TABLE rights_requests (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  receiving_controller    smallint NOT NULL REFERENCES controllers(id),
  owning_controller       smallint NOT NULL REFERENCES controllers(id),
  person_id               uuid,
  tombstone_id            bigint REFERENCES person_tombstones(id),
  kind                    text NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure',
                            'restriction', 'portability', 'objection')),
  received_on             date NOT NULL,
  identity_check          text NOT NULL CHECK (identity_check IN ('id_document', 'eid',
                            'itsme', 'known_in_person', 'representative_document', 'other')),
  representative_name     text CHECK (length(representative_name) BETWEEN 2 AND 200),
  representative_capacity text CHECK (representative_capacity IN ('parent', 'guardian',
                            'court_appointed', 'lawyer', 'other')),
  details                 text CHECK (length(details) BETWEEN 1 AND 2000),
  period                  interval NOT NULL,
  deadline                date GENERATED ALWAYS AS ((received_on + period)::date) STORED,
  extension_months        smallint NOT NULL DEFAULT 0 CHECK (extension_months BETWEEN 0 AND 2),
  due_on                  date GENERATED ALWAYS AS
                            ((received_on + (period + make_interval(months => extension_months)))::date) STORED,
  extension_reason        text CHECK (length(extension_reason) BETWEEN 10 AND 1000),
  person_told_on          date,
  status                  text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'granted', 'refused')),
  decided_on              date,
  decided_by              uuid REFERENCES staff_users(id),
  reasons                 text CHECK (length(reasons) BETWEEN 10 AND 4000),
  received_by             uuid NOT NULL REFERENCES staff_users(id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  request_id              text NOT NULL,
  CHECK ((person_id IS NULL) <> (tombstone_id IS NULL)),
  CHECK (representative_name IS NULL OR representative_capacity IS NOT NULL),
  CHECK ((extension_months = 0) = (person_told_on IS NULL)),
  CHECK (extension_months = 0 OR extension_reason IS NOT NULL OR tombstone_id IS NOT NULL),
  CHECK ((status = 'open') = (decided_on IS NULL)),
  CHECK (status <> 'refused' OR reasons IS NOT NULL OR tombstone_id IS NOT NULL),
  CHECK (kind <> 'objection' OR status = 'open' OR reasons IS NOT NULL OR tombstone_id IS NOT NULL)
);
CREATE INDEX rights_requests_owner ON rights_requests (owning_controller, status, due_on);
CREATE INDEX rights_requests_receiver ON rights_requests (receiving_controller, created_at);
CREATE INDEX rights_requests_person ON rights_requests (person_id) WHERE person_id IS NOT NULL;

-- Restrictions (GDPR art. 18) and their lifting, per person.
CREATE TABLE person_restrictions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id   smallint NOT NULL REFERENCES controllers(id),
  person_id       uuid NOT NULL REFERENCES persons(id),
  request_number  bigint NOT NULL,
  started_at      timestamptz NOT NULL DEFAULT now(),
  started_by      uuid NOT NULL REFERENCES staff_users(id),
  request_id      text NOT NULL,
  lifted_at       timestamptz,
  lifted_by       uuid REFERENCES staff_users(id),
  lift_reason     text CHECK (length(lift_reason) BETWEEN 10 AND 1000),
  lift_request_id text,
  CHECK ((lifted_at IS NULL) = (lift_reason IS NULL))
);
CREATE INDEX person_restrictions_person ON person_restrictions (person_id, started_at);

-- Partners to be told of a rectification, restriction or erasure of data they received
-- (GDPR art. 19; VluchtelingenWerk 18.4). Names of fields and groups only, never values: a
-- partner that needs the new value pulls the person again (a disclosure of its own).
CREATE TABLE partner_notifications (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id      uuid NOT NULL REFERENCES partners(id),
  controller_id   smallint NOT NULL REFERENCES controllers(id),
  person_id       uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('rectification', 'restriction', 'erasure')),
  field_groups    text[] NOT NULL,
  fields          text[] NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  request_id      text NOT NULL,
  acknowledged_at timestamptz
);
CREATE INDEX partner_notifications_pending ON partner_notifications (partner_id, id)
  WHERE acknowledged_at IS NULL;
CREATE INDEX partner_notifications_person ON partner_notifications (person_id);

-- ---- row-level security ----
ALTER TABLE person_tombstones ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_tombstones FORCE ROW LEVEL SECURITY;
CREATE POLICY controller_isolation ON person_tombstones
  USING (controller_id = (SELECT crt_current_controller()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

-- Both controllers see a request (the API shows the receiver no more than number, kind, dates
-- and state); only a coordinator of the owning controller changes it. Inserts go through
-- crt_rights_request_register().
ALTER TABLE rights_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE rights_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY register_visible ON rights_requests FOR SELECT
  USING (owning_controller = (SELECT crt_current_controller())
         OR receiving_controller = (SELECT crt_current_controller()));
CREATE POLICY owner_decides ON rights_requests FOR UPDATE
  USING (owning_controller = (SELECT crt_current_controller())
         AND (SELECT crt_current_role()) = 'coordinator')
  WITH CHECK (owning_controller = (SELECT crt_current_controller()));

ALTER TABLE person_restrictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_restrictions FORCE ROW LEVEL SECURITY;
CREATE POLICY need_to_know ON person_restrictions
  USING (controller_id = (SELECT crt_current_controller())
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id));

ALTER TABLE partner_notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_queue ON partner_notifications FOR INSERT
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
CREATE POLICY visible ON partner_notifications FOR SELECT
  USING (partner_id = (SELECT crt_current_partner())
         OR controller_id = (SELECT crt_current_controller()));
CREATE POLICY partner_acknowledges ON partner_notifications FOR UPDATE
  USING (partner_id = (SELECT crt_current_partner()))
  WITH CHECK (partner_id = (SELECT crt_current_partner()));

-- ---- a restricted person is read-only (the database's backstop behind crt-api's check) ----
-- Writes of the record (a new version, a move to another controller or household), new
-- trajectory entries and referrals are refused while restricted_at is set; setting or lifting
-- the restriction itself, and the flags, stay possible.
CREATE FUNCTION crt_refuse_if_restricted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'persons' THEN
    IF OLD.restricted_at IS NOT NULL AND NEW.restricted_at IS NOT NULL
       AND (NEW.version <> OLD.version OR NEW.controller_id <> OLD.controller_id
            OR NEW.household_id IS DISTINCT FROM OLD.household_id) THEN
      RAISE EXCEPTION 'the person is restricted' USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSIF EXISTS (SELECT 1 FROM persons p WHERE p.id = NEW.person_id AND p.restricted_at IS NOT NULL) THEN
    RAISE EXCEPTION 'the person is restricted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER persons_restricted BEFORE UPDATE ON persons
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_if_restricted();
CREATE TRIGGER trajectory_restricted BEFORE INSERT ON trajectory_entries
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_if_restricted();
CREATE TRIGGER referrals_restricted BEFORE INSERT ON referrals
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_if_restricted();

-- ---- erasure and the append-only tables ----
-- Rectifications, break-glass records and disclosures stay append-only for everybody, except
-- that the erasure function (running as crt_auth) deletes the rows of the one person it names
-- in the transaction-local setting crt.erasing. The access log and the seals have no such
-- exception: their rows carry ids only and stay, pointing at the tombstone.
CREATE FUNCTION crt_refuse_change_unless_erasing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_user = 'crt_auth'
     AND OLD.person_id::text = current_setting('crt.erasing', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER rectifications_append_only ON person_rectifications;
CREATE TRIGGER rectifications_append_only BEFORE UPDATE OR DELETE ON person_rectifications
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change_unless_erasing();
DROP TRIGGER break_glass_append_only ON break_glass;
CREATE TRIGGER break_glass_append_only BEFORE UPDATE OR DELETE ON break_glass
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change_unless_erasing();
DROP TRIGGER disclosures_append_only ON disclosures;
CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON disclosures
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change_unless_erasing();

-- Erases one person: partners that received anything are queued for notification, every row
-- about the person goes (trajectory, rectifications with their old and new values, assignments,
-- break-glass, referrals, disclosures, restrictions, pending notifications of earlier
-- corrections), the household when nobody else lives in it, and the person row with the
-- sealed national number and both blind indexes. Requests about the person keep their
-- structure (kind, dates, state) but point at the tombstone and lose their free texts. One
-- access-log row 'erasure'. Returns the tombstone id, or NULL when there is no such person.
-- Not callable by crt-api: see crt_erase_by_request() and crt_retention_apply().
CREATE FUNCTION crt_erase_core(p_person uuid, p_reason text, p_request_number bigint,
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
  INSERT INTO access_log (controller_id, user_id, person_id, action, field_groups, purpose,
                          outcome, reason, request_id)
  VALUES (ctl, p_user, p_person, 'erasure', '{identification,contact,trajectory,situation,education,sensitive}',
          p_purpose, 'allowed', p_reason, p_request_id);
  PERFORM set_config('crt.erasing', '', true);
  RETURN t;
END $$;

-- A coordinator of the owning controller grants an open erasure request: refused with the
-- retention duty when the person is under a legal hold ('held'), else the person is erased
-- and the request granted ('erased'). 'not_open' when the request is not an open erasure
-- request of the caller's controller.
CREATE FUNCTION crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text)
RETURNS TABLE (outcome text, tombstone_id bigint, erased_at timestamptz, hold text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  rq rights_requests;
  h text;
  t bigint;
BEGIN
  IF crt_current_role() IS DISTINCT FROM 'coordinator' OR crt_current_controller() IS NULL THEN
    RAISE EXCEPTION 'only a coordinator decides' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO rq FROM rights_requests r WHERE r.id = p_request
     AND r.owning_controller = crt_current_controller() FOR UPDATE;
  IF NOT FOUND OR rq.kind <> 'erasure' OR rq.status <> 'open' OR rq.person_id IS NULL THEN
    RETURN QUERY SELECT 'not_open'::text, NULL::bigint, NULL::timestamptz, NULL::text;
    RETURN;
  END IF;
  SELECT p.legal_hold INTO h FROM persons p WHERE p.id = rq.person_id;
  IF h IS NOT NULL THEN
    RETURN QUERY SELECT 'held'::text, NULL::bigint, NULL::timestamptz, h;
    RETURN;
  END IF;
  t := crt_erase_core(rq.person_id, 'data_subject_request', rq.number, p_request_id, p_purpose,
                      crt_current_user());
  UPDATE rights_requests SET status = 'granted', decided_on = current_date,
         decided_by = crt_current_user() WHERE id = p_request;
  RETURN QUERY SELECT 'erased'::text, t, x.erased_at, NULL::text
    FROM person_tombstones x WHERE x.id = t;
END $$;

-- ---- registering a request ----
-- For the caller's own person (p_person, which the caller must have need to know of) or, by
-- identification (OKI number, national-number or name + birth-date blind index; exactly one
-- match), for a person of p_owner — another controller, or the caller's own when the caller
-- does not see the person (the DPO). Outcomes: 'registered', 'no_controller', 'no_match',
-- 'representative_required' (a minor under 16 on the received date, or under guardianship,
-- without a representative). Writes the access-log rows: the receiver's (no person id when
-- forwarded) and, when forwarded, the owner's (no user: the receiver's staff are not the
-- owner's business).
CREATE FUNCTION crt_rights_request_register(p_owner text, p_person uuid, p_oki text,
    p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text,
    p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text)
RETURNS TABLE (outcome text, request uuid, number bigint, deadline date)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  me smallint := crt_current_controller();
  owner smallint;
  person uuid;
  n integer;
  minor boolean;
  rq rights_requests;
BEGIN
  IF me IS NULL OR crt_current_user() IS NULL
     OR crt_current_role() NOT IN ('intake', 'caseworker', 'coordinator', 'dpo') THEN
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
         p_details, c.request_period, crt_current_user(), p_request_id
    FROM controllers c WHERE c.id = owner
  RETURNING * INTO rq;
  INSERT INTO access_log (controller_id, user_id, person_id, action, field_groups, purpose,
                          outcome, reason, request_id)
  VALUES (me, crt_current_user(), CASE WHEN owner = me THEN person END, 'request_write', '{}',
          p_purpose, 'allowed',
          CASE WHEN owner = me THEN 'request ' || rq.number
               ELSE 'request ' || rq.number || ' forwarded to controller ' || owner END,
          p_request_id);
  IF owner <> me THEN
    INSERT INTO access_log (controller_id, user_id, person_id, action, field_groups, purpose,
                            outcome, reason, request_id)
    VALUES (owner, NULL, person, 'request_write', '{}', p_purpose, 'allowed',
            'request ' || rq.number || ' forwarded from controller ' || me, p_request_id);
  END IF;
  RETURN QUERY SELECT 'registered'::text, rq.id, rq.number, rq.deadline;
END $$;

-- ---- the consultations of a record, for the person's export ----
-- Per day: which controller's staff (never which staff member: CJEU C-579/21), which partner, or
-- the system (forwarding, retention), did what for which purpose, how often. Every
-- controller's log counts (a transferred person's earlier controller, a forwarding receiver);
-- only allowed accesses. For a coordinator who has need to know of the person.
CREATE FUNCTION crt_person_consultations(p_person uuid)
RETURNS TABLE (day date, controller text, actor text, partner text, action text, purpose text,
               accesses bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF crt_current_role() IS DISTINCT FROM 'coordinator'
     OR NOT EXISTS (SELECT 1 FROM crt_access(p_person) a WHERE a.reason IS NOT NULL) THEN
    RAISE EXCEPTION 'only for a coordinator of the person' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
  SELECT (l.at AT TIME ZONE c.timezone)::date, c.code,
         CASE WHEN l.partner_id IS NOT NULL THEN 'partner'
              WHEN l.user_id IS NOT NULL THEN 'staff' ELSE 'system' END,
         pa.name, l.action, l.purpose, count(*)
    FROM access_log l JOIN controllers c ON c.id = l.controller_id
    LEFT JOIN partners pa ON pa.id = l.partner_id
   WHERE l.person_id = p_person AND l.outcome = 'allowed'
   GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6;
END $$;

-- ---- retention ----
-- The retention date of each person under its controller's policy: the basis date + the
-- period; NULL while the basis date is unknown (status still running, guidance not ended).
-- The last contact is the latest of registration, last change and trajectory entry.
CREATE VIEW person_retention WITH (security_invoker = true) AS
SELECT b.person_id, b.controller_id, b.basis, b.period, b.basis_date,
       (b.basis_date + b.period)::date AS retention_date
  FROM (SELECT p.id AS person_id, p.controller_id, c.retention_basis AS basis,
               c.retention_period AS period,
               CASE c.retention_basis
                 WHEN 'status_end' THEN p.residence_status_end
                 WHEN 'guidance_end' THEN p.guidance_ended_on
                 WHEN 'registration' THEN p.registration_date
                 WHEN 'last_contact' THEN GREATEST(p.registration_date,
                   (p.updated_at AT TIME ZONE 'UTC')::date,
                   (SELECT max(t.occurred_on) FROM trajectory_entries t WHERE t.person_id = p.id))
               END AS basis_date
          FROM persons p JOIN controllers c ON c.id = p.controller_id) b;

-- Persons whose retention date lies before p_today (or one person, p_person), with what the
-- job does: 'erase'; 'mark_for_export' (consented to transfer, not yet marked);
-- 'awaiting_export' (marked, the export has not been made); 'held' (legal hold). For crtctl
-- (the owner) only.
CREATE FUNCTION crt_retention_due(p_today date, p_person uuid)
RETURNS TABLE (person_id uuid, controller text, retention_date date, basis text, action text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT r.person_id, c.code, r.retention_date, r.basis,
         CASE WHEN p.legal_hold IS NOT NULL THEN 'held'
              WHEN p.transfer_consent_at IS NOT NULL AND p.export_marked_at IS NULL
                THEN 'mark_for_export'
              WHEN p.transfer_consent_at IS NOT NULL
                   AND (p.exported_at IS NULL OR p.exported_at < p.export_marked_at)
                THEN 'awaiting_export'
              ELSE 'erase' END
    FROM person_retention r JOIN persons p ON p.id = r.person_id
    JOIN controllers c ON c.id = r.controller_id
   WHERE r.retention_date < p_today AND (p_person IS NULL OR r.person_id = p_person)
   ORDER BY c.code, r.retention_date, r.person_id
$$;

-- Does what crt_retention_due() says for one person, decided again under the row lock;
-- returns 'erased', 'marked_for_export', 'awaiting_export', 'held' or 'not_due'.
CREATE FUNCTION crt_retention_apply(p_person uuid, p_today date, p_run text)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  act text;
BEGIN
  PERFORM 1 FROM persons WHERE id = p_person FOR UPDATE;
  SELECT d.action INTO act FROM crt_retention_due(p_today, p_person) d;
  IF act IS NULL THEN
    RETURN 'not_due';
  ELSIF act = 'erase' THEN
    PERFORM crt_erase_core(p_person, 'retention', NULL, p_run, 'retention', NULL);
    RETURN 'erased';
  ELSIF act = 'mark_for_export' THEN
    UPDATE persons SET export_marked_at = now() WHERE id = p_person;
    RETURN 'marked_for_export';
  END IF;
  RETURN act;
END $$;

-- ---- dropping access-log partitions after the log retention ----
-- The log is sealed by crt-review; a dropped partition's rows vanish from the seals'
-- manifests. Each drop is recorded first, with what verification needs to tell a drop from
-- tampering: the partition and its range, the number of rows, the first and last row id and
-- transaction id, and the SHA-256 of the ids of all its rows (decimal, ascending, one per line,
-- joined by '\n'). Append-only.
CREATE TABLE log_partition_drops (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partition_name text NOT NULL UNIQUE CHECK (partition_name ~ '^access_log_[0-9]{6}$'),
  range_from     timestamptz NOT NULL,
  range_to       timestamptz NOT NULL CHECK (range_to > range_from),
  row_count      bigint NOT NULL CHECK (row_count >= 0),
  first_row_id   bigint,
  last_row_id    bigint,
  first_txid     bigint,
  last_txid      bigint,
  ids_sha256     text NOT NULL CHECK (ids_sha256 ~ '^[0-9a-f]{64}$'),
  log_retention  interval NOT NULL,
  dropped_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  dropped_by     text NOT NULL DEFAULT session_user
);
CREATE TRIGGER log_partition_drops_append_only BEFORE UPDATE OR DELETE ON log_partition_drops
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
GRANT SELECT ON log_partition_drops TO crt_review;

-- Monthly partitions (access_log_YYYYMM, UTC months) that end on or before p_before. The
-- default partition is never among them.
CREATE FUNCTION crt_log_partitions_expired(p_before timestamptz)
RETURNS TABLE (partition_name text, range_from timestamptz, range_to timestamptz)
LANGUAGE sql STABLE SET search_path = public, pg_temp
AS $$
  SELECT x.name, x.m::timestamp AT TIME ZONE 'UTC', (x.m + interval '1 month') AT TIME ZONE 'UTC'
    FROM (SELECT c.relname::text AS name, to_date(substr(c.relname, 12, 6), 'YYYYMM') AS m
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'access_log'::regclass
             AND c.relname ~ '^access_log_[0-9]{6}$') x
   WHERE (x.m + interval '1 month') AT TIME ZONE 'UTC' <= p_before
   ORDER BY 1
$$;

-- Records and drops one expired partition: 'dropped', 'not_expired', or 'unsealed' when it
-- holds rows that no seal covers yet (they were never reviewed; crt-review must run first).
-- Runs as the caller (the owner of the partitions).
CREATE FUNCTION crt_log_partition_drop(p_name text, p_before timestamptz, p_retention interval)
RETURNS TABLE (outcome text, row_count bigint)
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp
AS $$
DECLARE
  e record;
  s record;
  sealed_to bigint;
BEGIN
  SELECT * INTO e FROM crt_log_partitions_expired(p_before) x WHERE x.partition_name = p_name;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_expired'::text, NULL::bigint;
    RETURN;
  END IF;
  EXECUTE format('SELECT count(*) AS n, min(id) AS first_id, max(id) AS last_id, '
                 'min(txid) AS first_tx, max(txid) AS last_tx, '
                 'encode(sha256(convert_to(COALESCE(string_agg(id::text, E''\n'' ORDER BY id), ''''), '
                 '''UTF8'')), ''hex'') AS digest FROM %I', p_name) INTO s;
  SELECT max(txid_to) INTO sealed_to FROM log_seals;
  IF s.n > 0 AND (sealed_to IS NULL OR s.last_tx >= sealed_to) THEN
    RETURN QUERY SELECT 'unsealed'::text, s.n;
    RETURN;
  END IF;
  INSERT INTO log_partition_drops (partition_name, range_from, range_to, row_count, first_row_id,
         last_row_id, first_txid, last_txid, ids_sha256, log_retention)
  VALUES (p_name, e.range_from, e.range_to, s.n, s.first_id, s.last_id, s.first_tx, s.last_tx,
          s.digest, p_retention);
  EXECUTE format('ALTER TABLE access_log DETACH PARTITION %I', p_name);
  EXECUTE format('DROP TABLE %I', p_name);
  RETURN QUERY SELECT 'dropped'::text, s.n;
END $$;
REVOKE ALL ON FUNCTION crt_log_partitions_expired(timestamptz),
  crt_log_partition_drop(text, timestamptz, interval) FROM PUBLIC;

-- ---- privileges ----
-- crt_auth runs the register and erasure functions: it reads and deletes what erasure removes.
GRANT SELECT ON rights_requests, person_tombstones, person_restrictions, partner_notifications,
  disclosures, households, person_retention TO crt_auth;
GRANT INSERT ON rights_requests, person_tombstones, partner_notifications TO crt_auth;
GRANT UPDATE ON rights_requests TO crt_auth;
GRANT DELETE ON persons, households, trajectory_entries, person_rectifications, case_assignments,
  break_glass, referrals, disclosures, person_restrictions, partner_notifications TO crt_auth;
GRANT SELECT ON person_rectifications, access_log TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_person_consultations(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_erase_core(uuid, text, bigint, text, text, uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_erase_by_request(uuid, text, text) OWNER TO crt_auth;
ALTER FUNCTION crt_rights_request_register(text, uuid, text, text, text, text, date, text, text,
  text, text, text, text) OWNER TO crt_auth;
ALTER FUNCTION crt_retention_due(date, uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_retention_apply(uuid, date, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_erase_core(uuid, text, bigint, text, text, uuid),
  crt_erase_by_request(uuid, text, text),
  crt_rights_request_register(text, uuid, text, text, text, text, date, text, text, text, text,
    text, text),
  crt_retention_due(date, uuid), crt_retention_apply(uuid, date, text),
  crt_person_consultations(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_erase_by_request(uuid, text, text), crt_person_consultations(uuid),
  crt_rights_request_register(text, uuid, text, text, text, text, date, text, text, text, text,
    text, text) TO crt_api;
-- The retention job (crtctl, as the owner) lists and applies; crt-api cannot.
GRANT EXECUTE ON FUNCTION crt_retention_due(date, uuid), crt_retention_apply(uuid, date, text)
  TO crt_owner;

GRANT SELECT ON processing_purposes, person_tombstones, person_retention TO crt_api;
GRANT SELECT ON rights_requests TO crt_api;
GRANT UPDATE (extension_months, extension_reason, person_told_on, status, decided_on,
  decided_by, reasons) ON rights_requests TO crt_api;
GRANT SELECT, INSERT ON person_restrictions TO crt_api;
GRANT UPDATE (lifted_at, lifted_by, lift_reason, lift_request_id) ON person_restrictions TO crt_api;
GRANT SELECT, INSERT ON partner_notifications TO crt_api;
GRANT UPDATE (acknowledged_at) ON partner_notifications TO crt_api;
GRANT UPDATE (restricted_at, under_guardianship, legal_hold, transfer_consent_at,
  guidance_ended_on, exported_at) ON persons TO crt_api;

-- The review job reads the register and the tombstones like the rest.
CREATE POLICY review_job_reads ON rights_requests FOR SELECT TO crt_review USING (true);
CREATE POLICY review_job_reads ON person_tombstones FOR SELECT TO crt_review USING (true);
GRANT SELECT ON rights_requests, person_tombstones TO crt_review;

-- New log actions: the register, erasure, lifting a restriction, the flags.
ALTER TABLE access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_action_check CHECK (action IN (
  'create', 'read', 'update', 'search', 'trajectory_read', 'trajectory_write', 'household_read',
  'household_write', 'history_read', 'break_glass', 'assignment_write', 'assignment_read',
  'referral_write', 'referral_read', 'disclosure', 'duplicate_check', 'transfer_out',
  'transfer_in', 'audit_read', 'review_read', 'review_decide', 'export', 'request_read',
  'request_write', 'erasure', 'restriction_lift', 'flags_read', 'flags_write'));
