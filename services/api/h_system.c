/* Operational routes: liveness, readiness (the database answers), Prometheus metrics, and the
 * caller's own identity. */
#include <stdlib.h>

#include "api.h"
#include "crt/metrics.h"

void h_healthz(struct http_ctx *ctx)
{
    json_t *o = json_pack("{s:s}", "status", "ok");
    http_send_json(ctx, 200, o);
    json_decref(o);
}

void h_readyz(struct http_ctx *ctx)
{
    enum db_status st = db_exec_idle(ctx_db(ctx), "ping", 0, NULL, NULL);
    if (st != DB_OK) {
        problem_send(ctx, 503, "unavailable", "the database is not reachable", NULL);
        return;
    }
    json_t *o = json_pack("{s:s}", "status", "ready");
    http_send_json(ctx, 200, o);
    json_decref(o);
}

void h_metrics(struct http_ctx *ctx)
{
    /* crt_db_up: whether this worker's connection answers now (the "database unreachable"
     * alert); a scrape costs one round trip. */
    metrics_db_up(db_exec_idle(ctx_db(ctx), "ping", 0, NULL, NULL) == DB_OK);
    char *text = metrics_render();
    if (text == NULL) {
        problem_send(ctx, 500, "internal", "metrics could not be rendered", NULL);
        return;
    }
    http_send_text(ctx, 200, "text/plain; version=0.0.4", text);
    free(text);
}

void h_me(struct http_ctx *ctx)
{
    PGresult *r = NULL;
    const char *p[] = {ctx->who.user_id};
    if (!api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "me", 1, p, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    if (PQntuples(r) != 1) { /* cannot happen while the session stands; answer as if it ended */
        PQclear(r);
        db_rollback(ctx_db(ctx));
        problem_send(ctx, 401, "unauthorized", "unknown or disabled user", NULL);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "id", ctx->who.user_id, "username",
                          PQgetvalue(r, 0, 0), "role", PQgetvalue(r, 0, 2), "controller", "code",
                          PQgetvalue(r, 0, 3), "name", PQgetvalue(r, 0, 4));
    PQclear(r);
    if (api_commit(ctx))
        http_send_json(ctx, 200, o);
    json_decref(o);
}
