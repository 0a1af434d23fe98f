/* The SQL of crt-api: every statement prepared on each worker connection, by name. Parameters
 * only; the person column lists are generated from the field table in common/person.c. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "crt/audit.h"
#include "crt/person.h"

/* Access-log rows are written only by crt_log_access() (migration 020, D53); crt-api's
 * statements name the controller and user of the transaction's context (CRT_LOG_WHO). */
#define LOG_BY_CONTEXT "crt_log_access(" CRT_LOG_WHO ", NULL, "

static char person_read_sql[4096], person_lock_sql[4096], person_insert_sql[8192],
    person_update_sql[8192], partner_page_sql[8192], partner_one_sql[8192];
static char person_select_sql[4096]; /* the export's read of the record */

/* The register as the caller's controller sees it (migration 016): its own requests in full
 * from rights_requests, and the requests it received and forwarded as the forwarding records
 * of rights_request_forwards (no person, free text or decider). */
#define REQUEST_ROWS                                                                          \
    "SELECT id, number, kind, status, person_id, receiving_controller, owning_controller, "  \
    "received_on, identity_check, representative_name, representative_capacity, details, "   \
    "deadline, extension_months, extension_reason, person_told_on, due_on, decided_on, "      \
    "reasons, received_by, tombstone_id IS NOT NULL AS erased FROM rights_requests "          \
    "UNION ALL SELECT id, number, kind, status, NULL, receiving_controller, "                 \
    "owning_controller, received_on, NULL, NULL, NULL, NULL, deadline, 0, NULL, NULL, due_on, " \
    "decided_on, NULL, NULL, person_erased FROM rights_request_forwards"
/* A request of the register as h_requests.c reads it (enum R_* there); the last columns say
 * whether the caller sees it in full (a coordinator or the DPO of the owning controller) and
 * the days left until it is due. Who received it is shown only within one controller. */
#define REQUEST_SELECT                                                                        \
    "SELECT r.id::text, r.number, r.kind, r.status, r.person_id::text, rc.code, oc.code, "    \
    "r.received_on::text, r.identity_check, r.representative_name, "                          \
    "r.representative_capacity, r.details, r.deadline::text, r.extension_months, "            \
    "r.extension_reason, r.person_told_on::text, r.due_on::text, "                            \
    "r.status = 'open' AND r.due_on < current_date, r.decided_on::text, r.reasons, "          \
    "CASE WHEN r.receiving_controller = r.owning_controller THEN r.received_by::text END, "   \
    "r.erased, r.owning_controller = crt_current_controller() "                               \
    "AND crt_current_role() IN ('coordinator', 'dpo'), r.due_on - current_date "              \
    "FROM (" REQUEST_ROWS ") r JOIN controllers rc ON rc.id = r.receiving_controller "        \
    "JOIN controllers oc ON oc.id = r.owning_controller "

/* A partner's pull: persons with an active referral to the partner and an active,
 * unambiguous grant for the referral's purpose (RLS allows exactly these), with the grant's
 * field groups; a disclosure row and an access-log row per person in the same statement. */
#define PARTNER_PULL                                                                          \
    "WITH page AS (SELECT %s, r.controller_id AS ctl, r.purpose AS why, g.id AS gid, "        \
    "  g.field_groups AS groups, g.legal_basis AS basis, p.updated_at AS changed "            \
    "  FROM %s JOIN referrals r ON r.id = a.referral_id "                                   \
    "  JOIN partner_grants g ON g.id = a.gid JOIN persons p ON p.id = r.person_id "           \
    "  ORDER BY r.person_updated_at, r.person_id, r.purpose LIMIT %s), "                     \
    "d AS (INSERT INTO disclosures (controller_id, person_id, partner_id, grant_id, "         \
    "  field_groups, purpose, legal_basis, request_id) SELECT ctl, id::uuid, "                \
    "  crt_current_partner(), gid, groups, why, basis, $1 FROM page), "                       \
    "l AS (SELECT count(crt_log_access(page.ctl, NULL, "                                     \
    "  NULLIF(current_setting('crt.partner_id', true), '')::uuid, page.id::uuid, NULL, "     \
    "  'disclosure', page.groups, page.why, 'allowed', 'referral_grant', $1)) FROM page) "   \
    "SELECT page.*, array_to_json(groups)::text, "                                            \
    "to_char(changed AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM page, l"

/* The partners told of a correction or erasure under a request, as a JSON array (migration
 * 023); completed by the condition on rr.request. */
#define RECIPIENTS_JSON                                                                       \
    "SELECT COALESCE(json_agg(json_build_object('partner', pa.name, 'kind', rr.kind, "        \
    "'field_groups', rr.field_groups, 'notified_at', rr.notified_at) "                        \
    "ORDER BY pa.name, rr.kind), '[]') FROM request_recipients rr "                            \
    "JOIN partners pa ON pa.id = rr.partner_id WHERE "

/* The hot path: the database's need-to-know facts, the read (through RLS) and its access-log
 * row in one statement: allowed (with the database's reason), denied (in this controller but
 * no need to know) or not_found. $1 id, $2 groups returned, $3 purpose, $4 request id. */
static void build(void)
{
    snprintf(person_read_sql, sizeof person_read_sql,
             "WITH a AS (SELECT * FROM crt_access($1::uuid)), "
             "o AS (SELECT crt_objection($1::uuid, $3, false) AS ob), "
             "p AS (SELECT %s FROM persons WHERE id = $1::uuid AND NOT (SELECT ob FROM o)), "
             "l AS (SELECT " LOG_BY_CONTEXT "$1::uuid, NULL, "
             "'read', CASE WHEN f THEN $2::text[] ELSE '{}' END, $3, "
             "CASE WHEN f THEN 'allowed' WHEN e THEN 'denied' ELSE 'not_found' END, "
             "CASE WHEN f THEN (SELECT reason FROM a) "
             "WHEN e AND ob AND (SELECT reason FROM a) IS NOT NULL THEN 'objection' "
             "WHEN e THEN 'no_need_to_know' END, $4) "
             "FROM (SELECT EXISTS (SELECT 1 FROM p) AS f, EXISTS (SELECT 1 FROM a) AS e, "
             "(SELECT ob FROM o) AS ob) x) "
             "SELECT a.restricted, a.created_by::text, a.age_s, a.window_days, a.assigned, "
             "a.break_glass, a.reason, a.created_by IS NOT NULL, p.id IS NOT NULL, p.*, "
             "(SELECT ob FROM o) AND a.reason IS NOT NULL "
             "FROM l, (SELECT 1) one LEFT JOIN a ON true LEFT JOIN p ON true",
             person_sql_columns());
    snprintf(person_lock_sql, sizeof person_lock_sql,
             "SELECT %s FROM persons WHERE id = $1::uuid FOR UPDATE", person_sql_columns());
    snprintf(person_select_sql, sizeof person_select_sql,
             "SELECT %s FROM persons WHERE id = $1::uuid", person_sql_columns());
    snprintf(person_insert_sql, sizeof person_insert_sql, "%s RETURNING %s", person_sql_insert(),
             person_sql_columns());
    snprintf(person_update_sql, sizeof person_update_sql, "%s RETURNING %s", person_sql_update(),
             person_sql_columns());
    /* $1 request id, then page: $2 changed_since, $3/$4 cursor (updated_at, id), $5 limit;
     * one person: $2 id. */
    snprintf(partner_page_sql, sizeof partner_page_sql, PARTNER_PULL, person_sql_columns_p(),
             "crt_partner_page($2::timestamptz, $3::timestamptz, $4::uuid, $6, $5::int) "
             "a (referral_id, gid)",
             "$5::int");
    snprintf(partner_one_sql, sizeof partner_one_sql, PARTNER_PULL, person_sql_columns_p(),
             "(SELECT x.id AS referral_id, crt_partner_referral_grant(x.id) AS gid "
             "FROM referrals x WHERE x.person_id = $2::uuid "
             "AND x.partner_id = (SELECT crt_current_partner()) AND x.ended_at IS NULL) a",
             "1");
}

