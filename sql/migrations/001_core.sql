-- 001: the core register: controllers, staff and roles, households, persons, trajectory,
-- rectifications and the access log, with row-level security on every table of personal data.

-- The caller's controller, set per transaction by crt-api with
-- set_config('crt.controller_id', …, true). Unset reads as NULL; on a reused connection
-- current_setting(…, true) returns '' after an earlier transaction-local setting, so '' is
-- NULL too. Policies call it as (SELECT crt_current_controller()) so the planner evaluates it
-- once per query (an InitPlan), not once per row.
CREATE FUNCTION crt_current_controller() RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('crt.controller_id', true), '')::smallint $$;

CREATE TABLE controllers (
  id            smallint PRIMARY KEY,
  code          text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$'),
  name          text NOT NULL,
  kbo_number    text NOT NULL UNIQUE CHECK (kbo_number ~ '^[01][0-9]{3}\.[0-9]{3}\.[0-9]{3}$'),
  seat_address  text NOT NULL,
  dpo_email     text NOT NULL,
  dpo_address   text NOT NULL,
  timezone      text NOT NULL DEFAULT 'Europe/Brussels',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE roles (
  code        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO roles (code, description) VALUES
  ('intake',      'registers persons and records intakes'),
  ('caseworker',  'follows the trajectory of assigned persons'),
  ('coordinator', 'sees every person of the controller'),
  ('education',   'enters NT2 test results'),
  ('dpo',         'reviews the access log and findings'),
  ('admin',       'manages accounts; sees no personal data');

CREATE TABLE staff_users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  role          text NOT NULL REFERENCES roles(code),
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_users_controller ON staff_users (controller_id);

-- Where a stored item came from (VluchtelingenWerk 8.4, Xtra 9.5, AanZien 10.6).
CREATE DOMAIN data_source AS text
  CHECK (VALUE IN ('person', 'intermediary', 'interpreter', 'test', 'staff', 'partner'));

CREATE TABLE households (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id    smallint NOT NULL REFERENCES controllers(id),
  family_name      text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
  address_street   text CHECK (length(address_street) <= 200),
  address_number   text CHECK (length(address_number) <= 20),
  address_box      text CHECK (length(address_box) <= 20),
  address_postcode text CHECK (address_postcode ~ '^[1-9][0-9]{3}$'),
  address_city     text CHECK (length(address_city) <= 100),
  source           data_source NOT NULL,
  created_by       uuid NOT NULL REFERENCES staff_users(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (controller_id, id)
);

CREATE SEQUENCE oki_number_seq START 100001;

CREATE TABLE persons (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id          smallint NOT NULL REFERENCES controllers(id),
  oki_number             text NOT NULL UNIQUE
                         DEFAULT 'OKI' || lpad(nextval('oki_number_seq')::text, 9, '0'),
  household_id           uuid,
  -- identification
  title                  text CHECK (length(title) <= 20),
  first_name             text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
  last_name              text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
  gender                 text CHECK (gender IN ('female', 'male', 'x', 'unknown')),
  birth_date             date NOT NULL,
  nationality            text CHECK (nationality ~ '^[A-Z]{2}$'),
  -- contact and address
  phone                  text CHECK (length(phone) <= 32),
  email                  text CHECK (length(email) <= 254),
  contact_preference     text CHECK (contact_preference IN ('phone', 'email', 'sms', 'post', 'in_person')),
  address_street         text CHECK (length(address_street) <= 200),
  address_number         text CHECK (length(address_number) <= 20),
  address_box            text CHECK (length(address_box) <= 20),
  address_postcode       text CHECK (address_postcode ~ '^[1-9][0-9]{3}$'),
  address_city           text CHECK (length(address_city) <= 100),
  home_country_address   text CHECK (length(home_country_address) <= 300),
  home_country_postcode  text CHECK (length(home_country_postcode) <= 16),
  -- trajectory (summary; entries are in trajectory_entries)
  registration_date      date NOT NULL DEFAULT current_date,
  first_enrolment_date   date,
  contact_language       text CHECK (length(contact_language) <= 35),
  -- personal situation
  residence_status       text CHECK (residence_status IN ('temporary_protection', 'applicant',
                                     'refugee', 'subsidiary_protection', 'other', 'unknown')),
  residence_status_start date,
  residence_status_end   date,
  family_situation       text CHECK (length(family_situation) <= 1000),
  minor_children         smallint CHECK (minor_children BETWEEN 0 AND 30),
  languages              text CHECK (length(languages) <= 300),
  literacy               text CHECK (literacy IN ('literate', 'literate_other_script',
                                     'low_literate', 'illiterate', 'unknown')),
  work_study             text CHECK (length(work_study) <= 500),
  needs_childcare        boolean,
  needs_buddy            boolean,
  -- provenance and bookkeeping
  sources                jsonb NOT NULL,
  version                integer NOT NULL DEFAULT 1,
  created_by             uuid NOT NULL REFERENCES staff_users(id),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (controller_id, id),
  FOREIGN KEY (controller_id, household_id) REFERENCES households (controller_id, id),
  CHECK (residence_status_end IS NULL OR residence_status_start IS NULL
         OR residence_status_end >= residence_status_start)
);
-- Name + birth date search filters on birth date first (selective), then the name.
CREATE INDEX persons_birth_date ON persons (controller_id, birth_date);
CREATE INDEX persons_oki ON persons (controller_id, oki_number);
CREATE INDEX persons_household ON persons (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX persons_updated ON persons (controller_id, updated_at);

CREATE TABLE trajectory_entries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('intake', 'info_session', 'social_orientation',
                                             'nt2_offer', 'test_result')),
  occurred_on   date NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  source        data_source NOT NULL,
  created_by    uuid NOT NULL REFERENCES staff_users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id)
);
CREATE INDEX trajectory_person ON trajectory_entries (person_id, occurred_on);

-- Rectification: old value, new value, who, when, why (GDPR art. 16; VluchtelingenWerk 18).
CREATE TABLE person_rectifications (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  person_id     uuid NOT NULL,
  field         text NOT NULL,
  old_value     text,
  new_value     text,
  reason        text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  changed_by    uuid NOT NULL REFERENCES staff_users(id),
  changed_at    timestamptz NOT NULL DEFAULT now(),
  request_id    text NOT NULL,
  FOREIGN KEY (controller_id, person_id) REFERENCES persons (controller_id, id)
);
CREATE INDEX rectifications_person ON person_rectifications (person_id, changed_at);

-- The access log: who touched which person, which field groups, why, and the outcome.
-- Append-only (trigger below), partitioned by month on the time of access.
CREATE TABLE access_log (
  id            bigint GENERATED ALWAYS AS IDENTITY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  controller_id smallint NOT NULL,
  user_id       uuid,
  person_id     uuid,
  household_id  uuid,
  action        text NOT NULL CHECK (action IN ('create', 'read', 'update', 'search',
                                               'trajectory_read', 'trajectory_write',
                                               'household_read', 'household_write',
                                               'history_read')),
  field_groups  text[] NOT NULL DEFAULT '{}',
  purpose       text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'not_found')),
  reason        text,
  request_id    text NOT NULL,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE access_log_default PARTITION OF access_log DEFAULT;
