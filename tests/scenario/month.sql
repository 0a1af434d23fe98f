-- tests/scenario/month.sql: a month of CRT traffic for the four controllers, ending now — normal
-- work that crt-review can explain, plus planted misbehaviour of every review rule.
--
-- Run as the superuser on a freshly migrated database (crtctl migrate), once:
--   psql -X -v ON_ERROR_STOP=1 -v scale=1 -v seed=0.42 -f tests/scenario/month.sql
-- scale multiplies the number of teams, and so staff, persons and rows (per-user behaviour stays
-- the same, so the rules see the same picture at any scale): 1 gives about 40,000 access-log
-- rows in 3 seconds, 262 about 10 million in 4 minutes (2 cores). seed (-1..1) goes to
-- setseed(); the same scale, seed and day give the same rows, and the ids of staff, persons and
-- partners are derived from it.
--
-- What it writes (set-based, one transaction, parallel query off so random() is reproducible):
-- per controller `teams` teams of 1 coordinator, 5 caseworkers (28 assigned persons each) and
-- 2 intake staff, a DPO, an admin, 3 former intake staff (disabled long ago; they registered the
-- older persons); persons (caseloads, new registrations, an archive of older ones); case
-- assignments (started before the month, about a fifth ended during it and replaced by a new
-- registration); intake trajectory entries; partner offices with grants and referrals; Belgian
-- public holidays. The access log gets working-day traffic (Mon-Fri 08:00-18:00
-- Europe/Brussels, no holidays), explainable by the review's explanations: caseworkers
-- read/update/write the trajectory of the person they are assigned to at that moment and search
-- for them first; intake staff check, register, write the intake entry and re-read their own
-- registrations; coordinators read persons assigned to their team (3% of their reads, covering
-- for another team, are not explained), (re)assign and look at closed cases (a repeat);
-- partners pull referred persons under a valid grant; the DPO reads the log.
-- Staff accounts are 35-55 days old: younger than the dormancy threshold (60 days) at their
-- first logged access, since the review sees only the log. Staff family names and home streets
-- come from lists disjoint from the persons' ones, so no normal access is a namesake or
-- neighbour look-up. All log rows are inserted in `at` order, so ids grow with time.
--
-- Planted misbehaviour: one row per case in scenario.planted (rule_id, subject, person where a
-- single person applies, note). scenario.normal_users lists the staff with normal traffic only.
-- Working tables (scenario.staff, slots, ...) are left for inspection; W(n) below is the n-th
-- working day before today.

\set ON_ERROR_STOP on
\if :{?scale}
\else
  \set scale 1
\endif
\if :{?seed}
\else
  \set seed 0.42
\endif

\o /dev/null
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;
BEGIN;
SELECT setseed(:seed);

CREATE SCHEMA scenario;
CREATE TABLE scenario.params AS
SELECT now() AS now_ts, (now() AT TIME ZONE 'Europe/Brussels')::date AS today,
       greatest(2, round(3 * (:scale)::numeric))::int AS teams,
       (2700 + round(100 * (:scale)::numeric))::int AS archive, :'seed'::text AS seed;

CREATE TABLE scenario.planted (rule_id text NOT NULL, user_id uuid, partner_id uuid,
                               person_id uuid, note text NOT NULL,
                               CHECK ((user_id IS NULL) <> (partner_id IS NULL)));
CREATE TABLE scenario.normal_users (user_id uuid PRIMARY KEY);

-- ---- helpers ----------------------------------------------------------------------------------

-- A Brussels wall-clock moment of day d.
CREATE FUNCTION scenario.local(d date, t interval) RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT (d + t) AT TIME ZONE 'Europe/Brussels' $$;

