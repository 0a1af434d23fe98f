-- 023: rules of issue 15 — a national register number only under a recorded legal basis of the
-- controller (Xtra 6.5); disclosures the person did not know of are notified to the person and
-- the delivery recorded (VluchtelingenWerk 11.4, Xtra 11.2); the recipients told of a
-- correction or erasure are recorded with the request (VluchtelingenWerk 18.4); a granted
-- objection stops the processing it names; the transfer with consent has a deadline within
-- the retention bound, escalates to the DPO and erases when the bound passes (CRT §5).

-- ---- 1. the legal basis for national register numbers, per controller ----
-- NULL: the controller has none and stores no national number. Seeded from the sources for
-- IN-Gent only: its privacy statement lists the rijksregisternummer among the data it
-- processes and names the authorisation of the Sectoral Committee of the National Register.
-- The CRT statement lists no national number; the other controllers get one only when the
-- operator records it (docs/rights.md, decisions).
ALTER TABLE controllers
  ADD COLUMN national_number_basis text CHECK (length(national_number_basis) BETWEEN 10 AND 1000);
UPDATE controllers SET national_number_basis = 'authorisation of the Sectoral Committee of the National Register to exchange these data (IN-Gent privacy statement, sections 1 and 4); art. 8 of the law of 8 August 1983 organising a National Register'
 WHERE code = 'ingent';

-- The database's backstop behind crt-api's 422: a number is stored (or moves with a transfer)
-- only to a controller with a basis.
CREATE FUNCTION crt_refuse_national_number_without_basis() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.national_number_sealed IS NOT NULL
     AND (TG_OP = 'INSERT' OR OLD.national_number_sealed IS DISTINCT FROM NEW.national_number_sealed
          OR OLD.controller_id <> NEW.controller_id)
     AND NOT EXISTS (SELECT 1 FROM controllers c WHERE c.id = NEW.controller_id
                      AND c.national_number_basis IS NOT NULL) THEN
    RAISE EXCEPTION 'no legal basis for national register numbers at this controller'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER persons_national_number_basis BEFORE INSERT OR UPDATE ON persons
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_national_number_without_basis();

-- Keeping: when a controller's basis is withdrawn (set to NULL), the numbers it stored go.
-- The retention job (crtctl retention, as the owner) calls this every run: with p_apply the
-- sealed number and its blind index are cleared, one access-log row 'erasure' (group
-- sensitive, reason no_legal_basis) per person; without, they are only listed. Returns the
-- persons concerned.
CREATE FUNCTION crt_national_numbers_without_basis(p_run text, p_apply boolean)
RETURNS TABLE (person_id uuid, controller text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT p_apply THEN
    RETURN QUERY
    SELECT p.id, c.code FROM persons p JOIN controllers c ON c.id = p.controller_id
     WHERE c.national_number_basis IS NULL
       AND (p.national_number_sealed IS NOT NULL OR p.national_number_bidx IS NOT NULL)
     ORDER BY c.code, p.id;
    RETURN;
  END IF;
  RETURN QUERY
  WITH cleared AS (
    UPDATE persons p SET national_number_sealed = NULL, national_number_key_id = NULL,
           national_number_bidx = NULL
      FROM controllers c
     WHERE c.id = p.controller_id AND c.national_number_basis IS NULL
       AND (p.national_number_sealed IS NOT NULL OR p.national_number_bidx IS NOT NULL)
    RETURNING p.id, p.controller_id, c.code),
  logged AS (
    SELECT count(crt_log_access(x.controller_id, NULL, NULL, x.id, NULL, 'erasure', '{sensitive}',
                                'retention', 'allowed', 'no_legal_basis', p_run)) AS n
      FROM cleared x)
  SELECT x.id, x.code FROM cleared x, logged ORDER BY x.code, x.id;
END $$;

-- ---- 2. disclosures the person did not know of ----
-- Whether the person was told of the referral (and so of the disclosures under it) when it
-- was made.
ALTER TABLE referrals ADD COLUMN person_informed boolean NOT NULL DEFAULT false;

-- A notification handed or sent to the person about disclosures made without the person's
-- knowledge: which disclosures it covers, its language, and how, when and by whom it was
-- delivered. Goes with the person (erasure).
CREATE TABLE disclosure_notices (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id   smallint NOT NULL REFERENCES controllers(id),
  person_id       uuid NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  disclosure_ids  bigint[] NOT NULL CHECK (cardinality(disclosure_ids) > 0),
  language        text NOT NULL CHECK (language IN ('nl', 'en', 'uk', 'ru')),
  method          text NOT NULL CHECK (method IN ('handed', 'post', 'email', 'read_aloud')),
  delivered_on    date NOT NULL,
  delivered_by    uuid NOT NULL REFERENCES staff_users(id),
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  request_id      text NOT NULL
);
CREATE INDEX disclosure_notices_person ON disclosure_notices (person_id);
CREATE TRIGGER disclosure_notices_append_only BEFORE UPDATE ON disclosure_notices
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

ALTER TABLE disclosure_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE disclosure_notices FORCE ROW LEVEL SECURITY;
CREATE POLICY need_to_know ON disclosure_notices
  USING (controller_id = (SELECT crt_current_controller())
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id));
GRANT SELECT, INSERT ON disclosure_notices TO crt_api;

