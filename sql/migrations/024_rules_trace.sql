-- 024: what issue 15's traced rules need of the schema — the review job reads staff sessions
-- for SH-01 (an account in use from two networks at once, or in too many sessions at once:
-- AanZien 12.1, personal and non-transferable accounts), and a request whose identity was
-- checked 'other'wise says how (its details), as the API requires.

-- The network of a session's client address (IPv4 /24, IPv6 /48), never the address: what the
-- review compares and the only form in which it shows (as a short hash). An address that does
-- not parse is its own network.
CREATE FUNCTION crt_ip_network(p_ip text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp
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
REVOKE ALL ON FUNCTION crt_ip_network(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_ip_network(text) TO crt_review;

-- The review job reads when each session of every controller was in use and from where; not
-- its cookie hash, second factors or user agent.
CREATE POLICY review_job_reads ON sessions FOR SELECT TO crt_review USING (true);
GRANT SELECT (id, controller_id, user_id, created_at, expires_at, revoked_at, last_seen_at, ip)
  ON sessions TO crt_review;
CREATE INDEX sessions_user_activity ON sessions (user_id, last_seen_at);

-- Identity checked some 'other' way: the details say how. An erasure empties the details and
-- sets the tombstone, so an erased request keeps the rule. Earlier rows are not re-checked.
ALTER TABLE rights_requests ADD CONSTRAINT rights_requests_other_identity_described
  CHECK (identity_check <> 'other' OR details IS NOT NULL OR tombstone_id IS NOT NULL) NOT VALID;
