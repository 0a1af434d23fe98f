/* Reports: per review of a run, a JSON document and a readable HTML page under
 * CRT_REVIEW_REPORT_DIR/<controller code>/ (counts, explained share over time, open findings). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

#define REPORT_DIR_MODE 0750
#define REPORT_FILE_MODE 0640
#define REPORT_HISTORY 30 /* reviews of the controller in the explained-share history */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Times are RFC 3339 in the session time zone, set per review to the controller's. */
#define TS(x) "to_char(" x ", 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"
/* A share of d, rounded to 4 decimals; null when d is 0. */
#define SHARE(n, d) "CASE WHEN " d " > 0 THEN round((" n ")::numeric / " d ", 4) END"
#define SEV(s) "CASE " s " WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"

static const char list_sql[] =
    "SELECT r.id, c.code, c.timezone FROM reviews r JOIN controllers c ON c.id = r.controller_id "
    "WHERE r.run_id = $1::bigint ORDER BY r.id";

/* The open findings of the review's controller, one object per case (or per subject when a
 * finding has no case), worst severity first. Persons appear by id only. */
#define OPEN_CASES_SQL                                                                         \
    "(SELECT COALESCE(json_agg(g.doc ORDER BY g.rank, g.last DESC), '[]') FROM ("             \
    "  SELECT min(" SEV("f.severity") ") rank, max(f.last_at) last, json_build_object("      \
    "    'case_id', f.case_id, 'narrative', k.narrative, 'subject', CASE "                    \
    "      WHEN f.user_id IS NOT NULL THEN json_build_object('kind', 'staff', 'user_id', "    \
    "        f.user_id, 'username', u.username) "                                             \
    "      WHEN f.partner_id IS NOT NULL THEN json_build_object('kind', 'partner', "          \
    "        'partner_id', f.partner_id, 'name', p.name) END, "                               \
    "    'findings', json_agg(json_build_object('finding_id', f.id, 'rule_id', f.rule_id, "   \
    "      'severity', f.severity, 'summary', f.summary, 'person_id', f.person_id, "          \
    "      'first_at', " TS("f.first_at") ", 'last_at', " TS("f.last_at") ", "                \
    "      'occurrences', f.occurrences, 'first_review_id', f.first_review_id, "              \
    "      'last_review_id', f.last_review_id) "                                              \
    "      ORDER BY " SEV("f.severity") ", f.last_at DESC, f.id)) doc "                       \
    "  FROM review_findings f LEFT JOIN review_cases k ON k.id = f.case_id "                  \
    "  LEFT JOIN staff_users u ON u.id = f.user_id LEFT JOIN partners p ON p.id = f.partner_id " \
    "  WHERE f.controller_id = r.controller_id AND f.decision IS NULL "                       \
    "  GROUP BY f.case_id, k.narrative, f.user_id, u.username, f.partner_id, p.name) g)"

/* The explained share of the controller's last REPORT_HISTORY reviews up to this one. */
#define HISTORY_SQL                                                                            \
    "(SELECT COALESCE(json_agg(json_build_object('review_id', h.id, 'run_id', h.run_id, "    \
    "  'created_at', " TS("h.created_at") ", 'accesses', h.accesses, 'explained', "          \
    "  h.explained, 'explained_share', " SHARE("h.explained", "h.accesses") ", "             \
    "  'first_accesses', h.first_accesses, 'first_explained_share', "                        \
    SHARE("h.first_explained", "h.first_accesses") ") ORDER BY h.id), '[]') "                \
    "  FROM (SELECT * FROM reviews h WHERE h.controller_id = r.controller_id AND h.id <= r.id " \
    "        ORDER BY h.id DESC LIMIT " STR(REPORT_HISTORY) ") h)"

/* One review as the report document ($1 review id). json, not jsonb: keys keep their order. */
static const char doc_sql[] =
    "SELECT json_build_object('format', 'crt-review-report/1', 'review_id', r.id, "
    "'run_id', r.run_id, 'controller', json_build_object('id', c.id, 'code', c.code, "
    "  'name', c.name, 'timezone', c.timezone), "
    "'created_at', " TS("r.created_at") ", 'window_from', " TS("r.window_from") ", "
    "'window_to', " TS("r.window_to") ", "
    "'counts', json_build_object('log_rows', r.log_rows, 'accesses', r.accesses, "
    "  'explained', r.explained, 'unexplained', r.accesses - r.explained, "
    "  'first_accesses', r.first_accesses, 'first_explained', r.first_explained, "
    "  'denied', r.denied, 'searches', r.searches, 'findings_new', r.findings_new, "
    "  'findings_updated', r.findings_updated, 'open_findings', (SELECT count(*) "
    "  FROM review_findings o WHERE o.controller_id = r.controller_id AND o.decision IS NULL)), "
    "'shares', json_build_object('explained', " SHARE("r.explained", "r.accesses") ", "
    "  'first_explained', " SHARE("r.first_explained", "r.first_accesses") "), "
    "'by_explanation', (SELECT COALESCE(json_agg(json_build_object('explanation', e.key, "
    "  'accesses', e.value::bigint, 'share', " SHARE("e.value::bigint", "r.accesses") ") "
    "  ORDER BY e.value::bigint DESC, e.key), '[]') FROM jsonb_each_text(r.by_explanation) e), "
    "'history', " HISTORY_SQL ", 'open_cases', " OPEN_CASES_SQL ")::text "
    "FROM reviews r JOIN controllers c ON c.id = r.controller_id WHERE r.id = $1::bigint";

