/* Access and portability (GDPR art. 15 and 20): everything held about a person in one JSON
 * document — and the same as a readable, HTML-escaped page to hand to the person. */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "crt/access.h"
#include "crt/audit.h"
#include "crt/person.h"

/* ---- the document ---- */

/* A part of the export read with one statement: a list (or one object when single) of rows. */
struct section {
    const char *key, *title, *stmt;
    const struct api_col *cols;
    int ncols;
    bool by_person; /* $1 is the person id; otherwise no parameter */
    bool single;
};

static const struct api_col controller_cols[] = {
    {"code", COL_TEXT},      {"name", COL_TEXT},        {"kbo_number", COL_TEXT},
    {"legal_basis", COL_TEXT}, {"dpo_email", COL_TEXT}, {"dpo_address", COL_TEXT},
    {"national_number_basis", COL_TEXT}, /* null: no national number is kept (Xtra 6.5) */
};
static const struct api_col purpose_cols[] = {{"purpose", COL_TEXT}, {"description", COL_TEXT}};
static const struct api_col trajectory_cols[] = {
    {"kind", COL_TEXT}, {"occurred_on", COL_TEXT}, {"details", COL_JSON}, {"source", COL_TEXT},
    {"recorded_at", COL_TEXT},
};
static const struct api_col rectification_cols[] = {
    {"field", COL_TEXT}, {"old_value", COL_TEXT}, {"new_value", COL_TEXT}, {"reason", COL_TEXT},
    {"changed_at", COL_TEXT},
};
static const struct api_col disclosure_cols[] = {
    {"at", COL_TEXT},           {"partner", COL_TEXT}, {"partner_kind", COL_TEXT},
    {"field_groups", COL_JSON}, {"purpose", COL_TEXT}, {"legal_basis", COL_TEXT},
    {"person_informed", COL_JSON}, {"notified_on", COL_TEXT}, /* at referral, or by a notice */
};
static const struct api_col referral_cols[] = {
    {"partner", COL_TEXT}, {"purpose", COL_TEXT}, {"from", COL_TEXT}, {"until", COL_TEXT},
    {"person_informed", COL_JSON},
};
/* C-579/21: when, which controller's staff (never which staff member) or which partner, why. */
static const struct api_col consultation_cols[] = {
    {"date", COL_TEXT},   {"controller", COL_TEXT}, {"by", COL_TEXT}, {"partner", COL_TEXT},
    {"action", COL_TEXT}, {"purpose", COL_TEXT},    {"count", COL_INT},
};
static const struct api_col request_cols[] = {
    {"number", COL_INT},       {"kind", COL_TEXT},   {"received_on", COL_TEXT},
    {"status", COL_TEXT},      {"due_on", COL_TEXT}, {"decided_on", COL_TEXT},
    {"reasons", COL_TEXT},
    {"recipients_informed", COL_JSON}, /* partners told of its correction or erasure (18.4) */
    {"objection_purposes", COL_JSON},
};
static const struct api_col household_cols[] = {
    {"id", COL_TEXT},             {"family_name", COL_TEXT}, {"address_street", COL_TEXT},
    {"address_number", COL_TEXT}, {"address_box", COL_TEXT}, {"address_postcode", COL_TEXT},
    {"address_city", COL_TEXT},   {"source", COL_TEXT},      {"created_at", COL_TEXT},
};

#define SECTION(key, title, stmt, cols, by_person, single)                                   \
    {key, title, stmt, cols, API_NCOLS(cols), by_person, single}
static const struct section sections[] = {
    SECTION("controller", "Controller", "export_controller", controller_cols, false, true),
    SECTION("purposes", "Purposes of the processing", "export_purposes", purpose_cols, false, false),
    SECTION("trajectory", "Trajectory (including test results)", "export_trajectory",
            trajectory_cols, true, false),
    SECTION("rectifications", "Changes made to the data", "export_rectifications",
            rectification_cols, true, false),
    SECTION("disclosures", "Partners that received data", "export_disclosures", disclosure_cols,
            true, false),
    SECTION("referrals", "Referrals to partners", "export_referrals", referral_cols, true, false),
    SECTION("consultations", "Who consulted the record", "export_consultations",
            consultation_cols, true, false),
    SECTION("requests", "Requests made", "export_requests", request_cols, true, false),
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static enum db_status section_put(struct http_ctx *ctx, const struct section *s, const char *id,
                                  json_t *doc)
{
    PGresult *r = NULL;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), s->stmt, s->by_person ? 1 : 0, p, &r);
    if (st != DB_OK)
        return st;
    json_t *v = s->single ? (PQntuples(r) == 1 ? api_row_object(r, 0, s->cols, s->ncols) : json_null())
                          : api_row_array(r, s->cols, s->ncols);
    PQclear(r);
    return v && json_object_set_new(doc, s->key, v) == 0 ? DB_OK : DB_ERROR;
}

