/* Integration: person registration over HTTP against a real crt-api and PostgreSQL —
 * isolation between controllers, validation without half-written rows, access-log rows. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set) { (void)set; harness_api_begin(); }
ReportHook(POST_ALL)(struct criterion_global_stats *stats) { (void)stats; harness_api_end(); }

#define ATLAS "atlas.intake"
#define INGENT "ingent.intake"

static const char *jstr(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    return json_string_value(cur);
}

/* POST a body and expect a 4xx problem naming field (NULL: any); no person with last stored. */
static void refused(const char *body, int status, const char *field, const char *last)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", ATLAS, body), 0);
    cr_assert_eq(r.status, status, "status %d for %s: %s", r.status, body, r.body);
    cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
    if (field)
        cr_assert_str_eq(jstr(r.json, "field"), field, "field named: %s", r.body);
    cr_assert_not_null(jstr(r.json, "request_id"));
    resp_free(&r);
    if (last)
        cr_assert_eq(persons_named(last), 0, "no row may be written");
}

Test(persons, create_then_read_returns_what_was_registered)
{
    struct resp r;
    const char *body = "{\"source\":\"interpreter\",\"identification\":{\"first_name\":\"Iryna\","
                       "\"last_name\":\"Kovalenko\",\"birth_date\":\"1985-07-14\",\"gender\":\"female\","
                       "\"nationality\":\"UA\"},\"contact\":{\"address_postcode\":\"2060\","
                       "\"contact_preference\":\"sms\"},\"situation\":{\"minor_children\":2,"
                       "\"needs_buddy\":true},\"sources\":{\"minor_children\":\"person\"}}";
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", ATLAS, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = strdup(jstr(r.json, "id"));
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/persons/%s", id);
    cr_assert_str_eq(resp_header(&r, "Location"), loc);
    cr_assert_str_eq(jstr(r.json, "oki_number") ? "ok" : "", "ok");
    resp_free(&r);

    cr_assert_eq(api_req(&r, "GET", loc, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jstr(r.json, "identification.last_name"), "Kovalenko");
    cr_assert_str_eq(jstr(r.json, "identification.birth_date"), "1985-07-14");
    cr_assert_str_eq(jstr(r.json, "contact.contact_preference"), "sms");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r.json, "situation"), "minor_children")), 2);
    cr_assert(json_is_true(json_object_get(json_object_get(r.json, "situation"), "needs_buddy")));
    cr_assert_str_eq(jstr(r.json, "sources.last_name"), "interpreter");
    cr_assert_str_eq(jstr(r.json, "sources.minor_children"), "person");
    resp_free(&r);
    free(id);
}

Test(persons, every_successful_read_has_its_access_log_row)
{
    char *id = create_person(ATLAS, "Taras", "Logged", "1970-01-02");
    cr_assert_not_null(id);
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", path, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    char rid[64];
    snprintf(rid, sizeof rid, "%s", resp_header(&r, "X-Request-Id"));
    resp_free(&r);
    PGconn *c = db_super();
    const char *p[] = {rid, id, harness_username(ATLAS)};
    cr_assert_eq(sql_long(c,
                          "SELECT count(*) FROM access_log l JOIN staff_users u ON u.id = l.user_id "
                          "WHERE l.request_id = $1 AND l.person_id = $2::uuid AND l.action = 'read' "
                          "AND l.outcome = 'allowed' AND u.username = $3 "
                          "AND l.controller_id = 3 AND l.purpose = 'guidance' "
                          "AND l.field_groups @> ARRAY['identification','contact']",
                          3, p),
                 1);
    PQfinish(c);
    free(id);
}

