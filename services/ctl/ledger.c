/* crtctl erasure-ledger apply: after a restore from backup, erases again every person the
 * erasure ledger names who is back in the restored database (crt_erasure_reapply, 026). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crt/db.h"
#include "crt/ledger.h"
#include "crt/log.h"
#include "ctl.h"

struct reapply {
    PGconn *c;
    const char *run;
    long lines, erased, absent, failed;
};

/* One line, in a transaction of its own. Prints the id of a person erased again (ids only). */
static bool reapply_one(const struct ledger_entry *e, void *arg)
{
    struct reapply *s = arg;
    char number[24];
    snprintf(number, sizeof number, "%lld", e->request);
    const char *p[] = {e->person, e->reason, e->request ? number : NULL, s->run};
    PGresult *r = NULL;
    s->lines++;
    if (!db_tool_exec(s->c, "crtctl erasure-ledger",
                      "SELECT crt_erasure_reapply($1::uuid, $2, $3::bigint, $4)", 4, p, &r)) {
        s->failed++; /* logged */
        return true;
    }
    if (strcmp(PQgetvalue(r, 0, 0), "erased") == 0) {
        s->erased++;
        printf("  %s  erased again (%s, ledger line of %s)\n", e->person, e->reason, e->at);
    } else {
        s->absent++;
    }
    PQclear(r);
    return true;
}

int ledger_main(const struct crt_config *cfg, int argc, char **argv)
{
    if (argc != 1 || strcmp(argv[0], "apply") != 0) {
        fprintf(stderr, "usage: crtctl erasure-ledger apply\n"
                        "  after a restore, erases again every person CRT_ERASURE_LEDGER_FILE "
                        "names who is in the database\n");
        return 2;
    }
    char run[64];
    snprintf(run, sizeof run, "erasure-ledger-%ld-%d", (long)time(NULL), (int)getpid());
    PGconn *c = ctl_connect(cfg);
    if (c == NULL)
        return 1;
    struct reapply s = {.c = c, .run = run};
    bool read = ledger_each(cfg->erasure_ledger_file, reapply_one, &s);
    PQfinish(c);
    printf("erasure ledger %s: %ld lines, %ld persons erased again, %ld not in the database, "
           "%ld failed (run %s)%s\n",
           cfg->erasure_ledger_file, s.lines, s.erased, s.absent, s.failed, run,
           read ? "" : "; the ledger could not be read to the end");
    return read && s.failed == 0 ? 0 : 1;
}
