/* crtctl partner …, grant …, access … and controller …: partner agencies (OAuth2 clients,
 * secrets shown once and stored as SHA-256), their grants per controller, the role x
 * field-group matrix, and the controllers' need-to-know settings. */
#include <stdlib.h>
#include <string.h>

#include "crt/crypto.h"
#include "ctl.h"
#include "crt/db.h"

/* "--name value" style options from argv into vals (same order as names); positional
 * arguments go to *rest. Returns false on an unknown option. */
static bool options(int argc, char **argv, const char *const *names, const char **vals,
                    const char **rest)
{
    for (int i = 0; i < argc; i++) {
        int k = 0;
        while (names[k] && !(strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, names[k]) == 0))
            k++;
        if (names[k] && i + 1 < argc)
            vals[k] = argv[++i];
        else if (strncmp(argv[i], "--", 2) != 0 && rest)
            *rest = argv[i];
        else
            return false;
    }
    return true;
}

static int print_rows(PGconn *c, const char *sql, int n, const char *const *p)
{
    PGresult *r = NULL;
    if (!db_tool_exec(c, "crtctl", sql, n, p, &r))
        return 1;
    for (int f = 0; f < PQnfields(r); f++)
        printf("%s%s", f ? "\t" : "", PQfname(r, f));
    printf("\n");
    for (int i = 0; i < PQntuples(r); i++) {
        for (int f = 0; f < PQnfields(r); f++)
            printf("%s%s", f ? "\t" : "", PQgetvalue(r, i, f));
        printf("\n");
    }
    PQclear(r);
    return 0;
}

/* A new secret: printed once, stored as SHA-256. */
static int new_secret(char secret[64], char sha[65])
{
    if (!crypto_token(32, secret, 64))
        return -1;
    crypto_sha256_hex(secret, strlen(secret), sha);
    return 0;
}

static int partner_cmd(PGconn *c, int argc, char **argv)
{
    static const char *const names[] = {"name", "kind", NULL};
    const char *v[2] = {NULL, NULL}, *client = NULL;
    char secret[64], sha[65];
    if (argc < 1 || !options(argc - 1, argv + 1, names, v, &client))
        return 2;
    if (strcmp(argv[0], "list") == 0)
        return print_rows(c, "SELECT client_id, name, kind, disabled_at IS NOT NULL AS disabled, "
                             "id FROM partners ORDER BY client_id", 0, NULL);
    if (client == NULL)
        return 2;
    if (strcmp(argv[0], "create") == 0 || strcmp(argv[0], "rotate-secret") == 0) {
        bool create = strcmp(argv[0], "create") == 0;
        if ((create && (!v[0] || !v[1])) || new_secret(secret, sha) != 0)
            return 2;
        const char *p[] = {client, sha, v[0], v[1]};
        PGresult *r = NULL;
        bool got = db_tool_exec(
            c, "crtctl",
            create ? "INSERT INTO partners (client_id, secret_sha256, name, kind) "
                     "VALUES ($1, $2, $3, $4) RETURNING id::text"
                   : "UPDATE partners SET secret_sha256 = $2, secret_rotated_at = now() "
                     "WHERE client_id = $1 AND $3::text IS NULL AND $4::text IS NULL "
                     "RETURNING id::text",
            4, p, &r);
        bool ok = got && PQntuples(r) == 1;
        if (ok)
            printf("partner id:    %s\nclient_id:     %s\nclient_secret: %s\n"
                   "(the secret is shown once; the old one, if any, stops working now)\n",
                   PQgetvalue(r, 0, 0), client, secret);
        else if (got)
            fprintf(stderr, "crtctl: no such partner\n");
        PQclear(r);
        return ok ? 0 : 1;
    }
    if (strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0) {
        const char *p[] = {client};
        return !db_tool_command(c, "crtctl",
                                strcmp(argv[0], "disable") == 0
                                    ? "UPDATE partners SET disabled_at = now() WHERE client_id = $1"
                                    : "UPDATE partners SET disabled_at = NULL WHERE client_id = $1",
                                1, p)
                   ? 1
                   : 0;
    }
    return 2;
}

