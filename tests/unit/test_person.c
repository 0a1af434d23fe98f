/* Unit: the person record — body parsing with provenance, required and unknown fields, the
 * consistency rule, and the SQL generated from the field table. */
#include <criterion/criterion.h>
#include <string.h>

#include "crt/person.h"

static struct arena a;
static void setup(void) { arena_init(&a); }
static void teardown(void) { arena_release(&a); }
TestSuite(person, .init = setup, .fini = teardown);

static bool parse(const char *json, bool create, struct person_input *in, struct field_error *err)
{
    json_t *body = json_loads(json, 0, NULL);
    cr_assert_not_null(body);
    bool ok = person_parse(body, create, &a, in, err);
    json_decref(body);
    return ok;
}

Test(person, a_minimal_registration_parses_with_sources)
{
    struct person_input in;
    struct field_error err;
    cr_assert(parse("{\"source\":\"interpreter\",\"identification\":{\"first_name\":\"Olena\","
                    "\"last_name\":\"Bondar\",\"birth_date\":\"1990-01-02\"},"
                    "\"sources\":{\"birth_date\":\"person\"}}", true, &in, &err), "%s", err.detail);
    cr_assert_str_eq(in.source, "interpreter");
    cr_assert_str_eq(json_string_value(json_object_get(in.sources, "first_name")), "interpreter");
    cr_assert_str_eq(json_string_value(json_object_get(in.sources, "birth_date")), "person");
    cr_assert_null(json_object_get(in.sources, "email"), "only given fields carry a source");
    person_input_free(&in);
}

Test(person, sources_may_only_name_fields_of_the_request)
{
    struct person_input in;
    struct field_error err;
    cr_assert_not(parse("{\"source\":\"person\",\"identification\":{\"first_name\":\"O\","
                        "\"last_name\":\"B\",\"birth_date\":\"1990-01-02\"},"
                        "\"sources\":{\"email\":\"person\"}}", true, &in, &err));
    cr_assert_str_eq(err.field, "sources.email");
    person_input_free(&in);
}

Test(person, an_update_needs_a_reason_and_a_change)
{
    struct person_input in;
    struct field_error err;
    cr_assert_not(parse("{\"source\":\"staff\",\"contact\":{\"phone\":\"+32470000000\"}}", false, &in, &err));
    cr_assert_str_eq(err.field, "reason");
    person_input_free(&in);
    cr_assert_not(parse("{\"source\":\"staff\",\"reason\":\"nothing\"}", false, &in, &err));
    person_input_free(&in);
    cr_assert_not(parse("{\"source\":\"staff\",\"reason\":\"x\",\"contact\":{\"phone\":\"+32470000000\"}}", false, &in, &err));
    cr_assert_str_eq(err.field, "reason");
    person_input_free(&in);
    cr_assert_not(parse("{\"source\":\"staff\",\"reason\":\"wrong\",\"identification\":{\"last_name\":null}}", false, &in, &err));
    cr_assert_str_eq(err.field, "identification.last_name");
    person_input_free(&in);
    cr_assert(parse("{\"source\":\"staff\",\"reason\":\"moved\",\"contact\":{\"address_box\":null}}", false, &in, &err));
    int box = -1;
    for (int i = 0; i < PERSON_NFIELDS; i++)
        if (strcmp(person_fields[i].spec.name, "address_box") == 0)
            box = i;
    cr_assert(in.present[box]);
    cr_assert_null(in.values[box], "null clears an optional field");
    person_input_free(&in);
}

Test(person, residence_status_end_not_before_start)
{
    struct person_input in;
    struct field_error err;
    cr_assert_not(parse("{\"source\":\"person\",\"identification\":{\"first_name\":\"O\",\"last_name\":\"B\","
                        "\"birth_date\":\"1990-01-02\"},\"situation\":{\"residence_status_start\":\"2024-03-04\","
                        "\"residence_status_end\":\"2024-03-03\"}}", true, &in, &err));
    cr_assert_str_eq(err.field, "situation.residence_status_end");
    person_input_free(&in);
}

Test(person, generated_sql_binds_every_field)
{
    const char *ins = person_sql_insert(), *upd = person_sql_update();
    char last[8];
    snprintf(last, sizeof last, "$%d", 4 + PERSON_NFIELDS);
    cr_assert_not_null(strstr(ins, last), "insert binds $1..$%d", 4 + PERSON_NFIELDS);
    snprintf(last, sizeof last, "$%d", 3 + PERSON_NFIELDS);
    cr_assert_not_null(strstr(upd, last));
    for (int i = 0; i < PERSON_NFIELDS; i++)
        cr_assert_not_null(strstr(person_sql_columns(), person_fields[i].spec.name));
}

Test(person, every_field_belongs_to_a_known_group)
{
    for (int i = 0; i < PERSON_NFIELDS; i++)
        cr_assert_geq(person_group_index(person_fields[i].group), 0, "%s", person_fields[i].spec.name);
}

Test(person, limits_count_characters_of_any_script)
{
    struct person_input in;
    struct field_error err;
    char body[8192];
    int n = snprintf(body, sizeof body, "{\"source\":\"person\",\"reason\":\"\\u0441\\u0456\\u043c\","
                     "\"situation\":{\"family_situation\":\"");
    for (int i = 0; i < 1000; i++) /* 1000 Cyrillic characters, 2000 bytes */
        n += snprintf(body + n, sizeof body - (size_t)n, "\xd0\x96");
    snprintf(body + n, sizeof body - (size_t)n, "\"}}");
    cr_assert(parse(body, false, &in, &err), "%s: %s", err.field, err.detail);
    person_input_free(&in);
}

Test(person, an_update_with_only_empty_groups_changes_no_field)
{
    struct person_input in;
    struct field_error err;
    cr_assert_not(parse("{\"source\":\"staff\",\"reason\":\"nothing\",\"identification\":{}}", false, &in, &err));
    person_input_free(&in);
}

Test(person, national_numbers_need_valid_check_digits)
{
    char out[12];
    cr_assert(person_national_number("85.07.30-033.28", out));
    cr_assert_str_eq(out, "85073003328");
    cr_assert(person_national_number("05010100113", out), "born in 2005: the 2-prefixed check");
    cr_assert_not(person_national_number("85.07.30-033.29", out), "wrong check digits");
    cr_assert_not(person_national_number("8507300332", out), "ten digits");
    cr_assert_not(person_national_number("850730033288", out), "twelve digits");
    cr_assert_not(person_national_number("85O73003328", out), "a letter");
}

Test(person, the_name_key_ignores_case_spaces_and_hyphens)
{
    char k1[256], k2[256];
    cr_assert_gt(person_name_key("Olena-Maria", "O'Brien", "1990-01-02", k1, sizeof k1), 0);
    cr_assert_gt(person_name_key("olena maria", "OBRIEN", "1990-01-02", k2, sizeof k2), 0);
    cr_assert_str_eq(k1, k2);
    cr_assert_gt(person_name_key("Olena", "Obrien", "1990-01-03", k2, sizeof k2), 0);
    cr_assert_str_neq(k1, k2);
}
