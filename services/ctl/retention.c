/* crtctl retention: the end of retention — lists (dry run, the default) or erases the persons
 * past their controller's retention date (each also in the erasure ledger; those who consented
 * to a transfer are marked for export first), and drops access-log partitions older than the
 * log retention, recording each drop. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "crt/db.h"
#include "crt/ledger.h"
#include "crt/log.h"

#define LOG_MONTHS_DEFAULT 24

struct retention_opts {
    bool apply;
    const char *as_of; /* YYYY-MM-DD: list as of that day (dry run only); NULL: today */
    int log_months;    /* access-log partitions ending this many whole months ago go */
    bool persons, log; /* which of the two parts run (--only persons|log; default both) */
    const char *ledger; /* CRT_ERASURE_LEDGER_FILE: each erasure's line, durable before COMMIT */
};

struct tally {
    long erased, marked, escalated, awaiting, held, failed, dropped, dropped_rows, unsealed,
        numbers;
};

static int retention_usage(void)
{
    fprintf(stderr, "usage: crtctl retention [--apply] [--as-of YYYY-MM-DD] [--log-months N] "
                    "[--only persons|log]\n"
                    "  without --apply nothing changes: what would happen is listed\n"
                    "  --as-of      list as of another day (dry run only)\n"
                    "  --log-months access-log retention in months (default %d, at least 3)\n"
                    "  --only       only the persons, or only the access-log partitions\n",
            LOG_MONTHS_DEFAULT);
    return 2;
}

static bool parse_opts(int argc, char **argv, struct retention_opts *o)
{
    o->apply = false;
    o->as_of = NULL;
    o->log_months = LOG_MONTHS_DEFAULT;
    o->persons = o->log = true;
    for (int i = 0; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--apply") == 0) {
            o->apply = true;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            i++;
            o->persons = strcmp(argv[i], "persons") == 0;
            o->log = strcmp(argv[i], "log") == 0;
            if (!o->persons && !o->log)
                return false;
        } else if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc) {
            o->as_of = argv[++i];
        } else if (strcmp(argv[i], "--log-months") == 0 && i + 1 < argc) {
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 3 || n > 1200)
                return false;
            o->log_months = (int)n;
        } else {
            return false;
        }
    }
    return !(o->apply && o->as_of); /* erasure happens only as of today */
}

static void count(struct tally *t, const char *outcome)
{
    long *slot = strcmp(outcome, "erased") == 0              ? &t->erased
                 : strcmp(outcome, "marked_for_export") == 0 ? &t->marked
                 : strcmp(outcome, "escalated") == 0         ? &t->escalated
                 : strcmp(outcome, "awaiting_export") == 0   ? &t->awaiting
                 : strcmp(outcome, "held") == 0              ? &t->held
                                                             : NULL;
    if (slot)
        (*slot)++;
}

/* What applying an action leads to (for the dry run's tally). */
static const char *planned(const char *action)
{
    return strcmp(action, "erase") == 0             ? "erased"
           : strcmp(action, "mark_for_export") == 0 ? "marked_for_export"
           : strcmp(action, "escalate") == 0        ? "escalated"
                                                    : action;
}

/* One person's action in a transaction of its own: an erasure commits only once the person's
 * id is durably in the erasure ledger (else it is rolled back). The outcome into out, or false
 * when nothing was done (logged). */
static bool apply_one(PGconn *c, const struct retention_opts *o, const char *id, const char *run,
                      char *out, size_t len)
{
    const char *q[] = {id, run};
    PGresult *a = NULL;
    if (!db_tool_command(c, "crtctl retention", "BEGIN", 0, NULL))
        return false;
    bool ok = db_tool_exec(c, "crtctl retention",
                           "SELECT crt_retention_apply($1::uuid, current_date, $2)", 2, q, &a);
    if (ok)
        snprintf(out, len, "%s", PQgetvalue(a, 0, 0));
    PQclear(a);
    if (ok && strcmp(out, "erased") == 0)
        ok = ledger_append(o->ledger, id, "retention", NULL);
    if (ok && db_tool_command(c, "crtctl retention", "COMMIT", 0, NULL))
        return true;
    db_tool_rollback(c, "crtctl retention");
    return false;
}

/* Persons past their retention date: listed, or each handled in a transaction of its own (a
 * failure leaves the others done; a rerun finds only what is left). Ids only, never names. */