/* BEGIN, then the context of controller code (grants and holidays are under RLS). */
static bool enter_controller(PGconn *c, const char *code)
{
    const char *q[] = {code};
    return db_tool_command(c, "crtctl", "BEGIN", 0, NULL) &&
           db_tool_command(c, "crtctl",
                           "SELECT set_config('crt.controller_id', id::text, true) FROM "
                           "controllers WHERE code = $1",
                           1, q);
}

/* Runs sql inside the context of controller code; nonzero on failure. */
static int in_controller(PGconn *c, const char *code, const char *sql, int n, const char *const *p)
{
    return !enter_controller(c, code) || !db_tool_command(c, "crtctl", sql, n, p) ||
           !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
}

static int grant_cmd(PGconn *c, int argc, char **argv)
{
    static const char *const names[] = {"partner", "controller", "groups", "purpose",
                                        "legal-basis", "from", "to", NULL};
    const char *v[7] = {0}, *rest = NULL;
    if (argc < 1 || !options(argc - 1, argv + 1, names, v, &rest))
        return 2;
    if (strcmp(argv[0], "list") == 0) {
        if (!v[1])
            return 2;
        int rc = !enter_controller(c, v[1]);
        rc = rc || print_rows(c, "SELECT g.id, p.client_id, g.purpose, g.field_groups, g.legal_basis, "
                                 "g.valid_from, g.valid_to, g.revoked_at FROM partner_grants g "
                                 "JOIN partners p ON p.id = g.partner_id ORDER BY p.client_id, g.purpose",
                              0, NULL);
        return rc || !db_tool_command(c, "crtctl", "COMMIT", 0, NULL) ? 1 : 0;
    }
    if (strcmp(argv[0], "add") == 0) {
        if (!v[0] || !v[1] || !v[2] || !v[3] || !v[4])
            return 2;
        const char *p[] = {v[0], v[2], v[3], v[4], v[5], v[6]};
        int rc = in_controller(c, v[1],
            "INSERT INTO partner_grants (partner_id, controller_id, field_groups, purpose, "
            "legal_basis, valid_from, valid_to) SELECT p.id, crt_current_controller(), "
            "string_to_array($2, ','), $3, $4, COALESCE($5::timestamptz, now()), "
            "COALESCE($6::timestamptz, now() + interval '1 year') FROM partners p "
            "WHERE p.client_id = $1", 6, p);
        if (rc == 0)
            printf("grant added for %s at %s: %s for %s\n", v[0], v[1], v[2], v[3]);
        return rc ? 1 : 0;
    }
    if (strcmp(argv[0], "revoke") == 0 && rest && v[1]) {
        const char *p[] = {rest};
        return in_controller(c, v[1], "UPDATE partner_grants SET revoked_at = now() "
                                      "WHERE id = $1::uuid AND revoked_at IS NULL", 1, p) ? 1 : 0;
    }
    return 2;
}

static int access_cmd(PGconn *c, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return print_rows(c, "SELECT role, field_group, can_read, can_write FROM role_field_access "
                             "ORDER BY role, field_group", 0, NULL);
    if (argc == 4 && strcmp(argv[0], "set") == 0 &&
        (strcmp(argv[3], "none") == 0 || strcmp(argv[3], "read") == 0 || strcmp(argv[3], "write") == 0)) {
        const char *p[] = {argv[1], argv[2], strcmp(argv[3], "none") ? "true" : "false",
                           strcmp(argv[3], "write") == 0 ? "true" : "false"};
        int rc = !db_tool_command(
            c, "crtctl",
            "INSERT INTO role_field_access (role, field_group, can_read, can_write) "
            "VALUES ($1, $2, $3::boolean, $4::boolean) ON CONFLICT (role, field_group) "
            "DO UPDATE SET can_read = $3::boolean, can_write = $4::boolean",
            4, p);
        if (rc == 0)
            printf("%s: %s is now %s (crt-api picks it up within seconds)\n", argv[1], argv[2], argv[3]);
        return rc ? 1 : 0;
    }
    return 2;
}

