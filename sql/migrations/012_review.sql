-- 012: crt-review — what the periodic access-log review needs: the inserting transaction of
-- every log row (seal membership), seals, findings, cases, DPO decisions, and the facts the
-- explanations and rules use (teams, working hours, holidays, staff names and addresses).

-- Seal membership: a row belongs to the seal whose [txid_from, txid_to) holds the id of the
-- transaction that inserted it. A seal's upper bound is the xmin of the sealing snapshot, so
-- every transaction below it has ended and the set of rows in a sealed range can never change
-- (no lock on the insert path). Existing rows get the migration's transaction id.
ALTER TABLE access_log ADD COLUMN txid bigint NOT NULL
  DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX access_log_txid ON access_log USING brin (txid) WITH (pages_per_range = 16);

-- One seal per crt-review run that found new committed rows. Append-only. The manifest (per
-- row: id and the first 16 bytes of the row's SHA-256, in id order) is in log_seal_blocks;
-- chain = SHA-256 of the seal statement (which names the manifest digest and prev_chain), and
-- signature is Ed25519 over the chain with a key the database never sees.
CREATE TABLE log_seals (
  id              bigint PRIMARY KEY CHECK (id >= 1),
  prev_id         bigint UNIQUE REFERENCES log_seals(id),
  txid_from       bigint NOT NULL,
  txid_to         bigint NOT NULL CHECK (txid_to >= txid_from),
  row_count       bigint NOT NULL CHECK (row_count >= 0),
  first_row_id    bigint,
  last_row_id     bigint,
  manifest_sha256 text NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  prev_chain      text NOT NULL CHECK (prev_chain ~ '^[0-9a-f]{64}$'),
  chain           text NOT NULL CHECK (chain ~ '^[0-9a-f]{64}$'),
  key_id          text NOT NULL,
  signature       text NOT NULL,
  sealed_at       timestamptz NOT NULL,
  CHECK ((id = 1) = (prev_id IS NULL))
);
CREATE TABLE log_seal_blocks (
  seal_id  bigint NOT NULL REFERENCES log_seals(id) DEFERRABLE INITIALLY DEFERRED,
  block_no integer NOT NULL CHECK (block_no >= 0),
  manifest bytea NOT NULL,
  PRIMARY KEY (seal_id, block_no)
);
CREATE TRIGGER log_seals_append_only BEFORE UPDATE OR DELETE ON log_seals
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
CREATE TRIGGER log_seal_blocks_append_only BEFORE UPDATE OR DELETE ON log_seal_blocks
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();

-- Facts for explanations and rules.
ALTER TABLE staff_users ADD COLUMN team text CHECK (length(team) BETWEEN 1 AND 100);
ALTER TABLE staff_users ADD COLUMN family_name text CHECK (length(family_name) BETWEEN 1 AND 100);
ALTER TABLE staff_users ADD COLUMN home_street text CHECK (length(home_street) <= 200);
ALTER TABLE staff_users ADD COLUMN home_number text CHECK (length(home_number) <= 20);
ALTER TABLE staff_users ADD COLUMN home_postcode text CHECK (home_postcode ~ '^[1-9][0-9]{3}$');
ALTER TABLE controllers ADD COLUMN work_start time NOT NULL DEFAULT '07:30';
ALTER TABLE controllers ADD COLUMN work_end time NOT NULL DEFAULT '19:00';
ALTER TABLE controllers ADD COLUMN work_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5}'
  CHECK (work_days <@ '{1,2,3,4,5,6,7}');