CREATE INDEX access_log_person ON access_log (controller_id, person_id, at);
CREATE INDEX access_log_user ON access_log (controller_id, user_id, at);

-- Monthly partitions from the month of `start` for `months` months; safe to call repeatedly.
CREATE FUNCTION crt_access_log_ensure_partitions(start timestamptz, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  m date := date_trunc('month', start AT TIME ZONE 'UTC')::date;
  created integer := 0;
  part text;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    part := format('access_log_%s', to_char(m, 'YYYYMM'));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF access_log FOR VALUES FROM (%L) TO (%L)',
                     part, (m::timestamp AT TIME ZONE 'UTC'),
                     ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
      created := created + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN created;
END $$;
SELECT crt_access_log_ensure_partitions(now() - interval '1 month', 14);

CREATE FUNCTION crt_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
  FOR EACH STATEMENT EXECUTE FUNCTION crt_refuse_change();
CREATE TRIGGER rectifications_append_only BEFORE UPDATE OR DELETE ON person_rectifications
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

-- Row-level security: one policy per table, same predicate everywhere.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['staff_users', 'households', 'persons', 'trajectory_entries',
                           'person_rectifications', 'access_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY controller_isolation ON %I
                      USING (controller_id = (SELECT crt_current_controller()))
                      WITH CHECK (controller_id = (SELECT crt_current_controller()))', t);
  END LOOP;
END $$;

-- Username -> account, before the caller's controller is known (login, development identity).
-- Runs as crt_auth (BYPASSRLS) and returns only what authentication needs.
CREATE FUNCTION crt_auth_find_user(p_username text)
RETURNS TABLE (user_id uuid, controller_id smallint, role text, disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT id, controller_id, role, disabled_at IS NOT NULL
        FROM staff_users WHERE username = p_username $$;
GRANT USAGE ON SCHEMA public TO crt_auth;
GRANT SELECT ON staff_users TO crt_auth;
GRANT CREATE ON SCHEMA public TO crt_auth;  -- needed only to hand the function over
ALTER FUNCTION crt_auth_find_user(text) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_auth_find_user(text) FROM PUBLIC;

-- The API role: least privilege, no DELETE anywhere, INSERT only on the log.
GRANT USAGE ON SCHEMA public TO crt_api;
GRANT SELECT ON controllers, roles TO crt_api;
GRANT SELECT ON staff_users TO crt_api;
GRANT SELECT, INSERT, UPDATE ON households, persons TO crt_api;
GRANT SELECT, INSERT ON trajectory_entries, person_rectifications TO crt_api;
GRANT INSERT ON access_log TO crt_api;
GRANT USAGE ON SEQUENCE oki_number_seq TO crt_api;
GRANT EXECUTE ON FUNCTION crt_auth_find_user(text), crt_current_controller() TO crt_api;