/* The controller settings crtctl may change, each with its cast and a floor check. */
static const struct {
    const char *name, *sql;
} controller_settings[] = {
    /* A window of 0 days would hide a registration from its own author at once. */
    {"intake_window_days", "UPDATE controllers SET intake_window_days = $2::int WHERE code = $1 "
                           "AND $2::int >= 1 RETURNING id"},
    {"break_glass_minutes", "UPDATE controllers SET break_glass_minutes = $2::int WHERE code = $1 "
                            "RETURNING id"},
    /* Working hours and days (ISO: 1 = Monday) used by the review's off-hours rule. */
    {"work_start", "UPDATE controllers SET work_start = $2::time WHERE code = $1 RETURNING id"},
    {"work_end", "UPDATE controllers SET work_end = $2::time WHERE code = $1 RETURNING id"},
    {"work_days", "UPDATE controllers SET work_days = ('{' || $2 || '}')::smallint[] "
                  "WHERE code = $1 RETURNING id"},
    /* The answer period of a data-subject request (CRT: '1 month'; Dutch regulations: '28 days'),
     * copied into each request at receipt; the table's CHECK bounds it (1 day to 3 months). */
    {"request_period", "UPDATE controllers SET request_period = $2::interval WHERE code = $1 "
                       "RETURNING id"},
};

/* controller holiday add CODE DATE NAME | remove CODE DATE | list CODE */
static int holiday_cmd(PGconn *c, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "list") == 0) {
        bool ok = enter_controller(c, argv[1]) &&
                  print_rows(c, "SELECT day, name FROM controller_holidays ORDER BY day", 0,
                             NULL) == 0 &&
                  db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
        return ok ? 0 : 1;
    }
    if (argc == 4 && strcmp(argv[0], "add") == 0) {
        const char *p[] = {argv[2], argv[3]};
        return in_controller(c, argv[1], "INSERT INTO controller_holidays (controller_id, day, name) "
                                         "VALUES (crt_current_controller(), $1::date, $2) ON CONFLICT "
                                         "(controller_id, day) DO UPDATE SET name = $2", 2, p) ? 1 : 0;
    }
    if (argc == 3 && strcmp(argv[0], "remove") == 0) {
        const char *p[] = {argv[2]};
        return in_controller(c, argv[1], "DELETE FROM controller_holidays WHERE controller_id = "
                                         "crt_current_controller() AND day = $1::date", 1, p) ? 1 : 0;
    }
    return 2;
}

/* controller list | controller set CODE SETTING VALUE | controller holiday … */
static int controller_cmd(PGconn *c, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return print_rows(c, "SELECT id, code, name, kbo_number, dpo_email, intake_window_days, "
                             "break_glass_minutes, work_start, work_end, work_days, request_period "
                             "FROM controllers ORDER BY id", 0, NULL);
    if (argc >= 1 && strcmp(argv[0], "holiday") == 0)
        return holiday_cmd(c, argc - 1, argv + 1);
    if (argc != 4 || strcmp(argv[0], "set") != 0)
        return 2;
    const char *sql = NULL;
    for (size_t i = 0; i < sizeof controller_settings / sizeof controller_settings[0]; i++)
        if (strcmp(argv[2], controller_settings[i].name) == 0)
            sql = controller_settings[i].sql;
    if (sql == NULL)
        return 2;
    const char *p[] = {argv[1], argv[3]};
    PGresult *r = NULL;
    bool got = db_tool_exec(c, "crtctl", sql, 2, p, &r);
    bool ok = got && PQntuples(r) == 1;
    if (ok)
        printf("%s: %s = %s\n", argv[1], argv[2], argv[3]);
    else if (got)
        fprintf(stderr, "crtctl: no such controller, or a value below the minimum\n");
    PQclear(r);
    return ok ? 0 : 1;
}

int partners_main(const struct crt_config *cfg, const char *what, int argc, char **argv)
{
    PGconn *c = ctl_connect(cfg);
    if (c == NULL)
        return 1;
    int rc = strcmp(what, "partner") == 0      ? partner_cmd(c, argc, argv)
             : strcmp(what, "grant") == 0      ? grant_cmd(c, argc, argv)
             : strcmp(what, "controller") == 0 ? controller_cmd(c, argc, argv)
                                               : access_cmd(c, argc, argv);
    if (rc == 2)
        fprintf(stderr, "crtctl: unknown or incomplete %s command (see crtctl help)\n", what);
    PQfinish(c);
    return rc;
}