ALTER TABLE controllers ADD CONSTRAINT controllers_work_hours CHECK (work_end > work_start);
CREATE TABLE controller_holidays (
  controller_id smallint NOT NULL REFERENCES controllers(id),
  day           date NOT NULL,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  PRIMARY KEY (controller_id, day)
);
-- A person flagged as protected (a colleague's relative, a public figure): every access to it
-- is reviewed.
ALTER TABLE persons ADD COLUMN protected_at timestamptz;

-- What the review has learnt so far about each (user or partner, person) pair: when it was first
-- seen and when it was last explained. Makes "first access" and "repeat of an explained access"
-- cheap without re-reading the whole log.
CREATE TABLE review_pairs (
  controller_id     smallint NOT NULL REFERENCES controllers(id),
  actor_id          uuid NOT NULL,            -- staff user or partner
  person_id         uuid NOT NULL,
  first_at          timestamptz NOT NULL,
  last_at           timestamptz NOT NULL,
  last_explained_at timestamptz,
  PRIMARY KEY (actor_id, person_id)
);

-- A run: the rows of one seal, reviewed once (UNIQUE seal_id makes a second run a no-op).
CREATE TABLE review_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seal_id     bigint NOT NULL UNIQUE REFERENCES log_seals(id),
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  log_rows    bigint NOT NULL DEFAULT 0
);
-- What a controller's DPO sees of a run ("a review").
CREATE TABLE reviews (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id           bigint NOT NULL REFERENCES review_runs(id),
  controller_id    smallint NOT NULL REFERENCES controllers(id),
  window_from      timestamptz,               -- earliest and latest access reviewed
  window_to        timestamptz,
  log_rows         bigint NOT NULL DEFAULT 0,
  accesses         bigint NOT NULL DEFAULT 0, -- allowed accesses to a person (searches aside)
  explained        bigint NOT NULL DEFAULT 0,
  first_accesses   bigint NOT NULL DEFAULT 0,
  first_explained  bigint NOT NULL DEFAULT 0,
  denied           bigint NOT NULL DEFAULT 0,
  searches         bigint NOT NULL DEFAULT 0,
  by_explanation   jsonb NOT NULL DEFAULT '{}',
  findings_new     integer NOT NULL DEFAULT 0,
  findings_updated integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (run_id, controller_id)
);
CREATE INDEX reviews_controller ON reviews (controller_id, id);
-- The explained share per user in a review (first accesses apart).
CREATE TABLE review_user_stats (
  review_id       bigint NOT NULL REFERENCES reviews(id),
  controller_id   smallint NOT NULL REFERENCES controllers(id),
  actor_id        uuid NOT NULL,
  actor_kind      text NOT NULL CHECK (actor_kind IN ('staff', 'partner')),
  accesses        bigint NOT NULL,
  explained       bigint NOT NULL,
  first_accesses  bigint NOT NULL,
  first_explained bigint NOT NULL,
  PRIMARY KEY (review_id, actor_id)
);

-- Findings about one user or partner are grouped into a case with a plain-language narrative.
CREATE TABLE review_cases (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  user_id       uuid REFERENCES staff_users(id),
  partner_id    uuid REFERENCES partners(id),
  narrative     text NOT NULL DEFAULT '',
  opened_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  closed_at     timestamptz,                  -- every finding decided
  CHECK ((user_id IS NULL) <> (partner_id IS NULL))
);
CREATE UNIQUE INDEX review_cases_open_user ON review_cases (controller_id, user_id)
  WHERE closed_at IS NULL AND user_id IS NOT NULL;
CREATE UNIQUE INDEX review_cases_open_partner ON review_cases (controller_id, partner_id)
  WHERE closed_at IS NULL AND partner_id IS NOT NULL;

-- A finding: one rule, one subject, one pattern (dedup_key), with its evidence. A later run
-- that sees the same pattern updates it (occurrences, last_review_id, evidence) instead of
-- adding another.
CREATE TABLE review_findings (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id   smallint NOT NULL REFERENCES controllers(id),
  rule_id         text NOT NULL CHECK (rule_id ~ '^[A-Z]+-[0-9]{2}$'),
  severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  dedup_key       text NOT NULL,
  user_id         uuid REFERENCES staff_users(id),
  partner_id      uuid REFERENCES partners(id),
  person_id       uuid,
  first_review_id bigint NOT NULL REFERENCES reviews(id),
  last_review_id  bigint NOT NULL REFERENCES reviews(id),
  case_id         bigint REFERENCES review_cases(id),
  first_at        timestamptz NOT NULL,           -- the accesses it is about
  last_at         timestamptz NOT NULL,
  occurrences     integer NOT NULL DEFAULT 1,     -- runs that saw the pattern
  summary         text NOT NULL,
  evidence        jsonb NOT NULL,                 -- log row ids, counts, thresholds
  decision        text CHECK (decision IN ('justified', 'violation', 'follow_up')),
  decision_id     bigint,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (controller_id, dedup_key)
);
CREATE INDEX review_findings_review ON review_findings (controller_id, last_review_id);
CREATE INDEX review_findings_first ON review_findings (controller_id, first_review_id);
CREATE INDEX review_findings_open ON review_findings (controller_id) WHERE decision IS NULL;

