/* crt-review's own metrics for Prometheus: after each run and each verify, a file in the
 * node_exporter textfile-collector format (CRT_REVIEW_METRICS_DIR), written beside and renamed
 * over the old one, so that the collector never reads half a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

#define RUN_FILE "crt_review.prom"
#define VERIFY_FILE "crt_review_verify.prom"

/* Writes text to dir/name through dir/.name.tmp; false after logging why. */
static bool write_prom(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        log_warn("cannot make the metrics folder path=%s: %s", dir, strerror(errno));
    FILE *f = fopen(tmp, "we");
    bool ok = f && fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        log_error("metrics file not written path=%s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return ok;
}

/* The previous file's last success time, so that a failed run keeps it (0: none). */
static double previous_success(const char *dir)
{
    char path[4096], line[256];
    double t = 0;
    snprintf(path, sizeof path, "%s/%s", dir, RUN_FILE);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "crt_review_last_success_timestamp_seconds %lf", &t) == 1)
            break;
    if (f)
        fclose(f);
    return t;
}

/* Appends the rows of r as "<metric>{<label>="<col 0>"} <col 1>" lines. */
static void labelled(FILE *o, const PGresult *r, const char *metric, const char *label, int col)
{
    for (int i = 0; r && i < PQntuples(r); i++)
        fprintf(o, "%s{%s=\"%s\"} %s\n", metric, label, PQgetvalue(r, i, 0), PQgetvalue(r, i, col));
}

static const char *const seals_sql =
    "SELECT coalesce(extract(epoch FROM max(sealed_at)), 0), count(*), "
    "coalesce(sum(row_count), 0) FROM log_seals";
/* Allowed accesses and the explained ones over every review: the explained share of any window
 * is a ratio of increase()s (the alert compares the last day with the last week). */
static const char *const explained_sql =
    "SELECT c.code, coalesce(sum(r.accesses), 0), coalesce(sum(r.explained), 0) "
    "FROM controllers c LEFT JOIN reviews r ON r.controller_id = c.id GROUP BY c.code ORDER BY 1";
static const char *const findings_sql =
    "SELECT rule_id, count(*), count(*) FILTER (WHERE decision IS NULL) FROM review_findings "
    "GROUP BY rule_id ORDER BY 1";

/* The database's part: seals, explained shares, findings by rule; left out when pg is NULL or
 * a query fails (the run's own lines still say it failed). */
static void database_part(FILE *o, PGconn *pg)
{
    PGresult *s = NULL, *e = NULL, *f = NULL;
    if (pg == NULL || !db_tool_exec(pg, "crt-review", seals_sql, 0, NULL, &s) ||
        !db_tool_exec(pg, "crt-review", explained_sql, 0, NULL, &e) ||
        !db_tool_exec(pg, "crt-review", findings_sql, 0, NULL, &f)) {
        PQclear(s), PQclear(e), PQclear(f);
        return;
    }
    fprintf(o, "# HELP crt_review_last_seal_timestamp_seconds When the newest seal was made.\n"
               "# TYPE crt_review_last_seal_timestamp_seconds gauge\n"
               "crt_review_last_seal_timestamp_seconds %s\n"
               "# HELP crt_review_seals_total Seals made.\n# TYPE crt_review_seals_total counter\n"
               "crt_review_seals_total %s\n"
               "# HELP crt_review_sealed_rows_total Access-log rows sealed.\n"
               "# TYPE crt_review_sealed_rows_total counter\ncrt_review_sealed_rows_total %s\n",
            PQgetvalue(s, 0, 0), PQgetvalue(s, 0, 1), PQgetvalue(s, 0, 2));
    fprintf(o, "# HELP crt_review_accesses_total Allowed accesses to a person reviewed.\n"
               "# TYPE crt_review_accesses_total counter\n");
    labelled(o, e, "crt_review_accesses_total", "controller", 1);
    fprintf(o, "# HELP crt_review_explained_total Reviewed accesses with an explanation.\n"
               "# TYPE crt_review_explained_total counter\n");
    labelled(o, e, "crt_review_explained_total", "controller", 2);
    fprintf(o, "# HELP crt_review_findings_total Findings made, by rule.\n"
               "# TYPE crt_review_findings_total counter\n");
    labelled(o, f, "crt_review_findings_total", "rule", 1);
    fprintf(o, "# HELP crt_review_open_findings Findings without a decision, by rule.\n"
               "# TYPE crt_review_open_findings gauge\n");
    labelled(o, f, "crt_review_open_findings", "rule", 2);
    PQclear(s), PQclear(e), PQclear(f);
}

bool review_metrics_run(PGconn *pg, const struct crt_config *cfg, long every, bool ok,
                        double started)
{
    if (cfg->metrics_dir[0] == '\0')
        return true;
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    if (o == NULL)
        return false;
    double now = (double)time(NULL), success = ok ? now : previous_success(cfg->metrics_dir);
    fprintf(o, "# HELP crt_review_last_run_timestamp_seconds When the last run ended.\n"
               "# TYPE crt_review_last_run_timestamp_seconds gauge\n"
               "crt_review_last_run_timestamp_seconds %.0f\n"
               "# HELP crt_review_last_run_success Whether the last run sealed and reviewed.\n"
               "# TYPE crt_review_last_run_success gauge\ncrt_review_last_run_success %d\n"
               "# HELP crt_review_last_success_timestamp_seconds When a run last succeeded.\n"
               "# TYPE crt_review_last_success_timestamp_seconds gauge\n"
               "crt_review_last_success_timestamp_seconds %.0f\n"
               "# HELP crt_review_last_run_duration_seconds How long the last run took.\n"
               "# TYPE crt_review_last_run_duration_seconds gauge\n"
               "crt_review_last_run_duration_seconds %.0f\n"
               "# HELP crt_review_interval_seconds The interval of run --every (0: one run, e.g. "
               "from a timer).\n# TYPE crt_review_interval_seconds gauge\n"
               "crt_review_interval_seconds %ld\n",
            now, ok ? 1 : 0, success, now - started, every);
    database_part(o, pg);
    bool written = fclose(o) == 0 && write_prom(cfg->metrics_dir, RUN_FILE, text, len);
    free(text);
    return written;
}

bool review_metrics_verify(const struct crt_config *cfg, int rc)
{
    char text[512];
    if (cfg->metrics_dir[0] == '\0')
        return true;
    int n = snprintf(text, sizeof text,
                     "# HELP crt_review_verify_timestamp_seconds When verify last ran.\n"
                     "# TYPE crt_review_verify_timestamp_seconds gauge\n"
                     "crt_review_verify_timestamp_seconds %lld\n"
                     "# HELP crt_review_verify_result 0 clean, 1 the log or the seals were "
                     "altered, 2 could not verify.\n# TYPE crt_review_verify_result gauge\n"
                     "crt_review_verify_result %d\n",
                     (long long)time(NULL), rc);
    return write_prom(cfg->metrics_dir, VERIFY_FILE, text, (size_t)n);
}
