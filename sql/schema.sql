-- The current schema after all of sql/migrations (pg_dump --schema-only, owners and grants
-- kept; the monthly access_log_YYYYMM partitions left out). Generated; do not edit.
-- Regenerate after writing a migration: ./deploy/local/crt-local schema
--
-- PostgreSQL database dump
--

--
-- Name: crt_context_fields; Type: TYPE; Schema: public; Owner: crt_owner
--

CREATE TYPE public.crt_context_fields AS (
	verified boolean,
	controller_id smallint,
	user_id uuid,
	role text,
	session_id uuid,
	partner_id uuid
);

ALTER TYPE public.crt_context_fields OWNER TO crt_owner;

--
-- Name: data_source; Type: DOMAIN; Schema: public; Owner: crt_owner
--

CREATE DOMAIN public.data_source AS text
	CONSTRAINT data_source_check CHECK ((VALUE = ANY (ARRAY['person'::text, 'intermediary'::text, 'interpreter'::text, 'test'::text, 'staff'::text, 'partner'::text])));

ALTER DOMAIN public.data_source OWNER TO crt_owner;

--
-- Name: crt_access(uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_access(p_person uuid) RETURNS TABLE(restricted boolean, created_by uuid, age_s bigint, window_days integer, assigned boolean, break_glass boolean, reason text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  ok boolean := crt_context_ok();
  me uuid := CASE WHEN ok AND NULLIF(current_setting('crt.role', true), '') IS NOT NULL
                  THEN NULLIF(current_setting('crt.user_id', true), '')::uuid END;
  my_role text := NULLIF(current_setting('crt.role', true), '');
  my_controller smallint := NULLIF(current_setting('crt.controller_id', true), '')::smallint;
BEGIN
  IF me IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT f.restricted, f.created_by, f.age_s, f.window_days, f.assigned, f.break_glass,
         CASE WHEN my_role = 'coordinator' THEN 'coordinator_scope'
              WHEN my_role = 'education' THEN 'education_scope'
              WHEN f.assigned THEN 'assignment'
              WHEN my_role = 'intake' AND f.created_by = me
                   AND f.age_s < f.window_days * 86400 THEN 'own_registration'
              WHEN f.break_glass THEN 'break_glass' END
    FROM (SELECT p.restricted_at IS NOT NULL AS restricted, p.created_by,
                 extract(epoch FROM now() - p.created_at)::bigint AS age_s,
                 c.intake_window_days AS window_days,
                 EXISTS (SELECT 1 FROM case_assignments a WHERE a.person_id = p.id
                          AND a.user_id = me AND a.ended_at IS NULL) AS assigned,
                 EXISTS (SELECT 1 FROM break_glass b WHERE b.person_id = p.id
                          AND b.user_id = me AND b.expires_at > now()) AS break_glass
            FROM persons p JOIN controllers c ON c.id = p.controller_id
           WHERE p.id = p_person AND p.controller_id = my_controller) f;
END $$;

ALTER FUNCTION public.crt_access(p_person uuid) OWNER TO crt_auth;

--
-- Name: crt_access_log_ensure_partitions(timestamp with time zone, integer); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_access_log_ensure_partitions(start timestamp with time zone, months integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION public.crt_access_log_ensure_partitions(start timestamp with time zone, months integer) OWNER TO crt_owner;

--
-- Name: crt_active_grant(uuid, smallint, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$ SELECT CASE WHEN count(*) = 1 THEN min(g.id::text)::uuid END FROM partner_grants g
       WHERE g.partner_id = p_partner AND g.controller_id = p_controller
         AND g.purpose = p_purpose AND g.revoked_at IS NULL
         AND now() >= g.valid_from AND now() < g.valid_to $$;

ALTER FUNCTION public.crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text) OWNER TO crt_auth;

--
-- Name: crt_admin_check(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_admin_check() RETURNS void
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  IF crt_current_role() IS DISTINCT FROM 'admin' OR crt_current_controller() IS NULL THEN
    RAISE EXCEPTION 'administrators only' USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

ALTER FUNCTION public.crt_admin_check() OWNER TO crt_owner;

--
-- Name: crt_admin_holiday_remove(date); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_holiday_remove(p_day date) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM crt_admin_check();
  DELETE FROM controller_holidays WHERE controller_id = crt_current_controller() AND day = p_day;
  RETURN FOUND;
END $$;

ALTER FUNCTION public.crt_admin_holiday_remove(p_day date) OWNER TO crt_auth;

--
-- Name: crt_admin_holiday_set(date, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_holiday_set(p_day date, p_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM crt_admin_check();
  INSERT INTO controller_holidays (controller_id, day, name)
  VALUES (crt_current_controller(), p_day, p_name)
  ON CONFLICT (controller_id, day) DO UPDATE SET name = p_name;
END $$;

ALTER FUNCTION public.crt_admin_holiday_set(p_day date, p_name text) OWNER TO crt_auth;

--
-- Name: crt_admin_partner_create(text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_partner_create(p_client_id text, p_name text, p_kind text, p_secret_sha256 text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE id uuid;
BEGIN
  PERFORM crt_admin_check();
  INSERT INTO partners (client_id, name, kind, secret_sha256, owner_controller)
  VALUES (p_client_id, p_name, p_kind, p_secret_sha256, crt_current_controller())
  RETURNING partners.id INTO id;
  RETURN id;
END $$;

ALTER FUNCTION public.crt_admin_partner_create(p_client_id text, p_name text, p_kind text, p_secret_sha256 text) OWNER TO crt_auth;

--
-- Name: crt_admin_partner_revoke(uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_partner_revoke(p_partner uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM crt_admin_check();
  UPDATE partners SET disabled_at = COALESCE(disabled_at, now())
   WHERE id = p_partner AND owner_controller = crt_current_controller();
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE partner_grants SET revoked_at = now()
   WHERE partner_id = p_partner AND controller_id = crt_current_controller()
     AND revoked_at IS NULL;
  RETURN true;
END $$;

ALTER FUNCTION public.crt_admin_partner_revoke(p_partner uuid) OWNER TO crt_auth;

--
-- Name: crt_admin_partner_secret(uuid, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE v integer;
BEGIN
  PERFORM crt_admin_check();
  UPDATE partners SET secret_sha256 = p_secret_sha256, secret_rotated_at = now()
   WHERE id = p_partner AND owner_controller = crt_current_controller() AND disabled_at IS NULL
  RETURNING secret_version INTO v;
  RETURN v;
END $$;

ALTER FUNCTION public.crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text) OWNER TO crt_auth;

--
-- Name: crt_admin_settings_set(integer, integer, time without time zone, time without time zone, smallint[], text, integer); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_admin_settings_set(p_intake_window_days integer, p_break_glass_minutes integer, p_work_start time without time zone, p_work_end time without time zone, p_work_days smallint[], p_retention_basis text, p_retention_months integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM crt_admin_check();
  UPDATE controllers SET
    intake_window_days = COALESCE(p_intake_window_days, intake_window_days),
    break_glass_minutes = COALESCE(p_break_glass_minutes, break_glass_minutes),
    work_start = COALESCE(p_work_start, work_start),
    work_end = COALESCE(p_work_end, work_end),
    work_days = COALESCE(p_work_days, work_days),
    retention_basis = COALESCE(p_retention_basis, retention_basis),
    retention_period = COALESCE(make_interval(months => p_retention_months), retention_period)
   WHERE id = crt_current_controller();
END $$;

ALTER FUNCTION public.crt_admin_settings_set(p_intake_window_days integer, p_break_glass_minutes integer, p_work_start time without time zone, p_work_end time without time zone, p_work_days smallint[], p_retention_basis text, p_retention_months integer) OWNER TO crt_auth;

--
-- Name: crt_auth_challenge(text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_auth_challenge(p_token_sha256 text) RETURNS TABLE(challenge_id uuid, controller_id smallint, user_id uuid, kind text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$ SELECT a.id, a.controller_id, a.user_id, a.kind FROM auth_challenges a
        JOIN staff_users u ON u.id = a.user_id
       WHERE a.token_sha256 = p_token_sha256 AND a.used_at IS NULL AND a.expires_at > now()
         AND u.disabled_at IS NULL $$;

ALTER FUNCTION public.crt_auth_challenge(p_token_sha256 text) OWNER TO crt_auth;

--
-- Name: crt_auth_event(smallint, uuid, text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text, p_ip text, p_request_id text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  ctx smallint := crt_current_controller();
BEGIN
  IF (p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff_users
                                           WHERE id = p_user AND controller_id = p_controller))
     OR (ctx IS NOT NULL AND p_controller IS DISTINCT FROM ctx) THEN
    RAISE EXCEPTION 'login event outside the caller''s controller' USING ERRCODE = '42501';
  END IF;
  INSERT INTO login_events (controller_id, user_id, event, outcome, ip, request_id)
  VALUES (p_controller, p_user, p_event, p_outcome, p_ip, p_request_id);
END $$;

ALTER FUNCTION public.crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text, p_ip text, p_request_id text) OWNER TO crt_auth;

--
-- Name: crt_auth_login_lookup(text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_auth_login_lookup(p_username text) RETURNS TABLE(user_id uuid, controller_id smallint, role text, disabled boolean, password_hash text, locked boolean, totp_active boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  n integer;
BEGIN
  INSERT INTO auth_lookup_minutes AS m (minute, lookups)
  VALUES (date_trunc('minute', clock_timestamp()), 1)
  ON CONFLICT (minute) DO UPDATE SET lookups = m.lookups + 1
  RETURNING m.lookups INTO n;
  IF n > 1200 THEN
    RAISE EXCEPTION 'login lookups over the limit this minute' USING ERRCODE = '53400';
  END IF;
  RETURN QUERY
  SELECT u.id, u.controller_id, u.role, u.disabled_at IS NOT NULL, c.password_hash,
         COALESCE(c.locked_until > now(), false), c.totp_confirmed_at IS NOT NULL
    FROM staff_users u LEFT JOIN staff_credentials c ON c.user_id = u.id
   WHERE u.username = p_username;
END $$;

ALTER FUNCTION public.crt_auth_login_lookup(p_username text) OWNER TO crt_auth;

--
-- Name: crt_context(); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_context() RETURNS public.crt_context_fields
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

ALTER FUNCTION public.crt_context() OWNER TO crt_auth;

--
-- Name: crt_context_mac(); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_context_mac() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    AS $$
DECLARE
  k public.crt_context_keys;
BEGIN
  SELECT * INTO k FROM public.crt_context_keys;
  RETURN pg_catalog.encode(pg_catalog.sha256(k.k_out || pg_catalog.sha256(k.k_in
           || pg_catalog.convert_to(pg_catalog.format('%s|%s|%s|%s|%s|%s|%s',
           pg_catalog.current_setting('crt.controller_id', true),
           pg_catalog.current_setting('crt.user_id', true),
           pg_catalog.current_setting('crt.role', true),
           pg_catalog.current_setting('crt.session_id', true),
           pg_catalog.current_setting('crt.partner_id', true),
           pg_catalog.pg_backend_pid(), pg_catalog.txid_current()), 'UTF8'))), 'hex');
END $$;

ALTER FUNCTION public.crt_context_mac() OWNER TO crt_auth;

--
-- Name: crt_context_ok(); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_context_ok() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT (public.crt_context()).verified $$;

ALTER FUNCTION public.crt_context_ok() OWNER TO crt_auth;

--
-- Name: crt_cookie_session(text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_cookie_session(p_cookie_sha256 text) RETURNS TABLE(session_id uuid, controller_id smallint, user_id uuid, role text, state text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$ SELECT s.id, s.controller_id, s.user_id, s.role,
             CASE WHEN s.revoked_at IS NOT NULL OR u.disabled_at IS NOT NULL
                       OR u.role <> s.role THEN 'ended'
                  WHEN s.expires_at <= now()
                       OR s.last_seen_at + make_interval(secs => s.idle_timeout_s) <= now()
                  THEN 'expired'
                  ELSE 'active' END
        FROM sessions s JOIN staff_users u ON u.id = s.user_id
       WHERE s.cookie_sha256 = p_cookie_sha256 $$;

ALTER FUNCTION public.crt_cookie_session(p_cookie_sha256 text) OWNER TO crt_auth;

--
-- Name: crt_current_controller(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_current_controller() RETURNS smallint
    LANGUAGE sql STABLE
    AS $$ SELECT (public.crt_context()).controller_id $$;

ALTER FUNCTION public.crt_current_controller() OWNER TO crt_owner;

--
-- Name: crt_current_partner(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_current_partner() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT (public.crt_context()).partner_id $$;

ALTER FUNCTION public.crt_current_partner() OWNER TO crt_owner;

--
-- Name: crt_current_role(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_current_role() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT (public.crt_context()).role $$;

ALTER FUNCTION public.crt_current_role() OWNER TO crt_owner;

--
-- Name: crt_current_user(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_current_user() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT (public.crt_context()).user_id $$;

ALTER FUNCTION public.crt_current_user() OWNER TO crt_owner;

--
-- Name: crt_duplicates(text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_duplicates(p_nn_bidx text, p_name_bidx text) RETURNS TABLE(controller text, matched_on text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_duplicates(p_nn_bidx text, p_name_bidx text) OWNER TO crt_auth;

--
-- Name: crt_erase_by_request(uuid, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text) RETURNS TABLE(outcome text, tombstone_id bigint, erased_at timestamp with time zone, hold text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text) OWNER TO crt_auth;

--
-- Name: crt_erase_core(uuid, text, bigint, text, text, uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_erase_core(p_person uuid, p_reason text, p_request_number bigint, p_request_id text, p_purpose text, p_user uuid) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_erase_core(p_person uuid, p_reason text, p_request_number bigint, p_request_id text, p_purpose text, p_user uuid) OWNER TO crt_auth;

--
-- Name: crt_erasure_reapply(uuid, text, bigint, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint, p_run text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  rq uuid;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('data_subject_request', 'retention')
     OR (p_reason = 'data_subject_request') <> (p_request_number IS NOT NULL) THEN
    RAISE EXCEPTION 'malformed erasure ledger entry' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM 1 FROM persons WHERE id = p_person FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 'absent';
  END IF;
  SELECT r.id INTO rq FROM rights_requests r
   WHERE r.number = p_request_number AND r.person_id = p_person AND r.kind = 'erasure'
     AND r.status = 'open' FOR UPDATE;
  PERFORM crt_erase_core(p_person, p_reason, p_request_number, p_run, p_reason, NULL);
  IF rq IS NOT NULL THEN
    UPDATE rights_requests SET status = 'granted', decided_on = current_date WHERE id = rq;
  END IF;
  RETURN 'erased';
END $$;

ALTER FUNCTION public.crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint, p_run text) OWNER TO crt_auth;

--
-- Name: crt_ip_network(text); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_ip_network(p_ip text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  a inet;
BEGIN
  IF p_ip IS NULL THEN
    RETURN NULL;
  END IF;
  a := p_ip::inet;
  RETURN network(set_masklen(a, CASE WHEN family(a) = 4 THEN 24 ELSE 48 END))::text;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN p_ip;
END $$;

ALTER FUNCTION public.crt_ip_network(p_ip text) OWNER TO crt_owner;

--
-- Name: crt_keep_review_fact(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_keep_review_fact() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  person uuid;
BEGIN
  IF TG_TABLE_NAME = 'persons' THEN
    person := OLD.id;
  ELSE
    person := OLD.person_id;
  END IF;
  IF person::text IS DISTINCT FROM current_setting('crt.erasing', true) THEN
    RETURN OLD;
  END IF;
  CASE TG_TABLE_NAME
    WHEN 'case_assignments' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'assignment', OLD.user_id,
              tstzrange(OLD.started_at, CASE WHEN OLD.ended_at >= OLD.started_at
                                   OR OLD.ended_at IS NULL THEN OLD.ended_at ELSE OLD.started_at END));
    WHEN 'referrals' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, purpose, valid)
      VALUES (OLD.controller_id, person, 'referral', OLD.partner_id, OLD.purpose,
              tstzrange(OLD.created_at, CASE WHEN OLD.ended_at >= OLD.created_at
                                   OR OLD.ended_at IS NULL THEN OLD.ended_at ELSE OLD.created_at END));
    WHEN 'persons' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'record', OLD.created_by, tstzrange(OLD.created_at, NULL));
    WHEN 'person_rectifications' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid)
      VALUES (OLD.controller_id, person, 'record', OLD.changed_by, tstzrange(OLD.changed_at, NULL));
    WHEN 'trajectory_entries' THEN
      INSERT INTO review_facts (controller_id, person_id, kind, actor_id, valid, day)
      VALUES (OLD.controller_id, person, CASE WHEN OLD.kind = 'intake' THEN 'intake' ELSE 'record' END,
              OLD.created_by, tstzrange(OLD.created_at, NULL),
              CASE WHEN OLD.kind = 'intake' THEN OLD.occurred_on END);
  END CASE;
  RETURN OLD;
END $$;

ALTER FUNCTION public.crt_keep_review_fact() OWNER TO crt_owner;

--
-- Name: crt_log_access(smallint, uuid, uuid, uuid, uuid, text, text[], text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_log_access(p_controller smallint, p_user uuid, p_partner uuid, p_person uuid, p_household uuid, p_action text, p_groups text[], p_purpose text, p_outcome text, p_reason text, p_request_id text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  INSERT INTO public.access_log (controller_id, user_id, partner_id, person_id, household_id,
                                 action, field_groups, purpose, outcome, reason, request_id)
  VALUES (p_controller, p_user, p_partner, p_person, p_household, p_action, p_groups, p_purpose,
          p_outcome, p_reason, p_request_id);
END $$;

ALTER FUNCTION public.crt_log_access(p_controller smallint, p_user uuid, p_partner uuid, p_person uuid, p_household uuid, p_action text, p_groups text[], p_purpose text, p_outcome text, p_reason text, p_request_id text) OWNER TO crt_owner;

--
-- Name: access_log; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.access_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid,
    person_id uuid,
    household_id uuid,
    action text NOT NULL,
    field_groups text[] DEFAULT '{}'::text[] NOT NULL,
    purpose text NOT NULL,
    outcome text NOT NULL,
    reason text,
    request_id text NOT NULL,
    partner_id uuid,
    txid bigint DEFAULT ((pg_current_xact_id())::text)::bigint NOT NULL,
    CONSTRAINT access_log_action_check CHECK ((action = ANY (ARRAY['create'::text, 'read'::text, 'update'::text, 'search'::text, 'trajectory_read'::text, 'trajectory_write'::text, 'household_read'::text, 'household_write'::text, 'history_read'::text, 'break_glass'::text, 'assignment_write'::text, 'assignment_read'::text, 'referral_write'::text, 'referral_read'::text, 'disclosure'::text, 'duplicate_check'::text, 'transfer_out'::text, 'transfer_in'::text, 'audit_read'::text, 'review_read'::text, 'review_decide'::text, 'export'::text, 'request_read'::text, 'request_write'::text, 'erasure'::text, 'restriction_lift'::text, 'flags_read'::text, 'flags_write'::text, 'statistics'::text]))),
    CONSTRAINT access_log_outcome_check CHECK ((outcome = ANY (ARRAY['allowed'::text, 'denied'::text, 'not_found'::text])))
)
PARTITION BY RANGE (at);

ALTER TABLE ONLY public.access_log FORCE ROW LEVEL SECURITY;

ALTER TABLE public.access_log OWNER TO crt_owner;

--
-- Name: crt_log_canonical(public.access_log); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_log_canonical(l public.access_log) RETURNS bytea
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

ALTER FUNCTION public.crt_log_canonical(l public.access_log) OWNER TO crt_owner;

--
-- Name: crt_log_canonical_field(text); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_log_canonical_field(v text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
                  ELSE '\x01'::bytea || pg_catalog.int4send(pg_catalog.octet_length(v))
                       || pg_catalog.convert_to(v, 'UTF8') END $$;

ALTER FUNCTION public.crt_log_canonical_field(v text) OWNER TO crt_owner;

--
-- Name: crt_log_partition_drop(text, timestamp with time zone, interval); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_log_partition_drop(p_name text, p_before timestamp with time zone, p_retention interval) RETURNS TABLE(outcome text, row_count bigint)
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_log_partition_drop(p_name text, p_before timestamp with time zone, p_retention interval) OWNER TO crt_owner;

--
-- Name: crt_log_partitions_expired(timestamp with time zone); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_log_partitions_expired(p_before timestamp with time zone) RETURNS TABLE(partition_name text, range_from timestamp with time zone, range_to timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $_$
  SELECT x.name, x.m::timestamp AT TIME ZONE 'UTC', (x.m + interval '1 month') AT TIME ZONE 'UTC'
    FROM (SELECT c.relname::text AS name, to_date(substr(c.relname, 12, 6), 'YYYYMM') AS m
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'access_log'::regclass
             AND c.relname ~ '^access_log_[0-9]{6}$') x
   WHERE (x.m + interval '1 month') AT TIME ZONE 'UTC' <= p_before
   ORDER BY 1
$_$;

ALTER FUNCTION public.crt_log_partitions_expired(p_before timestamp with time zone) OWNER TO crt_owner;

--
-- Name: crt_login_begin(smallint, uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_login_begin(p_controller smallint, p_user uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  IF p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff_users
                                          WHERE id = p_user AND controller_id = p_controller) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', coalesce(p_user::text, ''), true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

ALTER FUNCTION public.crt_login_begin(p_controller smallint, p_user uuid) OWNER TO crt_auth;

--
-- Name: crt_national_numbers_without_basis(text, boolean); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_national_numbers_without_basis(p_run text, p_apply boolean) RETURNS TABLE(person_id uuid, controller text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_national_numbers_without_basis(p_run text, p_apply boolean) OWNER TO crt_auth;

--
-- Name: crt_objection(uuid, text, boolean); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_objection(p_person uuid, p_purpose text, p_partner boolean) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.rights_requests q
                  WHERE q.person_id = p_person AND q.kind = 'objection'
                    AND q.status = 'granted'
                    AND (p_purpose = ANY (q.objection_purposes)
                         OR (p_partner AND 'partner_disclosure' = ANY (q.objection_purposes))));
END $$;

ALTER FUNCTION public.crt_objection(p_person uuid, p_purpose text, p_partner boolean) OWNER TO crt_owner;

--
-- Name: crt_partner_auth_failure(text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text, p_request_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $_$
  INSERT INTO partner_auth_events (partner_id, client_id, reason, ip, request_id)
  SELECT (SELECT p.id FROM partners p WHERE p.client_id = p_client_id),
         CASE WHEN p_client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$' THEN p_client_id END,
         p_reason, left(p_ip, 64), p_request_id
$_$;

ALTER FUNCTION public.crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text, p_request_id text) OWNER TO crt_auth;

--
-- Name: crt_partner_auth_wait(text, text, integer, integer, integer); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer, p_client_max integer, p_ip_max integer) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  SELECT GREATEST(0, ceil(extract(epoch FROM max(t.at) + make_interval(secs => p_window_s)
                                              - clock_timestamp()))::integer)
    FROM (SELECT (SELECT e.at FROM partner_auth_events e
                   WHERE e.client_id = p_client_id
                     AND e.at > clock_timestamp() - make_interval(secs => p_window_s)
                   ORDER BY e.at DESC OFFSET p_client_max - 1 LIMIT 1) AS at
          UNION ALL
          SELECT (SELECT e.at FROM partner_auth_events e
                   WHERE e.ip = p_ip
                     AND e.at > clock_timestamp() - make_interval(secs => p_window_s)
                   ORDER BY e.at DESC OFFSET p_ip_max - 1 LIMIT 1)) t
$$;

ALTER FUNCTION public.crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer, p_client_max integer, p_ip_max integer) OWNER TO crt_auth;

--
-- Name: crt_partner_begin(uuid, integer); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_begin(p_partner uuid, p_secret_version integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partners WHERE id = p_partner AND disabled_at IS NULL
                    AND secret_version = p_secret_version) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.partner_id', p_partner::text, true),
          set_config('crt.role', 'partner', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.session_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

ALTER FUNCTION public.crt_partner_begin(p_partner uuid, p_secret_version integer) OWNER TO crt_auth;

--
-- Name: crt_partner_page(timestamp with time zone, timestamp with time zone, uuid, text, integer); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_page(p_since timestamp with time zone, p_ts timestamp with time zone, p_person uuid, p_purpose text, p_limit integer) RETURNS TABLE(referral_id uuid, grant_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  me uuid := crt_current_partner();
  k_ts timestamptz := COALESCE(p_ts, '-infinity');
  k_person uuid := COALESCE(p_person, '00000000-0000-0000-0000-000000000000');
  k_purpose text := COALESCE(p_purpose, '');
  r record;
  g uuid;
  n integer := 0;
BEGIN
  IF me IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
    RETURN;
  END IF;
  IF p_since IS NOT NULL AND k_ts <= p_since THEN
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL AND x.person_updated_at > p_since
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  ELSE
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL
       AND (x.person_updated_at, x.person_id, x.purpose) > (k_ts, k_person, k_purpose)
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  END IF;
  WHILE FOUND LOOP
    g := crt_partner_referral_grant(r.id);
    IF g IS NOT NULL AND EXISTS (SELECT 1 FROM persons p WHERE p.id = r.person_id
                                   AND p.restricted_at IS NULL) THEN
      referral_id := r.id;
      grant_id := g;
      RETURN NEXT;
      n := n + 1;
      EXIT WHEN n >= p_limit;
    END IF;
    SELECT x.id, x.person_id, x.person_updated_at, x.purpose INTO r FROM referrals x
     WHERE x.partner_id = me AND x.ended_at IS NULL
       AND (x.person_updated_at, x.person_id, x.purpose) > (r.person_updated_at, r.person_id, r.purpose)
     ORDER BY x.person_updated_at, x.person_id, x.purpose LIMIT 1;
  END LOOP;
END $$;

ALTER FUNCTION public.crt_partner_page(p_since timestamp with time zone, p_ts timestamp with time zone, p_person uuid, p_purpose text, p_limit integer) OWNER TO crt_auth;

--
-- Name: crt_partner_referral_grant(uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_referral_grant(p_referral uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  RETURN (SELECT min(g.id::text)::uuid
            FROM referrals r
            JOIN partner_grants g ON g.partner_id = r.partner_id AND g.controller_id = r.controller_id
             AND g.purpose = r.purpose AND g.revoked_at IS NULL
             AND now() >= g.valid_from AND now() < g.valid_to
           WHERE r.id = p_referral AND r.partner_id = crt_current_partner() AND r.ended_at IS NULL
             AND NOT crt_objection(r.person_id, r.purpose, true)
          HAVING count(*) = 1);
END $$;

ALTER FUNCTION public.crt_partner_referral_grant(p_referral uuid) OWNER TO crt_auth;

--
-- Name: crt_partner_require(uuid, integer); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_partner_require(p_partner uuid, p_secret_version integer) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM set_config('crt.context_mac', '', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  IF NOT crt_partner_begin(p_partner, p_secret_version) THEN
    RAISE EXCEPTION 'the partner credentials are no longer valid' USING ERRCODE = 'CR401';
  END IF;
  RETURN true;
END $$;

ALTER FUNCTION public.crt_partner_require(p_partner uuid, p_secret_version integer) OWNER TO crt_owner;

--
-- Name: crt_partner_secret_version(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_partner_secret_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NEW.secret_sha256 IS DISTINCT FROM OLD.secret_sha256 THEN
    NEW.secret_version := OLD.secret_version + 1;
  ELSE
    NEW.secret_version := OLD.secret_version;
  END IF;
  RETURN NEW;
END $$;

ALTER FUNCTION public.crt_partner_secret_version() OWNER TO crt_owner;

--
-- Name: crt_partner_sees(uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_partner_sees(p_person uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM referrals r
                  WHERE r.person_id = p_person AND r.partner_id = crt_current_partner()
                    AND r.ended_at IS NULL AND crt_partner_referral_grant(r.id) IS NOT NULL);
END $$;

ALTER FUNCTION public.crt_partner_sees(p_person uuid) OWNER TO crt_auth;

--
-- Name: crt_person_consultations(uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_person_consultations(p_person uuid) RETURNS TABLE(day date, controller text, actor text, partner text, action text, purpose text, accesses bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_person_consultations(p_person uuid) OWNER TO crt_auth;

--
-- Name: crt_person_search(date, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_person_search(p_birth date, p_q text, p_oki text) RETURNS TABLE(id uuid, oki_number text, first_name text, last_name text, birth_date date)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_person_search(p_birth date, p_q text, p_oki text) OWNER TO crt_auth;

--
-- Name: crt_person_stamp_referrals(); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_person_stamp_referrals() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  UPDATE referrals SET person_updated_at = NEW.updated_at WHERE person_id = NEW.id;
  RETURN NULL;
END $$;

ALTER FUNCTION public.crt_person_stamp_referrals() OWNER TO crt_auth;

--
-- Name: crt_referral_person_stamp(); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_referral_person_stamp() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  -- '-infinity' for a person id with no person (no pull joins it to anything)
  NEW.person_updated_at := COALESCE((SELECT p.updated_at FROM persons p WHERE p.id = NEW.person_id),
                                    '-infinity');
  RETURN NEW;
END $$;

ALTER FUNCTION public.crt_referral_person_stamp() OWNER TO crt_auth;

--
-- Name: crt_refuse_change(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

ALTER FUNCTION public.crt_refuse_change() OWNER TO crt_owner;

--
-- Name: crt_refuse_change_unless_erasing(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_refuse_change_unless_erasing() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_user = 'crt_auth'
     AND OLD.person_id::text = current_setting('crt.erasing', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

ALTER FUNCTION public.crt_refuse_change_unless_erasing() OWNER TO crt_owner;

--
-- Name: crt_refuse_if_restricted(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_refuse_if_restricted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION public.crt_refuse_if_restricted() OWNER TO crt_owner;

--
-- Name: crt_refuse_national_number_without_basis(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_refuse_national_number_without_basis() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

ALTER FUNCTION public.crt_refuse_national_number_without_basis() OWNER TO crt_owner;

--
-- Name: crt_retention_apply(uuid, date, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_retention_apply(p_person uuid, p_today date, p_run text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_retention_apply(p_person uuid, p_today date, p_run text) OWNER TO crt_auth;

--
-- Name: crt_retention_due(date, uuid); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_retention_due(p_today date, p_person uuid) RETURNS TABLE(person_id uuid, controller text, retention_date date, basis text, action text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_retention_due(p_today date, p_person uuid) OWNER TO crt_auth;

--
-- Name: crt_review_decision_check(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_review_decision_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  current_id bigint;
BEGIN
  SELECT f.decision_id INTO current_id FROM review_findings f WHERE f.id = NEW.finding_id
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such finding' USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF NEW.replaces IS DISTINCT FROM current_id THEN
    RAISE EXCEPTION 'a decision must replace the current decision (%)',
      COALESCE(current_id::text, 'none') USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END $$;

ALTER FUNCTION public.crt_review_decision_check() OWNER TO crt_owner;

--
-- Name: crt_review_finding_decision_check(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_review_finding_decision_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF (NEW.decision, NEW.decision_id) IS DISTINCT FROM (OLD.decision, OLD.decision_id)
     AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.id = NEW.decision_id
                      AND d.finding_id = NEW.id AND d.decision = NEW.decision
                      AND d.replaces IS NOT DISTINCT FROM OLD.decision_id) THEN
    RAISE EXCEPTION 'a finding''s decision is set only from its newest recorded decision'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

ALTER FUNCTION public.crt_review_finding_decision_check() OWNER TO crt_owner;

--
-- Name: crt_rights_dpo_extends_only(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_rights_dpo_extends_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  ext CONSTANT text[] := ARRAY['extension_months', 'extension_reason', 'person_told_on',
                               'deadline', 'due_on'];
BEGIN
  IF crt_current_role() = 'dpo' AND (to_jsonb(NEW) - ext) IS DISTINCT FROM (to_jsonb(OLD) - ext)
  THEN
    RAISE EXCEPTION 'a DPO only extends a request' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

ALTER FUNCTION public.crt_rights_dpo_extends_only() OWNER TO crt_owner;

--
-- Name: crt_rights_request_register(text, uuid, text, text, text, text, date, text, text, text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_rights_request_register(p_owner text, p_person uuid, p_oki text, p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text, p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text) RETURNS TABLE(outcome text, request uuid, number bigint, deadline date)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_rights_request_register(p_owner text, p_person uuid, p_oki text, p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text, p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text) OWNER TO crt_auth;

--
-- Name: crt_seal_state(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_seal_state() RETURNS TABLE(last_seal_id bigint, last_sealed_at timestamp with time zone, last_seal_rows bigint, last_txid_to bigint, seals bigint, rows_sealed numeric, verify_result text, verify_started_at timestamp with time zone, verify_finished_at timestamp with time zone, verify_seals integer, verify_problems bigint, last_clean_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  SELECT s.id, s.sealed_at, s.row_count, s.txid_to, a.n, a.total, v.result, v.started_at,
         v.finished_at, v.seals, v.problems, c.finished_at
    FROM (SELECT 1) one
    LEFT JOIN (SELECT * FROM log_seals ORDER BY id DESC LIMIT 1) s ON true
    LEFT JOIN (SELECT count(*) AS n, sum(row_count) AS total FROM log_seals) a ON true
    LEFT JOIN (SELECT * FROM log_verify_runs ORDER BY id DESC LIMIT 1) v ON true
    LEFT JOIN (SELECT max(finished_at) AS finished_at FROM log_verify_runs
                WHERE result = 'clean') c ON true
   WHERE crt_current_role() = 'dpo' AND crt_current_controller() IS NOT NULL
$$;

ALTER FUNCTION public.crt_seal_state() OWNER TO crt_owner;

--
-- Name: crt_session_begin(smallint, uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  due boolean;
BEGIN
  SELECT s.last_seen_at < now() - make_interval(secs => LEAST(15, COALESCE(s.idle_timeout_s, 150) / 10.0))
    INTO due
    FROM sessions s JOIN staff_users u ON u.id = s.user_id
   WHERE s.id = p_session AND s.user_id = p_user AND s.controller_id = p_controller
     AND s.revoked_at IS NULL AND s.expires_at > now()
     AND (s.idle_timeout_s IS NULL
          OR s.last_seen_at + make_interval(secs => s.idle_timeout_s) > now())
     AND u.disabled_at IS NULL AND u.role = p_role
     AND u.controller_id = p_controller;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF due THEN
    UPDATE sessions SET last_seen_at = now()
     WHERE id = p_session
       AND last_seen_at < now() - make_interval(secs => LEAST(15, COALESCE(idle_timeout_s, 150) / 10.0));
  END IF;
  PERFORM set_config('crt.controller_id', p_controller::text, true),
          set_config('crt.user_id', p_user::text, true),
          set_config('crt.role', p_role, true),
          set_config('crt.session_id', p_session::text, true),
          set_config('crt.partner_id', '', true);
  PERFORM set_config('crt.context_mac', crt_context_mac(), true);  -- sign what was just set
  RETURN true;
END $$;

ALTER FUNCTION public.crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text) OWNER TO crt_auth;

--
-- Name: crt_session_require(smallint, uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_session_require(p_controller smallint, p_user uuid, p_session uuid, p_role text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM set_config('crt.context_mac', '', true),
          set_config('crt.controller_id', '', true),
          set_config('crt.user_id', '', true),
          set_config('crt.role', '', true),
          set_config('crt.session_id', '', true),
          set_config('crt.partner_id', '', true);
  IF NOT crt_session_begin(p_controller, p_user, p_session, p_role) THEN
    RAISE EXCEPTION 'the session is no longer valid' USING ERRCODE = 'CR401';
  END IF;
  RETURN true;
END $$;

ALTER FUNCTION public.crt_session_require(p_controller smallint, p_user uuid, p_session uuid, p_role text) OWNER TO crt_owner;

--
-- Name: crt_stats_analyze(); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_stats_analyze() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$ BEGIN ANALYZE stats_cells; END $$;

ALTER FUNCTION public.crt_stats_analyze() OWNER TO crt_owner;

--
-- Name: crt_stats_person_categories(date); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_stats_person_categories(p_as_of date) RETURNS TABLE(controller_id smallint, month date, area text, figure text, category text)
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

ALTER FUNCTION public.crt_stats_person_categories(p_as_of date) OWNER TO crt_owner;

--
-- Name: crt_stats_refresh(integer, date); Type: FUNCTION; Schema: public; Owner: crt_owner
--

CREATE FUNCTION public.crt_stats_refresh(p_threshold integer, p_as_of date DEFAULT CURRENT_DATE) RETURNS bigint
    LANGUAGE plpgsql
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

ALTER FUNCTION public.crt_stats_refresh(p_threshold integer, p_as_of date) OWNER TO crt_owner;

--
-- Name: crt_transfer_person(uuid, text, text, text, text); Type: FUNCTION; Schema: public; Owner: crt_auth
--

CREATE FUNCTION public.crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text, p_purpose text) RETURNS smallint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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

ALTER FUNCTION public.crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text, p_purpose text) OWNER TO crt_auth;

--
-- Name: access_log_default; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.access_log_default (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid,
    person_id uuid,
    household_id uuid,
    action text NOT NULL,
    field_groups text[] DEFAULT '{}'::text[] NOT NULL,
    purpose text NOT NULL,
    outcome text NOT NULL,
    reason text,
    request_id text NOT NULL,
    partner_id uuid,
    txid bigint DEFAULT ((pg_current_xact_id())::text)::bigint NOT NULL,
    CONSTRAINT access_log_action_check CHECK ((action = ANY (ARRAY['create'::text, 'read'::text, 'update'::text, 'search'::text, 'trajectory_read'::text, 'trajectory_write'::text, 'household_read'::text, 'household_write'::text, 'history_read'::text, 'break_glass'::text, 'assignment_write'::text, 'assignment_read'::text, 'referral_write'::text, 'referral_read'::text, 'disclosure'::text, 'duplicate_check'::text, 'transfer_out'::text, 'transfer_in'::text, 'audit_read'::text, 'review_read'::text, 'review_decide'::text, 'export'::text, 'request_read'::text, 'request_write'::text, 'erasure'::text, 'restriction_lift'::text, 'flags_read'::text, 'flags_write'::text, 'statistics'::text]))),
    CONSTRAINT access_log_outcome_check CHECK ((outcome = ANY (ARRAY['allowed'::text, 'denied'::text, 'not_found'::text])))
);

ALTER TABLE public.access_log_default OWNER TO crt_owner;

--
-- Name: access_log_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.access_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.access_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: auth_challenges; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.auth_challenges (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    token_sha256 text NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT auth_challenges_kind_check CHECK ((kind = ANY (ARRAY['mfa'::text, 'enrol'::text, 'invite'::text])))
);

ALTER TABLE ONLY public.auth_challenges FORCE ROW LEVEL SECURITY;

ALTER TABLE public.auth_challenges OWNER TO crt_owner;

--
-- Name: auth_lookup_minutes; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.auth_lookup_minutes (
    minute timestamp with time zone NOT NULL,
    lookups integer NOT NULL
);

ALTER TABLE ONLY public.auth_lookup_minutes FORCE ROW LEVEL SECURITY;

ALTER TABLE public.auth_lookup_minutes OWNER TO crt_owner;

--
-- Name: break_glass; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.break_glass (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    user_id uuid NOT NULL,
    reason text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT break_glass_reason_check CHECK (((length(reason) >= 20) AND (length(reason) <= 1000)))
);

ALTER TABLE ONLY public.break_glass FORCE ROW LEVEL SECURITY;

ALTER TABLE public.break_glass OWNER TO crt_owner;

--
-- Name: case_assignments; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.case_assignments (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    user_id uuid NOT NULL,
    assigned_by uuid NOT NULL,
    reason text,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    ended_by uuid,
    CONSTRAINT case_assignments_reason_check CHECK ((length(reason) <= 500))
);

ALTER TABLE ONLY public.case_assignments FORCE ROW LEVEL SECURITY;

ALTER TABLE public.case_assignments OWNER TO crt_owner;

--
-- Name: controller_holidays; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.controller_holidays (
    controller_id smallint NOT NULL,
    day date NOT NULL,
    name text NOT NULL,
    CONSTRAINT controller_holidays_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)))
);

ALTER TABLE ONLY public.controller_holidays FORCE ROW LEVEL SECURITY;

ALTER TABLE public.controller_holidays OWNER TO crt_owner;

--
-- Name: controllers; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.controllers (
    id smallint NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    kbo_number text NOT NULL,
    seat_address text NOT NULL,
    dpo_email text NOT NULL,
    dpo_address text NOT NULL,
    timezone text DEFAULT 'Europe/Brussels'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    intake_window_days integer DEFAULT 30 NOT NULL,
    break_glass_minutes integer DEFAULT 60 NOT NULL,
    work_start time without time zone DEFAULT '07:30:00'::time without time zone NOT NULL,
    work_end time without time zone DEFAULT '19:00:00'::time without time zone NOT NULL,
    work_days smallint[] DEFAULT '{1,2,3,4,5}'::smallint[] NOT NULL,
    request_period interval DEFAULT '1 mon'::interval NOT NULL,
    retention_basis text DEFAULT 'status_end'::text NOT NULL,
    retention_period interval DEFAULT '6 mons'::interval NOT NULL,
    legal_basis text DEFAULT 'art. 6.1.e GDPR (task in the public interest): supporting the integration of temporarily displaced persons'::text NOT NULL,
    national_number_basis text,
    transfer_escalation_days integer DEFAULT 30 NOT NULL,
    CONSTRAINT controllers_break_glass_minutes_check CHECK (((break_glass_minutes >= 5) AND (break_glass_minutes <= 1440))),
    CONSTRAINT controllers_code_check CHECK ((code ~ '^[a-z][a-z0-9-]{1,31}$'::text)),
    CONSTRAINT controllers_intake_window_days_check CHECK (((intake_window_days >= 0) AND (intake_window_days <= 365))),
    CONSTRAINT controllers_kbo_number_check CHECK ((kbo_number ~ '^[01][0-9]{3}\.[0-9]{3}\.[0-9]{3}$'::text)),
    CONSTRAINT controllers_legal_basis_check CHECK (((length(legal_basis) >= 10) AND (length(legal_basis) <= 1000))),
    CONSTRAINT controllers_national_number_basis_check CHECK (((length(national_number_basis) >= 10) AND (length(national_number_basis) <= 1000))),
    CONSTRAINT controllers_request_period_check CHECK (((request_period >= '1 day'::interval) AND (request_period <= '3 mons'::interval))),
    CONSTRAINT controllers_retention_basis_check CHECK ((retention_basis = ANY (ARRAY['status_end'::text, 'guidance_end'::text, 'last_contact'::text, 'registration'::text]))),
    CONSTRAINT controllers_retention_period_check CHECK (((retention_period >= '00:00:00'::interval) AND (retention_period <= '30 years'::interval))),
    CONSTRAINT controllers_transfer_escalation_days_check CHECK (((transfer_escalation_days >= 1) AND (transfer_escalation_days <= 180))),
    CONSTRAINT controllers_work_days_check CHECK ((work_days <@ '{1,2,3,4,5,6,7}'::smallint[])),
    CONSTRAINT controllers_work_hours CHECK ((work_end > work_start))
);

ALTER TABLE public.controllers OWNER TO crt_owner;

--
-- Name: crt_context_keys; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.crt_context_keys (
    one boolean DEFAULT true NOT NULL,
    k_in bytea NOT NULL,
    k_out bytea NOT NULL,
    CONSTRAINT crt_context_keys_k_in_check CHECK ((length(k_in) = 32)),
    CONSTRAINT crt_context_keys_k_out_check CHECK ((length(k_out) = 32)),
    CONSTRAINT crt_context_keys_one_check CHECK (one)
);

ALTER TABLE ONLY public.crt_context_keys FORCE ROW LEVEL SECURITY;

ALTER TABLE public.crt_context_keys OWNER TO crt_owner;

--
-- Name: disclosure_notices; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.disclosure_notices (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    disclosure_ids bigint[] NOT NULL,
    language text NOT NULL,
    method text NOT NULL,
    delivered_on date NOT NULL,
    delivered_by uuid NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    request_id text NOT NULL,
    CONSTRAINT disclosure_notices_disclosure_ids_check CHECK ((cardinality(disclosure_ids) > 0)),
    CONSTRAINT disclosure_notices_language_check CHECK ((language = ANY (ARRAY['nl'::text, 'en'::text, 'uk'::text, 'ru'::text]))),
    CONSTRAINT disclosure_notices_method_check CHECK ((method = ANY (ARRAY['handed'::text, 'post'::text, 'email'::text, 'read_aloud'::text])))
);

ALTER TABLE ONLY public.disclosure_notices FORCE ROW LEVEL SECURITY;

ALTER TABLE public.disclosure_notices OWNER TO crt_owner;

--
-- Name: disclosure_notices_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.disclosure_notices ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.disclosure_notices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: disclosures; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.disclosures (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    partner_id uuid NOT NULL,
    grant_id uuid NOT NULL,
    field_groups text[] NOT NULL,
    purpose text NOT NULL,
    legal_basis text NOT NULL,
    request_id text NOT NULL
);

ALTER TABLE ONLY public.disclosures FORCE ROW LEVEL SECURITY;

ALTER TABLE public.disclosures OWNER TO crt_owner;

--
-- Name: disclosures_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.disclosures ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.disclosures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: field_groups; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.field_groups (
    code text NOT NULL,
    description text NOT NULL
);

ALTER TABLE public.field_groups OWNER TO crt_owner;

--
-- Name: households; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.households (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    family_name text NOT NULL,
    address_street text,
    address_number text,
    address_box text,
    address_postcode text,
    address_city text,
    source public.data_source NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT households_address_box_check CHECK ((length(address_box) <= 20)),
    CONSTRAINT households_address_city_check CHECK ((length(address_city) <= 100)),
    CONSTRAINT households_address_number_check CHECK ((length(address_number) <= 20)),
    CONSTRAINT households_address_postcode_check CHECK ((address_postcode ~ '^[1-9][0-9]{3}$'::text)),
    CONSTRAINT households_address_street_check CHECK ((length(address_street) <= 200)),
    CONSTRAINT households_family_name_check CHECK (((length(family_name) >= 1) AND (length(family_name) <= 100)))
);

ALTER TABLE ONLY public.households FORCE ROW LEVEL SECURITY;

ALTER TABLE public.households OWNER TO crt_owner;

--
-- Name: key_jobs; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.key_jobs (
    kind text NOT NULL,
    target_key text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    pass integer DEFAULT 1 NOT NULL,
    cursor_table text,
    cursor_controller smallint,
    cursor_id uuid,
    rows_done bigint DEFAULT 0 NOT NULL,
    CONSTRAINT key_jobs_cursor_table_check CHECK ((cursor_table = ANY (ARRAY['staff_credentials'::text, 'persons'::text]))),
    CONSTRAINT key_jobs_kind_check CHECK ((kind = ANY (ARRAY['data'::text, 'blind'::text]))),
    CONSTRAINT key_jobs_pass_check CHECK ((pass >= 1)),
    CONSTRAINT key_jobs_rows_done_check CHECK ((rows_done >= 0))
);

ALTER TABLE public.key_jobs OWNER TO crt_owner;

--
-- Name: log_partition_drops; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.log_partition_drops (
    id bigint NOT NULL,
    partition_name text NOT NULL,
    range_from timestamp with time zone NOT NULL,
    range_to timestamp with time zone NOT NULL,
    row_count bigint NOT NULL,
    first_row_id bigint,
    last_row_id bigint,
    first_txid bigint,
    last_txid bigint,
    ids_sha256 text NOT NULL,
    log_retention interval NOT NULL,
    dropped_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    dropped_by text DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT log_partition_drops_check CHECK ((range_to > range_from)),
    CONSTRAINT log_partition_drops_ids_sha256_check CHECK ((ids_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT log_partition_drops_partition_name_check CHECK ((partition_name ~ '^access_log_[0-9]{6}$'::text)),
    CONSTRAINT log_partition_drops_row_count_check CHECK ((row_count >= 0))
);

ALTER TABLE public.log_partition_drops OWNER TO crt_owner;

--
-- Name: log_partition_drops_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.log_partition_drops ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.log_partition_drops_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: log_seal_blocks; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.log_seal_blocks (
    seal_id bigint NOT NULL,
    block_no integer NOT NULL,
    manifest bytea NOT NULL,
    CONSTRAINT log_seal_blocks_block_no_check CHECK ((block_no >= 0))
);

ALTER TABLE public.log_seal_blocks OWNER TO crt_owner;

--
-- Name: log_seals; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.log_seals (
    id bigint NOT NULL,
    prev_id bigint,
    txid_from bigint NOT NULL,
    txid_to bigint NOT NULL,
    row_count bigint NOT NULL,
    first_row_id bigint,
    last_row_id bigint,
    manifest_sha256 text NOT NULL,
    prev_chain text NOT NULL,
    chain text NOT NULL,
    key_id text NOT NULL,
    signature text NOT NULL,
    sealed_at timestamp with time zone NOT NULL,
    CONSTRAINT log_seals_chain_check CHECK ((chain ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT log_seals_check CHECK ((txid_to >= txid_from)),
    CONSTRAINT log_seals_check1 CHECK (((id = 1) = (prev_id IS NULL))),
    CONSTRAINT log_seals_id_check CHECK ((id >= 1)),
    CONSTRAINT log_seals_manifest_sha256_check CHECK ((manifest_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT log_seals_prev_chain_check CHECK ((prev_chain ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT log_seals_row_count_check CHECK ((row_count >= 0))
);

ALTER TABLE public.log_seals OWNER TO crt_owner;

--
-- Name: log_verify_runs; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.log_verify_runs (
    id bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    result text NOT NULL,
    seals integer DEFAULT 0 NOT NULL,
    problems bigint DEFAULT 0 NOT NULL,
    CONSTRAINT log_verify_runs_check CHECK ((finished_at >= started_at)),
    CONSTRAINT log_verify_runs_problems_check CHECK ((problems >= 0)),
    CONSTRAINT log_verify_runs_result_check CHECK ((result = ANY (ARRAY['clean'::text, 'altered'::text, 'error'::text]))),
    CONSTRAINT log_verify_runs_seals_check CHECK ((seals >= 0))
);

ALTER TABLE public.log_verify_runs OWNER TO crt_owner;

--
-- Name: log_verify_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.log_verify_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.log_verify_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: login_events; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.login_events (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    controller_id smallint,
    user_id uuid,
    actor_id uuid,
    event text NOT NULL,
    outcome text NOT NULL,
    ip text,
    request_id text,
    subject text,
    CONSTRAINT login_events_event_check CHECK ((event = ANY (ARRAY['password'::text, 'totp'::text, 'recovery_code'::text, 'lockout'::text, 'enrol_start'::text, 'enrol_confirm'::text, 'logout'::text, 'unlock'::text, 'mfa_reset'::text, 'disable'::text, 'enable'::text, 'role_change'::text, 'password_change'::text, 'create'::text, 'session_revoke'::text, 'invite'::text, 'invite_used'::text, 'partner_create'::text, 'partner_secret'::text, 'partner_revoke'::text, 'grant_create'::text, 'grant_end'::text, 'settings_change'::text, 'holiday_set'::text, 'holiday_remove'::text]))),
    CONSTRAINT login_events_outcome_check CHECK ((outcome = ANY (ARRAY['success'::text, 'failure'::text, 'refused'::text]))),
    CONSTRAINT login_events_subject_check CHECK ((length(subject) <= 100))
);

ALTER TABLE ONLY public.login_events FORCE ROW LEVEL SECURITY;

ALTER TABLE public.login_events OWNER TO crt_owner;

--
-- Name: login_events_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.login_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.login_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: oki_number_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

CREATE SEQUENCE public.oki_number_seq
    START WITH 100001
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER TABLE public.oki_number_seq OWNER TO crt_owner;

--
-- Name: partner_auth_events; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.partner_auth_events (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    partner_id uuid,
    client_id text,
    reason text NOT NULL,
    ip text NOT NULL,
    request_id text NOT NULL,
    CONSTRAINT partner_auth_events_client_id_check CHECK ((client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'::text)),
    CONSTRAINT partner_auth_events_ip_check CHECK ((length(ip) <= 64)),
    CONSTRAINT partner_auth_events_reason_check CHECK ((reason = ANY (ARRAY['bad_secret'::text, 'unknown_client'::text, 'disabled'::text, 'no_credentials'::text])))
);

ALTER TABLE ONLY public.partner_auth_events FORCE ROW LEVEL SECURITY;

ALTER TABLE public.partner_auth_events OWNER TO crt_owner;

--
-- Name: partner_auth_events_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.partner_auth_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.partner_auth_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: partner_grants; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.partner_grants (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    partner_id uuid NOT NULL,
    controller_id smallint NOT NULL,
    field_groups text[] NOT NULL,
    purpose text NOT NULL,
    legal_basis text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT partner_grants_check CHECK ((valid_to > valid_from)),
    CONSTRAINT partner_grants_field_groups_check CHECK (((cardinality(field_groups) >= 1) AND (field_groups <@ ARRAY['identification'::text, 'contact'::text, 'trajectory'::text, 'situation'::text, 'education'::text]))),
    CONSTRAINT partner_grants_legal_basis_check CHECK (((length(legal_basis) >= 3) AND (length(legal_basis) <= 300))),
    CONSTRAINT partner_grants_purpose_check CHECK ((purpose ~ '^[a-z0-9_]{3,64}$'::text))
);

ALTER TABLE ONLY public.partner_grants FORCE ROW LEVEL SECURITY;

ALTER TABLE public.partner_grants OWNER TO crt_owner;

--
-- Name: partner_notifications; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.partner_notifications (
    id bigint NOT NULL,
    partner_id uuid NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    kind text NOT NULL,
    field_groups text[] NOT NULL,
    fields text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    request_id text NOT NULL,
    acknowledged_at timestamp with time zone,
    CONSTRAINT partner_notifications_kind_check CHECK ((kind = ANY (ARRAY['rectification'::text, 'restriction'::text, 'erasure'::text])))
);

ALTER TABLE ONLY public.partner_notifications FORCE ROW LEVEL SECURITY;

ALTER TABLE public.partner_notifications OWNER TO crt_owner;

--
-- Name: partner_notifications_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.partner_notifications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.partner_notifications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: partners; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.partners (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    client_id text NOT NULL,
    secret_sha256 text NOT NULL,
    secret_rotated_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    secret_version integer DEFAULT 1 NOT NULL,
    owner_controller smallint,
    CONSTRAINT partners_client_id_check CHECK ((client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'::text)),
    CONSTRAINT partners_kind_check CHECK ((kind = ANY (ARRAY['employment'::text, 'social_welfare'::text, 'education'::text, 'housing'::text, 'other'::text]))),
    CONSTRAINT partners_name_check CHECK (((length(name) >= 2) AND (length(name) <= 200))),
    CONSTRAINT partners_secret_sha256_check CHECK ((secret_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT partners_secret_version_check CHECK ((secret_version >= 1))
);

ALTER TABLE public.partners OWNER TO crt_owner;

--
-- Name: person_rectifications; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.person_rectifications (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    field text NOT NULL,
    old_value text,
    new_value text,
    reason text NOT NULL,
    changed_by uuid NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    request_id text NOT NULL,
    CONSTRAINT person_rectifications_reason_check CHECK (((length(reason) >= 3) AND (length(reason) <= 500)))
);

ALTER TABLE ONLY public.person_rectifications FORCE ROW LEVEL SECURITY;

ALTER TABLE public.person_rectifications OWNER TO crt_owner;

--
-- Name: person_rectifications_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_rectifications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.person_rectifications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: person_restrictions; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.person_restrictions (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    request_number bigint NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    started_by uuid NOT NULL,
    request_id text NOT NULL,
    lifted_at timestamp with time zone,
    lifted_by uuid,
    lift_reason text,
    lift_request_id text,
    CONSTRAINT person_restrictions_check CHECK (((lifted_at IS NULL) = (lift_reason IS NULL))),
    CONSTRAINT person_restrictions_lift_reason_check CHECK (((length(lift_reason) >= 10) AND (length(lift_reason) <= 1000)))
);

ALTER TABLE ONLY public.person_restrictions FORCE ROW LEVEL SECURITY;

ALTER TABLE public.person_restrictions OWNER TO crt_owner;

--
-- Name: person_restrictions_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_restrictions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.person_restrictions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: persons; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.persons (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    oki_number text DEFAULT ('OKI'::text || lpad((nextval('public.oki_number_seq'::regclass))::text, 9, '0'::text)) NOT NULL,
    household_id uuid,
    title text,
    first_name text NOT NULL,
    last_name text NOT NULL,
    gender text,
    birth_date date NOT NULL,
    nationality text,
    phone text,
    email text,
    contact_preference text,
    address_street text,
    address_number text,
    address_box text,
    address_postcode text,
    address_city text,
    home_country_address text,
    home_country_postcode text,
    registration_date date DEFAULT CURRENT_DATE NOT NULL,
    first_enrolment_date date,
    contact_language text,
    residence_status text,
    residence_status_start date,
    residence_status_end date,
    family_situation text,
    minor_children smallint,
    languages text,
    literacy text,
    work_study text,
    needs_childcare boolean,
    needs_buddy boolean,
    sources jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    restricted_at timestamp with time zone,
    national_number_sealed bytea,
    national_number_key_id text,
    national_number_bidx text,
    name_bidx text,
    protected_at timestamp with time zone,
    under_guardianship boolean DEFAULT false NOT NULL,
    legal_hold text,
    transfer_consent_at timestamp with time zone,
    guidance_ended_on date,
    export_marked_at timestamp with time zone,
    exported_at timestamp with time zone,
    bidx_key_id text,
    CONSTRAINT persons_address_box_check CHECK ((length(address_box) <= 20)),
    CONSTRAINT persons_address_city_check CHECK ((length(address_city) <= 100)),
    CONSTRAINT persons_address_number_check CHECK ((length(address_number) <= 20)),
    CONSTRAINT persons_address_postcode_check CHECK ((address_postcode ~ '^[1-9][0-9]{3}$'::text)),
    CONSTRAINT persons_address_street_check CHECK ((length(address_street) <= 200)),
    CONSTRAINT persons_check CHECK (((residence_status_end IS NULL) OR (residence_status_start IS NULL) OR (residence_status_end >= residence_status_start))),
    CONSTRAINT persons_contact_language_check CHECK ((length(contact_language) <= 35)),
    CONSTRAINT persons_contact_preference_check CHECK ((contact_preference = ANY (ARRAY['phone'::text, 'email'::text, 'sms'::text, 'post'::text, 'in_person'::text]))),
    CONSTRAINT persons_email_check CHECK ((length(email) <= 254)),
    CONSTRAINT persons_family_situation_check CHECK ((length(family_situation) <= 1000)),
    CONSTRAINT persons_first_name_check CHECK (((length(first_name) >= 1) AND (length(first_name) <= 100))),
    CONSTRAINT persons_gender_check CHECK ((gender = ANY (ARRAY['female'::text, 'male'::text, 'x'::text, 'unknown'::text]))),
    CONSTRAINT persons_home_country_address_check CHECK ((length(home_country_address) <= 300)),
    CONSTRAINT persons_home_country_postcode_check CHECK ((length(home_country_postcode) <= 16)),
    CONSTRAINT persons_languages_check CHECK ((length(languages) <= 300)),
    CONSTRAINT persons_last_name_check CHECK (((length(last_name) >= 1) AND (length(last_name) <= 100))),
    CONSTRAINT persons_legal_hold_check CHECK (((length(legal_hold) >= 10) AND (length(legal_hold) <= 500))),
    CONSTRAINT persons_literacy_check CHECK ((literacy = ANY (ARRAY['literate'::text, 'literate_other_script'::text, 'low_literate'::text, 'illiterate'::text, 'unknown'::text]))),
    CONSTRAINT persons_minor_children_check CHECK (((minor_children >= 0) AND (minor_children <= 30))),
    CONSTRAINT persons_nationality_check CHECK ((nationality ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT persons_phone_check CHECK ((length(phone) <= 32)),
    CONSTRAINT persons_residence_status_check CHECK ((residence_status = ANY (ARRAY['temporary_protection'::text, 'applicant'::text, 'refugee'::text, 'subsidiary_protection'::text, 'other'::text, 'unknown'::text]))),
    CONSTRAINT persons_title_check CHECK ((length(title) <= 20)),
    CONSTRAINT persons_work_study_check CHECK ((length(work_study) <= 500))
);

ALTER TABLE ONLY public.persons FORCE ROW LEVEL SECURITY;

ALTER TABLE public.persons OWNER TO crt_owner;

--
-- Name: trajectory_entries; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.trajectory_entries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    kind text NOT NULL,
    occurred_on date NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    source public.data_source NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT trajectory_entries_kind_check CHECK ((kind = ANY (ARRAY['intake'::text, 'info_session'::text, 'social_orientation'::text, 'nt2_offer'::text, 'test_result'::text])))
);

ALTER TABLE ONLY public.trajectory_entries FORCE ROW LEVEL SECURITY;

ALTER TABLE public.trajectory_entries OWNER TO crt_owner;

--
-- Name: person_retention; Type: VIEW; Schema: public; Owner: crt_owner
--

CREATE VIEW public.person_retention WITH (security_invoker='true') AS
 SELECT b.person_id,
    b.controller_id,
    b.basis,
    b.period,
    b.basis_date,
    ((b.basis_date + b.period))::date AS retention_date
   FROM ( SELECT p.id AS person_id,
            p.controller_id,
            c.retention_basis AS basis,
            c.retention_period AS period,
                CASE c.retention_basis
                    WHEN 'status_end'::text THEN p.residence_status_end
                    WHEN 'guidance_end'::text THEN p.guidance_ended_on
                    WHEN 'registration'::text THEN p.registration_date
                    WHEN 'last_contact'::text THEN GREATEST(p.registration_date, ((p.updated_at AT TIME ZONE 'UTC'::text))::date, ( SELECT max(t.occurred_on) AS max
                       FROM public.trajectory_entries t
                      WHERE (t.person_id = p.id)))
                    ELSE NULL::date
                END AS basis_date
           FROM (public.persons p
             JOIN public.controllers c ON ((c.id = p.controller_id)))) b;

ALTER TABLE public.person_retention OWNER TO crt_owner;

--
-- Name: person_tombstones; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.person_tombstones (
    id bigint NOT NULL,
    person_id uuid NOT NULL,
    controller_id smallint NOT NULL,
    erased_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text NOT NULL,
    request_number bigint,
    request_id text NOT NULL,
    CONSTRAINT person_tombstones_check CHECK (((reason = 'data_subject_request'::text) = (request_number IS NOT NULL))),
    CONSTRAINT person_tombstones_reason_check CHECK ((reason = ANY (ARRAY['data_subject_request'::text, 'retention'::text])))
);

ALTER TABLE ONLY public.person_tombstones FORCE ROW LEVEL SECURITY;

ALTER TABLE public.person_tombstones OWNER TO crt_owner;

--
-- Name: person_tombstones_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_tombstones ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.person_tombstones_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: processing_purposes; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.processing_purposes (
    code text NOT NULL,
    description text NOT NULL
);

ALTER TABLE public.processing_purposes OWNER TO crt_owner;

--
-- Name: recovery_codes; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.recovery_codes (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid NOT NULL,
    code_sha256 text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY public.recovery_codes FORCE ROW LEVEL SECURITY;

ALTER TABLE public.recovery_codes OWNER TO crt_owner;

--
-- Name: recovery_codes_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.recovery_codes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.recovery_codes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: referrals; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.referrals (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    partner_id uuid NOT NULL,
    purpose text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    ended_by uuid,
    person_informed boolean DEFAULT false NOT NULL,
    person_updated_at timestamp with time zone DEFAULT '-infinity'::timestamp with time zone NOT NULL,
    CONSTRAINT referrals_purpose_check CHECK ((purpose ~ '^[a-z0-9_]{3,64}$'::text))
);

ALTER TABLE ONLY public.referrals FORCE ROW LEVEL SECURITY;

ALTER TABLE public.referrals OWNER TO crt_owner;

--
-- Name: request_recipients; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.request_recipients (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    request uuid NOT NULL,
    partner_id uuid NOT NULL,
    kind text NOT NULL,
    field_groups text[] NOT NULL,
    notified_at timestamp with time zone NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT request_recipients_kind_check CHECK ((kind = ANY (ARRAY['rectification'::text, 'restriction'::text, 'erasure'::text])))
);

ALTER TABLE ONLY public.request_recipients FORCE ROW LEVEL SECURITY;

ALTER TABLE public.request_recipients OWNER TO crt_owner;

--
-- Name: request_recipients_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.request_recipients ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.request_recipients_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: retention_escalations; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.retention_escalations (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    deadline date NOT NULL,
    escalated_on date NOT NULL,
    run text NOT NULL
);

ALTER TABLE ONLY public.retention_escalations FORCE ROW LEVEL SECURITY;

ALTER TABLE public.retention_escalations OWNER TO crt_owner;

--
-- Name: retention_escalations_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.retention_escalations ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.retention_escalations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_cases; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_cases (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid,
    partner_id uuid,
    narrative text DEFAULT ''::text NOT NULL,
    opened_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    updated_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    closed_at timestamp with time zone,
    CONSTRAINT review_cases_check CHECK (((user_id IS NULL) <> (partner_id IS NULL)))
);

ALTER TABLE ONLY public.review_cases FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_cases OWNER TO crt_owner;

--
-- Name: review_cases_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_cases ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.review_cases_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_decisions; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_decisions (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    finding_id bigint NOT NULL,
    decision text NOT NULL,
    note text NOT NULL,
    decided_by uuid NOT NULL,
    decided_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    replaces bigint,
    request_id text NOT NULL,
    CONSTRAINT review_decisions_decision_check CHECK ((decision = ANY (ARRAY['justified'::text, 'violation'::text, 'follow_up'::text]))),
    CONSTRAINT review_decisions_note_check CHECK (((length(note) >= 3) AND (length(note) <= 2000)))
);

ALTER TABLE ONLY public.review_decisions FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_decisions OWNER TO crt_owner;

--
-- Name: review_decisions_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_decisions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.review_decisions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_facts; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_facts (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    person_id uuid NOT NULL,
    kind text NOT NULL,
    actor_id uuid NOT NULL,
    purpose text,
    valid tstzrange NOT NULL,
    day date,
    kept_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT review_facts_check CHECK (((kind = 'referral'::text) = (purpose IS NOT NULL))),
    CONSTRAINT review_facts_check1 CHECK (((kind = 'intake'::text) = (day IS NOT NULL))),
    CONSTRAINT review_facts_kind_check CHECK ((kind = ANY (ARRAY['assignment'::text, 'record'::text, 'intake'::text, 'referral'::text]))),
    CONSTRAINT review_facts_purpose_check CHECK ((purpose ~ '^[a-z0-9_]{3,64}$'::text))
);

ALTER TABLE ONLY public.review_facts FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_facts OWNER TO crt_owner;

--
-- Name: review_facts_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_facts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.review_facts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_findings; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_findings (
    id bigint NOT NULL,
    controller_id smallint NOT NULL,
    rule_id text NOT NULL,
    severity text NOT NULL,
    dedup_key text NOT NULL,
    user_id uuid,
    partner_id uuid,
    person_id uuid,
    first_review_id bigint NOT NULL,
    last_review_id bigint NOT NULL,
    case_id bigint,
    first_at timestamp with time zone NOT NULL,
    last_at timestamp with time zone NOT NULL,
    occurrences integer DEFAULT 1 NOT NULL,
    summary text NOT NULL,
    evidence jsonb NOT NULL,
    decision text,
    decision_id bigint,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    updated_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT review_findings_decision_check CHECK ((decision = ANY (ARRAY['justified'::text, 'violation'::text, 'follow_up'::text]))),
    CONSTRAINT review_findings_rule_id_check CHECK ((rule_id ~ '^[A-Z]+-[0-9]{2}$'::text)),
    CONSTRAINT review_findings_severity_check CHECK ((severity = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text])))
);

ALTER TABLE ONLY public.review_findings FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_findings OWNER TO crt_owner;

--
-- Name: review_findings_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_findings ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.review_findings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_pairs; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_pairs (
    controller_id smallint NOT NULL,
    actor_id uuid NOT NULL,
    person_id uuid NOT NULL,
    first_at timestamp with time zone NOT NULL,
    last_at timestamp with time zone NOT NULL,
    last_explained_at timestamp with time zone
);

ALTER TABLE ONLY public.review_pairs FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_pairs OWNER TO crt_owner;

--
-- Name: review_runs; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_runs (
    id bigint NOT NULL,
    seal_id bigint NOT NULL,
    started_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    finished_at timestamp with time zone,
    log_rows bigint DEFAULT 0 NOT NULL
);

ALTER TABLE public.review_runs OWNER TO crt_owner;

--
-- Name: review_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.review_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: review_user_days; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_user_days (
    controller_id smallint NOT NULL,
    d date NOT NULL,
    user_id uuid NOT NULL,
    persons integer NOT NULL,
    CONSTRAINT review_user_days_persons_check CHECK ((persons > 0))
);

ALTER TABLE ONLY public.review_user_days FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_user_days OWNER TO crt_owner;

--
-- Name: review_user_days_since; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_user_days_since (
    controller_id smallint NOT NULL,
    since date NOT NULL
);

ALTER TABLE ONLY public.review_user_days_since FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_user_days_since OWNER TO crt_owner;

--
-- Name: review_user_stats; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.review_user_stats (
    review_id bigint NOT NULL,
    controller_id smallint NOT NULL,
    actor_id uuid NOT NULL,
    actor_kind text NOT NULL,
    accesses bigint NOT NULL,
    explained bigint NOT NULL,
    first_accesses bigint NOT NULL,
    first_explained bigint NOT NULL,
    CONSTRAINT review_user_stats_actor_kind_check CHECK ((actor_kind = ANY (ARRAY['staff'::text, 'partner'::text])))
);

ALTER TABLE ONLY public.review_user_stats FORCE ROW LEVEL SECURITY;

ALTER TABLE public.review_user_stats OWNER TO crt_owner;

--
-- Name: reviews; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.reviews (
    id bigint NOT NULL,
    run_id bigint NOT NULL,
    controller_id smallint NOT NULL,
    window_from timestamp with time zone,
    window_to timestamp with time zone,
    log_rows bigint DEFAULT 0 NOT NULL,
    accesses bigint DEFAULT 0 NOT NULL,
    explained bigint DEFAULT 0 NOT NULL,
    first_accesses bigint DEFAULT 0 NOT NULL,
    first_explained bigint DEFAULT 0 NOT NULL,
    denied bigint DEFAULT 0 NOT NULL,
    searches bigint DEFAULT 0 NOT NULL,
    by_explanation jsonb DEFAULT '{}'::jsonb NOT NULL,
    findings_new integer DEFAULT 0 NOT NULL,
    findings_updated integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

ALTER TABLE ONLY public.reviews FORCE ROW LEVEL SECURITY;

ALTER TABLE public.reviews OWNER TO crt_owner;

--
-- Name: reviews_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.reviews ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reviews_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: rights_requests; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.rights_requests (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    number bigint NOT NULL,
    receiving_controller smallint NOT NULL,
    owning_controller smallint NOT NULL,
    person_id uuid,
    tombstone_id bigint,
    kind text NOT NULL,
    received_on date NOT NULL,
    identity_check text NOT NULL,
    representative_name text,
    representative_capacity text,
    details text,
    period interval NOT NULL,
    deadline date GENERATED ALWAYS AS (((received_on + period))::date) STORED,
    extension_months smallint DEFAULT 0 NOT NULL,
    due_on date GENERATED ALWAYS AS (((received_on + (period + make_interval(months => (extension_months)::integer))))::date) STORED,
    extension_reason text,
    person_told_on date,
    status text DEFAULT 'open'::text NOT NULL,
    decided_on date,
    decided_by uuid,
    reasons text,
    received_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    request_id text NOT NULL,
    objection_purposes text[],
    CONSTRAINT rights_requests_check CHECK (((person_id IS NULL) <> (tombstone_id IS NULL))),
    CONSTRAINT rights_requests_check1 CHECK (((representative_name IS NULL) OR (representative_capacity IS NOT NULL))),
    CONSTRAINT rights_requests_check2 CHECK (((extension_months = 0) = (person_told_on IS NULL))),
    CONSTRAINT rights_requests_check3 CHECK (((extension_months = 0) OR (extension_reason IS NOT NULL) OR (tombstone_id IS NOT NULL))),
    CONSTRAINT rights_requests_check4 CHECK (((status = 'open'::text) = (decided_on IS NULL))),
    CONSTRAINT rights_requests_check5 CHECK (((status <> 'refused'::text) OR (reasons IS NOT NULL) OR (tombstone_id IS NOT NULL))),
    CONSTRAINT rights_requests_check6 CHECK (((kind <> 'objection'::text) OR (status = 'open'::text) OR (reasons IS NOT NULL) OR (tombstone_id IS NOT NULL))),
    CONSTRAINT rights_requests_check7 CHECK (((objection_purposes IS NULL) OR ((kind = 'objection'::text) AND (status = 'granted'::text)))),
    CONSTRAINT rights_requests_details_check CHECK (((length(details) >= 1) AND (length(details) <= 2000))),
    CONSTRAINT rights_requests_extension_months_check CHECK (((extension_months >= 0) AND (extension_months <= 2))),
    CONSTRAINT rights_requests_extension_reason_check CHECK (((length(extension_reason) >= 10) AND (length(extension_reason) <= 1000))),
    CONSTRAINT rights_requests_identity_check_check CHECK ((identity_check = ANY (ARRAY['id_document'::text, 'eid'::text, 'itsme'::text, 'known_in_person'::text, 'representative_document'::text, 'other'::text]))),
    CONSTRAINT rights_requests_kind_check CHECK ((kind = ANY (ARRAY['access'::text, 'rectification'::text, 'erasure'::text, 'restriction'::text, 'portability'::text, 'objection'::text]))),
    CONSTRAINT rights_requests_reasons_check CHECK (((length(reasons) >= 10) AND (length(reasons) <= 4000))),
    CONSTRAINT rights_requests_representative_capacity_check CHECK ((representative_capacity = ANY (ARRAY['parent'::text, 'guardian'::text, 'court_appointed'::text, 'lawyer'::text, 'other'::text]))),
    CONSTRAINT rights_requests_representative_name_check CHECK (((length(representative_name) >= 2) AND (length(representative_name) <= 200))),
    CONSTRAINT rights_requests_status_check CHECK ((status = ANY (ARRAY['open'::text, 'granted'::text, 'refused'::text])))
);

ALTER TABLE ONLY public.rights_requests FORCE ROW LEVEL SECURITY;

ALTER TABLE public.rights_requests OWNER TO crt_owner;

--
-- Name: rights_request_forwards; Type: VIEW; Schema: public; Owner: crt_auth
--

CREATE VIEW public.rights_request_forwards WITH (security_barrier='true') AS
 SELECT r.id,
    r.number,
    r.receiving_controller,
    r.owning_controller,
    r.kind,
    r.status,
    r.received_on,
    r.deadline,
    r.due_on,
    r.decided_on,
    r.created_at,
    (r.tombstone_id IS NOT NULL) AS person_erased
   FROM public.rights_requests r
  WHERE ((r.receiving_controller = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (r.owning_controller <> r.receiving_controller));

ALTER TABLE public.rights_request_forwards OWNER TO crt_auth;

--
-- Name: rights_requests_number_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.rights_requests ALTER COLUMN number ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.rights_requests_number_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: role_field_access; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.role_field_access (
    role text NOT NULL,
    field_group text NOT NULL,
    can_read boolean DEFAULT false NOT NULL,
    can_write boolean DEFAULT false NOT NULL,
    CONSTRAINT role_field_access_check CHECK ((can_read OR (NOT can_write)))
);

ALTER TABLE public.role_field_access OWNER TO crt_owner;

--
-- Name: roles; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.roles (
    code text NOT NULL,
    description text NOT NULL
);

ALTER TABLE public.roles OWNER TO crt_owner;

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE public.schema_migrations OWNER TO crt_owner;

--
-- Name: sessions; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    amr text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    ip text,
    cookie_sha256 text,
    idle_timeout_s integer,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    user_agent text,
    CONSTRAINT sessions_idle_timeout_s_check CHECK ((idle_timeout_s > 0))
);

ALTER TABLE ONLY public.sessions FORCE ROW LEVEL SECURITY;

ALTER TABLE public.sessions OWNER TO crt_owner;

--
-- Name: staff_credentials; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.staff_credentials (
    user_id uuid NOT NULL,
    controller_id smallint NOT NULL,
    password_hash text,
    failed_passwords integer DEFAULT 0 NOT NULL,
    failed_codes integer DEFAULT 0 NOT NULL,
    lockouts integer DEFAULT 0 NOT NULL,
    locked_until timestamp with time zone,
    totp_sealed bytea,
    totp_key_id text,
    totp_confirmed_at timestamp with time zone,
    totp_last_step bigint DEFAULT '-1'::integer NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY public.staff_credentials FORCE ROW LEVEL SECURITY;

ALTER TABLE public.staff_credentials OWNER TO crt_owner;

--
-- Name: staff_users; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.staff_users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    controller_id smallint NOT NULL,
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    disabled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    team text,
    family_name text,
    home_street text,
    home_number text,
    home_postcode text,
    CONSTRAINT staff_users_display_name_check CHECK (((length(display_name) >= 1) AND (length(display_name) <= 200))),
    CONSTRAINT staff_users_family_name_check CHECK (((length(family_name) >= 1) AND (length(family_name) <= 100))),
    CONSTRAINT staff_users_home_number_check CHECK ((length(home_number) <= 20)),
    CONSTRAINT staff_users_home_postcode_check CHECK ((home_postcode ~ '^[1-9][0-9]{3}$'::text)),
    CONSTRAINT staff_users_home_street_check CHECK ((length(home_street) <= 200)),
    CONSTRAINT staff_users_team_check CHECK (((length(team) >= 1) AND (length(team) <= 100))),
    CONSTRAINT staff_users_username_check CHECK ((username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'::text))
);

ALTER TABLE ONLY public.staff_users FORCE ROW LEVEL SECURITY;

ALTER TABLE public.staff_users OWNER TO crt_owner;

--
-- Name: stats_cells; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.stats_cells (
    scope smallint NOT NULL,
    figure text NOT NULL,
    month date NOT NULL,
    area text NOT NULL,
    category text NOT NULL,
    n integer,
    CONSTRAINT stats_cells_area_check CHECK ((area ~ '^([1-9][0-9]xx|unknown)$'::text)),
    CONSTRAINT stats_cells_category_check CHECK (((length(category) >= 1) AND (length(category) <= 220))),
    CONSTRAINT stats_cells_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
    CONSTRAINT stats_cells_n_check CHECK ((n >= 0))
);

ALTER TABLE ONLY public.stats_cells FORCE ROW LEVEL SECURITY;

ALTER TABLE public.stats_cells OWNER TO crt_owner;

--
-- Name: stats_refreshes; Type: TABLE; Schema: public; Owner: crt_owner
--

CREATE TABLE public.stats_refreshes (
    id bigint NOT NULL,
    refreshed_at timestamp with time zone DEFAULT now() NOT NULL,
    as_of date NOT NULL,
    threshold integer NOT NULL,
    persons bigint NOT NULL,
    cells bigint NOT NULL,
    suppressed bigint NOT NULL,
    duration_ms integer NOT NULL,
    CONSTRAINT stats_refreshes_threshold_check CHECK (((threshold >= 2) AND (threshold <= 1000)))
);

ALTER TABLE ONLY public.stats_refreshes FORCE ROW LEVEL SECURITY;

ALTER TABLE public.stats_refreshes OWNER TO crt_owner;

--
-- Name: stats_refreshes_id_seq; Type: SEQUENCE; Schema: public; Owner: crt_owner
--

ALTER TABLE public.stats_refreshes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.stats_refreshes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: unnotified_disclosures; Type: VIEW; Schema: public; Owner: crt_owner
--

CREATE VIEW public.unnotified_disclosures WITH (security_invoker='true') AS
 SELECT d.id,
    d.at,
    d.controller_id,
    d.person_id,
    d.partner_id,
    d.grant_id,
    d.field_groups,
    d.purpose,
    d.legal_basis,
    d.request_id
   FROM public.disclosures d
  WHERE ((NOT (EXISTS ( SELECT 1
           FROM public.referrals r
          WHERE ((r.person_id = d.person_id) AND (r.partner_id = d.partner_id) AND (r.purpose = d.purpose) AND (r.controller_id = d.controller_id) AND r.person_informed AND (r.created_at <= d.at) AND ((r.ended_at IS NULL) OR (r.ended_at >= d.at)))))) AND (NOT (EXISTS ( SELECT 1
           FROM public.disclosure_notices n
          WHERE ((n.person_id = d.person_id) AND (d.id = ANY (n.disclosure_ids)))))));

ALTER TABLE public.unnotified_disclosures OWNER TO crt_owner;

--
-- Name: access_log_default; Type: TABLE ATTACH; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.access_log ATTACH PARTITION public.access_log_default DEFAULT;

--
-- Name: access_log access_log_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.access_log
    ADD CONSTRAINT access_log_pkey PRIMARY KEY (id, at);

--
-- Name: access_log_default access_log_default_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.access_log_default
    ADD CONSTRAINT access_log_default_pkey PRIMARY KEY (id, at);

--
-- Name: auth_challenges auth_challenges_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.auth_challenges
    ADD CONSTRAINT auth_challenges_pkey PRIMARY KEY (id);

--
-- Name: auth_challenges auth_challenges_token_sha256_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.auth_challenges
    ADD CONSTRAINT auth_challenges_token_sha256_key UNIQUE (token_sha256);

--
-- Name: auth_lookup_minutes auth_lookup_minutes_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.auth_lookup_minutes
    ADD CONSTRAINT auth_lookup_minutes_pkey PRIMARY KEY (minute);

--
-- Name: break_glass break_glass_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.break_glass
    ADD CONSTRAINT break_glass_pkey PRIMARY KEY (id);

--
-- Name: case_assignments case_assignments_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_pkey PRIMARY KEY (id);

--
-- Name: controller_holidays controller_holidays_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.controller_holidays
    ADD CONSTRAINT controller_holidays_pkey PRIMARY KEY (controller_id, day);

--
-- Name: controllers controllers_code_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.controllers
    ADD CONSTRAINT controllers_code_key UNIQUE (code);

--
-- Name: controllers controllers_kbo_number_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.controllers
    ADD CONSTRAINT controllers_kbo_number_key UNIQUE (kbo_number);

--
-- Name: controllers controllers_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.controllers
    ADD CONSTRAINT controllers_pkey PRIMARY KEY (id);

--
-- Name: crt_context_keys crt_context_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.crt_context_keys
    ADD CONSTRAINT crt_context_keys_pkey PRIMARY KEY (one);

--
-- Name: disclosure_notices disclosure_notices_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosure_notices
    ADD CONSTRAINT disclosure_notices_pkey PRIMARY KEY (id);

--
-- Name: disclosures disclosures_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosures
    ADD CONSTRAINT disclosures_pkey PRIMARY KEY (id);

--
-- Name: field_groups field_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.field_groups
    ADD CONSTRAINT field_groups_pkey PRIMARY KEY (code);

--
-- Name: households households_controller_id_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.households
    ADD CONSTRAINT households_controller_id_id_key UNIQUE (controller_id, id);

--
-- Name: households households_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.households
    ADD CONSTRAINT households_pkey PRIMARY KEY (id);

--
-- Name: key_jobs key_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.key_jobs
    ADD CONSTRAINT key_jobs_pkey PRIMARY KEY (kind);

--
-- Name: log_partition_drops log_partition_drops_partition_name_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_partition_drops
    ADD CONSTRAINT log_partition_drops_partition_name_key UNIQUE (partition_name);

--
-- Name: log_partition_drops log_partition_drops_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_partition_drops
    ADD CONSTRAINT log_partition_drops_pkey PRIMARY KEY (id);

--
-- Name: log_seal_blocks log_seal_blocks_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_seal_blocks
    ADD CONSTRAINT log_seal_blocks_pkey PRIMARY KEY (seal_id, block_no);

--
-- Name: log_seals log_seals_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_seals
    ADD CONSTRAINT log_seals_pkey PRIMARY KEY (id);

--
-- Name: log_seals log_seals_prev_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_seals
    ADD CONSTRAINT log_seals_prev_id_key UNIQUE (prev_id);

--
-- Name: log_verify_runs log_verify_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_verify_runs
    ADD CONSTRAINT log_verify_runs_pkey PRIMARY KEY (id);

--
-- Name: login_events login_events_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.login_events
    ADD CONSTRAINT login_events_pkey PRIMARY KEY (id);

--
-- Name: partner_auth_events partner_auth_events_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_auth_events
    ADD CONSTRAINT partner_auth_events_pkey PRIMARY KEY (id);

--
-- Name: partner_grants partner_grants_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_grants
    ADD CONSTRAINT partner_grants_pkey PRIMARY KEY (id);

--
-- Name: partner_notifications partner_notifications_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_notifications
    ADD CONSTRAINT partner_notifications_pkey PRIMARY KEY (id);

--
-- Name: partners partners_client_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partners
    ADD CONSTRAINT partners_client_id_key UNIQUE (client_id);

--
-- Name: partners partners_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partners
    ADD CONSTRAINT partners_pkey PRIMARY KEY (id);

--
-- Name: person_rectifications person_rectifications_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_rectifications
    ADD CONSTRAINT person_rectifications_pkey PRIMARY KEY (id);

--
-- Name: person_restrictions person_restrictions_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_restrictions
    ADD CONSTRAINT person_restrictions_pkey PRIMARY KEY (id);

--
-- Name: person_tombstones person_tombstones_person_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_tombstones
    ADD CONSTRAINT person_tombstones_person_id_key UNIQUE (person_id);

--
-- Name: person_tombstones person_tombstones_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_tombstones
    ADD CONSTRAINT person_tombstones_pkey PRIMARY KEY (id);

--
-- Name: persons persons_controller_id_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_controller_id_id_key UNIQUE (controller_id, id);

--
-- Name: persons persons_oki_number_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_oki_number_key UNIQUE (oki_number);

--
-- Name: persons persons_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_pkey PRIMARY KEY (id);

--
-- Name: processing_purposes processing_purposes_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.processing_purposes
    ADD CONSTRAINT processing_purposes_pkey PRIMARY KEY (code);

--
-- Name: recovery_codes recovery_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_pkey PRIMARY KEY (id);

--
-- Name: recovery_codes recovery_codes_user_id_code_sha256_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_code_sha256_key UNIQUE (user_id, code_sha256);

--
-- Name: referrals referrals_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_pkey PRIMARY KEY (id);

--
-- Name: request_recipients request_recipients_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.request_recipients
    ADD CONSTRAINT request_recipients_pkey PRIMARY KEY (id);

--
-- Name: request_recipients request_recipients_request_partner_id_kind_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.request_recipients
    ADD CONSTRAINT request_recipients_request_partner_id_kind_key UNIQUE (request, partner_id, kind);

--
-- Name: retention_escalations retention_escalations_person_id_deadline_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.retention_escalations
    ADD CONSTRAINT retention_escalations_person_id_deadline_key UNIQUE (person_id, deadline);

--
-- Name: retention_escalations retention_escalations_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.retention_escalations
    ADD CONSTRAINT retention_escalations_pkey PRIMARY KEY (id);

--
-- Name: review_cases review_cases_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_cases
    ADD CONSTRAINT review_cases_pkey PRIMARY KEY (id);

--
-- Name: review_decisions review_decisions_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_pkey PRIMARY KEY (id);

--
-- Name: review_decisions review_decisions_replaces_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_replaces_key UNIQUE (replaces);

--
-- Name: review_facts review_facts_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_facts
    ADD CONSTRAINT review_facts_pkey PRIMARY KEY (id);

--
-- Name: review_findings review_findings_controller_id_dedup_key_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_controller_id_dedup_key_key UNIQUE (controller_id, dedup_key);

--
-- Name: review_findings review_findings_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_pkey PRIMARY KEY (id);

--
-- Name: review_pairs review_pairs_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_pairs
    ADD CONSTRAINT review_pairs_pkey PRIMARY KEY (actor_id, person_id);

--
-- Name: review_runs review_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_runs
    ADD CONSTRAINT review_runs_pkey PRIMARY KEY (id);

--
-- Name: review_runs review_runs_seal_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_runs
    ADD CONSTRAINT review_runs_seal_id_key UNIQUE (seal_id);

--
-- Name: review_user_days review_user_days_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_user_days
    ADD CONSTRAINT review_user_days_pkey PRIMARY KEY (controller_id, d, user_id);

--
-- Name: review_user_days_since review_user_days_since_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_user_days_since
    ADD CONSTRAINT review_user_days_since_pkey PRIMARY KEY (controller_id);

--
-- Name: review_user_stats review_user_stats_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_user_stats
    ADD CONSTRAINT review_user_stats_pkey PRIMARY KEY (review_id, actor_id);

--
-- Name: reviews reviews_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);

--
-- Name: reviews reviews_run_id_controller_id_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_run_id_controller_id_key UNIQUE (run_id, controller_id);

--
-- Name: rights_requests rights_requests_number_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_number_key UNIQUE (number);

--
-- Name: rights_requests rights_requests_other_identity_described; Type: CHECK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE public.rights_requests
    ADD CONSTRAINT rights_requests_other_identity_described CHECK (((identity_check <> 'other'::text) OR (details IS NOT NULL) OR (tombstone_id IS NOT NULL))) NOT VALID;

--
-- Name: rights_requests rights_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_pkey PRIMARY KEY (id);

--
-- Name: role_field_access role_field_access_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.role_field_access
    ADD CONSTRAINT role_field_access_pkey PRIMARY KEY (role, field_group);

--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (code);

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

--
-- Name: sessions sessions_cookie_sha256_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_cookie_sha256_key UNIQUE (cookie_sha256);

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);

--
-- Name: staff_credentials staff_credentials_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_credentials
    ADD CONSTRAINT staff_credentials_pkey PRIMARY KEY (user_id);

--
-- Name: staff_users staff_users_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_pkey PRIMARY KEY (id);

--
-- Name: staff_users staff_users_username_key; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_username_key UNIQUE (username);

--
-- Name: stats_cells stats_cells_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.stats_cells
    ADD CONSTRAINT stats_cells_pkey PRIMARY KEY (scope, figure, month, area, category);

--
-- Name: stats_refreshes stats_refreshes_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.stats_refreshes
    ADD CONSTRAINT stats_refreshes_pkey PRIMARY KEY (id);

--
-- Name: trajectory_entries trajectory_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.trajectory_entries
    ADD CONSTRAINT trajectory_entries_pkey PRIMARY KEY (id);

--
-- Name: access_log_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_person ON ONLY public.access_log USING btree (controller_id, person_id, at);

--
-- Name: access_log_default_controller_id_person_id_at_idx; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_default_controller_id_person_id_at_idx ON public.access_log_default USING btree (controller_id, person_id, at);

--
-- Name: access_log_user; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_user ON ONLY public.access_log USING btree (controller_id, user_id, at);

--
-- Name: access_log_default_controller_id_user_id_at_idx; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_default_controller_id_user_id_at_idx ON public.access_log_default USING btree (controller_id, user_id, at);

--
-- Name: access_log_txid; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_txid ON ONLY public.access_log USING brin (txid) WITH (pages_per_range='16');

--
-- Name: access_log_default_txid_idx; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX access_log_default_txid_idx ON public.access_log_default USING brin (txid) WITH (pages_per_range='16');

--
-- Name: auth_challenges_user; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX auth_challenges_user ON public.auth_challenges USING btree (user_id) WHERE (used_at IS NULL);

--
-- Name: break_glass_active; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX break_glass_active ON public.break_glass USING btree (person_id, user_id, expires_at);

--
-- Name: case_assignments_one_active; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE UNIQUE INDEX case_assignments_one_active ON public.case_assignments USING btree (person_id, user_id) WHERE (ended_at IS NULL);

--
-- Name: case_assignments_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX case_assignments_person ON public.case_assignments USING btree (person_id, started_at);

--
-- Name: disclosure_notices_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX disclosure_notices_person ON public.disclosure_notices USING btree (person_id);

--
-- Name: disclosures_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX disclosures_person ON public.disclosures USING btree (person_id, at);

--
-- Name: login_events_user; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX login_events_user ON public.login_events USING btree (user_id, at);

--
-- Name: partner_auth_events_client; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_auth_events_client ON public.partner_auth_events USING btree (client_id, at);

--
-- Name: partner_auth_events_ip; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_auth_events_ip ON public.partner_auth_events USING btree (ip, at);

--
-- Name: partner_auth_events_partner; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_auth_events_partner ON public.partner_auth_events USING btree (partner_id, id);

--
-- Name: partner_grants_lookup; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_grants_lookup ON public.partner_grants USING btree (partner_id, controller_id, purpose);

--
-- Name: partner_notifications_pending; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_notifications_pending ON public.partner_notifications USING btree (partner_id, id) WHERE (acknowledged_at IS NULL);

--
-- Name: partner_notifications_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partner_notifications_person ON public.partner_notifications USING btree (person_id);

--
-- Name: partners_owner; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX partners_owner ON public.partners USING btree (owner_controller) WHERE (owner_controller IS NOT NULL);

--
-- Name: person_restrictions_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX person_restrictions_person ON public.person_restrictions USING btree (person_id, started_at);

--
-- Name: persons_birth_date; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_birth_date ON public.persons USING btree (controller_id, birth_date);

--
-- Name: persons_household; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_household ON public.persons USING btree (household_id) WHERE (household_id IS NOT NULL);

--
-- Name: persons_name_bidx; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_name_bidx ON public.persons USING btree (name_bidx) WHERE (name_bidx IS NOT NULL);

--
-- Name: persons_nn_bidx; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_nn_bidx ON public.persons USING btree (national_number_bidx) WHERE (national_number_bidx IS NOT NULL);

--
-- Name: persons_oki; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_oki ON public.persons USING btree (controller_id, oki_number);

--
-- Name: persons_updated; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX persons_updated ON public.persons USING btree (controller_id, updated_at);

--
-- Name: rectifications_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX rectifications_person ON public.person_rectifications USING btree (person_id, changed_at);

--
-- Name: referrals_one_active; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE UNIQUE INDEX referrals_one_active ON public.referrals USING btree (person_id, partner_id, purpose) WHERE (ended_at IS NULL);

--
-- Name: referrals_partner; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX referrals_partner ON public.referrals USING btree (partner_id, person_id) WHERE (ended_at IS NULL);

--
-- Name: referrals_partner_page; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX referrals_partner_page ON public.referrals USING btree (partner_id, person_updated_at, person_id, purpose) WHERE (ended_at IS NULL);

--
-- Name: referrals_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX referrals_person ON public.referrals USING btree (person_id);

--
-- Name: review_cases_open_partner; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE UNIQUE INDEX review_cases_open_partner ON public.review_cases USING btree (controller_id, partner_id) WHERE ((closed_at IS NULL) AND (partner_id IS NOT NULL));

--
-- Name: review_cases_open_user; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE UNIQUE INDEX review_cases_open_user ON public.review_cases USING btree (controller_id, user_id) WHERE ((closed_at IS NULL) AND (user_id IS NOT NULL));

--
-- Name: review_decisions_finding; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX review_decisions_finding ON public.review_decisions USING btree (finding_id, id);

--
-- Name: review_facts_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX review_facts_person ON public.review_facts USING btree (person_id);

--
-- Name: review_findings_first; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX review_findings_first ON public.review_findings USING btree (controller_id, first_review_id);

--
-- Name: review_findings_open; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX review_findings_open ON public.review_findings USING btree (controller_id) WHERE (decision IS NULL);

--
-- Name: review_findings_review; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX review_findings_review ON public.review_findings USING btree (controller_id, last_review_id);

--
-- Name: reviews_controller; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX reviews_controller ON public.reviews USING btree (controller_id, id);

--
-- Name: rights_requests_owner; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX rights_requests_owner ON public.rights_requests USING btree (owning_controller, status, due_on);

--
-- Name: rights_requests_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX rights_requests_person ON public.rights_requests USING btree (person_id) WHERE (person_id IS NOT NULL);

--
-- Name: rights_requests_receiver; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX rights_requests_receiver ON public.rights_requests USING btree (receiving_controller, created_at);

--
-- Name: sessions_user; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX sessions_user ON public.sessions USING btree (user_id) WHERE (revoked_at IS NULL);

--
-- Name: sessions_user_activity; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX sessions_user_activity ON public.sessions USING btree (user_id, last_seen_at);

--
-- Name: staff_users_controller; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX staff_users_controller ON public.staff_users USING btree (controller_id);

--
-- Name: stats_cells_query; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX stats_cells_query ON public.stats_cells USING btree (scope, figure, month);

--
-- Name: trajectory_person; Type: INDEX; Schema: public; Owner: crt_owner
--

CREATE INDEX trajectory_person ON public.trajectory_entries USING btree (person_id, occurred_on);

--
-- Name: access_log_default_controller_id_person_id_at_idx; Type: INDEX ATTACH; Schema: public; Owner: crt_owner
--

ALTER INDEX public.access_log_person ATTACH PARTITION public.access_log_default_controller_id_person_id_at_idx;

--
-- Name: access_log_default_controller_id_user_id_at_idx; Type: INDEX ATTACH; Schema: public; Owner: crt_owner
--

ALTER INDEX public.access_log_user ATTACH PARTITION public.access_log_default_controller_id_user_id_at_idx;

--
-- Name: access_log_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: crt_owner
--

ALTER INDEX public.access_log_pkey ATTACH PARTITION public.access_log_default_pkey;

--
-- Name: access_log_default_txid_idx; Type: INDEX ATTACH; Schema: public; Owner: crt_owner
--

ALTER INDEX public.access_log_txid ATTACH PARTITION public.access_log_default_txid_idx;

--
-- Name: access_log access_log_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER access_log_append_only BEFORE DELETE OR UPDATE ON public.access_log FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: access_log access_log_no_truncate; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON public.access_log FOR EACH STATEMENT EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: break_glass break_glass_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER break_glass_append_only BEFORE DELETE OR UPDATE ON public.break_glass FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change_unless_erasing();

--
-- Name: case_assignments case_assignments_keep_review_fact; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER case_assignments_keep_review_fact BEFORE DELETE ON public.case_assignments FOR EACH ROW EXECUTE FUNCTION public.crt_keep_review_fact();

--
-- Name: disclosure_notices disclosure_notices_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER disclosure_notices_append_only BEFORE UPDATE ON public.disclosure_notices FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: disclosures disclosures_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER disclosures_append_only BEFORE DELETE OR UPDATE ON public.disclosures FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change_unless_erasing();

--
-- Name: log_partition_drops log_partition_drops_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER log_partition_drops_append_only BEFORE DELETE OR UPDATE ON public.log_partition_drops FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: log_seal_blocks log_seal_blocks_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER log_seal_blocks_append_only BEFORE DELETE OR UPDATE ON public.log_seal_blocks FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: log_seals log_seals_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER log_seals_append_only BEFORE DELETE OR UPDATE ON public.log_seals FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: log_verify_runs log_verify_runs_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER log_verify_runs_append_only BEFORE DELETE OR UPDATE ON public.log_verify_runs FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: login_events login_events_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER login_events_append_only BEFORE DELETE OR UPDATE ON public.login_events FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: partner_auth_events partner_auth_events_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER partner_auth_events_append_only BEFORE DELETE OR UPDATE ON public.partner_auth_events FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: partners partners_secret_version; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER partners_secret_version BEFORE UPDATE ON public.partners FOR EACH ROW EXECUTE FUNCTION public.crt_partner_secret_version();

--
-- Name: person_rectifications person_rectifications_keep_review_fact; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER person_rectifications_keep_review_fact BEFORE DELETE ON public.person_rectifications FOR EACH ROW EXECUTE FUNCTION public.crt_keep_review_fact();

--
-- Name: person_tombstones person_tombstones_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER person_tombstones_append_only BEFORE DELETE OR UPDATE ON public.person_tombstones FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: persons persons_keep_review_fact; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER persons_keep_review_fact BEFORE DELETE ON public.persons FOR EACH ROW EXECUTE FUNCTION public.crt_keep_review_fact();

--
-- Name: persons persons_national_number_basis; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER persons_national_number_basis BEFORE INSERT OR UPDATE ON public.persons FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_national_number_without_basis();

--
-- Name: persons persons_restricted; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER persons_restricted BEFORE UPDATE ON public.persons FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_if_restricted();

--
-- Name: persons persons_stamp_referrals; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER persons_stamp_referrals AFTER UPDATE ON public.persons FOR EACH ROW WHEN ((old.updated_at IS DISTINCT FROM new.updated_at)) EXECUTE FUNCTION public.crt_person_stamp_referrals();

--
-- Name: person_rectifications rectifications_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER rectifications_append_only BEFORE DELETE OR UPDATE ON public.person_rectifications FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change_unless_erasing();

--
-- Name: referrals referrals_keep_review_fact; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER referrals_keep_review_fact BEFORE DELETE ON public.referrals FOR EACH ROW EXECUTE FUNCTION public.crt_keep_review_fact();

--
-- Name: referrals referrals_person_stamp; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER referrals_person_stamp BEFORE INSERT OR UPDATE OF person_id ON public.referrals FOR EACH ROW EXECUTE FUNCTION public.crt_referral_person_stamp();

--
-- Name: referrals referrals_restricted; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER referrals_restricted BEFORE INSERT ON public.referrals FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_if_restricted();

--
-- Name: request_recipients request_recipients_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER request_recipients_append_only BEFORE DELETE OR UPDATE ON public.request_recipients FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: review_decisions review_decisions_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER review_decisions_append_only BEFORE DELETE OR UPDATE ON public.review_decisions FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: review_decisions review_decisions_replace_current; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER review_decisions_replace_current BEFORE INSERT ON public.review_decisions FOR EACH ROW EXECUTE FUNCTION public.crt_review_decision_check();

--
-- Name: review_facts review_facts_append_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER review_facts_append_only BEFORE DELETE OR UPDATE ON public.review_facts FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_change();

--
-- Name: review_findings review_findings_decision_recorded; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER review_findings_decision_recorded BEFORE UPDATE OF decision, decision_id ON public.review_findings FOR EACH ROW EXECUTE FUNCTION public.crt_review_finding_decision_check();

--
-- Name: rights_requests rights_requests_dpo_extends_only; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER rights_requests_dpo_extends_only BEFORE UPDATE ON public.rights_requests FOR EACH ROW EXECUTE FUNCTION public.crt_rights_dpo_extends_only();

--
-- Name: trajectory_entries trajectory_entries_keep_review_fact; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER trajectory_entries_keep_review_fact BEFORE DELETE ON public.trajectory_entries FOR EACH ROW EXECUTE FUNCTION public.crt_keep_review_fact();

--
-- Name: trajectory_entries trajectory_restricted; Type: TRIGGER; Schema: public; Owner: crt_owner
--

CREATE TRIGGER trajectory_restricted BEFORE INSERT ON public.trajectory_entries FOR EACH ROW EXECUTE FUNCTION public.crt_refuse_if_restricted();

--
-- Name: auth_challenges auth_challenges_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.auth_challenges
    ADD CONSTRAINT auth_challenges_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: auth_challenges auth_challenges_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.auth_challenges
    ADD CONSTRAINT auth_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: break_glass break_glass_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.break_glass
    ADD CONSTRAINT break_glass_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: break_glass break_glass_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.break_glass
    ADD CONSTRAINT break_glass_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);

--
-- Name: break_glass break_glass_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.break_glass
    ADD CONSTRAINT break_glass_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: case_assignments case_assignments_assigned_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_assigned_by_fkey FOREIGN KEY (assigned_by) REFERENCES public.staff_users(id);

--
-- Name: case_assignments case_assignments_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: case_assignments case_assignments_controller_id_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_controller_id_person_id_fkey FOREIGN KEY (controller_id, person_id) REFERENCES public.persons(controller_id, id) ON UPDATE CASCADE;

--
-- Name: case_assignments case_assignments_ended_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_ended_by_fkey FOREIGN KEY (ended_by) REFERENCES public.staff_users(id);

--
-- Name: case_assignments case_assignments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.case_assignments
    ADD CONSTRAINT case_assignments_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: controller_holidays controller_holidays_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.controller_holidays
    ADD CONSTRAINT controller_holidays_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: disclosure_notices disclosure_notices_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosure_notices
    ADD CONSTRAINT disclosure_notices_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: disclosure_notices disclosure_notices_delivered_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosure_notices
    ADD CONSTRAINT disclosure_notices_delivered_by_fkey FOREIGN KEY (delivered_by) REFERENCES public.staff_users(id);

--
-- Name: disclosure_notices disclosure_notices_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosure_notices
    ADD CONSTRAINT disclosure_notices_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id) ON DELETE CASCADE;

--
-- Name: disclosures disclosures_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosures
    ADD CONSTRAINT disclosures_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: disclosures disclosures_grant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosures
    ADD CONSTRAINT disclosures_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES public.partner_grants(id);

--
-- Name: disclosures disclosures_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.disclosures
    ADD CONSTRAINT disclosures_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: households households_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.households
    ADD CONSTRAINT households_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: households households_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.households
    ADD CONSTRAINT households_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.staff_users(id);

--
-- Name: key_jobs key_jobs_cursor_controller_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.key_jobs
    ADD CONSTRAINT key_jobs_cursor_controller_fkey FOREIGN KEY (cursor_controller) REFERENCES public.controllers(id);

--
-- Name: log_seal_blocks log_seal_blocks_seal_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_seal_blocks
    ADD CONSTRAINT log_seal_blocks_seal_id_fkey FOREIGN KEY (seal_id) REFERENCES public.log_seals(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: log_seals log_seals_prev_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.log_seals
    ADD CONSTRAINT log_seals_prev_id_fkey FOREIGN KEY (prev_id) REFERENCES public.log_seals(id);

--
-- Name: login_events login_events_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.login_events
    ADD CONSTRAINT login_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.staff_users(id);

--
-- Name: login_events login_events_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.login_events
    ADD CONSTRAINT login_events_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: login_events login_events_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.login_events
    ADD CONSTRAINT login_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: partner_auth_events partner_auth_events_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_auth_events
    ADD CONSTRAINT partner_auth_events_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: partner_grants partner_grants_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_grants
    ADD CONSTRAINT partner_grants_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: partner_grants partner_grants_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_grants
    ADD CONSTRAINT partner_grants_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: partner_notifications partner_notifications_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_notifications
    ADD CONSTRAINT partner_notifications_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: partner_notifications partner_notifications_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partner_notifications
    ADD CONSTRAINT partner_notifications_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: partners partners_owner_controller_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.partners
    ADD CONSTRAINT partners_owner_controller_fkey FOREIGN KEY (owner_controller) REFERENCES public.controllers(id);

--
-- Name: person_rectifications person_rectifications_changed_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_rectifications
    ADD CONSTRAINT person_rectifications_changed_by_fkey FOREIGN KEY (changed_by) REFERENCES public.staff_users(id);

--
-- Name: person_rectifications person_rectifications_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_rectifications
    ADD CONSTRAINT person_rectifications_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: person_rectifications person_rectifications_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_rectifications
    ADD CONSTRAINT person_rectifications_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);

--
-- Name: person_restrictions person_restrictions_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_restrictions
    ADD CONSTRAINT person_restrictions_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: person_restrictions person_restrictions_lifted_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_restrictions
    ADD CONSTRAINT person_restrictions_lifted_by_fkey FOREIGN KEY (lifted_by) REFERENCES public.staff_users(id);

--
-- Name: person_restrictions person_restrictions_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_restrictions
    ADD CONSTRAINT person_restrictions_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);

--
-- Name: person_restrictions person_restrictions_started_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_restrictions
    ADD CONSTRAINT person_restrictions_started_by_fkey FOREIGN KEY (started_by) REFERENCES public.staff_users(id);

--
-- Name: person_tombstones person_tombstones_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.person_tombstones
    ADD CONSTRAINT person_tombstones_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: persons persons_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: persons persons_controller_id_household_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_controller_id_household_id_fkey FOREIGN KEY (controller_id, household_id) REFERENCES public.households(controller_id, id);

--
-- Name: persons persons_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.staff_users(id);

--
-- Name: recovery_codes recovery_codes_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: recovery_codes recovery_codes_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: referrals referrals_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: referrals referrals_controller_id_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_controller_id_person_id_fkey FOREIGN KEY (controller_id, person_id) REFERENCES public.persons(controller_id, id) ON UPDATE CASCADE;

--
-- Name: referrals referrals_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.staff_users(id);

--
-- Name: referrals referrals_ended_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_ended_by_fkey FOREIGN KEY (ended_by) REFERENCES public.staff_users(id);

--
-- Name: referrals referrals_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.referrals
    ADD CONSTRAINT referrals_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: request_recipients request_recipients_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.request_recipients
    ADD CONSTRAINT request_recipients_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: request_recipients request_recipients_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.request_recipients
    ADD CONSTRAINT request_recipients_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: request_recipients request_recipients_request_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.request_recipients
    ADD CONSTRAINT request_recipients_request_fkey FOREIGN KEY (request) REFERENCES public.rights_requests(id);

--
-- Name: retention_escalations retention_escalations_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.retention_escalations
    ADD CONSTRAINT retention_escalations_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: retention_escalations retention_escalations_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.retention_escalations
    ADD CONSTRAINT retention_escalations_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id) ON DELETE CASCADE;

--
-- Name: review_cases review_cases_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_cases
    ADD CONSTRAINT review_cases_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: review_cases review_cases_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_cases
    ADD CONSTRAINT review_cases_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: review_cases review_cases_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_cases
    ADD CONSTRAINT review_cases_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: review_decisions review_decisions_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: review_decisions review_decisions_decided_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES public.staff_users(id);

--
-- Name: review_decisions review_decisions_finding_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_finding_id_fkey FOREIGN KEY (finding_id) REFERENCES public.review_findings(id);

--
-- Name: review_decisions review_decisions_replaces_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_decisions
    ADD CONSTRAINT review_decisions_replaces_fkey FOREIGN KEY (replaces) REFERENCES public.review_decisions(id);

--
-- Name: review_facts review_facts_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_facts
    ADD CONSTRAINT review_facts_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: review_findings review_findings_case_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_case_id_fkey FOREIGN KEY (case_id) REFERENCES public.review_cases(id);

--
-- Name: review_findings review_findings_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: review_findings review_findings_decision_fk; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_decision_fk FOREIGN KEY (decision_id) REFERENCES public.review_decisions(id);

--
-- Name: review_findings review_findings_first_review_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_first_review_id_fkey FOREIGN KEY (first_review_id) REFERENCES public.reviews(id);

--
-- Name: review_findings review_findings_last_review_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_last_review_id_fkey FOREIGN KEY (last_review_id) REFERENCES public.reviews(id);

--
-- Name: review_findings review_findings_partner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.partners(id);

--
-- Name: review_findings review_findings_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_findings
    ADD CONSTRAINT review_findings_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: review_runs review_runs_seal_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_runs
    ADD CONSTRAINT review_runs_seal_id_fkey FOREIGN KEY (seal_id) REFERENCES public.log_seals(id);

--
-- Name: review_user_stats review_user_stats_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_user_stats
    ADD CONSTRAINT review_user_stats_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: review_user_stats review_user_stats_review_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.review_user_stats
    ADD CONSTRAINT review_user_stats_review_id_fkey FOREIGN KEY (review_id) REFERENCES public.reviews(id);

--
-- Name: reviews reviews_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: reviews reviews_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.reviews
    ADD CONSTRAINT reviews_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.review_runs(id);

--
-- Name: rights_requests rights_requests_decided_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES public.staff_users(id);

--
-- Name: rights_requests rights_requests_owning_controller_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_owning_controller_fkey FOREIGN KEY (owning_controller) REFERENCES public.controllers(id);

--
-- Name: rights_requests rights_requests_received_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_received_by_fkey FOREIGN KEY (received_by) REFERENCES public.staff_users(id);

--
-- Name: rights_requests rights_requests_receiving_controller_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_receiving_controller_fkey FOREIGN KEY (receiving_controller) REFERENCES public.controllers(id);

--
-- Name: rights_requests rights_requests_tombstone_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.rights_requests
    ADD CONSTRAINT rights_requests_tombstone_id_fkey FOREIGN KEY (tombstone_id) REFERENCES public.person_tombstones(id);

--
-- Name: role_field_access role_field_access_field_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.role_field_access
    ADD CONSTRAINT role_field_access_field_group_fkey FOREIGN KEY (field_group) REFERENCES public.field_groups(code);

--
-- Name: role_field_access role_field_access_role_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.role_field_access
    ADD CONSTRAINT role_field_access_role_fkey FOREIGN KEY (role) REFERENCES public.roles(code);

--
-- Name: sessions sessions_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: sessions sessions_role_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_role_fkey FOREIGN KEY (role) REFERENCES public.roles(code);

--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: staff_credentials staff_credentials_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_credentials
    ADD CONSTRAINT staff_credentials_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: staff_credentials staff_credentials_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_credentials
    ADD CONSTRAINT staff_credentials_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.staff_users(id);

--
-- Name: staff_users staff_users_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: staff_users staff_users_role_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.staff_users
    ADD CONSTRAINT staff_users_role_fkey FOREIGN KEY (role) REFERENCES public.roles(code);

--
-- Name: trajectory_entries trajectory_entries_controller_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.trajectory_entries
    ADD CONSTRAINT trajectory_entries_controller_id_fkey FOREIGN KEY (controller_id) REFERENCES public.controllers(id);

--
-- Name: trajectory_entries trajectory_entries_controller_id_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.trajectory_entries
    ADD CONSTRAINT trajectory_entries_controller_id_person_id_fkey FOREIGN KEY (controller_id, person_id) REFERENCES public.persons(controller_id, id) ON UPDATE CASCADE;

--
-- Name: trajectory_entries trajectory_entries_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: crt_owner
--

ALTER TABLE ONLY public.trajectory_entries
    ADD CONSTRAINT trajectory_entries_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.staff_users(id);

--
-- Name: access_log; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.access_log ENABLE ROW LEVEL SECURITY;

--
-- Name: partner_grants admin_ends; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY admin_ends ON public.partner_grants AS RESTRICTIVE FOR UPDATE TO crt_api USING ((( SELECT public.crt_current_role() AS crt_current_role) = 'admin'::text));

--
-- Name: partner_grants admin_writes; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY admin_writes ON public.partner_grants AS RESTRICTIVE FOR INSERT TO crt_api WITH CHECK (((( SELECT public.crt_current_role() AS crt_current_role) = 'admin'::text) AND (EXISTS ( SELECT 1
   FROM public.partners p
  WHERE ((p.id = partner_grants.partner_id) AND (p.disabled_at IS NULL) AND ((p.owner_controller IS NULL) OR (p.owner_controller = ( SELECT public.crt_current_controller() AS crt_current_controller))))))));

--
-- Name: access_log append; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY append ON public.access_log FOR INSERT WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) OR ((partner_id IS NOT NULL) AND (partner_id = ( SELECT public.crt_current_partner() AS crt_current_partner)))));

--
-- Name: auth_challenges; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.auth_challenges ENABLE ROW LEVEL SECURITY;

--
-- Name: auth_lookup_minutes; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.auth_lookup_minutes ENABLE ROW LEVEL SECURITY;

--
-- Name: break_glass; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.break_glass ENABLE ROW LEVEL SECURITY;

--
-- Name: case_assignments; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.case_assignments ENABLE ROW LEVEL SECURITY;

--
-- Name: controller_holidays; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.controller_holidays ENABLE ROW LEVEL SECURITY;

--
-- Name: auth_challenges controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.auth_challenges USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: break_glass controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.break_glass USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: case_assignments controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.case_assignments USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: controller_holidays controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.controller_holidays USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: households controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.households USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: login_events controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.login_events USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: person_tombstones controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.person_tombstones USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: recovery_codes controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.recovery_codes USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: request_recipients controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.request_recipients USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: sessions controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.sessions USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: staff_credentials controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.staff_credentials USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: staff_users controller_isolation; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY controller_isolation ON public.staff_users USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: crt_context_keys; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.crt_context_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: auth_lookup_minutes definer_counts; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY definer_counts ON public.auth_lookup_minutes TO crt_auth USING (true) WITH CHECK (true);

--
-- Name: crt_context_keys definer_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY definer_reads ON public.crt_context_keys FOR SELECT TO crt_auth USING (true);

--
-- Name: disclosure_notices; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.disclosure_notices ENABLE ROW LEVEL SECURITY;

--
-- Name: disclosures; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.disclosures ENABLE ROW LEVEL SECURITY;

--
-- Name: disclosures disclosures_read; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY disclosures_read ON public.disclosures FOR SELECT USING ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: disclosures disclosures_write; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY disclosures_write ON public.disclosures FOR INSERT WITH CHECK ((partner_id = ( SELECT public.crt_current_partner() AS crt_current_partner)));

--
-- Name: review_decisions dpo_decides; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_decides ON public.review_decisions FOR INSERT TO crt_api WITH CHECK (((controller_id, decided_by) = ( SELECT c.controller_id,
    c.user_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: rights_requests dpo_extends; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_extends ON public.rights_requests FOR UPDATE USING (((owning_controller = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (( SELECT public.crt_current_role() AS crt_current_role) = 'dpo'::text) AND (status = 'open'::text))) WITH CHECK (((owning_controller = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (status = 'open'::text)));

--
-- Name: partner_auth_events dpo_of_granting_controller; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_of_granting_controller ON public.partner_auth_events FOR SELECT USING ((partner_id IN ( SELECT g.partner_id
   FROM public.partner_grants g
  WHERE (g.controller_id = ( SELECT c.controller_id
           FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
          WHERE (c.role = 'dpo'::text))))));

--
-- Name: access_log dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.access_log FOR SELECT USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: retention_escalations dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.retention_escalations FOR SELECT USING (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (( SELECT public.crt_current_role() AS crt_current_role) = ANY (ARRAY['dpo'::text, 'coordinator'::text]))));

--
-- Name: review_cases dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.review_cases FOR SELECT TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: review_decisions dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.review_decisions FOR SELECT TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: review_findings dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.review_findings FOR SELECT TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: review_user_stats dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.review_user_stats FOR SELECT TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: reviews dpo_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_reads ON public.reviews FOR SELECT TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text))));

--
-- Name: review_cases dpo_updates; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_updates ON public.review_cases FOR UPDATE TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text)))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: review_findings dpo_updates; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY dpo_updates ON public.review_findings FOR UPDATE TO crt_api USING ((controller_id = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'dpo'::text)))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: review_facts erasure_keeps; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY erasure_keeps ON public.review_facts FOR INSERT TO crt_auth WITH CHECK (((person_id)::text = current_setting('crt.erasing'::text, true)));

--
-- Name: partner_grants grants_visible; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY grants_visible ON public.partner_grants USING ((EXISTS ( SELECT 1
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE ((partner_grants.controller_id = c.controller_id) OR (partner_grants.partner_id = c.partner_id))))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: households; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.households ENABLE ROW LEVEL SECURITY;

--
-- Name: login_events; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.login_events ENABLE ROW LEVEL SECURITY;

--
-- Name: disclosure_notices need_to_know; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY need_to_know ON public.disclosure_notices USING (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = disclosure_notices.person_id))))) WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = disclosure_notices.person_id)))));

--
-- Name: person_rectifications need_to_know; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY need_to_know ON public.person_rectifications USING (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = person_rectifications.person_id))))) WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = person_rectifications.person_id)))));

--
-- Name: person_restrictions need_to_know; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY need_to_know ON public.person_restrictions USING (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = person_restrictions.person_id))))) WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = person_restrictions.person_id)))));

--
-- Name: persons need_to_know; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY need_to_know ON public.persons USING ((EXISTS ( SELECT 1
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (((c.partner_id IS NOT NULL) AND (persons.restricted_at IS NULL) AND public.crt_partner_sees(persons.id)) OR ((persons.controller_id = c.controller_id) AND ((c.role = ANY (ARRAY['coordinator'::text, 'education'::text])) OR ((c.role = 'intake'::text) AND (persons.created_by = c.user_id) AND (persons.created_at > (now() - make_interval(days => ( SELECT w.intake_window_days
           FROM public.controllers w
          WHERE (w.id = c.controller_id)))))) OR (EXISTS ( SELECT 1
           FROM public.case_assignments a
          WHERE ((a.person_id = persons.id) AND (a.user_id = c.user_id) AND (a.ended_at IS NULL)))) OR (EXISTS ( SELECT 1
           FROM public.break_glass b
          WHERE ((b.person_id = persons.id) AND (b.user_id = c.user_id) AND (b.expires_at > now())))))))))) WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: trajectory_entries need_to_know; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY need_to_know ON public.trajectory_entries USING (((EXISTS ( SELECT 1
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE ((trajectory_entries.controller_id = c.controller_id) OR (c.partner_id IS NOT NULL)))) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = trajectory_entries.person_id))))) WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = trajectory_entries.person_id)))));

--
-- Name: rights_requests owner_decides; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY owner_decides ON public.rights_requests FOR UPDATE USING ((owning_controller = ( SELECT c.controller_id
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE (c.role = 'coordinator'::text)))) WITH CHECK ((owning_controller = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: partner_notifications partner_acknowledges; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY partner_acknowledges ON public.partner_notifications FOR UPDATE USING ((partner_id = ( SELECT public.crt_current_partner() AS crt_current_partner))) WITH CHECK ((partner_id = ( SELECT public.crt_current_partner() AS crt_current_partner)));

--
-- Name: partner_auth_events; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.partner_auth_events ENABLE ROW LEVEL SECURITY;

--
-- Name: partner_grants; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.partner_grants ENABLE ROW LEVEL SECURITY;

--
-- Name: partner_notifications; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.partner_notifications ENABLE ROW LEVEL SECURITY;

--
-- Name: person_rectifications; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_rectifications ENABLE ROW LEVEL SECURITY;

--
-- Name: person_restrictions; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_restrictions ENABLE ROW LEVEL SECURITY;

--
-- Name: person_tombstones; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.person_tombstones ENABLE ROW LEVEL SECURITY;

--
-- Name: persons; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.persons ENABLE ROW LEVEL SECURITY;

--
-- Name: recovery_codes; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.recovery_codes ENABLE ROW LEVEL SECURITY;

--
-- Name: referrals; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.referrals ENABLE ROW LEVEL SECURITY;

--
-- Name: referrals referrals_visible; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY referrals_visible ON public.referrals USING ((EXISTS ( SELECT 1
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE ((referrals.partner_id = c.partner_id) OR ((referrals.controller_id = c.controller_id) AND (EXISTS ( SELECT 1
           FROM public.persons p
          WHERE (p.id = referrals.person_id)))))))) WITH CHECK (((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)) AND (EXISTS ( SELECT 1
   FROM public.persons p
  WHERE (p.id = referrals.person_id)))));

--
-- Name: rights_requests register_visible; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY register_visible ON public.rights_requests FOR SELECT USING ((owning_controller = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: request_recipients; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.request_recipients ENABLE ROW LEVEL SECURITY;

--
-- Name: retention_escalations; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.retention_escalations ENABLE ROW LEVEL SECURITY;

--
-- Name: review_cases; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_cases ENABLE ROW LEVEL SECURITY;

--
-- Name: review_decisions; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_decisions ENABLE ROW LEVEL SECURITY;

--
-- Name: review_facts; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_facts ENABLE ROW LEVEL SECURITY;

--
-- Name: review_findings; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_findings ENABLE ROW LEVEL SECURITY;

--
-- Name: controller_holidays review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.controller_holidays TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_cases review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_cases TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_decisions review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_decisions TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_findings review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_findings TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_pairs review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_pairs TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_user_days review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_user_days TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_user_days_since review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_user_days_since TO crt_review USING (true) WITH CHECK (true);

--
-- Name: review_user_stats review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.review_user_stats TO crt_review USING (true) WITH CHECK (true);

--
-- Name: reviews review_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job ON public.reviews TO crt_review USING (true) WITH CHECK (true);

--
-- Name: access_log review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.access_log FOR SELECT TO crt_review USING (true);

--
-- Name: auth_lookup_minutes review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.auth_lookup_minutes FOR SELECT TO crt_review USING (true);

--
-- Name: break_glass review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.break_glass FOR SELECT TO crt_review USING (true);

--
-- Name: case_assignments review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.case_assignments FOR SELECT TO crt_review USING (true);

--
-- Name: disclosures review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.disclosures FOR SELECT TO crt_review USING (true);

--
-- Name: households review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.households FOR SELECT TO crt_review USING (true);

--
-- Name: login_events review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.login_events FOR SELECT TO crt_review USING (true);

--
-- Name: partner_auth_events review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.partner_auth_events FOR SELECT TO crt_review USING (true);

--
-- Name: partner_grants review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.partner_grants FOR SELECT TO crt_review USING (true);

--
-- Name: person_rectifications review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.person_rectifications FOR SELECT TO crt_review USING (true);

--
-- Name: person_restrictions review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.person_restrictions FOR SELECT TO crt_review USING (true);

--
-- Name: person_tombstones review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.person_tombstones FOR SELECT TO crt_review USING (true);

--
-- Name: persons review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.persons FOR SELECT TO crt_review USING (true);

--
-- Name: referrals review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.referrals FOR SELECT TO crt_review USING (true);

--
-- Name: review_facts review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.review_facts FOR SELECT TO crt_review USING (true);

--
-- Name: rights_requests review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.rights_requests FOR SELECT TO crt_review USING (true);

--
-- Name: sessions review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.sessions FOR SELECT TO crt_review USING (true);

--
-- Name: staff_users review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.staff_users FOR SELECT TO crt_review USING (true);

--
-- Name: trajectory_entries review_job_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY review_job_reads ON public.trajectory_entries FOR SELECT TO crt_review USING (true);

--
-- Name: review_pairs; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_pairs ENABLE ROW LEVEL SECURITY;

--
-- Name: review_user_days; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_user_days ENABLE ROW LEVEL SECURITY;

--
-- Name: review_user_days_since; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_user_days_since ENABLE ROW LEVEL SECURITY;

--
-- Name: review_user_stats; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.review_user_stats ENABLE ROW LEVEL SECURITY;

--
-- Name: reviews; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.reviews ENABLE ROW LEVEL SECURITY;

--
-- Name: rights_requests; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.rights_requests ENABLE ROW LEVEL SECURITY;

--
-- Name: sessions; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.sessions ENABLE ROW LEVEL SECURITY;

--
-- Name: staff_credentials; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.staff_credentials ENABLE ROW LEVEL SECURITY;

--
-- Name: partner_notifications staff_queue; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY staff_queue ON public.partner_notifications FOR INSERT WITH CHECK ((controller_id = ( SELECT public.crt_current_controller() AS crt_current_controller)));

--
-- Name: staff_users; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.staff_users ENABLE ROW LEVEL SECURITY;

--
-- Name: stats_cells; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.stats_cells ENABLE ROW LEVEL SECURITY;

--
-- Name: stats_cells stats_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY stats_job ON public.stats_cells TO crt_review USING (true) WITH CHECK (true);

--
-- Name: stats_refreshes stats_job; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY stats_job ON public.stats_refreshes TO crt_review USING (true) WITH CHECK (true);

--
-- Name: stats_cells stats_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY stats_reads ON public.stats_cells FOR SELECT TO crt_api USING (((scope = ANY (ARRAY[0, (( SELECT public.crt_current_controller() AS crt_current_controller))::integer])) AND (( SELECT public.crt_current_role() AS crt_current_role) = ANY (ARRAY['coordinator'::text, 'reporting'::text]))));

--
-- Name: stats_refreshes stats_reads; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY stats_reads ON public.stats_refreshes FOR SELECT TO crt_api USING (((( SELECT public.crt_current_controller() AS crt_current_controller) IS NOT NULL) AND (( SELECT public.crt_current_role() AS crt_current_role) = ANY (ARRAY['coordinator'::text, 'reporting'::text]))));

--
-- Name: stats_refreshes; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.stats_refreshes ENABLE ROW LEVEL SECURITY;

--
-- Name: trajectory_entries; Type: ROW SECURITY; Schema: public; Owner: crt_owner
--

ALTER TABLE public.trajectory_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: partner_notifications visible; Type: POLICY; Schema: public; Owner: crt_owner
--

CREATE POLICY visible ON public.partner_notifications FOR SELECT USING ((EXISTS ( SELECT 1
   FROM public.crt_context() c(verified, controller_id, user_id, role, session_id, partner_id)
  WHERE ((partner_notifications.partner_id = c.partner_id) OR (partner_notifications.controller_id = c.controller_id)))));

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: pg_database_owner
--

GRANT USAGE ON SCHEMA public TO crt_auth;
GRANT USAGE ON SCHEMA public TO crt_api;
GRANT USAGE ON SCHEMA public TO crt_review;

--
-- Name: FUNCTION crt_access(p_person uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_access(p_person uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_access(p_person uuid) TO crt_api;

--
-- Name: FUNCTION crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_active_grant(p_partner uuid, p_controller smallint, p_purpose text) TO crt_api;

--
-- Name: FUNCTION crt_admin_holiday_remove(p_day date); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_holiday_remove(p_day date) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_holiday_remove(p_day date) TO crt_api;

--
-- Name: FUNCTION crt_admin_holiday_set(p_day date, p_name text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_holiday_set(p_day date, p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_holiday_set(p_day date, p_name text) TO crt_api;

--
-- Name: FUNCTION crt_admin_partner_create(p_client_id text, p_name text, p_kind text, p_secret_sha256 text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_partner_create(p_client_id text, p_name text, p_kind text, p_secret_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_partner_create(p_client_id text, p_name text, p_kind text, p_secret_sha256 text) TO crt_api;

--
-- Name: FUNCTION crt_admin_partner_revoke(p_partner uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_partner_revoke(p_partner uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_partner_revoke(p_partner uuid) TO crt_api;

--
-- Name: FUNCTION crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_partner_secret(p_partner uuid, p_secret_sha256 text) TO crt_api;

--
-- Name: FUNCTION crt_admin_settings_set(p_intake_window_days integer, p_break_glass_minutes integer, p_work_start time without time zone, p_work_end time without time zone, p_work_days smallint[], p_retention_basis text, p_retention_months integer); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_admin_settings_set(p_intake_window_days integer, p_break_glass_minutes integer, p_work_start time without time zone, p_work_end time without time zone, p_work_days smallint[], p_retention_basis text, p_retention_months integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_admin_settings_set(p_intake_window_days integer, p_break_glass_minutes integer, p_work_start time without time zone, p_work_end time without time zone, p_work_days smallint[], p_retention_basis text, p_retention_months integer) TO crt_api;

--
-- Name: FUNCTION crt_auth_challenge(p_token_sha256 text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_auth_challenge(p_token_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_auth_challenge(p_token_sha256 text) TO crt_api;

--
-- Name: FUNCTION crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text, p_ip text, p_request_id text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text, p_ip text, p_request_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_auth_event(p_controller smallint, p_user uuid, p_event text, p_outcome text, p_ip text, p_request_id text) TO crt_api;

--
-- Name: FUNCTION crt_auth_login_lookup(p_username text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_auth_login_lookup(p_username text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_auth_login_lookup(p_username text) TO crt_api;

--
-- Name: FUNCTION crt_context_mac(); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_context_mac() FROM PUBLIC;

--
-- Name: FUNCTION crt_cookie_session(p_cookie_sha256 text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_cookie_session(p_cookie_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_cookie_session(p_cookie_sha256 text) TO crt_api;

--
-- Name: FUNCTION crt_current_controller(); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_current_controller() TO crt_api;

--
-- Name: FUNCTION crt_current_partner(); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_current_partner() TO crt_api;

--
-- Name: FUNCTION crt_current_role(); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_current_role() TO crt_api;

--
-- Name: FUNCTION crt_current_user(); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_current_user() TO crt_api;

--
-- Name: FUNCTION crt_duplicates(p_nn_bidx text, p_name_bidx text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_duplicates(p_nn_bidx text, p_name_bidx text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_duplicates(p_nn_bidx text, p_name_bidx text) TO crt_api;

--
-- Name: FUNCTION crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_erase_by_request(p_request uuid, p_request_id text, p_purpose text) TO crt_api;

--
-- Name: FUNCTION crt_erase_core(p_person uuid, p_reason text, p_request_number bigint, p_request_id text, p_purpose text, p_user uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_erase_core(p_person uuid, p_reason text, p_request_number bigint, p_request_id text, p_purpose text, p_user uuid) FROM PUBLIC;

--
-- Name: FUNCTION crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint, p_run text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint, p_run text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_erasure_reapply(p_person uuid, p_reason text, p_request_number bigint, p_run text) TO crt_owner;

--
-- Name: FUNCTION crt_ip_network(p_ip text); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_ip_network(p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_ip_network(p_ip text) TO crt_review;

--
-- Name: TABLE access_log; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.access_log TO crt_api;
GRANT SELECT,INSERT ON TABLE public.access_log TO crt_auth;
GRANT SELECT ON TABLE public.access_log TO crt_review;

--
-- Name: FUNCTION crt_log_partition_drop(p_name text, p_before timestamp with time zone, p_retention interval); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_log_partition_drop(p_name text, p_before timestamp with time zone, p_retention interval) FROM PUBLIC;

--
-- Name: FUNCTION crt_log_partitions_expired(p_before timestamp with time zone); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_log_partitions_expired(p_before timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION crt_login_begin(p_controller smallint, p_user uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_login_begin(p_controller smallint, p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_login_begin(p_controller smallint, p_user uuid) TO crt_api;

--
-- Name: FUNCTION crt_national_numbers_without_basis(p_run text, p_apply boolean); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_national_numbers_without_basis(p_run text, p_apply boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_national_numbers_without_basis(p_run text, p_apply boolean) TO crt_owner;

--
-- Name: FUNCTION crt_objection(p_person uuid, p_purpose text, p_partner boolean); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_objection(p_person uuid, p_purpose text, p_partner boolean) TO crt_api;

--
-- Name: FUNCTION crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text, p_request_id text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text, p_request_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_auth_failure(p_client_id text, p_reason text, p_ip text, p_request_id text) TO crt_api;

--
-- Name: FUNCTION crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer, p_client_max integer, p_ip_max integer); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer, p_client_max integer, p_ip_max integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_auth_wait(p_client_id text, p_ip text, p_window_s integer, p_client_max integer, p_ip_max integer) TO crt_api;

--
-- Name: FUNCTION crt_partner_begin(p_partner uuid, p_secret_version integer); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_begin(p_partner uuid, p_secret_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_begin(p_partner uuid, p_secret_version integer) TO crt_api;

--
-- Name: FUNCTION crt_partner_page(p_since timestamp with time zone, p_ts timestamp with time zone, p_person uuid, p_purpose text, p_limit integer); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_page(p_since timestamp with time zone, p_ts timestamp with time zone, p_person uuid, p_purpose text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_page(p_since timestamp with time zone, p_ts timestamp with time zone, p_person uuid, p_purpose text, p_limit integer) TO crt_api;

--
-- Name: FUNCTION crt_partner_referral_grant(p_referral uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_referral_grant(p_referral uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_referral_grant(p_referral uuid) TO crt_api;

--
-- Name: FUNCTION crt_partner_require(p_partner uuid, p_secret_version integer); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_partner_require(p_partner uuid, p_secret_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_require(p_partner uuid, p_secret_version integer) TO crt_api;

--
-- Name: FUNCTION crt_partner_sees(p_person uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_partner_sees(p_person uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_partner_sees(p_person uuid) TO crt_api;

--
-- Name: FUNCTION crt_person_consultations(p_person uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_person_consultations(p_person uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_person_consultations(p_person uuid) TO crt_api;

--
-- Name: FUNCTION crt_person_search(p_birth date, p_q text, p_oki text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_person_search(p_birth date, p_q text, p_oki text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_person_search(p_birth date, p_q text, p_oki text) TO crt_api;

--
-- Name: FUNCTION crt_person_stamp_referrals(); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_person_stamp_referrals() FROM PUBLIC;

--
-- Name: FUNCTION crt_referral_person_stamp(); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_referral_person_stamp() FROM PUBLIC;

--
-- Name: FUNCTION crt_retention_apply(p_person uuid, p_today date, p_run text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_retention_apply(p_person uuid, p_today date, p_run text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_retention_apply(p_person uuid, p_today date, p_run text) TO crt_owner;

--
-- Name: FUNCTION crt_retention_due(p_today date, p_person uuid); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_retention_due(p_today date, p_person uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_retention_due(p_today date, p_person uuid) TO crt_owner;

--
-- Name: FUNCTION crt_rights_request_register(p_owner text, p_person uuid, p_oki text, p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text, p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_rights_request_register(p_owner text, p_person uuid, p_oki text, p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text, p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_rights_request_register(p_owner text, p_person uuid, p_oki text, p_nn_bidx text, p_name_bidx text, p_kind text, p_received date, p_identity text, p_rep_name text, p_rep_capacity text, p_details text, p_request_id text, p_purpose text) TO crt_api;

--
-- Name: FUNCTION crt_seal_state(); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_seal_state() FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_seal_state() TO crt_api;

--
-- Name: FUNCTION crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_session_begin(p_controller smallint, p_user uuid, p_session uuid, p_role text) TO crt_api;

--
-- Name: FUNCTION crt_session_require(p_controller smallint, p_user uuid, p_session uuid, p_role text); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_session_require(p_controller smallint, p_user uuid, p_session uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_session_require(p_controller smallint, p_user uuid, p_session uuid, p_role text) TO crt_api;

--
-- Name: FUNCTION crt_stats_analyze(); Type: ACL; Schema: public; Owner: crt_owner
--

REVOKE ALL ON FUNCTION public.crt_stats_analyze() FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_stats_analyze() TO crt_review;

--
-- Name: FUNCTION crt_stats_person_categories(p_as_of date); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_stats_person_categories(p_as_of date) TO crt_review;

--
-- Name: FUNCTION crt_stats_refresh(p_threshold integer, p_as_of date); Type: ACL; Schema: public; Owner: crt_owner
--

GRANT ALL ON FUNCTION public.crt_stats_refresh(p_threshold integer, p_as_of date) TO crt_review;

--
-- Name: FUNCTION crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text, p_purpose text); Type: ACL; Schema: public; Owner: crt_auth
--

REVOKE ALL ON FUNCTION public.crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text, p_purpose text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.crt_transfer_person(p_person uuid, p_to text, p_reason text, p_request text, p_purpose text) TO crt_api;

--
-- Name: TABLE auth_challenges; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.auth_challenges TO crt_auth;
GRANT SELECT,INSERT,UPDATE ON TABLE public.auth_challenges TO crt_api;

--
-- Name: TABLE auth_lookup_minutes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.auth_lookup_minutes TO crt_auth;
GRANT SELECT ON TABLE public.auth_lookup_minutes TO crt_review;

--
-- Name: TABLE break_glass; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,DELETE ON TABLE public.break_glass TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.break_glass TO crt_api;
GRANT SELECT ON TABLE public.break_glass TO crt_review;

--
-- Name: TABLE case_assignments; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,DELETE,UPDATE ON TABLE public.case_assignments TO crt_auth;
GRANT SELECT,INSERT,UPDATE ON TABLE public.case_assignments TO crt_api;
GRANT SELECT ON TABLE public.case_assignments TO crt_review;

--
-- Name: TABLE controller_holidays; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.controller_holidays TO crt_review;
GRANT SELECT ON TABLE public.controller_holidays TO crt_api;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.controller_holidays TO crt_auth;

--
-- Name: TABLE controllers; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.controllers TO crt_api;
GRANT SELECT ON TABLE public.controllers TO crt_auth;
GRANT SELECT ON TABLE public.controllers TO crt_review;

--
-- Name: COLUMN controllers.intake_window_days; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(intake_window_days) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.break_glass_minutes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(break_glass_minutes) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.work_start; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(work_start) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.work_end; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(work_end) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.work_days; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(work_days) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.retention_basis; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(retention_basis) ON TABLE public.controllers TO crt_auth;

--
-- Name: COLUMN controllers.retention_period; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(retention_period) ON TABLE public.controllers TO crt_auth;

--
-- Name: TABLE crt_context_keys; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.crt_context_keys TO crt_auth;

--
-- Name: TABLE disclosure_notices; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.disclosure_notices TO crt_api;

--
-- Name: TABLE disclosures; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.disclosures TO crt_api;
GRANT SELECT ON TABLE public.disclosures TO crt_review;
GRANT SELECT,DELETE ON TABLE public.disclosures TO crt_auth;

--
-- Name: TABLE field_groups; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.field_groups TO crt_api;

--
-- Name: TABLE households; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.households TO crt_api;
GRANT SELECT ON TABLE public.households TO crt_review;
GRANT SELECT,DELETE ON TABLE public.households TO crt_auth;

--
-- Name: TABLE log_partition_drops; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.log_partition_drops TO crt_review;

--
-- Name: TABLE log_seal_blocks; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.log_seal_blocks TO crt_review;

--
-- Name: TABLE log_seals; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.log_seals TO crt_review;

--
-- Name: TABLE log_verify_runs; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.log_verify_runs TO crt_review;

--
-- Name: TABLE login_events; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT INSERT ON TABLE public.login_events TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.login_events TO crt_api;
GRANT SELECT ON TABLE public.login_events TO crt_review;

--
-- Name: SEQUENCE oki_number_seq; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT USAGE ON SEQUENCE public.oki_number_seq TO crt_api;

--
-- Name: TABLE partner_auth_events; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.partner_auth_events TO crt_auth;
GRANT SELECT ON TABLE public.partner_auth_events TO crt_api;
GRANT SELECT ON TABLE public.partner_auth_events TO crt_review;

--
-- Name: TABLE partner_grants; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.partner_grants TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.partner_grants TO crt_api;
GRANT SELECT ON TABLE public.partner_grants TO crt_review;

--
-- Name: COLUMN partner_grants.revoked_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(revoked_at) ON TABLE public.partner_grants TO crt_auth;
GRANT UPDATE(revoked_at) ON TABLE public.partner_grants TO crt_api;

--
-- Name: TABLE partner_notifications; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,DELETE ON TABLE public.partner_notifications TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.partner_notifications TO crt_api;

--
-- Name: COLUMN partner_notifications.acknowledged_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(acknowledged_at) ON TABLE public.partner_notifications TO crt_api;

--
-- Name: TABLE partners; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.partners TO crt_auth;
GRANT SELECT ON TABLE public.partners TO crt_api;
GRANT SELECT ON TABLE public.partners TO crt_review;

--
-- Name: COLUMN partners.secret_sha256; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(secret_sha256) ON TABLE public.partners TO crt_auth;

--
-- Name: COLUMN partners.secret_rotated_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(secret_rotated_at) ON TABLE public.partners TO crt_auth;

--
-- Name: COLUMN partners.disabled_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(disabled_at) ON TABLE public.partners TO crt_auth;

--
-- Name: TABLE person_rectifications; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.person_rectifications TO crt_api;
GRANT SELECT ON TABLE public.person_rectifications TO crt_review;
GRANT SELECT,DELETE ON TABLE public.person_rectifications TO crt_auth;

--
-- Name: TABLE person_restrictions; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,DELETE ON TABLE public.person_restrictions TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.person_restrictions TO crt_api;
GRANT SELECT ON TABLE public.person_restrictions TO crt_review;

--
-- Name: COLUMN person_restrictions.lifted_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(lifted_at) ON TABLE public.person_restrictions TO crt_api;

--
-- Name: COLUMN person_restrictions.lifted_by; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(lifted_by) ON TABLE public.person_restrictions TO crt_api;

--
-- Name: COLUMN person_restrictions.lift_reason; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(lift_reason) ON TABLE public.person_restrictions TO crt_api;

--
-- Name: COLUMN person_restrictions.lift_request_id; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(lift_request_id) ON TABLE public.person_restrictions TO crt_api;

--
-- Name: TABLE persons; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.persons TO crt_api;
GRANT SELECT,DELETE,UPDATE ON TABLE public.persons TO crt_auth;
GRANT SELECT ON TABLE public.persons TO crt_review;

--
-- Name: COLUMN persons.restricted_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(restricted_at) ON TABLE public.persons TO crt_api;

--
-- Name: COLUMN persons.under_guardianship; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(under_guardianship) ON TABLE public.persons TO crt_api;

--
-- Name: COLUMN persons.legal_hold; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(legal_hold) ON TABLE public.persons TO crt_api;

--
-- Name: COLUMN persons.transfer_consent_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(transfer_consent_at) ON TABLE public.persons TO crt_api;

--
-- Name: COLUMN persons.guidance_ended_on; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(guidance_ended_on) ON TABLE public.persons TO crt_api;

--
-- Name: COLUMN persons.exported_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(exported_at) ON TABLE public.persons TO crt_api;

--
-- Name: TABLE trajectory_entries; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.trajectory_entries TO crt_api;
GRANT SELECT,DELETE,UPDATE ON TABLE public.trajectory_entries TO crt_auth;
GRANT SELECT ON TABLE public.trajectory_entries TO crt_review;

--
-- Name: TABLE person_retention; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.person_retention TO crt_auth;
GRANT SELECT ON TABLE public.person_retention TO crt_api;

--
-- Name: TABLE person_tombstones; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.person_tombstones TO crt_auth;
GRANT SELECT ON TABLE public.person_tombstones TO crt_api;
GRANT SELECT ON TABLE public.person_tombstones TO crt_review;

--
-- Name: TABLE processing_purposes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.processing_purposes TO crt_api;

--
-- Name: TABLE recovery_codes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.recovery_codes TO crt_api;

--
-- Name: TABLE referrals; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,DELETE,UPDATE ON TABLE public.referrals TO crt_auth;
GRANT SELECT,INSERT,UPDATE ON TABLE public.referrals TO crt_api;
GRANT SELECT ON TABLE public.referrals TO crt_review;

--
-- Name: COLUMN referrals.person_updated_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(person_updated_at) ON TABLE public.referrals TO crt_auth;

--
-- Name: TABLE request_recipients; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT ON TABLE public.request_recipients TO crt_api;

--
-- Name: TABLE retention_escalations; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.retention_escalations TO crt_api;
GRANT SELECT,INSERT ON TABLE public.retention_escalations TO crt_auth;

--
-- Name: TABLE review_cases; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_cases TO crt_review;
GRANT SELECT ON TABLE public.review_cases TO crt_api;

--
-- Name: COLUMN review_cases.updated_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(updated_at) ON TABLE public.review_cases TO crt_api;

--
-- Name: COLUMN review_cases.closed_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(closed_at) ON TABLE public.review_cases TO crt_api;

--
-- Name: TABLE review_decisions; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.review_decisions TO crt_review;
GRANT SELECT,INSERT ON TABLE public.review_decisions TO crt_api;

--
-- Name: TABLE review_facts; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT INSERT ON TABLE public.review_facts TO crt_auth;
GRANT SELECT ON TABLE public.review_facts TO crt_review;

--
-- Name: TABLE review_findings; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_findings TO crt_review;
GRANT SELECT ON TABLE public.review_findings TO crt_api;

--
-- Name: COLUMN review_findings.decision; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(decision) ON TABLE public.review_findings TO crt_api;

--
-- Name: COLUMN review_findings.decision_id; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(decision_id) ON TABLE public.review_findings TO crt_api;

--
-- Name: COLUMN review_findings.updated_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(updated_at) ON TABLE public.review_findings TO crt_api;

--
-- Name: TABLE review_pairs; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_pairs TO crt_review;

--
-- Name: TABLE review_runs; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_runs TO crt_review;

--
-- Name: TABLE review_user_days; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,DELETE ON TABLE public.review_user_days TO crt_review;

--
-- Name: TABLE review_user_days_since; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_user_days_since TO crt_review;

--
-- Name: TABLE review_user_stats; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.review_user_stats TO crt_review;
GRANT SELECT ON TABLE public.review_user_stats TO crt_api;

--
-- Name: TABLE reviews; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.reviews TO crt_review;
GRANT SELECT ON TABLE public.reviews TO crt_api;

--
-- Name: TABLE rights_requests; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.rights_requests TO crt_auth;
GRANT SELECT ON TABLE public.rights_requests TO crt_api;
GRANT SELECT ON TABLE public.rights_requests TO crt_review;

--
-- Name: COLUMN rights_requests.extension_months; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(extension_months) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.extension_reason; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(extension_reason) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.person_told_on; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(person_told_on) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.status; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(status) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.decided_on; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(decided_on) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.decided_by; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(decided_by) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.reasons; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(reasons) ON TABLE public.rights_requests TO crt_api;

--
-- Name: COLUMN rights_requests.objection_purposes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(objection_purposes) ON TABLE public.rights_requests TO crt_api;

--
-- Name: TABLE rights_request_forwards; Type: ACL; Schema: public; Owner: crt_auth
--

GRANT SELECT ON TABLE public.rights_request_forwards TO crt_api;

--
-- Name: TABLE role_field_access; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.role_field_access TO crt_api;

--
-- Name: TABLE roles; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.roles TO crt_api;
GRANT SELECT ON TABLE public.roles TO crt_review;

--
-- Name: TABLE sessions; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.sessions TO crt_auth;
GRANT SELECT,INSERT,UPDATE ON TABLE public.sessions TO crt_api;

--
-- Name: COLUMN sessions.id; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(id) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.controller_id; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(controller_id) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.user_id; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(user_id) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.created_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(created_at) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.expires_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(expires_at) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.revoked_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(revoked_at) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.ip; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT(ip) ON TABLE public.sessions TO crt_review;

--
-- Name: COLUMN sessions.last_seen_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(last_seen_at) ON TABLE public.sessions TO crt_auth;
GRANT SELECT(last_seen_at) ON TABLE public.sessions TO crt_review;

--
-- Name: TABLE staff_credentials; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.staff_credentials TO crt_auth;
GRANT SELECT,INSERT,UPDATE ON TABLE public.staff_credentials TO crt_api;

--
-- Name: TABLE staff_users; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.staff_users TO crt_auth;
GRANT SELECT,INSERT ON TABLE public.staff_users TO crt_api;
GRANT SELECT ON TABLE public.staff_users TO crt_review;

--
-- Name: COLUMN staff_users.display_name; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(display_name) ON TABLE public.staff_users TO crt_api;

--
-- Name: COLUMN staff_users.role; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(role) ON TABLE public.staff_users TO crt_api;

--
-- Name: COLUMN staff_users.disabled_at; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT UPDATE(disabled_at) ON TABLE public.staff_users TO crt_api;

--
-- Name: TABLE stats_cells; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.stats_cells TO crt_api;
GRANT SELECT,INSERT,DELETE ON TABLE public.stats_cells TO crt_review;

--
-- Name: TABLE stats_refreshes; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.stats_refreshes TO crt_api;
GRANT SELECT,INSERT ON TABLE public.stats_refreshes TO crt_review;

--
-- Name: TABLE unnotified_disclosures; Type: ACL; Schema: public; Owner: crt_owner
--

GRANT SELECT ON TABLE public.unnotified_disclosures TO crt_api;

--
-- PostgreSQL database dump complete
--