Test(persons, another_controllers_person_is_not_found_through_every_route)
{
    char first[64], query[160];
    snprintf(first, sizeof first, "Halyna%d", (int)getpid());
    snprintf(query, sizeof query, "/v1/persons?q=%s&birth_date=1991-03-04", first);
    char *id = create_person(ATLAS, first, "Isolated", "1991-03-04");
    cr_assert_not_null(id);
    struct {
        const char *method, *fmt, *body;
    } routes[] = {
        {"GET", "/v1/persons/%s", NULL},
        {"PATCH", "/v1/persons/%s", "{\"reason\":\"test\",\"source\":\"staff\",\"identification\":{\"first_name\":\"X\"}}"},
        {"GET", "/v1/persons/%s/trajectory", NULL},
        {"POST", "/v1/persons/%s/trajectory", "{\"kind\":\"intake\",\"occurred_on\":\"2024-01-01\",\"source\":\"staff\"}"},
        {"GET", "/v1/persons/%s/rectifications", NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, routes[i].fmt, id);
        struct resp r;
        cr_assert_eq(api_req(&r, routes[i].method, path, INGENT, routes[i].body), 0);
        cr_assert_eq(r.status, 404, "%s %s gave %d", routes[i].method, path, r.status);
        cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
        resp_free(&r);
    }
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", query, INGENT, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", query, ATLAS, NULL), 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 1);
    const char *oki = jstr(json_array_get(json_object_get(r.json, "items"), 0), "oki_number");
    char path[128];
    snprintf(path, sizeof path, "/v1/persons?oki_number=%s", oki);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, INGENT, NULL), 0);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0);
    resp_free(&r);
    /* The record is untouched and the refused attempts are in IN-Gent's log as not_found. */
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT version FROM persons WHERE id = $1::uuid", 1, p), 1);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM access_log WHERE person_id = $1::uuid "
                             "AND controller_id = 4 AND outcome = 'not_found'", 1, p), 5);
    PQfinish(c);
    free(id);
}

Test(persons, malformed_json_is_400_and_writes_nothing)
{
    refused("{\"source\":\"person\",\"identification\":{\"last_name\":\"Malformed\"", 400, NULL,
            "Malformed");
    refused("[1,2,3]", 422, NULL, NULL);
    refused("{\"source\":\"person\",\"source\":\"staff\"}", 400, NULL, NULL);
}

Test(persons, a_nul_inside_a_string_is_422_naming_the_field)
{
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"Ol\\u0000ena\","
            "\"last_name\":\"NulInside\",\"birth_date\":\"1990-01-01\"}}",
            422, "identification.first_name", "NulInside");
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"Olena\","
            "\"last_name\":\"NulInside\",\"birth_date\":\"1990-01-01\"},"
            "\"sources\":{\"first_name\":\"\\u0000\"}}",
            422, "sources.first_name", "NulInside");
}

/* The field name echoed in a problem is capped at 80 bytes; a cap that falls inside a UTF-8
 * character must drop that character, not the whole member (json_string refuses bad UTF-8). */
Test(persons, a_long_multibyte_field_name_is_still_named)
{
    char key[128], want[96], body[512];
    memset(want, 'k', 79);
    want[79] = '\0';
    snprintf(key, sizeof key, "%s\xc3\xa9xyz", want); /* 79 bytes, then é across the cap */
    snprintf(body, sizeof body,
             "{\"source\":\"person\",\"identification\":{\"first_name\":\"Olena\","
             "\"last_name\":\"LongKey\",\"birth_date\":\"1990-01-01\"},\"%s\":1}", key);
    refused(body, 422, want, "LongKey");
}

Test(persons, a_number_beyond_range_is_422_naming_the_field)
{
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"Olena\","
            "\"last_name\":\"OutOfRange\",\"birth_date\":\"1990-01-01\"},"
            "\"situation\":{\"needs_buddy\":true,\"minor_children\":99999999999999999999}}",
            422, "situation.minor_children", "OutOfRange");
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"Olena\","
            "\"last_name\":\"OutOfRange\",\"birth_date\":\"1990-01-01\"},"
            "\"situation\":{\"minor_children\":-99999999999999999999}}",
            422, "situation.minor_children", "OutOfRange");
    refused("{\"source\":\"person\",\"situation\":{\"minor_children\":1e999},"
            "\"identification\":{\"first_name\":\"Olena\",\"last_name\":\"OutOfRange\","
            "\"birth_date\":\"1990-01-01\"}}",
            422, "situation.minor_children", "OutOfRange");
}

