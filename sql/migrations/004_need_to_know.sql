-- 004: need-to-know — the role x field-group matrix, case assignments, the intake window,
-- break-glass, and row-level security that scopes persons to the caller's task, not only to
-- the caller's controller. The DPO reads the access log; nobody else does.

CREATE TABLE field_groups (
  code        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO field_groups (code, description) VALUES
  ('identification', 'household, title, names, gender, birth date, nationality, OKI number'),
  ('contact',        'phone, e-mail, addresses, contact preference'),
  ('trajectory',     'registration, enrolment, intakes, sessions, orientation, NT2 offer'),
  ('situation',      'residence status, family, languages, work/study, childcare, buddy'),
  ('education',      'NT2 test results (entered by education staff)'),
  ('sensitive',      'national register number (only where a legal basis exists)');

-- What each role may read and write, per field group (changed with crtctl access set).
CREATE TABLE role_field_access (
  role        text NOT NULL REFERENCES roles(code),
  field_group text NOT NULL REFERENCES field_groups(code),
  can_read    boolean NOT NULL DEFAULT false,
  can_write   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (role, field_group),
  CHECK (can_read OR NOT can_write)  -- no blind writes
);
INSERT INTO role_field_access (role, field_group, can_read, can_write)
SELECT r.role, g.code, r.reads @> ARRAY[g.code], r.writes @> ARRAY[g.code]
  FROM (VALUES
    ('intake',      ARRAY['identification','contact','trajectory','situation','sensitive'],
                    ARRAY['identification','contact','trajectory','situation','sensitive']),
    ('caseworker',  ARRAY['identification','contact','trajectory','situation','education'],
                    ARRAY['identification','contact','trajectory','situation']),
    ('coordinator', ARRAY['identification','contact','trajectory','situation','education','sensitive'],
                    ARRAY['identification','contact','trajectory','situation','sensitive']),
    ('education',   ARRAY['identification','education'], ARRAY['education']),
    ('dpo',         ARRAY[]::text[], ARRAY[]::text[]),
    ('admin',       ARRAY[]::text[], ARRAY[]::text[])) AS r(role, reads, writes)
  CROSS JOIN field_groups g;

-- How long intake staff keep seeing the persons they registered.
ALTER TABLE controllers ADD COLUMN intake_window_days integer NOT NULL DEFAULT 30
  CHECK (intake_window_days BETWEEN 0 AND 365);
-- How long a break-glass access lasts.
ALTER TABLE controllers ADD COLUMN break_glass_minutes integer NOT NULL DEFAULT 60
  CHECK (break_glass_minutes BETWEEN 5 AND 1440);

-- A processing restriction (GDPR art. 18): no disclosure to partners; see issue 7 for the rest.
ALTER TABLE persons ADD COLUMN restricted_at timestamptz;

CREATE FUNCTION crt_current_user() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('crt.user_id', true), '')::uuid $$;
CREATE FUNCTION crt_current_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('crt.role', true), '') $$;

CREATE TABLE case_assignments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  user_id       uuid NOT NULL REFERENCES staff_users(id),
  assigned_by   uuid NOT NULL REFERENCES staff_users(id),
  reason        text CHECK (length(reason) <= 500),
  started_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  ended_by      uuid REFERENCES staff_users(id),
  FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id)
);
CREATE INDEX case_assignments_active ON case_assignments (person_id, user_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX case_assignments_one_active ON case_assignments (person_id, user_id)
  WHERE ended_at IS NULL;

CREATE TABLE break_glass (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  user_id       uuid NOT NULL REFERENCES staff_users(id),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 20 AND 1000),
  started_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id)
);
CREATE INDEX break_glass_active ON break_glass (person_id, user_id, expires_at);
CREATE TRIGGER break_glass_append_only BEFORE UPDATE OR DELETE ON break_glass
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

