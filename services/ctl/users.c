/* crtctl user …: staff accounts from the command line — create, list, disable/enable, unlock,
 * reset MFA, set a password, and admin-assisted TOTP enrolment (prints the otpauth URI and a QR
 * code; the user confirms with a first code at login). Passwords are read from stdin. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt/crypto.h"
#include "crt/log.h"
#include "crt/password.h"
#include "crt/totp.h"
#include "crt/qr.h"
#include "ctl.h"
#include "crt/db.h"

struct account {
    char id[37];
    int ctl;
};

/* Finds username (any controller) and enters its controller's context in a transaction. */
static int enter_account(PGconn *c, const char *username, struct account *a)
{
    const char *p[] = {username};
    PGresult *r = NULL;
    bool got = db_tool_exec(c, "crtctl",
                            "SELECT user_id::text, controller_id FROM "
                            "crt_auth_login_lookup($1)",
                            1, p, &r);
    bool found = got && PQntuples(r) == 1;
    if (found) {
        snprintf(a->id, sizeof a->id, "%s", PQgetvalue(r, 0, 0));
        a->ctl = atoi(PQgetvalue(r, 0, 1));
    } else if (got) {
        fprintf(stderr, "crtctl: no account %s\n", username);
    }
    PQclear(r);
    char ctl[8];
    snprintf(ctl, sizeof ctl, "%d", a->ctl);
    const char *q[] = {ctl};
    return found && db_tool_command(c, "crtctl", "BEGIN", 0, NULL) &&
                   db_tool_command(c, "crtctl", "SELECT set_config('crt.controller_id', $1, true)",
                                   1, q)
               ? 0
               : -1;
}

/* One line from stdin into buf without the newline; the password never appears in argv. */
static int read_password(char *buf, size_t len)
{
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "password (read from stdin): ");
    if (fgets(buf, (int)len, stdin) == NULL)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int event(PGconn *c, const struct account *a, const char *name)
{
    const char *p[] = {a->id, name};
    return !db_tool_command(c, "crtctl",
                            "INSERT INTO login_events (controller_id, user_id, event, outcome) "
                            "VALUES (crt_current_controller(), $1::uuid, $2, 'success')",
                            2, p);
}

static int hash_from_stdin(const struct crt_config *cfg, const char *username,
                           char hash[PASSWORD_HASH_MAX])
{
    char pw[PASSWORD_MAX_LENGTH + 2];
    struct password_params params = password_default_params();
    params.log2n = cfg->scrypt_log2n;
    int rc = read_password(pw, sizeof pw);
    const char *why = rc == 0 ? password_policy(pw, username) : "could not be read";
    if (why)
        fprintf(stderr, "crtctl: the password %s\n", why);
    rc = why == NULL && password_hash(pw, params, hash) ? 0 : -1;
    OPENSSL_cleanse(pw, sizeof pw);
    return rc;
}

/* user create --controller CODE --role ROLE --name "Display Name" USERNAME */
static int cmd_create(PGconn *c, const struct crt_config *cfg, int argc, char **argv)
{
    const char *ctl = NULL, *role = NULL, *name = NULL, *user = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--controller") == 0 && i + 1 < argc)
            ctl = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else
            user = argv[i];
    }
    char hash[PASSWORD_HASH_MAX];
    if (!ctl || !role || !name || !user) {
        fprintf(stderr, "usage: crtctl user create --controller CODE --role ROLE --name NAME USERNAME\n");
        return 2;
    }
    if (hash_from_stdin(cfg, user, hash) != 0)
        return 1;
    const char *p[] = {ctl}, *q[] = {user, name, role, hash};
    int rc =
        !db_tool_command(c, "crtctl", "BEGIN", 0, NULL) ||
        !db_tool_command(c, "crtctl",
                         "SELECT set_config('crt.controller_id', id::text, true) FROM controllers "
                         "WHERE code = $1",
                         1, p) ||
        !db_tool_command(
            c, "crtctl",
            "WITH u AS (INSERT INTO staff_users (controller_id, username, display_name, role) "
            "VALUES (crt_current_controller(), $1, $2, $3) RETURNING id), "
            "cr AS (INSERT INTO staff_credentials (user_id, controller_id, password_hash) "
            "SELECT id, crt_current_controller(), $4 FROM u) "
            "INSERT INTO login_events (controller_id, user_id, event, outcome) "
            "SELECT crt_current_controller(), id, 'create', 'success' FROM u",
            4, q) ||
        !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    if (rc == 0)
        printf("created %s (%s, %s); the second factor is enrolled at first login or with "
               "'crtctl user enrol %s'\n", user, role, ctl, user);
    return rc ? 1 : 0;
}