Test(persons, a_query_string_with_an_invalid_escape_is_refused)
{
    struct resp r;
    static const char *const queries[] = {"/v1/persons?q=ab%ZZ&birth_date=1990-01-01",
                                          "/v1/persons?q=ab%2&birth_date=1990-01-01",
                                          "/v1/persons?q=ab%00cd&birth_date=1990-01-01",
                                          "/v1/persons?q=ab%FFcd&birth_date=1990-01-01",
                                          "/v1/persons?q=ab&birth_date=1990-01-01&q=cd"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        cr_assert_eq(api_req(&r, "GET", queries[i], ATLAS, NULL), 0);
        cr_assert_eq(r.status, 400, "%s: %d %s", queries[i], r.status, r.body);
        cr_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
        resp_free(&r);
    }
}

Test(persons, wrong_types_name_the_field)
{
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":5,\"last_name\":\"WrongType\","
            "\"birth_date\":\"1990-01-01\"}}",
            422, "identification.first_name", "WrongType");
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"A\",\"last_name\":\"WrongType\","
            "\"birth_date\":\"1990-01-01\"},\"situation\":{\"minor_children\":\"two\"}}",
            422, "situation.minor_children", "WrongType");
    refused("{\"source\":\"person\",\"identification\":\"Olena\"}", 422, "identification", NULL);
}

Test(persons, unknown_fields_are_refused_by_name)
{
    refused("{\"source\":\"person\",\"identification\":{\"first_name\":\"A\",\"last_name\":\"Unknown\","
            "\"birth_date\":\"1990-01-01\",\"nickname\":\"x\"}}",
            422, "identification.nickname", "Unknown");
    refused("{\"source\":\"person\",\"religion\":\"x\",\"identification\":{\"first_name\":\"A\","
            "\"last_name\":\"Unknown\",\"birth_date\":\"1990-01-01\"}}",
            422, "religion", "Unknown");
}

Test(persons, invalid_dates_postcodes_and_enumerations_are_refused)
{
    const char *fmt = "{\"source\":\"person\",\"identification\":{\"first_name\":\"A\","
                      "\"last_name\":\"BadValue\",\"birth_date\":\"%s\"%s}%s}";
    struct {
        const char *birth, *ident_extra, *rest, *field;
    } cases[] = {
        {"1990-02-30", "", "", "identification.birth_date"},
        {"2999-01-01", "", "", "identification.birth_date"},
        {"01/02/1990", "", "", "identification.birth_date"},
        {"1990-01-01", ",\"gender\":\"robot\"", "", "identification.gender"},
        {"1990-01-01", ",\"nationality\":\"ukr\"", "", "identification.nationality"},
        {"1990-01-01", "", ",\"contact\":{\"address_postcode\":\"0999\"}", "contact.address_postcode"},
        {"1990-01-01", "", ",\"contact\":{\"contact_preference\":\"pigeon\"}", "contact.contact_preference"},
        {"1990-01-01", "", ",\"situation\":{\"residence_status\":\"tourist\"}", "situation.residence_status"},
        {"1990-01-01", "", ",\"situation\":{\"residence_status_start\":\"2024-05-01\",\"residence_status_end\":\"2024-04-01\"}", "situation.residence_status_end"},
        {"1990-01-01", "", ",\"contact\":{\"email\":\"not-an-address\"}", "contact.email"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, fmt, cases[i].birth, cases[i].ident_extra, cases[i].rest);
        refused(body, 422, cases[i].field, "BadValue");
    }
}

Test(persons, required_fields_and_source_are_enforced)
{
    refused("{\"identification\":{\"first_name\":\"A\",\"last_name\":\"NoSource\",\"birth_date\":\"1990-01-01\"}}",
            422, "source", "NoSource");
    refused("{\"source\":\"person\",\"identification\":{\"last_name\":\"NoFirst\",\"birth_date\":\"1990-01-01\"}}",
            422, "identification.first_name", "NoFirst");
    char longname[300];
    memset(longname, 'a', 150);
    longname[150] = '\0';
    char body[512];
    snprintf(body, sizeof body, "{\"source\":\"person\",\"identification\":{\"first_name\":\"%s\","
             "\"last_name\":\"TooLong\",\"birth_date\":\"1990-01-01\"}}", longname);
    refused(body, 422, "identification.first_name", "TooLong");
}

