-- 007: one active referral per person, partner and purpose (a partner never receives a person
-- twice), and a partner's tokens end when its secret is rotated.

CREATE UNIQUE INDEX referrals_one_active ON referrals (person_id, partner_id, purpose)
  WHERE ended_at IS NULL;

DROP FUNCTION crt_partner_begin(uuid);
CREATE FUNCTION crt_partner_begin(p_partner uuid, p_issued_at bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partners WHERE id = p_partner AND disabled_at IS NULL
                    AND secret_rotated_at <= to_timestamp(p_issued_at + 1)) THEN
    RETURN false;
  END IF;
  PERFORM set_config('crt.partner_id', p_partner::text, true),
          set_config('crt.role', 'partner', true);
  RETURN true;
END $$;
GRANT CREATE ON SCHEMA public TO crt_auth;
ALTER FUNCTION crt_partner_begin(uuid, bigint) OWNER TO crt_auth;
REVOKE CREATE ON SCHEMA public FROM crt_auth;
REVOKE ALL ON FUNCTION crt_partner_begin(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crt_partner_begin(uuid, bigint) TO crt_api;
