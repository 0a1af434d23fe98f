/* What the web application's home and forms need: the caller's own persons (GET /v1/me/persons,
 * scoped by row-level security, logged like a search), the caller's field-group matrix and the
 * controller's caseworkers for a coordinator's assignment. */
#include <string.h>

#include "api.h"

enum { W_ID, W_OKI, W_FIRST, W_LAST, W_BIRTH, W_HOUSEHOLD, W_RESTRICTED, W_REASON, W_CREATED,
       W_ASSIGNED };

struct worklist_query {
    const char *q, *unassigned, *restricted, *limit, *offset;
};

/* Reads and validates the query string; false after answering 400 naming the parameter. */
static bool worklist_params(struct http_ctx *ctx, struct worklist_query *w)
{
    static const char *const names[] = {"q", "unassigned", "restricted", "limit", "offset", NULL};
    const char *v[5];
    if (!api_query(ctx, names, v))
        return false;
    *w = (struct worklist_query){v[0], v[1] ? v[1] : "false", v[2], v[3] ? v[3] : "25",
                                 v[4] ? v[4] : "0"};
    const char *field = NULL, *detail = NULL;
    if (w->q && (validate_text_length(w->q) < 2 || validate_text_length(w->q) > 100))
        field = "q", detail = "a name or OKI number of 2 to 100 characters";
    else if (strcmp(w->unassigned, "true") != 0 && strcmp(w->unassigned, "false") != 0)
        field = "unassigned", detail = "true or false";
    else if (w->restricted && strcmp(w->restricted, "true") != 0 &&
             strcmp(w->restricted, "false") != 0)
        field = "restricted", detail = "true or false";
    else if (!validate_int(w->limit, 1, 100))
        field = "limit", detail = "a number from 1 to 100";
    else if (!validate_int(w->offset, 0, 100000))
        field = "offset", detail = "a number from 0 to 100000";
    if (field)
        problem_send(ctx, 400, "validation", detail, field);
    return field == NULL;
}

static json_t *worklist_item(const PGresult *r, int i)
{
    const char *hh = PQgetisnull(r, i, W_HOUSEHOLD) ? NULL : PQgetvalue(r, i, W_HOUSEHOLD);
    const char *why = PQgetisnull(r, i, W_REASON) ? NULL : PQgetvalue(r, i, W_REASON);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s?, s:b, s:b, s:s?, s:s}", "id",
                     PQgetvalue(r, i, W_ID), "oki_number", PQgetvalue(r, i, W_OKI),
                     "identification", "first_name", PQgetvalue(r, i, W_FIRST), "last_name",
                     PQgetvalue(r, i, W_LAST), "birth_date", PQgetvalue(r, i, W_BIRTH),
                     "household_id", hh, "restricted", PQgetvalue(r, i, W_RESTRICTED)[0] == 't',
                     "assigned", PQgetvalue(r, i, W_ASSIGNED)[0] == 't', "access_reason", why,
                     "created_at", PQgetvalue(r, i, W_CREATED));
}

/* The page as JSON, and the ids and reasons of its rows for the access log (arena arrays). */
static json_t *worklist_page(const PGresult *r, int n, const char **ids, const char **why)
{
    json_t *items = json_array();
    for (int i = 0; items && i < n; i++) {
        ids[i] = PQgetvalue(r, i, W_ID);
        why[i] = PQgetisnull(r, i, W_REASON) ? "worklist" : PQgetvalue(r, i, W_REASON);
        json_t *item = worklist_item(r, i);
        if (item == NULL || json_array_append_new(items, item) != 0) {
            json_decref(items);
            return NULL;
        }
    }
    return items;
}

void h_worklist(struct http_ctx *ctx)
{
    struct worklist_query w;
    PGresult *r = NULL;
    const char *purpose = api_purpose(ctx, "guidance");
    if (purpose == NULL || !worklist_params(ctx, &w))
        return;
    if (!api_may_search(ctx, purpose))
        return;
    if (!api_begin(ctx))
        return;
    const char *sp[] = {w.q, w.unassigned, w.restricted, w.limit, w.offset};
    enum db_status st = db_exec(ctx_db(ctx), "worklist", 5, sp, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    int limit = atoi(w.limit), n = PQntuples(r) > limit ? limit : PQntuples(r);
    const char **ids = arena_alloc(&ctx->arena, (size_t)(n + 1) * sizeof *ids);
    const char **why = arena_alloc(&ctx->arena, (size_t)(n + 1) * sizeof *why);
    json_t *items = ids && why ? worklist_page(r, n, ids, why) : NULL;
    char *idl = items ? db_array_literal(&ctx->arena, ids, (size_t)n) : NULL;
    char *whyl = idl ? db_array_literal(&ctx->arena, why, (size_t)n) : NULL;
    const char *p[] = {idl, whyl, purpose, ctx->request_id};
    st = whyl ? db_exec(ctx_db(ctx), "worklist_log", 4, p, NULL) : DB_ERROR;
    json_t *o = st == DB_OK ? json_pack("{s:O, s:o}", "items", items,
                                        "next_offset", PQntuples(r) > limit
                                            ? json_integer(atoi(w.offset) + limit)
                                            : json_null())
                            : NULL;
    if (st != DB_OK)
        api_db_fail(ctx, st);
    else
        api_commit_send(ctx, 200, o);
    json_decref(items);
    PQclear(r);
}

static json_t *group_list(unsigned mask)
{
    json_t *a = json_array();
    for (int g = 0; a && g < FG_COUNT; g++)
        if (mask & (1u << g))
            json_array_append_new(a, json_string(field_group_names[g]));
    return a;
}

void h_me_access(struct http_ctx *ctx)
{
    json_t *o = json_pack("{s:o, s:o}", "read", group_list(api_read_mask(ctx)), "write",
                          group_list(api_write_mask(ctx)));
    http_send_json(ctx, 200, o);
    json_decref(o);
}

void h_caseworkers(struct http_ctx *ctx)
{
    static const char *const roles[] = {"coordinator", NULL};
    static const struct api_col cols[] = {
        {"id", COL_TEXT}, {"username", COL_TEXT}, {"display_name", COL_TEXT}};
    PGresult *r = NULL;
    if (!api_require_role(ctx, roles) || !api_begin(ctx))
        return;
    enum db_status st = db_exec(ctx_db(ctx), "caseworkers_list", 0, NULL, &r);
    if (st != DB_OK) {
        api_db_fail(ctx, st);
        return;
    }
    json_t *items = api_row_array(r, cols, 3);
    PQclear(r);
    api_commit_send(ctx, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}