Test(persons, sql_metacharacters_in_names_are_stored_literally)
{
    char *id = create_person(ATLAS, "Robert\\\"%_", "O'Brien'); DROP TABLE persons;--", "1980-08-08");
    cr_assert_not_null(id);
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM persons WHERE id = $1::uuid AND "
                             "last_name = 'O''Brien''); DROP TABLE persons;--' AND first_name = 'Robert\"%_'",
                          1, p), 1);
    long literal = sql_long(c, "SELECT count(*) FROM persons WHERE controller_id = 3 AND "
                               "birth_date = '1980-08-08' AND strpos(first_name, '%_') > 0", 0, NULL);
    PQfinish(c);
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/persons?q=%25_&birth_date=1980-08-08", ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq((long)json_array_size(json_object_get(r.json, "items")), literal,
                 "%% and _ match literally, not as patterns");
    resp_free(&r);
    free(id);
}

Test(persons, update_records_each_change_as_a_rectification)
{
    char *id = create_person(ATLAS, "Oksana", "Rectify", "1975-05-05");
    char path[128], hist[160];
    snprintf(path, sizeof path, "/v1/persons/%s", id);
    snprintf(hist, sizeof hist, "/v1/persons/%s/rectifications", id);
    struct resp r;
    cr_assert_eq(api_req(&r, "PATCH", path, ATLAS,
                         "{\"source\":\"staff\",\"identification\":{\"first_name\":\"Oxana\"}}"), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "reason");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "PATCH", path, ATLAS,
                         "{\"reason\":\"spelling per passport\",\"source\":\"interpreter\","
                         "\"identification\":{\"first_name\":\"Oxana\",\"last_name\":\"Rectify\"},"
                         "\"contact\":{\"phone\":\"+32 470 12 34 56\"}}"), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "identification.first_name"), "Oxana");
    /* each item records its source (VluchtelingenWerk 8.4): the fields given now take this
     * request's source, the others keep the one they were registered with */
    cr_assert_str_eq(jstr(r.json, "sources.first_name"), "interpreter");
    cr_assert_str_eq(jstr(r.json, "sources.phone"), "interpreter");
    cr_assert_str_eq(jstr(r.json, "sources.birth_date"), "person");
    cr_assert_eq(json_integer_value(json_object_get(r.json, "version")), 2);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", hist, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 2, "unchanged last_name is not a rectification: %s", r.body);
    json_t *first = json_array_get(items, 0);
    cr_assert_str_eq(jstr(first, "field"), "identification.first_name");
    cr_assert_str_eq(jstr(first, "old_value"), "Oksana");
    cr_assert_str_eq(jstr(first, "new_value"), "Oxana");
    cr_assert_str_eq(jstr(first, "reason"), "spelling per passport");
    cr_assert_str_eq(jstr(first, "changed_by.username"), harness_username(ATLAS));
    cr_assert(json_is_null(json_object_get(json_array_get(items, 1), "old_value")));
    resp_free(&r);
    /* A refused update leaves the record as it was. */
    cr_assert_eq(api_req(&r, "PATCH", path, ATLAS,
                         "{\"reason\":\"oops\",\"source\":\"person\",\"identification\":{\"birth_date\":\"1975-13-01\"}}"), 0);
    cr_assert_eq(r.status, 422);
    resp_free(&r);
    PGconn *c = db_super();
    const char *p[] = {id};
    cr_assert_eq(sql_long(c, "SELECT version FROM persons WHERE id = $1::uuid", 1, p), 2);
    cr_assert_eq(sql_long(c, "SELECT count(*) FROM person_rectifications WHERE person_id = $1::uuid", 1, p), 2);
    PQfinish(c);
    free(id);
}