/* The DPO's reviews (h_reviews.c): the columns of one review, in h_reviews.c's order; shares
 * are NULL when nothing was counted. */
#define REVIEW_SELECT                                                                      \
    "SELECT r.id, r.run_id, to_json(r.window_from) #>> '{}', "                             \
    "to_json(r.window_to) #>> '{}', r.log_rows, r.accesses, r.explained, "                 \
    "round(r.explained::numeric / NULLIF(r.accesses, 0), 4), "                             \
    "r.first_accesses, r.first_explained, "                                                \
    "round(r.first_explained::numeric / NULLIF(r.first_accesses, 0), 4), "                 \
    "r.denied, r.searches, r.by_explanation::text, r.findings_new, r.findings_updated, "   \
    "(SELECT count(*) FROM review_findings f WHERE f.controller_id = r.controller_id "    \
    "AND f.last_review_id = r.id AND f.decision IS NULL), to_json(r.created_at) #>> '{}', " \
    "(SELECT COALESCE(json_object_agg(x.rule_id, x.n), '{}')::text FROM (SELECT f.rule_id, " \
    "count(*) AS n FROM review_findings f WHERE f.controller_id = r.controller_id "         \
    "AND f.first_review_id = r.id GROUP BY f.rule_id) x) "                                  \
    "FROM reviews r "
/* One decision as JSON (d: review_decisions, u: its decider in staff_users). */
#define REVIEW_DECISION_JSON                                                               \
    "json_build_object('id', d.id, 'decision', d.decision, 'note', d.note, 'decided_by', " \
    "d.decided_by, 'decided_by_username', u.username, 'decided_at', d.decided_at, "        \
    "'replaces', d.replaces)"

