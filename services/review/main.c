/* crt-review: the command line (run [--every DURATION], verify, stats), the run loop that seals
 * new log rows and reviews every unreviewed seal once, and the statistics refresh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: crt-review <command>\n\n"
                 "  run [--every DURATION]  seal the log rows committed since the last seal and\n"
                 "                          review them (findings, cases, reports); with --every\n"
                 "                          (e.g. 15m, 1h) repeat until SIGTERM\n"
                 "  verify                  recompute every seal, check signatures and the head\n"
                 "                          file; exit 0 clean, 1 altered, 2 could not verify\n"
                 "  stats [--as-of DATE]    rebuild the statistics cells (small cells\n"
                 "                          suppressed, CRT_STATS_THRESHOLD); run daily\n"
                 "  help                    this text\n\n");
    config_print_help(out, CFG_REVIEW);
}

/* Reviews one seal's rows in one transaction; a seal already reviewed is skipped. started:
 * that transaction is open on pg and its explanation was sent (explain_start); fold: what the seal's
 * stream folded (NULL: read from the rows). */
static bool review_seal(PGconn *pg, const struct crt_config *cfg, const struct seal_info *seal,
                        bool started, struct rowfold *fold)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", seal->id);
    const char *p[] = {sid};
    bool open = started ? explain_finish(pg, cfg, seal, fold)
                        : db_tool_command(pg, "crt-review", "BEGIN", 0, NULL);
    if (!open) {
        db_tool_rollback(pg, "crt-review");
        return false;
    }
    PGresult *r = NULL;
    bool got = db_tool_exec(pg, "crt-review",
                            "INSERT INTO review_runs (seal_id) VALUES ($1::bigint) "
                            "ON CONFLICT (seal_id) DO NOTHING RETURNING id",
                            1, p, &r);
    long long run_id = got && PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    char run[24];
    snprintf(run, sizeof run, "%lld", run_id);
    const char *q[] = {run, sid};
    bool ok =
        got && !(started && run_id == 0) && /* reviewed meanwhile: its pairs stay as they were */
        (run_id == 0 ||
         ((started || explain_seal(pg, cfg, seal)) && explain_record_stats(pg, run_id) &&
          rules_apply(pg, cfg, run_id) && cases_update(pg, run_id) &&
          db_tool_command(pg, "crt-review",
                          "UPDATE review_runs SET finished_at = clock_timestamp(), "
                          "log_rows = (SELECT row_count FROM log_seals WHERE id = $2::bigint) "
                          "WHERE id = $1::bigint",
                          2, q)));
    if (!ok || !db_tool_command(pg, "crt-review", "COMMIT", 0, NULL)) {
        db_tool_rollback(pg, "crt-review");
        return got && started && run_id == 0;
    }
    if (run_id == 0)
        return true;
    log_info("reviewed seal=%lld run=%lld rows=%lld", seal->id, run_id, seal->row_count);
    /* The review is committed: a report that cannot be written is logged, not fatal. */
    if (!report_write(pg, cfg, run_id))
        log_warn("reports of run=%lld not written; the findings are in the database", run_id);
    return true;
}

/* Seals without a run (a run that sealed and then failed): reviewed now, oldest first. */
static bool review_pending(PGconn *pg, const struct crt_config *cfg)
{
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review",
                      "SELECT id, txid_from, txid_to, row_count FROM log_seals s "
                      "WHERE NOT EXISTS (SELECT 1 FROM review_runs r "
                      "WHERE r.seal_id = s.id) ORDER BY id",
                      0, NULL, &r))
        return false;
    bool ok = true;
    for (int i = 0; ok && i < PQntuples(r); i++) {
        struct seal_info s = {atoll(PQgetvalue(r, i, 0)), atoll(PQgetvalue(r, i, 3)),
                              atoll(PQgetvalue(r, i, 1)), atoll(PQgetvalue(r, i, 2)), ""};
        ok = review_seal(pg, cfg, &s, false, NULL);
    }
    PQclear(r);
    return ok;
}

static PGconn *connect_db(const struct crt_config *cfg);

/* The new seal's review, on a second connection of its own (D56): its big statement runs in
 * the server while the seal's rows are hashed on the first, on the machine's other core, and
 * folded in C (D68). */
struct overlap {
    PGconn *pg; /* NULL: the seal is reviewed after it is made, on the first connection */
    bool started; /* a transaction is open on pg and the explanation was sent */
    struct rowfold *fold; /* fed by the seal's stream; NULL: the review reads the rows */
};

/* seal_watch.started: the seal's range is known; a review that cannot start waits for its turn. */
static void overlap_start(void *ctx, const struct seal_info *seal)
{
    struct overlap *o = ctx;
    o->started = o->pg && db_tool_command(o->pg, "crt-review", "BEGIN", 0, NULL);
    if (o->started && !explain_start(o->pg, seal)) {
        db_tool_rollback(o->pg, "crt-review");
        o->started = false;
    }
}

/* One run under the advisory lock: a concurrent run finds the lock taken and does nothing.
 * Seals left without a review by an earlier run are reviewed first, oldest first; then the new
 * seal is made and reviewed, both at once where a second connection can be had. */
