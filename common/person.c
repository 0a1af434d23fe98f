/* The person record: field table (groups, validation, casts), body parsing with provenance,
 * SQL generated from the table, and rows rendered as grouped JSON. */
#include "crt/person.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const genders[] = {"female", "male", "x", "unknown", NULL};
static const char *const contact_prefs[] = {"phone", "email", "sms", "post", "in_person", NULL};
static const char *const residence[] = {"temporary_protection", "applicant", "refugee",
                                        "subsidiary_protection", "other", "unknown", NULL};
static const char *const literacy[] = {"literate", "literate_other_script", "low_literate",
                                       "illiterate", "unknown", NULL};
const char *const data_sources[] = {"person", "intermediary", "interpreter", "test", "staff",
                                    "partner", NULL};
const char *const person_groups[] = {"identification", "contact", "trajectory", "situation",
                                     NULL};

#define TXT(g, n, len, req) {g, {n, FT_TEXT, len, NULL, 0, 0, req, false}, ""}
#define DATE(g, n, req, fut) {g, {n, FT_DATE, 0, NULL, 0, 0, req, fut}, "::date"}
#define ENUM(g, n, vals) {g, {n, FT_ENUM, 0, vals, 0, 0, false, false}, ""}
#define TYPED(g, n, t, len, cast) {g, {n, t, len, NULL, 0, 0, false, false}, cast}

const struct person_field person_fields[PERSON_NFIELDS] = {
    TXT("identification", "title", 20, false),
    TXT("identification", "first_name", 100, true),
    TXT("identification", "last_name", 100, true),
    ENUM("identification", "gender", genders),
    DATE("identification", "birth_date", true, false),
    TYPED("identification", "nationality", FT_COUNTRY, 2, ""),
    TYPED("contact", "phone", FT_PHONE, 32, ""),
    TYPED("contact", "email", FT_EMAIL, 254, ""),
    ENUM("contact", "contact_preference", contact_prefs),
    TXT("contact", "address_street", 200, false),
    TXT("contact", "address_number", 20, false),
    TXT("contact", "address_box", 20, false),
    TYPED("contact", "address_postcode", FT_POSTCODE, 4, ""),
    TXT("contact", "address_city", 100, false),
    TXT("contact", "home_country_address", 300, false),
    TXT("contact", "home_country_postcode", 16, false),
    DATE("trajectory", "registration_date", false, false),
    DATE("trajectory", "first_enrolment_date", false, true),
    TXT("trajectory", "contact_language", 35, false),
    ENUM("situation", "residence_status", residence),
    DATE("situation", "residence_status_start", false, true),
    DATE("situation", "residence_status_end", false, true),
    TXT("situation", "family_situation", 1000, false),
    {"situation", {"minor_children", FT_INT, 0, NULL, 0, 30, false, false}, "::smallint"},
    TXT("situation", "languages", 300, false),
    ENUM("situation", "literacy", literacy),
    TXT("situation", "work_study", 500, false),
    TYPED("situation", "needs_childcare", FT_BOOL, 0, "::boolean"),
    TYPED("situation", "needs_buddy", FT_BOOL, 0, "::boolean"),
};

static const char *const create_keys[] = {"identification", "contact", "trajectory", "situation",
                                          "sensitive", "household_id", "source", "sources", NULL};
static const char *const update_keys[] = {"identification", "contact", "trajectory", "situation",
                                          "sensitive", "household_id", "source", "sources",
                                          "reason", NULL};

int person_group_index(const char *g)
{
    for (int i = 0; person_groups[i]; i++)
        if (strcmp(person_groups[i], g) == 0)
            return i;
    return -1;
}

static int field_index(const char *group, const char *name)
{
    for (int i = 0; i < PERSON_NFIELDS; i++)
        if (strcmp(person_fields[i].group, group) == 0 &&
            strcmp(person_fields[i].spec.name, name) == 0)
            return i;
    return -1;
}

