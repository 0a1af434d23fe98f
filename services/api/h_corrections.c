/* Telling partners of corrections: the partners' pull and acknowledgement of the notifications
 * rights.c queues when a person's data are rectified, restricted or erased (GDPR art. 19). */
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ---- the partner's side ---- */

static const struct api_col correction_cols[] = {
    {"id", COL_INT},           {"kind", COL_TEXT},         {"person_id", COL_TEXT},
    {"controller", COL_TEXT},  {"field_groups", COL_JSON}, {"fields", COL_JSON},
    {"created_at", COL_TEXT},
};

/* GET /v1/partner/corrections[?after=ID][&limit=N]: the partner's unacknowledged notifications,
 * oldest first. Names of fields only: the new values come with the next pull of the person. */
void h_partner_corrections(struct http_ctx *ctx)
{
    static const char *const names[] = {"after", "limit", NULL};
    const char *v[2];
    PGresult *r = NULL;
    if (!api_query(ctx, names, v))
        return;
    const char *bad = v[0] && !validate_int(v[0], 1, API_MAX_ID) ? "after"
                      : v[1] && !validate_int(v[1], 1, 500)      ? "limit"
                                                                 : NULL;
    if (bad) {
        problem_send(ctx, 400, "validation", "use after=<notification id> and limit=1..500", bad);
        return;
    }
    if (!api_begin(ctx))
        return;
    const char *p[] = {v[0], v[1] ? v[1] : "100"};
    enum db_status st = db_exec(ctx_db(ctx), "corrections_pending", 2, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = api_row_array(r, correction_cols, API_NCOLS(correction_cols));
    PQclear(r);
    api_commit_send(ctx, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

/* POST /v1/partner/corrections/{id}/ack: the partner has applied the notification. */
void h_partner_correction_ack(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *id = api_path_id(ctx, "id", "no such pending notification");
    if (id == NULL || !api_begin(ctx))
        return;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "correction_ack", 1, p, &r);
    bool acked = st == DB_OK && PQntuples(r) == 1;
    PQclear(r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
    } else if (!acked) {
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 404, "not-found", "no such pending notification", NULL);
    } else {
        api_commit_send(ctx, 200, json_pack("{s:s, s:s}", "id", id, "status", "acknowledged"));
    }
}