-- The disclosures of a person the person does not know of: not under a referral the person was
-- told of, and in no delivered notice. For crt-api under the caller's RLS context.
CREATE VIEW unnotified_disclosures WITH (security_invoker = true) AS
SELECT d.* FROM disclosures d
 WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = d.person_id
                    AND r.partner_id = d.partner_id AND r.purpose = d.purpose
                    AND r.controller_id = d.controller_id AND r.person_informed
                    AND r.created_at <= d.at AND (r.ended_at IS NULL OR r.ended_at >= d.at))
   AND NOT EXISTS (SELECT 1 FROM disclosure_notices n WHERE n.person_id = d.person_id
                    AND d.id = ANY (n.disclosure_ids));
GRANT SELECT ON unnotified_disclosures TO crt_api;

-- ---- 3. the recipients told of a correction or erasure, recorded with the request ----
-- Partner names and groups only (no personal data): kept after an erasure, so the decision
-- letter can still say who was told.
CREATE TABLE request_recipients (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  request       uuid NOT NULL REFERENCES rights_requests(id),
  partner_id    uuid NOT NULL REFERENCES partners(id),
  kind          text NOT NULL CHECK (kind IN ('rectification', 'restriction', 'erasure')),
  field_groups  text[] NOT NULL,
  notified_at   timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request, partner_id, kind)
);
CREATE TRIGGER request_recipients_append_only BEFORE UPDATE OR DELETE ON request_recipients
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
ALTER TABLE request_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_recipients FORCE ROW LEVEL SECURITY;
CREATE POLICY controller_isolation ON request_recipients
  USING (controller_id = (SELECT crt_current_controller()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
GRANT SELECT, INSERT ON request_recipients TO crt_api;

-- ---- 6. a granted objection stops the processing it names ----
-- The purposes the objection was granted for: staff purposes of X-CRT-Purpose (registration,
-- guidance, duplicate_check, education), grant purposes of partner referrals, and
-- 'partner_disclosure' for every disclosure to partners. NULL unless a granted objection.
ALTER TABLE rights_requests ADD COLUMN objection_purposes text[]
  CHECK (objection_purposes IS NULL OR (kind = 'objection' AND status = 'granted'));
GRANT UPDATE (objection_purposes) ON rights_requests TO crt_api;

-- Does a granted objection of the person cover p_purpose (or, with p_partner, any disclosure
-- to partners)? Invoker's rights: crt-api sees its own controller's requests; the partner
-- pull's definer function sees them all. No SET clause, so the planner inlines it into the
-- hot read (names qualified instead).
CREATE FUNCTION crt_objection(p_person uuid, p_purpose text, p_partner boolean)
RETURNS boolean LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT 1 FROM public.rights_requests q
                  WHERE q.person_id = p_person AND q.kind = 'objection'
                    AND q.status = 'granted'
                    AND (p_purpose = ANY (q.objection_purposes)
                         OR (p_partner AND 'partner_disclosure' = ANY (q.objection_purposes))))
$$;
GRANT EXECUTE ON FUNCTION crt_objection(uuid, text, boolean) TO crt_api;

-- The partner pull (010) without the referrals an objection covers.
CREATE OR REPLACE FUNCTION crt_partner_referrals()
RETURNS TABLE (referral_id uuid, person_id uuid, grant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT r.id, r.person_id, min(g.id::text)::uuid
    FROM referrals r
    JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id
     AND g.purpose = r.purpose AND g.revoked_at IS NULL
     AND now() >= g.valid_from AND now() < g.valid_to
   WHERE r.partner_id = crt_current_partner() AND r.ended_at IS NULL
     AND NOT crt_objection(r.person_id, r.purpose, true)
   GROUP BY r.id, r.person_id
  HAVING count(*) = 1
$$;
GRANT SELECT ON rights_requests TO crt_auth;

-- ---- 7. the transfer with consent within the bound ----
-- How many days before the bound an export still not made is escalated to the DPO.
ALTER TABLE controllers
  ADD COLUMN transfer_escalation_days integer NOT NULL DEFAULT 30
    CHECK (transfer_escalation_days BETWEEN 1 AND 180);

-- Consenting persons whose export for the transfer nears the bound, for the DPO (and the
-- coordinators) of the controller. Goes with the person (erasure).
CREATE TABLE retention_escalations (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  deadline      date NOT NULL,
  escalated_on  date NOT NULL,
  run           text NOT NULL,
  UNIQUE (person_id, deadline)
);
ALTER TABLE retention_escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_escalations FORCE ROW LEVEL SECURITY;
CREATE POLICY dpo_reads ON retention_escalations FOR SELECT
  USING (controller_id = (SELECT crt_current_controller())
         AND (SELECT crt_current_role()) IN ('dpo', 'coordinator'));
GRANT SELECT ON retention_escalations TO crt_api;
GRANT SELECT, INSERT ON retention_escalations TO crt_auth;

-- What the job does (replaces 013's): the retention date is the bound, the day the data go
-- (the CRT's "within at most 6 months after the status ends": erased on status end + 6
-- months, not the day after). A consenting person is marked for export as soon as the basis
-- date has passed (the status ended), escalated to the DPO transfer_escalation_days before
-- the bound while not exported, and erased once exported or when the bound comes, exported or
-- not. A legal hold keeps the person past the bound ('held').
CREATE OR REPLACE FUNCTION crt_retention_due(p_today date, p_person uuid)
RETURNS TABLE (person_id uuid, controller text, retention_date date, basis text, action text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT x.person_id, x.code, x.retention_date, x.basis, x.action
    FROM (SELECT r.person_id, c.code, r.retention_date, r.basis,
                 CASE WHEN r.retention_date <= p_today AND p.legal_hold IS NOT NULL THEN 'held'
                      WHEN r.retention_date <= p_today THEN 'erase'
                      WHEN p.transfer_consent_at IS NULL OR r.basis_date >= p_today THEN NULL
                      WHEN p.export_marked_at IS NULL THEN 'mark_for_export'
                      WHEN p.exported_at >= p.export_marked_at THEN 'erase'
                      WHEN r.retention_date - c.transfer_escalation_days <= p_today
                           AND NOT EXISTS (SELECT 1 FROM retention_escalations e
                                            WHERE e.person_id = r.person_id
                                              AND e.deadline = r.retention_date)
                        THEN 'escalate'
                      ELSE 'awaiting_export' END AS action
            FROM person_retention r JOIN persons p ON p.id = r.person_id
            JOIN controllers c ON c.id = r.controller_id
           WHERE r.retention_date IS NOT NULL
             AND (r.retention_date <= p_today
                  OR (p.transfer_consent_at IS NOT NULL AND r.basis_date < p_today))
             AND (p_person IS NULL OR r.person_id = p_person)) x
   WHERE x.action IS NOT NULL
   ORDER BY x.code, x.retention_date, x.person_id
$$;

-- Does what crt_retention_due() says for one person as of p_today, decided again under the
-- row lock; returns 'erased', 'marked_for_export', 'escalated', 'awaiting_export', 'held' or
-- 'not_due'. p_today is the job's day (tests set it; crtctl passes current_date).
CREATE OR REPLACE FUNCTION crt_retention_apply(p_person uuid, p_today date, p_run text)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  act text;
  due date;
BEGIN
  PERFORM 1 FROM persons WHERE id = p_person FOR UPDATE;
  SELECT d.action, d.retention_date INTO act, due FROM crt_retention_due(p_today, p_person) d;
  IF act IS NULL THEN
    RETURN 'not_due';
  ELSIF act = 'erase' THEN
    PERFORM crt_erase_core(p_person, 'retention', NULL, p_run, 'retention', NULL);
    RETURN 'erased';
  ELSIF act = 'mark_for_export' THEN
    UPDATE persons SET export_marked_at = now() WHERE id = p_person;
    RETURN 'marked_for_export';
  ELSIF act = 'escalate' THEN
    INSERT INTO retention_escalations (controller_id, person_id, deadline, escalated_on, run)
    SELECT p.controller_id, p.id, due, p_today, p_run FROM persons p WHERE p.id = p_person;
    RETURN 'escalated';
  END IF;
  RETURN act;
END $$;

-- ---- ownership and privileges of the definer functions ----
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_national_numbers_without_basis(text, boolean) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_national_numbers_without_basis(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_national_numbers_without_basis(text, boolean) TO crt_owner;
GRANT INSERT ON access_log TO crt_auth;
