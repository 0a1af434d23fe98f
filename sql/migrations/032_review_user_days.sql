-- 032: review_user_days — the distinct persons each staff user opened per local day of the
-- controller, as the review counted them (issue 16 item 9, D65).
-- The volume rule (VO-01) compares a day with the user's own previous 30 days and with the
-- controller's other users over those days. Each run used to count those 31 days again from the
-- log: an hourly run over a month of 9 million rows read most of them, and hashed 4.5 million
-- (user, day, person) groups, to review one hour. crt-review now keeps each day's count here,
-- recounts from the log only the user days its seal has rows of (and, once after this
-- migration, the whole window), and reads the rest here (services/review/days.c). Written only by
-- crt-review in the review's transaction; rows older than the volume rule can read are deleted
-- by it.
CREATE TABLE review_user_days (
  controller_id smallint NOT NULL,
  d             date NOT NULL,      -- local day of the controller's time zone
  user_id       uuid NOT NULL,
  persons       integer NOT NULL CHECK (persons > 0),
  PRIMARY KEY (controller_id, d, user_id)
);
ALTER TABLE review_user_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_user_days FORCE ROW LEVEL SECURITY;
CREATE POLICY review_job ON review_user_days TO crt_review USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON review_user_days TO crt_review;

-- Per controller, the first day from which review_user_days holds every day: the days before it
-- (none yet after this migration) are counted from the log when a run's window reaches them.
CREATE TABLE review_user_days_since (
  controller_id smallint PRIMARY KEY,
  since         date NOT NULL
);
ALTER TABLE review_user_days_since ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_user_days_since FORCE ROW LEVEL SECURITY;
CREATE POLICY review_job ON review_user_days_since TO crt_review USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON review_user_days_since TO crt_review;