/* The record (every field group, sources, the national number opened) and its household. */
static enum db_status person_put(struct http_ctx *ctx, const char *id, json_t *doc)
{
    PGresult *r = NULL, *h = NULL;
    const char *p[] = {id};
    enum db_status st = db_exec(ctx_db(ctx), "person_select", 1, p, &r);
    if (st == DB_OK && PQntuples(r) != 1)
        st = DB_CONFLICT;
    json_t *person = st == DB_OK ? person_to_json(r, 0, 0, FG_PERSON_MASK) : NULL;
    if (person)
        json_object_set_new(person, "sensitive", json_pack("{s:o}", "national_number",
                                                           api_national_number(ctx, r, 0)));
    const char *hp[] = {st == DB_OK && !PQgetisnull(r, 0, 2) ? PQgetvalue(r, 0, 2) : NULL};
    if (st == DB_OK && hp[0])
        st = db_exec(ctx_db(ctx), "household_read", 1, hp, &h);
    json_t *household = h && PQntuples(h) == 1
                            ? api_row_object(h, 0, household_cols, API_NCOLS(household_cols))
                            : json_null();
    PQclear(r);
    PQclear(h);
    if (st == DB_OK && (person == NULL || household == NULL))
        st = DB_ERROR;
    if (st == DB_OK) {
        json_object_set_new(doc, "person", person);
        json_object_set_new(doc, "household", household);
        return DB_OK;
    }
    json_decref(person);
    json_decref(household);
    return st;
}

/* Everything held about the person, in the open transaction. */
static json_t *export_build(struct http_ctx *ctx, const char *id, enum db_status *st)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *doc = json_pack("{s:s, s:s}", "generated_at", now, "person_id", id);
    *st = doc ? person_put(ctx, id, doc) : DB_ERROR;
    for (size_t i = 0; *st == DB_OK && i < NSECTIONS; i++)
        *st = section_put(ctx, &sections[i], id, doc);
    json_t *status = *st == DB_OK ? rights_flags(ctx, id, st) : NULL;
    if (status) {
        json_t *ret = json_object_get(status, "retention");
        json_object_set(doc, "retention_date", json_object_get(ret, "retention_date"));
        json_object_set_new(doc, "status", status);
    }
    if (*st != DB_OK) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* ---- the page ---- */

static void html_text(struct evbuffer *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': evbuffer_add(b, "&amp;", 5); break;
        case '<': evbuffer_add(b, "&lt;", 4); break;
        case '>': evbuffer_add(b, "&gt;", 4); break;
        case '"': evbuffer_add(b, "&quot;", 6); break;
        case '\'': evbuffer_add(b, "&#39;", 5); break;
        default: evbuffer_add(b, s, 1);
        }
    }
}

static void html_value(struct evbuffer *b, json_t *v);

/* A list of objects as a table (columns: the first row's keys, as every row has them). */
static void html_table(struct evbuffer *b, json_t *a)
{
    const char *key;
    json_t *cell, *row;
    size_t i;
    evbuffer_add_printf(b, "<table><tr>");
    json_object_foreach(json_array_get(a, 0), key, cell)
    {
        evbuffer_add_printf(b, "<th>");
        html_text(b, key);
        evbuffer_add_printf(b, "</th>");
    }
    evbuffer_add_printf(b, "</tr>");
    json_array_foreach(a, i, row)
    {
        evbuffer_add_printf(b, "<tr>");
        json_object_foreach(json_array_get(a, 0), key, cell)
        {
            evbuffer_add_printf(b, "<td>");
            html_value(b, json_object_get(row, key));
            evbuffer_add_printf(b, "</td>");
        }
        evbuffer_add_printf(b, "</tr>");
    }
    evbuffer_add_printf(b, "</table>");
}

static void html_value(struct evbuffer *b, json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v) && json_object_size(v) > 0) {
        evbuffer_add_printf(b, "<dl>");
        json_object_foreach(v, key, item)
        {
            evbuffer_add_printf(b, "<dt>");
            html_text(b, key);
            evbuffer_add_printf(b, "</dt><dd>");
            html_value(b, item);
            evbuffer_add_printf(b, "</dd>");
        }
        evbuffer_add_printf(b, "</dl>");
    } else if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
        html_table(b, v);
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        evbuffer_add_printf(b, "<ul>");
        json_array_foreach(v, i, item)
        {
            evbuffer_add_printf(b, "<li>");
            html_value(b, item);
            evbuffer_add_printf(b, "</li>");
        }
        evbuffer_add_printf(b, "</ul>");
    } else if (json_is_string(v)) {
        html_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        evbuffer_add_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        evbuffer_add_printf(b, "%s", json_is_true(v) ? "yes" : "no");
    } else {
        evbuffer_add_printf(b, "&mdash;");
    }
}

