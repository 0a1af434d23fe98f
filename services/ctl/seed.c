/* Seeding for the local set-up: demo staff accounts per controller and role, and synthetic
 * persons for benchmarks. Runs as the owner role, one controller context at a time (RLS is
 * forced for the owner too). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#include "crt/password.h"
#include "ctl.h"
#include "crt/db.h"
#include "crt/log.h"

PGconn *ctl_connect(const struct crt_config *cfg)
{
    PGconn *c = PQconnectdb(cfg->owner_database_url);
    if (PQstatus(c) != CONNECTION_OK) {
        log_error("crtctl: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static const char *const roles[] = {"intake", "caseworker", "coordinator", "education", "dpo",
                                    "admin", "reporting"};

/* The demo accounts' password (documented in the README; local set-up only). One hash serves
 * every demo account, so seeding costs one scrypt run, not twenty-four. */
#define DEMO_PASSWORD "crt-demo-password"

int seed_demo(const struct crt_config *cfg)
{
    char hash[PASSWORD_HASH_MAX];
    struct password_params params = password_default_params();
    params.log2n = cfg->scrypt_log2n;
    if (!password_hash(DEMO_PASSWORD, params, hash))
        return -1;
    PGconn *c = ctl_connect(cfg);
    int rc = c ? 0 : -1;
    for (int ctl = 1; rc == 0 && ctl <= 4; ctl++) {
        char id[4];
        snprintf(id, sizeof id, "%d", ctl);
        const char *p[] = {id};
        rc =
            !db_tool_command(c, "crtctl", "BEGIN", 0, NULL) ||
            !db_tool_command(c, "crtctl", "SELECT set_config('crt.controller_id', $1, true)", 1, p);
        for (size_t i = 0; rc == 0 && i < sizeof roles / sizeof roles[0]; i++) {
            const char *q[] = {id, roles[i]};
            rc = !db_tool_command(
                c, "crtctl",
                "INSERT INTO staff_users (controller_id, username, display_name, role) "
                "SELECT c.id, c.code || '.' || $2, 'Demo ' || $2 || ' (' || c.name || ')', $2 "
                "FROM controllers c WHERE c.id = $1::smallint "
                "ON CONFLICT (username) DO NOTHING",
                2, q);
        }
        const char *h[] = {id, hash};
        rc = rc || !db_tool_command(
                       c, "crtctl",
                       "INSERT INTO staff_credentials (user_id, controller_id, password_hash) "
                       "SELECT id, controller_id, $2 FROM staff_users "
                       "WHERE controller_id = $1::smallint ON CONFLICT (user_id) DO NOTHING",
                       2, h);
        rc = rc || !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    }
    /* Demo only: Atlas is given a (fictitious) basis for national register numbers, so the
     * demo has a controller with one besides IN-Gent (migration 023) and two without. */
    rc = rc || !db_tool_command(
                   c, "crtctl",
                   "UPDATE controllers SET national_number_basis = 'demo: authorisation of the "
                   "Sectoral Committee of the National Register assumed for the demo' "
                   "WHERE code = 'atlas' AND national_number_basis IS NULL",
                   0, NULL);
    if (rc == 0)
        printf("demo accounts: <controller>.<role> (agii, huis, atlas, ingent), password "
               "'" DEMO_PASSWORD "', second factor enrolled at first login\n");
    PQfinish(c);
    return rc;
}

int seed_bench(const struct crt_config *cfg, long n)
{
    PGconn *c = ctl_connect(cfg);
    int rc = c ? 0 : -1;
    for (int ctl = 1; rc == 0 && ctl <= 4; ctl++) {
        char id[4], count[24];
        snprintf(id, sizeof id, "%d", ctl);
        snprintf(count, sizeof count, "%ld", n / 4 + (ctl <= n % 4));
        const char *p[] = {id}, *q[] = {id, count};
        rc = !db_tool_command(c, "crtctl", "BEGIN", 0, NULL) ||
             !db_tool_command(c, "crtctl", "SELECT set_config('crt.controller_id', $1, true)", 1,
                              p) ||
             !db_tool_command(
                 c, "crtctl",
                 "INSERT INTO persons (controller_id, first_name, last_name, gender, birth_date, "
                 "nationality, address_postcode, contact_preference, residence_status, sources, "
                 "created_by) "
                 "SELECT $1::smallint, 'Olena' || g, 'Bench' || (g % 5000), "
                 "(ARRAY['female','male','x'])[1 + g % 3], date '1950-01-01' + (g % 20000), 'UA', "
                 "(1000 + g % 9000)::text, 'email', 'temporary_protection', "
                 "'{\"first_name\":\"person\"}', "
                 "(SELECT id FROM staff_users WHERE controller_id = $1::smallint "
                 " AND role = 'intake' ORDER BY username LIMIT 1) "
                 "FROM generate_series(1, $2::int) g",
                 2, q) ||
             !db_tool_command(c, "crtctl", "COMMIT", 0, NULL);
    }
    rc = rc || !db_tool_command(c, "crtctl", "ANALYZE persons", 0, NULL);
    if (rc == 0)
        printf("seeded %ld persons\n", n);
    PQfinish(c);
    return rc;
}