-- A deterministic uuid for a name (kind/key), from the seed.
CREATE FUNCTION scenario.uid(k text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT md5((SELECT seed FROM scenario.params) || '/' || k)::uuid $$;

-- One element of an array, at random.
CREATE FUNCTION scenario.pick(a text[]) RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;

-- Easter Sunday (anonymous Gregorian algorithm), for the movable Belgian holidays.
CREATE FUNCTION scenario.easter(y int) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE a int := y % 19; b int := y / 100; c int := y % 100; h int; l int; m int;
BEGIN
  h := (19 * a + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30;
  l := (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7;
  m := (a + 11 * h + 22 * l) / 451;
  RETURN make_date(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
END $$;

-- Public holidays (and the Flemish Community's day) for last, this and next year.
INSERT INTO controller_holidays (controller_id, day, name)
SELECT c.id, h.day, h.name
  FROM controllers c CROSS JOIN scenario.params p
 CROSS JOIN LATERAL generate_series(extract(year FROM p.today)::int - 1,
                                    extract(year FROM p.today)::int + 1) y
 CROSS JOIN LATERAL (VALUES (make_date(y, 1, 1), 'Nieuwjaar'),
                            (scenario.easter(y) + 1, 'Paasmaandag'),
                            (make_date(y, 5, 1), 'Dag van de Arbeid'),
                            (scenario.easter(y) + 39, 'O.H. Hemelvaart'),
                            (scenario.easter(y) + 50, 'Pinkstermaandag'),
                            (make_date(y, 7, 11), 'Feest van de Vlaamse Gemeenschap'),
                            (make_date(y, 7, 21), 'Nationale feestdag'),
                            (make_date(y, 8, 15), 'O.L.V. Hemelvaart'),
                            (make_date(y, 11, 1), 'Allerheiligen'),
                            (make_date(y, 11, 11), 'Wapenstilstand'),
                            (make_date(y, 12, 25), 'Kerstmis')) h(day, name)
 WHERE c.id BETWEEN 1 AND 4
ON CONFLICT DO NOTHING;

-- The month: local days, and whether each is a working day (every controller has the same
-- hours and holidays here).
CREATE UNLOGGED TABLE scenario.days AS
SELECT d::date AS day, extract(isodow FROM d)::int AS dow,
       extract(isodow FROM d) <= 5 AND NOT EXISTS (SELECT 1 FROM controller_holidays h
                                                   WHERE h.controller_id = 1 AND h.day = d::date) AS workday,
       row_number() OVER (ORDER BY d) AS n
  FROM scenario.params p, generate_series(p.today - 30, p.today, interval '1 day') d;

-- W(n): the n-th working day before today (W(1) is the last one).
CREATE FUNCTION scenario.wd(n int) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT day FROM (SELECT day, row_number() OVER (ORDER BY day DESC) AS k FROM scenario.days
                    WHERE workday AND day < (SELECT today FROM scenario.params)) w
   WHERE w.k = n $$;

CREATE TABLE scenario.lists (name text PRIMARY KEY, items text[] NOT NULL);
INSERT INTO scenario.lists VALUES
 ('person_first', '{Ahmad,Mohammed,Fatima,Aisha,Omar,Yusuf,Mariam,Hassan,Layla,Zainab,Ali,Khadija,
   Ibrahim,Amina,Mustafa,Nour,Karim,Samira,Tariq,Huda,Olena,Oksana,Iryna,Andriy,Dmytro,Natalia,
   Serhiy,Tetiana,Yulia,Mykola,Abdullah,Farida,Habib,Zahra,Rahim,Parwana,Tesfaye,Selam,Yonas,Helen,
   Dawit,Mebrat,Hodan,Faisal,Asha,Mamadou,Aminata,Ousmane,Fatoumata,Ibrahima,Mariama,Jean,Grace,
   Patrick,Esther,Arman,Lilit,Giorgi,Nino,Bilal}'),
 ('person_last', '{Al-Hassan,Haddad,Khalil,Mansour,Nasser,Saleh,Darwish,Hamdan,Qasim,Rahimi,Nazari,
   Ahmadi,Hosseini,Karimi,Sultani,Popal,Stanekzai,Kovalenko,Shevchenko,Bondarenko,Tkachenko,
   Kravchenko,Oliynyk,Melnyk,Boyko,Tesfay,Gebremedhin,Haile,Berhe,Kidane,Abdi,Warsame,Mohamud,Farah,
   Diallo,Bah,Camara,Barry,Sow,Conde,Kabila,Mukendi,Ilunga,Tshibangu,Petrosyan,Hakobyan,Beridze,
   Kapanadze,Nikolaishvili,Jafari,Sharifi,Omari,Bakr,Zaher,Yousef,Awad,Ayoub,Sabri}'),
 ('nationality', '{SY,SY,AF,AF,UA,UA,ER,SO,GN,CD,IQ,PS,AM,GE,MA,TR}'),
 ('staff_first', '{Jan,Pieter,Sofie,An,Els,Koen,Tom,Lies,Sarah,Bram,Jeroen,Katrien,Hanne,Wim,
   Nathalie,Joris,Evelien,Stijn,Inge,Lotte,Dries,Griet,Tine,Bart,Nele,Karel,Marieke,Filip,Ruth,
   Jonas,Yasmina,Soufiane,Meryem,Nadia,Youssef}'),
 ('staff_last', '{Peeters,Janssens,Maes,Jacobs,Mertens,Willems,Claes,Goossens,Wouters,"De Smet",
   Dubois,Lambert,Dupont,Martens,Hermans,Vermeulen,Pauwels,"Van den Broeck","De Backer",Leclercq,
   Aerts,Verhoeven,"Van Damme",Michiels,Smets,Coppens,Stevens,"De Clercq",Segers,Lemmens,
   Verstraete,Bogaert,Vandenberghe,"El Amrani",Bouzid,Benali,Aydin}'),
 ('staff_street', '{Beukenlaan,Eikenlaan,Lindenlaan,Kastanjelaan,Populierenlaan,Berkenlaan,
   Wilgenlaan,Acacialaan,Esdoornlaan,Dennenlaan,Hazelaarlaan,Meidoornlaan}'),
 ('staff_postcode', '{1500,1600,1700,1800,1850,1930,2050,2550,2600,2650,2900,9051,9070,9080,9820}');

-- Where each controller's persons live.
CREATE TABLE scenario.ctlinfo (ctl smallint PRIMARY KEY, city text, streets text[], postcodes text[]);
INSERT INTO scenario.ctlinfo VALUES
 (1, 'Brussel', '{Brabantstraat,Aarschotstraat,Gaucheretstraat,Liedtsplein,Koolmijnenkaai,
   Ninoofsesteenweg,Bergensesteenweg,Sint-Gillisvoorplein,Waterloosesteenweg,Haachtsesteenweg}',
  '{1000,1020,1030,1060,1070,1080,1190,1210}'),
 (2, 'Brussel', '{Brabantstraat,Aarschotstraat,Gaucheretstraat,Liedtsplein,Koolmijnenkaai,
   Ninoofsesteenweg,Bergensesteenweg,Sint-Gillisvoorplein,Waterloosesteenweg,Haachtsesteenweg}',
  '{1000,1020,1030,1060,1070,1080,1190,1210}'),
 (3, 'Antwerpen', '{Carnotstraat,Turnhoutsebaan,Diepestraat,Handelstraat,Lange Kievitstraat,
   Kerkstraat,Dambruggestraat,Bredabaan,Sint-Bernardsesteenweg,Offerandestraat}',
  '{2000,2018,2020,2060,2100,2140,2170}'),
 (4, 'Gent', '{Sleepstraat,Dampoortstraat,Wondelgemstraat,Rabotstraat,Kongostraat,
   Meulestedesteenweg,Sint-Salvatorstraat,Drongensesteenweg,Bevrijdingslaan,Jozef II-straat}',
  '{9000,9030,9032,9040,9050}');

-- ---- staff --------------------------------------------------------------------------------------

-- kind: team (coordinator, caseworker, intake of a team), dpo, admin, former (disabled intake
-- staff who registered the older persons), dormant (the planted dormant account).
CREATE UNLOGGED TABLE scenario.staff AS
WITH t AS (
  SELECT c.id AS ctl, c.code, g AS team_no
    FROM controllers c CROSS JOIN scenario.params p CROSS JOIN generate_series(1, p.teams) g
   WHERE c.id BETWEEN 1 AND 4),
m AS (
  SELECT t.ctl, t.code, t.team_no, r.role, r.short, i, 'team' AS kind,
         format('%s-team-%s', t.code, lpad(t.team_no::text, 4, '0')) AS team
    FROM t CROSS JOIN (VALUES ('coordinator', 'co', 1), ('caseworker', 'cw', 5),
                              ('intake', 'in', 2)) r(role, short, n)
   CROSS JOIN LATERAL generate_series(1, r.n) i
  UNION ALL
  SELECT c.id, c.code, NULL, r.role, r.short, i, r.kind, NULL
    FROM controllers c CROSS JOIN (VALUES ('dpo', 'dpo', 1, 'dpo'), ('admin', 'admin', 1, 'admin'),
                                          ('intake', 'former', 3, 'former'),
                                          ('caseworker', 'dormant', 1, 'dormant')) r(role, short, n, kind)
   CROSS JOIN LATERAL generate_series(1, r.n) i
   WHERE c.id BETWEEN 1 AND 4 AND (r.kind <> 'dormant' OR c.code = 'huis'))
SELECT m.*, CASE WHEN m.kind = 'team' THEN format('sc.%s.t%s.%s%s', m.code, m.team_no, m.short, m.i)
                 ELSE format('sc.%s.%s%s', m.code, m.short, m.i) END AS username,
       CASE WHEN m.role = 'caseworker' AND m.kind = 'team' THEN (m.team_no - 1) * 5 + m.i END AS cw_no
  FROM m ORDER BY m.ctl, m.team_no NULLS LAST, m.role, m.i;
ALTER TABLE scenario.staff ADD COLUMN user_id uuid, ADD COLUMN created_at timestamptz,
  ADD COLUMN disabled_at timestamptz;
UPDATE scenario.staff SET user_id = scenario.uid('staff/' || username),
  created_at = CASE kind WHEN 'former' THEN now() - interval '700 days'
                         WHEN 'dormant' THEN now() - interval '300 days'
                         ELSE now() - interval '35 days' - random() * interval '20 days' END,
  disabled_at = CASE kind WHEN 'former' THEN now() - interval '70 days' - random() * interval '200 days' END;
UPDATE scenario.staff SET team = format('%s-team-0001', code) WHERE kind = 'dormant';
-- The account of the AC-02 case is disabled on W6 at 17:30; its normal traffic stops there.
UPDATE scenario.staff SET disabled_at = scenario.local(scenario.wd(6), '17:30')
 WHERE username = 'sc.huis.t1.cw2';
CREATE UNIQUE INDEX ON scenario.staff (username);
CREATE INDEX ON scenario.staff (ctl, team_no, role);

INSERT INTO staff_users (id, controller_id, username, display_name, role, disabled_at, created_at,
                         team, family_name, home_street, home_number, home_postcode)
SELECT s.user_id, s.ctl, s.username, n.first || ' ' || n.last, s.role, s.disabled_at, s.created_at,
       s.team, n.last, scenario.pick(l.street), (1 + floor(random() * 180))::text,
       scenario.pick(l.postcode)
  FROM scenario.staff s
 CROSS JOIN (SELECT (SELECT items FROM scenario.lists WHERE name = 'staff_street') AS street,
                    (SELECT items FROM scenario.lists WHERE name = 'staff_postcode') AS postcode,
                    (SELECT items FROM scenario.lists WHERE name = 'staff_first') AS firsts,
                    (SELECT items FROM scenario.lists WHERE name = 'staff_last') AS lasts) l
 CROSS JOIN LATERAL (SELECT scenario.pick(l.firsts) || substr(s.username, 0, 0) AS first,
                            scenario.pick(l.lasts) || substr(s.username, 0, 0) AS last) n
 ORDER BY s.ctl, s.username;

-- ---- persons --------------------------------------------------------------------------------

-- Every person the scenario creates: kind slot (a caseworker's caseload at the start of the
-- month), reg (registered during the month), archive (older registrations without an active
-- case), planted (made for one planted case).
CREATE UNLOGGED TABLE scenario.people (person_id uuid PRIMARY KEY, ctl smallint, kind text,
  created_by uuid, created_at timestamptz);

-- Caseloads: 28 slots per caseworker; the occupant p1 is assigned from before the month; a
-- slot that changes hands gets a1_end (p1's assignment ends) and p2 from a2_start.
CREATE UNLOGGED TABLE scenario.slots AS
SELECT s.user_id AS cw, s.ctl, s.team_no, s.cw_no, s.i AS cw_i, k AS slot,
       scenario.uid('slot/' || s.username || '/' || k) AS p1,
       s.created_at + random() * interval '4 days' AS a1_start,
       NULL::timestamptz AS a1_end, NULL::uuid AS p2, NULL::timestamptz AS a2_start
  FROM scenario.staff s CROSS JOIN generate_series(0, 27) k
 WHERE s.role = 'caseworker' AND s.kind = 'team';
CREATE INDEX ON scenario.slots (cw, slot);

INSERT INTO scenario.people
SELECT sl.p1, sl.ctl, 'slot', f.user_id, now() - interval '60 days' - random() * interval '400 days'
  FROM scenario.slots sl
  JOIN scenario.staff f ON f.ctl = sl.ctl AND f.kind = 'former' AND f.i = 1 + (sl.slot % 3);

INSERT INTO scenario.people
SELECT scenario.uid(format('archive/%s/%s', c.id, a)), c.id, 'archive', f.user_id,
       now() - interval '100 days' - random() * interval '600 days'
  FROM controllers c CROSS JOIN scenario.params p CROSS JOIN generate_series(1, p.archive) a
  JOIN scenario.staff f ON f.ctl = c.id AND f.kind = 'former' AND f.i = 1 + (a % 3)
 WHERE c.id BETWEEN 1 AND 4;
CREATE UNLOGGED TABLE scenario.archive AS
SELECT c.id AS ctl, a AS idx, scenario.uid(format('archive/%s/%s', c.id, a)) AS person_id
  FROM controllers c CROSS JOIN scenario.params p CROSS JOIN generate_series(1, p.archive) a
 WHERE c.id BETWEEN 1 AND 4;
CREATE UNIQUE INDEX ON scenario.archive (ctl, idx);

-- Registrations during the month: each intake worker registers 1-3 persons a working day.
CREATE UNLOGGED TABLE scenario.regs AS
SELECT s.user_id AS intake, s.ctl, s.team_no, d.day,
       scenario.uid(format('reg/%s/%s/%s', s.username, d.day, k)) AS person_id,
       scenario.local(d.day, interval '8 hours 30 minutes' + random() * interval '8 hours') AS reg_at
  FROM scenario.staff s
  JOIN scenario.days d ON d.workday
 CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 3 + 0 * s.i)::int) k
 WHERE s.role = 'intake' AND s.kind = 'team';
