-- 027: key rotation without downtime (issue 17 item 2, docs/operations.md "Rotating keys").
-- Which blind-index key computed a person's two indexes (NULL: not recorded, e.g. written before
-- this migration or mixed during a rotation), so that a re-index knows which rows are left; and
-- the progress of the background jobs of `crtctl keys rotate-data|rotate-blind`, committed in
-- the same transaction as each batch of rows, so that a job killed midway resumes where it
-- stopped. No personal data here: key ids, a cursor (an id) and counts.

ALTER TABLE persons ADD COLUMN bidx_key_id text;

CREATE TABLE key_jobs (
  kind              text PRIMARY KEY CHECK (kind IN ('data', 'blind')),
  target_key        text NOT NULL,           -- the key every row ends under (first of the ring)
  started_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  pass              int NOT NULL DEFAULT 1 CHECK (pass >= 1),
  cursor_table      text CHECK (cursor_table IN ('staff_credentials', 'persons')),
  cursor_controller smallint REFERENCES controllers(id),
  cursor_id         uuid,                    -- last row done in that table and controller
  rows_done         bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0)
);
REVOKE ALL ON key_jobs FROM PUBLIC;