/* ---- the document ---- */

/* Reads the document of one review, times in time zone tz. Caller owns (json_decref) the
 * result; NULL on error (logged). */
static json_t *load_doc(PGconn *pg, const char *review_id, const char *tz)
{
    const char *p[] = {review_id}, *z[] = {tz};
    json_t *doc = NULL;
    if (!db_tool_command(pg, "crt-review", "BEGIN READ ONLY", 0, NULL))
        return NULL;
    PGresult *r = NULL;
    if (db_tool_command(pg, "crt-review", "SELECT set_config('TimeZone', $1, true)", 1, z) &&
        db_tool_exec(pg, "crt-review", doc_sql, 1, p, &r) && PQntuples(r) == 1) {
        json_error_t err;
        doc = json_loads(PQgetvalue(r, 0, 0), 0, &err);
        if (doc == NULL)
            log_error("report document unreadable review=%s: %s", review_id, err.text);
    }
    PQclear(r);
    if (!db_tool_command(pg, "crt-review", "COMMIT", 0, NULL)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* ---- HTML: every value goes through esc() ---- */

static void esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* A string or number as escaped text; null or absent as a dash. */
static void val(FILE *out, const json_t *v)
{
    char buf[64];
    if (json_is_string(v)) {
        esc(out, json_string_value(v));
        return;
    }
    if (!json_is_number(v)) {
        fputs("&#8212;", out);
        return;
    }
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(buf, sizeof buf, "%g", json_real_value(v));
    esc(out, buf);
}

static void field(FILE *out, const json_t *obj, const char *key)
{
    val(out, json_object_get(obj, key));
}

/* A share (0..1) as a percentage; a dash when there was nothing to share. */
static void pct(FILE *out, const json_t *v)
{
    if (json_is_number(v))
        fprintf(out, "%.1f%%", json_number_value(v) * 100.0);
    else
        fputs("&#8212;", out);
}

/* An RFC 3339 time shown to the minute: "2026-11-25 18:21". */
static void when(FILE *out, const json_t *v)
{
    const char *s = json_string_value(v);
    char buf[17];
    if (s == NULL || strlen(s) < 16) {
        val(out, v);
        return;
    }
    memcpy(buf, s, 16);
    buf[10] = ' ';
    buf[16] = '\0';
    esc(out, buf);
}

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1d2329;max-width:60rem;margin:2rem auto;"
    "padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px "
    "solid #ccd}h3{font-size:1rem;margin-bottom:.2rem}table{border-collapse:collapse;width:100%;"
    "margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e4e6ea;"
    "vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}.bar{background:"
    "#e4e6ea;height:.8rem;width:12rem}.bar div{background:#2f6f4e;height:100%}.sev-high{color:"
    "#a4161a;font-weight:600}.sev-medium{color:#9a5b00}.muted{color:#5f6b76}.case{margin:1.2rem 0;"
    "padding:.5rem 1rem;border-left:4px solid #ccd}.id{font-family:monospace;font-size:.85em}";

static void html_head(FILE *out, const json_t *doc)
{
    const json_t *c = json_object_get(doc, "controller");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\"><title>Access-log review ", out);
    field(out, doc, "review_id");
    fputs(" &#8212; ", out);
    field(out, c, "name");
    fprintf(out, "</title><style>%s</style></head><body>\n<h1>Access-log review ", css);
    field(out, doc, "review_id");
    fputs(" &#8212; ", out);
    field(out, c, "name");
    fputs("</h1>\n<p class=\"muted\">Accesses from ", out);
    when(out, json_object_get(doc, "window_from"));
    fputs(" to ", out);
    when(out, json_object_get(doc, "window_to"));
    fputs(" (", out);
    field(out, c, "timezone");
    fputs("); run ", out);
    field(out, doc, "run_id");
    fputs(", written ", out);
    when(out, json_object_get(doc, "created_at"));
    fputs(".</p>\n", out);
}

static const struct {
    const char *key, *label;
} count_rows[] = {
    {"log_rows", "Log rows reviewed"},
    {"accesses", "Accesses to a person"},
    {"explained", "&#8230; explained"},
    {"unexplained", "&#8230; unexplained"},
    {"first_accesses", "First accesses (a user's first access to a person)"},
    {"first_explained", "&#8230; explained"},
    {"denied", "Denied attempts"},
    {"searches", "Searches"},
    {"findings_new", "New findings in this review"},
    {"findings_updated", "Findings seen again in this review"},
    {"open_findings", "Open findings of the controller (not yet decided)"},
};

static void html_counts(FILE *out, const json_t *doc)
{
    const json_t *counts = json_object_get(doc, "counts"), *shares = json_object_get(doc, "shares");
    fputs("<h2>Counts</h2>\n<table>", out);
    for (size_t i = 0; i < sizeof count_rows / sizeof count_rows[0]; i++) {
        fprintf(out, "<tr><th>%s</th><td class=\"n\">", count_rows[i].label);
        field(out, counts, count_rows[i].key);
        fputs("</td></tr>", out);
    }
    fputs("<tr><th>Explained share</th><td class=\"n\">", out);
    pct(out, json_object_get(shares, "explained"));
    fputs("</td></tr><tr><th>Explained share of first accesses</th><td class=\"n\">", out);
    pct(out, json_object_get(shares, "first_explained"));
    fputs("</td></tr></table>\n", out);
}

static void html_explanations(FILE *out, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "by_explanation"), *e;
    size_t i;
    fputs("<h2>Accesses by explanation</h2>\n<table><tr><th>Explanation</th>"
          "<th>Accesses</th><th>Share</th></tr>", out);
    if (json_array_size(rows) == 0)
        fputs("<tr><td colspan=\"3\" class=\"muted\">No accesses in this review.</td></tr>", out);
    json_array_foreach(rows, i, e)
    {
        fputs("<tr><td>", out);
        field(out, e, "explanation");
        fputs("</td><td class=\"n\">", out);
        field(out, e, "accesses");
        fputs("</td><td class=\"n\">", out);
        pct(out, json_object_get(e, "share"));
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
}

/* A horizontal bar for a share (0..1); nothing when there is none. */
static void bar(FILE *out, const json_t *share)
{
    if (!json_is_number(share))
        return;
    double v = json_number_value(share);
    v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    fprintf(out, "<div class=\"bar\"><div style=\"width:%.1f%%\"></div></div>", v * 100.0);
}

static void html_history(FILE *out, const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "history"), *h;
    size_t i;
    fputs("<h2>Explained share over time</h2>\n<table><tr><th>Review</th><th>Written</th>"
          "<th>Accesses</th><th colspan=\"2\">Explained</th><th>First accesses explained</th>"
          "</tr>", out);
    json_array_foreach(rows, i, h)
    {
        fputs("<tr><td class=\"n\">", out);
        field(out, h, "review_id");
        fputs("</td><td>", out);
        when(out, json_object_get(h, "created_at"));
        fputs("</td><td class=\"n\">", out);
        field(out, h, "accesses");
        fputs("</td><td class=\"n\">", out);
        pct(out, json_object_get(h, "explained_share"));
        fputs("</td><td>", out);
        bar(out, json_object_get(h, "explained_share"));
        fputs("</td><td class=\"n\">", out);
        pct(out, json_object_get(h, "first_explained_share"));
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
}

static void html_subject(FILE *out, const json_t *s)
{
    bool staff = json_is_string(json_object_get(s, "username"));
    fputs(staff ? "Staff user " : json_is_object(s) ? "Partner " : "Unknown subject", out);
    if (!json_is_object(s))
        return;
    field(out, s, staff ? "username" : "name");
    fputs(" <span class=\"id muted\">", out);
    field(out, s, staff ? "user_id" : "partner_id");
    fputs("</span>", out);
}

static void html_finding(FILE *out, const json_t *f)
{
    const char *sev = json_string_value(json_object_get(f, "severity"));
    fputs("<tr><td class=\"sev-", out);
    esc(out, sev ? sev : "");
    fputs("\">", out);
    field(out, f, "severity");
    fputs("</td><td>", out);
    field(out, f, "rule_id");
    fputs("</td><td>", out);
    field(out, f, "summary");
    fputs("</td><td class=\"id\">", out);
    field(out, f, "person_id");
    fputs("</td><td>", out);
    when(out, json_object_get(f, "first_at"));
    fputs("</td><td>", out);
    when(out, json_object_get(f, "last_at"));
    fputs("</td><td class=\"n\">", out);
    field(out, f, "occurrences");
    fputs("</td></tr>", out);
}

static void html_case(FILE *out, const json_t *c)
{
    const json_t *findings = json_object_get(c, "findings"), *f;
    size_t i;
    if (json_is_integer(json_object_get(c, "case_id"))) {
        fputs("<div class=\"case\"><h3>Case ", out);
        field(out, c, "case_id");
        fputs(": ", out);
    } else {
        fputs("<div class=\"case\"><h3>Not in a case yet: ", out);
    }
    html_subject(out, json_object_get(c, "subject"));
    fputs("</h3>\n<p>", out);
    field(out, c, "narrative");
    fputs("</p>\n<table><tr><th>Severity</th><th>Rule</th><th>Summary</th><th>Person</th>"
          "<th>First</th><th>Last</th><th>Runs</th></tr>", out);
    json_array_foreach(findings, i, f)
        html_finding(out, f);
    fputs("</table></div>\n", out);
}

static void html_cases(FILE *out, const json_t *doc)
{
    const json_t *cases = json_object_get(doc, "open_cases"), *c;
    size_t i;
    fputs("<h2>Open findings by case</h2>\n", out);
    if (json_array_size(cases) == 0)
        fputs("<p class=\"muted\">No open findings.</p>\n", out);
    json_array_foreach(cases, i, c)
        html_case(out, c);
}

/* ---- files ---- */

typedef bool (*report_emit)(FILE *out, const json_t *doc);

static bool emit_json(FILE *out, const json_t *doc)
{
    return json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) == 0 &&
           fputc('\n', out) != EOF;
}

