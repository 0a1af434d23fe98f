-- 028: statistics for the controllers and their funders (issue 18): a `reporting` role that
-- reads aggregates only, de-identified cells per controller and for the joint controllers
-- together, refreshed by a job (crt-review stats) with small cells suppressed, and the
-- access-log action of an aggregate read. Method and limits: docs/statistics.md.

-- The controller's management/reporting: no field group at all, so no person route serves it.
INSERT INTO roles (code, description) VALUES
  ('reporting', 'reads aggregated, de-identified statistics only; no personal data');
INSERT INTO role_field_access (role, field_group, can_read, can_write)
SELECT 'reporting', code, false, false FROM field_groups;

-- An aggregate read is logged as action 'statistics' with no person. The list of actions is
-- extended, not restated, so other migrations' additions stay.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
   WHERE conname = 'access_log_action_check' AND conrelid = 'access_log'::regclass;
  EXECUTE 'ALTER TABLE access_log DROP CONSTRAINT access_log_action_check';
  EXECUTE 'ALTER TABLE access_log ADD CONSTRAINT access_log_action_check '
          || regexp_replace(def, '\]', ', ''statistics''::text]');
END $$;

-- The published cells. scope: the controller's id, or 0 for the joint controllers together.
-- month: first day of the calendar month of registration (the cohort); area: the postcode
-- area of residence ('10xx' … '99xx', or 'unknown'). n is NULL when the cell is suppressed:
-- the true count of a suppressed cell is never stored where crt_api can read it.
CREATE TABLE stats_cells (
  scope     smallint NOT NULL,
  figure    text NOT NULL,
  month     date NOT NULL CHECK (extract(day FROM month) = 1),
  area      text NOT NULL CHECK (area ~ '^([1-9][0-9]xx|unknown)$'),
  category  text NOT NULL CHECK (length(category) BETWEEN 1 AND 220),
  n         integer CHECK (n >= 0),
  PRIMARY KEY (scope, figure, month, area, category)
);
CREATE INDEX stats_cells_query ON stats_cells (scope, figure, month);

-- Each refresh: when, with which threshold, over how many persons, how long it took.
CREATE TABLE stats_refreshes (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  as_of        date NOT NULL,
  threshold    integer NOT NULL CHECK (threshold BETWEEN 2 AND 1000),
  persons      bigint NOT NULL,
  cells        bigint NOT NULL,
  suppressed   bigint NOT NULL,
  duration_ms  integer NOT NULL
);

ALTER TABLE stats_cells ENABLE ROW LEVEL SECURITY;
ALTER TABLE stats_cells FORCE ROW LEVEL SECURITY;
-- Coordinators and reporting read their own controller's cells and the joint cells.
CREATE POLICY stats_reads ON stats_cells FOR SELECT TO crt_api
  USING (scope IN (0, (SELECT crt_current_controller()))
         AND (SELECT crt_current_role()) IN ('coordinator', 'reporting'));
CREATE POLICY stats_job ON stats_cells TO crt_review USING (true) WITH CHECK (true);
-- The refreshes say when and with which threshold; readable by the same roles only.
ALTER TABLE stats_refreshes ENABLE ROW LEVEL SECURITY;
ALTER TABLE stats_refreshes FORCE ROW LEVEL SECURITY;
CREATE POLICY stats_reads ON stats_refreshes FOR SELECT TO crt_api
  USING ((SELECT crt_current_controller()) IS NOT NULL
         AND (SELECT crt_current_role()) IN ('coordinator', 'reporting'));
CREATE POLICY stats_job ON stats_refreshes TO crt_review USING (true) WITH CHECK (true);