static bool refuse(struct field_error *err, struct arena *a, const char *group, const char *key,
                   const char *detail)
{
    err->field = group ? arena_printf(a, "%s.%s", group, key) : arena_strdup(a, key);
    err->detail = detail;
    return false;
}

static bool is_source(const char *s)
{
    for (const char *const *v = data_sources; *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

/* One group object: every key must be a field of that group. */
static bool parse_group(json_t *obj, int g, struct arena *a, struct person_input *in,
                        struct field_error *err)
{
    const char *group = person_groups[g], *key;
    json_t *val;
    if (!json_is_object(obj))
        return refuse(err, a, NULL, group, "must be an object");
    json_object_foreach(obj, key, val)
    {
        int i = field_index(group, key);
        if (i < 0)
            return refuse(err, a, group, key, "is not a field of this group");
        char buf[4 * 1000 + 8]; /* the longest field, 1000 characters of up to 4 bytes */
        bool is_null;
        struct field_error fe;
        if (!field_check(&person_fields[i].spec, val, buf, sizeof buf, &is_null, &fe))
            return refuse(err, a, group, key, fe.detail);
        in->present[i] = true;
        in->values[i] = is_null ? NULL : arena_strdup(a, buf);
        if (!is_null && in->values[i] == NULL)
            return refuse(err, a, NULL, key, "could not be stored");
    }
    in->group_present[g] = true;
    return true;
}

/* "sources": {"field": source} overrides the default source for fields of this request. */
static bool parse_sources(json_t *body, struct arena *a, struct person_input *in,
                          struct field_error *err)
{
    json_t *src = json_object_get(body, "source"), *over = json_object_get(body, "sources");
    if (!json_is_string(src) || !is_source(json_string_value(src)))
        return refuse(err, a, NULL, "source",
                      "is required: person, intermediary, interpreter, test, staff or partner");
    in->source = arena_strdup(a, json_string_value(src));
    if (over && !json_is_object(over))
        return refuse(err, a, NULL, "sources", "must be an object of field: source");
    in->sources = json_object();
    if (!in->sources || !in->source)
        return refuse(err, a, NULL, "sources", "could not be stored");
    for (int i = 0; i < PERSON_NFIELDS; i++)
        if (in->present[i])
            json_object_set_new(in->sources, person_fields[i].spec.name, json_string(in->source));
    const char *key;
    json_t *val;
    json_object_foreach(over, key, val)
    {
        int found = -1;
        for (int i = 0; i < PERSON_NFIELDS && found < 0; i++)
            if (strcmp(person_fields[i].spec.name, key) == 0)
                found = i;
        if (found < 0 || !in->present[found])
            return refuse(err, a, "sources", key, "names no field given in this request");
        if (!json_is_string(val) || !is_source(json_string_value(val)))
            return refuse(err, a, "sources", key, "is not a known source");
        json_object_set(in->sources, key, val);
    }
    return true;
}

static bool parse_household(json_t *body, struct arena *a, struct person_input *in,
                            struct field_error *err)
{
    json_t *h = json_object_get(body, "household_id");
    in->household_present = h != NULL;
    if (h == NULL || json_is_null(h))
        return true;
    if (!json_is_string(h) || !validate_uuid(json_string_value(h)))
        return refuse(err, a, NULL, "household_id", "must be a household id (UUID)");
    in->household_id = arena_strdup(a, json_string_value(h));
    return in->household_id != NULL;
}

static bool parse_reason(json_t *body, struct arena *a, struct person_input *in,
                         struct field_error *err)
{
    json_t *r = json_object_get(body, "reason");
    struct field_spec spec = {"reason", FT_TEXT, 500, NULL, 0, 0, true, false};
    char buf[2100];
    bool is_null;
    struct field_error fe;
    if (!field_check(&spec, r, buf, sizeof buf, &is_null, &fe))
        return refuse(err, a, NULL, "reason", fe.detail);
    if (validate_text_length(buf) < 3)
        return refuse(err, a, NULL, "reason", "must say why, in at least 3 characters");
    in->reason = arena_strdup(a, buf);
    return in->reason != NULL;
}

bool person_parse(json_t *body, bool create, struct arena *a, struct person_input *in,
                  struct field_error *err)
{
    const char *unknown;
    memset(in, 0, sizeof *in);
    if (!json_only_keys(body, create ? create_keys : update_keys, &unknown))
        return refuse(err, a, NULL, unknown, "is not a field of this request");
    for (int g = 0; person_groups[g]; g++) {
        json_t *obj = json_object_get(body, person_groups[g]);
        if (obj && !parse_group(obj, g, a, in, err))
            return false;
    }
    if (!parse_household(body, a, in, err))
        return false;
    if (!create && !parse_reason(body, a, in, err))
        return false;
    for (int i = 0; create && i < PERSON_NFIELDS; i++)
        if (person_fields[i].spec.required && in->values[i] == NULL)
            return refuse(err, a, person_fields[i].group, person_fields[i].spec.name,
                          "is required");
    int nfields = 0;
    for (int i = 0; i < PERSON_NFIELDS; i++)
        nfields += in->present[i];
    if (!create && nfields == 0 && !in->household_present && !json_object_get(body, "sensitive"))
        return refuse(err, a, NULL, "identification", "the request changes no field");
    if (!parse_sources(body, a, in, err))
        return false;
    return create ? person_consistent(in->values, err) : true;
}

void person_input_free(struct person_input *in)
{
    json_decref(in->sources);
    in->sources = NULL;
}

bool person_consistent(const char *const v[PERSON_NFIELDS], struct field_error *err)
{
    int s = field_index("situation", "residence_status_start");
    int e = field_index("situation", "residence_status_end");
    if (v[s] && v[e] && strcmp(v[e], v[s]) < 0) {
        err->field = "situation.residence_status_end";
        err->detail = "must not be before situation.residence_status_start";
        return false;
    }
    return true;
}

/* ---- SQL from the table ---- */

static char sql_columns[2048], sql_columns_p[2048], sql_insert[4096], sql_update[4096];

/* The column list, each column qualified with prefix ("" or "p."). */
static void build_columns(char *out, size_t len, const char *x)
{
    size_t n = (size_t)snprintf(out, len,
                                "%sid::text AS id, %soki_number, %shousehold_id::text, "
                                "%ssources::text, %sversion, to_json(%screated_at) #>> '{}', "
                                "to_json(%supdated_at) #>> '{}'",
                                x, x, x, x, x, x, x);
    for (int i = 0; i < PERSON_NFIELDS; i++)
        n += (size_t)snprintf(out + n, len - n, ", %s%s", x, person_fields[i].spec.name);
    snprintf(out + n, len - n, ", encode(%snational_number_sealed, 'hex'), %snational_number_key_id",
             x, x);
}

static void build_sql(void)
{
    build_columns(sql_columns, sizeof sql_columns, "");
    build_columns(sql_columns_p, sizeof sql_columns_p, "p.");

    char cols[1024] = "", vals[1024] = "", sets[2048] = "";
    size_t c = 0, v = 0, s = 0;
    for (int i = 0; i < PERSON_NFIELDS; i++) {
        const char *name = person_fields[i].spec.name, *cast = person_fields[i].cast;
        c += (size_t)snprintf(cols + c, sizeof cols - c, ", %s", name);
        if (strcmp(name, "registration_date") == 0)
            v += (size_t)snprintf(vals + v, sizeof vals - v, ", COALESCE($%d::date, current_date)",
                                  i + 5);
        else
            v += (size_t)snprintf(vals + v, sizeof vals - v, ", $%d%s", i + 5, cast);
        s += (size_t)snprintf(sets + s, sizeof sets - s, ", %s = $%d%s", name, i + 4, cast);
    }
    snprintf(sql_insert, sizeof sql_insert,
             "INSERT INTO persons (controller_id, created_by, household_id, sources%s) "
             "VALUES ($1::smallint, $2::uuid, $3::uuid, $4::jsonb%s)",
             cols, vals);
    snprintf(sql_update, sizeof sql_update,
             "UPDATE persons SET household_id = $2::uuid, sources = sources || $3::jsonb, "
             "version = version + 1, updated_at = now()%s WHERE id = $1::uuid",
             sets);
}

const char *person_sql_columns(void)
{
    if (!sql_columns[0])
        build_sql();
    return sql_columns;
}
const char *person_sql_columns_p(void)
{
    if (!sql_columns_p[0])
        build_sql();
    return sql_columns_p;
}
const char *person_sql_insert(void)
{
    if (!sql_insert[0])
        build_sql();
    return sql_insert;
}
const char *person_sql_update(void)
{
    if (!sql_update[0])
        build_sql();
    return sql_update;
}

/* ---- rows to JSON ---- */

json_t *person_value_json(int i, const char *t)
{
    switch (person_fields[i].spec.type) {
    case FT_INT: return json_integer(strtoll(t, NULL, 10));
    case FT_BOOL: return json_boolean(t[0] == 't');
    default: return json_string(t);
    }
}

static json_t *text_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

json_t *person_to_json(const PGresult *res, int row, int col0, unsigned group_mask)
{
    json_t *p = json_object();
    if (p == NULL)
        return NULL;
    json_object_set_new(p, "id", text_or_null(res, row, col0));
    json_object_set_new(p, "oki_number", text_or_null(res, row, col0 + 1));
    json_object_set_new(p, "household_id", text_or_null(res, row, col0 + 2));
    json_t *sources = json_loads(PQgetvalue(res, row, col0 + 3), 0, NULL);
    json_object_set_new(p, "version", json_integer(strtoll(PQgetvalue(res, row, col0 + 4), NULL, 10)));
    json_object_set_new(p, "created_at", text_or_null(res, row, col0 + 5));
    json_object_set_new(p, "updated_at", text_or_null(res, row, col0 + 6));
    json_t *shown_sources = json_object();
    for (int g = 0; person_groups[g]; g++) {
        if (!(group_mask & (1u << g)))
            continue;
        json_t *obj = json_object();
        for (int i = 0; i < PERSON_NFIELDS; i++) {
            if (strcmp(person_fields[i].group, person_groups[g]) != 0)
                continue;
            int col = col0 + PERSON_META_COLS + i;
            const char *name = person_fields[i].spec.name;
            json_object_set_new(obj, name, PQgetisnull(res, row, col)
                                               ? json_null()
                                               : person_value_json(i, PQgetvalue(res, row, col)));
            json_t *s = json_object_get(sources, name);
            if (s)
                json_object_set(shown_sources, name, s);
        }
        json_object_set_new(p, person_groups[g], obj);
    }
    json_object_set_new(p, "sources", shown_sources);
    json_decref(sources);
    return p;
}

/* ---- the sensitive group and the blind-index keys ---- */

bool person_national_number(const char *in, char out[12])
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n == 11)
                return false;
            out[n++] = *p;
        } else if (!strchr(".- ", *p)) {
            return false;
        }
    }
    out[n] = '\0';
    if (n != 11)
        return false;
    long long body = atoll((char[10]){out[0], out[1], out[2], out[3], out[4], out[5], out[6],
                                      out[7], out[8], 0});
    int check = atoi(out + 9);
    /* Rijksregisternummer: 97 - (first nine digits mod 97); born from 2000: prefix a 2. */
    return 97 - body % 97 == check || 97 - (2000000000LL + body) % 97 == check;
}

/* Lower-case ASCII letters and every non-ASCII byte; spaces, hyphens, apostrophes go. */
static size_t normalise(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80 || isalpha(c))
            out[n++] = (char)(c < 0x80 ? tolower(c) : c);
    }
    out[n] = '\0';
    return n;
}

size_t person_name_key(const char *first, const char *last, const char *birth, char *out,
                       size_t len)
{
    char f[404], l[404];
    normalise(first, f, sizeof f);
    normalise(last, l, sizeof l);
    int n = snprintf(out, len, "name:%s|%s|%s", f, l, birth);
    return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}
