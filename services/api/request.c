/* Reading a request: the JSON body's fields, the query string, path parameters, the purpose
 * header, the client's address; and the shapes of answers built from result rows (lists, pages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static const char *const purposes[] = {"registration", "guidance", "duplicate_check",
                                       "rectification", "education", "data_subject_request",
                                       "emergency", "audit", NULL};

bool api_fields(struct http_ctx *ctx, const struct field_spec *specs, size_t n, const char **out)
{
    const char *key;
    json_t *val;
    json_object_foreach(ctx->body, key, val)
    {
        size_t i = 0;
        while (i < n && strcmp(specs[i].name, key) != 0)
            i++;
        if (i == n) {
            problem_send(ctx, 422, "validation", "is not a field of this request", key);
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char buf[4 * 2000 + 8]; /* the longest text field (a review note) in UTF-8 */
        bool is_null;
        struct field_error err;
        if (!field_check(&specs[i], json_object_get(ctx->body, specs[i].name), buf, sizeof buf,
                         &is_null, &err)) {
            api_invalid(ctx, &err);
            return false;
        }
        out[i] = is_null ? NULL : arena_strdup(&ctx->arena, buf);
    }
    return true;
}

const char *api_client_ip(struct http_ctx *ctx)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *c = evhttp_request_get_connection(ctx->req);
    if (c)
        evhttp_connection_get_peer(c, &host, &port);
    return host ? arena_strdup(&ctx->arena, host) : NULL;
}

void api_invalid(struct http_ctx *ctx, const struct field_error *err)
{
    db_rollback(ctx_db(ctx));
    problem_send(ctx, 422, "validation", err->detail, err->field);
}

const char *api_purpose(struct http_ctx *ctx, const char *dflt)
{
    const char *p = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "X-CRT-Purpose");
    if (p == NULL)
        return dflt;
    for (const char *const *v = purposes; *v; v++)
        if (strcmp(*v, p) == 0)
            return *v;
    problem_send(ctx, 400, "validation",
                 "unknown purpose; use registration, guidance, duplicate_check, rectification, "
                 "education, data_subject_request, emergency or audit",
                 "X-CRT-Purpose");
    return NULL;
}

const char *api_path_uuid(struct http_ctx *ctx, const char *name, const char *what)
{
    const char *id = router_param(&ctx->match, name);
    if (id && validate_uuid(id))
        return id;
    problem_send(ctx, 404, "not-found", what, NULL);
    return NULL;
}

const char *api_path_id(struct http_ctx *ctx, const char *name, const char *what)
{
    const char *id = router_param(&ctx->match, name);
    if (id && validate_int(id, 1, API_MAX_ID))
        return id;
    problem_send(ctx, 404, "not-found", what, NULL);
    return NULL;
}

bool api_query(struct http_ctx *ctx, const char *const *names, const char **v)
{
    const char **keys, **vals;
    size_t n = 0;
    while (names[n])
        v[n++] = NULL;
    if (!http_query(ctx, &keys, &vals)) {
        problem_send(ctx, 400, "validation", "the query string cannot be parsed", NULL);
        return false;
    }
    for (size_t i = 0; keys[i]; i++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], keys[i]) != 0)
            k++;
        if (k == n || v[k]) {
            problem_send(ctx, 400, "validation",
                         k < n ? "this parameter is given twice" : "unknown query parameter",
                         keys[i]);
            return false;
        }
        v[k] = vals[i];
    }
    return true;
}

json_t *api_page(json_t *items, const PGresult *r, int limit)
{
    int n = PQntuples(r);
    json_t *next = n > 0 && n == limit ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10))
                                       : json_null();
    return json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_before", next);
}

json_t *api_row_object(const PGresult *r, int i, const struct api_col *cols, int n)
{
    json_t *o = json_object();
    for (int c = 0; o && c < n; c++) {
        const char *v = PQgetvalue(r, i, c);
        enum api_col_kind k = cols[c].kind;
        json_t *j = PQgetisnull(r, i, c) ? json_null()
                    : k == COL_INT       ? json_integer(strtoll(v, NULL, 10))
                    : k == COL_NUM       ? json_real(strtod(v, NULL))
                    : k == COL_JSON      ? json_loads(v, JSON_DECODE_ANY, NULL)
                                         : json_string(v);
        json_object_set_new(o, cols[c].name, j ? j : json_null());
    }
    return o;
}

json_t *api_row_array(const PGresult *r, const struct api_col *cols, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < PQntuples(r); i++)
        if (json_array_append_new(a, api_row_object(r, i, cols, n)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}