-- One person per row of the cohort: the categories each figure puts the person in.
-- Figures and categories are defined in docs/statistics.md.
CREATE FUNCTION crt_stats_person_categories(p_as_of date)
RETURNS TABLE (controller_id smallint, month date, area text, figure text, category text)
LANGUAGE sql STABLE
AS $$
  WITH t AS (
    SELECT person_id,
           bool_or(kind = 'intake') AS intake,
           min(occurred_on) FILTER (WHERE kind = 'intake') AS first_intake,
           bool_or(kind = 'info_session' AND coalesce((details->>'attended')::boolean, true))
             AS info,
           bool_or(kind = 'social_orientation') AS orientation,
           bool_or(kind = 'nt2_offer') AS nt2_offered,
           bool_or(kind = 'nt2_offer' AND (details->>'start_date')::date <= p_as_of)
             AS nt2_started,
           (array_agg(details->>'test' ORDER BY occurred_on DESC, created_at DESC)
              FILTER (WHERE kind = 'test_result'))[1] AS last_test
      FROM trajectory_entries GROUP BY person_id),
  hh AS (SELECT household_id, count(*) AS size FROM persons
          WHERE household_id IS NOT NULL GROUP BY household_id),
  rf AS (SELECT DISTINCT ON (r.person_id) r.person_id,
                pa.name || ' / ' || CASE WHEN r.ended_at IS NULL THEN 'open' ELSE 'ended' END
                  AS category
           FROM referrals r JOIN partners pa ON pa.id = r.partner_id
          ORDER BY r.person_id, r.created_at DESC),
  p AS (
    SELECT p.controller_id, date_trunc('month', p.registration_date)::date AS month,
           coalesce(left(p.address_postcode, 2) || 'xx', 'unknown') AS area,
           p.residence_status, p.gender, p.minor_children, p.needs_childcare, p.needs_buddy,
           extract(year FROM age(p_as_of, p.birth_date))::int AS age, p.registration_date,
           coalesce(hh.size, 1) AS hh_size, t.*, rf.category AS referral
      FROM persons p
      LEFT JOIN t ON t.person_id = p.id
      LEFT JOIN hh ON hh.household_id = p.household_id
      LEFT JOIN rf ON rf.person_id = p.id
     WHERE p.registration_date <= p_as_of)
  SELECT p.controller_id, p.month, p.area, f.figure, f.category
    FROM p CROSS JOIN LATERAL (VALUES
      ('registrations', 'all'),
      ('residence_status', coalesce(p.residence_status, 'unknown')),
      ('age_gender', CASE WHEN p.age < 18 THEN '0-17' WHEN p.age < 25 THEN '18-24'
                          WHEN p.age < 45 THEN '25-44' WHEN p.age < 65 THEN '45-64'
                          ELSE '65+' END || ' ' || coalesce(p.gender, 'unknown')),
      ('household_size', CASE WHEN p.hh_size >= 5 THEN '5+' WHEN p.hh_size >= 3 THEN '3-4'
                              ELSE p.hh_size::text END),
      ('minor_children', CASE WHEN p.minor_children IS NULL THEN 'unknown'
                              WHEN p.minor_children >= 3 THEN '3+'
                              ELSE p.minor_children::text END),
      ('intake', CASE WHEN p.intake THEN 'done' ELSE 'not_done' END),
      ('info_session', CASE WHEN p.info THEN 'attended' ELSE 'none' END),
      ('social_orientation', CASE WHEN p.orientation THEN 'followed' ELSE 'none' END),
      ('nt2', CASE WHEN p.nt2_started THEN 'started' WHEN p.nt2_offered THEN 'offered'
                   ELSE 'none' END),
      ('test_result', coalesce(p.last_test, 'none')),
      ('childcare', CASE p.needs_childcare WHEN true THEN 'yes' WHEN false THEN 'no'
                                           ELSE 'unknown' END),
      ('buddy', CASE p.needs_buddy WHEN true THEN 'yes' WHEN false THEN 'no'
                                   ELSE 'unknown' END),
      ('referral', coalesce(p.referral, 'none')),
      ('first_intake_days', CASE WHEN p.first_intake IS NULL THEN 'no_intake'
                                 WHEN p.first_intake - p.registration_date <= 7 THEN '0-7'
                                 WHEN p.first_intake - p.registration_date <= 30 THEN '8-30'
                                 WHEN p.first_intake - p.registration_date <= 90 THEN '31-90'
                                 ELSE '91+' END)) AS f(figure, category)
$$;

-- Refreshes the planner's statistics of stats_cells after a rebuild (the job role does not own
-- the table; without them the route's first queries after a refresh scan the whole table).
CREATE FUNCTION crt_stats_analyze() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ BEGIN ANALYZE stats_cells; END $$;
REVOKE ALL ON FUNCTION crt_stats_analyze() FROM PUBLIC;

