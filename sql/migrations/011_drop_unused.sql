-- 011: crt_partner_may_see() served the persons policy until 010 replaced it with the
-- set-based crt_partner_referrals(); nothing calls it any more.
DROP FUNCTION crt_partner_may_see(uuid);