ALTER TABLE case_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY controller_isolation ON case_assignments
  USING (controller_id = (SELECT crt_current_controller()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
ALTER TABLE break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY controller_isolation ON break_glass
  USING (controller_id = (SELECT crt_current_controller()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

-- Persons: the caller's controller AND the caller's task. Written independently of the C
-- check (common/access.c) and of crt_access() below, so that one mistake does not open all.
DROP POLICY controller_isolation ON persons;
CREATE POLICY need_to_know ON persons
  USING (controller_id = (SELECT crt_current_controller()) AND (
         (SELECT crt_current_role()) IN ('coordinator', 'education')
      OR ((SELECT crt_current_role()) = 'intake' AND created_by = (SELECT crt_current_user())
          AND created_at > now() - make_interval(days => (SELECT c.intake_window_days
                FROM controllers c WHERE c.id = (SELECT crt_current_controller()))))
      OR EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = persons.id
                  AND a.user_id = (SELECT crt_current_user()) AND a.ended_at IS NULL)
      OR EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = persons.id
                  AND b.user_id = (SELECT crt_current_user()) AND b.expires_at > now())))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

-- Rows about a person follow the person's visibility (RLS applies inside the sub-query).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['trajectory_entries', 'person_rectifications'] LOOP
    EXECUTE format('DROP POLICY controller_isolation ON %I', t);
    EXECUTE format('CREATE POLICY need_to_know ON %I
                      USING (controller_id = (SELECT crt_current_controller())
                             AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))
                      WITH CHECK (controller_id = (SELECT crt_current_controller())
                             AND EXISTS (SELECT 1 FROM persons p WHERE p.id = person_id))', t);
  END LOOP;
END $$;

-- The access log: everybody's accesses are appended; only the controller's DPO reads them.
DROP POLICY controller_isolation ON access_log;
CREATE POLICY append ON access_log FOR INSERT
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
CREATE POLICY dpo_reads ON access_log FOR SELECT
  USING (controller_id = (SELECT crt_current_controller()) AND (SELECT crt_current_role()) = 'dpo');
GRANT SELECT ON access_log TO crt_api;

-- The facts of an access decision about one person of the caller's controller (no row: not
-- in this controller), and the SQL side's reason (NULL: no need-to-know). crt-api compares
-- this reason with its own decision from the same facts and refuses when they differ.
CREATE FUNCTION crt_access(p_person uuid)
RETURNS TABLE (restricted boolean, created_by uuid, age_s bigint, window_days integer,
               assigned boolean, break_glass boolean, reason text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT f.restricted, f.created_by, f.age_s, f.window_days, f.assigned, f.break_glass,
         CASE WHEN crt_current_role() = 'coordinator' THEN 'coordinator_scope'
              WHEN crt_current_role() = 'education' THEN 'education_scope'
              WHEN f.assigned THEN 'assignment'
              WHEN crt_current_role() = 'intake' AND f.created_by = crt_current_user()
                   AND f.age_s < f.window_days * 86400 THEN 'own_registration'
              WHEN f.break_glass THEN 'break_glass' END
    FROM (SELECT p.restricted_at IS NOT NULL AS restricted, p.created_by,
                 extract(epoch FROM now() - p.created_at)::bigint AS age_s,
                 c.intake_window_days AS window_days,
                 EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = p.id
                          AND a.user_id = crt_current_user() AND a.ended_at IS NULL) AS assigned,
                 EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = p.id
                          AND b.user_id = crt_current_user() AND b.expires_at > now()) AS break_glass
            FROM persons p JOIN controllers c ON c.id = p.controller_id
           WHERE p.id = p_person AND p.controller_id = crt_current_controller()
             AND crt_current_user() IS NOT NULL) f
$$;

-- Duplicate search within the caller's controller, beyond the caller's own scope: only what
-- recognises a person (id, OKI number, names, birth date), at most 51 rows.
CREATE FUNCTION crt_person_search(p_birth date, p_q text, p_oki text)
RETURNS TABLE (id uuid, oki_number text, first_name text, last_name text, birth_date date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT p.id, p.oki_number, p.first_name, p.last_name, p.birth_date FROM persons p
   WHERE p.controller_id = crt_current_controller()
     AND crt_current_role() IN ('intake', 'caseworker', 'coordinator', 'education')
     AND (p.restricted_at IS NULL OR crt_current_role() = 'coordinator')
     AND CASE WHEN p_oki IS NOT NULL THEN p.oki_number = p_oki
              ELSE p.birth_date = p_birth
                   AND strpos(lower(p.first_name || ' ' || p.last_name), lower(p_q)) > 0 END
   ORDER BY p.last_name, p.first_name, p.id LIMIT 51
$$;

-- Sessions now carry the role into the RLS context.
CREATE OR REPLACE FUNCTION crt_session_begin(p_controller smallint, p_user uuid, p_session uuid,
                                             p_role text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM sessions s JOIN staff_users u ON u.id = s.user_id
                  WHERE s.id = p_session AND s.user_id = p_user AND s.controller_id = p_controller
                    AND s.revoked_at IS NULL AND s.expires_at > now()
                    AND u.disabled_at IS NULL AND u.role = p_role
                    AND u.controller_id = p_controller) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', p_user::text, true),
          set_config('crt.role', p_role, true),
          set_config('crt.session_id', p_session::text, true);
  RETURN true;
END $$;

GRANT SELECT ON persons, controllers, case_assignments, break_glass TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_access(uuid) OWNER TO crt_auth;
ALTER FUNCTION crt_person_search(date, text, text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_access(uuid), crt_person_search(date, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_access(uuid), crt_person_search(date, text, text),
  crt_current_user(), crt_current_role() TO crt_api;

GRANT SELECT ON field_groups, role_field_access TO crt_api;
GRANT SELECT, INSERT, UPDATE ON case_assignments TO crt_api;
GRANT SELECT, INSERT ON break_glass TO crt_api;

-- New actions in the log.
ALTER TABLE access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_action_check CHECK (action IN (
  'create', 'read', 'update', 'search', 'trajectory_read', 'trajectory_write', 'household_read',
  'household_write', 'history_read', 'break_glass', 'assignment_write', 'assignment_read',
  'referral_write', 'referral_read', 'disclosure', 'duplicate_check', 'transfer_out',
  'transfer_in', 'audit_read'));