static int cmd_list(PGconn *c)
{
    int rc = 0;
    printf("%-28s %-12s %-8s %-9s %-7s %s\n", "username", "role", "ctl", "disabled", "locked", "mfa");
    for (int ctl = 1; rc == 0 && ctl <= 64; ctl++) {
        char id[8];
        snprintf(id, sizeof id, "%d", ctl);
        const char *p[] = {id};
        rc =
            !db_tool_command(c, "crtctl", "BEGIN", 0, NULL) ||
            !db_tool_command(c, "crtctl", "SELECT set_config('crt.controller_id', $1, true)", 1, p);
        PGresult *r = NULL;
        bool got =
            rc == 0 &&
            db_tool_exec(c, "crtctl",
                         "SELECT u.username, u.role, k.code, "
                         "u.disabled_at IS NOT NULL, COALESCE(c.locked_until > now(), false), "
                         "c.totp_confirmed_at IS NOT NULL FROM staff_users u "
                         "JOIN controllers k ON k.id = u.controller_id LEFT JOIN "
                         "staff_credentials c ON c.user_id = u.id ORDER BY u.username",
                         0, NULL, &r);
        for (int i = 0; got && i < PQntuples(r); i++)
            printf("%-28s %-12s %-8s %-9s %-7s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3)[0] == 't' ? "yes" : "no",
                   PQgetvalue(r, i, 4)[0] == 't' ? "yes" : "no",
                   PQgetvalue(r, i, 5)[0] == 't' ? "active" : "-");
        PQclear(r);
        rc = rc || !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    }
    return rc ? 1 : 0;
}

/* Seals a fresh secret for the account and prints the URI and QR code. */
static int cmd_enrol(PGconn *c, const struct crt_config *cfg, const char *user,
                     const struct account *a)
{
    struct keyring kr;
    char err[200], b32[TOTP_BASE32_MAX], uri[TOTP_URI_MAX], key_id[CRYPTO_KEY_ID_MAX];
    unsigned char secret[TOTP_SECRET_BYTES], sealed[TOTP_SECRET_BYTES + CRYPTO_SEAL_OVERHEAD];
    char hex[2 * sizeof sealed + 1];
    if (!keyring_load(&kr, cfg->data_key_file, err, sizeof err)) {
        fprintf(stderr, "crtctl: %s\n", err);
        return 1;
    }
    int ok = totp_init() && totp_new_secret(secret) && totp_base32(secret, sizeof secret, b32) &&
             totp_uri(user, b32, uri) &&
             crypto_seal(&kr, secret, sizeof secret, a->id, sealed, key_id);
    OPENSSL_cleanse(secret, sizeof secret);
    keyring_wipe(&kr);
    for (size_t i = 0; ok && i < sizeof sealed; i++)
        snprintf(hex + 2 * i, 3, "%02x", sealed[i]);
    const char *p[] = {a->id, hex, key_id};
    if (!ok ||
        !db_tool_command(c, "crtctl",
                         "UPDATE staff_credentials SET totp_sealed = decode($2, 'hex'), "
                         "totp_key_id = $3, totp_confirmed_at = NULL, totp_last_step = -1 "
                         "WHERE user_id = $1::uuid",
                         3, p) ||
        event(c, a, "enrol_start") || !db_tool_command(c, "crtctl", "COMMIT", 0, NULL))
        return 1;
    printf("Scan with an authenticator app, or enter the secret by hand.\n\n%s\n\nsecret: %s\n\n",
           uri, b32);
    int rc = qr_print(stdout, uri);
    printf("\nThe user confirms at the next login with a first code "
           "(POST /v1/auth/totp/enrol/confirm).\n");
    OPENSSL_cleanse(b32, sizeof b32);
    return rc ? 1 : 0;
}

