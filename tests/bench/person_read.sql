-- pgbench script of tests/bench/run.sh (-M prepared), generated from the statements crt-api
-- sent for one GET /v1/persons/{id} (PostgreSQL log, log_statement = 'all'), in order:
-- parameters are pgbench variables (-D sNpM=value), the person id is a random id of
-- bench_ids picked in the statement itself (see tests/bench/pgbench_script.py).
-- Generated 2026-12-07; run.sh regenerates it on every run.
-- run.sh regenerates it on every run from the statements crt-api sends; this committed copy
-- (2026-12-07, after migration 030) can lag statements.c.
\set k random(1, :nids)
BEGIN;
-- crt_session_req
SELECT crt_session_require(:s2p1::smallint, :s2p2::uuid, :s2p3::uuid, :s2p4);
-- person_read
WITH a AS (SELECT * FROM crt_access((SELECT id FROM bench_ids WHERE n = :k)::uuid)), o AS (SELECT crt_objection((SELECT id FROM bench_ids WHERE n = :k)::uuid, :s3p3, false) AS ob), p AS (SELECT id::text AS id, oki_number, household_id::text, sources::text, version, to_json(created_at) #>> '{}', to_json(updated_at) #>> '{}', title, first_name, last_name, gender, birth_date, nationality, phone, email, contact_preference, address_street, address_number, address_box, address_postcode, address_city, home_country_address, home_country_postcode, registration_date, first_enrolment_date, contact_language, residence_status, residence_status_start, residence_status_end, family_situation, minor_children, languages, literacy, work_study, needs_childcare, needs_buddy, encode(national_number_sealed, 'hex'), national_number_key_id FROM persons WHERE id = (SELECT id FROM bench_ids WHERE n = :k)::uuid AND NOT (SELECT ob FROM o)), l AS (SELECT crt_log_access(NULLIF(current_setting('crt.controller_id', true), '')::smallint, NULLIF(current_setting('crt.user_id', true), '')::uuid, NULL, (SELECT id FROM bench_ids WHERE n = :k)::uuid, NULL, 'read', CASE WHEN f THEN :s3p2::text[] ELSE '{}' END, :s3p3, CASE WHEN f THEN 'allowed' WHEN e THEN 'denied' ELSE 'not_found' END, CASE WHEN f THEN (SELECT reason FROM a) WHEN e AND ob AND (SELECT reason FROM a) IS NOT NULL THEN 'objection' WHEN e THEN 'no_need_to_know' END, :s3p4) FROM (SELECT EXISTS (SELECT 1 FROM p) AS f, EXISTS (SELECT 1 FROM a) AS e, (SELECT ob FROM o) AS ob) x) SELECT a.restricted, a.created_by::text, a.age_s, a.window_days, a.assigned, a.break_glass, a.reason, a.created_by IS NOT NULL, p.id IS NOT NULL, p.*, (SELECT ob FROM o) AND a.reason IS NOT NULL FROM l, (SELECT 1) one LEFT JOIN a ON true LEFT JOIN p ON true;
COMMIT;