DELETE FROM scenario.regs WHERE reg_at > (SELECT now_ts FROM scenario.params) - interval '20 minutes';
INSERT INTO scenario.people SELECT person_id, ctl, 'reg', intake, reg_at - interval '300 ms'
  FROM scenario.regs;

-- About 30% of registrations get a caseworker the next working day: a slot of the team whose
-- occupant's case closes just before.
WITH r AS (
  SELECT g.*, row_number() OVER (PARTITION BY g.ctl, g.team_no ORDER BY g.reg_at) AS rn,
         (SELECT min(d.day) FROM scenario.days d WHERE d.workday AND d.day > g.day) AS next_day
    FROM scenario.regs g WHERE random() < 0.3),
s AS (
  SELECT sl.cw, sl.slot, sl.ctl, sl.team_no,
         row_number() OVER (PARTITION BY sl.ctl, sl.team_no ORDER BY random()) AS rn
    FROM scenario.slots sl),
m AS (
  SELECT s.cw, s.slot, r.person_id,
         scenario.local(r.next_day, r.reg_at - scenario.local(r.day, interval '0')) AS a2_start
    FROM r JOIN s ON s.ctl = r.ctl AND s.team_no = r.team_no AND s.rn = r.rn
   WHERE r.next_day IS NOT NULL)
UPDATE scenario.slots sl SET p2 = m.person_id, a2_start = m.a2_start,
       a1_end = m.a2_start - interval '30 minutes'
  FROM m WHERE sl.cw = m.cw AND sl.slot = m.slot
   AND m.a2_start < (SELECT now_ts FROM scenario.params) - interval '5 minutes';

-- Persons made for planted cases (details below).
INSERT INTO scenario.people
SELECT scenario.uid('planted/' || x.k), x.ctl, 'planted', f.user_id, now() - interval '200 days'
  FROM (VALUES ('namesake', 3), ('neighbour', 3), ('after-assignment', 2), ('restricted', 4)) x(k, ctl)
  JOIN scenario.staff f ON f.ctl = x.ctl AND f.kind = 'former' AND f.i = 1;

INSERT INTO persons (id, controller_id, first_name, last_name, gender, birth_date, nationality,
                     phone, contact_preference, address_street, address_number, address_postcode,
                     address_city, registration_date, contact_language, residence_status,
                     sources, created_by, created_at, updated_at)
SELECT pe.person_id, pe.ctl, scenario.pick(l.firsts), scenario.pick(l.lasts),
       (ARRAY['female', 'male', 'female', 'male', 'x'])[1 + floor(random() * 5)::int],
       date '1960-01-01' + floor(random() * 16000)::int, scenario.pick(l.nat),
       '+32 4' || lpad(floor(random() * 100000000)::text, 8, '0'),
       (ARRAY['phone', 'sms', 'email', 'in_person'])[1 + floor(random() * 4)::int],
       scenario.pick(ci.streets), (1 + floor(random() * 250))::text, scenario.pick(ci.postcodes),
       ci.city, (pe.created_at AT TIME ZONE 'Europe/Brussels')::date,
       (ARRAY['ar', 'uk', 'fa', 'ti', 'so', 'fr', 'en', 'ru'])[1 + floor(random() * 8)::int],
       (ARRAY['temporary_protection', 'applicant', 'refugee', 'subsidiary_protection',
              'other'])[1 + floor(random() * 5)::int],
       '{"first_name": "person", "last_name": "person", "birth_date": "person"}'::jsonb,
       pe.created_by, pe.created_at, pe.created_at
  FROM scenario.people pe JOIN scenario.ctlinfo ci ON ci.ctl = pe.ctl
 CROSS JOIN (SELECT (SELECT items FROM scenario.lists WHERE name = 'person_first') AS firsts,
                    (SELECT items FROM scenario.lists WHERE name = 'person_last') AS lasts,
                    (SELECT items FROM scenario.lists WHERE name = 'nationality') AS nat) l
 ORDER BY pe.created_at, pe.person_id;

-- ---- case assignments and intake entries -------------------------------------------------------

INSERT INTO case_assignments (id, controller_id, person_id, user_id, assigned_by, reason,
                              started_at, ended_at, ended_by)
SELECT scenario.uid('assign1/' || sl.cw || '/' || sl.slot), sl.ctl, sl.p1, sl.cw, co.user_id,
       'caseload', sl.a1_start, sl.a1_end, CASE WHEN sl.a1_end IS NOT NULL THEN co.user_id END
  FROM scenario.slots sl
  JOIN scenario.staff co ON co.ctl = sl.ctl AND co.team_no = sl.team_no AND co.role = 'coordinator'
UNION ALL
SELECT scenario.uid('assign2/' || sl.cw || '/' || sl.slot), sl.ctl, sl.p2, sl.cw, co.user_id,
       'new registration', sl.a2_start, NULL, NULL
  FROM scenario.slots sl
  JOIN scenario.staff co ON co.ctl = sl.ctl AND co.team_no = sl.team_no AND co.role = 'coordinator'
 WHERE sl.p2 IS NOT NULL;

INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, source,
                                created_by, created_at)
SELECT g.ctl, g.person_id, 'intake', g.day, '{"location": "office"}', 'staff', g.intake,
       g.reg_at + interval '4 minutes' - interval '100 ms'
  FROM scenario.regs g ORDER BY g.reg_at;

-- ---- the access log, staged ---------------------------------------------------------------------

CREATE UNLOGGED TABLE scenario.log_stage (
  at timestamptz NOT NULL, controller_id smallint NOT NULL, user_id uuid, person_id uuid,
  action text NOT NULL, field_groups text[] NOT NULL, purpose text NOT NULL,
  outcome text NOT NULL DEFAULT 'allowed', reason text, request_id text NOT NULL,
  partner_id uuid);

-- The person in a caseworker's slot at moment t (NULL between the two occupants).
CREATE FUNCTION scenario.occupant(sl scenario.slots, t timestamptz) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN sl.a1_end IS NULL OR t < sl.a1_end THEN sl.p1 WHEN t >= sl.a2_start THEN sl.p2 END $$;