static int cmd_account(PGconn *c, const struct crt_config *cfg, const char *sub, const char *user)
{
    struct account a = {{0}, 0};
    char hash[PASSWORD_HASH_MAX];
    if (enter_account(c, user, &a) != 0)
        return 1;
    const char *p[] = {a.id};
    int rc;
    if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0)
        rc = !db_tool_command(c, "crtctl",
                              strcmp(sub, "disable") == 0
                                  ? "WITH s AS (UPDATE sessions SET revoked_at = now() "
                                    "WHERE user_id = $1::uuid AND revoked_at IS NULL) "
                                    "UPDATE staff_users SET disabled_at = now() WHERE id = $1::uuid"
                                  : "UPDATE staff_users SET disabled_at = NULL WHERE id = $1::uuid",
                              1, p) ||
             event(c, &a, sub);
    else if (strcmp(sub, "unlock") == 0)
        rc = !db_tool_command(c, "crtctl",
                              "UPDATE staff_credentials SET locked_until = NULL, lockouts = 0, "
                              "failed_passwords = 0, failed_codes = 0 WHERE user_id = $1::uuid",
                              1, p) ||
             event(c, &a, "unlock");
    else if (strcmp(sub, "reset-mfa") == 0)
        rc = !db_tool_command(c, "crtctl",
                              "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::uuid "
                              "AND revoked_at IS NULL",
                              1, p) ||
             !db_tool_command(c, "crtctl",
                              "UPDATE auth_challenges SET used_at = now() WHERE user_id = $1::uuid "
                              "AND used_at IS NULL",
                              1, p) ||
             !db_tool_command(c, "crtctl",
                              "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1::uuid "
                              "AND used_at IS NULL",
                              1, p) ||
             !db_tool_command(
                 c, "crtctl",
                 "UPDATE staff_credentials SET totp_sealed = NULL, totp_key_id = NULL, "
                 "totp_confirmed_at = NULL, totp_last_step = -1 WHERE user_id = $1::uuid",
                 1, p) ||
             event(c, &a, "mfa_reset");
    else if (strcmp(sub, "set-password") == 0) {
        const char *q[] = {a.id, hash};
        rc = hash_from_stdin(cfg, user, hash) ||
             !db_tool_command(
                 c, "crtctl",
                 "INSERT INTO staff_credentials (user_id, controller_id, password_hash) "
                 "VALUES ($1::uuid, crt_current_controller(), $2) ON CONFLICT (user_id) "
                 "DO UPDATE SET password_hash = $2, failed_passwords = 0",
                 2, q) ||
             event(c, &a, "password_change");
    } else if (strcmp(sub, "enrol") == 0)
        return cmd_enrol(c, cfg, user, &a);
    else
        return 2;
    rc = rc || !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    if (rc == 0)
        printf("%s: %s done\n", user, sub);
    return rc ? 1 : 0;
}

/* The review's facts about a staff member: team, family name and home address (the
 * family/neighbour rule), set with crtctl user set USERNAME FIELD VALUE ('' clears). */
static int cmd_set(PGconn *c, const char *user, const char *field, const char *value)
{
    static const char *const fields[] = {"team", "family_name", "home_street", "home_number",
                                         "home_postcode", NULL};
    size_t i = 0;
    while (fields[i] && strcmp(fields[i], field) != 0)
        i++;
    if (fields[i] == NULL)
        return 2;
    struct account a = {{0}, 0};
    if (enter_account(c, user, &a) != 0)
        return 1;
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE staff_users SET %s = NULLIF($2, '') WHERE id = $1::uuid",
             fields[i]);
    const char *p[] = {a.id, value};
    int rc = !db_tool_command(c, "crtctl", sql, 2, p) ||
             !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    if (rc == 0)
        printf("%s: %s set\n", user, field);
    else
        db_tool_rollback(c, "crtctl");
    return rc ? 1 : 0;
}

int users_main(const struct crt_config *cfg, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: crtctl user create|list|disable|enable|unlock|reset-mfa|"
                        "set-password|enrol …\n");
        return 2;
    }
    PGconn *c = ctl_connect(cfg);
    if (c == NULL)
        return 1;
    int rc;
    if (strcmp(argv[0], "create") == 0)
        rc = cmd_create(c, cfg, argc - 1, argv + 1);
    else if (strcmp(argv[0], "list") == 0)
        rc = cmd_list(c);
    else if (argc == 2)
        rc = cmd_account(c, cfg, argv[0], argv[1]);
    else if (argc == 4 && strcmp(argv[0], "set") == 0)
        rc = cmd_set(c, argv[1], argv[2], argv[3]);
    else
        rc = 2;
    if (rc == 2)
        fprintf(stderr, "crtctl: unknown or incomplete user command (see crtctl help)\n");
    PQfinish(c);
    return rc;
}