-- Rebuilds every cell in one transaction (readers see the old cells until it commits).
-- Primary suppression: 0 < n < threshold. Joint cells also when, for some controller, the
-- other controllers together count 1 .. threshold-1 (that controller could subtract its own).
-- Complementary suppression: within a group (scope, figure, month, area), whose categories
-- partition the group's persons and whose total is the published registrations cell, a
-- single suppressed cell takes the smallest other cell with it.
CREATE FUNCTION crt_stats_refresh(p_threshold integer, p_as_of date DEFAULT current_date)
RETURNS bigint LANGUAGE plpgsql
AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  v_persons bigint;
  v_cells bigint;
  v_supp bigint;
BEGIN
  IF p_threshold IS NULL OR p_threshold < 2 OR p_threshold > 1000 THEN
    RAISE EXCEPTION 'threshold % out of range 2..1000', p_threshold USING ERRCODE = '22023';
  END IF;
  -- One refresh at a time: a second waits, then rebuilds from what the first committed.
  PERFORM pg_advisory_xact_lock(hashtext('crt_stats_refresh'));
  CREATE TEMP TABLE stats_raw ON COMMIT DROP AS
    SELECT controller_id::smallint AS scope, figure, month, area, category, count(*)::int AS n
      FROM crt_stats_person_categories(p_as_of) GROUP BY 1, 2, 3, 4, 5;
  SELECT coalesce(sum(n), 0) INTO v_persons FROM stats_raw WHERE figure = 'registrations';
  INSERT INTO stats_raw
    SELECT 0, figure, month, area, category, sum(n)::int FROM stats_raw GROUP BY 2, 3, 4, 5;
  ALTER TABLE stats_raw ADD COLUMN hide boolean;
  -- Primary suppression, then joint cells whose other controllers' part is small for some
  -- controller (hash joins over the temporary table: linear in the cells).
  UPDATE stats_raw SET hide = n < p_threshold;
  UPDATE stats_raw j SET hide = true
    FROM stats_raw o
   WHERE j.scope = 0 AND o.scope > 0 AND NOT j.hide
     AND o.figure = j.figure AND o.month = j.month AND o.area = j.area
     AND o.category = j.category AND j.n - o.n BETWEEN 1 AND p_threshold - 1;
  ANALYZE stats_raw;
  -- Complementary suppression: one pass suffices since the partner cell comes from the
  -- same group and groups do not share cells.
  UPDATE stats_raw s SET hide = true
    FROM (SELECT DISTINCT ON (r.scope, r.figure, r.month, r.area)
                 r.scope, r.figure, r.month, r.area, r.category
            FROM stats_raw r
            JOIN (SELECT scope, figure, month, area FROM stats_raw
                   GROUP BY 1, 2, 3, 4 HAVING count(*) FILTER (WHERE hide) = 1) g
              USING (scope, figure, month, area)
           WHERE NOT r.hide
           ORDER BY r.scope, r.figure, r.month, r.area, r.n, r.category) c
   WHERE s.scope = c.scope AND s.figure = c.figure AND s.month = c.month AND s.area = c.area
     AND s.category = c.category;
  DELETE FROM stats_cells;
  INSERT INTO stats_cells (scope, figure, month, area, category, n)
    SELECT scope, figure, month, area, category, CASE WHEN hide THEN NULL ELSE n END
      FROM stats_raw;
  SELECT count(*), count(*) FILTER (WHERE hide) INTO v_cells, v_supp FROM stats_raw;
  INSERT INTO stats_refreshes (as_of, threshold, persons, cells, suppressed, duration_ms)
    VALUES (p_as_of, p_threshold, v_persons, v_cells, v_supp,
            (extract(epoch FROM clock_timestamp() - t0) * 1000)::int);
  DROP TABLE stats_raw;
  PERFORM crt_stats_analyze();
  RETURN v_cells;
END $$;

GRANT SELECT ON stats_cells, stats_refreshes TO crt_api;
GRANT SELECT, INSERT, DELETE ON stats_cells TO crt_review;
GRANT SELECT, INSERT ON stats_refreshes TO crt_review;
GRANT EXECUTE ON FUNCTION crt_stats_refresh(integer, date),
  crt_stats_person_categories(date), crt_stats_analyze() TO crt_review;