-- Moments of caseworkers' work: n_min to n_min + n_span - 1 a working day each, at a random time
-- from 08:00 within span, each about the occupant of a random slot of the caseload, who stays
-- the occupant for `hold` (the rows a moment writes later); past moments before the account
-- was disabled only.
CREATE FUNCTION scenario.caseworker_moments(n_min int, n_span int, span interval, hold interval)
RETURNS TABLE (cw uuid, ctl smallint, day date, t timestamptz, person_id uuid)
LANGUAGE sql VOLATILE AS $$
  SELECT m.cw, m.ctl, m.day, m.t, scenario.occupant(sl, m.t)
    FROM (SELECT s.user_id AS cw, s.ctl, s.disabled_at, d.day, floor(random() * 28 + 0 * k)::int AS slot,
                 scenario.local(d.day, interval '8 hours' + random() * span) AS t
            FROM scenario.staff s JOIN scenario.days d ON d.workday
           CROSS JOIN LATERAL generate_series(1, n_min + floor(random() * n_span + 0 * s.i)::int) k
           WHERE s.role = 'caseworker' AND s.kind = 'team') m
    JOIN scenario.slots sl ON sl.cw = m.cw AND sl.slot = m.slot
   WHERE m.t < (SELECT now_ts FROM scenario.params) - interval '10 minutes'
     AND (m.disabled_at IS NULL OR m.t + hold < m.disabled_at)
     AND scenario.occupant(sl, m.t) = scenario.occupant(sl, m.t + hold) $$;

-- Caseworkers: 8-14 visits a working day to the occupant of a random slot of their caseload; a
-- visit reads, and sometimes reads the trajectory, rectifies, writes the trajectory or exports
-- (a data-subject request).
CREATE UNLOGGED TABLE scenario.visits AS
SELECT m.*, random() AS r1, random() AS r2, random() AS r3, random() AS r4
  FROM scenario.caseworker_moments(8, 7, interval '9 hours 50 minutes', interval '7 minutes') m;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT v.t + x.off, v.ctl, v.cw, v.person_id, x.action, x.groups, x.purpose, x.reason,
       md5(random()::text || v.t::text)
  FROM scenario.visits v
 CROSS JOIN LATERAL (VALUES
   (interval '0', 'read', '{identification,contact,trajectory,situation,education}'::text[],
    'guidance', 'assignment', true),
   (interval '20 s', 'trajectory_read', '{trajectory}', 'guidance', 'assignment', v.r1 < 0.4),
   (interval '2 min', 'update', '{contact}', 'rectification', 'nieuw telefoonnummer', v.r2 < 0.15),
   (interval '4 min', 'trajectory_write', '{trajectory}', 'guidance', 'assignment', v.r3 < 0.25),
   (interval '6 min', 'export', '{identification,contact,trajectory,situation,education}',
    'data_subject_request', 'assignment', v.r4 < 0.002)) x(off, action, groups, purpose, reason, keep)
 WHERE x.keep;

INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, source,
                                created_by, created_at)
SELECT v.ctl, v.person_id,
       (ARRAY['info_session', 'social_orientation', 'nt2_offer'])[1 + floor(v.r1 * 3)::int],
       v.day, '{}', 'staff', v.cw, v.t + interval '4 minutes' - interval '100 ms'
  FROM scenario.visits v WHERE v.r3 < 0.25 ORDER BY v.t;

INSERT INTO person_rectifications (controller_id, person_id, field, old_value, new_value, reason,
                                   changed_by, changed_at, request_id)
SELECT v.ctl, v.person_id, 'phone', '(vorig nummer)', '(nieuw nummer)', 'nieuw telefoonnummer',
       v.cw, v.t + interval '2 minutes' - interval '100 ms', md5(v.cw::text || v.t::text)
  FROM scenario.visits v WHERE v.r2 < 0.15 ORDER BY v.t;

-- Caseworkers' searches (0-2 a day): name + birth date of a person of their caseload, which the
-- result shows with 0-2 archive persons; they open their person and record a trajectory entry.
CREATE UNLOGGED TABLE scenario.searches AS
SELECT m.cw, m.ctl, m.t, m.day, m.person_id, floor(random() * 3)::int AS extra,
       md5(random()::text) AS rid
  FROM scenario.caseworker_moments(0, 3, interval '9 hours 40 minutes', interval '6 minutes') m;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT s.t, s.ctl, s.cw, s.person_id, 'search', '{identification}'::text[], 'guidance',
       'by_name_birth_date', s.rid FROM scenario.searches s
UNION ALL
SELECT s.t, s.ctl, s.cw, a.person_id, 'search', '{identification}', 'guidance',
       'by_name_birth_date', s.rid
  FROM scenario.searches s CROSS JOIN LATERAL generate_series(1, s.extra) e
  JOIN scenario.archive a ON a.ctl = s.ctl
   AND a.idx = 1 + (abs(hashtext(s.rid || e)) % (SELECT archive FROM scenario.params))
UNION ALL
SELECT s.t + interval '1 minute', s.ctl, s.cw, s.person_id, 'read',
       '{identification,contact,trajectory,situation,education}', 'guidance', 'assignment',
       md5(s.rid || 'read') FROM scenario.searches s
UNION ALL
SELECT s.t + interval '5 minutes', s.ctl, s.cw, s.person_id, 'trajectory_write', '{trajectory}',
       'guidance', 'assignment', md5(s.rid || 'write') FROM scenario.searches s;

INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, source,
                                created_by, created_at)
SELECT s.ctl, s.person_id, 'social_orientation', s.day, '{}', 'staff', s.cw,
       s.t + interval '5 minutes' - interval '100 ms'
  FROM scenario.searches s ORDER BY s.t;

-- Intake: duplicate check, sometimes a search showing an archive person, the registration, the
-- intake entry, sometimes a rectification; then 0-3 re-reads on later working days (10 days).
INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT g.reg_at + x.off, g.ctl, g.intake,
       CASE WHEN x.action = 'duplicate_check' THEN NULL
            WHEN x.action = 'search' THEN (SELECT a.person_id FROM scenario.archive a
                                            WHERE a.ctl = g.ctl AND a.idx = 1 + (abs(hashtext(g.person_id::text))
                                                  % (SELECT archive FROM scenario.params)))
            ELSE g.person_id END,
       x.action, x.groups, x.purpose, x.reason, md5(g.person_id::text || x.action)
  FROM scenario.regs g
 CROSS JOIN LATERAL (SELECT random() AS r1, random() AS r2 OFFSET 0 * g.team_no) r
 CROSS JOIN LATERAL (VALUES
   (interval '-3 min', 'duplicate_check', '{identification}'::text[], 'duplicate_check', NULL, true),
   (interval '-2 min', 'search', '{identification}', 'duplicate_check', 'by_name_birth_date', r.r1 < 0.3),
   (interval '0', 'create', '{identification,contact,trajectory,situation}', 'registration',
    'own_registration', true),
   (interval '4 min', 'trajectory_write', '{trajectory}', 'registration', 'own_registration', true),
   (interval '9 min', 'update', '{contact,situation}', 'rectification', 'aanvulling na intake',
    r.r2 < 0.3)) x(off, action, groups, purpose, reason, keep)
 WHERE x.keep;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT z.at, z.ctl, z.intake, z.person_id, 'read',
       '{identification,contact,trajectory,situation,sensitive}', 'registration',
       'own_registration', md5(random()::text)
  FROM (SELECT g.ctl, g.intake, g.person_id,
               scenario.local(g.day + 1 + floor(random() * 10)::int,
                              interval '8 hours' + random() * interval '9 hours 50 minutes') AS at
          FROM scenario.regs g CROSS JOIN LATERAL generate_series(1, floor(random() * 4 + 0 * g.team_no)::int) k) z
  JOIN scenario.days d ON d.day = (z.at AT TIME ZONE 'Europe/Brussels')::date AND d.workday
 WHERE z.at < (SELECT now_ts FROM scenario.params) - interval '10 minutes';

INSERT INTO person_rectifications (controller_id, person_id, field, old_value, new_value, reason,
                                   changed_by, changed_at, request_id)
SELECT l.controller_id, l.person_id, 'contact_preference', 'phone', 'sms', l.reason, l.user_id,
       l.at - interval '100 ms', l.request_id
  FROM scenario.log_stage l WHERE l.action = 'update' AND l.reason = 'aanvulling na intake';

