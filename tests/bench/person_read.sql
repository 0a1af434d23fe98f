-- pgbench script of tests/bench/run.sh (-M prepared): the SQL work of one GET /v1/persons/{id}
-- of crt-api, statement for statement as services/api sends it (common/db.c db_begin_session,
-- services/api/statements.c person_read with the columns of common/person.c
-- person_sql_columns, db_commit): BEGIN; the request's RLS context, opened by
-- crt_session_begin (one statement: checks the session of the access token, then
-- set_config('crt.controller_id' / 'crt.user_id' / 'crt.session_id', ..., true) - transaction-
-- local settings, not SET LOCAL, which takes no parameters and so cannot be prepared); the read
-- that also inserts the access-log row; COMMIT. Keep in step with those files.
--
-- The one difference: the API gets the person id as a parameter; pgbench has no list
-- variables, so the id is picked by a random row number k from the helper table bench_ids
-- (n serial primary key, id uuid: controller 3's persons, unlogged, made by run.sh) inside the
-- same statement (CTE i): one extra primary-key probe of a small table, no extra round trip.
-- Variables from run.sh (-D): nids, ctl, uid, sid, role, groups, purpose.
\set k random(1, :nids)
\set rid random(100000000000000000, 999999999999999999)
BEGIN;
SELECT crt_session_begin(:ctl::smallint, :uid::uuid, :sid::uuid, :role);
WITH i AS (SELECT id FROM bench_ids WHERE n = :k),
p AS (SELECT id::text, oki_number, household_id::text, sources::text, version,
             to_json(created_at) #>> '{}', to_json(updated_at) #>> '{}',
             title, first_name, last_name, gender, birth_date, nationality,
             phone, email, contact_preference, address_street, address_number, address_box,
             address_postcode, address_city, home_country_address, home_country_postcode,
             registration_date, first_enrolment_date, contact_language,
             residence_status, residence_status_start, residence_status_end, family_situation,
             minor_children, languages, literacy, work_study, needs_childcare, needs_buddy
        FROM persons WHERE id = (SELECT id FROM i)),
l AS (INSERT INTO access_log (controller_id, user_id, person_id, household_id, action,
                              field_groups, purpose, outcome, reason, request_id)
      SELECT crt_current_controller(), NULLIF(current_setting('crt.user_id', true), '')::uuid,
             (SELECT id FROM i), NULL, 'read',
             CASE WHEN f THEN :groups::text[] ELSE '{}' END, :purpose,
             CASE WHEN f THEN 'allowed' ELSE 'not_found' END, NULL, :rid
        FROM (SELECT EXISTS (SELECT 1 FROM p) AS f) e)
SELECT * FROM p;
COMMIT;