/* Write errors are caught by the caller's ferror/fflush. */
static bool emit_html(FILE *out, const json_t *doc)
{
    html_head(out, doc);
    html_counts(out, doc);
    html_history(out, doc);
    html_explanations(out, doc);
    html_cases(out, doc);
    fputs("<p class=\"muted\">Persons appear by id only. Decide findings through the CRT API "
          "(PATCH /v1/reviews/{id}/findings/{id}).</p>\n</body></html>\n", out);
    return true;
}

/* mkdir -p with mode REPORT_DIR_MODE. */
static bool make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, REPORT_DIR_MODE) != 0 && errno != EEXIST)
            return false;
        *p = c;
        if (c == '\0')
            return true;
    }
}

/* Makes the renames in dir durable. */
static bool sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (!ok)
        log_error("could not sync the report folder path=%s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Writes dir/name atomically: emit into dir/.name.tmp, flush, fsync, rename over dir/name. */
static bool write_atomic(const char *dir, const char *name, report_emit emit, const json_t *doc)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    bool ok = false;
    FILE *f = NULL;
    int fd = -1;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp)
        goto done;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, REPORT_FILE_MODE);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0)
            close(fd);
        goto done;
    }
    ok = emit(f, doc) && fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
done:
    if (!ok) {
        log_error("could not write the report path=%s/%s: %s", dir, name, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    return ok;
}

/* base.json and base.html in dir. */
static bool write_pair(const char *dir, const char *base, const json_t *doc)
{
    char json[128], html[128];
    snprintf(json, sizeof json, "%s.json", base);
    snprintf(html, sizeof html, "%s.html", base);
    return write_atomic(dir, json, emit_json, doc) && write_atomic(dir, html, emit_html, doc);
}

/* The report of one review: review-<id>.{json,html}, then latest.{json,html}. */
static bool report_review(PGconn *pg, const struct crt_config *cfg, const char *review_id,
                          const char *code, const char *tz)
{
    char dir[PATH_MAX], base[64];
    json_t *doc = load_doc(pg, review_id, tz);
    if (doc == NULL)
        return false;
    bool ok = snprintf(dir, sizeof dir, "%s/%s", cfg->report_dir, code) < (int)sizeof dir &&
              make_dirs(dir);
    if (!ok)
        log_error("could not create the report folder path=%s/%s: %s", cfg->report_dir, code,
                  strerror(errno));
    snprintf(base, sizeof base, "review-%s", review_id);
    ok = ok && write_pair(dir, base, doc) && write_pair(dir, "latest", doc) && sync_dir(dir);
    json_decref(doc);
    if (ok)
        log_info("report written review=%s path=%s/%s.html", review_id, dir, base);
    return ok;
}

bool report_write(PGconn *pg, const struct crt_config *cfg, long long run_id)
{
    char run[24];
    snprintf(run, sizeof run, "%lld", run_id);
    const char *p[] = {run};
    PGresult *r = NULL;
    if (!db_tool_exec(pg, "crt-review", list_sql, 1, p, &r))
        return false;
    bool ok = true;
    for (int i = 0; i < PQntuples(r); i++) /* one controller's failure does not stop the others */
        ok = report_review(pg, cfg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                           PQgetvalue(r, i, 2)) && ok;
    PQclear(r);
    return ok;
}