static struct db_stmt stmts[] = {
    AUDIT_STMT_INSERT,
    /* One access-log row per person of a result: $1 uuid[] (empty: one row without person),
     * $2 action, $3 groups, $4 purpose, $5 reason, $6 request id. */
    {"audit_insert_many",
     "SELECT count(" LOG_BY_CONTEXT "u, NULL, $2, $3::text[], $4, 'allowed', $5, $6)) "
     "FROM unnest(CASE WHEN cardinality($1::uuid[]) = 0 "
     "THEN ARRAY[NULL]::uuid[] ELSE $1::uuid[] END) AS u"},
    {"ping", "SELECT 1"},
    /* ---- authentication (h_auth.c, h_admin.c) ---- */
    {"auth_lookup",
     "SELECT user_id::text, controller_id, role, disabled, password_hash, locked, totp_active "
     "FROM crt_auth_login_lookup($1)"},
    {"auth_challenge",
     "SELECT challenge_id::text, controller_id, user_id::text, kind FROM crt_auth_challenge($1)"},
    {"auth_event_global", "SELECT crt_auth_event($1::smallint, $2::uuid, $3, $4, $5, $6)"},
    {"auth_event",
     "INSERT INTO login_events (controller_id, user_id, actor_id, event, outcome, ip, request_id) "
     "VALUES (crt_current_controller(), $1::uuid, NULLIF($2, '')::uuid, $3, $4, $5, $6)"},
    /* The credential row, locked for the whole check (counters, replay step). */
    {"cred_lock",
     "SELECT c.failed_passwords, c.failed_codes, COALESCE(c.locked_until > now(), false), "
     "encode(c.totp_sealed, 'hex'), c.totp_key_id, c.totp_confirmed_at IS NOT NULL, "
     "c.totp_last_step, u.role, u.disabled_at IS NOT NULL, u.username "
     "FROM staff_credentials c JOIN staff_users u ON u.id = c.user_id "
     "WHERE c.user_id = $1::uuid FOR UPDATE OF c"},
    {"cred_hash", "SELECT password_hash FROM staff_credentials WHERE user_id = $1::uuid"},
    {"cred_password_ok",
     "UPDATE staff_credentials SET failed_passwords = 0, updated_at = now(), "
     "password_hash = COALESCE($2, password_hash) WHERE user_id = $1::uuid"},
    {"cred_password_fail",
     "UPDATE staff_credentials SET failed_passwords = failed_passwords + 1, updated_at = now() "
     "WHERE user_id = $1::uuid RETURNING failed_passwords"},
    {"cred_code_ok",
     "UPDATE staff_credentials SET failed_codes = 0, lockouts = 0, updated_at = now(), "
     "totp_last_step = GREATEST(totp_last_step, $2::bigint) WHERE user_id = $1::uuid"},
    {"cred_code_fail",
     "UPDATE staff_credentials SET failed_codes = failed_codes + 1, updated_at = now() "
     "WHERE user_id = $1::uuid RETURNING failed_codes"},
    /* Lock with growing delays (1, 5, 15, 60, 240 minutes); outstanding tokens die with it. */
    {"cred_lockout",
     "WITH dead AS (UPDATE auth_challenges SET used_at = now() "
     "  WHERE user_id = $1::uuid AND used_at IS NULL) "
     "UPDATE staff_credentials SET lockouts = lockouts + 1, failed_passwords = 0, "
     "failed_codes = 0, updated_at = now(), locked_until = now() + make_interval(mins => "
     "(ARRAY[1, 5, 15, 60, 240])[LEAST(lockouts + 1, 5)]) WHERE user_id = $1::uuid"},
    {"cred_totp_pending",
     "UPDATE staff_credentials SET totp_sealed = decode($2, 'hex'), totp_key_id = $3, "
     "totp_confirmed_at = NULL, totp_last_step = -1, updated_at = now() "
     "WHERE user_id = $1::uuid"},
    {"cred_totp_confirm",
     "UPDATE staff_credentials SET totp_confirmed_at = now(), totp_last_step = $2::bigint, "
     "failed_codes = 0, lockouts = 0, updated_at = now() WHERE user_id = $1::uuid"},
    {"cred_totp_clear",
     "WITH s AS (UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid "
     "  AND revoked_at IS NULL), "
     "c AS (UPDATE auth_challenges SET used_at = now() WHERE user_id = $1::uuid "
     "  AND used_at IS NULL), "
     "r AS (UPDATE recovery_codes SET used_at = now() WHERE user_id = $1::uuid "
     "  AND used_at IS NULL) "
     "UPDATE staff_credentials SET totp_sealed = NULL, totp_key_id = NULL, "
     "totp_confirmed_at = NULL, totp_last_step = -1, updated_at = now() WHERE user_id = $1::uuid"},
    {"challenge_insert",
     "INSERT INTO auth_challenges (token_sha256, controller_id, user_id, kind, expires_at) "
     "VALUES ($1, crt_current_controller(), $2::uuid, $3, now() + make_interval(secs => $4::int))"},
    {"challenge_use",
     "UPDATE auth_challenges SET used_at = now() WHERE id = $1::uuid AND used_at IS NULL "
     "RETURNING 1"},
    {"session_insert",
     "INSERT INTO sessions (controller_id, user_id, role, amr, expires_at, ip) VALUES "
     "(crt_current_controller(), $1::uuid, $2, '{pwd,otp}', "
     "now() + make_interval(secs => $3::int), $4) "
     "RETURNING id::text, extract(epoch FROM created_at)::bigint, "
     "extract(epoch FROM expires_at)::bigint"},
    {"session_revoke",
     "UPDATE sessions SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL"},
    /* ---- browser sessions (h_sessions.c): the cookie's hash only; idle timeout ---- */
    {"cookie_session",
     "SELECT session_id::text, controller_id, user_id::text, role, state "
     "FROM crt_cookie_session($1)"},
    {"session_insert_web",
     "INSERT INTO sessions (controller_id, user_id, role, amr, expires_at, ip, cookie_sha256, "
     "idle_timeout_s, user_agent) VALUES (crt_current_controller(), $1::uuid, $2, "
     "'{pwd,otp}', now() + make_interval(secs => $3::int), $4, $5, $6::int, $7) "
     "RETURNING id::text, to_json(expires_at) #>> '{}'"},
    {"session_current",
     "SELECT to_json(s.expires_at) #>> '{}', s.idle_timeout_s, "
     "to_json(s.last_seen_at + make_interval(secs => s.idle_timeout_s)) #>> '{}', "
     "u.username, u.display_name, u.role, c.code FROM sessions s "
     "JOIN staff_users u ON u.id = s.user_id JOIN controllers c ON c.id = u.controller_id "
     "WHERE s.id = $1::uuid"},
    {"sessions_list",
     "SELECT id::text, to_json(created_at) #>> '{}', to_json(last_seen_at) #>> '{}', "
     "to_json(expires_at) #>> '{}', ip, user_agent, id = $2::uuid FROM sessions "
     "WHERE user_id = $1::uuid AND revoked_at IS NULL AND expires_at > now() "
     "AND (idle_timeout_s IS NULL OR last_seen_at + make_interval(secs => idle_timeout_s) > now()) "
     "ORDER BY created_at DESC, id LIMIT 200"},
    {"sessions_revoke_others",
     "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND id <> $2::uuid "
     "AND revoked_at IS NULL"},
    {"session_revoke_own",
     "UPDATE sessions SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1::uuid "
     "AND user_id = $2::uuid RETURNING 1"},
    {"sessions_revoke_user",
     "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid AND revoked_at IS NULL"},
    {"cred_password_set",
     "UPDATE staff_credentials SET password_hash = $2, failed_passwords = 0, updated_at = now() "
     "WHERE user_id = $1::uuid"},
    {"recovery_replace",
     "WITH old AS (UPDATE recovery_codes SET used_at = now() WHERE user_id = $1::uuid "
     "  AND used_at IS NULL) "
     "INSERT INTO recovery_codes (controller_id, user_id, code_sha256) "
     "SELECT crt_current_controller(), $1::uuid, h FROM unnest($2::text[]) AS h"},
    {"recovery_use",
     "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1::uuid "
     "AND code_sha256 = $2 AND used_at IS NULL RETURNING id"},
    /* ---- account administration within the caller's controller ---- */
    {"admin_users",
     "SELECT u.id::text, u.username, u.display_name, u.role, u.disabled_at IS NOT NULL, "
     "COALESCE(c.locked_until > now(), false), c.totp_confirmed_at IS NOT NULL, "
     "to_json(u.created_at) #>> '{}' FROM staff_users u "
     "LEFT JOIN staff_credentials c ON c.user_id = u.id ORDER BY u.username"},
    {"admin_user_insert",
     "WITH u AS (INSERT INTO staff_users (controller_id, username, display_name, role) "
     "  VALUES (crt_current_controller(), $1, $2, $3) RETURNING id), "
     "c AS (INSERT INTO staff_credentials (user_id, controller_id, password_hash) "
     "  SELECT id, crt_current_controller(), $4 FROM u) "
     "SELECT id::text FROM u"},
    /* A disabled account or a changed role also ends its sessions, so re-enabling the account
     * or restoring the role later does not bring old tokens back. */
    {"admin_user_update",
     "WITH u AS (UPDATE staff_users SET role = COALESCE($2, role), "
     "  display_name = COALESCE($3, display_name), "
     "  disabled_at = CASE WHEN $4 = 'true' THEN COALESCE(disabled_at, now()) "
     "    WHEN $4 = 'false' THEN NULL ELSE disabled_at END "
     "  WHERE id = $1::uuid RETURNING id, role, disabled_at IS NOT NULL AS disabled), "
     "s AS (UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid "
     "  AND revoked_at IS NULL AND ($2 IS NOT NULL OR $4 = 'true')) "
     "SELECT role, disabled FROM u"},
    {"admin_user_exists", "SELECT 1 FROM staff_credentials WHERE user_id = $1::uuid"},
    {"admin_user_unlock",
     "UPDATE staff_credentials SET locked_until = NULL, lockouts = 0, failed_passwords = 0, "
     "failed_codes = 0, updated_at = now() WHERE user_id = $1::uuid RETURNING 1"},
    /* ---- the administrator console (h_admin.c, h_admin_partners.c; migration 022) ---- */
    {"admin_event",
     "INSERT INTO login_events (controller_id, user_id, actor_id, event, outcome, ip, "
     "request_id, subject) VALUES (crt_current_controller(), $1::uuid, crt_current_user(), $2, "
     "'success', $3, $4, $5)"},
    {"admin_user_state",
     "SELECT u.username, u.disabled_at IS NOT NULL FROM staff_users u WHERE u.id = $1::uuid"},
    /* A new enrolment link ends the user's earlier ones. */
    {"admin_invite",
     "WITH old AS (UPDATE auth_challenges SET used_at = now() WHERE user_id = $2::uuid "
     "  AND kind = 'invite' AND used_at IS NULL) "
     "INSERT INTO auth_challenges (token_sha256, controller_id, user_id, kind, expires_at) "
     "VALUES ($1, crt_current_controller(), $2::uuid, 'invite', "
     "now() + make_interval(secs => $3::int)) RETURNING to_json(expires_at) #>> '{}'"},
    {"invite_who",
     "SELECT u.username, u.display_name, c.name, to_json(a.expires_at) #>> '{}' "
     "FROM auth_challenges a JOIN staff_users u ON u.id = a.user_id "
     "JOIN controllers c ON c.id = u.controller_id WHERE a.id = $1::uuid"},
    {"admin_user_sessions",
     "SELECT id::text, to_json(created_at) #>> '{}', to_json(last_seen_at) #>> '{}', "
     "to_json(expires_at) #>> '{}', ip, user_agent, cookie_sha256 IS NOT NULL FROM sessions "
     "WHERE user_id = $1::uuid AND revoked_at IS NULL AND expires_at > now() "
     "AND (idle_timeout_s IS NULL OR last_seen_at + make_interval(secs => idle_timeout_s) > now()) "
     "ORDER BY created_at DESC, id LIMIT 200"},
    {"admin_partners",
     "SELECT p.id::text, p.client_id, p.name, p.kind, p.owner_controller IS NOT NULL, "
     "p.secret_version, to_json(p.secret_rotated_at) #>> '{}', to_json(p.disabled_at) #>> '{}', "
     "to_json(p.created_at) #>> '{}' FROM partners p "
     "WHERE p.owner_controller = crt_current_controller() "
     "OR (p.owner_controller IS NULL AND p.disabled_at IS NULL) ORDER BY p.name, p.id"},
    {"admin_partner_create", "SELECT crt_admin_partner_create($1, $2, $3, $4)::text"},
    {"admin_partner_secret", "SELECT crt_admin_partner_secret($1::uuid, $2)"},
    {"admin_partner_revoke", "SELECT crt_admin_partner_revoke($1::uuid)"},
    /* Grants of the controller with their disclosures; dates are days in Brussels (D41), the
     * last day inclusive. */
    {"admin_grants",
     "SELECT g.id::text, g.partner_id::text, p.name, p.client_id, "
     "array_to_json(g.field_groups)::text, g.purpose, g.legal_basis, "
     "(g.valid_from AT TIME ZONE 'Europe/Brussels')::date::text, "
     "((g.valid_to - interval '1 microsecond') AT TIME ZONE 'Europe/Brussels')::date::text, "
     "to_json(g.revoked_at) #>> '{}', COALESCE(d.n, 0), "
     "CASE WHEN g.revoked_at IS NOT NULL THEN 'ended' WHEN now() < g.valid_from THEN 'future' "
     "WHEN now() >= g.valid_to THEN 'expired' ELSE 'active' END "
     "FROM partner_grants g JOIN partners p ON p.id = g.partner_id "
     "LEFT JOIN (SELECT grant_id, count(*) AS n FROM disclosures GROUP BY grant_id) d "
     "ON d.grant_id = g.id WHERE g.controller_id = crt_current_controller() "
     "ORDER BY (g.revoked_at IS NULL) DESC, p.name, g.purpose, g.valid_from DESC"},
    {"admin_grant_insert",
     "INSERT INTO partner_grants (partner_id, controller_id, field_groups, purpose, legal_basis, "
     "valid_from, valid_to) SELECT p.id, crt_current_controller(), $2::text[], $3, $4, "
     "$5::date::timestamp AT TIME ZONE 'Europe/Brussels', "
     "($6::date + 1)::timestamp AT TIME ZONE 'Europe/Brussels' FROM partners p "
     "WHERE p.id = $1::uuid AND p.disabled_at IS NULL "
     "AND (p.owner_controller IS NULL OR p.owner_controller = crt_current_controller()) "
     "RETURNING id::text"},
    {"admin_grant_end",
     "UPDATE partner_grants SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1::uuid "
     "AND controller_id = crt_current_controller() RETURNING to_json(revoked_at) #>> '{}'"},
    {"admin_settings",
     "SELECT c.code, c.name, c.intake_window_days, c.break_glass_minutes, "
     "to_char(c.work_start, 'HH24:MI'), to_char(c.work_end, 'HH24:MI'), "
     "array_to_json(c.work_days)::text, c.retention_basis, "
     "(extract(year FROM c.retention_period) * 12 + extract(month FROM c.retention_period))::int, "
     "(SELECT COALESCE(json_agg(json_build_object('day', h.day, 'name', h.name) ORDER BY h.day), "
     "'[]')::text FROM controller_holidays h WHERE h.controller_id = c.id) "
     "FROM controllers c WHERE c.id = crt_current_controller()"},
    {"admin_settings_set",
     "SELECT crt_admin_settings_set($1::int, $2::int, $3::time, $4::time, $5::smallint[], $6, "
     "$7::int)"},
    {"admin_holiday_set", "SELECT crt_admin_holiday_set($1::date, $2)"},
    {"admin_holiday_remove", "SELECT crt_admin_holiday_remove($1::date)"},
    {"me", "SELECT u.username, u.display_name, u.role, c.code, c.name FROM staff_users u "
           "JOIN controllers c ON c.id = u.controller_id WHERE u.id = $1::uuid"},
    {"person_read", person_read_sql},
    {"person_lock", person_lock_sql},
    {"person_insert", person_insert_sql},
    {"person_update", person_update_sql},
    /* ---- rights of the person: the register (h_requests.c); registration and erasure are
     * crt_rights_request_register() and crt_erase_by_request() in 013_rights.sql ---- */
    {"request_register",
     "SELECT outcome, request::text, number, deadline::text FROM crt_rights_request_register("
     "$1, $2::uuid, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, $12, $13)"},
    {"request_one", REQUEST_SELECT "WHERE r.id = $1::uuid"},
    {"request_of_person",
     REQUEST_SELECT "WHERE r.person_id = $1::uuid AND r.owning_controller = crt_current_controller() "
                    "ORDER BY r.received_on, r.number"},
    /* $1 overdue (true/false/NULL), $2 due within days, $3 status; earliest due first. */
    {"request_list",
     REQUEST_SELECT "WHERE ($1::boolean IS NULL OR (r.status = 'open' AND r.due_on < current_date) = $1) "
                    "AND ($2::int IS NULL OR (r.status = 'open' AND r.due_on >= current_date "
                    "AND r.due_on <= current_date + $2::int)) "
                    "AND ($3::text IS NULL OR r.status = $3) ORDER BY r.due_on, r.number LIMIT 500"},
    {"request_lock",
     "SELECT r.number, r.kind, r.status, r.person_id::text, r.received_on::text, "
     "r.deadline::text, r.extension_months, current_date::text FROM rights_requests r "
     "WHERE r.id = $1::uuid AND r.owning_controller = crt_current_controller() FOR UPDATE"},
    /* A second extension adds its reason to the first (the total stays at most two months). */
    {"request_extend",
     "UPDATE rights_requests SET extension_months = extension_months + $2::smallint, "
     "extension_reason = CASE WHEN extension_reason IS NULL THEN $3 "
     "ELSE extension_reason || ' / ' || $3 END, person_told_on = $4::date WHERE id = $1::uuid"},
    {"request_decide",
     "UPDATE rights_requests SET status = $2, decided_on = current_date, "
     "decided_by = crt_current_user(), reasons = $3, objection_purposes = $4::text[] "
     "WHERE id = $1::uuid"},
    {"request_erase",
     "SELECT outcome, tombstone_id, to_json(erased_at) #>> '{}', hold "
     "FROM crt_erase_by_request($1::uuid, $2, $3)"},
    /* Restriction (h_requests.c, h_rights.c): the person becomes read-only, with history. */
    {"person_restrict",
     "WITH p AS (UPDATE persons SET restricted_at = now() WHERE id = $1::uuid "
     "  AND restricted_at IS NULL RETURNING id, controller_id) "
     "INSERT INTO person_restrictions (controller_id, person_id, request_number, started_by, "
     "request_id) SELECT controller_id, id, $2::bigint, crt_current_user(), $3 FROM p "
     "RETURNING id"},
    {"restriction_lift",
     "WITH p AS (UPDATE persons SET restricted_at = NULL WHERE id = $1::uuid "
     "  AND restricted_at IS NOT NULL RETURNING id), "
     "l AS (UPDATE person_restrictions SET lifted_at = now(), lifted_by = crt_current_user(), "
     "  lift_reason = $2, lift_request_id = $3 WHERE person_id = $1::uuid AND lifted_at IS NULL "
     "  AND EXISTS (SELECT 1 FROM p) RETURNING id) "
     "SELECT (SELECT count(*) FROM p), to_json(now()) #>> '{}'"},
    {"person_restricted", "SELECT restricted_at IS NOT NULL FROM persons WHERE id = $1::uuid"},
    {"restrictions_list",
     "SELECT request_number, to_json(started_at) #>> '{}', to_json(lifted_at) #>> '{}', "
     "lift_reason FROM person_restrictions WHERE person_id = $1::uuid ORDER BY started_at, id"},
    /* Flags and retention (h_rights.c): the flag columns, then person_retention's. */
    {"flags_read",
     "SELECT to_json(p.under_guardianship)::text, p.legal_hold, "
     "to_json(p.transfer_consent_at) #>> '{}', p.guidance_ended_on::text, "
     "to_json(p.restricted_at) #>> '{}', to_json(p.export_marked_at) #>> '{}', "
     "to_json(p.exported_at) #>> '{}', to_json(p.protected_at) #>> '{}', r.basis, "
     "r.period::text, r.basis_date::text, "
     "r.retention_date::text FROM persons p JOIN person_retention r ON r.person_id = p.id "
     "WHERE p.id = $1::uuid"},
    /* In the order of flag_fields (h_rights.c), as the text a body's values have. */
    {"flags_lock",
     "SELECT under_guardianship::text, legal_hold, (transfer_consent_at IS NOT NULL)::text, "
     "guidance_ended_on::text, (protected_at IS NOT NULL)::text FROM persons "
     "WHERE id = $1::uuid FOR UPDATE"},
    {"flags_update",
     "UPDATE persons SET under_guardianship = $2::boolean, legal_hold = $3, "
     "transfer_consent_at = CASE WHEN $4::boolean THEN COALESCE(transfer_consent_at, now()) END, "
     "guidance_ended_on = $5::date, "
     "protected_at = CASE WHEN $6::boolean THEN COALESCE(protected_at, now()) END "
     "WHERE id = $1::uuid"},
    /* Partner notifications (h_corrections.c): the partners that received any of the groups
     * $2 of person $1, each queued with the changed fields $3 of its groups (kind $5). */
    {"corrections_queue",
     "WITH recv AS (SELECT d.partner_id, array_agg(DISTINCT g ORDER BY g) AS groups "
     "  FROM disclosures d CROSS JOIN LATERAL unnest(d.field_groups) g "
     "  WHERE d.person_id = $1::uuid AND g = ANY ($2::text[]) GROUP BY d.partner_id), "
     "ins AS (INSERT INTO partner_notifications (partner_id, controller_id, person_id, kind, "
     "  field_groups, fields, request_id) SELECT r.partner_id, crt_current_controller(), "
     "  $1::uuid, $5, r.groups, ARRAY(SELECT f FROM unnest($3::text[]) f "
     "  WHERE split_part(f, '.', 1) = ANY (r.groups) "
     "  OR (f = 'household_id' AND 'identification' = ANY (r.groups))), $4 FROM recv r) "
     "SELECT r.partner_id::text, p.name, array_to_json(r.groups)::text FROM recv r "
     "JOIN partners p ON p.id = r.partner_id ORDER BY p.name, r.partner_id"},
    {"corrections_of_request",
     "SELECT n.partner_id::text, p.name, array_to_json(n.field_groups)::text "
     "FROM partner_notifications n JOIN partners p ON p.id = n.partner_id "
     "WHERE n.request_id = $1 ORDER BY p.name, n.partner_id"},
    {"corrections_pending",
     "SELECT n.id, n.kind, n.person_id::text, c.code, array_to_json(n.field_groups)::text, "
     "array_to_json(n.fields)::text, to_json(n.created_at) #>> '{}' "
     "FROM partner_notifications n JOIN controllers c ON c.id = n.controller_id "
     "WHERE n.partner_id = crt_current_partner() AND n.acknowledged_at IS NULL "
     "AND ($1::bigint IS NULL OR n.id > $1::bigint) ORDER BY n.id LIMIT $2::int"},
    {"correction_ack",
     "UPDATE partner_notifications SET acknowledged_at = now() WHERE id = $1::bigint "
     "AND partner_id = crt_current_partner() AND acknowledged_at IS NULL RETURNING id"},
    /* The export (h_export.c): everything held about person $1, no staff member named. */
    {"person_select", person_select_sql},
    {"export_controller",
     "SELECT code, name, kbo_number, legal_basis, dpo_email, dpo_address, "
     "national_number_basis FROM controllers "
     "WHERE id = crt_current_controller()"},
    {"export_purposes", "SELECT code, description FROM processing_purposes ORDER BY code"},
    {"export_trajectory",
     "SELECT kind, occurred_on::text, details::text, source, to_json(created_at) #>> '{}' "
     "FROM trajectory_entries WHERE person_id = $1::uuid ORDER BY occurred_on, created_at, id"},
    {"export_rectifications",
     "SELECT field, old_value, new_value, reason, to_json(changed_at) #>> '{}' "
     "FROM person_rectifications WHERE person_id = $1::uuid ORDER BY changed_at, id"},
    {"export_disclosures",
     "SELECT to_json(d.at) #>> '{}', p.name, p.kind, array_to_json(d.field_groups)::text, "
     "d.purpose, d.legal_basis, (NOT EXISTS (SELECT 1 FROM unnotified_disclosures u "
     "WHERE u.id = d.id))::text, (SELECT to_json(n.delivered_on) #>> '{}' FROM disclosure_notices n "
     "WHERE n.person_id = d.person_id AND d.id = ANY (n.disclosure_ids) ORDER BY n.id LIMIT 1) "
     "FROM disclosures d JOIN partners p ON p.id = d.partner_id "
     "WHERE d.person_id = $1::uuid ORDER BY d.at, d.id"},
    {"export_referrals",
     "SELECT p.name, r.purpose, to_json(r.created_at) #>> '{}', to_json(r.ended_at) #>> '{}', "
     "r.person_informed::text "
     "FROM referrals r JOIN partners p ON p.id = r.partner_id WHERE r.person_id = $1::uuid "
     "ORDER BY r.created_at, r.id"},
    {"export_consultations",
     "SELECT day::text, controller, actor, partner, action, purpose, accesses "
     "FROM crt_person_consultations($1::uuid)"},
    {"export_requests",
     "SELECT number, kind, received_on::text, status, due_on::text, decided_on::text, reasons, "
     "(" RECIPIENTS_JSON "rr.request = rights_requests.id)::text, "
     "array_to_json(objection_purposes)::text "
     "FROM rights_requests WHERE person_id = $1::uuid "
     "AND owning_controller = crt_current_controller() ORDER BY received_on, number"},
    {"export_done",
     "UPDATE persons SET exported_at = now() WHERE id = $1::uuid AND export_marked_at IS NOT NULL"},
    /* ---- need-to-know: break-glass, assignments, the DPO's view of the log ---- */
    {"break_glass_insert",
     "INSERT INTO break_glass (controller_id, person_id, user_id, reason, expires_at) "
     "SELECT c.id, $1::uuid, crt_current_user(), $2, now() + make_interval(mins => "
     "c.break_glass_minutes) FROM controllers c WHERE c.id = crt_current_controller() "
     "RETURNING id::text, to_json(expires_at) #>> '{}'"},
    {"assignment_insert",
     "INSERT INTO case_assignments (controller_id, person_id, user_id, assigned_by, reason) "
     "SELECT crt_current_controller(), $1::uuid, u.id, crt_current_user(), $3 "
     "FROM staff_users u WHERE u.id = $2::uuid AND u.role = 'caseworker' "
     "AND u.disabled_at IS NULL RETURNING id::text, to_json(started_at) #>> '{}'"},
    {"assignment_list",
     "SELECT a.id::text, a.user_id::text, u.username, a.assigned_by::text, a.reason, "
     "to_json(a.started_at) #>> '{}', to_json(a.ended_at) #>> '{}' "
     "FROM case_assignments a JOIN staff_users u ON u.id = a.user_id "
     "WHERE a.person_id = $1::uuid ORDER BY a.started_at, a.id"},
    {"assignment_end",
     "UPDATE case_assignments SET ended_at = now(), ended_by = crt_current_user() "
     "WHERE id = $2::uuid AND person_id = $1::uuid AND ended_at IS NULL RETURNING id::text"},
    /* ---- partners ---- */
    {"partner_page", partner_page_sql},
    {"partner_one", partner_one_sql},
    {"partner_tests",
     "SELECT person_id::text, kind, occurred_on, details::text, source, created_by::text, "
     "to_json(created_at) #>> '{}' FROM trajectory_entries "
     "WHERE kind = 'test_result' AND person_id = ANY ($1::uuid[]) ORDER BY occurred_on, id"},
    /* POST /v1/oauth/token: the throttle's wait (seconds) and the client ($1 NULL: none);
     * failures are recorded by crt_partner_auth_failure (migration 016). */
    {"partner_auth",
     "SELECT w, p.id::text, p.secret_sha256, p.disabled_at IS NOT NULL, p.secret_version "
     "FROM crt_partner_auth_wait($1, $2, $3::int, $4::int, $5::int) w "
     "LEFT JOIN partners p ON p.client_id = $1"},
    {"partner_auth_failure", "SELECT crt_partner_auth_failure($1, $2, $3, $4)"},
    /* The DPO's page of failed partner authentications (RLS: partners granted by the
     * controller); $1 partner, $2 from, $3 to, $4 before id, $5 limit. */
    {"partner_auth_page",
     "SELECT e.id, to_json(e.at) #>> '{}', e.partner_id::text, p.name, e.client_id, e.reason, "
     "e.ip, e.request_id FROM partner_auth_events e LEFT JOIN partners p ON p.id = e.partner_id "
     "WHERE ($1::uuid IS NULL OR e.partner_id = $1::uuid) "
     "AND ($2::timestamptz IS NULL OR e.at >= $2::timestamptz) "
     "AND ($3::timestamptz IS NULL OR e.at < $3::timestamptz) "
     "AND ($4::bigint IS NULL OR e.id < $4::bigint) ORDER BY e.id DESC LIMIT $5::int"},
    {"partners_list",
     "SELECT p.id::text, p.name, p.kind, g.id::text, g.purpose, "
     "array_to_json(g.field_groups)::text, g.legal_basis, to_json(g.valid_from) #>> '{}', "
     "to_json(g.valid_to) #>> '{}' FROM partners p LEFT JOIN partner_grants g "
     "ON g.partner_id = p.id AND g.revoked_at IS NULL AND now() >= g.valid_from "
     "AND now() < g.valid_to WHERE p.disabled_at IS NULL "
     "AND (p.owner_controller IS NULL OR p.owner_controller = crt_current_controller()) "
     "ORDER BY p.name, p.id, g.purpose"},
    {"referral_insert",
     "INSERT INTO referrals (controller_id, person_id, partner_id, purpose, created_by, "
     "person_informed) "
     "SELECT crt_current_controller(), $1::uuid, $2::uuid, $3, crt_current_user(), $4::boolean "
     "WHERE crt_active_grant($2::uuid, crt_current_controller(), $3) IS NOT NULL "
     "RETURNING id::text, to_json(created_at) #>> '{}'"},
    {"referral_list",
     "SELECT r.id::text, r.partner_id::text, p.name, r.purpose, to_json(r.created_at) #>> '{}', "
     "to_json(r.ended_at) #>> '{}', r.person_informed FROM referrals r JOIN partners p ON p.id = r.partner_id "
     "WHERE r.person_id = $1::uuid ORDER BY r.created_at, r.id"},
    {"referral_end",
     "UPDATE referrals SET ended_at = now(), ended_by = crt_current_user() "
     "WHERE id = $2::uuid AND person_id = $1::uuid AND ended_at IS NULL RETURNING id::text"},
    {"login_page",
     "SELECT e.id, to_json(e.at) #>> '{}', e.user_id::text, u.username, e.actor_id::text, "
     "e.event, e.outcome, e.ip, e.request_id, e.subject FROM login_events e "
     "LEFT JOIN staff_users u ON u.id = e.user_id "
     "WHERE ($1::uuid IS NULL OR e.user_id = $1::uuid) AND ($2::text IS NULL OR e.event = $2) "
     "AND ($3::text IS NULL OR e.outcome = $3) "
     "AND ($4::timestamptz IS NULL OR e.at >= $4::timestamptz) "
     "AND ($5::timestamptz IS NULL OR e.at < $5::timestamptz) "
     "AND ($6::bigint IS NULL OR e.id < $6::bigint) ORDER BY e.id DESC LIMIT $7::int"},
    {"audit_page",
     "SELECT l.id, to_json(l.at) #>> '{}', l.user_id::text, u.username, l.person_id::text, "
     "l.household_id::text, l.action, array_to_json(l.field_groups)::text, l.purpose, "
     "l.outcome, l.reason, l.request_id, l.partner_id::text FROM access_log l "
     "LEFT JOIN staff_users u ON u.id = l.user_id "
     "WHERE ($1::uuid IS NULL OR l.user_id = $1::uuid) "
     "AND ($2::uuid IS NULL OR l.person_id = $2::uuid) "
     "AND ($3::text IS NULL OR l.action = $3) AND ($4::text IS NULL OR l.outcome = $4) "
     "AND ($5::timestamptz IS NULL OR l.at >= $5::timestamptz) "
     "AND ($6::timestamptz IS NULL OR l.at < $6::timestamptz) "
     "AND ($7::bigint IS NULL OR l.id < $7::bigint) "
     "AND ($9::text IS NULL OR l.purpose = $9) AND ($10::text IS NULL OR l.reason = $10) "
     "ORDER BY l.id DESC LIMIT $8::int"},
    /* The DPO console's seal state (migration 021) and this controller's rows not sealed yet
     * (RLS: the DPO's own controller; $1 the last seal's txid_to, NULL before the first). */
    {"seal_state",
     "SELECT last_seal_id, to_json(last_sealed_at) #>> '{}', last_seal_rows, last_txid_to, "
     "seals, rows_sealed, verify_result, to_json(verify_started_at) #>> '{}', "
     "to_json(verify_finished_at) #>> '{}', verify_seals, verify_problems, "
     "to_json(last_clean_at) #>> '{}' FROM crt_seal_state()"},
    {"seal_unsealed",
     "SELECT count(*), to_json(min(at)) #>> '{}', "
     "COALESCE(extract(epoch FROM now() - min(at))::bigint, 0) FROM access_log "
     "WHERE txid >= COALESCE($1::bigint, 0)"}, /* one sargable bound: the BRIN index on txid */
    /* ---- reviews (h_reviews.c); RLS shows only the caller's controller, and only to its DPO ---- */
    {"review_page", REVIEW_SELECT "WHERE ($1::bigint IS NULL OR r.id < $1::bigint) "
                                  "ORDER BY r.id DESC LIMIT $2::int"},
    {"review_one", REVIEW_SELECT "WHERE r.id = $1::bigint"},
    {"review_actors",
     "SELECT s.actor_id::text, s.actor_kind, u.username, s.accesses, s.explained, "
     "round(s.explained::numeric / NULLIF(s.accesses, 0), 4), s.first_accesses, s.first_explained "
     "FROM review_user_stats s LEFT JOIN staff_users u ON u.id = s.actor_id "
     "AND s.actor_kind = 'staff' WHERE s.review_id = $1::bigint ORDER BY s.accesses DESC, s.actor_id"},
    /* Findings of review $1 (first or last seen there), filters $2 open|decided|a decision,
     * $3 severity, $4 rule, $5 one finding, $6 user or partner; page $7 offset, $8 limit (one
     * more row is read to tell whether a next page exists). With case, current decision, every
     * decision oldest first, and the log rows of the evidence (a person's name only when the
     * caller's role reads identification and RLS shows the person). Cases come most severe
     * first, their findings together, most severe first. */
    {"review_findings",
     "SELECT f.id, f.rule_id, f.severity, f.summary, f.user_id::text, fu.username, "
     "f.partner_id::text, f.person_id::text, to_json(f.first_at) #>> '{}', "
     "to_json(f.last_at) #>> '{}', f.occurrences, f.evidence::text, "
     "CASE WHEN c.id IS NOT NULL THEN json_build_object('id', c.id, 'narrative', c.narrative, "
     "'closed_at', c.closed_at)::text END, h.current, COALESCE(h.history, '[]'), "
     "pa.name, COALESCE(ev.rows, '[]') "
     "FROM review_findings f LEFT JOIN staff_users fu ON fu.id = f.user_id "
     "LEFT JOIN partners pa ON pa.id = f.partner_id "
     "LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', l.id, 'at', l.at, "
     "  'action', l.action, 'person_id', l.person_id, 'purpose', l.purpose, 'reason', l.reason, "
     "  'outcome', l.outcome, 'person_name', CASE WHEN EXISTS (SELECT 1 FROM role_field_access a "
     "  WHERE a.role = crt_current_role() AND a.field_group = 'identification' AND a.can_read) "
     "  THEN (SELECT p.first_name || ' ' || p.last_name FROM persons p WHERE p.id = l.person_id) "
     "  END) ORDER BY l.at, l.id)::text AS rows FROM access_log l WHERE l.id = ANY (ARRAY("
     "  SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(f.evidence->'log_ids') = 'array' "
     "  THEN f.evidence->'log_ids' END)::bigint))) ev ON true "
     "LEFT JOIN review_cases c ON c.id = f.case_id "
     "LEFT JOIN LATERAL (SELECT json_agg(x.j ORDER BY x.id)::text AS history, "
     "  max(x.j::text) FILTER (WHERE x.id = f.decision_id) AS current "
     "  FROM (SELECT d.id, " REVIEW_DECISION_JSON " AS j FROM review_decisions d "
     "  LEFT JOIN staff_users u ON u.id = d.decided_by WHERE d.finding_id = f.id) x) h ON true "
     "WHERE (f.first_review_id = $1::bigint OR f.last_review_id = $1::bigint) "
     "AND ($2::text IS NULL OR CASE $2 WHEN 'open' THEN f.decision IS NULL "
     "WHEN 'decided' THEN f.decision IS NOT NULL ELSE f.decision = $2 END) "
     "AND ($3::text IS NULL OR f.severity = $3) AND ($4::text IS NULL OR f.rule_id = $4) "
     "AND ($5::bigint IS NULL OR f.id = $5::bigint) "
     "AND ($6::uuid IS NULL OR f.user_id = $6::uuid OR f.partner_id = $6::uuid) "
     "ORDER BY min(array_position(ARRAY['high', 'medium', 'low'], f.severity)) OVER "
     "(PARTITION BY COALESCE(f.case_id, -f.id)), COALESCE(f.case_id, -f.id), "
     "array_position(ARRAY['high', 'medium', 'low'], f.severity), f.id "
     "OFFSET COALESCE($7::int, 0) LIMIT $8::int + 1"},
    /* A decision: lock finding $2 of review $1 (then its case, so that two decisions on one
     * case serialise and the last one closes it), insert the decision and point the finding
     * at it, close the case when no finding of it is undecided. */
    {"review_finding_lock",
     "SELECT f.decision_id, f.case_id FROM review_findings f WHERE f.id = $2::bigint "
     "AND (f.first_review_id = $1::bigint OR f.last_review_id = $1::bigint) FOR UPDATE"},
    {"review_case_lock", "SELECT 1 FROM review_cases WHERE id = $1::bigint FOR UPDATE"},
    {"review_decision_current",
     "SELECT d.decision, u.username, to_json(d.decided_at) #>> '{}' FROM review_decisions d "
     "LEFT JOIN staff_users u ON u.id = d.decided_by WHERE d.id = $1::bigint"},
    {"review_decide",
     "WITH d AS (INSERT INTO review_decisions (controller_id, finding_id, decision, note, "
     "decided_by, replaces, request_id) VALUES (crt_current_controller(), $1::bigint, $2, $3, "
     "crt_current_user(), $4::bigint, $5) RETURNING id, finding_id, decision) "
     "UPDATE review_findings f SET decision = d.decision, decision_id = d.id, "
     "updated_at = clock_timestamp() FROM d WHERE f.id = d.finding_id RETURNING d.id"},
    {"review_case_close",
     "UPDATE review_cases c SET closed_at = clock_timestamp(), updated_at = clock_timestamp() "
     "WHERE c.id = $1::bigint AND c.closed_at IS NULL AND NOT EXISTS "
     "(SELECT 1 FROM review_findings f WHERE f.case_id = c.id AND f.decision IS NULL)"},
    /* The need-to-know facts and decision of the database, and whether RLS shows the row. */
    /* $3: the index key's id; the row's bidx_key_id stays it only while both indexes are
     * under it (the number's index is written next, by person_nn_set, when the body has one). */
    {"person_name_index",
     "UPDATE persons SET name_bidx = $2, bidx_key_id = CASE WHEN national_number_bidx IS NULL "
     "OR bidx_key_id = $3 THEN $3 END WHERE id = $1::uuid"},
    {"person_nn_set",
     "UPDATE persons SET national_number_sealed = decode($2, 'hex'), national_number_key_id = $3, "
     "national_number_bidx = $4, bidx_key_id = $5 WHERE id = $1::uuid"},
    /* $3, $4: the indexes under the previous index key while a re-index runs (else NULL). */
    {"person_duplicates",
     "SELECT DISTINCT controller, matched_on FROM (SELECT * FROM crt_duplicates($1, $2) "
     "UNION ALL SELECT * FROM crt_duplicates($3, $4)) d ORDER BY 1, 2"},
    {"person_transfer", "SELECT crt_transfer_person($1::uuid, $2, $3, $4, $5)"},
    {"person_gate",
     "SELECT a.restricted, a.created_by::text, a.age_s, a.window_days, a.assigned, "
     "a.break_glass, a.reason, a.created_by IS NOT NULL, "
     "EXISTS (SELECT 1 FROM persons WHERE id = $1::uuid), "
     "$2::text IS NOT NULL AND crt_objection($1::uuid, $2, false) "
     "FROM (SELECT 1) one LEFT JOIN crt_access($1::uuid) a ON true"},
    {"access_matrix", "SELECT role, field_group, can_read, can_write FROM role_field_access"},
    /* The caller's own persons (h_worklist.c): what row-level security shows them (a
     * caseworker: assignments and break-glass only), newest first, one row more than asked so
     * the caller can say "more"; and one access-log row per person listed. */
    {"worklist",
     "SELECT p.id::text, p.oki_number, p.first_name, p.last_name, p.birth_date::text, "
     "p.household_id::text, p.restricted_at IS NOT NULL, a.reason, "
     "to_json(p.created_at) #>> '{}', EXISTS (SELECT 1 FROM case_assignments c "
     "WHERE c.person_id = p.id AND c.ended_at IS NULL) "
     "FROM persons p LEFT JOIN LATERAL crt_access(p.id) a ON true "
     "WHERE ($1::text IS NULL OR strpos(lower(p.first_name || ' ' || p.last_name || ' ' || "
     "p.oki_number), lower($1)) > 0) "
     "AND (NOT $2::boolean OR NOT EXISTS (SELECT 1 FROM case_assignments c "
     "WHERE c.person_id = p.id AND c.ended_at IS NULL)) "
     "AND ($3::boolean IS NULL OR (p.restricted_at IS NOT NULL) = $3::boolean) "
     "AND (crt_current_role() <> 'caseworker' OR a.reason IN ('assignment', 'break_glass')) "
     "ORDER BY p.created_at DESC, p.id LIMIT $4::int + 1 OFFSET $5::int"},
    {"worklist_log",
     "SELECT count(" LOG_BY_CONTEXT "u, NULL, 'search', '{identification}', $3, 'allowed', r, "
     "$4)) FROM unnest("
     "CASE WHEN cardinality($1::uuid[]) = 0 THEN ARRAY[NULL]::uuid[] ELSE $1::uuid[] END, "
     "CASE WHEN cardinality($1::uuid[]) = 0 THEN ARRAY['worklist'] ELSE $2::text[] END) "
     "AS x(u, r)"},
    {"caseworkers_list",
     "SELECT id::text, username, display_name FROM staff_users WHERE role = 'caseworker' "
     "AND disabled_at IS NULL ORDER BY username"},
    /* Search across the controller (duplicate check), recognisable fields only, at most 51
     * rows so the caller can say "more": crt_person_search() in 004_need_to_know.sql. */
    {"person_search",
     "SELECT id::text, oki_number, first_name, last_name, birth_date "
     "FROM crt_person_search($1::date, $2, $3)"},
    {"rectification_insert",
     "INSERT INTO person_rectifications (controller_id, person_id, field, old_value, new_value, "
     "reason, changed_by, request_id) SELECT crt_current_controller(), $1::uuid, f, o, n, $2, "
     "NULLIF(current_setting('crt.user_id', true), '')::uuid, $3 "
     "FROM unnest($4::text[], $5::text[], $6::text[]) AS u(f, o, n)"},
    {"rectification_list",
     "SELECT r.field, r.old_value, r.new_value, r.reason, r.changed_by::text, u.username, "
     "to_json(r.changed_at) #>> '{}', r.request_id FROM person_rectifications r "
     "LEFT JOIN staff_users u ON u.id = r.changed_by WHERE r.person_id = $1::uuid "
     "ORDER BY r.changed_at, r.id"},
    {"household_exists", "SELECT 1 FROM households WHERE id = $1::uuid"},
    {"household_insert",
     "INSERT INTO households (controller_id, family_name, address_street, address_number, "
     "address_box, address_postcode, address_city, source, created_by) VALUES "
     "(crt_current_controller(), $1, $2, $3, $4, $5, $6, $7, "
     "NULLIF(current_setting('crt.user_id', true), '')::uuid) "
     "RETURNING id::text, family_name, address_street, address_number, address_box, "
     "address_postcode, address_city, source, to_json(created_at) #>> '{}'"},
    {"household_read",
     "SELECT id::text, family_name, address_street, address_number, address_box, "
     "address_postcode, address_city, source, to_json(created_at) #>> '{}' FROM households WHERE id = $1::uuid"},
    {"household_members",
     "SELECT id::text, oki_number FROM persons WHERE household_id = $1::uuid ORDER BY oki_number"},
    {"trajectory_list",
     "SELECT id::text, kind, occurred_on, details::text, source, created_by::text, to_json(created_at) #>> '{}' "
     "FROM trajectory_entries WHERE person_id = $1::uuid ORDER BY occurred_on, created_at, id"},
    {"trajectory_insert",
     "INSERT INTO trajectory_entries (controller_id, person_id, kind, occurred_on, details, "
     "source, created_by) VALUES (crt_current_controller(), $1::uuid, $2, $3::date, $4::jsonb, "
     "$5, NULLIF(current_setting('crt.user_id', true), '')::uuid) "
     "RETURNING id::text, kind, occurred_on, details::text, source, created_by::text, to_json(created_at) #>> '{}'"},
    /* ---- the rules of issue 15 (migration 023) ---- */
    /* Has the caller's controller a recorded legal basis for national numbers? */
    {"nn_basis",
     "SELECT national_number_basis IS NOT NULL FROM controllers WHERE id = crt_current_controller()"},
    /* Does a granted objection of person $1 cover purpose $2 (or, $3, partner disclosures)? */
    {"objection_covers", "SELECT crt_objection($1::uuid, $2, $3::boolean)"},
    /* Disclosures of person $1 the person does not know of (h_notices.c). */
    {"notice_unnotified",
     "SELECT d.id, to_json(d.at) #>> '{}', p.name, p.kind, array_to_json(d.field_groups)::text, "
     "d.purpose, d.legal_basis FROM unnotified_disclosures d JOIN partners p ON p.id = d.partner_id "
     "WHERE d.person_id = $1::uuid ORDER BY d.id"},
    /* A delivered notice of those up to id $2: $3 language, $4 method, $5 delivered on. */
    {"notice_insert",
     "INSERT INTO disclosure_notices (controller_id, person_id, disclosure_ids, language, "
     "method, delivered_on, delivered_by, request_id) SELECT crt_current_controller(), "
     "$1::uuid, x.ids, $3, $4, $5::date, crt_current_user(), $6 FROM (SELECT "
     "array_agg(u.id ORDER BY u.id) AS ids FROM unnotified_disclosures u "
     "WHERE u.person_id = $1::uuid AND u.id <= $2::bigint) x WHERE cardinality(x.ids) > 0 "
     "RETURNING id, array_to_json(disclosure_ids)::text, to_json(recorded_at) #>> '{}'"},
    {"notice_list",
     "SELECT id, language, method, delivered_on::text, array_to_json(disclosure_ids)::text, "
     "to_json(recorded_at) #>> '{}' FROM disclosure_notices WHERE person_id = $1::uuid ORDER BY id"},
    {"notice_controller", "SELECT name, dpo_email, dpo_address FROM controllers WHERE id = crt_current_controller()"},
    /* The partners told under request $1: the notifications this HTTP request ($2) queued, and
     * for a rectification request those of corrections of the person since its receipt. */
    {"request_recipients_record",
     "INSERT INTO request_recipients (controller_id, request, partner_id, kind, field_groups, "
     "notified_at) SELECT crt_current_controller(), q.id, n.partner_id, n.kind, "
     "array_agg(DISTINCT g ORDER BY g), max(n.created_at) FROM rights_requests q "
     "JOIN partner_notifications n ON n.request_id = $2 OR (q.kind = 'rectification' "
     "AND n.kind = 'rectification' AND n.person_id = q.person_id "
     "AND n.created_at >= q.received_on) CROSS JOIN LATERAL unnest(n.field_groups) g "
     "WHERE q.id = $1::uuid GROUP BY q.id, n.partner_id, n.kind ON CONFLICT DO NOTHING"},
    /* The decision letter of request $1 (owning controller only). */
    {"request_letter",
     "SELECT q.number, q.kind, q.status, q.received_on::text, q.decided_on::text, q.reasons, "
     "q.due_on::text, q.person_id::text, array_to_json(q.objection_purposes)::text, "
     "(" RECIPIENTS_JSON "rr.request = q.id)::text, c.name, c.dpo_email, c.dpo_address "
     "FROM rights_requests q JOIN controllers c ON c.id = q.owning_controller "
     "WHERE q.id = $1::uuid AND q.owning_controller = crt_current_controller()"},
    /* Consenting persons whose transfer nears its bound, for the DPO and coordinators. */
    {"escalations_list",
     "SELECT person_id::text, deadline::text, escalated_on::text FROM retention_escalations "
     "ORDER BY deadline, person_id LIMIT 1000"},
    /* Statistics (h_statistics.c): published cells only (n NULL = suppressed); a row per key
     * (month or area) and category, and per category over the whole selection (key NULL).
     * Sums add published cells only, so no answer depends on a suppressed count. */
    {"stats_cells",
     "SELECT key, category, sum(n), count(*) FILTER (WHERE n IS NULL), GROUPING(key) FROM "
     "(SELECT CASE $6 WHEN 'area' THEN area ELSE to_char(month, 'YYYY-MM') END AS key, "
     "category, n FROM stats_cells "
     "WHERE scope = CASE $2 WHEN 'joint' THEN 0 ELSE crt_current_controller() END "
     "AND figure = $1 AND month BETWEEN to_date($3, 'YYYY-MM') AND to_date($4, 'YYYY-MM') "
     "AND ($5 = 'all' OR area = $5)) c "
     "GROUP BY GROUPING SETS ((key, category), (category)) ORDER BY 5, 1, 2"},
    {"stats_freshness",
     "SELECT to_json(refreshed_at) #>> '{}', as_of::text, threshold FROM stats_refreshes "
     "ORDER BY id DESC LIMIT 1"},
};

/* The statements above whose only writes are the service's own records (the access log, and a
 * partner pull's disclosures): a privilege, RLS or integrity failure of theirs is the
 * service's fault, answered 500, never 403/422 (db_status_of_failure). */
const char *const api_own_writes[] = {"audit_insert", "audit_insert_many", "person_read",
                                      "partner_page", "partner_one", NULL};

const struct db_stmt *api_statements(int *n)
{
    if (!person_read_sql[0])
        build();
    *n = (int)(sizeof stmts / sizeof stmts[0]);
    return stmts;
}

const char *api_statement_sql(const char *name)
{
    int n = 0;
    const struct db_stmt *s = api_statements(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return s[i].sql;
    return NULL;
}