static int persons_due(PGconn *c, const struct retention_opts *o, const char *run, struct tally *t)
{
    const char *p[] = {o->as_of};
    PGresult *r = NULL;
    if (!db_tool_exec(c, "crtctl retention",
                      "SELECT person_id::text, controller, retention_date::text, basis, action "
                      "FROM crt_retention_due(COALESCE($1::date, current_date), NULL)",
                      1, p, &r))
        return -1;
    printf("persons past their retention date or awaiting a transfer%s%s: %d\n", o->as_of ? " as of " : "",
           o->as_of ? o->as_of : "", PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++) {
        const char *id = PQgetvalue(r, i, 0), *action = PQgetvalue(r, i, 4);
        const char *outcome = action;
        char done[32];
        bool acts = strcmp(action, "erase") == 0 || strcmp(action, "mark_for_export") == 0 ||
                    strcmp(action, "escalate") == 0;
        if (o->apply && acts) {
            bool ok = apply_one(c, o, id, run, done, sizeof done); /* failures logged */
            outcome = ok ? done : "failed";
            t->failed += !ok;
        }
        printf("  %s  %-6s  retention date %s (%s)  %s%s\n", id, PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), o->apply || !acts ? "" : "would ", outcome);
        count(t, o->apply ? outcome : planned(action));
    }
    PQclear(r);
    return 0;
}

/* National register numbers kept by controllers whose legal basis was withdrawn (Xtra 6.5;
 * migration 023): cleared with --apply, one access-log row each; counted otherwise. */
static int numbers_without_basis(PGconn *c, const struct retention_opts *o, const char *run,
                                 struct tally *t)
{
    const char *p[] = {run, o->apply ? "true" : "false"};
    PGresult *r = NULL;
    if (!db_tool_exec(c, "crtctl retention",
                      "SELECT person_id::text, controller "
                      "FROM crt_national_numbers_without_basis($1, $2::boolean)",
                      2, p, &r))
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        printf("  %s  %-6s  national number %s: no legal basis\n", PQgetvalue(r, i, 0),
               PQgetvalue(r, i, 1), o->apply ? "cleared" : "would be cleared");
    t->numbers = PQntuples(r);
    PQclear(r);
    return 0;
}

/* Access-log partitions wholly before the first day of the month log_months ago (UTC). */
static int log_partitions(PGconn *c, const struct retention_opts *o, struct tally *t)
{
    char months[16];
    snprintf(months, sizeof months, "%d", o->log_months);
    const char *p[] = {months};
    PGresult *r = NULL;
    if (!db_tool_exec(c, "crtctl retention",
                      "SELECT x.partition_name, x.range_from::text, x.range_to::text, b.t "
                      "FROM (SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') "
                      "  - make_interval(months => $1::int)) AT TIME ZONE 'UTC' AS t) b, "
                      "crt_log_partitions_expired(b.t) x",
                      1, p, &r))
        return -1;
    printf("access-log partitions older than %d months: %d\n", o->log_months, PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0);
        const char *q[] = {name, PQgetvalue(r, i, 3), months};
        PGresult *d = NULL;
        if (o->apply && !db_tool_exec(c, "crtctl retention",
                                      "SELECT outcome, row_count FROM crt_log_partition_drop("
                                      "$1, $2::timestamptz, make_interval(months => $3::int))",
                                      3, q, &d))
            d = NULL; /* logged */
        const char *outcome = !o->apply ? "would be dropped" : d ? PQgetvalue(d, 0, 0) : "failed";
        printf("  %s  [%s, %s)  %s", name, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), outcome);
        if (d && !PQgetisnull(d, 0, 1))
            printf(" (%s rows)", PQgetvalue(d, 0, 1));
        printf("%s\n", d && strcmp(outcome, "unsealed") == 0 ? ": run crt-review first" : "");
        t->dropped += d && strcmp(outcome, "dropped") == 0;
        t->dropped_rows += d && strcmp(outcome, "dropped") == 0 ? atol(PQgetvalue(d, 0, 1)) : 0;
        t->unsealed += d && strcmp(outcome, "unsealed") == 0;
        t->failed += o->apply && d == NULL;
        PQclear(d);
    }
    PQclear(r);
    return 0;
}

int retention_main(const struct crt_config *cfg, int argc, char **argv)
{
    struct retention_opts o;
    struct tally t = {0};
    char run[64];
    if (!parse_opts(argc, argv, &o))
        return retention_usage();
    o.ledger = cfg->erasure_ledger_file;
    snprintf(run, sizeof run, "retention-%ld-%d", (long)time(NULL), (int)getpid());
    PGconn *c = ctl_connect(cfg);
    if (c == NULL)
        return 1;
    int rc = (o.persons && persons_due(c, &o, run, &t)) ||
                     (o.persons && numbers_without_basis(c, &o, run, &t)) ||
                     (o.log && log_partitions(c, &o, &t))
                 ? 1
                 : 0;
    PQfinish(c);
    if (rc == 0)
        printf("%s: %ld erased, %ld marked for export, %ld escalated to the DPO, %ld awaiting "
               "export, %ld held by a retention duty; %ld national numbers without legal basis "
               "cleared; %ld log partitions dropped (%ld rows), %ld not sealed yet; "
               "%ld failed (run %s)\n",
               o.apply ? "done" : "dry run (use --apply)", t.erased, t.marked, t.escalated,
               t.awaiting, t.held, t.numbers, t.dropped, t.dropped_rows, t.unsealed, t.failed,
               run);
    return rc || t.failed ? 1 : 0;
}