-- Coordinators: 3-7 reads a working day of persons assigned to their team (3% of them, while
-- covering for a colleague, of another team's: benign but unexplained); (re)assignments when a
-- slot changes hands, and half the time a look at the closed case within a week (explained as
-- a repeat of the assignment).
INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT c.t, c.ctl, c.co, scenario.occupant(sl, c.t),
       'read', '{identification,contact,trajectory,situation,education,sensitive}', 'guidance',
       'coordinator_scope', md5(random()::text)
  FROM (SELECT s.user_id AS co, s.ctl,
               CASE WHEN random() < 0.03 + 0 * k THEN 1 + s.team_no % (SELECT teams FROM scenario.params)
                    ELSE s.team_no END AS team_no,
               1 + floor(random() * 5)::int AS cw_i, floor(random() * 28)::int AS slot,
               scenario.local(d.day, interval '8 hours' + random() * interval '9 hours 50 minutes') AS t
          FROM scenario.staff s JOIN scenario.days d ON d.workday
         CROSS JOIN LATERAL generate_series(1, 3 + floor(random() * 5 + 0 * s.i)::int) k
         WHERE s.role = 'coordinator' AND s.kind = 'team') c
  JOIN scenario.slots sl ON sl.ctl = c.ctl AND sl.team_no = c.team_no AND sl.cw_i = c.cw_i
   AND sl.slot = c.slot
 WHERE c.t < (SELECT now_ts FROM scenario.params) - interval '10 minutes'
   AND scenario.occupant(sl, c.t) IS NOT NULL;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT x.at, sl.ctl, co.user_id, x.person_id, 'assignment_write', '{}', 'guidance', x.reason,
       md5(x.person_id::text || x.reason)
  FROM scenario.slots sl
  JOIN scenario.staff co ON co.ctl = sl.ctl AND co.team_no = sl.team_no AND co.role = 'coordinator'
 CROSS JOIN LATERAL (VALUES (sl.a1_end - interval '1 second', sl.p1, 'case closed'),
                            (sl.a2_start + interval '1 second', sl.p2, 'new registration')) x(at, person_id, reason)
 WHERE sl.p2 IS NOT NULL;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT z.at, z.ctl, z.co, z.p1, 'read', '{identification,contact,trajectory,situation,education,sensitive}',
       'guidance', 'coordinator_scope', md5(random()::text)
  FROM (SELECT sl.ctl, co.user_id AS co, sl.p1,
               scenario.local((sl.a1_end AT TIME ZONE 'Europe/Brussels')::date + 1 + floor(random() * 5)::int,
                              interval '8 hours' + random() * interval '9 hours 50 minutes') AS at
          FROM scenario.slots sl
          JOIN scenario.staff co ON co.ctl = sl.ctl AND co.team_no = sl.team_no AND co.role = 'coordinator'
         WHERE sl.p2 IS NOT NULL AND random() < 0.5) z
  JOIN scenario.days d ON d.day = (z.at AT TIME ZONE 'Europe/Brussels')::date AND d.workday
 WHERE z.at < (SELECT now_ts FROM scenario.params) - interval '10 minutes';

-- The DPO reads the log (no person) once or twice a working day.
INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id)
SELECT scenario.local(d.day, interval '9 hours' + random() * interval '8 hours'), s.ctl, s.user_id,
       NULL, 'audit_read', '{}', 'audit', 'login_events', md5(random()::text)
  FROM scenario.staff s JOIN scenario.days d ON d.workday AND d.day < (SELECT today FROM scenario.params)
 CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 2 + 0 * s.i)::int) k
 WHERE s.kind = 'dpo';

-- ---- partners --------------------------------------------------------------------------------

-- Offices per controller and kind (one per three teams); each has one grant for its purpose.
CREATE UNLOGGED TABLE scenario.partners AS
SELECT c.id AS ctl, c.code, k.kind, k.purpose, k.groups, k.label, o,
       scenario.uid(format('partner/%s/%s/%s', c.code, k.kind, o)) AS partner_id
  FROM controllers c CROSS JOIN scenario.params p
 CROSS JOIN (VALUES ('employment', 'employment_guidance', '{identification,contact,situation}'::text[], 'VDAB'),
                    ('social_welfare', 'social_support', '{identification,contact,situation}', 'OCMW'),
                    ('education', 'nt2_enrolment', '{identification,contact,trajectory,education}', 'CVO'))
            k(kind, purpose, groups, label)
 CROSS JOIN LATERAL generate_series(1, ceil(p.teams / 3.0)::int) o
 WHERE c.id BETWEEN 1 AND 4;

INSERT INTO partners (id, name, kind, client_id, secret_sha256, secret_rotated_at, created_at)
SELECT pa.partner_id, format('%s %s kantoor %s', pa.label, ci.city, pa.o), pa.kind,
       format('sc-%s-%s-%s', pa.code, pa.kind, pa.o), encode(sha256(convert_to(pa.partner_id::text, 'UTF8')), 'hex'),
       now() - interval '400 days', now() - interval '500 days'
  FROM scenario.partners pa JOIN scenario.ctlinfo ci ON ci.ctl = pa.ctl;

INSERT INTO partner_grants (id, partner_id, controller_id, field_groups, purpose, legal_basis,
                            valid_from, valid_to, created_at)
SELECT scenario.uid('grant/' || pa.partner_id), pa.partner_id, pa.ctl, pa.groups, pa.purpose,
       'samenwerkingsovereenkomst ' || pa.code, now() - interval '400 days',
       now() + interval '365 days', now() - interval '400 days'
  FROM scenario.partners pa;

-- About 10% of the caseload is referred to an office, before the month; the referral ends when
-- the case closes.
INSERT INTO referrals (id, controller_id, person_id, partner_id, purpose, created_by, created_at,
                       ended_at, ended_by)
SELECT scenario.uid('referral/' || sl.p1), sl.ctl, sl.p1, pa.partner_id, pa.purpose, sl.cw,
       sl.a1_start + interval '1 day', sl.a1_end, CASE WHEN sl.a1_end IS NOT NULL THEN co.user_id END
  FROM (SELECT sl.*, 1 + floor(random() * 3)::int AS kind_no, random() AS r FROM scenario.slots sl) sl
  JOIN scenario.staff co ON co.ctl = sl.ctl AND co.team_no = sl.team_no AND co.role = 'coordinator'
  JOIN scenario.partners pa ON pa.ctl = sl.ctl
   AND pa.kind = (ARRAY['employment', 'social_welfare', 'education'])[sl.kind_no]
   AND pa.o = 1 + (sl.team_no - 1) % ceil((SELECT teams FROM scenario.params) / 3.0)::int
 WHERE sl.r < 0.10;

-- Pulls: each active referral is pulled on 3 random working days, in the office's daily pull
-- (one request, persons a few milliseconds apart), with a disclosure row each.
CREATE UNLOGGED TABLE scenario.pulls AS
WITH w AS (SELECT day, row_number() OVER (ORDER BY day) AS n FROM scenario.days
            WHERE workday AND day < (SELECT today FROM scenario.params)),
x AS (
  SELECT DISTINCT r.controller_id AS ctl, r.partner_id, r.person_id, r.purpose, r.ended_at,
         1 + floor(random() * (SELECT count(*) FROM w) + 0 * k)::int AS n
    FROM referrals r JOIN scenario.partners pa ON pa.partner_id = r.partner_id
   CROSS JOIN generate_series(1, 3) k)
SELECT x.ctl, x.partner_id, x.person_id, x.purpose, w.day,
       scenario.local(w.day, interval '10 hours' + (abs(hashtext(x.partner_id::text)) % 300) * interval '1 minute')
         + row_number() OVER (PARTITION BY x.partner_id, w.day ORDER BY x.person_id) * interval '3 ms' AS at,
       md5(x.partner_id::text || w.day) AS rid
  FROM x JOIN w ON w.n = x.n;
DELETE FROM scenario.pulls p USING referrals r
 WHERE r.partner_id = p.partner_id AND r.person_id = p.person_id AND r.ended_at IS NOT NULL
   AND p.at >= r.ended_at;

INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id, partner_id)
SELECT p.at, p.ctl, NULL, p.person_id, 'disclosure', pa.groups, p.purpose, 'referral_grant', p.rid,
       p.partner_id
  FROM scenario.pulls p JOIN scenario.partners pa ON pa.partner_id = p.partner_id;

INSERT INTO disclosures (at, controller_id, person_id, partner_id, grant_id, field_groups, purpose,
                         legal_basis, request_id)
SELECT p.at, p.ctl, p.person_id, p.partner_id, g.id, g.field_groups, g.purpose, g.legal_basis, p.rid
  FROM scenario.pulls p JOIN partner_grants g ON g.partner_id = p.partner_id ORDER BY p.at;

-- ---- planted misbehaviour --------------------------------------------------------------------

