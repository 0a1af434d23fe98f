/* Cases: the open findings about one user or partner grouped into one case, with a short
 * plain-language narrative of the evidence rewritten after every run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt/db.h"
#include "crt/log.h"
#include "review.h"

static const char open_sql[] =
    "INSERT INTO review_cases (controller_id, user_id, partner_id) "
    "SELECT DISTINCT f.controller_id, f.user_id, f.partner_id FROM review_findings f "
    "JOIN reviews r ON r.id = f.last_review_id AND r.run_id = $1::bigint "
    "WHERE f.decision IS NULL AND f.case_id IS NULL AND NOT EXISTS (SELECT 1 FROM review_cases c "
    "  WHERE c.closed_at IS NULL AND c.controller_id = f.controller_id "
    "  AND (c.user_id = f.user_id OR c.partner_id = f.partner_id))";

static const char attach_sql[] =
    "UPDATE review_findings f SET case_id = c.id FROM review_cases c "
    "WHERE f.case_id IS NULL AND f.decision IS NULL AND c.closed_at IS NULL "
    "AND c.controller_id = f.controller_id AND (c.user_id = f.user_id OR c.partner_id = f.partner_id)";

/* Per open case touched by the run: per rule, the count and the most recent summary. */
static const char parts_sql[] =
    "SELECT f.case_id, f.rule_id, count(*), (array_agg(f.summary ORDER BY f.last_at DESC))[1], "
    "  COALESCE(u.username, p.name) "
    "FROM review_findings f JOIN review_cases c ON c.id = f.case_id "
    "LEFT JOIN staff_users u ON u.id = c.user_id LEFT JOIN partners p ON p.id = c.partner_id "
    "WHERE c.closed_at IS NULL AND c.id IN (SELECT case_id FROM review_findings g JOIN reviews r "
    "  ON r.id = g.last_review_id AND r.run_id = $1::bigint WHERE g.case_id IS NOT NULL) "
    "GROUP BY f.case_id, f.rule_id, u.username, p.name "
    "ORDER BY f.case_id, min(CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END), "
    "  f.rule_id";

static const char *rule_many(const char *id)
{
    for (size_t i = 0; i < n_rules; i++)
        if (strcmp(rules[i].id, id) == 0)
            return rules[i].many;
    return "%d findings";
}

static bool store(PGconn *pg, const char *case_id, const char *text)
{
    const char *p[] = {case_id, text};
    return db_tool_command(pg, "crt-review",
                           "UPDATE review_cases SET narrative = $2, updated_at = clock_timestamp() "
                           "WHERE id = $1::bigint",
                           2, p);
}

/* Appends one rule's part: its summary when alone, else its "many" phrase. */
static void append_part(char *buf, size_t len, const PGresult *r, int i)
{
    size_t used = strlen(buf);
    int n = atoi(PQgetvalue(r, i, 2));
    char part[600];
    if (n == 1)
        snprintf(part, sizeof part, "%s", PQgetvalue(r, i, 3));
    else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(part, sizeof part, rule_many(PQgetvalue(r, i, 1)), n); /* the rule table's */
#pragma GCC diagnostic pop
    snprintf(buf + used, len - used, "%s%s", used ? "; " : "", part);
}

static bool write_narratives(PGconn *pg, const PGresult *r)
{
    char text[4096] = "";
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if (text[0] == '\0')
            snprintf(text, sizeof text, "%s: ", PQgetvalue(r, i, 4));
        append_part(text + strlen(PQgetvalue(r, i, 4)) + 2,
                    sizeof text - strlen(PQgetvalue(r, i, 4)) - 2, r, i);
        bool last = i + 1 == n || strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i + 1, 0)) != 0;
        if (last) {
            if (!store(pg, PQgetvalue(r, i, 0), text))
                return false;
            text[0] = '\0';
        }
    }
    return true;
}

bool cases_update(PGconn *pg, long long run_id)
{
    char run[24];
    snprintf(run, sizeof run, "%lld", run_id);
    const char *p[] = {run};
    if (!db_tool_command(pg, "crt-review", open_sql, 1, p) ||
        !db_tool_command(pg, "crt-review", attach_sql, 0, NULL))
        return false;
    PGresult *r = NULL;
    bool ok = db_tool_exec(pg, "crt-review", parts_sql, 1, p, &r) && write_narratives(pg, r);
    PQclear(r);
    return ok;
}