static int run_once(PGconn *pg, const struct crt_config *cfg)
{
    char lock[2];
    bool found = false;
    if (!db_tool_value(pg, "crt-review", "SELECT pg_try_advisory_lock($1::bigint)", 1,
                       (const char *[]){REVIEW_LOCK_KEY}, lock, sizeof lock, &found))
        return 1;
    bool locked = found && strcmp(lock, "t") == 0;
    if (!locked) {
        log_info("another crt-review run holds the lock; nothing to do");
        return 0;
    }
    bool ok = review_pending(pg, cfg);
    struct overlap o = {ok ? connect_db(cfg) : NULL, false, NULL};
    if (ok && o.pg == NULL)
        log_warn("no second connection: the new seal is reviewed after it is made");
    o.fold = o.pg ? rowfold_new() : NULL;
    struct seal_watch watch = {overlap_start, rowfold_seal_begin, rowfold_seal_rows, &o, o.fold};
    struct seal_info seal;
    enum seal_outcome so = ok ? seal_new(pg, cfg, &seal, &watch) : SEAL_ERROR;
    if (o.started && so == SEAL_NEW)
        ok = review_seal(o.pg, cfg, &seal, true, o.fold);
    else if (o.started)
        explain_abandon(o.pg);
    rowfold_free(o.fold);
    PQfinish(o.pg);
    ok = ok && so != SEAL_ERROR && review_pending(pg, cfg);
    if (so == SEAL_NOTHING)
        log_info("no new log rows since the last seal");
    bool unlocked = db_tool_command(pg, "crt-review", "SELECT pg_advisory_unlock($1::bigint)", 1,
                                    (const char *[]){REVIEW_LOCK_KEY});
    (void)unlocked; /* a failure is logged; the lock ends with the connection anyway */
    return ok ? 0 : 1;
}

/* "90s", "15m", "1h", "1d" → seconds; 0 when invalid. */
static long parse_duration(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    return v > 0 && unit && end[1] == '\0' && v <= 7 * 86400 / unit ? v * unit : 0;
}

static PGconn *connect_db(const struct crt_config *cfg)
{
    PGconn *pg = PQconnectdb(cfg->review_database_url);
    if (PQstatus(pg) != CONNECTION_OK) {
        log_error("cannot connect to the database: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    /* The review works in large set-based statements over one temporary table: give them
     * memory for hashes and sorts, and keep the temporary table in memory where it fits. The
     * seal hashes the log's text as crt_log_canonical() does, in UTF-8 (D59). */
    if (!db_tool_script(pg, "crt-review: cannot set up the session",
                        "SET application_name = 'crt-review'; SET client_encoding = 'UTF8'; "
                        "SET work_mem = '256MB'; "
                        "SET temp_buffers = '512MB'; SET jit = off")) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int cmd_run(const struct crt_config *cfg, long every)
{
    int rc = 0;
    do {
        double started = (double)time(NULL);
        PGconn *pg = connect_db(cfg);
        rc = pg ? run_once(pg, cfg) : 1;
        if (!review_metrics_run(pg, cfg, every, rc == 0, started))
            log_warn("the metrics file was not written; the run itself is done");
        PQfinish(pg);
        for (long s = 0; every && s < every && !stop_requested; s++)
            sleep(1);
    } while (every && !stop_requested);
    return rc;
}

static int cmd_verify(const struct crt_config *cfg)
{
    PGconn *pg = connect_db(cfg);
    int rc = pg ? verify_run(pg, cfg, stdout) : -1;
    PQfinish(pg);
    rc = rc < 0 ? 2 : rc;
    if (!review_metrics_verify(cfg, rc))
        log_warn("the verify metrics file was not written");
    return rc;
}

/* Rebuilds the statistics cells in one transaction (crt_stats_refresh, migration 028). */
static int cmd_stats(const struct crt_config *cfg, const char *as_of)
{
    PGconn *pg = connect_db(cfg);
    if (pg == NULL)
        return 1;
    char threshold[16], cells[32];
    bool found = false;
    snprintf(threshold, sizeof threshold, "%d", cfg->stats_threshold);
    const char *p[] = {threshold, as_of};
    bool ok = db_tool_value(pg, "crt-review stats",
                            "SELECT crt_stats_refresh($1::int, coalesce($2::date, current_date))",
                            2, p, cells, sizeof cells, &found);
    if (ok && found)
        log_info("statistics refreshed: %s cells, threshold %s", cells, threshold);
    PQfinish(pg);
    return ok && found ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct crt_config cfg;
    char err[256];
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!config_load(&cfg, CFG_REVIEW, err, sizeof err)) {
        fprintf(stderr, "crt-review: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int rc = 2;
    long every = 0;
    if (strcmp(argv[1], "run") == 0 && argc == 2) {
        rc = cmd_run(&cfg, 0);
    } else if (strcmp(argv[1], "run") == 0 && argc == 4 && strcmp(argv[2], "--every") == 0 &&
               (every = parse_duration(argv[3])) > 0) {
        rc = cmd_run(&cfg, every);
    } else if (strcmp(argv[1], "stats") == 0 && argc == 2) {
        rc = cmd_stats(&cfg, NULL);
    } else if (strcmp(argv[1], "stats") == 0 && argc == 4 && strcmp(argv[2], "--as-of") == 0) {
        rc = cmd_stats(&cfg, argv[3]);
    } else if (strcmp(argv[1], "verify") == 0 && argc == 2) {
        rc = cmd_verify(&cfg);
    } else {
        usage(stderr);
    }
    config_free(&cfg);
    return rc;
}