-- Who does what (usernames are sc.<controller>.t<team>.<role><n>; cwN is the N-th caseworker
-- of the controller, team 1 holds cw1-cw5, team 2 cw6-cw10).
CREATE UNLOGGED TABLE scenario.actors AS
SELECT x.role_key, s.user_id, s.ctl, s.username
  FROM (VALUES ('namesake', 'sc.atlas.t1.cw1'), ('neighbour', 'sc.atlas.t1.cw2'),
               ('night', 'sc.atlas.t1.cw3'), ('searcher', 'sc.atlas.t2.cw1'),
               ('broad', 'sc.atlas.t2.in1'), ('peek', 'sc.atlas.t2.cw2'),
               ('glass', 'sc.agii.t1.cw1'), ('glass3', 'sc.agii.t1.cw2'),
               ('denied', 'sc.agii.t1.cw3'), ('denied7', 'sc.agii.t1.cw4'),
               ('ended', 'sc.huis.t1.cw1'), ('disabled', 'sc.huis.t1.cw2'),
               ('dormant', 'sc.huis.dormant1'), ('exporter', 'sc.huis.t1.co1'),
               ('restricted', 'sc.ingent.t1.cw1'), ('protected', 'sc.ingent.t1.cw2'),
               ('volume', 'sc.ingent.t2.cw1'), ('weekend', 'sc.ingent.t2.cw2')) x(role_key, username)
  JOIN scenario.staff s ON s.username = x.username;

CREATE FUNCTION scenario.actor(k text) RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT user_id FROM scenario.actors WHERE role_key = k $$;
CREATE FUNCTION scenario.arch(c smallint, i int) RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT person_id FROM scenario.archive WHERE ctl = c AND idx = i $$;
CREATE FUNCTION scenario.planted_person(k text) RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT scenario.uid('planted/' || k) $$;

-- One staff access-log row (allowed unless said otherwise).
CREATE FUNCTION scenario.log(p_at timestamptz, p_user uuid, p_person uuid, p_action text,
                             p_purpose text, p_reason text, p_outcome text DEFAULT 'allowed',
                             p_rid text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                  purpose, outcome, reason, request_id)
  SELECT p_at, s.controller_id, p_user, p_person, p_action,
         CASE WHEN p_outcome <> 'allowed' THEN '{}'::text[]
              WHEN p_action = 'search' THEN '{identification}'
              ELSE '{identification,contact,trajectory,situation,education}' END,
         p_purpose, p_outcome, p_reason, coalesce(p_rid, md5(p_user::text || p_at::text || p_action))
    FROM staff_users s WHERE s.id = p_user $$;

-- NB-01 namesake (atlas): the caseworker's family name is Yilmaz (no person has it); a person
-- named YILMAZ, found by a name search and opened with no documented action.
UPDATE staff_users SET family_name = 'Yilmaz', display_name = 'Emre Yilmaz'
 WHERE id = scenario.actor('namesake');
