/* crtctl: the administration command line. Parses the command and hands it to its module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt/log.h"
#include "crt/migrate.h"
#include "ctl.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: crtctl <command>\n\n"
                 "  migrate             apply pending sql/migrations (owner role)\n"
                 "  seed-demo           create demo staff accounts <controller>.<role>\n"
                 "  seed-bench N        add N synthetic persons over the four controllers\n"
                 "  user create --controller CODE --role ROLE --name NAME USERNAME\n"
                 "                      new account; the password is read from stdin\n"
                 "  user list           every account with role, state and MFA\n"
                 "  user disable|enable|unlock|reset-mfa USERNAME\n"
                 "  user set-password USERNAME   (password from stdin)\n"
                 "  user enrol USERNAME new TOTP secret: prints the otpauth URI and a QR code\n"
                 "  partner create --name NAME --kind KIND CLIENT_ID   (prints the secret once)\n"
                 "                      kinds: employment social_welfare education housing other\n"
                 "  partner rotate-secret|disable|enable CLIENT_ID;  partner list\n"
                 "  grant add --partner CLIENT_ID --controller CODE --groups g1,g2\n"
                 "            --purpose P --legal-basis TEXT [--from T] [--to T]\n"
                 "  grant list --controller CODE;  grant revoke --controller CODE GRANT_ID\n"
                 "  access list;  access set ROLE GROUP none|read|write\n"
                 "  user set USERNAME team|family_name|home_street|home_number|home_postcode V\n"
                 "                      facts the access review uses ('' clears)\n"
                 "  controller list;  controller set CODE SETTING VALUE\n"
                 "                      settings: intake_window_days, break_glass_minutes,\n"
                 "                      work_start, work_end (HH:MM), work_days (e.g. 1,2,3,4,5),\n"
                 "                      request_period (e.g. '1 month', '28 days')\n"
                 "  controller holiday add CODE DATE NAME | remove CODE DATE | list CODE\n"
                 "  retention [--apply] [--as-of DATE] [--log-months N] [--only persons|log]\n"
                 "                      persons past their retention date and access-log\n"
                 "                      partitions past the log retention: listed (dry run),\n"
                 "                      or erased/marked for export and dropped (--apply)\n"
                 "  erasure-ledger apply  after a restore from backup: erase again every person\n"
                 "                      the erasure ledger names who is in the database\n"
                 "  keys status         which key seals, indexes or signs how many rows\n"
                 "  keys new-key FILE ID   put a new random key first in a keyring file\n"
                 "  keys rotate-data|rotate-blind [--batch N] [--max-batches N] [--pause-ms N]\n"
                 "                      re-seal (data keyring) or re-index (index key) every\n"
                 "                      row not under the first key; resumable\n"
                 "  keys rotate-jwt prepare|activate|retire [--force]\n"
                 "  keys rotate-seal    new seal key pair for crt-review\n"
                 "  help                this text\n\n");
    config_print_help(out, CFG_CTL);
}

int main(int argc, char **argv)
{
    struct crt_config cfg;
    char err[256];
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!config_load(&cfg, CFG_CTL, err, sizeof err)) {
        fprintf(stderr, "crtctl: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);
    int rc = 2;
    if (strcmp(argv[1], "migrate") == 0 && argc == 2) {
        rc = migrate_run(cfg.owner_database_url, cfg.migrations_dir, stdout) ? 1 : 0;
    } else if (strcmp(argv[1], "seed-demo") == 0 && argc == 2) {
        rc = seed_demo(&cfg) ? 1 : 0;
    } else if (strcmp(argv[1], "seed-bench") == 0 && argc == 3) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        rc = *end || n < 1 || n > 10000000 ? 2 : (seed_bench(&cfg, n) ? 1 : 0);
        if (rc == 2)
            fprintf(stderr, "crtctl: seed-bench needs a count from 1 to 10000000\n");
    } else if (strcmp(argv[1], "partner") == 0 || strcmp(argv[1], "grant") == 0 ||
               strcmp(argv[1], "access") == 0 || strcmp(argv[1], "controller") == 0) {
        rc = partners_main(&cfg, argv[1], argc - 2, argv + 2);
    } else if (strcmp(argv[1], "user") == 0) {
        rc = users_main(&cfg, argc - 2, argv + 2);
    } else if (strcmp(argv[1], "keys") == 0) {
        rc = keys_main(&cfg, argc - 2, argv + 2);
    } else if (strcmp(argv[1], "retention") == 0) {
        rc = retention_main(&cfg, argc - 2, argv + 2);
    } else if (strcmp(argv[1], "erasure-ledger") == 0) {
        rc = ledger_main(&cfg, argc - 2, argv + 2);
    } else {
        usage(stderr);
    }
    config_free(&cfg);
    return rc;
}