static void html_part(struct evbuffer *b, const char *title, json_t *v)
{
    evbuffer_add_printf(b, "<h2>");
    html_text(b, title);
    evbuffer_add_printf(b, "</h2>");
    html_value(b, v);
}

/* The page: the record first, then every section in the order of the JSON document. */
static void send_html(struct http_ctx *ctx, json_t *doc)
{
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        problem_send(ctx, 500, "internal", "the response could not be built", NULL);
        return;
    }
    evbuffer_add_printf(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<title>Your data in the Centrale Registratietool</title><style>"
                           "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
                           "table{border-collapse:collapse}td,th{border:1px solid #999;"
                           "padding:.2em .4em;text-align:left;vertical-align:top}"
                           "dt{font-weight:bold}</style></head><body>"
                           "<h1>Your data in the Centrale Registratietool</h1><p>Generated ");
    html_text(b, json_string_value(json_object_get(doc, "generated_at")));
    evbuffer_add_printf(b, ". Retention until: ");
    html_value(b, json_object_get(doc, "retention_date"));
    evbuffer_add_printf(b, ".</p>");
    html_part(b, "Your record", json_object_get(doc, "person"));
    html_part(b, "Household", json_object_get(doc, "household"));
    for (size_t i = 0; i < NSECTIONS; i++)
        html_part(b, sections[i].title, json_object_get(doc, sections[i].key));
    html_part(b, "Status, restrictions and retention", json_object_get(doc, "status"));
    evbuffer_add_printf(b, "</body></html>");
    evbuffer_add(b, "", 1);
    struct evkeyvalq *h = evhttp_request_get_output_headers(ctx->req);
    evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    http_send_text(ctx, 200, "text/html; charset=utf-8", (const char *)evbuffer_pullup(b, -1));
    evbuffer_free(b);
}

/* ---- GET /v1/persons/{id}/export[?format=json|html] ---- */

/* HTML when ?format=html, or without format when Accept names text/html; -1 after 400. */
static int wants_html(struct http_ctx *ctx)
{
    static const char *const names[] = {"format", NULL};
    const char *v[1];
    if (!api_query(ctx, names, v))
        return -1;
    if (v[0] && strcmp(v[0], "html") != 0 && strcmp(v[0], "json") != 0) {
        problem_send(ctx, 400, "validation", "use format=json or format=html", "format");
        return -1;
    }
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(ctx->req), "Accept");
    return v[0] ? strcmp(v[0], "html") == 0 : accept && strstr(accept, "text/html") != NULL;
}

#define ALL_GROUPS ((1u << FG_COUNT) - 1)

void h_person_export(struct http_ctx *ctx)
{
    static const char *const coordinators[] = {"coordinator", NULL};
    const char *reason = NULL;
    char groups[128];
    enum db_status st;
    const char *id = api_path_uuid(ctx, "id", "no such person");
    const char *purpose = id ? api_purpose(ctx, "data_subject_request") : NULL;
    int html = purpose && api_require_role(ctx, coordinators) ? wants_html(ctx) : -1;
    if (html < 0)
        return;
    const char *missing = access_missing_group(ALL_GROUPS, api_read_mask(ctx));
    if (missing) {
        api_deny(ctx, id, "export", purpose, "role_has_no_access",
                 "an export holds every field group; your role does not read this one", missing);
        return;
    }
    if (!api_begin(ctx) || !api_person_gate(ctx, id, "export", purpose, &reason))
        return;
    json_t *doc = export_build(ctx, id, &st);
    const char *p[] = {id};
    audit_groups_literal(ALL_GROUPS, field_group_names, groups, sizeof groups);
    if (doc) /* a transfer the retention job marked is now made */
        st = db_exec(ctx_db(ctx), "export_done", 1, p, NULL);
    if (doc && st == DB_OK)
        st = api_audit(ctx, id, NULL, "export", groups, purpose, "allowed", reason);
    if (doc == NULL || st != DB_OK) {
        json_decref(doc);
        api_db_fail(ctx, st);
        return;
    }
    if (html && api_commit(ctx))
        send_html(ctx, doc);
    if (html)
        json_decref(doc);
    else
        api_commit_send(ctx, 200, doc);
}