-- Every DPO decision, append-only: a finding's decision changes only by a new row that names
-- the one it replaces, so no decision is silently changed.
CREATE TABLE review_decisions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  controller_id smallint NOT NULL REFERENCES controllers(id),
  finding_id    bigint NOT NULL REFERENCES review_findings(id),
  decision      text NOT NULL CHECK (decision IN ('justified', 'violation', 'follow_up')),
  note          text NOT NULL CHECK (length(note) BETWEEN 3 AND 2000),
  decided_by    uuid NOT NULL REFERENCES staff_users(id),
  decided_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  replaces      bigint UNIQUE REFERENCES review_decisions(id),
  request_id    text NOT NULL
);
CREATE INDEX review_decisions_finding ON review_decisions (finding_id, id);
CREATE TRIGGER review_decisions_append_only BEFORE UPDATE OR DELETE ON review_decisions
  FOR EACH ROW EXECUTE FUNCTION crt_refuse_change();
ALTER TABLE review_findings ADD CONSTRAINT review_findings_decision_fk
  FOREIGN KEY (decision_id) REFERENCES review_decisions(id);

-- Row-level security: a controller's DPO reads its own reviews, findings, cases, decisions;
-- the review job (crt_review) reads and writes every controller's.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['reviews', 'review_user_stats', 'review_cases', 'review_findings',
                           'review_decisions', 'controller_holidays', 'review_pairs']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY review_job ON %I TO crt_review USING (true) WITH CHECK (true)', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['reviews', 'review_user_stats', 'review_cases', 'review_findings',
                           'review_decisions']
  LOOP
    EXECUTE format('CREATE POLICY dpo_reads ON %I FOR SELECT TO crt_api
                      USING (controller_id = (SELECT crt_current_controller())
                             AND (SELECT crt_current_role()) = ''dpo'')', t);
  END LOOP;
END $$;
CREATE POLICY dpo_decides ON review_decisions FOR INSERT TO crt_api
  WITH CHECK (controller_id = (SELECT crt_current_controller())
              AND (SELECT crt_current_role()) = 'dpo'
              AND decided_by = (SELECT crt_current_user()));
CREATE POLICY dpo_updates ON review_findings FOR UPDATE TO crt_api
  USING (controller_id = (SELECT crt_current_controller()) AND (SELECT crt_current_role()) = 'dpo')
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
CREATE POLICY dpo_updates ON review_cases FOR UPDATE TO crt_api
  USING (controller_id = (SELECT crt_current_controller()) AND (SELECT crt_current_role()) = 'dpo')
  WITH CHECK (controller_id = (SELECT crt_current_controller()));
CREATE POLICY controller_isolation ON controller_holidays
  USING (controller_id = (SELECT crt_current_controller()))
  WITH CHECK (controller_id = (SELECT crt_current_controller()));

-- The review job reads everything it explains with (all controllers: it is the operator's job,
-- and it writes only findings), and writes seals and findings. No UPDATE/DELETE on the log.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['access_log', 'staff_users', 'persons', 'households',
                           'trajectory_entries', 'person_rectifications', 'case_assignments',
                           'break_glass', 'partner_grants', 'referrals', 'disclosures',
                           'login_events']
  LOOP
    EXECUTE format('CREATE POLICY review_job_reads ON %I FOR SELECT TO crt_review USING (true)', t);
  END LOOP;
END $$;
GRANT USAGE ON SCHEMA public TO crt_review;
GRANT SELECT ON access_log, staff_users, persons, households, trajectory_entries,
  person_rectifications, case_assignments, break_glass, partner_grants, referrals, disclosures,
  login_events, partners, controllers, roles, log_seals, log_seal_blocks TO crt_review;
GRANT INSERT ON log_seals, log_seal_blocks TO crt_review;
GRANT SELECT, INSERT, UPDATE ON review_runs, reviews, review_user_stats, review_cases,
  review_findings, review_pairs TO crt_review;
GRANT SELECT ON review_decisions, controller_holidays TO crt_review;

-- The DPO through crt-api: read reviews, decide findings (decision columns only).
GRANT SELECT ON reviews, review_user_stats, review_cases, review_findings, review_decisions,
  controller_holidays TO crt_api;
GRANT INSERT ON review_decisions TO crt_api;
GRANT UPDATE (decision, decision_id, updated_at) ON review_findings TO crt_api;
GRANT UPDATE (closed_at, updated_at) ON review_cases TO crt_api;

-- New log actions used by the rules (exports arrive with the rights of the person).
ALTER TABLE access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_action_check CHECK (action IN (
  'create', 'read', 'update', 'search', 'trajectory_read', 'trajectory_write', 'household_read',
  'household_write', 'history_read', 'break_glass', 'assignment_write', 'assignment_read',
  'referral_write', 'referral_read', 'disclosure', 'duplicate_check', 'transfer_out',
  'transfer_in', 'audit_read', 'review_read', 'review_decide', 'export'));