UPDATE persons SET last_name = 'YILMAZ', first_name = 'Mehmet' WHERE id = scenario.planted_person('namesake');
SELECT scenario.log(scenario.local(scenario.wd(6), '11:00'), scenario.actor('namesake'),
                    scenario.planted_person('namesake'), 'search', 'guidance', 'by_name_birth_date',
                    'allowed', md5('namesake-search')),
       scenario.log(scenario.local(scenario.wd(6), '11:03'), scenario.actor('namesake'),
                    scenario.planted_person('namesake'), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('NB-01', scenario.actor('namesake'), NULL,
  scenario.planted_person('namesake'), 'caseworker opens a person sharing their family name (W6 11:03)');

-- NB-01 neighbour (atlas): a person living at the caseworker's home address.
UPDATE persons p SET address_street = s.home_street, address_number = s.home_number,
       address_postcode = s.home_postcode
  FROM staff_users s WHERE s.id = scenario.actor('neighbour') AND p.id = scenario.planted_person('neighbour');
SELECT scenario.log(scenario.local(scenario.wd(7), '15:20'), scenario.actor('neighbour'),
                    scenario.planted_person('neighbour'), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('NB-01', scenario.actor('neighbour'), NULL,
  scenario.planted_person('neighbour'), 'caseworker opens a person living at their home address (W7 15:20)');

-- OH-01 night burst (atlas): 37 persons between 22:10 and 23:05 on W2, 35 of them unexplained
-- (archive persons), 2 from the caseworker's own caseload.
SELECT scenario.log(scenario.local(scenario.wd(2), '22:10') + (i - 1) * interval '90 s',
                    scenario.actor('night'), scenario.arch(3::smallint, i), 'read', 'guidance', NULL)
  FROM generate_series(1, 35) i;
SELECT scenario.log(scenario.local(scenario.wd(2), '23:05') - i * interval '10 s', sl.cw, sl.p1, 'read',
                    'guidance', 'assignment')
  FROM scenario.slots sl, generate_series(1, 1) i
 WHERE sl.cw = scenario.actor('night') AND sl.slot IN (0, 1) AND sl.a1_end IS NULL;
INSERT INTO scenario.planted VALUES ('OH-01', scenario.actor('night'), NULL, NULL,
  'night-time burst: 37 persons between 22:10 and 23:05 on W2, 35 unexplained');

-- SE-01 enumeration by count (atlas): 35 name searches within 50 minutes, 1-2 results each.
SELECT scenario.log(scenario.local(scenario.wd(4), '14:00') + i * interval '85 s',
                    scenario.actor('searcher'), scenario.arch(3::smallint, 100 + 2 * i + j), 'search',
                    'guidance', 'by_name_birth_date', 'allowed', md5('enum' || i))
  FROM generate_series(1, 35) i CROSS JOIN generate_series(0, 1) j WHERE j = 0 OR i % 3 = 0;
INSERT INTO scenario.planted VALUES ('SE-01', scenario.actor('searcher'), NULL, NULL,
  '35 searches within 50 minutes (W4 14:00)');

-- SE-01 enumeration by breadth (atlas): 4 searches in 20 minutes returning 50 persons each.
SELECT scenario.log(scenario.local(scenario.wd(5), '10:00') + i * interval '5 min',
                    scenario.actor('broad'), scenario.arch(3::smallint, 300 + 50 * i + j), 'search',
                    'duplicate_check', 'by_name_birth_date', 'allowed', md5('broad' || i))
  FROM generate_series(0, 3) i CROSS JOIN generate_series(0, 49) j;
INSERT INTO scenario.planted VALUES ('SE-01', scenario.actor('broad'), NULL, NULL,
  '4 searches returning 200 distinct persons within 20 minutes (W5 10:00)');

-- SE-02 (atlas): a search shows two persons; one is opened 12 minutes later, nothing recorded.
SELECT scenario.log(scenario.local(scenario.wd(3), '10:00'), scenario.actor('peek'),
                    scenario.arch(3::smallint, i), 'search', 'guidance', 'by_name_birth_date',
                    'allowed', md5('peek-search'))
  FROM generate_series(600, 601) i;
SELECT scenario.log(scenario.local(scenario.wd(3), '10:12'), scenario.actor('peek'),
                    scenario.arch(3::smallint, 600), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('SE-02', scenario.actor('peek'), NULL,
  scenario.arch(3::smallint, 600), 'search, then opened 12 minutes later with no documented action (W3)');

-- BG-01 (agii): break-glass on an archive person, then the read it opens.
CREATE FUNCTION scenario.break_glass(p_user uuid, p_person uuid, p_at timestamptz) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO break_glass (controller_id, person_id, user_id, reason, started_at, expires_at)
  SELECT s.controller_id, p_person, p_user,
         'Persoon aan het loket, dossierbeheerder afwezig, dringende vraag', p_at, p_at + interval '60 min'
    FROM staff_users s WHERE s.id = p_user;
  SELECT scenario.log(p_at, p_user, p_person, 'break_glass', 'emergency',
                      'Persoon aan het loket, dossierbeheerder afwezig, dringende vraag');
  SELECT scenario.log(p_at + interval '1 min', p_user, p_person, 'read', 'emergency', 'break_glass');
$$;
SELECT scenario.break_glass(scenario.actor('glass'), scenario.arch(1::smallint, 10),
                            scenario.local(scenario.wd(5), '11:00'));
INSERT INTO scenario.planted VALUES ('BG-01', scenario.actor('glass'), NULL,
  scenario.arch(1::smallint, 10), 'break-glass access (W5 11:00)');

-- BG-02 (agii): three break-glass uses by one caseworker within 30 days.
SELECT scenario.break_glass(scenario.actor('glass3'), scenario.arch(1::smallint, x.i),
                            scenario.local(scenario.wd(x.w), x.t))
  FROM (VALUES (20, 15, interval '10:00'), (21, 9, interval '14:00'), (22, 2, interval '09:30')) x(i, w, t);
INSERT INTO scenario.planted VALUES ('BG-02', scenario.actor('glass3'), NULL, NULL,
  'three break-glass uses on W15, W9 and W2');

-- DN-01 (agii): one refused read.
SELECT scenario.log(scenario.local(scenario.wd(6), '15:00'), scenario.actor('denied'),
                    scenario.arch(1::smallint, 30), 'read', 'guidance', 'no_need_to_know', 'denied');
INSERT INTO scenario.planted VALUES ('DN-01', scenario.actor('denied'), NULL,
  scenario.arch(1::smallint, 30), 'a refused read (W6 15:00)');

-- DN-02 (agii): seven refused reads within six minutes; and a partner office refused six times
-- within five minutes.
SELECT scenario.log(scenario.local(scenario.wd(7), '16:00') + i * interval '50 s',
                    scenario.actor('denied7'), scenario.arch(1::smallint, 40 + i), 'read', 'guidance',
                    'no_need_to_know', 'denied')
  FROM generate_series(0, 6) i;
INSERT INTO scenario.planted VALUES ('DN-02', scenario.actor('denied7'), NULL, NULL,
  'seven refused reads within six minutes (W7 16:00)');
INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups, purpose,
                                outcome, reason, request_id, partner_id)
SELECT scenario.local(scenario.wd(4), '10:30') + i * interval '50 s', 1, NULL,
       scenario.arch(1::smallint, 50 + i), 'disclosure', '{}', 'employment_guidance', 'denied',
       'no_referral', md5('probe' || i), pa.partner_id
  FROM generate_series(0, 5) i JOIN scenario.partners pa ON pa.ctl = 1 AND pa.kind = 'employment' AND pa.o = 1;
INSERT INTO scenario.planted
SELECT 'DN-02', NULL, pa.partner_id, NULL, 'partner refused six times within five minutes (W4 10:30)'
  FROM scenario.partners pa WHERE pa.ctl = 1 AND pa.kind = 'employment' AND pa.o = 1;

-- AC-01 (huis): assigned to a person, read it on W17 and W16, case closed on W15; opened again
-- on W1 with nothing else explaining it.
INSERT INTO case_assignments (id, controller_id, person_id, user_id, assigned_by, reason,
                              started_at, ended_at, ended_by)
SELECT scenario.uid('assign/ended'), 2, scenario.planted_person('after-assignment'), s.user_id,
       co.user_id, 'caseload', s.created_at + interval '1 day',
       scenario.local(scenario.wd(15), '16:00'), co.user_id
  FROM scenario.staff s JOIN scenario.staff co ON co.ctl = 2 AND co.team_no = 1 AND co.role = 'coordinator'
 WHERE s.user_id = scenario.actor('ended');
SELECT scenario.log(scenario.local(scenario.wd(x.w), x.t), scenario.actor('ended'),
                    scenario.planted_person('after-assignment'), 'read', 'guidance', 'assignment')
  FROM (VALUES (17, interval '10:00'), (16, interval '14:00')) x(w, t);
SELECT scenario.log(scenario.local(scenario.wd(15), '16:00') - interval '1 s', co.user_id,
                    scenario.planted_person('after-assignment'), 'assignment_write', 'guidance', 'case closed')
  FROM scenario.staff co WHERE co.ctl = 2 AND co.team_no = 1 AND co.role = 'coordinator';
SELECT scenario.log(scenario.local(scenario.wd(1), '11:30'), scenario.actor('ended'),
                    scenario.planted_person('after-assignment'), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('AC-01', scenario.actor('ended'), NULL,
  scenario.planted_person('after-assignment'), 'read on W1 after the assignment ended on W15');

-- AC-02 (huis): the account was disabled on W6 at 17:30 (see scenario.staff); it reads an
-- archive person on W3.
INSERT INTO login_events (at, controller_id, user_id, actor_id, event, outcome, request_id)
SELECT scenario.local(scenario.wd(6), '17:30'), 2, scenario.actor('disabled'), a.user_id, 'disable',
       'success', md5('disable')
  FROM scenario.staff a WHERE a.ctl = 2 AND a.kind = 'admin';
SELECT scenario.log(scenario.local(scenario.wd(3), '10:15'), scenario.actor('disabled'),
                    scenario.arch(2::smallint, 60), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('AC-02', scenario.actor('disabled'), NULL,
  scenario.arch(2::smallint, 60), 'read by an account disabled three working days before (W3 10:15)');

-- AC-03 (huis): a 300-day-old account, last seen about 100 days ago, reads three persons on W4.
SELECT scenario.log(scenario.local(d, '10:00'), scenario.actor('dormant'),
                    scenario.arch(2::smallint, 70), 'read', 'guidance', NULL)
  FROM (SELECT p.today - 100 - greatest(extract(isodow FROM p.today - 100)::int - 5, 0) AS d
          FROM scenario.params p) x;
SELECT scenario.log(scenario.local(scenario.wd(4), '10:00') + i * interval '3 min', scenario.actor('dormant'),
                    scenario.arch(2::smallint, 70 + i), 'read', 'guidance', NULL)
  FROM generate_series(1, 3) i;
INSERT INTO scenario.planted VALUES ('AC-03', scenario.actor('dormant'), NULL, NULL,
  'account idle for about 100 days reads three persons (W4 10:00)');

-- EX-01 by a user (huis): a coordinator exports four persons of the team on one day.
SELECT scenario.log(scenario.local(scenario.wd(5), '13:00') + i * interval '40 min', scenario.actor('exporter'),
                    sl.p1, 'export', 'data_subject_request', 'coordinator_scope')
  FROM (SELECT sl.p1, row_number() OVER (ORDER BY sl.cw_i, sl.slot) - 1 AS i
          FROM scenario.slots sl WHERE sl.ctl = 2 AND sl.team_no = 1 AND sl.a1_end IS NULL
           AND sl.cw_i >= 3) sl
 WHERE sl.i < 4;
INSERT INTO scenario.planted VALUES ('EX-01', scenario.actor('exporter'), NULL, NULL,
  'four exports on one day (W5)');

-- RP-01 (ingent): the assigned caseworker reads a person under a processing restriction; another
-- caseworker reads a protected person (archive 1).
INSERT INTO case_assignments (id, controller_id, person_id, user_id, assigned_by, reason, started_at)
SELECT scenario.uid('assign/restricted'), 4, scenario.planted_person('restricted'), s.user_id,
       co.user_id, 'caseload', s.created_at + interval '1 day'
  FROM scenario.staff s JOIN scenario.staff co ON co.ctl = 4 AND co.team_no = 1 AND co.role = 'coordinator'
 WHERE s.user_id = scenario.actor('restricted');
UPDATE persons SET restricted_at = now() - interval '40 days' WHERE id = scenario.planted_person('restricted');
SELECT scenario.log(scenario.local(scenario.wd(5), '11:00'), scenario.actor('restricted'),
                    scenario.planted_person('restricted'), 'read', 'guidance', 'assignment');
INSERT INTO scenario.planted VALUES ('RP-01', scenario.actor('restricted'), NULL,
  scenario.planted_person('restricted'), 'assigned caseworker reads a restricted person (W5 11:00)');
UPDATE persons SET protected_at = now() - interval '100 days' WHERE id = scenario.arch(4::smallint, 1);
SELECT scenario.log(scenario.local(scenario.wd(6), '14:00'), scenario.actor('protected'),
                    scenario.arch(4::smallint, 1), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('RP-01', scenario.actor('protected'), NULL,
  scenario.arch(4::smallint, 1), 'caseworker reads a protected person (W6 14:00)');

-- VO-01 (ingent): 60 archive persons read between 09:00 and 12:00 on W3.
SELECT scenario.log(scenario.local(scenario.wd(3), '09:00') + i * interval '3 min', scenario.actor('volume'),
                    scenario.arch(4::smallint, 200 + i), 'read', 'guidance', NULL)
  FROM generate_series(0, 59) i;
INSERT INTO scenario.planted VALUES ('VO-01', scenario.actor('volume'), NULL, NULL,
  '60 extra distinct persons on W3 (peers read 8-14 a day)');

-- OH-01 weekend (ingent): an unexplained read on the last Saturday at 11:00.
SELECT scenario.log(scenario.local((SELECT max(day) FROM scenario.days
                                     WHERE dow = 6 AND day < (SELECT today FROM scenario.params)), '11:00'),
                    scenario.actor('weekend'), scenario.arch(4::smallint, 2), 'read', 'guidance', NULL);
INSERT INTO scenario.planted VALUES ('OH-01', scenario.actor('weekend'), NULL,
  scenario.arch(4::smallint, 2), 'unexplained read on Saturday at 11:00');

-- Partners of ingent: PA-01 (an office pulls a person never referred to it), PA-02 by purpose
-- (an office pulls a person referred to it for a purpose it has no grant for), PA-02 by window
-- (a housing office pulls after its grant expired on W10), PA-03 (it receives a group its grant
-- does not hold), EX-01 (a data sync pulls 2100 referred persons in one day).
INSERT INTO partners (id, name, kind, client_id, secret_sha256, secret_rotated_at, created_at)
SELECT scenario.uid('partner/' || x.k), x.name, x.kind, 'sc-ingent-' || x.k,
       encode(sha256(convert_to(x.k, 'UTF8')), 'hex'), now() - interval '300 days', now() - interval '300 days'
  FROM (VALUES ('housing', 'Sociaal Wonen Gent', 'housing'),
               ('sync', 'OCMW Gent gegevensuitwisseling', 'social_welfare')) x(k, name, kind);
INSERT INTO partner_grants (id, partner_id, controller_id, field_groups, purpose, legal_basis,
                            valid_from, valid_to, created_at)
VALUES (scenario.uid('grant/housing'), scenario.uid('partner/housing'), 4, '{identification,contact}',
        'housing_support', 'protocol sociale huisvesting', now() - interval '200 days',
        scenario.local(scenario.wd(10), '00:00'), now() - interval '200 days'),
       (scenario.uid('grant/sync'), scenario.uid('partner/sync'), 4, '{identification,contact,situation}',
        'social_support', 'protocol OCMW', now() - interval '200 days', now() + interval '200 days',
        now() - interval '200 days');
INSERT INTO referrals (id, controller_id, person_id, partner_id, purpose, created_by, created_at)
SELECT scenario.uid(format('referral/%s/%s', x.k, g.n)), 4, scenario.arch(4::smallint, g.n),
       scenario.uid('partner/' || x.k), x.purpose, co.user_id, now() - interval '150 days'
  FROM (VALUES ('housing', 'housing_support', 10, 14), ('sync', 'social_support', 501, 2600)) x(k, purpose, lo, hi)
 CROSS JOIN LATERAL generate_series(x.lo, x.hi) g(n)
  JOIN scenario.staff co ON co.ctl = 4 AND co.team_no = 1 AND co.role = 'coordinator';
INSERT INTO referrals (id, controller_id, person_id, partner_id, purpose, created_by, created_at)
SELECT scenario.uid('referral/social5'), 4, scenario.arch(4::smallint, 5), pa.partner_id, pa.purpose,
       co.user_id, now() - interval '60 days'
  FROM scenario.partners pa
  JOIN scenario.staff co ON co.ctl = 4 AND co.team_no = 1 AND co.role = 'coordinator'
 WHERE pa.ctl = 4 AND pa.kind = 'social_welfare' AND pa.o = 1;

CREATE FUNCTION scenario.pull(p_partner uuid, p_person uuid, p_at timestamptz, p_purpose text,
                              p_rid text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                  purpose, reason, request_id, partner_id)
  VALUES (p_at, 4, NULL, p_person, 'disclosure', '{identification,contact}', p_purpose,
          'referral_grant', p_rid, p_partner);
  INSERT INTO disclosures (at, controller_id, person_id, partner_id, grant_id, field_groups,
                           purpose, legal_basis, request_id)
  SELECT p_at, 4, p_person, p_partner, g.id, '{identification,contact}', p_purpose, g.legal_basis, p_rid
    FROM partner_grants g WHERE g.partner_id = p_partner AND g.controller_id = 4
   ORDER BY g.purpose = p_purpose DESC LIMIT 1;
$$;
SELECT scenario.pull(pa.partner_id, scenario.arch(4::smallint, 3), scenario.local(scenario.wd(3), '10:05'),
                     pa.purpose, md5('pa01'))
  FROM scenario.partners pa WHERE pa.ctl = 4 AND pa.kind = 'employment' AND pa.o = 1;
INSERT INTO scenario.planted
SELECT 'PA-01', NULL, pa.partner_id, scenario.arch(4::smallint, 3), 'pull of a person never referred to it (W3)'
  FROM scenario.partners pa WHERE pa.ctl = 4 AND pa.kind = 'employment' AND pa.o = 1;
SELECT scenario.pull(pa.partner_id, scenario.arch(4::smallint, 5), scenario.local(scenario.wd(5), '10:30'),
                     'employment_guidance', md5('pa02-purpose'))
  FROM scenario.partners pa WHERE pa.ctl = 4 AND pa.kind = 'social_welfare' AND pa.o = 1;
INSERT INTO scenario.planted
SELECT 'PA-02', NULL, pa.partner_id, scenario.arch(4::smallint, 5),
       'pull for a purpose without a grant (employment_guidance; referred for social_support) (W5)'
  FROM scenario.partners pa WHERE pa.ctl = 4 AND pa.kind = 'social_welfare' AND pa.o = 1;
SELECT scenario.pull(scenario.uid('partner/housing'), scenario.arch(4::smallint, i),
                     scenario.local(scenario.wd(14), '10:00') + i * interval '3 ms', 'housing_support',
                     md5('housing-w14'))
  FROM generate_series(10, 14) i;
SELECT scenario.pull(scenario.uid('partner/housing'), scenario.arch(4::smallint, 10),
                     scenario.local(scenario.wd(4), '10:00'), 'housing_support', md5('housing-w4'));
INSERT INTO scenario.planted VALUES ('PA-02', NULL, scenario.uid('partner/housing'),
  scenario.arch(4::smallint, 10), 'pull after the grant expired on W10 (W4)');
-- PA-03 (ingent): on W12, while its grant of {identification, contact} is in force, the housing
-- office receives {identification, contact, situation} of a person referred to it.
INSERT INTO scenario.log_stage (at, controller_id, user_id, person_id, action, field_groups,
                                purpose, reason, request_id, partner_id)
VALUES (scenario.local(scenario.wd(12), '10:00'), 4, NULL, scenario.arch(4::smallint, 11), 'disclosure',
        '{identification,contact,situation}', 'housing_support', 'referral_grant', md5('housing-w12'),
        scenario.uid('partner/housing'));
INSERT INTO scenario.planted VALUES ('PA-03', NULL, scenario.uid('partner/housing'),
  scenario.arch(4::smallint, 11), 'pull of a group outside the grant (situation) while it was in force (W12)');
SELECT scenario.pull(scenario.uid('partner/sync'), scenario.arch(4::smallint, i),
                     scenario.local(scenario.wd(2), '09:00') + i * interval '5 ms', 'social_support',
                     md5('sync-w2'))
  FROM generate_series(501, 2600) i;
INSERT INTO scenario.planted VALUES ('EX-01', NULL, scenario.uid('partner/sync'), NULL,
  '2100 distinct persons pulled in one day (W2)');

-- ---- into the log, in time order ---------------------------------------------------------------

-- The log's secondary indexes are dropped for the load and built again from their definitions
-- in the catalogue (whatever the migrations made): at 10 million rows, building them once is
-- minutes faster than keeping them up to date row by row. access_log is locked meanwhile.
SELECT crt_access_log_ensure_partitions(now() - interval '1 month', 2);
CREATE TEMP TABLE log_indexes AS
SELECT i.indexrelid::regclass::text AS name,
       replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') AS def
  FROM pg_index i WHERE i.indrelid = 'access_log'::regclass AND NOT i.indisprimary;
SELECT format('DROP INDEX %s', name) FROM log_indexes \gexec
INSERT INTO access_log (at, controller_id, user_id, person_id, action, field_groups, purpose,
                        outcome, reason, request_id, partner_id)
SELECT at, controller_id, user_id, person_id, action, field_groups, purpose, outcome, reason,
       request_id, partner_id
  FROM scenario.log_stage ORDER BY at, request_id, person_id, action;
SELECT def FROM log_indexes \gexec

INSERT INTO scenario.normal_users
SELECT s.user_id FROM scenario.staff s
 WHERE s.kind IN ('team', 'dpo')
   AND s.user_id NOT IN (SELECT user_id FROM scenario.actors)
   AND s.user_id NOT IN (SELECT user_id FROM scenario.planted WHERE user_id IS NOT NULL);

DROP TABLE scenario.log_stage, scenario.visits;
COMMIT;

ANALYZE;
\o