Test(persons, search_needs_name_and_birth_date_or_an_oki_number)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/persons?q=olena", ATLAS, NULL), 0);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "birth_date");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/persons?q=olena&birth_date=1990-01-01&sort=x", ATLAS, NULL), 0);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "sort");
    resp_free(&r);
    char last[64], query[160];
    snprintf(last, sizeof last, "Searchable%d", (int)getpid());
    snprintf(query, sizeof query, "/v1/persons?q=mariia%%20%s&birth_date=1999-09-09", last);
    char *id = create_person(ATLAS, "Mariia", last, "1999-09-09");
    cr_assert_eq(api_req(&r, "GET", query, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    json_t *item = json_array_get(json_object_get(r.json, "items"), 0);
    cr_assert_str_eq(jstr(item, "id"), id);
    cr_assert_null(json_object_get(item, "contact"), "search shows only what identifies");
    resp_free(&r);
    free(id);
}

Test(persons, households_group_persons_of_one_controller)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "POST", "/v1/households", ATLAS,
                         "{\"family_name\":\"Shevchenko\",\"address_postcode\":\"2000\","
                         "\"address_city\":\"Antwerpen\",\"source\":\"person\"}"), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *hid = strdup(jstr(r.json, "id"));
    resp_free(&r);
    char body[512], path[128];
    snprintf(body, sizeof body, "{\"source\":\"person\",\"household_id\":\"%s\",\"identification\":"
             "{\"first_name\":\"Petro\",\"last_name\":\"Shevchenko\",\"birth_date\":\"2012-02-02\"}}", hid);
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", ATLAS, body), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    snprintf(path, sizeof path, "/v1/households/%s", hid);
    cr_assert_eq(api_req(&r, "GET", path, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "members")), 1);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, INGENT, NULL), 0);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    /* IN-Gent cannot attach a person to Atlas's household. */
    cr_assert_eq(api_req(&r, "POST", "/v1/persons", INGENT, body), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "household_id");
    resp_free(&r);
    free(hid);
}

Test(persons, trajectory_entries_are_validated_per_kind)
{
    char *id = create_person(ATLAS, "Daria", "Trajectory", "1988-08-18");
    char path[128];
    snprintf(path, sizeof path, "/v1/persons/%s/trajectory", id);
    struct resp r;
    const char *test = "{\"kind\":\"test_result\",\"occurred_on\":\"2024-03-01\",\"source\":\"test\","
                       "\"details\":{\"test\":\"latin_script\",\"result\":\"passed\",\"score\":87}}";
    cr_assert_eq(api_req(&r, "POST", path, ATLAS, test), 0);
    cr_assert_eq(r.status, 403, "intake may not write education data");
    cr_assert_str_eq(jstr(r.json, "field"), "education");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.education", test), 0);
    cr_assert_eq(r.status, 201, "%s", r.body);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.education",
                         "{\"kind\":\"test_result\",\"occurred_on\":\"2024-03-01\",\"source\":\"test\","
                         "\"details\":{\"test\":\"latin_script\",\"result\":\"passed\",\"notes\":\"x\"}}"), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "details.notes");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "POST", path, "atlas.education",
                         "{\"kind\":\"haircut\",\"occurred_on\":\"2024-03-01\",\"source\":\"test\"}"), 0);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(jstr(r.json, "field"), "kind");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, ATLAS, NULL), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "items")), 0,
                 "intake does not read education data");
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", path, "atlas.education", NULL), 0);
    cr_assert_eq(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    cr_assert_eq(json_array_size(items), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_array_get(items, 0), "details"), "score")), 87);
    resp_free(&r);
    free(id);
}

Test(persons, data_routes_need_an_identity)
{
    struct resp r;
    cr_assert_eq(api_req(&r, "GET", "/v1/persons?q=ab&birth_date=1990-01-01", NULL, NULL), 0);
    cr_assert_eq(r.status, 401);
    cr_assert_not_null(resp_header(&r, "WWW-Authenticate"));
    cr_assert(strncmp(resp_header(&r, "WWW-Authenticate"), "Bearer", 6) == 0);
    resp_free(&r);
    cr_assert_eq(api_req(&r, "GET", "/v1/me", "nobody.here", NULL), 0);
    cr_assert_eq(r.status, 401);
    resp_free(&r);
}
